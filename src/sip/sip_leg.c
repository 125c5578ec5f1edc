/* sipgw - a call leg on a SIP dialog (RFC 3261): its state machine (the
 * states, the events each permits, the action), its leg_ops and its
 * lifetime. What it sends (INVITE, CANCEL, BYE, the answers to an INVITE)
 * is in sip_leg_send.c, nua's events for it in sip_leg_nua.c, its SDP
 * offer/answer (RFC 3264) and RTP in sip_media.c.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "sip/sip_leg_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/cause.h"
#include "core/fsm.h"
#include "core/log.h"
#include "rtp/rtp.h"

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

const char *sip_leg_describe(struct sip_leg *sl)
{
	snprintf(sl->desc, sizeof(sl->desc), "sip %u [%s]", sl->id, fsm_state_name(&sip_leg_fsm, sl->fi.state));
	return sl->desc;
}

const char *sl_describe(struct leg *leg)
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

void sl_release(struct leg *leg, int cause)
{
	struct sip_leg *sl = (struct sip_leg *)leg;

	fsm_dispatch(&sl->fi, SIP_EV_RELEASE, &cause);
}

/* TERMINATING, TERMINATED: the session clocks of a dialog on its way out stop. */
static void sl_enter_ending(struct fsm_inst *fi, int prev)
{
	sip_timers_stop(fi->priv);
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
