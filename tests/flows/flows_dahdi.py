# sipgw call-flow tests only a dahdi span has: line alarms injected through
# the fake DAHDI's control socket (hw/fake/fakedahdi.c), the card's clock
# pacing the audio, DAHDI's channel numbers across two spans. They run with
# run_flows.py --span-type dahdi (make flows runs both span types).
# SPDX-License-Identifier: GPL-2.0-only
import time

import flowlib as fl
from flowlib import (PBX_CONNECTED, FlowError, FlowSkip, expect_ladder, flow, pbx_call, pots_peer, q931_ladder,
                     sip_ladder, voip_peer)


def need_dahdi(what):
    if fl.SPAN_TYPE != "dahdi":
        raise FlowSkip("%s: dahdi spans only (run with --span-type dahdi)" % what)


def caller(tb, name, *args):
    """A phone calling 95551234 through the gateway: pots dial-peer 9T to the span."""
    return tb.phone(name, "--call", "sip:95551234@127.0.0.1:%d" % tb.sip_port, "--from", "2001",
                    "--exit-after-calls", "1", *args)


@flow
def dahdi_red_alarm_mid_call(tb):
    """Red alarm on a dahdi span mid-call: the phone gets BYE with Reason cause 38; while it
    lasts a SIP call to the span gets no SETUP (503, cause 38); when it clears the D-channel
    comes up again and a new call completes, audio both ways."""
    need_dahdi("line alarms")
    phone = tb.phone("phone", "--answer-after", "0.1", "--tone", "1000", "--detect", "2000")
    gw = tb.gateway(tb.config([voip_peer(100, "2...", phone.port), pots_peer(900, "9T")]))
    pbx = tb.start("pbx", [tb.bin("sipgw-pbx"), "-s", tb.span_path(), "--role", "cpe", "--timeout", "60",
                           "--call", "2001", "--calling", "5551000", "--answer-after", "0.2",
                           "--tone", "2000", "--detect", "1000"])
    pbx.wait_line(r"EVENT call 1 connected")
    pbx.wait_line(r"AUDIO tone 1000 on")
    phone.wait_line(r"AUDIO tone 2000 on")

    if tb.fake_ctl("alarm 1 red") != "ok":
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

    if tb.fake_ctl("alarm 1 clear") != "ok":
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


def vm_rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for ln in f:
            if ln.startswith("VmRSS:"):
                return int(ln.split()[1])
    raise FlowError("no VmRSS for pid %d" % pid)


@flow
def dahdi_alarm_cycles_bounded_memory(tb):
    """50 red alarms and recoveries of a dahdi span with its PBX on the line: each logged
    (span down, span up), sipgw's RSS grows by less than 1 MB (the span keeps its one libpri
    instance), then the D-channel comes up and a call completes."""
    need_dahdi("line alarms")
    phone = tb.phone("phone", "--answer-after", "0.1", "--hangup-after", "0.5", "--exit-after-calls", "1")
    gw = tb.gateway(tb.config([voip_peer(100, "2...", phone.port)]))
    idle = tb.start("idle-pbx", [tb.bin("sipgw-pbx"), "-s", tb.span_path(), "--role", "cpe", "--timeout", "60"])
    idle.wait_line(r"EVENT dchan up")

    def cycles(n, done):
        for i in range(done, done + n):
            if tb.fake_ctl("alarm 1 red") != "ok":
                raise FlowError("the fake DAHDI refused the alarm")
            gw.wait_count(r"span pbx-a: DAHDI span 1 alarms: red .*: span down", i + 1, stream="err")
            if tb.fake_ctl("alarm 1 clear") != "ok":
                raise FlowError("the fake DAHDI refused to clear the alarm")
            gw.wait_count(r"span pbx-a: DAHDI span 1 alarms: none .*: span up", i + 2, stream="err")
        return done + n

    done = cycles(5, 0)             # warm up: the log buffers, libpri's queues
    before = vm_rss_kb(gw.p.pid)
    done = cycles(50, done)
    after = vm_rss_kb(gw.p.pid)
    print("    sipgw VmRSS before %d kB, after 50 alarms %d kB: %+d kB" % (before, after, after - before))
    if after - before >= 1024:
        raise FlowError("RSS grew by %d kB over 50 alarms" % (after - before))
    t_up = int(gw.wait_count(r"alarms: none .*: span up", done + 1, stream="err")[-1].split()[0])
    deadline = time.monotonic() + 15
    while not [ln for ln in gw.errlines() if "span pbx-a: D-channel up" in ln and int(ln.split()[0]) >= t_up]:
        if time.monotonic() > deadline:
            raise FlowError("no D-channel up after the last alarm cleared")
        time.sleep(0.02)
    idle.stop()
    gw.wait_line(r"span pbx-a: far end disconnected", stream="err")
    pbx = pbx_call(tb)
    if pbx.wait_exit() != 0:
        raise FlowError("the PBX call after the alarms failed")
    expect_ladder("PRI after 55 alarms", q931_ladder(pbx.lines())[:len(PBX_CONNECTED)], PBX_CONNECTED)


@flow
def dahdi_audio_paced_by_card(tb):
    """A card whose clock runs 25 % slow (a block per 25 ms): sipgw sends the PBX a block per
    card tick, never one per 20 ms of its own (no "transmit buffers full", the PBX gets about
    one per 25 ms), and the call's audio crosses both ways."""
    need_dahdi("a card's clock")
    tb.fake_env["FAKE_DAHDI_BLOCK_US"] = "25000"
    phone = tb.phone("phone", "--answer-after", "0.2", "--tone", "1000", "--detect", "2000",
                     "--hangup-after", "3", "--exit-after-calls", "1")
    gw = tb.gateway(tb.config([voip_peer(100, "2...", phone.port)]))
    pbx = pbx_call(tb, "--tone", "2000", "--detect", "1000")
    if pbx.wait_exit() != 0 or phone.wait_exit() != 0:
        raise FlowError("a simulator failed")
    fl.check_audio_crossed(pbx, phone)
    full = [ln for ln in gw.errlines() if "transmit buffers full" in ln]
    if full:
        raise FlowError("sipgw ran ahead of the card's clock: %s" % full[:3])
    ev = dict((t.split(" ", 2)[2].split(" ")[0], ms) for ms, t in fl.timed(pbx.lines(), "EVENT")
              if t.startswith("call 1 "))
    t_setup, t_end = ev.get("setup"), ev.get("ended")
    audio = [t for _, t in fl.timed(pbx.lines(), "EVENT") if t.startswith("call 1 audio")]
    if t_setup is None or t_end is None or not audio:
        raise FlowError("the PBX did not report the call's setup, end and audio")
    rx = int(audio[0].split("rx_frames=")[1].split()[0])
    span_ms = t_end - t_setup
    print("    %d blocks to the PBX in %d ms: one per %.1f ms" % (rx, span_ms, span_ms / max(rx, 1)))
    if not 0.75 * span_ms / 25 <= rx <= 1.05 * span_ms / 25:
        raise FlowError("the PBX got %d blocks in %d ms: not one per 25 ms of the card" % (rx, span_ms))


@flow
def dahdi_t1_and_e1_spans(tb):
    """Two dahdi spans of one system.conf, a T1 (channels 1-24) and an E1 (25-55, D on 40): a
    PBX call on each reaches the phone with audio both ways, each on its own span's channels."""
    need_dahdi("DAHDI's channel numbering across spans")
    phone = tb.phone("phone", "--answer-after", "0.2", "--tone", "1000", "--detect", "2000",
                     "--hangup-after", "1", "--exit-after-calls", "2")
    gw = tb.gateway(tb.config([voip_peer(100, "2...", phone.port)],
                              spans=[("pbx-a", "t1", "ni2"), ("pbx-b", "e1", "euroisdn")]))
    for line in (r"span pbx-a: DAHDI span 1, D-channel 24 \(dchan\), 23 B-channels from channel 1,",
                 r"span pbx-b: DAHDI span 2, D-channel 40 \(hardhdlc\), 30 B-channels from channel 25,"):
        gw.wait_line(line, stream="err")
    for span, extra in (("pbx-a", []), ("pbx-b", ["--framing", "e1", "--switch", "euroisdn"])):
        pbx = tb.pbx("--call", "2001", "--calling", "5551000", "--exit-when-done", "--tone", "2000",
                     "--detect", "1000", *extra, span=span, name="pbx-" + span)
        if pbx.wait_exit() != 0:
            raise FlowError("the call on %s failed" % span)
        expect_ladder("PRI on " + span, q931_ladder(pbx.lines())[:len(PBX_CONNECTED)], PBX_CONNECTED)
        if "on" not in [e for _, e in fl.tone_events(pbx.lines(), 1000)]:
            raise FlowError("the PBX on %s never heard the phone" % span)
        gw.wait_line(r"span %s: B-channel 1 free" % span, stream="err")
    if phone.wait_exit() != 0:
        raise FlowError("the phone failed")
    if len([1 for e in fl.tone_events(phone.lines(), 2000) if e[1] == "on"]) < 2:
        raise FlowError("the phone did not hear both PBXs")
