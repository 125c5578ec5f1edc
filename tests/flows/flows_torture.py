# sipgw call-flow tests: the RFC 4475 torture messages against a running
# sipgw built with ASan+UBSan. Each message goes to the gateway as written
# (only the first Via is pointed back at the test, RFC 3261 18.2.2, so the
# answer comes here) and its answer is checked against what RFC 4475 says
# for it; where Sofia-SIP's own parser cannot do what the RFC asks, the
# deviation is asserted as it is, with the reason. After the corpus the
# gateway must still carry a normal call and ASan must have said nothing.
# SPDX-License-Identifier: GPL-2.0-only
import os
import random
import re
import socket
import time

import flowlib as fl
from flowlib import FlowError, flow, pots_peer, voip_peer
from sipraw import Response, digest_header, parse_challenge

CORPUS = os.environ.get("SIPGW_TORTURE_DIR",
                        os.path.join(fl.SRCDIR, "..", "shared", "torture", "rfc4475"))
ASAN_BUILD = "build-asan"
SAN_ERRORS = re.compile(r"ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:")

REG = {401, 404}
DROP = "dropped"      # no answer at all (checked against a probe answered after it)

# message -> (RFC 4475 section, what the RFC asks, accepted answers, deviation reason or None).
# "Processed" INVITEs reach the routing, which has no dial-peer for a user that is
# not a number: 404 (cause 1). REGISTERs reach the registrar, which knows no
# user "user" (404, RFC 3261 10.3 step 5) or challenges (401, step 3).
EXPECT = {
    # 3.1.1 valid messages: processed
    "wsinv":      ("3.1.1.1", "valid INVITE; its To has a tag, so for a UAS with no such dialog 481 "
                   "(RFC 3261 12.2.2)", {481}, None),
    "intmeth":    ("3.1.1.2", "valid, unknown method: 501/405", {DROP},
                   "Sofia-SIP's parser takes no '+' or '`' in a method token (RFC 3261 25.1 allows "
                   "both) and stops at the quoted-pair NUL in To's display name: nta logs 'received "
                   "garbage' and drops it before sipgw sees it, so no 501 can be sent"),
    "esc01":      ("3.1.1.3", "valid INVITE (escaped URIs, video m= line): processed", {404}, None),
    "escnull":    ("3.1.1.4", "valid REGISTER (escaped nulls): processed", REG, None),
    "esc02":      ("3.1.1.5", "valid, unknown method RE%47IST%45R: 501/405", {501, 405}, None),
    "lwsdisp":    ("3.1.1.6", "valid OPTIONS: 200", {200}, None),
    "longreq":    ("3.1.1.7", "valid INVITE (long values, video m= line): processed", {404}, None),
    "dblreq":     ("3.1.1.8", "valid REGISTER, trailing octets discarded: processed", REG, None),
    "semiuri":    ("3.1.1.9", "valid OPTIONS: 200", {200}, None),
    "transports": ("3.1.1.10", "valid OPTIONS: 200", {200}, None),
    "mpart01":    ("3.1.1.11", "valid MESSAGE (multipart body): processed (nua answers MESSAGE "
                   "itself)", {200, 405, 415, 501}, None),
    "unreason":   ("3.1.1.12", "valid response, matches nothing: dropped", {DROP}, None),
    "noreason":   ("3.1.1.13", "valid response, matches nothing: dropped", {DROP}, None),
    # 3.1.2 invalid messages
    "badinv01":   ("3.1.2.1", "400", {DROP},
                   "the extra separators are in the Via itself: Sofia-SIP cannot parse it, so it has "
                   "no address for a 400 (RFC 3261 18.2.2) and drops the request; with a good Via "
                   "it answers 400"),
    "clerr":      ("3.1.2.2", "400 (UDP, body shorter than Content-Length)", {400}, None),
    "ncl":        ("3.1.2.3", "400", {400}, None),
    "scalar02":   ("3.1.2.4", "400 (CSeq past 2**32-1)", {400}, None),
    "scalarlg":   ("3.1.2.5", "response: dropped", {DROP}, None),
    "quotbal":    ("3.1.2.6", "400", {400}, None),
    "ltgtruri":   ("3.1.2.7", "400", {400}, None),
    "lwsruri":    ("3.1.2.8", "400, or LWS ignored and processed", {DROP},
                   "the space in the Request-URI leaves 'lr SIP/2.0' where the version goes: nta "
                   "logs 'received garbage' and drops it before sipgw sees it"),
    "lwsstart":   ("3.1.2.9", "400, or extra SP ignored and processed", {400, 404}, None),
    "trws":       ("3.1.2.10", "400, or trailing SP ignored: 200", {400, 200}, None),
    "escruri":    ("3.1.2.11", "400, or escaped headers ignored and processed", {400, 404}, None),
    "baddate":    ("3.1.2.12", "400, or Date ignored and processed", {400, 404}, None),
    "regbadct":   ("3.1.2.13", "400, or processed", REG | {400}, None),
    "badaspec":   ("3.1.2.14", "400, or processed: 200", {400, 200}, None),
    "baddn":      ("3.1.2.15", "400", {400}, None),
    "badvers":    ("3.1.2.16", "505", {505}, None),
    "mismatch01": ("3.1.2.17", "400", {400}, None),
    "mismatch02": ("3.1.2.18", "400", {400}, None),
    "bigcode":    ("3.1.2.19", "response: dropped", {DROP}, None),
    # 3.2 transaction layer
    "badbranch":  ("3.2.1", "400, or RFC 2543 matching: 200", {400, 200}, None),
    # 3.3 application layer
    "insuf":      ("3.3.1", "400", {400}, None),
    "unkscm":     ("3.3.2", "416", {416}, None),
    "novelsc":    ("3.3.3", "416, or 404", {416, 404}, None),
    "unksm2":     ("3.3.4", "registrar: 400 (To is not a SIP URI)", {400}, None),
    "bext01":     ("3.3.5", "420 with Unsupported", {420}, None),
    "invut":      ("3.3.6", "415 with Accept", {415}, None),
    "regaut01":   ("3.3.7", "401 with a scheme we know, or processed as without the field", REG, None),
    "multi01":    ("3.3.8", "400", {400}, None),
    "mcl01":      ("3.3.9", "400", {400}, None),
    "bcast":      ("3.3.10", "response, matches nothing: dropped", {DROP}, None),
    "zeromf":     ("3.3.11", "OPTIONS with Max-Forwards 0 at its UAS: 200", {200}, None),
    "cparam01":   ("3.3.12", "REGISTER: processed", REG, None),
    "cparam02":   ("3.3.13", "REGISTER: processed", REG, None),
    "regescrt":   ("3.3.14", "REGISTER: processed", REG, None),
    "sdp01":      ("3.3.15", "406 (or 400): Accept rules out SDP", {406, 400}, None),
    # 3.4 backward compatibility
    "inv2543":    ("3.4.1", "RFC 2543 INVITE: processed", {404}, None),
}

LWS = rb"(?:[ \t]*\r\n)?[ \t]*"
VIA = re.compile(rb"(?im)^((?:via|v)" + LWS + rb":" + LWS + rb"SIP" + LWS + rb"/" + LWS + rb"[0-9.]+" + LWS +
                 rb"/" + LWS + rb")([A-Za-z]+)(" + LWS + rb")([^;,\s]+)")


# Sent over UDP although its Via says TCP: once nta has taken garbage from a TCP connection it
# reads nothing more from it (the connection stays open, stalled), so the probe after it would
# never be answered. The parser is the same for both transports.
OVER_UDP = {"intmeth"}


COMPACT = {"call-id": "i", "from": "f", "to": "t", "via": "v", "contact": "m", "content-type": "c",
           "content-length": "l", "supported": "k"}


def hget(r, name):
    """A header of a response by its full or its compact name (RFC 3261 7.3.3): Sofia echoes the
    form the request used."""
    v = r.get(name)
    return v if v is not None or name not in COMPACT else r.get(COMPACT[name])


def via_transport(data, name=None):
    """The transport the message says it came over (first Via): UDP, else TCP (no TLS here)."""
    m = VIA.search(data)
    return "UDP" if not m or m.group(2).upper() == b"UDP" or name in OVER_UDP else "TCP"


class Wire:
    """One socket (UDP, or a TCP connection) to the gateway, for one message and what follows it."""

    def __init__(self, gw_port, transport):
        self.transport = transport
        self.gw = ("127.0.0.1", gw_port)
        if transport == "UDP":
            self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.s.bind(("127.0.0.1", 0))
        else:
            self.s = socket.create_connection(self.gw, timeout=5)
        self.me = "127.0.0.1:%d" % self.s.getsockname()[1]
        self.buf = b""
        self.closed = False

    def point_via(self, data):
        """The first Via's transport and sent-by -> this socket, with rport (RFC 3581)."""
        return VIA.sub(lambda m: m.group(1) + self.transport.encode() + m.group(3) + self.me.encode() + b";rport",
                       data, count=1)

    def send(self, data):
        if self.transport == "UDP":
            self.s.sendto(data, self.gw)
        elif not self.closed:
            try:
                self.s.sendall(data)
            except OSError:
                self.closed = True

    def recv(self, deadline):
        """The next response (sipraw.Response), or None at the deadline or when the connection closed."""
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.s.settimeout(left)
            if self.transport == "UDP":
                try:
                    d, _ = self.s.recvfrom(65535)
                except socket.timeout:
                    return None
                return Response(d.decode("utf-8", "replace"))
            msg = self._framed()
            if msg is not None:
                return Response(msg)
            if self.closed:
                return None
            try:
                d = self.s.recv(65535)
            except socket.timeout:
                return None
            except OSError:
                d = b""
            if not d:
                self.closed = True
            self.buf += d

    def _framed(self):
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            return None
        m = re.search(rb"(?im)^(?:content-length|l)[ \t]*:[ \t]*(\d+)", self.buf[:end])
        n = int(m.group(1)) if m else 0
        if len(self.buf) < end + 4 + n:
            return None
        msg, self.buf = self.buf[:end + 4 + n], self.buf[end + 4 + n:]
        return msg.decode("utf-8", "replace")

    def close(self):
        self.s.close()


def request(wire, method, ruri, call_id, cseq, to, from_, extra=(), body=b"", branch=None):
    branch = branch or "z9hG4bK%08x" % random.getrandbits(32)
    lines = ["%s %s SIP/2.0" % (method, ruri),
             "Via: SIP/2.0/%s %s;branch=%s;rport" % (wire.transport, wire.me, branch),
             "Max-Forwards: 70", "From: " + from_, "To: " + to, "Call-ID: " + call_id,
             "CSeq: %d %s" % (cseq, method)] + list(extra) + ["Content-Length: %d" % len(body)]
    wire.send(("\r\n".join(lines) + "\r\n\r\n").encode() + body)


PROBE_USER = "2001"   # a registrar user in every config here


def probe(wire, gw_port, tag):
    """A REGISTER without credentials for a user the registrar has (answered 401, the first half
    of any digest exchange, which counts as no failure), after the message on the same socket.
    sipgw reads a socket in order and answers in order: Sofia answers a malformed request at
    once, the registrar answers through the same event queue as every request that reaches
    sipgw, so once the probe is answered, whatever the message was going to get has been sent."""
    cid = "probe-%s-%08x" % (tag, random.getrandbits(32))
    aor = "<sip:%s@127.0.0.1:%d>" % (PROBE_USER, gw_port)
    request(wire, "REGISTER", "sip:127.0.0.1:%d" % gw_port, cid, 1, aor,
            aor + ";tag=p%06x" % random.getrandbits(24),
            ["Contact: <sip:%s@%s>" % (PROBE_USER, wire.me), "Expires: 60"])
    return cid


def request_line_uri(data):
    first = data.split(b"\r\n", 1)[0].decode("utf-8", "replace")
    m = re.match(r"\S+\s+(.*?)\s+SIP/[0-9.]+\s*$", first)
    return m.group(1) if m else None


def first_via(data):
    """The first Via value of a request as sent, unfolded (RFC 3261 7.3.1)."""
    head = re.sub(rb"\r\n[ \t]+", b" ", data.split(b"\r\n\r\n", 1)[0])
    m = re.search(rb"(?im)^(?:via|v)[ \t]*:[ \t]*([^,\r\n]+)", head)
    return m.group(1).decode("utf-8", "replace").strip() if m else None


def ack_failure(wire, data, r):
    """ACK a non-2xx final answer to an INVITE (RFC 3261 17.1.1.3): the INVITE's Request-URI
    and top Via, the answer's From, To and Call-ID, so it stops retransmitting."""
    ruri, via = request_line_uri(data), first_via(data)
    cseq = (r.get("cseq") or "0").split()[0]
    if not ruri or not via:
        return
    lines = ["ACK %s SIP/2.0" % ruri, "Via: " + via, "Max-Forwards: 70",
             "From: " + (hget(r, "from") or ""), "To: " + (hget(r, "to") or ""),
             "Call-ID: " + (hget(r, "call-id") or ""), "CSeq: %s ACK" % cseq, "Content-Length: 0"]
    wire.send(("\r\n".join(lines) + "\r\n\r\n").encode())


class Dialog:
    """The caller's side of a 200 OK'd INVITE: ACK (RFC 3261 13.2.2.4) and BYE (15.1.1)."""

    def __init__(self, wire, ok):
        self.wire, self.ok = wire, ok
        m = re.search(r"<([^>]+)>", hget(ok, "contact") or "")
        self.target = m.group(1) if m else "sip:127.0.0.1"
        self.cseq = int((ok.get("cseq") or "1").split()[0])

    def ack(self):
        request(self.wire, "ACK", self.target, hget(self.ok, "call-id"), self.cseq, hget(self.ok, "to"),
                hget(self.ok, "from"))

    def bye(self):
        """BYE; its final answer."""
        self.cseq += 1
        request(self.wire, "BYE", self.target, hget(self.ok, "call-id"), self.cseq, hget(self.ok, "to"),
                hget(self.ok, "from"))
        deadline = time.monotonic() + 5
        while True:
            r = self.wire.recv(deadline)
            if r is None or (r.status >= 200 and "BYE" in (r.get("cseq") or "")):
                return r


class Shot:
    """One message sent and everything that came back for it."""

    def __init__(self, name, data, transport):
        self.name, self.data, self.transport = name, data, transport
        self.replies = []
        self.closed = False

    def statuses(self):
        return [r.status for r in self.replies]

    def final(self):
        for r in self.replies:
            if r.status >= 200:
                return r
        return None

    def outcome(self):
        f = self.final()
        if f:
            return f.status
        return DROP

    def summary(self):
        got = " ".join("%d" % s for s in self.statuses()) or "nothing"
        return got + (" (connection closed)" if self.closed else "")


def is_invite(data):
    return data.split(b" ", 1)[0] == b"INVITE"


def fire(gw_port, name, data, wait_final):
    """Send one message; collect its answers until a probe sent after it is answered, and when
    an answer is due, until its final one (5 s at most)."""
    wire = Wire(gw_port, via_transport(data, name))
    data = wire.point_via(data)
    shot = Shot(name, data, wire.transport)
    wire.send(data)
    cid = probe(wire, gw_port, name)
    deadline = time.monotonic() + 5
    probed = False
    while True:
        if probed and (not wait_final or shot.final()):
            break
        r = wire.recv(deadline)
        if r is None:
            break
        if hget(r, "call-id") == cid:
            probed = probed or r.status >= 200
            continue
        shot.replies.append(r)
        if r.status >= 300 and is_invite(data):
            ack_failure(wire, data, r)
        elif 200 <= r.status < 300 and is_invite(data):
            d = Dialog(wire, r)
            d.ack()
            d.bye()
    shot.closed = wire.closed
    shot.probed = probed
    shot.wire = wire
    return shot


def corpus_files():
    if not os.path.isdir(CORPUS):
        raise FlowError("no RFC 4475 corpus at %s (SIPGW_TORTURE_DIR)" % CORPUS)
    names = sorted(f[:-4] for f in os.listdir(CORPUS) if f.endswith(".dat"))
    if set(names) != set(EXPECT):
        raise FlowError("corpus and expectations differ: only in corpus %s, only here %s" %
                        (sorted(set(names) - set(EXPECT)), sorted(set(EXPECT) - set(names))))
    return names


def read_msg(name):
    with open(os.path.join(CORPUS, name + ".dat"), "rb") as f:
        return f.read()


def asan_gateway(tb, conf):
    """sipgw from the ASan+UBSan build (make flows builds it); UBSan stops at the first error."""
    path = os.path.join(fl.SRCDIR, ASAN_BUILD, "sipgw")
    if not os.access(path, os.X_OK):
        raise FlowError("%s is missing: make asan-sipgw" % path)
    # Leaks fail too; the one libpri instance a span keeps for life (libpri cannot free
    # it) is suppressed in tests/lsan.supp.
    env = ["ASAN_OPTIONS=detect_leaks=1:abort_on_error=1",
           "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1",
           "LSAN_OPTIONS=suppressions=%s:print_suppressions=0" % os.path.join(fl.SRCDIR, "tests", "lsan.supp")]
    gw = tb.start("sipgw", ["env"] + env + [path, "-c", conf])
    gw.wait_line(r"sipgw running", stream="err", timeout=20)
    return gw


PSTN = "95551234"   # 9 + number: pots dial-peer 9T to the PBX


def torture_conf(tb, phone):
    """A trusted source (127.0.0.1); the phone at 2001 behind a voip dial-peer; 9T to the PBX; a
    registrar (in memory) with user 2001."""
    extra = ('registrar = { realm = "sipgw"; database = ""; '
             'users = ( { user = "2001"; password = "secret1"; } ); };\n')
    return tb.config([voip_peer(100, "2...", phone.port), pots_peer(900, "9T")], extra=extra)


def answering_pbx(tb):
    pbx = tb.pbx("--answer-after", "0", "--timeout", "300")
    pbx.wait_line(r"EVENT dchan up", timeout=10)
    return pbx


def check_san(gw):
    bad = [l for l in gw.errlines() if SAN_ERRORS.search(l)]
    if bad:
        raise FlowError("sanitizer report in sipgw's stderr:\n  " + "\n  ".join(bad[:20]))


def normal_call(tb, gw_port, pbx):
    """An ordinary INVITE to the PSTN: the PBX answers, 200 with a G.711 answer, ACK, BYE 200."""
    wire = Wire(gw_port, "UDP")
    cid = "after-torture-%08x@127.0.0.1" % random.getrandbits(32)
    ruri = "sip:%s@127.0.0.1:%d;user=phone" % (PSTN, gw_port)
    sdp = ("v=0\r\no=t 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
           "m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n" % (int(wire.me.split(":")[1]) + 1))
    request(wire, "INVITE", ruri, cid, 1, "<%s>" % ruri, "<sip:1000@127.0.0.1>;tag=n1",
            ["Contact: <sip:1000@%s>" % wire.me, "Content-Type: application/sdp"], sdp.encode())
    deadline = time.monotonic() + 10
    while True:
        r = wire.recv(deadline)
        if r is None:
            raise FlowError("normal call after the corpus: no final answer to the INVITE")
        if r.status >= 200:
            break
    if r.status != 200 or not re.search(r"m=audio [1-9]\d* RTP/AVP 0", r.text):
        raise FlowError("normal call after the corpus: %d\n%s" % (r.status, r.text))
    d = Dialog(wire, r)
    d.ack()
    pbx.wait_line(r"Q931 > CONNECT ", timeout=5)
    b = d.bye()
    if b is None or b.status != 200:
        raise FlowError("normal call after the corpus: BYE answered %s" % (b.status if b else "nothing"))
    wire.close()


def judge(shot, expect):
    """'' when the answer is what the table accepts, else why not."""
    sec, rfc, ok, _ = expect
    got = shot.outcome()
    if got not in ok:
        return "got %s, want %s (RFC 4475 %s: %s)" % (shot.summary(), "/".join(map(str, sorted(ok, key=str))),
                                                      sec, rfc)
    if got == DROP and not shot.probed:
        return "no answer to the probe sent after it: the gateway stopped answering"
    if shot.name == "invut":
        f = shot.final()
        if not re.search(r"(?i)\bapplication/sdp\b", f.get("accept") or ""):
            return "415 without Accept: application/sdp (RFC 3261 21.4.13): Accept %r" % f.get("accept")
    if shot.name == "bext01" and got == 420:
        if not shot.final().get("unsupported"):
            return "420 without Unsupported (RFC 3261 8.2.2.3)"
    if shot.name == "sdp01" and got == 406 and not shot.final().get("warning"):
        return "406 without a Warning saying why"
    return ""


@flow
def torture_rfc4475_corpus(tb):
    """RFC 4475: every torture message answered as the RFC says (or a listed deviation); then a
    normal call, sipgw alive, nothing from ASan/UBSan."""
    names = corpus_files()
    phone = tb.phone("phone", "--answer-after", "0", "--timeout", "300", "-q")
    gw = asan_gateway(tb, torture_conf(tb, phone))
    pbx = answering_pbx(tb)
    rows, failures, shots = [], [], []
    for name in names:
        data = read_msg(name)
        shot = fire(tb.sip_port, name, data, wait_final=EXPECT[name][2] != {DROP})
        shots.append(shot)
        why = judge(shot, EXPECT[name])
        dev = EXPECT[name][3]
        rows.append("%-10s %-8s %-3s -> %-24s %s" % (name, EXPECT[name][0], shot.transport, shot.summary(),
                                                 "FAIL " + why if why else ("deviation: " + dev if dev else "ok")))
        if why:
            failures.append("%s: %s" % (name, why))
        if gw.p.poll() is not None:
            failures.append("sipgw exited (rc %s) after %s" % (gw.p.returncode, name))
            break
    with open(os.path.join(tb.dir, "torture-table.txt"), "w") as f:
        f.write("\n".join(rows) + "\n")
    for s in shots:
        s.wire.close()
    check_san(gw)
    if failures:
        raise FlowError("RFC 4475:\n  " + "\n  ".join(failures) + "\n" + "\n".join(rows))
    # regaut01 for a user the registrar has: the unknown scheme is ignored and a Digest
    # challenge comes back (RFC 4475 3.3.7, RFC 3261 22.1).
    shot = fire(tb.sip_port, "regaut01-2001", read_msg("regaut01").replace(b"j.user@", b"2001@"), True)
    f = shot.final()
    if not f or f.status != 401 or not (f.get("www-authenticate") or "").startswith("Digest "):
        raise FlowError("regaut01 for user 2001: %s, want 401 with a Digest challenge" % shot.summary())
    shot.wire.close()
    # A normal call each way: SIP -> PRI, then (the PBX simulator reconnected as a caller) PRI -> SIP.
    normal_call(tb, tb.sip_port, pbx)
    pbx.stop()
    pbx = tb.pbx("--call", "2001", "--calling", "5551000", "--hangup-after", "1", "--exit-when-done",
                 name="pbx-caller")
    if pbx.wait_exit(20) != 0:
        raise FlowError("PBX call to the phone after the corpus failed")
    lad = fl.q931_ladder(pbx.lines())
    if "< CONNECT" not in lad or not any(x.startswith("> DISCONNECT") for x in lad):
        raise FlowError("PBX call after the corpus: %s" % lad)
    if gw.p.poll() is not None:
        raise FlowError("sipgw exited (rc %s)" % gw.p.returncode)
    gw.stop()
    if gw.p.returncode != 0:
        raise FlowError("sipgw exit status %s after SIGTERM" % gw.p.returncode)
    check_san(gw)


def media_lines(text):
    """[(type, port, fmts)] of the m= lines in a message's SDP body."""
    body = text.split("\r\n\r\n", 1)[1] if "\r\n\r\n" in text else ""
    return [(m.group(1), int(m.group(2)), m.group(3).split())
            for m in re.finditer(r"(?m)^m=(\S+) (\d+) \S+ ([^\r\n]*)", body)]


def pointed_at_pstn(data, rtp_port):
    """The message with its Request-URI user -> PSTN (the PBX's dial-peer), its c= addresses
    192.0.2.x -> 127.0.0.x and its audio port -> ours (same lengths: Content-Length holds)."""
    first, rest = data.split(b"\r\n", 1)
    first = re.sub(rb"^(\S+\s+sip:)[^@]+@", rb"\g<1>" + PSTN.encode() + b"@", first)
    rest = re.sub(rb"(?m)^c=IN IP4 192\.0\.2\.", b"c=IN IP4 127.0.0.", rest)
    rest = re.sub(rb"(?m)^m=audio \d{5} ", b"m=audio %d " % rtp_port, rest)
    return first + b"\r\n" + rest


# The INVITEs of the corpus that are processed and offer audio and video (wsinv too, but its To
# tag makes it a request in a dialog that does not exist: 481 before any SDP is read).
VIDEO_OFFERS = ("esc01", "longreq", "lwsstart", "escruri", "baddate")


@flow
def torture_video_line_refused_port0(tb):
    """RFC 4475 esc01, longreq, lwsstart, escruri, baddate to the PBX: the video m= line (a=rtpmap:31
    LPC, no clock rate) refused with port 0, the audio answered, in offer order (RFC 3264 6); a
    video-only offer is 488 with warning 304."""
    phone = tb.phone("phone", "--answer-after", "0", "--timeout", "120", "-q")
    gw = asan_gateway(tb, torture_conf(tb, phone))
    answering_pbx(tb)
    rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rtp.bind(("127.0.0.1", 0))
    rtp_port = rtp.getsockname()[1]
    if not 10000 <= rtp_port <= 65535:
        raise FlowError("RTP port %d is not 5 digits" % rtp_port)
    for name in VIDEO_OFFERS:
        wire = Wire(tb.sip_port, via_transport(read_msg(name)))
        data = wire.point_via(pointed_at_pstn(read_msg(name), rtp_port))
        wire.send(data)
        deadline = time.monotonic() + 10
        while True:
            r = wire.recv(deadline)
            if r is None or r.status >= 200:
                break
        if r is None or r.status != 200:
            raise FlowError("%s to %s: %s, want 200" % (name, PSTN, r.status if r else "no final answer"))
        d = Dialog(wire, r)
        d.ack()
        ml = media_lines(r.text)
        want = [("audio", "port > 0", ["0", "101"]), ("video", 0, ["31"])]
        if len(ml) != 2 or ml[0][0] != "audio" or ml[0][1] == 0 or ml[0][2][0] != "0" or \
                ml[1][:2] != ("video", 0):
            raise FlowError("%s: answer m= lines %s, want %s\n%s" % (name, ml, want, r.text))
        b = d.bye()
        if b is None or b.status != 200:
            raise FlowError("%s: BYE answered %s" % (name, b.status if b else "nothing"))
        wire.close()
    # Only video on offer: 488 with warning 304 (RFC 3261 20.43: media type not available).
    wire = Wire(tb.sip_port, "UDP")
    video = (b"v=0\r\no=t 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
             b"m=video %d RTP/AVP 31\r\n" % rtp_port)
    ruri = "sip:%s@127.0.0.1:%d" % (PSTN, tb.sip_port)
    request(wire, "INVITE", ruri, "video-only-%08x" % random.getrandbits(32), 1, "<%s>" % ruri,
            "<sip:1000@127.0.0.1>;tag=v1", ["Contact: <sip:1000@%s>" % wire.me, "Content-Type: application/sdp"],
            video)
    deadline = time.monotonic() + 5
    while True:
        r = wire.recv(deadline)
        if r is None or r.status >= 200:
            break
    if r is None or r.status != 488 or not (r.get("warning") or "").startswith("304 "):
        raise FlowError("video-only offer: %s warning %s, want 488 with warning 304" %
                        (r.status if r else "nothing", r.get("warning") if r else None))
    rtp.close()
    if gw.p.poll() is not None:
        raise FlowError("sipgw exited (rc %s)" % gw.p.returncode)
    gw.stop()
    check_san(gw)


def with_credentials(data, chal, user, password):
    """The REGISTER again as a new transaction (new branch, CSeq + 1) with a Digest answer to chal
    for its own Request-URI (RFC 3261 22.2)."""
    ruri = request_line_uri(data)
    auth = digest_header(chal, "REGISTER", ruri, user, password)
    data = re.sub(rb"branch=z9hG4bK[^;,\s]*", b"branch=z9hG4bK%08x" % random.getrandbits(32), data, count=1)
    data = re.sub(rb"(?im)^(cseq[ \t]*:[ \t]*)(\d+)", lambda m: m.group(1) + b"%d" % (int(m.group(2)) + 1),
                  data, count=1)
    head, body = data.split(b"\r\n\r\n", 1)
    return head + b"\r\nAuthorization: " + auth.encode() + b"\r\n\r\n" + body


# REGISTERs whose bindings RFC 4475 says how to keep: (message, user, what the 200's Contact
# must show, what it must not).
BINDINGS = (
    # 3.3.12: unenclosed, so ;unknownparam is a contact-param, not part of the URI (RFC 3261 20.10)
    ("cparam01", "watson", "<sip:+19725552222@gw1.example.net>", ";unknownparam>"),
    # 3.3.13: enclosed, so it is a url-parameter and stays in the binding
    ("cparam02", "watson", "<sip:+19725552222@gw1.example.net;unknownparam>", None),
    # 3.3.14: the escaped Route header stays in the binding's URI
    ("regescrt", "user", "<sip:user@example.com?Route=%3Csip:sip.example.com%3E>", None),
)


@flow
def torture_register_bindings(tb):
    """RFC 4475 cparam01, cparam02, regescrt answered with credentials: 200, and each binding keeps
    (or leaves out) the parameter or escaped header the RFC names."""
    extra = ('registrar = { realm = "sipgw"; database = ""; users = ( { user = "watson"; password = "w1"; }, '
             '{ user = "user"; password = "u1"; }, { user = "%s"; password = "p1"; } ); };\n' % PROBE_USER)
    gw = asan_gateway(tb, tb.config([pots_peer(900, "9T")], extra=extra))
    passwords = {"watson": "w1", "user": "u1"}
    for name, user, want, unwanted in BINDINGS:
        data = read_msg(name)
        shot = fire(tb.sip_port, name, data, True)
        f = shot.final()
        if not f or f.status != 401:
            raise FlowError("%s: %s, want a 401 challenge" % (name, shot.summary()))
        shot.wire.close()
        data = with_credentials(data, parse_challenge(f.get("www-authenticate")), user, passwords[user])
        shot = fire(tb.sip_port, name + "-auth", data, True)
        f = shot.final()
        if not f or f.status != 200:
            raise FlowError("%s with credentials: %s, want 200" % (name, shot.summary()))
        contacts = ", ".join(f.all("contact") + f.all("m"))
        if want not in contacts or (unwanted and unwanted in contacts):
            raise FlowError("%s: 200 lists %r, want %s%s" % (name, contacts, want,
                                                             " and no " + unwanted if unwanted else ""))
        shot.wire.close()
    if gw.p.poll() is not None:
        raise FlowError("sipgw exited (rc %s)" % gw.p.returncode)
    gw.stop()
    check_san(gw)
