/* sipgw - span back ends: how a span's D-channel frames and B-channel audio
 * reach the wire. Loopback (sockets) and DAHDI (cards); the Q.931 code sees
 * only these ops. SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_HW_SPAN_HW_H
#define SIPGW_HW_SPAN_HW_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct su_root_s;
struct cfg_span;
struct span_hw;

/* link()'s news. UP: a far end came and starts Q.921 itself (its SABME comes
 * first). RESTORED: the line is back from an alarm with its far end still on
 * it, which may not notice for a while (T203) that the link was lost, so the
 * span establishes the data link from its side (Q.921 5.5.1). */
#define SPAN_HW_LINK_DOWN 0
#define SPAN_HW_LINK_UP 1
#define SPAN_HW_LINK_RESTORED 2

struct span_hw_cbs {
	void (*d_readable)(void *arg);				/* a D-channel frame waits */
	void (*link)(void *arg, int connected);			/* SPAN_HW_LINK_*: far end came or went */
	void (*b_frame)(void *arg, int chan, const uint8_t *frame, size_t len);
	/* 20 ms of audio passed on the line: only back ends with clocks_media
	 * call it, once per 160 samples the hardware delivers. */
	void (*tick)(void *arg);
	/* Optional, just before b_frame: how long that frame waited between
	 * its arrival and our read, in ns (-1 unknown), for the media
	 * lateness figures. Back ends whose frames come with the tick (a
	 * card) do not call it: the tick's lateness is theirs. */
	void (*b_waited)(void *arg, int chan, long long waited_ns);
	/* Optional, around the b_frame calls of one read that took many
	 * frames at once (end 0 before, 1 after): the span may hold them and
	 * work on them together (its DSP pool). */
	void (*b_rx_batch)(void *arg, int end);
};

struct span_hw_ops {
	const char *name;
	/* 1: the hardware clocks the span's audio (a card's B-channel read
	 * returns every 20 ms) and the back end calls cbs->tick from it; the
	 * span then runs no 20 ms ticker of its own, so media follows the
	 * line's clock and no slips build up. 0: the span's own ticker. */
	int clocks_media;
	int (*open)(struct span_hw **hwp, const struct cfg_span *cfg, struct su_root_s *root,
		    const struct span_hw_cbs *cbs, void *arg);
	void (*close)(struct span_hw *hw);
	/* One frame per call, with its 2 FCS bytes, as libpri reads from DAHDI. */
	ssize_t (*d_read)(struct span_hw *hw, void *buf, size_t len);
	ssize_t (*d_write)(struct span_hw *hw, const void *buf, size_t len);
	int (*b_write)(struct span_hw *hw, int chan, const uint8_t *frame, size_t len);
	/* Optional, around a span's 20 ms tick: the frames b_write takes in
	 * between go to the wire together at b_batch_end (one system call for
	 * the span's channels, not one each). b_batch_end returns how many of
	 * them were lost (a full socket), 0 when all went or no far end
	 * listens (it hears nothing either way). NULL: b_write sends at once. */
	void (*b_batch_begin)(struct span_hw *hw);
	unsigned (*b_batch_end)(struct span_hw *hw);
	/* Do the B-channels still carry audio after link() said the D-channel's
	 * far end went? (NFAS: a D-channel failure leaves the calls up; a line
	 * in alarm does not.) NULL: no. */
	int (*b_alive)(struct span_hw *hw);
	/* Optional: the line's alarms as a person reads them ("none", "red",
	 * "yellow, blue"), for sipgwctl show spans. NULL: the back end has
	 * none but "far end gone", which the span knows itself. */
	void (*alarms)(struct span_hw *hw, char *buf, size_t len);
};

extern const struct span_hw_ops loopback_hw_ops;
extern const struct span_hw_ops dahdi_hw_ops;

#endif
