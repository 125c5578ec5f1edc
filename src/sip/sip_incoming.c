/* sipgw - a new INVITE outside any dialog: its checks before anything is
 * allocated for it (the called number of its Request-URI and its body, RFC
 * 3261 8.2.3, RFC 3264), then the UAS leg it makes and the bridge's say.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "sip/sip_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <strings.h>

#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_extra.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/url.h>

#include "bridge/cause.h"
#include "core/err.h"
#include "core/log.h"
#include "core/number.h"
#include "sip/sip_caps.h"

int sip_in_called_number(const char *user, char *out, size_t outlen, int *causep)
{
	char buf[256], full[256];

	if (!user)
		return err_with(-EINVAL, causep, CAUSE_UNALLOCATED);
	if (strlen(user) >= sizeof(buf))
		return err_with(-ENOSPC, causep, CAUSE_INVALID_NUMBER_FORMAT);
	url_unescape(buf, user);
	for (const char *p = buf; *p; p++)
		if (!strchr("0123456789*#+-.()", *p) && !((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z'))
			return err_with(-EINVAL, causep, CAUSE_UNALLOCATED);
	number_strip_visual(full, sizeof(full), buf);
	if (strlen(full) >= outlen)
		return err_with(-ENOSPC, causep, CAUSE_INVALID_NUMBER_FORMAT);
	snprintf(out, outlen, "%s", full);
	if (!out[0])
		return err_with(-EINVAL, causep, CAUSE_UNALLOCATED);
	*causep = 0;
	return 0;
}

/* Accept allows the SDP our answer carries: absent (RFC 3261 20.1:
 * application/sdp is then assumed), or a range covering it. */
static int sip_in_accepts_sdp(sip_t const *sip)
{
	if (!sip->sip_accept)
		return 1;
	for (sip_accept_t const *ac = sip->sip_accept; ac; ac = ac->ac_next)
		if (ac->ac_type && (!strcasecmp(ac->ac_type, "application/sdp") ||
				    !strcasecmp(ac->ac_type, "application/*") || !strcasecmp(ac->ac_type, "*/*")))
			return 1;
	return 0;
}

int sip_in_check_offer(struct sip_ua *ua, nua_handle_t *nh, sip_t const *sip, struct sdp_info *offer,
		       int *statusp)
{
	/* Any peer can send these at packet rate: rate-limited lines. */
	static struct log_limit lim_415, lim_406, lim_stream, lim_sdp, lim_srtp;
	const char *srtp_why = "";
	const char *ctype = sip->sip_content_type ? sip->sip_content_type->c_type : NULL;
	const char *cid = sip->sip_call_id ? sip->sip_call_id->i_id : "-";
	char source[64];
	int rc;

	sip_request_source(ua, source, sizeof(source));
	if (sip->sip_payload && sip->sip_payload->pl_len && ctype && strcasecmp(ctype, "application/sdp")) {
		/* RFC 3261 21.4.13: 415 lists what we take (RFC 4475 invut). */
		LOGN_LIMIT(&lim_415, LSS_SIP, "INVITE from %s (Call-ID %s): %s body refused, 415", source, cid,
			   ctype);
		sip_caps_refuse_warn(ua, nh, 415, SIP_WARN_MISC, "only application/sdp bodies are taken", 0);
		return err_with(-EPROTO, statusp, 415);
	}
	if (!sip_in_accepts_sdp(sip)) {
		/* RFC 3261 21.4.7: our answer is SDP, which Accept rules out (RFC 4475 sdp01). */
		LOGN_LIMIT(&lim_406, LSS_SIP, "INVITE from %s (Call-ID %s): Accept has no application/sdp, 406",
			   source, cid);
		sip_caps_refuse_warn(ua, nh, 406, SIP_WARN_MISC, "Accept must allow application/sdp", 0);
		return err_with(-EPROTO, statusp, 406);
	}
	rc = sip_body_sdp(sip, offer);
	if (rc == 0 && offer->error[0])	/* a stream Sofia could not read is refused with port 0 */
		LOGI_LIMIT(&lim_stream, LSS_SIP, "INVITE from %s (Call-ID %s): SDP %s; that stream is refused",
			   source, cid, offer->error);
	else if (rc && rc != -ENOENT)
		LOGN_LIMIT(&lim_sdp, LSS_SIP, "INVITE from %s (Call-ID %s): SDP refused: %s", source, cid,
			   offer->error);
	if (rc == 0 && sip_srtp_check_offer(sip, offer, &srtp_why)) {
		/* RFC 4568 8.3: keys in a clear SDP are anybody's */
		LOGN_LIMIT(&lim_srtp, LSS_SIP, "INVITE from %s (Call-ID %s): %s refused: %s, 488", source, cid,
			   sdp_proto_name(offer->proto), srtp_why);
		sip_caps_refuse_warn(ua, nh, 488, SIP_WARN_FORMAT, srtp_why, 0);
		return err_with(-EPROTO, statusp, 488);
	}
	if (rc == 0) {
		*statusp = 0;
		return 0;
	}
	if (rc == -ENOENT) {	/* RFC 3261 13.2.1: delayed offer, ours goes in the 200 (sip_offer.c) */
		*statusp = 0;
		return -ENOENT;
	}
	return err_with(-EPROTO, statusp, sip_caps_refuse_offer(ua, nh, rc, offer, NULL, 0));
}

/* RFC 3323 4.2: Privacy id, user or header asks that the caller not be
 * shown; an anonymous From says the same. */
static int sip_in_private(sip_t const *sip)
{
	const char *user = sip->sip_from && sip->sip_from->a_url->url_user ? sip->sip_from->a_url->url_user : "";

	if (!strcasecmp(user, "anonymous"))
		return 1;
	if (sip->sip_privacy && sip->sip_privacy->priv_values)
		for (msg_param_t const *v = sip->sip_privacy->priv_values; *v; v++)
			if (!strcasecmp(*v, "id") || !strcasecmp(*v, "user") || !strcasecmp(*v, "header"))
				return 1;
	return 0;
}

/* The value of the first header named name, or NULL. */
static const char *sip_in_header(sip_t const *sip, const char *name)
{
	for (sip_unknown_t const *u = sip->sip_unknown; u; u = u->un_next)
		if (u->un_name && !strcasecmp(u->un_name, name) && u->un_value)
			return u->un_value;
	return NULL;
}

/* The user part of the first sip:/tel: URI in a header value. */
static void sip_in_uri_user(const char *value, char *out, size_t outlen)
{
	const char *p = strstr(value, "sip:");

	out[0] = 0;
	if (!p && !(p = strstr(value, "tel:")))
		return;
	p += 4;
	char buf[LEG_NUM];
	snprintf(buf, sizeof(buf), "%.*s", (int)strcspn(p, "@;>,"), p);
	number_strip_visual(out, outlen, buf);
}

/* The user part of the first P-Asserted-Identity (RFC 3325 9.1), wherever
 * the parser keeps it: its own header class, or among the unknown ones. */
static void sip_in_asserted(sip_t const *sip, char *out, size_t outlen)
{
	sip_p_asserted_identity_t const *paid = sip_p_asserted_identity(sip);
	const char *value = sip_in_header(sip, "P-Asserted-Identity");

	out[0] = 0;
	if (paid && paid->paid_url->url_user)
		number_strip_visual(out, outlen, paid->paid_url->url_user);
	else if (value)
		sip_in_uri_user(value, out, outlen);
}

/* Redirection reasons as SIP writes them: RFC 5806 Diversion reason and
 * RFC 4458 cause (History-Info and the target's URI). Row 0 is the default. */
static const struct { enum leg_redirect why; const char *reason; int cause; } sip_redirects[] = {
	{ LEG_REDIR_UNKNOWN, "unknown", 404 },
	{ LEG_REDIR_BUSY, "user-busy", 486 },
	{ LEG_REDIR_NO_ANSWER, "no-answer", 408 },
	{ LEG_REDIR_UNCONDITIONAL, "unconditional", 302 },
	{ LEG_REDIR_DEFLECTION, "deflection", 487 },
	{ LEG_REDIR_OUT_OF_SERVICE, "out-of-service", 503 },
};
#define N_REDIRECTS (sizeof(sip_redirects) / sizeof(sip_redirects[0]))

static size_t sip_redirect_row(enum leg_redirect why)
{
	for (size_t i = 0; i < N_REDIRECTS; i++)
		if (sip_redirects[i].why == why)
			return i;
	return 0;
}

void sip_redirect_headers(const char *number, enum leg_redirect why, const char *hostport,
			  const char *ruri, char *div, size_t divlen, char *hist, size_t histlen)
{
	size_t r = sip_redirect_row(why);

	div[0] = hist[0] = 0;
	if (!number || !number[0])
		return;
	snprintf(div, divlen, "Diversion: <sip:%s@%s;user=phone>;reason=%s;counter=1", number, hostport,
		 sip_redirects[r].reason);
	/* RFC 7044: the entry redirected from, then the one it went to with the
	 * RFC 4458 cause of the redirection */
	snprintf(hist, histlen, "History-Info: <sip:%s@%s;user=phone>;index=1, <%s;cause=%d>;index=1.1",
		 number, hostport, ruri, sip_redirects[r].cause);
}

/* Diversion (RFC 5806) first, else History-Info (RFC 7044): who the call
 * was for, and why it moved on. */
static void sip_in_redirect(sip_t const *sip, struct leg_setup_info *si)
{
	const char *div = sip_in_header(sip, "Diversion"), *hist = sip_in_header(sip, "History-Info");

	si->redirecting[0] = 0;
	si->redirect_reason = LEG_REDIR_NONE;
	if (div) {
		const char *reason = strstr(div, "reason=");

		sip_in_uri_user(div, si->redirecting, sizeof(si->redirecting));
		si->redirect_reason = LEG_REDIR_UNKNOWN;
		for (size_t i = 0; reason && i < N_REDIRECTS; i++)
			if (!strncasecmp(reason + 7, sip_redirects[i].reason, strlen(sip_redirects[i].reason)))
				si->redirect_reason = sip_redirects[i].why;
	} else if (hist && strstr(hist, "cause=")) {
		/* the first entry is the one redirected from; the cause sits on the next */
		int cause = atoi(strstr(hist, "cause=") + 6);

		sip_in_uri_user(hist, si->redirecting, sizeof(si->redirecting));
		si->redirect_reason = LEG_REDIR_UNKNOWN;
		for (size_t i = 0; i < N_REDIRECTS; i++)
			if (sip_redirects[i].cause == cause)
				si->redirect_reason = sip_redirects[i].why;
	}
	if (!si->redirecting[0])
		si->redirect_reason = LEG_REDIR_NONE;
}

void sip_in_identity(sip_t const *sip, struct leg_setup_info *si)
{
	si->restricted = sip_in_private(sip);
	sip_in_asserted(sip, si->asserted, sizeof(si->asserted));
	sip_in_redirect(sip, si);
}

/* The toll-fraud door before the offer is looked at (RFC 3261 8.2: a
 * request is authenticated, then inspected): who calls from where, with
 * what credentials (checked once, here), and the called number as far as
 * it reads (an emergency number passes the door). 0 through; else answered
 * (407 with a challenge, or 403 with Reason) and -EACCES. */
static int sip_in_door(struct sip_ua *ua, nua_handle_t *nh, sip_t const *sip, struct leg_setup_info *si,
		       int *stalep)
{
	int cause, rc, status;
	char reason[CAUSE_REASON_MAX];

	sip_request_source(ua, si->source, sizeof(si->source));
	if (sip_in_called_number(sip->sip_request->rq_url->url_user, si->called, sizeof(si->called), &cause))
		si->called[0] = 0;	/* refused past the door (404, 484) */
	if (sip->sip_from->a_url->url_user)
		number_strip_visual(si->calling, sizeof(si->calling), sip->sip_from->a_url->url_user);
	if (ua->reg) {
		registrar_check(ua->reg, sip, 1, si->source, si->auth_user, sizeof(si->auth_user),
				&si->auth_status, stalep);
		if (!sip->sip_proxy_authorization && si->auth_status == 407)
			si->auth_status = 0;	/* none given: the door decides whether they are due */
		if (si->auth_status)
			LOGN(LSS_SIP, "INVITE from %s to %s: credentials refused (%d%s)", si->source, si->called,
			     si->auth_status, *stalep ? ", stale or replayed nonce" : "");
	}
	cause = CAUSE_CALL_REJECTED;
	if (!ua->door_h || !(rc = ua->door_h(ua->arg, si, &cause)))
		return 0;
	if (rc == -EACCES && ua->reg) {
		/* Figure B-19: 407 with a challenge; the caller ACKs and retries */
		registrar_refuse(ua->reg, ua->nua, nh, si->auth_status ? si->auth_status : 407, *stalep, 0);
		return -EACCES;
	}
	if (rc == -EACCES)
		cause = CAUSE_CALL_REJECTED;	/* no registrar to authenticate against: 403 */
	status = cause_to_sip_status(cause);
	cause_format_reason(reason, sizeof(reason), cause);
	nua_respond(nh, status, sip_status_phrase(status), SIPTAG_REASON_STR(reason), TAG_END());
	return -EACCES;
}

/* A new INVITE outside any dialog (SIP -> PRI). The door first, then the
 * offer; the bridge decides; a refusal goes back as the cause's status
 * with a Reason header. */
int sip_leg_incoming(struct sip_ua *ua, nua_handle_t *nh, sip_t const *sip)
{
	struct leg_setup_info si = { .law = LAW_ULAW };
	struct sdp_info offer;
	struct sip_leg *sl;
	int cause, status, rc, stale = 0, no_offer;

	if (sip_overload_refuse(ua, nh, sip)) {	/* before any RTP port or call exists */
		nua_handle_destroy(nh);
		return -EBUSY;
	}
	if (!ua->incoming_h || !sip || !sip->sip_request || !sip->sip_from) {
		nua_respond(nh, SIP_403_FORBIDDEN, TAG_END());
		nua_handle_destroy(nh);
		return -EPERM;
	}
	if ((rc = sip_in_door(ua, nh, sip, &si, &stale))) {
		nua_handle_destroy(nh);	/* answered: 407 or 403 */
		return rc;
	}
	if ((rc = sip_in_check_offer(ua, nh, sip, &offer, &status)) && rc != -ENOENT) {
		nua_handle_destroy(nh);	/* answered with status */
		return rc;
	}
	no_offer = rc == -ENOENT;
	if ((rc = sip_leg_alloc(&sl, ua, SIP_ROLE_UAS))) {
		nua_respond(nh, SIP_503_SERVICE_UNAVAILABLE, TAG_END());
		nua_handle_destroy(nh);
		return rc;
	}
	sl->nh = nh;
	nua_handle_bind(nh, sl);
	sip_tp_follow_request(sl, sip);
	sip_timers_offer(sl, sip);
	sip_srtp_init_uas(sl, sip);
	sip_offer_note_100rel(sl, sip);
	if (no_offer) {
		sip_offer_none_in(sl, sip);
		si.law = sip_offer_law(sl);
	} else if ((rc = sl_take_early_sdp(sl, &offer))) {
		/* 488 with Warning 305 (no codec of ours) or 302 (transport) */
		sl_move(sl, SIP_ST_TERMINATING);	/* no call knows it */
		sip_caps_refuse_offer(ua, nh, rc, &offer, sl, 0);
		return -EPROTO;
	} else {
		sl->offer_ml = offer.ml;	/* our answers keep its m= lines (RFC 3264 6) */
		si.law = sl->rm.law;
	}
	si.t_setup_us = mono_us();
	if (sip_in_called_number(sip->sip_request->rq_url->url_user, si.called, sizeof(si.called), &cause)) {
		static struct log_limit lim_number;
		LOGN_LIMIT(&lim_number, LSS_SIP, "%s INVITE %s: called number refused (%s): cause %d",
			   sip_leg_describe(sl),
			   sip->sip_request->rq_url->url_user ? sip->sip_request->rq_url->url_user : "(none)",
			   cause == CAUSE_INVALID_NUMBER_FORMAT ? "too long" : "not a number", cause);
		sip_leg_release(sl, cause);
		return -EINVAL;
	}
	sip_in_identity(sip, &si);
	si.replaces = sip_replaces_leg(ua, sip);	/* RFC 3891: routing decides, at the door */
	if (sip->sip_from->a_display)
		snprintf(si.display, sizeof(si.display), "%.*s", (int)sizeof(si.display) - 1,
			 sip->sip_from->a_display[0] == '"' ? sip->sip_from->a_display + 1 : sip->sip_from->a_display);
	if (si.display[0] && si.display[strlen(si.display) - 1] == '"')
		si.display[strlen(si.display) - 1] = 0;
	snprintf(sl->host, sizeof(sl->host), "%s", si.source);	/* our own address towards it (sip_addr.c) */
	sip_status_incoming(sl, sip, &si);
	LOGI(LSS_SIP, "%s INVITE from %s%s%s: %s \"%s\" -> %s", sip_leg_describe(sl), si.source,
	     si.auth_user[0] ? " as " : "", si.auth_user, si.calling, si.display, si.called);
	cause = 0;
	rc = ua->incoming_h(ua->arg, &sl->base, &si, &cause);
	if (rc == -EACCES && ua->reg) {
		/* Figure B-19: 407 with a challenge; the caller ACKs and retries. */
		sl_move(sl, SIP_ST_TERMINATING);	/* the call knows: it refused */
		registrar_refuse(ua->reg, ua->nua, nh, si.auth_status ? si.auth_status : 407, stale, 0);
	} else if (rc == -EACCES) {
		/* no registrar to authenticate against: 403 */
		sip_leg_release(sl, CAUSE_CALL_REJECTED);
	} else if (rc < 0) {
		sip_leg_release(sl, cause);
	}
	return 0;
}
