/* sipgw-pbx - the switch's side of a transfer the gateway hands to the
 * network (NI-2 / 5ESS two B-channel transfer, DMS-100 release link trunk,
 * ETSI ECT: libpri's pri_channel_bridge()). libpri reports no event for a
 * received 2BCT invoke (it only answers it), so the request is seen in the
 * frame trace: a FACILITY from the gateway on a call. With --switch-transfer
 * the PBX does what the switch would: connect its two calls itself and
 * clear both towards the gateway, whose B-channels are then free.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <string.h>

#include "sim/pbx.h"

void pbx_xfer_frame(struct pbx *p, char dir, const char *line)
{
	if (p->opt.switch_transfer && dir == '<' && !strncmp(line, "FACILITY ", 9))
		p->xfer_asked = 1;
}

/* Out of libpri's read hook (a call may not be cleared inside it): once per tick. */
void pbx_xfer_poll(struct pbx *p)
{
	int n = 0;

	if (!p->xfer_asked)
		return;
	p->xfer_asked = 0;
	for (struct pbx_call *c = p->calls; c; c = c->next)
		n += c->q && c->connect_ms;
	pbx_out(p, PBX_EVENT, "transfer requested by the gateway: connecting its %d call(s) here, "
		"clearing them towards it", n);
	pbx_call_clear_all(p);
}
