/* sipgw - country call progress tones (dial, ringback, busy, congestion,
 * call waiting) from libtonezone's tables (DAHDI tools, the tables Asterisk's
 * indications.conf also carries), played with SpanDSP's tone generator.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_DSP_TONEZONE_H
#define SIPGW_DSP_TONEZONE_H

#include <stddef.h>
#include <stdint.h>

enum tz_tone { TZ_DIAL, TZ_RINGBACK, TZ_BUSY, TZ_CONGESTION, TZ_CALLWAIT };

/* Level of each frequency (ITU-T E.180 section 2: -10 to -20 dBm0 per tone;
 * DAHDI plays its zones at about this). */
#define TZ_LEVEL_DBM0 -13

/** 0, or -ENOENT: not a zone libtonezone knows ("us", "uk", "de", ...; "gb",
 * the ISO 3166 code, is taken for libtonezone's "uk"). */
int tonezone_check(const char *zone);
/** "dial", "ringback", "busy", "congestion", "callwait". */
const char *tz_tone_name(enum tz_tone t);

struct tone_player;
/** 0, -ENOENT (unknown zone), -EINVAL (a tone string libtonezone holds that
 * this player cannot read, or t out of range), -ENOMEM. */
int tone_player_alloc(struct tone_player **tpp, const char *zone, enum tz_tone t);
/** The next n samples of the tone, its cadence running on across calls. */
void tone_player_fill(struct tone_player *tp, int16_t *amp, size_t n);
void tone_player_free(struct tone_player *tp);
/** The zone's description of the tone, as libtonezone has it ("440+480/2000,0/4000"). */
const char *tone_player_spec(const struct tone_player *tp);

#endif
