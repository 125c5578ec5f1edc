/* sipgw - phone simulator: which proxy a dialled number goes to (Cisco SIP
 * phone: primary, backup and emergency proxies, admin guide figures B-20..B-23).
 * SPDX-License-Identifier: GPL-2.0-only */
#include "sim/phone.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sofia-sip/url.h>

#define PROUTE_URI_MAX 256

static const char *const route_names[PROUTE__COUNT] = {
	[PROUTE_DIRECT] = "direct", [PROUTE_PRIMARY] = "primary",
	[PROUTE_BACKUP] = "backup", [PROUTE_EMERGENCY] = "emergency",
};

/* Final statuses from the primary that mean "try the backup": 408 is our
 * own Timer B (no answer to any of the tries, RFC 3261 17.1.1.2), 503 the
 * proxy's overload or nta's transport error (RFC 3261 21.5.4). */
static const int failover_statuses[] = { 408, 503 };

const char *proute_name(enum proute r)
{
	return (unsigned)r < PROUTE__COUNT ? route_names[r] : "?";
}

static const char *route_proxy(const struct phone *ph, enum proute r)
{
	switch (r) {
	case PROUTE_PRIMARY:
		return ph->o.proxy;
	case PROUTE_BACKUP:
		return ph->o.backup_proxy;
	case PROUTE_EMERGENCY:
		return ph->o.emergency_proxy;
	default:
		return NULL;
	}
}

/* Sofia's url_d() parses in place, so into a copy. */
static int parse_proxy(const char *uri, char *buf, size_t len, url_t *u)
{
	if (!uri || strlen(uri) >= len)
		return -EINVAL;
	snprintf(buf, len, "%s", uri);
	memset(u, 0, sizeof(*u));
	if (url_d(u, buf) < 0 || (u->url_type != url_sip && u->url_type != url_sips) ||
	    !u->url_host || u->url_user)
		return -EINVAL;
	return 0;
}

int proute_check_uri(const char *uri)
{
	char buf[PROUTE_URI_MAX];
	url_t u;

	return parse_proxy(uri, buf, sizeof(buf), &u);
}

/* RFC 3261 25.1: user = 1*( unreserved / escaped / user-unreserved ), so a
 * '#' goes as %23. */
static void escape_user(char *out, size_t len, const char *number)
{
	static const char keep[] = "-_.!~*'()&=+$,;?/";
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *)number; *p && n + 4 < len; p++) {
		if ((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    strchr(keep, *p))
			out[n++] = (char)*p;
		else
			n += (size_t)snprintf(out + n, len - n, "%%%02X", *p);
	}
	out[n] = '\0';
}

/* sip:NUMBER@HOST:PORT;user=phone (figure B-19 step 1), keeping the proxy's
 * own parameters; User="IP" in the template leaves user=phone out. */
static int route_ruri(struct phone *ph, const char *number, enum proute r, char *ruri, size_t len)
{
	char buf[PROUTE_URI_MAX], user[PROUTE_URI_MAX];
	const char *route;
	int user_phone = 1, n;
	url_t u;

	if (parse_proxy(route_proxy(ph, r), buf, sizeof(buf), &u) < 0)
		return -EINVAL;
	ptmpl_match(ph->plan, number, &route, &user_phone);
	escape_user(user, sizeof(user), number);
	n = snprintf(ruri, len, "%s:%s@%s%s%s%s%s%s", u.url_type == url_sips ? "sips" : "sip", user,
		     u.url_host, u.url_port ? ":" : "", u.url_port ? u.url_port : "",
		     user_phone ? ";user=phone" : "", u.url_params ? ";" : "",
		     u.url_params ? u.url_params : "");
	return n > 0 && (size_t)n < len ? 0 : -ENOSPC;
}

int proute_choose(struct phone *ph, const char *number, enum proute *rp, char *ruri, size_t len)
{
	const char *route = NULL;
	int user_phone, rc;
	enum proute r = ph->dial_route;

	if (!ptmpl_match(ph->plan, number, &route, &user_phone) && !strcmp(route, "emergency") &&
	    ph->o.emergency_proxy)
		r = PROUTE_EMERGENCY;
	rc = route_ruri(ph, number, r, ruri, len);
	if (rc)
		return rc;
	if (r != PROUTE_PRIMARY)
		phone_out(ph, "EVENT", "route %s %s -> %s", proute_name(r), number, route_proxy(ph, r));
	*rp = r;
	return 0;
}

int proute_target(struct phone *ph, const char *number, enum proute r, char *ruri, size_t len)
{
	return route_ruri(ph, number, r, ruri, len);
}

int proute_fails_over(const struct phone *ph, enum proute r, int status)
{
	if (r != PROUTE_PRIMARY || !ph->o.backup_proxy)
		return 0;
	for (size_t i = 0; i < sizeof(failover_statuses) / sizeof(failover_statuses[0]); i++)
		if (status == failover_statuses[i])
			return 1;
	return 0;
}
