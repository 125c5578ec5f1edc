/* sipgw - fuzz target: SDP for T.38 (src/sip/sdp_t38.c).
 *
 * The input is an SDP body as a re-INVITE to image/t38 brings it. It is
 * parsed; with a T.38 stream the answer sipgw would send is built from the
 * negotiation (sdp_t38_answer) and parsed back: it must parse, keep the
 * offer's m= lines in order and say exactly the parameters answered.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip/sdp_t38.h"

#define FUZZ_MAX_BODY 8192

static void check(const struct sdp_t38 *t)
{
	if (t->version < 0 || t->version > T38_VERSION_MAX || t->max_bitrate < 2400 ||
	    t->max_bitrate > 33600 || (unsigned)t->rate_mgmt > T38_TCF_LOCAL ||
	    (unsigned)t->ec > UDPTL_EC_FEC || t->max_buffer < 0 || t->max_datagram < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct sdp_t38 ours = { .version = 0, .max_bitrate = 14400, .max_buffer = 2000,
					     .max_datagram = 512, .ec = UDPTL_EC_REDUNDANCY,
					     .fill_bit_removal = 1 };
	struct sdp_t38_info *offer = malloc(sizeof(*offer)), *back = malloc(sizeof(*back));
	struct sdp_t38_build_params bp = { .addr = "127.0.0.1", .port = 20002, .sess_id = 1, .sess_ver = 2 };
	struct sdp_t38 ans;
	char *body = NULL, answer[SDP_ANSWER_LEN];
	int rc;

	if (size > FUZZ_MAX_BODY || !offer || !back)
		goto out;
	body = malloc(size + 1);
	if (!body)
		goto out;
	memcpy(body, data, size);
	body[size] = 0;
	rc = sdp_t38_parse(offer, body);
	if (rc) {
		if (rc != -EBADMSG && rc != -ENOMEDIUM && rc != -E2BIG)
			abort();
		goto out;
	}
	if (offer->image < 0 || offer->image >= offer->ml.n || offer->port < 0 ||
	    strnlen(offer->addr, sizeof(offer->addr)) >= sizeof(offer->addr))
		abort();
	check(&offer->t38);
	sdp_t38_answer(&offer->t38, &ours, &ans);
	check(&ans);
	if (ans.version > offer->t38.version || ans.max_bitrate > offer->t38.max_bitrate ||
	    ans.ec == UDPTL_EC_FEC)
		abort();
	bp.t38 = &ans;
	bp.offer = &offer->ml;
	bp.offer_image = offer->image;
	if (sdp_t38_build(answer, sizeof(answer), &bp))
		abort();
	if (sdp_t38_parse(back, answer))
		abort();
	if (back->image != offer->image || back->ml.n != offer->ml.n || back->port != bp.port ||
	    memcmp(&back->t38, &ans, sizeof(ans)))
		abort();
	for (size_t len = 1; len < sizeof(answer); len += 1 + len / 2) {
		rc = sdp_t38_build(answer, len, &bp);
		if ((rc && rc != -ENOSPC) || strnlen(answer, len) >= len)
			abort();
	}
out:
	free(body);
	free(offer);
	free(back);
	return 0;
}
