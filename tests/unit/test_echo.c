/* sipgw - unit tests: the line echo canceller (src/dsp/echo.c). espeak-ng
 * speech (tests/data/README.md) played to a synthetic 2-wire tail: one of
 * G.168 Annex D's model hybrids, 10-30 ms away, ERL 6-12 dB, Hoth noise and
 * G.711 on the line (src/dsp/echo_path.c). What a voice engineer checks:
 * the echo is down >= 30 dB once converged (and the canceller says so), the
 * near party survives double talk, the line noise still comes through, and
 * a disabled canceller passes audio bit-exact. SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsp/dtmf.h"
#include "dsp/echo.h"
#include "dsp/echo_path.h"
#include "unit.h"

#define RATE 8000
#define FR ECHO_FRAME
#define DBM0_MEANSQ 2.6e8	/* mean square of 0 dBm0 in 16-bit samples */

struct speech {
	int16_t *a;
	size_t n;
};

static int speech_load(struct speech *s, const char *name)
{
	const char *srcdir = getenv("SIPGW_SRCDIR");
	char path[512];
	FILE *f;
	long len;

	snprintf(path, sizeof(path), "%s/tests/data/%s", srcdir ? srcdir : ".", name);
	f = fopen(path, "rb");
	if (!f)
		return -errno;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	s->n = (size_t)len / 2 / FR * FR;
	s->a = malloc(s->n * 2);
	if (!s->a || fread(s->a, 2, s->n, f) != s->n) {
		fclose(f);
		free(s->a);
		return -EIO;
	}
	fclose(f);
	return 0;
}

static double meansq(const int16_t *a, size_t n)
{
	double s = 0;

	for (size_t i = 0; i < n; i++)
		s += (double)a[i] * a[i];
	return s / (double)n;
}

/* One call's audio: ref = what we play, nr = the near party (zeros when
 * silent), in = what the line returns, out = after the canceller. */
struct run {
	size_t n;
	int16_t *ref, *nr, *in, *out;
};

static void run_free(struct run *r)
{
	free(r->ref);
	free(r->nr);
	free(r->in);
	free(r->out);
}

/* far looped to n samples; near (may be NULL) from near_at on */
static int run_make(struct run *r, const struct echo_path_params *pp, const struct speech *far,
		    size_t n, const struct speech *near, size_t near_at)
{
	struct echo_path *ep;

	r->n = n;
	r->ref = malloc(n * 2);
	r->nr = calloc(n, 2);
	r->in = malloc(n * 2);
	r->out = malloc(n * 2);
	if (!r->ref || !r->nr || !r->in || !r->out || echo_path_alloc(&ep, pp))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		r->ref[i] = far->a[i % far->n];
	for (size_t i = 0; near && i < near->n && near_at + i < n; i++)
		r->nr[near_at + i] = near->a[i];
	for (size_t off = 0; off < n; off += FR)
		echo_path_run(ep, r->ref + off, r->nr + off, r->in + off, FR);
	echo_path_free(ep);
	return 0;
}

static void run_ec(struct run *r, struct echo_can *ec)
{
	for (size_t off = 0; off < r->n; off += FR)
		echo_can_process(ec, r->ref + off, r->in + off, r->out + off, FR);
}

/* Over the frames from `from` on where the near party is silent and the
 * echo is above -50 dBm0: ERLE = in / out, ERL = ref / in, in dB. */
static void echo_figures(const struct run *r, size_t from, double *erle, double *erl)
{
	double s_ref = 0, s_in = 0, s_out = 0;

	for (size_t off = from; off + FR <= r->n; off += FR) {
		double pi = meansq(r->in + off, FR);

		if (meansq(r->nr + off, FR) > 0 || pi < DBM0_MEANSQ * 1e-5)
			continue;
		s_ref += meansq(r->ref + off, FR);
		s_in += pi;
		s_out += meansq(r->out + off, FR);
	}
	*erle = 10 * log10(s_in / fmax(s_out, 1e-3));
	*erl = 10 * log10(s_ref / s_in);
}

static struct speech far, near;

static int suite_init(void)
{
	return speech_load(&far, "speech_far.s16") || speech_load(&near, "speech_near.s16") ? -1 : 0;
}

static int suite_clean(void)
{
	free(far.a);
	free(near.a);
	return 0;
}

/* ---- ERLE after convergence, on three model hybrids */

static void check_erle(const struct echo_path_params *pp)
{
	struct run r;
	struct echo_can *ec;
	double erle, erl, ec_erle, ec_erl;

	CU_ASSERT_EQUAL_FATAL(run_make(&r, pp, &far, far.n, NULL, 0), 0);
	CU_ASSERT_EQUAL_FATAL(echo_can_alloc(&ec, 128), 0);
	run_ec(&r, ec);
	/* G.168 6.4.2.1 allows 1 s to converge; speech adapts slower than
	 * its composite source signal, so count from 3 s of 8.5 */
	echo_figures(&r, 3 * RATE, &erle, &erl);
	ec_erle = echo_can_erle_db(ec);
	ec_erl = echo_can_erl_db(ec);
	printf("\n    D.%d %d ms ERL %.0f: measured ERLE %.1f dB ERL %.1f dB; canceller says "
	       "ERLE %.1f ERL %.1f ", pp->model, pp->delay_ms, pp->erl_db, erle, erl, ec_erle,
	       ec_erl);
	CU_ASSERT(erle >= 30);
	/* the canceller's own figures, as the call's log line will print them */
	CU_ASSERT(ec_erle >= 30);
	CU_ASSERT(fabs(ec_erl - erl) <= 2);
	/* the path is the hybrid asked for: speech's ERL within a few dB of white noise's */
	CU_ASSERT(fabs(erl - pp->erl_db) <= 4);
	echo_can_free(ec);
	run_free(&r);
}

static void test_erle_d2_10ms_erl6_ulaw(void)
{
	check_erle(&(struct echo_path_params){ .model = 2, .delay_ms = 10, .erl_db = 6,
					       .noise_dbm0 = -70, .law = LAW_ULAW });
}

static void test_erle_d4_20ms_erl9_alaw(void)
{
	check_erle(&(struct echo_path_params){ .model = 4, .delay_ms = 20, .erl_db = 9,
					       .noise_dbm0 = -70, .law = LAW_ALAW });
}

static void test_erle_d7_30ms_erl12_ulaw(void)
{
	check_erle(&(struct echo_path_params){ .model = 7, .delay_ms = 30, .erl_db = 12,
					       .noise_dbm0 = -70, .law = LAW_ULAW });
}

/* A 5 ms hybrid behind a 32 ms tail: the shortest tail the config allows. */
static void test_erle_short_tail(void)
{
	struct echo_path_params pp = { .model = 3, .delay_ms = 5, .erl_db = 8, .noise_dbm0 = -70,
				       .law = LAW_ALAW };
	struct run r;
	struct echo_can *ec;
	double erle, erl;

	CU_ASSERT_EQUAL_FATAL(run_make(&r, &pp, &far, far.n, NULL, 0), 0);
	CU_ASSERT_EQUAL_FATAL(echo_can_alloc(&ec, 32), 0);
	run_ec(&r, ec);
	echo_figures(&r, 3 * RATE, &erle, &erl);
	CU_ASSERT(erle >= 30);
	echo_can_free(ec);
	run_free(&r);
}

/* ---- double talk: the near party keeps its voice, the canceller its grip */

static void test_double_talk(void)
{
	struct echo_path_params pp = { .model = 4, .delay_ms = 20, .erl_db = 9, .noise_dbm0 = -70,
				       .law = LAW_ULAW };
	/* far talks throughout (17 s); near from 5 s for its 5 s, over the far */
	size_t n = 2 * far.n, at = 5 * RATE, end = at + near.n;
	struct run r;
	struct echo_can *ec;
	double s_near = 0, s_out = 0, dt_db, erle, erl;

	CU_ASSERT_EQUAL_FATAL(run_make(&r, &pp, &far, n, &near, at), 0);
	CU_ASSERT_EQUAL_FATAL(echo_can_alloc(&ec, 128), 0);
	run_ec(&r, ec);
	for (size_t off = at; off < end; off += FR) {
		double pn = meansq(r.nr + off, FR);

		if (pn < DBM0_MEANSQ * 1e-4)	/* the near party's pauses */
			continue;
		s_near += pn;
		s_out += meansq(r.out + off, FR);
	}
	dt_db = 10 * log10(s_out / s_near);
	/* after the double talk: far-end single talk again, still cancelled */
	echo_figures(&r, end + RATE, &erle, &erl);
	printf("\n    near speech out/in %.1f dB, ERLE after the double talk %.1f dB ", dt_db, erle);
	CU_ASSERT(fabs(dt_db) <= 3);
	CU_ASSERT(erle >= 30);
	echo_can_free(ec);
	run_free(&r);
}

/* ---- comfort noise: where the echo was, the line's own noise, not silence */

static void test_comfort_noise(void)
{
	struct echo_path_params pp = { .model = 2, .delay_ms = 10, .erl_db = 6, .noise_dbm0 = -50,
				       .law = LAW_ALAW };
	struct run r;
	struct echo_can *ec;
	double s_quiet = 0, s_echo = 0, quiet_db, echo_db;
	unsigned nq = 0, ne = 0;

	CU_ASSERT_EQUAL_FATAL(run_make(&r, &pp, &far, far.n, NULL, 0), 0);
	CU_ASSERT_EQUAL_FATAL(echo_can_alloc(&ec, 128), 0);
	run_ec(&r, ec);
	/* from 3 s: frames whose return is the noise alone vs frames with echo
	 * (the echo is >= 10 dB above the noise there) */
	for (size_t off = 3 * RATE; off + FR <= r.n; off += FR) {
		double pi = meansq(r.in + off, FR);

		if (pi < DBM0_MEANSQ * pow(10, -4.8)) {
			s_quiet += meansq(r.out + off, FR);
			nq++;
		} else if (pi > DBM0_MEANSQ * 1e-4) {
			s_echo += meansq(r.out + off, FR);
			ne++;
		}
	}
	CU_ASSERT_FATAL(nq > 10 && ne > 10);
	quiet_db = 10 * log10(s_quiet / nq / DBM0_MEANSQ);
	echo_db = 10 * log10(s_echo / ne / DBM0_MEANSQ);
	printf("\n    out: %.1f dBm0 between words, %.1f dBm0 where the echo was ", quiet_db, echo_db);
	/* the background goes on through the echo (no NLP hole) ... */
	CU_ASSERT(echo_db >= quiet_db - 6);
	/* ... and what replaced the echo (~ -30 dBm0 in) is about the noise */
	CU_ASSERT(echo_db <= quiet_db + 6);
	echo_can_free(ec);
	run_free(&r);
}

/* ---- disabled (fax/modem): bit-exact, in place or not */

static void test_disabled_passthrough(void)
{
	struct echo_can *ec;
	int16_t ref[FR], in[FR], out[FR], keep[FR];

	CU_ASSERT_EQUAL_FATAL(echo_can_alloc(&ec, 64), 0);
	CU_ASSERT_TRUE(echo_can_enabled(ec));
	/* some enabled frames first: disabling after adaptation must not leak state */
	for (int f = 0; f < 100; f++) {
		memcpy(ref, far.a + (size_t)f * FR, sizeof(ref));
		for (int i = 0; i < FR; i++)
			in[i] = (int16_t)(ref[i] / 3);
		echo_can_process(ec, ref, in, out, FR);
	}
	echo_can_disable(ec);
	CU_ASSERT_FALSE(echo_can_enabled(ec));
	for (int f = 100; f < 150; f++) {
		memcpy(ref, far.a + (size_t)f * FR, sizeof(ref));
		for (int i = 0; i < FR; i++)
			in[i] = (int16_t)(ref[i] / 3 + near.a[(size_t)f * FR + i]);
		memcpy(keep, in, sizeof(in));
		echo_can_process(ec, ref, in, out, FR);
		CU_ASSERT_EQUAL(memcmp(out, keep, sizeof(out)), 0);
		echo_can_process(ec, ref, in, in, FR);
		CU_ASSERT_EQUAL(memcmp(in, keep, sizeof(in)), 0);
	}
	echo_can_free(ec);
}

/* ---- bounds and the figures before there is anything to measure */

static void test_tail_bounds(void)
{
	struct echo_can *ec = NULL;

	CU_ASSERT_EQUAL(echo_can_alloc(&ec, ECHO_TAIL_MIN_MS - 1), -EINVAL);
	CU_ASSERT_EQUAL(echo_can_alloc(&ec, ECHO_TAIL_MAX_MS + 1), -EINVAL);
	CU_ASSERT_PTR_NULL(ec);
	CU_ASSERT_EQUAL_FATAL(echo_can_alloc(&ec, ECHO_TAIL_MIN_MS), 0);
	echo_can_free(ec);
	CU_ASSERT_EQUAL_FATAL(echo_can_alloc(&ec, ECHO_TAIL_MAX_MS), 0);
	echo_can_free(ec);
	echo_can_free(NULL);
}

static void test_figures_nan_without_far_speech(void)
{
	struct echo_can *ec;
	int16_t ref[FR] = { 0 }, in[FR], out[FR];

	CU_ASSERT_EQUAL_FATAL(echo_can_alloc(&ec, 128), 0);
	CU_ASSERT(isnan(echo_can_erle_db(ec)));
	CU_ASSERT(isnan(echo_can_erl_db(ec)));
	/* 4 s of the near party alone: no far-end single talk, nothing to measure */
	for (int f = 0; f < 200; f++) {
		memcpy(in, near.a + (size_t)f * FR, sizeof(in));
		echo_can_process(ec, ref, in, out, FR);
	}
	CU_ASSERT(isnan(echo_can_erle_db(ec)));
	CU_ASSERT(isnan(echo_can_erl_db(ec)));
	echo_can_free(ec);
}

/* A 4-wire line: the far end talks, nothing comes back. No ERLE to speak
 * of, and an ERL that says "no echo", not a number made of noise. */
static void test_figures_no_echo(void)
{
	struct echo_can *ec;
	int16_t ref[FR], in[FR] = { 0 }, out[FR];

	CU_ASSERT_EQUAL_FATAL(echo_can_alloc(&ec, 128), 0);
	for (int f = 0; f < 300; f++) {
		memcpy(ref, far.a + (size_t)f * FR, sizeof(ref));
		echo_can_process(ec, ref, in, out, FR);
	}
	CU_ASSERT(isnan(echo_can_erle_db(ec)));
	CU_ASSERT(isinf(echo_can_erl_db(ec)) && echo_can_erl_db(ec) > 0);
	echo_can_free(ec);
}

static void heard_digit(void *arg, char d, int begin, unsigned ms)
{
	char *s = arg;
	size_t n = strlen(s);

	if (!begin && n < 15) {
		s[n] = d;
		s[n + 1] = 0;
	}
}

/* DTMF both ways on a line with no echo at all (the digits the far end
 * sends meet the PBX's own in double talk), then the PBX falls silent
 * while the far end sends one more digit: what the canceller passes on
 * must stay silence, not a copy of that digit (the divergence guard). */
static void test_no_echo_tones_both_ways(void)
{
	struct echo_can *ec;
	struct dtmf_play *far, *near;
	struct dtmf_watch *dw;
	int16_t ref[ECHO_FRAME], in[ECHO_FRAME], out[ECHO_FRAME];
	char heard[16] = "";
	double loudest = 0;

	CU_ASSERT_FATAL(echo_can_alloc(&ec, 128) == 0);
	CU_ASSERT_FATAL(dtmf_play_alloc(&far) == 0 && dtmf_play_alloc(&near) == 0);
	CU_ASSERT_FATAL(dtmf_watch_alloc(&dw, heard_digit, heard) == 0);
	for (const char *p = "2468"; *p; p++)
		dtmf_play_end(far, *p, 100);
	for (const char *p = "159"; *p; p++)
		dtmf_play_end(near, *p, 100);
	for (int f = 0; f < 100; f++) {
		memset(ref, 0, sizeof(ref));
		memset(in, 0, sizeof(in));
		dtmf_play_fill(far, ref, ECHO_FRAME);
		dtmf_play_fill(near, in, ECHO_FRAME);
		echo_can_process(ec, ref, in, out, ECHO_FRAME);
		dtmf_watch_feed(dw, out, ECHO_FRAME);
		if (f >= 24) {	/* the PBX's 159 (23 frames) are over: only silence came in */
			double ms = 0;

			for (int i = 0; i < ECHO_FRAME; i++)
				ms += (double)out[i] * out[i] / ECHO_FRAME;
			loudest = fmax(loudest, ms);
		}
	}
	if (strpbrk(heard, "2468") || loudest > 1.0e4)
		printf("heard \"%s\", loudest after the PBX's digits %.0f ", heard, loudest);
	/* none of the far end's digits in what the PBX sent; the PBX's own may
	 * lose one to the suppressor where both talk at once (SpeexDSP's NLP) */
	CU_ASSERT(strpbrk(heard, "2468") == NULL);
	CU_ASSERT(strncmp(heard, "15", 2) == 0);
	CU_ASSERT(loudest <= 1.0e4);	/* about -50 dBov at most */
	dtmf_watch_free(dw);
	dtmf_play_free(far);
	dtmf_play_free(near);
	echo_can_free(ec);
}

int suite_echo_add(void)
{
	static const CU_TestInfo tests[] = {
		{ "ERLE >= 30 dB: G.168 D.2, 10 ms, ERL 6, mu-law", test_erle_d2_10ms_erl6_ulaw },
		{ "ERLE >= 30 dB: G.168 D.4, 20 ms, ERL 9, A-law", test_erle_d4_20ms_erl9_alaw },
		{ "ERLE >= 30 dB: G.168 D.7, 30 ms, ERL 12, mu-law", test_erle_d7_30ms_erl12_ulaw },
		{ "ERLE >= 30 dB with a 32 ms tail", test_erle_short_tail },
		{ "double talk keeps the near speech, then cancels again", test_double_talk },
		{ "the line noise goes on where the echo was", test_comfort_noise },
		{ "disabled: bit-exact passthrough", test_disabled_passthrough },
		{ "tail 32..256 ms", test_tail_bounds },
		{ "ERLE/ERL NAN until the far end talked alone", test_figures_nan_without_far_speech },
		{ "no echo at all: ERLE NAN, ERL infinite", test_figures_no_echo },
		{ "tones both ways, no echo: no digit leaks out", test_no_echo_tones_both_ways },
		{ NULL, NULL }
	};
	CU_pSuite s = CU_add_suite("echo", suite_init, suite_clean);

	if (!s)
		return -1;
	for (const CU_TestInfo *t = tests; t->pName; t++) {
		if (!CU_add_test(s, t->pName, t->pTestFunc))
			return -1;
	}
	return 0;
}
