/* sipgw - a PRI span on libpri: D-channel through a span back end, timers on
 * the loop, B-channel table, 20 ms audio clock. SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_Q931_SPAN_H
#define SIPGW_Q931_SPAN_H

#include "bridge/leg.h"
#include "core/config.h"

struct su_root_s;
struct span;
struct moh;
struct media_late;
struct span_hw_ops;

#define SPAN_MAX_CHANS 32	/* B-channel numbers 1..31 */

/** A SETUP arrived: the span made an incoming leg; the handler takes it into
 * a call (and then owns it) and returns 0, or returns -errno with *causep set
 * to the Q.850 cause to refuse it with. */
typedef int (span_incoming_h)(void *arg, struct leg *leg, const struct leg_setup_info *si, int *causep);

/** Overlap receiving: 1 when the called number so far is complete (route it
 * now), 0 when more digits may come for it. */
typedef int (span_number_h)(void *arg, const char *number);

struct span_params {
	const struct cfg_span *cfg;
	struct su_root_s *root;
	span_incoming_h *incoming_h;
	span_number_h *number_h;	/* NULL: every number is complete */
	void *arg;			/* of both handlers */
	unsigned t302_ms;		/* Q.931 T302: overlap receiving, no more digits this long */
	int reserved;		/* B-channels only emergency calls may take (figure B-22) */
	const struct moh *moh;	/* music for a PBX party the SIP side holds (NULL: silence) */
	const struct span_hw_ops *hw_ops;	/* NULL: by cfg->type; tests/fuzz gives its own */
	struct trace *trace;	/* every D-channel frame goes to it (pcap, ladders); NULL: none */
	struct media_late *late;	/* its media thread's tick lateness (core/media_late.h); NULL: none */
};

int span_alloc(struct span **spp, const struct span_params *p);
/** NFAS (config nfas_group): the spans of each group share their primary's
 * (or backup's) D-channel from now on. Call once, after allocating them all.
 * 0 or -ENOMEM. */
int span_nfas_link(struct span **spans, int n);
void span_free(struct span *sp);
/** A reload, the span staying: what new calls may take at once of its new
 * entry nc (hunting, tone zone, echo canceller, DTMF to the PBX, country
 * code, in-band ringback) and T302. Its D-channel and line keep what they
 * were started with (core/cfg_diff.h names those). */
void span_reconfigure(struct span *sp, const struct cfg_span *nc, unsigned t302_ms);
/** The span's legs now (calls on it, set up or clearing). */
int span_calls(const struct span *sp);
/** What the span runs with now (its own copy of its config entry). */
const struct cfg_span *span_config(const struct span *sp);
const char *span_name(const struct span *sp);
enum g711_law span_law(const struct span *sp);
/** B-channels a new (non-emergency) call could take now: free, in service,
 * not kept for emergency calls; -ENETDOWN while no D-channel carries the
 * span's calls. Cheap: no Q.931, no allocation (span_avail.c). */
int span_callable_chans(const struct span *sp);
/* What a span carries now (span_stats.c), for metrics. */
struct span_counts {
	int chans;	/* B-channels configured */
	int busy;	/* held by a call (incoming, outgoing or clearing) */
	int unusable;	/* free but not usable: out of service, restarting */
	int dchan_up;	/* 1: calls can be signalled (NFAS: on some D-channel of the group) */
};
void span_counts(const struct span *sp, struct span_counts *out);
/* A call out on this span (SIP -> PRI). */
struct pri_leg_params {
	const char *called;	/* after the dial-peer's digit manipulation */
	int plan;		/* Q.931 type of number | numbering plan of the called number */
	const char *calling;	/* NULL: the setup info's, as it is */
	int calling_plan;	/* its type of number | numbering plan */
	const char *redirecting;	/* NULL: the setup info's, as it is */
	int redirecting_plan;
};

/** An outgoing leg on sp, not yet signalled: its leg_ops.setup hunts a
 * B-channel and sends SETUP. Only an emergency call (si->emergency) may take
 * the last reserved channels. setup returns 0, or -errno with the Q.850
 * cause in *causep: -EBUSY (34, no circuit), -ENETDOWN (38, D-channel down),
 * -ENOMEM (47), -EINVAL (1: called has characters a called party number
 * cannot carry; 28: more digits than libpri sends, so the number is refused
 * rather than cut). alloc itself returns 0 or -ENOMEM. */
int pri_leg_alloc_outgoing(struct leg **legp, struct span *sp, const struct pri_leg_params *p);

/* What sipgwctl shows of a span (span_info.c): read from its state, no
 * Q.931 exchanged, nothing allocated. */
struct span_info {
	const char *name, *type, *framing, *switchtype, *role;	/* as configured */
	int dchan_up;		/* calls can be signalled (NFAS: on some D-channel of the group) */
	int has_dchan;		/* the span has a D-channel of its own (NFAS nfas_d none: 0) */
	int q921_up;		/* its own D-channel's Q.921 link is in multiple-frame
				 * established state (Q.921 5.5) */
	int nfas_group;		/* 0: not NFAS */
	const char *nfas_d;	/* NFAS: "primary", "backup" or "none" (the span's D-channel role) */
	const char *signalled_on;	/* the span whose D-channel carries its calls now */
	char alarms[96];	/* "none", the line's ("red", "yellow", ...) or "far end gone" */
	int n_b;		/* B-channels */
	int busy, idle;		/* in a call; free for a new one (reserved ones included) */
	int oos_far, oos_near;	/* out of service by the far end's SERVICE; busied out by us */
	int restarting;		/* RESTART sent, not acknowledged */
	int reserved;		/* channels kept for emergency calls (of the idle ones) */
	int calls;		/* calls up (legs not yet released) */
	int service_messages;	/* SERVICE goes to the far end for a busyout */
	int debug_q931;		/* sipgwctl debug q931 is on for it */
};
void span_info_get(const struct span *sp, struct span_info *si);

enum span_chan_state {
	SPAN_CH_IDLE, SPAN_CH_BUSY, SPAN_CH_RESTARTING, SPAN_CH_OOS_FAR, SPAN_CH_OOS_NEAR, SPAN_CH_RESERVED,
	SPAN_CH__COUNT
};
const char *span_chan_state_name(enum span_chan_state st);

struct span_chan_info {
	int chan;
	enum span_chan_state state;	/* busy wins over the rest: a call goes on on a channel
					 * taken out of service meanwhile */
	int oos_far, oos_near;		/* besides: the far end's SERVICE / our busyout */
	const char *q931_state;		/* busy: its leg's Q.931 state ("ACTIVE"), else "" */
	const struct leg *leg;		/* busy: the leg holding it, else NULL */
	int outgoing;			/* busy: the call went out on the span (SIP -> PRI) */
	const char *called, *calling;	/* busy: the call's numbers as signalled, else "" */
};
/** Each B-channel of sp, ascending: n of them into out (max SPAN_MAX_CHANS). */
int span_chan_info_get(const struct span *sp, struct span_chan_info *out, int max);
/** Is chan a B-channel of sp? */
int span_is_bchan(const struct span *sp, int chan);

/** Busy out (busy 1) B-channels lo..hi of sp (those of its B-channels in
 * that range), or put them back in use (busy 0), as Cisco's busyout: no
 * new call in either direction is hunted on them, calls up on them stay.
 * With the span's service_messages, SERVICE out of service (in service)
 * goes to the far end for each, for a busy one once its call is over.
 * Kept over D-channel and far-end changes. partial: channels of the range
 * already so are left as they are (a whole span after some of it). 0, or
 * -EINVAL (lo or hi not a B-channel, lo > hi), -EALREADY (*chanp: the first
 * channel already so, nothing changed; partial: all of them are). */
int span_busyout(struct span *sp, int lo, int hi, int busy, int partial, int *chanp);
/** sipgwctl debug q931: libpri's decoded dump of every Q.931 message of
 * sp (NFAS: of its group's D-channels) logged at notice while on. */
void span_debug_q931(struct span *sp, int on);

#endif
