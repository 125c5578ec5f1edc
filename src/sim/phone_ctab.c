/* sipgw - phone simulator: finding calls (by id, handle, the current one) and
 * sending one call to a new target.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "sim/phone_pcall.h"

#include <errno.h>
#include <stdio.h>

int pcall_retarget(struct pcall *c, const char *uri)
{
	if (c->nh) {
		nua_handle_bind(c->nh, NULL);
		nua_handle_destroy(c->nh);
		c->nh = NULL;
	}
	su_timer_reset(c->t_cancel);
	c->route = PROUTE_DIRECT;
	c->tries = c->challenges = 0;
	c->pt = c->te_pt = -1;		/* forget an early answer from the last try */
	c->codec = NULL;
	if (snprintf(c->target, sizeof(c->target), "%s", uri) >= (int)sizeof(c->target) ||
	    pcall_set_state(c, PC_CALLING) < 0)
		return -EINVAL;
	return pcall_invite(c);
}

int pcall_user(struct pcall *c, enum pcall_event ev)
{
	return fsm_dispatch(&c->fi, ev, NULL);
}

struct pcall *pcall_by_id(struct phone *ph, int id)
{
	for (struct pcall *c = ph->calls; c; c = c->next)
		if (c->id == id && c->fi.state != PC_ENDED)
			return c;
	return NULL;
}

struct pcall *pcall_by_handle(struct phone *ph, nua_handle_t *nh)
{
	for (struct pcall *c = ph->calls; c; c = c->next)
		if (c->nh == nh)
			return c;
	return NULL;
}

int pcall_is_talking(const struct pcall *c)
{
	return c->fi.state >= PC_ACTIVE && c->fi.state <= PC_REMOTE_HELD;
}

struct pcall *pcall_current(struct phone *ph)
{
	struct pcall *c = pcall_by_id(ph, ph->cur_call);

	if (c && c->fi.state != PC_RELEASING)
		return c;
	/* the current one is gone: the newest that still talks */
	for (c = ph->calls; c; c = c->next)
		if (pcall_is_talking(c))
			return c;
	return NULL;
}
