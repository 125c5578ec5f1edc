/* sipgw - unit tests: the limits sized for a full chassis (issue 14 item 1):
 * 128 spans load, 129 are an error at the spans line, DAHDI's 1,024
 * channels are an error at the system.conf line past them, routing keeps
 * every span's state past the 32nd, and RLIMIT_NOFILE is raised to what the
 * config needs. SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "config_test.h"
#include "core/config.h"
#include "core/dahdi_conf.h"
#include "core/limits.h"
#include "route/route_legs.h"
#include "unit.h"

/* A config of n loopback spans s1..sn (E1 from the first 'e1_from' on, T1
 * before), a trunk group of them all and a pots dial-peer on it. */
static char *many_spans(int n, int e1_from)
{
	size_t cap = 256 + (size_t)n * 160, o = 0;
	char *t = malloc(cap);

	if (!t)
		return NULL;
	o += (size_t)snprintf(t + o, cap - o, "spans = (\n");
	for (int i = 1; i <= n; i++)
		o += (size_t)snprintf(t + o, cap - o, "  { name = \"s%d\"; type = \"loopback\"; path = \"/tmp/s%d\";%s }%s\n",
				      i, i, i >= e1_from ? " framing = \"e1\"; switchtype = \"euroisdn\";" : "",
				      i < n ? "," : "");
	o += (size_t)snprintf(t + o, cap - o, ");\ntrunk_groups = ( { name = \"all\"; spans = [ ");
	for (int i = 1; i <= n; i++)
		o += (size_t)snprintf(t + o, cap - o, "%s\"s%d\"", i > 1 ? ", " : "", i);
	snprintf(t + o, cap - o, " ]; } );\ndial_peers = ( { tag = 1; type = \"pots\"; "
		 "destination_pattern = \"9T\"; port = \"all\"; } );\n");
	return t;
}

static void test_128_spans_load(void)
{
	struct gw_config cfg;
	char err[256];
	char *text = many_spans(CFG_MAX_SPANS, 2);
	int rc;

	CU_ASSERT_EQUAL_FATAL(CFG_MAX_SPANS, 128);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	rc = load_text(&cfg, text, err, sizeof(err), NULL, 0);
	free(text);
	if (rc)
		fprintf(stderr, "\n  %s", err);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(cfg.n_spans, 128);
	CU_ASSERT_STRING_EQUAL(cfg.spans[127].name, "s128");
	CU_ASSERT_EQUAL(cfg.spans[127].framing, FRAMING_E1);
	CU_ASSERT_EQUAL(config_span_bchans(&cfg.spans[0]), 23);	/* T1 */
	CU_ASSERT_EQUAL(config_span_bchans(&cfg.spans[1]), 30);	/* E1 */
	CU_ASSERT_EQUAL(config_bchans(&cfg), 23 + 127 * 30);
	CU_ASSERT_EQUAL_FATAL(cfg.n_tgs, 1);
	CU_ASSERT_EQUAL(cfg.tgs[0].n_spans, 128);
	CU_ASSERT_STRING_EQUAL(cfg.tgs[0].spans[127], "s128");
	CU_ASSERT_PTR_NOT_NULL(config_span(&cfg, "s128"));
	config_free(&cfg);
}

static void test_129_spans_refused(void)
{
	char *text = many_spans(CFG_MAX_SPANS + 1, 1);

	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	expect_error(text, 1, "129 spans: at most 128");
	free(text);
}

/* 129 dahdi spans: refused at the spans line before system.conf is read. */
static void test_129_dahdi_spans_refused(void)
{
	size_t cap = 129 * 80 + 256, o = 0;
	char *t = malloc(cap);

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	o += (size_t)snprintf(t + o, cap - o, "dahdi = { system_conf = \"/nonexistent/system.conf\"; };\n"
			      "spans = (\n");
	for (int i = 1; i <= 129; i++)
		o += (size_t)snprintf(t + o, cap - o, "  { name = \"d%d\"; type = \"dahdi\"; span = %d; }%s\n", i, i,
				      i < 129 ? "," : "");
	snprintf(t + o, cap - o, ");\n");
	expect_error(t, 2, "129 spans: at most 128 (DAHDI's own limit");
	free(t);
}

/* A trunk group naming more spans than there can be is an error at its list. */
static void test_trunk_group_too_many(void)
{
	size_t cap = 129 * 8 + 256, o = 0;
	char *t = malloc(cap);

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	o += (size_t)snprintf(t + o, cap - o, "spans = ( { name = \"s1\"; type = \"loopback\"; path = \"/tmp/s1\"; } );\n"
			      "trunk_groups = ( { name = \"tg\";\n  spans = [ ");
	for (int i = 0; i < 129; i++)
		o += (size_t)snprintf(t + o, cap - o, "%s\"s1\"", i ? ", " : "");
	snprintf(t + o, cap - o, " ]; } );\n");
	expect_error(t, 3, "trunk group 'tg': 129 spans, at most 128");
	free(t);
}

/* system.conf of n E1 PRIs, as dahdi_cfg reads it for a chassis of cards. */
static char *e1_system_conf(int n)
{
	size_t cap = (size_t)n * 80 + 64, o = 0;
	char *t = malloc(cap);

	if (!t)
		return NULL;
	for (int i = 1; i <= n; i++)
		o += (size_t)snprintf(t + o, cap - o, "span=%d,%d,0,ccs,hdb3,crc4\n", i, i == 1);
	for (int i = 0; i < n; i++) {
		int b = 1 + 31 * i;

		o += (size_t)snprintf(t + o, cap - o, "bchan=%d-%d,%d-%d\nhardhdlc=%d\n", b, b + 14, b + 16, b + 30,
				      b + 15);
	}
	return t;
}

/* DAHDI numbers at most 1,024 channels: 33 E1s (1,023) fit, a 34th is an
 * error at its span= line; a span number past 128 is one too. */
static void test_dahdi_channel_limit(void)
{
	struct dahdi_conf *dc = calloc(1, sizeof(*dc));
	char err[256];
	char *t = e1_system_conf(33);

	CU_ASSERT_PTR_NOT_NULL_FATAL(dc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(dahdi_conf_parse(dc, "system.conf", t, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(dc->n_spans, 33);
	CU_ASSERT_EQUAL(dc->spans[32].base, 993);
	CU_ASSERT_EQUAL(dc->spans[32].bchans, dahdi_conf_pri_bchans(DAHDI_LINE_E1, &(int){ 0 }));
	free(t);

	/* the 34th span's channel lines are past the end (line 34 + 33 * 2 + 1) */
	t = e1_system_conf(34);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(dahdi_conf_parse(dc, "system.conf", t, err, sizeof(err)), -EINVAL);
	if (!strstr(err, "system.conf:101: bchan=1024-1038: channel 1038 is past DAHDI's 1024 channels"))
		fprintf(stderr, "\n  %s", err);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "system.conf:101: bchan=1024-1038: channel 1038 is past "
				      "DAHDI's 1024 channels"));
	/* and the span line itself, when no channel line names its channels */
	t[strstr(t, "bchan=") - t] = 0;
	CU_ASSERT_EQUAL(dahdi_conf_parse(dc, "system.conf", t, err, sizeof(err)), -EINVAL);
	if (!strstr(err, "system.conf:34: span 34 would have channels 1024-1054: DAHDI has 1024 channels at most"))
		fprintf(stderr, "\n  %s", err);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "system.conf:34: span 34 would have channels 1024-1054: DAHDI has "
				      "1024 channels at most"));
	free(t);

	CU_ASSERT_EQUAL(dahdi_conf_parse(dc, "system.conf", "span=129,0,0,esf,b8zs\n", err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "system.conf:1: span number '129' is not 1..128"));
	free(dc);
}

/* 33 dahdi E1 spans, a full 1,024-channel DAHDI, load from sipgw.conf. */
static void test_dahdi_chassis_loads(void)
{
	char dir[] = "/tmp/sipgw-unit-XXXXXX", sys[64], *t, *text;
	size_t cap = 33 * 100 + 256, o = 0;
	struct gw_config cfg;
	char err[256];
	FILE *f;
	int rc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(sys, sizeof(sys), "%s/system.conf", dir);
	t = e1_system_conf(33);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f = fopen(sys, "w"));
	fputs(t, f);
	fclose(f);
	free(t);
	text = malloc(cap);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	o += (size_t)snprintf(text + o, cap - o, "dahdi = { system_conf = \"%s\"; };\nspans = (\n", sys);
	for (int i = 1; i <= 33; i++)
		o += (size_t)snprintf(text + o, cap - o, "  { name = \"d%d\"; type = \"dahdi\"; span = %d; "
				      "framing = \"e1\"; switchtype = \"euroisdn\"; }%s\n", i, i, i < 33 ? "," : "");
	snprintf(text + o, cap - o, ");\n");
	rc = load_text(&cfg, text, err, sizeof(err), NULL, 0);
	free(text);
	unlink(sys);
	rmdir(dir);
	if (rc)
		fprintf(stderr, "\n  %s", err);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(cfg.n_spans, 33);
	CU_ASSERT_EQUAL(cfg.spans[32].dahdi_base, 993);
	CU_ASSERT_EQUAL(config_bchans(&cfg), 990);
	config_free(&cfg);
}

/* Routing's per-span state past what a 32-bit mask held: span 100 retired
 * leaves span 36 (100 mod 32 + 32) alone. */
static void test_route_legs_128_spans(void)
{
	static struct route_legs rl;	/* zeroed; spans are only compared, never read */
	static char fake[CFG_MAX_SPANS + 1];

	memset(&rl, 0, sizeof(rl));
	for (int i = 0; i < CFG_MAX_SPANS; i++)
		CU_ASSERT_EQUAL(route_legs_add_span(&rl, (struct span *)&fake[i]), 0);
	CU_ASSERT_EQUAL(route_legs_add_span(&rl, (struct span *)&fake[CFG_MAX_SPANS]), -ENOSPC);
	CU_ASSERT_EQUAL(rl.n_spans, 128);
	route_legs_retire_span(&rl, (struct span *)&fake[100], 1);
	CU_ASSERT_TRUE(route_legs_retired(&rl, 100));
	CU_ASSERT_FALSE(route_legs_retired(&rl, 36));
	CU_ASSERT_FALSE(route_legs_retired(&rl, 4));
	CU_ASSERT_EQUAL(rl.n_retired, 1);
	route_legs_retire_span(&rl, (struct span *)&fake[100], 1);	/* twice: counted once */
	CU_ASSERT_EQUAL(rl.n_retired, 1);
	route_legs_retire_span(&rl, (struct span *)&fake[100], 0);
	CU_ASSERT_FALSE(route_legs_retired(&rl, 100));
	CU_ASSERT_EQUAL(rl.n_retired, 0);
}

static void test_fds_needed(void)
{
	/* 32 E1 loopback spans (960 calls): base + 4 a span + 5 a B-channel */
	CU_ASSERT_EQUAL(limits_fds_needed(32, 960), 256 + 32 * 4 + 960 * 5);
	CU_ASSERT_EQUAL(limits_fds_needed(0, 0), 256);
	CU_ASSERT_EQUAL(limits_fds_needed(-1, -1), 256);
}

static void test_rtp_pairs(void)
{
	CU_ASSERT_EQUAL(limits_rtp_pairs(16384, 32767), 8192);	/* the default: 8 x 1,024 calls */
	CU_ASSERT_EQUAL(limits_rtp_pairs(30000, 39999), 5000);
	CU_ASSERT_EQUAL(limits_rtp_pairs(30001, 30003), 1);	/* 30002/30003 */
	CU_ASSERT_EQUAL(limits_rtp_pairs(30000, 30000), 0);	/* no room for RTCP */
	CU_ASSERT_EQUAL(limits_rtp_pairs(0, 0), -1);
}

/* The soft limit goes up to what is needed, never past the hard limit, never down. */
static void test_raise_nofile(void)
{
	struct rlimit old, low, now;
	unsigned long was, is;

	CU_ASSERT_EQUAL_FATAL(getrlimit(RLIMIT_NOFILE, &old), 0);
	if (old.rlim_max != RLIM_INFINITY && old.rlim_max < 300)
		return;	/* too tight a box to test on */
	low = old;
	low.rlim_cur = 128;
	CU_ASSERT_EQUAL_FATAL(setrlimit(RLIMIT_NOFILE, &low), 0);
	CU_ASSERT_EQUAL(limits_raise_nofile(200, &was, &is), 0);
	CU_ASSERT_EQUAL(was, 128);
	CU_ASSERT_EQUAL(is, 200);
	CU_ASSERT_EQUAL(getrlimit(RLIMIT_NOFILE, &now), 0);
	CU_ASSERT_EQUAL(now.rlim_cur, 200);
	CU_ASSERT_EQUAL(limits_raise_nofile(150, &was, &is), 0);	/* enough already: left alone */
	CU_ASSERT_EQUAL(was, 200);
	CU_ASSERT_EQUAL(is, 200);
	if (old.rlim_max != RLIM_INFINITY) {
		CU_ASSERT_EQUAL(limits_raise_nofile((unsigned long)old.rlim_max + 1000, &was, &is), 0);
		CU_ASSERT_EQUAL(is, (unsigned long)old.rlim_max);
	}
	CU_ASSERT_EQUAL(setrlimit(RLIMIT_NOFILE, &old), 0);
}

int suite_config_limits_add(void)
{
	static const CU_TestInfo tests[] = {
		{ "128 spans (and a trunk group of them) load", test_128_spans_load },
		{ "129 spans: error at the spans line", test_129_spans_refused },
		{ "129 dahdi spans: error at the spans line", test_129_dahdi_spans_refused },
		{ "trunk group of 129 spans: error at its list", test_trunk_group_too_many },
		{ "system.conf past DAHDI's 1,024 channels or span 128: error at the line", test_dahdi_channel_limit },
		{ "33 dahdi E1 spans (1,023 DAHDI channels) load", test_dahdi_chassis_loads },
		{ "routing keeps 128 spans' retired state", test_route_legs_128_spans },
		{ "fds a config needs", test_fds_needed },
		{ "RTP port pairs of a range", test_rtp_pairs },
		{ "RLIMIT_NOFILE raised to need, capped by the hard limit", test_raise_nofile },
		CU_TEST_INFO_NULL,
	};

	return unit_suite_add("config_limits", tests);
}
