/* sipgw - SIP URI comparison (RFC 3261 19.1.4) on Sofia-SIP's URL parser.
 * Sofia's url_cmp() ignores parameters and url_cmp_all() compares them as
 * one string (order and case matter), neither is the RFC's rule; a digest
 * answer's uri must be checked by the RFC's rule (RFC 2617 3.2.2.5).
 * SPDX-License-Identifier: GPL-2.0-only */
#include "sip/sip_uri.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/url.h>

#define URI_MAX 1024

/* Unescaped copy of s[0..len) into out (RFC 3261 19.1.4: "%61" is "a"). */
static void unescaped(char *out, size_t outlen, const char *s, size_t len)
{
	char tmp[URI_MAX];

	if (len >= sizeof(tmp))
		len = sizeof(tmp) - 1;
	memcpy(tmp, s, len);
	tmp[len] = 0;
	url_unescape(tmp, tmp);
	snprintf(out, outlen, "%s", tmp);
}

static int str_eq(const char *a, const char *b)
{
	char ua[URI_MAX], ub[URI_MAX];

	if (!a || !b)
		return a == b;
	unescaped(ua, sizeof(ua), a, strlen(a));
	unescaped(ub, sizeof(ub), b, strlen(b));
	return !strcmp(ua, ub);
}

/* The value of parameter name in a ';'- or '&'-separated list: 1 found
 * (value "" for a bare name), 0 absent. */
static int list_find(const char *list, char sep, const char *name, size_t nlen, char *val, size_t vlen)
{
	const char *p = list;

	while (p && *p) {
		const char *end = strchr(p, sep), *eq;
		size_t len = end ? (size_t)(end - p) : strlen(p);

		eq = memchr(p, '=', len);
		if ((size_t)((eq ? eq : p + len) - p) == nlen && !strncasecmp(p, name, nlen)) {
			if (eq)
				unescaped(val, vlen, eq + 1, len - (size_t)(eq + 1 - p));
			else
				val[0] = 0;
			return 1;
		}
		p = end ? end + 1 : NULL;
	}
	return 0;
}

/* Parameters that never match when only one URI has them (19.1.4; the RFC's
 * own examples count transport among them). */
static int param_must_be_in_both(const char *name, size_t len)
{
	static const char *const names[] = { "user", "ttl", "method", "maddr", "transport", NULL };

	for (int i = 0; names[i]; i++)
		if (strlen(names[i]) == len && !strncasecmp(names[i], name, len))
			return 1;
	return 0;
}

/* Every parameter of a is compatible with b's. */
static int params_ok(const char *a, const char *b)
{
	const char *p = a;

	while (p && *p) {
		const char *end = strchr(p, ';'), *eq;
		size_t len = end ? (size_t)(end - p) : strlen(p), nlen;
		char va[URI_MAX] = "", vb[URI_MAX];

		eq = memchr(p, '=', len);
		nlen = (size_t)((eq ? eq : p + len) - p);
		if (eq)
			unescaped(va, sizeof(va), eq + 1, len - nlen - 1);
		if (list_find(b, ';', p, nlen, vb, sizeof(vb))) {
			if (strcasecmp(va, vb))
				return 0;
		} else if (param_must_be_in_both(p, nlen)) {
			return 0;
		}
		p = end ? end + 1 : NULL;
	}
	return 1;
}

static size_t list_count(const char *list, char sep)
{
	size_t n = 0;

	for (const char *p = list; p && *p; p = strchr(p, sep) ? strchr(p, sep) + 1 : NULL)
		n++;
	return n;
}

/* Every header of a is in b with the same value, and as many of them. */
static int headers_ok(const char *a, const char *b)
{
	if (list_count(a, '&') != list_count(b, '&'))
		return 0;
	for (const char *p = a; p && *p;) {
		const char *end = strchr(p, '&'), *eq;
		size_t len = end ? (size_t)(end - p) : strlen(p), nlen;
		char va[URI_MAX] = "", vb[URI_MAX];

		eq = memchr(p, '=', len);
		nlen = (size_t)((eq ? eq : p + len) - p);
		if (eq)
			unescaped(va, sizeof(va), eq + 1, len - nlen - 1);
		if (!list_find(b, '&', p, nlen, vb, sizeof(vb)) || strcmp(va, vb))
			return 0;
		p = end ? end + 1 : NULL;
	}
	return 1;
}

int sip_uri_equal(const char *a, const char *b)
{
	char sa[URI_MAX], sb[URI_MAX];
	url_t ua[1], ub[1];

	if (!a || !b || strlen(a) >= sizeof(sa) || strlen(b) >= sizeof(sb))
		return -EINVAL;
	strcpy(sa, a);
	strcpy(sb, b);
	if (url_d(ua, sa) < 0 || url_d(ub, sb) < 0 || !ua->url_host || !ub->url_host ||
	    !ua->url_host[0] || !ub->url_host[0])
		return -EINVAL;
	if (ua->url_type != ub->url_type)
		return 0;
	if (ua->url_type != url_sip && ua->url_type != url_sips)
		return !strcmp(a, b);	/* not ours to interpret: only the same text is equal */
	if (!str_eq(ua->url_user, ub->url_user) || !str_eq(ua->url_password, ub->url_password))
		return 0;
	if (strcasecmp(ua->url_host, ub->url_host))
		return 0;
	/* "sip:bob@biloxi.com" and "sip:bob@biloxi.com:5060" differ. */
	if (!ua->url_port != !ub->url_port || (ua->url_port && atoi(ua->url_port) != atoi(ub->url_port)))
		return 0;
	if (!params_ok(ua->url_params, ub->url_params) || !params_ok(ub->url_params, ua->url_params))
		return 0;
	return headers_ok(ua->url_headers, ub->url_headers);
}
