/* sipgw - adaptive jitter buffer of decoded audio (RTP -> B-channel), with
 * packet loss concealment and RFC 3389 comfort noise.
 *
 * Frames are 20 ms of 16-bit linear audio at 8 kHz (JB_FRAME_SAMPLES),
 * keyed by RTP timestamp in 8 kHz samples: the caller has decoded the
 * packet and split it into 20 ms slices. The PRI side pulls one frame per
 * 20 ms tick. The delay adapts (SpeexDSP's JitterBuffer) between min_ms and
 * max_ms; a frame missing at its turn is concealed (SpanDSP PLC); after a
 * CN packet the gaps are comfort noise (SpanDSP noise) at its level.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_RTP_JBUF_H
#define SIPGW_RTP_JBUF_H

#include <stdint.h>

#define JB_FRAME_SAMPLES 160

/* What jbuf_get put in the frame. */
enum jb_out { JB_FRAME, JB_PLC, JB_CN, JB_EMPTY };

struct jbuf;
/** min_ms: delay kept above what the jitter needs (a margin, SpeexDSP's
 * JITTER_BUFFER_SET_MARGIN); max_ms: frames beyond it are dropped
 * (overflow). 0 or -errno (-EINVAL for max_ms < min_ms or < 20). */
int jbuf_alloc(struct jbuf **jbp, int min_ms, int max_ms);
void jbuf_free(struct jbuf *jb);
/** One decoded frame of JB_FRAME_SAMPLES starting at RTP timestamp ts. A
 * jump of more than a few seconds either way (a new source, hold without
 * jbuf_reset) resynchronises on it. */
void jbuf_put(struct jbuf *jb, uint32_t ts, const int16_t *frame);
/** An RFC 3389 CN packet at ts: from its turn on, gaps are comfort noise
 * at level_dbov (<= 0) until audio comes again. */
void jbuf_put_cn(struct jbuf *jb, uint32_t ts, int level_dbov);
/** The next 20 ms, always JB_FRAME_SAMPLES filled; enum jb_out. */
int jbuf_get(struct jbuf *jb, int16_t *out);
/** Frames thrown away so far: no room (past max_ms, a full fax buffer). */
unsigned long jbuf_overflows(const struct jbuf *jb);
/** Hold the delay where it is from now on (a fax or modem in G.711: a delay
 * change is a phase jump its demodulator does not survive); the overflow
 * bound still applies. 0, or -ENOMEM (its frame ring is taken here) with
 * the buffer left adaptive. */
int jbuf_freeze(struct jbuf *jb);
/** Forget what is buffered (hold, codec change: the timestamps jump). */
void jbuf_reset(struct jbuf *jb);

struct jbuf_stats {
	unsigned long late;	/* frames that came after their turn (dropped) */
	unsigned long lost;	/* turns with no frame while audio flowed (concealed) */
	unsigned long plc;	/* frames made by PLC (lost, and delay growing) */
	unsigned long cn;	/* frames of comfort noise */
	unsigned long overflow;	/* frames dropped past max_ms */
	int delay_ms;		/* buffered ahead of the playout point now */
};
void jbuf_get_stats(const struct jbuf *jb, struct jbuf_stats *st);

#endif
