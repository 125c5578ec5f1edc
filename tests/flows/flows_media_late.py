# sipgw call-flow tests: media lateness as sipgw measures it itself (issue 14
# item 4). During a call with audio both ways, `sipgwctl show stats` has the
# media thread's tick lateness histogram (sipgw_media_tick_lateness_seconds,
# thread "media0") and its frames sent, late and dropped; the exit summary
# has one line per media thread. A gateway stopped (SIGSTOP) for 200 ms
# mid-call owes ~10 ticks: they run late and the frames they send count late.
# SPDX-License-Identifier: GPL-2.0-only
import math
import os
import re
import signal
import time

import flowlib as fl
from flowlib import FlowError, check_audio_crossed, flow, pbx_call, voip_peer
from flows_metrics import show_stats

H = "sipgw_media_tick_lateness_seconds"
T = 'thread="media0"'
EXIT = re.compile(r"media thread media0: (\d+) ticks, lateness p50 ([\d.]+) ms p99 ([\d.]+) ms max ([\d.]+) ms, "
                  r"(\d+) of (\d+) frames late \(>10 ms\), (\d+) dropped; from the line (\d+) of (\d+) frames late")


def media_figures(tb):
    """show stats' media figures for media0, the histogram checked whole: buckets rising with le
    and cumulative, +Inf equal to _count, a sum for a count."""
    st = show_stats(tb)
    buckets = sorted((float(re.search(r'le="([^"]+)"', k).group(1)), v) for k, v in st.items()
                     if k.startswith(H + "_bucket{" + T))
    if len(buckets) < 2 or buckets[-1][0] != math.inf:
        raise FlowError("show stats: no %s histogram for media0 ending at +Inf: %s" % (H, buckets))
    if any(buckets[i][1] > buckets[i + 1][1] for i in range(len(buckets) - 1)):
        raise FlowError("show stats: %s buckets not cumulative: %s" % (H, buckets))
    f = {"buckets": buckets, "count": st[H + "_count{" + T + "}"], "sum": st[H + "_sum{" + T + "}"]}
    for k in ("frames", "frames_late"):
        for d in ("to_pri", "to_sip"):
            f[k + "_" + d] = st['sipgw_media_%s_total{%s,direction="%s"}' % (k, T, d)]
    f["frames"], f["frames_late"] = f["frames_to_pri"], f["frames_late_to_pri"]
    f["frames_dropped"] = st["sipgw_media_frames_dropped_total{%s}" % T]
    if f["count"] <= 0 or f["count"] != buckets[-1][1] or f["sum"] < 0:
        raise FlowError("show stats: %s _count %s, +Inf bucket %s, sum %s" % (H, f["count"], buckets[-1][1], f["sum"]))
    # the sum is at least what the buckets say was above each bound
    floor = sum((buckets[i + 1][1] - buckets[i][1]) * buckets[i][0] for i in range(len(buckets) - 1))
    if f["sum"] < floor * 0.999:
        raise FlowError("show stats: %s sum %s below what its buckets hold (%s)" % (H, f["sum"], floor))
    return f


def above(f, secs):
    """Ticks later than secs (secs one of the bounds)."""
    return f["count"] - dict(f["buckets"])[secs]


def exit_line(gw):
    """Stop the gateway (SIGTERM) and return its media0 summary line's figures."""
    gw.stop()
    m = [EXIT.search(ln) for ln in gw.errlines()]
    m = [x for x in m if x]
    if len(m) != 1:
        raise FlowError("gateway's exit: %d media0 summary lines" % len(m))
    return [float(x) for x in m[0].groups()]


def answered_call(tb, hangup_after):
    phone = tb.phone("phone", "--answer-after", "0.2", "--tone", "1000", "--detect", "2000",
                     "--hangup-after", str(hangup_after), "--exit-after-calls", "1")
    gw = tb.gateway(tb.config([voip_peer(100, "2...", phone.port)]))
    pbx = pbx_call(tb, "--tone", "2000", "--detect", "1000")
    phone.wait_line(r"EVENT call 1 answered")
    pbx.wait_line(r"< CONNECT\b")
    return phone, gw, pbx


@flow
def media_late_counted(tb):
    """A PBX -> phone call with audio both ways: the media clock ticked (count > 0) and, while the
    one call is up, every tick sent exactly one frame (frames and ticks move together); the
    histogram is whole; nothing dropped. After the call the exit line has at least the ticks and
    frames show stats had, and the same late and dropped counts."""
    phone, gw, pbx = answered_call(tb, 2.5)
    a = media_figures(tb)
    t0 = time.monotonic()
    # the PBX hears the phone's tone: frames have crossed since the first reading
    pbx.wait_count(r"AUDIO tone 1000 on", 1)
    b = media_figures(tb)
    while b["count"] - a["count"] < 25:     # half a second of ticks, read as they come
        if time.monotonic() - t0 > 5:
            raise FlowError("media0 ticked %d times in 5 s" % (b["count"] - a["count"]))
        b = media_figures(tb)
    dt = time.monotonic() - t0
    if a["count"] <= 0 or b["frames"] <= 0:
        raise FlowError("media0: %s ticks, %s frames during the call" % (a["count"], b["frames"]))
    if b["frames"] - a["frames"] != b["count"] - a["count"]:
        raise FlowError("one call up: %d ticks sent %d frames" % (b["count"] - a["count"], b["frames"] - a["frames"]))
    if b["count"] - a["count"] > dt / 0.020 * 1.5 + 5:
        raise FlowError("media0: %d ticks in %.2f s at 20 ms" % (b["count"] - a["count"], dt))
    if b["frames_dropped"] != 0:
        raise FlowError("media0 dropped %s frames of one call on an idle span" % b["frames_dropped"])
    rx = b["frames_to_sip"] - a["frames_to_sip"]
    if fl.SPAN_TYPE == "loopback":
        # the PBX sends a frame each 20 ms: most went on to the phone between the readings
        if rx < (b["count"] - a["count"]) / 4:
            raise FlowError("to_sip: %d frames passed on in %d ticks" % (rx, b["count"] - a["count"]))
    elif b["frames_to_sip"] != 0:
        # a card's frames come with its tick: their lateness is the tick's
        raise FlowError("to_sip counted on a card: %s" % b["frames_to_sip"])
    if pbx.wait_exit() != 0 or phone.wait_exit() != 0:
        raise FlowError("a simulator failed")
    check_audio_crossed(pbx, phone)
    fl_gw_ended(gw)
    c = media_figures(tb)
    ticks, p50, p99, mx, late, frames, dropped, rx_late, rx_frames = exit_line(gw)
    if ticks < c["count"] or frames < c["frames"] or late != c["frames_late"] or dropped != c["frames_dropped"] \
            or rx_frames < c["frames_to_sip"] or rx_late != c["frames_late_to_sip"]:
        raise FlowError("exit line %s ticks %s frames %s late %s dropped; show stats had %s" %
                        (ticks, frames, late, dropped, c))
    if not (p50 <= p99 <= mx) or mx <= 0:
        raise FlowError("exit line: p50 %s p99 %s max %s ms" % (p50, p99, mx))


def fl_gw_ended(gw):
    gw.wait_count(r"call \d+ \[\w+\] ended", 1, stream="err")


def stopped(pid):
    with open("/proc/%d/stat" % pid) as f:
        return f.read().rsplit(")", 1)[1].split()[0] in ("T", "t")


@flow
def media_late_stall(tb):
    """The gateway stopped (SIGSTOP) for 200 ms during a call: the ~10 ticks it owes run at once
    when it goes on, each as late as it is, so show stats counts late frames (more than 10 ms
    late) and ticks later than 100 ms, the PBX's frames of those 200 ms count late to_sip (they
    waited in the span's socket), and the max lateness in the exit line is about 200 ms;
    the call goes on and ends normally. The phone's RTP of the stall comes at once: what
    the jitter buffer has no room for counts dropped, as many as the call's end line says
    overflowed. On a (fake DAHDI) card, the blocks its buffers kept run late and the frames of
    those it lost count dropped too."""
    phone, gw, pbx = answered_call(tb, 3)
    pbx.wait_count(r"AUDIO tone 1000 on", 1)
    a = media_figures(tb)
    os.kill(gw.p.pid, signal.SIGSTOP)
    try:
        t0 = time.monotonic()
        while not stopped(gw.p.pid):
            if time.monotonic() - t0 > 2:
                raise FlowError("sipgw not stopped 2 s after SIGSTOP")
            time.sleep(0.005)
        time.sleep(0.2)     # the fault itself: 200 ms without the loop
    finally:
        os.kill(gw.p.pid, signal.SIGCONT)
    b = media_figures(tb)
    t0 = time.monotonic()
    while b["count"] - a["count"] < 20:     # the owed ticks and some on time after them
        if time.monotonic() - t0 > 5:
            raise FlowError("media0 ticked %d times in 5 s after SIGCONT" % (b["count"] - a["count"]))
        b = media_figures(tb)
    late = b["frames_late"] - a["frames_late"]
    dropped = b["frames_dropped"] - a["frames_dropped"]
    if fl.SPAN_TYPE == "loopback":
        # the span's ticker owes every tick: ~9 run more than 10 ms late, none lost
        if late < 5:
            raise FlowError("200 ms stopped: %d frames late (want >= 5): %s -> %s" % (late, a, b))
        # the PBX's frames of those 200 ms waited in the span's socket for the loop
        rx_late = b["frames_late_to_sip"] - a["frames_late_to_sip"]
        if rx_late < 5:
            raise FlowError("200 ms stopped: %d frames from the PBX waited > 10 ms (want >= 5)" % rx_late)
    else:
        # a card keeps a few blocks (sent late when the loop is back) and loses the rest: the
        # frames that were due in them are dropped, and the clock is on time again after
        if late < 1 or dropped < 1 or late + dropped < 5:
            raise FlowError("200 ms stopped on a card: %d frames late, %d dropped: %s -> %s" % (late, dropped, a, b))
        # ... and its clock is on time again, not late by the lost blocks for ever after
        c = media_figures(tb)
        t0 = time.monotonic()
        while c["count"] - b["count"] < 10:
            if time.monotonic() - t0 > 5:
                raise FlowError("media0 ticked %d times in 5 s" % (c["count"] - b["count"]))
            c = media_figures(tb)
        if c["frames_late"] - b["frames_late"] >= c["count"] - b["count"]:
            raise FlowError("a card after the stall: every tick still late (%s -> %s frames late in %d ticks)" %
                            (b["frames_late"], c["frames_late"], c["count"] - b["count"]))
    if above(b, 0.1) - above(a, 0.1) < 1:
        raise FlowError("200 ms stopped: no tick later than 100 ms: %s" % b["buckets"])
    if pbx.wait_exit() != 0 or phone.wait_exit() != 0:
        raise FlowError("a simulator failed")
    fl_gw_ended(gw)
    # the phone's RTP of those 200 ms waited in sipgw's socket too and came at once: what the
    # jitter buffer had no room for is dropped, and is what the call's end line says overflowed
    overflow = sum(int(m.group(1)) for m in (re.search(r"call \d+ \[\w+\] ended.* overflow=(\d+)", ln)
                                             for ln in gw.errlines()) if m)
    ticks, p50, p99, mx, late_total, frames, dropped, rx_late, rx_frames = exit_line(gw)
    if not (150 <= mx <= 2000) or late_total < late:
        raise FlowError("exit line after a 200 ms stop: max %s ms, %s frames late" % (mx, late_total))
    # on a card the frames of the ticks it lost come on top
    if dropped != overflow if fl.SPAN_TYPE == "loopback" else dropped < overflow + 1:
        raise FlowError("exit line: %s frames dropped, the jitter buffer overflowed %s" % (dropped, overflow))
