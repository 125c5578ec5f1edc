/* sipgw - unit tests: rate-limited log lines (log_limit_check), driven by an
 * explicit clock, no sleeping; a line above the level not even formatted.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <string.h>

#include "core/log.h"
#include "unit.h"

/* The first occurrence is printed at once, with nothing suppressed. */
static void test_first_at_once(void)
{
	struct log_limit lim = LOG_LIMIT_INIT(1000);

	CU_ASSERT_EQUAL(log_limit_check(&lim, 5000), 0);
	CU_ASSERT_EQUAL(lim.total, 1);
}

/* Within the interval every further one is suppressed and counted; the
 * first after it is printed and carries the count, which starts again. */
static void test_one_per_interval_with_count(void)
{
	struct log_limit lim = LOG_LIMIT_INIT(1000);
	int printed = 0;

	CU_ASSERT_EQUAL(log_limit_check(&lim, 0), 0);
	for (long long t = 1; t < 1000; t++)
		printed += log_limit_check(&lim, t) >= 0;
	CU_ASSERT_EQUAL(printed, 0);
	CU_ASSERT_EQUAL(log_limit_check(&lim, 1000), 999);
	CU_ASSERT_EQUAL(log_limit_check(&lim, 1001), -1);
	CU_ASSERT_EQUAL(log_limit_check(&lim, 2000), 1);
	CU_ASSERT_EQUAL(lim.total, 1003);
}

/* 5000 at packet rate over 2.5 s, interval 1 s: three lines. */
static void test_flood_gives_few_lines(void)
{
	struct log_limit lim = LOG_LIMIT_INIT(1000);
	long sum = 0;
	int lines = 0;

	for (int i = 0; i < 5000; i++) {
		long n = log_limit_check(&lim, i / 2);	/* 2 per ms */
		if (n >= 0) {
			lines++;
			sum += n;
		}
	}
	CU_ASSERT_EQUAL(lines, 3);
	CU_ASSERT_EQUAL(sum + lines + (long)lim.suppressed, 5000);
}

/* After a quiet spell the next one goes out at once, nothing suppressed. */
static void test_quiet_then_again(void)
{
	struct log_limit lim = LOG_LIMIT_INIT(1000);

	CU_ASSERT_EQUAL(log_limit_check(&lim, 0), 0);
	CU_ASSERT_EQUAL(log_limit_check(&lim, 60000), 0);
}

/* Zero-initialised: the default interval. */
static void test_default_interval(void)
{
	struct log_limit lim = { 0 };

	CU_ASSERT_EQUAL(log_limit_check(&lim, 100), 0);
	CU_ASSERT_EQUAL(log_limit_check(&lim, 100 + LOG_LIMIT_INTERVAL_MS - 1), -1);
	CU_ASSERT_EQUAL(log_limit_check(&lim, 100 + LOG_LIMIT_INTERVAL_MS), 1);
}

/* A clock that starts at 0 or goes negative must not suppress the first line. */
static void test_first_at_time_zero_or_less(void)
{
	struct log_limit lim = LOG_LIMIT_INIT(1000);

	CU_ASSERT_EQUAL(log_limit_check(&lim, -5), 0);
	CU_ASSERT_EQUAL(log_limit_check(&lim, 0), -1);
}

static int described;

static const char *describe(void)
{
	described++;
	return "call 1";
}

/* Below the level a LOGx()'s arguments are not evaluated (a describe() is a
 * snprintf on every call's path); at the level they are, once. */
static void test_args_not_evaluated_above_level(void)
{
	enum log_level old = log_get_level();
	struct log_limit lim = { 0 };

	described = 0;
	log_set_level(LOG_LVL_NOTICE);
	unit_log_begin();
	LOGI(LSS_CORE, "%s info", describe());
	LOGD(LSS_CORE, "%s debug", describe());
	LOGI_LIMIT(&lim, LSS_CORE, "%s limited", describe());
	CU_ASSERT_EQUAL(described, 0);
	LOGN(LSS_CORE, "%s notice", describe());
	CU_ASSERT_EQUAL(described, 1);
	log_set_level(LOG_LVL_DEBUG);
	LOGD(LSS_CORE, "%s debug", describe());
	CU_ASSERT_EQUAL(described, 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(unit_log_end(), "call 1 debug"));
	CU_ASSERT_EQUAL(lim.total, 0);	/* not counted either */
	log_set_level(old);
}

static const CU_TestInfo tests[] = {
	{ "first line at once", test_first_at_once },
	{ "one line per interval with the count", test_one_per_interval_with_count },
	{ "a flood gives a few lines", test_flood_gives_few_lines },
	{ "after a quiet spell, at once", test_quiet_then_again },
	{ "zero-initialised uses the default interval", test_default_interval },
	{ "first line at time zero or before", test_first_at_time_zero_or_less },
	{ "above the level: arguments not evaluated", test_args_not_evaluated_above_level },
	CU_TEST_INFO_NULL,
};

int suite_log_add(void)
{
	return unit_suite_add("log", tests);
}
