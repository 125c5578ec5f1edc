/* sipgw - every SIP message to the trace (core/trace.h): the pcap and the
 * per-call ladders.
 *
 * Where the messages come from: Sofia's transport log (TPORT_LOG) gives
 * each whole message once, as sent or as received and parsed,
 * retransmissions included, with its transport and the far end's address;
 * TCP and TLS messages whole (not the stream's chunks), TLS after
 * decryption. TPTAG_DUMP writes raw bytes but only into a file of its own,
 * per read for streams (a message may span reads), and Debian's Sofia
 * (1.12.11) has no capture hook (TPTAG_CAPT came later). So sip_trace.c
 * defines the log's one function, tport_log_msg(), which the stack calls
 * through its PLT: the message's bytes and its peer's address come here as
 * they are (m->peer_sa). Were the stack to call its own, the log's text
 * still comes, parsed by sip_trace.c, which puts CRLF back and checks the
 * length against the byte count Sofia logged (the pcap says so on a packet
 * where they differ). Our own address is not in the log: it is
 * the address we listen on, or for a wildcard the one the kernel sends to
 * that peer from. SPDX-License-Identifier: GPL-2.0-only */
#include "sip/sip_internal.h"

#include <string.h>

#include "core/netaddr.h"
#include "core/trace.h"
#include "sip/sip_trace.h"

/* Where our side of a message with peer is: the bound address and the
 * transport's port, or for a wildcard the kernel's source address for the
 * peer (cached for the last peer: most messages go to the one peer). */
static int tap_local(struct sip_ua *ua, const struct sockaddr_storage *peer, const char *proto,
		     struct sockaddr_storage *local)
{
	int port = !strcmp(proto, "tls") && ua->tls_port ? ua->tls_port : ua->port;

	if (netaddr_parse(ua->bind, local) || netaddr_is_any(local) || local->ss_family != peer->ss_family) {
		if (memcmp(&ua->tap_peer, peer, sizeof(*peer))) {
			if (netaddr_local_for(peer, &ua->tap_local))
				return -1;
			ua->tap_peer = *peer;
		}
		*local = ua->tap_local;
	}
	netaddr_set_port(local, port);
	return 0;
}

static void tap_msg(void *arg, const struct sip_trace_msg *m)
{
	struct sip_ua *ua = arg;
	struct sockaddr_storage peer, local;
	struct trace_sip t = { .sent = m->sent, .proto = m->proto, .text = m->text, .len = m->len,
			       .wire_len = m->wire_len, .call_id = m->call_id, .label = m->label,
			       .summary = m->summary, .no_call = m->no_call };

	if (!ua->trace)
		return;
	if (m->peer_sa) {
		memset(&peer, 0, sizeof(peer));
		memcpy(&peer, m->peer_sa, m->peer_sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
		       sizeof(struct sockaddr_in));
	} else if (netaddr_parse(m->peer, &peer)) {
		return;
	} else {
		netaddr_set_port(&peer, m->peer_port);
	}
	/* our own address only matters to a pcap (a wildcard costs a route lookup) */
	if (trace_pcap_path(ua->trace) && !tap_local(ua, &peer, m->proto, &local))
		t.local = (const struct sockaddr *)&local;
	t.peer = (const struct sockaddr *)&peer;
	trace_sip(ua->trace, &t);
}

void sip_tap_start(struct sip_ua *ua)
{
	if (ua->trace)
		sip_trace_tap(tap_msg, ua);
}
