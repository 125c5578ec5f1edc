/* sipgw - unit tests: the DSP fork-join pool (core/workpool.c). Every job
 * of a batch runs exactly once, none after workpool_run() returns nor
 * before its batch, on the caller and the helpers; a pool of no helpers
 * runs all on the caller. SPDX-License-Identifier: GPL-2.0-only */
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "core/workpool.h"
#include "unit.h"

#define JOBS_MAX 32

struct batch {
	atomic_uint hits[JOBS_MAX];
	atomic_uint late;		/* jobs run once the batch was over */
	atomic_int over;
};

static void job(void *ctx, unsigned i)
{
	struct batch *b = ctx;

	if (atomic_load(&b->over))
		atomic_fetch_add(&b->late, 1);
	atomic_fetch_add(&b->hits[i], 1);
}

static void run_batches(unsigned helpers, unsigned batches)
{
	struct workpool *wp;
	unsigned long jobs = 0, total, by_helpers;
	unsigned bad = 0, late = 0;
	uint32_t seed = 12345;

	CU_ASSERT_EQUAL_FATAL(workpool_alloc(&wp, helpers), 0);
	CU_ASSERT_EQUAL(workpool_threads(wp), helpers);
	for (unsigned k = 0; k < batches; k++) {
		static struct batch b;	/* the same memory each time: a stray job would count */
		unsigned n;

		seed = seed * 1664525u + 1013904223u;
		n = 1 + (seed >> 16) % JOBS_MAX;
		memset(&b, 0, sizeof(b));
		workpool_run(wp, n, job, &b);
		atomic_store(&b.over, 1);
		for (unsigned i = 0; i < JOBS_MAX; i++)
			if (atomic_load(&b.hits[i]) != (i < n ? 1u : 0u))
				bad++;
		late += atomic_load(&b.late);
		jobs += n;
	}
	workpool_counts(wp, &total, &by_helpers);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(late, 0);
	CU_ASSERT_EQUAL(total, jobs);
	if (!helpers)
		CU_ASSERT_EQUAL(by_helpers, 0);
	CU_ASSERT(by_helpers <= total);
	workpool_free(wp);
}

static void test_each_job_once_with_helpers(void)
{
	run_batches(1, 20000);
	run_batches(3, 5000);
}

static void test_no_helpers_runs_inline(void)
{
	run_batches(0, 1000);
	/* no pool at all: the caller runs them */
	{
		static struct batch b;

		memset(&b, 0, sizeof(b));
		workpool_run(NULL, 5, job, &b);
		for (unsigned i = 0; i < 5; i++)
			CU_ASSERT_EQUAL(atomic_load(&b.hits[i]), 1u);
	}
}

int suite_workpool_add(void)
{
	static const CU_TestInfo tests[] = {
		{ "every job of every batch once, none late, 1 and 3 helpers", test_each_job_once_with_helpers },
		{ "no helpers, or no pool: the caller runs them all", test_no_helpers_runs_inline },
		CU_TEST_INFO_NULL,
	};

	return unit_suite_add("workpool", tests);
}
