# sipgw call-flow tests of NFAS (issue 9 item 6): three T1 spans under one
# D-channel, a primary on nfas-a (interface 0), a backup on nfas-b (1), and
# nfas-c (2) with no D-channel; the PBX simulator runs the same group
# (sipgw-pbx --nfas IFACE:PATH:ROLE). They run on loopback and dahdi spans.
# SPDX-License-Identifier: GPL-2.0-only
import re
import signal

import flowlib as fl
from flowlib import FlowError, expect_ladder, flow, pots_peer, sip_ladder, voip_peer

GROUP = [("nfas-a", "primary", 0), ("nfas-b", "backup", 1), ("nfas-c", "none", 2)]


def nfas_config(tb, peers, ints=None):
    """The group on the gateway's side; ints: its nfas_int per span where it differs from
    the PBX's numbering."""
    tb.no_dchan.add("nfas-c")
    conf = tb.config(peers, spans=[(n, "t1", "ni2") for n, _, _ in GROUP])
    with open(conf) as f:
        txt = f.read()
    for name, d, iface in GROUP:
        iface = (ints or {}).get(name, iface)
        txt = re.sub(r'(\{ name = "%s";[^}]*) \}' % name,
                     r'\1 nfas_group = 1; nfas_d = "%s"; nfas_int = %d; }' % (d, iface), txt)
    with open(conf, "w") as f:
        f.write(txt)
    return conf


def nfas_pbx(tb, *args, name="pbx"):
    argv = [tb.bin("sipgw-pbx"), "--role", "cpe", "--timeout", "40"]
    for span, d, iface in GROUP:
        argv += ["--nfas", "%d:%s:%s" % (iface, tb.span_path(span), d)]
    return tb.start(name, argv + list(args))


def nfas_up(gw):
    # the group comes up on whichever D-channel answers first, then moves to the primary
    gw.wait_line(r"NFAS group 1: (up, on|switched to) the primary D-channel on span nfas-a", stream="err")


def ended(pbx, call):
    m = pbx.wait_line(r"EVENT call %d ended cause=(\d+)" % call, timeout=20)
    return int(m.group(1))


def rx_frames(pbx, call):
    return int(pbx.wait_line(r"EVENT call %d audio rx_frames=(\d+)" % call).group(1))


def ms_of(m):
    return int(m.string.split()[0])


@flow
def nfas_calls_on_every_interface(tb):
    """NFAS group of three T1s: a PBX call on the span without a D-channel (interface 2) reaches
    the phone with audio both ways; a phone call routed to that span goes out as a SETUP naming
    interface 2 on the primary D-channel; a SETUP for an interface the group lacks gets cause 82."""
    phone = tb.phone("phone", "--answer-after", "0.1", "--tone", "1000", "--detect", "2000")
    gw = tb.gateway(nfas_config(tb, [voip_peer(100, "2...", phone.port), pots_peer(900, "9T", port="nfas-c")]))
    pbx = nfas_pbx(tb, "--call", "2001", "--calling", "5551000", "--call-iface", "2", "--answer-after", "0.2",
                   "--tone", "2000", "--detect", "1000", "--hangup-after", "1.5")
    nfas_up(gw)
    m = pbx.wait_line(r"EVENT call 1 setup chan=(\d+) iface=(\d+)")
    if m.group(2) != "2":
        raise FlowError("PBX call placed on interface %s, want 2" % m.group(2))
    gw.wait_line(r"pri nfas-c/%s.* SETUP called=2001" % m.group(1), stream="err")
    if ended(pbx, 1) != 16:
        raise FlowError("the call on interface 2 did not clear normally")
    fl.check_audio_crossed(pbx, phone)

    out = tb.phone("caller", "--call", "sip:95551234@127.0.0.1:%d" % tb.sip_port, "--from", "2002",
                   "--exit-after-calls", "1", "--hangup-after", "1", "--tone", "1000", "--detect", "2000")
    m = pbx.wait_line(r"EVENT call 2 setup chan=(\d+) iface=(\d+)")
    if m.group(2) != "2":
        raise FlowError("the SETUP to span nfas-c named interface %s, want 2" % m.group(2))
    gw.wait_line(r"span nfas-a > SETUP", stream="err")
    if out.wait_exit() != 0:
        raise FlowError("the phone's call to the span without a D-channel failed")
    expect_ladder("phone -> nfas-c", sip_ladder(out.lines()),
                  ["> INVITE", "< 100/INVITE", "< 180/INVITE", "< 200/INVITE", "> ACK", "> BYE", "< 200/BYE"])
    if "on" not in [e for _, e in fl.tone_events(out.lines(), 2000)]:
        raise FlowError("the phone calling nfas-c never heard the PBX's 2000 Hz tone")


@flow
def nfas_unknown_interface_refused(tb):
    """Interface numbers that disagree (the PBX calls the third T1 interface 2, the gateway's
    nfas_int says 7): a SETUP naming interface 2 is refused with cause 82 (identified channel
    does not exist), logged, and nothing goes to SIP."""
    phone = tb.phone("phone", "--answer-after", "0.1")
    gw = tb.gateway(nfas_config(tb, [voip_peer(100, "2...", phone.port)], ints={"nfas-c": 7}))
    pbx = nfas_pbx(tb, "--call", "2001", "--calling", "5551000", "--call-iface", "2", "--exit-when-done")
    nfas_up(gw)
    if ended(pbx, 1) != 82:
        raise FlowError("a SETUP for interface 2: want cause 82")
    gw.wait_line(r"NFAS group 1: SETUP for interface 2, not one of the group's: cause 82", stream="err")
    if [s for s in sip_ladder(phone.lines()) if s == "< INVITE"]:
        raise FlowError("a SETUP for an unknown interface reached the phone")


@flow
def nfas_primary_dchan_loss_with_call_up(tb):
    """NFAS primary D-channel lost with a call up on the backup's span: the gateway switches
    to the backup D-channel, the call stays up and its audio keeps crossing; a new call
    then goes out on the backup D-channel (to the span without one) and completes; when the
    phone hangs up the first call, whose own link is gone, its B-channel is returned to idle
    by RESTART on the backup and the PBX clears it."""
    phone = tb.phone("phone", "--answer-after", "0.1", "--tone", "1000", "--detect", "2000",
                     "--hangup-after", "4", "--exit-after-calls", "1")
    gw = tb.gateway(nfas_config(tb, [voip_peer(100, "2...", phone.port), pots_peer(900, "9T", port="nfas-c")]))
    pbx = nfas_pbx(tb, "--call", "2001", "--calling", "5551000", "--call-iface", "1", "--answer-after", "0.2",
                   "--tone", "2000", "--detect", "1000", "--drop-dchan-at", "1")
    nfas_up(gw)
    t_conn = ms_of(pbx.wait_line(r"EVENT call 1 connected"))
    t_drop = ms_of(pbx.wait_line(r"EVENT nfas dchan iface=0 dropped"))
    gw.wait_line(r"span nfas-a: primary D-channel down \(NFAS group 1\)", stream="err")
    gw.wait_line(r"NFAS group 1: switched to the backup D-channel on span nfas-b; 1 call\(s\) go on",
                 stream="err")
    pbx.wait_line(r"EVENT nfas active iface=1")

    # a new call while the first is up: out on the backup D-channel, to nfas-c
    out = tb.phone("caller", "--call", "sip:95551234@127.0.0.1:%d" % tb.sip_port, "--from", "2002",
                   "--exit-after-calls", "1", "--hangup-after", "1", "--tone", "1000", "--detect", "2000")
    m = pbx.wait_line(r"EVENT call 2 setup chan=(\d+) iface=2")
    t_sw = ms_of(gw.wait_line(r"NFAS group 1: switched to the backup", stream="err"))
    setups = [ln for ln in gw.errlines() if re.search(r"span nfas-[ab] > SETUP", ln)]
    if not setups or "span nfas-b > SETUP" not in setups[-1] or int(setups[-1].split()[0]) < t_sw:
        raise FlowError("the call after the switchover did not go out on the backup D-channel: %s" % setups)
    if out.wait_exit() != 0:
        raise FlowError("the call placed after the switchover failed")
    expect_ladder("call after the switchover", sip_ladder(out.lines()),
                  ["> INVITE", "< 100/INVITE", "< 180/INVITE", "< 200/INVITE", "> ACK", "> BYE", "< 200/BYE"])
    if ended(pbx, 2) != 16:
        raise FlowError("the call after the switchover did not clear with cause 16")

    # the first call: up through the loss, then cleared by the phone
    if phone.wait_exit(timeout=20) != 0:
        raise FlowError("the phone's call did not end cleanly")
    got = sip_ladder(phone.lines())
    expect_ladder("the call up through the loss", got,
                  ["< INVITE", "> 100/INVITE", "> 180/INVITE", "> 200/INVITE", "< ACK", "> BYE", "< 200/BYE"])
    gw.wait_line(r"clearing with cause 16: its D-channel \(span nfas-a\) is gone, RESTART of the B-channel",
                 stream="err")
    pbx.wait_line(r"EVENT call 1 cleared by RESTART")
    frames = rx_frames(pbx, 1)
    before = (t_drop - t_conn) // 20
    if frames < before + 50:
        raise FlowError("call 1 got %d audio frames, %d of them possible before the D-channel loss: "
                        "its audio stopped with the D-channel" % (frames, before))
    fl.check_audio_crossed(pbx, phone)


@flow
def nfas_all_dchannels_lost_clears_calls(tb):
    """Both D-channels of the NFAS group gone (the PBX killed) with a call up on the span
    without a D-channel: no call of the group can be signalled any more (or, on a card, its
    line is in alarm too), so the phone gets BYE with Reason cause 38."""
    phone = tb.phone("phone", "--answer-after", "0.1", "--exit-after-calls", "1")
    gw = tb.gateway(nfas_config(tb, [voip_peer(100, "2...", phone.port)]))
    pbx = nfas_pbx(tb, "--call", "2001", "--calling", "5551000", "--call-iface", "2", "--answer-after", "0.2")
    nfas_up(gw)
    pbx.wait_line(r"EVENT call 1 connected")
    pbx.stop(signal.SIGKILL)
    # on dahdi the killed PBX also leaves nfas-c's line in red alarm, which may clear the call first
    gw.wait_line(r"NFAS group 1: no D-channel left; its [01] call\(s\) clear with cause 38", stream="err")
    bye = phone.wait_line(r"SIP < BYE .*").group(0)
    if "cause=38" not in bye:
        raise FlowError("all D-channels lost: want BYE with Reason cause 38, got %s" % bye)
    if phone.wait_exit() != 0:
        raise FlowError("the phone's call did not end cleanly")
