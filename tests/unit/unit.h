/* sipgw - unit test registry: each tests/unit/test_<name>.c adds one CUnit suite.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_TESTS_UNIT_H
#define SIPGW_TESTS_UNIT_H

#include <CUnit/CUnit.h>

/* Every test file defines one `int suite_<name>_add(void)` (0 or -1) that calls
 * unit_suite_add(); main.c names it once in UNIT_SUITES. */

/** Register a suite and its NULL-terminated tests; 0, or -1 on a registry error. */
static inline int unit_suite_add(const char *name, const CU_TestInfo *tests)
{
	CU_pSuite s = CU_add_suite(name, NULL, NULL);

	if (!s)
		return -1;
	for (; tests->pName; tests++) {
		if (!CU_add_test(s, tests->pName, tests->pTestFunc))
			return -1;
	}
	return 0;
}

/* Log lines are what an operator reads: unit_log_begin() sends stderr (where
 * the log goes) to a temporary file, unit_log_end() puts it back and returns
 * what was written in between (a static buffer, valid until the next call). */
int unit_log_begin(void);
const char *unit_log_end(void);
/** How many times needle occurs in hay. */
unsigned unit_count(const char *hay, const char *needle);

#endif
