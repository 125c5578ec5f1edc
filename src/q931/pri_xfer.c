/* sipgw - a transfer between two PRI calls handed to the network: when a
 * phone transfers a PBX caller to a PBX number (both of its calls on the
 * same span), the switch can connect the two calls itself and free both
 * B-channels. libpri's pri_channel_bridge() sends what the switch type
 * has: NI-2, 5ESS, 4ESS: two B-channel transfer (2BCT, FACILITY with the
 * InitiateTransfer invoke, GR-2865); DMS-100: release link trunk (RLT,
 * needs the network's RLT call id from CONNECT); Q.SIG: ECT by join
 * (ISO 13869); EuroISDN: explicit ECT (ETSI EN 300 369, one call held).
 * NI-1 has none. When libpri cannot ask, the caller bridges the calls in
 * sipgw instead. SPDX-License-Identifier: GPL-2.0-only */
#include "q931/pri_internal.h"

#include <errno.h>
#include <stdio.h>

#include "core/log.h"

int pri_leg_transfer_with(struct leg *leg, struct leg *other)
{
	struct pri_leg *a = (struct pri_leg *)leg, *b = (struct pri_leg *)other;
	char da[64];

	if (other->ops != leg->ops)
		return -ENOTSUP;	/* the other party is not on a PRI */
	snprintf(da, sizeof(da), "%s", leg->ops->describe(leg));
	if (!a->qc || !b->qc || a->span->pri != b->span->pri) {
		LOGI(LSS_Q931, "%s, %s: not on one D-channel, no network transfer", da, other->ops->describe(other));
		return -EXDEV;
	}
	if (pri_channel_bridge(a->qc, b->qc)) {
		LOGN(LSS_Q931, "%s, %s: switch type %s: no network transfer for these calls", da,
		     other->ops->describe(other), a->span->cfg->switch_name);
		return -ENOTSUP;
	}
	LOGN(LSS_Q931, "%s, %s: transfer asked of the switch (%s: %s), both B-channels to be freed", da,
	     other->ops->describe(other), a->span->cfg->switch_name,
	     a->span->cfg->switchtype == SWITCH_DMS100 ? "RLT" :
	     a->span->cfg->switchtype == SWITCH_QSIG || a->span->cfg->switchtype == SWITCH_EUROISDN_E1 ||
	     a->span->cfg->switchtype == SWITCH_EUROISDN_T1 ? "ECT" : "2BCT");
	return 0;
}

/* After a transfer the PBX's party talks to number. libpri signals the new
 * connected party where the switch type has a way: ETSI EctInform (EN 300
 * 369, FACILITY), Q.SIG CallTransferComplete (ISO 13869); NI-2 and the
 * other North American types have none on an active call, so it is logged. */
void pri_leg_peer_changed(struct leg *leg, const char *number)
{
	struct pri_leg *pl = (struct pri_leg *)leg;
	struct pri_party_connected_line cl = { 0 };
	enum span_switch sw = pl->span->cfg->switchtype;
	int told = sw == SWITCH_QSIG || sw == SWITCH_EUROISDN_E1 || sw == SWITCH_EUROISDN_T1;

	if (!pl->qc)
		return;
	cl.id.number.valid = 1;
	cl.id.number.presentation = PRI_PRES_ALLOWED | PRI_PRES_USER_NUMBER_UNSCREENED;
	cl.id.number.plan = PRI_UNKNOWN;
	snprintf(cl.id.number.str, sizeof(cl.id.number.str), "%s", number);
	if (pri_connected_line_update(pl->span->pri, pl->qc, &cl))
		told = 0;
	LOGN(LSS_Q931, "%s connected party now %s (%s)", leg->ops->describe(leg), number,
	     told ? "connected line update sent" : "switch type has no update for an active call: logged only");
}
