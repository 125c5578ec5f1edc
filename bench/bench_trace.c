/* sipgw - benchmark: the CPU the traces cost per message: a SIP message
 * rebuilt from Sofia's transport log (sip_trace.c) and kept with its call
 * (core/ladder.c), then also written to a pcapng (core/trace.c); a Q.931
 * frame decoded (q931_trace.c) and kept, then also written. Sofia's own
 * formatting of its log is not in these figures (see README: the whole
 * gateway's CPU per call with and without). Figures only, never pass/fail.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/ladder.h"
#include "core/netaddr.h"
#include "core/trace.h"
#include "q931/q931_trace.h"
#include "sip/sip_trace.h"

#define ROUNDS 100000
#define SEP "   ------------------------------------------------------------------------\n"

static struct trace *tr;
static struct sockaddr_storage gw, peer;
static unsigned long msgs;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void tap(void *arg, const struct sip_trace_msg *m)
{
	struct trace_sip s = { .sent = m->sent, .proto = m->proto, .local = (void *)&gw, .peer = (void *)&peer,
			       .text = m->text, .len = m->len, .wire_len = m->wire_len, .call_id = m->call_id,
			       .label = m->label, .summary = m->summary };

	trace_sip(tr, &s);
	msgs++;
}

/* An INVITE as Sofia's tport_log_msg() hands it to su_log(), piece by piece. */
static int sofia_pieces(char **pieces, int max)
{
	static const char *const lines[] = {
		"INVITE sip:2001@127.0.0.1:5062;user=phone SIP/2.0",
		"Via: SIP/2.0/UDP 127.0.0.1:5060;rport;branch=z9hG4bKXv5ae9B9FH3tH",
		"Max-Forwards: 70", "From: \"User A\" <sip:5551000@127.0.0.1:5060>;tag=0p8N1rgK5FU3D",
		"To: <sip:2001@127.0.0.1:5062;user=phone>", "Call-ID: 7a1c9d1e-2d51-123b-5b2c-0242ac110002",
		"CSeq: 12345 INVITE", "Contact: <sip:5551000@127.0.0.1:5060>",
		"Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, PRACK, UPDATE, INFO, REFER, NOTIFY",
		"Supported: timer, 100rel, replaces", "Session-Expires: 1800", "Min-SE: 90",
		"Content-Type: application/sdp", "Content-Length: 130", "",
		"v=0", "o=- 1 1 IN IP4 127.0.0.1", "s=-", "c=IN IP4 127.0.0.1", "t=0 0",
		"m=audio 30000 RTP/AVP 0 101", "a=rtpmap:101 telephone-event/8000", "a=sendrecv",
	};
	int n = 0;
	size_t len = 0;

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		len += strlen(lines[i]) + 2;
	if (asprintf(&pieces[n++], "send %zu bytes to udp/[127.0.0.1]:5062 at 22:00:00.000000:\n" SEP, len) < 0)
		exit(1);
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]) && n + 2 < max; i++) {
		if (asprintf(&pieces[n++], "   %s", lines[i]) < 0 || !(pieces[n++] = strdup("\n")))
			exit(1);
	}
	pieces[n++] = strdup(SEP);
	return n;
}

static void bench_sip(const char *what, int pcap)
{
	char *pieces[64];
	int np = sofia_pieces(pieces, 64);
	double t0;

	msgs = 0;
	t0 = now_s();
	for (int r = 0; r < ROUNDS; r++)
		for (int k = 0; k < np; k++)
			sip_trace_feed(pieces[k]);
	printf("  SIP INVITE (%s): %.2f us a message (%lu messages%s)\n", what,
	       (now_s() - t0) * 1e6 / (double)msgs, msgs, pcap ? ", 64 KiB-buffered writes" : "");
	for (int k = 0; k < np; k++)
		free(pieces[k]);
}

static void bench_q931(const char *what)
{
	/* SETUP, cref 1, bearer, channel 1, calling 5551000, called 2001, 2 FCS bytes */
	static const uint8_t setup[] = {
		0x00, 0x01, 0x00, 0x00, 0x08, 0x02, 0x00, 0x01, 0x05, 0x04, 0x03, 0x80, 0x90, 0xa2,
		0x18, 0x03, 0xa9, 0x83, 0x81, 0x6c, 0x09, 0x21, 0x80, '5', '5', '5', '1', '0', '0', '0',
		0x70, 0x05, 0xc1, '2', '0', '0', '1', 0x00, 0x00,
	};
	struct q931_ident id;
	char summary[256];
	double t0;

	if (q931_trace_ident(setup, sizeof(setup), &id) || !id.name || strcmp(id.name, "SETUP")) {
		printf("  Q.931 SETUP: the bench's frame does not decode\n");
		return;
	}
	t0 = now_s();
	for (int r = 0; r < ROUNDS; r++) {
		struct trace_q931 q = { .span = "span1", .network = 1, .frame = setup, .len = sizeof(setup),
					.chan = -1 };
		if (!q931_trace_ident(setup, sizeof(setup), &id) &&
		    !q931_trace_frame(setup, sizeof(setup), summary, sizeof(summary))) {
			q.label = id.name;
			q.summary = summary;
			q.cref = id.cref + (unsigned)r % 1000;	/* calls of their own */
			q.chan = id.chan;
		}
		trace_q931(tr, &q);
	}
	printf("  Q.931 SETUP (%s): %.2f us a frame\n", what, (now_s() - t0) * 1e6 / ROUNDS);
}

int main(void)
{
	char dir[] = "/tmp/sipgw-bench-trace-XXXXXX", path[64];

	if (!mkdtemp(dir) || trace_alloc(&tr, &(struct trace_params){ 0 }))
		return 1;
	snprintf(path, sizeof(path), "%s/b.pcapng", dir);
	netaddr_parse("127.0.0.1", &gw);
	netaddr_set_port(&gw, 5060);
	netaddr_parse("127.0.0.1", &peer);
	netaddr_set_port(&peer, 5062);
	sip_trace_tap(tap, NULL);
	printf("traces: CPU per message (%d rounds; messages of no call known wait in the ladder's ring)\n",
	       ROUNDS);
	bench_sip("rebuilt, kept for the ladder", 0);
	bench_q931("decoded, kept for the ladder");
	if (trace_pcap_start(tr, path, 0, 1))
		return 1;
	bench_sip("and written to the pcapng", 1);
	bench_q931("and written to the pcapng");
	trace_pcap_stop(tr);
	sip_trace_tap(NULL, NULL);
	trace_free(tr);
	unlink(path);
	rmdir(dir);
	return 0;
}
