/* sipgw - who is calling and whom, across the wall: Q.931 type of number
 * <-> E.164 with '+', and whose identity a SIP peer may be told or believed
 * (RFC 3325 trust domain, RFC 3323 privacy). Routing's decisions, not the
 * protocols'. SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_ROUTE_IDENTITY_H
#define SIPGW_ROUTE_IDENTITY_H

#include <stddef.h>

#include "bridge/leg.h"

struct cfg_span;

/** PRI -> SIP: the SETUP's numbers (calling, called, redirecting) in E.164
 * where their type says so: an
 * international number gets '+', a national one '+' and the span's country
 * code (when it has one); others stay as they are. */
void route_identity_from_pri(const struct cfg_span *span, struct leg_setup_info *si);
/** SIP -> PRI: a '+' number as digits and the Q.931 plan to send them with:
 * national (the country code taken off) when it is the span's country,
 * else international; a number without '+' goes as it is with dflt_plan.
 * Returns the plan (type of number | numbering plan). */
int route_number_to_pri(const struct cfg_span *span, const char *number, char *out, size_t outlen,
			int dflt_plan);

#endif
