# sipgw call-flow tests only a dahdi span has: line alarms, injected through
# the fake DAHDI's control socket (hw/fake/fakedahdi.c). They run with
# run_flows.py --span-type dahdi (make flows runs both span types).
# SPDX-License-Identifier: GPL-2.0-only
import flowlib as fl
from flowlib import FlowError, FlowSkip, expect_ladder, flow, pots_peer, q931_ladder, sip_ladder, voip_peer


def need_dahdi():
    if fl.SPAN_TYPE != "dahdi":
        raise FlowSkip("line alarms exist on dahdi spans only (run with --span-type dahdi)")


def caller(tb, name, *args):
    """A phone calling 95551234 through the gateway: pots dial-peer 9T to the span."""
    return tb.phone(name, "--call", "sip:95551234@127.0.0.1:%d" % tb.sip_port, "--from", "2001",
                    "--exit-after-calls", "1", *args)


@flow
def dahdi_red_alarm_mid_call(tb):
    """Red alarm on a dahdi span mid-call: the phone gets BYE with Reason cause 38; while it
    lasts a SIP call to the span gets no SETUP (503, cause 38); when it clears the D-channel
    comes up again and a new call completes, audio both ways."""
    need_dahdi()
    phone = tb.phone("phone", "--answer-after", "0.1", "--tone", "1000", "--detect", "2000")
    gw = tb.gateway(tb.config([voip_peer(100, "2...", phone.port), pots_peer(900, "9T")]))
    pbx = tb.start("pbx", [tb.bin("sipgw-pbx"), "-s", tb.span_path(), "--role", "cpe", "--timeout", "60",
                           "--call", "2001", "--calling", "5551000", "--answer-after", "0.2",
                           "--tone", "2000", "--detect", "1000"])
    pbx.wait_line(r"EVENT call 1 connected")
    pbx.wait_line(r"AUDIO tone 1000 on")
    phone.wait_line(r"AUDIO tone 2000 on")

    if tb.ctl("alarm 1 red") != "ok":
        raise FlowError("the fake DAHDI refused the alarm")
    gw.wait_line(r"span pbx-a: DAHDI span 1 alarms: red \(were none\): span down", stream="err")
    bye = phone.wait_line(r"SIP < BYE .*").group(0)
    if "cause=38" not in bye:
        raise FlowError("red alarm: want BYE with Reason cause 38, got %s" % bye)
    setups_before = len([1 for s in q931_ladder(pbx.lines()) if s == "< SETUP"])

    during = caller(tb, "during")
    during.wait_exit()
    got = sip_ladder(during.lines())
    if "< 200/INVITE" in got or not any(s.startswith("< 503/") for s in got):
        raise FlowError("a call to the span in red alarm: want 503, got %s" % got)
    reason = fl.sip_lines(during.lines(), r"^< 503 ")
    if not reason or "cause=38" not in reason[0][1]:
        raise FlowError("503 for the span in alarm without Reason cause 38: %s" % reason)
    if len([1 for s in q931_ladder(pbx.lines()) if s == "< SETUP"]) != setups_before:
        raise FlowError("a SETUP reached the span while it was in red alarm")

    if tb.ctl("alarm 1 clear") != "ok":
        raise FlowError("the fake DAHDI refused to clear the alarm")
    gw.wait_line(r"span pbx-a: DAHDI span 1 alarms: none \(were red\): span up", stream="err")
    gw.wait_count(r"span pbx-a: D-channel up", 2, timeout=30, stream="err")

    after = caller(tb, "after", "--tone", "1000", "--detect", "2000", "--hangup-after", "1.5")
    if after.wait_exit() != 0:
        raise FlowError("the call after the alarm failed")
    expect_ladder("SIP after the alarm", sip_ladder(after.lines()),
                  ["> INVITE", "< 100/INVITE", "< 180/INVITE", "< 200/INVITE", "> ACK", "> BYE",
                   "< 200/BYE"])
    if "on" not in [e for _, e in fl.tone_events(after.lines(), 2000)]:
        raise FlowError("after the alarm the phone never heard the PBX's 2000 Hz tone")
    t_up = int(gw.wait_line(r"alarms: none \(were red\): span up", stream="err").string.split()[0])
    if not [ms for ms, e in fl.tone_events(pbx.lines(), 1000) if e == "on" and ms > t_up]:
        raise FlowError("after the alarm the PBX never heard the phone's 1000 Hz tone")
