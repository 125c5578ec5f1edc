/* sipgw - what sip_ua.c, sip_leg*.c and sip_media.c share. SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_SIP_SIP_INTERNAL_H
#define SIPGW_SIP_SIP_INTERNAL_H

struct sip_ua;
struct sip_leg;
#define NUA_MAGIC_T struct sip_ua
#define NUA_HMAGIC_T struct sip_leg

#include <sofia-sip/nua.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/su_wait.h>

#include "core/dialpeer.h"
#include "core/fsm.h"
#include "rtp/media.h"
#include "sip/sdp.h"
#include "sip/sip_listen.h"
#include "sip/sip_timers.h"
#include "sip/sip_ua.h"
#include "sip/sip_addr.h"

struct rtp_session;
struct registrar;
struct sip_keepalive;
struct loop_timer;

enum sip_ovl_state { SIP_OVL_NORMAL, SIP_OVL_SHEDDING };

/* An overload episode ends after this long without a refused request. */
#define SIP_OVL_QUIET_MS 1000
/* A request with credentials is the second half of a digest exchange whose
 * first half (401/407) was already served: refusing it wastes that work and
 * brings the client back to the start, so it is refused only when the
 * queue delay is this many times max_queue_delay. */
#define SIP_OVL_CREDENTIALS_FACTOR 4

/* Overload control state (sip_ua.c). Counts are per episode (ep_) and for
 * the exit summary (tot_). */
struct sip_overload {
	struct sip_overload_params p;
	int fd;				/* Sofia's UDP socket, only ever peeked at; -1 unknown */
	enum sip_ovl_state state;
	double tokens;			/* max_call_rate bucket */
	long long tokens_ms;		/* when it was last filled */
	struct loop_timer *quiet;	/* ends an episode after a quiet interval */
	long long since_ms, last_ms;	/* episode start, last refusal */
	unsigned drops0;		/* socket drop count at episode start */
	unsigned ep_invite, ep_register, ep_emergency, ep_max_delay_ms;
	unsigned tot_invite, tot_register, tot_emergency, tot_max_delay_ms, episodes;
	long long tot_ms;
};

/** Sofia's message log to the ua's trace (sip_tap.c); call before nua_create(). */
void sip_tap_start(struct sip_ua *ua);

struct sip_ua {
	su_root_t *root;
	su_home_t home[1];
	nua_t *nua;
	char bind[64];
	int port;
	struct media_late *late;	/* sip_ua_params.late */
	struct trace *trace;		/* NULL: messages are not traced (sip_tap.c) */
	struct sockaddr_storage tap_peer, tap_local;	/* sip_tap.c: the last peer's local address */
	char rtp_ip[64];
	int rtp_port_min, rtp_port_max;
	int rtp_port_next;		/* where the last RTP pair was picked (rtp_params.port_next) */
	sip_incoming_h *incoming_h;
	sip_door_h *door_h;
	sip_refer_h *refer_h;		/* transfers (sip_refer.c); NULL: none taken */
	void *arg;
	struct registrar *reg;		/* NULL: no registrar, no digest */
	struct sip_timer_params tp;	/* RTP timeout and session timers (sip_timers.c) */
	unsigned timer_b_ms;		/* RFC 3261 Timer B as given to nta */
	unsigned leg_seq;
	struct cfg_enum_list dtmf_relay;	/* sip_ua_params.dtmf_relay */
	int vad;			/* sip_ua_params.vad */
	struct dp_codecs codecs;	/* sip_ua_params.codecs */
	int fax_t38, t38_redundancy;		/* sip_ua_params' */
	struct sip_overload ovl;
	int tls_port;			/* 0: no TLS listener, no TLS legs */
	char tls_dir[256];		/* the certificate folder made for Sofia (sip_tls.c); "" none */
	char allow[160], supported[64];	/* sip_caps.c: what every response says we take */
	sip_available_h *available_h;	/* sip_ua_params' */
	void *available_arg;
	struct sip_keepalive *ka;	/* OPTIONS pings to voip peers (sip_keepalive.c), NULL = none */
	unsigned debug_all;		/* SIP_DEBUG_* for every dialog (sip_debug.c) */
	unsigned n_debug;		/* dialogs with a debug of their own */
	void (*shutdown_done)(void *arg);
	void *shutdown_arg;
	enum { SIP_UA_RUNNING, SIP_UA_STOPPING, SIP_UA_STOPPED } shutdown_state;	/* nua_shutdown sent, finished */
};

/* The leg's dialog, after RFC 3261 12 / 13 and the INVITE transaction
 * (sip_leg.c: which events each state permits). A leg reaches TERMINATING
 * or TERMINATED only once the call knows it is over: it asked for the
 * release, or the leg told it (call_leg_released). */
enum sip_state {
	SIP_ST_IDLE,		/* UAC: allocated, no INVITE yet */
	SIP_ST_CALLING,		/* INVITE sent, nothing back */
	SIP_ST_PROCEEDING,	/* 1xx received */
	SIP_ST_INCOMING,	/* INVITE received (UAS) */
	SIP_ST_EARLY,		/* 1xx sent (UAS) */
	SIP_ST_CONFIRMED,	/* 2xx: the dialog is up */
	SIP_ST_HELD,		/* up, and the far end holds us (RFC 3264 8.4): we send nothing */
	SIP_ST_TERMINATING,	/* BYE or CANCEL sent, or final error sent or received */
	SIP_ST_TERMINATED,
	SIP_ST__COUNT
};

/* What happens to a leg: the call's leg_ops, nua's events, our clocks. */
enum sip_event {
	SIP_EV_SETUP,		/* leg_ops: send the INVITE */
	SIP_EV_ALERT,
	SIP_EV_PROGRESS,
	SIP_EV_ANSWER,
	SIP_EV_RELEASE,
	SIP_EV_R_1XX,		/* a response to our INVITE (101..199) */
	SIP_EV_R_2XX,
	SIP_EV_R_FAIL,		/* 300 and up */
	SIP_EV_I_ACK,
	SIP_EV_I_BYE,
	SIP_EV_I_CANCEL,
	SIP_EV_I_REINVITE,	/* an INVITE in the dialog: hold, resume, refresh */
	SIP_EV_I_UPDATE,
	SIP_EV_R_BYE,		/* the response to a BYE (ours, or the stack's own) */
	SIP_EV_R_CANCEL,
	SIP_EV_GONE,		/* nua: the dialog is terminated, the handle may go */
	SIP_EV_RTP_REFUSED,	/* ICMP port unreachable for our RTP, RTP_REFUSED_GONE in a row */
	SIP_EV_CLEAR,		/* our clock ran out: BYE with a cause, the call told */
	SIP_EV_CLEARED,		/* the dialog ended under us (the stack's BYE, a refresh's 408/481) */
	SIP_EV__COUNT
};

/* The leg's state timers (fsm_def timer table; the stack's own Timer B
 * runs in nta, sip_ua.c, and arrives as a 408 response). */
enum sip_timer {
	SIP_T_NONE,
	SIP_T_RTP,		/* CONFIRMED: rtp-timeout */
	SIP_T_RTP_HOLD,		/* HELD: rtp-hold-timeout */
	SIP_T__COUNT
};

/* Where the leg's offer/answer exchange stands when the INVITE had no
 * offer (sip_offer.c); NONE otherwise. */
enum sip_oa {
	SIP_OA_NONE,		/* nothing pending: every offer is answered */
	SIP_OA_OFFER_DUE,	/* UAS: the INVITE had no offer; ours goes in the first reliable response */
	SIP_OA_OFFERED_1XX,	/* UAS: our offer went in a reliable 183: the answer comes in the PRACK */
	SIP_OA_OFFERED,		/* our offer went in a 2xx: the answer comes in the ACK */
	SIP_OA_EARLY_DONE,	/* UAS: the INVITE's exchange was done in a reliable 183 (and its
				 * PRACK): the 200 carries no SDP (RFC 3262 5, RFC 6337 3.1) */
	SIP_OA_AWAIT_OFFER,	/* UAC: our INVITE had none; the 2xx brings theirs, our answer goes in the ACK */
};

/* Which end of the dialog we are (RFC 3261 12.1), fixed when the leg is
 * allocated: an incoming INVITE makes a UAS leg, sip_leg_alloc_outgoing() a UAC one. */
enum sip_role { SIP_ROLE_UAS, SIP_ROLE_UAC };

/* RFC 4028 session timer of a confirmed dialog (sip_timers.c), a machine of
 * its own beside the dialog's. */
enum sip_sess_state {
	SIP_SESS_NONE,		/* no session interval (yet, or none negotiated) */
	SIP_SESS_RAISED,	/* a 422 had our INVITE ask again with the peer's Min-SE (RFC 4028 6): not twice */
	SIP_SESS_WATCH,		/* the far end refreshes; we only watch session-expires */
	SIP_SESS_DUE,		/* we refresh: our re-INVITE is due (session-refresh) */
	SIP_SESS_REFRESHING,	/* our refresh re-INVITE awaits its final response (Timer B) */
	SIP_SESS__COUNT
};

enum sip_sess_event {
	SIP_SESS_EV_START,	/* the dialog's 2xx (ours or theirs): negotiate */
	SIP_SESS_EV_REFRESHED,	/* a re-INVITE/UPDATE from the far end that we answer 2xx */
	SIP_SESS_EV_RESPONSE,	/* a response to our refresh re-INVITE */
	SIP_SESS_EV__COUNT
};

enum sip_sess_timer {
	SIP_SESS_T_NONE,
	SIP_SESS_T_REFRESH,	/* DUE: half the interval, or a retry (computed) */
	SIP_SESS_T_TIMER_B,	/* REFRESHING: 7/8 of Timer B */
	SIP_SESS_T__COUNT
};

/* The two machines' tables, for the unit tests (tests/unit/test_sip_leg.c). */
extern const struct fsm_def sip_leg_fsm;
extern const struct fsm_def sip_sess_fsm;

/* A leg's clocks for calls that never clear (sip_timers.c). */
struct sip_leg_timers {
	struct fsm_inst fi;		/* enum sip_sess_state */
	unsigned ms[SIP_SESS_T__COUNT];	/* its timers' durations */
	struct loop_timer *expires;	/* no refresh by then: the session is over (any state but NONE) */
	int peer_timer;			/* UAC: the 2xx said the far end does timers */
	long long media_ms;		/* last answer/hold/resume: the silence clock starts there at the latest */
	long long since_ms;		/* last session refresh (or the answer) */
	unsigned interval_s;		/* negotiated session interval, 0 = no session timer */
	struct st_in offer;		/* UAS: what the initial INVITE asked for */
	char desc[80];
};

/* The leg's RTP media (sip_rtp.c). */
#define SIP_RTP_MAX_PTIME 60	/* ms: the longest packet we send or cut (RFC 3551's G.711 range) */
#define SIP_EV_QUEUE 8		/* digits waiting to go out as RFC 4733 events */
struct dtmf_play;
struct sip_ev_out {
	char digit;
	const char *method;	/* how it came to us, for the log line */
	unsigned target_ms;	/* its length; 0 while the other side's digit lasts */
	unsigned frames;	/* 20 ms frames sent of it */
};
struct codec;
struct jbuf;
/* The jitter buffer between the far end's packets and a B-channel's 20 ms
 * clock (Cisco's playout-delay defaults: adaptive, 40 ms minimum, 200 ms
 * maximum). */
#define SIP_JB_MIN_MS 40
#define SIP_JB_MAX_MS 200
struct sip_rtp {
	enum g711_law law;		/* of the negotiated payload type if G.711, else mu-law */
	struct codec *codec;		/* the negotiated codec's encoder and decoder, NULL before */
	int last_pt;			/* the payload type we sent last (-1 none) */
	int te_clock;			/* telephone-event's RTP clock: 8000, or 48000 beside Opus */
	int ptime;			/* ms of audio in each packet we send */
	int16_t rx[MEDIA_FRAME];	/* received samples short of a frame */
	size_t rx_n;
	uint32_t rx_ts;			/* the RTP timestamp of rx[0] */
	unsigned long jb_ov_seen;	/* the jitter buffer's overflows counted dropped so far */
	struct jbuf *jb;		/* frames for a clocked peer (a B-channel) to pull */
	/* RFC 3389 out (rtp.vad): the agreed CN payload type (-1 none), the
	 * silent frames in a row, and whether we are in a silence sent as CN */
	int cn_pt;
	unsigned silent, cn_age;
	int in_cn;
	int fax;			/* a fax on the call: audio kept as it is (no CN) */
	unsigned long cn_sent;
	int16_t tx[SIP_RTP_MAX_PTIME * 8 + MEDIA_FRAME];	/* samples short of a packet */
	size_t tx_n;
	struct cfg_enum_list relay;	/* dtmf-relay methods, preferred first */
	enum dtmf_relay method;		/* the one the far end's SDP allows */
	/* RFC 4733 from the far end: the event being received */
	int ev_seen, ev_on;
	uint32_t ev_ts;
	char ev_digit;
	unsigned ev_dur;
	long long ev_last_ms;
	/* RFC 4733 to the far end */
	struct sip_ev_out evq[SIP_EV_QUEUE];
	unsigned evq_head, evq_len;
	struct dtmf_play *dp_in;	/* digits played into the audio for the other party */
	struct dtmf_play *dp_out;	/* in-band method: digits played to the far end */
};

/* A leg's SRTP (sip_srtp.c): SDES keys (RFC 4568) in its SDP, only while
 * its signalling runs over TLS (RFC 4568 8.3). */
enum sip_srtp_state {
	SIP_SRTP_PLAIN,		/* RTP/AVP, no keys */
	SIP_SRTP_OFFERED,	/* UAC: our offer carries keys, its answer has not come */
	SIP_SRTP_ON,		/* keys agreed: SRTP both ways from now on */
	SIP_SRTP_FALLBACK,	/* UAC, srtp optional: refused (488/415), offered again as RTP/AVP */
	SIP_SRTP__COUNT
};
struct sip_srtp {
	enum sip_srtp_state state;
	int policy;		/* enum dp_srtp: the dial-peer's (UAC); a UAS leg takes what it is offered */
	int tls;		/* the signalling runs over TLS (sip_srtp_over_tls) */
	struct sdp_crypto local[RTP_SRTP__COUNT];	/* OFFERED: one line per suite; ON: the one agreed */
	int n_local;
};

/* What the leg tells about itself (sip_status.c, leg_ops.status): kept as
 * it goes, since the handle (and its Call-ID) is gone before the call ends. */
struct sip_leg_info {
	char call_id[128];
	char calling[LEG_NUM], called[LEG_NUM];	/* as this leg signals them */
	int src_port;			/* UAS: the port the INVITE came from */
	int cause;			/* the Q.850 cause it cleared or failed with (0: up) */
	int status;			/* the INVITE's final status, got or sent (0: none yet) */
};

struct sip_leg {
	struct leg base;
	struct sip_leg_info info;	/* sip_status.c */
	unsigned debug;			/* SIP_DEBUG_*: this dialog's (sip_debug.c) */
	struct sip_ua *ua;
	nua_handle_t *nh;
	struct fsm_inst fi;		/* enum sip_state, sip_leg_fsm */
	unsigned timer_ms[SIP_T__COUNT];
	enum sip_role role;
	/* The state a 2xx or our answer confirms the dialog in: HELD when the
	 * far end's SDP before it (the offer, an early answer) holds us. */
	enum sip_state confirm_st;
	unsigned id;
	char host[128];
	int port;
	int transport;			/* enum sip_tp: what the INVITE to host:port goes over */
	char ruri[256];			/* a registered contact to call as is */
	char req_uri[256], req_to[300], req_from[256];	/* our INVITE's, for a 422 retry */
	int dial_peer;
	int assert_identity;		/* the peer is in our trust domain (RFC 3325) */
	int req_privacy;		/* our INVITE says Privacy: id (RFC 3323) */
	char req_pai[256];		/* our INVITE's P-Asserted-Identity ("" = none) */
	char req_div[256];		/* our INVITE's Diversion (RFC 5806, "" = none) */
	char req_hist[512];		/* our INVITE's History-Info (RFC 7044, "" = none) */
	char req_refby[160];		/* a transfer's INVITE: Referred-By (RFC 3892, "" = none) */
	char number[64];
	struct rtp_session *rtp;
	struct media_port mport;
	struct sip_rtp rm;		/* sip_rtp.c */
	int pt;				/* negotiated payload type, -1 before answer */
	int te_pt;
	/* Cisco voice-class codec order: the dial-peer's, else rtp.codecs;
	 * our offer lists them, an answer takes the first the offer has */
	const struct codec_desc *prefs[DP_MAX_CODECS];
	int n_prefs;
	char remote_addr[64];
	int remote_port;
	struct sdp_mlines offer_ml;	/* UAS: the INVITE offer's m= lines, for our answers */
	unsigned long sdp_ver;
	unsigned long sdp_id;
	struct sip_leg_timers tm;
	struct sip_refer *refer;	/* a REFER's implicit subscription (sip_refer.c), NULL = none */
	int local_hold;			/* the other party holds the call (sip_hold.c) */
	enum leg_hold local_how;	/* ... this way */
	int hold_out;			/* our re-INVITE for it awaits its answer */
	int offer_null_addr;		/* the offer being built says c=0.0.0.0 */
	struct sip_t38 *t38;		/* fax watch and relay (sip_t38.c), NULL = none yet */
	struct sip_srtp srtp;
	/* UAS over TLS, its INVITE to a sip: URI: our Contact sip:H:P;transport=tls
	 * (sip_tp_follow_request; sl_contact gives it), "" otherwise: the
	 * stack's own is sips:, which RFC 3261 8.1.1.8 asks for a sips: request
	 * only, and which baresip 1.0 cannot send its ACK to (ENOSYS: the call
	 * dies unanswered) */
	char tls_contact[SIP_HOSTPORT_LEN + 24];
	enum sdp_proto proto;		/* the audio transport agreed (our offers: RTP/AVP) */
	int rtcp_mux;			/* the far end's SDP has a=rtcp-mux: RTCP on the RTP port, ours says so too */
	enum sip_oa oa;			/* sip_offer.c */
	int delayed_offer;		/* UAC: our INVITE carries no SDP (the dial-peer's delayed_offer) */
	int peer_100rel;		/* UAS: the INVITE's Supported/Require has 100rel */
	int peer_update;		/* the far end's Allow lists UPDATE (RFC 3311): refresh by UPDATE */
	char desc[64];
};

void sip_leg_event(struct sip_leg *sl, nua_event_t event, int status, char const *phrase,
		   sip_t const *sip, tagi_t tags[]);
int sip_leg_incoming(struct sip_ua *ua, nua_handle_t *nh, sip_t const *sip);
/** Clear a confirmed dialog from our side (BYE with Reason cause) and tell the call. */
void sip_leg_clear(struct sip_leg *sl, int cause);
/** The dialog ended without a BYE of ours (the stack's own): tell the call. */
void sip_leg_cleared(struct sip_leg *sl, int cause);
/** The SDP answer in a 2xx to our re-INVITE: where and how to send now;
 * 1 if it held or resumed the call, 0 if not, or -errno. */
int sip_leg_take_answer(struct sip_leg *sl, sip_t const *sip);
/** Our SDP as it stands, for an offer in a session refresh; 0 or -errno. */
int sip_leg_sdp(struct sip_leg *sl, char *buf, size_t len);

/* sip_status.c: what the leg says about itself */
/** leg_ops.status. */
void sip_leg_status(struct leg *leg, struct leg_status *st);
/** An incoming leg's INVITE: its Call-ID, source port and numbers. */
void sip_status_incoming(struct sip_leg *sl, sip_t const *sip, const struct leg_setup_info *si);
/** Our INVITE has gone (nua made its Call-ID): note it and the numbers. */
void sip_status_outgoing(struct sip_leg *sl, const struct leg_setup_info *si);
/** Every nua event of the leg: the INVITE's final status as it comes or goes. */
void sip_status_event(struct sip_leg *sl, nua_event_t event, int status, sip_t const *sip);
/** The leg is going (sip_debug.c): its own debug sip stops counting. */
void sip_debug_leg_gone(struct sip_leg *sl);

/* sip_hold.c: hold passed through (the other party held or resumed) */
/** leg_ops.hold: a re-INVITE that holds or resumes the far end. */
void sip_leg_hold(struct leg *leg, int held, enum leg_hold how);
/** Our SDP offer as the leg stands (holds both ways taken in); sdp_build()'s return. */
int sip_hold_offer(struct sip_leg *sl, char *buf, size_t len);
/** Our answer's direction to the far end's offer while the other party
 * holds the call: we receive nothing then. */
enum sdp_dir sip_hold_answer_dir(const struct sip_leg *sl, enum sdp_dir dir);
/** An INFO in the dialog (RFC 6086 legacy use): passed to the other party
 * and answered 200, or 415 when the other party cannot take it, 481
 * outside an answered call. */
void sip_info_in(struct sip_leg *sl, sip_t const *sip);
/** leg_ops.info: the other party's INFO, sent on in this dialog. */
void sip_leg_info(struct leg *leg, const char *ctype, const char *body, size_t len);
/** How the far end's SDP holds us. */
enum leg_hold sip_hold_how(const struct sdp_info *si);
/** A response to an INVITE in the dialog: 1 if it answered our hold
 * re-INVITE (taken), 0 if not ours or the dialog is gone with it. */
int sip_hold_response(struct sip_leg *sl, int status, sip_t const *sip);

/* sip_media.c */
/** The leg's codec order from config names (unknown ones skipped, logged). */
void sl_set_codecs(struct sip_leg *sl, const struct dp_codecs *names);
/* sip_t38.c: fax, T.38 relay (or G.711 passthrough when refused) */
struct sip_t38;
/** A frame from the other party (sl_play): 1 when the T.38 gateway took it
 * (no RTP goes out), else 0 after listening for a fax in it. */
int sip_t38_play(struct sip_leg *sl, const int16_t *frame);
/** A frame from the far end (RTP) towards the other party: a fax in it? */
void sip_t38_heard(struct sip_leg *sl, const int16_t *frame);
/** The B-channel's clock pulls a frame (sl_pull): in T.38 the gateway's; 1 if so. */
int sip_t38_pull(struct sip_leg *sl, int16_t *frame);
/** A re-INVITE or UPDATE offer: one with a live image/t38 stream is
 * answered here (200 and relay on, or 488); 1 if so. */
int sip_t38_offer_in(struct sip_leg *sl, sip_t const *sip, int update);
/** A response to an INVITE in the dialog: 1 if it answered our T.38 re-INVITE. */
int sip_t38_response(struct sip_leg *sl, int status, sip_t const *sip);
/** Our offer in T.38 mode (a session refresh, an offerless re-INVITE):
 * the image stream as negotiated; -ENOENT when not in T.38, -ENOSPC. */
int sip_t38_offer(struct sip_leg *sl, char *buf, size_t len);
/** When UDPTL last brought a packet in T.38 mode (the RTP watch counts it); 0 = not in T.38. */
long long sip_t38_last_rx(const struct sip_leg *sl);
void sip_t38_free(struct sip_leg *sl);

/* sip_srtp.c: SRTP with SDES keys (RFC 4568, RFC 3711) */
/** Whether signalling runs over TLS: an incoming request by its top Via
 * (nta drops one whose Via names another transport than it came on),
 * else (request NULL) our own by the dial-peer's session_transport. */
int sip_srtp_over_tls(sip_t const *request, int dp_transport);
/** An outgoing leg to a dial-peer with this transport and srtp policy. */
void sip_srtp_init_uac(struct sip_leg *sl, int dp_transport, int policy);
/** An incoming leg: its INVITE's transport. */
void sip_srtp_init_uas(struct sip_leg *sl, sip_t const *sip);
/** A new INVITE's offer before any leg exists: 0, or -EPROTO with the
 * Warning text to answer 488 with (RFC 3261 20.43 code 305). */
int sip_srtp_check_offer(sip_t const *sip, const struct sdp_info *offer, const char **textp);
/** The far end's SDP (an offer, or the answer to ours): keys taken and the
 * session's SRTP set up or moved to its new key. 0; -EPROTONOSUPPORT for
 * RTP/SAVP(F) where the leg has no SRTP (a clear transport, a plain call);
 * -EKEYREJECTED for keys it cannot take (none we use, keys gone mid-call,
 * mandatory SRTP answered without). Changes nothing on failure. */
int sip_srtp_take(struct sip_leg *sl, const struct sdp_info *si);
/** Our SDP's a=crypto lines into bp, and RTP/SAVP for our first offer
 * (which makes the keys); 0 or -EIO (no random key). */
int sip_srtp_sdp(struct sip_leg *sl, struct sdp_build_params *bp);
/** Our INVITE was refused with status: 1 when it is to go again as
 * RTP/AVP (Cisco "srtp fallback": optional, 488 or 415, once). */
int sip_srtp_fallback(struct sip_leg *sl, int status);
/** The leg is going: what SRTP refused, logged. */
void sip_srtp_end(struct sip_leg *sl);

/* sip_rtp.c: RTP media and DTMF */
/** The leg's media port and DTMF state, relay its dtmf-relay list; 0 or -ENOMEM. */
int sip_rtp_init(struct sip_leg *sl, const struct cfg_enum_list *relay);
void sip_rtp_cleanup(struct sip_leg *sl);
/** The far end's SDP was taken (sl->pt, te_pt, rm.law set): pick the DTMF
 * method and the packet time (its a=ptime, 0 = none). */
void sip_rtp_media_changed(struct sip_leg *sl, int ptime, int maxptime);
/** Send and receive ch's codec from now on (a new one: a fresh instance,
 * tuned by the far end's fmtp); 0, or -errno with the old one kept. */
int sip_rtp_set_codec(struct sip_leg *sl, const struct sdp_choice *ch);
/** "rfc4733", "info" or "inband": how this leg sends digits. */
const char *sip_rtp_dtmf_method(const struct sip_leg *sl);
void sl_rtp_in(void *arg, int pt, const uint8_t *payload, size_t len, uint16_t seq, uint32_t ts, int marker);
void sl_play(struct media_port *mp, const int16_t *frame);
void sl_dtmf(struct media_port *mp, const struct media_dtmf *ev);
/** A digit an INFO brought (application/dtmf-relay, application/dtmf); one
 * with no Duration lasts SIP_INFO_DTMF_MS. */
#define SIP_INFO_DTMF_MS 100
void sip_rtp_info_digit(struct sip_leg *sl, char digit, unsigned ms);
/** Parse an INFO body: 0 and the digit and its length (ms, 0 = not given);
 * -ENOENT for a content type that is no DTMF; -EINVAL for a DTMF body
 * without a digit. */
int sip_dtmf_info_parse(const char *ctype, const char *body, size_t len, char *digit, unsigned *ms);

/** The leg's description with its state, "sip 3 [CONFIRMED]". */
const char *sip_leg_describe(struct sip_leg *sl);

/* sip_timers.c: RTP inactivity and RFC 4028 session timers of one leg */
/** Set up the leg's session timer machine; 0 or -ENOMEM. */
int sip_timers_init(struct sip_leg *sl);
/** UAS: note what the initial INVITE asked of session timers (and whether its Allow has UPDATE). */
void sip_timers_offer(struct sip_leg *sl, sip_t const *sip);
/** UAS: our 2xx carries Session-Expires to a caller that supports timers: Require: timer (RFC 4028 9). */
int sip_timers_require(const struct sip_leg *sl);
/** The dialog is confirmed (sip: the 2xx we got as UAC; NULL as UAS): start the clocks. */
void sip_timers_answered(struct sip_leg *sl, sip_t const *sip);
/** Answer, hold or resume: the far end gets a fresh RTP timeout (the hold one while held). */
void sip_timers_media_changed(struct sip_leg *sl);
/** The RTP watch of a CONFIRMED or HELD leg: its state timer ran out, or
 * ICMP refusals came in a row (rtp_refused_h). */
void sip_timers_rtp_check(struct sip_leg *sl);
/** A re-INVITE/UPDATE from the far end that we answer 2xx: a refresh. */
void sip_timers_refreshed(struct sip_leg *sl, sip_t const *sip);
/** A response to an INVITE in a confirmed dialog; 1 if it answered our
 * refresh (handled here; the leg may be clearing), 0 if not ours. */
int sip_timers_refresh_response(struct sip_leg *sl, int status, sip_t const *sip);
/** 1 when a 422 may still be retried (RFC 4028 6: once), and notes the retry. */
int sip_timers_retry_422(struct sip_leg *sl);
/** nua_r_bye for a BYE we never sent: nua's own session-expiry BYE. */
void sip_timers_stack_bye(struct sip_leg *sl);
/** The dialog is on its way out: no session clock runs any more. */
void sip_timers_stop(struct sip_leg *sl);
void sip_timers_free(struct sip_leg *sl);

/* sip_leg.c, for sip_media.c: the leg's state, and a checked move of it */
int sl_is(const struct sip_leg *sl, enum sip_state st);
int sl_move(struct sip_leg *sl, int next);
/** A new leg of role (UAS: INCOMING, UAC: IDLE) with its RTP port; 0 or -errno. */
int sip_leg_alloc(struct sip_leg **slp, struct sip_ua *ua, enum sip_role role);
/** The call's release (leg_ops.release) from inside the SIP side. */
void sip_leg_release(struct sip_leg *sl, int cause);

/* sip_media.c: the leg's SDP offer/answer (RFC 3264) and RTP glue */
/** Our SDP: an offer (offer NULL) or an answer to the offer's m= layout; sdp_build()'s return. */
int sl_build_answer(struct sip_leg *sl, char *buf, size_t len, enum sdp_dir dir,
		    const struct sdp_mlines *offer);
/** Our SDP offer; sdp_build()'s return. */
/* sip.bind (64) with brackets and ":65535" */
#define SIP_OWN_HOSTPORT_LEN 72
/** Our host:port as the leg writes it in From, To, P-Asserted-Identity...
 * (sip_addr.c): sip.bind, or for a wildcard the address towards the peer;
 * IPv6 in brackets. Returns out (SIP_OWN_HOSTPORT_LEN bytes). */
const char *sl_own_hostport(const struct sip_leg *sl, char *out);
/** Our Contact for the leg's dialog: a UAS leg over TLS whose INVITE named
 * a sip: URI, its tls_contact; else "<sip:hostport>" when bound to a
 * wildcard, else NULL (nua's own is right). Returns out, tls_contact or NULL. */
const char *sl_contact(const struct sip_leg *sl, char *out, size_t len);
/** Our RTP address for the leg's SDP, bare: rtp.address, or for a wildcard
 * the address towards the far end's media (else its signalling). Returns out. */
const char *sl_media_addr(const struct sip_leg *sl, char *out, size_t len);
int sl_build_sdp(struct sip_leg *sl, char *buf, size_t len, enum sdp_dir dir);
/** The far end's SDP: 1 when it holds us, 0 when not, -EPROTO with no codec
 * of the leg's list (sdp_negotiate), -EPROTONOSUPPORT for a transport we do
 * not speak (RTP/SAVP without SRTP). */
int sl_take_sdp(struct sip_leg *sl, const struct sdp_info *si);
/** An SDP before the dialog is confirmed: sets the state it confirms in; 0 or sl_take_sdp()'s error. */
int sl_take_early_sdp(struct sip_leg *sl, const struct sdp_info *si);
/** The SDP body of a request or response: 0, -ENOENT (none) or sdp_info_parse()'s error. */
int sip_body_sdp(sip_t const *sip, struct sdp_info *si);
/** The RTP session's refused_h (recv_h is sip_rtp.c's sl_rtp_in). */
void sl_rtp_refused(void *arg, unsigned run);

/* sip_offer.c: delayed offer (RFC 3261 13.2.1, RFC 3262, RFC 6337) */
const char *sip_oa_name(enum sip_oa oa);
/** The law for the PRI side of a call whose INVITE had no offer: our first codec's. */
int sip_offer_law(const struct sip_leg *sl);
/** UAS: the INVITE (or re-INVITE) had no SDP; ours goes in the first reliable response. */
void sip_offer_none_in(struct sip_leg *sl, sip_t const *sip);
/** UAS: note whether the INVITE takes reliable provisional responses (RFC 3262). */
void sip_offer_note_100rel(struct sip_leg *sl, sip_t const *sip);
/** 1xx (with 100rel) or 2xx to the INVITE with our offer in it when it is
 * due, or without SDP when the offer went before; further tags are added. */
void sip_offer_respond(struct sip_leg *sl, int status, const char *phrase, int req_timer);
/** UAS: a 183 may carry SDP now (no offer due, or the caller takes 100rel). */
int sip_offer_early_ok(const struct sip_leg *sl);
/** The ACK or PRACK (where) to a response with our offer: its answer taken;
 * none, or none we can use, clears the call with cause 65. */
void sip_offer_answer_in(struct sip_leg *sl, sip_t const *sip, int prack);
/** UAS: our answer went in a 183 that nua sends reliably (the caller has 100rel). */
void sip_offer_answered_early(struct sip_leg *sl);
/** A re-INVITE or UPDATE (update) in the dialog: hold, resume, a codec
 * change or a session refresh answered (RFC 3264 8, RFC 3311, RFC 4028);
 * one without SDP gets our offer (a re-INVITE) or a 200 without (UPDATE). */
void sip_offer_in(struct sip_leg *sl, sip_t const *sip, int update);
/** Our offer went in a 2xx to a re-INVITE without SDP: the ACK answers it. */
void sip_offer_sent(struct sip_leg *sl);
/** An UPDATE in the early dialog (RFC 3311 5.1): its offer answered in the
 * 200, 491 while an offer of ours is unanswered, 200 without SDP when it has none. */
void sip_offer_update_early(struct sip_leg *sl, sip_t const *sip);
/** UAC: our INVITE goes without SDP. */
void sip_offer_invite_out(struct sip_leg *sl);
/** UAC: our INVITE had no SDP and the 2xx is still to bring the offer. */
int sip_offer_awaited(const struct sip_leg *sl);
/** UAC: the 2xx's offer taken and answered in the ACK; 1, or 0 when it had
 * none we can take (ACKed without SDP: the caller clears). */
int sip_offer_2xx_in(struct sip_leg *sl, sip_t const *sip);

/* sip_incoming.c: a new INVITE's checks, before anything is allocated. */
/** The called number of a Request-URI user part: escapes decoded (RFC 3261
 * 19.1.2: "#" arrives as "%23"), RFC 3966 visual separators dropped, never
 * cut short. 0, or -EINVAL with *causep unallocated number (404) for a
 * character no number or user name has, -ENOSPC with invalid number format
 * (484) when it does not fit. */
int sip_in_called_number(const char *user, char *out, size_t outlen, int *causep);
/** The body of a new INVITE as RFC 3261 8.2.3 (content) and RFC 3264 (the
 * offer) say: 0 with offer filled; else -EPROTO, answered on nh with the
 * status in *statusp (415 with Accept, 406, 488 with Warning 304/399, 400). */
/** The caller's privacy (RFC 3323: Privacy id/user/header, or an anonymous
 * From) and its P-Asserted-Identity user (RFC 3325), into si. */
void sip_in_identity(sip_t const *sip, struct leg_setup_info *si);
/** Diversion (RFC 5806) and History-Info (RFC 7044, cause RFC 4458) header
 * lines for a call redirected from number for why, towards ruri, with our
 * hostport (IPv6 bracketed) as the host; "" each when number is "". */
void sip_redirect_headers(const char *number, enum leg_redirect why, const char *hostport,
			  const char *ruri, char *div, size_t divlen, char *hist, size_t histlen);
int sip_in_check_offer(struct sip_ua *ua, nua_handle_t *nh, sip_t const *sip, struct sdp_info *offer,
		       int *statusp);

/* sip_caps.c: Allow/Supported, refusals with Warning, OPTIONS */
/** ua->allow and ua->supported for the parts p turns on; 0 or -ENOSPC. */
int sip_caps_init(struct sip_ua *ua, const struct sip_ua_params *p);
/** Answer status with Warning code/text (RFC 3261 20.43), and Accept when
 * a 415; with_this: nh's request is the current one (a method nua leaves
 * to us, NUTAG_APPL_METHOD). */
void sip_caps_refuse_warn(struct sip_ua *ua, nua_handle_t *nh, int status, int code, const char *text,
			  int with_this);
/** Refuse an offer for rc (sip_caps_offer_refusal(); sl, when given, names
 * our codecs in a 305); returns the status sent. */
int sip_caps_refuse_offer(struct sip_ua *ua, nua_handle_t *nh, int rc, const struct sdp_info *si,
			  const struct sip_leg *sl, int with_this);
/** nua_i_options: 200 (nua adds Allow, Supported, Accept), or 503 with
 * Retry-After while the gateway cannot take calls (never in a dialog). */
void sip_caps_options(struct sip_ua *ua, nua_handle_t *nh, sip_t const *sip, int in_dialog);
/** A request of NUTAG_APPL_METHOD outside any dialog (INFO, REFER, UPDATE): answered. */
void sip_caps_outside(struct sip_ua *ua, nua_event_t event, nua_handle_t *nh);

/* sip_refer.c: transfers (REFER, RFC 3515; BYE/Also; Replaces, RFC 3891) */
struct sip_refer;
/** nua_i_refer on the leg: routing's door first (407/403 or 202), then NOTIFYs. */
void sip_refer_in(struct sip_leg *sl, int status, sip_t const *sip, tagi_t tags[]);
/** leg_ops.xfer_status: NOTIFY the REFER's subscription with status. */
void sip_refer_status(struct leg *leg, int status);
/** leg_ops.peer_changed: UPDATE with P-Asserted-Identity to a trusted peer. */
void sip_refer_peer_changed(struct leg *leg, const char *number);
/** A BYE with Also: the Also target called for the peer; 1 when under way. */
int sip_refer_bye_also(struct sip_leg *sl, sip_t const *sip);
/** The leg whose dialog an INVITE's Replaces header names, or NULL. */
struct leg *sip_replaces_leg(struct sip_ua *ua, sip_t const *sip);
void sip_refer_free(struct sip_leg *sl);

/* sip_redirect.c */
/** A 3xx to our INVITE: its Contacts, best q first, into the leg's
 * base.contacts for routing (logged). 0 or -ENOMEM. */
int sip_redirect_take(struct sip_leg *sl, int status, sip_t const *sip);
/** Contact header value for a 302 (one, no q) or 300 (several, each with
 * its q): 0, -ENOENT (none) or -ENOSPC. */
int sip_redirect_contact_str(const struct leg_contacts *lc, char *out, size_t outlen);

/* registrar.c */
void registrar_on_register(struct registrar *r, nua_t *nua, nua_handle_t *nh, sip_t const *sip,
			   const char *source);
/** Check a request's credentials (proxy: Proxy-Authorization for 407) from
 * source. 0 with user set (*statusp 0); else -EACCES with the status to
 * answer in *statusp: 401/407 when a challenge is due (none given, or
 * *stale: the nonce was stale or replayed, or another realm); 403 wrong
 * user or password, an answer for another Request-URI or algorithm, or a
 * source refused for guessing (auth_guard.h); 400 broken credentials; or
 * -ENOMEM (500). Failures are counted against source and user. */
int registrar_check(struct registrar *r, sip_t const *sip, int proxy, const char *source, char *user,
		    size_t ulen, int *statusp, int *stale);
/** The value of a fresh 401 (WWW-Authenticate) or 407 (Proxy-Authenticate)
 * challenge header, for tests; 0 or -ENOMEM. */
int registrar_challenge_value(struct registrar *r, int status, char *buf, size_t len);
/** The bindings an authenticated REGISTER for aor asks for (RFC 3261 10.3
 * steps 6-8), at now (wall clock, s): Contact * with Expires: 0 removes them
 * all; an expiry is the Contact's expires=, else Expires, else the default,
 * at most max_expires, 0 removes, below min_expires refuses the whole
 * request; the same Call-ID needs a higher CSeq; a new binding past
 * max_contacts evicts the least recently refreshed. Stored in the database,
 * then in memory; no answer sent. Returns 0 (*statusp 200); else -errno
 * with the status to answer in *statusp: -EINVAL 400 with *phrase; -ERANGE
 * 423 (Min-Expires: min_expires); -EIO 500, the database refused (nothing
 * changed); -ENOMEM 500. registrar_on_register() answers. */
int registrar_bind(struct registrar *r, sip_t const *sip, const char *aor, const char *source,
		   long long now, int *statusp, const char **phrase);
/** The 200's Contact value for aor at now: each live binding with its
 * remaining expires=; returns how many. */
unsigned registrar_bindings_value(struct registrar *r, const char *aor, long long now, char *list,
				  size_t len);
/** Answer status: 401/407 with a fresh challenge, else the bare status. */
void registrar_refuse(struct registrar *r, nua_t *nua, nua_handle_t *nh, int status, int stale,
		      int with_this);
/** A new INVITE (outside a dialog) or REGISTER, before anything is allocated
 * for it: when the gateway is overloaded, answers 503 with Retry-After and
 * returns 1 (the caller destroys nh); else 0. */
int sip_overload_refuse(struct sip_ua *ua, nua_handle_t *nh, sip_t const *sip);

/* The overload decisions without Sofia (sip_overload.c), for the unit tests:
 * sip_overload_refuse() measures, asks sip_ovl_decide(), starts the quiet
 * timer when an episode begins and answers 503. Times are mono_ms(). */
enum sip_ovl_verdict { SIP_OVL_TAKE, SIP_OVL_QUEUE_DELAY, SIP_OVL_CALL_RATE };
struct sip_ovl_req {
	int invite;		/* else a REGISTER (requests in a dialog never get here) */
	int emergency;		/* an INVITE to an emergency number */
	int credentials;	/* carries Authorization or Proxy-Authorization */
};
/** Parameters in, a full max_call_rate bucket at now_ms. */
void sip_ovl_setup(struct sip_overload *o, const struct sip_overload_params *p, long long now_ms);
/** The queue delay (ms) above which rq is refused; 0: the delay does not matter for it. */
unsigned sip_ovl_delay_limit(const struct sip_overload *o, const struct sip_ovl_req *rq);
/** Take or refuse rq, whose queue delay was delay_ms (0 when not measured), at
 * now_ms: takes a max_call_rate token, counts a refusal, starts an episode. */
enum sip_ovl_verdict sip_ovl_decide(struct sip_overload *o, const struct sip_ovl_req *rq,
				    unsigned delay_ms, long long now_ms);
/** Retry-After for a 503: n..2n s, from a random number. */
unsigned sip_ovl_retry_after(unsigned n, unsigned long rnd);
/** The quiet timer: ms still to wait, or 0 when the episode is over (ended now, logged). */
unsigned sip_ovl_quiet_check(struct sip_overload *o, long long now_ms);
/** Set up overload control on the UA's SIP socket (after nua_create). */
int sip_overload_init(struct sip_ua *ua, const struct sip_ua_params *p);
/** The exit summary line; frees the control's timer. */
void sip_overload_summary(struct sip_overload *o);
/** The address the current request came from. */
void sip_request_source(struct sip_ua *ua, char *buf, size_t len);
/** A response to an OPTIONS on nh: 0 when it was a keepalive ping's
 * (sip_keepalive.c, which destroys the handle), -ENOENT when not. */
int sip_keepalive_response(struct sip_keepalive *ka, nua_handle_t *nh, int status);

/* sip_listen.c: a leg's transport */
/** Our Contact's URI parameters for a leg over transport ("transport=tcp"),
 * NULL when the stack's own Contact already says it (UDP; TLS: sips:). */
const char *sip_tp_m_params(int transport);
/** A UAS leg: its transport is the one the INVITE came over (its Via, RFC
 * 3261 18.2.1), and our Contact says it too (RFC 3261 8.1.1.8, 12.1.1). */
void sip_tp_follow_request(struct sip_leg *sl, sip_t const *sip);
/** True (and logged) when a failure to our INVITE is the stack's own 503:
 * the request never reached the peer, or its connection closed before an
 * answer (a TLS certificate refused). The call hears cause 38, not 503's 41. */
int sip_tp_failed(struct sip_leg *sl, int status, sip_t const *sip);

#endif
