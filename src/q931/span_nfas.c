/* sipgw - NFAS: several T1 spans whose calls are signalled on one D-channel
 * (Q.931 Annex F; ANSI T1.607 / Telcordia "D-channel backup"), a primary
 * and optionally a backup on another span. The members keep their own
 * B-channels, hunting and maintenance; what they share is the libpri
 * instance their calls go on (span->pri), which follows the D-channel that
 * is up: the primary while it is, else the backup, as chan_dahdi's sig_pri
 * does. SPDX-License-Identifier: GPL-2.0-only */
#include "q931/pri_internal.h"

#include <errno.h>
#include <stdlib.h>

#include "core/log.h"
#include "core/loop.h"

#define NFAS_MAX_MEMBERS CFG_MAX_SPANS

struct nfas_group {
	int id;
	struct span *members[NFAS_MAX_MEMBERS];
	int n;
	struct span *d[2];		/* the primary's span, the backup's (or NULL) */
	struct span *active;		/* whose D-channel the calls go on */
	int up;				/* some D-channel of the group is up */
};

static const char *nfas_d_name(const struct span *d)
{
	return d->cfg->nfas_d == NFAS_D_PRIMARY ? "primary" : "backup";
}

int span_nfas_link(struct span **spans, int n)
{
	for (int i = 0; i < n; i++) {
		struct span *sp = spans[i];
		struct nfas_group *g = NULL;

		if (!sp->cfg->nfas_group || sp->nfas)
			continue;
		for (int k = 0; k < n; k++) {
			struct span *m = spans[k];

			if (m->cfg->nfas_group != sp->cfg->nfas_group)
				continue;
			if (!g) {
				if (!(g = calloc(1, sizeof(*g))))
					return -ENOMEM;
				g->id = sp->cfg->nfas_group;
			}
			if (g->n == NFAS_MAX_MEMBERS)
				break;	/* the config has no more spans than this */
			g->members[g->n++] = m;
			m->nfas = g;
			if (m->cfg->nfas_d != NFAS_D_NONE)
				g->d[m->cfg->nfas_d == NFAS_D_BACKUP] = m;
		}
		LOGN(LSS_Q931, "NFAS group %d: %d span(s), primary D-channel on span %s%s%s", g->id, g->n,
		     g->d[0] ? g->d[0]->cfg->name : "?", g->d[1] ? ", backup on span " : ", no backup",
		     g->d[1] ? g->d[1]->cfg->name : "");
		span_nfas_update(g);
	}
	return 0;
}

void span_nfas_leave(struct span *sp)
{
	struct nfas_group *g = sp->nfas;
	int left = 0;

	if (!g)
		return;
	for (int i = 0; i < g->n; i++) {
		if (g->members[i] == sp)
			g->members[i] = NULL;
		left += g->members[i] != NULL;
	}
	for (int i = 0; i < 2; i++)
		if (g->d[i] == sp)
			g->d[i] = NULL;
	if (g->active == sp)
		g->active = NULL;
	sp->nfas = NULL;
	if (!left)
		free(g);
}

/* libpri instances of one NFAS group share one call pool (pri_enslave): a
 * call made on one D-channel can be signalled on the other. The first to
 * start is the master. */
void span_nfas_started(struct span *d)
{
	struct nfas_group *g = d->nfas;

	if (!g)
		return;
	for (int i = 0; i < 2; i++)
		if (g->d[i] && g->d[i] != d && g->d[i]->dpri) {
			pri_enslave(g->d[i]->dpri, d->dpri);
			break;
		}
	span_nfas_update(g);
}

static int nfas_calls(const struct nfas_group *g)
{
	int n = 0;

	for (int i = 0; i < g->n; i++) {
		const struct pri_leg *pl;

		if (!g->members[i])
			continue;
		LIST_FOREACH(pl, &g->members[i]->legs, entry)
			n += pri_leg_state(pl) != PRI_ST_RELEASED;
	}
	return n;
}

/* The group has a D-channel again: as a span's own D-channel up, its
 * members RESTART their idle B-channels (Q.931 5.5). Its last D-channel
 * gone: no call of the group can be signalled any more (libpri leaves
 * NFAS calls to us here, q931_dl_event): they clear with cause 38. */
static void nfas_up_down(struct nfas_group *g, int up)
{
	for (int i = 0; i < g->n; i++) {
		struct span *m = g->members[i];
		struct pri_leg *pl, *next;

		if (!m)
			continue;
		if (up) {
			span_restart_idle(m);
			continue;
		}
		m->restart_wait = 0;
		loop_timer_stop(m->t316);
		/* pri_leg_lost() may free pl, and only pl */
		for (pl = LIST_FIRST(&m->legs); pl; pl = next) {
			next = LIST_NEXT(pl, entry);
			if (pri_leg_state(pl) != PRI_ST_RELEASED)
				pri_leg_lost(pl, PRI_CAUSE_NETWORK_OUT_OF_ORDER);
		}
	}
}

void span_nfas_update(struct nfas_group *g)
{
	struct span *prim = g->d[0], *back = g->d[1], *was = g->active, *act;
	struct pri *pri;
	int was_up = g->up;

	act = prim && prim->d_up ? prim : back && back->d_up ? back : prim ? prim : back;
	g->active = act;
	g->up = act && act->d_up;
	/* while no D-channel has started, the members' calls are refused
	 * (dchan_up 0); once one has, all signal on it */
	pri = act && act->dpri ? act->dpri : prim && prim->dpri ? prim->dpri : back ? back->dpri : NULL;
	for (int i = 0; i < g->n; i++)
		if (g->members[i]) {
			g->members[i]->pri = pri;
			g->members[i]->dchan_up = g->up;
		}
	if (g->up && was_up && act != was)
		LOGN(LSS_Q931, "NFAS group %d: switched to the %s D-channel on span %s; %d call(s) go on",
		     g->id, nfas_d_name(act), act->cfg->name, nfas_calls(g));
	if (g->up && !was_up) {
		LOGN(LSS_Q931, "NFAS group %d: up, on the %s D-channel on span %s", g->id, nfas_d_name(act),
		     act->cfg->name);
		nfas_up_down(g, 1);
	} else if (!g->up && was_up) {
		LOGN(LSS_Q931, "NFAS group %d: no D-channel left; its %d call(s) clear with cause %d", g->id,
		     nfas_calls(g), PRI_CAUSE_NETWORK_OUT_OF_ORDER);
		nfas_up_down(g, 0);
	}
}

static struct span *nfas_member(const struct nfas_group *g, int iface)
{
	for (int i = 0; i < g->n; i++)
		if (g->members[i] && g->members[i]->cfg->nfas_int == iface)
			return g->members[i];
	return NULL;
}

/* The channel of an event that is about channels, not calls; -1: none. */
static int nfas_event_chan(const pri_event *ev, int *is_setup)
{
	*is_setup = ev->e == PRI_EVENT_RING;
	switch (ev->e) {
	case PRI_EVENT_RING:
		return ev->ring.channel;
	case PRI_EVENT_RESTART:
		return ev->restart.channel;
	case PRI_EVENT_RESTART_ACK:
		return ev->restartack.channel;
	case PRI_EVENT_SERVICE:
		return ev->service.channel;
	case PRI_EVENT_SERVICE_ACK:
		return ev->service_ack.channel;
	default:
		return -2;
	}
}

struct span *span_nfas_target(struct span *d, const pri_event *ev, int *refusep)
{
	struct nfas_group *g = d->nfas;
	int is_setup, ch = nfas_event_chan(ev, &is_setup);
	q931_call *qc;
	struct span *m;

	*refusep = 0;
	if (ch >= -1) {
		/* No interface identifier: the interface that carries this
		 * D-channel (Q.931 4.5.13, octet 3 bit 7 "interface implicitly
		 * identified"). */
		if (ch < 0 || !(ch & PRI_CHAN_EXPLICIT))
			return d;
		if ((m = nfas_member(g, PRI_IFACE(ch))))
			return m;
		LOGN(LSS_Q931, "NFAS group %d: %s for interface %d, not one of the group's%s", g->id,
		     is_setup ? "SETUP" : pri_event2str(ev->e), PRI_IFACE(ch), is_setup ? ": cause 82" : "");
		if (is_setup)
			*refusep = PRI_CAUSE_IDENTIFIED_CHANNEL_NOTEXIST;
		return NULL;
	}
	/* a call's event: the member holding the call. libpri now binds the
	 * call to the link it came on (q931_find_call), and so do we. */
	if ((qc = span_event_call(ev)))
		for (int i = 0; i < g->n; i++) {
			struct pri_leg *pl;

			if (!g->members[i])
				continue;
			LIST_FOREACH(pl, &g->members[i]->legs, entry)
				if (pl->qc == qc) {
					pl->dspan = d;
					return g->members[i];
				}
		}
	return d;
}

int span_nfas_dspans(struct span *sp, struct span **out, int max)
{
	int n = 0;

	if (!sp->nfas) {
		out[0] = sp;
		return 1;
	}
	for (int i = 0; i < 2 && n < max; i++)
		if (sp->nfas->d[i])
			out[n++] = sp->nfas->d[i];
	return n;
}

struct span *span_nfas_active(struct span *sp)
{
	return sp->nfas && sp->nfas->active ? sp->nfas->active : sp;
}

int span_nfas_link_lost(const struct pri_leg *pl)
{
	const struct span *sp = pl->span;

	return sp->nfas && pl->dspan && !pl->dspan->d_up && sp->dchan_up;
}

int span_wire_chan(const struct span *sp, int chan)
{
	if (!sp->nfas || chan <= 0)
		return chan;
	return chan | sp->cfg->nfas_int << 8 | PRI_CHAN_EXPLICIT;
}
