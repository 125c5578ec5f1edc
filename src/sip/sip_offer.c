/* sipgw - where the offer and the answer go when an INVITE has no offer
 * (RFC 3261 13.2.1, RFC 3264, RFC 6337 2): delayed offer both ways. As UAS
 * our offer goes in the first reliable response (a 183 with 100rel when
 * early media is needed and the caller supports it, else the 200) and the
 * answer comes in the PRACK or the ACK; as UAC (a dial-peer's
 * delayed_offer) the far end's offer comes in the 2xx and our answer goes
 * in the ACK. A re-INVITE without SDP takes the UAS path. UPDATE (RFC 3311)
 * always carries its own offer and answer (sip_offer_in() below).
 * SPDX-License-Identifier: GPL-2.0-only */
#include "sip/sip_internal.h"
#include "sip/sip_caps.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/sip_util.h>

#include "bridge/cause.h"
#include "core/log.h"
#include "dsp/codec.h"

static const char *const oa_names[] = {
	[SIP_OA_NONE] = "none", [SIP_OA_OFFER_DUE] = "offer due", [SIP_OA_OFFERED_1XX] = "offered in 183",
	[SIP_OA_OFFERED] = "offered", [SIP_OA_EARLY_DONE] = "done in 183", [SIP_OA_AWAIT_OFFER] = "awaiting offer",
};

const char *sip_oa_name(enum sip_oa oa)
{
	return oa < sizeof(oa_names) / sizeof(oa_names[0]) && oa_names[oa] ? oa_names[oa] : "?";
}

static void oa_move(struct sip_leg *sl, enum sip_oa next)
{
	if (sl->oa != next)
		LOGD(LSS_SIP, "%s offer/answer: %s -> %s", sip_leg_describe(sl), sip_oa_name(sl->oa),
		     sip_oa_name(next));
	sl->oa = next;
}

int sip_offer_law(const struct sip_leg *sl)
{
	/* no offer to pick from: the PRI side speaks our first codec's law */
	return sl->n_prefs && sl->prefs[0]->static_pt == 8 ? LAW_ALAW : LAW_ULAW;
}

void sip_offer_none_in(struct sip_leg *sl, sip_t const *sip)
{
	oa_move(sl, SIP_OA_OFFER_DUE);
	sip_offer_note_100rel(sl, sip);
	LOGI(LSS_SIP, "%s INVITE without SDP (delayed offer): our offer goes in the %s", sip_leg_describe(sl),
	     sl->peer_100rel ? "first reliable response" : "200");
}

void sip_offer_note_100rel(struct sip_leg *sl, sip_t const *sip)
{
	sl->peer_100rel = sip && (sip_has_feature(sip->sip_supported, "100rel") ||
				  sip_has_feature(sip->sip_require, "100rel"));
}

void sip_offer_respond(struct sip_leg *sl, int status, const char *phrase, int req_timer)
{
	char sdp[SDP_ANSWER_LEN], m[SIP_OWN_HOSTPORT_LEN + 8];
	const char *contact = sl_contact(sl, m, sizeof(m));	/* bound to ::: ours (sip_addr.c) */
	int reliable = status > 100 && status < 200;

	if ((sl->oa == SIP_OA_OFFERED_1XX || sl->oa == SIP_OA_EARLY_DONE) && status >= 200) {
		/* the INVITE's offer went in a reliable 183 (answered in its
		 * PRACK, or still to be): the 200 carries none (RFC 3262 5,
		 * RFC 6337 3.1) */
		nua_respond(sl->nh, status, phrase, TAG_IF(req_timer, SIPTAG_REQUIRE_STR("timer")), TAG_END());
	} else if (sl->oa == SIP_OA_OFFER_DUE) {
		if (sl_build_sdp(sl, sdp, sizeof(sdp), SDP_SENDRECV))
			LOGE(LSS_SIP, "%s SDP offer does not fit in %zu bytes", sip_leg_describe(sl), sizeof(sdp));
		oa_move(sl, reliable ? SIP_OA_OFFERED_1XX : SIP_OA_OFFERED);
		nua_respond(sl->nh, status, phrase, TAG_IF(reliable, SIPTAG_REQUIRE_STR("100rel")),
			    TAG_IF(req_timer, SIPTAG_REQUIRE_STR("timer")), TAG_IF(contact, SIPTAG_CONTACT_STR(contact)),
			    SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp), TAG_END());
	} else {
		/* a second 183 after ours: no new offer in it */
		nua_respond(sl->nh, status, phrase, TAG_END());
	}
}

void sip_offer_answered_early(struct sip_leg *sl)
{
	oa_move(sl, SIP_OA_EARLY_DONE);
}

int sip_offer_early_ok(const struct sip_leg *sl)
{
	/* a 183 with our offer must be reliable (RFC 3262): only to a caller
	 * that supports 100rel */
	return sl->oa != SIP_OA_OFFER_DUE || sl->peer_100rel;
}

/* The far end's answer to our offer: in the ACK (RFC 3261 13.2.1) or the
 * PRACK (RFC 3262). None there, or none we can use, and the session cannot
 * work: the call clears, cause 65 as for an answer without our codecs. */
void sip_offer_answer_in(struct sip_leg *sl, sip_t const *sip, int prack)
{
	const char *where = prack ? "PRACK" : "ACK";
	struct sdp_info si;
	int rc, hold;

	/* only the request our offer's response asked to answer it: an ACK to
	 * a 200 that was itself an answer, a PRACK for a 1xx without our
	 * offer, carry nothing to take */
	if (sl->oa != (prack ? SIP_OA_OFFERED_1XX : SIP_OA_OFFERED))
		return;
	rc = sip_body_sdp(sip, &si);
	oa_move(sl, prack ? SIP_OA_EARLY_DONE : SIP_OA_NONE);
	if (rc == -ENOENT && sl->pt >= 0) {
		/* our re-offer (a re-INVITE without SDP) left unanswered: the
		 * session goes on as it was (what nua does with its own) */
		LOGN(LSS_SIP, "%s %s without an answer to our offer: session unchanged", sip_leg_describe(sl), where);
		return;
	}
	if (rc || (hold = sl_take_sdp(sl, &si)) < 0) {
		LOGN(LSS_SIP, "%s %s %s: no usable answer to our offer, clearing (cause %d)", sip_leg_describe(sl),
		     where, rc == -ENOENT ? "without SDP" : "with an SDP we cannot use", CAUSE_BEARER_NOT_IMPL);
		if (sl_is(sl, SIP_ST_CONFIRMED) || sl_is(sl, SIP_ST_HELD))
			sip_leg_clear(sl, CAUSE_BEARER_NOT_IMPL);
		else
			sip_leg_release(sl, CAUSE_BEARER_NOT_IMPL);
		return;
	}
	LOGI(LSS_SIP, "%s answer in the %s: %s", sip_leg_describe(sl), where, sdp_dir_name(si.dir));
	call_leg_media_ready(&sl->base);
	if (sl_is(sl, SIP_ST_CONFIRMED) || sl_is(sl, SIP_ST_HELD)) {
		if (hold != sl_is(sl, SIP_ST_HELD)) {
			sl_move(sl, hold ? SIP_ST_HELD : SIP_ST_CONFIRMED);
			call_leg_hold(&sl->base, hold, sip_hold_how(&si));
		}
		sip_timers_media_changed(sl);
	} else {
		sl->confirm_st = hold ? SIP_ST_HELD : SIP_ST_CONFIRMED;
	}
}

void sip_offer_invite_out(struct sip_leg *sl)
{
	oa_move(sl, SIP_OA_AWAIT_OFFER);
}

int sip_offer_awaited(const struct sip_leg *sl)
{
	return sl->oa == SIP_OA_AWAIT_OFFER;
}

/* UAC with a delayed-offer INVITE: the 2xx brings the far end's offer; our
 * answer goes in the ACK (nua's auto-ACK is off on this handle until then).
 * 1: the session has media; 0: it cannot (ACKed without SDP, the caller
 * clears). */
int sip_offer_2xx_in(struct sip_leg *sl, sip_t const *sip)
{
	struct sdp_info si;
	char sdp[SDP_ANSWER_LEN];
	int hold;

	oa_move(sl, SIP_OA_NONE);
	if (sip_body_sdp(sip, &si) || (hold = sl_take_sdp(sl, &si)) < 0) {
		nua_ack(sl->nh, TAG_END());
		nua_set_hparams(sl->nh, NUTAG_AUTOACK(1), TAG_END());
		LOGN(LSS_SIP, "%s 2xx to our INVITE without an offer we can take", sip_leg_describe(sl));
		return 0;
	}
	sl->confirm_st = hold ? SIP_ST_HELD : SIP_ST_CONFIRMED;
	sl->offer_ml = si.ml;
	sl_build_answer(sl, sdp, sizeof(sdp), sip_hold_answer_dir(sl, sdp_dir_answer(si.dir)), &si.ml);
	nua_ack(sl->nh, SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp), TAG_END());
	/* re-INVITEs from here on are ACKed by the stack again */
	nua_set_hparams(sl->nh, NUTAG_AUTOACK(1), TAG_END());
	LOGI(LSS_SIP, "%s offer in the 2xx, our answer in the ACK", sip_leg_describe(sl));
	return 1;
}

void sip_offer_sent(struct sip_leg *sl)
{
	oa_move(sl, SIP_OA_OFFERED);
}

void sip_offer_update_early(struct sip_leg *sl, sip_t const *sip)
{
	struct sdp_info si;
	char sdp[SDP_ANSWER_LEN];
	int rc = sip_body_sdp(sip, &si);

	if (rc == -ENOENT) {
		nua_respond(sl->nh, SIP_200_OK, NUTAG_WITH_THIS(sl->ua->nua), TAG_END());
		return;
	}
	if ((sl->oa != SIP_OA_NONE && sl->oa != SIP_OA_EARLY_DONE) || sl->pt < 0) {
		/* RFC 3311 5.2: an offer crossing ours, or before the INVITE's
		 * own exchange is done: 491, or 500 with Retry-After */
		if (sl->oa == SIP_OA_OFFERED || sl->oa == SIP_OA_OFFERED_1XX)
			nua_respond(sl->nh, SIP_491_REQUEST_PENDING, NUTAG_WITH_THIS(sl->ua->nua), TAG_END());
		else
			nua_respond(sl->nh, 500, "Offer/answer not complete", NUTAG_WITH_THIS(sl->ua->nua),
				    SIPTAG_RETRY_AFTER_STR("1"), TAG_END());
		return;
	}
	if (rc || (rc = sl_take_early_sdp(sl, &si))) {
		sip_caps_refuse_offer(sl->ua, sl->nh, rc, &si, sl, 1);	/* 488 Warning 304/305/302, 400 */
		return;
	}
	if (sl->role == SIP_ROLE_UAS)
		sl->offer_ml = si.ml;	/* the 200 to the INVITE answers this one now */
	sl_build_answer(sl, sdp, sizeof(sdp), sip_hold_answer_dir(sl, sdp_dir_answer(si.dir)), &si.ml);
	nua_respond(sl->nh, SIP_200_OK, NUTAG_WITH_THIS(sl->ua->nua), SIPTAG_CONTENT_TYPE_STR("application/sdp"),
		    SIPTAG_PAYLOAD_STR(sdp), TAG_END());
	LOGI(LSS_SIP, "%s UPDATE in the early dialog: new offer answered (%s)", sip_leg_describe(sl),
	     sdp_dir_name(si.dir));
}

/* A re-INVITE or an UPDATE in the dialog (RFC 3311 5.2): hold, resume, or
 * a session refresh (RFC 3264 8, RFC 4028). The answer mirrors the offered
 * direction. An UPDATE without an offer gets a 200 without SDP. */
void sip_offer_in(struct sip_leg *sl, sip_t const *sip, int update)
{
	struct sdp_info si;
	char sdp[SDP_ANSWER_LEN];
	int hold, rc;

	/* nua leaves UPDATE to us (NUTAG_APPL_METHOD): our answer names the
	 * request it answers (NUTAG_WITH_THIS), as for INFO and REFER */
	if (sip_t38_offer_in(sl, sip, update))
		return;
	if (update && !sl_is(sl, SIP_ST_CONFIRMED) && !sl_is(sl, SIP_ST_HELD)) {
		sip_offer_update_early(sl, sip);	/* RFC 3311 5.1: in the early dialog */
		return;
	}
	rc = sip_body_sdp(sip, &si);
	if (update && rc == -ENOENT) {
		nua_respond(sl->nh, SIP_200_OK, NUTAG_WITH_THIS(sl->ua->nua), TAG_END());
		sip_timers_refreshed(sl, sip);
		return;
	}
	if (rc == 0 && (hold = sl_take_sdp(sl, &si)) < 0)
		rc = hold;
	if (rc && rc != -ENOENT) {	/* 488, Warning 304 video only, 305 no codec (sip_caps.c) */
		sip_caps_refuse_offer(sl->ua, sl->nh, rc, &si, sl, update);
		return;
	}
	if (rc == 0) {
		if (hold != sl_is(sl, SIP_ST_HELD)) {
			sl_move(sl, hold ? SIP_ST_HELD : SIP_ST_CONFIRMED);
			LOGI(LSS_SIP, "%s %s by the far end (%s%s)", sip_leg_describe(sl),
			     hold ? "held" : "resumed", sdp_dir_name(si.dir), si.null_addr ? ", c=0.0.0.0" : "");
			call_leg_hold(&sl->base, hold, sip_hold_how(&si));
			sip_timers_media_changed(sl);
		}
		sl_build_answer(sl, sdp, sizeof(sdp), sip_hold_answer_dir(sl, sdp_dir_answer(si.dir)), &si.ml);
	} else {
		/* a re-INVITE without SDP: our offer in the 200, the answer in the ACK */
		sip_hold_offer(sl, sdp, sizeof(sdp));
		sip_offer_sent(sl);
	}
	nua_respond(sl->nh, SIP_200_OK, TAG_IF(update, NUTAG_WITH_THIS(sl->ua->nua)),
		    SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp), TAG_END());
	sip_timers_refreshed(sl, sip);
}
