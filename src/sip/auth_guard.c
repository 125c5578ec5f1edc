/* sipgw - online digest guessing defence (see auth_guard.h).
 *
 * Why per source and per user: one source trying many passwords is stopped
 * by its own count; many sources sharing a user's guesses (a botnet) are
 * stopped by the user's count, which refuses only the sources that already
 * failed for some user, so the phone that knows its password still gets
 * in from its own address. Both tables are fixed-size and open-addressed:
 * a flood of random sources evicts the quietest entries, never a block in
 * force. SPDX-License-Identifier: GPL-2.0-only */
#include "sip/auth_guard.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

#define GUARD_SLOTS 4096	/* per table; a power of two */
#define GUARD_PROBE 16
#define GUARD_RING 64		/* most attempts a window can count */

struct guard_entry {
	char key[64];		/* source address or user; "" = free slot */
	long long fails[GUARD_RING];	/* times of the last failures, ring */
	unsigned head, n;
	long long last_ms;	/* last failure or refusal */
	/* sources */
	long long blocked_until;	/* 0 = not blocked */
	long long blocked_since;
	unsigned backoff_ms;	/* next block's length */
	unsigned ep_fails, ep_refused;	/* counts of the episode in force */
	/* users */
	int attacked;
	long long attacked_since;
};

struct auth_guard {
	struct auth_guard_params p;
	struct guard_entry *src, *usr;
	unsigned n_blocked;
	unsigned long failures;		/* every failed answer, for metrics */
};

static unsigned key_hash(const char *s)
{
	unsigned h = 5381;

	for (; *s; s++)
		h = h * 33 + (unsigned char)*s;
	return h;
}

/* The entry for key, or a slot for it (create), or NULL. A new key takes a
 * free slot or evicts the least recently active entry that is not blocked. */
static struct guard_entry *entry_get(struct guard_entry *t, const char *key, int create)
{
	unsigned h = key_hash(key);
	struct guard_entry *victim = NULL;

	for (unsigned k = 0; k < GUARD_PROBE; k++) {
		struct guard_entry *e = &t[(h + k) & (GUARD_SLOTS - 1)];
		if (e->key[0] && !strcmp(e->key, key))
			return e;
		if (e->blocked_until || e->attacked)
			continue;
		if (!victim || !e->key[0] || (victim->key[0] && e->last_ms < victim->last_ms))
			victim = e;
	}
	if (!create || !victim)
		return NULL;
	memset(victim, 0, sizeof(*victim));
	snprintf(victim->key, sizeof(victim->key), "%s", key);
	return victim;
}

/* Failures within the window ending now. */
static unsigned recent(const struct auth_guard *g, const struct guard_entry *e, long long now)
{
	unsigned c = 0;

	for (unsigned i = 0; i < e->n; i++)
		c += e->fails[i] > now - (long long)g->p.window_ms;
	return c;
}

static void note_fail(const struct auth_guard *g, struct guard_entry *e, long long now)
{
	e->fails[e->head] = now;
	e->head = (e->head + 1) % GUARD_RING;
	if (e->n < GUARD_RING)
		e->n++;
	e->last_ms = now;
}

int auth_guard_alloc(struct auth_guard **gp, const struct auth_guard_params *p)
{
	struct auth_guard *g = calloc(1, sizeof(*g));

	if (!g)
		return -ENOMEM;
	g->p = *p;
	if (g->p.attempts < 1)
		g->p.attempts = 1;
	if (g->p.attempts > GUARD_RING)
		g->p.attempts = GUARD_RING;
	if (g->p.backoff_max_ms < g->p.backoff_ms)
		g->p.backoff_max_ms = g->p.backoff_ms;
	g->src = calloc(GUARD_SLOTS, sizeof(*g->src));
	g->usr = calloc(GUARD_SLOTS, sizeof(*g->usr));
	if (!g->src || !g->usr) {
		auth_guard_free(g);
		return -ENOMEM;
	}
	*gp = g;
	return 0;
}

void auth_guard_free(struct auth_guard *g)
{
	if (!g)
		return;
	free(g->src);
	free(g->usr);
	free(g);
}

/* One more failure of source s; past the limit its block starts. */
static void source_failed(struct auth_guard *g, struct guard_entry *s, const char *user, long long now)
{
	unsigned n;

	note_fail(g, s, now);
	if ((n = recent(g, s, now)) < g->p.attempts)
		return;
	if (!s->backoff_ms)
		s->backoff_ms = g->p.backoff_ms;
	s->blocked_since = now;
	s->blocked_until = now + s->backoff_ms;
	s->ep_fails = n;
	s->ep_refused = 0;
	s->n = s->head = 0;	/* a fresh count after the block */
	g->n_blocked++;
	LOGN(LSS_SIP, "auth guard: %s sent %u failed digest answers in %u s (last for user %s): "
	     "refused without a digest check for %u s", s->key, n, g->p.window_ms / 1000,
	     user && user[0] ? user : "(unknown)", s->backoff_ms / 1000);
}

int auth_guard_blocked(struct auth_guard *g, const char *source, const char *user, long long now)
{
	struct guard_entry *s = entry_get(g->src, source, 0), *u;

	if (!s)
		return 0;	/* never failed: never refused */
	if (s->blocked_until) {
		/* Trying on while blocked restarts the block. */
		s->ep_refused++;
		s->last_ms = now;
		if (s->blocked_until < now + s->backoff_ms)
			s->blocked_until = now + s->backoff_ms;
		return 1;
	}
	if (!user || !user[0] || !recent(g, s, now) || !(u = entry_get(g->usr, user, 0)) || !u->attacked)
		return 0;
	/* A source that failed before, for a user under attack: refused, and
	 * counted as if it had failed again, so it is soon blocked itself. */
	source_failed(g, s, user, now);
	return 1;
}

void auth_guard_failed(struct auth_guard *g, const char *source, const char *user, long long now)
{
	struct guard_entry *s = entry_get(g->src, source, 1), *u;
	unsigned n;

	g->failures++;
	if (s && !s->blocked_until)
		source_failed(g, s, user, now);
	if (!user || !user[0] || !(u = entry_get(g->usr, user, 1)))
		return;
	note_fail(g, u, now);
	if (!u->attacked && (n = recent(g, u, now)) >= g->p.attempts) {
		u->attacked = 1;
		u->attacked_since = now;
		LOGN(LSS_SIP, "auth guard: user %s had %u failed digest answers in %u s: sources that "
		     "failed are refused for it, others are not", user, n, g->p.window_ms / 1000);
	}
}

void auth_guard_sweep(struct auth_guard *g, long long now)
{
	for (unsigned i = 0; i < GUARD_SLOTS; i++) {
		struct guard_entry *s = &g->src[i], *u = &g->usr[i];

		if (s->blocked_until && s->blocked_until <= now) {
			LOGN(LSS_SIP, "auth guard: %s no longer refused after %lld s (%u failed answers, "
			     "%u requests refused while blocked)", s->key, (now - s->blocked_since) / 1000,
			     s->ep_fails, s->ep_refused);
			s->blocked_until = 0;
			/* The next offence within the longest back-off costs twice as much. */
			s->backoff_ms = s->backoff_ms * 2 > g->p.backoff_max_ms ? g->p.backoff_max_ms
									     : s->backoff_ms * 2;
			g->n_blocked--;
		} else if (!s->blocked_until && s->backoff_ms && s->key[0] &&
			   now - s->last_ms > (long long)g->p.backoff_max_ms) {
			s->backoff_ms = 0;	/* forgiven */
		}
		if (u->attacked && recent(g, u, now) < g->p.attempts) {
			LOGN(LSS_SIP, "auth guard: user %s no longer under attack after %lld s", u->key,
			     (now - u->attacked_since) / 1000);
			u->attacked = 0;
		}
	}
}

unsigned auth_guard_blocked_count(const struct auth_guard *g)
{
	return g->n_blocked;
}

unsigned long auth_guard_failures(const struct auth_guard *g) { return g->failures; }
