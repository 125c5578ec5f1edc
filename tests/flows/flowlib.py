# sipgw call-flow test helpers: start the real programs on free loopback
# ports, wait for what they print, read their ladders.
# SPDX-License-Identifier: GPL-2.0-only
import os
import re
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time

BUILD = "build"
SRCDIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# The spans' type (run_flows.py --span-type): "loopback", or "dahdi" on the
# fake DAHDI (build/libfakedahdi.so), whose far end is a loopback span's far
# end, so the same simulators and assertions run on both.
SPAN_TYPE = "loopback"


class FlowError(AssertionError):
    pass


class FlowSkip(Exception):
    """A test that cannot mean anything on this span type; the reason is printed."""


def skip_unless_loopback(why):
    """Skip on a dahdi span: why says what only a loopback span has."""
    if SPAN_TYPE != "loopback":
        raise FlowSkip(why)


TESTS = []


def flow(fn):
    """Register a call-flow test (run_flows.py runs them in order)."""
    TESTS.append(fn)
    return fn


def no_pri(fn):
    """Under @flow: the flow has no PRI party (phones and the gateway's SIP side only), so a
    dahdi span would change nothing in it; run_flows.py runs it on loopback spans only."""
    fn.no_pri = True
    return fn


def dsp_on_loopback_only(module, keep=()):
    """The flows of module (but those named in keep) check DSP on the audio frames (DTMF,
    echo canceller, codecs, tones, fax): a dahdi span moves the same frames through the fake
    DAHDI instead of a socket and changes nothing in them, so run_flows.py runs them on
    loopback spans only; those in keep (one or two per kind) run on both span types."""
    for t in TESTS:
        if t.__module__ == module and t.__name__ not in keep:
            t.dsp_only = True


# Ports this runner has handed out: the kernel gives a just-released ephemeral port again,
# so two calls before either program binds could get the same one (a gateway's sip.port and
# its phone's --port did, in CI: "Address already in use").
_GIVEN = set()


def free_port():
    """A port free for both UDP and TCP on 127.0.0.1 (SIP listens on both), never one this
    runner handed out before."""
    while True:
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("127.0.0.1", 0))
        port = u.getsockname()[1]
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            if port in _GIVEN:
                continue
            t.bind(("127.0.0.1", port))
            _GIVEN.add(port)
            return port
        except OSError:
            continue
        finally:
            t.close()
            u.close()


def voip_peer(tag, pattern, port, pref=0):
    """A voip dial-peer to a simulator on 127.0.0.1:port."""
    return ('tag = %d; type = "voip"; destination_pattern = "%s"; '
            'session_target = "ipv4:127.0.0.1:%d"; preference = %d;' % (tag, pattern, port, pref))


def pots_peer(tag, pattern, port="pbx-a", pref=0, fwd=None):
    """A pots dial-peer to a span or trunk group; fwd: forward_digits ("all" or a count)."""
    return 'tag = %d; type = "pots"; destination_pattern = "%s"; port = "%s"; preference = %d;%s' % (
        tag, pattern, port, pref, ' forward_digits = "%s";' % fwd if fwd else "")


class Proc:
    """One program we started; its stdout (and stderr) go to files."""

    def __init__(self, name, argv, workdir, env=None):
        self.name = name
        self.out = os.path.join(workdir, name + ".out")
        self.err = os.path.join(workdir, name + ".err")
        self.argv = argv
        self.p = subprocess.Popen(argv, stdout=open(self.out, "w"),
                                  stderr=open(self.err, "w"), cwd=workdir, env=env)

    def lines(self):
        with open(self.out) as f:
            return f.read().splitlines()

    def errlines(self):
        with open(self.err) as f:
            return f.read().splitlines()

    def wait_line(self, pattern, timeout=10.0, stream="out"):
        """Wait until a line matching pattern appears; returns the match."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            for ln in (self.lines() if stream == "out" else self.errlines()):
                m = rx.search(ln)
                if m:
                    return m
            if self.p.poll() is not None and time.monotonic() > deadline - timeout + 0.2:
                # exited: one last look happened above
                for ln in (self.lines() if stream == "out" else self.errlines()):
                    m = rx.search(ln)
                    if m:
                        return m
                raise FlowError("%s exited (rc=%s) without printing /%s/" % (self.name, self.p.returncode, pattern))
            if time.monotonic() > deadline:
                raise FlowError("%s: no line /%s/ within %.1fs" % (self.name, pattern, timeout))
            time.sleep(0.02)

    def wait_count(self, pattern, n, timeout=10.0, stream="out"):
        """Wait until n lines match pattern; returns them."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            got = [ln for ln in (self.lines() if stream == "out" else self.errlines()) if rx.search(ln)]
            if len(got) >= n:
                return got
            if self.p.poll() is not None or time.monotonic() > deadline:
                raise FlowError("%s: %d of %d lines /%s/" % (self.name, len(got), n, pattern))
            time.sleep(0.02)

    def wait_exit(self, timeout=15.0):
        try:
            return self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            raise FlowError("%s did not exit within %.1fs" % (self.name, timeout))

    def stop(self, sig=signal.SIGTERM):
        if self.p.poll() is None:
            os.kill(self.p.pid, sig)
            try:
                self.p.wait(5)
            except subprocess.TimeoutExpired:
                os.kill(self.p.pid, signal.SIGKILL)
                self.p.wait()


def timed(lines, kind):
    """[(ms, text)] for lines '<ms> KIND text'."""
    out = []
    for ln in lines:
        parts = ln.split(" ", 2)
        if len(parts) == 3 and parts[1] == kind:
            out.append((int(parts[0]), parts[2]))
    return out


# Q.931 5.5: RESTART and RESTART ACKNOWLEDGE use the global call reference;
# they belong to the span (the gateway restarts idle B-channels at every
# D-channel up), not to a call's ladder. restart_ladder() reads them.
GLOBAL_CREF_MSGS = ("RESTART", "RESTART ACKNOWLEDGE")


def restart_ladder(lines):
    """PBX view of RESTARTs: [('<', 'RESTART', chan), ('>', 'RESTART ACKNOWLEDGE', chan), ...]."""
    out = []
    for _, t in timed(lines, "Q931"):
        m = re.match(r"([<>]) (RESTART(?: ACKNOWLEDGE)?) cref=\S+(?: chan=(\d+))?", t)
        if m:
            out.append((m.group(1), m.group(2), int(m.group(3)) if m.group(3) else None))
    return out


def q931_ladder(lines):
    """PBX view: ['> SETUP', '< CALL PROCEEDING', '< DISCONNECT cause=17', ...]."""
    ladder = []
    for _, t in timed(lines, "Q931"):
        m = re.match(r"([<>]) ([A-Z ]+?) cref=\S+(.*)", t)
        if not m or m.group(2) in GLOBAL_CREF_MSGS:
            continue
        step = m.group(1) + " " + m.group(2)
        if m.group(2) in ("DISCONNECT", "RELEASE COMPLETE"):
            # The cause of the first clearing message (libpri clears causes
            # 1, 34, 44, 81 and 82 with RELEASE COMPLETE straight away).
            c = re.search(r"cause=(\d+)", m.group(3))
            first = not any(x.split(" ")[1] in ("DISCONNECT", "RELEASE") for x in ladder)
            if c and first:
                step += " cause=" + c.group(1)
        if m.group(2) == "PROGRESS":
            p = re.search(r"pi=(\d+)", m.group(3))
            if p:
                step += " pi=" + p.group(1)
        ladder.append(step)
    return ladder


def sip_ladder(lines):
    """Phone view: ['< INVITE', '> 100/INVITE', '> 180/INVITE', '< ACK', ...]."""
    ladder = []
    for _, t in timed(lines, "SIP"):
        m = re.match(r"([<>]) (\d{3}) .*?\((\w+)\)", t)
        if m:
            ladder.append("%s %s/%s" % (m.group(1), m.group(2), m.group(3)))
            continue
        m = re.match(r"([<>]) ([A-Z]+) ", t)
        if m:
            ladder.append("%s %s" % (m.group(1), m.group(2)))
    return ladder


def sip_lines(lines, pattern):
    rx = re.compile(pattern)
    return [(ms, t) for ms, t in timed(lines, "SIP") if rx.search(t)]


def expect_ladder(name, got, want):
    if got != want:
        raise FlowError("%s ladder differs\n  want: %s\n  got:  %s" % (name, want, got))


def tone_events(lines, hz):
    """[(ms, 'on'|'off')] for AUDIO tone HZ lines."""
    rx = re.compile(r"^tone %d (on|off)" % hz)
    return [(ms, rx.match(t).group(1)) for ms, t in timed(lines, "AUDIO") if rx.match(t)]


def tone_on_during(events, start, end):
    """Was the tone on at any moment in [start, end]?"""
    state = "off"
    for ms, ev in events:
        if ms > end:
            break
        if ms >= start and ev == "on":
            return True
        state = ev
        if ms >= start and state == "on":
            return True
    # on before start and never turned off before start
    last = "off"
    for ms, ev in events:
        if ms <= start:
            last = ev
    return last == "on"


# Shared by the figure tests: a PRI -> SIP call up to the answer as the PBX
# and as the phone see it, the PBX calling 2001 as 5551000 "User A", and
# the check that each end heard the other's tone.
PBX_CONNECTED = ["> SETUP", "< CALL PROCEEDING", "< ALERTING", "< CONNECT", "> CONNECT ACKNOWLEDGE"]
PHONE_ANSWERED = ["< INVITE", "> 100/INVITE", "> 180/INVITE", "> 200/INVITE", "< ACK"]


def pbx_call(tb, *extra):
    return tb.pbx("--call", "2001", "--calling", "5551000", "--name", "User A", "--exit-when-done", *extra)


def check_audio_crossed(pbx, phone, pbx_hz=2000, phone_hz=1000):
    if ("on" not in [e for _, e in tone_events(pbx.lines(), phone_hz)]):
        raise FlowError("PBX never heard the phone's %d Hz tone" % phone_hz)
    if ("on" not in [e for _, e in tone_events(phone.lines(), pbx_hz)]):
        raise FlowError("phone never heard the PBX's %d Hz tone" % pbx_hz)


def span_keys(conf, keys):
    """Add keys (e.g. 'overlap_receive = true;') to every span entry of a config
    Testbed.config wrote, on loopback and dahdi spans alike."""
    with open(conf) as f:
        txt = f.read()
    txt = re.sub(r'(framing = "[a-z0-9]+";) \}', r"\1 %s }" % keys, txt)
    with open(conf, "w") as f:
        f.write(txt)
    return conf


class Testbed:
    """A temp dir, a sipgw with a config made from a template, simulators."""

    def __init__(self, name):
        self.name = name
        self.dir = tempfile.mkdtemp(prefix="sipgw-flow-%s-" % name)
        self.procs = []
        self.sip_port = free_port()
        self.span_nums = {}
        self.fake_env = {}          # more of the fake DAHDI's environment (FAKE_DAHDI_BLOCK_US)
        self.no_dchan = set()       # spans without a D-channel (NFAS nfas_d "none"): 24 B-channels

    def bin(self, prog):
        return os.path.join(SRCDIR, BUILD, prog)

    def span_path(self, span="pbx-a"):
        """Where the PBX for span connects: the loopback span's socket, or on
        dahdi the fake's far end of the DAHDI span the span is (DIR/span<N>)."""
        if SPAN_TYPE == "dahdi":
            return os.path.join(self.dir, "span%d" % self.span_num(span))
        return os.path.join(self.dir, span)

    def span_num(self, span):
        """The DAHDI span number of a span by name: 1, 2, ... in the order first named."""
        return self.span_nums.setdefault(span, len(self.span_nums) + 1)

    def fake_ctl(self, line):
        """A line to the fake DAHDI's control socket ("alarm 1 red"); returns its answer.
        (Not ctl(): that one is sipgwctl's.)"""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            s.settimeout(5)
            s.connect(os.path.join(self.dir, "ctl"))
            s.send(line.encode())
            return s.recv(256).decode().strip()
        finally:
            s.close()

    def span_txt(self, n, fr, sw):
        if SPAN_TYPE == "dahdi":
            return ('  { name = "%s"; type = "dahdi"; span = %d; role = "network"; '
                    'switchtype = "%s"; framing = "%s"; }' % (n, self.span_num(n), sw, fr))
        return ('  { name = "%s"; type = "loopback"; path = "%s"; role = "network"; '
                'switchtype = "%s"; framing = "%s"; }' % (n, self.span_path(n), sw, fr))

    def system_conf(self, spans):
        """DAHDI's system.conf for the spans, as dahdi_cfg would read it for PRI cards;
        the section pointing sipgw at it."""
        framing = dict((n, fr) for n, fr, _ in spans)
        lines = ["# the fake DAHDI's cards (flowlib.py)"]
        chans = []
        base = 1
        for name, num in sorted(self.span_nums.items(), key=lambda kv: kv[1]):
            if framing.get(name, "t1") == "e1":
                lines.append("span=%d,%d,0,ccs,hdb3,crc4" % (num, 1 if num == 1 else 0))
                # hardhdlc on E1s, as current cards do it; dchan (DAHDI's HDLC) on T1s
                chans += ["bchan=%d-%d,%d-%d" % (base, base + 14, base + 16, base + 30),
                          "hardhdlc=%d" % (base + 15)]
                base += 31
            elif name in self.no_dchan:
                lines.append("span=%d,%d,0,esf,b8zs" % (num, 1 if num == 1 else 0))
                chans += ["bchan=%d-%d" % (base, base + 23)]
                base += 24
            else:
                lines.append("span=%d,%d,0,esf,b8zs" % (num, 1 if num == 1 else 0))
                chans += ["bchan=%d-%d" % (base, base + 22), "dchan=%d" % (base + 23)]
                base += 24
        path = os.path.join(self.dir, "system.conf")
        with open(path, "w") as f:
            f.write("\n".join(lines + chans) + "\n")
        return 'dahdi = { system_conf = "%s"; };\n' % path

    def config(self, peers, framing="t1", switch="ni2", ring_timeout=30, timer_b=32,
               spans=None, extra="", trusted=("127.0.0.1",), codecs=None, rtp_extra=""):
        """codecs: rtp.codecs, the codec order of SIP legs no dial-peer names (None: the default);
        rtp_extra: more keys of the rtp group ("vad = true;")."""
        spans = spans or [("pbx-a", framing, switch)]
        span_txt = ",\n".join(self.span_txt(n, fr, sw) for n, fr, sw in spans)
        dahdi_txt = self.system_conf(spans) if SPAN_TYPE == "dahdi" else ""
        peer_txt = ",\n".join("  { %s }" % p for p in peers)
        txt = """log = { level = "info"; };
sip = { bind = "127.0.0.1"; port = %d; trusted = [ %s ]; };
rtp = { address = "127.0.0.1"; port_min = 30000; port_max = 39999;%s };
timers = { ring-no-answer = %s; timer-b = %s; shutdown-grace = 2; };
control = { socket = "%s"; };
cdr = { database = "%s"; };
%sspans = (
%s
);
dial_peers = (
%s
);
%s""" % (self.sip_port, ", ".join('"%s"' % t for t in trusted),
         (" codecs = [ %s ];" % ", ".join('"%s"' % c for c in codecs) if codecs else "") +
         (" " + rtp_extra if rtp_extra else ""),
         ring_timeout, timer_b, self.ctl_path, self.cdr_path, dahdi_txt,
         span_txt, peer_txt, extra)
        path = os.path.join(self.dir, "sipgw.conf")
        with open(path, "w") as f:
            f.write(txt)
        return path

    def env_for(self, argv):
        """sipgw on dahdi spans runs on the fake DAHDI: LD_PRELOAD and FAKE_DAHDI_DIR.
        An ASan build needs its runtime first in the list, so libasan goes before it."""
        if SPAN_TYPE != "dahdi":
            return None
        progs = [a for a in argv if os.path.basename(a) == "sipgw"]
        if not progs:
            return None
        preload = [os.path.join(SRCDIR, BUILD, "libfakedahdi.so")]
        if not os.path.exists(preload[0]):
            raise FlowError("%s is missing: make builds it" % preload[0])
        if "build-asan" in progs[0]:
            asan = subprocess.run(["cc", "-print-file-name=libasan.so"], capture_output=True,
                                  text=True).stdout.strip()
            preload.insert(0, os.path.realpath(asan))
        env = dict(os.environ)
        env["LD_PRELOAD"] = ":".join(preload)
        env["FAKE_DAHDI_DIR"] = self.dir
        env.update(self.fake_env)
        return env

    def start(self, name, argv):
        p = Proc(name, argv, self.dir, env=self.env_for(argv))
        self.procs.append(p)
        return p

    @property
    def ctl_path(self):
        """The control socket tb.config() gives the gateway (sipgwctl -s)."""
        return os.path.join(self.dir, "ctl.sock")

    def ctl(self, *words, json=False, sock=None, timeout=30):
        """Run build/sipgwctl against the test's gateway: (rc, stdout, stderr), or with
        json=True the parsed JSON answer (a FlowError when it failed)."""
        argv = [self.bin("sipgwctl"), "-s", sock or self.ctl_path] + (["--json"] if json else []) + list(words)
        r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        if not json:
            return r.returncode, r.stdout, r.stderr
        if r.returncode != 0:
            raise FlowError("sipgwctl %s: exit %d: %s%s" % (" ".join(words), r.returncode, r.stdout, r.stderr))
        import json as _json
        return _json.loads(r.stdout)

    def gateway(self, conf):
        gw = self.start("sipgw", [self.bin("sipgw"), "-c", conf])
        gw.wait_line(r"sipgw running", stream="err")
        return gw

    def phone(self, name, *args):
        port = free_port()
        ph = self.start(name, [self.bin("sipgw-phone"), "--port", str(port), "--timeout", "20"] + list(args))
        ph.wait_line(r"EVENT ready port=%d" % port)
        ph.port = port
        return ph

    def pbx(self, *args, span="pbx-a", name="pbx"):
        return self.start(name, [self.bin("sipgw-pbx"), "-s", self.span_path(span), "--role", "cpe",
                                 "--timeout", "20"] + list(args))

    def close(self):
        for p in reversed(self.procs):
            p.stop()

    # ---- the CDR (cdr.database, which tb.config() puts in the test dir)

    @property
    def cdr_path(self):
        return os.path.join(self.dir, "cdr.db")

    def cdr_rows(self, path=None):
        """Every row of the CDR so far, oldest first, as dicts ([] when there is no database)."""
        path = path or self.cdr_path
        if not os.path.exists(path):
            return []
        db = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=5)
        try:
            db.row_factory = sqlite3.Row
            try:
                return [dict(r) for r in db.execute("SELECT * FROM cdr ORDER BY seq")]
            except sqlite3.OperationalError:     # the gateway has not made the table yet
                return []
        finally:
            db.close()

    def wait_cdr(self, n, timeout=10.0, path=None):
        """Wait until the CDR has n rows (the writer commits within ms of a call's end)."""
        deadline = time.monotonic() + timeout
        while True:
            rows = self.cdr_rows(path)
            if len(rows) >= n:
                return rows
            if time.monotonic() > deadline:
                raise FlowError("CDR: %d of %d rows within %.1fs" % (len(rows), n, timeout))
            time.sleep(0.02)

    @staticmethod
    def _logs_info(p):
        """Whether gateway p logs at info (where its calls' 'ended' lines are): -l, else log.level."""
        lvl = p.argv[p.argv.index("-l") + 1] if "-l" in p.argv else None
        if lvl is None and "-c" in p.argv:
            try:
                with open(os.path.join(os.path.dirname(p.out), p.argv[p.argv.index("-c") + 1])) as f:
                    m = re.search(r'log\s*=\s*\{[^}]*level\s*=\s*"(\w+)"', f.read())
                lvl = m.group(1) if m else None
            except OSError:
                pass
        return (lvl or "info").lower() in ("info", "debug")

    def check_cdr(self):
        """Every flow is a CDR test (run_flows.py calls this after the flow passed and its
        programs stopped): each call a gateway logged as ended ('call N [..] ended, cause C
        ... cdr UUID') has exactly one row, with that id and cause, and no row is there for a
        call no gateway logged. A gateway killed with SIGKILL may have lost the rows of its last
        ~100 ms; a gateway started again under the same name overwrote its log, and one that
        logs above info does not print its calls' ends, so then rows no log names are not held
        against it."""
        gws = [p for p in self.procs if os.path.basename(p.argv[0]) == "sipgw" and "-t" not in p.argv]
        # a second gateway of the flow (flows_dispatch.py) has its own database: p.cdr_path
        for path in sorted(set(getattr(p, "cdr_path", self.cdr_path) for p in gws)):
            self._check_cdr_of([p for p in gws if getattr(p, "cdr_path", self.cdr_path) == path], path)

    def _check_cdr_of(self, gws, path):
        """check_cdr for the gateways gws writing the database at path."""
        if not gws or not os.path.exists(path):
            return
        ended = re.compile(r"call (\d+) \[\w+\] ended, cause (\d+) .*cdr ([0-9a-f-]{36})$")
        logged, killed, reruns = {}, False, False
        names = [p.err for p in gws]
        reruns = len(set(names)) != len(names) or not all(self._logs_info(p) for p in gws)
        for p in gws:
            killed |= p.p.returncode == -signal.SIGKILL
        for err in set(names):
            with open(err) as f:
                for ln in f:
                    m = ended.search(ln.rstrip("\n"))
                    if m:
                        if m.group(3) in logged:
                            raise FlowError("CDR: call %s logged as ended twice" % m.group(1))
                        logged[m.group(3)] = (int(m.group(1)), int(m.group(2)))
        rows = self.cdr_rows(path)
        by_uuid = {}
        for r in rows:
            if r["uuid"] in by_uuid:
                raise FlowError("CDR: two rows for call %s (uuid %s)" % (r["id"], r["uuid"]))
            by_uuid[r["uuid"]] = r
        for uuid, (cid, cause) in sorted(logged.items(), key=lambda kv: kv[1]):
            r = by_uuid.get(uuid)
            if r is None:
                if killed:
                    continue
                raise FlowError("CDR: call %d (cause %d) ended without its row (%d rows: %s)" % (
                    cid, cause, len(rows), [(x["id"], x["cause"]) for x in rows]))
            if r["id"] != cid or r["cause"] != cause:
                raise FlowError("CDR: call %d ended with cause %d, its row says call %s cause %s" % (
                    cid, cause, r["id"], r["cause"]))
        if not reruns:
            extra = [(r["id"], r["cause"]) for r in rows if r["uuid"] not in logged]
            if extra:
                raise FlowError("CDR: rows for calls no gateway logged as ended: %s" % extra)

    def dump(self):
        out = []
        for p in self.procs:
            out.append("---- %s: %s" % (p.name, " ".join(p.argv)))
            out.extend(p.lines()[-60:])
            out.extend("ERR " + l for l in p.errlines()[-60:])
        return "\n".join(out)
