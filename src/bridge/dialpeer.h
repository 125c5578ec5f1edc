/* sipgw - Cisco-style dial-peers: destination-pattern matching and digit manipulation.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_BRIDGE_DIALPEER_H
#define SIPGW_BRIDGE_DIALPEER_H

#include <stddef.h>

enum dp_type { DP_POTS, DP_VOIP };

#define DP_FWD_DEFAULT	-1	/* strip the explicitly matched leading digits */
#define DP_FWD_ALL	-2	/* forward-digits all */
#define DP_PREF_MAX	10
#define DP_SIP_PORT	5060	/* RFC 3261 19.1.2 default port */
#define DP_NUMBER_MAX	64	/* longer numbers never match */
#define DP_LOOKUP_MAX	32	/* dp_lookup() returns at most this many peers */

struct dial_peer {
	int tag;
	enum dp_type type;
	char pattern[64];	/* destination-pattern */
	int preference;		/* 0 (default, most preferred) .. 10 */
	char target[128];	/* voip: "ipv4:1.2.3.4[:port]", "dns:host[:port]" or "host[:port]" */
	char port[64];		/* pots: span or trunk group name */
	int forward_digits;	/* pots: DP_FWD_DEFAULT, DP_FWD_ALL or N = keep the last N */
	char prefix[32];	/* pots: digits prepended after stripping */
	int ton, npi;		/* pots: called number's type of number (bits 7-5) and numbering plan (Q.931 4.5.8) */
};

/** Check a destination-pattern; 0, or -EINVAL with *whyp (if whyp) set to a
 * static reason for the config error. */
int dp_pattern_check(const char *pattern, const char **whyp);
/** Match a whole en-bloc number against a whole pattern: -1 when it does not
 * match (or the pattern is malformed), else a specificity score, higher is
 * more specific: twice the sum over the digits the pattern requires of 12 for
 * a literal, 12 - members for a [ ] class, 0 for '.' and 'T'; plus 1 when
 * the pattern has a fixed length ("2..." beats "2T"). */
int dp_pattern_match(const char *pattern, const char *number);
/** Peers of type (DP_POTS, DP_VOIP or -1 for any) whose pattern matches number,
 * best first: highest score, then lowest preference, lowest tag, config order.
 * Fills outp[] with at most min(max, DP_LOOKUP_MAX); returns how many. */
size_t dp_lookup(const struct dial_peer *peers, size_t n, const char *number, int type,
		 const struct dial_peer **outp, size_t max);
/** The shortest number pattern matches (lowest digit of each class), for
 * checking at config time that a number has somewhere to go. 0, -EINVAL or
 * -ENOSPC. */
int dp_pattern_example(const char *pattern, char *out, size_t outlen);
/** Host and port of a voip peer's session target (port DP_SIP_PORT when absent);
 * 0, -EINVAL (not voip, malformed) or -ENOSPC (host does not fit). */
int dp_session_target(const struct dial_peer *dp, char *host, size_t hostlen, int *portp);
/** Called number to send on the PRI for a pots peer: Cisco default stripping of
 * the explicitly matched leading digits, or forward-digits, then prefix.
 * 0, -EINVAL (not pots, bad forward_digits), -ENOENT (number does not match
 * the pattern) or -ENOSPC. */
int dp_pots_number(const struct dial_peer *dp, const char *number, char *out, size_t outlen);

#endif
