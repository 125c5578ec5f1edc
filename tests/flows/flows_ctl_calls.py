# sipgw call-flow tests: sipgwctl's views of calls, registrations and
# dial-peers (show calls, clear call, show registrations, show dial-peers,
# show dial-peer match, debug sip/rtp) against a running gateway, asserted
# as a voice engineer reads them (Cisco show call active voice, clear call
# voice causecode 16, show dialplan number).
# SPDX-License-Identifier: GPL-2.0-only
import re

import flowlib as fl
import sipraw
from flowlib import (PBX_CONNECTED, PHONE_ANSWERED, FlowError, expect_ladder, flow, no_pri, pbx_call,
                     pots_peer, q931_ladder, sip_ladder, voip_peer)
from flows_b17_b23_proxy import gw_uri, registrar_conf, USERS


def one_call(tb):
    j = tb.ctl("show", "calls", json=True)
    if len(j["calls"]) != 1 or len(j["legs"]) != 2:
        raise FlowError("show calls: want one call with two legs: %r" % j)
    call = j["calls"][0]
    legs = dict((lg["leg"], lg) for lg in j["legs"])
    if set(legs) != {"a", "b"} or any(lg["call"] != call["id"] for lg in j["legs"]):
        raise FlowError("show calls: legs not a and b of call %r: %r" % (call["id"], j["legs"]))
    return call, legs["a"], legs["b"]


def expect(what, got, want):
    bad = dict((k, (got.get(k), v)) for k, v in want.items() if got.get(k) != v)
    if bad:
        raise FlowError("%s: (got, want) %r in %r" % (what, bad, got))


@flow
def ctl_show_calls_pri_to_sip(tb):
    """show calls during a PBX -> phone call: one call, both legs; while the phone rings the call
    is ALERTING (the PBX's leg CALL_RECEIVED, U7; the phone's PROCEEDING, 180 in), once answered
    ACTIVE / ACTIVE / CONFIRMED, the PBX's numbers on both legs, PCMU, the phone's own Call-ID, the
    dial-peer the call took; the text view has the same rows."""
    phone = tb.phone("phone", "--answer-after", "1.0", "--exit-after-calls", "1")
    tb.gateway(tb.config([voip_peer(100, "2...", phone.port)]))
    rc, out, _ = tb.ctl("show", "calls")
    if rc != 0 or "(none)" not in out:
        raise FlowError("show calls with no call: rc %d %r" % (rc, out))
    pbx = pbx_call(tb, "--hangup-after", "30")
    call_id = phone.wait_line(r"EVENT call 1 call-id=(\S+)").group(1)
    pbx.wait_line(r"Q931 < ALERTING ")
    call, a, b = one_call(tb)
    expect("ringing call", call, {"state": "ALERTING", "dial_peer": 100, "talk_s": -1,
                                  "calling": "5551000", "called": "2001"})
    expect("ringing PBX leg", a, {"kind": "pri", "state": "CALL_RECEIVED"})
    expect("ringing phone leg", b, {"kind": "sip", "state": "PROCEEDING", "call_id": call_id,
                                    "where": "udp:127.0.0.1:%d" % phone.port})
    pbx.wait_line(r"EVENT call 1 connected")
    call, a, b = one_call(tb)
    expect("answered call", call, {"state": "ACTIVE", "dial_peer": 100})
    if not 0 <= call["talk_s"] <= call["up_s"]:
        raise FlowError("durations: up %r talk %r" % (call["up_s"], call["talk_s"]))
    expect("PBX leg", a, {"kind": "pri", "state": "ACTIVE", "calling": "5551000", "called": "2001",
                          "codec": "PCMU", "call_id": ""})
    if not re.match(r"pbx-a/\d+$", a["where"]):
        raise FlowError("PBX leg where: %r" % a["where"])
    expect("phone leg", b, {"kind": "sip", "state": "CONFIRMED", "calling": "5551000", "called": "2001",
                            "codec": "PCMU", "call_id": call_id})
    rc, out, _ = tb.ctl("show", "calls")
    rows = [ln.split() for ln in out.splitlines()]
    leg_rows = [r for r in rows if r[:2] in (["1", "a"], ["1", "b"])]
    if rc != 0 or len(leg_rows) != 2 or call_id not in leg_rows[1] or "CONFIRMED" not in leg_rows[1] \
            or a["where"] not in leg_rows[0]:
        raise FlowError("show calls text: %r" % out)


@flow
def ctl_show_calls_sip_to_pri(tb):
    """show calls of a phone -> PBX call: the phone's leg is a (UAS, CONFIRMED, from the phone's
    own address and port, its Call-ID), the PBX's leg b (ACTIVE, the number as sent after the
    pots dial-peer stripped the 9), dial-peer 900."""
    tb.gateway(tb.config([pots_peer(900, "9T")]))
    pbx = tb.pbx("--exit-when-done", "--answer-after", "0.2")
    pbx.wait_line(r"EVENT dchan up")
    phone = tb.phone("phone", "--call", "sip:95551234@127.0.0.1:%d" % tb.sip_port, "--from", "2001",
                     "--exit-after-calls", "1")
    phone.wait_line(r"SIP < 200 OK \(INVITE\)")
    call, a, b = one_call(tb)
    expect("call", call, {"state": "ACTIVE", "dial_peer": 900, "calling": "2001", "called": "95551234"})
    expect("phone leg", a, {"kind": "sip", "state": "CONFIRMED", "where": "udp:127.0.0.1:%d" % phone.port,
                            "calling": "2001", "called": "95551234", "codec": "PCMU"})
    expect("PBX leg", b, {"kind": "pri", "state": "ACTIVE", "calling": "2001", "called": "5551234",
                          "codec": "PCMU"})
    if not re.match(r"\S+@|[0-9a-f-]{8,}", a["call_id"]):
        raise FlowError("the phone's leg has no Call-ID: %r" % a)


@flow
def ctl_clear_call_cause_16(tb):
    """clear call ID clears both legs with cause 16: the PBX gets DISCONNECT cause 16, the phone a
    BYE with Reason Q.850;cause=16; the call is gone from show calls; an unknown id or a word
    that is not one is refused with exit status 1."""
    phone = tb.phone("phone", "--answer-after", "0.2", "--exit-after-calls", "1")
    gw = tb.gateway(tb.config([voip_peer(100, "2...", phone.port)]))
    pbx = pbx_call(tb, "--hangup-after", "30")
    pbx.wait_line(r"EVENT call 1 connected")
    call, _, _ = one_call(tb)
    rc, out, err = tb.ctl("clear", "call", "99")
    if rc != 1 or "no call 99" not in err:
        raise FlowError("clear call 99: rc %d out %r err %r" % (rc, out, err))
    rc, out, err = tb.ctl("clear", "call", "x1")
    if rc != 1 or "not a call id" not in err:
        raise FlowError("clear call x1: rc %d err %r" % (rc, err))
    j = tb.ctl("clear", "call", str(call["id"]), json=True)
    if j["cleared"] != {"call": call["id"], "cause": 16, "cause_name": j["cleared"]["cause_name"]}:
        raise FlowError("clear call: %r" % j)
    if pbx.wait_exit() != 0 or phone.wait_exit() != 0:
        raise FlowError("a simulator failed")
    expect_ladder("PRI", q931_ladder(pbx.lines()),
                  PBX_CONNECTED + ["< DISCONNECT cause=16", "> RELEASE", "< RELEASE COMPLETE"])
    expect_ladder("SIP", sip_ladder(phone.lines()), PHONE_ANSWERED + ["< BYE", "> 200/BYE"])
    bye = fl.sip_lines(phone.lines(), r"^< BYE ")[0][1]
    if "reason[Q.850;cause=16" not in bye:
        raise FlowError("BYE without Reason cause 16: " + bye)
    gw.wait_line(r"call %d .*cleared by the operator \(sipgwctl\), cause 16" % call["id"], stream="err")
    gw.wait_line(r"call %d \[\w+\] ended" % call["id"], stream="err")
    if tb.ctl("show", "calls", json=True)["calls"]:
        raise FlowError("the cleared call is still shown")


@flow
def ctl_clear_call_all_with_cause(tb):
    """clear call all cause 17 (as Cisco's causecode): every call cleared with that cause, the
    PBX's DISCONNECT and the phone's BYE Reason both say 17; a cause outside 1..127 is refused."""
    phone = tb.phone("phone", "--answer-after", "0.2", "--exit-after-calls", "1")
    tb.gateway(tb.config([voip_peer(100, "2...", phone.port)]))
    pbx = pbx_call(tb, "--hangup-after", "30")
    pbx.wait_line(r"EVENT call 1 connected")
    rc, _, err = tb.ctl("clear", "call", "all", "cause", "128")
    if rc != 1 or "1..127" not in err:
        raise FlowError("cause 128: rc %d %r" % (rc, err))
    j = tb.ctl("clear", "call", "all", "cause", "17", json=True)
    if j["cleared"] != {"calls": 1, "cause": 17}:
        raise FlowError("clear call all: %r" % j)
    if pbx.wait_exit() != 0 or phone.wait_exit() != 0:
        raise FlowError("a simulator failed")
    expect_ladder("PRI", q931_ladder(pbx.lines()),
                  PBX_CONNECTED + ["< DISCONNECT cause=17", "> RELEASE", "< RELEASE COMPLETE"])
    bye = fl.sip_lines(phone.lines(), r"^< BYE ")[0][1]
    if "reason[Q.850;cause=17" not in bye:
        raise FlowError("BYE without Reason cause 17: " + bye)


@flow
@no_pri
def ctl_show_registrations(tb):
    """show registrations after a phone REGISTERs at the gateway's registrar: its AOR, its contact,
    the address it came from and the seconds left; after it un-REGISTERs it is gone."""
    tb.gateway(tb.config([pots_peer(900, "9T")], extra=registrar_conf(tb)))
    rc, out, _ = tb.ctl("show", "registrations")
    if rc != 0 or "(none)" not in out:
        raise FlowError("show registrations before any: rc %d %r" % (rc, out))
    ph = tb.phone("phone-b", "--user", "2002", "--register", gw_uri(tb), "--auth", "2002:%s" % USERS["2002"],
                  "--expires", "120", "--unregister-at", "1200")
    ph.wait_line(r"EVENT registered expires=\d+ contacts=1")
    regs = tb.ctl("show", "registrations", json=True)["registrations"]
    if len(regs) != 1:
        raise FlowError("show registrations: %r" % regs)
    r = regs[0]
    if r["aor"] != "2002" or ":%d" % ph.port not in r["contact"] or r["source"] != "127.0.0.1" \
            or not 100 < r["expires_s"] <= 120:
        raise FlowError("registration shown: %r" % r)
    rc, out, _ = tb.ctl("show", "registrations")
    if rc != 0 or not re.search(r"^2002\s+\S*:%d\S*\s+127\.0\.0\.1\s+\d+" % ph.port, out, re.M):
        raise FlowError("show registrations text: %r" % out)
    ph.wait_line(r"EVENT unregistered", timeout=10)
    regs = tb.ctl("show", "registrations", json=True)["registrations"]
    if regs:
        raise FlowError("still registered after the un-REGISTER: %r" % regs)


@flow
@no_pri
def ctl_dial_peers_and_match(tb):
    """show dial-peers lists each dial-peer (tag, type, pattern, target, preference, health);
    show dial-peer match says which dial-peers a number hunts, in order: the longest match first,
    then by preference, with the digits a pots peer sends; the first in service is chosen; a
    number no dial-peer takes says so."""
    conf = tb.config([voip_peer(100, "2...", 5999, pref=1), voip_peer(101, "2...", 5998, pref=0),
                      voip_peer(102, "20..", 5997, pref=5), voip_peer(103, "3T", 5996),
                      pots_peer(900, "9T"), pots_peer(901, "91..........", pref=2)])
    gw = tb.gateway(conf)
    peers = tb.ctl("show", "dial-peers", json=True)["dial_peers"]
    tags = [p["tag"] for p in peers]
    if tags != [100, 101, 102, 103, 900, 901]:
        raise FlowError("show dial-peers tags: %r" % tags)
    p100 = peers[0]
    expect("dial-peer 100", p100, {"type": "voip", "pattern": "2...", "target": "ipv4:127.0.0.1:5999",
                                   "preference": 1, "health": "up"})
    expect("dial-peer 900", peers[4], {"type": "pots", "pattern": "9T", "target": "pbx-a", "health": "down"})
    j = tb.ctl("show", "dial-peer", "match", "2005", json=True)
    hunt = [(h["from"], h["tag"], h["verdict"]) for h in j["hunt"]]
    if hunt != [("pri", 102, "chosen"), ("pri", 101, "next"), ("pri", 100, "next")]:
        raise FlowError("2005 hunts %r" % hunt)
    if j["match"] != {"number": "2005", "from_pri": 102, "from_sip": "none"}:
        raise FlowError("2005 match block %r" % j["match"])
    if "longest match" not in j["hunt"][0]["why"] or "preference 1 after 0" not in j["hunt"][2]["why"]:
        raise FlowError("why: %r" % [h["why"] for h in j["hunt"]])
    # no PBX on the span yet: its D-channel is down, a call from SIP would find no way
    j = tb.ctl("show", "dial-peer", "match", "915551234567", "from", "sip", json=True)
    hunt = [(h["tag"], h["number_out"], h["verdict"]) for h in j["hunt"]]
    if hunt != [(901, "5551234567", "skipped: span down"), (900, "15551234567", "skipped: span down")] \
            or j["match"]["from_sip"] != "none in service" or "from_pri" in j["match"]:
        raise FlowError("915551234567 from sip, span down: %r %r" % (hunt, j["match"]))
    tb.pbx("--timeout", "15")
    gw.wait_line(r"span pbx-a: D-channel up", stream="err")
    j = tb.ctl("show", "dial-peer", "match", "915551234567", "from", "sip", json=True)
    hunt = [(h["tag"], h["number_out"], h["verdict"]) for h in j["hunt"]]
    if hunt != [(901, "5551234567", "chosen"), (900, "15551234567", "next")]:
        raise FlowError("915551234567 from sip hunts %r" % hunt)
    if tb.ctl("show", "dial-peers", json=True)["dial_peers"][4]["health"] != "up":
        raise FlowError("dial-peer 900's span is up, show dial-peers says otherwise")
    rc, out, _ = tb.ctl("show", "dial-peer", "match", "4444")
    if rc != 0 or "no dial-peer takes 4444" not in out:
        raise FlowError("a number nobody takes: rc %d %r" % (rc, out))
    if tb.ctl("show", "dial-peer", "match", "4444", json=True)["match"] != \
            {"number": "4444", "from_pri": "none", "from_sip": "none"}:
        raise FlowError("4444 match block")
    rc, _, err = tb.ctl("show", "dial-peer", "match", "12;ab")
    if rc != 1 or "not a number" not in err:
        raise FlowError("a bad number: rc %d %r" % (rc, err))


@flow
@no_pri
def ctl_dial_peer_busied_out(tb):
    """A voip dial-peer its OPTIONS keepalive busied out (a closed port: ICMP refused) shows
    keepalive on, health busy out; show dial-peer match skips it and says none is in service."""
    port = fl.free_port()
    ka = ("options_keepalive = true; options_up_interval = 1; options_down_interval = 1; "
          "options_retry = 1; options_recovery = 1;")
    gw = tb.gateway(tb.config([voip_peer(104, "5...", port) + " " + ka]))
    gw.wait_line(r"dial-peer 104 \(127\.0\.0\.1:%d\) busied out" % port, stream="err")
    peer = tb.ctl("show", "dial-peers", json=True)["dial_peers"][0]
    expect("dial-peer 104", peer, {"tag": 104, "keepalive": "on", "health": "busy out"})
    j = tb.ctl("show", "dial-peer", "match", "5000", json=True)
    if [(h["tag"], h["verdict"]) for h in j["hunt"]] != [(104, "skipped: busy out")] or \
            j["match"]["from_pri"] != "none in service":
        raise FlowError("5000 with its only dial-peer busied out: %r" % j)


def debug_sip_on_off(tb, level):
    phone = tb.phone("phone", "--answer-after", "0.2", "--hangup-after", "0.4", "--exit-after-calls", "2")
    conf = tb.config([voip_peer(100, "2...", phone.port)])
    with open(conf) as f:
        txt = f.read()
    with open(conf, "w") as f:
        f.write(txt.replace('level = "info"', 'level = "%s"' % level))
    gw = tb.gateway(conf)
    j = tb.ctl("debug", "sip", "on", json=True)
    if j["debug"] != {"sip": "on", "calls": "all"}:
        raise FlowError("debug sip on: %r" % j)
    if pbx_call(tb).wait_exit() != 0:
        raise FlowError("the first call failed")
    cid1 = phone.wait_line(r"EVENT call 1 call-id=(\S+)").group(1)
    gw.wait_line(r"debug sip > INVITE sip:2001@127\.0\.0\.1:%d;user=phone SIP/2\.0$" % phone.port, stream="err")
    gw.wait_line(r"debug sip > Call-ID: %s$" % re.escape(cid1), stream="err")
    gw.wait_line(r"debug sip < SIP/2\.0 200 OK$", stream="err")
    rc, _, _ = tb.ctl("debug", "sip", "off")
    if rc != 0:
        raise FlowError("debug sip off failed")
    n_debug = len([ln for ln in gw.errlines() if "debug sip" in ln])
    if pbx_call(tb).wait_exit() != 0:
        raise FlowError("the second call failed")
    cid2 = phone.wait_line(r"EVENT call 2 call-id=(\S+)").group(1)
    if phone.wait_exit() != 0:
        raise FlowError("the phone failed")
    later = [ln for ln in gw.errlines() if "debug sip" in ln][n_debug:]
    if later or cid1 == cid2:
        raise FlowError("debug sip off, yet the second call was logged: %r" % later[:5])


@flow
def ctl_debug_sip_on_off(tb):
    """debug sip on: the next call's INVITE is logged whole (request line, Call-ID) and the
    phone's 200 too; debug sip off: the call after that is not."""
    debug_sip_on_off(tb, "info")


@flow
@no_pri
def ctl_debug_sip_below_info(tb):
    """The same at log level notice, where Sofia's message log is off until debug sip asks for
    it (TPTAG_LOG) and off again after."""
    debug_sip_on_off(tb, "notice")


@flow
def ctl_debug_sip_one_call(tb):
    """debug sip on CALL logs that call's dialog only: its BYE when cleared is logged whole, an
    OPTIONS from elsewhere meanwhile is not."""
    phone = tb.phone("phone", "--answer-after", "0.2", "--exit-after-calls", "1")
    gw = tb.gateway(tb.config([voip_peer(100, "2...", phone.port)]))
    pbx = pbx_call(tb, "--hangup-after", "30")
    pbx.wait_line(r"EVENT call 1 connected")
    call, _, b = one_call(tb)
    j = tb.ctl("debug", "sip", "on", str(call["id"]), json=True)
    if j["debug"] != {"sip": "on", "call": call["id"], "dialogs": 1}:
        raise FlowError("debug sip on CALL: %r" % j)
    ua = sipraw.RawUA(tb.sip_port, "3001")
    try:
        ruri = "sip:3001@127.0.0.1:%d" % tb.sip_port
        ua.request("OPTIONS", ruri, ruri)
        if ua.recv_final().status != 200:
            raise FlowError("OPTIONS not answered 200")
    finally:
        ua.close()
    tb.ctl("clear", "call", str(call["id"]))
    gw.wait_line(r"debug sip > BYE sip:", stream="err")
    gw.wait_line(r"debug sip > Call-ID: %s$" % re.escape(b["call_id"]), stream="err")
    gw.wait_line(r"debug sip < SIP/2\.0 200 OK$", stream="err")
    if any(re.search(r"debug sip . (OPTIONS |Call-ID: %s)" % re.escape(ua.call_id), ln) for ln in gw.errlines()):
        raise FlowError("another dialog's OPTIONS was logged by debug sip on CALL")
    pbx.wait_exit()


@flow
def ctl_debug_rtp_one_call(tb):
    """debug rtp on CALL: a line per RTP packet of that call's SIP leg, both ways; an unknown
    call is refused."""
    phone = tb.phone("phone", "--answer-after", "0.2", "--exit-after-calls", "1")
    gw = tb.gateway(tb.config([voip_peer(100, "2...", phone.port)]))
    pbx = pbx_call(tb, "--hangup-after", "30")
    pbx.wait_line(r"EVENT call 1 connected")
    if any("debug rtp" in ln for ln in gw.errlines()):
        raise FlowError("RTP logged before debug rtp on")
    call, _, _ = one_call(tb)
    j = tb.ctl("debug", "rtp", "on", str(call["id"]), json=True)
    if j["debug"] != {"rtp": "on", "call": call["id"], "dialogs": 1}:
        raise FlowError("debug rtp on CALL: %r" % j)
    gw.wait_line(r"debug rtp sip \d+ \[CONFIRMED\] port \d+: > pt=0 seq=\d+ ts=\d+ m=0 len=160", stream="err")
    gw.wait_line(r"debug rtp sip \d+ \[CONFIRMED\] port \d+: < pt=0 seq=\d+ ts=\d+ m=0 len=160", stream="err")
    rc, _, err = tb.ctl("debug", "rtp", "on", "77")
    if rc != 1 or "no call 77" not in err:
        raise FlowError("debug rtp on 77: rc %d %r" % (rc, err))
    # every session: the lines name the port alone
    tb.ctl("debug", "rtp", "off", str(call["id"]))
    if tb.ctl("debug", "rtp", "on", json=True)["debug"] != {"rtp": "on", "calls": "all"}:
        raise FlowError("debug rtp on (all)")
    gw.wait_line(r"debug rtp port \d+: [<>] pt=0 seq=\d+", stream="err")
