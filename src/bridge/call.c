/* sipgw - the call: two legs, one state machine. Routing (src/route/)
 * places the legs and decides what happens when one fails; the call carries
 * the events between them, forks to several called legs (the first to answer
 * wins) and owns the ring-no-answer timer.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "bridge/bridge.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "bridge/call_stats.h"
#include "bridge/cause.h"
#include "core/fsm.h"
#include "core/log.h"
#include "rtp/media.h"

#include "bridge/call_internal.h"

static const char *const call_event_names[CALL_EV__COUNT] = {
	[CALL_EV_LEG_ADDED] = "LEG_ADDED", [CALL_EV_ALERTING] = "ALERTING",
	[CALL_EV_PROGRESS] = "PROGRESS", [CALL_EV_ANSWERED] = "ANSWERED",
	[CALL_EV_RELEASED] = "RELEASED", [CALL_EV_HOLD] = "HOLD", [CALL_EV_CLEAR] = "CLEAR",
};


static const struct fsm_timer_def call_timers[CALL_T__COUNT] = {
	[CALL_T_RING_NO_ANSWER] = { "ring-no-answer" },
};

struct call_ev {
	struct leg *leg;
	int inband;		/* ALERTING: the far end sends ringback */
	int cause, status;	/* RELEASED */
	int held;		/* HOLD */
	enum leg_hold how;
};

static void call_routing_action(struct fsm_inst *fi, int event, void *data);
static void call_trying_action(struct fsm_inst *fi, int event, void *data);
static void call_active_action(struct fsm_inst *fi, int event, void *data);
static void call_releasing_action(struct fsm_inst *fi, int event, void *data);
static void call_timeout(struct fsm_inst *fi, int timer);
static int call_dismiss(struct call *c, struct leg *leg);
static struct leg *call_other(const struct call *c, const struct leg *leg);
static const char *call_fsm_describe(struct fsm_inst *fi);
static void call_on_releasing(struct fsm_inst *fi, int prev);
static void call_on_enter(struct fsm_inst *fi, int prev);

#define B(s) FSM_BIT(CALL_ST_##s)
#define E(e) FSM_BIT(CALL_EV_##e)
/* A called leg's answer, ringing or early media mean nothing before it is
 * placed or after the call is answered or clearing; a leg may fail or go
 * at any time. */
static const struct fsm_state call_states[CALL_ST__COUNT] = {
	[CALL_ST_ROUTING] = { "ROUTING", B(PROCEEDING) | B(RELEASING),
			      E(LEG_ADDED) | E(RELEASED) | E(CLEAR), .action = call_routing_action },
	[CALL_ST_PROCEEDING] = { "PROCEEDING", B(ALERTING) | B(ACTIVE) | B(RELEASING),
				 E(LEG_ADDED) | E(ALERTING) | E(PROGRESS) | E(ANSWERED) | E(RELEASED) |
				 E(CLEAR), CALL_T_RING_NO_ANSWER, .onenter = call_on_enter,
				 .action = call_trying_action },
	[CALL_ST_ALERTING] = { "ALERTING", B(ACTIVE) | B(RELEASING),
			       E(LEG_ADDED) | E(ALERTING) | E(PROGRESS) | E(ANSWERED) | E(RELEASED) |
			       E(CLEAR), CALL_T_RING_NO_ANSWER, .onenter = call_on_enter,
			       .action = call_trying_action },
	[CALL_ST_ACTIVE] = { "ACTIVE", B(RELEASING), E(RELEASED) | E(HOLD) | E(CLEAR),
			     .onenter = call_on_enter, .action = call_active_action },
	[CALL_ST_RELEASING] = { "RELEASING", 0, E(RELEASED) | E(HOLD),
				.onenter = call_on_releasing, .action = call_releasing_action },
};
#undef B
#undef E

static const struct fsm_def call_fsm = {
	.name = "call", .ss = LSS_BRIDGE, .states = call_states, .n_states = CALL_ST__COUNT,
	.event_names = call_event_names, .n_events = CALL_EV__COUNT,
	.timers = call_timers, .n_timers = CALL_T__COUNT,
	.timeout = call_timeout, .describe = call_fsm_describe,
};

const char *call_describe(struct call *c)
{
	snprintf(c->desc, sizeof(c->desc), "call %u [%s]", c->id, fsm_state_name(&call_fsm, c->fi.state));
	return c->desc;
}

static const char *call_fsm_describe(struct fsm_inst *fi)
{
	return call_describe(fi->priv);
}

unsigned call_id(const struct call *c) { return c->id; }
const struct leg_setup_info *call_setup_info(const struct call *c) { return &c->si; }
void *call_route_data(const struct call *c) { return c->route_data; }
struct leg *call_caller_leg(const struct call *c) { return c->a; }
struct leg *call_peer(const struct call *c, const struct leg *leg) { return call_other(c, leg); }
void call_set_route_data(struct call *c, void *data) { c->route_data = data; }
int call_alerted(const struct call *c) { return c->fi.state == CALL_ST_ALERTING; }
const struct media_stats *call_media_stats(const struct call *c, int b) { return &c->mst[!!b]; }

static void call_free(struct call *c)
{
	struct bridge *br = c->br;

	char qa[256], qb[256];

	/* the CDR row's uuid ends the line: log and CDR can be matched */
	LOGI(LSS_BRIDGE, "%s ended, cause %d (%s)%s%s cdr %s", call_describe(c), c->last_cause,
	     cause_name(c->last_cause), media_stats_format(qa, sizeof(qa), &c->mst[0]),
	     media_stats_format(qb, sizeof(qb), &c->mst[1]), c->cdr.uuid);
	call_metrics_ended(c);
	call_cdr_end(c);
	call_trace_end(c);
	if (br->route && br->route->call_ended)
		br->route->call_ended(br->route_arg, c);
	fsm_inst_cleanup(&c->fi);
	LIST_REMOVE(c, entry);
	br->n_calls--;
	free(c);
	if (br->shutting_down && !br->n_calls && br->idle_h)
		br->idle_h(br->idle_arg);
}

/* Entering PROCEEDING, ALERTING, ACTIVE: the metrics' moments. */
static void call_on_enter(struct fsm_inst *fi, int prev)
{
	call_metrics_enter(fi->priv, prev);
}

/* Entering RELEASING: clear every side with the cause, except the side
 * that cleared first. */
static void call_on_releasing(struct fsm_inst *fi, int prev)
{
	struct call *c = fi->priv;
	int cause = c->last_cause;

	call_metrics_enter(c, prev);
	if (c->a && c->a != c->cleared_by) {
		call_cdr_leg_ended(c, 0, cause, 0);
		c->a->ops->release(c->a, cause);
	}
	if (c->b && c->b != c->cleared_by) {
		call_cdr_leg_ended(c, 1, cause, 0);
		c->b->ops->release(c->b, cause);
	}
	for (int i = 0; i < CALL_MAX_FORKS; i++)
		if (c->forks[i] && c->forks[i] != c->cleared_by)
			c->forks[i]->ops->release(c->forks[i], cause);
	if (c->xfer && c->xfer != c->cleared_by)
		c->xfer->ops->release(c->xfer, cause);
}

static void call_release(struct call *c, struct leg *from, int cause)
{
	call_cdr_clearing(c, from);
	c->last_cause = cause;
	c->cleared_by = from;
	fsm_state_chg(&c->fi, CALL_ST_RELEASING);
}

static void call_join_media(struct call *c)
{
	struct media_port *pa = c->a ? c->a->ops->media(c->a) : NULL;
	struct media_port *pb = c->b ? c->b->ops->media(c->b) : NULL;

	if (pa && pb && pa->peer != pb) {
		media_join(pa, pb);
		LOGI(LSS_BRIDGE, "%s audio through: %s %s <-> %s %s", call_describe(c), pa->kind,
		     pa->codec ? pa->codec : "?", pb->kind, pb->codec ? pb->codec : "?");
	}
}

static int call_fork_index(const struct call *c, const struct leg *leg)
{
	for (int i = 0; i < CALL_MAX_FORKS; i++)
		if (c->forks[i] && c->forks[i] == leg)
			return i;
	return -1;
}

static int call_is_called_leg(const struct call *c, const struct leg *leg)
{
	return leg == c->b || call_fork_index(c, leg) >= 0;
}

unsigned call_legs_trying(const struct call *c)
{
	unsigned n = !!c->b;

	for (int i = 0; i < CALL_MAX_FORKS; i++)
		n += !!c->forks[i];
	return n;
}

/* Make a forked leg the call's b leg (the old b becomes a fork). */
static void call_select(struct call *c, struct leg *leg)
{
	int i = call_fork_index(c, leg);

	if (i < 0)
		return;
	c->forks[i] = c->b;
	c->b = leg;
}

/* Give up on a called leg (b or a fork) but let it finish clearing among
 * the dying; a fork takes b's place when b goes. */
static void call_set_aside(struct call *c, struct leg *leg)
{
	int f = call_fork_index(c, leg);

	call_cdr_take(c, leg, 1);	/* the CDR's called leg, unless a later one answers */
	for (int i = 0; i < CALL_MAX_DYING; i++) {
		if (c->dying[i])
			continue;
		c->dying[i] = leg;
		if (f >= 0) {
			c->forks[f] = NULL;
		} else if (leg == c->b) {
			c->b = NULL;
			for (int k = 0; k < CALL_MAX_FORKS && !c->b; k++)
				if (c->forks[k]) {
					c->b = c->forks[k];
					c->forks[k] = NULL;
				}
		}
		return;
	}
}

static void call_add(struct call *c, struct leg *leg)
{
	leg->call = c;
	if (!c->b) {
		c->b = leg;
		return;
	}
	for (int i = 0; i < CALL_MAX_FORKS; i++)
		if (!c->forks[i]) {
			c->forks[i] = leg;
			return;
		}
}

static void call_answered(struct call *c, struct leg *leg)
{
	if (fsm_state_chg(&c->fi, CALL_ST_ACTIVE))
		return;
	c->t_answer_us = mono_us();
	call_trace_update(c);
	call_select(c, leg);
	/* The other forked phones stop ringing: CANCEL with non-selected user
	 * clearing (Q.850), i.e. answered elsewhere. */
	for (int i = 0; i < CALL_MAX_FORKS; i++) {
		struct leg *f = c->forks[i];
		if (!f)
			continue;
		call_set_aside(c, f);
		f->ops->release(f, CAUSE_NON_SELECTED_USER);
	}
	call_join_media(c);
	c->a->ops->answer(c->a);
	LOGI(LSS_BRIDGE, "%s answered", call_describe(c));
}

static void call_log_released(struct call *c, const struct call_ev *ev)
{
	LOGI(LSS_BRIDGE, "%s %s cleared: cause %d (%s)%s%.0d", call_describe(c),
	     ev->leg->ops->describe(ev->leg), ev->cause, cause_name(ev->cause),
	     ev->status ? ", status " : "", ev->status);
	c->last_cause = ev->cause;
	if (ev->leg == c->a || call_is_called_leg(c, ev->leg))
		call_cdr_leg_ended(c, ev->leg != c->a, ev->cause, ev->status);
}

static void call_log_hold(struct call *c, const struct call_ev *ev)
{
	LOGI(LSS_BRIDGE, "%s %s %s", call_describe(c), ev->leg->ops->describe(ev->leg),
	     ev->held ? "holds the call" : "resumes the call");
}

/* ROUTING: the caller waits for routing's first leg. */
static void call_routing_action(struct fsm_inst *fi, int event, void *data)
{
	struct call *c = fi->priv;
	struct call_ev *ev = data;

	switch (event) {
	case CALL_EV_LEG_ADDED:
		call_add(c, ev->leg);
		fsm_state_chg(fi, CALL_ST_PROCEEDING);
		break;
	case CALL_EV_RELEASED:
		call_log_released(c, ev);
		call_release(c, ev->leg, ev->cause);
		break;
	case CALL_EV_CLEAR:
		call_release(c, NULL, ev->cause);
		break;
	}
}

/* PROCEEDING and ALERTING: one or more called legs are trying. */
static void call_trying_action(struct fsm_inst *fi, int event, void *data)
{
	struct call *c = fi->priv;
	struct call_ev *ev = data;
	struct bridge *br = c->br;
	int cause;

	switch (event) {
	case CALL_EV_LEG_ADDED:
		call_add(c, ev->leg);
		fsm_timer_restart(fi);	/* a new try: its own ring-no-answer (figure B-16 hunts on) */
		break;
	case CALL_EV_ALERTING:
		/* The caller hears one ALERTING however many phones ring (forking,
		 * or a phone repeating itself); in-band ringback still cuts through. */
		if (fi->state == CALL_ST_ALERTING && !ev->inband)
			break;
		if (fsm_state_chg(fi, CALL_ST_ALERTING) == 0 && !c->t_alert_us)
			c->t_alert_us = mono_us();
		if (ev->inband) {
			call_select(c, ev->leg);
			call_join_media(c);
		}
		c->a->ops->alert(c->a, ev->inband);
		break;
	case CALL_EV_PROGRESS:
		call_select(c, ev->leg);
		call_join_media(c);
		c->a->ops->progress(c->a);
		break;
	case CALL_EV_ANSWERED:
		call_answered(c, ev->leg);
		break;
	case CALL_EV_RELEASED:
		call_log_released(c, ev);
		cause = ev->cause;
		/* A called leg's failure is routing's to judge: more forks ring
		 * on, or the next dial-peer is hunted (figure B-16). */
		if (call_is_called_leg(c, ev->leg)) {
			call_set_aside(c, ev->leg);
			if (br->route && br->route->leg_failed &&
			    br->route->leg_failed(br->route_arg, c, ev->leg, ev->cause, ev->status, &cause) == 0)
				break;
		}
		call_release(c, ev->leg, cause);
		break;
	case CALL_EV_CLEAR:
		call_release(c, NULL, ev->cause);
		break;
	}
}

/* ACTIVE: answered; either side may hold or clear. */
static void call_active_action(struct fsm_inst *fi, int event, void *data)
{
	struct call *c = fi->priv;
	struct call_ev *ev = data;

	switch (event) {
	case CALL_EV_RELEASED:
		call_log_released(c, ev);
		/* RFC 5589 6.1: the transferor may hang up before the target
		 * answers; the party it transferred waits for the target. */
		if (c->xfer && ev->leg == c->xfer_from && call_dismiss(c, ev->leg) == 0) {
			c->xfer_from = NULL;
			break;
		}
		call_release(c, ev->leg, ev->cause);
		break;
	case CALL_EV_HOLD: {
		/* B2BUA: the other party hears of it as its protocol allows
		 * (a re-INVITE, a Q.931 NOTIFY), the way the holder did it */
		struct leg *other = ev->leg == c->a ? c->b : c->a;

		call_log_hold(c, ev);
		if (other && other->ops->hold)
			other->ops->hold(other, ev->held, ev->how);
		c->held = ev->held ? other : NULL;	/* a transfer resumes whom it held */
		c->hold_how = ev->how;
		break;
	}
	case CALL_EV_CLEAR:
		call_release(c, NULL, ev->cause);
		break;
	}
}

/* RELEASING: the legs report on their way out; nothing more is done. */
static void call_releasing_action(struct fsm_inst *fi, int event, void *data)
{
	struct call *c = fi->priv;
	struct call_ev *ev = data;

	if (event == CALL_EV_RELEASED)
		call_log_released(c, ev);
	else if (event == CALL_EV_HOLD)
		call_log_hold(c, ev);
}

/* ---- Transfers (RFC 5589, RFC 3891): a leg takes another's place. */

/* A leg the call has given up on finishes clearing among the dying. 0, or
 * -ENOSPC: then it belongs to no call and is destroyed when it is gone. */
static int call_add_dying(struct call *c, struct leg *leg)
{
	for (int i = 0; i < CALL_MAX_DYING; i++)
		if (!c->dying[i]) {
			c->dying[i] = leg;
			return 0;
		}
	LOGW(LSS_BRIDGE, "%s no room for %s to clear", call_describe(c), leg->ops->describe(leg));
	leg->call = NULL;
	return -ENOSPC;
}

/* Take leg out of its call's a or b slot into the dying. */
static int call_dismiss(struct call *c, struct leg *leg)
{
	if (leg == c->a)
		c->a = NULL;
	else if (leg == c->b)
		c->b = NULL;
	return call_add_dying(c, leg);
}

/* The party of c that is not leg. */
static struct leg *call_other(const struct call *c, const struct leg *leg)
{
	return leg == c->a ? c->b : leg == c->b ? c->a : NULL;
}

/* The transferor held the party that stays (B-6: hold, then REFER): that
 * party is taken off hold now that it talks to someone (RFC 5589 6.1). */
static void call_unhold(struct call *c, struct leg *stay)
{
	if (!stay || c->held != stay)
		return;
	c->held = NULL;
	if (stay->ops->hold)
		stay->ops->hold(stay, 0, c->hold_how);
}

/* leg (a transfer target, another call's party) takes old's place in c:
 * old is released with normal clearing, the two parties' audio joined. */
static void call_put_in_place(struct call *c, struct leg *old, struct leg *leg)
{
	struct leg *stay = call_other(c, old);
	int was_a = old == c->a;

	call_dismiss(c, old);
	if (was_a)
		c->a = leg;
	else
		c->b = leg;
	leg->call = c;
	old->ops->release(old, CAUSE_NORMAL_CLEARING);
	call_join_media(c);
	call_unhold(c, stay);
	if (stay && leg->party[0] && stay->ops->peer_changed)
		stay->ops->peer_changed(stay, leg->party);
}

static void call_xfer_status(struct call *c, int status)
{
	if (c->xfer_from && c->xfer_from->ops->xfer_status)
		c->xfer_from->ops->xfer_status(c->xfer_from, status);
}

/* The transfer target's leg: its ringing and answer are for the transferor
 * (NOTIFY) and, once answered, it replaces it; its failure ends only the
 * transfer (RFC 5589 6.1: the transferor may take the call back). */
static void call_xfer_event(struct call *c, int event, struct call_ev *ev)
{
	struct leg *t = c->xfer;

	if (c->fi.state != CALL_ST_ACTIVE) {	/* clearing: it goes with the rest */
		if (event == CALL_EV_RELEASED)
			call_log_released(c, ev);
		return;
	}
	switch (event) {
	case CALL_EV_ALERTING:
		call_xfer_status(c, 180);
		break;
	case CALL_EV_PROGRESS:
		call_xfer_status(c, 183);
		break;
	case CALL_EV_ANSWERED:
		c->xfer = NULL;
		call_xfer_status(c, 200);
		LOGN(LSS_BRIDGE, "%s transferred to %s", call_describe(c), t->ops->describe(t));
		if (c->xfer_from) {
			call_put_in_place(c, c->xfer_from, t);
		} else {
			if (!c->a)
				c->a = t;
			else
				c->b = t;
			call_join_media(c);
			call_unhold(c, call_other(c, t));
			if (call_other(c, t) && t->party[0] && call_other(c, t)->ops->peer_changed)
				call_other(c, t)->ops->peer_changed(call_other(c, t), t->party);
		}
		c->xfer_from = NULL;
		break;
	case CALL_EV_RELEASED:
		call_log_released(c, ev);
		c->xfer = NULL;
		call_add_dying(c, t);
		call_xfer_status(c, ev->status >= 300 ? ev->status : cause_to_sip_status(ev->cause));
		LOGN(LSS_BRIDGE, "%s transfer to %s failed: cause %d (%s)", call_describe(c), t->ops->describe(t),
		     ev->cause, cause_name(ev->cause));
		if (!c->xfer_from)	/* nobody to take the call back */
			call_release(c, t, ev->cause);
		break;
	}
}

int call_transfer(struct call *c, struct leg *transferor, struct leg *target)
{
	if (c->fi.state != CALL_ST_ACTIVE || c->xfer || !call_other(c, transferor))
		return -EBUSY;
	c->xfer = target;
	c->xfer_from = transferor;
	target->call = c;
	LOGN(LSS_BRIDGE, "%s %s transfers %s to %s", call_describe(c), transferor->ops->describe(transferor),
	     call_other(c, transferor)->ops->describe(call_other(c, transferor)), target->ops->describe(target));
	call_xfer_status(c, 100);
	return 0;
}

int call_join(struct call *c1, struct leg *leave1, struct call *c2, struct leg *leave2)
{
	struct leg *far = call_other(c2, leave2);

	if (c1 == c2 || c1->fi.state != CALL_ST_ACTIVE || c2->fi.state != CALL_ST_ACTIVE ||
	    !call_other(c1, leave1) || !far || c1->xfer || c2->xfer)
		return -EBUSY;
	LOGN(LSS_BRIDGE, "%s joined with call %u: %s now talks to %s", call_describe(c1), c2->id,
	     call_other(c1, leave1)->ops->describe(call_other(c1, leave1)), far->ops->describe(far));
	if (far == c2->a)
		c2->a = NULL;
	else
		c2->b = NULL;
	call_unhold(c2, far);	/* B held C too */
	media_part(far->ops->media(far));
	if (leave1->ops->xfer_status)	/* RFC 5589 7.1: NOTIFY 200, then BYE */
		leave1->ops->xfer_status(leave1, 200);
	call_put_in_place(c1, leave1, far);
	/* c2 is left with the transferor's other leg only: it clears */
	call_release(c2, NULL, CAUSE_NORMAL_CLEARING);
	return 0;
}

int call_replace_leg(struct leg *old, struct leg *leg)
{
	struct call *c = old->call;

	if (!c || c->fi.state != CALL_ST_ACTIVE || !call_other(c, old) || c->xfer)
		return -EBUSY;
	LOGN(LSS_BRIDGE, "%s %s replaces %s (RFC 3891)", call_describe(c), leg->ops->describe(leg),
	     old->ops->describe(old));
	call_put_in_place(c, old, leg);
	leg->ops->answer(leg);
	return 0;
}

static void call_timeout(struct fsm_inst *fi, int timer)
{
	struct call *c = fi->priv;

	/* Figure B-15: CANCEL the INVITE, DISCONNECT with cause 19. */
	LOGI(LSS_BRIDGE, "%s ring-no-answer timer expired", call_describe(c));
	call_release(c, NULL, CAUSE_NO_ANSWER);
}

int call_alloc(struct call **cp, struct bridge *br, struct leg *a, const struct leg_setup_info *si)
{
	struct call *c;

	if (br->shutting_down)
		return -EBUSY;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	if (fsm_inst_init(&c->fi, &call_fsm, CALL_ST_ROUTING, c, br->root, br->timer_ms)) {
		free(c);
		return -ENOMEM;
	}
	c->br = br;
	c->id = ++br->next_id;
	c->si = *si;
	c->a = a;
	a->call = c;
	c->last_cause = CAUSE_NORMAL_CLEARING;
	call_cdr_begin(c);
	LIST_INSERT_HEAD(&br->calls, c, entry);
	br->n_calls++;
	call_trace_update(c);
	*cp = c;
	return 0;
}

int call_add_leg(struct call *c, struct leg *leg)
{
	struct call_ev ev = { .leg = leg };
	int rc;

	if (c->b && call_legs_trying(c) == 1 + CALL_MAX_FORKS)
		return -ENOSPC;
	rc = fsm_dispatch(&c->fi, CALL_EV_LEG_ADDED, &ev);
	if (!rc)
		call_trace_update(c);
	return rc;
}

int call_ringing(const struct call *c)
{
	return c->fi.state == CALL_ST_PROCEEDING || c->fi.state == CALL_ST_ALERTING;
}

void call_drop_tries(struct call *c, int cause)
{
	struct leg *legs[1 + CALL_MAX_FORKS] = { c->b };

	if (!call_ringing(c))
		return;
	memcpy(legs + 1, c->forks, sizeof(c->forks));
	for (size_t i = 0; i < sizeof(legs) / sizeof(legs[0]); i++) {
		if (!legs[i])
			continue;
		call_set_aside(c, legs[i]);
		legs[i]->ops->release(legs[i], cause);	/* set aside: its gone is a dying leg's */
	}
}

void call_clear(struct call *c, int cause)
{
	struct call_ev ev = { .cause = cause };

	fsm_dispatch(&c->fi, CALL_EV_CLEAR, &ev);
}

/* Events from a leg: only the call's own legs count (a leg set aside may
 * still report on its way out). */
static void call_leg_event(struct leg *leg, int event, struct call_ev *ev)
{
	struct call *c = leg->call;

	if (!c)
		return;
	if (leg == c->xfer) {
		ev->leg = leg;
		call_xfer_event(c, event, ev);
		return;
	}
	if (event != CALL_EV_RELEASED && event != CALL_EV_HOLD && !call_is_called_leg(c, leg))
		return;
	ev->leg = leg;
	fsm_dispatch(&c->fi, event, ev);
}

void call_leg_alerting(struct leg *leg, int inband)
{
	call_leg_event(leg, CALL_EV_ALERTING, &(struct call_ev){ .inband = inband });
}

void call_leg_progress(struct leg *leg)
{
	call_leg_event(leg, CALL_EV_PROGRESS, &(struct call_ev){ 0 });
}

void call_leg_answered(struct leg *leg)
{
	call_leg_event(leg, CALL_EV_ANSWERED, &(struct call_ev){ 0 });
}

void call_leg_released(struct leg *leg, int cause, int status)
{
	call_leg_event(leg, CALL_EV_RELEASED, &(struct call_ev){ .cause = cause, .status = status });
}

int call_leg_info(struct leg *leg, const char *ctype, const char *body, size_t len)
{
	struct call *c = leg->call;
	struct leg *other;

	if (!c || c->fi.state != CALL_ST_ACTIVE)
		return -EAGAIN;
	other = call_other(c, leg);
	if (!other || !other->ops->info)
		return -ENOTSUP;
	LOGI(LSS_BRIDGE, "%s %s INFO (%s, %zu bytes) to %s", call_describe(c), leg->ops->describe(leg),
	     ctype ? ctype : "no body", len, other->ops->describe(other));
	other->ops->info(other, ctype, body, len);
	return 0;
}

void call_leg_hold(struct leg *leg, int held, enum leg_hold how)
{
	call_leg_event(leg, CALL_EV_HOLD, &(struct call_ev){ .held = held, .how = how });
}

void call_leg_media_ready(struct leg *leg)
{
	struct call *c = leg->call;

	if (c && (c->a == leg || c->b == leg))
		call_join_media(c);
}

/* The leg has finished: forget it, and end the call once no leg is left. */
void call_leg_gone(struct leg *leg)
{
	struct call *c = leg->call;

	if (!c) {
		leg->ops->destroy(leg);
		return;
	}
	for (int i = 0; i < CALL_MAX_DYING; i++)
		if (c->dying[i] == leg)
			c->dying[i] = NULL;	/* a dial-peer we hunted past, a fork not taken */
	if (call_fork_index(c, leg) >= 0)
		c->forks[call_fork_index(c, leg)] = NULL;
	if (leg == c->xfer) {	/* gone without a word: the transfer failed */
		c->xfer = NULL;
		call_xfer_status(c, 500);
		if (!c->xfer_from && c->fi.state != CALL_ST_RELEASING)
			call_release(c, leg, CAUSE_TEMP_FAILURE);
	}
	if (leg == c->xfer_from)
		c->xfer_from = NULL;
	if (leg == c->held)
		c->held = NULL;
	if ((leg == c->a || leg == c->b) && c->fi.state != CALL_ST_RELEASING)
		call_release(c, leg, CAUSE_TEMP_FAILURE);	/* gone without a word */
	if (leg == c->a || leg == c->b) {
		media_get_stats(leg->ops->media(leg), &c->mst[leg == c->b]);
		call_cdr_take(c, leg, leg == c->b);
	}
	call_trace_update(c);		/* what the leg says before it goes */
	if (leg == c->a)
		c->a = NULL;
	else if (leg == c->b)
		c->b = NULL;
	leg->ops->destroy(leg);
	if (c->a || c->b || c->xfer || call_legs_trying(c))
		return;
	for (int i = 0; i < CALL_MAX_DYING; i++)
		if (c->dying[i])
			return;
	call_free(c);
}
