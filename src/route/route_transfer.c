/* sipgw - transfers (issue 10 item 2; Cisco figures B-6..B-9): a transfer
 * target is a way to reach the PRI, so it goes through the same door as an
 * INVITE, with the rights of whoever asked for it. Blind: the target is
 * called as if the transferor had dialled it (a registered phone, then the
 * pots dial-peers) and the bridge puts it in the transferor's place when it
 * answers. Attended: the two calls sipgw already holds are joined. An
 * INVITE with Replaces (RFC 3891) takes a leg's place after the door.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "route/route_transfer.h"

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
#include "route/dialpeer.h"
#include "route/identity.h"
#include "route/route_check.h"

/* The toll-fraud door of route_incoming_sip for a transfer: the transferor
 * must be digest-authenticated or at a trusted address, whoever its peer
 * is; emergency numbers excepted (B-22). 0, -EACCES (credentials due:
 * the REFER is challenged, B-19, or its credentials were bad) or -EPERM. */
static int xfer_door(struct route *r, const struct leg_transfer *xi, const char *what)
{
	const struct gw_config *cfg = route_config(r);

	if (route_emergency(cfg, xi->target))
		return 0;
	if (xi->auth_status) {
		LOGW(LSS_BRIDGE, "refused transfer by %s to %s (%s): bad credentials (%d)", xi->source,
		     xi->target, what, xi->auth_status);
		return -EACCES;
	}
	if (!xi->auth_user[0] && !cfg_list_match_addr(&cfg->sip_trusted, xi->source)) {
		LOGW(LSS_BRIDGE, "refused transfer by %s to %s (%s): transferor not trusted, not authenticated%s",
		     xi->source, xi->target, what, route_has_registrar(r) ? ", challenging" : "");
		return route_has_registrar(r) ? -EACCES : -EPERM;
	}
	return 0;
}

/* The pots dial-peers' first span for si->called, as route_try_pots would
 * place it (no hunting: a failed transfer is the transferor's to retry). */
static int xfer_leg_pots(struct route *r, const struct leg_setup_info *si, struct leg **legp, int *causep)
{
	const struct gw_config *cfg = route_config(r);
	const struct dial_peer *cands[1];
	char number[LEG_NUM], called[LEG_NUM], calling[LEG_NUM];
	const char *span;
	const struct cfg_span *cs;

	*causep = CAUSE_UNALLOCATED;
	if (!dp_lookup(cfg->peers, cfg->n_peers, si->called, DP_POTS, cands, 1))
		return -ENOENT;
	if (dp_pots_number(cands[0], si->called, number, sizeof(number)))
		return err_with(-EINVAL, causep, CAUSE_INVALID_NUMBER_FORMAT);
	span = cands[0]->port;
	for (int t = 0; !config_span(cfg, span) && t < cfg->n_tgs; t++)
		if (!strcmp(cfg->tgs[t].name, span) && cfg->tgs[t].n_spans)
			span = cfg->tgs[t].spans[0];
	cs = config_span(cfg, span);
	{
		int plan = route_number_to_pri(cs, number, called, sizeof(called),
					       cands[0]->ton | cands[0]->npi);
		struct route_target t = {
			.dial_peer = cands[0]->tag, .span = span, .number = called,
			.plan = cands[0]->ton ? (cands[0]->ton | cands[0]->npi) : plan, .calling = calling,
			.calling_plan = route_number_to_pri(cs, si->calling, calling, sizeof(calling), 0x01),
		};
		*causep = CAUSE_NO_ROUTE_DESTINATION;
		return route_factory_alloc(r, ROUTE_LEG_PRI, legp, &t);
	}
}

/* Blind transfer: a leg towards the target, set up, handed to the bridge. */
static int xfer_blind(struct route *r, struct call *c, struct leg *transferor, const struct leg_transfer *xi,
		      int *causep)
{
	const struct leg_setup_info *csi = call_setup_info(c);
	struct leg_setup_info si = { .law = csi->law, .t_setup_us = mono_us() };
	char uris[1][ROUTE_URI_LEN];
	struct leg *leg = NULL;
	int rv;

	/* The party that stays is who calls the target: the caller of the
	 * call, or the number it called when the transferor was the caller. */
	if (transferor != call_caller_leg(c)) {
		snprintf(si.calling, sizeof(si.calling), "%s", csi->calling);
		snprintf(si.display, sizeof(si.display), "%s", csi->display);
		si.restricted = csi->restricted;
	} else {
		snprintf(si.calling, sizeof(si.calling), "%s", csi->called);
	}
	snprintf(si.called, sizeof(si.called), "%s", xi->target);
	snprintf(si.referred_by, sizeof(si.referred_by), "%s", xi->referred_by);
	snprintf(si.source, sizeof(si.source), "%s", xi->source);
	snprintf(si.auth_user, sizeof(si.auth_user), "%s", xi->auth_user);
	si.emergency = route_emergency(route_config(r), si.called) != NULL;
	if (route_user_contacts(r, si.called, uris, 1) == 1) {
		struct route_target t = { .ruri = uris[0] };
		*causep = CAUSE_TEMP_FAILURE;
		rv = route_factory_alloc(r, ROUTE_LEG_SIP, &leg, &t);
	} else {
		rv = xfer_leg_pots(r, &si, &leg, causep);
	}
	if (rv)
		return rv;
	if ((rv = leg->ops->setup(leg, &si, causep))) {
		leg->ops->destroy(leg);
		return rv;
	}
	snprintf(leg->party, sizeof(leg->party), "%s", si.called);
	if ((rv = call_transfer(c, transferor, leg))) {
		leg->call = NULL;
		leg->ops->release(leg, CAUSE_NORMAL_CLEARING);	/* reports gone; destroyed then */
		return err_with(rv, causep, CAUSE_USER_BUSY);
	}
	LOGI(LSS_BRIDGE, "%s transfer target %s -> %s, Referred-By %s", call_describe(c), si.called,
	     leg->ops->describe(leg), si.referred_by);
	return 0;
}

/* A switch that takes a transfer request (2BCT, RLT, ECT) connects the
 * calls by clearing both towards us, within a round trip or two. libpri
 * reports no refusal of a 2BCT (its FACILITY asks for no answer), so a
 * switch that said nothing and cleared nothing in this long did not do it,
 * and sipgw joins the calls itself, as it does when the switch has no such
 * service. */
#define XFER_NET_WAIT_MS 4000

struct xfer_watch {
	struct loop_timer *t;
	struct call *c1, *c2;
	struct leg *transferor, *replaces;
};

static void xfer_watch_free(struct xfer_watch *xw)
{
	struct xfer_watch **p;

	if ((p = route_call_xfer_watch(xw->c1)) && *p == xw)
		*p = NULL;
	if ((p = route_call_xfer_watch(xw->c2)) && *p == xw)
		*p = NULL;
	loop_timer_free(xw->t);
	free(xw);
}

void route_xfer_watch_end(struct xfer_watch *xw, struct call *c)
{
	if (xw)
		xfer_watch_free(xw);	/* the switch connected them (or a party left) */
}

static void xfer_watch_cb(void *arg)
{
	struct xfer_watch *xw = arg;
	struct call *c1 = xw->c1, *c2 = xw->c2;
	struct leg *transferor = xw->transferor, *replaces = xw->replaces;

	xfer_watch_free(xw);
	LOGN(LSS_BRIDGE, "%s and call %u: the switch did not connect them in %d ms: joining them in sipgw",
	     call_describe(c1), call_id(c2), XFER_NET_WAIT_MS);
	if (call_join(c1, transferor, c2, replaces))
		LOGN(LSS_BRIDGE, "%s could not be joined with call %u any more", call_describe(c1), call_id(c2));
}

/* Watch the two calls of a transfer handed to the switch; when that cannot
 * be done, the calls are joined in sipgw at once. */
static int xfer_watch(struct route *r, struct call *c1, struct leg *transferor, struct call *c2,
		      struct leg *replaces)
{
	struct xfer_watch **p1 = route_call_xfer_watch(c1), **p2 = route_call_xfer_watch(c2);
	struct xfer_watch *xw;

	if (!p1 || !p2 || *p1 || *p2 || !(xw = calloc(1, sizeof(*xw))))
		return -ENOMEM;
	*xw = (struct xfer_watch){ .c1 = c1, .c2 = c2, .transferor = transferor, .replaces = replaces };
	if (loop_timer_alloc(&xw->t, route_root(r), "network-transfer", xfer_watch_cb, xw)) {
		free(xw);
		return -ENOMEM;
	}
	*p1 = *p2 = xw;
	loop_timer_start(xw->t, XFER_NET_WAIT_MS);
	return 0;
}

int route_transfer(void *arg, struct leg *transferor, const struct leg_transfer *xi, int *causep)
{
	struct route *r = arg;
	struct call *c = transferor->call;
	int rv;

	*causep = CAUSE_CALL_REJECTED;
	if (!c)
		return err_with(-ENOENT, causep, CAUSE_TEMP_FAILURE);
	if (xi->replaces) {
		/* Attended (B-8): both calls are sipgw's already and both passed
		 * the door when they were made; nothing new reaches the PRI. */
		struct call *c2 = xi->replaces->call;
		struct leg *far1 = call_peer(c, transferor), *far2 = c2 ? call_peer(c2, xi->replaces) : NULL;

		/* Both far parties on the PRI: the switch connects them and frees
		 * both B-channels (2BCT, RLT, ECT); the calls end when it clears
		 * them. Else, or when it has no such service, sipgw joins them. */
		if (far1 && far2 && far1->ops->transfer_with && far1->ops->transfer_with(far1, far2) == 0) {
			LOGN(LSS_BRIDGE, "%s and call %u handed to the network's transfer", call_describe(c),
			     call_id(c2));
			if (xfer_watch(r, c, transferor, c2, xi->replaces))
				LOGW(LSS_BRIDGE, "%s: no watch on the network's transfer (no memory)",
				     call_describe(c));
			if (transferor->ops->xfer_status)
				transferor->ops->xfer_status(transferor, 200);
			return 0;
		}
		if (far2)	/* who A now talks to: the number C called or was called by */
			snprintf(far2->party, sizeof(far2->party), "%s", far2 == call_caller_leg(c2) ?
				 call_setup_info(c2)->calling : call_setup_info(c2)->called);
		if (!c2 || (rv = call_join(c, transferor, c2, xi->replaces)))
			return err_with(-EBUSY, causep, CAUSE_USER_BUSY);
		return 0;
	}
	if ((rv = xfer_door(r, xi, call_describe(c))))
		return err_with(rv, causep, CAUSE_CALL_REJECTED);	/* nothing placed */
	return xfer_blind(r, c, transferor, xi, causep);
}

/* RFC 3891 3: an INVITE with Replaces, past the door, takes the named
 * leg's place in its call; else 481-like refusal (no such dialog). */
int route_replace(struct route *r, struct leg *a, const struct leg_setup_info *si, int *causep)
{
	snprintf(a->party, sizeof(a->party), "%s", si->calling);
	if (call_replace_leg(si->replaces, a))
		return err_with(-EBUSY, causep, CAUSE_USER_BUSY);
	return 0;
}
