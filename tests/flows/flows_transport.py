# sipgw call-flow tests for the SIP transports (issue 12): UDP, TCP and TLS
# listeners, a dial-peer's session_transport, RFC 3261 18.1.1 (a large
# request moves to TCP), and TLS peers whose certificate is or is not
# signed by the CA sipgw trusts. The far end is SIPp; the ladder on both
# sides, the transport in SIPp's Via, and the PBX hearing its own tone
# echoed by SIPp through the gateway. All but transport_tcp_to_sipp_uas run
# on loopback spans only (@no_pri): the transport is the SIP side's.
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
    gw.wait_line(r"sip: > INVITE sip:2001@\S+;transport=tcp .* via tcp$", stream="err")


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
@fl.no_pri
def transport_tls_to_sipp_uas(tb):
    """session_transport tls: PBX -> sipgw -TLS-> SIPp UAS; sips: R-URI and Contact, Via TLS, CA-verified; audio echoed."""
    uas, relay = tls_front(tb)
    tls_port = fl.free_port()
    gw, pbx, inv = pri_to_sipp(tb, uas, [transport_peer(100, "2...", relay.port, "tls")],
                               tls_keys(tb, tls_port))
    rline = inv.splitlines()[0]
    if not re.match(r"INVITE sips:2001@127\.0\.0\.1:%d;user=phone SIP/2\.0" % relay.port, rline):
        raise FlowError("Request-URI is not sips:2001@front;user=phone: " + rline)
    for what, msg in (("INVITE", inv), ("BYE", uas.find("<", r"^BYE ")[0])):
        if not top_via(msg).startswith("SIP/2.0/TLS "):
            raise FlowError("%s's Via is not SIP/2.0/TLS: %s" % (what, top_via(msg)))
    contact = peers.header(inv, "Contact") or peers.header(inv, "m") or ""
    if not re.match(r"<sips:(\S+@)?127\.0\.0\.1:%d>" % tls_port, contact):
        raise FlowError("Contact is not our sips: URI at tls_port %d (RFC 3261 8.1.1.8): %s" % (tls_port, contact))
    relay.wait_line(r"^HANDSHAKE ok")
    gw.wait_line(r"sip: < 200 OK \(INVITE\) .* via tls$", stream="err")


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
@fl.no_pri
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
@fl.no_pri
def transport_tls_verify_off_takes_any_cert(tb):
    """tls_verify = false: the same peer with a certificate no CA signed is called, audio echoed."""
    cert, key = rogue_cert(tb)
    uas, relay = tls_front(tb, cert, key)
    pri_to_sipp(tb, uas, [transport_peer(100, "2...", relay.port, "tls")],
                tls_keys(tb, fl.free_port(), verify=False))
    relay.wait_line(r"^HANDSHAKE ok")


@flow
@fl.no_pri
def transport_large_invite_moves_to_tcp(tb):
    """RFC 3261 18.1.1: an INVITE over 1300 bytes to a udp dial-peer goes over TCP (SIPp listens on TCP only); audio echoed."""
    uas = peers.Sipp(tb, "sipp", peers.uas_scenario(), transport="t1")
    peer = voip_peer(100, "2...", uas.port) + \
        ' codec = [ "g711ulaw", "g711alaw", "g722-64", "gsmfr", "opus" ];'
    # a long display name and a redirecting number (Diversion, History-Info) make it large
    gw, pbx, inv = pri_to_sipp(tb, uas, [peer], pbx_args=(
        "--name", "Accounts Payable Department Main Reception Desk Building 7", "--redirecting", "5550100",
        "--redirect-reason", "unconditional"))
    with open(uas.message_file) as f:
        sizes = [int(n) for n in re.findall(r"^TCP message received \[(\d+)\] bytes", f.read(), re.M)]
    if not sizes or sizes[0] <= 1300:
        raise FlowError("the INVITE is not over 1300 bytes (%s): the test proves nothing" % sizes[:1])
    rline = inv.splitlines()[0]
    if "transport=" in rline:
        raise FlowError("the Request-URI names a transport; only the size should move it: " + rline)
    if not top_via(inv).startswith("SIP/2.0/TCP "):
        raise FlowError("the %d-byte INVITE's Via is not SIP/2.0/TCP: %s" % (sizes[0], top_via(inv)))


SIPP_CALLS = ["> INVITE", "< 100/INVITE", "< 180/INVITE", "< 200/INVITE", "> ACK", "> BYE", "< 200/BYE"]
PBX_ANSWERS = ["< SETUP", "> CALL PROCEEDING", "> ALERTING", "> CONNECT", "< CONNECT ACKNOWLEDGE",
               "< DISCONNECT cause=16", "> RELEASE", "< RELEASE COMPLETE"]


def sipp_to_pri(tb, scenario, remote, sip_extra="", transport="t1"):
    """SIPp calls 95551234 through sipgw (remote: sipgw or a front of it), the PBX answers
    and hears its own tone echoed, SIPp hangs up. Returns (gw, uac)."""
    conf = tb.config([pots_peer(900, "9T")])
    if sip_extra:
        sip_keys(conf, sip_extra)
    gw = tb.gateway(conf)
    pbx = tb.pbx("--exit-when-done", "--answer-after", "0.3", "--tone", "2000", "--detect", "2000")
    pbx.wait_line(r"EVENT dchan up")
    uac = peers.Sipp(tb, "sipp", scenario, transport=transport, remote=remote)
    uac.check_passed()
    if pbx.wait_exit() != 0:
        raise FlowError("the PBX simulator failed")
    expect_ladder("SIP (SIPp)", uac.ladder(), SIPP_CALLS)
    expect_ladder("PRI", q931_ladder(pbx.lines()), PBX_ANSWERS)
    setup = [t for _, t in fl.timed(pbx.lines(), "Q931") if t.startswith("< SETUP")][0]
    if "called=5551234" not in setup:
        raise FlowError("SETUP numbers wrong: " + setup)
    if not heard(pbx, 2000):
        raise FlowError("PBX did not hear its 2000 Hz echoed by SIPp through the gateway")
    return gw, uac


@flow
@fl.no_pri
def transport_tcp_from_sipp_uac(tb):
    """SIPp UAC over TCP -> sipgw -> PBX: the answers come back on the connection, our Contact says tcp; audio echoed."""
    gw, uac = sipp_to_pri(tb, peers.uac_scenario("95551234", calling="2001"), "127.0.0.1:%d" % tb.sip_port)
    ok = uac.find("<", r"^SIP/2\.0 200 ")[0]
    if not top_via(ok).startswith("SIP/2.0/TCP "):
        raise FlowError("200's Via is not SIP/2.0/TCP: " + top_via(ok))
    contact = peers.header(ok, "Contact") or peers.header(ok, "m") or ""
    if not re.search(r"<sip:[^>]*127\.0\.0\.1:%d;transport=tcp>" % tb.sip_port, contact):
        raise FlowError("our 200's Contact does not say TCP (RFC 3261 12.1.1): " + contact)


@flow
@fl.no_pri
def transport_tls_from_sipp_uac(tb):
    """SIPp UAC over TLS (a TLS front checking sipgw's certificate) -> sipgw's tls_port -> PBX; Via TLS, sips: Contact; audio echoed."""
    m = peers.tls_material(tb)
    tls_port = fl.free_port()
    front = tlsrelay.TlsRelay(tb, "tls-front", "client", "127.0.0.1:%d" % tls_port, ca=m["ca"])
    # SIPp speaks TCP to the front; what it writes says TLS, as a TLS phone's would
    scen = peers.uac_scenario("95551234", calling="2001").replace("SIP/2.0/[transport]", "SIP/2.0/TLS") \
        .replace("<sip:2001@[local_ip]:[local_port];transport=[transport]>", "<sips:2001@[local_ip]:[local_port]>") \
        .replace("INVITE sip:95551234@", "INVITE sips:95551234@").replace("<sip:95551234@", "<sips:95551234@")
    gw, uac = sipp_to_pri(tb, scen, "127.0.0.1:%d" % front.port, tls_keys(tb, tls_port))
    front.wait_line(r"^HANDSHAKE ok")
    ok = uac.find("<", r"^SIP/2\.0 200 ")[0]
    if not top_via(ok).startswith("SIP/2.0/TLS "):
        raise FlowError("200's Via is not SIP/2.0/TLS: " + top_via(ok))
    contact = peers.header(ok, "Contact") or peers.header(ok, "m") or ""
    if not contact.startswith("<sips:"):
        raise FlowError("our 200's Contact to a sips: INVITE is not sips: (RFC 3261 8.1.1.8, 12.1.1): " + contact)


CHALLENGED = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="sipgw transport untrusted caller">
  <send retrans="500"><![CDATA[
INVITE sip:95551234@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/%(proto)s [local_ip]:[local_port];branch=[branch]
From: <sip:2001@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:95551234@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:2001@[local_ip]:[local_port];transport=%(proto)s>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

%(sdp)s
]]></send>
  <recv response="100" optional="true"/>
  <recv response="407"/>
  <send><![CDATA[
ACK sip:95551234@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/%(proto)s [local_ip]:[local_port];branch=[branch]
From: <sip:2001@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
[last_To:]
[last_Call-ID:]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
</scenario>
"""


@flow
@fl.no_pri
def transport_untrusted_caller_challenged_over_tcp_and_tls(tb):
    """An unauthenticated INVITE to the PSTN over TCP, and over TLS, gets 407 like one over UDP: no SETUP reaches the PBX."""
    from flows_b17_b23_proxy import no_setup, registrar_conf
    tls_port = fl.free_port()
    conf = sip_keys(tb.config([pots_peer(900, "9T")], extra=registrar_conf(tb), trusted=()),
                    tls_keys(tb, tls_port))
    tb.gateway(conf)
    pbx = tb.pbx("--timeout", "15")
    pbx.wait_line(r"EVENT dchan up")
    front = tlsrelay.TlsRelay(tb, "tls-front", "client", "127.0.0.1:%d" % tls_port, ca=peers.tls_material(tb)["ca"])
    for name, proto, remote in (("sipp-tcp", "TCP", tb.sip_port), ("sipp-tls", "TLS", front.port)):
        uac = peers.Sipp(tb, name, CHALLENGED % {"proto": proto, "sdp": peers.SDP}, transport="t1",
                         remote="127.0.0.1:%d" % remote)
        uac.check_passed()
        expect_ladder("SIP (%s)" % name, uac.ladder(), ["> INVITE", "< 100/INVITE", "< 407/INVITE", "> ACK"])
    front.wait_line(r"^HANDSHAKE ok")
    pbx.stop()
    if not no_setup(pbx):
        raise FlowError("an unauthenticated INVITE over TCP or TLS reached the PRI")


@flow
@fl.no_pri
def transport_tls_files_checked(tb):
    """sipgw -t and the start refuse, with file:line, a missing certificate and a key that is not the certificate's; -t on the right files says OK."""
    import os
    m = peers.tls_material(tb)
    cases = [("/nonexistent-sipgw/gw.crt", m["server_key"], 3, 'sip.tls_cert "/nonexistent-sipgw/gw.crt": No such file'),
             (m["server_cert"], m["client_key"], 4, "is not the key of sip.tls_cert")]
    for i, (cert, key, line, what) in enumerate(cases):
        path = os.path.join(tb.dir, "t%d.conf" % i)
        with open(path, "w") as f:
            f.write('sip = { port = %d;\n  tls_port = %d;\n  tls_cert = "%s";\n  tls_key = "%s";\n  tls_ca = "%s"; };\n'
                    % (fl.free_port(), fl.free_port(), cert, key, m["ca"]))
        for how in (["-t"], []):
            p = tb.start("check%d%s" % (i, how[0] if how else ""), [tb.bin("sipgw")] + how + ["-c", path])
            rc = p.wait_exit()
            err = "\n".join(p.errlines())
            if rc == 0 or ("%s:%d:" % (path, line)) not in err or what not in err:
                raise FlowError("sipgw %s on case %d: rc=%s, stderr=%s" % (" ".join(how), i, rc, err))
    with open(os.path.join(tb.dir, "t1.conf")) as f:
        good = f.read().replace(m["client_key"], m["server_key"])
    with open(os.path.join(tb.dir, "good.conf"), "w") as f:
        f.write(good)
    p = tb.start("check-good", [tb.bin("sipgw"), "-t", "-c", os.path.join(tb.dir, "good.conf")])
    if p.wait_exit() != 0 or not any(": OK (" in ln for ln in p.lines()):
        raise FlowError("sipgw -t on good TLS files: %s %s" % (p.lines(), p.errlines()))
