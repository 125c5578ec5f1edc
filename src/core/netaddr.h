/* sipgw - IP addresses as config and SDP write them ("192.0.2.1", "::1",
 * "[::1]", the wildcards "0.0.0.0" and "::") and the UDP sockets bound to
 * them: one parser for the start and for `sipgw -t`, IPv4 and IPv6 alike.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_CORE_NETADDR_H
#define SIPGW_CORE_NETADDR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* The longest address text plus brackets and terminator. */
#define NETADDR_STRLEN 48

/** Parse an IPv4 or IPv6 address; IPv6 with or without brackets ("::1",
 * "[::1]"), no port, no scope, no host name. Port 0 in ss. 0 or -EINVAL. */
int netaddr_parse(const char *s, struct sockaddr_storage *ss);
/** s (as netaddr_parse takes it) without its brackets into out: the form
 * config keeps and SDP writes. 0, -EINVAL or -ENOSPC. */
int netaddr_bare(const char *s, char *out, size_t outlen);
/** ss's address as text, no brackets, no port; a v4-mapped IPv6 address
 * (::ffff:a.b.c.d, a v4 peer on a dual-stack socket) as plain IPv4. */
int netaddr_str(const struct sockaddr_storage *ss, char *out, size_t outlen);
/** True for 0.0.0.0 and ::. */
int netaddr_is_any(const struct sockaddr_storage *ss);
int netaddr_port(const struct sockaddr_storage *ss);
void netaddr_set_port(struct sockaddr_storage *ss, int port);
socklen_t netaddr_len(const struct sockaddr_storage *ss);
/** dst made sendable from a socket bound to local (netaddr_udp_bind): an
 * IPv4 peer on a socket bound to :: becomes ::ffff:a.b.c.d (RFC 4291
 * 2.5.5.2). 0, or -EAFNOSUPPORT for an IPv6 peer on an IPv4 socket or an
 * IPv4 peer on one bound to a given IPv6 address (IPv6 only). */
int netaddr_to_family(struct sockaddr_storage *dst, const struct sockaddr_storage *local);
/** Same address, both v4 or both v6 (a v4-mapped v6 equals its v4). */
int netaddr_same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b);
/** A non-blocking UDP socket of local's family bound to local and port (0:
 * the kernel's); bound to :: it takes IPv4 too (IPV6_V6ONLY off), to a
 * specific IPv6 address only IPv6. The fd or -errno; *portp the port. */
int netaddr_udp_bind(const struct sockaddr_storage *local, int port, int *portp);

/** The address this host sends to peer from (the kernel's route; nothing is
 * sent) into local, port 0: what to write for ourselves when bound to a
 * wildcard. 0 or -errno (-ENETUNREACH: no route). */
int netaddr_local_for(const struct sockaddr_storage *peer, struct sockaddr_storage *local);

/** The first address of family fam on an interface that is up, not
 * loopback and (IPv6) not link-local, into out (port 0): ours when a
 * wildcard has no peer address to follow. 0 or -ENOENT. */
int netaddr_first_global(int fam, struct sockaddr_storage *out);

/* IP prefixes ("192.0.2.0/24", "fd00::/8", "::1/128", a bare address is
 * the whole length) for sip.trusted and the like. */
struct netaddr_prefix {
	int family;		/* AF_INET or AF_INET6 */
	uint8_t net[16];	/* network bytes, host bits cleared */
	int len;		/* prefix length in bits */
};

/** Parse "ADDR[/LEN]" (IPv6 with or without brackets around ADDR). 0 or -EINVAL. */
int netaddr_prefix_parse(const char *s, struct netaddr_prefix *p);
/** True when ss falls in p; a v4-mapped IPv6 address matches IPv4 prefixes. */
int netaddr_prefix_match(const struct netaddr_prefix *p, const struct sockaddr_storage *ss);

#endif
