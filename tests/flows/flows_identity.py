# sipgw call-flow tests for numbers and identity across the wall (issue 9
# item 7, first part): Q.931 type of number <-> E.164 '+', the span's
# country code, presentation restricted <-> Privacy: id (RFC 3323) with
# P-Asserted-Identity (RFC 3325) only inside the trust domain, and a PAI
# believed only from a trusted source.
# SPDX-License-Identifier: GPL-2.0-only
import re

import flowlib as fl
from flowlib import FlowError, flow, pots_peer, span_keys, voip_peer


def identity(phone):
    line = phone.wait_line(r"EVENT call \d+ identity ", timeout=10)
    if not line:
        raise FlowError("the phone printed no identity line")
    m = re.search(r"from=(\S*)@(\S*) pai=(\S+) privacy=(\S+)", line.string)
    return {"from": m.group(1), "host": m.group(2), "pai": m.group(3), "privacy": m.group(4)}


def pbx_ids(pbx):
    line = pbx.wait_line(r"EVENT call \d+ ids ", timeout=10)
    if not line:
        raise FlowError("the PBX printed no ids line")
    return dict(re.findall(r"(\w+)=(\S+)", line.string.split(" ids ", 1)[1]))


def pri_to_sip(tb, pbx_args, trusted=("127.0.0.1",), keys=""):
    phone = tb.phone("phone", "--answer-after", "0.1", "--hangup-after", "0.5", "--exit-after-calls", "1")
    conf = tb.config([voip_peer(100, "2...", phone.port)], trusted=trusted)
    if keys:
        span_keys(conf, keys)
    tb.gateway(conf)
    pbx = tb.pbx("--call", "2001", "--exit-when-done", *pbx_args)
    ids = identity(phone)
    if pbx.wait_exit() != 0 or phone.wait_exit() != 0:
        raise FlowError("a simulator failed")
    return ids


@flow
def identity_international_plus(tb):
    """PRI -> SIP: an international calling number (TON 1) becomes +E.164 in From."""
    ids = pri_to_sip(tb, ["--calling", "4930123456", "--calling-ton", "international"])
    if ids["from"] != "+4930123456":
        raise FlowError("From user %s, want +4930123456" % ids["from"])


@flow
def identity_national_country_code(tb):
    """PRI -> SIP: a national number (TON 2) on a span with country_code 1 becomes
    +1...; a subscriber number stays as it is."""
    ids = pri_to_sip(tb, ["--calling", "2125551000", "--calling-ton", "national"], keys='country_code = "1";')
    if ids["from"] != "+12125551000":
        raise FlowError("From user %s, want +12125551000" % ids["from"])


@flow
def identity_restricted_to_trusted_peer(tb):
    """PRI -> SIP, presentation restricted, the peer trusted: From anonymous
    (anonymous.invalid), Privacy: id, and the number in P-Asserted-Identity."""
    ids = pri_to_sip(tb, ["--calling", "5551000", "--restricted"])
    if ids["from"] != "anonymous" or ids["host"] != "anonymous.invalid":
        raise FlowError("From not anonymous: %s" % ids)
    if ids["privacy"] != "id":
        raise FlowError("no Privacy: id: %s" % ids)
    if ids["pai"] != "5551000":
        raise FlowError("a trusted peer must get the number in P-Asserted-Identity: %s" % ids)


@flow
def identity_restricted_to_untrusted_peer(tb):
    """PRI -> SIP, presentation restricted, the peer not trusted: From anonymous
    and no P-Asserted-Identity: the number appears nowhere."""
    phone = tb.phone("phone", "--answer-after", "0.1", "--hangup-after", "0.5", "--exit-after-calls", "1")
    tb.gateway(tb.config([voip_peer(100, "2...", phone.port)], trusted=("10.9.9.9",)))
    pbx = tb.pbx("--call", "2001", "--exit-when-done", "--calling", "5551000", "--restricted")
    ids = identity(phone)
    if pbx.wait_exit() != 0 or phone.wait_exit() != 0:
        raise FlowError("a simulator failed")
    if ids["from"] != "anonymous" or ids["pai"] != "-":
        raise FlowError("an untrusted peer learned who calls: %s" % ids)
    invite = fl.sip_lines(phone.lines(), r"^< INVITE")[0][1]
    if "5551000" in invite:
        raise FlowError("the number is in the INVITE line: " + invite)


def sip_to_pri(tb, phone_args, number, peers, keys=""):
    conf = tb.config(peers)
    if keys:
        span_keys(conf, keys)
    tb.gateway(conf)
    pbx = tb.pbx("--exit-when-done", "--answer-after", "0.1")
    pbx.wait_line(r"EVENT dchan up")
    phone = tb.phone("phone", "--call", "sip:%s@127.0.0.1:%d" % (number, tb.sip_port), "--exit-after-calls",
                     "1", "--hangup-after", "1.0", *phone_args)
    ids = pbx_ids(pbx)
    if phone.wait_exit() != 0 or pbx.wait_exit() != 0:
        raise FlowError("a simulator failed")
    return ids


@flow
def identity_plus_numbers_to_pri(tb):
    """SIP -> PRI: called +4930123456 goes as 4930123456 with TON international (1);
    calling +12125551234 on a country_code 1 span goes as 2125551234, TON national (2)."""
    ids = sip_to_pri(tb, ["--from", "+12125551234"], "+4930123456",
                     [voip_peer(100, "2...", 9), pots_peer(900, "+T", fwd="all")], keys='country_code = "1";')
    want = {"called": "4930123456", "called_ton": "1", "calling": "2125551234", "calling_ton": "2",
            "pres": "allowed"}
    for k, v in want.items():
        if ids.get(k) != v:
            raise FlowError("SETUP %s=%s, want %s (%s)" % (k, ids.get(k), v, ids))


@flow
def identity_privacy_to_pri(tb):
    """SIP -> PRI: Privacy: id -> presentation restricted; the number still goes
    (the network needs it, Q.931 4.5.10)."""
    ids = sip_to_pri(tb, ["--from", "2001", "--privacy", "id"], "95551234",
                     [voip_peer(100, "2...", 9), pots_peer(900, "9T")])
    if ids.get("pres") != "restricted" or ids.get("calling") != "2001":
        raise FlowError("want calling 2001 restricted: %s" % ids)


@flow
def identity_pai_from_trusted(tb):
    """SIP -> PRI from a trusted source: its P-Asserted-Identity is the calling number."""
    ids = sip_to_pri(tb, ["--from", "2001", "--pai", "5550199"], "95551234",
                     [voip_peer(100, "2...", 9), pots_peer(900, "9T")])
    if ids.get("calling") != "5550199":
        raise FlowError("calling %s, want the asserted 5550199" % ids.get("calling"))


@flow
def identity_redirecting_to_sip(tb):
    """PRI -> SIP: the SETUP's redirecting number (forward on busy) goes as
    Diversion reason=user-busy (RFC 5806) and History-Info with cause 486 (RFC 7044, 4458)."""
    phone = tb.phone("phone", "--answer-after", "0.1", "--hangup-after", "0.5", "--exit-after-calls", "1")
    tb.gateway(tb.config([voip_peer(100, "2...", phone.port)]))
    pbx = tb.pbx("--call", "2001", "--exit-when-done", "--calling", "5551000", "--redirecting", "5551999",
                 "--redirect-reason", "busy")
    div = phone.wait_line(r"EVENT call \d+ diversion (.*)$").group(1)
    hist = phone.wait_line(r"EVENT call \d+ history-info (.*)$").group(1)
    if pbx.wait_exit() != 0 or phone.wait_exit() != 0:
        raise FlowError("a simulator failed")
    if "sip:5551999@" not in div or "reason=user-busy" not in div:
        raise FlowError("Diversion: %s" % div)
    if "sip:5551999@" not in hist or "cause=486" not in hist:
        raise FlowError("History-Info: %s" % hist)


@flow
def identity_diversion_to_pri(tb):
    """SIP -> PRI: Diversion reason=no-answer -> redirecting number 2005, reason 2 (forward on no reply)."""
    ids = sip_to_pri(tb, ["--from", "2001", "--header",
                          "Diversion: <sip:2005@127.0.0.1>;reason=no-answer;counter=1"], "95551234",
                     [voip_peer(100, "2...", 9), pots_peer(900, "9T")])
    if ids.get("redirecting") != "2005" or ids.get("redirect_reason") != "2":
        raise FlowError("SETUP redirecting %s reason %s, want 2005 / 2" % (ids.get("redirecting"),
                                                                         ids.get("redirect_reason")))


@flow
def identity_history_info_to_pri(tb):
    """SIP -> PRI: History-Info whose next entry has cause=302 -> redirecting number 2006,
    reason 15 (unconditional)."""
    ids = sip_to_pri(tb, ["--from", "2001", "--header",
                          "History-Info: <sip:2006@127.0.0.1>;index=1, <sip:95551234@127.0.0.1;cause=302>;index=1.1"],
                     "95551234", [voip_peer(100, "2...", 9), pots_peer(900, "9T")])
    if ids.get("redirecting") != "2006" or ids.get("redirect_reason") != "15":
        raise FlowError("SETUP redirecting %s reason %s, want 2006 / 15" % (ids.get("redirecting"),
                                                                          ids.get("redirect_reason")))
