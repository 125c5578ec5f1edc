/* sipgw - the codec table and the SpanDSP codecs (G.711, G.722, GSM 06.10).
 * Opus is in codec_opus.c. G.729 is left out on purpose: the one free
 * implementation here (bcg729) is GPL-3.0-or-later, which cannot be linked
 * with libpri (GPL-2.0-only).
 * SPDX-License-Identifier: GPL-2.0-only */
#include "dsp/codec_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <spandsp.h>

#include "dsp/g711.h"

/* RFC 3551 4.5.8.1: every GSM 06.10 frame in RTP is 33 bytes, 160 samples,
 * and starts with the signature nibble 0xD. */
#define GSM_FRAME_BYTES 33
#define GSM_FRAME_SAMPLES 160
#define GSM_MAGIC 0xd0

/* ---- G.711 (RFC 3551 4.5.14): one byte per sample, no state ---- */

static int pcm_init(struct codec *c, const char *fmtp) { return 0; }
static void pcm_fini(struct codec *c) {}

static enum g711_law law_of(const struct codec *c)
{
	return c->d->static_pt == RTP_PT_PCMA ? LAW_ALAW : LAW_ULAW;
}

static int pcm_enc(struct codec *c, const int16_t *pcm, size_t n, uint8_t *out, size_t outlen)
{
	if (outlen < n)
		return -ENOSPC;
	g711_law_encode(law_of(c), pcm, out, n);
	return (int)n;
}

static int pcm_dec(struct codec *c, const uint8_t *in, size_t len, int16_t *pcm, size_t max)
{
	if (len > max)
		return -ENOSPC;
	g711_law_decode(law_of(c), in, pcm, len);
	return (int)len;
}

static const struct codec_ops pcm_ops = { pcm_init, pcm_fini, pcm_enc, pcm_dec };

/* ---- G.722 at 64 kbit/s (RFC 3551 4.5.2) ----
 * Our audio is 8 kHz, so SpanDSP runs it with G722_SAMPLE_RATE_8000: each
 * 8 kHz sample is the lower sub-band of one 16 kHz sample pair and the upper
 * band is sent empty. One byte per 8 kHz sample, as on the wire (160 bytes
 * per 20 ms), so the RTP clock of 8000 (the RFC's historic error) is also
 * one tick per byte. A wideband phone hears our narrowband audio; what it
 * sends above 4 kHz is dropped by the decoder. */

static int g722_init(struct codec *c, const char *fmtp)
{
	c->enc = g722_encode_init(NULL, 64000, G722_SAMPLE_RATE_8000);
	c->dec = g722_decode_init(NULL, 64000, G722_SAMPLE_RATE_8000);
	return c->enc && c->dec ? 0 : -ENOMEM;
}

static void g722_fini(struct codec *c)
{
	if (c->enc)
		g722_encode_free(c->enc);
	if (c->dec)
		g722_decode_free(c->dec);
}

static int g722_enc(struct codec *c, const int16_t *pcm, size_t n, uint8_t *out, size_t outlen)
{
	if (outlen < n)
		return -ENOSPC;
	return g722_encode(c->enc, out, pcm, (int)n);
}

static int g722_dec(struct codec *c, const uint8_t *in, size_t len, int16_t *pcm, size_t max)
{
	if (len > max)
		return -ENOSPC;
	return g722_decode(c->dec, pcm, in, (int)len);
}

static const struct codec_ops g722_ops = { g722_init, g722_fini, g722_enc, g722_dec };

/* ---- GSM 06.10 full rate (RFC 3551 4.5.8), SpanDSP's VoIP packing ---- */

static int gsm_init(struct codec *c, const char *fmtp)
{
	c->enc = gsm0610_init(NULL, GSM0610_PACKING_VOIP);
	c->dec = gsm0610_init(NULL, GSM0610_PACKING_VOIP);
	return c->enc && c->dec ? 0 : -ENOMEM;
}

static void gsm_fini(struct codec *c)
{
	if (c->enc)
		gsm0610_free(c->enc);
	if (c->dec)
		gsm0610_free(c->dec);
}

static int gsm_enc(struct codec *c, const int16_t *pcm, size_t n, uint8_t *out, size_t outlen)
{
	if (outlen < n / GSM_FRAME_SAMPLES * GSM_FRAME_BYTES)
		return -ENOSPC;
	return gsm0610_encode(c->enc, out, pcm, (int)n);
}

static int gsm_dec(struct codec *c, const uint8_t *in, size_t len, int16_t *pcm, size_t max)
{
	/* Whole frames only, each with its signature: anything else is not
	 * GSM, and SpanDSP would decode a cut frame from bytes past its end. */
	if (len % GSM_FRAME_BYTES)
		return -EBADMSG;
	for (size_t i = 0; i < len; i += GSM_FRAME_BYTES)
		if ((in[i] & 0xf0) != GSM_MAGIC)
			return -EBADMSG;
	if (len / GSM_FRAME_BYTES * GSM_FRAME_SAMPLES > max)
		return -ENOSPC;
	return gsm0610_decode(c->dec, pcm, in, (int)len);
}

static const struct codec_ops gsm_ops = { gsm_init, gsm_fini, gsm_enc, gsm_dec };

/* ---- the table ---- */

/* Sample-based codecs carry any whole number of samples (RFC 3551 4.2);
 * the media path sends multiples of 10 ms. Opus frames are 2.5 to 60 ms
 * (RFC 6716 2.1.4); we make them in 10 ms steps, the ptime grain. */
static const struct codec_desc codecs[] = {
	{ "PCMU", "g711ulaw", RTP_PT_PCMU, -1, 8000, 1, 1, NULL, &pcm_ops },
	{ "PCMA", "g711alaw", RTP_PT_PCMA, -1, 8000, 1, 1, NULL, &pcm_ops },
	{ "G722", "g722-64", 9, -1, 8000, 1, 1, NULL, &g722_ops },
	{ "GSM", "gsmfr", 3, -1, 8000, 1, GSM_FRAME_SAMPLES, NULL, &gsm_ops },
	/* RFC 7587 7: always opus/48000/2, whatever is sent. We tell the far
	 * end that we play and capture 8 kHz (6.1), so it need not spend bits
	 * on a band we drop. */
	{ "opus", "opus", -1, 96, 48000, 2, 80, "maxplaybackrate=8000;sprop-maxcapturerate=8000",
	  &codec_opus_ops },
};

/* RFC 4733 7.1.1: the events we handle are the 16 DTMF digits and flash (16). */
const struct codec_desc codec_telephone_event = {
	"telephone-event", "telephone-event", -1, 101, 8000, 1, 1, "0-16", NULL
};
/* RFC 3389 comfort noise: static PT 13 (RFC 3551 table 4). */
const struct codec_desc codec_cn = { "CN", "cn", 13, -1, 8000, 1, 1, NULL, NULL };

#define N_CODECS (sizeof(codecs) / sizeof(codecs[0]))

const struct codec_desc *codec_nth(int i)
{
	return i >= 0 && (size_t)i < N_CODECS ? &codecs[i] : NULL;
}

const struct codec_desc *codec_find(const char *sdp_name, int clock)
{
	if (!sdp_name)
		return NULL;
	for (size_t i = 0; i < N_CODECS; i++)
		if (!strcasecmp(codecs[i].name, sdp_name) && codecs[i].clock == clock)
			return &codecs[i];
	if (!strcasecmp(sdp_name, codec_telephone_event.name) && clock == 8000)
		return &codec_telephone_event;
	if (!strcasecmp(sdp_name, codec_cn.name) && clock == 8000)
		return &codec_cn;
	return NULL;
}

const struct codec_desc *codec_by_cfg(const char *cfg)
{
	if (!cfg)
		return NULL;
	for (size_t i = 0; i < N_CODECS; i++)
		if (!strcasecmp(codecs[i].cfg, cfg))
			return &codecs[i];
	return NULL;
}

const struct codec_desc *codec_by_static_pt(int pt)
{
	if (pt < 0)
		return NULL;
	for (size_t i = 0; i < N_CODECS; i++)
		if (codecs[i].static_pt == pt)
			return &codecs[i];
	return pt == codec_cn.static_pt ? &codec_cn : NULL;
}

int codec_ts_per_sample(const struct codec_desc *d)
{
	return d && d->clock > CODEC_RATE ? d->clock / CODEC_RATE : 1;
}

int codec_frame_ok(const struct codec_desc *d, size_t n8k)
{
	return d && d->ops && n8k > 0 && n8k <= CODEC_MAX_FRAME && n8k % (size_t)d->frame_samples == 0;
}

int codec_alloc(struct codec **cp, const struct codec_desc *d, const char *fmtp)
{
	struct codec *c;
	int rc;

	if (!d || !d->ops)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->d = d;
	c->ops = d->ops;
	rc = c->ops->init(c, fmtp);
	if (rc) {
		codec_free(c);
		return rc;
	}
	*cp = c;
	return 0;
}

void codec_free(struct codec *c)
{
	if (!c)
		return;
	c->ops->fini(c);
	free(c);
}

const struct codec_desc *codec_desc(const struct codec *c)
{
	return c->d;
}

int codec_encode(struct codec *c, const int16_t *pcm, size_t n8k, uint8_t *out, size_t outlen)
{
	if (!codec_frame_ok(c->d, n8k))
		return -EINVAL;
	return c->ops->encode(c, pcm, n8k, out, outlen);
}

int codec_decode(struct codec *c, const uint8_t *in, size_t len, int16_t *pcm, size_t max)
{
	if (!len || len > CODEC_MAX_PAYLOAD)
		return -EBADMSG;
	return c->ops->decode(c, in, len, pcm, max);
}
