# sipgw call-flow tests for fax (issue 11 item 7): a fax terminal on the PBX
# simulator's B-channel (SpanDSP T.30 over audio) and one on the phone
# simulator, a two-page TIFF-F across the gateway each way over G.711
# passthrough; and a T.38 phone (--fax-mode t38) receiving from the PBX:
# its re-INVITE to image/t38 is answered by the gateway, and the pages
# arrive either way. Each checks T.30's result on both ends and that the
# received TIFF's pages are the sent ones, pixel for pixel (sipgw-faxtiff).
# SPDX-License-Identifier: GPL-2.0-only
import os
import re
import subprocess

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


@flow
def fax_g711_pbx_to_phone(tb):
    """A fax from behind the PBX to a SIP fax phone over G.711: 2 pages, T.30 OK both ends, pixels equal."""
    sent, got = fax_pages(tb)
    phone = tb.phone("phone", "--answer-after", "0.2", "--fax-recv", got, "--exit-after-calls", "1",
                     "--timeout", str(FAX_TIMEOUT))
    tb.gateway(tb.config([voip_peer(100, "2...", phone.port)]))
    pbx = pbx_call(tb, "--fax-send", sent, "--timeout", str(FAX_TIMEOUT))
    if pbx.wait_exit(FAX_TIMEOUT + 5) != 0 or phone.wait_exit(FAX_TIMEOUT + 5) != 0:
        raise FlowError("a simulator failed")
    check_fax(tb, pbx, phone, sent, got)


@flow
def fax_g711_phone_to_pbx(tb):
    """A SIP fax phone sends to a fax machine behind the PBX over G.711: 2 pages, pixels equal."""
    sent, got = fax_pages(tb)
    tb.gateway(tb.config([voip_peer(100, "2...", 9), pots_peer(900, "9T")]))
    pbx = tb.pbx("--exit-when-done", "--answer-after", "0.2", "--fax-recv", got, "--timeout", str(FAX_TIMEOUT))
    pbx.wait_line(r"EVENT dchan up")
    phone = tb.phone("phone", "--call", "sip:95551234@127.0.0.1:%d" % tb.sip_port, "--from", "2001",
                     "--fax-send", sent, "--exit-after-calls", "1", "--timeout", str(FAX_TIMEOUT))
    if phone.wait_exit(FAX_TIMEOUT + 5) != 0 or pbx.wait_exit(FAX_TIMEOUT + 5) != 0:
        raise FlowError("a simulator failed")
    check_fax(tb, phone, pbx, sent, got)


@flow
def fax_t38_phone_reinvite_from_pbx(tb):
    """A T.38 phone receiving from the PBX re-INVITEs to image/t38; answered, the 2 pages arrive equal."""
    sent, got = fax_pages(tb)
    phone = tb.phone("phone", "--answer-after", "0.2", "--fax-recv", got, "--fax-mode", "t38",
                     "--exit-after-calls", "1", "--timeout", str(FAX_TIMEOUT))
    gw = tb.gateway(tb.config([voip_peer(100, "2...", phone.port)]))
    pbx = pbx_call(tb, "--fax-send", sent, "--timeout", str(FAX_TIMEOUT))
    if pbx.wait_exit(FAX_TIMEOUT + 5) != 0 or phone.wait_exit(FAX_TIMEOUT + 5) != 0:
        raise FlowError("a simulator failed")
    if not any(re.search(r"EVENT call 1 t38 reinvite", l) for l in phone.lines()):
        raise FlowError("the phone sent no re-INVITE to image/t38")
    # Until sipgw runs a T.38 gateway it must refuse (488) and keep G.711;
    # with one, the phone's terminal runs over UDPTL. Either way: a final
    # answer to the re-INVITE, then the pages.
    refused = any("t38 refused" in l for l in phone.lines())
    active = any("t38 active" in l for l in phone.lines())
    if refused == active:
        raise FlowError("the re-INVITE to T.38 was neither refused nor taken")
    check_fax(tb, pbx, phone, sent, got)
