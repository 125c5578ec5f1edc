# sipgw call-flow tests for what the audio path does beyond B-1: early
# media (183 with SDP before the answer), SpanDSP transcoding to a PCMA
# phone on a mu-law T1, and an E1 EuroISDN span speaking A-law.
# SPDX-License-Identifier: GPL-2.0-only
import re

import flowlib as fl
from flowlib import (PBX_CONNECTED, FlowError, check_audio_crossed, expect_ladder, flow, pbx_call, q931_ladder,
                     tone_events, voip_peer)


@flow
def early_media_183(tb):
    """183 with SDP -> PROGRESS pi=8 and audio cut through before the answer."""
    phone = tb.phone("phone", "--no-ringing", "--early-media", "--answer-after", "1.2", "--tone", "1000",
                     "--hangup-after", "0.6", "--exit-after-calls", "1")
    tb.gateway(tb.config([voip_peer(100, "2...", phone.port)]))
    pbx = pbx_call(tb, "--detect", "1000")
    pbx.wait_exit()
    phone.wait_exit()
    lad = q931_ladder(pbx.lines())
    if lad[:3] != ["> SETUP", "< CALL PROCEEDING", "< PROGRESS pi=8"] or "< CONNECT" not in lad:
        raise FlowError("PRI ladder for early media: %s" % lad)
    t_conn = [ms for ms, t in fl.timed(pbx.lines(), "Q931") if t.startswith("< CONNECT ")][0]
    ons = [ms for ms, e in tone_events(pbx.lines(), 1000) if e == "on"]
    if not ons or ons[0] >= t_conn:
        raise FlowError("no early audio before CONNECT (tone on at %s, CONNECT at %d)" % (ons, t_conn))


@flow
def transcoding_pcma_phone_on_t1(tb):
    """The phone answers PCMA on a mu-law T1: SpanDSP transcodes, audio crosses."""
    phone = tb.phone("phone", "--codecs", "pcma", "--answer-after", "0.2", "--tone", "1000",
                     "--detect", "2000", "--hangup-after", "1.2", "--exit-after-calls", "1")
    gw = tb.gateway(tb.config([voip_peer(100, "2...", phone.port)]))
    pbx = pbx_call(tb, "--tone", "2000", "--detect", "1000")
    pbx.wait_exit()
    phone.wait_exit()
    check_audio_crossed(pbx, phone)
    if not any("pri PCMU <-> rtp PCMA" in l for l in gw.errlines()):
        raise FlowError("gateway did not log the PCMU <-> PCMA bridge")


@flow
def e1_euroisdn_alaw(tb):
    """E1 EuroISDN span: A-law on the B-channel, PCMA offered first, audio crosses."""
    phone = tb.phone("phone", "--codecs", "pcmu,pcma", "--answer-after", "0.2", "--tone", "1000",
                     "--detect", "2000", "--hangup-after", "1.2", "--exit-after-calls", "1")
    gw = tb.gateway(tb.config([voip_peer(100, "2...", phone.port)], framing="e1", switch="euroisdn"))
    pbx = pbx_call(tb, "--framing", "e1", "--switch", "euroisdn", "--tone", "2000", "--detect", "1000")
    pbx.wait_exit()
    phone.wait_exit()
    check_audio_crossed(pbx, phone)
    if not any(re.search(r"pri PCMA <-> rtp PCM[AU]", l) for l in gw.errlines()):
        raise FlowError("E1 span did not speak A-law")
    expect_ladder("PRI", q931_ladder(pbx.lines()),
                  PBX_CONNECTED + ["< DISCONNECT cause=16", "> RELEASE", "< RELEASE COMPLETE"])
