# sipgw call-flow tests: the gateway as systemd runs it (Type=notify). No
# systemd is PID 1 here, so the test is systemd's side: a datagram socket it
# binds as NOTIFY_SOCKET, reading what sd_notify(3) sends: READY=1 once the
# spans and SIP are up, WATCHDOG=1 at half of WATCHDOG_USEC, STOPPING=1 at
# SIGTERM. And the man page keeps up with the commands a gateway registers.
# SPDX-License-Identifier: GPL-2.0-only
import os
import re
import signal
import socket
import subprocess
import time

import flowlib as fl
from flowlib import (FlowError, PHONE_ANSWERED, expect_ladder, flow, no_pri, pbx_call, sip_ladder,
                     voip_peer)


class Notify:
    """systemd's end of NOTIFY_SOCKET: each datagram one notification, kept with the
    monotonic time it came."""

    def __init__(self, tb):
        self.path = os.path.join(tb.dir, "notify.sock")
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.s.bind(self.path)
        self.got = []

    def next(self, timeout=10.0):
        """The next notification as a dict (KEY -> value), or a FlowError."""
        self.s.settimeout(timeout)
        try:
            data = self.s.recv(4096).decode()
        except socket.timeout:
            raise FlowError("no notification on NOTIFY_SOCKET within %.1fs (%d before it, the last: %r)"
                            % (timeout, len(self.got), [kv for _, kv in self.got[-3:]]))
        kv = dict(ln.split("=", 1) for ln in data.split("\n") if "=" in ln)
        self.got.append((time.monotonic(), kv))
        return kv

    def until(self, key, timeout=10.0):
        """Notifications up to and with the first that sets key; that one."""
        deadline = time.monotonic() + timeout
        while True:
            kv = self.next(max(0.05, deadline - time.monotonic()))
            if key in kv:
                return kv

    def close(self):
        self.s.close()


def gateway_notified(tb, conf, watchdog_usec=None):
    """sipgw with NOTIFY_SOCKET (and WATCHDOG_USEC) set, as systemd starts it."""
    n = Notify(tb)
    env = dict(os.environ, NOTIFY_SOCKET=n.path)
    env.pop("WATCHDOG_PID", None)
    if watchdog_usec:
        env["WATCHDOG_USEC"] = str(watchdog_usec)
    else:
        env.pop("WATCHDOG_USEC", None)
    if fl.SPAN_TYPE == "dahdi":
        env.update(tb.env_for([tb.bin("sipgw")]) or {})
    gw = fl.Proc("sipgw", [tb.bin("sipgw"), "-c", conf], tb.dir, env=env)
    tb.procs.append(gw)
    return gw, n


def sip_answers(port):
    """True when something answers an OPTIONS on 127.0.0.1:port (UDP) within 2 s."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(2)
    lp = s.getsockname()[1]
    msg = ("OPTIONS sip:127.0.0.1:%d SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK-ready%d\r\n"
           "Max-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=p1\r\nTo: <sip:127.0.0.1:%d>\r\n"
           "Call-ID: ready-%d@127.0.0.1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
           % (port, lp, lp, port, lp))
    try:
        s.sendto(msg.encode(), ("127.0.0.1", port))
        return s.recv(4096).startswith(b"SIP/2.0 ")
    except socket.timeout:
        return False
    finally:
        s.close()


@flow
def service_ready_watchdog_stopping(tb):
    """Type=notify as systemd sees it: READY=1 only once SIP answers and the span takes its
    PBX, with a STATUS line; WATCHDOG=1 every half of WATCHDOG_USEC from the loop; at SIGTERM
    during a call STOPPING=1 saying one call is being cleared, then exit 0 with the call
    cleared on the SIP side."""
    phone = tb.phone("phone", "--answer-after", "0.2", "--tone", "1000")
    conf = tb.config([voip_peer(100, "2...", phone.port)])
    gw, n = gateway_notified(tb, conf, watchdog_usec=200000)
    try:
        ready = n.until("READY", timeout=15)
        if ready.get("READY") != "1" or not re.match(r"running: 1 span\(s\), SIP on 127\.0\.0\.1 port %d, 0 call\(s\) up$"
                                                      % tb.sip_port, ready.get("STATUS", "")):
            raise FlowError("READY notification: %r" % ready)
        # ready means ready: SIP answers and the span's socket takes its PBX now
        if not sip_answers(tb.sip_port):
            raise FlowError("READY=1 sent, but SIP on port %d does not answer" % tb.sip_port)
        gw.wait_line(r"systemd watchdog 200 ms, pinged every 100 ms", stream="err", timeout=2)
        pings = []
        while len(pings) < 6:
            kv = n.next(timeout=2)
            if kv.get("WATCHDOG") == "1":
                pings.append(n.got[-1][0])
        gaps = [b - a for a, b in zip(pings, pings[1:])]
        mean = sum(gaps) / len(gaps)
        # every 100 ms; well inside the 200 ms timeout however the box is loaded
        if not 0.05 <= mean <= 0.16:
            raise FlowError("watchdog pings every %.0f ms on average (want ~100): %r" %
                            (mean * 1000, [round(g * 1000) for g in gaps]))
        pbx = pbx_call(tb, "--tone", "2000", "--hangup-after", "30")
        pbx.wait_line(r"Q931 < CONNECT ", timeout=10)
        phone.wait_line(r"SIP < ACK", timeout=5)
        os.kill(gw.p.pid, signal.SIGTERM)
        stop = n.until("STOPPING", timeout=5)
        if stop.get("STOPPING") != "1" or stop.get("STATUS") != "stopping: clearing 1 call(s)":
            raise FlowError("STOPPING notification: %r" % stop)
        rc = gw.wait_exit(timeout=10)
        if rc != 0:
            raise FlowError("sipgw exited %d after SIGTERM" % rc)
        phone.wait_line(r"SIP < BYE", timeout=5)
        expect_ladder("phone", sip_ladder(phone.lines())[:5], PHONE_ANSWERED)
    finally:
        n.close()


@flow
@no_pri
def service_no_watchdog_without_systemd(tb):
    """Run by hand (no NOTIFY_SOCKET, no WATCHDOG_USEC) the gateway sends nothing and says
    nothing about a watchdog; with WATCHDOG_PID naming another process (systemd's watchdog is
    for the main process only) it sends READY=1 but no pings."""
    conf = tb.config([voip_peer(100, "2...", 5999)])
    gw = tb.gateway(conf)
    said = [ln for ln in gw.errlines() if "systemd watchdog" in ln or "service:" in ln]
    if said:
        raise FlowError("systemd talk without systemd: %r" % said)
    gw.stop()
    tb.sip_port = fl.free_port()
    conf = tb.config([voip_peer(100, "2...", 5999)])
    path = os.path.join(tb.dir, "notify2.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    try:
        env = dict(os.environ, NOTIFY_SOCKET=path, WATCHDOG_USEC="100000", WATCHDOG_PID="1")
        gw2 = fl.Proc("sipgw2", [tb.bin("sipgw"), "-c", conf], tb.dir, env=env)
        tb.procs.append(gw2)
        s.settimeout(10)
        first = s.recv(4096).decode()
        if not first.startswith("READY=1\n"):
            raise FlowError("first notification %r, want READY=1" % first)
        s.settimeout(0.5)
        try:
            more = s.recv(4096).decode()
            raise FlowError("a notification after READY with WATCHDOG_PID=1: %r" % more)
        except socket.timeout:
            pass
    finally:
        s.close()


def man_text(path):
    """A man page as man renders it, formatting gone and white space collapsed."""
    r = subprocess.run(["man", "-l", "-Tutf8", path], capture_output=True, text=True,
                       env=dict(os.environ, MANWIDTH="200", LC_ALL="C.UTF-8", MAN_KEEP_FORMATTING="0"))
    plain = re.sub(r".\x08", "", r.stdout)
    return " ".join(plain.replace("\u2010", "-").replace("\u2212", "-").split())


@flow
@no_pri
def service_man_page_lists_every_command(tb):
    """sipgwctl(8) documents every command the running gateway registers (as `sipgwctl help`
    lists them: the usage's command words, before its first ARGUMENT), so the page cannot
    fall behind the commands."""
    tb.gateway(tb.config([voip_peer(100, "2...", 5999)]))
    j = tb.ctl("help", json=True)
    usages = [row["command"] for row in j["commands"]]
    if "show version" not in usages:
        raise FlowError("help --json: %r" % j)
    text = man_text(os.path.join(fl.SRCDIR, "man", "sipgwctl.8"))
    # "debug q931 on|off" documents "debug q931 on" and "debug q931 off"
    text = " | ".join([text, re.sub(r"([\w-]+)\|([\w-]+)", r"\1", text), re.sub(r"([\w-]+)\|([\w-]+)", r"\2", text)])
    missing = []
    for u in usages:
        words = []
        for w in u.split():
            if re.search(r"[A-Z\[<]", w):
                break
            words.append(w)
        if words and " ".join(words) not in text:
            missing.append(u)
    if missing:
        raise FlowError("sipgwctl(8) lacks these commands: %r" % missing)


@flow
def service_call_under_unit_sandbox(tb):
    """sipgw under the unit's own seccomp sandbox (SystemCallFilter=@system-service with
    EPERM, RestrictAddressFamilies=, MemoryDenyWriteExecute=, as tests/flows/sandbox.py
    builds them from dist/sipgw.service.in) starts, carries a B-1 call with audio both ways
    and stops cleanly at SIGTERM: the hardening does not take away a system call sipgw needs."""
    try:
        import seccomp  # noqa: F401
    except ImportError:
        raise fl.FlowSkip("python3-seccomp is not installed (make deps installs it)")
    phone = tb.phone("phone", "--answer-after", "0.2", "--tone", "1000", "--detect", "2000")
    conf = tb.config([voip_peer(100, "2...", phone.port)])
    unit = os.path.join(fl.SRCDIR, "dist", "sipgw.service.in")
    gw = tb.start("sipgw", ["/usr/bin/python3", os.path.join(fl.SRCDIR, "tests", "flows", "sandbox.py"), unit,
                            "--", tb.bin("sipgw"), "-c", conf])
    gw.wait_line(r"sandbox: \d+ system calls allowed", stream="err")
    gw.wait_line(r"sipgw running", stream="err")
    pbx = pbx_call(tb, "--tone", "2000", "--detect", "1000", "--hangup-after", "2")
    pbx.wait_exit(timeout=20)
    expect_ladder("phone", sip_ladder(phone.lines())[:5], PHONE_ANSWERED)
    fl.check_audio_crossed(pbx, phone)
    os.kill(gw.p.pid, signal.SIGTERM)
    if gw.wait_exit(timeout=10) != 0:
        raise FlowError("sipgw under the sandbox exited %d at SIGTERM" % gw.p.returncode)
