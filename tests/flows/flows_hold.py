# sipgw call-flow tests of hold passed through the gateway (issue 10 items 3
# and 4): between two phones through sipgw as their proxy (figure B-3), a
# phone holding a PBX caller (B-2 with NOTIFY and music on hold on a switch
# that carries it), and the PBX holding (NOTIFY) towards a phone.
# SPDX-License-Identifier: GPL-2.0-only
import math
import os
import re
import threading

import flowlib as fl
import xferua
from flowlib import (PBX_CONNECTED, PHONE_ANSWERED, FlowError, expect_ladder, flow, pbx_call, q931_ladder,
                     sip_ladder, tone_events, tone_on_during, voip_peer)
from flows_b17_b23_proxy import USERS, after_register, gw_uri, registered_phone, registrar_conf

HOLD = ["< INVITE", "> 100/INVITE", "> 200/INVITE", "< ACK"]          # a re-INVITE the phone receives
HOLD_SENT = ["> INVITE", "< 100/INVITE", "< 200/INVITE", "> ACK"]     # one it sends


def moh_file(tb, hz=1500):
    """Ten seconds of a hz tone as raw mu-law (the format rtp.moh_file takes)."""
    def ulaw(x):
        bias, clip = 0x84, 32635
        sign = 0x80 if x < 0 else 0
        x = min(abs(x), clip) + bias
        exp = 7
        for e in range(7, -1, -1):
            if x & (0x4000 >> (7 - e)):
                exp = e
                break
        mant = (x >> (exp + 3)) & 0x0f
        return ~(sign | (exp << 4) | mant) & 0xff
    path = os.path.join(tb.dir, "moh.ulaw")
    with open(path, "wb") as f:
        f.write(bytes(ulaw(int(8000 * math.sin(2 * math.pi * hz * i / 8000))) for i in range(80000)))
    return path


@flow
@fl.no_pri
def b03_hold_between_phones(tb):
    """B-3 through the gateway as the phones' proxy: B holds A with c=0.0.0.0 and takes it off
    hold; the gateway passes each re-INVITE on to A the same way (c=0.0.0.0, then sendrecv);
    no audio either way while held, both ways before and after."""
    tb.gateway(tb.config([], extra=registrar_conf(tb)))
    a = registered_phone(tb, "phone-a", "2001", "--answer-after", "0.2", "--tone", "1000", "--detect", "2000",
                         "--exit-after-calls", "1")
    b = tb.phone("phone-b", "--user", "2002", "--proxy", gw_uri(tb), "--dial", "2001", "--auth", "2002:%s" % USERS["2002"],
                 "--tone", "2000", "--detect", "1000", "--hold-at", "1.0", "--unhold-at", "2.5",
                 "--hangup-after", "3.8", "--exit-after-calls", "1")
    if a.wait_exit() != 0 or b.wait_exit() != 0:
        raise FlowError("a phone failed")
    got_b = sip_ladder(b.lines())
    got_a = after_register(sip_ladder(a.lines()))
    holds_b = [i for i, s in enumerate(got_b) if s == "> INVITE"]
    if len(holds_b) < 3:
        raise FlowError("phone B sent no hold and resume re-INVITEs: %s" % got_b)
    expect_ladder("phone B (holds)", got_b[holds_b[-2]:holds_b[-2] + 8], HOLD_SENT * 2)
    expect_ladder("phone A (held)", got_a, PHONE_ANSWERED + HOLD + HOLD + ["< BYE", "> 200/BYE"])
    invs = fl.sip_lines(a.lines(), r"^< INVITE ")
    if "c=0.0.0.0" not in invs[1][1] or "sendrecv" not in invs[2][1] or "c=0.0.0.0" in invs[2][1]:
        raise FlowError("the gateway's hold/resume re-INVITEs to A are not as B's: %s" % invs[1:])
    t_held = fl.sip_lines(a.lines(), r"^< ACK")[1][0]
    t_resume = invs[2][0]
    for who, proc, hz in (("A", a, 2000), ("B", b, 1000)):
        ev = tone_events(proc.lines(), hz)
        if not tone_on_during(ev, 0, t_held):
            raise FlowError("%s heard no %d Hz before the hold: %s" % (who, hz, ev))
        if tone_on_during(ev, t_held + 150, t_resume):
            raise FlowError("%s heard %d Hz while held (%d..%d): %s" % (who, hz, t_held, t_resume, ev))
        if not tone_on_during(ev, t_resume, 10 ** 12):
            raise FlowError("%s heard no %d Hz after resume: %s" % (who, hz, ev))


@flow
def hold_pri_notify_and_music(tb):
    """A phone holds a PBX caller on a EuroISDN E1: the PBX gets NOTIFY remote hold, then
    remote retrieval (Q.931 4.5.22), and hears the configured music on hold (a 1500 Hz file)
    while held, not before and not after; audio flows again after resume."""
    phone = tb.phone("phone", "--answer-after", "0.2", "--tone", "1000", "--detect", "2000",
                     "--hold-at", "1.0", "--unhold-at", "2.5", "--hangup-after", "3.8",
                     "--exit-after-calls", "1")
    conf = tb.config([voip_peer(100, "2...", phone.port)], framing="e1", switch="euroisdn")
    with open(conf) as f:
        txt = f.read().replace('port_max = 39999;', 'port_max = 39999; moh_file = "%s";' % moh_file(tb))
    with open(conf, "w") as f:
        f.write(txt)
    gw = tb.gateway(conf)
    pbx = pbx_call(tb, "--framing", "e1", "--switch", "euroisdn", "--tone", "2000", "--detect", "1500")
    if pbx.wait_exit() != 0 or phone.wait_exit() != 0:
        raise FlowError("a simulator failed")
    expect_ladder("PRI", q931_ladder(pbx.lines()),
                  PBX_CONNECTED + ["< NOTIFY", "< NOTIFY", "< DISCONNECT cause=16", "> RELEASE",
                                   "< RELEASE COMPLETE"])
    gw.wait_line(r"held by the SIP side: NOTIFY remote hold, music to the PBX", stream="err")
    gw.wait_line(r"resumed by the SIP side: NOTIFY remote retrieval, audio to the PBX", stream="err")
    notifies = [ms for ms, t in fl.timed(pbx.lines(), "Q931") if t.startswith("< NOTIFY")]
    t_held, t_resume = notifies
    music = tone_events(pbx.lines(), 1500)
    if not tone_on_during(music, t_held, t_resume):
        raise FlowError("the PBX heard no music on hold while held: %s" % music)
    if tone_on_during(music, 0, t_held) or tone_on_during(music, t_resume + 150, 10 ** 12):
        raise FlowError("the PBX heard music outside the hold (%d..%d): %s" % (t_held, t_resume, music))
    voice = tone_events(phone.lines(), 2000)
    if not tone_on_during(voice, t_resume, 10 ** 12):
        raise FlowError("the phone heard no PBX audio after resume: %s" % voice)


@flow
def hold_from_pbx_notify(tb):
    """The PBX holds its call to a phone (NOTIFY remote hold on EuroISDN) and takes it back
    (remote retrieval): the phone gets a re-INVITE sendonly, then one sendrecv; the call goes
    on and clears normally."""
    phone = tb.phone("phone", "--answer-after", "0.2", "--tone", "1000", "--detect", "2000",
                     "--exit-after-calls", "1")
    gw = tb.gateway(tb.config([voip_peer(100, "2...", phone.port)], framing="e1", switch="euroisdn"))
    pbx = pbx_call(tb, "--framing", "e1", "--switch", "euroisdn", "--tone", "2000", "--detect", "1000",
                   "--hold-at", "1.0", "--retrieve-at", "2.5", "--hangup-after", "3.8")
    if pbx.wait_exit() != 0 or phone.wait_exit() != 0:
        raise FlowError("a simulator failed")
    expect_ladder("PRI", q931_ladder(pbx.lines()),
                  PBX_CONNECTED + ["> NOTIFY", "> NOTIFY", "> DISCONNECT cause=16", "< RELEASE",
                                   "> RELEASE COMPLETE"])
    expect_ladder("SIP", sip_ladder(phone.lines()), PHONE_ANSWERED + HOLD + HOLD + ["< BYE", "> 200/BYE"])
    invs = fl.sip_lines(phone.lines(), r"^< INVITE ")
    if "sendonly" not in invs[1][1] or "sendrecv" not in invs[2][1]:
        raise FlowError("the PBX's hold did not come as sendonly, then sendrecv: %s" % invs[1:])
    gw.wait_line(r"the PBX holds the call \(NOTIFY remote hold\)", stream="err")
    gw.wait_line(r"the PBX retrieves the call \(NOTIFY remote retrieval\)", stream="err")
    ev = tone_events(phone.lines(), 2000)
    if not tone_on_during(ev, invs[2][0], 10 ** 12):
        raise FlowError("the phone heard no PBX audio after the retrieval: %s" % ev)


@flow
@fl.no_pri
def info_passed_between_phones(tb):
    """An INFO in a call between two phones through the gateway (RFC 6086 legacy use, e.g.
    application/dtmf-relay): the gateway answers it 200 and sends it on in the other dialog
    with the same Content-Type and body; an INFO in a call whose other party is on the PRI
    gets 415 (nothing carries it there) and the call goes on."""
    tb.gateway(tb.config([], extra=registrar_conf(tb)))
    b = xferua.XferUA(tb.sip_port, "2002")
    a = xferua.XferUA(tb.sip_port, "2003")
    try:
        b.register(USERS["2002"])
        answered = []
        t = threading.Thread(target=lambda: answered.append(b.answer()))
        t.start()
        da = a.call("2002")
        t.join(10)
        if not answered:
            raise FlowError("phone B never answered")
        body = "Signal=5\r\nDuration=160\r\n"
        a.request(da, "INFO", body=body, ctype="application/dtmf-relay")
        r = a.wait(lambda m: m.method == "INFO" and m.status >= 200, 5.0)
        if r.status != 200:
            raise FlowError("INFO between phones answered %d, want 200" % r.status)
        got = b.wait(lambda m: m.method == "INFO" and not m.status, 5.0)
        if "application/dtmf-relay" not in (got.get("content-type") or "") or got.body != body:
            raise FlowError("the INFO passed on is not the phone's: %s / %r" % (got.get("content-type"), got.body))
    finally:
        a.close()
        b.close()


@flow
def info_dtmf_to_pri_party(tb):
    """INFOs from a phone talking to a PBX caller: a digit (application/dtmf-relay) gets 200 and
    the PBX hears it once as an in-band tone; a body with no digit gets 400; any other content
    type 415 (nothing carries it to a PBX); the call goes on to its normal end."""
    b = xferua.XferUA(tb.sip_port, "2001")
    try:
        tb.gateway(tb.config([voip_peer(100, "2001", b.port)]))
        pbx = pbx_call(tb, "--hangup-after", "2.5")
        d = b.answer()
        for ctype, body, want in (("application/dtmf-relay", "Signal=5\r\nDuration=160\r\n", 200),
                                  ("application/dtmf-relay", "Signal=\r\nDuration=160\r\n", 400),
                                  ("application/x-broadsoft-ccc", "hello", 415)):
            b.request(d, "INFO", body=body, ctype=ctype)
            r = b.wait(lambda m: m.method == "INFO" and m.status >= 200, 5.0)
            if r.status != want:
                raise FlowError("INFO %s %r to a PRI party answered %d, want %d" % (ctype, body, r.status, want))
        b.wait(lambda m: m.method == "BYE" and not m.status, 5.0)
        if pbx.wait_exit() != 0:
            raise FlowError("the PBX failed")
        digits = "".join(re.findall(r"AUDIO dtmf (\S)", "\n".join(pbx.lines())))
        if digits != "5":
            raise FlowError("the PBX heard DTMF %r, want '5' once" % digits)
        expect_ladder("PRI", q931_ladder(pbx.lines()),
                      PBX_CONNECTED + ["> DISCONNECT cause=16", "< RELEASE", "> RELEASE COMPLETE"])
    finally:
        b.close()


@flow
@fl.no_pri
def update_hold_passed_on(tb):
    """A phone holds by UPDATE (RFC 3311, an offer a=sendonly in a confirmed dialog): the gateway
    answers 200 with SDP (recvonly) and holds the other phone by re-INVITE; an UPDATE without a
    body is a refresh (200, no SDP, nothing passed on); an UPDATE sendrecv resumes both."""
    tb.gateway(tb.config([], extra=registrar_conf(tb)))
    b = registered_phone(tb, "phone-b", "2002", "--answer-after", "0.2", "--exit-after-calls", "1")
    a = xferua.XferUA(tb.sip_port, "2003")
    try:
        d = a.call("2002")
        a.run_for(0.3)
        a.request(d, "UPDATE", body=a.sdp().replace("PCMU/8000\r\n", "PCMU/8000\r\na=sendonly\r\n"))
        r = a.wait(lambda m: m.method == "UPDATE" and m.status >= 200, 5.0)
        if r.status != 200 or "a=recvonly" not in r.body:
            raise FlowError("UPDATE hold answered %d with %r, want 200 recvonly" % (r.status, r.body))
        b.wait_line(r"SIP < INVITE .*sendonly")
        a.request(d, "UPDATE")
        r = a.wait(lambda m: m.method == "UPDATE" and m.status >= 200, 5.0)
        if r.status != 200 or r.body.strip():
            raise FlowError("a refresh UPDATE answered %d with %r, want 200 without SDP" % (r.status, r.body))
        a.request(d, "UPDATE", body=a.sdp())
        r = a.wait(lambda m: m.method == "UPDATE" and m.status >= 200, 5.0)
        if r.status != 200 or "a=sendrecv" not in r.body:
            raise FlowError("UPDATE resume answered %d with %r, want 200 sendrecv" % (r.status, r.body))
        # B has answered the resume before A hangs up (not only received it: a
        # loaded machine showed the BYE overtaking B's 200, and the ladder then differs)
        b.wait_count(r"SIP > 200 OK \(INVITE\)", 3)
        a.request(d, "BYE")
        a.wait(lambda m: m.method == "BYE" and m.status >= 200, 5.0)
        if b.wait_exit() != 0:
            raise FlowError("phone B failed")
        expect_ladder("phone B", after_register(sip_ladder(b.lines())),
                      PHONE_ANSWERED + HOLD + HOLD + ["< BYE", "> 200/BYE"])
    finally:
        a.close()
