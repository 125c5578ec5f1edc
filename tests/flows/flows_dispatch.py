# sipgw call-flow tests (issue 14 item 7): more than one box behind Kamailio's
# dispatcher, as a voice engineer checks a gateway pool: two sipgw, each with
# its own span and PBX, behind one Kamailio running dist/kamailio-dispatcher.cfg
# (with this test's ports and short timers). Calls from SIPp through Kamailio
# spread over both; one gateway killed mid-load loses only the calls that were
# up on it, and every call after that completes on the other; a gateway whose
# D-channel is down answers the dispatcher's OPTIONS 503, is routed around
# without a call failing, and comes back when its D-channel does.
# SPDX-License-Identifier: GPL-2.0-only
import os
import re
import shutil
import signal
import subprocess
import time

import flowlib as fl
from flowlib import FlowError, flow, pots_peer

import peers

SAMPLE = os.path.join(fl.SRCDIR, "dist", "kamailio-dispatcher.cfg")
PING_S = 1          # ds_ping_interval in the test (the sample's is 5)
FR_MS = 1000        # tm fr_timer: a dead gateway's INVITE fails over after this


def dispatcher_cfg(tb, kam_dir, gw_ports, callers="127.0.0.1/32"):
    """The sample config with the test's values in its #!define lines (each must be there
    once, so a reshaped sample fails here, not silently), and its dispatcher.list with the
    gateways on 127.0.0.1:gw_ports. Returns (cfg text, kamcmd socket)."""
    os.makedirs(kam_dir, exist_ok=True)
    ds_list = os.path.join(kam_dir, "dispatcher.list")
    with open(ds_list, "w") as f:
        f.write("".join("1 sip:127.0.0.1:%d 8 0 weight=50\n" % p for p in gw_ports))
    ctl = os.path.join(kam_dir, "kamailio_ctl")
    values = {
        "DS_LIST": '"%s"' % ds_list,
        "PING_INTERVAL": str(PING_S),
        "FR_TIMER": str(FR_MS),
        "FR_INV_TIMER": "30000",
        "CALLERS_NET": '"%s"' % callers,
        "UPSTREAM": '"sip:127.0.0.1:9"',       # no call from the PRI side in these flows
        "CTL_SOCKET": '"unix:%s"' % ctl,
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


def gateway(tb, name, span, port):
    """A sipgw named name on 127.0.0.1:port with its own loopback span, control socket and
    CDR; gateway "a" is the testbed's own (tb.ctl, tb.cdr_path)."""
    saved = tb.sip_port
    tb.sip_port = port
    try:
        conf = tb.config([pots_peer(900, "9T", port=span)], spans=[(span, "t1", "ni2")])
    finally:
        tb.sip_port = saved
    with open(conf) as f:
        txt = f.read()
    cdr = tb.cdr_path
    if name != "a":
        cdr = os.path.join(tb.dir, "cdr-%s.db" % name)
        txt = txt.replace(tb.ctl_path, os.path.join(tb.dir, "ctl-%s.sock" % name)).replace(tb.cdr_path, cdr)
    path = os.path.join(tb.dir, "sipgw-%s.conf" % name)
    with open(path, "w") as f:
        f.write(txt)
    gw = tb.start("sipgw-" + name, [tb.bin("sipgw"), "-c", path])
    gw.cdr_path = cdr
    gw.port = port
    gw.wait_line(r"sipgw running", stream="err")
    return gw


def pbx(tb, span, calls):
    """The PBX on span: answers up to calls SETUPs 0.1 s after they come, never hangs up."""
    p = tb.pbx("--answer-after", "0.1", "--calls-in", str(calls), "--timeout", "60", span=span,
               name="pbx-" + span)
    p.wait_line(r"EVENT dchan up")
    return p


def load_scenario(hold_ms):
    """SIPp's calls: INVITE 95551234 through Kamailio, 200, ACK, hold_ms, BYE; a BYE with no
    200 within 3 s (its gateway is gone) fails the call, so each call is up or lost."""
    return """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="sipgw dispatch load">
  <send retrans="500"><![CDATA[
INVITE sip:95551234@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:2001@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:95551234@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:2001@[local_ip]:[local_port];transport=[transport]>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

%(sdp)s
]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rrs="true">
    <action>
      <ereg regexp="[^ ].*" search_in="hdr" header="To:" assign_to="to"/>
    </action>
  </recv>
  <send><![CDATA[
ACK [next_url] SIP/2.0
[routes]
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:2001@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: [$to]
[last_Call-ID:]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
  <pause milliseconds="%(hold)d"/>
  <send retrans="500"><![CDATA[
BYE [next_url] SIP/2.0
[routes]
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:2001@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: [$to]
[last_Call-ID:]
CSeq: 2 BYE
Max-Forwards: 70
Contact: <sip:2001@[local_ip]:[local_port];transport=[transport]>
Content-Length: 0

]]></send>
  <recv response="200" timeout="3000"/>
</scenario>
""" % {"sdp": peers.SDP, "hold": hold_ms}


def sipp_calls(sipp):
    """{Call-ID: {"gw": port of the Contact in its 200 (the gateway that took it) or None,
    "ok": its BYE got a 200}} from SIPp's message log."""
    calls = {}
    for d, first, text in sipp.messages():
        cid = peers.header(text, "Call-ID")
        c = calls.setdefault(cid, {"gw": None, "ok": False})
        cseq = peers.header(text, "CSeq") or ""
        if d == "<" and first.startswith("SIP/2.0 200") and cseq.endswith("INVITE"):
            m = re.search(r"[@:]127\.0\.0\.1:(\d+)", peers.header(text, "Contact") or "")
            c["gw"] = int(m.group(1)) if m else None
        if d == "<" and first.startswith("SIP/2.0 200") and cseq.endswith("BYE"):
            c["ok"] = True
    return calls


def dispatched(kam):
    """[(Call-ID, gateway port)] in the order Kamailio dispatched each INVITE (first tries
    and failovers), and the index each "gateway ... down/up" line had among them:
    {("down"|"up", port): [positions]}."""
    order, marks = [], {}
    for ln in kam.errlines():
        m = re.search(r"dispatch: (\S+) \d+ to sip:127\.0\.0\.1:(\d+)", ln)
        if m:
            order.append((m.group(1), int(m.group(2))))
        m = re.search(r"dispatcher: gateway sip:127\.0\.0\.1:(\d+) (down|up)$", ln)
        if m:
            marks.setdefault((m.group(2), int(m.group(1))), []).append(len(order))
    return order, marks


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


def pool(tb, start_pbx_b=True, calls=100):
    """Two gateways a and b, a PBX on a's span (and on b's), Kamailio in front."""
    fl.skip_unless_loopback("two gateways in one testbed: one fake DAHDI serves one")
    pa, pb = fl.free_port(), fl.free_port()
    kport = peers.free_port()
    cfg, ctl = dispatcher_cfg(tb, os.path.join(tb.dir, "kamailio"), [pa, pb])
    ga = gateway(tb, "a", "gw-a", pa)
    gb = gateway(tb, "b", "gw-b", pb)
    xa = pbx(tb, "gw-a", calls)
    xb = pbx(tb, "gw-b", calls) if start_pbx_b else None
    kam = peers.Kamailio(tb, cfg, port=kport)
    kam.ctl = ctl
    return ga, gb, xa, xb, kam


@flow
def dispatch_kill_gateway_mid_load(tb):
    """SIPp at 8 calls/s through Kamailio's dispatcher, round robin over two sipgw; gateway a SIGKILLed
    with calls up: only its up calls are lost (counted), its pending INVITEs fail over, and once
    Kamailio marks it down (its log, kamcmd) every new call completes through b."""
    ga, gb, xa, xb, kam = pool(tb)
    sipp = peers.Sipp(tb, "sipp-load", load_scenario(1500), remote="127.0.0.1:%d" % kam.port,
                      calls=56, rtp_echo=True, timeout=40, extra=("-r", "8", "-l", "30"))
    # load on both, then the kill with a few calls up on a
    xa.wait_count(r"EVENT call \d+ connected", 8, timeout=15)
    xb.wait_count(r"EVENT call \d+ connected", 3, timeout=15)
    ga.p.send_signal(signal.SIGKILL)
    ga.p.wait()
    killed_at = time.monotonic()
    # what a's PBX had up when its gateway went: connected and not ended
    xa.wait_line(r"EVENT dchan down")
    a_up = len([ln for ln in xa.lines() if re.search(r"EVENT call \d+ connected", ln)]) - \
        len([ln for ln in xa.lines() if re.search(r"EVENT call \d+ ended", ln)])
    wait_kam(kam, r"dispatcher: gateway sip:127\.0\.0\.1:%d down$" % ga.port, 5 * PING_S + 3)
    down_s = time.monotonic() - killed_at
    flags = kamcmd_flags(kam.ctl)
    if flags is not None and (not flags.get(ga.port, "").startswith("I") or not flags.get(gb.port, "").startswith("A")):
        raise FlowError("kamcmd dispatcher.list after the kill: %s (a %d out, b %d in wanted)" % (flags, ga.port, gb.port))
    sipp.wait_exit(40)
    calls = sipp_calls(sipp)
    if len(calls) != 56:
        raise FlowError("SIPp placed %d calls, not 56" % len(calls))
    lost = [c for c, v in calls.items() if not v["ok"]]
    on_a = [c for c, v in calls.items() if v["gw"] == ga.port]
    on_b = [c for c, v in calls.items() if v["gw"] == gb.port]
    unanswered = [c for c, v in calls.items() if v["gw"] is None]
    if unanswered:
        raise FlowError("%d calls never answered (lost at setup): %s" % (len(unanswered), unanswered[:5]))
    bad = [c for c in lost if calls[c]["gw"] != ga.port]
    if bad:
        raise FlowError("calls lost that were not on the killed gateway: %s" % bad)
    if len(lost) != a_up:
        raise FlowError("%d calls lost, but %d were up on gateway a when it died" % (len(lost), a_up))
    order, marks = dispatched(kam)
    down_pos = marks[("down", ga.port)][0]
    after = [(c, p) for c, p in order[down_pos:]]
    to_a = [c for c, p in after if p == ga.port]
    if to_a:
        raise FlowError("Kamailio sent %d new calls to gateway a after marking it down: %s" % (len(to_a), to_a[:5]))
    if not after or any(not calls.get(c, {}).get("ok") for c, _ in after):
        raise FlowError("calls after the mark-down that did not complete: %s" %
                        [c for c, _ in after if not calls.get(c, {}).get("ok")])
    before_b = len([1 for _, p in order[:down_pos] if p == gb.port])
    before_a = len([1 for _, p in order[:down_pos] if p == ga.port])
    if not before_a or not before_b:
        raise FlowError("calls not spread before the kill: %d to a, %d to b" % (before_a, before_b))
    failed_over = [c for c in calls if sum(1 for x, _ in order if x == c) > 1]
    print("  dispatch: %d calls, %d on a, %d on b, %d lost (up on a at the kill), %d failed over, "
          "a marked down %.1f s after the kill, %d calls after that all on b; kamcmd %s" % (
              len(calls), len(on_a), len(on_b), len(lost), len(failed_over), down_s, len(after), flags))


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
