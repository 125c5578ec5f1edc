/* sipgw - line echo canceller on SpeexDSP. See echo.h.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "echo.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <speex/speex_echo.h>
#include <speex/speex_preprocess.h>

#define EC_RATE 8000
/* Residual echo suppression (the NLP) in dB, SpeexDSP's defaults: -40 while
 * only the far end talks, -15 while the near end talks too (double talk keeps
 * the near party's speech; G.168 6.4.2.4 asks the NLP not to clip it). */
#define EC_SUPPRESS_DB -40
#define EC_SUPPRESS_ACTIVE_DB -15
/* SpeexDSP applies the echo suppression only with its noise suppressor on;
 * its gain floor lets the line's background noise through at this level
 * where echo is removed, so the SIP side hears the line's own noise instead
 * of dead silence (the comfort noise of G.168 6.4.2.6) and the near party's
 * speech is not denoised into something else. */
#define EC_NOISE_SUPPRESS_DB -3

/* Measurement (echo.h): a frame counts as far-end single talk when the far
 * end is above -40 dBm0 and what returns is at least 3 dB below the loudest
 * far-end frame of the tail (G.168 assumes ERL >= 6 dB; a near party
 * talking makes in louder than that). Mean square of 0 dBm0: 2.6e8 (tone.c). */
#define EC_FAR_MIN_MEANSQ (2.6e8 * 1e-4)
#define EC_ST_MARGIN 0.5
#define EC_CONVERGE_FRAMES 100	/* 2 s */
#define EC_MIN_FRAMES 25	/* 0.5 s */
#define EC_HIST_MAX (ECHO_TAIL_MAX_MS / 20 + 2)

struct echo_can {
	SpeexEchoState *st;
	SpeexPreprocessState *pp;
	int enabled;
	double ref_pow[EC_HIST_MAX];	/* mean square of the last frames of ref */
	unsigned hist_len, hist_pos;
	unsigned single_talk;		/* single-talk frames seen */
	unsigned measured;		/* of which counted */
	double sum_ref, sum_in, sum_out;
	unsigned long diverged;		/* frames the guard passed through untouched */
};

/* Divergence guard: a canceller only takes energy away. A frame its linear
 * filter leaves more than 6 dB louder than it came in, and louder than about -50 dBov,
 * means the filter adapted to something that is no echo (tones both ways in
 * double talk, such as DTMF from each side) and now plays the reference into
 * the line's audio: that frame passes through as it came (the filter keeps
 * adapting: a reset would throw away a converged echo path with it). Found with DTMF both ways on a line with no echo at all: the
 * phone's own digit came back to it out of the canceller. */
#define EC_GUARD_RATIO 4.0
#define EC_GUARD_FLOOR 1.0e4

int echo_can_alloc(struct echo_can **ecp, int tail_ms)
{
	struct echo_can *ec;
	spx_int32_t v;

	if (tail_ms < ECHO_TAIL_MIN_MS || tail_ms > ECHO_TAIL_MAX_MS)
		return -EINVAL;
	ec = calloc(1, sizeof(*ec));
	if (!ec)
		return -ENOMEM;
	ec->st = speex_echo_state_init(ECHO_FRAME, tail_ms * EC_RATE / 1000);
	ec->pp = speex_preprocess_state_init(ECHO_FRAME, EC_RATE);
	if (!ec->st || !ec->pp) {
		echo_can_free(ec);
		return -ENOMEM;
	}
	v = EC_RATE;
	speex_echo_ctl(ec->st, SPEEX_ECHO_SET_SAMPLING_RATE, &v);
	speex_preprocess_ctl(ec->pp, SPEEX_PREPROCESS_SET_ECHO_STATE, ec->st);
	v = 1;
	speex_preprocess_ctl(ec->pp, SPEEX_PREPROCESS_SET_DENOISE, &v);
	v = EC_NOISE_SUPPRESS_DB;
	speex_preprocess_ctl(ec->pp, SPEEX_PREPROCESS_SET_NOISE_SUPPRESS, &v);
	v = EC_SUPPRESS_DB;
	speex_preprocess_ctl(ec->pp, SPEEX_PREPROCESS_SET_ECHO_SUPPRESS, &v);
	v = EC_SUPPRESS_ACTIVE_DB;
	speex_preprocess_ctl(ec->pp, SPEEX_PREPROCESS_SET_ECHO_SUPPRESS_ACTIVE, &v);
	v = 0;
	speex_preprocess_ctl(ec->pp, SPEEX_PREPROCESS_SET_AGC, &v);
	speex_preprocess_ctl(ec->pp, SPEEX_PREPROCESS_SET_DEREVERB, &v);
	/* the echo may come back up to a tail after the far end's frame */
	ec->hist_len = (unsigned)tail_ms / 20 + 2;
	ec->enabled = 1;
	*ecp = ec;
	return 0;
}

void echo_can_free(struct echo_can *ec)
{
	if (!ec)
		return;
	if (ec->pp)
		speex_preprocess_state_destroy(ec->pp);
	if (ec->st)
		speex_echo_state_destroy(ec->st);
	free(ec);
}

static double meansq(const int16_t *a, size_t n)
{
	double s = 0;

	for (size_t i = 0; i < n; i++)
		s += (double)a[i] * a[i];
	return s / (double)n;
}

/* Single-talk bookkeeping of one frame (echo.h: what ERLE and ERL cover). */
static void ec_measure(struct echo_can *ec, double pref, double pin, double pout)
{
	double pmax = 0;

	ec->ref_pow[ec->hist_pos] = pref;
	ec->hist_pos = (ec->hist_pos + 1) % ec->hist_len;
	for (unsigned i = 0; i < ec->hist_len; i++)
		pmax = fmax(pmax, ec->ref_pow[i]);
	if (pmax < EC_FAR_MIN_MEANSQ || pin >= EC_ST_MARGIN * pmax)
		return;
	if (++ec->single_talk <= EC_CONVERGE_FRAMES)
		return;
	ec->measured++;
	ec->sum_ref += pref;
	ec->sum_in += pin;
	ec->sum_out += pout;
}

void echo_can_process(struct echo_can *ec, const int16_t *ref, const int16_t *in, int16_t *out,
		      size_t n)
{
	int16_t lin[ECHO_FRAME];

	if (!ec->enabled || n % ECHO_FRAME) {
		if (out != in)
			memmove(out, in, n * sizeof(*out));
		return;
	}
	for (size_t off = 0; off < n; off += ECHO_FRAME) {
		double pin = meansq(in + off, ECHO_FRAME);

		/* the linear (MDF) filter, its guard, then the residual echo
		 * suppressor (whose output lags its input, so the guard looks at
		 * the filter's own: e = d - y, aligned with what came in) */
		double plin;

		speex_echo_cancellation(ec->st, in + off, ref + off, lin);
		plin = meansq(lin, ECHO_FRAME);
		if (plin > EC_GUARD_FLOOR && plin > pin * EC_GUARD_RATIO) {
			memcpy(lin, in + off, sizeof(lin));
			ec->diverged++;
		}
		speex_preprocess_run(ec->pp, lin);
		ec_measure(ec, meansq(ref + off, ECHO_FRAME), pin, meansq(lin, ECHO_FRAME));
		memcpy(out + off, lin, sizeof(lin));
	}
}

void echo_can_disable(struct echo_can *ec)
{
	ec->enabled = 0;
}

int echo_can_enabled(const struct echo_can *ec)
{
	return ec->enabled;
}

double echo_can_erle_db(const struct echo_can *ec)
{
	if (ec->measured < EC_MIN_FRAMES || ec->sum_in <= 0)
		return NAN;
	/* a frame cancelled to digital silence: cap at 99 dB, not infinity */
	return 10 * log10(ec->sum_in / fmax(ec->sum_out, ec->sum_in * 1.26e-10));
}

double echo_can_erl_db(const struct echo_can *ec)
{
	if (ec->measured < EC_MIN_FRAMES)
		return NAN;
	/* nothing at all came back (a 4-wire line, digital silence) */
	if (ec->sum_in <= 0)
		return INFINITY;
	return 10 * log10(ec->sum_ref / ec->sum_in);
}
