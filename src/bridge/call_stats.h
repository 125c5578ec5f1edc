/* sipgw - the calls' figures for the metrics registry (core/stats.h):
 * calls up by direction, calls completed by outcome and Q.850 cause class,
 * post-dial delay and setup time, RTP loss. The call machine tells it of
 * each state it enters; nothing else in the bridge knows of it.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_BRIDGE_CALL_STATS_H
#define SIPGW_BRIDGE_CALL_STATS_H

struct bridge;
struct call;
struct stats;
struct call_metrics;

/** The call families in s, read from br's calls. 0, -ENOMEM or -EEXIST. */
int call_metrics_alloc(struct call_metrics **cmp, struct stats *s, struct bridge *br);
void call_metrics_free(struct call_metrics *cm);
/** The call machine entered a state (enum call_state) from prev. */
void call_metrics_enter(struct call *c, int prev);
/** The call is being freed: its media figures are final. */
void call_metrics_ended(struct call *c);

/* How a call ended, as a voice engineer sorts them. */
enum call_outcome {
	CALL_OUT_ANSWERED,	/* it was answered (however it ended) */
	CALL_OUT_BUSY,		/* cause 17 */
	CALL_OUT_NO_ANSWER,	/* 18, 19: nobody answered (ring-no-answer timer, or the far end's) */
	CALL_OUT_CANCELLED,	/* the caller hung up first (a normal-class cause) */
	CALL_OUT_FAILED,	/* anything else: no route, no circuit, refused, ... */
	CALL_OUT__COUNT
};
/** The outcome of a call: answered before clearing, cleared first by the
 * caller's own leg (by_caller), and the cause it cleared with. */
enum call_outcome call_outcome_of(int answered, int by_caller, int cause);
const char *call_outcome_name(enum call_outcome o);
/** Q.850 2.2.5 table 1: the class of cause (its bits 7-5) as a label:
 * "normal" (classes 000 and 001), "resource_unavailable", "service_unavailable",
 * "not_implemented", "invalid_message", "protocol_error", "interworking". */
const char *cause_class_name(int cause);

#endif
