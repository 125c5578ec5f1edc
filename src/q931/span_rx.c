/* sipgw - a span's frames from one read, worked on together: each decoded
 * and watched for fax tones in turn, then every echo canceller of the
 * batch at once on the DSP pool (core/workpool.h: the caller and a helper
 * thread per other core), then each passed on in the order it came. The
 * canceller is some two thirds of a call's CPU with SpeexDSP (issue 14);
 * a canceller touches only its own leg's state (pri_leg_frame_ec), and a
 * leg appears in a batch at most once (a second frame for it flushes the
 * batch first), so the jobs share nothing. The batch lives for one read,
 * on the signalling thread: legs cannot go away inside it.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "q931/pri_internal.h"

#include <string.h>

#include "core/log.h"
#include "core/workpool.h"

#define RX_BATCH 32

struct rx_frame {
	struct pri_leg *pl;
	int chan;
	int ec;				/* waits for its canceller */
	int16_t in[MEDIA_FRAME];
};

static struct {
	struct span *sp;		/* in a batch: the span; NULL none */
	unsigned n;
	struct rx_frame f[RX_BATCH];
	unsigned ec_idx[RX_BATCH];	/* the frames whose canceller runs */
} rx;

static struct workpool *dsp_pool;

void span_dsp_pool_set(struct workpool *wp)
{
	dsp_pool = wp;
}

static void ec_job(void *ctx, unsigned i)
{
	struct rx_frame *f = &rx.f[rx.ec_idx[i]];

	pri_leg_frame_ec(f->pl, f->in);
}

static void rx_flush(void)
{
	unsigned n_ec = 0;

	for (unsigned i = 0; i < rx.n; i++)
		if (rx.f[i].ec)
			rx.ec_idx[n_ec++] = i;
	workpool_run(dsp_pool, n_ec, ec_job, NULL);
	for (unsigned i = 0; i < rx.n; i++) {
		struct rx_frame *f = &rx.f[i];

		/* the leg still holds its channel (nothing in a batch frees it) */
		if (rx.sp->chans[f->chan] == f->pl)
			pri_leg_frame_on(f->pl, f->in);
	}
	rx.n = 0;
}

void span_rx_batch(void *arg, int end)
{
	struct span *sp = arg;

	if (!end) {
		if (rx.sp)
			rx_flush();
		rx.sp = sp;
		rx.n = 0;
		return;
	}
	if (rx.sp == sp)
		rx_flush();
	rx.sp = NULL;
}

/* b_frame's leg, in a batch: held for rx_flush. 0 when held or delivered,
 * -1 when there is no batch (b_frame goes on the one frame itself). */
int span_rx_take(struct span *sp, struct pri_leg *pl, int chan, const uint8_t *frame, size_t len)
{
	struct rx_frame *f;
	int rc;

	if (rx.sp != sp)
		return -1;
	for (unsigned i = 0; i < rx.n; i++)
		if (rx.f[i].pl == pl) {		/* its second frame: the first goes on first */
			rx_flush();
			break;
		}
	if (rx.n == RX_BATCH)
		rx_flush();
	f = &rx.f[rx.n];
	rc = pri_leg_frame_pre(pl, frame, len, f->in);
	if (rc < 0)
		return 0;		/* a clear channel's frame: already on its way */
	f->pl = pl;
	f->chan = chan;
	f->ec = rc;
	rx.n++;
	return 0;
}
