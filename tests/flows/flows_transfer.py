# sipgw call-flow tests for transfers with a PRI party (issue 10 item 2;
# Cisco figures B-6..B-9): the PBX's caller A talks to phone B through the
# gateway; B transfers A to C by REFER (blind, B-6; attended with Replaces,
# B-8), by BYE with Also (B-7, B-9), or C takes B's place with an INVITE
# with Replaces (RFC 3891). And the door: an untrusted transferor cannot
# send A to the PSTN. B is tests/flows/xferua.py (a phone that sends REFER),
# C a sipgw-phone registered with the gateway.
# SPDX-License-Identifier: GPL-2.0-only
import re

import flowlib as fl
import xferua
from flowlib import (PBX_CONNECTED, FlowError, expect_ladder, flow, pbx_call, pots_peer, q931_ladder,
                     sip_ladder, tone_events, voip_peer)

C_USER, C_PASS = "2003", "secret3"
PRI_HUNG_UP = ["> DISCONNECT cause=16", "< RELEASE", "> RELEASE COMPLETE"]  # A hangs up
PHONE_C_ANSWERED = ["< INVITE", "> 100/INVITE", "> 180/INVITE", "> 200/INVITE", "< ACK"]


B_USER, B_PASS = "2001", "secret1"


def registrar_conf():
    return ('registrar = { realm = "sipgw"; users = ( { user = "%s"; password = "%s"; }, '
            '{ user = "%s"; password = "%s"; } ); min_expires = 10; };\n' % (C_USER, C_PASS, B_USER, B_PASS))


def phone_c(tb, *extra):
    """C: registered as 2003, answers, plays 1000 Hz, listens for A's 2000 Hz."""
    c = tb.phone("phone-c", "--user", C_USER, "--register", "sip:127.0.0.1:%d" % tb.sip_port,
                 "--auth", "%s:%s" % (C_USER, C_PASS), "--answer-after", "0.3", "--tone", "1000",
                 "--detect", "2000", "--exit-after-calls", "1", *extra)
    c.wait_line(r"EVENT registered expires=\d+ contacts=1")
    return c


def c_ladder(c):
    """C's ladder without its REGISTER exchanges (start, and the un-REGISTER at exit)."""
    lad = [x for x in sip_ladder(c.lines()) if "REGISTER" not in x]
    return lad


def gw_log(tb, pattern):
    gw = [p for p in tb.procs if p.name == "sipgw"][-1]
    return [ln for ln in gw.errlines() if re.search(pattern, ln)]


def a_hears_c(pbx, c):
    """A's B-channel reaches C after the transfer: each hears the other's tone."""
    if "on" not in [e for _, e in tone_events(pbx.lines(), 1000)]:
        raise FlowError("A (PBX) never heard C's 1000 Hz: its B-channel was not bridged to C")
    if "on" not in [e for _, e in tone_events(c.lines(), 2000)]:
        raise FlowError("C never heard A's 2000 Hz")


def start(tb, trusted=("127.0.0.1",), registrar=True, **kw):
    """sipgw (B at a voip dial-peer 2001, registrar for C, PSTN behind 9), B, and
    the PBX calling 2001 as A."""
    b = xferua.XferUA(tb.sip_port, "2001")
    tb.gateway(tb.config([voip_peer(100, "2001", b.port), pots_peer(900, "9T")], trusted=trusted,
                         extra=registrar_conf() if registrar else "", **kw))
    return b


@flow
def xfer_b06_blind_refer_pri_caller(tb):
    """B-6 with a PRI caller: B REFERs A to C; 202, NOTIFY 100/180/200 (sipfrag), C's INVITE carries
    Referred-By; when C answers A's B-channel is bridged to C and B gets BYE; no new Q.931 on A's call."""
    b = start(tb)
    try:
        c = phone_c(tb)
        pbx = pbx_call(tb, "--tone", "2000", "--detect", "1000", "--hangup-after", "4")
        d = b.answer()
        b.run_for(0.5)
        r = b.refer(d, C_USER)
        if r.status != 202:
            raise FlowError("REFER answered %d, not 202 Accepted" % r.status)
        b.wait(lambda m: m.method == "BYE" and not m.status, 8.0)
        b.run_for(0.3)
        if pbx.wait_exit() != 0 or c.wait_exit() != 0:
            raise FlowError("a simulator failed")
        frags = b.notifies()
        codes = [f[0] for f in frags]
        if codes[:1] != [100] or codes[-1:] != [200] or any(x >= 300 for x in codes):
            raise FlowError("NOTIFY sipfrags are not 100 .. 200: %s" % frags)
        if not all(f[2].startswith("refer") and f[3].startswith("message/sipfrag") for f in frags):
            raise FlowError("NOTIFY without Event: refer / message/sipfrag: %s" % frags)
        if not frags[-1][1].startswith("terminated") or not frags[0][1].startswith("active"):
            raise FlowError("Subscription-State not active .. terminated: %s" % frags)
        if b.ladder.index("< BYE") < b.ladder.index("< NOTIFY"):
            raise FlowError("B got BYE before any NOTIFY: %s" % b.ladder)
        expect_ladder("A (PRI)", q931_ladder(pbx.lines()), PBX_CONNECTED + PRI_HUNG_UP)
        expect_ladder("C", c_ladder(c), PHONE_C_ANSWERED + ["< BYE", "> 200/BYE"])
        inv = fl.sip_lines(c.lines(), r"^< INVITE ")[0][1]
        if "referred-by[<sip:2001@" not in inv:
            raise FlowError("C's INVITE has no Referred-By of B: " + inv)
        c.wait_line(r"EVENT call 1 incoming from=5551000")
        a_hears_c(pbx, c)
        if not gw_log(tb, r"call \d+ \[ACTIVE\] transferred to sip"):
            raise FlowError("gateway did not log the transfer")
        if not gw_log(tb, r"pri pbx-a/1 .*connected party now 2003 \(switch type has no update"):
            raise FlowError("NI-2: the new connected party was not logged")
    finally:
        b.close()


@flow
def xfer_b06_blind_euroisdn_connected_line(tb):
    """B-6 on EuroISDN E1: after the transfer A's switch is told its new connected party (libpri's
    connected line update: a FACILITY, EctInform) once; the call then runs on and clears as usual."""
    b = start(tb, framing="e1", switch="euroisdn_e1")
    try:
        c = phone_c(tb)
        pbx = pbx_call(tb, "--framing", "e1", "--switch", "euroisdn_e1", "--tone", "2000", "--detect", "1000",
                       "--hangup-after", "4")
        d = b.answer()
        b.run_for(0.5)
        b.refer(d, C_USER)
        b.wait(lambda m: m.method == "BYE" and not m.status, 8.0)
        if pbx.wait_exit() != 0 or c.wait_exit() != 0:
            raise FlowError("a simulator failed")
        lad = q931_ladder(pbx.lines())
        if lad[:5] != PBX_CONNECTED or lad.count("< FACILITY") != 1 or lad[-3:] != PRI_HUNG_UP:
            raise FlowError("want connect, one FACILITY (connected line), clearing: %s" % lad)
        if not gw_log(tb, r"connected party now 2003 \(connected line update sent\)"):
            raise FlowError("gateway did not log the connected line update")
        a_hears_c(pbx, c)
    finally:
        b.close()


@flow
def xfer_b06_hold_then_refer_euroisdn(tb):
    """B-6 as phones do it, EuroISDN E1: B holds A (re-INVITE sendonly: NOTIFY remote hold to the PBX),
    then REFERs A to C; when C answers A is retrieved (NOTIFY remote retrieval), told its new
    connected party (FACILITY), and hears C."""
    b = start(tb, framing="e1", switch="euroisdn_e1")
    try:
        c = phone_c(tb)
        pbx = pbx_call(tb, "--framing", "e1", "--switch", "euroisdn_e1", "--tone", "2000", "--detect", "1000",
                       "--hangup-after", "4")
        d = b.answer()
        b.run_for(0.3)
        if b.hold(d).status != 200:
            raise FlowError("hold re-INVITE refused")
        b.run_for(0.3)
        b.refer(d, C_USER)
        b.wait(lambda m: m.method == "BYE" and not m.status, 8.0)
        if pbx.wait_exit() != 0 or c.wait_exit() != 0:
            raise FlowError("a simulator failed")
        expect_ladder("A (PRI)", q931_ladder(pbx.lines()),
                      PBX_CONNECTED + ["< NOTIFY", "< NOTIFY", "< FACILITY"] + PRI_HUNG_UP)
        pbx.wait_line(r"EVENT call 1 notify remote-hold")
        pbx.wait_line(r"EVENT call 1 notify remote-retrieval")
        a_hears_c(pbx, c)
    finally:
        b.close()


@flow
def xfer_door_untrusted_refer_to_pstn(tb):
    """The door: B (untrusted, unauthenticated; no registrar to challenge it) REFERs A to a PSTN
    number: 202 then NOTIFY 403 (terminated), no SETUP towards the PSTN, A stays with B until A
    hangs up."""
    b = start(tb, trusted=("10.9.9.9",), registrar=False)
    try:
        pbx = pbx_call(tb, "--tone", "2000", "--hangup-after", "3")
        d = b.answer()
        b.run_for(0.3)
        r = b.refer(d, "95551234")
        if r.status != 202:
            raise FlowError("REFER answered %d, not 202" % r.status)
        b.wait(lambda m: m.method == "NOTIFY" and not m.status, 5.0)
        b.wait(lambda m: m.method == "BYE" and not m.status, 8.0)   # A hung up: the call was still A-B
        if pbx.wait_exit() != 0:
            raise FlowError("PBX failed")
        frags = b.notifies()
        if [f[0] for f in frags] != [403] or not frags[0][1].startswith("terminated"):
            raise FlowError("want one NOTIFY 403 terminated: %s" % frags)
        expect_ladder("A (PRI)", q931_ladder(pbx.lines()), PBX_CONNECTED + PRI_HUNG_UP)
        if not gw_log(tb, r"refused transfer by 127\.0\.0\.1 to 95551234 .*not trusted"):
            raise FlowError("gateway did not log the refusal at the door")
    finally:
        b.close()


@flow
def xfer_door_trusted_refer_to_pstn(tb):
    """The door's other side: the same REFER from a trusted B is routed to the pots dial-peer (a
    PRI leg, NOTIFY 100), so the refusal above is the door's, not a route that does not exist."""
    b = start(tb)
    try:
        pbx = pbx_call(tb, "--tone", "2000", "--hangup-after", "3")
        d = b.answer()
        b.run_for(0.3)
        b.refer(d, "95551234")
        b.wait(lambda m: m.method == "NOTIFY" and not m.status, 5.0)
        if [f[0] for f in b.notifies()][:1] != [100]:
            raise FlowError("trusted transfer to the PSTN not under way: %s" % b.notifies())
        if not gw_log(tb, r"transfer target 95551234 -> pri"):
            raise FlowError("no PRI leg placed for the transfer")
        pbx.wait_line(r"Q931 < SETUP", 5.0)
    finally:
        b.close()


@flow
def xfer_b07_bye_also_pri_caller(tb):
    """B-7 with a PRI caller: B hangs up with BYE + Also: C; A is not dropped, C is called for A
    (Referred-By B) and bridged to A's B-channel."""
    b = start(tb)
    try:
        c = phone_c(tb)
        pbx = pbx_call(tb, "--tone", "2000", "--detect", "1000", "--hangup-after", "4")
        d = b.answer()
        b.run_for(0.5)
        b.request(d, "BYE", ["Also: <sip:%s@127.0.0.1:%d>" % (C_USER, tb.sip_port)])
        r = b.wait(lambda m: m.method == "BYE" and m.status >= 200, 5.0)
        if r.status != 200:
            raise FlowError("BYE answered %d" % r.status)
        if pbx.wait_exit() != 0 or c.wait_exit() != 0:
            raise FlowError("a simulator failed")
        expect_ladder("A (PRI)", q931_ladder(pbx.lines()), PBX_CONNECTED + PRI_HUNG_UP)
        expect_ladder("C", c_ladder(c), PHONE_C_ANSWERED + ["< BYE", "> 200/BYE"])
        a_hears_c(pbx, c)
    finally:
        b.close()


@flow
def xfer_b08_attended_refer_replaces(tb):
    """B-8 with a PRI caller: B (talking to A) calls C itself, then REFERs A to C with Replaces naming
    its B-C dialog: the calls are joined (A's B-channel to C), both of B's legs get BYE, NOTIFY 200."""
    b = start(tb)
    try:
        c = phone_c(tb)
        pbx = pbx_call(tb, "--tone", "2000", "--detect", "1000", "--hangup-after", "5")
        d1 = b.answer()
        d2 = b.call(C_USER)
        b.run_for(0.5)
        r = b.refer(d1, C_USER, replaces=d2)
        if r.status != 202:
            raise FlowError("REFER answered %d" % r.status)
        b.wait(lambda m: m.method == "BYE" and not m.status, 5.0)
        b.wait(lambda m: m.method == "BYE" and not m.status, 5.0)
        if pbx.wait_exit() != 0 or c.wait_exit() != 0:
            raise FlowError("a simulator failed")
        byes = [m.get("call-id") for m in b.msgs if not m.status and m.method == "BYE"]
        if sorted(byes) != sorted([d1.call_id, d2.call_id]):
            raise FlowError("B's two legs were not both released: BYEs on %s" % byes)
        if [f[0] for f in b.notifies()][-1:] != [200]:
            raise FlowError("no NOTIFY 200 for the attended transfer: %s" % b.notifies())
        expect_ladder("A (PRI)", q931_ladder(pbx.lines()), PBX_CONNECTED + PRI_HUNG_UP)
        expect_ladder("C", c_ladder(c), PHONE_C_ANSWERED + ["< BYE", "> 200/BYE"])
        a_hears_c(pbx, c)
    finally:
        b.close()


@flow
def xfer_invite_replaces(tb):
    """RFC 3891: a third phone D sends an INVITE with Replaces naming the A-B dialog: it takes B's
    place (200 to D, BYE to B), A's B-channel now reaches D; an untrusted D would meet the door."""
    b = start(tb)
    dd = xferua.XferUA(tb.sip_port, "2004")
    try:
        pbx = pbx_call(tb, "--tone", "2000", "--hangup-after", "3")
        d = b.answer()
        b.run_for(0.3)
        dd.call("2001", ["Replaces: " + d.replaces(quoted=False)])
        b.wait(lambda m: m.method == "BYE" and not m.status, 5.0)
        dd.wait(lambda m: m.method == "BYE" and not m.status, 8.0)
        if pbx.wait_exit() != 0:
            raise FlowError("PBX failed")
        expect_ladder("A (PRI)", q931_ladder(pbx.lines()), PBX_CONNECTED + PRI_HUNG_UP)
        expect_ladder("D", dd.ladder, ["> INVITE", "< 200/INVITE", "> ACK", "< BYE", "> 200/BYE"])
        if not gw_log(tb, r"replaces sip \d+ .*\(RFC 3891\)"):
            raise FlowError("gateway did not log the replacement")
    finally:
        b.close()
        dd.close()


def two_pri_calls(tb, switch, *pbx_extra):
    """A (PBX) calls B; B calls 95551234 (the PBX again, C) and REFERs A to C with Replaces:
    both of B's calls are on the PRI."""
    b = xferua.XferUA(tb.sip_port, "2001")
    tb.gateway(tb.config([voip_peer(100, "2001", b.port), pots_peer(900, "9T")], switch=switch))
    pbx = pbx_call(tb, "--switch", switch, "--tone", "2000", "--detect", "2000", "--calls-in", "1",
                   "--hangup-after", "4", *pbx_extra)
    d1 = b.answer()
    d2 = b.call("95551234")
    b.run_for(0.5)
    r = b.refer(d1, "95551234", replaces=d2)
    if r.status != 202:
        raise FlowError("REFER answered %d" % r.status)
    return b, pbx, d1, d2


def b_released_both(b, d1, d2):
    for _ in range(2):
        b.wait(lambda m: m.method == "BYE" and not m.status, 8.0)
    byes = [m.get("call-id") for m in b.msgs if not m.status and m.method == "BYE"]
    if sorted(byes) != sorted([d1.call_id, d2.call_id]):
        raise FlowError("B's two legs were not both released: BYEs on %s" % byes)
    if [f[0] for f in b.notifies()][-1:] != [200]:
        raise FlowError("no NOTIFY 200: %s" % b.notifies())


@flow
def xfer_two_pri_calls_2bct(tb):
    """Both of B's calls on the PRI (NI-2): the gateway asks the switch to connect them (FACILITY,
    2BCT); the switch clears both calls, both B-channels are free, B's legs get BYE."""
    b, pbx, d1, d2 = two_pri_calls(tb, "ni2", "--switch-transfer")
    try:
        b_released_both(b, d1, d2)
        if pbx.wait_exit() != 0:
            raise FlowError("PBX failed")
        lad = q931_ladder(pbx.lines())
        if lad.count("< FACILITY") != 1:
            raise FlowError("the switch was not asked once (FACILITY): %s" % lad)
        fac = lad.index("< FACILITY")
        if sum(x.startswith("> DISCONNECT") for x in lad[fac + 1:]) != 2 or lad.count("> SETUP") != 1 or lad.count("< SETUP") != 1:
            raise FlowError("the switch did not clear both calls after the FACILITY: %s" % lad)
        pbx.wait_line(r"EVENT transfer requested by the gateway: connecting its 2 call")
        if not gw_log(tb, r"transfer asked of the switch \(ni2: 2BCT\)"):
            raise FlowError("gateway did not log the 2BCT request")
        # the last RELEASE COMPLETE may reach the gateway after the PBX has printed its end
        gw = [p for p in tb.procs if p.name == "sipgw"][-1]
        try:
            gw.wait_line(r"23 of 23 B-channels free", timeout=5, stream="err")
        except FlowError:
            raise FlowError("B-channels not all free after the switch cleared both calls")
        if gw_log(tb, r"audio through: pri PCMU <-> pri"):
            raise FlowError("the calls were bridged in the gateway")
    finally:
        b.close()


@flow
def xfer_two_pri_calls_switch_ignores(tb):
    """NI-2, but the switch takes the 2BCT FACILITY and does nothing (libpri reports no refusal):
    after the gateway's wait (4 s) with both calls still up, it joins them itself; A and C hear
    each other through the gateway, B's legs get BYE."""
    b, pbx, d1, d2 = two_pri_calls(tb, "ni2", "--hangup-after", "8")   # longer than the wait
    try:
        b_released_both(b, d1, d2)
        if pbx.wait_exit() != 0:
            raise FlowError("PBX failed")
        if q931_ladder(pbx.lines()).count("< FACILITY") != 1:
            raise FlowError("the switch was not asked (FACILITY): %s" % q931_ladder(pbx.lines()))
        if not gw_log(tb, r"the switch did not connect them in 4000 ms: joining them in sipgw"):
            raise FlowError("gateway did not give up on the switch and join the calls")
        if not gw_log(tb, r"joined with call \d+"):
            raise FlowError("gateway did not join the calls")
        chans = set(re.findall(r"tone 2000 on ch=(\d+)", "\n".join(pbx.lines())))
        if len(chans) != 2:
            raise FlowError("A and C did not hear each other through the gateway: %s" % chans)
    finally:
        b.close()


@flow
def xfer_two_pri_calls_no_switch_service(tb):
    """The same on NI-1, which has no network transfer: the gateway joins the two PRI calls itself
    (A's and C's B-channels bridged in sipgw, audio across), no FACILITY, B's legs get BYE."""
    b, pbx, d1, d2 = two_pri_calls(tb, "ni1")
    try:
        b_released_both(b, d1, d2)
        if pbx.wait_exit() != 0:
            raise FlowError("PBX failed")
        lad = q931_ladder(pbx.lines())
        if "< FACILITY" in lad:
            raise FlowError("FACILITY sent on NI-1: %s" % lad)
        if not gw_log(tb, r"no network transfer for these calls"):
            raise FlowError("gateway did not say the switch has no transfer")
        if not gw_log(tb, r"joined with call \d+"):
            raise FlowError("gateway did not join the calls")
        chans = set(re.findall(r"tone 2000 on ch=(\d+)", "\n".join(pbx.lines())))
        if len(chans) != 2:
            raise FlowError("A and C did not hear each other through the gateway: %s" % chans)
    finally:
        b.close()


@flow
def xfer_door_invite_replaces_untrusted(tb):
    """The door for RFC 3891: an untrusted, unauthenticated D sends an INVITE with Replaces naming the
    A-B dialog: challenged (407) like any INVITE, B keeps A (no BYE until A hangs up)."""
    b = start(tb, trusted=("10.9.9.9",))
    dd = xferua.XferUA(tb.sip_port, "2004")
    try:
        pbx = pbx_call(tb, "--tone", "2000", "--hangup-after", "2")
        d = b.answer()
        b.run_for(0.3)
        try:
            dd.call("2001", ["Replaces: " + d.replaces(quoted=False)])
            raise FlowError("untrusted INVITE with Replaces was taken")
        except AssertionError as e:
            if "407" not in str(e):
                raise FlowError("want 407 for the untrusted Replaces INVITE: %s" % e)
        bye = b.wait(lambda m: m.method == "BYE" and not m.status, 8.0)
        if pbx.wait_exit() != 0:
            raise FlowError("PBX failed")
        if bye.get("call-id") != d.call_id:
            raise FlowError("B's BYE is not for its own dialog")
        expect_ladder("A (PRI)", q931_ladder(pbx.lines()), PBX_CONNECTED + PRI_HUNG_UP)
        if gw_log(tb, r"replaces sip"):
            raise FlowError("the untrusted INVITE replaced B")
    finally:
        b.close()
        dd.close()


@flow
def xfer_door_bye_also_untrusted_to_pstn(tb):
    """The door for BYE/Also: an untrusted B leaves with Also: a PSTN number: refused, no SETUP
    towards the PSTN; with B gone A's call is cleared (cause 16)."""
    b = start(tb, trusted=("10.9.9.9",))
    try:
        pbx = pbx_call(tb, "--tone", "2000", "--hangup-after", "5")
        d = b.answer()
        b.run_for(0.3)
        b.request(d, "BYE", ["Also: <sip:95551234@127.0.0.1:%d>" % tb.sip_port])
        b.wait(lambda m: m.method == "BYE" and m.status >= 200, 5.0)
        if pbx.wait_exit() != 0:
            raise FlowError("PBX failed")
        expect_ladder("A (PRI)", q931_ladder(pbx.lines()),
                      PBX_CONNECTED + ["< DISCONNECT cause=16", "> RELEASE", "< RELEASE COMPLETE"])
        if not gw_log(tb, r"refused transfer by 127\.0\.0\.1 to 95551234"):
            raise FlowError("gateway did not log the refusal at the door")
    finally:
        b.close()


@flow
def xfer_door_refer_digest(tb):
    """B-19 for REFER: an untrusted B's REFER to the PSTN is challenged (407) as its INVITE would be;
    with the wrong password it is refused (403) and no SETUP goes out; with its own digest
    credentials it is accepted (202, NOTIFY 100) and the PBX gets the transfer's SETUP."""
    b = start(tb, trusted=("10.9.9.9",))
    try:
        pbx = pbx_call(tb, "--tone", "2000", "--hangup-after", "3")
        d = b.answer()
        b.run_for(0.3)
        r = b.refer(d, "95551234")
        if r.status != 407 or not r.get("proxy-authenticate"):
            raise FlowError("untrusted REFER not challenged: %d" % r.status)
        r = b.refer(d, "95551234", auth=(B_USER, "wrong"))
        if r.status != 403:
            raise FlowError("REFER with a wrong password answered %d, not 403" % r.status)
        if "SETUP" in " ".join(t for _, t in fl.timed(pbx.lines(), "Q931") if t.startswith("<")):
            raise FlowError("a SETUP went out for a refused transfer")
        r = b.refer(d, "95551234", auth=(B_USER, B_PASS))
        if r.status != 202:
            raise FlowError("authenticated REFER answered %d, not 202" % r.status)
        b.wait(lambda m: m.method == "NOTIFY" and not m.status, 5.0)
        if [f[0] for f in b.notifies()][:1] != [100]:
            raise FlowError("authenticated transfer not under way: %s" % b.notifies())
        pbx.wait_line(r"Q931 < SETUP .*called=5551234", 5.0)
        if not gw_log(tb, r"REFER from 127\.0\.0\.1 as 2001 to 95551234"):
            raise FlowError("gateway did not log the authenticated REFER")
    finally:
        b.close()


@flow
def xfer_sip_party_told_pai(tb):
    """A SIP caller in the trust domain: A calls registered phone B through the gateway, B REFERs A
    to C (registered 2003); when C answers, A gets an UPDATE with P-Asserted-Identity 2003 (RFC
    3325: who it now talks to), B gets BYE."""
    import threading
    b = xferua.XferUA(tb.sip_port, B_USER)
    a = xferua.XferUA(tb.sip_port, "2009")
    try:
        tb.gateway(tb.config([pots_peer(900, "9T")], extra=registrar_conf()))
        b.register(B_PASS)
        c = phone_c(tb)
        got = {}
        t = threading.Thread(target=lambda: got.setdefault("d", b.answer()))
        t.start()
        da = a.call(B_USER)
        t.join(10)
        d = got["d"]
        b.run_for(0.3)
        if b.refer(d, C_USER).status != 202:
            raise FlowError("REFER not accepted")
        b.wait(lambda m: m.method == "BYE" and not m.status, 8.0)
        upd = a.wait(lambda m: m.method == "UPDATE" and not m.status, 5.0)
        pai = upd.get("p-asserted-identity") or ""
        if not pai.startswith("<sip:%s@" % C_USER):
            raise FlowError("A's UPDATE does not assert C (2003): %r" % pai)
        a.request(da, "BYE")
        a.wait(lambda m: m.method == "BYE" and m.status >= 200, 5.0)
        if c.wait_exit() != 0:
            raise FlowError("phone C failed")
        expect_ladder("C", c_ladder(c), PHONE_C_ANSWERED + ["< BYE", "> 200/BYE"])
    finally:
        a.close()
        b.close()


def phone_b(tb, *script):
    """B as the phone simulator (the Cisco transferor of flows_phone_mid.py): answers as 2001."""
    return tb.phone("phone-b", "--user", B_USER, "--answer-after", "0.2", "--tone", "3000", *script)


@flow
def xfer_b06_phone_sim_transferor(tb):
    """B-6 with the phone simulator as B: it holds the PBX caller and REFERs it to C; the gateway
    calls C (Referred-By 2001), B hears NOTIFY 200 ('transferred'), A's B-channel reaches C."""
    gw_uri = "sip:%s@127.0.0.1:%d" % (C_USER, tb.sip_port)
    b = phone_b(tb, "--at", "1.5:hold", "--at", "2.5:transfer:" + gw_uri, "--exit-after-calls", "1")
    tb.gateway(tb.config([voip_peer(100, "2001", b.port), pots_peer(900, "9T")], extra=registrar_conf()))
    c = phone_c(tb)
    pbx = pbx_call(tb, "--tone", "2000", "--detect", "1000", "--hangup-after", "5")
    b.wait_line(r"EVENT call 1 transferred$", 10)
    if pbx.wait_exit() != 0 or c.wait_exit() != 0 or b.wait_exit() != 0:
        raise FlowError("a simulator failed")
    c.wait_line(r"EVENT call 1 referred-by 2001@127\.0\.0\.1")
    expect_ladder("A (PRI)", q931_ladder(pbx.lines()), PBX_CONNECTED + PRI_HUNG_UP)
    a_hears_c(pbx, c)


@flow
def xfer_b08_phone_sim_attended(tb):
    """B-8 with the phone simulator as B: it holds the PBX caller, calls C through the gateway, and
    REFERs call 1 with Replaces of call 2: the gateway joins A and C, both of B's calls end."""
    gw_uri = "sip:%s@127.0.0.1:%d" % (C_USER, tb.sip_port)
    b = phone_b(tb, "--at", "1.5:hold", "--at", "2.0:call:" + gw_uri, "--at", "3.5:attended:2,1",
                "--exit-after-calls", "2")
    tb.gateway(tb.config([voip_peer(100, "2001", b.port), pots_peer(900, "9T")], extra=registrar_conf()))
    c = phone_c(tb)
    pbx = pbx_call(tb, "--tone", "2000", "--detect", "1000", "--hangup-after", "6")
    b.wait_line(r"EVENT call 1 transferred$", 10)
    if pbx.wait_exit() != 0 or c.wait_exit() != 0 or b.wait_exit() != 0:
        raise FlowError("a simulator failed")
    expect_ladder("A (PRI)", q931_ladder(pbx.lines()), PBX_CONNECTED + PRI_HUNG_UP)
    if not gw_log(tb, r"joined with call \d+"):
        raise FlowError("gateway did not join the calls")
    a_hears_c(pbx, c)


@flow
def xfer_door_replaces_of_another_party(tb):
    """The door of an attended transfer: X (2004, a trusted address) has a call of its own with C
    and REFERs it with Replaces naming B's dialog with the PBX caller, whose Call-ID and tags it
    has learnt. The dialog is not X's: 403, nothing is joined, B's call with the PBX goes on
    (no BYE to B), and the log says why."""
    b = start(tb)
    x = xferua.XferUA(tb.sip_port, "2004")
    try:
        c = phone_c(tb)
        pbx = pbx_call(tb, "--tone", "2000", "--hangup-after", "3")
        d1 = b.answer()
        dx = x.call(C_USER)
        x.run_for(0.3)
        r = x.refer(dx, C_USER, replaces=d1)
        if r.status == 202:
            last = x.wait(lambda m: m.method == "NOTIFY" and not m.status, 5.0)
            if "403" not in last.body:
                raise FlowError("a REFER with another party's Replaces was accepted: %s" % last.body)
        elif r.status != 403:
            raise FlowError("a REFER with another party's Replaces answered %d, want 403" % r.status)
        b.run_for(0.5)
        if [m for m in b.msgs if not m.status and m.method == "BYE"]:
            raise FlowError("B's dialog was ended by another party's REFER")
        if pbx.wait_exit() != 0:
            raise FlowError("the PBX call did not go on to its own hangup")
        expect_ladder("A (PRI)", q931_ladder(pbx.lines()), PBX_CONNECTED + PRI_HUNG_UP)
        if not gw_log(tb, r"REFER: Replaces names .* not with the transferor 2004: 403"):
            raise FlowError("the gateway did not log why it refused the Replaces")
        if gw_log(tb, r"joined with call"):
            raise FlowError("the calls were joined")
        c.stop()
    finally:
        b.close()
        x.close()
