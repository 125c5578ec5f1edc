/* sipgw - whether a span can carry a new call now, for the SIP side's
 * OPTIONS answer (a dispatcher's probe): read from the span's state, no
 * Q.931 exchanged. SPDX-License-Identifier: GPL-2.0-only */
#include "q931/pri_internal.h"

#include <errno.h>

int span_callable_chans(const struct span *sp)
{
	int free_chans;

	if (!sp->dchan_up)	/* NFAS: on some D-channel of its group */
		return -ENETDOWN;
	free_chans = span_free_chans(sp);
	/* the reserved ones are for emergency calls only (figure B-22) */
	return free_chans > sp->reserved ? free_chans - sp->reserved : 0;
}
