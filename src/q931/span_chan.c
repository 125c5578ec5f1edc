/* sipgw - a span's B-channels: which are valid, usable and free, hunting
 * by the span's order, a leg taking and giving one back, and the back end's
 * frames from the line to the leg holding the channel.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "q931/pri_internal.h"

#include "core/log.h"

int span_chan_valid(const struct span *sp, int chan)
{
	for (int i = 0; i < sp->n_b; i++)
		if (sp->bchans[i] == chan)
			return 1;
	return 0;
}

int span_chan_restarting(const struct span *sp, int chan)
{
	return chan > 0 && chan < SPAN_MAX_CHANS && (sp->restart_wait & (1u << chan));
}

/* Out of service by a SERVICE message (maintenance), busied out by the
 * operator, or restarting: not to be hunted for a new call. */
static int span_chan_unusable(const struct span *sp, int chan)
{
	return span_chan_restarting(sp, chan) || span_chan_busied(sp, chan) ||
	       (chan > 0 && chan < SPAN_MAX_CHANS && (sp->oos & (1u << chan)));
}

void span_chan_take(struct span *sp, struct pri_leg *pl, int chan)
{
	pl->chan = chan;
	sp->chans[chan] = pl;
}

void span_chan_put(struct span *sp, struct pri_leg *pl)
{
	if (!pl->chan || sp->chans[pl->chan] != pl)
		return;
	sp->chans[pl->chan] = NULL;
	LOGI(LSS_Q931, "span %s: B-channel %d free, %d of %d B-channels free", sp->cfg->name, pl->chan,
	     span_free_chans(sp), sp->n_b);
	span_busy_chan_idle(sp, pl->chan);
}

int span_free_chans(const struct span *sp)
{
	int n = 0;

	for (int i = 0; i < sp->n_b; i++)
		n += !sp->chans[sp->bchans[i]] && !span_chan_unusable(sp, sp->bchans[i]);
	return n;
}

/* Pick a free B-channel by the span's hunt order; -1 when all are busy. */
int span_hunt(struct span *sp)
{
	for (int k = 0; k < sp->n_b; k++) {
		int i;
		switch (sp->cfg->hunt) {
		case HUNT_DESCENDING:
			i = sp->n_b - 1 - k;
			break;
		case HUNT_ROUND_ROBIN:
			i = (sp->rr_next + k) % sp->n_b;
			break;
		default:
			i = k;
		}
		if (!sp->chans[sp->bchans[i]] && !span_chan_unusable(sp, sp->bchans[i])) {
			sp->rr_next = (i + 1) % sp->n_b;
			return sp->bchans[i];
		}
	}
	return -1;
}

void b_frame(void *arg, int chan, const uint8_t *frame, size_t len)
{
	struct span *sp = arg;

	if (!span_chan_valid(sp, chan)) {
		/* not a B-channel of this span: malformed, dropped and counted */
		sp->bad_chan++;
		LOGW_LIMIT(&sp->lim_bad_chan, LSS_Q931,
			   "span %s: B-channel datagram for channel %d, not a B-channel here: dropped "
			   "(%lu so far)", sp->cfg->name, chan, sp->bad_chan);
		return;
	}
	if (sp->chans[chan] && span_rx_take(sp, sp->chans[chan], chan, frame, len) < 0)
		pri_leg_frame_in(sp->chans[chan], frame, len);
}
