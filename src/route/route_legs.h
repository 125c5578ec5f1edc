/* sipgw - the real leg factories routing places calls through: PRI legs on
 * the gateway's spans, SIP legs on its user agent, and the registrar's
 * contacts. (Unit tests give routing fakes instead.)
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_ROUTE_ROUTE_LEGS_H
#define SIPGW_ROUTE_ROUTE_LEGS_H

#include "core/config.h"
#include "route/route.h"

struct span;
struct sip_ua;

struct route_legs {
	struct span *spans[CFG_MAX_SPANS];	/* the spans pots dial-peers name (or their trunk group) */
	int n_spans;
	unsigned char retired[CFG_MAX_SPANS];	/* spans[] entries a reload took out of the config */
	int n_retired;
	struct sip_ua *ua;
};

/** A span calls may go out on. 0 or -ENOSPC. */
int route_legs_add_span(struct route_legs *rl, struct span *sp);
/** A reload took sp out of the config (on) or put it back (off): a retired
 * span takes no new call out and does not count as available. */
void route_legs_retire_span(struct route_legs *rl, const struct span *sp, int on);
/** Whether spans[i] is retired. */
int route_legs_retired(const struct route_legs *rl, int i);
/** route_leg_alloc_h for ROUTE_LEG_PRI (arg: struct route_legs). */
int route_legs_pri(void *arg, struct leg **legp, const struct route_target *t);
/** route_leg_alloc_h for ROUTE_LEG_SIP (arg: struct route_legs). */
int route_legs_sip(void *arg, struct leg **legp, const struct route_target *t);
/** sip_available_h (arg: struct route_legs): SIP_AVAIL_YES while some span
 * can take a call (or there is no span: SIP to SIP only), else
 * SIP_AVAIL_SPANS_DOWN when no D-channel is up, SIP_AVAIL_BUSY. */
int route_legs_available(void *arg);
/** route_contacts_h on the registrar (arg: struct registrar). */
int route_legs_contacts(void *arg, const char *user, char uris[][ROUTE_URI_LEN], int max);

#endif
