/* sipgw - unit tests: the codec table and each codec's round trip of a
 * 1 kHz tone (frequency, level and signal-to-noise of the decoded audio),
 * packet sizes, and hostile payloads. SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsp/codec.h"
#include "unit.h"

#define RATE 8000
/* 1 kHz, as ITU-T O.132 asks of a test tone on 8 kHz channels, 1020 Hz:
 * an exact 1000 Hz repeats the same 8 samples, so quantisation error is
 * periodic, falls on the tone's own harmonics and flatters the SNR. */
#define TONE_HZ 1020.0
/* -10 dBm0: G.711's 0 dBm0 sine peaks 3.14 dB below full scale (G.711
 * table 5 / SpanDSP), so 32768 * 10^((-3.14 - 10) / 20). */
#define TONE_AMP 7217.0
#define SECONDS 1
#define SKIP 1600		/* 200 ms: encoder look-ahead and adaptation settle */
#define WINDOW 4000		/* 500 ms analysed: 510 whole cycles of 1020 Hz */

struct tone_figures {
	double freq_hz, level_db, snr_db;
};

/* Goertzel at f over x[0..n): the tone's amplitude. With n holding whole
 * cycles the bin is centred, so a sine of amplitude A gives exactly A. */
static double goertzel_amp(const int16_t *x, size_t n, double f)
{
	double w = 2 * M_PI * f / RATE, c = 2 * cos(w), s1 = 0, s2 = 0;

	for (size_t i = 0; i < n; i++) {
		double s0 = x[i] + c * s1 - s2;
		s2 = s1;
		s1 = s0;
	}
	return 2 * sqrt(s1 * s1 + s2 * s2 - c * s1 * s2) / (double)n;
}

/* Frequency from upward zero crossings, each placed by linear interpolation. */
static double zero_cross_hz(const int16_t *x, size_t n)
{
	double first = -1, last = -1;
	int count = 0;

	for (size_t i = 1; i < n; i++)
		if (x[i - 1] < 0 && x[i] >= 0) {
			double t = (double)(i - 1) + (double)-x[i - 1] / (double)(x[i] - x[i - 1]);

			if (first < 0)
				first = t;
			last = t;
			count++;
		}
	return count > 1 ? (count - 1) * RATE / (last - first) : 0;
}

/* Encode SECONDS of the tone in packets of n8k samples, decode each packet,
 * and measure what came out after SKIP. */
static int roundtrip(const char *cfg, size_t n8k, struct tone_figures *f)
{
	static int16_t in[RATE * SECONDS], out[RATE * SECONDS];
	const struct codec_desc *d = codec_by_cfg(cfg);
	struct codec *c = NULL;
	size_t got = 0;
	double a, energy = 0, tone;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL_FATAL(codec_alloc(&c, d, NULL), 0);
	for (size_t i = 0; i < RATE * SECONDS; i++)
		in[i] = (int16_t)lrint(TONE_AMP * sin(2 * M_PI * TONE_HZ * (double)i / RATE));
	for (size_t i = 0; i + n8k <= RATE * SECONDS; i += n8k) {
		uint8_t pl[CODEC_MAX_PAYLOAD];
		int len = codec_encode(c, in + i, n8k, pl, sizeof(pl)), n;

		CU_ASSERT_FATAL(len > 0);
		n = codec_decode(c, pl, (size_t)len, out + got, RATE * SECONDS - got);
		CU_ASSERT_EQUAL(n, (int)n8k);	/* one packet is as long decoded as encoded */
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	codec_free(c);
	CU_ASSERT_FATAL(got >= SKIP + WINDOW);
	a = goertzel_amp(out + SKIP, WINDOW, TONE_HZ);
	for (size_t i = SKIP; i < SKIP + WINDOW; i++)
		energy += (double)out[i] * out[i];
	tone = a * a / 2 * WINDOW;
	f->freq_hz = zero_cross_hz(out + SKIP, WINDOW);
	f->level_db = 20 * log10(a / TONE_AMP);
	f->snr_db = 10 * log10(tone / (energy > tone ? energy - tone : 1e-9));
	printf("\n    %s %zu ms: %.2f Hz, level %+.2f dB, SNR %.1f dB ", cfg, n8k / 8, f->freq_hz,
	       f->level_db, f->snr_db);
	return 0;
}

/* Limits: the frequency within 2 Hz for every codec (a codec that shifted
 * pitch, dropped or repeated samples would be off by far more: one lost
 * sample in 4000 is 0.25 Hz per sample and more at each packet edge; a
 * 2 Hz bound allows the zero-crossing estimate's own error on quantised
 * audio). Level and SNR per codec below. */
#define FREQ_TOL 2.0

/* G.711: quantisation noise of a -10 dBm0 sine is ~38 dB below it (measured
 * 39.0 mu-law, 38.2 A-law; G.712 asks >= 35 dB at -10 dBm0, which is our
 * bound); the level within 0.3 dB (G.712 gain tracking). */
static void test_g711_tone(void)
{
	static const char *const laws[] = { "g711ulaw", "g711alaw" };

	for (int i = 0; i < 2; i++) {
		struct tone_figures f;

		roundtrip(laws[i], 160, &f);
		CU_ASSERT(fabs(f.freq_hz - TONE_HZ) < FREQ_TOL);
		CU_ASSERT(fabs(f.level_db) < 0.3);
		CU_ASSERT(f.snr_db > 35);
	}
}

/* G.722 64k on its lower sub-band: 6-bit ADPCM (G.722 3.4) tracks a steady
 * tone closely, measured 47 dB; 40 dB keeps a margin and still fails an
 * encoder and decoder whose ADPCM states drift apart. Level within 0.5 dB. */
static void test_g722_tone(void)
{
	struct tone_figures f;

	roundtrip("g722-64", 160, &f);
	CU_ASSERT(fabs(f.freq_hz - TONE_HZ) < FREQ_TOL);
	CU_ASSERT(fabs(f.level_db) < 0.5);
	CU_ASSERT(f.snr_db > 40);
}

/* GSM 06.10 RPE-LTP at 13 kbit/s is a speech coder, not waveform-exact;
 * its long-term predictor suits a steady tone: measured 30.6 dB, -0.26 dB.
 * We ask for 25 dB and the level within 1 dB, which a garbled frame order
 * or a wrong packing (noise, SNR near 0 dB) fails. */
static void test_gsm_tone(void)
{
	struct tone_figures f;

	roundtrip("gsmfr", 160, &f);
	CU_ASSERT(fabs(f.freq_hz - TONE_HZ) < FREQ_TOL);
	CU_ASSERT(fabs(f.level_db) < 1.0);
	CU_ASSERT(f.snr_db > 25);
	roundtrip("gsmfr", 320, &f);		/* two frames a packet, 40 ms */
	CU_ASSERT(fabs(f.freq_hz - TONE_HZ) < FREQ_TOL);
	CU_ASSERT(f.snr_db > 25);
}

/* Opus narrowband SILK at 16 kbit/s is perceptual, not waveform-exact:
 * measured 33 dB at 20 and 60 ms, 22 dB at 30 ms (three 10 ms frames joined
 * by the repacketiser; short frames predict worse), at our complexity 5.
 * libopus is deterministic for one input, so the margin does not drift run
 * to run. We ask for 20 dB and the level within 1 dB at each size. */
static void test_opus_tone(void)
{
	static const size_t sizes[] = { 160, 240, 480 };

	for (int i = 0; i < 3; i++) {
		struct tone_figures f;

		roundtrip("opus", sizes[i], &f);
		CU_ASSERT(fabs(f.freq_hz - TONE_HZ) < FREQ_TOL);
		CU_ASSERT(fabs(f.level_db) < 1.0);
		CU_ASSERT(f.snr_db > 20);
	}
}

static void test_table(void)
{
	const struct codec_desc *d;

	d = codec_find("pcmu", 8000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(d->static_pt, 0);
	CU_ASSERT_STRING_EQUAL(d->cfg, "g711ulaw");
	CU_ASSERT_PTR_EQUAL(codec_by_static_pt(8), codec_by_cfg("g711alaw"));
	CU_ASSERT_PTR_EQUAL(codec_by_static_pt(9), codec_find("G722", 8000));
	CU_ASSERT_PTR_EQUAL(codec_by_static_pt(3), codec_by_cfg("gsmfr"));
	CU_ASSERT_PTR_NULL(codec_find("G722", 16000));	/* RFC 3551 4.5.2: 8000 it is */
	CU_ASSERT_PTR_NULL(codec_find("PCMU", 16000));
	CU_ASSERT_PTR_NULL(codec_find("G729", 8000));	/* left out: GPL-3 (codec.c) */
	CU_ASSERT_PTR_NULL(codec_by_cfg("g729r8"));
	CU_ASSERT_PTR_NULL(codec_by_static_pt(18));
	CU_ASSERT_PTR_NULL(codec_by_static_pt(-1));
	d = codec_find("OPUS", 48000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(d->static_pt, -1);
	CU_ASSERT_EQUAL(d->channels, 2);		/* RFC 7587 7 */
	CU_ASSERT_EQUAL(codec_ts_per_sample(d), 6);
	CU_ASSERT_EQUAL(codec_ts_per_sample(codec_by_cfg("g722-64")), 1);
	CU_ASSERT_PTR_EQUAL(codec_find("telephone-event", 8000), &codec_telephone_event);
	CU_ASSERT_PTR_EQUAL(codec_find("CN", 8000), &codec_cn);
	CU_ASSERT_PTR_EQUAL(codec_by_static_pt(13), &codec_cn);
	CU_ASSERT_STRING_EQUAL(codec_telephone_event.fmtp, "0-16");
	for (int i = 0; (d = codec_nth(i)); i++)
		CU_ASSERT_PTR_NOT_NULL(d->ops);
	CU_ASSERT_PTR_NULL(codec_nth(-1));
}

/* What one packet weighs: G.711 and G.722 one byte a sample (RFC 3551
 * 4.5.2, 4.5.14), GSM 33 bytes per 20 ms frame (4.5.8). */
static void test_frame_sizes(void)
{
	struct codec *c;
	int16_t pcm[480] = { 0 };
	uint8_t out[CODEC_MAX_PAYLOAD];
	static const struct { const char *cfg; size_t n; int bytes; } rows[] = {
		{ "g711ulaw", 80, 80 }, { "g711ulaw", 160, 160 }, { "g711alaw", 240, 240 },
		{ "g722-64", 160, 160 }, { "g722-64", 480, 480 },
		{ "gsmfr", 160, 33 }, { "gsmfr", 480, 99 },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		CU_ASSERT_EQUAL_FATAL(codec_alloc(&c, codec_by_cfg(rows[i].cfg), NULL), 0);
		CU_ASSERT_EQUAL(codec_encode(c, pcm, rows[i].n, out, sizeof(out)), rows[i].bytes);
		CU_ASSERT_EQUAL(codec_encode(c, pcm, rows[i].n, out, (size_t)rows[i].bytes - 1), -ENOSPC);
		codec_free(c);
	}
	/* GSM has no half frame; Opus no 25 ms frame */
	CU_ASSERT_EQUAL_FATAL(codec_alloc(&c, codec_by_cfg("gsmfr"), NULL), 0);
	CU_ASSERT_EQUAL(codec_encode(c, pcm, 80, out, sizeof(out)), -EINVAL);
	codec_free(c);
	CU_ASSERT_EQUAL_FATAL(codec_alloc(&c, codec_by_cfg("opus"), NULL), 0);
	CU_ASSERT_EQUAL(codec_encode(c, pcm, 200, out, sizeof(out)), -EINVAL);
	CU_ASSERT_EQUAL(codec_encode(c, pcm, 0, out, sizeof(out)), -EINVAL);
	/* 10 to 60 ms, each decoded to as many samples as went in */
	for (size_t n = 80; n <= 480; n += 80) {
		int16_t back[CODEC_MAX_FRAME];
		int len = codec_encode(c, pcm, n, out, sizeof(out));

		CU_ASSERT(len > 0 && len < 200);
		CU_ASSERT_EQUAL(codec_decode(c, out, (size_t)(len > 0 ? len : 1), back, CODEC_MAX_FRAME), (int)n);
	}
	codec_free(c);
	CU_ASSERT_EQUAL(codec_alloc(&c, &codec_telephone_event, NULL), -EINVAL);
	CU_ASSERT_EQUAL(codec_alloc(&c, NULL, NULL), -EINVAL);
}

/* The far end's fmtp binds our Opus encoder (RFC 7587 6.1): at
 * maxaveragebitrate=8000 a 20 ms packet is about 20 bytes, at our 16 kbit/s
 * about 40. Unknown and broken parameters change nothing. */
static void test_opus_fmtp(void)
{
	static int16_t pcm[160 * 50];
	const char *fmtps[] = { NULL, "maxaveragebitrate=8000; useinbandfec=0", "x=1;;maxaveragebitrate=;=3" };
	long total[3] = { 0 };

	for (int i = 0; i < RATE; i++)
		pcm[i] = (int16_t)lrint(TONE_AMP * sin(2 * M_PI * 440 * i / RATE) +
					TONE_AMP / 2 * sin(2 * M_PI * 1700 * i / RATE));
	for (int k = 0; k < 3; k++) {
		struct codec *c;
		uint8_t out[CODEC_MAX_PAYLOAD];

		CU_ASSERT_EQUAL_FATAL(codec_alloc(&c, codec_by_cfg("opus"), fmtps[k]), 0);
		for (int i = 0; i < 50; i++) {
			int len = codec_encode(c, pcm + i * 160, 160, out, sizeof(out));

			CU_ASSERT(len > 0);
			total[k] += len;
		}
		codec_free(c);
	}
	printf("\n    opus bytes/s: default %ld, maxaveragebitrate=8000 %ld ", total[0], total[1]);
	CU_ASSERT(total[1] * 8 <= 8000 * 1.2);		/* within VBR's swing of the cap */
	CU_ASSERT(total[0] > total[1] * 3 / 2);
	CU_ASSERT(labs(total[2] - total[0]) < total[0] / 10);
}

/* Truncated, empty and garbage payloads: -errno, never a crash. */
static void test_bad_payloads(void)
{
	struct codec *c;
	int16_t pcm[CODEC_MAX_FRAME];
	uint8_t pl[CODEC_MAX_PAYLOAD];
	const struct codec_desc *d;
	int len;

	for (int i = 0; (d = codec_nth(i)); i++) {
		CU_ASSERT_EQUAL_FATAL(codec_alloc(&c, d, NULL), 0);
		CU_ASSERT_EQUAL(codec_decode(c, pl, 0, pcm, CODEC_MAX_FRAME), -EBADMSG);
		CU_ASSERT_EQUAL(codec_decode(c, pl, CODEC_MAX_PAYLOAD + 1, pcm, CODEC_MAX_FRAME), -EBADMSG);
		/* a good 20 ms packet into room for 10 ms */
		memset(pcm, 0, sizeof(pcm));
		len = codec_encode(c, pcm, 160, pl, sizeof(pl));
		CU_ASSERT_FATAL(len > 0);
		CU_ASSERT_EQUAL(codec_decode(c, pl, (size_t)len, pcm, 80), -ENOSPC);
		codec_free(c);
	}
	CU_ASSERT_EQUAL_FATAL(codec_alloc(&c, codec_by_cfg("gsmfr"), NULL), 0);
	len = codec_encode(c, pcm, 160, pl, sizeof(pl));
	CU_ASSERT_EQUAL(codec_decode(c, pl, 32, pcm, CODEC_MAX_FRAME), -EBADMSG);	/* cut */
	CU_ASSERT_EQUAL(codec_decode(c, pl, 34, pcm, CODEC_MAX_FRAME), -EBADMSG);
	pl[0] = 0x20;						/* no 0xD signature */
	CU_ASSERT_EQUAL(codec_decode(c, pl, 33, pcm, CODEC_MAX_FRAME), -EBADMSG);
	codec_free(c);

	CU_ASSERT_EQUAL_FATAL(codec_alloc(&c, codec_by_cfg("opus"), NULL), 0);
	/* RFC 6716 3.2.5: code 3 with a frame count of 0 is invalid (R5) */
	CU_ASSERT_EQUAL(codec_decode(c, (const uint8_t[]){ 0x03, 0x00 }, 2, pcm, CODEC_MAX_FRAME), -EBADMSG);
	/* code 1 (two equal frames) needs an even remainder (R3) */
	CU_ASSERT_EQUAL(codec_decode(c, (const uint8_t[]){ 0x01, 0x55, 0x55, 0x55 }, 4, pcm,
				     CODEC_MAX_FRAME), -EBADMSG);
	/* code 3, 48 frames of 20 ms: 960 ms, past R5's 120 ms */
	CU_ASSERT_EQUAL(codec_decode(c, (const uint8_t[]){ 0x0b, 0x30, 0, 0 }, 4, pcm, CODEC_MAX_FRAME),
			-EBADMSG);
	codec_free(c);
}

int suite_codec_add(void)
{
	static const CU_TestInfo tests[] = {
		{ "table: names, clocks, static pts", test_table },
		{ "G.711 1 kHz tone round trip", test_g711_tone },
		{ "G.722 1 kHz tone round trip", test_g722_tone },
		{ "GSM 06.10 1 kHz tone round trip", test_gsm_tone },
		{ "Opus 1 kHz tone round trip, 20/30/60 ms", test_opus_tone },
		{ "packet sizes and -EINVAL/-ENOSPC", test_frame_sizes },
		{ "Opus fmtp maxaveragebitrate", test_opus_fmtp },
		{ "empty, cut and garbage payloads", test_bad_payloads },
		CU_TEST_INFO_NULL,
	};

	return unit_suite_add("codec", tests);
}
