/* sipgw - the bridge: the calls of the gateway, made and ended by call.c,
 * kept here for a count, a drop at exit and a clearing at shutdown.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "bridge/call_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/call_stats.h"
#include "bridge/cause.h"
#include "core/log.h"

int bridge_alloc(struct bridge **brp, const struct bridge_params *p)
{
	struct bridge *br = calloc(1, sizeof(*br));

	if (!br)
		return -ENOMEM;
	br->root = p->root;
	br->timer_ms[CALL_T_RING_NO_ANSWER] = p->ring_no_answer_ms;
	br->route = p->route;
	br->route_arg = p->route_arg;
	br->cdr_h = p->cdr_h;
	br->cdr_arg = p->cdr_arg;
	br->ladder = p->ladder;
	LIST_INIT(&br->calls);
	*brp = br;
	return 0;
}

void bridge_drop_calls(struct bridge *br)
{
	struct call *c;

	if (br->n_calls)
		LOGW(LSS_BRIDGE, "dropping %u call(s) that did not clear in time", br->n_calls);
	while ((c = LIST_FIRST(&br->calls))) {
		struct leg *legs[3 + CALL_MAX_DYING + CALL_MAX_FORKS] = { c->a, c->b, c->xfer };
		memcpy(legs + 3, c->dying, sizeof(c->dying));
		memcpy(legs + 3 + CALL_MAX_DYING, c->forks, sizeof(c->forks));
		/* no call ends without its row: the legs' facts before they go */
		if (c->a)
			call_cdr_take(c, c->a, 0);
		if (c->b)
			call_cdr_take(c, c->b, 1);
		LOGI(LSS_BRIDGE, "%s ended, cause %d (%s), dropped at exit cdr %s", call_describe(c),
		     c->last_cause, cause_name(c->last_cause), c->cdr.uuid);
		for (size_t i = 0; i < sizeof(legs) / sizeof(legs[0]); i++)
			if (legs[i])
				legs[i]->ops->destroy(legs[i]);
		call_cdr_end(c);
		if (br->route && br->route->call_ended)
			br->route->call_ended(br->route_arg, c);
		fsm_inst_cleanup(&c->fi);
		LIST_REMOVE(c, entry);
		br->n_calls--;
		free(c);
	}
}

void bridge_free(struct bridge *br)
{
	if (!br)
		return;
	bridge_drop_calls(br);
	call_metrics_free(br->metrics);
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
	/* clearing can end a call (and free it) at once: walk safely */
	for (c = LIST_FIRST(&br->calls); c; c = tmp) {
		tmp = LIST_NEXT(c, entry);
		if (fsm_permits(&c->fi, CALL_EV_CLEAR))
			call_clear(c, CAUSE_NORMAL_CLEARING);
	}
}

unsigned bridge_call_count(const struct bridge *br) { return br->n_calls; }

void bridge_set_ring_no_answer(struct bridge *br, unsigned ms) { br->timer_ms[CALL_T_RING_NO_ANSWER] = ms; }

int bridge_metrics_add(struct bridge *br, struct stats *s)
{
	return br->metrics ? -EALREADY : call_metrics_alloc(&br->metrics, s, br);
}
