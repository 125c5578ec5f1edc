/* sipgw - fuzz support: libpri's allocations, kept so they can all be freed,
 * and libpri's clock, which the fuzzer moves on to expire Q.921/Q.931 timers.
 *
 * libpri 1.6 has no call to free an instance, and fuzz_q931 makes one per
 * input: without this, each input would leak a few kilobytes and LeakSanitizer
 * would stop the first run. The Makefile gives fuzz_q931 a copy of libpri.a
 * whose malloc, calloc and free are renamed to the functions below (objcopy
 * --redefine-sym); pri_arena_reset() frees whatever libpri still holds once
 * the instance is dropped. libpri calls no other allocator (realloc, strdup).
 * Its gettimeofday is renamed too: libpri's timers (T200, T303, T305...) run
 * on fuzz_pri_gettimeofday(), the real time plus what pri_clock_advance() added.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "pri_arena.h"

static void **live;
static size_t n_live, cap_live;

static void *keep(void *p)
{
	if (!p)
		return NULL;
	if (n_live == cap_live) {
		size_t cap = cap_live ? cap_live * 2 : 256;
		void **nl = realloc(live, cap * sizeof(*nl));
		if (!nl)
			abort();
		live = nl;
		cap_live = cap;
	}
	live[n_live++] = p;
	return p;
}

void *fuzz_pri_malloc(size_t n)
{
	return keep(malloc(n));
}

void *fuzz_pri_calloc(size_t n, size_t size)
{
	return keep(calloc(n, size));
}

void fuzz_pri_free(void *p)
{
	if (!p)
		return;
	/* the newest first: libpri mostly frees what it allocated last */
	for (size_t i = n_live; i-- > 0;) {
		if (live[i] == p) {
			live[i] = live[--n_live];
			free(p);
			return;
		}
	}
	abort();	/* not libpri's: a double free or a foreign pointer */
}

size_t pri_arena_count(void)
{
	return n_live;
}

void pri_arena_reset(void)
{
	while (n_live)
		free(live[--n_live]);
}

static long long clock_offset_us;

int fuzz_pri_gettimeofday(struct timeval *tv, void *tz)
{
	long long us;

	gettimeofday(tv, NULL);
	us = (long long)tv->tv_sec * 1000000 + tv->tv_usec + clock_offset_us;
	tv->tv_sec = us / 1000000;
	tv->tv_usec = us % 1000000;
	return 0;
}

void pri_clock_advance(unsigned ms)
{
	clock_offset_us += (long long)ms * 1000;
}

void pri_clock_reset(void)
{
	clock_offset_us = 0;
}

void pri_clock_now(struct timeval *tv)
{
	fuzz_pri_gettimeofday(tv, NULL);
}
