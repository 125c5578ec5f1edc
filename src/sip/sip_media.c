/* sipgw - the SIP leg's media: our SDP offers and answers, the far end's SDP
 * taken (RFC 3264), and the RTP session glued to the leg's media port.
 * The leg's state machine and nua events are in sip_leg.c.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "sip/sip_internal.h"

#include <errno.h>
#include <stdio.h>

#include "core/fsm.h"
#include "rtp/rtp.h"

/* Our SDP: the offer lists the span's law first, then the other, then
 * telephone-event (RFC 4733); an answer carries the chosen one, and one m=
 * line per offered one (offer: the layout answered; NULL for an offer). */
int sl_build_answer(struct sip_leg *sl, char *buf, size_t len, enum sdp_dir dir,
		    const struct sdp_mlines *offer)
{
	int pts[2];
	int n = 0;
	struct sdp_build_params bp = {
		.addr = sl->ua->rtp_ip, .port = rtp_local_port(sl->rtp), .pts = pts,
		.te_pt = SDP_PT_TELEPHONE_EVENT, .dir = dir,
		.sess_id = sl->sdp_id, .sess_ver = ++sl->sdp_ver, .offer = offer,
		.null_addr = sl->offer_null_addr,
	};

	if (sl->pt >= 0) {
		pts[n++] = sl->pt;
		bp.te_pt = sl->te_pt;
	} else {
		pts[n++] = g711_law_pt(sl->offer_law);
		pts[n++] = g711_law_pt(sl->offer_law == LAW_ULAW ? LAW_ALAW : LAW_ULAW);
	}
	bp.n_pts = n;
	return sdp_build(buf, len, &bp);
}

int sl_build_sdp(struct sip_leg *sl, char *buf, size_t len, enum sdp_dir dir)
{
	return sl_build_answer(sl, buf, len, dir, NULL);
}

/* Take the far side's SDP (answer to our offer, or its re-offer): 1 when
 * it holds us (RFC 3264 8.4: we send nothing then), 0 when not, -EPROTO
 * without G.711. The caller moves the dialog between CONFIRMED and HELD. */
int sl_take_sdp(struct sip_leg *sl, const struct sdp_info *si)
{
	int hold;

	enum g711_law law;
	int pt = -1;

	for (int i = 0; i < si->n_pts && pt < 0; i++)
		if (g711_pt_law(si->pts[i], &law) == 0)
			pt = si->pts[i];
	if (pt < 0)
		return -EPROTO;
	sl->pt = pt;
	g711_pt_law(pt, &sl->rm.law);
	/* telephone-event mapped onto the audio's own payload type is
	 * nonsense (found by fuzz_sdp): no events then, and no PT twice. */
	sl->te_pt = si->te_pt == pt ? -1 : si->te_pt;
	sip_rtp_media_changed(sl, 0);
	hold = sdp_is_hold(si);
	snprintf(sl->remote_addr, sizeof(sl->remote_addr), "%s", si->addr);
	sl->remote_port = si->port;
	/* RFC 3264 8.4: held, send no RTP; RTCP goes on where there is an
	 * address (sendonly, inactive), not to c=0.0.0.0 */
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
