# sipgw call-flow tests: sipgwctl's span views and controls (issue 13 item
# 1, PRI side): show spans (Cisco "show isdn status") through a D-channel
# drop and a line alarm, show channels during calls, busyout / unbusy of
# channels and spans (Cisco "busyout", with SERVICE to the PBX), debug q931
# (Cisco "debug isdn q931").
# SPDX-License-Identifier: GPL-2.0-only
import re
import signal

import flowlib as fl
from flowlib import (PBX_CONNECTED, FlowError, FlowSkip, expect_ladder, flow, pots_peer, q931_ladder, sip_ladder,
                     voip_peer)

N_B = 23    # B-channels of the T1 span


def span_row(tb, name="pbx-a"):
    j = tb.ctl("show", "spans", json=True)
    rows = [r for r in j["spans"] if r["span"] == name]
    if len(rows) != 1:
        raise FlowError("show spans --json has no single row for %s: %r" % (name, j))
    return rows[0]


def chan_rows(tb, name="pbx-a"):
    j = tb.ctl("show", "channels", name, json=True)
    return dict((r["chan"], r) for r in j["channels"])


def expect(what, got, want):
    bad = dict((k, got.get(k)) for k, v in want.items() if got.get(k) != v)
    if bad:
        raise FlowError("%s: want %r, got %r (all: %r)" % (what, want, bad, got))


def pbx_up(tb, name="pbx", *args, span="pbx-a"):
    """A PBX on the span that takes calls; returns once the gateway's RESTARTs are answered."""
    pbx = tb.start(name, [tb.bin("sipgw-pbx"), "-s", tb.span_path(span), "--role", "cpe", "--timeout", "30",
                          "--answer-after", "0.1", "--calls-in", "100"] + list(args))
    pbx.wait_line(r"EVENT restart wait over")
    return pbx


def sip_call(tb, name, *args):
    """A phone calling 95551234 through the gateway (pots dial-peer 9T)."""
    return tb.phone(name, "--call", "sip:95551234@127.0.0.1:%d" % tb.sip_port, "--from", "2001",
                    "--exit-after-calls", "1", *args)


def setup_chans(pbx):
    """The B-channel of each SETUP the PBX got, in order."""
    return [int(re.search(r"chan=(\d+)", t).group(1)) for _, t in fl.timed(pbx.lines(), "Q931")
            if t.startswith("< SETUP")]


def gone_alarms():
    # the fake DAHDI turns a far end that went into a red alarm, as a card
    # sees a cable pulled; a loopback span only knows its peer went
    return "red" if fl.SPAN_TYPE == "dahdi" else "far end gone"


@flow
def ctl_show_spans_dchan_drop(tb):
    """show spans: no PBX yet, D-channel down and the far end gone; the PBX up: D-channel up
    (Q.921 multiframe established), 23 B-channels idle; the PBX killed: down again, with the
    alarm; a new PBX: up again. Text for a person names the same."""
    gw = tb.gateway(tb.config([voip_peer(100, "2...", 9)]))
    expect("before any PBX", span_row(tb), {"dchan": "down", "q921": "TEI_ASSIGNED", "alarms": gone_alarms(),
                                            "b_chans": N_B, "calls": 0})
    pbx = pbx_up(tb)
    expect("PBX up", span_row(tb), {
        "span": "pbx-a", "type": fl.SPAN_TYPE, "framing": "T1", "switch": "ni2", "role": "network",
        "dchan": "up", "q921": "MULTIPLE_FRAME_ESTABLISHED", "alarms": "none", "b_chans": N_B,
        "busy": 0, "idle": N_B, "oos_far": 0, "oos_near": 0, "restarting": 0, "calls": 0})
    rc, out, err = tb.ctl("show", "spans")
    lines = out.splitlines()
    if rc != 0 or len(lines) != 2 or lines[0].split()[:6] != ["span", "type", "framing", "switch", "role", "dchan"]:
        raise FlowError("show spans text: rc %d %r %r" % (rc, out, err))
    row = lines[1].split()
    if row[0] != "pbx-a" or row[5] != "up" or row[6] != "MULTIPLE_FRAME_ESTABLISHED":
        raise FlowError("show spans text row: %r" % lines[1])
    pbx.stop(signal.SIGKILL)
    gw.wait_line(r"span pbx-a: (far end disconnected|D-channel down|DAHDI span 1 alarms: red)", stream="err")
    expect("PBX killed", span_row(tb), {"dchan": "down", "q921": "TEI_ASSIGNED", "alarms": gone_alarms()})
    pbx_up(tb, "pbx2")
    expect("a new PBX", span_row(tb), {"dchan": "up", "q921": "MULTIPLE_FRAME_ESTABLISHED", "alarms": "none",
                                       "idle": N_B})


@flow
def ctl_show_spans_dahdi_alarm(tb):
    """On a dahdi span: a yellow alarm the card reports shows in show spans with the D-channel
    down; cleared, the alarm goes and the D-channel comes back."""
    if fl.SPAN_TYPE != "dahdi":
        raise FlowSkip("line alarms: dahdi spans only (run with --span-type dahdi)")
    gw = tb.gateway(tb.config([voip_peer(100, "2...", 9)]))
    pbx_up(tb)
    if tb.fake_ctl("alarm 1 yellow") != "ok":
        raise FlowError("the fake DAHDI refused the alarm")
    gw.wait_line(r"span pbx-a: DAHDI span 1 alarms: yellow \(were none\): span down", stream="err")
    expect("yellow alarm", span_row(tb), {"dchan": "down", "alarms": "yellow"})
    if tb.fake_ctl("alarm 1 clear") != "ok":
        raise FlowError("the fake DAHDI refused to clear the alarm")
    gw.wait_line(r"span pbx-a: DAHDI span 1 alarms: none \(were yellow\): span up", stream="err")
    gw.wait_count(r"span pbx-a: D-channel up", 2, stream="err")
    expect("alarm cleared", span_row(tb), {"dchan": "up", "alarms": "none"})


@flow
def ctl_show_channels_during_calls(tb):
    """show channels during two calls: the PBX's call to a phone (in, ACTIVE, its numbers, the
    call id) and a phone's call out to the PBX (out, ACTIVE); every other channel idle; show
    spans counts them; after both end all are idle again."""
    phone = tb.phone("phone", "--answer-after", "0.1", "--exit-after-calls", "1")
    gw = tb.gateway(tb.config([voip_peer(100, "2...", phone.port), pots_peer(900, "9T")]))
    pbx = pbx_up(tb, "pbx", "--call", "2001", "--calling", "5551000")
    pbx.wait_line(r"EVENT call 1 connected")
    out = sip_call(tb, "caller")
    pbx.wait_line(r"EVENT call 2 connected")
    out.wait_line(r"EVENT call 1 answered")
    in_chan = [int(re.search(r"chan=(\d+)", t).group(1)) for _, t in fl.timed(pbx.lines(), "Q931")
               if t.startswith("> SETUP")][0]
    out_chan = setup_chans(pbx)[0]
    rows = chan_rows(tb)
    if sorted(rows) != list(range(1, N_B + 1)):
        raise FlowError("show channels lists %s" % sorted(rows))
    expect("the PBX's call's channel %d" % in_chan, rows[in_chan], {
        "state": "busy", "q931_state": "ACTIVE", "direction": "in", "called": "2001", "calling": "5551000",
        "service": "in"})
    expect("the phone's call's channel %d" % out_chan, rows[out_chan], {
        "state": "busy", "q931_state": "ACTIVE", "direction": "out", "called": "5551234"})
    if rows[in_chan]["call"] <= 0 or rows[out_chan]["call"] <= 0 or rows[in_chan]["call"] == rows[out_chan]["call"]:
        raise FlowError("call ids %r and %r" % (rows[in_chan]["call"], rows[out_chan]["call"]))
    idle = [c for c, r in rows.items() if r["state"] == "idle" and r["call"] == 0 and r["q931_state"] == ""]
    if len(idle) != N_B - 2:
        raise FlowError("%d idle channels besides the two calls, want %d: %r" % (len(idle), N_B - 2, rows))
    expect("show spans during the calls", span_row(tb), {"busy": 2, "idle": N_B - 2, "calls": 2})
    rc, txt, _ = tb.ctl("show", "channels", "pbx-a")
    mine = [ln.split() for ln in txt.splitlines() if ln.split()[:1] == [str(in_chan)]]
    if rc != 0 or not mine or mine[0][1:3] != ["busy", "ACTIVE"]:
        raise FlowError("show channels text: %r" % txt)
    pbx.stop()
    gw.wait_line(r"span pbx-a: (far end disconnected|DAHDI span 1 alarms: red)", stream="err")
    expect("after the calls", span_row(tb), {"busy": 0, "calls": 0})


@flow
def ctl_busyout_channel_not_hunted(tb):
    """busyout channel pbx-a 1: the next SIP call's SETUP is on B-channel 2, and the PBX got
    SERVICE out of service for 1 (service_messages); a SETUP of the PBX's own asking for 1
    unbusy: SERVICE in service, the next call is on 1
    again. Errors (twice, outside the span, not busied, unknown span) exit 1 and say why."""
    conf = fl.span_keys(tb.config([voip_peer(100, "2...", 9), pots_peer(900, "9T")]), "service_messages = true;")
    gw = tb.gateway(conf)
    pbx = pbx_up(tb, "pbx", "--service-messages")
    rc, out, err = tb.ctl("busyout", "channel", "pbx-a", "1")
    if rc != 0 or "B-channel 1 busied out" not in out:
        raise FlowError("busyout channel: rc %d %r %r" % (rc, out, err))
    pbx.wait_line(r"EVENT service from gateway chan=1 out")
    gw.wait_line(r"span pbx-a: B-channel 1 busied out by the operator", stream="err")
    expect("busied channel", chan_rows(tb)[1], {"state": "out-of-service-near", "service": "out-near"})
    expect("show spans", span_row(tb), {"oos_near": 1, "idle": N_B - 1})
    for args, rc_want, msg in (
            (("busyout", "channel", "pbx-a", "1"), 1, "B-channel 1 of span pbx-a is already busied out"),
            (("busyout", "channel", "pbx-a", "1-24"), 1, "B-channel 24 is not on span pbx-a (its B-channels: 1-23)"),
            (("busyout", "channel", "pbx-a", "0"), 1, "B-channel 0 is not on span pbx-a"),
            (("busyout", "channel", "pbx-a", "5-3"), 1, "B-channel range 5-3 runs backwards"),
            (("busyout", "channel", "pbx-a", "x"), 1, "'x' is not a B-channel or a range of them"),
            (("unbusy", "channel", "pbx-a", "2"), 1, "B-channel 2 of span pbx-a is not busied out"),
            (("busyout", "channel", "pbx-z", "1"), 1, "no span 'pbx-z' (spans: pbx-a)"),
            (("show", "channels", "pbx-z"), 1, "no span 'pbx-z'"),
            (("debug", "q931", "maybe"), 1, "usage: debug q931 on|off [SPAN]")):
        rc, out, err = tb.ctl(*args)
        if rc != rc_want or msg not in err:
            raise FlowError("%s: rc %d err %r, want %d %r" % (" ".join(args), rc, err, rc_want, msg))
    ph = sip_call(tb, "phone1", "--hangup-after", "0.2")
    if ph.wait_exit() != 0:
        raise FlowError("the call with B-channel 1 busied out failed")
    rc, out, err = tb.ctl("unbusy", "channel", "pbx-a", "1")
    if rc != 0 or "B-channel 1 back in use" not in out:
        raise FlowError("unbusy: rc %d %r %r" % (rc, out, err))
    pbx.wait_line(r"EVENT service from gateway chan=1 in")
    expect("unbusied channel", chan_rows(tb)[1], {"state": "idle", "service": "in"})
    ph = sip_call(tb, "phone2", "--hangup-after", "0.2")
    if ph.wait_exit() != 0:
        raise FlowError("the call after unbusy failed")
    if setup_chans(pbx) != [2, 1]:
        raise FlowError("SETUPs on B-channels %s, want 2 (1 busied out) then 1 (back)" % setup_chans(pbx))


@flow
def ctl_busyout_kept_pbx_setup_refused(tb):
    """A busyout made while no PBX is there holds when one comes (SERVICE out of service after
    the RESTARTs) and over a D-channel restart: the PBX's SETUP asking for the busied B-channel
    exclusively is refused with cause 44 (Q.931 5.2.3.1); one that only prefers it is given
    B-channel 2 and the call completes."""
    phone = tb.phone("phone", "--answer-after", "0.1", "--hangup-after", "0.3", "--exit-after-calls", "1")
    conf = fl.span_keys(tb.config([voip_peer(100, "2...", phone.port)]), "service_messages = true;")
    gw = tb.gateway(conf)
    rc, out, err = tb.ctl("busyout", "channel", "pbx-a", "1")
    if rc != 0:
        raise FlowError("busyout with the D-channel down: rc %d %r" % (rc, err))
    pbx = tb.start("pbx", [tb.bin("sipgw-pbx"), "-s", tb.span_path(), "--role", "cpe", "--timeout", "20",
                           "--service-messages", "--call", "2001", "--calling", "5551000", "--exit-when-done"])
    pbx.wait_line(r"EVENT service from gateway chan=1 out")
    pbx.wait_line(r"EVENT call 1 ended")
    expect_ladder("PRI, exclusive SETUP for the busied channel", q931_ladder(pbx.lines()),
                  ["> SETUP", "< RELEASE COMPLETE cause=44"])
    gw.wait_line(r"span pbx-a: SETUP for busied-out B-channel 1 \(exclusive\): cause 44", stream="err")
    pbx.stop(signal.SIGKILL)
    gw.wait_line(r"span pbx-a: (far end disconnected|DAHDI span 1 alarms: red)", stream="err")
    expect("busied channel with the PBX gone", chan_rows(tb)[1], {"state": "out-of-service-near"})
    pbx2 = tb.start("pbx2", [tb.bin("sipgw-pbx"), "-s", tb.span_path(), "--role", "cpe", "--timeout", "20",
                             "--service-messages", "--call", "2001", "--calling", "5551000", "--preferred",
                             "--exit-when-done"])
    pbx2.wait_line(r"EVENT service from gateway chan=1 out")
    if pbx2.wait_exit() != 0:
        raise FlowError("the preferred-channel call failed")
    expect_ladder("PRI, preferred SETUP", q931_ladder(pbx2.lines())[:len(PBX_CONNECTED)], PBX_CONNECTED)
    granted = [t for _, t in fl.timed(pbx2.lines(), "Q931") if t.startswith("< CALL PROCEEDING")]
    if not granted or "chan=2" not in granted[0]:
        raise FlowError("the gateway gave the preferred call %s, want B-channel 2" % granted)
    expect("still busied out after the D-channel restart", chan_rows(tb)[1], {"state": "out-of-service-near"})


@flow
def ctl_busyout_span(tb):
    """busyout span pbx-a with a call up on it: the call goes on (no DISCONNECT), the next SIP
    call goes to pbx-b by the second dial-peer; with pbx-b busied out too it gets 503 (cause 34,
    no SETUP anywhere); the busied call's channel gets its SERVICE once it is over; unbusy
    span: the next call is on pbx-a again."""
    phone = tb.phone("phone", "--answer-after", "0.1", "--exit-after-calls", "1")
    spans = [("pbx-a", "t1", "ni2"), ("pbx-b", "t1", "ni2")]
    conf = fl.span_keys(tb.config([voip_peer(100, "2...", phone.port), pots_peer(900, "9T", "pbx-a", pref=0),
                                   pots_peer(901, "9T", "pbx-b", pref=1)], spans=spans),
                        "service_messages = true;")
    gw = tb.gateway(conf)
    pa = pbx_up(tb, "pbxa", "--service-messages", "--call", "2001", "--calling", "5551000", span="pbx-a")
    pb = pbx_up(tb, "pbxb", "--service-messages", span="pbx-b")
    pa.wait_line(r"EVENT call 1 connected")
    rc, out, err = tb.ctl("busyout", "span", "pbx-a")
    if rc != 0 or "B-channels 1-23 busied out" not in out:
        raise FlowError("busyout span: rc %d %r %r" % (rc, out, err))
    expect("show spans, pbx-a busied out", span_row(tb, "pbx-a"), {"oos_near": N_B, "busy": 1, "idle": 0,
                                                                   "calls": 1})
    expect("the call's channel", chan_rows(tb)[1], {"state": "busy", "q931_state": "ACTIVE", "service": "out-near"})
    pa.wait_count(r"EVENT service from gateway chan=\d+ out", N_B - 1)
    if any("chan=1 out" in ln for ln in pa.lines()):
        raise FlowError("SERVICE out of service for B-channel 1 while its call was up")
    rc, out, err = tb.ctl("busyout", "span", "pbx-a")
    if rc != 1 or "span pbx-a is already busied out" not in err:
        raise FlowError("busyout span twice: rc %d %r" % (rc, err))
    ph = sip_call(tb, "toB", "--hangup-after", "0.2")
    if ph.wait_exit() != 0:
        raise FlowError("the call while pbx-a is busied out failed")
    if setup_chans(pa) or len(setup_chans(pb)) != 1:
        raise FlowError("SETUPs: pbx-a %s, pbx-b %s; want none on pbx-a, one on pbx-b"
                        % (setup_chans(pa), setup_chans(pb)))
    tb.ctl("busyout", "span", "pbx-b")
    ph = sip_call(tb, "none")
    ph.wait_exit()
    got = sip_ladder(ph.lines())
    if "< 200/INVITE" in got or not any(s.startswith("< 503/") for s in got):
        raise FlowError("a call with both spans busied out: want 503, got %s" % got)
    reason = fl.sip_lines(ph.lines(), r"^< 503 ")
    if not reason or "cause=34" not in reason[0][1]:
        raise FlowError("503 without Reason cause 34: %s" % reason)
    if setup_chans(pa) or len(setup_chans(pb)) != 1:
        raise FlowError("a SETUP went out with both spans busied out")
    if any(s.startswith("> DISCONNECT") or s.startswith("< DISCONNECT") for s in q931_ladder(pa.lines())):
        raise FlowError("the call up on the busied span was cleared: %s" % q931_ladder(pa.lines()))
    phone.p.send_signal(signal.SIGTERM)     # the phone hangs up the PBX's call
    pa.wait_line(r"EVENT call 1 ended")
    pa.wait_line(r"EVENT service from gateway chan=1 out")
    gw.wait_line(r"span pbx-a: B-channel 1 \(busied out\) idle now: SERVICE out of service sent", stream="err")
    tb.ctl("unbusy", "span", "pbx-a")
    pa.wait_count(r"EVENT service from gateway chan=\d+ in", N_B)
    expect("show spans after unbusy", span_row(tb, "pbx-a"), {"oos_near": 0, "idle": N_B})
    ph = sip_call(tb, "toA", "--hangup-after", "0.2")
    if ph.wait_exit() != 0:
        raise FlowError("the call after unbusy failed")
    if setup_chans(pa) != [1]:
        raise FlowError("after unbusy span pbx-a: SETUPs on pbx-a %s, want [1]" % setup_chans(pa))


def setup_dumps(gw):
    return [ln for ln in gw.errlines() if re.search(r"q931: span pbx-a q931: [<>] Message Type: SETUP \(5\)", ln)]


@flow
def ctl_debug_q931_on_off(tb):
    """debug q931 on (before any PBX came, so libpri starts with it): the next call's SETUP and
    our CALL PROCEEDING are in the log decoded by libpri, at notice level (the gateway logs at
    info: libpri's own dump is debug otherwise), with the called number; off: the next call
    leaves no dump; on again (for all spans, libpri running): the call after that is dumped."""
    phone = tb.phone("phone", "--answer-after", "0.1", "--hangup-after", "0.2", "--exit-after-calls", "3")
    gw = tb.gateway(tb.config([voip_peer(100, "2...", phone.port)]))

    def call(n):
        pbx = tb.start("pbx%d" % n, [tb.bin("sipgw-pbx"), "-s", tb.span_path(), "--role", "cpe", "--timeout",
                                     "20", "--call", "2001", "--calling", "5551000", "--exit-when-done"])
        if pbx.wait_exit() != 0:
            raise FlowError("call %d failed" % n)
        phone.wait_line(r"EVENT call %d ended" % n)

    rc, out, err = tb.ctl("debug", "q931", "on", "pbx-a")
    if rc != 0 or "debug q931 on for span pbx-a" not in out:
        raise FlowError("debug q931 on: rc %d %r %r" % (rc, out, err))
    expect("show spans", span_row(tb), {"debug_q931": "on"})
    call(1)
    gw.wait_line(r"notice q931: span pbx-a q931: < Message Type: SETUP \(5\)", stream="err")
    gw.wait_line(r"notice q931: span pbx-a q931: > Message Type: CALL PROCEEDING \(2\)", stream="err")
    gw.wait_line(r"notice q931: span pbx-a q931: .*2001", stream="err")
    n_on = len(setup_dumps(gw))
    tb.ctl("debug", "q931", "off")
    expect("show spans", span_row(tb), {"debug_q931": "off"})
    call(2)
    if len(setup_dumps(gw)) != n_on:
        raise FlowError("debug q931 off: the second call's SETUP was dumped too")
    rc, out, err = tb.ctl("debug", "q931", "on")
    if rc != 0 or "debug q931 on for span pbx-a" not in out:
        raise FlowError("debug q931 on (all spans): rc %d %r %r" % (rc, out, err))
    call(3)
    gw.wait_count(r"notice q931: span pbx-a q931: < Message Type: SETUP \(5\)", n_on + 1, stream="err")


@flow
def ctl_show_spans_nfas(tb):
    """NFAS group (primary nfas-a, backup nfas-b, nfas-c without a D-channel): show spans names
    each span's D-channel role, whose D-channel carries its calls (the primary's) and that
    nfas-c has no Q.921 link of its own; the primary's D-channel lost, the calls of all three
    go on the backup's and show spans says so, the group still up; a busyout on nfas-c then
    sends SERVICE naming interface 2 on the backup's D-channel."""
    from flows_nfas import GROUP, nfas_config, nfas_pbx, nfas_up
    phone = tb.phone("phone", "--answer-after", "0.1")
    conf = nfas_config(tb, [voip_peer(100, "2...", phone.port)])
    with open(conf) as f:
        txt = f.read()
    with open(conf, "w") as f:
        f.write(re.sub(r"(nfas_int = \d+;) \}", r"\1 service_messages = true; }", txt))
    gw = tb.gateway(conf)
    pbx = nfas_pbx(tb, "--call", "2001", "--calling", "5551000", "--hangup-after", "3", "--drop-dchan-at", "0.5",
                   "--service-messages")
    nfas_up(gw)
    pbx.wait_line(r"EVENT call 1 connected")
    for name, d, _ in GROUP:
        expect("NFAS up: %s" % name, span_row(tb, name), {
            "nfas_group": 1, "nfas_d": d, "dchan": "up", "signalled_on": "nfas-a",
            "q921": "none" if d == "none" else "MULTIPLE_FRAME_ESTABLISHED",
            "b_chans": 24 if d == "none" else N_B})
    gw.wait_line(r"NFAS group 1: switched to the backup D-channel on span nfas-b", stream="err")
    expect("primary lost: nfas-a", span_row(tb, "nfas-a"), {"dchan": "up", "q921": "TEI_ASSIGNED",
                                                           "signalled_on": "nfas-b"})
    for name in ("nfas-b", "nfas-c"):
        expect("primary lost: %s" % name, span_row(tb, name), {"dchan": "up", "signalled_on": "nfas-b"})
    rc, out, err = tb.ctl("busyout", "channel", "nfas-c", "5")
    if rc != 0:
        raise FlowError("busyout on nfas-c: rc %d %r" % (rc, err))
    pbx.wait_line(r"EVENT service from gateway chan=5 iface=2 out")
