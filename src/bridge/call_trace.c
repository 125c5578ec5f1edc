/* sipgw - a call's legs told to its ladder (core/ladder.h): what each leg
 * says about itself (leg_ops.status) is how the ladder knows the messages
 * of that leg from the wire (PRI: span and B-channel; SIP: Call-ID).
 * SPDX-License-Identifier: GPL-2.0-only */
#include "bridge/call_internal.h"

#include <stdio.h>
#include <string.h>

#include "core/ladder.h"

#define TRACE_LEGS (2 + CALL_MAX_FORKS + CALL_MAX_DYING + 1)

static int leg_key(struct leg *leg, struct leg_status *st, struct ladder_key *k)
{
	if (!leg || !leg->ops->status)
		return 0;
	memset(st, 0, sizeof(*st));
	leg->ops->status(leg, st);
	if (!strcmp(leg->ops->kind, "pri")) {
		*k = (struct ladder_key){ .side = LADDER_PRI, .span = st->span, .chan = st->chan };
		return st->span[0] && st->chan > 0;
	}
	*k = (struct ladder_key){ .side = LADDER_SIP, .call_id = st->call_id };
	return st->call_id[0] != 0;
}

void call_trace_update(struct call *c)
{
	struct leg *legs[TRACE_LEGS] = { c->a, c->b, c->xfer };
	struct leg_status st[TRACE_LEGS];
	struct ladder_key keys[TRACE_LEGS];
	char title[256];
	int n = 0, l = 3;

	if (!c->br->ladder)
		return;
	memcpy(legs + l, c->forks, sizeof(c->forks));
	l += CALL_MAX_FORKS;
	memcpy(legs + l, c->dying, sizeof(c->dying));
	l += CALL_MAX_DYING;
	for (int i = 0; i < l; i++)
		if (leg_key(legs[i], &st[n], &keys[n]))
			n++;
	snprintf(title, sizeof(title), "call %u: %s -> %s", c->id, c->si.calling[0] ? c->si.calling : "(no number)",
		 c->si.called);
	ladder_call_seen(c->br->ladder, c->id, title, keys, n);
}

void call_trace_end(struct call *c)
{
	if (c->br->ladder)
		ladder_call_end(c->br->ladder, c->id);
}
