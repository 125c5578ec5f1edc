/* sipgw - what span*.c and pri_leg.c share. SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_Q931_PRI_INTERNAL_H
#define SIPGW_Q931_PRI_INTERNAL_H

#include <libpri.h>
#include <sys/queue.h>

#include "core/fsm.h"
#include "core/log.h"
#include "core/media_late.h"
#include "q931/span.h"
#include "rtp/media.h"
#include "span_hw.h"

/* The event channel is chan | span << 8 | explicit << 16 (libpri): the
 * interface (NFAS) in Channel identification octet 3.1, Q.931 4.5.13. */
#define PRI_CHANNEL(c) ((c) & 0xff)
#define PRI_IFACE(c) (((c) >> 8) & 0xff)
#define PRI_CHAN_EXPLICIT 0x10000

struct loop_timer;
struct loop_ticker;
struct pri_leg;
struct nfas_group;

/* A PRI leg's state timers, named in pri_leg.c (Q.931 table 9-1); the span
 * holds their durations. */
enum pl_timer { PL_T_NONE, PL_T_T302, PL_T__COUNT };

/* SERVICE change status (AT&T TR 41459, NI-2): what libpri passes on. */
enum { SPAN_SERVICE_IN = 0, SPAN_SERVICE_OUT = 2 };

struct span {
	LIST_HEAD(, pri_leg) legs;		/* every leg, with or without a B-channel */
	const struct cfg_span *cfg;		/* &own_cfg */
	struct cfg_span own_cfg;		/* a copy: a reload frees the config it came from
						 * (span_reconf.c changes what may change live) */
	struct su_root_s *root;
	const struct span_hw_ops *hw_ops;
	struct span_hw *hw;
	struct pri *pri;			/* what the span's calls are signalled on: its
						 * own dpri, or in NFAS the active D-channel's */
	struct pri *dpri;			/* libpri on this span's own D-channel (NULL
						 * until its far end first speaks; always in
						 * NFAS with nfas_d none) */
	struct nfas_group *nfas;		/* NULL: not NFAS */
	struct span *ev_d;			/* NFAS: the D-channel span whose event is
						 * being handled (span_event) */
	struct loop_timer *pri_timer;		/* libpri's next scheduled timer */
	struct loop_ticker *tick;		/* 20 ms B-channel clock */
	struct media_late *late;		/* its media thread's lateness figures, or NULL */
	struct media_clock mclk;		/* the ideal times of its ticks (span_tick.c) */
	struct pri_leg *chans[SPAN_MAX_CHANS];	/* who holds each B-channel, by number */
	int bchans[SPAN_MAX_CHANS];		/* the B-channel numbers, ascending */
	int n_b;
	int rr_next;				/* round-robin hunting position */
	int reserved;				/* channels kept for emergency calls */
	const struct moh *moh;			/* music on hold, or NULL (silence) */
	int dchan_up;				/* calls can be signalled (NFAS: on some
						 * D-channel of the group) */
	int d_up;				/* this span's own D-channel is up */
	int peer_up;				/* a far end is connected: libpri's timers run */
	int far_gone;				/* it hung up inside a read: reset after the drain */
	int in_drain;				/* d_readable is draining libpri */
	int read_got;				/* the last read callback got a frame */
	const uint8_t *inject;			/* a frame span.c hands libpri itself, or NULL */
	size_t inject_len;
	uint32_t oos;				/* B-channels (bit per number) the far end took
						 * out of service (SERVICE) */
	uint32_t busied;			/* B-channels (bit per number) the operator busied
						 * out (sipgwctl busyout): not hunted, either way */
	uint32_t busied_svc;			/* ... whose SERVICE out of service is owed to the
						 * far end (sent once the channel is idle) */
	int debug_q931;				/* sipgwctl debug q931: libpri's message dump at notice */
	char dbg_line[256];			/* a dump line libpri gave in pieces */
	size_t dbg_len;
	uint32_t restart_wait;			/* B-channels (bit per number) whose RESTART
						 * awaits its ACKNOWLEDGE (Q.931 5.5.1) */
	struct loop_timer *t316;		/* RESTART ACKNOWLEDGE due (Q.931 table 9-1) */
	struct loop_timer *t_establish;		/* line back from an alarm, far end silent:
						 * establish Q.921 ourselves when it runs out */
	unsigned long bad_chan;			/* B-channel datagrams for no B-channel of ours */
	struct log_limit lim_pri_err;		/* libpri's error callback */
	struct log_limit lim_bad_chan;
	struct log_limit lim_no_call;		/* Q.931 events for no known call */
	span_incoming_h *incoming_h;
	span_number_h *number_h;
	void *arg;
	struct trace *trace;			/* NULL: frames are not traced */
	unsigned leg_seq;
	unsigned pl_timer_ms[PL_T__COUNT];	/* the legs' state timers (enum pl_timer) */
};

/* Q.931 call states (Q.931 5.x, figure A.x), by their spec names. */
enum pri_state {
	PRI_ST_NULL,			/* U0/N0 */
	PRI_ST_CALL_INITIATED,		/* U1: SETUP sent */
	PRI_ST_OUTGOING_PROCEEDING,	/* U3 */
	PRI_ST_CALL_DELIVERED,		/* U4: ALERTING received */
	PRI_ST_CALL_PRESENT,		/* U6: SETUP received */
	PRI_ST_OVERLAP_RECEIVING,	/* U25/N25: SETUP ACKNOWLEDGE sent, digits come in INFORMATION */
	PRI_ST_OVERLAP_SENDING,		/* U2/N2: SETUP ACKNOWLEDGE received, our digits go in INFORMATION */
	PRI_ST_CALL_RECEIVED,		/* U7: ALERTING sent */
	PRI_ST_CONNECT_REQUEST,		/* U8: CONNECT sent */
	PRI_ST_INCOMING_PROCEEDING,	/* U9: CALL PROCEEDING sent */
	PRI_ST_ACTIVE,			/* U10 */
	PRI_ST_DISCONNECT_REQUEST,	/* U11: DISCONNECT sent */
	PRI_ST_DISCONNECT_INDICATION,	/* U12: DISCONNECT received */
	PRI_ST_RELEASE_REQUEST,		/* U19: RELEASE sent */
	PRI_ST_RELEASED,		/* the call reference is gone */
	PRI_ST__COUNT
};

/* The B-channel's DSP (pri_media.c). */
#define PM_QUEUE 4		/* frames from the bridge waiting for the span's clock */
#define PM_DELAY 2		/* frames the PBX's audio waits, so a digit's start can be cut */
#define PM_KEYPAD_MS 100	/* a Keypad facility digit as an event or tone */
struct dtmf_watch;
struct dtmf_play;
struct echo_can;
struct fax_tone_det;
struct tone_player;
struct pri_media {
	int16_t outq[PM_QUEUE][MEDIA_FRAME];
	unsigned q_head, q_len;
	int16_t line_out[MEDIA_FRAME];	/* the frame last played to the line */
	struct dtmf_watch *dw;		/* in-band digits from the PBX */
	struct dtmf_play *dp;		/* digits from the SIP side, played to the PBX */
	struct dtmf_play *dp_in;	/* keypad digits played towards the SIP side */
	int relay;			/* the SIP side takes digits as events: cut them from the audio */
	int clear_channel;		/* a data bearer: no echo canceller, no DTMF */
	int fax;			/* a fax or modem tone was heard (fax_tone.c) */
	int16_t dl[PM_DELAY + 1][MEDIA_FRAME];
	uint8_t dl_mute[PM_DELAY + 1];
	unsigned dl_len;
	struct echo_can *ec;		/* span echo_cancel: the PBX's audio, echo removed */
	struct fax_tone_det *ft_in, *ft_out;	/* fax/modem tones from / to the PBX: EC off */
	unsigned ec_frames;		/* frames through the canceller (its age, for the log) */
	struct tone_player *ringback;	/* span inband_ringback: the zone's ringback while alerting */
	int heard_peer;			/* the SIP side sent audio: it plays its own tones */
};

struct pri_leg {
	struct leg base;
	LIST_ENTRY(pri_leg) entry;	/* in span->legs */
	struct span *span;
	q931_call *qc;
	struct span *dspan;		/* NFAS: the span whose D-channel libpri binds qc
					 * to (where it was made or last heard from) */
	int chan;			/* 0: none (given up to the network's call in glare) */
	struct fsm_inst fi;		/* state: enum pri_state */
	unsigned id;
	int cause;			/* the cause we or they cleared with */
	struct media_port port;
	struct leg_setup_info si;	/* what the SETUP asked for */
	char called[LEG_NUM];		/* outgoing: the called number as sent */
	size_t sent;			/* overlap sending: digits of called sent so far */
	int plan;			/* outgoing: its type of number | numbering plan */
	char calling[LEG_NUM];		/* outgoing: the calling number as routing mapped it ("" = si's) */
	int calling_plan;
	char redirecting[LEG_NUM];	/* outgoing: the redirecting number as routing mapped it */
	int redirecting_plan;
	struct loop_timer *route_timer;	/* hands the SETUP to the bridge */
	struct pri_media med;		/* pri_media.c */
	int held;			/* the SIP side holds the call: music or silence */
	size_t moh_pos;
	char desc[64];
};

/** A D-channel frame to the span's trace (span_trace.c). */
void span_trace_frame(struct span *sp, int sent, const void *buf, int len);

/** The leg's port and DSP; 0 or -ENOMEM (then nothing is left to free). */
int pri_media_init(struct pri_leg *pl);
void pri_media_cleanup(struct pri_leg *pl);
/** A data call (clear-channel bearer): the B-channel's bytes pass with no DSP on them. */
void pri_media_clear_channel(struct pri_leg *pl);
/** Keypad facility digits from the PBX during the call. */
void pri_media_keypad(struct pri_leg *pl, const char *digits);

int pri_leg_alloc_incoming(struct pri_leg **plp, struct span *sp, q931_call *qc, int chan);
void pri_leg_on_event(struct pri_leg *pl, const pri_event *ev);
void pri_leg_route_later(struct pri_leg *pl, const struct leg_setup_info *si);
void pri_leg_lost(struct pri_leg *pl, int cause);
/** leg_ops.transfer_with (pri_xfer.c): libpri's pri_channel_bridge(). */
int pri_leg_transfer_with(struct leg *leg, struct leg *other);
/** leg_ops.peer_changed (pri_xfer.c): libpri's connected line update. */
void pri_leg_peer_changed(struct leg *leg, const char *number);
/** leg_ops.status (pri_status.c). */
void pri_leg_status(struct leg *leg, struct leg_status *st);
/** CALL PROCEEDING has gone out for an incoming SETUP (Q.931 5.2.5.1). */
void pri_leg_proceeding(struct pri_leg *pl);
/** An incoming SETUP without Sending Complete whose number is not complete
 * yet: SETUP ACKNOWLEDGE has gone out (Q.931 5.2.4); digits come in
 * INFORMATION until the number is complete, '#' or Sending Complete, or
 * T302 runs out; then CALL PROCEEDING and routing. */
void pri_leg_overlap(struct pri_leg *pl, const struct leg_setup_info *si);
/** The Q.952 redirecting reason for why (PRI_REDIR_UNKNOWN when none fits). */
int span_redirect_q931(enum leg_redirect why);
/** enum pri_state */
int pri_leg_state(const struct pri_leg *pl);
/** Its state by the spec's name ("ACTIVE"), for sipgwctl. */
const char *pri_leg_state_name(const struct pri_leg *pl);
/** The leg's frame for this tick onto its B-channel: 1 sent, 0 none due, -errno
 * the write failed (the frame is lost). */
int pri_leg_tick(struct pri_leg *pl);
/** The span's 20 ms tick: every B-channel in a call plays a frame, timed
 * against the span's media clock (span_tick.c). */
void span_media_tick(struct span *sp);
void span_media_clock_start(struct span *sp);
/** span_hw_cbs.b_waited: a frame from the line waited this long in the
 * span's socket before it goes on to the call's other side (span_tick.c). */
void span_media_waited(void *arg, int chan, long long waited_ns);
void pri_leg_frame_in(struct pri_leg *pl, const uint8_t *frame, size_t len);
/* pri_leg_frame_in in its three steps (span_rx.c): 1 the frame waits for
 * its canceller, 0 it goes straight on, -1 already delivered. */
int pri_leg_frame_pre(struct pri_leg *pl, const uint8_t *wire, size_t len, int16_t *in);
void pri_leg_frame_ec(struct pri_leg *pl, int16_t *in);
void pri_leg_frame_on(struct pri_leg *pl, int16_t *in);
/* span_rx.c: a read's frames together; the echo cancellers on the pool */
struct workpool;
void span_dsp_pool_set(struct workpool *wp);
void span_rx_batch(void *arg, int end);
int span_rx_take(struct span *sp, struct pri_leg *pl, int chan, const uint8_t *frame, size_t len);
void span_reschedule(struct span *sp);
int span_hunt(struct span *sp);
int span_free_chans(const struct span *sp);
/** The leg takes B-channel chan, which must be valid and free. */
void span_chan_take(struct span *sp, struct pri_leg *pl, int chan);
/** The leg gives its B-channel back, if it still holds one. */
void span_chan_put(struct span *sp, struct pri_leg *pl);
/** Is chan one of the span's B-channels? */
int span_chan_valid(const struct span *sp, int chan);
/** Is chan waiting for the far end's RESTART ACKNOWLEDGE (not to be used yet)? */
int span_chan_restarting(const struct span *sp, int chan);

/** The channel value libpri takes for B-channel chan: in NFAS it names the
 * span's interface explicitly (Q.931 4.5.13 octet 3.1). */
int span_wire_chan(const struct span *sp, int chan);
/** The call an event is about (libpri's union keeps it in different places). */
q931_call *span_event_call(const pri_event *ev);
/** One libpri event for span sp (NFAS: the member span_nfas_target chose). */
void span_handle_event(struct span *sp, const pri_event *ev);
/** An event from the libpri instance on d's D-channel (span_event.c): the
 * group's own news in NFAS, the rest to the member span it is for. */
void span_event(struct span *d, const pri_event *ev);

/* span_dchan.c: the D-channel's I/O and the span's libpri instance; the
 * back end's and the loop's callbacks span_alloc wires (arg: the span) */
/** span_hw_cbs.d_readable: libpri reads what waits (starting it on the first far end's frame). */
void d_readable(void *arg);
/** span_hw_cbs.link: a far end connected, went away or came back from an alarm. */
void link_cb(void *arg, int connected);
/** libpri's next scheduled timer ran out. */
void pri_timer_cb(void *arg);
/** T200 after a line came back with the far end silent: establish Q.921 ourselves. */
void t_establish_cb(void *arg);

/* span_chan.c */
/** span_hw_cbs.b_frame: a frame from the line to the leg holding chan. */
void b_frame(void *arg, int chan, const uint8_t *frame, size_t len);

/* span_nfas.c: NFAS groups, one D-channel (and a backup) for several T1s */
/** Own D-channel of d came up or went down: the group's active D-channel,
 * and what every member signals on, follow. */
void span_nfas_update(struct nfas_group *g);
/** The member an event from D-channel span d is for (the interface in its
 * channel, or the span holding its call); NULL: none, *refusep set when a
 * SETUP names an interface the group does not have. */
struct span *span_nfas_target(struct span *d, const pri_event *ev, int *refusep);
/** d's libpri instance has started: it joins the group's (pri_enslave). */
void span_nfas_started(struct span *d);
/** Each D-channel span of sp's group (sp itself when not NFAS), for timers. */
int span_nfas_dspans(struct span *sp, struct span **out, int max);
/** Is the D-channel link the leg's call is bound to gone while the group
 * still signals on another? Then our messages for it would go nowhere. */
int span_nfas_link_lost(const struct pri_leg *pl);
void span_nfas_leave(struct span *sp);
/** The span whose D-channel sp's new calls go on (sp itself when not NFAS). */
struct span *span_nfas_active(struct span *sp);

/* span_maint.c: RESTART and SERVICE maintenance of the B-channels */
/** RESTART one B-channel (Q.931 5.5.1): out of use until acknowledged or T316. */
void span_restart_chan(struct span *sp, int chan);
/** RESTART every B-channel no call of ours holds (Q.931 5.5), T316 on them. */
void span_restart_idle(struct span *sp);
/** RESTART ACKNOWLEDGE for evchan (libpri's event channel): it is usable again. */
void span_restart_ack(struct span *sp, int evchan);
/** T316 ran out (loop timer callback, arg the span): the channels back into use. */
void span_t316_cb(void *arg);
/** RESTART from the far end (Q.931 5.5.2): calls on the channel(s) are over. */
void span_on_far_restart(struct span *sp, int evchan);
/** SERVICE from the far end: B-channel evchan in or out of service (SPAN_SERVICE_*). */
void span_on_service(struct span *sp, int evchan, int status);

/* span_busy.c: the operator's busyout (sipgwctl busyout / unbusy) */
/** Is chan busied out by the operator (not to be hunted, nor taken by a SETUP)? */
int span_chan_busied(const struct span *sp, int chan);
/** chan's call gave it back: a SERVICE out of service owed for it goes now. */
void span_busy_chan_idle(struct span *sp, int chan);
/** The span's calls can be signalled again (D-channel up, after its
 * RESTARTs): SERVICE out of service again for every busied-out idle channel,
 * since the far end may have forgotten it with the link. */
void span_busy_resend(struct span *sp);
/** libpri's debug flags for d's own instance: Q.921 at log level debug,
 * the Q.931 dump while sipgwctl debug q931 is on for it. */
void span_debug_apply(struct span *d);
/** A line (or a piece of one) libpri printed for d: 1 when it was a
 * debug q931 dump and is logged at notice, 0 to log it as usual. */
int span_debug_msg(struct span *d, const char *s);

#endif
