/* sipgw - line echo canceller for the PRI side of a call (ITU-T G.168): the
 * 2-wire tail behind the PBX returns part of what we play; this removes it
 * before the audio goes to SIP. SpeexDSP's MDF canceller with its residual
 * echo suppressor as the NLP (bench/bench_ec.c measured it against SpanDSP's
 * echo_can: see README "Echo canceller"). SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_DSP_ECHO_H
#define SIPGW_DSP_ECHO_H

#include <stddef.h>
#include <stdint.h>

/* SpanDSP exports an echo_can_free() of its own (spandsp/echo.h), which would
 * clash at link time and in a file that includes both headers: our symbol is
 * sipgw_echo_can_free, the name in the source stays echo_can_free. A file that
 * needs both must include <spandsp.h> first (a mix-up is then a type error). */
#define echo_can_free sipgw_echo_can_free

#define ECHO_TAIL_MIN_MS 32
#define ECHO_TAIL_MAX_MS 256
#define ECHO_FRAME 160		/* 20 ms at 8 kHz: the unit echo_can_process() works on */

struct echo_can;

/** tail_ms: ECHO_TAIL_MIN_MS..ECHO_TAIL_MAX_MS (else -EINVAL); -ENOMEM. Starts enabled. */
int echo_can_alloc(struct echo_can **ecp, int tail_ms);
void echo_can_free(struct echo_can *ec);
/** ref: what was played to the line (towards the PBX); in: what came back
 * (with echo); out: in with the echo removed (out may equal in). n is a
 * multiple of ECHO_FRAME; any other n passes through untouched. */
void echo_can_process(struct echo_can *ec, const int16_t *ref, const int16_t *in, int16_t *out,
		      size_t n);
/** For fax and modems (G.164 / G.165 tone disabler): from now on out = in, bit-exact. */
void echo_can_disable(struct echo_can *ec);
int echo_can_enabled(const struct echo_can *ec);
/** ERLE (power of in / power of out) and ERL (power of ref / power of in) in dB
 * over the frames so far where only the far end talked, after its first two
 * seconds of that (convergence: the MDF filter takes 1-2 s on speech; G.168
 * 6.4.2.1's 1 s is for its composite source signal); NAN until half a second
 * of such frames was measured. The ERLE includes the NLP: it is what the
 * SIP side hears of the echo. The ERLE is NAN and the ERL INFINITY when
 * the far end talked alone and nothing at all came back. */
double echo_can_erle_db(const struct echo_can *ec);
double echo_can_erl_db(const struct echo_can *ec);

#endif
