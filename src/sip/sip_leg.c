/* sipgw - a call leg on a SIP dialog (RFC 3261): its state machine and nua
 * events; its SDP offer/answer (RFC 3264) and RTP are in sip_media.c.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "sip/sip_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sofia-sip/msg_addr.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>

#include "bridge/cause.h"
#include "core/fsm.h"
#include "core/log.h"
#include "core/number.h"
#include "rtp/rtp.h"
#include "sip/sip_caps.h"

static void sl_action(struct fsm_inst *fi, int event, void *data);
static void sl_timeout(struct fsm_inst *fi, int timer);
static const char *sl_fsm_describe(struct fsm_inst *fi);
static void sl_enter_ending(struct fsm_inst *fi, int prev);

#define S(s) FSM_BIT(SIP_ST_##s)
#define E(e) FSM_BIT(SIP_EV_##e)

/* What a confirmed dialog takes: the call's release, responses to INVITEs
 * in it (our session refresh, or the stack's own re-INVITE), the far end's
 * requests, our clocks. */
#define SIP_EV_DIALOG                                                                            \
	(E(RELEASE) | E(R_1XX) | E(R_2XX) | E(R_FAIL) | E(I_ACK) | E(I_BYE) | E(I_REINVITE) |    \
	 E(I_UPDATE) | E(R_BYE) | E(GONE) | E(RTP_REFUSED) | E(CLEAR) | E(CLEARED))

/* One row per state: the states it may go to, the events it permits. An
 * event a state does not list is refused and logged in fsm_dispatch();
 * what a state lists but has no work for (a 180 crossing our CANCEL, the
 * call still alerting a leg that is on its way out) is taken and dropped. */
static const struct fsm_state sip_states[SIP_ST__COUNT] = {
	[SIP_ST_IDLE] = { "IDLE", S(CALLING) | S(TERMINATED), E(SETUP) | E(RELEASE) },
	/* RFC 3261 15: a callee must not BYE an early dialog; one that does
	 * is taken as the end of the call all the same. */
	[SIP_ST_CALLING] = { "CALLING",
			     S(PROCEEDING) | S(CONFIRMED) | S(HELD) | S(TERMINATING) | S(TERMINATED),
			     E(RELEASE) | E(R_1XX) | E(R_2XX) | E(R_FAIL) | E(I_BYE) | E(GONE) },
	/* An UPDATE in the early dialog (RFC 3311 5.1) is taken in the early
	 * states: sip_offer_update_early(). */
	[SIP_ST_PROCEEDING] = { "PROCEEDING", S(CONFIRMED) | S(HELD) | S(TERMINATING) | S(TERMINATED),
				E(RELEASE) | E(R_1XX) | E(R_2XX) | E(R_FAIL) | E(I_BYE) | E(I_UPDATE) | E(GONE) },
	[SIP_ST_INCOMING] = { "INCOMING", S(EARLY) | S(CONFIRMED) | S(HELD) | S(TERMINATING) | S(TERMINATED),
			      E(ALERT) | E(PROGRESS) | E(ANSWER) | E(RELEASE) | E(I_BYE) | E(I_CANCEL) | E(I_UPDATE) |
			      E(GONE) },
	[SIP_ST_EARLY] = { "EARLY", S(CONFIRMED) | S(HELD) | S(TERMINATING) | S(TERMINATED),
			   E(ALERT) | E(PROGRESS) | E(ANSWER) | E(RELEASE) | E(I_BYE) | E(I_CANCEL) | E(I_UPDATE) |
			   E(GONE) },
	[SIP_ST_CONFIRMED] = { "CONFIRMED", S(HELD) | S(TERMINATING) | S(TERMINATED), SIP_EV_DIALOG,
			       SIP_T_RTP },
	[SIP_ST_HELD] = { "HELD", S(CONFIRMED) | S(TERMINATING) | S(TERMINATED), SIP_EV_DIALOG,
			  SIP_T_RTP_HOLD },
	/* Crossings: our CANCEL with their 2xx or final answer, our BYE with theirs. */
	[SIP_ST_TERMINATING] = { "TERMINATING", S(TERMINATED),
				 E(ALERT) | E(PROGRESS) | E(RELEASE) | E(R_1XX) | E(R_2XX) | E(R_FAIL) |
				 E(I_ACK) | E(I_BYE) | E(I_CANCEL) | E(R_BYE) | E(R_CANCEL) | E(GONE),
				 0, sl_enter_ending },
	[SIP_ST_TERMINATED] = { "TERMINATED", 0, 0, 0, sl_enter_ending },
};

static const char *const sip_event_names[SIP_EV__COUNT] = {
	[SIP_EV_SETUP] = "SETUP", [SIP_EV_ALERT] = "ALERT", [SIP_EV_PROGRESS] = "PROGRESS",
	[SIP_EV_ANSWER] = "ANSWER", [SIP_EV_RELEASE] = "RELEASE",
	[SIP_EV_R_1XX] = "1xx", [SIP_EV_R_2XX] = "2xx", [SIP_EV_R_FAIL] = "3xx-6xx",
	[SIP_EV_I_ACK] = "ACK", [SIP_EV_I_BYE] = "BYE", [SIP_EV_I_CANCEL] = "CANCEL",
	[SIP_EV_I_REINVITE] = "re-INVITE", [SIP_EV_I_UPDATE] = "UPDATE",
	[SIP_EV_R_BYE] = "BYE response", [SIP_EV_R_CANCEL] = "CANCEL response", [SIP_EV_GONE] = "terminated",
	[SIP_EV_RTP_REFUSED] = "RTP refused", [SIP_EV_CLEAR] = "clear", [SIP_EV_CLEARED] = "cleared",
};

static const struct fsm_timer_def sip_timer_names[SIP_T__COUNT] = {
	[SIP_T_RTP] = { "rtp-timeout" },
	[SIP_T_RTP_HOLD] = { "rtp-hold-timeout" },
};

const struct fsm_def sip_leg_fsm = {
	.name = "sip", .ss = LSS_SIP, .states = sip_states, .n_states = SIP_ST__COUNT,
	.event_names = sip_event_names, .n_events = SIP_EV__COUNT,
	.timers = sip_timer_names, .n_timers = SIP_T__COUNT,
	.action = sl_action, .timeout = sl_timeout, .describe = sl_fsm_describe,
};

/* What an event from nua carries to the action. */
struct sl_nua_args {
	int status;
	sip_t const *sip;
};

/* leg_ops.setup's arguments and result. */
struct sl_setup_args {
	const struct leg_setup_info *si;
	int *causep;
	int rc;
};

const char *sip_leg_describe(struct sip_leg *sl)
{
	snprintf(sl->desc, sizeof(sl->desc), "sip %u [%s]", sl->id, fsm_state_name(&sip_leg_fsm, sl->fi.state));
	return sl->desc;
}

static const char *sl_describe(struct leg *leg)
{
	return sip_leg_describe((struct sip_leg *)leg);
}

static const char *sl_fsm_describe(struct fsm_inst *fi)
{
	return sip_leg_describe(fi->priv);
}

int sl_move(struct sip_leg *sl, int next)
{
	return fsm_state_chg(&sl->fi, next);
}

int sl_is(const struct sip_leg *sl, enum sip_state st)
{
	return sl->fi.state == (int)st;
}

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
static int sl_reason_cause(sip_t const *sip, int dflt)
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
static void sl_terminate(struct sip_leg *sl, int cause, int status)
{
	if (sl_is(sl, SIP_ST_TERMINATING) || sl_is(sl, SIP_ST_TERMINATED) || sl_move(sl, SIP_ST_TERMINATING))
		return;
	sl->info.cause = cause;
	call_leg_released(&sl->base, cause, status);
}

/* The INVITE itself, on a new handle; se_s: Session-Expires to ask for (0:
 * the UA's default). 0 or -errno. */
static int sl_invite(struct sip_leg *sl, unsigned se_s)
{
	char sdp[SDP_ANSWER_LEN], m[SIP_OWN_HOSTPORT_LEN + 8];
	const char *contact = sl_contact(sl, m, sizeof(m));
	int rc;

	if (!sl->req)
		return -EPROTO;	/* answered: no INVITE of ours to send again */
	if (!sl->delayed_offer && (rc = sl_build_sdp(sl, sdp, sizeof(sdp), SDP_SENDRECV)))
		return rc;
	/* delayed offer: the 2xx brings the offer and our ACK the answer, so
	 * the stack must not ACK by itself (sip_offer.c) */
	sl->nh = nua_handle(sl->ua->nua, sl, SIPTAG_TO_STR(sl->req->to), SIPTAG_FROM_STR(sl->req->from),
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
		   TAG_IF(sl->req->pai[0], SIPTAG_HEADER_STR(sl->req->pai)),
		   TAG_IF(sl->req->div[0], SIPTAG_HEADER_STR(sl->req->div)),
		   TAG_IF(sl->req->hist[0], SIPTAG_HEADER_STR(sl->req->hist)),
		   TAG_IF(sl->req->refby[0], SIPTAG_HEADER_STR(sl->req->refby)), TAG_IF(contact, SIPTAG_CONTACT_STR(contact)),
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

static void ev_setup(struct sip_leg *sl, struct sl_setup_args *a)
{
	const struct leg_setup_info *si = a->si;
	char me[SIP_OWN_HOSTPORT_LEN], hp[SIP_HOSTPORT_LEN], disp[LEG_NUM + 16];

	snprintf(sl->number, sizeof(sl->number), "%s", si->called);
	if (!sl->req && !(sl->req = calloc(1, sizeof(*sl->req)))) {
		a->rc = -ENOMEM;
		*a->causep = CAUSE_TEMP_FAILURE;
		return;
	}
	sl_own_hostport(sl, me);	/* IPv6 in brackets (RFC 5118 4.1), here and below */
	/* Request-URI sip:NUMBER@TARGET;user=phone (RFC 3261 19.1.1), or a
	 * registered phone's contact with the number's address of record in To
	 * (RFC 3261 16.5). */
	if (sl->ruri[0]) {
		snprintf(sl->req_uri, sizeof(sl->req_uri), "%s", sl->ruri);
		snprintf(sl->req->to, sizeof(sl->req->to), "<sip:%s@%s>", si->called, me);
	} else {
		/* the dial-peer's session_transport: RFC 3261 19.1.4 (tcp), 26.2.2 (sips: TLS) */
		snprintf(sl->req_uri, sizeof(sl->req_uri), "%s:%s@%s;user=phone%s",
			 sl->transport == SIP_TP_TLS ? "sips" : "sip", si->called, sip_hostport(hp, sl->host, sl->port),
			 sl->transport == SIP_TP_TCP ? ";transport=tcp" : "");
		snprintf(sl->req->to, sizeof(sl->req->to), "<%s>", sl->req_uri);
	}
	/* RFC 3323 4, RFC 3325 9.1: a restricted caller is anonymous in From,
	 * with Privacy: id; who it is goes only to a peer of the trust domain,
	 * in P-Asserted-Identity. */
	if (si->restricted)
		snprintf(sl->req->from, sizeof(sl->req->from), "\"Anonymous\" <sip:anonymous@anonymous.invalid>");
	else {
		sl_quote_display(disp, sizeof(disp),
				 si->display[0] ? si->display : (si->calling[0] ? si->calling : "Anonymous"));
		snprintf(sl->req->from, sizeof(sl->req->from), "\"%s\" <sip:%s@%s;user=phone>", disp,
			 si->calling[0] ? si->calling : "anonymous", me);
	}
	sl->req_privacy = si->restricted;
	sl->req->pai[0] = 0;
	sip_redirect_headers(si->redirecting, si->redirect_reason, me, sl->req_uri,
			     sl->req->div, sizeof(sl->req->div), sl->req->hist, sizeof(sl->req->hist));
	if (sl->assert_identity && si->calling[0])
		snprintf(sl->req->pai, sizeof(sl->req->pai), "P-Asserted-Identity: <sip:%s@%s;user=phone>",
			 si->calling, me);
	if (si->referred_by[0])	/* RFC 3892: who transferred the call here */
		snprintf(sl->req->refby, sizeof(sl->req->refby), "Referred-By: <sip:%s@%s>", si->referred_by, me);
	if ((a->rc = sl_invite(sl, 0))) {
		*a->causep = CAUSE_TEMP_FAILURE;
		return;
	}
	sl_move(sl, SIP_ST_CALLING);
	sip_status_outgoing(sl, si);
	LOGI(LSS_SIP, "%s INVITE %s (dial-peer %d)", sl_describe(&sl->base), sl->req_uri, sl->dial_peer);
}

static int sl_setup(struct leg *leg, const struct leg_setup_info *si, int *causep)
{
	struct sip_leg *sl = (struct sip_leg *)leg;
	struct sl_setup_args a = { .si = si, .causep = causep };
	int rc = fsm_dispatch(&sl->fi, SIP_EV_SETUP, &a);

	if (rc) {
		*causep = CAUSE_TEMP_FAILURE;	/* a leg set up twice: refused (logged) */
		return rc;
	}
	return a.rc;
}

/* 422 Session Interval Too Small (RFC 4028 6): once, a new INVITE asking
 * for the peer's Min-SE. nua would retry by itself, but sipgw lets nua
 * restart no request (a 3xx would be followed too: sip_ua.c). */
/* Our INVITE again on a new handle (a 422's Min-SE, SRTP fallback); 1 if sent. */
static int sl_invite_again(struct sip_leg *sl, unsigned se_s)
{
	nua_handle_t *old = sl->nh;

	nua_handle_bind(old, NULL);	/* what nua still says about it is no longer ours */
	nua_handle_destroy(old);
	sl->nh = NULL;
	return sl_invite(sl, se_s) == 0;
}

static int sl_retry_422(struct sip_leg *sl, sip_t const *sip)
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
static void sl_hangup(struct sip_leg *sl, int cause)
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
static void ev_release(struct sip_leg *sl, int cause)
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

static void sl_release(struct leg *leg, int cause)
{
	struct sip_leg *sl = (struct sip_leg *)leg;

	fsm_dispatch(&sl->fi, SIP_EV_RELEASE, &cause);
}

/* TERMINATING, TERMINATED: the session clocks of a dialog on its way out stop. */
static void sl_enter_ending(struct fsm_inst *fi, int prev)
{
	sip_timers_stop(fi->priv);
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
static void ev_alert(struct sip_leg *sl, int inband)
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

static void sl_alert(struct leg *leg, int inband)
{
	struct sip_leg *sl = (struct sip_leg *)leg;

	fsm_dispatch(&sl->fi, SIP_EV_ALERT, &inband);
}

static void sl_progress(struct leg *leg)
{
	struct sip_leg *sl = (struct sip_leg *)leg;
	int inband = 1;

	fsm_dispatch(&sl->fi, SIP_EV_PROGRESS, &inband);
}

static void ev_answer(struct sip_leg *sl)
{
	if (sl_move(sl, sl->confirm_st))
		return;
	sl_respond_sdp(sl, SIP_200_OK);
	sip_timers_answered(sl, NULL);
}

static void sl_answer(struct leg *leg)
{
	struct sip_leg *sl = (struct sip_leg *)leg;

	fsm_dispatch(&sl->fi, SIP_EV_ANSWER, NULL);
}

static struct media_port *sl_media(struct leg *leg)
{
	struct sip_leg *sl = (struct sip_leg *)leg;
	return sl->pt >= 0 ? &sl->mport : NULL;
}

static void sl_destroy(struct leg *leg)
{
	struct sip_leg *sl = (struct sip_leg *)leg;

	media_part(&sl->mport);
	sip_rtp_cleanup(sl);
	sip_refer_free(sl);
	sip_t38_free(sl);
	sip_timers_free(sl);
	sip_debug_leg_gone(sl);
	fsm_inst_cleanup(&sl->fi);
	if (sl->nh)
		nua_handle_destroy(sl->nh);
	sip_srtp_end(sl);
	rtp_free(sl->rtp);
	free(sl->base.contacts);
	free(sl->req);
	free(sl);
}

static const struct leg_ops sip_leg_ops = {
	.kind = "sip",
	.setup = sl_setup,
	.alert = sl_alert,
	.progress = sl_progress,
	.answer = sl_answer,
	.release = sl_release,
	.hold = sip_leg_hold,
	.info = sip_leg_info,
	.media = sl_media,
	.destroy = sl_destroy,
	.describe = sl_describe,
	.xfer_status = sip_refer_status,
	.peer_changed = sip_refer_peer_changed,
	.status = sip_leg_status,	/* sip_status.c */
};

/* A UAS leg starts in INCOMING (its INVITE is here), a UAC one in IDLE. */
int sip_leg_alloc(struct sip_leg **slp, struct sip_ua *ua, enum sip_role role)
{
	struct sip_leg *sl = calloc(1, sizeof(*sl));
	struct rtp_params rp = {
		.local_ip = ua->rtp_ip, .port_min = ua->rtp_port_min, .port_max = ua->rtp_port_max,
		.port_next = &ua->rtp_port_next, .recv_h = sl_rtp_in, .refused_h = sl_rtp_refused,
	};
	int rc;

	if (!sl)
		return -ENOMEM;
	rp.arg = sl;
	sl->base.ops = &sip_leg_ops;
	sl->ua = ua;
	sl->id = ++ua->leg_seq;
	sl->role = role;
	sl->confirm_st = SIP_ST_CONFIRMED;
	sl->pt = -1;
	sl->te_pt = -1;
	sl->sdp_id = (unsigned long)random();
	sl_set_codecs(sl, &ua->codecs);
	sl->timer_ms[SIP_T_RTP] = ua->tp.rtp_timeout_ms;
	sl->timer_ms[SIP_T_RTP_HOLD] = ua->tp.rtp_hold_timeout_ms;
	if ((rc = fsm_inst_init(&sl->fi, &sip_leg_fsm, role == SIP_ROLE_UAC ? SIP_ST_IDLE : SIP_ST_INCOMING, sl,
				ua->root, sl->timer_ms)) ||
	    (rc = sip_timers_init(sl)) || (rc = sip_rtp_init(sl, &ua->dtmf_relay))) {
		LOGE(LSS_SIP, "no memory for a new call's timers");
		sip_rtp_cleanup(sl);
		sip_timers_free(sl);
		fsm_inst_cleanup(&sl->fi);
		free(sl);
		return rc;
	}
	if ((rc = rtp_alloc(&sl->rtp, ua->root, &rp))) {
		LOGE(LSS_RTP, "no RTP port for a new call: %s", strerror(-rc));
		sip_rtp_cleanup(sl);
		sip_timers_free(sl);
		fsm_inst_cleanup(&sl->fi);
		free(sl);
		return rc;
	}
	*slp = sl;
	return 0;
}

int sip_leg_alloc_outgoing(struct leg **legp, struct sip_ua *ua, const struct sip_leg_params *p)
{
	struct sip_leg *sl;
	int rc = sip_leg_alloc(&sl, ua, SIP_ROLE_UAC);

	if (rc)
		return rc;
	snprintf(sl->host, sizeof(sl->host), "%s", p->host ? p->host : "");
	snprintf(sl->ruri, sizeof(sl->ruri), "%s", p->ruri ? p->ruri : "");
	sl->port = p->port;
	sl->transport = p->transport;
	sl->dial_peer = p->dial_peer;
	sl->assert_identity = p->assert_identity;
	if (p->dtmf_relay && p->dtmf_relay->n)
		sl->rm.relay = *p->dtmf_relay;	/* the dial-peer's dtmf-relay over the global one */
	if (p->codecs && p->codecs->n)
		sl_set_codecs(sl, p->codecs);	/* and its voice-class codec */
	sip_srtp_init_uac(sl, p->transport, p->srtp);
	sl->delayed_offer = p->delayed_offer;
	*legp = &sl->base;
	return 0;
}

/* A 1xx to our INVITE (RFC 3261 13.2.2.1); with SDP, early media. */
static void ev_r_1xx(struct sip_leg *sl, int status, sip_t const *sip)
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
static void ev_r_2xx(struct sip_leg *sl, int status, sip_t const *sip)
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
	free(sl->req);	/* answered: a 422 or an SRTP fallback can no longer come */
	sl->req = NULL;
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
static void ev_r_fail(struct sip_leg *sl, int status, sip_t const *sip)
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
static void ev_gone(struct sip_leg *sl, int status, sip_t const *sip)
{
	sl_terminate(sl, status >= 300 ? sl_cause(sl, status, sip) : CAUSE_NORMAL_CLEARING, status);
	sl_move(sl, SIP_ST_TERMINATED);
	nua_handle_destroy(sl->nh);
	sl->nh = NULL;
	call_leg_gone(&sl->base);
}

/* Every event a state permits, after fsm_dispatch() checked it. */
static void sl_action(struct fsm_inst *fi, int event, void *data)
{
	struct sip_leg *sl = fi->priv;
	const struct sl_nua_args *n = data;

	switch (event) {
	case SIP_EV_SETUP:
		ev_setup(sl, data);
		return;
	case SIP_EV_ALERT:
	case SIP_EV_PROGRESS:
		ev_alert(sl, *(const int *)data);
		return;
	case SIP_EV_ANSWER:
		ev_answer(sl);
		return;
	case SIP_EV_RELEASE:
		ev_release(sl, *(const int *)data);
		return;
	case SIP_EV_R_1XX:
		ev_r_1xx(sl, n->status, n->sip);
		return;
	case SIP_EV_R_2XX:
		ev_r_2xx(sl, n->status, n->sip);
		return;
	case SIP_EV_R_FAIL:
		ev_r_fail(sl, n->status, n->sip);
		return;
	case SIP_EV_I_REINVITE:
		sip_offer_in(sl, n->sip, 0);
		return;
	case SIP_EV_I_UPDATE:
		sip_offer_in(sl, n->sip, 1);
		return;
	case SIP_EV_I_BYE:
		sip_refer_bye_also(sl, n->sip);	/* B-7, B-9: the peer stays for the Also target */
		sl_terminate(sl, sl_reason_cause(n->sip, CAUSE_NORMAL_CLEARING), 0);
		return;
	case SIP_EV_I_CANCEL:
		/* CANCEL before answer: the caller gave up, normal clearing
		 * unless a Reason says otherwise; nua answers 200 and 487 itself. */
		sl_terminate(sl, sl_reason_cause(n->sip, CAUSE_NORMAL_CLEARING), 0);
		return;
	case SIP_EV_R_BYE:
		if (!sl_is(sl, SIP_ST_TERMINATING))
			sip_timers_stack_bye(sl);	/* a BYE we never sent */
		return;
	case SIP_EV_GONE:
		ev_gone(sl, n->status, n->sip);
		return;
	case SIP_EV_RTP_REFUSED:
		sip_timers_rtp_check(sl);
		return;
	case SIP_EV_CLEAR:
		sl_hangup(sl, *(const int *)data);	/* BYE with Reason (RFC 3326) */
		sl_terminate(sl, *(const int *)data, 0);	/* the call did not ask: tell it */
		return;
	case SIP_EV_CLEARED:
		sl_terminate(sl, *(const int *)data, 0);
		return;
	case SIP_EV_I_ACK:
		sip_offer_answer_in(sl, n->sip, 0);	/* the answer to an offer in our 2xx */
		return;
	case SIP_EV_R_CANCEL:
		return;	/* nua has done what they ask */
	}
}

/* The RTP watch's state timer (CONFIRMED, HELD) ran out. */
static void sl_timeout(struct fsm_inst *fi, int timer)
{
	sip_timers_rtp_check(fi->priv);
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

/* ---- for sip_timers.c */

void sip_leg_release(struct sip_leg *sl, int cause)
{
	sl_release(&sl->base, cause);
}

void sip_leg_clear(struct sip_leg *sl, int cause)
{
	fsm_dispatch(&sl->fi, SIP_EV_CLEAR, &cause);
}

void sip_leg_cleared(struct sip_leg *sl, int cause)
{
	fsm_dispatch(&sl->fi, SIP_EV_CLEARED, &cause);
}
