# Kamailio as a proxy in front of sipgw in the flow tests.
# SPDX-License-Identifier: GPL-2.0-only
import os
import re
import sys

import flowlib as fl
from peers_common import free_port, need


def kamailio_proxy_cfg(gateway_port, phone=None):
    """A minimal stateful proxy (Kamailio 5.6): INVITEs Record-Routed, in-dialog requests
    loose-routed, everything relayed by tm. A request from the gateway (source port
    gateway_port) goes to phone ("127.0.0.1:PORT"), any other to the gateway. Each
    request and reply it handles is logged "KAM > METHOD R-URI from IP:PORT" /
    "KAM < STATUS METHOD from IP:PORT", so a test can tell what passed through it."""
    to_phone = ('$du = "sip:%s";' % phone) if phone else 'sl_send_reply("404", "No phone"); exit;'
    return """#!KAMAILIO
# written by tests/flows/peers.py: a stateful proxy in front of sipgw
debug=2
log_stderror=yes
children=1
disable_tcp=yes
auto_aliases=no
server_header="Server: kamailio-flow"
user_agent_header="User-Agent: kamailio-flow"

loadmodule "tm.so"
loadmodule "tmx.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "xlog.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "sanity.so"

modparam("rr", "enable_full_lr", 0)
modparam("rr", "append_fromtag", 0)
modparam("tm", "fr_inv_timer", 30000)

request_route {
	xlog("L_NOTICE", "KAM > $rm $ru from $si:$sp\\n");
	if (!mf_process_maxfwd_header("10")) {
		sl_send_reply("483", "Too Many Hops");
		exit;
	}
	if (!sanity_check("17895", "7")) {
		exit;
	}
	# keepalive to the proxy itself (the runner's readiness probe)
	if (is_method("OPTIONS") && uri == myself && $rU == $null) {
		sl_send_reply("200", "Keepalive");
		exit;
	}
	# RFC 3261 16.4: in-dialog requests follow the Route set we Record-Routed
	if (has_totag()) {
		if (loose_route()) {
			t_on_reply("REPLY");
			t_relay();
			exit;
		}
		if (is_method("ACK")) {
			if (t_check_trans()) {
				t_relay();
			}
			exit;
		}
		sl_send_reply("404", "Not here");
		exit;
	}
	if (is_method("CANCEL")) {
		if (t_check_trans()) {
			t_relay();
		}
		exit;
	}
	if (!is_method("ACK")) {
		if (t_precheck_trans()) {
			t_check_trans();
			exit;
		}
		t_check_trans();
	}
	if (is_method("INVITE")) {
		record_route();
	}
	if ($sp == %(gw)d) {
		%(to_phone)s
	} else {
		$du = "sip:127.0.0.1:%(gw)d";
	}
	t_on_reply("REPLY");
	if (!t_relay()) {
		sl_reply_error();
	}
	exit;
}

onreply_route[REPLY] {
	xlog("L_NOTICE", "KAM < $rs $rm from $si:$sp\\n");
}
""" % {"gw": gateway_port, "to_phone": to_phone}


class Kamailio(fl.Proc):
    """Kamailio in the foreground (-DD -E) with cfg_text written to tb's workdir as its -f,
    listening on udp:127.0.0.1:port, one worker (-n 1), small memory; ready once it answers
    an OPTIONS (bench/proxy_bench.py's probe). .log(rx) are its stderr lines matching rx
    (see kamailio_proxy_cfg's "KAM" lines)."""

    def __init__(self, tb, cfg_text, port=None, name="kamailio"):
        need("kamailio")
        self.port = port or free_port()
        self.dir = os.path.join(tb.dir, name)
        os.makedirs(self.dir, exist_ok=True)
        self.cfg = os.path.join(self.dir, "kamailio.cfg")
        with open(self.cfg, "w") as f:
            f.write(cfg_text)
        super().__init__(name, ["kamailio", "-f", self.cfg, "-DD", "-E", "-l", "udp:127.0.0.1:%d" % self.port,
                                "-n", "1", "-m", "64", "-M", "8", "-Y", self.dir, "-w", self.dir], tb.dir)
        tb.procs.append(self)
        if not _sip_answers(self.port, 10):
            raise fl.FlowError("kamailio did not answer on %d: %s" % (self.port, " | ".join(self.errlines()[-8:])))

    def log(self, rx):
        r = re.compile(rx)
        return [ln for ln in self.errlines() if r.search(ln)]

    def passed(self):
        """The "KAM ..." lines: ["> INVITE sip:... from 127.0.0.1:PORT", "< 200 INVITE from ...", ...]."""
        out = []
        for ln in self.errlines():
            m = re.search(r"KAM ([<>] .*)$", ln)
            if m and "OPTIONS sip:127.0.0.1:%d " % self.port not in m.group(1):
                out.append(m.group(1))
        return out


def _sip_answers(port, timeout):
    bench = os.path.join(fl.SRCDIR, "bench")
    if bench not in sys.path:
        sys.path.insert(0, bench)
    from proxy_bench import sip_answers
    return sip_answers(port, timeout)
