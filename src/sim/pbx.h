/* sipgw - PBX simulator: libpri on the far end of a loopback span.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_SIM_PBX_H
#define SIPGW_SIM_PBX_H

#include <stddef.h>
#include <stdint.h>

#include "core/fsm.h"
#include "hw/loopback.h"

struct pri;
struct q931_call;
struct sine_gen;
struct dtmf_gen;
struct tone_det;
struct fax_term;
struct sim_dtmf_det;

#define PBX_MAX_CHAN	31	/* E1 timeslots 1-31; T1 uses 1-23 (1-24 on an NFAS span
				 * without a D-channel) */
#define PBX_TICK_MS	20	/* one audio datagram per channel per tick */
#define PBX_GLARE_NUMBER "2000"	/* what --glare dials without --call */

enum pbx_framing { PBX_T1, PBX_E1 };

/* --dtmf-mode: how our --dtmf digits go (pbx_dtmf.c). */
enum pbx_dtmf_mode {
	PBX_DTMF_INBAND,		/* tones on the B-channel (default) */
	PBX_DTMF_KEYPAD,		/* INFORMATION with Keypad facility (Q.931 4.5.18), one a digit */
};

/* NFAS (one D-channel for several T1 spans, Cisco's nfas_d): what a span's
 * timeslot 24 carries. */
#define PBX_MAX_IFACE	4	/* --nfas given at most this many times */
enum pbx_dchan_role { PBX_D_NONE, PBX_D_PRIMARY, PBX_D_BACKUP };

/* One span of the command line: --nfas IFACE:PATH:ROLE, or -s PATH as interface 0. */
struct pbx_span_opt {
	int iface;			/* NFAS interface number, 0-31 */
	const char *path;
	enum pbx_dchan_role role;
};

/* Everything the command line sets; read-only once parsed. */
struct pbx_opts {
	const char *span;
	int nodetype;			/* PRI_CPE / PRI_NETWORK */
	int switchtype;			/* PRI_SWITCH_* */
	enum pbx_framing framing;
	const char *call;		/* number to dial; NULL: only answer */
	int preferred;			/* ask for B-channels as preferred, not exclusive */
	int glare;			/* cross the first incoming SETUP with one of ours */
	const char *calling;
	const char *name;
	int count;
	int concurrency;
	double hangup_after;		/* seconds, < 0: never */
	double cancel_after;		/* seconds, < 0: never */
	int cause;
	double answer_after;
	int reject;			/* cause, 0: don't reject */
	int no_answer;
	int inband;
	int tone_hz;			/* 0: silence */
	const char *dtmf;
	enum pbx_dtmf_mode dtmf_mode;	/* --dtmf-mode */
	int dtmf_ms;			/* --dtmf-ms: tone and gap (keypad: the time between digits / 2) */
	double dtmf_after;		/* --dtmf-after: seconds from cut-through (keypad: CONNECT) */
	int detect_hz;			/* 0: no tone detector */
	int detect_hz2;			/* --detect F1+F2: a dual tone (ringback), else 0 */
	int data_call;			/* --data-call: the SETUP's bearer is unrestricted digital */
	int tone_ans;			/* --tone-ans: 2100 Hz with phase reversals (V.25 ANS/) */
	int echo_erl;			/* --echo DB: a 2-wire hybrid returning our audio at this ERL */
	int exit_when_done;
	double timeout;			/* seconds, < 0: none */
	int quiet;
	int stats;
	int reconnect;			/* the gateway went away: connect again, keep our calls */
	int no_restart_wait;		/* place calls at D-channel up, not after the RESTARTs */
	double send_empty_at;		/* s after the first connect: one 0-byte datagram per socket */
	int flood_bad_b;		/* malformed B-channel datagrams to send ... */
	double flood_at;		/* ... from this many s after the first connect */
	double restart_at;		/* s after the first connect: RESTART our calls' channels */
	double hold_at, retrieve_at;	/* s after the first connect: NOTIFY remote hold /
					 * retrieval for our calls (EuroISDN), 0: never */
	int overlap;			/* >= 0: our SETUP carries this many digits, the rest
					 * go in INFORMATION after SETUP ACKNOWLEDGE (-1: en bloc) */
	int collect;			/* > 0: a SETUP without Sending Complete is
					 * acknowledged and digits collected up to this many */
	int oos_chan;			/* > 0: SERVICE out of service for it at D-channel up */
	int ins_after_calls;		/* ... and in service again after this many incoming calls */
	int service_msgs;		/* --service-messages: take SERVICE from the gateway (and log it) */
	int calls_in;			/* incoming calls to take before done (default 1) */
	int switch_transfer;		/* --switch-transfer: perform the gateway's 2BCT (pbx_xfer.c) */
	int calling_plan;		/* --calling-ton: type of number | plan of our calling number */
	int restricted;			/* --restricted: our calling number's presentation restricted */
	const char *redirecting;	/* --redirecting: our SETUP's redirecting number */
	int redirect_reason;		/* --redirect-reason: its Q.952 reason (PRI_REDIR_*) */
	const char *pcap;		/* --pcap: D-channel frames to this file (LINUX_LAPD) */
	int nfas;			/* --nfas given: channels carry their interface */
	struct pbx_span_opt spans[PBX_MAX_IFACE];	/* -s: one, primary, interface 0 */
	int n_spans;
	int call_iface;			/* --call-iface: where our calls ask for a channel */
	double drop_dchan_at;		/* s after the first connect: close the primary D (< 0: never) */
	const char *fax_send;		/* --fax-send FILE: a fax terminal sends this TIFF */
	const char *fax_recv;		/* --fax-recv FILE: ... receives into this TIFF */
};

/* One call's state after Q.931 5 / figure A.3 (user side): the U states the
 * simulator passes through, a machine on core/fsm (pbx_call.c: the events
 * each permits, the moves). Names are in pbx_call_state_name(). */
enum pbx_call_state {
	PCALL_NULL,		/* U0: allocated, nothing sent */
	PCALL_INIT,		/* U1: SETUP sent */
	PCALL_OVERLAP_SEND,	/* U2: SETUP ACKNOWLEDGE received, digits sent in INFORMATION */
	PCALL_OUT_PROC,		/* U3: CALL PROCEEDING received */
	PCALL_DELIVERED,	/* U4: ALERTING received */
	PCALL_PRESENT,		/* U6: SETUP received, held unanswered (--glare) */
	PCALL_OVERLAP_RECV,	/* U25: SETUP ACKNOWLEDGE sent, collecting INFORMATION digits (--collect) */
	PCALL_IN_PROC,		/* U9: SETUP received, CALL PROCEEDING sent */
	PCALL_RECEIVED,		/* U7: ALERTING sent, waiting to answer */
	PCALL_ACTIVE,		/* U10: connected */
	PCALL_DISC_REQ,		/* U11: we sent DISCONNECT */
	PCALL_DISC_IND,		/* U12: far end cleared, we released */
	PCALL__COUNT
};

/* What happens to one call: libpri's events for it (the far end's
 * messages) and our own timed actions and shutdown. */
enum pbx_call_event {
	PBXE_PROCEEDING,	/* PRI_EVENT_PROCEEDING: CALL PROCEEDING */
	PBXE_PROGRESS,		/* PRI_EVENT_PROGRESS */
	PBXE_ALERTING,		/* PRI_EVENT_RINGING */
	PBXE_CONNECT,		/* PRI_EVENT_ANSWER */
	PBXE_DISCONNECT,	/* PRI_EVENT_HANGUP_REQ: the far end's DISCONNECT */
	PBXE_RELEASE,		/* PRI_EVENT_HANGUP: RELEASE / RELEASE COMPLETE, libpri frees its call */
	PBXE_RELEASE_ACK,	/* PRI_EVENT_HANGUP_ACK: our clearing is complete */
	PBXE_DUE,		/* --answer-after, --hangup-after, --cancel-after have come */
	PBXE_SHUTDOWN,		/* SIGINT/SIGTERM: clear with cause 16 */
	PBXE_SETUP_ACK,		/* PRI_EVENT_SETUP_ACK: send the rest of the number (--overlap) */
	PBXE_INFO,		/* PRI_EVENT_INFO_RECEIVED: more called digits (--collect) */
	PBXE__COUNT
};

struct pbx_dtmf;
struct modem_connect_tones_tx_state_s;
struct echo_path;

struct pbx_media {
	struct sine_gen *tone;
	struct pbx_dtmf *dtmf;		/* --dtmf still to send (pbx_dtmf.c), or NULL */
	struct modem_connect_tones_tx_state_s *ans;	/* --tone-ans */
	struct echo_path *echo;		/* --echo */
	int16_t echo_buf[LB_AUDIO_SAMPLES];	/* the echo of the block just heard */
	int dual_on, dual_run;		/* --detect F1+F2: state, blocks in a row disagreeing with it */
	struct tone_det *det;
	struct sim_dtmf_det *ddet;	/* in-band digits heard (sim_dtmf.h) */
	struct pbx_call *call;		/* back pointer for the DTMF callback */
	struct fax_term *fax;		/* --fax-send / --fax-recv: T.30 over the B-channel */
};

struct pbx_call {
	struct pbx_call *next;
	struct pbx *pbx;
	int id;				/* 1, 2, ... in order of creation */
	struct q931_call *q;		/* libpri's call, NULL once it freed it */
	int outgoing;
	struct pbx_dchan *d;		/* D-channel libpri has the call on (call->link): where
					 * it was created, or its latest event came from */
	int iface;			/* interface of chan (NFAS; 0 without) */
	int chan;			/* B-channel, 0 until known */
	struct fsm_inst fi;		/* enum pbx_call_state; no state timers (no su_root here) */
	int inband;			/* in-band audio announced (PI 1 or 8) */
	int cause;			/* first clearing cause, 0 until cleared */
	long long setup_ms;
	long long connect_ms;		/* 0 until connected */
	long long due_ms;		/* next timed action (answer/hangup/cancel), 0: none */
	unsigned long rx_frames;	/* B-channel datagrams received for this call */
	struct pbx_media media;
	const char *end_why;		/* said after "ended cause=N", or NULL */
	char number[64];		/* overlap: the called number (to send, or collected) */
	size_t sent;			/* overlap sending: digits of number sent */
};

struct q931_pcap;

/* One span: its B-channel socket and what the gateway restarted on it. */
struct pbx_iface {
	int iface;			/* NFAS interface number (0 without --nfas) */
	const char *path;
	enum pbx_dchan_role role;
	int bfd;
	uint32_t restarted;		/* B-channels restarted since D-channel up */
	uint32_t restarting;		/* our RESTARTs not yet acknowledged: not free yet */
};

/* One D-channel and its libpri instance (primary or backup). */
struct pbx_dchan {
	struct pbx *pbx;
	struct pbx_iface *ifc;		/* the span whose timeslot 24 carries it */
	struct pri *pri;
	int dfd;
	int up;				/* Q.921 multiple frame established */
	int got_frame;			/* set by the read callback: keep draining */
	int dfd_closed;			/* the far end closed the socket */
	int gone;			/* closed, dropped: never read, written or run again */
};

struct pbx {
	struct pbx_opts opt;
	struct q931_pcap *pcap;		/* --pcap, or NULL */
	struct pri *pri;		/* the active D-channel's instance (d_active), or NULL */
	struct pbx_iface ifc[PBX_MAX_IFACE];
	int n_ifc;
	struct pbx_dchan d[2];		/* [0] primary, [1] backup (NFAS only) */
	int n_d;
	struct pbx_dchan *d_active;	/* the one new calls go on (pbx_nfas_active) */
	struct pbx_dchan *d_said;	/* the last one "nfas active" named */
	int dchan_up;			/* some D-channel is up */
	int d_dropped;			/* --drop-dchan-at has been played out */
	struct pbx_call *calls;
	int next_id;
	int glared;			/* --glare has been played out */
	int placed, ended, connected, incoming_ended;
	int xfer_asked;			/* a FACILITY from the gateway asks for a transfer (pbx_xfer.c) */
	long long first_setup_ms, last_end_ms;
	int stopping;			/* SIGINT/SIGTERM: clearing, then exit */
	/* Q.931 5.5: the far end RESTARTs its idle B-channels when the link
	 * comes up; our calls wait for that (else they would cross a RESTART
	 * and be cleared by it), or for PBX_RESTART_WAIT_MS when none come. */
	int restart_waiting;
	long long restart_wait_end;
	long long first_connect_ms;	/* 0 until a call connects */
	int empty_sent, flood_sent;
	int restart_sent;		/* --restart-at: 1 sent, 2 acknowledged */
	int hold_sent;			/* --hold-at: 1 held, 2 retrieved */
};

/* pbx_main.c */
enum pbx_kind { PBX_Q931, PBX_AUDIO, PBX_EVENT, PBX_STAT, PBX_FAX };
/** Print one "<ms> <KIND> <text>" line on stdout (Q931/AUDIO muted by -q). */
void pbx_out(struct pbx *p, enum pbx_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* pbx_pri.c */
/** Connect the spans' sockets and start a libpri instance per D-channel. */
int pbx_pri_open(struct pbx *p);
void pbx_pri_close(struct pbx *p);
/** Run until done, timeout or signal; returns the exit status. */
int pbx_pri_run(struct pbx *p, volatile int *signalled);

/* pbx_call.c, pbx_call_cmd.c, pbx_call_pri.c */
const char *pbx_call_state_name(enum pbx_call_state st);
/** A libpri event for a call, arrived on D-channel d. */
void pbx_call_handle_event(struct pbx_dchan *d, void *ev);
/** Place calls while --count and --concurrency allow. */
void pbx_call_place_more(struct pbx *p);
/** Run the timed actions that are due (answer, hangup, cancel). */
void pbx_call_timers(struct pbx *p, long long now);
/** Clear every call with cause 16 (shutdown). */
void pbx_call_clear_all(struct pbx *p);

/* pbx_xfer.c: the switch's side of a two B-channel transfer */
/** A Q.931 frame as traced ("FACILITY cref=..."), dir '<' from the gateway. */
void pbx_xfer_frame(struct pbx *p, char dir, const char *line);
/** From the loop: carry out a transfer the gateway asked for. */
void pbx_xfer_poll(struct pbx *p);
/** All work done under --exit-when-done? */
int pbx_call_done(const struct pbx *p);
struct pbx_call *pbx_call_by_chan(struct pbx *p, int iface, int chan);
void pbx_call_free_all(struct pbx *p);
/** The D-channel came up: wait for the far end's RESTARTs, then place calls. */
void pbx_call_dchan_up(struct pbx *p);
/** The gateway went away (--reconnect): our calls stay, orphaned from libpri. */
void pbx_call_orphan_all(struct pbx *p);
/** Timed actions of the whole PBX: end of the RESTART wait, --restart-at. */
void pbx_call_pbx_timers(struct pbx *p, long long now);
/** Is chan a B-channel of interface iface? */
int pbx_chan_valid(const struct pbx *p, int iface, int chan);
/** A new call on chan of iface, on D-channel d (libpri's call q), in the
 * call list, its media started; 0 or -errno. */
int pbx_call_alloc(struct pbx_call **cp, struct pbx_dchan *d, struct q931_call *q, int iface, int chan,
		   int outgoing);
/** A move the table refuses is logged there (fsm_state_chg) and returns -EPERM. */
int call_set_state(struct pbx_call *c, enum pbx_call_state st);
/** libpri has freed (or is about to free) its side: report and forget; frees c. */
void call_end(struct pbx_call *c);
/** An incoming call goes on (Q.931 5.2): CALL PROCEEDING, then ALERTING or DISCONNECT. */
void call_accept(struct pbx_call *c);

/* pbx_call_cmd.c: what the command line asks of the calls */
/** wanted if it is free, else the first free B-channel of iface; -EBUSY: none. */
int chan_pick(struct pbx *p, int iface, int wanted);
/** SETUP (Q.931 5.1.1) on B-channel want of iface if free (0: the first
 * free one), on the active D-channel; 0 or -errno. */
int call_place(struct pbx *p, int iface, int want);
/** --oos, --ins-after-calls: SERVICE in (1) or out (0) for --oos's B-channel. */
void pbx_service(struct pbx *p, int in);
/** The far end's RESTARTs are all in, or were waited for long enough: place calls. */
void restart_wait_over(struct pbx *p, const char *why);

/* pbx_call_pri.c: libpri's events for the calls */
/** Our crossing call left chan (--glare): the gateway's call held there goes on. */
void glare_settled(struct pbx *p, int iface, int chan);

/* pbx_call*.c: a B-channel's validity, and "chan=5 iface=1" for EVENT lines */
#define chan_valid pbx_chan_valid
#define CHAN_STR(p, iface, chan) (pbx_chan_str((p), "chan", (iface), (chan)).s)

/* pbx_nfas.c: the spans and D-channels, channel numbers with their interface */
struct pbx_iface *pbx_iface_find(struct pbx *p, int iface);
/** The channel value libpri takes: chan | iface << 8 | PRI_EXPLICIT with --nfas. */
int pbx_chan_encode(const struct pbx *p, int iface, int chan);
/** Split an event's channel; no explicit interface: the one of d's span. */
void pbx_chan_decode(const struct pbx_dchan *d, int evchan, int *ifacep, int *chanp);
/* "chan=5", or "chan=5 iface=1" with --nfas; for EVENT lines */
struct pbx_chan_str { char s[32]; };
struct pbx_chan_str pbx_chan_str(const struct pbx *p, const char *key, int iface, int chan);
/** Pick the active D-channel again (Asterisk's pri_find_dchan); print what changed. */
void pbx_nfas_active(struct pbx *p);
/** A D-channel's link came up or went down (PRI_EVENT_DCHAN_UP/DOWN, socket closed). */
void pbx_nfas_dchan_state(struct pbx_dchan *d, int up);
/** --drop-dchan-at: close the primary D-channel for good when due. */
void pbx_nfas_timers(struct pbx *p, long long now);
/** Is d gone (closed, dropped)? A call bound to it cannot send. */
int pbx_dchan_gone(const struct pbx_dchan *d);
/* B-channels: the sum over the spans, and "all restarted" (restart wait) */
int pbx_chans_total(const struct pbx *p);
int pbx_chans_restarted(const struct pbx *p);
int pbx_restarts_complete(struct pbx *p);
/** Our RESTARTs still unacknowledged on any span? */
int pbx_restarts_pending(const struct pbx *p);

/* pbx_hold.c */
/** --hold-at, --retrieve-at: NOTIFY remote hold / retrieval for our calls. */
void pbx_hold_timers(struct pbx *p, long long now);
/** A NOTIFY for call c from the gateway: an EVENT line. */
void pbx_hold_notified(struct pbx_call *c, int info);

/* pbx_dtmf.c: --dtmf by tones or keypad facility, and the digits heard */
int pbx_dtmf_parse_mode(const char *s, enum pbx_dtmf_mode *mp);
/** --dtmf for call c (NULL into c->media.dtmf when there is none); 0 or -errno. */
int pbx_dtmf_start(struct pbx_call *c);
void pbx_dtmf_stop(struct pbx_call *c);
/** One 20 ms block while audio is cut through: in-band digits into amp (1 if it wrote
 * amp); keypad digits go as INFORMATION once the call is active. */
int pbx_dtmf_fill(struct pbx_call *c, int16_t *amp, size_t n);
/** A digit heard, by "inband" (the detector) or "keypad" (PRI_EVENT_KEYPAD_DIGIT). */
void pbx_dtmf_heard(struct pbx_call *c, char digit, const char *method);
/** The in-band detector's reports (sim_dtmf_det_h): a tone started; one ended, ms long. */
void pbx_dtmf_inband_on(void *call, char digit, int ms);
void pbx_dtmf_inband_end(void *call, char digit, int ms);
/** PRI_EVENT_KEYPAD_DIGIT: INFORMATION with Keypad facility in an active call. */
void pbx_dtmf_keypad_in(struct pbx_call *c, const char *digits);

/* pbx_media.c */
int pbx_media_start(struct pbx_call *c);
void pbx_media_stop(struct pbx_call *c);
/** Audio flows once connected, or earlier after in-band progress. */
int pbx_media_cut_through(const struct pbx_call *c);
/** Send one 20 ms datagram for every call with audio cut through. */
void pbx_media_tick(struct pbx *p);
/** Read and consume what is waiting on a span's B-channel socket. */
void pbx_media_recv(struct pbx *p, struct pbx_iface *ifc);
/** --send-empty-at, --flood-bad-b: odd datagrams the gateway must survive. */
void pbx_media_odd_tick(struct pbx *p, long long now);

#endif
