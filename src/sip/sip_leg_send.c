/* sipgw - what a SIP leg sends for the call: the INVITE (RFC 3261 8.1,
 * with From/P-Asserted-Identity/Diversion as the SETUP asks), again on a
 * 422 (RFC 4028 6) or an SRTP fallback; CANCEL, BYE or a final answer to
 * end the dialog (RFC 3326 Reason); 180, 183 and 200 to an incoming INVITE.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "sip/sip_leg_internal.h"

#include <errno.h>
#include <stdio.h>

#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>

#include "bridge/cause.h"
#include "core/fsm.h"
#include "core/log.h"

/* The INVITE itself, on a new handle; se_s: Session-Expires to ask for (0:
 * the UA's default). 0 or -errno. */
static int sl_invite(struct sip_leg *sl, unsigned se_s)
{
	char sdp[SDP_ANSWER_LEN], m[SIP_OWN_HOSTPORT_LEN + 8];
	const char *contact = sl_contact(sl, m, sizeof(m));
	int rc;

	if (!sl->delayed_offer && (rc = sl_build_sdp(sl, sdp, sizeof(sdp), SDP_SENDRECV)))
		return rc;
	/* delayed offer: the 2xx brings the offer and our ACK the answer, so
	 * the stack must not ACK by itself (sip_offer.c) */
	sl->nh = nua_handle(sl->ua->nua, sl, SIPTAG_TO_STR(sl->req_to), SIPTAG_FROM_STR(sl->req_from),
			    TAG_IF(sl->delayed_offer, NUTAG_AUTOACK(0)),
			    TAG_IF(sip_tp_m_params(sl->transport), NUTAG_M_PARAMS(sip_tp_m_params(sl->transport))),
			    TAG_END());
	if (!sl->nh)
		return -ENOMEM;
	if (sl->delayed_offer)
		sip_offer_invite_out(sl);
	nua_invite(sl->nh, NUTAG_URL(sl->req_uri), TAG_IF(se_s, NUTAG_SESSION_TIMER(se_s)),
		   TAG_IF(se_s, NUTAG_MIN_SE(se_s)),
		   TAG_IF(sl->req_privacy, SIPTAG_PRIVACY_STR("id")),
		   TAG_IF(sl->req_pai[0], SIPTAG_HEADER_STR(sl->req_pai)),
		   TAG_IF(sl->req_div[0], SIPTAG_HEADER_STR(sl->req_div)),
		   TAG_IF(sl->req_hist[0], SIPTAG_HEADER_STR(sl->req_hist)),
		   TAG_IF(sl->req_refby[0], SIPTAG_HEADER_STR(sl->req_refby)), TAG_IF(contact, SIPTAG_CONTACT_STR(contact)),
		   /* no 100rel with a delayed offer: nua PRACKs a reliable 1xx by
		    * itself, so an offer in one could not be answered */
		   TAG_IF(sl->delayed_offer, SIPTAG_SUPPORTED_STR(sl->ua->tp.session_expires_s ? "timer" : "")),
		   TAG_IF(!sl->delayed_offer, SIPTAG_CONTENT_TYPE_STR("application/sdp")),
		   TAG_IF(!sl->delayed_offer, SIPTAG_PAYLOAD_STR(sdp)), TAG_END());
	return 0;
}

/* A display name as an RFC 3261 25.1 quoted-string: '"' and '\\' go as
 * quoted-pairs (a PBX's name "Smith, "Bob"" would otherwise break the From
 * header, and the call with it). */
static void sl_quote_display(char *out, size_t len, const char *s)
{
	size_t n = 0;

	for (; *s && n + 2 < len; s++) {
		if (*s == '"' || *s == '\\')
			out[n++] = '\\';
		out[n++] = *s;
	}
	out[n] = '\0';
}

void ev_setup(struct sip_leg *sl, struct sl_setup_args *a)
{
	const struct leg_setup_info *si = a->si;
	char me[SIP_OWN_HOSTPORT_LEN], hp[SIP_HOSTPORT_LEN], disp[LEG_NUM + 16];

	snprintf(sl->number, sizeof(sl->number), "%s", si->called);
	sl_own_hostport(sl, me);	/* IPv6 in brackets (RFC 5118 4.1), here and below */
	/* Request-URI sip:NUMBER@TARGET;user=phone (RFC 3261 19.1.1), or a
	 * registered phone's contact with the number's address of record in To
	 * (RFC 3261 16.5). */
	if (sl->ruri[0]) {
		snprintf(sl->req_uri, sizeof(sl->req_uri), "%s", sl->ruri);
		snprintf(sl->req_to, sizeof(sl->req_to), "<sip:%s@%s>", si->called, me);
	} else {
		/* the dial-peer's session_transport: RFC 3261 19.1.4 (tcp), 26.2.2 (sips: TLS) */
		snprintf(sl->req_uri, sizeof(sl->req_uri), "%s:%s@%s;user=phone%s",
			 sl->transport == SIP_TP_TLS ? "sips" : "sip", si->called, sip_hostport(hp, sl->host, sl->port),
			 sl->transport == SIP_TP_TCP ? ";transport=tcp" : "");
		snprintf(sl->req_to, sizeof(sl->req_to), "<%s>", sl->req_uri);
	}
	/* RFC 3323 4, RFC 3325 9.1: a restricted caller is anonymous in From,
	 * with Privacy: id; who it is goes only to a peer of the trust domain,
	 * in P-Asserted-Identity. */
	if (si->restricted)
		snprintf(sl->req_from, sizeof(sl->req_from), "\"Anonymous\" <sip:anonymous@anonymous.invalid>");
	else {
		sl_quote_display(disp, sizeof(disp),
				 si->display[0] ? si->display : (si->calling[0] ? si->calling : "Anonymous"));
		snprintf(sl->req_from, sizeof(sl->req_from), "\"%s\" <sip:%s@%s;user=phone>", disp,
			 si->calling[0] ? si->calling : "anonymous", me);
	}
	sl->req_privacy = si->restricted;
	sl->req_pai[0] = 0;
	sip_redirect_headers(si->redirecting, si->redirect_reason, me, sl->req_uri,
			     sl->req_div, sizeof(sl->req_div), sl->req_hist, sizeof(sl->req_hist));
	if (sl->assert_identity && si->calling[0])
		snprintf(sl->req_pai, sizeof(sl->req_pai), "P-Asserted-Identity: <sip:%s@%s;user=phone>",
			 si->calling, me);
	if (si->referred_by[0])	/* RFC 3892: who transferred the call here */
		snprintf(sl->req_refby, sizeof(sl->req_refby), "Referred-By: <sip:%s@%s>", si->referred_by, me);
	if ((a->rc = sl_invite(sl, 0))) {
		*a->causep = CAUSE_TEMP_FAILURE;
		return;
	}
	sl_move(sl, SIP_ST_CALLING);
	sip_status_outgoing(sl, si);
	LOGI(LSS_SIP, "%s INVITE %s (dial-peer %d)", sl_describe(&sl->base), sl->req_uri, sl->dial_peer);
}

/* 422 Session Interval Too Small (RFC 4028 6): once, a new INVITE asking
 * for the peer's Min-SE. nua would retry by itself, but sipgw lets nua
 * restart no request (a 3xx would be followed too: sip_ua.c). */
/* Our INVITE again on a new handle (a 422's Min-SE, SRTP fallback); 1 if sent. */
int sl_invite_again(struct sip_leg *sl, unsigned se_s)
{
	nua_handle_t *old = sl->nh;

	nua_handle_bind(old, NULL);	/* what nua still says about it is no longer ours */
	nua_handle_destroy(old);
	sl->nh = NULL;
	return sl_invite(sl, se_s) == 0;
}

int sl_retry_422(struct sip_leg *sl, sip_t const *sip)
{
	if (!sip || !sip->sip_min_se || !sip_timers_retry_422(sl))
		return 0;
	if (!sl_invite_again(sl, (unsigned)sip->sip_min_se->min_delta))
		return 0;
	LOGN(LSS_SIP, "%s 422: INVITE again with Session-Expires %lu (RFC 4028 6)", sl_describe(&sl->base),
	     sip->sip_min_se->min_delta);
	return 1;
}

/* End the dialog from our side with cause: CANCEL our INVITE, BYE a
 * confirmed dialog, or answer an INVITE with the cause's status (RFC 3326
 * Reason in each). */
void sl_hangup(struct sip_leg *sl, int cause)
{
	char reason[128];

	sl->info.cause = sl->info.cause ? sl->info.cause : cause;
	cause_format_reason(reason, sizeof(reason), cause);
	switch (sl->fi.state) {
	case SIP_ST_CALLING:
	case SIP_ST_PROCEEDING:
		nua_cancel(sl->nh, SIPTAG_REASON_STR(reason), TAG_END());
		break;
	case SIP_ST_CONFIRMED:
	case SIP_ST_HELD:
		nua_bye(sl->nh, SIPTAG_REASON_STR(reason), TAG_END());
		break;
	case SIP_ST_INCOMING:
	case SIP_ST_EARLY: {
		/* routing's cause override for this call, if it set one (leg.h) */
		int status = sl->base.release_status ? sl->base.release_status : cause_to_sip_status(cause);
		char contact[LEG_MAX_CONTACTS * (LEG_URI + 12)];
		/* a redirect server's answer (route_redirect.c): 302/300 with Contacts */
		int redir = status >= 300 && status < 400 &&
			    sip_redirect_contact_str(sl->base.contacts, contact, sizeof(contact)) == 0;

		nua_respond(sl->nh, status, sip_status_phrase(status), TAG_IF(redir, SIPTAG_CONTACT_STR(contact)),
			    TAG_IF(!redir, SIPTAG_REASON_STR(reason)), TAG_END());
		break;
	}
	}
}

/* The call asks: it knows, so TERMINATING without telling it. */
void ev_release(struct sip_leg *sl, int cause)
{
	switch (sl->fi.state) {
	case SIP_ST_IDLE:
		sl_move(sl, SIP_ST_TERMINATED);
		call_leg_gone(&sl->base);
		return;
	case SIP_ST_TERMINATING:
		return;	/* already on its way out */
	}
	sl_hangup(sl, cause);
	sl_move(sl, SIP_ST_TERMINATING);
}

/* UAS side (SIP -> PRI): 180, or 183 with our SDP when the PBX plays
 * in-band tones (progress indicator 1 or 8) so the caller hears them. */
static void sl_respond_sdp(struct sip_leg *sl, int status, const char *phrase)
{
	char sdp[SDP_ANSWER_LEN], m[SIP_OWN_HOSTPORT_LEN + 8];
	const char *contact = sl_contact(sl, m, sizeof(m));	/* bound to ::: ours (sip_addr.c) */
	/* RFC 4028 9: a 2xx with Session-Expires to a caller that supports
	 * timers says Require: timer */
	int req_timer = status >= 200 && sip_timers_require(sl);

	if (sl->oa != SIP_OA_NONE) {
		sip_offer_respond(sl, status, phrase, req_timer);
		return;
	}

	if (sl_build_answer(sl, sdp, sizeof(sdp), SDP_SENDRECV, &sl->offer_ml))
		LOGE(LSS_SIP, "%s SDP answer does not fit in %zu bytes", sl_describe(&sl->base), sizeof(sdp));
	nua_respond(sl->nh, status, phrase, TAG_IF(req_timer, SIPTAG_REQUIRE_STR("timer")),
		    SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp),
		    TAG_IF(contact, SIPTAG_CONTACT_STR(contact)), TAG_END());
	/* nua sends a 183 reliably to a caller with 100rel (RFC 3262): the
	 * answer is given, and the 200 carries no second one (RFC 6337 3.1) */
	if (status == 183 && sl->peer_100rel)
		sip_offer_answered_early(sl);
}

/* leg_ops.alert (inband 0/1) and .progress (1): 180, or 183 with our SDP. */
void ev_alert(struct sip_leg *sl, int inband)
{
	char m[SIP_OWN_HOSTPORT_LEN + 8];
	const char *contact = sl_contact(sl, m, sizeof(m));

	if (sl_is(sl, SIP_ST_TERMINATING))
		return;	/* the caller has gone; the call has not heard yet */
	sl_move(sl, SIP_ST_EARLY);
	if (inband && sip_offer_early_ok(sl))
		sl_respond_sdp(sl, SIP_183_SESSION_PROGRESS);
	else
		nua_respond(sl->nh, SIP_180_RINGING, TAG_IF(contact, SIPTAG_CONTACT_STR(contact)), TAG_END());
}

void ev_answer(struct sip_leg *sl)
{
	if (sl_move(sl, sl->confirm_st))
		return;
	sl_respond_sdp(sl, SIP_200_OK);
	sip_timers_answered(sl, NULL);
}
