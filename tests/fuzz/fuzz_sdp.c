/* sipgw - fuzz target: SDP offer/answer (src/sip/sdp.c).
 *
 * The input is an SDP body as it arrives in an INVITE or re-INVITE. It is
 * parsed as sip_leg.c does (sdp_info_parse, first G.711 payload type), then
 * the answer sipgw would send is built (sdp_build, direction by RFC 3264 6.1)
 * and parsed back: our own answer must always parse and say what we meant.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dsp/codec.h"
#include "dsp/g711.h"
#include "sip/sdp.h"
#include "sip/sip_caps.h"

#define FUZZ_MAX_BODY 8192

static void check_info(const struct sdp_info *si)
{
	if (si->n_pts < 0 || si->n_pts > SDP_MAX_PTS ||
	    strnlen(si->addr, sizeof(si->addr)) >= sizeof(si->addr))
		abort();
	if ((unsigned)si->dir > SDP_INACTIVE || si->te_pt < -1 || si->te_pt > 127 ||
	    si->cn_pt < -1 || si->cn_pt > 127 || si->ptime < 0 || si->ptime > 1000 ||
	    si->maxptime < 0 || si->maxptime > 1000)
		abort();
	for (int i = 0; i < si->n_pts; i++) {
		const struct sdp_rtpmap *m = &si->maps[i];

		if (si->pts[i] < 0 || si->pts[i] > 127)
			abort();
		if (strnlen(m->enc, sizeof(m->enc)) >= sizeof(m->enc) ||
		    strnlen(m->fmtp, sizeof(m->fmtp)) >= sizeof(m->fmtp) || m->channels < 1 ||
		    m->clock < 0)
			abort();
	}
	if (si->null_addr != !strcmp(si->addr, "0.0.0.0"))
		abort();
}

/* sdp_negotiate over every codec we have, in table order: the choice is one
 * the offer carries, and the answer built from it (the offer's PT, RFC 3264
 * 6.1) parses back to the same codec. */
static void negotiate(const struct sdp_info *offer)
{
	const struct codec_desc *prefs[8];
	struct sdp_build_params bp = { .addr = "127.0.0.1", .port = 20004, .n_pts = 1, .sess_id = 1 };
	struct sdp_choice ch;
	struct sdp_info back;
	char answer[SDP_ANSWER_LEN];
	int n = 0, found = 0;

	while (n < 8 && (prefs[n] = codec_nth(n)))
		n++;
	if (sdp_negotiate(offer, prefs, n, &ch)) {
		for (int i = 0; i < offer->n_pts; i++)
			if (sdp_pt_codec(offer, i))
				abort();	/* refused an offer we could take */
		return;
	}
	for (int i = 0; i < offer->n_pts; i++)
		found |= offer->pts[i] == ch.pt && sdp_pt_codec(offer, i) == ch.codec;
	if (!found || !ch.codec || strnlen(ch.fmtp, sizeof(ch.fmtp)) >= sizeof(ch.fmtp))
		abort();
	bp.pts = &ch.pt;
	bp.codecs = &ch.codec;		/* the answer's fmtp is ours (RFC 7587 6.1: what we receive) */
	bp.te_pt = ch.te_pt;
	bp.cn_pt = ch.cn_pt;
	bp.ptime = ch.ptime;
	bp.maxptime = ch.maxptime;
	bp.offer = &offer->ml;
	if (sdp_build(answer, sizeof(answer), &bp) || sdp_info_parse(&back, answer))
		abort();
	if (back.n_pts < 1 || back.pts[0] != ch.pt || sdp_pt_codec(&back, 0) != ch.codec ||
	    back.ptime != ch.ptime || back.maxptime != ch.maxptime)
		abort();
}

/* The refusal's Warning (sip_caps.c) carries the parser's words about the
 * peer's text: one header value, one quoted-string, nothing let out. */
static void check_refusal(int rc, const struct sdp_info *si)
{
	struct sip_caps_refusal r;
	char w[200], *q;

	sip_caps_offer_refusal(rc, si, NULL, &r);
	if ((r.status != 400 && r.status != 488) || strnlen(r.text, sizeof(r.text)) >= sizeof(r.text))
		abort();
	sip_caps_warning(w, sizeof(w), r.warn, "192.0.2.1", 5060, r.text);
	q = strchr(w, '"');
	if (!q || w[strlen(w) - 1] != '"' || strchr(q + 1, '"') != w + strlen(w) - 1 || strchr(w, '\\'))
		abort();
	for (const char *p = w; *p; p++)
		if ((unsigned char)*p < 0x20)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sdp_info offer, back;
	struct sdp_build_params bp = { .addr = "127.0.0.1", .port = 20002, .sess_id = 1, .sess_ver = 2 };
	char *body, answer[SDP_ANSWER_LEN];
	enum g711_law law;
	int pts[2], pt = -1, rc;

	if (size > FUZZ_MAX_BODY)
		return 0;
	body = malloc(size + 1);
	if (!body)
		return 0;
	memcpy(body, data, size);
	body[size] = 0;
	rc = sdp_info_parse(&offer, body);
	free(body);
	if (rc) {
		/* malformed, no audio stream, too many m= lines: refused (400/488) */
		if (rc != -EBADMSG && rc != -ENOMEDIUM && rc != -E2BIG)
			abort();
		check_refusal(rc, &offer);
		return 0;
	}
	check_info(&offer);
	(void)sdp_is_hold(&offer);
	(void)sdp_dir_name(offer.dir);

	negotiate(&offer);

	/* sip_leg.c sl_take_sdp: the first payload type that is G.711 */
	for (int i = 0; i < offer.n_pts && pt < 0; i++)
		if (g711_pt_law(offer.pts[i], &law) == 0)
			pt = offer.pts[i];
	if (sdp_choose_pt(&offer, (const int[]){ 0, 8 }, 2) < 0 && pt >= 0)
		abort();
	if (pt < 0)
		return 0;	/* 488 */

	/* the answer (sl_build_sdp with the chosen payload type) */
	pts[0] = pt;
	bp.pts = pts;
	bp.n_pts = 1;
	bp.te_pt = offer.te_pt;
	bp.dir = sdp_dir_answer(offer.dir);
	bp.null_addr = offer.null_addr;
	/* the offer's transport and rtcp-mux kept (sip_media.c; RFC 3264 6, RFC 5761 5.1.1) */
	bp.proto = offer.proto < SDP_PROTO_OTHER ? offer.proto : SDP_PROTO_AVP;
	bp.rtcp_mux = offer.rtcp_mux;
	bp.offer = &offer.ml;	/* every other m= line refused with port 0, in order */
	if (sdp_build(answer, sizeof(answer), &bp))
		abort();
	if (sdp_info_parse(&back, answer))
		abort();
	check_info(&back);
	if (back.port != bp.port || back.n_pts < 1 || back.pts[0] != pt || back.dir != bp.dir ||
	    back.null_addr != bp.null_addr || back.proto != bp.proto || back.rtcp_mux != bp.rtcp_mux)
		abort();
	if ((unsigned)offer.proto > SDP_PROTO_OTHER || strcmp(sdp_proto_name(offer.proto), "") == 0)
		abort();
	if (offer.te_pt >= 0 && offer.te_pt != pt && back.te_pt != offer.te_pt)
		abort();

	/* an offer with both laws; a buffer too small is -ENOSPC and terminated */
	pts[1] = pt == 0 ? 8 : 0;
	bp.n_pts = 2;
	bp.null_addr = 0;
	for (size_t len = 1; len < sizeof(answer); len += 1 + len / 2) {
		rc = sdp_build(answer, len, &bp);
		if (rc && rc != -ENOSPC)
			abort();
		if (strnlen(answer, len) >= len)
			abort();
	}
	return 0;
}
