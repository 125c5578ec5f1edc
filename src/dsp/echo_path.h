/* sipgw - a synthetic line echo path: what a 2-wire tail behind the PBX sends
 * back. The hybrid is one of ITU-T G.168 Annex D's model echo paths (D.2 ..
 * D.9, SpanDSP's g168models.h), scaled to a chosen ERL and delayed, then the
 * line adds the near party and background noise and the span quantises to
 * G.711. For the echo canceller's tests and benchmark and the simulators.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_DSP_ECHO_PATH_H
#define SIPGW_DSP_ECHO_PATH_H

#include <stddef.h>
#include <stdint.h>

#include "dsp/g711.h"

struct echo_path_params {
	int model;		/* G.168 Annex D model: 2..9 */
	int delay_ms;		/* flat (bulk) delay before the hybrid: 0..64 */
	double erl_db;		/* echo return loss for white noise: 0..40 */
	double noise_dbm0;	/* background noise (Hoth, G.168 6.4.1.3); <= -99: none */
	enum g711_law law;	/* the span's law: the returned signal is quantised in it */
};

struct echo_path;
/** 0, or -EINVAL (a parameter out of range) / -ENOMEM. */
int echo_path_alloc(struct echo_path **epp, const struct echo_path_params *p);
void echo_path_free(struct echo_path *ep);
/** tx: what the gateway plays to the line; near: the near party's own speech
 * (NULL: silent); rx: echo + near + noise as the gateway hears it. */
void echo_path_run(struct echo_path *ep, const int16_t *tx, const int16_t *near, int16_t *rx,
		   size_t n);

#endif
