/* sipgw - one line per SIP message sent or received, from Sofia's tport log.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_SIP_SIP_TRACE_H
#define SIPGW_SIP_SIP_TRACE_H

/* The summary line is the start line, then for responses the CSeq method in
 * parentheses, then when present " reason[<Reason value>]" and, for a body
 * with SDP, " sdp[c=<addr> <direction>]", e.g.
 *   "INVITE sip:2001@127.0.0.1:5062;user=phone sdp[c=127.0.0.1 sendrecv]"
 *   "486 Busy Here (INVITE)"
 *   "BYE sip:5551000@127.0.0.1:5060 reason[Q.850;cause=16;text=\"Normal call clearing\"]"
 */
typedef void (sip_trace_h)(void *arg, int sent, const char *summary);

/** Route Sofia's own log lines into ours, rate-limited per kind (a peer can
 * make Sofia log at packet rate). Call before nua_create(). */
void sip_log_capture(void);
/** Route Sofia's message log to h (and its other lines as sip_log_capture
 * does). Call before nua_create(). */
void sip_trace_enable(sip_trace_h *h, void *arg);
/** The same, without asking Sofia for its message log at the start
 * (TPORT_LOG): the caller turns it on later (TPTAG_LOG) when it wants it. */
void sip_trace_hook(sip_trace_h *h, void *arg);

/** Each whole message (debug sip), with its Call-ID ("" when it has none),
 * besides the summary; NULL: none. Uses sip_trace_enable()'s arg. */
typedef void (sip_trace_msg_h)(void *arg, int sent, const char *call_id, const char *msg);
void sip_trace_set_msg_h(sip_trace_msg_h *h);

#endif
