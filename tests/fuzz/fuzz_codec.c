/* sipgw - fuzz target: RTP payload decoding (src/dsp/codec.c, codec_opus.c).
 *
 * The input's first byte picks the codec (its low bits, over the audio codec
 * table) and how much room the decoder gets (its high bits); the rest is one
 * RTP payload as it arrives from the far end, then the same bytes again in
 * pieces, as a stream of packets. Every call must return samples within the
 * room given or a negative errno, with no sanitizer report.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "dsp/codec.h"

static const size_t rooms[] = { CODEC_MAX_FRAME, 160, 80, 1 };

static void decode_one(struct codec *c, const uint8_t *p, size_t n, size_t room)
{
	int16_t pcm[CODEC_MAX_FRAME];
	int rc = codec_decode(c, p, n, pcm, room);

	if (rc > (int)room || rc == 0 || (rc < 0 && rc != -EBADMSG && rc != -ENOSPC))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct codec_desc *d;
	struct codec *c;
	int n = 0;

	if (size < 1)
		return 0;
	while (codec_nth(n))
		n++;
	d = codec_nth(data[0] % n);
	if (codec_alloc(&c, d, NULL))
		abort();
	decode_one(c, data + 1, size - 1, rooms[(data[0] >> 6) & 3]);
	/* the same bytes as several packets: state carried between them */
	for (size_t off = 1, step = 33; off < size; off += step, step = step * 2 + 1)
		decode_one(c, data + off, size - off < step ? size - off : step, CODEC_MAX_FRAME);
	codec_free(c);
	return 0;
}
