/* sipgw - the bridge: calls of two legs, routed by dial-peers.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_BRIDGE_BRIDGE_H
#define SIPGW_BRIDGE_BRIDGE_H

#include "bridge/leg.h"

struct su_root_s;
struct gw_config;
struct sip_ua;
struct bridge;

struct bridge_params {
	const struct gw_config *cfg;
	struct su_root_s *root;
};

int bridge_alloc(struct bridge **brp, const struct bridge_params *p);
void bridge_free(struct bridge *br);
struct span;
void bridge_set_sip(struct bridge *br, struct sip_ua *ua);
struct registrar;
/** Registered phones calls may reach (NULL: none). */
void bridge_set_registrar(struct bridge *br, struct registrar *reg);
/** Spans calls may go out on (pots dial-peers name them or their trunk group). */
int bridge_add_span(struct bridge *br, struct span *sp);
/** An INVITE arrived (sip_incoming_h): trusted sources only, pots dial-peers. */
int bridge_incoming_sip(void *arg, struct leg *leg, const struct leg_setup_info *si, int *causep);
/** A call arrived on a PRI span (span_incoming_h). */
int bridge_incoming_pri(void *arg, struct leg *leg, const struct leg_setup_info *si, int *causep);
/** Clear every call with cause 16 (SIGTERM); idle_h runs when none is left. */
void bridge_shutdown(struct bridge *br, void (*idle_h)(void *arg), void *arg);
/** Destroy every call and its legs at once, with no protocol exchange: the
 * shutdown grace time is over and the far ends did not finish clearing. */
void bridge_drop_calls(struct bridge *br);
unsigned bridge_call_count(const struct bridge *br);

#endif
