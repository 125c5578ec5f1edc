/* sipgw - the SIP leg's media: our SDP offers and answers, the far end's SDP
 * taken (RFC 3264), and the RTP session glued to the leg's media port.
 * The leg's state machine is in sip_leg.c, nua's events in sip_leg_nua.c.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "sip/sip_internal.h"

#include <errno.h>
#include <stdio.h>

#include "core/fsm.h"
#include "core/log.h"
#include "dsp/cn.h"
#include "dsp/codec.h"
#include "rtp/rtp.h"

void sl_set_codecs(struct sip_leg *sl, const struct dp_codecs *names)
{
	sl->n_prefs = 0;
	for (int i = 0; names && i < names->n && sl->n_prefs < DP_MAX_CODECS; i++) {
		const struct codec_desc *d = codec_by_cfg(names->v[i]);

		if (d)
			sl->prefs[sl->n_prefs++] = d;
		else	/* config checked the names: only a table out of step gets here */
			LOGW(LSS_SIP, "codec \"%s\" is not built in; left out", names->v[i]);
	}
	if (!sl->n_prefs) {
		/* no list given (a UA built without one): G.711, as before lists */
		sl->prefs[sl->n_prefs++] = codec_by_cfg("g711ulaw");
		sl->prefs[sl->n_prefs++] = codec_by_cfg("g711alaw");
	}
}

/* Our SDP: an offer lists the leg's codec order (the dial-peer's voice-class
 * codec, else rtp.codecs), each on its static PT or our dynamic one, then
 * telephone-event (RFC 4733); an answer carries the chosen codec on the
 * offer's PT, and one m= line per offered one (offer: the layout answered;
 * NULL for an offer). a=ptime: the packets we send. */
int sl_build_answer(struct sip_leg *sl, char *buf, size_t len, enum sdp_dir dir,
		    const struct sdp_mlines *offer)
{
	int pts[DP_MAX_CODECS];
	char addr[NETADDR_STRLEN];
	struct sdp_build_params bp = {
		.addr = sl_media_addr(sl, addr, sizeof(addr)), .port = rtp_local_port(sl->rtp), .pts = pts,
		.te_pt = SDP_PT_TELEPHONE_EVENT, .dir = dir,
		.sess_id = sl->sdp_id, .sess_ver = ++sl->sdp_ver, .offer = offer,
		.null_addr = sl->offer_null_addr, .ptime = sl->rm.ptime, .proto = sl->proto,
		.rtcp_mux = sl->rtcp_mux,
		.maxptime = SIP_RTP_MAX_PTIME,	/* the longest packet we take (RFC 4566 6) */
	};

	if (sl->pt >= 0 && sl->rm.codec) {
		pts[0] = sl->pt;
		bp.codecs = &sl->prefs[0];
		for (int i = 0; i < sl->n_prefs; i++)
			if (sl->prefs[i] == codec_desc(sl->rm.codec))
				bp.codecs = &sl->prefs[i];
		bp.n_pts = 1;
		bp.te_pt = sl->te_pt;
		bp.te_clock = sl->rm.te_clock;
		bp.cn_pt = sl->rm.cn_pt;
	} else {
		for (int i = 0; i < sl->n_prefs; i++)
			pts[i] = sl->prefs[i]->static_pt >= 0 ? sl->prefs[i]->static_pt : sl->prefs[i]->dyn_pt;
		bp.codecs = sl->prefs;
		bp.n_pts = sl->n_prefs;
		/* with a 48 kHz codec offered, its events too (RFC 7587 7) */
		for (int i = 0; i < sl->n_prefs; i++)
			if (sl->prefs[i]->clock == 48000)
				bp.te48_pt = SDP_PT_TELEPHONE_EVENT_48K;
		bp.cn_pt = sl->ua->vad ? CN_PT : -1;	/* RFC 3389 4: CN/8000 on its static PT */
	}
	if (sip_srtp_sdp(sl, &bp))	/* RTP/SAVP and a=crypto (RFC 4568) when the leg has SRTP */
		return -EIO;
	return sdp_build(buf, len, &bp);
}

int sl_build_sdp(struct sip_leg *sl, char *buf, size_t len, enum sdp_dir dir)
{
	return sl_build_answer(sl, buf, len, dir, NULL);
}

/* The audio transport of the far end's SDP, if we can speak it: RTP/AVP,
 * or RTP/AVPF (RFC 4585: AVP plus feedback; answered in kind without its
 * a=rtcp-fb lines, which 4.2 lets an answer drop, and regular reports at
 * AVP's intervals). RTP/SAVP(F) needs SRTP (RFC 3711): whether this leg
 * can have it (TLS, keys) is sip_srtp_take()'s to say. */
static int sl_proto_ok(const struct sip_leg *sl, const struct sdp_info *si)
{
	return si->proto != SDP_PROTO_OTHER;
}

/* Take the far side's SDP (answer to our offer, or its re-offer): 1 when
 * it holds us (RFC 3264 8.4: we send nothing then), 0 when not, -EPROTO
 * when it has none of our codecs, -EPROTONOSUPPORT for a transport we do
 * not speak (RTP/SAVP without SRTP), -EKEYREJECTED for SDES keys we cannot
 * take (sip_srtp_take). The codec is the first of our order the
 * SDP carries (sdp_negotiate: ours wins, as IOS's voice-class codec), so a
 * re-offer may change it. The caller moves the dialog between CONFIRMED
 * and HELD. */
int sl_take_sdp(struct sip_leg *sl, const struct sdp_info *si)
{
	struct sdp_choice ch;
	int hold, rc;

	if (!sl_proto_ok(sl, si))
		return -EPROTONOSUPPORT;
	/* the keys after the codec and before anything moves: refused, the leg is as it was */
	if (sdp_negotiate(si, sl->prefs, sl->n_prefs, &ch))
		return -EPROTO;
	if ((rc = sip_srtp_take(sl, si)))
		return rc;
	if (sip_rtp_set_codec(sl, &ch))
		return -EPROTO;
	sl->pt = ch.pt;
	sl->proto = si->proto;	/* our answers and later offers keep it (RFC 3264 6, 8) */
	/* telephone-event mapped onto the audio's own payload type is
	 * nonsense (found by fuzz_sdp): no events then, and no PT twice. */
	sl->te_pt = ch.te_pt;
	sl->rm.te_clock = ch.te_clock == 48000 ? 48000 : 8000;
	sl->rm.cn_pt = sl->ua->vad && ch.cn_pt > 0 ? ch.cn_pt : -1;
	sip_rtp_media_changed(sl, si->ptime, si->maxptime);
	hold = sdp_is_hold(si);
	snprintf(sl->remote_addr, sizeof(sl->remote_addr), "%s", si->addr);
	sl->remote_port = si->port;
	/* RFC 3264 8.4: held, send no RTP; RTCP goes on where there is an
	 * address (sendonly, inactive), not to c=0.0.0.0 */
	/* RFC 5761 5.1.1: we never offer a=rtcp-mux, so an SDP with it is an
	 * offer of it (or an answer taking one we did not make: muxed all the
	 * same, it is where the far end listens); our SDP says so from now on */
	sl->rtcp_mux = si->rtcp_mux;
	rtp_set_mux(sl->rtp, si->rtcp_mux);
	rtp_set_remote(sl->rtp, hold && si->null_addr ? NULL : si->addr, si->port);
	rtp_set_held(sl->rtp, hold);
	return hold;
}

/* An SDP before the dialog is confirmed (the offer, an early answer): it
 * decides the state the 2xx or our answer confirms the dialog in. */
int sl_take_early_sdp(struct sip_leg *sl, const struct sdp_info *si)
{
	int hold = sl_take_sdp(sl, si);

	if (hold >= 0)
		sl->confirm_st = hold ? SIP_ST_HELD : SIP_ST_CONFIRMED;
	return hold < 0 ? hold : 0;
}

int sip_body_sdp(sip_t const *sip, struct sdp_info *si)
{
	if (!sip || !sip->sip_payload || !sip->sip_payload->pl_data)
		return -ENOENT;
	return sdp_info_parse(si, sip->sip_payload->pl_data);
}

/* ICMP refusals come at packet rate, in early media too: only the states
 * that watch the media take them, the others drop them unlogged. */
void sl_rtp_refused(void *arg, unsigned run)
{
	struct sip_leg *sl = arg;

	if (run >= RTP_REFUSED_GONE && fsm_permits(&sl->fi, SIP_EV_RTP_REFUSED))
		sip_timers_rtp_check(sl);
}

int sip_leg_take_answer(struct sip_leg *sl, sip_t const *sip)
{
	struct sdp_info si;
	int hold;

	if (sip_body_sdp(sip, &si))
		return -ENOENT;
	if ((hold = sl_take_sdp(sl, &si)) < 0)
		return hold;
	if (hold == sl_is(sl, SIP_ST_HELD))
		return 0;
	sl_move(sl, hold ? SIP_ST_HELD : SIP_ST_CONFIRMED);
	call_leg_hold(&sl->base, hold, sip_hold_how(&si));
	return 1;
}

int sip_leg_sdp(struct sip_leg *sl, char *buf, size_t len)
{
	/* Held by the far end: offer recvonly, so the refresh does not resume
	 * it; held by the other party: keep the far end held. */
	return sip_hold_offer(sl, buf, len);
}
