# sipgw call-flow tests: the Prometheus endpoint (metrics.listen) scraped
# with curl as Prometheus would, during and after calls, and `sipgwctl show
# stats` beside it. Every scrape is checked whole: by the Prometheus
# project's own parser (python3-prometheus-client) and by the strict reader below (every line HELP, TYPE
# or a sample of the family announced; histogram buckets rising and
# cumulative, ending at +Inf equal to _count).
# SPDX-License-Identifier: GPL-2.0-only
import math
import re
import socket
import subprocess

import flowlib as fl
from flowlib import FlowError, expect_ladder, flow, free_port, pbx_call, q931_ladder, voip_peer

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"')


def parse_exposition(text):
    """The exposition as {(name, ((label, value), ...)): value}; a FlowError for any line or
    family that a strict reader of text format 0.0.4 would refuse."""
    if not text.endswith("\n"):
        raise FlowError("exposition does not end in a newline")
    out, families, fam, ftype, helped = {}, set(), None, None, False
    hists = {}
    for n, ln in enumerate(text.split("\n")[:-1], 1):
        where = "line %d %r" % (n, ln)
        if ln.startswith("# HELP "):
            name = ln.split(" ")[2]
            if name in families:
                raise FlowError("%s: family %s twice" % (where, name))
            families.add(name)
            fam, ftype, helped = name, None, True
            continue
        if ln.startswith("# TYPE "):
            parts = ln.split(" ")
            if len(parts) != 4 or parts[2] != fam or not helped or parts[3] not in ("counter", "gauge", "histogram"):
                raise FlowError("%s: TYPE not right after its HELP" % where)
            ftype = parts[3]
            if ftype == "counter" and not fam.endswith("_total"):
                raise FlowError("%s: a counter not named _total" % where)
            if not fam.startswith("sipgw_"):
                raise FlowError("%s: not a sipgw_ name" % where)
            continue
        m = SAMPLE.match(ln)
        if not m or ftype is None:
            raise FlowError("%s: not a sample of an announced family" % where)
        name, labels, value = m.group(1), tuple(LABEL.findall(m.group(3) or "")), m.group(4)
        want = [fam] if ftype != "histogram" else [fam + "_bucket", fam + "_sum", fam + "_count"]
        if name not in want:
            raise FlowError("%s: sample of %s under family %s" % (where, name, fam))
        v = float(value)    # takes +Inf, -Inf, NaN as Go writes them
        if (name, labels) in out:
            raise FlowError("%s: the same series twice" % where)
        out[(name, labels)] = v
        if ftype == "histogram":
            rest = tuple(kv for kv in labels if kv[0] != "le")
            h = hists.setdefault((fam, rest), {"buckets": [], "sum": None, "count": None})
            if name.endswith("_bucket"):
                le = dict(labels).get("le")
                if le is None:
                    raise FlowError("%s: a bucket without le" % where)
                h["buckets"].append((float(le), v))
            else:
                h[name.rsplit("_", 1)[1]] = v
    for (fam, rest), h in hists.items():
        b = h["buckets"]
        if not b or b[-1][0] != math.inf:
            raise FlowError("histogram %s%s does not end at +Inf" % (fam, rest))
        if any(b[i][0] >= b[i + 1][0] or b[i][1] > b[i + 1][1] for i in range(len(b) - 1)):
            raise FlowError("histogram %s%s: buckets not rising and cumulative: %s" % (fam, rest, b))
        if h["count"] != b[-1][1] or h["sum"] is None:
            raise FlowError("histogram %s%s: _count %s, +Inf bucket %s" % (fam, rest, h["count"], b[-1][1]))
    return out


def client_check(text):
    """The exposition as the Prometheus Python client reads it: every family parses, and its
    samples are the ones the strict reader found."""
    try:
        from prometheus_client.parser import text_string_to_metric_families
    except ImportError:
        raise FlowError("python3-prometheus-client is missing (scripts/install-deps.sh installs it; "
                        "run the flows with /usr/bin/python3)")
    try:
        fams = list(text_string_to_metric_families(text))
    except ValueError as e:
        raise FlowError("the Prometheus client cannot parse the exposition: %s" % e)
    n = sum(len(f.samples) for f in fams)
    lines = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    if n != len(lines):
        raise FlowError("the Prometheus client reads %d samples in %d sample lines" % (n, len(lines)))


def scrape(url):
    """GET url with curl as a scraper does: (status, content type, body)."""
    r = subprocess.run(["curl", "-sS", "--max-time", "5", "-o", "-", "-w", "\n%{http_code} %{content_type}", url],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise FlowError("curl %s: exit %d: %s" % (url, r.returncode, r.stderr))
    body, _, tail = r.stdout.rpartition("\n")
    status, _, ctype = tail.partition(" ")
    return int(status), ctype, body


class Metrics:
    """The gateway's endpoint; scrape() checks the whole page and returns it parsed."""

    def __init__(self, tb, host="127.0.0.1"):
        self.port = free_port()
        self.listen = "%s:%d" % ("[%s]" % host if ":" in host else host, self.port)
        self.url = "http://%s/metrics" % self.listen
        self.conf = 'metrics = { listen = "%s"; };\n' % self.listen

    def scrape(self):
        status, ctype, body = scrape(self.url)
        if status != 200 or ctype != "text/plain; version=0.0.4; charset=utf-8":
            raise FlowError("GET /metrics: %d %r" % (status, ctype))
        client_check(body)
        return parse_exposition(body)


def val(m, name, **labels):
    key = (name, tuple(labels.items()))
    if key not in m:
        raise FlowError("no sample %s%s in %s" % (name, labels, sorted(k for k in m if k[0] == name)))
    return m[key]


def expect(m, want):
    """want: [(name, labels, value)]; every one as the scrape says, else a FlowError listing all."""
    bad = ["%s%s = %s, want %s" % (n, l, val(m, n, **l), v) for n, l, v in want if val(m, n, **l) != v]
    if bad:
        raise FlowError("metrics: " + "; ".join(bad))


def show_stats(tb):
    """sipgwctl show stats, text: {"name{labels}": value}; with --json the same from its table."""
    rc, out, err = tb.ctl("show", "stats")
    if rc != 0:
        raise FlowError("show stats: rc %d %s" % (rc, err))
    lines = out.splitlines()
    if not lines or lines[0].split() != ["metric", "value"]:
        raise FlowError("show stats: header %r" % lines[:1])
    text = {}
    for ln in lines[1:]:
        key, _, v = ln.rpartition(" ")
        text[key.rstrip()] = float(v)
    j = tb.ctl("show", "stats", json=True)
    js = dict(("%s{%s}" % (r["name"], r["labels"]) if r["labels"] else r["name"], float(r["value"]))
              for r in j["stats"])
    if still(js) != still(text):
        raise FlowError("show stats text and --json differ: %s" %
                        sorted(set(still(js).items()) ^ set(still(text).items()))[:6])
    return text


def still(st):
    """The series that stand still between two readings while nothing happens: not the media
    clock's (sipgw_media_*), which move every 20 ms, nor the heap, which each reading moves."""
    return dict((k, v) for k, v in st.items() if not k.startswith(("sipgw_media_", "sipgw_process_heap_")))


def ended(gw, n):
    """Wait until the gateway has freed n calls (its 'ended' line each)."""
    gw.wait_count(r"call \d+ \[\w+\] ended", n, stream="err")


@flow
def metrics_answered_call(tb):
    """During a PBX -> phone call that is answered, a scrape says 1 call active pri->sip, 1 B-channel
    busy on the span and its D-channel up, and show stats says the same; after the hang-up the call
    is completed answered (cause 16, normal class), none active, its setup time and post-dial
    delay observed once."""
    mx = Metrics(tb)
    phone = tb.phone("phone", "--answer-after", "0.3", "--hangup-after", "3", "--exit-after-calls", "1")
    gw = tb.gateway(tb.config([voip_peer(100, "2...", phone.port)], extra=mx.conf))
    gw.wait_line(r"metrics: Prometheus endpoint on http://%s/metrics" % re.escape(mx.listen), stream="err")
    pbx = pbx_call(tb)
    phone.wait_line(r"EVENT call 1 answered")
    pbx.wait_line(r"< CONNECT\b")
    m = mx.scrape()
    expect(m, [("sipgw_calls_active", {"direction": "pri->sip"}, 1),
               ("sipgw_calls_active", {"direction": "sip->pri"}, 0),
               ("sipgw_span_channels_busy", {"span": "pbx-a"}, 1),
               ("sipgw_span_channels", {"span": "pbx-a"}, 23),
               ("sipgw_span_dchannel_up", {"span": "pbx-a"}, 1),
               ("sipgw_calls_completed_total", {"direction": "pri->sip", "outcome": "answered"}, 0)])
    st = show_stats(tb)
    for key in ('sipgw_calls_active{direction="pri->sip"}', 'sipgw_span_channels_busy{span="pbx-a"}',
                'sipgw_span_dchannel_up{span="pbx-a"}'):
        if st.get(key) != 1:
            raise FlowError("show stats during the call: %s = %s, want 1" % (key, st.get(key)))
    # the whole registry: every series the scrape had, with the same value (nothing moves mid-call)
    scraped = dict(("%s{%s}" % (n, ",".join('%s="%s"' % kv for kv in l)) if l else n, v) for (n, l), v in m.items())
    if still(scraped) != still(st) or scraped.keys() != st.keys():
        raise FlowError("show stats and the scrape differ: %s" % sorted(set(scraped.items()) ^ set(st.items()))[:6])
    if pbx.wait_exit() != 0 or phone.wait_exit() != 0:
        raise FlowError("a simulator failed")
    expect_ladder("PRI", q931_ladder(pbx.lines()), fl.PBX_CONNECTED + [
        "< DISCONNECT cause=16", "> RELEASE", "< RELEASE COMPLETE"])
    ended(gw, 1)
    m = mx.scrape()
    expect(m, [("sipgw_calls_active", {"direction": "pri->sip"}, 0),
               ("sipgw_calls_completed_total", {"direction": "pri->sip", "outcome": "answered"}, 1),
               ("sipgw_calls_completed_total", {"direction": "pri->sip", "outcome": "failed"}, 0),
               ("sipgw_calls_cleared_total", {"cause_class": "normal", "cause": "16"}, 1),
               ("sipgw_span_channels_busy", {"span": "pbx-a"}, 0),
               ("sipgw_call_setup_seconds_count", {"direction": "pri->sip"}, 1),
               ("sipgw_call_post_dial_delay_seconds_count", {"direction": "pri->sip"}, 1)])
    # answered after 0.3 s, rung at once: the setup time is in (0.25, 2] s, the delay under 0.25 s
    expect(m, [("sipgw_call_setup_seconds_bucket", {"direction": "pri->sip", "le": "0.25"}, 0),
               ("sipgw_call_setup_seconds_bucket", {"direction": "pri->sip", "le": "2"}, 1),
               ("sipgw_call_post_dial_delay_seconds_bucket", {"direction": "pri->sip", "le": "0.25"}, 1)])
    if val(m, "sipgw_rtp_packets_received_total") < 50:
        raise FlowError("3 s of audio and %d RTP packets counted" % val(m, "sipgw_rtp_packets_received_total"))
    if show_stats(tb).get('sipgw_calls_completed_total{direction="pri->sip",outcome="answered"}') != 1:
        raise FlowError("show stats after the call does not count it answered")


@flow
def metrics_busy_call(tb):
    """A phone that answers 486 Busy Here: the PBX hears cause 17 and the call counts busy."""
    mx = Metrics(tb)
    phone = tb.phone("phone", "--reject", "486", "--exit-after-calls", "1")
    gw = tb.gateway(tb.config([voip_peer(100, "2...", phone.port)], extra=mx.conf))
    pbx = pbx_call(tb)
    pbx.wait_exit()
    if not any("cause=17" in step for step in q931_ladder(pbx.lines())):
        raise FlowError("the PBX did not hear cause 17: %s" % q931_ladder(pbx.lines()))
    ended(gw, 1)
    expect(mx.scrape(), [("sipgw_calls_completed_total", {"direction": "pri->sip", "outcome": "busy"}, 1),
                         ("sipgw_calls_completed_total", {"direction": "pri->sip", "outcome": "answered"}, 0),
                         ("sipgw_calls_cleared_total", {"cause_class": "normal", "cause": "17"}, 1),
                         ("sipgw_call_setup_seconds_count", {"direction": "pri->sip"}, 0),
                         ("sipgw_calls_active", {"direction": "pri->sip"}, 0)])


@flow
@fl.no_pri
def metrics_registrations_and_digest_failures(tb):
    """A phone that registers counts one registration; one that answers the challenge with a
    wrong password counts one digest failure (and is refused 403)."""
    mx = Metrics(tb)
    reg = ('registrar = { realm = "sipgw"; users = ( { user = "2001"; password = "secret1"; }, '
           '{ user = "2002"; password = "secret2"; } ); min_expires = 10; };\n')
    gw = tb.gateway(tb.config([fl.pots_peer(900, "9T")], extra=reg + mx.conf, trusted=()))
    expect(mx.scrape(), [("sipgw_registrations", {}, 0), ("sipgw_sip_digest_failures_total", {}, 0)])
    good = tb.phone("good", "--user", "2001", "--auth", "2001:secret1", "--register",
                    "sip:127.0.0.1:%d" % tb.sip_port)
    good.wait_line(r"EVENT registered expires=")
    gw.wait_line(r"REGISTER 2001 from 127\.0\.0\.1.*for \d+ s", stream="err")
    wrong = tb.phone("wrong", "--user", "2002", "--auth", "2002:guess", "--call",
                     "sip:95551234@127.0.0.1:%d" % tb.sip_port, "--exit-after-calls", "1")
    wrong.wait_exit()
    if "< 403/INVITE" not in fl.sip_ladder(wrong.lines()):
        raise FlowError("a wrong password was not refused: %s" % fl.sip_ladder(wrong.lines()))
    expect(mx.scrape(), [("sipgw_registrations", {}, 1), ("sipgw_sip_digest_failures_total", {}, 1)])
    if show_stats(tb).get("sipgw_sip_digest_failures_total") != 1:
        raise FlowError("show stats does not count the digest failure")


def raw_http(port, data, host="127.0.0.1", timeout=8):
    """Send bytes on a fresh TCP connection; (everything answered, closed by the gateway)."""
    s = socket.create_connection((host, port), timeout=timeout)
    out, closed = b"", False
    try:
        s.sendall(data)
        while True:
            chunk = s.recv(65536)
            if not chunk:
                closed = True
                break
            out += chunk
    except (ConnectionResetError, BrokenPipeError):
        closed = True
    except socket.timeout:
        pass
    finally:
        s.close()
    return out, closed


@flow
def metrics_bad_requests_gateway_serves_on(tb):
    """Other paths 404, other methods 405 (curl), garbage 400, a request over 8 KiB closed unanswered,
    and idle connections past the cap: the endpoint still answers a scrape and the gateway still
    connects a call."""
    mx = Metrics(tb)
    phone = tb.phone("phone", "--answer-after", "0.2", "--hangup-after", "0.5", "--exit-after-calls", "1")
    gw = tb.gateway(tb.config([voip_peer(100, "2...", phone.port)], extra=mx.conf))
    status, _, _ = scrape("http://%s/other" % mx.listen)
    if status != 404:
        raise FlowError("GET /other: %d" % status)
    r = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "-d", "x=1", mx.url],
                       capture_output=True, text=True)
    if r.stdout != "405":
        raise FlowError("POST /metrics: %r" % r.stdout)
    out, closed = raw_http(mx.port, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n")
    if not out.startswith(b"HTTP/1.1 400 ") or not closed:
        raise FlowError("garbage answered %r" % out[:60])
    out, closed = raw_http(mx.port, b"GET /metrics HTTP/1.1\r\nX-Pad: " + b"a" * 9000)
    if out or not closed:
        raise FlowError("an oversized request: answered %r, closed %s" % (out[:60], closed))
    gw.wait_line(r"metrics: request from 127\.0\.0\.1:\d+ over 8192 bytes: closed", stream="err")
    idle = [socket.create_connection(("127.0.0.1", mx.port)) for _ in range(40)]
    try:
        m = mx.scrape()
    finally:
        for s in idle:
            s.close()
    gw.wait_line(r"metrics: 16 connections open: .* closed for a new one", stream="err")
    pbx = pbx_call(tb)
    if pbx.wait_exit() != 0 or phone.wait_exit() != 0:
        raise FlowError("the call after the bad requests failed")
    expect_ladder("PRI", q931_ladder(pbx.lines()), fl.PBX_CONNECTED + [
        "< DISCONNECT cause=16", "> RELEASE", "< RELEASE COMPLETE"])
    ended(gw, 1)
    expect(mx.scrape(), [("sipgw_calls_completed_total", {"direction": "pri->sip", "outcome": "answered"}, 1)])
    if val(m, "sipgw_process_start_time_seconds") <= 0:
        raise FlowError("no start time")
    if val(m, "sipgw_process_heap_bytes") < 100000:  # the spans and the SIP stack alone take more
        raise FlowError("heap in use %s bytes" % val(m, "sipgw_process_heap_bytes"))


@flow
@fl.no_pri
def metrics_ipv6_and_config_errors(tb):
    """metrics.listen on [::1] serves over IPv6; a listen that is not ADDRESS:PORT is refused
    by sipgw -t with file:line; without metrics.listen nothing listens."""
    bad = tb.config([voip_peer(100, "2...", 5999)], extra='metrics = { listen = "localhost:9464"; };\n')
    r = subprocess.run([tb.bin("sipgw"), "-t", "-c", bad], capture_output=True, text=True)
    if r.returncode != 1 or not re.search(r"sipgw\.conf:\d+: metrics listen \"localhost:9464\": not ADDRESS:PORT",
                                          r.stderr):
        raise FlowError("a bad metrics.listen: rc %d %r" % (r.returncode, r.stderr))
    try:
        socket.socket(socket.AF_INET6, socket.SOCK_STREAM).bind(("::1", 0))
    except OSError:
        raise fl.FlowSkip("no ::1 on this machine")
    mx = Metrics(tb, host="::1")
    tb.gateway(tb.config([voip_peer(100, "2...", 5999)], extra=mx.conf))
    expect(mx.scrape(), [("sipgw_calls_active", {"direction": "pri->sip"}, 0)])


@flow
def metrics_overload_refusals(tb):
    """max_call_rate 2/s and a burst of 8 INVITEs: each one refused 503 is one overload refusal
    (method INVITE), counted while the episode is still on; the calls taken are counted as calls."""
    import flows_overload as ov     # run_flows.py has imported it: its flows are not registered again
    mx = Metrics(tb)
    conf = ov.overload_conf(tb, "max_call_rate = 2; max_queue_delay = 0; retry_after = 1;")
    with open(conf, "a") as f:
        f.write(mx.conf)
    gw = tb.gateway(conf)
    pbx = tb.pbx("--answer-after", "0")
    pbx.wait_line(r"EVENT dchan up")
    gw.wait_line(r"B-channels restarted", stream="err")
    burst = [ov.Call(tb, "955502%02d" % i) for i in range(8)]
    try:
        for c in burst:
            c.send_invite()
        taken = [c for c in burst if c.answer().status == 200]
        refused = [c for c in burst if c.final.status == 503]
        if not refused or len(taken) + len(refused) != len(burst):
            raise FlowError("burst of 8 at 2/s: %d taken, %d refused" % (len(taken), len(refused)))
        expect(mx.scrape(), [("sipgw_sip_overload_refusals_total", {"method": "INVITE"}, len(refused)),
                             ("sipgw_sip_overload_refusals_total", {"method": "REGISTER"}, 0),
                             ("sipgw_calls_active", {"direction": "sip->pri"}, len(taken))])
        ov.hang_up(taken)
        ended(gw, len(taken))
        expect(mx.scrape(), [("sipgw_calls_completed_total", {"direction": "sip->pri", "outcome": "answered"},
                              len(taken))])
    finally:
        for c in burst:
            c.close()


@flow
def metrics_no_answer_and_cancelled(tb):
    """A phone that rings past the ring-no-answer timer counts no_answer (cause 19); a PBX caller
    that hangs up while the phone rings counts cancelled; both rang, so each has a post-dial delay
    and neither a setup time."""
    mx = Metrics(tb)
    phone = tb.phone("phone", "--ring-forever", "--exit-after-calls", "2")
    gw = tb.gateway(tb.config([voip_peer(100, "2...", phone.port)], ring_timeout=1, extra=mx.conf))
    pbx = pbx_call(tb)
    pbx.wait_exit()
    if "< DISCONNECT cause=19" not in q931_ladder(pbx.lines()):
        raise FlowError("ring-no-answer: %s" % q931_ladder(pbx.lines()))
    ended(gw, 1)
    pbx = pbx_call(tb, "--cancel-after", "0.3")
    pbx.wait_exit()
    ended(gw, 2)
    expect(mx.scrape(), [
        ("sipgw_calls_completed_total", {"direction": "pri->sip", "outcome": "no_answer"}, 1),
        ("sipgw_calls_completed_total", {"direction": "pri->sip", "outcome": "cancelled"}, 1),
        ("sipgw_calls_cleared_total", {"cause_class": "normal", "cause": "19"}, 1),
        ("sipgw_call_post_dial_delay_seconds_count", {"direction": "pri->sip"}, 2),
        ("sipgw_call_setup_seconds_count", {"direction": "pri->sip"}, 0)])
