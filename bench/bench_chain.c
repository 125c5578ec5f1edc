/* sipgw - benchmark: the B-channel DSP chain of pri_media.c per 20 ms frame
 * and channel, stage by stage (G.711 decode/encode, echo canceller, fax
 * tone detector, DTMF detection), and how many channels one core carries
 * with the canceller and DTMF detection on and no late frame: N channels'
 * frames processed on a real 20 ms clock (clock_nanosleep, absolute), N
 * raised until a tick's work overruns its 20 ms. Figures only, never
 * pass/fail. SPDX-License-Identifier: GPL-2.0-only */
#include <spandsp.h>	/* before dsp/echo.h: see there */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dsp/dtmf.h"
#include "dsp/echo.h"
#include "dsp/echo_path.h"
#include "dsp/fax_tone.h"
#include "dsp/g711.h"

#define N 160
#define TAIL_MS 128
#define RT_SECONDS 3

struct chan {
	struct echo_can *ec;
	struct dtmf_watch *dw;
	struct fax_tone_det *ft;
	struct echo_path *ep;
	int16_t out[N];		/* what was played to the line */
	uint8_t wire[N];	/* what came back, as the card gives it */
	unsigned phase;
	uint8_t sink;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The benchmark's signal has no digits; the watcher runs for its cost. */
static void on_digit(void *arg, char d, int begin, unsigned ms)
{
}

static int chan_init(struct chan *c, int seed)
{
	struct echo_path_params ep = { .model = 2 + seed % 8, .delay_ms = 10, .erl_db = 9,
				       .noise_dbm0 = -65, .law = LAW_ULAW };

	memset(c, 0, sizeof(*c));
	c->phase = (unsigned)seed * 37;
	if (echo_can_alloc(&c->ec, TAIL_MS) || dtmf_watch_alloc(&c->dw, on_digit, NULL) ||
	    fax_tone_det_alloc(&c->ft) || echo_path_alloc(&c->ep, &ep))
		return -ENOMEM;
	return 0;
}

static void chan_free(struct chan *c)
{
	echo_can_free(c->ec);
	dtmf_watch_free(c->dw);
	fax_tone_det_free(c->ft);
	echo_path_free(c->ep);
}

/* The far end's speech-like signal (a 200 Hz-ish buzz with a moving formant,
 * loud enough to exercise the detectors) towards the line, and its echo back. */
static void line_io(struct chan *c)
{
	int16_t rx[N];

	for (int i = 0; i < N; i++, c->phase++)
		c->out[i] = (int16_t)(4000 * sin(2 * M_PI * 180 * c->phase / 8000.0) *
				      (0.6 + 0.4 * sin(2 * M_PI * 3 * c->phase / 8000.0)) +
				      1500 * sin(2 * M_PI * (700 + 300 * sin(c->phase / 4000.0)) * c->phase / 8000.0));
	echo_path_run(c->ep, c->out, NULL, rx, N);
	g711_law_encode(LAW_ULAW, rx, c->wire, N);
}

enum stage { ST_G711 = 1, ST_EC = 2, ST_FAX = 4, ST_DTMF = 8 };

/* One frame of the chain as pri_leg_frame_in + pri_leg_tick run it. */
static void chain(struct chan *c, unsigned stages)
{
	int16_t in[N];
	uint8_t wire[N];

	g711_law_decode(LAW_ULAW, c->wire, in, N);
	if (stages & ST_FAX)
		fax_tone_feed(c->ft, in, N);
	if (stages & ST_EC)
		echo_can_process(c->ec, c->out, in, in, N);
	if (stages & ST_DTMF)
		dtmf_watch_feed(c->dw, in, N);
	g711_law_encode(LAW_ULAW, c->out, wire, N);	/* the frame to the line */
	c->sink ^= wire[N - 1];			/* the encode is not optimised away */
}

/* ns per frame of the given stages, one channel, frames frames. */
static double cost(unsigned stages, int frames)
{
	struct chan c;
	double t, sum = 0;

	if (chan_init(&c, 3))
		return NAN;
	for (int f = 0; f < frames; f++) {
		line_io(&c);	/* the far end, not the gateway: not timed */
		t = now_s();
		chain(&c, stages);
		sum += now_s() - t;
	}
	chan_free(&c);
	return sum / frames * 1e9;
}

/* N channels on a real 20 ms clock for RT_SECONDS: how many ticks ended
 * past their deadline. The far end's signal is made before each tick. */
static int late_ticks(int n, double *busy)
{
	struct chan *cs = calloc((size_t)n, sizeof(*cs));
	struct timespec next;
	int late = 0, ticks = RT_SECONDS * 50;
	double work = 0;

	if (!cs)
		return -1;
	for (int i = 0; i < n; i++)
		if (chan_init(&cs[i], i))
			return -1;
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (int t = 0; t < ticks; t++) {
		double t0;

		for (int i = 0; i < n; i++)
			line_io(&cs[i]);
		next.tv_nsec += 20000000;
		if (next.tv_nsec >= 1000000000) {
			next.tv_nsec -= 1000000000;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
		t0 = now_s();
		for (int i = 0; i < n; i++)
			chain(&cs[i], ST_G711 | ST_EC | ST_FAX | ST_DTMF);
		work += now_s() - t0;
		if (now_s() - t0 > 0.020)
			late++;
	}
	*busy = work / ticks / 0.020;
	for (int i = 0; i < n; i++)
		chan_free(&cs[i]);
	free(cs);
	return late;
}

int main(void)
{
	static const struct { const char *name; unsigned st; } stages[] = {
		{ "G.711 decode + encode", ST_G711 },
		{ "fax/modem tone detector", ST_G711 | ST_FAX },
		{ "DTMF detection (SpanDSP)", ST_G711 | ST_DTMF },
		{ "echo canceller (SpeexDSP, 128 ms)", ST_G711 | ST_EC },
		{ "all: EC + fax tones + DTMF", ST_G711 | ST_EC | ST_FAX | ST_DTMF },
	};
	double base = cost(ST_G711, 5000), all = 0;
	int lo, hi;

	printf("B-channel DSP chain (pri_media.c), one channel, per 20 ms frame:\n");
	for (size_t i = 0; i < sizeof(stages) / sizeof(stages[0]); i++) {
		double ns = cost(stages[i].st, 5000);

		if (stages[i].st == (ST_G711 | ST_EC | ST_FAX | ST_DTMF))
			all = ns;
		printf("  %-36s %8.1f us/frame  (%+7.1f us over G.711)  %6.3f %% of a core\n", stages[i].name,
		       ns / 1e3, (ns - base) / 1e3, ns / 20e6 * 100);
	}
	printf("  estimate from the cost: %d channels per core with EC + DTMF detection\n",
	       (int)(20e6 / all));
	/* real time: the largest N with no late tick, by doubling then bisection */
	lo = 0;
	hi = (int)(20e6 / all * 0.5);
	if (hi < 8)
		hi = 8;
	for (;;) {
		double busy;
		int late = late_ticks(hi, &busy);

		if (late != 0)
			break;
		lo = hi;
		hi *= 2;
		if (hi > 100000)
			break;
	}
	while (hi - lo > lo / 20 + 1) {
		int mid = (lo + hi) / 2;
		double busy;

		if (late_ticks(mid, &busy) == 0)
			lo = mid;
		else
			hi = mid;
	}
	{
		double busy;
		int late = late_ticks(lo, &busy);

		printf("  real time, %d s on a 20 ms clock: %d channels with EC + fax tones + DTMF, %d late "
		       "frames, one core %.0f %% busy\n", RT_SECONDS, lo, late, busy * 100);
	}
	return 0;
}
