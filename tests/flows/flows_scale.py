# sipgw call-flow tests: a gateway of a chassis' size (issue 14 item 1).
# 40 E1 spans (1,200 B-channels) on loopback, on fake DAHDI the 33 E1s that
# fill DAHDI's 1,024 channels: sipgw -t counts them, sipgw starts with its
# file descriptor limit raised to what they need, `sipgwctl show spans`
# lists every one, and calls on the first span and on the last connect both
# ways with audio.
# SPDX-License-Identifier: GPL-2.0-only
import os
import re
import shutil

import flowlib as fl
from flowlib import PBX_CONNECTED, FlowError, check_audio_crossed, expect_ladder, flow, pots_peer, q931_ladder, \
    voip_peer

E1_B = 30


def n_spans():
    # DAHDI numbers 1,024 channels at most: 33 E1s (1,023); loopback spans have no such bound
    return 33 if fl.SPAN_TYPE == "dahdi" else 40


def names(n):
    return ["e1-%02d" % i for i in range(1, n + 1)]


def pbx_on(tb, span, *args):
    """The PBX (cpe) on span, E1 EuroISDN; returns once the gateway's RESTARTs are answered."""
    p = tb.start("pbx-" + span, [tb.bin("sipgw-pbx"), "-s", tb.span_path(span), "--role", "cpe",
                                 "--framing", "e1", "--switch", "euroisdn", "--timeout", "30"] + list(args))
    p.wait_line(r"EVENT restart wait over")
    return p


@flow
def scale_40_e1_spans(tb):
    """40 E1 spans (1,200 B-channels; 33, 990 on fake DAHDI): -t says so; sipgw starts with RLIMIT_NOFILE raised from
    512 to what 1,200 channels need (the log says so); show spans lists all 40 (the first and
    last up with a PBX, the rest down); a PBX call on the first span and on the last both reach
    the phone, a SIP call to the last span reaches its PBX; audio crosses on each."""
    n = n_spans()
    spans = names(n)
    phone = tb.phone("phone", "--answer-after", "0.1", "--tone", "1000", "--detect", "2000",
                     "--hangup-after", "1.0", "--exit-after-calls", "2")
    conf = tb.config([voip_peer(100, "2...", phone.port), pots_peer(900, "9T", port=spans[-1])],
                     spans=[(s, "e1", "euroisdn") for s in spans])
    chk = tb.start("sipgw-t", [tb.bin("sipgw"), "-c", conf, "-t"])
    want = "OK (%d span(s), %d B-channel(s)," % (n, n * E1_B)
    if chk.wait_exit() != 0 or not any(want in ln for ln in chk.lines()):
        raise FlowError("sipgw -t: want %r, got %r %r" % (want, chk.lines(), chk.errlines()))
    # started as from a shell with a small limit: sipgw raises it itself
    argv = [tb.bin("sipgw"), "-c", conf]
    if shutil.which("prlimit"):
        argv = ["prlimit", "--nofile=512:"] + argv
    gw = tb.start("sipgw", argv)
    gw.wait_line(r"sipgw running", stream="err", timeout=30)
    need = 256 + 4 * n + 5 * n * E1_B
    m = re.search(r"fds: RLIMIT_NOFILE (?:raised from (\d+) to (\d+)|(\d+),)", "\n".join(gw.errlines()))
    if not m:
        raise FlowError("no fds: line in the log")
    if shutil.which("prlimit") and (m.group(1) != "512" or int(m.group(2)) < need):
        raise FlowError("RLIMIT_NOFILE: %r, want raised from 512 to %d" % (m.group(0), need))
    if any("rtp: ports" in ln for ln in gw.errlines()):
        raise FlowError("the RTP range (30000-39999, 5,000 pairs) is not short of 1,200 calls: %r"
                        % [ln for ln in gw.errlines() if "rtp: ports" in ln])
    first = pbx_on(tb, spans[0], "--call", "2001", "--calling", "5551000", "--tone", "2000", "--detect", "1000",
                   "--exit-when-done")
    last = pbx_on(tb, spans[-1], "--call", "2002", "--calling", "5551040", "--tone", "2000", "--detect", "1000",
                  "--answer-after", "0.1", "--calls-in", "1", "--exit-when-done")
    rows = dict((r["span"], r) for r in tb.ctl("show", "spans", json=True)["spans"])
    if sorted(rows) != spans:
        raise FlowError("show spans lists %d spans, want %d: %s" % (len(rows), n, sorted(rows)))
    for s in spans:
        want_d = "up" if s in (spans[0], spans[-1]) else "down"
        if rows[s]["dchan"] != want_d or rows[s]["b_chans"] != E1_B or rows[s]["framing"] != "E1":
            raise FlowError("show spans %s: %r, want dchan %s, 30 B-channels, E1" % (s, rows[s], want_d))
    rc, txt, _ = tb.ctl("show", "spans")
    if rc != 0 or len(txt.splitlines()) != n + 1 or txt.splitlines()[-1].split()[0] != spans[-1]:
        raise FlowError("show spans text: rc %d, %d lines, want %d" % (rc, len(txt.splitlines()), n + 1))
    caller = tb.phone("caller", "--call", "sip:95551234@127.0.0.1:%d" % tb.sip_port, "--from", "2001",
                      "--tone", "1000", "--detect", "2000", "--hangup-after", "1.0", "--exit-after-calls", "1")
    for p in (first, last, phone, caller):
        if p.wait_exit(20) != 0:
            raise FlowError("%s failed" % p.name)
    expect_ladder("PRI first span", q931_ladder(first.lines()),
                  PBX_CONNECTED + ["< DISCONNECT cause=16", "> RELEASE", "< RELEASE COMPLETE"])
    setups = [t for _, t in fl.timed(last.lines(), "Q931") if t.startswith(("> SETUP", "< SETUP"))]
    if len(setups) != 2:
        raise FlowError("last span: want its PBX's SETUP and the gateway's, got %r" % setups)
    check_audio_crossed(first, phone)
    check_audio_crossed(last, caller)
    gw.stop()
    if gw.wait_exit() != 0:
        raise FlowError("sipgw exited with %r" % gw.p.returncode)
