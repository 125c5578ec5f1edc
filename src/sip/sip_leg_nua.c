/* sipgw - nua's events for a SIP leg: responses to our INVITE (RFC 3261
 * 13.2.2), the far end's requests in the dialog, the dialog's end, as the
 * leg machine's events; the Q.850 cause a SIP failure stands for (Reason
 * header first, RFC 6432). SPDX-License-Identifier: GPL-2.0-only */
#include "sip/sip_leg_internal.h"

#include <errno.h>

#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>

#include "bridge/cause.h"
#include "core/fsm.h"
#include "core/log.h"

/* The Q.850 cause a SIP failure stands for: Reason header first (RFC 6432);
 * which of the two decided is noted for routing's cause overrides (leg.h). */
static int sl_cause(struct sip_leg *sl, int status, sip_t const *sip)
{
	char reason[256] = "";
	int cause;

	if (sip && sip->sip_reason)
		sip_header_field_e(reason, sizeof(reason), (sip_header_t const *)sip->sip_reason, 0);
	sl->base.cause_from_reason = reason[0] && cause_from_reason(reason, &cause) == 0;
	return cause_pick(status, reason[0] ? reason : NULL);
}

/* The cause in a Reason header, or dflt when there is none. */
int sl_reason_cause(sip_t const *sip, int dflt)
{
	char reason[256] = "";
	int cause;

	if (!sip || !sip->sip_reason)
		return dflt;
	sip_header_field_e(reason, sizeof(reason), (sip_header_t const *)sip->sip_reason, 0);
	return cause_from_reason(reason, &cause) == 0 ? cause : dflt;
}

/* The leg is over and the call has not heard it yet (the leg has not
 * reached TERMINATING): TERMINATING, and tell it. */
void sl_terminate(struct sip_leg *sl, int cause, int status)
{
	if (sl_is(sl, SIP_ST_TERMINATING) || sl_is(sl, SIP_ST_TERMINATED) || sl_move(sl, SIP_ST_TERMINATING))
		return;
	sl->info.cause = cause;
	call_leg_released(&sl->base, cause, status);
}

/* A 1xx to our INVITE (RFC 3261 13.2.2.1); with SDP, early media. */
void ev_r_1xx(struct sip_leg *sl, int status, sip_t const *sip)
{
	struct sdp_info si;
	int has_sdp = sip_body_sdp(sip, &si) == 0;

	switch (sl->fi.state) {
	case SIP_ST_CONFIRMED:
	case SIP_ST_HELD:
		/* our refresh's or hold's; one to the stack's own re-INVITE says nothing */
		if (!sip_timers_refresh_response(sl, status, sip) && !sip_t38_response(sl, status, sip))
			sip_hold_response(sl, status, sip);
		return;
	case SIP_ST_TERMINATING:
		return;	/* crossed our CANCEL */
	}
	sl_move(sl, SIP_ST_PROCEEDING);
	if (sip_offer_awaited(sl))
		has_sdp = 0;	/* no offer of ours to answer: no early media (sip_offer.c) */
	if (has_sdp && sl_take_early_sdp(sl, &si) == 0) {
		if (status == 183)
			call_leg_progress(&sl->base);	/* early media */
		else
			call_leg_alerting(&sl->base, 1);
	} else if (status != 183) {
		call_leg_alerting(&sl->base, 0);
	}
}

/* A 2xx to our INVITE (RFC 3261 13.2.2.4): the dialog is confirmed. In a
 * confirmed dialog it answers our refresh, or the stack's own re-INVITE
 * (its session-timer backstop), which is taken as a new answer. */
void ev_r_2xx(struct sip_leg *sl, int status, sip_t const *sip)
{
	struct sdp_info si;
	int has_sdp = sip_body_sdp(sip, &si) == 0, hold = sl->confirm_st == SIP_ST_HELD, taken = 0;

	switch (sl->fi.state) {
	case SIP_ST_TERMINATING:
		/* 200 crossed our CANCEL (RFC 3261 9.1): nua ACKs, we BYE. */
		nua_bye(sl->nh, TAG_END());
		return;
	case SIP_ST_CONFIRMED:
	case SIP_ST_HELD:
		if (sip_timers_refresh_response(sl, status, sip) || sip_t38_response(sl, status, sip) ||
		    sip_hold_response(sl, status, sip))
			return;
		hold = sl_is(sl, SIP_ST_HELD);
		break;
	}
	if (sip_offer_awaited(sl)) {
		/* our INVITE had no offer: this 2xx's is answered in our ACK */
		if (!sip_offer_2xx_in(sl, sip))
			taken = -EPROTO;
		has_sdp = taken == 0;
		hold = sl->confirm_st == SIP_ST_HELD;
	} else if (has_sdp && (taken = sl_take_sdp(sl, &si)) >= 0)
		hold = taken;
	if (sl_move(sl, hold ? SIP_ST_HELD : SIP_ST_CONFIRMED))
		return;
	if (taken < 0) {
		LOGW(LSS_SIP, "%s answer has none of our codecs", sl_describe(&sl->base));
		sl_release(&sl->base, CAUSE_BEARER_NOT_IMPL);
		return;
	}
	if (!has_sdp && sl->pt < 0) {
		LOGW(LSS_SIP, "%s 200 OK without SDP answer", sl_describe(&sl->base));
		sl_release(&sl->base, CAUSE_BEARER_NOT_IMPL);
		return;
	}
	call_leg_answered(&sl->base);
	sip_timers_answered(sl, sip);
}

/* A final failure to our INVITE; nua sends the ACK (RFC 3261 17.1.1.3). */
void ev_r_fail(struct sip_leg *sl, int status, sip_t const *sip)
{
	if ((sl_is(sl, SIP_ST_CONFIRMED) || sl_is(sl, SIP_ST_HELD)) &&
	    (sip_timers_refresh_response(sl, status, sip) || sip_t38_response(sl, status, sip) ||
	     sip_hold_response(sl, status, sip)))
		return;
	/* a 3xx's Contacts go up as data: routing decides (route_redirect.c) */
	if (status >= 300 && status < 400)
		sip_redirect_take(sl, status, sip);
	if (status == 422 && sl_is(sl, SIP_ST_CALLING) && sl_retry_422(sl, sip))
		return;
	if (!sl_is(sl, SIP_ST_TERMINATING) && sip_srtp_fallback(sl, status) && sl_invite_again(sl, 0))
		return;
	sl_terminate(sl, sip_tp_failed(sl, status, sip) ? CAUSE_NET_OUT_OF_ORDER : sl_cause(sl, status, sip), status);
}

/* nua: the dialog is over. The call hears it if it has not yet, then the
 * handle and the leg go. */
void ev_gone(struct sip_leg *sl, int status, sip_t const *sip)
{
	sl_terminate(sl, status >= 300 ? sl_cause(sl, status, sip) : CAUSE_NORMAL_CLEARING, status);
	sl_move(sl, SIP_ST_TERMINATED);
	nua_handle_destroy(sl->nh);
	sl->nh = NULL;
	call_leg_gone(&sl->base);
}

/* A nua event as the leg's event; -1: nothing for the machine. */
static int sl_nua_event(nua_event_t event, int status, tagi_t tags[])
{
	int cs = nua_callstate_init;

	switch (event) {
	case nua_r_invite:
		if (status <= 100)
			return -1;	/* 100 Trying, or nua's own below 100 */
		return status < 200 ? SIP_EV_R_1XX : status < 300 ? SIP_EV_R_2XX : SIP_EV_R_FAIL;
	case nua_i_invite:
		return SIP_EV_I_REINVITE;
	case nua_i_ack:
		return SIP_EV_I_ACK;
	case nua_i_bye:
		return SIP_EV_I_BYE;
	case nua_i_cancel:
		return SIP_EV_I_CANCEL;
	case nua_i_update:
		return SIP_EV_I_UPDATE;
	case nua_r_bye:
		return SIP_EV_R_BYE;
	case nua_r_cancel:
		return SIP_EV_R_CANCEL;
	case nua_i_state:
		tl_gets(tags, NUTAG_CALLSTATE_REF(cs), TAG_END());
		return cs == nua_callstate_terminated ? SIP_EV_GONE : -1;
	default:
		return -1;
	}
}

void sip_leg_event(struct sip_leg *sl, nua_event_t event, int status, char const *phrase,
		   sip_t const *sip, tagi_t tags[])
{
	struct sl_nua_args n = { .status = status, .sip = sip };
	int ev = sl_nua_event(event, status, tags);

	sip_status_event(sl, event, status, sip);
	if (event == nua_i_refer) {
		sip_refer_in(sl, status, sip, tags);
		return;
	}
	if (event == nua_i_info || event == nua_i_options) {	/* OPTIONS in a dialog: 200 (sip_caps.c) */
		event == nua_i_info ? sip_info_in(sl, sip) : sip_caps_options(sl->ua, sl->nh, sip, 1);
		return;
	}
	if (event == nua_r_update) {
		/* our refresh by UPDATE answered (sip_timers.c) */
		if (status >= 200)
			sip_timers_refresh_response(sl, status, sip);
		return;
	}
	if (event == nua_i_prack) {
		sip_offer_answer_in(sl, sip, 1);	/* the answer to our offer in a reliable 183 */
		return;
	}
	if (ev < 0) {
		switch (event) {
		case nua_r_invite:
		case nua_i_state:
		case nua_i_active:
		case nua_i_terminated:
			return;
		default:
			LOGD(LSS_SIP, "%s: %s %d %s", sl_describe(&sl->base), nua_event_name(event), status,
			     phrase ? phrase : "");
			return;
		}
	}
	/* A request the dialog cannot take now has still to be answered: a
	 * re-INVITE outside a confirmed dialog (RFC 3261 14.2). */
	if (fsm_dispatch(&sl->fi, ev, &n) != -EPERM)
		return;
	if (ev == SIP_EV_I_REINVITE)
		nua_respond(sl->nh, SIP_491_REQUEST_PENDING, TAG_END());
	else if (ev == SIP_EV_I_UPDATE && sip && sip->sip_payload)
		/* an offer before the answer (RFC 3311 5.1): not taken yet */
		sip_caps_refuse_warn(sl->ua, sl->nh, 488, 399, "no offer before the answer", 1);
	else if (ev == SIP_EV_I_UPDATE)
		nua_respond(sl->nh, SIP_200_OK, NUTAG_WITH_THIS(sl->ua->nua), TAG_END());
}
