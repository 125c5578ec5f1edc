/* sipgw - unit tests: which of the process's sockets are SIP listeners
 * (sip_listen.c): sockets on 127.0.0.1 that never carry a packet.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "sip/sip_listen.h"
#include "unit.h"

/* A socket of type on 127.0.0.1:port (0: any); its port into *portp. */
static int sock_on(int type, int port, int *portp)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, type, 0), one = 1;

	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) || getsockname(fd, (struct sockaddr *)&a, &len)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*portp = ntohs(a.sin_port);
	return fd;
}

static void test_listeners_found(void)
{
	int port, tls_port, p, fds[SIP_TP__COUNT];
	int udp = sock_on(SOCK_DGRAM, 0, &port);
	int tcp = udp < 0 ? -1 : sock_on(SOCK_STREAM, port, &p);
	int tls = sock_on(SOCK_STREAM, 0, &tls_port);
	int conn = sock_on(SOCK_STREAM, 0, &p);	/* bound, not listening: no listener */

	CU_ASSERT_FATAL(udp >= 0 && tcp >= 0 && tls >= 0 && conn >= 0);
	CU_ASSERT_EQUAL(listen(tcp, 1), 0);
	/* the TLS port is no listener until it listens */
	CU_ASSERT_EQUAL(sip_listen_fds("127.0.0.1", port, tls_port, fds), (1u << SIP_TP_UDP) | (1u << SIP_TP_TCP));
	CU_ASSERT_EQUAL(listen(tls, 1), 0);
	CU_ASSERT_EQUAL(sip_listen_fds("127.0.0.1", port, tls_port, fds),
			(1u << SIP_TP_UDP) | (1u << SIP_TP_TCP) | (1u << SIP_TP_TLS));
	CU_ASSERT_EQUAL(fds[SIP_TP_UDP], udp);
	CU_ASSERT_EQUAL(fds[SIP_TP_TCP], tcp);
	CU_ASSERT_EQUAL(fds[SIP_TP_TLS], tls);
	/* tls_port 0: no TLS asked for; another address: nothing of ours */
	CU_ASSERT_EQUAL(sip_listen_fds("127.0.0.1", port, 0, fds), (1u << SIP_TP_UDP) | (1u << SIP_TP_TCP));
	CU_ASSERT_EQUAL(fds[SIP_TP_TLS], -1);
	CU_ASSERT_EQUAL(sip_listen_fds("127.0.0.2", port, tls_port, fds), 0u);
	CU_ASSERT_EQUAL(sip_listen_fds("not-an-address", port, tls_port, fds), 0u);
	CU_ASSERT_EQUAL(sip_listen_fds("127.0.0.1", p, 0, fds), 0u);	/* the bound, unlistening one */
	close(udp);
	close(tcp);
	CU_ASSERT_EQUAL(sip_listen_fds("127.0.0.1", port, tls_port, fds), 1u << SIP_TP_TLS);
	close(tls);
	close(conn);
}

static void test_tp_names(void)
{
	CU_ASSERT_STRING_EQUAL(sip_tp_name(SIP_TP_UDP), "udp");
	CU_ASSERT_STRING_EQUAL(sip_tp_name(SIP_TP_TCP), "tcp");
	CU_ASSERT_STRING_EQUAL(sip_tp_name(SIP_TP_TLS), "tls");
	CU_ASSERT_STRING_EQUAL(sip_tp_name(SIP_TP__COUNT), "?");
}

int suite_sip_listen_add(void)
{
	static const CU_TestInfo tests[] = {
		{ "listeners: udp, tcp and tls sockets told apart from the rest", test_listeners_found },
		{ "transport names", test_tp_names },
		CU_TEST_INFO_NULL,
	};
	return unit_suite_add("sip_listen", tests);
}
