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

#include "sip/sdp.h"

#define PHONE_MAX_CODECS 4

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
	int codecs[PHONE_MAX_CODECS];	/* RTP payload types, preferred first */
	int n_codecs;
	long hangup_after_ms, hold_at_ms, unhold_at_ms;
	long refresh_at_ms;
	long cancel_after_ms;	/* caller: CANCEL when not answered this long after the INVITE */	/* re-INVITE with unchanged SDP, as a session-timer refresh (RFC 4028) */
	enum sdp_dir hold_dir;		/* SDP_SENDRECV + hold_null means "null" style */
	int hold_null;
	int tone_hz, detect_hz;
	const char *dtmf;
	const char *call_uri;
	const char *from;
	const char *display;
	int exit_after_calls;		/* 0 = never */
	long timeout_ms;		/* -1 = none */
	int quiet;
};

/* Per-call state, one declared machine (names in phone_call.c). */
enum pcall_state {
	PC_INCOMING,		/* INVITE received, not answered yet (ringing or not) */
	PC_EARLY,		/* 183 with SDP sent, media flowing both ways */
	PC_CALLING,		/* INVITE sent */
	PC_PROCEEDING,		/* 18x received */
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

/* The process: owned by main() in phone_main.c. */
struct phone {
	struct phone_opts o;
	su_root_t *root;
	nua_t *nua;
	su_timer_t *tick;	/* 20 ms media clock for every call */
	su_time_t tick_at;	/* when it is due next */
	su_timer_t *deadline;	/* --timeout, then the shutdown guard */
	int sip_port;
	struct pcall *calls;	/* live calls, newest first */
	int next_call_id;
	int calls_ended;
	int exit_status;
	enum phone_phase phase;
};

/** One stdout line "<ms> <kind> <text>"; SIP and AUDIO lines dropped with -q. */
void phone_out(const struct phone *ph, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/** A call has ended: counts it towards --exit-after-calls. */
void phone_call_ended(struct phone *ph);
/** Stop: release every call, shut nua down, then leave the loop with status. */
void phone_exit(struct phone *ph, int status);

/* phone_call.c: calls on nua */
/** nua's event callback for the whole process. */
void pcall_nua_cb(nua_event_t event, int status, char const *phrase, nua_t *nua,
		  struct phone *ph, nua_handle_t *nh, struct pcall *call,
		  sip_t const *sip, tagi_t tags[]);
/** Place the --call call; 0 or -errno. */
int pcall_dial(struct phone *ph);
/** Send one 20 ms frame for every call whose state sends media. */
void pcall_tick_all(struct phone *ph);
/** End every call (BYE / CANCEL / 480); returns how many are still alive. */
int pcall_release_all(struct phone *ph);
/** Free every call object (at exit, after nua has shut down). */
void pcall_free_all(struct phone *ph);
const char *pcall_state_name(enum pcall_state st);

/* phone_media.c: RTP, tone, DTMF of one call */
int pmedia_alloc(struct pmedia **mp, struct phone *ph, int call_id);
void pmedia_free(struct pmedia *m);
int pmedia_local_port(const struct pmedia *m);
/** Where and how to send: payload type of the law, telephone-event pt or -1. */
int pmedia_set_remote(struct pmedia *m, const char *ip, int port, int pt, int te_pt);
/** Play --dtmf once from now on. */
void pmedia_start_dtmf(struct pmedia *m);
/** Send one 20 ms frame. */
void pmedia_tick(struct pmedia *m);
/** Once per tick: feed silence to the detectors when no audio came. */
void pmedia_rx_tick(struct pmedia *m);
/** Print the call's RTP counters as a STAT line. */
void pmedia_print_stats(const struct pmedia *m);

#endif
