/* sipgw - traces of what crossed the wire: every Q.921/Q.931 frame of every
 * span and every SIP message, into one pcapng on one time line (Wireshark's
 * VoIP Calls and Flow Sequence show both sides of a call together), and
 * into per-call ladders (core/ladder.h). The spans and the SIP stack hand
 * their messages here; nothing here knows libpri or Sofia.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_CORE_TRACE_H
#define SIPGW_CORE_TRACE_H

#include <stddef.h>
#include <stdint.h>

struct su_root_s;
struct sockaddr;
struct ladder;
struct trace;

#define TRACE_FLUSH_MS 1000	/* buffered packets reach the disk at least this often */

struct trace_params {
	struct su_root_s *root;
	const char *ladder_dir;	/* each call's ladder page written here at hang-up (NULL: none) */
};

int trace_alloc(struct trace **tp, const struct trace_params *p);
/** Flush and close the pcap, write the ladders due; NULL is fine. */
void trace_free(struct trace *t);

/** Start (or move) the pcapng capture: path, rotated to path.1 ..
 * path.(files-1) when it would pass max_bytes (0: never). 0 or -errno
 * (then any earlier capture goes on). */
int trace_pcap_start(struct trace *t, const char *path, uint64_t max_bytes, unsigned files);
/** Stop it (flushed, closed). */
void trace_pcap_stop(struct trace *t);
/** The file being written, or NULL. */
const char *trace_pcap_path(const struct trace *t);
/** Packets written since the capture started, and write errors. */
void trace_pcap_counts(const struct trace *t, unsigned long *packetsp, unsigned long *errorsp);
struct ladder *trace_ladder(struct trace *t);

/* A D-channel frame (Q.921, maybe carrying Q.931). */
struct trace_q931 {
	const char *span;		/* the span's name */
	int network;			/* sipgw is the network side of it */
	int sent;
	const uint8_t *frame;		/* as libpri exchanges it: 2 FCS bytes at the end */
	size_t len;
	/* when it carries a Q.931 message (else label NULL): */
	const char *label;		/* "SETUP" */
	const char *summary;		/* "SETUP cref=0x0001 chan=1 called=2001" */
	unsigned cref;			/* without its flag */
	int chan;			/* -1: the message names none */
	int setup;			/* it is a SETUP */
};
void trace_q931(struct trace *t, const struct trace_q931 *q);

/* A SIP message. */
struct trace_sip {
	int sent;
	const char *proto;		/* "udp", "tcp", "tls": the pcap has UDP for all */
	const struct sockaddr *local, *peer;	/* same family; local NULL: not known (no pcap then) */
	const char *text;
	size_t len;
	size_t wire_len;		/* what the stack said went on the wire */
	const char *call_id, *label, *summary;
	int no_call;			/* of no call (a REGISTER): the pcap only, no ladder */
};
void trace_sip(struct trace *t, const struct trace_sip *m);

#endif
