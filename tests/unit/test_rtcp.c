/* sipgw - unit tests: RTCP (RFC 3550): receiver statistics on known
 * sequences (A.1 probation and wrap, A.3 loss, A.8 jitter), compound packets
 * built and parsed back, the A.2 checks, RTT from LSR/DLSR (6.4.1, the
 * worked example of Figure 2), the report interval (6.3.1, A.7).
 * SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "rtp/rtcp.h"
#include "unit.h"

/* Feed seqs to a fresh source; the first starts it (A.1). */
static void feed(struct rtcp_source *s, const uint16_t *seq, int n)
{
	rtcp_source_init(s, 0x1234, seq[0]);
	for (int i = 0; i < n; i++)
		rtcp_source_update(s, seq[i]);
}

/* Every 10th packet lost: 10 % lost, as the cumulative count and as the
 * fraction of each interval. The first packet only opens probation (A.1),
 * so counting starts at the second. */
static void test_loss_every_10th(void)
{
	struct rtcp_source s;
	struct rtcp_rb rb;
	uint16_t base = 1000;

	rtcp_source_init(&s, 0x1234, base);
	rtcp_source_update(&s, base);
	for (int i = 1; i <= 500; i++)
		if (i % 10 != 5)
			rtcp_source_update(&s, (uint16_t)(base + i));
	CU_ASSERT_EQUAL(rtcp_source_expected(&s), 500);
	CU_ASSERT_EQUAL(rtcp_source_lost(&s), 50);
	rtcp_source_report(&s, &rb);
	CU_ASSERT_EQUAL(rb.ssrc, 0x1234);
	CU_ASSERT_EQUAL(rb.lost, 50);
	CU_ASSERT_EQUAL(rb.fraction, 25);	/* 256 * 50 / 500 = 25.6 */
	CU_ASSERT_EQUAL(rb.ext_max_seq, base + 500u);
	for (int i = 501; i <= 1000; i++)
		if (i % 10 != 5)
			rtcp_source_update(&s, (uint16_t)(base + i));
	rtcp_source_report(&s, &rb);
	CU_ASSERT_EQUAL(rb.lost, 100);
	CU_ASSERT_EQUAL(rtcp_source_expected(&s), 1000);
	CU_ASSERT_EQUAL(rb.fraction, 25);	/* this interval only */
	/* an interval with nothing lost */
	for (int i = 1001; i <= 1100; i++)
		rtcp_source_update(&s, (uint16_t)(base + i));
	rtcp_source_report(&s, &rb);
	CU_ASSERT_EQUAL(rb.fraction, 0);
	CU_ASSERT_EQUAL(rb.lost, 100);
}

/* Reordered packets are not lost; duplicates make the loss negative (A.3). */
static void test_reorder_not_loss(void)
{
	uint16_t seq[200];
	struct rtcp_source s;
	struct rtcp_rb rb;
	int n = 0;

	seq[n++] = 10;
	seq[n++] = 11;
	for (int i = 12; i < 112; i += 2) {	/* pairs swapped: 13 12 15 14 ... */
		seq[n++] = (uint16_t)(i + 1);
		seq[n++] = (uint16_t)i;
	}
	seq[n++] = 120;			/* 112-119 late: ... */
	for (int i = 112; i < 120; i++)
		seq[n++] = (uint16_t)i;	/* ... within MAX_MISORDER, counted */
	feed(&s, seq, n);
	CU_ASSERT_EQUAL(rtcp_source_expected(&s), 110);	/* 11..120 */
	CU_ASSERT_EQUAL(rtcp_source_lost(&s), 0);
	CU_ASSERT_EQUAL(s.max_seq, 120);
	rtcp_source_report(&s, &rb);
	CU_ASSERT_EQUAL(rb.fraction, 0);
	/* the same packet twice */
	rtcp_source_update(&s, 120);
	rtcp_source_update(&s, 119);
	CU_ASSERT_EQUAL(rtcp_source_lost(&s), -2);
	rtcp_source_report(&s, &rb);
	CU_ASSERT_EQUAL(rb.lost, -2);
	CU_ASSERT_EQUAL(rb.fraction, 0);	/* negative interval loss is 0 */
}

/* Through 65535 -> 0 twice: no loss, the extended seq counts the cycles;
 * also while still in probation. */
static void test_seq_wrap_not_loss(void)
{
	struct rtcp_source s;
	uint16_t seq = 65500;

	rtcp_source_init(&s, 1, 65535);
	CU_ASSERT_EQUAL(rtcp_source_update(&s, 65535), 0);	/* probation */
	CU_ASSERT_EQUAL(rtcp_source_update(&s, 0), 1);		/* in sequence across the wrap */
	CU_ASSERT_EQUAL(rtcp_source_expected(&s), 1);

	rtcp_source_init(&s, 1, seq);
	for (int i = 0; i < 2 * 65536 + 30; i++, seq++)	/* wraps after 36 and 65572 */
		rtcp_source_update(&s, seq);
	CU_ASSERT_EQUAL(rtcp_source_lost(&s), 0);
	CU_ASSERT_EQUAL(rtcp_source_expected(&s), 2 * 65536 + 29);
	CU_ASSERT_EQUAL(s.cycles, 2 * 65536);
	CU_ASSERT_EQUAL(rtcp_source_ext_max(&s), 2 * 65536u + (uint16_t)(seq - 1));
}

/* A.1: a stray far jump is not counted; a jump confirmed by the next packet
 * is a restart, counted from there; probation restarts on a gap. */
static void test_jump_and_probation(void)
{
	struct rtcp_source s;

	rtcp_source_init(&s, 1, 100);
	rtcp_source_update(&s, 100);
	CU_ASSERT_EQUAL(rtcp_source_update(&s, 102), 0);	/* gap in probation: again */
	CU_ASSERT_EQUAL(s.valid, 0);
	CU_ASSERT_EQUAL(rtcp_source_update(&s, 103), 1);
	CU_ASSERT_EQUAL(s.valid, 1);
	for (uint16_t q = 104; q < 110; q++)
		CU_ASSERT_EQUAL(rtcp_source_update(&s, q), 1);
	CU_ASSERT_EQUAL(rtcp_source_update(&s, 30000), 0);	/* stray */
	CU_ASSERT_EQUAL(rtcp_source_update(&s, 110), 1);
	CU_ASSERT_EQUAL(rtcp_source_expected(&s), 8);		/* 103..110 */
	CU_ASSERT_EQUAL(rtcp_source_lost(&s), 0);
	CU_ASSERT_EQUAL(rtcp_source_update(&s, 40000), 0);	/* jump ... */
	CU_ASSERT_EQUAL(rtcp_source_update(&s, 40001), 1);	/* ... confirmed */
	CU_ASSERT_EQUAL(rtcp_source_update(&s, 40002), 1);
	CU_ASSERT_EQUAL(rtcp_source_expected(&s), 2);		/* 40001..40002 */
	CU_ASSERT_EQUAL(rtcp_source_lost(&s), 0);
}

/* A.8: a constant delay is 0 jitter, whatever the delay; a delay that
 * alternates between d and d + 80 samples (10 ms) gives J_i = J_{i-1} +
 * (80 - J_{i-1}) / 16, which tends to 80. */
static void test_jitter(void)
{
	struct rtcp_source s;
	double j = 0;

	rtcp_source_init(&s, 1, 0);
	for (uint32_t i = 0; i < 500; i++)
		rtcp_source_jitter(&s, 0xfffff000u + i * 160, 12345 + i * 160);	/* ts wraps */
	CU_ASSERT_EQUAL(s.jitter >> 4, 0);

	rtcp_source_init(&s, 1, 0);
	for (uint32_t i = 0; i < 300; i++) {
		rtcp_source_jitter(&s, i * 160, 777 + i * 160 + (i & 1) * 80);
		if (i)
			j += (80 - j) / 16;
		if (i == 10 || i == 40)
			CU_ASSERT(fabs((s.jitter >> 4) - j) <= 1.0);
	}
	CU_ASSERT_EQUAL(s.jitter >> 4, 79);	/* the fixed point settles just short of 80 */
	CU_ASSERT(fabs(j - 80) < 0.01);
}

static const struct rtcp_rb rb2[2] = {
	{ .ssrc = 0xaabbccdd, .fraction = 25, .lost = 100, .ext_max_seq = 0x1000a, .jitter = 80,
	  .lsr = 0xb7052000, .dlsr = 0x00054000 },
	{ .ssrc = 7, .fraction = 0, .lost = -5, .ext_max_seq = 9, .jitter = 0 },
};

static void test_build_parse_sr(void)
{
	struct rtcp_build_params bp = {
		.ssrc = 0x11223344, .sr = 1, .rb = rb2, .n_rb = 2, .cname = "sipgw@127.0.0.1", .bye = 1,
		.si = { .ntp = 0xb7108000deadbeefull, .rtp_ts = 123456, .packets = 250, .octets = 40000 },
	};
	uint8_t buf[RTCP_MAX_PKT];
	struct rtcp_info ri;
	int n = rtcp_build(buf, sizeof(buf), &bp);

	/* SR 8+20+48, SDES 4 + (4+2+15+1 -> 24), BYE 8 */
	CU_ASSERT_EQUAL_FATAL(n, 76 + 28 + 8);
	CU_ASSERT_EQUAL(n % 4, 0);
	CU_ASSERT_EQUAL(buf[0], 0x82);
	CU_ASSERT_EQUAL(buf[1], 200);
	CU_ASSERT_EQUAL_FATAL(rtcp_parse(buf, (size_t)n, &ri), 0);
	CU_ASSERT_EQUAL(ri.n_pkts, 3);
	CU_ASSERT_EQUAL(ri.ssrc, 0x11223344);
	CU_ASSERT_EQUAL(ri.has_sr, 1);
	CU_ASSERT_EQUAL(ri.si.ntp, 0xb7108000deadbeefull);
	CU_ASSERT_EQUAL(ri.si.rtp_ts, 123456);
	CU_ASSERT_EQUAL(ri.si.packets, 250);
	CU_ASSERT_EQUAL(ri.si.octets, 40000);
	CU_ASSERT_EQUAL_FATAL(ri.n_rb, 2);
	CU_ASSERT_EQUAL(memcmp(&ri.rb[0], &rb2[0], sizeof(rb2[0])), 0);
	CU_ASSERT_EQUAL(ri.rb[1].lost, -5);	/* the 24-bit sign survives */
	CU_ASSERT_EQUAL(ri.rb[1].ssrc, 7);
	CU_ASSERT_STRING_EQUAL(ri.cname, "sipgw@127.0.0.1");
	CU_ASSERT_EQUAL(ri.bye, 1);
	/* one octet short of room */
	CU_ASSERT_EQUAL(rtcp_build(buf, (size_t)n - 1, &bp), -ENOSPC);
	bp.cname = NULL;
	CU_ASSERT_EQUAL(rtcp_build(buf, sizeof(buf), &bp), -EINVAL);
}

static void test_build_parse_rr(void)
{
	struct rtcp_build_params bp = { .ssrc = 5, .cname = "abcd" };
	uint8_t buf[RTCP_MAX_PKT];
	struct rtcp_info ri;
	int n = rtcp_build(buf, sizeof(buf), &bp);

	/* an RR with no block (nothing received yet), SDES with a CNAME whose
	 * chunk needs a whole word of zeros: 4+2+4 = 10 -> 12 */
	CU_ASSERT_EQUAL_FATAL(n, 8 + 4 + 12);
	CU_ASSERT_EQUAL_FATAL(rtcp_parse(buf, (size_t)n, &ri), 0);
	CU_ASSERT_EQUAL(ri.has_sr, 0);
	CU_ASSERT_EQUAL(ri.n_rb, 0);
	CU_ASSERT_EQUAL(ri.ssrc, 5);
	CU_ASSERT_STRING_EQUAL(ri.cname, "abcd");
	CU_ASSERT_EQUAL(ri.bye, 0);
	bp.rb = rb2;
	bp.n_rb = 1;
	n = rtcp_build(buf, sizeof(buf), &bp);
	CU_ASSERT_EQUAL_FATAL(rtcp_parse(buf, (size_t)n, &ri), 0);
	CU_ASSERT_EQUAL(ri.n_rb, 1);
	CU_ASSERT_EQUAL(ri.rb[0].fraction, 25);
}

/* A.2 and lengths: what a receiver must refuse. */
static void test_parse_refused(void)
{
	struct rtcp_build_params bp = { .ssrc = 5, .cname = "abcd", .bye = 1 };
	uint8_t buf[RTCP_MAX_PKT], b2[RTCP_MAX_PKT];
	struct rtcp_info ri;
	int n = rtcp_build(buf, sizeof(buf), &bp);

	CU_ASSERT_FATAL(n > 0);
	CU_ASSERT_EQUAL(rtcp_parse(buf, 0, &ri), -EBADMSG);
	/* every truncation but at a packet's end (RR alone, RR + SDES: whole
	 * compounds) */
	for (int cut = 1; cut < n; cut++)
		CU_ASSERT_EQUAL(rtcp_parse(buf, (size_t)cut, &ri), cut == 8 || cut == 24 ? 0 : -EBADMSG);
	memcpy(b2, buf, (size_t)n);
	b2[0] = 0x40;				/* version 1 */
	CU_ASSERT_EQUAL(rtcp_parse(b2, (size_t)n, &ri), -EBADMSG);
	memcpy(b2, buf, (size_t)n);
	b2[8] ^= 0x40;				/* the SDES not version 2 */
	CU_ASSERT_EQUAL(rtcp_parse(b2, (size_t)n, &ri), -EBADMSG);
	/* SDES first: not a compound packet */
	CU_ASSERT_EQUAL(rtcp_parse(buf + 8, (size_t)n - 8, &ri), -EBADMSG);
	memcpy(b2, buf, (size_t)n);
	b2[0] |= 0x20;				/* padding on the first */
	CU_ASSERT_EQUAL(rtcp_parse(b2, (size_t)n, &ri), -EBADMSG);
	memcpy(b2, buf, (size_t)n);
	b2[0] |= 0x01;				/* an RR claiming a block it lacks */
	CU_ASSERT_EQUAL(rtcp_parse(b2, (size_t)n, &ri), -EBADMSG);
	memcpy(b2, buf, (size_t)n);
	b2[17] = 40;				/* CNAME longer than its packet */
	CU_ASSERT_EQUAL(rtcp_parse(b2, (size_t)n, &ri), -EBADMSG);
	memcpy(b2, buf, (size_t)n);
	b2[n - 8] = 0x82;			/* BYE with two SSRCs in one word */
	CU_ASSERT_EQUAL(rtcp_parse(b2, (size_t)n, &ri), -EBADMSG);
	/* padding on the last, right: 4 octets more, the count in the last */
	memcpy(b2, buf, (size_t)n);
	b2[n - 8] |= 0x20;
	b2[n - 8 + 3] = 2;			/* BYE length 2 words + 1 */
	memset(b2 + n, 0, 4);
	b2[n + 3] = 4;
	CU_ASSERT_EQUAL(rtcp_parse(b2, (size_t)n + 4, &ri), 0);
	CU_ASSERT_EQUAL(ri.bye, 1);
	b2[n + 3] = 9;				/* padding into the header */
	CU_ASSERT_EQUAL(rtcp_parse(b2, (size_t)n + 4, &ri), -EBADMSG);
	/* unknown types (APP, XR) skipped, still parsed */
	memcpy(b2, buf, (size_t)n);
	memcpy(b2 + n, (const uint8_t[]){ 0x80, 207, 0, 1, 0, 0, 0, 5 }, 8);
	CU_ASSERT_EQUAL(rtcp_parse(b2, (size_t)n + 8, &ri), 0);
	CU_ASSERT_EQUAL(ri.n_pkts, 4);
}

/* RFC 3550 6.4.1 Figure 2: A = 0xb710:8000, LSR = 0xb705:2000, DLSR =
 * 0x0005:4000: 6.125 s. */
static void test_rtt(void)
{
	CU_ASSERT_EQUAL(rtcp_rtt_ms(0xb7108000u, 0xb7052000u, 0x00054000u), 6125);
	CU_ASSERT_EQUAL(rtcp_rtt_ms(0xb7108000u, 0, 0), -1);		/* no SR yet */
	CU_ASSERT_EQUAL(rtcp_rtt_ms(0xb7050000u, 0xb7052000u, 0), -1);	/* negative */
	CU_ASSERT_EQUAL(rtcp_rtt_ms(0x00000100u, 0xffffff00u, 0), 8);	/* NTP wrap: 512/65536 s */
	CU_ASSERT_EQUAL(rtcp_us_to_q16(5250000), 0x00054000u);
	CU_ASSERT_EQUAL(rtcp_us_to_q16(-3), 0);
	CU_ASSERT_EQUAL(rtcp_ntp_mid(0xb7108000deadbeefull), 0x8000dead);
}

/* 6.3.1: two parties: the 5 s minimum (2.5 s first) times [0.5, 1.5] over
 * e - 3/2; many members on little bandwidth: longer. */
static void test_interval(void)
{
	const double comp = 2.71828 - 1.5;

	CU_ASSERT_EQUAL(rtcp_interval_ms(5000, 2, 2, 1, 8000, 100, 0, 0.5), (unsigned)(5000 / comp + 0.5));
	CU_ASSERT_EQUAL(rtcp_interval_ms(5000, 2, 2, 1, 8000, 100, 1, 0.0), (unsigned)(1250 / comp + 0.5));
	CU_ASSERT_EQUAL(rtcp_interval_ms(5000, 2, 2, 1, 8000, 100, 0, 0.999), (unsigned)(7495 / comp + 0.5));
	/* 100 receivers and one sender on 8000 octets/s: a receiver's share
	 * is 300 octets/s for 99 of them: 100 * 99 / 300 = 33 s */
	CU_ASSERT_EQUAL(rtcp_interval_ms(5000, 100, 1, 0, 8000, 100, 0, 0.5), (unsigned)(33000 / comp + 0.5));
	/* the sender: 100 octets/s for one: 1 s -> the 5 s minimum */
	CU_ASSERT_EQUAL(rtcp_interval_ms(5000, 100, 1, 1, 8000, 100, 0, 0.5), (unsigned)(5000 / comp + 0.5));
}

static const CU_TestInfo rtcp_tests[] = {
	{ "stats: every 10th lost is 10 %", test_loss_every_10th },
	{ "stats: reordering is not loss, duplicates negative", test_reorder_not_loss },
	{ "stats: a seq wrap is not loss", test_seq_wrap_not_loss },
	{ "stats: jumps, restart, probation (A.1)", test_jump_and_probation },
	{ "stats: jitter constant 0, pattern per A.8", test_jitter },
	{ "packet: SR + SDES + BYE round trip", test_build_parse_sr },
	{ "packet: RR round trip", test_build_parse_rr },
	{ "packet: A.2 checks refuse", test_parse_refused },
	{ "RTT from LSR/DLSR (Figure 2)", test_rtt },
	{ "report interval (6.3.1)", test_interval },
	CU_TEST_INFO_NULL,
};

int suite_rtcp_add(void)
{
	return unit_suite_add("rtcp", rtcp_tests);
}
