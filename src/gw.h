/* sipgw - the gateway's parts, as the composition root (sipgw.c) wires them,
 * and what is made of a config for them: the one place both the start and a
 * reload (reload.c) build their parameters from.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_GW_H
#define SIPGW_GW_H

#include <sofia-sip/su_wait.h>

#include "core/cfg_gen.h"
#include "core/config.h"
#include "route/route_legs.h"

struct route;
struct bridge;
struct sip_ua;
struct sip_ua_params;
struct registrar;
struct peer_health;
struct sip_keepalive;
struct span;
struct moh;
struct loop_fd;
struct loop_timer;

struct gw {
	struct cfg_gen *gen;		/* the current config generation (our reference) */
	int level_forced;		/* -l given: a reload leaves the log level alone */
	su_root_t *root;
	struct route *route;
	struct route_legs legs;		/* what routing places calls on */
	struct bridge *br;
	struct sip_ua *ua;
	struct registrar *reg;
	struct peer_health *health;	/* voip targets kept alive by OPTIONS (routing reads it) */
	struct sip_keepalive *ka;	/* ... and their pingers (SIP side) */
	struct span *spans[CFG_MAX_SPANS];	/* every span started, removed ones too (busied out) */
	int n_spans;
	struct moh *moh;		/* rtp.moh_file, or NULL */
	int sfd;
	struct loop_fd *sig_w;
	struct loop_timer *grace, *bound;
	enum { GW_RUNNING, GW_CLEARING, GW_STOPPING_SIP } state;	/* after SIGTERM */
};

/** The current config. */
static inline const struct gw_config *gw_cfg(const struct gw *gw) { return &gw->gen->cfg; }
/** The SIP user agent's parameters from cfg (handlers and args from gw). */
void gw_sip_params(struct gw *gw, const struct gw_config *cfg, struct sip_ua_params *up);
/** Start the span of cfg's entry cs and give it to routing. 0 or -errno. */
int gw_span_start(struct gw *gw, const struct gw_config *cfg, const struct cfg_span *cs);
/** One pinger per target of routing's peer health (a busied-out one at its
 * down interval). 0 or -errno. */
int gw_keepalive_start(struct gw *gw);

#endif
