/* sipgw - what routing did or would do, read for sipgwctl: the dial-peer
 * a call's leg was placed for (show calls) and the hunting order of a
 * number (show dial-peer match, Cisco "show dialplan number"), worked out
 * with routing's own matcher. SPDX-License-Identifier: GPL-2.0-only */
#include "route/route_internal.h"

#include <stdio.h>
#include <string.h>

int route_call_dial_peer(const struct call *c, const struct leg *leg)
{
	const struct route_call *rc = call_route_data(c);

	for (unsigned k = rc ? rc->n_placed : 0; k > 0 && k + ROUTE_MAX_PLACED > rc->n_placed; k--)
		if (rc->placed[(k - 1) % ROUTE_MAX_PLACED].leg == leg)
			return rc->placed[(k - 1) % ROUTE_MAX_PLACED].tag;
	return 0;
}

size_t route_max_hunt(void) { return ROUTE_MAX_CANDS; }

size_t route_match(const struct route *r, const char *number, int type, struct route_match *out, size_t max)
{
	const struct dial_peer *cands[ROUTE_MAX_CANDS];
	size_t n = dp_lookup(r->cfg->peers, r->cfg->n_peers, number, type, cands,
			     max < ROUTE_MAX_CANDS ? max : ROUTE_MAX_CANDS);

	for (size_t i = 0; i < n; i++) {
		const struct dial_peer *dp = cands[i];
		struct route_match *m = &out[i];
		char host[128];
		int port;

		memset(m, 0, sizeof(*m));
		m->dp = dp;
		m->score = dp_pattern_match(dp->pattern, number);
		snprintf(m->number, sizeof(m->number), "%s", number);
		if (dp->type == DP_POTS) {
			if (dp_pots_number(dp, number, m->number, sizeof(m->number)))
				m->number[0] = 0;
			continue;
		}
		m->registrar = dp_targets_registrar(dp);
		if (!m->registrar && dp_session_target(dp, host, sizeof(host), &port) == 0)
			m->busied_out = peer_health_check(r->health, host, port, dp->transport) != 0;
	}
	return n;
}
