/* sipgw - fuzz support: libpri's allocations, kept so they can all be freed.
 *
 * libpri 1.6 has no call to free an instance, and fuzz_q931 makes one per
 * input: without this, each input would leak a few kilobytes and LeakSanitizer
 * would stop the first run. The Makefile gives fuzz_q931 a copy of libpri.a
 * whose malloc, calloc and free are renamed to the functions below (objcopy
 * --redefine-sym); pri_arena_reset() frees whatever libpri still holds once
 * the instance is dropped. libpri calls no other allocator (realloc, strdup).
 * SPDX-License-Identifier: GPL-2.0-only */
#include <stdlib.h>
#include <string.h>

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
