#!/usr/bin/env python3
"""sipgw proxy benchmark: digest REGISTERs/s and phone-to-phone calls/s through
sipgw (registrar + B2BUA) and through Kamailio (bench/kamailio.cfg), on
127.0.0.1 in the same run, driven by the same SIPp scenarios (bench/sipp/),
printed side by side with the ratio sipgw/kamailio.  Figures only: it never
passes or fails on time; it exits non-zero only when nothing could be
measured (a tool missing, or no target ran)."""
# SPDX-License-Identifier: GPL-2.0-only
import argparse
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "flows"))
import flowlib as fl  # noqa: E402

SIPP_DIR = os.path.join(HERE, "sipp")
KAMAILIO_CFG = os.path.join(HERE, "kamailio.cfg")
CLK_TCK = os.sysconf("SC_CLK_TCK")
PASSWORD = "secret"
REG_USERS = ["%d" % (3000 + i) for i in range(200)]  # the registration storm's users
CALLEES = ("2001", "2002")  # both registered by the callee SIPp; 2002's calls are hung up by the callee
CALLER_HANGS_UP, CALLEE_HANGS_UP = "caller", "callee"
SIPP_SOCKET_BUF = 1 << 20  # SIPp's default 64 kB UDP buffers drop bursts; the kernel caps this at rmem_max
KAMAILIO_WORKERS = 2  # `children` in bench/kamailio.cfg: UDP workers, one per core
KAMAILIO_SHM_MB = 1024  # shared memory: transactions linger ~5 s (wait timer), 2000 calls/s needs > 128 MB

_libc = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG = 1


def _die_with_us():
    # Every program we start gets SIGTERM if this script dies, so nothing
    # outlives the bench even when it is killed.
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class BenchError(Exception):
    pass


class Proc:
    """One program we started, by pid; stdout and stderr go to files."""

    def __init__(self, name, argv, workdir):
        self.name = name
        self.argv = argv
        self.out = os.path.join(workdir, name + ".out")
        self.err = os.path.join(workdir, name + ".err")
        with open(self.out, "w") as out, open(self.err, "w") as err:
            self.p = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=workdir,
                                      preexec_fn=_die_with_us)
        self.pid = self.p.pid
        self.rc = None

    def alive(self):
        if self.rc is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.rc = os.waitstatus_to_exitcode(status)
        return self.rc is None

    def wait(self, timeout, tick=None):
        """Exit code and CPU seconds (user + system) of the program; killed at timeout. tick(), if
        given, is called about every 0.1 s while waiting."""
        deadline = time.monotonic() + timeout
        next_tick = 0.0
        while True:
            if tick and time.monotonic() >= next_tick:
                tick()
                next_tick = time.monotonic() + 0.1
            pid, status, ru = os.wait4(self.pid, os.WNOHANG)
            if pid:
                self.rc = os.waitstatus_to_exitcode(status)
                self.p.returncode = self.rc  # reaped here, not by Popen
                return self.rc, ru.ru_utime + ru.ru_stime
            if time.monotonic() > deadline:
                os.kill(self.pid, signal.SIGKILL)
                _, status, ru = os.wait4(self.pid, 0)
                self.rc = os.waitstatus_to_exitcode(status)
                self.p.returncode = self.rc
                raise BenchError("%s still running after %.0f s: killed" % (self.name, timeout))
            time.sleep(0.02)

    def stop(self):
        if not self.alive():
            return self.rc
        os.kill(self.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while self.alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        if self.alive():
            os.kill(self.pid, signal.SIGKILL)
            _, status = os.waitpid(self.pid, 0)
            self.rc = os.waitstatus_to_exitcode(status)
        self.p.returncode = self.rc
        return self.rc

    def tail(self, n=20):
        out = []
        for path in (self.out, self.err):
            with open(path, errors="replace") as f:
                out.extend(f.read().splitlines()[-n:])
        return out


def _proc_tree(pid):
    """pid and its live descendants (Kamailio forks its workers)."""
    parent = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                s = f.read()
        except OSError:
            continue
        parent[int(d)] = int(s[s.rindex(")") + 2:].split()[1])
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo.extend(c for c, pp in parent.items() if pp == p)
    return tree


def tree_ticks(pid):
    """CPU ticks (user + system, all threads) of pid and its live descendants."""
    return pids_ticks(_proc_tree(pid))


def pids_ticks(pids):
    """CPU ticks (user + system, all threads) of these processes; gone ones count 0."""
    total = 0
    for p in pids:
        try:
            with open("/proc/%d/stat" % p) as f:
                s = f.read()
        except OSError:
            continue
        fields = s[s.rindex(")") + 2:].split()
        total += int(fields[11]) + int(fields[12])
    return total


def tree_shape(pid):
    """(processes, threads) of pid and its live descendants."""
    procs = _proc_tree(pid)
    threads = 0
    for p in procs:
        try:
            threads += len(os.listdir("/proc/%d/task" % p))
        except OSError:
            pass
    return len(procs), threads


def settle(target, max_s=20.0):
    """Wait until target is idle (< 5 % of a core over 0.5 s), so one run's backlog (retransmissions,
    queued datagrams) is not billed to the next run."""
    deadline = time.monotonic() + max_s
    while time.monotonic() < deadline:
        t0 = target.ticks()
        time.sleep(0.5)
        if target.ticks() - t0 < 0.025 * CLK_TCK:
            return


def udp_free(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def free_media_port():
    """SIPp binds -mp and -mp + 2 (audio, video) for its RTP echo."""
    while True:
        p = fl.free_port()
        if p < 65000 and udp_free(p + 2):
            return p


def pct(vals, p):
    """p-th percentile of a sorted list (nearest rank)."""
    if not vals:
        return float("nan")
    return vals[min(len(vals) - 1, (len(vals) * p) // 100)]


def read_shortmsg(path):
    """SIPp -trace_shortmsg: [(epoch_s, 'S'|'R', call_id, 'CSeq:N METHOD', first line)]."""
    out = []
    if not os.path.exists(path):
        return out
    with open(path, errors="replace") as f:
        for ln in f:
            parts = ln.rstrip("\n").split("\t")
            if len(parts) >= 7:
                out.append((float(parts[2]), parts[3], parts[4], parts[5], parts[6]))
    return out


def spans_ms(msgs, start_dir, start_cseq, start_line, end_dir, end_cseq, end_line):
    """Per call (Call-ID): first start message -> first end message. Returns (sorted ms, time of the
    first start message, time of the last end message)."""
    def cseq_is(cseq, want):  # "CSeq:1 INVITE", or "* INVITE" for any number (a B2BUA picks its own)
        return cseq == want or (want.startswith("* ") and cseq.endswith(want[1:]))

    t0, t1 = {}, {}
    for t, d, cid, cseq, line in msgs:
        if d == start_dir and cseq_is(cseq, start_cseq) and line.startswith(start_line) and cid not in t0:
            t0[cid] = t
        elif d == end_dir and cseq_is(cseq, end_cseq) and line.startswith(end_line) and cid not in t1:
            t1[cid] = t
    done = [c for c in t1 if c in t0]
    if not done:
        return [], None, None
    return sorted((t1[c] - t0[c]) * 1000.0 for c in done), min(t0.values()), max(t1[c] for c in done)


def udp_drops(ports):
    """Datagrams dropped so far on full receive buffers, summed over the 127.0.0.1 UDP sockets on ports
    (/proc/net/udp, last column)."""
    want = {"0100007F:%04X" % p for p in ports if p}
    total = 0
    with open("/proc/net/udp") as f:
        next(f)
        for ln in f:
            parts = ln.split()
            if parts[1] in want:
                total += int(parts[-1])
    return total


def udp_rcvbuf(port):
    """Receive buffer of the socket bound to 127.0.0.1:port, in bytes (ss skmem rb), or None."""
    try:
        out = subprocess.run(["ss", "-uamnH", "sport", "=", ":%d" % port], capture_output=True, text=True).stdout
    except OSError:
        return None
    i = out.find(",rb")
    return int(out[i + 3:out.index(",", i + 1)]) if i >= 0 else None


def sip_answers(port, timeout):
    """True once anything on 127.0.0.1:port answers an OPTIONS (any status): a worker is reading."""
    deadline = time.monotonic() + timeout
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind(("127.0.0.1", 0))
        me = s.getsockname()[1]
        n = 0
        while time.monotonic() < deadline:
            n += 1
            msg = ("OPTIONS sip:127.0.0.1:%d SIP/2.0\r\n"
                   "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK-bench-ping-%d\r\n"
                   "Max-Forwards: 70\r\nFrom: <sip:bench@127.0.0.1:%d>;tag=ping%d\r\n"
                   "To: <sip:127.0.0.1:%d>\r\nCall-ID: bench-ping-%d-%d\r\nCSeq: %d OPTIONS\r\n"
                   "Content-Length: 0\r\n\r\n" % (port, me, n, me, n, port, me, n, n))
            s.sendto(msg.encode(), ("127.0.0.1", port))
            s.settimeout(0.2)
            try:
                if s.recv(4096).startswith(b"SIP/2.0 "):
                    return True
            except socket.timeout:
                pass
        return False
    finally:
        s.close()


def read_stat(path):
    """The last line of SIPp's -trace_stat CSV as {column: value}."""
    with open(path, errors="replace") as f:
        lines = [ln.rstrip("\n") for ln in f if ln.strip()]
    if len(lines) < 2:
        return {}
    return dict(zip(lines[0].split(";"), lines[-1].split(";")))


class Sipp:
    """One SIPp run (or the long-lived callee) with its trace files."""

    def __init__(self, work, name, scenario, remote=None, args=(), limit_s=120):
        self.name = name
        self.port = fl.free_port()
        base = os.path.join(work, name)
        self.stat, self.short, self.errors = base + "_stat.csv", base + "_short.log", base + "_errors.log"
        argv = ["sipp"] + ([remote] if remote else []) + [
            "-sf", os.path.join(SIPP_DIR, scenario), "-i", "127.0.0.1", "-p", str(self.port),
            "-mp", str(free_media_port()), "-nostdin", "-aa",
            "-buff_size", str(SIPP_SOCKET_BUF),
            "-trace_stat", "-stf", self.stat, "-fd", "1",
            "-trace_shortmsg", "-shortmessage_file", self.short,
            "-trace_err", "-error_file", self.errors,
            "-recv_timeout", "5000",  # a call waiting 5 s for a message is failed and cleared
            "-timeout", "%ds" % int(limit_s), "-timeout_error"] + list(args)
        self.limit_s = limit_s
        self.t0 = time.time()
        self.proc = Proc(name, argv, work)

    def finish(self, tick=None):
        """Wait for a bounded run (calling tick() about every 0.1 s); returns its figures."""
        rc, cpu_s = self.proc.wait(self.limit_s + 30, tick)
        t1 = time.time()
        stat = read_stat(self.stat) if os.path.exists(self.stat) else {}
        failures = {}
        for k, v in stat.items():
            if k.startswith("Failed") and k.endswith("(C)") and k != "FailedCall(C)" and v.strip() not in ("", "0"):
                failures[k[len("Failed"):-3]] = int(v)
        msgs = read_shortmsg(self.short)
        # A 503 (overload, RFC 3261 21.5.4) ends the scenario early but cleanly (bench/sipp/): SIPp counts
        # it a successful call; here it is refused, neither completed nor failed.
        refused = len({cid for _, d, cid, _, line in msgs if d == "R" and line.startswith("SIP/2.0 503")})
        return {"rc": rc, "cpu_s": cpu_s, "t0": self.t0, "t1": t1,
                "ok": max(0, int(stat.get("SuccessfulCall(C)", 0) or 0) - refused), "refused": refused,
                "failed": int(stat.get("FailedCall(C)", 0) or 0),
                "failures": failures, "msgs": msgs}


def write_inf(work, name, rows):
    path = os.path.join(work, name)
    with open(path, "w") as f:
        f.write("SEQUENTIAL\n")
        for r in rows:
            f.write(";".join(r) + "\n")
    return path


def auth_field(user):
    # SIPp 3.6 cannot nest [field0] inside [authentication ...]; it does
    # expand keywords found in injected fields.
    return "[authentication username=%s password=%s]" % (user, PASSWORD)


class Kamailio:
    name = "kamailio"

    def __init__(self, work):
        self.work = os.path.join(work, "kamailio")
        os.makedirs(self.work, exist_ok=True)
        self.proc = None
        self.port = None

    def describe(self):
        v = subprocess.run(["kamailio", "-v"], capture_output=True, text=True).stdout.split("\n")[0]
        return "%s, bench/kamailio.cfg, %d UDP workers, %d MB shared memory" % (
            v.replace("version: ", "").strip(), KAMAILIO_WORKERS, KAMAILIO_SHM_MB)

    def start(self):
        self.port = fl.free_port()
        self.proc = Proc("kamailio", ["kamailio", "-f", KAMAILIO_CFG, "-DD", "-E",
                                      "-l", "udp:127.0.0.1:%d" % self.port, "-n", str(KAMAILIO_WORKERS),
                                      "-m", str(KAMAILIO_SHM_MB), "-M", "16", "-Y", self.work, "-w", self.work], self.work)
        if not sip_answers(self.port, 10):
            raise BenchError("kamailio did not start:\n  " + "\n  ".join(self.proc.tail()))

    def ticks(self):
        return tree_ticks(self.proc.pid)

    def stop(self):
        return self.proc.stop() if self.proc else None


class Sipgw:
    name = "sipgw"

    def __init__(self, work, build):
        self.work = os.path.join(work, "sipgw")
        os.makedirs(self.work, exist_ok=True)
        self.bin = os.path.join(fl.SRCDIR, build, "sipgw")
        self.proc = None
        self.port = None

    def describe(self):
        return "%s, registrar bindings in SQLite, B2BUA with media anchored" % self.bin

    def config(self):
        users = ",\n".join('    { user = "%s"; password = "%s"; }' % (u, PASSWORD)
                           for u in list(CALLEES) + REG_USERS)
        txt = """# written by bench/proxy_bench.py
log = { level = "notice"; };
sip = { bind = "127.0.0.1"; port = %d; trusted = [ "127.0.0.1/32" ]; };
rtp = { address = "127.0.0.1"; port_min = 40000; port_max = 49999; };
registrar = {
  realm = "sipgw";
  database = "%s";
  users = (
%s
  );
  min_expires = 60; max_expires = 3600; default_expires = 3600;
};
# Extensions 2xxx are the registered phones.
dial_peers = (
  { tag = 200; type = "voip"; destination_pattern = "2..."; session_target = "registrar"; preference = 0; }
);
""" % (self.port, os.path.join(self.work, "registrar.db"), users)
        path = os.path.join(self.work, "sipgw.conf")
        with open(path, "w") as f:
            f.write(txt)
        return path

    def start(self):
        if not os.access(self.bin, os.X_OK):
            raise BenchError("%s not built" % self.bin)
        self.port = fl.free_port()
        conf = self.config()
        chk = subprocess.run([self.bin, "-t", "-c", conf], capture_output=True, text=True)
        if chk.returncode != 0:
            raise BenchError("sipgw refuses the registrar config (%s)" %
                             (chk.stdout + chk.stderr).strip().replace("\n", " / "))
        self.proc = Proc("sipgw", [self.bin, "-c", conf, "-l", "notice"], self.work)
        deadline = time.monotonic() + 10
        while True:
            with open(self.proc.err, errors="replace") as f:
                if "sipgw running" in f.read():
                    break
            if not self.proc.alive() or time.monotonic() > deadline:
                raise BenchError("sipgw did not start:\n  " + "\n  ".join(self.proc.tail()))
            time.sleep(0.05)

    def ticks(self):
        return tree_ticks(self.proc.pid)

    def stop(self):
        return self.proc.stop() if self.proc else None


class Plan:
    """What to offer: a light paced run for latency, then a ramp of offered rates for throughput."""

    def __init__(self, a):
        self.step_s = 1.0 if a.quick else a.step
        light_s = 2.0 if a.quick else 5.0
        self.reg_light = (a.reg_light_rate, int(a.reg_light_rate * light_s))
        self.call_light = (a.call_light_rate, int(a.call_light_rate * light_s))
        self.reg_rates = [int(x) for x in a.reg_rates.split(",")]
        self.call_rates = [int(x) for x in a.call_rates.split(",")]
        self.hold_ms = int(a.hold * 1000)
        self.past = a.past


MAX_FAILED = 0.01     # a ramp step passes with fewer than 1 % of its attempts failed ...
MIN_ACHIEVED = 0.95   # ... and at least 95 % of its offered rate completed


def window_pct(samples, i, t0, t1):
    """CPU % of one core of column i of samples between times t0 and t1 (linear between samples)."""
    if t0 is None or t1 is None or t1 - t0 < 0.3 or len(samples) < 2:
        return float("nan")

    def at(t):
        for (ta, *a), (tb, *b) in zip(samples, samples[1:]):
            if ta <= t <= tb:
                return a[i - 1] + (b[i - 1] - a[i - 1]) * ((t - ta) / (tb - ta) if tb > ta else 0.0)
        return samples[0][i] if t < samples[0][0] else samples[-1][i]
    return 100.0 * (at(t1) - at(t0)) / CLK_TCK / (t1 - t0)


def measure(target, work, tag, scenario, inf, rate, count, hold_ms=None, uas=None):
    """One SIPp UAC run offering count attempts at rate/s to target; its figures with the target's CPU."""
    expect_s = count / float(rate) + (hold_ms or 0) / 1000.0
    # -l count: no cap on attempts in flight, arrivals stay paced (open loop).
    args = ["-inf", inf, "-m", str(count), "-r", str(rate), "-l", str(count)]
    if hold_ms is not None:
        args += ["-d", str(hold_ms)]
    ports = (target.port, uas.port if uas else None)
    drops0 = udp_drops(ports)
    proxy_pids = _proc_tree(target.proc.pid)
    uas_pids = [uas.proc.pid] if uas else []
    ticks0 = pids_ticks(proxy_pids)
    samples = []  # (time, proxy ticks, callee ticks, caller ticks): CPU inside the measured window
    sipp = Sipp(work, "%s-%s" % (target.name, tag), scenario, "127.0.0.1:%d" % target.port, args,
                limit_s=max(60, 4 * expect_s + 30))
    run = sipp.finish(lambda: samples.append((time.time(), pids_ticks(proxy_pids), pids_ticks(uas_pids),
                                              pids_ticks([sipp.proc.pid]))))
    run["proxy_cpu_s"] = (pids_ticks(proxy_pids) - ticks0) / float(CLK_TCK)
    run["offered"], run["count"] = rate, count
    # The caller's socket is closed by now: drops at the proxy and at the callee only.
    run["udp_drops"] = udp_drops(ports) - drops0
    if scenario == "register.xml":
        run["lat"], t_first, t_last = spans_ms(run["msgs"], "S", "CSeq:1 REGISTER", "REGISTER",
                                               "R", "CSeq:2 REGISTER", "SIP/2.0 200")
    else:
        run["lat"], t_first, t_last = spans_ms(run["msgs"], "S", "CSeq:1 INVITE", "INVITE",
                                               "R", "CSeq:1 INVITE", "SIP/2.0 200")
        if uas:
            msgs = [m for m in read_shortmsg(uas.short) if run["t0"] <= m[0] <= run["t1"]]
            run["answer"] = spans_ms(msgs, "R", "* INVITE", "INVITE", "S", "* INVITE", "SIP/2.0 200")[0]
    # Achieved rate: final answers (200 to the REGISTER, 200 to the INVITE) per second from the first
    # request sent to the last 200 received; a proxy that falls behind stretches that window.
    win = (t_last - t_first) if t_first is not None else 0.0
    run["win_s"] = win
    run["achieved"] = (len(run["lat"]) - 1) / win if win > 0 and len(run["lat"]) > 1 else float("nan")
    tried = max(1, run["ok"] + run["refused"] + run["failed"])
    run["fail_frac"] = (run["failed"] + max(0, count - tried)) / float(count)
    run["passed"] = run["fail_frac"] < MAX_FAILED and run["achieved"] >= MIN_ACHIEVED * rate
    # CPU in % of one core inside that window (the caller's own ramp-down is outside it) ...
    for i, key in ((1, "proxy_pct"), (2, "callee_pct"), (3, "caller_pct")):
        run[key] = window_pct(samples, i, t_first, t_last) if uas or i != 2 else float("nan")
    # ... but CPU per attempt over the whole run: a call's BYE comes after the window.
    run["cpu_ms_per"] = 1000.0 * run["proxy_cpu_s"] / tried
    del run["msgs"]
    return run


def ramp(target, work, kind, scenario, inf, rates, step_s, hold_ms=None, uas=None, past=0):
    """Offer each rate for step_s seconds while steps pass. A step that does not pass is run once more
    (a single scheduling hiccup on a shared 2-core box should not end the ramp); the ramp ends at the
    first rate that fails twice. Then the next `past` rates are offered once each (marked "past"): what
    the target does past its capacity. Returns every run, retries included."""
    steps = []
    for i, r in enumerate(rates):
        for attempt in (1, 2):
            if attempt == 2:
                settle(target)
            run = measure(target, work, "%s-%d-%d" % (kind, r, attempt), scenario, inf, r,
                          max(50, int(r * step_s)), hold_ms, uas)
            run["attempt"], run["past"] = attempt, False
            steps.append(run)
            if run["passed"]:
                break
        if not run["passed"]:
            for r2 in rates[i + 1:i + 1 + past]:
                settle(target)
                run = measure(target, work, "%s-%d-past" % (kind, r2), scenario, inf, r2,
                              max(50, int(r2 * step_s)), hold_ms, uas)
                run["attempt"], run["past"] = 1, True
                steps.append(run)
            break
    return steps


def bench_target(target, work, plan):
    """Start target, register the callee, check a few calls, then measure. Returns {phase: figures}."""
    tw = target.work
    res = {}
    uas = None
    target.start()
    target.rcvbuf = udp_rcvbuf(target.port)
    try:
        budget = 900  # the callee outlives every run below, then we stop it; it quits by itself anyway
        uas = Sipp(tw, "callee", "callee_uas.xml", None, ["-d", str(plan.hold_ms)], limit_s=budget)
        time.sleep(0.2)
        if not uas.proc.alive():
            raise BenchError("callee SIPp did not start:\n  " + "\n  ".join(uas.proc.tail()))
        callee_inf = write_inf(tw, "callee.csv", [(u, str(uas.port), auth_field(u)) for u in CALLEES])
        reg = Sipp(tw, "callee-register", "register.xml", "127.0.0.1:%d" % target.port,
                   ["-inf", callee_inf, "-m", str(len(CALLEES)), "-r", "10"], limit_s=30).finish()
        if reg["ok"] != len(CALLEES):
            raise BenchError("the callee's REGISTERs failed (%d/%d OK, %s); see %s" %
                             (reg["ok"], len(CALLEES), reg["failures"], tw))
        # Half the calls are hung up by the caller (to 2001), half by the callee (to 2002).
        calls_inf = write_inf(tw, "calls.csv", [("2001", CALLER_HANGS_UP), ("2002", CALLEE_HANGS_UP)])
        smoke = Sipp(tw, "check-calls", "call_uac.xml", "127.0.0.1:%d" % target.port,
                     ["-inf", calls_inf, "-m", "4", "-r", "10", "-d", str(plan.hold_ms)], limit_s=30).finish()
        if smoke["ok"] != 4:
            raise BenchError("check calls failed (%d/4 OK, %s); see %s" % (smoke["ok"], smoke["failures"], tw))

        reg_inf = write_inf(tw, "users.csv", [(u, "5999", auth_field(u)) for u in REG_USERS])
        r, n = plan.reg_light
        settle(target)
        res["reg_light"] = measure(target, tw, "reg-light", "register.xml", reg_inf, r, n)
        res["reg_ramp"] = ramp(target, tw, "reg", "register.xml", reg_inf, plan.reg_rates, plan.step_s,
                               past=plan.past)
        r, n = plan.call_light
        settle(target)
        res["call_light"] = measure(target, tw, "call-light", "call_uac.xml", calls_inf, r, n, plan.hold_ms, uas)
        res["call_ramp"] = ramp(target, tw, "call", "call_uac.xml", calls_inf, plan.call_rates, plan.step_s,
                                plan.hold_ms, uas, past=plan.past)
        target.shape = tree_shape(target.proc.pid)
    finally:
        if uas:
            uas.proc.stop()
        rc = target.stop()
        if rc not in (0, None, -signal.SIGTERM):
            res["exit_note"] = "%s exited with %s" % (target.name, rc)
    return res


# ---- printing

NAMES = ("sipgw", "kamailio")


def fmt(v, nd=1):
    if isinstance(v, str):
        return v
    if v is None or v != v:
        return "-"
    return "%.*f" % (nd, v)


def print_row(label, g, k, nd=1, with_ratio=True):
    rt = ""
    if with_ratio and not isinstance(g, str) and g is not None and k and g == g and k == k:
        rt = "%.2f" % (g / k)
    elif with_ratio:
        rt = "-"
    print("    %-54s %12s %12s %9s" % (label, fmt(g, nd), fmt(k, nd), rt))


def best_step(steps):
    passed = [s for s in steps if s["passed"] and not s["past"]]
    return passed[-1] if passed else None


def failure_text(run):
    out = []
    if run["refused"]:
        out.append("%d refused with 503" % run["refused"])
    if run["fail_frac"] >= MAX_FAILED:
        out.append("%.1f %% failed (%s)" % (100 * run["fail_frac"],
                                            ", ".join("%s %d" % kv for kv in sorted(run["failures"].items()))
                                            or "not all attempts started"))
    if not run["achieved"] >= MIN_ACHIEVED * run["offered"]:
        out.append("completed only %s/s" % fmt(run["achieved"], 0))
    return "; ".join(out)


def print_ramp(results, key, unit, step_s, past):
    print("    ramp: each offered rate for %.0f s; a step passes with < %d %% failed and >= %d %% of the offered"
          % (step_s, MAX_FAILED * 100, MIN_ACHIEVED * 100))
    print("    rate completed; a step that does not pass is run again, marked (2); the ramp stops at the first")
    print("    rate that fails twice, then offers the next %s once each, marked \"past\": what the proxy does"
          % ("rate" if past == 1 else "%d rates" % past))
    print("    past its capacity (503: attempts refused with 503 Service Unavailable by overload control,")
    print("    neither completed nor failed)")
    print("    (proxy%, caller%, callee%: CPU in % of one core from the first request to the last 200; CPU ms/op:")
    print("    the proxy's over the whole run; drops: UDP datagrams dropped on the full receive buffer of the")
    print("    proxy's or the callee's socket during the step)")
    print("      %-9s %10s %10s %6s %6s %8s %8s %9s %6s %7s%s %6s" % (
        "target", "offered/s", "achieved/s", "503", "failed", "p50 ms", "p99 ms", "CPU ms/op", "proxy%",
        "caller%", " callee%" if unit == "calls" else "", "drops"))
    for name in NAMES:
        r = results.get(name)
        if not isinstance(r, dict):
            continue
        for s in r[key]:
            print("      %-9s %10s %10s %6d %6d %8s %8s %9s %6s %7s%s %6d%s" % (
                name, "%d%s" % (s["offered"], " past" if s["past"] else "" if s["attempt"] == 1 else " (2)"),
                fmt(s["achieved"], 0), s["refused"],
                s["failed"] + max(0, s["count"] - s["ok"] - s["refused"] - s["failed"]),
                fmt(pct(s["lat"], 50), 3), fmt(pct(s["lat"], 99), 3), fmt(s["cpu_ms_per"], 3),
                fmt(s["proxy_pct"], 0), fmt(s["caller_pct"], 0),
                " %7s" % fmt(s["callee_pct"], 0) if unit == "calls" else "", s["udp_drops"],
                "" if s["passed"] else "  <- " + failure_text(s)))


def print_section(results, light_key, ramp_key, unit, light_title):
    runs = {n: results[n] if isinstance(results.get(n), dict) else None for n in NAMES}
    one = unit.rstrip("s")
    print("    %-54s %12s %12s %9s" % ("", "sipgw", "kamailio", "sipgw/kam"))
    light = {n: (r[light_key] if r else None) for n, r in runs.items()}
    best = {n: (best_step(r[ramp_key]) if r else None) for n, r in runs.items()}
    last = {n: ([s for s in r[ramp_key] if not s["past"]] or [None])[-1] if r else None for n, r in runs.items()}
    # The highest offered rate both passed: the one place to compare latency and CPU under load.
    passed = [{s["offered"] for s in r[ramp_key] if s["passed"] and not s["past"]} for r in runs.values() if r]
    common = max(set.intersection(*passed)) if len(passed) == 2 and set.intersection(*passed) else None
    at_common = {n: (next((s for s in r[ramp_key] if s["passed"] and not s["past"] and s["offered"] == common), None)
                     if r and common else None) for n, r in runs.items()}

    def both(f, d):
        return [f(d[n]) if d[n] else None for n in NAMES]

    print_row("%s: completed / failed" % light_title,
              *both(lambda x: "%d / %d%s" % (x["ok"], x["failed"], " (%d 503)" % x["refused"] if x["refused"] else ""),
                    light), with_ratio=False)
    print_row("  latency p50 ms", *both(lambda x: pct(x["lat"], 50), light), nd=3)
    print_row("  latency p99 ms", *both(lambda x: pct(x["lat"], 99), light), nd=3)
    if unit == "calls":
        print_row("  of which the callee SIPp answering, p50 ms",
                  *both(lambda x: pct(x.get("answer") or [], 50), light), nd=3)
    print_row("  proxy CPU ms per %s, idle work included" % one,
              *both(lambda x: x["cpu_ms_per"], light), nd=3)
    if common:
        print_row("at %d/s offered (the highest rate both passed)" % common, "", "", with_ratio=False)
        print_row("  latency p50 ms", *both(lambda x: pct(x["lat"], 50), at_common), nd=3)
        print_row("  latency p99 ms", *both(lambda x: pct(x["lat"], 99), at_common), nd=3)
        print_row("  proxy CPU ms per %s" % one, *both(lambda x: x["cpu_ms_per"], at_common), nd=3)
        print_row("  proxy CPU % of one core", *both(lambda x: x["proxy_pct"], at_common), nd=0)
    print_row("highest rate passed: %s/s completed" % unit, *both(lambda x: x["achieved"], best), nd=0)
    print_row("  latency p50 ms there", *both(lambda x: pct(x["lat"], 50), best), nd=3, with_ratio=False)
    print_row("  latency p99 ms there", *both(lambda x: pct(x["lat"], 99), best), nd=3, with_ratio=False)
    print_row("  proxy CPU % of one core there", *both(lambda x: x["proxy_pct"], best), nd=0, with_ratio=False)
    for n in NAMES:
        if not runs[n]:
            continue
        s = last[n]
        if s and s["passed"]:
            print("    %s passed every step: its ceiling is above %d/s" % (n, s["offered"]))
        elif s:
            lim = "%s at %d/s offered (twice)" % (failure_text(s), s["offered"])
            if s["caller_pct"] > 85 or (unit == "calls" and s["callee_pct"] > 85):
                lim += " - a SIPp was near one full core there, so the load generator may be the limit"
            elif s["udp_drops"]:
                lim += ", %d datagrams dropped on full socket buffers" % s["udp_drops"]
            print("    %s stopped: %s" % (n, lim))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--build", default="build", help="build directory holding sipgw")
    ap.add_argument("--quick", action="store_true", help="short run: 1 s ramp steps, 2 s light runs")
    ap.add_argument("--reg-light-rate", type=int, default=100, help="registrations/s of the light run, 5 s (100)")
    ap.add_argument("--reg-rates", default="250,500,1000,1500,2000,3000,4000,5000,6000,8000",
                    help="offered registrations/s of the ramp steps")
    ap.add_argument("--call-light-rate", type=int, default=50, help="calls/s of the light run, 5 s (50)")
    ap.add_argument("--call-rates", default="100,200,400,600,800,1000,1500,2000,2500,3000,4000",
                    help="offered calls/s of the ramp steps")
    ap.add_argument("--step", type=float, default=2.0, help="seconds each ramp step offers its rate (2)")
    ap.add_argument("--hold", type=float, default=0.2, help="seconds each call stays up (0.2)")
    ap.add_argument("--past", type=int, default=2,
                    help="after a ramp stops, offer this many higher rates once each (2): past capacity")
    ap.add_argument("--only", choices=NAMES, help="measure one target")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    a = ap.parse_args(argv)
    fl.BUILD = a.build
    plan = Plan(a)

    missing = [t for t in ("sipp", "kamailio") if not shutil.which(t)]
    if missing:
        print("proxy bench: %s not installed (scripts/install-bench-deps.sh installs them)" % " and ".join(missing),
              file=sys.stderr)
        return 1
    work = tempfile.mkdtemp(prefix="sipgw-proxy-bench-")
    targets = [Sipgw(work, a.build), Kamailio(work)]
    results, notes = {}, []
    t_start = time.monotonic()
    for t in targets:
        if a.only and t.name != a.only:
            results[t.name] = "not run (--only)"
            continue
        try:
            results[t.name] = bench_target(t, work, plan)
        except (BenchError, OSError, fl.FlowError) as e:
            results[t.name] = "not measured: %s" % e
            if t.proc:
                notes.append("%s log tail:\n      %s" % (t.name, "\n      ".join(t.proc.tail(10))))
            t.stop()

    sipp_v = subprocess.run(["sipp", "-v"], capture_output=True, text=True).stdout.strip().split("\n")[0]
    print()
    print("Proxy benchmark: sipgw vs Kamailio on 127.0.0.1, %d cores, load from %s (%.0f s)" %
          (os.cpu_count(), sipp_v.strip().rstrip("."), time.monotonic() - t_start))
    for t in targets:
        shape = getattr(t, "shape", None)
        print("  %-9s %s%s" % (t.name, t.describe(), "; %d process(es), %d thread(s) in all" % shape if shape else ""))
    print("  SIP socket receive buffer as each sets it: %s (SIPp asks for %d kB)" % (", ".join(
        "%s %s" % (t.name, "%d kB" % (t.rcvbuf // 1024) if getattr(t, "rcvbuf", None) else "?") for t in targets),
        SIPP_SOCKET_BUF // 1024))
    for ln in (
            "Same SIPp scenarios (bench/sipp/) against both, one target after the other. Fairness: REGISTER is",
            "digest-challenged by both (401, then REGISTER with Authorization, MD5, qop=auth); call INVITEs come",
            "from 127.0.0.1 and are challenged by neither (sipgw trusts 127.0.0.1; Kamailio authenticates only",
            "REGISTER). Kamailio is a stateful proxy (Record-Route, %d UDP workers, bindings in memory); sipgw is"
            % KAMAILIO_WORKERS,
            "a B2BUA anchoring media (own SDP, RTP ports per call; SIPp sends no RTP), bindings in SQLite.",
            "The callee is one SIPp UAS registered as 2001 and 2002 answering 180 then 200. Calls to 2001 are hung",
            "up by the caller, calls to 2002 by the callee, after %.2f s; every BYE goes through the proxy."
            % (plan.hold_ms / 1000.0),
            "SIPp, the proxy and the callee share the %d cores. Latencies come from SIPp's per-message" % os.cpu_count(),
            "timestamps (microseconds). Ratio column: sipgw / kamailio (rates: higher is better; ms: lower)."):
        print("  " + ln)
    for name in NAMES:
        if isinstance(results.get(name), str):
            print("  %s: %s" % (name, results[name]))

    print()
    print(" (a) Registration with digest auth: REGISTER -> 401 -> REGISTER + Authorization -> 200;")
    print("     latency = first REGISTER sent -> 200 received; %d users, one Contact each" % len(REG_USERS))
    r, n = plan.reg_light
    print_section(results, "reg_light", "reg_ramp", "registrations", "light load, %d offered at %d/s" % (n, r))
    print_ramp(results, "reg_ramp", "registrations", plan.step_s, plan.past)
    print()
    print(" (b) Calls phone -> proxy -> registered phone: INVITE, 100, 180, 200, ACK, hold, BYE, 200;")
    print("     latency = call setup, INVITE sent -> 200 received at the caller")
    r, n = plan.call_light
    print_section(results, "call_light", "call_ramp", "calls", "light load, %d offered at %d/s" % (n, r))
    print_ramp(results, "call_ramp", "calls", plan.step_s, plan.past)
    for name in NAMES:
        if isinstance(results.get(name), dict) and results[name].get("exit_note"):
            print("  note: %s" % results[name]["exit_note"])
    for n_ in notes:
        print("  %s" % n_)

    def summ(name):
        r = results.get(name)
        if not isinstance(r, dict):
            return "%s not measured" % name
        rb, cb = best_step(r["reg_ramp"]), best_step(r["call_ramp"])
        return ("%s %s reg/s (light p50 %s p99 %s ms), %s calls/s (light setup p50 %s p99 %s ms)" %
                (name, fmt(rb["achieved"] if rb else None, 0), fmt(pct(r["reg_light"]["lat"], 50), 2),
                 fmt(pct(r["reg_light"]["lat"], 99), 2), fmt(cb["achieved"] if cb else None, 0),
                 fmt(pct(r["call_light"]["lat"], 50), 2), fmt(pct(r["call_light"]["lat"], 99), 2)))
    print("SUMMARY-PROXY: %s; %s" % (summ("sipgw"), summ("kamailio")))
    sys.stdout.flush()

    ok = any(isinstance(results.get(n_), dict) for n_ in NAMES)
    if ok and not a.keep:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print("proxy bench: work files kept in %s" % work, file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
