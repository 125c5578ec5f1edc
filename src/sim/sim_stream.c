/* sipgw - simulators: frame timing of received streams and of a sender's
 * clock (sim_stream.h). SPDX-License-Identifier: GPL-2.0-only */
#include "sim/sim_stream.h"

#include <errno.h>
#include <string.h>

#include "dsp/g711.h"

const int sim_clock_bucket_ms[SIM_CLOCK_BUCKETS] = { 1, 2, 5, 10, 20, 0 };

void sim_stream_frame(struct sim_stream *s, long long now_us)
{
	if (s->frames) {
		long long gap = now_us - s->last_us;

		if (gap > s->max_gap_us)
			s->max_gap_us = gap;
		if (gap > SIM_LATE_GAP_US)
			s->late++;
	} else {
		s->first_us = now_us;
	}
	s->last_us = now_us;
	s->frames++;
}

/* RFC 3550 A.1, without its probation: a stream of the rig starts clean. */
void sim_stream_rtp(struct sim_stream *s, long long now_us, uint16_t seq)
{
	if (!s->have_seq) {
		s->have_seq = 1;
		s->base_seq = s->max_seq = seq;
		sim_stream_frame(s, now_us);
		return;
	}
	uint16_t max16 = (uint16_t)s->max_seq;
	uint16_t delta = (uint16_t)(seq - max16);

	if (delta == 0) {
		s->dups++;
		return;
	}
	if (delta < 0x8000) {
		/* ahead of the highest (with a wrap into the next cycle) */
		s->max_seq += delta;
	} else {
		s->reordered++;
	}
	sim_stream_frame(s, now_us);
}

int sim_rtp_header(const uint8_t *b, size_t len, int pt, uint16_t *seqp)
{
	if (len < 12)
		return -EMSGSIZE;
	if ((b[0] & 0xc0) != 0x80 || (b[1] & 0x7f) != pt)
		return -EPROTO;
	*seqp = (uint16_t)(b[2] << 8 | b[3]);
	return 0;
}

long long sim_stream_lost(const struct sim_stream *s)
{
	long long expected;

	if (!s->frames)
		return 0;
	if (s->have_seq)
		expected = (long long)(s->max_seq - s->base_seq) + 1;
	else	/* nearest whole frame: the far end's clock need not be in phase with ours */
		expected = (s->last_us - s->first_us + SIM_FRAME_US / 2) / SIM_FRAME_US + 1;
	return expected > s->frames ? expected - s->frames : 0;
}

void sim_clock_start(struct sim_clock *c, long long now_us)
{
	memset(c, 0, sizeof(*c));
	c->start_us = now_us;
}

long long sim_clock_next_us(const struct sim_clock *c)
{
	return c->start_us + (c->ticks + c->skipped) * SIM_FRAME_US;
}

int sim_clock_due(struct sim_clock *c, long long now_us)
{
	int n = 0;

	while (sim_clock_next_us(c) <= now_us) {
		long long late = now_us - sim_clock_next_us(c);
		int b = 0;

		if (n == SIM_CLOCK_CATCHUP) {
			c->skipped++;	/* a burst would be a jitter spike of its own */
			continue;
		}
		while (b < SIM_CLOCK_BUCKETS - 1 && late >= sim_clock_bucket_ms[b] * 1000LL)
			b++;
		c->hist[b]++;
		if (late > c->max_late_us)
			c->max_late_us = late;
		c->ticks++;
		n++;
	}
	return n;
}

void sim_noise_frames(uint8_t (*frames)[160], int n, uint32_t seed, int alaw)
{
	int16_t lin[160];

	for (int f = 0; f < n; f++) {
		for (int i = 0; i < 160; i++) {
			/* Numerical Recipes' LCG; the high bits, uniform in +-1000
			 * (RMS 577, about -35 dBm0) */
			seed = seed * 1664525u + 1013904223u;
			lin[i] = (int16_t)((int)(seed >> 16) % 2001 - 1000);
		}
		g711_law_encode(alaw ? LAW_ALAW : LAW_ULAW, lin, frames[f], 160);
	}
}
