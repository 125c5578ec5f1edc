/* sipgw - calls that never clear: the RTP inactivity watch (with ICMP port
 * unreachable counted toward it) and RFC 4028 session timers on a SIP leg.
 * Either clears the call on both legs: BYE with a Reason header, the call
 * told with the same cause, one log line saying why.
 *
 * Sofia's nua negotiates Session-Expires/Min-SE/Require and keeps timers of
 * its own, but with NUTAG_MEDIA_ENABLE(0) its refresh as UAS is a re-INVITE
 * with no SDP (a delayed offer the far end must not see) and its expiry BYE
 * tells us nothing. So the leg keeps both clocks itself, a little ahead of
 * nua's, and nua's are only a backstop. SPDX-License-Identifier: GPL-2.0-only */
#include "sip/sip_internal.h"
#include "sip/sip_timers.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/sip_util.h>

#include "bridge/cause.h"
#include "core/log.h"
#include "core/loop.h"
#include "rtp/rtp.h"

#define ST_RETRY_491_MS 2000	/* RFC 3261 14.1: glare on our refresh, try again (UAC owns 2.1..4 s) */

/* ---- decisions (pure, unit-tested) */

enum rtp_watch_verdict rtp_watch_check(const struct rtp_watch_in *in, unsigned *next_ms)
{
	unsigned timeout = in->held ? in->hold_timeout_ms : in->timeout_ms;
	long long quiet = in->now_ms - in->since_ms;

	*next_ms = 0;
	if (!timeout)
		return RTP_WATCH_OK;
	/* While held we send nothing, so no refusal can come; one that does
	 * belongs to the media before the hold and is stale. */
	if (!in->held && in->refused_run >= RTP_REFUSED_GONE)
		return RTP_WATCH_REFUSED;
	if (quiet < 0)
		quiet = 0;
	if (quiet >= timeout)
		return RTP_WATCH_SILENT;
	*next_ms = timeout - (unsigned)quiet;
	return RTP_WATCH_OK;
}

int st_negotiate(const struct st_in *in, unsigned *interval_s, int *we_refresh)
{
	unsigned iv = in->remote_se ? in->remote_se : in->local_se;

	*interval_s = 0;
	*we_refresh = 0;
	if (!in->local_se)	/* off: "timer" is not in our Supported either */
		return 0;
	/* A UAS may shorten the interval, never below either Min-SE (RFC 4028 9). */
	if (iv > in->local_se)
		iv = in->local_se;
	if (iv < in->local_min_se)
		iv = in->local_min_se;
	if (iv < in->remote_min_se)
		iv = in->remote_min_se;
	if (!iv)
		return 0;
	if (!in->remote_supported)
		*we_refresh = 1;	/* RFC 4028 7.2 / 9: the side that knows timers refreshes */
	else if (in->remote_refresher == ST_REFRESHER_UAC)
		*we_refresh = !in->uas;
	else if (in->remote_refresher == ST_REFRESHER_UAS)
		*we_refresh = in->uas;
	else if (in->uas)
		*we_refresh = 0;	/* RFC 4028 9: the UAS picks the UAC */
	else
		*we_refresh = 1;	/* RFC 4028 7.2: a 2xx naming no refresher leaves it to the UAC */
	*interval_s = iv;
	return 1;
}

unsigned st_refresh_ms(unsigned interval_s)
{
	/* nua refreshes on its 1 s stack tick once a whole-second target has
	 * passed, so up to 1 s before it: the target is half the interval
	 * (rounded down) below 90 s, half -5..+5 s from 90 s on. After our
	 * first refresh nua's backstop would resend ours, SDP and all; before
	 * it, nua would send a re-INVITE without SDP, so ours must be first. */
	if (interval_s >= 90)
		return interval_s * 500u - 10000u;
	if (interval_s >= 4)
		return (interval_s / 2 - 1) * 1000u - 200u;
	return interval_s * 250u;	/* below 4 s nua may win the race: tests only */
}

unsigned st_expiry_ms(unsigned interval_s)
{
	unsigned third = interval_s * 1000u / 3;
	/* RFC 4028 10 says min(32 s, a third); nua's own BYE goes at the
	 * interval less min(32 s, a tenth), up to 1 s early: 34 s keeps ours
	 * first. */
	return interval_s * 1000u - (third < 34000u ? third : 34000u);
}

/* ---- the leg's clocks */

/* The session timer's own machine. Session-expires is no state's timer:
 * both sides keep it in every state but NONE (RFC 4028 10), so it is a
 * clock of its own beside the state timers. */
static void sess_action(struct fsm_inst *fi, int event, void *data);
static void sess_timeout(struct fsm_inst *fi, int timer);
static const char *sess_describe(struct fsm_inst *fi);

#define SS(s) FSM_BIT(SIP_SESS_##s)
#define SE(e) FSM_BIT(SIP_SESS_EV_##e)

/* NONE takes the first 2xx, and a far end's refresh that asks for timers
 * after a 2xx that had none. DUE and WATCH take a 2xx again: the answer to
 * the stack's own re-INVITE (sip_leg_nua.c). While our refresh is out, a far
 * end's refresh (an UPDATE) sets the interval; the answer to ours decides
 * what comes next. */
static const struct fsm_state sess_states[SIP_SESS__COUNT] = {
	[SIP_SESS_NONE] = { "NONE", SS(RAISED) | SS(WATCH) | SS(DUE), SE(START) | SE(REFRESHED) },
	[SIP_SESS_RAISED] = { "RAISED", SS(NONE) | SS(WATCH) | SS(DUE), SE(START) },
	[SIP_SESS_WATCH] = { "WATCH", SS(NONE) | SS(DUE), SE(START) | SE(REFRESHED) },
	[SIP_SESS_DUE] = { "DUE", SS(NONE) | SS(WATCH) | SS(REFRESHING), SE(START) | SE(REFRESHED),
			   SIP_SESS_T_REFRESH },
	[SIP_SESS_REFRESHING] = { "REFRESHING", SS(NONE) | SS(WATCH) | SS(DUE), SE(REFRESHED) | SE(RESPONSE),
				  SIP_SESS_T_TIMER_B },
};

static const char *const sess_event_names[SIP_SESS_EV__COUNT] = {
	[SIP_SESS_EV_START] = "2xx", [SIP_SESS_EV_REFRESHED] = "far end's refresh",
	[SIP_SESS_EV_RESPONSE] = "refresh response",
};

static const struct fsm_timer_def sess_timer_names[SIP_SESS_T__COUNT] = {
	[SIP_SESS_T_REFRESH] = { "session-refresh" },
	/* 7/8 of it: Sofia drops the dialog by itself when Timer B's 408
	 * comes, so our BYE must go first (tm_refresh_unanswered). */
	[SIP_SESS_T_TIMER_B] = { "Timer B" },
};

const struct fsm_def sip_sess_fsm = {
	.name = "session-timer", .ss = LSS_SIP, .states = sess_states, .n_states = SIP_SESS__COUNT,
	.event_names = sess_event_names, .n_events = SIP_SESS_EV__COUNT,
	.timers = sess_timer_names, .n_timers = SIP_SESS_T__COUNT,
	.action = sess_action, .timeout = sess_timeout, .describe = sess_describe,
};

struct sess_start_args {
	const struct st_in *in;
	const char *what;
};

struct sess_response_args {
	int status;
	sip_t const *sip;
};

static const char *sess_describe(struct fsm_inst *fi)
{
	struct sip_leg *sl = fi->priv;

	snprintf(sl->tm.desc, sizeof(sl->tm.desc), "%s session timer", sip_leg_describe(sl));
	return sl->tm.desc;
}

static int tm_is(const struct sip_leg *sl, enum sip_sess_state st)
{
	return sl->tm.fi.state == (int)st;
}

/* We refresh: the refresh is due, or ours is out. */
static int tm_we_refresh(const struct sip_leg *sl)
{
	return tm_is(sl, SIP_SESS_DUE) || tm_is(sl, SIP_SESS_REFRESHING);
}

/* Only a confirmed dialog runs clocks: the states that take our CLEAR. One
 * the call released as it heard the answer has none to start. */
static int tm_dialog_up(struct sip_leg *sl)
{
	return fsm_permits(&sl->fi, SIP_EV_CLEAR);
}

static const char *st_refresher_name(int we)
{
	return we ? "us" : "the far end";
}

/* Clear the call from our side with cause: BYE with Reason, the call told.
 * Leaving the dialog stops every clock of the leg. */
static void tm_clear(struct sip_leg *sl, int cause)
{
	sip_leg_clear(sl, cause);
}

static void tm_expires_fired(void *arg);

int sip_timers_init(struct sip_leg *sl)
{
	su_root_t *root = sl->ua->root;

	sl->tm.ms[SIP_SESS_T_REFRESH] = 0;	/* the negotiated interval's: fsm_timer_start_ms() */
	sl->tm.ms[SIP_SESS_T_TIMER_B] = sl->ua->timer_b_ms * 7 / 8;
	if (fsm_inst_init(&sl->tm.fi, &sip_sess_fsm, SIP_SESS_NONE, sl, root, sl->tm.ms))
		return -ENOMEM;
	if (loop_timer_alloc(&sl->tm.expires, root, "session-expires", tm_expires_fired, sl))
		return -ENOMEM;
	return 0;
}

/* Look at the media now: clear, or look again when the timeout could run
 * out (the state's timer: rtp-timeout, or rtp-hold-timeout while HELD). */
void sip_timers_rtp_check(struct sip_leg *sl)
{
	const struct sip_timer_params *tp = &sl->ua->tp;
	struct rtp_watch_in in = {
		.timeout_ms = tp->rtp_timeout_ms, .hold_timeout_ms = tp->rtp_hold_timeout_ms,
		.held = sl->fi.state == SIP_ST_HELD, .now_ms = mono_ms(), .since_ms = sl->tm.media_ms,
	};
	long long last_rx;
	unsigned next;
	char hp[SIP_HOSTPORT_LEN];

	if (!sl->rtp)
		return;
	rtp_get_activity(sl->rtp, &last_rx, &in.refused_run);
	if (last_rx > in.since_ms)
		in.since_ms = last_rx;
	if (sip_t38_last_rx(sl) > in.since_ms)	/* in T.38 the fax comes over UDPTL */
		in.since_ms = sip_t38_last_rx(sl);
	switch (rtp_watch_check(&in, &next)) {
	case RTP_WATCH_OK:
		fsm_timer_start_ms(&sl->fi, next);	/* 0: the watch is off */
		return;
	case RTP_WATCH_SILENT:
		LOGN(LSS_RTP, "%s RTP timeout%s: no RTP from %s for %.1f s, clearing with cause %d",
		     sl->base.ops->describe(&sl->base), in.held ? " on hold" : "",
		     sip_hostport(hp, sl->remote_addr, sl->remote_port), (in.now_ms - in.since_ms) / 1000.0, CAUSE_TEMP_FAILURE);
		break;
	case RTP_WATCH_REFUSED:
		LOGN(LSS_RTP, "%s RTP timeout: %s answers ICMP port unreachable (%u in a row), "
		     "no RTP for %.1f s: the far end is gone, clearing with cause %d",
		     sl->base.ops->describe(&sl->base), sip_hostport(hp, sl->remote_addr, sl->remote_port),
		     in.refused_run, (in.now_ms - in.since_ms) / 1000.0, CAUSE_TEMP_FAILURE);
		break;
	}
	tm_clear(sl, CAUSE_TEMP_FAILURE);
}

void sip_timers_media_changed(struct sip_leg *sl)
{
	/* Answer, hold, resume: the far end gets a fresh timeout from now. */
	sl->tm.media_ms = mono_ms();
	if (tm_dialog_up(sl))
		sip_timers_rtp_check(sl);
}

/* (Re)start the session clocks after a 2xx of an INVITE with timers. ours:
 * the 2xx answers our INVITE or refresh, or is ours; else the far end
 * refreshed, which leaves a refresh of ours that is out to its answer. */
static void tm_session_start(struct sip_leg *sl, const struct st_in *in, const char *what, int ours)
{
	int keep = !ours && tm_is(sl, SIP_SESS_REFRESHING);
	unsigned iv;
	int we;

	loop_timer_stop(sl->tm.expires);
	if (!st_negotiate(in, &iv, &we)) {
		sl->tm.interval_s = 0;
		if (!keep)
			fsm_state_chg(&sl->tm.fi, SIP_SESS_NONE);
		return;
	}
	if (iv != sl->tm.interval_s || we != tm_we_refresh(sl))
		LOGI(LSS_SIP, "%s session timer (%s): %u s, refreshed by %s", sl->base.ops->describe(&sl->base),
		     what, iv, st_refresher_name(we));
	sl->tm.interval_s = iv;
	sl->tm.since_ms = mono_ms();
	if (keep) {
		/* the answer to our refresh decides */
	} else if (we) {
		fsm_state_chg(&sl->tm.fi, SIP_SESS_DUE);
		fsm_timer_start_ms(&sl->tm.fi, st_refresh_ms(iv));
	} else {
		fsm_state_chg(&sl->tm.fi, SIP_SESS_WATCH);
	}
	/* Kept by both sides: a refresher whose refreshes fail on without a
	 * final answer must give up at the same point (RFC 4028 10). */
	loop_timer_start(sl->tm.expires, st_expiry_ms(iv));
}

static enum st_refresher tm_refresher_of(sip_t const *sip)
{
	const char *r = sip && sip->sip_session_expires ? sip->sip_session_expires->x_refresher : NULL;

	if (r && !strcasecmp(r, "uac"))
		return ST_REFRESHER_UAC;
	if (r && !strcasecmp(r, "uas"))
		return ST_REFRESHER_UAS;
	return ST_REFRESHER_NONE;
}

/* What the far end said in an INVITE (we are UAS) or its 2xx (UAC). */
static void tm_read(struct st_in *in, struct sip_leg *sl, sip_t const *sip, int uas)
{
	*in = (struct st_in){
		.uas = uas, .local_se = sl->ua->tp.session_expires_s, .local_min_se = sl->ua->tp.min_se_s,
	};
	if (!sip)
		return;
	in->remote_supported = sip_has_feature(sip->sip_supported, "timer") ||
			       sip_has_feature(sip->sip_require, "timer");
	in->remote_se = sip->sip_session_expires ? (unsigned)sip->sip_session_expires->x_delta : 0;
	in->remote_refresher = tm_refresher_of(sip);
	/* Require: timer and no refresher parameter: the sender asks the
	 * receiver to refresh (what nua does with it). */
	if (in->remote_refresher == ST_REFRESHER_NONE && sip->sip_session_expires &&
	    sip_has_feature(sip->sip_require, "timer"))
		in->remote_refresher = uas ? ST_REFRESHER_UAS : ST_REFRESHER_UAC;
	in->remote_min_se = sip->sip_min_se ? (unsigned)sip->sip_min_se->min_delta : 0;
}

/* RFC 3311: the far end takes UPDATE (its Allow says so): our refreshes
 * go as UPDATE without SDP (RFC 4028 7.4 recommends it) */
static void tm_peer_allows(struct sip_leg *sl, sip_t const *sip)
{
	if (sip && sip->sip_allow)
		sl->peer_update = sip_is_allowed(sip->sip_allow, sip_method_update, "UPDATE");
}

void sip_timers_offer(struct sip_leg *sl, sip_t const *sip)
{
	tm_read(&sl->tm.offer, sl, sip, 1);
	tm_peer_allows(sl, sip);
}

int sip_timers_require(const struct sip_leg *sl)
{
	unsigned iv;
	int we;

	/* RFC 4028 9: with refresher=uac in our 2xx Require: timer is a MUST,
	 * and nua adds it; with refresher=uas to a caller that supports
	 * timers it is a SHOULD, which nua leaves out: ours */
	return sl->role == SIP_ROLE_UAS && sl->tm.offer.remote_supported &&
	       st_negotiate(&sl->tm.offer, &iv, &we) && we;
}

void sip_timers_answered(struct sip_leg *sl, sip_t const *sip)
{
	struct st_in in;
	struct sess_start_args a = { &in, sl->role == SIP_ROLE_UAC ? "2xx" : "our 2xx" };

	if (!tm_dialog_up(sl))
		return;
	sip_timers_media_changed(sl);
	if (sl->role == SIP_ROLE_UAC) {
		tm_read(&in, sl, sip, 0);
		tm_peer_allows(sl, sip);
		sl->tm.peer_timer = in.remote_supported;
	} else
		in = sl->tm.offer;
	fsm_dispatch(&sl->tm.fi, SIP_SESS_EV_START, &a);
}

void sip_timers_refreshed(struct sip_leg *sl, sip_t const *sip)
{
	struct st_in in;
	struct sess_start_args a = { &in, "far end's refresh" };

	/* A re-INVITE or UPDATE from the far end: we are the UAS of this
	 * transaction, our 2xx renegotiates (RFC 4028 9). */
	tm_read(&in, sl, sip, 1);
	fsm_dispatch(&sl->tm.fi, SIP_SESS_EV_REFRESHED, &a);
}

int sip_timers_retry_422(struct sip_leg *sl)
{
	return tm_is(sl, SIP_SESS_NONE) && fsm_state_chg(&sl->tm.fi, SIP_SESS_RAISED) == 0;
}

/* Our refresh has had no final answer for most of Timer B. RFC 4028 10:
 * a refresh that times out ends the session with a BYE. Sofia 1.12 tears
 * the dialog down by itself, without any BYE, when the 408 comes, so the
 * BYE must go while the dialog is still there: a little before Timer B. */
static void tm_refresh_unanswered(struct sip_leg *sl)
{
	int cause = cause_from_sip_status(408);

	LOGN(LSS_SIP, "%s session refresh failed: no answer in %.1f s (Timer B %.1f s), clearing with cause %d (%s)",
	     sl->base.ops->describe(&sl->base), sl->ua->timer_b_ms * 7 / 8 / 1000.0,
	     sl->ua->timer_b_ms / 1000.0, cause, cause_name(cause));
	tm_clear(sl, cause);
}

/* The far end said it does timers (in the INVITE as UAS, its 2xx as UAC). */
static int tm_peer_timer(const struct sip_leg *sl)
{
	return sl->role == SIP_ROLE_UAS ? sl->tm.offer.remote_supported : sl->tm.peer_timer;
}

/* DUE ran out: our refresh goes. */
static void tm_refresh_send(struct sip_leg *sl)
{
	char sdp[1024];

	if (!sl->nh)
		return;
	if (sl->peer_update && tm_peer_timer(sl)) {
		/* RFC 4028 7.4, RFC 3311: UPDATE without an offer refreshes
		 * the session and touches no media. A peer that does not do
		 * timers gets a re-INVITE with our SDP, which it answers as any
		 * offer (and which also checks its media is still there). */
		fsm_state_chg(&sl->tm.fi, SIP_SESS_REFRESHING);
		nua_update(sl->nh, TAG_END());
		LOGI(LSS_SIP, "%s session refresh (UPDATE, interval %u s)", sl->base.ops->describe(&sl->base),
		     sl->tm.interval_s);
		return;
	}
	if (sip_leg_sdp(sl, sdp, sizeof(sdp)) < 0) {
		LOGW(LSS_SIP, "%s cannot build SDP for the session refresh", sl->base.ops->describe(&sl->base));
		return;
	}
	/* RFC 4028 10: a re-INVITE refresh with our current SDP (not a
	 * delayed offer); nua adds Session-Expires, Min-SE and Supported. */
	fsm_state_chg(&sl->tm.fi, SIP_SESS_REFRESHING);
	nua_invite(sl->nh, SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp), TAG_END());
	LOGI(LSS_SIP, "%s session refresh (re-INVITE, interval %u s)", sl->base.ops->describe(&sl->base),
	     sl->tm.interval_s);
}

static void sess_timeout(struct fsm_inst *fi, int timer)
{
	struct sip_leg *sl = fi->priv;

	if (timer == SIP_SESS_T_REFRESH)
		tm_refresh_send(sl);
	else if (timer == SIP_SESS_T_TIMER_B)
		tm_refresh_unanswered(sl);
}

static void tm_expires_fired(void *arg)
{
	struct sip_leg *sl = arg;
	int we = tm_we_refresh(sl);

	LOGN(LSS_SIP, "%s session expired: no refresh %s for %.1f s (session interval %u s, refresher %s), "
	     "clearing with cause %d", sl->base.ops->describe(&sl->base),
	     we ? "answered" : "received", (mono_ms() - sl->tm.since_ms) / 1000.0,
	     sl->tm.interval_s, st_refresher_name(we), CAUSE_TEMP_FAILURE);
	tm_clear(sl, CAUSE_TEMP_FAILURE);
}

/* The final response to our refresh (REFRESHING). */
static void tm_refresh_response(struct sip_leg *sl, int status, sip_t const *sip)
{
	struct st_in in;
	int cause;

	if (status < 200)
		return;
	if (status < 300) {
		/* Our refresh was an offer: its answer may move the media. */
		if (sip_leg_take_answer(sl, sip) > 0)
			sip_timers_media_changed(sl);
		tm_read(&in, sl, sip, 0);
		tm_session_start(sl, &in, "refresh 2xx", 1);
		return;
	}
	if (status == 491) {
		fsm_state_chg(&sl->tm.fi, SIP_SESS_DUE);
		fsm_timer_start_ms(&sl->tm.fi, ST_RETRY_491_MS);
		return;
	}
	if (status != 408 && status != 481) {
		/* The session is as it was (RFC 3261 14.1); it still expires
		 * unless a later refresh gets through. */
		LOGW(LSS_SIP, "%s session refresh refused: %d", sl->base.ops->describe(&sl->base), status);
		fsm_state_chg(&sl->tm.fi, SIP_SESS_DUE);
		fsm_timer_start_ms(&sl->tm.fi, st_refresh_ms(sl->tm.interval_s) / 2 + 1);
		return;
	}
	/* RFC 4028 10 / RFC 3261 14.1: a refresh that times out or meets a
	 * dialog the far end no longer knows ends the session. Sofia has
	 * already dropped the dialog here (no BYE goes out); the call is
	 * cleared all the same. */
	cause = cause_from_sip_status(status);
	LOGN(LSS_SIP, "%s session refresh failed: %d %s (%s), clearing with cause %d (%s)",
	     sl->base.ops->describe(&sl->base), status, sip_status_phrase(status),
	     status == 408 ? "no answer" : "dialog unknown", cause, cause_name(cause));
	tm_clear(sl, cause);
}

static void sess_action(struct fsm_inst *fi, int event, void *data)
{
	struct sip_leg *sl = fi->priv;
	const struct sess_start_args *a = data;
	const struct sess_response_args *r = data;

	switch (event) {
	case SIP_SESS_EV_START:
		tm_session_start(sl, a->in, a->what, 1);
		return;
	case SIP_SESS_EV_REFRESHED:
		tm_session_start(sl, a->in, a->what, 0);
		return;
	case SIP_SESS_EV_RESPONSE:
		tm_refresh_response(sl, r->status, r->sip);
		return;
	}
}

int sip_timers_refresh_response(struct sip_leg *sl, int status, sip_t const *sip)
{
	struct sess_response_args r = { status, sip };

	/* Not ours unless our refresh is out: a silent check, this may be the
	 * answer to the stack's own re-INVITE. */
	if (!fsm_permits(&sl->tm.fi, SIP_SESS_EV_RESPONSE))
		return 0;
	fsm_dispatch(&sl->tm.fi, SIP_SESS_EV_RESPONSE, &r);
	return 1;
}

void sip_timers_stack_bye(struct sip_leg *sl)
{
	/* nua's own BYE: session expiry (ours comes first; this is the
	 * backstop), no ACK for our 2xx, or a re-INVITE it gave up on. */
	LOGN(LSS_SIP, "%s the stack ended the dialog with BYE (session interval %u s), clearing with cause %d",
	     sl->base.ops->describe(&sl->base), sl->tm.interval_s, CAUSE_TEMP_FAILURE);
	sip_leg_cleared(sl, CAUSE_TEMP_FAILURE);
}

void sip_timers_stop(struct sip_leg *sl)
{
	loop_timer_stop(sl->tm.expires);
	fsm_state_chg(&sl->tm.fi, SIP_SESS_NONE);
}

void sip_timers_free(struct sip_leg *sl)
{
	fsm_inst_cleanup(&sl->tm.fi);
	loop_timer_free(sl->tm.expires);
	sl->tm.expires = NULL;
}
