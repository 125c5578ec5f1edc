/* sipgw - one-line decode of Q.931 messages in Q.921 frames, for logs and
 * the simulators' ladders. SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_Q931_Q931_TRACE_H
#define SIPGW_Q931_Q931_TRACE_H

#include <stddef.h>
#include <stdint.h>

/* Decode frame (Q.921 header, Q.931 message, the 2 FCS placeholder bytes) into
 * out, e.g. "SETUP cref=0x0001 chan=1 called=2001 calling=5551000",
 * "DISCONNECT cref=0x8001 cause=17", "PROGRESS cref=0x8001 pi=8", "SETUP ... facility"
 * (a Facility IE, e.g. a Q.SIG calling name).
 * Returns 0, or -ENOENT for frames that carry no Q.931 message (RR, SABME, UA...). */
int q931_trace_frame(const uint8_t *frame, size_t len, char *out, size_t outlen);

#define Q931_MSG_SETUP 0x05	/* Q.931 table 4-2 */

/* Which call a Q.931 message is of, and what it is (for per-call ladders). */
struct q931_ident {
	uint8_t type;		/* Q.931 table 4-2 */
	const char *name;	/* "SETUP", or NULL for a type not in the table */
	unsigned cref;		/* call reference value, without its flag */
	int from_dest;		/* the flag (Q.931 4.3): sent by the side the call was placed to */
	int chan;		/* Channel identification's B-channel, -1 none */
	int cause;		/* Q.850 cause, -1 none */
};
/** The same decode as q931_trace_frame(), as fields. 0, -ENOENT, -EBADMSG. */
int q931_trace_ident(const uint8_t *frame, size_t len, struct q931_ident *id);

#endif
