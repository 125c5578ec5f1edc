/* sipgw - what a span says about itself for sipgwctl show spans / show
 * channels (Cisco "show isdn status", Asterisk "pri show spans"): read from
 * its state, no Q.931 exchanged. SPDX-License-Identifier: GPL-2.0-only */
#include "q931/pri_internal.h"

#include <stdio.h>
#include <string.h>

static const char *const chan_state_names[SPAN_CH__COUNT] = {
	[SPAN_CH_IDLE] = "idle", [SPAN_CH_BUSY] = "busy", [SPAN_CH_RESTARTING] = "restarting",
	[SPAN_CH_OOS_FAR] = "out-of-service-far", [SPAN_CH_OOS_NEAR] = "out-of-service-near",
	[SPAN_CH_RESERVED] = "reserved-emergency",
};

const char *span_chan_state_name(enum span_chan_state st)
{
	return (unsigned)st < SPAN_CH__COUNT ? chan_state_names[st] : "?";
}

int span_is_bchan(const struct span *sp, int chan)
{
	return span_chan_valid(sp, chan);
}

static int bit(uint32_t mask, int chan)
{
	return chan > 0 && chan < SPAN_MAX_CHANS && (mask & (1u << chan));
}

/* The channel's state but for the emergency reserve, which is a count of
 * channels (span.h span_params.reserved), not particular ones. */
static enum span_chan_state chan_state(const struct span *sp, int chan)
{
	if (sp->chans[chan])
		return SPAN_CH_BUSY;
	if (span_chan_restarting(sp, chan))
		return SPAN_CH_RESTARTING;
	if (bit(sp->oos, chan))
		return SPAN_CH_OOS_FAR;
	if (span_chan_busied(sp, chan))
		return SPAN_CH_OOS_NEAR;
	return SPAN_CH_IDLE;
}

/* Which idle channels are the emergency reserve: the last ones in hunt
 * order, the ones a non-emergency call never gets to (pri_leg.c refuses
 * it while no more than the reserve is free). Bit per channel. */
static uint32_t reserve_mask(const struct span *sp)
{
	uint32_t m = 0;
	int left = sp->reserved;

	for (int k = sp->n_b - 1; k >= 0 && left > 0; k--) {
		int i = sp->cfg->hunt == HUNT_DESCENDING ? sp->n_b - 1 - k :
			sp->cfg->hunt == HUNT_ROUND_ROBIN ? (sp->rr_next + k) % sp->n_b : k;
		int c = sp->bchans[i];

		if (chan_state(sp, c) == SPAN_CH_IDLE) {
			m |= 1u << c;
			left--;
		}
	}
	return m;
}

static const char *type_name(enum span_type t)
{
	return t == SPAN_LOOPBACK ? "loopback" : t == SPAN_DAHDI ? "dahdi" : "?";
}

void span_info_get(const struct span *sp, struct span_info *si)
{
	const struct pri_leg *pl;
	const struct span *on = span_nfas_active((struct span *)sp);

	memset(si, 0, sizeof(*si));
	si->name = sp->cfg->name;
	si->type = type_name(sp->cfg->type);
	si->framing = span_framing_name(sp->cfg->framing);
	si->switchtype = sp->cfg->switch_name;
	si->role = sp->cfg->role == ROLE_NETWORK ? "network" : "cpe";
	si->dchan_up = sp->dchan_up;
	si->has_dchan = !sp->cfg->nfas_group || sp->cfg->nfas_d != NFAS_D_NONE;
	si->q921_up = si->has_dchan && sp->d_up;
	si->nfas_group = sp->cfg->nfas_group;
	si->nfas_d = !sp->cfg->nfas_group ? "" : sp->cfg->nfas_d == NFAS_D_PRIMARY ? "primary" :
		     sp->cfg->nfas_d == NFAS_D_BACKUP ? "backup" : "none";
	si->signalled_on = on->cfg->name;
	if (sp->hw_ops->alarms && sp->hw)
		sp->hw_ops->alarms(sp->hw, si->alarms, sizeof(si->alarms));
	else
		snprintf(si->alarms, sizeof(si->alarms), "%s", sp->peer_up ? "none" : "far end gone");
	si->n_b = sp->n_b;
	for (int i = 0; i < sp->n_b; i++) {
		int c = sp->bchans[i];

		switch (chan_state(sp, c)) {
		case SPAN_CH_BUSY:
			si->busy++;
			break;
		case SPAN_CH_IDLE:
			si->idle++;
			break;
		case SPAN_CH_RESTARTING:
			si->restarting++;
			break;
		default:
			break;
		}
		/* out of service counts whether or not a call still goes on */
		si->oos_far += bit(sp->oos, c);
		si->oos_near += span_chan_busied(sp, c);
	}
	si->reserved = __builtin_popcount(reserve_mask(sp));
	LIST_FOREACH(pl, &sp->legs, entry)
		si->calls += pri_leg_state(pl) != PRI_ST_RELEASED;
	si->service_messages = sp->cfg->service_messages;
	si->debug_q931 = sp->debug_q931;
}

int span_chan_info_get(const struct span *sp, struct span_chan_info *out, int max)
{
	uint32_t reserve = reserve_mask(sp);
	int n = 0;

	for (int i = 0; i < sp->n_b && n < max; i++) {
		int c = sp->bchans[i];
		struct span_chan_info *ci = &out[n++];
		const struct pri_leg *pl = sp->chans[c];

		memset(ci, 0, sizeof(*ci));
		ci->chan = c;
		ci->state = bit(reserve, c) ? SPAN_CH_RESERVED : chan_state(sp, c);
		ci->oos_far = bit(sp->oos, c);
		ci->oos_near = span_chan_busied(sp, c);
		ci->q931_state = ci->called = ci->calling = "";
		if (!pl)
			continue;
		ci->leg = &pl->base;
		ci->q931_state = pri_leg_state_name(pl);
		ci->outgoing = pl->called[0] != 0;
		ci->called = ci->outgoing ? pl->called : pl->si.called;
		ci->calling = ci->outgoing && pl->calling[0] ? pl->calling : pl->si.calling;
	}
	return n;
}
