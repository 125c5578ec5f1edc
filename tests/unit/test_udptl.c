/* sipgw - unit tests: UDPTL (T.38 9.1). Packets on bytes made here (as
 * Annex A's PER gives them), the receiver putting IFPs in order and
 * rebuilding a lost one from the next packet's redundancy, garbage refused;
 * then two sessions on 127.0.0.1 port 0 with the loop stepped, no sleeping.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sofia-sip/su_wait.h>

#include "rtp/udptl.h"
#include "unit.h"

#define LOG_MAX 32

struct ifp_log {
	int n;
	uint16_t seq[LOG_MAX];
	int recovered[LOG_MAX];
	uint8_t data[LOG_MAX][64];
	size_t len[LOG_MAX];
};

static void on_ifp(void *arg, const uint8_t *ifp, size_t len, uint16_t seq, int recovered)
{
	struct ifp_log *l = arg;

	if (l->n == LOG_MAX)
		return;
	l->seq[l->n] = seq;
	l->recovered[l->n] = recovered;
	l->len[l->n] = len < 64 ? len : 64;
	memcpy(l->data[l->n], ifp, l->len[l->n]);
	l->n++;
}

/* IFP number k of a test: a T.38 data packet (type octet 0xc0 | ...) with k in it. */
static size_t ifp_make(uint8_t *p, int k)
{
	size_t len = 3 + (size_t)(k % 5);

	p[0] = 0xc0;
	for (size_t i = 1; i < len; i++)
		p[i] = (uint8_t)(k * 7 + i);
	return len;
}

static void test_decode_known_bytes(void)
{
	/* seq 0x0102, primary 3 octets, redundancy with two secondaries */
	static const uint8_t b[] = { 0x01, 0x02, 0x03, 0xaa, 0xbb, 0xcc, 0x00, 0x02,
				     0x01, 0x11, 0x02, 0x21, 0x22 };
	/* FEC: span 3, one entry of 2 octets */
	static const uint8_t f[] = { 0x00, 0x07, 0x01, 0x55, 0x80, 0x01, 0x03, 0x01, 0x02, 0x9a, 0x9b };
	struct udptl_packet p;

	CU_ASSERT_EQUAL_FATAL(udptl_decode(b, sizeof(b), &p), 0);
	CU_ASSERT_EQUAL(p.seq, 0x0102);
	CU_ASSERT_EQUAL(p.primary.len, 3);
	CU_ASSERT_EQUAL(p.primary.p[0], 0xaa);
	CU_ASSERT_EQUAL(p.ec, UDPTL_EC_REDUNDANCY);
	CU_ASSERT_EQUAL_FATAL(p.n, 2);
	CU_ASSERT_EQUAL(p.sec[0].len, 1);
	CU_ASSERT_EQUAL(p.sec[0].p[0], 0x11);
	CU_ASSERT_EQUAL(p.sec[1].len, 2);
	CU_ASSERT_EQUAL(p.sec[1].p[1], 0x22);

	CU_ASSERT_EQUAL_FATAL(udptl_decode(f, sizeof(f), &p), 0);
	CU_ASSERT_EQUAL(p.seq, 7);
	CU_ASSERT_EQUAL(p.ec, UDPTL_EC_FEC);
	CU_ASSERT_EQUAL(p.fec_span, 3);
	CU_ASSERT_EQUAL(p.n, 1);
	CU_ASSERT_EQUAL(p.sec[0].len, 2);
}

static void test_encode_round_trip(void)
{
	uint8_t big[300], out[UDPTL_MAX_DATAGRAM];
	struct udptl_packet in = { .seq = 65535, .primary = { big, sizeof(big) }, .ec = UDPTL_EC_REDUNDANCY,
				   .n = 1, .sec = { { (const uint8_t *)"\x01\x02", 2 } } }, back;
	int n;

	memset(big, 0x5a, sizeof(big));
	n = udptl_encode(out, sizeof(out), &in);
	/* 2 seq + 2 length (300 >= 128: two octets) + 300 + choice + count + 1 + 2 */
	CU_ASSERT_EQUAL_FATAL(n, 2 + 2 + 300 + 1 + 1 + 1 + 2);
	CU_ASSERT_EQUAL(out[2], 0x81);
	CU_ASSERT_EQUAL(out[3], 0x2c);
	CU_ASSERT_EQUAL_FATAL(udptl_decode(out, (size_t)n, &back), 0);
	CU_ASSERT_EQUAL(back.seq, 65535);
	CU_ASSERT_EQUAL(back.primary.len, 300);
	CU_ASSERT_EQUAL(memcmp(back.primary.p, big, 300), 0);
	CU_ASSERT_EQUAL(back.n, 1);
	CU_ASSERT_EQUAL(back.sec[0].p[1], 0x02);
	/* too small a buffer: refused, never cut */
	CU_ASSERT_EQUAL(udptl_encode(out, 100, &in), -EMSGSIZE);
	/* no error recovery: an empty secondary list */
	in.ec = UDPTL_EC_NONE;
	in.primary.len = 4;
	n = udptl_encode(out, sizeof(out), &in);
	CU_ASSERT_EQUAL_FATAL(n, 2 + 1 + 4 + 1 + 1);
	CU_ASSERT_EQUAL(udptl_decode(out, (size_t)n, &back), 0);
	CU_ASSERT_EQUAL(back.n, 0);
}

static void test_garbage_refused(void)
{
	static const struct { const char *why; uint8_t b[12]; size_t n; } bad[] = {
		{ "too short", { 0x00, 0x01, 0x01 }, 3 },
		{ "primary past the end", { 0x00, 0x01, 0x05, 0xaa, 0xbb, 0x00, 0x00 }, 7 },
		{ "empty primary", { 0x00, 0x01, 0x00, 0x00, 0x00 }, 5 },
		{ "no error-recovery", { 0x00, 0x01, 0x01, 0xaa }, 4 },
		{ "fragmented length", { 0x00, 0x01, 0xc1, 0xaa, 0x00, 0x00 }, 6 },
		{ "secondary past the end", { 0x00, 0x01, 0x01, 0xaa, 0x00, 0x01, 0x04, 0x01 }, 8 },
		{ "too many secondaries", { 0x00, 0x01, 0x01, 0xaa, 0x00, 0x11 }, 6 },
		{ "octets left over", { 0x00, 0x01, 0x01, 0xaa, 0x00, 0x00, 0xff }, 7 },
		{ "fec span of two octets", { 0x00, 0x01, 0x01, 0xaa, 0x80, 0x02, 0x00, 0x03, 0x00 }, 9 },
		{ "fec cut off", { 0x00, 0x01, 0x01, 0xaa, 0x80, 0x01 }, 6 },
	};
	struct udptl_stats st = { 0 };
	struct ifp_log log = { 0 };
	struct udptl_rx rx = { .st = &st, .recv_h = on_ifp, .arg = &log };
	struct udptl_packet p;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = udptl_decode(bad[i].b, bad[i].n, &p);

		if (rc != -EBADMSG)
			fprintf(stderr, "\n  accepted: %s\n", bad[i].why);
		CU_ASSERT_EQUAL(rc, -EBADMSG);
		CU_ASSERT_EQUAL(udptl_rx_feed(&rx, bad[i].b, bad[i].n), -EBADMSG);
	}
	CU_ASSERT_EQUAL(st.rx_dropped, sizeof(bad) / sizeof(bad[0]));
	CU_ASSERT_EQUAL(st.rx_packets, 0);
	CU_ASSERT_EQUAL(log.n, 0);
	CU_ASSERT_EQUAL(rx.started, 0);	/* garbage does not set the sequence */
}

/* Packets 0..n-1 of IFPs ifp_make(k), redundancy depth, into pk[] */
static void build_stream(int depth, int n, uint8_t pk[][UDPTL_MAX_DATAGRAM], size_t *plen, uint16_t seq0)
{
	static struct udptl_tx tx;
	uint8_t ifp[16];

	memset(&tx, 0, sizeof(tx));
	tx.seq = seq0;
	tx.ec = depth ? UDPTL_EC_REDUNDANCY : UDPTL_EC_NONE;
	tx.depth = depth;
	for (int k = 0; k < n; k++) {
		int len = udptl_tx_build(&tx, ifp, ifp_make(ifp, k), pk[k], UDPTL_MAX_DATAGRAM);

		CU_ASSERT_FATAL(len > 0);
		plen[k] = (size_t)len;
	}
}

static void check_ifp(const struct ifp_log *l, int i, int k, uint16_t seq)
{
	uint8_t want[16];
	size_t len = ifp_make(want, k);

	CU_ASSERT_EQUAL(l->seq[i], seq);
	CU_ASSERT_EQUAL_FATAL(l->len[i], len);
	CU_ASSERT_EQUAL(memcmp(l->data[i], want, len), 0);
}

static void test_loss_recovered(void)
{
	static uint8_t pk[8][UDPTL_MAX_DATAGRAM];
	size_t plen[8];
	struct udptl_stats st = { 0 };
	struct ifp_log log = { 0 };
	struct udptl_rx rx = { .st = &st, .recv_h = on_ifp, .arg = &log };

	/* sequence numbers across the wrap: 65533 .. 4 */
	build_stream(2, 8, pk, plen, 65533);
	for (int k = 0; k < 8; k++)
		if (k != 3)	/* packet 3 (seq 0) lost on the way */
			CU_ASSERT_EQUAL(udptl_rx_feed(&rx, pk[k], plen[k]), 0);
	CU_ASSERT_EQUAL_FATAL(log.n, 8);
	for (int k = 0; k < 8; k++) {
		check_ifp(&log, k, k, (uint16_t)(65533 + k));
		CU_ASSERT_EQUAL(log.recovered[k], k == 3);
	}
	CU_ASSERT_EQUAL(st.rx_recovered, 1);
	CU_ASSERT_EQUAL(st.rx_lost, 0);
	CU_ASSERT_EQUAL(st.rx_packets, 7);
	/* a packet again, and an old one: nothing delivered twice */
	CU_ASSERT_EQUAL(udptl_rx_feed(&rx, pk[7], plen[7]), 0);
	CU_ASSERT_EQUAL(udptl_rx_feed(&rx, pk[3], plen[3]), 0);
	CU_ASSERT_EQUAL(log.n, 8);
	CU_ASSERT_EQUAL(st.rx_late, 2);
}

static void test_far_jump(void)
{
	static uint8_t pk[4][UDPTL_MAX_DATAGRAM], far[2][UDPTL_MAX_DATAGRAM];
	size_t plen[4], flen[2];
	struct udptl_stats st = { 0 };
	struct ifp_log log = { 0 };
	struct udptl_rx rx = { .st = &st, .recv_h = on_ifp, .arg = &log };

	build_stream(1, 4, pk, plen, 10);
	build_stream(1, 2, far, flen, 20000);
	udptl_rx_feed(&rx, pk[0], plen[0]);
	/* one stray datagram far ahead: held back, the stream goes on */
	udptl_rx_feed(&rx, far[0], flen[0]);
	udptl_rx_feed(&rx, pk[1], plen[1]);
	CU_ASSERT_EQUAL_FATAL(log.n, 2);
	check_ifp(&log, 1, 1, 11);
	CU_ASSERT_EQUAL(st.rx_jumped, 1);
	CU_ASSERT_EQUAL(st.rx_lost, 0);
	/* the sender really restarted there: two in a row are taken */
	udptl_rx_feed(&rx, far[0], flen[0]);
	udptl_rx_feed(&rx, far[1], flen[1]);
	CU_ASSERT_EQUAL_FATAL(log.n, 3);
	check_ifp(&log, 2, 1, 20001);
	CU_ASSERT_EQUAL(st.rx_lost, 0);
}

static void test_loss_past_depth(void)
{
	static uint8_t pk[8][UDPTL_MAX_DATAGRAM];
	size_t plen[8];
	struct udptl_stats st = { 0 };
	struct ifp_log log = { 0 };
	struct udptl_rx rx = { .st = &st, .recv_h = on_ifp, .arg = &log };

	/* depth 2, three in a row lost: the oldest of them is gone */
	build_stream(2, 8, pk, plen, 100);
	for (int k = 0; k < 8; k++)
		if (k < 2 || k > 4)
			udptl_rx_feed(&rx, pk[k], plen[k]);
	CU_ASSERT_EQUAL_FATAL(log.n, 7);
	check_ifp(&log, 1, 1, 101);
	check_ifp(&log, 2, 3, 103);
	CU_ASSERT_EQUAL(log.recovered[2], 1);
	check_ifp(&log, 3, 4, 104);
	check_ifp(&log, 4, 5, 105);
	CU_ASSERT_EQUAL(log.recovered[4], 0);
	CU_ASSERT_EQUAL(st.rx_lost, 1);
	CU_ASSERT_EQUAL(st.rx_recovered, 2);

	/* no redundancy: a loss is a loss */
	memset(&log, 0, sizeof(log));
	memset(&st, 0, sizeof(st));
	rx = (struct udptl_rx){ .st = &st, .recv_h = on_ifp, .arg = &log };
	build_stream(0, 4, pk, plen, 0);
	udptl_rx_feed(&rx, pk[0], plen[0]);
	udptl_rx_feed(&rx, pk[2], plen[2]);
	CU_ASSERT_EQUAL(log.n, 2);
	CU_ASSERT_EQUAL(st.rx_lost, 1);
}

static void test_max_datagram(void)
{
	struct udptl_tx tx = { .ec = UDPTL_EC_REDUNDANCY, .depth = 3, .max_datagram = 30 };
	uint8_t ifp[10], out[UDPTL_MAX_DATAGRAM];
	struct udptl_packet p;
	int n = 0;

	memset(ifp, 0xc0, sizeof(ifp));
	/* an IFP of 10 costs 11 octets: 15 with no secondary, 26 with one, 37 with two */
	for (int k = 0; k < 5; k++)
		n = udptl_tx_build(&tx, ifp, sizeof(ifp), out, sizeof(out));
	CU_ASSERT_FATAL(n > 0 && n <= 30);
	CU_ASSERT_EQUAL_FATAL(udptl_decode(out, (size_t)n, &p), 0);
	CU_ASSERT_EQUAL(p.n, 1);
	CU_ASSERT_EQUAL(p.seq, 4);
	/* the primary alone too big: refused */
	tx.max_datagram = 8;
	CU_ASSERT_EQUAL(udptl_tx_build(&tx, ifp, sizeof(ifp), out, sizeof(out)), -EMSGSIZE);
}

/* ---- two sessions on the loop */

static su_root_t *root;

static int udptl_suite_init(void)
{
	su_init();
	root = su_root_create(NULL);
	return root ? 0 : -1;
}

static int udptl_suite_cleanup(void)
{
	su_root_destroy(root);
	su_deinit();
	return 0;
}

static void test_session_send_receive(void)
{
	struct ifp_log log = { 0 };
	struct udptl_params pa = { .local_ip = "127.0.0.1", .ec = UDPTL_EC_REDUNDANCY, .redundancy = 3 };
	struct udptl_params pb = { .local_ip = "127.0.0.1", .ec = UDPTL_EC_NONE, .recv_h = on_ifp,
				   .arg = &log };
	struct udptl_session *a = NULL, *b = NULL;
	struct udptl_stats st;
	uint8_t ifp[16];

	CU_ASSERT_EQUAL_FATAL(udptl_alloc(&a, root, &pa), 0);
	CU_ASSERT_EQUAL_FATAL(udptl_alloc(&b, root, &pb), 0);
	CU_ASSERT(udptl_local_port(b) > 0);
	/* not sending before a remote is known */
	CU_ASSERT_EQUAL(udptl_send(a, ifp, ifp_make(ifp, 0), 1), 0);
	CU_ASSERT_EQUAL(udptl_set_remote(a, "127.0.0.1", udptl_local_port(b)), 0);
	for (int k = 0; k < 4; k++)
		CU_ASSERT_EQUAL(udptl_send(a, ifp, ifp_make(ifp, k), 3), 0);
	for (int i = 0; i < 20 && log.n < 4; i++)
		su_root_step(root, 100);
	CU_ASSERT_EQUAL_FATAL(log.n, 4);
	for (int k = 0; k < 4; k++)
		check_ifp(&log, k, k, (uint16_t)k);
	udptl_get_stats(a, &st);
	CU_ASSERT_EQUAL(st.tx_packets, 4);
	udptl_get_stats(b, &st);
	CU_ASSERT_EQUAL(st.rx_packets, 4);
	CU_ASSERT_EQUAL(st.rx_late, 0);
	CU_ASSERT_EQUAL(udptl_set_remote(a, "not an address", 5), -EINVAL);
	udptl_free(a);
	udptl_free(b);

	/* the RTP range: a port inside it */
	pb.port_min = 40100, pb.port_max = 40199;
	CU_ASSERT_EQUAL_FATAL(udptl_alloc(&b, root, &pb), 0);
	CU_ASSERT(udptl_local_port(b) >= 40100 && udptl_local_port(b) <= 40199);
	udptl_free(b);
	/* a redundancy depth out of range */
	pa.redundancy = UDPTL_MAX_REDUNDANCY + 1;
	CU_ASSERT_EQUAL(udptl_alloc(&a, root, &pa), -EINVAL);
}

static const CU_TestInfo udptl_tests[] = {
	{ "decode: redundancy and FEC on known bytes", test_decode_known_bytes },
	{ "encode: round trip, two-octet lengths, no room", test_encode_round_trip },
	{ "garbage refused and counted", test_garbage_refused },
	{ "one packet lost: rebuilt from redundancy, across the wrap", test_loss_recovered },
	{ "losses past the redundancy depth counted", test_loss_past_depth },
	{ "a far jump waits for its successor (RFC 3550 A.1)", test_far_jump },
	{ "T38FaxMaxDatagram: redundancy cut to fit", test_max_datagram },
	CU_TEST_INFO_NULL,
};

int suite_udptl_add(void)
{
	CU_pSuite s;

	if (unit_suite_add("udptl", udptl_tests))
		return -1;
	if (!(s = CU_add_suite("udptl_session", udptl_suite_init, udptl_suite_cleanup)))
		return -1;
	if (!CU_add_test(s, "two sessions on 127.0.0.1", test_session_send_receive))
		return -1;
	return 0;
}
