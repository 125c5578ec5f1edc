/* sipgw - a fork-join pool for DSP: the caller and the pool's threads run
 * one job each, by index, until a batch is done (the echo cancellers of a
 * span's frames, issue 14). Jobs of one batch must not share state.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_CORE_WORKPOOL_H
#define SIPGW_CORE_WORKPOOL_H

struct workpool;
typedef void (workpool_job_h)(void *ctx, unsigned i);

/** threads helpers beside the caller (0: the caller runs everything). 0 or -errno. */
int workpool_alloc(struct workpool **wp, unsigned threads);
void workpool_free(struct workpool *wp);
/** fn(ctx, i) for every i < n, on the caller and the helpers; returns when
 * all are done. Not reentrant: one batch at a time, from one thread. */
void workpool_run(struct workpool *wp, unsigned n, workpool_job_h *fn, void *ctx);
/** Helper threads (0 for a NULL pool). */
unsigned workpool_threads(const struct workpool *wp);
/** Jobs the helpers ran, of all the jobs run: how much the pool took. */
void workpool_counts(const struct workpool *wp, unsigned long *jobs, unsigned long *by_helpers);

#endif
