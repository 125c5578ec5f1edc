/* sipgw - Cisco call forwarding of registered users (all, busy, no answer)
 * and a 3xx's Contacts taken as targets (figures B-10, B-11, B-12): the
 * steps route.c's hunting takes when a call is redirected. The targets
 * themselves are route_redirect.c's. SPDX-License-Identifier: GPL-2.0-only */
#include "route/route_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/cause.h"
#include "core/log.h"

/* A user that forwards every call is routed as a user even when no phone
 * of it is registered (its forward is the route). */
int route_forwards_all(const struct route *r, const char *user)
{
	const struct cfg_user *u = route_fwd_user(r->fwd, user);

	return u && u->forward_all[0];
}

static struct route_redir *route_redir_of(struct route_call *rc)
{
	if (!rc->rd && (rc->rd = malloc(sizeof(*rc->rd))))
		route_redir_init(rc->rd, call_setup_info(rc->c));
	return rc->rd;
}

/* The targets in turn until one is on its way: 0, else -ENOENT. */
int route_redirect_try(struct route_call *rc)
{
	struct route *r = rc->r;
	struct route_redir *rd = rc->rd;
	char uri[1][ROUTE_URI_LEN];

	while (rd && route_redir_next(rd, call_setup_info(rc->c), rc->cfg->redirect_max_targets) == 0) {
		const char *num = rd->si.called;
		size_t n;

		rc->ring_user[0] = 0;
		if (route_contacts(r, num, uri, 1) || route_forwards_all(r, num))
			snprintf(rc->ring_user, sizeof(rc->ring_user), "%s", num);
		n = dp_lookup(rc->cfg->peers, rc->cfg->n_peers, num, DP_POTS, rc->cands, ROUTE_MAX_CANDS);
		if (n && !rd->cur.may_pstn) {
			LOGW(LSS_BRIDGE, "%s redirection by %s to %s refused: the redirecting party may not "
			     "reach the PSTN", call_describe(rc->c), rd->cur.by, num);
			rd->refused = 1;
			n = 0;
		}
		if (!n && rc->towards == DP_VOIP)
			n = dp_lookup(rc->cfg->peers, rc->cfg->n_peers, num, DP_VOIP, rc->cands, ROUTE_MAX_CANDS);
		rc->n_cands = n;
		rc->next_cand = 0;
		LOGI(LSS_BRIDGE, "%s redirected by %s to %s: %s%zu dial-peer(s)", call_describe(rc->c), rd->cur.by,
		     num, rc->ring_user[0] ? "registered phones, " : "", n);
		if (route_try_next(rc) == 0)
			return 0;
	}
	return -ENOENT;
}

/* user forwards the call to numbers (a comma list) for why. */
static int route_forward_to(struct route_call *rc, const char *user, const char *numbers, enum leg_redirect why,
			    int may_pstn)
{
	struct leg_contacts lc;
	struct route_redir *rd = route_redir_of(rc);

	if (!rd || route_redir_list(numbers, &lc))
		return -ENOENT;
	LOGI(LSS_BRIDGE, "%s %s forwards (%s) to %s", call_describe(rc->c), user,
	     why == LEG_REDIR_BUSY ? "busy" : why == LEG_REDIR_NO_ANSWER ? "no answer" : "unconditional", numbers);
	if (route_redir_push(rd, call_describe(rc->c), &lc, user, why, may_pstn, rc->cfg->redirect_max_hops))
		return -ENOENT;
	return route_redirect_try(rc);
}

/* Forwarding unconditional (B-10): -ENOTSUP when user does not forward. */
int route_forward_user(struct route_call *rc, const char *user)
{
	const struct cfg_user *u = route_fwd_user(rc->r->fwd, user);

	if (!u || !u->forward_all[0])
		return -ENOTSUP;
	return route_forward_to(rc, user, u->forward_all, LEG_REDIR_UNCONDITIONAL, u->pstn);
}

/* Forwarding on busy (B-11): the user whose phones were busy. */
int route_forward_busy(struct route_call *rc)
{
	const char *user = route_si(rc)->called;
	const struct cfg_user *u = route_fwd_user(rc->r->fwd, user);

	if (!u || !u->forward_busy[0])
		return -ENOENT;
	return route_forward_to(rc, user, u->forward_busy, LEG_REDIR_BUSY, u->pstn);
}

/* Forwarding on no answer (B-12): the user's own ring timer ran out while
 * its phones ring; they are cancelled (cause 19) and the call goes on. */
static void route_cfna_fired(void *arg)
{
	struct route_call *rc = arg;
	const struct cfg_user *u = route_fwd_user(rc->r->fwd, rc->cfna_user);
	char user[LEG_NUM];

	if (!call_ringing(rc->c) || !u || !u->forward_no_answer[0])
		return;
	LOGI(LSS_BRIDGE, "%s %s did not answer in %u ms", call_describe(rc->c), rc->cfna_user,
	     u->forward_no_answer_ms);
	memcpy(user, rc->cfna_user, sizeof(user));
	call_drop_tries(rc->c, CAUSE_NO_ANSWER);
	if (route_forward_to(rc, user, u->forward_no_answer, LEG_REDIR_NO_ANSWER, u->pstn) == 0)
		return;
	call_clear(rc->c, rc->rd && rc->rd->refused ? CAUSE_REDIRECTION : CAUSE_NO_ANSWER);
}

void route_cfna_arm(struct route_call *rc, const char *user)
{
	const struct cfg_user *u = route_fwd_user(rc->r->fwd, user);

	if (!u || !u->forward_no_answer[0] || !rc->r->root)
		return;
	if (!rc->cfna && loop_timer_alloc(&rc->cfna, rc->r->root, "forward-no-answer", route_cfna_fired, rc))
		return;
	snprintf(rc->cfna_user, sizeof(rc->cfna_user), "%s", user);
	loop_timer_start(rc->cfna, u->forward_no_answer_ms);
}

/* A 3xx (RFC 3261 8.1.3.4, 16.7 step 4): its Contacts join the call's
 * targets in q order, with the rights of who redirected: a registered
 * phone's user, or the dial-peer's peer when it is of the trust domain. */
void route_take_3xx(struct route_call *rc, struct leg *leg, int status)
{
	const struct dial_peer *dp = route_placed_peer(rc, leg);
	const struct gw_config *cfg = rc->cfg;
	char by[LEG_NUM], host[128];
	struct route_redir *rd;
	int may, port;

	if (!leg->contacts || !leg->contacts->n || !(rd = route_redir_of(rc)))
		return;
	snprintf(by, sizeof(by), "%s", route_si(rc)->called);
	if (dp)
		may = !dp_session_target(dp, host, sizeof(host), &port) && cfg_list_match_addr(&cfg->sip_trusted, host);
	else
		may = route_fwd_may_pstn(rc->r->fwd, by);
	route_redir_push(rd, call_describe(rc->c), leg->contacts, by,
			 status == 301 || status == 302 ? LEG_REDIR_UNCONDITIONAL : LEG_REDIR_UNKNOWN, may,
			 cfg->redirect_max_hops);
}
