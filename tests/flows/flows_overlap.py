# sipgw call-flow tests for overlap dialling (Q.931 5.1.3, 5.2.4; issue 9
# item 4): a SETUP without Sending Complete is acknowledged and its digits
# collected from INFORMATION until the number is complete by Cisco's rule
# (a dial-peer matches and no pattern could take a longer number), a '#',
# or T302; then routed en bloc. Towards the PBX, a span with overlap_send
# sends the first digit in SETUP and the rest in INFORMATION.
# SPDX-License-Identifier: GPL-2.0-only
import re

import flowlib as fl
from flowlib import (FlowError, expect_ladder, flow, pots_peer, q931_ladder, sip_ladder, span_keys,
                     voip_peer)


def with_t302(conf, seconds):
    with open(conf) as f:
        txt = f.read()
    txt = txt.replace("shutdown-grace = 2;", "shutdown-grace = 2; T302 = %s;" % seconds)
    with open(conf, "w") as f:
        f.write(txt)
    return conf


def overlap_call(tb, peers, number, first, t302=5, phone_args=()):
    """The PBX dials number with its first digits in SETUP and the rest in
    INFORMATION; the phone answers and hangs up."""
    phone = tb.phone("phone", "--answer-after", "0.1", "--hangup-after", "0.3", "--exit-after-calls", "1",
                     *phone_args)
    conf = with_t302(span_keys(tb.config([p(phone.port) for p in peers]), "overlap_receive = true;"), t302)
    gw = tb.gateway(conf)
    pbx = tb.pbx("--call", number, "--calling", "5551000", "--overlap", str(first), "--exit-when-done")
    return gw, pbx, phone


OVERLAP_CONNECTED = ["> SETUP", "< SETUP ACKNOWLEDGE"]


def invite_number(phone):
    inv = fl.sip_lines(phone.lines(), r"^< INVITE")
    if not inv:
        raise FlowError("the phone got no INVITE")
    m = re.search(r"sip:([^@]+)@", inv[0][1])
    return m.group(1) if m else None


def informations(pbx):
    return [t for _, t in fl.timed(pbx.lines(), "Q931") if t.startswith("> INFORMATION")]


@flow
def overlap_digits_until_complete(tb):
    """Overlap: SETUP "2", INFORMATION 0, 0, 1: the number is complete at the
    fourth digit (pattern 2..., nothing longer): CALL PROCEEDING, INVITE 2001,
    no T302 wait."""
    gw, pbx, phone = overlap_call(tb, [lambda port: voip_peer(100, "2...", port)], "2001", 1, t302=10)
    if pbx.wait_exit() != 0 or phone.wait_exit() != 0:
        raise FlowError("a simulator failed")
    lad = q931_ladder(pbx.lines())
    want = ["> SETUP", "< SETUP ACKNOWLEDGE", "> INFORMATION", "> INFORMATION", "> INFORMATION",
            "< CALL PROCEEDING", "< ALERTING", "< CONNECT", "> CONNECT ACKNOWLEDGE"]
    expect_ladder("PRI", lad[:len(want)], want)
    if invite_number(phone) != "2001":
        raise FlowError("INVITE not for 2001: %s" % invite_number(phone))
    # routed on the fourth digit by the dial-peer rule, not by T302 (10 s) running out
    if not gw.wait_line(r"number complete \(no longer match possible\): 2001", stream="err", timeout=1):
        raise FlowError("no 'number complete' line")


@flow
def overlap_hash_ends_number(tb):
    """Overlap: '#' ends the number (pattern 5T could take more digits):
    routed as 55512 at once, the '#' not part of it."""
    gw, pbx, phone = overlap_call(tb, [lambda port: voip_peer(100, "5T", port)], "55512#", 1, t302=10)
    if pbx.wait_exit() != 0 or phone.wait_exit() != 0:
        raise FlowError("a simulator failed")
    if invite_number(phone) != "55512":
        raise FlowError("INVITE not for 55512: %s" % invite_number(phone))
    if len(informations(pbx)) != 5:
        raise FlowError("want 5 INFORMATION messages, got %s" % informations(pbx))
    gw.wait_line(r"number complete \(#\): 55512", stream="err", timeout=1)


@flow
def overlap_t302_routes_what_came(tb):
    """Overlap: pattern 5T always takes more, no '#': T302 (0.8 s) runs out
    after the last INFORMATION and the number is routed as it stands."""
    gw, pbx, phone = overlap_call(tb, [lambda port: voip_peer(100, "5T", port)], "5551", 1, t302=0.8)
    if pbx.wait_exit() != 0 or phone.wait_exit() != 0:
        raise FlowError("a simulator failed")
    if invite_number(phone) != "5551":
        raise FlowError("INVITE not for 5551: %s" % invite_number(phone))
    gw.wait_line(r"number complete \(T302\): 5551", stream="err", timeout=1)
    lad = q931_ladder(pbx.lines())
    if lad[:6] != ["> SETUP", "< SETUP ACKNOWLEDGE", "> INFORMATION", "> INFORMATION", "> INFORMATION",
                   "< CALL PROCEEDING"]:
        raise FlowError("ladder: %s" % lad)


@flow
def overlap_waits_for_longer_match(tb):
    """Overlap: 200 matches dial-peer 200 but 2... could still match a
    longer number: the gateway waits, and routes 2001 when the fourth digit
    comes; a SETUP whose number can only grow waits, not routes early."""
    peers = [lambda port: voip_peer(100, "200", port), lambda port: voip_peer(101, "2...", port)]
    gw, pbx, phone = overlap_call(tb, peers, "2001", 3, t302=10)
    if pbx.wait_exit() != 0 or phone.wait_exit() != 0:
        raise FlowError("a simulator failed")
    if invite_number(phone) != "2001":
        raise FlowError("routed %s, not 2001: it did not wait for the longer match" % invite_number(phone))
    gw.wait_line(r"SETUP called=200 .*\(overlap: more digits expected\)", stream="err", timeout=1)


@flow
def overlap_en_bloc_setup_unchanged(tb):
    """A span with overlap_receive still takes an en-bloc SETUP (Sending
    Complete) at once: CALL PROCEEDING, no SETUP ACKNOWLEDGE."""
    phone = tb.phone("phone", "--answer-after", "0.1", "--hangup-after", "0.3", "--exit-after-calls", "1")
    conf = span_keys(tb.config([voip_peer(100, "2...", phone.port)]), "overlap_receive = true;")
    tb.gateway(conf)
    pbx = fl.pbx_call(tb)
    if pbx.wait_exit() != 0 or phone.wait_exit() != 0:
        raise FlowError("a simulator failed")
    expect_ladder("PRI", q931_ladder(pbx.lines())[:5], fl.PBX_CONNECTED)


@flow
def overlap_send_to_pbx(tb):
    """SIP -> PRI on a span with overlap_send: SETUP with the first digit and
    no Sending Complete, SETUP ACKNOWLEDGE, the rest one digit per
    INFORMATION; the PBX (collecting 7 digits) then proceeds and answers."""
    conf = span_keys(tb.config([voip_peer(100, "2...", 9), pots_peer(900, "9T")]), "overlap_send = true;")
    tb.gateway(conf)
    pbx = tb.pbx("--collect", "7", "--answer-after", "0.2", "--exit-when-done")
    pbx.wait_line(r"EVENT dchan up")
    phone = tb.phone("phone", "--call", "sip:95551234@127.0.0.1:%d" % tb.sip_port, "--from", "2001",
                     "--exit-after-calls", "1", "--hangup-after", "0.5")
    if phone.wait_exit() != 0 or pbx.wait_exit() != 0:
        raise FlowError("a simulator failed")
    lad = q931_ladder(pbx.lines())
    want = ["< SETUP", "> SETUP ACKNOWLEDGE"] + ["< INFORMATION"] * 6 + ["> CALL PROCEEDING", "> ALERTING",
                                                                           "> CONNECT"]
    expect_ladder("PRI", lad[:len(want)], want)
    setup = [t for _, t in fl.timed(pbx.lines(), "Q931") if t.startswith("< SETUP")][0]
    if "called=5 " not in setup + " ":
        raise FlowError("SETUP should carry the first digit only: " + setup)
    if not pbx.wait_line(r"EVENT call \d+ number=5551234", timeout=1):
        raise FlowError("the PBX did not collect 5551234")
    expect_ladder("SIP", sip_ladder(phone.lines())[:4], ["> INVITE", "< 100/INVITE", "< 180/INVITE",
                                                         "< 200/INVITE"])


@flow
def overlap_caller_gives_up(tb):
    """Overlap: the caller clears while digits are still awaited (T302 running):
    the gateway releases the call (DISCONNECT answered), nothing reaches SIP, and
    the B-channel is free again."""
    phone = tb.phone("phone", "--answer-after", "0.1", "--exit-after-calls", "1")
    conf = with_t302(span_keys(tb.config([voip_peer(100, "2...", phone.port)]), "overlap_receive = true;"), 10)
    gw = tb.gateway(conf)
    pbx = tb.pbx("--call", "20", "--calling", "5551000", "--overlap", "1", "--cancel-after", "0.3",
                 "--exit-when-done")
    if pbx.wait_exit() != 0:
        raise FlowError("the PBX failed")
    lad = q931_ladder(pbx.lines())
    want = ["> SETUP", "< SETUP ACKNOWLEDGE", "> INFORMATION", "> DISCONNECT cause=16", "< RELEASE",
            "> RELEASE COMPLETE"]
    expect_ladder("PRI", lad, want)
    if fl.sip_lines(phone.lines(), r"INVITE"):
        raise FlowError("an INVITE went out for an incomplete number")
    gw.wait_line(r"B-channel 1 free", stream="err", timeout=2)
