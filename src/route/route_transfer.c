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
#include <string.h>

#include "bridge/bridge.h"
#include "bridge/cause.h"
#include "core/config.h"
#include "core/err.h"
#include "core/log.h"
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
