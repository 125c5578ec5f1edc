/* sipgw - dial-peers as data: the destination-pattern grammar (compiled into
 * elements, each config error with its reason) and the session-target syntax.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "core/dialpeer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

int dp_sym_index(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	switch (c) {
	case '*':
		return DP_SYM_STAR;
	case '#':
		return DP_SYM_HASH;
	case '+':
		return DP_SYM_PLUS;
	default:
		return -1;
	}
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
		int a = dp_sym_index(*p), b;

		if (*p == '\0') {
			*whyp = "unterminated [ ] class";
			return -EINVAL;
		}
		if (a < 0 || a == DP_SYM_PLUS) {
			*whyp = "invalid character in [ ] class";
			return -EINVAL;
		}
		if (p[1] == '-' && p[2] != ']' && p[2] != '\0') {
			b = dp_sym_index(p[2]);
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
		set = DP_SET_DIAL & ~set;
	if (!set) {
		*whyp = "[ ] class matches nothing";
		return -EINVAL;
	}
	*setp = set;
	*pp = p + 1;
	return 0;
}

int dp_pattern_compile(struct dp_pat *pat, const char *pattern, const char **whyp)
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
		struct dp_pat_elem *pe, *prev = pat->n ? &pat->e[pat->n - 1] : NULL;
		char c = *p;
		int rc;

		if ((c == '+' && p != pattern) || c == '%' || c == '?') {
			/* a quantifier on the preceding digit or wildcard */
			if (!prev || prev->quantified || prev->kind == DP_PK_T) {
				*whyp = "'+', '%' or '?' must follow a digit or wildcard";
				return -EINVAL;
			}
			prev->quantified = 1;
			prev->min = c == '+' ? 1 : 0;
			prev->max = c == '?' ? 1 : DP_REP_INF;
			pat->fixed = 0;
			p++;
			continue;
		}
		if (pat->n && pat->e[pat->n - 1].kind == DP_PK_T) {
			*whyp = "'T' must end the pattern";
			return -EINVAL;
		}
		if (pat->n == DP_PAT_ELEMS_MAX) {
			*whyp = "pattern too long";
			return -EINVAL;
		}
		pe = &pat->e[pat->n];
		pe->min = pe->max = 1;
		if (dp_sym_index(c) >= 0) {
			/* digits, * and #; '+' here is the leading E.164 plus */
			pe->kind = DP_PK_LIT;
			pe->set = 1u << dp_sym_index(c);
			p++;
		} else if (c == '.') {
			pe->kind = DP_PK_SET;
			pe->set = DP_SET_DIAL;
			p++;
		} else if (c == 'T' || c == 't') {
			/* en-bloc: T is the rest of the number, no interdigit timeout */
			pe->kind = DP_PK_T;
			pe->set = DP_SET_DIAL;
			pe->min = 0;
			pe->max = DP_REP_INF;
			pat->fixed = 0;
			p++;
		} else if (c == '[') {
			p++;
			rc = compile_class(&p, &pe->set, whyp);
			if (rc < 0)
				return rc;
			/* a one-member class pins the digit like a literal but scores less */
			pe->kind = DP_PK_SET;
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

int dp_pattern_check(const char *pattern, const char **whyp)
{
	struct dp_pat pat;

	return dp_pattern_compile(&pat, pattern, whyp);
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

enum target_kind { TK_IPV4, TK_IPV6, TK_HOST };

struct target_scheme {
	const char *prefix;
	enum target_kind kind;
};

/* Cisco "session target" forms; the last row (no prefix) is the default. */
static const struct target_scheme target_schemes[] = {
	{ "ipv4:", TK_IPV4 },
	{ "ipv6:", TK_IPV6 },	/* IOS: ipv6:[2001:DB8::1]:5060 (RFC 3986 3.2.2 brackets) */
	{ "dns:", TK_HOST },
	{ "", TK_HOST },	/* default: a bare host name */
};

/* ":PORT" (1..65535, digits only) at q, or nothing: 0 or -EINVAL. */
static int target_port(const char *q, int *portp)
{
	int port = 0;

	if (!*q)
		return 0;
	if (*q++ != ':' || *q == '\0' || strlen(q) > 5)
		return -EINVAL;
	for (; *q; q++) {
		if (*q < '0' || *q > '9')
			return -EINVAL;
		port = port * 10 + (*q - '0');
	}
	if (port < 1 || port > 65535)
		return -EINVAL;
	*portp = port;
	return 0;
}

int dp_session_target(const struct dial_peer *dp, char *host, size_t hostlen, int *portp)
{
	const struct target_scheme *ts = &target_schemes[ARRAY_SIZE(target_schemes) - 1];
	const char *t, *rest;
	char addr[256];
	size_t i, hlen;
	int port = dp->transport == DP_TP_TLS ? DP_SIPS_PORT : DP_SIP_PORT;

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
	if (*t == '[') {
		/* an IPv6 literal, the port after the bracket (RFC 5118 4.1);
		 * ipv6: without brackets has no port: ipv6:2001:db8::1 */
		const char *close = strchr(t, ']');

		if (ts->kind == TK_IPV4 || !close)
			return -EINVAL;
		t++;
		hlen = (size_t)(close - t);
		rest = close + 1;
		ts = &target_schemes[1];
	} else if (ts->kind == TK_IPV6) {
		hlen = strnlen(t, sizeof(dp->target));
		rest = t + hlen;
	} else {
		const char *colon = strchr(t, ':');

		hlen = colon ? (size_t)(colon - t) : strnlen(t, sizeof(dp->target));
		rest = t + hlen;
	}
	if (hlen == 0 || hlen >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, t, hlen);
	addr[hlen] = '\0';
	/* also rejects a second ':' after the port */
	if (target_port(rest, &port))
		return -EINVAL;
	if (ts->kind == TK_IPV4) {
		struct in_addr in;

		if (inet_pton(AF_INET, addr, &in) != 1)
			return -EINVAL;
	} else if (ts->kind == TK_IPV6) {
		struct in6_addr in6;

		if (inet_pton(AF_INET6, addr, &in6) != 1)
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

int dp_targets_registrar(const struct dial_peer *dp)
{
	return dp->type == DP_VOIP && !strcasecmp(dp->target, "registrar");
}

/* Cisco's codec keywords (IOS "codec" / "voice class codec"), for the
 * codecs dsp/codec.c has; a name here without a codec there fails
 * test_dialpeer's table check. */
static const char *const codec_names[] = { "g711ulaw", "g711alaw", "g722-64", "gsmfr", "opus" };

const char *dp_codec_name(int i)
{
	return i >= 0 && (size_t)i < ARRAY_SIZE(codec_names) ? codec_names[i] : NULL;
}

int dp_codec_known(const char *name)
{
	for (size_t i = 0; name && i < ARRAY_SIZE(codec_names); i++)
		if (!strcasecmp(codec_names[i], name))
			return 1;
	return 0;
}
