# sipgw call-flow tests for issue 9 item 3: every switch type libpri 1.6
# speaks, with the gateway's span as the network and as the cpe (the PBX
# simulator the other side), each with a PBX -> phone call, a phone -> PBX
# call (ladders on both sides, audio both ways) and a busy call each way
# (cause 17 <-> 486). What libpri does differently per switch is asserted
# where a user would see it: the calling name (display IE, or Facility for
# Q.SIG), the B-channel named in CALL PROCEEDING, the progress indicators
# that tell the PBX the call interworks with a non-ISDN network (SIP).
# SPDX-License-Identifier: GPL-2.0-only
import re

import flowlib as fl
from flowlib import FlowError, expect_ladder, flow, pots_peer, q931_ladder, sip_ladder, voip_peer

# (config switchtype, simulator --switch, framing)
SWITCHES = [
    ("ni2", "ni2", "t1"),
    ("dms100", "dms100", "t1"),
    ("5ess", "5ess", "t1"),
    ("4ess", "4ess", "t1"),
    ("euroisdn_e1", "euroisdn_e1", "e1"),
    ("euroisdn_t1", "euroisdn_t1", "t1"),
    ("qsig", "qsig", "t1"),
]
ROLES = ("network", "cpe")

PRI_IN_ANSWERED = ["> SETUP", "< CALL PROCEEDING", "< ALERTING", "< CONNECT", "> CONNECT ACKNOWLEDGE",
                   "< DISCONNECT cause=16", "> RELEASE", "< RELEASE COMPLETE"]
PRI_IN_BUSY = ["> SETUP", "< CALL PROCEEDING", "< DISCONNECT cause=17", "> RELEASE", "< RELEASE COMPLETE"]
PRI_OUT_ANSWERED = ["< SETUP", "> CALL PROCEEDING", "> ALERTING", "> CONNECT", "< CONNECT ACKNOWLEDGE",
                    "< DISCONNECT cause=16", "> RELEASE", "< RELEASE COMPLETE"]
PRI_OUT_BUSY = ["< SETUP", "> CALL PROCEEDING", "> DISCONNECT cause=17", "< RELEASE", "> RELEASE COMPLETE"]
SIP_IN_ANSWERED = ["< INVITE", "> 100/INVITE", "> 180/INVITE", "> 200/INVITE", "< ACK", "> BYE", "< 200/BYE"]
SIP_IN_BUSY = ["< INVITE", "> 100/INVITE", "> 486/INVITE", "< ACK"]
SIP_OUT_ANSWERED = ["> INVITE", "< 100/INVITE", "< 180/INVITE", "< 200/INVITE", "> ACK", "> BYE", "< 200/BYE"]
SIP_OUT_BUSY = ["> INVITE", "< 100/INVITE", "< 486/INVITE", "> ACK"]


def name_carried(switch, sender_role):
    """Does libpri 1.6 carry a calling name sent by a side of this role?
    Display IE (Q.931 4.5.16) on the US switches both ways; EuroISDN
    (ETS 300 102-1 4.5.16) only network -> user, so libpri blocks it from
    the cpe (pri.c pri_display_options_send_default); Q.SIG never uses the
    display IE but the Name Identification APDU in Facility (ECMA-164),
    which libpri sends only with pri_facility_enable()."""
    if switch.startswith("euroisdn"):
        return sender_role == "network"
    return True


def check_setup_name(setup, switch, sender_role, name):
    """The SETUP on the wire carries the name where libpri puts it for the switch."""
    if switch == "qsig":
        ok = "facility" in setup and "name=" not in setup
        where = "in Facility, no display IE"
    elif name_carried(switch, sender_role):
        ok = 'name="%s"' % name in setup
        where = "in the display IE"
    else:
        ok = "name=" not in setup and "facility" not in setup
        where = "nowhere (no display IE from the cpe)"
    if not ok:
        raise FlowError("%s SETUP from the %s: want the name %s: %s" % (switch, sender_role, where, setup))


def check_interworking_pi(setup, connect, switch):
    """The gateway interworks with SIP (Q.931 5.1.6, 5.2.6): progress indicator
    #3 in its SETUP on NI-2 only, #2 in its CONNECT on all but the DMS-100
    (libpri's rules for its nonisdn flag)."""
    want_setup = " pi=3" if switch == "ni2" else None
    want_conn = None if switch == "dms100" else " pi=2"
    got_setup = re.search(r" pi=\d+", setup)
    got_conn = re.search(r" pi=\d+", connect)
    if (got_setup and got_setup.group(0)) != want_setup or (got_conn and got_conn.group(0)) != want_conn:
        raise FlowError("%s interworking progress indicators: want SETUP%s, CONNECT%s; got %s / %s" % (
            switch, want_setup or " without pi", want_conn or " without pi", setup, connect))


def other(role):
    return "cpe" if role == "network" else "network"


def gw_config(tb, switch, framing, role, peers):
    path = tb.config(peers, framing=framing, switch=switch)
    with open(path) as f:
        txt = f.read()
    if txt.count('role = "network";') != 1:
        raise FlowError("config template changed: cannot set the span's role")
    with open(path, "w") as f:
        f.write(txt.replace('role = "network";', 'role = "%s";' % role))
    return path


def pbx(tb, name, sim_switch, framing, role, *args):
    return tb.start(name, [tb.bin("sipgw-pbx"), "-s", tb.span_path(), "--role", other(role),
                           "--switch", sim_switch, "--framing", framing, "--timeout", "20",
                           "--exit-when-done"] + list(args))


def q931_msg(proc, prefix):
    got = [t for _, t in fl.timed(proc.lines(), "Q931") if t.startswith(prefix)]
    if not got:
        raise FlowError("%s: no Q.931 line starting %r" % (proc.name, prefix))
    return got[0]


def ok_exit(*procs):
    for p in procs:
        rc = p.wait_exit()
        if rc != 0:
            raise FlowError("%s exited with %s" % (p.name, rc))


def switch_matrix_pair(tb, switch, sim_switch, framing, role):
    answerer = tb.phone("answerer", "--answer-after", "0.1", "--tone", "1000", "--detect", "2000",
                        "--hangup-after", "0.5", "--exit-after-calls", "1")
    busy = tb.phone("busy", "--reject", "486", "--exit-after-calls", "1")
    gw = tb.gateway(gw_config(tb, switch, framing, role, [
        voip_peer(100, "2...", answerer.port), voip_peer(101, "3...", busy.port), pots_peer(900, "9T")]))
    law = "PCMA" if framing == "e1" else "PCMU"

    # 1. PBX -> phone, answered, the phone hangs up.
    p1 = pbx(tb, "pbx-in", sim_switch, framing, role, "--call", "2001", "--calling", "5551000",
             "--name", "User A", "--tone", "2000", "--detect", "1000")
    ok_exit(p1, answerer)
    expect_ladder("PRI in", q931_ladder(p1.lines()), PRI_IN_ANSWERED)
    expect_ladder("SIP in", sip_ladder(answerer.lines()), SIP_IN_ANSWERED)
    fl.check_audio_crossed(p1, answerer)
    if not any(re.search(r"pri %s <-> rtp" % law, l) for l in gw.errlines()):
        raise FlowError("the span did not bridge %s" % law)
    # no name: the gateway shows the number as the display name
    display = "User A" if name_carried(switch, other(role)) else "5551000"
    display = 'display="%s"' % display
    answerer.wait_line(r"EVENT call 1 incoming from=5551000 %s to=2001" % re.escape(display), timeout=1)
    check_setup_name(q931_msg(p1, "> SETUP"), switch, other(role), "User A")
    # Q.931 5.2.5.1 / 4.5.13: the first answer to a SETUP names the B-channel.
    setup_chan = re.search(r"chan=(\d+)", q931_msg(p1, "> SETUP"))
    proc_chan = re.search(r"chan=(\d+)", q931_msg(p1, "< CALL PROCEEDING"))
    if not setup_chan or not proc_chan or setup_chan.group(1) != proc_chan.group(1):
        raise FlowError("CALL PROCEEDING does not name the SETUP's B-channel: %s / %s" % (
            q931_msg(p1, "> SETUP"), q931_msg(p1, "< CALL PROCEEDING")))

    # 2. PBX -> phone, busy: 486 -> DISCONNECT cause 17.
    p2 = pbx(tb, "pbx-in-busy", sim_switch, framing, role, "--call", "3001", "--calling", "5551000")
    ok_exit(p2, busy)
    expect_ladder("PRI in busy", q931_ladder(p2.lines()), PRI_IN_BUSY)
    expect_ladder("SIP in busy", sip_ladder(busy.lines()), SIP_IN_BUSY)

    # 3. phone -> PBX, answered, the phone hangs up.
    p3 = pbx(tb, "pbx-out", sim_switch, framing, role, "--answer-after", "0.1", "--tone", "2000",
             "--detect", "1000")
    p3.wait_line(r"EVENT dchan up")
    caller = tb.phone("caller", "--call", "sip:95551234@127.0.0.1:%d" % tb.sip_port, "--from", "2001",
                      "--display", "User B", "--tone", "1000", "--detect", "2000", "--hangup-after", "0.5",
                      "--exit-after-calls", "1")
    ok_exit(caller, p3)
    expect_ladder("SIP out", sip_ladder(caller.lines()), SIP_OUT_ANSWERED)
    expect_ladder("PRI out", q931_ladder(p3.lines()), PRI_OUT_ANSWERED)
    setup = q931_msg(p3, "< SETUP")
    if "called=5551234" not in setup or "calling=2001" not in setup:
        raise FlowError("SETUP numbers: want called=5551234 calling=2001: %s" % setup)
    check_setup_name(setup, switch, role, "User B")
    check_interworking_pi(setup, q931_msg(p1, "< CONNECT"), switch)
    p3.wait_line(r'EVENT call 1 incoming from=2001 name="%s" to=5551234' % (
        "User B" if name_carried(switch, role) else ""), timeout=1)
    fl.check_audio_crossed(p3, caller)

    # 4. phone -> PBX, busy: cause 17 -> 486 with Reason cause 17.
    p4 = pbx(tb, "pbx-out-busy", sim_switch, framing, role, "--reject", "17")
    p4.wait_line(r"EVENT dchan up")
    caller2 = tb.phone("caller-busy", "--call", "sip:95551234@127.0.0.1:%d" % tb.sip_port, "--from", "2001",
                       "--exit-after-calls", "1")
    ok_exit(caller2, p4)
    expect_ladder("SIP out busy", sip_ladder(caller2.lines()), SIP_OUT_BUSY)
    expect_ladder("PRI out busy", q931_ladder(p4.lines()), PRI_OUT_BUSY)
    if "cause=17" not in fl.sip_lines(caller2.lines(), r"^< 486")[0][1]:
        raise FlowError("486 without Reason cause=17")


def early_media_pair(tb, switch, sim_switch, framing, role):
    """Progress indicators (Q.931 4.5.23) both ways: 183 with SDP -> PROGRESS
    pi=8 and audio before CONNECT; ALERTING pi=8 -> 183 and audio before 200."""
    early = tb.phone("early", "--no-ringing", "--early-media", "--answer-after", "0.5", "--tone", "1000",
                     "--hangup-after", "0.2", "--exit-after-calls", "1")
    tb.gateway(gw_config(tb, switch, framing, role, [voip_peer(100, "2...", early.port), pots_peer(900, "9T")]))

    p1 = pbx(tb, "pbx-in", sim_switch, framing, role, "--call", "2001", "--calling", "5551000", "--detect", "1000")
    ok_exit(p1, early)
    expect_ladder("PRI in, early media", q931_ladder(p1.lines()),
                  ["> SETUP", "< CALL PROCEEDING", "< PROGRESS pi=8", "< CONNECT", "> CONNECT ACKNOWLEDGE",
                   "< DISCONNECT cause=16", "> RELEASE", "< RELEASE COMPLETE"])
    expect_ladder("SIP in, early media", sip_ladder(early.lines()),
                  ["< INVITE", "> 100/INVITE", "> 183/INVITE", "< PRACK", "> 200/PRACK", "> 200/INVITE", "< ACK",
                   "> BYE", "< 200/BYE"])
    t_conn = [ms for ms, t in fl.timed(p1.lines(), "Q931") if t.startswith("< CONNECT ")][0]
    ons = [ms for ms, e in fl.tone_events(p1.lines(), 1000) if e == "on"]
    if not ons or ons[0] >= t_conn:
        raise FlowError("no early audio at the PBX before CONNECT (tone on at %s, CONNECT at %d)" % (ons, t_conn))

    p2 = pbx(tb, "pbx-out", sim_switch, framing, role, "--inband", "--answer-after", "0.5", "--tone", "2000")
    p2.wait_line(r"EVENT dchan up")
    caller = tb.phone("caller", "--call", "sip:95551234@127.0.0.1:%d" % tb.sip_port, "--from", "2001",
                      "--detect", "2000", "--hangup-after", "0.2", "--exit-after-calls", "1")
    ok_exit(caller, p2)
    expect_ladder("SIP out, in-band", sip_ladder(caller.lines()),
                  ["> INVITE", "< 100/INVITE", "< 183/INVITE", "> PRACK", "< 200/PRACK", "< 200/INVITE", "> ACK",
                   "> BYE", "< 200/BYE"])
    expect_ladder("PRI out, in-band", q931_ladder(p2.lines()), PRI_OUT_ANSWERED)
    if "pi=8" not in q931_msg(p2, "> ALERTING"):
        raise FlowError("ALERTING without pi=8: %s" % q931_msg(p2, "> ALERTING"))
    t200 = fl.sip_lines(caller.lines(), r"^< 200 OK \(INVITE\)")[0][0]
    ons = [ms for ms, e in fl.tone_events(caller.lines(), 2000) if e == "on"]
    if not ons or ons[0] >= t200:
        raise FlowError("no in-band audio at the phone before 200 OK (on=%s, 200 at %d)" % (ons, t200))


@flow
def switch_qsig_same_role_refused(tb):
    """Q.SIG with both ends cpe: libpri 1.6 cannot bring the link up (Q.921 C/R); sipgw says why, a SIP
    call to the span gets 503 cause 38."""
    tb.gateway(gw_config(tb, "qsig", "t1", "cpe", [pots_peer(900, "9T")]))
    gw = tb.procs[0]
    p = tb.start("pbx", [tb.bin("sipgw-pbx"), "-s", tb.span_path(), "--role", "cpe", "--switch", "qsig",
                         "--timeout", "20"])
    gw.wait_line(r"span pbx-a: the far end takes our role \(cpe\) too, one end must be network, the other cpe "
                 r"\(libpri: \"We think we're the CPE, but they think they're the CPE too\.\"\)", stream="err")
    caller = tb.phone("caller", "--call", "sip:95551234@127.0.0.1:%d" % tb.sip_port, "--from", "2001",
                      "--exit-after-calls", "1")
    caller.wait_exit()
    expect_ladder("SIP", sip_ladder(caller.lines()), ["> INVITE", "< 100/INVITE", "< 503/INVITE", "> ACK"])
    if "cause=38" not in fl.sip_lines(caller.lines(), r"^< 503")[0][1]:
        raise FlowError("503 without Reason cause=38")
    if any(ln.split(" ")[1] == "EVENT" and "dchan up" in ln for ln in p.lines()):
        raise FlowError("the D-channel came up with both ends cpe")
    if fl.timed(p.lines(), "Q931"):
        raise FlowError("Q.931 crossed a link that cannot be up: %s" % fl.timed(p.lines(), "Q931"))


def make_pair_flow(switch, sim_switch, framing, role):
    def test(tb):
        switch_matrix_pair(tb, switch, sim_switch, framing, role)
    test.__name__ = "switch_%s_%s" % (switch, role)
    test.__doc__ = ("%s %s, gateway as %s: PBX->phone and phone->PBX answered (audio both ways) and busy "
                    "(17 <-> 486)" % (switch, framing.upper(), role))
    return flow(test)


def make_early_flow(switch, sim_switch, framing, role):
    def test(tb):
        early_media_pair(tb, switch, sim_switch, framing, role)
    test.__name__ = "switch_%s_%s_progress" % (switch, role)
    test.__doc__ = ("%s %s, gateway as %s: progress indicator 8 both ways (183 <-> PROGRESS / ALERTING pi=8), "
                    "early audio" % (switch, framing.upper(), role))
    return flow(test)


for _sw, _sim, _fr in SWITCHES:
    for _role in ROLES:
        make_pair_flow(_sw, _sim, _fr, _role)
        make_early_flow(_sw, _sim, _fr, _role)
