# sipgw call-flow tests for cause overrides (config "causes", Cisco "set
# sip-status S pstn-cause C" / "set pstn-cause C sip-status S"): a
# dial-peer's row beats the global one, and a Reason header's Q.850 cause
# (RFC 6432) beats both.
# SPDX-License-Identifier: GPL-2.0-only
import flowlib as fl
from flowlib import FlowError, expect_ladder, flow, pbx_call, pots_peer, q931_ladder, sip_ladder, voip_peer

# The global rows: 486 would be 41 and 17 would be 503 (RFC 3398: 17 and 486).
GLOBAL = ("causes = {\n"
          "  sip_to_pstn = ( { sip_status = 486; pstn_cause = 41; } );\n"
          "  pstn_to_sip = ( { pstn_cause = 17; sip_status = 503; } );\n"
          "};\n")
# Dial-peer 100's own row for 486.
PEER_486_21 = ' causes = { sip_to_pstn = ( { sip_status = 486; pstn_cause = 21; } ); };'


def phone_486_to_pbx(tb, *phone_args):
    phone = tb.phone("phone", "--reject", "486", "--exit-after-calls", "1", *phone_args)
    gw = tb.gateway(tb.config([voip_peer(100, "2...", phone.port) + PEER_486_21], extra=GLOBAL))
    pbx = pbx_call(tb)
    pbx.wait_exit()
    phone.wait_exit()
    expect_ladder("SIP", sip_ladder(phone.lines()), ["< INVITE", "> 100/INVITE", "> 486/INVITE", "< ACK"])
    return gw, pbx


@flow
def causes_sip_to_pstn_dial_peer(tb):
    """A phone answers 486 over dial-peer 100, whose row says 21 (the global
    row says 41, RFC 3398 17): the PBX gets DISCONNECT cause 21."""
    gw, pbx = phone_486_to_pbx(tb)
    expect_ladder("PRI", q931_ladder(pbx.lines()),
                  ["> SETUP", "< CALL PROCEEDING", "< DISCONNECT cause=21", "> RELEASE", "< RELEASE COMPLETE"])
    gw.wait_line(r"SIP 486 -> cause 21 \(Call rejected\) by the dial-peer's cause override \(RFC 3398: 17\)",
                 stream="err")


@flow
def causes_reason_wins(tb):
    """RFC 6432: the same 486 with Reason Q.850 cause 17: the far end's cause
    reaches the PBX, no override replaces it."""
    gw, pbx = phone_486_to_pbx(tb, "--reject-reason", "17")
    expect_ladder("PRI", q931_ladder(pbx.lines()),
                  ["> SETUP", "< CALL PROCEEDING", "< DISCONNECT cause=17", "> RELEASE", "< RELEASE COMPLETE"])


@flow
def causes_pstn_to_sip_global(tb):
    """SIP -> PRI: the PBX clears with cause 17; the global row answers the
    INVITE with 503 (not RFC 3398's 486), the Reason still cause 17."""
    tb.gateway(tb.config([pots_peer(900, "9T")], extra=GLOBAL))
    pbx = tb.pbx("--exit-when-done", "--reject", "17")
    pbx.wait_line(r"EVENT dchan up")
    phone = tb.phone("phone", "--call", "sip:95551234@127.0.0.1:%d" % tb.sip_port, "--from", "2001",
                     "--exit-after-calls", "1")
    phone.wait_exit()
    pbx.wait_exit()
    expect_ladder("SIP", sip_ladder(phone.lines()), ["> INVITE", "< 100/INVITE", "< 503/INVITE", "> ACK"])
    if "cause=17" not in fl.sip_lines(phone.lines(), r"^< 503")[0][1]:
        raise FlowError("503 without Reason cause=17")
