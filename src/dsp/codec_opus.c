/* sipgw - Opus (RFC 6716) on libopus, at an 8 kHz API rate: narrowband, the
 * band the PRI side carries. RTP payload and SDP by RFC 7587.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "dsp/codec_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <opus/opus.h>

/* 16 kbit/s: well above the ~8-12 kbit/s narrowband speech needs (RFC 7587
 * 3.1.1), so DTMF and test tones survive; the far end's maxaveragebitrate
 * lowers it. */
#define OP_BITRATE_DEFAULT 16000
/* RFC 7587 6.1: maxaveragebitrate is 6000 to 510000. */
#define OP_BITRATE_MIN 6000
#define OP_BITRATE_MAX 510000
/* Encoder effort 0-10 (libopus default 10, ~140 us a 20 ms packet here);
 * 5 costs about a third less (bench/codec_bench.c) for 1-2 dB less SNR on
 * the unit test's tone: a gateway runs one encoder per call. */
#define OP_COMPLEXITY 5
#define OPUS_STEP 80		/* 10 ms: the frame we cut other sizes into */
#define OPUS_SUB_MAX 256	/* bytes per 10 ms frame: 200 kbit/s, far past our rate */

struct opus_tune {
	int bitrate, fec, cbr;
};

/* The far end's a=fmtp parameters that bind our encoder (RFC 7587 6.1):
 * "maxaveragebitrate=20000; useinbandfec=1; cbr=1". Unknown ones and bad
 * values are ignored, as 6.1 asks of unknown parameters. */
static void opus_parse_fmtp(struct opus_tune *t, const char *fmtp)
{
	const char *p = fmtp;

	while (p && *p) {
		char key[32];
		long v;
		size_t kl;

		p += strspn(p, " ;");
		kl = strcspn(p, "=; ");
		if (!kl)
			break;
		if (kl < sizeof(key) && p[kl] == '=') {
			char *end;

			memcpy(key, p, kl);
			key[kl] = 0;
			v = strtol(p + kl + 1, &end, 10);
			if (end != p + kl + 1 && (*end == 0 || *end == ';' || *end == ' ')) {
				if (!strcasecmp(key, "maxaveragebitrate") && v >= OP_BITRATE_MIN &&
				    v <= OP_BITRATE_MAX)
					t->bitrate = (int)(v < OP_BITRATE_DEFAULT ? v : OP_BITRATE_DEFAULT);
				else if (!strcasecmp(key, "useinbandfec") && (v == 0 || v == 1))
					t->fec = (int)v;
				else if (!strcasecmp(key, "cbr") && (v == 0 || v == 1))
					t->cbr = (int)v;
			}
		}
		p += strcspn(p, ";");
	}
}

static int opus_err(int e)
{
	return e == OPUS_ALLOC_FAIL ? -ENOMEM : e == OPUS_BUFFER_TOO_SMALL ? -ENOSPC : -EINVAL;
}

static int op_init(struct codec *c, const char *fmtp)
{
	struct opus_tune t = { .bitrate = OP_BITRATE_DEFAULT };
	int err;

	opus_parse_fmtp(&t, fmtp);
	c->enc = opus_encoder_create(CODEC_RATE, 1, OPUS_APPLICATION_VOIP, &err);
	if (!c->enc)
		return opus_err(err);
	c->dec = opus_decoder_create(CODEC_RATE, 1, &err);
	if (!c->dec)
		return opus_err(err);
	c->aux = opus_repacketizer_create();
	if (!c->aux)
		return -ENOMEM;
	opus_encoder_ctl(c->enc, OPUS_SET_BITRATE(t.bitrate));
	opus_encoder_ctl(c->enc, OPUS_SET_MAX_BANDWIDTH(OPUS_BANDWIDTH_NARROWBAND));
	opus_encoder_ctl(c->enc, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE));
	opus_encoder_ctl(c->enc, OPUS_SET_COMPLEXITY(OP_COMPLEXITY));
	opus_encoder_ctl(c->enc, OPUS_SET_VBR(!t.cbr));
	if (t.fec) {
		/* FEC is only sent when the encoder expects loss (libopus). */
		opus_encoder_ctl(c->enc, OPUS_SET_INBAND_FEC(1));
		opus_encoder_ctl(c->enc, OPUS_SET_PACKET_LOSS_PERC(5));
	}
	return 0;
}

static void op_fini(struct codec *c)
{
	if (c->enc)
		opus_encoder_destroy(c->enc);
	if (c->dec)
		opus_decoder_destroy(c->dec);
	if (c->aux)
		opus_repacketizer_destroy(c->aux);
}

/* Frame durations libopus encodes in one call (RFC 6716 2.1.4, and 80 to
 * 120 ms since libopus 1.2): 10, 20, 40, 60, 80, 100, 120 ms. */
static int op_direct(size_t n)
{
	return n == 80 || n == 160 || n == 320 || n == 480 || n == 640 || n == 800 || n == 960;
}

static int op_enc(struct codec *c, const int16_t *pcm, size_t n, uint8_t *out, size_t outlen)
{
	uint8_t sub[CODEC_MAX_FRAME / OPUS_STEP][OPUS_SUB_MAX];
	int rc;

	if (op_direct(n)) {
		rc = opus_encode(c->enc, pcm, (int)n, out, (opus_int32)outlen);
		return rc < 0 ? opus_err(rc) : rc;
	}
	/* 30, 50, 70 ms ...: 10 ms frames joined into one packet of several
	 * frames (RFC 6716 3.2.5, code 3), which any decoder takes. */
	opus_repacketizer_init(c->aux);
	for (size_t i = 0; i < n / OPUS_STEP; i++) {
		rc = opus_encode(c->enc, pcm + i * OPUS_STEP, OPUS_STEP, sub[i], OPUS_SUB_MAX);
		if (rc < 0)
			return opus_err(rc);
		rc = opus_repacketizer_cat(c->aux, sub[i], rc);
		if (rc != OPUS_OK)
			return -EINVAL;	/* the encoder switched mode mid-packet */
	}
	rc = opus_repacketizer_out(c->aux, out, (opus_int32)outlen);
	return rc < 0 ? opus_err(rc) : rc;
}

static int op_dec(struct codec *c, const uint8_t *in, size_t len, int16_t *pcm, size_t max)
{
	int n = opus_packet_get_nb_samples(in, (opus_int32)len, CODEC_RATE);

	if (n <= 0)
		return -EBADMSG;
	if ((size_t)n > max)
		return -ENOSPC;
	n = opus_decode(c->dec, in, (opus_int32)len, pcm, (int)max, 0);
	return n < 0 ? (n == OPUS_BUFFER_TOO_SMALL ? -ENOSPC : -EBADMSG) : n;
}

const struct codec_ops codec_opus_ops = { op_init, op_fini, op_enc, op_dec };
