/* sipgw - the media path of a call: two ports that hand each other 20 ms
 * G.711 frames, transcoding between laws on the way. The bridge joins and
 * parts ports; it never sees sockets. SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_RTP_MEDIA_H
#define SIPGW_RTP_MEDIA_H

#include <stddef.h>
#include <stdint.h>

#include "dsp/g711.h"

#define MEDIA_FRAME 160	/* 20 ms at 8 kHz */

struct media_port;

/** Play one frame out of this port (towards its B-channel or RTP peer). */
typedef void (media_play_h)(struct media_port *mp, const uint8_t *frame, size_t len);

struct media_port {
	const char *kind;		/* "pri" / "rtp", for logs */
	enum g711_law law;		/* the law frames have on this port */
	media_play_h *play;
	void *owner;
	struct media_port *peer;	/* where frames heard on this port go */
	unsigned long frames_in, frames_out;
};

/** Join two ports both ways; audio flows at once (cut-through). */
void media_join(struct media_port *a, struct media_port *b);
/** Undo media_join for whichever pair p belongs to. */
void media_part(struct media_port *p);
/** A frame was heard on port from: pass it to its peer, transcoding if the laws differ. */
void media_deliver(struct media_port *from, const uint8_t *frame, size_t len);

#endif
