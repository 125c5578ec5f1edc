/* sipgw - what the gateway's SIP side says it can do, and how it says why
 * it will not: Allow and Supported as the code really handles them (RFC
 * 3261 20.5, 20.37), the Warning of a refused offer (RFC 3261 20.43), and
 * the answer to OPTIONS (RFC 3261 11). The pure part, for the unit tests;
 * the Sofia part is in sip_internal.h.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_SIP_SIP_CAPS_H
#define SIPGW_SIP_SIP_CAPS_H

#include <stddef.h>

struct sdp_info;

/* Which of the gateway's optional parts are on: they change what it takes. */
struct sip_caps_role {
	int registrar;		/* REGISTER answered (registrar.c) */
	int session_timers;	/* RFC 4028 on (timers.session_expires) */
	int transfer;		/* REFER routed (a refer_h) */
};

/** The Allow value for role: every method sipgw (or nua for it) really
 * handles, in the table's order. 0 or -ENOSPC. */
int sip_caps_allow(const struct sip_caps_role *role, char *buf, size_t len);
/** The Supported value (option tags, RFC 3261 19.2) for role; "" when none. 0 or -ENOSPC. */
int sip_caps_supported(const struct sip_caps_role *role, char *buf, size_t len);
/** The methods sipgw answers itself rather than nua (NUTAG_APPL_METHOD). */
extern const char sip_caps_appl_methods[];
/** What a 415 lists (RFC 3261 21.4.13) for an INVITE, and for an INFO. */
#define SIP_CAPS_ACCEPT_SDP "application/sdp"
#define SIP_CAPS_ACCEPT_INFO "application/dtmf-relay, application/dtmf"

/** A Warning value (RFC 3261 20.43): code, host:port as the agent, text as
 * a quoted string with quotes, backslashes and controls made harmless.
 * 0 or -ENOSPC (then cut, still well formed). */
int sip_caps_warning(char *buf, size_t len, int code, const char *host, int port, const char *text);

/* RFC 3261 20.43 warn-codes sipgw gives. */
#define SIP_WARN_TRANSPORT 302	/* incompatible transport protocol (RTP/SAVP without SRTP) */
#define SIP_WARN_MEDIA_TYPE 304	/* media type not available (no audio stream) */
#define SIP_WARN_FORMAT 305	/* incompatible media format (no codec in common) */
#define SIP_WARN_MISC 399

/* Why an offer is refused, as the far end is told. */
struct sip_caps_refusal {
	int status;		/* 488, or 400 for an SDP that is no SDP */
	int warn;		/* SIP_WARN_* */
	char text[112];
};

/** The refusal of an offer that sdp_info_parse() (-ENOMEDIUM, -E2BIG,
 * -EBADMSG, -ENOENT: none), sdp_negotiate() (-EPROTO: no codec in common;
 * ours names the codecs we take, "PCMU PCMA", or NULL) or the transport
 * check (-EPROTONOSUPPORT) returned rc for; si may be NULL. */
void sip_caps_offer_refusal(int rc, const struct sdp_info *si, const char *ours, struct sip_caps_refusal *r);

/* Whether the gateway can take a call now (OPTIONS, a dispatcher's probe). */
enum sip_avail {
	SIP_AVAIL_YES,
	SIP_AVAIL_SPANS_DOWN,	/* every span's D-channel is down */
	SIP_AVAIL_BUSY,		/* every B-channel is taken (or kept for emergency calls) */
	SIP_AVAIL_OVERLOAD,	/* overload control is shedding (sip_overload.c) */
};
/** "available", "all spans down", ... for the log. */
const char *sip_avail_name(enum sip_avail a);

#endif
