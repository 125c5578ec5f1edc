# Figures B-4, B-5 and B-13 between phones registered to sipgw, the gateway
# as their proxy (B-3 through the gateway is in flows_hold.py; the transfers
# B-6..B-9 in flows_xfer*.py; the redirects B-10..B-12 in
# flows_b10_b12_redirect.py). sipgw is a B2BUA that keeps the media: each
# phone talks SIP and RTP with the gateway only, and every hold a phone does
# reaches the other phone as a re-INVITE of the gateway's. The phones'
# ladders are the figures' as each phone sees them.
# SPDX-License-Identifier: GPL-2.0-only
import flowlib as fl
from flowlib import flow, sip_ladder
from flows_b17_b23_proxy import USERS, after_register, gw_uri, registered_phone, registrar_conf
from flows_phone_mid import (ANSWERED_IN, ANSWERED_OUT, BYE_IN, BYE_OUT, REINVITE_IN, REINVITE_OUT,
                             FlowError, deaf, ev_ms, expect_ladder, expect_merge, hears, wait_all)


def gw_target(tb, user):
    return "sip:%s@127.0.0.1:%d" % (user, tb.sip_port)


def caller(tb, name, user, dial, *args):
    """A phone (trusted address, so not challenged) calling dial through the gateway."""
    return tb.phone(name, "--user", user, "--proxy", gw_uri(tb), "--dial", dial,
                    "--auth", "%s:%s" % (user, USERS[user]), *args)


def ladder(ph):
    """The phone's ladder, less its REGISTER exchange if it registered."""
    lad = sip_ladder(ph.lines())
    return after_register(lad) if lad and lad[0] == "> REGISTER" else lad


@flow
@fl.no_pri
def b04_consultation_via_gateway(tb):
    """B-4 through the gateway: B holds A, calls C, hangs up on C, resumes A; A gets the hold and
    resume as the gateway's re-INVITEs and hears nothing of B meanwhile."""
    tb.gateway(tb.config([], extra=registrar_conf(tb)))
    c = registered_phone(tb, "phone-c", "2003", "--answer-after", "0.3", "--tone", "3000", "--detect", "2000",
                         "--exit-after-calls", "1")
    b = registered_phone(tb, "phone-b", "2002", "--answer-after", "0.3", "--tone", "2000", "--detect", "1000",
                         "--at", "2:hold", "--at", "3:call:%s" % gw_target(tb, "2003"), "--at", "5:hangup:2",
                         "--at", "6:resume:1", "--at", "7.5:hangup:1", "--exit-after-calls", "2")
    a = caller(tb, "phone-a", "2001", "2002", "--tone", "1000", "--detect", "2000", "--exit-after-calls", "1")
    wait_all(a, b, c)
    expect_ladder("phone A", ladder(a), ANSWERED_OUT + REINVITE_IN * 2 + BYE_IN)
    expect_ladder("phone C", ladder(c), ANSWERED_IN + BYE_IN)
    expect_merge("phone B", ladder(b), ANSWERED_IN + REINVITE_OUT * 2 + BYE_OUT, ANSWERED_OUT + BYE_OUT)
    held, resumed = ev_ms(b, r"call 1 held"), ev_ms(b, r"call 1 resumed")
    c_up, c_bye = ev_ms(b, r"call 2 answered"), ev_ms(b, r"at hangup:2")
    if not held < c_up < c_bye < resumed:
        raise FlowError("B's steps out of the figure's order")
    hears(a, 2000, ev_ms(a, r"call 1 answered"), held, "B")
    deaf(a, 2000, held, resumed, "B")
    deaf(b, 1000, held, resumed, "A")
    hears(c, 2000, c_up, c_bye, "B")
    deaf(a, 3000, 0, 10 ** 12, "C")
    hears(a, 2000, resumed, ev_ms(b, r"at hangup:1"), "B")


@flow
@fl.no_pri
def b05_call_waiting_via_gateway(tb):
    """B-5 through the gateway: C calls B during A-B; B holds A, answers C, switches back to A,
    hangs up A, resumes C; each held party hears nothing of B."""
    tb.gateway(tb.config([], extra=registrar_conf(tb)))
    b = registered_phone(tb, "phone-b", "2002", "--answer-after", "0.3", "--answer-waiting", "--tone", "2000",
                         "--detect", "1000", "--at", "4:switch:1", "--at", "5.5:hangup:1", "--at", "6.5:resume:2",
                         "--at", "8:hangup:2", "--exit-after-calls", "2")
    a = caller(tb, "phone-a", "2001", "2002", "--tone", "1000", "--detect", "2000", "--exit-after-calls", "1")
    b.wait_line(r"EVENT call 1 answered")
    c = caller(tb, "phone-c", "2003", "2002", "--tone", "3000", "--detect", "2000", "--exit-after-calls", "1")
    wait_all(a, b, c)
    expect_ladder("phone A", ladder(a), ANSWERED_OUT + REINVITE_IN * 2 + BYE_IN)
    expect_ladder("phone C", ladder(c), ANSWERED_OUT + REINVITE_IN * 2 + BYE_IN)
    expect_merge("phone B", ladder(b), ANSWERED_IN + REINVITE_OUT * 2 + BYE_OUT,
                 ANSWERED_IN + REINVITE_OUT * 2 + BYE_OUT)
    a_held, a_back = ev_ms(b, r"call 1 held"), ev_ms(b, r"call 1 resumed")
    c_up, c_held, c_back = ev_ms(b, r"call 2 answered"), ev_ms(b, r"call 2 held"), ev_ms(b, r"call 2 resumed")
    if not a_held <= c_up < c_held <= a_back < c_back:  # switch:1 holds C and resumes A in one ms
        raise FlowError("B's steps out of figure B-5's order")
    deaf(a, 2000, a_held, a_back, "B")
    hears(c, 2000, c_up, c_held, "B")
    deaf(c, 2000, c_held, c_back, "B")
    hears(a, 2000, a_back, ev_ms(b, r"at hangup:1"), "B")
    hears(c, 2000, c_back, ev_ms(b, r"at hangup:2"), "B")


@flow
@fl.no_pri
def b13_three_way_via_gateway(tb):
    """B-13 through the gateway: B holds A, calls C, resumes A and mixes both calls: A hears C
    and C hears A through B, not before."""
    tb.gateway(tb.config([], extra=registrar_conf(tb)))
    c = registered_phone(tb, "phone-c", "2003", "--answer-after", "0.3", "--tone", "3000", "--detect", "1000",
                         "--exit-after-calls", "1")
    b = registered_phone(tb, "phone-b", "2002", "--answer-after", "0.3", "--detect", "1000",
                         "--at", "2:hold", "--at", "3:call:%s" % gw_target(tb, "2003"), "--at", "4.5:conference",
                         "--at", "7:hangup:1", "--at", "7.5:hangup:2", "--exit-after-calls", "2")
    a = caller(tb, "phone-a", "2001", "2002", "--tone", "1000", "--detect", "3000", "--exit-after-calls", "1")
    wait_all(a, b, c)
    expect_ladder("phone A", ladder(a), ANSWERED_OUT + REINVITE_IN * 2 + BYE_IN)
    expect_ladder("phone C", ladder(c), ANSWERED_IN + BYE_IN)
    expect_merge("phone B", ladder(b), ANSWERED_IN + REINVITE_OUT * 2 + BYE_OUT, ANSWERED_OUT + BYE_OUT)
    b.wait_line(r"EVENT conference calls=1,2$")
    conf, end = ev_ms(b, r"call 1 resumed"), ev_ms(b, r"at hangup:1")
    deaf(a, 3000, 0, conf, "C before the conference")
    deaf(c, 1000, 0, conf, "A before the conference")
    hears(a, 3000, conf, end, "C through B")
    hears(c, 1000, conf, end, "A through B")


@flow
def b13_three_way_pri_caller(tb):
    """B-13 with A on the PRI: the PBX calls registered phone B, B holds it, calls C through the
    gateway and mixes both calls; the PBX caller and C hear each other through B, not before;
    the PBX's call clears normally."""
    peers = ['tag = 99; type = "voip"; destination_pattern = "2..."; session_target = "registrar";']
    tb.gateway(tb.config(peers, extra=registrar_conf(tb)))
    c = registered_phone(tb, "phone-c", "2003", "--answer-after", "0.3", "--tone", "3000", "--detect", "1000",
                         "--exit-after-calls", "1")
    b = registered_phone(tb, "phone-b", "2002", "--answer-after", "0.3", "--detect", "1000",
                         "--at", "2:hold", "--at", "3:call:%s" % gw_target(tb, "2003"), "--at", "4.5:conference",
                         "--at", "7:hangup:1", "--at", "7.5:hangup:2", "--exit-after-calls", "2")
    pbx = tb.pbx("--call", "2002", "--calling", "5551000", "--exit-when-done", "--tone", "1000", "--detect", "3000")
    wait_all(b, c)
    if pbx.wait_exit() != 0:
        raise FlowError("the PBX failed")
    expect_ladder("phone C", ladder(c), ANSWERED_IN + BYE_IN)
    expect_merge("phone B", ladder(b), ANSWERED_IN + REINVITE_OUT * 2 + BYE_OUT, ANSWERED_OUT + BYE_OUT)
    b.wait_line(r"EVENT conference calls=1,2$")
    conf, end = ev_ms(b, r"call 1 resumed"), ev_ms(b, r"at hangup:1")
    deaf(pbx, 3000, 0, conf, "C before the conference")
    deaf(c, 1000, 0, conf, "the PBX caller before the conference")
    hears(pbx, 3000, conf, end, "C through B")
    hears(c, 1000, conf, end, "the PBX caller through B")
    if "< DISCONNECT cause=16" not in fl.q931_ladder(pbx.lines()):
        raise FlowError("the PBX's call did not clear with cause 16: %s" % fl.q931_ladder(pbx.lines()))


@flow
@fl.no_pri
def b06_blind_transfer_via_gateway(tb):
    """B-6 between phones through the gateway: A calls B, B holds A and REFERs it to C. The
    gateway (a B2BUA keeping the media) calls C for A itself, with Referred-By, tells B by
    NOTIFY sipfrag 100 ... 200 and releases B's leg; A's dialog stays as it is (taken off hold)
    and A then talks to C."""
    tb.gateway(tb.config([], extra=registrar_conf(tb)))
    c = registered_phone(tb, "phone-c", "2003", "--answer-after", "0.3", "--tone", "3000", "--detect", "1000",
                         "--exit-after-calls", "1")
    b = registered_phone(tb, "phone-b", "2002", "--answer-after", "0.3", "--tone", "2000", "--detect", "1000",
                         "--at", "2:hold", "--at", "3:transfer:%s" % gw_target(tb, "2003"),
                         "--exit-after-calls", "1")
    a = caller(tb, "phone-a", "2001", "2002", "--tone", "1000", "--detect", "3000", "--hangup-after", "6",
               "--exit-after-calls", "1")
    wait_all(a, b, c)
    b.wait_line(r"EVENT call 1 refer accepted 202")
    b.wait_line(r"EVENT call 1 transferred$")
    c.wait_line(r"EVENT call 1 referred-by 2002@")
    lad_b = ladder(b)
    if lad_b[:len(ANSWERED_IN + REINVITE_OUT)] != ANSWERED_IN + REINVITE_OUT or "> REFER" not in lad_b or \
            "< 202/REFER" not in lad_b or lad_b[-2:] != BYE_IN:
        raise FlowError("phone B's ladder is not answer, hold, REFER/202, NOTIFYs, BYE: %s" % lad_b)
    if "< NOTIFY" not in lad_b:
        raise FlowError("phone B got no NOTIFY: %s" % lad_b)
    expect_ladder("phone C", ladder(c), ANSWERED_IN + BYE_IN)
    lad_a = ladder(a)
    if lad_a[:len(ANSWERED_OUT + REINVITE_IN)] != ANSWERED_OUT + REINVITE_IN or lad_a[-2:] != BYE_OUT:
        raise FlowError("phone A's ladder is not answer, held, ..., BYE: %s" % lad_a)
    hears(a, 3000, ev_ms(c, r"call 1 answered"), ev_ms(a, r"call 1 ended"), "C after the transfer")
    hears(c, 1000, ev_ms(c, r"call 1 answered"), ev_ms(a, r"call 1 ended"), "A after the transfer")
    deaf(a, 3000, 0, ev_ms(c, r"call 1 answered") - 300, "C before the transfer")


@flow
@fl.no_pri
def b08_attended_transfer_via_gateway(tb):
    """B-8 between phones through the gateway: A calls B, B holds A, consults C, holds C and
    REFERs A's call with Replaces of C's: the gateway joins A and C and releases both of B's
    legs; A and C then hear each other."""
    tb.gateway(tb.config([], extra=registrar_conf(tb)))
    c = registered_phone(tb, "phone-c", "2003", "--answer-after", "0.3", "--tone", "3000", "--detect", "1000",
                         "--exit-after-calls", "1")
    b = registered_phone(tb, "phone-b", "2002", "--answer-after", "0.3", "--tone", "2000", "--detect", "1000",
                         "--at", "2:hold", "--at", "2.5:call:%s" % gw_target(tb, "2003"), "--at", "4:hold:2",
                         "--at", "4.5:attended:2,1", "--exit-after-calls", "2")
    a = caller(tb, "phone-a", "2001", "2002", "--tone", "1000", "--detect", "3000", "--hangup-after", "7",
               "--exit-after-calls", "1")
    wait_all(a, b, c)
    b.wait_line(r"EVENT call 1 refer sent to=.* replaces=call 2")
    b.wait_line(r"EVENT call 1 transferred$")
    gw = [p for p in tb.procs if p.name == "sipgw"][-1]
    gw.wait_line(r"joined with call \d+", stream="err")
    lad_b = ladder(b)
    if lad_b.count("< BYE") != 2 or "> REFER" not in lad_b:
        raise FlowError("phone B: want REFER and both its calls ended by the gateway's BYE: %s" % lad_b)
    t_join = ev_ms(b, r"call 1 transferred")
    end = ev_ms(a, r"call 1 ended")
    hears(a, 3000, t_join, end, "C after the transfer")
    hears(c, 1000, t_join, end, "A after the transfer")
