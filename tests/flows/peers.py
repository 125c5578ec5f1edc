# Real third-party SIP peers for the call-flow tests: SIPp (and, later,
# baresip and Kamailio), started as processes of a flowlib Testbed on
# 127.0.0.1 (or ::1) and free ports, stopped by pid with the rest.
# SPDX-License-Identifier: GPL-2.0-only
import os
import re
import socket
import subprocess
import time

import flowlib as fl

SIPP = "sipp"


def need(prog):
    """A peer's program must be there: scripts/install-deps.sh installs them all."""
    if not shutil_which(prog):
        raise fl.FlowError("%s is missing (scripts/install-deps.sh installs it)" % prog)


def free_port(host="127.0.0.1"):
    """A port free for UDP and TCP on host (127.0.0.1 or ::1)."""
    if host == "127.0.0.1":
        return fl.free_port()
    while True:
        u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        u.bind((host, 0))
        port = u.getsockname()[1]
        t = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        try:
            t.bind((host, port))
            return port
        except OSError:
            continue
        finally:
            t.close()
            u.close()


def free_media_port(host="127.0.0.1"):
    """An even UDP port p with p+1..p+3 free too: SIPp binds -mp and -mp+2 (audio and
    video echo), RTCP would sit on the odd ones."""
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    while True:
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.bind((host, 0))
        p = s.getsockname()[1] & ~1
        s.close()
        if p + 3 > 65535:
            continue
        socks = []
        try:
            for q in range(p, p + 4):
                x = socket.socket(fam, socket.SOCK_DGRAM)
                socks.append(x)
                x.bind((host, q))
            return p
        except OSError:
            continue
        finally:
            for x in socks:
                x.close()


def _bound(port, proto, v6):
    """Is something bound to the local port (a UDP socket, or a listening TCP one)?"""
    path = "/proc/net/%s%s" % (proto, "6" if v6 else "")
    want = ":%04X" % port
    with open(path) as f:
        next(f)
        for ln in f:
            cols = ln.split()
            if cols[1].endswith(want) and (proto == "udp" or cols[3] == "0A"):
                return True
    return False


def hostport(host, port):
    return "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)


# SIPp's message file: each message follows a line of dashes and a time stamp,
# then "UDP message received [514] bytes :" or "TCP message sent (313 bytes):".
_SEP = re.compile(r"^-{20,} \d{4}-\d\d-\d\d [\d:.]+$")
_HEAD = re.compile(r"^(\w+) message (received|sent) (?:\[\d+\] bytes|\(\d+ bytes\)) ?:$")


def parse_messages(text):
    """[(direction "<" or ">", first line, full text)] of a SIPp message file."""
    out = []
    blocks, cur = [], None
    for ln in text.splitlines():
        if _SEP.match(ln):
            if cur is not None:
                blocks.append(cur)
            cur = []
        elif cur is not None:
            cur.append(ln)
    if cur is not None:
        blocks.append(cur)
    for b in blocks:
        if not b:
            continue
        m = _HEAD.match(b[0])
        if not m:
            continue
        body = b[1:]
        while body and not body[0].strip():
            body.pop(0)
        while body and not body[-1].strip():
            body.pop()
        if not body:
            continue
        out.append(("<" if m.group(2) == "received" else ">", body[0], "\n".join(body)))
    return out


def ladder_of(messages):
    """The SIP ladder of messages in flowlib.sip_ladder's notation: requests as
    "> INVITE", responses as "< 200/INVITE" (the method from CSeq)."""
    lad = []
    for d, first, text in messages:
        m = re.match(r"SIP/2\.0 (\d{3})", first)
        if m:
            cs = re.search(r"^(?:CSeq|cseq):\s*\d+\s+(\w+)", text, re.M | re.I)
            lad.append("%s %s/%s" % (d, m.group(1), cs.group(1) if cs else "?"))
        else:
            lad.append("%s %s" % (d, first.split(" ", 1)[0]))
    return lad


def header(text, name):
    """The value of the first header name (case-insensitive) in a message's text, or None."""
    m = re.search(r"^%s\s*:\s*(.*)$" % re.escape(name), text, re.M | re.I)
    return m.group(1).strip() if m else None


_tls_ok = None


def sipp_has_tls():
    """Debian's sip-tester 3.6.1 is built without OpenSSL: no -t l1."""
    global _tls_ok
    if _tls_ok is None:
        h = subprocess.run([SIPP, "-h"], capture_output=True, text=True)
        _tls_ok = "-tls_cert" in h.stdout + h.stderr
    return _tls_ok


class SipTrace:
    """What a peer that logs its SIP messages offers, from its messages():
    [(direction "<"/">", first line, full text)]."""

    def ladder(self):
        """["> INVITE", "< 100/INVITE", "< 200/INVITE", "> ACK", ...] as flowlib.sip_ladder."""
        return ladder_of(self.messages())

    def find(self, direction, first_line_rx, cseq=None):
        """The full texts of the messages in direction whose first line matches
        (and, for responses, whose CSeq method is cseq)."""
        rx = re.compile(first_line_rx)
        return [t for d, f, t in self.messages() if d == direction and rx.search(f) and
                (cseq is None or (header(t, "CSeq") or "").endswith(" " + cseq))]

    def wait_message(self, direction, first_line_rx, timeout=10.0, cseq=None, n=1):
        """Wait until the peer has sent (">") or got ("<") n messages whose first line matches."""
        deadline = time.monotonic() + timeout
        while True:
            got = self.find(direction, first_line_rx, cseq)
            if len(got) >= n:
                return got[n - 1]
            if self.p.poll() is not None or time.monotonic() > deadline:
                raise fl.FlowError("%s: no %s /%s/ (ladder %s)" % (self.name, direction, first_line_rx,
                                                                    self.ladder()))
            time.sleep(0.02)


class Sipp(SipTrace, fl.Proc):
    """SIPp running scenario_xml_text, as a UAS (remote None) or a UAC calling remote
    ("127.0.0.1:PORT"); a flowlib Proc of tb's, so Testbed.close() stops it by pid and
    a failing flow's dump shows its message log. rtp_echo: SIPp sends back every RTP
    packet it gets on .media_port to its sender (so a far end hears itself)."""

    def __init__(self, tb, name, scenario_xml_text, *, port=None, transport="u1", remote=None,
                 extra=(), calls=1, rtp_echo=True, host="127.0.0.1", tls=None, timeout=20):
        need(SIPP)
        if transport.startswith("l") and not sipp_has_tls():
            raise fl.FlowSkip("this SIPp (%s) is built without TLS (-t %s)" % (SIPP, transport))
        self.host = host
        self.transport = transport
        self.port = port or free_port(host)
        self.media_port = free_media_port(host)
        self.scenario = os.path.join(tb.dir, name + ".xml")
        self.message_file = os.path.join(tb.dir, name + "_messages.log")
        self.error_file = os.path.join(tb.dir, name + "_errors.log")
        with open(self.scenario, "w") as f:
            f.write(scenario_xml_text)
        argv = [SIPP, "-sf", self.scenario, "-t", transport,
                "-i", host, "-p", str(self.port), "-bind_local",
                "-mi", host, "-mp", str(self.media_port),
                # the control socket defaults to 8888: two SIPps at once would fight for it
                "-ci", "127.0.0.1", "-cp", str(fl.free_port()),    # IPv4 only in SIPp
                "-m", str(calls), "-nostdin",
                "-timeout", "%ds" % timeout, "-timeout_error",
                "-trace_msg", "-message_file", self.message_file,
                "-trace_err", "-error_file", self.error_file]
        if rtp_echo:
            argv.append("-rtp_echo")
        if tls:
            argv += ["-tls_cert", tls["client_cert" if remote else "server_cert"],
                     "-tls_key", tls["client_key" if remote else "server_key"]]
        argv += list(extra)
        if remote:
            argv.append(remote)
        super().__init__(name, argv, tb.dir)
        tb.procs.append(self)
        if not remote:
            self.wait_ready()

    def wait_ready(self, timeout=5.0):
        """Until SIPp has bound its SIP port (a UAS must be there before it is called)."""
        proto = "tcp" if self.transport[0] in "tl" else "udp"
        deadline = time.monotonic() + timeout
        while not _bound(self.port, proto, ":" in self.host):
            if self.p.poll() is not None:
                raise fl.FlowError("%s exited (rc=%s) before binding %d: %s" % (
                    self.name, self.p.returncode, self.port, " | ".join(self.errlines()[-5:])))
            if time.monotonic() > deadline:
                raise fl.FlowError("%s did not bind port %d within %.1fs" % (self.name, self.port, timeout))
            time.sleep(0.02)

    def _read(self, path):
        try:
            with open(path, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def lines(self):
        """The message log (what a failing flow's dump shows), then SIPp's stdout."""
        return self._read(self.message_file).splitlines() + super().lines()

    def errlines(self):
        return super().errlines() + self._read(self.error_file).splitlines()

    def messages(self):
        """[(direction "<"/">", first line, full text)] of every message SIPp sent or got."""
        return parse_messages(self._read(self.message_file))


    def check_passed(self, timeout=15.0):
        """wait_exit() and raise unless the scenario passed (rc 0)."""
        rc = self.wait_exit(timeout)
        if rc != 0:
            raise fl.FlowError("%s: scenario failed rc=%d: %s" % (self.name, rc, " | ".join(self.errlines()[-8:])))
        return rc


# Scenarios. SDP: one PCMU stream at SIPp's media port (the echo port).
SDP = """v=0
o=sipp 1 1 IN IP[media_ip_type] [media_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0
a=rtpmap:0 PCMU/8000
"""


def uas_scenario(bye_after_ms=None, ring_ms=200):
    """A UAS: INVITE -> 100, 180, (ring_ms) 200 with SDP, the INVITE's Record-Route copied
    into 180 and 200 (RFC 3261 12.1.1); ACK; then the far end's BYE -> 200, or
    (bye_after_ms) our BYE along the route set -> its 200. SIPp sends everything to
    where the INVITE came from, a proxy in front included."""
    end = ("""  <recv request="BYE"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
""" if bye_after_ms is None else """  <pause milliseconds="%d"/>
  <send retrans="500"><![CDATA[
BYE [next_url] SIP/2.0
[routes]
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: [$to]
To: [$from]
[last_Call-ID:]
CSeq: 1 BYE
Max-Forwards: 70
Contact: <sip:sipp@[local_ip]:[local_port];transport=[transport]>
Content-Length: 0

]]></send>
  <recv response="200" crlf="true"/>
""" % bye_after_ms)
    def keep(hdr, var):
        # SIPp refuses a variable set and never used: only when we send the BYE
        if bye_after_ms is None:
            return ""
        return ('\n    <action><ereg regexp="[^ ].*" search_in="hdr" header="%s:" assign_to="%s"/></action>\n  '
                % (hdr, var))
    return """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="sipgw peers uas">
  <recv request="INVITE" crlf="true" rrs="true">%s</recv>
  <send><![CDATA[
SIP/2.0 100 Trying
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
  <send><![CDATA[
SIP/2.0 180 Ringing
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
[last_Record-Route:]
Contact: <sip:sipp@[local_ip]:[local_port];transport=[transport]>
Content-Length: 0

]]></send>
  <pause milliseconds="%d"/>
  <send retrans="500"><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
[last_Record-Route:]
Contact: <sip:sipp@[local_ip]:[local_port];transport=[transport]>
Content-Type: application/sdp
Content-Length: [len]

%s
]]></send>
  <recv request="ACK" crlf="true">%s</recv>
%s</scenario>
""" % (keep("From", "from"), ring_ms, SDP, keep("To", "to"), end)


def uac_scenario(user, *, calling="2001", bye_after_ms=1500):
    """A UAC: INVITE sip:user@remote with SDP; 100/180/183 optional, 200; ACK; after
    bye_after_ms our BYE -> 200 (None: the far end's BYE -> our 200)."""
    end = ("""  <recv request="BYE"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
""" if bye_after_ms is None else """  <pause milliseconds="%d"/>
  <send retrans="500"><![CDATA[
BYE [next_url] SIP/2.0
[routes]
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:%s@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: [$to]
[last_Call-ID:]
CSeq: 2 BYE
Max-Forwards: 70
Contact: <sip:%s@[local_ip]:[local_port];transport=[transport]>
Content-Length: 0

]]></send>
  <recv response="200" crlf="true"/>
""" % (bye_after_ms, calling, calling))
    return """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="sipgw peers uac">
  <send retrans="500"><![CDATA[
INVITE sip:%(user)s@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:%(calling)s@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:%(user)s@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:%(calling)s@[local_ip]:[local_port];transport=[transport]>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

%(sdp)s
]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rrs="true">
    <action>
      <ereg regexp="[^ ].*" search_in="hdr" header="To:" assign_to="to"/>
    </action>
  </recv>
  <send><![CDATA[
ACK [next_url] SIP/2.0
[routes]
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:%(calling)s@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: [$to]
[last_Call-ID:]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
%(end)s</scenario>
""" % {"user": user, "calling": calling, "sdp": SDP, "end": end}


def tls_material(tb):
    """A CA, a server certificate for 127.0.0.1 / ::1 / localhost (subjectAltName) and a
    client certificate, both signed by it, made with the openssl CLI in tb's workdir
    (once per Testbed). Returns the paths: ca, ca_key, server_cert, server_key,
    client_cert, client_key, server_pem / client_pem (key and certificate in one file,
    as baresip and Kamailio take them) and sofia_dir (agent.pem + cafile.pem, the
    directory Sofia-SIP's TPTAG_CERTIFICATE names)."""
    d = os.path.join(tb.dir, "tls")
    paths = {k: os.path.join(d, v) for k, v in (
        ("ca", "ca.crt"), ("ca_key", "ca.key"), ("server_cert", "server.crt"), ("server_key", "server.key"),
        ("client_cert", "client.crt"), ("client_key", "client.key"), ("server_pem", "server.pem"),
        ("client_pem", "client.pem"))}
    paths["sofia_dir"] = os.path.join(d, "sofia")
    paths["dir"] = d
    if os.path.exists(paths["client_pem"]):
        return paths
    os.makedirs(paths["sofia_dir"], exist_ok=True)

    def ossl(*args):
        r = subprocess.run(["openssl"] + list(args), cwd=d, capture_output=True, text=True)
        if r.returncode != 0:
            raise fl.FlowError("openssl %s: %s" % (" ".join(args), r.stderr.strip()))

    key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    ossl("req", "-x509", *key, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
         "-subj", "/CN=sipgw flow test CA",
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    for who, cn, ext in (("server", "127.0.0.1",
                          "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\n"
                          "extendedKeyUsage=serverAuth,clientAuth\n"),
                         ("client", "sipgw flow test client",
                          "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\n"
                          "extendedKeyUsage=clientAuth\n")):
        with open(os.path.join(d, who + ".ext"), "w") as f:
            f.write("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n" + ext)
        ossl("req", *key, "-keyout", who + ".key", "-out", who + ".csr", "-subj", "/CN=" + cn)
        ossl("x509", "-req", "-in", who + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
             "-out", who + ".crt", "-days", "2", "-extfile", who + ".ext")
    for who in ("server", "client"):
        with open(paths[who + "_pem"] + ".tmp", "w") as out:
            for part in (who + ".key", who + ".crt"):
                with open(os.path.join(d, part)) as f:
                    out.write(f.read())
    os.rename(paths["server_pem"] + ".tmp", paths["server_pem"])
    with open(os.path.join(paths["sofia_dir"], "agent.pem"), "w") as out, open(paths["server_pem"]) as f:
        out.write(f.read())
    with open(os.path.join(paths["sofia_dir"], "cafile.pem"), "w") as out, open(paths["ca"]) as f:
        out.write(f.read())
    # client.pem last: its presence says the set is complete
    os.rename(paths["client_pem"] + ".tmp", paths["client_pem"])
    return paths


# ---------------------------------------------------------------- audio files

def wav_blocks(path, hz, block_ms=20):
    """Per block of block_ms of a 16-bit PCM .wav (channel 1): True where it is a tone
    at hz (a Goertzel filter holds most of the block's energy, above -40 dBFS)."""
    import math
    import struct
    import wave
    with wave.open(path, "rb") as w:
        rate, ch, sw = w.getframerate(), w.getnchannels(), w.getsampwidth()
        if sw != 2:
            raise fl.FlowError("%s: %d-byte samples, not 16-bit" % (path, sw))
        raw = w.readframes(w.getnframes())
    x = struct.unpack("<%dh" % (len(raw) // 2), raw)[::ch]
    n = rate * block_ms // 1000
    coef = 2 * math.cos(2 * math.pi * hz / rate)
    out = []
    for i in range(0, len(x) - n + 1, n):
        blk = x[i:i + n]
        s1 = s2 = 0.0
        for v in blk:
            s1, s2 = v + coef * s1 - s2, s1
        power = s1 * s1 + s2 * s2 - coef * s1 * s2
        energy = sum(v * v for v in blk)
        # a full-scale sine has energy n*A^2/2 and Goertzel power (n*A/2)^2: ratio 1
        out.append(energy > n * (32768 * 0.01) ** 2 / 2 and power / (energy * n / 2) > 0.5)
    return out


def tone_runs(blocks):
    """[(first block, length)] of the runs of True in blocks."""
    runs, start = [], None
    for i, b in enumerate(blocks + [False]):
        if b and start is None:
            start = i
        elif not b and start is not None:
            runs.append((start, i - start))
            start = None
    return runs


# ---------------------------------------------------------------- baresip

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
    More: uri_params inside the AOR (";transport=tcp"), account_extra after it
    (";mediaenc=srtp-mand"), config_extra lines ("module srtp.so\n", "sip_cafile ...\n")."""

    def __init__(self, tb, name, user, *, registrar=None, password=None, tone_hz=1000, source=None,
                 codecs=("PCMU",), account_extra="", config_extra="", regint=60, uri_params=""):
        import json
        import threading
        need("baresip")
        self._json = json
        self.dir = os.path.join(tb.dir, name)
        os.makedirs(self.dir, exist_ok=True)
        self.user = user
        self.port = free_port()
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
                    obj = self._json.loads(msg)
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
        self._sock.sendall(_netstring(self._json.dumps({"command": cmd, "params": params,
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
        import glob
        return sorted(glob.glob(os.path.join(self.dir, "dump-*-%s.wav" % kind)), key=os.path.getmtime)

    def messages(self):
        """[(direction, first line, full text)] from baresip's SIP trace (-s) on stdout:
        each message follows an (ANSI-coloured) "#" line and "UDP SRC -> DST"."""
        out, cur, d = [], None, None
        me = "127.0.0.1:%d" % self.port
        for ln in self.lines():
            ln = _ANSI.sub("", ln)
            if ln == "#":
                if cur:
                    out.append(cur)
                cur, d = None, "?"
                continue
            if d == "?":
                m = re.match(r"^(\w+) (\S+) -> (\S+)$", ln)
                d = (">" if m.group(2) == me else "<") if m else None
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


# ---------------------------------------------------------------- RTP on the wire

def _ulaw_table():
    out = []
    for b in range(256):
        u = ~b & 0xff
        t = (((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4)
        out.append((0x84 - t) if u & 0x80 else (t - 0x84))
    return out


ULAW = _ulaw_table()


class RtpCapture(fl.Proc):
    """dumpcap on lo for the UDP packets to one port (a peer's RTP port), started before
    the call; after stop(), .packets() are (CLOCK_MONOTONIC ms, RTP payload type, payload)
    and .tone_ms(hz) the times of the 20 ms G.711 u-law frames that carry a tone at hz,
    so what crossed the wire to a peer compares with the simulators' and peers' times.
    Needs the capture right (root or dumpcap's capabilities): FlowSkip without it."""

    def __init__(self, tb, name, port):
        need("dumpcap")
        need("tshark")
        self.pcap = os.path.join(tb.dir, name + ".pcapng")
        self.port = port
        super().__init__(name, ["dumpcap", "-i", "lo", "-f", "udp dst port %d" % port, "-w", self.pcap],
                         tb.dir)
        tb.procs.append(self)
        # dumpcap says "Capturing on 'Loopback: lo'" once the filter is on the socket
        try:
            self.wait_line(r"Capturing on", stream="err", timeout=10)
        except fl.FlowError:
            err = " ".join(self.errlines())
            if "ermission" in err or "not permitted" in err:
                raise fl.FlowSkip("no right to capture on lo: " + err)
            raise
        # pcap times are wall-clock; the simulators print CLOCK_MONOTONIC ms
        self.wall_to_mono = time.monotonic() - time.time()

    def packets(self):
        self.stop()
        r = subprocess.run(["tshark", "-n", "-r", self.pcap, "-d", "udp.port==%d,rtp" % self.port,
                            "-T", "fields", "-e", "frame.time_epoch", "-e", "rtp.p_type", "-e", "rtp.payload"],
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise fl.FlowError("tshark -r %s: %s" % (self.pcap, r.stderr.strip()))
        out = []
        for ln in r.stdout.splitlines():
            cols = ln.split("\t")
            if len(cols) < 3 or not cols[1]:
                continue
            out.append((int((float(cols[0]) + self.wall_to_mono) * 1000), int(cols[1]),
                        bytes.fromhex(cols[2].replace(":", ""))))
        return out

    def tone_ms(self, hz):
        """[(ms, True|False)] per PCMU packet: does its 20 ms hold a tone at hz?"""
        import math
        coef = 2 * math.cos(2 * math.pi * hz / 8000)
        out = []
        for ms, pt, pl in self.packets():
            if pt != 0 or not pl:
                continue
            x = [ULAW[b] for b in pl]
            s1 = s2 = 0.0
            for v in x:
                s1, s2 = v + coef * s1 - s2, s1
            power = s1 * s1 + s2 * s2 - coef * s1 * s2
            energy = sum(v * v for v in x) or 1
            n = len(x)
            out.append((ms, energy > n * (32768 * 0.01) ** 2 / 2 and power / (energy * n / 2) > 0.5))
        return out


def shutil_which(prog):
    import shutil
    return shutil.which(prog)


# ---------------------------------------------------------------- Kamailio

def kamailio_proxy_cfg(gateway_port, phone=None):
    """A minimal stateful proxy (Kamailio 5.6): INVITEs Record-Routed, in-dialog requests
    loose-routed, everything relayed by tm. A request from the gateway (source port
    gateway_port) goes to phone ("127.0.0.1:PORT"), any other to the gateway. Each
    request and reply it handles is logged "KAM > METHOD R-URI from IP:PORT" /
    "KAM < STATUS METHOD from IP:PORT", so a test can tell what passed through it."""
    to_phone = ('$du = "sip:%s";' % phone) if phone else 'sl_send_reply("404", "No phone"); exit;'
    return """#!KAMAILIO
# written by tests/flows/peers.py: a stateful proxy in front of sipgw
debug=2
log_stderror=yes
children=1
disable_tcp=yes
auto_aliases=no
server_header="Server: kamailio-flow"
user_agent_header="User-Agent: kamailio-flow"

loadmodule "tm.so"
loadmodule "tmx.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "xlog.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "sanity.so"

modparam("rr", "enable_full_lr", 0)
modparam("rr", "append_fromtag", 0)
modparam("tm", "fr_inv_timer", 30000)

request_route {
	xlog("L_NOTICE", "KAM > $rm $ru from $si:$sp\\n");
	if (!mf_process_maxfwd_header("10")) {
		sl_send_reply("483", "Too Many Hops");
		exit;
	}
	if (!sanity_check("17895", "7")) {
		exit;
	}
	# keepalive to the proxy itself (the runner's readiness probe)
	if (is_method("OPTIONS") && uri == myself && $rU == $null) {
		sl_send_reply("200", "Keepalive");
		exit;
	}
	# RFC 3261 16.4: in-dialog requests follow the Route set we Record-Routed
	if (has_totag()) {
		if (loose_route()) {
			t_on_reply("REPLY");
			t_relay();
			exit;
		}
		if (is_method("ACK")) {
			if (t_check_trans()) {
				t_relay();
			}
			exit;
		}
		sl_send_reply("404", "Not here");
		exit;
	}
	if (is_method("CANCEL")) {
		if (t_check_trans()) {
			t_relay();
		}
		exit;
	}
	if (!is_method("ACK")) {
		if (t_precheck_trans()) {
			t_check_trans();
			exit;
		}
		t_check_trans();
	}
	if (is_method("INVITE")) {
		record_route();
	}
	if ($sp == %(gw)d) {
		%(to_phone)s
	} else {
		$du = "sip:127.0.0.1:%(gw)d";
	}
	t_on_reply("REPLY");
	if (!t_relay()) {
		sl_reply_error();
	}
	exit;
}

onreply_route[REPLY] {
	xlog("L_NOTICE", "KAM < $rs $rm from $si:$sp\\n");
}
""" % {"gw": gateway_port, "to_phone": to_phone}


class Kamailio(fl.Proc):
    """Kamailio in the foreground (-DD -E) with cfg_text written to tb's workdir as its -f,
    listening on udp:127.0.0.1:port, one worker (-n 1), small memory; ready once it answers
    an OPTIONS (bench/proxy_bench.py's probe). .log(rx) are its stderr lines matching rx
    (see kamailio_proxy_cfg's "KAM" lines)."""

    def __init__(self, tb, cfg_text, port=None, name="kamailio"):
        need("kamailio")
        self.port = port or free_port()
        self.dir = os.path.join(tb.dir, name)
        os.makedirs(self.dir, exist_ok=True)
        self.cfg = os.path.join(self.dir, "kamailio.cfg")
        with open(self.cfg, "w") as f:
            f.write(cfg_text)
        super().__init__(name, ["kamailio", "-f", self.cfg, "-DD", "-E", "-l", "udp:127.0.0.1:%d" % self.port,
                                "-n", "1", "-m", "64", "-M", "8", "-Y", self.dir, "-w", self.dir], tb.dir)
        tb.procs.append(self)
        if not _sip_answers(self.port, 10):
            raise fl.FlowError("kamailio did not answer on %d: %s" % (self.port, " | ".join(self.errlines()[-8:])))

    def log(self, rx):
        r = re.compile(rx)
        return [ln for ln in self.errlines() if r.search(ln)]

    def passed(self):
        """The "KAM ..." lines: ["> INVITE sip:... from 127.0.0.1:PORT", "< 200 INVITE from ...", ...]."""
        out = []
        for ln in self.errlines():
            m = re.search(r"KAM ([<>] .*)$", ln)
            if m and "OPTIONS sip:127.0.0.1:%d " % self.port not in m.group(1):
                out.append(m.group(1))
        return out


def _sip_answers(port, timeout):
    import sys
    bench = os.path.join(fl.SRCDIR, "bench")
    if bench not in sys.path:
        sys.path.insert(0, bench)
    from proxy_bench import sip_answers
    return sip_answers(port, timeout)
