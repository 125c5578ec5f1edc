# sipgw call-flow tests for the SIP transports (issue 12): UDP, TCP and TLS
# listeners, a dial-peer's session_transport, RFC 3261 18.1.1 (a large
# request moves to TCP), and TLS peers whose certificate is or is not
# signed by the CA sipgw trusts. The far end is SIPp; the ladder on both
# sides, the transport in SIPp's Via, and the PBX hearing its own tone
# echoed by SIPp through the gateway.
# SPDX-License-Identifier: GPL-2.0-only
import re

import flowlib as fl
from flowlib import (PBX_CONNECTED, FlowError, expect_ladder, flow, pbx_call, pots_peer, q931_ladder,
                     tone_events, voip_peer)

import peers
import tlsrelay

SIPP_ANSWERED = ["< INVITE", "> 100/INVITE", "> 180/INVITE", "> 200/INVITE", "< ACK"]
PBX_CLEARS = PBX_CONNECTED + ["> DISCONNECT cause=16", "< RELEASE", "> RELEASE COMPLETE"]


def heard(proc, hz):
    return "on" in [e for _, e in tone_events(proc.lines(), hz)]


def sip_keys(conf, keys):
    """Add keys ('tls_port = 5061; ...') to the sip group of a config Testbed.config wrote."""
    with open(conf) as f:
        txt = f.read()
    txt = re.sub(r"^(sip = \{.*?) \};$", r"\1 %s };" % keys.replace("\\", "\\\\"), txt, count=1, flags=re.M)
    with open(conf, "w") as f:
        f.write(txt)
    return conf


def tls_keys(tb, port, verify=True, ca=None):
    """The sip group's TLS keys: the flow CA's server certificate for 127.0.0.1."""
    m = peers.tls_material(tb)
    return ('tls_port = %d; tls_cert = "%s"; tls_key = "%s"; tls_ca = "%s"; tls_verify = %s;'
            % (port, m["server_cert"], m["server_key"], ca or m["ca"], "true" if verify else "false"))


def transport_peer(tag, pattern, port, transport):
    return voip_peer(tag, pattern, port) + ' session_transport = "%s";' % transport


def listening(gw):
    """{"udp": "sip:127.0.0.1:5060", ...} from the gateway's "listening on" lines."""
    out = {}
    for ln in gw.errlines():
        m = re.search(r"listening on (\S+) \((\w+)\)", ln)
        if m:
            out[m.group(2)] = m.group(1)
    return out


def top_via(msg):
    return peers.header(msg, "Via") or peers.header(msg, "v") or ""


def pri_to_sipp(tb, uas, gw_peers, extra_keys="", pbx_args=()):
    """The PBX calls 2001 through sipgw to uas, hangs up after 1.5 s; both ladders checked,
    the PBX must hear its 2000 Hz echoed by SIPp. Returns (gw, pbx, the INVITE SIPp got)."""
    conf = tb.config(gw_peers)
    if extra_keys:
        sip_keys(conf, extra_keys)
    gw = tb.gateway(conf)
    pbx = pbx_call(tb, "--tone", "2000", "--detect", "2000", "--hangup-after", "1.5", *pbx_args)
    if pbx.wait_exit() != 0:
        raise FlowError("the PBX simulator failed")
    uas.check_passed()
    expect_ladder("PRI", q931_ladder(pbx.lines()), PBX_CLEARS)
    expect_ladder("SIP (SIPp)", uas.ladder(), SIPP_ANSWERED + ["< BYE", "> 200/BYE"])
    if not heard(pbx, 2000):
        raise FlowError("PBX did not hear its 2000 Hz echoed by SIPp through the gateway")
    return gw, pbx, uas.find("<", r"^INVITE ")[0]


@flow
@fl.no_pri
def transport_listeners_logged(tb):
    """The log names each listener sipgw really has: udp and tcp on sip.port, tls on tls_port; tcp=false drops tcp."""
    tls_port = fl.free_port()
    gw = tb.gateway(sip_keys(tb.config([voip_peer(100, "2...", fl.free_port())]), tls_keys(tb, tls_port)))
    want = {"udp": "sip:127.0.0.1:%d" % tb.sip_port, "tcp": "sip:127.0.0.1:%d" % tb.sip_port,
            "tls": "sips:127.0.0.1:%d" % tls_port}
    if listening(gw) != want:
        raise FlowError("listeners logged %s, want %s" % (listening(gw), want))


@flow
@fl.no_pri
def transport_tcp_off(tb):
    """sip.tcp = false: UDP only, and the log says so; a TCP connect to the SIP port is refused."""
    import socket
    gw = tb.gateway(sip_keys(tb.config([voip_peer(100, "2...", fl.free_port())]), "tcp = false;"))
    if listening(gw) != {"udp": "sip:127.0.0.1:%d" % tb.sip_port}:
        raise FlowError("sip.tcp = false: listeners logged %s" % listening(gw))
    s = socket.socket()
    try:
        s.connect(("127.0.0.1", tb.sip_port))
        raise FlowError("sip.tcp = false, yet port %d takes TCP connections" % tb.sip_port)
    except ConnectionRefusedError:
        pass
    finally:
        s.close()


@flow
def transport_tcp_to_sipp_uas(tb):
    """session_transport tcp: PBX -> sipgw -> SIPp UAS over TCP; R-URI ;transport=tcp, Via TCP, Contact tcp; audio echoed."""
    uas = peers.Sipp(tb, "sipp", peers.uas_scenario(), transport="t1")
    gw, pbx, inv = pri_to_sipp(tb, uas, [transport_peer(100, "2...", uas.port, "tcp")])
    rline = inv.splitlines()[0]
    if not re.match(r"INVITE sip:2001@127\.0\.0\.1:%d;user=phone;transport=tcp SIP/2\.0" % uas.port, rline):
        raise FlowError("Request-URI is not sip:2001@SIPp;user=phone;transport=tcp: " + rline)
    if not top_via(inv).startswith("SIP/2.0/TCP "):
        raise FlowError("INVITE's Via is not SIP/2.0/TCP: " + top_via(inv))
    contact = peers.header(inv, "Contact") or peers.header(inv, "m") or ""
    if "transport=tcp" not in contact:
        raise FlowError("Contact does not name TCP (RFC 3261 8.1.1.8): " + contact)
    bye = uas.find("<", r"^BYE ")[0]
    if not top_via(bye).startswith("SIP/2.0/TCP "):
        raise FlowError("BYE's Via is not SIP/2.0/TCP: " + top_via(bye))


def tls_front(tb, cert=None, key=None):
    """SIPp UAS on TCP behind a TLS front (tlsrelay serve, the flow CA's server certificate
    unless cert/key say otherwise), its Contact the front's sips: URI; returns (uas, relay)."""
    m = peers.tls_material(tb)
    sport = peers.free_port()
    relay = tlsrelay.TlsRelay(tb, "tls-front", "serve", "127.0.0.1:%d" % sport,
                              cert=cert or m["server_cert"], key=key or m["server_key"])
    scen = peers.uas_scenario().replace("Contact: <sip:sipp@[local_ip]:[local_port];transport=[transport]>",
                                        "Contact: <sips:sipp@127.0.0.1:%d>" % relay.port)
    return peers.Sipp(tb, "sipp", scen, port=sport, transport="t1"), relay


@flow
def transport_tls_to_sipp_uas(tb):
    """session_transport tls: PBX -> sipgw -TLS-> SIPp UAS; sips: R-URI and Contact, Via TLS, CA-verified; audio echoed."""
    uas, relay = tls_front(tb)
    gw, pbx, inv = pri_to_sipp(tb, uas, [transport_peer(100, "2...", relay.port, "tls")],
                               tls_keys(tb, fl.free_port()))
    rline = inv.splitlines()[0]
    if not re.match(r"INVITE sips:2001@127\.0\.0\.1:%d;user=phone SIP/2\.0" % relay.port, rline):
        raise FlowError("Request-URI is not sips:2001@front;user=phone: " + rline)
    for what, msg in (("INVITE", inv), ("BYE", uas.find("<", r"^BYE ")[0])):
        if not top_via(msg).startswith("SIP/2.0/TLS "):
            raise FlowError("%s's Via is not SIP/2.0/TLS: %s" % (what, top_via(msg)))
    contact = peers.header(inv, "Contact") or peers.header(inv, "m") or ""
    if not contact.startswith("<sips:"):
        raise FlowError("Contact is not a sips: URI (RFC 3261 8.1.1.8): " + contact)
    relay.wait_line(r"^HANDSHAKE ok")


def rogue_cert(tb):
    """A self-signed certificate for 127.0.0.1 that no CA of the flow signed: (cert, key)."""
    import os
    import subprocess
    d = os.path.join(tb.dir, "rogue")
    os.makedirs(d, exist_ok=True)
    cert, key = os.path.join(d, "rogue.crt"), os.path.join(d, "rogue.key")
    r = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1"], capture_output=True, text=True)
    if r.returncode:
        raise FlowError("openssl: " + r.stderr)
    return cert, key


@flow
def transport_tls_untrusted_cert_refused(tb):
    """A TLS peer whose certificate tls_ca did not sign: no INVITE reaches it, the PBX hears cause 38 at once, the log says why."""
    cert, key = rogue_cert(tb)
    uas, relay = tls_front(tb, cert, key)
    conf = sip_keys(tb.config([transport_peer(100, "2...", relay.port, "tls")]), tls_keys(tb, fl.free_port()))
    gw = tb.gateway(conf)
    pbx = pbx_call(tb)
    if pbx.wait_exit() != 0:
        raise FlowError("the PBX simulator failed")
    expect_ladder("PRI", q931_ladder(pbx.lines()),
                  ["> SETUP", "< CALL PROCEEDING", "< DISCONNECT cause=38", "> RELEASE", "< RELEASE COMPLETE"])
    t_setup = fl.timed(pbx.lines(), "Q931")[0][0]
    t_disc = [ms for ms, t in fl.timed(pbx.lines(), "Q931") if t.startswith("< DISCONNECT")][0]
    if t_disc - t_setup > 2000:
        raise FlowError("the refused TLS peer took %d ms to clear the call (Timer B?)" % (t_disc - t_setup))
    # TLS 1.3: the server's side of the handshake ends before the client checks its certificate
    relay.wait_line(r"^CLOSED tls->tcp 0 bytes")
    if uas.messages():
        raise FlowError("SIPp behind the untrusted certificate got SIP: %s" % uas.ladder())
    gw.wait_line(r"INVITE sips:2001@127\.0\.0\.1:%d;user=phone: not sent or not answered: the tls connection"
                 % relay.port, stream="err")
    gw.wait_line(r"sofia: .*(certificate|verify)", stream="err")


@flow
def transport_tls_verify_off_takes_any_cert(tb):
    """tls_verify = false: the same peer with a certificate no CA signed is called, audio echoed."""
    cert, key = rogue_cert(tb)
    uas, relay = tls_front(tb, cert, key)
    pri_to_sipp(tb, uas, [transport_peer(100, "2...", relay.port, "tls")],
                tls_keys(tb, fl.free_port(), verify=False))
    relay.wait_line(r"^HANDSHAKE ok")
