# A raw SIP client for the tests that must send what no well-behaved phone
# sends: a broken header, a replayed Authorization, a wrong password.
# RFC 3261 messages over UDP on 127.0.0.1; digest as in RFC 2617.
# SPDX-License-Identifier: GPL-2.0-only
import hashlib
import random
import re
import socket


def md5(s):
    return hashlib.md5(s.encode()).hexdigest()


def parse_challenge(value):
    """'Digest realm="x", nonce="y", qop="auth"' -> {'realm': 'x', ...}."""
    return {k.lower(): v.strip('"') for k, v in re.findall(r'(\w+)=("[^"]*"|[^,\s]+)', value)}


def digest_header(chal, method, uri, user, password, nc=1, cnonce="0a4f113b"):
    ha1 = md5("%s:%s:%s" % (user, chal["realm"], password))
    ha2 = md5("%s:%s" % (method, uri))
    ncs = "%08x" % nc
    if "qop" in chal:
        resp = md5("%s:%s:%s:%s:auth:%s" % (ha1, chal["nonce"], ncs, cnonce, ha2))
        return ('Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", '
                'algorithm=MD5, qop=auth, nc=%s, cnonce="%s"' %
                (user, chal["realm"], chal["nonce"], uri, resp, ncs, cnonce))
    resp = md5("%s:%s:%s" % (ha1, chal["nonce"], ha2))
    return ('Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", algorithm=MD5' %
            (user, chal["realm"], chal["nonce"], uri, resp))


class Response:
    def __init__(self, text):
        self.text = text
        head = text.split("\r\n\r\n", 1)[0].split("\r\n")
        m = re.match(r"SIP/2\.0 (\d{3}) ?(.*)", head[0])
        self.status = int(m.group(1)) if m else 0
        self.phrase = m.group(2) if m else ""
        self.headers = []
        for ln in head[1:]:
            if ":" in ln:
                k, v = ln.split(":", 1)
                self.headers.append((k.strip().lower(), v.strip()))

    def get(self, name):
        for k, v in self.headers:
            if k == name.lower():
                return v
        return None

    def all(self, name):
        return [v for k, v in self.headers if k == name.lower()]


class RawUA:
    def __init__(self, gw_port, user, local="127.0.0.1"):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind((local, 0))
        self.local = local
        self.port = self.s.getsockname()[1]
        self.gw = ("127.0.0.1", gw_port)
        self.user = user
        self.call_id = "%08x@raw" % random.getrandbits(32)
        self.cseq = 0
        self.tag = "%06x" % random.getrandbits(24)

    def close(self):
        self.s.close()

    def send(self, text):
        self.s.sendto(text.encode(), self.gw)

    def recv_final(self, timeout=5.0):
        """The first final (>= 200) response; provisional ones are skipped."""
        self.s.settimeout(timeout)
        while True:
            data, _ = self.s.recvfrom(65535)
            r = Response(data.decode(errors="replace"))
            if r.status >= 200:
                return r

    def request(self, method, ruri, to, headers=(), body="", cseq=None, contact=None):
        if cseq is None:
            self.cseq += 1
            cseq = self.cseq
        branch = "z9hG4bK%08x" % random.getrandbits(32)
        lines = ["%s %s SIP/2.0" % (method, ruri),
                 "Via: SIP/2.0/UDP %s:%d;branch=%s;rport" % (self.local, self.port, branch),
                 "Max-Forwards: 70",
                 "From: <sip:%s@127.0.0.1>;tag=%s" % (self.user, self.tag),
                 "To: <%s>" % to,
                 "Call-ID: %s" % self.call_id,
                 "CSeq: %s %s" % (cseq, method),
                 "Contact: " + (contact or "<sip:%s@%s:%d>" % (self.user, self.local, self.port))]
        lines += list(headers)
        if body:
            lines.append("Content-Type: application/sdp")
        lines.append("Content-Length: %d" % len(body.encode()))
        self.send("\r\n".join(lines) + "\r\n\r\n" + body)
        return branch

    def register(self, expires=3600, headers=(), auth=None, contact=None, cseq=None):
        aor = "sip:%s@127.0.0.1:%d" % (self.user, self.gw[1])
        h = ["Expires: %d" % expires] + list(headers)
        if auth:
            h.append("Authorization: " + auth)
        self.request("REGISTER", "sip:127.0.0.1:%d" % self.gw[1], aor, h, contact=contact, cseq=cseq)
        return self.recv_final()

    def register_auth(self, password, expires=3600, contact=None, cseq=None):
        """REGISTER, answer the 401 (with CSeq cseq if given), return the final response."""
        r = self.register(expires, contact=contact)
        if r.status != 401:
            return r
        ch = parse_challenge(r.get("www-authenticate"))
        auth = digest_header(ch, "REGISTER", "sip:127.0.0.1:%d" % self.gw[1], self.user, password)
        return self.register(expires, auth=auth, contact=contact, cseq=cseq)

    def sdp(self):
        return ("v=0\r\no=raw 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
                "t=0 0\r\nm=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n" % (self.port + 1))

    def invite(self, number, auth=None):
        ruri = "sip:%s@127.0.0.1:%d;user=phone" % (number, self.gw[1])
        h = ["Proxy-Authorization: " + auth] if auth else []
        self.request("INVITE", ruri, ruri, h, self.sdp())
        r = self.recv_final()
        self.ack(ruri, r)
        return r

    def ack(self, ruri, resp):
        """ACK a non-2xx final response (RFC 3261 17.1.1.3): same branch as the INVITE."""
        via = resp.get("via")
        to = resp.get("to")
        lines = ["ACK %s SIP/2.0" % ruri, "Via: " + via, "Max-Forwards: 70",
                 "From: <sip:%s@127.0.0.1>;tag=%s" % (self.user, self.tag), "To: " + to,
                 "Call-ID: %s" % self.call_id, "CSeq: %d ACK" % self.cseq, "Content-Length: 0"]
        if resp.status >= 300:
            self.send("\r\n".join(lines) + "\r\n\r\n")


class RawUAS:
    """A SIP peer that answers every INVITE it gets with one final response
    of the test's choosing (a 3xx with Contacts, say), and counts what came."""

    def __init__(self):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind(("127.0.0.1", 0))
        self.port = self.s.getsockname()[1]
        self.requests = []

    def close(self):
        self.s.close()

    def answer_invite(self, status, phrase, headers=(), timeout=10.0):
        """Wait for an INVITE, answer it; then wait for the ACK. Returns the INVITE's text."""
        self.s.settimeout(timeout)
        while True:
            data, addr = self.s.recvfrom(65535)
            text = data.decode(errors="replace")
            self.requests.append(text.split("\r\n", 1)[0])
            if text.startswith("INVITE "):
                break
        head = text.split("\r\n\r\n", 1)[0].split("\r\n")

        def hdr(name):
            return [ln.split(":", 1)[1].strip() for ln in head[1:] if ln.split(":", 1)[0].strip().lower() == name]
        lines = ["SIP/2.0 %d %s" % (status, phrase)]
        lines += ["Via: " + v for v in hdr("via")]
        lines += ["From: " + hdr("from")[0], "To: %s;tag=raw%d" % (hdr("to")[0], self.port),
                  "Call-ID: " + hdr("call-id")[0], "CSeq: " + hdr("cseq")[0]]
        lines += list(headers) + ["Content-Length: 0"]
        self.s.sendto(("\r\n".join(lines) + "\r\n\r\n").encode(), addr)
        self.s.settimeout(5.0)
        while True:
            data, _ = self.s.recvfrom(65535)
            first = data.decode(errors="replace").split("\r\n", 1)[0]
            self.requests.append(first)
            if first.startswith("ACK "):
                return text

    def quiet_for(self, seconds):
        """True when nothing arrives for seconds (what a peer nobody calls sees)."""
        self.s.settimeout(seconds)
        try:
            data, _ = self.s.recvfrom(65535)
            self.requests.append(data.decode(errors="replace").split("\r\n", 1)[0])
            return False
        except socket.timeout:
            return True
