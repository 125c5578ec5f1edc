/* sipgw - what a PRI leg says about itself (leg_ops.status): for sipgwctl's
 * show calls, the CDR and the ladder. The state is the leg's Q.931 call
 * state by its spec name (Q.931 5.x: CALL_RECEIVED is U7, ACTIVE U10).
 * SPDX-License-Identifier: GPL-2.0-only */
#include "q931/pri_internal.h"

#include <stdio.h>

void pri_leg_status(struct leg *leg, struct leg_status *st)
{
	struct pri_leg *pl = (struct pri_leg *)leg;
	/* an incoming leg's numbers are its SETUP's; an outgoing one's as sent */
	int out = pl->called[0] != 0;
	const char *calling = out && pl->calling[0] ? pl->calling : pl->si.calling;

	snprintf(st->state, sizeof(st->state), "%s", fsm_state_name(pl->fi.def, pl->fi.state));
	snprintf(st->span, sizeof(st->span), "%s", pl->span->cfg->name);
	st->chan = pl->chan;
	if (pl->chan)
		snprintf(st->where, sizeof(st->where), "%s/%d", pl->span->cfg->name, pl->chan);
	else
		snprintf(st->where, sizeof(st->where), "%s/-", pl->span->cfg->name);
	snprintf(st->calling, sizeof(st->calling), "%s", calling);
	snprintf(st->called, sizeof(st->called), "%s", out ? pl->called : pl->si.called);
	/* a B-channel speaks the span's G.711 law; a data call carries bytes */
	snprintf(st->codec, sizeof(st->codec), "%s",
		 pl->med.clear_channel ? "clear-channel" : span_law(pl->span) == LAW_ALAW ? "PCMA" : "PCMU");
	st->cause = pl->cause;
}
