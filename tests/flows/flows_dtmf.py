# sipgw call-flow tests for DTMF (issue 11 item 1): digits a caller behind the PBX
# presses reach a SIP phone (an IVR, voicemail) and the reverse, each way by each
# method, with 100 ms and 40 ms digits (Q.24's shortest), none doubled or lost.
#   PRI in-band -> SIP: sipgw hears the PBX's tones, cuts them out of the audio and
#     sends RFC 4733 events or SIP INFO, by the dial-peer's dtmf_relay (Cisco
#     dtmf-relay: the first method listed that the far end supports; rtp-nte needs
#     telephone-event in its SDP, sip-info always does).
#   SIP RFC 4733 / INFO -> PRI: sipgw plays the digit on the B-channel for the
#     event's duration, or sends a Keypad facility (span dtmf_to_pbx = "keypad").
#   dtmf_relay = ["inband"] (or no method the phone supports): the tone is audio.
# The gateway logs each digit once: "DTMF D pri->sip inband->rfc4733".
# The simulators' own DTMF is checked first, with no gateway between them.
# SPDX-License-Identifier: GPL-2.0-only
import random
import re
import socket
import struct
import time

import flowlib as fl
import xferua
from flowlib import FlowError, flow, pbx_call, pots_peer, span_keys, voip_peer

NTE = ("rfc4733", "rtp-nte")        # the names the gateway's log may give RFC 4733
INFO = ("info", "sip-info")
GW_DTMF = re.compile(r"DTMF (\S) (pri|sip)->(pri|sip) (\S+)->(\S+)")
AFTER = "0.5"                       # the caller waits for the prompt before pressing


def digits_heard(lines, rx=r"^dtmf (\S) (\w+)"):
    """[(digit, method)] from AUDIO dtmf lines of either simulator."""
    out = []
    for _, t in fl.timed(lines, "AUDIO"):
        m = re.match(rx, t)
        if m:
            out.append((m.group(1), m.group(2)))
    return out


def lengths_heard(lines, method):
    """[(digit, ms)] from AUDIO dtmf-end lines: an event's final duration, a tone's length."""
    rx = re.compile(r"^dtmf-end (\S) %s ms=(\d+)" % method)
    return [(rx.match(t).group(1), int(rx.match(t).group(2)))
            for _, t in fl.timed(lines, "AUDIO") if rx.match(t)]


def expect_digits(who, heard, digits, methods):
    """Exactly digits, in order, each once, all by one of methods; nothing by another way."""
    got = "".join(d for d, _ in heard)
    ways = sorted(set(m for _, m in heard))
    if got != digits or any(m not in methods for _, m in heard):
        raise FlowError("%s heard %r by %s, want %r by %s only" % (who, got, ways, digits, "/".join(methods)))


def expect_lengths(who, lengths, digits, ms, lo=40, hi=30):
    """Each digit's length near ms: the tone (or the event) lasted as long as the one sent.
    SpanDSP's detector decides on two 12.75 ms blocks at each edge, so a tone it
    measures comes out up to ~35 ms short; generating 100 ms for a 40 ms digit, or
    40 for 100, falls outside."""
    got = "".join(d for d, _ in lengths)
    bad = [(d, n) for d, n in lengths if not ms - lo <= n <= ms + hi]
    if got != digits or bad:
        raise FlowError("%s: lengths %s, want each of %r near %d ms" % (who, lengths, digits, ms))


def expect_gw_log(gw, digits, src, dst, m_from, m_to):
    """One log line per digit, with its direction and both methods."""
    got = [GW_DTMF.search(l).groups() for l in gw.errlines() if GW_DTMF.search(l)]
    want_ok = ("".join(g[0] for g in got) == digits and
               all(g[1] == src and g[2] == dst and g[3] in m_from and g[4] in m_to for g in got))
    if not want_ok:
        raise FlowError("gateway DTMF log %s, want %r %s->%s %s->%s one line a digit" %
                        (got, digits, src, dst, "/".join(m_from), "/".join(m_to)))


def relay_conf(tb, peers, relay=None, keys=None):
    """A config with the global rtp dtmf_relay list (None: the gateway's default) and span keys."""
    conf = tb.config(peers)
    if relay is not None:
        with open(conf) as f:
            txt = f.read()
        txt = txt.replace("port_max = 39999; };", "port_max = 39999; dtmf_relay = [ %s ]; };" %
                          ", ".join('"%s"' % r for r in relay))
        with open(conf, "w") as f:
            f.write(txt)
    if keys:
        span_keys(conf, keys)
    return conf


def peer_relay(relay):
    return ' dtmf_relay = [ %s ];' % ", ".join('"%s"' % r for r in relay) if relay is not None else ""


def pri_to_sip(tb, digits, ms, phone_args=(), peer=None, relay=None, pbx_mode="inband"):
    """The PBX calls 2001 and presses digits (ms tone, ms gap) once answered; the phone listens."""
    phone = tb.phone("phone", "--answer-after", "0.2", "--exit-after-calls", "1", *phone_args)
    gw = tb.gateway(relay_conf(tb, [voip_peer(100, "2...", phone.port) + peer_relay(peer)], relay))
    pbx = pbx_call(tb, "--dtmf", digits, "--dtmf-ms", str(ms), "--dtmf-mode", pbx_mode,
                   "--dtmf-after", AFTER, "--hangup-after", "2.5")
    if pbx.wait_exit() != 0 or phone.wait_exit() != 0:
        raise FlowError("a simulator failed")
    return gw, pbx, phone


def sip_to_pri(tb, digits, ms, mode, relay=None, keys=None, phone_args=()):
    """The phone calls the PBX (9 + number) and presses digits by mode once answered."""
    gw = tb.gateway(relay_conf(tb, [voip_peer(100, "2...", 9), pots_peer(900, "9T")], relay, keys))
    pbx = tb.pbx("--exit-when-done", "--answer-after", "0.2")
    pbx.wait_line(r"EVENT dchan up")
    phone = tb.phone("phone", "--call", "sip:95551234@127.0.0.1:%d" % tb.sip_port, "--from", "2001",
                     "--exit-after-calls", "1", "--dtmf", digits, "--dtmf-mode", mode,
                     "--dtmf-ms", str(ms), "--dtmf-after", AFTER, "--hangup-after", "2.5", *phone_args)
    if phone.wait_exit() != 0 or pbx.wait_exit() != 0:
        raise FlowError("a simulator failed")
    return gw, pbx, phone


# ---- the simulators by themselves: phone to phone, and RFC 4733 on the wire

def phone_to_phone(tb, mode, ms, digits):
    b = tb.phone("phone-b", "--answer-after", "0.1", "--exit-after-calls", "1")
    a = tb.phone("phone-a", "--call", "sip:b@127.0.0.1:%d" % b.port, "--dtmf", digits, "--dtmf-mode", mode,
                 "--dtmf-ms", str(ms), "--hangup-after", "1.5", "--exit-after-calls", "1")
    if a.wait_exit() != 0 or b.wait_exit() != 0:
        raise FlowError("a phone failed")
    return a, b


@flow
@fl.no_pri
def dtmf_sim_phone_to_phone_each_method(tb):
    """The phone simulator alone: --dtmf 55#1 by inband, rfc4733 and info at 40 ms reaches another
    phone exactly, by that method (repeated digits twice), with each digit's length."""
    for mode, ways in (("inband", ("inband",)), ("rfc4733", ("rfc4733",)), ("info", ("info",))):
        a, b = phone_to_phone(tb, mode, 40, "55#1")
        expect_digits("phone B (%s)" % mode, digits_heard(b.lines()), "55#1", ways)
        expect_lengths("phone B (%s)" % mode, lengths_heard(b.lines(), mode), "55#1", 40)
        sent = [t for _, t in fl.timed(a.lines(), "EVENT") if " dtmf send " in t]
        if len(sent) != 4 or any(not t.endswith(" " + mode) for t in sent):
            raise FlowError("phone A's send lines (%s): %s" % (mode, sent))
        for p in tb.procs:
            p.stop()
        tb.procs = []


class TeUA(xferua.XferUA):
    """A raw UA that offers telephone-event and records the RTP it gets."""

    def sdp(self):
        return ("v=0\r\no=te 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                "m=audio %d RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
                "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n" % self.rtp_port)

    def rtp_packets(self, seconds):
        """[(pt, marker, seq, ts, payload)] received for seconds, answering SIP meanwhile."""
        out = []
        deadline = time.monotonic() + seconds
        self.rtp.setblocking(False)
        while time.monotonic() < deadline:
            self.recv(0.01)
            while True:
                try:
                    data = self.rtp.recv(2048)
                except BlockingIOError:
                    break
                b1, seq, ts = data[1], struct.unpack("!H", data[2:4])[0], struct.unpack("!I", data[4:8])[0]
                out.append((b1 & 0x7f, b1 >> 7, seq, ts, data[12:]))
        return out


@flow
@fl.no_pri
def dtmf_sim_phone_rfc4733_packets(tb):
    """The phone's RFC 4733 on the wire (2.5.1): per digit a start packet with the marker, updates
    with the same timestamp and a growing duration, the end packet three times with one sequence
    number and the digit's duration; a new timestamp for the next press; the audio goes on."""
    ph = tb.phone("phone", "--answer-after", "0.1", "--dtmf", "77", "--dtmf-mode", "rfc4733",
                  "--dtmf-ms", "100", "--dtmf-after", "0.2", "--exit-after-calls", "1")
    ua = TeUA(ph.port, "2003")
    try:
        d = ua.call("phone")
        pkts = ua.rtp_packets(1.2)
        ua.request(d, "BYE", ctype="")
        ua.wait(lambda m: m.method == "BYE" and m.status >= 200, 5.0)
    finally:
        ua.close()
    ev = [p for p in pkts if p[0] == 101]
    audio = [p for p in pkts if p[0] == 0]
    by_ts = {}
    for pt, mk, seq, ts, pl in ev:
        by_ts.setdefault(ts, []).append((mk, seq, pl[0], pl[1] >> 7, struct.unpack("!H", pl[2:4])[0]))
    if len(by_ts) != 2:
        raise FlowError("want two events (two presses of 7), got timestamps %s" % sorted(by_ts))
    for ts, ps in by_ts.items():
        ends = [p for p in ps if p[3]]
        durs = [p[4] for p in ps if not p[3]]
        if not ps[0][0] or any(p[0] for p in ps[1:]):
            raise FlowError("marker must be on the start packet only: %s" % ps)
        if any(p[2] != 7 for p in ps):
            raise FlowError("event code is not 7: %s" % ps)
        if len(ends) != 3 or len(set(p[1] for p in ends)) != 1 or any(p[4] != 800 for p in ends):
            raise FlowError("end packet not three times, one seq, duration 800: %s" % ends)
        if len(durs) < 2 or durs != sorted(durs) or durs[-1] >= 800:
            raise FlowError("updates do not grow below the end's duration: %s" % durs)
    # audio all along: the 20 ms frames keep coming while the events are sent
    # (every sequence number from the first event to the last is an event or a frame)
    # (sequence numbers counted from the first packet: they may wrap at 65535)
    rel = lambda p: (p[2] - pkts[0][2]) & 0xffff
    lo, hi = min(rel(p) for p in ev), max(rel(p) for p in ev)
    seqs = set(rel(p) for p in pkts)
    if any(s not in seqs for s in range(lo, hi + 1)) or len([p for p in audio if lo < rel(p) < hi]) < 10:
        raise FlowError("the audio stopped while the events were sent")


@flow
@fl.no_pri
def dtmf_sim_phone_info_answers(tb):
    """The phone answers INFO: application/dtmf-relay and application/dtmf 200 (digits printed with
    method info), a bad DTMF body 400, another package 200 unprinted."""
    ph = tb.phone("phone", "--answer-after", "0.1", "--exit-after-calls", "1")
    ua = TeUA(ph.port, "2003")
    try:
        d = ua.call("phone")
        want = [("application/dtmf-relay", "Signal=5\r\nDuration=160\r\n", 200),
                ("application/dtmf", "#", 200),
                ("application/dtmf-relay", "Signal=Z\r\n", 400),
                ("application/x-other", "whatever", 200)]
        for ctype, body, status in want:
            ua.request(d, "INFO", body=body, ctype=ctype)
            r = ua.wait(lambda m: m.method == "INFO" and m.status >= 200, 5.0)
            if r.status != status:
                raise FlowError("INFO %s %r answered %d, want %d" % (ctype, body, r.status, status))
        ua.request(d, "BYE", ctype="")
        ua.wait(lambda m: m.method == "BYE" and m.status >= 200, 5.0)
    finally:
        ua.close()
    ph.wait_exit()
    expect_digits("phone", digits_heard(ph.lines()), "5#", ("info",))
    if lengths_heard(ph.lines(), "info") != [("5", 160)]:
        raise FlowError("INFO Duration not reported: %s" % lengths_heard(ph.lines(), "info"))


# ---- PRI in-band -> SIP

def check_pri_inband_to_sip(gw, pbx, phone, digits, ms, ways, gw_to):
    expect_digits("phone", digits_heard(phone.lines()), digits, ways)
    expect_gw_log(gw, digits, "pri", "sip", ("inband",), gw_to)
    sent = [t for _, t in fl.timed(pbx.lines(), "EVENT") if " dtmf send " in t]
    if len(sent) != len(digits):
        raise FlowError("the PBX did not press every digit: %s" % sent)


@flow
def dtmf_pri_inband_to_rfc4733_100ms(tb):
    """PBX presses 123# in-band (100 ms): the phone (telephone-event in its SDP) gets exactly 123# as
    RFC 4733 events, each ending, and hears no tone (sipgw cut it out of the audio)."""
    gw, pbx, phone = pri_to_sip(tb, "123#", 100)
    check_pri_inband_to_sip(gw, pbx, phone, "123#", 100, ("rfc4733",), NTE)
    expect_lengths("phone", lengths_heard(phone.lines(), "rfc4733"), "123#", 100, lo=50, hi=50)


@flow
def dtmf_pri_inband_to_rfc4733_40ms(tb):
    """PBX presses 123# in-band with 40 ms tones and gaps: exactly 123# as RFC 4733, no tone heard."""
    gw, pbx, phone = pri_to_sip(tb, "123#", 40)
    check_pri_inband_to_sip(gw, pbx, phone, "123#", 40, ("rfc4733",), NTE)
    expect_lengths("phone", lengths_heard(phone.lines(), "rfc4733"), "123#", 40, lo=40, hi=50)


@flow
def dtmf_pri_inband_to_info_100ms(tb):
    """dial-peer dtmf_relay = ["sip-info"]: PBX presses 123# in-band; the phone gets exactly 123# as
    INFO application/dtmf-relay, no RFC 4733, no tone."""
    gw, pbx, phone = pri_to_sip(tb, "123#", 100, peer=["sip-info"])
    check_pri_inband_to_sip(gw, pbx, phone, "123#", 100, ("info",), INFO)


@flow
def dtmf_pri_inband_to_info_40ms(tb):
    """dtmf_relay = ["sip-info"], 40 ms digits: exactly 123# as INFO, no tone."""
    gw, pbx, phone = pri_to_sip(tb, "123#", 40, peer=["sip-info"])
    check_pri_inband_to_sip(gw, pbx, phone, "123#", 40, ("info",), INFO)


@flow
def dtmf_pri_inband_no_te_phone_info(tb):
    """rtp dtmf_relay = ["rtp-nte", "sip-info"] and a phone whose SDP has no telephone-event:
    rtp-nte is not supported there, sip-info always is, so INFO carries 123#."""
    gw, pbx, phone = pri_to_sip(tb, "123#", 100, phone_args=["--no-telephone-event"],
                                relay=["rtp-nte", "sip-info"])
    check_pri_inband_to_sip(gw, pbx, phone, "123#", 100, ("info",), INFO)


@flow
def dtmf_pri_keypad_to_rfc4733(tb):
    """PBX sends 123# as Keypad facility INFORMATION (one digit each): exactly 123# as RFC 4733."""
    gw, pbx, phone = pri_to_sip(tb, "123#", 100, pbx_mode="keypad")
    expect_digits("phone", digits_heard(phone.lines()), "123#", ("rfc4733",))
    expect_gw_log(gw, "123#", "pri", "sip", ("keypad",), NTE)


# ---- SIP -> PRI

def check_sip_to_pri_inband(gw, pbx, digits, ms, m_from):
    expect_digits("PBX", digits_heard(pbx.lines(), r"^dtmf (\S) (\w+) ch="), digits, ("inband",))
    expect_lengths("PBX", lengths_heard(pbx.lines(), "inband"), digits, ms)
    expect_gw_log(gw, digits, "sip", "pri", m_from, ("inband",))


@flow
def dtmf_sip_rfc4733_to_pri_inband_100ms(tb):
    """The phone sends 456* as RFC 4733 events of 100 ms: the PBX hears exactly 456* in-band, each
    tone as long as its event (end packets and their retransmissions make no second digit)."""
    gw, pbx, phone = sip_to_pri(tb, "456*", 100, "rfc4733")
    check_sip_to_pri_inband(gw, pbx, "456*", 100, NTE)


@flow
def dtmf_sip_rfc4733_to_pri_inband_40ms(tb):
    """RFC 4733 events of 40 ms: exactly 456* in-band on the B-channel, 40 ms tones."""
    gw, pbx, phone = sip_to_pri(tb, "456*", 40, "rfc4733")
    check_sip_to_pri_inband(gw, pbx, "456*", 40, NTE)


@flow
def dtmf_sip_info_to_pri_inband_100ms(tb):
    """The phone sends 456* as INFO (Duration=100): the PBX hears exactly 456* in-band, 100 ms each."""
    gw, pbx, phone = sip_to_pri(tb, "456*", 100, "info")
    check_sip_to_pri_inband(gw, pbx, "456*", 100, INFO)


@flow
def dtmf_sip_info_to_pri_inband_40ms(tb):
    """INFO with Duration=40: exactly 456* in-band, 40 ms tones."""
    gw, pbx, phone = sip_to_pri(tb, "456*", 40, "info")
    check_sip_to_pri_inband(gw, pbx, "456*", 40, INFO)


def check_sip_to_pri_keypad(gw, pbx, digits, m_from):
    expect_digits("PBX", digits_heard(pbx.lines(), r"^dtmf (\S) (\w+) ch="), digits, ("keypad",))
    expect_gw_log(gw, digits, "sip", "pri", m_from, ("keypad",))
    infos = [t for _, t in fl.timed(pbx.lines(), "Q931") if t.startswith("< INFORMATION")]
    if len(infos) != len(digits):
        raise FlowError("want one INFORMATION per digit, got %s" % infos)


@flow
def dtmf_sip_rfc4733_to_pri_keypad_100ms(tb):
    """Span dtmf_to_pbx = "keypad": RFC 4733 456* arrives as four INFORMATION with Keypad facility,
    one digit each, and no tone on the B-channel."""
    gw, pbx, phone = sip_to_pri(tb, "456*", 100, "rfc4733", keys='dtmf_to_pbx = "keypad";')
    check_sip_to_pri_keypad(gw, pbx, "456*", NTE)


@flow
def dtmf_sip_rfc4733_to_pri_keypad_40ms(tb):
    """dtmf_to_pbx = "keypad", 40 ms RFC 4733 events: exactly 456* by keypad, no tone."""
    gw, pbx, phone = sip_to_pri(tb, "456*", 40, "rfc4733", keys='dtmf_to_pbx = "keypad";')
    check_sip_to_pri_keypad(gw, pbx, "456*", NTE)


@flow
def dtmf_sip_info_to_pri_keypad_40ms(tb):
    """dtmf_to_pbx = "keypad", INFO 456* (40 ms): exactly 456* by keypad, no tone."""
    gw, pbx, phone = sip_to_pri(tb, "456*", 40, "info", keys='dtmf_to_pbx = "keypad";')
    check_sip_to_pri_keypad(gw, pbx, "456*", INFO)


# ---- in-band relay: the tone is audio and crosses as such

@flow
def dtmf_inband_relay_pri_to_sip(tb):
    """dial-peer dtmf_relay = ["inband"]: the PBX's 123# (40 ms) crosses as audio; the phone hears
    exactly 123# in-band and gets no RFC 4733 or INFO."""
    gw, pbx, phone = pri_to_sip(tb, "123#", 40, peer=["inband"])
    expect_digits("phone", digits_heard(phone.lines()), "123#", ("inband",))


@flow
def dtmf_inband_relay_no_te_phone(tb):
    """dtmf_relay = ["rtp-nte"] and a phone with no telephone-event: no method listed is supported,
    so the tone stays in the audio (exactly 123# in-band at the phone)."""
    gw, pbx, phone = pri_to_sip(tb, "123#", 100, phone_args=["--no-telephone-event"], peer=["rtp-nte"])
    expect_digits("phone", digits_heard(phone.lines()), "123#", ("inband",))


@flow
def dtmf_inband_relay_sip_to_pri(tb):
    """rtp dtmf_relay = ["inband"]: the phone's in-band 456* (40 ms) crosses as audio; the PBX hears
    exactly 456*, each tone about as long as the phone's."""
    gw, pbx, phone = sip_to_pri(tb, "456*", 40, "inband", relay=["inband"])
    expect_digits("PBX", digits_heard(pbx.lines(), r"^dtmf (\S) (\w+) ch="), "456*", ("inband",))
    expect_lengths("PBX", lengths_heard(pbx.lines(), "inband"), "456*", 40)


# ---- no digit made up, none merged

@flow
def dtmf_pri_single_tone_no_digit(tb):
    """Talk-off: the PBX plays 770 Hz (a DTMF row tone alone) through the call: the phone hears it
    as audio, and no digit comes by any method, nor in the gateway's log."""
    phone = tb.phone("phone", "--answer-after", "0.2", "--exit-after-calls", "1", "--detect", "770")
    gw = tb.gateway(relay_conf(tb, [voip_peer(100, "2...", phone.port)], ["rtp-nte", "sip-info"]))
    pbx = pbx_call(tb, "--tone", "770", "--hangup-after", "2")
    if pbx.wait_exit() != 0 or phone.wait_exit() != 0:
        raise FlowError("a simulator failed")
    if "on" not in [e for _, e in fl.tone_events(phone.lines(), 770)]:
        raise FlowError("the phone never heard the PBX's 770 Hz")
    expect_digits("phone", digits_heard(phone.lines()), "", ())
    logged = [l for l in gw.errlines() if re.search(r"\bDTMF \S ", l)]
    if logged:
        raise FlowError("the gateway logged digits nobody pressed: %s" % logged)


@flow
def dtmf_pri_repeated_digits_40ms(tb):
    """The PBX presses 55##5 (40 ms, 40 ms gaps): five RFC 4733 events at the phone, none merged."""
    gw, pbx, phone = pri_to_sip(tb, "55##5", 40)
    check_pri_inband_to_sip(gw, pbx, phone, "55##5", 40, ("rfc4733",), NTE)


@flow
def dtmf_sip_repeated_digits_40ms(tb):
    """The phone sends 55##5 as RFC 4733 (40 ms): the PBX hears five tones, none merged."""
    gw, pbx, phone = sip_to_pri(tb, "55##5", 40, "rfc4733")
    check_sip_to_pri_inband(gw, pbx, "55##5", 40, NTE)


# On dahdi spans only these run (flowlib.dsp_on_loopback_only says why).
fl.dsp_on_loopback_only(__name__, keep=(
    "dtmf_pri_inband_to_rfc4733_100ms",
    "dtmf_sip_rfc4733_to_pri_inband_100ms",
    "dtmf_sip_rfc4733_to_pri_keypad_100ms",
    "dtmf_pri_keypad_to_rfc4733",
))
