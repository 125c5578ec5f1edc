/* sipgw - a span's 20 ms media tick, timed: each tick's lateness against
 * the span's ideal tick times goes to its media thread's figures
 * (core/media_late.h), with the frames it sent and those it could not.
 * The one clock read per tick is CLOCK_MONOTONIC through the vDSO.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "q931/pri_internal.h"

#include <errno.h>

/* A card's crystal is within +-100 ppm of nominal (G.823 asks the line for
 * +-50 ppm): the ideal time may creep that far towards a slow card, so
 * its clock is not counted late for being slow. */
#define SPAN_CARD_DRIFT_PPM 100

void span_media_clock_start(struct span *sp)
{
	media_clock_start(&sp->mclk, 20,
			  sp->hw_ops->clocks_media ? SPAN_CARD_DRIFT_PPM : 0);
}

void span_media_tick(struct span *sp)
{
	unsigned sent = 0, lost = 0, missed;
	long long late = media_clock_tick(&sp->mclk, media_now_ns(), &missed);

	/* the span's frames go to the wire together (span_hw.h) */
	if (sp->hw_ops->b_batch_begin)
		sp->hw_ops->b_batch_begin(sp->hw);
	for (int i = 0; i < sp->n_b; i++) {
		struct pri_leg *pl = sp->chans[sp->bchans[i]];
		int rc;

		if (!pl)
			continue;
		rc = pri_leg_tick(pl);
		if (rc > 0)
			sent++;
		/* a far end not connected (yet) hears nothing either way; a
		 * full socket or card buffer loses the frame */
		else if (rc < 0 && rc != -ENOTCONN)
			lost++;
	}
	if (sp->hw_ops->b_batch_end) {
		unsigned dropped = sp->hw_ops->b_batch_end(sp->hw);

		sent -= dropped < sent ? dropped : sent;
		lost += dropped;
	}
	media_late_tick(sp->late, late, sent);
	/* the ticks the card lost had as many frames due as this one */
	lost += missed * (sent + lost);
	if (lost)
		media_late_drop(sp->late, lost);
}

void span_media_waited(void *arg, int chan, long long waited_ns)
{
	struct span *sp = arg;

	/* only a frame that goes on to a call: the others are thrown away */
	if (waited_ns >= 0 && span_chan_valid(sp, chan) && sp->chans[chan])
		media_late_rx(sp->late, waited_ns);
}
