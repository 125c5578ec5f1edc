/* sipgw - span back ends: how a span's D-channel frames and B-channel audio
 * reach the wire. Loopback (sockets) now, DAHDI (cards) later; the Q.931
 * code sees only these ops. SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_HW_SPAN_HW_H
#define SIPGW_HW_SPAN_HW_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct su_root_s;
struct cfg_span;
struct span_hw;

struct span_hw_cbs {
	void (*d_readable)(void *arg);				/* a D-channel frame waits */
	void (*link)(void *arg, int connected);			/* far end came or went */
	void (*b_frame)(void *arg, int chan, const uint8_t *frame, size_t len);
};

struct span_hw_ops {
	const char *name;
	int (*open)(struct span_hw **hwp, const struct cfg_span *cfg, struct su_root_s *root,
		    const struct span_hw_cbs *cbs, void *arg);
	void (*close)(struct span_hw *hw);
	/* One frame per call, with its 2 FCS bytes, as libpri reads from DAHDI. */
	ssize_t (*d_read)(struct span_hw *hw, void *buf, size_t len);
	ssize_t (*d_write)(struct span_hw *hw, const void *buf, size_t len);
	int (*b_write)(struct span_hw *hw, int chan, const uint8_t *frame, size_t len);
};

extern const struct span_hw_ops loopback_hw_ops;

#endif
