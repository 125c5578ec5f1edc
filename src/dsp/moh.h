/* sipgw - music on hold: a file of raw 8 kHz G.711 mu-law (Asterisk's
 * .ulaw, `sox in.wav -r 8000 -c 1 -t ul moh.ulaw`), looped to a party whose
 * call the other side holds. SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_DSP_MOH_H
#define SIPGW_DSP_MOH_H

#include <stddef.h>
#include <stdint.h>

#include "dsp/g711.h"

#define MOH_MAX_BYTES (8000 * 600)	/* ten minutes */

struct moh;

/** Read path whole: 0, or -errno with why in err ("empty", "over ten minutes"). */
int moh_load(struct moh **mp, const char *path, char *err, size_t errlen);
void moh_free(struct moh *m);
/** The next 20 ms (len samples) from *pos on, looped, in law. */
void moh_frame(const struct moh *m, size_t *pos, enum g711_law law, uint8_t *out, size_t len);

#endif
