/* sipgw - a call leg on a PRI B-channel: Q.931 call states (Q.931 figure
 * A.1 / 5.x) over libpri. SPDX-License-Identifier: GPL-2.0-only */
#include "q931/pri_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/cause.h"
#include "core/err.h"
#include "core/fsm.h"
#include "core/log.h"
#include "core/loop.h"
#include "dsp/moh.h"

/* Q.931 4.5.23: progress description 1 (call not end-to-end ISDN, further
 * progress information may be in-band) and 8 (in-band information now
 * available) both mean the PBX plays its own tones: cut the audio through. */
#define PL_PI_INBAND (PRI_PROG_CALL_NOT_E2E_ISDN | PRI_PROG_INBAND_AVAILABLE)

/* The far leg is SIP, not ISDN: the call interworks (Q.931 5.1.6, 5.2.6),
 * told with a progress indicator where the switch takes one. libpri knows
 * where (its nonisdn flag): #3 (origination address is non-ISDN) in our
 * SETUP on NI-2 only, #2 (destination address is non-ISDN) in our CONNECT
 * on every switch but the DMS-100, which refuses it there (q931.c q931_setup,
 * q931_connect); Asterisk's sig_pri sets it the same way for voice calls. */
#define PL_NONISDN 1

/* Events a PRI leg handles: from the call (leg_ops) and from libpri. */
enum pl_event {
	PL_EV_SETUP,		/* call: send SETUP (outgoing) */
	PL_EV_ALERT,		/* call: send ALERTING (incoming) */
	PL_EV_PROGRESS,		/* call: send PROGRESS, in-band information */
	PL_EV_ANSWER,		/* call: send CONNECT */
	PL_EV_RELEASE,		/* call: clear with a cause */
	PL_EV_ROUTE,		/* the SETUP is ready to go to routing (from the loop) */
	PL_EV_PROCEEDING_IN,	/* CALL PROCEEDING received */
	PL_EV_RINGING_IN,	/* ALERTING received */
	PL_EV_PROGRESS_IN,	/* PROGRESS received */
	PL_EV_CONNECT_IN,	/* CONNECT received */
	PL_EV_CONNECT_ACK_IN,	/* CONNECT ACKNOWLEDGE received */
	PL_EV_DISCONNECT_IN,	/* DISCONNECT received (libpri HANGUP_REQ) */
	PL_EV_RELEASE_IN,	/* RELEASE / RELEASE COMPLETE received, or a timer gave up (HANGUP) */
	PL_EV_RELEASE_DONE,	/* our clearing is complete (HANGUP_ACK) */
	PL_EV_LOST,		/* the D-channel went, or the channel was restarted */
	PL_EV_INFO_IN,		/* INFORMATION received: more called digits (overlap receiving) */
	PL_EV_SETUP_ACK_IN,	/* SETUP ACKNOWLEDGE received: send the rest of the number */
	PL_EV__COUNT
};

static const char *const pl_event_names[PL_EV__COUNT] = {
	[PL_EV_SETUP] = "SETUP", [PL_EV_ALERT] = "ALERT", [PL_EV_PROGRESS] = "PROGRESS",
	[PL_EV_ANSWER] = "ANSWER", [PL_EV_RELEASE] = "RELEASE", [PL_EV_ROUTE] = "ROUTE",
	[PL_EV_PROCEEDING_IN] = "CALL_PROCEEDING_IN", [PL_EV_RINGING_IN] = "ALERTING_IN",
	[PL_EV_PROGRESS_IN] = "PROGRESS_IN", [PL_EV_CONNECT_IN] = "CONNECT_IN",
	[PL_EV_CONNECT_ACK_IN] = "CONNECT_ACK_IN", [PL_EV_DISCONNECT_IN] = "DISCONNECT_IN",
	[PL_EV_RELEASE_IN] = "RELEASE_IN", [PL_EV_RELEASE_DONE] = "RELEASE_DONE",
	[PL_EV_LOST] = "LOST", [PL_EV_INFO_IN] = "INFORMATION_IN",
	[PL_EV_SETUP_ACK_IN] = "SETUP_ACK_IN",
};

/* The state timers, by their Q.931 names (table 9-1); durations per span. */
static const struct fsm_timer_def pl_timers[PL_T__COUNT] = {
	[PL_T_T302] = { "T302" },
};

/* What an event carries. */
struct pl_ev {
	const pri_event *pe;		/* libpri's event (the *_IN ones) */
	const struct leg_setup_info *si;	/* SETUP */
	int inband;			/* ALERT */
	int cause;			/* RELEASE, LOST */
	int rc, *causep;		/* SETUP: the outcome */
};

static void pl_action(struct fsm_inst *fi, int event, void *data);
static void pl_timeout(struct fsm_inst *fi, int timer);
static const char *pl_fsm_describe(struct fsm_inst *fi);

#define B(s) FSM_BIT(PRI_ST_##s)
#define E(e) FSM_BIT(PL_EV_##e)
#define CLEARING (B(DISCONNECT_REQUEST) | B(DISCONNECT_INDICATION) | B(RELEASE_REQUEST) | B(RELEASED))
/* Whatever the state, the far end may clear and the link may go; the call
 * may ask to clear at any time (once clearing, the ask is moot). */
#define E_ALWAYS (E(RELEASE) | E(DISCONNECT_IN) | E(RELEASE_IN) | E(RELEASE_DONE) | E(LOST))
/* The Q.931 timers of these states (T303 SETUP, T310 CALL PROCEEDING, T305
 * DISCONNECT, T308 RELEASE; Q.931 table 9-1) run inside libpri, which
 * reports their expiry as a hang-up (RELEASE_IN). */
static const struct fsm_state pri_states[PRI_ST__COUNT] = {
	[PRI_ST_NULL] = { "NULL", B(CALL_PRESENT) | B(CALL_INITIATED) | B(RELEASED), E(SETUP) | E_ALWAYS },
	[PRI_ST_CALL_INITIATED] = { "CALL_INITIATED",
		B(OVERLAP_SENDING) | B(OUTGOING_PROCEEDING) | B(CALL_DELIVERED) | B(ACTIVE) | CLEARING,
		E(SETUP_ACK_IN) | E(PROCEEDING_IN) | E(RINGING_IN) | E(PROGRESS_IN) | E(CONNECT_IN) | E_ALWAYS },
	/* Q.931 5.1.3: the rest of the number goes in INFORMATION */
	[PRI_ST_OVERLAP_SENDING] = { "OVERLAP_SENDING",
		B(OUTGOING_PROCEEDING) | B(CALL_DELIVERED) | B(ACTIVE) | CLEARING,
		E(PROCEEDING_IN) | E(RINGING_IN) | E(PROGRESS_IN) | E(CONNECT_IN) | E_ALWAYS },
	[PRI_ST_OUTGOING_PROCEEDING] = { "OUTGOING_CALL_PROCEEDING", B(CALL_DELIVERED) | B(ACTIVE) | CLEARING,
		E(PROCEEDING_IN) | E(RINGING_IN) | E(PROGRESS_IN) | E(CONNECT_IN) | E_ALWAYS },
	[PRI_ST_CALL_DELIVERED] = { "CALL_DELIVERED", B(ACTIVE) | CLEARING,
		E(RINGING_IN) | E(PROGRESS_IN) | E(CONNECT_IN) | E_ALWAYS },
	[PRI_ST_CALL_PRESENT] = { "CALL_PRESENT", B(OVERLAP_RECEIVING) | B(INCOMING_PROCEEDING) | CLEARING,
		E_ALWAYS },
	/* Q.931 5.2.4: digits until the number is complete, or T302 */
	[PRI_ST_OVERLAP_RECEIVING] = { "OVERLAP_RECEIVING", B(INCOMING_PROCEEDING) | CLEARING,
		E(INFO_IN) | E_ALWAYS, PL_T_T302 },
	[PRI_ST_CALL_RECEIVED] = { "CALL_RECEIVED", B(CONNECT_REQUEST) | CLEARING,
		E(ALERT) | E(PROGRESS) | E(ANSWER) | E_ALWAYS },
	[PRI_ST_CONNECT_REQUEST] = { "CONNECT_REQUEST", B(ACTIVE) | CLEARING,
		E(CONNECT_ACK_IN) | E_ALWAYS },
	[PRI_ST_INCOMING_PROCEEDING] = { "INCOMING_CALL_PROCEEDING", B(CALL_RECEIVED) | B(CONNECT_REQUEST) | CLEARING,
		E(ROUTE) | E(ALERT) | E(PROGRESS) | E(ANSWER) | E_ALWAYS },
	[PRI_ST_ACTIVE] = { "ACTIVE", CLEARING, E(CONNECT_ACK_IN) | E_ALWAYS },
	[PRI_ST_DISCONNECT_REQUEST] = { "DISCONNECT_REQUEST", B(RELEASE_REQUEST) | B(RELEASED), E_ALWAYS },
	[PRI_ST_DISCONNECT_INDICATION] = { "DISCONNECT_INDICATION", B(RELEASE_REQUEST) | B(RELEASED), E_ALWAYS },
	[PRI_ST_RELEASE_REQUEST] = { "RELEASE_REQUEST", B(RELEASED), E_ALWAYS },
	/* the call reference is gone; the call may still say release on its way out */
	[PRI_ST_RELEASED] = { "RELEASED", 0, E(RELEASE) },
};
#undef E

static const struct fsm_def pri_fsm = {
	.name = "pri", .ss = LSS_Q931, .states = pri_states, .n_states = PRI_ST__COUNT,
	.event_names = pl_event_names, .n_events = PL_EV__COUNT,
	.timers = pl_timers, .n_timers = PL_T__COUNT,
	.action = pl_action, .timeout = pl_timeout, .describe = pl_fsm_describe,
};

static const char *pl_describe(struct leg *leg)
{
	struct pri_leg *pl = (struct pri_leg *)leg;
	char chan[12] = "-";	/* no B-channel (glare) */

	if (pl->chan)
		snprintf(chan, sizeof(chan), "%d", pl->chan);
	snprintf(pl->desc, sizeof(pl->desc), "pri %s/%s [%s]", pl->span->cfg->name, chan,
		 fsm_state_name(&pri_fsm, pl->fi.state));
	return pl->desc;
}

static const char *pl_fsm_describe(struct fsm_inst *fi)
{
	return pl_describe(fi->priv);
}

static int pl_move(struct pri_leg *pl, int next)
{
	return fsm_state_chg(&pl->fi, next);
}

static int pl_clearing(const struct pri_leg *pl)
{
	return (FSM_BIT(pl->fi.state) & CLEARING) != 0;
}

static void pl_dispatch(struct pri_leg *pl, int event, struct pl_ev *ev)
{
	fsm_dispatch(&pl->fi, event, ev);
}

static void pl_alert(struct leg *leg, int inband)
{
	pl_dispatch((struct pri_leg *)leg, PL_EV_ALERT, &(struct pl_ev){ .inband = inband });
}

static void pl_progress(struct leg *leg)
{
	pl_dispatch((struct pri_leg *)leg, PL_EV_PROGRESS, &(struct pl_ev){ 0 });
}

static void pl_answer(struct leg *leg)
{
	pl_dispatch((struct pri_leg *)leg, PL_EV_ANSWER, &(struct pl_ev){ 0 });
}

static void pl_release(struct leg *leg, int cause)
{
	pl_dispatch((struct pri_leg *)leg, PL_EV_RELEASE, &(struct pl_ev){ .cause = cause });
}

static struct media_port *pl_media(struct leg *leg)
{
	return &((struct pri_leg *)leg)->port;
}

static void pl_destroy(struct leg *leg)
{
	struct pri_leg *pl = (struct pri_leg *)leg;

	media_part(&pl->port);
	pri_media_cleanup(pl);
	fsm_inst_cleanup(&pl->fi);
	loop_timer_free(pl->route_timer);
	span_chan_put(pl->span, pl);
	LIST_REMOVE(pl, entry);
	free(pl);
}

static int pl_setup(struct leg *leg, const struct leg_setup_info *si, int *causep);

/* leg_ops.hold: the SIP side held the call or resumed it. The PBX hears
 * music (span's moh) or silence meanwhile, and a NOTIFY remote hold /
 * remote retrieval (Q.931 4.5.22, ETS 300 141) where the switch type
 * carries one (libpri sends it on EuroISDN only). */
static void pl_hold(struct leg *leg, int held, enum leg_hold how)
{
	struct pri_leg *pl = (struct pri_leg *)leg;
	struct span *sp = pl->span;

	if (!pl->qc || pl->held == held || (pl->fi.state != PRI_ST_ACTIVE && pl->fi.state != PRI_ST_CONNECT_REQUEST))
		return;
	pl->held = held;
	pl->med.q_len = 0;
	if (pri_notify(sp->pri, pl->qc, span_wire_chan(sp, pl->chan),
		       held ? PRI_NOTIFY_REMOTE_HOLD : PRI_NOTIFY_REMOTE_RETRIEVAL))
		LOGI(LSS_Q931, "%s %s by the SIP side, %s to the PBX (%s carries no hold NOTIFY)",
		     pl_describe(leg), held ? "held" : "resumed", held ? (sp->moh ? "music" : "silence") : "audio",
		     sp->cfg->switch_name);
	else
		LOGI(LSS_Q931, "%s %s by the SIP side: NOTIFY remote %s, %s to the PBX", pl_describe(leg),
		     held ? "held" : "resumed", held ? "hold" : "retrieval",
		     held ? (sp->moh ? "music" : "silence") : "audio");
	span_reschedule(sp);
}

/* The PBX holds the call or takes it back: a NOTIFY remote hold /
 * retrieval, or HOLD / RETRIEVE (acknowledged; the B-channel stays ours).
 * The SIP side hears it as a hold re-INVITE. */
static void pl_far_hold(struct pri_leg *pl, const pri_event *pe)
{
	struct span *sp = pl->span;
	int held;

	switch (pe->e) {
	case PRI_EVENT_NOTIFY:
		if (pe->notify.info != PRI_NOTIFY_REMOTE_HOLD && pe->notify.info != PRI_NOTIFY_REMOTE_RETRIEVAL) {
			LOGI(LSS_Q931, "%s NOTIFY 0x%02x ignored", pl_describe(&pl->base), pe->notify.info);
			return;
		}
		held = pe->notify.info == PRI_NOTIFY_REMOTE_HOLD;
		break;
	case PRI_EVENT_HOLD:
		pri_hold_ack(sp->pri, pl->qc);
		held = 1;
		break;
	default:
		pri_retrieve_ack(sp->pri, pl->qc, span_wire_chan(sp, pl->chan));
		held = 0;
		break;
	}
	span_reschedule(sp);
	LOGI(LSS_Q931, "%s the PBX %s the call (%s)", pl_describe(&pl->base), held ? "holds" : "retrieves",
	     pe->e == PRI_EVENT_NOTIFY ? (held ? "NOTIFY remote hold" : "NOTIFY remote retrieval")
	     : held ? "HOLD" : "RETRIEVE");
	call_leg_hold(&pl->base, held, LEG_HOLD_PRI);
}

static const struct leg_ops pri_leg_ops = {
	.kind = "pri",
	.setup = pl_setup,
	.alert = pl_alert,
	.progress = pl_progress,
	.answer = pl_answer,
	.release = pl_release,
	.hold = pl_hold,
	.media = pl_media,
	.destroy = pl_destroy,
	.describe = pl_describe,
	.transfer_with = pri_leg_transfer_with,	/* pri_xfer.c */
	.peer_changed = pri_leg_peer_changed,
	.status = pri_leg_status,	/* pri_status.c */
};

int pri_leg_alloc_incoming(struct pri_leg **plp, struct span *sp, q931_call *qc, int chan)
{
	struct pri_leg *pl = calloc(1, sizeof(*pl));

	if (!pl)
		return -ENOMEM;
	pl->base.ops = &pri_leg_ops;
	pl->span = sp;
	pl->qc = qc;
	pl->dspan = sp->ev_d ? sp->ev_d : sp;	/* the D-channel its SETUP came on */
	pl->chan = chan;
	pl->id = ++sp->leg_seq;
	fsm_inst_init(&pl->fi, &pri_fsm, PRI_ST_NULL, pl, sp->root, sp->pl_timer_ms);
	if (pri_media_init(pl)) {
		free(pl);
		return -ENOMEM;
	}
	pl_move(pl, PRI_ST_CALL_PRESENT);
	span_chan_take(sp, pl, chan);
	LIST_INSERT_HEAD(&sp->legs, pl, entry);
	*plp = pl;
	return 0;
}

/* libpri keeps at most 31 digits of a party number (PRI_MAX_NUMBER_LEN) and
 * cuts the rest off silently: a longer number is refused, never changed. */
#define Q931_NUMBER_DIGITS 31

/* The called party number IE carries IA5 digits, '*' and '#' (Q.931
 * 4.5.8); a leading '+' stands for the international type of number.
 * 0, or -EINVAL with the cause to refuse the number with. */
static int pl_called_number_check(const char *called, int *causep)
{
	size_t len = strlen(called);

	if (!len || strspn(called, "0123456789*#+") != len || strchr(called + 1, '+'))
		return err_with(-EINVAL, causep, PRI_CAUSE_UNALLOCATED);	/* 404 */
	if (len > Q931_NUMBER_DIGITS)
		return err_with(-EINVAL, causep, PRI_CAUSE_INVALID_NUMBER_FORMAT);	/* 484 */
	return 0;
}

/* Why a SETUP could not go out, as the errno the router can tell apart
 * (pri_leg_alloc_outgoing's contract in span.h), with its Q.850 cause. */
static int pl_refuse(int *causep, int cause)
{
	switch (cause) {
	case PRI_CAUSE_NORMAL_CIRCUIT_CONGESTION:
		return err_with(-EBUSY, causep, cause);
	case PRI_CAUSE_NETWORK_OUT_OF_ORDER:
		return err_with(-ENETDOWN, causep, cause);
	case PRI_CAUSE_RESOURCE_UNAVAIL_UNSPECIFIED:
		return err_with(-ENOMEM, causep, cause);
	default:	/* a called number the PRI cannot carry */
		return err_with(-EINVAL, causep, cause);
	}
}

/* SETUP towards the PBX (Q.931 5.1.1) on an exclusive B-channel: 0, or
 * -errno with the Q.850 cause it could not go out with in *causep. */
static int pl_send_setup(struct pri_leg *pl, const struct leg_setup_info *si, int *causep)
{
	struct span *sp = pl->span;
	struct pri_sr *sr;
	char calling[LEG_NUM], name[LEG_NUM];
	int chan;

	if (pl_called_number_check(pl->called, causep)) {
		LOGN(LSS_Q931, "span %s: called number \"%s\" (%zu characters) cannot go on the PRI: cause %d",
		     sp->cfg->name, pl->called, strlen(pl->called), *causep);
		return -EINVAL;
	}
	if (!sp->pri || !sp->dchan_up)
		return pl_refuse(causep, PRI_CAUSE_NETWORK_OUT_OF_ORDER);
	if (!si->emergency && span_free_chans(sp) <= sp->reserved) {
		LOGN(LSS_Q931, "span %s: %d free B-channel(s), kept for emergency calls: cause %d",
		     sp->cfg->name, span_free_chans(sp), PRI_CAUSE_NORMAL_CIRCUIT_CONGESTION);
		return pl_refuse(causep, PRI_CAUSE_NORMAL_CIRCUIT_CONGESTION);
	}
	chan = span_hunt(sp);
	if (chan < 0)	/* no circuit/channel available */
		return pl_refuse(causep, PRI_CAUSE_NORMAL_CIRCUIT_CONGESTION);
	pl->qc = pri_new_call(sp->pri);
	sr = pri_sr_new();
	if (!pl->qc || !sr) {
		pri_sr_free(sr);
		if (pl->qc)
			pri_destroycall(sp->pri, pl->qc);
		pl->qc = NULL;
		return pl_refuse(causep, PRI_CAUSE_RESOURCE_UNAVAIL_UNSPECIFIED);
	}
	snprintf(calling, sizeof(calling), "%s", pl->calling[0] ? pl->calling : si->calling);
	snprintf(name, sizeof(name), "%s", si->display);
	pri_sr_set_channel(sr, span_wire_chan(sp, chan), 1, PL_NONISDN);
	pri_sr_set_bearer(sr, PRI_TRANS_CAP_SPEECH,
			  span_law(sp) == LAW_ALAW ? PRI_LAYER_1_ALAW : PRI_LAYER_1_ULAW);
	if (sp->cfg->overlap_send && strlen(pl->called) > 1) {
		/* Q.931 5.1.3: the first digit now, the rest once the network
		 * acknowledges the SETUP; no Sending Complete */
		char first[2] = { pl->called[0], 0 };

		pri_sr_set_called(sr, first, pl->plan, 0);
		pl->sent = 1;
	} else {
		pri_sr_set_called(sr, pl->called, pl->plan, 1);
		pl->sent = strlen(pl->called);
	}
	if (si->redirecting[0]) {
		/* Q.931 4.6.x / Q.952 Redirecting number: who the call was for */
		char red[LEG_NUM];

		snprintf(red, sizeof(red), "%s", pl->redirecting[0] ? pl->redirecting : si->redirecting);
		pri_sr_set_redirecting(sr, red, pl->redirecting[0] ? pl->redirecting_plan : PRI_UNKNOWN | 0x1,
				       PRES_ALLOWED_USER_NUMBER_NOT_SCREENED, span_redirect_q931(si->redirect_reason));
	}
	/* Q.931 4.5.10: a restricted number is still sent, marked so */
	pri_sr_set_caller(sr, calling[0] ? calling : NULL, name[0] && !si->restricted ? name : NULL,
			  pl->calling[0] ? pl->calling_plan : PRI_UNKNOWN | 0x1,
			  !calling[0] ? PRES_NUMBER_NOT_AVAILABLE :
			  si->restricted ? PRES_PROHIB_USER_NUMBER_NOT_SCREENED : PRES_ALLOWED_USER_NUMBER_NOT_SCREENED);
	pl->chan = chan;
	pl->dspan = span_nfas_active(sp);	/* pri_new_call bound it to that link */
	pl_move(pl, PRI_ST_CALL_INITIATED);
	if (pri_setup(sp->pri, pl->qc, sr)) {
		pri_sr_free(sr);
		pri_destroycall(sp->pri, pl->qc);
		pl->qc = NULL;
		pl->chan = 0;
		return pl_refuse(causep, PRI_CAUSE_RESOURCE_UNAVAIL_UNSPECIFIED);
	}
	span_chan_take(sp, pl, chan);
	pri_sr_free(sr);
	span_reschedule(sp);
	LOGI(LSS_Q931, "%s SETUP called=%s calling=%s name=\"%s\"", pl_describe(&pl->base), pl->called,
	     calling, name);
	*causep = 0;
	return 0;
}

/* leg_ops.setup of an outgoing PRI leg. */
static void pl_do_setup(struct pri_leg *pl, struct pl_ev *ev)
{
	pl->si = *ev->si;
	ev->rc = pl_send_setup(pl, ev->si, ev->causep);
}

static int pl_setup(struct leg *leg, const struct leg_setup_info *si, int *causep)
{
	struct pl_ev ev = { .si = si, .causep = causep, .rc = -EALREADY };

	*causep = CAUSE_TEMP_FAILURE;
	pl_dispatch((struct pri_leg *)leg, PL_EV_SETUP, &ev);
	return ev.rc;
}

int pri_leg_alloc_outgoing(struct leg **legp, struct span *sp, const struct pri_leg_params *p)
{
	struct pri_leg *pl = calloc(1, sizeof(*pl));

	if (!pl)
		return -ENOMEM;
	pl->base.ops = &pri_leg_ops;
	pl->span = sp;
	pl->id = ++sp->leg_seq;
	if (pri_media_init(pl)) {
		free(pl);
		return -ENOMEM;
	}
	fsm_inst_init(&pl->fi, &pri_fsm, PRI_ST_NULL, pl, sp->root, sp->pl_timer_ms);
	pl->plan = p->plan;
	if (p->calling) {
		snprintf(pl->calling, sizeof(pl->calling), "%s", p->calling);
		pl->calling_plan = p->calling_plan;
	}
	if (p->redirecting) {
		snprintf(pl->redirecting, sizeof(pl->redirecting), "%s", p->redirecting);
		pl->redirecting_plan = p->redirecting_plan;
	}
	snprintf(pl->called, sizeof(pl->called), "%s", p->called ? p->called : "");
	LIST_INSERT_HEAD(&sp->legs, pl, entry);
	*legp = &pl->base;
	return 0;
}

/* Q.931 5.1.2: the first answer to our SETUP names the B-channel granted.
 * It is the one we asked for, unless we gave that up in glare (span_event.c
 * glare_settle) or the network picked another: then take the named one if
 * it is free, else clear with cause 6, channel unacceptable (libpri sends
 * RELEASE for it). Returns nonzero when the leg was cleared. */
static int pl_granted(struct pri_leg *pl, int evchan)
{
	struct span *sp = pl->span;
	int chan = PRI_CHANNEL(evchan);

	if (pl->fi.state != PRI_ST_CALL_INITIATED || chan == pl->chan)
		return 0;
	if (!span_chan_valid(sp, chan)) {
		if (pl->chan)
			return 0;	/* none named: ours stands */
	} else if (!sp->chans[chan]) {
		span_chan_put(sp, pl);
		span_chan_take(sp, pl, chan);
		LOGN(LSS_Q931, "%s the network granted B-channel %d", pl_describe(&pl->base), chan);
		return 0;
	}
	pl->cause = PRI_CAUSE_CHANNEL_UNACCEPTABLE;
	LOGN(LSS_Q931, "%s no B-channel for us (the network named %d): clearing with cause %d",
	     pl_describe(&pl->base), span_chan_valid(sp, chan) ? chan : 0, pl->cause);
	pl_move(pl, PRI_ST_RELEASE_REQUEST);
	call_leg_released(&pl->base, pl->cause, 0);
	pri_hangup(sp->pri, pl->qc, pl->cause);
	span_reschedule(sp);
	return 1;
}

/* The call reference is gone (libpri freed it, or never will again): the
 * B-channel is free, and the call may destroy the leg. */
static void pl_gone(struct pri_leg *pl)
{
	pl->qc = NULL;
	pl_move(pl, PRI_ST_RELEASED);
	span_chan_put(pl->span, pl);	/* the B-channel is free again */
	call_leg_gone(&pl->base);
}

/* The call asks to clear: DISCONNECT (Q.931 5.3.2); moot once clearing. */
static void pl_do_release(struct pri_leg *pl, int cause)
{
	if (pl_clearing(pl))
		return;
	pl->cause = cause;
	if (!pl->qc) {
		pl_gone(pl);	/* never signalled (routing gave it up before SETUP) */
		return;
	}
	if (span_nfas_link_lost(pl)) {
		/* NFAS: the D-channel this call was set up on is gone; libpri
		 * 1.6 keeps a call on its own link (call->link), so a DISCONNECT
		 * would go into the dead one and the far end would hold the
		 * channel. Return the channel to idle on the D-channel that is
		 * up instead, by RESTART (Q.931 5.5.1: the far end clears what
		 * it has on it); it is hunted again once acknowledged. */
		LOGN(LSS_Q931, "%s clearing with cause %d: its D-channel (span %s) is gone, RESTART of "
		     "the B-channel on the %s D-channel instead", pl_describe(&pl->base), cause,
		     pl->dspan->cfg->name, pl->span->cfg->nfas_group ? "group's active" : "other");
		span_restart_chan(pl->span, pl->chan);
		pri_destroycall(pl->span->pri, pl->qc);
		span_reschedule(pl->span);
		pl_gone(pl);
		return;
	}
	pl_move(pl, PRI_ST_DISCONNECT_REQUEST);
	LOGI(LSS_Q931, "%s clearing with cause %d", pl_describe(&pl->base), cause);
	pri_hangup(pl->span->pri, pl->qc, cause);
	span_reschedule(pl->span);
}

/* Overlap receiving is over (Q.931 5.2.4): CALL PROCEEDING, and the number
 * goes to routing en bloc. */
static void pl_overlap_done(struct pri_leg *pl, const char *why)
{
	struct span *sp = pl->span;

	LOGI(LSS_Q931, "%s number complete (%s): %s", pl_describe(&pl->base), why, pl->si.called);
	pri_proceeding(sp->pri, pl->qc, span_wire_chan(sp, pl->chan), 0);
	pl_move(pl, PRI_ST_INCOMING_PROCEEDING);
	span_reschedule(sp);
	pri_leg_route_later(pl, &pl->si);
}

/* More called digits (INFORMATION, Q.931 5.2.4): '#' or Sending Complete
 * ends the number, so does a number no dial-peer could take longer;
 * T302 starts again with each. */
static void pl_info_in(struct pri_leg *pl, const pri_event *pe)
{
	struct span *sp = pl->span;
	char digits[sizeof(pe->ring.callednum)];
	size_t have = strlen(pl->si.called), n;
	int hash;

	snprintf(digits, sizeof(digits), "%s", pe->ring.callednum);
	n = strlen(digits);
	hash = n && digits[n - 1] == '#';
	if (hash)
		digits[--n] = 0;
	if (have + n >= sizeof(pl->si.called)) {
		LOGN(LSS_Q931, "%s overlap: the number grows past %zu digits: cause %d", pl_describe(&pl->base),
		     sizeof(pl->si.called) - 1, PRI_CAUSE_INVALID_NUMBER_FORMAT);
		pl_do_release(pl, PRI_CAUSE_INVALID_NUMBER_FORMAT);
		return;
	}
	memcpy(pl->si.called + have, digits, n + 1);
	LOGI(LSS_Q931, "%s INFORMATION digits=%s%s: %s so far", pl_describe(&pl->base), digits,
	     hash ? "#" : "", pl->si.called);
	if (pe->ring.complete)
		pl_overlap_done(pl, "Sending Complete");
	else if (hash)
		pl_overlap_done(pl, "#");
	else if (!sp->number_h || sp->number_h(sp->arg, pl->si.called))
		pl_overlap_done(pl, "no longer match possible");
	else
		fsm_timer_restart(&pl->fi);
}

static void pl_timeout(struct fsm_inst *fi, int timer)
{
	struct pri_leg *pl = fi->priv;

	if (timer == PL_T_T302)
		pl_overlap_done(pl, "T302");
}

/* SETUP ACKNOWLEDGE (Q.931 5.1.3): the rest of our number, a digit per
 * INFORMATION. libpri has no Sending Complete for INFORMATION, so the
 * network decides by its own number analysis or T302. */
static void pl_setup_ack_in(struct pri_leg *pl, const pri_event *pe)
{
	struct span *sp = pl->span;
	size_t len = strlen(pl->called);

	if (pl_granted(pl, pe->setup_ack.channel))
		return;
	pl_move(pl, PRI_ST_OVERLAP_SENDING);
	if (pl->sent < len)
		LOGI(LSS_Q931, "%s overlap sending %s", pl_describe(&pl->base), pl->called + pl->sent);
	for (; pl->sent < len; pl->sent++)
		pri_information(sp->pri, pl->qc, pl->called[pl->sent]);
	span_reschedule(sp);
}

/* The far end cleared (DISCONNECT) or the call is gone (RELEASE, RELEASE
 * COMPLETE, timer expiry). Tell the call once, then finish with libpri. */
static void pl_action(struct fsm_inst *fi, int event, void *data)
{
	struct pri_leg *pl = fi->priv;
	struct pl_ev *ev = data;
	struct span *sp = pl->span;
	const pri_event *pe = ev->pe;

	switch (event) {
	case PL_EV_SETUP:
		pl_do_setup(pl, ev);
		return;
	case PL_EV_ALERT:
		pl_move(pl, PRI_ST_CALL_RECEIVED);
		/* Progress indicator 8 (in-band information) when the far side sends
		 * audio, or when we play the span's ringback ourselves (inband_ringback). */
		pri_acknowledge(sp->pri, pl->qc, span_wire_chan(sp, pl->chan),
				ev->inband || sp->cfg->inband_ringback);
		span_reschedule(sp);
		return;
	case PL_EV_PROGRESS:
		pri_progress(sp->pri, pl->qc, span_wire_chan(sp, pl->chan), 1);
		span_reschedule(sp);
		return;
	case PL_EV_ANSWER:
		pl_move(pl, PRI_ST_CONNECT_REQUEST);
		pri_answer(sp->pri, pl->qc, span_wire_chan(sp, pl->chan), PL_NONISDN);
		span_reschedule(sp);
		return;
	case PL_EV_RELEASE:
		pl_do_release(pl, ev->cause);
		return;
	case PL_EV_ROUTE: {
		int cause = 0;

		if (sp->incoming_h(sp->arg, &pl->base, &pl->si, &cause) < 0)
			pl_do_release(pl, cause);
		return;
	}
	case PL_EV_CONNECT_ACK_IN:
		pl_move(pl, PRI_ST_ACTIVE);
		return;
	case PL_EV_PROCEEDING_IN:
		if (!pl_granted(pl, pe->proceeding.channel))
			pl_move(pl, PRI_ST_OUTGOING_PROCEEDING);
		return;
	case PL_EV_RINGING_IN:
		if (pl_granted(pl, pe->ringing.channel))
			return;
		if (!pl_move(pl, PRI_ST_CALL_DELIVERED))
			call_leg_alerting(&pl->base, !!(pe->ringing.progressmask & PL_PI_INBAND));
		return;
	case PL_EV_PROGRESS_IN:
		if (pe->proceeding.progressmask & PL_PI_INBAND)
			call_leg_progress(&pl->base);
		return;
	case PL_EV_CONNECT_IN:
		if (pl_granted(pl, pe->answer.channel))
			return;
		/* CONNECT ACKNOWLEDGE is ours to send (pri_connect_ack_enable). */
		pri_connect_ack(sp->pri, pl->qc, 0);
		if (!pl_move(pl, PRI_ST_ACTIVE))
			call_leg_answered(&pl->base);
		return;
	case PL_EV_DISCONNECT_IN:
		pl->cause = pe->hangup.cause;
		if (!pl_clearing(pl)) {
			pl_move(pl, PRI_ST_DISCONNECT_INDICATION);
			call_leg_released(&pl->base, pl->cause, 0);
		}
		if (pl->fi.state == PRI_ST_DISCONNECT_INDICATION) {
			pl_move(pl, PRI_ST_RELEASE_REQUEST);
			pri_hangup(sp->pri, pl->qc, pl->cause);	/* RELEASE, Q.931 5.3.4 */
		}
		return;
	case PL_EV_RELEASE_IN:
		if (!pl_clearing(pl)) {
			pl->cause = pe->hangup.cause;
			call_leg_released(&pl->base, pl->cause, 0);
		}
		pri_hangup(sp->pri, pl->qc, pe->hangup.cause);
		pl_gone(pl);	/* libpri has released the call reference */
		return;
	case PL_EV_RELEASE_DONE:
		pl_gone(pl);
		return;
	case PL_EV_INFO_IN:
		pl_info_in(pl, pe);
		return;
	case PL_EV_SETUP_ACK_IN:
		pl_setup_ack_in(pl, pe);
		return;
	case PL_EV_LOST:
		if (!pl_clearing(pl)) {
			pl->cause = ev->cause;
			call_leg_released(&pl->base, ev->cause, 0);
		}
		if (pl->qc)
			pri_destroycall(sp->pri, pl->qc);
		pl_gone(pl);
		return;
	}
}

/* libpri's events for this call, as the leg's events. */
void pri_leg_on_event(struct pri_leg *pl, const pri_event *pe)
{
	static const struct { int pri; int ev; } map[] = {
		{ PRI_EVENT_CONNECT_ACK, PL_EV_CONNECT_ACK_IN },
		{ PRI_EVENT_PROCEEDING, PL_EV_PROCEEDING_IN },
		{ PRI_EVENT_RINGING, PL_EV_RINGING_IN },
		{ PRI_EVENT_PROGRESS, PL_EV_PROGRESS_IN },
		{ PRI_EVENT_ANSWER, PL_EV_CONNECT_IN },
		{ PRI_EVENT_HANGUP_REQ, PL_EV_DISCONNECT_IN },
		{ PRI_EVENT_HANGUP, PL_EV_RELEASE_IN },
		{ PRI_EVENT_HANGUP_ACK, PL_EV_RELEASE_DONE },
		{ PRI_EVENT_INFO_RECEIVED, PL_EV_INFO_IN },
		{ PRI_EVENT_SETUP_ACK, PL_EV_SETUP_ACK_IN },
	};

	if ((pe->e == PRI_EVENT_NOTIFY || pe->e == PRI_EVENT_HOLD || pe->e == PRI_EVENT_RETRIEVE) &&
	    (pl->fi.state == PRI_ST_ACTIVE || pl->fi.state == PRI_ST_CONNECT_REQUEST)) {
		pl_far_hold(pl, pe);
		return;
	}
	if (pe->e == PRI_EVENT_KEYPAD_DIGIT) {
		if (pl->fi.state == PRI_ST_ACTIVE)
			pri_media_keypad(pl, pe->digit.digits);
		else
			LOGI(LSS_Q931, "%s: Keypad facility \"%s\" before the answer ignored", pl_describe(&pl->base),
			     pe->digit.digits);
		return;
	}
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].pri == pe->e) {
			pl_dispatch(pl, map[i].ev, &(struct pl_ev){ .pe = pe });
			return;
		}
	LOGI(LSS_Q931, "%s: %s ignored", pl_describe(&pl->base), pri_event2str(pe->e));
}

/* Routing runs from the loop, not inside libpri's RING event: libpri only
 * treats the call as established once the event has been returned, and a
 * DISCONNECT sent from within it would come out as RELEASE COMPLETE. */
static void route_cb(void *arg)
{
	struct pri_leg *pl = arg;

	if (fsm_permits(&pl->fi, PL_EV_ROUTE))	/* not if the caller gave up meanwhile */
		pl_dispatch(pl, PL_EV_ROUTE, &(struct pl_ev){ 0 });
}

void pri_leg_route_later(struct pri_leg *pl, const struct leg_setup_info *si)
{
	pl->si = *si;
	if (!pl->route_timer &&
	    loop_timer_alloc(&pl->route_timer, pl->span->root, "route", route_cb, pl) < 0) {
		pl_do_release(pl, PRI_CAUSE_RESOURCE_UNAVAIL_UNSPECIFIED);
		return;
	}
	loop_timer_start(pl->route_timer, 0);
}

/* The D-channel's far end is gone, or restarted the channel (Q.931 5.5):
 * no Q.931 can be exchanged for this call. libpri forgets it too, since
 * the span's instance lives on for the next far end (span_dchan.c). */
void pri_leg_lost(struct pri_leg *pl, int cause)
{
	pl_dispatch(pl, PL_EV_LOST, &(struct pl_ev){ .cause = cause });
}

void pri_leg_proceeding(struct pri_leg *pl)
{
	pl_move(pl, PRI_ST_INCOMING_PROCEEDING);
}

void pri_leg_overlap(struct pri_leg *pl, const struct leg_setup_info *si)
{
	pl->si = *si;
	pl_move(pl, PRI_ST_OVERLAP_RECEIVING);	/* T302 runs */
}

int pri_leg_state(const struct pri_leg *pl)
{
	return pl->fi.state;
}

const char *pri_leg_state_name(const struct pri_leg *pl)
{
	return fsm_state_name(&pri_fsm, pl->fi.state);
}
