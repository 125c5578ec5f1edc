/* sipgw - the DSP fork-join pool (workpool.h). A batch is opened under the
 * mutex with a new generation; a helper that sees it joins under the mutex
 * while it is open, claims jobs by an atomic index with the caller, and
 * leaves under the mutex. The caller, its own jobs done, closes the batch
 * (no one joins after) and waits until every job is done and every helper
 * that joined has left: so no helper can ever touch a batch's jobs after
 * workpool_run() returns, nor the next batch's before it is opened.
 * Batches are small (a span's frames: up to 31) and come every few hundred
 * microseconds, so a helper spins briefly for the next before it sleeps.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "core/workpool.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>

#define WP_MAX_THREADS 16
#define WP_SPIN 2000		/* polls of the generation before sleeping */

struct workpool {
	pthread_mutex_t mu;
	pthread_cond_t go, done_cv;
	unsigned threads;
	pthread_t tid[WP_MAX_THREADS];
	int stop;
	/* the batch */
	atomic_uint gen;
	workpool_job_h *fn;
	void *ctx;
	unsigned n;
	atomic_uint next, done;
	int open;			/* helpers may join */
	unsigned busy;			/* helpers in the batch */
	int waiting;			/* the caller sleeps on done_cv */
	atomic_ulong jobs, by_helpers;
};

/* Claim and run jobs of the current batch; the count run. */
static unsigned run_jobs(struct workpool *wp)
{
	unsigned k = 0, i;

	while ((i = atomic_fetch_add(&wp->next, 1)) < wp->n) {
		wp->fn(wp->ctx, i);
		atomic_fetch_add(&wp->done, 1);
		k++;
	}
	return k;
}

static void *helper(void *arg)
{
	struct workpool *wp = arg;
	unsigned seen = 0;

	for (;;) {
		unsigned g, k;
		int spin = WP_SPIN;

		while ((g = atomic_load(&wp->gen)) == seen && --spin > 0)
			;
		pthread_mutex_lock(&wp->mu);
		while ((g = atomic_load(&wp->gen)) == seen && !wp->stop)
			pthread_cond_wait(&wp->go, &wp->mu);
		if (wp->stop) {
			pthread_mutex_unlock(&wp->mu);
			return NULL;
		}
		seen = g;
		if (!wp->open) {		/* over before we came */
			pthread_mutex_unlock(&wp->mu);
			continue;
		}
		wp->busy++;
		pthread_mutex_unlock(&wp->mu);
		k = run_jobs(wp);
		atomic_fetch_add(&wp->by_helpers, k);
		pthread_mutex_lock(&wp->mu);
		if (!--wp->busy && wp->waiting)
			pthread_cond_signal(&wp->done_cv);
		pthread_mutex_unlock(&wp->mu);
	}
}

int workpool_alloc(struct workpool **wpp, unsigned threads)
{
	struct workpool *wp = calloc(1, sizeof(*wp));
	sigset_t all, old;

	if (!wp)
		return -ENOMEM;
	if (threads > WP_MAX_THREADS)
		threads = WP_MAX_THREADS;
	pthread_mutex_init(&wp->mu, NULL);
	pthread_cond_init(&wp->go, NULL);
	pthread_cond_init(&wp->done_cv, NULL);
	/* helpers take no signal: the process's go to the loop (signalfd),
	 * whatever mask the caller has when it makes the pool */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (; wp->threads < threads; wp->threads++)
		if (pthread_create(&wp->tid[wp->threads], NULL, helper, wp))
			break;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (wp->threads < threads) {
		workpool_free(wp);
		return -EAGAIN;
	}
	*wpp = wp;
	return 0;
}

void workpool_free(struct workpool *wp)
{
	if (!wp)
		return;
	pthread_mutex_lock(&wp->mu);
	wp->stop = 1;
	pthread_cond_broadcast(&wp->go);
	pthread_mutex_unlock(&wp->mu);
	for (unsigned i = 0; i < wp->threads; i++)
		pthread_join(wp->tid[i], NULL);
	pthread_mutex_destroy(&wp->mu);
	pthread_cond_destroy(&wp->go);
	pthread_cond_destroy(&wp->done_cv);
	free(wp);
}

void workpool_run(struct workpool *wp, unsigned n, workpool_job_h *fn, void *ctx)
{
	if (!n)
		return;
	if (wp)
		atomic_fetch_add(&wp->jobs, n);
	if (!wp || !wp->threads || n == 1) {
		for (unsigned i = 0; i < n; i++)
			fn(ctx, i);
		return;
	}
	pthread_mutex_lock(&wp->mu);
	wp->fn = fn;
	wp->ctx = ctx;
	wp->n = n;
	atomic_store(&wp->next, 0);
	atomic_store(&wp->done, 0);
	wp->open = 1;
	atomic_fetch_add(&wp->gen, 1);
	pthread_cond_broadcast(&wp->go);
	pthread_mutex_unlock(&wp->mu);
	run_jobs(wp);
	pthread_mutex_lock(&wp->mu);
	wp->open = 0;
	/* the jobs a helper claimed may still run: wait for them, and for it */
	while (wp->busy) {
		wp->waiting = 1;
		pthread_cond_wait(&wp->done_cv, &wp->mu);
	}
	wp->waiting = 0;
	pthread_mutex_unlock(&wp->mu);
}

unsigned workpool_threads(const struct workpool *wp)
{
	return wp ? wp->threads : 0;
}

void workpool_counts(const struct workpool *wp, unsigned long *jobs, unsigned long *by_helpers)
{
	*jobs = wp ? atomic_load(&((struct workpool *)wp)->jobs) : 0;
	*by_helpers = wp ? atomic_load(&((struct workpool *)wp)->by_helpers) : 0;
}
