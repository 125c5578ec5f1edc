# sipgw call-flow tests of the OPTIONS keepalive (Cisco "voice-class sip
# options-keepalive", issue 12): SIPp UASs as the voip dial-peers, answering
# OPTIONS and INVITEs; one is ended, the gateway busies it out and hunts
# past it without an INVITE; restarted, it comes back in service.
# SPDX-License-Identifier: GPL-2.0-only
import re
import select
import socket
import time

import flowlib as fl
from flowlib import FlowError, expect_ladder, flow, pbx_call, q931_ladder

import peers

# The keepalive keys of a voip dial-peer, with the tests' short intervals.
KEEPALIVE = ("options_keepalive = true; options_up_interval = 1; options_down_interval = 1; "
             "options_retry = %d; options_recovery = %d;")

PBX_ANSWERED = ["> SETUP", "< CALL PROCEEDING", "< ALERTING", "< CONNECT", "> CONNECT ACKNOWLEDGE",
                "> DISCONNECT cause=16", "< RELEASE", "> RELEASE COMPLETE"]


def uas_options_scenario(options_status="200 OK"):
    """A SIPp UAS that answers every OPTIONS with options_status (each is a call of its
    own: a new Call-ID) and an INVITE as peers.uas_scenario() does: 100, 180, 200, ACK,
    BYE -> 200."""
    options = """  <label id="options"/>
  <send><![CDATA[
SIP/2.0 %s
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTagO[call_number]
[last_Call-ID:]
[last_CSeq:]
Allow: INVITE, ACK, BYE, CANCEL, OPTIONS
Accept: application/sdp
Content-Length: 0

]]></send>
  <label id="done"/>
""" % options_status
    invite = peers.uas_scenario()
    invite = invite.replace('<recv request="INVITE" crlf="true" rrs="true">',
                            '<recv request="OPTIONS" optional="true" next="options"/>\n'
                            '  <recv request="INVITE" crlf="true" rrs="true">', 1)
    return invite.replace("</scenario>", '  <nop next="done"/>\n' + options + "</scenario>")


def sipp_peer(tb, name, port=None, options_status="200 OK"):
    """A SIPp UAS on port (a free one when None), for many OPTIONS and a few calls."""
    return peers.Sipp(tb, name, uas_options_scenario(options_status), port=port, calls=100000,
                      timeout=120, rtp_echo=False)


def keepalive_peer(tag, port, pref, retry=3, recovery=2):
    return fl.voip_peer(tag, "2...", port, pref) + " " + KEEPALIVE % (retry, recovery)


def check_options(sipp, port):
    """The OPTIONS SIPp got: sip:HOST:PORT, Max-Forwards 70, no body (RFC 3261 11.1)."""
    opt = sipp.wait_message("<", r"^OPTIONS ", timeout=5)
    first = opt.splitlines()[0]
    if first != "OPTIONS sip:127.0.0.1:%d SIP/2.0" % port:
        raise FlowError("OPTIONS Request-URI is not sip:127.0.0.1:%d: %s" % (port, first))
    if peers.header(opt, "Max-Forwards") != "70":
        raise FlowError("OPTIONS without Max-Forwards: 70:\n" + opt)
    if (peers.header(opt, "Content-Length") or "0") != "0":
        raise FlowError("OPTIONS with a body:\n" + opt)
    return opt


def invites_to(sipp):
    return len(sipp.find("<", r"^INVITE "))


SIPP_CALL = ["< INVITE", "> 100/INVITE", "> 180/INVITE", "> 200/INVITE", "< ACK", "< BYE", "> 200/BYE"]


def call_ladder(sipp, calls=0, timeout=5.0):
    """SIPp's ladder without the keepalive's OPTIONS and their answers, once it has
    answered calls BYEs (the gateway's BYE follows the PBX's DISCONNECT)."""
    deadline = time.monotonic() + timeout
    while True:
        lad = [x for x in sipp.ladder() if not x.endswith("OPTIONS")]
        if lad.count("> 200/BYE") >= calls or time.monotonic() > deadline:
            return lad
        time.sleep(0.02)


def setup_to_connect_ms(pbx):
    t = fl.timed(pbx.lines(), "Q931")
    setup = [ms for ms, x in t if x.startswith("> SETUP")][0]
    conn = [ms for ms, x in t if x.startswith("< CONNECT ")][0]
    return conn - setup


class Listener:
    """A UDP socket the test holds on a dead peer's port: it counts what the gateway
    sends there (a bound port also means no ICMP, so the pings go unanswered)."""

    def __init__(self, port):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind(("127.0.0.1", port))
        self.got = []

    def drain(self):
        while select.select([self.s], [], [], 0)[0]:
            self.got.append(self.s.recv(65535).decode(errors="replace"))
        return self.got

    def methods(self):
        return [g.split(" ", 1)[0] for g in self.drain()]

    def close(self):
        self.drain()
        self.s.close()


def first_invite(dead, live, timeout=10.0):
    """Until the call's INVITE reached the live peer; fails at once if one reached the
    dead peer's port first. Returns what the dead port got so far."""
    deadline = time.monotonic() + timeout
    while invites_to(live) == 0:
        if "INVITE" in dead.methods():
            raise FlowError("an INVITE went to the busied-out peer's port: %s" % dead.methods())
        if time.monotonic() > deadline:
            raise FlowError("no INVITE reached %s within %.0f s" % (live.name, timeout))
        time.sleep(0.02)
    return dead.methods()


@flow
@fl.no_pri
def keepalive_busyout_hunts_past_and_recovers(tb):
    """Peer 1 (pref 0) answers OPTIONS, then is ended: busied out after 3 unanswered, the
    next call goes straight to peer 2 (no INVITE to peer 1, setup well under Timer B);
    peer 1 restarted on its port: back in service after 2 answers, the next call is its."""
    p1 = sipp_peer(tb, "sipp1")
    p2 = sipp_peer(tb, "sipp2")
    gw = tb.gateway(tb.config([keepalive_peer(100, p1.port, 0), keepalive_peer(101, p2.port, 1)]))
    check_options(p1, p1.port)
    check_options(p2, p2.port)
    p1.stop()
    down = gw.wait_line(r"dial-peer 100 \(127\.0\.0\.1:%d\) busied out: no answer to 3 OPTIONS" % p1.port,
                        timeout=15, stream="err")
    print("  log: " + down.string.split("] ", 1)[-1])
    dead = Listener(p1.port)
    try:
        pbx = pbx_call(tb, "--hangup-after", "1")
        sent = first_invite(dead, p2)
        if pbx.wait_exit() != 0:
            raise FlowError("the PBX simulator failed (call 1)")
        sent = dead.methods()
    finally:
        dead.close()
    expect_ladder("PRI (call 1)", q931_ladder(pbx.lines()), PBX_ANSWERED)
    if "INVITE" in sent:
        raise FlowError("an INVITE went to the busied-out peer's port: %s" % sent)
    expect_ladder("SIP (peer 2, call 1)", call_ladder(p2, 1), SIPP_CALL)
    gw.wait_line(r"dial-peer 100 \(ipv4:127\.0\.0\.1:%d\) skipped: busied out" % p1.port, stream="err")
    ms = setup_to_connect_ms(pbx)
    print("  call 1 past the busied-out peer: SETUP -> CONNECT %d ms (Timer B 32000 ms); "
          "at its port meanwhile: %s" % (ms, sent or "nothing"))
    # Back: a SIPp on the same port answers the pings; 2 in a row put it in service.
    p1b = sipp_peer(tb, "sipp1b", port=p1.port)
    up = gw.wait_line(r"dial-peer 100 \(127\.0\.0\.1:%d\) back in service: 2 OPTIONS answered" % p1.port,
                      timeout=15, stream="err")
    print("  log: " + up.string.split("] ", 1)[-1])
    pbx2 = tb.pbx("--call", "2001", "--calling", "5551000", "--exit-when-done", "--hangup-after", "1",
                  name="pbx2")
    if pbx2.wait_exit() != 0:
        raise FlowError("the PBX simulator failed (call 2)")
    expect_ladder("PRI (call 2)", q931_ladder(pbx2.lines()), PBX_ANSWERED)
    expect_ladder("SIP (peer 1 back, call 2)", call_ladder(p1b, 1), SIPP_CALL)
    expect_ladder("SIP (peer 2 after call 2)", call_ladder(p2), SIPP_CALL)


@flow
@fl.no_pri
def keepalive_503_is_down_4xx_is_alive(tb):
    """Cisco's reading of an OPTIONS answer: peer 1 (pref 0) answers 503 (it cannot take
    calls) and is busied out though it answers; peer 2 answers 405 (it parsed us: alive),
    stays in service and takes the call; peer 1 never sees the INVITE."""
    p1 = sipp_peer(tb, "sipp1", options_status="503 Service Unavailable")
    p2 = sipp_peer(tb, "sipp2", options_status="405 Method Not Allowed")
    gw = tb.gateway(tb.config([keepalive_peer(100, p1.port, 0, retry=2), keepalive_peer(101, p2.port, 1, retry=2)]))
    gw.wait_line(r"dial-peer 100 \(127\.0\.0\.1:%d\) busied out: no answer to 2 OPTIONS \(last 503\)" % p1.port,
                 timeout=10, stream="err")
    # peer 2 answered as many 405s by now and is still in service
    p2.wait_message(">", r"^SIP/2\.0 405 ")
    pbx = pbx_call(tb, "--hangup-after", "0.5")
    if pbx.wait_exit() != 0:
        raise FlowError("the PBX simulator failed")
    expect_ladder("PRI", q931_ladder(pbx.lines()), PBX_ANSWERED)
    expect_ladder("SIP (peer 1, 503 to OPTIONS)", call_ladder(p1), [])
    expect_ladder("SIP (peer 2, 405 to OPTIONS)", call_ladder(p2, 1), SIPP_CALL)
    if any("busied out" in ln and ":%d)" % p2.port in ln for ln in gw.errlines()):
        raise FlowError("peer 2 was busied out though it answered 405")


@flow
@fl.no_pri
def keepalive_all_out_cause_38(tb):
    """The only dial-peer's target is silent (a socket the test holds: no answer, no ICMP):
    each OPTIONS times out, 3 in a row busy it out; a call to it is refused at once with
    cause 38 (network out of order), no INVITE sent, no Timer B waited."""
    port = fl.free_port()
    dead = Listener(port)
    try:
        gw = tb.gateway(tb.config([keepalive_peer(100, port, 0)]))
        gw.wait_line(r"dial-peer 100 \(127\.0\.0\.1:%d\) busied out: no answer to 3 OPTIONS \(last 408\)" % port,
                     timeout=15, stream="err")
        t0 = time.monotonic()
        pbx = pbx_call(tb)
        if pbx.wait_exit() != 0:
            raise FlowError("the PBX simulator failed")
        took = (time.monotonic() - t0) * 1000
        sent = dead.methods()
    finally:
        dead.close()
    if "INVITE" in sent:
        raise FlowError("an INVITE went to the busied-out peer: %s" % sent)
    if sent.count("OPTIONS") < 3:
        raise FlowError("the silent peer got %d OPTIONS, not 3 or more: %s" % (sent.count("OPTIONS"), sent))
    expect_ladder("PRI", q931_ladder(pbx.lines()),
                  ["> SETUP", "< CALL PROCEEDING", "< DISCONNECT cause=38", "> RELEASE", "< RELEASE COMPLETE"])
    print("  refused in %.0f ms (PBX start to exit; Timer B 32000 ms); the silent port got %s" % (
        took, " ".join(sorted(set(sent)))))


@flow
@fl.no_pri
def keepalive_over_tcp(tb):
    """session_transport tcp: the pings go over TCP (;transport=tcp) to a SIPp on TCP, which
    answers them; ended, it is busied out (the connection refused)."""
    p1 = peers.Sipp(tb, "sipp1", uas_options_scenario(), transport="t1", calls=100000, timeout=120,
                    rtp_echo=False)
    gw = tb.gateway(tb.config([keepalive_peer(100, p1.port, 0, retry=2) + ' session_transport = "tcp";']))
    opt = p1.wait_message("<", r"^OPTIONS ", timeout=5)
    if not re.search(r"^Via: SIP/2\.0/TCP ", opt, re.M | re.I):
        raise FlowError("OPTIONS not over TCP:\n" + opt)
    p1.wait_message(">", r"^SIP/2\.0 200 ")
    p1.stop()
    gw.wait_line(r"dial-peer 100 \(127\.0\.0\.1:%d\) busied out: no answer to 2 OPTIONS" % p1.port,
                 timeout=15, stream="err")
