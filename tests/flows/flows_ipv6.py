# sipgw call-flow tests over IPv6 (issue 12): sipgw bound to ::1 with its RTP
# on ::1, calls both ways with the phone simulator and with SIPp on [::1]
# (dial-peer session_target "ipv6:[::1]:PORT", Cisco's form); what a voice
# engineer reads on the wire: the Request-URI, From, To and Contact with the
# address in brackets (RFC 3261 25.1, RFC 5118 4.1), SDP IN IP6, the ladder,
# the audio that crossed; an untrusted IPv6 caller kept off the trunk;
# bind "::" taking one call over IPv4 and one over IPv6; sipgw -t on v6
# addresses good and bad.
# SPDX-License-Identifier: GPL-2.0-only
import os
import re
import socket

import flowlib as fl
from flowlib import (PBX_CONNECTED, PHONE_ANSWERED, FlowError, check_audio_crossed, expect_ladder, flow,
                     pbx_call, pots_peer, q931_ladder, sip_ladder, tone_events)

import peers

_has_v6 = None


def need_v6():
    """Skip when this machine has no ::1 (checked once)."""
    global _has_v6
    if _has_v6 is None:
        try:
            s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
            s.bind(("::1", 0))
            s.close()
            _has_v6 = True
        except OSError:
            _has_v6 = False
    if not _has_v6:
        raise fl.FlowSkip("no IPv6 loopback (::1) on this machine")


def dual_port():
    """A port free for UDP and TCP on 127.0.0.1 and on ::1 (bind "::" takes both)."""
    while True:
        p = peers.free_port("::1")
        try:
            for fam, host, kind in ((socket.AF_INET, "127.0.0.1", socket.SOCK_DGRAM),
                                    (socket.AF_INET, "127.0.0.1", socket.SOCK_STREAM)):
                s = socket.socket(fam, kind)
                try:
                    s.bind((host, p))
                finally:
                    s.close()
            return p
        except OSError:
            continue


def v6_peer(tag, pattern, port, host="::1"):
    """A voip dial-peer to [host]:port in Cisco's IPv6 session target syntax."""
    return ('tag = %d; type = "voip"; destination_pattern = "%s"; '
            'session_target = "ipv6:[%s]:%d";' % (tag, pattern, host, port))


def v6_config(tb, dial_peers, bind="::1", rtp="::1", trusted=("::1",), **kw):
    """tb.config with sip.bind and rtp.address on IPv6 (on a port free there)."""
    need_v6()
    tb.sip_port = dual_port() if bind in ("::", "[::]") else peers.free_port("::1")
    conf = tb.config(dial_peers, trusted=trusted, **kw)
    with open(conf) as f:
        text = f.read()
    text = text.replace('bind = "127.0.0.1"', 'bind = "%s"' % bind, 1)
    text = text.replace('address = "127.0.0.1"', 'address = "%s"' % rtp, 1)
    with open(conf, "w") as f:
        f.write(text)
    return conf


def phone6(tb, name, *args, host="::1"):
    """The phone simulator on [host] (SIP and RTP), on a port free there."""
    port = peers.free_port(host) if ":" in host else fl.free_port()
    ph = tb.start(name, [tb.bin("sipgw-phone"), "--bind", host, "--port", str(port), "--timeout", "20"] +
                  list(args))
    ph.wait_line(r"EVENT ready port=%d" % port)
    ph.port = port
    return ph


def gw_uri(tb, number, host="::1"):
    return "sip:%s@%s" % (number, peers.hostport(host, tb.sip_port))


PRI_CLEARED_BY_PBX = ["> DISCONNECT cause=16", "< RELEASE", "> RELEASE COMPLETE"]
PRI_IN = ["< SETUP", "> CALL PROCEEDING", "> ALERTING", "> CONNECT", "< CONNECT ACKNOWLEDGE",
          "< DISCONNECT cause=16", "> RELEASE", "< RELEASE COMPLETE"]
SIP_OUT = ["> INVITE", "< 100/INVITE", "< 180/INVITE", "< 200/INVITE", "> ACK", "> BYE", "< 200/BYE"]


@flow
def ipv6_pri_to_phone(tb):
    """PBX -> sipgw on [::1] -> phone on [::1] (ipv6:[::1]:PORT): INVITE sip:2001@[::1]:PORT, SDP c=::1, From [::1]; audio both ways."""
    phone = phone6(tb, "phone", "--answer-after", "0.3", "--tone", "1000", "--detect", "2000",
                   "--hangup-after", "1.5", "--exit-after-calls", "1")
    gw = tb.gateway(v6_config(tb, [v6_peer(100, "2...", phone.port)]))
    gw.wait_line(r"listening on sip:\[::1\]:%d \(udp: \[::1\]:%d\)" % (tb.sip_port, tb.sip_port), stream="err")
    pbx = pbx_call(tb, "--tone", "2000", "--detect", "1000")
    if pbx.wait_exit() != 0 or phone.wait_exit() != 0:
        raise FlowError("a simulator failed")
    expect_ladder("PRI", q931_ladder(pbx.lines()),
                  PBX_CONNECTED + ["< DISCONNECT cause=16", "> RELEASE", "< RELEASE COMPLETE"])
    expect_ladder("SIP", sip_ladder(phone.lines()), PHONE_ANSWERED + ["> BYE", "< 200/BYE"])
    inv = fl.sip_lines(phone.lines(), r"^< INVITE ")[0][1]
    if not re.search(r"INVITE sip:2001@\[::1\]:%d;user=phone .*sdp\[c=::1 sendrecv\]" % phone.port, inv):
        raise FlowError("INVITE not sip:2001@[::1]:PORT;user=phone with c=::1: " + inv)
    phone.wait_line(r"EVENT call 1 identity from=5551000@\[::1\] ")
    check_audio_crossed(pbx, phone)


@flow
def ipv6_phone_to_pri(tb):
    """Phone on [::1] (trusted ::1/128) -> sipgw on [::1] -> PBX: SETUP 5551234, 180/200 with c=::1; audio both ways."""
    gw = tb.gateway(v6_config(tb, [pots_peer(900, "9T")], trusted=("::1/128",)))
    pbx = tb.pbx("--exit-when-done", "--answer-after", "0.4", "--tone", "2000", "--detect", "1000")
    pbx.wait_line(r"EVENT dchan up")
    phone = phone6(tb, "phone", "--call", gw_uri(tb, "95551234"), "--from", "2001", "--display", "User B",
                   "--exit-after-calls", "1", "--tone", "1000", "--detect", "2000", "--hangup-after", "1.2")
    if phone.wait_exit() != 0 or pbx.wait_exit() != 0:
        raise FlowError("a simulator failed")
    expect_ladder("SIP", sip_ladder(phone.lines()), SIP_OUT)
    expect_ladder("PRI", q931_ladder(pbx.lines()), PRI_IN)
    setup = [t for _, t in fl.timed(pbx.lines(), "Q931") if t.startswith("< SETUP")][0]
    if "called=5551234" not in setup or "calling=2001" not in setup:
        raise FlowError("SETUP numbers wrong: " + setup)
    ok = fl.sip_lines(phone.lines(), r"^< 200 OK \(INVITE\)")[0][1]
    if "sdp[c=::1 sendrecv]" not in ok:
        raise FlowError("200 OK SDP not c=::1: " + ok)
    gw.wait_line(r"INVITE from ::1: 2001 ", stream="err")
    check_audio_crossed(pbx, phone)


@flow
def ipv6_untrusted_caller_refused(tb):
    """Toll fraud over IPv6: a caller from ::1 with only 127.0.0.1 and fd00::/8 trusted gets 403, and no SETUP reaches the PBX."""
    gw = tb.gateway(v6_config(tb, [pots_peer(900, "9T")], trusted=("127.0.0.1", "fd00::/8")))
    pbx = tb.pbx("--answer-after", "0")
    pbx.wait_line(r"EVENT dchan up")
    phone = phone6(tb, "phone", "--call", gw_uri(tb, "95551234"), "--from", "2001", "--exit-after-calls", "1")
    phone.wait_exit()
    expect_ladder("SIP", sip_ladder(phone.lines()), ["> INVITE", "< 100/INVITE", "< 403/INVITE", "> ACK"])
    gw.wait_line(r"from ::1", stream="err")
    if any("SETUP" in t for _, t in fl.timed(pbx.lines(), "Q931")):
        raise FlowError("an untrusted IPv6 caller reached the trunk: %s" % q931_ladder(pbx.lines()))


@flow
def ipv6_registered_phone(tb):
    """Registrar over IPv6: a phone on [::1] registers (digest), its Contact kept bracketed; the PBX calls it: INVITE to sip:2001@[::1]:PORT; audio both ways."""
    reg = ('registrar = { realm = "sipgw"; users = ( { user = "2001"; password = "secret1"; } ); '
           'min_expires = 10; };\n')
    peer = 'tag = 99; type = "voip"; destination_pattern = "2..."; session_target = "registrar";'
    gw = tb.gateway(v6_config(tb, [peer], extra=reg, trusted=()))
    phone = phone6(tb, "phone", "--user", "2001", "--register", "sip:" + peers.hostport("::1", tb.sip_port),
                   "--auth", "2001:secret1", "--answer-after", "0.3", "--tone", "1000", "--detect", "2000",
                   "--hangup-after", "1.5", "--exit-after-calls", "1")
    phone.wait_line(r"EVENT registered expires=\d+ contacts=1")
    gw.wait_line(r"2001.*\[::1\]:%d" % phone.port, stream="err")
    pbx = pbx_call(tb, "--tone", "2000", "--detect", "1000")
    if pbx.wait_exit() != 0 or phone.wait_exit() != 0:
        raise FlowError("a simulator failed")
    lad = sip_ladder(phone.lines())
    if lad[:4] != ["> REGISTER", "< 401/REGISTER", "> REGISTER", "< 200/REGISTER"]:
        raise FlowError("no digest REGISTER first: %s" % lad)
    lad = lad[4:-2] if lad[-2:] == ["> REGISTER", "< 200/REGISTER"] else lad[4:]
    expect_ladder("SIP", lad, PHONE_ANSWERED + ["> BYE", "< 200/BYE"])
    expect_ladder("PRI", q931_ladder(pbx.lines()),
                  PBX_CONNECTED + ["< DISCONNECT cause=16", "> RELEASE", "< RELEASE COMPLETE"])
    inv = fl.sip_lines(phone.lines(), r"^< INVITE ")[0][1]
    if not re.search(r"INVITE sip:2001@\[::1\]:%d[; ]" % phone.port, inv):
        raise FlowError("INVITE not to the registered contact [::1]: " + inv)
    check_audio_crossed(pbx, phone)


def sipp_v6(tb, name, scenario, **kw):
    need_v6()
    return peers.Sipp(tb, name, scenario, host="::1", **kw)


@flow
def ipv6_sipp_uas(tb):
    """PBX -> sipgw [::1] -> SIPp UAS (sipp -i ::1): R-URI, From, To, Contact bracketed, o=/c= IN IP6 ::1; SIPp's echo heard by the PBX."""
    uas = sipp_v6(tb, "sipp", peers.uas_scenario())
    tb.gateway(v6_config(tb, [v6_peer(100, "2...", uas.port)]))
    pbx = pbx_call(tb, "--tone", "2000", "--detect", "2000", "--hangup-after", "1.5")
    if pbx.wait_exit() != 0:
        raise FlowError("the PBX simulator failed")
    uas.check_passed()
    expect_ladder("PRI", q931_ladder(pbx.lines()), PBX_CONNECTED + PRI_CLEARED_BY_PBX)
    expect_ladder("SIP (SIPp)", uas.ladder(),
                  ["< INVITE", "> 100/INVITE", "> 180/INVITE", "> 200/INVITE", "< ACK", "< BYE", "> 200/BYE"])
    inv = uas.find("<", r"^INVITE ")[0]
    me = r"\[::1\]:%d" % tb.sip_port
    want = [("Request-URI", inv.splitlines()[0], r"^INVITE sip:2001@\[::1\]:%d;user=phone SIP/2\.0$" % uas.port),
            ("From", peers.header(inv, "From"), r"<sip:5551000@%s;user=phone>" % me),
            ("To", peers.header(inv, "To"), r"<sip:2001@\[::1\]:%d;user=phone>" % uas.port),
            ("Contact", peers.header(inv, "Contact"), r"<sip:%s>" % me),
            ("Via", peers.header(inv, "Via"), r"SIP/2\.0/UDP %s" % me),
            ("o=", inv, r"(?m)^o=sipgw \d+ \d+ IN IP6 ::1\r?$"),
            ("c=", inv, r"(?m)^c=IN IP6 ::1\r?$")]
    for what, got, rx in want:
        if not got or not re.search(rx, got):
            raise FlowError("INVITE %s not /%s/:\n%s" % (what, rx, inv))
    bye = uas.find("<", r"^BYE ")[0]
    if not re.match(r"BYE sip:sipp@\[::1\]:%d" % uas.port, bye):
        raise FlowError("BYE not to SIPp's Contact [::1]: " + bye.splitlines()[0])
    if "on" not in [e for _, e in tone_events(pbx.lines(), 2000)]:
        raise FlowError("PBX did not hear its 2000 Hz echoed by SIPp over IPv6")


@flow
def ipv6_sipp_uac_to_pri(tb):
    """SIPp UAC on [::1] -> sipgw [::1] -> PBX: 180/200 Contact [::1], SDP IN IP6 ::1, SETUP 5551234; the PBX hears SIPp's echo."""
    tb.gateway(v6_config(tb, [pots_peer(900, "9T")]))
    pbx = tb.pbx("--exit-when-done", "--answer-after", "0.3", "--tone", "2000", "--detect", "2000")
    pbx.wait_line(r"EVENT dchan up")
    uac = sipp_v6(tb, "sipp", peers.uac_scenario("95551234", calling="2001", bye_after_ms=1500),
                  remote=peers.hostport("::1", tb.sip_port))
    uac.check_passed()
    if pbx.wait_exit() != 0:
        raise FlowError("the PBX simulator failed")
    expect_ladder("SIP (SIPp)", uac.ladder(), SIP_OUT)
    expect_ladder("PRI", q931_ladder(pbx.lines()), PRI_IN)
    ok = uac.find("<", r"^SIP/2\.0 200 ")[0]
    for what, got, rx in (("Contact", peers.header(ok, "Contact"), r"<sip:\[::1\]:%d>" % tb.sip_port),
                          ("o=", ok, r"(?m)^o=sipgw \d+ \d+ IN IP6 ::1\r?$"),
                          ("c=", ok, r"(?m)^c=IN IP6 ::1\r?$")):
        if not got or not re.search(rx, got):
            raise FlowError("200 OK %s not /%s/:\n%s" % (what, rx, ok))
    if "on" not in [e for _, e in tone_events(pbx.lines(), 2000)]:
        raise FlowError("PBX did not hear its 2000 Hz echoed by SIPp over IPv6")


@flow
def ipv6_dual_stack_bind_any(tb):
    """bind "::" and rtp.address "::": one call from a phone on 127.0.0.1 and one from [::1] reach the PBX; each 200's c= is of the caller's family; audio both ways on both."""
    gw = tb.gateway(v6_config(tb, [pots_peer(900, "9T")], bind="::", rtp="::", trusted=("127.0.0.1", "::1")))
    line = gw.wait_line(r"listening on sip:\*:%d \(udp: (.*)\)" % tb.sip_port, stream="err").group(1)
    for a in ("127.0.0.1:%d" % tb.sip_port, "[::1]:%d" % tb.sip_port):
        if a not in line.split(", "):
            raise FlowError("bind :: did not say it bound %s: %s" % (a, line))
    pbx = tb.pbx("--exit-when-done", "--calls-in", "2", "--answer-after", "0.3", "--tone", "2000",
                 "--detect", "1000")
    pbx.wait_line(r"EVENT dchan up")
    for host, c in (("127.0.0.1", "127.0.0.1"), ("::1", "::1")):
        phone = phone6(tb, "phone-" + ("v4" if host[0] == "1" else "v6"), "--call", gw_uri(tb, "95551234", host),
                       "--from", "2001", "--exit-after-calls", "1", "--tone", "1000", "--detect", "2000",
                       "--hangup-after", "1.0", host=host)
        if phone.wait_exit() != 0:
            raise FlowError("%s failed" % phone.name)
        expect_ladder("SIP " + phone.name, sip_ladder(phone.lines()), SIP_OUT)
        ok = fl.sip_lines(phone.lines(), r"^< 200 OK \(INVITE\)")[0][1]
        if "sdp[c=%s sendrecv]" % c not in ok:
            raise FlowError("%s: 200 OK SDP not c=%s: %s" % (phone.name, c, ok))
        # our Contact (the ACK's Request-URI) is the caller's family: nua alone would
        # write its first transport's (an IPv4 address) for both
        ack = fl.sip_lines(phone.lines(), r"^> ACK ")[0][1]
        if "ACK sip:%s" % peers.hostport(host, tb.sip_port) not in ack:
            raise FlowError("%s: our Contact is not %s: %s" % (phone.name, host, ack))
        if "on" not in [e for _, e in tone_events(phone.lines(), 2000)]:
            raise FlowError("%s never heard the PBX's 2000 Hz" % phone.name)
    if pbx.wait_exit() != 0:
        raise FlowError("the PBX simulator failed")
    # flowlib's ladder gives the cause of a call's first clearing message only
    expect_ladder("PRI", q931_ladder(pbx.lines()),
                  PRI_IN + [s.replace("< DISCONNECT cause=16", "< DISCONNECT") for s in PRI_IN])
    if len([t for _, t in fl.timed(pbx.lines(), "Q931") if re.match(r"< DISCONNECT .*cause=16", t)]) != 2:
        raise FlowError("not both calls cleared with cause 16")
    if len([1 for _, e in tone_events(pbx.lines(), 1000) if e == "on"]) < 2:
        raise FlowError("PBX did not hear both phones' 1000 Hz: %s" % tone_events(pbx.lines(), 1000))


@flow
@fl.no_pri
def ipv6_warning_agent_bracketed(tb):
    """An INVITE over IPv6 offering video only: 488 whose Warning (304) agent is our [::1]:PORT (RFC 3261 20.43 warn-agent hostport)."""
    tb.gateway(v6_config(tb, [pots_peer(900, "9T")]))
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    try:
        s.bind(("::1", 0))
        s.settimeout(5)
        me = peers.hostport("::1", s.getsockname()[1])
        gw = peers.hostport("::1", tb.sip_port)
        sdp = "v=0\r\no=- 1 1 IN IP6 ::1\r\ns=-\r\nc=IN IP6 ::1\r\nt=0 0\r\nm=video 40000 RTP/AVP 96\r\n"
        s.sendto(("INVITE sip:95551234@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-v6w1\r\n"
                  "Max-Forwards: 70\r\nFrom: <sip:2001@%s>;tag=v6w\r\nTo: <sip:95551234@%s>\r\n"
                  "Call-ID: v6-warning@flow\r\nCSeq: 1 INVITE\r\nContact: <sip:2001@%s>\r\n"
                  "Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s"
                  % (gw, me, me, gw, me, len(sdp), sdp)).encode(), ("::1", tb.sip_port))
        while True:
            text = s.recv(4096).decode(errors="replace")
            if not re.match(r"SIP/2\.0 1\d\d ", text):
                break
    finally:
        s.close()
    if not text.startswith("SIP/2.0 488 "):
        raise FlowError("an INVITE offering no audio: not 488:\n" + text)
    warn = peers.header(text, "Warning") or ""
    if not re.match(r'304 \[::1\]:%d "' % tb.sip_port, warn):
        raise FlowError("Warning agent not [::1]:%d: %r" % (tb.sip_port, warn))


@flow
@fl.no_pri
def ipv6_config_check(tb):
    """sipgw -t: bind "::1", "[::1]", "::" and IPv6 trusted prefixes pass; bad or foreign IPv6 addresses, prefixes and targets fail with file:line."""
    need_v6()
    good = ('sip = { bind = "%s"; port = 5999; trusted = [ "::1/128", "fd00::/8", "127.0.0.1" ]; };\n'
            'rtp = { address = "%s"; };\n'
            'dial_peers = ( { tag = 1; type = "voip"; destination_pattern = "2..."; '
            'session_target = "%s"; } );\n')
    for b, r, t in (("::1", "::1", "ipv6:[::1]:5070"), ("[::1]", "[::1]", "ipv6:::1"), ("::", "::", "ipv4:127.0.0.1"),
                    ("0.0.0.0", "127.0.0.1", "ipv4:127.0.0.1:5070")):
        path = os.path.join(tb.dir, "good-%d.conf" % len(tb.procs))
        with open(path, "w") as f:
            f.write(good % (b, r, t))
        p = tb.start("good%d" % len(tb.procs), [tb.bin("sipgw"), "-t", "-c", path])
        if p.wait_exit() != 0 or not any(": OK (" in ln for ln in p.lines()):
            raise FlowError("sipgw -t with bind %s: %s %s" % (b, p.lines(), p.errlines()))
    cases = [
        ('sip = { port = 5999;\n  bind = "::1::2"; };\n', 2, 'sip.bind = "::1::2" is not an IPv4 or IPv6 address'),
        ('sip = { port = 5999;\n  bind = "[127.0.0.1]"; };\n', 2, "is not an IPv4 or IPv6 address"),
        ('sip = { port = 5999;\n  bind = "[::1"; };\n', 2, "is not an IPv4 or IPv6 address"),
        ('sip = { port = 5999;\n  bind = "::1:5060"; };\n', 2, "not an address of this host"),
        ('sip = { port = 5999;\n  bind = "2001:db8::1"; };\n', 2, "not an address of this host"),
        ('rtp = {\n  address = "2001:db8::5"; };\n', 2, 'rtp.address = "2001:db8::5": not an address of this host'),
        ('rtp = {\n  address = "[::1]:30000"; };\n', 2, "is not an IPv4 or IPv6 address"),
        ('sip = {\n  trusted = [ "fd00::/129" ]; };\n', 2, '"fd00::/129" is not an IPv4 or IPv6 address or prefix'),
        ('sip = {\n  trusted = [ "fd00::1::/8" ]; };\n', 2, "is not an IPv4 or IPv6 address or prefix"),
        ('dial_peers = (\n  { tag = 1; type = "voip"; destination_pattern = "2...";\n'
         '    session_target = "ipv6:[::1]:70000"; } );\n', 2, "session_target"),
        ('dial_peers = (\n  { tag = 1; type = "voip"; destination_pattern = "2...";\n'
         '    session_target = "ipv6:::1:5060:x"; } );\n', 2, "session_target"),
        # no call could go: an IPv6 target from an IPv4 socket
        ('sip = { bind = "127.0.0.1"; port = 5999; };\ndial_peers = (\n  { tag = 1; type = "voip"; '
         'destination_pattern = "2..."; session_target = "ipv6:[::1]:5070"; } );\n', 3,
         'session_target "ipv6:[::1]:5070" is IPv6, sip.bind "127.0.0.1" is IPv4'),
    ]
    for i, (text, line, what) in enumerate(cases):
        path = os.path.join(tb.dir, "t%d.conf" % i)
        with open(path, "w") as f:
            f.write(text)
        p = tb.start("check%d" % i, [tb.bin("sipgw"), "-t", "-c", path])
        rc = p.wait_exit()
        err = "\n".join(p.errlines())
        if rc == 0 or ("%s:%d:" % (path, line)) not in err or what not in err:
            raise FlowError("sipgw -t on %r: rc=%s, stderr=%s" % (text, rc, err))
