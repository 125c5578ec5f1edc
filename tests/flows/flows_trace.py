# sipgw call-flow tests for traces (issue 13 item 5): the gateway's pcapng
# (trace.pcap, or sipgwctl debug pcap on FILE at run time) read by tshark as
# a carrier's support desk would read it: both sides of a call, Q.931 on
# the span's LINUX_LAPD interface and SIP as UDP, on one time line in the
# order things happened, nothing malformed; rotation by size into K files
# each readable; and the per-call ladder page (trace.ladder_all and
# sipgwctl ladder CALL): HTML that parses, an SVG with the arrows of every
# leg in ladder order, everything from the wire escaped.
# SPDX-License-Identifier: GPL-2.0-only
import glob
import html.parser
import os
import shutil
import subprocess
import time

import flowlib as fl
from flows_transport import sip_keys, tls_front, tls_keys, transport_peer
from flowlib import FlowError, flow, pbx_call, pots_peer, voip_peer

Q931 = {0x05: "SETUP", 0x02: "CALL PROCEEDING", 0x01: "ALERTING", 0x07: "CONNECT", 0x0f: "CONNECT ACKNOWLEDGE",
        0x45: "DISCONNECT", 0x4d: "RELEASE", 0x5a: "RELEASE COMPLETE", 0x46: "RESTART",
        0x4e: "RESTART ACKNOWLEDGE"}
PRI_CALL = ["SETUP", "CALL PROCEEDING", "ALERTING", "CONNECT", "CONNECT ACKNOWLEDGE", "DISCONNECT", "RELEASE",
            "RELEASE COMPLETE"]
SIP_CALL = ["INVITE", "100", "180", "200", "ACK", "BYE", "200"]


def need_tshark():
    if not shutil.which("tshark"):
        raise FlowError("tshark is missing (scripts/install-deps.sh installs it)")


def tshark(*args):
    return subprocess.run(["tshark", "-n"] + list(args), capture_output=True, text=True, timeout=60)


def pcap_messages(path):
    """[(time, 'q931'|'sip', name, direction, interface, src, dst)] in file order: Q.931 by
    message name, SIP by method or status code, direction 'in'/'out' from the pcapng flags."""
    fields = ["frame.time_epoch", "frame.interface_name", "frame.packet_flags_direction", "q931.message_type",
              "sip.Method", "sip.Status-Code", "ip.src", "udp.srcport", "ip.dst", "udp.dstport", "ipv6.src",
              "ipv6.dst"]
    r = tshark("-r", path, "-Y", "q931 || sip", "-T", "fields", "-E", "occurrence=f",
               *sum((["-e", f] for f in fields), []))
    if r.returncode != 0:
        raise FlowError("tshark -r %s failed: %s" % (path, r.stderr))
    out = []
    for line in r.stdout.splitlines():
        f = (line.split("\t") + [""] * len(fields))[:len(fields)]
        t, ifname, flags, mt, method, status, src, sport, dst, dport, src6, dst6 = f
        if src6:
            src, dst = "[%s]" % src6, "[%s]" % dst6
        direction = {"1": "in", "2": "out", "0x00000001": "in", "0x00000002": "out"}.get(flags, flags)
        if mt:
            out.append((float(t), "q931", Q931.get(int(mt, 0), mt), direction, ifname, "", ""))
        else:
            out.append((float(t), "sip", method or status, direction, ifname, "%s:%s" % (src, sport),
                        "%s:%s" % (dst, dport)))
    return out


def wait_in_file(path, name, timeout):
    """Wait until tshark reads a message called name (Q.931 name, SIP method or status) in path."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if any(m[2] == name for m in pcap_messages(path)):
                return
        except FlowError:
            pass            # a block half written: the next look sees it whole
        if time.monotonic() > deadline:
            raise FlowError("%s not in %s within %.1f s of happening" % (name, path, timeout))
        time.sleep(0.1)


def check_clean(path):
    bad = tshark("-r", path, "-Y", "_ws.malformed || _ws.expert.severity == error")
    if bad.returncode != 0 or bad.stdout.strip():
        raise FlowError("tshark finds malformed frames in %s:\n%s%s" % (path, bad.stdout, bad.stderr))


def before(msgs, a, b):
    """The first a (kind, name) comes before the first b in the file, and not later in time."""
    ia = next((i for i, m in enumerate(msgs) if (m[1], m[2]) == a), None)
    ib = next((i for i, m in enumerate(msgs) if (m[1], m[2]) == b), None)
    if ia is None or ib is None or ia > ib or msgs[ia][0] > msgs[ib][0]:
        raise FlowError("%s should come before %s in the pcap: %s" % (a, b, [(m[1], m[2]) for m in msgs]))


def check_call(tb, path, phone, pri_first, host="127.0.0.1"):
    """One answered call in the pcap at path: both ladders whole, interleaved as they happened."""
    check_clean(path)
    msgs = pcap_messages(path)
    times = [m[0] for m in msgs]
    if times != sorted(times):
        raise FlowError("the pcap is not on one time line: %s" % times)
    q = [m for m in msgs if m[1] == "q931" and not m[2].startswith("RESTART")]
    s = [m for m in msgs if m[1] == "sip" and m[2] != "OPTIONS"]
    if [m[2] for m in q] != PRI_CALL:
        raise FlowError("Q.931 in the pcap: %s, want %s" % ([m[2] for m in q], PRI_CALL))
    if [m[2] for m in s] != SIP_CALL:
        raise FlowError("SIP in the pcap: %s, want %s" % ([m[2] for m in s], SIP_CALL))
    # over UDP each message is the very bytes sent: no comment says it was not
    r = tshark("-r", path, "-Y", "sip && frame.comment", "-T", "fields", "-e", "frame.comment")
    if r.stdout.strip():
        raise FlowError("SIP messages not as they were on the wire: %s" % r.stdout)
    if {m[4] for m in q} != {"pbx-a"}:
        raise FlowError("Q.931 frames not on the span's interface: %s" % {m[4] for m in q})
    gw, ph = "%s:%d" % (host, tb.sip_port), "%s:%d" % (host, phone.port)
    invite = s[0]
    if pri_first:
        # B-1: the PBX's SETUP comes in, the gateway's INVITE goes out to the phone
        if (q[0][3], invite[3], invite[5], invite[6]) != ("in", "out", gw, ph):
            raise FlowError("SETUP/INVITE direction or addresses: %s %s" % (q[0], invite))
        before(msgs, ("q931", "SETUP"), ("sip", "INVITE"))
        before(msgs, ("sip", "180"), ("q931", "ALERTING"))
        before(msgs, ("sip", "200"), ("q931", "CONNECT"))
        before(msgs, ("sip", "BYE"), ("q931", "DISCONNECT"))
    else:
        if (invite[3], invite[5], invite[6], q[0][3]) != ("in", ph, gw, "out"):
            raise FlowError("INVITE/SETUP direction or addresses: %s %s" % (invite, q[0]))
        before(msgs, ("sip", "INVITE"), ("q931", "SETUP"))
        before(msgs, ("q931", "ALERTING"), ("sip", "180"))
        before(msgs, ("q931", "CONNECT"), ("sip", "200"))
        before(msgs, ("sip", "BYE"), ("q931", "DISCONNECT"))
    return msgs


def b1_call(tb, extra="", *pbx_args):
    phone = tb.phone("phone", "--answer-after", "0.2", "--hangup-after", "0.4", "--exit-after-calls", "1")
    gw = tb.gateway(tb.config([voip_peer(100, "2...", phone.port)], extra=extra))
    pbx = pbx_call(tb, *pbx_args)
    if pbx.wait_exit() != 0 or phone.wait_exit() != 0:
        raise FlowError("a simulator failed")
    gw.wait_line(r"call 1 .*ended", stream="err")
    return gw, phone


@flow
def trace_pcap_b01(tb):
    """B-1 with trace.pcap: tshark lists SETUP..RELEASE COMPLETE and INVITE..BYE interleaved as
    they happened (SETUP before INVITE, 180 before ALERTING, 200 before CONNECT), addresses and
    directions right, nothing malformed; written out when the gateway stops."""
    need_tshark()
    path = os.path.join(tb.dir, "trace.pcapng")
    gw, phone = b1_call(tb, 'trace = { pcap = "%s"; };\n' % path)
    gw.stop()
    check_call(tb, path, phone, pri_first=True)


@flow
def trace_pcap_sip_to_pri(tb):
    """SIP -> PRI with trace.pcap: INVITE before SETUP, ALERTING before 180, CONNECT before 200."""
    need_tshark()
    path = os.path.join(tb.dir, "trace.pcapng")
    gw = tb.gateway(tb.config([pots_peer(900, "9T")], extra='trace = { pcap = "%s"; };\n' % path))
    pbx = tb.pbx("--exit-when-done", "--answer-after", "0.3")
    pbx.wait_line(r"EVENT dchan up")
    phone = tb.phone("phone", "--call", "sip:95551234@127.0.0.1:%d" % tb.sip_port, "--from", "2001",
                     "--exit-after-calls", "1", "--hangup-after", "0.4")
    if phone.wait_exit() != 0 or pbx.wait_exit() != 0:
        raise FlowError("a simulator failed")
    gw.wait_line(r"call 1 .*ended", stream="err")
    gw.stop()
    check_call(tb, path, phone, pri_first=False)


@flow
def trace_pcap_rotation(tb):
    """trace.pcap_max_kb = 16, pcap_files = 3: calls until the gateway has rotated past three
    files; FILE, FILE.1 and FILE.2 each a whole pcapng tshark reads, none past 16 KiB, no FILE.3.
    With ladder_all on, each of the calls back to back has its own page, SETUP to RELEASE COMPLETE."""
    need_tshark()
    path = os.path.join(tb.dir, "rot.pcapng")
    ldir = os.path.join(tb.dir, "ladders")
    os.mkdir(ldir)
    calls = 12
    phone = tb.phone("phone", "--answer-after", "0", "--hangup-after", "0.05", "--exit-after-calls", str(calls))
    gw = tb.gateway(tb.config([voip_peer(100, "2...", phone.port)],
                              extra='trace = { pcap = "%s"; pcap_max_kb = 16; pcap_files = 3; '
                                    'ladder_dir = "%s"; ladder_all = true; };\n' % (path, ldir)))
    pbx = pbx_call(tb, "--count", str(calls), "--hangup-after", "2")
    if pbx.wait_exit(60) != 0 or phone.wait_exit(60) != 0:
        raise FlowError("a simulator failed")
    gw.wait_line(r"call %d .*ended" % calls, stream="err")
    gw.stop()
    names = [path, path + ".1", path + ".2"]
    for n in names:
        if not os.path.exists(n):
            raise FlowError("%s missing after %d calls: %s" % (n, calls, sorted(glob.glob(path + "*"))))
        if os.path.getsize(n) > 16 * 1024:
            raise FlowError("%s is %d bytes, past pcap_max_kb" % (n, os.path.getsize(n)))
        check_clean(n)
        if not pcap_messages(n):
            raise FlowError("%s has no Q.931 or SIP message" % n)
    if os.path.exists(path + ".3"):
        raise FlowError("a fourth file (pcap_files = 3)")
    # the newest file holds the last call's end; the oldest no longer the first call's SETUP
    last = [m[2] for m in pcap_messages(path)]
    if "RELEASE COMPLETE" not in last:
        raise FlowError("the current file lacks the last call's RELEASE COMPLETE: %s" % last)
    for n in range(1, calls + 1):
        pages = glob.glob(os.path.join(ldir, "call-%d-*.html" % n))
        if len(pages) != 1:
            raise FlowError("call %d: ladder pages %s" % (n, sorted(os.listdir(ldir))))
        labels = [a["label"].split(" (cause ")[0] for a in parse_ladder(open(pages[0]).read()).arrows]
        if labels[0] != "SETUP" or labels[-1] != "RELEASE COMPLETE" or labels.count("SETUP") != 1 or \
                labels.count("INVITE") != 1:
            raise FlowError("call %d's ladder: %s" % (n, labels))


@flow
def trace_debug_pcap_runtime(tb):
    """No trace.pcap in the config: sipgwctl debug pcap on FILE captures the next call; debug pcap
    shows it on with packets counted; debug pcap off closes the file, which tshark reads whole.
    A relative path, or a file that is not a pcapng, is refused and overwritten by nothing."""
    need_tshark()
    phone = tb.phone("phone", "--answer-after", "0.2", "--hangup-after", "0.4", "--exit-after-calls", "1")
    gw = tb.gateway(tb.config([voip_peer(100, "2...", phone.port)]))
    path = os.path.join(tb.dir, "live.pcapng")
    st = tb.ctl("debug", "pcap", json=True)
    if st["pcap"]["state"] != "off":
        raise FlowError("pcap on before asked: %s" % st)
    rc, out, err = tb.ctl("debug", "pcap", "on", "live.pcapng")
    if rc == 0 or "absolute" not in out + err:
        raise FlowError("a relative path taken: rc=%d %s%s" % (rc, out, err))
    for door in ("/proc/self/mem", "/proc/self/fd/0", "/sys/kernel/x.pcapng"):
        rc, out, err = tb.ctl("debug", "pcap", "on", door)
        if rc == 0 or "kernel file system" not in out + err:
            raise FlowError("debug pcap on %s: rc=%d %s%s" % (door, rc, out, err))
    victim = os.path.join(tb.dir, "sipgw.conf")
    before_conf = open(victim).read()
    rc, out, err = tb.ctl("debug", "pcap", "on", victim)
    if rc == 0 or "not a pcapng" not in out + err or open(victim).read() != before_conf:
        raise FlowError("the config file was taken for a pcap: rc=%d %s%s" % (rc, out, err))
    rc, out, err = tb.ctl("debug", "pcap", "on", path)
    if rc != 0 or path not in out:
        raise FlowError("debug pcap on: rc=%d %s%s" % (rc, out, err))
    pbx = pbx_call(tb)
    if pbx.wait_exit() != 0 or phone.wait_exit() != 0:
        raise FlowError("a simulator failed")
    gw.wait_line(r"call 1 .*ended", stream="err")
    st = tb.ctl("debug", "pcap", json=True)
    if st["pcap"]["state"] != "on" or st["pcap"]["file"] != path or st["pcap"]["packets"] < 15:
        raise FlowError("debug pcap during the capture: %s" % st)
    # still capturing, the call is on disk within a second (the flush timer): a support
    # desk may copy the file while the gateway runs
    wait_in_file(path, "RELEASE COMPLETE", timeout=3)
    rc, out, err = tb.ctl("debug", "pcap", "off")
    if rc != 0 or "pcap off" not in out:
        raise FlowError("debug pcap off: rc=%d %s%s" % (rc, out, err))
    check_call(tb, path, phone, pri_first=True)
    # a second capture may overwrite a pcapng (its own earlier file)
    rc, out, err = tb.ctl("debug", "pcap", "on", path)
    if rc != 0:
        raise FlowError("debug pcap on over an old pcapng: rc=%d %s%s" % (rc, out, err))


class SvgLadder(html.parser.HTMLParser):
    """The arrows of the page's SVG in order: (label, x1, x2) of each <g class="msg">, and
    the party names; html.parser raises nothing, so the parse is checked by its result."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.arrows, self.parties, self.title = [], [], ""
        self.stack, self.cur, self.text_class = [], None, None
        self.in_title = False
        self.svg = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.stack.append(tag)
        if tag == "svg":
            self.svg += 1
        if tag == "g" and a.get("class", "").startswith("msg"):
            self.cur = {"label": "", "x1": None, "x2": None}
        if tag == "line" and self.cur is not None:
            self.cur["x1"], self.cur["x2"] = int(a["x1"]), int(a["x2"])
        if tag == "text":
            self.text_class = a.get("class", "")
        if tag == "title" and not self.svg:
            self.in_title = True

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        self.stack.pop()

    def handle_endtag(self, tag):
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()
        if tag == "g" and self.cur is not None:
            self.arrows.append(self.cur)
            self.cur = None
        if tag == "text":
            self.text_class = None
        if tag == "title":
            self.in_title = False

    def handle_data(self, data):
        if self.in_title:
            self.title += data
        if self.text_class == "label" and self.cur is not None:
            self.cur["label"] += data
        if self.text_class == "party":
            self.parties.append(data)


def parse_ladder(page):
    p = SvgLadder()
    p.feed(page)
    p.close()
    if p.svg != 1 or not p.arrows:
        raise FlowError("no SVG ladder in the page:\n" + page[:2000])
    return p


LADDER_B01 = [("SETUP", "in"), ("CALL PROCEEDING", "out"), ("INVITE", "out"), ("100 Trying", "in"),
              ("180 Ringing", "in"), ("ALERTING", "out"), ("200 OK", "in"), ("CONNECT", "out"), ("ACK", "out"),
              ("CONNECT ACKNOWLEDGE", "in"), ("BYE", "in"), ("200 OK", "out"), ("DISCONNECT", "out"),
              ("RELEASE", "in"), ("RELEASE COMPLETE", "out")]


def check_b01_ladder(page, phone):
    p = parse_ladder(page)
    if len(p.parties) != 3 or not p.parties[0].startswith("PBX") or p.parties[1] != "sipgw" or \
            str(phone.port) not in p.parties[2]:
        raise FlowError("ladder columns %s, want PBX | sipgw | the phone" % p.parties)
    got = [a["label"].split(" (cause ")[0] for a in p.arrows]
    causes = [a["label"] for a in p.arrows if " (cause " in a["label"]]
    if causes != ["DISCONNECT (cause 16)", "RELEASE (cause 16)", "RELEASE COMPLETE (cause 16)"]:
        raise FlowError("ladder causes: %s" % causes)
    # the order of two messages sent at once on different legs (CONNECT and ACK, 200 and
    # DISCONNECT) is the gateway's; what the figures fix is each leg's order and the causes
    for label, _ in LADDER_B01:
        if label not in got:
            raise FlowError("ladder lacks %s: %s" % (label, got))
    pri = [l for l in got if l in PRI_CALL]
    sip = [l for l in got if l not in PRI_CALL]
    if pri != PRI_CALL or sip != ["INVITE", "100 Trying", "180 Ringing", "200 OK", "ACK", "BYE", "200 OK"]:
        raise FlowError("ladder order: %s" % got)
    for a, b in (("SETUP", "INVITE"), ("180 Ringing", "ALERTING"), ("BYE", "DISCONNECT")):
        if got.index(a) > got.index(b):
            raise FlowError("ladder: %s after %s: %s" % (a, b, got))
    # arrows point the way the message went: PBX is left of sipgw, the phone right
    xs = {a["label"].split(" (cause ")[0]: (a["x1"], a["x2"]) for a in p.arrows}
    if not (xs["SETUP"][0] < xs["SETUP"][1] and xs["INVITE"][0] < xs["INVITE"][1] and
            xs["180 Ringing"][0] > xs["180 Ringing"][1] and xs["ALERTING"][0] > xs["ALERTING"][1]):
        raise FlowError("arrow directions: %s" % xs)
    return p


@flow
def trace_ladder_b01(tb):
    """B-1 with trace.ladder_all: sipgwctl ladder 1 while the call is up shows it so far; once
    ended, and in the page written at hang-up, the HTML parses, its SVG has PBX | sipgw | phone
    and every message of both legs in ladder order, arrows the right way; ladder of an unknown
    call fails clearly."""
    ldir = os.path.join(tb.dir, "ladders")
    os.mkdir(ldir)
    phone = tb.phone("phone", "--answer-after", "0.2", "--hangup-after", "1.5", "--exit-after-calls", "1")
    gw = tb.gateway(tb.config([voip_peer(100, "2...", phone.port)],
                              extra='trace = { ladder_dir = "%s"; ladder_all = true; };\n' % ldir))
    pbx = pbx_call(tb)
    # while the call is up: its ladder so far, through CONNECT ACKNOWLEDGE, no BYE yet
    gw.wait_line(r"span pbx-a < CONNECT ACKNOWLEDGE", stream="err")
    rc, page, err = tb.ctl("ladder", "1")
    if rc != 0:
        raise FlowError("sipgwctl ladder 1 during the call: rc=%d %s" % (rc, err))
    up = [a["label"] for a in parse_ladder(page).arrows]
    if "CONNECT ACKNOWLEDGE" not in up or "BYE" in up or up[0] != "SETUP":
        raise FlowError("the ladder of the call up: %s" % up)
    if pbx.wait_exit() != 0 or phone.wait_exit() != 0:
        raise FlowError("a simulator failed")
    gw.wait_line(r"call 1 .*ended", stream="err")
    rc, page, err = tb.ctl("ladder", "1")
    if rc != 0:
        raise FlowError("sipgwctl ladder 1: rc=%d %s" % (rc, err))
    p = check_b01_ladder(page, phone)
    if "call 1: 5551000 -> 2001" not in p.title:
        raise FlowError("page title %r" % p.title)
    gw.wait_line(r"ladder: call 1 written to ", stream="err", timeout=10)
    files = glob.glob(os.path.join(ldir, "call-1-*.html"))
    if len(files) != 1:
        raise FlowError("ladder files: %s" % os.listdir(ldir))
    check_b01_ladder(open(files[0]).read(), phone)
    rc, out, err = tb.ctl("ladder", "99")
    if rc == 0 or "no such call" not in out + err:
        raise FlowError("ladder 99: rc=%d %s%s" % (rc, out, err))


@flow
def trace_ladder_escapes(tb):
    """A calling number with <script> in it (from the PBX's SETUP) comes out escaped in the
    ladder page: no <script> element, the text shown as it was."""
    phone = tb.phone("phone", "--answer-after", "0.1", "--hangup-after", "0.2", "--exit-after-calls", "1")
    gw = tb.gateway(tb.config([voip_peer(100, "2...", phone.port)]))
    pbx = tb.pbx("--call", "2001", "--calling", "5<script>x", "--name", "A&B \"<i>\"",
                 "--exit-when-done")
    pbx.wait_exit()
    # (the SIP stack will not put such a user in a From: the call fails, its ladder stays)
    gw.wait_line(r"call 1 .*ended", stream="err")
    rc, page, err = tb.ctl("ladder", "1")
    if rc != 0:
        raise FlowError("sipgwctl ladder 1: rc=%d %s" % (rc, err))
    low = page.lower()
    if "<script" in low or "<i>" in low:
        raise FlowError("wire text not escaped:\n" + page)
    p = parse_ladder(page)
    if "5<script>x" not in p.title:
        raise FlowError("the calling number is not shown as it came: %r" % p.title)
    if [a["label"] for a in p.arrows][:1] != ["SETUP"]:
        raise FlowError("the ladder does not start with the SETUP: %s" % p.arrows)


@flow
@fl.no_pri
def trace_pcap_tls(tb):
    """PBX -> sipgw -TLS-> SIPp with trace.pcap: the SIP messages are in the pcap after
    decryption, written as UDP between the right ports, each saying so in its comment;
    tshark decodes INVITE..BYE with no malformed frame."""
    need_tshark()
    path = os.path.join(tb.dir, "tls.pcapng")
    uas, relay = tls_front(tb)
    tls_port = fl.free_port()
    conf = tb.config([transport_peer(100, "2...", relay.port, "tls")],
                     extra='trace = { pcap = "%s"; };\n' % path)
    sip_keys(conf, tls_keys(tb, tls_port))
    gw = tb.gateway(conf)
    pbx = pbx_call(tb, "--hangup-after", "0.5")
    if pbx.wait_exit() != 0:
        raise FlowError("the PBX simulator failed")
    uas.check_passed()
    gw.wait_line(r"call 1 .*ended", stream="err")
    gw.stop()
    check_clean(path)
    sip = [m for m in pcap_messages(path) if m[1] == "sip"]
    if [m[2] for m in sip] != SIP_CALL:
        raise FlowError("SIP over TLS in the pcap: %s, want %s" % ([m[2] for m in sip], SIP_CALL))
    if (sip[0][5], sip[0][6]) != ("127.0.0.1:%d" % tls_port, "127.0.0.1:%d" % relay.port):
        raise FlowError("INVITE written from %s to %s, want our tls_port to the front" % (sip[0][5], sip[0][6]))
    r = tshark("-r", path, "-Y", "sip", "-T", "fields", "-e", "frame.comment")
    comments = set(r.stdout.split("\n")) - {""}
    if comments != {"SIP over TLS (decrypted), written as UDP"}:
        raise FlowError("the pcap's comments on SIP over TLS: %s" % comments)


@flow
@fl.no_pri
def trace_pcap_ipv6(tb):
    """sip.bind = "::1" and a phone on [::1]: the B-1 call's SIP is IPv6/UDP in the pcap between
    [::1]:sip.port and the phone, interleaved with the Q.931 as it happened."""
    need_tshark()
    import flows_ipv6 as v6
    path = os.path.join(tb.dir, "v6.pcapng")
    phone = v6.phone6(tb, "phone", "--answer-after", "0.2", "--hangup-after", "0.4", "--exit-after-calls", "1")
    gw = tb.gateway(v6.v6_config(tb, [v6.v6_peer(100, "2...", phone.port)],
                                 extra='trace = { pcap = "%s"; };\n' % path))
    pbx = pbx_call(tb)
    if pbx.wait_exit() != 0 or phone.wait_exit() != 0:
        raise FlowError("a simulator failed")
    gw.wait_line(r"call 1 .*ended", stream="err")
    gw.stop()
    check_call(tb, path, phone, pri_first=True, host="[::1]")


@flow
@fl.no_pri
def trace_pcap_wildcard_bind(tb):
    """sip.bind = "::" (every address) and a phone on 127.0.0.1: the pcap gives sipgw's side as
    127.0.0.1:sip.port, the address the kernel sends to the phone from, not "::"."""
    need_tshark()
    import flows_ipv6 as v6
    path = os.path.join(tb.dir, "any.pcapng")
    phone = tb.phone("phone", "--answer-after", "0.2", "--hangup-after", "0.4", "--exit-after-calls", "1")
    gw = tb.gateway(v6.v6_config(tb, [voip_peer(100, "2...", phone.port)], bind="::", rtp="127.0.0.1",
                                 trusted=("127.0.0.1",), extra='trace = { pcap = "%s"; };\n' % path))
    pbx = pbx_call(tb)
    if pbx.wait_exit() != 0 or phone.wait_exit() != 0:
        raise FlowError("a simulator failed")
    gw.wait_line(r"call 1 .*ended", stream="err")
    gw.stop()
    check_call(tb, path, phone, pri_first=True)


@flow
@fl.no_pri
def trace_outlives_debug_sip(tb):
    """At log level notice (no SIP lines in the log), sipgwctl debug sip on then off: Sofia's
    message log stays on for the trace, so the next call's SIP is in the pcap and its ladder."""
    need_tshark()
    path = os.path.join(tb.dir, "quiet.pcapng")
    phone = tb.phone("phone", "--answer-after", "0.2", "--hangup-after", "0.4", "--exit-after-calls", "1")
    conf = tb.config([voip_peer(100, "2...", phone.port)], extra='trace = { pcap = "%s"; };\n' % path)
    with open(conf) as f:
        text = f.read()
    with open(conf, "w") as f:
        f.write(text.replace('level = "info"', 'level = "notice"', 1))
    gw = tb.gateway(conf)
    for onoff in ("on", "off"):
        rc, out, err = tb.ctl("debug", "sip", onoff)
        if rc != 0:
            raise FlowError("debug sip %s: rc=%d %s%s" % (onoff, rc, out, err))
    pbx = pbx_call(tb)
    if pbx.wait_exit() != 0 or phone.wait_exit() != 0:
        raise FlowError("a simulator failed")
    rc, page, err = tb.ctl("ladder", "1")
    labels = [a["label"] for a in parse_ladder(page).arrows] if rc == 0 else []
    if "INVITE" not in labels or "BYE" not in labels:
        raise FlowError("the ladder after debug sip off: rc=%d %s %s" % (rc, labels, err))
    gw.stop()
    check_call(tb, path, phone, pri_first=True)
