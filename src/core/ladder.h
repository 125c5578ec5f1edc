/* sipgw - per-call ladder diagrams: the messages of every leg of a call
 * (Q.931 to the PBX, SIP to the peers), kept per call from the wire, drawn
 * as an HTML page with an inline SVG ladder like the figures of the Cisco
 * call flows (Appendix B). SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_CORE_LADDER_H
#define SIPGW_CORE_LADDER_H

#include <stddef.h>
#include <stdio.h>

struct su_root_s;
struct ladder;

#define LADDER_MAX_EVENTS 256	/* per call; past it the rest is counted, not kept */
#define LADDER_FIRST_EVENTS 16	/* room made at a call's first message, doubled as needed */
#define LADDER_KEEP	  64	/* ended calls kept for "sipgwctl ladder" */
#define LADDER_PENDING	  512	/* messages of no call known yet (a SETUP before its call) */
#define LADDER_LINGER_MS  2000	/* after hang-up, messages still come (ACK of a final
				 * response, RELEASE COMPLETE): the file waits for them */

enum ladder_side { LADDER_PRI, LADDER_SIP };

/* One message on the wire, as the span or the SIP stack saw it. */
struct ladder_msg {
	enum ladder_side side;
	int sent;		/* sipgw sent it */
	long long t_us;		/* CLOCK_REALTIME */
	const char *label;	/* the arrow's text: "SETUP", "180 Ringing" */
	const char *detail;	/* a longer line (the trace summary), shown on hover */
	/* PRI: */
	const char *span;	/* span name */
	unsigned cref;		/* call reference value, flag taken out */
	int chan;		/* B-channel the message names, -1 none */
	int setup;		/* a SETUP: a new call, never an ended one's (its cref may be reused) */
	/* SIP: */
	const char *call_id;
	const char *peer;	/* "udp 127.0.0.1:5062" */
};

/* A leg of a call, as the call says it (leg_status): how its messages are
 * found. PRI: span and channel (the call reference is learned from the
 * message that names the channel); SIP: its Call-ID. */
struct ladder_key {
	enum ladder_side side;
	const char *span;
	int chan;
	const char *call_id;
};

struct ladder_params {
	struct su_root_s *root;
	const char *dir;	/* write each call's page here at hang-up (NULL: none) */
};

int ladder_alloc(struct ladder **lp, const struct ladder_params *p);
/** Write the pages still waiting (exit), then free. NULL is fine. */
void ladder_free(struct ladder *l);
/** Change the folder pages are written to (NULL: stop writing). 0 or -ENOMEM. */
int ladder_set_dir(struct ladder *l, const char *dir);

/** A message seen: kept with its call, or until its call is known. */
void ladder_msg(struct ladder *l, const struct ladder_msg *m);
/** The call's legs as they are now (call again when a leg is added or
 * learns its channel): title is the page's heading ("call 7: 5551000 ->
 * 2001"). Messages of those legs seen so far join the call. */
void ladder_call_seen(struct ladder *l, unsigned call, const char *title,
		      const struct ladder_key *keys, int n_keys);
/** The call hung up: kept among the last LADDER_KEEP, its page written to
 * dir (if set) LADDER_LINGER_MS later. */
void ladder_call_end(struct ladder *l, unsigned call);
/** The page of a call up or recently ended, by sipgw's call number or a
 * leg's SIP Call-ID: a malloc'd text in *htmlp (*lenp bytes). 0 or -ENOENT. */
int ladder_page(struct ladder *l, const char *id, char **htmlp, size_t *lenp);

/* ---- the drawing, pure (ladder_svg.c) */

struct ladder_row {
	long long t_us;
	int from, to;		/* column indexes */
	int sent;		/* sipgw sent it (drawn in another colour) */
	const char *label, *detail;
};

struct ladder_view {
	const char *title;
	const char *const *columns;	/* their headings, left to right */
	int n_columns;
	const struct ladder_row *rows;
	int n_rows;
	unsigned dropped;	/* messages past LADDER_MAX_EVENTS */
};

/** The HTML page (an inline SVG ladder, every text from the wire escaped). 0 or -EIO. */
int ladder_render(FILE *f, const struct ladder_view *v);
/** s with & < > " ' as HTML character references. */
void ladder_escape(FILE *f, const char *s);

#endif
