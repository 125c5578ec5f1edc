/* sipgw - a call leg on a PRI B-channel: Q.931 call states (Q.931 figure
 * A.1 / 5.x) over libpri. SPDX-License-Identifier: GPL-2.0-only */
#include "q931/pri_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/cause.h"
#include "core/fsm.h"
#include "core/log.h"
#include "core/loop.h"

/* Q.931 4.5.23: progress description 1 (call not end-to-end ISDN, further
 * progress information may be in-band) and 8 (in-band information now
 * available) both mean the PBX plays its own tones: cut the audio through. */
#define PL_PI_INBAND (PRI_PROG_CALL_NOT_E2E_ISDN | PRI_PROG_INBAND_AVAILABLE)

#define B(s) FSM_BIT(PRI_ST_##s)
#define CLEARING (B(DISCONNECT_REQUEST) | B(DISCONNECT_INDICATION) | B(RELEASE_REQUEST) | B(RELEASED))

static const struct fsm_state pri_states[PRI_ST__COUNT] = {
	[PRI_ST_NULL] = { "NULL", B(CALL_PRESENT) | B(CALL_INITIATED) | B(RELEASED) },
	[PRI_ST_CALL_INITIATED] = { "CALL_INITIATED", B(OUTGOING_PROCEEDING) | B(CALL_DELIVERED) | B(ACTIVE) | CLEARING },
	[PRI_ST_OUTGOING_PROCEEDING] = { "OUTGOING_CALL_PROCEEDING", B(CALL_DELIVERED) | B(ACTIVE) | CLEARING },
	[PRI_ST_CALL_DELIVERED] = { "CALL_DELIVERED", B(ACTIVE) | CLEARING },
	[PRI_ST_CALL_PRESENT] = { "CALL_PRESENT", B(INCOMING_PROCEEDING) | CLEARING },
	[PRI_ST_CALL_RECEIVED] = { "CALL_RECEIVED", B(CONNECT_REQUEST) | CLEARING },
	[PRI_ST_CONNECT_REQUEST] = { "CONNECT_REQUEST", B(ACTIVE) | CLEARING },
	[PRI_ST_INCOMING_PROCEEDING] = { "INCOMING_CALL_PROCEEDING", B(CALL_RECEIVED) | B(CONNECT_REQUEST) | CLEARING },
	[PRI_ST_ACTIVE] = { "ACTIVE", CLEARING },
	[PRI_ST_DISCONNECT_REQUEST] = { "DISCONNECT_REQUEST", B(RELEASE_REQUEST) | B(RELEASED) },
	[PRI_ST_DISCONNECT_INDICATION] = { "DISCONNECT_INDICATION", B(RELEASE_REQUEST) | B(RELEASED) },
	[PRI_ST_RELEASE_REQUEST] = { "RELEASE_REQUEST", B(RELEASED) },
	[PRI_ST_RELEASED] = { "RELEASED", 0 },
};

static const struct fsm_def pri_fsm = { "pri", LSS_Q931, pri_states, PRI_ST__COUNT };

static const char *pl_describe(struct leg *leg)
{
	struct pri_leg *pl = (struct pri_leg *)leg;
	char chan[12] = "-";	/* no B-channel (glare) */

	if (pl->chan)
		snprintf(chan, sizeof(chan), "%d", pl->chan);
	snprintf(pl->desc, sizeof(pl->desc), "pri %s/%s [%s]", pl->span->cfg->name, chan,
		 fsm_state_name(&pri_fsm, pl->state));
	return pl->desc;
}

static int pl_move(struct pri_leg *pl, int next)
{
	return fsm_move(&pri_fsm, &pl->state, next, pl_describe(&pl->base));
}

static int pl_clearing(const struct pri_leg *pl)
{
	return (FSM_BIT(pl->state) & CLEARING) != 0;
}

static void pl_alert(struct leg *leg, int inband)
{
	struct pri_leg *pl = (struct pri_leg *)leg;

	if (pl_move(pl, PRI_ST_CALL_RECEIVED))
		return;
	/* Progress indicator 8 (in-band information) when the far side sends audio. */
	pri_acknowledge(pl->span->pri, pl->qc, pl->chan, inband);
	span_reschedule(pl->span);
}

static void pl_progress(struct leg *leg)
{
	struct pri_leg *pl = (struct pri_leg *)leg;

	if (pl_clearing(pl) || pl->state == PRI_ST_ACTIVE)
		return;
	pri_progress(pl->span->pri, pl->qc, pl->chan, 1);
	span_reschedule(pl->span);
}

static void pl_answer(struct leg *leg)
{
	struct pri_leg *pl = (struct pri_leg *)leg;

	if (pl_move(pl, PRI_ST_CONNECT_REQUEST))
		return;
	pri_answer(pl->span->pri, pl->qc, pl->chan, 0);
	span_reschedule(pl->span);
}

static void pl_release(struct leg *leg, int cause)
{
	struct pri_leg *pl = (struct pri_leg *)leg;

	if (pl_clearing(pl))
		return;
	pl->cause = cause;
	pl_move(pl, PRI_ST_DISCONNECT_REQUEST);
	LOGI(LSS_Q931, "%s clearing with cause %d", pl_describe(leg), cause);
	pri_hangup(pl->span->pri, pl->qc, cause);	/* DISCONNECT, Q.931 5.3.2 */
	span_reschedule(pl->span);
}

static struct media_port *pl_media(struct leg *leg)
{
	return &((struct pri_leg *)leg)->port;
}

static void pl_destroy(struct leg *leg)
{
	struct pri_leg *pl = (struct pri_leg *)leg;

	media_part(&pl->port);
	loop_timer_free(pl->route_timer);
	span_chan_put(pl->span, pl);
	LIST_REMOVE(pl, entry);
	free(pl);
}

static int pl_setup(struct leg *leg, const struct leg_setup_info *si, int *causep);

static const struct leg_ops pri_leg_ops = {
	.kind = "pri",
	.setup = pl_setup,
	.alert = pl_alert,
	.progress = pl_progress,
	.answer = pl_answer,
	.release = pl_release,
	.media = pl_media,
	.destroy = pl_destroy,
	.describe = pl_describe,
};

/* Frames from the bridge wait here for the span's 20 ms clock. */
static void pl_play(struct media_port *mp, const uint8_t *frame, size_t len)
{
	struct pri_leg *pl = mp->owner;
	unsigned slot;

	if (len != MEDIA_FRAME)
		return;
	if (pl->q_len == 4) {	/* the far side runs fast: drop the oldest */
		pl->q_head = (pl->q_head + 1) % 4;
		pl->q_len--;
	}
	slot = (pl->q_head + pl->q_len) % 4;
	memcpy(pl->outq[slot], frame, len);
	pl->q_len++;
}

void pri_leg_tick(struct pri_leg *pl)
{
	uint8_t idle[MEDIA_FRAME];
	const uint8_t *frame = idle;

	if (pl->state == PRI_ST_RELEASED)
		return;
	if (pl->q_len) {
		frame = pl->outq[pl->q_head];
		pl->q_head = (pl->q_head + 1) % 4;
		pl->q_len--;
	} else {
		memset(idle, g711_silence(pl->port.law), sizeof(idle));
	}
	pl->span->hw_ops->b_write(pl->span->hw, pl->chan, frame, MEDIA_FRAME);
}

void pri_leg_frame_in(struct pri_leg *pl, const uint8_t *frame, size_t len)
{
	media_deliver(&pl->port, frame, len);
}

int pri_leg_alloc_incoming(struct pri_leg **plp, struct span *sp, q931_call *qc, int chan)
{
	struct pri_leg *pl = calloc(1, sizeof(*pl));

	if (!pl)
		return -ENOMEM;
	pl->base.ops = &pri_leg_ops;
	pl->span = sp;
	pl->qc = qc;
	pl->chan = chan;
	pl->id = ++sp->leg_seq;
	pl->state = PRI_ST_NULL;
	pl->port.kind = "pri";
	pl->port.law = span_law(sp);
	pl->port.play = pl_play;
	pl->port.owner = pl;
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
 * 4.5.8); a leading '+' stands for the international type of number. */
static int called_number_cause(const char *called)
{
	size_t len = strlen(called);

	if (!len || strspn(called, "0123456789*#+") != len || strchr(called + 1, '+'))
		return PRI_CAUSE_UNALLOCATED;	/* 404 */
	if (len > Q931_NUMBER_DIGITS)
		return PRI_CAUSE_INVALID_NUMBER_FORMAT;	/* 484 */
	return 0;
}

/* SETUP towards the PBX (Q.931 5.1.1) on an exclusive B-channel: 0, or the
 * Q.850 cause it could not go out with. */
static int pl_send_setup(struct pri_leg *pl, const struct leg_setup_info *si)
{
	struct span *sp = pl->span;
	struct pri_sr *sr;
	char calling[LEG_NUM], name[LEG_NUM];
	int chan, cause;

	if ((cause = called_number_cause(pl->called))) {
		LOGN(LSS_Q931, "span %s: called number \"%s\" (%zu characters) cannot go on the PRI: cause %d",
		     sp->cfg->name, pl->called, strlen(pl->called), cause);
		return cause;
	}
	if (!sp->pri || !sp->dchan_up)
		return PRI_CAUSE_NETWORK_OUT_OF_ORDER;
	if (!si->emergency && span_free_chans(sp) <= sp->reserved) {
		LOGN(LSS_Q931, "span %s: %d free B-channel(s), kept for emergency calls: cause %d",
		     sp->cfg->name, span_free_chans(sp), PRI_CAUSE_NORMAL_CIRCUIT_CONGESTION);
		return PRI_CAUSE_NORMAL_CIRCUIT_CONGESTION;
	}
	chan = span_hunt(sp);
	if (chan < 0)
		return PRI_CAUSE_NORMAL_CIRCUIT_CONGESTION;	/* no circuit/channel available */
	pl->qc = pri_new_call(sp->pri);
	sr = pri_sr_new();
	if (!pl->qc || !sr) {
		pri_sr_free(sr);
		if (pl->qc)
			pri_destroycall(sp->pri, pl->qc);
		pl->qc = NULL;
		return PRI_CAUSE_RESOURCE_UNAVAIL_UNSPECIFIED;
	}
	snprintf(calling, sizeof(calling), "%s", si->calling);
	snprintf(name, sizeof(name), "%s", si->display);
	pri_sr_set_channel(sr, chan, 1, 0);
	pri_sr_set_bearer(sr, PRI_TRANS_CAP_SPEECH,
			  span_law(sp) == LAW_ALAW ? PRI_LAYER_1_ALAW : PRI_LAYER_1_ULAW);
	pri_sr_set_called(sr, pl->called, pl->plan, 1);
	pri_sr_set_caller(sr, calling[0] ? calling : NULL, name[0] ? name : NULL, PRI_UNKNOWN | 0x1,
			  calling[0] ? PRES_ALLOWED_USER_NUMBER_NOT_SCREENED : PRES_NUMBER_NOT_AVAILABLE);
	pl->chan = chan;
	pl_move(pl, PRI_ST_CALL_INITIATED);
	if (pri_setup(sp->pri, pl->qc, sr)) {
		pri_sr_free(sr);
		pri_destroycall(sp->pri, pl->qc);
		pl->qc = NULL;
		pl->chan = 0;
		return PRI_CAUSE_RESOURCE_UNAVAIL_UNSPECIFIED;
	}
	span_chan_take(sp, pl, chan);
	pri_sr_free(sr);
	span_reschedule(sp);
	LOGI(LSS_Q931, "%s SETUP called=%s calling=%s name=\"%s\"", pl_describe(&pl->base), pl->called,
	     calling, name);
	return 0;
}

/* leg_ops.setup of an outgoing PRI leg: the cause, and an errno the
 * router can tell apart (span_place_call's contract in span.h). */
static int pl_setup(struct leg *leg, const struct leg_setup_info *si, int *causep)
{
	struct pri_leg *pl = (struct pri_leg *)leg;
	int cause;

	if (pl->state != PRI_ST_NULL || pl->qc) {
		*causep = CAUSE_TEMP_FAILURE;
		return -EALREADY;
	}
	pl->si = *si;
	cause = pl_send_setup(pl, si);
	*causep = cause;
	switch (cause) {
	case 0:
		return 0;
	case PRI_CAUSE_NORMAL_CIRCUIT_CONGESTION:
		return -EBUSY;
	case PRI_CAUSE_NETWORK_OUT_OF_ORDER:
		return -ENETDOWN;
	case PRI_CAUSE_RESOURCE_UNAVAIL_UNSPECIFIED:
		return -ENOMEM;
	default:
		return -EINVAL;	/* a called number the PRI cannot carry */
	}
}

int pri_leg_alloc_outgoing(struct leg **legp, struct span *sp, const struct pri_leg_params *p)
{
	struct pri_leg *pl = calloc(1, sizeof(*pl));

	if (!pl)
		return -ENOMEM;
	pl->base.ops = &pri_leg_ops;
	pl->span = sp;
	pl->id = ++sp->leg_seq;
	pl->port.kind = "pri";
	pl->port.law = span_law(sp);
	pl->port.play = pl_play;
	pl->port.owner = pl;
	pl->plan = p->plan;
	snprintf(pl->called, sizeof(pl->called), "%s", p->called ? p->called : "");
	LIST_INSERT_HEAD(&sp->legs, pl, entry);
	*legp = &pl->base;
	return 0;
}

/* Q.931 5.1.2: the first answer to our SETUP names the B-channel granted.
 * It is the one we asked for, unless we gave that up in glare (span.c
 * glare_settle) or the network picked another: then take the named one if
 * it is free, else clear with cause 6, channel unacceptable (libpri sends
 * RELEASE for it). Returns nonzero when the leg was cleared. */
static int pl_granted(struct pri_leg *pl, int evchan)
{
	struct span *sp = pl->span;
	int chan = PRI_CHANNEL(evchan);

	if (pl->state != PRI_ST_CALL_INITIATED || chan == pl->chan)
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

/* The far end cleared (DISCONNECT) or the call is gone (RELEASE, RELEASE
 * COMPLETE, timer expiry). Tell the call once, then finish with libpri. */
void pri_leg_on_event(struct pri_leg *pl, const pri_event *ev)
{
	struct span *sp = pl->span;

	switch (ev->e) {
	case PRI_EVENT_CONNECT_ACK:
		pl_move(pl, PRI_ST_ACTIVE);
		return;
	case PRI_EVENT_PROCEEDING:
		if (!pl_granted(pl, ev->proceeding.channel))
			pl_move(pl, PRI_ST_OUTGOING_PROCEEDING);
		return;
	case PRI_EVENT_RINGING:
		if (pl_granted(pl, ev->ringing.channel))
			return;
		if (!pl_move(pl, PRI_ST_CALL_DELIVERED))
			call_leg_alerting(&pl->base, !!(ev->ringing.progressmask & PL_PI_INBAND));
		return;
	case PRI_EVENT_PROGRESS:
		if (ev->proceeding.progressmask & PL_PI_INBAND)
			call_leg_progress(&pl->base);
		return;
	case PRI_EVENT_ANSWER:
		if (pl_granted(pl, ev->answer.channel))
			return;
		/* CONNECT ACKNOWLEDGE is ours to send (pri_connect_ack_enable). */
		pri_connect_ack(sp->pri, pl->qc, 0);
		if (!pl_move(pl, PRI_ST_ACTIVE))
			call_leg_answered(&pl->base);
		return;
	case PRI_EVENT_HANGUP_REQ:
		pl->cause = ev->hangup.cause;
		if (!pl_clearing(pl)) {
			pl_move(pl, PRI_ST_DISCONNECT_INDICATION);
			call_leg_released(&pl->base, pl->cause, 0);
		}
		if (pl->state == PRI_ST_DISCONNECT_INDICATION) {
			pl_move(pl, PRI_ST_RELEASE_REQUEST);
			pri_hangup(sp->pri, pl->qc, pl->cause);	/* RELEASE, Q.931 5.3.4 */
		}
		return;
	case PRI_EVENT_HANGUP:
		if (!pl_clearing(pl)) {
			pl->cause = ev->hangup.cause;
			call_leg_released(&pl->base, pl->cause, 0);
		}
		pri_hangup(sp->pri, pl->qc, ev->hangup.cause);
		/* libpri has released the call reference */
		__attribute__((fallthrough));
	case PRI_EVENT_HANGUP_ACK:
		pl->qc = NULL;
		fsm_move(&pri_fsm, &pl->state, PRI_ST_RELEASED, pl_describe(&pl->base));
		span_chan_put(sp, pl);	/* the B-channel is free again */
		call_leg_gone(&pl->base);
		return;
	default:
		LOGI(LSS_Q931, "%s: %s ignored", pl_describe(&pl->base), pri_event2str(ev->e));
	}
}

/* Routing runs from the loop, not inside libpri's RING event: libpri only
 * treats the call as established once the event has been returned, and a
 * DISCONNECT sent from within it would come out as RELEASE COMPLETE. */
static void route_cb(void *arg)
{
	struct pri_leg *pl = arg;
	int cause = 0;

	if (pl_clearing(pl) || pl->state == PRI_ST_RELEASED)
		return;
	if (pl->span->incoming_h(pl->span->arg, &pl->base, &pl->si, &cause) < 0)
		pl_release(&pl->base, cause);
}

void pri_leg_route_later(struct pri_leg *pl, const struct leg_setup_info *si)
{
	pl->si = *si;
	if (!pl->route_timer &&
	    loop_timer_alloc(&pl->route_timer, pl->span->root, "route", route_cb, pl) < 0) {
		pl_release(&pl->base, PRI_CAUSE_RESOURCE_UNAVAIL_UNSPECIFIED);
		return;
	}
	loop_timer_start(pl->route_timer, 0);
}

/* The D-channel's far end is gone, or restarted the channel (Q.931 5.5):
 * no Q.931 can be exchanged for this call. libpri forgets it too, since
 * the span's instance lives on for the next far end (span.c). */
void pri_leg_lost(struct pri_leg *pl, int cause)
{
	if (!pl_clearing(pl)) {
		pl->cause = cause;
		call_leg_released(&pl->base, cause, 0);
	}
	if (pl->qc)
		pri_destroycall(pl->span->pri, pl->qc);
	pl->qc = NULL;
	fsm_move(&pri_fsm, &pl->state, PRI_ST_RELEASED, pl_describe(&pl->base));
	span_chan_put(pl->span, pl);
	call_leg_gone(&pl->base);
}
