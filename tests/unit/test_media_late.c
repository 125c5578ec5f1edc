/* sipgw - unit tests: media clock lateness (core/media_late.h) on an
 * explicit clock: ideal times of a software ticker and of a card that
 * drifts, the histogram, frames late past 10 ms, drops, quantiles, the
 * exit summary line, and the registry's histogram set whole from it.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <stdlib.h>
#include <string.h>

#include "core/media_late.h"
#include "core/stats.h"
#include "unit.h"

#define MS 1000000LL
#define US 1000LL

/* A ticker whose first tick runs at t=1 s + 20 ms: tick n is due at 1 s +
 * n * 20 ms. On time, a bit late, then a 200 ms stall whose owed ticks run
 * back to back. */
static void test_clock_software(void)
{
	struct media_clock c;
	long long t0 = 1000 * MS;

	media_clock_start(&c, 20, 0);
	CU_ASSERT_EQUAL(media_clock_tick(&c, t0 + 20 * MS, NULL), 0);
	CU_ASSERT_EQUAL(media_clock_tick(&c, t0 + 40 * MS + 300 * US, NULL), 300 * US);
	/* the late tick did not move the phase: tick 3 is due at 60 ms */
	CU_ASSERT_EQUAL(media_clock_tick(&c, t0 + 60 * MS + 10 * US, NULL), 10 * US);
	/* stalled from 60 ms to 270 ms: ticks 4..13 (due 80..260 ms) all run at 270 ms */
	for (int n = 4; n <= 13; n++)
		CU_ASSERT_EQUAL(media_clock_tick(&c, t0 + 270 * MS, NULL), 270 * MS - n * 20 * MS);
	CU_ASSERT_EQUAL(media_clock_tick(&c, t0 + 280 * MS, NULL), 0);	/* back in phase */
	/* early (the loop read its clock a little before ours): now is the reference */
	CU_ASSERT_EQUAL(media_clock_tick(&c, t0 + 299 * MS, NULL), 0);
	CU_ASSERT_EQUAL(c.ideal_ns, t0 + 319 * MS);
	/* start-up kept the loop 500 ms from its first ticks: they run back to
	 * back (early by the first one's reference), no lateness of a call */
	media_clock_start(&c, 20, 0);
	CU_ASSERT_EQUAL(media_clock_tick(&c, t0 + 500 * MS, NULL), 0);
	for (int n = 0; n < 24; n++)
		CU_ASSERT_EQUAL(media_clock_tick(&c, t0 + 500 * MS, NULL), 0);
	CU_ASSERT_EQUAL(media_clock_tick(&c, t0 + 520 * MS, NULL), 0);
	CU_ASSERT_EQUAL(media_clock_tick(&c, t0 + 545 * MS, NULL), 5 * MS);
}

/* A card whose crystal runs 50 ppm slow: 1 us late more per tick. With 100
 * ppm of creep allowed, it never counts as more than 1 us late; a real
 * stall on it still shows. */
static void test_clock_card_drift(void)
{
	struct media_clock c;
	long long t = 0, worst = 0;

	media_clock_start(&c, 20, 100);
	for (int n = 1; n <= 100000; n++) {	/* 33 minutes */
		long long late;

		t += 20 * MS + 1 * US;
		late = media_clock_tick(&c, t, NULL);
		if (late > worst)
			worst = late;
	}
	CU_ASSERT(worst <= 1 * US);
	t += 20 * MS + 50 * MS;	/* the loop stalls 50 ms */
	CU_ASSERT(media_clock_tick(&c, t, NULL) >= 49 * MS);
	/* a card that kept 4 blocks of a 200 ms stall: they come at once, each
	 * as late as it is; then the card goes on at its rate, and the 6
	 * blocks it lost are counted once, not as lateness for ever after */
	{
		unsigned missed = 99;
		long long t1;

		media_clock_start(&c, 20, 100);
		t = 20 * MS;
		CU_ASSERT_EQUAL(media_clock_tick(&c, t, &missed), 0);
		CU_ASSERT_EQUAL(missed, 0);
		t1 = t + 200 * MS;		/* next due at 40 ms; the loop is back at 220 ms */
		for (int k = 0; k < 4; k++) {
			/* within the creep a late card clock is allowed (2 us a tick) */
			CU_ASSERT(llabs(media_clock_tick(&c, t1, &missed) - (180 * MS - k * 20 * MS)) <= 10 * US);
			CU_ASSERT_EQUAL(missed, 0);
		}
		/* due at 120 ms, comes at 240 ms, no less late than the one before */
		CU_ASSERT(media_clock_tick(&c, t1 + 20 * MS, &missed) <= 10 * US);
		CU_ASSERT_EQUAL(missed, 6);
		CU_ASSERT(media_clock_tick(&c, t1 + 40 * MS, &missed) <= 10 * US);
		CU_ASSERT_EQUAL(missed, 0);
		/* a software ticker never loses one: the same times are lateness */
		media_clock_start(&c, 20, 0);
		CU_ASSERT_EQUAL(media_clock_tick(&c, 20 * MS, NULL), 0);
		for (int k = 0; k < 4; k++)
			CU_ASSERT_EQUAL(media_clock_tick(&c, t1, &missed), 180 * MS - k * 20 * MS);
		CU_ASSERT_EQUAL(media_clock_tick(&c, t1 + 20 * MS, &missed), 120 * MS);
		CU_ASSERT_EQUAL(missed, 0);
	}
	/* a fast card (ticks early) is followed, never counted late */
	media_clock_start(&c, 20, 100);
	t = 0;
	for (int n = 1; n <= 1000; n++) {
		t += 20 * MS - 2 * US;
		CU_ASSERT_EQUAL(media_clock_tick(&c, t, NULL), 0);
	}
}

static void test_accounting(void)
{
	struct media_late ml, copy;
	char line[256];

	media_late_init(&ml, "media0");
	CU_ASSERT_STRING_EQUAL(ml.thread, "media0");
	CU_ASSERT_DOUBLE_EQUAL(media_late_quantile(&ml, 0.5), 0, 1e-12);
	for (int i = 0; i < 98; i++)
		media_late_tick(&ml, 30 * US, 30);	/* 30 channels on time */
	media_late_tick(&ml, 10 * MS, 30);	/* exactly half a frame: not late */
	media_late_tick(&ml, 180 * MS, 30);	/* a stall: 30 frames late */
	media_late_drop(&ml, 2);
	media_late_tick(NULL, 1, 1);		/* no figures: nothing happens */
	media_late_drop(NULL, 1);
	for (int i = 0; i < 3; i++)
		media_late_rx(&ml, 5 * MS);	/* frames from the line read in time */
	media_late_rx(&ml, 15 * MS);		/* one waited 15 ms for the loop */
	media_late_rx(NULL, 15 * MS);
	media_late_read(&ml, &copy);
	CU_ASSERT_EQUAL(copy.rx_frames, 4);
	CU_ASSERT_EQUAL(copy.rx_late, 1);
	CU_ASSERT_EQUAL(copy.ticks, 100);
	CU_ASSERT_EQUAL(copy.frames, 3000);
	CU_ASSERT_EQUAL(copy.late, 30);
	CU_ASSERT_EQUAL(copy.dropped, 2);
	CU_ASSERT_EQUAL(copy.max_ns, 180 * MS);
	CU_ASSERT_EQUAL(copy.sum_ns, 98 * 30 * US + 10 * MS + 180 * MS);
	/* 30 us is in (0, 50 us]; 10 ms in (5 ms, 10 ms]; 180 ms in (100, 200 ms] */
	CU_ASSERT_EQUAL(copy.buckets[0], 98);
	CU_ASSERT_EQUAL(copy.buckets[7], 1);
	CU_ASSERT_EQUAL(copy.buckets[11], 1);
	/* p50 inside the first bucket, p99 in the 10 ms one, p100 the max */
	CU_ASSERT(media_late_quantile(&copy, 0.5) > 0 && media_late_quantile(&copy, 0.5) <= 50e-6);
	CU_ASSERT(media_late_quantile(&copy, 0.99) > 5e-3 && media_late_quantile(&copy, 0.99) <= 10e-3);
	CU_ASSERT_DOUBLE_EQUAL(media_late_quantile(&copy, 1), 0.18, 1e-9);
	media_late_format(&copy, line, sizeof(line));
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "media0: 100 ticks, lateness p50 0.0"));
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "max 180.000 ms, 30 of 3000 frames late (>10 ms), 2 dropped; "
				  "from the line 1 of 4 frames late"));
	/* a value past the last bound: +Inf bucket, quantile capped at the max */
	media_late_tick(&ml, 1500 * MS, 0);
	CU_ASSERT_EQUAL(ml.buckets[MEDIA_LATE_N_BOUNDS], 1);
	CU_ASSERT_DOUBLE_EQUAL(media_late_quantile(&ml, 1), 1.5, 1e-9);
}

/* The registry's histogram set whole by a collect hook renders as if
 * each value had been observed. */
static void test_stats_hist_set(void)
{
	struct stats *s;
	struct stats_family *f;
	struct stats_series *se;
	struct media_late ml;
	char *text = NULL;
	size_t len;

	media_late_init(&ml, "media0");
	media_late_tick(&ml, 30 * US, 1);
	media_late_tick(&ml, 15 * MS, 1);
	CU_ASSERT_EQUAL_FATAL(stats_alloc(&s), 0);
	CU_ASSERT_EQUAL_FATAL(stats_family_add(s, &f, &(struct stats_family_params){
		.name = "sipgw_media_tick_lateness_seconds", .help = "h", .type = STATS_HISTOGRAM,
		.labels = { "thread" }, .bounds = media_late_bounds, .n_bounds = MEDIA_LATE_N_BOUNDS }), 0);
	se = stats_series1(f, ml.thread);
	stats_hist_set(se, ml.buckets, MEDIA_LATE_N_BOUNDS - 1, 2, 0.015);	/* wrong size: ignored */
	CU_ASSERT_EQUAL(stats_hist_count(se), 0);
	stats_hist_set(se, ml.buckets, MEDIA_LATE_N_BOUNDS, 2, ml.sum_ns / 1e9);
	CU_ASSERT_EQUAL(stats_hist_count(se), 2);
	CU_ASSERT_EQUAL_FATAL(stats_render(s, &text, &len), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "sipgw_media_tick_lateness_seconds_bucket{thread=\"media0\",le=\"5e-05\"} 1\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "sipgw_media_tick_lateness_seconds_bucket{thread=\"media0\",le=\"0.01\"} 1\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "sipgw_media_tick_lateness_seconds_bucket{thread=\"media0\",le=\"0.02\"} 2\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "sipgw_media_tick_lateness_seconds_bucket{thread=\"media0\",le=\"+Inf\"} 2\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "sipgw_media_tick_lateness_seconds_count{thread=\"media0\"} 2\n"));
	free(text);
	stats_free(s);
}

static const CU_TestInfo media_late_tests[] = {
	{ "clock_software", test_clock_software },
	{ "clock_card_drift", test_clock_card_drift },
	{ "accounting", test_accounting },
	{ "stats_hist_set", test_stats_hist_set },
	CU_TEST_INFO_NULL,
};

int suite_media_late_add(void)
{
	return unit_suite_add("media_late", media_late_tests);
}
