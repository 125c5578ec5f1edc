/* sipgw - adaptive jitter buffer: SpeexDSP's JitterBuffer for the delay,
 * SpanDSP for concealment (plc) and comfort noise (noise).
 * SPDX-License-Identifier: GPL-2.0-only */
#include "rtp/jbuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <spandsp.h>
#include <speex/speex_jitter.h>

#define JB_FRAME_BYTES (JB_FRAME_SAMPLES * 2)
#define JB_MS_SAMPLES 8		/* 8 kHz */
/* SpanDSP's PLC fades to silence over its first ~50 ms of fill-in; past
 * 10 turns (200 ms) with nothing, the stream has stopped (hold, the far
 * end muted without CN): silence, and no more "lost". */
#define JB_PLC_MAX_RUN 10
/* A timestamp this far from the playout point is not jitter but a new
 * timeline (RFC 3550 5.1: a new source, a codec change): resync. */
#define JB_JUMP_SAMPLES (4 * 8000)

/* user_data of a packet: audio, or CN whose level rides in data[0]. */
enum { JB_PKT_AUDIO, JB_PKT_CN };
#define JB_FZ_SLOTS 16		/* frozen: 320 ms of frames ahead at most */
struct jb_fz_slot {
	int16_t pcm[JB_FRAME_SAMPLES];
	uint32_t ts;
	int full;
};
#define JB_FZ_BYTES (JB_FZ_SLOTS * sizeof(struct jb_fz_slot))

struct jbuf {
	JitterBuffer *jb;
	plc_state_t *plc;
	noise_state_t *noise;
	int max_frames;
	int synced;		/* a frame has been played since the last reset */
	int cn;			/* in a comfort noise period */
	int cn_level;
	int miss_run;		/* turns in a row with no frame */
	int min_frames;		/* to buffer before the first turn */
	int puts;		/* frames put since the reset */
	int16_t hist[2 * JB_FRAME_SAMPLES];	/* the last two frames played */
	uint32_t newest_ts;	/* the latest timestamp put, for delay_ms */
	int has_newest;
	/* jbuf_freeze: Speex is left (its get grows the delay on a miss,
	 * auto-adjust or not); frames wait in a ring for their turn at the
	 * delay the freeze found (5 KiB, taken at the freeze: most calls
	 * never see a fax, issue 14's memory per call) */
	int frozen, fz_started;
	uint32_t fz_ptr;		/* the timestamp whose turn is next */
	uint32_t fz_delay;		/* samples */
	struct jb_fz_slot *fz;		/* [JB_FZ_SLOTS] while frozen, else NULL */
	struct jbuf_stats st;
};

int jbuf_alloc(struct jbuf **jbp, int min_ms, int max_ms)
{
	struct jbuf *jb;
	spx_int32_t v;

	if (min_ms < 0 || max_ms < min_ms || max_ms < 20)
		return -EINVAL;
	jb = calloc(1, sizeof(*jb));
	if (!jb)
		return -ENOMEM;
	jb->jb = jitter_buffer_init(JB_FRAME_SAMPLES);
	jb->plc = plc_init(NULL);
	jb->noise = noise_init_dbov(NULL, 1, -70.0f, NOISE_CLASS_HOTH, 7);
	if (!jb->jb || !jb->plc || !jb->noise) {
		jbuf_free(jb);
		return -ENOMEM;
	}
	v = min_ms * JB_MS_SAMPLES;
	jitter_buffer_ctl(jb->jb, JITTER_BUFFER_SET_MARGIN, &v);
	jb->max_frames = max_ms / 20;
	jb->min_frames = min_ms / 20;
	*jbp = jb;
	return 0;
}

void jbuf_free(struct jbuf *jb)
{
	if (!jb)
		return;
	if (jb->jb)
		jitter_buffer_destroy(jb->jb);
	if (jb->plc)
		plc_free(jb->plc);
	if (jb->noise)
		noise_free(jb->noise);
	free(jb->fz);
	free(jb);
}

int jbuf_freeze(struct jbuf *jb)
{
	struct jbuf_stats st;

	if (jb->frozen)
		return 0;
	jb->fz = calloc(JB_FZ_SLOTS, sizeof(*jb->fz));
	if (!jb->fz)
		return -ENOMEM;	/* stays adaptive, as before the freeze */
	jbuf_get_stats(jb, &st);
	jb->fz_delay = (uint32_t)(st.delay_ms > 0 ? st.delay_ms : 20) * JB_MS_SAMPLES;
	jb->frozen = 1;
	jb->fz_started = 0;	/* the frames Speex holds are dropped: a glitch at the fax tone */
	return 0;
}

unsigned long jbuf_overflows(const struct jbuf *jb)
{
	return jb->st.overflow;
}

void jbuf_reset(struct jbuf *jb)
{
	jitter_buffer_reset(jb->jb);
	jb->fz_started = 0;
	if (jb->fz)
		memset(jb->fz, 0, JB_FZ_BYTES);
	jb->synced = 0;
	jb->cn = 0;
	jb->miss_run = 0;
	jb->has_newest = 0;
	jb->puts = 0;
}

static void plc_restart(struct jbuf *jb);

static void fz_put(struct jbuf *jb, uint32_t ts, const void *data, uint32_t len, int kind)
{
	int32_t d;
	unsigned slot = (ts / JB_FRAME_SAMPLES) % JB_FZ_SLOTS;

	if (!jb->fz_started) {
		jb->fz_started = 1;
		jb->fz_ptr = ts - jb->fz_delay;
	}
	d = (int32_t)(ts - jb->fz_ptr);
	if (d > JB_JUMP_SAMPLES || d < -JB_JUMP_SAMPLES) {	/* a new timeline: start over there */
		jb->fz_ptr = ts - jb->fz_delay;
		memset(jb->fz, 0, JB_FZ_BYTES);
		d = (int32_t)jb->fz_delay;
	}
	if (d < 0) {
		jb->st.late++;
		return;
	}
	if (d >= JB_FZ_SLOTS * JB_FRAME_SAMPLES) {
		jb->st.overflow++;
		return;
	}
	jb->fz[slot].ts = ts;
	jb->fz[slot].full = 1;
	if (kind == JB_PKT_AUDIO && len == JB_FRAME_BYTES)
		memcpy(jb->fz[slot].pcm, data, JB_FRAME_BYTES);
	else	/* CN in a fax: silence, not noise */
		memset(jb->fz[slot].pcm, 0, JB_FRAME_BYTES);
}

static int fz_get(struct jbuf *jb, int16_t *out)
{
	unsigned slot = (jb->fz_ptr / JB_FRAME_SAMPLES) % JB_FZ_SLOTS;
	int got = jb->fz_started && jb->fz[slot].full && jb->fz[slot].ts == jb->fz_ptr;

	if (!jb->fz_started) {
		memset(out, 0, JB_FRAME_BYTES);
		return JB_EMPTY;
	}
	jb->fz_ptr += JB_FRAME_SAMPLES;
	if (got) {
		memcpy(out, jb->fz[slot].pcm, JB_FRAME_BYTES);
		jb->fz[slot].full = 0;
		plc_rx(jb->plc, out, JB_FRAME_SAMPLES);
		memmove(jb->hist, jb->hist + JB_FRAME_SAMPLES, JB_FRAME_BYTES);
		memcpy(jb->hist + JB_FRAME_SAMPLES, out, JB_FRAME_BYTES);
		jb->miss_run = 0;
		return JB_FRAME;
	}
	jb->st.lost++;
	jb->st.plc++;
	if (jb->miss_run++ == 0)
		plc_restart(jb);
	plc_fillin(jb->plc, out, JB_FRAME_SAMPLES);
	return JB_PLC;
}

static void jb_put(struct jbuf *jb, uint32_t ts, const void *data, uint32_t len, int kind)
{
	JitterBufferPacket p = { .data = (char *)data, .len = len, .timestamp = ts,
				 .span = JB_FRAME_SAMPLES, .user_data = (spx_uint32_t)kind };

	if (jb->frozen) {
		if (!jb->has_newest || (int32_t)(ts - jb->newest_ts) > 0)
			jb->newest_ts = ts;
		jb->has_newest = 1;
		fz_put(jb, ts, data, len, kind);
		return;
	}
	if (jb->synced) {
		int32_t d = (int32_t)(ts - (uint32_t)jitter_buffer_get_pointer_timestamp(jb->jb));

		/* its turn is past (played as PLC or CN already): counted;
		 * still handed to Speex, whose delay learns from it */
		if (d > JB_JUMP_SAMPLES || d < -JB_JUMP_SAMPLES)
			jbuf_reset(jb);
		else if (d < 0)
			jb->st.late++;
	}
	jb->puts++;
	if (!jb->has_newest || (int32_t)(ts - jb->newest_ts) > 0)
		jb->newest_ts = ts;
	jb->has_newest = 1;
	jitter_buffer_put(jb->jb, &p);
}

void jbuf_put(struct jbuf *jb, uint32_t ts, const int16_t *frame)
{
	jb_put(jb, ts, frame, JB_FRAME_BYTES, JB_PKT_AUDIO);
}

void jbuf_put_cn(struct jbuf *jb, uint32_t ts, int level_dbov)
{
	uint8_t lvl = (uint8_t)(level_dbov > 0 ? 0 : level_dbov < -127 ? 127 : -level_dbov);

	jb_put(jb, ts, &lvl, 1, JB_PKT_CN);
}

/* SpanDSP 0.0.6's first plc_fillin after audio rotates its history ring
 * with an overlapping memcpy (normalise_history; ASan: memcpy-param-overlap)
 * unless the ring starts at 0. It does after a plc_rx of a whole history
 * (PLC_HISTORY_LEN, 280 samples): so a loss starts from a fresh state fed
 * the last two frames, the same history in order. */
static void plc_restart(struct jbuf *jb)
{
	int16_t h[2 * JB_FRAME_SAMPLES];

	memcpy(h, jb->hist, sizeof(h));
	plc_init(jb->plc);
	plc_rx(jb->plc, h, 2 * JB_FRAME_SAMPLES);
}

static void fill_noise(struct jbuf *jb, int16_t *out)
{
	for (int i = 0; i < JB_FRAME_SAMPLES; i++)
		out[i] = noise(jb->noise);
	jb->st.cn++;
}

/* Past max_ms, the oldest frames go: the far end's clock runs fast or a
 * burst came after a stall, and the delay would never come down. */
static void jb_trim(struct jbuf *jb)
{
	spx_int32_t n = 0;
	char buf[JB_FRAME_BYTES];

	for (;;) {
		JitterBufferPacket p = { .data = buf, .len = sizeof(buf) };

		jitter_buffer_ctl(jb->jb, JITTER_BUFFER_GET_AVAILABLE_COUNT, &n);
		if (n <= jb->max_frames)
			return;
		if (jitter_buffer_get(jb->jb, &p, JB_FRAME_SAMPLES, NULL) == JITTER_BUFFER_OK)
			jb->st.overflow++;
		jitter_buffer_tick(jb->jb);
	}
}

int jbuf_get(struct jbuf *jb, int16_t *out)
{
	char buf[JB_FRAME_BYTES];
	JitterBufferPacket p = { .data = buf, .len = sizeof(buf) };
	int rc, kind = JB_EMPTY;

	if (jb->frozen)
		return fz_get(jb, out);
	/* Speex starts playing on the first frame; the margin (min_ms) is
	 * buffered before, or Speex would build it later out of PLC. */
	if (!jb->synced && jb->puts <= jb->min_frames) {
		memset(out, 0, JB_FRAME_BYTES);
		return JB_EMPTY;
	}
	if (jb->synced)
		jb_trim(jb);
	rc = jitter_buffer_get(jb->jb, &p, JB_FRAME_SAMPLES, NULL);
	jitter_buffer_tick(jb->jb);
	if (rc == JITTER_BUFFER_OK && p.user_data == JB_PKT_AUDIO && p.len == JB_FRAME_BYTES) {
		memcpy(out, buf, JB_FRAME_BYTES);
		/* SpanDSP keeps the history and smooths the joint after a loss */
		plc_rx(jb->plc, out, JB_FRAME_SAMPLES);
		memmove(jb->hist, jb->hist + JB_FRAME_SAMPLES, JB_FRAME_BYTES);
		memcpy(jb->hist + JB_FRAME_SAMPLES, out, JB_FRAME_BYTES);
		jb->synced = 1;
		jb->cn = 0;
		jb->miss_run = 0;
		return JB_FRAME;
	}
	if (rc == JITTER_BUFFER_OK && p.user_data == JB_PKT_CN && p.len == 1) {
		if (!jb->cn || jb->cn_level != -(int)(uint8_t)buf[0]) {
			jb->cn_level = -(int)(uint8_t)buf[0];
			noise_init_dbov(jb->noise, 1, (float)jb->cn_level, NOISE_CLASS_HOTH, 7);
		}
		jb->synced = 1;
		jb->cn = 1;
		jb->miss_run = 0;
		fill_noise(jb, out);
		return JB_CN;
	}
	/* MISSING, or INSERTION (the buffer grows its delay by a frame) */
	if (jb->cn) {
		fill_noise(jb, out);
		return JB_CN;
	}
	if (jb->synced && jb->miss_run < JB_PLC_MAX_RUN) {
		jb->miss_run++;
		if (rc == JITTER_BUFFER_MISSING)
			jb->st.lost++;
		jb->st.plc++;
		if (jb->miss_run == 1)
			plc_restart(jb);
		plc_fillin(jb->plc, out, JB_FRAME_SAMPLES);
		return JB_PLC;
	}
	memset(out, 0, JB_FRAME_BYTES);
	return kind;
}

void jbuf_get_stats(const struct jbuf *jb, struct jbuf_stats *st)
{
	*st = jb->st;
	st->delay_ms = 0;
	if (jb->frozen) {
		int32_t d = (int32_t)(jb->newest_ts + JB_FRAME_SAMPLES - jb->fz_ptr);

		if (jb->fz_started && jb->has_newest)
			st->delay_ms = d > 0 ? d / JB_MS_SAMPLES : 0;
		return;
	}
	if (jb->synced && jb->has_newest) {
		int32_t d = (int32_t)(jb->newest_ts + JB_FRAME_SAMPLES -
				      (uint32_t)jitter_buffer_get_pointer_timestamp(jb->jb));

		st->delay_ms = d > 0 ? d / JB_MS_SAMPLES : 0;
	}
}
