/* sipgw - PBX simulator: libpri's events for the calls: the gateway's
 * SETUP (Q.931 5.2; --glare, --collect), its RESTARTs (5.5.2), and the
 * rest to the machine of the call they are for, on the D-channel they
 * came on. SPDX-License-Identifier: GPL-2.0-only */
#include "pbx.h"

#include <libpri.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"

/* The event's channel is chan | span << 8 | explicit << 16 (libpri),
 * split by pbx_chan_decode(); 0xff: any channel / the whole interface. */
#define PRI_CHAN_ANY	0xff

static struct pbx_call *call_by_q(struct pbx *p, q931_call *q)
{
	for (struct pbx_call *c = p->calls; q && c; c = c->next)
		if (c->q == q)
			return c;
	return NULL;
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
	if (pbx_call_alloc(&c, d, ring->call, iface, chan, 0) < 0) {
		pri_hangup(d->pri, ring->call, PRI_CAUSE_NORMAL_CIRCUIT_CONGESTION);
		return;
	}
	pbx_out(p, PBX_EVENT, "call %d setup %s", c->id, CHAN_STR(p, iface, chan));
	call_set_state(c, PCALL_PRESENT);
	glare_settled(p, iface, chan);	/* at once if ours could not be placed */
}

/* Our crossing call left chan (refused, or granted another channel): the
 * gateway's call held there goes on. */
void glare_settled(struct pbx *p, int iface, int chan)
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
	if (chan < 0 || p->stopping || pbx_call_alloc(&c, d, ring->call, iface, chan, 0) < 0) {
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
