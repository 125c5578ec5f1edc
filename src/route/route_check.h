/* sipgw - what routing checks of a loaded configuration before the start, and
 * the emergency numbers it routes first. SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_ROUTE_ROUTE_CHECK_H
#define SIPGW_ROUTE_ROUTE_CHECK_H

#include <stddef.h>

#include "core/config.h"

/** The emergency entry whose pattern matches number, or NULL. */
const struct cfg_emergency_number *route_emergency(const struct gw_config *cfg, const char *number);
/** Check that a loaded configuration routes: every emergency number without an
 * extension reaches a pots dial-peer that can dial it. 0, or -EINVAL with
 * "file:line: what" in err (the line of the emergency entry). */
int route_config_check(const struct gw_config *cfg, char *err, size_t errlen);
/** config_load() then route_config_check(), what sipgw (and sipgw -t) does at
 * start: 0, or -EINVAL with "file:line: what" in err and nothing left to free. */
int route_config_load(struct gw_config *cfg, const char *path, char *err, size_t errlen);

#endif
