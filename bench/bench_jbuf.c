/* sipgw - benchmark: the CPU one channel's RTP -> B-channel receive path
 * costs per 20 ms frame: jitter buffer (SpeexDSP) with PLC (SpanDSP) and the
 * RTCP receiver statistics (RFC 3550 A.1, A.8), at 0 % and 10 % loss with
 * 0-60 ms of jitter, and with comfort noise; and the channels one core
 * carries at that cost. Figures only, never pass/fail.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <math.h>
#include <stdio.h>
#include <time.h>

#include "rtp/jbuf.h"
#include "rtp/rtcp.h"

#define N JB_FRAME_SAMPLES
#define FRAMES 50000		/* 1000 s of audio */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One channel, FRAMES frames: arrivals jittered by 0-jit_ms, every
 * loss_every-th lost (0: none), a CN packet instead of audio for cn_frames
 * of every 250 (0: none). Returns ns per frame. */
static double run(int jit_ms, int loss_every, int cn_frames, struct jbuf_stats *st)
{
	static int16_t f[N], out[N];
	static int arr[FRAMES];
	struct jbuf *jb;
	struct rtcp_source src;
	unsigned seed = 7;
	double t0, t1;

	for (int i = 0; i < N; i++)
		f[i] = (int16_t)(6000 * sin(2 * M_PI * 440 * i / 8000.0));
	/* packet k arrives in tick k + its delay in whole ticks (0-3) */
	for (int k = 0; k < FRAMES; k++) {
		seed = seed * 1103515245u + 12345u;
		arr[k] = k + (jit_ms ? (int)((seed >> 16) % (unsigned)(jit_ms + 1)) / 20 : 0);
	}
	if (jbuf_alloc(&jb, 40, 200))
		return -1;
	rtcp_source_init(&src, 1, 0);
	t0 = now_s();
	for (int t = 0; t < FRAMES; t++) {
		for (int k = t - 3; k <= t; k++) {
			if (k < 0 || arr[k] != t || (loss_every && k % loss_every == 0))
				continue;
			rtcp_source_update(&src, (uint16_t)k);
			rtcp_source_jitter(&src, (uint32_t)k * N, (uint32_t)t * N);
			if (cn_frames && k % 250 < cn_frames)
				jbuf_put_cn(jb, (uint32_t)k * N, -60);
			else
				jbuf_put(jb, (uint32_t)k * N, f);
		}
		jbuf_get(jb, out);
	}
	t1 = now_s();
	jbuf_get_stats(jb, st);
	jbuf_free(jb);
	return (t1 - t0) * 1e9 / FRAMES;
}

int main(void)
{
	static const struct { const char *name; int jit, loss, cn; } cases[] = {
		{ "in order, no loss", 0, 0, 0 },
		{ "jitter 0-60 ms", 60, 0, 0 },
		{ "jitter 0-60 ms, 10 % lost (PLC)", 60, 10, 0 },
		{ "jitter 0-60 ms, 40 % of the time CN", 60, 0, 100 },
	};

	printf("jitter buffer + PLC + RTCP receiver statistics, per channel (one 20 ms frame a tick):\n");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct jbuf_stats st;
		double ns = run(cases[i].jit, cases[i].loss, cases[i].cn, &st);

		/* a channel needs one frame per 20 ms: 50 per second */
		printf("  %-38s %7.0f ns/frame  %6.3f %% of a core per channel  %7.0f channels/core"
		       "  (plc %lu, cn %lu, late %lu)\n", cases[i].name, ns, ns * 50 / 1e7, 2e7 / ns,
		       st.plc, st.cn, st.late);
	}
	return 0;
}
