/* sipgw - voice codecs between the gateway's internal audio (16-bit linear,
 * 8 kHz, the PRI side's rate) and RTP payloads: G.711, G.722, GSM 06.10, Opus.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_DSP_CODEC_H
#define SIPGW_DSP_CODEC_H

#include <stddef.h>
#include <stdint.h>

#define CODEC_RATE 8000		/* the internal sample rate */
#define CODEC_MAX_FRAME 960	/* 120 ms at 8 kHz: the longest packet decoded (Opus, RFC 6716 3.2.5) */
#define CODEC_MAX_PAYLOAD 1500	/* no payload is longer than a datagram */

struct codec_ops;

/* One entry of the codec table: what SDP and config call it, how RTP clocks
 * it. Descriptors are static and live as long as the program. */
struct codec_desc {
	const char *name;	/* SDP encoding name: "PCMU", "G722", "opus", ... */
	const char *cfg;	/* Cisco-style config name: "g711ulaw", "g722-64", ... */
	int static_pt;		/* RFC 3551 static payload type, -1 = dynamic */
	int dyn_pt;		/* the payload type we offer it on when dynamic, else -1 */
	int clock;		/* RTP clock: 8000 (G.722 too, RFC 3551 4.5.2), 48000 opus */
	int channels;		/* the a=rtpmap channel count (opus/48000/2, RFC 7587 7); 1 = omitted */
	int frame_samples;	/* a packet is a multiple of this many 8 kHz samples */
	const char *fmtp;	/* our a=fmtp for it, NULL = none */
	const struct codec_ops *ops;	/* NULL: telephone-event and CN, no instance */
};

/* The descriptors that are not audio (RFC 4733, RFC 3389). */
extern const struct codec_desc codec_telephone_event, codec_cn;

/** By SDP encoding name (case-insensitive, RFC 4566 6) and RTP clock; NULL if unknown. */
const struct codec_desc *codec_find(const char *sdp_name, int clock);
/** By config name ("g711ulaw"); NULL if unknown. */
const struct codec_desc *codec_by_cfg(const char *cfg);
/** By RFC 3551 static payload type; NULL if none or unknown. */
const struct codec_desc *codec_by_static_pt(int pt);
/** The audio codecs, in table order, for listing them: i-th or NULL past the end. */
const struct codec_desc *codec_nth(int i);
/** RTP timestamp units per 8 kHz sample: 1 for G.711/G.722/GSM, 6 for opus. */
int codec_ts_per_sample(const struct codec_desc *d);
/** True when n 8 kHz samples make a packet this codec can carry (a multiple
 * of frame_samples, at most CODEC_MAX_FRAME). */
int codec_frame_ok(const struct codec_desc *d, size_t n8k);

/* One direction pair of codec state (encoder and decoder). */
struct codec;
/** An instance of an audio codec; fmtp is the far end's a=fmtp (NULL = none),
 * which may tune the encoder (opus: maxaveragebitrate, useinbandfec, cbr).
 * 0, -EINVAL for a descriptor without audio, -ENOMEM. */
int codec_alloc(struct codec **cp, const struct codec_desc *d, const char *fmtp);
void codec_free(struct codec *c);
const struct codec_desc *codec_desc(const struct codec *c);
/** n8k samples of 8 kHz linear -> payload bytes: bytes written, -EINVAL when
 * n8k is not a packet this codec makes (codec_frame_ok), -ENOSPC when out is short. */
int codec_encode(struct codec *c, const int16_t *pcm, size_t n8k, uint8_t *out, size_t outlen);
/** Payload -> 8 kHz linear: samples written; -EBADMSG for an empty, truncated
 * or malformed payload, -ENOSPC when it holds more than max samples. */
int codec_decode(struct codec *c, const uint8_t *in, size_t len, int16_t *pcm, size_t max);

#endif
