/* sipgw - in-band DTMF: the watcher and the player on SpanDSP.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "dsp/dtmf.h"

#include <errno.h>
#include <spandsp.h>
#include <stdlib.h>
#include <string.h>

#define SAMPLES_PER_MS 8

int dtmf_is_digit(char c)
{
	return c && strchr("0123456789*#ABCDabcd", c) != NULL;
}

struct dtmf_watch {
	dtmf_rx_state_t *rx;
	dtmf_watch_h *h;
	void *arg;
	char on;			/* the digit on, 0 none */
	int touched;			/* a digit was on during the current feed */
	unsigned long samples;		/* fed so far: the clock for durations */
	unsigned long on_at;
};

/* SpanDSP's realtime callback: code is the digit when one is confirmed,
 * 0 when it ends. It runs inside dtmf_rx(), so the clock is the block's. */
static void watch_report(void *user_data, int code, int level, int delay)
{
	struct dtmf_watch *dw = user_data;

	if (code && !dw->on) {
		dw->on = (char)code;
		dw->on_at = dw->samples;
		dw->touched = 1;
		dw->h(dw->arg, dw->on, 1, 0);
	} else if (!code && dw->on) {
		char d = dw->on;
		unsigned ms = (unsigned)((dw->samples - dw->on_at) / SAMPLES_PER_MS);

		dw->on = 0;
		dw->touched = 1;
		dw->h(dw->arg, d, 0, ms);
	}
}

/* Digits are never reported in batches here: with a realtime callback
 * SpanDSP still wants the digits callback for its buffer. */
static void watch_digits(void *user_data, const char *digits, int len)
{
}

int dtmf_watch_alloc(struct dtmf_watch **dwp, dtmf_watch_h *h, void *arg)
{
	struct dtmf_watch *dw;

	if (!h)
		return -EINVAL;
	dw = calloc(1, sizeof(*dw));
	if (!dw)
		return -ENOMEM;
	dw->h = h;
	dw->arg = arg;
	dw->rx = dtmf_rx_init(NULL, watch_digits, dw);
	if (!dw->rx) {
		free(dw);
		return -ENOMEM;
	}
	dtmf_rx_set_realtime_callback(dw->rx, watch_report, dw);
	/* Talk-off guard: SpanDSP's defaults (twist 8 dB, reverse twist 4 dB,
	 * -26 dBm0 threshold) pass the Mitel/Bellcore talk-off tapes; dial
	 * tone filtering off, the PBX plays none into an answered call. */
	dtmf_rx_parms(dw->rx, 0, -1, -1, -99);
	*dwp = dw;
	return 0;
}

void dtmf_watch_free(struct dtmf_watch *dw)
{
	if (!dw)
		return;
	dtmf_rx_free(dw->rx);
	free(dw);
}

int dtmf_watch_feed(struct dtmf_watch *dw, const int16_t *amp, size_t n)
{
	dw->touched = dw->on != 0;
	/* The block's samples count before the callback can fire in it: a
	 * digit's length is measured to the block that confirmed its end. */
	dw->samples += n;
	dtmf_rx(dw->rx, amp, (int)n);
	return dw->touched || dw->on;
}

/* The player: a queue of digits, each a tone of its length then a gap. */
#define PLAY_QUEUE 16

struct play_item {
	char digit;
	unsigned ms;			/* 0: open, until dtmf_play_end */
};

struct dtmf_play {
	struct play_item q[PLAY_QUEUE];
	unsigned head, len;
	tone_gen_state_t *tg;		/* the head's tone while it plays */
	unsigned long played;		/* samples of the head's tone so far */
	unsigned long gap_left;		/* samples of silence after it */
};

static const struct { char d; int lo, hi; } dtmf_freqs[] = {
	{ '1', 697, 1209 }, { '2', 697, 1336 }, { '3', 697, 1477 }, { 'A', 697, 1633 },
	{ '4', 770, 1209 }, { '5', 770, 1336 }, { '6', 770, 1477 }, { 'B', 770, 1633 },
	{ '7', 852, 1209 }, { '8', 852, 1336 }, { '9', 852, 1477 }, { 'C', 852, 1633 },
	{ '*', 941, 1209 }, { '0', 941, 1336 }, { '#', 941, 1477 }, { 'D', 941, 1633 },
};

int dtmf_play_alloc(struct dtmf_play **dpp)
{
	struct dtmf_play *dp = calloc(1, sizeof(*dp));

	if (!dp)
		return -ENOMEM;
	*dpp = dp;
	return 0;
}

int dtmf_play_take(struct dtmf_play **dpp)
{
	return *dpp ? 0 : dtmf_play_alloc(dpp);
}

void dtmf_play_free(struct dtmf_play *dp)
{
	if (!dp)
		return;
	if (dp->tg)
		tone_gen_free(dp->tg);
	free(dp);
}

static char upper(char c)
{
	return c >= 'a' && c <= 'd' ? (char)(c - 32) : c;
}

int dtmf_play_begin(struct dtmf_play *dp, char digit)
{
	if (!dtmf_is_digit(digit))
		return -EINVAL;
	if (dp->len == PLAY_QUEUE)
		return -ENOSPC;
	dp->q[(dp->head + dp->len++) % PLAY_QUEUE] = (struct play_item){ upper(digit), 0 };
	return 0;
}

int dtmf_play_end(struct dtmf_play *dp, char digit, unsigned duration_ms)
{
	digit = upper(digit);
	if (duration_ms < DTMF_MIN_MS)
		duration_ms = DTMF_MIN_MS;
	if (duration_ms > DTMF_MAX_MS)
		duration_ms = DTMF_MAX_MS;
	for (unsigned i = 0; i < dp->len; i++) {
		struct play_item *it = &dp->q[(dp->head + i) % PLAY_QUEUE];

		if (!it->ms && it->digit == digit) {
			it->ms = duration_ms;
			return 0;
		}
	}
	if (dtmf_play_begin(dp, digit))
		return dtmf_is_digit(digit) ? -ENOSPC : -EINVAL;
	dp->q[(dp->head + dp->len - 1) % PLAY_QUEUE].ms = duration_ms;
	return 0;
}

int dtmf_play_busy(const struct dtmf_play *dp)
{
	return dp && (dp->len || dp->gap_left);
}

/* Levels per ITU-T Q.23: the high group a little stronger (2 dB twist),
 * both well above any receiver's -26 dBm0 floor and far from clipping. */
#define DTMF_LO_DBM0 (-10)
#define DTMF_HI_DBM0 (-8)

static int head_start(struct dtmf_play *dp)
{
	char d = dp->q[dp->head].digit;

	for (size_t i = 0; i < sizeof(dtmf_freqs) / sizeof(dtmf_freqs[0]); i++)
		if (dtmf_freqs[i].d == d) {
			/* One long burst; the player cuts it at the digit's end. */
			tone_gen_descriptor_t *desc = tone_gen_descriptor_init(NULL, dtmf_freqs[i].lo, DTMF_LO_DBM0,
									      dtmf_freqs[i].hi, DTMF_HI_DBM0,
									      DTMF_MAX_MS, 0, 0, 0, 0);
			if (!desc)
				return -ENOMEM;
			/* tone_gen_init copies what it needs of the descriptor */
			dp->tg = tone_gen_init(NULL, desc);
			tone_gen_descriptor_free(desc);
			dp->played = 0;
			return dp->tg ? 0 : -ENOMEM;
		}
	return -EINVAL;
}

static void head_done(struct dtmf_play *dp)
{
	tone_gen_free(dp->tg);
	dp->tg = NULL;
	dp->head = (dp->head + 1) % PLAY_QUEUE;
	dp->len--;
	dp->gap_left = DTMF_GAP_MS * SAMPLES_PER_MS;
}

int dtmf_play_fill(struct dtmf_play *dp, int16_t *amp, size_t n)
{
	size_t done = 0;

	if (!dtmf_play_busy(dp))
		return 0;
	while (done < n) {
		if (dp->gap_left) {
			size_t k = dp->gap_left < n - done ? dp->gap_left : n - done;

			memset(amp + done, 0, k * sizeof(*amp));
			dp->gap_left -= k;
			done += k;
			continue;
		}
		if (!dp->len) {
			memset(amp + done, 0, (n - done) * sizeof(*amp));
			break;
		}
		if (!dp->tg && head_start(dp) < 0) {
			dp->head = (dp->head + 1) % PLAY_QUEUE;
			dp->len--;
			continue;
		}
		{
			struct play_item *it = &dp->q[dp->head];
			unsigned long limit = (it->ms ? it->ms : DTMF_MAX_MS) * SAMPLES_PER_MS;
			size_t k = n - done;

			if (dp->played >= limit) {
				head_done(dp);
				continue;
			}
			if (limit - dp->played < k)
				k = limit - dp->played;
			/* An open digit plays on frame by frame until its end comes. */
			tone_gen(dp->tg, amp + done, (int)k);
			dp->played += k;
			done += k;
			if (dp->played >= limit)
				head_done(dp);
		}
	}
	return 1;
}
