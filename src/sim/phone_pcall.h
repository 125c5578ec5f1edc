/* sipgw - phone simulator: one call's object and the machine's events, shared by
 * phone_call.c (the call), phone_mid.c (--at actions) and phone_xfer.c (REFER,
 * Replaces, Also, 3xx). Private to src/sim/phone*.c.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_SIM_PHONE_PCALL_H
#define SIPGW_SIM_PHONE_PCALL_H

#include "sim/phone.h"
#include "core/fsm.h"

#define PCALL_URI_MAX 256
#define SDP_BUF_LEN 1024	/* our SDP bodies */
#define PCALL_MAX_CONTACTS 8	/* 3xx Contacts tried in q order */

/* A fax call's move to T.38 (phone_fax.c). */
enum pcall_t38 {
	PT38_NONE,		/* audio */
	PT38_OFFERED,		/* our re-INVITE to image/t38 is out */
	PT38_ACTIVE,		/* T.38 over UDPTL */
	PT38_REFUSED,		/* the far end said no: fax on the audio */
};

struct pcall {
	struct phone *ph;
	struct pcall *next;
	int id;
	struct fsm_inst fi;		/* enum pcall_state, pcall_fsm */
	int outgoing;
	nua_handle_t *nh;
	struct pmedia *media;		/* owned */
	su_timer_t *t_answer, *t_hangup, *t_hold, *t_unhold, *t_refresh, *t_cancel;
	int final_status;		/* final response to the initial INVITE, 0 = none */
	char call_id[128];		/* its dialog's Call-ID, printed once known ("" = not yet) */
	int cause;			/* Q.850 cause from a Reason header, 0 = none */
	int pt, te_pt;			/* negotiated codec's PT and telephone-event, -1 = none */
	int te_clock;			/* telephone-event's clock: 8000, or 48000 beside Opus */
	const struct codec_desc *codec;	/* the negotiated codec, NULL = none yet */
	const struct codec_desc *offer_codec;	/* --at codec:NAME: our next offer has it alone */
	int offer_in_answer;		/* we offered in a 2xx/18x: the answer comes in ACK */
	unsigned long sess_id, sess_ver;
	enum sdp_dir hold_dir;		/* this call's hold style (--hold-style, hold=STYLE) */
	int hold_null;
	/* caller only */
	enum proute route;
	const char *number;		/* --dial NUMBER, NULL for --call */
	char target[PCALL_URI_MAX];	/* the Request-URI of our INVITE */
	int tries;			/* transmissions of the current INVITE (sip_trace) */
	int challenges;			/* 401/407 answered: at most one (figure B-19) */
	/* RFC 3261 8.1.3.4: a 3xx's Contacts, best q first, still to try */
	char contacts[PCALL_MAX_CONTACTS][PCALL_URI_MAX];
	int n_contacts, next_contact;
	/* transfers (phone_xfer.c) */
	char referred_by[PCALL_URI_MAX];	/* our INVITE's Referred-By (RFC 3892), "" = none */
	char replaces[PCALL_URI_MAX];		/* our INVITE's Replaces (RFC 3891), "" = none */
	char refer_to[PCALL_URI_MAX];		/* the REFER / BYE-Also target we sent */
	char also_to[PCALL_URI_MAX];		/* BYE Also: after a refused REFER (figure B-7) */
	int refer_consult;			/* attended: the consultation call, 0 = blind */
	int referred_from;			/* the call whose REFER placed this one, 0 = none */
	char refer_event[64];			/* Event of a REFER we accepted, for its NOTIFYs */
	int refer_done;				/* final NOTIFY sent: then BYE (RFC 5589 6.1) */
	int notifies_out;			/* our NOTIFYs not answered yet */
	/* fax (phone_fax.c) */
	enum pcall_t38 t38;
	int fax_ticks;				/* 20 ms ticks in ACTIVE */
	int fax_hung;				/* our hangup after phase E is done */
	struct pdtmf_info *dtmf_info;		/* --dtmf-mode info: digits still to send, or NULL */
};

/* What happens to a call: nua's events on its handle, and the clocks the
 * command line sets (the user's answer, hangup, hold...). */
enum pcall_event {
	PCE_REINVITE,		/* nua_i_invite on the call: the far end's re-INVITE */
	PCE_INVITE_RESP,	/* nua_r_invite: a response to our INVITE or re-INVITE */
	PCE_ACK,		/* nua_i_ack */
	PCE_CANCEL_IN,		/* nua_i_cancel */
	PCE_BYE_IN,		/* nua_i_bye */
	PCE_TERMINATED,		/* nua_i_state, nua_callstate_terminated */
	PCE_ANSWER_AT,		/* --answer-after, a waiting call once the other is held */
	PCE_HANGUP_AT,		/* --hangup-after, --at hangup */
	PCE_HOLD_AT,		/* --hold-at, --at hold */
	PCE_UNHOLD_AT,		/* --unhold-at, --at resume */
	PCE_REFRESH_AT,		/* --refresh-at */
	PCE_CANCEL_AT,		/* --cancel-after */
	PCE_RELEASE,		/* the process stops: end the call */
	PCE__COUNT
};

/* phone_call.c */
int pcall_alloc(struct pcall **cp, struct phone *ph, int outgoing);
void pcall_free(struct pcall *c);
int pcall_set_state(struct pcall *c, enum pcall_state st);
/** One INVITE of the call on a new handle, to c->target. */
int pcall_invite(struct pcall *c);
/** The same call again to a new target (3xx Contact): new handle, CALLING. */
int pcall_retarget(struct pcall *c, const char *uri);
/** A user event on the call (hold, resume, hangup...); -EPERM if its state refuses it. */
int pcall_user(struct pcall *c, enum pcall_event ev);
struct pcall *pcall_by_id(struct phone *ph, int id);
struct pcall *pcall_by_handle(struct phone *ph, nua_handle_t *nh);
/** The call the user talks on: the last answered, dialled, resumed or switched to. */
struct pcall *pcall_current(struct phone *ph);
int pcall_is_talking(const struct pcall *c);
void phone_print_identity(struct phone *ph, int id, sip_t const *sip);

/* phone_xfer.c: REFER (RFC 3515), Replaces (RFC 3891), BYE/Also, 3xx */
/** nua events of transfers (REFER, NOTIFY); 1 if handled. */
int pxfer_nua_event(struct phone *ph, nua_event_t event, int status, nua_handle_t *nh,
		    struct pcall *c, const sip_t *sip, tagi_t tags[]);
/** Blind transfer of c to uri (figure B-6). */
int pxfer_blind(struct pcall *c, const char *uri);
/** Attended transfer: c's peer to consult's peer, with Replaces (figure B-8). */
int pxfer_attended(struct pcall *c, struct pcall *consult);
/** A new INVITE: --redirect-to, Replaces; 1 if it has been answered here. */
int pxfer_new_invite(struct pcall *c, const sip_t *sip);
/** A response on a call a REFER placed: NOTIFY the referrer (RFC 3515 2.4.5). */
void pxfer_progress(struct pcall *c, int status);
/** A BYE with Also: call the Also target (figure B-7). */
void pxfer_on_bye(struct pcall *c, const sip_t *sip);
/** nua followed a 302 itself (its status 100 carries the 302): say where to. */
void pxfer_nua_redirected(struct pcall *c, const sip_t *sip);
/** A 3xx to our INVITE, or a failure of a redirected try: the next Contact; 1 if sent. */
int pxfer_follow_redirect(struct pcall *c, int status, const sip_t *sip);

/* phone_fax.c: --fax-send, --fax-recv, --fax-mode */
/** The call is answered: start the audio fax terminal in g711 mode. */
void pfax_answered(struct pcall *c);
/** A re-INVITE: one to image/t38 is answered here (200 or 488); 1 if so. */
int pfax_reinvite(struct pcall *c, const sip_t *sip);
/** A response to our T.38 re-INVITE; 1 if it was one. */
int pfax_invite_response(struct pcall *c, int status, const sip_t *sip);
/** Every 20 ms: the receiver's T.38 re-INVITE, the sender's hangup at the end. */
void pfax_tick(struct pcall *c);
/* phone_dtmf.c: DTMF by SIP INFO, and where --dtmf starts */
struct pdtmf_info;
/** The call is answered: --dtmf starts (media or INFO, by --dtmf-mode). */
void pdtmf_call_answered(struct pcall *c);
void pdtmf_call_free(struct pcall *c);
/** INFO in (answered 200, 400 for a bad DTMF body) and the responses to ours; 1 if handled. */
int pdtmf_nua_event(struct phone *ph, nua_event_t event, int status, nua_handle_t *nh,
		    struct pcall *c, const sip_t *sip);

/* phone_mid.c: --at actions, call waiting, 3-way */
/** A call went on hold by us: a switch or a waiting call continues. */
void pmid_on_held(struct pcall *c);
/** A new INVITE while we talk, with --answer-waiting: ring, hold the other; 1 if taken. */
int pmid_call_waiting(struct pcall *c);
/** The audio to add to what call c sends (the 3-way mix), or NULL. */
const int16_t *pmid_mix_for(struct pcall *c);

/* phone_sdp.c: the call's SDP */
/** Our SDP into buf[SDP_BUF_LEN]: an offer (every --codec, or --at codec:'s
 * one) before a codec is agreed, else the agreed one; hold: our hold style. */
const char *pcall_sdp(struct pcall *c, char *buf, int hold);
/** Our answer to a re-offer: the agreed codec, direction dir. */
const char *pcall_sdp_answer(struct pcall *c, char *buf, enum sdp_dir dir);
/** The SDP body of a message: 0, -ENOENT without one, or sdp_info_parse's error. */
int pcall_sdp_of(const sip_t *sip, struct sdp_info *si);
/** Take the far end's SDP: the codec negotiated (ours first), RTP where it
 * says unless it holds us; -ENOTSUP with no common codec. */
int pcall_apply_remote(struct pcall *c, const struct sdp_info *si);

#endif
