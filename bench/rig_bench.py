#!/usr/bin/env python3
# sipgw load-rig benchmark (bench.py --rig N,N,...): for each N, N concurrent
# calls PBX -> sipgw -> phone over ceil(N / 30) E1 loopback spans, echo
# canceller on, the gateway's DTMF detector on (RFC 4733 offered and taken),
# audio both ways for --rig-hold seconds.  One load process per side
# (build/load-pbx, build/load-phone, bench/load_*.c), so the rig costs the
# box little and times every stream by the kernel's receive stamps.
# Prints figures only: late frames from both ends (and sipgw's own counters
# when `sipgwctl show stats` has them), sipgw CPU per channel over the steady
# window (all calls up -> first DISCONNECT), RSS per call, post-dial delay
# p50/p99 of the setup burst, the rig's own cost.  Never passes or fails on
# time; returns non-zero only when the programs failed to run.
# SPDX-License-Identifier: GPL-2.0-only
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "flows"))
import flowlib as fl  # noqa: E402

E1_CHANNELS = 30
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def cpu_ticks(pid):
    """utime + stime of pid, None once it has exited (a collapse can end a load process early)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
    except OSError:
        return None
    fields = s[s.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def rss_kb(pid):
    with open("/proc/%d/statm" % pid) as f:
        return int(f.read().split()[1]) * PAGE_KB


def cpu_pct(t0, t1, secs):
    """% of one core between two cpu_ticks() samples over secs; nan when one is missing."""
    if t0 is None or t1 is None or secs <= 0:
        return float("nan")
    return 100.0 * (t1 - t0) / CLK_TCK / secs


def summary(proc, prog):
    for ln in reversed(proc.lines()):
        if ln.startswith("{"):
            try:
                js = json.loads(ln)
            except ValueError:
                continue
            if js.get("prog") == prog:
                return js
    return None


GW_COUNTER_RX = re.compile(r"late|media|lost|drop|overrun")


def gw_counters(stats):
    """sipgw's own counters of lateness and loss from `sipgwctl --json show stats` (a table of
    name / labels / value rows, the metrics registry): {name: value summed over labels} for the
    names that speak of it (late, media, lost, drop, overrun), histogram buckets left out."""
    out = {}
    for row in (stats or {}).get("stats", []):
        name = row.get("name", "")
        if GW_COUNTER_RX.search(name) and not name.endswith("_bucket"):
            out[name] = out.get(name, 0) + row.get("value", 0)
    return out


def raise_nofile():
    """1,024 calls are 2,048+ sockets in sipgw and 1,024 in load-phone: the soft
    limit up to the hard one (the children inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def syscalls_start(pid):
    """perf stat counting sipgw's system calls (all its threads) until syscalls_end; None without perf."""
    perf = shutil.which("perf")
    if not perf:
        return None
    try:
        return subprocess.Popen([perf, "stat", "-x", ",", "-e", "raw_syscalls:sys_enter", "-p", str(pid)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    except OSError:
        return None


def syscalls_end(pp):
    """The count perf stat printed when stopped (SIGINT), or None."""
    if pp is None:
        return None
    pp.send_signal(signal.SIGINT)
    try:
        _, err = pp.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        pp.kill()
        return None
    for ln in err.splitlines():
        f = ln.split(",")
        if len(f) > 2 and f[2].startswith("raw_syscalls:sys_enter") and f[0].isdigit():
            return int(f[0])
    return None


def burst_size(n):
    """The setup burst at full load: a tenth of the calls, 5 to 64."""
    return max(5, min(64, n // 10))


def run_one(build, n, hold, rate, keep, ec=True, dtmf=True, shared=True):
    """One run at n calls (and a burst of burst_size(n) more at full load); returns (ok, figures dict)."""
    burst = burst_size(n)
    n_spans = (n + burst + E1_CHANNELS - 1) // E1_CHANNELS
    fl.BUILD = build
    tb = fl.Testbed("rig%d" % n)
    ok = False
    fig = {"calls": n, "spans": n_spans, "burst": burst, "ec": ec, "dtmf": dtmf, "shared": shared}
    timeout = 60 + n / rate + hold * 2
    try:
        port = fl.free_port()
        phone = tb.start("load-phone", [tb.bin("load-phone"), "--port", str(port), "--calls", str(n + burst),
                                        "--max", str(n + burst + 64), "--timeout", str(timeout + 30)] +
                             ([] if dtmf else ["--no-telephone-event"]) + (["--shared-port"] if shared else []))
        phone.wait_line(r"READY port=%d" % port)
        spans = [("s%d" % i, "e1", "euroisdn") for i in range(1, n_spans + 1)]
        conf = fl.span_keys(tb.config([fl.voip_peer(100, "2...", port)], spans=spans,
                                      ring_timeout=60, timer_b=32),
                           "echo_cancel = %s;" % ("true" if ec else "false"))
        with open(conf) as f:
            txt = f.read().replace('log = { level = "info"; };', 'log = { level = "notice"; };')
        with open(conf, "w") as f:
            f.write(txt)
        gw = tb.start("sipgw", [tb.bin("sipgw"), "-c", conf])
        try:
            gw.wait_line(r"sipgw running", stream="err", timeout=20)
        except fl.FlowError:
            err = [ln for ln in gw.errlines() if "span" in ln.lower()][-2:]
            print("  N=%d: sipgw did not start with %d spans: %s" % (n, n_spans, " | ".join(err)))
            return False, fig
        gpid = gw.p.pid
        rss_idle = rss_kb(gpid)
        argv = [tb.bin("load-pbx"), "--framing", "e1", "--calls", str(n), "--rate", str(rate),
                "--hold", str(hold), "--hold-after-full", "--burst", str(burst), "--timeout", str(timeout), "-q"] + \
            ([] if shared else ["--rx-wakeup"])
        for name, _, _ in spans:
            argv += ["-s", tb.span_path(name)]
        t0 = time.monotonic()
        g0 = cpu_ticks(gpid)
        pbx = tb.start("load-pbx", argv)
        # the steady window: every call up -> our first DISCONNECT
        notes = []
        # a gateway past its limit may never get there: the figures are printed anyway
        try:
            pbx.wait_line(r"load_pbx: all \d+ calls connected", stream="err", timeout=timeout)
        except fl.FlowError as e:
            notes.append("never at full load: %s" % e)
        ts, gs, ps, fs = time.monotonic(), cpu_ticks(gpid), cpu_ticks(pbx.p.pid), cpu_ticks(phone.p.pid)
        rss_full = rss_kb(gpid)
        perf = syscalls_start(gpid)
        stats = None
        try:
            stats = tb.ctl("show", "stats", json=True, timeout=10)
        except (fl.FlowError, OSError, ValueError, subprocess.TimeoutExpired) as e:
            notes.append("show stats at full load: %s" % e)
        try:
            pbx.wait_line(r"load_pbx: clearing", stream="err", timeout=hold + 30)
        except fl.FlowError as e:
            notes.append("no clearing: %s" % e)
        te, ge, pe, fe = time.monotonic(), cpu_ticks(gpid), cpu_ticks(pbx.p.pid), cpu_ticks(phone.p.pid)
        n_sys = syscalls_end(perf)
        stats_end = None
        try:
            stats_end = tb.ctl("show", "stats", json=True, timeout=10)
        except (fl.FlowError, OSError, ValueError, subprocess.TimeoutExpired) as e:
            notes.append("show stats at the window's end: %s" % e)
        try:
            pbx.wait_exit(timeout + 30)
        except fl.FlowError as e:
            notes.append(str(e))
            pbx.stop()      # SIGTERM: it prints its summary
        try:
            phone.wait_exit(15)
        except fl.FlowError:
            notes.append("load-phone still had calls 15 s after load-pbx ended: stopped")
            phone.stop()    # SIGTERM: it prints its figures at once, then clears
        t1, g1 = time.monotonic(), cpu_ticks(gpid)
        os.kill(gpid, signal.SIGTERM)
        gw.wait_exit(30)
        p, f = summary(pbx, "load_pbx"), summary(phone, "load_phone")
        pdd_gw = None
        for ln in gw.errlines():
            if "summary:" in ln and "post-dial delay" in ln:
                pdd_gw = ln[ln.index("post-dial delay"):]
        win = te - ts
        fig.update({
            "pbx": p, "phone": f, "window_s": win,
            "gw_cpu_pct": cpu_pct(gs, ge, win),
            "gw_cpu_run_pct": cpu_pct(g0, g1, t1 - t0),
            "pbx_cpu_pct": cpu_pct(ps, pe, win),
            "phone_cpu_pct": cpu_pct(fs, fe, win),
            "rss_idle_kb": rss_idle, "rss_full_kb": rss_full,
            "gw_counters": gw_counters(stats_end), "gw_counters_full": gw_counters(stats),
            "gw_stats_ok": stats_end is not None,
            "pdd_gw": pdd_gw, "load": os.getloadavg(), "notes": notes, "syscalls": n_sys,
        })
        ok = p is not None and f is not None
    except (fl.FlowError, OSError) as e:
        print("  N=%d: %s" % (n, e), file=sys.stderr)
        print(tb.dump(), file=sys.stderr)
    finally:
        tb.close()
        if ok and not keep:
            shutil.rmtree(tb.dir, ignore_errors=True)
        else:
            print("  work files kept in %s" % tb.dir, file=sys.stderr)
    return ok, fig


def print_one(fig):
    n, p, f = fig["calls"], fig["pbx"], fig["phone"]
    print("N=%d calls on %d E1 spans (EC %s, DTMF + fax-tone detection on, RFC 4733 %s), %.1f s steady window, load avg %.2f %.2f %.2f"
          % (n, fig["spans"], "on" if fig["ec"] else "off", "taken" if fig["dtmf"] else "refused",
             fig["window_s"], *fig["load"]))
    print("  calls                  %d placed, %d connected, %d failed %s; phone answered %d, refused %d"
          % (p["placed"], p["connected"], p["failed"], p["causes"] or "", f["answered"], f["refused"]))
    for side, js in (("PRI side (load-pbx)", p), ("RTP side (load-phone)", f)):
        extra = ", %d reordered, %d dups" % (js["reordered"], js["dups"]) if "reordered" in js else ""
        print("  %-22s %d streams, %d frames in / %d out, late %d (%.3f %%) on %d streams, lost %d, max gap %.1f ms%s"
              % (side, js["streams"], js["frames_rx"], js["frames_tx"], js["late"],
                 100.0 * js["late"] / max(1, js["frames_rx"]), js["late_streams"], js["lost"], js["max_gap_ms"], extra))
        c = js["clock"]
        print("  %-22s its own clock: %d ticks, max %.2f ms late, >= 5 ms late %d, skipped %d"
              % ("", c["ticks"], c["max_late_ms"], c["late_ms_hist"]["<10"] + c["late_ms_hist"]["<20"] +
                 c["late_ms_hist"][">=20"], c["skipped"]))
    if not fig["gw_stats_ok"]:
        print("  sipgw's own counters   (sipgwctl show stats failed)")
    else:
        c = fig["gw_counters"]
        print("  sipgw's own counters   %s%s" % (", ".join("%s=%g" % kv for kv in sorted(c.items())),
              "" if any("late" in k or "media" in k for k in c) else "  (no media lateness counter in show stats)"))
        fr, late, drop = (c.get("sipgw_media_frames%s_total" % k) for k in ("", "_late", "_dropped"))
        cnt, tot = c.get("sipgw_media_tick_lateness_seconds_count"), c.get("sipgw_media_tick_lateness_seconds_sum")
        if fr:
            print("  sipgw's media clock    %d frames, %.3f %% late, %.3f %% dropped; ticks %.2f ms late on average"
                  % (fr, 100.0 * (late or 0) / fr, 100.0 * (drop or 0) / fr,
                     1000.0 * tot / cnt if cnt else float("nan")))
    print("  sipgw CPU              %.1f %% of a core at full load = %.4f %% per channel (whole run %.1f %%)"
          % (fig["gw_cpu_pct"], fig["gw_cpu_pct"] / n, fig["gw_cpu_run_pct"]))
    if fig.get("syscalls") is not None and fig["window_s"] > 0:
        per_tick = fig["syscalls"] / (fig["window_s"] * 50.0)
        # per frame the gateway moved (both ways) in the window: a loaded box that moves fewer
        # frames makes fewer calls, so this is the figure that compares runs
        moved = (fig["gw_counters"].get("sipgw_media_frames_total", 0) -
                 fig["gw_counters_full"].get("sipgw_media_frames_total", 0))
        print("  sipgw system calls     %d in the window: %.0f per 20 ms, %.2f per call per 20 ms; %s per frame moved"
              % (fig["syscalls"], per_tick, per_tick / n,
                 "%.2f" % (fig["syscalls"] / moved) if moved > 0 else "?"))
        if moved > 0:
            # against build/udp-floor's us per packet: all of sipgw's work for one frame one way
            print("  sipgw CPU per frame    %.2f us of CPU per frame moved (DSP, RTP, the loop; udp-floor for the kernel's part)"
                  % (fig["gw_cpu_pct"] / 100.0 * fig["window_s"] * 1e6 / moved))
    print("  rig CPU                load-pbx %.1f %%, load-phone %.1f %% of a core (rig I/O %s)"
          % (fig["pbx_cpu_pct"], fig["phone_cpu_pct"],
             "batched: one RTP socket, read once a tick" if fig["shared"]
             else "naive: a socket a call, read on every datagram"))
    print("  sipgw RSS              idle %d kB, full %d kB, %.1f kB per call"
          % (fig["rss_idle_kb"], fig["rss_full_kb"], (fig["rss_full_kb"] - fig["rss_idle_kb"]) / n))
    print("  post-dial delay        SETUP -> ALERTING at the PBX p50 %.2f ms p99 %.2f ms max %.2f ms "
          "(the ramp to full load, %s calls/s)" % (p["pdd_ms"]["p50"], p["pdd_ms"]["p99"], p["pdd_ms"]["max"], fig["rate"]))
    b = p.get("burst_pdd_ms")
    if b:
        print("  setup burst at full    %d more calls 1 s after full load at 200 calls/s: %d connected, SETUP -> ALERTING "
              "p50 %.2f ms p99 %.2f ms max %.2f ms" % (p["burst"], p["burst_connected"], b["p50"], b["p99"], b["max"]))
    if fig["pdd_gw"]:
        print("                         in sipgw: %s" % fig["pdd_gw"])
    for note in fig["notes"]:
        print("  note                   %s" % note)
    gw_late = fig["gw_counters"].get("sipgw_media_frames_late_total")
    print("RIG N=%d EC %s: late PRI %d RTP %d sipgw %s, lost PRI %d RTP %d, sipgw %.4f %%/channel, %.1f kB/call, "
          "pdd p50 %.2f p99 %.2f ms, burst at full p50 %.2f p99 %.2f ms, syscalls %s per call per 20 ms"
          % (n, "on" if fig["ec"] else "off", p["late"], f["late"], "?" if gw_late is None else "%d" % gw_late,
             p["lost"], f["lost"], fig["gw_cpu_pct"] / n,
             (fig["rss_full_kb"] - fig["rss_idle_kb"]) / n, p["pdd_ms"]["p50"], p["pdd_ms"]["p99"],
             b["p50"] if b else -1, b["p99"] if b else -1,
             "?" if fig.get("syscalls") is None or fig["window_s"] <= 0
             else "%.2f" % (fig["syscalls"] / (fig["window_s"] * 50.0) / n)))
    sys.stdout.flush()


def main(build, ns, hold, rate, keep=False, ec=True, dtmf=True, shared=True):
    nofile = raise_nofile()
    print("sipgw load-rig benchmark: N = %s, E1 loopback spans, echo canceller %s, one load process per side, "
          "hold %.1f s after the last call is up, setup rate %s calls/s, RLIMIT_NOFILE %d, load avg before %.2f %.2f %.2f"
          % (", ".join(str(n) for n in ns), "on" if ec else "off", hold, rate, nofile, *os.getloadavg()))
    rc = 0
    for n in ns:
        ok, fig = run_one(build, n, hold, rate, keep, ec, dtmf, shared)
        if ok:
            fig["rate"] = rate
            print_one(fig)
        else:
            rc = 1
    return rc


if __name__ == "__main__":
    import argparse
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--build", default="build")
    ap.add_argument("--rig", default="23,240", help="comma-separated call counts (23,240)")
    ap.add_argument("--rig-hold", type=float, default=10.0, help="seconds of audio at full load (10)")
    ap.add_argument("--rig-rate", type=float, default=100.0, help="setup rate, calls/s (100)")
    ap.add_argument("--rig-ec", choices=("on", "off"), default="on", help="the spans' echo canceller (on)")
    ap.add_argument("--rig-dtmf", choices=("on", "off"), default="on",
                    help="the phones take RFC 4733 telephone-event when offered (on), as phones do")
    ap.add_argument("--rig-io", choices=("batched", "naive"), default="batched",
                    help="the rig's own I/O: batched (load-phone on one RTP socket, both read once a tick) "
                         "or naive (a socket a call, read on every datagram), to show what the rig costs")
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    sys.exit(main(a.build, [int(x) for x in a.rig.split(",")], a.rig_hold, a.rig_rate, a.keep, a.rig_ec == "on",
                  a.rig_dtmf == "on", a.rig_io == "batched"))
