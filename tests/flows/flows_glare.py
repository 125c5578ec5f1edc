# sipgw call-flow tests for Q.931 glare: the gateway's SETUP and the PBX's
# cross on one B-channel. The network side settles it (Q.931 5.7, 5.1.2,
# 5.2.3): its own call wins, the user's gets RELEASE COMPLETE cause 44
# (exclusive channel) or another channel (preferred). Whichever side the
# gateway plays, both calls go on and no B-channel stays busy.
# SPDX-License-Identifier: GPL-2.0-only
import re

import flowlib as fl
from flowlib import FlowError, expect_ladder, flow, pots_peer, sip_ladder, voip_peer

N_B = 23    # B-channels on a T1 span

CALLER_SIP = ["> INVITE", "< 100/INVITE", "< 180/INVITE", "< 200/INVITE", "> ACK", "> BYE", "< 200/BYE"]
CALLEE_SIP = ["< INVITE", "> 100/INVITE", "> 180/INVITE", "> 200/INVITE", "< ACK", "> BYE", "< 200/BYE"]
# PBX view of a call the gateway placed and the PBX answered, cleared by the gateway.
GW_CALL_ANSWERED = ["< SETUP", "> CALL PROCEEDING", "> ALERTING", "> CONNECT", "< CONNECT ACKNOWLEDGE",
                    "< DISCONNECT cause=16", "> RELEASE", "< RELEASE COMPLETE"]
# PBX view of its own call, answered by a phone that then hangs up.
PBX_CALL_ANSWERED = ["> SETUP", "< CALL PROCEEDING", "< ALERTING", "< CONNECT", "> CONNECT ACKNOWLEDGE",
                     "< DISCONNECT cause=16", "> RELEASE", "< RELEASE COMPLETE"]


def glare_config(tb, role, callee_port):
    """SIP 9... -> the PBX span; the PBX's calls to 2... -> the callee phone.
    The span plays role ("network" or "cpe")."""
    path = tb.config([pots_peer(900, "9T"), voip_peer(100, "2...", callee_port)])
    with open(path) as f:
        txt = f.read()
    if txt.count('role = "network";') != 1:
        raise FlowError("config template changed: cannot set the span's role")
    with open(path, "w") as f:
        f.write(txt.replace('role = "network";', 'role = "%s";' % role))
    return path


def call_pbx(tb, name, *args):
    """A phone calling 95551234 through the gateway (to the PBX as 5551234)."""
    return tb.phone(name, "--call", "sip:95551234@127.0.0.1:%d" % tb.sip_port, "--from", "3001",
                    "--exit-after-calls", "1", *args)


def q931_calls(lines):
    """The PBX's Q.931 ladder split by call, in order of each call's first
    message: [{'who': 'gw'|'pbx', 'cref': n, 'steps': [...], 'texts': [...]}].
    A call reference is the originator's number; the flag bit (Q.931 4.3)
    is set on messages from the side that did not allocate it, so the PBX
    sends its own calls' messages with the flag clear and the gateway's with
    it set. Steps read as q931_ladder's: the cause only on the first
    clearing message of the call."""
    calls = {}
    order = []
    for _, t in fl.timed(lines, "Q931"):
        m = re.match(r"([<>]) ([A-Z ]+?) cref=0x([0-9a-f]+)(.*)", t)
        if not m or m.group(2) in fl.GLOBAL_CREF_MSGS:
            continue
        d, msg, cref, rest = m.group(1), m.group(2), int(m.group(3), 16), m.group(4)
        flag = bool(cref & 0x8000)
        who = "pbx" if (d == ">") != flag else "gw"
        key = (who, cref & 0x7fff)
        if key not in calls:
            calls[key] = {"who": who, "cref": cref & 0x7fff, "steps": [], "texts": []}
            order.append(key)
        c = calls[key]
        step = d + " " + msg
        if msg in ("DISCONNECT", "RELEASE COMPLETE"):
            cause = re.search(r"cause=(\d+)", rest)
            first = not any(s.split(" ", 1)[1] in ("DISCONNECT", "RELEASE", "RELEASE COMPLETE")
                            for s in c["steps"])
            if cause and first:
                step += " cause=" + cause.group(1)
        c["steps"].append(step)
        c["texts"].append(t)
    return [calls[k] for k in order]


def chan_of(call, step):
    """The chan= of the call's first message that is step ('< SETUP'), or None."""
    for s, t in zip(call["steps"], call["texts"]):
        if s.split(" cause=")[0] == step:
            m = re.search(r" chan=(\d+)", t)
            return int(m.group(1)) if m else None
    raise FlowError("no %s in call %s: %s" % (step, call["cref"], call["steps"]))


def expect_calls(pbx, want):
    """want: [(who, steps)] in order of first message, one per call."""
    got = q931_calls(pbx.lines())
    if [c["who"] for c in got] != [w for w, _ in want]:
        raise FlowError("PRI calls: want %s, got %s" % (
            [w for w, _ in want], [(c["who"], c["cref"], c["steps"]) for c in got]))
    for i, (c, (who, steps)) in enumerate(zip(got, want)):
        expect_ladder("PRI call %d (%s, cref %d)" % (i + 1, who, c["cref"]), c["steps"], steps)
    return got


def chan_free_lines(gw):
    """The gateway's 'B-channel N free, F of 23 B-channels free' lines: [(chan, free)]."""
    out = []
    for ln in gw.errlines():
        m = re.search(r"span pbx-a: B-channel (\d+) free, (\d+) of (\d+) B-channels free", ln)
        if m:
            out.append((int(m.group(1)), int(m.group(2))))
    return out


def expect_all_free(gw, pbx, n_ended):
    """After the PBX has seen n_ended calls end: every B-channel is free again."""
    pbx.wait_line(r"EVENT call %d ended" % n_ended)
    gw.wait_line(r"B-channel \d+ free, %d of %d B-channels free" % (N_B, N_B), stream="err")
    free = chan_free_lines(gw)
    if not free or free[-1][1] != N_B:
        raise FlowError("B-channels left busy: %s" % free)


def heard(proc, hz, chan=None):
    rx = re.compile(r"^tone %d on%s" % (hz, "" if chan is None else r" ch=%d\b" % chan))
    return any(rx.match(t) for _, t in fl.timed(proc.lines(), "AUDIO"))


def follow_up_on_chan_1(tb, gw, pbx, n_before):
    """One more SIP -> PRI call, after the glare is over: it takes B-channel 1
    (hunting is ascending), completes, and frees every channel again."""
    phone = call_pbx(tb, "phone3", "--hangup-after", "0.3")
    if phone.wait_exit() != 0:
        raise FlowError("the follow-up call failed: %s" % sip_ladder(phone.lines()))
    expect_ladder("SIP follow-up", sip_ladder(phone.lines()), CALLER_SIP)
    expect_all_free(gw, pbx, n_before + 1)
    last = q931_calls(pbx.lines())[-1]
    expect_ladder("PRI follow-up", last["steps"], GW_CALL_ANSWERED)
    if chan_of(last, "< SETUP") != 1:
        raise FlowError("the follow-up SETUP did not get B-channel 1: %s" % last["texts"][0])


@flow
def glare_gateway_network(tb):
    """Glare, gateway as network: the PBX's crossing SETUP (exclusive) gets RELEASE COMPLETE 44, the SIP call goes on."""
    callee = tb.phone("phone2", "--answer-after", "0.1", "--exit-after-calls", "1")
    gw = tb.gateway(glare_config(tb, "network", callee.port))
    pbx = tb.pbx("--glare", "--call", "2001", "--calling", "5551000", "--answer-after", "0.3",
                 "--tone", "2000", "--detect", "1000")
    pbx.wait_line(r"EVENT dchan up")
    caller = call_pbx(tb, "phone", "--tone", "1000", "--detect", "2000", "--hangup-after", "1.2")
    if caller.wait_exit() != 0:
        raise FlowError("the SIP caller failed")
    pbx.wait_line(r"EVENT glare chan=1 holding the gateway's call")
    pbx.wait_line(r"EVENT call 1 ended cause=44")
    expect_all_free(gw, pbx, 2)

    # Call 1 of the PBX (its own) lost; call 2 (the gateway's) answered.
    calls = expect_calls(pbx, [("gw", GW_CALL_ANSWERED), ("pbx", ["> SETUP", "< RELEASE COMPLETE cause=44"])])
    gwc, own = calls
    if chan_of(gwc, "< SETUP") != 1 or chan_of(own, "> SETUP") != 1:
        raise FlowError("the SETUPs did not cross on B-channel 1: %s / %s" % (gwc["texts"][0], own["texts"][0]))
    if chan_of(gwc, "> CALL PROCEEDING") != 1:
        raise FlowError("the gateway's call left B-channel 1: %s" % gwc["texts"])
    # Crossed: ours went out before any answer to theirs.
    lad = fl.q931_ladder(pbx.lines())
    if lad[:3] != ["< SETUP", "> SETUP", "< RELEASE COMPLETE cause=44"]:
        raise FlowError("SETUPs did not cross: %s" % lad)
    expect_ladder("SIP caller", sip_ladder(caller.lines()), CALLER_SIP)
    if fl.sip_lines(callee.lines(), "INVITE"):
        raise FlowError("the PBX's refused call reached SIP")
    if not heard(pbx, 1000, 1) or not heard(caller, 2000):
        raise FlowError("no audio both ways on B-channel 1")
    err = "\n".join(gw.errlines())
    if "glare: our call keeps B-channel 1" not in err or "SETUP for busy B-channel 1 (exclusive): cause 44" not in err:
        raise FlowError("the gateway did not log the glare and the refusal")
    follow_up_on_chan_1(tb, gw, pbx, 2)


@flow
def glare_gateway_network_preferred(tb):
    """Glare, gateway as network: the PBX's crossing SETUP (preferred) gets another B-channel; both calls complete."""
    callee = tb.phone("phone2", "--answer-after", "0.2", "--tone", "1000", "--detect", "2000",
                      "--hangup-after", "1.0", "--exit-after-calls", "1")
    gw = tb.gateway(glare_config(tb, "network", callee.port))
    pbx = tb.pbx("--glare", "--preferred", "--call", "2001", "--calling", "5551000", "--answer-after", "0.3",
                 "--tone", "2000", "--detect", "1000")
    pbx.wait_line(r"EVENT dchan up")
    caller = call_pbx(tb, "phone", "--tone", "1000", "--detect", "2000", "--hangup-after", "1.2")
    if caller.wait_exit() != 0 or callee.wait_exit() != 0:
        raise FlowError("a phone failed")
    pbx.wait_line(r"EVENT call 1 granted chan=2")
    expect_all_free(gw, pbx, 2)
    pbx.wait_line(r"EVENT call 1 ended")

    calls = expect_calls(pbx, [("gw", GW_CALL_ANSWERED), ("pbx", PBX_CALL_ANSWERED)])
    gwc, own = calls
    if chan_of(gwc, "< SETUP") != 1 or chan_of(own, "> SETUP") != 1:
        raise FlowError("the SETUPs did not cross on B-channel 1")
    if chan_of(own, "< CALL PROCEEDING") != 2 or chan_of(gwc, "> CALL PROCEEDING") != 1:
        raise FlowError("channels after glare: PBX's call %s, gateway's %s" % (own["texts"][1], gwc["texts"][1]))
    expect_ladder("SIP caller", sip_ladder(caller.lines()), CALLER_SIP)
    expect_ladder("SIP callee", sip_ladder(callee.lines()), CALLEE_SIP)
    if not (heard(pbx, 1000, 1) and heard(pbx, 1000, 2) and heard(caller, 2000) and heard(callee, 2000)):
        raise FlowError("no audio both ways on both calls")
    follow_up_on_chan_1(tb, gw, pbx, 2)


@flow
def glare_gateway_cpe(tb):
    """Glare, gateway as cpe: the network's call takes the B-channel, ours (44) is placed again on another; both complete."""
    callee = tb.phone("phone2", "--answer-after", "0.2", "--tone", "1000", "--detect", "2000",
                      "--hangup-after", "1.0", "--exit-after-calls", "1")
    gw = tb.gateway(glare_config(tb, "cpe", callee.port))
    pbx = tb.pbx("--role", "network", "--glare", "--call", "2001", "--calling", "5551000",
                 "--answer-after", "0.3", "--tone", "2000", "--detect", "1000")
    pbx.wait_line(r"EVENT dchan up")
    caller = call_pbx(tb, "phone", "--tone", "1000", "--detect", "2000", "--hangup-after", "1.2")
    if caller.wait_exit() != 0 or callee.wait_exit() != 0:
        raise FlowError("a phone failed")
    pbx.wait_line(r"EVENT glare chan=1 refusing the gateway's call")
    expect_all_free(gw, pbx, 2)
    pbx.wait_line(r"EVENT call 1 ended")

    # The gateway's first SETUP refused; the PBX's own call (call 1) and the
    # gateway's second SETUP (call 2) answered.
    calls = expect_calls(pbx, [("gw", ["< SETUP", "> RELEASE COMPLETE cause=44"]),
                               ("pbx", PBX_CALL_ANSWERED), ("gw", GW_CALL_ANSWERED)])
    first, own, retry = calls
    if chan_of(first, "< SETUP") != 1 or chan_of(own, "> SETUP") != 1:
        raise FlowError("the SETUPs did not cross on B-channel 1")
    if chan_of(own, "< CALL PROCEEDING") != 1:
        raise FlowError("the network's call did not keep B-channel 1: %s" % own["texts"][1])
    if chan_of(retry, "< SETUP") in (None, 1):
        raise FlowError("the gateway's retry is not on another B-channel: %s" % retry["texts"][0])
    lad = fl.q931_ladder(pbx.lines())
    if lad[:3] != ["< SETUP", "> SETUP", "> RELEASE COMPLETE cause=44"]:
        raise FlowError("SETUPs did not cross: %s" % lad)
    expect_ladder("SIP caller", sip_ladder(caller.lines()), CALLER_SIP)
    expect_ladder("SIP callee", sip_ladder(callee.lines()), CALLEE_SIP)
    inv = fl.sip_lines(callee.lines(), r"^< INVITE ")[0][1]
    if not re.search(r"INVITE sip:2001@", inv):
        raise FlowError("the network's call did not reach the callee as 2001: " + inv)
    if not (heard(pbx, 1000, 1) and heard(pbx, 1000, chan_of(retry, "< SETUP"))
            and heard(caller, 2000) and heard(callee, 2000)):
        raise FlowError("no audio both ways on both calls")
    err = "\n".join(gw.errlines())
    if "glare: the network's SETUP takes B-channel 1" not in err or "trying the dial-peer again" not in err:
        raise FlowError("the gateway did not log the glare and the retry")
    follow_up_on_chan_1(tb, gw, pbx, 2)
