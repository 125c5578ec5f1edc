/* sipgw - fax and modem tones on a B-channel, for the echo canceller's
 * disabler (G.164 / G.165 / G.168: 2100 Hz with phase reversals turns it
 * off) and the switch to T.38 (T.38 annex D: CED or the V.21 preamble).
 * SpanDSP's modem_connect_tones_rx. SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_DSP_FAX_TONE_H
#define SIPGW_DSP_FAX_TONE_H

#include <stddef.h>
#include <stdint.h>

enum fax_tone {
	FAX_TONE_NONE,
	FAX_TONE_CNG,		/* T.30 calling tone: 1100 Hz, 0.5 s on / 3 s off */
	FAX_TONE_CED,		/* 2100 Hz, no phase reversals (T.30 CED, V.25 ANS, V.8 ANSam) */
	FAX_TONE_ANS_PR,	/* 2100 Hz reversing phase every 450 ms (V.25 ANS/, V.8 ANSam/) */
	FAX_TONE_V21,		/* V.21 channel 2 HDLC flags at 300 bit/s (T.30 preamble) */
};

struct fax_tone_det;
/** 0 or -ENOMEM. */
int fax_tone_det_alloc(struct fax_tone_det **detp);
void fax_tone_det_free(struct fax_tone_det *det);
/** Feed n samples (any n). Returns a tone the first time it is recognised
 * (each kind once per detector), FAX_TONE_NONE otherwise. */
enum fax_tone fax_tone_feed(struct fax_tone_det *det, const int16_t *amp, size_t n);
/** Blocks handed to SpanDSP's detectors and blocks the gate kept from them
 * (no energy at any of the tones' frequencies): for tests and figures. */
void fax_tone_det_counts(const struct fax_tone_det *det, unsigned long *fed, unsigned long *skipped);
/** "CNG", "CED", "ANS/PR", "V.21", "none". */
const char *fax_tone_name(enum fax_tone t);

#endif
