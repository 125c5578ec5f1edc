# What the real-peer runners share (tests/flows/peers.py is their front): ports
# free on 127.0.0.1 or ::1, a program's presence, SIP message text, a ladder in
# flowlib.sip_ladder's notation.
# SPDX-License-Identifier: GPL-2.0-only
import re
import shutil
import socket
import time

import flowlib as fl


def need(prog):
    """A peer's program must be there: scripts/install-deps.sh installs them all."""
    if not shutil.which(prog):
        raise fl.FlowError("%s is missing (scripts/install-deps.sh installs it)" % prog)


def free_port(host="127.0.0.1"):
    """A port free for UDP and TCP on host (127.0.0.1 or ::1)."""
    if host == "127.0.0.1":
        return fl.free_port()
    while True:
        u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        u.bind((host, 0))
        port = u.getsockname()[1]
        t = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        try:
            t.bind((host, port))
            return port
        except OSError:
            continue
        finally:
            t.close()
            u.close()


def free_port_pair():
    """A port p of 127.0.0.1 with p and p+1 free for UDP and TCP."""
    while True:
        p = free_port()
        if p < 65535 and _free(p + 1):
            return p


def _free(port):
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        s = socket.socket(socket.AF_INET, kind)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        finally:
            s.close()
    return True


def free_media_port(host="127.0.0.1"):
    """An even UDP port p with p+1..p+3 free too: SIPp binds -mp and -mp+2 (audio and
    video echo), RTCP would sit on the odd ones."""
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    while True:
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.bind((host, 0))
        p = s.getsockname()[1] & ~1
        s.close()
        if p + 3 > 65535:
            continue
        socks = []
        try:
            for q in range(p, p + 4):
                x = socket.socket(fam, socket.SOCK_DGRAM)
                socks.append(x)
                x.bind((host, q))
            return p
        except OSError:
            continue
        finally:
            for x in socks:
                x.close()


def bound(port, proto, v6):
    """Is something bound to the local port (a UDP socket, or a listening TCP one)?"""
    path = "/proc/net/%s%s" % (proto, "6" if v6 else "")
    want = ":%04X" % port
    with open(path) as f:
        next(f)
        for ln in f:
            cols = ln.split()
            if cols[1].endswith(want) and (proto == "udp" or cols[3] == "0A"):
                return True
    return False


def hostport(host, port):
    return "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)


def ladder_of(messages):
    """The SIP ladder of messages in flowlib.sip_ladder's notation: requests as
    "> INVITE", responses as "< 200/INVITE" (the method from CSeq)."""
    lad = []
    for d, first, text in messages:
        m = re.match(r"SIP/2\.0 (\d{3})", first)
        if m:
            cs = re.search(r"^(?:CSeq|cseq):\s*\d+\s+(\w+)", text, re.M | re.I)
            lad.append("%s %s/%s" % (d, m.group(1), cs.group(1) if cs else "?"))
        else:
            lad.append("%s %s" % (d, first.split(" ", 1)[0]))
    return lad


def header(text, name):
    """The value of the first header name (case-insensitive) in a message's text, or None."""
    m = re.search(r"^%s\s*:\s*(.*)$" % re.escape(name), text, re.M | re.I)
    return m.group(1).strip() if m else None


class SipTrace:
    """What a peer that logs its SIP messages offers, from its messages():
    [(direction "<"/">", first line, full text)]."""

    def ladder(self):
        """["> INVITE", "< 100/INVITE", "< 200/INVITE", "> ACK", ...] as flowlib.sip_ladder."""
        return ladder_of(self.messages())

    def find(self, direction, first_line_rx, cseq=None):
        """The full texts of the messages in direction whose first line matches
        (and, for responses, whose CSeq method is cseq)."""
        rx = re.compile(first_line_rx)
        return [t for d, f, t in self.messages() if d == direction and rx.search(f) and
                (cseq is None or (header(t, "CSeq") or "").endswith(" " + cseq))]

    def wait_message(self, direction, first_line_rx, timeout=10.0, cseq=None, n=1):
        """Wait until the peer has sent (">") or got ("<") n messages whose first line matches."""
        deadline = time.monotonic() + timeout
        while True:
            got = self.find(direction, first_line_rx, cseq)
            if len(got) >= n:
                return got[n - 1]
            if self.p.poll() is not None or time.monotonic() > deadline:
                raise fl.FlowError("%s: no %s /%s/ (ladder %s)" % (self.name, direction, first_line_rx,
                                                                    self.ladder()))
            time.sleep(0.02)
