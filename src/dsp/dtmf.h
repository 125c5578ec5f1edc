/* sipgw - in-band DTMF on a B-channel, the gateway's way (SpanDSP): a
 * watcher that reports each digit's begin and end, with its length, so it
 * can go on as an event and be cut out of the audio; a player that sends a
 * digit for as long as the event that brought it lasts.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_DSP_DTMF_H
#define SIPGW_DSP_DTMF_H

#include <stddef.h>
#include <stdint.h>

/* Q.24 / ETSI ES 201 235-3: a receiver must take digits of 40 ms with 40 ms
 * gaps; the player never sends less, nor a shorter gap between digits. */
#define DTMF_MIN_MS 40
#define DTMF_GAP_MS 50
/* An event that never ends (its end packets all lost, a peer that forgot):
 * the player stops after this long. */
#define DTMF_MAX_MS 8000

/** begin 1: digit starts (duration_ms 0); begin 0: it ended after duration_ms. */
typedef void (dtmf_watch_h)(void *arg, char digit, int begin, unsigned duration_ms);
struct dtmf_watch;
int dtmf_watch_alloc(struct dtmf_watch **dwp, dtmf_watch_h *h, void *arg);
void dtmf_watch_free(struct dtmf_watch *dw);
/** Feed n samples; 1 when a digit was on at any time in them (begun and
 * not ended, or ended within them), 0 when none was. */
int dtmf_watch_feed(struct dtmf_watch *dw, const int16_t *amp, size_t n);

struct dtmf_play;
int dtmf_play_alloc(struct dtmf_play **dpp);
void dtmf_play_free(struct dtmf_play *dp);
/** A leg's player is taken at its first digit, not with the leg (most calls
 * play none: issue 14's memory per call): 0 when *dpp is there or now
 * allocated, -ENOMEM. fill and busy take NULL as an idle player. */
int dtmf_play_take(struct dtmf_play **dpp);
/** Queue a digit to play until dtmf_play_end() says how long it lasts
 * (RFC 4733: its first packet). -EINVAL for a digit that is not DTMF,
 * -ENOSPC when the queue is full. */
int dtmf_play_begin(struct dtmf_play *dp, char digit);
/** The digit lasts duration_ms in all (at least DTMF_MIN_MS): the one
 * playing or queued open ends then; with none open, a new one is queued
 * with that length (SIP INFO, keypad). */
int dtmf_play_end(struct dtmf_play *dp, char digit, unsigned duration_ms);
/** Fill n samples: 1 when a digit or the gap after it occupies them (amp
 * is the tone, or silence in the gap), 0 when idle (amp untouched). */
int dtmf_play_fill(struct dtmf_play *dp, int16_t *amp, size_t n);
int dtmf_play_busy(const struct dtmf_play *dp);

/** 1 for 0-9 * # A-D (a-d too). */
int dtmf_is_digit(char c);

#endif
