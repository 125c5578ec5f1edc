/* sipgw - unit tests: the jitter buffer (src/rtp/jbuf.c) and RFC 3389
 * comfort noise payloads (src/dsp/cn.c). Time is simulated: a frame per
 * 20 ms from the far end, arrival delays from a seeded generator, one
 * jbuf_get per 20 ms tick of the PRI side.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsp/cn.h"
#include "rtp/jbuf.h"
#include "unit.h"

#define N JB_FRAME_SAMPLES
#define TS0 0xfffff000u		/* the timestamps wrap during the tests */

/* Frame k of a 200 Hz sine (period 40 samples, in SpanDSP PLC's pitch
 * range) at about -15 dBov; its amplitude steps with k so that no two
 * frames in 64 are alike (a frame is a whole number of periods). */
static void frame(int k, int16_t *f)
{
	double a = 6000 + 20 * (k % 64);

	for (int i = 0; i < N; i++)
		f[i] = (int16_t)lrint(a * sin(2 * M_PI * 200 * i / 8000.0));
}

static double rms(const int16_t *f, int n)
{
	double s = 0;

	for (int i = 0; i < n; i++)
		s += (double)f[i] * f[i];
	return sqrt(s / n);
}

static double db(double x)
{
	return 20 * log10(x);
}

/* A deterministic generator (the test must give the same figures each run). */
static unsigned lcg(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return (*s >> 16) & 0x7fff;
}

static void test_alloc_args(void)
{
	struct jbuf *jb = NULL;

	CU_ASSERT_EQUAL(jbuf_alloc(&jb, 100, 40), -EINVAL);
	CU_ASSERT_EQUAL(jbuf_alloc(&jb, -1, 40), -EINVAL);
	CU_ASSERT_EQUAL(jbuf_alloc(&jb, 0, 10), -EINVAL);
	CU_ASSERT_PTR_NULL(jb);
	CU_ASSERT_EQUAL(jbuf_alloc(&jb, 0, 20), 0);
	jbuf_free(jb);
	jbuf_free(NULL);
}

/* Frames on time come out bit for bit and in order, after the delay asked
 * for (min 40 ms: two frames of silence first), and nothing is concealed. */
static void test_in_order(void)
{
	struct jbuf *jb;
	struct jbuf_stats st;
	int16_t f[N], out[N];
	int first = -1, next = 0;

	CU_ASSERT_EQUAL_FATAL(jbuf_alloc(&jb, 40, 200), 0);
	for (int t = 0; t < 300; t++) {
		int rc;

		frame(t, f);
		jbuf_put(jb, TS0 + (uint32_t)t * N, f);
		rc = jbuf_get(jb, out);
		if (first < 0 && rc == JB_FRAME)
			first = t;
		if (first < 0) {
			CU_ASSERT_EQUAL(rc, JB_EMPTY);
			CU_ASSERT_EQUAL(rms(out, N), 0);
			continue;
		}
		CU_ASSERT_EQUAL(rc, JB_FRAME);
		frame(next++, f);
		CU_ASSERT_EQUAL(memcmp(out, f, sizeof(f)), 0);
	}
	CU_ASSERT_EQUAL(first, 2);
	jbuf_get_stats(jb, &st);
	CU_ASSERT_EQUAL(st.late, 0);
	CU_ASSERT_EQUAL(st.lost, 0);
	CU_ASSERT_EQUAL(st.plc, 0);
	CU_ASSERT_EQUAL(st.overflow, 0);
	CU_ASSERT_EQUAL(st.delay_ms, 40);	/* min_ms: the frame just put and one more */
	jbuf_free(jb);
}

/* Arrival delays uniform in 0-60 ms, the PRI clock ticking every 20 ms:
 * after the buffer has adapted (10 s), no frame is late and every turn
 * plays a frame. */
static void test_jitter_adapts(void)
{
	enum { FRAMES = 3000, SETTLE = 500 };	/* 60 s, 10 s */
	static int arrive[FRAMES];
	struct jbuf *jb;
	struct jbuf_stats st, at_settle = { 0 };
	int16_t f[N], out[N];
	unsigned seed = 11;
	int played = 0, sent = 0, maxd = 0;

	CU_ASSERT_EQUAL_FATAL(jbuf_alloc(&jb, 0, 300), 0);	/* all of the delay adaptive */
	for (int k = 0; k < FRAMES; k++)
		arrive[k] = 20 * k + (int)(lcg(&seed) % 61);
	/* 1 ms steps; ticks on 20 ms + 7 (the two clocks out of phase) */
	for (int t = 0; t < 20 * FRAMES; t++) {
		for (int k = sent; k < FRAMES && k < t / 20 + 4; k++) {
			if (arrive[k] == t) {
				frame(k, f);
				jbuf_put(jb, TS0 + (uint32_t)k * N, f);
			}
		}
		while (sent < FRAMES && arrive[sent] <= t)
			sent++;
		if (t % 20 != 7)
			continue;
		int rc = jbuf_get(jb, out);
		if (t / 20 == SETTLE)
			jbuf_get_stats(jb, &at_settle);
		if (t / 20 > SETTLE) {
			CU_ASSERT_EQUAL(rc, JB_FRAME);
			played += rc == JB_FRAME;
			jbuf_get_stats(jb, &st);
			if (st.delay_ms > maxd)
				maxd = st.delay_ms;
		}
	}
	jbuf_get_stats(jb, &st);
	printf("\n    jitter 0-60 ms: late %lu before settling, %lu after; delay up to %d ms, "
	       "%lu PLC before\n", at_settle.late, st.late - at_settle.late, maxd, at_settle.plc);
	CU_ASSERT_EQUAL(st.late - at_settle.late, 0);
	CU_ASSERT_EQUAL(st.plc - at_settle.plc, 0);
	CU_ASSERT_EQUAL(played, FRAMES - SETTLE - 1);
	CU_ASSERT(maxd <= 300);
	jbuf_free(jb);
}

/* Frozen (a fax in G.711): arrivals that jitter more than the delay held
 * are late, the delay does not grow to take them (the adaptive buffer of
 * the test above would: 0 late after settling). */
static void test_frozen_delay_stays(void)
{
	enum { FRAMES = 1500 };
	struct jbuf *jb;
	struct jbuf_stats st;
	int16_t f[N], out[N];
	int d0 = -1, dmax = 0;

	CU_ASSERT_EQUAL_FATAL(jbuf_alloc(&jb, 40, 300), 0);
	for (int k = 0; k < 50; k++) {	/* 1 s in order: the delay settles at the margin */
		frame(k, f);
		jbuf_put(jb, TS0 + (uint32_t)k * N, f);
		jbuf_get(jb, out);
	}
	CU_ASSERT_EQUAL(jbuf_freeze(jb), 0);
	for (int k = 50; k < FRAMES; k++) {
		/* every 10th frame 80 ms late: twice the delay held */
		int late = k % 10 == 0;

		if (!late) {
			frame(k, f);
			jbuf_put(jb, TS0 + (uint32_t)k * N, f);
		}
		if (k % 10 == 4) {	/* ... and comes 4 turns on */
			frame(k - 4, f);
			jbuf_put(jb, TS0 + (uint32_t)(k - 4) * N, f);
		}
		jbuf_get(jb, out);
		jbuf_get_stats(jb, &st);
		if (k == 60)
			d0 = st.delay_ms;	/* the delay the frozen buffer settled at */
		if (k > 60 && st.delay_ms > dmax)
			dmax = st.delay_ms;
	}
	jbuf_get_stats(jb, &st);
	printf("\n    frozen at %d ms: up to %d ms after, %lu late of %d\n", d0, dmax, st.late, FRAMES / 10);
	CU_ASSERT(st.late >= FRAMES / 10 - 20);	/* the late ones stay late */
	CU_ASSERT(dmax <= d0 + 20);
	jbuf_free(jb);
}

/* One frame never comes: its turn is PLC, not silence, at about the level of
 * the neighbours and close to the signal that was lost (a steady tone, which
 * SpanDSP's pitch repetition continues). */
static void test_loss_concealed(void)
{
	struct jbuf *jb;
	struct jbuf_stats st;
	int16_t f[N], out[N], prev[N];
	int seen_plc = 0;

	CU_ASSERT_EQUAL_FATAL(jbuf_alloc(&jb, 0, 200), 0);
	for (int t = 0; t < 100; t++) {
		int rc;

		frame(t, f);
		if (t != 50)
			jbuf_put(jb, TS0 + (uint32_t)t * N, f);
		memcpy(prev, out, sizeof(out));
		rc = jbuf_get(jb, out);
		if (rc == JB_PLC) {
			double err = 0;

			seen_plc++;
			CU_ASSERT_EQUAL(t, 50);
			CU_ASSERT(rms(out, N) > 1000);	/* not silence */
			CU_ASSERT(fabs(db(rms(out, N)) - db(rms(prev, N))) < 3);
			for (int i = 0; i < N; i++)
				err += (double)(out[i] - f[i]) * (out[i] - f[i]);
			/* the lost frame against what was made: SNR */
			printf("\n    PLC of a 200 Hz tone: %.1f dB SNR, level %.1f dB of the previous frame\n",
			       db(rms(f, N)) - 10 * log10(err / N + 1e-9), db(rms(out, N)) - db(rms(prev, N)));
			CU_ASSERT(db(rms(f, N)) - 10 * log10(err / N + 1e-9) > 10);
		} else {
			CU_ASSERT_EQUAL(rc, JB_FRAME);
		}
	}
	CU_ASSERT_EQUAL(seen_plc, 1);
	jbuf_get_stats(jb, &st);
	CU_ASSERT_EQUAL(st.lost, 1);
	CU_ASSERT_EQUAL(st.plc, 1);
	CU_ASSERT_EQUAL(st.late, 0);
	/* the lost frame turns up after all, 50 turns late: counted, not played */
	frame(50, f);
	jbuf_put(jb, TS0 + 50u * N, f);
	frame(100, f);
	jbuf_put(jb, TS0 + 100u * N, f);
	CU_ASSERT_EQUAL(jbuf_get(jb, out), JB_FRAME);
	CU_ASSERT_EQUAL(memcmp(out, f, sizeof(f)), 0);
	jbuf_get_stats(jb, &st);
	CU_ASSERT_EQUAL(st.late, 1);
	jbuf_free(jb);
}

/* A CN packet at -50 dBov, then no audio for a second: noise at about
 * -50 dBov, not counted lost; then speech again; a second CN at -30. */
static void test_comfort_noise(void)
{
	struct jbuf *jb;
	struct jbuf_stats st;
	int16_t f[N], out[N], noise[50 * N];
	int t = 0, k, cn = 0;

	CU_ASSERT_EQUAL_FATAL(jbuf_alloc(&jb, 0, 200), 0);
	for (k = 0; k < 20; k++, t++) {
		frame(k, f);
		jbuf_put(jb, TS0 + (uint32_t)k * N, f);
		CU_ASSERT_EQUAL(jbuf_get(jb, out), JB_FRAME);
	}
	jbuf_put_cn(jb, TS0 + (uint32_t)k * N, -50);
	for (int i = 0; i < 50; i++, t++) {
		int rc = jbuf_get(jb, out);

		CU_ASSERT_EQUAL(rc, JB_CN);
		cn += rc == JB_CN;
		memcpy(noise + i * N, out, sizeof(out));
	}
	printf("\n    CN at -50 dBov: %d dBov made\n", cn_level_dbov(noise, 50 * N));
	CU_ASSERT(abs(cn_level_dbov(noise, 50 * N) + 50) <= 2);
	/* the talkspurt after the silence: on the same timeline, later */
	for (k = t; k < t + 20; k++) {
		frame(k, f);
		jbuf_put(jb, TS0 + (uint32_t)k * N, f);
		if (jbuf_get(jb, out) == JB_FRAME)
			break;
	}
	CU_ASSERT(k < t + 3);
	jbuf_put_cn(jb, TS0 + (uint32_t)(k + 1) * N, -30);
	jbuf_get(jb, out);
	for (int i = 0; i < 50; i++)
		CU_ASSERT_EQUAL(jbuf_get(jb, noise + i * N), JB_CN);
	CU_ASSERT(abs(cn_level_dbov(noise, 50 * N) + 30) <= 2);
	jbuf_get_stats(jb, &st);
	CU_ASSERT_EQUAL(st.lost, 0);
	CU_ASSERT_EQUAL(st.plc, 0);
	CU_ASSERT(st.cn >= 100);
	jbuf_free(jb);
}

/* Hold and resume with new timestamps (no jbuf_reset): the buffer follows
 * within a few turns; with jbuf_reset, at once. A stream that stops
 * conceals a little, then is silence, not endless loss. */
static void test_timestamp_jump(void)
{
	struct jbuf *jb;
	struct jbuf_stats st;
	int16_t f[N], out[N];
	int t, rc = -1, resumed = -1;

	CU_ASSERT_EQUAL_FATAL(jbuf_alloc(&jb, 0, 200), 0);
	for (t = 0; t < 20; t++) {
		frame(t, f);
		jbuf_put(jb, TS0 + (uint32_t)t * N, f);
		CU_ASSERT_EQUAL(jbuf_get(jb, out), JB_FRAME);
	}
	/* held for 2 s: nothing comes */
	for (int i = 0; i < 100; i++)
		rc = jbuf_get(jb, out);
	CU_ASSERT_EQUAL(rc, JB_EMPTY);
	jbuf_get_stats(jb, &st);
	CU_ASSERT_EQUAL(st.plc, 10);	/* 200 ms concealed, then silence */
	/* resumed, timestamps 5,000,000 on */
	for (int i = 0; i < 20; i++) {
		frame(1000 + i, f);
		jbuf_put(jb, 5000000u + (uint32_t)i * N, f);
		rc = jbuf_get(jb, out);
		if (rc == JB_FRAME && resumed < 0)
			resumed = i;
	}
	CU_ASSERT(resumed >= 0 && resumed <= 2);
	frame(1019, f);
	CU_ASSERT_EQUAL(memcmp(out, f, sizeof(f)), 0);
	/* and backwards (a codec change with its own random timestamps) */
	resumed = -1;
	for (int i = 0; i < 20; i++) {
		frame(2000 + i, f);
		jbuf_put(jb, 77u + (uint32_t)i * N, f);
		rc = jbuf_get(jb, out);
		if (rc == JB_FRAME && resumed < 0)
			resumed = i;
	}
	CU_ASSERT(resumed >= 0 && resumed <= 2);
	/* jbuf_reset: the next frame plays at the next turn */
	jbuf_reset(jb);
	frame(3000, f);
	jbuf_put(jb, 123456u, f);
	CU_ASSERT_EQUAL(jbuf_get(jb, out), JB_FRAME);
	CU_ASSERT_EQUAL(memcmp(out, f, sizeof(f)), 0);
	jbuf_free(jb);
}

/* A burst far past max_ms (a stall, then everything at once): the oldest
 * go, the delay is back under max at the next turn. */
static void test_overflow(void)
{
	struct jbuf *jb;
	struct jbuf_stats st;
	int16_t f[N], out[N];
	int t;

	CU_ASSERT_EQUAL_FATAL(jbuf_alloc(&jb, 0, 100), 0);
	for (t = 0; t < 10; t++) {
		frame(t, f);
		jbuf_put(jb, TS0 + (uint32_t)t * N, f);
		CU_ASSERT_EQUAL(jbuf_get(jb, out), JB_FRAME);
	}
	for (; t < 40; t++) {
		frame(t, f);
		jbuf_put(jb, TS0 + (uint32_t)t * N, f);
	}
	CU_ASSERT_EQUAL(jbuf_get(jb, out), JB_FRAME);
	jbuf_get_stats(jb, &st);
	CU_ASSERT_EQUAL(st.overflow, 25);	/* 10..34 */
	CU_ASSERT_EQUAL(jbuf_overflows(jb), 25);	/* what sip_rtp counts dropped */
	CU_ASSERT(st.delay_ms <= 100);
	/* the newest 100 ms survive: 35..39, 35 playing now */
	frame(35, f);
	CU_ASSERT_EQUAL(memcmp(out, f, sizeof(f)), 0);
	jbuf_free(jb);
}

/* RFC 3389 3: level octet, top bit 0, coefficients ignored; our build. */
static void test_cn_payload(void)
{
	uint8_t p[4] = { 50, 0x12, 0x34, 0x56 };
	int16_t f[N];
	int lvl = 1;

	CU_ASSERT_EQUAL(cn_parse(p, 4, &lvl), 0);
	CU_ASSERT_EQUAL(lvl, -50);
	CU_ASSERT_EQUAL(cn_parse(p, 1, &lvl), 0);
	CU_ASSERT_EQUAL(cn_parse(p, 0, &lvl), -EBADMSG);
	p[0] = 0x80;
	CU_ASSERT_EQUAL(cn_parse(p, 1, &lvl), -EBADMSG);
	CU_ASSERT_EQUAL(cn_build(p, -63), 1);
	CU_ASSERT_EQUAL(p[0], 63);
	cn_build(p, 5);
	CU_ASSERT_EQUAL(p[0], 0);
	cn_build(p, -300);
	CU_ASSERT_EQUAL(p[0], 127);
	/* a full-scale square wave is 0 dBov; -20 dB is a tenth of it */
	for (int i = 0; i < N; i++)
		f[i] = (int16_t)(i & 1 ? -32767 : 32767);
	CU_ASSERT_EQUAL(cn_level_dbov(f, N), 0);
	for (int i = 0; i < N; i++)
		f[i] = (int16_t)(i & 1 ? -3277 : 3277);
	CU_ASSERT_EQUAL(cn_level_dbov(f, N), -20);
	/* a sine's RMS is 3 dB under its peak */
	for (int i = 0; i < N; i++)
		f[i] = (int16_t)lrint(3277 * sin(2 * M_PI * 400 * i / 8000.0));
	CU_ASSERT_EQUAL(cn_level_dbov(f, N), -23);
	memset(f, 0, sizeof(f));
	CU_ASSERT_EQUAL(cn_level_dbov(f, N), CN_MIN_DBOV);
	/* the level of a silent frame, sent and read back */
	for (int i = 0; i < N; i++)
		f[i] = (int16_t)(i & 1 ? -10 : 10);
	cn_build(p, cn_level_dbov(f, N));
	CU_ASSERT_EQUAL(cn_parse(p, 1, &lvl), 0);
	CU_ASSERT_EQUAL(lvl, -70);
}

static const CU_TestInfo jbuf_tests[] = {
	{ "alloc: bounds checked", test_alloc_args },
	{ "in order: unchanged after the initial delay", test_in_order },
	{ "jitter 0-60 ms: 0 late after adapting", test_jitter_adapts },
	{ "frozen (fax): the delay holds, late frames stay late", test_frozen_delay_stays },
	{ "a lost frame is concealed", test_loss_concealed },
	{ "CN: noise at the level, then speech", test_comfort_noise },
	{ "timestamp jump (hold) does not stall", test_timestamp_jump },
	{ "overflow past max_ms", test_overflow },
	{ "RFC 3389 payload: parse, build, level", test_cn_payload },
	CU_TEST_INFO_NULL,
};

int suite_jbuf_add(void)
{
	return unit_suite_add("jbuf", jbuf_tests);
}
