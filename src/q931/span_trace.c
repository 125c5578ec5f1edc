/* sipgw - a span's D-channel frames to the trace (core/trace.h): the pcap
 * gets every Q.921 frame, the ladders the Q.931 messages with the call
 * reference and channel that tell which call they are of.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "q931/pri_internal.h"

#include <stdio.h>

#include "core/trace.h"
#include "q931/q931_trace.h"

void span_trace_frame(struct span *sp, int sent, const void *buf, int len)
{
	struct trace_q931 q = { .span = sp->cfg->name, .network = sp->cfg->role == ROLE_NETWORK,
				.sent = sent, .frame = buf, .len = len > 0 ? (size_t)len : 0, .chan = -1 };
	struct q931_ident id;
	char summary[256], label[48];

	if (len <= 0)
		return;
	if (!q931_trace_ident(buf, (size_t)len, &id) &&
	    !q931_trace_frame(buf, (size_t)len, summary, sizeof(summary))) {
		/* the figures' names; the cause beside them, as an engineer asks it first */
		if (!id.name)
			snprintf(label, sizeof(label), "MSG 0x%02x", id.type);
		else if (id.cause >= 0)
			snprintf(label, sizeof(label), "%s (cause %d)", id.name, id.cause);
		else
			snprintf(label, sizeof(label), "%s", id.name);
		q.label = label;
		q.summary = summary;
		q.cref = id.cref;
		q.chan = id.chan;
		q.setup = id.type == Q931_MSG_SETUP;
	}
	trace_q931(sp->trace, &q);
}
