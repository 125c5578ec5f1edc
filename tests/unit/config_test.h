/* sipgw - unit tests: test_config.c's loader helpers, for the other config suites.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_TESTS_CONFIG_TEST_H
#define SIPGW_TESTS_CONFIG_TEST_H

#include <stddef.h>

struct gw_config;

/** Load text as sipgw does (config_load, route_config_check) from a temporary
 * file whose path goes to path; the caller config_free()s on success. */
int load_text(struct gw_config *cfg, const char *text, char *err, size_t errlen, char *path, size_t pathlen);
/** The load fails with -EINVAL and "<file>:<line>: ..." containing what, leaving nothing allocated. */
void expect_error(const char *text, int line, const char *what);

#endif
