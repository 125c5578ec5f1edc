/* sipgw - unit tests: country tones (src/dsp/tonezone.c). What a caller
 * hears, measured from the generated audio: the frequencies (Goertzel, in
 * this file, independent of SpanDSP) and the on/off cadence, against each
 * country's ringback and busy as published (and as libtonezone has them).
 * SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dahdi/tonezone.h>

#include "dsp/tonezone.h"
#include "unit.h"

#define RATE 8000
#define BLK 40			/* 5 ms analysis blocks */
#define MAXRUNS 64

struct expect {
	const char *zone;
	enum tz_tone tone;
	int f[2];		/* Hz; f[1] = 0: one frequency */
	int cadence[4];		/* on, off, on, off ms; 0 = unused; {0}: continuous */
};

static const struct expect expects[] = {
	{ "us", TZ_RINGBACK, { 440, 480 }, { 2000, 4000 } },
	{ "us", TZ_BUSY, { 480, 620 }, { 500, 500 } },
	{ "uk", TZ_RINGBACK, { 400, 450 }, { 400, 200, 400, 2000 } },
	{ "uk", TZ_BUSY, { 400, 0 }, { 375, 375 } },
	{ "gb", TZ_RINGBACK, { 400, 450 }, { 400, 200, 400, 2000 } },
	{ "de", TZ_RINGBACK, { 425, 0 }, { 1000, 4000 } },
	{ "de", TZ_BUSY, { 425, 0 }, { 480, 480 } },
	{ "fr", TZ_RINGBACK, { 440, 0 }, { 1500, 3500 } },
	{ "fr", TZ_BUSY, { 440, 0 }, { 500, 500 } },
	{ "us", TZ_DIAL, { 350, 440 }, { 0 } },
	{ "de", TZ_DIAL, { 425, 0 }, { 0 } },
};

static double goertzel(const int16_t *a, size_t n, int f)
{
	double w = 2 * M_PI * f / RATE, c = 2 * cos(w), s1 = 0, s2 = 0;

	for (size_t i = 0; i < n; i++) {
		double s0 = a[i] + c * s1 - s2;

		s2 = s1;
		s1 = s0;
	}
	/* |X(f)|^2 scaled to the mean square of the tone component */
	return 2 * (s1 * s1 + s2 * s2 - c * s1 * s2) / ((double)n * n);
}

static double meansq(const int16_t *a, size_t n)
{
	double s = 0;

	for (size_t i = 0; i < n; i++)
		s += (double)a[i] * a[i];
	return s / (double)n;
}

static void check_tone(const struct expect *e)
{
	struct tone_player *tp;
	size_t n = 14 * RATE, nruns = 0;		/* two US ringback cycles and more */
	int16_t *a = malloc(n * sizeof(*a));
	int runs[MAXRUNS], on0, cur_on = -1, len = 0;
	double tone = 0, total = 0, p0 = 0, p1 = 0;
	int ncad = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL_FATAL(tone_player_alloc(&tp, e->zone, e->tone), 0);
	/* 20 ms frames, as the media tick asks for them */
	for (size_t off = 0; off < n; off += 160)
		tone_player_fill(tp, a + off, 160);
	printf("\n    %s %s \"%s\" ", e->zone, tz_tone_name(e->tone), tone_player_spec(tp));
	tone_player_free(tp);

	/* on/off runs of 5 ms blocks: on above -40 dBm0 (the tone is ~-10) */
	on0 = meansq(a, BLK) > 2.6e8 * 1e-4;
	for (size_t off = 0; off + BLK <= n; off += BLK) {
		int on = meansq(a + off, BLK) > 2.6e8 * 1e-4;

		if (on) {
			/* 50 ms windows inside the on-period for the frequencies */
			if (off + 400 <= n && ((off / BLK) % 10) == 0 && meansq(a + off + 360, BLK) > 2.6e4) {
				total += meansq(a + off, 400);
				p0 += goertzel(a + off, 400, e->f[0]);
				p1 += e->f[1] ? goertzel(a + off, 400, e->f[1]) : 0;
			}
		}
		if (on == cur_on) {
			len += BLK * 1000 / RATE;
			continue;
		}
		if (cur_on >= 0 && nruns < MAXRUNS)
			runs[nruns++] = len;
		cur_on = on;
		len = BLK * 1000 / RATE;
	}
	free(a);
	tone = p0 + p1;
	CU_ASSERT_FATAL(total > 0);
	/* the energy is in the zone's frequencies, and split evenly over two */
	CU_ASSERT(tone / total > 0.9);
	if (e->f[1])
		CU_ASSERT(fabs(10 * log10(p0 / p1)) < 1.5);
	for (ncad = 0; ncad < 4 && e->cadence[ncad]; ncad++)
		;
	if (!ncad) {
		CU_ASSERT_EQUAL(nruns, 0);		/* never off */
		CU_ASSERT_TRUE(on0);
		return;
	}
	/* starts with the tone; then the runs (all but the unfinished last) follow the cadence */
	CU_ASSERT_TRUE(on0);
	CU_ASSERT_FATAL(nruns >= (size_t)ncad);
	for (size_t i = 0; i < nruns; i++) {
		int want = e->cadence[i % (size_t)ncad];

		if (abs(runs[i] - want) > 10)
			printf("run %zu: %d ms, want %d ", i, runs[i], want);
		CU_ASSERT(abs(runs[i] - want) <= 10);
	}
}

static void test_cadences(void)
{
	for (size_t i = 0; i < sizeof(expects) / sizeof(expects[0]); i++)
		check_tone(&expects[i]);
}

static void test_zones(void)
{
	struct tone_player *tp = NULL;

	CU_ASSERT_EQUAL(tonezone_check("us"), 0);
	CU_ASSERT_EQUAL(tonezone_check("uk"), 0);
	CU_ASSERT_EQUAL(tonezone_check("gb"), 0);
	CU_ASSERT_EQUAL(tonezone_check("DE"), 0);
	CU_ASSERT_EQUAL(tonezone_check("xx"), -ENOENT);
	CU_ASSERT_EQUAL(tonezone_check(""), -ENOENT);
	CU_ASSERT_EQUAL(tonezone_check("usa-and-more"), -ENOENT);
	CU_ASSERT_EQUAL(tonezone_check(NULL), -ENOENT);
	CU_ASSERT_EQUAL(tone_player_alloc(&tp, "xx", TZ_BUSY), -ENOENT);
	CU_ASSERT_EQUAL(tone_player_alloc(&tp, "us", (enum tz_tone)42), -EINVAL);
	CU_ASSERT_PTR_NULL(tp);
	tone_player_free(NULL);
}

/* Every tone of every zone libtonezone holds can be played: the config
 * accepts any zone tonezone_check() knows, so none may fail at call time. */
static void test_every_zone_plays(void)
{
	int16_t a[160];
	unsigned zones = 0;

	for (int id = 0; id < DAHDI_TONE_ZONE_MAX; id++) {
		struct tone_zone *z = tone_zone_find_by_num(id);

		if (!z)
			continue;
		zones++;
		CU_ASSERT_EQUAL(tonezone_check(z->country), 0);
		for (int t = TZ_DIAL; t <= TZ_CALLWAIT; t++) {
			struct tone_player *tp;
			int rc = tone_player_alloc(&tp, z->country, (enum tz_tone)t);

			if (rc)
				printf("\n    %s %s: %d ", z->country, tz_tone_name(t), rc);
			CU_ASSERT_EQUAL(rc, 0);
			if (rc)
				continue;
			for (int f = 0; f < 100; f++)
				tone_player_fill(tp, a, sizeof(a) / sizeof(a[0]));
			tone_player_free(tp);
		}
	}
	printf("\n    %u zones ", zones);
	CU_ASSERT(zones >= 40);
}

int suite_tonezone_add(void)
{
	static const CU_TestInfo tests[] = {
		{ "ringback and busy of us, uk/gb, de, fr; dial tone", test_cadences },
		{ "zones known and unknown", test_zones },
		{ "every tone of every zone plays", test_every_zone_plays },
		{ NULL, NULL }
	};

	return unit_suite_add("tonezone", tests);
}
