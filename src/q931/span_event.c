/* sipgw - libpri's events for a span: the D-channel's news, the far
 * end's SETUP (Q.931 5.2: channel, glare, numbers, overlap), maintenance,
 * and the rest handed to the leg of the call they are for; in NFAS, by the
 * member span the event is for. SPDX-License-Identifier: GPL-2.0-only */
#include "q931/pri_internal.h"

#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "core/loop.h"

/* By the legs list, not the channel table: a leg that gave its channel up
 * in glare still has a call reference to finish. */
static struct pri_leg *leg_by_call(struct span *sp, q931_call *qc)
{
	struct pri_leg *pl;

	if (!qc)
		return NULL;
	LIST_FOREACH(pl, &sp->legs, entry)
		if (pl->qc == qc)
			return pl;
	return NULL;
}

/* Glare, Q.931 5.7: our SETUP and the far end's crossed on one B-channel.
 * The network side settles it: its own call keeps the channel; the user's
 * is refused with cause 44 if it asked for the channel exclusively, else
 * given another (5.1.2, 5.2.3). As the network we keep the channel and
 * on_ring refuses or moves the user's call. As the user we hand the channel
 * to the network's call now; our leg waits, channelless, for the network's
 * answer (pri_leg.c: a refusal lets the bridge try another channel, a
 * channel granted instead is taken if free). */
static void glare_settle(struct span *sp, int chan)
{
	struct pri_leg *ours = sp->chans[chan];

	if (pri_leg_state(ours) != PRI_ST_CALL_INITIATED)
		return;	/* not glare: the channel is really busy */
	if (sp->cfg->role == ROLE_NETWORK) {
		LOGN(LSS_Q931, "%s glare: our call keeps B-channel %d (Q.931 5.7)",
		     ours->base.ops->describe(&ours->base), chan);
		return;
	}
	LOGN(LSS_Q931, "%s glare: the network's SETUP takes B-channel %d (Q.931 5.7)",
	     ours->base.ops->describe(&ours->base), chan);
	sp->chans[chan] = NULL;
	ours->chan = 0;
}

/* Q.931 4.5.8 type of number (bits 7-5 of the plan libpri passes). */
static enum leg_ton span_ton(int plan)
{
	switch (plan & 0x70) {
	case 0x10:
		return LEG_TON_INTERNATIONAL;
	case 0x20:
		return LEG_TON_NATIONAL;
	case 0x40:
		return LEG_TON_SUBSCRIBER;
	default:
		return LEG_TON_UNKNOWN;
	}
}

/* Q.952 redirecting reason (the Redirecting number IE, octet 3b) */
static const struct { int q931; enum leg_redirect why; } span_redirects[] = {
	{ PRI_REDIR_UNKNOWN, LEG_REDIR_UNKNOWN },
	{ PRI_REDIR_FORWARD_ON_BUSY, LEG_REDIR_BUSY },
	{ PRI_REDIR_FORWARD_ON_NO_REPLY, LEG_REDIR_NO_ANSWER },
	{ PRI_REDIR_DEFLECTION, LEG_REDIR_DEFLECTION },
	{ PRI_REDIR_DTE_OUT_OF_ORDER, LEG_REDIR_OUT_OF_SERVICE },
	{ PRI_REDIR_UNCONDITIONAL, LEG_REDIR_UNCONDITIONAL },
};

static enum leg_redirect span_redirect_reason(int q931)
{
	for (size_t i = 0; i < sizeof(span_redirects) / sizeof(span_redirects[0]); i++)
		if (span_redirects[i].q931 == q931)
			return span_redirects[i].why;
	return LEG_REDIR_UNKNOWN;	/* the default row */
}

int span_redirect_q931(enum leg_redirect why)
{
	for (size_t i = 0; i < sizeof(span_redirects) / sizeof(span_redirects[0]); i++)
		if (span_redirects[i].why == why)
			return span_redirects[i].q931;
	return PRI_REDIR_UNKNOWN;
}

/* An overlap SETUP's number so far: complete when it ends in '#' (taken
 * off) or no dial-peer could take a longer one. */
static int span_number_complete(struct span *sp, char *called)
{
	size_t n = strlen(called);

	if (n && called[n - 1] == '#') {
		called[n - 1] = 0;
		return 1;
	}
	return !sp->number_h || sp->number_h(sp->arg, called);
}

/* SETUP from the far end (Q.931 5.2). */
static void on_ring(struct span *sp, const pri_event *ev)
{
	const pri_event_ring *r = &ev->ring;
	int chan = PRI_CHANNEL(r->channel);
	struct leg_setup_info si = { .law = span_law(sp) };
	struct pri_leg *pl;

	si.t_setup_us = mono_us();
	if (chan > 0 && span_chan_valid(sp, chan) && sp->chans[chan])
		glare_settle(sp, chan);
	if (chan <= 0 || !span_chan_valid(sp, chan) || sp->chans[chan] ||
	    span_chan_restarting(sp, chan) || span_chan_busied(sp, chan)) {
		/* Preferred channel busy (or not yet back from our RESTART,
		 * Q.931 5.5.1, or busied out) or none named: hunt, unless the
		 * caller insisted on this one (exclusive), Q.931 5.2.3.1. */
		if (chan > 0 && !r->flexible && span_chan_valid(sp, chan)) {
			LOGN(LSS_Q931, "span %s: SETUP for %s B-channel %d (exclusive): cause %d", sp->cfg->name,
			     span_chan_busied(sp, chan) ? "busied-out" : "busy", chan, PRI_CAUSE_REQUESTED_CHAN_UNAVAIL);
			pri_hangup(sp->pri, r->call, PRI_CAUSE_REQUESTED_CHAN_UNAVAIL);
			return;
		}
		chan = span_hunt(sp);
		if (chan < 0) {
			LOGN(LSS_Q931, "span %s: SETUP but no free B-channel: cause %d", sp->cfg->name,
			     PRI_CAUSE_NORMAL_CIRCUIT_CONGESTION);
			pri_hangup(sp->pri, r->call, PRI_CAUSE_NORMAL_CIRCUIT_CONGESTION);
			return;
		}
	}
	if (pri_leg_alloc_incoming(&pl, sp, r->call, chan) < 0) {
		pri_hangup(sp->pri, r->call, PRI_CAUSE_SWITCH_CONGESTION);
		return;
	}
	/* Q.931 4.5.5: unrestricted (or restricted) digital information is
	 * data, not speech: no echo canceller, no DTMF detection on it. */
	if (r->ctype == PRI_TRANS_CAP_DIGITAL || r->ctype == PRI_TRANS_CAP_RESTRICTED_DIGITAL)
		pri_media_clear_channel(pl);
	snprintf(si.called, sizeof(si.called), "%.*s", (int)sizeof(si.called) - 1, r->callednum);
	snprintf(si.calling, sizeof(si.calling), "%.*s", (int)sizeof(si.calling) - 1, r->callingnum);
	snprintf(si.display, sizeof(si.display), "%.*s", (int)sizeof(si.display) - 1, r->callingname);
	snprintf(si.source, sizeof(si.source), "%s", sp->cfg->name);
	si.calling_ton = span_ton(r->callingplan);
	si.called_ton = span_ton(r->calledplan);
	/* Q.931 4.5.10 octet 3a bits 7-6: 01 presentation restricted */
	si.restricted = (r->callingpres & 0x60) == 0x20;
	if (r->redirectingnum[0]) {
		snprintf(si.redirecting, sizeof(si.redirecting), "%.*s", (int)sizeof(si.redirecting) - 1,
			 r->redirectingnum);
		si.redirecting_ton = span_ton(r->callingplanrdnis);
		si.redirect_reason = span_redirect_reason(r->redirectingreason);
	}
	if (sp->cfg->overlap_receive && !r->complete && !span_number_complete(sp, si.called)) {
		/* Q.931 5.2.4: SETUP ACKNOWLEDGE; the rest of the number comes in
		 * INFORMATION (pri_leg.c), routed en bloc once complete. */
		pri_need_more_info(sp->pri, r->call, span_wire_chan(sp, chan), 0);
		pri_leg_overlap(pl, &si);
		LOGI(LSS_Q931, "%s SETUP called=%s calling=%s name=\"%s\" (overlap: more digits expected)",
		     pl->base.ops->describe(&pl->base), si.called, si.calling, si.display);
		return;
	}
	/* Q.931 5.2.5.1: CALL PROCEEDING at once; routing may take a while. */
	pri_proceeding(sp->pri, r->call, span_wire_chan(sp, chan), 0);
	pri_leg_proceeding(pl);
	LOGI(LSS_Q931, "%s SETUP called=%s calling=%s name=\"%s\"", pl->base.ops->describe(&pl->base),
	     si.called, si.calling, si.display);
	pri_leg_route_later(pl, &si);
}

q931_call *span_event_call(const pri_event *ev)
{
	switch (ev->e) {
	case PRI_EVENT_HANGUP:
	case PRI_EVENT_HANGUP_ACK:
	case PRI_EVENT_HANGUP_REQ:
		return ev->hangup.call;
	case PRI_EVENT_RINGING:
		return ev->ringing.call;
	case PRI_EVENT_ANSWER:
		return ev->answer.call;
	case PRI_EVENT_PROCEEDING:
	case PRI_EVENT_PROGRESS:
		return ev->proceeding.call;
	case PRI_EVENT_SETUP_ACK:
		return ev->setup_ack.call;
	case PRI_EVENT_FACILITY:
		return ev->facility.call;
	case PRI_EVENT_NOTIFY:
		return ev->notify.call;
	case PRI_EVENT_CONNECT_ACK:
		return ev->connect_ack.call;
	case PRI_EVENT_INFO_RECEIVED:
		return ev->ring.call;
	case PRI_EVENT_HOLD:
		return ev->hold.call;
	case PRI_EVENT_RETRIEVE:
		return ev->retrieve.call;
	case PRI_EVENT_KEYPAD_DIGIT:
		return ev->digit.call;
	default:
		return NULL;
	}
}

void span_handle_event(struct span *sp, const pri_event *ev)
{
	struct pri_leg *pl;

	switch (ev->e) {
	case PRI_EVENT_DCHAN_UP:
		sp->dchan_up = sp->d_up = 1;
		LOGN(LSS_Q931, "span %s: D-channel up", sp->cfg->name);
		span_restart_idle(sp);
		return;
	case PRI_EVENT_DCHAN_DOWN:
		sp->dchan_up = sp->d_up = 0;
		/* RESTARTs not yet acknowledged may be lost with the link
		 * (Q.921 discards its queue): the next D-channel up sends them
		 * again. */
		sp->restart_wait = 0;
		loop_timer_stop(sp->t316);
		LOGN(LSS_Q931, "span %s: D-channel down", sp->cfg->name);
		return;
	case PRI_EVENT_RING:
		on_ring(sp, ev);
		return;
	case PRI_EVENT_RESTART:
		span_on_far_restart(sp, ev->restart.channel);
		return;
	case PRI_EVENT_RESTART_ACK:
		span_restart_ack(sp, ev->restartack.channel);
		return;
	case PRI_EVENT_SERVICE:
		span_on_service(sp, ev->service.channel, ev->service.changestatus);
		return;
	case PRI_EVENT_SERVICE_ACK:
		LOGI(LSS_Q931, "span %s: SERVICE ACKNOWLEDGE for B-channel %d", sp->cfg->name,
		     PRI_CHANNEL(ev->service_ack.channel));
		return;
	case PRI_EVENT_CONFIG_ERR:
		/* Q.921 3.3.2: the C/R bit of the far end's frames says it
		 * takes our role too (libpri's text says which); the link can
		 * never come up. Q.SIG too needs one end of each role: libpri
		 * still takes the Q.921 side and call reference flag from it. */
		LOGW_LIMIT(&sp->lim_pri_err, LSS_Q931, "span %s: the far end takes our role (%s) too, "
			   "one end must be network, the other cpe (libpri: \"%.*s\")", sp->cfg->name,
			   sp->cfg->role == ROLE_NETWORK ? "network" : "cpe",
			   (int)strcspn(ev->err.err, "\n"), ev->err.err);
		return;
	default:
		break;
	}
	pl = leg_by_call(sp, span_event_call(ev));
	if (!pl) {
		LOGI_LIMIT(&sp->lim_no_call, LSS_Q931, "span %s: %s for no known call", sp->cfg->name,
			   pri_event2str(ev->e));
		if (ev->e == PRI_EVENT_HANGUP || ev->e == PRI_EVENT_HANGUP_REQ)
			pri_hangup(sp->pri, ev->hangup.call, ev->hangup.cause);
		return;
	}
	pri_leg_on_event(pl, ev);
}

/* An event from the libpri instance on d's D-channel. In NFAS the
 * D-channel's own news is the group's (span_nfas.c); the rest goes to the
 * member span it is for. */
void span_event(struct span *d, const pri_event *ev)
{
	struct span *sp;
	int refuse;

	if (!d->nfas) {
		span_handle_event(d, ev);
		return;
	}
	if (ev->e == PRI_EVENT_DCHAN_UP || ev->e == PRI_EVENT_DCHAN_DOWN) {
		int up = ev->e == PRI_EVENT_DCHAN_UP;

		if (up != d->d_up)
			LOGN(LSS_Q931, "span %s: %s D-channel %s (NFAS group %d)", d->cfg->name,
			     d->cfg->nfas_d == NFAS_D_PRIMARY ? "primary" : "backup", up ? "up" : "down",
			     d->cfg->nfas_group);
		d->d_up = up;
		span_nfas_update(d->nfas);
		return;
	}
	if (ev->e == PRI_EVENT_CONFIG_ERR) {
		span_handle_event(d, ev);
		return;
	}
	sp = span_nfas_target(d, ev, &refuse);
	if (!sp) {
		if (refuse)
			pri_hangup(d->dpri, ev->ring.call, refuse);
		return;
	}
	sp->ev_d = d;
	span_handle_event(sp, ev);
	sp->ev_d = NULL;
}
