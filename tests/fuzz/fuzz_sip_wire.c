/* sipgw - fuzz target: whole SIP messages as bytes, the way our
 * tport_log_msg() hands Sofia's to the trace (sip_trace_wire(): the line
 * ends taken out for the header scan and the summary, the bytes kept for
 * the pcap), on to a call's ladder and into UDP packets (sip/sip_trace.c,
 * core/ladder.c, core/pcap_link.c). The SIP text is the peers' (outside
 * input).
 *
 * The input's first byte picks sent or received (bit 0), UDP or TCP (bit 1)
 * and IPv4 or IPv6 (bit 2); the rest is the message, split at 0x01 bytes
 * into the pieces of an iovec. Besides "no crash": the text is NUL-ended at
 * len, is the input's bytes, and a message has a peer address, a label and
 * a Call-ID string. SPDX-License-Identifier: GPL-2.0-only */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/ladder.h"
#include "core/netaddr.h"
#include "core/pcap_link.h"
#include "sip/sip_trace.h"

static struct ladder *ladder;
static uint8_t pkt[70000];
static size_t want_len;
static const char *want;

static void tap(void *arg, const struct sip_trace_msg *m)
{
	struct sockaddr_storage peer = { 0 }, local;
	struct ladder_msg lm = { .side = LADDER_SIP, .sent = m->sent, .label = m->label,
				 .detail = m->summary, .call_id = m->call_id, .peer = "udp x" };
	struct ladder_key k = { .side = LADDER_SIP, .call_id = m->call_id };

	if (m->text[m->len] != 0 || !m->peer_sa || !m->label || !m->call_id || !m->summary ||
	    m->wire_len != want_len || m->len > want_len || memcmp(m->text, want, m->len))
		abort();
	ladder_msg(ladder, &lm);
	ladder_call_seen(ladder, 1, m->call_id, &k, 1);
	memcpy(&peer, m->peer_sa, m->peer_sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
	       sizeof(struct sockaddr_in));
	netaddr_parse(peer.ss_family == AF_INET6 ? "::1" : "127.0.0.1", &local);
	if (!pcap_udp_packet(pkt, sizeof(pkt), (void *)&local, (void *)&peer, m->text, m->len) &&
	    m->len + 48 <= 0xffff - 8)
		abort();	/* it fits, it must be made */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sip_trace_piece v[80];
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(5062) };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(5062) };
	char *buf, *html = NULL;
	size_t n = 0, start = 1, len, o = 0;

	if (!size)
		return 0;
	if (!(buf = malloc(size)) || ladder_alloc(&ladder, &(struct ladder_params){ 0 }))
		abort();
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	inet_pton(AF_INET6, "::1", &sin6.sin6_addr);
	/* the message without its 0x01 separators, and the pieces pointing into it */
	for (size_t i = 1; i <= size; i++) {
		if (i == size || data[i] == 0x01) {
			if (n < 80) {
				memcpy(buf + o, data + start, i - start);
				v[n++] = (struct sip_trace_piece){ buf + o, i - start };
				o += i - start;
			}
			start = i + 1;
		}
	}
	want = buf;
	want_len = o;
	sip_trace_tap(tap, NULL);
	if (sip_trace_wire(data[0] & 1, data[0] & 2 ? "tcp" : "udp",
			   data[0] & 4 ? (struct sockaddr *)&sin6 : (struct sockaddr *)&sin, v, n))
		abort();
	sip_trace_tap(NULL, NULL);
	if (!ladder_page(ladder, "1", &html, &len) && (!html || strlen(html) != len))
		abort();
	free(html);
	ladder_free(ladder);
	free(buf);
	return 0;
}
