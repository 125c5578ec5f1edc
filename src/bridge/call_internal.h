/* sipgw - what call.c and bridge.c share: the call's state machine's
 * names and the call and bridge structs. Nothing outside src/bridge/
 * includes it. SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_BRIDGE_CALL_INTERNAL_H
#define SIPGW_BRIDGE_CALL_INTERNAL_H

#include <sys/queue.h>

#include "bridge/bridge.h"
#include "bridge/cdr.h"
#include "core/fsm.h"
#include "rtp/media.h"

#define CALL_MAX_DYING 16	/* legs hunted past or forks not taken, still clearing */
#define CALL_MAX_FORKS 8	/* called legs rung beside b */

enum call_state {
	CALL_ST_ROUTING,	/* a leg in, looking for the other side */
	CALL_ST_PROCEEDING,	/* b leg placed, nothing heard yet */
	CALL_ST_ALERTING,	/* b leg rings */
	CALL_ST_ACTIVE,		/* answered */
	CALL_ST_RELEASING,	/* clearing: waiting for both legs to finish */
	CALL_ST__COUNT
};

enum call_event {
	CALL_EV_LEG_ADDED,	/* routing placed an outgoing leg */
	CALL_EV_ALERTING,	/* a called leg rings (struct call_ev) */
	CALL_EV_PROGRESS,	/* a called leg has early media */
	CALL_EV_ANSWERED,	/* a called leg answered */
	CALL_EV_RELEASED,	/* a leg failed or cleared */
	CALL_EV_HOLD,		/* a leg held or resumed */
	CALL_EV_CLEAR,		/* clear everything (routing gave up, shutdown) */
	CALL_EV__COUNT
};

enum call_timer { CALL_T_NONE, CALL_T_RING_NO_ANSWER, CALL_T__COUNT };

struct call {
	LIST_ENTRY(call) entry;
	struct bridge *br;
	unsigned id;
	struct fsm_inst fi;
	struct leg *a, *b;
	struct leg *forks[CALL_MAX_FORKS];	/* more called legs ringing beside b */
	struct leg *dying[CALL_MAX_DYING];	/* legs given up on, still clearing */
	struct leg_setup_info si;
	struct leg *cleared_by;		/* RELEASING: the leg that cleared first (not told again) */
	struct leg *held;		/* ACTIVE: the party told it is held (NULL: none) */
	enum leg_hold hold_how;
	struct leg *xfer;		/* ACTIVE: a leg to a transfer target, ringing for the party that stays */
	struct leg *xfer_from;		/* the transferor, whose place it takes (NULL: gone already) */
	int last_cause;
	void *route_data;
	struct media_stats mst[2];	/* a's and b's, taken as each goes */
	struct cdr_record cdr;		/* the call's record, filled as it goes (call_cdr.c) */
	int end_cause[2], end_status[2];	/* a's and b's: the cause (status) each ended with */
	long long t_alert_us, t_answer_us;	/* first ALERTING, the answer (mono_us; 0 = not yet) */
	const char *a_kind, *b_kind;	/* leg kinds of the caller and the first called leg (metrics) */
	char desc[48];
};

struct bridge {
	struct su_root_s *root;
	unsigned timer_ms[CALL_T__COUNT];
	const struct bridge_route_ops *route;
	void *route_arg;
	LIST_HEAD(, call) calls;
	unsigned n_calls;
	unsigned next_id;
	struct call_metrics *metrics;	/* NULL: no registry (call_stats.c) */
	int shutting_down;
	void (*idle_h)(void *arg);
	void *idle_arg;
	bridge_cdr_h *cdr_h;
	void *cdr_arg;
	struct ladder *ladder;		/* NULL: calls are not drawn */
};

/* call_cdr.c: the call's record as it goes, and handed on at its end */
void call_cdr_begin(struct call *c);
/* the call clears: from is the leg that cleared first (NULL: the gateway) */
void call_cdr_clearing(struct call *c, const struct leg *from);
/* leg a (out 0) or a called leg (out 1) ended with cause and SIP status */
void call_cdr_leg_ended(struct call *c, int out, int cause, int status);
/* take leg's facts into the record's in (out 0) or out (out 1) leg */
void call_cdr_take(struct call *c, struct leg *leg, int out);
/* finish the record and hand it to the writer (call freed or dropped) */
void call_cdr_end(struct call *c);

/** The call's legs as they are now to its ladder; at its end (call_trace.c). */
void call_trace_update(struct call *c);
void call_trace_end(struct call *c);

#endif
