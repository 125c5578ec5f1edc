/* sipgw - a span's figures for metrics: B-channels in calls, not usable,
 * D-channel up. Read from the span's state; no Q.931. SPDX-License-Identifier: GPL-2.0-only */
#include "q931/pri_internal.h"

void span_counts(const struct span *sp, struct span_counts *out)
{
	*out = (struct span_counts){ .chans = sp->n_b, .dchan_up = !!sp->dchan_up };
	for (int i = 0; i < sp->n_b; i++)
		out->busy += !!sp->chans[sp->bchans[i]];
	out->unusable = sp->n_b - out->busy - span_free_chans(sp);
}
