/* sipgw - traces of what crossed the wire: one pcapng (a LINUX_LAPD
 * interface per span, a raw-IP one for SIP) and per-call ladders.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "core/trace.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "core/ladder.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/pcap_link.h"
#include "core/pcapng.h"

#define TRACE_MAX_SPANS PCAPNG_MAX_IFS
#define TRACE_APPL "sipgw"

struct trace {
	struct su_root_s *root;
	struct pcapng *pc;
	char *path;
	int sip_if;			/* the raw-IP interface */
	struct {
		char name[32];
		int ifid;
	} spans[TRACE_MAX_SPANS];	/* a LINUX_LAPD interface per span, made at its first frame */
	int n_spans;
	int dirty;			/* written since the last flush */
	unsigned long packets, errors;
	struct log_limit lim_err;
	struct loop_timer *flush;
	struct ladder *ladder;
	/* the last SIP peer as text: most messages go to one or two peers,
	 * and inet_ntop() + snprintf per message was as much as the rest */
	struct sockaddr_storage last_peer;
	char last_party[96];
	uint8_t pkt[PCAPNG_SNAPLEN];
};

/* One clock for both sides of a call (pcapng's timestamps are since the epoch). */
static long long real_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void flush_due(void *arg)
{
	struct trace *t = arg;

	if (t->pc && t->dirty && pcapng_flush(t->pc))
		LOGW_LIMIT(&t->lim_err, LSS_CORE, "trace: %s: %s", t->path, strerror(errno));
	t->dirty = 0;
	if (t->pc)
		loop_timer_start(t->flush, TRACE_FLUSH_MS);
}

int trace_alloc(struct trace **tp, const struct trace_params *p)
{
	struct trace *t = calloc(1, sizeof(*t));
	struct ladder_params lp = { .root = p->root, .dir = p->ladder_dir };
	int rc;

	if (!t)
		return -ENOMEM;
	t->root = p->root;
	t->sip_if = -1;
	if ((rc = ladder_alloc(&t->ladder, &lp)) ||
	    (p->root && (rc = loop_timer_alloc(&t->flush, p->root, "pcap-flush", flush_due, t)))) {
		trace_free(t);
		return rc;
	}
	*tp = t;
	return 0;
}

void trace_free(struct trace *t)
{
	if (!t)
		return;
	trace_pcap_stop(t);
	loop_timer_free(t->flush);
	ladder_free(t->ladder);
	free(t);
}

int trace_pcap_start(struct trace *t, const char *path, uint64_t max_bytes, unsigned files)
{
	struct pcapng_params pp = { .path = path, .max_bytes = max_bytes, .files = files,
				    .appl = TRACE_APPL };
	struct pcapng *pc = NULL;
	struct stat a, b;
	char *p = strdup(path);
	int rc, sip_if;

	if (!p)
		return -ENOMEM;
	/* the same file again: the old capture's buffer must not land in the new one */
	if (t->path && !stat(t->path, &a) && !stat(path, &b) && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		trace_pcap_stop(t);
	if ((rc = pcapng_open(&pc, &pp)) ||
	    (rc = sip_if = pcapng_interface(pc, PCAP_LINKTYPE_RAW, "sip",
					     "SIP messages as UDP/IP (TCP and TLS ones too, TLS decrypted)")) < 0) {
		pcapng_close(pc);
		free(p);
		return rc;
	}
	trace_pcap_stop(t);
	t->pc = pc;
	t->path = p;
	t->sip_if = sip_if;
	t->n_spans = 0;
	t->packets = t->errors = 0;
	if (t->flush)
		loop_timer_start(t->flush, TRACE_FLUSH_MS);
	LOGN(LSS_CORE, "trace: pcap to %s (rotated at %llu bytes, %u files)", path,
	     (unsigned long long)max_bytes, files ? files : 1);
	return 0;
}

void trace_pcap_stop(struct trace *t)
{
	if (!t->pc)
		return;
	pcapng_close(t->pc);
	LOGN(LSS_CORE, "trace: pcap to %s stopped: %lu packets, %lu errors", t->path, t->packets, t->errors);
	t->pc = NULL;
	free(t->path);
	t->path = NULL;
	t->dirty = 0;
	if (t->flush)
		loop_timer_stop(t->flush);
}

const char *trace_pcap_path(const struct trace *t)
{
	return t->path;
}

void trace_pcap_counts(const struct trace *t, unsigned long *packetsp, unsigned long *errorsp)
{
	*packetsp = t->packets;
	*errorsp = t->errors;
}

struct ladder *trace_ladder(struct trace *t)
{
	return t->ladder;
}

static void pcap_write(struct trace *t, int ifid, long long ts, int sent, size_t n, const char *comment)
{
	int rc = pcapng_packet(t->pc, ifid, (uint64_t)ts, sent ? PCAPNG_DIR_OUT : PCAPNG_DIR_IN,
			       t->pkt, n, comment);

	if (rc) {
		t->errors++;
		LOGW_LIMIT(&t->lim_err, LSS_CORE, "trace: %s: %s", t->path, strerror(-rc));
		return;
	}
	t->packets++;
	t->dirty = 1;
}

static int span_if(struct trace *t, const char *span, int network)
{
	char descr[96];
	int i, ifid;

	for (i = 0; i < t->n_spans; i++)
		if (!strcmp(t->spans[i].name, span))
			return t->spans[i].ifid;
	if (t->n_spans == TRACE_MAX_SPANS)
		return -ENOSPC;
	snprintf(descr, sizeof(descr), "D-channel of span %s (sipgw is the %s side)", span,
		 network ? "network" : "user");
	/* Wireshark shows the interface name with each frame: the span's */
	ifid = pcapng_interface(t->pc, PCAP_LINKTYPE_LINUX_LAPD, span, descr);
	if (ifid < 0)
		return ifid;
	snprintf(t->spans[t->n_spans].name, sizeof(t->spans[0].name), "%s", span);
	t->spans[t->n_spans++].ifid = ifid;
	return ifid;
}

void trace_q931(struct trace *t, const struct trace_q931 *q)
{
	long long ts = real_us();
	size_t n;
	int ifid;

	if (!t)
		return;
	if (t->pc && (ifid = span_if(t, q->span, q->network)) >= 0 &&
	    (n = pcap_lapd_packet(t->pkt, sizeof(t->pkt), q->sent, q->network, q->frame, q->len)))
		pcap_write(t, ifid, ts, q->sent, n, NULL);
	if (q->label) {
		struct ladder_msg m = { .side = LADDER_PRI, .sent = q->sent, .t_us = ts,
					.label = q->label, .detail = q->summary, .span = q->span,
					.cref = q->cref, .chan = q->chan, .setup = q->setup };
		ladder_msg(t->ladder, &m);
	}
}

static void addr_str(const struct sockaddr *sa, char *out, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;
		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		port = ntohs(s4->sin_port);
		snprintf(out, len, "%s:%u", a, port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;
		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		port = ntohs(s6->sin6_port);
		snprintf(out, len, "[%s]:%u", a, port);
	} else {
		snprintf(out, len, "?");
	}
}

void trace_sip(struct trace *t, const struct trace_sip *m)
{
	long long ts = real_us();
	char comment[160] = "", peer[80];
	size_t n;

	if (!t)
		return;
	if (t->pc && m->local) {
		const struct sockaddr *src = m->sent ? m->local : m->peer, *dst = m->sent ? m->peer : m->local;
		int o = 0;
		if (m->proto && strcmp(m->proto, "udp"))
			o = snprintf(comment, sizeof(comment), "SIP over %s, written as UDP",
				     !strcmp(m->proto, "tls") ? "TLS (decrypted)" : "TCP");
		if (m->len != m->wire_len && o >= 0 && (size_t)o < sizeof(comment))
			snprintf(comment + o, sizeof(comment) - (size_t)o,
				 "%sas the SIP stack logged it: %zu bytes on the wire", o ? "; " : "",
				 m->wire_len);
		n = pcap_udp_packet(t->pkt, sizeof(t->pkt), src, dst, m->text, m->len);
		if (n)
			pcap_write(t, t->sip_if, ts, m->sent, n, comment[0] ? comment : NULL);
		else
			t->errors++;
	}
	if (m->no_call)
		return;		/* a ladder is a call's; a REGISTER storm would only churn the pending ring */
	{
		const char *proto = m->proto ? m->proto : "udp";
		size_t plen = m->peer->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
			      sizeof(struct sockaddr_in);
		struct ladder_msg lm = { .side = LADDER_SIP, .sent = m->sent, .t_us = ts,
					 .label = m->label, .detail = m->summary, .call_id = m->call_id,
					 .peer = t->last_party };

		if (plen > sizeof(t->last_peer) || memcmp(&t->last_peer, m->peer, plen) ||
		    strncmp(t->last_party, proto, strlen(proto)) || t->last_party[strlen(proto)] != ' ') {
			addr_str(m->peer, peer, sizeof(peer));
			snprintf(t->last_party, sizeof(t->last_party), "%s %s", proto, peer);
			memset(&t->last_peer, 0, sizeof(t->last_peer));
			memcpy(&t->last_peer, m->peer, plen <= sizeof(t->last_peer) ? plen : 0);
		}
		ladder_msg(t->ladder, &lm);
	}
}
