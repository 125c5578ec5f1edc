# sipgw call-flow tests for a gateway that must keep its footing: SIGTERM
# with a call up, a PBX that vanishes mid-call and comes back, a bad config
# line, a dahdi span its system.conf does not have, malformed SIP on its port.
# SPDX-License-Identifier: GPL-2.0-only
import os
import signal

import flowlib as fl
from flowlib import PBX_CONNECTED, FlowError, expect_ladder, flow, pbx_call, q931_ladder, sip_ladder, voip_peer


@flow
def sigterm_clears_calls(tb):
    """SIGTERM with a call up: DISCONNECT cause 16 to the PBX, BYE to the phone, exit 0."""
    phone = tb.phone("phone", "--answer-after", "0.1", "--exit-after-calls", "1")
    gw = tb.gateway(tb.config([voip_peer(100, "2...", phone.port)]))
    pbx = pbx_call(tb)
    pbx.wait_line(r"EVENT call 1 connected")
    gw.p.send_signal(signal.SIGTERM)
    if gw.wait_exit() != 0:
        raise FlowError("sipgw exited non-zero on SIGTERM")
    pbx.wait_exit()
    phone.wait_exit()
    if "< DISCONNECT cause=16" not in q931_ladder(pbx.lines()):
        raise FlowError("no DISCONNECT cause 16: %s" % q931_ladder(pbx.lines()))
    if "< BYE" not in sip_ladder(phone.lines()):
        raise FlowError("no BYE: %s" % sip_ladder(phone.lines()))


@flow
def pbx_reconnect_and_vanish(tb):
    """The PBX vanishes mid-call (phone gets BYE, cause 38), reconnects, calls again."""
    phone = tb.phone("phone", "--answer-after", "0.1", "--hangup-after", "0.5", "--exit-after-calls", "2")
    tb.gateway(tb.config([voip_peer(100, "2...", phone.port)]))
    pbx = pbx_call(tb)
    pbx.wait_line(r"EVENT call 1 connected")
    pbx.stop(signal.SIGKILL)
    phone.wait_line(r"EVENT call 1 ended")
    bye = fl.sip_lines(phone.lines(), r"^< BYE")
    if not bye or "cause=38" not in bye[0][1]:
        raise FlowError("vanished PBX: expected BYE with cause 38, got %s" % bye)
    pbx2 = pbx_call(tb)
    pbx2.name = "pbx2"
    if pbx2.wait_exit() != 0:
        raise FlowError("second PBX call failed")
    phone.wait_exit()
    expect_ladder("PRI after reconnect", q931_ladder(pbx2.lines()),
                  PBX_CONNECTED + ["< DISCONNECT cause=16", "> RELEASE", "< RELEASE COMPLETE"])


@flow
def bad_config_exits_with_line(tb):
    """A bad config line: sipgw names file and line and exits non-zero."""
    path = os.path.join(tb.dir, "bad.conf")
    with open(path, "w") as f:
        f.write('sip = { port = 5999; };\nspans = (\n  { name = "x"; type = "loopback"; path = "/tmp/x";\n'
                '    framing = "j1"; }\n);\n')
    p = tb.start("sipgw", [tb.bin("sipgw"), "-c", path])
    rc = p.wait_exit()
    err = "\n".join(p.errlines())
    if rc == 0 or ("%s:4:" % path) not in err or "framing" not in err:
        raise FlowError("bad config: rc=%s, stderr=%s" % (rc, err))


@flow
def dahdi_span_not_in_system_conf(tb):
    """A dahdi span that DAHDI's system.conf does not have, or no system.conf at all: sipgw
    names the span's file:line and exits non-zero."""
    sysconf = os.path.join(tb.dir, "system.conf.one-t1")
    with open(sysconf, "w") as f:
        f.write("span=1,1,0,esf,b8zs\nbchan=1-23\ndchan=24\n")
    for sc, what in ((sysconf, "span 'card1': DAHDI span 2 is not in %s" % sysconf),
                     ("/nonexistent-sipgw/system.conf",
                      "span 'card1': cannot read DAHDI's system.conf /nonexistent-sipgw/system.conf")):
        path = os.path.join(tb.dir, "dahdi.conf")
        with open(path, "w") as f:
            f.write('dahdi = { system_conf = "%s"; };\nspans = (\n'
                    '  { name = "card1"; type = "dahdi"; span = 2; role = "network"; }\n);\n' % sc)
        p = tb.start("sipgw", [tb.bin("sipgw"), "-c", path])
        rc = p.wait_exit()
        err = "\n".join(p.errlines())
        if rc == 0 or ("%s:3: " % path) not in err or what not in err:
            raise FlowError("dahdi span against %s: rc=%s, stderr=%s" % (sc, rc, err))


@flow
def malformed_sip_keeps_running(tb):
    """Garbage and a broken INVITE to the SIP port: no crash, the next call works."""
    import socket
    phone = tb.phone("phone", "--answer-after", "0.1", "--hangup-after", "0.4", "--exit-after-calls", "1")
    gw = tb.gateway(tb.config([voip_peer(100, "2...", phone.port)]))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    me = s.getsockname()[1]
    s.settimeout(3)
    s.sendto(b"\x00\xffgarbage\r\n\r\n", ("127.0.0.1", tb.sip_port))
    bad = ("INVITE sip:2001@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK1\r\n"
           "From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:2001@127.0.0.1>\r\nCall-ID: x1\r\n"
           "CSeq: notanumber INVITE\r\nContent-Length: 0\r\n\r\n" % me).encode()
    s.sendto(bad, ("127.0.0.1", tb.sip_port))
    try:
        reply = s.recv(65536).decode(errors="replace")
    except socket.timeout:
        reply = ""
    s.close()
    if not reply.startswith("SIP/2.0 400"):
        raise FlowError("broken CSeq: expected 400, got %r" % reply[:60])
    pbx = pbx_call(tb)
    if pbx.wait_exit() != 0 or gw.p.poll() is not None:
        raise FlowError("gateway did not survive malformed SIP")
    expect_ladder("PRI", q931_ladder(pbx.lines()),
                  PBX_CONNECTED + ["< DISCONNECT cause=16", "> RELEASE", "< RELEASE COMPLETE"])
