/* sipgw - what the SIP stack really listens on, one log line per transport.
 * The configuration says what was asked; a transport Sofia could not open
 * (a TLS context that failed, a port taken) must not pass for listening.
 * Sofia 1.12's nua keeps its agent, and so its transport list, to itself
 * (nua_get_params() names one Contact), so the kernel is asked instead: the
 * process's sockets bound to the SIP address, a datagram socket on the SIP
 * port (udp), listening stream sockets on it (tcp) and on the TLS port (tls).
 * SPDX-License-Identifier: GPL-2.0-only */
#include "sip/sip_listen.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <sofia-sip/nua_tag.h>
#include <sofia-sip/su_string.h>

#include "core/log.h"
#include "sip/sip_addr.h"
#include "sip/sip_internal.h"

const char *sip_tp_name(enum sip_tp tp)
{
	static const char *const n[SIP_TP__COUNT] = { [SIP_TP_UDP] = "udp", [SIP_TP_TCP] = "tcp", [SIP_TP_TLS] = "tls" };
	return tp < SIP_TP__COUNT ? n[tp] : "?";
}

/* addr as a struct of its family; "[::1]" as "::1". 0 or -1. */
static int addr_parse(const char *addr, struct sockaddr_storage *ss)
{
	char buf[64];
	size_t n = strlen(addr);

	if (n >= 2 && addr[0] == '[' && addr[n - 1] == ']' && n - 2 < sizeof(buf)) {
		memcpy(buf, addr + 1, n - 2);
		buf[n - 2] = 0;
		addr = buf;
	}
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &((struct sockaddr_in *)ss)->sin_addr) == 1)
		ss->ss_family = AF_INET;
	else if (inet_pton(AF_INET6, addr, &((struct sockaddr_in6 *)ss)->sin6_addr) == 1)
		ss->ss_family = AF_INET6;
	else
		return -1;
	return 0;
}

/* want is the wildcard of its family ("0.0.0.0", "::") */
static int addr_any(const struct sockaddr_storage *want)
{
	if (want->ss_family == AF_INET)
		return ((const struct sockaddr_in *)want)->sin_addr.s_addr == htonl(INADDR_ANY);
	return want->ss_family == AF_INET6 &&
	       IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)want)->sin6_addr);
}

/* The port of a bound socket whose address is want's, else -1. A wildcard
 * bind is every address (sip_addr.c: "::" is both families, one socket
 * per address): any socket of the family, or of both for "::". */
static int bound_port(const struct sockaddr_storage *ss, const struct sockaddr_storage *want)
{
	if (addr_any(want) && (ss->ss_family == want->ss_family || want->ss_family == AF_INET6) &&
	    (ss->ss_family == AF_INET || ss->ss_family == AF_INET6))
		return ntohs(ss->ss_family == AF_INET ? ((const struct sockaddr_in *)ss)->sin_port
						      : ((const struct sockaddr_in6 *)ss)->sin6_port);
	if (ss->ss_family != want->ss_family)
		return -1;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)ss, *b = (const void *)want;
		return a->sin_addr.s_addr == b->sin_addr.s_addr ? ntohs(a->sin_port) : -1;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)ss, *b = (const void *)want;
		return !memcmp(&a->sin6_addr, &b->sin6_addr, sizeof(a->sin6_addr)) ? ntohs(a->sin6_port) : -1;
	}
	return -1;
}

unsigned sip_listen_fds(const char *bind, int port, int tls_port, int fds[SIP_TP__COUNT])
{
	struct sockaddr_storage want;
	unsigned found = 0;
	struct dirent *e;
	DIR *d;

	for (int tp = 0; tp < SIP_TP__COUNT; tp++)
		fds[tp] = -1;
	if (addr_parse(bind, &want) || !(d = opendir("/proc/self/fd")))
		return 0;
	while ((e = readdir(d))) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss), il = sizeof(int);
		int fd = atoi(e->d_name), type = 0, acc = 0, p;
		enum sip_tp tp;

		if (e->d_name[0] == '.' || fd == dirfd(d) ||
		    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &il) ||
		    getsockname(fd, (struct sockaddr *)&ss, &sl) || (p = bound_port(&ss, &want)) < 0)
			continue;
		il = sizeof(int);
		if (type == SOCK_STREAM && (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &il) || !acc))
			continue;	/* a connection, not a listener */
		if (type == SOCK_DGRAM && p == port)
			tp = SIP_TP_UDP;
		else if (type == SOCK_STREAM && p == port)
			tp = SIP_TP_TCP;
		else if (type == SOCK_STREAM && tls_port && p == tls_port)
			tp = SIP_TP_TLS;
		else
			continue;
		if (!(found & (1u << tp)))
			fds[tp] = fd;
		found |= 1u << tp;
	}
	closedir(d);
	return found;
}

unsigned sip_listen_report(const char *bind, int port, int tls_port)
{
	int fds[SIP_TP__COUNT];
	unsigned found = sip_listen_fds(bind, port, tls_port, fds);

	for (int tp = 0; tp < SIP_TP__COUNT; tp++) {	/* in a fixed order, whatever the fds' */
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		char host[INET6_ADDRSTRLEN] = "?";
		int v6;

		if (!(found & (1u << tp)) || getsockname(fds[tp], (struct sockaddr *)&ss, &sl))
			continue;
		v6 = ss.ss_family == AF_INET6;
		inet_ntop(ss.ss_family, v6 ? (void *)&((struct sockaddr_in6 *)&ss)->sin6_addr
					   : (void *)&((struct sockaddr_in *)&ss)->sin_addr, host, sizeof(host));
		LOGN(LSS_SIP, "listening on %s:%s%s%s:%d (%s)", tp == SIP_TP_TLS ? "sips" : "sip", v6 ? "[" : "", host,
		     v6 ? "]" : "", tp == SIP_TP_TLS ? tls_port : port, sip_tp_name(tp));
	}
	return found;
}

const char *sip_tp_m_params(int transport)
{
	return transport == SIP_TP_TCP ? "transport=tcp" : NULL;
}

void sip_tp_follow_request(struct sip_leg *sl, sip_t const *sip)
{
	const char *proto = sip && sip->sip_via ? sip->sip_via->v_protocol : NULL;

	sl->transport = su_casematch(proto, sip_transport_tcp) ? SIP_TP_TCP
			: su_casematch(proto, sip_transport_tls) ? SIP_TP_TLS : SIP_TP_UDP;
	if (sip_tp_m_params(sl->transport))
		nua_set_hparams(sl->nh, NUTAG_M_PARAMS(sip_tp_m_params(sl->transport)), TAG_END());
	sl->tls_contact[0] = 0;
	if (sl->transport == SIP_TP_TLS && sip && sip->sip_request && sip->sip_request->rq_url->url_type == url_sip) {
		char src[NETADDR_STRLEN], host[sizeof(sl->ua->bind)], hp[SIP_HOSTPORT_LEN];

		/* the address the caller reached (a wildcard bind: ours towards it) */
		sip_request_source(sl->ua, src, sizeof(src));
		if (sip_addr_own_host(host, sizeof(host), sl->ua->bind, src) == -ENOSPC)
			snprintf(host, sizeof(host), "%s", sl->ua->bind);
		snprintf(sl->tls_contact, sizeof(sl->tls_contact), "<sip:%s;transport=tls>",
			 sip_hostport(hp, host, sl->ua->tls_port));
	}
}

/* nta answers a request itself when it could not be sent, or its connection
 * closed before an answer came (TPTAG_SDWN_ERROR): a 503 with this flag,
 * Sofia 1.12's NTA_INTERNAL_MSG (nta_internal.h, not installed). */
#define SIP_NTA_INTERNAL_MSG (1 << 15)

int sip_tp_failed(struct sip_leg *sl, int status, sip_t const *sip)
{
	if (status != 503 || !sip || !(sip->sip_flags & SIP_NTA_INTERNAL_MSG))
		return 0;
	LOGW(LSS_SIP, "%s INVITE %s: not sent or not answered: the %s connection to %s:%d failed or closed "
	     "(a TLS peer whose certificate sip.tls_ca did not sign, a refused connection: the sofia lines "
	     "before this say which); cause 38", sip_leg_describe(sl), sl->req_uri, sip_tp_name(sl->transport),
	     sl->host, sl->port);
	return 1;
}
