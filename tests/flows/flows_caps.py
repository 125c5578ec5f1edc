# sipgw call-flow tests (issue 12): what the gateway says it takes and how
# it says no, seen from SIPp as a voice engineer reads a trace: the exact
# Allow and Supported, OPTIONS 200 while calls can go out and 503 once the
# D-channel is down, 405/501 with Allow, 488 with Warning 304/305, 415 with
# Accept, an RTP/AVPF + rtcp-fb + rtcp-mux offer taken and audio crossing.
# SPDX-License-Identifier: GPL-2.0-only
import re

import flowlib as fl
from flowlib import FlowError, expect_ladder, flow, pots_peer, tone_events

import peers
import sipraw

# What the default gateway (session timers on, a REFER handler, no
# registrar) handles, in sip_caps.c's order.
ALLOW = "INVITE, ACK, BYE, CANCEL, OPTIONS, PRACK, UPDATE, INFO, REFER"
ALLOW_REG = ALLOW + ", REGISTER"
SUPPORTED = "100rel, timer, replaces"

SCEN_HEAD = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="%s">
"""


def request_xml(method, status, ruri="sip:[remote_ip]:[remote_port]", body=None, ctype="application/sdp",
                extra=""):
    """One request out of a dialog, one final status expected (SIPp fails on any other);
    an INVITE's non-2xx final is ACKed (RFC 3261 17.1.1.3)."""
    body_hdr = ("Content-Type: %s\nContent-Length: [len]\n\n%s" % (ctype, body)) if body else \
        "Content-Length: 0\n\n"
    ack = """  <send><![CDATA[
ACK %s SIP/2.0
[last_Via:]
From: <sip:2001@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
[last_To:]
[last_Call-ID:]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
""" % ruri if method == "INVITE" else ""
    return (SCEN_HEAD % ("sipgw caps " + method)) + """  <send retrans="500"><![CDATA[
%(m)s %(ruri)s SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:2001@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <%(ruri)s>
Call-ID: [call_id]
CSeq: 1 %(m)s
Contact: <sip:2001@[local_ip]:[local_port]>
Max-Forwards: 70
%(extra)s%(body)s]]></send>
  <recv response="100" optional="true"/>
  <recv response="%(st)d"/>
%(ack)s</scenario>
""" % {"m": method, "ruri": ruri, "body": body_hdr, "st": status, "ack": ack, "extra": extra}


def ask(tb, name, method, status, **kw):
    """SIPp sends method, expects status; the response's text."""
    sipp = peers.Sipp(tb, name, request_xml(method, status, **kw), remote="127.0.0.1:%d" % tb.sip_port,
                      rtp_echo=False)
    sipp.check_passed()
    return sipp.find("<", r"^SIP/2\.0 %d " % status)[0]


def must_header(resp, name, want):
    got = peers.header(resp, name)
    if got != want:
        raise FlowError("%s: %r, want %r in:\n%s" % (name, got, want, resp))


def must_warning(resp, code, text_rx):
    w = peers.header(resp, "Warning") or ""
    if not re.match(r'%d 127\.0\.0\.1:\d+ "[^"]*%s' % (code, text_rx), w):
        raise FlowError("Warning %r, want %d with /%s/ in:\n%s" % (w, code, text_rx, resp))


@flow
def caps_options_200_then_503_dchan_down(tb):
    """OPTIONS while the PBX is up: 200 with the exact Allow, Supported, Accept: application/sdp;
    the PBX simulator stopped (D-channel down): 503 with Retry-After, the reason logged."""
    gw = tb.gateway(tb.config([pots_peer(900, "9T")]))
    pbx = tb.pbx()
    pbx.wait_line(r"EVENT dchan up")
    ok = ask(tb, "sipp-options-up", "OPTIONS", 200)
    must_header(ok, "Allow", ALLOW)
    must_header(ok, "Supported", SUPPORTED)
    must_header(ok, "Accept", "application/sdp")
    if peers.header(ok, "Allow-Events"):
        raise FlowError("Allow-Events with no event package taken:\n" + ok)
    pbx.stop()
    gw.wait_line(r"span pbx-a: D-channel down", stream="err")
    down = ask(tb, "sipp-options-down", "OPTIONS", 503)
    if not re.match(r"^\d+$", peers.header(down, "Retry-After") or ""):
        raise FlowError("503 without Retry-After:\n" + down)
    gw.wait_line(r"OPTIONS from 127\.0\.0\.1: 503, every span's D-channel is down", stream="err")


@flow
@fl.no_pri
def caps_unhandled_methods_405_with_allow(tb):
    """MESSAGE and SUBSCRIBE (no handler here): 405 with the exact Allow, not a 200 thrown away;
    an unknown method FOO: 501 (RFC 3261 21.5.2, not recognised) with Allow; INFO outside a dialog: 481."""
    tb.gateway(tb.config([pots_peer(900, "9T")]))
    for m in ("MESSAGE", "SUBSCRIBE"):
        r = ask(tb, "sipp-" + m.lower(), m, 405, body="hello" if m == "MESSAGE" else None,
                ctype="text/plain", extra="Event: presence\n" if m == "SUBSCRIBE" else "")
        must_header(r, "Allow", ALLOW)
    r = ask(tb, "sipp-foo", "FOO", 501)
    must_header(r, "Allow", ALLOW)
    ask(tb, "sipp-info", "INFO", 481, body="Signal=5\r\nDuration=160\r\n", ctype="application/dtmf-relay")


@flow
@fl.no_pri
def caps_registrar_allow_has_register(tb):
    """With the registrar on, REGISTER joins Allow; session timers off: "timer" leaves Supported."""
    extra = 'registrar = { realm = "sipgw"; users = ( { user = "2001"; password = "x"; } ); };\n'
    conf = tb.config([pots_peer(900, "9T")], extra=extra)
    with open(conf) as f:
        txt = f.read().replace("shutdown-grace = 2;", "shutdown-grace = 2; session-expires = 0;")
    with open(conf, "w") as f:
        f.write(txt)
    tb.gateway(conf)
    pbx = tb.pbx()
    pbx.wait_line(r"EVENT dchan up")
    ok = ask(tb, "sipp-options", "OPTIONS", 200)
    must_header(ok, "Allow", ALLOW_REG)
    must_header(ok, "Supported", "100rel, replaces")


# SDP offers as phones send them, at SIPp's media (echo) port.
SDP_VIDEO_ONLY = """v=0
o=sipp 1 1 IN IP4 [media_ip]
s=-
c=IN IP4 [media_ip]
t=0 0
m=video [media_port] RTP/AVP 96
a=rtpmap:96 H264/90000
"""
SDP_G729_ONLY = SDP_VIDEO_ONLY.replace("m=video [media_port] RTP/AVP 96\na=rtpmap:96 H264/90000",
                                       "m=audio [media_port] RTP/AVP 18\na=rtpmap:18 G729/8000")
AVPF_MEDIA = """m=audio [media_port] RTP/AVPF 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=rtcp-fb:* nack
a=rtcp-fb:* ccm fir
a=rtcp-mux
"""


@flow
@fl.no_pri
def caps_refusals_say_why(tb):
    """INVITE with only video: 488 Warning 304; only G.729 (not in the list): 488 Warning 305
    naming our codecs; a text/plain body: 415 with Accept: application/sdp. No SETUP for any."""
    gw = tb.gateway(tb.config([pots_peer(900, "9T")]))
    pbx = tb.pbx()
    pbx.wait_line(r"EVENT dchan up")
    ruri = "sip:95551234@[remote_ip]:[remote_port]"
    r = ask(tb, "sipp-video", "INVITE", 488, ruri=ruri, body=SDP_VIDEO_ONLY)
    must_warning(r, 304, "no audio stream")
    r = ask(tb, "sipp-g729", "INVITE", 488, ruri=ruri, body=SDP_G729_ONLY)
    must_warning(r, 305, "no codec in common; we take PCMU")
    r = ask(tb, "sipp-text", "INVITE", 415, ruri=ruri, body="hello", ctype="text/plain")
    must_header(r, "Accept", "application/sdp")
    must_warning(r, 399, "application/sdp")
    if any(t.startswith("< SETUP") for _, t in fl.timed(pbx.lines(), "Q931")):
        raise FlowError("a SETUP went out for a refused INVITE")


def avpf_uac(user, bye_after_ms):
    """peers.uac_scenario with the offer of a phone with AVPF and rtcp-mux on."""
    xml = peers.uac_scenario(user, calling="2001", bye_after_ms=bye_after_ms)
    plain = "m=audio [media_port] RTP/AVP 0\na=rtpmap:0 PCMU/8000\n"
    if plain not in xml:
        raise FlowError("peers.uac_scenario's SDP changed: update avpf_uac")
    return xml.replace(plain, AVPF_MEDIA)


# The gateway's end-of-call line (media.c): far-lost is what the far end's RTCP said of our
# stream, "?" while no report about it came.
END_FAR = r"ended, cause 16 .* rtp rx=\d+ .* far-lost=(\S+)"
# Long enough for our first RTCP report (RFC 3550 6.2: Tmin/2 randomised, at most 3.1 s).
RTCP_CALL_MS = 4500


def call_from_sipp(tb, xml):
    gw = tb.gateway(tb.config([pots_peer(900, "9T")]))
    pbx = tb.pbx("--exit-when-done", "--answer-after", "0.3", "--tone", "2000", "--detect", "2000")
    pbx.wait_line(r"EVENT dchan up")
    uac = peers.Sipp(tb, "sipp", xml, remote="127.0.0.1:%d" % tb.sip_port)
    uac.check_passed()
    if pbx.wait_exit() != 0:
        raise FlowError("the PBX simulator failed")
    expect_ladder("SIP (SIPp)", uac.ladder(),
                  ["> INVITE", "< 100/INVITE", "< 180/INVITE", "< 200/INVITE", "> ACK", "> BYE", "< 200/BYE"])
    if "on" not in [e for _, e in tone_events(pbx.lines(), 2000)]:
        raise FlowError("PBX did not hear its 2000 Hz echoed by SIPp through the gateway")
    return gw, uac, uac.find("<", r"^SIP/2\.0 200 ")[0]


@flow
def caps_avpf_rtcp_mux_offer_connects(tb):
    """SIPp offers RTP/AVPF with rtcp-fb and rtcp-mux (a WebRTC-minded phone): 200 at the first
    try with RTP/AVPF and a=rtcp-mux, no rtcp-fb; the PBX hears its tone echoed back by SIPp
    through the gateway; our RTCP went to SIPp's RTP port (its echo brought our own report back:
    far-lost known), where SIPp echoes, not to port+1 where nothing listens."""
    gw, uac, ans = call_from_sipp(tb, avpf_uac("95551234", RTCP_CALL_MS))
    if not re.search(r"^m=audio \d+ RTP/AVPF 0 101$", ans, re.M):
        raise FlowError("answer not RTP/AVPF with PCMU and telephone-event:\n" + ans)
    if "a=rtcp-fb" in ans or not re.search(r"^a=rtcp-mux$", ans, re.M):
        raise FlowError("answer with rtcp-fb or without rtcp-mux:\n" + ans)
    far = gw.wait_line(END_FAR, stream="err").group(1)
    if far == "?":
        raise FlowError("no RTCP report came back on the RTP port: not muxed (far-lost=?)")


@flow
@fl.no_pri
def caps_no_rtcp_mux_rtcp_on_port_plus_1(tb):
    """The control of caps_avpf_rtcp_mux_offer_connects: an RTP/AVP offer without rtcp-mux is
    answered without it and RTCP goes to port+1, which SIPp does not echo: far-lost stays "?"."""
    gw, uac, ans = call_from_sipp(tb, peers.uac_scenario("95551234", calling="2001", bye_after_ms=RTCP_CALL_MS))
    if "rtcp-mux" in ans or not re.search(r"^m=audio \d+ RTP/AVP 0", ans, re.M):
        raise FlowError("answer to a plain offer not plain RTP/AVP:\n" + ans)
    far = gw.wait_line(END_FAR, stream="err").group(1)
    if far != "?":
        raise FlowError("far-lost %s with RTCP on port+1, where SIPp does not listen: the check proves nothing" % far)


def reoffer_xml(user):
    """A call (PCMU) whose caller then re-INVITEs with video only, then UPDATEs with G.729
    only; each is expected 488 and the call to stay up to the BYE."""
    def req(method, cseq, body):
        return """  <send retrans="500"><![CDATA[
%(m)s [next_url] SIP/2.0
[routes]
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:2001@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: [$to]
[last_Call-ID:]
CSeq: %(c)d %(m)s
Contact: <sip:2001@[local_ip]:[local_port]>
Max-Forwards: 70
%(b)s]]></send>
""" % {"m": method, "c": cseq, "b": ("Content-Type: application/sdp\nContent-Length: [len]\n\n" + body)
       if body else "Content-Length: 0\n\n"}
    ack = """  <send><![CDATA[
ACK [next_url] SIP/2.0
[routes]
[last_Via:]
From: <sip:2001@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: [$to]
[last_Call-ID:]
CSeq: %d ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
"""
    xml = peers.uac_scenario(user, calling="2001", bye_after_ms=300)
    head, tail = xml.split("  <pause milliseconds=\"300\"/>", 1)
    mid = ("  <pause milliseconds=\"300\"/>\n" + req("INVITE", 2, SDP_VIDEO_ONLY) +
           '  <recv response="100" optional="true"/>\n  <recv response="488"/>\n' + ack % 2 +
           req("UPDATE", 3, SDP_G729_ONLY) + '  <recv response="488"/>\n' +
           req("INFO", 4, "hello").replace("application/sdp", "text/plain") + '  <recv response="415"/>\n' +
           req("OPTIONS", 5, None) + '  <recv response="200"/>\n')
    return head + mid + "  <pause milliseconds=\"300\"/>" + tail.replace("CSeq: 2 BYE", "CSeq: 6 BYE")


@flow
@fl.no_pri
def caps_reoffer_refusals_keep_the_call(tb):
    """In an answered call, a re-INVITE with only video: 488 Warning 304 (it was answered 200
    before); an UPDATE with only G.729: 488 Warning 305; an INFO with a text/plain body for the
    PRI party: 415 with the Accept of what it takes; an OPTIONS in the dialog: 200. The call stays
    up to the caller's BYE."""
    tb.gateway(tb.config([pots_peer(900, "9T")]))
    pbx = tb.pbx("--exit-when-done", "--answer-after", "0.2")
    pbx.wait_line(r"EVENT dchan up")
    uac = peers.Sipp(tb, "sipp-reoffer", reoffer_xml("95551234"), remote="127.0.0.1:%d" % tb.sip_port)
    uac.check_passed()
    if pbx.wait_exit() != 0:
        raise FlowError("the PBX simulator failed")
    expect_ladder("SIP (SIPp)", uac.ladder(),
                  ["> INVITE", "< 100/INVITE", "< 180/INVITE", "< 200/INVITE", "> ACK",
                   "> INVITE", "< 100/INVITE", "< 488/INVITE", "> ACK", "> UPDATE", "< 488/UPDATE",
                   "> INFO", "< 415/INFO", "> OPTIONS", "< 200/OPTIONS", "> BYE", "< 200/BYE"])
    must_header(uac.find("<", r"^SIP/2\.0 415 ")[0], "Accept", "application/dtmf-relay, application/dtmf")
    must_warning(uac.find("<", r"^SIP/2\.0 488 ")[0], 304, "no audio stream")
    must_warning(uac.find("<", r"^SIP/2\.0 488 ")[1], 305, "no codec in common")
    expect_ladder("PRI", fl.q931_ladder(pbx.lines()),
                  ["< SETUP", "> CALL PROCEEDING", "> ALERTING", "> CONNECT", "< CONNECT ACKNOWLEDGE",
                   "< DISCONNECT cause=16", "> RELEASE", "< RELEASE COMPLETE"])


@flow
@fl.no_pri
def caps_unauthenticated_bad_offer_gets_407(tb):
    """An unauthenticated INVITE from an untrusted address with an offer the gateway cannot take
    (video only; G.729 only): 407 with a challenge, never the 488 that would tell a caller not yet
    known what the gateway takes (RFC 3261 8.2: authenticate, then inspect). No SETUP."""
    extra = 'registrar = { realm = "sipgw"; users = ( { user = "2001"; password = "x"; } ); };\n'
    tb.gateway(tb.config([pots_peer(900, "9T")], extra=extra, trusted=()))
    pbx = tb.pbx()
    pbx.wait_line(r"EVENT dchan up")
    ruri = "sip:95551234@[remote_ip]:[remote_port]"
    for name, body in (("sipp-video", SDP_VIDEO_ONLY), ("sipp-g729", SDP_G729_ONLY)):
        r = ask(tb, name, "INVITE", 407, ruri=ruri, body=body)
        if not (peers.header(r, "Proxy-Authenticate") or "").startswith("Digest "):
            raise FlowError("407 without a digest challenge:\n" + r)
        if peers.header(r, "Warning"):
            raise FlowError("407 says what the offer lacked:\n" + r)
    if any(t.startswith("< SETUP") for _, t in fl.timed(pbx.lines(), "Q931")):
        raise FlowError("a SETUP went out for an unauthenticated INVITE")


@flow
@fl.no_pri
def caps_options_503_when_no_channel_is_free(tb):
    """Every B-channel kept for emergency calls (reserved_channels = 23 on a T1): no ordinary
    call can go out, so OPTIONS gets 503 with Retry-After and the reason is logged."""
    extra = 'emergency = { numbers = ( { pattern = "911"; } ); reserved_channels = 23; };\n'
    gw = tb.gateway(tb.config([pots_peer(900, "9T")], extra=extra))
    pbx = tb.pbx()
    pbx.wait_line(r"EVENT dchan up")
    r = ask(tb, "sipp-options", "OPTIONS", 503)
    if not re.match(r"^\d+$", peers.header(r, "Retry-After") or ""):
        raise FlowError("503 without Retry-After:\n" + r)
    gw.wait_line(r"OPTIONS from 127\.0\.0\.1: 503, every B-channel is busy", stream="err")


@flow
@fl.no_pri
def caps_refer_outside_dialog_403(tb):
    """A REFER outside any dialog (RFC 3515 allows it: "call this number for me") to a PSTN
    number, from a trusted address even: 403, and nothing on the PRI (no leg, no transferor)."""
    tb.gateway(tb.config([pots_peer(900, "9T")]))
    pbx = tb.pbx()
    pbx.wait_line(r"EVENT dchan up")
    # Sofia 1.12.11 NOTIFYs an out-of-dialog REFER's implicit subscription ("100 Trying")
    # as it reports the REFER, crossing our 403: SIPp cannot take both in either order, so
    # the raw client, which skips requests while it waits for the REFER's final response.
    ua = sipraw.RawUA(tb.sip_port, "2001")
    try:
        ruri = "sip:2001@127.0.0.1:%d" % tb.sip_port
        ua.request("REFER", ruri, ruri, ["Refer-To: <sip:95551234@127.0.0.1:%d>" % tb.sip_port,
                                         "Referred-By: <sip:2001@127.0.0.1>"])
        r = ua.recv_final()
    finally:
        ua.close()
    if r.status != 403:
        raise FlowError("REFER outside a dialog: %d %s, want 403" % (r.status, r.phrase))
    if any(t.startswith("< SETUP") for _, t in fl.timed(pbx.lines(), "Q931")):
        raise FlowError("a SETUP went out for a REFER outside a dialog")
