/* sipgw - routing's checks of a loaded configuration, and emergency numbers.
 * Config reads and validates each dial-peer and emergency pattern on its own;
 * whether a number has somewhere to go takes matching, which is routing's.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "route/route_check.h"

#include <errno.h>
#include <stdio.h>

#include "route/dialpeer.h"

const struct cfg_emergency_number *route_emergency(const struct gw_config *cfg, const char *number)
{
	for (int i = 0; i < cfg->emergency.n; i++)
		if (dp_pattern_match(cfg->emergency.nums[i].pattern, number) > 0)
			return &cfg->emergency.nums[i];
	return NULL;
}

int route_config_check(const struct gw_config *cfg, char *err, size_t errlen)
{
	for (int i = 0; i < cfg->emergency.n; i++) {
		const struct cfg_emergency_number *en = &cfg->emergency.nums[i];
		const struct dial_peer *out[1];
		char ex[DP_NUMBER_MAX + 1], called[DP_NUMBER_MAX + 33];

		/* An emergency number with nowhere to go is a configuration error,
		 * not something to find out during an emergency. Wildcards too: the
		 * shortest number the pattern takes must reach a pots dial-peer that
		 * can dial it. */
		if (en->extension[0])
			continue;
		if (dp_pattern_example(en->pattern, ex, sizeof(ex)) ||
		    !dp_lookup(cfg->peers, cfg->n_peers, ex, DP_POTS, out, 1) ||
		    dp_pots_number(out[0], ex, called, sizeof(called))) {
			snprintf(err, errlen, "%s:%d: emergency number %s: no pots dial-peer matches it and "
				 "no 'extension' is set", cfg->file, en->line, en->pattern);
			return -EINVAL;
		}
	}
	return 0;
}

int route_config_load(struct gw_config *cfg, const char *path, char *err, size_t errlen)
{
	int rc = config_load(cfg, path, err, errlen);

	if (rc)
		return rc;
	rc = route_config_check(cfg, err, errlen);
	if (rc)
		config_free(cfg);
	return rc;
}
