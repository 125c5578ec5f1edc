/* sipgw - the media path of a call. SPDX-License-Identifier: GPL-2.0-only */
#include "rtp/media.h"

#include <string.h>

void media_join(struct media_port *a, struct media_port *b)
{
	media_part(a);
	media_part(b);
	a->peer = b;
	b->peer = a;
}

void media_part(struct media_port *p)
{
	if (!p)
		return;
	if (p->peer && p->peer->peer == p)
		p->peer->peer = NULL;
	p->peer = NULL;
}

void media_deliver(struct media_port *from, const int16_t *frame)
{
	struct media_port *to = from->peer;

	from->frames_in++;
	if (!to || !to->play)
		return;
	to->frames_out++;
	to->play(to, frame);
}

int media_peer_takes_dtmf(const struct media_port *from)
{
	return from->peer && from->peer->dtmf;
}

int media_dtmf(struct media_port *from, const struct media_dtmf *ev)
{
	struct media_port *to = from->peer;

	if (!to || !to->dtmf)
		return 0;
	to->dtmf(to, ev);
	return 1;
}

int media_pull(struct media_port *to, int16_t *frame)
{
	struct media_port *from = to->peer;

	return from && from->pull ? from->pull(from, frame) : 0;
}
