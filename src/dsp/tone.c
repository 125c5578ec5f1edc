/* sipgw - test tones and DTMF: generation and detection on SpanDSP.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "tone.h"

#include <errno.h>
#include <stdlib.h>
#include <spandsp.h>

/* Detection works on 20 ms blocks at 8 kHz, the media tick of the loopback
 * span and of RTP, so one block is one packet. */
#define TONE_DET_BLOCK 160
/* Blocks in a row before the state flips (tone.h contract). */
#define TONE_DET_HYST 3
/* Share of the block's energy that must sit in the tone's bin. A pure sine
 * at the bin centre gives 1.0 with SpanDSP's scaling (goertzel_result() is
 * (N*A/sqrt2)^2, the block energy N*A^2/2); G.711 quantisation noise costs a
 * few per cent, a second tone of equal level or speech halves it or worse. */
#define TONE_DET_RATIO 0.6
/* Below about -45 dBm0 a block is silence, whatever its spectrum: idle
 * codes and quantisation noise must not count as a tone. Mean square of a
 * sine at 0 dBm0 is (32768 * 10^(-3.14/20))^2 / 2 ~= 2.6e8. */
#define TONE_DET_MIN_MEANSQ 8.0

/* SpanDSP's states are opaque in its public headers: let it allocate them. */
struct sine_gen {
	tone_gen_descriptor_t *desc;
	tone_gen_state_t *state;
};

int sine_gen_alloc(struct sine_gen **sgp, int freq_hz, int level_dbm0)
{
	struct sine_gen *sg;

	if (freq_hz <= 0 || freq_hz >= 4000)
		return -EINVAL;
	sg = calloc(1, sizeof(*sg));
	if (!sg)
		return -ENOMEM;
	/* One 1 s section repeated with no gap: SpanDSP keeps the phase across
	 * sections, so the sine is continuous. A zero first duration would make
	 * tone_gen() spin, hence the non-zero cadence. */
	sg->desc = make_tone_gen_descriptor(NULL, freq_hz, level_dbm0, 0, 0, 1000, 0, 0, 0, 1);
	if (sg->desc)
		sg->state = tone_gen_init(NULL, sg->desc);
	if (!sg->state) {
		sine_gen_free(sg);
		return -ENOMEM;
	}
	*sgp = sg;
	return 0;
}

void sine_gen_free(struct sine_gen *sg)
{
	if (!sg)
		return;
	if (sg->state)
		tone_gen_free(sg->state);
	if (sg->desc)
		tone_gen_descriptor_free(sg->desc);
	free(sg);
}

void sine_gen_fill(struct sine_gen *sg, int16_t *amp, size_t n)
{
	size_t done = 0;

	while (done < n) {
		int got = tone_gen(sg->state, amp + done, (int)(n - done));
		if (got <= 0)
			break;
		done += (size_t)got;
	}
	for (; done < n; done++)
		amp[done] = 0;
}

struct dtmf_gen {
	dtmf_tx_state_t *state;
};

int dtmf_gen_alloc(struct dtmf_gen **dgp, const char *digits)
{
	struct dtmf_gen *dg;

	dg = calloc(1, sizeof(*dg));
	if (!dg)
		return -ENOMEM;
	dg->state = dtmf_tx_init(NULL);
	if (!dg->state) {
		free(dg);
		return -ENOMEM;
	}
	/* 100 ms on / 100 ms off is well inside Q.24's minimum of 40 ms
	 * tone and 40 ms pause, so any receiver takes every digit. */
	dtmf_tx_set_timing(dg->state, 100, 100);
	if (digits && *digits && dtmf_tx_put(dg->state, digits, -1) != 0) {
		/* SpanDSP's queue is bounded; refuse rather than play half. */
		dtmf_gen_free(dg);
		return -E2BIG;
	}
	*dgp = dg;
	return 0;
}

void dtmf_gen_free(struct dtmf_gen *dg)
{
	if (!dg)
		return;
	if (dg->state)
		dtmf_tx_free(dg->state);
	free(dg);
}

void dtmf_gen_fill(struct dtmf_gen *dg, int16_t *amp, size_t n)
{
	size_t done = 0;

	while (done < n) {
		int got = dtmf_tx(dg->state, amp + done, (int)(n - done));
		if (got <= 0)
			break;
		done += (size_t)got;
	}
	for (; done < n; done++)
		amp[done] = 0;
}

struct tone_det {
	goertzel_descriptor_t desc;
	goertzel_state_t gs;
	double energy;		/* sum of squares in the current block */
	int filled;		/* samples of the current block seen */
	int on;			/* reported state */
	int run;		/* blocks in a row that disagree with on */
};

int tone_det_alloc(struct tone_det **tdp, int freq_hz)
{
	struct tone_det *td;

	if (freq_hz <= 0 || freq_hz >= 4000)
		return -EINVAL;
	td = calloc(1, sizeof(*td));
	if (!td)
		return -ENOMEM;
	make_goertzel_descriptor(&td->desc, (float)freq_hz, TONE_DET_BLOCK);
	goertzel_init(&td->gs, &td->desc);
	*tdp = td;
	return 0;
}

void tone_det_free(struct tone_det *td)
{
	free(td);
}

int tone_det_is_on(const struct tone_det *td)
{
	return td->on;
}

/* Judge one complete block; returns the transition it causes. */
static enum tone_det_event tone_det_block(struct tone_det *td)
{
	double bin = goertzel_result(&td->gs); /* also resets the filter */
	int present = 0;

	if (td->energy / TONE_DET_BLOCK >= TONE_DET_MIN_MEANSQ)
		present = bin >= TONE_DET_RATIO * TONE_DET_BLOCK * td->energy;
	td->energy = 0;
	td->filled = 0;

	if (present == td->on) {
		td->run = 0;
		return TONE_DET_NONE;
	}
	if (++td->run < TONE_DET_HYST)
		return TONE_DET_NONE;
	td->run = 0;
	td->on = present;
	return present ? TONE_DET_ON : TONE_DET_OFF;
}

enum tone_det_event tone_det_feed(struct tone_det *td, const int16_t *amp, size_t n)
{
	enum tone_det_event ev = TONE_DET_NONE;

	while (n > 0) {
		size_t take = TONE_DET_BLOCK - (size_t)td->filled;
		if (take > n)
			take = n;
		goertzel_update(&td->gs, amp, (int)take);
		for (size_t i = 0; i < take; i++)
			td->energy += (double)amp[i] * amp[i];
		td->filled += (int)take;
		amp += take;
		n -= take;
		if (td->filled == TONE_DET_BLOCK) {
			enum tone_det_event e = tone_det_block(td);
			/* With n > 160 two transitions could happen in one
			 * call; the later one is the state the caller ends in. */
			if (e != TONE_DET_NONE)
				ev = (ev == TONE_DET_NONE) ? e : TONE_DET_NONE;
		}
	}
	return ev;
}

struct dtmf_det {
	dtmf_rx_state_t *state;
	dtmf_det_h *h;
	void *arg;
};

/* SpanDSP reports digits in batches; the handler wants them one by one. */
static void dtmf_det_digits(void *user_data, const char *digits, int len)
{
	struct dtmf_det *dd = user_data;

	for (int i = 0; i < len; i++)
		dd->h(dd->arg, digits[i]);
}

int dtmf_det_alloc(struct dtmf_det **ddp, dtmf_det_h *h, void *arg)
{
	struct dtmf_det *dd;

	if (!h)
		return -EINVAL;
	dd = calloc(1, sizeof(*dd));
	if (!dd)
		return -ENOMEM;
	dd->h = h;
	dd->arg = arg;
	/* The digits callback, not dtmf_rx_get(): see DESIGN.md, SpanDSP notes. */
	dd->state = dtmf_rx_init(NULL, dtmf_det_digits, dd);
	if (!dd->state) {
		free(dd);
		return -ENOMEM;
	}
	*ddp = dd;
	return 0;
}

void dtmf_det_free(struct dtmf_det *dd)
{
	if (!dd)
		return;
	if (dd->state)
		dtmf_rx_free(dd->state);
	free(dd);
}

void dtmf_det_feed(struct dtmf_det *dd, const int16_t *amp, size_t n)
{
	dtmf_rx(dd->state, amp, (int)n);
}
