/* sipgw - echo canceller benchmark: SpanDSP 0.0.6's echo_can, the candidate
 * not taken. In its own file: dsp/echo.h renames echo_can_free, SpanDSP's
 * header declares its own. SPDX-License-Identifier: GPL-2.0-only */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <spandsp.h>

#include "bench/bench_ec.h"

struct span_ec {
	echo_can_state_t *ec;
};

void *span_ec_alloc(int tail_ms, int nlp)
{
	struct span_ec *s = calloc(1, sizeof(*s));
	int mode = ECHO_CAN_USE_ADAPTION | ECHO_CAN_USE_RX_HPF;

	if (!s)
		return NULL;
	/* what Asterisk's and FreeSWITCH's SpanDSP users switch on */
	if (nlp)
		mode |= ECHO_CAN_USE_NLP | ECHO_CAN_USE_CNG;
	s->ec = echo_can_init(tail_ms * 8, mode);
	if (!s->ec) {
		free(s);
		return NULL;
	}
	return s;
}

void span_ec_process(void *ctx, const int16_t *ref, const int16_t *in, int16_t *out, size_t n)
{
	struct span_ec *s = ctx;

	/* no tx HPF: the media chain plays ref to the line unfiltered */
	for (size_t i = 0; i < n; i++)
		out[i] = echo_can_update(s->ec, ref[i], in[i]);
}

void span_ec_free(void *ctx)
{
	struct span_ec *s = ctx;

	if (!s)
		return;
	echo_can_free(s->ec);
	free(s);
}
