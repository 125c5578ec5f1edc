/* sipgw - unit tests: Q.850 cause <-> SIP status and the Reason header.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/cause.h"
#include "core/cause_override.h"
#include "unit.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct pair {
	int in, want;
};

/* RFC 3398 8.2.6.1, plus the local rows for 487, 488 and 606. */
static const struct pair status_to_cause[] = {
	{ 400, 41 }, { 401, 21 }, { 402, 21 }, { 403, 21 }, { 404, 1 }, { 405, 63 },
	{ 406, 79 }, { 407, 21 }, { 408, 102 }, { 410, 22 }, { 413, 127 }, { 414, 127 },
	{ 415, 79 }, { 416, 127 }, { 420, 127 }, { 421, 127 }, { 423, 127 }, { 480, 18 },
	{ 481, 41 }, { 482, 25 }, { 483, 25 }, { 484, 28 }, { 485, 1 }, { 486, 17 },
	{ 487, 127 }, { 488, 127 }, { 500, 41 }, { 501, 79 }, { 502, 38 }, { 503, 41 },
	{ 504, 102 }, { 505, 127 }, { 513, 127 }, { 600, 17 }, { 603, 21 }, { 604, 1 },
	{ 606, 58 },
};

/* RFC 3398 7.2.4.1, plus the local rows for 16 and 69. */
static const struct pair cause_to_status[] = {
	{ 1, 404 }, { 2, 404 }, { 3, 404 }, { 16, 480 }, { 17, 486 }, { 18, 408 },
	{ 19, 480 }, { 20, 480 }, { 21, 403 }, { 22, 410 }, { 23, 410 }, { 26, 404 },
	{ 27, 502 }, { 28, 484 }, { 29, 501 }, { 31, 480 }, { 34, 503 }, { 38, 503 },
	{ 41, 503 }, { 42, 503 }, { 47, 503 }, { 55, 403 }, { 57, 403 }, { 58, 503 },
	{ 65, 488 }, { 69, 501 }, { 70, 488 }, { 79, 501 }, { 87, 403 }, { 88, 503 },
	{ 102, 504 }, { 111, 500 }, { 127, 500 },
};

static void check_pairs(const char *what, int (*fn)(int), const struct pair *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int got = fn(p[i].in);

		if (got != p[i].want)
			fprintf(stderr, "\n  %s(%d) = %d, want %d", what, p[i].in, got, p[i].want);
		CU_ASSERT_EQUAL(got, p[i].want);
	}
}

static void test_status_to_cause_table(void)
{
	check_pairs("cause_from_sip_status", cause_from_sip_status, status_to_cause,
		    ARRAY_SIZE(status_to_cause));
}

static void test_status_class_defaults(void)
{
	static const struct pair defaults[] = {
		{ 409, 21 }, { 422, 21 }, { 491, 21 }, { 499, 21 },	/* unknown 4xx: rejected */
		{ 507, 38 }, { 580, 38 }, { 599, 38 },			/* unknown 5xx */
		{ 607, 21 }, { 608, 21 }, { 699, 21 },			/* unknown 6xx */
		{ 302, 23 }, { 300, 23 }, { 399, 23 }, { 200, 127 }, { 0, 127 }, { -1, 127 }, { 700, 127 },
	};

	check_pairs("cause_from_sip_status", cause_from_sip_status, defaults, ARRAY_SIZE(defaults));
}

static void test_cause_to_status_table(void)
{
	static const struct pair defaults[] = {
		{ 0, 500 }, { 10, 500 }, { 99, 500 }, { 128, 500 }, { -1, 500 },
	};

	check_pairs("cause_to_sip_status", cause_to_sip_status, cause_to_status,
		    ARRAY_SIZE(cause_to_status));
	check_pairs("cause_to_sip_status", cause_to_sip_status, defaults, ARRAY_SIZE(defaults));
}

static void test_busy_and_not_found_round_trip(void)
{
	CU_ASSERT_EQUAL(cause_from_sip_status(486), CAUSE_USER_BUSY);
	CU_ASSERT_EQUAL(cause_to_sip_status(CAUSE_USER_BUSY), 486);
	CU_ASSERT_EQUAL(cause_to_sip_status(cause_from_sip_status(404)), 404);
	CU_ASSERT_EQUAL(cause_to_sip_status(cause_from_sip_status(484)), 484);
	CU_ASSERT_EQUAL(cause_from_sip_status(cause_to_sip_status(CAUSE_RECOVERY_TIMER)),
			CAUSE_RECOVERY_TIMER);
}

/* Parse from an exact-size heap copy so ASan catches any read past the NUL. */
static int reason(const char *s, int *causep)
{
	char *copy;
	int rc;

	if (!s)
		return cause_from_reason(NULL, causep);
	copy = malloc(strlen(s) + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
	memcpy(copy, s, strlen(s) + 1);
	rc = cause_from_reason(copy, causep);
	free(copy);
	return rc;
}

struct reason_case {
	const char *hdr;
	int rc, cause;
};

static void check_reasons(const struct reason_case *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int cause = -77, rc = reason(c[i].hdr, &cause);

		if (rc != c[i].rc || (rc == 0 && cause != c[i].cause) || (rc != 0 && cause != -77))
			fprintf(stderr, "\n  reason [%s]: rc %d cause %d, want rc %d cause %d",
				c[i].hdr ? c[i].hdr : "(null)", rc, cause, c[i].rc,
				c[i].rc ? -77 : c[i].cause);
		CU_ASSERT_EQUAL(rc, c[i].rc);
		/* on error the out-parameter is left alone */
		CU_ASSERT_EQUAL(cause, c[i].rc == 0 ? c[i].cause : -77);
	}
}

static void test_reason_parse(void)
{
	static const struct reason_case ok[] = {
		{ "Q.850;cause=16;text=\"Normal call clearing\"", 0, 16 },
		{ "q.850 ; CAUSE = 17", 0, 17 },
		{ "  Q.850;cause=127  ", 0, 127 },
		{ "Q.850;cause=1", 0, 1 },
		{ "Q.850;cause=\"18\"", 0, 18 },
		{ "Q.850;location=LN;cause=34", 0, 34 },
		{ "Q.850;text=\"busy, really; cause=3\";cause=17", 0, 17 },
		{ "Q.850;cause=16;text=\"a \\\"quoted\\\" word, ;\"", 0, 16 },
		{ "SIP;cause=200;text=\"Call completed elsewhere\", Q.850;cause=31", 0, 31 },
		{ "SIP;cause=487,\r\n\tQ.850;cause=19;text=\"No answer\"", 0, 19 },
		{ "Q.850;cause=34, Q.850;cause=17", 0, 34 },	/* the first one */
		{ "Q.850;cause=21, garbage ;;", 0, 21 },	/* later values unread */
	};

	check_reasons(ok, ARRAY_SIZE(ok));
}

static void test_reason_malformed(void)
{
	static const struct reason_case bad[] = {
		{ NULL, -ENOENT, 0 },
		{ "", -ENOENT, 0 },
		{ "   ", -ENOENT, 0 },
		{ "SIP;cause=200", -ENOENT, 0 },
		{ "SIP;cause=487;text=\"x, Q.850;cause=3\"", -ENOENT, 0 },	/* quoted, not a value */
		{ "Q.850", -EINVAL, 0 },
		{ "Q.850;text=\"no cause\"", -EINVAL, 0 },
		{ "Q.850;cause=0", -EINVAL, 0 },
		{ "Q.850;cause=128", -EINVAL, 0 },
		{ "Q.850;cause=-16", -EINVAL, 0 },
		{ "Q.850;cause=16x", -EINVAL, 0 },
		{ "Q.850;cause=", -EINVAL, 0 },
		{ "Q.850;cause=99999999999999999999", -EINVAL, 0 },
		{ "Q.850 cause=16", -EINVAL, 0 },
		{ "Q.850;;cause=16", -EINVAL, 0 },
		{ ";cause=16", -EINVAL, 0 },
		{ ", Q.850;cause=16", -EINVAL, 0 },
		{ "Q.850;cause=16;text=\"unterminated", -EINVAL, 0 },
		{ "Q.850;cause=16;text=\"x\\", -EINVAL, 0 },
		{ "SIP;text=\"x\" junk, Q.850;cause=16", -EINVAL, 0 },
	};

	check_reasons(bad, ARRAY_SIZE(bad));
}

static void test_reason_format(void)
{
	char buf[CAUSE_REASON_MAX], small[16];
	int cause, c;

	CU_ASSERT_EQUAL(cause_format_reason(buf, sizeof(buf), 16), 0);
	CU_ASSERT_STRING_EQUAL(buf, "Q.850;cause=16;text=\"Normal call clearing\"");
	CU_ASSERT_EQUAL(cause_format_reason(buf, sizeof(buf), 17), 0);
	CU_ASSERT_STRING_EQUAL(buf, "Q.850;cause=17;text=\"User busy\"");
	CU_ASSERT_EQUAL(cause_format_reason(buf, sizeof(buf), 10), 0);	/* unnamed: no text */
	CU_ASSERT_STRING_EQUAL(buf, "Q.850;cause=10");
	CU_ASSERT_EQUAL(cause_format_reason(buf, sizeof(buf), 0), -EINVAL);
	CU_ASSERT_EQUAL(cause_format_reason(buf, sizeof(buf), 128), -EINVAL);
	CU_ASSERT_EQUAL(cause_format_reason(small, sizeof(small), 16), -ENOSPC);
	CU_ASSERT(strlen(small) < sizeof(small));

	/* whatever we write, we read back (and it fits CAUSE_REASON_MAX) */
	for (c = 1; c <= 127; c++) {
		cause = -1;
		CU_ASSERT_EQUAL(cause_format_reason(buf, sizeof(buf), c), 0);
		CU_ASSERT_EQUAL(reason(buf, &cause), 0);
		CU_ASSERT_EQUAL(cause, c);
	}
}

static void test_cause_names(void)
{
	size_t i;

	CU_ASSERT_STRING_EQUAL(cause_name(1), "Unallocated (unassigned) number");
	CU_ASSERT_STRING_EQUAL(cause_name(16), "Normal call clearing");
	CU_ASSERT_STRING_EQUAL(cause_name(17), "User busy");
	CU_ASSERT_STRING_EQUAL(cause_name(18), "No user responding");
	CU_ASSERT_STRING_EQUAL(cause_name(19), "No answer from user (user alerted)");
	CU_ASSERT_STRING_EQUAL(cause_name(21), "Call rejected");
	CU_ASSERT_STRING_EQUAL(cause_name(0), "Unknown cause");
	CU_ASSERT_STRING_EQUAL(cause_name(10), "Unknown cause");
	CU_ASSERT_STRING_EQUAL(cause_name(200), "Unknown cause");
	/* every cause either table produces or accepts has a name */
	for (i = 0; i < ARRAY_SIZE(status_to_cause); i++)
		CU_ASSERT_STRING_NOT_EQUAL(cause_name(status_to_cause[i].want), "Unknown cause");
	for (i = 0; i < ARRAY_SIZE(cause_to_status); i++)
		CU_ASSERT_STRING_NOT_EQUAL(cause_name(cause_to_status[i].in), "Unknown cause");
}

static void test_pick_prefers_reason(void)
{
	/* RFC 6432: the Q.850 cause in Reason beats the status mapping */
	CU_ASSERT_EQUAL(cause_pick(486, "Q.850;cause=34;text=\"No circuit/channel available\""), 34);
	CU_ASSERT_EQUAL(cause_pick(503, "SIP;cause=503, Q.850;cause=42"), 42);
	CU_ASSERT_EQUAL(cause_pick(480, "Q.850;cause=19"), 19);
	/* no, foreign or broken Reason: the status decides */
	CU_ASSERT_EQUAL(cause_pick(486, NULL), 17);
	CU_ASSERT_EQUAL(cause_pick(486, "SIP;cause=486"), 17);
	CU_ASSERT_EQUAL(cause_pick(486, "Q.850;cause=999"), 17);
	CU_ASSERT_EQUAL(cause_pick(486, "Q.850;cause=\"1"), 17);
	CU_ASSERT_EQUAL(cause_pick(503, "Q.850"), 41);
}

/* Operator overrides: a dial-peer's row beats the global row for the same
 * key; a key neither table has is -ENOENT (the caller keeps RFC 3398's);
 * the two directions are separate tables. */
static void test_override_lookup(void)
{
	struct cause_overrides global = {
		.sip_to_pstn = { { .status = 486, .cause = 34 }, { .status = 404, .cause = 3 } },
		.n_sip_to_pstn = 2,
		.pstn_to_sip = { { .cause = 17, .status = 503 }, { .cause = 34, .status = 486 } },
		.n_pstn_to_sip = 2,
	};
	struct cause_overrides dp = {
		.sip_to_pstn = { { .status = 486, .cause = 21 } }, .n_sip_to_pstn = 1,
		.pstn_to_sip = { { .cause = 17, .status = 600 } }, .n_pstn_to_sip = 1,
	};
	struct cause_overrides empty = { 0 };
	int v = -1;

	/* no tables, or empty ones: nothing overrides */
	CU_ASSERT_EQUAL(cause_override_from_status(NULL, NULL, 486, &v), -ENOENT);
	CU_ASSERT_EQUAL(cause_override_to_status(&empty, &empty, 17, &v), -ENOENT);
	CU_ASSERT_EQUAL(v, -1);
	/* global only */
	CU_ASSERT_EQUAL(cause_override_from_status(NULL, &global, 486, &v), 0);
	CU_ASSERT_EQUAL(v, CAUSE_NO_CIRCUIT);
	CU_ASSERT_EQUAL(cause_override_to_status(&empty, &global, CAUSE_NO_CIRCUIT, &v), 0);
	CU_ASSERT_EQUAL(v, 486);
	/* the dial-peer's row first */
	CU_ASSERT_EQUAL(cause_override_from_status(&dp, &global, 486, &v), 0);
	CU_ASSERT_EQUAL(v, CAUSE_CALL_REJECTED);
	CU_ASSERT_EQUAL(cause_override_to_status(&dp, &global, CAUSE_USER_BUSY, &v), 0);
	CU_ASSERT_EQUAL(v, 600);
	/* a key the dial-peer lacks falls through to the global row */
	CU_ASSERT_EQUAL(cause_override_from_status(&dp, &global, 404, &v), 0);
	CU_ASSERT_EQUAL(v, CAUSE_NO_ROUTE_DESTINATION);
	CU_ASSERT_EQUAL(cause_override_to_status(&dp, &global, CAUSE_NO_CIRCUIT, &v), 0);
	CU_ASSERT_EQUAL(v, 486);
	/* dial-peer only */
	CU_ASSERT_EQUAL(cause_override_from_status(&dp, NULL, 486, &v), 0);
	CU_ASSERT_EQUAL(v, CAUSE_CALL_REJECTED);
	CU_ASSERT_EQUAL(cause_override_from_status(&dp, NULL, 404, &v), -ENOENT);
	/* keys neither has, and no leaking between directions (486 is a status
	 * key of sip_to_pstn, not a cause; 17 a cause key of pstn_to_sip) */
	v = -1;
	CU_ASSERT_EQUAL(cause_override_from_status(&dp, &global, 480, &v), -ENOENT);
	CU_ASSERT_EQUAL(cause_override_from_status(&dp, &global, 17, &v), -ENOENT);
	CU_ASSERT_EQUAL(cause_override_to_status(&dp, &global, CAUSE_NO_USER_RESPONSE, &v), -ENOENT);
	CU_ASSERT_EQUAL(v, -1);
	/* the RFC 3398 tables themselves stay as they are */
	CU_ASSERT_EQUAL(cause_from_sip_status(486), CAUSE_USER_BUSY);
	CU_ASSERT_EQUAL(cause_to_sip_status(CAUSE_USER_BUSY), 486);
}

static const CU_TestInfo cause_tests[] = {
	{ "SIP status -> cause, RFC 3398 8.2.6.1", test_status_to_cause_table },
	{ "SIP status -> cause, class defaults", test_status_class_defaults },
	{ "cause -> SIP status, RFC 3398 7.2.4.1", test_cause_to_status_table },
	{ "486 <-> 17 and friends round trip", test_busy_and_not_found_round_trip },
	{ "Reason header parsing", test_reason_parse },
	{ "Reason header malformed", test_reason_malformed },
	{ "Reason header formatting", test_reason_format },
	{ "Q.850 cause names", test_cause_names },
	{ "Reason preferred over status", test_pick_prefers_reason },
	{ "overrides: dial-peer row, global row, none", test_override_lookup },
	CU_TEST_INFO_NULL,
};

int suite_cause_add(void)
{
	return unit_suite_add("cause", cause_tests);
}
