/* sipgw - unit tests: the libconfig loader, its defaults and every error with file:line.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


#include "config_test.h"
#include "core/config.h"
#include "route/route_check.h"
#include "unit.h"

/* One config file in its own mkdtemp directory, removed after the load. */
struct conf_file {
	char dir[64];
	char path[96];
};

static int conf_write(struct conf_file *f, const char *text)
{
	FILE *fp;

	snprintf(f->dir, sizeof(f->dir), "/tmp/sipgw-unit-XXXXXX");
	if (!mkdtemp(f->dir))
		return -errno;
	snprintf(f->path, sizeof(f->path), "%s/sipgw.conf", f->dir);
	fp = fopen(f->path, "w");
	if (!fp) {
		rmdir(f->dir);
		return -errno;
	}
	fputs(text, fp);
	fclose(fp);
	return 0;
}

static void conf_remove(struct conf_file *f)
{
	unlink(f->path);
	rmdir(f->dir);
}

/* Load text as sipgw does (config_load, then routing's route_config_check, so
 * an emergency number with nowhere to go fails here too); the caller
 * config_free()s on success. */
int load_text(struct gw_config *cfg, const char *text, char *err, size_t errlen,
	      char *path, size_t pathlen)
{
	struct conf_file f;
	int rc;

	CU_ASSERT_EQUAL_FATAL(conf_write(&f, text), 0);
	err[0] = 0;
	rc = route_config_load(cfg, f.path, err, errlen);
	if (path)
		snprintf(path, pathlen, "%s", f.path);
	conf_remove(&f);
	return rc;
}

/* The load fails with -EINVAL, "<file>:<line>: ..." containing what, and
 * leaves nothing allocated. */
void expect_error(const char *text, int line, const char *what)
{
	struct gw_config cfg;
	char err[256], path[96], prefix[128];
	int rc = load_text(&cfg, text, err, sizeof(err), path, sizeof(path));

	snprintf(prefix, sizeof(prefix), "%s:%d: ", path, line);
	if (rc != -EINVAL || strncmp(err, prefix, strlen(prefix)) || !strstr(err, what))
		fprintf(stderr, "\n  rc %d err \"%s\", want -EINVAL \"%s...%s...\"", rc, err, prefix,
			what);
	CU_ASSERT_EQUAL(rc, -EINVAL);
	CU_ASSERT_EQUAL(strncmp(err, prefix, strlen(prefix)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, what));
	CU_ASSERT_PTR_NULL(cfg.peers);
	CU_ASSERT_EQUAL(cfg.n_peers, 0);
	if (rc == 0)
		config_free(&cfg);
}

static void test_default_conf_loads(void)
{
	const char *srcdir = getenv("SIPGW_SRCDIR");
	struct gw_config cfg;
	const struct cfg_span *sp;
	char path[512], err[256] = "";
	int rc;

	snprintf(path, sizeof(path), "%s/conf/sipgw.conf", srcdir ? srcdir : ".");
	rc = config_load(&cfg, path, err, sizeof(err));
	if (rc)
		fprintf(stderr, "\n  %s", err);
	CU_ASSERT_EQUAL_FATAL(rc, 0);

	CU_ASSERT_EQUAL(cfg.log_level, LOG_LVL_INFO);
	CU_ASSERT_EQUAL(cfg.log_syslog, 0);
	CU_ASSERT_STRING_EQUAL(cfg.sip_bind, "127.0.0.1");
	CU_ASSERT_EQUAL(cfg.sip_port, 5070);
	CU_ASSERT_STRING_EQUAL(cfg.sip_user_agent, "sipgw");
	CU_ASSERT_STRING_EQUAL(cfg.rtp_ip, "127.0.0.1");
	CU_ASSERT_EQUAL(cfg.rtp_port_min, 20000);
	CU_ASSERT_EQUAL(cfg.rtp_port_max, 20999);
	CU_ASSERT_EQUAL(cfg.timers.ring_no_answer_ms, 30000);
	CU_ASSERT_EQUAL(cfg.timers.shutdown_grace_ms, 2000);

	CU_ASSERT_EQUAL(cfg.n_spans, 1);
	sp = config_span(&cfg, "pbx-a");
	CU_ASSERT_PTR_EQUAL(sp, &cfg.spans[0]);
	CU_ASSERT_PTR_NULL(config_span(&cfg, "pbx-b"));
	CU_ASSERT_EQUAL(cfg.spans[0].type, SPAN_LOOPBACK);
	CU_ASSERT_STRING_EQUAL(cfg.spans[0].path, "/tmp/sipgw-pbx-a");
	CU_ASSERT_EQUAL(cfg.spans[0].role, ROLE_NETWORK);
	CU_ASSERT_EQUAL(cfg.spans[0].switchtype, SWITCH_NI2);
	CU_ASSERT_STRING_EQUAL(cfg.spans[0].switch_name, "ni2");
	CU_ASSERT_EQUAL(cfg.spans[0].framing, FRAMING_T1);
	CU_ASSERT_STRING_EQUAL(span_framing_name(cfg.spans[0].framing), "T1");
	CU_ASSERT_EQUAL(cfg.spans[0].hunt, HUNT_ASCENDING);
	CU_ASSERT_EQUAL(cfg.n_tgs, 0);

	CU_ASSERT_EQUAL_FATAL(cfg.n_peers, 4);
	CU_ASSERT_EQUAL(cfg.peers[0].tag, 99);
	CU_ASSERT_TRUE(dp_targets_registrar(&cfg.peers[0]));
	CU_ASSERT_EQUAL(cfg.peers[2].tag, 900);
	CU_ASSERT_EQUAL(cfg.peers[2].type, DP_POTS);
	CU_ASSERT_STRING_EQUAL(cfg.peers[2].pattern, "9T");
	CU_ASSERT_STRING_EQUAL(cfg.peers[2].port, "pbx-a");
	CU_ASSERT_EQUAL(cfg.peers[2].ton | cfg.peers[2].npi, 0x01);	/* unknown, ISDN */
	CU_ASSERT_EQUAL(cfg.sip_trusted.n, 1);
	CU_ASSERT_TRUE(cfg_list_match_addr(&cfg.sip_trusted, "127.0.0.1"));
	CU_ASSERT_FALSE(cfg_list_match_addr(&cfg.sip_trusted, "127.0.0.2"));
	CU_ASSERT_FALSE(cfg_list_match_addr(&cfg.sip_trusted, "::1"));
	CU_ASSERT_EQUAL(cfg.peers[1].tag, 100);
	CU_ASSERT_EQUAL(cfg.peers[1].type, DP_VOIP);
	CU_ASSERT_STRING_EQUAL(cfg.peers[1].pattern, "2...");
	CU_ASSERT_STRING_EQUAL(cfg.peers[1].target, "ipv4:127.0.0.1:5062");
	CU_ASSERT_EQUAL(cfg.peers[1].preference, 1);
	CU_ASSERT_EQUAL(cfg.peers[1].forward_digits, DP_FWD_DEFAULT);
	CU_ASSERT_EQUAL(cfg.peers[3].forward_digits, DP_FWD_ALL);
	CU_ASSERT_TRUE(cfg.reg.enabled);
	CU_ASSERT_EQUAL(cfg.reg.n_users, 2);
	CU_ASSERT_EQUAL(cfg.emergency.n, 2);
	CU_ASSERT_EQUAL(cfg.emergency.reserved_channels, 1);
	config_free(&cfg);
	CU_ASSERT_PTR_NULL(cfg.peers);
	CU_ASSERT_EQUAL(cfg.n_peers, 0);
}

static void test_empty_file_gives_defaults(void)
{
	struct gw_config cfg;
	char err[256];

	CU_ASSERT_EQUAL_FATAL(load_text(&cfg, "# nothing\n", err, sizeof(err), NULL, 0), 0);
	CU_ASSERT_EQUAL(cfg.sip_port, 5060);
	CU_ASSERT_EQUAL(cfg.timers.ring_no_answer_ms, 60000);
	CU_ASSERT_EQUAL(cfg.timers.shutdown_grace_ms, 2000);
	CU_ASSERT_EQUAL(cfg.n_spans, 0);
	CU_ASSERT_EQUAL(cfg.n_peers, 0);
	config_free(&cfg);
}

static void test_e1_euroisdn_span(void)
{
	static const char text[] =
		"spans = (\n"
		"  {\n"
		"    name = \"pbx-e1\";\n"
		"    type = \"loopback\";\n"
		"    path = \"/tmp/sipgw-e1\";\n"
		"    role = \"cpe\";\n"
		"    switchtype = \"euroisdn\";\n"
		"    framing = \"e1\";\n"
		"    hunt = \"descending\";\n"
		"  }\n"
		");\n";
	struct gw_config cfg;
	char err[256];
	int rc = load_text(&cfg, text, err, sizeof(err), NULL, 0);

	if (rc)
		fprintf(stderr, "\n  %s", err);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(cfg.n_spans, 1);
	CU_ASSERT_STRING_EQUAL(cfg.spans[0].name, "pbx-e1");
	CU_ASSERT_EQUAL(cfg.spans[0].role, ROLE_CPE);
	CU_ASSERT_EQUAL(cfg.spans[0].switchtype, SWITCH_EUROISDN_E1);
	CU_ASSERT_STRING_EQUAL(cfg.spans[0].switch_name, "euroisdn");
	CU_ASSERT_EQUAL(cfg.spans[0].framing, FRAMING_E1);
	CU_ASSERT_STRING_EQUAL(span_framing_name(cfg.spans[0].framing), "E1");
	CU_ASSERT_EQUAL(cfg.spans[0].hunt, HUNT_DESCENDING);
	config_free(&cfg);
}

/* Media per span (issue 11): tone_zone by framing unless set, echo_cancel on,
 * echo_tail_ms 128; each bad value names its file:line and what is wrong. */
static void test_span_media_settings(void)
{
	static const char text[] =
		"spans = (\n"
		"  { name = \"t1\"; type = \"loopback\"; path = \"/tmp/sipgw-t1\"; },\n"
		"  { name = \"e1\"; type = \"loopback\"; path = \"/tmp/sipgw-e1\"; framing = \"e1\";\n"
		"    switchtype = \"euroisdn\"; },\n"
		"  { name = \"uk\"; type = \"loopback\"; path = \"/tmp/sipgw-uk\"; framing = \"e1\";\n"
		"    switchtype = \"euroisdn\"; tone_zone = \"GB\"; echo_cancel = false;\n"
		"    echo_tail_ms = 256; inband_ringback = true; }\n"
		");\n";
	struct gw_config cfg;
	char err[256];
	int rc = load_text(&cfg, text, err, sizeof(err), NULL, 0);

	if (rc)
		fprintf(stderr, "\n  %s", err);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_STRING_EQUAL(cfg.spans[0].tone_zone, "us");
	CU_ASSERT_EQUAL(cfg.spans[0].echo_cancel, 1);
	CU_ASSERT_EQUAL(cfg.spans[0].echo_tail_ms, 128);
	CU_ASSERT_STRING_EQUAL(cfg.spans[1].tone_zone, "de");
	CU_ASSERT_EQUAL(cfg.spans[1].echo_cancel, 1);
	CU_ASSERT_STRING_EQUAL(cfg.spans[2].tone_zone, "GB");
	CU_ASSERT_EQUAL(cfg.spans[2].echo_cancel, 0);
	CU_ASSERT_EQUAL(cfg.spans[2].echo_tail_ms, 256);
	CU_ASSERT_EQUAL(cfg.spans[0].inband_ringback, 0);
	CU_ASSERT_EQUAL(cfg.spans[2].inband_ringback, 1);
	config_free(&cfg);

	expect_error("spans = (\n"
		     "  { name = \"a\"; type = \"loopback\"; path = \"/tmp/a\";\n"
		     "    tone_zone = \"xx\"; }\n"
		     ");\n", 3, "span 'a': tone_zone \"xx\" is not a zone libtonezone knows");
	expect_error("spans = (\n"
		     "  { name = \"a\"; type = \"loopback\"; path = \"/tmp/a\";\n"
		     "    echo_tail_ms = 512; }\n"
		     ");\n", 3, "'echo_tail_ms' = 512 is out of range (32..256)");
	expect_error("spans = (\n"
		     "  { name = \"a\"; type = \"loopback\"; path = \"/tmp/a\";\n"
		     "    echo_tail_ms = 16; }\n"
		     ");\n", 3, "'echo_tail_ms' = 16 is out of range (32..256)");
	expect_error("spans = (\n"
		     "  { name = \"a\"; type = \"loopback\"; path = \"/tmp/a\";\n"
		     "    echo_cancel = \"yes\"; }\n"
		     ");\n", 3, "'echo_cancel'");
}

/* libconfig makes the ';' terminator optional: a missing one is not an error. */
static void test_missing_semicolon_is_tolerated(void)
{
	struct gw_config cfg;
	char err[256];
	int rc = load_text(&cfg, "sip = {\n  port = 5070\n  user_agent = \"gw\";\n};\n", err,
			   sizeof(err), NULL, 0);

	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(cfg.sip_port, 5070);
	CU_ASSERT_STRING_EQUAL(cfg.sip_user_agent, "gw");
	config_free(&cfg);
}

static void test_syntax_errors(void)
{
	/* missing ',' between two spans: the second '{' is on line 7 */
	expect_error("spans = (\n"
		     "  {\n"
		     "    name = \"a\";\n"
		     "    type = \"loopback\";\n"
		     "    path = \"/tmp/a\";\n"
		     "  }\n"
		     "  {\n"
		     "    name = \"b\";\n"
		     "  }\n"
		     ");\n", 7, "syntax error");
	/* a value missing after '=' */
	expect_error("log = {\n  level = \"info\";\n};\nsip = {\n  port = ;\n};\n", 5,
		     "syntax error");
	/* missing '=' */
	expect_error("sip = {\n  port 5070;\n};\n", 2, "syntax error");
}

/* A missing '}' is only seen at the end of the file: the error names a line
 * no earlier than the unclosed group's last line. */
static void test_missing_brace(void)
{
	struct gw_config cfg;
	char err[256], path[96], *end;
	long line;
	int rc = load_text(&cfg, "sip = {\n  port = 5070;\n\nrtp = {\n  port_min = 20000;\n};\n",
			   err, sizeof(err), path, sizeof(path));

	CU_ASSERT_EQUAL(rc, -EINVAL);
	CU_ASSERT_EQUAL_FATAL(strncmp(err, path, strlen(path)), 0);
	CU_ASSERT_EQUAL_FATAL(err[strlen(path)], ':');
	line = strtol(err + strlen(path) + 1, &end, 10);
	CU_ASSERT(line >= 6 && line <= 7);
	CU_ASSERT_EQUAL(*end, ':');
	CU_ASSERT_PTR_NULL(cfg.peers);
}

static void test_missing_file(void)
{
	struct gw_config cfg;
	char err[256];
	int rc = config_load(&cfg, "/nonexistent/sipgw.conf", err, sizeof(err));

	CU_ASSERT_EQUAL(rc, -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "/nonexistent/sipgw.conf: cannot read the file");
	CU_ASSERT_PTR_NULL(cfg.peers);
}

static void test_unknown_section(void)
{
	expect_error("log = {\n  level = \"debug\";\n};\n\nsipp = {\n  port = 5070;\n};\n", 5,
		     "unknown section 'sipp'");
}

static void test_unknown_span_key(void)
{
	expect_error("spans = (\n"
		     "  {\n"
		     "    name = \"a\";\n"
		     "    type = \"loopback\";\n"
		     "    path = \"/tmp/a\";\n"
		     "    swichtype = \"ni2\";\n"
		     "  }\n"
		     ");\n", 6, "unknown setting 'swichtype'");
}

static void test_bad_enum_lists_allowed(void)
{
	expect_error("spans = (\n"
		     "  {\n"
		     "    name = \"a\";\n"
		     "    type = \"loopback\";\n"
		     "    path = \"/tmp/a\";\n"
		     "    framing = \"j1\";\n"
		     "  }\n"
		     ");\n", 6, "'framing' = \"j1\" is not one of: t1, e1");
	expect_error("log = {\n  level = \"verbose\";\n};\n", 2,
		     "is not one of: error, warn, notice, info, debug");
	/* a number where a name is expected */
	expect_error("log = {\n  level = 3;\n};\n", 2, "'level' must be one of its names");
}

static void test_out_of_range(void)
{
	expect_error("sip = {\n  bind = \"0.0.0.0\";\n  port = 70000;\n};\n", 3,
		     "'port' = 70000 is out of range (1..65535)");
	expect_error("sip = {\n  port = \"5060\";\n};\n", 2, "'port' must be an integer");
	expect_error("rtp = {\n  port_min = 30000;\n  port_max = 20000;\n};\n", 1,
		     "port_min must be below port_max");
}

static void test_dial_peer_bad_pattern(void)
{
	expect_error("dial_peers = (\n"
		     "  {\n"
		     "    tag = 7;\n"
		     "    type = \"voip\";\n"
		     "    destination_pattern = \"2[]..\";\n"
		     "    session_target = \"ipv4:127.0.0.1\";\n"
		     "  }\n"
		     ");\n", 2, "dial-peer 7: destination_pattern \"2[]..\": empty [ ] class");
}

static void test_voip_peer_needs_target(void)
{
	expect_error("dial_peers = (\n"
		     "  {\n"
		     "    tag = 100;\n"
		     "    type = \"voip\";\n"
		     "    destination_pattern = \"2...\";\n"
		     "  }\n"
		     ");\n", 2, "dial-peer 100: a voip dial-peer needs 'session_target'");
	expect_error("dial_peers = (\n"
		     "  { tag = 1; type = \"voip\"; destination_pattern = \"2...\";\n"
		     "    session_target = \"ipv4:\"; }\n"
		     ");\n", 2, "session_target \"ipv4:\" is not ipv4:ADDR[:PORT]");
}

/* OPTIONS keepalive needs an address to ping: not a span, not "registrar". */
static void test_keepalive_needs_address_target(void)
{
	expect_error("dial_peers = (\n"
		     "  { tag = 99; type = \"voip\"; destination_pattern = \"3...\";\n"
		     "    session_target = \"registrar\";\n"
		     "    options_keepalive = true; }\n"
		     ");\n", 4, "dial-peer 99: 'options_keepalive' is for a voip dial-peer with an address session_target");
	expect_error("dial_peers = (\n"
		     "  { tag = 9; type = \"pots\"; destination_pattern = \"9T\"; port = \"pbx-a\";\n"
		     "    options_keepalive = true; }\n"
		     ");\n", 3, "dial-peer 9: 'options_keepalive' is for a voip dial-peer");
}

static void test_pots_peer_port_names_no_span(void)
{
	expect_error("spans = (\n"
		     "  { name = \"pbx-a\"; type = \"loopback\"; path = \"/tmp/a\"; }\n"
		     ");\n"
		     "dial_peers = (\n"
		     "  { tag = 1; type = \"voip\"; destination_pattern = \"2...\";\n"
		     "    session_target = \"ipv4:127.0.0.1\"; },\n"
		     "  {\n"
		     "    tag = 2;\n"
		     "    type = \"pots\";\n"
		     "    destination_pattern = \"5...\";\n"
		     "    port = \"pbx-b\";\n"
		     "  }\n"
		     ");\n", 7, "dial-peer 2: port \"pbx-b\" is no span or trunk group");
	expect_error("dial_peers = (\n"
		     "  { tag = 3; type = \"pots\"; destination_pattern = \"5...\"; }\n"
		     ");\n", 2, "dial-peer 3: a pots dial-peer needs 'port'");
}

/* RFC 4568 8.3: a dial-peer offering SDES keys must signal over TLS;
 * the error names the srtp key's line. */
static void test_srtp_needs_tls(void)
{
	struct gw_config cfg;
	char err[256];
	/* with session_transport tls the TLS listener's files are checked
	 * too (config_tls.c): a flow loads that one (flows_srtp.py) */
	int rc = load_text(&cfg,
			   "dial_peers = (\n"
			   "  { tag = 6; type = \"voip\"; destination_pattern = \"6...\";\n"
			   "    session_target = \"ipv4:127.0.0.1\"; srtp = \"off\"; },\n"
			   "  { tag = 5; type = \"voip\"; destination_pattern = \"5...\";\n"
			   "    session_target = \"ipv4:127.0.0.1\"; }\n"
			   ");\n", err, sizeof(err), NULL, 0);

	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(cfg.peers[0].srtp, DP_SRTP_OFF);
	CU_ASSERT_EQUAL(cfg.peers[1].srtp, DP_SRTP_OFF);	/* the default */
	CU_ASSERT_EQUAL(cfg.peers[1].transport, DP_TP_UDP);
	config_free(&cfg);
	expect_error("dial_peers = (\n"
		     "  { tag = 7; type = \"voip\"; destination_pattern = \"7...\";\n"
		     "    session_target = \"ipv4:127.0.0.1\";\n"
		     "    srtp = \"mandatory\"; }\n"
		     ");\n", 4, "dial-peer 7: 'srtp' = \"mandatory\" needs session_transport = \"tls\"");
	expect_error("dial_peers = (\n"
		     "  { tag = 8; type = \"voip\"; destination_pattern = \"8...\";\n"
		     "    session_target = \"ipv4:127.0.0.1\"; session_transport = \"tcp\";\n"
		     "    srtp = \"optional\"; }\n"
		     ");\n", 4, "dial-peer 8: 'srtp' = \"optional\" needs session_transport = \"tls\"");
	expect_error("dial_peers = (\n"
		     "  { tag = 9; type = \"voip\"; destination_pattern = \"9...\";\n"
		     "    session_target = \"ipv4:127.0.0.1\"; srtp = \"always\"; }\n"
		     ");\n", 3, "'srtp' = \"always\" is not one of: off, optional, mandatory");
}

static void test_duplicate_tags(void)
{
	expect_error("dial_peers = (\n"
		     "  {\n"
		     "    tag = 100;\n"
		     "    type = \"voip\";\n"
		     "    destination_pattern = \"2...\";\n"
		     "    session_target = \"ipv4:127.0.0.1:5062\";\n"
		     "  },\n"
		     "  {\n"
		     "    tag = 100;\n"
		     "    type = \"voip\";\n"
		     "    destination_pattern = \"3...\";\n"
		     "    session_target = \"ipv4:127.0.0.1:5064\";\n"
		     "  }\n"
		     ");\n", 8, "dial-peer 100 is defined twice");
}

static void test_duplicate_span_names(void)
{
	expect_error("spans = (\n"
		     "  {\n"
		     "    name = \"pbx-a\";\n"
		     "    type = \"loopback\";\n"
		     "    path = \"/tmp/a\";\n"
		     "  },\n"
		     "  {\n"
		     "    name = \"pbx-a\";\n"
		     "    type = \"loopback\";\n"
		     "    path = \"/tmp/b\";\n"
		     "  }\n"
		     ");\n", 7, "span 'pbx-a' is defined twice");
}

/* A dahdi span is laid out by DAHDI's system.conf (tests/unit/test_dahdi_conf.c
 * checks the two against each other); without its DAHDI span number it is an
 * error at its line. */
static void test_dahdi_span_needs_number(void)
{
	expect_error("spans = (\n"
		     "  { name = \"pbx-a\"; type = \"loopback\"; path = \"/tmp/a\"; },\n"
		     "  {\n"
		     "    name = \"card1\";\n"
		     "    type = \"dahdi\";\n"
		     "  }\n"
		     ");\n", 3, "span 'card1': a dahdi span needs 'span'");
}

static void test_span_required_settings(void)
{
	expect_error("spans = (\n  {\n    name = \"a\";\n    path = \"/tmp/a\";\n  }\n);\n", 2,
		     "missing required setting 'type'");
	expect_error("spans = (\n  {\n    name = \"a\";\n    type = \"loopback\";\n  }\n);\n", 2,
		     "a loopback span needs 'path'");
}

static void test_timers_seconds_to_ms(void)
{
	struct gw_config cfg;
	char err[256];
	int rc = load_text(&cfg, "timers = {\n  ring-no-answer = 1.5;\n  shutdown-grace = 0;\n};\n",
			   err, sizeof(err), NULL, 0);

	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(cfg.timers.ring_no_answer_ms, 1500);
	CU_ASSERT_EQUAL(cfg.timers.shutdown_grace_ms, 0);
	config_free(&cfg);

	rc = load_text(&cfg, "timers = {\n  ring-no-answer = 45;\n  shutdown-grace = 0.25;\n};\n",
		       err, sizeof(err), NULL, 0);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(cfg.timers.ring_no_answer_ms, 45000);
	CU_ASSERT_EQUAL(cfg.timers.shutdown_grace_ms, 250);
	config_free(&cfg);

	expect_error("timers = {\n  shutdown-grace = 2;\n  ring-no-answer = 0.05;\n};\n", 3,
		     "'ring-no-answer' = 0.05 s is out of range (0.1..3600 s)");
	expect_error("timers = {\n  ring-no-answer = \"30\";\n};\n", 2,
		     "'ring-no-answer' must be a number of seconds");
	expect_error("timers = {\n  ring_no_answer = 30;\n};\n", 2,
		     "unknown setting 'ring_no_answer'");
}

/* Overlap dialling: T302 and the span's two switches (Q.931 5.1.3, 5.2.4). */
static void test_overlap_settings(void)
{
	static const char text[] =
		"timers = {\n  T302 = 4.5;\n};\n"
		"spans = (\n  { name = \"a\"; type = \"loopback\"; path = \"/tmp/sipgw-ov\";\n"
		"    overlap_receive = true; overlap_send = true; service_messages = true; }\n);\n";
	struct gw_config cfg;
	char err[256];
	int rc = load_text(&cfg, "# nothing\n", err, sizeof(err), NULL, 0);

	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(cfg.timers.t302_ms, 15000);	/* default */
	config_free(&cfg);
	rc = load_text(&cfg, text, err, sizeof(err), NULL, 0);
	if (rc)
		fprintf(stderr, "\n  %s", err);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(cfg.timers.t302_ms, 4500);
	CU_ASSERT_EQUAL(cfg.spans[0].overlap_receive, 1);
	CU_ASSERT_EQUAL(cfg.spans[0].overlap_send, 1);
	CU_ASSERT_EQUAL(cfg.spans[0].service_messages, 1);
	config_free(&cfg);
	expect_error("timers = {\n  T302 = 0.01;\n};\n", 2, "'T302' = 0.01 s is out of range (0.1..120 s)");
	expect_error("spans = (\n  { name = \"a\"; type = \"loopback\"; path = \"/tmp/x\";\n"
		     "    overlap_receive = 1; }\n);\n", 3, "'overlap_receive'");
	expect_error("spans = (\n  { name = \"a\"; type = \"loopback\"; path = \"/tmp/x\";\n"
		     "    country_code = \"1x\"; }\n);\n", 2, "country_code \"1x\" is not 1 to 3 digits");
}

/* NFAS, Cisco's keys: a group of T1 spans, one primary D-channel, at most
 * one backup, distinct interfaces, one signalling for all. */
#define NFAS_SPAN(n, d, i) "  { name = \"" n "\"; type = \"loopback\"; path = \"/tmp/sipgw-nf-" n "\"; " \
	"nfas_group = 1; nfas_d = \"" d "\"; nfas_int = " #i "; }"
static void test_nfas_settings(void)
{
	static const char text[] = "spans = (\n" NFAS_SPAN("p", "primary", 0) ",\n"
		NFAS_SPAN("b", "backup", 1) ",\n" NFAS_SPAN("n", "none", 2) ",\n"
		"  { name = \"x\"; type = \"loopback\"; path = \"/tmp/sipgw-nf-x\"; }\n);\n";
	struct gw_config cfg;
	char err[256];
	int rc = load_text(&cfg, text, err, sizeof(err), NULL, 0);

	if (rc)
		fprintf(stderr, "\n  %s", err);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(cfg.spans[0].nfas_group, 1);
	CU_ASSERT_EQUAL(cfg.spans[0].nfas_d, NFAS_D_PRIMARY);
	CU_ASSERT_EQUAL(cfg.spans[1].nfas_d, NFAS_D_BACKUP);
	CU_ASSERT_EQUAL(cfg.spans[1].nfas_int, 1);
	CU_ASSERT_EQUAL(cfg.spans[2].nfas_d, NFAS_D_NONE);
	CU_ASSERT_EQUAL(cfg.spans[2].nfas_int, 2);
	CU_ASSERT_EQUAL(cfg.spans[3].nfas_group, 0);
	config_free(&cfg);
	/* line 3 is the second span */
	expect_error("spans = (\n" NFAS_SPAN("p", "primary", 0) ",\n" NFAS_SPAN("q", "primary", 1)
		     "\n);\n", 3, "span 'q': NFAS group 1 has its primary D-channel on span 'p' already");
	expect_error("spans = (\n" NFAS_SPAN("p", "primary", 0) ",\n" NFAS_SPAN("n", "none", 0)
		     "\n);\n", 3, "span 'n': nfas_int 0 of NFAS group 1 is span 'p' already");
	expect_error("spans = (\n" NFAS_SPAN("b", "backup", 1) ",\n" NFAS_SPAN("n", "none", 2)
		     "\n);\n", 2, "span 'b': NFAS group 1 has no span with nfas_d = \"primary\"");
	expect_error("spans = (\n" NFAS_SPAN("p", "primary", 0) ",\n"
		     "  { name = \"b\"; type = \"loopback\"; path = \"/tmp/y\"; nfas_group = 1; "
		     "nfas_d = \"backup\"; nfas_int = 1; role = \"cpe\"; }\n);\n", 3,
		     "NFAS group 1 is ni2 network on span 'p'");
	expect_error("spans = (\n  { name = \"e\"; type = \"loopback\"; path = \"/tmp/y\"; "
		     "framing = \"e1\"; nfas_group = 1; nfas_int = 0; }\n);\n", 2, "NFAS (nfas_group) is for T1");
	expect_error("spans = (\n  { name = \"p\"; type = \"loopback\"; path = \"/tmp/y\"; "
		     "nfas_group = 1; }\n);\n", 2, "an NFAS span needs nfas_int");
	expect_error("spans = (\n  { name = \"p\"; type = \"loopback\"; path = \"/tmp/y\"; "
		     "nfas_int = 3; }\n);\n", 2, "nfas_d and nfas_int need nfas_group");
	expect_error("spans = (\n  { name = \"p\"; type = \"loopback\"; path = \"/tmp/y\"; "
		     "nfas_group = 1; nfas_int = 0; nfas_d = \"spare\"; }\n);\n", 2, "primary, backup, none");
}

/* Calls that never clear: RTP timeouts and RFC 4028 session timers. */
static void test_timers_never_clear(void)
{
	struct gw_config cfg;
	char err[256];
	int rc = load_text(&cfg, "log = { level = \"info\"; };\n", err, sizeof(err), NULL, 0);

	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(cfg.timers.rtp_timeout_ms, 60000);
	CU_ASSERT_EQUAL(cfg.timers.rtp_hold_timeout_ms, 300000);
	CU_ASSERT_EQUAL(cfg.timers.session_expires_ms, 1800000);
	CU_ASSERT_EQUAL(cfg.timers.min_se_ms, 90000);
	config_free(&cfg);

	rc = load_text(&cfg, "timers = {\n  rtp-timeout = 0;\n  rtp-hold-timeout = 0;\n"
		       "  session-expires = 4;\n  min-se = 1;\n};\n", err, sizeof(err), NULL, 0);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(cfg.timers.rtp_timeout_ms, 0);
	CU_ASSERT_EQUAL(cfg.timers.rtp_hold_timeout_ms, 0);
	CU_ASSERT_EQUAL(cfg.timers.session_expires_ms, 4000);
	CU_ASSERT_EQUAL(cfg.timers.min_se_ms, 1000);
	config_free(&cfg);

	rc = load_text(&cfg, "timers = {\n  session-expires = 0;\n};\n", err, sizeof(err), NULL, 0);
	CU_ASSERT_EQUAL(rc, 0);
	config_free(&cfg);

	expect_error("timers = {\n  min-se = 0.5;\n};\n", 2,
		     "'min-se' = 0.5 s is out of range (1..86400 s)");
	expect_error("timers = {\n  rtp-timeout = -1;\n};\n", 2, "'rtp-timeout' = -1 s is out of range");
	expect_error("timers = {\n  session-expires = 60;\n};\n", 1,
		     "session-expires must be 0 (off) or at least min-se");
}

/* Overload control and the UDP receive buffer: defaults, values, and errors with file:line. */
static void test_sip_overload_keys(void)
{
	struct gw_config cfg;
	char err[256];
	int rc = load_text(&cfg, "# nothing\n", err, sizeof(err), NULL, 0);

	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(cfg.sip_udp_rmem_kb, 4096);
	CU_ASSERT_EQUAL(cfg.sip_max_call_rate, 0);		/* no fixed ceiling */
	CU_ASSERT_EQUAL(cfg.sip_max_queue_delay_ms, 50);
	CU_ASSERT_EQUAL(cfg.sip_retry_after, 2);
	config_free(&cfg);

	rc = load_text(&cfg, "sip = {\n  udp_rmem_kb = 1024;\n  max_call_rate = 30;\n"
			 "  max_queue_delay = 0.1;\n  retry_after = 5;\n};\n", err, sizeof(err), NULL, 0);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(cfg.sip_udp_rmem_kb, 1024);
	CU_ASSERT_EQUAL(cfg.sip_max_call_rate, 30);
	CU_ASSERT_EQUAL(cfg.sip_max_queue_delay_ms, 100);
	CU_ASSERT_EQUAL(cfg.sip_retry_after, 5);
	config_free(&cfg);

	/* 0 turns each off: the kernel's default buffer, no shedding by queue delay */
	rc = load_text(&cfg, "sip = { udp_rmem_kb = 0; max_queue_delay = 0; };\n", err, sizeof(err), NULL, 0);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(cfg.sip_udp_rmem_kb, 0);
	CU_ASSERT_EQUAL(cfg.sip_max_queue_delay_ms, 0);
	config_free(&cfg);

	expect_error("sip = {\n  port = 5070;\n  max_call_rate = -5;\n};\n", 3,
		     "'max_call_rate' = -5 is out of range (0..100000)");
	expect_error("sip = {\n  max_queue_delay = 20;\n};\n", 2,
		     "'max_queue_delay' = 20 s is out of range (0..10 s)");
	expect_error("sip = {\n  max_queue_delay = \"50ms\";\n};\n", 2,
		     "'max_queue_delay' must be a number of seconds");
	expect_error("sip = {\n  bind = \"127.0.0.1\";\n  retry_after = 0;\n};\n", 3,
		     "'retry_after' = 0 is out of range (1..3600)");
	expect_error("sip = {\n  udp_rmem_kb = \"4M\";\n};\n", 2, "'udp_rmem_kb' must be an integer");
	expect_error("sip = {\n  max_call_rates = 10;\n};\n", 2, "unknown setting 'max_call_rates'");
}

/* Forwarding per registrar user (B-10..B-12) and the redirection limits. */
static void test_forwarding_keys(void)
{
	struct gw_config cfg;
	char err[256];
	int rc = load_text(&cfg,
			   "sip = { redirect_max_targets = 2; redirect_max_hops = 1; };\n"
			   "registrar = { realm = \"r\"; users = (\n"
			   "  { user = \"2001\"; password = \"p\"; },\n"
			   "  { user = \"2002\"; password = \"p\"; forward_all = \"2003, 95551234\";\n"
			   "    forward_busy = \"2004\"; forward_no_answer = \"2005\";\n"
			   "    forward_no_answer_timeout = 8; redirect = true; pstn = false; }\n"
			   "); };\n", err, sizeof(err), NULL, 0);

	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(cfg.redirect_max_targets, 2);
	CU_ASSERT_EQUAL(cfg.redirect_max_hops, 1);
	/* a user without the keys: no forwarding, the PSTN right, 15 s */
	CU_ASSERT_STRING_EQUAL(cfg.reg.users[0].forward_all, "");
	CU_ASSERT_EQUAL(cfg.reg.users[0].pstn, 1);
	CU_ASSERT_EQUAL(cfg.reg.users[0].redirect, 0);
	CU_ASSERT_EQUAL(cfg.reg.users[0].forward_no_answer_ms, 15000);
	CU_ASSERT_STRING_EQUAL(cfg.reg.users[1].forward_all, "2003, 95551234");
	CU_ASSERT_STRING_EQUAL(cfg.reg.users[1].forward_busy, "2004");
	CU_ASSERT_STRING_EQUAL(cfg.reg.users[1].forward_no_answer, "2005");
	CU_ASSERT_EQUAL(cfg.reg.users[1].forward_no_answer_ms, 8000);
	CU_ASSERT_EQUAL(cfg.reg.users[1].redirect, 1);
	CU_ASSERT_EQUAL(cfg.reg.users[1].pstn, 0);
	config_free(&cfg);

	rc = load_text(&cfg, "# nothing\n", err, sizeof(err), NULL, 0);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(cfg.redirect_max_targets, 5);
	CU_ASSERT_EQUAL(cfg.redirect_max_hops, 3);
	config_free(&cfg);

	expect_error("registrar = { realm = \"r\"; users = (\n"
		     "  { user = \"2001\"; password = \"p\"; forward_all = \"sip:2002@evil\"; }\n); };\n", 2,
		     "forwarding target \"sip:2002@evil\" is not a list of numbers");
	expect_error("registrar = { realm = \"r\"; users = (\n"
		     "  { user = \"2001\"; password = \"p\"; forward_no_answer_timeout = 0.5; }\n); };\n", 2,
		     "'forward_no_answer_timeout'");
	expect_error("sip = {\n  redirect_max_hops = 0;\n};\n", 2, "'redirect_max_hops' = 0 is out of range");
}

static const char tg_spans[] =
	"spans = (\n"
	"  { name = \"pbx-a\"; type = \"loopback\"; path = \"/tmp/a\"; },\n"
	"  { name = \"pbx-b\"; type = \"loopback\"; path = \"/tmp/b\"; }\n"
	");\n";

static void test_trunk_groups(void)
{
	char text[1024];
	struct gw_config cfg;
	char err[256];
	int rc;

	snprintf(text, sizeof(text), "%s"
		 "trunk_groups = (\n"
		 "  { name = \"tg-pbx\"; spans = [ \"pbx-b\", \"pbx-a\" ]; hunt = \"round-robin\"; }\n"
		 ");\n"
		 "dial_peers = (\n"
		 "  { tag = 10; type = \"pots\"; destination_pattern = \"5...\"; port = \"tg-pbx\";\n"
		 "    forward_digits = 3; prefix = \"9\"; preference = 2; },\n"
		 "  { tag = 11; type = \"pots\"; destination_pattern = \"6...\"; port = \"pbx-a\"; }\n"
		 ");\n", tg_spans);
	rc = load_text(&cfg, text, err, sizeof(err), NULL, 0);
	if (rc)
		fprintf(stderr, "\n  %s", err);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(cfg.n_spans, 2);
	CU_ASSERT_EQUAL_FATAL(cfg.n_tgs, 1);
	CU_ASSERT_STRING_EQUAL(cfg.tgs[0].name, "tg-pbx");
	CU_ASSERT_EQUAL(cfg.tgs[0].n_spans, 2);
	CU_ASSERT_STRING_EQUAL(cfg.tgs[0].spans[0], "pbx-b");
	CU_ASSERT_STRING_EQUAL(cfg.tgs[0].spans[1], "pbx-a");
	CU_ASSERT_EQUAL(cfg.tgs[0].hunt, HUNT_ROUND_ROBIN);
	CU_ASSERT_EQUAL_FATAL(cfg.n_peers, 2);
	CU_ASSERT_EQUAL(cfg.peers[0].type, DP_POTS);
	CU_ASSERT_STRING_EQUAL(cfg.peers[0].port, "tg-pbx");
	CU_ASSERT_EQUAL(cfg.peers[0].forward_digits, 3);
	CU_ASSERT_STRING_EQUAL(cfg.peers[0].prefix, "9");
	CU_ASSERT_EQUAL(cfg.peers[0].preference, 2);
	CU_ASSERT_STRING_EQUAL(cfg.peers[1].port, "pbx-a");
	CU_ASSERT_EQUAL(cfg.peers[1].forward_digits, DP_FWD_DEFAULT);
	config_free(&cfg);

	/* a trunk group naming an unknown span: the line of its spans array (8) */
	snprintf(text, sizeof(text), "%s"
		 "trunk_groups = (\n"
		 "  {\n"
		 "    name = \"tg-pbx\";\n"
		 "    spans = [ \"pbx-a\", \"pbx-c\" ];\n"
		 "  }\n"
		 ");\n", tg_spans);
	expect_error(text, 8, "trunk group 'tg-pbx': \"pbx-c\" is no span");

	snprintf(text, sizeof(text), "%s"
		 "trunk_groups = (\n"
		 "  {\n"
		 "    name = \"tg-pbx\";\n"
		 "    spans = [ \"pbx-a\" ];\n"
		 "    hunt = \"random\";\n"
		 "  }\n"
		 ");\n", tg_spans);
	expect_error(text, 9, "'hunt' = \"random\" is not one of");

	snprintf(text, sizeof(text), "%s"
		 "trunk_groups = (\n"
		 "  {\n"
		 "    name = \"tg-pbx\";\n"
		 "  }\n"
		 ");\n", tg_spans);
	expect_error(text, 6, "trunk group 'tg-pbx' needs 'spans'");
}

static const char em_base[] =
	"spans = ( { name = \"pbx-a\"; type = \"loopback\"; path = \"/tmp/a\"; } );\n"
	"dial_peers = (\n"
	"  { tag = 911; type = \"pots\"; destination_pattern = \"911\"; port = \"pbx-a\"; forward_digits = \"all\"; },\n"
	"  { tag = 900; type = \"pots\"; destination_pattern = \"9T\"; port = \"pbx-a\"; },\n"
	"  { tag = 200; type = \"voip\"; destination_pattern = \"2...\"; session_target = \"registrar\"; }\n"
	");\n";

static void test_registrar_and_emergency(void)
{
	char text[2048];
	struct gw_config cfg;
	char err[256];
	int rc;

	snprintf(text, sizeof(text), "%s"
		 "registrar = {\n"
		 "  realm = \"branch\"; database = \"/tmp/r.db\";\n"
		 "  users = ( { user = \"2001\"; password = \"a\"; }, { user = \"2002\"; password = \"b\"; } );\n"
		 "  min_expires = 30; max_expires = 600; default_expires = 300; max_contacts = 3;\n"
		 "};\n"
		 "emergency = { numbers = ( { pattern = \"911\"; }, { pattern = \"112\"; extension = \"2001\"; } );\n"
		 "  reserved_channels = 2; };\n", em_base);
	rc = load_text(&cfg, text, err, sizeof(err), NULL, 0);
	if (rc)
		fprintf(stderr, "\n  %s", err);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_TRUE(cfg.reg.enabled);
	CU_ASSERT_STRING_EQUAL(cfg.reg.realm, "branch");
	CU_ASSERT_EQUAL(cfg.reg.n_users, 2);
	CU_ASSERT_STRING_EQUAL(cfg.reg.users[1].user, "2002");
	CU_ASSERT_STRING_EQUAL(cfg.reg.users[1].password, "b");
	CU_ASSERT_EQUAL(cfg.reg.min_expires, 30);
	CU_ASSERT_EQUAL(cfg.reg.max_expires, 600);
	CU_ASSERT_EQUAL(cfg.reg.default_expires, 300);
	CU_ASSERT_EQUAL(cfg.reg.max_contacts, 3);
	CU_ASSERT_EQUAL(cfg.peers[0].forward_digits, DP_FWD_ALL);
	CU_ASSERT_TRUE(dp_targets_registrar(&cfg.peers[2]));
	CU_ASSERT_FALSE(dp_targets_registrar(&cfg.peers[1]));
	CU_ASSERT_EQUAL(cfg.emergency.n, 2);
	CU_ASSERT_EQUAL(cfg.emergency.reserved_channels, 2);
	CU_ASSERT_PTR_EQUAL(route_emergency(&cfg, "911"), &cfg.emergency.nums[0]);
	CU_ASSERT_STRING_EQUAL(route_emergency(&cfg, "112")->extension, "2001");
	CU_ASSERT_PTR_NULL(route_emergency(&cfg, "9911"));
	CU_ASSERT_PTR_NULL(route_emergency(&cfg, "91"));
	config_free(&cfg);

	/* no registrar section: none, and the defaults are sane */
	rc = load_text(&cfg, em_base, err, sizeof(err), NULL, 0);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_FALSE(cfg.reg.enabled);
	CU_ASSERT_EQUAL(cfg.emergency.n, 0);
	config_free(&cfg);
}

static void test_registrar_errors(void)
{
	char text[2048];

	snprintf(text, sizeof(text), "%s"
		 "registrar = {\n"
		 "  users = ( { user = \"2001\"; password = \"a\"; },\n"
		 "            { user = \"2001\"; password = \"b\"; } );\n"
		 "};\n", em_base);
	expect_error(text, 9, "user \"2001\" is defined twice");
	snprintf(text, sizeof(text), "%s"
		 "registrar = {\n"
		 "  users = ( { user = \"20:01\"; password = \"a\"; } );\n"
		 "};\n", em_base);
	expect_error(text, 8, "no ':', '@' or spaces");
	snprintf(text, sizeof(text), "%s"
		 "registrar = {\n"
		 "  users = ( { user = \"2001\"; } );\n"
		 "};\n", em_base);
	expect_error(text, 8, "missing required setting 'password'");
	snprintf(text, sizeof(text), "%s"
		 "registrar = { min_expires = 600;\n"
		 "  max_expires = 60; };\n", em_base);
	expect_error(text, 7, "min_expires (600) is above max_expires (60)");
	snprintf(text, sizeof(text), "%s"
		 "registrar = { realm = \"x\";\n"
		 "  expire = 60; };\n", em_base);
	expect_error(text, 8, "unknown setting 'expire'");
}

static void test_emergency_errors(void)
{
	char text[2048];

	snprintf(text, sizeof(text), "%s"
		 "emergency = { numbers = (\n"
		 "  { pattern = \"112\"; } ); };\n", em_base);
	expect_error(text, 8, "emergency number 112: no pots dial-peer matches it");
	snprintf(text, sizeof(text), "%s"
		 "emergency = { numbers = (\n"
		 "  { pattern = \"9[1\"; } ); };\n", em_base);
	expect_error(text, 8, "emergency pattern \"9[1\"");
	snprintf(text, sizeof(text), "%s"
		 "emergency = { reserved_channels = 1; };\n", em_base);
	expect_error(text, 7, "emergency needs 'numbers'");
	snprintf(text, sizeof(text), "%s"
		 "emergency = { numbers = ( { pattern = \"911\"; } );\n"
		 "  reserved_channels = 99; };\n", em_base);
	expect_error(text, 8, "'reserved_channels' = 99 is out of range");
	snprintf(text, sizeof(text),
		 "spans = ( { name = \"pbx-a\"; type = \"loopback\"; path = \"/tmp/a\"; } );\n"
		 "dial_peers = ( { tag = 1; type = \"pots\"; destination_pattern = \"9T\"; port = \"pbx-a\";\n"
		 "  forward_digits = \"some\"; } );\n");
	expect_error(text, 3, "'forward_digits' must be a number of digits (0..32) or \"all\"");
}

/* sip.trusted: IPv6 prefixes beside IPv4 ones; a bad one names its line. */
static void test_trusted_ipv6(void)
{
	struct gw_config cfg;
	char err[512];

	CU_ASSERT_EQUAL_FATAL(load_text(&cfg, "sip = { trusted = [ \"192.0.2.0/24\", \"::1/128\", \"fd00::/8\", "
					"\"[2001:db8::]/32\" ]; };\n", err, sizeof(err), NULL, 0), 0);
	CU_ASSERT_EQUAL(cfg.sip_trusted.n, 4);
	CU_ASSERT_TRUE(cfg_list_match_addr(&cfg.sip_trusted, "192.0.2.9"));
	CU_ASSERT_TRUE(cfg_list_match_addr(&cfg.sip_trusted, "::1"));
	CU_ASSERT_TRUE(cfg_list_match_addr(&cfg.sip_trusted, "fd12::1"));
	CU_ASSERT_TRUE(cfg_list_match_addr(&cfg.sip_trusted, "2001:db8:1::1"));
	CU_ASSERT_TRUE(cfg_list_match_addr(&cfg.sip_trusted, "::ffff:192.0.2.9"));
	CU_ASSERT_FALSE(cfg_list_match_addr(&cfg.sip_trusted, "::2"));
	CU_ASSERT_FALSE(cfg_list_match_addr(&cfg.sip_trusted, "fe80::1"));
	CU_ASSERT_FALSE(cfg_list_match_addr(&cfg.sip_trusted, "2001:db9::1"));
	CU_ASSERT_FALSE(cfg_list_match_addr(&cfg.sip_trusted, "198.51.100.1"));
	CU_ASSERT_FALSE(cfg_list_match_addr(&cfg.sip_trusted, "not-an-address"));
	CU_ASSERT_FALSE(cfg_list_match_addr(&cfg.sip_trusted, NULL));
	config_free(&cfg);
	expect_error("sip = {\n  trusted = [ \"::1/128\",\n \"fd00::/129\" ]; };\n", 2,
		     "'trusted': \"fd00::/129\" is not an IPv4 or IPv6 address or prefix");
	expect_error("sip = {\n  trusted = [ \"10.0.0.0/33\" ]; };\n", 2,
		     "'trusted': \"10.0.0.0/33\" is not an IPv4 or IPv6 address or prefix");
	expect_error("dial_peers = (\n  { tag = 1; type = \"voip\"; destination_pattern = \"2...\";\n"
		     "    session_target = \"ipv6:[::1]:5060:7\"; } );\n", 2,
		     "session_target \"ipv6:[::1]:5060:7\"");
	/* an IPv6 target from an IPv4 socket: no call could go */
	expect_error("sip = { bind = \"127.0.0.1\"; };\ndial_peers = (\n  { tag = 1; type = \"voip\"; "
		     "destination_pattern = \"2...\";\n    session_target = \"ipv6:[::1]:5060\"; } );\n", 3,
		     "dial-peer 1: session_target \"ipv6:[::1]:5060\" is IPv6, sip.bind \"127.0.0.1\" is IPv4");
}

/* What the start would trip over is found at load (and so by sipgw -t). */
static void test_runtime_checks(void)
{
	char text[2048];

	snprintf(text, sizeof(text), "sip = { port = 5070;\n  bind = \"sipgw.example\"; };\n");
	expect_error(text, 2, "sip.bind = \"sipgw.example\" is not an IPv4 or IPv6 address");
	snprintf(text, sizeof(text), "rtp = {\n  address = \"127.0.0.256\"; };\n");
	expect_error(text, 2, "rtp.address = \"127.0.0.256\" is not an IPv4 or IPv6 address");
	snprintf(text, sizeof(text), "sip = { bind = \"[::1]\"; };\nrtp = { address = \"::\"; };\n");
	{
		struct gw_config cfg;
		char err[512];
		int rc = load_text(&cfg, text, err, sizeof(err), NULL, 0);

		/* kept bare: every writer brackets it one way (sip/sip_addr.h) */
		if (rc == 0) {
			CU_ASSERT_STRING_EQUAL(cfg.sip_bind, "::1");
			CU_ASSERT_STRING_EQUAL(cfg.rtp_ip, "::");
			config_free(&cfg);
		} else {	/* a host without ::1 fails as the start would */
			CU_ASSERT_PTR_NOT_NULL(strstr(err, "sip.bind = \"::1\""));
		}
	}
	/* the start's bind would fail: -t says so (the error a port in the address makes too) */
	snprintf(text, sizeof(text), "sip = { port = 5070;\n  bind = \"2001:db8::5\"; };\n");
	expect_error(text, 2, "sip.bind = \"2001:db8::5\": ");
	snprintf(text, sizeof(text), "rtp = {\n  address = \"192.0.2.254\"; };\n");
	expect_error(text, 2, "rtp.address = \"192.0.2.254\": not an address of this host");
	snprintf(text, sizeof(text), "sip = {\n  bind = \"[127.0.0.1]\"; };\n");
	expect_error(text, 2, "sip.bind = \"[127.0.0.1]\" is not an IPv4 or IPv6 address");
	snprintf(text, sizeof(text), "sip = {\n  bind = \"[::1]:5060\"; };\n");
	expect_error(text, 2, "sip.bind = \"[::1]:5060\" is not an IPv4 or IPv6 address");
	snprintf(text, sizeof(text), "registrar = { realm = \"x\";\n"
		 "  database = \"/nonexistent-sipgw-dir/registrar.db\"; };\n");
	expect_error(text, 2, "folder /nonexistent-sipgw-dir No such file or directory");
	snprintf(text, sizeof(text), "registrar = {\n  database = \"/tmp\"; };\n");
	expect_error(text, 2, "registrar database \"/tmp\" is not a file");
	snprintf(text, sizeof(text), "registrar = {\n  users_file = \"/nonexistent-sipgw-users\"; };\n");
	expect_error(text, 2, "registrar users_file \"/nonexistent-sipgw-users\": No such file");
	/* an emergency pattern with wildcards and no pots route (9T does not take 1..) */
	snprintf(text, sizeof(text), "%s"
		 "emergency = { numbers = (\n"
		 "  { pattern = \"11[02]\"; } ); };\n", em_base);
	expect_error(text, 8, "emergency number 11[02]: no pots dial-peer matches it");
	snprintf(text, sizeof(text), "%s"
		 "emergency = { numbers = (\n"
		 "  { pattern = \"+1911\"; } ); };\n", em_base);
	expect_error(text, 8, "emergency number +1911: no pots dial-peer matches it");
}

/* Cause overrides: a global causes group and one per dial-peer, row by row. */
static const char causes_base[] =
	"spans = ( { name = \"pbx-a\"; type = \"loopback\"; path = \"/tmp/sipgw-unit-a\"; } );\n";

static void test_causes_load(void)
{
	struct gw_config cfg;
	char text[2048], err[512];

	snprintf(text, sizeof(text), "%s"
		 "causes = {\n"
		 "  sip_to_pstn = ( { sip_status = 486; pstn_cause = 34; }, { sip_status = 699; pstn_cause = 127; } );\n"
		 "  pstn_to_sip = ( { pstn_cause = 17; sip_status = 503; }, { pstn_cause = 1; sip_status = 400; } );\n"
		 "};\n"
		 "dial_peers = (\n"
		 "  { tag = 10; type = \"pots\"; destination_pattern = \"9T\"; port = \"pbx-a\";\n"
		 "    causes = { pstn_to_sip = ( { pstn_cause = 17; sip_status = 600; } ); }; },\n"
		 "  { tag = 20; type = \"voip\"; destination_pattern = \"2...\"; session_target = \"ipv4:127.0.0.1\"; }\n"
		 ");\n", causes_base);
	CU_ASSERT_EQUAL_FATAL(load_text(&cfg, text, err, sizeof(err), NULL, 0), 0);
	CU_ASSERT_EQUAL(cfg.causes.n_sip_to_pstn, 2);
	CU_ASSERT_EQUAL(cfg.causes.sip_to_pstn[0].status, 486);
	CU_ASSERT_EQUAL(cfg.causes.sip_to_pstn[0].cause, 34);
	CU_ASSERT_EQUAL(cfg.causes.sip_to_pstn[1].status, 699);
	CU_ASSERT_EQUAL(cfg.causes.sip_to_pstn[1].cause, 127);
	CU_ASSERT_EQUAL(cfg.causes.n_pstn_to_sip, 2);
	CU_ASSERT_EQUAL(cfg.causes.pstn_to_sip[0].cause, 17);
	CU_ASSERT_EQUAL(cfg.causes.pstn_to_sip[0].status, 503);
	CU_ASSERT_EQUAL(cfg.causes.pstn_to_sip[1].cause, 1);
	CU_ASSERT_EQUAL(cfg.causes.pstn_to_sip[1].status, 400);
	CU_ASSERT_EQUAL_FATAL(cfg.n_peers, 2);
	CU_ASSERT_EQUAL(cfg.peers[0].causes.n_sip_to_pstn, 0);
	CU_ASSERT_EQUAL(cfg.peers[0].causes.n_pstn_to_sip, 1);
	CU_ASSERT_EQUAL(cfg.peers[0].causes.pstn_to_sip[0].cause, 17);
	CU_ASSERT_EQUAL(cfg.peers[0].causes.pstn_to_sip[0].status, 600);
	CU_ASSERT_EQUAL(cfg.peers[1].causes.n_sip_to_pstn + cfg.peers[1].causes.n_pstn_to_sip, 0);
	config_free(&cfg);

	/* none configured: empty tables; an empty group is fine too */
	snprintf(text, sizeof(text), "%scauses = { };\n", causes_base);
	CU_ASSERT_EQUAL_FATAL(load_text(&cfg, text, err, sizeof(err), NULL, 0), 0);
	CU_ASSERT_EQUAL(cfg.causes.n_sip_to_pstn + cfg.causes.n_pstn_to_sip, 0);
	config_free(&cfg);
}

static void test_causes_errors(void)
{
	static const struct { const char *text; int line; const char *what; } rows[] = {
		/* bounds: SIP failure statuses 400..699, Q.850 causes 1..127 */
		{ "causes = { sip_to_pstn = (\n"
		  "  { sip_status = 399; pstn_cause = 34; } ); };\n", 3, "'sip_status' = 399 is out of range (400..699)" },
		{ "causes = { pstn_to_sip = (\n"
		  "  { pstn_cause = 17; sip_status = 700; } ); };\n", 3, "'sip_status' = 700 is out of range (400..699)" },
		{ "causes = { sip_to_pstn = (\n"
		  "  { sip_status = 486; pstn_cause = 0; } ); };\n", 3, "'pstn_cause' = 0 is out of range (1..127)" },
		{ "causes = { pstn_to_sip = (\n"
		  "  { pstn_cause = 128; sip_status = 503; } ); };\n", 3, "'pstn_cause' = 128 is out of range (1..127)" },
		{ "causes = { sip_to_pstn = (\n"
		  "  { sip_status = \"486\"; pstn_cause = 34; } ); };\n", 3, "'sip_status' must be an integer" },
		/* duplicates: a key mapped twice in one direction */
		{ "causes = { sip_to_pstn = (\n"
		  "  { sip_status = 486; pstn_cause = 34; },\n"
		  "  { sip_status = 486; pstn_cause = 21; } ); };\n", 4, "'sip_to_pstn': sip_status 486 is mapped twice" },
		{ "causes = { pstn_to_sip = (\n"
		  "  { pstn_cause = 17; sip_status = 503; },\n"
		  "  { pstn_cause = 17; sip_status = 600; } ); };\n", 4, "'pstn_to_sip': pstn_cause 17 is mapped twice" },
		/* unknown and missing keys, wrong shapes */
		{ "causes = {\n"
		  "  sip_to_psnt = ( ); };\n", 3, "unknown setting 'sip_to_psnt'" },
		{ "causes = { sip_to_pstn = (\n"
		  "  { sip_status = 486; cause = 34; } ); };\n", 3, "unknown setting 'cause'" },
		{ "causes = { sip_to_pstn = (\n"
		  "  { sip_status = 486; } ); };\n", 3, "missing required setting 'pstn_cause'" },
		{ "causes = {\n"
		  "  pstn_to_sip = { pstn_cause = 17; sip_status = 503; }; };\n", 3,
		  "'pstn_to_sip' must be a list ( { pstn_cause = 17; sip_status = 503; }, ... )" },
		{ "causes = ( );\n", 2, "'causes' must be a group" },
		/* in a dial-peer: the same rules, the peer named */
		{ "dial_peers = ( { tag = 10; type = \"pots\"; destination_pattern = \"9T\"; port = \"pbx-a\";\n"
		  "  causes = { sip_to_pstn = (\n"
		  "    { sip_status = 486; pstn_cause = 34; },\n"
		  "    { sip_status = 486; pstn_cause = 17; } ); }; } );\n", 5,
		  "dial-peer 10: 'sip_to_pstn': sip_status 486 is mapped twice" },
		{ "dial_peers = ( { tag = 10; type = \"pots\"; destination_pattern = \"9T\"; port = \"pbx-a\";\n"
		  "  causes = { pstn_to_sip = (\n"
		  "    { pstn_cause = 17; sip_status = 300; } ); }; } );\n", 4,
		  "'sip_status' = 300 is out of range (400..699)" },
		{ "dial_peers = ( { tag = 10; type = \"pots\"; destination_pattern = \"9T\"; port = \"pbx-a\";\n"
		  "  causes = { pstn_to_sip = ( ); sip_status = 486; }; } );\n", 3, "unknown setting 'sip_status'" },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char text[2048];

		snprintf(text, sizeof(text), "%s%s", causes_base, rows[i].text);
		expect_error(text, rows[i].line, rows[i].what);
	}
}

/* Cisco voice-class codec order per dial-peer and rtp.codecs for the rest;
 * without either, G.711 mu-law then A-law (what sipgw offered before). */
static void test_codec_lists(void)
{
	struct gw_config cfg;
	char err[256];
	int rc;

	rc = load_text(&cfg, "", err, sizeof(err), NULL, 0);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(cfg.rtp_codecs.n, 2);
	CU_ASSERT_STRING_EQUAL(cfg.rtp_codecs.v[0], "g711ulaw");
	CU_ASSERT_STRING_EQUAL(cfg.rtp_codecs.v[1], "g711alaw");
	config_free(&cfg);
	rc = load_text(&cfg, "rtp = { codecs = [ \"opus\", \"g711alaw\" ]; };\n"
		       "dial_peers = (\n"
		       "  { tag = 1; type = \"voip\"; destination_pattern = \"2...\";\n"
		       "    session_target = \"ipv4:127.0.0.1\"; codec = [ \"g722-64\", \"G711ULAW\", \"gsmfr\" ]; },\n"
		       "  { tag = 2; type = \"voip\"; destination_pattern = \"3...\";\n"
		       "    session_target = \"ipv4:127.0.0.1\"; }\n"
		       ");\n", err, sizeof(err), NULL, 0);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(cfg.rtp_codecs.n, 2);
	CU_ASSERT_STRING_EQUAL(cfg.rtp_codecs.v[0], "opus");
	CU_ASSERT_EQUAL_FATAL(cfg.n_peers, 2);
	CU_ASSERT_EQUAL(cfg.peers[0].codecs.n, 3);
	CU_ASSERT_STRING_EQUAL(cfg.peers[0].codecs.v[0], "g722-64");
	CU_ASSERT_STRING_EQUAL(cfg.peers[0].codecs.v[1], "G711ULAW");
	CU_ASSERT_STRING_EQUAL(cfg.peers[0].codecs.v[2], "gsmfr");
	CU_ASSERT_EQUAL(cfg.peers[1].codecs.n, 0);	/* rtp.codecs applies */
	config_free(&cfg);
}

static void test_codec_list_errors(void)
{
	expect_error("dial_peers = (\n"
		     "  { tag = 5; type = \"voip\"; destination_pattern = \"2...\";\n"
		     "    session_target = \"ipv4:127.0.0.1\";\n"
		     "    codec = [ \"g711ulaw\",\n"
		     "              \"g729r8\" ]; }\n"
		     ");\n", 5, "'codec': \"g729r8\" is not one of: g711ulaw, g711alaw, g722-64, gsmfr, opus "
		     "(G.729 is not built: bcg729 is GPL-3)");
	expect_error("rtp = {\n  codecs = [ \"speex\" ];\n};\n", 2, "'codecs': \"speex\" is not one of: g711ulaw");
	expect_error("rtp = {\n  codecs = [ ];\n};\n", 2, "'codecs': 1 to 8 codecs");
	expect_error("rtp = {\n  codecs = \"g711ulaw\";\n};\n", 2,
		     "'codecs' must be a list of codec names [ \"g711ulaw\", ... ]");
	expect_error("rtp = {\n  codecs = [ \"opus\", \"OPUS\" ];\n};\n", 2, "'codecs': \"OPUS\" listed twice");
	expect_error("rtp = {\n  codecs = ( \"opus\", 3 );\n};\n", 2, "'codecs' must be a list of codec names");
	expect_error("dial_peers = (\n"
		     "  { tag = 99; type = \"voip\"; destination_pattern = \"2...\";\n"
		     "    session_target = \"registrar\";\n"
		     "    codec = [ \"opus\" ]; }\n"
		     ");\n", 4, "dial-peer 99: 'codec' is for a voip dial-peer with an address session_target");
	expect_error("spans = (\n  { name = \"pbx-a\"; type = \"loopback\"; path = \"/tmp/x\"; role = \"network\";\n"
		     "    switchtype = \"ni2\"; framing = \"t1\"; }\n);\n"
		     "dial_peers = (\n"
		     "  { tag = 900; type = \"pots\"; destination_pattern = \"9T\"; port = \"pbx-a\";\n"
		     "    codec = [ \"g711ulaw\" ]; }\n"
		     ");\n", 7, "dial-peer 900: 'codec' is for a voip dial-peer");
}

int suite_config_add(void)
{
	static const CU_TestInfo tests[] = {
		{ "default conf/sipgw.conf loads", test_default_conf_loads },
		{ "empty file gives the defaults", test_empty_file_gives_defaults },
		{ "E1 euroisdn span", test_e1_euroisdn_span },
		{ "span media: tone_zone, echo_cancel, echo_tail_ms", test_span_media_settings },
		{ "missing ';' is tolerated (libconfig)", test_missing_semicolon_is_tolerated },
		{ "syntax errors name file:line", test_syntax_errors },
		{ "missing '}' is reported at the end", test_missing_brace },
		{ "missing file", test_missing_file },
		{ "unknown section", test_unknown_section },
		{ "unknown span key (typo)", test_unknown_span_key },
		{ "bad enum lists the allowed values", test_bad_enum_lists_allowed },
		{ "integer out of range / wrong type", test_out_of_range },
		{ "dial-peer bad destination_pattern", test_dial_peer_bad_pattern },
		{ "voip dial-peer needs session_target", test_voip_peer_needs_target },
		{ "options_keepalive needs an address session_target", test_keepalive_needs_address_target },
		{ "pots dial-peer port names no span", test_pots_peer_port_names_no_span },
		{ "duplicate dial-peer tags", test_duplicate_tags },
		{ "dial-peer srtp needs session_transport tls", test_srtp_needs_tls },
		{ "duplicate span names", test_duplicate_span_names },
		{ "dahdi span needs its DAHDI span number", test_dahdi_span_needs_number },
		{ "span required settings", test_span_required_settings },
		{ "overlap: T302 and the span switches", test_overlap_settings },
		{ "NFAS groups: keys and their errors", test_nfas_settings },
		{ "timers: seconds -> ms", test_timers_seconds_to_ms },
		{ "timers: rtp-timeout, session-expires, min-se", test_timers_never_clear },
		{ "codec lists: dial-peer codec, rtp.codecs, default", test_codec_lists },
		{ "codec lists: unknown, G.729, empty, twice, not a list", test_codec_list_errors },
		{ "sip overload and receive buffer keys", test_sip_overload_keys },
		{ "forwarding per user, redirection limits", test_forwarding_keys },
		{ "trunk groups reference spans", test_trunk_groups },
		{ "registrar and emergency sections", test_registrar_and_emergency },
		{ "registrar errors name the line", test_registrar_errors },
		{ "emergency errors name the line", test_emergency_errors },
		{ "cause overrides, global and per dial-peer", test_causes_load },
		{ "cause override errors name the line", test_causes_errors },
		{ "start-up checks at load: addresses, database, users_file, emergency routes", test_runtime_checks },
		{ "sip.trusted: IPv6 prefixes", test_trusted_ipv6 },
		CU_TEST_INFO_NULL,
	};

	return unit_suite_add("config", tests);
}
