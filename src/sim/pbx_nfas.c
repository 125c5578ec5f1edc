/* sipgw - PBX simulator: the spans and D-channels of an NFAS group.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "pbx.h"

#include <stdio.h>
#include <unistd.h>

#include "core/log.h"

/* libpri.h documents the bit ("C - DS1 Explicit bit") but names it not. */
#define PBX_PRI_EXPLICIT	0x10000
#define PBX_PRI_IFACE(x)	(((x) >> 8) & 0xff)
#define PBX_PRI_CHAN(x)		((x) & 0xff)

struct pbx_iface *pbx_iface_find(struct pbx *p, int iface)
{
	for (int i = 0; i < p->n_ifc; i++)
		if (p->ifc[i].iface == iface)
			return &p->ifc[i];
	return NULL;
}

/* Q.931 4.5.13 octet 3.1: with NFAS the Channel identification names the
 * interface explicitly (libpri: chan | ds1 << 8 | explicit). Without NFAS
 * the value stays the bare channel, as the existing flows see it. */
int pbx_chan_encode(const struct pbx *p, int iface, int chan)
{
	if (!p->opt.nfas)
		return chan;
	return chan | iface << 8 | PBX_PRI_EXPLICIT;
}

void pbx_chan_decode(const struct pbx_dchan *d, int evchan, int *ifacep, int *chanp)
{
	*chanp = evchan < 0 ? evchan : PBX_PRI_CHAN(evchan);
	if (evchan >= 0 && (evchan & PBX_PRI_EXPLICIT))
		*ifacep = PBX_PRI_IFACE(evchan);
	else
		*ifacep = d->ifc->iface;	/* implicit: the D-channel's own span */
}

struct pbx_chan_str pbx_chan_str(const struct pbx *p, const char *key, int iface, int chan)
{
	struct pbx_chan_str out;

	if (p->opt.nfas)
		snprintf(out.s, sizeof(out.s), "%s=%d iface=%d", key, chan, iface);
	else
		snprintf(out.s, sizeof(out.s), "%s=%d", key, chan);
	return out;
}

int pbx_dchan_gone(const struct pbx_dchan *d)
{
	return !d || d->gone;
}

/* As Asterisk's sig_pri pri_find_dchan: the primary while its link is up,
 * else the backup; with none up, the first one not gone (new calls wait
 * for dchan_up anyway). */
void pbx_nfas_active(struct pbx *p)
{
	struct pbx_dchan *best = NULL;

	for (int i = 0; i < p->n_d && !best; i++)
		if (!p->d[i].gone && p->d[i].up)
			best = &p->d[i];
	for (int i = 0; i < p->n_d && !best; i++)
		if (!p->d[i].gone)
			best = &p->d[i];
	p->d_active = best;
	p->pri = best ? best->pri : NULL;
	if (p->opt.nfas && best && best != p->d_said && best->up) {
		p->d_said = best;
		pbx_out(p, PBX_EVENT, "nfas active iface=%d", best->ifc->iface);
	}
}

void pbx_nfas_dchan_state(struct pbx_dchan *d, int up)
{
	struct pbx *p = d->pbx;
	int any = 0, was = p->dchan_up;

	if (p->opt.nfas && d->up != up)
		pbx_out(p, PBX_EVENT, "nfas dchan iface=%d %s", d->ifc->iface, up ? "up" : "down");
	d->up = up;
	for (int i = 0; i < p->n_d; i++)
		any |= p->d[i].up && !p->d[i].gone;
	p->dchan_up = any;
	pbx_nfas_active(p);
	if (any && !was)
		pbx_out(p, PBX_EVENT, "dchan up");
	if (!any && was)
		pbx_out(p, PBX_EVENT, "dchan down");
	/* Q.931 5.5: the far end restarts the idle channels when the link
	 * comes up; with NFAS, when the first of the group's comes up (a
	 * backup taking over restarts nothing: the calls stay). */
	if (up && (!was || !p->opt.nfas))
		pbx_call_dchan_up(p);
	else if (up && d == &p->d[0])
		pbx_call_place_more(p);	/* the primary after the backup: calls may start */
}

/* --drop-dchan-at: as a PBX whose primary D-channel's timeslot fails. The
 * socket closes and the instance is abandoned: libpri 1.6 cannot free one,
 * and a link that comes back would be a new instance. The calls stay on
 * their B-channels; the gateway goes on with the backup. */
void pbx_nfas_timers(struct pbx *p, long long now)
{
	struct pbx_dchan *d = &p->d[0];

	if (p->opt.drop_dchan_at < 0 || p->d_dropped || !p->first_connect_ms ||
	    now < p->first_connect_ms + (long long)(p->opt.drop_dchan_at * 1000))
		return;
	p->d_dropped = 1;
	if (d->gone)
		return;
	if (d->dfd >= 0)
		close(d->dfd);
	d->dfd = -1;
	d->gone = 1;
	pbx_out(p, PBX_EVENT, "nfas dchan iface=%d dropped", d->ifc->iface);
	pbx_nfas_dchan_state(d, 0);
}

int pbx_chans_total(const struct pbx *p)
{
	int n = 0;

	for (int i = 0; i < p->n_ifc; i++)
		for (int ch = 1; ch <= PBX_MAX_CHAN; ch++)
			n += pbx_chan_valid(p, p->ifc[i].iface, ch);
	return n;
}

int pbx_chans_restarted(const struct pbx *p)
{
	int n = 0;

	for (int i = 0; i < p->n_ifc; i++)
		for (int ch = 1; ch <= PBX_MAX_CHAN; ch++)
			n += pbx_chan_valid(p, p->ifc[i].iface, ch) &&
			     (p->ifc[i].restarted & (1u << ch));
	return n;
}

/* Has the gateway restarted every B-channel it should have? Those with a
 * live call of ours (libpri kept it over a link failure) it leaves alone;
 * the rest, including those of calls left hanging, it restarts. */
int pbx_restarts_complete(struct pbx *p)
{
	for (int i = 0; i < p->n_ifc; i++) {
		struct pbx_iface *ifc = &p->ifc[i];

		for (int ch = 1; ch <= PBX_MAX_CHAN; ch++) {
			struct pbx_call *c = pbx_call_by_chan(p, ifc->iface, ch);

			if (pbx_chan_valid(p, ifc->iface, ch) && !(ifc->restarted & (1u << ch)) &&
			    !(c && c->q))
				return 0;
		}
	}
	return 1;
}

int pbx_restarts_pending(const struct pbx *p)
{
	for (int i = 0; i < p->n_ifc; i++)
		if (p->ifc[i].restarting)
			return 1;
	return 0;
}
