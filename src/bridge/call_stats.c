/* sipgw - the calls' figures (call_stats.h). A call counts as active from
 * its SETUP/INVITE until it starts clearing; at that moment it is counted
 * completed, so the two never both hold one call. Post-dial delay runs from
 * the SETUP/INVITE in to the first ALERTING/180, or to the answer when
 * nothing rang (ITU-T E.721 3.2); setup time to the answer.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "bridge/call_stats.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/call_internal.h"
#include "bridge/cause.h"
#include "core/log.h"
#include "core/stats.h"

struct call_metrics {
	struct bridge *br;
	struct stats_family *active, *completed, *cleared, *pdd, *setup;
	struct stats_series *rtp_lost, *rtp_rx;
};

/* seconds: a PRI call alerts in ~0.1-1 s, a SIP call through a proxy in up
 * to a few; a setup time includes the ringing, up to the ring-no-answer timer */
static const double pdd_bounds[] = { 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30 };
static const double setup_bounds[] = { 0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30, 45, 60, 120 };

/* The directions a gateway's calls take; shown at 0 from the start. */
static const char *const directions[] = { "pri->sip", "sip->pri", "sip->sip" };

static const char *const outcome_names[CALL_OUT__COUNT] = {
	[CALL_OUT_ANSWERED] = "answered", [CALL_OUT_BUSY] = "busy", [CALL_OUT_NO_ANSWER] = "no_answer",
	[CALL_OUT_CANCELLED] = "cancelled", [CALL_OUT_FAILED] = "failed",
};

const char *call_outcome_name(enum call_outcome o)
{
	return (unsigned)o < CALL_OUT__COUNT ? outcome_names[o] : "failed";
}

enum call_outcome call_outcome_of(int answered, int by_caller, int cause)
{
	if (answered)
		return CALL_OUT_ANSWERED;
	/* the caller hung up (DISCONNECT 16, CANCEL): a normal-class cause; its
	 * leg failing (T-timers, no RTP: 41, 102) is a failure, not a hang-up */
	if (by_caller && cause < 32)
		return CALL_OUT_CANCELLED;
	switch (cause) {
	case CAUSE_USER_BUSY:
		return CALL_OUT_BUSY;
	case CAUSE_NO_USER_RESPONSE:
	case CAUSE_NO_ANSWER:
		return CALL_OUT_NO_ANSWER;
	default:
		return CALL_OUT_FAILED;
	}
}

const char *cause_class_name(int cause)
{
	static const char *const classes[8] = {
		"normal", "normal", "resource_unavailable", "service_unavailable",
		"not_implemented", "invalid_message", "protocol_error", "interworking",
	};

	return classes[(cause >> 4) & 7];
}

/* "pri->sip": the caller's leg kind and the first called leg's. */
static void direction(const struct call *c, char *out, size_t len)
{
	const char *a = c->a_kind ? c->a_kind : c->a ? c->a->ops->kind : "none";

	snprintf(out, len, "%s->%s", a, c->b_kind ? c->b_kind : "none");
}

static struct stats_series *by_dir(struct stats_family *f, const struct call *c)
{
	char dir[32];

	direction(c, dir, sizeof(dir));
	return stats_series1(f, dir);
}

/* Scrape time: the calls not yet clearing, by direction. */
static void collect_active(void *arg, struct stats_family *f)
{
	struct call_metrics *cm = arg;
	struct call *c;

	stats_family_zero(f);
	LIST_FOREACH(c, &cm->br->calls, entry)
		if (c->fi.state != CALL_ST_RELEASING)
			stats_add(by_dir(f, c), 1);
}

static double since_setup_s(const struct call *c)
{
	return (mono_us() - c->si.t_setup_us) / 1e6;
}

static void on_releasing(struct call_metrics *cm, struct call *c, int prev)
{
	enum call_outcome o = call_outcome_of(prev == CALL_ST_ACTIVE, c->cleared_by && c->cleared_by == c->a,
					      c->last_cause);
	char dir[32], cause[8];
	struct stats_series *se;

	direction(c, dir, sizeof(dir));
	if (!stats_series_get(cm->completed, &se, (const char *[]){ dir, outcome_names[o], NULL }))
		stats_inc(se);
	snprintf(cause, sizeof(cause), "%d", c->last_cause);
	if (!stats_series_get(cm->cleared, &se, (const char *[]){ cause_class_name(c->last_cause), cause, NULL }))
		stats_inc(se);
}

void call_metrics_enter(struct call *c, int prev)
{
	struct call_metrics *cm = c->br->metrics;

	switch (c->fi.state) {
	case CALL_ST_PROCEEDING:
		/* the first leg placed names the direction, whatever hunting does later */
		c->a_kind = c->a ? c->a->ops->kind : NULL;
		if (!c->b_kind && c->b)
			c->b_kind = c->b->ops->kind;
		break;
	case CALL_ST_ALERTING:
		if (cm)
			stats_observe(by_dir(cm->pdd, c), since_setup_s(c));
		break;
	case CALL_ST_ACTIVE:
		if (cm && prev == CALL_ST_PROCEEDING)	/* answered without ringing */
			stats_observe(by_dir(cm->pdd, c), since_setup_s(c));
		if (cm)
			stats_observe(by_dir(cm->setup, c), since_setup_s(c));
		break;
	case CALL_ST_RELEASING:
		if (cm)
			on_releasing(cm, c, prev);
		break;
	}
}

void call_metrics_ended(struct call *c)
{
	struct call_metrics *cm = c->br->metrics;

	if (!cm)
		return;
	for (int i = 0; i < 2; i++) {
		const struct media_stats *st = &c->mst[i];

		if (!st->valid)
			continue;
		stats_add(cm->rtp_rx, (double)st->rx_packets);
		if (st->rx_lost > 0)	/* negative: duplicates (RFC 3550 A.3) */
			stats_add(cm->rtp_lost, (double)st->rx_lost);
	}
}

int call_metrics_alloc(struct call_metrics **cmp, struct stats *s, struct bridge *br)
{
	struct call_metrics *cm = calloc(1, sizeof(*cm));
	struct stats_family *lost, *rx;
	int rc;

	if (!cm)
		return -ENOMEM;
	cm->br = br;
	if ((rc = stats_family_add(s, &cm->active, &(struct stats_family_params){
			.name = "sipgw_calls_active", .type = STATS_GAUGE, .labels = { "direction" },
			.help = "Calls up (from SETUP/INVITE until clearing starts), by direction",
			.collect_h = collect_active, .collect_arg = cm })) ||
	    (rc = stats_family_add(s, &cm->completed, &(struct stats_family_params){
			.name = "sipgw_calls_completed_total", .type = STATS_COUNTER,
			.labels = { "direction", "outcome" },
			.help = "Calls ended, by direction and outcome (answered, busy, no_answer, cancelled, failed)" })) ||
	    (rc = stats_family_add(s, &cm->cleared, &(struct stats_family_params){
			.name = "sipgw_calls_cleared_total", .type = STATS_COUNTER,
			.labels = { "cause_class", "cause" },
			.help = "Calls ended, by the Q.850 cause they cleared with and its class" })) ||
	    (rc = stats_family_add(s, &cm->pdd, &(struct stats_family_params){
			.name = "sipgw_call_post_dial_delay_seconds", .type = STATS_HISTOGRAM,
			.labels = { "direction" }, .bounds = pdd_bounds,
			.n_bounds = sizeof(pdd_bounds) / sizeof(pdd_bounds[0]),
			.help = "SETUP/INVITE in to the first ALERTING/180, or to the answer when nothing rang" })) ||
	    (rc = stats_family_add(s, &cm->setup, &(struct stats_family_params){
			.name = "sipgw_call_setup_seconds", .type = STATS_HISTOGRAM,
			.labels = { "direction" }, .bounds = setup_bounds,
			.n_bounds = sizeof(setup_bounds) / sizeof(setup_bounds[0]),
			.help = "SETUP/INVITE in to the answer, for answered calls" })) ||
	    (rc = stats_family_add(s, &lost, &(struct stats_family_params){
			.name = "sipgw_rtp_packets_lost_total", .type = STATS_COUNTER,
			.help = "RTP packets lost on the way to us (RFC 3550 A.3), counted as each call ends" })) ||
	    (rc = stats_family_add(s, &rx, &(struct stats_family_params){
			.name = "sipgw_rtp_packets_received_total", .type = STATS_COUNTER,
			.help = "RTP packets received, counted as each call ends" }))) {
		free(cm);
		return rc;
	}
	cm->rtp_lost = stats_series1(lost, NULL);
	cm->rtp_rx = stats_series1(rx, NULL);
	/* the usual series at 0 from the start, so a rate() has a beginning */
	for (size_t d = 0; d < sizeof(directions) / sizeof(directions[0]); d++) {
		struct stats_series *se;

		stats_series1(cm->active, directions[d]);
		stats_series1(cm->pdd, directions[d]);
		stats_series1(cm->setup, directions[d]);
		for (int o = 0; o < CALL_OUT__COUNT; o++)
			stats_series_get(cm->completed, &se, (const char *[]){ directions[d], outcome_names[o], NULL });
	}
	*cmp = cm;
	return 0;
}

void call_metrics_free(struct call_metrics *cm)
{
	if (!cm)
		return;
	stats_family_collect(cm->active, NULL, NULL);	/* the registry may outlive the bridge */
	free(cm);
}
