# sipgw call-flow tests for the CDR (cdr.database, table cdr): the row an
# answered call leaves, as a voice engineer reads it against the trace (the
# numbers, dial-peer, span and B-channel, the Call-ID the phone saw, the
# causes, the four times in order, codec, RTP packets); a busy and a
# no-answer row; SIGTERM with two calls up writes both; kill -9 keeps the
# rows of calls that had ended; `sipgwctl cdr export --csv [--since]` read
# back with Python's csv module. (Every other flow checks its calls' rows
# too: flowlib's check_cdr at the end of each.)
# SPDX-License-Identifier: GPL-2.0-only
import csv
import datetime
import io
import os
import signal
import sqlite3
import subprocess

import flowlib as fl
from flowlib import FlowError, flow, pbx_call, pots_peer, voip_peer


def iso_ms(s):
    """'2026-12-01T22:11:06.123Z' -> epoch ms."""
    dt = datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
    return round(dt.timestamp() * 1000)


def want(row, **kv):
    bad = ["%s=%r (want %r)" % (k, row.get(k), v) for k, v in kv.items() if row.get(k) != v]
    if bad:
        raise FlowError("CDR row: " + ", ".join(bad) + "\n  row: %s" % row)


def check_times(r, answered):
    """setup <= alert <= answer <= end, the ISO columns the same instants as the _ms ones."""
    for c in ("start", "alert", "answer", "end"):
        if (r[c + "_time"] is None) != (r[c + "_ms"] is None):
            raise FlowError("CDR %s_time %s but %s_ms %s" % (c, r[c + "_time"], c, r[c + "_ms"]))
        if r[c + "_time"] is not None and iso_ms(r[c + "_time"]) != r[c + "_ms"]:
            raise FlowError("CDR %s_time %s is not %s_ms %s" % (c, r[c + "_time"], c, r[c + "_ms"]))
    seq = [r["start_ms"]] + ([r["alert_ms"], r["answer_ms"]] if answered else []) + [r["end_ms"]]
    if None in seq or seq != sorted(seq):
        raise FlowError("CDR times out of order: start %s alert %s answer %s end %s" % (
            r["start_ms"], r["alert_ms"], r["answer_ms"], r["end_ms"]))
    if abs(r["duration"] - (r["end_ms"] - r["start_ms"]) / 1000.0) > 0.0015:
        raise FlowError("CDR duration %s is not end - start" % r["duration"])


def phone_call_id(phone, n=1):
    return phone.wait_line(r"EVENT call %d call-id=(\S+)" % n).group(1)


@flow
def cdr_answered_row(tb):
    """CDR: an answered PRI -> SIP call's row: numbers, dial-peer, span/B-channel, Call-ID, causes 16, times, RTP."""
    phone = tb.phone("phone", "--answer-after", "0.3", "--tone", "1000", "--hangup-after", "1.5",
                     "--exit-after-calls", "1")
    tb.gateway(tb.config([voip_peer(100, "2...", phone.port)]))
    pbx = pbx_call(tb, "--tone", "2000")
    if pbx.wait_exit() != 0 or phone.wait_exit() != 0:
        raise FlowError("a simulator failed")
    r = tb.wait_cdr(1)[0]
    # the writer's figures, as a monitoring system scrapes them
    st = dict((x["name"], x["value"]) for x in tb.ctl("show", "stats", "sipgw_cdr", json=True)["stats"])
    if st != {"sipgw_cdr_rows_written_total": 1, "sipgw_cdr_rows_queued": 0, "sipgw_cdr_rows_dropped_total": 0,
              "sipgw_cdr_write_failures_total": 0}:
        raise FlowError("show stats sipgw_cdr: %s" % st)
    want(r, id=1, outcome="answered", cleared_by="called", cause=16, dial_peer=100,
         in_kind="pri", in_calling="5551000", in_called="2001", in_display="User A", in_span="pbx-a",
         in_cause=16, in_status=None,
         out_kind="sip", out_calling="5551000", out_called="2001", out_cause=16, out_status=200,
         out_codec="PCMU", out_sip_call_id=phone_call_id(phone), in_sip_call_id=None)
    chan = int(pbx.wait_line(r"EVENT call 1 setup chan=(\d+)").group(1))
    if r["in_channel"] != chan:
        raise FlowError("CDR in_channel %s; the PBX placed the call on B-channel %d" % (r["in_channel"], chan))
    if not r["out_remote"] or str(phone.port) not in r["out_remote"]:
        raise FlowError("CDR out_remote %r is not the phone at port %d" % (r["out_remote"], phone.port))
    check_times(r, answered=True)
    if not (r["out_rtp_rx"] or 0) > 0 or not (r["out_rtp_tx"] or 0) > 0:
        raise FlowError("CDR RTP packets: rx %s tx %s" % (r["out_rtp_rx"], r["out_rtp_tx"]))
    if r["out_rtp_lost"] != 0 or r["out_jitter_ms"] is None:
        raise FlowError("CDR RTP lost %s jitter %s on loopback" % (r["out_rtp_lost"], r["out_jitter_ms"]))
    if not 1.2 <= r["billsec"] <= 2.0 or r["duration"] < r["billsec"]:
        raise FlowError("CDR billsec %s (the phone talked 1.5 s), duration %s" % (r["billsec"], r["duration"]))


@flow
def cdr_busy_row(tb):
    """CDR: 486 Busy Here -> outcome busy, cause 17, out_status 486, cleared by the called side, no answer time."""
    phone = tb.phone("phone", "--reject", "486", "--exit-after-calls", "1")
    tb.gateway(tb.config([voip_peer(100, "2...", phone.port)]))
    pbx = pbx_call(tb)
    pbx.wait_exit()
    phone.wait_exit()
    r = tb.wait_cdr(1)[0]
    want(r, outcome="busy", cause=17, cleared_by="called", out_status=486, out_cause=17, in_cause=17,
         answer_time=None, alert_time=None, billsec=0.0, out_sip_call_id=phone_call_id(phone))
    check_times(r, answered=False)


@flow
def cdr_no_answer_row(tb):
    """CDR: ring-no-answer -> outcome no-answer, cause 19, cleared by the gateway, alert time but no answer."""
    phone = tb.phone("phone", "--ring-forever", "--exit-after-calls", "1")
    tb.gateway(tb.config([voip_peer(100, "2...", phone.port)], ring_timeout=1))
    pbx = pbx_call(tb)
    pbx.wait_exit()
    phone.wait_exit()
    r = tb.wait_cdr(1)[0]
    want(r, outcome="no-answer", cause=19, cleared_by="gateway", answer_time=None, out_status=487)
    check_times(r, answered=False)
    if r["alert_ms"] is None or not 0.9 <= (r["end_ms"] - r["alert_ms"]) / 1000.0 <= 2.0:
        raise FlowError("CDR: rang %s..%s, the ring-no-answer timer is 1 s" % (r["alert_ms"], r["end_ms"]))


def two_sip_calls_up(tb, extra_pbx=()):
    """Two phones call the PBX through the gateway (SIP -> PRI, dial-peer 900); both answered."""
    gw = tb.gateway(tb.config([voip_peer(100, "2...", 9), pots_peer(900, "9T")]))
    pbx = tb.pbx("--answer-after", "0.2", "--calls-in", "2", *extra_pbx)
    pbx.wait_line(r"EVENT dchan up")
    phones = []
    for i, who in enumerate(("2001", "2002")):
        phones.append(tb.phone("phone%d" % (i + 1), "--call", "sip:9555123%d@127.0.0.1:%d" % (i, tb.sip_port),
                               "--from", who, "--display", "User %s" % who, "--exit-after-calls", "1"))
        phones[-1].wait_line(r"EVENT call 1 answered")
    return gw, pbx, phones


@flow
def cdr_sigterm_writes_calls_up(tb):
    """CDR: SIGTERM with two SIP -> PRI calls up: both rows written before exit (cause 16, cleared by the gateway)."""
    gw, pbx, phones = two_sip_calls_up(tb)
    ids = [phone_call_id(p) for p in phones]
    if tb.cdr_rows():
        raise FlowError("CDR rows before any call ended: %s" % tb.cdr_rows())
    gw.stop(signal.SIGTERM)
    if gw.p.returncode != 0:
        raise FlowError("sipgw exit %s after SIGTERM" % gw.p.returncode)
    rows = tb.cdr_rows()
    if len(rows) != 2:
        raise FlowError("CDR: %d rows after SIGTERM with 2 calls up" % len(rows))
    for r in rows:
        want(r, cause=16, cleared_by="gateway", outcome="answered", dial_peer=900, in_kind="sip",
             out_kind="pri", out_span="pbx-a", in_status=200)
        check_times(r, answered=True)
    # the B-channel the PBX got each phone's call on
    chan = {}
    for n in (1, 2):
        frm = pbx.wait_line(r"EVENT call %d incoming from=(\d+)" % n).group(1)
        chan[frm] = int(pbx.wait_line(r"EVENT call %d setup chan=(\d+)" % n).group(1))
    got = sorted((r["in_calling"], r["out_called"], r["in_sip_call_id"], r["out_channel"]) for r in rows)
    if got != [("2001", "5551230", ids[0], chan["2001"]), ("2002", "5551231", ids[1], chan["2002"])]:
        raise FlowError("CDR numbers / Call-IDs / channels %s; the phones' Call-IDs %s, the PBX's channels %s"
                        % (got, ids, chan))


@flow
def cdr_kill9_keeps_ended_calls(tb):
    """CDR: kill -9 with a call up: the row of the call that had ended is there, the database intact, sipgw starts on it."""
    conf = tb.config([voip_peer(100, "2...", 9), pots_peer(900, "9T")])
    gw = tb.gateway(conf)
    pbx = tb.pbx("--answer-after", "0.2", "--calls-in", "2")
    pbx.wait_line(r"EVENT dchan up")
    p1 = tb.phone("phone1", "--call", "sip:95551230@127.0.0.1:%d" % tb.sip_port, "--from", "2001",
                  "--hangup-after", "0.3", "--exit-after-calls", "1")
    p1.wait_exit()
    rows = tb.wait_cdr(1, timeout=2)      # committed within ms of the call's end
    p2 = tb.phone("phone2", "--call", "sip:95551231@127.0.0.1:%d" % tb.sip_port, "--from", "2002",
                  "--exit-after-calls", "1")
    p2.wait_line(r"EVENT call 1 answered")
    gw.stop(signal.SIGKILL)
    db = sqlite3.connect(tb.cdr_path)
    try:
        ok = db.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        db.close()
    rows = tb.cdr_rows()
    if ok != "ok" or len(rows) != 1:
        raise FlowError("CDR after kill -9: integrity %s, %d rows (want the 1 that ended)" % (ok, len(rows)))
    want(rows[0], in_calling="2001", in_sip_call_id=phone_call_id(p1), outcome="answered", cleared_by="caller")
    gw2 = tb.start("sipgw2", [tb.bin("sipgw"), "-c", conf])
    gw2.wait_line(r"sipgw running", stream="err")
    st = tb.ctl("cdr", "stats", json=True)["cdr"]
    if st["written"] != 0 or st["database"] != os.path.realpath(tb.cdr_path):
        raise FlowError("cdr stats after the restart: %s" % st)


def export(tb, *args, conf=None):
    argv = [tb.bin("sipgwctl")] + (["-c", conf] if conf else ["-s", tb.ctl_path]) + ["cdr", "export"] + list(args)
    r = subprocess.run(argv, capture_output=True, timeout=30)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def parse_csv(out):
    if "\r\n" not in out:
        raise FlowError("CSV lines do not end CRLF (RFC 4180): %r" % out[:200])
    return list(csv.DictReader(io.StringIO(out, newline="")))


@flow
def cdr_export_csv(tb):
    """CDR: sipgwctl cdr export --csv [--since ISO|epoch] parsed by Python's csv: header, quoting, values, filter."""
    phone = tb.phone("phone", "--answer-after", "0.2", "--hangup-after", "0.3", "--exit-after-calls", "3")
    conf = tb.config([voip_peer(100, "2...", phone.port)])
    gw = tb.gateway(conf)
    for n in range(3):
        pbx = tb.pbx("--call", "2001", "--calling", "555100%d" % n, "--name", 'Smith, "Bob" %d' % n,
                     "--exit-when-done", name="pbx%d" % n)
        if pbx.wait_exit() != 0:
            raise FlowError("call %d failed" % (n + 1))
        tb.wait_cdr(n + 1)
    db_rows = tb.cdr_rows()
    rc, out, err = export(tb, "--csv")
    if rc != 0:
        raise FlowError("cdr export: exit %d: %s" % (rc, err))
    rows = parse_csv(out)
    cols = [k for k in db_rows[0] if k != "seq"]
    if list(rows[0].keys()) != cols or len(rows) != 3:
        raise FlowError("CSV header %s / %d rows; the table has %s" % (list(rows[0].keys()), len(rows), cols))
    for c, d in zip(rows, db_rows):
        for k in cols:
            v = d[k]
            s = "" if v is None else ("%.3f" % v if isinstance(v, float) else str(v))
            if c[k] != s:
                raise FlowError("CSV %s=%r, the table has %r" % (k, c[k], v))
    if [r["outcome"] for r in rows] != ["answered"] * 3:
        raise FlowError("CSV outcomes %s" % [r["outcome"] for r in rows])
    if [r["in_display"] for r in rows] != ['Smith, "Bob" %d' % n for n in range(3)]:
        raise FlowError("CSV quoting: displays %s" % [r["in_display"] for r in rows])
    # the name with its quote reached the phone whole (RFC 3261 25.1 quoted-pair in From)
    # (the phone prints the quoted-string as it came, quoted-pairs and all)
    phone.wait_line(r'EVENT call 3 incoming from=5551002 display="Smith, \\"Bob\\" 2"')
    # --since: the rows that ended at or after the instant (ISO with ms, then epoch seconds)
    rc, out, err = export(tb, "--csv", "--since", db_rows[1]["end_time"])
    got = [r["uuid"] for r in parse_csv(out)]
    if rc != 0 or got != [db_rows[1]["uuid"], db_rows[2]["uuid"]]:
        raise FlowError("--since %s: exit %d, %s %s" % (db_rows[1]["end_time"], rc, got, err))
    rc, out, err = export(tb, "--csv", "--since", "%.3f" % (db_rows[2]["end_ms"] / 1000.0))
    if rc != 0 or [r["uuid"] for r in parse_csv(out)] != [db_rows[2]["uuid"]]:
        raise FlowError("--since epoch: exit %d: %s %s" % (rc, out, err))
    rc, out, err = export(tb, "--csv", "--since", "yesterday")
    if rc != 2 or "not a time" not in err:
        raise FlowError("--since yesterday: exit %d: %s" % (rc, err))
    # the gateway down: -c CONFIG reads the file; the socket says nobody is there
    gw.stop()
    rc, out, err = export(tb, "--csv", conf=conf)
    if rc != 0 or len(parse_csv(out)) != 3:
        raise FlowError("export -c with the gateway stopped: exit %d: %s" % (rc, err))
    rc, out, err = export(tb, "--csv")
    if rc != 3 or "no sipgw is running" not in err:
        raise FlowError("export -s with no gateway: exit %d: %s" % (rc, err))


@flow
def cdr_locked_database_calls_go_on(tb):
    """CDR: another process holds the database's write lock (as a stalled disk would): calls and audio go on, the row waits in memory and is written once the lock goes."""
    phone = tb.phone("phone", "--answer-after", "0.2", "--tone", "1000", "--detect", "2000",
                     "--hangup-after", "1.0", "--exit-after-calls", "1")
    tb.gateway(tb.config([voip_peer(100, "2...", phone.port)]))
    db = sqlite3.connect(tb.cdr_path, timeout=5, isolation_level=None)
    try:
        db.execute("BEGIN EXCLUSIVE")
        pbx = pbx_call(tb, "--tone", "2000", "--detect", "1000")
        if pbx.wait_exit() != 0 or phone.wait_exit() != 0:
            raise FlowError("a call failed while the CDR database was locked")
        fl.check_audio_crossed(pbx, phone)
        expect = fl.PBX_CONNECTED + ["< DISCONNECT cause=16", "> RELEASE", "< RELEASE COMPLETE"]
        fl.expect_ladder("PRI", fl.q931_ladder(pbx.lines()), expect)
        st = tb.ctl("cdr", "stats", json=True)["cdr"]
        if st["queued"] != 1 or st["written"] != 0:
            raise FlowError("cdr stats with the database locked: %s" % st)
    finally:
        db.execute("ROLLBACK")
        db.close()
    r = tb.wait_cdr(1, timeout=10)[0]      # the writer tries again (each second, 2 s busy wait)
    want(r, outcome="answered", cause=16)
