/* sipgw - echo canceller benchmark: the candidates' common shape.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_BENCH_BENCH_EC_H
#define SIPGW_BENCH_BENCH_EC_H

#include <stddef.h>
#include <stdint.h>

/* SpanDSP's echo_can (bench/bench_ec_spandsp.c); nlp: NLP + CNG on */
void *span_ec_alloc(int tail_ms, int nlp);
void span_ec_process(void *ctx, const int16_t *ref, const int16_t *in, int16_t *out, size_t n);
void span_ec_free(void *ctx);

#endif
