# sipgw call-flow tests for the codecs of issue 11: G.722 and Opus phones
# calling the T1 PBX and called by it, the tone crossing both ways through
# the transcoder (mu-law on the B-channel, the phone's codec on RTP); the
# phone's ptime honoured; a codec outside the gateway's list refused 488;
# a re-INVITE moving a call from PCMU to G.722 with the audio going on.
# SPDX-License-Identifier: GPL-2.0-only
import re

import flowlib as fl
from flowlib import (FlowError, check_audio_crossed, expect_ladder, flow, pbx_call, pots_peer, sip_ladder,
                     tone_events, voip_peer)


def codec_peer(tag, pattern, port, codecs):
    """A voip dial-peer with a Cisco voice-class codec list."""
    return voip_peer(tag, pattern, port) + " codec = [ %s ];" % ", ".join('"%s"' % c for c in codecs)


def audio_lines(proc, what):
    return [t for _, t in fl.timed(proc.lines(), "AUDIO") if t.startswith(what)]


def expect_codec(phone, want, ptime=None):
    """The phone chose want ("G722/8000") and heard it from the gateway (at ptime ms a packet)."""
    sent = audio_lines(phone, "codec ")
    heard = audio_lines(phone, "rx codec ")
    if not sent or not sent[-1].startswith("codec %s " % want):
        raise FlowError("phone's codec: %s, want %s" % (sent, want))
    if not heard or not heard[-1].startswith("rx codec %s " % want):
        raise FlowError("phone heard %s, want %s" % (heard, want))
    if ptime and not heard[-1].endswith("ptime %d" % ptime):
        raise FlowError("gateway's packets to the phone: %s, want ptime %d (its a=ptime)" % (heard[-1], ptime))


def expect_bridge(gw, name):
    rx = r"pri PCMU <-> rtp %s\b|rtp %s <-> pri PCMU\b" % (name, name)
    if not any(re.search(rx, l) for l in gw.errlines()):
        raise FlowError("gateway did not bridge PCMU <-> %s" % name)


def pri_to_phone(tb, phone_args, peer_codecs):
    phone = tb.phone("phone", "--answer-after", "0.2", "--tone", "1000", "--detect", "2000",
                     "--hangup-after", "1.5", "--exit-after-calls", "1", *phone_args)
    gw = tb.gateway(tb.config([codec_peer(100, "2...", phone.port, peer_codecs)]))
    pbx = pbx_call(tb, "--tone", "2000", "--detect", "1000")
    pbx.wait_exit()
    phone.wait_exit()
    return gw, pbx, phone


def phone_to_pri(tb, phone_args, codecs):
    gw = tb.gateway(tb.config([voip_peer(100, "2...", 9), pots_peer(900, "9T")], codecs=codecs))
    pbx = tb.pbx("--exit-when-done", "--answer-after", "0.3", "--tone", "2000", "--detect", "1000")
    pbx.wait_line(r"EVENT dchan up")
    phone = tb.phone("phone", "--call", "sip:95551234@127.0.0.1:%d" % tb.sip_port, "--from", "2001",
                     "--exit-after-calls", "1", "--tone", "1000", "--detect", "2000", "--hangup-after", "1.5",
                     *phone_args)
    if phone.wait_exit() != 0 or pbx.wait_exit() != 0:
        raise FlowError("a simulator failed")
    return gw, pbx, phone


@flow
def codec_g722_phone_called_by_pbx(tb):
    """PRI -> SIP, dial-peer codec g722-64 first: the G.722 phone answers G.722, tones cross transcoded."""
    gw, pbx, phone = pri_to_phone(tb, ["--codec", "g722,pcmu"], ["g722-64", "g711ulaw"])
    check_audio_crossed(pbx, phone)
    expect_codec(phone, "G722/8000", 20)
    expect_bridge(gw, "G722")


@flow
def codec_opus_phone_ptime30_called_by_pbx(tb):
    """PRI -> SIP, Opus phone asking a=ptime:30: Opus both ways, the gateway's packets are 30 ms."""
    gw, pbx, phone = pri_to_phone(tb, ["--codec", "opus", "--ptime", "30"], ["opus", "g711ulaw"])
    check_audio_crossed(pbx, phone)
    expect_codec(phone, "opus/48000", 30)
    expect_bridge(gw, "opus")


@flow
def codec_g722_phone_calls_pbx(tb):
    """SIP -> PRI, rtp.codecs with G.722 first: the G.722 phone's call is answered G.722, tones cross."""
    gw, pbx, phone = phone_to_pri(tb, ["--codec", "g722"], ["g722-64", "g711ulaw"])
    check_audio_crossed(pbx, phone)
    expect_codec(phone, "G722/8000", 20)
    expect_bridge(gw, "G722")


@flow
def codec_gateway_order_wins(tb):
    """SIP -> PRI, the phone offers opus then PCMU, rtp.codecs says g711ulaw then opus: the gateway
    answers PCMU (its order ranks what the offer has, as IOS's voice-class codec)."""
    gw, pbx, phone = phone_to_pri(tb, ["--codec", "opus,pcmu"], ["g711ulaw", "opus"])
    check_audio_crossed(pbx, phone)
    expect_codec(phone, "PCMU/8000")


@flow
def codec_opus_only_phone_calls_pbx(tb):
    """SIP -> PRI, a phone offering Opus alone, 60 ms: answered Opus, 60 ms packets back, tones cross."""
    gw, pbx, phone = phone_to_pri(tb, ["--codec", "opus", "--ptime", "60"], ["g711ulaw", "opus"])
    check_audio_crossed(pbx, phone)
    expect_codec(phone, "opus/48000", 60)
    expect_bridge(gw, "opus")


@flow
@fl.no_pri
def codec_not_allowed_488(tb):
    """A phone offering only G.722 to a gateway whose list is G.711: 488, no SETUP."""
    gw = tb.gateway(tb.config([voip_peer(100, "2...", 9), pots_peer(900, "9T")]))
    phone = tb.phone("phone", "--call", "sip:95551234@127.0.0.1:%d" % tb.sip_port, "--from", "2001",
                     "--exit-after-calls", "1", "--codec", "g722")
    phone.wait_exit()
    expect_ladder("SIP", sip_ladder(phone.lines()), ["> INVITE", "< 100/INVITE", "< 488/INVITE", "> ACK"])
    if any("SETUP" in l for l in gw.errlines()):
        raise FlowError("a SETUP went out for a call refused 488")


@flow
def codec_reinvite_pcmu_to_g722(tb):
    """PRI -> SIP in PCMU; at 1.2 s the phone re-INVITEs with G.722 alone: 200 with G.722, both ends
    switch, and the tones never stop in either direction."""
    phone = tb.phone("phone", "--answer-after", "0.2", "--tone", "1000", "--detect", "2000",
                     "--hangup-after", "2.5", "--exit-after-calls", "1", "--codec", "pcmu,g722",
                     "--at", "1.2:codec:g722")
    gw = tb.gateway(tb.config([codec_peer(100, "2...", phone.port, ["g711ulaw", "g722-64"])]))
    pbx = pbx_call(tb, "--tone", "2000", "--detect", "1000")
    pbx.wait_exit()
    phone.wait_exit()
    check_audio_crossed(pbx, phone)
    sent = audio_lines(phone, "codec ")
    if [s.split()[1] for s in sent] != ["PCMU/8000", "G722/8000"]:
        raise FlowError("phone's codecs: %s, want PCMU then G.722" % sent)
    expect_codec(phone, "G722/8000")
    if not any(re.search(r"codec PCMU -> G722/8000 pt 9", l) for l in gw.errlines()):
        raise FlowError("gateway did not log the codec change")
    # each detector: on once, never off before the hangup
    t_switch = [ms for ms, t in fl.timed(phone.lines(), "AUDIO") if t.startswith("codec G722")][0]
    for who, proc, hz in (("phone", phone, 2000), ("PBX", pbx, 1000)):
        ev = tone_events(proc.lines(), hz)
        ons = [ms for ms, e in ev if e == "on"]
        offs = [ms for ms, e in ev if e == "off"]
        if len(ons) != 1 or ons[0] > t_switch:
            raise FlowError("%s: tone %d on %s, want once before the switch at %d" % (who, hz, ons, t_switch))
        if offs and offs[0] < t_switch + 800:
            raise FlowError("%s: tone %d off at %d, the switch at %d cut the audio" % (who, hz, offs[0],
                                                                                    t_switch))


def digits_heard(proc):
    return "".join(t.split()[1] for _, t in fl.timed(proc.lines(), "AUDIO") if t.startswith("dtmf "))


@flow
def codec_dtmf_both_ways_g722_and_opus(tb):
    """Digits both ways on G.722 and on Opus calls: the PBX's in-band 159 reach the phone (RFC 4733
    or in the audio), the phone's in-band 2468 cross the transcoder and reach the PBX, each once."""
    for codec, peer in (("g722", "g722-64"), ("opus", "opus")):
        phone = tb.phone("phone-" + codec, "--answer-after", "0.2", "--dtmf", "2468", "--hangup-after", "2.5",
                         "--exit-after-calls", "1", "--codec", codec)
        gw = tb.gateway(tb.config([codec_peer(100, "2...", phone.port, [peer])]))
        pbx = pbx_call(tb, "--dtmf", "159")
        pbx.wait_exit()
        phone.wait_exit()
        gw.stop()
        if digits_heard(phone) != "159" or digits_heard(pbx) != "2468":
            raise FlowError("%s: phone heard %r (want 159), PBX heard %r (want 2468)" % (
                codec, digits_heard(phone), digits_heard(pbx)))


@flow
def codec_reinvite_g722_to_opus(tb):
    """PRI -> SIP in G.722; the phone re-INVITEs with Opus alone: the RTP clock goes from 8 to 48 kHz
    (the jitter buffer starts over), and within 300 ms each end hears the other's tone again."""
    phone = tb.phone("phone", "--answer-after", "0.2", "--tone", "1000", "--detect", "2000",
                     "--hangup-after", "2.5", "--exit-after-calls", "1", "--codec", "g722,opus",
                     "--at", "1.2:codec:opus")
    gw = tb.gateway(tb.config([codec_peer(100, "2...", phone.port, ["g722-64", "opus"])]))
    pbx = pbx_call(tb, "--tone", "2000", "--detect", "1000")
    pbx.wait_exit()
    phone.wait_exit()
    sent = audio_lines(phone, "codec ")
    if [s.split()[1] for s in sent] != ["G722/8000", "opus/48000"]:
        raise FlowError("phone's codecs: %s, want G.722 then Opus" % sent)
    expect_codec(phone, "opus/48000")
    if not any("codec G722 -> opus/48000" in l for l in gw.errlines()):
        raise FlowError("gateway did not log the codec change")
    t_switch = [ms for ms, t in fl.timed(phone.lines(), "AUDIO") if t.startswith("codec opus")][0]
    t_end = [ms for ms, t in fl.timed(phone.lines(), "EVENT") if "ended" in t][0]
    for who, proc, hz in (("phone", phone, 2000), ("PBX", pbx, 1000)):
        ev = tone_events(proc.lines(), hz)
        if not fl.tone_on_during(ev, t_switch + 300, t_end - 100) or \
                any(e == "off" and t_switch + 300 < ms < t_end - 100 for ms, e in ev):
            raise FlowError("%s: tone %d after the switch at %d: %s" % (who, hz, t_switch, ev))


def ptime_flow(ptime, pri_calls):
    def run(tb):
        args = ["--codec", "pcmu", "--ptime", str(ptime)]
        if pri_calls:
            gw, pbx, phone = pri_to_phone(tb, args, ["g711ulaw"])
        else:
            gw, pbx, phone = phone_to_pri(tb, args, ["g711ulaw"])
        check_audio_crossed(pbx, phone)
        expect_codec(phone, "PCMU/8000", ptime)
    run.__doc__ = ("%s, a G.711 phone with a=ptime:%d: the B-channel stays 20 ms, the gateway "
                   "repacketises: tones cross both ways and its packets to the phone are %d ms."
                   % ("PRI -> SIP" if pri_calls else "SIP -> PRI", ptime, ptime))
    run.__name__ = "ptime_%d_pcmu_%s" % (ptime, "called_by_pbx" if pri_calls else "calls_pbx")
    return run


for _pt in (10, 30, 60):
    for _pri in (True, False):
        flow(ptime_flow(_pt, _pri))


@flow
def maxptime_10_honoured(tb):
    """A UA whose answer says a=maxptime:10 and no ptime (RFC 4566 6): the gateway's packets to it
    carry 10 ms (80 PCMU bytes), never the default 20; and the gateway's own SDP says the longest
    packet it takes (a=maxptime:60)."""
    import xferua
    b = xferua.XferUA(tb.sip_port, "2001")
    plain = b.sdp
    b.sdp = lambda: plain().replace("a=rtpmap:0 PCMU/8000\r\n", "a=rtpmap:0 PCMU/8000\r\na=maxptime:10\r\n")
    try:
        tb.gateway(tb.config([voip_peer(100, "2001", b.port)]))
        pbx = pbx_call(tb, "--tone", "1000", "--hangup-after", "1.5")
        b.answer()
        b.rtp.settimeout(2.0)
        sizes = set()
        for _ in range(20):
            pkt = b.rtp.recv(2048)
            sizes.add(len(pkt) - 12)
        if sizes != {80}:
            raise FlowError("payload sizes from the gateway %s, want 80 (10 ms) only" % sorted(sizes))
        invite = [m for m in b.msgs if m.method == "INVITE" and not m.status]
        if not invite or "a=maxptime:60" not in invite[0].body:
            raise FlowError("the gateway's offer has no a=maxptime:60: %r" % invite[0].body)
        pbx.wait_exit()
    finally:
        b.close()


@flow
def vad_comfort_noise_in_silence(tb):
    """rtp vad = true (Cisco's vad): the gateway offers CN/8000 (RFC 3389); the PBX presses four
    digits in-band (the UA takes no telephone-event, so they stay audio), then is silent: the UA
    gets PCMU while the tones play, then CN packets about every 200 ms, no PCMU, the CN level
    byte quiet (>= 55 -dBov); RTP time keeps pace with the clock through the silence."""
    import time
    import xferua
    b = xferua.XferUA(tb.sip_port, "2001")
    plain = b.sdp
    b.sdp = lambda: plain().replace("RTP/AVP 0\r\n", "RTP/AVP 0 13\r\n").replace(
        "a=rtpmap:0 PCMU/8000\r\n", "a=rtpmap:0 PCMU/8000\r\na=rtpmap:13 CN/8000\r\n")
    try:
        tb.gateway(tb.config([voip_peer(100, "2001", b.port)], rtp_extra="vad = true;"))
        pbx = pbx_call(tb, "--dtmf", "1234", "--hangup-after", "3.5")
        b.answer()
        invite = [m for m in b.msgs if m.method == "INVITE" and not m.status]
        if not invite or "a=rtpmap:13 CN/8000" not in invite[0].body:
            raise FlowError("the gateway's offer has no CN/8000 with vad on: %r" % (invite[0].body if invite else None))
        b.rtp.settimeout(2.5)
        pkts = []
        t_end = time.monotonic() + 2.8
        while time.monotonic() < t_end:
            p = b.rtp.recv(2048)
            pkts.append((time.monotonic(), p[1] & 0x7f, p[1] & 0x80, int.from_bytes(p[4:8], "big"), p[12:]))
        pbx.wait_exit()
    finally:
        b.close()
    kinds = [pt for _, pt, _, _, _ in pkts]
    if 0 not in kinds or 13 not in kinds:
        raise FlowError("want PCMU then CN, got payload types %s" % sorted(set(kinds)))
    last_pcmu = len(kinds) - 1 - kinds[::-1].index(0)
    tail = pkts[last_pcmu + 1:]
    if not tail:
        raise FlowError("no CN after the last tone")
    # every talkspurt after a CN starts with the marker bit (RFC 3551 4.1)
    for i in range(1, last_pcmu + 1):
        if kinds[i] == 0 and kinds[i - 1] == 13 and not pkts[i][2]:
            raise FlowError("PCMU after CN without the marker bit (packet %d)" % i)
    span_s = tail[-1][0] - tail[0][0]
    if span_s < 0.8 or not (span_s / 0.2 - 2 <= len(tail) <= span_s / 0.2 + 2):
        raise FlowError("%d CN packets in %.2f s, want one about every 200 ms" % (len(tail), span_s))
    if any(len(pl) < 1 or pl[0] < 55 for _, _, _, _, pl in tail):
        raise FlowError("CN levels %s, want quiet (>= 55 -dBov)" % [pl[0] for _, _, _, _, pl in tail][:5])
    dts = (tail[-1][3] - tail[0][3]) & 0xffffffff
    if abs(dts / 8000.0 - span_s) > 0.1:
        raise FlowError("RTP time moved %.2f s in %.2f s of silence" % (dts / 8000.0, span_s))


@flow
def vad_off_once_a_fax_is_heard(tb):
    """rtp vad = true and a UA taking CN; the PBX answers like a modem (2100 Hz with phase
    reversals): the echo canceller goes off and the SIP leg is told a fax is on the call, so its
    silence suppression stops for the rest of the call (a modem's quiet moments are signal) and its
    jitter buffer holds its delay (a delay change is a phase jump a demodulator does not survive)."""
    import xferua
    b = xferua.XferUA(tb.sip_port, "2001")
    plain = b.sdp
    b.sdp = lambda: plain().replace("RTP/AVP 0\r\n", "RTP/AVP 0 13\r\n").replace(
        "a=rtpmap:0 PCMU/8000\r\n", "a=rtpmap:0 PCMU/8000\r\na=rtpmap:13 CN/8000\r\n")
    try:
        gw = tb.gateway(tb.config([voip_peer(100, "2001", b.port)], rtp_extra="vad = true;"))
        pbx = pbx_call(tb, "--tone-ans", "--hangup-after", "3")
        b.answer()
        gw.wait_line(r"fax on the call: silence suppression off", stream="err", timeout=6)
        pbx.wait_exit()
    finally:
        b.close()
    off = [i for i, l in enumerate(gw.errlines()) if "echo canceller off: ANS/PR" in l]
    told = [i for i, l in enumerate(gw.errlines()) if "fax on the call: silence suppression off" in l]
    if not off or not told or told[0] < off[0]:
        raise FlowError("the fax tone did not reach the SIP leg after the canceller went off")
    if not any("fax on the call: jitter buffer delay held" in l for l in gw.errlines()):
        raise FlowError("the SIP leg's jitter buffer was not held for the fax")


@flow
def rtp_marker_and_time_across_hold(tb):
    """A UA holds the gateway (a=sendonly) and resumes after about a second: nothing comes while
    held; the first packet after the resume carries the marker bit (a new talkspurt) and its RTP
    timestamp moved on with the clock (RFC 3550 5.1: not back to where the hold left it)."""
    import time
    import xferua
    b = xferua.XferUA(tb.sip_port, "2001")

    def rtp(timeout):
        b.rtp.settimeout(timeout)
        p = b.rtp.recv(2048)
        return time.monotonic(), bool(p[1] & 0x80), int.from_bytes(p[4:8], "big")

    try:
        tb.gateway(tb.config([voip_peer(100, "2001", b.port)]))
        pbx = pbx_call(tb, "--tone", "1000", "--hangup-after", "4")
        d = b.answer()
        for _ in range(10):
            t_last, _, ts_last = rtp(2.0)
        b.hold(d)
        t_hold = time.monotonic()
        held = []
        while time.monotonic() < t_hold + 1.0:
            try:
                held.append(rtp(max(0.01, t_hold + 1.0 - time.monotonic())))
            except OSError:
                break
        if [h for h in held if h[0] > t_hold + 0.1]:
            raise FlowError("%d packets while held" % len(held))
        cseq = b.request(d, "INVITE", (), b.sdp())
        r = b.wait(lambda m: m.status >= 200 and m.method == "INVITE", 5.0)
        b.ack(d, cseq)
        if r.status != 200:
            raise FlowError("resume answered %d" % r.status)
        t_first, marker, ts_first = rtp(2.0)
        pbx.wait_exit()
    finally:
        b.close()
    if not marker:
        raise FlowError("the first packet after the resume has no marker bit")
    moved = ((ts_first - ts_last) & 0xffffffff) / 8000.0
    if abs(moved - (t_first - t_last)) > 0.1:
        raise FlowError("RTP time moved %.3f s over %.3f s of hold" % (moved, t_first - t_last))


@flow
def codec_opus_telephone_event_48k(tb):
    """An Opus phone offering telephone-event/48000 beside /8000 (RFC 7587 7, RFC 4733 2.1: events on
    the audio's clock): the gateway answers /48000; the PBX's 123# reach the phone as RFC 4733 of
    about 100 ms (durations in 48 kHz units), and the phone's 456* as RFC 4733 reach the PBX as
    tones of about 100 ms, each digit once."""
    phone = tb.phone("phone", "--answer-after", "0.2", "--codec", "opus", "--dtmf", "456*",
                     "--dtmf-mode", "rfc4733", "--dtmf-after", "0.3", "--hangup-after", "2.5",
                     "--exit-after-calls", "1")
    gw = tb.gateway(tb.config([codec_peer(100, "2...", phone.port, ["opus"])]))
    pbx = pbx_call(tb, "--dtmf", "123#")
    pbx.wait_exit()
    phone.wait_exit()
    if not any("AUDIO telephone-event/48000 pt" in l for l in phone.lines()):
        raise FlowError("the phone did not get telephone-event/48000 in the gateway's answer")
    got = re.findall(r"AUDIO dtmf-end (\S) rfc4733 ms=(\d+)", "\n".join(phone.lines()))
    if "".join(d for d, _ in got) != "123#" or any(abs(int(ms) - 100) > 50 for _, ms in got):
        raise FlowError("the phone's RFC 4733 from the PBX: %s, want 123# of about 100 ms" % got)
    heard = re.findall(r"AUDIO dtmf-end (\S) inband ms=(\d+)", "\n".join(pbx.lines()))
    if "".join(d for d, _ in heard) != "456*" or any(abs(int(ms) - 100) > 50 for _, ms in heard):
        raise FlowError("the PBX heard %s, want 456* of about 100 ms" % heard)


# On dahdi spans only these run (flowlib.dsp_on_loopback_only says why).
fl.dsp_on_loopback_only(__name__, keep=(
    "codec_g722_phone_called_by_pbx",
    "ptime_30_pcmu_called_by_pbx",
))
