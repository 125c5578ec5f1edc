/* sipgw - fuzz target: RTCP compound packets (src/rtp/rtcp.c).
 *
 * The input is one datagram as it arrives on an RTP session's RTCP port.
 * rtcp_parse must refuse it or say something consistent; what it read is
 * then built again with rtcp_build and must parse back to the same figures
 * (our own reports always parse). The same octets, two at a time, also
 * drive the receiver statistics as sequence numbers: whatever the order,
 * the reported loss stays within its 24-bit field.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rtp/rtcp.h"

static void check_round_trip(const struct rtcp_info *ri)
{
	struct rtcp_build_params bp = {
		.ssrc = ri->ssrc, .sr = ri->has_sr, .si = ri->si, .rb = ri->rb, .n_rb = ri->n_rb,
		.cname = ri->cname[0] ? ri->cname : "x", .bye = ri->bye,
	};
	uint8_t buf[RTCP_MAX_PKT * 2];
	struct rtcp_info back;
	int n = rtcp_build(buf, sizeof(buf), &bp);

	if (n <= 0 || n % 4)
		abort();
	if (rtcp_parse(buf, (size_t)n, &back))
		abort();
	if (back.ssrc != ri->ssrc || back.has_sr != ri->has_sr || back.n_rb != ri->n_rb ||
	    back.bye != ri->bye || strcmp(back.cname, bp.cname) || back.n_pkts != 2u + !!ri->bye)
		abort();
	if (ri->has_sr && memcmp(&back.si, &ri->si, sizeof(ri->si)))
		abort();
	for (int i = 0; i < ri->n_rb; i++)
		if (memcmp(&back.rb[i], &ri->rb[i], sizeof(ri->rb[i])))
			abort();
	/* too small a buffer is refused, never overrun */
	if (rtcp_build(buf, (size_t)n - 1, &bp) != -ENOSPC)
		abort();
}

static void check_stats(const uint8_t *data, size_t size)
{
	struct rtcp_source s;
	struct rtcp_rb rb;

	if (size < 2)
		return;
	rtcp_source_init(&s, 1, (uint16_t)(data[0] << 8 | data[1]));
	for (size_t i = 0; i + 1 < size; i += 2) {
		uint16_t seq = (uint16_t)(data[i] << 8 | data[i + 1]);
		rtcp_source_update(&s, seq);
		rtcp_source_jitter(&s, seq * 160u, (uint32_t)i * 80u);
		if (i % 16 == 0) {
			rtcp_source_report(&s, &rb);
			if (rb.lost > 0x7fffff || rb.lost < -0x800000)
				abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rtcp_info ri;
	int rc;

	if (size > RTCP_MAX_PKT * 2)
		return 0;
	rc = rtcp_parse(data, size, &ri);
	if (rc) {
		if (rc != -EBADMSG)
			abort();
	} else {
		if (ri.n_rb < 0 || ri.n_rb > RTCP_MAX_RB || strnlen(ri.cname, sizeof(ri.cname)) > 255 ||
		    ri.n_pkts < 1 || (ri.n_rb && size < 8 + 24u * (unsigned)ri.n_rb))
			abort();
		check_round_trip(&ri);
	}
	check_stats(data, size);
	return 0;
}
