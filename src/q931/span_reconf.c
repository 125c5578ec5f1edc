/* sipgw - a reload on a span that stays (span.h span_reconfigure): the keys
 * that new calls may take at once. The D-channel's and the line's keys
 * (core/cfg_diff.c's span rows) keep their values until a restart.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "q931/span.h"

#include <stdio.h>

#include "core/log.h"
#include "q931/pri_internal.h"

void span_reconfigure(struct span *sp, const struct cfg_span *nc, unsigned t302_ms)
{
	struct cfg_span *c = &sp->own_cfg;

	/* hunting (Cisco isdn bchan-number-order), read at each SETUP out */
	c->hunt = nc->hunt;
	/* numbers and media: read when a call is set up or its media starts */
	snprintf(c->country_code, sizeof(c->country_code), "%s", nc->country_code);
	snprintf(c->tone_zone, sizeof(c->tone_zone), "%s", nc->tone_zone);
	c->dtmf_to_pbx = nc->dtmf_to_pbx;
	c->echo_cancel = nc->echo_cancel;
	c->echo_tail_ms = nc->echo_tail_ms;
	c->inband_ringback = nc->inband_ringback;
	/* Q.931 T302: armed per call in overlap receiving */
	sp->pl_timer_ms[PL_T_T302] = t302_ms;
	LOGI(LSS_Q931, "span %s: reloaded (hunting, tones, echo canceller, DTMF, T302 %u ms)", c->name, t302_ms);
}

const struct cfg_span *span_config(const struct span *sp) { return sp->cfg; }

int span_calls(const struct span *sp)
{
	const struct pri_leg *pl;
	int n = 0;

	LIST_FOREACH(pl, &sp->legs, entry)
		n++;
	return n;
}
