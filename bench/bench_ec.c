/* sipgw - echo canceller benchmark (issue 11 item 3): SpeexDSP's canceller
 * (src/dsp/echo.c, what sipgw uses) against SpanDSP 0.0.6's echo_can, on
 * espeak-ng speech (tests/data) through G.168 Annex D model echo paths
 * (src/dsp/echo_path.c). Prints, per canceller and path: ERLE after
 * convergence with and without the NLP, the near speech kept in double
 * talk, CPU per channel, and what the canceller wrote to stdout. Figures
 * only: it never fails on a figure. SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <speex/speex_echo.h>

#include "bench/bench_ec.h"
#include "dsp/echo.h"
#include "dsp/echo_path.h"
#include "dsp/fax_tone.h"
#include "dsp/tonezone.h"

#define FRAME ECHO_FRAME
#define TAIL_MS 128
static int tail_ms = TAIL_MS;	/* the run's; the tails table sets it */
#define PASSES 3		/* the far speech, looped: ~25 s */
#define SETTLE_S 4		/* ERLE counted from here on (convergence) */

struct cand {
	const char *name;
	void *(*alloc)(int tail_ms);
	void (*process)(void *ctx, const int16_t *ref, const int16_t *in, int16_t *out, size_t n);
	void (*free)(void *ctx);
};

/* ---- the candidates */

static void *sipgw_alloc(int tail_ms)
{
	struct echo_can *ec;

	return echo_can_alloc(&ec, tail_ms) ? NULL : ec;
}
static void sipgw_process(void *c, const int16_t *ref, const int16_t *in, int16_t *out, size_t n)
{
	echo_can_process(c, ref, in, out, n);
}
static void sipgw_free(void *c)
{
	echo_can_free(c);
}

/* SpeexDSP's linear filter alone (no residual echo suppressor) */
static void *speex_lin_alloc(int tail_ms)
{
	SpeexEchoState *st = speex_echo_state_init(FRAME, tail_ms * 8);
	spx_int32_t rate = 8000;

	if (st)
		speex_echo_ctl(st, SPEEX_ECHO_SET_SAMPLING_RATE, &rate);
	return st;
}
static void speex_lin_process(void *c, const int16_t *ref, const int16_t *in, int16_t *out,
			      size_t n)
{
	int16_t tmp[FRAME];

	speex_echo_cancellation(c, in, ref, tmp);
	memcpy(out, tmp, sizeof(tmp));
}
static void speex_lin_free(void *c)
{
	speex_echo_state_destroy(c);
}

static void *span_lin_alloc(int tail_ms)
{
	return span_ec_alloc(tail_ms, 0);
}
static void *span_nlp_alloc(int tail_ms)
{
	return span_ec_alloc(tail_ms, 1);
}

static const struct cand cands[] = {
	{ "speexdsp MDF + NLP (sipgw)", sipgw_alloc, sipgw_process, sipgw_free },
	{ "speexdsp MDF linear only", speex_lin_alloc, speex_lin_process, speex_lin_free },
	{ "spandsp echo_can NLP+CNG", span_nlp_alloc, span_ec_process, span_ec_free },
	{ "spandsp echo_can linear", span_lin_alloc, span_ec_process, span_ec_free },
};

static const struct echo_path_params paths[] = {
	{ .model = 2, .delay_ms = 10, .erl_db = 6, .noise_dbm0 = -70, .law = LAW_ULAW },
	{ .model = 4, .delay_ms = 20, .erl_db = 9, .noise_dbm0 = -70, .law = LAW_ALAW },
	{ .model = 7, .delay_ms = 30, .erl_db = 12, .noise_dbm0 = -70, .law = LAW_ULAW },
};

/* ---- the run */

static int16_t *load(const char *path, size_t *np)
{
	FILE *f = fopen(path, "rb");
	struct stat sb;
	int16_t *a;

	if (!f || fstat(fileno(f), &sb) < 0) {
		if (f)
			fclose(f);
		return NULL;
	}
	*np = (size_t)sb.st_size / 2 / FRAME * FRAME;
	a = malloc(*np * 2 + 1);
	if (a && fread(a, 2, *np, f) != *np) {
		free(a);
		a = NULL;
	}
	fclose(f);
	return a;
}

static double meansq(const int16_t *a, size_t n)
{
	double s = 0;

	for (size_t i = 0; i < n; i++)
		s += (double)a[i] * a[i];
	return s / (double)n;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

struct result {
	double erle_db;		/* far-end single talk, after SETTLE_S */
	double dt_db;		/* out / near over double-talk frames (0 = near speech intact) */
	double us_per_frame;	/* CPU per 20 ms frame, one channel */
	double stdout_per_sample;
};

/* far looped PASSES times; the near party talks through the last pass
 * (double talk), silent before. in = the line's return (echo_path). */
static int run(const struct cand *c, const struct echo_path_params *pp, const int16_t *far,
	       size_t nfar, const int16_t *near, size_t nnear, struct result *r)
{
	struct echo_path *ep;
	void *ctx;
	size_t total = nfar * PASSES, dt_start = nfar * (PASSES - 1);
	int16_t *ref = malloc(total * 2), *in = malloc(total * 2), *nr = calloc(total, 2);
	int16_t *out = malloc(total * 2);
	double s_in = 0, s_out = 0, s_near = 0, s_dt = 0, t0, t1;
	char tmpl[] = "/tmp/bench-ec-stdout-XXXXXX";
	int fd, saved;
	struct stat sb;

	if (!ref || !in || !nr || !out || echo_path_alloc(&ep, pp))
		return -ENOMEM;
	for (size_t i = 0; i < total; i++)
		ref[i] = far[i % nfar];
	for (size_t i = 0; i < nnear && dt_start + i < total; i++)
		nr[dt_start + i] = near[i];
	for (size_t off = 0; off < total; off += FRAME)
		echo_path_run(ep, ref + off, nr + off, in + off, FRAME);
	echo_path_free(ep);

	ctx = c->alloc(tail_ms);
	if (!ctx)
		return -ENOMEM;
	/* whatever the canceller prints goes to a file we measure, not to the terminal */
	fflush(stdout);
	fd = mkstemp(tmpl);
	saved = dup(1);
	dup2(fd, 1);
	t0 = now_s();
	for (size_t off = 0; off < total; off += FRAME)
		c->process(ctx, ref + off, in + off, out + off, FRAME);
	t1 = now_s();
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	fstat(fd, &sb);
	close(fd);
	unlink(tmpl);
	c->free(ctx);

	for (size_t off = SETTLE_S * 8000; off + FRAME <= total; off += FRAME) {
		double pn = meansq(nr + off, FRAME), pi = meansq(in + off, FRAME);
		double po = meansq(out + off, FRAME);

		if (pn == 0 && pi > 2.6e8 * 1e-5) {	/* echo above -50 dBm0, no near party */
			s_in += pi;
			s_out += po;
		} else if (pn > 2.6e8 * 1e-4) {		/* near party above -40 dBm0 */
			s_near += pn;
			s_dt += po;
		}
	}
	r->erle_db = 10 * log10(s_in / fmax(s_out, 1e-3));
	r->dt_db = s_near > 0 ? 10 * log10(s_dt / s_near) : NAN;
	r->us_per_frame = (t1 - t0) * 1e6 / (double)(total / FRAME);
	r->stdout_per_sample = (double)sb.st_size / (double)total;
	free(ref);
	free(in);
	free(nr);
	free(out);
	return 0;
}

/* The other stages pri_media.c runs per frame beside the canceller: the
 * fax/modem tone detector (one per direction while the canceller is on)
 * on speech, and the ringback player. */
static void other_stages(const int16_t *far, size_t nfar)
{
	struct fax_tone_det *det;
	struct tone_player *tp;
	int16_t buf[FRAME];
	size_t frames = nfar / FRAME * 4;
	double t0, t1;

	if (fax_tone_det_alloc(&det) || tone_player_alloc(&tp, "us", TZ_RINGBACK)) {
		fprintf(stderr, "bench-ec: out of memory\n");
		return;
	}
	t0 = now_s();
	for (size_t f = 0; f < frames; f++)
		fax_tone_feed(det, far + (f * FRAME) % nfar, FRAME);
	t1 = now_s();
	printf("%-28s %-22s %8s %8s %9.1f %9.0f\n", "fax_tone_feed (CED/ANS/V.21)", "speech", "", "",
	       (t1 - t0) * 1e6 / (double)frames, 20000 / ((t1 - t0) * 1e6 / (double)frames));
	t0 = now_s();
	for (size_t f = 0; f < frames; f++)
		tone_player_fill(tp, buf, FRAME);
	t1 = now_s();
	printf("%-28s %-22s %8s %8s %9.1f %9.0f\n", "tone_player_fill (ringback)", "us 440+480", "", "",
	       (t1 - t0) * 1e6 / (double)frames, 20000 / ((t1 - t0) * 1e6 / (double)frames));
	fax_tone_det_free(det);
	tone_player_free(tp);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "tests/data";
	char pf[512], pn[512];
	size_t nfar, nnear;
	int16_t *far, *near;

	snprintf(pf, sizeof(pf), "%s/speech_far.s16", dir);
	snprintf(pn, sizeof(pn), "%s/speech_near.s16", dir);
	far = load(pf, &nfar);
	near = load(pn, &nnear);
	if (!far || !near) {
		fprintf(stderr, "bench-ec: cannot read %s or %s\n", pf, pn);
		return 1;
	}
	printf("== echo canceller: tail %d ms, %.1f s of speech (far end looped %d times, the near "
	       "party talking through the last pass), Hoth noise -70 dBm0, G.711 line\n",
	       TAIL_MS, (double)nfar * PASSES / 8000, PASSES);
	printf("%-28s %-22s %8s %8s %9s %9s %12s\n", "canceller", "echo path", "ERLE dB",
	       "DT dB", "us/frame", "ch/core", "stdout B/smp");
	for (size_t c = 0; c < sizeof(cands) / sizeof(cands[0]); c++) {
		for (size_t p = 0; p < sizeof(paths) / sizeof(paths[0]); p++) {
			struct result r;
			char pname[40];

			if (run(&cands[c], &paths[p], far, nfar, near, nnear, &r)) {
				fprintf(stderr, "bench-ec: %s: out of memory\n", cands[c].name);
				return 1;
			}
			snprintf(pname, sizeof(pname), "G.168 D.%d %dms ERL %.0f", paths[p].model,
				 paths[p].delay_ms, paths[p].erl_db);
			printf("%-28s %-22s %8.1f %8.1f %9.1f %9.0f %12.2f\n", cands[c].name, pname,
			       r.erle_db, r.dt_db, r.us_per_frame, 20000 / r.us_per_frame,
			       r.stdout_per_sample);
		}
	}
	/* a stationary tone at -10 dBm0 (peak 22718 * 10^(-10/20)), a test
	 * tone or a long note of hold music: the MDF filter has no unique
	 * solution for one frequency and could wander */
	{
		int16_t *tone = malloc(nfar * sizeof(*tone));

		for (size_t i = 0; tone && i < nfar; i++)
			tone[i] = (int16_t)lrint(7184 * sin(2 * M_PI * 1000 * (double)i / 8000));
		for (size_t p = 0; tone && p < sizeof(paths) / sizeof(paths[0]); p++) {
			struct result r;
			char pname[40];

			if (run(&cands[0], &paths[p], tone, nfar, near, nnear, &r))
				break;
			snprintf(pname, sizeof(pname), "G.168 D.%d %dms ERL %.0f", paths[p].model,
				 paths[p].delay_ms, paths[p].erl_db);
			printf("%-28s %-22s %8.1f %8.1f %9.1f %9.0f %12.2f\n", "sipgw on 1 kHz -10 dBm0 tone",
			       pname, r.erle_db, r.dt_db, r.us_per_frame, 20000 / r.us_per_frame,
			       r.stdout_per_sample);
		}
		free(tone);
	}
	/* The tail is what the canceller costs most by (its filter has a
	 * partition per 20 ms of tail): sipgw's canceller at each tail the
	 * config allows short of 256, on the shortest and the longest echo
	 * path. A PBX on a PRI usually returns its hybrid's echo within a
	 * few ms; a tail covers the echo path's delay plus its spread. */
	printf("-- sipgw's canceller by tail (echo_tail_ms): ERLE and CPU per frame\n");
	for (int t = 32; t <= 128; t *= 2) {
		tail_ms = t;
		for (size_t p = 0; p < sizeof(paths) / sizeof(paths[0]); p++) {
			struct result r;
			char pname[40], cname[40];

			if (run(&cands[0], &paths[p], far, nfar, near, nnear, &r))
				break;
			snprintf(pname, sizeof(pname), "G.168 D.%d %dms ERL %.0f", paths[p].model,
				 paths[p].delay_ms, paths[p].erl_db);
			snprintf(cname, sizeof(cname), "sipgw, tail %d ms", t);
			printf("%-28s %-22s %8.1f %8.1f %9.1f %9.0f %12.2f\n", cname, pname, r.erle_db,
			       r.dt_db, r.us_per_frame, 20000 / r.us_per_frame, r.stdout_per_sample);
		}
	}
	tail_ms = TAIL_MS;
	other_stages(far, nfar);
	printf("ERLE: echo power in / out over far-end-only frames after %d s; DT: out / near "
	       "speech power over double-talk frames (0 dB: near speech intact); us/frame: CPU "
	       "per 20 ms frame of one channel; ch/core: channels one core carries at that cost\n",
	       SETTLE_S);
	free(far);
	free(near);
	return 0;
}
