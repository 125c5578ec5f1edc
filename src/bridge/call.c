/* sipgw - the call: two legs, one state machine, dial-peer routing with
 * hunting (figure B-16: 5xx or no answer -> next peer; 4xx, 6xx -> stop).
 * SPDX-License-Identifier: GPL-2.0-only */
#include "bridge/bridge.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "bridge/cause.h"
#include "route/dialpeer.h"
#include "route/route_check.h"
#include "core/config.h"
#include "core/fsm.h"
#include "core/log.h"
#include "core/loop.h"
#include "q931/span.h"
#include "rtp/media.h"
#include "sip/registrar.h"
#include "sip/sip_ua.h"

#define CALL_MAX_CANDS 8
#define CALL_MAX_DYING 16	/* legs hunted past or forks not taken, still clearing */
#define CALL_MAX_FORKS 8	/* registered contacts of one user rung at once */

enum call_state {
	CALL_ST_ROUTING,	/* a leg in, looking for the other side */
	CALL_ST_PROCEEDING,	/* b leg placed, nothing heard yet */
	CALL_ST_ALERTING,	/* b leg rings */
	CALL_ST_ACTIVE,		/* answered */
	CALL_ST_RELEASING,	/* clearing: waiting for both legs to finish */
	CALL_ST__COUNT
};

#define B(s) FSM_BIT(CALL_ST_##s)
static const struct fsm_state call_states[CALL_ST__COUNT] = {
	[CALL_ST_ROUTING] = { "ROUTING", B(PROCEEDING) | B(RELEASING) },
	[CALL_ST_PROCEEDING] = { "PROCEEDING", B(ALERTING) | B(ACTIVE) | B(RELEASING) },
	[CALL_ST_ALERTING] = { "ALERTING", B(ACTIVE) | B(RELEASING) },
	[CALL_ST_ACTIVE] = { "ACTIVE", B(RELEASING) },
	[CALL_ST_RELEASING] = { "RELEASING", 0 },
};
static const struct fsm_def call_fsm = { "call", LSS_BRIDGE, call_states, CALL_ST__COUNT };

struct call {
	LIST_ENTRY(call) entry;
	struct bridge *br;
	unsigned id;
	int state;
	struct leg *a, *b;
	struct leg *dying[CALL_MAX_DYING];	/* legs given up on, still clearing */
	struct leg_setup_info si;
	const struct dial_peer *cands[CALL_MAX_CANDS];
	size_t n_cands, next_cand;
	int last_cause;
	struct loop_timer *ring_timer;		/* ring-no-answer */
	int to_pri;				/* b leg is on a span (SIP -> PRI) */
	int chan_retried;			/* placed again after glare (B-channel refused) */
	struct leg *forks[CALL_MAX_FORKS];	/* more phones of the called user ringing beside b */
	char ring_user[LEG_NUM];		/* a registered user to ring first ("" = none) */
	int fork_busy;				/* a forked phone answered busy */
	char desc[48];
};

struct bridge {
	const struct gw_config *cfg;
	struct su_root_s *root;
	struct sip_ua *ua;
	struct registrar *reg;
	LIST_HEAD(, call) calls;
	unsigned n_calls;
	unsigned next_id;
	int shutting_down;
	void (*idle_h)(void *arg);
	void *idle_arg;
	struct span *spans[CFG_MAX_SPANS];
	int n_spans;
	float *pdd_ms;			/* post-dial delays (SETUP in -> INVITE out), for the exit summary */
	size_t n_pdd, cap_pdd;
};

static const char *call_describe(struct call *c)
{
	snprintf(c->desc, sizeof(c->desc), "call %u [%s]", c->id, fsm_state_name(&call_fsm, c->state));
	return c->desc;
}

static int call_move(struct call *c, int next)
{
	return fsm_move(&call_fsm, &c->state, next, call_describe(c));
}

static void call_free(struct call *c)
{
	struct bridge *br = c->br;

	LOGI(LSS_BRIDGE, "%s ended, cause %d (%s)", call_describe(c), c->last_cause, cause_name(c->last_cause));
	loop_timer_free(c->ring_timer);
	LIST_REMOVE(c, entry);
	br->n_calls--;
	free(c);
	if (br->shutting_down && !br->n_calls && br->idle_h)
		br->idle_h(br->idle_arg);
}

/* Clear both sides with cause, except the side that cleared first. */
static void call_release(struct call *c, struct leg *from, int cause)
{
	if (c->state == CALL_ST_RELEASING)
		return;
	call_move(c, CALL_ST_RELEASING);
	c->last_cause = cause;
	loop_timer_stop(c->ring_timer);
	if (c->a && c->a != from)
		c->a->ops->release(c->a, cause);
	if (c->b && c->b != from)
		c->b->ops->release(c->b, cause);
	for (int i = 0; i < CALL_MAX_FORKS; i++)
		if (c->forks[i] && c->forks[i] != from)
			c->forks[i]->ops->release(c->forks[i], cause);
}

static void call_join_media(struct call *c)
{
	struct media_port *pa = c->a ? c->a->ops->media(c->a) : NULL;
	struct media_port *pb = c->b ? c->b->ops->media(c->b) : NULL;

	if (pa && pb && pa->peer != pb) {
		media_join(pa, pb);
		LOGI(LSS_BRIDGE, "%s audio through: %s %s <-> %s %s", call_describe(c), pa->kind,
		     g711_law_name(pa->law), pb->kind, g711_law_name(pb->law));
	}
}

static void bridge_note_pdd(struct bridge *br, double ms)
{
	if (br->n_pdd == br->cap_pdd) {
		size_t cap = br->cap_pdd ? br->cap_pdd * 2 : 1024;
		float *p;
		if (cap > 1000000 || !(p = realloc(br->pdd_ms, cap * sizeof(*p))))
			return;
		br->pdd_ms = p;
		br->cap_pdd = cap;
	}
	br->pdd_ms[br->n_pdd++] = (float)ms;
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return (x > y) - (x < y);
}

/* One line a benchmark (or an operator) can read at exit. */
static void bridge_log_summary(struct bridge *br)
{
	if (!br->n_pdd)
		return;
	qsort(br->pdd_ms, br->n_pdd, sizeof(float), cmp_float);
	LOGN(LSS_BRIDGE, "summary: %u calls routed, post-dial delay (SETUP in -> INVITE out) "
	     "p50 %.3f ms p99 %.3f ms max %.3f ms", br->next_id,
	     br->pdd_ms[br->n_pdd / 2], br->pdd_ms[(br->n_pdd * 99) / 100], br->pdd_ms[br->n_pdd - 1]);
}

static struct span *bridge_span(struct bridge *br, const char *name)
{
	for (int i = 0; i < br->n_spans; i++)
		if (!strcmp(span_name(br->spans[i]), name))
			return br->spans[i];
	return NULL;
}

/* SIP -> PRI: the pots peer's span, or its trunk group's spans in order,
 * until one has a free B-channel. Returns 0 or the last Q.850 cause. */
static int call_try_pots(struct call *c, const struct dial_peer *dp)
{
	struct bridge *br = c->br;
	const char *names[CFG_MAX_SPANS];
	char number[LEG_NUM];
	int n = 0, cause = CAUSE_NO_ROUTE_DESTINATION;

	if (dp_pots_number(dp, c->si.called, number, sizeof(number)))
		return CAUSE_INVALID_NUMBER_FORMAT;
	if (config_span(br->cfg, dp->port)) {
		names[n++] = dp->port;
	} else {
		for (int t = 0; t < br->cfg->n_tgs; t++)
			if (!strcmp(br->cfg->tgs[t].name, dp->port))
				for (int k = 0; k < br->cfg->tgs[t].n_spans; k++)
					names[n++] = br->cfg->tgs[t].spans[k];
	}
	for (int i = 0; i < n; i++) {
		struct span *sp = bridge_span(br, names[i]);
		struct leg *b;
		if (!sp)
			continue;
		if (span_place_call(sp, &b, &c->si, number, dp->ton | dp->npi, &cause) == 0) {
			b->call = c;
			c->b = b;
			LOGI(LSS_BRIDGE, "%s -> dial-peer %d (span %s) as %s, post-dial delay %.3f ms",
			     call_describe(c), dp->tag, names[i], number,
			     (mono_us() - c->si.t_setup_us) / 1000.0);
			return 0;
		}
		LOGN(LSS_BRIDGE, "%s span %s refused: cause %d (%s)", call_describe(c), names[i], cause,
		     cause_name(cause));
	}
	return cause;
}

/* A SIP leg to host:port (a dial-peer's session target) or to a
 * registered phone's contact (ruri), kept in *slot (c->b or a fork).
 * 0 when its INVITE is on its way. */
static int call_place_sip(struct call *c, const struct sip_leg_params *sp, const char *what,
			  struct leg **slot)
{
	struct bridge *br = c->br;
	struct leg *b;
	int cause;

	if (sip_leg_alloc_outgoing(&b, br->ua, sp))
		return -ENOMEM;
	b->call = c;
	*slot = b;
	if (b->ops->setup(b, &c->si, &cause)) {
		*slot = NULL;
		b->ops->destroy(b);
		return -EIO;
	}
	bridge_note_pdd(br, (mono_us() - c->si.t_setup_us) / 1000.0);
	LOGI(LSS_BRIDGE, "%s -> %s, post-dial delay %.3f ms", call_describe(c), what,
	     (mono_us() - c->si.t_setup_us) / 1000.0);
	return 0;
}

/* Ring every registered contact of user at once (parallel forking, RFC
 * 3261 16.6, done as a B2BUA): the newest is c->b, the others forks; the
 * first to answer wins and the rest are cancelled (call_leg_answered). */
static int call_ring_user(struct call *c, const char *user, int tag)
{
	char uris[CALL_MAX_FORKS + 1][REG_URI_LEN];
	int n = registrar_contacts(c->br->reg, user, uris, CALL_MAX_FORKS + 1), placed = 0;

	for (int i = 0; i < n; i++) {
		struct sip_leg_params sp = { .ruri = uris[i], .dial_peer = tag };
		char what[REG_URI_LEN + 96];

		snprintf(what, sizeof(what), "%.63s registered at %.*s", user, REG_URI_LEN - 1, uris[i]);
		if (call_place_sip(c, &sp, what, placed ? &c->forks[placed - 1] : &c->b) == 0)
			placed++;
	}
	if (!n)
		LOGN(LSS_BRIDGE, "%s %s is not registered", call_describe(c), user);
	return placed ? 0 : -ENOENT;
}

/* One voip dial-peer: its session target, or the called number's
 * registered phones ("session target registrar"). */
static int call_try_voip(struct call *c, const struct dial_peer *dp)
{
	struct sip_leg_params sp = { .dial_peer = dp->tag };
	char host[128], what[320];

	if (dp_targets_registrar(dp)) {
		if (call_ring_user(c, c->si.called, dp->tag) == 0)
			return 0;
		c->last_cause = CAUSE_SUBSCRIBER_ABSENT;
		return -ENOENT;
	}
	if (dp_session_target(dp, host, sizeof(host), &sp.port))
		return -EINVAL;
	sp.host = host;
	snprintf(what, sizeof(what), "dial-peer %d (%s)", dp->tag, dp->target);
	return call_place_sip(c, &sp, what, &c->b);
}

/* Place the b leg: a registered phone first (once), then the next matching
 * dial-peer; 0 when one is on its way. */
static int call_try_next(struct call *c)
{
	struct bridge *br = c->br;

	if (c->ring_user[0]) {
		char user[LEG_NUM];

		memcpy(user, c->ring_user, sizeof(user));
		c->ring_user[0] = 0;	/* tried once: hunting goes on with the dial-peers */
		if (call_ring_user(c, user, 0) == 0) {
			loop_timer_start(c->ring_timer, br->cfg->timers.ring_no_answer_ms);
			return 0;
		}
	}
	while (c->next_cand < c->n_cands) {
		const struct dial_peer *dp = c->cands[c->next_cand++];
		int rc;

		if (dp->type == DP_POTS) {
			rc = call_try_pots(c, dp);
			if (rc)
				c->last_cause = rc;
		} else {
			rc = call_try_voip(c, dp);
		}
		if (rc == 0) {
			loop_timer_start(c->ring_timer, br->cfg->timers.ring_no_answer_ms);
			return 0;
		}
	}
	return -ENOENT;
}

static void ring_timeout(void *arg)
{
	struct call *c = arg;

	/* Figure B-15: CANCEL the INVITE, DISCONNECT with cause 19. */
	LOGI(LSS_BRIDGE, "%s ring-no-answer timer expired", call_describe(c));
	call_release(c, NULL, CAUSE_NO_ANSWER);
}

/* A new call around the incoming leg a, routed to ring_user's registered
 * phones (if any) and then over dial-peers of type. */
static int call_start(struct bridge *br, struct leg *a, const struct leg_setup_info *si, int type,
		      const char *ring_user)
{
	struct call *c;

	if (br->shutting_down)
		return CAUSE_SWITCH_CONGESTION;
	c = calloc(1, sizeof(*c));
	if (!c)
		return 47;
	c->br = br;
	c->id = ++br->next_id;
	c->si = *si;
	c->a = a;
	c->to_pri = type == DP_POTS;
	snprintf(c->ring_user, sizeof(c->ring_user), "%s", ring_user ? ring_user : "");
	a->call = c;
	c->last_cause = CAUSE_NORMAL_CLEARING;
	if (loop_timer_alloc(&c->ring_timer, br->root, "ring-no-answer", ring_timeout, c)) {
		free(c);
		a->call = NULL;
		return 47;
	}
	LIST_INSERT_HEAD(&br->calls, c, entry);
	br->n_calls++;
	c->n_cands = dp_lookup(br->cfg->peers, br->cfg->n_peers, si->called, type, c->cands, CALL_MAX_CANDS);
	LOGI(LSS_BRIDGE, "%s from %s: %s \"%s\" -> %s%s, %s%zu dial-peer(s)", call_describe(c),
	     a->ops->describe(a), si->calling, si->display, si->called, si->emergency ? " (EMERGENCY)" : "",
	     c->ring_user[0] ? "registered phones, " : "", c->n_cands);
	if (!c->n_cands && !c->ring_user[0]) {
		LOGN(LSS_BRIDGE, "%s no dial-peer matches %s: cause %d", call_describe(c), si->called,
		     CAUSE_UNALLOCATED);
		call_release(c, NULL, CAUSE_UNALLOCATED);
		return 0;
	}
	if (call_try_next(c)) {
		/* SIP -> PRI: the span's cause (no circuit...); else network out of order */
		call_release(c, NULL, c->to_pri ? c->last_cause : CAUSE_NET_OUT_OF_ORDER);
		return 0;
	}
	call_move(c, CALL_ST_PROCEEDING);
	return 0;
}

/* call_start()'s answer in the handlers' convention: 0 taken, else -EPERM
 * with the cause in *causep. */
static int call_verdict(int cause, int *causep)
{
	if (!cause)
		return 0;
	*causep = cause;
	return -EPERM;
}

int bridge_incoming_pri(void *arg, struct leg *a, const struct leg_setup_info *si, int *causep)
{
	return call_verdict(call_start(arg, a, si, DP_VOIP, NULL), causep);
}

/* Emergency numbers (figures B-22, B-23) come in from anyone, registered or
 * not, and may take reserved B-channels. An emergency entry naming an
 * extension goes to that phone; else the number's own registered phone,
 * then the pots dial-peers. */
static int call_start_emergency(struct bridge *br, struct leg *a, struct leg_setup_info *si,
				const struct cfg_emergency_number *em)
{
	char uri[1][REG_URI_LEN];
	const char *user = si->called;

	si->emergency = 1;
	LOGN(LSS_BRIDGE, "EMERGENCY call from %s (%s%s) to %s: accepted without authentication",
	     si->source, si->calling, si->auth_user[0] ? ", authenticated" : "", si->called);
	if (em->extension[0] && registrar_contacts(br->reg, em->extension, uri, 1))
		user = em->extension;
	else if (em->extension[0])
		LOGW(LSS_BRIDGE, "emergency extension %s for %s is not registered; trying the dial-peers",
		     em->extension, si->called);
	return call_start(br, a, si, DP_POTS, user);
}

/* Toll-fraud door: an INVITE that would reach a PRI trunk or a registered
 * phone must come from a digest-authenticated user (407, figure B-19) or a
 * trusted address; emergency numbers excepted. */
int bridge_incoming_sip(void *arg, struct leg *a, const struct leg_setup_info *si_in, int *causep)
{
	struct bridge *br = arg;
	struct leg_setup_info si = *si_in;
	const struct cfg_emergency_number *em = route_emergency(br->cfg, si.called);
	char uri[1][REG_URI_LEN];

	if (em)
		return call_verdict(call_start_emergency(br, a, &si, em), causep);
	if (si.auth_status) {
		LOGW(LSS_BRIDGE, "refused INVITE from %s to %s (calling %s): bad credentials (%d)",
		     si.source, si.called, si.calling, si.auth_status);
		return -EACCES;
	}
	if (!si.auth_user[0] && !cfg_list_match_addr(&br->cfg->sip_trusted, si.source)) {
		if (br->reg) {
			LOGN(LSS_BRIDGE, "INVITE from %s to %s (calling %s): not trusted, challenging",
			     si.source, si.called, si.calling);
			return -EACCES;
		}
		LOGW(LSS_BRIDGE, "refused INVITE from %s to %s (calling %s): source not trusted",
		     si.source, si.called, si.calling);
		return call_verdict(CAUSE_CALL_REJECTED, causep);	/* -> 403 Forbidden */
	}
	/* A registered phone first (the backup proxy's job), else the PSTN. */
	return call_verdict(call_start(br, a, &si, DP_POTS,
				       registrar_contacts(br->reg, si.called, uri, 1) ? si.called : NULL),
			    causep);
}

int bridge_add_span(struct bridge *br, struct span *sp)
{
	if (br->n_spans == CFG_MAX_SPANS)
		return -ENOSPC;
	br->spans[br->n_spans++] = sp;
	return 0;
}

static int call_fork_index(const struct call *c, const struct leg *leg)
{
	for (int i = 0; i < CALL_MAX_FORKS; i++)
		if (c->forks[i] && c->forks[i] == leg)
			return i;
	return -1;
}

static int call_has_forks(const struct call *c)
{
	for (int i = 0; i < CALL_MAX_FORKS; i++)
		if (c->forks[i])
			return 1;
	return 0;
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

static void call_abandon(struct call *c, struct leg *leg);

void call_leg_alerting(struct leg *leg, int inband)
{
	struct call *c = leg->call;

	if (!c || (leg != c->b && call_fork_index(c, leg) < 0))
		return;
	/* The caller hears one 180 however many phones ring (forking, or a
	 * phone repeating itself); in-band ringback still cuts through. */
	if (c->state == CALL_ST_ALERTING && !inband)
		return;
	if (call_move(c, CALL_ST_ALERTING))
		return;
	if (inband) {
		call_select(c, leg);
		call_join_media(c);
	}
	c->a->ops->alert(c->a, inband);
}

void call_leg_progress(struct leg *leg)
{
	struct call *c = leg->call;

	if (!c || (leg != c->b && call_fork_index(c, leg) < 0) || c->state == CALL_ST_RELEASING)
		return;
	call_select(c, leg);
	call_join_media(c);
	c->a->ops->progress(c->a);
}

void call_leg_answered(struct leg *leg)
{
	struct call *c = leg->call;

	if (!c || (leg != c->b && call_fork_index(c, leg) < 0) || call_move(c, CALL_ST_ACTIVE))
		return;
	call_select(c, leg);
	/* The other forked phones stop ringing: CANCEL with non-selected user
	 * clearing (Q.850), i.e. answered elsewhere. */
	for (int i = 0; i < CALL_MAX_FORKS; i++) {
		struct leg *f = c->forks[i];
		if (!f)
			continue;
		call_abandon(c, f);
		f->ops->release(f, CAUSE_NON_SELECTED_USER);
	}
	loop_timer_stop(c->ring_timer);
	call_join_media(c);
	c->a->ops->answer(c->a);
	LOGI(LSS_BRIDGE, "%s answered", call_describe(c));
}

/* RFC 3261 16.7 / figure B-16: a 5xx or no answer at all lets another
 * location be tried; 4xx is definite for this request, 6xx for the user. */
static int may_hunt(int status)
{
	return (status >= 500 && status < 600) || status == 408;
}

/* Give up on leg (b or a fork) but let it finish clearing among the
 * dying; a fork takes b's place when b goes. */
static void call_abandon(struct call *c, struct leg *leg)
{
	int f = call_fork_index(c, leg);

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

static void call_abandon_b(struct call *c)
{
	if (c->b)
		call_abandon(c, c->b);
}

void call_leg_released(struct leg *leg, int cause, int status)
{
	struct call *c = leg->call;

	if (!c)
		return;
	LOGI(LSS_BRIDGE, "%s %s cleared: cause %d (%s)%s%.0d", call_describe(c), leg->ops->describe(leg),
	     cause, cause_name(cause), status ? ", status " : "", status);
	c->last_cause = cause;
	/* One of several forked phones failed: the others ring on, unless it
	 * declined for the user everywhere (6xx, RFC 3261 16.7). */
	if ((c->state == CALL_ST_PROCEEDING || c->state == CALL_ST_ALERTING) && status < 600 &&
	    (call_fork_index(c, leg) >= 0 || (leg == c->b && call_has_forks(c)))) {
		c->fork_busy |= cause == CAUSE_USER_BUSY;
		call_abandon(c, leg);
		return;
	}
	if (c->fork_busy && leg == c->b && !call_has_forks(c))
		cause = c->last_cause = CAUSE_USER_BUSY;	/* busy somewhere beats "no answer" elsewhere */
	if (leg == c->b && (c->state == CALL_ST_PROCEEDING || c->state == CALL_ST_ALERTING) &&
	    may_hunt(status) && c->next_cand < c->n_cands) {
		call_abandon_b(c);
		if (!c->b && call_try_next(c) == 0)
			return;
	}
	/* Glare (Q.931 5.7): the network refused our SETUP's B-channel (requested
	 * circuit/channel not available), most likely to give it to a call of its
	 * own. Place the call once more on the same dial-peer; the span hunts
	 * another channel. */
	if (leg == c->b && cause == CAUSE_REQUESTED_CHAN_UNAVAIL && c->state == CALL_ST_PROCEEDING &&
	    !c->chan_retried && !strcmp(leg->ops->kind, "pri") && c->next_cand > 0) {
		c->chan_retried = 1;
		call_abandon_b(c);
		if (!c->b) {
			LOGN(LSS_BRIDGE, "%s B-channel refused (cause %d): trying the dial-peer again",
			     call_describe(c), CAUSE_REQUESTED_CHAN_UNAVAIL);
			c->next_cand--;
			if (call_try_next(c) == 0)
				return;
		}
	}
	if (c->state == CALL_ST_RELEASING)
		return;
	call_release(c, leg, cause);
}

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
	if ((leg == c->a || leg == c->b) && c->state != CALL_ST_RELEASING)
		call_release(c, leg, CAUSE_TEMP_FAILURE);	/* gone without a word */
	if (leg == c->a)
		c->a = NULL;
	else if (leg == c->b)
		c->b = NULL;
	leg->ops->destroy(leg);
	if (c->a || c->b || call_has_forks(c))
		return;
	for (int i = 0; i < CALL_MAX_DYING; i++)
		if (c->dying[i])
			return;
	call_free(c);
}

void call_leg_hold(struct leg *leg, int held)
{
	struct call *c = leg->call;

	if (c)
		LOGI(LSS_BRIDGE, "%s %s %s", call_describe(c), leg->ops->describe(leg),
		     held ? "holds the call" : "resumes the call");
}

int bridge_alloc(struct bridge **brp, const struct bridge_params *p)
{
	struct bridge *br = calloc(1, sizeof(*br));

	if (!br)
		return -ENOMEM;
	br->cfg = p->cfg;
	br->root = p->root;
	LIST_INIT(&br->calls);
	*brp = br;
	return 0;
}

void bridge_set_sip(struct bridge *br, struct sip_ua *ua) { br->ua = ua; }
void bridge_set_registrar(struct bridge *br, struct registrar *reg) { br->reg = reg; }

void bridge_drop_calls(struct bridge *br)
{
	struct call *c;

	if (br->n_calls)
		LOGW(LSS_BRIDGE, "dropping %u call(s) that did not clear in time", br->n_calls);
	while ((c = LIST_FIRST(&br->calls))) {
		struct leg *legs[2 + CALL_MAX_DYING + CALL_MAX_FORKS] = { c->a, c->b };
		memcpy(legs + 2, c->dying, sizeof(c->dying));
		memcpy(legs + 2 + CALL_MAX_DYING, c->forks, sizeof(c->forks));
		for (size_t i = 0; i < sizeof(legs) / sizeof(legs[0]); i++)
			if (legs[i])
				legs[i]->ops->destroy(legs[i]);
		loop_timer_free(c->ring_timer);
		LIST_REMOVE(c, entry);
		br->n_calls--;
		free(c);
	}
}

void bridge_free(struct bridge *br)
{
	if (!br)
		return;
	bridge_log_summary(br);
	bridge_drop_calls(br);
	free(br->pdd_ms);
	free(br);
}

void bridge_shutdown(struct bridge *br, void (*idle_h)(void *arg), void *arg)
{
	struct call *c, *tmp;

	br->shutting_down = 1;
	br->idle_h = idle_h;
	br->idle_arg = arg;
	LOGN(LSS_BRIDGE, "shutting down: clearing %u call(s) with cause %d", br->n_calls,
	     CAUSE_NORMAL_CLEARING);
	if (!br->n_calls) {
		idle_h(arg);
		return;
	}
	/* call_release can end a call (and free it) at once: walk safely. */
	for (c = LIST_FIRST(&br->calls); c; c = tmp) {
		tmp = LIST_NEXT(c, entry);
		call_release(c, NULL, CAUSE_NORMAL_CLEARING);
	}
}

unsigned bridge_call_count(const struct bridge *br) { return br->n_calls; }
