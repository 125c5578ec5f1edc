/* sipgw - PBX simulator: what the command line asks of the calls: our
 * SETUPs (--call, --count, --concurrency, --overlap, ...) on a free
 * B-channel, the wait for the far end's RESTARTs at D-channel up,
 * --oos / --ins-after-calls SERVICE, --restart-at, and when all is done.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "pbx.h"

#include <errno.h>
#include <libpri.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"

/* How long to wait at D-channel up for the far end's RESTARTs before
 * placing calls anyway (a far end that sends none). */
#define PBX_RESTART_WAIT_MS 1000

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

int chan_pick(struct pbx *p, int iface, int wanted)
{
	if (chan_valid(p, iface, wanted) && !chan_busy(p, iface, wanted))
		return wanted;
	for (int ch = 1; ch <= PBX_MAX_CHAN; ch++)
		if (chan_valid(p, iface, ch) && !chan_busy(p, iface, ch))
			return ch;
	return -EBUSY;
}

/* SETUP (Q.931 5.1.1) on B-channel want of iface if free (0: the first
 * free one), on the active D-channel. */
int call_place(struct pbx *p, int iface, int want)
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
	rc = pbx_call_alloc(&c, d, q, iface, chan, 1);
	if (rc < 0) {
		pri_sr_free(sr);
		pri_destroycall(d->pri, q);
		return rc;
	}
	/* Exclusive: the channel is ours, the network may not pick another
	 * (Q.931 4.5.13 octet 3 bit 4); preferred: it may. */
	pri_sr_set_channel(sr, pbx_chan_encode(p, iface, chan), !o->preferred, 0);
	/* --data-call: 64 kbit/s unrestricted digital (Q.931 4.5.5), no layer 1 protocol */
	if (o->data_call)
		pri_sr_set_bearer(sr, PRI_TRANS_CAP_DIGITAL, 0);
	else
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

/* --oos, --ins-after-calls: a SERVICE message for one B-channel (AT&T /
 * NI-2 maintenance), as a PBX's craft terminal would send it. */
void pbx_service(struct pbx *p, int in)
{
	int iface = p->opt.nfas ? p->opt.call_iface : 0;

	if (!p->pri)
		return;
	pbx_out(p, PBX_EVENT, "service %s %s", CHAN_STR(p, iface, p->opt.oos_chan), in ? "in" : "out");
	pri_maintenance_service(p->pri, iface, p->opt.oos_chan, in ? 0 : 2);
}

void restart_wait_over(struct pbx *p, const char *why)
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

int pbx_call_done(const struct pbx *p)
{
	/* --glare places one call (to --call or the default) and answers one. */
	int want_out = p->opt.call ? p->opt.count : p->opt.glare;
	int want_in = (!p->opt.call || p->opt.glare) ? p->opt.calls_in : 0;

	if (p->restart_sent == 1 || pbx_restarts_pending(p))
		return 0;	/* --restart-at, a gone D-channel: wait for RESTART ACKNOWLEDGE */
	return p->ended - p->incoming_ended >= want_out && p->incoming_ended >= want_in;
}
