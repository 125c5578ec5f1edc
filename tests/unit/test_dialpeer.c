/* sipgw - unit tests: dial-peer patterns, lookup order, targets and digit stripping.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/dialpeer.h"
#include "core/number.h"
#include "dsp/codec.h"
#include "route/dialpeer.h"
#include "route/route_check.h"
#include "unit.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct match_case {
	const char *pattern, *number;
	int match;
};

static void check_matches(const struct match_case *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int s = dp_pattern_match(c[i].pattern, c[i].number);

		if ((s >= 0) != c[i].match)
			fprintf(stderr, "\n  pattern %s number %s: score %d, want %s", c[i].pattern,
				c[i].number, s, c[i].match ? "match" : "no match");
		CU_ASSERT_EQUAL(s >= 0, c[i].match);
	}
}

static void test_match_literals_and_dots(void)
{
	static const struct match_case c[] = {
		{ "2001", "2001", 1 }, { "2001", "2002", 0 },
		{ "555", "5551", 0 }, { "555", "55", 0 },	/* whole number, whole pattern */
		{ "2...", "2001", 1 }, { "2...", "200", 0 }, { "2...", "20011", 0 },
		{ "*67.......", "*675551234", 1 }, { "#31#.", "#31#5", 1 },
		{ "....", "12*4", 1 }, { "....", "12+4", 0 },	/* '.' is a dial digit, not '+' */
	};

	check_matches(c, ARRAY_SIZE(c));
}

static void test_match_T(void)
{
	static const struct match_case c[] = {
		{ "9T", "95551234", 1 }, { "9T", "9", 1 }, { "9T", "8555", 0 },
		{ "011T", "01149301234567", 1 }, { "T", "5551234", 1 },
		{ "+T", "+4930123456", 1 }, { "T", "+4930123456", 0 },	/* '+' must be written */
	};

	check_matches(c, ARRAY_SIZE(c));
}

static void test_match_classes(void)
{
	static const struct match_case c[] = {
		{ "[0-9]", "7", 1 }, { "[0-9]", "*", 0 },
		{ "1[2-9]..", "1200", 1 }, { "1[2-9]..", "1100", 0 },
		{ "[0-35]", "0", 1 }, { "[0-35]", "3", 1 }, { "[0-35]", "5", 1 },
		{ "[0-35]", "4", 0 }, { "[0-35]", "6", 0 },
		{ "[^0-4]", "5", 1 }, { "[^0-4]", "3", 0 }, { "[^0-4]", "#", 1 },
		{ "[^0-4]", "+", 0 },	/* negation stays within the dial digits */
		{ "[*#]1", "#1", 1 },
	};

	check_matches(c, ARRAY_SIZE(c));
}

static void test_match_quantifiers(void)
{
	static const struct match_case c[] = {
		/* '+' one or more of the preceding; leading '+' is the E.164 plus */
		{ "1+2", "12", 1 }, { "1+2", "1112", 1 }, { "1+2", "2", 0 },
		{ "+1..........", "+15551234567", 1 }, { "+1..........", "15551234567", 0 },
		{ "++1", "++1", 1 }, { "[2-9]+", "2839", 1 }, { "[2-9]+", "2819", 0 },
		/* '%' zero or more */
		{ "5%", "", 1 }, { "5%", "555", 1 }, { "45%6", "46", 1 }, { "45%6", "45556", 1 },
		{ "45%6", "4576", 0 },
		/* '?' zero or one */
		{ "12?3", "123", 1 }, { "12?3", "13", 1 }, { "12?3", "1223", 0 },
		{ ".?.?.?", "", 1 }, { ".?.?.?", "1234", 0 },
	};

	check_matches(c, ARRAY_SIZE(c));
}

static void test_specificity(void)
{
	int lit = dp_pattern_match("2001", "2001");
	int two_dots = dp_pattern_match("20..", "2001");
	int three_dots = dp_pattern_match("2...", "2001");
	int t = dp_pattern_match("2T", "2001");
	int narrow = dp_pattern_match("2[0-1]..", "2001");
	int wide = dp_pattern_match("2[0-8]..", "2001");

	CU_ASSERT(lit > two_dots);
	CU_ASSERT(two_dots > narrow);	/* a class pins less than a literal */
	CU_ASSERT(narrow > wide);
	CU_ASSERT(wide > three_dots);
	CU_ASSERT(three_dots > t);	/* fixed length beats T */
	CU_ASSERT(t >= 0);
	CU_ASSERT(dp_pattern_match("555+", "5555") < dp_pattern_match("5555", "5555"));
	CU_ASSERT_EQUAL(dp_pattern_match("T", "1"), dp_pattern_match(".T", "1"));
}

static void test_malformed_patterns(void)
{
	static const char *const bad[] = {
		"", "12a", "[", "[]", "[9-2]", "[2-", "[2-9", "1]", "T5", "9TT", "T+", "%1",
		"?", "1++", "1%?", "12(3)", "555 1234", "[1-#]", "[+]", "5,5",
		"1234567890123456789012345678901234567890123456789012345678901234",
	};
	static const char *const good[] = {
		"2...", "9T", "+T", "+%", "[^0-4]", "[0-35]", "1[2-9]..%", "12?3", "t",
		"123456789012345678901234567890123456789012345678901234567890123",
	};
	const char *why;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		why = NULL;
		if (dp_pattern_check(bad[i], &why) != -EINVAL)
			fprintf(stderr, "\n  pattern [%s] accepted", bad[i]);
		CU_ASSERT_EQUAL(dp_pattern_check(bad[i], &why), -EINVAL);
		CU_ASSERT_PTR_NOT_NULL(why);
		CU_ASSERT_EQUAL(dp_pattern_match(bad[i], "1"), -1);
	}
	CU_ASSERT_EQUAL(dp_pattern_check(NULL, NULL), -EINVAL);
	for (i = 0; i < ARRAY_SIZE(good); i++) {
		if (dp_pattern_check(good[i], &why) != 0)
			fprintf(stderr, "\n  pattern [%s] rejected: %s", good[i], why);
		CU_ASSERT_EQUAL(dp_pattern_check(good[i], NULL), 0);
	}
	/* the reason names the problem */
	dp_pattern_check("T5", &why);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "T"));
	dp_pattern_check("[9-2]", &why);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "range"));
	dp_pattern_check("12a", &why);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "character"));
}

static void test_pathological_bounded(void)
{
	char number[DP_NUMBER_MAX + 2];

	/* exponential for a naive backtracker; the matcher is polynomial */
	memset(number, '5', DP_NUMBER_MAX);
	number[DP_NUMBER_MAX] = '\0';
	CU_ASSERT_EQUAL(dp_pattern_match("5%5%5%5%5%5%5%5%5%5%5%5%5%5%5%5%5%5%5%5%6", number), -1);
	CU_ASSERT(dp_pattern_match(".%.%.%.%.%.%.%.%.%.%.%.%.%.%.%.%.%.%.%.%.%", number) >= 0);
	CU_ASSERT(dp_pattern_match("5+5+5+5+5+5+5+5+5+5+5+5+5+5+5+5+5+5+5+5+", number) >= 0);
	/* numbers past DP_NUMBER_MAX never match */
	number[DP_NUMBER_MAX] = '5';
	number[DP_NUMBER_MAX + 1] = '\0';
	CU_ASSERT_EQUAL(dp_pattern_match("T", number), -1);
}

#define POTS(t, pat, pref) { .tag = (t), .type = DP_POTS, .pattern = pat, .preference = (pref) }
#define VOIP(t, pat, pref) { .tag = (t), .type = DP_VOIP, .pattern = pat, .preference = (pref) }

static void test_lookup_longest_match(void)
{
	static const struct dial_peer peers[] = {
		VOIP(1, "2...", 0), VOIP(2, "20..", 0), VOIP(3, "2001", 0), VOIP(4, "3...", 0),
	};
	const struct dial_peer *out[8];

	CU_ASSERT_EQUAL_FATAL(dp_lookup(peers, 4, "2001", -1, out, 8), 3);
	CU_ASSERT_EQUAL(out[0]->tag, 3);
	CU_ASSERT_EQUAL(out[1]->tag, 2);
	CU_ASSERT_EQUAL(out[2]->tag, 1);
	CU_ASSERT_EQUAL_FATAL(dp_lookup(peers, 4, "2002", -1, out, 8), 2);
	CU_ASSERT_EQUAL(out[0]->tag, 2);
	CU_ASSERT_EQUAL(out[1]->tag, 1);
	CU_ASSERT_EQUAL_FATAL(dp_lookup(peers, 4, "2101", -1, out, 8), 1);
	CU_ASSERT_EQUAL(out[0]->tag, 1);
	CU_ASSERT_EQUAL(dp_lookup(peers, 4, "20011", -1, out, 8), 0);
	CU_ASSERT_EQUAL(dp_lookup(peers, 4, "4001", -1, out, 8), 0);
	/* max bounds the answer and keeps the best */
	CU_ASSERT_EQUAL_FATAL(dp_lookup(peers, 4, "2001", -1, out, 1), 1);
	CU_ASSERT_EQUAL(out[0]->tag, 3);
	CU_ASSERT_EQUAL(dp_lookup(peers, 4, "2001", -1, out, 0), 0);
}

static void test_lookup_preference_order(void)
{
	/* same pattern: lower preference first, then lower tag, then config order */
	static const struct dial_peer peers[] = {
		VOIP(10, "5...", 1), VOIP(30, "5...", 0), VOIP(20, "5...", 0),
		VOIP(40, "5...", 2), VOIP(40, "5...", 2), VOIP(5, "5...", 3),
	};
	const struct dial_peer *out[8];

	CU_ASSERT_EQUAL_FATAL(dp_lookup(peers, 6, "5001", DP_VOIP, out, 8), 6);
	CU_ASSERT_EQUAL(out[0]->tag, 20);
	CU_ASSERT_EQUAL(out[1]->tag, 30);
	CU_ASSERT_EQUAL(out[2]->tag, 10);
	CU_ASSERT_PTR_EQUAL(out[3], &peers[3]);
	CU_ASSERT_PTR_EQUAL(out[4], &peers[4]);
	CU_ASSERT_EQUAL(out[5]->tag, 5);
	/* preference never beats a longer match */
	{
		static const struct dial_peer p2[] = { VOIP(1, "5...", 0), VOIP(2, "50..", 9) };

		CU_ASSERT_EQUAL_FATAL(dp_lookup(p2, 2, "5001", -1, out, 8), 2);
		CU_ASSERT_EQUAL(out[0]->tag, 2);
	}
}

static void test_lookup_type_filter(void)
{
	static const struct dial_peer peers[] = {
		POTS(1, "9T", 0), VOIP(2, "9T", 0), POTS(3, "95551234", 0),
	};
	const struct dial_peer *out[8];

	CU_ASSERT_EQUAL_FATAL(dp_lookup(peers, 3, "95551234", DP_POTS, out, 8), 2);
	CU_ASSERT_EQUAL(out[0]->tag, 3);
	CU_ASSERT_EQUAL(out[1]->tag, 1);
	CU_ASSERT_EQUAL_FATAL(dp_lookup(peers, 3, "95551234", DP_VOIP, out, 8), 1);
	CU_ASSERT_EQUAL(out[0]->tag, 2);
	CU_ASSERT_EQUAL(dp_lookup(peers, 3, "95551234", -1, out, 8), 3);
}

static void test_strip_visual(void)
{
	char out[32];

	number_strip_visual(out, sizeof(out), "+1 (555) 123-4567");
	CU_ASSERT_STRING_EQUAL(out, "+15551234567");
	number_strip_visual(out, sizeof(out), "555.123.4567");
	CU_ASSERT_STRING_EQUAL(out, "5551234567");
	number_strip_visual(out, sizeof(out), "*67 #31#");
	CU_ASSERT_STRING_EQUAL(out, "*67#31#");
	number_strip_visual(out, sizeof(out), "1-800-FLOWERS");
	CU_ASSERT_STRING_EQUAL(out, "1800FLOWERS");
	number_strip_visual(out, 5, "+1 (555) 123-4567");	/* truncates, terminated */
	CU_ASSERT_STRING_EQUAL(out, "+155");
	out[0] = 'x';
	number_strip_visual(out, 0, "123");
	CU_ASSERT_EQUAL(out[0], 'x');
}

static struct dial_peer voip(const char *target)
{
	struct dial_peer dp = { .tag = 1, .type = DP_VOIP };

	snprintf(dp.target, sizeof(dp.target), "%s", target);
	return dp;
}

static void test_session_target(void)
{
	static const struct {
		const char *target, *host;
		int port;
	} ok[] = {
		{ "ipv4:10.0.0.1", "10.0.0.1", 5060 },
		{ "ipv4:10.0.0.1:5070", "10.0.0.1", 5070 },
		{ "IPV4:192.168.1.20:1", "192.168.1.20", 1 },
		{ "dns:gw.example.com:5080", "gw.example.com", 5080 },
		{ "DNS:gw-2.example.com", "gw-2.example.com", 5060 },
		{ "proxy.example.com", "proxy.example.com", 5060 },
		{ "proxy:65535", "proxy", 65535 },
		{ "ipv6:[::1]:5060", "::1", 5060 },
		{ "ipv6:[2001:db8::1]:5070", "2001:db8::1", 5070 },
		{ "IPV6:[2001:DB8::1]", "2001:DB8::1", 5060 },
		{ "ipv6:2001:db8::1", "2001:db8::1", 5060 },
		{ "ipv6:::ffff:192.0.2.1", "::ffff:192.0.2.1", 5060 },
		{ "[fd00::5]:5080", "fd00::5", 5080 },
	};
	static const char *const bad[] = {
		"", "ipv4:", "dns:", ":5060", "ipv4:10.0.0.256", "ipv4:gw.example.com",
		"ipv4:1.2.3.4:0", "ipv4:1.2.3.4:65536", "ipv4:1.2.3.4:50a", "ipv4:1.2.3.4:",
		"ipv4:1.2.3.4:5060:1", "dns:bad_host", "dns:-bad.example.com", "dns:a..b",
		"sip:gw.example.com", "gw.example.com ",
		"ipv6:", "ipv6:[]", "ipv6:[::1", "ipv6:[::1]5060", "ipv6:[::1]:", "ipv6:[::1]:0",
		"ipv6:[::1]:65536", "ipv6:[::1]:5060:1", "ipv6:[10.0.0.1]", "ipv6:10.0.0.1", "ipv6:[::g]",
		"ipv6:gw.example.com", "ipv6:[::1%lo]", "ipv4:[::1]:5060", "ipv4:::1", "dns:[gw.example.com]",
		"[::1]x",
	};
	struct dial_peer dp;
	char host[64];
	size_t i;
	int port;

	for (i = 0; i < ARRAY_SIZE(ok); i++) {
		dp = voip(ok[i].target);
		port = -1;
		host[0] = '\0';
		if (dp_session_target(&dp, host, sizeof(host), &port) != 0)
			fprintf(stderr, "\n  target [%s] rejected", ok[i].target);
		CU_ASSERT_EQUAL(dp_session_target(&dp, host, sizeof(host), &port), 0);
		CU_ASSERT_STRING_EQUAL(host, ok[i].host);
		CU_ASSERT_EQUAL(port, ok[i].port);
	}
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		dp = voip(bad[i]);
		if (dp_session_target(&dp, host, sizeof(host), &port) != -EINVAL)
			fprintf(stderr, "\n  target [%s] accepted", bad[i]);
		CU_ASSERT_EQUAL(dp_session_target(&dp, host, sizeof(host), &port), -EINVAL);
	}
	dp = voip("dns:gw.example.com");
	CU_ASSERT_EQUAL(dp_session_target(&dp, host, 14, &port), -ENOSPC);
	CU_ASSERT_EQUAL(dp_session_target(&dp, host, 15, &port), 0);
	dp.type = DP_POTS;
	CU_ASSERT_EQUAL(dp_session_target(&dp, host, sizeof(host), &port), -EINVAL);
	/* session_transport tls: sips:'s default port when the target names none */
	dp = voip("ipv4:10.0.0.1");
	dp.transport = DP_TP_TLS;
	CU_ASSERT_EQUAL(dp_session_target(&dp, host, sizeof(host), &port), 0);
	CU_ASSERT_EQUAL(port, 5061);
	dp = voip("ipv4:10.0.0.1:5071");
	dp.transport = DP_TP_TLS;
	CU_ASSERT_EQUAL(dp_session_target(&dp, host, sizeof(host), &port), 0);
	CU_ASSERT_EQUAL(port, 5071);
}

static struct dial_peer pots(const char *pattern, int fwd, const char *prefix)
{
	struct dial_peer dp = { .tag = 1, .type = DP_POTS, .forward_digits = fwd };

	snprintf(dp.pattern, sizeof(dp.pattern), "%s", pattern);
	snprintf(dp.prefix, sizeof(dp.prefix), "%s", prefix);
	snprintf(dp.port, sizeof(dp.port), "span1");
	return dp;
}

static void test_pots_number(void)
{
	static const struct {
		const char *pattern;
		int fwd;
		const char *prefix, *number, *want;
	} c[] = {
		{ "9T", DP_FWD_DEFAULT, "", "95551234", "5551234" },	/* Cisco: strip the 9 */
		{ "9T", DP_FWD_ALL, "", "95551234", "95551234" },
		{ "9T", 4, "", "95551234", "1234" },
		{ "9T", 20, "", "95551234", "95551234" },
		{ "9T", 0, "", "95551234", "" },
		{ "9T", DP_FWD_DEFAULT, "1", "95551234", "15551234" },
		{ "555....", DP_FWD_DEFAULT, "", "5551234", "1234" },
		{ "5551234", DP_FWD_DEFAULT, "", "5551234", "" },	/* all explicit: all gone */
		{ "5551234", DP_FWD_ALL, "", "5551234", "5551234" },
		{ "[2-9]......", DP_FWD_DEFAULT, "", "5551234", "5551234" },
		{ "91[2-9]..T", DP_FWD_DEFAULT, "", "915551234567", "5551234567" },
		{ "5+1", DP_FWD_DEFAULT, "", "5551", "5551" },	/* quantified: not explicit */
		{ "+1T", DP_FWD_DEFAULT, "", "+15551234567", "5551234567" },
		{ "+1T", DP_FWD_DEFAULT, "011", "+15551234567", "0115551234567" },
	};
	struct dial_peer dp;
	char out[32];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(c); i++) {
		dp = pots(c[i].pattern, c[i].fwd, c[i].prefix);
		strcpy(out, "junk");
		CU_ASSERT_EQUAL(dp_pots_number(&dp, c[i].number, out, sizeof(out)), 0);
		if (strcmp(out, c[i].want))
			fprintf(stderr, "\n  pots %s fwd %d prefix %s number %s: [%s], want [%s]",
				c[i].pattern, c[i].fwd, c[i].prefix, c[i].number, out, c[i].want);
		CU_ASSERT_STRING_EQUAL(out, c[i].want);
	}
	dp = pots("9T", DP_FWD_DEFAULT, "");
	CU_ASSERT_EQUAL(dp_pots_number(&dp, "85551234", out, sizeof(out)), -ENOENT);
	CU_ASSERT_EQUAL(dp_pots_number(&dp, "95551234", out, 7), -ENOSPC);
	CU_ASSERT_EQUAL(dp_pots_number(&dp, "95551234", out, 8), 0);
	dp.forward_digits = -3;
	CU_ASSERT_EQUAL(dp_pots_number(&dp, "95551234", out, sizeof(out)), -EINVAL);
	dp = pots("9T", DP_FWD_DEFAULT, "");
	dp.type = DP_VOIP;
	CU_ASSERT_EQUAL(dp_pots_number(&dp, "95551234", out, sizeof(out)), -EINVAL);
	dp = pots("9[", DP_FWD_DEFAULT, "");
	CU_ASSERT_EQUAL(dp_pots_number(&dp, "95551234", out, sizeof(out)), -EINVAL);
}

static void add_emergency(struct gw_config *cfg, const char *pattern, const char *ext, int line)
{
	struct cfg_emergency_number *en = &cfg->emergency.nums[cfg->emergency.n++];

	snprintf(en->pattern, sizeof(en->pattern), "%s", pattern);
	snprintf(en->extension, sizeof(en->extension), "%s", ext);
	en->line = line;
}

/* Every emergency number without an extension must reach a pots dial-peer;
 * the error names the file and the entry's line, as the loader's errors do. */
static void test_route_config_check(void)
{
	static struct gw_config cfg;
	struct dial_peer peers[2] = { pots("911", DP_FWD_ALL, ""), pots("9T", DP_FWD_DEFAULT, "") };
	char err[256] = "";

	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.file, sizeof(cfg.file), "branch.conf");
	peers[1].tag = 900;
	cfg.peers = peers;
	cfg.n_peers = 2;
	add_emergency(&cfg, "911", "", 7);
	add_emergency(&cfg, "112", "2001", 8);	/* an extension: no dial-peer needed */
	CU_ASSERT_EQUAL(route_config_check(&cfg, err, sizeof(err)), 0);
	CU_ASSERT_PTR_EQUAL(route_emergency(&cfg, "911"), &cfg.emergency.nums[0]);
	CU_ASSERT_PTR_EQUAL(route_emergency(&cfg, "112"), &cfg.emergency.nums[1]);
	CU_ASSERT_PTR_NULL(route_emergency(&cfg, "9911"));

	/* 9T does not take 110, the shortest number 11[02] matches */
	add_emergency(&cfg, "11[02]", "", 9);
	CU_ASSERT_EQUAL(route_config_check(&cfg, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "branch.conf:9: emergency number 11[02]: no pots dial-peer "
			       "matches it and no 'extension' is set");

	/* voip peers do not count, and without peers 911 has nowhere to go */
	cfg.emergency.n = 1;
	peers[0].type = DP_VOIP;
	peers[1].type = DP_VOIP;
	CU_ASSERT_EQUAL(route_config_check(&cfg, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "branch.conf:7: emergency number 911: no pots dial-peer"));
	cfg.n_peers = 0;
	CU_ASSERT_EQUAL(route_config_check(&cfg, err, sizeof(err)), -EINVAL);
}

/* Overlap receiving (Cisco's rule): may more digits still match? */
static void test_pattern_extends(void)
{
	static const struct { const char *pattern, *prefix; int extends; } cases[] = {
		{ "2...", "", 1 }, { "2...", "2", 1 }, { "2...", "200", 1 },
		{ "2...", "2001", 0 },		/* complete: nothing longer matches */
		{ "2...", "3", 0 },		/* can never match */
		{ "2...", "20011", 0 },
		{ "200", "200", 0 }, { "200", "20", 1 },
		{ "5T", "5", 1 }, { "5T", "5551234", 1 },	/* T always takes more */
		{ "9T", "8", 0 },
		{ "[2-4]..", "3", 1 }, { "[2-4]..", "5", 0 }, { "[2-4]..", "399", 0 },
		{ "91%", "9", 1 }, { "91%", "91111", 1 },	/* % repeats without bound */
		{ "91?", "91", 0 }, { "91?", "9", 1 },	/* ? at most one */
		{ "1+", "111", 1 },
		{ "+1..", "+1", 1 }, { "+1..", "+122", 0 },
		{ "[", "1", 0 },		/* malformed: extends nothing */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = dp_pattern_extends(cases[i].pattern, cases[i].prefix);

		if (got != cases[i].extends)
			fprintf(stderr, "\n  %s with %s: extends %d, want %d", cases[i].pattern, cases[i].prefix, got,
				cases[i].extends);
		CU_ASSERT_EQUAL(got, cases[i].extends);
	}
	CU_ASSERT_EQUAL(dp_pattern_extends("2...", NULL), 0);
}

/* The codec names config takes are exactly the codecs dsp/codec.c has (core
 * may not include dsp/, so the list is kept twice and held together here). */
static void test_codec_names_match_codec_table(void)
{
	int n = 0;

	for (int i = 0; dp_codec_name(i); i++, n++) {
		const struct codec_desc *d = codec_by_cfg(dp_codec_name(i));

		CU_ASSERT_PTR_NOT_NULL(d);
		CU_ASSERT(d && d->ops);
	}
	for (int i = 0; codec_nth(i); i++)
		CU_ASSERT(dp_codec_known(codec_nth(i)->cfg));
	CU_ASSERT_PTR_NULL(codec_nth(n));
	CU_ASSERT(dp_codec_known("G722-64"));
	CU_ASSERT(!dp_codec_known("g729r8"));
	CU_ASSERT(!dp_codec_known("telephone-event"));
	CU_ASSERT(!dp_codec_known(NULL));
}

static const CU_TestInfo dialpeer_tests[] = {
	{ "pattern extends (overlap receiving)", test_pattern_extends },
	{ "literals and '.' match whole numbers", test_match_literals_and_dots },
	{ "T matches the rest", test_match_T },
	{ "[ ] classes, ranges, negation", test_match_classes },
	{ "+ % ? quantifiers and the E.164 plus", test_match_quantifiers },
	{ "specificity: literal > class > . > T", test_specificity },
	{ "malformed patterns rejected with a reason", test_malformed_patterns },
	{ "pathological patterns stay bounded", test_pathological_bounded },
	{ "lookup: 2001 beats 20.. beats 2...", test_lookup_longest_match },
	{ "lookup: preference, tag, config order", test_lookup_preference_order },
	{ "lookup: pots/voip filter", test_lookup_type_filter },
	{ "visual separators dropped", test_strip_visual },
	{ "session target parsing", test_session_target },
	{ "pots digit stripping, forward-digits, prefix", test_pots_number },
	{ "route check: emergency numbers reach a pots dial-peer", test_route_config_check },
	{ "codec names = the codec table", test_codec_names_match_codec_table },
	CU_TEST_INFO_NULL,
};

int suite_dialpeer_add(void)
{
	return unit_suite_add("dialpeer", dialpeer_tests);
}
