/* sipgw - unit tests: the control socket's request line and output model
 * (core/ctl.c, core/ctl_out.c), through ctl_run with no socket.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctl.h"
#include "unit.h"

static void test_parse_request(void)
{
	char ok[] = CTL_PROTO " json\tshow\tdial-peer\tmatch\t+4930 123";
	char bare[] = CTL_PROTO " text";
	char *argv[8];
	int json = -1, argc = -1;

	CU_ASSERT_EQUAL(ctl_parse_request(ok, &json, &argc, argv, 8), 0);
	CU_ASSERT_EQUAL(json, 1);
	CU_ASSERT_EQUAL(argc, 4);
	CU_ASSERT_STRING_EQUAL(argv[0], "show");
	CU_ASSERT_STRING_EQUAL(argv[3], "+4930 123");	/* spaces kept inside a word */
	CU_ASSERT_EQUAL(ctl_parse_request(bare, &json, &argc, argv, 8), 0);
	CU_ASSERT_EQUAL(json, 0);
	CU_ASSERT_EQUAL(argc, 0);
}

static void test_parse_request_refuses(void)
{
	const char *bad[] = {
		"GET / HTTP/1.0", CTL_PROTO " xml\tshow", CTL_PROTO " text\t\tshow", CTL_PROTO " text\tshow\t",
		CTL_PROTO " textshow", "sipgwctl/2 text\tshow", CTL_PROTO " text\tsh\x01ow",
		CTL_PROTO " text\ta\tb\tc\td\te\tf\tg\th\ti",	/* more words than argv has room */
	};
	char *argv[8];
	int json, argc;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *line = strdup(bad[i]);

		CU_ASSERT_EQUAL(ctl_parse_request(line, &json, &argc, argv, 8), -EINVAL);
		free(line);
	}
}

static int cmd_spans(void *arg, struct ctl_req *req, int argc, char **argv)
{
	int *calls = arg;

	(*calls)++;
	if (argc) {
		ctl_error(req, "takes no arguments, got '%s'", argv[0]);
		return -EINVAL;
	}
	ctl_table(req, "spans", (const char *[]){ "span", "dchan", "busy", NULL });
	ctl_cell(req, "pbx-a");
	ctl_cell(req, "up");
	ctl_cell_num(req, 3);
	ctl_cell(req, "a \"quoted\"\tname");
	ctl_cell(req, "down");
	ctl_cell_num(req, 0);
	ctl_kv_num(req, "totals", "spans", 2);
	return 0;
}

static int cmd_spans_one(void *arg, struct ctl_req *req, int argc, char **argv)
{
	ctl_text(req, "one %s", argc ? argv[0] : "-");
	return 0;
}

static int cmd_fails(void *arg, struct ctl_req *req, int argc, char **argv)
{
	return -EBUSY;	/* no ctl_error: the registry says why */
}

static struct ctl *make_ctl(int *calls)
{
	struct ctl *ctl = NULL;

	CU_ASSERT_EQUAL_FATAL(ctl_alloc(&ctl, &(struct ctl_params){ .path = NULL }), 0);
	CU_ASSERT_EQUAL(ctl_register(ctl, "show spans", "show spans", cmd_spans, calls), 0);
	CU_ASSERT_EQUAL(ctl_register(ctl, "show spans one", "show spans one SPAN", cmd_spans_one, NULL), 0);
	CU_ASSERT_EQUAL(ctl_register(ctl, "show spans", "again", cmd_spans, calls), -EEXIST);
	CU_ASSERT_EQUAL(ctl_register(ctl, "clear call", "clear call ID", cmd_fails, NULL), 0);
	return ctl;
}

/* Text: a header, columns as wide as their widest cell, two spaces apart;
 * a control character (a tab, an ESC from a display name) shows as '?'. */
static void test_text_table_aligned(void)
{
	int calls = 0;
	struct ctl *ctl = make_ctl(&calls);
	char *argv[] = { "show", "spans" }, *out = NULL;

	CU_ASSERT_EQUAL(ctl_run(ctl, 0, 2, argv, &out), 0);
	CU_ASSERT_EQUAL(calls, 1);
	CU_ASSERT_STRING_EQUAL(out, "ok\n"
				    "span             dchan  busy\n"
				    "pbx-a            up     3\n"
				    "a \"quoted\"?name  down   0\n"
				    "\n"
				    "spans  2\n");
	free(out);
	ctl_free(ctl);
}

/* JSON: tables are arrays of objects, numbers stay numbers, strings escaped. */
static void test_json_table(void)
{
	int calls = 0;
	struct ctl *ctl = make_ctl(&calls);
	char *argv[] = { "show", "spans" }, *out = NULL;

	CU_ASSERT_EQUAL(ctl_run(ctl, 1, 2, argv, &out), 0);
	CU_ASSERT_STRING_EQUAL(out, "ok\n{\"spans\":[{\"span\":\"pbx-a\",\"dchan\":\"up\",\"busy\":3},"
				    "{\"span\":\"a \\\"quoted\\\"\\u0009name\",\"dchan\":\"down\",\"busy\":0}],"
				    "\"totals\":{\"spans\":2}}\n");
	free(out);
	ctl_free(ctl);
}

/* The longest registered prefix wins; the rest are the command's arguments. */
static void test_longest_prefix(void)
{
	int calls = 0;
	struct ctl *ctl = make_ctl(&calls);
	char *a1[] = { "show", "spans", "one", "pbx-b" }, *a2[] = { "show", "spans", "pbx-b" }, *out = NULL;

	CU_ASSERT_EQUAL(ctl_run(ctl, 0, 4, a1, &out), 0);
	CU_ASSERT_STRING_EQUAL(out, "ok\none pbx-b\n");
	free(out);
	CU_ASSERT_EQUAL(ctl_run(ctl, 0, 3, a2, &out), -EINVAL);
	CU_ASSERT_STRING_EQUAL(out, "error\ntakes no arguments, got 'pbx-b'\n");
	free(out);
	ctl_free(ctl);
}

/* Unknown words name what there is; a handler's bare -errno is told. */
static void test_unknown_and_failed(void)
{
	int calls = 0;
	struct ctl *ctl = make_ctl(&calls);
	char *a1[] = { "show", "calls" }, *a2[] = { "clear", "call", "7" }, *a3[] = { "frobnicate" }, *out = NULL;

	CU_ASSERT_EQUAL(ctl_run(ctl, 0, 2, a1, &out), -ENOENT);
	CU_ASSERT_STRING_EQUAL(out, "error\nunknown command 'show calls'; try: show spans; show spans one SPAN\n");
	free(out);
	CU_ASSERT_EQUAL(ctl_run(ctl, 1, 3, a2, &out), -EBUSY);
	CU_ASSERT_STRING_EQUAL(out, "error\n{\"error\":\"failed: Device or resource busy\"}\n");
	free(out);
	CU_ASSERT_EQUAL(ctl_run(ctl, 0, 1, a3, &out), -ENOENT);
	CU_ASSERT_STRING_EQUAL(out, "error\nunknown command 'frobnicate' (try: help)\n");
	free(out);
	CU_ASSERT_EQUAL(ctl_run(ctl, 0, 0, a3, &out), 0);	/* no words: help */
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "clear call ID\n"));
	free(out);
	CU_ASSERT_EQUAL(calls, 0);
	ctl_free(ctl);
}

int suite_ctl_add(void)
{
	CU_pSuite s = CU_add_suite("ctl", NULL, NULL);

	if (!s)
		return -1;
	CU_add_test(s, "request line parsed", test_parse_request);
	CU_add_test(s, "bad request lines refused", test_parse_request_refuses);
	CU_add_test(s, "text table aligned", test_text_table_aligned);
	CU_add_test(s, "json table", test_json_table);
	CU_add_test(s, "longest prefix wins", test_longest_prefix);
	CU_add_test(s, "unknown and failed commands", test_unknown_and_failed);
	return 0;
}
