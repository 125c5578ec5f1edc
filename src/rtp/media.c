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

void media_deliver(struct media_port *from, const uint8_t *frame, size_t len)
{
	struct media_port *to = from->peer;
	uint8_t buf[MEDIA_FRAME];

	from->frames_in++;
	if (!to || !to->play)
		return;
	if (len > sizeof(buf))
		len = sizeof(buf);
	if (to->law != from->law) {
		memcpy(buf, frame, len);
		g711_law_transcode(from->law, to->law, buf, len);
		frame = buf;
	}
	to->frames_out++;
	to->play(to, frame, len);
}
