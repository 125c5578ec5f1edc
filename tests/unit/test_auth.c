/* sipgw - unit tests: SIP URI equality (RFC 3261 19.1.4), the guessing guard,
 * and the registrar's digest check field by field (uri, realm, algorithm,
 * password, nonce-count, broken credentials, guessing lockout).
 * SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/su_md5.h>
#include <sofia-sip/su_wait.h>

#include "core/config.h"
#include "sip/auth_guard.h"
#include "sip/registrar.h"
#include "sip/sip_internal.h"
#include "sip/sip_uri.h"
#include "unit.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- RFC 3261 19.1.4: its own examples, then the cases a digest uri meets */

static void test_uri_rfc_examples_equal(void)
{
	static const char *const eq[][2] = {
		{ "sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp" },
		{ "sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5" },
		{ "sip:carol@chicago.com", "sip:carol@chicago.com;security=on" },
		{ "sip:carol@chicago.com;newparam=5", "sip:carol@chicago.com;security=on" },
		{ "sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
		  "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com" },
		{ "sip:alice@atlanta.com?subject=project%20x&priority=urgent",
		  "sip:alice@atlanta.com?priority=urgent&subject=project%20x" },
		{ "sip:2001@127.0.0.1:5070;user=phone", "sip:2001@127.0.0.1:5070;user=phone" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(eq); i++) {
		CU_ASSERT_EQUAL(sip_uri_equal(eq[i][0], eq[i][1]), 1);
		CU_ASSERT_EQUAL(sip_uri_equal(eq[i][1], eq[i][0]), 1);
	}
}

static void test_uri_rfc_examples_differ(void)
{
	static const char *const ne[][2] = {
		{ "SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP" },
		{ "sip:bob@biloxi.com", "sip:bob@biloxi.com:5060" },
		{ "sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp" },
		{ "sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp" },
		{ "sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting" },
		{ "sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4" },
		{ "sip:carol@chicago.com;security=on", "sip:carol@chicago.com;security=off" },
		/* what an attacker changes in a captured answer */
		{ "sip:2001@127.0.0.1:5070", "sip:95551234@127.0.0.1:5070" },
		{ "sip:2001@127.0.0.1:5070;user=phone", "sip:2001@127.0.0.1:5070" },
		{ "sip:2001@127.0.0.1:5070", "sips:2001@127.0.0.1:5070" },
		{ "sip:2001@127.0.0.1:5070", "sip:2001@127.0.0.1:5071" },
		{ "sip:2001@127.0.0.1;maddr=10.0.0.1", "sip:2001@127.0.0.1" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(ne); i++) {
		CU_ASSERT_EQUAL(sip_uri_equal(ne[i][0], ne[i][1]), 0);
		CU_ASSERT_EQUAL(sip_uri_equal(ne[i][1], ne[i][0]), 0);
	}
}

static void test_uri_unparsable(void)
{
	CU_ASSERT_EQUAL(sip_uri_equal("", "sip:a@b"), -EINVAL);
	CU_ASSERT_EQUAL(sip_uri_equal("sip:a@b", NULL), -EINVAL);
	CU_ASSERT_EQUAL(sip_uri_equal("sip:", "sip:a@b"), -EINVAL);
}

/* ---- the guard, on a clock of our own */

static const struct auth_guard_params gparams = {
	.attempts = 10, .window_ms = 60000, .backoff_ms = 60000, .backoff_max_ms = 3600000,
};

static void test_guard_source_blocked_after_attempts(void)
{
	struct auth_guard *g;
	long long t = 1000000;

	CU_ASSERT_EQUAL_FATAL(auth_guard_alloc(&g, &gparams), 0);
	for (int i = 0; i < 9; i++)
		auth_guard_failed(g, "192.0.2.1", "2001", t + i * 100);
	CU_ASSERT_EQUAL(auth_guard_blocked(g, "192.0.2.1", "2001", t + 1000), 0);
	auth_guard_failed(g, "192.0.2.1", "2001", t + 1000);
	CU_ASSERT_EQUAL(auth_guard_blocked(g, "192.0.2.1", "2001", t + 1100), 1);
	CU_ASSERT_EQUAL(auth_guard_blocked(g, "192.0.2.1", "2002", t + 1100), 1);	/* any user */
	CU_ASSERT_EQUAL(auth_guard_blocked_count(g), 1);
	/* user 2001 had 10 failures, but a source that never failed gets in */
	CU_ASSERT_EQUAL(auth_guard_blocked(g, "192.0.2.2", "2001", t + 1100), 0);
	auth_guard_free(g);
}

static void test_guard_window_slides(void)
{
	struct auth_guard *g;
	long long t = 5000000;

	CU_ASSERT_EQUAL_FATAL(auth_guard_alloc(&g, &gparams), 0);
	/* 9 failures, then 9 more after the first ones left the window */
	for (int i = 0; i < 9; i++)
		auth_guard_failed(g, "192.0.2.1", "2001", t + i);
	for (int i = 0; i < 9; i++)
		auth_guard_failed(g, "192.0.2.1", "2001", t + 61000 + i);
	CU_ASSERT_EQUAL(auth_guard_blocked(g, "192.0.2.1", "2001", t + 61100), 0);
	auth_guard_free(g);
}

static void test_guard_backoff_grows_and_ends(void)
{
	struct auth_guard *g;
	long long t = 9000000;

	CU_ASSERT_EQUAL_FATAL(auth_guard_alloc(&g, &gparams), 0);
	for (int i = 0; i < 10; i++)
		auth_guard_failed(g, "192.0.2.9", "", t);
	/* trying on restarts the 60 s block */
	CU_ASSERT_EQUAL(auth_guard_blocked(g, "192.0.2.9", "", t + 50000), 1);
	auth_guard_sweep(g, t + 61000);
	CU_ASSERT_EQUAL(auth_guard_blocked_count(g), 1);
	CU_ASSERT_EQUAL(auth_guard_blocked(g, "192.0.2.9", "", t + 61000), 1);
	auth_guard_sweep(g, t + 121001);
	CU_ASSERT_EQUAL(auth_guard_blocked_count(g), 0);
	CU_ASSERT_EQUAL(auth_guard_blocked(g, "192.0.2.9", "", t + 121002), 0);
	/* offends again: the block is twice as long (120 s) */
	t += 130000;
	for (int i = 0; i < 10; i++)
		auth_guard_failed(g, "192.0.2.9", "", t);
	auth_guard_sweep(g, t + 119000);
	CU_ASSERT_EQUAL(auth_guard_blocked_count(g), 1);
	auth_guard_sweep(g, t + 120001);
	CU_ASSERT_EQUAL(auth_guard_blocked_count(g), 0);
	auth_guard_free(g);
}

static void test_guard_user_under_attack(void)
{
	struct auth_guard *g;
	long long t = 20000000;
	char src[32];

	CU_ASSERT_EQUAL_FATAL(auth_guard_alloc(&g, &gparams), 0);
	/* ten sources, one wrong answer each for 2001: none is past its own limit */
	for (int i = 0; i < 10; i++) {
		snprintf(src, sizeof(src), "198.51.100.%d", i);
		auth_guard_failed(g, src, "2001", t + i);
	}
	CU_ASSERT_EQUAL(auth_guard_blocked_count(g), 0);
	CU_ASSERT_EQUAL(auth_guard_blocked(g, "198.51.100.3", "2001", t + 100), 1);
	CU_ASSERT_EQUAL(auth_guard_blocked(g, "198.51.100.3", "2002", t + 100), 0);
	CU_ASSERT_EQUAL(auth_guard_blocked(g, "203.0.113.5", "2001", t + 100), 0);
	auth_guard_sweep(g, t + 61000);	/* the window moved on */
	CU_ASSERT_EQUAL(auth_guard_blocked(g, "198.51.100.3", "2001", t + 61000), 0);
	auth_guard_free(g);
}

/* ---- the registrar's digest check, one field at a time */

static struct cfg_registrar reg_cfg;
static su_root_t *root;
static struct registrar *reg;
static char nonce[128];

static void md5hex(char out[33], const char *s)
{
	su_md5_t md5;

	su_md5_init(&md5);
	su_md5_strupdate(&md5, s);
	su_md5_hexdigest(&md5, out);
}

struct answer {
	const char *user, *password, *realm, *uri, *alg;
	const char *method_in_hash;	/* NULL: the request's method */
	unsigned nc;
	int drop_nonce;
};

/* A REGISTER or INVITE to ruri with an Authorization (or Proxy-) answer
 * built as RFC 2617 3.2.2 says, checked from source. */
static int check(const char *method, const char *ruri, const struct answer *a, const char *source)
{
	char ha1[33], ha2[33], resp[33], buf[512], msgtxt[2048], user[64];
	const char *hname = !strcmp(method, "INVITE") ? "Proxy-Authorization" : "Authorization";
	msg_t *msg;
	int stale = 0, rc, rv, n;

	snprintf(buf, sizeof(buf), "%s:%s:%s", a->user, a->realm ? a->realm : "sipgw", a->password);
	md5hex(ha1, buf);
	snprintf(buf, sizeof(buf), "%s:%s", a->method_in_hash ? a->method_in_hash : method, a->uri);
	md5hex(ha2, buf);
	snprintf(buf, sizeof(buf), "%s:%s:%08x:c0ffee:auth:%s", ha1, nonce, a->nc ? a->nc : 1, ha2);
	md5hex(resp, buf);
	n = snprintf(msgtxt, sizeof(msgtxt),
		     "%s %s SIP/2.0\r\n"
		     "Via: SIP/2.0/UDP 192.0.2.1:5062;branch=z9hG4bK1\r\n"
		     "From: <sip:%s@127.0.0.1>;tag=1\r\nTo: <sip:%s@127.0.0.1>\r\n"
		     "Call-ID: unit@test\r\nCSeq: 1 %s\r\nMax-Forwards: 70\r\n"
		     "%s: Digest username=\"%s\", realm=\"%s\", %s%s%suri=\"%s\", response=\"%s\", "
		     "%s%s%sqop=auth, nc=%08x, cnonce=\"c0ffee\"\r\n"
		     "Content-Length: 0\r\n\r\n",
		     method, ruri, a->user, a->user, method, hname, a->user, a->realm ? a->realm : "sipgw",
		     a->drop_nonce ? "" : "nonce=\"", a->drop_nonce ? "" : nonce, a->drop_nonce ? "" : "\", ",
		     a->uri, resp, a->alg ? "algorithm=" : "", a->alg ? a->alg : "", a->alg ? ", " : "",
		     a->nc ? a->nc : 1);
	msg = msg_make(sip_default_mclass(), 0, msgtxt, (size_t)n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
	rv = registrar_check(reg, sip_object(msg), !strcmp(method, "INVITE"), source, user, sizeof(user),
			     &rc, &stale);
	CU_ASSERT_EQUAL(rv, rc ? -EACCES : 0);	/* the status rides beside -errno */
	if (rc == 0)
		CU_ASSERT_STRING_EQUAL(user, a->user);
	msg_destroy(msg);
	return rc == 401 || rc == 407 ? (stale ? -rc : rc) : rc;
}

static void fresh_nonce(void)
{
	char chal[512];
	const char *p;

	CU_ASSERT_EQUAL_FATAL(registrar_challenge_value(reg, 401, chal, sizeof(chal)), 0);
	p = strstr(chal, "nonce=\"");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	p += 7;
	snprintf(nonce, sizeof(nonce), "%.*s", (int)strcspn(p, "\""), p);
}

static int reg_setup(void)
{
	config_registrar_defaults(&reg_cfg);
	reg_cfg.enabled = 1;
	strcpy(reg_cfg.users[0].user, "2001");
	strcpy(reg_cfg.users[0].password, "secret1");
	strcpy(reg_cfg.users[1].user, "2002");
	strcpy(reg_cfg.users[1].password, "secret2");
	reg_cfg.n_users = 2;
	su_init();
	root = su_root_create(NULL);
	return root && registrar_alloc(&reg, root, &reg_cfg) == 0 ? 0 : -1;
}

static int reg_teardown(void)
{
	registrar_free(reg);
	su_root_destroy(root);
	su_deinit();
	return 0;
}

#define RURI_REG "sip:127.0.0.1:5070"
#define RURI_2001 "sip:2001@127.0.0.1:5070;user=phone"

static void test_digest_good_answer(void)
{
	struct answer a = { "2001", "secret1", NULL, RURI_REG, NULL };

	fresh_nonce();
	CU_ASSERT_EQUAL(check("REGISTER", RURI_REG, &a, "192.0.2.50"), 0);
	a.alg = "MD5";
	a.nc = 2;
	CU_ASSERT_EQUAL(check("REGISTER", RURI_REG, &a, "192.0.2.50"), 0);
	/* the uri as RFC 3261 19.1.4 compares it: host case does not matter */
	fresh_nonce();
	a.uri = "sip:127.0.0.1:5070";
	a.nc = 1;
	CU_ASSERT_EQUAL(check("REGISTER", "SIP:127.0.0.1:5070", &a, "192.0.2.50"), 0);
}

static void test_digest_uri_must_be_the_request_uri(void)
{
	/* a phone's answer for calling 2001, replayed to call a PSTN number */
	struct answer a = { "2002", "secret2", NULL, RURI_2001, NULL };

	fresh_nonce();
	CU_ASSERT_EQUAL(check("INVITE", "sip:95551234@127.0.0.1:5070;user=phone", &a, "192.0.2.51"), 403);
	fresh_nonce();
	CU_ASSERT_EQUAL(check("INVITE", "sip:2001@127.0.0.1:5070", &a, "192.0.2.51"), 403);	/* user=phone */
	fresh_nonce();
	CU_ASSERT_EQUAL(check("INVITE", RURI_2001, &a, "192.0.2.51"), 0);
}

static void test_digest_other_fields(void)
{
	struct answer a = { "2001", "secret1", NULL, RURI_REG, NULL };

	fresh_nonce();
	a.password = "wrong";
	CU_ASSERT_EQUAL(check("REGISTER", RURI_REG, &a, "192.0.2.52"), 403);
	a.password = "secret1";
	a.user = "9999";	/* no such user */
	CU_ASSERT_EQUAL(check("REGISTER", RURI_REG, &a, "192.0.2.52"), 403);
	a.user = "2001";
	a.alg = "SHA-256";	/* not what we offered */
	CU_ASSERT_EQUAL(check("REGISTER", RURI_REG, &a, "192.0.2.52"), 403);
	a.alg = NULL;
	a.method_in_hash = "INVITE";	/* the hash covers another method */
	CU_ASSERT_EQUAL(check("REGISTER", RURI_REG, &a, "192.0.2.52"), 403);
	a.method_in_hash = NULL;
	a.realm = "elsewhere";	/* another realm's credentials: a fresh challenge */
	CU_ASSERT_EQUAL(check("REGISTER", RURI_REG, &a, "192.0.2.52"), 401);
	a.realm = NULL;
	a.drop_nonce = 1;	/* broken credentials */
	CU_ASSERT_EQUAL(check("REGISTER", RURI_REG, &a, "192.0.2.52"), 400);
	a.drop_nonce = 0;
	CU_ASSERT_EQUAL(check("REGISTER", RURI_REG, &a, "192.0.2.52"), 0);
	/* the same nonce-count again is a replay: stale challenge */
	CU_ASSERT_EQUAL(check("REGISTER", RURI_REG, &a, "192.0.2.52"), -401);
}

static void test_digest_guessing_lockout(void)
{
	struct answer bad = { "2001", "guess", NULL, RURI_REG, NULL };
	struct answer good = { "2001", "secret1", NULL, RURI_REG, NULL };

	fresh_nonce();
	for (unsigned i = 0; i < 30; i++) {
		bad.nc = i + 1;
		CU_ASSERT_EQUAL(check("REGISTER", RURI_REG, &bad, "192.0.2.66"), 403);
	}
	good.nc = 100;
	CU_ASSERT_EQUAL(check("REGISTER", RURI_REG, &good, "192.0.2.66"), 403);	/* blocked */
	good.nc = 101;
	CU_ASSERT_EQUAL(check("REGISTER", RURI_REG, &good, "192.0.2.67"), 0);	/* not this one */
}

int suite_auth_add(void)
{
	static const CU_TestInfo uri_tests[] = {
		{ "RFC 3261 19.1.4 equal examples", test_uri_rfc_examples_equal },
		{ "RFC 3261 19.1.4 different examples", test_uri_rfc_examples_differ },
		{ "unparsable -> -EINVAL", test_uri_unparsable },
		{ "guard: source blocked after attempts", test_guard_source_blocked_after_attempts },
		{ "guard: the window slides", test_guard_window_slides },
		{ "guard: back-off grows, block ends", test_guard_backoff_grows_and_ends },
		{ "guard: user under attack", test_guard_user_under_attack },
		CU_TEST_INFO_NULL,
	};
	static const CU_TestInfo digest_tests[] = {
		{ "good answer (MD5 default, nc, uri equality)", test_digest_good_answer },
		{ "uri must be the Request-URI", test_digest_uri_must_be_the_request_uri },
		{ "password, user, algorithm, method, realm, nonce, replay", test_digest_other_fields },
		{ "30 wrong answers lock out the source only", test_digest_guessing_lockout },
		CU_TEST_INFO_NULL,
	};
	CU_pSuite s;

	if (unit_suite_add("auth", uri_tests))
		return -1;
	s = CU_add_suite("digest", reg_setup, reg_teardown);
	if (!s)
		return -1;
	for (const CU_TestInfo *t = digest_tests; t->pName; t++)
		if (!CU_add_test(s, t->pName, t->pTestFunc))
			return -1;
	return 0;
}
