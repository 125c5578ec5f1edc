/* sipgw - Cisco-style dial-peers in routing: destination-pattern matching,
 * peer selection and digit manipulation. The peer and its pattern grammar are
 * data in core/dialpeer.h. SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_ROUTE_DIALPEER_H
#define SIPGW_ROUTE_DIALPEER_H

#include <stddef.h>

#include "core/dialpeer.h"

#define DP_NUMBER_MAX	64	/* longer numbers never match */
#define DP_LOOKUP_MAX	32	/* dp_lookup() returns at most this many peers */

/** Match a whole en-bloc number against a whole pattern: -1 when it does not
 * match (or the pattern is malformed), else a specificity score, higher is
 * more specific: twice the sum over the digits the pattern requires of 12 for
 * a literal, 12 - members for a [ ] class, 0 for '.' and 'T'; plus 1 when
 * the pattern has a fixed length ("2..." beats "2T"). */
int dp_pattern_match(const char *pattern, const char *number);
/** True when some number longer than prefix that starts with it matches
 * pattern: more digits may still come for it (overlap dialling). A
 * malformed pattern extends nothing. */
int dp_pattern_extends(const char *pattern, const char *prefix);
/** Peers of type (DP_POTS, DP_VOIP or -1 for any) whose pattern matches number,
 * best first: highest score, then lowest preference, lowest tag, config order.
 * Fills outp[] with at most min(max, DP_LOOKUP_MAX); returns how many. */
size_t dp_lookup(const struct dial_peer *peers, size_t n, const char *number, int type,
		 const struct dial_peer **outp, size_t max);
/** The shortest number pattern matches (lowest digit of each class), for
 * checking before the start that a number has somewhere to go. 0, -EINVAL or
 * -ENOSPC. */
int dp_pattern_example(const char *pattern, char *out, size_t outlen);
/** Called number to send on the PRI for a pots peer: Cisco default stripping of
 * the explicitly matched leading digits, or forward-digits, then prefix.
 * 0, -EINVAL (not pots, bad forward_digits), -ENOENT (number does not match
 * the pattern) or -ENOSPC. */
int dp_pots_number(const struct dial_peer *dp, const char *number, char *out, size_t outlen);

#endif
