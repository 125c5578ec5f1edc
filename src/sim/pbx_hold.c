/* sipgw - PBX simulator: holding the gateway's party by NOTIFY remote hold /
 * remote retrieval (Q.931 4.5.22, ETS 300 141), and the NOTIFYs it sends us.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "pbx.h"

#include <libpri.h>

static void hold_all(struct pbx *p, int held)
{
	for (struct pbx_call *c = p->calls; c; c = c->next) {
		if (!c->q || !c->chan || c->fi.state != PCALL_ACTIVE)
			continue;
		if (pri_notify(c->d->pri, c->q, pbx_chan_encode(p, c->iface, c->chan),
			       held ? PRI_NOTIFY_REMOTE_HOLD : PRI_NOTIFY_REMOTE_RETRIEVAL))
			pbx_out(p, PBX_EVENT, "call %d %s: the switch type sends no such NOTIFY", c->id,
				held ? "hold" : "retrieve");
		else
			pbx_out(p, PBX_EVENT, "call %d %s", c->id, held ? "held" : "retrieved");
	}
}

void pbx_hold_timers(struct pbx *p, long long now)
{
	if (!p->first_connect_ms)
		return;
	if (p->opt.hold_at > 0 && p->hold_sent == 0 &&
	    now >= p->first_connect_ms + (long long)(p->opt.hold_at * 1000)) {
		p->hold_sent = 1;
		hold_all(p, 1);
	}
	if (p->opt.retrieve_at > 0 && p->hold_sent == 1 &&
	    now >= p->first_connect_ms + (long long)(p->opt.retrieve_at * 1000)) {
		p->hold_sent = 2;
		hold_all(p, 0);
	}
}

void pbx_hold_notified(struct pbx_call *c, int info)
{
	if (info == PRI_NOTIFY_REMOTE_HOLD)
		pbx_out(c->pbx, PBX_EVENT, "call %d notify remote-hold", c->id);
	else if (info == PRI_NOTIFY_REMOTE_RETRIEVAL)
		pbx_out(c->pbx, PBX_EVENT, "call %d notify remote-retrieval", c->id);
	else
		pbx_out(c->pbx, PBX_EVENT, "call %d notify 0x%02x", c->id, info);
}
