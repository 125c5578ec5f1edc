/* sipgw - phone simulator: one call's SDP (RFC 3264): our offers and answers
 * by --codec and --ptime, and the far end's description taken, the codec
 * negotiated again on each. SPDX-License-Identifier: GPL-2.0-only */
#include "sim/phone_pcall.h"

#include <errno.h>
#include <string.h>

#include <sofia-sip/sip.h>

/* Our SDP: an offer lists every codec we take (or --at codec:NAME's one);
 * an answer only the chosen one, on the offer's PT. a=ptime says --ptime. */
const char *pcall_sdp(struct pcall *c, char *buf, int hold)
{
	const struct phone_opts *o = &c->ph->o;
	const struct codec_desc *const *codecs = o->codecs;
	int pts[PHONE_MAX_CODECS], n = o->n_codecs;
	struct sdp_build_params p = {
		.addr = o->bind_addr, .port = pmedia_local_port(c->media), .pts = pts,
		.codecs = codecs, .te_pt = o->no_te ? -1 : SDP_PT_TELEPHONE_EVENT, .ptime = o->ptime,
		.dir = hold ? c->hold_dir : SDP_SENDRECV, .null_addr = hold && c->hold_null,
		.sess_id = c->sess_id, .sess_ver = c->sess_ver++,
	};

	const struct codec_desc *one = c->offer_codec;

	if (one) {
		codecs = &one;
		n = 1;
		c->offer_codec = NULL;	/* once: later offers (hold, refresh) as agreed */
	} else if (c->pt >= 0 && c->codec) {
		codecs = &c->codec;
		n = 1;
		p.te_pt = c->te_pt;
		p.te_clock = c->te_clock;
	}
	for (int i = 0; i < n; i++) {
		pts[i] = codecs == &c->codec ? c->pt : pmedia_offer_pt(codecs[i]);
		/* an offer with Opus has its events at 48 kHz too (RFC 7587 7) */
		if (codecs != &c->codec && codecs[i]->clock == 48000 && p.te_pt >= 0)
			p.te48_pt = SDP_PT_TELEPHONE_EVENT_48K;
	}
	p.codecs = codecs;
	p.n_pts = n;
	if (sdp_build(buf, SDP_BUF_LEN, &p) < 0)
		buf[0] = '\0';
	return buf;
}

const char *pcall_sdp_answer(struct pcall *c, char *buf, enum sdp_dir dir)
{
	struct sdp_build_params p = {
		.addr = c->ph->o.bind_addr, .port = pmedia_local_port(c->media),
		.pts = &c->pt, .codecs = &c->codec, .n_pts = 1, .te_pt = c->te_pt, .te_clock = c->te_clock,
		.ptime = c->ph->o.ptime,
		.dir = dir, .sess_id = c->sess_id, .sess_ver = c->sess_ver++,
	};

	if (sdp_build(buf, SDP_BUF_LEN, &p) < 0)
		buf[0] = '\0';
	return buf;
}

int pcall_sdp_of(const sip_t *sip, struct sdp_info *si)
{
	if (!sip || !sip->sip_payload || !sip->sip_payload->pl_data)
		return -ENOENT;
	char body[4096];
	size_t n = sip->sip_payload->pl_len < sizeof(body) - 1 ? sip->sip_payload->pl_len
							       : sizeof(body) - 1;
	memcpy(body, sip->sip_payload->pl_data, n);
	body[n] = '\0';
	return sdp_info_parse(si, body);
}

/* Take the far end's description: RTP goes where it says, unless it holds
 * us. The codec is the first of --codec the description carries (RFC 3264
 * 6.1, ours first), chosen again on every offer and answer, so that a
 * re-INVITE may change it. */
int pcall_apply_remote(struct pcall *c, const struct sdp_info *si)
{
	const struct phone_opts *o = &c->ph->o;
	struct sdp_choice ch;

	if (sdp_negotiate(si, o->codecs, o->n_codecs, &ch) < 0)
		return -ENOTSUP;
	c->pt = ch.pt;
	c->codec = ch.codec;
	if (o->no_te)	/* --no-telephone-event: none in our answer */
		ch.te_pt = -1;
	c->te_pt = ch.te_pt;
	c->te_clock = ch.te_clock;
	if (sdp_is_hold(si))
		return pmedia_set_remote(c->media, NULL, 0, &ch);
	return pmedia_set_remote(c->media, si->addr, si->port, &ch);
}
