# sipgw call-flow tests for the phones' side (figures B-17..B-23): the
# gateway as registrar, backup proxy and emergency proxy, the toll-fraud
# door, and the bad input a registrar meets.
# SPDX-License-Identifier: GPL-2.0-only
import os
import re
import socket
import threading

import flowlib as fl
import sipraw
from flowlib import FlowError, expect_ladder, flow, pots_peer, q931_ladder, sip_ladder, tone_events

USERS = {"2001": "secret1", "2002": "secret2", "2003": "secret3"}


def registrar_conf(tb, emergency=None, reserved=1, db=True):
    users = ", ".join('{ user = "%s"; password = "%s"; }' % u for u in sorted(USERS.items()))
    txt = 'registrar = { realm = "sipgw"; %s users = ( %s ); min_expires = 10; };\n' % (
        'database = "%s";' % os.path.join(tb.dir, "registrar.db") if db else "", users)
    if emergency:
        nums = ", ".join('{ pattern = "%s"; %s}' % (p, 'extension = "%s"; ' % x if x else "")
                         for p, x in emergency)
        txt += "emergency = { numbers = ( %s ); reserved_channels = %d; };\n" % (nums, reserved)
    return txt


def gw_uri(tb):
    return "sip:127.0.0.1:%d" % tb.sip_port


class DeadProxy:
    """A primary proxy that is gone: a UDP port that reads and never answers.
    Counts the INVITEs that reach it (figure B-21 steps 1-7)."""

    def __init__(self):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind(("127.0.0.1", 0))
        self.port = self.s.getsockname()[1]
        self.invites = 0
        self.s.settimeout(0.2)
        self.stop = False
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        while not self.stop:
            try:
                data, _ = self.s.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            if data.startswith(b"INVITE "):
                self.invites += 1

    def close(self):
        self.stop = True
        self.t.join()
        self.s.close()

    def uri(self):
        return "sip:127.0.0.1:%d" % self.port


def dial_template(tb, rows):
    """A Cisco dialplan.xml with the given (match, route) rows."""
    path = os.path.join(tb.dir, "dialplan.xml")
    with open(path, "w") as f:
        f.write("<DIALTEMPLATE>\n")
        for match, route in rows:
            f.write('  <TEMPLATE MATCH="%s" Timeout="0" User="Phone"%s/>\n' %
                    (match, ' Route="%s"' % route if route else ""))
        f.write("</DIALTEMPLATE>\n")
    return path


def registered_phone(tb, name, user, *args):
    """A phone that registers user to the gateway and waits for calls."""
    ph = tb.phone(name, "--user", user, "--register", gw_uri(tb), "--auth", "%s:%s" % (user, USERS[user]),
                  *args)
    ph.wait_line(r"EVENT registered expires=\d+ contacts=1")
    return ph


def audio_both_ways(a, b, a_hz=1000, b_hz=2000, a_name="caller", b_name="callee"):
    if "on" not in [e for _, e in tone_events(b.lines(), a_hz)]:
        raise FlowError("%s never heard %s's %d Hz tone" % (b_name, a_name, a_hz))
    if "on" not in [e for _, e in tone_events(a.lines(), b_hz)]:
        raise FlowError("%s never heard %s's %d Hz tone" % (a_name, b_name, b_hz))


def no_setup(pbx):
    return not any("SETUP" in t for _, t in fl.timed(pbx.lines(), "Q931"))


def gw_log(tb, pattern):
    gw = [p for p in tb.procs if p.name == "sipgw"][-1]
    return any(re.search(pattern, ln) for ln in gw.errlines())


CALLER_CONNECTED = ["> INVITE", "< 100/INVITE", "< 180/INVITE", "< 200/INVITE", "> ACK", "> BYE", "< 200/BYE"]
CALLEE_CONNECTED = ["< INVITE", "> 100/INVITE", "> 180/INVITE", "> 200/INVITE", "< ACK", "< BYE", "> 200/BYE"]
PRI_CONNECTED = ["< SETUP", "> CALL PROCEEDING", "> ALERTING", "> CONNECT", "< CONNECT ACKNOWLEDGE",
                 "< DISCONNECT cause=16", "> RELEASE", "< RELEASE COMPLETE"]
REGISTER = ["> REGISTER", "< 401/REGISTER", "> REGISTER", "< 200/REGISTER"]


def after_register(lad):
    """The ladder without the phone's REGISTER exchange at start (asserted
    here) and its un-REGISTER when it shuts down (nua_shutdown sends it)."""
    out = list(lad)
    if out[:4] != REGISTER:
        raise FlowError("phone did not start with REGISTER/401/REGISTER/200: %s" % out[:4])
    out = out[4:]
    if out[-2:] == ["> REGISTER", "< 200/REGISTER"]:
        out = out[:-2]
    return out


@flow
@fl.no_pri
def b17_phone_to_phone_busy(tb):
    """B-17: phone A calls registered phone B through the gateway; B is busy: 486 back to A, ACK both legs."""
    tb.gateway(tb.config([pots_peer(900, "9T")], extra=registrar_conf(tb)))
    b = registered_phone(tb, "phone-b", "2002", "--reject", "486", "--exit-after-calls", "1")
    a = tb.phone("phone-a", "--user", "2001", "--call", "sip:2002@127.0.0.1:%d" % tb.sip_port,
                 "--exit-after-calls", "1")
    a.wait_exit()
    b.wait_exit()
    expect_ladder("phone A", sip_ladder(a.lines()), ["> INVITE", "< 100/INVITE", "< 486/INVITE", "> ACK"])
    expect_ladder("phone B", after_register(sip_ladder(b.lines())),
                  ["< INVITE", "> 100/INVITE", "> 486/INVITE", "< ACK"])
    if "cause=17" not in fl.sip_lines(a.lines(), r"^< 486")[0][1]:
        raise FlowError("486 to phone A without Reason cause=17")


@flow
@fl.no_pri
def b18_phone_to_phone_no_answer(tb):
    """B-18: B rings, A gives up (ring timeout): CANCEL, 200 OK, 487 on both legs."""
    tb.gateway(tb.config([pots_peer(900, "9T")], extra=registrar_conf(tb)))
    b = registered_phone(tb, "phone-b", "2002", "--ring-forever", "--exit-after-calls", "1")
    a = tb.phone("phone-a", "--user", "2001", "--call", "sip:2002@127.0.0.1:%d" % tb.sip_port,
                 "--cancel-after", "1.0", "--exit-after-calls", "1")
    a.wait_exit()
    b.wait_exit()
    expect_ladder("phone A", sip_ladder(a.lines()),
                  ["> INVITE", "< 100/INVITE", "< 180/INVITE", "> CANCEL", "< 200/CANCEL", "< 487/INVITE", "> ACK"])
    expect_ladder("phone B", after_register(sip_ladder(b.lines())),
                  ["< INVITE", "> 100/INVITE", "> 180/INVITE", "< CANCEL", "> 200/CANCEL", "> 487/INVITE", "< ACK"])


@flow
@fl.no_pri
def b19_auth_407_then_call(tb):
    """B-19: untrusted phone A gets 407, ACKs, sends the INVITE again with credentials; the call then completes."""
    tb.gateway(tb.config([pots_peer(900, "9T")], extra=registrar_conf(tb), trusted=()))
    b = registered_phone(tb, "phone-b", "2002", "--answer-after", "0.3", "--tone", "2000", "--detect", "1000",
                         "--exit-after-calls", "1")
    a = tb.phone("phone-a", "--user", "2001", "--auth", "2001:" + USERS["2001"], "--tone", "1000",
                 "--detect", "2000", "--call", "sip:2002@127.0.0.1:%d" % tb.sip_port, "--hangup-after", "1.5",
                 "--exit-after-calls", "1")
    if a.wait_exit() != 0 or b.wait_exit() != 0:
        raise FlowError("a phone failed")
    expect_ladder("phone A", sip_ladder(a.lines()),
                  ["> INVITE", "< 100/INVITE", "< 407/INVITE", "> ACK"] + CALLER_CONNECTED)
    expect_ladder("phone B", after_register(sip_ladder(b.lines())), CALLEE_CONNECTED)
    second = fl.sip_lines(a.lines(), r"^> INVITE")[1][1]
    a.wait_line(r"EVENT auth challenge 407 realm=sipgw")
    if not gw_log(tb, r"INVITE from 127\.0\.0\.1 to 2002 \(calling 2001\): not trusted, challenging"):
        raise FlowError("no log line for the challenge")
    if not gw_log(tb, r"INVITE from 127\.0\.0\.1 as 2001"):
        raise FlowError("second INVITE not taken as authenticated user 2001 (%s)" % second)
    audio_both_ways(a, b)


@flow
def b20_backup_proxy_to_pstn(tb):
    """B-20: the primary proxy is dead; 7 INVITE tries, then the gateway (backup proxy) takes the call to the PRI."""
    dead = DeadProxy()
    try:
        tb.gateway(tb.config([pots_peer(900, "9T")], extra=registrar_conf(tb)))
        pbx = tb.pbx("--exit-when-done", "--answer-after", "0.4", "--tone", "2000", "--detect", "1000")
        pbx.wait_line(r"EVENT dchan up")
        a = tb.phone("phone-a", "--user", "2001", "--proxy", dead.uri(), "--backup-proxy", gw_uri(tb),
                     "--proxy-tries", "7", "--t1", "40", "--dial", "95551234", "--tone", "1000",
                     "--detect", "2000", "--hangup-after", "1.2", "--exit-after-calls", "1")
        if a.wait_exit() != 0 or pbx.wait_exit() != 0:
            raise FlowError("a simulator failed")
    finally:
        dead.close()
    expect_ladder("phone A", sip_ladder(a.lines()), ["> INVITE"] * 7 + CALLER_CONNECTED)
    if dead.invites != 7:
        raise FlowError("the dead primary saw %d INVITEs, not 7" % dead.invites)
    invites = fl.sip_lines(a.lines(), r"^> INVITE")
    if any(str(dead.port) not in t for _, t in invites[:7]) or str(tb.sip_port) not in invites[7][1]:
        raise FlowError("INVITEs did not go 7 x primary then backup: %s" % invites)
    a.wait_line(r"EVENT failover primary -> backup after 7 tries")
    expect_ladder("PRI", q931_ladder(pbx.lines()), PRI_CONNECTED)
    setup = [t for _, t in fl.timed(pbx.lines(), "Q931") if t.startswith("< SETUP")][0]
    if "called=5551234" not in setup:
        raise FlowError("SETUP does not carry 5551234: " + setup)
    audio_both_ways(a, pbx, a_name="phone A", b_name="PBX")


@flow
@fl.no_pri
def b21_backup_proxy_phone_to_phone(tb):
    """B-21: primary dead, 7 tries; the backup proxy (gateway) relays 100/180/200/ACK/BYE between A and registered B."""
    dead = DeadProxy()
    try:
        tb.gateway(tb.config([pots_peer(900, "9T")], extra=registrar_conf(tb)))
        b = registered_phone(tb, "phone-b", "2002", "--answer-after", "0.3", "--tone", "2000", "--detect", "1000",
                             "--exit-after-calls", "1")
        a = tb.phone("phone-a", "--user", "2001", "--proxy", dead.uri(), "--backup-proxy", gw_uri(tb),
                     "--t1", "40", "--dial", "2002", "--tone", "1000", "--detect", "2000",
                     "--hangup-after", "1.5", "--exit-after-calls", "1")
        if a.wait_exit() != 0 or b.wait_exit() != 0:
            raise FlowError("a phone failed")
    finally:
        dead.close()
    expect_ladder("phone A", sip_ladder(a.lines()), ["> INVITE"] * 7 + CALLER_CONNECTED)
    expect_ladder("phone B", after_register(sip_ladder(b.lines())), CALLEE_CONNECTED)
    if dead.invites != 7:
        raise FlowError("the dead primary saw %d INVITEs, not 7" % dead.invites)
    audio_both_ways(a, b)


@flow
def b22_emergency_to_pstn(tb):
    """B-22: an unregistered, unauthenticated phone dials 911; its dial template sends it to the emergency proxy; PRI call."""
    tb.gateway(tb.config([pots_peer(911, "911", fwd="all"), pots_peer(900, "9T")],
                         extra=registrar_conf(tb, emergency=[("911", None)]), trusted=()))
    pbx = tb.pbx("--exit-when-done", "--answer-after", "0.4", "--tone", "2000", "--detect", "1000")
    pbx.wait_line(r"EVENT dchan up")
    dead = DeadProxy()
    try:
        a = tb.phone("phone-a", "--user", "2003", "--proxy", dead.uri(), "--emergency-proxy", gw_uri(tb),
                     "--dial-template", dial_template(tb, [("911", "emergency"), ("9.......", None)]),
                     "--dial", "911", "--tone", "1000", "--detect", "2000", "--hangup-after", "1.2",
                     "--exit-after-calls", "1")
        if a.wait_exit() != 0 or pbx.wait_exit() != 0:
            raise FlowError("a simulator failed")
    finally:
        dead.close()
    if dead.invites:
        raise FlowError("the emergency call went to the primary proxy")
    a.wait_line(r"EVENT route emergency 911 -> sip:127\.0\.0\.1:%d" % tb.sip_port)
    expect_ladder("phone A", sip_ladder(a.lines()), CALLER_CONNECTED)
    expect_ladder("PRI", q931_ladder(pbx.lines()), PRI_CONNECTED)
    setup = [t for _, t in fl.timed(pbx.lines(), "Q931") if t.startswith("< SETUP")][0]
    if "called=911" not in setup:
        raise FlowError("SETUP does not carry 911: " + setup)
    if not gw_log(tb, r"EMERGENCY call from 127\.0\.0\.1 \(2003\) to 911"):
        raise FlowError("no emergency log line")
    audio_both_ways(a, pbx, a_name="phone A", b_name="PBX")


@flow
def b23_emergency_to_extension(tb):
    """B-23: an emergency number whose route is an extension: the emergency proxy rings registered phone B."""
    tb.gateway(tb.config([pots_peer(900, "9T")],
                         extra=registrar_conf(tb, emergency=[("112", "2001")]), trusted=()))
    b = registered_phone(tb, "phone-b", "2001", "--answer-after", "0.3", "--tone", "2000", "--detect", "1000",
                         "--exit-after-calls", "1")
    dead = DeadProxy()
    try:
        a = tb.phone("phone-a", "--user", "2003", "--proxy", dead.uri(), "--emergency-proxy", gw_uri(tb),
                     "--dial-template", dial_template(tb, [("112", "emergency"), ("2...", None)]),
                     "--dial", "112", "--tone", "1000", "--detect", "2000", "--hangup-after", "1.5",
                     "--exit-after-calls", "1")
        if a.wait_exit() != 0 or b.wait_exit() != 0:
            raise FlowError("a phone failed")
    finally:
        dead.close()
    if dead.invites:
        raise FlowError("the emergency call went to the primary proxy")
    expect_ladder("phone A", sip_ladder(a.lines()), CALLER_CONNECTED)
    expect_ladder("phone B", after_register(sip_ladder(b.lines())), CALLEE_CONNECTED)
    inv = fl.sip_lines(b.lines(), r"^< INVITE ")[0][1]
    if not re.search(r"INVITE sip:2001@127\.0\.0\.1:%d" % b.port, inv):
        raise FlowError("phone B's INVITE is not to its registered contact: " + inv)
    audio_both_ways(a, b)


@flow
def emergency_takes_reserved_channel(tb):
    """22 of 23 B-channels busy: an ordinary call gets 503 cause 34, an emergency call from an unregistered phone gets the reserved one."""
    callee = tb.phone("callee", "--answer-after", "0", "-q")
    voip = ('tag = 100; type = "voip"; destination_pattern = "2..."; '
            'session_target = "ipv4:127.0.0.1:%d";' % callee.port)
    tb.gateway(tb.config([voip, pots_peer(911, "911", fwd="all"), pots_peer(900, "9T")],
                         extra=registrar_conf(tb, emergency=[("911", None)], reserved=1)))
    pbx = tb.pbx("--call", "2001", "--count", "22", "--concurrency", "22", "--hangup-after", "30",
                 "--answer-after", "0.3", "--tone", "2000", "--detect", "1000")
    pbx.wait_line(r"EVENT call 22 connected")
    ordinary = tb.phone("ordinary", "--call", "sip:95551234@127.0.0.1:%d" % tb.sip_port, "--from", "2002",
                        "--exit-after-calls", "1")
    ordinary.wait_exit()
    expect_ladder("ordinary", sip_ladder(ordinary.lines()), ["> INVITE", "< 100/INVITE", "< 503/INVITE", "> ACK"])
    if "cause=34" not in fl.sip_lines(ordinary.lines(), r"^< 503")[0][1]:
        raise FlowError("503 without Reason cause=34")
    em = tb.phone("emergency", "--user", "2003", "--call", "sip:911@127.0.0.1:%d" % tb.sip_port,
                  "--tone", "1000", "--detect", "2000", "--hangup-after", "1.2", "--exit-after-calls", "1")
    if em.wait_exit() != 0:
        raise FlowError("the emergency call failed")
    expect_ladder("emergency", sip_ladder(em.lines()), CALLER_CONNECTED)
    setups = [t for _, t in fl.timed(pbx.lines(), "Q931") if t.startswith("< SETUP")]
    if len(setups) != 1 or "called=911" not in setups[0]:
        raise FlowError("expected exactly one SETUP from the gateway, for 911: %s" % setups)
    if not gw_log(tb, r"span pbx-a: 1 free B-channel\(s\), kept for emergency calls: cause 34"):
        raise FlowError("no log line for the reserved channel")
    if "on" not in [e for _, e in tone_events(em.lines(), 2000)]:
        raise FlowError("the emergency caller never heard the PBX")


@flow
@fl.no_pri
def registrations_survive_restart(tb):
    """Phone B registers; sipgw restarts (SIGTERM, start again); a call to B still reaches it."""
    conf = tb.config([pots_peer(900, "9T")], extra=registrar_conf(tb))
    gw = tb.gateway(conf)
    b = registered_phone(tb, "phone-b", "2002", "--answer-after", "0.3", "--tone", "2000", "--detect", "1000",
                         "--exit-after-calls", "1")
    gw.stop()
    if gw.p.returncode != 0:
        raise FlowError("sipgw did not stop cleanly (rc=%s)" % gw.p.returncode)
    gw2 = tb.gateway(conf)
    gw2.wait_line(r"registrar: 1 live binding\(s\) restored from", stream="err")
    a = tb.phone("phone-a", "--user", "2001", "--call", "sip:2002@127.0.0.1:%d" % tb.sip_port, "--tone", "1000",
                 "--detect", "2000", "--hangup-after", "1.0", "--exit-after-calls", "1")
    if a.wait_exit() != 0 or b.wait_exit() != 0:
        raise FlowError("a phone failed")
    expect_ladder("phone A", sip_ladder(a.lines()), CALLER_CONNECTED)
    expect_ladder("phone B", after_register(sip_ladder(b.lines())), CALLEE_CONNECTED)
    audio_both_ways(a, b)


@flow
def toll_fraud_unauthenticated(tb):
    """Untrusted phone, no or wrong credentials, PSTN number: 407 then 403; no SETUP on the PRI; refusals logged."""
    tb.gateway(tb.config([pots_peer(900, "9T")], extra=registrar_conf(tb), trusted=()))
    pbx = tb.pbx("--timeout", "4")
    pbx.wait_line(r"EVENT dchan up")
    nocred = tb.phone("nocred", "--user", "2001", "--call", "sip:95551234@127.0.0.1:%d" % tb.sip_port,
                      "--exit-after-calls", "1")
    nocred.wait_exit()
    expect_ladder("no credentials", sip_ladder(nocred.lines()), ["> INVITE", "< 100/INVITE", "< 407/INVITE", "> ACK"])
    wrong = tb.phone("wrong", "--user", "2001", "--auth", "2001:guess", "--call",
                     "sip:95551234@127.0.0.1:%d" % tb.sip_port, "--exit-after-calls", "1")
    wrong.wait_exit()
    expect_ladder("wrong password", sip_ladder(wrong.lines()),
                  ["> INVITE", "< 100/INVITE", "< 407/INVITE", "> ACK", "> INVITE", "< 100/INVITE",
                   "< 403/INVITE", "> ACK"])
    pbx.stop()
    if not no_setup(pbx):
        raise FlowError("an unauthenticated INVITE reached the PRI")
    if not gw_log(tb, r"INVITE from 127\.0\.0\.1 to 95551234 \(calling 2001\): not trusted, challenging"):
        raise FlowError("no log line for the challenge")
    if not gw_log(tb, r"refused INVITE from 127\.0\.0\.1 to 95551234 \(calling 2001\): bad credentials \(403\)"):
        raise FlowError("no log line for the refusal")


@flow
@fl.no_pri
def registrar_bad_input(tb):
    """Broken header, unknown user, wrong password, replayed nonce, Contact *, too short an expiry, no dial-peer: each its 4xx; bindings unchanged."""
    tb.gateway(tb.config([pots_peer(900, "9T")], extra=registrar_conf(tb), trusted=()))
    ua = sipraw.RawUA(tb.sip_port, "2001")
    try:
        r = ua.register_auth(USERS["2001"])
        if r.status != 200 or len(r.all("contact")) != 1:
            raise FlowError("REGISTER: %d %s" % (r.status, r.all("contact")))
        good = r.all("contact")
        # unknown user: RFC 3261 10.3 step 3
        u = sipraw.RawUA(tb.sip_port, "4999")
        if u.register().status != 404:
            raise FlowError("unknown user not 404")
        u.close()
        # wrong password
        ch = sipraw.parse_challenge(ua.register().get("www-authenticate"))
        bad = sipraw.digest_header(ch, "REGISTER", "sip:127.0.0.1:%d" % tb.sip_port, "2001", "wrong")
        if ua.register(auth=bad).status != 403:
            raise FlowError("wrong password not 403")
        # replayed nonce: the same Authorization twice
        ch = sipraw.parse_challenge(ua.register().get("www-authenticate"))
        auth = sipraw.digest_header(ch, "REGISTER", "sip:127.0.0.1:%d" % tb.sip_port, "2001", USERS["2001"])
        if ua.register(auth=auth).status != 200:
            raise FlowError("fresh credentials refused")
        r = ua.register(auth=auth)
        if r.status != 401 or "stale=true" not in (r.get("www-authenticate") or ""):
            raise FlowError("replayed nonce: %d %s" % (r.status, r.get("www-authenticate")))
        # another user's credentials for this address of record
        ch = sipraw.parse_challenge(ua.register().get("www-authenticate"))
        other = sipraw.digest_header(ch, "REGISTER", "sip:127.0.0.1:%d" % tb.sip_port, "2002", USERS["2002"])
        if ua.register(auth=other).status != 403:
            raise FlowError("credentials of 2002 accepted for 2001")
        # an expiry under min_expires: 423 with Min-Expires
        r = ua.register_auth(USERS["2001"], expires=3, contact="<sip:2001@127.0.0.1:9>")
        if r.status != 423 or r.get("min-expires") != "10":
            raise FlowError("short expiry: %d Min-Expires %s" % (r.status, r.get("min-expires")))
        # Contact: * without Expires: 0
        r = ua.register_auth(USERS["2001"], contact="*")
        if r.status != 400:
            raise FlowError("Contact * with Expires 3600: %d" % r.status)
        # an old REGISTER overtaken by a newer one: same Call-ID, lower CSeq
        tag, ua.tag = ua.tag, "0ld"  # a new From tag: not a merged request (482) to the stack
        r = ua.register_auth(USERS["2001"], cseq=1)
        ua.tag = tag
        if r.status != 400:
            raise FlowError("same Call-ID with a lower CSeq: %d, not 400" % r.status)
        # a broken header: the Contact URI never closes
        r = ua.register_auth(USERS["2001"], contact="<sip:2001@127.0.0.1:7;transport=udp")
        if r.status != 400:
            raise FlowError("broken Contact: %d" % r.status)
        # a broken INVITE: CSeq without a number
        ua.request("INVITE", "sip:95551234@127.0.0.1:%d" % tb.sip_port, "sip:95551234@127.0.0.1",
                   ["X-Test: broken"], ua.sdp(), cseq="x")
        r = ua.recv_final()
        if r.status != 400:
            raise FlowError("INVITE with a broken CSeq: %d" % r.status)
        # a number no dial-peer matches, from an authenticated user
        r = ua.invite("7777")
        if r.status != 407:
            raise FlowError("untrusted INVITE without credentials: %d, not 407" % r.status)
        ch = sipraw.parse_challenge(r.get("proxy-authenticate"))
        ruri = "sip:7777@127.0.0.1:%d;user=phone" % tb.sip_port
        r = ua.invite("7777", auth=sipraw.digest_header(ch, "INVITE", ruri, "2001", USERS["2001"]))
        if r.status != 404:
            raise FlowError("no dial-peer: %d" % r.status)
        # nothing changed: the first binding is still the only one
        r = ua.register_auth(USERS["2001"], expires=3600)
        if r.all("contact") != good and [c.split(";expires")[0] for c in r.all("contact")] != \
                [c.split(";expires")[0] for c in good]:
            raise FlowError("bindings changed: %s -> %s" % (good, r.all("contact")))
    finally:
        ua.close()
    for pat in (r"unknown user 4999: 404", r"REGISTER 2001 from 127\.0\.0\.1 refused: 403",
                r"refused: 401 \(stale or replayed nonce\)", r"authenticated as 2002",
                r"no dial-peer matches 7777", r"CSeq 1 not above \d+ of the binding: 400"):
        if not gw_log(tb, pat):
            raise FlowError("no log line /%s/" % pat)


@flow
@fl.no_pri
def registrar_contacts_unregister_expiry(tb):
    """Several contacts per user, unregister one, Contact * removes all, an unrefreshed binding expires."""
    conf = registrar_conf(tb).replace("min_expires = 10;", "min_expires = 1;")
    tb.gateway(tb.config([pots_peer(900, "9T")], extra=conf))
    ua = sipraw.RawUA(tb.sip_port, "2001")
    try:
        c1, c2 = "<sip:2001@127.0.0.1:7001>", "<sip:2001@127.0.0.1:7002>"
        if ua.register_auth(USERS["2001"], contact=c1).status != 200:
            raise FlowError("first contact refused")
        r = ua.register_auth(USERS["2001"], contact=c2)
        got = sorted(c.split(";")[0] for c in r.all("contact"))
        if r.status != 200 or got != [c1, c2]:
            raise FlowError("two contacts: %d %s" % (r.status, r.all("contact")))
        r = ua.register_auth(USERS["2001"], expires=0, contact=c1)
        if r.status != 200 or [c.split(";")[0] for c in r.all("contact")] != [c2]:
            raise FlowError("unregister one: %d %s" % (r.status, r.all("contact")))
        r = ua.register_auth(USERS["2001"], expires=0, contact="*")
        if r.status != 200 or r.all("contact"):
            raise FlowError("Contact *: %d %s" % (r.status, r.all("contact")))
        r = ua.register_auth(USERS["2001"], expires=1, contact=c1)
        if r.status != 200 or not r.all("contact")[0].endswith("expires=1"):
            raise FlowError("short binding: %d %s" % (r.status, r.all("contact")))
        gw = [p for p in tb.procs if p.name == "sipgw"][-1]
        gw.wait_line(r"registrar: 2001 at sip:2001@127\.0\.0\.1:7001 expired", timeout=10, stream="err")
        r = ua.register_auth(USERS["2001"], contact="<sip:2001@127.0.0.1:7003>")
        if [c.split(";")[0] for c in r.all("contact")] != ["<sip:2001@127.0.0.1:7003>"]:
            raise FlowError("the expired contact is still listed: %s" % r.all("contact"))
    finally:
        ua.close()


@flow
@fl.no_pri
def registration_refresh(tb):
    """A phone registers for 10 s and refreshes before the binding runs out; calls keep reaching it."""
    tb.gateway(tb.config([pots_peer(900, "9T")], extra=registrar_conf(tb)))
    b = tb.phone("phone-b", "--user", "2002", "--register", gw_uri(tb), "--auth", "2002:" + USERS["2002"],
                 "--expires", "10", "--answer-after", "0.2", "--exit-after-calls", "1", "--timeout", "25")
    regs = b.wait_count(r"EVENT registered expires=\d+ contacts=1", 2, timeout=15)
    times = [int(ln.split()[0]) for ln in regs]
    if times[1] - times[0] >= 10000:
        raise FlowError("no refresh within the 10 s binding: %s" % times)
    a = tb.phone("phone-a", "--user", "2001", "--call", "sip:2002@127.0.0.1:%d" % tb.sip_port,
                 "--hangup-after", "0.5", "--exit-after-calls", "1")
    if a.wait_exit() != 0 or b.wait_exit() != 0:
        raise FlowError("a phone failed")
    expect_ladder("phone A", sip_ladder(a.lines()), CALLER_CONNECTED)


@flow
def pri_to_registered_phone(tb):
    """A PBX call to 2002 goes to the phone registered as 2002 (session target registrar), not to the static peer."""
    static = tb.phone("static", "--answer-after", "0", "--timeout", "6")
    peers = ['tag = 99; type = "voip"; destination_pattern = "2..."; session_target = "registrar";',
             'tag = 100; type = "voip"; destination_pattern = "2..."; session_target = "ipv4:127.0.0.1:%d"; '
             'preference = 1;' % static.port]
    tb.gateway(tb.config(peers, extra=registrar_conf(tb)))
    b = registered_phone(tb, "phone-b", "2002", "--answer-after", "0.3", "--tone", "1000", "--detect", "2000",
                         "--exit-after-calls", "1")
    pbx = tb.pbx("--call", "2002", "--calling", "5551000", "--exit-when-done", "--tone", "2000",
                 "--detect", "1000", "--hangup-after", "1.2")
    if pbx.wait_exit() != 0 or b.wait_exit() != 0:
        raise FlowError("a simulator failed")
    expect_ladder("phone B", after_register(sip_ladder(b.lines())),
                  ["< INVITE", "> 100/INVITE", "> 180/INVITE", "> 200/INVITE", "< ACK", "< BYE", "> 200/BYE"])
    if any("INVITE" in t for _, t in fl.timed(static.lines(), "SIP")):
        raise FlowError("the static dial-peer was tried although 2002 is registered")
    # 2003 is not registered: the registrar peer passes, the static peer takes it
    pbx2 = tb.pbx("--call", "2003", "--exit-when-done", "--hangup-after", "0.3", name="pbx2")
    if pbx2.wait_exit() != 0:
        raise FlowError("the call to unregistered 2003 did not reach the static peer")
    static.wait_line(r"EVENT call 1 incoming from=\S* display=\S* to=2003")
    audio_both_ways(pbx, b, a_hz=2000, b_hz=1000, a_name="PBX", b_name="phone B")


@flow
@fl.no_pri
def registrar_users_file(tb):
    """Users from users_file ("user:password" lines) register; a user added to the file works without a restart."""
    users = os.path.join(tb.dir, "users")
    with open(users, "w") as f:
        f.write("# branch office phones\n2005:file-pass5\n")
    conf = registrar_conf(tb).replace('realm = "sipgw";', 'realm = "sipgw"; users_file = "%s";' % users)
    tb.gateway(tb.config([pots_peer(900, "9T")], extra=conf))
    ua = sipraw.RawUA(tb.sip_port, "2005")
    ua6 = sipraw.RawUA(tb.sip_port, "2006")
    try:
        if ua.register_auth("file-pass5").status != 200:
            raise FlowError("user 2005 from users_file cannot register")
        if ua6.register().status != 404:
            raise FlowError("2006 known before it is in the file")
        with open(users, "a") as f:
            f.write("2006:file-pass6\n")
        r = ua6.register_auth("file-pass6")
        if r.status != 200:
            raise FlowError("2006 added to users_file: %d, not 200" % r.status)
        ua1 = sipraw.RawUA(tb.sip_port, "2001")
        ok = ua1.register_auth(USERS["2001"]).status == 200
        ua1.close()
        if not ok:
            raise FlowError("config users stopped working beside users_file")
    finally:
        ua.close()
        ua6.close()


def same_user_phones(tb, user, behaviours):
    """Several phones registered as one user (desk phone, softphone, ...)."""
    phones = []
    for i, args in enumerate(behaviours):
        ph = tb.phone("phone-%s-%d" % (user, i + 1), "--user", user, "--register", gw_uri(tb),
                      "--auth", "%s:%s" % (user, USERS[user]), "--exit-after-calls", "1", *args)
        ph.wait_line(r"EVENT registered expires=\d+ contacts=%d" % (i + 1))
        phones.append(ph)
    return phones


@flow
@fl.no_pri
def forked_to_every_contact(tb):
    """A user registered from three phones: all ring at once; one busy, one rings on, the third answers; the ringing one is cancelled with cause 26."""
    tb.gateway(tb.config([pots_peer(900, "9T")], extra=registrar_conf(tb)))
    busy, ringing, answers = same_user_phones(tb, "2002", [
        ["--reject", "486"], ["--ring-forever"],
        ["--answer-after", "0.6", "--tone", "2000", "--detect", "1000"]])
    a = tb.phone("phone-a", "--user", "2001", "--call", "sip:2002@127.0.0.1:%d" % tb.sip_port, "--tone", "1000",
                 "--detect", "2000", "--hangup-after", "1.0", "--exit-after-calls", "1")
    for p in (a, busy, ringing, answers):
        p.wait_exit()
    expect_ladder("phone A", sip_ladder(a.lines()), CALLER_CONNECTED)
    expect_ladder("busy phone", after_register(sip_ladder(busy.lines())),
                  ["< INVITE", "> 100/INVITE", "> 486/INVITE", "< ACK"])
    expect_ladder("ringing phone", after_register(sip_ladder(ringing.lines())),
                  ["< INVITE", "> 100/INVITE", "> 180/INVITE", "< CANCEL", "> 200/CANCEL", "> 487/INVITE", "< ACK"])
    expect_ladder("answering phone", after_register(sip_ladder(answers.lines())), CALLEE_CONNECTED)
    cancel = fl.sip_lines(ringing.lines(), r"^< CANCEL")[0][1]
    if "cause=26" not in cancel:
        raise FlowError("the phone not taken was cancelled without Reason cause 26: " + cancel)
    audio_both_ways(a, answers)


@flow
@fl.no_pri
def forked_all_fail_busy_wins(tb):
    """Every phone of the user fails, one of them busy: the caller gets 486 (busy beats temporarily unavailable)."""
    tb.gateway(tb.config([pots_peer(900, "9T")], extra=registrar_conf(tb)))
    phones = same_user_phones(tb, "2002", [["--reject", "480"], ["--reject", "486"]])
    a = tb.phone("phone-a", "--user", "2001", "--call", "sip:2002@127.0.0.1:%d" % tb.sip_port,
                 "--exit-after-calls", "1")
    a.wait_exit()
    for p in phones:
        p.wait_exit()
    expect_ladder("phone A", sip_ladder(a.lines()), ["> INVITE", "< 100/INVITE", "< 486/INVITE", "> ACK"])
