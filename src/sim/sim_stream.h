/* sipgw - simulators: frame timing of one received media stream (a B-channel
 * of a loopback span, or an RTP stream), and of a sender's own 20 ms clock,
 * for the load rig (bench/load_pbx.c, bench/load_phone.c). Pure (no I/O,
 * times are given), so tests/unit can drive them.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_SIM_SIM_STREAM_H
#define SIPGW_SIM_SIM_STREAM_H

#include <stddef.h>
#include <stdint.h>

#define SIM_FRAME_US	20000	/* one frame (160 samples at 8 kHz) per 20 ms */
/* A gap past this between two frames of a stream is a late frame: more
 * than half a frame behind, which a 1-frame jitter buffer no longer hides. */
#define SIM_LATE_GAP_US	30000

/* One stream as its receiver saw it. Times are the kernel's receive
 * stamps (SO_TIMESTAMPNS), so a late wake-up of the rig itself does not
 * look like a late frame of the gateway. */
struct sim_stream {
	long long first_us, last_us;	/* first and last frame; 0: none yet */
	long long frames;		/* frames received */
	long long late;			/* gaps > SIM_LATE_GAP_US before a frame */
	long long max_gap_us;		/* the longest gap between two frames */
	/* RTP (sim_stream_rtp): RFC 3550 A.1's extended sequence numbers */
	int have_seq;
	uint32_t base_seq, max_seq;	/* extended: cycles << 16 | seq */
	long long reordered;		/* arrived after a higher sequence number */
	long long dups;			/* a sequence number seen again (counted, not a frame) */
};

/** A frame of s arrived at now_us (microseconds, any one clock). */
void sim_stream_frame(struct sim_stream *s, long long now_us);
/** An RTP packet with sequence number seq arrived at now_us: timed as a
 * frame, and its number kept for sim_stream_lost(). */
void sim_stream_rtp(struct sim_stream *s, long long now_us, uint16_t seq);
/** Frames missing: for RTP by sequence numbers (RFC 3550 A.3: expected -
 * received); for a B-channel (no numbers) by time: frames the span of time
 * from the first to the last frame should hold, less those received.
 * Never negative. */
long long sim_stream_lost(const struct sim_stream *s);

/** An RTP packet's fixed header (RFC 3550 5.1), as the rig reads it: 0
 * with *seqp when b[0..len) is version 2 of payload type pt; -EPROTO when
 * it is another version or payload type (RTCP sent to a neighbour's port,
 * an RFC 4733 event), -EMSGSIZE when shorter than the fixed header. */
int sim_rtp_header(const uint8_t *b, size_t len, int pt, uint16_t *seqp);

/* A sender's 20 ms clock: how late each tick was run against its schedule. */
#define SIM_CLOCK_BUCKETS 6	/* late by < 1, < 2, < 5, < 10, < 20, >= 20 ms */
struct sim_clock {
	long long start_us;		/* tick 0's time */
	long long ticks;		/* ticks run */
	long long skipped;		/* ticks run too late to send (> SIM_CLOCK_CATCHUP behind) */
	long long max_late_us;
	long long hist[SIM_CLOCK_BUCKETS];
};
/* Ticks a late clock sends at once to catch up; further behind, it skips. */
#define SIM_CLOCK_CATCHUP 3

/** Start the clock at now_us. */
void sim_clock_start(struct sim_clock *c, long long now_us);
/** The clock's timer fired at now_us: returns how many ticks to send now
 * (0 when none is due, at most SIM_CLOCK_CATCHUP), each one's lateness
 * counted. */
int sim_clock_due(struct sim_clock *c, long long now_us);
/** The time of the next tick (for a timer that is not periodic). */
long long sim_clock_next_us(const struct sim_clock *c);
/** Bucket upper bounds in ms, for labels (the last is open). */
extern const int sim_clock_bucket_ms[SIM_CLOCK_BUCKETS];

/* What the rig sends: frames of white noise at about -30 dBm0, in G.711.
 * Not a pure tone: an echo canceller adapting on one sinusoid is
 * ill-conditioned and keeps resetting (SpeexDSP says so), which is not the
 * load a call puts on it. */
#define SIM_NOISE_FRAMES 50	/* one second, cycled */
/** Fill n frames of 160 bytes of noise in law (0 mu-law, 1 A-law) from seed. */
void sim_noise_frames(uint8_t (*frames)[160], int n, uint32_t seed, int alaw);

#endif
