/* sipgw - fuzz target: IP addresses and prefixes as config and SIP give
 * them (src/core/netaddr.c), host[:port] and a URI's host (src/sip/sip_addr.c),
 * and ipv6: session targets (src/core/dialpeer.c).
 *
 * The input is lines: the first is an address, the second a prefix, the
 * rest URIs and session targets. Besides "no crash", each promise of
 * core/netaddr.h and sip/sip_addr.h is checked. SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "core/dialpeer.h"
#include "core/netaddr.h"
#include "sip/sip_addr.h"

static int next_line(const char **pp, const char *end, char *out, size_t outlen)
{
	const char *p = *pp, *nl;
	size_t n;

	if (p >= end)
		return 0;
	nl = memchr(p, '\n', (size_t)(end - p));
	n = (size_t)((nl ? nl : end) - p);
	snprintf(out, outlen, "%.*s", (int)(n < outlen ? n : outlen - 1), p);
	*pp = nl ? nl + 1 : end;
	return 1;
}

/* A parsed address: its bare form parses to the same, prints, and
 * formats with brackets exactly when IPv6. */
static void check_addr(const char *s, const struct sockaddr_storage *ss)
{
	struct sockaddr_storage again;
	char bare[NETADDR_STRLEN], str[NETADDR_STRLEN], hp[SIP_HOSTPORT_LEN];

	if (ss->ss_family != AF_INET && ss->ss_family != AF_INET6)
		abort();
	if (netaddr_bare(s, bare, sizeof(bare)) || netaddr_parse(bare, &again) ||
	    !netaddr_same_host(ss, &again) || netaddr_is_any(ss) != netaddr_is_any(&again))
		abort();
	if (netaddr_str(ss, str, sizeof(str)) || netaddr_parse(str, &again) || !netaddr_same_host(ss, &again))
		abort();
	sip_hostport(hp, bare, 5060);
	if ((ss->ss_family == AF_INET6) != (hp[0] == '['))
		abort();
	if (netaddr_port(ss) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	char line[512], host[NETADDR_STRLEN], hp[SIP_HOSTPORT_LEN], tgt[256];
	struct sockaddr_storage ss, ss2;
	struct netaddr_prefix pf;
	int have = 0, port;

	if (next_line(&p, end, line, sizeof(line)) && netaddr_parse(line, &ss) == 0) {
		check_addr(line, &ss);
		have = 1;
		ss2 = ss;
		if (netaddr_to_family(&ss2, &ss) || !netaddr_same_host(&ss, &ss2))
			abort();
	}
	if (next_line(&p, end, line, sizeof(line)) && netaddr_prefix_parse(line, &pf) == 0) {
		if ((pf.family != AF_INET && pf.family != AF_INET6) || pf.len < 0 ||
		    pf.len > (pf.family == AF_INET ? 32 : 128))
			abort();
		if (have) {
			int m = netaddr_prefix_match(&pf, &ss);
			struct netaddr_prefix all = pf;

			all.len = 0;	/* /0 of its family takes every address of it */
			if (m && !netaddr_prefix_match(&all, &ss))
				abort();
		}
	}
	while (next_line(&p, end, line, sizeof(line))) {
		struct dial_peer dp = { .type = DP_VOIP };
		int rc = sip_addr_uri_host(line, host, sizeof(host));

		if (rc == 0 && (!host[0] || strnlen(host, sizeof(host)) >= sizeof(host) || strchr(host, ']')))
			abort();
		if (sip_addr_hostport(hp, sizeof(hp), line, (int)(size % 70000)) == 0 && strlen(hp) < strlen(line))
			abort();
		snprintf(dp.target, sizeof(dp.target), "%s", line);
		rc = dp_session_target(&dp, tgt, sizeof(tgt), &port);
		if (rc == 0 && (!tgt[0] || port < 1 || port > 65535 || tgt[0] == '['))
			abort();
		if (rc && rc != -EINVAL && rc != -ENOSPC)
			abort();
		/* an IPv6 target comes out bare and parses */
		if (rc == 0 && !strncasecmp(line, "ipv6:", 5) && netaddr_parse(tgt, &ss2))
			abort();
	}
	return 0;
}
