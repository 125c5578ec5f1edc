/* sipgw - unit tests: routing's redirections (src/route/route_redirect.c):
 * the number in a Contact, q order kept, loops, the hop and target limits,
 * whose rights go with a target, the redirect server's Contacts, the
 * forwarding table and its run-time reload.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <string.h>

#include "core/config.h"
#include "route/route_redirect.h"
#include "unit.h"

static void test_number(void)
{
	char n[LEG_NUM];

	CU_ASSERT_EQUAL(route_redir_number("sip:95551234@127.0.0.1:5060;user=phone", n, sizeof(n)), 0);
	CU_ASSERT_STRING_EQUAL(n, "95551234");
	CU_ASSERT_EQUAL(route_redir_number("sip:2002;ext=1@host", n, sizeof(n)), 0);
	CU_ASSERT_STRING_EQUAL(n, "2002");	/* user parameters off */
	CU_ASSERT_EQUAL(route_redir_number("tel:+4930123456;phone-context=x", n, sizeof(n)), 0);
	CU_ASSERT_STRING_EQUAL(n, "+4930123456");
	CU_ASSERT_EQUAL(route_redir_number("2003", n, sizeof(n)), 0);
	CU_ASSERT_STRING_EQUAL(n, "2003");
	/* no user part, another scheme, characters no number has: nothing to route */
	CU_ASSERT_EQUAL(route_redir_number("sip:127.0.0.1:5070", n, sizeof(n)), -EINVAL);
	CU_ASSERT_EQUAL(route_redir_number("http://evil/", n, sizeof(n)), -EINVAL);
	CU_ASSERT_EQUAL(route_redir_number("sip:9%30@h", n, sizeof(n)), -EINVAL);
	CU_ASSERT_EQUAL(route_redir_number("sip:@h", n, sizeof(n)), -EINVAL);
}

static struct leg_contacts contacts(const char *a, const char *b)
{
	struct leg_contacts lc = { .n = b ? 2 : 1 };

	strcpy(lc.uri[0], a);
	lc.q[0] = 1000;
	if (b) {
		strcpy(lc.uri[1], b);
		lc.q[1] = 500;
	}
	return lc;
}

static void test_order_rights_loops(void)
{
	struct leg_setup_info orig = { .called = "2001", .calling = "5551000" };
	struct route_redir rd;
	struct leg_contacts lc = contacts("sip:2002@h", "sip:95551234@h;user=phone");

	route_redir_init(&rd, &orig);
	CU_ASSERT_EQUAL(route_redir_push(&rd, "t", &lc, "2001", LEG_REDIR_UNCONDITIONAL, 0, 3), 0);
	CU_ASSERT_EQUAL(route_redir_next(&rd, &orig, 5), 0);
	CU_ASSERT_STRING_EQUAL(rd.si.called, "2002");
	CU_ASSERT_STRING_EQUAL(rd.si.redirecting, "2001");	/* Diversion / redirecting number */
	CU_ASSERT_STRING_EQUAL(rd.si.calling, "5551000");	/* the caller stays */
	CU_ASSERT_EQUAL(rd.si.redirect_reason, LEG_REDIR_UNCONDITIONAL);
	CU_ASSERT_EQUAL(rd.cur.may_pstn, 0);
	/* 2002 forwards on busy (with the PSTN right) to 2001: its target goes
	 * first, and is the number the call began with: a loop, skipped */
	lc = contacts("2001", NULL);
	CU_ASSERT_EQUAL(route_redir_push(&rd, "t", &lc, "2002", LEG_REDIR_BUSY, 1, 3), 0);
	CU_ASSERT_EQUAL(route_redir_next(&rd, &orig, 5), 0);
	CU_ASSERT_STRING_EQUAL(rd.si.called, "95551234");	/* the first 3xx's second Contact */
	CU_ASSERT_STRING_EQUAL(rd.si.redirecting, "2001");
	CU_ASSERT_EQUAL(rd.cur.may_pstn, 0);			/* 2001's rights, not 2002's */
	CU_ASSERT_EQUAL(rd.refused, 1);
	CU_ASSERT_EQUAL(route_redir_next(&rd, &orig, 5), -ENOENT);
}

static void test_limits(void)
{
	struct leg_setup_info orig = { .called = "2001" };
	struct route_redir rd;
	struct leg_contacts lc = contacts("3001", "3002");

	route_redir_init(&rd, &orig);
	CU_ASSERT_EQUAL(route_redir_push(&rd, "t", &lc, "2001", LEG_REDIR_UNKNOWN, 1, 2), 0);
	lc = contacts("3003", "3004");
	CU_ASSERT_EQUAL(route_redir_push(&rd, "t", &lc, "3001", LEG_REDIR_UNKNOWN, 1, 2), 0);
	lc = contacts("3005", NULL);
	CU_ASSERT_EQUAL(route_redir_push(&rd, "t", &lc, "3003", LEG_REDIR_UNKNOWN, 1, 2), -ELOOP);	/* hops */
	/* max 3 targets: 3003, 3004 (depth first), 3001, then no more */
	CU_ASSERT_EQUAL(route_redir_next(&rd, &orig, 3), 0);
	CU_ASSERT_STRING_EQUAL(rd.si.called, "3003");
	CU_ASSERT_EQUAL(route_redir_next(&rd, &orig, 3), 0);
	CU_ASSERT_STRING_EQUAL(rd.si.called, "3004");
	CU_ASSERT_EQUAL(route_redir_next(&rd, &orig, 3), 0);
	CU_ASSERT_STRING_EQUAL(rd.si.called, "3001");
	CU_ASSERT_EQUAL(route_redir_next(&rd, &orig, 3), -ENOENT);
	CU_ASSERT_EQUAL(rd.refused, 1);
}

static void test_server_contacts_and_table(void)
{
	struct gw_config cfg = { 0 };
	struct route_fwd *f;
	struct cfg_user u = { .user = "2004", .forward_all = "2003, 2001", .redirect = 1 };
	char reg[2][LEG_URI] = { "sip:2004@10.0.0.1:5070", "sip:2004@10.0.0.2:5070" };
	struct leg_contacts lc;

	CU_ASSERT_EQUAL(route_redir_user_contacts(&u, "192.0.2.1", 5060, reg, 2, &lc), 0);
	CU_ASSERT_EQUAL(lc.n, 2);
	CU_ASSERT_STRING_EQUAL(lc.uri[0], "sip:2003@192.0.2.1:5060;user=phone");
	CU_ASSERT_STRING_EQUAL(lc.uri[1], "sip:2001@192.0.2.1:5060;user=phone");
	CU_ASSERT_EQUAL(lc.q[0], 1000);
	CU_ASSERT_EQUAL(lc.q[1], 900);
	/* our address IPv6: bracketed (RFC 5118 4.1) */
	CU_ASSERT_EQUAL(route_redir_user_contacts(&u, "2001:db8::10", 5060, reg, 2, &lc), 0);
	CU_ASSERT_STRING_EQUAL(lc.uri[0], "sip:2003@[2001:db8::10]:5060;user=phone");
	u.forward_all[0] = 0;	/* no forward: the registered phones (B-12's 300) */
	CU_ASSERT_EQUAL(route_redir_user_contacts(&u, "192.0.2.1", 5060, reg, 2, &lc), 0);
	CU_ASSERT_STRING_EQUAL(lc.uri[1], "sip:2004@10.0.0.2:5070");
	CU_ASSERT_EQUAL(route_redir_user_contacts(&u, "192.0.2.1", 5060, reg, 0, &lc), -ENOENT);

	CU_ASSERT_EQUAL(route_redir_list(" 2003,95551234 , ", &lc), 0);
	CU_ASSERT_EQUAL(lc.n, 2);
	CU_ASSERT_STRING_EQUAL(lc.uri[0], "2003");
	CU_ASSERT_STRING_EQUAL(lc.uri[1], "95551234");
	CU_ASSERT_EQUAL(route_redir_list(" , ", &lc), -ENOENT);

	cfg.reg.n_users = 1;
	cfg.reg.users[0] = (struct cfg_user){ .user = "2002", .password = "x", .pstn = 0 };
	CU_ASSERT_EQUAL_FATAL(route_fwd_alloc(&f, &cfg), 0);
	CU_ASSERT_EQUAL(route_fwd_may_pstn(f, "2002"), 0);
	CU_ASSERT_EQUAL(route_fwd_may_pstn(f, "2999"), 1);	/* a users_file user: as before */
	CU_ASSERT_STRING_EQUAL(route_fwd_user(f, "2002")->forward_all, "");
	CU_ASSERT_STRING_EQUAL(route_fwd_user(f, "2002")->password, "");	/* not kept */
	strcpy(cfg.reg.users[0].forward_all, "2003");
	route_fwd_reload(f, &cfg);
	CU_ASSERT_STRING_EQUAL(route_fwd_user(f, "2002")->forward_all, "2003");
	CU_ASSERT_PTR_NULL(route_fwd_user(f, "2003"));
	route_fwd_free(f);
}

static const CU_TestInfo redirect_tests[] = {
	{ "the number in a Contact", test_number },
	{ "targets in order, whose rights, loops", test_order_rights_loops },
	{ "hop and target limits", test_limits },
	{ "redirect server Contacts, forwarding table", test_server_contacts_and_table },
	CU_TEST_INFO_NULL,
};

int suite_redirect_add(void)
{
	return unit_suite_add("redirect", redirect_tests);
}
