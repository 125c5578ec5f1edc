/* sipgw - a span's B-channel maintenance: RESTART (Q.931 5.5) of ours and of
 * the far end's, T316, and SERVICE (AT&T / NI-2) taking B-channels out of and
 * back into service. SPDX-License-Identifier: GPL-2.0-only */
#include "q931/pri_internal.h"

#include <stdio.h>

#include "core/log.h"
#include "core/loop.h"

/* Q.931 table 9-1: T316, RESTART sent, RESTART ACKNOWLEDGE due. */
#define SPAN_T316_MS 120000

/* Q.931 5.5: after a (re)start of ours the far end may still hold calls
 * on B-channels we know nothing of (a killed sipgw, a new far end on the
 * socket): RESTART every B-channel no call of ours holds, so both sides
 * agree they are idle. libpri sends one channel per RESTART; each channel
 * stays out of use until its RESTART ACKNOWLEDGE (5.5.1) or T316. */
void span_restart_idle(struct span *sp)
{
	int n = 0, busy = 0;

	for (int i = 0; i < sp->n_b; i++) {
		int chan = sp->bchans[i];

		if (sp->chans[chan]) {
			busy++;
			continue;
		}
		if (span_chan_restarting(sp, chan) || pri_reset(sp->pri, span_wire_chan(sp, chan)))
			continue;
		sp->restart_wait |= 1u << chan;
		n++;
	}
	if (n) {
		LOGN(LSS_Q931, "span %s: RESTART sent for %d idle B-channel(s) (Q.931 5.5), %d in calls",
		     sp->cfg->name, n, busy);
		loop_timer_start(sp->t316, SPAN_T316_MS);
	}
	/* a RESTART makes a channel idle, not in service: the operator's
	 * busyout is said again after it */
	span_busy_resend(sp);
}

void span_restart_chan(struct span *sp, int chan)
{
	if (!sp->pri || pri_reset(sp->pri, span_wire_chan(sp, chan)))
		return;	/* libpri refused: the channel comes back at once */
	sp->restart_wait |= 1u << chan;
	loop_timer_start(sp->t316, SPAN_T316_MS);
}

void span_restart_ack(struct span *sp, int evchan)
{
	int chan = PRI_CHANNEL(evchan);

	if (chan == 0xff || evchan < 0)
		sp->restart_wait = 0;		/* the whole interface */
	else if (span_chan_restarting(sp, chan))
		sp->restart_wait &= ~(1u << chan);
	else
		return;
	LOGD(LSS_Q931, "span %s: RESTART ACKNOWLEDGE for B-channel %d", sp->cfg->name, chan);
	if (!sp->restart_wait) {
		loop_timer_stop(sp->t316);
		LOGN(LSS_Q931, "span %s: B-channels restarted, %d of %d free", sp->cfg->name,
		     span_free_chans(sp), sp->n_b);
	}
}

/* T316 ran out: the far end did not answer some RESTARTs. Q.931 5.5.1
 * leaves what to do then to maintenance; we log and take the channels
 * back into use rather than lose them. */
void span_t316_cb(void *arg)
{
	struct span *sp = arg;
	char list[128] = "";
	size_t o = 0;

	for (int c = 1; c < SPAN_MAX_CHANS; c++)
		if (span_chan_restarting(sp, c) && o < sizeof(list))
			o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%d", o ? "," : "", c);
	LOGW(LSS_Q931, "span %s: T316: no RESTART ACKNOWLEDGE for B-channel(s) %s; using them anyway",
	     sp->cfg->name, list);
	sp->restart_wait = 0;
}

/* RESTART from the far end (Q.931 5.5.2): the channel is idle again on its
 * side, so a call of ours on it is over; libpri answers RESTART
 * ACKNOWLEDGE by itself. Channel 0xff: the whole interface. */
void span_on_far_restart(struct span *sp, int evchan)
{
	int chan = PRI_CHANNEL(evchan);
	int all = chan == 0xff || evchan < 0;
	struct pri_leg *pl, *next;
	int n = 0;

	/* pri_leg_lost() may free pl, and only pl */
	for (pl = LIST_FIRST(&sp->legs); pl; pl = next) {
		next = LIST_NEXT(pl, entry);
		if (pri_leg_state(pl) == PRI_ST_RELEASED || !pl->chan || (!all && pl->chan != chan))
			continue;
		LOGN(LSS_Q931, "%s RESTART from the far end: call cleared with cause %d",
		     pl->base.ops->describe(&pl->base), PRI_CAUSE_NORMAL_TEMPORARY_FAILURE);
		pri_leg_lost(pl, PRI_CAUSE_NORMAL_TEMPORARY_FAILURE);
		n++;
	}
	if (all)
		LOGN(LSS_Q931, "span %s: RESTART of the interface from the far end, %d call(s) cleared",
		     sp->cfg->name, n);
	else if (!n)
		LOGI(LSS_Q931, "span %s: RESTART of idle B-channel %d from the far end", sp->cfg->name,
		     chan);
}

/* SERVICE from the far end (AT&T / NI-2 maintenance; libpri answers SERVICE
 * ACKNOWLEDGE by itself): a B-channel taken out of service is not hunted
 * for new calls until it is back; a call up on it goes on (the far end
 * takes it out of service once idle). */
void span_on_service(struct span *sp, int evchan, int status)
{
	int chan = PRI_CHANNEL(evchan);

	if (!span_chan_valid(sp, chan)) {
		LOGN(LSS_Q931, "span %s: SERVICE for B-channel %d, not one of ours: ignored", sp->cfg->name, chan);
		return;
	}
	if (status == SPAN_SERVICE_IN) {
		sp->oos &= ~(1u << chan);
		LOGN(LSS_Q931, "span %s: B-channel %d back in service (SERVICE from the far end), %d of %d free",
		     sp->cfg->name, chan, span_free_chans(sp), sp->n_b);
	} else if (status == SPAN_SERVICE_OUT) {
		sp->oos |= 1u << chan;
		LOGN(LSS_Q931, "span %s: B-channel %d out of service (SERVICE from the far end)%s, %d of %d free",
		     sp->cfg->name, chan, sp->chans[chan] ? "; its call goes on" : "", span_free_chans(sp), sp->n_b);
	} else {
		LOGN(LSS_Q931, "span %s: SERVICE for B-channel %d with status %d: ignored", sp->cfg->name, chan,
		     status);
	}
}
