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


class Sipp(fl.Proc):
    """SIPp running scenario_xml_text, as a UAS (remote None) or a UAC calling remote
    ("127.0.0.1:PORT"); a flowlib Proc of tb's, so Testbed.close() stops it by pid and
    a failing flow's dump shows its message log. rtp_echo: SIPp sends back every RTP
    packet it gets on .media_port to its sender (so a far end hears itself)."""

    def __init__(self, tb, name, scenario_xml_text, *, port=None, transport="u1", remote=None,
                 extra=(), calls=1, rtp_echo=True, host="127.0.0.1", tls=None, timeout=20):
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

    def ladder(self):
        """["> INVITE", "< 100/INVITE", "< 200/INVITE", "> ACK", ...] as flowlib.sip_ladder."""
        return ladder_of(self.messages())

    def find(self, direction, first_line_rx):
        """The full texts of the messages in direction whose first line matches."""
        rx = re.compile(first_line_rx)
        return [t for d, f, t in self.messages() if d == direction and rx.search(f)]

    def wait_message(self, direction, first_line_rx, timeout=10.0):
        """Wait until SIPp has sent (">") or got ("<") a message whose first line matches."""
        deadline = time.monotonic() + timeout
        while True:
            got = self.find(direction, first_line_rx)
            if got:
                return got[0]
            if self.p.poll() is not None or time.monotonic() > deadline:
                raise fl.FlowError("%s: no %s /%s/ (ladder %s)" % (self.name, direction, first_line_rx,
                                                                    self.ladder()))
            time.sleep(0.02)

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
    """A UAS: INVITE -> 100, 180, (ring_ms) 200 with SDP; ACK; then the far end's BYE
    -> 200, or (bye_after_ms) our BYE -> its 200."""
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
