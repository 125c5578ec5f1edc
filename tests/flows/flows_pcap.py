# sipgw call-flow test: the D-channel as Wireshark sees it. The PBX
# simulator writes its frames as pcap (link type 177, LINUX_LAPD) and tshark
# must decode every Q.931 message of a call, with no malformed frame; on a
# dahdi span the same frames crossed the fake DAHDI (issue 9's tests).
# SPDX-License-Identifier: GPL-2.0-only
import os
import shutil
import subprocess

from flowlib import FlowError, flow, pbx_call, voip_peer

# Q.931 message types (Q.931 table 4-2) in the order of an answered call
# the PBX places and clears.
LADDER = [(">", 0x05, "SETUP"), ("<", 0x02, "CALL PROCEEDING"), ("<", 0x01, "ALERTING"),
          ("<", 0x07, "CONNECT"), (">", 0x0f, "CONNECT ACKNOWLEDGE"), (">", 0x45, "DISCONNECT"),
          ("<", 0x4d, "RELEASE"), (">", 0x5a, "RELEASE COMPLETE")]


def tshark(*args):
    return subprocess.run(["tshark", "-n"] + list(args), capture_output=True, text=True, timeout=60)


@flow
def pcap_q931_decodes_in_tshark(tb):
    """The PBX's --pcap of a whole call: tshark decodes SETUP ... RELEASE COMPLETE in
    order (RESTARTs before it), with the called number, and no malformed frame."""
    if not shutil.which("tshark"):
        raise FlowError("tshark is missing (scripts/install-deps.sh installs it)")
    phone = tb.phone("phone", "--answer-after", "0.1", "--hangup-after", "0.4", "--exit-after-calls", "1")
    tb.gateway(tb.config([voip_peer(100, "2...", phone.port)]))
    path = os.path.join(tb.dir, "d.pcap")
    pbx = pbx_call(tb, "--pcap", path)
    if pbx.wait_exit() != 0 or phone.wait_exit() != 0:
        raise FlowError("a simulator failed")
    r = tshark("-r", path, "-Y", "q931", "-T", "fields", "-e", "q931.message_type",
               "-e", "q931.called_party_number.digits")
    if r.returncode != 0:
        raise FlowError("tshark failed: %s" % r.stderr)
    msgs = []
    for line in r.stdout.splitlines():
        f = line.split("\t")
        msgs.append((int(f[0], 0), f[1] if len(f) > 1 else ""))
    types = [t for t, _ in msgs if t not in (0x46, 0x4e)]		# RESTART, RESTART ACKNOWLEDGE
    want = [t for _, t, _ in LADDER]
    if types != want:
        raise FlowError("tshark's Q.931 ladder %s, want %s" % ([hex(t) for t in types], [hex(t) for t in want]))
    if not any(t == 0x46 for t, _ in msgs):
        raise FlowError("no RESTART decoded (the gateway restarts idle channels at D-channel up)")
    setup_called = [d for t, d in msgs if t == 0x05]
    if setup_called != ["2001"]:
        raise FlowError("SETUP called number as tshark reads it: %s" % setup_called)
    bad = tshark("-r", path, "-Y", "_ws.malformed || _ws.expert.severity == error")
    if bad.stdout.strip():
        raise FlowError("tshark finds malformed frames:\n" + bad.stdout)
    lapd = tshark("-r", path, "-Y", "lapd", "-T", "fields", "-e", "frame.number")
    total = tshark("-r", path, "-T", "fields", "-e", "frame.number")
    if len(lapd.stdout.split()) != len(total.stdout.split()) or not total.stdout.split():
        raise FlowError("not every frame is LAPD to tshark")
