# sipgw call-flow tests for overload control: past what it can serve the
# gateway answers new INVITEs and REGISTERs 503 with Retry-After (RFC 3261
# 21.5.4) and keeps serving the calls it took; emergency calls and requests
# inside a dialog are never refused.
# SPDX-License-Identifier: GPL-2.0-only
import os
import random
import re
import signal
import socket
import time

import sipraw
from flowlib import FlowError, flow, pots_peer

EMERGENCY = "911"


def overload_conf(tb, sip_keys):
    """9 + number and 911 (an emergency number) go to the PBX; a registrar for 2001; sip_keys are added
    to the sip section."""
    extra = ('registrar = { realm = "sipgw"; users = ( { user = "2001"; password = "secret1"; } ); };\n'
             'emergency = { numbers = ( { pattern = "%s"; } ); };\n' % EMERGENCY)
    conf = tb.config([pots_peer(900, "9T"), pots_peer(911, EMERGENCY, fwd="all")], extra=extra)
    with open(conf) as f:
        txt = f.read()
    txt, n = re.subn(r"(sip = \{[^}]*)\};", r"\1 %s };" % sip_keys, txt, count=1)
    if n != 1:
        raise FlowError("no sip section in the test config")
    with open(conf, "w") as f:
        f.write(txt)
    return conf


class Call:
    """One call from a raw UDP phone: INVITE, the final answer ACKed (RFC 3261 17.1.1.3 for a failure,
    13.2.2.4 for a 200), BYE (15.1.1)."""

    def __init__(self, tb, number):
        self.ua = sipraw.RawUA(tb.sip_port, "1000")
        self.ruri = "sip:%s@127.0.0.1:%d;user=phone" % (number, tb.sip_port)
        self.number = number
        self.final = None

    def send_invite(self):
        self.ua.request("INVITE", self.ruri, self.ruri, body=self.ua.sdp())

    def answer(self, timeout=5.0):
        """The final response to the INVITE, ACKed."""
        r = self.final = self.ua.recv_final(timeout)
        if r.status >= 300:
            self.ua.ack(self.ruri, r)
        elif r.status == 200:
            self._in_dialog("ACK", r, self.ua.cseq)
        return r

    def _in_dialog(self, method, ok, cseq):
        target = (ok.get("contact") or "").strip("<>").split(">")[0]
        lines = ["%s %s SIP/2.0" % (method, target),
                 "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%08x;rport" % (self.ua.port, random.getrandbits(32)),
                 "Max-Forwards: 70", "From: <sip:1000@127.0.0.1>;tag=%s" % self.ua.tag, "To: " + ok.get("to"),
                 "Call-ID: %s" % self.ua.call_id, "CSeq: %d %s" % (cseq, method), "Content-Length: 0"]
        self.ua.send("\r\n".join(lines) + "\r\n\r\n")

    def send_bye(self):
        self.ua.cseq += 1
        self._in_dialog("BYE", self.final, self.ua.cseq)

    def close(self):
        self.ua.close()


def register_send(tb, user):
    """A REGISTER without credentials (the first half of a digest exchange); the UA, to read the answer."""
    ua = sipraw.RawUA(tb.sip_port, user)
    aor = "sip:%s@127.0.0.1:%d" % (user, tb.sip_port)
    ua.request("REGISTER", "sip:127.0.0.1:%d" % tb.sip_port, aor, ["Expires: 60"])
    return ua


def check_refused(r, what, lo, hi):
    """503 with a Retry-After of lo..hi seconds."""
    ra = r.get("retry-after")
    if r.status != 503 or not ra or not ra.split(";")[0].strip().isdigit() or \
            not lo <= int(ra.split(";")[0]) <= hi:
        raise FlowError("%s: %d Retry-After %s, want 503 with Retry-After %d..%d" % (what, r.status, ra, lo, hi))


def gw_err(tb):
    return [p for p in tb.procs if p.name == "sipgw"][-1]


def start(tb, sip_keys):
    gw = tb.gateway(overload_conf(tb, sip_keys))
    pbx = tb.pbx("--answer-after", "0")
    pbx.wait_line(r"EVENT dchan up")
    # the gateway's start-up work done (its RESTARTs answered): a request that
    # waits in its socket from here on waits for load, not for the start
    gw.wait_line(r"B-channels restarted", stream="err")
    return gw, pbx


def setups(pbx):
    """The called numbers of the SETUPs the PBX received."""
    return [m.group(1) for m in (re.search(r"Q931 < SETUP .*called=(\d+)", ln) for ln in pbx.lines()) if m]


def connected(tb, number):
    c = Call(tb, number)
    c.send_invite()
    if c.answer().status != 200:
        raise FlowError("call to %s before the burst: %d" % (number, c.final.status))
    return c


def hang_up(calls):
    for c in calls:
        c.send_bye()
    for c in calls:
        r = c.ua.recv_final()
        if r.status != 200:
            raise FlowError("BYE for the call to %s: %d" % (c.number, r.status))


@flow
def overload_call_rate_ceiling(tb):
    """max_call_rate 5/s: a burst of INVITEs gets 503 + Retry-After past the ceiling; the calls taken, an emergency call and a BYE in the burst go through."""
    gw, pbx = start(tb, "max_call_rate = 5; max_queue_delay = 0; retry_after = 1;")  # the ceiling alone
    first = connected(tb, "95550000")
    # 12 new calls, an emergency call after the sixth and the first call's BYE after the ninth, sent
    # back to back: far faster than 5 calls/s refill the one-second bucket.
    burst = [Call(tb, "955501%02d" % i) for i in range(12)]
    emergency = Call(tb, EMERGENCY)
    try:
        for i, c in enumerate(burst):
            c.send_invite()
            if i == 5:
                emergency.send_invite()
            if i == 8:
                first.send_bye()
        if first.ua.recv_final().status != 200:
            raise FlowError("BYE of a call taken before the overload was not answered 200")
        taken, refused = [], []
        for c in burst:
            r = c.answer()
            if r.status == 200:
                taken.append(c)
            else:
                check_refused(r, "INVITE to %s in the burst" % c.number, 1, 2)
                refused.append(c)
        if emergency.answer().status != 200:
            raise FlowError("emergency call refused during overload: %d" % emergency.final.status)
        # The bucket held 5 calls, the first took one: 4 of the burst fit, plus what refilled while
        # the burst went through (one per 200 ms).
        if len(taken) < 4 or len(refused) < 6:
            raise FlowError("burst of 12: %d taken, %d refused; want at least 4 and 6" % (len(taken), len(refused)))
        want = sorted(["5550000", EMERGENCY] + [c.number[1:] for c in taken])
        if sorted(setups(pbx)) != want:
            raise FlowError("SETUPs at the PBX: %s, want the calls taken: %s" % (sorted(setups(pbx)), want))
        hang_up(taken + [emergency])
        gw.wait_line(r"overload: over 5 new calls/s \(max_call_rate\)", stream="err")
        gw.wait_line(r"overload over: %d INVITE\(s\) and 0 REGISTER\(s\) refused with 503 in [0-9.]+ s, "
                     r"1 emergency INVITE\(s\) taken" % len(refused), stream="err", timeout=5)
    finally:
        for c in burst + [first, emergency]:
            c.close()
    gw.stop()
    if not any(re.search(r"sip: summary: %d INVITE\(s\) and 0 REGISTER\(s\) refused with 503 for overload in "
                         r"1 episode\(s\)" % len(refused), ln) for ln in gw.errlines()):
        raise FlowError("no exit summary with the %d refused INVITEs" % len(refused))


def options_flood(tb, n):
    """n OPTIONS from one socket nobody reads: a backlog of work for the gateway."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    for i in range(n):
        s.sendto(("OPTIONS sip:127.0.0.1:%d SIP/2.0\r\n"
                  "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK-flood-%d\r\nMax-Forwards: 70\r\n"
                  "From: <sip:flood@127.0.0.1:%d>;tag=f%d\r\nTo: <sip:127.0.0.1:%d>\r\n"
                  "Call-ID: flood-%d-%d\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n" %
                  (tb.sip_port, port, i, port, i, tb.sip_port, port, i)).encode(), ("127.0.0.1", tb.sip_port))
    return s


def options_answers(s, n, timeout=3.0):
    """Up to n answers options_flood()'s socket got, each as text."""
    out, deadline = [], time.monotonic() + timeout
    while len(out) < n and time.monotonic() < deadline:
        s.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            out.append(s.recv(65536).decode(errors="replace"))
        except socket.timeout:
            break
    return out


@flow
def overload_queue_delay(tb):
    """A backlog that makes requests wait past max_queue_delay: new INVITEs and REGISTERs get 503, an emergency INVITE and a BYE go through, OPTIONS get 503 while it sheds, and the gateway takes calls again once it has caught up."""
    # 100 ms: a loaded CI box (two flow runners, dahdi fakes) delayed a request by
    # more than 20 ms once before the burst; the freeze below holds the backlog
    # far longer than this, so the burst is shed whatever the load.
    gw, pbx = start(tb, "max_queue_delay = 0.1; retry_after = 1;")
    # 1000 OPTIONS take about 1.3 MB of receive buffer (1280 bytes each on loopback).
    kb = int(gw.wait_line(r"udp receive buffer (\d+) kB", stream="err").group(1))
    if kb < 2048:
        raise FlowError("the gateway's UDP receive buffer is %d kB: raise net.core.rmem_max to 2 MB" % kb)
    first = connected(tb, "95550000")
    burst = [Call(tb, "955501%02d" % i) for i in range(4)]
    emergency = Call(tb, EMERGENCY)
    regs, flood, tail, after = [], None, None, None
    # Frozen, the gateway reads nothing: the requests below queue up in its socket in this order,
    # behind 1000 OPTIONS it must answer first.
    os.kill(gw.p.pid, signal.SIGSTOP)
    t_stop = time.monotonic()
    try:
        flood = options_flood(tb, 1000)
        for i, c in enumerate(burst):
            c.send_invite()
            if i == 1:
                emergency.send_invite()
                regs.append(register_send(tb, "2001"))
                first.send_bye()
        tail = options_flood(tb, 20)  # so that the last INVITE too has requests waiting behind it
        # the stimulus, not a wait for an event: the backlog stays frozen
        # three times max_queue_delay, however fast the sends above were
        time.sleep(max(0.0, 0.3 - (time.monotonic() - t_stop)))
    finally:
        os.kill(gw.p.pid, signal.SIGCONT)
    try:
        if first.ua.recv_final().status != 200:
            raise FlowError("BYE in the backlog was not answered 200")
        for c in burst:
            check_refused(c.answer(), "INVITE to %s in the backlog" % c.number, 1, 2)
        for ua in regs:
            check_refused(ua.recv_final(), "REGISTER in the backlog", 1, 2)
        if emergency.answer().status != 200:
            raise FlowError("emergency call refused during overload: %d" % emergency.final.status)
        m = gw.wait_line(r"overload: a request waited (\d+) ms in the SIP socket \(max_queue_delay 100 ms\)",
                         stream="err")
        if int(m.group(1)) <= 100:
            raise FlowError("shedding started at a queue delay of %s ms" % m.group(1))
        gw.wait_line(r"overload over: 4 INVITE\(s\) and 1 REGISTER\(s\) refused with 503 in [0-9.]+ s, "
                     r"1 emergency INVITE\(s\) taken", stream="err", timeout=5)
        # The OPTIONS queued behind the refused INVITEs came while shedding:
        # 503 with Retry-After, so a dispatcher in front routes around us.
        shed = options_answers(tail, 20)
        if not shed or any(not a.startswith("SIP/2.0 503 ") or "\r\nRetry-After: " not in a for a in shed):
            raise FlowError("OPTIONS while shedding not all 503 with Retry-After: %s" %
                            sorted(set(a.split("\r\n", 1)[0] for a in shed)))
        # Caught up: a new call is taken again.
        after = connected(tb, "95550002")
        hang_up([emergency, after])
        if sorted(setups(pbx)) != sorted(["5550000", EMERGENCY, "5550002"]):
            raise FlowError("SETUPs at the PBX: %s; a refused INVITE went through?" % setups(pbx))
    finally:
        for c in burst + [first, emergency] + ([after] if after else []):
            c.close()
        for s in regs + [x for x in (flood, tail) if x]:
            s.close()
