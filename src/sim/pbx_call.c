/* sipgw - PBX simulator: a call's state machine (Q.931 5 user side, the
 * events each state permits) and its life: made, connected, cleared,
 * ended. What the command line asks of the calls is in pbx_call_cmd.c,
 * libpri's events for them in pbx_call_pri.c.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "pbx.h"

#include <errno.h>
#include <libpri.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

static const char *const event_names[PBXE__COUNT] = {
	[PBXE_PROCEEDING] = "PROCEEDING", [PBXE_PROGRESS] = "PROGRESS", [PBXE_ALERTING] = "ALERTING",
	[PBXE_CONNECT] = "CONNECT", [PBXE_DISCONNECT] = "DISCONNECT", [PBXE_RELEASE] = "RELEASE",
	[PBXE_RELEASE_ACK] = "RELEASE_ACK", [PBXE_DUE] = "DUE", [PBXE_SHUTDOWN] = "SHUTDOWN",
	[PBXE_SETUP_ACK] = "SETUP_ACK", [PBXE_INFO] = "INFO",
};

#define BIT(s) FSM_BIT(s)
/* The far end may release in every state; we may clear every call not clearing already. */
#define RELEASES (BIT(PBXE_RELEASE) | BIT(PBXE_RELEASE_ACK))
#define CLEARABLE (RELEASES | BIT(PBXE_DISCONNECT) | BIT(PBXE_SHUTDOWN))

static void call_onenter_clearing(struct fsm_inst *fi, int prev);

static const struct fsm_state state_tbl[PCALL__COUNT] = {
	[PCALL_NULL] = { "NULL", BIT(PCALL_INIT) | BIT(PCALL_PRESENT) | BIT(PCALL_IN_PROC) |
		BIT(PCALL_OVERLAP_RECV), RELEASES },
	/* a CALL PROCEEDING names the channel granted (Q.931 5.1.2); its
	 * progress indicator, and that of PROGRESS and ALERTING, announces
	 * in-band audio (4.5.23) */
	[PCALL_INIT] = { "CALL_INIT", BIT(PCALL_OVERLAP_SEND) | BIT(PCALL_OUT_PROC) | BIT(PCALL_DELIVERED) |
		BIT(PCALL_ACTIVE) | BIT(PCALL_DISC_REQ) | BIT(PCALL_DISC_IND),
		CLEARABLE | BIT(PBXE_SETUP_ACK) | BIT(PBXE_PROCEEDING) | BIT(PBXE_PROGRESS) |
		BIT(PBXE_ALERTING) | BIT(PBXE_CONNECT) | BIT(PBXE_DUE) },
	/* --overlap: the rest of the number has gone in INFORMATION */
	[PCALL_OVERLAP_SEND] = { "OVERLAP_SENDING", BIT(PCALL_OUT_PROC) | BIT(PCALL_DELIVERED) |
		BIT(PCALL_ACTIVE) | BIT(PCALL_DISC_REQ) | BIT(PCALL_DISC_IND),
		CLEARABLE | BIT(PBXE_PROCEEDING) | BIT(PBXE_PROGRESS) | BIT(PBXE_ALERTING) |
		BIT(PBXE_CONNECT) | BIT(PBXE_DUE) },
	[PCALL_OUT_PROC] = { "OUT_PROCEEDING", BIT(PCALL_DELIVERED) | BIT(PCALL_ACTIVE) |
		BIT(PCALL_DISC_REQ) | BIT(PCALL_DISC_IND),
		CLEARABLE | BIT(PBXE_PROCEEDING) | BIT(PBXE_PROGRESS) | BIT(PBXE_ALERTING) |
		BIT(PBXE_CONNECT) | BIT(PBXE_DUE) },
	[PCALL_DELIVERED] = { "CALL_DELIVERED", BIT(PCALL_ACTIVE) | BIT(PCALL_DISC_REQ) |
		BIT(PCALL_DISC_IND),
		CLEARABLE | BIT(PBXE_PROCEEDING) | BIT(PBXE_PROGRESS) | BIT(PBXE_CONNECT) |
		BIT(PBXE_DUE) },
	/* --glare: held unanswered until our crossing call has settled */
	[PCALL_PRESENT] = { "CALL_PRESENT", BIT(PCALL_IN_PROC) | BIT(PCALL_DISC_REQ) |
		BIT(PCALL_DISC_IND), CLEARABLE },
	/* --collect: INFORMATION digits until the number is long enough */
	[PCALL_OVERLAP_RECV] = { "OVERLAP_RECEIVING", BIT(PCALL_IN_PROC) | BIT(PCALL_DISC_REQ) |
		BIT(PCALL_DISC_IND), CLEARABLE | BIT(PBXE_INFO) },
	[PCALL_IN_PROC] = { "IN_PROCEEDING", BIT(PCALL_RECEIVED) | BIT(PCALL_DISC_REQ) |
		BIT(PCALL_DISC_IND), CLEARABLE },
	/* DUE: --answer-after */
	[PCALL_RECEIVED] = { "CALL_RECEIVED", BIT(PCALL_ACTIVE) | BIT(PCALL_DISC_REQ) |
		BIT(PCALL_DISC_IND), CLEARABLE | BIT(PBXE_PROGRESS) | BIT(PBXE_CONNECT) | BIT(PBXE_DUE) },
	/* DUE: --hangup-after */
	[PCALL_ACTIVE] = { "ACTIVE", BIT(PCALL_DISC_REQ) | BIT(PCALL_DISC_IND),
		CLEARABLE | BIT(PBXE_PROGRESS) | BIT(PBXE_DUE) },
	/* a DISCONNECT crossing ours: libpri answers it (Q.931 5.3.5) */
	[PCALL_DISC_REQ] = { "DISCONNECT_REQUEST", 0, RELEASES | BIT(PBXE_DISCONNECT), 0,
		call_onenter_clearing },
	[PCALL_DISC_IND] = { "DISCONNECT_INDICATION", 0, RELEASES, 0, call_onenter_clearing },
};

static void call_action(struct fsm_inst *fi, int event, void *data);

static const char *call_describe(struct fsm_inst *fi)
{
	static char buf[48];

	snprintf(buf, sizeof(buf), "call %d [%s]", ((struct pbx_call *)fi->priv)->id,
		 fsm_state_name(fi->def, fi->state));
	return buf;
}

/* The PBX runs its own poll loop, not an su_root: no state timers here;
 * the timed actions are PBXE_DUE events from pbx_call_timers(). */
static const struct fsm_def call_fsm = {
	.name = "pbx call", .ss = LSS_SIM, .states = state_tbl, .n_states = PCALL__COUNT,
	.event_names = event_names, .n_events = PBXE__COUNT,
	.action = call_action, .describe = call_describe,
};

const char *pbx_call_state_name(enum pbx_call_state st)
{
	return fsm_state_name(&call_fsm, st);
}

/* A move the table refuses is logged there (fsm_state_chg) and returns -EPERM. */
int call_set_state(struct pbx_call *c, enum pbx_call_state st)
{
	return fsm_state_chg(&c->fi, st);
}

/* Clearing: no timed action is due any more. */
static void call_onenter_clearing(struct fsm_inst *fi, int prev)
{
	((struct pbx_call *)fi->priv)->due_ms = 0;
}

int pbx_call_alloc(struct pbx_call **cp, struct pbx_dchan *d, q931_call *q, int iface, int chan,
		   int outgoing)
{
	struct pbx *p = d->pbx;
	struct pbx_call *c = calloc(1, sizeof(*c));
	int rc;

	if (!c)
		return -ENOMEM;
	c->pbx = p;
	c->id = p->next_id++;
	c->q = q;
	c->d = d;
	c->iface = iface;
	c->chan = chan;
	c->outgoing = outgoing;
	c->setup_ms = mono_ms();
	fsm_inst_init(&c->fi, &call_fsm, PCALL_NULL, c, NULL, NULL);
	rc = pbx_media_start(c);
	if (rc < 0) {
		free(c);
		return rc;
	}
	c->next = p->calls;
	p->calls = c;
	if (!p->first_setup_ms)
		p->first_setup_ms = c->setup_ms;
	*cp = c;
	return 0;
}

static void call_free(struct pbx_call *c)
{
	struct pbx_call **link = &c->pbx->calls;

	while (*link && *link != c)
		link = &(*link)->next;
	if (*link)
		*link = c->next;
	pbx_media_stop(c);
	fsm_inst_cleanup(&c->fi);
	free(c);
}

void pbx_call_free_all(struct pbx *p)
{
	while (p->calls)
		call_free(p->calls);
}

/* libpri has freed (or is about to free) its side: report and forget. */
void call_end(struct pbx_call *c)
{
	struct pbx *p = c->pbx;
	long long now = mono_ms();
	int chan = c->chan, iface = c->iface;

	pbx_out(p, PBX_EVENT, "call %d audio rx_frames=%lu", c->id, c->rx_frames);
	if (c->end_why)
		pbx_out(p, PBX_EVENT, "call %d ended cause=%d (%s)", c->id, c->cause, c->end_why);
	else
		pbx_out(p, PBX_EVENT, "call %d ended cause=%d", c->id, c->cause);
	if (p->opt.stats)
		pbx_out(p, PBX_STAT, "call %d cause=%d setup_to_connect_ms=%lld", c->id, c->cause,
			c->connect_ms ? c->connect_ms - c->setup_ms : -1LL);
	p->ended++;
	if (!c->outgoing)
		p->incoming_ended++;
	if (!c->outgoing && p->opt.oos_chan && p->incoming_ended == p->opt.ins_after_calls)
		pbx_service(p, 1);
	p->last_end_ms = now;
	call_free(c);
	glare_settled(p, iface, chan);
	pbx_call_place_more(p);
}

/* libpri 1.6 sends a call's messages on the Q.921 link it is bound to
 * (q931.c send_message: call->link); only a message received on another
 * link moves it (q931_find_call). Our DISCONNECT for a call whose D-channel
 * is gone would go nowhere, so we return its channel to idle with RESTART
 * on the active D-channel (Q.931 5.5.1) and forget the call; the channel
 * is free again at RESTART ACKNOWLEDGE. */
static void call_restart_clear(struct pbx_call *c)
{
	struct pbx *p = c->pbx;
	struct pbx_dchan *d = p->d_active;
	struct pbx_iface *ifc = pbx_iface_find(p, c->iface);

	/* no D-channel left: nothing can be sent, the call just ends here */
	c->end_why = "its D-channel is gone, and no other is left";
	if (d && !d->gone && ifc && c->chan > 0) {
		pbx_out(p, PBX_EVENT, "call %d restarting %s (its D-channel is gone)", c->id,
			CHAN_STR(p, c->iface, c->chan));
		ifc->restarting |= 1u << c->chan;
		pri_reset(d->pri, pbx_chan_encode(p, c->iface, c->chan));
		c->end_why = "restart: its D-channel is gone";
	}
	if (c->q)
		pri_destroycall(d ? d->pri : c->d->pri, c->q);
	c->q = NULL;
	c->cause = PRI_CAUSE_NORMAL_CLEARING;
	call_end(c);		/* frees c */
}

/* Send DISCONNECT (Q.931 5.3.2) with cause. */
static void call_disconnect(struct pbx_call *c, int cause)
{
	if (pbx_dchan_gone(c->d)) {
		call_restart_clear(c);
		return;
	}
	if (call_set_state(c, PCALL_DISC_REQ) < 0)
		return;
	if (!c->cause)
		c->cause = cause;
	pri_hangup(c->d->pri, c->q, cause);
}

static void call_connected(struct pbx_call *c)
{
	const struct pbx_opts *o = &c->pbx->opt;

	c->connect_ms = mono_ms();
	if (!c->pbx->first_connect_ms)
		c->pbx->first_connect_ms = c->connect_ms;
	c->pbx->connected++;
	c->due_ms = o->hangup_after >= 0 ? c->connect_ms + (long long)(o->hangup_after * 1000) : 0;
	pbx_out(c->pbx, PBX_EVENT, "call %d connected", c->id);
}

/* An incoming call goes on (Q.931 5.2): CALL PROCEEDING, then ALERTING or
 * DISCONNECT. */
void call_accept(struct pbx_call *c)
{
	struct pbx *p = c->pbx;
	const struct pbx_opts *o = &p->opt;

	int chan = pbx_chan_encode(p, c->iface, c->chan);

	call_set_state(c, PCALL_IN_PROC);
	pri_proceeding(c->d->pri, c->q, chan, 0);
	if (o->reject) {
		call_disconnect(c, o->reject);
		return;
	}
	/* ALERTING with progress indicator 8 (in-band information available)
	 * when asked: the caller then hears our audio before the answer. */
	call_set_state(c, PCALL_RECEIVED);
	c->inband = o->inband;
	pri_acknowledge(c->d->pri, c->q, chan, o->inband);
	if (!o->no_answer)
		c->due_ms = mono_ms() + (long long)(o->answer_after * 1000);
}

/* Q.931 5.1.2: the first answer to a preferred-channel SETUP names the
 * channel granted, maybe another one. */
static void call_granted(struct pbx *p, struct pbx_call *c, int evchan)
{
	int iface, chan, old = c->chan, old_iface = c->iface;

	pbx_chan_decode(c->d, evchan, &iface, &chan);
	if (!chan_valid(p, iface, chan) || (chan == old && iface == old_iface))
		return;
	c->chan = chan;
	c->iface = iface;
	pbx_out(p, PBX_EVENT, "call %d granted %s", c->id, CHAN_STR(p, iface, chan));
	glare_settled(p, old_iface, old);
}

/* Q.931 4.5.23 descriptions 1 and 8 both mean in-band audio is there. */
static int progress_inband(int mask)
{
	return !!(mask & (PRI_PROG_CALL_NOT_E2E_ISDN | PRI_PROG_INBAND_AVAILABLE));
}

/* DISCONNECT (HANGUP_REQ) or RELEASE/RELEASE COMPLETE (HANGUP) from the far end. */
static void call_far_clear(struct pbx *p, struct pbx_call *c, pri_event_hangup *h, int released)
{
	if (!c->cause)
		c->cause = h->cause;
	if (released) {
		/* libpri frees its call inside this pri_hangup(). */
		pri_hangup(c->d->pri, c->q, h->cause);
		c->q = NULL;
		call_end(c);
		return;
	}
	if (c->fi.state != PCALL_DISC_REQ && call_set_state(c, PCALL_DISC_IND) == 0)
		pri_hangup(c->d->pri, c->q, h->cause);	/* answers RELEASE */
}

/* The timed action of the state: answer in CALL_RECEIVED, else clear. */
static void call_due(struct pbx_call *c)
{
	struct pbx *p = c->pbx;

	if (c->fi.state == PCALL_RECEIVED) {		/* --answer-after */
		if (call_set_state(c, PCALL_ACTIVE) == 0) {
			pri_answer(c->d->pri, c->q, pbx_chan_encode(p, c->iface, c->chan), 0);
			call_connected(c);
		}
		return;
	}
	/* --hangup-after (ACTIVE), --cancel-after (before the answer) */
	call_disconnect(c, p->opt.cause);
}

/* The events the state permits (state_tbl); fsm_dispatch refused the others. */
static void call_action(struct fsm_inst *fi, int event, void *data)
{
	struct pbx_call *c = fi->priv;
	struct pbx *p = c->pbx;
	pri_event *e = data;

	switch (event) {
	case PBXE_SETUP_ACK:
		call_granted(p, c, e->setup_ack.channel);
		call_set_state(c, PCALL_OVERLAP_SEND);
		for (; c->sent < strlen(c->number); c->sent++) {
			pri_information(c->d->pri, c->q, c->number[c->sent]);
			pbx_out(p, PBX_EVENT, "call %d info digit=%c", c->id, c->number[c->sent]);
		}
		break;
	case PBXE_INFO: {
		size_t have = strlen(c->number);

		snprintf(c->number + have, sizeof(c->number) - have, "%s", e->ring.callednum);
		pbx_out(p, PBX_EVENT, "call %d info digits=%s", c->id, e->ring.callednum);
		if (e->ring.complete || strlen(c->number) >= (size_t)p->opt.collect) {
			pbx_out(p, PBX_EVENT, "call %d number=%s", c->id, c->number);
			call_accept(c);
		}
		break;
	}
	case PBXE_PROCEEDING:
		/* the first one names the channel granted */
		if ((c->fi.state == PCALL_INIT || c->fi.state == PCALL_OVERLAP_SEND) &&
		    call_set_state(c, PCALL_OUT_PROC) == 0)
			call_granted(p, c, e->proceeding.channel);
		if (progress_inband(e->proceeding.progressmask))
			c->inband = 1;
		break;
	case PBXE_PROGRESS:
		if (progress_inband(e->proceeding.progressmask))
			c->inband = 1;
		break;
	case PBXE_ALERTING:
		if (call_set_state(c, PCALL_DELIVERED) == 0 && progress_inband(e->ringing.progressmask))
			c->inband = 1;
		break;
	case PBXE_CONNECT:
		if (call_set_state(c, PCALL_ACTIVE) == 0)
			call_connected(c);
		break;
	case PBXE_DISCONNECT:
		call_far_clear(p, c, &e->hangup, 0);
		break;
	case PBXE_RELEASE:
		call_far_clear(p, c, &e->hangup, 1);
		break;
	case PBXE_RELEASE_ACK:
		c->q = NULL;
		call_end(c);		/* frees c */
		break;
	case PBXE_DUE:
		call_due(c);
		break;
	case PBXE_SHUTDOWN:
		call_disconnect(c, PRI_CAUSE_NORMAL_CLEARING);
		break;
	}
}

void pbx_call_timers(struct pbx *p, long long now)
{
	struct pbx_call *c, *next;

	for (c = p->calls; c; c = next) {
		next = c->next;
		if (!c->due_ms || now < c->due_ms || !c->q)	/* !q: left hanging, see --reconnect */
			continue;
		c->due_ms = 0;
		fsm_dispatch(&c->fi, PBXE_DUE, NULL);
	}
}

void pbx_call_clear_all(struct pbx *p)
{
	struct pbx_call *c, *next;

	/* the calls clearing already are left to finish; one whose D-channel
	 * is gone ends at once (call_restart_clear), hence next */
	for (c = p->calls; c; c = next) {
		next = c->next;
		if (c->q && fsm_permits(&c->fi, PBXE_SHUTDOWN))
			fsm_dispatch(&c->fi, PBXE_SHUTDOWN, NULL);
	}
}
