# sipgw call-flow tests for SRTP with SDES keys (RFC 3711, RFC 4568; issue
# 12): baresip (module srtp, mediaenc=srtp-mand) over TLS both ways through
# the gateway to the PBX simulator. Each asserts the SIP ladder, RTP/SAVP
# and a=crypto in offer and answer, the Q.931 ladder, the audio both ways
# (the PBX detects baresip's ausine tone; a Goertzel on baresip's recording
# of what it decoded finds the PBX's tone) and, from a capture on the
# loopback, that the RTP on the wire is not G.711 of either tone.
# The baresip runner is here: branch peers had no Baresip yet.
# SPDX-License-Identifier: GPL-2.0-only
import json
import math
import os
import re
import struct
import subprocess
import wave

import flowlib as fl
from flowlib import FlowError, expect_ladder, flow, pots_peer, q931_ladder, tone_events, voip_peer

import peers

BARESIP = "baresip"
BARESIP_MODULES = "/usr/lib/baresip/modules"
PBX_HZ, PHONE_HZ = 2000, 1000


# ---- baresip


class Baresip(fl.Proc):
    """baresip 1.0 in a private config dir (-f): one account, ausine as its microphone,
    what it decodes dumped to WAV by the sndfile module, commands over ctrl_tcp, its SIP
    messages traced (-s) on stdout. listen: its SIP port (TLS on listen + 1, as libre does)."""

    def __init__(self, tb, name, account, *, tone_hz=PHONE_HZ, cert=None, ca=None):
        self.dir = os.path.join(tb.dir, name)
        os.makedirs(self.dir, exist_ok=True)
        self.listen = peers.free_port()
        while not _free_tcp(self.listen + 1):
            self.listen = peers.free_port()
        self.ctrl = fl.free_port()
        self.snd = os.path.join(self.dir, "snd")
        os.makedirs(self.snd, exist_ok=True)
        conf = ["poll_method epoll", "sip_listen 127.0.0.1:%d" % self.listen, "net_interface 127.0.0.1",
                "audio_player alsa,null", "audio_source ausine,%d" % tone_hz,
                "audio_alert none", "ausrc_srate 48000", "auplay_srate 48000", "ausrc_channels 2", "auplay_channels 2", "rtp_timeout 0",
                "module_path %s" % BARESIP_MODULES, "module g711.so", "module ausine.so",
                "module alsa.so", "module sndfile.so", "module srtp.so", "snd_path %s" % self.snd,
                "module_app account.so", "module_app menu.so", "module_app ctrl_tcp.so",
                "ctrl_tcp_listen 127.0.0.1:%d" % self.ctrl]
        if cert:
            conf.append("sip_certificate %s" % cert)
        if ca:
            conf.append("sip_cafile %s" % ca)
        with open(os.path.join(self.dir, "config"), "w") as f:
            f.write("\n".join(conf) + "\n")
        with open(os.path.join(self.dir, "accounts"), "w") as f:
            f.write(account + "\n")
        super().__init__(name, [BARESIP, "-f", self.dir, "-v", "-s"], tb.dir)
        tb.procs.append(self)
        self.wait_line(r"baresip is ready", timeout=10)

    def command(self, cmd, params=""):
        """One ctrl_tcp command (a netstring of JSON); its response's data."""
        import socket
        msg = json.dumps({"command": cmd, "params": params, "token": "t"}).encode()
        s = socket.create_connection(("127.0.0.1", self.ctrl), timeout=5)
        try:
            s.sendall(b"%d:%s," % (len(msg), msg))
            buf = b""
            while True:
                m = re.match(rb"(\d+):", buf)
                if m and len(buf) >= m.end() + int(m.group(1)) + 1:
                    obj = json.loads(buf[m.end():m.end() + int(m.group(1))])
                    if obj.get("response"):
                        return obj
                    buf = buf[m.end() + int(m.group(1)) + 1:]
                    continue
                chunk = s.recv(4096)
                if not chunk:
                    raise FlowError("%s: ctrl_tcp closed before answering %s" % (self.name, cmd))
                buf += chunk
        finally:
            s.close()

    def messages(self, gw_ports=(), mine=()):
        """[(direction, first line, text)] of the SIP trace (-s): libre prints each message
        after a line 'TLS a.b.c.d:p -> e.f.g.h:q', sent or received alike, so the direction
        is told by the ports: sipgw's listeners (gw_ports) when baresip connected to them,
        baresip's own (mine) when sipgw connected to it."""
        out, cur = [], None
        rx = re.compile(r"^(?:\x1b\[[0-9;]*m)?\s*(TLS|UDP|TCP) \S+:(\d+) -> \S+:(\d+)\s*$")
        for ln in self.lines():
            m = rx.match(ln)
            if m:
                if cur:
                    out.append(cur)
                src, dst = int(m.group(2)), int(m.group(3))
                cur = ["<" if src in gw_ports or dst in mine else ">" if dst in gw_ports or src in mine else "?",
                       None, []]
                continue
            if cur is None:
                continue
            if "\x1b[;m" in ln or (cur[1] is not None and not ln.strip() and cur[2] and not cur[2][-1].strip()
                                    and "Content-Length: 0" in "\n".join(cur[2])):
                out.append(cur)
                cur = None
                continue
            if cur[1] is None:
                if ln.strip():
                    cur[1] = ln.strip()
                    cur[2].append(ln)
            else:
                cur[2].append(ln)
        if cur and cur[1]:
            out.append(cur)
        return [(d, f, "\n".join(t)) for d, f, t in out if f and (f.startswith("SIP/2.0") or " SIP/2.0" in f)]

    def ladder(self, gw_ports=(), mine=()):
        return peers.ladder_of(self.messages(gw_ports, mine))

    def find(self, direction, first_rx, gw_ports=(), mine=()):
        return [t for d, f, t in self.messages(gw_ports, mine) if d == direction and re.search(first_rx, f)]

    def recording(self):
        """The WAV sndfile wrote of what baresip decoded (the far end's audio)."""
        got = [f for f in os.listdir(self.snd) if f.endswith(".wav") and "dec" in f]
        if not got:
            raise FlowError("%s: no decoded-audio dump in %s (%s)" % (self.name, self.snd, os.listdir(self.snd)))
        return os.path.join(self.snd, sorted(got)[0])


def _free_tcp(port):
    import socket
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


# ---- audio checks


def goertzel_ratio(samples, rate, hz):
    """The share of the signal's energy at hz (Goertzel over the whole block), 0..1."""
    if not samples:
        return 0.0
    k = 2 * math.cos(2 * math.pi * hz / rate)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = x + k * s1 - s2, s1
    power = s1 * s1 + s2 * s2 - k * s1 * s2
    energy = sum(x * x for x in samples)
    return 2 * power / (len(samples) * energy) if energy else 0.0


def tone_in_blocks(samples, rate, hz, block=800):
    """How many 100 ms blocks (at 8 kHz) hold mostly hz."""
    return sum(1 for i in range(0, len(samples) - block, block)
               if goertzel_ratio(samples[i:i + block], rate, hz) > 0.5)


def wav_samples(path):
    with wave.open(path) as w:
        if w.getsampwidth() != 2:
            raise FlowError("%s: %d-byte samples" % (path, w.getsampwidth()))
        n = w.getnframes()
        data = w.readframes(n)
        ch = w.getnchannels()
        return list(struct.unpack("<%dh" % (n * ch), data))[::ch], w.getframerate()


def ulaw_to_lin(b):
    b = ~b & 0xff
    t = ((b & 0x0f) << 3) + 0x84
    t <<= (b & 0x70) >> 4
    return (0x84 - t) if (b & 0x80) else (t - 0x84)


def ulaw_rx_blocks(payloads, hz):
    """100 ms blocks of tone hz in payloads read as G.711 mu-law after a 12-byte RTP header."""
    lin = []
    for p in payloads:
        lin.extend(ulaw_to_lin(x) for x in p[12:12 + 160])
    return tone_in_blocks(lin, 8000, hz)


class Capture(fl.Proc):
    """tshark on the loopback for UDP in sipgw's RTP port range (flowlib's config: 30000-39999)."""

    def __init__(self, tb, name="tshark"):
        self.pcap = os.path.join(tb.dir, name + ".pcap")
        super().__init__(name, ["tshark", "-i", "lo", "-f", "udp portrange 30000-39999", "-w", self.pcap,
                                "-q"], tb.dir)
        tb.procs.append(self)
        self.wait_line(r"Capturing on", timeout=10, stream="err")

    def payloads(self, src, dst):
        """Every UDP payload captured from port src to port dst (RTP, or RTCP) as bytes, after
        stopping: the port range is everybody's, other calls' packets are left out."""
        self.stop()
        r = subprocess.run(["tshark", "-r", self.pcap, "-Y", "udp.srcport == %d && udp.dstport == %d" % (src, dst),
                            "-T", "fields", "-e", "udp.payload"], capture_output=True, text=True)
        return [bytes.fromhex(ln.strip().replace(":", "")) for ln in r.stdout.splitlines() if ln.strip()]


def sdp_port(text):
    m = re.search(r"^m=audio (\d+) ", text, re.M)
    if not m:
        raise FlowError("no m=audio line in\n" + text)
    return int(m.group(1))


def rtp_audio(cap, src, dst):
    return [p for p in cap.payloads(src, dst) if len(p) >= 12 and p[0] >> 6 == 2 and (p[1] & 0x7f) in (0, 8)]


def check_wire_encrypted(cap, a, b):
    """What crossed between RTP ports a and b, each way: audio packets of 160 octets plus a
    header and an 80-bit tag, and read as G.711 they hold neither tone."""
    for src, dst in ((a, b), (b, a)):
        pl = rtp_audio(cap, src, dst)
        if len(pl) < 50:
            raise FlowError("capture: %d RTP audio packets from port %d to %d, want 50 or more" % (len(pl), src, dst))
        sizes = set(len(p) for p in pl)
        if sizes != {12 + 160 + 10}:
            raise FlowError("capture: audio packets of %s octets from port %d, want 182 (RTP header, 160, "
                            "HMAC-SHA1-80 tag)" % (sorted(sizes), src))
        for hz in (PBX_HZ, PHONE_HZ):
            n = ulaw_rx_blocks(pl, hz)
            if n:
                raise FlowError("capture: %d blocks of %d Hz in the RTP from port %d read as G.711: not encrypted"
                                % (n, hz, src))


def check_savp(what, text):
    """An SDP with RTP/SAVP on its audio m= line and one a=crypto of ours at least."""
    m = re.search(r"^m=audio \d+ (\S+)", text, re.M)
    if not m or m.group(1) != "RTP/SAVP":
        raise FlowError("%s: audio profile %s, want RTP/SAVP" % (what, m.group(1) if m else "none"))
    cr = re.findall(r"^a=crypto:(\d+) (AES_CM_128_HMAC_SHA1_(?:80|32)) inline:([A-Za-z0-9+/]{40})", text, re.M)
    if not cr:
        raise FlowError("%s: no a=crypto line with an inline key" % what)
    return cr


def tls_keys(tb, port):
    m = peers.tls_material(tb)
    return ('tls_port = %d; tls_cert = "%s"; tls_key = "%s"; tls_ca = "%s"; tls_verify = true;'
            % (port, m["server_cert"], m["server_key"], m["ca"]))


def sip_keys(conf, keys):
    with open(conf) as f:
        txt = f.read()
    txt = re.sub(r"^(sip = \{.*?) \};$", r"\1 %s };" % keys.replace("\\", "\\\\"), txt, count=1, flags=re.M)
    with open(conf, "w") as f:
        f.write(txt)
    return conf


def heard(proc, hz):
    return "on" in [e for _, e in tone_events(proc.lines(), hz)]


def check_decoded(bs, hz):
    samples, rate = wav_samples(bs.recording())
    n = tone_in_blocks(samples, rate, hz, block=rate // 10)
    if n < 5:
        raise FlowError("%s decoded %d blocks of %d Hz (of %d), want 5 or more: the PBX's audio did not cross"
                        % (bs.name, n, hz, len(samples) // (rate // 10)))


# ---- flows


@flow
def srtp_baresip_tls_to_pri(tb):
    """baresip (TLS, srtp-mand) -> sipgw -> PBX: RTP/SAVP answered with a=crypto, audio both ways, the wire encrypted."""
    tls_port = fl.free_port()
    m = peers.tls_material(tb)
    gw = tb.gateway(sip_keys(tb.config([pots_peer(900, "9T")]), tls_keys(tb, tls_port)))
    pbx = tb.pbx("--exit-when-done", "--answer-after", "0.3", "--tone", str(PBX_HZ), "--detect", str(PHONE_HZ))
    pbx.wait_line(r"EVENT dchan up")
    bs = Baresip(tb, "baresip", "<sip:2001@127.0.0.1;transport=tls>;regint=0;mediaenc=srtp-mand",
                 cert=m["server_pem"], ca=m["ca"])
    cap = Capture(tb)
    bs.command("dial", "sip:95551234@127.0.0.1:%d" % tls_port)
    bs.wait_line(r"Call established|CALL_ESTABLISHED|call: connected|established", timeout=10)
    # audio both ways, by events: the PBX hears baresip's tone, then a second more
    pbx.wait_line(r"AUDIO tone %d on" % PHONE_HZ, timeout=10)
    gw.wait_line(r"SRTP AES_CM_128_HMAC_SHA1_80", stream="err")
    fl_wait_audio(bs)
    bs.command("hangup")
    bs.wait_count(r"^CSeq: \d+ BYE", 2)     # our BYE and its 200 in the trace
    if pbx.wait_exit() != 0:
        raise FlowError("the PBX simulator failed")
    gwp = (tb.sip_port, tls_port)
    expect_ladder("SIP (baresip)", _calls(bs.ladder(gwp)),
                  ["> INVITE", "< 100/INVITE", "< 180/INVITE", "< 200/INVITE", "> ACK", "> BYE", "< 200/BYE"])
    expect_ladder("PRI", q931_ladder(pbx.lines()),
                  ["< SETUP", "> CALL PROCEEDING", "> ALERTING", "> CONNECT", "< CONNECT ACKNOWLEDGE",
                   "< DISCONNECT cause=16", "> RELEASE", "< RELEASE COMPLETE"])
    inv, ok = bs.find(">", r"^INVITE ", gwp)[0], bs.find("<", r"^SIP/2\.0 200 ", gwp)[0]
    offered, ans = check_savp("baresip's INVITE", inv), check_savp("sipgw's 200", ok)
    if len(ans) != 1 or ans[0][:2] not in [o[:2] for o in offered] or ans[0][2] in [o[2] for o in offered]:
        raise FlowError("sipgw's a=crypto %s is not one of the offered tags and suites with a key of its own: %s"
                        % (ans, offered))
    if not heard(pbx, PHONE_HZ):
        raise FlowError("PBX never heard baresip's %d Hz" % PHONE_HZ)
    check_decoded(bs, PBX_HZ)
    check_wire_encrypted(cap, sdp_port(inv), sdp_port(ok))


def _calls(lad):
    """The ladder without provisional responses other than 100/180 (baresip may see 183)."""
    return [s for s in lad if not re.match(r"^< 1\d\d/INVITE$", s) or s in ("< 100/INVITE", "< 180/INVITE")]


def fl_wait_audio(bs):
    """Until baresip's decoded dump holds 2 s of audio (its file grows as frames come)."""
    import time
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if os.path.getsize(bs.recording()) > 44 + 2 * 8000 * 2:
                return
        except FlowError:
            pass
        time.sleep(0.1)
    raise FlowError("%s: less than 2 s of decoded audio in 10 s" % bs.name)


def srtp_peer(tag, pattern, port, srtp):
    return voip_peer(tag, pattern, port) + ' session_transport = "tls"; srtp = "%s";' % srtp


@flow
def srtp_pri_to_baresip_mandatory(tb):
    """PBX -> sipgw -> baresip over TLS, dial-peer srtp mandatory: RTP/SAVP with both suites offered, audio both ways encrypted."""
    m = peers.tls_material(tb)
    bs = Baresip(tb, "baresip", "<sip:2001@127.0.0.1;transport=tls>;regint=0;mediaenc=srtp-mand;answermode=auto",
                 cert=m["server_pem"], ca=m["ca"])
    tls_port = fl.free_port()
    gw = tb.gateway(sip_keys(tb.config([srtp_peer(100, "2...", bs.listen + 1, "mandatory")]), tls_keys(tb, tls_port)))
    cap = Capture(tb)
    pbx = fl.pbx_call(tb, "--tone", str(PBX_HZ), "--detect", str(PHONE_HZ), "--hangup-after", "3")
    gw.wait_line(r"SRTP AES_CM_128_HMAC_SHA1_80", stream="err")
    if pbx.wait_exit() != 0:
        raise FlowError("the PBX simulator failed")
    bs.wait_count(r"^CSeq: \d+ BYE", 2)
    mine = (bs.listen + 1,)     # sipgw connects to baresip's TLS port
    lad = bs.ladder(mine=mine)
    # baresip sends no 100 Trying: its 180 is at once (answermode=auto)
    expect_ladder("SIP (baresip)", lad, ["< INVITE", "> 180/INVITE", "> 200/INVITE", "< ACK", "< BYE", "> 200/BYE"])
    expect_ladder("PRI", q931_ladder(pbx.lines()), fl.PBX_CONNECTED + ["> DISCONNECT cause=16", "< RELEASE",
                                                                      "> RELEASE COMPLETE"])
    inv, ok = bs.find("<", r"^INVITE ", mine=mine)[0], bs.find(">", r"^SIP/2\.0 200 ", mine=mine)[0]
    offered, ans = check_savp("sipgw's INVITE", inv), check_savp("baresip's 200", ok)
    if sorted((t, s) for t, s, _ in offered) != [("1", "AES_CM_128_HMAC_SHA1_80"), ("2", "AES_CM_128_HMAC_SHA1_32")]:
        raise FlowError("sipgw offered %s, want tag 1 _80 and tag 2 _32" % offered)
    if len(ans) != 1 or ans[0][:2] != ("1", "AES_CM_128_HMAC_SHA1_80"):
        raise FlowError("baresip answered %s" % ans)
    if not heard(pbx, PHONE_HZ):
        raise FlowError("PBX never heard baresip's %d Hz" % PHONE_HZ)
    check_decoded(bs, PBX_HZ)
    check_wire_encrypted(cap, sdp_port(inv), sdp_port(ok))


@flow
@fl.no_pri
def srtp_savp_over_udp_refused(tb):
    """RTP/SAVP over UDP (SDES keys in clear): 488 with Warning 305, no SETUP; the keys never answered."""
    tb.gateway(tb.config([pots_peer(900, "9T")]))
    pbx = tb.pbx("--exit-when-done", "--answer-after", "0.3")
    pbx.wait_line(r"EVENT dchan up")
    bs = Baresip(tb, "baresip", "<sip:2001@127.0.0.1;transport=udp>;regint=0;mediaenc=srtp-mand")
    bs.command("dial", "sip:95551234@127.0.0.1:%d" % tb.sip_port)
    bs.wait_line(r"session closed: 488", timeout=10)
    gwp = (tb.sip_port,)
    expect_ladder("SIP (baresip)", bs.ladder(gwp), ["> INVITE", "< 100/INVITE", "< 488/INVITE", "> ACK"])
    check_savp("baresip's INVITE", bs.find(">", r"^INVITE ", gwp)[0])
    refusal = bs.find("<", r"^SIP/2\.0 488 ", gwp)[0]
    warn = peers.header(refusal, "Warning") or ""
    if not re.match(r'^305 \S+ "SRTP keys over a clear transport"$', warn):
        raise FlowError("488's Warning is %r, want 305 ... \"SRTP keys over a clear transport\"" % warn)
    if "a=crypto" in refusal:
        raise FlowError("the 488 carries a=crypto")
    if [t for _, t in fl.timed(pbx.lines(), "Q931") if "SETUP" in t]:
        raise FlowError("a SETUP reached the PBX for a refused offer")


@flow
def srtp_best_effort_over_udp_plain(tb):
    """RTP/AVP with a=crypto (baresip mediaenc=srtp, best effort) over UDP: answered RTP/AVP without a=crypto, plain G.711 both ways."""
    gw = tb.gateway(tb.config([pots_peer(900, "9T")]))
    pbx = tb.pbx("--exit-when-done", "--answer-after", "0.3", "--tone", str(PBX_HZ), "--detect", str(PHONE_HZ))
    pbx.wait_line(r"EVENT dchan up")
    bs = Baresip(tb, "baresip", "<sip:2001@127.0.0.1;transport=udp>;regint=0;mediaenc=srtp")
    cap = Capture(tb)
    bs.command("dial", "sip:95551234@127.0.0.1:%d" % tb.sip_port)
    pbx.wait_line(r"AUDIO tone %d on" % PHONE_HZ, timeout=10)
    fl_wait_audio(bs)
    bs.command("hangup")
    bs.wait_count(r"^CSeq: \d+ BYE", 2)     # our BYE and its 200 in the trace
    if pbx.wait_exit() != 0:
        raise FlowError("the PBX simulator failed")
    gwp = (tb.sip_port,)
    expect_ladder("SIP (baresip)", _calls(bs.ladder(gwp)),
                  ["> INVITE", "< 100/INVITE", "< 180/INVITE", "< 200/INVITE", "> ACK", "> BYE", "< 200/BYE"])
    inv, ok = bs.find(">", r"^INVITE ", gwp)[0], bs.find("<", r"^SIP/2\.0 200 ", gwp)[0]
    if not re.search(r"^m=audio \d+ RTP/AVP ", inv, re.M) or "a=crypto:" not in inv:
        raise FlowError("baresip's best-effort offer is not RTP/AVP with a=crypto:\n" + inv)
    if not re.search(r"^m=audio \d+ RTP/AVP ", ok, re.M) or "a=crypto" in ok:
        raise FlowError("over UDP sipgw must answer RTP/AVP without a=crypto:\n" + ok)
    if any("SRTP" in ln for ln in gw.errlines() if "sip 1" in ln and "refused" not in ln):
        raise FlowError("sipgw turned SRTP on over UDP")
    check_decoded(bs, PBX_HZ)
    # the capture check's control: plain G.711 of 160 octets, each tone readable its way
    for src, dst, hz in ((sdp_port(ok), sdp_port(inv), PBX_HZ), (sdp_port(inv), sdp_port(ok), PHONE_HZ)):
        pl = rtp_audio(cap, src, dst)
        if set(len(p) for p in pl) != {172} or ulaw_rx_blocks(pl, hz) < 5:
            raise FlowError("plain RTP from port %d: sizes %s, %d Hz in %d blocks: the capture check cannot see "
                            "plain RTP" % (src, sorted(set(len(p) for p in pl)), hz, ulaw_rx_blocks(pl, hz)))
