/* sipgw benchmark: the CPU each codec of src/dsp/codec.c costs per call
 * leg. Encodes and decodes BENCH_SECONDS of a speech-like signal (two
 * tones gliding under noise, 8 kHz linear) in 20 ms packets and prints, per
 * codec, microseconds per packet each way, the bytes on the wire and how
 * many legs (encode + decode every 20 ms) one core would carry. Figures
 * only; nothing passes or fails on time. SPDX-License-Identifier: GPL-2.0-only */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "dsp/codec.h"

#define BENCH_SECONDS 20
#define RATE 8000
#define FRAME 160

static double cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

int main(void)
{
	static int16_t pcm[RATE * BENCH_SECONDS], out[FRAME];
	static uint8_t pkt[RATE * BENCH_SECONDS / FRAME][CODEC_MAX_PAYLOAD];
	static int len[RATE * BENCH_SECONDS / FRAME];
	const int frames = RATE * BENCH_SECONDS / FRAME;
	const struct codec_desc *d;
	unsigned seed = 1;

	for (int i = 0; i < RATE * BENCH_SECONDS; i++) {
		double t = (double)i / RATE, f = 300 + 200 * sin(2 * M_PI * 0.5 * t);

		seed = seed * 1103515245u + 12345u;
		pcm[i] = (int16_t)(6000 * sin(2 * M_PI * f * t) + 3000 * sin(2 * M_PI * 3.7 * f * t) +
				   (double)((int)(seed >> 16 & 0x7ff) - 1024));
	}
	printf("codec        enc us/20ms  dec us/20ms  bytes/pkt  legs/core\n");
	for (int k = 0; (d = codec_nth(k)); k++) {
		struct codec *c;
		double t0, t1, t2;
		long bytes = 0;

		if (codec_alloc(&c, d, NULL)) {
			fprintf(stderr, "codec-bench: %s: no instance\n", d->cfg);
			return 1;
		}
		t0 = cpu_us();
		for (int i = 0; i < frames; i++)
			len[i] = codec_encode(c, pcm + i * FRAME, FRAME, pkt[i], CODEC_MAX_PAYLOAD);
		t1 = cpu_us();
		for (int i = 0; i < frames; i++)
			if (len[i] > 0 && codec_decode(c, pkt[i], (size_t)len[i], out, FRAME) > 0)
				bytes += len[i];
		t2 = cpu_us();
		codec_free(c);
		printf("%-12s %11.2f  %11.2f  %9.1f  %9.0f\n", d->cfg, (t1 - t0) / frames, (t2 - t1) / frames,
		       (double)bytes / frames, 20000.0 / ((t2 - t0) / frames));
	}
	return 0;
}
