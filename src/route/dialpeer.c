/* sipgw - Cisco-style dial-peers in routing: matching a number against the
 * compiled patterns (core/dialpeer.c compiles them), choosing among the peers
 * and the digit manipulation of the number sent on. SPDX-License-Identifier: GPL-2.0-only */
#include "route/dialpeer.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#define SET_WEIGHT_MAX	12		/* members of DP_SET_DIAL */

static int popcount16(uint16_t v)
{
	int n = 0;

	for (; v; v &= v - 1)
		n++;
	return n;
}

/* Specificity weight of one element per occurrence: a literal pins a digit
 * down (SET_WEIGHT_MAX), a class less the wider it is, '.' and 'T' nothing. */
static int elem_weight(const struct dp_pat_elem *pe)
{
	if (pe->kind == DP_PK_LIT)
		return SET_WEIGHT_MAX;
	if (pe->kind == DP_PK_T)
		return 0;
	return SET_WEIGHT_MAX - popcount16(pe->set);
}

static int pat_score(const struct dp_pat *pat)
{
	int sum = 0;
	size_t i;

	for (i = 0; i < pat->n; i++)
		sum += elem_weight(&pat->e[i]) * pat->e[i].min;
	return 2 * sum + (pat->fixed ? 1 : 0);
}

/* Whole-number match by dynamic programming over (element, position): at most
 * DP_PAT_ELEMS_MAX * DP_NUMBER_MAX^2 steps whatever the pattern, so no pattern can
 * make it blow up the way naive backtracking on "5%5%5%5%...x" would. */
static int pat_match(const struct dp_pat *pat, const char *number)
{
	uint8_t reach[DP_PAT_ELEMS_MAX + 1][DP_NUMBER_MAX + 1];
	int sym[DP_NUMBER_MAX];
	size_t len, i, j, k;

	len = strnlen(number, DP_NUMBER_MAX + 1);
	if (len > DP_NUMBER_MAX)
		return 0;
	for (j = 0; j < len; j++)
		sym[j] = dp_sym_index(number[j]);

	/* reach[i][j]: elements i.. match number[j..] exactly */
	memset(reach, 0, sizeof(reach));
	reach[pat->n][len] = 1;
	for (i = pat->n; i-- > 0;) {
		const struct dp_pat_elem *pe = &pat->e[i];

		for (j = 0; j <= len; j++) {
			for (k = 0; j + k <= len && (pe->max == DP_REP_INF || k <= pe->max); k++) {
				if (k >= pe->min && reach[i + 1][j + k]) {
					reach[i][j] = 1;
					break;
				}
				if (j + k == len || sym[j + k] < 0 || !(pe->set & (1u << sym[j + k])))
					break;
			}
		}
	}
	return reach[0][0];
}

/* Could a number longer than prefix, starting with it, still match? Run
 * the pattern as an automaton over prefix: state (element, repeats done,
 * counted up to the element's min when its max is unbounded). More digits
 * can match when some state reached can take one more repeat of its
 * element: every element's set has a member, so the rest can always be
 * completed. */
static int pat_extends(const struct dp_pat *pat, const char *prefix)
{
	uint8_t cur[DP_PAT_ELEMS_MAX + 1][DP_NUMBER_MAX + 2], nxt[DP_PAT_ELEMS_MAX + 1][DP_NUMBER_MAX + 2];
	size_t len = strnlen(prefix, DP_NUMBER_MAX + 1);

	if (len > DP_NUMBER_MAX)
		return 0;
	memset(cur, 0, sizeof(cur));
	cur[0][0] = 1;
	for (size_t j = 0;; j++) {
		/* closure: an element done with at least min repeats lets the next begin */
		for (size_t i = 0; i < pat->n; i++)
			for (int k = 0; k <= DP_NUMBER_MAX; k++)
				if (cur[i][k] && k >= pat->e[i].min)
					cur[i + 1][0] = 1;
		if (j == len)
			break;
		memset(nxt, 0, sizeof(nxt));
		int sym = dp_sym_index(prefix[j]);
		for (size_t i = 0; i < pat->n && sym >= 0; i++) {
			const struct dp_pat_elem *pe = &pat->e[i];

			if (!(pe->set & (1u << sym)))
				continue;
			for (int k = 0; k <= DP_NUMBER_MAX; k++) {
				int more = pe->max == DP_REP_INF || k < pe->max;

				if (cur[i][k] && more)
					nxt[i][pe->max == DP_REP_INF && k + 1 > pe->min ? pe->min : k + 1] = 1;
			}
		}
		memcpy(cur, nxt, sizeof(cur));
	}
	for (size_t i = 0; i < pat->n; i++)
		for (int k = 0; k <= DP_NUMBER_MAX; k++)
			if (cur[i][k] && (pat->e[i].max == DP_REP_INF || k < pat->e[i].max))
				return 1;
	return 0;
}

int dp_pattern_extends(const char *pattern, const char *prefix)
{
	struct dp_pat pat;

	if (!prefix || dp_pattern_compile(&pat, pattern, NULL) < 0)
		return 0;
	return pat_extends(&pat, prefix);
}

int dp_pattern_match(const char *pattern, const char *number)
{
	struct dp_pat pat;

	if (!number || dp_pattern_compile(&pat, pattern, NULL) < 0)
		return -1;
	if (!pat_match(&pat, number))
		return -1;
	return pat_score(&pat);
}

/* Is a (score sa) better than b (score sb)? Config order breaks the last tie. */
static int peer_better(int sa, const struct dial_peer *a, int sb, const struct dial_peer *b)
{
	if (sa != sb)
		return sa > sb;
	if (a->preference != b->preference)
		return a->preference < b->preference;
	return a->tag < b->tag;
}

size_t dp_lookup(const struct dial_peer *peers, size_t n, const char *number, int type,
		 const struct dial_peer **outp, size_t max)
{
	int score[DP_LOOKUP_MAX];
	size_t i, cnt = 0;

	if (max > DP_LOOKUP_MAX)
		max = DP_LOOKUP_MAX;
	for (i = 0; i < n; i++) {
		const struct dial_peer *dp = &peers[i];
		size_t pos;
		int s;

		if (type >= 0 && (int)dp->type != type)
			continue;
		s = dp_pattern_match(dp->pattern, number);
		if (s < 0)
			continue;
		/* insertion after every peer at least as good keeps config order */
		for (pos = cnt; pos > 0 && peer_better(s, dp, score[pos - 1], outp[pos - 1]); pos--)
			;
		if (pos >= max)
			continue;
		if (cnt == max)
			cnt--;
		memmove(&outp[pos + 1], &outp[pos], (cnt - pos) * sizeof(outp[0]));
		memmove(&score[pos + 1], &score[pos], (cnt - pos) * sizeof(score[0]));
		outp[pos] = dp;
		score[pos] = s;
		cnt++;
	}
	return cnt;
}

int dp_pattern_example(const char *pattern, char *out, size_t outlen)
{
	static const char syms[] = "0123456789*#+";
	struct dp_pat pat;
	size_t o = 0;

	if (dp_pattern_compile(&pat, pattern, NULL) < 0)
		return -EINVAL;
	for (size_t i = 0; i < pat.n; i++) {
		const struct dp_pat_elem *pe = &pat.e[i];
		int sym = 0;

		while (!(pe->set & (1u << sym)))
			sym++;
		/* the fewest repeats; 'T' and '%' may match nothing at all */
		for (unsigned r = 0; r < pe->min; r++) {
			if (o + 1 >= outlen)
				return -ENOSPC;
			out[o++] = syms[sym];
		}
	}
	if (!outlen)
		return -ENOSPC;
	out[o] = 0;
	return 0;
}

/* Leading digits the pattern matches explicitly: single literals before the
 * first wildcard, class or quantified element (Cisco default digit stripping). */
static size_t pat_explicit_prefix(const struct dp_pat *pat)
{
	size_t i;

	for (i = 0; i < pat->n; i++) {
		if (pat->e[i].kind != DP_PK_LIT || pat->e[i].quantified)
			break;
	}
	return i;
}

int dp_pots_number(const struct dial_peer *dp, const char *number, char *out, size_t outlen)
{
	struct dp_pat pat;
	const char *keep;
	size_t len, plen, klen;

	if (dp->type != DP_POTS || dp->forward_digits < DP_FWD_ALL)
		return -EINVAL;
	if (dp_pattern_compile(&pat, dp->pattern, NULL) < 0)
		return -EINVAL;
	if (!pat_match(&pat, number))
		return -ENOENT;
	len = strlen(number);
	if (dp->forward_digits == DP_FWD_DEFAULT)
		keep = number + pat_explicit_prefix(&pat);	/* one char per literal */
	else if (dp->forward_digits == DP_FWD_ALL || (size_t)dp->forward_digits >= len)
		keep = number;
	else
		keep = number + len - dp->forward_digits;
	plen = strnlen(dp->prefix, sizeof(dp->prefix));
	klen = strlen(keep);
	if (plen + klen >= outlen)
		return -ENOSPC;
	memcpy(out, dp->prefix, plen);
	memcpy(out + plen, keep, klen + 1);
	return 0;
}
