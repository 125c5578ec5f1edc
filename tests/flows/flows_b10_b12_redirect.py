# sipgw call-flow tests for redirection and forwarding (issue 10 item 5):
# figures B-10, B-11, B-12 (call forwarding unconditional, busy, no answer)
# with sipgw as the proxy, sipgw as the redirect server (302, 300 with q),
# sipgw following a peer's 302 to a phone and to the PRI (Diversion,
# History-Info, Q.931 redirecting number), the toll-fraud door for a
# redirect or forward to the PSTN, and a redirect loop stopped.
# SPDX-License-Identifier: GPL-2.0-only
import os
import re
import signal

import flowlib as fl
import sipraw
from flowlib import FlowError, expect_ladder, flow, pots_peer, q931_ladder, sip_ladder, voip_peer
from flows_b17_b23_proxy import CALLER_CONNECTED, after_register, gw_log, gw_uri, no_setup
from flows_identity import pbx_ids

USERS = {"2001": "secret1", "2002": "secret2", "2003": "secret3", "2004": "secret4"}
CALLEE_CONNECTED = ["< INVITE", "> 100/INVITE", "> 180/INVITE", "> 200/INVITE", "< ACK", "< BYE", "> 200/BYE"]


def users_conf(tb, keys=None, extra=""):
    """A registrar whose users carry forwarding keys: {"2002": 'forward_all = "2003";'}."""
    keys = keys or {}
    users = ", ".join('{ user = "%s"; password = "%s"; %s }' % (u, p, keys.get(u, ""))
                      for u, p in sorted(USERS.items()))
    return 'registrar = { realm = "sipgw"; users = ( %s ); min_expires = 10; };\n%s' % (users, extra)


def phone_of(tb, name, user, *args):
    """A phone that registers user and waits for calls."""
    ph = tb.phone(name, "--user", user, "--register", gw_uri(tb), "--auth", "%s:%s" % (user, USERS[user]),
                  *args)
    ph.wait_line(r"EVENT registered expires=\d+ contacts=1")
    return ph


def diversion(phone):
    div = phone.wait_line(r"EVENT call \d+ diversion (.*)$").group(1)
    hist = phone.wait_line(r"EVENT call \d+ history-info (.*)$").group(1)
    return div, hist


def caller(tb, number, *args):
    """Phone A (from a trusted address, so no digest) calls number through the gateway."""
    return tb.phone("phone-a", "--user", "2001", "--call", "sip:%s@127.0.0.1:%d" % (number, tb.sip_port),
                    "--exit-after-calls", "1", *args)


def forwarded_call(tb, keys, b_args, want_reason, want_cause):
    """A calls 2002, which forwards to 2003 (C answers); A's ladder is a
    connected call, C's INVITE carries Diversion and History-Info naming 2002."""
    tb.gateway(tb.config([pots_peer(900, "9T")], extra=users_conf(tb, keys)))
    b = phone_of(tb, "phone-b", "2002", *b_args)
    c = phone_of(tb, "phone-c", "2003", "--answer-after", "0.2", "--tone", "2000", "--detect", "1000",
                 "--exit-after-calls", "1")
    a = caller(tb, "2002", "--hangup-after", "1.0", "--tone", "1000", "--detect", "2000")
    div, hist = diversion(c)
    if a.wait_exit() != 0 or c.wait_exit() != 0:
        raise FlowError("a phone failed")
    expect_ladder("phone A", sip_ladder(a.lines()), CALLER_CONNECTED)
    expect_ladder("phone C", after_register(sip_ladder(c.lines())), CALLEE_CONNECTED)
    if "sip:2002@" not in div or "reason=%s" % want_reason not in div:
        raise FlowError("Diversion at C: %s (want 2002, reason=%s)" % (div, want_reason))
    if "sip:2002@" not in hist or "cause=%d" % want_cause not in hist:
        raise FlowError("History-Info at C: %s (want 2002, cause=%d)" % (hist, want_cause))
    # the forwarded call keeps its caller, and audio crosses A <-> C
    from_a = c.wait_line(r"EVENT call \d+ incoming from=(\S+)").group(1)
    if "2001" not in from_a:
        raise FlowError("C sees the call from %s, not from 2001" % from_a)
    fl.check_audio_crossed(a, c, pbx_hz=1000, phone_hz=2000)
    return b


@flow
@fl.no_pri
def b10_forward_unconditional(tb):
    """B-10: 2002 forwards all calls to 2003: A's INVITE goes straight to C (B never rings); C sees Diversion reason=unconditional and History-Info cause=302 naming 2002."""
    b = forwarded_call(tb, {"2002": 'forward_all = "2003";'}, [], "unconditional", 302)
    if [ln for ln in after_register(sip_ladder(b.lines())) if "INVITE" in ln]:
        raise FlowError("B was rung: %s" % sip_ladder(b.lines()))


@flow
@fl.no_pri
def b11_forward_busy(tb):
    """B-11: B answers 486; 2002 forwards on busy to 2003: C rings and answers; Diversion reason=user-busy, History-Info cause=486."""
    b = forwarded_call(tb, {"2002": 'forward_busy = "2003";'}, ["--reject", "486"], "user-busy", 486)
    expect_ladder("phone B", after_register(sip_ladder(b.lines())), ["< INVITE", "> 100/INVITE", "> 486/INVITE",
                                                                     "< ACK"])


@flow
@fl.no_pri
def b12_forward_no_answer(tb):
    """B-12: B rings and never answers; after 2002's own forward_no_answer_timeout (1 s, the call's ring-no-answer is 30 s) B is cancelled and C rings; Diversion reason=no-answer, History-Info cause=408."""
    b = forwarded_call(tb, {"2002": 'forward_no_answer = "2003"; forward_no_answer_timeout = 1;'},
                       ["--ring-forever"], "no-answer", 408)
    expect_ladder("phone B", after_register(sip_ladder(b.lines())),
                  ["< INVITE", "> 100/INVITE", "> 180/INVITE", "< CANCEL", "> 200/CANCEL", "> 487/INVITE", "< ACK"])
    if not gw_log(tb, r"2002 did not answer in 1000 ms"):
        raise FlowError("no log line for the no-answer timer")


@flow
@fl.no_pri
def redirect_server_302_300(tb):
    """sipgw as the redirect server: a user set to redirect with one target answers 302 with its Contact; one with two targets 300 with both, q 1.0 and 0.9; a redirect dial-peer 302 to NUMBER@its target; nothing is relayed."""
    peer = sipraw.RawUAS()
    keys = {"2002": 'redirect = true; forward_all = "2003";',
            "2004": 'redirect = true; forward_all = "2003, 2001";'}
    conf = tb.config([pots_peer(900, "9T"), voip_peer(300, "3...", peer.port) + " redirect = true;"],
                     extra=users_conf(tb, keys))
    tb.gateway(conf)
    ua = sipraw.RawUA(tb.sip_port, "2001")
    try:
        r = ua.invite("2002")
        if r.status != 302 or r.all("contact") != ["<sip:2003@127.0.0.1:%d;user=phone>" % tb.sip_port]:
            raise FlowError("INVITE 2002: %d Contact %s, want 302 <sip:2003@...>" % (r.status, r.all("contact")))
        r = ua.invite("2004")
        contacts = ",".join(r.all("contact")).replace(" ", "")
        want = ("<sip:2003@127.0.0.1:%d;user=phone>;q=1.000,<sip:2001@127.0.0.1:%d;user=phone>;q=0.900"
                % (tb.sip_port, tb.sip_port))
        if r.status != 300 or contacts != want:
            raise FlowError("INVITE 2004: %d Contact %s, want 300 %s" % (r.status, contacts, want))
        r = ua.invite("3001")
        if r.status != 302 or r.all("contact") != ["<sip:3001@127.0.0.1:%d;user=phone>" % peer.port]:
            raise FlowError("INVITE 3001: %d Contact %s, want 302 to the dial-peer" % (r.status, r.all("contact")))
        if not peer.quiet_for(0.3):
            raise FlowError("the redirect dial-peer was sent the call: %s" % peer.requests)
    finally:
        ua.close()
        peer.close()


@flow
def follow_302_to_phone(tb):
    """PRI -> SIP: the voip peer answers 302 Contact sip:2002@elsewhere; sipgw routes 2002 (registered) and C answers with Diversion naming 2001 (reason unconditional); the PBX sees a connected call; the Contact's host is never sent anything."""
    peer = sipraw.RawUAS()
    other = sipraw.RawUAS()
    try:
        tb.gateway(tb.config([voip_peer(100, "2001", peer.port)], extra=users_conf(tb)))
        c = phone_of(tb, "phone-c", "2002", "--answer-after", "0.2", "--hangup-after", "0.5",
                     "--exit-after-calls", "1")
        pbx = tb.pbx("--call", "2001", "--calling", "5551000", "--exit-when-done")
        peer.answer_invite(302, "Moved Temporarily", ["Contact: <sip:2002@127.0.0.1:%d>" % other.port])
        div, hist = diversion(c)
        if pbx.wait_exit() != 0 or c.wait_exit() != 0:
            raise FlowError("a simulator failed")
        expect_ladder("PRI", q931_ladder(pbx.lines()),
                      ["> SETUP", "< CALL PROCEEDING", "< ALERTING", "< CONNECT", "> CONNECT ACKNOWLEDGE",
                       "< DISCONNECT cause=16", "> RELEASE", "< RELEASE COMPLETE"])
        expect_ladder("phone C", after_register(sip_ladder(c.lines())),
                      ["< INVITE", "> 100/INVITE", "> 180/INVITE", "> 200/INVITE", "< ACK", "> BYE", "< 200/BYE"])
        if "sip:2001@" not in div or "reason=unconditional" not in div or "cause=302" not in hist:
            raise FlowError("Diversion %s / History-Info %s at C" % (div, hist))
        if not other.quiet_for(0.2):
            raise FlowError("the Contact's host was sent something: %s" % other.requests)
    finally:
        peer.close()
        other.close()


def redirecting_phone(tb, user, uas):
    """user registered with its Contact on a raw UAS (which then answers 3xx)."""
    ua = sipraw.RawUA(tb.sip_port, user)
    r = ua.register_auth(USERS[user], contact="<sip:%s@127.0.0.1:%d>" % (user, uas.port))
    ua.close()
    if r.status != 200:
        raise FlowError("REGISTER %s: %d" % (user, r.status))


@flow
def follow_302_to_pri(tb):
    """SIP -> PRI: phone 2002 answers A's call with 302 Contact sip:95551234@...; sipgw routes it by the pots dial-peer with 2002's rights: SETUP called 5551234, calling 2001, redirecting 2002 reason 15 (unconditional)."""
    uas = sipraw.RawUAS()
    try:
        tb.gateway(tb.config([pots_peer(900, "9T")], extra=users_conf(tb)))
        redirecting_phone(tb, "2002", uas)
        pbx = tb.pbx("--exit-when-done", "--answer-after", "0.1")
        pbx.wait_line(r"EVENT dchan up")
        a = caller(tb, "2002", "--hangup-after", "0.5")
        uas.answer_invite(302, "Moved Temporarily", ["Contact: <sip:95551234@127.0.0.1:%d;user=phone>" % tb.sip_port])
        ids = pbx_ids(pbx)
        if a.wait_exit() != 0 or pbx.wait_exit() != 0:
            raise FlowError("a simulator failed")
        expect_ladder("phone A", sip_ladder(a.lines()), CALLER_CONNECTED)
        want = {"called": "5551234", "calling": "2001", "redirecting": "2002", "redirect_reason": "15"}
        got = {k: ids.get(k) for k in want}
        if got != want:
            raise FlowError("SETUP ids %s, want %s" % (got, want))
    finally:
        uas.close()


@flow
def redirect_to_pstn_refused(tb):
    """The door: 2002 may not reach the PSTN (pstn = false). Its phone's 302 to 95551234, and its forward_all to 95551234, are refused: no SETUP, A gets 410 (cause 23); the log says why. Its own INVITE to 95551234 gets 403."""
    uas = sipraw.RawUAS()
    try:
        keys = {"2002": "pstn = false;", "2003": 'pstn = false; forward_all = "95551234";'}
        tb.gateway(tb.config([pots_peer(900, "9T")], extra=users_conf(tb, keys), trusted=()))
        pbx = tb.pbx("--timeout", "15")
        pbx.wait_line(r"EVENT dchan up")
        redirecting_phone(tb, "2002", uas)
        a = tb.phone("phone-a", "--user", "2001", "--auth", "2001:%s" % USERS["2001"], "--call",
                     "sip:2002@127.0.0.1:%d" % tb.sip_port, "--call", "sip:2003@127.0.0.1:%d" % tb.sip_port,
                     "--exit-after-calls", "2")
        uas.answer_invite(302, "Moved Temporarily", ["Contact: <sip:95551234@127.0.0.1:%d;user=phone>" % tb.sip_port])
        if a.wait_exit() != 0:
            raise FlowError("phone A failed")
        finals = [ln for ln in sip_ladder(a.lines()) if re.match(r"< [2-6]\d\d/INVITE", ln) and "407" not in ln]
        if finals != ["< 410/INVITE", "< 410/INVITE"]:
            raise FlowError("A's final answers %s, want two 410 (cause 23)" % finals)
        if not no_setup(pbx):
            raise FlowError("a refused redirect reached the PRI")
        if not gw_log(tb, r"redirection by 2002 to 95551234 refused: the redirecting party may not reach the PSTN"):
            raise FlowError("no log line for the refused redirect")
        if not gw_log(tb, r"redirection by 2003 to 95551234 refused: the redirecting party may not reach the PSTN"):
            raise FlowError("no log line for the refused forward")
        ua = sipraw.RawUA(tb.sip_port, "2002")
        ch = sipraw.parse_challenge(ua.invite("95551234").get("proxy-authenticate"))
        r = ua.invite("95551234", auth=sipraw.digest_header(ch, "INVITE", "sip:95551234@127.0.0.1:%d;user=phone"
                                                          % tb.sip_port, "2002", USERS["2002"]))
        ua.close()
        if r.status != 403 or not no_setup(pbx):
            raise FlowError("2002's own call to the PSTN: %d, want 403 and no SETUP" % r.status)
    finally:
        uas.close()


@flow
def redirect_loop_stopped(tb):
    """PRI -> SIP: the peer redirects 2001 to 2002 and 2002 back to 2001: the loop is seen, nothing more is sent; the PBX gets cause 23 and the redirected INVITE carried Diversion naming 2001."""
    peer = sipraw.RawUAS()
    try:
        tb.gateway(tb.config([voip_peer(100, "2...", peer.port)], extra=users_conf(tb)))
        pbx = tb.pbx("--call", "2001", "--calling", "5551000", "--exit-when-done")
        first = peer.answer_invite(302, "Moved Temporarily", ["Contact: <sip:2002@127.0.0.1>"])
        second = peer.answer_invite(302, "Moved Temporarily", ["Contact: <sip:2001@127.0.0.1>"])
        if pbx.wait_exit() != 0:
            raise FlowError("PBX simulator failed")
        if not first.startswith("INVITE sip:2001@") or not second.startswith("INVITE sip:2002@"):
            raise FlowError("INVITEs %s / %s" % (first.split("\r\n")[0], second.split("\r\n")[0]))
        if "Diversion: <sip:2001@" not in second:
            raise FlowError("the redirected INVITE has no Diversion naming 2001")
        expect_ladder("PRI", q931_ladder(pbx.lines()),
                      ["> SETUP", "< CALL PROCEEDING", "< DISCONNECT cause=23", "> RELEASE", "< RELEASE COMPLETE"])
        if not peer.quiet_for(0.3):
            raise FlowError("the loop went on: %s" % peer.requests)
        if not gw_log(tb, r"redirection by 2002 to 2001 not followed: a loop"):
            raise FlowError("no log line for the loop")
    finally:
        peer.close()


@flow
@fl.no_pri
def forward_changed_by_sigusr1(tb):
    """Run-time change: 2002 forwards nowhere; the file gets forward_all = "2003" and SIGUSR1 re-reads it (logged); the next call to 2002 rings C."""
    conf = tb.config([pots_peer(900, "9T")], extra=users_conf(tb))
    gw = tb.gateway(conf)
    c = phone_of(tb, "phone-c", "2003", "--answer-after", "0.2", "--exit-after-calls", "1")
    with open(conf) as f:
        txt = f.read()
    with open(conf, "w") as f:
        f.write(txt.replace('password = "secret2"; ', 'password = "secret2"; forward_all = "2003"; '))
    os.kill(gw.p.pid, signal.SIGUSR1)
    gw.wait_line(r"forwarding of 2002 now: all \"2003\"", stream="err")
    a = caller(tb, "2002", "--hangup-after", "0.5")
    if a.wait_exit() != 0 or c.wait_exit() != 0:
        raise FlowError("a phone failed")
    expect_ladder("phone A", sip_ladder(a.lines()), CALLER_CONNECTED)


REGISTRAR_PEER = 'tag = 99; type = "voip"; destination_pattern = "2..."; session_target = "registrar";'


@flow
def forward_pri_to_pstn(tb):
    """PRI -> SIP -> PRI: a PSTN caller dials 2001, which forwards all calls to 95551234 (2001 has the PSTN right): the call comes back on the span as a new SETUP with called 5551234, the caller's number and redirecting 2001 reason 15; it is answered and the first call connects."""
    tb.gateway(tb.config([REGISTRAR_PEER, pots_peer(900, "9T")],
                         extra=users_conf(tb, {"2001": 'forward_all = "95551234";'})))
    pbx = tb.pbx("--call", "2001", "--calling", "5551000", "--answer-after", "0.1", "--hangup-after", "0.5",
                 "--exit-when-done")
    ids = pbx_ids(pbx)
    if pbx.wait_exit() != 0:
        raise FlowError("PBX simulator failed")
    want = {"called": "5551234", "calling": "5551000", "redirecting": "2001", "redirect_reason": "15"}
    got = {k: ids.get(k) for k in want}
    if got != want:
        raise FlowError("forwarded SETUP ids %s, want %s" % (got, want))
    if not pbx.wait_line(r"> CONNECT\b", timeout=1) or not pbx.wait_line(r"< CONNECT\b", timeout=1):
        raise FlowError("the forwarded call was not connected both ways: %s" % q931_ladder(pbx.lines()))


@flow
def forward_pri_to_pstn_refused(tb):
    """PRI -> SIP -> PRI refused: 2002 (pstn = false) forwards all calls to 95551234; the PSTN caller gets DISCONNECT cause 23 and no second SETUP reaches the span."""
    tb.gateway(tb.config([REGISTRAR_PEER, pots_peer(900, "9T")],
                         extra=users_conf(tb, {"2002": 'pstn = false; forward_all = "95551234";'})))
    pbx = tb.pbx("--call", "2002", "--calling", "5551000", "--answer-after", "0.1", "--exit-when-done")
    if pbx.wait_exit() != 0:
        raise FlowError("PBX simulator failed")
    expect_ladder("PRI", q931_ladder(pbx.lines()),
                  ["> SETUP", "< CALL PROCEEDING", "< DISCONNECT cause=23", "> RELEASE", "< RELEASE COMPLETE"])
    if not gw_log(tb, r"redirection by 2002 to 95551234 refused"):
        raise FlowError("no log line for the refused forward")


@flow
def follow_300_q_order_5xx_6xx(tb):
    """PRI -> SIP: the peer answers 300 with three Contacts, q 0.5, 1.0, 0.1: sipgw tries 3002 (q 1.0) first; its 503 moves on to 3001 (q 0.5), whose 603 ends the search (RFC 3261 16.7: 6xx is for the user everywhere): 3003 is never tried; the PBX gets cause 21."""
    peer = sipraw.RawUAS()
    other = sipraw.RawUAS()
    try:
        tb.gateway(tb.config([voip_peer(100, "2001", peer.port), voip_peer(200, "3...", other.port)]))
        pbx = tb.pbx("--call", "2001", "--calling", "5551000", "--exit-when-done")
        peer.answer_invite(300, "Multiple Choices",
                           ["Contact: <sip:3001@192.0.2.1>;q=0.5, <sip:3002@192.0.2.2>;q=1.0",
                            "Contact: <sip:3003@192.0.2.3>;q=0.1"])
        first = other.answer_invite(503, "Service Unavailable")
        second = other.answer_invite(603, "Decline")
        if pbx.wait_exit() != 0:
            raise FlowError("PBX simulator failed")
        got = [first.split("\r\n")[0].split()[1].split("@")[0], second.split("\r\n")[0].split()[1].split("@")[0]]
        if got != ["sip:3002", "sip:3001"]:
            raise FlowError("Contacts tried %s, want sip:3002 then sip:3001" % got)
        if not other.quiet_for(0.3):
            raise FlowError("a Contact was tried after the 603: %s" % other.requests)
        expect_ladder("PRI", q931_ladder(pbx.lines()),
                      ["> SETUP", "< CALL PROCEEDING", "< DISCONNECT cause=21", "> RELEASE", "< RELEASE COMPLETE"])
    finally:
        peer.close()
        other.close()


def phone_redirects(tb):
    """The phone simulator answers 3xx and follows them (--redirect-to, branch phonemid); skip until then."""
    import subprocess
    out = subprocess.run([tb.bin("sipgw-phone"), "--help"], capture_output=True, text=True)
    if "--redirect-to" not in out.stdout + out.stderr:
        raise fl.FlowSkip("sipgw-phone has no --redirect-to yet")


@flow
@fl.no_pri
def b10_redirect_server_phone_follows(tb):
    """B-10 with sipgw as the redirect server: phone A calls 2002 (redirect = true, forward_all = "2003"); sipgw answers 302 Contact sip:2003@sipgw; A follows it itself, through the door, and C answers."""
    phone_redirects(tb)
    tb.gateway(tb.config([pots_peer(900, "9T")],
                         extra=users_conf(tb, {"2002": 'redirect = true; forward_all = "2003";'})))
    c = phone_of(tb, "phone-c", "2003", "--answer-after", "0.2", "--exit-after-calls", "1")
    a = caller(tb, "2002", "--hangup-after", "0.5")
    target = "sip:2003@127.0.0.1:%d;user=phone" % tb.sip_port
    a.wait_line(r"EVENT call \d+ redirected status=302 to=%s$" % re.escape(target))
    if a.wait_exit() != 0 or c.wait_exit() != 0:
        raise FlowError("a phone failed")
    expect_ladder("phone A", sip_ladder(a.lines()),
                  ["> INVITE", "< 100/INVITE", "< 302/INVITE", "> ACK"] + CALLER_CONNECTED)
    expect_ladder("phone C", after_register(sip_ladder(c.lines())),
                  ["< INVITE", "> 100/INVITE", "> 180/INVITE", "> 200/INVITE", "< ACK", "< BYE", "> 200/BYE"])


@flow
@fl.no_pri
def follow_302_from_phone(tb):
    """A registered phone redirects (B answers 302 Contact sip:2003@sipgw): sipgw follows it for A with B's rights; C answers with Diversion naming 2002; A sees one call, never the 302."""
    phone_redirects(tb)
    tb.gateway(tb.config([pots_peer(900, "9T")], extra=users_conf(tb)))
    b = phone_of(tb, "phone-b", "2002", "--redirect-to", "sip:2003@127.0.0.1:%d" % tb.sip_port,
                 "--exit-after-calls", "1")
    c = phone_of(tb, "phone-c", "2003", "--answer-after", "0.2", "--exit-after-calls", "1")
    a = caller(tb, "2002", "--hangup-after", "0.5")
    div, hist = diversion(c)
    if a.wait_exit() != 0 or c.wait_exit() != 0:
        raise FlowError("a phone failed")
    expect_ladder("phone A", sip_ladder(a.lines()), CALLER_CONNECTED)
    expect_ladder("phone B", after_register(sip_ladder(b.lines())), ["< INVITE", "> 100/INVITE", "> 302/INVITE",
                                                                     "< ACK"])
    if "sip:2002@" not in div or "reason=unconditional" not in div or "cause=302" not in hist:
        raise FlowError("Diversion %s / History-Info %s at C" % (div, hist))


@flow
@fl.no_pri
def forked_302_joins_targets(tb):
    """2002 has two phones, both rung: the first answers 302 to 2003 while the second still rings; when the second answers 486, the 302's Contact is tried (RFC 3261 16.7: a 3xx adds to the targets, only a 6xx ends the search) and C answers A's call with Diversion naming 2002."""
    first, second = sipraw.RawUAS(), sipraw.RawUAS()
    try:
        tb.gateway(tb.config([pots_peer(900, "9T")], extra=users_conf(tb)))
        redirecting_phone(tb, "2002", first)
        redirecting_phone(tb, "2002", second)
        c = phone_of(tb, "phone-c", "2003", "--answer-after", "0.2", "--exit-after-calls", "1")
        a = caller(tb, "2002", "--hangup-after", "0.5")
        first.answer_invite(302, "Moved Temporarily", ["Contact: <sip:2003@127.0.0.1>"])
        second.answer_invite(486, "Busy Here")
        div, _ = diversion(c)
        # the 302's Contact waited for the phone still ringing
        log = [p for p in tb.procs if p.name == "sipgw"][-1].errlines()
        at = [i for i, ln in enumerate(log) if "< 486 Busy Here" in ln or "redirected by 2002 to 2003" in ln]
        if len(at) != 2 or "486" not in log[at[0]]:
            raise FlowError("the 302 was followed while the other phone still rang: %s" % [log[i] for i in at])
        if a.wait_exit() != 0 or c.wait_exit() != 0:
            raise FlowError("a phone failed")
        expect_ladder("phone A", sip_ladder(a.lines()), CALLER_CONNECTED)
        if "sip:2002@" not in div or "reason=unconditional" not in div:
            raise FlowError("Diversion at C: %s" % div)
    finally:
        first.close()
        second.close()


@flow
def b10_forward_unconditional_pri_caller(tb):
    """B-10 with A on the PRI: the PBX calls 2002, which forwards all calls to 2003: C rings (B
    never does), its INVITE carries Diversion and History-Info naming 2002 and the PBX caller's
    number; C answers, audio crosses both ways, the PBX's call clears normally."""
    tb.gateway(tb.config([REGISTRAR_PEER], extra=users_conf(tb, {"2002": 'forward_all = "2003";'})))
    b = phone_of(tb, "phone-b", "2002")
    c = phone_of(tb, "phone-c", "2003", "--answer-after", "0.2", "--tone", "1000", "--detect", "2000",
                 "--exit-after-calls", "1")
    pbx = tb.pbx("--call", "2002", "--calling", "5551000", "--exit-when-done", "--hangup-after", "1.5",
                 "--tone", "2000", "--detect", "1000")
    div, hist = diversion(c)
    if pbx.wait_exit() != 0 or c.wait_exit() != 0:
        raise FlowError("a simulator failed")
    if [ln for ln in after_register(sip_ladder(b.lines())) if "INVITE" in ln]:
        raise FlowError("B was rung: %s" % sip_ladder(b.lines()))
    expect_ladder("PRI", fl.q931_ladder(pbx.lines()),
                  fl.PBX_CONNECTED + ["> DISCONNECT cause=16", "< RELEASE", "> RELEASE COMPLETE"])
    if "sip:2002@" not in div or "reason=unconditional" not in div or "sip:2002@" not in hist:
        raise FlowError("Diversion/History-Info at C: %s / %s (want 2002, unconditional)" % (div, hist))
    if "5551000" not in c.wait_line(r"EVENT call \d+ incoming from=(\S+)").group(1):
        raise FlowError("C does not see the PBX caller's number")
    fl.check_audio_crossed(pbx, c)
