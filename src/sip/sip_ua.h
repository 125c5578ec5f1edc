/* sipgw - the gateway's SIP user agent (Sofia-SIP nua) and its legs.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_SIP_SIP_UA_H
#define SIPGW_SIP_SIP_UA_H

#include "bridge/leg.h"

struct su_root_s;
struct sip_ua;

/** A new INVITE (not in a dialog): the handler takes the leg into a call and
 * returns 0; or returns -EACCES to have the caller authenticate (407, or the
 * refusal si->auth_status names when its credentials were bad); or another
 * -errno with *causep set to the Q.850 cause to refuse it with (mapped to a
 * status). */
typedef int (sip_incoming_h)(void *arg, struct leg *leg, const struct leg_setup_info *si, int *causep);

/** The door before an INVITE's body is looked at (RFC 3261 8.2: a request
 * is authenticated before it is inspected, so a refusal of its offer tells
 * nothing to a caller not yet known): si has the caller's source, called
 * number and credentials checked. 0 through; -EACCES: challenge (407, or
 * si->auth_status); -EPERM (or another -errno) with *causep: refuse. */
typedef int (sip_door_h)(void *arg, const struct leg_setup_info *si, int *causep);

/** The far end of leg asks for a transfer (REFER, BYE/Also): the handler
 * routes xi's target with the transferor's rights and returns 0 when the
 * transfer is under way (the leg's xfer_status hears how it goes); else
 * -EPERM/-EACCES (not allowed: 403) or -errno with *causep the cause. */
typedef int (sip_refer_h)(void *arg, struct leg *leg, const struct leg_transfer *xi, int *causep);

/** Can the gateway take a new call now (OPTIONS from a dispatcher): an enum
 * sip_avail (sip_caps.h), SIP_AVAIL_YES or why not. Called at probe rate:
 * no allocation, no logging. */
typedef int (sip_available_h)(void *arg);

/** True when number is an emergency number: such INVITEs are never refused for overload. */
typedef int (sip_emergency_h)(void *arg, const char *number);

/* Overload control (RFC 3261 21.5.4): while the gateway is past what it can
 * serve, new INVITEs (emergency numbers excepted) and REGISTERs are answered
 * 503 with Retry-After before anything is allocated for them; requests inside
 * a dialog are never refused. */
struct sip_overload_params {
	unsigned max_queue_delay_ms;	/* the oldest unread SIP datagram waited longer: overload (0 = off) */
	unsigned max_call_rate;		/* new INVITEs per second, burst of one second (0 = no ceiling) */
	unsigned retry_after_s;		/* Retry-After is drawn from N..2N so refused clients do not return in step */
	sip_emergency_h *emergency_h;	/* NULL: no emergency numbers */
	void *emergency_arg;
};

/* Calls that never clear (sip_timers.c): a far end that stops sending RTP,
 * or whose session is not refreshed (RFC 4028), is cleared with cause 41. */
struct sip_timer_params {
	unsigned rtp_timeout_ms;	/* no RTP this long: clear (0 = off) */
	unsigned rtp_hold_timeout_ms;	/* the same while the far end holds the call (0 = off) */
	unsigned session_expires_s;	/* RFC 4028 Session-Expires we ask for / accept at most (0 = no session timers) */
	unsigned min_se_s;		/* RFC 4028 Min-SE (the RFC's floor is 90) */
};

struct sip_ua_params {
	struct su_root_s *root;
	const char *bind;		/* SIP address and port */
	int port;
	const char *user_agent;
	const char *rtp_ip;
	int rtp_port_min, rtp_port_max;
	unsigned timer_b_ms;		/* INVITE with no final answer: 408, hunt on */
	sip_incoming_h *incoming_h;
	sip_door_h *door_h;		/* NULL: the door is incoming_h's alone (after the offer checks) */
	sip_refer_h *refer_h;		/* NULL: REFER and BYE/Also do nothing (and REFER is not in Allow) */
	void *arg;
	sip_available_h *available_h;	/* NULL: always available (OPTIONS 200 unless overloaded) */
	void *available_arg;
	struct registrar *reg;		/* answers REGISTER and checks digest; NULL = none */
	unsigned udp_rmem;		/* SIP UDP socket receive buffer, bytes (0 = kernel default) */
	int tcp;			/* listen on TCP at port too (UDP always) */
	int tls_port;			/* TLS listener on bind (0: none; dial-peers then have no TLS) */
	struct trace *trace;		/* every SIP message goes to it (pcap, ladders); NULL: none */
	struct media_late *late;	/* its media thread's figures: frames a full jitter buffer
					 * threw away, RTP sends that failed (core/media_late.h); NULL: none */
	const char *tls_cert, *tls_key, *tls_ca;	/* PEM files, checked by config_load() */
	int tls_verify;			/* our TLS connections: the server's certificate must chain to tls_ca */
	struct sip_overload_params ovl;
	struct sip_timer_params timers;
	const struct cfg_enum_list *dtmf_relay;	/* Cisco dtmf-relay for legs no dial-peer names */
	int vad;			/* offer CN and send it in silence (RFC 3389) */
	const struct dp_codecs *codecs;	/* rtp.codecs: the codec order of legs no dial-peer names */
	int fax_t38;			/* a fax on a PRI call: re-INVITE to T.38 (else G.711 passthrough) */
	int t38_redundancy;		/* UDPTL secondary IFPs, 1..UDPTL_MAX_REDUNDANCY */
};

int sip_ua_alloc(struct sip_ua **uap, const struct sip_ua_params *p);
/* debug sip|rtp (sip_debug.c): every SIP message logged whole, and a line
 * per RTP packet sent and received. */
enum { SIP_DEBUG_SIP = 1, SIP_DEBUG_RTP = 2 };
/** Turn what on or off for every dialog (call_id NULL: also those to come)
 * or for the dialog with this Call-ID. 0, or -ENOENT (no such dialog). */
int sip_ua_debug(struct sip_ua *ua, unsigned what, int on, const char *call_id);

/* The SIP side's own tallies since the start, for metrics. */
struct sip_ua_counts {
	unsigned long ovl_invite, ovl_register;	/* refused with 503 for overload */
	unsigned long udp_drops;	/* datagrams the kernel dropped on the full socket buffer */
};
void sip_ua_counts(const struct sip_ua *ua, struct sip_ua_counts *out);
/** Stop the stack (nua_shutdown); done runs when it has finished. */
void sip_ua_shutdown(struct sip_ua *ua, void (*done)(void *arg), void *arg);
void sip_ua_free(struct sip_ua *ua);
/** A reload: what new legs copy from p's dtmf_relay, codecs, vad, fax_t38,
 * t38_redundancy, timers.rtp_*timeout_ms, timer_b_ms and the overload limits
 * (the rest of p is the listeners' and needs a restart: core/cfg_diff.h). */
void sip_ua_reconfigure(struct sip_ua *ua, const struct sip_ua_params *p);

struct sip_leg_params {
	const char *host;	/* from the dial-peer's session target */
	int port;
	const char *ruri;	/* a registered contact: the Request-URI as is (NULL: number@host:port) */
	int dial_peer;		/* tag, for logs */
	int assert_identity;	/* the peer is in our trust domain: P-Asserted-Identity (RFC 3325) */
	const struct cfg_enum_list *dtmf_relay;	/* the dial-peer's dtmf-relay (NULL or empty: the UA's) */
	const struct dp_codecs *codecs;	/* the dial-peer's codec order (NULL or empty: the UA's) */
	int transport;		/* enum sip_tp (sip_listen.h), the dial-peer's session_transport */
	int srtp;		/* enum dp_srtp: the dial-peer's srtp */
	int delayed_offer;	/* our INVITE without SDP: the far end offers in its 2xx (RFC 3261 13.2.1) */
};

/** A leg that will INVITE number@host:port;user=phone on setup(). */
int sip_leg_alloc_outgoing(struct leg **legp, struct sip_ua *ua, const struct sip_leg_params *p);

#endif
