/* sipgw - configuration generations: each successful load of the file
 * (start, reload) is one generation, refcounted. The gateway holds the
 * current one; every call holds the one it started with until it ends, so a
 * reload changes what new calls see and never what a call up is using (its
 * dial-peers, cause overrides, trunk groups). An old generation is freed
 * when its last call lets go. SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_CORE_CFG_GEN_H
#define SIPGW_CORE_CFG_GEN_H

#include "core/config.h"

struct cfg_gen {
	struct gw_config cfg;
	unsigned id;		/* 1: the file as read at start; +1 per reload taken */
	unsigned refs;
};

/** A generation of id taking over *cfg (moved: *cfg is left empty, nothing
 * to free). One reference, the caller's. 0 or -ENOMEM (then *cfg is untouched). */
int cfg_gen_alloc(struct cfg_gen **gp, struct gw_config *cfg, unsigned id);
/** One more holder; returns g. Accepts NULL. */
struct cfg_gen *cfg_gen_ref(struct cfg_gen *g);
/** A holder lets go; the last frees the generation (config_free). Accepts NULL. */
void cfg_gen_unref(struct cfg_gen *g);
/** Generations alive in this process (a reload's log line, the unit tests). */
unsigned cfg_gen_live(void);

#endif
