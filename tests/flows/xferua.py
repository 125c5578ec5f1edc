# A small SIP phone for the transfer tests, until the phone simulator sends
# REFER: it answers INVITEs, places calls, and sends what a transferring
# phone sends in a dialog (REFER with or without Replaces, RFC 3515/3891;
# BYE with Also), answering the NOTIFYs and BYEs that come back. Every
# message in or out goes to a ladder the tests assert on.
# SPDX-License-Identifier: GPL-2.0-only
import random
import re
import socket
import time

import sipraw


def _hdrs(text):
    head = text.split("\r\n\r\n", 1)[0].split("\r\n")
    out = []
    for ln in head[1:]:
        if ":" in ln:
            k, v = ln.split(":", 1)
            out.append((k.strip().lower(), v.strip()))
    return head[0], out


class Msg:
    def __init__(self, text, addr):
        self.text = text
        self.addr = addr
        self.first, self.headers = _hdrs(text)
        self.body = text.split("\r\n\r\n", 1)[1] if "\r\n\r\n" in text else ""
        m = re.match(r"SIP/2\.0 (\d{3})", self.first)
        self.status = int(m.group(1)) if m else 0
        self.method = self.first.split(" ", 1)[0] if not self.status else self.get("cseq").split()[1]

    def get(self, name):
        for k, v in self.headers:
            if k == name:
                return v
        return None

    def all(self, name):
        return [v for k, v in self.headers if k == name]


def tag_of(v):
    m = re.search(r";tag=([^;>\s]+)", v or "")
    return m.group(1) if m else ""


def uri_of(v):
    m = re.search(r"<([^>]+)>", v)
    return m.group(1) if m else v.split(";")[0]


class Dialog:
    def __init__(self, call_id, local, remote, target, local_tag, remote_tag):
        self.call_id, self.local, self.remote, self.target = call_id, local, remote, target
        self.local_tag, self.remote_tag = local_tag, remote_tag
        self.cseq = 100

    def replaces(self, quoted=True):
        """Replaces value naming this dialog as the gateway (its far end) holds it
        (RFC 3891 3: to-tag is the gateway's tag, from-tag ours)."""
        v = "%s;to-tag=%s;from-tag=%s" % (self.call_id, self.remote_tag, self.local_tag)
        return v.replace("@", "%40").replace(";", "%3B").replace("=", "%3D") if quoted else v


class XferUA:
    def __init__(self, gw_port, user="2001"):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind(("127.0.0.1", 0))
        self.port = self.s.getsockname()[1]
        self.rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)   # absorbs the gateway's RTP
        self.rtp.bind(("127.0.0.1", 0))
        self.rtp_port = self.rtp.getsockname()[1]
        self.gw = ("127.0.0.1", gw_port)
        self.user = user
        self.ladder = []        # ('<' | '>', 'INVITE' | '200/INVITE' ...), as sip_ladder
        self.msgs = []          # every Msg received
        self.dialogs = []

    def close(self):
        self.s.close()
        self.rtp.close()

    def contact(self):
        return "<sip:%s@127.0.0.1:%d>" % (self.user, self.port)

    def sdp(self):
        return ("v=0\r\no=xfer 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                "m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n" % self.rtp_port)

    def _send(self, text, addr, what):
        self.ladder.append("> " + what)
        self.s.sendto(text.encode(), addr)

    def _respond(self, req, status, phrase, to_tag=None, body="", extra=()):
        lines = ["SIP/2.0 %d %s" % (status, phrase)]
        lines += ["Via: " + v for v in req.all("via")]
        to = req.get("to")
        if to_tag and not tag_of(to):
            to += ";tag=" + to_tag
        lines += ["From: " + req.get("from"), "To: " + to, "Call-ID: " + req.get("call-id"),
                  "CSeq: " + req.get("cseq"), "Contact: " + self.contact()] + list(extra)
        if body:
            lines.append("Content-Type: application/sdp")
        lines.append("Content-Length: %d" % len(body))
        self._send("\r\n".join(lines) + "\r\n\r\n" + body, req.addr, "%d/%s" % (status, req.method))

    def request(self, dlg, method, headers=(), body="", ctype="application/sdp"):
        dlg.cseq += 1
        branch = "z9hG4bK%08x" % random.getrandbits(32)
        m = re.match(r"sip:(?:[^@]+@)?([^:;>]+):?(\d+)?", dlg.target)
        addr = (m.group(1), int(m.group(2) or 5060))
        lines = ["%s %s SIP/2.0" % (method, dlg.target),
                 "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=%s;rport" % (self.port, branch),
                 "Max-Forwards: 70",
                 "From: <%s>;tag=%s" % (dlg.local, dlg.local_tag),
                 "To: <%s>%s" % (dlg.remote, ";tag=" + dlg.remote_tag if dlg.remote_tag else ""),
                 "Call-ID: " + dlg.call_id, "CSeq: %d %s" % (dlg.cseq, method),
                 "Contact: " + self.contact()] + list(headers)
        if body:
            lines.append("Content-Type: " + ctype)
        lines.append("Content-Length: %d" % len(body))
        self._send("\r\n".join(lines) + "\r\n\r\n" + body, addr, method)
        return dlg.cseq

    def recv(self, timeout):
        """One message, or None at timeout. NOTIFY, BYE are answered 200; an
        INVITE in a known dialog too (a refresh or hold)."""
        self.s.settimeout(max(timeout, 0.01))
        try:
            data, addr = self.s.recvfrom(65535)
        except socket.timeout:
            return None
        m = Msg(data.decode(errors="replace"), addr)
        self.msgs.append(m)
        if m.status:
            if m.status != 100:
                self.ladder.append("< %d/%s" % (m.status, m.method))
        else:
            self.ladder.append("< " + m.method)
            if m.method in ("NOTIFY", "BYE", "OPTIONS", "UPDATE", "INFO"):
                self._respond(m, 200, "OK")
            elif m.method == "INVITE" and tag_of(m.get("to")):
                self._respond(m, 200, "OK", body=self.sdp())     # a re-INVITE: same media
        return m

    def wait(self, pred, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = self.recv(deadline - time.monotonic())
            if m and pred(m):
                return m
        raise AssertionError("xferua: nothing matched within %.1fs; ladder %s" % (timeout, self.ladder))

    def run_for(self, seconds):
        """Answer what comes for seconds."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.recv(deadline - time.monotonic())

    def answer(self, timeout=10.0):
        """Wait for an INVITE, answer 180 and 200 with SDP, wait for the ACK: the dialog."""
        inv = self.wait(lambda m: m.method == "INVITE" and not m.status, timeout)
        tag = "%06x" % random.getrandbits(24)
        self._respond(inv, 180, "Ringing", tag)
        self._respond(inv, 200, "OK", tag, self.sdp())
        self.wait(lambda m: m.method == "ACK", 5.0)
        d = Dialog(inv.get("call-id"), uri_of(inv.get("to")), uri_of(inv.get("from")),
                   uri_of(inv.get("contact")), tag, tag_of(inv.get("from")))
        self.dialogs.append(d)
        return d

    def register(self, password):
        """REGISTER our contact as self.user with the gateway's registrar, answering its 401."""
        aor = "sip:%s@127.0.0.1:%d" % (self.user, self.gw[1])
        ruri = "sip:127.0.0.1:%d" % self.gw[1]
        d = Dialog("%08x@xferua-reg" % random.getrandbits(32), aor, aor, ruri, "%06x" % random.getrandbits(24), "")
        self.request(d, "REGISTER", ["Expires: 600"])
        r = self.wait(lambda m: m.method == "REGISTER" and m.status >= 200, 5.0)
        if r.status == 401:
            ch = sipraw.parse_challenge(r.get("www-authenticate"))
            self.request(d, "REGISTER", ["Expires: 600", "Authorization: " +
                                         sipraw.digest_header(ch, "REGISTER", ruri, self.user, password)])
            r = self.wait(lambda m: m.method == "REGISTER" and m.status >= 200, 5.0)
        if r.status != 200:
            raise AssertionError("xferua: REGISTER %s: %d" % (self.user, r.status))

    def call(self, number, headers=()):
        """INVITE number through the gateway; ACK its 200: the dialog."""
        ruri = "sip:%s@127.0.0.1:%d" % (number, self.gw[1])
        d = Dialog("%08x@xferua" % random.getrandbits(32), "sip:%s@127.0.0.1" % self.user, ruri, ruri,
                   "%06x" % random.getrandbits(24), "")
        cseq = self.request(d, "INVITE", headers, self.sdp())
        r = self.wait(lambda m: m.status >= 200 and m.method == "INVITE", 10.0)
        d.remote_tag = tag_of(r.get("to"))
        if r.status >= 300:
            raise AssertionError("xferua: call to %s: %d" % (number, r.status))
        d.target = uri_of(r.get("contact"))
        self.ack(d, cseq)
        self.dialogs.append(d)
        return d

    def ack(self, d, cseq):
        branch = "z9hG4bK%08x" % random.getrandbits(32)
        m = re.match(r"sip:(?:[^@]+@)?([^:;>]+):?(\d+)?", d.target)
        lines = ["ACK %s SIP/2.0" % d.target,
                 "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=%s;rport" % (self.port, branch), "Max-Forwards: 70",
                 "From: <%s>;tag=%s" % (d.local, d.local_tag), "To: <%s>;tag=%s" % (d.remote, d.remote_tag),
                 "Call-ID: " + d.call_id, "CSeq: %d ACK" % cseq, "Content-Length: 0"]
        self._send("\r\n".join(lines) + "\r\n\r\n", (m.group(1), int(m.group(2) or 5060)), "ACK")

    def hold(self, d):
        """re-INVITE a=sendonly (RFC 3264 8.4), as a phone does before it transfers; ACK the 200."""
        cseq = self.request(d, "INVITE", (), self.sdp().replace("a=rtpmap:0 PCMU/8000\r\n",
                                                                 "a=rtpmap:0 PCMU/8000\r\na=sendonly\r\n"))
        r = self.wait(lambda m: m.status >= 200 and m.method == "INVITE", 5.0)
        self.ack(d, cseq)
        return r

    def refer(self, d, target, replaces=None, referred_by=True, auth=None):
        """REFER in dialog d; auth (user, password) answers a 407 once (RFC 2617 digest)."""
        to = "sip:%s@127.0.0.1:%d" % (target, self.gw[1])
        if replaces:
            to += "?Replaces=" + replaces.replaces()
        h = ["Refer-To: <%s>" % to]
        if referred_by:
            h.append("Referred-By: <sip:%s@127.0.0.1>" % self.user)
        self.request(d, "REFER", h)
        r = self.wait(lambda m: m.method == "REFER" and m.status >= 200, 5.0)
        if r.status != 407 or not auth:
            return r
        ch = sipraw.parse_challenge(r.get("proxy-authenticate"))
        self.request(d, "REFER", h + ["Proxy-Authorization: " +
                                      sipraw.digest_header(ch, "REFER", d.target, auth[0], auth[1])])
        return self.wait(lambda m: m.method == "REFER" and m.status >= 200, 5.0)

    def notifies(self):
        """The sipfrag status of every NOTIFY received, in order, with its Subscription-State."""
        out = []
        for m in self.msgs:
            if not m.status and m.method == "NOTIFY":
                f = re.match(r"SIP/2\.0 (\d{3})", m.body)
                out.append((int(f.group(1)) if f else 0, m.get("subscription-state") or "",
                            m.get("event") or "", m.get("content-type") or ""))
        return out
