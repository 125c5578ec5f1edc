/* sipgw - our own and our peers' addresses as SIP writes them: host[:port]
 * with an IPv6 address in brackets (RFC 3261 25.1 IPv6reference, RFC 5118
 * 4.1), in Request-URIs, From, To, Contact, Warning agents, Diversion,
 * History-Info, P-Asserted-Identity and the URL nua listens on.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_SIP_ADDR_H
#define SIPGW_SIP_ADDR_H

#include <stddef.h>

#include "core/netaddr.h"

/* Fits any host of under 128 characters, its brackets and ":65535". */
#define SIP_HOSTPORT_LEN 140

/** host (a name, IPv4, IPv6 bare or already bracketed) and port (0: none) as
 * "host", "host:port", "[v6]" or "[v6]:port" into out (SIP_HOSTPORT_LEN
 * bytes); 0, or -ENOSPC with out cut short (still terminated). */
int sip_addr_hostport(char *out, size_t len, const char *host, int port);
/** The same for use inside one printf: returns out (SIP_HOSTPORT_LEN bytes). */
const char *sip_hostport(char *out, const char *host, int port);

/** The URL nua listens on for bind and port: "sip:[v6]:port", "sip:v4:port";
 * for "::" every address of both families ("sip:*:port": tport binds each
 * address of the host, IPv4 and IPv6; "sip:[::]" would take IPv6 only).
 * 0 or -ENOSPC. */
int sip_addr_listen_url(char *out, size_t len, const char *bind, int port);
/** The local UDP addresses of this process bound to port, as "a:p, [v6]:p"
 * into out (for the log line that says what a wildcard bound); 0 or -ENOENT. */
int sip_addr_bound(int port, char *out, size_t len);
/** The host of a SIP URI ("sip:user@[v6]:port;p", "<sips:host>") into out,
 * bare (no brackets); 0 or -EINVAL. */
int sip_addr_uri_host(const char *uri, char *out, size_t len);
/** The address we write as ours towards peer (an IP address, a URI or ""):
 * local as it is, or when local is a wildcard (0.0.0.0, ::) the address the
 * kernel sends to peer from. With no peer address to follow (a host name,
 * none): the host's first global address (IPv4 first for ::), else the
 * wildcard's loopback, and -ENOENT. Bare, into out; 0, -ENOENT or -ENOSPC. */
int sip_addr_own_host(char *out, size_t len, const char *local, const char *peer);

#endif
