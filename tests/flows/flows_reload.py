# sipgw call-flow tests for reload without dropping calls (issue 13 item 2):
# SIGHUP and `sipgwctl reload` read the config again; a call up keeps its
# audio and clears normally; a new dial-peer, user, span or trusted list
# takes effect for the next call; a broken file changes nothing and is
# reported with file:line.
# SPDX-License-Identifier: GPL-2.0-only
import os
import re
import signal
import socket

import flowlib as fl
import sipraw
from flowlib import (PBX_CONNECTED, PHONE_ANSWERED, FlowError, expect_ladder, flow, pbx_call, pots_peer,
                     q931_ladder, sip_ladder, tone_events, voip_peer)
from flows_b17_b23_proxy import USERS

RELOADED = r"reload: (\d+) dial-peer\(s\), (\d+) span\(s\)(?: \(\+(\d+) new: ([^)]*)\))?, (\d+) user\(s\); calls up: (\d+) kept"


def rewrite(conf, old, new):
    """Replace old by new in the config file (old must be there)."""
    with open(conf) as f:
        txt = f.read()
    if old not in txt:
        raise FlowError("test bug: %r not in the config" % old)
    with open(conf, "w") as f:
        f.write(txt.replace(old, new))


def sighup(tb, gw, n=1):
    """SIGHUP, then the n-th reload line (taken or refused) of the gateway's log."""
    os.kill(gw.p.pid, signal.SIGHUP)
    return gw.wait_count(r"reload: \d+ dial-peer|reload \(SIGHUP\) refused", n, stream="err")[-1]


def reloaded(line):
    m = re.search(RELOADED, line)
    if not m:
        raise FlowError("reload not taken: " + line)
    return m


def clearing(pbx):
    """The PBX's ladder clears with cause 1 (no dial-peer), as libpri sends it."""
    lad = q931_ladder(pbx.lines())
    if lad[:1] != ["> SETUP"] or not any(s.endswith("cause=1") for s in lad):
        raise FlowError("call to an unrouted number not cleared with cause 1: %s" % lad)


def audio_through(proc, hz, t0, t1, who):
    """hz was heard from t0 on and never stopped before t1 (ms of proc's clock)."""
    ev = tone_events(proc.lines(), hz)
    on = [ms for ms, e in ev if e == "on" and ms <= t0]
    off = [ms for ms, e in ev if e == "off" and on and on[0] < ms < t1]
    if not on or off:
        raise FlowError("%s: %d Hz not heard throughout %d..%d ms: %s" % (who, hz, t0, t1, ev))


def call_up_survives(tb, do_reload):
    phone = tb.phone("phone", "--answer-after", "0.2", "--tone", "1000", "--detect", "2000",
                     "--hangup-after", "3.5", "--exit-after-calls", "1")
    conf = tb.config([voip_peer(100, "2...", phone.port)])
    gw = tb.gateway(conf)
    pbx = pbx_call(tb, "--tone", "2000", "--detect", "1000")
    phone.wait_line(r"EVENT tone 2000 on|AUDIO tone 2000 on")
    # everything the call was routed by changes: its dial-peer is gone, the
    # number now goes elsewhere, the timers and the trusted list are new
    rewrite(conf, voip_peer(100, "2...", phone.port), voip_peer(300, "2...", phone.port + 7) +
            ' }, { ' + pots_peer(900, "9T"))
    rewrite(conf, "ring-no-answer = 30;", "ring-no-answer = 20;")
    line = do_reload(gw)
    m = reloaded(line)
    if (m.group(1), m.group(6)) != ("2", "1"):
        raise FlowError("reload did not report 2 dial-peers and 1 call kept: " + line)
    if any(s.startswith("< DISCONNECT") or s.startswith("> DISCONNECT") for s in q931_ladder(pbx.lines())):
        raise FlowError("the call was cleared before the reload finished")
    if pbx.wait_exit() != 0 or phone.wait_exit() != 0:
        raise FlowError("a simulator failed")
    expect_ladder("PRI", q931_ladder(pbx.lines()),
                  PBX_CONNECTED + ["< DISCONNECT cause=16", "> RELEASE", "< RELEASE COMPLETE"])
    expect_ladder("SIP", sip_ladder(phone.lines()), PHONE_ANSWERED + ["> BYE", "< 200/BYE"])
    # audio both ways from before the reload to the hang-up, without a gap
    t_bye = fl.sip_lines(phone.lines(), r"^> BYE ")[0][0]
    t_disc = [ms for ms, t in fl.timed(pbx.lines(), "Q931") if "DISCONNECT" in t][0]
    audio_through(phone, 2000, t_bye - 1500, t_bye - 40, "phone")
    audio_through(pbx, 1000, t_disc - 1500, t_disc - 40, "PBX")
    # the call held the first generation to its end; then it is freed
    gw.wait_line(r"config generation 1 freed", stream="err")


@flow
def reload_call_up_survives(tb):
    """A PBX -> phone call up with audio both ways; the config is rewritten (its dial-peer gone) and SIGHUP reloads it: 'calls up: 1 kept'; audio goes on both ways; the phone's BYE clears it with cause 16; generation 1 is freed at its end."""
    call_up_survives(tb, lambda gw: sighup(tb, gw))


@flow
@fl.no_pri
def reload_new_dial_peer_routes_next_call(tb):
    """3001 has no dial-peer: cause 1, nothing sent to SIP; a voip dial-peer for 3... is added and SIGHUP reloads: the next call to 3001 rings the phone, is answered and clears with cause 16."""
    phone = tb.phone("phone", "--answer-after", "0.2", "--hangup-after", "0.5", "--exit-after-calls", "1")
    conf = tb.config([voip_peer(100, "2...", phone.port + 9)])
    gw = tb.gateway(conf)
    pbx = tb.pbx("--call", "3001", "--calling", "5551000", "--exit-when-done")
    pbx.wait_exit()
    clearing(pbx)
    gw.wait_line(r"no dial-peer matches 3001: cause 1", stream="err")
    rewrite(conf, voip_peer(100, "2...", phone.port + 9),
            voip_peer(100, "2...", phone.port + 9) + " }, { " + voip_peer(101, "3...", phone.port))
    if reloaded(sighup(tb, gw)).group(1) != "2":
        raise FlowError("the new dial-peer was not counted")
    pbx = tb.pbx("--call", "3001", "--calling", "5551000", "--exit-when-done", name="pbx2")
    if pbx.wait_exit() != 0 or phone.wait_exit() != 0:
        raise FlowError("a simulator failed")
    expect_ladder("PRI", q931_ladder(pbx.lines()),
                  PBX_CONNECTED + ["< DISCONNECT cause=16", "> RELEASE", "< RELEASE COMPLETE"])
    phone.wait_line(r"EVENT call 1 incoming from=5551000 .*to=3001")


BROKEN = {
    # a syntax error: libconfig's own message and line
    "syntax": ("dial_peers = (", "dial_peers = ( { tag = ; ", r"sipgw\.conf:(\d+): syntax error"),
    # a semantic error: a key with a value it cannot take
    "semantic": ("ring-no-answer = 30;", 'ring-no-answer = "soon";', r"sipgw\.conf:(\d+): .*ring-no-answer"),
}


def line_of(conf, text):
    with open(conf) as f:
        for i, ln in enumerate(f, 1):
            if text in ln:
                return i
    raise FlowError("test bug: %r not in %s" % (text, conf))


def broken_config_keeps_old(tb, do_reload):
    """For each broken file: the reload is refused with file:line (do_reload
    returns what the caller saw), and the old dial-peers route the next call."""
    phone = tb.phone("phone", "--answer-after", "0.1", "--hangup-after", "0.3", "--exit-after-calls", "2")
    conf = tb.config([voip_peer(100, "2...", phone.port)])
    good = open(conf).read()
    gw = tb.gateway(conf)
    for n, (kind, (old, new, rx)) in enumerate(sorted(BROKEN.items()), 1):
        with open(conf, "w") as f:
            f.write(good)
        rewrite(conf, old, new)
        want_line = line_of(conf, new)
        seen = do_reload(gw, n)
        for who, text in seen:
            m = re.search(rx, text)
            if not m or int(m.group(1)) != want_line:
                raise FlowError("%s error: %s does not say %s:%d: %s" % (kind, who, conf, want_line, text))
        pbx = tb.pbx("--call", "2001", "--calling", "5551000", "--exit-when-done", name="pbx-%s" % kind)
        if pbx.wait_exit() != 0:
            raise FlowError("after the refused %s reload the call failed" % kind)
        expect_ladder("PRI after the %s error" % kind, q931_ladder(pbx.lines()),
                      PBX_CONNECTED + ["< DISCONNECT cause=16", "> RELEASE", "< RELEASE COMPLETE"])
    if phone.wait_exit() != 0:
        raise FlowError("the phone failed")


@flow
@fl.no_pri
def reload_broken_config_keeps_old(tb):
    """SIGHUP on a file with a syntax error, then on one with a bad key value: each refused with file:line in the log; the old dial-peer still routes the next call (answered, cause 16)."""
    def hup(gw, n):
        return [("log", sighup(tb, gw, n))]
    broken_config_keeps_old(tb, hup)


@flow
def reload_new_span_comes_up(tb):
    """A second span pbx-b is added to the file; SIGHUP: '+1 new: pbx-b'; a PBX on it brings its D-channel up and its call to 2001 reaches the phone; pbx-a's own went on untouched."""
    fl.skip_unless_loopback("the fake DAHDI's spans are fixed when sipgw starts")
    phone = tb.phone("phone", "--answer-after", "0.1", "--hangup-after", "0.4", "--exit-after-calls", "1")
    conf = tb.config([voip_peer(100, "2...", phone.port)])
    gw = tb.gateway(conf)
    a = tb.pbx("--timeout", "15")
    a.wait_line(r"EVENT dchan up")
    span_b = tb.span_txt("pbx-b", "t1", "ni2")
    rewrite(conf, tb.span_txt("pbx-a", "t1", "ni2"), tb.span_txt("pbx-a", "t1", "ni2") + ",\n" + span_b)
    m = reloaded(sighup(tb, gw))
    if (m.group(2), m.group(3), m.group(4)) != ("2", "1", "pbx-b"):
        raise FlowError("reload did not start pbx-b: " + m.group(0))
    pbx = tb.pbx("--call", "2001", "--calling", "5551000", "--exit-when-done", span="pbx-b", name="pbx-b")
    gw.wait_line(r"span pbx-b: D-channel up", stream="err")
    if pbx.wait_exit() != 0 or phone.wait_exit() != 0:
        raise FlowError("a simulator failed")
    expect_ladder("PRI pbx-b", q931_ladder(pbx.lines()),
                  PBX_CONNECTED + ["< DISCONNECT cause=16", "> RELEASE", "< RELEASE COMPLETE"])
    if a.p.poll() is not None or "EVENT dchan down" in "\n".join(a.lines()):
        raise FlowError("pbx-a lost its D-channel in the reload")


def users_conf(users):
    txt = ", ".join('{ user = "%s"; password = "%s"; }' % u for u in sorted(users.items()))
    return 'registrar = { realm = "sipgw"; users = ( %s ); min_expires = 10; };\n' % txt


@flow
@fl.no_pri
def reload_users(tb):
    """Users 2001, 2002; 2002 registers, 2003 (no user) gets 404. The file's users become 2001, 2003 and SIGHUP reloads ('2 user(s)'): 2003 registers with its password (200; a wrong one 403); 2002's binding is dropped (logged) and its next REGISTER gets 404; 2001 untouched."""
    before = {u: USERS[u] for u in ("2001", "2002")}
    after = {u: USERS[u] for u in ("2001", "2003")}
    conf = tb.config([voip_peer(100, "9...", tb.sip_port + 1)], extra=users_conf(before))
    gw = tb.gateway(conf)
    a = sipraw.RawUA(tb.sip_port, "2001")
    b = sipraw.RawUA(tb.sip_port, "2002")
    c = sipraw.RawUA(tb.sip_port, "2003")
    try:
        if b.register_auth(USERS["2002"]).status != 200 or a.register_auth(USERS["2001"]).status != 200:
            raise FlowError("2001, 2002 did not register")
        r = c.register_auth(USERS["2003"])
        if r.status != 404:
            raise FlowError("2003, no user yet, got %d, not 404" % r.status)
        rewrite(conf, users_conf(before), users_conf(after))
        if reloaded(sighup(tb, gw)).group(5) != "2":
            raise FlowError("the reload did not count 2 users")
        gw.wait_line(r"registrar: 2002 at \S+ dropped: no longer a user", stream="err")
        if c.register_auth("wrong").status != 403:
            raise FlowError("2003 with a wrong password not refused")
        r = c.register_auth(USERS["2003"])
        if r.status != 200 or not r.all("contact"):
            raise FlowError("2003 could not register after the reload: %d" % r.status)
        r = b.register_auth(USERS["2002"])
        if r.status != 404:
            raise FlowError("2002, no longer a user, got %d, not 404" % r.status)
        if a.register_auth(USERS["2001"]).status != 200:
            raise FlowError("2001 could not refresh its binding after the reload")
    finally:
        a.close()
        b.close()
        c.close()
    if any(re.search(r"registrar: 2001 at .* dropped", ln) for ln in gw.errlines()):
        raise FlowError("2001's binding was dropped")


@flow
@fl.no_pri
def reload_trusted_list_door(tb):
    """The door: 127.0.0.1 is trusted, so its INVITE to a PSTN number goes past the door unchallenged; the trusted list is emptied and SIGHUP reloads: the next INVITE from 127.0.0.1 is challenged (407) and logged 'not trusted, challenging'."""
    conf = tb.config([pots_peer(900, "9T")], extra=users_conf(USERS))
    gw = tb.gateway(conf)
    ua = sipraw.RawUA(tb.sip_port, "2001")
    try:
        r = ua.invite("95551234")
        if r.status == 407:
            raise FlowError("a trusted source was challenged before the reload")
        rewrite(conf, 'trusted = [ "127.0.0.1" ]', "trusted = [ ]")
        reloaded(sighup(tb, gw))
        r = ua.invite("95551235")
        if r.status != 407:
            raise FlowError("after the trusted list lost 127.0.0.1, its INVITE got %d, not 407" % r.status)
        gw.wait_line(r"INVITE from 127\.0\.0\.1 to 95551235 .*not trusted, challenging", stream="err")
    finally:
        ua.close()


def ctl_reload(tb, gw):
    """sipgwctl reload: it must succeed; its summary line (also in the log)."""
    rc, out, err = tb.ctl("reload")
    if rc != 0:
        raise FlowError("sipgwctl reload: exit %d: %s%s" % (rc, out, err))
    m = re.search(RELOADED, out)
    if not m:
        raise FlowError("sipgwctl reload said no summary: %r" % out)
    gw.wait_line(re.escape(m.group(0)), stream="err")
    return out


@flow
def reload_call_up_survives_ctl(tb):
    """As reload_call_up_survives, with `sipgwctl reload`: exit 0, its answer 'calls up: 1 kept' (the same line in the log); audio both ways after; cause 16 at the end; generation 1 freed then."""
    call_up_survives(tb, lambda gw: ctl_reload(tb, gw))


@flow
@fl.no_pri
def reload_broken_config_ctl(tb):
    """`sipgwctl reload` on a file with a syntax error, then on one with a bad key value: exit status 1, the error with file:line on its stderr and in the log, 'the running configuration stays'; the old dial-peer routes the next call."""
    def ctl(gw, n):
        rc, out, err = tb.ctl("reload")
        if rc != 1 or "the running configuration stays" not in err:
            raise FlowError("a broken reload: exit %d out %r err %r" % (rc, out, err))
        return [("sipgwctl", err), ("log", gw.wait_count(r"reload \(sipgwctl\) refused", n, stream="err")[-1])]
    broken_config_keeps_old(tb, ctl)


@flow
@fl.no_pri
def reload_needs_restart_keys(tb):
    """sip.port, rtp.port_min and the span's switchtype are changed with a new dial-peer: the reload takes the dial-peer, names each of the three keys 'needs a restart' (sipgwctl --json table needs_restart and a log warning each) and keeps their running values: SIP still answers on the old port, and the next call over the span (NI-2 as it runs) connects."""
    phone = tb.phone("phone", "--answer-after", "0.1", "--hangup-after", "0.3", "--exit-after-calls", "1")
    conf = tb.config([voip_peer(100, "2...", phone.port)])
    gw = tb.gateway(conf)
    rewrite(conf, "port = %d;" % tb.sip_port, "port = %d;" % (tb.sip_port + 1))
    rewrite(conf, "port_min = 30000;", "port_min = 31000;")
    rewrite(conf, 'switchtype = "ni2"', 'switchtype = "5ess"')
    rewrite(conf, voip_peer(100, "2...", phone.port), voip_peer(100, "2...", phone.port) + " }, { " +
            voip_peer(101, "3...", phone.port))
    j = tb.ctl("reload", json=True)
    keys = [r["key"] for r in j.get("needs_restart", [])]
    if keys != ["sip.port", "rtp.port_min", "spans.pbx-a.switchtype"] or j["reload"]["dial_peers"] != 2:
        raise FlowError("reload --json: %r" % j)
    for k in keys:
        gw.wait_line(r"reload: %s changed: needs a restart" % re.escape(k), stream="err")
    # the running values stayed: the SIP side on its old port, the span NI-2
    ua = sipraw.RawUA(tb.sip_port, "2001")
    try:
        # (503 while no PBX holds the D-channel up: an answer from the old port all the same)
        ua.request("OPTIONS", "sip:127.0.0.1:%d" % tb.sip_port, "sip:127.0.0.1:%d" % tb.sip_port)
        r = ua.recv_final()
        if r.status not in (200, 503):
            raise FlowError("OPTIONS on the old SIP port answered %d" % r.status)
    finally:
        ua.close()
    pbx = tb.pbx("--call", "2001", "--calling", "5551000", "--exit-when-done")
    if pbx.wait_exit() != 0 or phone.wait_exit() != 0:
        raise FlowError("a call after the reload failed")
    expect_ladder("PRI", q931_ladder(pbx.lines()),
                  PBX_CONNECTED + ["< DISCONNECT cause=16", "> RELEASE", "< RELEASE COMPLETE"])


@flow
def reload_removed_span_keeps_calls(tb):
    """Two spans; a call up on pbx-b (PBX -> phone, audio both ways) when pbx-b is taken out of the file: sipgwctl reload says 'span pbx-b: no longer in the config: busied out for new calls, its 1 call(s) kept'; the call keeps its audio and clears with cause 16; its B-channels are busied out (as sipgwctl busyout span): pbx-b's next SETUP is refused (cause 44 for its exclusive channel, nothing to SIP), pbx-a's is routed; put back in the file and reloaded, pbx-b is 'back in the config' (not a new span) and takes calls again."""
    phone = tb.phone("phone", "--answer-after", "0.2", "--tone", "1000", "--detect", "2000",
                     "--hangup-after", "2.5", "--exit-after-calls", "3")
    spans = [("pbx-a", "t1", "ni2"), ("pbx-b", "t1", "ni2")]
    conf = tb.config([voip_peer(100, "2...", phone.port)], spans=spans)
    gw = tb.gateway(conf)
    b = tb.pbx("--call", "2001", "--calling", "5551000", "--name", "User A", "--exit-when-done",
               "--tone", "2000", "--detect", "1000", span="pbx-b", name="pbx-b")
    phone.wait_line(r"AUDIO tone 2000 on")
    rewrite(conf, ",\n" + tb.span_txt("pbx-b", "t1", "ni2"), "")
    out = ctl_reload(tb, gw)
    if "span pbx-b: no longer in the config: busied out for new calls, its 1 call(s) kept" not in out:
        raise FlowError("reload did not say pbx-b was busied out with its call kept: %r" % out)
    if reloaded(out).group(2) != "1":
        raise FlowError("reload did not count 1 span: %r" % out)
    if b.wait_exit() != 0:
        raise FlowError("the call on pbx-b failed")
    expect_ladder("PRI pbx-b", q931_ladder(b.lines()),
                  PBX_CONNECTED + ["< DISCONNECT cause=16", "> RELEASE", "< RELEASE COMPLETE"])
    t_disc = [ms for ms, t in fl.timed(b.lines(), "Q931") if "DISCONNECT" in t][0]
    audio_through(b, 1000, t_disc - 1200, t_disc - 40, "PBX on pbx-b")
    b2 = tb.pbx("--call", "2002", "--calling", "5551000", "--exit-when-done", span="pbx-b", name="pbx-b2")
    b2.wait_exit()
    # busied out as `sipgwctl busyout span` does: the PBX's SETUP for its
    # (exclusive) channel 1 is refused, requested channel not available
    expect_ladder("PRI pbx-b after the reload", q931_ladder(b2.lines()), ["> SETUP", "< RELEASE COMPLETE cause=44"])
    gw.wait_line(r"span pbx-b: SETUP for busied-out B-channel 1 \(exclusive\): cause 44", stream="err")
    if fl.sip_lines(phone.lines(), r"^< INVITE sip:2002@"):
        raise FlowError("a call from the removed span reached SIP")
    a = tb.pbx("--call", "2003", "--calling", "5551000", "--exit-when-done", name="pbx-a")
    if a.wait_exit() != 0:
        raise FlowError("the call on pbx-a failed")
    # back in the file: back in service
    rewrite(conf, tb.span_txt("pbx-a", "t1", "ni2"), tb.span_txt("pbx-a", "t1", "ni2") + ",\n" +
            tb.span_txt("pbx-b", "t1", "ni2"))
    out = ctl_reload(tb, gw)
    if "span pbx-b: back in the config, in service for new calls" not in out or reloaded(out).group(3):
        raise FlowError("reload did not put pbx-b back (and not as a new span): %r" % out)
    b3 = tb.pbx("--call", "2004", "--calling", "5551000", "--exit-when-done", span="pbx-b", name="pbx-b3")
    if b3.wait_exit() != 0 or phone.wait_exit() != 0:
        raise FlowError("the call on pbx-b back in service failed")


@flow
def reload_asan_generations(tb):
    """sipgw built with ASan+UBSan: a call up across a SIGHUP reload and a sipgwctl reload (its dial-peer gone, then new users and a timer), a refused one between; the call clears with cause 16 and frees generation 1, a second call runs on generation 3; at SIGTERM no leak, no use after free, no UB."""
    from flows_torture import SAN_ERRORS, asan_gateway
    phone = tb.phone("phone", "--answer-after", "0.2", "--tone", "1000", "--detect", "2000",
                     "--hangup-after", "2.5", "--exit-after-calls", "2")
    conf = tb.config([voip_peer(100, "2...", phone.port)], extra=users_conf({"2001": USERS["2001"]}))
    good = voip_peer(100, "2...", phone.port)
    gw = asan_gateway(tb, conf)
    pbx = pbx_call(tb, "--tone", "2000", "--detect", "1000")
    phone.wait_line(r"AUDIO tone 2000 on")
    rewrite(conf, good, voip_peer(101, "2...", phone.port))
    if reloaded(sighup(tb, gw)).group(6) != "1":
        raise FlowError("the call was not kept")
    rewrite(conf, "dial_peers = (", "dial_peers = ( oops")
    rc, _, err = tb.ctl("reload")
    if rc != 1:
        raise FlowError("a broken file was not refused: %d %s" % (rc, err))
    rewrite(conf, "dial_peers = ( oops", "dial_peers = (")
    rewrite(conf, users_conf({"2001": USERS["2001"]}), users_conf(USERS))
    rewrite(conf, "ring-no-answer = 30;", "ring-no-answer = 25;")
    ctl_reload(tb, gw)
    if pbx.wait_exit() != 0:
        raise FlowError("the call across the reloads failed")
    expect_ladder("PRI", q931_ladder(pbx.lines()),
                  PBX_CONNECTED + ["< DISCONNECT cause=16", "> RELEASE", "< RELEASE COMPLETE"])
    gw.wait_line(r"config generation 1 freed", stream="err")
    gw.wait_line(r"config generation 2 freed", stream="err")
    pbx2 = tb.pbx("--call", "2002", "--calling", "5551000", "--exit-when-done", name="pbx2")
    if pbx2.wait_exit() != 0 or phone.wait_exit() != 0:
        raise FlowError("the call on generation 3 failed")
    gw.stop()
    bad = [ln for ln in gw.errlines() if SAN_ERRORS.search(ln)]
    if bad or not any("config generation 3 freed" in ln for ln in gw.errlines()):
        raise FlowError("sanitizers: %s" % "\n".join(gw.errlines()[-60:]))


KEEPALIVE = ("options_keepalive = true; options_up_interval = 1; options_down_interval = 1; "
             "options_retry = 3; options_recovery = 1;")


def options_socket():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    return s


def wait_options(s, timeout):
    """The next OPTIONS datagram on s (None when none came within timeout)."""
    s.settimeout(timeout)
    while True:
        try:
            data = s.recv(65535).decode(errors="replace")
        except socket.timeout:
            return None
        if data.startswith("OPTIONS "):
            return data


def branches_to(s, first):
    """The Via branches of the OPTIONS queued on s now (and of first)."""
    out = []
    for msg in ([first] if first else []):
        out.append(re.search(r"branch=([^;\s]+)", msg).group(1))
    s.settimeout(0)
    while True:
        try:
            msg = s.recv(65535).decode(errors="replace")
        except (BlockingIOError, socket.timeout):
            return out
        if msg.startswith("OPTIONS "):
            out.append(re.search(r"branch=([^;\s]+)", msg).group(1))


@flow
@fl.no_pri
def reload_keepalive_targets(tb):
    """Peer health follows the file: dial-peer 100 keeps 127.0.0.1:A alive with OPTIONS; a reload that changes a timer leaves its pinger as it runs; its session target becomes B and SIGHUP reloads: B gets OPTIONS ('keepalive: OPTIONS to sip:127.0.0.1:B' logged) and A no new one (only retransmissions of the ping under way) while B gets two more."""
    a, b = options_socket(), options_socket()
    pa, pb = a.getsockname()[1], b.getsockname()[1]
    try:
        conf = tb.config([voip_peer(100, "2...", pa) + " " + KEEPALIVE])
        gw = tb.gateway(conf)
        first = wait_options(a, 5)
        if not first:
            raise FlowError("no OPTIONS to A before the reload")
        # a reload that leaves the keepalive targets alone leaves the pingers alone
        rewrite(conf, "ring-no-answer = 30;", "ring-no-answer = 20;")
        reloaded(sighup(tb, gw))
        started = [ln for ln in gw.errlines() if "keepalive: OPTIONS to sip:127.0.0.1:%d " % pa in ln]
        if len(started) != 1:
            raise FlowError("a reload without keepalive changes restarted the pinger: %s" % started)
        rewrite(conf, voip_peer(100, "2...", pa), voip_peer(100, "2...", pb))
        sent_a = set(branches_to(a, first))
        reloaded(sighup(tb, gw, 2))
        gw.wait_line(r"keepalive: OPTIONS to sip:127\.0\.0\.1:%d every 1000 ms" % pb, stream="err")
        if not wait_options(b, 5):
            raise FlowError("no OPTIONS to B after the reload")
        sent_a |= set(branches_to(a, None))	# pinged before the reload, still in flight
        for _ in range(2):
            if not wait_options(b, 5):
                raise FlowError("B's OPTIONS stopped")
        # A transaction under way goes on retransmitting (RFC 3261 17.1.2.2,
        # Timer E): the same branch. A new ping would have a new one.
        new = set(branches_to(a, None)) - sent_a
        if new:
            raise FlowError("A got new OPTIONS after the reload: %s" % sorted(new))
    finally:
        a.close()
        b.close()


@flow
def reload_timer_for_new_calls(tb):
    """Timers take effect for new calls: a call rings (ring-no-answer 30 s) when the file's ring-no-answer becomes 1 s and SIGHUP reloads; that call keeps its 30 s (the PBX gives up after 2.5 s, cause 16 from it); the next call is cancelled by the gateway after 1 s: DISCONNECT cause 19."""
    phone = tb.phone("phone", "--ring-forever", "--exit-after-calls", "2")
    conf = tb.config([voip_peer(100, "2...", phone.port)])
    gw = tb.gateway(conf)
    first = pbx_call(tb, "--cancel-after", "2.5")
    phone.wait_line(r"EVENT call 1 incoming")
    rewrite(conf, "ring-no-answer = 30;", "ring-no-answer = 1;")
    reloaded(sighup(tb, gw))
    first.wait_exit()
    expect_ladder("PRI, rung before the reload", q931_ladder(first.lines()),
                  ["> SETUP", "< CALL PROCEEDING", "< ALERTING", "> DISCONNECT cause=16", "< RELEASE",
                   "> RELEASE COMPLETE"])
    second = tb.pbx("--call", "2001", "--calling", "5551000", "--exit-when-done", name="pbx2")
    second.wait_exit()
    phone.wait_exit()
    expect_ladder("PRI, rung after the reload", q931_ladder(second.lines()),
                  ["> SETUP", "< CALL PROCEEDING", "< ALERTING", "< DISCONNECT cause=19", "> RELEASE",
                   "< RELEASE COMPLETE"])


@flow
@fl.no_pri
def reload_tells_systemd(tb):
    """Under systemd (NOTIFY_SOCKET, ExecReload sends SIGHUP): a reload sends RELOADING=1, then READY=1 with STATUS 'running; reloaded: 2 dial-peer(s), ...'; a refused one RELOADING=1, then READY=1 with STATUS naming file:line, the gateway still in service."""
    from flows_service import gateway_notified
    conf = tb.config([voip_peer(100, "2...", 5999)])
    gw, n = gateway_notified(tb, conf)
    try:
        n.until("READY", timeout=15)
        rewrite(conf, voip_peer(100, "2...", 5999), voip_peer(100, "2...", 5999) + " }, { " +
                voip_peer(101, "3...", 5999))
        os.kill(gw.p.pid, signal.SIGHUP)
        if n.until("RELOADING").get("RELOADING") != "1":
            raise FlowError("no RELOADING=1")
        ready = n.until("READY")
        if not ready.get("STATUS", "").startswith("running; reloaded: 2 dial-peer(s), 1 span(s)"):
            raise FlowError("READY after the reload: %r" % ready)
        rewrite(conf, "dial_peers = (", "dial_peers = ( ;")
        os.kill(gw.p.pid, signal.SIGHUP)
        n.until("RELOADING")
        ready = n.until("READY")
        if not re.match(r"running; reload refused: .*sipgw\.conf:\d+: syntax error$", ready.get("STATUS", "")):
            raise FlowError("READY after a refused reload: %r" % ready)
    finally:
        n.close()
