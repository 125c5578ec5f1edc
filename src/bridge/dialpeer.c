/* sipgw - Cisco-style dial-peers: destination-pattern matching and digit manipulation.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "bridge/dialpeer.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The dial alphabet: a bit per symbol. '.', 'T' and negated classes cover the
 * dialable digits (0-9 * #); '+' is only ever matched as a literal. */
enum { SYM_STAR = 10, SYM_HASH = 11, SYM_PLUS = 12 };
#define SET_DIAL	0x0fffu		/* 0-9 * # */
#define SET_WEIGHT_MAX	12		/* members of SET_DIAL */
#define REP_INF		0xff
#define PAT_ELEMS_MAX	64

static int sym_index(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	switch (c) {
	case '*':
		return SYM_STAR;
	case '#':
		return SYM_HASH;
	case '+':
		return SYM_PLUS;
	default:
		return -1;
	}
}

enum pat_kind { PK_LIT, PK_SET, PK_T };

/* One compiled element: a symbol set repeated min..max times. */
struct pat_elem {
	enum pat_kind kind;
	uint16_t set;
	uint8_t min, max;
	uint8_t quantified;
};

struct pat {
	struct pat_elem e[PAT_ELEMS_MAX];
	size_t n;
	int fixed;	/* no T and no quantifier: matches one length only */
};

static int popcount16(uint16_t v)
{
	int n = 0;

	for (; v; v &= v - 1)
		n++;
	return n;
}

/* Specificity weight of one element per occurrence: a literal pins a digit
 * down (SET_WEIGHT_MAX), a class less the wider it is, '.' and 'T' nothing. */
static int elem_weight(const struct pat_elem *pe)
{
	if (pe->kind == PK_LIT)
		return SET_WEIGHT_MAX;
	if (pe->kind == PK_T)
		return 0;
	return SET_WEIGHT_MAX - popcount16(pe->set);
}

/* Bracket expression at *pp ('[' already seen): "[2-9]", "[0-35]", "[^0-4]". */
static int compile_class(const char **pp, uint16_t *setp, const char **whyp)
{
	const char *p = *pp;
	uint16_t set = 0;
	int neg = 0;

	if (*p == '^') {
		neg = 1;
		p++;
	}
	if (*p == ']') {
		*whyp = "empty [ ] class";
		return -EINVAL;
	}
	while (*p != ']') {
		int a = sym_index(*p), b;

		if (*p == '\0') {
			*whyp = "unterminated [ ] class";
			return -EINVAL;
		}
		if (a < 0 || a == SYM_PLUS) {
			*whyp = "invalid character in [ ] class";
			return -EINVAL;
		}
		if (p[1] == '-' && p[2] != ']' && p[2] != '\0') {
			b = sym_index(p[2]);
			if (a > 9 || b < 0 || b > 9 || b < a) {
				*whyp = "bad range in [ ] class";
				return -EINVAL;
			}
			for (; a <= b; a++)
				set |= 1u << a;
			p += 3;
		} else {
			if (p[1] == '-') {
				*whyp = "bad range in [ ] class";
				return -EINVAL;
			}
			set |= 1u << a;
			p++;
		}
	}
	if (neg)
		set = SET_DIAL & ~set;
	if (!set) {
		*whyp = "[ ] class matches nothing";
		return -EINVAL;
	}
	*setp = set;
	*pp = p + 1;
	return 0;
}

static int pat_compile(struct pat *pat, const char *pattern, const char **whyp)
{
	const char *p = pattern;
	const char *why_dummy;

	if (!whyp)
		whyp = &why_dummy;
	if (!pattern || !*pattern) {
		*whyp = "empty pattern";
		return -EINVAL;
	}
	if (strlen(pattern) >= sizeof(((struct dial_peer *)0)->pattern)) {
		*whyp = "pattern too long";
		return -EINVAL;
	}
	memset(pat, 0, sizeof(*pat));
	pat->fixed = 1;

	while (*p) {
		struct pat_elem *pe, *prev = pat->n ? &pat->e[pat->n - 1] : NULL;
		char c = *p;
		int rc;

		if ((c == '+' && p != pattern) || c == '%' || c == '?') {
			/* a quantifier on the preceding digit or wildcard */
			if (!prev || prev->quantified || prev->kind == PK_T) {
				*whyp = "'+', '%' or '?' must follow a digit or wildcard";
				return -EINVAL;
			}
			prev->quantified = 1;
			prev->min = c == '+' ? 1 : 0;
			prev->max = c == '?' ? 1 : REP_INF;
			pat->fixed = 0;
			p++;
			continue;
		}
		if (pat->n && pat->e[pat->n - 1].kind == PK_T) {
			*whyp = "'T' must end the pattern";
			return -EINVAL;
		}
		if (pat->n == PAT_ELEMS_MAX) {
			*whyp = "pattern too long";
			return -EINVAL;
		}
		pe = &pat->e[pat->n];
		pe->min = pe->max = 1;
		if (sym_index(c) >= 0) {
			/* digits, * and #; '+' here is the leading E.164 plus */
			pe->kind = PK_LIT;
			pe->set = 1u << sym_index(c);
			p++;
		} else if (c == '.') {
			pe->kind = PK_SET;
			pe->set = SET_DIAL;
			p++;
		} else if (c == 'T' || c == 't') {
			/* en-bloc: T is the rest of the number, no interdigit timeout */
			pe->kind = PK_T;
			pe->set = SET_DIAL;
			pe->min = 0;
			pe->max = REP_INF;
			pat->fixed = 0;
			p++;
		} else if (c == '[') {
			p++;
			rc = compile_class(&p, &pe->set, whyp);
			if (rc < 0)
				return rc;
			/* a one-member class pins the digit like a literal but scores less */
			pe->kind = PK_SET;
		} else if (c == ']') {
			*whyp = "']' without '['";
			return -EINVAL;
		} else {
			*whyp = "invalid character in pattern";
			return -EINVAL;
		}
		pat->n++;
	}
	return 0;
}

static int pat_score(const struct pat *pat)
{
	int sum = 0;
	size_t i;

	for (i = 0; i < pat->n; i++)
		sum += elem_weight(&pat->e[i]) * pat->e[i].min;
	return 2 * sum + (pat->fixed ? 1 : 0);
}

/* Whole-number match by dynamic programming over (element, position): at most
 * PAT_ELEMS_MAX * DP_NUMBER_MAX^2 steps whatever the pattern, so no pattern can
 * make it blow up the way naive backtracking on "5%5%5%5%...x" would. */
static int pat_match(const struct pat *pat, const char *number)
{
	uint8_t reach[PAT_ELEMS_MAX + 1][DP_NUMBER_MAX + 1];
	int sym[DP_NUMBER_MAX];
	size_t len, i, j, k;

	len = strnlen(number, DP_NUMBER_MAX + 1);
	if (len > DP_NUMBER_MAX)
		return 0;
	for (j = 0; j < len; j++)
		sym[j] = sym_index(number[j]);

	/* reach[i][j]: elements i.. match number[j..] exactly */
	memset(reach, 0, sizeof(reach));
	reach[pat->n][len] = 1;
	for (i = pat->n; i-- > 0;) {
		const struct pat_elem *pe = &pat->e[i];

		for (j = 0; j <= len; j++) {
			for (k = 0; j + k <= len && (pe->max == REP_INF || k <= pe->max); k++) {
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

int dp_pattern_check(const char *pattern, const char **whyp)
{
	struct pat pat;

	return pat_compile(&pat, pattern, whyp);
}

int dp_pattern_match(const char *pattern, const char *number)
{
	struct pat pat;

	if (!number || pat_compile(&pat, pattern, NULL) < 0)
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
	struct pat pat;
	size_t o = 0;

	if (pat_compile(&pat, pattern, NULL) < 0)
		return -EINVAL;
	for (size_t i = 0; i < pat.n; i++) {
		const struct pat_elem *pe = &pat.e[i];
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

/* RFC 1123 2.1 host name: labels of letters, digits and '-', not at a label's ends. */
static int hostname_valid(const char *s, size_t len)
{
	size_t i, label = 0;

	if (len == 0 || len > 253)
		return 0;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      c == '-'))
			return 0;
		if (c == '-' && label == 0)
			return 0;
		if (++label > 63)
			return 0;
	}
	return label > 0 && s[len - 1] != '-';
}

struct target_scheme {
	const char *prefix;
	int ipv4;
};

/* Cisco "session target" forms; the last row (no prefix) is the default. */
static const struct target_scheme target_schemes[] = {
	{ "ipv4:", 1 },
	{ "dns:", 0 },
	{ "", 0 },	/* default: a bare host name */
};

int dp_session_target(const struct dial_peer *dp, char *host, size_t hostlen, int *portp)
{
	const struct target_scheme *ts = &target_schemes[ARRAY_SIZE(target_schemes) - 1];
	const char *t, *colon;
	char addr[256];
	size_t i, hlen;
	int port = DP_SIP_PORT;

	if (dp->type != DP_VOIP)
		return -EINVAL;
	t = dp->target;
	for (i = 0; i < ARRAY_SIZE(target_schemes) - 1; i++) {
		size_t plen = strlen(target_schemes[i].prefix);

		if (strncasecmp(t, target_schemes[i].prefix, plen) == 0) {
			ts = &target_schemes[i];
			t += plen;
			break;
		}
	}
	colon = strchr(t, ':');
	hlen = colon ? (size_t)(colon - t) : strnlen(t, sizeof(dp->target));
	if (hlen == 0 || hlen >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, t, hlen);
	addr[hlen] = '\0';
	if (colon) {
		const char *q = colon + 1;

		/* 1..65535, digits only: also rejects a second ':' (IPv6 is not supported) */
		if (*q == '\0' || strlen(q) > 5)
			return -EINVAL;
		for (port = 0; *q; q++) {
			if (*q < '0' || *q > '9')
				return -EINVAL;
			port = port * 10 + (*q - '0');
		}
		if (port < 1 || port > 65535)
			return -EINVAL;
	}
	if (ts->ipv4) {
		struct in_addr in;

		if (inet_pton(AF_INET, addr, &in) != 1)
			return -EINVAL;
	} else if (!hostname_valid(addr, hlen)) {
		return -EINVAL;
	}
	if (hlen >= hostlen)
		return -ENOSPC;
	memcpy(host, addr, hlen + 1);
	if (portp)
		*portp = port;
	return 0;
}

/* Leading digits the pattern matches explicitly: single literals before the
 * first wildcard, class or quantified element (Cisco default digit stripping). */
static size_t pat_explicit_prefix(const struct pat *pat)
{
	size_t i;

	for (i = 0; i < pat->n; i++) {
		if (pat->e[i].kind != PK_LIT || pat->e[i].quantified)
			break;
	}
	return i;
}

int dp_pots_number(const struct dial_peer *dp, const char *number, char *out, size_t outlen)
{
	struct pat pat;
	const char *keep;
	size_t len, plen, klen;

	if (dp->type != DP_POTS || dp->forward_digits < DP_FWD_ALL)
		return -EINVAL;
	if (pat_compile(&pat, dp->pattern, NULL) < 0)
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
