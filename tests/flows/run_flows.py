#!/usr/bin/env python3
# sipgw call-flow tests: each seed figure (Appendix B) runs the real sipgw,
# sipgw-pbx (libpri) and sipgw-phone (Sofia-SIP) over loopback and checks
# the ladder on both legs, the causes, and the audio that crossed.
# SPDX-License-Identifier: GPL-2.0-only
import argparse
import os
import re
import shutil
import signal
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import flowlib as fl  # noqa: E402
from flowlib import FlowError, expect_ladder, q931_ladder, sip_ladder, tone_events, tone_on_during  # noqa: E402

from flowlib import TESTS, flow  # noqa: E402
from flowlib import pots_peer, voip_peer  # noqa: E402


PBX_CONNECTED = ["> SETUP", "< CALL PROCEEDING", "< ALERTING", "< CONNECT", "> CONNECT ACKNOWLEDGE"]
PHONE_ANSWERED = ["< INVITE", "> 100/INVITE", "> 180/INVITE", "> 200/INVITE", "< ACK"]


def clearing_ladder(cause):
    """SETUP refused after CALL PROCEEDING: DISCONNECT, or for the causes libpri
    clears at once (1, 34, 44, 81, 82) RELEASE COMPLETE."""
    if cause in (1, 34, 44, 81, 82):
        return ["> SETUP", "< CALL PROCEEDING", "< RELEASE COMPLETE cause=%d" % cause]
    return ["> SETUP", "< CALL PROCEEDING", "< DISCONNECT cause=%d" % cause, "> RELEASE", "< RELEASE COMPLETE"]


def pbx_call(tb, *extra):
    return tb.pbx("--call", "2001", "--calling", "5551000", "--name", "User A", "--exit-when-done", *extra)


def check_audio_crossed(pbx, phone, pbx_hz=2000, phone_hz=1000):
    if ("on" not in [e for _, e in tone_events(pbx.lines(), phone_hz)]):
        raise FlowError("PBX never heard the phone's %d Hz tone" % phone_hz)
    if ("on" not in [e for _, e in tone_events(phone.lines(), pbx_hz)]):
        raise FlowError("phone never heard the PBX's %d Hz tone" % pbx_hz)


@flow
def b01_setup_and_disconnect(tb):
    """B-1: PBX calls the phone, phone answers, phone hangs up; audio both ways."""
    phone = tb.phone("phone", "--answer-after", "0.3", "--tone", "1000", "--detect", "2000",
                     "--hangup-after", "1.5", "--exit-after-calls", "1")
    tb.gateway(tb.config([voip_peer(100, "2...", phone.port)]))
    pbx = pbx_call(tb, "--tone", "2000", "--detect", "1000")
    if pbx.wait_exit() != 0 or phone.wait_exit() != 0:
        raise FlowError("a simulator failed")
    expect_ladder("PRI", q931_ladder(pbx.lines()),
                  PBX_CONNECTED + ["< DISCONNECT cause=16", "> RELEASE", "< RELEASE COMPLETE"])
    expect_ladder("SIP", sip_ladder(phone.lines()), PHONE_ANSWERED + ["> BYE", "< 200/BYE"])
    inv = fl.sip_lines(phone.lines(), r"^< INVITE ")[0][1]
    if not re.search(r"INVITE sip:2001@127\.0\.0\.1:%d;user=phone" % phone.port, inv):
        raise FlowError("Request-URI is not sip:2001@target;user=phone: " + inv)
    phone.wait_line(r'EVENT call 1 incoming from=5551000 display="User A" to=2001')
    check_audio_crossed(pbx, phone)


@flow
def b02_call_hold(tb):
    """B-2: the phone holds (c=0.0.0.0) and resumes; no audio either way while held."""
    phone = tb.phone("phone", "--answer-after", "0.2", "--tone", "1000", "--detect", "2000",
                     "--hold-at", "1.0", "--unhold-at", "2.5", "--hangup-after", "3.8",
                     "--exit-after-calls", "1")
    tb.gateway(tb.config([voip_peer(100, "2...", phone.port)]))
    pbx = pbx_call(tb, "--tone", "2000", "--detect", "1000")
    if pbx.wait_exit() != 0 or phone.wait_exit() != 0:
        raise FlowError("a simulator failed")
    expect_ladder("PRI", q931_ladder(pbx.lines()),
                  PBX_CONNECTED + ["< DISCONNECT cause=16", "> RELEASE", "< RELEASE COMPLETE"])
    expect_ladder("SIP", sip_ladder(phone.lines()), PHONE_ANSWERED + [
        "> INVITE", "< 100/INVITE", "< 200/INVITE", "> ACK",     # hold
        "> INVITE", "< 100/INVITE", "< 200/INVITE", "> ACK",     # resume
        "> BYE", "< 200/BYE"])
    invs = fl.sip_lines(phone.lines(), r"^> INVITE ")
    if "c=0.0.0.0" not in invs[0][1] or "c=127.0.0.1 sendrecv" not in invs[1][1]:
        raise FlowError("hold/resume SDP not as in B-2: %s" % invs)
    oks = fl.sip_lines(phone.lines(), r"^< 200 OK \(INVITE\)")
    t_held, t_resume = oks[0][0], invs[1][0]
    # Allow 120 ms for frames already in flight and the detector's hysteresis.
    for who, proc, hz in (("PBX", pbx, 1000), ("phone", phone, 2000)):
        ev = tone_events(proc.lines(), hz)
        if not tone_on_during(ev, 0, t_held):
            raise FlowError("%s heard no %d Hz before the hold: %s" % (who, hz, ev))
        if tone_on_during(ev, t_held + 120, t_resume):
            raise FlowError("%s heard %d Hz while held (%d..%d): %s" % (who, hz, t_held, t_resume, ev))
        if not tone_on_during(ev, t_resume, 10 ** 12):
            raise FlowError("%s heard no %d Hz after resume: %s" % (who, hz, ev))


@flow
def session_refresh_is_not_hold(tb):
    """A re-INVITE with unchanged SDP (session timer) keeps audio flowing."""
    phone = tb.phone("phone", "--answer-after", "0.2", "--tone", "1000", "--detect", "2000",
                     "--refresh-at", "0.8", "--hangup-after", "2.0", "--exit-after-calls", "1")
    gw = tb.gateway(tb.config([voip_peer(100, "2...", phone.port)]))
    pbx = pbx_call(tb, "--tone", "2000", "--detect", "1000")
    if pbx.wait_exit() != 0 or phone.wait_exit() != 0:
        raise FlowError("a simulator failed")
    expect_ladder("SIP", sip_ladder(phone.lines()), PHONE_ANSWERED + [
        "> INVITE", "< 100/INVITE", "< 200/INVITE", "> ACK", "> BYE", "< 200/BYE"])
    ok = fl.sip_lines(phone.lines(), r"^< 200 OK \(INVITE\)")[0][1]
    if "sendrecv" not in ok:
        raise FlowError("refresh answered with " + ok)
    t_ref = fl.sip_lines(phone.lines(), r"^> INVITE ")[0][0]
    t_bye = fl.sip_lines(phone.lines(), r"^> BYE ")[0][0]
    for proc, hz in ((pbx, 1000), (phone, 2000)):
        offs = [ms for ms, e in tone_events(proc.lines(), hz) if e == "off" and t_ref <= ms < t_bye]
        if offs:
            raise FlowError("audio stopped after a session refresh (%s at %s)" % (proc.name, offs))
    if any("holds the call" in l for l in gw.errlines()):
        raise FlowError("gateway took a refresh for a hold")


@flow
def b14_busy(tb):
    """B-14: 486 Busy Here -> DISCONNECT cause 17."""
    phone = tb.phone("phone", "--reject", "486", "--exit-after-calls", "1")
    tb.gateway(tb.config([voip_peer(100, "2...", phone.port)]))
    pbx = pbx_call(tb)
    pbx.wait_exit()
    phone.wait_exit()
    expect_ladder("PRI", q931_ladder(pbx.lines()),
                  ["> SETUP", "< CALL PROCEEDING", "< DISCONNECT cause=17", "> RELEASE", "< RELEASE COMPLETE"])
    expect_ladder("SIP", sip_ladder(phone.lines()), ["< INVITE", "> 100/INVITE", "> 486/INVITE", "< ACK"])


@flow
def b15_no_answer(tb):
    """B-15: ring-no-answer timer -> CANCEL (Reason cause 19) and DISCONNECT cause 19."""
    phone = tb.phone("phone", "--ring-forever", "--exit-after-calls", "1")
    tb.gateway(tb.config([voip_peer(100, "2...", phone.port)], ring_timeout=1.5))
    pbx = pbx_call(tb)
    pbx.wait_exit()
    phone.wait_exit()
    expect_ladder("PRI", q931_ladder(pbx.lines()),
                  ["> SETUP", "< CALL PROCEEDING", "< ALERTING", "< DISCONNECT cause=19", "> RELEASE",
                   "< RELEASE COMPLETE"])
    expect_ladder("SIP", sip_ladder(phone.lines()),
                  ["< INVITE", "> 100/INVITE", "> 180/INVITE", "< CANCEL", "> 200/CANCEL", "> 487/INVITE", "< ACK"])
    cancel = fl.sip_lines(phone.lines(), r"^< CANCEL")[0][1]
    if "cause=19" not in cancel:
        raise FlowError("CANCEL carries no Reason cause=19: " + cancel)


def b16_case(tb, status, cause, second_peer=True, reason=None):
    args = ["--reject", str(status), "--exit-after-calls", "1"]
    if reason:
        args += ["--reject-reason", str(reason)]
    phone = tb.phone("phone", *args)
    peers = [voip_peer(100, "2...", phone.port, 0)]
    other = None
    if second_peer:
        other = tb.phone("phone2", "--answer-after", "0.1", "--hangup-after", "0.5", "--exit-after-calls", "1")
        peers.append(voip_peer(101, "2...", other.port, 1))
    tb.gateway(tb.config(peers))
    pbx = pbx_call(tb)
    pbx.wait_exit()
    phone.wait_exit()
    expect_ladder("PRI", q931_ladder(pbx.lines()), clearing_ladder(cause))
    expect_ladder("SIP", sip_ladder(phone.lines()),
                  ["< INVITE", "> 100/INVITE", "> %d/INVITE" % status, "< ACK"])
    if other and fl.sip_lines(other.lines(), r"INVITE"):
        raise FlowError("a %d must not be hunted to the next dial-peer" % status)


@flow
def b16_4xx_no_hunt(tb):
    """B-16: 404 -> cause 1 and no other dial-peer is tried."""
    b16_case(tb, 404, 1)


@flow
def b16_6xx_stops(tb):
    """B-16: 603 Decline -> cause 21, hunting stops."""
    b16_case(tb, 603, 21)


@flow
def b16_reason_preferred(tb):
    """RFC 6432: 480 with Reason Q.850 cause 17 -> DISCONNECT cause 17 (not 18)."""
    b16_case(tb, 480, 17, second_peer=False, reason=17)


@flow
def b16_5xx_hunts(tb):
    """B-16: 503 from the first dial-peer -> the next by preference answers."""
    bad = tb.phone("phone", "--reject", "503", "--exit-after-calls", "1")
    good = tb.phone("phone2", "--answer-after", "0.2", "--tone", "1000", "--detect", "2000",
                    "--hangup-after", "1.0", "--exit-after-calls", "1")
    tb.gateway(tb.config([voip_peer(101, "2...", good.port, 1), voip_peer(100, "2...", bad.port, 0)]))
    pbx = pbx_call(tb, "--tone", "2000", "--detect", "1000")
    pbx.wait_exit()
    bad.wait_exit()
    good.wait_exit()
    expect_ladder("SIP first peer", sip_ladder(bad.lines()), ["< INVITE", "> 100/INVITE", "> 503/INVITE", "< ACK"])
    expect_ladder("SIP second peer", sip_ladder(good.lines()), PHONE_ANSWERED + ["> BYE", "< 200/BYE"])
    expect_ladder("PRI", q931_ladder(pbx.lines()),
                  PBX_CONNECTED + ["< DISCONNECT cause=16", "> RELEASE", "< RELEASE COMPLETE"])
    check_audio_crossed(pbx, good)


@flow
def b16_5xx_exhausted(tb):
    """B-16: every dial-peer answers 503 -> the mapped cause (41) to the PBX."""
    a = tb.phone("phone", "--reject", "503", "--exit-after-calls", "1")
    b = tb.phone("phone2", "--reject", "503", "--exit-after-calls", "1")
    tb.gateway(tb.config([voip_peer(100, "2...", a.port, 0), voip_peer(101, "2...", b.port, 1)]))
    pbx = pbx_call(tb)
    pbx.wait_exit()
    for p in (a, b):
        p.wait_exit()
        expect_ladder("SIP " + p.name, sip_ladder(p.lines()), ["< INVITE", "> 100/INVITE", "> 503/INVITE", "< ACK"])
    expect_ladder("PRI", q931_ladder(pbx.lines()),
                  ["> SETUP", "< CALL PROCEEDING", "< DISCONNECT cause=41", "> RELEASE", "< RELEASE COMPLETE"])


@flow
def b16_no_response_hunts(tb):
    """B-16: a dial-peer that never answers (Timer B) -> the next one is tried."""
    import socket
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    try:
        good = tb.phone("phone2", "--answer-after", "0.1", "--hangup-after", "0.5", "--exit-after-calls", "1")
        tb.gateway(tb.config([voip_peer(100, "2...", silent.getsockname()[1], 0),
                              voip_peer(101, "2...", good.port, 1)], timer_b=1))
        pbx = pbx_call(tb)
        pbx.wait_exit()
        good.wait_exit()
        n = 0
        silent.setblocking(False)
        try:
            while silent.recv(65536):
                n += 1
        except BlockingIOError:
            pass
        if n == 0:
            raise FlowError("the silent dial-peer got no INVITE")
        expect_ladder("SIP second peer", sip_ladder(good.lines()), PHONE_ANSWERED + ["> BYE", "< 200/BYE"])
        expect_ladder("PRI", q931_ladder(pbx.lines()),
                      PBX_CONNECTED + ["< DISCONNECT cause=16", "> RELEASE", "< RELEASE COMPLETE"])
    finally:
        silent.close()


@flow
def no_dial_peer_cause_1(tb):
    """A number no dial-peer matches -> DISCONNECT cause 1, nothing sent to SIP."""
    phone = tb.phone("phone", "--exit-after-calls", "1")
    tb.gateway(tb.config([voip_peer(100, "2...", phone.port)]))
    pbx = tb.pbx("--call", "9999", "--calling", "5551000", "--exit-when-done")
    pbx.wait_exit()
    expect_ladder("PRI", q931_ladder(pbx.lines()), clearing_ladder(1))
    if fl.sip_lines(phone.lines(), "INVITE"):
        raise FlowError("an unmatched number reached SIP")


@flow
def pbx_clears_while_ringing(tb):
    """Early clearing: PBX DISCONNECT before answer -> CANCEL with Reason cause 16."""
    phone = tb.phone("phone", "--ring-forever", "--exit-after-calls", "1")
    tb.gateway(tb.config([voip_peer(100, "2...", phone.port)]))
    pbx = pbx_call(tb, "--cancel-after", "0.8")
    pbx.wait_exit()
    phone.wait_exit()
    expect_ladder("PRI", q931_ladder(pbx.lines()),
                  ["> SETUP", "< CALL PROCEEDING", "< ALERTING", "> DISCONNECT cause=16", "< RELEASE",
                   "> RELEASE COMPLETE"])
    expect_ladder("SIP", sip_ladder(phone.lines()),
                  ["< INVITE", "> 100/INVITE", "> 180/INVITE", "< CANCEL", "> 200/CANCEL", "> 487/INVITE", "< ACK"])
    if "cause=16" not in fl.sip_lines(phone.lines(), r"^< CANCEL")[0][1]:
        raise FlowError("CANCEL without Reason cause=16")


@flow
def pbx_clears_after_answer(tb):
    """Early clearing after answer: PBX DISCONNECT -> BYE with Reason cause 16."""
    phone = tb.phone("phone", "--answer-after", "0.2", "--exit-after-calls", "1")
    tb.gateway(tb.config([voip_peer(100, "2...", phone.port)]))
    pbx = pbx_call(tb, "--hangup-after", "0.8")
    pbx.wait_exit()
    phone.wait_exit()
    expect_ladder("PRI", q931_ladder(pbx.lines()),
                  PBX_CONNECTED + ["> DISCONNECT cause=16", "< RELEASE", "> RELEASE COMPLETE"])
    expect_ladder("SIP", sip_ladder(phone.lines()), PHONE_ANSWERED + ["< BYE", "> 200/BYE"])
    if "cause=16" not in fl.sip_lines(phone.lines(), r"^< BYE")[0][1]:
        raise FlowError("BYE without Reason cause=16")


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


@flow
def sigterm_clears_calls(tb):
    """SIGTERM with a call up: DISCONNECT cause 16 to the PBX, BYE to the phone, exit 0."""
    phone = tb.phone("phone", "--answer-after", "0.1", "--exit-after-calls", "1")
    gw = tb.gateway(tb.config([voip_peer(100, "2...", phone.port)]))
    pbx = pbx_call(tb)
    pbx.wait_line(r"EVENT call 1 connected")
    gw.p.send_signal(signal.SIGTERM)
    if gw.wait_exit() != 0:
        raise FlowError("sipgw exited non-zero on SIGTERM")
    pbx.wait_exit()
    phone.wait_exit()
    if "< DISCONNECT cause=16" not in q931_ladder(pbx.lines()):
        raise FlowError("no DISCONNECT cause 16: %s" % q931_ladder(pbx.lines()))
    if "< BYE" not in sip_ladder(phone.lines()):
        raise FlowError("no BYE: %s" % sip_ladder(phone.lines()))


@flow
def pbx_reconnect_and_vanish(tb):
    """The PBX vanishes mid-call (phone gets BYE, cause 38), reconnects, calls again."""
    phone = tb.phone("phone", "--answer-after", "0.1", "--hangup-after", "0.5", "--exit-after-calls", "2")
    tb.gateway(tb.config([voip_peer(100, "2...", phone.port)]))
    pbx = pbx_call(tb)
    pbx.wait_line(r"EVENT call 1 connected")
    pbx.stop(signal.SIGKILL)
    phone.wait_line(r"EVENT call 1 ended")
    bye = fl.sip_lines(phone.lines(), r"^< BYE")
    if not bye or "cause=38" not in bye[0][1]:
        raise FlowError("vanished PBX: expected BYE with cause 38, got %s" % bye)
    pbx2 = pbx_call(tb)
    pbx2.name = "pbx2"
    if pbx2.wait_exit() != 0:
        raise FlowError("second PBX call failed")
    phone.wait_exit()
    expect_ladder("PRI after reconnect", q931_ladder(pbx2.lines()),
                  PBX_CONNECTED + ["< DISCONNECT cause=16", "> RELEASE", "< RELEASE COMPLETE"])


@flow
def bad_config_exits_with_line(tb):
    """A bad config line: sipgw names file and line and exits non-zero."""
    path = os.path.join(tb.dir, "bad.conf")
    with open(path, "w") as f:
        f.write('sip = { port = 5999; };\nspans = (\n  { name = "x"; type = "loopback"; path = "/tmp/x";\n'
                '    framing = "j1"; }\n);\n')
    p = tb.start("sipgw", [tb.bin("sipgw"), "-c", path])
    rc = p.wait_exit()
    err = "\n".join(p.errlines())
    if rc == 0 or ("%s:4:" % path) not in err or "framing" not in err:
        raise FlowError("bad config: rc=%s, stderr=%s" % (rc, err))


@flow
def dahdi_span_refused(tb):
    """A span of type dahdi is refused at start-up with a clear error."""
    path = os.path.join(tb.dir, "dahdi.conf")
    with open(path, "w") as f:
        f.write('spans = ( { name = "card1"; type = "dahdi"; } );\n')
    p = tb.start("sipgw", [tb.bin("sipgw"), "-c", path])
    rc = p.wait_exit()
    err = "\n".join(p.errlines())
    if rc == 0 or "dahdi" not in err.lower() or ":1:" not in err:
        raise FlowError("dahdi span: rc=%s, stderr=%s" % (rc, err))


@flow
def malformed_sip_keeps_running(tb):
    """Garbage and a broken INVITE to the SIP port: no crash, the next call works."""
    import socket
    phone = tb.phone("phone", "--answer-after", "0.1", "--hangup-after", "0.4", "--exit-after-calls", "1")
    gw = tb.gateway(tb.config([voip_peer(100, "2...", phone.port)]))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    me = s.getsockname()[1]
    s.settimeout(3)
    s.sendto(b"\x00\xffgarbage\r\n\r\n", ("127.0.0.1", tb.sip_port))
    bad = ("INVITE sip:2001@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK1\r\n"
           "From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:2001@127.0.0.1>\r\nCall-ID: x1\r\n"
           "CSeq: notanumber INVITE\r\nContent-Length: 0\r\n\r\n" % me).encode()
    s.sendto(bad, ("127.0.0.1", tb.sip_port))
    try:
        reply = s.recv(65536).decode(errors="replace")
    except socket.timeout:
        reply = ""
    s.close()
    if not reply.startswith("SIP/2.0 400"):
        raise FlowError("broken CSeq: expected 400, got %r" % reply[:60])
    pbx = pbx_call(tb)
    if pbx.wait_exit() != 0 or gw.p.poll() is not None:
        raise FlowError("gateway did not survive malformed SIP")
    expect_ladder("PRI", q931_ladder(pbx.lines()),
                  PBX_CONNECTED + ["< DISCONNECT cause=16", "> RELEASE", "< RELEASE COMPLETE"])


def sip_to_pri(tb, pbx_args, phone_args, trusted=("127.0.0.1",), number="95551234"):
    """A PBX waiting for calls, a phone calling number through the gateway."""
    tb.gateway(tb.config([voip_peer(100, "2...", 9), pots_peer(900, "9T")], trusted=trusted))
    pbx = tb.pbx("--exit-when-done", *pbx_args)
    pbx.wait_line(r"EVENT dchan up")
    phone = tb.phone("phone", "--call", "sip:%s@127.0.0.1:%d" % (number, tb.sip_port), "--from", "2001",
                     "--display", "User B", "--exit-after-calls", "1", *phone_args)
    return pbx, phone


@flow
def sip_to_pri_call(tb):
    """SIP -> PRI (trusted source): INVITE -> SETUP 5551234 (9 stripped); 180, 200, BYE; audio both ways."""
    pbx, phone = sip_to_pri(tb, ["--answer-after", "0.4", "--tone", "2000", "--detect", "1000"],
                            ["--tone", "1000", "--detect", "2000", "--hangup-after", "1.2"])
    if phone.wait_exit() != 0 or pbx.wait_exit() != 0:
        raise FlowError("a simulator failed")
    expect_ladder("SIP", sip_ladder(phone.lines()),
                  ["> INVITE", "< 100/INVITE", "< 180/INVITE", "< 200/INVITE", "> ACK", "> BYE", "< 200/BYE"])
    expect_ladder("PRI", q931_ladder(pbx.lines()),
                  ["< SETUP", "> CALL PROCEEDING", "> ALERTING", "> CONNECT", "< CONNECT ACKNOWLEDGE",
                   "< DISCONNECT cause=16", "> RELEASE", "< RELEASE COMPLETE"])
    setup = [t for _, t in fl.timed(pbx.lines(), "Q931") if t.startswith("< SETUP")][0]
    if "called=5551234" not in setup or "calling=2001" not in setup or 'name="User B"' not in setup:
        raise FlowError("SETUP numbers/name wrong: " + setup)
    check_audio_crossed(pbx, phone)


@flow
def sip_to_pri_busy(tb):
    """SIP -> PRI: the PBX clears with cause 17 -> 486 Busy Here with Reason cause 17."""
    pbx, phone = sip_to_pri(tb, ["--reject", "17"], [])
    phone.wait_exit()
    pbx.wait_exit()
    expect_ladder("SIP", sip_ladder(phone.lines()), ["> INVITE", "< 100/INVITE", "< 486/INVITE", "> ACK"])
    if "cause=17" not in fl.sip_lines(phone.lines(), r"^< 486")[0][1]:
        raise FlowError("486 without Reason cause=17")


@flow
def sip_to_pri_cancel(tb):
    """SIP -> PRI: CANCEL before answer -> DISCONNECT cause 16, 487 Request Terminated."""
    pbx, phone = sip_to_pri(tb, ["--no-answer"], ["--cancel-after", "0.6"])
    phone.wait_exit()
    pbx.wait_exit()
    expect_ladder("SIP", sip_ladder(phone.lines()),
                  ["> INVITE", "< 100/INVITE", "< 180/INVITE", "> CANCEL", "< 200/CANCEL", "< 487/INVITE", "> ACK"])
    expect_ladder("PRI", q931_ladder(pbx.lines()),
                  ["< SETUP", "> CALL PROCEEDING", "> ALERTING", "< DISCONNECT cause=16", "> RELEASE",
                   "< RELEASE COMPLETE"])


@flow
def sip_to_pri_inband_183(tb):
    """SIP -> PRI: ALERTING with progress indicator 8 -> 183 with SDP, PBX audio heard before answer."""
    pbx, phone = sip_to_pri(tb, ["--inband", "--answer-after", "1.0", "--tone", "2000"],
                            ["--detect", "2000", "--hangup-after", "0.5"])
    phone.wait_exit()
    pbx.wait_exit()
    lad = sip_ladder(phone.lines())
    if "< 183/INVITE" not in lad or "< 200/INVITE" not in lad:
        raise FlowError("no 183 then 200: %s" % lad)
    t200 = fl.sip_lines(phone.lines(), r"^< 200 OK \(INVITE\)")[0][0]
    ons = [ms for ms, e in tone_events(phone.lines(), 2000) if e == "on"]
    if not ons or ons[0] >= t200:
        raise FlowError("no in-band audio before 200 OK (on=%s, 200 at %d)" % (ons, t200))


@flow
def toll_fraud_untrusted_403(tb):
    """An INVITE for a PSTN number from an untrusted address: 403, no SETUP on the PRI, a log line."""
    pbx, phone = sip_to_pri(tb, ["--timeout", "3"], [], trusted=("10.9.9.9/32",))
    phone.wait_exit()
    expect_ladder("SIP", sip_ladder(phone.lines()), ["> INVITE", "< 100/INVITE", "< 403/INVITE", "> ACK"])
    pbx.stop()
    if any("SETUP" in t for _, t in fl.timed(pbx.lines(), "Q931")):
        raise FlowError("an untrusted INVITE reached the PRI")
    gw = tb.procs[0]
    if not any(re.search(r"refused INVITE from 127\.0\.0\.1 to 95551234", l) for l in gw.errlines()):
        raise FlowError("no refusal log line with source and number")


@flow
def no_free_bchannel_cause_34(tb):
    """All 23 B-channels busy: a SIP call to the PRI gets 503 with Reason cause 34, no SETUP."""
    phone = tb.phone("phone", "--answer-after", "0", "-q")
    tb.gateway(tb.config([voip_peer(100, "2...", phone.port), pots_peer(900, "9T")]))
    pbx = pbx_call(tb, "--count", "23", "--concurrency", "23", "--hangup-after", "30")
    pbx.wait_line(r"EVENT call 23 connected")
    caller = tb.phone("caller", "--call", "sip:95551234@127.0.0.1:%d" % tb.sip_port, "--from", "2001",
                      "--exit-after-calls", "1")
    caller.wait_exit()
    expect_ladder("SIP", sip_ladder(caller.lines()), ["> INVITE", "< 100/INVITE", "< 503/INVITE", "> ACK"])
    if "cause=34" not in fl.sip_lines(caller.lines(), r"^< 503")[0][1]:
        raise FlowError("503 without Reason cause=34")
    if any(t.startswith("< SETUP") for _, t in fl.timed(pbx.lines(), "Q931")):
        raise FlowError("a SETUP went out with no B-channel free")


def main():
    # Figures B-17..B-23 (phones, registrar, backup and emergency proxy) and
    # Q.931 glare live in their own files; they register with @flow too.
    import glob
    import importlib
    for path in sorted(glob.glob(os.path.join(os.path.dirname(os.path.abspath(__file__)), "flows_*.py"))):
        importlib.import_module(os.path.basename(path)[:-3])
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("-k", help="run only tests whose name contains this")
    ap.add_argument("--keep", action="store_true", help="keep temp dirs")
    a = ap.parse_args()
    fl.BUILD = a.build
    passed = failed = 0
    for t in TESTS:
        if a.k and a.k not in t.__name__:
            continue
        tb = fl.Testbed(t.__name__)
        t0 = time.monotonic()
        try:
            t(tb)
            ok, why = True, ""
        except Exception as e:  # a test's failure, reported with the programs' output
            ok, why = False, "".join(traceback.format_exception_only(type(e), e)).strip()
        finally:
            tb.close()
        dt = time.monotonic() - t0
        if ok:
            passed += 1
            print("PASS %-32s %5.1fs  %s" % (t.__name__, dt, t.__doc__.strip().splitlines()[0]), flush=True)
            if not a.keep:
                shutil.rmtree(tb.dir, ignore_errors=True)
        else:
            failed += 1
            print("FAIL %-32s %5.1fs  %s\n  %s\n%s" % (t.__name__, dt, t.__doc__.strip(), why,
                                                     tb.dump()), flush=True)
    print("flows: %d passed, %d failed" % (passed, failed))
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
