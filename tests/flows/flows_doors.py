# sipgw call-flow tests for the doors issue 7 shut: a digest answer made for
# another Request-URI, online password guessing, a 3xx that would carry a
# call to the PSTN for a peer with no right to, numbers that do not fit the PRI.
# SPDX-License-Identifier: GPL-2.0-only
import os
import re
import signal
import socket
import time

import flowlib as fl
import sipraw
from flowlib import FlowError, expect_ladder, flow, pots_peer, q931_ladder, voip_peer
from flows_b17_b23_proxy import USERS, gw_log, no_setup, registrar_conf


def pbx_waiting(tb, *args):
    pbx = tb.pbx("--timeout", "15", *args)
    pbx.wait_line(r"EVENT dchan up")
    return pbx


def challenge_for(ua, number):
    """INVITE number without credentials: the 407's challenge."""
    r = ua.invite(number)
    if r.status != 407:
        raise FlowError("INVITE %s without credentials: %d, not 407" % (number, r.status))
    return sipraw.parse_challenge(r.get("proxy-authenticate"))


def ruri(tb, number):
    return "sip:%s@127.0.0.1:%d;user=phone" % (number, tb.sip_port)


@flow
def digest_uri_must_match(tb):
    """A digest answer computed for another Request-URI (a phone's credentials for 2002 replayed to 95551234) gets 403; no SETUP; logged with both URIs."""
    tb.gateway(tb.config([pots_peer(900, "9T")], extra=registrar_conf(tb), trusted=()))
    pbx = pbx_waiting(tb)
    ua = sipraw.RawUA(tb.sip_port, "2001")
    try:
        ch = challenge_for(ua, "95551234")
        # the answer is right in every field but uri: it names another number
        auth = sipraw.digest_header(ch, "INVITE", ruri(tb, "2002"), "2001", USERS["2001"])
        r = ua.invite("95551234", auth=auth)
        if r.status != 403:
            raise FlowError("answer for another uri: %d, not 403" % r.status)
        # the same uri without ;user=phone is another URI too (RFC 3261 19.1.4)
        ch = challenge_for(ua, "95551234")
        auth = sipraw.digest_header(ch, "INVITE", "sip:95551234@127.0.0.1:%d" % tb.sip_port, "2001",
                                    USERS["2001"])
        if ua.invite("95551234", auth=auth).status != 403:
            raise FlowError("answer for a uri without user=phone accepted")
        # REGISTER: an answer for another registrar URI
        reg = sipraw.RawUA(tb.sip_port, "2002")
        ch = sipraw.parse_challenge(reg.register().get("www-authenticate"))
        auth = sipraw.digest_header(ch, "REGISTER", "sip:10.0.0.1:5060", "2002", USERS["2002"])
        if reg.register(auth=auth).status != 403:
            raise FlowError("REGISTER answer for another uri accepted")
        # and the door still opens for an answer made for this request
        ch = sipraw.parse_challenge(reg.register().get("www-authenticate"))
        auth = sipraw.digest_header(ch, "REGISTER", "sip:127.0.0.1:%d" % tb.sip_port, "2002", USERS["2002"])
        if reg.register(auth=auth).status != 200:
            raise FlowError("a right REGISTER answer refused")
        reg.close()
    finally:
        ua.close()
    pbx.stop()
    if not no_setup(pbx):
        raise FlowError("an answer for another uri reached the PRI")
    if not gw_log(tb, r'INVITE from 127\.0\.0\.1: digest answer of user 2001 is for uri '
                      r'"sip:2002@127\.0\.0\.1:\d+;user=phone", not the Request-URI sip:95551234@'):
        raise FlowError("no log line with source, user and both URIs")


@flow
def guessing_locks_out_the_source(tb):
    """30 wrong REGISTER answers from 127.0.0.1: then the right password from 127.0.0.1 is refused and from 127.0.0.2 accepted; 911 still gets through; one notice at the start and one at the end."""
    extra = registrar_conf(tb, emergency=[("911", None)]).replace(
        "min_expires = 10;", "min_expires = 10; auth_attempts = 10; auth_window = 60; auth_backoff = 2;")
    tb.gateway(tb.config([pots_peer(900, "9T"), pots_peer(911, "911", fwd="all")], extra=extra, trusted=()))
    pbx = pbx_waiting(tb, "--answer-after", "0", "--hangup-after", "0.2")
    attacker = sipraw.RawUA(tb.sip_port, "2001")
    try:
        statuses = []
        ch = sipraw.parse_challenge(attacker.register().get("www-authenticate"))
        for i in range(30):
            auth = sipraw.digest_header(ch, "REGISTER", "sip:127.0.0.1:%d" % tb.sip_port, "2001",
                                        "guess%d" % i, nc=i + 1)
            statuses.append(attacker.register(auth=auth).status)
        if set(statuses) != {403}:
            raise FlowError("wrong answers not all 403: %s" % statuses)
        r = attacker.register_auth(USERS["2001"])
        if r.status != 403:
            raise FlowError("the right password from the guessing source: %d, not 403" % r.status)
        phone = sipraw.RawUA(tb.sip_port, "2001", local="127.0.0.2")
        r = phone.register_auth(USERS["2001"])
        phone.close()
        if r.status != 200:
            raise FlowError("the right password from 127.0.0.2: %d, not 200" % r.status)
        # a call to the PSTN from the blocked source: refused without a challenge
        r = attacker.invite("95551234")
        if r.status != 403:
            raise FlowError("INVITE from the blocked source: %d, not 403" % r.status)
        # emergency numbers stay reachable from the blocked source
        r = attacker.invite("911")
        if r.status != 200:
            raise FlowError("911 from the blocked source: %d" % r.status)
    finally:
        attacker.close()
    pbx.wait_line(r"< SETUP .*called=911")
    starts = [ln for ln in tb.procs[0].errlines() if "auth guard: 127.0.0.1 sent" in ln]
    if len(starts) != 1 or "10 failed digest answers" not in starts[0]:
        raise FlowError("not one notice at the start of the block: %s" % starts)
    # the block (2 s, restarted by each try) ends with a line of counts
    gw = tb.procs[0]
    gw.wait_line(r"auth guard: 127\.0\.0\.1 no longer refused after \d+ s \(10 failed answers, \d+ requests "
                 r"refused while blocked\)", timeout=10, stream="err")
    ua = sipraw.RawUA(tb.sip_port, "2001")
    r = ua.register_auth(USERS["2001"])
    ua.close()
    if r.status != 200:
        raise FlowError("after the block, the right password: %d" % r.status)


@flow
def redirect_not_followed(tb):
    """A voip peer outside the trust domain answers 302 with Contacts to the gateway's own PSTN route and to the called number at another host: the first is refused (the peer has no PSTN right: the door), the second is a loop; nothing is sent; the PBX gets cause 23; the log names the Contacts."""
    peer = sipraw.RawUAS()
    other = sipraw.RawUAS()
    try:
        tb.gateway(tb.config([voip_peer(100, "2...", peer.port), pots_peer(900, "9T")],
                             extra=registrar_conf(tb), trusted=()))
        pbx = tb.pbx("--call", "2001", "--calling", "5551000", "--exit-when-done")
        contacts = "<sip:95551234@127.0.0.1:%d;user=phone>, <sip:2001@127.0.0.1:%d>" % (tb.sip_port, other.port)
        peer.answer_invite(302, "Moved Temporarily", ["Contact: " + contacts])
        if pbx.wait_exit() != 0:
            raise FlowError("PBX simulator failed")
        expect_ladder("PRI", q931_ladder(pbx.lines()),
                      ["> SETUP", "< CALL PROCEEDING", "< DISCONNECT cause=23", "> RELEASE", "< RELEASE COMPLETE"])
        if not other.quiet_for(0.3):
            raise FlowError("the redirection was followed: %s" % other.requests)
        if [r for r in peer.requests if r.startswith("INVITE")] != peer.requests[:1]:
            raise FlowError("INVITE sent again to the peer: %s" % peer.requests)
        if sum(1 for _, t in fl.timed(pbx.lines(), "Q931") if t.startswith("< SETUP")):
            raise FlowError("the redirect's PSTN number reached the PRI")
        if not gw_log(tb, r"302 from dial-peer 100: redirected to sip:95551234@127\.0\.0\.1:\d+;user=phone;q=1\.000, "
                          r"sip:2001@127\.0\.0\.1:%d;q=1\.000" % other.port):
            raise FlowError("no log line naming the Contacts")
        if not gw_log(tb, r"redirection by 2001 to 95551234 refused: the redirecting party may not reach the PSTN"):
            raise FlowError("no log line for the refused PSTN Contact")
        if not gw_log(tb, r"redirection by 2001 to 2001 not followed: a loop"):
            raise FlowError("no log line for the loop")
    finally:
        peer.close()
        other.close()


@flow
def numbers_that_do_not_fit(tb):
    """9 + 80 digits: 484, not cut short; 9 + 35 digits (over libpri's 31): 484; a character no number has: 404; nothing on the PRI; a 31-digit number still goes through."""
    tb.gateway(tb.config([pots_peer(900, "9T")]))
    pbx = pbx_waiting(tb, "--reject", "17")
    ua = sipraw.RawUA(tb.sip_port, "2001")
    try:
        for number, want in (("9" + "5" * 80, 484), ("9" + "1" * 35, 484), ("9555!1234", 404),
                             ("9555%251234", 404)):
            r = ua.invite(number)
            if r.status != want:
                raise FlowError("INVITE to %s: %d, not %d" % (number, r.status, want))
        if not no_setup(pbx):
            raise FlowError("a number that does not fit reached the PRI: %s" % pbx.lines())
        r = ua.invite("9" + "2" * 31)
        if r.status != 486:
            raise FlowError("a 31-digit number: %d, not the PBX's busy" % r.status)
    finally:
        ua.close()
    setup = pbx.wait_line(r"< SETUP .*called=(\d+)")
    if setup.group(1) != "2" * 31:
        raise FlowError("31-digit number changed: %s" % setup.group(1))
    if not gw_log(tb, r"called number \"1{35}\" \(35 characters\) cannot go on the PRI: cause 28"):
        raise FlowError("no log line for the refused long number")


def stop_timed(gw):
    """SIGTERM the gateway; (exit code, seconds it took)."""
    t0 = time.monotonic()
    gw.p.send_signal(signal.SIGTERM)
    rc = gw.wait_exit(timeout=20)
    return rc, time.monotonic() - t0


def no_abort(gw):
    for ln in gw.errlines():
        if "Assertion" in ln or "nua_shutdown not completed" in ln or "AddressSanitizer" in ln:
            raise FlowError("sipgw at exit: " + ln)


@flow
def shutdown_with_dead_peers(tb):
    """SIGTERM while the phone never answers BYE, and again while the PBX never answers DISCONNECT: exit 0 within the grace time (2 s) plus the SIP stop bound (2 s), no assertion."""
    for frozen in ("phone", "pbx"):
        phone = tb.phone("phone-" + frozen, "--answer-after", "0.1")
        gw = tb.gateway(tb.config([voip_peer(100, "2...", phone.port)]))
        pbx = tb.pbx("--call", "2001", "--calling", "5551000", name="pbx-" + frozen)
        pbx.wait_line(r"EVENT call 1 connected")
        victim = phone if frozen == "phone" else pbx
        os_pid = victim.p.pid
        os.kill(os_pid, signal.SIGSTOP)
        try:
            rc, took = stop_timed(gw)
        finally:
            os.kill(os_pid, signal.SIGCONT)
        if rc != 0:
            raise FlowError("%s frozen: sipgw exited %s" % (frozen, rc))
        if took > 2 + 2 + 1.5:
            raise FlowError("%s frozen: sipgw took %.1f s to stop" % (frozen, took))
        no_abort(gw)
        if not any("shutdown grace time over; 1 call(s) left" in ln for ln in gw.errlines()):
            raise FlowError("%s frozen: the call should have outlived the grace time" % frozen)
        print("  %s frozen: sipgw stopped in %.2f s, exit 0" % (frozen, took))
        pbx.stop()
        phone.stop()
        tb.procs = [p for p in tb.procs if p not in (gw, pbx, phone)]


@flow
def registrar_full_disk(tb):
    """The registrar database hits a file size limit mid-run: once its writer has failed, a REGISTER that changes a binding gets 500 + Retry-After and memory is unchanged; the 200 does not wait on the disk, so the one or two answered while the failing write was on its way are named in the log at the stop as not written; every other binding that got 200 is there after a restart, the refused one is not."""
    extra = registrar_conf(tb).replace("min_expires = 10;", "min_expires = 10; max_contacts = 32;")
    conf = tb.config([pots_peer(900, "9T")], extra=extra, trusted=())
    # prlimit execs sipgw: the pid is sipgw's; SIGXFSZ is ignored by sipgw,
    # so a write past the limit fails with EFBIG as on a full disk
    gw = tb.start("sipgw", ["prlimit", "--fsize=262144", "--", tb.bin("sipgw"), "-c", conf])
    gw.wait_line(r"sipgw running", stream="err")
    users = sorted(USERS)
    stored = {u: set() for u in users}
    failed = None
    uas = {u: sipraw.RawUA(tb.sip_port, u) for u in users}
    try:
        for i in range(90):
            u = users[i % 3]
            contact = "<sip:%s@127.0.0.1:%d>" % (u, 20000 + i)
            r = uas[u].register_auth(USERS[u], contact=contact)
            if r.status == 200:
                stored[u].add(contact[1:-1])
                continue
            failed = (u, contact[1:-1], r)
            break
        if not failed:
            raise FlowError("the file size limit was never reached in 90 REGISTERs")
        u, lost, r = failed
        if r.status != 500 or not r.get("retry-after"):
            raise FlowError("REGISTER on a full database: %d Retry-After %s" % (r.status, r.get("retry-after")))
        # memory unchanged: an Expires 0 for a contact never bound changes
        # nothing, so it is stored fine, and its 200 lists the live bindings
        r = uas[u].register_auth(USERS[u], expires=0, contact="<sip:%s@127.0.0.1:9>" % u)
        listed = {c.split(";expires")[0].strip("<>") for c in ",".join(r.all("contact")).split(",") if c}
        if r.status != 200 or lost in listed or listed != stored[u]:
            raise FlowError("after the 500: %d %s (stored %s, lost %s)" % (r.status, listed, stored[u], lost))
    finally:
        for ua in uas.values():
            ua.close()
    if not gw_log(tb, r"REGISTER %s from 127\.0\.0\.1: the registrar database refused the change: 500" % u):
        raise FlowError("no log line saying why")
    gw.stop()
    tb.procs.remove(gw)
    # acknowledged, kept in memory and retried, but never on the disk: the
    # stop says which (registrar_db.c); at most the REGISTERs answered in
    # the moment between the failing write's queueing and its failure
    unwritten = set()
    for ln in gw.errlines():
        m = re.search(r"binding (\S+) at (\S+) not written: a restart will not know it", ln)
        if m:
            unwritten.add((m.group(1), m.group(2)))
    if not unwritten or len(unwritten) > 3 or any(c not in stored[au] for au, c in unwritten):
        raise FlowError("bindings named not written at the stop: %s (stored %s)" % (sorted(unwritten), stored))
    for au, c in unwritten:
        stored[au].discard(c)
    gw2 = tb.gateway(conf)
    total = sum(len(v) for v in stored.values())
    gw2.wait_line(r"registrar: %d live binding\(s\) restored from" % total, stream="err")
    for u in users:
        ua = sipraw.RawUA(tb.sip_port, u)
        r = ua.register_auth(USERS[u], expires=0, contact="<sip:%s@127.0.0.1:9>" % u)
        ua.close()
        listed = {c.split(";expires")[0].strip("<>") for c in ",".join(r.all("contact")).split(",") if c}
        if listed != stored[u]:
            raise FlowError("after restart %s has %s, not the %d acknowledged %s" % (u, listed, len(stored[u]),
                                                                                  stored[u]))
    print("  %d bindings stored before the disk filled, %d answered 200 but not written; REGISTER number %d got 500"
          % (total, len(unwritten), total + len(unwritten) + 1))


@flow
def check_mode_finds_start_errors(tb):
    """sipgw -t refuses, with file:line, what the start would trip over: a bind that is no address, a database folder that is missing, an emergency pattern with no route; -t on the good one says OK."""
    cases = [
        ('sip = { port = 5999;\n  bind = "gateway.example"; };\n', 2, "is not an IPv4 or IPv6 address"),
        ('registrar = { realm = "x";\n  database = "%s/missing/registrar.db"; };\n' % tb.dir, 2,
         "No such file or directory"),
        ('spans = ( { name = "pbx-a"; type = "loopback"; path = "/tmp/x"; } );\n'
         'dial_peers = ( { tag = 9; type = "pots"; destination_pattern = "9T"; port = "pbx-a"; } );\n'
         'emergency = { numbers = (\n  { pattern = "11[02]"; } ); };\n', 4, "no pots dial-peer matches it"),
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
    path = os.path.join(tb.dir, "good.conf")
    with open(path, "w") as f:
        f.write(cases[2][0].replace("11[02]", "9[1]1"))
    p = tb.start("check-good", [tb.bin("sipgw"), "-t", "-c", path])
    if p.wait_exit() != 0 or not any(": OK (" in ln for ln in p.lines()):
        raise FlowError("sipgw -t on a good config: %s %s" % (p.lines(), p.errlines()))


@flow
def sip_garbage_flood_rate_limited(tb):
    """3000 bad datagrams (garbage, broken Via, 415 bodies answered to a port that refuses): at log level notice a handful of lines, each kind rate-limited with a count; a normal call then works."""
    conf = tb.config([pots_peer(900, "9T")])
    with open(conf) as f:
        text = f.read().replace('level = "info"', 'level = "notice"')
    with open(conf, "w") as f:
        f.write(text)
    gw = tb.gateway(conf)
    pbx = pbx_waiting(tb, "--answer-after", "0", "--hangup-after", "0.3")
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    bad = [b"garbage\r\n\r\n",
           b"INVITE sip:x SIP/2.0\r\nVia: bad\r\n\r\n",
           b"INVITE sip:95551234@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK%d\r\n"
           b"From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:95551234@127.0.0.1>\r\nCall-ID: f%d\r\n"
           b"CSeq: 1 INVITE\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nabc"]
    t0 = time.monotonic()
    for i in range(3000):
        m = bad[i % 3].replace(b"%d", str(i).encode())
        s.sendto(m, ("127.0.0.1", tb.sip_port))
    # the limiter's interval (2 s) after the flood began, one more of a kind:
    # its line carries the count of those suppressed
    gw.wait_line(r"sofia: nta_agent: received garbage", stream="err")
    while time.monotonic() - t0 < 2.2:
        time.sleep(0.05)
    s.sendto(bad[0], ("127.0.0.1", tb.sip_port))
    gw.wait_line(r"sofia: nta_agent: received garbage .*\(\d+ more like this suppressed\)", stream="err")
    s.close()
    lines = gw.errlines()
    if len(lines) > 40:
        raise FlowError("%d log lines for 3000 bad datagrams:\n%s" % (len(lines), "\n".join(lines[-30:])))
    ua = sipraw.RawUA(tb.sip_port, "2001")
    r = ua.invite("95551234")
    ua.close()
    if r.status != 200:
        raise FlowError("a call after the flood: %d" % r.status)
