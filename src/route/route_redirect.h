/* sipgw - routing's redirections (figures B-10, B-11, B-12): call
 * forwarding per registrar user (unconditional, busy, no answer), the
 * redirect-server role (302/300 instead of relaying, per user or per
 * dial-peer) and following the 3xx a called leg got. A target is a number,
 * routed as if dialled through the dial-peers and the toll-fraud door with
 * the rights of whoever redirected (the forwarding user, the redirecting
 * peer), never the far end's word on where to send the call.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_ROUTE_ROUTE_REDIRECT_H
#define SIPGW_ROUTE_ROUTE_REDIRECT_H

#include "bridge/leg.h"

struct gw_config;
struct cfg_user;

/* ---- The users' forwarding: from the config, replaced at run time by a
 * re-read of the file (SIGUSR1, route_forward_reload). */
struct route_fwd;

int route_fwd_alloc(struct route_fwd **fp, const struct gw_config *cfg);
void route_fwd_free(struct route_fwd *f);
/** Take the forwarding keys (forward_*, redirect, pstn) of cfg's users; logs each
 * user whose forwarding changed. */
void route_fwd_reload(struct route_fwd *f, const struct gw_config *cfg);
/** user's entry in the config, NULL when it names none. */
const struct cfg_user *route_fwd_user(const struct route_fwd *f, const char *user);
/** May user reach the PSTN (its pstn key; a user the config does not name:
 * yes, as any authenticated user always could). */
int route_fwd_may_pstn(const struct route_fwd *f, const char *user);

/* ---- Redirect server (RFC 3261 8.3, 21.3): the Contacts to answer with. */

/** For user u: its forward_all numbers as sip:N@host:port;user=phone (q 1.0,
 * 0.9, ... in order), else its n_reg registered contacts. 0, or -ENOENT none. */
int route_redir_user_contacts(const struct cfg_user *u, const char *host, int port,
			      char reg[][LEG_URI], int n_reg, struct leg_contacts *lc);
/** "2003, 95551234" as targets (bare numbers, in that order). 0, or -ENOENT none. */
int route_redir_list(const char *numbers, struct leg_contacts *lc);
/** An incoming leg answers with lc (302 for one, 300 for several) and cause
 * 23; returns -EXDEV with *causep set (route_incoming_sip's refusal path). */
int route_redir_answer(struct leg *a, const struct leg_contacts *lc, const char *why, int *causep);

/* ---- One call's redirections: the targets still to try, best first, each
 * with who redirected to it and that party's rights. */
#define ROUTE_REDIR_QUEUE 16
#define ROUTE_REDIR_SEEN 16

struct route_redir_target {
	char number[LEG_NUM];
	char by[LEG_NUM];		/* redirected from (Diversion, Q.931 redirecting number) */
	enum leg_redirect why;
	int may_pstn;			/* by's right to reach the PSTN */
};

struct route_redir {
	struct leg_setup_info si;	/* the try's setup: called = the target, redirecting = by */
	struct route_redir_target cur;	/* the target being tried */
	struct route_redir_target queued[ROUTE_REDIR_QUEUE];
	int n_queued;
	char seen[ROUTE_REDIR_SEEN][LEG_NUM];	/* numbers this call was routed to (loops) */
	int n_seen;
	int hops, targets;		/* redirections taken, targets tried */
	int refused;			/* a target the door refused, a loop or a limit */
};

/** Start with the number the call was first routed to (seen, for loops). */
void route_redir_init(struct route_redir *rd, const struct leg_setup_info *si);
/** by redirected the call to lc's targets (URIs: their user part is the
 * number; or bare numbers) for why: they go before the targets still
 * waiting. 0, or -ELOOP past max_hops (logged, nothing queued). */
int route_redir_push(struct route_redir *rd, const char *what, const struct leg_contacts *lc, const char *by,
		     enum leg_redirect why, int may_pstn, int max_hops);
/** Take the next target not tried yet into rd->cur and rd->si (from the
 * call's setup orig); 0, or -ENOENT when none is left or max_targets were tried. */
int route_redir_next(struct route_redir *rd, const struct leg_setup_info *orig, int max_targets);
/** The number in a Contact URI (its user part, parameters off) or a bare
 * number; 0 or -EINVAL (none, or characters no number or user name has). */
int route_redir_number(const char *uri, char *out, size_t outlen);

#endif
