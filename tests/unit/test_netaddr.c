/* sipgw - unit tests: IPv4/IPv6 addresses (core/netaddr.h) as config gives
 * them, prefixes for sip.trusted, host[:port] as SIP writes it
 * (sip/sip_addr.h, RFC 5118 4.1); then RTP and UDPTL sessions on ::1 and
 * on "::" (dual-stack) with the loop stepped, and ICMPv6 refusals counted.
 * The socket tests skip (say so) on a machine with no ::1.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sofia-sip/su_wait.h>

#include "core/netaddr.h"
#include "rtp/rtp.h"
#include "rtp/udptl.h"
#include "sip/sip_addr.h"
#include "sip/sip_internal.h"
#include "unit.h"

static void test_parse_forms(void)
{
	static const struct {
		const char *in, *bare;
		int fam, any;
	} ok[] = {
		{ "127.0.0.1", "127.0.0.1", AF_INET, 0 },
		{ "0.0.0.0", "0.0.0.0", AF_INET, 1 },
		{ "::1", "::1", AF_INET6, 0 },
		{ "[::1]", "::1", AF_INET6, 0 },
		{ "::", "::", AF_INET6, 1 },
		{ "[::]", "::", AF_INET6, 1 },
		{ "2001:db8::1", "2001:db8::1", AF_INET6, 0 },
		{ "[2001:DB8:0:0:0:0:0:1]", "2001:DB8:0:0:0:0:0:1", AF_INET6, 0 },
		{ "::ffff:192.0.2.1", "::ffff:192.0.2.1", AF_INET6, 0 },
	};
	static const char *const bad[] = {
		"", "[]", "[", "]", "[::1", "::1]", "[127.0.0.1]", "::1::2", "[::1]:5060", "127.0.0.1:5060",
		"localhost", "127.0.0.256", "::g", "fe80::1%lo", " ::1", "::1 ", "[[::1]]",
		"1:2:3:4:5:6:7:8:9", "2001:db8::1/64",
	};
	struct sockaddr_storage ss;
	char out[NETADDR_STRLEN];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (netaddr_parse(ok[i].in, &ss))
			fprintf(stderr, "\n  [%s] refused", ok[i].in);
		CU_ASSERT_EQUAL(netaddr_parse(ok[i].in, &ss), 0);
		CU_ASSERT_EQUAL(ss.ss_family, ok[i].fam);
		CU_ASSERT_EQUAL(netaddr_is_any(&ss), ok[i].any);
		CU_ASSERT_EQUAL(netaddr_port(&ss), 0);
		CU_ASSERT_EQUAL(netaddr_bare(ok[i].in, out, sizeof(out)), 0);
		CU_ASSERT_STRING_EQUAL(out, ok[i].bare);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (netaddr_parse(bad[i], &ss) != -EINVAL)
			fprintf(stderr, "\n  [%s] taken", bad[i]);
		CU_ASSERT_EQUAL(netaddr_parse(bad[i], &ss), -EINVAL);
		CU_ASSERT_EQUAL(netaddr_bare(bad[i], out, sizeof(out)), -EINVAL);
	}
	CU_ASSERT_EQUAL(netaddr_parse(NULL, &ss), -EINVAL);
	CU_ASSERT_EQUAL(netaddr_bare("[2001:db8::1]", out, 11), -ENOSPC);
	CU_ASSERT_EQUAL(netaddr_bare("[2001:db8::1]", out, 12), 0);
	/* in place, as config keeps it */
	snprintf(out, sizeof(out), "[fd00::5]");
	CU_ASSERT_EQUAL(netaddr_bare(out, out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "fd00::5");
}

/* A v4 peer on a dual-stack socket is ::ffff:a.b.c.d; it prints and
 * compares as the IPv4 address it is. */
static void test_families(void)
{
	struct sockaddr_storage a, b, any4, any6, lo6;
	char out[NETADDR_STRLEN];

	netaddr_parse("0.0.0.0", &any4);
	netaddr_parse("::", &any6);
	netaddr_parse("::1", &lo6);
	CU_ASSERT_EQUAL_FATAL(netaddr_parse("192.0.2.7", &a), 0);
	netaddr_set_port(&a, 5004);
	b = a;
	CU_ASSERT_EQUAL(netaddr_to_family(&b, &any4), 0);
	CU_ASSERT_EQUAL(netaddr_to_family(&b, &lo6), -EAFNOSUPPORT);	/* a v6-only socket */
	CU_ASSERT_EQUAL(b.ss_family, AF_INET);
	CU_ASSERT_EQUAL(netaddr_to_family(&b, &any6), 0);
	CU_ASSERT_EQUAL(b.ss_family, AF_INET6);
	CU_ASSERT_EQUAL(netaddr_len(&b), sizeof(struct sockaddr_in6));
	CU_ASSERT_EQUAL(netaddr_port(&b), 5004);
	CU_ASSERT_EQUAL(netaddr_str(&b, out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "192.0.2.7");
	CU_ASSERT_TRUE(netaddr_same_host(&a, &b));
	inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&b)->sin6_addr, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "::ffff:192.0.2.7");
	/* an IPv6 peer cannot go on an IPv4 socket */
	CU_ASSERT_EQUAL_FATAL(netaddr_parse("2001:db8::7", &a), 0);
	CU_ASSERT_EQUAL(netaddr_to_family(&a, &any4), -EAFNOSUPPORT);
	CU_ASSERT_EQUAL(netaddr_to_family(&a, &lo6), 0);
	CU_ASSERT_FALSE(netaddr_same_host(&a, &b));
	CU_ASSERT_EQUAL(netaddr_str(&a, out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "2001:db8::7");
	CU_ASSERT_EQUAL(netaddr_str(&a, out, 5), -ENOSPC);
}

static int in_prefix(const char *prefix, const char *addr)
{
	struct netaddr_prefix p;
	struct sockaddr_storage ss;

	CU_ASSERT_EQUAL_FATAL(netaddr_prefix_parse(prefix, &p), 0);
	CU_ASSERT_EQUAL_FATAL(netaddr_parse(addr, &ss), 0);
	return netaddr_prefix_match(&p, &ss);
}

/* sip.trusted: "::1/128", "fd00::/8", odd lengths, v4 and v6 kept apart
 * but a v4-mapped source still matches its IPv4 prefix. */
static void test_prefixes(void)
{
	static const char *const bad[] = {
		"", "/8", "fd00::/", "fd00::/129", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/ 8",
		"fd00::/8x", "fd00::/8/9", "::ffff:10.0.0.0/104", "fd00:::/8", "[fd00::]/8/", "host/8",
	};
	struct netaddr_prefix p;

	CU_ASSERT_TRUE(in_prefix("::1/128", "::1"));
	CU_ASSERT_TRUE(in_prefix("::1", "[::1]"));
	CU_ASSERT_FALSE(in_prefix("::1/128", "::2"));
	CU_ASSERT_TRUE(in_prefix("fd00::/8", "fd12:3456::1"));
	CU_ASSERT_FALSE(in_prefix("fd00::/8", "fe80::1"));
	CU_ASSERT_TRUE(in_prefix("[2001:db8::]/32", "2001:db8:ffff::1"));
	CU_ASSERT_FALSE(in_prefix("2001:db8::/32", "2001:db9::1"));
	CU_ASSERT_TRUE(in_prefix("2001:db8:8000::/33", "2001:db8:8000::1"));
	CU_ASSERT_FALSE(in_prefix("2001:db8:8000::/33", "2001:db8:7fff::1"));
	CU_ASSERT_TRUE(in_prefix("2001:db8::/127", "2001:db8::1"));
	CU_ASSERT_FALSE(in_prefix("2001:db8::/127", "2001:db8::2"));
	CU_ASSERT_TRUE(in_prefix("::/0", "2001:db8::1"));
	CU_ASSERT_FALSE(in_prefix("::/0", "192.0.2.1"));	/* families apart */
	CU_ASSERT_FALSE(in_prefix("0.0.0.0/0", "2001:db8::1"));
	CU_ASSERT_TRUE(in_prefix("0.0.0.0/0", "192.0.2.1"));
	CU_ASSERT_TRUE(in_prefix("192.0.2.0/25", "192.0.2.127"));
	CU_ASSERT_FALSE(in_prefix("192.0.2.0/25", "192.0.2.128"));
	CU_ASSERT_TRUE(in_prefix("127.0.0.1", "::ffff:127.0.0.1"));	/* v4 peer, dual-stack socket */
	CU_ASSERT_FALSE(in_prefix("127.0.0.1", "::ffff:127.0.0.2"));
	CU_ASSERT_EQUAL(netaddr_prefix_parse("10.1.2.3/8", &p), 0);	/* host bits cleared */
	CU_ASSERT_EQUAL(p.net[1] | p.net[2] | p.net[3], 0);
	CU_ASSERT_EQUAL(p.len, 8);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (netaddr_prefix_parse(bad[i], &p) != -EINVAL)
			fprintf(stderr, "\n  prefix [%s] taken", bad[i]);
		CU_ASSERT_EQUAL(netaddr_prefix_parse(bad[i], &p), -EINVAL);
	}
}

/* RFC 3261 25.1 / RFC 5118 4.1: an IPv6 host in brackets, always. */
static void test_hostport(void)
{
	char hp[SIP_HOSTPORT_LEN], small[8];

	CU_ASSERT_STRING_EQUAL(sip_hostport(hp, "::1", 5060), "[::1]:5060");
	CU_ASSERT_STRING_EQUAL(sip_hostport(hp, "[::1]", 5060), "[::1]:5060");
	CU_ASSERT_STRING_EQUAL(sip_hostport(hp, "2001:db8::1", 0), "[2001:db8::1]");
	CU_ASSERT_STRING_EQUAL(sip_hostport(hp, "192.0.2.1", 5070), "192.0.2.1:5070");
	CU_ASSERT_STRING_EQUAL(sip_hostport(hp, "gw.example.com", 0), "gw.example.com");
	CU_ASSERT_EQUAL(sip_addr_hostport(small, sizeof(small), "::1", 5060), -ENOSPC);
	CU_ASSERT_EQUAL(strlen(small), sizeof(small) - 1);	/* cut, terminated */
	CU_ASSERT_EQUAL(sip_addr_listen_url(hp, sizeof(hp), "::1", 5060), 0);
	CU_ASSERT_STRING_EQUAL(hp, "sip:[::1]:5060");
	CU_ASSERT_EQUAL(sip_addr_listen_url(hp, sizeof(hp), "::", 5060), 0);
	CU_ASSERT_STRING_EQUAL(hp, "sip:*:5060");	/* both families */
	CU_ASSERT_EQUAL(sip_addr_listen_url(hp, sizeof(hp), "0.0.0.0", 5060), 0);
	CU_ASSERT_STRING_EQUAL(hp, "sip:0.0.0.0:5060");
}

static void test_uri_host(void)
{
	static const struct {
		const char *uri, *host;
	} ok[] = {
		{ "sip:2001@[::1]:5060;user=phone", "::1" },
		{ "<sip:2001@[2001:db8::1]>", "2001:db8::1" },
		{ "sip:[fd00::1]", "fd00::1" },
		{ "sip:2001@192.0.2.1:5060", "192.0.2.1" },
		{ "sips:a@gw.example.com;transport=tls", "gw.example.com" },
		{ "sip:a:pw@host?x=1", "host" },
		{ "sip:user@odd@192.0.2.9", "192.0.2.9" },
	};
	static const char *const bad[] = { "", "2001", "sip:", "sip:a@", "sip:a@[::1", "sip:a@;x", "sip:@:5060" };
	char out[NETADDR_STRLEN];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		CU_ASSERT_EQUAL(sip_addr_uri_host(ok[i].uri, out, sizeof(out)), 0);
		CU_ASSERT_STRING_EQUAL(out, ok[i].host);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (sip_addr_uri_host(bad[i], out, sizeof(out)) != -EINVAL)
			fprintf(stderr, "\n  uri [%s] gave [%s]", bad[i], out);
		CU_ASSERT_EQUAL(sip_addr_uri_host(bad[i], out, sizeof(out)), -EINVAL);
	}
	CU_ASSERT_EQUAL(sip_addr_uri_host("sip:a@[2001:db8::1]", out, 5), -EINVAL);
}

/* Diversion and History-Info with an IPv6 own address (RFC 5806, RFC 7044):
 * the hostport sip_hostport made, brackets and all. */
static void test_redirect_headers_v6(void)
{
	char div[256], hist[512], me[SIP_HOSTPORT_LEN];

	sip_redirect_headers("2001", LEG_REDIR_BUSY, sip_hostport(me, "2001:db8::10", 5060),
			     "sip:2002@[2001:db8::20]:5060;user=phone", div, sizeof(div), hist, sizeof(hist));
	CU_ASSERT_STRING_EQUAL(div, "Diversion: <sip:2001@[2001:db8::10]:5060;user=phone>;reason=user-busy;counter=1");
	CU_ASSERT_STRING_EQUAL(hist, "History-Info: <sip:2001@[2001:db8::10]:5060;user=phone>;index=1, "
				     "<sip:2002@[2001:db8::20]:5060;user=phone;cause=486>;index=1.1");
}

static int have_v6(void)
{
	struct sockaddr_storage ss;
	int fd;

	netaddr_parse("::1", &ss);
	fd = netaddr_udp_bind(&ss, 0, NULL);
	if (fd < 0) {
		fprintf(stderr, " (no ::1 here: skipped) ");
		return 0;
	}
	close(fd);
	return 1;
}

/* What we write as ours: the bound address; for a wildcard, the one the
 * kernel sends to the peer from; with no peer address, an address of the
 * host (never the wildcard itself) and -ENOENT. */
static void test_own_host(void)
{
	struct sockaddr_storage ss;
	char out[NETADDR_STRLEN];

	CU_ASSERT_EQUAL(sip_addr_own_host(out, sizeof(out), "192.0.2.1", "::1"), 0);
	CU_ASSERT_STRING_EQUAL(out, "192.0.2.1");
	CU_ASSERT_EQUAL(sip_addr_own_host(out, sizeof(out), "0.0.0.0", "127.0.0.1"), 0);
	CU_ASSERT_STRING_EQUAL(out, "127.0.0.1");
	CU_ASSERT_EQUAL(sip_addr_own_host(out, sizeof(out), "::", "sip:2001@127.0.0.1:5060"), 0);
	CU_ASSERT_STRING_EQUAL(out, "127.0.0.1");
	/* nothing to follow: "", a name, a v6 peer for a v4 socket */
	CU_ASSERT_EQUAL(sip_addr_own_host(out, sizeof(out), "0.0.0.0", ""), -ENOENT);
	CU_ASSERT_EQUAL_FATAL(netaddr_parse(out, &ss), 0);
	CU_ASSERT_EQUAL(ss.ss_family, AF_INET);
	CU_ASSERT_FALSE(netaddr_is_any(&ss));
	CU_ASSERT_EQUAL(sip_addr_own_host(out, sizeof(out), "0.0.0.0", "::1"), -ENOENT);
	CU_ASSERT_EQUAL_FATAL(netaddr_parse(out, &ss), 0);
	CU_ASSERT_EQUAL(ss.ss_family, AF_INET);
	CU_ASSERT_EQUAL(sip_addr_own_host(out, sizeof(out), "::", "gw.example.com"), -ENOENT);
	CU_ASSERT_EQUAL_FATAL(netaddr_parse(out, &ss), 0);
	CU_ASSERT_FALSE(netaddr_is_any(&ss));
	CU_ASSERT_EQUAL(sip_addr_own_host(out, 4, "192.0.2.1", NULL), -ENOSPC);
	if (!have_v6())
		return;
	CU_ASSERT_EQUAL(sip_addr_own_host(out, sizeof(out), "::", "sip:2001@[::1]:5060;user=phone"), 0);
	CU_ASSERT_STRING_EQUAL(out, "::1");
	CU_ASSERT_EQUAL(sip_addr_own_host(out, sizeof(out), "::", "::1"), 0);
	CU_ASSERT_STRING_EQUAL(out, "::1");
}

/* ---- sockets on ::1 and :: */

static su_root_t *root;

struct rx {
	int n;
	uint8_t first;
	unsigned refused;
};

static void on_rtp(void *arg, int pt, const uint8_t *payload, size_t len, uint16_t seq, uint32_t ts, int marker)
{
	struct rx *r = arg;

	r->n++;
	r->first = len ? payload[0] : 0;
}

static void on_refused(void *arg, unsigned run)
{
	((struct rx *)arg)->refused++;
}

static void on_ifp(void *arg, const uint8_t *ifp, size_t len, uint16_t seq, int recovered)
{
	((struct rx *)arg)->n++;
}

static void step_until(const int *n, int want)
{
	for (int i = 0; i < 20 && *n < want; i++)
		su_root_step(root, 100);
}

static int sock_init(void)
{
	su_init();
	root = su_root_create(NULL);
	return root ? 0 : -1;
}

static int sock_cleanup(void)
{
	su_root_destroy(root);
	su_deinit();
	return 0;
}

/* Two sessions on ::1 talk; a v4 peer cannot be set on a v6-only socket. */
static void test_rtp_on_v6(void)
{
	struct rx ra = { 0 }, rb = { 0 };
	struct rtp_params pa = { .local_ip = "[::1]", .recv_h = on_rtp, .arg = &ra };
	struct rtp_params pb = { .local_ip = "::1", .recv_h = on_rtp, .arg = &rb };
	struct rtp_session *a = NULL, *b = NULL;
	uint8_t pl[160];

	if (!have_v6())
		return;
	memset(pl, 0x5a, sizeof(pl));
	CU_ASSERT_EQUAL_FATAL(rtp_alloc(&a, root, &pa), 0);
	CU_ASSERT_EQUAL_FATAL(rtp_alloc(&b, root, &pb), 0);
	CU_ASSERT_EQUAL(rtp_local_port(a) % 2, 0);
	CU_ASSERT_EQUAL(rtp_set_remote(a, "127.0.0.1", rtp_local_port(b)), -EAFNOSUPPORT);
	CU_ASSERT_EQUAL(rtp_set_remote(a, "::1", rtp_local_port(b)), 0);
	CU_ASSERT_EQUAL(rtp_set_remote(b, "[::1]", rtp_local_port(a)), 0);
	CU_ASSERT_EQUAL(rtp_send(a, 0, pl, sizeof(pl), 160), 0);
	CU_ASSERT_EQUAL(rtp_send(b, 0, pl, sizeof(pl), 160), 0);
	step_until(&rb.n, 1);
	step_until(&ra.n, 1);
	CU_ASSERT_EQUAL(ra.n, 1);
	CU_ASSERT_EQUAL(rb.n, 1);
	CU_ASSERT_EQUAL(rb.first, 0x5a);
	/* :: (the null address of IPv6) is no remote: nothing sent, no error */
	CU_ASSERT_EQUAL(rtp_set_remote(a, "::", 4000), 0);
	CU_ASSERT_EQUAL(rtp_send(a, 0, pl, sizeof(pl), 160), 0);
	rtp_free(a);
	rtp_free(b);
}

/* rtp.address "::": one socket takes a v4 and a v6 peer. */
static void test_rtp_dual_stack(void)
{
	struct rx rany = { 0 }, r4 = { 0 }, r6 = { 0 };
	struct rtp_params pany = { .local_ip = "::", .recv_h = on_rtp, .arg = &rany };
	struct rtp_params p4 = { .local_ip = "127.0.0.1", .recv_h = on_rtp, .arg = &r4 };
	struct rtp_params p6 = { .local_ip = "::1", .recv_h = on_rtp, .arg = &r6 };
	struct rtp_session *any = NULL, *v4 = NULL, *v6 = NULL;
	uint8_t pl[160] = { 7 };

	if (!have_v6())
		return;
	CU_ASSERT_EQUAL_FATAL(rtp_alloc(&any, root, &pany), 0);
	CU_ASSERT_EQUAL_FATAL(rtp_alloc(&v4, root, &p4), 0);
	CU_ASSERT_EQUAL_FATAL(rtp_alloc(&v6, root, &p6), 0);
	CU_ASSERT_EQUAL(rtp_set_remote(v4, "127.0.0.1", rtp_local_port(any)), 0);
	CU_ASSERT_EQUAL(rtp_set_remote(v6, "::1", rtp_local_port(any)), 0);
	CU_ASSERT_EQUAL(rtp_send(v4, 0, pl, sizeof(pl), 160), 0);
	CU_ASSERT_EQUAL(rtp_send(v6, 0, pl, sizeof(pl), 160), 0);
	step_until(&rany.n, 2);
	CU_ASSERT_EQUAL(rany.n, 2);
	/* and sends to either (a v4 peer as ::ffff:127.0.0.1) */
	CU_ASSERT_EQUAL(rtp_set_remote(any, "127.0.0.1", rtp_local_port(v4)), 0);
	CU_ASSERT_EQUAL(rtp_send(any, 0, pl, sizeof(pl), 160), 0);
	step_until(&r4.n, 1);
	CU_ASSERT_EQUAL(r4.n, 1);
	CU_ASSERT_EQUAL(rtp_set_remote(any, "::1", rtp_local_port(v6)), 0);
	CU_ASSERT_EQUAL(rtp_send(any, 0, pl, sizeof(pl), 160), 0);
	step_until(&r6.n, 1);
	CU_ASSERT_EQUAL(r6.n, 1);
	rtp_free(any);
	rtp_free(v4);
	rtp_free(v6);
}

/* ICMPv6 port unreachable (IPV6_RECVERR) counts as IPv4's does. */
static void test_rtp_icmp6_refused(void)
{
	struct rx r = { 0 };
	struct rtp_params p = { .local_ip = "::1", .recv_h = on_rtp, .refused_h = on_refused, .arg = &r };
	struct rtp_session *rs = NULL;
	struct sockaddr_storage ss;
	uint8_t pl[160] = { 0 };
	int closed = 0, fd;

	if (!have_v6())
		return;
	netaddr_parse("::1", &ss);
	fd = netaddr_udp_bind(&ss, 0, &closed);	/* a port nobody listens on once closed */
	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	CU_ASSERT_EQUAL_FATAL(rtp_alloc(&rs, root, &p), 0);
	CU_ASSERT_EQUAL(rtp_set_remote(rs, "::1", closed), 0);
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(rtp_send(rs, 0, pl, sizeof(pl), 160), 0);
		for (int k = 0; k < 5 && r.refused <= (unsigned)i; k++)
			su_root_step(root, 100);
	}
	CU_ASSERT(r.refused >= 1);
	rtp_free(rs);
}

static void test_udptl_on_v6(void)
{
	struct rx rb = { 0 };
	struct udptl_params pa = { .local_ip = "::1", .ec = UDPTL_EC_NONE };
	struct udptl_params pb = { .local_ip = "::", .ec = UDPTL_EC_NONE, .recv_h = on_ifp, .arg = &rb };
	struct udptl_params p4 = { .local_ip = "127.0.0.1", .ec = UDPTL_EC_NONE };
	struct udptl_session *a = NULL, *b = NULL, *c = NULL;
	uint8_t ifp[4] = { 1, 2, 3, 4 };

	if (!have_v6())
		return;
	CU_ASSERT_EQUAL_FATAL(udptl_alloc(&a, root, &pa), 0);
	CU_ASSERT_EQUAL_FATAL(udptl_alloc(&b, root, &pb), 0);
	CU_ASSERT_EQUAL_FATAL(udptl_alloc(&c, root, &p4), 0);
	CU_ASSERT_EQUAL(udptl_set_remote(c, "::1", udptl_local_port(b)), -EAFNOSUPPORT);
	CU_ASSERT_EQUAL(udptl_set_remote(c, "127.0.0.1", udptl_local_port(b)), 0);
	CU_ASSERT_EQUAL(udptl_set_remote(a, "::1", udptl_local_port(b)), 0);
	CU_ASSERT_EQUAL(udptl_send(a, ifp, sizeof(ifp), 1), 0);
	step_until(&rb.n, 1);
	CU_ASSERT_EQUAL(rb.n, 1);
	/* c's first packet repeats a's sequence number 0 (a duplicate); its second is new */
	CU_ASSERT_EQUAL(udptl_send(c, ifp, sizeof(ifp), 1), 0);
	CU_ASSERT_EQUAL(udptl_send(c, ifp, sizeof(ifp), 1), 0);
	step_until(&rb.n, 2);
	CU_ASSERT_EQUAL(rb.n, 2);
	udptl_free(a);
	udptl_free(b);
	udptl_free(c);
}

static const CU_TestInfo netaddr_tests[] = {
	{ "parse: IPv4, IPv6 bare and bracketed, wildcards; the bad refused", test_parse_forms },
	{ "families: v4-mapped for a dual-stack socket, v6 on v4 refused", test_families },
	{ "prefixes: IPv6 CIDR, odd lengths, families apart", test_prefixes },
	{ "sip_addr: host[:port] with brackets, listen URL", test_hostport },
	{ "sip_addr: a URI's host", test_uri_host },
	{ "Diversion and History-Info with an IPv6 host", test_redirect_headers_v6 },
	{ "sip_addr: our own host for a wildcard", test_own_host },
	CU_TEST_INFO_NULL,
};

static const CU_TestInfo sock_tests[] = {
	{ "RTP: two sessions on ::1", test_rtp_on_v6 },
	{ "RTP: rtp.address :: takes v4 and v6 peers", test_rtp_dual_stack },
	{ "RTP: ICMPv6 port unreachable counted", test_rtp_icmp6_refused },
	{ "UDPTL: ::1 and :: sessions, v6 peer on a v4 socket refused", test_udptl_on_v6 },
	CU_TEST_INFO_NULL,
};

int suite_netaddr_add(void)
{
	CU_pSuite s;

	if (unit_suite_add("netaddr", netaddr_tests))
		return -1;
	if (!(s = CU_add_suite("netaddr_sockets", sock_init, sock_cleanup)))
		return -1;
	for (const CU_TestInfo *t = sock_tests; t->pName; t++)
		if (!CU_add_test(s, t->pName, t->pTestFunc))
			return -1;
	return 0;
}
