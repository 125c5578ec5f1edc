# sipgw call-flow tests for the PRI side's echo canceller and country tones
# (issue 11 items 3 and 4): the PBX simulator as a 2-wire tail returning
# what it hears (--echo), as a fax/modem answering with 2100 Hz and phase
# reversals (--tone-ans), and as a PBX listening for ringback while the
# phone rings with 180 without SDP. SPDX-License-Identifier: GPL-2.0-only
import os
import re

import flowlib as fl
from flowlib import FlowError, flow, pbx_call, span_keys, tone_events, voip_peer

# espeak-ng speech (tests/data/README.md): what an NLMS canceller is built for
SPEECH = os.path.join(fl.SRCDIR, "tests", "data", "speech_far.s16")
EC_END = re.compile(r"echo canceller (on|off): ERLE (-|[\d.-]+ dB) ERL (-|>?[\d.-]+ dB)")


CALL_END = re.compile(r"ended, cause \d+ .* ec=(on|off) erle=(-|[\d.-]+dB) erl=(-|>?[\d.-]+dB)")


def call_end_ec(gw):
    """(state, ERLE, ERL) from the call's end line (bridge: 'call N ended, cause ... ec=on erle=... erl=...')."""
    for ln in gw.errlines():
        m = CALL_END.search(ln)
        if m:
            return m.group(1), m.group(2), m.group(3)
    raise FlowError("no ec= figures in the call's end line:\n%s" % "\n".join(gw.errlines()[-10:]))


def ec_end(gw):
    """(state, ERLE dB or None, ERL dB or None) from the PRI leg's end line."""
    for ln in gw.errlines():
        m = EC_END.search(ln)
        if m:
            num = [None if v == "-" else float(v.split()[0].lstrip(">")) for v in (m.group(2), m.group(3))]
            return m.group(1), num[0], num[1]
    raise FlowError("no echo canceller line at the call's end:\n%s" % "\n".join(gw.errlines()[-20:]))


@flow
def ec_fax_ans_pr_turns_ec_off(tb):
    """echo_cancel = true; the PBX answers like a modem (2100 Hz, phase reversals): EC goes off."""
    phone = tb.phone("phone", "--answer-after", "0.2", "--hangup-after", "3.5", "--exit-after-calls", "1")
    gw = tb.gateway(span_keys(tb.config([voip_peer(100, "2...", phone.port)]), "echo_cancel = true;"))
    pbx = pbx_call(tb, "--tone-ans")
    pbx.wait_exit()
    phone.wait_exit()
    off = [l for l in gw.errlines() if "echo canceller off: ANS/PR from the PBX" in l]
    if len(off) != 1:
        raise FlowError("want one 'echo canceller off: ANS/PR from the PBX', got %s" % off)
    # SpanDSP hears ANS/ after its first reversal (450 ms) and a second look
    t = float(re.search(r"at (\d+\.\d+) s", off[0]).group(1))
    if not 0.4 <= t <= 2.5:
        raise FlowError("EC off %.2f s into the call; ANS/ should be recognised within ~2 s" % t)
    if ec_end(gw)[0] != "off" or call_end_ec(gw)[0] != "off":
        raise FlowError("the call's end line does not say the canceller was off")


@flow
def ec_stays_on_for_voice(tb):
    """A voice call (tones both ways, no fax tone): the canceller stays on all through."""
    phone = tb.phone("phone", "--answer-after", "0.2", "--tone", "1000", "--hangup-after", "2",
                     "--exit-after-calls", "1")
    gw = tb.gateway(tb.config([voip_peer(100, "2...", phone.port)]))
    pbx = pbx_call(tb, "--tone", "2000")
    pbx.wait_exit()
    phone.wait_exit()
    if any("echo canceller off" in l for l in gw.errlines()):
        raise FlowError("a voice call turned the echo canceller off")
    if ec_end(gw)[0] != "on":
        raise FlowError("the end line does not say the canceller was on")


@flow
def ec_no_echo_line_says_so(tb):
    """The loopback PBX returns no echo: the end line says so instead of a made-up ERLE."""
    phone = tb.phone("phone", "--answer-after", "0.2", "--play", SPEECH, "--hangup-after", "4",
                     "--exit-after-calls", "1")
    gw = tb.gateway(tb.config([voip_peer(100, "2...", phone.port)]))
    pbx = pbx_call(tb)
    pbx.wait_exit()
    phone.wait_exit()
    if not any(re.search(r"echo canceller on: ERLE - ERL >40 dB \(no echo heard\)", l) for l in gw.errlines()):
        raise FlowError("no 'no echo heard' end line:\n%s" % "\n".join(gw.errlines()[-10:]))
    if call_end_ec(gw) != ("on", "-", ">40dB"):
        raise FlowError("call end line says %s, want ec=on erle=- erl=>40dB" % (call_end_ec(gw),))


def echo_call(tb, ec, *phone_args):
    """The phone talks (espeak-ng speech) into a PBX whose 2-wire tail returns it at ERL 9 dB."""
    phone = tb.phone("phone", "--answer-after", "0.2", "--hangup-after", "6", "--exit-after-calls", "1",
                     *phone_args)
    gw = tb.gateway(span_keys(tb.config([voip_peer(100, "2...", phone.port)]),
                              "echo_cancel = %s;" % ("true" if ec else "false")))
    pbx = pbx_call(tb, "--echo", "9")
    pbx.wait_exit()
    phone.wait_exit()
    return gw, phone


@flow
def ec_cancels_a_hybrids_echo(tb):
    """Speech into a hybrid with ERL 9 dB: ERLE >= 30 dB and the ERL in the call's end line."""
    gw, _ = echo_call(tb, True, "--play", SPEECH)
    state, erle, erl = ec_end(gw)
    if state != "on" or erle is None or erle < 30:
        raise FlowError("ERLE %s dB (want >= 30), ERL %s" % (erle, erl))
    # the hybrid's ERL is 9 dB for white noise; speech through G.168 D.2, thereabouts
    if erl is None or not 5 <= erl <= 13:
        raise FlowError("ERL %s dB, want the hybrid's ~9 dB" % erl)
    # the same figures in the call's end line, beside the RTP ones
    if call_end_ec(gw) != ("on", "%.1fdB" % erle, "%.1fdB" % erl):
        raise FlowError("call end line %s, leg line ERLE %s ERL %s" % (call_end_ec(gw), erle, erl))


@flow
def ec_on_phone_hears_no_echo(tb):
    """The phone's 1 kHz into the same hybrid: with the canceller it does not hear itself back."""
    gw, phone = echo_call(tb, True, "--tone", "1000", "--detect", "1000")
    ev = tone_events(phone.lines(), 1000)
    # the echo may be heard while the canceller converges (well under a second), then no more
    if ev and (ev[-1][1] == "on" or ev[-1][0] - ev[0][0] > 1000):
        raise FlowError("the phone heard its own 1 kHz echo: %s" % ev)
    state, erle, erl = ec_end(gw)
    if state != "on" or erle is None or erle < 30:
        raise FlowError("ERLE %s dB on the tone (want >= 30), ERL %s" % (erle, erl))


@flow
def ec_off_phone_hears_echo(tb):
    """Control for the test above: echo_cancel = false, and the phone hears its 1 kHz come back."""
    gw, phone = echo_call(tb, False, "--tone", "1000", "--detect", "1000")
    ev = tone_events(phone.lines(), 1000)
    if not ev or ev[0][1] != "on":
        raise FlowError("with no canceller the phone should hear its 1 kHz echo: %s" % ev)
    if any("echo canceller" in l for l in gw.errlines()):
        raise FlowError("echo_cancel = false, yet a canceller ran")


def ringback_runs(lines, name):
    """[(ms, 'on'|'off')] of the PBX's dual-tone detector for name ('440+480')."""
    rx = re.compile(r"^tone %s (on|off)" % re.escape(name))
    return [(ms, rx.match(t).group(1)) for ms, t in fl.timed(lines, "AUDIO") if rx.match(t)]


@flow
def ringback_to_pbx_on_180_without_sdp(tb):
    """inband_ringback: the phone rings (180, no SDP): the PBX hears US ringback 440+480, 2 s on 4 s off."""
    phone = tb.phone("phone", "--answer-after", "7", "--hangup-after", "0.5", "--exit-after-calls", "1")
    gw = tb.gateway(span_keys(tb.config([voip_peer(100, "2...", phone.port)]),
                              'tone_zone = "us"; inband_ringback = true;'))
    pbx = pbx_call(tb, "--detect", "440+480")
    pbx.wait_exit()
    phone.wait_exit()
    ev = ringback_runs(pbx.lines(), "440+480")
    t_conn = [ms for ms, t in fl.timed(pbx.lines(), "Q931") if t.startswith("< CONNECT ")]
    if not t_conn:
        raise FlowError("no CONNECT at the PBX")
    alerting = [t for _, t in fl.timed(pbx.lines(), "Q931") if t.startswith("< ALERTING ")]
    if not alerting or "pi=8" not in alerting[0]:
        raise FlowError("ALERTING without progress indicator 8 (in-band information): %s" % alerting)
    if [e for _, e in ev[:3]] != ["on", "off", "on"]:
        raise FlowError("ringback events %s, want on, off, on" % ev)
    on_ms, off_ms = ev[1][0] - ev[0][0], ev[2][0] - ev[1][0]
    if abs(on_ms - 2000) > 100 or abs(off_ms - 4000) > 100:
        raise FlowError("ringback cadence %d ms on / %d ms off, want 2000 / 4000" % (on_ms, off_ms))
    if any(e == "on" and ms > t_conn[0] + 100 for ms, e in ev):
        raise FlowError("ringback went on after the answer: %s, CONNECT at %d" % (ev, t_conn[0]))


@flow
def ringback_e1_default_zone_de(tb):
    """An E1 span without tone_zone rings 425 Hz 1 s on / 4 s off ("de", the E1 default)."""
    phone = tb.phone("phone", "--answer-after", "5.5", "--hangup-after", "0.3", "--exit-after-calls", "1")
    gw = tb.gateway(span_keys(tb.config([voip_peer(100, "2...", phone.port)], framing="e1", switch="euroisdn"),
                              "inband_ringback = true;"))
    pbx = pbx_call(tb, "--framing", "e1", "--switch", "euroisdn", "--detect", "425")
    pbx.wait_exit()
    phone.wait_exit()
    ev = tone_events(pbx.lines(), 425)
    if [e for _, e in ev[:3]] != ["on", "off", "on"]:
        raise FlowError("425 Hz events %s, want on, off, on" % ev)
    on_ms, off_ms = ev[1][0] - ev[0][0], ev[2][0] - ev[1][0]
    if abs(on_ms - 1000) > 100 or abs(off_ms - 4000) > 100:
        raise FlowError("ringback cadence %d / %d ms, want 1000 / 4000" % (on_ms, off_ms))


@flow
def no_ringback_unless_asked(tb):
    """Without inband_ringback the PBX makes its own ringback: sipgw plays none."""
    phone = tb.phone("phone", "--answer-after", "2.5", "--hangup-after", "0.3", "--exit-after-calls", "1")
    tb.gateway(tb.config([voip_peer(100, "2...", phone.port)]))
    pbx = pbx_call(tb, "--detect", "440+480")
    pbx.wait_exit()
    phone.wait_exit()
    ev = ringback_runs(pbx.lines(), "440+480")
    if ev:
        raise FlowError("the PBX heard ringback it did not ask for: %s" % ev)


@flow
def ec_off_for_clear_channel_data(tb):
    """A SETUP whose bearer is 64 kbit/s unrestricted digital (Q.931 4.5.5) is data: the gateway
    runs no echo canceller and no DTMF detection on it, so the PBX's 123# (were it data that looks
    like tones) reaches the phone as audio, not as RFC 4733 events; a voice call beside it has both."""
    phone = tb.phone("phone", "--answer-after", "0.2", "--hangup-after", "2.5", "--exit-after-calls", "1")
    gw = tb.gateway(tb.config([voip_peer(100, "2...", phone.port)]))
    pbx = pbx_call(tb, "--data-call", "--dtmf", "123#")
    pbx.wait_exit()
    phone.wait_exit()
    if not any("clear-channel data bearer: echo canceller and DTMF detection off" in l for l in gw.errlines()):
        raise FlowError("the gateway did not take the data bearer as clear channel")
    if call_end_ec(gw)[0] != "off":
        raise FlowError("the end line does not say the canceller was off: %s" % (call_end_ec(gw),))
    heard = re.findall(r"AUDIO dtmf (\S) (\S+)", "\n".join(phone.lines()))
    if any(m == "rfc4733" for _, m in heard):
        raise FlowError("DTMF detected on a data call and sent as RFC 4733: %s" % heard)
    if "".join(d for d, m in heard if m == "inband") != "123#":
        raise FlowError("the data call's bytes did not cross untouched (phone heard %s)" % heard)


# On dahdi spans only these run (flowlib.dsp_on_loopback_only says why).
fl.dsp_on_loopback_only(__name__, keep=(
    "ec_cancels_a_hybrids_echo",
    "ringback_to_pbx_on_180_without_sdp",
    "ec_off_for_clear_channel_data",
))
