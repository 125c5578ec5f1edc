/* sipgw - unit tests: the operations sections of the config (control,
 * cdr, metrics, trace: core/config_ops.c). SPDX-License-Identifier: GPL-2.0-only */
#include <string.h>

#include "core/config.h"
#include "config_test.h"
#include "unit.h"

static void test_ops_defaults(void)
{
	struct gw_config cfg;
	char err[512], path[256];

	CU_ASSERT_EQUAL_FATAL(load_text(&cfg, "", err, sizeof(err), path, sizeof(path)), 0);
	CU_ASSERT_STRING_EQUAL(cfg.ops.control_socket, "");
	CU_ASSERT_EQUAL(cfg.ops.control_mode, 0660);
	CU_ASSERT_EQUAL(cfg.ops.control_uid, (uid_t)-1);
	CU_ASSERT_EQUAL(cfg.ops.control_gid, (gid_t)-1);
	CU_ASSERT_STRING_EQUAL(cfg.ops.metrics_listen, "");
	config_free(&cfg);
}

static void test_ops_keys(void)
{
	struct gw_config cfg;
	char err[512], path[256];

	CU_ASSERT_EQUAL_FATAL(load_text(&cfg,
					"control = { socket = \"/run/sipgw/sipgw.ctl\"; mode = \"0600\"; owner = \"root\"; group = \"root\"; };\n"
					"metrics = { listen = \"127.0.0.1:9464\"; };\n"
					"trace = { pcap_max_kb = 1024; pcap_files = 3; ladder_all = true; };\n",
					err, sizeof(err), path, sizeof(path)), 0);
	CU_ASSERT_STRING_EQUAL(cfg.ops.control_socket, "/run/sipgw/sipgw.ctl");
	CU_ASSERT_EQUAL(cfg.ops.control_mode, 0600);
	CU_ASSERT_EQUAL(cfg.ops.control_uid, 0);
	CU_ASSERT_EQUAL(cfg.ops.control_gid, 0);
	CU_ASSERT_STRING_EQUAL(cfg.ops.metrics_listen, "127.0.0.1:9464");
	CU_ASSERT_EQUAL(cfg.ops.trace_pcap_max_kb, 1024);
	CU_ASSERT_EQUAL(cfg.ops.trace_pcap_files, 3);
	CU_ASSERT_EQUAL(cfg.ops.trace_ladder_all, 1);
	config_free(&cfg);
}

/* A control socket others could use is refused: it clears calls. */
static void test_control_errors(void)
{
	expect_error("\ncontrol = {\n mode = \"0666\"; };\n", 3, "other users may not have access");
	expect_error("control = { mode = \"rw\"; };\n", 1, "not an octal mode");
	expect_error("control = { mode = \"0999\"; };\n", 1, "not an octal mode");
	expect_error("control = {\n owner = \"no-such-user-sipgw\"; };\n", 2, "no such user");
	expect_error("control = { group = \"no-such-group-sipgw\"; };\n", 1, "no such group");
	expect_error("control = { socket = \"/tmp/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"; };\n",
		     1, "is too long");
	expect_error("control = { sokcet = \"/tmp/x\"; };\n", 1, "sokcet");
	expect_error("trace = { pcap_files = 0; };\n", 1, "pcap_files");
	expect_error("metrix = { listen = \"127.0.0.1:9464\"; };\n", 1, "unknown section 'metrix'");
}

int suite_config_ops_add(void)
{
	CU_pSuite s = CU_add_suite("config_ops", NULL, NULL);

	if (!s)
		return -1;
	CU_add_test(s, "defaults", test_ops_defaults);
	CU_add_test(s, "keys", test_ops_keys);
	CU_add_test(s, "control errors", test_control_errors);
	return 0;
}
