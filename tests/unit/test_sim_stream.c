/* sipgw - unit tests: the load rig's frame timing (src/sim/sim_stream.c): a
 * stream on time, one with a late frame, loss by time (B-channel) and by
 * RTP sequence number across a wrap, reordering and duplicates; the
 * sender's clock judged against its own schedule.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <string.h>

#include "sim/sim_stream.h"
#include "unit.h"

#define F SIM_FRAME_US

static void test_on_time(void)
{
	struct sim_stream s = { 0 };

	/* 100 frames, each 20 ms +- 2 ms: none late, none lost */
	for (int i = 0; i < 100; i++)
		sim_stream_frame(&s, 1000000LL + i * F + (i % 2 ? 2000 : -2000));
	CU_ASSERT_EQUAL(s.frames, 100);
	CU_ASSERT_EQUAL(s.late, 0);
	CU_ASSERT_EQUAL(s.max_gap_us, F + 4000);
	CU_ASSERT_EQUAL(sim_stream_lost(&s), 0);
}

static void test_late_not_lost(void)
{
	struct sim_stream s = { 0 };
	long long t = 0;

	/* a 60 ms stall, then the two held-up frames in a burst: late once, nothing lost */
	for (int i = 0; i < 10; i++)
		sim_stream_frame(&s, t += F);
	sim_stream_frame(&s, t += 3 * F);
	sim_stream_frame(&s, t += 100);
	sim_stream_frame(&s, t += 100);
	for (int i = 0; i < 10; i++)
		sim_stream_frame(&s, t += F);
	CU_ASSERT_EQUAL(s.late, 1);
	CU_ASSERT_EQUAL(s.max_gap_us, 3 * F);
	CU_ASSERT_EQUAL(sim_stream_lost(&s), 0);
}

static void test_lost_by_time(void)
{
	struct sim_stream s = { 0 };

	/* frames 0-49 and 55-99 of a B-channel: 5 missing, one late gap */
	for (int i = 0; i < 100; i++)
		if (i < 50 || i >= 55)
			sim_stream_frame(&s, i * (long long)F + 5);
	CU_ASSERT_EQUAL(s.frames, 95);
	CU_ASSERT_EQUAL(s.late, 1);
	CU_ASSERT_EQUAL(sim_stream_lost(&s), 5);
	/* nothing received, nothing lost (the stream never started) */
	memset(&s, 0, sizeof(s));
	CU_ASSERT_EQUAL(sim_stream_lost(&s), 0);
}

static void test_rtp_wrap_loss_reorder(void)
{
	struct sim_stream s = { 0 };
	long long t = 0;
	uint16_t seq = 65530;

	/* 20 packets across the 16-bit wrap, #5 lost, #8 and #9 swapped, #12 twice */
	for (int i = 0; i < 20; i++) {
		uint16_t q = (uint16_t)(seq + i);

		t += F;
		if (i == 5)
			continue;
		if (i == 8)
			q = (uint16_t)(seq + 9);
		else if (i == 9)
			q = (uint16_t)(seq + 8);
		sim_stream_rtp(&s, t, q);
		if (i == 12)
			sim_stream_rtp(&s, t + 10, q);
	}
	CU_ASSERT_EQUAL(s.frames, 19);
	CU_ASSERT_EQUAL(s.dups, 1);
	CU_ASSERT_EQUAL(s.reordered, 1);
	CU_ASSERT_EQUAL(s.max_seq - s.base_seq, 19);	/* extended across the wrap */
	CU_ASSERT_EQUAL(sim_stream_lost(&s), 1);
	CU_ASSERT_EQUAL(s.late, 1);	/* the 40 ms hole where #5 was */
}

static void test_clock(void)
{
	struct sim_clock c;
	long long t0 = 5000000;

	sim_clock_start(&c, t0);
	CU_ASSERT_EQUAL(sim_clock_due(&c, t0 - 1), 0);		/* not yet */
	CU_ASSERT_EQUAL(sim_clock_due(&c, t0 + 300), 1);	/* tick 0, 0.3 ms late */
	CU_ASSERT_EQUAL(sim_clock_due(&c, t0 + 300), 0);	/* tick 1 not due */
	CU_ASSERT_EQUAL(sim_clock_due(&c, t0 + F + 7000), 1);	/* tick 1, 7 ms late */
	CU_ASSERT_EQUAL(c.hist[0], 1);
	CU_ASSERT_EQUAL(c.hist[3], 1);				/* 5 <= 7 < 10 ms */
	CU_ASSERT_EQUAL(c.max_late_us, 7000);
	/* 50 ms behind: ticks 2, 3, 4 at once (catch up), none skipped */
	CU_ASSERT_EQUAL(sim_clock_due(&c, t0 + 4 * F + 10000), 3);
	CU_ASSERT_EQUAL(c.skipped, 0);
	/* a 200 ms stall: SIM_CLOCK_CATCHUP now, the rest skipped, the schedule kept */
	CU_ASSERT_EQUAL(sim_clock_due(&c, t0 + 15 * F), SIM_CLOCK_CATCHUP);
	CU_ASSERT_EQUAL(c.ticks + c.skipped, 16);
	CU_ASSERT_EQUAL(sim_clock_next_us(&c), t0 + 16 * F);
	/* >= 20 ms: ticks 2 (50 ms) and 3 (30 ms), and the stall's 5, 6, 7;
	 * tick 4 was 10 ms late */
	CU_ASSERT_EQUAL(c.hist[5], 5);
	CU_ASSERT_EQUAL(c.hist[4], 1);
	CU_ASSERT_EQUAL(c.skipped, 8);
}

static void test_rtp_header(void)
{
	uint8_t pcmu[12] = { 0x80, 0, 0x12, 0x34 }, marked_pcma[12] = { 0x80, 0x80 | 8, 0xff, 0xff };
	uint8_t rtcp_sr[12] = { 0x80, 200 }, v1[12] = { 0x40, 0 };
	uint16_t seq = 0;

	CU_ASSERT_EQUAL(sim_rtp_header(pcmu, 12, 0, &seq), 0);
	CU_ASSERT_EQUAL(seq, 0x1234);
	CU_ASSERT_EQUAL(sim_rtp_header(marked_pcma, 12, 8, &seq), 0);	/* the marker bit is no PT */
	CU_ASSERT_EQUAL(seq, 0xffff);
	CU_ASSERT_EQUAL(sim_rtp_header(pcmu, 12, 8, &seq), -EPROTO);	/* not the agreed PT */
	/* RTCP on a neighbour's port: an SR reads as PT 72 (RFC 5761 4: why
	 * 72-76 are never used for RTP), so not the call's G.711 */
	CU_ASSERT_EQUAL(sim_rtp_header(rtcp_sr, 12, 0, &seq), -EPROTO);
	CU_ASSERT_EQUAL(sim_rtp_header(rtcp_sr, 12, 8, &seq), -EPROTO);
	CU_ASSERT_EQUAL(sim_rtp_header(v1, 12, 0, &seq), -EPROTO);
	CU_ASSERT_EQUAL(sim_rtp_header(pcmu, 11, 0, &seq), -EMSGSIZE);
}

static CU_TestInfo sim_stream_tests[] = {
	{ "RTP fixed header read or refused", test_rtp_header },
	{ "stream on time", test_on_time },
	{ "stream late, not lost", test_late_not_lost },
	{ "B-channel loss by time", test_lost_by_time },
	{ "RTP loss, reorder, dup across the wrap", test_rtp_wrap_loss_reorder },
	{ "sender clock lateness, catch-up, skip", test_clock },
	CU_TEST_INFO_NULL,
};

int suite_sim_stream_add(void)
{
	return unit_suite_add("sim_stream", sim_stream_tests);
}
