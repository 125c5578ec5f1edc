/* sipgw - fuzz target: sipgwctl's span commands (src/gw_spans.c: show
 * spans, show channels, busyout / unbusy span|channel, debug q931) with
 * whatever words an operator (or anyone on the socket) sends, over a T1
 * and an E1 span on a back end that never speaks. The input is a request
 * line as a client sends it (core/ctl.c parses it). Besides "no crash":
 * every answer starts "ok\n" or "error\n", and busyout only ever marks
 * B-channels of the span (never 0, 16 on the E1, or past the last).
 * SPDX-License-Identifier: GPL-2.0-only */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sofia-sip/su_wait.h>

#include "gw.h"
#include "core/ctl.h"
#include "core/log.h"
#include "q931/pri_internal.h"

static struct span_hw { int dummy; } the_hw;

static int f_open(struct span_hw **hwp, const struct cfg_span *cfg, struct su_root_s *r,
		  const struct span_hw_cbs *cbs, void *arg)
{
	*hwp = &the_hw;
	return 0;
}

static void f_close(struct span_hw *hw) {}
static ssize_t f_d_read(struct span_hw *hw, void *buf, size_t len) { return 0; }
static ssize_t f_d_write(struct span_hw *hw, const void *buf, size_t len) { return (ssize_t)len; }
static int f_b_write(struct span_hw *hw, int chan, const uint8_t *f, size_t len) { return 0; }

static const struct span_hw_ops f_ops = {
	.name = "fuzz", .open = f_open, .close = f_close, .d_read = f_d_read, .d_write = f_d_write,
	.b_write = f_b_write,
};

static struct gw gw;
static struct cfg_span cfg[2];

static void setup(void)
{
	static const char *const names[2] = { "pbx-a", "e1" };

	log_set_level(LOG_LVL_ERROR);
	su_init();
	gw.root = su_root_create(NULL);
	if (!gw.root || ctl_alloc(&gw.ctl, &(struct ctl_params){ .path = NULL }) || gw_spans_register(&gw))
		abort();
	for (int i = 0; i < 2; i++) {
		snprintf(cfg[i].name, sizeof(cfg[i].name), "%s", names[i]);
		snprintf(cfg[i].switch_name, sizeof(cfg[i].switch_name), "ni2");
		cfg[i].framing = i ? FRAMING_E1 : FRAMING_T1;
		cfg[i].service_messages = 1;
		if (span_alloc(&gw.spans[i], &(struct span_params){ .cfg = &cfg[i], .root = gw.root,
								    .reserved = 2, .hw_ops = &f_ops }))
			abort();
	}
	gw.n_spans = 2;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line, *argv[CTL_MAX_ARGS], *out = NULL;
	int json, argc;

	if (!gw.ctl)
		setup();
	if (size > CTL_MAX_REQUEST || !(line = malloc(size + 1)))
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	if (ctl_parse_request(line, &json, &argc, argv, CTL_MAX_ARGS) == 0) {
		ctl_run(gw.ctl, json, argc, argv, &out);
		assert(out && (!strncmp(out, "ok\n", 3) || !strncmp(out, "error\n", 6)));
		free(out);
	}
	free(line);
	for (int i = 0; i < gw.n_spans; i++) {
		struct span *sp = gw.spans[i];
		uint32_t valid = 0;
		int chan;

		for (int k = 0; k < sp->n_b; k++)
			valid |= 1u << sp->bchans[k];
		assert(!(sp->busied & ~valid) && !(sp->busied_svc & ~valid));
		/* the next input starts from a span in use and debug off */
		span_busyout(sp, sp->bchans[0], sp->bchans[sp->n_b - 1], 0, 1, &chan);
		if (sp->debug_q931)
			span_debug_q931(sp, 0);
	}
	return 0;
}
