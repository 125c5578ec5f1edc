/* sipgw - IP addresses and UDP sockets for either family (netaddr.h).
 * SPDX-License-Identifier: GPL-2.0-only */
#include "core/netaddr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* s without RFC 3986 3.2.2 brackets into buf; brackets only around IPv6. */
static int strip_brackets(const char *s, char *buf, size_t len, int *bracketedp)
{
	size_t n = strlen(s);

	*bracketedp = 0;
	if (n && s[0] == '[') {
		if (n < 3 || s[n - 1] != ']')
			return -EINVAL;
		s++;
		n -= 2;
		*bracketedp = 1;
	}
	if (n >= len)
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = 0;
	return 0;
}

int netaddr_parse(const char *s, struct sockaddr_storage *ss)
{
	char buf[NETADDR_STRLEN];
	int br;

	memset(ss, 0, sizeof(*ss));
	if (!s || strip_brackets(s, buf, sizeof(buf), &br))
		return -EINVAL;
	if (!br) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, buf, &sin->sin_addr) == 1) {
			sin->sin_family = AF_INET;
			return 0;
		}
	}
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	if (inet_pton(AF_INET6, buf, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		return 0;
	}
	memset(ss, 0, sizeof(*ss));
	return -EINVAL;
}

int netaddr_bare(const char *s, char *out, size_t outlen)
{
	struct sockaddr_storage ss;
	char buf[NETADDR_STRLEN];
	int br;

	if (netaddr_parse(s, &ss) || strip_brackets(s, buf, sizeof(buf), &br))
		return -EINVAL;
	if (strlen(buf) >= outlen)
		return -ENOSPC;
	strcpy(out, buf);
	return 0;
}

static int is_v4mapped(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 &&
	       IN6_IS_ADDR_V4MAPPED(&((const struct sockaddr_in6 *)ss)->sin6_addr);
}

int netaddr_str(const struct sockaddr_storage *ss, char *out, size_t outlen)
{
	const void *a;
	int fam = ss->ss_family;

	if (fam == AF_INET) {
		a = &((const struct sockaddr_in *)ss)->sin_addr;
	} else if (is_v4mapped(ss)) {
		a = &((const struct sockaddr_in6 *)ss)->sin6_addr.s6_addr[12];
		fam = AF_INET;
	} else if (fam == AF_INET6) {
		a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
	} else {
		return -EAFNOSUPPORT;
	}
	return inet_ntop(fam, a, out, (socklen_t)outlen) ? 0 : -ENOSPC;
}

int netaddr_is_any(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_addr.s_addr == htonl(INADDR_ANY);
	if (ss->ss_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)ss)->sin6_addr);
	return 0;
}

int netaddr_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return 0;
}

void netaddr_set_port(struct sockaddr_storage *ss, int port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	else if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
}

socklen_t netaddr_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

int netaddr_to_family(struct sockaddr_storage *dst, const struct sockaddr_storage *local)
{
	if (dst->ss_family == local->ss_family)
		return 0;
	/* only :: is dual-stack (netaddr_udp_bind's IPV6_V6ONLY) */
	if (local->ss_family == AF_INET6 && dst->ss_family == AF_INET && netaddr_is_any(local)) {
		struct sockaddr_in v4 = *(struct sockaddr_in *)dst;
		struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)dst;

		memset(dst, 0, sizeof(*dst));
		v6->sin6_family = AF_INET6;
		v6->sin6_port = v4.sin_port;
		v6->sin6_addr.s6_addr[10] = v6->sin6_addr.s6_addr[11] = 0xff;
		memcpy(&v6->sin6_addr.s6_addr[12], &v4.sin_addr, 4);
		return 0;
	}
	return -EAFNOSUPPORT;
}

/* The address bytes compared, v4-mapped IPv6 seen as its IPv4. */
static const uint8_t *addr_bytes(const struct sockaddr_storage *ss, int *famp, size_t *lenp)
{
	if (ss->ss_family == AF_INET) {
		*famp = AF_INET;
		*lenp = 4;
		return (const uint8_t *)&((const struct sockaddr_in *)ss)->sin_addr;
	}
	if (ss->ss_family != AF_INET6)
		return NULL;
	if (is_v4mapped(ss)) {
		*famp = AF_INET;
		*lenp = 4;
		return &((const struct sockaddr_in6 *)ss)->sin6_addr.s6_addr[12];
	}
	*famp = AF_INET6;
	*lenp = 16;
	return ((const struct sockaddr_in6 *)ss)->sin6_addr.s6_addr;
}

int netaddr_same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	int fa = 0, fb = 0;
	size_t la = 0, lb = 0;
	const uint8_t *pa = addr_bytes(a, &fa, &la), *pb = addr_bytes(b, &fb, &lb);

	return pa && pb && fa == fb && !memcmp(pa, pb, la);
}

int netaddr_udp_bind(const struct sockaddr_storage *local, int port, int *portp)
{
	struct sockaddr_storage ss = *local;
	socklen_t sl = sizeof(ss);
	int fd, rc;

	if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)
		return -EAFNOSUPPORT;
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (ss.ss_family == AF_INET6) {
		/* ::, as 0.0.0.0 would: every address of both families. A
		 * given IPv6 address cannot take IPv4 anyway. */
		int v6only = !netaddr_is_any(&ss);

		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)) < 0) {
			rc = -errno;
			close(fd);
			return rc;
		}
	}
	netaddr_set_port(&ss, port);
	if (bind(fd, (struct sockaddr *)&ss, netaddr_len(&ss)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	if (portp)
		*portp = netaddr_port(&ss);
	return fd;
}

int netaddr_local_for(const struct sockaddr_storage *peer, struct sockaddr_storage *local)
{
	struct sockaddr_storage to = *peer;
	socklen_t sl = sizeof(*local);
	int fd, rc = 0;

	if (to.ss_family != AF_INET && to.ss_family != AF_INET6)
		return -EAFNOSUPPORT;
	fd = socket(to.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* a UDP connect() only picks the route and source address */
	if (!netaddr_port(&to))
		netaddr_set_port(&to, 9);
	if (connect(fd, (struct sockaddr *)&to, netaddr_len(&to)) < 0 ||
	    getsockname(fd, (struct sockaddr *)local, &sl) < 0)
		rc = -errno;
	close(fd);
	if (!rc)
		netaddr_set_port(local, 0);
	return rc;
}

int netaddr_first_global(int fam, struct sockaddr_storage *out)
{
	struct ifaddrs *ifa, *i;
	int rc = -ENOENT;

	if (getifaddrs(&ifa))
		return -errno;
	for (i = ifa; i && rc; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != fam || !(i->ifa_flags & IFF_UP) ||
		    (i->ifa_flags & IFF_LOOPBACK))
			continue;
		if (fam == AF_INET6 &&
		    IN6_IS_ADDR_LINKLOCAL(&((const struct sockaddr_in6 *)i->ifa_addr)->sin6_addr))
			continue;
		memset(out, 0, sizeof(*out));
		memcpy(out, i->ifa_addr, fam == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
		netaddr_set_port(out, 0);
		rc = 0;
	}
	freeifaddrs(ifa);
	return rc;
}

int netaddr_prefix_parse(const char *s, struct netaddr_prefix *p)
{
	char buf[NETADDR_STRLEN + 8];
	struct sockaddr_storage ss;
	const uint8_t *a;
	char *slash;
	size_t alen;
	long len;
	int fam;

	if (!s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash = 0;
	/* no v4-mapped forms in a list: "::ffff:10.0.0.0/104" is written 10.0.0.0/8 */
	if (netaddr_parse(buf, &ss) || is_v4mapped(&ss))
		return -EINVAL;
	a = addr_bytes(&ss, &fam, &alen);
	len = (long)alen * 8;
	if (slash) {
		char *end;

		if (!slash[1] || slash[1] < '0' || slash[1] > '9')
			return -EINVAL;
		len = strtol(slash + 1, &end, 10);
		if (*end || len < 0 || len > (long)alen * 8)
			return -EINVAL;
	}
	memset(p, 0, sizeof(*p));
	p->family = fam;
	p->len = (int)len;
	memcpy(p->net, a, alen);
	for (size_t i = 0; i < alen; i++) {
		int bits = (int)len - (int)i * 8;

		p->net[i] &= bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
	}
	return 0;
}

int netaddr_prefix_match(const struct netaddr_prefix *p, const struct sockaddr_storage *ss)
{
	size_t alen;
	int fam;
	const uint8_t *a = addr_bytes(ss, &fam, &alen);

	if (!a || fam != p->family)
		return 0;
	for (int i = 0; i * 8 < p->len; i++) {
		int bits = p->len - i * 8;
		uint8_t m = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));

		if ((a[i] & m) != p->net[i])
			return 0;
	}
	return 1;
}
