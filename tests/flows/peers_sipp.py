# SIPp as a flow test's peer: the runner, its message log, stock UAS/UAC scenarios.
# SPDX-License-Identifier: GPL-2.0-only
import os
import re
import subprocess
import time

import flowlib as fl
from peers_common import SipTrace, bound, free_media_port, free_port, need
from peers_tls import tls_material

SIPP = "sipp"
# Debian's sip-tester is built without OpenSSL: a SIPp with TLS named by
# $SIPP_TLS (default sipp-tls) runs the TLS transports (l1, ln) when one is
# on the machine; the project's flows put tests/flows/tlsrelay.py in front of
# the packaged SIPp instead, so none of them needs it.
SIPP_TLS = os.environ.get("SIPP_TLS", "sipp-tls")


# SIPp's message file: each message follows a line of dashes and a time stamp,
# then "UDP message received [514] bytes :" or "TCP message sent (313 bytes):".
_SEP = re.compile(r"^-{20,} \d{4}-\d\d-\d\d[ T][\d:.]+Z?$")
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

_tls_ok = {}


def sipp_has_tls(prog=SIPP):
    """Was prog built with OpenSSL (has -tls_cert)?"""
    if prog not in _tls_ok:
        try:
            h = subprocess.run([prog, "-h"], capture_output=True, text=True)
            _tls_ok[prog] = "-tls_cert" in h.stdout + h.stderr
        except OSError:
            _tls_ok[prog] = False
    return _tls_ok[prog]


def sipp_for(transport):
    """The SIPp to run for transport: the packaged one, or for TLS one built with it."""
    if not transport.startswith("l"):
        return SIPP
    for prog in (SIPP_TLS, SIPP):
        if sipp_has_tls(prog):
            return prog
    raise fl.FlowSkip("no SIPp with TLS (-t %s): Debian's is built without it" % transport)

def ctl_port():
    """A free UDP port for SIPp's control socket, below the kernel's ephemeral range
    and sipgw's RTP ports (30000..39999 in the flows): a port fl.free_port() picks
    there can be taken by another flow's RTP before SIPp binds it."""
    import random
    import socket
    while True:
        p = random.randint(20000, 29999)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.bind(("127.0.0.1", p))
            return p
        except OSError:
            continue
        finally:
            s.close()


class Sipp(SipTrace, fl.Proc):
    """SIPp running scenario_xml_text, as a UAS (remote None) or a UAC calling remote
    ("127.0.0.1:PORT"); a flowlib Proc of tb's, so Testbed.close() stops it by pid and
    a failing flow's dump shows its message log. rtp_echo: SIPp sends back every RTP
    packet it gets on .media_port to its sender (so a far end hears itself).
    transport: u1, t1, l1 (TLS: sipp-tls, see SIPP_TLS) ...; tls: tls_material()'s paths
    (made in tb's workdir when None), the server pair for a UAS, the client pair for a
    UAC; a CA check (-tls_ca) goes in extra. host: "127.0.0.1" or "::1"."""

    def __init__(self, tb, name, scenario_xml_text, *, port=None, transport="u1", remote=None,
                 extra=(), calls=1, rtp_echo=True, host="127.0.0.1", tls=None, timeout=20):
        need(SIPP)
        prog = sipp_for(transport)
        if transport.startswith("l") and tls is None:
            tls = tls_material(tb)
        self.host = host
        self.transport = transport
        self.port = port or free_port(host)
        self.media_port = free_media_port(host)
        self.scenario = os.path.join(tb.dir, name + ".xml")
        self.message_file = os.path.join(tb.dir, name + "_messages.log")
        self.error_file = os.path.join(tb.dir, name + "_errors.log")
        with open(self.scenario, "w") as f:
            f.write(scenario_xml_text)
        argv = [prog, "-sf", self.scenario, "-t", transport,
                "-i", host, "-p", str(self.port), "-bind_local",
                "-mi", host, "-mp", str(self.media_port),
                # the control socket defaults to 8888: two SIPps at once would fight for it
                "-ci", "127.0.0.1", "-cp", str(ctl_port()),    # IPv4 only in SIPp
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
        while not bound(self.port, proto, ":" in self.host):
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


def uac_scenario(user, *, calling="2001", bye_after_ms=1500, bye_timeout_ms=None):
    """A UAC: INVITE sip:user@remote with SDP; 100/180/183 optional, 200; ACK; after
    bye_after_ms our BYE -> 200 (None: the far end's BYE -> our 200); with bye_timeout_ms,
    a BYE that gets no 200 that soon fails the call (its far end is gone)."""
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
  <recv response="200" %s/>
""" % (bye_after_ms, calling, calling,
       'timeout="%d"' % bye_timeout_ms if bye_timeout_ms else 'crlf="true"'))
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
