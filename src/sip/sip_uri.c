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

/* The next "name[=value]" item of a ';'- or '&'-separated list at *pp:
 * 1 with its name (not terminated, nlen long) and unescaped value ("" for
 * a bare name), 0 at the end. */
static int next_item(const char **pp, char sep, const char **namep, size_t *nlenp, char *val, size_t vlen)
{
	const char *p = *pp, *end, *eq;
	size_t len;

	if (!p || !*p)
		return 0;
	end = strchr(p, sep);
	len = end ? (size_t)(end - p) : strlen(p);
	eq = memchr(p, '=', len);
	*namep = p;
	*nlenp = (size_t)((eq ? eq : p + len) - p);
	val[0] = 0;
	if (eq)
		unescaped(val, vlen, eq + 1, len - *nlenp - 1);
	*pp = end ? end + 1 : NULL;
	return 1;
}

/* The value of parameter name in list: 1 found, 0 absent. */
static int list_find(const char *list, char sep, const char *name, size_t nlen, char *val, size_t vlen)
{
	const char *n;
	size_t len;

	while (next_item(&list, sep, &n, &len, val, vlen))
		if (len == nlen && !strncasecmp(n, name, nlen))
			return 1;
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
	char va[URI_MAX], vb[URI_MAX];
	const char *n;
	size_t len;

	while (next_item(&a, ';', &n, &len, va, sizeof(va))) {
		if (list_find(b, ';', n, len, vb, sizeof(vb))) {
			if (strcasecmp(va, vb))
				return 0;
		} else if (param_must_be_in_both(n, len)) {
			return 0;
		}
	}
	return 1;
}

/* The same headers with the same values, in any order. */
static int headers_ok(const char *a, const char *b)
{
	char va[URI_MAX], vb[URI_MAX];
	const char *n, *pa = a, *pb = b;
	size_t len, na = 0, nb = 0;

	while (next_item(&pb, '&', &n, &len, vb, sizeof(vb)))
		nb++;
	while (next_item(&pa, '&', &n, &len, va, sizeof(va))) {
		na++;
		if (!list_find(b, '&', n, len, vb, sizeof(vb)) || strcmp(va, vb))
			return 0;
	}
	return na == nb;
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
