/* sipgw - the codec table's private side: one ops row per codec kind.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_DSP_CODEC_INTERNAL_H
#define SIPGW_DSP_CODEC_INTERNAL_H

#include "dsp/codec.h"

struct codec_ops {
	int (*init)(struct codec *c, const char *fmtp);
	void (*fini)(struct codec *c);
	/* n8k already checked by codec_frame_ok, outlen by max_bytes */
	int (*encode)(struct codec *c, const int16_t *pcm, size_t n8k, uint8_t *out, size_t outlen);
	/* len > 0 */
	int (*decode)(struct codec *c, const uint8_t *in, size_t len, int16_t *pcm, size_t max);
};

struct codec {
	const struct codec_desc *d;
	const struct codec_ops *ops;
	void *enc, *dec;	/* the library's states */
	void *aux;		/* opus: the repacketiser */
};

extern const struct codec_ops codec_opus_ops;

#endif
