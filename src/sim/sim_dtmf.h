/* sipgw - simulators: DTMF pieces both the PBX and the phone simulator use: in-band
 * digits with a chosen cadence, RFC 4733 events as a receiver counts them, SIP INFO
 * DTMF bodies. Pure (no I/O), so tests/unit can drive them.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_SIM_SIM_DTMF_H
#define SIPGW_SIM_SIM_DTMF_H

#include <stddef.h>
#include <stdint.h>

#define SIM_DTMF_MS_DEFAULT 100	/* tone and gap, as dtmf_gen (dsp/tone.h) */
/* Q.24 / ITU-T Q.23: receivers must take 40 ms tones with 40 ms pauses; SpanDSP's
 * receiver needs about that much, so shorter is refused on the command line. */
#define SIM_DTMF_MS_MIN 20
#define SIM_DTMF_MS_MAX 5000

/** Parse a --dtmf-ms value (SIM_DTMF_MS_MIN..MAX); 0 or -EINVAL. */
int sim_dtmf_parse_ms(const char *s, int *msp);
/** Is digit one of 0-9 * # A-D (RFC 4733 3.2, events 0-15)? */
int sim_dtmf_valid(char digit);
/** Are all of digits valid (and there is at least one)? */
int sim_dtmf_valid_str(const char *digits);

/* In-band digits, on_ms tone and off_ms pause each, then silence (SpanDSP dtmf_tx). */
struct sim_dtmf_gen;
int sim_dtmf_gen_alloc(struct sim_dtmf_gen **gp, const char *digits, int on_ms, int off_ms);
void sim_dtmf_gen_free(struct sim_dtmf_gen *g);
/** Fill n samples: tones, pauses, then zeros; returns 1 while the digits last, else 0. */
int sim_dtmf_gen_fill(struct sim_dtmf_gen *g, int16_t *amp, size_t n);

/* In-band digits heard (SpanDSP dtmf_rx, realtime reports), each with how long its
 * tone lasted: on_h at its start, end_h (with the length in ms) at its end. */
typedef void (sim_dtmf_det_h)(void *arg, char digit, int ms);
struct sim_dtmf_det;
int sim_dtmf_det_alloc(struct sim_dtmf_det **dp, sim_dtmf_det_h *on_h, sim_dtmf_det_h *end_h,
		       void *arg);
void sim_dtmf_det_free(struct sim_dtmf_det *d);
void sim_dtmf_det_feed(struct sim_dtmf_det *d, const int16_t *amp, size_t n);

/* RFC 4733 events as received: one digit per event, however many packets
 * (updates, the three end packets) carry it. RFC 4733 2.5.1.2: an event is named
 * by its timestamp; a new press of the same digit has a new one. */
#define SIM_TE_RX_HISTORY 8	/* ended events remembered, against late retransmissions */
struct sim_te_rx {
	uint32_t ts[SIM_TE_RX_HISTORY];	/* timestamps of events seen, newest at [n-1 % H] */
	uint8_t ended[SIM_TE_RX_HISTORY];
	unsigned n;			/* events seen so far */
};
enum sim_te_rx_what {
	SIM_TE_NONE,		/* nothing new: an update or a retransmission */
	SIM_TE_START,		/* a new event (print the digit) */
	SIM_TE_END,		/* the first end packet of an event (its final duration) */
	SIM_TE_START_END,	/* a new event whose first packet we got is an end packet */
	SIM_TE_BAD		/* not an event we know (short, event > 15) */
};
/** One telephone-event payload with its RTP timestamp; says what is new, with the
 * digit and the duration in samples. */
enum sim_te_rx_what sim_te_rx_packet(struct sim_te_rx *r, const uint8_t *p, size_t len,
				     uint32_t ts, char *digitp, unsigned *durationp);

/* SIP INFO DTMF bodies (no RFC; the de-facto formats Cisco and others use):
 * application/dtmf-relay "Signal=5\r\nDuration=160\r\n" and application/dtmf "5". */
/** Parse body of Content-Type ctype: 0 with the digit and duration in ms (0 when the
 * body gives none), -ENOTSUP for another type, -EINVAL for a body we cannot read. */
int sim_dtmf_info_parse(const char *ctype, const char *body, size_t len, char *digitp, int *msp);

#endif
