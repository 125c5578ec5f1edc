# sipgw call-flow tests against real third-party SIP peers (issue 12): SIPp
# as the far phone and as the calling one, its RTP echo proving that audio
# crossed the gateway both ways; baresip registered with the gateway's
# registrar, called and calling, holding and resuming; the ladder on both
# sides, the audio each end heard.
# SPDX-License-Identifier: GPL-2.0-only
import re
import time

import flowlib as fl
from flowlib import (PBX_CONNECTED, FlowError, expect_ladder, flow, pbx_call, pots_peer, q931_ladder,
                     tone_events, tone_on_during, voip_peer)
from flows_b17_b23_proxy import REGISTER, USERS, registrar_conf

import peers

SIPP_ANSWERED = ["< INVITE", "> 100/INVITE", "> 180/INVITE", "> 200/INVITE", "< ACK"]


def heard(proc, hz):
    return "on" in [e for _, e in tone_events(proc.lines(), hz)]


def pri_to_sipp(tb, rtp_echo):
    """B-1 with SIPp as the phone: the PBX calls 2001, SIPp answers, the PBX hangs up."""
    uas = peers.Sipp(tb, "sipp", peers.uas_scenario(), rtp_echo=rtp_echo)
    tb.gateway(tb.config([voip_peer(100, "2...", uas.port)]))
    pbx = pbx_call(tb, "--tone", "2000", "--detect", "2000", "--hangup-after", "1.5")
    if pbx.wait_exit() != 0:
        raise FlowError("the PBX simulator failed")
    uas.check_passed()
    expect_ladder("PRI", q931_ladder(pbx.lines()),
                  PBX_CONNECTED + ["> DISCONNECT cause=16", "< RELEASE", "> RELEASE COMPLETE"])
    expect_ladder("SIP (SIPp)", uas.ladder(), SIPP_ANSWERED + ["< BYE", "> 200/BYE"])
    inv = uas.find("<", r"^INVITE ")[0]
    if "INVITE sip:2001@127.0.0.1:%d" % uas.port not in inv.splitlines()[0]:
        raise FlowError("Request-URI not sip:2001@SIPp: " + inv.splitlines()[0])
    bye = uas.find("<", r"^BYE ")[0]
    if "cause=16" not in (peers.header(bye, "Reason") or ""):
        raise FlowError("BYE without Reason cause=16:\n" + bye)
    return pbx


@flow
def sipp_uas_b01_echo(tb):
    """B-1 over SIPp: PBX -> sipgw -> SIPp UAS (100/180/200), PBX hangs up; its tone echoed back by SIPp."""
    pbx = pri_to_sipp(tb, rtp_echo=True)
    if not heard(pbx, 2000):
        raise FlowError("PBX did not hear its 2000 Hz echoed by SIPp through the gateway")


@flow
@fl.no_pri
def sipp_uas_b01_no_echo(tb):
    """The control of sipp_uas_b01_echo: SIPp without -rtp_echo, so the PBX must not hear its own tone."""
    pbx = pri_to_sipp(tb, rtp_echo=False)
    if heard(pbx, 2000):
        raise FlowError("PBX heard 2000 Hz with no echo at SIPp: the detector does not prove the path")


@flow
@fl.no_pri
def sipp_uac_to_pri(tb):
    """SIP -> PRI from SIPp: INVITE 95551234 -> SETUP 5551234, PBX answers, SIPp hangs up; PBX hears its echo."""
    tb.gateway(tb.config([pots_peer(900, "9T")]))
    pbx = tb.pbx("--exit-when-done", "--answer-after", "0.3", "--tone", "2000", "--detect", "2000")
    pbx.wait_line(r"EVENT dchan up")
    uac = peers.Sipp(tb, "sipp", peers.uac_scenario("95551234", calling="2001", bye_after_ms=1500),
                     remote="127.0.0.1:%d" % tb.sip_port)
    uac.check_passed()
    if pbx.wait_exit() != 0:
        raise FlowError("the PBX simulator failed")
    expect_ladder("SIP (SIPp)", uac.ladder(),
                  ["> INVITE", "< 100/INVITE", "< 180/INVITE", "< 200/INVITE", "> ACK", "> BYE", "< 200/BYE"])
    expect_ladder("PRI", q931_ladder(pbx.lines()),
                  ["< SETUP", "> CALL PROCEEDING", "> ALERTING", "> CONNECT", "< CONNECT ACKNOWLEDGE",
                   "< DISCONNECT cause=16", "> RELEASE", "< RELEASE COMPLETE"])
    setup = [t for _, t in fl.timed(pbx.lines(), "Q931") if t.startswith("< SETUP")][0]
    if "called=5551234" not in setup or "calling=2001" not in setup:
        raise FlowError("SETUP numbers wrong: " + setup)
    if not heard(pbx, 2000):
        raise FlowError("PBX did not hear its 2000 Hz echoed by SIPp through the gateway")


# ---------------------------------------------------------------- baresip

def registrar_gateway(tb, peers_=()):
    """sipgw trusting no one, with the registrar of flows_b17_b23_proxy (users 2001..2003)."""
    tb.gateway(tb.config(list(peers_) + [pots_peer(900, "9T")], extra=registrar_conf(tb), trusted=()))


def registered_baresip(tb, name, user, **kw):
    b = peers.Baresip(tb, name, user, registrar="127.0.0.1:%d" % tb.sip_port, password=USERS[user], **kw)
    b.wait_registered()
    return b


def call_ladder(lad):
    """A baresip ladder without its REGISTER exchanges (at start and at shutdown)."""
    if lad[:4] != REGISTER:
        raise FlowError("baresip did not start with REGISTER/401/REGISTER/200: %s" % lad[:6])
    out = lad[4:]
    while out[-4:] == REGISTER or out[-2:] == ["> REGISTER", "< 200/REGISTER"]:
        out = out[:-4] if out[-4:] == REGISTER else out[:-2]
    return out


def sdp_dir(text):
    for d in ("sendrecv", "sendonly", "recvonly", "inactive"):
        if "a=" + d in text:
            return d
    return "sendrecv"


def runs_of(tones, gap_ms=100):
    """[(on, first ms, last ms)] of a tone_ms() list, runs split where packets stop for gap_ms."""
    runs = []
    for ms, on in tones:
        if runs and runs[-1][0] == on and ms - runs[-1][2] < gap_ms:
            runs[-1][2] = ms
        else:
            runs.append([on, ms, ms])
    return [tuple(r) for r in runs]


@flow
@fl.no_pri
def baresip_registered_answers_holds(tb):
    """baresip registers (digest), the PBX calls it, it answers, holds (a=sendonly) and resumes; PBX hangs up; audio both ways, none while held."""
    registrar_gateway(tb, ['tag = 99; type = "voip"; destination_pattern = "2..."; session_target = "registrar";'])
    b = registered_baresip(tb, "baresip", "2001", tone_hz=1000)
    cap = peers.RtpCapture(tb, "rtp-to-baresip", b.media_port)
    pbx = pbx_call(tb, "--tone", "2000", "--detect", "1000", "--hangup-after", "4.0")
    b.wait_event("CALL_INCOMING")
    b.command("accept")
    b.wait_event("CALL_ESTABLISHED")
    pbx.wait_line(r"AUDIO tone 1000 on")
    time.sleep(0.8)                                          # talk time before the hold
    b.command("hold")
    t_held = b.wait_event("CALL_REMOTE_SDP", n=2)["ms"]     # the answer to the hold
    time.sleep(1.0)                                          # the hold's length, not a wait for an event
    t_resume = int(time.monotonic() * 1000)
    b.command("resume")
    t_resumed = b.wait_event("CALL_REMOTE_SDP", n=3)["ms"]
    b.wait_event("CALL_CLOSED", timeout=8)
    if pbx.wait_exit() != 0:
        raise FlowError("the PBX simulator failed")
    expect_ladder("PRI", q931_ladder(pbx.lines()),
                  PBX_CONNECTED + ["> DISCONNECT cause=16", "< RELEASE", "> RELEASE COMPLETE"])
    # baresip 1.0.0 sends no 100 Trying of its own: 180 straight away
    expect_ladder("SIP (baresip)", call_ladder(b.ladder()), [
        "< INVITE", "> 180/INVITE", "> 200/INVITE", "< ACK",
        "> INVITE", "< 100/INVITE", "< 200/INVITE", "> ACK",      # hold
        "> INVITE", "< 100/INVITE", "< 200/INVITE", "> ACK",      # resume
        "< BYE", "> 200/BYE"])
    invs = [t for d, f, t in b.messages() if d == ">" and f.startswith("INVITE ")]
    oks = [t for d, f, t in b.messages() if d == "<" and f.startswith("SIP/2.0 200") and "INVITE" in
           (peers.header(t, "CSeq") or "")]
    dirs = [(sdp_dir(i), sdp_dir(o)) for i, o in zip(invs, oks)]
    if dirs != [("sendonly", "recvonly"), ("sendrecv", "sendrecv")]:
        raise FlowError("hold/resume offer/answer directions: %s" % dirs)
    bye = [t for d, f, t in b.messages() if d == "<" and f.startswith("BYE ")][0]
    if "cause=16" not in (peers.header(bye, "Reason") or ""):
        raise FlowError("BYE to baresip without Reason cause=16:\n" + bye)
    # The PBX heard baresip's 1000 Hz before the hold and after it, not while held
    # (120 ms for frames in flight and the detector's hysteresis).
    ev = tone_events(pbx.lines(), 1000)
    if not tone_on_during(ev, 0, t_held):
        raise FlowError("PBX heard no 1000 Hz from baresip before the hold: %s" % ev)
    if tone_on_during(ev, t_held + 120, t_resume):
        raise FlowError("PBX heard 1000 Hz while baresip held (%d..%d): %s" % (t_held, t_resume, ev))
    if not tone_on_during(ev, t_resumed, 10 ** 12):
        raise FlowError("PBX heard no 1000 Hz after the resume: %s" % ev)
    # baresip's end: it decoded the PBX's 2000 Hz (its dump, which 1.0.0 keeps only up to
    # the hold), and the RTP the gateway sent it carried 2000 Hz before and after, none held.
    recs = b.recordings("dec")
    if not recs or sum(peers.wav_blocks(recs[0], 2000)) < 10:
        raise FlowError("baresip's recording has no 2000 Hz from the PBX: %s" % recs)
    runs = runs_of(cap.tone_ms(2000))
    if not any(on and first < t_held for on, first, last in runs):
        raise FlowError("no 2000 Hz RTP to baresip before the hold: %s" % runs)
    if any(on and last > t_held + 120 and first < t_resume for on, first, last in runs):
        raise FlowError("2000 Hz RTP to baresip while held (%d..%d): %s" % (t_held, t_resume, runs))
    if not any(on and last > t_resumed + 200 for on, first, last in runs):
        raise FlowError("no 2000 Hz RTP to baresip after the resume (%d): %s" % (t_resumed, runs))


@flow
@fl.no_pri
def baresip_calls_pri_authenticated(tb):
    """baresip (registered) calls 95551234 through sipgw: 407, INVITE with credentials, SETUP 5551234, PBX answers, audio both ways, baresip hangs up (cause 16)."""
    registrar_gateway(tb)
    pbx = tb.pbx("--exit-when-done", "--answer-after", "0.3", "--tone", "2000", "--detect", "1000")
    pbx.wait_line(r"EVENT dchan up")
    b = registered_baresip(tb, "baresip", "2001", tone_hz=1000)
    b.command("dial", "sip:95551234@127.0.0.1:%d" % tb.sip_port)
    b.wait_event("CALL_ESTABLISHED")
    pbx.wait_line(r"AUDIO tone 1000 on")
    time.sleep(1.0)                                          # talk time, so baresip's recording has the PBX
    b.command("hangup")
    b.wait_event("CALL_CLOSED")                 # at its BYE, not at the 200
    b.wait_message("<", r"^SIP/2\.0 200", cseq="BYE")
    if pbx.wait_exit() != 0:
        raise FlowError("the PBX simulator failed")
    expect_ladder("SIP (baresip)", call_ladder(b.ladder()),
                  ["> INVITE", "< 100/INVITE", "< 407/INVITE", "> ACK", "> INVITE", "< 100/INVITE", "< 180/INVITE",
                   "< 200/INVITE", "> ACK", "> BYE", "< 200/BYE"])
    expect_ladder("PRI", q931_ladder(pbx.lines()),
                  ["< SETUP", "> CALL PROCEEDING", "> ALERTING", "> CONNECT", "< CONNECT ACKNOWLEDGE",
                   "< DISCONNECT cause=16", "> RELEASE", "< RELEASE COMPLETE"])
    setup = [t for _, t in fl.timed(pbx.lines(), "Q931") if t.startswith("< SETUP")][0]
    if "called=5551234" not in setup or "calling=2001" not in setup:
        raise FlowError("SETUP numbers wrong: " + setup)
    if not heard(pbx, 1000):
        raise FlowError("PBX never heard baresip's 1000 Hz")
    recs = b.recordings("dec")
    if not recs or sum(peers.wav_blocks(recs[0], 2000)) < 10:
        raise FlowError("baresip's recording has no 2000 Hz from the PBX: %s" % recs)


@flow
@fl.no_pri
def baresip_without_credentials_no_trunk(tb):
    """baresip with no password calls 95551234: 407 and no credentials to give, the call fails; no SETUP reaches the PBX."""
    registrar_gateway(tb)
    pbx = tb.pbx("--exit-when-done", "--answer-after", "0.3")
    pbx.wait_line(r"EVENT dchan up")
    b = peers.Baresip(tb, "baresip", "2001")
    b.command("dial", "sip:95551234@127.0.0.1:%d" % tb.sip_port)
    closed = b.wait_event("CALL_CLOSED")
    lad = b.ladder()
    if lad[:4] != ["> INVITE", "< 100/INVITE", "< 407/INVITE", "> ACK"] or "< 200/INVITE" in lad:
        raise FlowError("an unauthenticated INVITE got further than 407: %s (%s)" % (lad, closed.get("param")))
    if any("SETUP" in t for _, t in fl.timed(pbx.lines(), "Q931")):
        raise FlowError("an unauthenticated caller reached the trunk: %s" % q931_ladder(pbx.lines()))


# ---------------------------------------------------------------- Kamailio in front

def via_count(text):
    return sum(len(v.split(",")) for v in re.findall(r"^(?:Via|v)\s*:\s*(.*)$", text, re.M | re.I))


def through_kamailio(k, method, src_port):
    """The requests method that Kamailio relayed from 127.0.0.1:src_port."""
    return [ln for ln in k.passed() if ln.startswith("> %s " % method) and ln.endswith(":%d" % src_port)]


def kamailio_uac_to_pri(tb, sip_hangs_up):
    """SIPp -> Kamailio -> sipgw -> PBX; who hangs up: SIPp (its BYE) or the PBX (sipgw's BYE)."""
    k = peers.Kamailio(tb, peers.kamailio_proxy_cfg(tb.sip_port))
    tb.gateway(tb.config([pots_peer(900, "9T")]))
    pbx = tb.pbx("--exit-when-done", "--answer-after", "0.3", "--tone", "2000", "--detect", "2000",
                 *([] if sip_hangs_up else ["--hangup-after", "1.5"]))
    pbx.wait_line(r"EVENT dchan up")
    uac = peers.Sipp(tb, "sipp", peers.uac_scenario("95551234", calling="2001",
                                                    bye_after_ms=1500 if sip_hangs_up else None),
                     remote="127.0.0.1:%d" % k.port)
    uac.check_passed()
    if pbx.wait_exit() != 0:
        raise FlowError("the PBX simulator failed")
    end = ["> BYE", "< 200/BYE"] if sip_hangs_up else ["< BYE", "> 200/BYE"]
    expect_ladder("SIP (SIPp)", uac.ladder(),
                  ["> INVITE", "< 100/INVITE", "< 180/INVITE", "< 200/INVITE", "> ACK"] + end)
    expect_ladder("PRI", q931_ladder(pbx.lines()),
                  ["< SETUP", "> CALL PROCEEDING", "> ALERTING", "> CONNECT", "< CONNECT ACKNOWLEDGE"] +
                  (["< DISCONNECT cause=16", "> RELEASE", "< RELEASE COMPLETE"] if sip_hangs_up else
                   ["> DISCONNECT cause=16", "< RELEASE", "> RELEASE COMPLETE"]))
    # sipgw saw Kamailio's Record-Route on the INVITE: its 200 OK carries it back (RFC 3261 12.1.1)
    ok = uac.find("<", r"^SIP/2\.0 200", cseq="INVITE")[0]
    rr = peers.header(ok, "Record-Route") or ""
    if ":%d" % k.port not in rr or ";lr" not in rr:
        raise FlowError("200 OK without Kamailio's Record-Route:\n" + ok)
    # the dialog's ACK and BYE went through Kamailio, not around it
    if not through_kamailio(k, "ACK", uac.port):
        raise FlowError("the ACK did not pass Kamailio: %s" % k.passed())
    if sip_hangs_up:
        if not through_kamailio(k, "BYE", uac.port):
            raise FlowError("SIPp's BYE did not pass Kamailio: %s" % k.passed())
    else:
        if not through_kamailio(k, "BYE", tb.sip_port):
            raise FlowError("sipgw's BYE did not go to Kamailio (Route set not honoured): %s" % k.passed())
        bye = uac.find("<", r"^BYE ")[0]
        if via_count(bye) != 2 or "cause=16" not in (peers.header(bye, "Reason") or ""):
            raise FlowError("BYE at SIPp not via Kamailio with Reason cause 16:\n" + bye)
    if not heard(pbx, 2000):
        raise FlowError("PBX did not hear its 2000 Hz echoed by SIPp through the gateway")


@flow
@fl.no_pri
def kamailio_uac_to_pri_sip_hangs_up(tb):
    """SIPp -> Kamailio (record_route) -> sipgw -> PBX answers; ACK and SIPp's BYE through Kamailio; audio crossed."""
    kamailio_uac_to_pri(tb, sip_hangs_up=True)


@flow
@fl.no_pri
def kamailio_uac_to_pri_pbx_hangs_up(tb):
    """SIPp -> Kamailio -> sipgw -> PBX; the PBX hangs up: sipgw's BYE follows the Route set to Kamailio."""
    kamailio_uac_to_pri(tb, sip_hangs_up=False)


@flow
@fl.no_pri
def kamailio_pri_to_phone(tb):
    """PBX -> sipgw -> Kamailio (dial-peer session_target) -> SIPp UAS; sipgw's ACK and BYE through Kamailio; audio crossed."""
    uas = peers.Sipp(tb, "sipp", peers.uas_scenario())
    k = peers.Kamailio(tb, peers.kamailio_proxy_cfg(tb.sip_port, phone="127.0.0.1:%d" % uas.port))
    tb.gateway(tb.config([voip_peer(100, "2...", k.port)]))
    pbx = pbx_call(tb, "--tone", "2000", "--detect", "2000", "--hangup-after", "1.5")
    if pbx.wait_exit() != 0:
        raise FlowError("the PBX simulator failed")
    uas.check_passed()
    expect_ladder("PRI", q931_ladder(pbx.lines()),
                  PBX_CONNECTED + ["> DISCONNECT cause=16", "< RELEASE", "> RELEASE COMPLETE"])
    expect_ladder("SIP (SIPp)", uas.ladder(), SIPP_ANSWERED + ["< BYE", "> 200/BYE"])
    inv = uas.find("<", r"^INVITE ")[0]
    if ":%d" % k.port not in (peers.header(inv, "Record-Route") or "") or via_count(inv) != 2:
        raise FlowError("INVITE at SIPp not Record-Routed by Kamailio:\n" + inv)
    for m in ("INVITE", "ACK", "BYE"):
        if not through_kamailio(k, m, tb.sip_port):
            raise FlowError("sipgw's %s did not pass Kamailio: %s" % (m, k.passed()))
    bye = uas.find("<", r"^BYE ")[0]
    if via_count(bye) != 2 or "cause=16" not in (peers.header(bye, "Reason") or ""):
        raise FlowError("BYE at SIPp not via Kamailio with Reason cause 16:\n" + bye)
    if not heard(pbx, 2000):
        raise FlowError("PBX did not hear its 2000 Hz echoed by SIPp through the gateway")
