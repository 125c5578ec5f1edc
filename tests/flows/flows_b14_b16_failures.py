# sipgw call-flow tests for figures B-14..B-16: PRI -> SIP calls that fail
# (busy, no answer, 4xx/5xx/6xx and no response while hunting the
# dial-peers, a number no dial-peer matches) and the cause the PBX gets.
# SPDX-License-Identifier: GPL-2.0-only
import flowlib as fl
from flowlib import (PBX_CONNECTED, PHONE_ANSWERED, FlowError, check_audio_crossed, expect_ladder, flow,
                     pbx_call, q931_ladder, sip_ladder, voip_peer)


def clearing_ladder(cause):
    """SETUP refused after CALL PROCEEDING: DISCONNECT, or for the causes libpri
    clears at once (1, 34, 44, 81, 82) RELEASE COMPLETE."""
    if cause in (1, 34, 44, 81, 82):
        return ["> SETUP", "< CALL PROCEEDING", "< RELEASE COMPLETE cause=%d" % cause]
    return ["> SETUP", "< CALL PROCEEDING", "< DISCONNECT cause=%d" % cause, "> RELEASE", "< RELEASE COMPLETE"]


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
