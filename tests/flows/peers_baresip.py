# baresip 1.0.0 as a flow test's phone: config dir, ctrl_tcp commands and events, SIP trace.
# SPDX-License-Identifier: GPL-2.0-only
import glob
import json
import os
import re
import socket
import threading
import time

import flowlib as fl
from peers_common import SipTrace, free_media_port, free_port, free_port_pair, need


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _netstring(b):
    return b"%d:%s," % (len(b), b)


class Baresip(SipTrace, fl.Proc):
    """baresip 1.0.0 as a phone: a private config dir (-f) under tb's workdir, one account
    (user@registrar with digest auth_pass and regint, or user@127.0.0.1 unregistered),
    audio from ausine (tone_hz) or aufile (a .wav), what it decodes dumped by the sndfile
    filter (dump-*-dec.wav, our recording; 1.0.0's aufile has no player), driven over
    ctrl_tcp: .command("dial", uri), "accept", "hold", "resume", "hangup"; its events
    (CALL_INCOMING, CALL_RINGING, CALL_ESTABLISHED, CALL_CLOSED, REGISTER_OK, ...) are kept
    with the CLOCK_MONOTONIC ms the simulators print, so times compare across programs.
    More: uri_params inside the AOR (";transport=tls": dial then without it, baresip adds
    the account's), account_extra after it (";mediaenc=srtp-mand"), config_extra lines
    ("module srtp.so\n"), tls: tls_material()'s paths (sip_cafile, sip_certificate).
    It listens at .port (UDP, TCP) and .tls_port (TLS, .port + 1)."""

    def __init__(self, tb, name, user, *, registrar=None, password=None, tone_hz=1000, source=None,
                 codecs=("PCMU",), account_extra="", config_extra="", regint=60, uri_params="", tls=None):
        need("baresip")
        self.dir = os.path.join(tb.dir, name)
        os.makedirs(self.dir, exist_ok=True)
        self.user = user
        # libre listens for TLS at sip_listen's port + 1 (baresip 1.0.0 ua.c)
        self.port = free_port_pair()
        self.tls_port = self.port + 1
        self.ctrl_port = free_port()
        # one even port, so a capture knows it before the call (libre picks in [min, max))
        self.media_port = free_media_port()
        src = source or "ausine,%d" % tone_hz
        cfg = [("poll_method", "epoll"),
               ("sip_listen", "127.0.0.1:%d" % self.port),
               ("net_interface", "127.0.0.1"),        # else the SDP carries eth0's address
               ("audio_player", "aubridge,%s-nowhere" % name),
               ("audio_alert", "aubridge,%s-nowhere" % name),
               ("audio_source", src)]
        if src.startswith("ausine"):
            cfg += [("ausrc_srate", "48000"), ("ausrc_channels", "2")]   # all ausine can make
        cfg += [
               ("rtp_ports", "%d-%d" % (self.media_port, self.media_port + 1)),
               ("call_max_calls", "4"),
               ("module_path", "/usr/lib/baresip/modules"),
               ("module", "g711.so"),
               ("module", "ausine.so"),
               ("module", "aufile.so"),
               ("module", "aubridge.so"),
               ("module", "sndfile.so"),
               ("module", "ctrl_tcp.so"),
               ("module_tmp", "account.so"),
               ("module_app", "menu.so"),
               ("ctrl_tcp_listen", "127.0.0.1:%d" % self.ctrl_port),
               ("snd_path", self.dir)]
        with open(os.path.join(self.dir, "config"), "w") as f:
            for k, v in cfg:
                f.write("%-24s%s\n" % (k, v))
            if tls:
                # tls_material()'s CA to check the far end, and our certificate (cert+key)
                f.write("%-24s%s\n%-24s%s\n" % ("sip_cafile", tls["ca"], "sip_certificate", tls["client_pem"]))
            f.write(config_extra)
        params = ";audio_codecs=%s" % ",".join(codecs)
        if registrar:
            aor = "<sip:%s@%s%s>;auth_pass=%s;regint=%d" % (user, registrar, uri_params, password or "", regint)
        else:
            aor = "<sip:%s@127.0.0.1%s>;regint=0%s" % (user, uri_params,
                                                       ";auth_pass=%s" % password if password else "")
        with open(os.path.join(self.dir, "accounts"), "w") as f:
            f.write(aor + params + account_extra + "\n")
        self.events = []
        self._responses = []
        self._cv = threading.Condition()
        super().__init__(name, ["baresip", "-f", self.dir, "-v", "-s"], tb.dir)
        tb.procs.append(self)
        self.wait_line(r"baresip is ready\.")
        self._sock = socket.create_connection(("127.0.0.1", self.ctrl_port), timeout=5)
        self._sock.settimeout(None)
        self._reader = threading.Thread(target=self._read_ctrl, daemon=True)
        self._reader.start()

    def _read_ctrl(self):
        buf = b""
        while True:
            try:
                d = self._sock.recv(65536)
            except OSError:
                d = b""
            if not d:
                with self._cv:
                    self._cv.notify_all()
                return
            buf += d
            while b":" in buf:
                n, rest = buf.split(b":", 1)
                if not n.isdigit() or len(rest) < int(n) + 1:
                    break
                msg, buf = rest[:int(n)], rest[int(n) + 1:]
                try:
                    obj = json.loads(msg)
                except ValueError:
                    continue
                obj["ms"] = int(time.monotonic() * 1000)  # the simulators' clock
                with self._cv:
                    (self.events if obj.get("event") else self._responses).append(obj)
                    self._cv.notify_all()

    def command(self, cmd, params="", timeout=5.0):
        """Run a baresip command (as the menu module names it); its response's data.
        A response with ok false raises."""
        token = "t%d" % (len(self._responses) + int(time.monotonic() * 1000))
        self._sock.sendall(_netstring(json.dumps({"command": cmd, "params": params,
                                                        "token": token}).encode()))
        deadline = time.monotonic() + timeout
        with self._cv:
            while True:
                for r in self._responses:
                    if r.get("token") == token:
                        if not r.get("ok"):
                            raise fl.FlowError("%s: command %s %s refused: %s" % (self.name, cmd, params,
                                                                                r.get("data")))
                        return r.get("data", "")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise fl.FlowError("%s: no response to %s within %.1fs" % (self.name, cmd, timeout))
                self._cv.wait(left)

    def wait_event(self, etype, timeout=10.0, n=1):
        """The n-th event of type etype (CALL_ESTABLISHED, ...), waiting for it."""
        deadline = time.monotonic() + timeout
        with self._cv:
            while True:
                got = [e for e in self.events if e.get("type") == etype]
                if len(got) >= n:
                    return got[n - 1]
                left = deadline - time.monotonic()
                if left <= 0 or self.p.poll() is not None:
                    raise fl.FlowError("%s: no event %s (#%d) within %.1fs; events %s" % (
                        self.name, etype, n, timeout, [e.get("type") for e in self.events]))
                self._cv.wait(min(left, 0.2))

    def event_types(self, cls=None):
        """The types of the events so far, in order (cls: only events of that class, e.g. "call")."""
        return [e["type"] for e in self.events if cls is None or e.get("class") == cls]

    def recordings(self, kind="dec"):
        """The sndfile dumps, one per call, oldest first: "dec" what baresip decoded (in
        1.0.0 only up to the call's first re-INVITE that stops its receiving: the filter is
        not set up again), "enc" what it sent (its source, real-time, the whole call)."""
        return sorted(glob.glob(os.path.join(self.dir, "dump-*-%s.wav" % kind)), key=os.path.getmtime)

    def messages(self):
        """[(direction, first line, full text)] from baresip's SIP trace (-s) on stdout:
        each message follows an (ANSI-coloured) "#" line and "UDP SRC -> DST"."""
        out, cur, d = [], None, None
        # Ours: the UDP/TCP and TLS listening ports, and the local end of every TCP/TLS
        # connection baresip opened (the far end listens there; it is never reached at
        # a port we did not listen on, and on a connection we open we speak first).
        mine = {"127.0.0.1:%d" % self.port, "127.0.0.1:%d" % self.tls_port}
        for ln in self.lines():
            ln = _ANSI.sub("", ln)
            if ln == "#":
                if cur:
                    out.append(cur)
                cur, d = None, "?"
                continue
            if d == "?":
                m = re.match(r"^(\w+) (\S+) -> (\S+)$", ln)
                if m:
                    src, dst = m.group(2), m.group(3)
                    if src not in mine and dst not in mine:
                        mine.add(src)
                    d = ">" if src in mine else "<"
                cur = [d, None, []] if m else None
                continue
            if cur is not None:
                if cur[1] is None:
                    cur[1] = ln
                cur[2].append(ln)
        if cur:
            out.append(cur)
        res = []
        for d, first, body in out:
            if first is None:
                continue
            text = "\n".join(body).rstrip()
            res.append((d, first, text))
        return res

    def wait_registered(self, timeout=10.0):
        """Until a REGISTER of ours got 200 (REGISTER_OK may come before ctrl_tcp is connected)."""
        deadline = time.monotonic() + timeout
        while True:
            for d, first, text in self.messages():
                if d == "<" and first.startswith("SIP/2.0 200") and re.search(r"^CSeq: \d+ REGISTER", text, re.M):
                    return text
            if self.p.poll() is not None or time.monotonic() > deadline:
                raise fl.FlowError("%s: not registered within %.1fs: %s" % (self.name, timeout, self.ladder()))
            time.sleep(0.02)

    def stop(self, sig=None):
        try:
            self._sock.close()
        except OSError:
            pass
        if sig is None:
            super().stop()
        else:
            super().stop(sig)
