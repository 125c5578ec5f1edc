/* sipgw - configuration generations (cfg_gen.h). SPDX-License-Identifier: GPL-2.0-only */
#include "core/cfg_gen.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

/* Counted, not listed: one thread (the loop) takes and drops references. */
static unsigned n_live;

int cfg_gen_alloc(struct cfg_gen **gp, struct gw_config *cfg, unsigned id)
{
	struct cfg_gen *g = calloc(1, sizeof(*g));

	if (!g)
		return -ENOMEM;
	g->cfg = *cfg;
	memset(cfg, 0, sizeof(*cfg));	/* the peers array is the generation's now */
	g->id = id;
	g->refs = 1;
	n_live++;
	*gp = g;
	return 0;
}

struct cfg_gen *cfg_gen_ref(struct cfg_gen *g)
{
	if (g)
		g->refs++;
	return g;
}

void cfg_gen_unref(struct cfg_gen *g)
{
	if (!g)
		return;
	if (!g->refs) {
		LOGE(LSS_CORE, "config generation %u released once too often", g->id);
		return;
	}
	if (--g->refs)
		return;
	LOGI(LSS_CORE, "config generation %u freed (its last holder let go)", g->id);
	config_free(&g->cfg);
	free(g);
	n_live--;
}

unsigned cfg_gen_live(void)
{
	return n_live;
}
