/* sipgw - unit tests: DAHDI's system.conf parser (core/dahdi_conf.c) and a
 * dahdi span checked against it at config load, each error with file:line.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/dahdi_conf.h"
#include "unit.h"

static const char t1_e1[] =
	"# a T1 card and an E1 card\n"
	"loadzone = us\n"
	"span=1,1,0,esf,b8zs\n"
	"span = 2, 0, 0, ccs, hdb3, crc4   # E1\n"
	"bchan=1-23\n"
	"dchan=24\n"
	"bchan=25-39,41-55\n"
	"hardhdlc=40\n"
	"echocanceller=mg2,1-23\n";

static void test_t1_and_e1_layout(void)
{
	struct dahdi_conf dc;
	const struct dahdi_conf_span *s1, *s2, *sp;
	char err[256] = "";
	int dchan, ts;

	CU_ASSERT_EQUAL_FATAL(dahdi_conf_parse(&dc, "system.conf", t1_e1, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(dc.n_spans, 2);
	s1 = dahdi_conf_span(&dc, 1);
	s2 = dahdi_conf_span(&dc, 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s2);
	CU_ASSERT_PTR_NULL(dahdi_conf_span(&dc, 3));
	CU_ASSERT_EQUAL(s1->kind, DAHDI_LINE_T1);
	CU_ASSERT_EQUAL(s1->base, 1);
	CU_ASSERT_EQUAL(s1->dchan, 24);
	CU_ASSERT_FALSE(s1->hardhdlc);
	CU_ASSERT_EQUAL(s1->bchans, dahdi_conf_pri_bchans(DAHDI_LINE_T1, &dchan));
	CU_ASSERT_EQUAL(dchan, 24);
	CU_ASSERT_EQUAL(s1->line, 3);
	/* the E1's channels follow the T1's 24: timeslot 1 is channel 25, its D on 16 is 40 */
	CU_ASSERT_EQUAL(s2->kind, DAHDI_LINE_E1);
	CU_ASSERT_EQUAL(s2->base, 25);
	CU_ASSERT_EQUAL(s2->dchan, 16);
	CU_ASSERT_TRUE(s2->hardhdlc);
	CU_ASSERT_EQUAL(s2->dchan_line, 8);
	CU_ASSERT_EQUAL(s2->bchans, dahdi_conf_pri_bchans(DAHDI_LINE_E1, &dchan));
	CU_ASSERT_EQUAL(dchan, 16);
	CU_ASSERT_STRING_EQUAL(s2->framing, "ccs");
	CU_ASSERT_EQUAL(dahdi_conf_chan(&dc, 40, &sp, &ts), 0);
	CU_ASSERT_PTR_EQUAL(sp, s2);
	CU_ASSERT_EQUAL(ts, 16);
	CU_ASSERT_EQUAL(dahdi_conf_chan(&dc, 24, &sp, &ts), 0);
	CU_ASSERT_PTR_EQUAL(sp, s1);
	CU_ASSERT_EQUAL(ts, 24);
	CU_ASSERT_EQUAL(dahdi_conf_chan(&dc, 56, &sp, &ts), -ENOENT);
}

static void test_law_overrides(void)
{
	struct dahdi_conf dc;
	char err[256] = "";

	CU_ASSERT_EQUAL_FATAL(dahdi_conf_parse(&dc, "s", "span=1,0,0,esf,b8zs\nbchan=1-23\ndchan=24\n"
					       "alaw=1-2\nmulaw=2\n", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(dahdi_conf_span(&dc, 1)->odd_law, 1u << 1);	/* A-law on timeslot 1 only */
	CU_ASSERT_EQUAL_FATAL(dahdi_conf_parse(&dc, "s", "span=1,0,0,ccs,hdb3\nbchan=1-15,17-31\n"
					       "dchan=16\nalaw=1-31\n", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(dahdi_conf_span(&dc, 1)->odd_law, 0);		/* A-law is an E1's own */
}

/* Parsing text fails with -EINVAL and "name:line: ...what...". */
static void expect_parse_error(const char *text, int line, const char *what)
{
	struct dahdi_conf dc;
	char err[256] = "", prefix[64];
	int rc = dahdi_conf_parse(&dc, "/etc/dahdi/system.conf", text, err, sizeof(err));

	snprintf(prefix, sizeof(prefix), "/etc/dahdi/system.conf:%d: ", line);
	if (rc != -EINVAL || strncmp(err, prefix, strlen(prefix)) || !strstr(err, what))
		fprintf(stderr, "\n  rc %d err \"%s\", want \"%s...%s...\"", rc, err, prefix, what);
	CU_ASSERT_EQUAL(rc, -EINVAL);
	CU_ASSERT_EQUAL(strncmp(err, prefix, strlen(prefix)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, what));
}

static void test_parse_errors(void)
{
	expect_parse_error("span=1,1,0,esf\n", 1, "want span=<span>,<timing>,<lbo>,<framing>,<coding>");
	expect_parse_error("\n\nspan=1,1,0,xyz,b8zs\n", 3, "framing 'xyz' is not esf, d4 (T1), ccs or cas");
	expect_parse_error("span=1,1,0,esf,hdb3\n", 1, "coding 'hdb3' is no T1 line code");
	expect_parse_error("span=1,1,0,ccs,b8zs\n", 1, "coding 'b8zs' is no E1 line code");
	expect_parse_error("span=x,1,0,esf,b8zs\n", 1, "span number 'x' is not 1..128");
	expect_parse_error("span=1,1,0,esf,b8zs\nspan=1,1,0,esf,b8zs\n", 2, "span 1 is defined twice");
	expect_parse_error("span=1,1,0,esf,b8zs\nspan=3,1,0,esf,b8zs\n", 2,
			   "span 3 without span 2 before it");
	expect_parse_error("span=1,1,0,esf,b8zs\nbchan=1-23\ndchan=25\n", 3,
			   "dchan: channel 25 is on no span of this file");
	expect_parse_error("span=1,1,0,esf,b8zs\nbchan=1-24\ndchan=24\n", 3,
			   "channel 24 is both bchan and dchan");
	expect_parse_error("span=1,1,0,esf,b8zs\ndchan=24\nhardhdlc=23\n", 3,
			   "span 1 has a second D-channel");
	expect_parse_error("span=1,1,0,esf,b8zs\nbchan=1-x\n", 2, "'1-x' is no channel or range");
	expect_parse_error("span=1,1,0,esf,b8zs\nbchan 1-23\n", 2, "want key=value");
}

static void test_missing_file(void)
{
	struct dahdi_conf dc;
	char err[256] = "";

	CU_ASSERT_EQUAL(dahdi_conf_load(&dc, "/nonexistent-sipgw/system.conf", err, sizeof(err)),
			-ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent-sipgw/system.conf"));
}

/* A sipgw config with a dahdi span and a system.conf beside it, in a temp dir. */
struct dahdi_files {
	char dir[64], conf[96], sys[96];
};

static void files_write(struct dahdi_files *f, const char *sysconf, const char *spans)
{
	FILE *fp;

	snprintf(f->dir, sizeof(f->dir), "/tmp/sipgw-unit-XXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(f->dir));
	snprintf(f->conf, sizeof(f->conf), "%s/sipgw.conf", f->dir);
	snprintf(f->sys, sizeof(f->sys), "%s/system.conf", f->dir);
	fp = fopen(f->sys, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
	fputs(sysconf, fp);
	fclose(fp);
	fp = fopen(f->conf, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
	fprintf(fp, "dahdi = { system_conf = \"%s\"; };\nspans = (\n%s);\n", f->sys, spans);
	fclose(fp);
}

static void files_remove(struct dahdi_files *f)
{
	unlink(f->conf);
	unlink(f->sys);
	rmdir(f->dir);
}

static void test_dahdi_span_loads(void)
{
	struct dahdi_files f;
	struct gw_config cfg;
	char err[512] = "";

	files_write(&f, t1_e1,
		    "  { name = \"t1\"; type = \"dahdi\"; span = 1; role = \"cpe\"; switchtype = \"dms100\"; },\n"
		    "  { name = \"e1\"; type = \"dahdi\"; span = 2; framing = \"e1\"; switchtype = \"euroisdn\"; }\n");
	CU_ASSERT_EQUAL(config_load(&cfg, f.conf, err, sizeof(err)), 0);
	files_remove(&f);
	if (err[0])
		fprintf(stderr, "\n  %s", err);
	CU_ASSERT_EQUAL_FATAL(cfg.n_spans, 2);
	CU_ASSERT_EQUAL(cfg.spans[0].type, SPAN_DAHDI);
	CU_ASSERT_EQUAL(cfg.spans[0].dahdi_span, 1);
	CU_ASSERT_EQUAL(cfg.spans[0].dahdi_base, 1);
	CU_ASSERT_EQUAL(cfg.spans[0].dahdi_dchan, 24);
	CU_ASSERT_EQUAL(cfg.spans[0].role, ROLE_CPE);
	CU_ASSERT_EQUAL(cfg.spans[1].dahdi_base, 25);
	CU_ASSERT_EQUAL(cfg.spans[1].dahdi_dchan, 16);
	CU_ASSERT_TRUE(cfg.spans[1].dahdi_hardhdlc);
	CU_ASSERT_EQUAL(cfg.spans[1].dahdi_bchans, 0xfffffffeu & ~(1u << 16));
	config_free(&cfg);
}

/* config_load fails with "<file>:<line>: ...what..." where file is sipgw.conf
 * (sys = 0) or the system.conf (sys = 1). */
static void expect_span_error(const char *sysconf, const char *spans, int sys, int line,
			      const char *what)
{
	struct dahdi_files f;
	struct gw_config cfg;
	char err[512] = "", prefix[128];
	int rc;

	files_write(&f, sysconf, spans);
	rc = config_load(&cfg, f.conf, err, sizeof(err));
	snprintf(prefix, sizeof(prefix), "%s:%d: ", sys ? f.sys : f.conf, line);
	files_remove(&f);
	if (rc != -EINVAL || strncmp(err, prefix, strlen(prefix)) || !strstr(err, what))
		fprintf(stderr, "\n  rc %d err \"%s\", want \"%s...%s...\"", rc, err, prefix, what);
	CU_ASSERT_EQUAL(rc, -EINVAL);
	CU_ASSERT_EQUAL(strncmp(err, prefix, strlen(prefix)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, what));
	if (rc == 0)
		config_free(&cfg);
}

static void test_dahdi_span_mismatch(void)
{
	static const char t1[] = "span=1,1,0,esf,b8zs\nbchan=1-23\ndchan=24\n";

	/* sipgw.conf line 3 is the span's group */
	expect_span_error(t1, "  { name = \"card\"; type = \"dahdi\"; span = 2; }\n", 0, 3,
			  "span 'card': DAHDI span 2 is not in");
	expect_span_error(t1, "  { name = \"card\"; type = \"dahdi\"; }\n", 0, 3,
			  "a dahdi span needs 'span'");
	expect_span_error(t1, "  { name = \"card\"; type = \"dahdi\"; span = 1; path = \"/tmp/x\"; }\n",
			  0, 3, "a dahdi span takes 'span'");
	expect_span_error(t1, "  { name = \"card\"; type = \"dahdi\"; span = 1; framing = \"e1\"; }\n",
			  0, 3, "framing \"e1\", but");
	expect_span_error(t1, "  { name = \"card\"; type = \"dahdi\"; span = 1; framing = \"e1\"; }\n",
			  0, 3, "system.conf:1 makes DAHDI span 1 a T1 (esf,b8zs)");
	expect_span_error("span=1,1,0,esf,b8zs\nbchan=1-23\ndchan=24\nalaw=1-23\n",
			  "  { name = \"card\"; type = \"dahdi\"; span = 1; }\n", 0, 3,
			  "turns B-channels of DAHDI span 1 to A-law");
	expect_span_error("span=1,1,0,esf,b8zs\nbchan=1-22\ndchan=24\n",
			  "  { name = \"card\"; type = \"dahdi\"; span = 1; }\n", 0, 3,
			  "system.conf:2: DAHDI span 1's bchan= lines do not give every B-channel");
	expect_span_error("span=1,1,0,esf,b8zs\nbchan=1-23\n",
			  "  { name = \"card\"; type = \"dahdi\"; span = 1; }\n", 0, 3,
			  "has no dchan= or hardhdlc=");
	expect_span_error(t1, "  { name = \"a\"; type = \"dahdi\"; span = 1; },\n"
			  "  { name = \"b\"; type = \"dahdi\"; span = 1; }\n", 0, 4,
			  "span 'b': DAHDI span 1 is span 'a' already");
	expect_span_error(t1, "  { name = \"lb\"; type = \"loopback\"; path = \"/tmp/x\"; span = 1; }\n",
			  0, 3, "a loopback span has none");
	/* an error inside system.conf names system.conf's own line */
	expect_span_error("span=1,1,0,esf,b8zs\nbchan=1-23\ndchan=99\n",
			  "  { name = \"card\"; type = \"dahdi\"; span = 1; }\n", 1, 3,
			  "channel 99 is on no span");
}

/* NFAS on cards: the spans without a D-channel are bchan=1-24 in
 * system.conf, and a D-channel there is an error. */
static void test_dahdi_nfas(void)
{
	static const char sys[] = "span=1,1,0,esf,b8zs\nbchan=1-23\ndchan=24\n"
				  "span=2,0,0,esf,b8zs\nbchan=25-48\n";
	struct dahdi_files f;
	struct gw_config cfg;
	char err[512] = "";

	files_write(&f, sys,
		    "  { name = \"p\"; type = \"dahdi\"; span = 1; nfas_group = 1; nfas_int = 0; },\n"
		    "  { name = \"n\"; type = \"dahdi\"; span = 2; nfas_group = 1; nfas_d = \"none\"; nfas_int = 1; }\n");
	CU_ASSERT_EQUAL(config_load(&cfg, f.conf, err, sizeof(err)), 0);
	files_remove(&f);
	if (err[0])
		fprintf(stderr, "\n  %s", err);
	CU_ASSERT_EQUAL_FATAL(cfg.n_spans, 2);
	CU_ASSERT_EQUAL(cfg.spans[0].dahdi_dchan, 24);
	CU_ASSERT_EQUAL(cfg.spans[1].dahdi_dchan, 0);
	CU_ASSERT_EQUAL(cfg.spans[1].dahdi_base, 25);
	CU_ASSERT_EQUAL(cfg.spans[1].dahdi_bchans, 0x01fffffeu);
	config_free(&cfg);
	expect_span_error("span=1,1,0,esf,b8zs\nbchan=1-23\ndchan=24\n",
			  "  { name = \"n\"; type = \"dahdi\"; span = 1; nfas_group = 1; nfas_d = \"none\"; "
			  "nfas_int = 1; }\n", 0, 3, "nfas_d = \"none\", but");
	/* a primary still needs its D-channel */
	expect_span_error("span=1,1,0,esf,b8zs\nbchan=1-24\n",
			  "  { name = \"p\"; type = \"dahdi\"; span = 1; nfas_group = 1; nfas_int = 0; }\n",
			  0, 3, "has no dchan= or hardhdlc=");
}

static void test_dahdi_system_conf_missing(void)
{
	struct gw_config cfg;
	char dir[64] = "/tmp/sipgw-unit-XXXXXX", path[96], err[512] = "", prefix[128];
	FILE *fp;
	int rc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sipgw.conf", dir);
	fp = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
	fputs("dahdi = { system_conf = \"/nonexistent-sipgw/system.conf\"; };\n"
	      "spans = (\n  { name = \"card\"; type = \"dahdi\"; span = 1; }\n);\n", fp);
	fclose(fp);
	rc = config_load(&cfg, path, err, sizeof(err));
	unlink(path);
	rmdir(dir);
	snprintf(prefix, sizeof(prefix), "%s:3: ", path);
	CU_ASSERT_EQUAL(rc, -EINVAL);
	CU_ASSERT_EQUAL(strncmp(err, prefix, strlen(prefix)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "cannot read DAHDI's system.conf /nonexistent-sipgw/system.conf"));
}

/* The samples in conf/ (run from the tree's top, as make unit does): DAHDI's
 * system.conf for a T1 and an E1 card, and the sipgw config naming them. */
static void test_samples_load(void)
{
	struct dahdi_conf dc;
	struct dahdi_files f;
	struct gw_config cfg;
	char err[512] = "", *text, *at;
	const char *sys = "conf/dahdi-system.conf", *key = "/etc/dahdi/system.conf";
	FILE *fp = fopen("conf/sipgw-dahdi.conf", "r");
	long n;

	CU_ASSERT_EQUAL_FATAL(dahdi_conf_load(&dc, sys, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(dc.n_spans, 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	text = calloc(1, (size_t)n + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_EQUAL(fread(text, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	/* the sample's system.conf in place of /etc/dahdi's */
	at = strstr(text, key);
	CU_ASSERT_PTR_NOT_NULL_FATAL(at);
	files_write(&f, "", "");
	fp = fopen(f.conf, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
	fprintf(fp, "%.*s%s/%s%s", (int)(at - text), text, getcwd(err, sizeof(err)), sys, at + strlen(key));
	fclose(fp);
	free(text);
	err[0] = 0;
	CU_ASSERT_EQUAL(config_load(&cfg, f.conf, err, sizeof(err)), 0);
	if (err[0])
		fprintf(stderr, "\n  %s", err);
	files_remove(&f);
	CU_ASSERT_EQUAL_FATAL(cfg.n_spans, 2);
	CU_ASSERT_EQUAL(cfg.spans[0].dahdi_base, 1);
	CU_ASSERT_EQUAL(cfg.spans[1].dahdi_base, 25);
	CU_ASSERT_EQUAL(cfg.spans[1].dahdi_dchan, 16);
	config_free(&cfg);
}

int suite_dahdi_conf_add(void)
{
	static const CU_TestInfo tests[] = {
		{ "T1 and E1 spans: channel numbers span after span", test_t1_and_e1_layout },
		{ "alaw= / mulaw= against the line's own law", test_law_overrides },
		{ "system.conf errors name file:line", test_parse_errors },
		{ "system.conf missing", test_missing_file },
		{ "dahdi spans load from system.conf", test_dahdi_span_loads },
		{ "dahdi span disagreeing with system.conf: file:line", test_dahdi_span_mismatch },
		{ "NFAS spans without a D-channel", test_dahdi_nfas },
		{ "dahdi span, system.conf missing: file:line", test_dahdi_system_conf_missing },
		{ "conf/sipgw-dahdi.conf with conf/dahdi-system.conf loads", test_samples_load },
		CU_TEST_INFO_NULL,
	};

	return unit_suite_add("dahdi_conf", tests);
}
