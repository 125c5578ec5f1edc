#!/usr/bin/env python3
# sipgw benchmark: N calls PBX -> gateway -> phone over one T1 loopback span
# with all 23 B-channels kept busy, then the proxy benchmark (bench/proxy_bench.py:
# registrations/s and phone-to-phone calls/s, sipgw vs Kamailio).  Prints
# figures only; it never passes or fails on time.  Exits non-zero only when
# the programs failed to run.
# SPDX-License-Identifier: GPL-2.0-only
import argparse
import os
import re
import shutil
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "flows"))
import flowlib as fl  # noqa: E402
import proxy_bench  # noqa: E402  (bench/, beside this file)
import rig_bench  # noqa: E402

CHANNELS = 23  # T1 PRI: 23 B + 1 D
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024

CAUSE_NAMES = {1: "unallocated number", 16: "normal clearing", 17: "user busy", 18: "no user responding",
               19: "no answer", 21: "call rejected", 27: "destination out of order", 34: "no circuit available",
               38: "network out of order", 41: "temporary failure", 42: "switching equipment congestion",
               44: "requested channel not available", 47: "resource unavailable", 102: "recovery on timer expiry",
               127: "interworking"}


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        s = f.read()
    fields = s[s.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])  # utime + stime (fields 14, 15)


def status_kb(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for ln in f:
            k, _, v = ln.partition(":")
            if k in ("VmHWM", "VmRSS"):
                out[k] = int(v.split()[0])
    return out


def rss_kb(pid):
    with open("/proc/%d/statm" % pid) as f:
        return int(f.read().split()[1]) * PAGE_KB


def pct(sorted_vals, p):
    if not sorted_vals:
        return float("nan")
    return sorted_vals[min(len(sorted_vals) - 1, (len(sorted_vals) * p) // 100)]


MEDIA_LINE = re.compile(r"media thread (\S+): (\d+) ticks, lateness p50 ([\d.]+) ms p99 ([\d.]+) ms "
                        r"max ([\d.]+) ms, (\d+) of (\d+) frames late \(>10 ms\), (\d+) dropped; "
                        r"from the line (\d+) of (\d+) frames late")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--build", default="build", help="build directory holding sipgw and the simulators")
    ap.add_argument("--calls", type=int, default=2000, help="calls to place (2000)")
    ap.add_argument("--quick", action="store_true", help="200-call smoke run")
    ap.add_argument("--hold", type=float, default=0.2, help="seconds each call holds media (0.2)")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--no-proxy", action="store_true", help="skip the proxy benchmark (bench/proxy_bench.py)")
    ap.add_argument("--rig", metavar="N,N,...",
                    help="only the load-rig benchmark (bench/rig_bench.py) at these concurrent call counts: "
                         "one load process per side, audio both ways, late frames from both ends")
    ap.add_argument("--rig-hold", type=float, default=10.0, help="--rig: seconds at full load (10)")
    ap.add_argument("--rig-rate", type=float, default=100.0, help="--rig: setup rate, calls/s (100)")
    ap.add_argument("--rig-ec", choices=("on", "off"), default="on", help="--rig: the spans' echo canceller (on)")
    ap.add_argument("--rig-dtmf", choices=("on", "off"), default="on",
                    help="--rig: the phones take RFC 4733 telephone-event when offered (on)")
    ap.add_argument("--rig-io", choices=("batched", "naive"), default="batched",
                    help="--rig: the rig's own I/O, batched (one RTP socket, read once a tick) or naive "
                         "(a socket a call, read on every datagram)")
    a = ap.parse_args()
    if a.rig:
        return rig_bench.main(a.build, [int(x) for x in a.rig.split(",")], a.rig_hold, a.rig_rate, a.keep,
                              a.rig_ec == "on", a.rig_dtmf == "on", a.rig_io == "batched")
    n = 200 if a.quick else a.calls
    fl.BUILD = a.build
    # Generous: the run should take about n / 23 * (hold + setup) seconds.
    timeout = int(60 + n * (a.hold + 0.05))

    tb = fl.Testbed("bench")
    ok = False
    try:
        port = fl.free_port()
        phone = tb.start("phone", [tb.bin("sipgw-phone"), "--port", str(port), "--answer-after", "0",
                                   "--timeout", str(timeout + 30), "-q"])
        phone.wait_line(r"EVENT ready port=%d" % port)
        conf = tb.config(['tag = 100; type = "voip"; destination_pattern = "2..."; '
                          'session_target = "ipv4:127.0.0.1:%d"; preference = 0;' % port])
        gw = tb.start("sipgw", [tb.bin("sipgw"), "-c", conf, "-l", "notice"])
        gw.wait_line(r"sipgw running", stream="err")
        gpid = gw.p.pid
        time.sleep(0.5)  # let it settle before the idle baseline
        rss_idle = rss_kb(gpid)
        ticks0 = cpu_ticks(gpid)
        t0 = time.monotonic()
        # tb.pbx passes --timeout 20; a later --timeout wins (getopt_long).
        pbx = tb.pbx("--call", "2001", "--calling", "5551000", "--count", str(n),
                     "--concurrency", str(CHANNELS), "--hangup-after", str(a.hold),
                     "--stats", "-q", "--exit-when-done", "--timeout", str(timeout))
        rss_peak = rss_idle
        while pbx.p.poll() is None:
            rss_peak = max(rss_peak, rss_kb(gpid))
            time.sleep(0.1)
        ticks1 = cpu_ticks(gpid)
        t1 = time.monotonic()
        mem = status_kb(gpid)
        prc = pbx.p.returncode
        os.kill(gpid, signal.SIGTERM)
        grc = gw.wait_exit(30)
        phone.stop()

        # ---- PBX figures
        lines = pbx.lines()
        setups = [ms for ms, t in fl.timed(lines, "EVENT") if re.match(r"call \d+ setup", t)]
        calls = []  # (end_ms, cause, s2c)
        total = None
        for ms, t in fl.timed(lines, "STAT"):
            m = re.match(r"call \d+ cause=(\d+) setup_to_connect_ms=(-?\d+)", t)
            if m:
                calls.append((ms, int(m.group(1)), int(m.group(2))))
            m = re.match(r"calls=(\d+) connected=(\d+) cps=([\d.]+)", t)
            if m:
                total = (int(m.group(1)), int(m.group(2)), float(m.group(3)))
        done = [c for c in calls if c[2] >= 0]
        failed = {}
        for c in calls:
            if c[2] < 0:
                failed[c[1]] = failed.get(c[1], 0) + 1
        odd_causes = {}
        for c in done:
            if c[1] != 16:
                odd_causes[c[1]] = odd_causes.get(c[1], 0) + 1
        s2c = sorted(c[2] for c in done)
        span_s = (max(c[0] for c in calls) - min(setups)) / 1000.0 if calls and setups else float("nan")

        # ---- gateway figures
        summ = None
        for ln in gw.errlines():
            m = re.search(r"summary: (\d+) calls routed, post-dial delay \(SETUP in -> INVITE out\) "
                          r"p50 ([\d.]+) ms p99 ([\d.]+) ms max ([\d.]+) ms", ln)
            if m:
                summ = (int(m.group(1)), float(m.group(2)), float(m.group(3)), float(m.group(4)))
        # sipgw's own view of its media clocks: one exit line per media thread
        media = [m.groups() for m in (MEDIA_LINE.search(ln) for ln in gw.errlines()) if m]
        # the PBX's view: audio frames it heard per call, against 50 a second of hold
        rx = sorted(int(m.group(1)) for m in (re.search(r"call \d+ audio rx_frames=(\d+)", t)
                                              for _, t in fl.timed(lines, "EVENT")) if m)
        cpu_s = (ticks1 - ticks0) / CLK_TCK
        run_s = t1 - t0

        rss_peak = max(rss_peak, mem.get("VmRSS", 0))
        per_chan = (max(rss_peak, mem.get("VmHWM", 0)) - rss_idle) / CHANNELS
        print("sipgw benchmark: %d calls PBX -> sipgw -> phone, 1 T1 loopback span, %d B-channels busy, "
              "hold %.2f s, gateway log level notice" % (n, CHANNELS, a.hold))
        print("  calls placed           %d" % len(calls))
        print("  calls completed        %d  (connected and cleared)" % len(done))
        print("  calls failed           %d" % (len(calls) - len(done)))
        for cause, cnt in sorted(failed.items()):
            print("    cause %-3d %-32s %d" % (cause, CAUSE_NAMES.get(cause, ""), cnt))
        for cause, cnt in sorted(odd_causes.items()):
            print("  connected but cleared with cause %d (%s): %d" % (cause, CAUSE_NAMES.get(cause, "?"), cnt))
        if len(calls) < n:
            print("  calls never ended      %d" % (n - len(calls)))
        print("  wall time              %.2f s  (first SETUP -> last call cleared)" % span_s)
        print("  call rate              %.1f calls/s%s" % (len(calls) / span_s if span_s > 0 else 0.0,
              "  (PBX says %.2f)" % total[2] if total else ""))
        if summ:
            print("  post-dial delay in gw  p50 %.3f ms  p99 %.3f ms  max %.3f ms  (SETUP in -> INVITE out, "
                  "%d calls routed)" % (summ[1], summ[2], summ[3], summ[0]))
        else:
            print("  post-dial delay in gw  (no summary line from sipgw)")
        print("  SETUP -> CONNECT e2e   p50 %s ms  p99 %s ms  max %s ms  (at the PBX, 1 ms resolution)"
              % (pct(s2c, 50), pct(s2c, 99), s2c[-1] if s2c else "nan"))
        for th, ticks, p50, p99, mx, late, frames, dropped, rx_late, rx_frames in media:
            print("  media lateness %-8s %s ticks, p50 %s ms p99 %s ms max %s ms; to the PBX %s of %s frames "
                  "late (>10 ms), %s dropped; from the PBX %s of %s waited > 10 ms  (sipgw's own clocks)"
                  % (th, ticks, p50, p99, mx, late, frames, dropped, rx_late, rx_frames))
        if not media:
            print("  media lateness         (no media thread line from sipgw)")
        if rx:
            print("  PBX heard              p50 %s, min %s audio frames per call of ~%d in %.2f s of hold  "
                  "(the simulator's view)" % (pct(rx, 50), rx[0], int(a.hold * 50), a.hold))
        print("  sipgw CPU              %.2f s over %.2f s = %.1f %% of one core, %.3f CPU-ms/call"
              % (cpu_s, run_s, 100.0 * cpu_s / run_s, 1000.0 * cpu_s / max(1, len(calls))))
        print("  sipgw memory           idle RSS %d kB, peak RSS sampled %d kB, VmHWM %d kB, "
              "VmRSS after run %d kB" % (rss_idle, rss_peak, mem.get("VmHWM", -1), mem.get("VmRSS", -1)))
        print("  RSS per busy channel   %.1f kB  ((VmHWM - idle RSS) / %d)" % (per_chan, CHANNELS))
        print("  RSS growth per call    %.1f kB  ((VmHWM - idle RSS) / calls; the SIP stack keeps finished "
              "transactions ~32 s (timers D/J), so RSS climbs for the first ~32 s of a run, then levels off)"
              % ((max(rss_peak, mem.get("VmHWM", 0)) - rss_idle) / max(1, len(calls))))
        if prc != 0:
            print("  note: sipgw-pbx exited with %s" % prc)
        if grc != 0:
            print("  note: sipgw exited with %s" % grc)
        ok = len(done) > 0
        print("SUMMARY: %d/%d calls completed, %.1f calls/s, pdd p50 %s ms p99 %s ms, setup->connect p50 %s ms "
              "p99 %s ms, sipgw %.1f%% CPU %.3f ms/call, RSS %.1f kB/channel, media frames late %s dropped %s"
              % (len(done), n, len(calls) / span_s if span_s > 0 else 0.0,
                 "%.3f" % summ[1] if summ else "?", "%.3f" % summ[2] if summ else "?",
                 pct(s2c, 50), pct(s2c, 99), 100.0 * cpu_s / run_s, 1000.0 * cpu_s / max(1, len(calls)),
                 per_chan, sum(int(m[5]) + int(m[8]) for m in media) if media else "?",
                 sum(int(m[7]) for m in media) if media else "?"))
    except (fl.FlowError, OSError) as e:
        print("bench: %s" % e, file=sys.stderr)
        print(tb.dump(), file=sys.stderr)
    finally:
        tb.close()
        if ok and not a.keep:
            shutil.rmtree(tb.dir, ignore_errors=True)
        elif not ok or a.keep:
            print("bench: work files kept in %s" % tb.dir, file=sys.stderr)
    rc = 0 if ok else 1
    if not a.no_proxy:
        sys.stdout.flush()
        rc |= proxy_bench.main(["--build", a.build] + (["--quick"] if a.quick else []) +
                               (["--keep"] if a.keep else []))
    return rc


if __name__ == "__main__":
    sys.exit(main())
