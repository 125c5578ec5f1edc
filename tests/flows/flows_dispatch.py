# sipgw call-flow tests (issue 14 item 7): more than one box behind Kamailio's
# dispatcher, as a voice engineer checks a gateway pool: two sipgw, each with
# its own span and PBX, behind one Kamailio running dist/kamailio-dispatcher.cfg
# (with this test's ports and short timers). Calls from SIPp through Kamailio
# spread over both; one gateway killed mid-load loses only the calls that were
# up on it, and every call after that completes on the other; a gateway whose
# D-channel is down, or whose B-channels are all busy, answers the dispatcher's
# OPTIONS 503, is routed around without a call failing, and comes back; only
# CALLERS_NET reaches a trunk; the gateways' own calls go out through it.
# Loopback spans only: each gateway here has its own span, and one fake DAHDI
# (its ctl socket, its span numbers) serves one process.
# SPDX-License-Identifier: GPL-2.0-only
import datetime
import os
import re
import shutil
import signal
import socket
import subprocess
import time

import flowlib as fl
from flowlib import FlowError, flow, pots_peer, voip_peer

import peers
import sipraw

SAMPLE = os.path.join(fl.SRCDIR, "dist", "kamailio-dispatcher.cfg")
PING_S = 1          # ds_ping_interval in the test (the sample's is 5)
FR_MS = 1000        # tm fr_timer: a dead gateway's INVITE fails over after this


def dispatcher_cfg(tb, kam_dir, gw_ports, callers="127.0.0.1/32", upstream=None):
    """The sample config with the test's values in its #!define lines (each must be there
    once, so a reshaped sample fails here, not silently), and its dispatcher.list with the
    gateways on 127.0.0.1:gw_ports. Returns (cfg text, kamcmd socket)."""
    os.makedirs(kam_dir, exist_ok=True)
    ds_list = os.path.join(kam_dir, "dispatcher.list")
    with open(ds_list, "w") as f:
        f.write("".join("1 sip:127.0.0.1:%d 8 0 weight=50\n" % p for p in gw_ports))
    # kamailio's -w is kam_dir: a relative socket keeps under the 104 bytes its ctl takes
    ctl = os.path.join(kam_dir, "ctl")
    values = {
        "DS_LIST": '"%s"' % ds_list,
        "PING_INTERVAL": str(PING_S),
        "FR_TIMER": str(FR_MS),
        "FR_INV_TIMER": "5000",     # the PBXs answer in 0.1 s; a call in setup on a dead box ends in 5 s
        "CALLERS_NET": '"%s"' % callers,
        "UPSTREAM": '"sip:127.0.0.1:%d"' % (upstream or 9),   # 9: discard, no call from the PRI side
        "CTL_SOCKET": '"unix:ctl"',
    }
    with open(SAMPLE) as f:
        txt = f.read()
    for k, v in values.items():
        txt, n = re.subn(r"^#!define %s .*$" % k, "#!define %s %s" % (k, v), txt, flags=re.M)
        if n != 1:
            raise FlowError("%s: no single '#!define %s' line to set" % (SAMPLE, k))
    # the runner listens with -l udp:127.0.0.1:PORT
    txt, n = re.subn(r"^listen=LISTEN$", "", txt, flags=re.M)
    if n != 1:
        raise FlowError("%s: no 'listen=LISTEN' line" % SAMPLE)
    return txt, ctl


def gateway(tb, name, span, kam_port, extra=""):
    """A sipgw named name on 127.0.0.1 and a free port (.port) with its own loopback span,
    control socket and CDR (gateway "a" is the testbed's own: tb.ctl, tb.cdr_path); 9 + number
    to its span, extensions 2... to Kamailio. A port another flow took between our pick and
    the bind is picked again."""
    for attempt in range(3):
        port = fl.free_port()
        saved = tb.sip_port
        tb.sip_port = port
        try:
            conf = tb.config([pots_peer(900, "9T", port=span), voip_peer(100, "2...", kam_port)],
                             spans=[(span, "t1", "ni2")], extra=extra)
        finally:
            tb.sip_port = saved
        with open(conf) as f:
            txt = f.read()
        # a test box loaded by the other flows must not shed calls by the 50 ms default (that
        # is flows_overload.py's): here a shed call could not be told from a dispatcher fault
        txt, n = re.subn(r"(sip = \{[^}]*)\};", r"\1 max_queue_delay = 0.5; };", txt, count=1)
        if n != 1:
            raise FlowError("no sip group in %s" % conf)
        cdr = tb.cdr_path
        if name != "a":
            cdr = os.path.join(tb.dir, "cdr-%s.db" % name)
            txt = txt.replace(tb.ctl_path, os.path.join(tb.dir, "ctl-%s.sock" % name)).replace(tb.cdr_path, cdr)
        path = os.path.join(tb.dir, "sipgw-%s.conf" % name)
        with open(path, "w") as f:
            f.write(txt)
        gw = tb.start("sipgw-%s%s" % (name, ".%d" % attempt if attempt else ""), [tb.bin("sipgw"), "-c", path])
        gw.cdr_path = cdr
        gw.port = port
        try:
            gw.wait_line(r"sipgw running", stream="err")
            return gw
        except FlowError:
            if attempt == 2 or not [ln for ln in gw.errlines() if "Address already in use" in ln]:
                raise


def pbx(tb, span, calls):
    """The PBX on span: answers up to calls SETUPs 0.1 s after they come, never hangs up."""
    p = tb.pbx("--answer-after", "0.1", "--calls-in", str(calls), "--timeout", "60", span=span,
               name="pbx-" + span)
    p.wait_line(r"EVENT dchan up")
    return p


def load_scenario(hold_ms):
    """SIPp's calls: INVITE 95551234 through Kamailio, 200, ACK, hold_ms, BYE; a BYE with no
    200 within 3 s (its gateway is gone) fails the call, so each call is up or lost."""
    return peers.uac_scenario("95551234", bye_after_ms=hold_ms, bye_timeout_ms=3000)


def sipp_calls(sipp):
    """{Call-ID: {"gw": port of the Contact in its 200 (the gateway that took it) or None,
    "ok": its BYE got a 200, "final": the INVITE's final status line}} from SIPp's message log."""
    calls = {}
    for d, first, text in sipp.messages():
        cid = peers.header(text, "Call-ID")
        c = calls.setdefault(cid, {"gw": None, "ok": False, "final": None})
        cseq = peers.header(text, "CSeq") or ""
        if d == "<" and re.match(r"SIP/2\.0 [2-6]\d\d", first) and cseq.endswith("INVITE"):
            c["final"] = first
        if d == "<" and first.startswith("SIP/2.0 200") and cseq.endswith("INVITE"):
            m = re.search(r"[@:]127\.0\.0\.1:(\d+)", peers.header(text, "Contact") or "")
            c["gw"] = int(m.group(1)) if m else None
        if d == "<" and first.startswith("SIP/2.0 200") and cseq.endswith("BYE"):
            c["ok"] = True
    return calls


def invites_sent(sipp):
    """{Call-ID: datetime} when SIPp sent each call's INVITE, its first message (the message
    log's time stamps are local time, as datetime.now())."""
    sent, stamp, out = {}, None, False
    with open(sipp.message_file, errors="replace") as f:
        for ln in f:
            m = re.match(r"^-{20,} (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)$", ln.rstrip("\n"))
            if m:
                stamp, out = datetime.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S.%f"), False
            elif re.match(r"^\w+ message sent", ln):
                out = True
            elif out and re.match(r"^Call-ID\s*:", ln, re.I):
                sent.setdefault(ln.split(":", 1)[1].strip(), stamp)
                out = False
    return sent


def dispatched(kam):
    """[(Call-ID, gateway port)] in the order Kamailio dispatched each INVITE (first tries
    and failovers), from its "dispatch: CALL-ID NUMBER to URI" lines."""
    order = []
    for ln in kam.errlines():
        m = re.search(r"dispatch: (\S+) \d+ to sip:127\.0\.0\.1:(\d+)", ln)
        if m:
            order.append((m.group(1), int(m.group(2))))
    return order


def kamcmd_flags(ctl):
    """{port: FLAGS} from `kamcmd dispatcher.list` ("AP" in, "IP" out), or None without kamcmd."""
    if not shutil.which("kamcmd"):
        return None
    r = subprocess.run(["kamcmd", "-s", "unix:" + ctl, "dispatcher.list"], capture_output=True, text=True,
                       timeout=10)
    return dict((int(p), f) for p, f in re.findall(r"URI: sip:127\.0\.0\.1:(\d+)\s+FLAGS: (\w+)", r.stdout))


def wait_kam(kam, rx, timeout):
    deadline = time.monotonic() + timeout
    while not kam.log(rx):
        if time.monotonic() > deadline:
            raise FlowError("kamailio: no /%s/ within %.1fs: %s" % (rx, timeout, " | ".join(kam.errlines()[-10:])))
        time.sleep(0.02)


def pool(tb, start_pbx_b=True, calls=100, answering=True, upstream=None, callers="127.0.0.1/32", b_extra=""):
    """Two gateways a and b, a PBX answering on a's span (and on b's), Kamailio in front
    (sending the gateways' calls to 127.0.0.1:upstream)."""
    fl.skip_unless_loopback("two gateways in one testbed: one fake DAHDI serves one")
    kport = peers.free_port()
    ga = gateway(tb, "a", "gw-a", kport)
    gb = gateway(tb, "b", "gw-b", kport, extra=b_extra)
    cfg, ctl = dispatcher_cfg(tb, os.path.join(tb.dir, "kamailio"), [ga.port, gb.port], upstream=upstream,
                              callers=callers)
    xa = pbx(tb, "gw-a", calls) if answering else None
    xb = pbx(tb, "gw-b", calls) if answering and start_pbx_b else None
    kam = peers.Kamailio(tb, cfg, port=kport)
    kam.ctl = ctl
    return ga, gb, xa, xb, kam


@flow
def dispatch_kill_gateway_mid_load(tb):
    """SIPp at 8 calls/s through Kamailio's dispatcher, round robin over two sipgw; gateway a SIGKILLed
    with calls up: only the calls up (counted) or in setup on it are lost, the INVITEs sent to it dead
    fail over, and once Kamailio marks it down (its log, kamcmd) every new call completes through b."""
    ga, gb, xa, xb, kam = pool(tb)
    sipp = peers.Sipp(tb, "sipp-load", load_scenario(1500), remote="127.0.0.1:%d" % kam.port,
                      calls=56, rtp_echo=True, timeout=40, extra=("-r", "8", "-l", "30"))
    # load on both, then the kill with a few calls up on a
    xa.wait_count(r"EVENT call \d+ connected", 8, timeout=15)
    xb.wait_count(r"EVENT call \d+ connected", 3, timeout=15)
    ga.p.send_signal(signal.SIGKILL)
    ga.p.wait()
    killed_at = time.monotonic()
    # a dead box: what is sent to it goes unanswered. Its port is held, unread, so that no
    # other flow's program that picks a free port takes it and answers Kamailio's pings
    tomb = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tomb.bind(("127.0.0.1", ga.port))
    try:
        after_kill(tb, ga, gb, xa, kam, sipp, killed_at)
    finally:
        tomb.close()


def after_kill(tb, ga, gb, xa, kam, sipp, killed_at):
    """dispatch_kill_gateway_mid_load from the kill on."""
    # what a's PBX had up when its gateway went: connected, and no DISCONNECT from the
    # gateway yet (its clearing began); a call caught between DISCONNECT and RELEASE COMPLETE
    # may have had its BYE answered or not, so it may count either way
    xa.wait_line(r"EVENT dchan down")
    n_conn = len([ln for ln in xa.lines() if re.search(r"EVENT call \d+ connected", ln)])
    n_disc = len([ln for ln in xa.lines() if re.search(r"Q931 < DISCONNECT", ln)])
    n_ended = len([ln for ln in xa.lines() if re.search(r"EVENT call \d+ ended", ln)])
    a_up, a_clearing = n_conn - n_disc, n_disc - n_ended
    wait_kam(kam, r"dispatcher: gateway sip:127\.0\.0\.1:%d down$" % ga.port, 5 * PING_S + 3)
    down_seen = datetime.datetime.now()
    down_s = time.monotonic() - killed_at
    flags = kamcmd_flags(kam.ctl)
    if flags is not None and (flags.get(ga.port, "")[:1] != "I" or flags.get(gb.port, "")[:1] != "A"):
        raise FlowError("kamcmd dispatcher.list after the kill: %s (a %d out, b %d in wanted)" % (
            flags, ga.port, gb.port))
    sipp.wait_exit(40)
    calls = sipp_calls(sipp)
    if len(calls) != 56:
        raise FlowError("SIPp placed %d calls, not 56" % len(calls))
    order = dispatched(kam)
    tries = dict((c, [p for x, p in order if x == c]) for c in calls)
    lost = [c for c, v in calls.items() if not v["ok"]]
    on_a = [c for c, v in calls.items() if v["gw"] == ga.port]
    on_b = [c for c, v in calls.items() if v["gw"] == gb.port]
    # lost with a: up on it (its 200, then no 200 to the BYE), or in setup on it: a had
    # answered the INVITE (100 Trying), so it is not tried elsewhere, and it died before
    # its final answer: Kamailio's 408 at fr_inv_timer
    up_lost = [c for c in lost if calls[c]["gw"] == ga.port]
    setup_lost = [c for c in lost if calls[c]["gw"] is None and tries[c] == [ga.port] and
                  (calls[c]["final"] or "").startswith("SIP/2.0 408")]
    bad = [c for c in lost if c not in up_lost and c not in setup_lost]
    if bad:
        raise FlowError("calls lost that were not on the killed gateway: %s; Kamailio's gateway states: %s; "
                        "overload on b: %s" % (
                            [(c, calls[c]["final"], tries[c]) for c in bad[:5]],
                            kam.log(r"dispatcher: gateway|no gateway"),
                            [ln for ln in gb.errlines() if "overload:" in ln]))
    # a's PBX's view: each call it had up is lost, as up on SIP too, or (a died between the
    # CONNECT and its 200 OK) in setup; no call counted up on SIP was not up at the PBX
    if not (len(up_lost) <= a_up + a_clearing and a_up <= len(up_lost) + len(setup_lost)):
        raise FlowError("%d calls up on a lost and %d in setup, but its PBX had %d up when it died "
                        "(%d clearing)" % (len(up_lost), len(setup_lost), a_up, a_clearing))
    # every call SIPp placed once the mark-down was in Kamailio's log went to b alone, no try on a
    sent = invites_sent(sipp)
    after = [c for c in calls if sent.get(c) and sent[c] > down_seen]
    bad = [(c, tries[c]) for c in after if tries[c] != [gb.port] or not calls[c]["ok"]]
    if len(after) < 10 or bad:
        raise FlowError("of %d calls placed after a was marked down, these did not go to b alone and "
                        "complete: %s" % (len(after), bad[:5]))
    before = [c for c in calls if c not in after]
    before_a = [c for c in before if tries[c][:1] == [ga.port]]
    before_b = [c for c in before if tries[c][:1] == [gb.port]]
    if not before_a or not before_b:
        raise FlowError("calls not spread before the kill: %d to a, %d to b" % (len(before_a), len(before_b)))
    failed_over = [c for c in calls if len(tries[c]) > 1]
    if any(tries[c] != [ga.port, gb.port] or not calls[c]["ok"] for c in failed_over):
        raise FlowError("a call that failed over did not go a, then b, and complete: %s" %
                        [(c, tries[c]) for c in failed_over])
    print("  dispatch: %d calls, %d on a, %d on b, %d lost (%d up on a at the kill, %d in setup on it), "
          "%d failed over, a marked down %.1f s after the kill, %d calls after that all on b; kamcmd %s" % (
              len(calls), len(on_a), len(on_b), len(lost), len(up_lost), len(setup_lost), len(failed_over),
              down_s, len(after), flags))


@flow
def dispatch_dchan_down_routed_around(tb):
    """Gateway b's span has no PBX (D-channel down): b answers the dispatcher's OPTIONS 503 with
    Retry-After, Kamailio takes it out, every call goes to a and none fails; b's PBX comes: its
    D-channel up, OPTIONS 200, Kamailio puts it back and calls spread over both again."""
    ga, gb, xa, _, kam = pool(tb, start_pbx_b=False)
    wait_kam(kam, r"dispatcher: gateway sip:127\.0\.0\.1:%d down$" % gb.port, 3 * PING_S + 3)
    gb.wait_line(r"OPTIONS from 127\.0\.0\.1: 503, every span's D-channel is down", stream="err")
    if kam.log(r"dispatcher: gateway sip:127\.0\.0\.1:%d down$" % ga.port):
        raise FlowError("gateway a (D-channel up) marked down: %s" % kam.log(r"dispatcher: gateway"))
    sipp = peers.Sipp(tb, "sipp-a", load_scenario(300), remote="127.0.0.1:%d" % kam.port,
                      calls=6, rtp_echo=True, extra=("-r", "10"))
    sipp.check_passed(20)
    calls = sipp_calls(sipp)
    if any(v["gw"] != ga.port or not v["ok"] for v in calls.values()) or len(calls) != 6:
        raise FlowError("with b out, calls not all completed on a: %s" % calls)
    xb = pbx(tb, "gw-b", 100)
    wait_kam(kam, r"dispatcher: gateway sip:127\.0\.0\.1:%d up$" % gb.port, 3 * PING_S + 3)
    sipp2 = peers.Sipp(tb, "sipp-both", load_scenario(300), remote="127.0.0.1:%d" % kam.port,
                       calls=6, rtp_echo=True, extra=("-r", "10"))
    sipp2.check_passed(20)
    calls = sipp_calls(sipp2)
    gws = sorted(v["gw"] for v in calls.values())
    if gws.count(ga.port) != 3 or gws.count(gb.port) != 3:
        raise FlowError("b back in: round robin should give 3 calls each, got %s" % gws)
    xb.wait_count(r"EVENT call \d+ connected", 3)


@flow
def dispatch_full_gateway_routed_around(tb):
    """Gateway b with one ordinary B-channel (22 of 23 kept for emergency calls): once it carries
    a call its OPTIONS get 503 (every B-channel busy) and Kamailio takes it out, an INVITE it gets
    meanwhile is refused 503 and fails over to a; every call completes; when b's call ends it is
    back in."""
    ga, gb, xa, xb, kam = pool(tb, b_extra='emergency = { numbers = ( { pattern = "911"; } ); '
                               'reserved_channels = 22; };\n')
    sipp = peers.Sipp(tb, "sipp-full", load_scenario(2500), remote="127.0.0.1:%d" % kam.port,
                      calls=8, rtp_echo=True, extra=("-r", "4"))
    wait_kam(kam, r"dispatcher: gateway sip:127\.0\.0\.1:%d down$" % gb.port, 3 * PING_S + 5)
    gb.wait_line(r"OPTIONS from 127\.0\.0\.1: 503, every B-channel is busy", stream="err")
    sipp.check_passed(30)
    calls = sipp_calls(sipp)
    on_b = [c for c, v in calls.items() if v["gw"] == gb.port]
    if len(calls) != 8 or any(not v["ok"] or v["gw"] not in (ga.port, gb.port) for v in calls.values()):
        raise FlowError("not every call completed on a gateway: %s" % calls)
    if len(on_b) != 1:
        raise FlowError("gateway b, with one ordinary B-channel, took %d calls" % len(on_b))
    order = dispatched(kam)
    tries = dict((c, [p for x, p in order if x == c]) for c in calls)
    refused = [c for c in calls if tries[c] == [gb.port, ga.port]]
    if len(kam.log(r"dispatch: \S+: 503 from sip:127\.0\.0\.1:%d$" % gb.port)) != len(refused):
        raise FlowError("b's 503s and the calls that failed over to a differ: %s / %s" % (
            kam.log(r": 503 from"), refused))
    wait_kam(kam, r"dispatcher: gateway sip:127\.0\.0\.1:%d up$" % gb.port, 3 * PING_S + 5)
    print("  dispatch: 8 calls, 1 on b (full after it), %d refused by b 503 and completed on a, "
          "b out while full and back after" % len(refused))

@flow
def dispatch_refuses_callers_outside_callers_net(tb):
    """sipgw trusts the proxy, so the proxy guards the trunks: an INVITE from 127.0.0.2 (not in
    CALLERS_NET) gets Kamailio's 403, so does one forged as in-dialog (To tag, Route to gateway a);
    no SETUP on either span. The same INVITE from 127.0.0.1 is dispatched and answered."""
    ga, gb, xa, xb, kam = pool(tb)
    ua = sipraw.RawUA(kam.port, "6666", local="127.0.0.2")
    try:
        r = ua.invite("95551234")
        if r.status != 403:
            raise FlowError("INVITE from 127.0.0.2: %d %s, want 403" % (r.status, r.phrase))
        # a re-INVITE of no dialog, its Route set through Kamailio on to gateway a
        sdp = ua.sdp()
        ua.send("\r\n".join([
            "INVITE sip:95551234@127.0.0.1:%d SIP/2.0" % ga.port,
            "Via: SIP/2.0/UDP 127.0.0.2:%d;branch=z9hG4bKforged1;rport" % ua.port,
            "Route: <sip:127.0.0.1:%d;lr>, <sip:127.0.0.1:%d;lr>" % (kam.port, ga.port),
            "Max-Forwards: 70", "From: <sip:6666@127.0.0.2>;tag=forgedfrom",
            "To: <sip:95551234@127.0.0.1>;tag=forgedto", "Call-ID: forged-%d@127.0.0.2" % ua.port,
            "CSeq: 2 INVITE", "Contact: <sip:6666@127.0.0.2:%d>" % ua.port,
            "Content-Type: application/sdp", "Content-Length: %d" % len(sdp), "", sdp]))
        r = ua.recv_final()
        if r.status != 403:
            raise FlowError("forged in-dialog INVITE from 127.0.0.2: %d %s, want 403" % (r.status, r.phrase))
    finally:
        ua.close()
    if len(kam.log(r"dispatch: INVITE .* from 127\.0\.0\.2:\d+ refused, not in CALLERS_NET")) != 2:
        raise FlowError("Kamailio did not log both refusals: %s" % kam.log(r"refused"))
    sipp = peers.Sipp(tb, "sipp-ok", load_scenario(200), remote="127.0.0.1:%d" % kam.port, calls=1)
    sipp.check_passed(15)
    for x in (xa, xb):
        setups = [ln for ln in x.lines() if "Q931 < SETUP" in ln]
        if len(setups) > 1:
            raise FlowError("%s got %d SETUPs: only the trusted caller's one call may reach a span" % (
                x.name, len(setups)))
    if sum(1 for x in (xa, xb) for ln in x.lines() if "Q931 < SETUP" in ln) != 1:
        raise FlowError("the trusted caller's call did not reach a span")


@flow
def dispatch_pri_side_calls_through_kamailio(tb):
    """The PBX side: each gateway's dial-peer 2... points at Kamailio, which sends the gateways'
    calls (ds_is_from_list) to UPSTREAM, a SIPp UAS; a call from each PBX, each gateway's BYE
    through Kamailio when its PBX hangs up (CALLERS_NET empty here: the gateways are let through
    as gateways)."""
    for attempt in range(3):    # a port another flow took between SIPp's pick and its bind: again
        try:
            uas = peers.Sipp(tb, "sipp-upstream%s" % (".%d" % attempt if attempt else ""),
                             peers.uas_scenario(), calls=2)
            break
        except FlowError as e:
            if attempt == 2 or "Address already in use" not in str(e):
                raise
    # no caller allowed: what passes, passes as a gateway's
    ga, gb, _, _, kam = pool(tb, answering=False, upstream=uas.port, callers="192.0.2.1/32")
    for span in ("gw-a", "gw-b"):
        x = tb.pbx("--call", "2001", "--calling", "5551000", "--hangup-after", "0.5", "--exit-when-done",
                   span=span, name="pbx-" + span)
        if x.wait_exit() != 0:
            raise FlowError("%s: the call to 2001 failed: %s" % (x.name, fl.q931_ladder(x.lines())))
    uas.check_passed()

    def vias(t):
        return " ".join(re.findall(r"^(?:Via|v)\s*:.*$", t, re.M | re.I))
    for gw in (ga, gb):
        for m in ("INVITE", "BYE"):
            got = [t for t in uas.find("<", r"^%s " % m) if "127.0.0.1:%d;" % gw.port in vias(t)]
            if len(got) != 1 or "127.0.0.1:%d;" % kam.port not in vias(got[0]):
                raise FlowError("gateway %d's %s: %d at the UAS, want one through Kamailio (%d): %s" % (
                    gw.port, m, len(got), kam.port, [vias(t) for t in got]))
