/* sipgw - online digest guessing defence: failed digest answers counted per
 * source address and per user in a sliding window; a source past the limit
 * is refused without a digest check for a back-off time that grows while it
 * keeps trying. SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_SIP_AUTH_GUARD_H
#define SIPGW_SIP_AUTH_GUARD_H

struct auth_guard;

struct auth_guard_params {
	unsigned attempts;	/* failed answers in the window that start a block (1..64) */
	unsigned window_ms;	/* the sliding window */
	unsigned backoff_ms;	/* first block of a source */
	unsigned backoff_max_ms;	/* a block doubles each time the source offends again, up to this */
};

int auth_guard_alloc(struct auth_guard **gp, const struct auth_guard_params *p);
void auth_guard_free(struct auth_guard *g);
/** May source try a digest answer (for user, "" when unknown)? 0 yes; 1 no:
 * source is blocked, or user is under attack and source is one of those that
 * failed for it. A user is never refused from a source that did not fail. */
int auth_guard_blocked(struct auth_guard *g, const char *source, const char *user, long long now_ms);
/** A failed digest answer (wrong password, wrong uri, unknown user, broken
 * credentials) from source for user ("" when there is no such user). */
void auth_guard_failed(struct auth_guard *g, const char *source, const char *user, long long now_ms);
/** Ends the blocks whose time is over (one notice line each, with counts);
 * call about once a second. */
void auth_guard_sweep(struct auth_guard *g, long long now_ms);
/** Sources blocked now (for tests and status). */
unsigned auth_guard_blocked_count(const struct auth_guard *g);
/** Failed digest answers since the start (auth_guard_failed calls), for metrics. */
unsigned long auth_guard_failures(const struct auth_guard *g);

#endif
