/* sipgw - fuzz support: libpri's allocations, freed all at once, and its clock (pri_arena.c).
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_FUZZ_PRI_ARENA_H
#define SIPGW_FUZZ_PRI_ARENA_H

#include <stddef.h>

struct timeval;

void *fuzz_pri_malloc(size_t n);
void *fuzz_pri_calloc(size_t n, size_t size);
void fuzz_pri_free(void *p);
/** Blocks libpri holds now. */
size_t pri_arena_count(void);
/** Free every block libpri holds: only once no libpri instance is used again. */
void pri_arena_reset(void);

/** libpri's gettimeofday (renamed in its copy): real time plus the advances. */
int fuzz_pri_gettimeofday(struct timeval *tv, void *tz);
void pri_clock_advance(unsigned ms);
void pri_clock_reset(void);
/** The time as libpri sees it. */
void pri_clock_now(struct timeval *tv);

#endif
