/* sipgw - fuzz target: what the load rig reads of the gateway's media (src/sim/
 * sim_stream.c): RTP fixed headers, and the timing of streams whatever their
 * arrival times and sequence numbers. The first byte is the payload type the
 * call agreed; the rest, in 16-byte records, is one datagram's first 12 bytes
 * (an RTP header or not) and a 4-byte arrival delta in microseconds. Besides
 * "no crash": every datagram is a frame, a duplicate or refused; late gaps
 * and loss stay within what the frames can hold; time only moves forward.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim_stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sim_stream rtp = { 0 }, bch = { 0 };
	long long t = 1000000, refused = 0, n = 0;
	int pt;

	if (!size)
		return 0;
	pt = data[0] & 0x7f;
	for (size_t off = 1; off + 16 <= size; off += 16) {
		uint8_t *hdr = malloc(12);	/* exactly the header: ASan sees a read past it */
		uint32_t dt;
		uint16_t seq;

		if (!hdr)
			return 0;
		memcpy(hdr, data + off, 12);
		memcpy(&dt, data + off + 12, 4);
		t += dt % 200000;
		n++;
		if (sim_rtp_header(hdr, 12, pt, &seq) == 0) {
			sim_stream_rtp(&rtp, t, seq);
		} else {
			refused++;
		}
		/* a short one never parses */
		if (sim_rtp_header(hdr, (size_t)(data[off] % 12), pt, &seq) == 0)
			abort();
		free(hdr);
		sim_stream_frame(&bch, t);
	}
	if (rtp.frames + rtp.dups + refused != n || bch.frames != n)
		abort();
	if (rtp.late > rtp.frames || bch.late > bch.frames || rtp.reordered > rtp.frames)
		abort();
	if (sim_stream_lost(&rtp) < 0 || sim_stream_lost(&bch) < 0 || sim_stream_lost(&rtp) > 65536LL * n)
		abort();
	/* by time: no more lost than 200 ms of frames between two arrivals */
	if (sim_stream_lost(&bch) > n * 10)
		abort();
	if (bch.frames && (bch.last_us < bch.first_us || bch.max_gap_us >= 200000))
		abort();
	return 0;
}
