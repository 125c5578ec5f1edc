/* sipgw - the real leg factories. SPDX-License-Identifier: GPL-2.0-only */
#include "route/route_legs.h"

#include <errno.h>
#include <string.h>

#include "q931/span.h"
#include "sip/registrar.h"
#include "sip/sip_caps.h"
#include "sip/sip_ua.h"

_Static_assert(ROUTE_URI_LEN == REG_URI_LEN, "a contact must fit routing's buffer");

int route_legs_add_span(struct route_legs *rl, struct span *sp)
{
	if (rl->n_spans == CFG_MAX_SPANS)
		return -ENOSPC;
	rl->spans[rl->n_spans++] = sp;
	return 0;
}

void route_legs_retire_span(struct route_legs *rl, const struct span *sp, int on)
{
	for (int i = 0; i < rl->n_spans; i++)
		if (rl->spans[i] == sp && rl->retired[i] != !!on) {
			rl->retired[i] = !!on;
			rl->n_retired += on ? 1 : -1;
		}
}

int route_legs_retired(const struct route_legs *rl, int i)
{
	return i >= 0 && i < rl->n_spans && rl->retired[i];
}

int route_legs_pri(void *arg, struct leg **legp, const struct route_target *t)
{
	struct route_legs *rl = arg;
	struct pri_leg_params p = { .called = t->number, .plan = t->plan, .calling = t->calling,
				    .calling_plan = t->calling_plan, .redirecting = t->redirecting,
				    .redirecting_plan = t->redirecting_plan };

	for (int i = 0; i < rl->n_spans; i++)
		if (!rl->retired[i] && !strcmp(span_name(rl->spans[i]), t->span))
			return pri_leg_alloc_outgoing(legp, rl->spans[i], &p);
	return -ENOENT;
}

int route_legs_sip(void *arg, struct leg **legp, const struct route_target *t)
{
	struct route_legs *rl = arg;
	struct sip_leg_params p = { .host = t->host, .port = t->port, .ruri = t->ruri,
				    .dial_peer = t->dial_peer, .assert_identity = t->assert_identity,
				    .dtmf_relay = t->dtmf_relay, .codecs = t->codecs, .transport = t->transport,
				    .srtp = t->srtp, .delayed_offer = t->delayed_offer };

	if (!rl->ua)
		return -ENOENT;
	return sip_leg_alloc_outgoing(legp, rl->ua, &p);
}

int route_legs_available(void *arg)
{
	struct route_legs *rl = arg;
	int any_up = 0;

	for (int i = 0; i < rl->n_spans; i++) {
		int n = rl->retired[i] ? -ENETDOWN : span_callable_chans(rl->spans[i]);

		if (n > 0)
			return SIP_AVAIL_YES;
		any_up |= n == 0;
	}
	if (!rl->n_spans || rl->n_retired == rl->n_spans)
		return SIP_AVAIL_YES;	/* SIP to SIP only */
	return any_up ? SIP_AVAIL_BUSY : SIP_AVAIL_SPANS_DOWN;
}

int route_legs_contacts(void *arg, const char *user, char uris[][ROUTE_URI_LEN], int max)
{
	return registrar_contacts(arg, user, uris, max);
}
