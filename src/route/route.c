/* sipgw - routing: dial-peer selection and hunting (figure B-16: 5xx or no
 * answer -> next peer; 4xx, 6xx -> stop), forking to registered phones,
 * emergency numbers (B-22, B-23) and the toll-fraud door (B-19).
 * SPDX-License-Identifier: GPL-2.0-only */
#include "route/route.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/bridge.h"
#include "bridge/cause.h"
#include "core/config.h"
#include "core/err.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/number.h"
#include "route/dialpeer.h"
#include "route/identity.h"
#include "route/peer_health.h"
#include "route/route_check.h"
#include "route/route_redirect.h"
#include "route/route_transfer.h"
#include "sip/sip_addr.h"

#include "route/route_internal.h"

/* The setup the next leg is placed with: a redirected try's (its target
 * called, Diversion / redirecting number), else the caller's. */
const struct leg_setup_info *route_si(const struct route_call *rc)
{
	return rc->rd && rc->rd->si.called[0] ? &rc->rd->si : call_setup_info(rc->c);
}


int route_contacts(struct route *r, const char *user, char uris[][ROUTE_URI_LEN], int max)
{
	return r->contacts_h ? r->contacts_h(r->contacts_arg, user, uris, max) : 0;
}

static void route_note_pdd(struct route *r, double ms)
{
	if (r->n_pdd == r->cap_pdd) {
		size_t cap = r->cap_pdd ? r->cap_pdd * 2 : 1024;
		float *p;
		if (cap > 1000000 || !(p = realloc(r->pdd_ms, cap * sizeof(*p))))
			return;
		r->pdd_ms = p;
		r->cap_pdd = cap;
	}
	r->pdd_ms[r->n_pdd++] = (float)ms;
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return (x > y) - (x < y);
}

/* One line a benchmark (or an operator) can read at exit. */
static void route_log_summary(struct route *r)
{
	if (!r->n_pdd)
		return;
	qsort(r->pdd_ms, r->n_pdd, sizeof(float), cmp_float);
	LOGN(LSS_BRIDGE, "summary: %u calls routed, post-dial delay (SETUP in -> INVITE out) "
	     "p50 %.3f ms p99 %.3f ms max %.3f ms", r->n_routed,
	     r->pdd_ms[r->n_pdd / 2], r->pdd_ms[(r->n_pdd * 99) / 100], r->pdd_ms[r->n_pdd - 1]);
}

static double route_pdd_ms(const struct route_call *rc)
{
	return (mono_us() - call_setup_info(rc->c)->t_setup_us) / 1000.0;
}

/* One outgoing leg through its kind's factory: made, set up, given to the
 * call. 0, or -errno with the cause in *causep (the leg is gone again). */
static int route_place(struct route_call *rc, enum route_leg_kind kind, const struct route_target *t,
		       int *causep)
{
	const struct route_factory *f = &rc->r->legs[kind];
	struct leg *leg;
	int rv;

	*causep = CAUSE_TEMP_FAILURE;
	if (!f->alloc)
		return -ENOSYS;
	if ((rv = f->alloc(f->arg, &leg, t)))
		return rv;
	if ((rv = leg->ops->setup(leg, route_si(rc), causep))) {
		leg->ops->destroy(leg);
		return rv;
	}
	if ((rv = call_add_leg(rc->c, leg))) {
		leg->call = NULL;
		leg->ops->release(leg, CAUSE_TEMP_FAILURE);	/* reports gone; destroyed then */
		return rv;
	}
	/* the CDR's called side: the dial-peer and the numbers as they went */
	call_cdr_placed(rc->c, t->dial_peer, t->number ? t->number : route_si(rc)->called,
			t->calling ? t->calling : route_si(rc)->calling, route_si(rc)->display);
	/* the oldest entry makes room: its leg failed long ago (hunting) */
	rc->placed[rc->n_placed % ROUTE_MAX_PLACED].leg = leg;
	rc->placed[rc->n_placed % ROUTE_MAX_PLACED].tag = t->dial_peer;
	rc->n_placed++;
	return 0;
}

/* SIP -> PRI: the pots peer's span, or its trunk group's spans in order,
 * until one has a free B-channel. 0, or -errno with the Q.850 cause in *causep. */
static int route_try_pots(struct route_call *rc, const struct dial_peer *dp, int *causep)
{
	const struct gw_config *cfg = rc->cfg;
	const struct leg_setup_info *si = route_si(rc);
	const char *names[CFG_MAX_SPANS];
	char number[LEG_NUM];
	int n = 0;

	*causep = CAUSE_NO_ROUTE_DESTINATION;
	if (dp_pots_number(dp, si->called, number, sizeof(number)))
		return err_with(-EINVAL, causep, CAUSE_INVALID_NUMBER_FORMAT);
	if (config_span(cfg, dp->port)) {
		names[n++] = dp->port;
	} else {
		for (int t = 0; t < cfg->n_tgs; t++)
			if (!strcmp(cfg->tgs[t].name, dp->port))
				for (int k = 0; k < cfg->tgs[t].n_spans; k++)
					names[n++] = cfg->tgs[t].spans[k];
	}
	for (int i = 0; i < n; i++) {
		const struct cfg_span *span = config_span(cfg, names[i]);
		char called[LEG_NUM], calling[LEG_NUM], redirecting[LEG_NUM];
		/* E.164 '+' numbers go as digits with their type of number; a
		 * dial-peer's explicit numbering_type still wins for the called */
		int plan = route_number_to_pri(span, number, called, sizeof(called), dp->ton | dp->npi);
		struct route_target t = {
			.dial_peer = dp->tag, .span = names[i], .number = called,
			.plan = dp->ton ? (dp->ton | dp->npi) : plan,
			.calling = calling,
			.calling_plan = route_number_to_pri(span, si->calling, calling, sizeof(calling),
							    0x01 /* unknown, E.164 */),
			.redirecting = si->redirecting[0] ? redirecting : NULL,
			.redirecting_plan = route_number_to_pri(span, si->redirecting, redirecting,
								sizeof(redirecting), 0x01),
		};
		int cause, rv = route_place(rc, ROUTE_LEG_PRI, &t, &cause);

		if (rv == -ENOENT)
			continue;	/* no such span running: the cause stays the last span's */
		*causep = cause;
		if (rv == 0) {
			LOGI(LSS_BRIDGE, "%s -> dial-peer %d (span %s) as %s, post-dial delay %.3f ms",
			     call_describe(rc->c), dp->tag, names[i], number, route_pdd_ms(rc));
			return 0;
		}
		LOGN(LSS_BRIDGE, "%s span %s refused: cause %d (%s)", call_describe(rc->c), names[i],
		     *causep, cause_name(*causep));
	}
	return -EBUSY;
}

/* A SIP leg to a dial-peer's session target or to a registered phone's
 * contact; 0 when its INVITE is on its way. */
static int route_place_sip(struct route_call *rc, const struct route_target *t, const char *what)
{
	int cause;

	if (route_place(rc, ROUTE_LEG_SIP, t, &cause))
		return -EIO;
	route_note_pdd(rc->r, route_pdd_ms(rc));
	LOGI(LSS_BRIDGE, "%s -> %s, post-dial delay %.3f ms", call_describe(rc->c), what, route_pdd_ms(rc));
	return 0;
}

/* Ring every registered contact of user at once (parallel forking, RFC
 * 3261 16.6, done as a B2BUA): the newest is the call's b leg, the others
 * ring beside it; the first to answer wins and the bridge cancels the rest. */
static int route_ring_user(struct route_call *rc, const char *user, int tag)
{
	char uris[ROUTE_MAX_FORKS][ROUTE_URI_LEN];
	int n, placed = 0, fw = route_forward_user(rc, user);

	if (fw != -ENOTSUP)
		return fw;	/* forwarded (unconditional): its targets instead */
	n = route_contacts(rc->r, user, uris, ROUTE_MAX_FORKS);

	for (int i = 0; i < n; i++) {
		struct route_target t = { .ruri = uris[i], .dial_peer = tag };
		char what[ROUTE_URI_LEN + 96];

		snprintf(what, sizeof(what), "%.63s registered at %.*s", user, ROUTE_URI_LEN - 1, uris[i]);
		if (route_place_sip(rc, &t, what) == 0)
			placed++;
	}
	if (!n)
		LOGN(LSS_BRIDGE, "%s %s is not registered", call_describe(rc->c), user);
	if (placed)
		route_cfna_arm(rc, user);
	return placed ? 0 : -ENOENT;
}

/* One voip dial-peer: its session target, or the called number's
 * registered phones ("session target registrar"). */
static int route_try_voip(struct route_call *rc, const struct dial_peer *dp)
{
	struct route_target t = { .dial_peer = dp->tag };
	char host[128], what[320];

	if (dp_targets_registrar(dp)) {
		if (route_ring_user(rc, route_si(rc)->called, dp->tag) == 0)
			return 0;
		rc->last_cause = CAUSE_SUBSCRIBER_ABSENT;
		return -ENOENT;
	}
	if (dp_session_target(dp, host, sizeof(host), &t.port))
		return -EINVAL;
	/* Busied out by its OPTIONS keepalive: skipped at once, as Cisco
	 * does, without an INVITE to wait Timer B on. */
	if (peer_health_check(rc->r->health, host, t.port, dp->transport)) {
		LOGI(LSS_BRIDGE, "%s dial-peer %d (%s) skipped: busied out", call_describe(rc->c), dp->tag, dp->target);
		return -EHOSTDOWN;
	}
	t.host = host;
	t.assert_identity = cfg_list_match_addr(&rc->cfg->sip_trusted, host);
	t.dtmf_relay = &dp->dtmf_relay;
	t.codecs = &dp->codecs;
	t.transport = dp->transport;
	t.srtp = dp->srtp;
	t.delayed_offer = dp->delayed_offer;
	snprintf(what, sizeof(what), "dial-peer %d (%s)", dp->tag, dp->target);
	return route_place_sip(rc, &t, what);
}

/* The next try: a registered phone first (once), then the next matching
 * dial-peer; 0 when one is on its way. */
int route_try_next(struct route_call *rc)
{
	if (rc->ring_user[0]) {
		char user[LEG_NUM];

		memcpy(user, rc->ring_user, sizeof(user));
		rc->ring_user[0] = 0;	/* tried once: hunting goes on with the dial-peers */
		if (route_ring_user(rc, user, 0) == 0)
			return 0;
	}
	while (rc->next_cand < rc->n_cands) {
		const struct dial_peer *dp = rc->cands[rc->next_cand++];
		int rv, cause;

		if (dp->type == DP_POTS) {
			rv = route_try_pots(rc, dp, &cause);
			if (rv)
				rc->last_cause = cause;
		} else {
			rv = route_try_voip(rc, dp);
		}
		if (rv == 0)
			return 0;
	}
	return -ENOENT;
}

/* RFC 3261 16.7 / figure B-16: a 5xx or no answer at all lets another
 * location be tried; 4xx is definite for this request, 6xx for the user. */
static int may_hunt(int status)
{
	return (status >= 500 && status < 600) || status == 408;
}

/* ---- Cause overrides (issue 9 item 8; Cisco "set sip-status S pstn-cause C"
 * and "set pstn-cause C sip-status S"): rows of config's global `causes` and
 * a dial-peer's own, the dial-peer's first, replace rows of the RFC 3398
 * tables where the gateway interworks a failure before the answer. */

static const struct dial_peer *route_peer(const struct gw_config *cfg, int tag)
{
	for (size_t i = 0; tag && i < cfg->n_peers; i++)
		if (cfg->peers[i].tag == tag)
			return &cfg->peers[i];
	return NULL;
}

/* The dial-peer leg was placed for; NULL for a registered phone's. */
const struct dial_peer *route_placed_peer(const struct route_call *rc, const struct leg *leg)
{
	for (unsigned k = rc->n_placed; k > 0 && k + ROUTE_MAX_PLACED > rc->n_placed; k--)
		if (rc->placed[(k - 1) % ROUTE_MAX_PLACED].leg == leg)
			return route_peer(rc->cfg, rc->placed[(k - 1) % ROUTE_MAX_PLACED].tag);
	return NULL;
}

/* SIP -> PSTN: a SIP called leg failed with status; the caller on the PRI
 * gets the override's cause instead of the leg's RFC 3398 one. */
static int route_override_cause(struct route_call *rc, const struct leg *leg, int cause, int status)
{
	const struct dial_peer *dp = route_placed_peer(rc, leg);
	int ov, from_dp;

	if (rc->towards != DP_VOIP || status < 400)
		return cause;
	/* A Q.850 cause the far end put in a Reason header is the cause (RFC
	 * 6432 3): it says what happened on its side, where an override only
	 * replaces our guess from the status table. */
	if (leg->cause_from_reason)
		return cause;
	if (cause_override_from_status(dp ? &dp->causes : NULL, &rc->cfg->causes, status, &ov))
		return cause;
	from_dp = dp && cause_override_from_status(&dp->causes, NULL, status, &(int){ 0 }) == 0;
	LOGI(LSS_BRIDGE, "%s SIP %d -> cause %d (%s) by %s cause override (RFC 3398: %d)",
	     call_describe(rc->c), status, ov, cause_name(ov), from_dp ? "the dial-peer's" : "the global", cause);
	return ov;
}

/* PSTN -> SIP: routing is about to clear a SIP caller before the answer
 * with cause, the PSTN's or its own (no route), which came over dp (NULL:
 * none); an override row gives the status its INVITE is answered with
 * (leg.h release_status). */
static void route_override_status(struct route_call *rc, const struct dial_peer *dp, int cause)
{
	int status, from_dp;

	if (rc->towards != DP_POTS)
		return;
	rc->a->release_status = 0;
	if (cause_override_to_status(dp ? &dp->causes : NULL, &rc->cfg->causes, cause, &status))
		return;
	rc->a->release_status = status;
	from_dp = dp && cause_override_to_status(&dp->causes, NULL, cause, &(int){ 0 }) == 0;
	LOGI(LSS_BRIDGE, "%s cause %d -> SIP %d by %s cause override (RFC 3398: %d)", call_describe(rc->c),
	     cause, status, from_dp ? "the dial-peer's" : "the global", cause_to_sip_status(cause));
}

/* ---- Redirections (route_redirect.h): forwarding (B-10..B-12), a 3xx a
 * called leg got. Each target is a number routed as if dialled: a
 * registered user, else the dial-peers; a pots dial-peer only with the PSTN
 * right of whoever redirected (the toll-fraud door: a forward or a Contact
 * is a way to the PRI, and it goes with that party's rights, not past them). */

/* A called leg failed before the answer: the others ring on, the next
 * dial-peer is hunted, or (-ENOENT) the call clears with *causep. */
int route_leg_failure(struct route_call *rc, struct call *c, struct leg *leg, int cause, int status,
			     int *causep)
{
	*causep = cause;
	/* One of several forked phones failed: the others ring on, unless it
	 * declined for the user everywhere (6xx, RFC 3261 16.7). */
	if (call_legs_trying(c) && status < 600) {
		if (cause == CAUSE_USER_BUSY)
			rc->fork_cause = CAUSE_USER_BUSY;
		if (status >= 300 && status < 400)
			route_take_3xx(rc, leg, status);	/* tried once the forks are done */
		return 0;
	}
	if (call_legs_trying(c))
		return -ENOENT;		/* 6xx: the bridge clears the others too */
	loop_timer_stop(rc->cfna);	/* whatever comes next is a new try */
	if (rc->fork_cause)
		cause = *causep = rc->fork_cause;	/* busy somewhere beats "no answer" elsewhere */
	if (status >= 300 && status < 400) {
		route_take_3xx(rc, leg, status);
		cause = *causep = CAUSE_REDIRECTION;	/* if none is followed (Q.850 23) */
	}
	if (cause == CAUSE_USER_BUSY && route_forward_busy(rc) == 0)
		return 0;
	if (may_hunt(status) && rc->next_cand < rc->n_cands && route_try_next(rc) == 0)
		return 0;
	/* Redirection targets still waiting: only a 6xx ends the search (RFC
	 * 3261 16.7); a 4xx or 5xx is this target's answer, not the user's. */
	if (rc->rd && status < 600 && route_redirect_try(rc) == 0)
		return 0;
	if (status >= 300 && status < 400)
		LOGN(LSS_BRIDGE, "%s redirection (%d) not followed to any Contact: cause %d", call_describe(c),
		     status, CAUSE_REDIRECTION);
	/* Glare (Q.931 5.7): the network refused our SETUP's B-channel (requested
	 * circuit/channel not available), most likely to give it to a call of its
	 * own. Place the call once more on the same dial-peer; the span hunts
	 * another channel. */
	if (cause == CAUSE_REQUESTED_CHAN_UNAVAIL && !call_alerted(c) && rc->glare_retries < ROUTE_GLARE_RETRIES &&
	    !strcmp(leg->ops->kind, "pri") && rc->next_cand > 0) {
		rc->glare_retries++;
		LOGN(LSS_BRIDGE, "%s B-channel refused (cause %d): trying the dial-peer again",
		     call_describe(c), CAUSE_REQUESTED_CHAN_UNAVAIL);
		rc->next_cand--;
		if (route_try_next(rc) == 0)
			return 0;
	}
	return -ENOENT;
}

/* bridge_route_ops.leg_failed: a called leg failed before the answer; the
 * cause overrides on either side of routing's decision. */
static int route_leg_failed(void *arg, struct call *c, struct leg *leg, int cause, int status, int *causep)
{
	struct route_call *rc = call_route_data(c);
	int rv;

	*causep = cause;
	if (!rc)
		return -ENOENT;
	cause = route_override_cause(rc, leg, cause, status);
	rv = route_leg_failure(rc, c, leg, cause, status, causep);
	/* a PRI leg's cause; a registered phone's failure is SIP to SIP */
	if (rv && !strcmp(leg->ops->kind, "pri"))
		route_override_status(rc, route_placed_peer(rc, leg), *causep);
	return rv;
}

static void route_call_ended(void *arg, struct call *c)
{
	struct route_call *rc = call_route_data(c);

	if (rc) {
		loop_timer_free(rc->cfna);
		free(rc->rd);
		route_xfer_watch_end(rc->xw, c);
		rc->r->n_calls--;
		cfg_gen_unref(rc->gen);	/* the last call of an old generation frees it */
	}
	free(rc);
	call_set_route_data(c, NULL);
}

const struct bridge_route_ops route_bridge_ops = {
	.leg_failed = route_leg_failed,
	.call_ended = route_call_ended,
};

/* A new call around the incoming leg a, routed to ring_user's registered
 * phones (if any) and then over dial-peers of type towards. 0, or -errno
 * with the cause in *causep when no call could be made for it. */
static int route_call_start(struct route *r, struct leg *a, const struct leg_setup_info *si,
			    enum dp_type towards, const char *ring_user, int *causep)
{
	struct route_call *rc;
	struct call *c;
	int rv;

	if ((rv = call_alloc(&c, r->br, a, si)))
		return err_with(rv, causep, rv == -EBUSY ? CAUSE_SWITCH_CONGESTION : CAUSE_RESOURCE_UNAVAIL);
	r->n_routed++;
	rc = calloc(1, sizeof(*rc));
	if (!rc) {
		call_clear(c, CAUSE_RESOURCE_UNAVAIL);
		return 0;
	}
	rc->r = r;
	rc->c = c;
	rc->cfg = r->cfg;
	rc->gen = cfg_gen_ref(r->gen);
	r->n_calls++;
	rc->a = a;
	rc->towards = towards;
	rc->last_cause = CAUSE_NORMAL_CLEARING;
	snprintf(rc->ring_user, sizeof(rc->ring_user), "%s", ring_user ? ring_user : "");
	call_set_route_data(c, rc);
	rc->n_cands = dp_lookup(rc->cfg->peers, rc->cfg->n_peers, si->called, towards, rc->cands,
				ROUTE_MAX_CANDS);
	LOGI(LSS_BRIDGE, "%s from %s: %s \"%s\" -> %s%s, %s%zu dial-peer(s)", call_describe(c),
	     a->ops->describe(a), si->calling, si->display, si->called, si->emergency ? " (EMERGENCY)" : "",
	     rc->ring_user[0] ? "registered phones, " : "", rc->n_cands);
	if (!rc->n_cands && !rc->ring_user[0]) {
		LOGN(LSS_BRIDGE, "%s no dial-peer matches %s: cause %d", call_describe(c), si->called,
		     CAUSE_UNALLOCATED);
		route_override_status(rc, NULL, CAUSE_UNALLOCATED);
		call_clear(c, CAUSE_UNALLOCATED);
		return 0;
	}
	/* SIP -> PRI: the span's cause (no circuit...); else network out of order
	 * (38): Q.850's "likely to last a relatively long period of time",
	 * which every voip peer busied out by its keepalive is, so the PBX
	 * reroutes (another trunk) rather than redialling here at once. */
	if (route_try_next(rc)) {
		int cause = towards == DP_POTS ? rc->last_cause : CAUSE_NET_OUT_OF_ORDER;

		if (rc->rd && rc->rd->refused)
			cause = CAUSE_REDIRECTION;	/* forwarded where the door or a limit said no */

		route_override_status(rc, rc->next_cand ? rc->cands[rc->next_cand - 1] : NULL, cause);
		call_clear(c, cause);
	}
	return 0;
}

/* Overlap receiving (Cisco's rule): the number is complete when no voip
 * dial-peer's pattern could match a longer one. A number one peer matches
 * while another could still take more digits waits for them (or T302). */
int route_number_complete(void *arg, const char *number)
{
	struct route *r = arg;

	for (size_t i = 0; i < r->cfg->n_peers; i++) {
		const struct dial_peer *dp = &r->cfg->peers[i];

		if (dp->type == DP_VOIP && dp_pattern_extends(dp->pattern, number))
			return 0;
	}
	return 1;
}

int route_incoming_pri(void *arg, struct leg *a, const struct leg_setup_info *si_in, int *causep)
{
	struct route *r = arg;
	struct leg_setup_info si = *si_in;

	/* A span a reload took out of the config takes no new call (its calls
	 * up go on to their end). The reload busies its B-channels out, so the
	 * span refuses such a SETUP itself; this is the rule behind it: no
	 * circuit, so the PBX hunts another trunk (Q.850 34). */
	if (si.source[0] && !config_span(r->cfg, si.source)) {
		LOGN(LSS_BRIDGE, "span %s: SETUP to %s refused, the span is no longer in the config (busied "
		     "out since the reload): cause %d", si.source, si.called, CAUSE_NO_CIRCUIT);
		return err_with(-EBUSY, causep, CAUSE_NO_CIRCUIT);
	}
	route_identity_from_pri(config_span(r->cfg, si.source), &si);
	return route_call_start(r, a, &si, DP_VOIP, NULL, causep);
}

/* Emergency numbers (figures B-22, B-23) come in from anyone, registered or
 * not, and may take reserved B-channels. An emergency entry naming an
 * extension goes to that phone; else the number's own registered phone,
 * then the pots dial-peers. */
static int route_start_emergency(struct route *r, struct leg *a, struct leg_setup_info *si,
				 const struct cfg_emergency_number *em, int *causep)
{
	char uri[1][ROUTE_URI_LEN];
	const char *user = si->called;

	si->emergency = 1;
	LOGN(LSS_BRIDGE, "EMERGENCY call from %s (%s%s) to %s: accepted without authentication",
	     si->source, si->calling, si->auth_user[0] ? ", authenticated" : "", si->called);
	if (em->extension[0] && route_contacts(r, em->extension, uri, 1))
		user = em->extension;
	else if (em->extension[0])
		LOGW(LSS_BRIDGE, "emergency extension %s for %s is not registered; trying the dial-peers",
		     em->extension, si->called);
	return route_call_start(r, a, si, DP_POTS, user, causep);
}

/* Redirect server (B-10..B-12 with sipgw in the redirect server's place):
 * a user set to redirect, or a voip dial-peer set to, answers 302 (one
 * Contact) or 300 (several, with q) instead of relaying the call; the
 * caller then places it itself, through the door with its own rights.
 * -ENOENT when neither applies. */
static int route_redirect_server(struct route *r, struct leg *a, const struct leg_setup_info *si, int *causep)
{
	const struct cfg_user *u = route_fwd_user(r->fwd, si->called);
	const struct dial_peer *dps[ROUTE_MAX_CANDS];
	char reg[LEG_MAX_CONTACTS][ROUTE_URI_LEN], host[128], me[64], hp[SIP_HOSTPORT_LEN];
	struct leg_contacts lc = { 0 };
	size_t n;
	int port;

	_Static_assert(ROUTE_URI_LEN == LEG_URI, "a contact must fit a leg's");
	if (u && u->redirect) {
		int n_reg = route_contacts(r, si->called, reg, LEG_MAX_CONTACTS);

		/* our own address as the caller reaches it (a wildcard bind is none) */
		if (sip_addr_own_host(me, sizeof(me), r->cfg->sip_bind, si->source) == -ENOSPC)
			snprintf(me, sizeof(me), "%s", r->cfg->sip_bind);
		if (route_redir_user_contacts(u, me, r->cfg->sip_port, reg, n_reg, &lc) == 0)
			return route_redir_answer(a, &lc, si->called, causep);
		return -ENOENT;
	}
	n = dp_lookup(r->cfg->peers, r->cfg->n_peers, si->called, DP_VOIP, dps, ROUTE_MAX_CANDS);
	for (size_t i = 0; i < n && lc.n < LEG_MAX_CONTACTS; i++) {
		if (!dps[i]->redirect || dp_session_target(dps[i], host, sizeof(host), &port))
			continue;
		snprintf(lc.uri[lc.n], LEG_URI, "sip:%s@%s;user=phone", si->called, sip_hostport(hp, host, port));
		lc.q[lc.n] = 1000 - 100 * lc.n;	/* dial-peer preference order */
		lc.n++;
	}
	return lc.n ? route_redir_answer(a, &lc, "dial-peer", causep) : -ENOENT;
}

/* Toll-fraud door: an INVITE that would reach a PRI trunk or a registered
 * phone must come from a digest-authenticated user (407, figure B-19) or a
 * trusted address; emergency numbers excepted. */
int route_door_sip(void *arg, const struct leg_setup_info *si, int *causep)
{
	struct route *r = arg;

	if (route_emergency(r->cfg, si->called))
		return 0;
	if (si->auth_status) {
		LOGW(LSS_BRIDGE, "refused INVITE from %s to %s (calling %s): bad credentials (%d)",
		     si->source, si->called, si->calling, si->auth_status);
		return -EACCES;
	}
	if (!si->auth_user[0] && !cfg_list_match_addr(&r->cfg->sip_trusted, si->source)) {
		if (r->contacts_h) {
			LOGN(LSS_BRIDGE, "INVITE from %s to %s (calling %s): not trusted, challenging",
			     si->source, si->called, si->calling);
			return -EACCES;
		}
		LOGW(LSS_BRIDGE, "refused INVITE from %s to %s (calling %s): source not trusted",
		     si->source, si->called, si->calling);
		return err_with(-EPERM, causep, CAUSE_CALL_REJECTED);	/* -> 403 Forbidden */
	}
	return 0;
}

int route_incoming_sip(void *arg, struct leg *a, const struct leg_setup_info *si_in, int *causep)
{
	struct route *r = arg;
	struct leg_setup_info si = *si_in;
	const struct cfg_emergency_number *em = route_emergency(r->cfg, si.called);
	char uri[1][ROUTE_URI_LEN];
	int rv, ring;

	if (em)
		return route_start_emergency(r, a, &si, em, causep);
	if ((rv = route_door_sip(r, &si, causep)))
		return rv;
	/* RFC 3325 9.1: a P-Asserted-Identity is believed only from within the
	 * trust domain; then it is who calls. */
	if (si.asserted[0] && cfg_list_match_addr(&r->cfg->sip_trusted, si.source))
		snprintf(si.calling, sizeof(si.calling), "%s", si.asserted);
	a->trust_domain = cfg_list_match_addr(&r->cfg->sip_trusted, si.source);	/* transfers tell it */
	if (si.replaces)	/* RFC 3891: past the door, it takes that leg's place */
		return route_replace(r, a, &si, causep);
	if ((rv = route_redirect_server(r, a, &si, causep)) != -ENOENT)
		return rv;
	ring = route_contacts(r, si.called, uri, 1) || route_forwards_all(r, si.called);
	/* A user without the PSTN right (pstn = false) reaches only phones. */
	if (!ring && si.auth_user[0] && !route_fwd_may_pstn(r->fwd, si.auth_user) &&
	    !cfg_list_match_addr(&r->cfg->sip_trusted, si.source)) {
		LOGW(LSS_BRIDGE, "refused INVITE from %s as %s to %s: %s may not reach the PSTN", si.source,
		     si.auth_user, si.called, si.auth_user);
		return err_with(-EPERM, causep, CAUSE_CALL_REJECTED);	/* -> 403 Forbidden */
	}
	/* A registered phone first (the backup proxy's job), else the PSTN. */
	return route_call_start(r, a, &si, DP_POTS, ring ? si.called : NULL, causep);
}

int route_alloc(struct route **rp, const struct route_params *p)
{
	struct route *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	r->gen = cfg_gen_ref(p->gen);
	r->cfg = p->gen ? &p->gen->cfg : p->cfg;
	r->br = p->br;
	memcpy(r->legs, p->legs, sizeof(r->legs));
	r->contacts_h = p->contacts_h;
	r->contacts_arg = p->contacts_arg;
	r->root = p->root;
	r->health = p->health;
	if (route_fwd_alloc(&r->fwd, r->cfg)) {
		cfg_gen_unref(r->gen);
		free(r);
		return -ENOMEM;
	}
	*rp = r;
	return 0;
}

void route_set_bridge(struct route *r, struct bridge *br) { r->br = br; }

void route_forward_reload(struct route *r, const struct gw_config *cfg) { route_fwd_reload(r->fwd, cfg); }

void route_set_config(struct route *r, struct cfg_gen *gen)
{
	struct cfg_gen *old = r->gen;

	r->gen = cfg_gen_ref(gen);
	r->cfg = &gen->cfg;
	route_fwd_reload(r->fwd, r->cfg);
	cfg_gen_unref(old);	/* freed now unless calls up still hold it */
}

unsigned route_calls_up(const struct route *r) { return r->n_calls; }

void route_set_health(struct route *r, const struct peer_health *health) { r->health = health; }

void route_free(struct route *r)
{
	if (!r)
		return;
	route_log_summary(r);
	route_fwd_free(r->fwd);
	cfg_gen_unref(r->gen);
	free(r->pdd_ms);
	free(r);
}

/* ---- for route_transfer.c: what a transfer's placement needs of routing */

const struct gw_config *route_config(const struct route *r) { return r->cfg; }

int route_factory_alloc(struct route *r, enum route_leg_kind kind, struct leg **legp, const struct route_target *t)
{
	const struct route_factory *f = &r->legs[kind];

	return f->alloc ? f->alloc(f->arg, legp, t) : -ENOSYS;
}

int route_user_contacts(struct route *r, const char *user, char uris[][ROUTE_URI_LEN], int max)
{
	return route_contacts(r, user, uris, max);
}

int route_has_registrar(const struct route *r) { return r->contacts_h != NULL; }

struct su_root_s *route_root(const struct route *r) { return r->root; }

struct xfer_watch **route_call_xfer_watch(struct call *c)
{
	struct route_call *rc = call_route_data(c);

	return rc ? &rc->xw : NULL;
}
