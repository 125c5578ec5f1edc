/* sipgw - what route.c and route_forward.c share: a call's routing state
 * (struct route_call) and the steps each takes of the other's.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_ROUTE_ROUTE_INTERNAL_H
#define SIPGW_ROUTE_ROUTE_INTERNAL_H

#include "route/route.h"

#include "bridge/bridge.h"
#include "core/cfg_gen.h"
#include "core/config.h"
#include "core/loop.h"
#include "route/dialpeer.h"
#include "route/peer_health.h"
#include "route/route_redirect.h"
#include "route/route_transfer.h"

#define ROUTE_MAX_CANDS 8
#define ROUTE_MAX_FORKS 9	/* registered contacts of one user rung at once (b + 8 forks) */
#define ROUTE_GLARE_RETRIES 1	/* Q.931 5.7: tries again on the same dial-peer after glare */
#define ROUTE_MAX_PLACED 16	/* called legs whose dial-peer routing remembers (cause overrides) */

struct route {
	const struct gw_config *cfg;	/* what new calls are routed by: gen's, or route_params.cfg */
	struct cfg_gen *gen;		/* the current generation, a reference of ours (NULL: fixed cfg) */
	struct bridge *br;
	struct route_factory legs[ROUTE_LEG__COUNT];
	route_contacts_h *contacts_h;
	void *contacts_arg;
	struct su_root_s *root;
	const struct peer_health *health;
	struct route_fwd *fwd;		/* the users' forwarding (route_redirect.c) */
	unsigned n_routed;
	unsigned n_calls;		/* calls with routing data now (route_call_start .. call_ended) */
	float *pdd_ms;			/* post-dial delays (SETUP in -> INVITE out), for the exit summary */
	size_t n_pdd, cap_pdd;
};

/* What routing keeps for one call: its dial-peers and how far it got. */
struct route_call {
	struct route *r;
	struct call *c;
	/* The config the call started with, to its end: cands, the placed
	 * dial-peers' cause overrides and trunk groups point into it, and a
	 * reload must not move them under a call (cfg_gen.h). */
	const struct gw_config *cfg;
	struct cfg_gen *gen;		/* a reference of the call's (NULL: fixed cfg) */
	enum dp_type towards;		/* DP_POTS: to the PSTN (SIP -> PRI); DP_VOIP: to SIP */
	const struct dial_peer *cands[ROUTE_MAX_CANDS];
	size_t n_cands, next_cand;
	char ring_user[LEG_NUM];	/* a registered user to ring first ("" = none, or tried) */
	int last_cause;			/* why the last try could not be placed */
	int glare_retries;		/* tries again after the network took our B-channel */
	int fork_cause;			/* RFC 3261 16.7: the best answer of forks that failed (0 = none) */
	/* Cause overrides: the caller's leg, and the dial-peer each called leg
	 * was placed for (tag, 0 = a registered phone), newest last. */
	struct leg *a;
	struct { const struct leg *leg; int tag; } placed[ROUTE_MAX_PLACED];
	unsigned n_placed;
	struct route_redir *rd;		/* once redirected or forwarded: the targets (NULL = never) */
	struct loop_timer *cfna;	/* forwarding on no answer: the forwarding user's own ring timer */
	char cfna_user[LEG_NUM];
	struct xfer_watch *xw;		/* a transfer handed to the switch (route_transfer.c) */
};

/* route.c */
const struct leg_setup_info *route_si(const struct route_call *rc);
int route_contacts(struct route *r, const char *user, char uris[][ROUTE_URI_LEN], int max);
/** The next try: a registered phone first (once), then the next matching dial-peer; 0 when one is on its way. */
int route_try_next(struct route_call *rc);
const struct dial_peer *route_placed_peer(const struct route_call *rc, const struct leg *leg);
int route_leg_failure(struct route_call *rc, struct call *c, struct leg *leg, int cause, int status, int *causep);

/* route_forward.c: Cisco call forwarding of registered users and 3xx taken (B-10..B-12) */
/* A user that forwards every call is routed as a user even when no phone
 * of it is registered (its forward is the route). */
int route_forwards_all(const struct route *r, const char *user);
/* The targets in turn until one is on its way: 0, else -ENOENT. */
int route_redirect_try(struct route_call *rc);
/* Forwarding unconditional (B-10): -ENOTSUP when user does not forward. */
int route_forward_user(struct route_call *rc, const char *user);
/* Forwarding on busy (B-11): the user whose phones were busy. */
int route_forward_busy(struct route_call *rc);
void route_cfna_arm(struct route_call *rc, const char *user);
/* A 3xx (RFC 3261 8.1.3.4, 16.7 step 4): its Contacts join the call's
 * targets in q order, with the rights of who redirected: a registered
 * phone's user, or the dial-peer's peer when it is of the trust domain. */
void route_take_3xx(struct route_call *rc, struct leg *leg, int status);

#endif
