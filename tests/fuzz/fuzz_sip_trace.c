/* sipgw - fuzz target: Sofia's transport log as sip_trace.c reads it (the
 * stamp line, the message's lines, the separators) and the whole messages
 * it rebuilds, on to a call's ladder and into UDP packets for the pcap
 * (sip/sip_trace.c, core/ladder.c, core/pcap_link.c). The SIP text is the
 * peers' (outside input).
 *
 * The input is pieces, split at 0x01 bytes, each handed on as one su_log()
 * piece. Besides "no crash", each promise of sip/sip_trace.h is checked:
 * the text is NUL-ended at len, a message has a peer, a label and a Call-ID
 * string. SPDX-License-Identifier: GPL-2.0-only */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/ladder.h"
#include "core/netaddr.h"
#include "core/pcap_link.h"
#include "sip/sip_trace.h"

static struct ladder *ladder;
static uint8_t pkt[70000];

static void tap(void *arg, const struct sip_trace_msg *m)
{
	struct sockaddr_storage peer, local;
	struct ladder_msg lm = { .side = LADDER_SIP, .sent = m->sent, .label = m->label,
				 .detail = m->summary, .call_id = m->call_id, .peer = m->peer };
	struct ladder_key k = { .side = LADDER_SIP, .call_id = m->call_id };

	if (m->text[m->len] != 0 || !m->peer[0] || !m->label || !m->call_id || !m->summary)
		abort();
	ladder_msg(ladder, &lm);
	ladder_call_seen(ladder, 1, m->call_id, &k, 1);
	if (netaddr_parse(m->peer, &peer))
		return;
	netaddr_set_port(&peer, m->peer_port);
	netaddr_parse(peer.ss_family == AF_INET6 ? "::1" : "127.0.0.1", &local);
	if (!pcap_udp_packet(pkt, sizeof(pkt), (void *)&local, (void *)&peer, m->text, m->len) &&
	    m->len + 48 <= 0xffff - 8)
		abort();	/* it fits, it must be made */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	size_t start = 0;
	char *html = NULL;
	size_t len;

	if (!buf || ladder_alloc(&ladder, &(struct ladder_params){ 0 }))
		abort();
	memcpy(buf, data, size);
	buf[size] = 0;
	sip_trace_tap(tap, NULL);
	for (size_t i = 0; i <= size; i++) {
		if (i == size || buf[i] == 0x01) {
			buf[i] = 0;
			sip_trace_feed(buf + start);
			start = i + 1;
		}
	}
	/* a message left half-way is finished by a separator, as Sofia ends one */
	sip_trace_feed("\n   ------------------------------------------------------------------------\n");
	sip_trace_tap(NULL, NULL);
	if (!ladder_page(ladder, "1", &html, &len) && (!html || strlen(html) != len))
		abort();
	free(html);
	ladder_free(ladder);
	free(buf);
	return 0;
}
