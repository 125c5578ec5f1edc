# sipgw call-flow tests against SIPp for where offers and answers go (issue
# 12): delayed offer both ways (RFC 3261 13.2.1: the offer in our 200 or
# reliable 183, the answer in the ACK or PRACK; our INVITE without SDP for a
# dial-peer that asks), a re-INVITE without SDP, UPDATE with SDP before and
# after the answer (RFC 3311), and RFC 4028 session timers exactly
# (Require: timer, 422, refresh by UPDATE or by re-INVITE with SDP). Every
# call checks the ladder and that audio crossed: SIPp echoes the RTP it
# gets, so the PBX hears its own 2000 Hz tone only if both directions work.
# SPDX-License-Identifier: GPL-2.0-only
import re

import flowlib as fl
from flowlib import FlowError, expect_ladder, flow, pbx_call, pots_peer, q931_ladder, tone_events, voip_peer

import peers

SDP = peers.SDP
PRI_ANSWERED = ["< SETUP", "> CALL PROCEEDING", "> ALERTING", "> CONNECT", "< CONNECT ACKNOWLEDGE"]

HEAD = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="%s">
"""

# Our side of the dialog as SIPp writes it, after the 2xx (rrs: route set, [next_url]: the gateway's Contact).
IN_DIALOG = """Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:2001@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: [$to]
[last_Call-ID:]
Max-Forwards: 70
Contact: <sip:2001@[local_ip]:[local_port];transport=[transport]>"""

REPLY_200 = """SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:sipp@[local_ip]:[local_port];transport=[transport]>"""


# The ACK of a final failure to our first INVITE (RFC 3261 17.1.1.3: the
# INVITE's branch, the response's To tag).
ACK_FAILURE = """  <send><![CDATA[
ACK sip:95551234@[remote_ip]:[remote_port] SIP/2.0
[last_Via:]
From: <sip:2001@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
[last_To:]
[last_Call-ID:]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
"""


def invite(user, extra_headers="", sdp=True):
    body = ("Content-Type: application/sdp\nContent-Length: [len]\n\n" + SDP) if sdp else "Content-Length: 0\n"
    return """  <send retrans="500"><![CDATA[
INVITE sip:%s@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:2001@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:%s@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:2001@[local_ip]:[local_port];transport=[transport]>
Max-Forwards: 70
%s%s
]]></send>
""" % (user, user, extra_headers, body)


def recv_final(status="200", checks=()):
    """Receive the final response, keeping To (with the tag) for the dialog; checks:
    (search_in, header or "", regexp) that must match (SIPp fails the call if not)."""
    acts = ['      <ereg regexp="[^ ].*" search_in="hdr" header="To:" assign_to="to"/>']
    for i, (where, hdr, rx) in enumerate(checks):
        acts.append('      <ereg regexp="%s" search_in="%s"%s check_it="true" assign_to="chk%d"/>'
                    % (rx, where, (' header="%s"' % hdr) if hdr else "", i))
    return """  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="%s" rrs="true">
    <action>
%s
    </action>
  </recv>
""" % (status, "\n".join(acts))


def ack(cseq=1, sdp=False):
    body = ("Content-Type: application/sdp\nContent-Length: [len]\n\n" + SDP) if sdp else "Content-Length: 0\n"
    return """  <send><![CDATA[
ACK [next_url] SIP/2.0
[routes]
%s
CSeq: %d ACK
%s
]]></send>
""" % (IN_DIALOG, cseq, body)


def request(method, cseq, sdp=False, extra_headers=""):
    body = ("Content-Type: application/sdp\nContent-Length: [len]\n\n" + SDP) if sdp else "Content-Length: 0\n"
    return """  <send retrans="500"><![CDATA[
%s [next_url] SIP/2.0
[routes]
%s
CSeq: %d %s
%s%s
]]></send>
""" % (method, IN_DIALOG, cseq, method, extra_headers, body)


def recv_response(status, checks=(), optional_1xx=False):
    acts = "".join('      <ereg regexp="%s" search_in="%s"%s check_it="true" assign_to="r%d"/>\n'
                   % (rx, where, (' header="%s"' % hdr) if hdr else "", i) for i, (where, hdr, rx) in enumerate(checks))
    pre = '  <recv response="100" optional="true"/>\n' if optional_1xx else ""
    if not acts:
        return pre + '  <recv response="%s"/>\n' % status
    return pre + '  <recv response="%s">\n    <action>\n%s    </action>\n  </recv>\n' % (status, acts)


def bye(cseq, after_ms):
    return '  <pause milliseconds="%d"/>\n' % after_ms + request("BYE", cseq) + '  <recv response="200"/>\n'


def scenario(name, body):
    """A whole SIPp scenario. A variable only checked (check_it) is used once, which SIPp
    refuses: a Reference element marks them used."""
    checked = sorted(set(re.findall(r'check_it="true" assign_to="(\w+)"', body)))
    ref = '  <Reference variables="%s"/>\n' % ",".join(checked) if checked else ""
    return HEAD % name + body + ref + "</scenario>\n"


def sipp_uac(tb, name, body, timeout=20):
    return peers.Sipp(tb, name, scenario(name, body), remote="127.0.0.1:%d" % tb.sip_port, timeout=timeout)


def to_pri(tb, timers="", answer_after="0.3", inband=False):
    """sipgw with a pots dial-peer 9T and the PBX answering with its tone, waiting for it;
    inband: the PBX says progress indicator 8 (tones in-band) before answering."""
    conf = tb.config([pots_peer(900, "9T")])
    if timers:
        with open(conf) as f:
            txt = f.read()
        with open(conf, "w") as f:
            f.write(txt.replace("shutdown-grace = 2;", "shutdown-grace = 2; " + timers))
    gw = tb.gateway(conf)
    pbx = tb.pbx("--exit-when-done", "--answer-after", answer_after, "--tone", "2000", "--detect", "2000",
                 *(["--inband"] if inband else []))
    pbx.wait_line(r"EVENT dchan up")
    return gw, pbx


def heard_echo(pbx):
    if "on" not in [e for _, e in tone_events(pbx.lines(), 2000)]:
        raise FlowError("PBX did not hear its 2000 Hz echoed by SIPp through the gateway: no audio both ways")


def check_pri(pbx, progress=False):
    if pbx.wait_exit() != 0:
        raise FlowError("the PBX simulator failed")
    lad = q931_ladder(pbx.lines())
    want = PRI_ANSWERED + ["< DISCONNECT cause=16", "> RELEASE", "< RELEASE COMPLETE"]
    expect_ladder("PRI", lad, want)


def sdp_of(text):
    return text.split("\n\n", 1)[1] if "\n\n" in text else ""


def has_offer(text):
    return re.search(r"^m=audio [1-9]\d* RTP/AVP ", sdp_of(text), re.M) is not None


def reliable_183_then_200(answer_in_prack):
    """The caller's side of a reliable 183 (RFC 3262): the 183 with Require: 100rel, RSeq
    and SDP, our PRACK with its RAck (and the answer, when the 183 carried the offer),
    its 200, then the INVITE's 200 with no SDP in it (RFC 6337 3.1)."""
    body = ("Content-Type: application/sdp\nContent-Length: [len]\n\n" + SDP) if answer_in_prack \
        else "Content-Length: 0\n"
    return """  <recv response="100" optional="true"/>
  <recv response="183" rrs="true">
    <action>
      <ereg regexp="[^ ].*" search_in="hdr" header="To:" assign_to="to"/>
      <ereg regexp="[0-9]+" search_in="hdr" header="RSeq:" assign_to="rseq"/>
      <ereg regexp="100rel" search_in="hdr" header="Require:" check_it="true" assign_to="req"/>
      <ereg regexp="m=audio [1-9]" search_in="body" check_it="true" assign_to="sdp183"/>
    </action>
  </recv>
  <send retrans="500"><![CDATA[
PRACK [next_url] SIP/2.0
[routes]
%s
CSeq: 2 PRACK
RAck: [$rseq] 1 INVITE
%s
]]></send>
  <recv response="200"/>
  <recv response="200">
    <action>
      <ereg regexp="^$" search_in="body" check_it="true" assign_to="nobody"/>
    </action>
  </recv>
""" % (IN_DIALOG, body)


@flow
@fl.no_pri
def delayed_offer_in_200(tb):
    """INVITE without SDP: our offer in the 200, SIPp's answer in the ACK; audio both ways."""
    _, pbx = to_pri(tb)
    uac = sipp_uac(tb, "do-in", invite("95551234", sdp=False) + recv_final() + ack(sdp=True) + bye(2, 1500))
    uac.check_passed()
    check_pri(pbx)
    expect_ladder("SIP (SIPp)", uac.ladder(),
                  ["> INVITE", "< 100/INVITE", "< 180/INVITE", "< 200/INVITE", "> ACK", "> BYE", "< 200/BYE"])
    ok = uac.find("<", r"^SIP/2.0 200 ")[0]
    if not has_offer(ok):
        raise FlowError("the 200 to an INVITE without SDP carries no offer:\n" + ok)
    heard_echo(pbx)


@flow
@fl.no_pri
def delayed_offer_in_reliable_183(tb):
    """INVITE without SDP, 100rel supported, the PBX plays in-band progress: our offer in a
    reliable 183 (Require: 100rel, RSeq), the answer in the PRACK, a 200 without SDP."""
    _, pbx = to_pri(tb, answer_after="1.0", inband=True)
    prack = reliable_183_then_200(answer_in_prack=True)
    uac = sipp_uac(tb, "do-183", invite("95551234", "Supported: 100rel\n", sdp=False) + prack + ack() + bye(3, 1500))
    uac.check_passed()
    check_pri(pbx)
    expect_ladder("SIP (SIPp)", uac.ladder(),
                  ["> INVITE", "< 100/INVITE", "< 183/INVITE", "> PRACK", "< 200/PRACK", "< 200/INVITE", "> ACK",
                   "> BYE", "< 200/BYE"])
    heard_echo(pbx)


@flow
@fl.no_pri
def delayed_offer_in_no_answer_in_ack(tb):
    """INVITE without SDP and an ACK without the answer: the session cannot work, so sipgw
    BYEs with cause 65 and the PBX gets DISCONNECT 65 — nothing is left half up."""
    _, pbx = to_pri(tb)
    body = (invite("95551234", sdp=False) + recv_final() + ack(sdp=False) +
            """  <recv request="BYE">
    <action><ereg regexp="cause=65" search_in="hdr" header="Reason:" check_it="true" assign_to="r"/></action>
  </recv>
  <send><![CDATA[
%s
Content-Length: 0

]]></send>
""" % REPLY_200)
    uac = sipp_uac(tb, "do-noans", body)
    uac.check_passed()
    if pbx.wait_exit() != 0:
        raise FlowError("the PBX simulator failed")
    expect_ladder("PRI", q931_ladder(pbx.lines()), PRI_ANSWERED + ["< DISCONNECT cause=65", "> RELEASE",
                                                                  "< RELEASE COMPLETE"])


def uas_delayed(checks_invite_nobody=True):
    """A SIPp UAS that takes an INVITE without SDP, offers in its 200 and checks the
    answer in the ACK; the PBX hangs up (BYE from the gateway)."""
    return scenario("uas-do", """  <recv request="INVITE" crlf="true" rrs="true">
    <action>
      <ereg regexp="^$" search_in="body" check_it="true" assign_to="nobody"/>
    </action>
  </recv>
  <send><![CDATA[
SIP/2.0 180 Ringing
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:sipp@[local_ip]:[local_port];transport=[transport]>
Content-Length: 0

]]></send>
  <pause milliseconds="200"/>
  <send retrans="500"><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:sipp@[local_ip]:[local_port];transport=[transport]>
Content-Type: application/sdp
Content-Length: [len]

""" + SDP + """
]]></send>
  <recv request="ACK" crlf="true">
    <action>
      <ereg regexp="m=audio [1-9][0-9]* RTP/AVP" search_in="body" check_it="true" assign_to="answer"/>
    </action>
  </recv>
  <recv request="BYE"/>
  <send><![CDATA[
""" + REPLY_200 + """
Content-Length: 0

]]></send>
""")


@flow
def delayed_offer_out(tb):
    """A dial-peer with delayed_offer: our INVITE has no SDP, SIPp offers in its 200 and
    sipgw answers in the ACK; audio both ways, the PBX hangs up."""
    uas = peers.Sipp(tb, "sipp", uas_delayed())
    tb.gateway(tb.config([voip_peer(100, "2...", uas.port) + " delayed_offer = true;"]))
    pbx = pbx_call(tb, "--tone", "2000", "--detect", "2000", "--hangup-after", "1.5")
    if pbx.wait_exit() != 0:
        raise FlowError("the PBX simulator failed")
    uas.check_passed()
    expect_ladder("SIP (SIPp)", uas.ladder(), ["< INVITE", "> 180/INVITE", "> 200/INVITE", "< ACK", "< BYE",
                                               "> 200/BYE"])
    inv = uas.find("<", r"^INVITE ")[0]
    if re.search(r"^Supported:.*100rel", inv, re.M | re.I):
        raise FlowError("a delayed-offer INVITE offers 100rel (nua would PRACK an offer unanswered):\n" + inv)
    heard_echo(pbx)


@flow
@fl.no_pri
def reinvite_without_sdp(tb):
    """A re-INVITE without SDP in an answered call: our offer in the 200, SIPp's answer in
    the ACK; the audio goes on."""
    _, pbx = to_pri(tb)
    body = (invite("95551234") + recv_final() + ack() + '  <pause milliseconds="400"/>\n' +
            request("INVITE", 2) +
            recv_response("200", [("body", "", "m=audio [1-9]")], optional_1xx=True) +
            ack(2, sdp=True) + bye(3, 1500))
    uac = sipp_uac(tb, "reinv", body)
    uac.check_passed()
    check_pri(pbx)
    expect_ladder("SIP (SIPp)", uac.ladder(),
                  ["> INVITE", "< 100/INVITE", "< 180/INVITE", "< 200/INVITE", "> ACK", "> INVITE", "< 100/INVITE",
                   "< 200/INVITE", "> ACK", "> BYE", "< 200/BYE"])
    heard_echo(pbx)


@flow
@fl.no_pri
def update_with_sdp_after_answer(tb):
    """UPDATE with an offer in an answered call (RFC 3311 5.2): the 200 carries our answer."""
    _, pbx = to_pri(tb)
    body = (invite("95551234") + recv_final() + ack() + '  <pause milliseconds="400"/>\n' +
            request("UPDATE", 2, sdp=True) +
            recv_response("200", [("body", "", "m=audio [1-9][0-9]* RTP/AVP 0")]) + bye(3, 1500))
    uac = sipp_uac(tb, "upd", body)
    uac.check_passed()
    check_pri(pbx)
    expect_ladder("SIP (SIPp)", uac.ladder(),
                  ["> INVITE", "< 100/INVITE", "< 180/INVITE", "< 200/INVITE", "> ACK", "> UPDATE", "< 200/UPDATE",
                   "> BYE", "< 200/BYE"])
    heard_echo(pbx)


@flow
@fl.no_pri
def update_with_sdp_early(tb):
    """UPDATE with an offer in the early dialog (RFC 3311 5.1), while the PBX rings: the
    200 carries our answer, then the call is answered and the audio crosses."""
    _, pbx = to_pri(tb, answer_after="1.5")
    body = (invite("95551234") + """  <recv response="100" optional="true"/>
  <recv response="180" rrs="true">
    <action><ereg regexp="[^ ].*" search_in="hdr" header="To:" assign_to="to"/></action>
  </recv>
""" + request("UPDATE", 2, sdp=True) +
            recv_response("200", [("body", "", "m=audio [1-9][0-9]* RTP/AVP 0")]) +
            '  <recv response="200" rrs="true"/>\n' + ack() + bye(3, 1500))
    uac = sipp_uac(tb, "upd-early", body)
    uac.check_passed()
    check_pri(pbx)
    expect_ladder("SIP (SIPp)", uac.ladder(),
                  ["> INVITE", "< 100/INVITE", "< 180/INVITE", "> UPDATE", "< 200/UPDATE", "< 200/INVITE", "> ACK",
                   "> BYE", "< 200/BYE"])
    heard_echo(pbx)


@flow
@fl.no_pri
def session_timer_require_timer(tb):
    """RFC 4028 9: a caller that supports timers gets Session-Expires and Require: timer in the 200."""
    _, pbx = to_pri(tb)
    body = (invite("95551234", "Supported: timer\nSession-Expires: 1800\n") +
            recv_final(checks=[("hdr", "Require:", "timer"), ("hdr", "Session-Expires:", "[0-9]+;refresher=u[as]c")]) +
            ack() + bye(2, 1500))
    uac = sipp_uac(tb, "st-req", body)
    uac.check_passed()
    check_pri(pbx)
    heard_echo(pbx)


@flow
@fl.no_pri
def session_timer_422_then_call(tb):
    """RFC 4028 6: Session-Expires below our Min-SE gets 422 with Min-SE; the caller asks
    again with it and the call goes through."""
    _, pbx = to_pri(tb, "session-expires = 120; min-se = 90;")
    first = invite("95551234", "Supported: timer\nSession-Expires: 30\n")
    body = (first + """  <recv response="100" optional="true"/>
  <recv response="422">
    <action><ereg regexp="90" search_in="hdr" header="Min-SE:" check_it="true" assign_to="minse"/></action>
  </recv>
""" + ACK_FAILURE + invite("95551234", "Supported: timer\nSession-Expires: 90\nMin-SE: 90\n").replace("CSeq: 1 INVITE",
                                                                                         "CSeq: 2 INVITE")
            + recv_final(checks=[("hdr", "Session-Expires:", "^ *90;")]) + ack(2) + bye(3, 1500))
    uac = sipp_uac(tb, "st-422", body)
    uac.check_passed()
    check_pri(pbx)
    expect_ladder("SIP (SIPp)", uac.ladder(),
                  ["> INVITE", "< 422/INVITE", "> ACK", "> INVITE", "< 100/INVITE", "< 180/INVITE",
                   "< 200/INVITE", "> ACK", "> BYE", "< 200/BYE"])
    heard_echo(pbx)


def refresh_scenario(allow_update):
    """SIPp calls with Session-Expires 4 s asking sipgw (the UAS) to refresh; sipgw's
    refresh comes at half the interval, as UPDATE without SDP when SIPp's Allow has
    UPDATE, else as a re-INVITE with our SDP, saying refresher=uac (we send it, and we
    refresh: RFC 4028 7.4); SIPp answers it, keeping sipgw the refresher, and hangs up."""
    allow = "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS%s\n" % (", UPDATE" if allow_update else "")
    head = invite("95551234", "Supported: timer\nSession-Expires: 4;refresher=uas\n" + allow)
    if allow_update:
        refresh = """  <recv request="UPDATE" timeout="8000">
    <action>
      <ereg regexp="^$" search_in="body" check_it="true" assign_to="nosdp"/>
      <ereg regexp="refresher=uac" search_in="hdr" header="Session-Expires:" check_it="true" assign_to="se"/>
    </action>
  </recv>
  <send><![CDATA[
%s
Supported: timer
Require: timer
Session-Expires: 4;refresher=uac
Content-Length: 0

]]></send>
""" % REPLY_200
    else:
        refresh = """  <recv request="INVITE" timeout="8000">
    <action>
      <ereg regexp="m=audio [1-9]" search_in="body" check_it="true" assign_to="sdp"/>
    </action>
  </recv>
  <send><![CDATA[
%s
Supported: timer
Require: timer
Session-Expires: 4;refresher=uac
Content-Type: application/sdp
Content-Length: [len]

%s
]]></send>
  <recv request="ACK"/>
""" % (REPLY_200, SDP)
    return head + recv_final(checks=[("hdr", "Session-Expires:", "refresher=uas")]) + ack() + refresh + bye(2, 300)


@flow
@fl.no_pri
def session_refresh_by_update(tb):
    """We refresh (refresher=uas) and the caller allows UPDATE: the refresh is an UPDATE
    without SDP (RFC 4028 7.4), answered, and the call goes on."""
    gw, pbx = to_pri(tb, "session-expires = 4; min-se = 1;")
    uac = sipp_uac(tb, "st-upd", refresh_scenario(True))
    uac.check_passed()
    check_pri(pbx)
    gw.wait_line(r"session refresh \(UPDATE", stream="err")
    heard_echo(pbx)


@flow
@fl.no_pri
def session_refresh_by_reinvite_with_sdp(tb):
    """We refresh and the caller does not allow UPDATE: a re-INVITE carrying our SDP, never
    an INVITE without SDP (which would push the far end into a delayed offer)."""
    gw, pbx = to_pri(tb, "session-expires = 4; min-se = 1;")
    uac = sipp_uac(tb, "st-reinv", refresh_scenario(False))
    uac.check_passed()
    check_pri(pbx)
    gw.wait_line(r"session refresh \(re-INVITE", stream="err")
    heard_echo(pbx)


@flow
def session_refresh_reinvite_unanswered_bye(tb):
    """We refresh as UAC towards a peer that does not allow UPDATE: a re-INVITE with our
    SDP; the peer never answers it, so before Timer B ends the call is cleared with a BYE
    carrying Reason cause 102 (RFC 4028 10, RFC 3398) and DISCONNECT 102 to the PBX."""
    uas = peers.Sipp(tb, "sipp", scenario("uas-st", """  <recv request="INVITE" crlf="true" rrs="true"/>
  <send retrans="500"><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:sipp@[local_ip]:[local_port];transport=[transport]>
Allow: INVITE, ACK, BYE, CANCEL, OPTIONS
Supported: timer
Require: timer
Session-Expires: 4;refresher=uac
Content-Type: application/sdp
Content-Length: [len]

""" + SDP + """
]]></send>
  <recv request="ACK" crlf="true"/>
  <recv request="INVITE" timeout="8000">
    <action><ereg regexp="m=audio [1-9]" search_in="body" check_it="true" assign_to="sdp"/></action>
  </recv>
  <recv request="BYE" timeout="8000">
    <action><ereg regexp="cause=102" search_in="hdr" header="Reason:" check_it="true" assign_to="r"/></action>
  </recv>
  <send><![CDATA[
""" + REPLY_200 + """
Content-Length: 0

]]></send>
"""))
    conf = tb.config([voip_peer(100, "2...", uas.port)], timer_b=1)
    with open(conf) as f:
        txt = f.read()
    with open(conf, "w") as f:
        f.write(txt.replace("shutdown-grace = 2;", "shutdown-grace = 2; session-expires = 4; min-se = 1;"))
    gw = tb.gateway(conf)
    pbx = pbx_call(tb, "--tone", "2000", "--detect", "2000")
    uas.check_passed()
    if pbx.wait_exit() != 0:
        raise FlowError("the PBX simulator failed")
    expect_ladder("PRI", q931_ladder(pbx.lines()),
                  ["> SETUP", "< CALL PROCEEDING", "< CONNECT", "> CONNECT ACKNOWLEDGE", "< DISCONNECT cause=102",
                   "> RELEASE", "< RELEASE COMPLETE"])
    gw.wait_line(r"session refresh \(re-INVITE", stream="err")
    gw.wait_line(r"session refresh failed: no answer", stream="err")
    heard_echo(pbx)


@flow
@fl.no_pri
def delayed_offer_door_shut(tb):
    """Toll fraud through a delayed offer: an INVITE without SDP from an untrusted,
    unauthenticated source to a PSTN number gets the 407 challenge like any other, and
    nothing reaches the PRI; the same INVITE from a trusted source would."""
    from flows_b17_b23_proxy import no_setup, registrar_conf
    tb.gateway(tb.config([pots_peer(900, "9T")], extra=registrar_conf(tb), trusted=()))
    pbx = tb.pbx("--timeout", "15")
    pbx.wait_line(r"EVENT dchan up")
    body = invite("95551234", sdp=False) + """  <recv response="100" optional="true"/>
  <recv response="407">
    <action><ereg regexp="Digest" search_in="hdr" header="Proxy-Authenticate:" check_it="true" assign_to="ch"/></action>
  </recv>
""" + ACK_FAILURE
    uac = sipp_uac(tb, "do-door", body)
    uac.check_passed()
    pbx.stop()
    if not no_setup(pbx):
        raise FlowError("an unauthenticated delayed-offer INVITE reached the PRI")
    expect_ladder("SIP (SIPp)", uac.ladder(), ["> INVITE", "< 100/INVITE", "< 407/INVITE", "> ACK"])


@flow
def prack_for_reliable_183_out(tb):
    """RFC 3262 as UAC: SIPp answers our INVITE with a reliable 183 (Require: 100rel,
    RSeq) carrying its SDP; sipgw PRACKs it with the matching RAck, the early media
    reaches the PBX, then the 200; audio both ways."""
    uas = peers.Sipp(tb, "sipp", scenario("uas-100rel", """  <recv request="INVITE" crlf="true" rrs="true">
    <action>
      <ereg regexp="100rel" search_in="hdr" header="Supported:" check_it="true" assign_to="s"/>
      <ereg regexp="[^ ].*" search_in="hdr" header="Via:" assign_to="ivia"/>
      <ereg regexp="[^ ].*" search_in="hdr" header="CSeq:" assign_to="icseq"/>
    </action>
  </recv>
  <send><![CDATA[
SIP/2.0 183 Session Progress
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:sipp@[local_ip]:[local_port];transport=[transport]>
Require: 100rel
RSeq: 7
Content-Type: application/sdp
Content-Length: [len]

""" + SDP + """
]]></send>
  <recv request="PRACK" crlf="true">
    <action><ereg regexp="^ *7 [0-9]+ INVITE" search_in="hdr" header="RAck:" check_it="true" assign_to="rack"/></action>
  </recv>
  <send><![CDATA[
""" + REPLY_200 + """
Content-Length: 0

]]></send>
  <pause milliseconds="500"/>
  <send retrans="500"><![CDATA[
SIP/2.0 200 OK
Via: [$ivia]
[last_From:]
[last_To:]
[last_Call-ID:]
CSeq: [$icseq]
Contact: <sip:sipp@[local_ip]:[local_port];transport=[transport]>
Content-Type: application/sdp
Content-Length: [len]

""" + SDP + """
]]></send>
  <recv request="ACK" crlf="true"/>
  <recv request="BYE"/>
  <send><![CDATA[
""" + REPLY_200 + """
Content-Length: 0

]]></send>
"""))
    tb.gateway(tb.config([voip_peer(100, "2...", uas.port)]))
    pbx = pbx_call(tb, "--tone", "2000", "--detect", "2000", "--hangup-after", "1.5")
    if pbx.wait_exit() != 0:
        raise FlowError("the PBX simulator failed")
    uas.check_passed()
    expect_ladder("SIP (SIPp)", uas.ladder(), ["< INVITE", "> 183/INVITE", "< PRACK", "> 200/PRACK", "> 200/INVITE",
                                               "< ACK", "< BYE", "> 200/BYE"])
    heard_echo(pbx)


@flow
@fl.no_pri
def reliable_183_in_then_200_without_sdp(tb):
    """RFC 3262 as UAS: a caller with Supported: 100rel and a PBX playing in-band progress:
    our answer goes in a reliable 183 (Require: 100rel, RSeq), the caller PRACKs, and the
    200 carries no second answer (RFC 6337 3.1); audio both ways."""
    _, pbx = to_pri(tb, answer_after="1.0", inband=True)
    prack = reliable_183_then_200(answer_in_prack=False)
    uac = sipp_uac(tb, "rel183", invite("95551234", "Supported: 100rel\n") + prack + ack() + bye(3, 1500))
    uac.check_passed()
    check_pri(pbx)
    expect_ladder("SIP (SIPp)", uac.ladder(),
                  ["> INVITE", "< 100/INVITE", "< 183/INVITE", "> PRACK", "< 200/PRACK", "< 200/INVITE", "> ACK",
                   "> BYE", "< 200/BYE"])
    heard_echo(pbx)
