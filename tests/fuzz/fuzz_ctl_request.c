/* sipgw - fuzz target: the control socket's request line (core/ctl.c) and
 * what a command renders from it (core/ctl_out.c). The input is one
 * request as a client sends it; a parsed one runs through a registry of
 * commands that echo their words into a table, a kv block and text, in
 * text and JSON. Besides "no crash": a parse that succeeds gives words
 * with no tab or control character, and every answer starts "ok\n" or
 * "error\n" and is NUL-terminated at its length. SPDX-License-Identifier: GPL-2.0-only */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctl.h"

static int cmd_echo(void *arg, struct ctl_req *req, int argc, char **argv)
{
	ctl_table(req, "words", (const char *[]){ "n", "word", NULL });
	for (int i = 0; i < argc; i++) {
		ctl_cell_num(req, i);
		ctl_cell(req, "%s", argv[i]);
		ctl_kv(req, "kv", argv[i], "%s", argv[0]);
		ctl_text(req, "%s", argv[i]);
	}
	if (argc > 3) {
		ctl_error(req, "too many: %s", argv[3]);
		return -EINVAL;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ctl *ctl;
	char *line, *argv[CTL_MAX_ARGS], *out;
	int json, argc;

	if (!ctl) {
		if (ctl_alloc(&ctl, &(struct ctl_params){ .path = NULL }))
			abort();
		ctl_register(ctl, "show", "show ...", cmd_echo, NULL);
		ctl_register(ctl, "show calls", "show calls ...", cmd_echo, NULL);
		ctl_register(ctl, "debug q931 on", "debug q931 on ...", cmd_echo, NULL);
	}
	if (size > CTL_MAX_REQUEST || !(line = malloc(size + 1)))
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	if (ctl_parse_request(line, &json, &argc, argv, CTL_MAX_ARGS) == 0) {
		assert(argc >= 0 && argc <= CTL_MAX_ARGS);
		for (int i = 0; i < argc; i++) {
			assert(argv[i][0]);
			for (const char *p = argv[i]; *p; p++)
				assert((unsigned char)*p >= 0x20 && *p != 0x7f);
		}
		out = NULL;
		ctl_run(ctl, json, argc, argv, &out);
		assert(out && (!strncmp(out, "ok\n", 3) || !strncmp(out, "error\n", 6)));
		free(out);
	}
	free(line);
	return 0;
}
