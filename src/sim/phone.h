/* sipgw - phone simulator: shared declarations of its options, calls and media.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_SIM_PHONE_H
#define SIPGW_SIM_PHONE_H

#include <stdint.h>

struct phone;
struct pcall;
struct pmedia;

/* Sofia's callbacks hand these back typed (see <sofia-sip/su_wait.h>, nua.h). */
#define SU_ROOT_MAGIC_T struct phone
#define NUA_MAGIC_T struct phone
#define NUA_HMAGIC_T struct pcall
#define SU_TIMER_ARG_T struct pcall

#include <sofia-sip/nua.h>
#include <sofia-sip/su_wait.h>

#include "dsp/codec.h"
#include "sip/sdp.h"

#define PHONE_MAX_CODECS 4
#define PHONE_MAX_TARGETS 16
#define PHONE_MAX_ATS 32

/* --at SEC:ACTION (phone_mid.c): SEC after start, in the order given for one time. */
struct phone_at {
	long at_ms;
	const char *action;
};

/* What --call / --dial asked for, placed one after another. */
struct phone_target {
	const char *uri;		/* --call: a SIP URI as given, no routing */
	const char *number;		/* --dial: a number routed by template and proxies */
};

/* Where a call's INVITE goes (Cisco SIP phone: proxy, backup, emergency). */
enum proute {
	PROUTE_DIRECT,			/* --call URI */
	PROUTE_PRIMARY,			/* --proxy */
	PROUTE_BACKUP,			/* --backup-proxy, after the primary failed */
	PROUTE_EMERGENCY,		/* --emergency-proxy, by a Route="emergency" template */
	PROUTE__COUNT
};

/* --dtmf-mode: how our --dtmf digits go (phone_dtmf.c). */
enum pdtmf_mode {
	PDTMF_INBAND,		/* tones in the audio (default) */
	PDTMF_RFC4733,		/* RTP telephone-event packets, no tone */
	PDTMF_INFO,		/* SIP INFO application/dtmf-relay, one per digit */
	PDTMF__COUNT
};

/* Command line, as parsed by phone_main.c. Times in milliseconds, -1 = never. */
struct phone_opts {
	const char *bind_addr;
	int port;
	const char *user;
	int ringing;			/* send 180 (default 1) */
	long answer_after_ms;
	int early_media;
	int ring_forever;
	int reject_status;		/* 0 = answer */
	int reject_cause;		/* Q.850 cause for Reason, 0 = none */
	const struct codec_desc *codecs[PHONE_MAX_CODECS];	/* --codec: offered and taken, preferred first */
	int n_codecs;
	int ptime;			/* --ptime: ms of audio per packet we send, and our a=ptime */
	long hangup_after_ms, hold_at_ms, unhold_at_ms;
	long refresh_at_ms;		/* re-INVITE with unchanged SDP, as a session-timer refresh (RFC 4028) */
	long cancel_after_ms;	/* caller: CANCEL when not answered this long after the INVITE */
	enum sdp_dir hold_dir;		/* SDP_SENDRECV + hold_null means "null" style */
	int hold_null;
	int tone_hz, detect_hz;
	const char *play;		/* --play FILE: raw 16-bit 8 kHz audio, looped, instead of a tone */
	int drop_every;			/* --drop-every N: every Nth RTP packet lost on the way */
	const char *dtmf;
	enum pdtmf_mode dtmf_mode;	/* --dtmf-mode */
	int dtmf_ms;			/* --dtmf-ms: tone (event) and gap length */
	long dtmf_after_ms;		/* --dtmf-after: from the answer to the first digit */
	int no_te;			/* --no-telephone-event: offer and answer none */
	struct phone_target targets[PHONE_MAX_TARGETS];	/* --call, --dial in order */
	int n_targets;
	const char *auth_user, *auth_pass;	/* --auth, NULL = no credentials */
	const char *register_uri;	/* --register, NULL = none */
	int expires_s;
	long unregister_at_ms;
	const char *proxy, *backup_proxy, *emergency_proxy;
	int proxy_tries;		/* INVITE transmissions to the primary */
	long t1_ms;			/* SIP timer T1 (RFC 3261 17.1.1.1) */
	const char *dial_template;
	const char *from;
	const char *privacy;		/* --privacy: our INVITE's Privacy header (RFC 3323) */
	const char *pai;		/* --pai: our INVITE's P-Asserted-Identity user (RFC 3325) */
	const char *header;		/* --header: one more header line in our INVITE */
	const char *display;
	long session_expires_s;		/* RFC 4028 Session-Expires to ask for, -1 = nua's default (none asked) */
	long min_se_s;			/* RFC 4028 Min-SE, -1 = nua's default (120) */
	int no_session_timer;		/* "timer" not in Supported: the far end must refresh alone */
	struct phone_at ats[PHONE_MAX_ATS];	/* --at, sorted by time */
	int n_ats;
	int answer_waiting;		/* a second INVITE while talking: hold the first, answer */
	const char *redirect_to;	/* --redirect-to URI[,URI...]: answer INVITEs 302 / 300 */
	int refuse_refer;		/* --refuse-refer STATUS (501, 405), 0 = accept with 202 */
	const char *fax_send;		/* --fax-send FILE: a fax terminal sends this TIFF */
	const char *fax_recv;		/* --fax-recv FILE: ... receives into it */
	int fax_t38;			/* --fax-mode t38 (else g711: T.30 on the RTP audio) */
	int exit_after_calls;		/* 0 = never */
	long timeout_ms;		/* -1 = none */
	int quiet;
};

/* Per-call state, one declared machine (names in phone_call.c). */
enum pcall_state {
	PC_INCOMING,		/* INVITE received, not answered yet (ringing or not) */
	PC_EARLY,		/* 183 with SDP sent, media flowing both ways */
	PC_CALLING,		/* INVITE sent (again, to the backup, on failover) */
	PC_PROCEEDING,		/* 18x received */
	PC_CANCELLING,		/* --cancel-after: our CANCEL sent, the INVITE's final response due */
	PC_ACTIVE,		/* 200 sent or received: talking */
	PC_HOLDING,		/* our hold re-INVITE sent */
	PC_HELD,		/* we hold the far end */
	PC_RESUMING,		/* our resume re-INVITE sent */
	PC_REMOTE_HELD,		/* the far end holds us */
	PC_RELEASING,		/* BYE/CANCEL/final error sent or received */
	PC_ENDED,
	PC__COUNT
};

/* The process's life: run, release the calls, shut nua down. */
enum phone_phase { PH_RUNNING, PH_RELEASING, PH_SHUTTING_DOWN };

struct ptmpl_plan;
struct preg;

/* The process: owned by main() in phone_main.c. */
struct loop_fd;
struct phone {
	struct phone_opts o;
	su_root_t *root;
	nua_t *nua;
	int tick_fd;		/* 20 ms media clock for every call: a timerfd */
	struct loop_fd *tick;	/* its watch on the loop (core/loop.h) */
	su_timer_t *deadline;	/* --timeout, then the shutdown guard */
	int sip_port;
	struct pcall *calls;	/* live calls, newest first */
	int next_call_id;
	int calls_ended;
	int next_target;	/* o.targets[] index of the next call to place */
	int dialling;		/* placing o.targets[] has begun */
	enum proute dial_route;	/* where --dial goes unless the template says emergency */
	struct ptmpl_plan *plan;	/* --dial-template, NULL = none */
	struct preg *reg;	/* --register, NULL = none */
	int exit_status;
	enum phone_phase phase;
	/* mid-call features (phone_mid.c) */
	su_time_t started;	/* --at times count from here */
	su_timer_t *at_timer;	/* the next --at action */
	int next_at;		/* o.ats[] index of it */
	int cur_call;		/* the call the user talks on (pcall_current) */
	int pending_resume;	/* switch:N: resume N once the current is held, 0 = none */
	int pending_answer;	/* call waiting: answer this call once the other is held */
	int conference;		/* 3-way: every talking call hears the others */
};

/** One stdout line "<ms> <kind> <text>"; SIP and AUDIO lines dropped with -q. */
void phone_out(const struct phone *ph, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/** A call has ended: counts it towards --exit-after-calls, places the next target. */
void phone_call_ended(struct phone *ph, int outgoing);
/** Start placing --call / --dial targets (at start, or once registered). */
void phone_start_dialling(struct phone *ph);
/** Stop: release every call, shut nua down, then leave the loop with status. */
void phone_exit(struct phone *ph, int status);

/* phone_call.c: calls on nua */
/** nua's event callback for the whole process. */
void pcall_nua_cb(nua_event_t event, int status, char const *phrase, nua_t *nua,
		  struct phone *ph, nua_handle_t *nh, struct pcall *call,
		  sip_t const *sip, tagi_t tags[]);
/** Place one --call / --dial target; 0 or -errno. */
int pcall_dial(struct phone *ph, const struct phone_target *t);
/** A SIP message summary went out (sip_trace): counts INVITE transmissions. */
void pcall_note_sent(struct phone *ph, const char *summary);
/** Send one 20 ms frame for every call whose state sends media. */
void pcall_tick_all(struct phone *ph);
/** End every call (BYE / CANCEL / 480); returns how many are still alive. */
int pcall_release_all(struct phone *ph);
/** Free every call object (at exit, after nua has shut down). */
void pcall_free_all(struct phone *ph);
const char *pcall_state_name(enum pcall_state st);

/* phone_mid.c: --at actions */
/** Parse one --at SEC:ACTION; 0 or -EINVAL (with a message). */
int pmid_parse_at(struct phone_opts *o, const char *arg);
/** Start the --at clock (at "ready"). */
void pmid_start(struct phone *ph);
void pmid_stop(struct phone *ph);

/* phone_auth.c: digest credentials for any request */
/** Answer a 401/407 on nh with the --auth credentials (the caller allows it once);
 * 0 if sent, -EACCES without credentials or challenge. */
int pauth_answer(struct phone *ph, nua_handle_t *nh, int status, const sip_t *sip);

/* phone_reg.c: --register, refreshes, --unregister-at */
int preg_alloc(struct preg **rp, struct phone *ph);
void preg_free(struct preg *r);
/** nua_r_register / nua_r_unregister; 1 if the event was the registration's. */
int preg_nua_event(struct phone *ph, nua_event_t event, int status, nua_handle_t *nh,
		   const sip_t *sip);

/* phone_route.c: which proxy a --dial goes to, and failing over */
const char *proute_name(enum proute r);
/** Check a proxy URI (sip:HOST[:PORT]); 0 or -EINVAL. */
int proute_check_uri(const char *uri);
/** The route and Request-URI for NUMBER; prints the route when not the primary. */
int proute_choose(struct phone *ph, const char *number, enum proute *rp, char *ruri, size_t len);
/** The Request-URI for NUMBER on route r (after a failover). */
int proute_target(struct phone *ph, const char *number, enum proute r, char *ruri, size_t len);
/** Does a final status on route r move the call to the backup proxy? */
int proute_fails_over(const struct phone *ph, enum proute r, int status);

/* phone_tmpl.c: Cisco dialplan.xml */
/** Load --dial-template; on a bad file prints FILE:LINE on stderr, -EINVAL. */
int ptmpl_load(struct ptmpl_plan **pp, const char *path);
void ptmpl_free(struct ptmpl_plan *p);
/** The first template matching number: its route ("emergency"...) and user=phone. */
int ptmpl_match(const struct ptmpl_plan *p, const char *number, const char **routep,
		int *user_phonep);

/* phone_media.c: RTP, tone, DTMF of one call */
int pmedia_alloc(struct pmedia **mp, struct phone *ph, int call_id);
void pmedia_free(struct pmedia *m);
int pmedia_local_port(const struct pmedia *m);
/** Where and how to send: the codec, its payload type and the far end's fmtp
 * (ch from sdp_negotiate), telephone-event pt or -1; ip NULL: send nothing. */
int pmedia_set_remote(struct pmedia *m, const char *ip, int port, const struct sdp_choice *ch);
/** A codec by SDP or config name, any case ("pcmu", "G722", "g722-64", "opus"), or NULL. */
const struct codec_desc *pmedia_codec_by_name(const char *name);
/** The payload type we offer c on: its static one, else its dynamic one. */
int pmedia_offer_pt(const struct codec_desc *c);
/** Play --dtmf once from now on. */
void pmedia_start_dtmf(struct pmedia *m);
/** Send one 20 ms frame: ours (tone, DTMF, silence) plus mix (160 samples) or NULL. */
void pmedia_tick(struct pmedia *m, const int16_t *mix);
/** What came in since the last rx tick, decoded (160 samples), or NULL. */
const int16_t *pmedia_last_rx(const struct pmedia *m);
/** Once per tick: feed silence to the detectors when no audio came. */
void pmedia_rx_tick(struct pmedia *m);
/** Print the call's RTP counters as a STAT line. */
void pmedia_print_stats(const struct pmedia *m);
/* fax: T.30 on the RTP audio, or T.38 over UDPTL (phone_fax.c drives the SIP) */
#define PHONE_T38_REDUNDANCY 3	/* secondary IFPs per UDPTL packet */
struct sdp_t38;
/** Start a T.30 terminal on the audio (--fax-mode g711, or after a refused T.38). */
int pmedia_fax_audio(struct pmedia *m, int calling);
/** Our UDPTL port (opened on first use) for an image stream's SDP, or -errno. */
int pmedia_t38_port(struct pmedia *m);
/** Switch to T.38: UDPTL to ip:port with the negotiated parameters, RTP stops. */
int pmedia_t38_start(struct pmedia *m, const char *ip, int port, const struct sdp_t38 *t, int calling);
/** The fax terminal has reached T.30 phase E. */
int pmedia_fax_over(const struct pmedia *m);
/** Print the UDPTL counters as a STAT line (nothing without T.38). */
void pmedia_print_t38_stats(const struct pmedia *m);

/* phone_dtmf.c: DTMF sent and heard, by each method */
struct pdtmf_tx;
struct rtp_session;
struct sim_te_rx;
const char *pdtmf_mode_name(enum pdtmf_mode m);
/** Parse --dtmf-mode; 0 or -EINVAL. */
int pdtmf_parse_mode(const char *s, enum pdtmf_mode *mp);
/** The media half of --dtmf (in-band, RFC 4733); *tp NULL when there is none to play. */
int pdtmf_tx_alloc(struct pdtmf_tx **tp, struct phone *ph, int call_id);
void pdtmf_tx_free(struct pdtmf_tx *t);
/** Before a frame is encoded: the in-band digits into amp; 1 if it wrote amp. */
int pdtmf_tx_audio(struct pdtmf_tx *t, int16_t *amp, size_t n);
/** After the frame went: this tick's RFC 4733 packets (telephone-event pt te_pt). */
void pdtmf_tx_events(struct pdtmf_tx *t, struct rtp_session *rtp, int te_pt, int te_clock);
/** The in-band detector's reports (sim_dtmf_det_h, arg the phone): a tone started;
 * one ended, ms long. */
void pdtmf_inband_on(void *phone, char digit, int ms);
void pdtmf_inband_end(void *phone, char digit, int ms);
/** A telephone-event packet: prints each event once. */
void pdtmf_rx_event(struct phone *ph, struct sim_te_rx *r, const uint8_t *p, size_t len,
		    uint32_t ts, int te_clock);

#endif
