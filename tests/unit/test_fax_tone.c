/* sipgw - unit tests: fax and modem tone detection (src/dsp/fax_tone.c).
 * Each tone made by SpanDSP's own generators (modem_connect_tones_tx; a
 * V.21 channel 2 modulator sending HDLC flags), carried over G.711 A-law
 * as on an E1, must be recognised as its kind exactly once; speech, DTMF
 * and a 1 kHz test tone must never be taken for one. SPDX-License-Identifier: GPL-2.0-only */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <spandsp.h>

#include "dsp/fax_tone.h"
#include "dsp/g711.h"
#include "dsp/tone.h"
#include "unit.h"

#define FR 160

/* What came out of one detector fed `frames` 20 ms frames from gen. */
struct heard {
	enum fax_tone first;
	int first_frame;
	unsigned count[FAX_TONE_V21 + 1];
	unsigned long fed, skipped;	/* the gate's (fax_tone_det_counts) */
};

typedef void (gen_h)(void *arg, int16_t *amp, size_t n);
static int answer_only;		/* listen() with fax_tone_det_alloc_answer */

static void listen(gen_h *gen, void *arg, int frames, struct heard *h)
{
	struct fax_tone_det *det;
	int16_t a[FR];
	uint8_t g[FR];

	memset(h, 0, sizeof(*h));
	h->first_frame = -1;
	CU_ASSERT_EQUAL_FATAL(answer_only ? fax_tone_det_alloc_answer(&det) : fax_tone_det_alloc(&det), 0);
	for (int f = 0; f < frames; f++) {
		enum fax_tone t;

		gen(arg, a, FR);
		g711_law_encode(LAW_ALAW, a, g, FR);
		g711_law_decode(LAW_ALAW, g, a, FR);
		for (t = fax_tone_feed(det, a, FR); t != FAX_TONE_NONE; t = fax_tone_feed(det, a, 0)) {
			if (h->first_frame < 0) {
				h->first = t;
				h->first_frame = f;
			}
			h->count[t]++;
		}
	}
	fax_tone_det_counts(det, &h->fed, &h->skipped);
	fax_tone_det_free(det);
}

/* ---- the generators */

static void gen_connect_tone(void *arg, int16_t *amp, size_t n)
{
	int got = modem_connect_tones_tx(arg, amp, (int)n);

	memset(amp + got, 0, (n - (size_t)got) * sizeof(*amp));
}

static void check_connect_tone(int spandsp_type, enum fax_tone want, int within_frames)
{
	modem_connect_tones_tx_state_t *tx = modem_connect_tones_tx_init(NULL, spandsp_type);
	struct heard h;

	CU_ASSERT_PTR_NOT_NULL_FATAL(tx);
	listen(gen_connect_tone, tx, 400, &h);		/* 8 s */
	modem_connect_tones_tx_free(tx);
	printf("\n    %s: %s after %d ms ", modem_connect_tone_to_str(spandsp_type),
	       fax_tone_name(h.first), h.first_frame * 20);
	CU_ASSERT_EQUAL(h.first, want);
	CU_ASSERT(h.first_frame >= 0 && h.first_frame < within_frames);
	/* once, and nothing else, however long it goes on */
	for (int t = FAX_TONE_CNG; t <= FAX_TONE_V21; t++)
		CU_ASSERT_EQUAL(h.count[t], t == (int)want ? 1u : 0u);
}

static void test_cng(void)
{
	/* 0.5 s bursts: recognised within the first burst, reported once over two */
	check_connect_tone(MODEM_CONNECT_TONES_FAX_CNG, FAX_TONE_CNG, 30);
}

/* The T.38 watch's detector has no CNG receiver: CNG goes unheard, the
 * answering side's tones as with both. */
static void test_answer_only(void)
{
	modem_connect_tones_tx_state_t *tx = modem_connect_tones_tx_init(NULL, MODEM_CONNECT_TONES_FAX_CNG);
	struct heard h;

	CU_ASSERT_PTR_NOT_NULL_FATAL(tx);
	answer_only = 1;
	listen(gen_connect_tone, tx, 400, &h);
	modem_connect_tones_tx_free(tx);
	CU_ASSERT_EQUAL(h.first_frame, -1);
	CU_ASSERT(h.fed > 0);	/* the gate opened at 1100 Hz: the ANS receiver heard it, said nothing */
	check_connect_tone(MODEM_CONNECT_TONES_ANS, FAX_TONE_CED, 60);
	check_connect_tone(MODEM_CONNECT_TONES_ANS_PR, FAX_TONE_ANS_PR, 100);
	answer_only = 0;
}

static void test_ced(void)
{
	check_connect_tone(MODEM_CONNECT_TONES_ANS, FAX_TONE_CED, 60);
}

static void test_ans_pr(void)
{
	/* the first reversal comes 450 ms in: recognised by about 2 s */
	check_connect_tone(MODEM_CONNECT_TONES_ANS_PR, FAX_TONE_ANS_PR, 100);
}

static void test_ansam_pr(void)
{
	check_connect_tone(MODEM_CONNECT_TONES_ANSAM_PR, FAX_TONE_ANS_PR, 100);
}

static void test_ansam_is_ced(void)
{
	/* V.8 ANSam without reversals does not disable a G.165 canceller */
	check_connect_tone(MODEM_CONNECT_TONES_ANSAM, FAX_TONE_CED, 60);
}

struct v21 {
	hdlc_tx_state_t *hdlc;
	fsk_tx_state_t *fsk;
};

static int v21_bit(void *arg)
{
	return hdlc_tx_get_bit(arg);
}

static void gen_v21(void *arg, int16_t *amp, size_t n)
{
	struct v21 *v = arg;

	fsk_tx(v->fsk, amp, (int)n);
}

/* A V.21 channel 2 modulator sending 40 HDLC flags (about 1 s). */
static void v21_start(struct v21 *v)
{
	v->hdlc = hdlc_tx_init(NULL, FALSE, 2, FALSE, NULL, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v->hdlc);
	hdlc_tx_flags(v->hdlc, 40);
	v->fsk = fsk_tx_init(NULL, &preset_fsk_specs[FSK_V21CH2], v21_bit, v->hdlc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v->fsk);
}

static void test_v21_preamble(void)
{
	struct v21 v;
	struct heard h;

	/* T.30 5.3.1: 1 s of flags before the first frame; 300 bit/s = 37 flags/s */
	v21_start(&v);
	listen(gen_v21, &v, 50, &h);			/* 1 s */
	fsk_tx_free(v.fsk);
	hdlc_tx_free(v.hdlc);
	printf("\n    V.21 flags: %s after %d ms ", fax_tone_name(h.first), h.first_frame * 20);
	CU_ASSERT_EQUAL(h.first, FAX_TONE_V21);
	CU_ASSERT(h.first_frame >= 0 && h.first_frame < 25);
	CU_ASSERT_EQUAL(h.count[FAX_TONE_V21], 1);
}

/* ---- what must not be taken for a fax */

struct pcm {
	const int16_t *a;
	size_t n, pos;
};

static void gen_pcm(void *arg, int16_t *amp, size_t n)
{
	struct pcm *p = arg;

	for (size_t i = 0; i < n; i++, p->pos++)
		amp[i] = p->pos < p->n ? p->a[p->pos] : 0;
}

static int16_t *load(const char *name, size_t *np)
{
	const char *srcdir = getenv("SIPGW_SRCDIR");
	char path[512];
	FILE *f;
	int16_t *a;
	long len;

	snprintf(path, sizeof(path), "%s/tests/data/%s", srcdir ? srcdir : ".", name);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	*np = (size_t)len / 2;
	a = malloc((size_t)len);
	if (a && fread(a, 2, *np, f) != *np) {
		free(a);
		a = NULL;
	}
	fclose(f);
	return a;
}

static void expect_nothing(struct heard *h, const char *what)
{
	if (h->first_frame >= 0)
		printf("\n    %s taken for %s at %d ms ", what, fax_tone_name(h->first),
		       h->first_frame * 20);
	CU_ASSERT_EQUAL(h->first_frame, -1);
}

static void test_speech_is_no_fax(void)
{
	const char *files[] = { "speech_far.s16", "speech_near.s16" };
	struct heard h;

	for (size_t i = 0; i < 2; i++) {
		struct pcm p = { 0 };
		int16_t *a = load(files[i], &p.n);

		CU_ASSERT_PTR_NOT_NULL_FATAL(a);
		p.a = a;
		listen(gen_pcm, &p, (int)(p.n / FR), &h);
		expect_nothing(&h, files[i]);
		free(a);
	}
}

static void gen_dtmf(void *arg, int16_t *amp, size_t n)
{
	dtmf_gen_fill(arg, amp, n);
}

static void test_dtmf_is_no_fax(void)
{
	struct dtmf_gen *dg;
	struct heard h;

	CU_ASSERT_EQUAL_FATAL(dtmf_gen_alloc(&dg, "0123456789*#ABCD0123456789*#"), 0);
	listen(gen_dtmf, dg, 300, &h);			/* 28 digits, 100 ms on / off */
	dtmf_gen_free(dg);
	expect_nothing(&h, "DTMF");
}

static void gen_sine(void *arg, int16_t *amp, size_t n)
{
	sine_gen_fill(arg, amp, n);
}

static void test_1khz_is_no_fax(void)
{
	struct sine_gen *sg;
	struct heard h;

	/* the milliwatt test tone (1004 Hz in G.711 practice, 1000 Hz here), 6 s */
	CU_ASSERT_EQUAL_FATAL(sine_gen_alloc(&sg, 1000, 0), 0);
	listen(gen_sine, sg, 300, &h);
	sine_gen_free(sg);
	expect_nothing(&h, "1 kHz");
	CU_ASSERT_EQUAL_FATAL(sine_gen_alloc(&sg, 1004, -10), 0);
	listen(gen_sine, sg, 300, &h);
	sine_gen_free(sg);
	expect_nothing(&h, "1004 Hz");
}

/* ---- the gate: SpanDSP sees only frames that may hold a tone */

/* White noise at -35 dBm0 (the load rig's level), a 32-bit LCG summed
 * four times (near Gaussian), mixed into what gen makes after `after`
 * frames (gen NULL: noise alone). */
struct noisy {
	uint32_t seed;
	int frame, after;
	gen_h *gen;
	void *arg;
};

static void gen_noisy(void *arg, int16_t *amp, size_t n)
{
	struct noisy *ns = arg;
	int16_t t[FR] = { 0 };

	if (ns->gen && ns->frame >= ns->after)
		ns->gen(ns->arg, t, n);
	ns->frame++;
	for (size_t i = 0; i < n; i++) {
		double u = 0;

		for (int k = 0; k < 4; k++) {
			ns->seed = ns->seed * 1664525u + 1013904223u;
			u += (double)(ns->seed >> 8) / 16777216.0 - 0.5;
		}
		/* 4 uniforms: variance 1/3; -35 dBm0 is an RMS of ~287 */
		amp[i] = (int16_t)(t[i] + u * 287.0 * 1.732);
	}
}

static void test_noise_is_gated(void)
{
	struct noisy ns = { .seed = 1 };
	struct heard h;

	listen(gen_noisy, &ns, 500, &h);		/* 10 s */
	expect_nothing(&h, "noise");
	printf("\n    noise -35 dBm0: %lu of %lu frames to SpanDSP ", h.fed, h.fed + h.skipped);
	CU_ASSERT(h.skipped >= 495);
}

static void test_tones_after_noise(void)
{
	static const struct { int type; enum fax_tone want; int within; } tones[] = {
		{ MODEM_CONNECT_TONES_FAX_CNG, FAX_TONE_CNG, 40 },
		{ MODEM_CONNECT_TONES_ANS, FAX_TONE_CED, 60 },
		{ MODEM_CONNECT_TONES_ANS_PR, FAX_TONE_ANS_PR, 100 },
	};
	struct heard h;

	/* 3 s of noise (the gate shut, SpanDSP fed nothing), then the tone
	 * over the same noise: each recognised as fast as from silence */
	for (size_t i = 0; i < sizeof(tones) / sizeof(tones[0]); i++) {
		modem_connect_tones_tx_state_t *tx = modem_connect_tones_tx_init(NULL, tones[i].type);
		struct noisy ns = { .seed = 7, .after = 150, .gen = gen_connect_tone, .arg = tx };

		CU_ASSERT_PTR_NOT_NULL_FATAL(tx);
		listen(gen_noisy, &ns, 150 + 200, &h);
		modem_connect_tones_tx_free(tx);
		printf("\n    noise, then %s: %s %d ms into it ", modem_connect_tone_to_str(tones[i].type),
		       fax_tone_name(h.first), (h.first_frame - 150) * 20);
		CU_ASSERT_EQUAL(h.first, tones[i].want);
		CU_ASSERT(h.first_frame >= 150 && h.first_frame < 150 + tones[i].within);
	}
}

static void test_v21_after_noise(void)
{
	struct v21 v;
	struct noisy ns = { .seed = 9, .after = 150, .gen = gen_v21, .arg = &v };
	struct heard h;

	v21_start(&v);
	listen(gen_noisy, &ns, 150 + 50, &h);
	fsk_tx_free(v.fsk);
	hdlc_tx_free(v.hdlc);
	printf("\n    noise, then V.21 flags: %s %d ms into them ", fax_tone_name(h.first),
	       (h.first_frame - 150) * 20);
	CU_ASSERT_EQUAL(h.first, FAX_TONE_V21);
	CU_ASSERT(h.first_frame >= 150 && h.first_frame < 150 + 25);
}

static void test_names(void)
{
	CU_ASSERT_STRING_EQUAL(fax_tone_name(FAX_TONE_NONE), "none");
	CU_ASSERT_STRING_EQUAL(fax_tone_name(FAX_TONE_CNG), "CNG");
	CU_ASSERT_STRING_EQUAL(fax_tone_name(FAX_TONE_CED), "CED");
	CU_ASSERT_STRING_EQUAL(fax_tone_name(FAX_TONE_ANS_PR), "ANS/PR");
	CU_ASSERT_STRING_EQUAL(fax_tone_name(FAX_TONE_V21), "V.21");
	CU_ASSERT_STRING_EQUAL(fax_tone_name((enum fax_tone)99), "?");
}

int suite_fax_tone_add(void)
{
	static const CU_TestInfo tests[] = {
		{ "CNG 1100 Hz", test_cng },
		{ "CED 2100 Hz", test_ced },
		{ "ANS/ 2100 Hz with phase reversals", test_ans_pr },
		{ "ANSam/ with phase reversals", test_ansam_pr },
		{ "ANSam without reversals is CED", test_ansam_is_ced },
		{ "V.21 HDLC flags", test_v21_preamble },
		{ "speech is no fax", test_speech_is_no_fax },
		{ "DTMF is no fax", test_dtmf_is_no_fax },
		{ "1 kHz test tone is no fax", test_1khz_is_no_fax },
		{ "the gate: noise at -35 dBm0 never reaches SpanDSP", test_noise_is_gated },
		{ "the gate: CNG, CED, ANS/ after 3 s of noise, over it", test_tones_after_noise },
		{ "the gate: V.21 flags after 3 s of noise, over it", test_v21_after_noise },
		{ "names", test_names },
		{ "answer-only detector (T.38 watch): no CNG, CED and ANS/ as before", test_answer_only },
		{ NULL, NULL }
	};

	return unit_suite_add("fax_tone", tests);
}
