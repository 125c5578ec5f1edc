# sipgw call-flow tests for calls from SIP to the PRI: answered, busy,
# cancelled, in-band progress (183) before the answer, an untrusted source
# refused 403 (toll fraud), and no B-channel free (503 cause 34).
# SPDX-License-Identifier: GPL-2.0-only
import re

import flowlib as fl
from flowlib import (FlowError, check_audio_crossed, expect_ladder, flow, pbx_call, pots_peer, q931_ladder,
                     sip_ladder, tone_events, voip_peer)


def sip_to_pri(tb, pbx_args, phone_args, trusted=("127.0.0.1",), number="95551234"):
    """A PBX waiting for calls, a phone calling number through the gateway."""
    tb.gateway(tb.config([voip_peer(100, "2...", 9), pots_peer(900, "9T")], trusted=trusted))
    pbx = tb.pbx("--exit-when-done", *pbx_args)
    pbx.wait_line(r"EVENT dchan up")
    phone = tb.phone("phone", "--call", "sip:%s@127.0.0.1:%d" % (number, tb.sip_port), "--from", "2001",
                     "--display", "User B", "--exit-after-calls", "1", *phone_args)
    return pbx, phone


@flow
def sip_to_pri_call(tb):
    """SIP -> PRI (trusted source): INVITE -> SETUP 5551234 (9 stripped); 180, 200, BYE; audio both ways."""
    pbx, phone = sip_to_pri(tb, ["--answer-after", "0.4", "--tone", "2000", "--detect", "1000"],
                            ["--tone", "1000", "--detect", "2000", "--hangup-after", "1.2"])
    if phone.wait_exit() != 0 or pbx.wait_exit() != 0:
        raise FlowError("a simulator failed")
    expect_ladder("SIP", sip_ladder(phone.lines()),
                  ["> INVITE", "< 100/INVITE", "< 180/INVITE", "< 200/INVITE", "> ACK", "> BYE", "< 200/BYE"])
    expect_ladder("PRI", q931_ladder(pbx.lines()),
                  ["< SETUP", "> CALL PROCEEDING", "> ALERTING", "> CONNECT", "< CONNECT ACKNOWLEDGE",
                   "< DISCONNECT cause=16", "> RELEASE", "< RELEASE COMPLETE"])
    setup = [t for _, t in fl.timed(pbx.lines(), "Q931") if t.startswith("< SETUP")][0]
    if "called=5551234" not in setup or "calling=2001" not in setup or 'name="User B"' not in setup:
        raise FlowError("SETUP numbers/name wrong: " + setup)
    check_audio_crossed(pbx, phone)


@flow
def sip_to_pri_busy(tb):
    """SIP -> PRI: the PBX clears with cause 17 -> 486 Busy Here with Reason cause 17."""
    pbx, phone = sip_to_pri(tb, ["--reject", "17"], [])
    phone.wait_exit()
    pbx.wait_exit()
    expect_ladder("SIP", sip_ladder(phone.lines()), ["> INVITE", "< 100/INVITE", "< 486/INVITE", "> ACK"])
    if "cause=17" not in fl.sip_lines(phone.lines(), r"^< 486")[0][1]:
        raise FlowError("486 without Reason cause=17")


@flow
def sip_to_pri_cancel(tb):
    """SIP -> PRI: CANCEL before answer -> DISCONNECT cause 16, 487 Request Terminated."""
    pbx, phone = sip_to_pri(tb, ["--no-answer"], ["--cancel-after", "0.6"])
    phone.wait_exit()
    pbx.wait_exit()
    expect_ladder("SIP", sip_ladder(phone.lines()),
                  ["> INVITE", "< 100/INVITE", "< 180/INVITE", "> CANCEL", "< 200/CANCEL", "< 487/INVITE", "> ACK"])
    expect_ladder("PRI", q931_ladder(pbx.lines()),
                  ["< SETUP", "> CALL PROCEEDING", "> ALERTING", "< DISCONNECT cause=16", "> RELEASE",
                   "< RELEASE COMPLETE"])


@flow
def sip_to_pri_inband_183(tb):
    """SIP -> PRI: ALERTING with progress indicator 8 -> 183 with SDP, PBX audio heard before answer."""
    pbx, phone = sip_to_pri(tb, ["--inband", "--answer-after", "1.0", "--tone", "2000"],
                            ["--detect", "2000", "--hangup-after", "0.5"])
    phone.wait_exit()
    pbx.wait_exit()
    lad = sip_ladder(phone.lines())
    if "< 183/INVITE" not in lad or "< 200/INVITE" not in lad:
        raise FlowError("no 183 then 200: %s" % lad)
    t200 = fl.sip_lines(phone.lines(), r"^< 200 OK \(INVITE\)")[0][0]
    ons = [ms for ms, e in tone_events(phone.lines(), 2000) if e == "on"]
    if not ons or ons[0] >= t200:
        raise FlowError("no in-band audio before 200 OK (on=%s, 200 at %d)" % (ons, t200))


@flow
def toll_fraud_untrusted_403(tb):
    """An INVITE for a PSTN number from an untrusted address: 403, no SETUP on the PRI, a log line."""
    pbx, phone = sip_to_pri(tb, ["--timeout", "3"], [], trusted=("10.9.9.9/32",))
    phone.wait_exit()
    expect_ladder("SIP", sip_ladder(phone.lines()), ["> INVITE", "< 100/INVITE", "< 403/INVITE", "> ACK"])
    pbx.stop()
    if any("SETUP" in t for _, t in fl.timed(pbx.lines(), "Q931")):
        raise FlowError("an untrusted INVITE reached the PRI")
    gw = tb.procs[0]
    if not any(re.search(r"refused INVITE from 127\.0\.0\.1 to 95551234", l) for l in gw.errlines()):
        raise FlowError("no refusal log line with source and number")


@flow
def no_free_bchannel_cause_34(tb):
    """All 23 B-channels busy: a SIP call to the PRI gets 503 with Reason cause 34, no SETUP."""
    phone = tb.phone("phone", "--answer-after", "0", "-q")
    tb.gateway(tb.config([voip_peer(100, "2...", phone.port), pots_peer(900, "9T")]))
    pbx = pbx_call(tb, "--count", "23", "--concurrency", "23", "--hangup-after", "30")
    pbx.wait_line(r"EVENT call 23 connected")
    caller = tb.phone("caller", "--call", "sip:95551234@127.0.0.1:%d" % tb.sip_port, "--from", "2001",
                      "--exit-after-calls", "1")
    caller.wait_exit()
    expect_ladder("SIP", sip_ladder(caller.lines()), ["> INVITE", "< 100/INVITE", "< 503/INVITE", "> ACK"])
    if "cause=34" not in fl.sip_lines(caller.lines(), r"^< 503")[0][1]:
        raise FlowError("503 without Reason cause=34")
    if any(t.startswith("< SETUP") for _, t in fl.timed(pbx.lines(), "Q931")):
        raise FlowError("a SETUP went out with no B-channel free")
