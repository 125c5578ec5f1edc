/* sipgw - host[:port] with IPv6 brackets (sip_addr.h).
 * SPDX-License-Identifier: GPL-2.0-only */
#include "sip/sip_addr.h"
#include "sip/sip_internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/netaddr.h"

int sip_addr_hostport(char *out, size_t len, const char *host, int port)
{
	/* A ':' in a host is an IPv6 address: names and IPv4 have none. */
	int br = host && strchr(host, ':') && host[0] != '[';
	int n;

	if (!len)
		return -ENOSPC;
	if (!host)
		host = "";
	if (port > 0)
		n = snprintf(out, len, "%s%s%s:%d", br ? "[" : "", host, br ? "]" : "", port);
	else
		n = snprintf(out, len, "%s%s%s", br ? "[" : "", host, br ? "]" : "");
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

const char *sip_hostport(char *out, const char *host, int port)
{
	(void)sip_addr_hostport(out, SIP_HOSTPORT_LEN, host, port);
	return out;
}

int sip_addr_listen_url(char *out, size_t len, const char *bind, int port)
{
	struct sockaddr_storage ss;
	char hp[SIP_HOSTPORT_LEN];
	int n;

	if (netaddr_parse(bind, &ss) == 0 && ss.ss_family == AF_INET6 && netaddr_is_any(&ss))
		n = snprintf(out, len, "sip:*:%d", port);
	else
		n = snprintf(out, len, "sip:%s", sip_hostport(hp, bind, port));
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

int sip_addr_bound(int port, char *out, size_t len)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	size_t off = 0;

	if (!len)
		return -ENOSPC;
	out[0] = 0;
	if (!d)
		return -ENOENT;
	while ((e = readdir(d))) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss), tl = sizeof(int);
		char a[NETADDR_STRLEN], hp[SIP_HOSTPORT_LEN];
		int fd = atoi(e->d_name), type = 0, n;

		if (e->d_name[0] == '.' || fd == dirfd(d) ||
		    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) || type != SOCK_DGRAM ||
		    getsockname(fd, (struct sockaddr *)&ss, &sl) || netaddr_port(&ss) != port ||
		    netaddr_str(&ss, a, sizeof(a)))
			continue;
		n = snprintf(out + off, len - off, "%s%s", off ? ", " : "", sip_hostport(hp, a, port));
		if (n < 0 || (size_t)n >= len - off)
			break;
		off += (size_t)n;
	}
	closedir(d);
	return off ? 0 : -ENOENT;
}

int sip_addr_uri_host(const char *uri, char *out, size_t len)
{
	const char *h, *e, *at;
	size_t n;

	if (!uri)
		return -EINVAL;
	if (*uri == '<')
		uri++;
	h = strchr(uri, ':');	/* past the scheme */
	if (!h)
		return -EINVAL;
	h++;
	/* the userinfo ends at the last '@' before the host's parameters */
	e = h + strcspn(h, ";?>");
	for (at = h; (at = memchr(at, '@', (size_t)(e - at))); h = ++at)
		;
	if (*h == '[') {
		e = strchr(++h, ']');
		if (!e)
			return -EINVAL;
	} else {
		e = h + strcspn(h, ":;?>");
		if (memchr(h, '[', (size_t)(e - h)) || memchr(h, ']', (size_t)(e - h)))
			return -EINVAL;	/* a bracket only around an IPv6 reference */
	}
	n = (size_t)(e - h);
	if (!n || n >= len)
		return -EINVAL;
	memcpy(out, h, n);
	out[n] = 0;
	return 0;
}

int sip_addr_own_host(char *out, size_t len, const char *local, const char *peer)
{
	struct sockaddr_storage ls, ps, src;
	char host[NETADDR_STRLEN];
	const char *pick = local;
	int rc = 0;

	if (netaddr_parse(local, &ls) == 0 && netaddr_is_any(&ls)) {
		rc = -ENOENT;
		if (peer && netaddr_parse(peer, &ps) && sip_addr_uri_host(peer, host, sizeof(host)) == 0)
			peer = host;
		/* bound to 0.0.0.0 we cannot send to an IPv6 peer, so only :: follows one */
		if (peer && netaddr_parse(peer, &ps) == 0 && !netaddr_is_any(&ps) &&
		    (ls.ss_family == AF_INET6 || ps.ss_family == AF_INET) &&
		    netaddr_local_for(&ps, &src) == 0)
			rc = 0;
		else if (netaddr_first_global(AF_INET, &src) &&
			 (ls.ss_family != AF_INET6 || netaddr_first_global(AF_INET6, &src)))
			netaddr_parse(ls.ss_family == AF_INET6 ? "::1" : "127.0.0.1", &src);
		if (netaddr_str(&src, host, sizeof(host)) == 0)
			pick = host;
	}
	if (strlen(pick) >= len)
		return -ENOSPC;
	memmove(out, pick, strlen(pick) + 1);
	return rc;
}

/* Who the leg talks to, for a wildcard's own address: the media address
 * of its SDP, else the signalling peer (an outgoing leg's target or
 * contact, an incoming leg's source). */
static const char *sl_peer(const struct sip_leg *sl)
{
	if (sl->remote_addr[0])
		return sl->remote_addr;
	return sl->ruri[0] ? sl->ruri : sl->host;
}

const char *sl_own_hostport(const struct sip_leg *sl, char *out)
{
	char host[sizeof(sl->ua->bind)];

	if (sip_addr_own_host(host, sizeof(host), sl->ua->bind, sl->ruri[0] ? sl->ruri : sl->host) == -ENOSPC)
		snprintf(host, sizeof(host), "%s", sl->ua->bind);
	(void)sip_addr_hostport(out, SIP_OWN_HOSTPORT_LEN, host, sl->ua->port);
	return out;
}

const char *sl_contact(const struct sip_leg *sl, char *out, size_t len)
{
	struct sockaddr_storage ss;
	char hp[SIP_OWN_HOSTPORT_LEN];

	/* Bound to ::, nua would write the first transport's address for
	 * every peer (nua_registration_by_aor() skips its IPv4/IPv6 test when
	 * it has an AoR): an IPv4 Contact an IPv6-only peer cannot reach. Our
	 * own, towards this peer, becomes the dialog's (its ds_ltarget). */
	char host[NETADDR_STRLEN];

	if (sl->tls_contact[0])	/* a sip: request over TLS (sip_tp_follow_request) */
		return sl->tls_contact;
	if (netaddr_parse(sl->ua->bind, &ss) || !netaddr_is_any(&ss))
		return NULL;
	/* a peer known by name only: nua's choice (its first transport) */
	if (sip_addr_own_host(host, sizeof(host), sl->ua->bind, sl->ruri[0] ? sl->ruri : sl->host))
		return NULL;
	snprintf(out, len, "<sip:%s>", sl_own_hostport(sl, hp));
	return out;
}

const char *sl_media_addr(const struct sip_leg *sl, char *out, size_t len)
{
	if (sip_addr_own_host(out, len, sl->ua->rtp_ip, sl_peer(sl)) == -ENOSPC)
		snprintf(out, len, "%s", sl->ua->rtp_ip);
	return out;
}
