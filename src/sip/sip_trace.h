/* sipgw - one line per SIP message sent or received, from Sofia's tport log.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_SIP_SIP_TRACE_H
#define SIPGW_SIP_SIP_TRACE_H

#include <stddef.h>

/* The summary line is the start line, then for responses the CSeq method in
 * parentheses, then when present " reason[<Reason value>]" and, for a body
 * with SDP, " sdp[c=<addr> <direction>]", e.g.
 *   "INVITE sip:2001@127.0.0.1:5062;user=phone sdp[c=127.0.0.1 sendrecv]"
 *   "486 Busy Here (INVITE)"
 *   "BYE sip:5551000@127.0.0.1:5060 reason[Q.850;cause=16;text=\"Normal call clearing\"]"
 */
typedef void (sip_trace_h)(void *arg, int sent, const char *summary);

/* A whole message as it crossed the wire, for the pcap and the ladder. Sofia
 * logs a message line by line with its line ends taken out; the text here
 * has them back as CRLF (RFC 3261 7: what every line of a message ends in),
 * which gives the very bytes sent whenever len equals wire_len. */
struct sip_trace_msg {
	int sent;		/* we sent it (else received) */
	const char *proto;	/* "udp", "tcp", "tls" */
	const char *peer;	/* the far end's address as Sofia printed it ("127.0.0.1", "::1") */
	int peer_port;
	const struct sockaddr *peer_sa;	/* the far end itself (the wire path; peer is "" then) */
	const char *text;	/* the message, len bytes (NUL after them) */
	size_t len;
	size_t wire_len;	/* the size Sofia reported */
	const char *call_id;	/* its Call-ID ("" when none) */
	const char *label;	/* for a ladder: "INVITE", "180 Ringing" */
	const char *summary;	/* the one line sip_trace_h gets ("" when nothing wants it) */
	int no_call;		/* a REGISTER or its response: of no call (no ladder) */
};
typedef void (sip_trace_tap_h)(void *arg, const struct sip_trace_msg *m);

/** Route Sofia's own log lines into ours, rate-limited per kind (a peer can
 * make Sofia log at packet rate). Call before nua_create(). */
void sip_log_capture(void);
/** Route Sofia's message log to h (and its other lines as sip_log_capture
 * does). Call before nua_create(). */
void sip_trace_enable(sip_trace_h *h, void *arg);
/** Also hand every whole message to tap (NULL: no more). Sofia logs
 * messages only when TPORT_LOG was set as its transports opened:
 * sip_trace_enable() before nua_create() sets it. */
void sip_trace_tap(sip_trace_tap_h *tap, void *arg);
/** One piece of Sofia's log as su_log() formatted it: what the redirected
 * logger does with each, for tests and fuzzing. */
void sip_trace_feed(const char *piece);
/** The same, without asking Sofia for its message log at the start
 * (TPORT_LOG): the caller turns it on later (TPTAG_LOG) when it wants it. */
void sip_trace_hook(sip_trace_h *h, void *arg);

/** A whole message, as the bytes on the wire (n pieces, as Sofia's
 * msg_iovec() gives them), sent or received over proto ("udp"...) with
 * peer: to the summary, the tap and debug sip as a logged message goes.
 * The process's tport_log_msg() hands Sofia's messages over this way.
 * 0, or -ENOENT when nothing is hooked or peer is not IPv4/IPv6. */
struct sip_trace_piece {
	const void *base;
	size_t len;
};
struct sockaddr;
int sip_trace_wire(int sent, const char *proto, const struct sockaddr *peer,
		   const struct sip_trace_piece *v, size_t n);

/** Each whole message (debug sip), with its Call-ID ("" when it has none),
 * besides the summary; NULL: none. Uses sip_trace_enable()'s arg. */
typedef void (sip_trace_msg_h)(void *arg, int sent, const char *call_id, const char *msg);
void sip_trace_set_msg_h(sip_trace_msg_h *h);

#endif
