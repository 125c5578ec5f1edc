/* sipgw - unit tests: numbers across the wall (src/route/identity.c): Q.931
 * type of number <-> E.164 '+' with a span's country code.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <string.h>

#include "core/config.h"
#include "route/identity.h"
#include "unit.h"

static void test_from_pri(void)
{
	struct cfg_span us = { .country_code = "1" }, none = { .country_code = "" };
	struct leg_setup_info si = { .calling = "4930123456", .calling_ton = LEG_TON_INTERNATIONAL,
				     .called = "2001", .called_ton = LEG_TON_UNKNOWN };

	route_identity_from_pri(&us, &si);
	CU_ASSERT_STRING_EQUAL(si.calling, "+4930123456");
	CU_ASSERT_STRING_EQUAL(si.called, "2001");

	si = (struct leg_setup_info){ .calling = "2125551000", .calling_ton = LEG_TON_NATIONAL,
				      .called = "4420711", .called_ton = LEG_TON_INTERNATIONAL };
	route_identity_from_pri(&us, &si);
	CU_ASSERT_STRING_EQUAL(si.calling, "+12125551000");
	CU_ASSERT_STRING_EQUAL(si.called, "+4420711");

	/* national with no country code known, subscriber, unknown: as they are */
	si = (struct leg_setup_info){ .calling = "2125551000", .calling_ton = LEG_TON_NATIONAL };
	route_identity_from_pri(&none, &si);
	CU_ASSERT_STRING_EQUAL(si.calling, "2125551000");
	si = (struct leg_setup_info){ .calling = "5551000", .calling_ton = LEG_TON_SUBSCRIBER };
	route_identity_from_pri(&us, &si);
	CU_ASSERT_STRING_EQUAL(si.calling, "5551000");
	/* no number, or one already '+': untouched */
	si = (struct leg_setup_info){ .calling = "", .calling_ton = LEG_TON_INTERNATIONAL };
	route_identity_from_pri(&us, &si);
	CU_ASSERT_STRING_EQUAL(si.calling, "");
	si = (struct leg_setup_info){ .calling = "+1555", .calling_ton = LEG_TON_INTERNATIONAL };
	route_identity_from_pri(NULL, &si);
	CU_ASSERT_STRING_EQUAL(si.calling, "+1555");
}

static void test_to_pri(void)
{
	struct cfg_span us = { .country_code = "1" }, de = { .country_code = "49" };
	char out[64];

	CU_ASSERT_EQUAL(route_number_to_pri(&us, "+12125551234", out, sizeof(out), 0x01), 0x21);
	CU_ASSERT_STRING_EQUAL(out, "2125551234");		/* national */
	CU_ASSERT_EQUAL(route_number_to_pri(&us, "+4930123456", out, sizeof(out), 0x01), 0x11);
	CU_ASSERT_STRING_EQUAL(out, "4930123456");		/* international */
	CU_ASSERT_EQUAL(route_number_to_pri(&de, "+4930123456", out, sizeof(out), 0x01), 0x21);
	CU_ASSERT_STRING_EQUAL(out, "30123456");
	CU_ASSERT_EQUAL(route_number_to_pri(NULL, "+4930123456", out, sizeof(out), 0x01), 0x11);
	CU_ASSERT_STRING_EQUAL(out, "4930123456");
	/* no '+': as it is, with the default plan */
	CU_ASSERT_EQUAL(route_number_to_pri(&us, "5551234", out, sizeof(out), 0x41), 0x41);
	CU_ASSERT_STRING_EQUAL(out, "5551234");
	/* just the country code: not a national number, international then */
	CU_ASSERT_EQUAL(route_number_to_pri(&us, "+1", out, sizeof(out), 0x01), 0x11);
	CU_ASSERT_STRING_EQUAL(out, "1");
}

static const CU_TestInfo identity_tests[] = {
	{ "PRI -> SIP: type of number to E.164", test_from_pri },
	{ "SIP -> PRI: E.164 to type of number", test_to_pri },
	CU_TEST_INFO_NULL,
};

int suite_identity_add(void)
{
	return unit_suite_add("identity", identity_tests);
}
