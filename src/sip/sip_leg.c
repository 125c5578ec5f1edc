/* sipgw - a call leg on a SIP dialog (RFC 3261) with its RTP session and
 * SDP offer/answer (RFC 3264). SPDX-License-Identifier: GPL-2.0-only */
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

#define B(s) FSM_BIT(SIP_ST_##s)

static const struct fsm_state sip_states[SIP_ST__COUNT] = {
	[SIP_ST_IDLE] = { "IDLE", B(CALLING) | B(INCOMING) | B(TERMINATED) },
	[SIP_ST_CALLING] = { "CALLING", B(PROCEEDING) | B(CONFIRMED) | B(TERMINATING) | B(TERMINATED) },
	[SIP_ST_PROCEEDING] = { "PROCEEDING", B(CONFIRMED) | B(TERMINATING) | B(TERMINATED) },
	[SIP_ST_INCOMING] = { "INCOMING", B(EARLY) | B(CONFIRMED) | B(TERMINATING) | B(TERMINATED) },
	[SIP_ST_EARLY] = { "EARLY", B(CONFIRMED) | B(TERMINATING) | B(TERMINATED) },
	[SIP_ST_CONFIRMED] = { "CONFIRMED", B(TERMINATING) | B(TERMINATED) },
	[SIP_ST_TERMINATING] = { "TERMINATING", B(TERMINATED) },
	[SIP_ST_TERMINATED] = { "TERMINATED", 0 },
};

static const struct fsm_def sip_fsm = { "sip", LSS_SIP, sip_states, SIP_ST__COUNT };

static const char *sl_describe(struct leg *leg)
{
	struct sip_leg *sl = (struct sip_leg *)leg;
	snprintf(sl->desc, sizeof(sl->desc), "sip %u [%s]", sl->id, fsm_state_name(&sip_fsm, sl->state));
	return sl->desc;
}

static int sl_move(struct sip_leg *sl, int next)
{
	return fsm_move(&sip_fsm, &sl->state, next, sl_describe(&sl->base));
}

/* Our SDP: the offer lists the span's law first, then the other, then
 * telephone-event (RFC 4733); an answer carries the chosen one, and one m=
 * line per offered one (offer: the layout answered; NULL for an offer). */
static int sl_build_answer(struct sip_leg *sl, char *buf, size_t len, enum sdp_dir dir,
			   const struct sdp_mlines *offer)
{
	int pts[2];
	int n = 0;
	struct sdp_build_params bp = {
		.addr = sl->ua->rtp_ip, .port = rtp_local_port(sl->rtp), .pts = pts,
		.te_pt = SDP_PT_TELEPHONE_EVENT, .dir = dir,
		.sess_id = sl->sdp_id, .sess_ver = ++sl->sdp_ver, .offer = offer,
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

static int sl_build_sdp(struct sip_leg *sl, char *buf, size_t len, enum sdp_dir dir)
{
	return sl_build_answer(sl, buf, len, dir, NULL);
}

/* Take the far side's SDP (answer to our offer, or its re-offer). */
static int sl_take_sdp(struct sip_leg *sl, const struct sdp_info *si)
{
	enum g711_law law;
	int pt = -1;

	for (int i = 0; i < si->n_pts && pt < 0; i++)
		if (g711_pt_law(si->pts[i], &law) == 0)
			pt = si->pts[i];
	if (pt < 0)
		return -EPROTO;
	sl->pt = pt;
	g711_pt_law(pt, &sl->mport.law);
	/* telephone-event mapped onto the audio's own payload type is
	 * nonsense (found by fuzz_sdp): no events then, and no PT twice. */
	sl->te_pt = si->te_pt == pt ? -1 : si->te_pt;
	sl->held = sdp_is_hold(si);
	snprintf(sl->remote_addr, sizeof(sl->remote_addr), "%s", si->addr);
	sl->remote_port = si->port;
	if (sl->held)
		rtp_set_remote(sl->rtp, NULL, 0);	/* RFC 3264 8.4: send nothing */
	else
		rtp_set_remote(sl->rtp, si->addr, si->port);
	return 0;
}

static int sip_body_sdp(sip_t const *sip, struct sdp_info *si)
{
	if (!sip || !sip->sip_payload || !sip->sip_payload->pl_data)
		return -ENOENT;
	return sdp_info_parse(si, sip->sip_payload->pl_data);
}

/* The Q.850 cause a SIP failure stands for: Reason header first (RFC 6432). */
static int sl_cause(int status, sip_t const *sip)
{
	char reason[256] = "";

	if (sip && sip->sip_reason)
		sip_header_field_e(reason, sizeof(reason), (sip_header_t const *)sip->sip_reason, 0);
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

static void sl_tell_released(struct sip_leg *sl, int cause, int status)
{
	if (sl->told_release)
		return;
	sl->told_release = 1;
	call_leg_released(&sl->base, cause, status);
}

static void rtp_in(void *arg, int pt, const uint8_t *payload, size_t len, uint16_t seq,
		   uint32_t ts, int marker)
{
	struct sip_leg *sl = arg;

	/* Held with a=sendonly the far end may still send (music on hold):
	 * take it; only our sending stops. telephone-event and packet times
	 * other than 20 ms are not bridged yet. */
	if (pt != sl->pt || len != MEDIA_FRAME)
		return;
	media_deliver(&sl->mport, payload, len);
}

static void rtp_refused(void *arg, unsigned run)
{
	sip_timers_refused(arg, run);
}

static void sl_play(struct media_port *mp, const uint8_t *frame, size_t len)
{
	struct sip_leg *sl = mp->owner;

	if (sl->pt < 0 || sl->held)
		return;
	rtp_send(sl->rtp, sl->pt, frame, len, (uint32_t)len);
}

/* The INVITE itself, on a new handle; se_s: Session-Expires to ask for (0:
 * the UA's default). 0 or -errno. */
static int sl_invite(struct sip_leg *sl, unsigned se_s)
{
	char sdp[1024];
	int rc;

	if ((rc = sl_build_sdp(sl, sdp, sizeof(sdp), SDP_SENDRECV)))
		return rc;
	sl->nh = nua_handle(sl->ua->nua, sl, SIPTAG_TO_STR(sl->req_to), SIPTAG_FROM_STR(sl->req_from), TAG_END());
	if (!sl->nh)
		return -ENOMEM;
	nua_invite(sl->nh, NUTAG_URL(sl->req_uri), TAG_IF(se_s, NUTAG_SESSION_TIMER(se_s)),
		   TAG_IF(se_s, NUTAG_MIN_SE(se_s)),
		   SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp), TAG_END());
	return 0;
}

static int sl_setup(struct leg *leg, const struct leg_setup_info *si, int *causep)
{
	struct sip_leg *sl = (struct sip_leg *)leg;
	int rc;

	sl->offer_law = si->law;
	snprintf(sl->number, sizeof(sl->number), "%s", si->called);
	/* Request-URI sip:NUMBER@TARGET;user=phone (RFC 3261 19.1.1), or a
	 * registered phone's contact with the number's address of record in To
	 * (RFC 3261 16.5). */
	if (sl->ruri[0]) {
		snprintf(sl->req_uri, sizeof(sl->req_uri), "%s", sl->ruri);
		snprintf(sl->req_to, sizeof(sl->req_to), "<sip:%s@%s:%d>", si->called, sl->ua->bind, sl->ua->port);
	} else {
		snprintf(sl->req_uri, sizeof(sl->req_uri), "sip:%s@%s:%d;user=phone", si->called, sl->host,
			 sl->port);
		snprintf(sl->req_to, sizeof(sl->req_to), "<%s>", sl->req_uri);
	}
	snprintf(sl->req_from, sizeof(sl->req_from), "\"%s\" <sip:%s@%s:%d;user=phone>",
		 si->display[0] ? si->display : (si->calling[0] ? si->calling : "Anonymous"),
		 si->calling[0] ? si->calling : "anonymous", sl->ua->bind, sl->ua->port);
	if ((rc = sl_invite(sl, 0))) {
		*causep = CAUSE_TEMP_FAILURE;
		return rc;
	}
	sl_move(sl, SIP_ST_CALLING);
	LOGI(LSS_SIP, "%s INVITE %s (dial-peer %d)", sl_describe(leg), sl->req_uri, sl->dial_peer);
	return 0;
}

/* 422 Session Interval Too Small (RFC 4028 6): once, a new INVITE asking
 * for the peer's Min-SE. nua would retry by itself, but sipgw lets nua
 * restart no request (a 3xx would be followed too: sip_ua.c). */
static int sl_retry_422(struct sip_leg *sl, sip_t const *sip)
{
	nua_handle_t *old = sl->nh;

	if (sl->retried_422 || !sip || !sip->sip_min_se || sl->state != SIP_ST_CALLING)
		return 0;
	sl->retried_422 = 1;
	nua_handle_bind(old, NULL);	/* what nua still says about it is no longer ours */
	nua_handle_destroy(old);
	sl->nh = NULL;
	if (sl_invite(sl, (unsigned)sip->sip_min_se->min_delta))
		return 0;
	LOGN(LSS_SIP, "%s 422: INVITE again with Session-Expires %lu (RFC 4028 6)", sl_describe(&sl->base),
	     sip->sip_min_se->min_delta);
	return 1;
}

static void sl_release(struct leg *leg, int cause)
{
	struct sip_leg *sl = (struct sip_leg *)leg;
	char reason[128];

	sl->told_release = 1;	/* the call asked for it: no need to tell it */
	cause_format_reason(reason, sizeof(reason), cause);
	switch (sl->state) {
	case SIP_ST_CALLING:
	case SIP_ST_PROCEEDING:
		nua_cancel(sl->nh, SIPTAG_REASON_STR(reason), TAG_END());
		break;
	case SIP_ST_CONFIRMED:
		nua_bye(sl->nh, SIPTAG_REASON_STR(reason), TAG_END());
		break;
	case SIP_ST_INCOMING:
	case SIP_ST_EARLY: {
		int status = cause_to_sip_status(cause);
		nua_respond(sl->nh, status, sip_status_phrase(status), SIPTAG_REASON_STR(reason), TAG_END());
		break;
	}
	case SIP_ST_IDLE:
		sl_move(sl, SIP_ST_TERMINATED);
		call_leg_gone(leg);
		return;
	default:
		return;	/* already on its way out */
	}
	sl_move(sl, SIP_ST_TERMINATING);
}

/* UAS side (SIP -> PRI): 180, or 183 with our SDP when the PBX plays
 * in-band tones (progress indicator 1 or 8) so the caller hears them. */
static void sl_respond_sdp(struct sip_leg *sl, int status, const char *phrase)
{
	char sdp[SDP_ANSWER_LEN];

	if (sl_build_answer(sl, sdp, sizeof(sdp), SDP_SENDRECV, &sl->offer_ml))
		LOGE(LSS_SIP, "%s SDP answer does not fit in %zu bytes", sl_describe(&sl->base), sizeof(sdp));
	nua_respond(sl->nh, status, phrase, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
		    SIPTAG_PAYLOAD_STR(sdp), TAG_END());
}

static void sl_alert(struct leg *leg, int inband)
{
	struct sip_leg *sl = (struct sip_leg *)leg;

	if (sl->state != SIP_ST_INCOMING && sl->state != SIP_ST_EARLY)
		return;
	sl_move(sl, SIP_ST_EARLY);
	if (inband)
		sl_respond_sdp(sl, SIP_183_SESSION_PROGRESS);
	else
		nua_respond(sl->nh, SIP_180_RINGING, TAG_END());
}

static void sl_progress(struct leg *leg)
{
	struct sip_leg *sl = (struct sip_leg *)leg;

	if (sl->state != SIP_ST_INCOMING && sl->state != SIP_ST_EARLY)
		return;
	sl_move(sl, SIP_ST_EARLY);
	sl_respond_sdp(sl, SIP_183_SESSION_PROGRESS);
}

static void sl_answer(struct leg *leg)
{
	struct sip_leg *sl = (struct sip_leg *)leg;

	if (sl_move(sl, SIP_ST_CONFIRMED))
		return;
	sl_respond_sdp(sl, SIP_200_OK);
	sip_timers_answered(sl, NULL);
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
	sip_timers_free(sl);
	if (sl->nh)
		nua_handle_destroy(sl->nh);
	rtp_free(sl->rtp);
	free(sl);
}

static const struct leg_ops sip_leg_ops = {
	.kind = "sip",
	.setup = sl_setup,
	.alert = sl_alert,
	.progress = sl_progress,
	.answer = sl_answer,
	.release = sl_release,
	.media = sl_media,
	.destroy = sl_destroy,
	.describe = sl_describe,
};

static int sl_alloc(struct sip_leg **slp, struct sip_ua *ua)
{
	struct sip_leg *sl = calloc(1, sizeof(*sl));
	struct rtp_params rp = {
		.local_ip = ua->rtp_ip, .port_min = ua->rtp_port_min, .port_max = ua->rtp_port_max,
		.recv_h = rtp_in, .refused_h = rtp_refused,
	};
	int rc;

	if (!sl)
		return -ENOMEM;
	rp.arg = sl;
	sl->base.ops = &sip_leg_ops;
	sl->ua = ua;
	sl->id = ++ua->leg_seq;
	sl->pt = -1;
	sl->te_pt = -1;
	sl->sdp_id = (unsigned long)random();
	sl->mport.kind = "rtp";
	sl->mport.play = sl_play;
	sl->mport.owner = sl;
	if ((rc = rtp_alloc(&sl->rtp, ua->root, &rp))) {
		LOGE(LSS_RTP, "no RTP port for a new call: %s", strerror(-rc));
		free(sl);
		return rc;
	}
	*slp = sl;
	return 0;
}

int sip_leg_alloc_outgoing(struct leg **legp, struct sip_ua *ua, const struct sip_leg_params *p)
{
	struct sip_leg *sl;
	int rc = sl_alloc(&sl, ua);

	if (rc)
		return rc;
	sl->outgoing = 1;
	snprintf(sl->host, sizeof(sl->host), "%s", p->host ? p->host : "");
	snprintf(sl->ruri, sizeof(sl->ruri), "%s", p->ruri ? p->ruri : "");
	sl->port = p->port;
	sl->dial_peer = p->dial_peer;
	*legp = &sl->base;
	return 0;
}

/* A 3xx is never followed: a Contact is the far end's word, not a
 * dial-peer, and following it would skip routing, trust and the toll-fraud
 * door (a redirect to a PSTN number through this very gateway). The try
 * ends with CAUSE_REDIRECTION; the log names where the peer wanted the call to go. */
static void sl_log_redirect(struct sip_leg *sl, int status, sip_t const *sip)
{
	char list[512] = "";
	size_t o = 0;

	for (sip_contact_t const *m = sip ? sip->sip_contact : NULL; m && o < sizeof(list) - 2; m = m->m_next) {
		if (o)
			o += (size_t)snprintf(list + o, sizeof(list) - o, ", ");
		if (o < sizeof(list))
			o += url_e(list + o, (int)(sizeof(list) - o), m->m_url);
	}
	LOGN(LSS_SIP, "%s %d from dial-peer %d: redirection to %s not followed", sl_describe(&sl->base),
	     status, sl->dial_peer, list[0] ? list : "(no Contact)");
}

/* A response to our INVITE (RFC 3261 13.2.2). */
static void on_r_invite(struct sip_leg *sl, int status, sip_t const *sip)
{
	struct sdp_info si;
	int has_sdp = sip_body_sdp(sip, &si) == 0;

	if (sl->state == SIP_ST_CONFIRMED && sip_timers_refresh_response(sl, status, sip))
		return;
	if (status < 100 || (status < 200 && sl->state == SIP_ST_TERMINATING))
		return;
	if (status == 100)
		return;
	if (status < 200) {
		sl_move(sl, SIP_ST_PROCEEDING);
		if (has_sdp && sl_take_sdp(sl, &si) == 0) {
			if (status == 183)
				call_leg_progress(&sl->base);	/* early media */
			else
				call_leg_alerting(&sl->base, 1);
		} else if (status != 183) {
			call_leg_alerting(&sl->base, 0);
		}
		return;
	}
	if (status < 300) {
		if (sl->state == SIP_ST_TERMINATING) {
			/* 200 crossed our CANCEL (RFC 3261 9.1): nua ACKs, we BYE. */
			nua_bye(sl->nh, TAG_END());
			return;
		}
		if (sl_move(sl, SIP_ST_CONFIRMED))
			return;
		if (!has_sdp && sl->pt < 0) {
			LOGW(LSS_SIP, "%s 200 OK without SDP answer", sl_describe(&sl->base));
			sl_release(&sl->base, CAUSE_BEARER_NOT_IMPL);
			sl_tell_released(sl, CAUSE_BEARER_NOT_IMPL, 0);
			return;
		}
		if (has_sdp && sl_take_sdp(sl, &si)) {
			LOGW(LSS_SIP, "%s answer has no G.711", sl_describe(&sl->base));
			sl_release(&sl->base, CAUSE_BEARER_NOT_IMPL);
			sl_tell_released(sl, CAUSE_BEARER_NOT_IMPL, 0);
			return;
		}
		call_leg_answered(&sl->base);
		sip_timers_answered(sl, sip);
		return;
	}
	if (status < 400)
		sl_log_redirect(sl, status, sip);
	if (status == 422 && sl_retry_422(sl, sip))
		return;
	/* Final failure; nua sends the ACK (RFC 3261 17.1.1.3). */
	if (sl->state != SIP_ST_TERMINATING)
		sl_move(sl, SIP_ST_TERMINATING);
	sl_tell_released(sl, sl_cause(status, sip), status);
}

/* A re-INVITE in the dialog: hold, resume, or a session refresh (RFC 3264 8,
 * RFC 4028). The answer mirrors the offered direction. */
static void on_i_reinvite(struct sip_leg *sl, sip_t const *sip)
{
	struct sdp_info si;
	char sdp[SDP_ANSWER_LEN];
	int was_held = sl->held;

	if (sl->state != SIP_ST_CONFIRMED) {
		nua_respond(sl->nh, SIP_491_REQUEST_PENDING, TAG_END());
		return;
	}
	if (sip_body_sdp(sip, &si) == 0) {
		if (sl_take_sdp(sl, &si)) {
			nua_respond(sl->nh, SIP_488_NOT_ACCEPTABLE, TAG_END());
			return;
		}
		if (sl->held != was_held) {
			LOGI(LSS_SIP, "%s %s by the far end (%s%s)", sl_describe(&sl->base),
			     sl->held ? "held" : "resumed", sdp_dir_name(si.dir), si.null_addr ? ", c=0.0.0.0" : "");
			call_leg_hold(&sl->base, sl->held);
			sip_timers_media_changed(sl);
		}
		sl_build_answer(sl, sdp, sizeof(sdp), sdp_dir_answer(si.dir), &si.ml);
	} else {
		sl_build_sdp(sl, sdp, sizeof(sdp), SDP_SENDRECV);
	}
	nua_respond(sl->nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
		    SIPTAG_PAYLOAD_STR(sdp), TAG_END());
	sip_timers_refreshed(sl, sip);
}

void sip_leg_event(struct sip_leg *sl, nua_event_t event, int status, char const *phrase,
		   sip_t const *sip, tagi_t tags[])
{
	switch (event) {
	case nua_r_invite:
		on_r_invite(sl, status, sip);
		return;
	case nua_i_invite:
		on_i_reinvite(sl, sip);
		return;
	case nua_i_bye:
		if (sl->state != SIP_ST_TERMINATING)
			sl_move(sl, SIP_ST_TERMINATING);
		sl_tell_released(sl, sl_reason_cause(sip, CAUSE_NORMAL_CLEARING), 0);
		return;
	case nua_i_cancel:
		sl_move(sl, SIP_ST_TERMINATING);
		/* CANCEL before answer: the caller gave up, normal clearing
		 * unless a Reason says otherwise; nua answers 200 and 487 itself. */
		sl_tell_released(sl, sl_reason_cause(sip, CAUSE_NORMAL_CLEARING), 0);
		return;
	case nua_i_state: {
		int cs = nua_callstate_init;
		tl_gets(tags, NUTAG_CALLSTATE_REF(cs), TAG_END());
		if (cs != nua_callstate_terminated)
			return;
		sl_tell_released(sl, status >= 300 ? sl_cause(status, sip) : CAUSE_NORMAL_CLEARING, status);
		sl_move(sl, SIP_ST_TERMINATED);
		nua_handle_destroy(sl->nh);
		sl->nh = NULL;
		call_leg_gone(&sl->base);
		return;
	}
	case nua_i_update:
		sip_timers_refreshed(sl, sip);
		return;
	case nua_r_bye:
		if (!sl->told_release && sl->state == SIP_ST_CONFIRMED)
			sip_timers_stack_bye(sl);
		return;
	case nua_r_cancel:
	case nua_i_ack:
	case nua_i_active:
	case nua_i_terminated:
	case nua_i_prack:
		return;
	default:
		LOGD(LSS_SIP, "%s: %s %d %s", sl_describe(&sl->base), nua_event_name(event), status,
		     phrase ? phrase : "");
	}
}

/* The called number of a Request-URI user part: escapes decoded (RFC 3261
 * 19.1.2: "#" arrives as "%23"), RFC 3966 visual separators dropped. 0, or
 * the cause to refuse it with: unallocated number (404) for a character no
 * number or user name has, invalid number format (484) when it does not fit;
 * never cut short. */
static int sl_called_number(const char *user, char *out, size_t outlen)
{
	char buf[256], full[256];

	if (!user)
		return CAUSE_UNALLOCATED;
	if (strlen(user) >= sizeof(buf))
		return CAUSE_INVALID_NUMBER_FORMAT;
	url_unescape(buf, user);
	for (const char *p = buf; *p; p++)
		if (!strchr("0123456789*#+-.()", *p) && !((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z'))
			return CAUSE_UNALLOCATED;
	number_strip_visual(full, sizeof(full), buf);
	if (strlen(full) >= outlen)
		return CAUSE_INVALID_NUMBER_FORMAT;
	snprintf(out, outlen, "%s", full);
	return out[0] ? 0 : CAUSE_UNALLOCATED;
}

/* Accept allows the SDP our answer carries: absent (RFC 3261 20.1:
 * application/sdp is then assumed), or a range covering it. */
static int sl_accepts_sdp(sip_t const *sip)
{
	if (!sip->sip_accept)
		return 1;
	for (sip_accept_t const *ac = sip->sip_accept; ac; ac = ac->ac_next)
		if (ac->ac_type && (!strcasecmp(ac->ac_type, "application/sdp") ||
				    !strcasecmp(ac->ac_type, "application/*") || !strcasecmp(ac->ac_type, "*/*")))
			return 1;
	return 0;
}

/* Answer status with a Warning (RFC 3261 20.43): code, our host:port as the
 * agent, and text as a quoted string (quotes and backslashes taken out). */
static void sl_refuse_warn(struct sip_ua *ua, nua_handle_t *nh, int status, int code, const char *text)
{
	char warning[200];
	int n = snprintf(warning, sizeof(warning), "%d %s:%d \"", code, ua->bind, ua->port);

	for (const char *t = text; *t && n < (int)sizeof(warning) - 2; t++)
		warning[n++] = (*t == '"' || *t == '\\' || (unsigned char)*t < 0x20) ? '\'' : *t;
	warning[n++] = '"';
	warning[n] = 0;
	nua_respond(nh, status, sip_status_phrase(status), SIPTAG_WARNING_STR(warning), TAG_END());
}

/* The body of a new INVITE, checked as RFC 3261 8.2.3 (content) and RFC
 * 3264 (the offer) say, before anything is allocated: 0 with offer filled,
 * else the status it was refused with. */
static int sl_refuse_offer(struct sip_ua *ua, nua_handle_t *nh, sip_t const *sip, struct sdp_info *offer)
{
	/* Any peer can send these at packet rate: rate-limited lines. */
	static struct log_limit lim_415, lim_406, lim_stream, lim_sdp;
	const char *ctype = sip->sip_content_type ? sip->sip_content_type->c_type : NULL;
	const char *cid = sip->sip_call_id ? sip->sip_call_id->i_id : "-";
	char source[64];
	int rc;

	sip_request_source(ua, source, sizeof(source));
	if (sip->sip_payload && sip->sip_payload->pl_len && ctype && strcasecmp(ctype, "application/sdp")) {
		/* RFC 3261 21.4.13: 415 lists what we take (RFC 4475 invut). */
		LOGN_LIMIT(&lim_415, LSS_SIP, "INVITE from %s (Call-ID %s): %s body refused, 415", source, cid,
			   ctype);
		nua_respond(nh, SIP_415_UNSUPPORTED_MEDIA, SIPTAG_ACCEPT_STR("application/sdp"), TAG_END());
		return 415;
	}
	if (!sl_accepts_sdp(sip)) {
		/* RFC 3261 21.4.7: our answer is SDP, which Accept rules out (RFC 4475 sdp01). */
		LOGN_LIMIT(&lim_406, LSS_SIP, "INVITE from %s (Call-ID %s): Accept has no application/sdp, 406",
			   source, cid);
		sl_refuse_warn(ua, nh, 406, 399, "Accept must allow application/sdp");
		return 406;
	}
	rc = sip_body_sdp(sip, offer);
	if (rc == 0 && offer->error[0])	/* a stream Sofia could not read is refused with port 0 */
		LOGI_LIMIT(&lim_stream, LSS_SIP, "INVITE from %s (Call-ID %s): SDP %s; that stream is refused",
			   source, cid, offer->error);
	else if (rc && rc != -ENOENT)
		LOGN_LIMIT(&lim_sdp, LSS_SIP, "INVITE from %s (Call-ID %s): SDP refused: %s", source, cid,
			   offer->error);
	switch (rc) {
	case 0:
		return 0;
	case -ENOENT:	/* RFC 3261 13.2.1 allows an offer in the ACK; not supported here. */
		sl_refuse_warn(ua, nh, 488, 399, "an SDP offer is required in the INVITE");
		return 488;
	case -ENOMEDIUM:	/* RFC 3261 20.43 warning 304: media type not available */
		sl_refuse_warn(ua, nh, 488, 304, "no audio stream offered");
		return 488;
	case -E2BIG:
		sl_refuse_warn(ua, nh, 488, 399, offer->error);
		return 488;
	default:	/* malformed (RFC 3261 21.4.1), with Sofia's reason */
		sl_refuse_warn(ua, nh, 400, 399, offer->error);
		return 400;
	}
}

/* A new INVITE outside any dialog (SIP -> PRI). The bridge decides; a
 * refusal goes back as the cause's status with a Reason header. */
int sip_leg_incoming(struct sip_ua *ua, nua_handle_t *nh, sip_t const *sip)
{
	struct leg_setup_info si = { .law = LAW_ULAW };
	struct sdp_info offer;
	struct sip_leg *sl;
	int cause, rc, stale = 0;

	if (sip_overload_refuse(ua, nh, sip)) {	/* before any RTP port or call exists */
		nua_handle_destroy(nh);
		return -EBUSY;
	}
	if (!ua->incoming_h || !sip || !sip->sip_request || !sip->sip_from) {
		nua_respond(nh, SIP_403_FORBIDDEN, TAG_END());
		nua_handle_destroy(nh);
		return -EPERM;
	}
	if (sl_refuse_offer(ua, nh, sip, &offer)) {
		nua_handle_destroy(nh);
		return -EPROTO;
	}
	if ((rc = sl_alloc(&sl, ua))) {
		nua_respond(nh, SIP_503_SERVICE_UNAVAILABLE, TAG_END());
		nua_handle_destroy(nh);
		return rc;
	}
	sl->nh = nh;
	nua_handle_bind(nh, sl);
	sip_timers_offer(sl, sip);
	sl_move(sl, SIP_ST_INCOMING);
	if (sl_take_sdp(sl, &offer)) {
		sl_release(&sl->base, CAUSE_BEARER_NOT_IMPL);	/* 488: no G.711 offered */
		return -EPROTO;
	}
	sl->offer_ml = offer.ml;	/* our answers keep its m= lines (RFC 3264 6) */
	si.t_setup_us = mono_us();
	si.law = sl->mport.law;
	if ((cause = sl_called_number(sip->sip_request->rq_url->url_user, si.called, sizeof(si.called)))) {
		static struct log_limit lim_number;
		LOGN_LIMIT(&lim_number, LSS_SIP, "%s INVITE %s: called number refused (%s): cause %d",
			   sl_describe(&sl->base),
			   sip->sip_request->rq_url->url_user ? sip->sip_request->rq_url->url_user : "(none)",
			   cause == CAUSE_INVALID_NUMBER_FORMAT ? "too long" : "not a number", cause);
		sl_release(&sl->base, cause);
		return -EINVAL;
	}
	if (sip->sip_from->a_url->url_user)
		number_strip_visual(si.calling, sizeof(si.calling), sip->sip_from->a_url->url_user);
	if (sip->sip_from->a_display)
		snprintf(si.display, sizeof(si.display), "%.*s", (int)sizeof(si.display) - 1,
			 sip->sip_from->a_display[0] == '"' ? sip->sip_from->a_display + 1 : sip->sip_from->a_display);
	if (si.display[0] && si.display[strlen(si.display) - 1] == '"')
		si.display[strlen(si.display) - 1] = 0;
	sip_request_source(ua, si.source, sizeof(si.source));
	if (ua->reg) {
		registrar_check(ua->reg, sip, 1, si.source, si.auth_user, sizeof(si.auth_user),
				&si.auth_status, &stale);
		if (!sip->sip_proxy_authorization && si.auth_status == 407)
			si.auth_status = 0;	/* none given: the bridge decides whether they are due */
		if (si.auth_status)
			LOGN(LSS_SIP, "%s INVITE from %s to %s: credentials refused (%d%s)", sl_describe(&sl->base),
			     si.source, si.called, si.auth_status, stale ? ", stale or replayed nonce" : "");
	}
	LOGI(LSS_SIP, "%s INVITE from %s%s%s: %s \"%s\" -> %s", sl_describe(&sl->base), si.source,
	     si.auth_user[0] ? " as " : "", si.auth_user, si.calling, si.display, si.called);
	cause = 0;
	rc = ua->incoming_h(ua->arg, &sl->base, &si, &cause);
	if (rc == -EACCES && ua->reg) {
		/* Figure B-19: 407 with a challenge; the caller ACKs and retries. */
		sl->told_release = 1;
		sl_move(sl, SIP_ST_TERMINATING);
		registrar_refuse(ua->reg, ua->nua, nh, si.auth_status ? si.auth_status : 407, stale, 0);
	} else if (rc == -EACCES) {
		/* no registrar to authenticate against: 403 */
		sl_release(&sl->base, CAUSE_CALL_REJECTED);
	} else if (rc < 0) {
		sl_release(&sl->base, cause);
	}
	return 0;
}

/* ---- for sip_timers.c */

void sip_leg_clear(struct sip_leg *sl, int cause)
{
	int told = sl->told_release;

	sl_release(&sl->base, cause);	/* BYE with Reason (RFC 3326) */
	sl->told_release = told;	/* the call did not ask: tell it */
	sl_tell_released(sl, cause, 0);
}

void sip_leg_cleared(struct sip_leg *sl, int cause)
{
	if (sl->state != SIP_ST_TERMINATING)
		sl_move(sl, SIP_ST_TERMINATING);
	sl_tell_released(sl, cause, 0);
}

int sip_leg_take_answer(struct sip_leg *sl, sip_t const *sip)
{
	struct sdp_info si;
	int was_held = sl->held, rc;

	if (sip_body_sdp(sip, &si))
		return -ENOENT;
	if ((rc = sl_take_sdp(sl, &si)))
		return rc;
	if (sl->held == was_held)
		return 0;
	call_leg_hold(&sl->base, sl->held);
	return 1;
}

int sip_leg_sdp(struct sip_leg *sl, char *buf, size_t len)
{
	/* Held by the far end: offer recvonly, so the refresh does not resume it. */
	return sl_build_sdp(sl, buf, len, sl->held ? SDP_RECVONLY : SDP_SENDRECV);
}
