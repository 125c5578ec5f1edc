/* sipgw - test tones and DTMF: generation and detection on SpanDSP.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_DSP_TONE_H
#define SIPGW_DSP_TONE_H

#include <stddef.h>
#include <stdint.h>

/* A continuous sine of one frequency (SpanDSP tone_gen). Named sine_gen, not
 * tone_gen: SpanDSP already exports tone_gen_free(). */
struct sine_gen;
int sine_gen_alloc(struct sine_gen **sgp, int freq_hz, int level_dbm0);
void sine_gen_free(struct sine_gen *sg);
void sine_gen_fill(struct sine_gen *sg, int16_t *amp, size_t n);

/* DTMF digits, 100 ms on / 100 ms off, then silence (SpanDSP dtmf_tx). */
struct dtmf_gen;
int dtmf_gen_alloc(struct dtmf_gen **dgp, const char *digits);
void dtmf_gen_free(struct dtmf_gen *dg);
void dtmf_gen_fill(struct dtmf_gen *dg, int16_t *amp, size_t n);

/* Presence of one frequency, judged per 20 ms block (Goertzel), with
 * hysteresis: on after 3 blocks present, off after 3 blocks absent. */
enum tone_det_event { TONE_DET_NONE, TONE_DET_ON, TONE_DET_OFF };
struct tone_det;
int tone_det_alloc(struct tone_det **tdp, int freq_hz);
void tone_det_free(struct tone_det *td);
/** Feed n samples (any n); returns the transition the samples caused, if any. */
enum tone_det_event tone_det_feed(struct tone_det *td, const int16_t *amp, size_t n);
int tone_det_is_on(const struct tone_det *td);

/* DTMF digits heard (SpanDSP dtmf_rx); the callback gets each digit once. */
typedef void (dtmf_det_h)(void *arg, char digit);
struct dtmf_det;
int dtmf_det_alloc(struct dtmf_det **ddp, dtmf_det_h *h, void *arg);
void dtmf_det_free(struct dtmf_det *dd);
void dtmf_det_feed(struct dtmf_det *dd, const int16_t *amp, size_t n);

#endif
