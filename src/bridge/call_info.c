/* sipgw - the calls as a reader sees them: iteration, lookup by id, the
 * state's name and the call's times, for sipgwctl (show calls, clear call),
 * the CDR and the metrics. Nothing here changes a call.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "bridge/call_internal.h"

#include <stdlib.h>

static int by_id(const void *x, const void *y)
{
	unsigned a = *(const unsigned *)x, b = *(const unsigned *)y;

	return a < b ? -1 : a > b;
}

unsigned bridge_foreach_call(struct bridge *br, bridge_call_h *h, void *arg)
{
	unsigned n = 0, done = 0, *ids;
	struct call *c;

	if (!br->n_calls || !(ids = malloc(br->n_calls * sizeof(*ids))))
		return 0;
	LIST_FOREACH(c, &br->calls, entry)
		if (n < br->n_calls)
			ids[n++] = c->id;
	qsort(ids, n, sizeof(*ids), by_id);
	/* found again by id before each call of h: h may clear (and so free)
	 * the call it is given */
	for (unsigned i = 0; i < n; i++)
		if ((c = bridge_call_find(br, ids[i]))) {
			h(arg, c);
			done++;
		}
	free(ids);
	return done;
}

struct call *bridge_call_find(struct bridge *br, unsigned id)
{
	struct call *c;

	LIST_FOREACH(c, &br->calls, entry)
		if (c->id == id)
			return c;
	return NULL;
}

const char *call_state_name(const struct call *c)
{
	return fsm_state_name(c->fi.def, c->fi.state);
}

struct leg *call_called_leg(const struct call *c) { return c->b; }
const struct leg *call_cleared_by(const struct call *c) { return c->cleared_by; }

void call_times(const struct call *c, struct call_times *t)
{
	t->setup_us = c->si.t_setup_us;
	t->alert_us = c->t_alert_us;
	t->answer_us = c->t_answer_us;
}
