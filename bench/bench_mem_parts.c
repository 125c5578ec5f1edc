/* sipgw - what each part of a call costs in memory (issue 14 item 1): the
 * structs a call is made of (sizeof) and the heap each DSP/RTP part takes
 * when it is allocated, measured with glibc's mallinfo2() around the
 * allocation, so what SpanDSP and SpeexDSP allocate inside is counted too.
 * Figures only; bench_mem.py prints them beside its RSS per call.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <speex/speex_echo.h>
#include <speex/speex_preprocess.h>

#include "bridge/call_internal.h"
#include "dsp/dtmf.h"
#include "dsp/echo.h"
#include "dsp/fax_tone.h"
#include "dsp/tonezone.h"
#include "q931/pri_internal.h"
#include "rtp/jbuf.h"
#include "sip/sip_internal.h"

static size_t heap_used(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

static void row(const char *what, size_t bytes, const char *note)
{
	printf("  %-34s %8.1f KiB  %s\n", what, bytes / 1024.0, note);
}

static void no_watch(void *arg, char digit, int begin, unsigned duration_ms)
{
}

int main(void)
{
	size_t h0;

	/* glibc's mmap threshold: big blocks counted in hblkhd, above */
	printf("sipgw memory per call, part by part (heap measured around each allocation)\n");
	printf(" structs (sizeof):\n");
	row("struct call", sizeof(struct call), "bridge/call_internal.h");
	row("struct pri_leg", sizeof(struct pri_leg), "q931/pri_internal.h, of which:");
	row("  struct pri_media", sizeof(struct pri_media), "frame queues and delay line");
	row("struct sip_leg", sizeof(struct sip_leg), "sip/sip_internal.h, of which:");
	row("  struct sip_rtp", sizeof(struct sip_rtp), "");
	row("struct sip_leg_req", sizeof(struct sip_leg_req), "our INVITE's headers, freed at its 2xx");
	printf(" allocations (one each):\n");
	for (int tail = 32; tail <= 128; tail *= 2) {
		struct echo_can *ec = NULL;
		char what[64];

		h0 = heap_used();
		if (echo_can_alloc(&ec, tail))
			return 1;
		snprintf(what, sizeof(what), "echo canceller, %d ms tail", tail);
		row(what, heap_used() - h0, tail == 128 ? "SpeexDSP MDF + preprocessor (default tail)" :
		    "SpeexDSP MDF + preprocessor");
		echo_can_free(ec);
	}
	for (int tail = 32; tail <= 128; tail *= 2) {
		SpeexEchoState *st;
		char what[64];

		h0 = heap_used();
		st = speex_echo_state_init(ECHO_FRAME, tail * 8);
		snprintf(what, sizeof(what), "  of which MDF filter, %d ms", tail);
		row(what, heap_used() - h0, "speex_echo_state_init (frame 20 ms)");
		speex_echo_state_destroy(st);
	}
	{
		SpeexPreprocessState *pp;

		h0 = heap_used();
		pp = speex_preprocess_state_init(ECHO_FRAME, 8000);
		row("  of which preprocessor", heap_used() - h0, "residual echo suppressor, any tail");
		speex_preprocess_state_destroy(pp);
	}
	{
		struct fax_tone_det *ft = NULL;

		h0 = heap_used();
		if (fax_tone_det_alloc(&ft))
			return 1;
		row("fax tone detector", heap_used() - h0, "x2 per PRI leg (from and to the PBX)");
		fax_tone_det_free(ft);
		h0 = heap_used();
		if (fax_tone_det_alloc_answer(&ft))
			return 1;
		row("fax tone detector, no CNG", heap_used() - h0, "x2 per SIP leg: the T.38 watch");
		fax_tone_det_free(ft);
	}
	{
		struct jbuf *jb = NULL;

		h0 = heap_used();
		if (jbuf_alloc(&jb, SIP_JB_MIN_MS, SIP_JB_MAX_MS))
			return 1;
		row("jitter buffer", heap_used() - h0, "one per SIP leg (Speex + PLC + noise)");
		jbuf_freeze(jb);
		row("jitter buffer, frozen (fax)", heap_used() - h0, "its 5 KiB ring is taken at the fax tone");
		jbuf_free(jb);
	}
	{
		struct dtmf_watch *dw = NULL;

		h0 = heap_used();
		if (dtmf_watch_alloc(&dw, no_watch, NULL))
			return 1;
		row("DTMF watcher", heap_used() - h0, "one per PRI leg (SpanDSP dtmf_rx)");
		dtmf_watch_free(dw);
	}
	{
		struct dtmf_play *dp = NULL;

		h0 = heap_used();
		if (dtmf_play_alloc(&dp))
			return 1;
		row("DTMF player, idle", heap_used() - h0, "x2 per PRI leg, x2 per SIP leg, at the first digit");
		dtmf_play_begin(dp, '5');
		{
			int16_t f[160];

			dtmf_play_fill(dp, f, 160);
		}
		row("DTMF player, playing", heap_used() - h0, "its tone generator while a digit plays");
		dtmf_play_free(dp);
	}
	{
		struct tone_player *tp = NULL;

		h0 = heap_used();
		if (tone_player_alloc(&tp, "us", TZ_RINGBACK) == 0) {
			row("tone player (ringback)", heap_used() - h0, "PRI leg while alerting, inband_ringback");
			tone_player_free(tp);
		}
	}
	return 0;
}
