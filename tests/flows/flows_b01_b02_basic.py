# sipgw call-flow tests for figures B-1 and B-2: the PBX calls a phone, the
# call is answered, held and resumed, refreshed, and cleared from either
# side before or after the answer; the ladder on both legs and the audio
# that crossed (and not while held).
# SPDX-License-Identifier: GPL-2.0-only
import re

import flowlib as fl
from flowlib import (PBX_CONNECTED, PHONE_ANSWERED, FlowError, check_audio_crossed, expect_ladder, flow,
                     pbx_call, q931_ladder, sip_ladder, tone_events, tone_on_during, voip_peer)


@flow
def b01_setup_and_disconnect(tb):
    """B-1: PBX calls the phone, phone answers, phone hangs up; audio both ways."""
    phone = tb.phone("phone", "--answer-after", "0.3", "--tone", "1000", "--detect", "2000",
                     "--hangup-after", "1.5", "--exit-after-calls", "1")
    tb.gateway(tb.config([voip_peer(100, "2...", phone.port)]))
    pbx = pbx_call(tb, "--tone", "2000", "--detect", "1000")
    if pbx.wait_exit() != 0 or phone.wait_exit() != 0:
        raise FlowError("a simulator failed")
    expect_ladder("PRI", q931_ladder(pbx.lines()),
                  PBX_CONNECTED + ["< DISCONNECT cause=16", "> RELEASE", "< RELEASE COMPLETE"])
    expect_ladder("SIP", sip_ladder(phone.lines()), PHONE_ANSWERED + ["> BYE", "< 200/BYE"])
    inv = fl.sip_lines(phone.lines(), r"^< INVITE ")[0][1]
    if not re.search(r"INVITE sip:2001@127\.0\.0\.1:%d;user=phone" % phone.port, inv):
        raise FlowError("Request-URI is not sip:2001@target;user=phone: " + inv)
    phone.wait_line(r'EVENT call 1 incoming from=5551000 display="User A" to=2001')
    check_audio_crossed(pbx, phone)


@flow
def b02_call_hold(tb):
    """B-2: the phone holds (c=0.0.0.0) and resumes; no audio either way while held."""
    phone = tb.phone("phone", "--answer-after", "0.2", "--tone", "1000", "--detect", "2000",
                     "--hold-at", "1.0", "--unhold-at", "2.5", "--hangup-after", "3.8",
                     "--exit-after-calls", "1")
    tb.gateway(tb.config([voip_peer(100, "2...", phone.port)]))
    pbx = pbx_call(tb, "--tone", "2000", "--detect", "1000")
    if pbx.wait_exit() != 0 or phone.wait_exit() != 0:
        raise FlowError("a simulator failed")
    expect_ladder("PRI", q931_ladder(pbx.lines()),
                  PBX_CONNECTED + ["< DISCONNECT cause=16", "> RELEASE", "< RELEASE COMPLETE"])
    expect_ladder("SIP", sip_ladder(phone.lines()), PHONE_ANSWERED + [
        "> INVITE", "< 100/INVITE", "< 200/INVITE", "> ACK",     # hold
        "> INVITE", "< 100/INVITE", "< 200/INVITE", "> ACK",     # resume
        "> BYE", "< 200/BYE"])
    invs = fl.sip_lines(phone.lines(), r"^> INVITE ")
    if "c=0.0.0.0" not in invs[0][1] or "c=127.0.0.1 sendrecv" not in invs[1][1]:
        raise FlowError("hold/resume SDP not as in B-2: %s" % invs)
    oks = fl.sip_lines(phone.lines(), r"^< 200 OK \(INVITE\)")
    t_held, t_resume = oks[0][0], invs[1][0]
    # Allow 120 ms for frames already in flight and the detector's hysteresis.
    for who, proc, hz in (("PBX", pbx, 1000), ("phone", phone, 2000)):
        ev = tone_events(proc.lines(), hz)
        if not tone_on_during(ev, 0, t_held):
            raise FlowError("%s heard no %d Hz before the hold: %s" % (who, hz, ev))
        if tone_on_during(ev, t_held + 120, t_resume):
            raise FlowError("%s heard %d Hz while held (%d..%d): %s" % (who, hz, t_held, t_resume, ev))
        if not tone_on_during(ev, t_resume, 10 ** 12):
            raise FlowError("%s heard no %d Hz after resume: %s" % (who, hz, ev))


@flow
def session_refresh_is_not_hold(tb):
    """A re-INVITE with unchanged SDP (session timer) keeps audio flowing."""
    phone = tb.phone("phone", "--answer-after", "0.2", "--tone", "1000", "--detect", "2000",
                     "--refresh-at", "0.8", "--hangup-after", "2.0", "--exit-after-calls", "1")
    gw = tb.gateway(tb.config([voip_peer(100, "2...", phone.port)]))
    pbx = pbx_call(tb, "--tone", "2000", "--detect", "1000")
    if pbx.wait_exit() != 0 or phone.wait_exit() != 0:
        raise FlowError("a simulator failed")
    expect_ladder("SIP", sip_ladder(phone.lines()), PHONE_ANSWERED + [
        "> INVITE", "< 100/INVITE", "< 200/INVITE", "> ACK", "> BYE", "< 200/BYE"])
    ok = fl.sip_lines(phone.lines(), r"^< 200 OK \(INVITE\)")[0][1]
    if "sendrecv" not in ok:
        raise FlowError("refresh answered with " + ok)
    t_ref = fl.sip_lines(phone.lines(), r"^> INVITE ")[0][0]
    t_bye = fl.sip_lines(phone.lines(), r"^> BYE ")[0][0]
    for proc, hz in ((pbx, 1000), (phone, 2000)):
        offs = [ms for ms, e in tone_events(proc.lines(), hz) if e == "off" and t_ref <= ms < t_bye]
        if offs:
            raise FlowError("audio stopped after a session refresh (%s at %s)" % (proc.name, offs))
    if any("holds the call" in l for l in gw.errlines()):
        raise FlowError("gateway took a refresh for a hold")


@flow
def pbx_clears_while_ringing(tb):
    """Early clearing: PBX DISCONNECT before answer -> CANCEL with Reason cause 16."""
    phone = tb.phone("phone", "--ring-forever", "--exit-after-calls", "1")
    tb.gateway(tb.config([voip_peer(100, "2...", phone.port)]))
    pbx = pbx_call(tb, "--cancel-after", "0.8")
    pbx.wait_exit()
    phone.wait_exit()
    expect_ladder("PRI", q931_ladder(pbx.lines()),
                  ["> SETUP", "< CALL PROCEEDING", "< ALERTING", "> DISCONNECT cause=16", "< RELEASE",
                   "> RELEASE COMPLETE"])
    expect_ladder("SIP", sip_ladder(phone.lines()),
                  ["< INVITE", "> 100/INVITE", "> 180/INVITE", "< CANCEL", "> 200/CANCEL", "> 487/INVITE", "< ACK"])
    if "cause=16" not in fl.sip_lines(phone.lines(), r"^< CANCEL")[0][1]:
        raise FlowError("CANCEL without Reason cause=16")


@flow
def pbx_clears_after_answer(tb):
    """Early clearing after answer: PBX DISCONNECT -> BYE with Reason cause 16."""
    phone = tb.phone("phone", "--answer-after", "0.2", "--exit-after-calls", "1")
    tb.gateway(tb.config([voip_peer(100, "2...", phone.port)]))
    pbx = pbx_call(tb, "--hangup-after", "0.8")
    pbx.wait_exit()
    phone.wait_exit()
    expect_ladder("PRI", q931_ladder(pbx.lines()),
                  PBX_CONNECTED + ["> DISCONNECT cause=16", "< RELEASE", "> RELEASE COMPLETE"])
    expect_ladder("SIP", sip_ladder(phone.lines()), PHONE_ANSWERED + ["< BYE", "> 200/BYE"])
    if "cause=16" not in fl.sip_lines(phone.lines(), r"^< BYE")[0][1]:
        raise FlowError("BYE without Reason cause=16")
