/* sipgw - RFC 3389 comfort noise payloads: the noise level both ways.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_DSP_CN_H
#define SIPGW_DSP_CN_H

#include <stddef.h>
#include <stdint.h>

#define CN_PT 13		/* RFC 3551 4.5.6 / RFC 3389 4: static payload type at 8 kHz */
#define CN_MIN_DBOV (-127)

/** RFC 3389 3: the first octet is the level in -dBov (0..127, top bit 0);
 * the reflection coefficients after it are ignored (we make white-ish
 * Hoth noise whatever the spectrum). Sets *level_dbov (<= 0); 0 or -EBADMSG. */
int cn_parse(const uint8_t *p, size_t len, int *level_dbov);
/** A CN payload of the level alone (RFC 3389 3: no coefficients is model
 * order 0); writes 1 octet, returns 1. */
size_t cn_build(uint8_t *p, int level_dbov);
/** The level of n samples in dBov: RMS against a full-scale square wave,
 * the RFC 3389 3 reference; in [CN_MIN_DBOV, 0]. */
int cn_level_dbov(const int16_t *amp, size_t n);

#endif
