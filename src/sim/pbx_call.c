/* sipgw - PBX simulator: calls, their states, and libpri's call events.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "pbx.h"

#include <errno.h>
#include <libpri.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

/* The event's channel is chan | span << 8 | explicit << 16 (libpri),
 * split by pbx_chan_decode(); 0xff: any channel / the whole interface. */
#define PRI_CHAN_ANY	0xff

static void pbx_service(struct pbx *p, int in);

/* How long to wait at D-channel up for the far end's RESTARTs before
 * placing calls anyway (a far end that sends none). */
#define PBX_RESTART_WAIT_MS 1000

/* What happens to one call: libpri's events for it (the far end's
 * messages) and our own timed actions and shutdown. */
enum pbx_call_event {
	PBXE_PROCEEDING,	/* PRI_EVENT_PROCEEDING: CALL PROCEEDING */
	PBXE_PROGRESS,		/* PRI_EVENT_PROGRESS */
	PBXE_ALERTING,		/* PRI_EVENT_RINGING */
	PBXE_CONNECT,		/* PRI_EVENT_ANSWER */
	PBXE_DISCONNECT,	/* PRI_EVENT_HANGUP_REQ: the far end's DISCONNECT */
	PBXE_RELEASE,		/* PRI_EVENT_HANGUP: RELEASE / RELEASE COMPLETE, libpri frees its call */
	PBXE_RELEASE_ACK,	/* PRI_EVENT_HANGUP_ACK: our clearing is complete */
	PBXE_DUE,		/* --answer-after, --hangup-after, --cancel-after have come */
	PBXE_SHUTDOWN,		/* SIGINT/SIGTERM: clear with cause 16 */
	PBXE_SETUP_ACK,		/* PRI_EVENT_SETUP_ACK: send the rest of the number (--overlap) */
	PBXE_INFO,		/* PRI_EVENT_INFO_RECEIVED: more called digits (--collect) */
	PBXE__COUNT
};

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
static int call_set_state(struct pbx_call *c, enum pbx_call_state st)
{
	return fsm_state_chg(&c->fi, st);
}

/* Clearing: no timed action is due any more. */
static void call_onenter_clearing(struct fsm_inst *fi, int prev)
{
	((struct pbx_call *)fi->priv)->due_ms = 0;
}

/* B-channels of the span: T1 1-23 (24 is the D-channel), 1-24 on an NFAS
 * span without one; E1 timeslots 1-31 less 16, the D-channel (G.704). */
int pbx_chan_valid(const struct pbx *p, int iface, int chan)
{
	for (int i = 0; i < p->n_ifc; i++) {
		if (p->ifc[i].iface != iface)
			continue;
		if (p->opt.framing == PBX_E1)
			return chan >= 1 && chan <= 31 && chan != 16;
		return chan >= 1 && chan <= (p->ifc[i].role == PBX_D_NONE ? 24 : 23);
	}
	return 0;		/* not one of our interfaces */
}

#define chan_valid pbx_chan_valid
#define CHAN_STR(p, iface, chan) (pbx_chan_str((p), "chan", (iface), (chan)).s)

/* A call is known by (interface, channel): with NFAS, channel 5 of two
 * spans are two circuits. */
struct pbx_call *pbx_call_by_chan(struct pbx *p, int iface, int chan)
{
	for (struct pbx_call *c = p->calls; c; c = c->next)
		if (c->chan == chan && c->iface == iface)
			return c;
	return NULL;
}

/* Busy: a call on it, or our RESTART of it not acknowledged yet. */
static int chan_busy(struct pbx *p, int iface, int chan)
{
	struct pbx_iface *ifc = pbx_iface_find(p, iface);

	return pbx_call_by_chan(p, iface, chan) || (ifc && (ifc->restarting & (1u << chan)));
}

static struct pbx_call *call_by_q(struct pbx *p, q931_call *q)
{
	for (struct pbx_call *c = p->calls; q && c; c = c->next)
		if (c->q == q)
			return c;
	return NULL;
}

static int chan_pick(struct pbx *p, int iface, int wanted)
{
	if (chan_valid(p, iface, wanted) && !chan_busy(p, iface, wanted))
		return wanted;
	for (int ch = 1; ch <= PBX_MAX_CHAN; ch++)
		if (chan_valid(p, iface, ch) && !chan_busy(p, iface, ch))
			return ch;
	return -EBUSY;
}

static int call_alloc(struct pbx_call **cp, struct pbx_dchan *d, q931_call *q, int iface, int chan,
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

static void glare_settled(struct pbx *p, int iface, int chan);

/* libpri has freed (or is about to free) its side: report and forget. */
static void call_end(struct pbx_call *c)
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

/* SETUP (Q.931 5.1.1) on B-channel want of iface if free (0: the first
 * free one), on the active D-channel. */
static int call_place(struct pbx *p, int iface, int want)
{
	const struct pbx_opts *o = &p->opt;
	struct pbx_dchan *d = p->d_active;
	struct pbx_call *c;
	struct pri_sr *sr;
	q931_call *q;
	int chan = chan_pick(p, iface, want), rc;

	if (chan < 0)
		return chan;
	if (!d)
		return -ENOTCONN;
	q = pri_new_call(d->pri);
	sr = pri_sr_new();
	if (!q || !sr) {
		pri_sr_free(sr);
		if (q)
			pri_destroycall(d->pri, q);
		return -ENOMEM;
	}
	rc = call_alloc(&c, d, q, iface, chan, 1);
	if (rc < 0) {
		pri_sr_free(sr);
		pri_destroycall(d->pri, q);
		return rc;
	}
	/* Exclusive: the channel is ours, the network may not pick another
	 * (Q.931 4.5.13 octet 3 bit 4); preferred: it may. */
	pri_sr_set_channel(sr, pbx_chan_encode(p, iface, chan), !o->preferred, 0);
	pri_sr_set_bearer(sr, PRI_TRANS_CAP_SPEECH,
			  o->framing == PBX_E1 ? PRI_LAYER_1_ALAW : PRI_LAYER_1_ULAW);
	snprintf(c->number, sizeof(c->number), "%s", o->call ? o->call : PBX_GLARE_NUMBER);
	if (o->overlap >= 0) {
		/* Q.931 5.1.3: the first digits, no Sending Complete */
		char first[sizeof(c->number)];

		c->sent = strlen(c->number) < (size_t)o->overlap ? strlen(c->number) : (size_t)o->overlap;
		snprintf(first, sizeof(first), "%.*s", (int)c->sent, c->number);
		pri_sr_set_called(sr, first, PRI_UNKNOWN, 0);
	} else {
		c->sent = strlen(c->number);
		pri_sr_set_called(sr, c->number, PRI_UNKNOWN, 1);
	}
	if (o->redirecting)
		pri_sr_set_redirecting(sr, (char *)o->redirecting, PRI_UNKNOWN, PRES_ALLOWED_USER_NUMBER_NOT_SCREENED,
				       o->redirect_reason);
	if (o->calling || o->name)
		pri_sr_set_caller(sr, (char *)(o->calling ? o->calling : ""), (char *)o->name, o->calling_plan,
				  o->restricted ? PRES_PROHIB_USER_NUMBER_NOT_SCREENED
						: PRES_ALLOWED_USER_NUMBER_NOT_SCREENED);
	p->placed++;
	pbx_out(p, PBX_EVENT, "call %d setup %s", c->id, CHAN_STR(p, iface, chan));
	call_set_state(c, PCALL_INIT);
	if (o->cancel_after >= 0)
		c->due_ms = c->setup_ms + (long long)(o->cancel_after * 1000);
	rc = pri_setup(d->pri, q, sr);
	pri_sr_free(sr);
	if (rc) {
		fprintf(stderr, "sipgw-pbx: call %d: pri_setup failed\n", c->id);
		c->cause = PRI_CAUSE_DESTINATION_OUT_OF_ORDER;
		pri_destroycall(d->pri, q);
		c->q = NULL;
		call_end(c);
		return -EIO;
	}
	return 0;
}

void pbx_call_place_more(struct pbx *p)
{
	int active = 0;

	/* --glare: the first call waits for the gateway's first SETUP. */
	if (!p->dchan_up || p->restart_waiting || p->stopping || !p->opt.call ||
	    (p->opt.glare && !p->glared))
		return;
	/* NFAS: our calls start on the primary D-channel, as a PBX's would, once
	 * it is up (the backup may answer first); not if it was dropped. */
	if (p->opt.nfas && p->n_d && !p->d[0].up && !p->d[0].gone)
		return;
	for (struct pbx_call *c = p->calls; c; c = c->next)
		active += c->outgoing;
	while (p->placed < p->opt.count && active < p->opt.concurrency) {
		if (call_place(p, p->opt.call_iface, 0) < 0)
			break;
		active++;
	}
}

/* An incoming call goes on (Q.931 5.2): CALL PROCEEDING, then ALERTING or
 * DISCONNECT. */
static void call_accept(struct pbx_call *c)
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

/* --glare: the gateway's first SETUP is crossed by one of ours on the same
 * B-channel, sent before anything else, as if both had left at once. The
 * network side settles it (Q.931 5.7): it gives its own call priority and
 * refuses the user's, cause 44 when the channel was exclusive (5.2.3.1).
 * So as the network we refuse the gateway's call; as the user we hold it
 * (CALL_PRESENT) until the gateway has settled ours (glare_settled). */
static void call_glare(struct pbx_dchan *d, pri_event_ring *ring, int iface, int chan)
{
	struct pbx *p = d->pbx;
	struct pbx_call *c;
	int network = p->opt.nodetype == PRI_NETWORK;

	p->glared = 1;		/* ours is the first of --count */
	if (call_place(p, iface, chan) < 0)
		fprintf(stderr, "sipgw-pbx: glare: cannot place our call on B-channel %d\n", chan);
	pbx_out(p, PBX_EVENT, "glare %s %s", CHAN_STR(p, iface, chan),
		network ? "refusing the gateway's call" : "holding the gateway's call");
	if (network) {
		pri_hangup(d->pri, ring->call, PRI_CAUSE_REQUESTED_CHAN_UNAVAIL);
		return;
	}
	if (call_alloc(&c, d, ring->call, iface, chan, 0) < 0) {
		pri_hangup(d->pri, ring->call, PRI_CAUSE_NORMAL_CIRCUIT_CONGESTION);
		return;
	}
	pbx_out(p, PBX_EVENT, "call %d setup %s", c->id, CHAN_STR(p, iface, chan));
	call_set_state(c, PCALL_PRESENT);
	glare_settled(p, iface, chan);	/* at once if ours could not be placed */
}

/* Our crossing call left chan (refused, or granted another channel): the
 * gateway's call held there goes on. */
static void glare_settled(struct pbx *p, int iface, int chan)
{
	struct pbx_call *held = NULL;

	for (struct pbx_call *c = p->calls; c; c = c->next) {
		if (c->chan != chan || c->iface != iface)
			continue;
		if (c->fi.state != PCALL_PRESENT)
			return;		/* ours is still there */
		held = c;
	}
	if (held)
		call_accept(held);
}

/* Incoming SETUP (Q.931 5.2), on any interface of the group. */
static void call_incoming(struct pbx_dchan *d, pri_event_ring *ring)
{
	struct pbx *p = d->pbx;
	int want, iface, chan;
	struct pbx_call *c;

	pbx_chan_decode(d, ring->channel, &iface, &want);
	if (want < 0)
		want = PRI_CHAN_ANY;
	chan = chan_pick(p, iface, want);
	if (p->opt.glare && !p->glared && !p->stopping && chan == want) {
		call_glare(d, ring, iface, chan);
		return;
	}
	if (chan < 0 || p->stopping || call_alloc(&c, d, ring->call, iface, chan, 0) < 0) {
		/* Q.850 34: no circuit/channel available. */
		pri_hangup(d->pri, ring->call, PRI_CAUSE_NORMAL_CIRCUIT_CONGESTION);
		return;
	}
	pbx_out(p, PBX_EVENT, "call %d setup %s", c->id, CHAN_STR(p, iface, chan));
	/* What libpri decoded, whichever IE carried it (display IE, or the
	 * Q.SIG Name Identification APDU in Facility, ECMA-164). */
	pbx_out(p, PBX_EVENT, "call %d incoming from=%s name=\"%s\" to=%s", c->id, ring->callingnum,
		ring->callingname, ring->callednum);
	/* Q.931 4.5.8 type of number (bits 7-5), 4.5.10 presentation (bits 7-6) */
	pbx_out(p, PBX_EVENT, "call %d ids called=%s called_ton=%d calling=%s calling_ton=%d pres=%s "
		"redirecting=%s redirect_reason=%d", c->id,
		ring->callednum, (ring->calledplan >> 4) & 7, ring->callingnum, (ring->callingplan >> 4) & 7,
		(ring->callingpres & 0x60) == 0x20 ? "restricted" : (ring->callingpres & 0x60) ? "unavailable" : "allowed",
		ring->redirectingnum[0] ? ring->redirectingnum : "-", ring->redirectingreason);
	snprintf(c->number, sizeof(c->number), "%.63s", ring->callednum);
	if (p->opt.collect && !ring->complete && strlen(c->number) < (size_t)p->opt.collect) {
		/* Q.931 5.2.4: SETUP ACKNOWLEDGE, the rest comes in INFORMATION */
		call_set_state(c, PCALL_OVERLAP_RECV);
		pri_need_more_info(d->pri, c->q, pbx_chan_encode(p, iface, chan), 0);
		pbx_out(p, PBX_EVENT, "call %d overlap called=%s", c->id, c->number);
		return;
	}
	if (p->opt.collect)
		pbx_out(p, PBX_EVENT, "call %d number=%s", c->id, c->number);
	call_accept(c);
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

/* --oos, --ins-after-calls: a SERVICE message for one B-channel (AT&T /
 * NI-2 maintenance), as a PBX's craft terminal would send it. */
static void pbx_service(struct pbx *p, int in)
{
	int iface = p->opt.nfas ? p->opt.call_iface : 0;

	if (!p->pri)
		return;
	pbx_out(p, PBX_EVENT, "service %s %s", CHAN_STR(p, iface, p->opt.oos_chan), in ? "in" : "out");
	pri_maintenance_service(p->pri, iface, p->opt.oos_chan, in ? 0 : 2);
}

static void restart_wait_over(struct pbx *p, const char *why)
{
	p->restart_waiting = 0;
	pbx_out(p, PBX_EVENT, "restart wait over (%s): %d of %d B-channels restarted", why,
		pbx_chans_restarted(p), pbx_chans_total(p));
	if (p->opt.oos_chan)
		pbx_service(p, 0);
	pbx_call_place_more(p);
}

void pbx_call_dchan_up(struct pbx *p)
{
	for (int i = 0; i < p->n_ifc; i++)
		p->ifc[i].restarted = 0;
	if (!p->opt.no_restart_wait) {
		p->restart_waiting = 1;
		p->restart_wait_end = mono_ms() + PBX_RESTART_WAIT_MS;
	}
	pbx_call_place_more(p);
}

/* RESTART from the gateway (Q.931 5.5.2): the channel is idle on its side;
 * whatever call we have there is over. libpri has answered RESTART
 * ACKNOWLEDGE; our call's record goes (pri_destroycall), as the Q.931
 * state machine returns it to Null. Channel 0xff: the whole interface. */
static void call_restarted(struct pbx_dchan *d, int evchan)
{
	struct pbx *p = d->pbx;
	int iface, chan, all, any_iface = evchan < 0;	/* libpri: -1 for a whole link */
	struct pbx_call *c, *next;

	pbx_chan_decode(d, evchan, &iface, &chan);
	all = chan == PRI_CHAN_ANY || evchan < 0;
	for (int i = 0; i < p->n_ifc; i++) {
		if (!any_iface && p->ifc[i].iface != iface)
			continue;
		if (all)
			p->ifc[i].restarted = ~0u;
		else if (chan < 32)
			p->ifc[i].restarted |= 1u << chan;
	}
	if (all && (any_iface || !p->opt.nfas))
		pbx_out(p, PBX_EVENT, "restart chan=all");
	else if (all)
		pbx_out(p, PBX_EVENT, "restart chan=all iface=%d", iface);
	else
		pbx_out(p, PBX_EVENT, "restart %s", CHAN_STR(p, iface, chan));
	for (c = p->calls; c; c = next) {
		next = c->next;
		if (!any_iface && c->iface != iface)
			continue;
		if (!all && c->chan != chan)
			continue;
		pbx_out(p, PBX_EVENT, "call %d cleared by RESTART %s state=%s", c->id,
			CHAN_STR(p, c->iface, c->chan), pbx_call_state_name(c->fi.state));
		if (c->q)
			pri_destroycall(d->pri, c->q);
		c->q = NULL;
		call_end(c);
	}
	if (p->restart_waiting && pbx_restarts_complete(p))
		restart_wait_over(p, "all restarted");
}

void pbx_call_orphan_all(struct pbx *p)
{
	for (struct pbx_call *c = p->calls; c; c = c->next) {
		if (!c->q)
			continue;
		c->q = NULL;
		pbx_out(p, PBX_EVENT, "call %d left hanging %s state=%s", c->id,
			CHAN_STR(p, c->iface, c->chan), pbx_call_state_name(c->fi.state));
	}
}

void pbx_call_pbx_timers(struct pbx *p, long long now)
{
	struct pbx_call *c, *next;

	if (p->restart_waiting && now >= p->restart_wait_end)
		restart_wait_over(p, "timeout");
	pbx_hold_timers(p, now);
	/* --restart-at: we restart our calls' channels, as a PBX's
	 * maintenance would (Q.931 5.5.1), and clear them on our side. */
	if (p->opt.restart_at > 0 && !p->restart_sent && p->first_connect_ms &&
	    now >= p->first_connect_ms + (long long)(p->opt.restart_at * 1000)) {
		p->restart_sent = 1;
		for (c = p->calls; c; c = next) {
			next = c->next;
			if (!c->chan || !c->q)
				continue;
			if (!p->pri)
				break;
			pbx_out(p, PBX_EVENT, "call %d restarting %s", c->id,
				CHAN_STR(p, c->iface, c->chan));
			pri_reset(p->pri, pbx_chan_encode(p, c->iface, c->chan));
			pri_destroycall(p->pri, c->q);
			c->q = NULL;
			call_end(c);
		}
	}
}

/* The call an event is for; libpri has moved it to the link the event came
 * on (q931_find_call), and so do we: its messages go there from now on. */
static struct pbx_call *call_of(struct pbx_dchan *d, q931_call *q)
{
	struct pbx_call *c = call_by_q(d->pbx, q);

	if (c)
		c->d = d;
	return c;
}

void pbx_call_handle_event(struct pbx_dchan *d, void *ev)
{
	struct pbx *p = d->pbx;
	pri_event *e = ev;
	struct pbx_call *c;
	static const int to_fsm[] = {
		[PRI_EVENT_PROCEEDING] = PBXE_PROCEEDING, [PRI_EVENT_PROGRESS] = PBXE_PROGRESS,
		[PRI_EVENT_RINGING] = PBXE_ALERTING, [PRI_EVENT_ANSWER] = PBXE_CONNECT,
		[PRI_EVENT_HANGUP_REQ] = PBXE_DISCONNECT, [PRI_EVENT_HANGUP] = PBXE_RELEASE,
		[PRI_EVENT_HANGUP_ACK] = PBXE_RELEASE_ACK, [PRI_EVENT_SETUP_ACK] = PBXE_SETUP_ACK,
		[PRI_EVENT_INFO_RECEIVED] = PBXE_INFO,
	};
	q931_call *q;

	switch (e->e) {
	case PRI_EVENT_RESTART:
		call_restarted(d, e->restart.channel);
		return;
	case PRI_EVENT_RESTART_ACK: {
		int iface, chan;
		struct pbx_iface *ifc;

		pbx_chan_decode(d, e->restartack.channel, &iface, &chan);
		pbx_out(p, PBX_EVENT, "restart acknowledged %s", CHAN_STR(p, iface, chan));
		ifc = pbx_iface_find(p, iface);
		if (ifc && chan > 0 && chan < 32)
			ifc->restarting &= ~(1u << chan);	/* idle: free again */
		if (p->restart_sent == 1)
			p->restart_sent = 2;	/* --restart-at is done */
		return;
	}
	case PRI_EVENT_RING:
		call_incoming(d, &e->ring);
		return;
	case PRI_EVENT_PROCEEDING: q = e->proceeding.call; break;
	case PRI_EVENT_PROGRESS: q = e->proceeding.call; break;
	case PRI_EVENT_RINGING: q = e->ringing.call; break;
	case PRI_EVENT_ANSWER: q = e->answer.call; break;
	case PRI_EVENT_HANGUP_REQ:
	case PRI_EVENT_HANGUP:
	case PRI_EVENT_HANGUP_ACK: q = e->hangup.call; break;
	case PRI_EVENT_SETUP_ACK: q = e->setup_ack.call; break;
	case PRI_EVENT_INFO_RECEIVED: q = e->ring.call; break;
	case PRI_EVENT_NOTIFY:
		if ((c = call_of(d, e->notify.call)))
			pbx_hold_notified(c, e->notify.info);
		return;
	case PRI_EVENT_KEYPAD_DIGIT:
		if ((c = call_of(d, e->digit.call)))
			pbx_dtmf_keypad_in(c, e->digit.digits);
		return;
	default:
		return;
	}
	if ((c = call_of(d, q)))
		fsm_dispatch(&c->fi, to_fsm[e->e], e);
	else if (e->e == PRI_EVENT_HANGUP_REQ || e->e == PRI_EVENT_HANGUP)
		/* not ours (refused at SETUP): let libpri finish it */
		pri_hangup(d->pri, q, e->hangup.cause);
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

int pbx_call_done(const struct pbx *p)
{
	/* --glare places one call (to --call or the default) and answers one. */
	int want_out = p->opt.call ? p->opt.count : p->opt.glare;
	int want_in = (!p->opt.call || p->opt.glare) ? p->opt.calls_in : 0;

	if (p->restart_sent == 1 || pbx_restarts_pending(p))
		return 0;	/* --restart-at, a gone D-channel: wait for RESTART ACKNOWLEDGE */
	return p->ended - p->incoming_ended >= want_out && p->incoming_ended >= want_in;
}
