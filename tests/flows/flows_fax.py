# sipgw call-flow tests for fax (issue 11 item 7): a fax terminal on the PBX
# simulator's B-channel (SpanDSP T.30 over audio) and one on the phone
# simulator, a two-page TIFF-F across the gateway each way. G.711 phones
# refuse the gateway's re-INVITE to T.38 (488): passthrough. T.38 phones
# (--fax-mode t38): the gateway's t38_gateway relays, after the phone's
# re-INVITE (it receives) or the gateway's own on CED from the PBX (the
# phone sends). Each checks T.30's result on both ends and that the
# received TIFF's pages are the sent ones, pixel for pixel (sipgw-faxtiff).
# SPDX-License-Identifier: GPL-2.0-only
import os
import re
import subprocess

import flowlib as fl
from flowlib import FlowError, flow, pbx_call, pots_peer, sip_ladder, voip_peer

FAX_PAGES = 2
FAX_TIMEOUT = 90       # s: T.30 at 14400 takes about 25 s for the two pages


def fax_pages(tb):
    """The TIFF to send, made fresh in the testbed's directory."""
    sent = os.path.join(tb.dir, "sent.tif")
    subprocess.run([tb.bin("sipgw-faxtiff"), "make", sent, str(FAX_PAGES)], check=True)
    return sent, os.path.join(tb.dir, "got.tif")


def fax_line(proc, what):
    """The simulator's FAX line for what (send|recv), parsed."""
    for line in proc.lines():
        m = re.search(r" FAX call \d+ (send|recv) pages=(\d+) result=(\w+) code=(-?\d+)", line)
        if m and m.group(1) == what:
            return {"pages": int(m.group(2)), "result": m.group(3), "code": int(m.group(4)), "line": line}
    raise FlowError("%s printed no FAX %s line" % (proc.name, what))


def check_fax(tb, sender, receiver, sent, got):
    tx, rx = fax_line(sender, "send"), fax_line(receiver, "recv")
    for side, r in (("sender", tx), ("receiver", rx)):
        if r["result"] != "ok" or r["pages"] != FAX_PAGES:
            raise FlowError("%s: %s" % (side, r["line"]))
    cmp = subprocess.run([tb.bin("sipgw-faxtiff"), "compare", sent, got], capture_output=True, text=True)
    if cmp.returncode != 0 or cmp.stdout.strip() != "same pages=%d" % FAX_PAGES:
        raise FlowError("received TIFF is not the sent one: %s%s" % (cmp.stdout, cmp.stderr))


def gw_t38(gw, pattern):
    """The gateway's T.38 state line matching pattern, or a FlowError."""
    for line in gw.errlines():
        if re.search(r"T\.38 " + pattern, line):
            return line
    raise FlowError("gateway logged no T.38 %s; its T.38 lines: %s" %
                    (pattern, [l for l in gw.errlines() if "T.38" in l]))


def check_passthrough(gw, phone):
    """CED heard, our re-INVITE to T.38 refused by the G.711 phone: G.711 stays."""
    gw_t38(gw, r"WATCH -> OFFERED: CED from (the PRI|SIP)")
    gw_t38(gw, r"OFFERED -> PASSTHROUGH: refused with 488, G\.711 passthrough")
    if not any("t38 refused 488" in l for l in phone.lines()):
        raise FlowError("the phone did not refuse the re-INVITE to T.38")


def check_relayed(gw):
    """The T.38 gateway's end-of-relay line counts the pages."""
    line = gw_t38(gw, r"ended: pages=")
    if "pages=%d " % FAX_PAGES not in line:
        raise FlowError("the gateway relayed other than %d pages: %s" % (FAX_PAGES, line))


@flow
def fax_g711_pbx_to_phone(tb):
    """A fax from behind the PBX to a SIP fax phone over G.711: 2 pages, T.30 OK both ends, pixels equal."""
    sent, got = fax_pages(tb)
    phone = tb.phone("phone", "--answer-after", "0.2", "--fax-recv", got, "--exit-after-calls", "1",
                     "--timeout", str(FAX_TIMEOUT))
    gw = tb.gateway(tb.config([voip_peer(100, "2...", phone.port)]))
    pbx = pbx_call(tb, "--fax-send", sent, "--timeout", str(FAX_TIMEOUT))
    if pbx.wait_exit(FAX_TIMEOUT + 5) != 0 or phone.wait_exit(FAX_TIMEOUT + 5) != 0:
        raise FlowError("a simulator failed")
    check_passthrough(gw, phone)
    check_fax(tb, pbx, phone, sent, got)


@flow
def fax_g711_phone_to_pbx(tb):
    """A SIP fax phone sends to a fax machine behind the PBX over G.711: 2 pages, pixels equal."""
    sent, got = fax_pages(tb)
    gw = tb.gateway(tb.config([voip_peer(100, "2...", 9), pots_peer(900, "9T")]))
    pbx, phone = phone_calls_pbx(tb, sent, got)
    check_passthrough(gw, phone)
    check_fax(tb, phone, pbx, sent, got)


def phone_calls_pbx(tb, sent, got, *phone_args):
    pbx = tb.pbx("--exit-when-done", "--answer-after", "0.2", "--fax-recv", got, "--timeout", str(FAX_TIMEOUT))
    pbx.wait_line(r"EVENT dchan up")
    phone = tb.phone("phone", "--call", "sip:95551234@127.0.0.1:%d" % tb.sip_port, "--from", "2001",
                     "--fax-send", sent, "--exit-after-calls", "1", "--timeout", str(FAX_TIMEOUT), *phone_args)
    if phone.wait_exit(FAX_TIMEOUT + 5) != 0 or pbx.wait_exit(FAX_TIMEOUT + 5) != 0:
        raise FlowError("a simulator failed")
    return pbx, phone


@flow
def fax_t38_phone_to_pbx(tb):
    """A T.38 phone sends to the PBX: CED from the PRI, our re-INVITE to T.38 taken; relayed, pages equal."""
    sent, got = fax_pages(tb)
    gw = tb.gateway(tb.config([voip_peer(100, "2...", 9), pots_peer(900, "9T")]))
    pbx, phone = phone_calls_pbx(tb, sent, got, "--fax-mode", "t38")
    gw_t38(gw, r"WATCH -> OFFERED: CED from the PRI")
    gw_t38(gw, r"OFFERED -> ON: answered 200, version=0 rate=14400 ec=redundancy")
    if not any("t38 accepted" in l for l in phone.lines()):
        raise FlowError("the phone did not take the gateway's re-INVITE to T.38")
    check_relayed(gw)
    check_fax(tb, phone, pbx, sent, got)


@flow
def fax_t38_pbx_to_phone(tb):
    """A T.38 phone receives from the PBX: its re-INVITE to image/t38 taken, relayed by the gateway, pages equal."""
    sent, got = fax_pages(tb)
    phone = tb.phone("phone", "--answer-after", "0.2", "--fax-recv", got, "--fax-mode", "t38",
                     "--exit-after-calls", "1", "--timeout", str(FAX_TIMEOUT))
    gw = tb.gateway(tb.config([voip_peer(100, "2...", phone.port)]))
    pbx = pbx_call(tb, "--fax-send", sent, "--timeout", str(FAX_TIMEOUT))
    if pbx.wait_exit(FAX_TIMEOUT + 5) != 0 or phone.wait_exit(FAX_TIMEOUT + 5) != 0:
        raise FlowError("a simulator failed")
    if not any(re.search(r"EVENT call 1 t38 active version=0 rate=14400 ec=redundancy", l) for l in phone.lines()):
        raise FlowError("the phone's re-INVITE to image/t38 was not taken")
    gw_t38(gw, r"WATCH -> ON: the far end's re-INVITE, version=0 rate=14400 ec=redundancy")
    check_relayed(gw)
    check_fax(tb, pbx, phone, sent, got)


@flow
def fax_passthrough_refuses_t38(tb):
    """rtp.fax = "passthrough": the T.38 phone's re-INVITE gets 488, the fax crosses as G.711, pages equal."""
    sent, got = fax_pages(tb)
    phone = tb.phone("phone", "--answer-after", "0.2", "--fax-recv", got, "--fax-mode", "t38",
                     "--exit-after-calls", "1", "--timeout", str(FAX_TIMEOUT))
    conf = tb.config([voip_peer(100, "2...", phone.port)])
    with open(conf) as f:
        txt = f.read()
    with open(conf, "w") as f:
        f.write(txt.replace("port_max = 39999;", 'port_max = 39999; fax = "passthrough";'))
    gw = tb.gateway(conf)
    pbx = pbx_call(tb, "--fax-send", sent, "--timeout", str(FAX_TIMEOUT))
    if pbx.wait_exit(FAX_TIMEOUT + 5) != 0 or phone.wait_exit(FAX_TIMEOUT + 5) != 0:
        raise FlowError("a simulator failed")
    if not any("t38 refused 488, fax on audio" in l for l in phone.lines()):
        raise FlowError("the phone's re-INVITE to T.38 was not refused")
    gw_t38(gw, r"offer refused \(488\): rtp.fax is passthrough")
    if any(re.search(r"T\.38 \w+ -> (OFFERED|ON)", l) for l in gw.errlines()):
        raise FlowError("the gateway went to T.38 with rtp.fax passthrough")
    check_fax(tb, pbx, phone, sent, got)


@flow
def fax_t38_glare_491_retried(tb):
    """Both ends heard the fax: the far end answers our re-INVITE to T.38 with 491 (its own crossed
    ours, RFC 3261 14.1); the gateway waits (0-2 s: the far end owns the Call-ID) and asks again,
    and the second offer takes the call to T.38, instead of leaving the fax on G.711."""
    import time
    import xferua
    a = xferua.XferUA(tb.sip_port, "2001")
    seen = []
    plain = a._respond

    def respond(req, status, phrase, to_tag=None, body="", extra=()):
        if req.method == "INVITE" and "m=image" in req.body and status == 200:
            seen.append(time.monotonic())
            if len(seen) == 1:
                return plain(req, 491, "Request Pending")
            body = ("v=0\r\no=xfer 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                    "m=image %d udptl t38\r\na=T38FaxVersion:0\r\na=T38MaxBitRate:14400\r\n"
                    "a=T38FaxRateManagement:transferredTCF\r\na=T38FaxMaxDatagram:400\r\n"
                    "a=T38FaxUdpEC:t38UDPRedundancy\r\n" % (a.rtp_port + 2))
        return plain(req, status, phrase, to_tag, body, extra)
    a._respond = respond
    try:
        sent, got = fax_pages(tb)
        gw = tb.gateway(tb.config([voip_peer(100, "2...", 9), pots_peer(900, "9T")]))
        pbx = tb.pbx("--exit-when-done", "--answer-after", "0.2", "--fax-recv", got, "--timeout", "15")
        pbx.wait_line(r"EVENT dchan up")
        a.call("95551234")
        t_end = time.monotonic() + 8
        while time.monotonic() < t_end and len(seen) < 2:
            a.recv(0.2)
        a.run_for(0.5)
    finally:
        a.close()
    if len(seen) != 2:
        raise FlowError("the gateway offered T.38 %d time(s), want 2 (the 491 retried)" % len(seen))
    if not 0 <= seen[1] - seen[0] <= 2.5:
        raise FlowError("retried after %.2f s, want 0-2 s (RFC 3261 14.1, not the Call-ID's owner)"
                        % (seen[1] - seen[0]))
    gw_t38(gw, r"OFFERED -> RETRY: 491")
    gw_t38(gw, r"RETRY -> OFFERED")
    gw_t38(gw, r"OFFERED -> ON: answered 200")


# On dahdi spans only these run (flowlib.dsp_on_loopback_only says why).
fl.dsp_on_loopback_only(__name__, keep=(
    "fax_t38_phone_to_pbx",
))
