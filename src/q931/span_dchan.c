/* sipgw - a span's D-channel: libpri's I/O on the back end's D-channel
 * (traced), libpri's timers, the span's one libpri instance and the Q.921
 * link across far ends coming and going (link up, down, restored).
 * SPDX-License-Identifier: GPL-2.0-only */
#include "q931/pri_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "core/log.h"
#include "core/loop.h"
#include "q931/q931_trace.h"

static void trace(struct span *sp, const char *dir, const void *buf, int len)
{
	char line[256];

	if (sp->trace)
		span_trace_frame(sp, dir[0] == '>', buf, len);
	if (log_get_level() < LOG_LVL_INFO)
		return;
	if (q931_trace_frame(buf, (size_t)len, line, sizeof(line)) == 0) {
		LOGI(LSS_Q931, "span %s %s %s", sp->cfg->name, dir, line);
	} else if (log_get_level() >= LOG_LVL_DEBUG) {
		const unsigned char *b = buf;
		int o = 0;
		for (int i = 0; i < len && o < (int)sizeof(line) - 4; i++)
			o += snprintf(line + o, sizeof(line) - o, "%02x ", b[i]);
		LOGD(LSS_Q931, "span %s %s Q.921 %s", sp->cfg->name, dir, line);
	}
}

/* Q.921 5.9.1: T200, the time a frame waits for its answer. */
#define SPAN_T200_MS 1000
/* Q.921 3.2: address field, SAPI 0 (call control), TEI 0 (a PRI is
 * point-to-point, Q.921 3.3.4.2), and the U-frame control octets
 * (Q.921 table 5) with the P/F bit. */
#define Q921_ADDR1(cr) ((0 << 2) | ((cr) << 1))
#define Q921_ADDR2 ((0 << 1) | 1)
#define Q921_DISC_P 0x53
#define Q921_DM_F 0x1f

static int pri_read_cb(struct pri *pri, void *buf, int buflen)
{
	struct span *sp = pri_get_userdata(pri);
	ssize_t n;

	if (sp->inject) {
		/* a frame of our own making (span_q921_reset), not traced */
		n = (ssize_t)sp->inject_len < buflen ? (ssize_t)sp->inject_len : buflen;
		memcpy(buf, sp->inject, (size_t)n);
		sp->inject = NULL;
		sp->read_got = 1;
		return (int)n;
	}
	n = sp->hw_ops->d_read(sp->hw, buf, (size_t)buflen);

	/* Nothing to read: return 0. libpri's pri_check_event() only tests
	 * for 0 and would otherwise parse its stale buffer as a new frame
	 * (a second SABME, a duplicated I-frame). */
	if (n <= 0) {
		sp->read_got = 0;
		return 0;
	}
	sp->read_got = 1;
	loop_timer_stop(sp->t_establish);	/* the far end speaks first */
	trace(sp, "<", buf, (int)n);
	return (int)n;
}

static int pri_write_cb(struct pri *pri, void *buf, int buflen)
{
	struct span *sp = pri_get_userdata(pri);

	trace(sp, ">", buf, buflen);
	return (int)sp->hw_ops->d_write(sp->hw, buf, (size_t)buflen);
}

/* Config's switch type as libpri names it. */
static int span_pri_switch(enum span_switch s)
{
	static const int pri_switch[SWITCH__COUNT] = {
		[SWITCH_NI2] = PRI_SWITCH_NI2, [SWITCH_EUROISDN_E1] = PRI_SWITCH_EUROISDN_E1,
		[SWITCH_EUROISDN_T1] = PRI_SWITCH_EUROISDN_T1, [SWITCH_DMS100] = PRI_SWITCH_DMS100,
		[SWITCH_5ESS] = PRI_SWITCH_LUCENT5E, [SWITCH_4ESS] = PRI_SWITCH_ATT4ESS,
		[SWITCH_NI1] = PRI_SWITCH_NI1, [SWITCH_QSIG] = PRI_SWITCH_QSIG,
	};

	return (unsigned)s < SWITCH__COUNT ? pri_switch[s] : PRI_SWITCH_NI2;
}

/* libpri's next timer on d's own D-channel instance. */
static void span_reschedule_d(struct span *d)
{
	/* No far end: libpri's clock stands still (span_q921_reset). */
	struct timeval *next = d->dpri && d->peer_up ? pri_schedule_next(d->dpri) : NULL;
	struct timeval now;
	long long ms;

	if (!next) {
		loop_timer_stop(d->pri_timer);
		return;
	}
	gettimeofday(&now, NULL);
	ms = (next->tv_sec - now.tv_sec) * 1000LL + (next->tv_usec - now.tv_usec) / 1000;
	loop_timer_start(d->pri_timer, ms < 0 ? 0 : (unsigned)ms);
}

/* After we gave libpri work for sp's calls: in NFAS any instance of the
 * group may have new timers. */
void span_reschedule(struct span *sp)
{
	struct span *d[2];
	int n = span_nfas_dspans(sp, d, 2);

	for (int i = 0; i < n; i++)
		span_reschedule_d(d[i]);
}

void pri_timer_cb(void *arg)
{
	struct span *d = arg;
	pri_event *ev;

	if (!d->dpri || !d->peer_up)
		return;
	ev = pri_schedule_run(d->dpri);

	if (ev)
		span_event(d, ev);
	span_reschedule(d);
}

static int span_pri_start(struct span *sp);
static void span_far_gone(struct span *sp);

void d_readable(void *arg)
{
	struct span *sp = arg;

	/* Start Q.921 on the first far end's first frame (its SABME), so we
	 * answer it with UA instead of crossing it with a SABME of our own. */
	if (!sp->dpri && span_pri_start(sp)) {
		LOGE(LSS_Q931, "span %s: cannot start libpri", sp->cfg->name);
		return;
	}
	/* pri_check_event() returns NULL both for "nothing read" and "read,
	 * no event"; our read callback tells them apart. */
	sp->in_drain = 1;
	do {
		pri_event *ev;
		sp->read_got = 0;
		ev = pri_check_event(sp->dpri);
		if (ev)
			span_event(sp, ev);
	} while (sp->read_got);
	sp->in_drain = 0;
	/* The far end hung up inside the read callback: libpri is done with
	 * the frame now, so its state can be reset. */
	if (sp->far_gone)
		span_far_gone(sp);
	span_reschedule(sp);
}

/* Hand libpri one frame of our own, as if the far end had sent it. */
static void span_inject(struct span *sp, const uint8_t *frame, size_t len)
{
	pri_event *ev;

	sp->inject = frame;
	sp->inject_len = len;
	ev = pri_check_event(sp->dpri);
	sp->inject = NULL;
	if (ev)
		span_event(sp, ev);
}

/* One libpri instance serves the span for its whole life: libpri 1.6
 * cannot free one, so an instance per far end grew memory by 18-31 KB per
 * reconnect. When the far end goes, Q.921 is brought to "TEI assigned"
 * (Q.921 5.5: link released, ready for a SABME) the only way libpri's API
 * allows: we feed it the frames a far end releasing the link would send,
 * DISC (from multiple-frame established or timer recovery: UA, released)
 * then DM with F=1 (from awaiting establishment: released; elsewhere no
 * effect). libpri's clock then stands still until the next far end speaks,
 * so no SABME is sent into the void and the next far end's SABME finds a
 * released link: UA, and the link is up at once, as with a fresh instance.
 * C/R (Q.921 3.3.2): commands from the user side carry 0, from the network
 * side 1; responses the opposite. */
static void span_q921_reset(struct span *sp)
{
	int far_is_user = sp->cfg->role == ROLE_NETWORK;
	const uint8_t disc[] = { Q921_ADDR1(far_is_user ? 0 : 1), Q921_ADDR2, Q921_DISC_P, 0, 0 };
	const uint8_t dm[] = { Q921_ADDR1(far_is_user ? 1 : 0), Q921_ADDR2, Q921_DM_F, 0, 0 };

	span_inject(sp, disc, sizeof(disc));
	span_inject(sp, dm, sizeof(dm));
	sp->d_up = 0;
	if (sp->nfas)
		span_nfas_update(sp->nfas);
	else
		sp->dchan_up = 0;
}

/* The far end vanished: its calls cannot go on. Tell each call once (cause
 * 38, network out of order) and drop the legs without Q.931 exchange. */
static void span_clear_all(struct span *sp)
{
	struct pri_leg *pl, *next;

	/* pri_leg_lost() may free pl, and only pl */
	for (pl = LIST_FIRST(&sp->legs); pl; pl = next) {
		next = LIST_NEXT(pl, entry);
		if (pri_leg_state(pl) != PRI_ST_RELEASED)
			pri_leg_lost(pl, PRI_CAUSE_NETWORK_OUT_OF_ORDER);
	}
}

/* The far end is gone: clear its calls, forget our RESTARTs (the next far
 * end gets new ones), reset Q.921 for the next one. */
static void span_far_gone(struct span *sp)
{
	sp->far_gone = 0;
	loop_timer_stop(sp->pri_timer);
	if (sp->nfas) {
		/* NFAS: only this D-channel is gone; the group goes on on its
		 * other one (span_nfas_update). The span's own calls go on too
		 * while its B-channels still carry audio (a D-channel failure,
		 * not a line down). */
		if (!sp->hw_ops->b_alive || !sp->hw_ops->b_alive(sp->hw))
			span_clear_all(sp);
		if (sp->dpri)
			span_q921_reset(sp);
		sp->d_up = 0;
		span_nfas_update(sp->nfas);
		return;
	}
	span_clear_all(sp);
	sp->restart_wait = 0;		/* the next far end gets its own */
	loop_timer_stop(sp->t316);
	if (sp->dpri)
		span_q921_reset(sp);
	sp->dchan_up = sp->d_up = 0;
}

/* The span's libpri instance, started when the first far end speaks (see
 * span_q921_reset for why it is the only one). */
static int span_pri_start(struct span *sp)
{
	struct pri *pri;

	loop_timer_stop(sp->pri_timer);
	pri = pri_new_cb(-1, sp->cfg->role == ROLE_NETWORK ? PRI_NETWORK : PRI_CPE,
			 span_pri_switch(sp->cfg->switchtype), pri_read_cb, pri_write_cb, sp);
	if (!pri)
		return -ENOMEM;
	sp->dpri = pri;
	if (!sp->nfas)
		sp->pri = pri;
	pri_connect_ack_enable(pri, 1);	/* CONNECT ACK moves us to ACTIVE */
	pri_hold_enable(pri, 1);	/* HOLD / RETRIEVE (Q.931 ETS 300 141, Q.SIG): to SIP as hold */
	/* Overlap: libpri then sends Sending Complete only with a complete
	 * number (our en-bloc SETUPs), not implicitly per switch type. */
	if (sp->cfg->overlap_receive || sp->cfg->overlap_send)
		pri_set_overlapdial(pri, 1);
	/* SERVICE messages (4ESS, 5ESS, NI-2 maintenance): off in libpri by
	 * default, when it just echoes them back as acknowledged. */
	if (sp->cfg->service_messages)
		pri_set_service_message_support(pri, 1);
	/* Q.SIG has no display IE (libpri blocks it both ways): the calling
	 * name goes in Facility, the Name Identification APDU (ECMA-164 /
	 * ISO/IEC 13868), which libpri sends only when facilities are enabled. */
	if (sp->cfg->switchtype == SWITCH_QSIG)
		pri_facility_enable(pri);
	span_debug_apply(sp);
	span_nfas_started(sp);
	span_reschedule(sp);
	return 0;
}

void link_cb(void *arg, int connected)
{
	struct span *sp = arg;

	LOGN(LSS_Q931, "span %s: far end %s", sp->cfg->name, connected ? "connected" : "disconnected");
	sp->peer_up = connected != SPAN_HW_LINK_DOWN;
	/* A line back from an alarm: let the far end speak first (its SABME
	 * is not to be crossed), but one that thinks the link never went
	 * would be silent until its T203: after T200 we establish it. */
	if (connected == SPAN_HW_LINK_RESTORED)
		loop_timer_start(sp->t_establish, SPAN_T200_MS);
	if (connected) {
		/* a new far end: what an old one took out of service is its own
		 * business; this one says again what it wants out (in NFAS the
		 * group's other D-channel may still hold it) */
		if (sp->nfas)
			return;
		if (sp->oos)
			LOGN(LSS_Q931, "span %s: B-channels out of service by the last far end are back in use",
			     sp->cfg->name);
		sp->oos = 0;
		return;	/* libpri goes on with the far end's first frame (d_readable) */
	}
	loop_timer_stop(sp->t_establish);
	/* From inside libpri's read callback the reset waits until
	 * pri_check_event() has returned (d_readable); a back end that tells
	 * of the loss at any other time (an alarm, say) gets it at once
	 * (fuzz_q931 left a call behind when it waited for a read). */
	sp->far_gone = 1;
	loop_timer_stop(sp->pri_timer);
	if (!sp->in_drain)
		span_far_gone(sp);
}

/* The line came back, the far end has said nothing for T200: what
 * chan_dahdi does on DAHDI_EVENT_NOALARM, restart Q.921 (SABME, Q.921 5.5.1). */
void t_establish_cb(void *arg)
{
	struct span *sp = arg;

	if (!sp->peer_up || sp->d_up)
		return;
	LOGN(LSS_Q931, "span %s: line back, far end silent: establishing the data link (SABME)",
	     sp->cfg->name);
	if (!sp->dpri) {
		if (span_pri_start(sp))
			LOGE(LSS_Q931, "span %s: cannot start libpri", sp->cfg->name);
		return;
	}
	pri_restart(sp->dpri);
	span_reschedule(sp);
}
