# sipgw call-flow tests: the loopback span's sockets and the D-channel's
# life (issue 7 items 5 and 7): 0-byte and malformed datagrams, rate-limited
# warnings, memory over many reconnects, RESTART after a crash and from the
# far end.
# SPDX-License-Identifier: GPL-2.0-only
import re
import signal
import socket
import time

import flowlib as fl
from flowlib import (PBX_CONNECTED, PHONE_ANSWERED, FlowError, expect_ladder, flow, q931_ladder, restart_ladder,
                     pots_peer, sip_ladder, voip_peer)

PBX_CLEARED_BY_PHONE = ["< DISCONNECT cause=16", "> RELEASE", "< RELEASE COMPLETE"]
N_B = 23    # B-channels of the T1 span

# Q.921 frames of a user side (the gateway's spans are network side):
# SAPI 0 / C/R 0 (command from the user, Q.921 3.3.2) / TEI 0, SABME with
# P=1 (Q.921 table 5), two FCS placeholder bytes as libpri writes them.
SABME_FROM_USER = bytes([0x00, 0x01, 0x7f, 0x00, 0x00])
U_UA = 0x63     # UA control octet without the F bit


def pbx_call(tb, *extra, name="pbx"):
    return tb.pbx("--call", "2001", "--calling", "5551000", "--name", "User A", "--exit-when-done",
                  *extra, name=name)


def event_ms(proc, pattern):
    """The time stamp of proc's first line matching pattern."""
    rx = re.compile(pattern)
    for ms, t in fl.timed(proc.lines(), "EVENT"):
        if rx.search(t):
            return ms
    raise FlowError("%s printed no EVENT /%s/" % (proc.name, pattern))


def gw_lines(gw, pattern):
    rx = re.compile(pattern)
    return [ln for ln in gw.errlines() if rx.search(ln)]


def expect_audio_through(pbx, phone, start, end, pbx_hz=2000, phone_hz=1000):
    """Each side heard the other's tone before start and it never stopped in
    [start, end] (the detector prints 'off' when it does)."""
    for who, proc, hz in (("PBX", pbx, phone_hz), ("phone", phone, pbx_hz)):
        ev = fl.tone_events(proc.lines(), hz)
        if not fl.tone_on_during(ev, start, start):
            raise FlowError("%s did not hear %d Hz when the odd datagrams came (%d): %s"
                            % (who, hz, start, ev))
        offs = [ms for ms, e in ev if e == "off" and start <= ms <= end]
        if offs:
            raise FlowError("%s lost the %d Hz audio at %s (window %d..%d)" % (who, hz, offs, start, end))


def expect_frames_all_along(pbx, phone):
    """The B-channel and RTP carried audio for the whole call, not only until
    the odd datagrams: the PBX got a datagram per 20 ms from SETUP to the
    end, the phone an RTP packet per 20 ms from answer to BYE (90 %: the
    first and last few may fall outside)."""
    t_setup = event_ms(pbx, r"^call 1 setup")
    t_end = event_ms(pbx, r"^call 1 ended")
    rx = int(re.search(r"rx_frames=(\d+)", [t for _, t in fl.timed(pbx.lines(), "EVENT")
                                             if t.startswith("call 1 audio")][0]).group(1))
    want = 0.9 * (t_end - t_setup) / 20
    if rx < want:
        raise FlowError("the PBX got %d B-channel datagrams in %d ms, want %d" % (rx, t_end - t_setup, want))
    t_ans = event_ms(phone, r"^call 1 answered")
    t_bye = fl.sip_lines(phone.lines(), r"^> BYE ")[0][0]
    stat = [t for _, t in fl.timed(phone.lines(), "STAT") if t.startswith("call 1 rtp")][0]
    prx = int(re.search(r"rx=(\d+)", stat).group(1))
    want = 0.9 * (t_bye - t_ans) / 20
    if prx < want:
        raise FlowError("the phone got %d RTP packets in %d ms, want %d" % (prx, t_bye - t_ans, want))


def audio_call(tb, phone_hangup, *pbx_args):
    """PBX -> phone call with tones both ways; returns (gw, pbx, phone) once both ended."""
    phone = tb.phone("phone", "--answer-after", "0.2", "--tone", "1000", "--detect", "2000",
                     "--hangup-after", str(phone_hangup), "--exit-after-calls", "1")
    gw = tb.gateway(tb.config([voip_peer(100, "2...", phone.port)]))
    pbx = pbx_call(tb, "--tone", "2000", "--detect", "1000", *pbx_args)
    if pbx.wait_exit() != 0 or phone.wait_exit() != 0:
        raise FlowError("a simulator failed")
    expect_ladder("PRI", q931_ladder(pbx.lines()), PBX_CONNECTED + PBX_CLEARED_BY_PHONE)
    expect_ladder("SIP", sip_ladder(phone.lines()), PHONE_ANSWERED + ["> BYE", "< 200/BYE"])
    expect_frames_all_along(pbx, phone)
    return gw, pbx, phone


@flow
def span_empty_datagrams(tb):
    """A 0-byte datagram on the D and on the B socket mid-call: a datagram, not a hang-up;
    the call stays up, audio goes on both ways, one log line each."""
    fl.skip_unless_loopback("an empty datagram is socket-level abuse of a loopback span: no line carries an empty HDLC frame, so the fake DAHDI drops it before sipgw")
    gw, pbx, phone = audio_call(tb, 2.5, "--send-empty-at", "0.8")
    t_sent = event_ms(pbx, r"^sent empty datagrams on D and B")
    t_bye = fl.sip_lines(phone.lines(), r"^> BYE ")[0][0]
    expect_audio_through(pbx, phone, t_sent, t_bye)
    for ch in ("D", "B"):
        got = gw_lines(gw, r"span pbx-a: empty %s-channel datagram ignored" % ch)
        if len(got) != 1:
            raise FlowError("want one log line for the empty %s-channel datagram, got %s" % (ch, got))
    # the hang-up by the time the gateway got the phone's BYE (the phone prints its own line
    # after sending: in CI 2 ms after the gateway had it and cleared the PBX, which had gone)
    t_bye_gw = int(gw_lines(gw, r"sip: < BYE ")[0].split()[0])
    gone = [ln for ln in gw_lines(gw, r"peer went away|far end disconnected") if int(ln.split()[0]) < t_bye_gw]
    if gone:
        raise FlowError("an empty datagram was taken for a hang-up: %s" % gone)


@flow
def span_bad_b_flood_rate_limited(tb):
    """5000 malformed B-channel datagrams mid-call (wrong size, no such channel): dropped and
    counted, a few rate-limited log lines with the count, the call and its audio go on."""
    fl.skip_unless_loopback("malformed B-channel datagrams are socket-level abuse of a loopback span: a line carries only whole timeslots, so the fake DAHDI drops them before sipgw")
    gw, pbx, phone = audio_call(tb, 4.5, "--flood-bad-b", "5000", "--flood-at", "0.5")
    t_done = event_ms(pbx, r"^sent 5000 malformed B-channel datagrams")
    t_bye = fl.sip_lines(phone.lines(), r"^> BYE ")[0][0]
    if t_done >= t_bye:
        raise FlowError("the flood was not over before the phone hung up")
    t_flood = fl.timed(pbx.lines(), "EVENT")[0][0]
    for ms, t in fl.timed(pbx.lines(), "EVENT"):
        if t.startswith("call 1 connected"):
            t_flood = ms + 500
    expect_audio_through(pbx, phone, t_flood, t_bye)
    size = gw_lines(gw, r"B-channel datagram of 100 bytes dropped")
    chan = gw_lines(gw, r"B-channel datagram for channel 200, not a B-channel here")
    # 2.5 s of flood at one line per 2 s (LOG_LIMIT_INTERVAL_MS): 2, at most 3
    for what, got in (("wrong size", size), ("bad channel", chan)):
        if not 1 <= len(got) <= 3:
            raise FlowError("%s: want 1..3 rate-limited lines for 2500 datagrams, got %d:\n%s"
                            % (what, len(got), "\n".join(got)))
    counts = [int(m.group(1)) for m in (re.search(r"\((\d+) more like this suppressed\)", l)
                                        for l in size + chan) if m]
    if not counts or max(counts) < 100:
        raise FlowError("no line says how many were suppressed: %s" % (size + chan))
    last = re.search(r"(\d+) so far", size[-1])
    print("    flood: %d + %d log lines for 5000 datagrams; suppressed counts %s"
          % (len(size), len(chan), counts))
    if not last:
        raise FlowError("the wrong-size line carries no running count: %s" % size[-1])


def vm_rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for ln in f:
            if ln.startswith("VmRSS:"):
                return int(ln.split()[1])
    raise FlowError("no VmRSS for pid %d" % pid)


def d_channel_visit(path, timeout=3.0):
    """Connect to the span's D socket as a user side, send SABME, wait for the
    gateway's UA, close. Returns False when the gateway turned us away (it
    had not yet seen the previous far end go)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        s.settimeout(timeout)
        s.connect(path)
        try:
            s.send(SABME_FROM_USER)
        except (BrokenPipeError, ConnectionResetError):
            return False            # refused before our SABME went (the fake DAHDI's line)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                f = s.recv(1024)
            except socket.timeout:
                break
            except ConnectionResetError:
                return False        # refused with our SABME unread (the fake DAHDI's line)
            if not f:
                return False        # refused: another far end was still there
            if len(f) >= 3 and (f[2] & 0xef) == U_UA:
                return True
        raise FlowError("no UA to our SABME within %.1fs" % timeout)
    finally:
        s.close()


@flow
def span_reconnects_bounded_memory(tb):
    """200 reconnects of a D-channel far end (SABME, UA, close): sipgw's RSS grows by less
    than 1 MB (one libpri instance per span, not one per far end); a real call then works."""
    fl.skip_unless_loopback("200 far ends at socket speed are a loopback span's: on a card each is a cable plugged in and out within a millisecond, alarms no line raises; flows_dahdi.py's dahdi_alarm_cycles_bounded_memory is its dahdi counterpart")
    phone = tb.phone("phone", "--answer-after", "0.1", "--hangup-after", "0.5", "--exit-after-calls", "1")
    gw = tb.gateway(tb.config([voip_peer(100, "2...", phone.port)]))
    path = tb.span_path()

    def visits(n):
        done = 0
        tries = 0
        while done < n:
            tries += 1
            if tries > 3 * n + 10:
                raise FlowError("the gateway turned away too many reconnects (%d of %d done)" % (done, n))
            if d_channel_visit(path):
                done += 1
        return tries

    visits(10)                       # warm up: the instance, the log buffers
    before = vm_rss_kb(gw.p.pid)
    tries = visits(200)
    after = vm_rss_kb(gw.p.pid)
    print("    sipgw VmRSS before %d kB, after 200 reconnects %d kB: %+d kB (%d connects)"
          % (before, after, after - before, tries))
    if after - before >= 1024:
        raise FlowError("RSS grew by %d kB over 200 reconnects (leak per reconnect ~%.1f kB)"
                        % (after - before, (after - before) / 200.0))
    # Each visit after the first brings the link up (the first meets the
    # fresh instance's own SABME, which our client does not answer).
    deadline = time.monotonic() + 5
    while len(gw_lines(gw, r"span pbx-a: D-channel up")) < tries + 9 and time.monotonic() < deadline:
        time.sleep(0.05)
    ups = gw_lines(gw, r"span pbx-a: D-channel up")
    if len(ups) < tries + 9:
        raise FlowError("the link did not come up at each reconnect: %d D-channel up lines for %d visits"
                        % (len(ups), tries + 10))
    pbx = pbx_call(tb)
    if pbx.wait_exit() != 0:
        raise FlowError("the PBX call after the reconnects failed")
    expect_ladder("PRI after 210 reconnects", q931_ladder(pbx.lines()), PBX_CONNECTED + PBX_CLEARED_BY_PHONE)


# Frames libpri refuses with its error callback (Q.921 table 5: XID, which
# libpri does not support; C/R 0 from the user side), and a datagram too
# short for any Q.921 frame.
XID_FROM_USER = bytes([0x00, 0x01, 0xaf, 0x00, 0x00])
TOO_SHORT = bytes([0x00, 0x01])


@flow
def span_d_flood_rate_limited(tb):
    """A far end floods the D-channel with frames libpri complains about and datagrams too
    short for Q.921: a few rate-limited lines with counts, the link stays, a call then works."""
    fl.skip_unless_loopback("datagrams too short for Q.921 are socket-level abuse of a loopback span: a card's HDLC drops them (bad FCS), so they never reach sipgw")
    phone = tb.phone("phone", "--answer-after", "0.1", "--hangup-after", "0.5", "--exit-after-calls", "1")
    gw = tb.gateway(tb.config([voip_peer(100, "2...", phone.port)]))
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(tb.span_path())
    sent = 0
    try:
        s.send(SABME_FROM_USER)
        gw.wait_line(r"span pbx-a: far end connected", stream="err")
        # Until both kinds have said how many were suppressed (one line per
        # LOG_LIMIT_INTERVAL_MS), at most 8 s.
        want = (r"libpri span pbx-a: !! XID frames not supported \(\d+ more like this suppressed\)",
                r"D-channel datagram of 2 bytes dropped .* \(\d+ more like this suppressed\)")
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline:
            for _ in range(50):
                s.send(XID_FROM_USER)
                s.send(TOO_SHORT)
                sent += 2
            if all(gw_lines(gw, w) for w in want):
                break
            time.sleep(0.01)   # pace the flood: about 10,000 datagrams a second
        else:
            raise FlowError("no rate-limited line with a count after %d datagrams" % sent)
        gone = gw_lines(gw, r"D-channel peer went away|far end disconnected")
        if gone:
            raise FlowError("the flood cost the far end its link: %s" % gone)
    finally:
        s.close()
    xid = gw_lines(gw, r"libpri span pbx-a: !! XID frames not supported")
    short = gw_lines(gw, r"D-channel datagram of 2 bytes dropped")
    print("    D flood: %d datagrams, %d + %d log lines" % (sent, len(xid), len(short)))
    for what, got in (("libpri errors", xid), ("short frames", short)):
        if len(got) > 5:
            raise FlowError("%s: %d lines for %d datagrams:\n%s" % (what, len(got), sent // 2, "\n".join(got)))
    gw.wait_line(r"span pbx-a: far end disconnected", stream="err")
    pbx = pbx_call(tb)
    if pbx.wait_exit() != 0:
        raise FlowError("the PBX call after the flood failed")
    expect_ladder("PRI after the flood", q931_ladder(pbx.lines()), PBX_CONNECTED + PBX_CLEARED_BY_PHONE)


@flow
def span_restart_after_gateway_crash(tb):
    """kill -9 sipgw mid-call, start it again: the PBX (reconnecting) gets RESTART for its
    B-channel and clears the call left hanging; a new call then works."""
    phone = tb.phone("phone", "--answer-after", "0.2", "--hangup-after", "1.5", "--exit-after-calls", "2")
    conf = tb.config([voip_peer(100, "2...", phone.port)])
    gw = tb.gateway(conf)
    pbx = pbx_call(tb, "--reconnect", "--count", "2")
    pbx.wait_line(r"EVENT call 1 connected")
    gw.stop(signal.SIGKILL)
    pbx.wait_line(r"EVENT call 1 left hanging chan=1 state=ACTIVE")
    gw2 = tb.start("sipgw2", [tb.bin("sipgw"), "-c", conf])
    gw2.wait_line(r"sipgw running", stream="err")
    pbx.wait_line(r"EVENT call 1 cleared by RESTART chan=1 state=ACTIVE")
    if pbx.wait_exit() != 0:
        raise FlowError("the PBX did not complete its second call")
    # Call 1's ladder up to the crash, then call 2's whole ladder.
    expect_ladder("PRI", q931_ladder(pbx.lines()), PBX_CONNECTED + PBX_CONNECTED + PBX_CLEARED_BY_PHONE)
    t_rec = event_ms(pbx, r"^reconnected")
    after = [(d, m, c) for (ms, _), (d, m, c) in zip(
        [x for x in fl.timed(pbx.lines(), "Q931") if " RESTART" in x[1]], restart_ladder(pbx.lines()))
        if ms >= t_rec]
    if ("<", "RESTART", 1) not in after or (">", "RESTART ACKNOWLEDGE", 1) not in after:
        raise FlowError("no RESTART / RESTART ACKNOWLEDGE for B-channel 1 after the reconnect: %s" % after)
    chans = sorted(c for d, m, c in after if (d, m) == ("<", "RESTART"))
    if chans != list(range(1, N_B + 1)):
        raise FlowError("the new sipgw restarted B-channels %s, not 1..%d" % (chans, N_B))
    if not gw_lines(gw2, r"span pbx-a: RESTART sent for %d idle B-channel\(s\)" % N_B):
        raise FlowError("the new sipgw did not log its RESTART")
    if not gw_lines(gw2, r"span pbx-a: B-channels restarted, %d of %d free" % (N_B, N_B)):
        raise FlowError("the new sipgw did not log the RESTART ACKNOWLEDGEs")
    setup2 = [ms for ms, t in fl.timed(pbx.lines(), "Q931") if t.startswith("> SETUP")][1]
    cleared = event_ms(pbx, r"^call 1 cleared by RESTART")
    if setup2 < cleared:
        raise FlowError("the second call started before the RESTART cleared the first")


@flow
def span_far_end_restart(tb):
    """The PBX RESTARTs the B-channel of a connected call: the gateway clears its leg
    (BYE with Reason cause 41), libpri answers RESTART ACKNOWLEDGE, the channel is free."""
    phone = tb.phone("phone", "--answer-after", "0.2", "--exit-after-calls", "1")
    gw = tb.gateway(tb.config([voip_peer(100, "2...", phone.port)]))
    pbx = pbx_call(tb, "--restart-at", "0.5")
    if pbx.wait_exit() != 0 or phone.wait_exit() != 0:
        raise FlowError("a simulator failed")
    expect_ladder("PRI", q931_ladder(pbx.lines()), PBX_CONNECTED)
    expect_ladder("SIP", sip_ladder(phone.lines()), PHONE_ANSWERED + ["< BYE", "> 200/BYE"])
    bye = fl.sip_lines(phone.lines(), r"^< BYE")[0][1]
    if "cause=41" not in bye:
        raise FlowError("BYE after a far-end RESTART without Reason cause=41: " + bye)
    ours = [x for x in restart_ladder(pbx.lines()) if x[:2] in ((">", "RESTART"), ("<", "RESTART ACKNOWLEDGE"))]
    if ours != [(">", "RESTART", 1), ("<", "RESTART ACKNOWLEDGE", 1)]:
        raise FlowError("PBX RESTART ladder: %s" % ours)
    if not gw_lines(gw, r"pri pbx-a/1 \[ACTIVE\] RESTART from the far end: call cleared with cause 41"):
        raise FlowError("the gateway did not log the far end's RESTART")
    gw.wait_line(r"span pbx-a: B-channel 1 free, %d of %d B-channels free" % (N_B, N_B), stream="err")


@flow
def span_cpe_far_end_reconnects(tb):
    """Gateway span as cpe: the PBX (network) vanishes mid-call (BYE cause 38); the kept libpri
    instance meets the next PBX's SABME with a released link: up at once, RESTART, a call works."""
    phone = tb.phone("phone", "--answer-after", "0.1", "--hangup-after", "0.5", "--exit-after-calls", "2")
    path = tb.config([voip_peer(100, "2...", phone.port)])
    with open(path) as f:
        txt = f.read()
    if txt.count('role = "network";') != 1:
        raise FlowError("config template changed: cannot set the span's role")
    with open(path, "w") as f:
        f.write(txt.replace('role = "network";', 'role = "cpe";'))
    gw = tb.gateway(path)
    pbx = tb.start("pbx", [tb.bin("sipgw-pbx"), "-s", tb.span_path(), "--role", "network", "--timeout", "20",
                           "--call", "2001", "--calling", "5551000"])
    pbx.wait_line(r"EVENT call 1 connected")
    pbx.stop(signal.SIGKILL)
    phone.wait_line(r"EVENT call 1 ended")
    bye = fl.sip_lines(phone.lines(), r"^< BYE")
    if not bye or "cause=38" not in bye[0][1]:
        raise FlowError("vanished PBX: expected BYE with cause 38, got %s" % bye)
    t_start = int(time.monotonic() * 1000)     # CLOCK_MONOTONIC, as the simulators' stamps
    pbx2 = tb.start("pbx2", [tb.bin("sipgw-pbx"), "-s", tb.span_path(), "--role", "network", "--timeout", "20",
                             "--call", "2001", "--calling", "5551000", "--exit-when-done"])
    if pbx2.wait_exit() != 0:
        raise FlowError("the second PBX's call failed")
    expect_ladder("PRI after reconnect", q931_ladder(pbx2.lines()), PBX_CONNECTED + PBX_CLEARED_BY_PHONE)
    got = [c for d, m, c in restart_ladder(pbx2.lines()) if (d, m) == ("<", "RESTART")]
    if sorted(got) != list(range(1, N_B + 1)):
        raise FlowError("the gateway (cpe) restarted B-channels %s for the new PBX" % got)
    # Up at once: no T200 (1 s) wait for a SABME of ours crossing the PBX's.
    t_up = event_ms(pbx2, r"^dchan up")
    print("    D-channel up %d ms after the second PBX started" % (t_up - t_start))
    if t_up - t_start > 500:
        raise FlowError("the D-channel took %d ms to come up for the second PBX" % (t_up - t_start))


@flow
def span_service_out_and_in(tb):
    """SERVICE (NI-2 maintenance, span service_messages): the PBX takes B-channel 1
    out of service; the next SIP call gets B-channel 2 (1 is not hunted); after
    it the PBX puts 1 back in service and the next call gets B-channel 1."""
    conf = fl.span_keys(tb.config([voip_peer(100, "2...", 9), pots_peer(900, "9T")]), "service_messages = true;")
    gw = tb.gateway(conf)
    pbx = tb.pbx("--oos", "1", "--ins-after-calls", "1", "--calls-in", "2", "--answer-after", "0.1",
                 "--exit-when-done")
    pbx.wait_line(r"EVENT service chan=1 out")
    gw.wait_line(r"B-channel 1 out of service \(SERVICE from the far end\)", stream="err")
    for n in (1, 2):
        if n == 2:
            gw.wait_line(r"B-channel 1 back in service", stream="err")
        phone = tb.phone("phone%d" % n, "--call", "sip:95551234@127.0.0.1:%d" % tb.sip_port, "--from", "2001",
                         "--exit-after-calls", "1", "--hangup-after", "0.3")
        if phone.wait_exit() != 0:
            raise FlowError("phone %d failed" % n)
    if pbx.wait_exit() != 0:
        raise FlowError("the PBX failed")
    setups = [t for _, t in fl.timed(pbx.lines(), "Q931") if t.startswith("< SETUP")]
    chans = [re.search(r"chan=(\d+)", t).group(1) for t in setups]
    if chans != ["2", "1"]:
        raise FlowError("SETUPs on B-channels %s, want 2 (1 out of service) then 1 (back): %s" % (chans, setups))
