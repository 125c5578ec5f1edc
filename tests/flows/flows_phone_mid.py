# sipgw-phone's mid-call features played phone to phone, no gateway, no proxy:
# Cisco SIP phone admin guide figures B-3..B-13 (hold, consultation, call
# waiting, blind and attended transfer with their BYE/Also fallbacks, the
# redirects of network call forwarding, 3-way calling). Each flow asserts
# every phone's SIP ladder as the figure has it and where audio flows (tone
# detectors) and where it must not (while held). The lead runs the same
# figures through sipgw once its B2BUA passes these requests on.
#
# Where we differ from the figures, on purpose:
# - a transferee ends the old call itself (BYE after its final NOTIFY, RFC
#   5589 6.1 lets either end do it); the Cisco transferor sends that BYE;
# - a redirect "server" (figures B-10..B-12) is a phone answering 3xx
#   (--redirect-to) and the caller follows it itself, as a proxy would.
# SPDX-License-Identifier: GPL-2.0-only
import re

import flowlib as fl
import sipraw
from flowlib import FlowError, expect_ladder, flow, sip_ladder, tone_events

MARGIN = 300        # ms for a tone detector to see a tone start or end

ANSWERED_OUT = ["> INVITE", "< 100/INVITE", "< 180/INVITE", "< 200/INVITE", "> ACK"]
ANSWERED_IN = ["< INVITE", "> 100/INVITE", "> 180/INVITE", "> 200/INVITE", "< ACK"]
REINVITE_OUT = ["> INVITE", "< 100/INVITE", "< 200/INVITE", "> ACK"]
REINVITE_IN = ["< INVITE", "> 100/INVITE", "> 200/INVITE", "< ACK"]
BYE_OUT = ["> BYE", "< 200/BYE"]
BYE_IN = ["< BYE", "> 200/BYE"]
NOTIFY_OUT = ["> NOTIFY", "< 200/NOTIFY"]
NOTIFY_IN = ["< NOTIFY", "> 200/NOTIFY"]


def uri(ph, user):
    return "sip:%s@127.0.0.1:%d" % (user, ph.port)


def expect_merge(name, got, *dialogs):
    """got is the phone's whole ladder: exactly the dialogs' ladders merged,
    each in its own order (their messages may interleave as the wire does)."""
    memo = {}

    def fits(i, pos):
        if i == len(got):
            return all(p == len(d) for p, d in zip(pos, dialogs))
        key = (i, pos)
        if key not in memo:
            memo[key] = any(p < len(d) and d[p] == got[i] and
                            fits(i + 1, pos[:k] + (p + 1,) + pos[k + 1:])
                            for k, (p, d) in enumerate(zip(pos, dialogs)))
        return memo[key]

    if not fits(0, tuple(0 for _ in dialogs)):
        raise FlowError("%s ladder is not the figure's dialogs merged\n  want: %s\n  got:  %s" %
                        (name, "\n        ".join(str(d) for d in dialogs), got))


def ev_ms(ph, pattern):
    """When the phone printed the first EVENT line matching pattern."""
    rx = re.compile(pattern)
    for ms, t in fl.timed(ph.lines(), "EVENT"):
        if rx.search(t):
            return ms
    raise FlowError("%s: no EVENT /%s/" % (ph.name, pattern))


def tone_in(ph, hz, start, end):
    return fl.tone_on_during(tone_events(ph.lines(), hz), start, end)


def hears(ph, hz, start, end, who):
    if not tone_in(ph, hz, start + MARGIN, end):
        raise FlowError("%s did not hear %s (%d Hz) between %d and %d" % (ph.name, who, hz, start, end))


def deaf(ph, hz, start, end, who):
    if start + MARGIN < end and tone_in(ph, hz, start + MARGIN, end):
        raise FlowError("%s heard %s (%d Hz) between %d and %d, where it must not" %
                        (ph.name, who, hz, start + MARGIN, end))


def sdp_of_invites(ph):
    """The sdp[...] summaries of the INVITEs the phone sent, in order."""
    return [re.search(r"sdp\[([^]]*)\]", t).group(1) for _, t in fl.sip_lines(ph.lines(), r"^> INVITE")]


def wait_all(*phones):
    for p in phones:
        if p.wait_exit() != 0:
            raise FlowError("%s exited %s" % (p.name, p.p.returncode))


def hold_flow(tb, style, want_sdp, want_answer):
    b = tb.phone("phone-b", "--user", "b", "--answer-after", "0.3", "--tone", "2000", "--detect", "1000",
                 "--at", "1.5:hold=%s" % style, "--at", "3:resume", "--at", "4.5:hangup",
                 "--exit-after-calls", "1")
    a = tb.phone("phone-a", "--user", "a", "--call", uri(b, "b"), "--tone", "1000", "--detect", "2000",
                 "--exit-after-calls", "1")
    wait_all(a, b)
    expect_ladder("phone A", sip_ladder(a.lines()), ANSWERED_OUT + REINVITE_IN * 2 + BYE_IN)
    expect_ladder("phone B", sip_ladder(b.lines()), ANSWERED_IN + REINVITE_OUT * 2 + BYE_OUT)
    sdps = sdp_of_invites(b)
    if not (want_sdp in sdps[0] and "c=127.0.0.1 sendrecv" == sdps[1]):
        raise FlowError("B's hold/resume SDP: %s, want %s then sendrecv" % (sdps, want_sdp))
    # RFC 3264 6.1: the held end's answer to the hold offer
    answers = [re.search(r"sdp\[([^]]*)\]", t).group(1)
               for _, t in fl.sip_lines(a.lines(), r"^> 200 .*INVITE")]
    if len(answers) != 2 or want_answer not in answers[0] or "sendrecv" not in answers[1]:
        raise FlowError("A's answers to hold/resume: %s, want %s then sendrecv" % (answers, want_answer))
    held, resumed, bye = ev_ms(b, r"call 1 held"), ev_ms(b, r"call 1 resumed"), ev_ms(b, r"at hangup")
    for who, ph, hz in (("B", a, 2000), ("A", b, 1000)):
        hears(ph, hz, ev_ms(a, r"call 1 answered"), held, who)
        deaf(ph, hz, held, resumed, who)
        hears(ph, hz, resumed, bye, who)
    if ev_ms(a, r"call 1 held") > ev_ms(a, r"call 1 resumed"):
        raise FlowError("A saw the resume before the hold")


@flow
@fl.no_pri
def b03_hold_null_address(tb):
    """B-3: B holds A with c=0.0.0.0 and resumes; no audio either way while held."""
    hold_flow(tb, "null", "c=0.0.0.0", "c=127.0.0.1 sendrecv")


@flow
@fl.no_pri
def b03_hold_sendonly(tb):
    """B-3 with a=sendonly (RFC 3264 8.4) instead of the null address; A answers recvonly."""
    hold_flow(tb, "sendonly", "sendonly", "recvonly")


@flow
@fl.no_pri
def b03_hold_inactive(tb):
    """B-3 with a=inactive: the far end answers inactive too, and nothing flows."""
    hold_flow(tb, "inactive", "inactive", "inactive")


@flow
@fl.no_pri
def b04_hold_with_consultation(tb):
    """B-4: B holds A, calls C, hangs up on C, resumes A; A hears nothing of B meanwhile."""
    c = tb.phone("phone-c", "--user", "c", "--answer-after", "0.3", "--tone", "3000", "--detect", "2000",
                 "--exit-after-calls", "1")
    b = tb.phone("phone-b", "--user", "b", "--answer-after", "0.3", "--tone", "2000", "--detect", "1000",
                 "--at", "1.5:hold", "--at", "2.5:call:%s" % uri(c, "c"), "--at", "4.5:hangup:2",
                 "--at", "5.5:resume:1", "--at", "7:hangup:1", "--exit-after-calls", "2")
    a = tb.phone("phone-a", "--user", "a", "--call", uri(b, "b"), "--tone", "1000", "--detect", "2000",
                 "--exit-after-calls", "1")
    wait_all(a, b, c)
    expect_ladder("phone A", sip_ladder(a.lines()), ANSWERED_OUT + REINVITE_IN * 2 + BYE_IN)
    expect_ladder("phone C", sip_ladder(c.lines()), ANSWERED_IN + BYE_IN)
    expect_merge("phone B", sip_ladder(b.lines()), ANSWERED_IN + REINVITE_OUT * 2 + BYE_OUT,
                 ANSWERED_OUT + BYE_OUT)
    held, resumed = ev_ms(b, r"call 1 held"), ev_ms(b, r"call 1 resumed")
    c_up, c_bye = ev_ms(b, r"call 2 answered"), ev_ms(b, r"at hangup:2")
    if not held < c_up < c_bye < resumed:
        raise FlowError("B's steps out of the figure's order")
    hears(a, 2000, ev_ms(a, r"call 1 answered"), held, "B")
    deaf(a, 2000, held, resumed, "B")
    deaf(b, 1000, held, resumed, "A")
    hears(c, 2000, c_up, c_bye, "B")
    hears(a, 2000, resumed, ev_ms(b, r"at hangup:1"), "B")


@flow
@fl.no_pri
def b05_call_waiting(tb):
    """B-5: C calls B during A-B; B holds A, answers C, switches back to A, hangs up A, resumes C."""
    b = tb.phone("phone-b", "--user", "b", "--answer-after", "0.3", "--answer-waiting", "--tone", "2000",
                 "--detect", "1000", "--at", "3:switch:1", "--at", "4.5:hangup:1", "--at", "5.5:resume:2",
                 "--at", "7:hangup:2", "--exit-after-calls", "2")
    a = tb.phone("phone-a", "--user", "a", "--call", uri(b, "b"), "--tone", "1000", "--detect", "2000",
                 "--exit-after-calls", "1")
    b.wait_line(r"EVENT call 1 answered")
    c = tb.phone("phone-c", "--user", "c", "--call", uri(b, "b"), "--tone", "3000", "--detect", "2000",
                 "--exit-after-calls", "1")
    wait_all(a, b, c)
    # A: answered, held (step 7), resumed (15), BYE (18)
    expect_ladder("phone A", sip_ladder(a.lines()), ANSWERED_OUT + REINVITE_IN * 2 + BYE_IN)
    # C: rings, answered once A is held (10), held (12), resumed (20), BYE
    expect_ladder("phone C", sip_ladder(c.lines()), ANSWERED_OUT + REINVITE_IN * 2 + BYE_IN)
    expect_merge("phone B", sip_ladder(b.lines()), ANSWERED_IN + REINVITE_OUT * 2 + BYE_OUT,
                 ANSWERED_IN + REINVITE_OUT * 2 + BYE_OUT)
    a_held, a_back = ev_ms(b, r"call 1 held"), ev_ms(b, r"call 1 resumed")
    c_up, c_held, c_back = ev_ms(b, r"call 2 answered"), ev_ms(b, r"call 2 held"), ev_ms(b, r"call 2 resumed")
    if not a_held <= c_up < c_held <= a_back < c_back:  # switch:1 holds C and resumes A in one ms
        raise FlowError("B's steps out of figure B-5's order")
    deaf(a, 2000, a_held, a_back, "B")
    hears(c, 2000, c_up, c_held, "B")
    deaf(c, 2000, c_held, c_back, "B")
    hears(a, 2000, a_back, ev_ms(b, r"at hangup:1"), "B")
    hears(c, 2000, c_back, ev_ms(b, r"at hangup:2"), "B")
    deaf(c, 2000, ev_ms(c, r"call 1 outgoing"), c_up - MARGIN, "B before the answer")


# The transferee's dialogs in a transfer: with B (REFER, NOTIFYs, its own BYE)
# and the new one with C.
def transferee_old(refer_status="202"):
    return (ANSWERED_OUT + REINVITE_IN + ["< REFER", "> %s/REFER" % refer_status])


@flow
@fl.no_pri
def b06_blind_transfer(tb):
    """B-6: B holds A and REFERs it to C (Refer-To, Referred-By); A calls C, NOTIFYs 100/180/200."""
    c = tb.phone("phone-c", "--user", "c", "--answer-after", "0.3", "--tone", "3000", "--detect", "1000",
                 "--at", "6:hangup", "--exit-after-calls", "1")
    b = tb.phone("phone-b", "--user", "b", "--answer-after", "0.3", "--tone", "2000", "--detect", "1000",
                 "--at", "1.5:hold", "--at", "2.5:transfer:%s" % uri(c, "c"), "--exit-after-calls", "1")
    a = tb.phone("phone-a", "--user", "a", "--call", uri(b, "b"), "--tone", "1000", "--detect", "3000",
                 "--exit-after-calls", "2")
    wait_all(a, b, c)
    expect_merge("phone A", sip_ladder(a.lines()), transferee_old() + NOTIFY_OUT * 3 + BYE_OUT,
                 ANSWERED_OUT + BYE_IN)
    expect_ladder("phone B", sip_ladder(b.lines()),
                  ANSWERED_IN + REINVITE_OUT + ["> REFER", "< 202/REFER"] + NOTIFY_IN * 3 + BYE_IN)
    expect_ladder("phone C", sip_ladder(c.lines()), ANSWERED_IN + BYE_OUT)
    frags = [int(m) for m in re.findall(r"notify sipfrag=(\d+)", "\n".join(b.lines()))]
    if frags != [100, 180, 200]:
        raise FlowError("B's NOTIFY sipfrags: %s, want [100, 180, 200]" % frags)
    b.wait_line(r"EVENT call 1 transferred$")
    a.wait_line(r"EVENT call 1 refer received to=%s by=<sip:b@127.0.0.1:%d> replaces=no" %
                (re.escape(uri(c, "c")), b.port))
    c.wait_line(r"EVENT call 1 referred-by b@127.0.0.1")
    up = ev_ms(c, r"call 1 answered")
    hears(c, 1000, up, ev_ms(c, r"at hangup"), "A")
    hears(a, 3000, up, ev_ms(c, r"at hangup"), "C")
    deaf(a, 3000, 0, up - MARGIN, "C before C answered")


@flow
@fl.no_pri
def b06_blind_transfer_target_busy(tb):
    """B-6 with C busy: A NOTIFYs 100 then 486; B stays in the call, resumes A, and they talk again."""
    c = tb.phone("phone-c", "--user", "c", "--reject", "486", "--exit-after-calls", "1")
    b = tb.phone("phone-b", "--user", "b", "--answer-after", "0.3", "--tone", "2000", "--detect", "1000",
                 "--at", "1.5:hold", "--at", "2.5:transfer:%s" % uri(c, "c"), "--at", "3.5:resume",
                 "--at", "5:hangup", "--exit-after-calls", "1")
    a = tb.phone("phone-a", "--user", "a", "--call", uri(b, "b"), "--tone", "1000", "--detect", "2000",
                 "--exit-after-calls", "2")
    wait_all(a, b, c)
    expect_merge("phone A", sip_ladder(a.lines()), transferee_old() + NOTIFY_OUT * 2 + REINVITE_IN + BYE_IN,
                 ["> INVITE", "< 100/INVITE", "< 486/INVITE", "> ACK"])
    expect_ladder("phone B", sip_ladder(b.lines()), ANSWERED_IN + REINVITE_OUT +
                  ["> REFER", "< 202/REFER"] + NOTIFY_IN * 2 + REINVITE_OUT + BYE_OUT)
    b.wait_line(r"EVENT call 1 transfer failed sipfrag=486")
    frags = [int(m) for m in re.findall(r"notify sipfrag=(\d+)", "\n".join(b.lines()))]
    if frags != [100, 486]:
        raise FlowError("B's NOTIFY sipfrags: %s, want [100, 486]" % frags)
    if any("transferred" in ln for ln in a.lines() + b.lines()):
        raise FlowError("a failed transfer reported as done")
    held, resumed = ev_ms(b, r"call 1 held"), ev_ms(b, r"call 1 resumed")
    deaf(a, 2000, held, resumed, "B while held")
    hears(a, 2000, resumed, ev_ms(b, r"at hangup"), "B after the failed transfer")


@flow
@fl.no_pri
def b07_blind_transfer_bye_also(tb):
    """B-7: A answers B's REFER 501; B falls back to BYE with Also: C, and A calls C."""
    c = tb.phone("phone-c", "--user", "c", "--answer-after", "0.3", "--tone", "3000", "--detect", "1000",
                 "--at", "6:hangup", "--exit-after-calls", "1")
    b = tb.phone("phone-b", "--user", "b", "--answer-after", "0.3", "--tone", "2000",
                 "--at", "1.5:hold", "--at", "2.5:transfer:%s" % uri(c, "c"), "--exit-after-calls", "1")
    a = tb.phone("phone-a", "--user", "a", "--call", uri(b, "b"), "--refuse-refer", "501",
                 "--tone", "1000", "--detect", "3000", "--exit-after-calls", "2")
    wait_all(a, b, c)
    expect_ladder("phone A", sip_ladder(a.lines()), transferee_old("501") + BYE_IN + ANSWERED_OUT + BYE_IN)
    expect_ladder("phone B", sip_ladder(b.lines()),
                  ANSWERED_IN + REINVITE_OUT + ["> REFER", "< 501/REFER"] + BYE_OUT)
    expect_ladder("phone C", sip_ladder(c.lines()), ANSWERED_IN + BYE_OUT)
    b.wait_line(r"EVENT call 1 refer refused 501")
    b.wait_line(r"EVENT call 1 also to=%s$" % re.escape(uri(c, "c")))
    a.wait_line(r"EVENT call 1 also to=%s$" % re.escape(uri(c, "c")))
    c.wait_line(r"EVENT call 1 referred-by b@127.0.0.1")
    hears(c, 1000, ev_ms(c, r"call 1 answered"), ev_ms(c, r"at hangup"), "A")


def attended_setup(tb, a_args=()):
    """A calls B; B holds A, calls C, holds C (figures B-8, B-9 steps 1-16) and transfers."""
    c = tb.phone("phone-c", "--user", "c", "--answer-after", "0.3", "--tone", "3000", "--detect", "1000",
                 "--at", "8:hangup", "--exit-after-calls", "2")
    b = tb.phone("phone-b", "--user", "b", "--answer-after", "0.3", "--tone", "2000", "--detect", "3000",
                 "--at", "1.5:hold", "--at", "2.5:call:%s" % uri(c, "c"), "--at", "4:hold:2",
                 "--at", "5:attended:2,1", "--exit-after-calls", "2")
    a = tb.phone("phone-a", "--user", "a", "--call", uri(b, "b"), "--tone", "1000", "--detect", "3000",
                 "--exit-after-calls", "2", *a_args)
    wait_all(a, b, c)
    return a, b, c


@flow
@fl.no_pri
def b08_attended_transfer(tb):
    """B-8: B consults C, REFERs A with Refer-To C?Replaces=B-C; A's INVITE replaces B-C at C."""
    a, b, c = attended_setup(tb)
    expect_merge("phone A", sip_ladder(a.lines()), transferee_old() + NOTIFY_OUT * 2 + BYE_OUT,
                 # RFC 3891: C answers at once, no 180
                 ["> INVITE", "< 100/INVITE", "< 200/INVITE", "> ACK"] + BYE_IN)
    expect_merge("phone B", sip_ladder(b.lines()),
                 ANSWERED_IN + REINVITE_OUT + ["> REFER", "< 202/REFER"] + NOTIFY_IN * 2 + BYE_IN,
                 ANSWERED_OUT + REINVITE_OUT + BYE_IN)
    expect_merge("phone C", sip_ladder(c.lines()), ANSWERED_IN + REINVITE_IN + BYE_OUT,
                 ["< INVITE", "> 100/INVITE", "> 200/INVITE", "< ACK"] + BYE_OUT)
    b.wait_line(r"EVENT call 1 refer sent to=%s replaces=call 2" % re.escape(uri(c, "c")))
    a.wait_line(r"EVENT call 1 refer received to=%s by=\S+ replaces=yes" % re.escape(uri(c, "c")))
    c.wait_line(r"EVENT call 2 replaces call-id=")
    c.wait_line(r"EVENT call 1 replaced by call 2")
    frags = [int(m) for m in re.findall(r"notify sipfrag=(\d+)", "\n".join(b.lines()))]
    if frags != [100, 200]:
        raise FlowError("B's NOTIFY sipfrags: %s, want [100, 200]" % frags)
    up = ev_ms(c, r"call 2 answered")
    hears(c, 1000, up, ev_ms(c, r"at hangup"), "A")
    hears(a, 3000, up, ev_ms(c, r"at hangup"), "C")
    # before the transfer A and C never heard each other, and B held both
    deaf(a, 3000, 0, up - MARGIN, "C")
    deaf(b, 3000, ev_ms(b, r"call 2 held"), ev_ms(b, r"call 2 ended"), "C while held")


@flow
@fl.no_pri
def b08_replaces_unknown_dialog_refused(tb):
    """B-8's target refuses an INVITE whose Replaces names no call of its own: 481, its call stays."""
    c = tb.phone("phone-c", "--user", "c", "--answer-after", "0.3", "--tone", "3000",
                 "--exit-after-calls", "2")
    b = tb.phone("phone-b", "--user", "b", "--call", uri(c, "c"), "--detect", "3000", "--hangup-after", "3",
                 "--exit-after-calls", "1")
    c.wait_line(r"EVENT call 1 answered")
    ua = sipraw.RawUA(c.port, "x")
    try:
        ruri = uri(c, "c")
        ua.request("INVITE", ruri, ruri, ["Replaces: nosuch@raw;to-tag=1;from-tag=2"], ua.sdp())
        r = ua.recv_final()
        ua.ack(ruri, r)
    finally:
        ua.close()
    if r.status != 481:
        raise FlowError("INVITE with a Replaces of no dialog got %d, want 481" % r.status)
    wait_all(b)
    c.wait_line(r"EVENT call 2 replaces no such call")
    expect_ladder("phone B", sip_ladder(b.lines()), ANSWERED_OUT + BYE_OUT)
    # the call B-C went on to B's own BYE, and C heard it out
    hears(b, 3000, ev_ms(b, r"call 1 answered"), ev_ms(c, r"call 1 ended") - MARGIN, "C")
    if ev_ms(c, r"call 1 ended") < ev_ms(c, r"call 2 ended"):
        raise FlowError("C's call ended before the refused INVITE was done")


@flow
@fl.no_pri
def b09_attended_transfer_bye_also(tb):
    """B-9: A answers the REFER 501: B leaves C (BYE) and sends BYE Also: C to A; A calls C."""
    a, b, c = attended_setup(tb, ("--refuse-refer", "501"))
    expect_ladder("phone A", sip_ladder(a.lines()), transferee_old("501") + BYE_IN + ANSWERED_OUT + BYE_IN)
    expect_merge("phone B", sip_ladder(b.lines()),
                 ANSWERED_IN + REINVITE_OUT + ["> REFER", "< 501/REFER"] + BYE_OUT,
                 ANSWERED_OUT + REINVITE_OUT + BYE_OUT)
    expect_ladder("phone C", sip_ladder(c.lines()),
                  ANSWERED_IN + REINVITE_IN + BYE_IN + ANSWERED_IN + BYE_OUT)
    # BYE/Also carries the plain target: no Replaces in A's INVITE
    a.wait_line(r"EVENT call 1 also to=%s$" % re.escape(uri(c, "c")))
    if any("replaces call-id" in ln for ln in c.lines()):
        raise FlowError("C got a Replaces after BYE/Also")
    hears(c, 1000, ev_ms(c, r"call 2 answered"), ev_ms(c, r"at hangup"), "A")


@flow
@fl.no_pri
def b10_forward_unconditional_302(tb):
    """B-10: B answers 302 with C's Contact; A follows it to C."""
    c = tb.phone("phone-c", "--user", "c", "--answer-after", "0.3", "--tone", "3000", "--detect", "1000",
                 "--hangup-after", "1.5", "--exit-after-calls", "1")
    b = tb.phone("phone-b", "--user", "b", "--redirect-to", uri(c, "c"), "--exit-after-calls", "1")
    a = tb.phone("phone-a", "--user", "a", "--call", uri(b, "b"), "--tone", "1000", "--detect", "3000",
                 "--exit-after-calls", "1")
    wait_all(a, b, c)
    expect_ladder("phone A", sip_ladder(a.lines()),
                  ["> INVITE", "< 100/INVITE", "< 302/INVITE", "> ACK"] + ANSWERED_OUT + BYE_IN)
    expect_ladder("phone B", sip_ladder(b.lines()), ["< INVITE", "> 100/INVITE", "> 302/INVITE", "< ACK"])
    expect_ladder("phone C", sip_ladder(c.lines()), ANSWERED_IN + BYE_OUT)
    a.wait_line(r"EVENT call 1 redirected status=302 to=%s$" % re.escape(uri(c, "c")))
    a.wait_line(r"EVENT call 1 ended status=200")
    hears(a, 3000, ev_ms(a, r"call 1 answered"), ev_ms(a, r"call 1 ended"), "C")


def redirect_300(tb, b2_args):
    c = tb.phone("phone-c", "--user", "c", "--answer-after", "0.3", "--tone", "3000",
                 "--hangup-after", "1.5", "--exit-after-calls", "1")
    b2 = tb.phone("phone-b2", "--user", "b", "--exit-after-calls", "1", *b2_args)
    b = tb.phone("phone-b", "--user", "b", "--redirect-to", "%s,%s" % (uri(b2, "b"), uri(c, "c")),
                 "--exit-after-calls", "1")
    a = tb.phone("phone-a", "--user", "a", "--call", uri(b, "b"), "--detect", "3000", "--cancel-after", "2",
                 "--exit-after-calls", "1")
    wait_all(a, b, b2, c)
    b.wait_line(r"EVENT call 1 redirect status=300 contacts=%s,%s$" % (re.escape(uri(b2, "b")),
                                                                       re.escape(uri(c, "c"))))
    a.wait_line(r"EVENT call 1 redirected status=300 to=%s$" % re.escape(uri(b2, "b")))
    hears(a, 3000, ev_ms(a, r"call 1 answered"), ev_ms(a, r"call 1 ended"), "C")
    return a, b, b2, c


@flow
@fl.no_pri
def b11_forward_busy_300(tb):
    """B-11: B answers 300 (B2 q=1.0, C q=0.9); B2 is busy (486), A goes on to C."""
    a, b, b2, c = redirect_300(tb, ("--reject", "486"))
    expect_ladder("phone A", sip_ladder(a.lines()),
                  ["> INVITE", "< 100/INVITE", "< 300/INVITE", "> ACK", "> INVITE", "< 100/INVITE",
                   "< 486/INVITE", "> ACK"] + ANSWERED_OUT + BYE_IN)
    expect_ladder("phone B2", sip_ladder(b2.lines()), ["< INVITE", "> 100/INVITE", "> 486/INVITE", "< ACK"])
    expect_ladder("phone C", sip_ladder(c.lines()), ANSWERED_IN + BYE_OUT)
    a.wait_line(r"EVENT call 1 redirected status=486 to=%s$" % re.escape(uri(c, "c")))


@flow
@fl.no_pri
def b12_forward_no_answer_300(tb):
    """B-12: 300 (B2, C); B2 rings and does not answer: CANCEL after the ring time, then C."""
    a, b, b2, c = redirect_300(tb, ("--ring-forever",))
    expect_ladder("phone A", sip_ladder(a.lines()),
                  ["> INVITE", "< 100/INVITE", "< 300/INVITE", "> ACK", "> INVITE", "< 100/INVITE",
                   "< 180/INVITE", "> CANCEL", "< 200/CANCEL", "< 487/INVITE", "> ACK"] +
                  ANSWERED_OUT + BYE_IN)
    expect_ladder("phone B2", sip_ladder(b2.lines()),
                  ["< INVITE", "> 100/INVITE", "> 180/INVITE", "< CANCEL", "> 200/CANCEL", "> 487/INVITE",
                   "< ACK"])
    expect_ladder("phone C", sip_ladder(c.lines()), ANSWERED_IN + BYE_OUT)
    a.wait_line(r"EVENT call 1 redirected status=487 to=%s$" % re.escape(uri(c, "c")))


@flow
@fl.no_pri
def b13_three_way_calling(tb):
    """B-13: B holds A, calls C, resumes A and mixes: A hears C and C hears A through B."""
    c = tb.phone("phone-c", "--user", "c", "--answer-after", "0.3", "--tone", "3000", "--detect", "1000",
                 "--exit-after-calls", "1")
    b = tb.phone("phone-b", "--user", "b", "--answer-after", "0.3", "--detect", "1000",
                 "--at", "1.5:hold", "--at", "2.5:call:%s" % uri(c, "c"), "--at", "4:conference",
                 "--at", "6.5:hangup:1", "--at", "7:hangup:2", "--exit-after-calls", "2")
    a = tb.phone("phone-a", "--user", "a", "--call", uri(b, "b"), "--tone", "1000", "--detect", "3000",
                 "--exit-after-calls", "1")
    wait_all(a, b, c)
    expect_ladder("phone A", sip_ladder(a.lines()), ANSWERED_OUT + REINVITE_IN * 2 + BYE_IN)
    expect_ladder("phone C", sip_ladder(c.lines()), ANSWERED_IN + BYE_IN)
    expect_merge("phone B", sip_ladder(b.lines()), ANSWERED_IN + REINVITE_OUT * 2 + BYE_OUT,
                 ANSWERED_OUT + BYE_OUT)
    b.wait_line(r"EVENT conference calls=1,2$")
    conf, end = ev_ms(b, r"call 1 resumed"), ev_ms(b, r"at hangup:1")
    # before the bridge A and C are strangers; in it each hears the other
    deaf(a, 3000, 0, conf, "C before the conference")
    deaf(c, 1000, 0, conf, "A before the conference")
    hears(a, 3000, conf, end, "C through B")
    hears(c, 1000, conf, end, "A through B")
    # B's own detector still hears A on call 1 (--detect sees both streams)
    hears(b, 1000, conf, end, "A")
