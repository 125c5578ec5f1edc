# sipgw call-flow tests against real third-party SIP peers (issue 12): SIPp
# as the far phone and as the calling one, its RTP echo proving that audio
# crossed the gateway both ways; the ladder on both sides.
# SPDX-License-Identifier: GPL-2.0-only
import flowlib as fl
from flowlib import (PBX_CONNECTED, FlowError, expect_ladder, flow, pbx_call, pots_peer, q931_ladder,
                     tone_events, voip_peer)

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
