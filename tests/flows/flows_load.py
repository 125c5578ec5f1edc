# sipgw call-flow tests for the load rig (bench/load_pbx.c, bench/load_phone.c):
# the two programs bench.py --rig drives at N = 1,024 must themselves be
# right, so a small run of each through a gateway: every call connects,
# every stream's frames arrive, none lost, both ways.
# SPDX-License-Identifier: GPL-2.0-only
import json
import re

import flowlib as fl
from flowlib import FlowError, flow, voip_peer

HOLD = 2.0      # seconds of audio each call holds after CONNECT
CALLS = 4


def summary(proc, prog):
    """The JSON line a load program prints at its end."""
    for ln in reversed(proc.lines()):
        if ln.startswith("{"):
            js = json.loads(ln)
            if js.get("prog") == prog:
                return js
    raise FlowError("%s printed no summary: %s" % (prog, proc.lines()[-3:]))


def start_load_phone(tb, calls, *extra):
    port = fl.free_port()
    ph = tb.start("load-phone", [tb.bin("load-phone"), "--port", str(port), "--calls", str(calls),
                                 "--timeout", "30"] + list(extra))
    ph.wait_line(r"READY port=%d" % port)
    ph.port = port
    return ph


@flow
def load_rig_smoke(tb):
    """load_pbx on two spans places 4 calls, load_phone answers them: 2 s of audio both ways,
    every frame received on both ends, 0 lost, the far end got what the near end sent."""
    smoke(tb)


@flow
def load_rig_smoke_shared_port(tb):
    """The same with load_phone --shared-port: every call's RTP on one socket, sent and received
    in batches, calls told apart by the gateway's port; nothing lost or mixed up. And the
    bench's shape: the calls hold 2 s after the last is up, and 1 s after full load a burst of
    2 more, whose post-dial delay is reported apart."""
    f = smoke(tb, "--shared-port", burst=2)
    # a datagram or two a call may still come after its BYE (the 200 is on its
    # way to the gateway): from no call's port then; a demultiplexing error
    # would show as lost or reordered frames in smoke() instead
    if not f["shared_port"] or f["rx_unknown"] > 2 * (CALLS + 2):
        raise FlowError("shared port: %s, %d datagrams from no call's port" % (f["shared_port"], f["rx_unknown"]))


def smoke(tb, *phone_args, burst=0):
    total = CALLS + burst
    phone = start_load_phone(tb, total, *phone_args)
    spans = [("pbx-a", "t1", "ni2"), ("pbx-b", "t1", "ni2")]
    gw = tb.gateway(tb.config([voip_peer(100, "2...", phone.port)], spans=spans))
    pbx = tb.start("load-pbx", [tb.bin("load-pbx"), "-s", tb.span_path("pbx-a"), "-s", tb.span_path("pbx-b"),
                                "--calls", str(CALLS), "--rate", "20", "--hold", str(HOLD),
                                "--timeout", "30", "-q"] +
                   (["--hold-after-full", "--burst", str(burst)] if burst else []))
    if pbx.wait_exit(40) != 0:
        raise FlowError("load-pbx exited %s: %s" % (pbx.p.returncode, pbx.errlines()[-5:]))
    phone.wait_exit(15)
    p, f = summary(pbx, "load_pbx"), summary(phone, "load_phone")
    print("load-pbx: %s" % json.dumps(p))
    print("load-phone: %s" % json.dumps(f))
    if p["connected"] != total or p["failed"] or p["ended"] != total:
        raise FlowError("PBX side: %d of %d calls connected, %d failed (causes %s)"
                        % (p["connected"], total, p["failed"], p["causes"]))
    if f["answered"] != total or f["ended"] != total or f["refused"]:
        raise FlowError("phone side: %d of %d answered, %d ended, %d refused"
                        % (f["answered"], total, f["ended"], f["refused"]))
    if p["burst_connected"] != burst or (burst and not 0 < p["burst_pdd_ms"]["p50"] < 1000):
        raise FlowError("burst: %d of %d connected, post-dial delay %s" % (p["burst_connected"], burst,
                                                                          p["burst_pdd_ms"]))
    # 2 s at one frame per 20 ms: 100 a stream, less the edges (the first
    # frames cross while the other side's answer is still on its way)
    want = int(total * HOLD / 0.020 * 0.9)
    for side, js in (("PBX", p), ("phone", f)):
        if js["streams"] != total or js["frames_rx"] < want:
            raise FlowError("%s side received %d frames on %d streams, want >= %d on %d"
                            % (side, js["frames_rx"], js["streams"], want, total))
        if js["lost"]:
            raise FlowError("%s side lost %d frames" % (side, js["lost"]))
    if f.get("reordered") or f.get("dups"):
        raise FlowError("phone side: %d reordered, %d duplicated RTP packets" % (f["reordered"], f["dups"]))
    # what one end sent is what the other received, through the gateway, both ways
    for a, b, what in ((p, f, "PBX -> phone"), (f, p, "phone -> PBX")):
        if b["frames_rx"] < a["frames_tx"] * 0.9:
            raise FlowError("%s: %d frames sent, %d received" % (what, a["frames_tx"], b["frames_rx"]))
    # a loopback span's frames come in batches (one read per span), and the batch's echo
    # cancellers go through the DSP pool (span_rx.c): its exit line counts them
    gw.stop()
    gw.wait_exit(15)
    pool = [re.search(r"DSP pool: (\d+) helper\(s\), (\d+) frames through a canceller in batches, "
                      r"(\d+) of them on a helper", l) for l in gw.errlines()]
    pool = [m for m in pool if m]
    if not pool:
        raise FlowError("no DSP pool line at the gateway's exit")
    helpers, batched, on_helper = (int(x) for x in pool[-1].groups())
    print("DSP pool: %d helper(s), %d frames batched, %d on a helper" % (helpers, batched, on_helper))
    if fl.SPAN_TYPE == "loopback" and helpers and not batched:
        raise FlowError("no frame of %d calls went through the DSP pool" % total)
    if on_helper > batched:
        raise FlowError("the pool says %d of %d frames ran on a helper" % (on_helper, batched))
    return f
