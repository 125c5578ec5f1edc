# sipgw call-flow tests for SRTP with SDES keys (RFC 3711, RFC 4568; issue
# 12): baresip (module srtp, mediaenc=srtp-mand) over TLS both ways through
# the gateway to the PBX simulator. Each asserts the SIP ladder, RTP/SAVP
# and a=crypto in offer and answer, the Q.931 ladder, the audio both ways
# (the PBX detects baresip's ausine tone; a Goertzel on baresip's recording
# of what it decoded finds the PBX's tone) and, from a capture on the
# loopback, that the RTP on the wire is not G.711 of either tone.
# baresip is peers.Baresip with the srtp module (SrtpBaresip below).
# SPDX-License-Identifier: GPL-2.0-only
import os
import re
import subprocess
import time

import flowlib as fl
from flowlib import FlowError, expect_ladder, flow, pots_peer, q931_ladder, tone_events, voip_peer

import peers

PBX_HZ, PHONE_HZ = 2000, 1000


# ---- baresip with SRTP


class SrtpBaresip(peers.Baresip):
    """peers.Baresip with the srtp module and an account's mediaenc (srtp-mand: RTP/SAVP;
    srtp: best effort, RTP/AVP with a=crypto; "": none), over TLS with the flow CA to
    verify sipgw and the server certificate (serverAuth) for its own listener: peers'
    tls= gives it the client one, which sipgw, verifying, refuses when it calls baresip."""

    def __init__(self, tb, name, mediaenc, *, transport="tls", answer=False, tone_hz=PHONE_HZ):
        m = peers.tls_material(tb)
        extra = (";mediaenc=%s" % mediaenc if mediaenc else "") + (";answermode=auto" if answer else "")
        conf = "module srtp.so\n"
        if transport == "tls":
            conf += "sip_cafile %s\nsip_certificate %s\n" % (m["ca"], m["server_pem"])
        super().__init__(tb, name, "2001", tone_hz=tone_hz, uri_params=";transport=%s" % transport,
                         account_extra=extra, config_extra=conf)

    def recording(self):
        got = self.recordings("dec")
        if not got:
            raise FlowError("%s: no decoded-audio dump (sndfile) in %s" % (self.name, self.dir))
        return got[0]


# ---- audio checks


def ulaw_rx_blocks(payloads, hz):
    """100 ms blocks (5 packets) of tone hz in payloads read as G.711 mu-law after a
    12-byte RTP header (an SRTP tag, if any, left out)."""
    lin = []
    for p in payloads:
        lin.extend(peers.ULAW[x] for x in p[12:12 + 160])
    return sum(1 for i in range(0, len(lin) - 800 + 1, 800) if peers.is_tone(lin[i:i + 800], hz))


class Capture(fl.Proc):
    """tshark on the loopback for UDP in sipgw's RTP port range (flowlib's config: 30000-39999),
    started before the call: both ways of its RTP, since sipgw's port is known only after."""

    def __init__(self, tb, name="tshark"):
        self.pcap = os.path.join(tb.dir, name + ".pcap")
        super().__init__(name, ["tshark", "-i", "lo", "-f", "udp portrange 30000-39999", "-w", self.pcap,
                                "-q"], tb.dir)
        tb.procs.append(self)
        try:
            self.wait_line(r"Capturing on", timeout=10, stream="err")
        except FlowError:
            err = " ".join(self.errlines())
            if "ermission" in err or "not permitted" in err:
                raise fl.FlowSkip("no right to capture on lo: " + err)
            raise

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
    """An SDP with RTP/SAVP on its audio m= line and an a=crypto line at least; its lines."""
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
    """baresip's dump of what it decoded holds the tone: 5 blocks of 100 ms at least."""
    blocks = peers.wav_blocks(bs.recording(), hz, block_ms=100)
    if sum(blocks) < 5:
        raise FlowError("%s decoded %d blocks of %d Hz (of %d), want 5 or more: the PBX's audio did not cross"
                        % (bs.name, sum(blocks), hz, len(blocks)))


def wait_audio(bs, seconds=2):
    """Until baresip's decoded dump holds `seconds` of audio (sndfile writes it as frames
    come, 8 kHz mono 16-bit at the least)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        got = bs.recordings("dec")
        if got and os.path.getsize(got[0]) > 44 + seconds * 8000 * 2:
            return
        time.sleep(0.1)
    raise FlowError("%s: less than %d s of decoded audio in 10 s" % (bs.name, seconds))


def calls_ladder(lad):
    """The ladder without provisional responses other than 100/180."""
    return [s for s in lad if not re.match(r"^< 1\d\d/INVITE$", s) or s in ("< 100/INVITE", "< 180/INVITE")]


def hang_up(bs):
    bs.command("hangup")
    bs.wait_count(r"^CSeq: \d+ BYE", 2)     # our BYE and its 200 in the trace


def srtp_peer(tag, pattern, port, srtp):
    return voip_peer(tag, pattern, port) + ' session_transport = "tls"; srtp = "%s";' % srtp


SIP_TO_PRI = ["< SETUP", "> CALL PROCEEDING", "> ALERTING", "> CONNECT", "< CONNECT ACKNOWLEDGE",
              "< DISCONNECT cause=16", "> RELEASE", "< RELEASE COMPLETE"]


# ---- flows


@flow
def srtp_baresip_tls_to_pri(tb):
    """baresip (TLS, srtp-mand) -> sipgw -> PBX: RTP/SAVP answered with a=crypto, audio both ways, the wire encrypted."""
    tls_port = fl.free_port()
    gw = tb.gateway(sip_keys(tb.config([pots_peer(900, "9T")]), tls_keys(tb, tls_port)))
    pbx = tb.pbx("--exit-when-done", "--answer-after", "0.3", "--tone", str(PBX_HZ), "--detect", str(PHONE_HZ))
    pbx.wait_line(r"EVENT dchan up")
    bs = SrtpBaresip(tb, "baresip", "srtp-mand")
    cap = Capture(tb)
    bs.command("dial", "sip:95551234@127.0.0.1:%d" % tls_port)
    bs.wait_event("CALL_ESTABLISHED")
    pbx.wait_line(r"AUDIO tone %d on" % PHONE_HZ, timeout=10)
    gw.wait_line(r"SRTP AES_CM_128_HMAC_SHA1_80", stream="err")
    wait_audio(bs)
    hang_up(bs)
    if pbx.wait_exit() != 0:
        raise FlowError("the PBX simulator failed")
    expect_ladder("SIP (baresip)", calls_ladder(bs.ladder()),
                  ["> INVITE", "< 100/INVITE", "< 180/INVITE", "< 200/INVITE", "> ACK", "> BYE", "< 200/BYE"])
    expect_ladder("PRI", q931_ladder(pbx.lines()), SIP_TO_PRI)
    inv, ok = bs.find(">", r"^INVITE ")[0], bs.find("<", r"^SIP/2\.0 200 ", "INVITE")[0]
    offered, ans = check_savp("baresip's INVITE", inv), check_savp("sipgw's 200", ok)
    if len(ans) != 1 or ans[0][:2] not in [o[:2] for o in offered] or ans[0][2] in [o[2] for o in offered]:
        raise FlowError("sipgw's a=crypto %s is not one of the offered tags and suites with a key of its own: %s"
                        % (ans, offered))
    # nothing of baresip's refused but the plain RTCP APPs ("PING", "PONG") it sends before
    # its first SRTCP: dropped ("other", too short for SRTCP), never parsed; one or two,
    # as its RTCP timer runs before its SRTP context is up (two seen on a loaded box)
    end = gw.wait_line(r"sip 1 \[\w+\] SRTP(: nothing refused| refused: .*)$", stream="err").group(0)
    if "refused:" in end and not re.search(r"RTP 0 forged, 0 replayed, 0 other; RTCP 0 forged, 0 replayed, [0-2] other",
                                            end):
        raise FlowError("sipgw refused baresip's packets: " + end)
    contact = peers.header(ok, "Contact") or ""
    if not re.match(r"^<sip:127\.0\.0\.1:%d;transport=tls>$" % tls_port, contact):
        raise FlowError("our 200's Contact %r is not sip:...;transport=tls for a sip: request over TLS" % contact)
    if not heard(pbx, PHONE_HZ):
        raise FlowError("PBX never heard baresip's %d Hz" % PHONE_HZ)
    check_decoded(bs, PBX_HZ)
    check_wire_encrypted(cap, sdp_port(inv), sdp_port(ok))


@flow
def srtp_pri_to_baresip_mandatory(tb):
    """PBX -> sipgw -> baresip over TLS, dial-peer srtp mandatory: RTP/SAVP with both suites offered, audio both ways encrypted."""
    bs = SrtpBaresip(tb, "baresip", "srtp-mand", answer=True)
    tls_port = fl.free_port()
    gw = tb.gateway(sip_keys(tb.config([srtp_peer(100, "2...", bs.tls_port, "mandatory")]), tls_keys(tb, tls_port)))
    cap = Capture(tb)
    pbx = fl.pbx_call(tb, "--tone", str(PBX_HZ), "--detect", str(PHONE_HZ), "--hangup-after", "3")
    gw.wait_line(r"SRTP AES_CM_128_HMAC_SHA1_80", stream="err")
    if pbx.wait_exit() != 0:
        raise FlowError("the PBX simulator failed")
    bs.wait_count(r"^CSeq: \d+ BYE", 2)
    # baresip sends no 100 Trying: its 180 is at once (answermode=auto)
    expect_ladder("SIP (baresip)", bs.ladder(), ["< INVITE", "> 180/INVITE", "> 200/INVITE", "< ACK", "< BYE",
                                                 "> 200/BYE"])
    expect_ladder("PRI", q931_ladder(pbx.lines()), fl.PBX_CONNECTED + ["> DISCONNECT cause=16", "< RELEASE",
                                                                      "> RELEASE COMPLETE"])
    inv, ok = bs.find("<", r"^INVITE ")[0], bs.find(">", r"^SIP/2\.0 200 ", "INVITE")[0]
    if not inv.startswith("INVITE sips:2001@127.0.0.1:%d;user=phone SIP/2.0" % bs.tls_port):
        raise FlowError("INVITE not to sips:2001@baresip: " + inv.splitlines()[0])
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
    gw = tb.gateway(tb.config([pots_peer(900, "9T")]))
    pbx = tb.pbx("--exit-when-done", "--answer-after", "0.3")
    pbx.wait_line(r"EVENT dchan up")
    bs = SrtpBaresip(tb, "baresip", "srtp-mand", transport="udp")
    bs.command("dial", "sip:95551234@127.0.0.1:%d" % tb.sip_port)
    bs.wait_event("CALL_CLOSED")
    expect_ladder("SIP (baresip)", bs.ladder(), ["> INVITE", "< 100/INVITE", "< 488/INVITE", "> ACK"])
    check_savp("baresip's INVITE", bs.find(">", r"^INVITE ")[0])
    refusal = bs.find("<", r"^SIP/2\.0 488 ")[0]
    warn = peers.header(refusal, "Warning") or ""
    if not re.match(r'^305 \S+ "SRTP keys over a clear transport"$', warn):
        raise FlowError("488's Warning is %r, want 305 ... \"SRTP keys over a clear transport\"" % warn)
    if "a=crypto" in refusal:
        raise FlowError("the 488 carries a=crypto")
    gw.wait_line(r"RTP/SAVP refused: SRTP keys over a clear transport, 488", stream="err")
    if [t for _, t in fl.timed(pbx.lines(), "Q931") if "SETUP" in t]:
        raise FlowError("a SETUP reached the PBX for a refused offer")


@flow
def srtp_best_effort_over_udp_plain(tb):
    """RTP/AVP with a=crypto (baresip mediaenc=srtp, best effort) over UDP: answered RTP/AVP without a=crypto, plain G.711 both ways."""
    gw = tb.gateway(tb.config([pots_peer(900, "9T")]))
    pbx = tb.pbx("--exit-when-done", "--answer-after", "0.3", "--tone", str(PBX_HZ), "--detect", str(PHONE_HZ))
    pbx.wait_line(r"EVENT dchan up")
    bs = SrtpBaresip(tb, "baresip", "srtp", transport="udp")
    cap = Capture(tb)
    bs.command("dial", "sip:95551234@127.0.0.1:%d" % tb.sip_port)
    bs.wait_event("CALL_ESTABLISHED")
    pbx.wait_line(r"AUDIO tone %d on" % PHONE_HZ, timeout=10)
    wait_audio(bs)
    hang_up(bs)
    if pbx.wait_exit() != 0:
        raise FlowError("the PBX simulator failed")
    expect_ladder("SIP (baresip)", calls_ladder(bs.ladder()),
                  ["> INVITE", "< 100/INVITE", "< 180/INVITE", "< 200/INVITE", "> ACK", "> BYE", "< 200/BYE"])
    expect_ladder("PRI", q931_ladder(pbx.lines()), SIP_TO_PRI)
    inv, ok = bs.find(">", r"^INVITE ")[0], bs.find("<", r"^SIP/2\.0 200 ", "INVITE")[0]
    if not re.search(r"^m=audio \d+ RTP/AVP ", inv, re.M) or "a=crypto:" not in inv:
        raise FlowError("baresip's best-effort offer is not RTP/AVP with a=crypto:\n" + inv)
    if not re.search(r"^m=audio \d+ RTP/AVP ", ok, re.M) or "a=crypto" in ok:
        raise FlowError("over UDP sipgw must answer RTP/AVP without a=crypto:\n" + ok)
    if [ln for ln in gw.errlines() if re.search(r"SRTP AES_CM", ln)]:
        raise FlowError("sipgw turned SRTP on over UDP")
    check_decoded(bs, PBX_HZ)
    # the capture check's control: plain G.711 of 160 octets, each tone readable its way
    for src, dst, hz in ((sdp_port(ok), sdp_port(inv), PBX_HZ), (sdp_port(inv), sdp_port(ok), PHONE_HZ)):
        pl = rtp_audio(cap, src, dst)
        if set(len(p) for p in pl) != {172} or ulaw_rx_blocks(pl, hz) < 5:
            raise FlowError("plain RTP from port %d: sizes %s, %d Hz in %d blocks: the capture check cannot see "
                            "plain RTP" % (src, sorted(set(len(p) for p in pl)), hz, ulaw_rx_blocks(pl, hz)))


@flow
def srtp_optional_falls_back_to_avp(tb):
    """dial-peer srtp optional to a TLS phone without SRTP: RTP/SAVP refused 488, INVITE again with RTP/AVP, plain call, audio both ways."""
    bs = SrtpBaresip(tb, "baresip", "", answer=True)    # no mediaenc: RTP/AVP only
    tls_port = fl.free_port()
    gw = tb.gateway(sip_keys(tb.config([srtp_peer(100, "2...", bs.tls_port, "optional")]), tls_keys(tb, tls_port)))
    pbx = fl.pbx_call(tb, "--tone", str(PBX_HZ), "--detect", str(PHONE_HZ), "--hangup-after", "3")
    gw.wait_line(r"RTP/SAVP refused \((488|415)\): INVITE again with RTP/AVP \(srtp optional\)", stream="err")
    if pbx.wait_exit() != 0:
        raise FlowError("the PBX simulator failed")
    bs.wait_count(r"^CSeq: \d+ BYE", 2)
    lad = bs.ladder()
    first = lad[:3]
    if first != ["< INVITE", "> 488/INVITE", "< ACK"]:
        raise FlowError("baresip's first exchange is %s, want its INVITE refused 488 and the ACK" % first)
    expect_ladder("SIP (baresip), the second INVITE", lad[3:],
                  ["< INVITE", "> 180/INVITE", "> 200/INVITE", "< ACK", "< BYE", "> 200/BYE"])
    expect_ladder("PRI", q931_ladder(pbx.lines()), fl.PBX_CONNECTED + ["> DISCONNECT cause=16", "< RELEASE",
                                                                      "> RELEASE COMPLETE"])
    invs = bs.find("<", r"^INVITE ")
    check_savp("sipgw's first INVITE", invs[0])
    if not re.search(r"^m=audio \d+ RTP/AVP ", invs[1], re.M) or "a=crypto" in invs[1]:
        raise FlowError("the second INVITE is not RTP/AVP without a=crypto:\n" + invs[1])
    if not heard(pbx, PHONE_HZ):
        raise FlowError("PBX never heard baresip's %d Hz" % PHONE_HZ)
    check_decoded(bs, PBX_HZ)


@flow
def srtp_mandatory_refused_fails(tb):
    """dial-peer srtp mandatory to a TLS phone without SRTP: its 488 fails the call (no second INVITE), the PBX hears the cause."""
    bs = SrtpBaresip(tb, "baresip", "", answer=True)
    tls_port = fl.free_port()
    gw = tb.gateway(sip_keys(tb.config([srtp_peer(100, "2...", bs.tls_port, "mandatory")]), tls_keys(tb, tls_port)))
    pbx = fl.pbx_call(tb, "--tone", str(PBX_HZ))
    if pbx.wait_exit() != 0:
        raise FlowError("the PBX simulator failed")
    expect_ladder("SIP (baresip)", bs.ladder(), ["< INVITE", "> 488/INVITE", "< ACK"])
    check_savp("sipgw's INVITE", bs.find("<", r"^INVITE ")[0])
    # RFC 3398 7.2.4.1: 488 -> 127 interworking, unspecified
    expect_ladder("PRI", q931_ladder(pbx.lines()), ["> SETUP", "< CALL PROCEEDING", "< DISCONNECT cause=127",
                                                    "> RELEASE", "< RELEASE COMPLETE"])
    if [ln for ln in gw.errlines() if "INVITE again with RTP/AVP" in ln]:
        raise FlowError("srtp mandatory fell back to RTP/AVP")


@flow
@fl.no_pri
def srtp_untrusted_caller_challenged(tb):
    """An untrusted caller over TLS with a good RTP/SAVP offer and no credentials: 407, no SETUP; SRTP opens no door to the PRI."""
    tls_port = fl.free_port()
    reg = 'registrar = { realm = "sipgw"; users = ( { user = "2001"; password = "s3cret"; } ); };\n'
    gw = tb.gateway(sip_keys(tb.config([pots_peer(900, "9T")], extra=reg, trusted=()), tls_keys(tb, tls_port)))
    pbx = tb.pbx("--exit-when-done", "--answer-after", "0.3")
    pbx.wait_line(r"EVENT dchan up")
    bs = SrtpBaresip(tb, "baresip", "srtp-mand")
    bs.command("dial", "sip:95551234@127.0.0.1:%d" % tls_port)
    bs.wait_event("CALL_CLOSED")
    # baresip without a password answers the challenge with an empty one: 403
    expect_ladder("SIP (baresip)", bs.ladder(), ["> INVITE", "< 100/INVITE", "< 407/INVITE", "> ACK",
                                                 "> INVITE", "< 100/INVITE", "< 403/INVITE", "> ACK"])
    check_savp("baresip's INVITE", bs.find(">", r"^INVITE ")[0])
    for refusal in bs.find("<", r"^SIP/2\.0 40[37] "):
        if "a=crypto" in refusal:
            raise FlowError("a refusal carries our keys")
    if [t for _, t in fl.timed(pbx.lines(), "Q931") if "SETUP" in t]:
        raise FlowError("an unauthenticated SRTP caller reached the PBX")


@flow
def srtp_hold_resume_keeps_srtp(tb):
    """An SRTP call over TLS held and resumed by baresip: each re-INVITE answered RTP/SAVP with our same key, the PBX hears baresip again after the resume."""
    tls_port = fl.free_port()
    gw = tb.gateway(sip_keys(tb.config([pots_peer(900, "9T")]), tls_keys(tb, tls_port)))
    pbx = tb.pbx("--exit-when-done", "--answer-after", "0.3", "--tone", str(PBX_HZ), "--detect", str(PHONE_HZ))
    pbx.wait_line(r"EVENT dchan up")
    bs = SrtpBaresip(tb, "baresip", "srtp-mand")
    bs.command("dial", "sip:95551234@127.0.0.1:%d" % tls_port)
    bs.wait_event("CALL_ESTABLISHED")
    pbx.wait_line(r"AUDIO tone %d on" % PHONE_HZ, timeout=10)
    bs.command("hold")
    bs.wait_event("CALL_REMOTE_SDP", n=2)
    pbx.wait_line(r"AUDIO tone %d off" % PHONE_HZ, timeout=10)     # held: baresip sends nothing
    bs.command("resume")
    bs.wait_event("CALL_REMOTE_SDP", n=3)
    pbx.wait_count(r"AUDIO tone %d on" % PHONE_HZ, 2, timeout=10)  # its tone again, through SRTP
    hang_up(bs)
    if pbx.wait_exit() != 0:
        raise FlowError("the PBX simulator failed")
    expect_ladder("SIP (baresip)", calls_ladder(bs.ladder()),
                  ["> INVITE", "< 100/INVITE", "< 180/INVITE", "< 200/INVITE", "> ACK",
                   "> INVITE", "< 100/INVITE", "< 200/INVITE", "> ACK",
                   "> INVITE", "< 100/INVITE", "< 200/INVITE", "> ACK", "> BYE", "< 200/BYE"])
    oks = bs.find("<", r"^SIP/2\.0 200 ", "INVITE")
    keys = [check_savp("sipgw's 200 #%d" % (i + 1), ok) for i, ok in enumerate(oks)]
    if len(set(k[0][2] for k in keys)) != 1:
        raise FlowError("our key changed across hold and resume: %s" % keys)
    dirs = [re.search(r"^a=(sendrecv|sendonly|recvonly|inactive)", ok, re.M).group(1) for ok in oks]
    if dirs != ["sendrecv", "recvonly", "sendrecv"]:
        raise FlowError("answers' directions %s, want sendrecv, recvonly, sendrecv" % dirs)
    end = gw.wait_line(r"sip 1 \[\w+\] SRTP(: nothing refused| refused: .*)$", stream="err").group(0)
    # baresip's plain RTCP APP before its first SRTCP can come again after a re-INVITE
    # (it restarts its RTCP on a new offer): one per offer at most, none of them forged
    if "refused:" in end and not re.search(r"RTP 0 forged, \d+ replayed, 0 other; RTCP 0 forged, 0 replayed, [0-3] other",
                                            end):
        raise FlowError("sipgw refused baresip's packets across hold and resume: " + end)
