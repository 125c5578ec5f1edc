#!/usr/bin/env python3
# sipgw memory per active call (issue 14 item 1; goal <= 64 KiB): for each N,
# a gateway with ceil(N / 30) E1 loopback spans, a PBX simulator per span
# placing 30 calls (PRI -> SIP) to one phone simulator, audio both ways
# (tones), echo canceller on as by default. RSS is read from /proc with the
# spans up and no call (idle), then with all N calls connected and steady;
# the figure is (RSS with N calls - idle RSS) / N, and the slope between two
# N, which leaves out what the first call allocates once. The same from the
# gateway's own heap gauge (sipgw_process_heap_bytes, malloc's count: no page
# rounding, and it falls when memory is freed), with the calls just up and,
# with --settle S, S seconds later (Sofia keeps each INVITE transaction 32 s
# after its 2xx: a call held longer costs less). Then the parts, one by one
# (build/bench-mem-parts: struct sizes and each DSP part's heap). Figures only.
# SPDX-License-Identifier: GPL-2.0-only
import argparse
import math
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "flows"))
import flowlib as fl  # noqa: E402
from bench import rss_kb, status_kb  # noqa: E402  (bench/, beside this file)

E1_B = 30


def calls_up(tb):
    try:
        rows = tb.ctl("show", "spans", json=True)["spans"]
    except (fl.FlowError, OSError, ValueError):
        return -1
    return sum(r["busy"] for r in rows)


def heap_kb(tb):
    """The gateway's heap in use (KiB), from show stats; -1 when it does not answer."""
    try:
        rows = tb.ctl("show", "stats", "sipgw_process_heap_bytes", json=True)["stats"]
        return int(float(rows[0]["value"]) / 1024)
    except (fl.FlowError, OSError, ValueError, IndexError, KeyError):
        return -1


def find_gateway(conf, timeout=20):
    """The pid of the sipgw running conf (under heaptrack it is the script's child)."""
    t_end = time.monotonic() + timeout
    while time.monotonic() < t_end:
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    argv = open("/proc/%s/cmdline" % d, "rb").read().split(b"\0")
                except OSError:
                    continue
                if argv and os.path.basename(argv[0]) == b"sipgw" and conf.encode() in argv:
                    return int(d)
        time.sleep(0.1)
    raise fl.FlowError("no sipgw process for %s" % conf)


def run(build, n, hold, ec, keep, heaptrack=None, tail_ms=0, settle=0.0):
    """One gateway, n calls; returns (idle_kb, busy_kb, hwm_kb, heap_idle, heap_busy, heap_settled)
    in KiB (heap_settled -1 without settle) or raises FlowError."""
    tb = fl.Testbed("bench-mem-%d" % n)
    ok = False
    try:
        nspans = int(math.ceil(n / float(E1_B)))
        spans = ["e1-%02d" % i for i in range(1, nspans + 1)]
        phone = tb.phone("phone", "--answer-after", "0", "--tone", "1000", "--timeout", str(int(hold) + 60), "-q")
        conf = tb.config([fl.voip_peer(100, "2...", phone.port)], spans=[(s, "e1", "euroisdn") for s in spans])
        if not ec:
            conf = fl.span_keys(conf, "echo_cancel = false;")
        elif tail_ms:
            conf = fl.span_keys(conf, "echo_tail_ms = %d;" % tail_ms)
        argv = [tb.bin("sipgw"), "-c", conf, "-l", "notice"]
        if heaptrack:
            argv = ["heaptrack", "-o", "%s-%d" % (heaptrack, n)] + argv
        gw = tb.start("sipgw", argv)
        gw.wait_line(r"sipgw running", stream="err", timeout=60)
        pid = find_gateway(conf)
        pbx = ["sipgw-pbx", "--role", "cpe", "--framing", "e1", "--switch", "euroisdn", "-q"]
        # the spans up, no call: the idle baseline
        idle = []
        for s in spans:
            p = tb.start("idle-" + s, [tb.bin(pbx[0]), "-s", tb.span_path(s)] + pbx[1:] + ["--timeout", "60"])
            p.wait_line(r"EVENT restart wait over", timeout=20)
            idle.append(p)
        idle_kb = rss_kb(pid)
        heap_idle = heap_kb(tb)
        for p in idle:
            p.stop()
        for s in spans:
            gw.wait_line(r"span %s: far end disconnected" % s, stream="err", timeout=20)
        left = n
        for s in spans:
            k = min(E1_B, left)
            left -= k
            tb.start("pbx-" + s, [tb.bin(pbx[0]), "-s", tb.span_path(s)] + pbx[1:] + [
                "--call", "2001", "--calling", "5551000", "--count", str(k), "--concurrency", str(k),
                "--hangup-after", str(hold), "--tone", "2000", "--timeout", str(int(hold) + 60), "--exit-when-done"])
        t_end = time.monotonic() + 60
        while calls_up(tb) < n:
            if time.monotonic() > t_end:
                raise fl.FlowError("only %d of %d calls up after 60 s" % (calls_up(tb), n))
            time.sleep(0.2)  # polling the gateway's own count, not standing in for an event
        t_up = time.monotonic()
        busy = []
        while time.monotonic() < t_up + min(3.0, hold / 3):  # steady: a few samples while all are up
            busy.append(rss_kb(pid))
            time.sleep(0.25)
        heap_busy = heap_kb(tb)
        heap_settled = -1
        if settle > 0:
            time.sleep(settle)  # Sofia's transaction timers running out: a span of time, not an event
            heap_settled = heap_kb(tb)
        if calls_up(tb) < n:
            raise fl.FlowError("calls ended while measuring (hold %.1f s too short)" % hold)
        mem = status_kb(pid)
        ok = True
        if heaptrack:
            os.kill(pid, 15)  # the gateway itself, so heaptrack writes its file
            gw.wait_exit(60)
        return idle_kb, max(busy), mem.get("VmHWM", -1), heap_idle, heap_busy, heap_settled
    finally:
        tb.close()
        if ok and not keep:
            shutil.rmtree(tb.dir, ignore_errors=True)
        else:
            print("bench_mem: work files kept in %s" % tb.dir, file=sys.stderr)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--build", default="build")
    ap.add_argument("--calls", default="100,240", help="N values, comma-separated (100,240)")
    ap.add_argument("--hold", type=float, default=12.0, help="seconds each call holds (12)")
    ap.add_argument("--no-ec", action="store_true", help="echo_cancel = false on every span")
    ap.add_argument("--tail-ms", type=int, default=0, help="echo_tail_ms on every span (default: the span's default)")
    ap.add_argument("--settle", type=float, default=0.0,
                    help="also read the heap this many seconds after all calls are up (34: past Sofia's 32 s)")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--heaptrack", metavar="PREFIX", help="run sipgw under heaptrack, its data to PREFIX-N.*")
    a = ap.parse_args(argv)
    fl.BUILD = a.build
    ns = [int(x) for x in a.calls.split(",") if x]
    print("sipgw memory per active call: PRI -> SIP calls on E1 loopback spans, audio both ways, echo canceller %s"
          % ("off" if a.no_ec else "on, tail %s" % ("%d ms" % a.tail_ms if a.tail_ms else "as configured (128 ms)")))
    print("  load average before: %s" % " ".join(open("/proc/loadavg").read().split()[:3]))
    res = []
    hold = max(a.hold, a.settle + 40) if a.settle else a.hold  # 240 calls take up to ~20 s to come up
    for n in ns:
        try:
            idle, busy, hwm, h_idle, h_busy, h_set = run(a.build, n, hold, not a.no_ec, a.keep, a.heaptrack,
                                                         a.tail_ms, a.settle)
        except (fl.FlowError, OSError) as e:
            print("  N=%-5d not measured: %s" % (n, e))
            continue
        res.append((n, idle, busy))
        print("  N=%-5d idle RSS %6d KiB  with N calls %7d KiB  VmHWM %7d KiB  -> %.1f KiB per call"
              % (n, idle, busy, hwm, (busy - idle) / float(n)))
        if h_idle >= 0 and h_busy >= 0:
            print("  N=%-5d heap in use: idle %6d KiB  with N calls %7d KiB  -> %.1f KiB per call%s"
                  % (n, h_idle, h_busy, (h_busy - h_idle) / float(n),
                     "; %.0f s later %.1f KiB per call" % (a.settle, (h_set - h_idle) / float(n))
                     if h_set >= 0 else ""))
    if len(res) >= 2:
        (n0, i0, b0), (n1, i1, b1) = res[0], res[-1]
        slope = ((b1 - i1) - (b0 - i0)) / float(n1 - n0)
        print("  slope N=%d..%d        %.1f KiB per call  (what one more call costs)" % (n0, n1, slope))
    print("  load average after: %s" % " ".join(open("/proc/loadavg").read().split()[:3]))
    parts = os.path.join(a.build, "bench-mem-parts")
    if os.path.exists(parts):
        sys.stdout.flush()
        subprocess.call([parts])
    return 0 if res else 1


if __name__ == "__main__":
    sys.exit(main())
