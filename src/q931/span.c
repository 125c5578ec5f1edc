/* sipgw - a PRI span on libpri over a span back end, driven by su_root
 * (DESIGN.md "One event loop"). SPDX-License-Identifier: GPL-2.0-only */
#include "q931/pri_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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

/* By the legs list, not the channel table: a leg that gave its channel up
 * in glare still has a call reference to finish. */
static struct pri_leg *leg_by_call(struct span *sp, q931_call *qc)
{
	struct pri_leg *pl;

	if (!qc)
		return NULL;
	LIST_FOREACH(pl, &sp->legs, entry)
		if (pl->qc == qc)
			return pl;
	return NULL;
}

int span_chan_valid(const struct span *sp, int chan)
{
	for (int i = 0; i < sp->n_b; i++)
		if (sp->bchans[i] == chan)
			return 1;
	return 0;
}

int span_chan_restarting(const struct span *sp, int chan)
{
	return chan > 0 && chan < SPAN_MAX_CHANS && (sp->restart_wait & (1u << chan));
}

/* Out of service by a SERVICE message (maintenance), busied out by the
 * operator, or restarting: not to be hunted for a new call. */
static int span_chan_unusable(const struct span *sp, int chan)
{
	return span_chan_restarting(sp, chan) || span_chan_busied(sp, chan) ||
	       (chan > 0 && chan < SPAN_MAX_CHANS && (sp->oos & (1u << chan)));
}

void span_chan_take(struct span *sp, struct pri_leg *pl, int chan)
{
	pl->chan = chan;
	sp->chans[chan] = pl;
}

void span_chan_put(struct span *sp, struct pri_leg *pl)
{
	if (!pl->chan || sp->chans[pl->chan] != pl)
		return;
	sp->chans[pl->chan] = NULL;
	LOGI(LSS_Q931, "span %s: B-channel %d free, %d of %d B-channels free", sp->cfg->name, pl->chan,
	     span_free_chans(sp), sp->n_b);
	span_busy_chan_idle(sp, pl->chan);
}

int span_free_chans(const struct span *sp)
{
	int n = 0;

	for (int i = 0; i < sp->n_b; i++)
		n += !sp->chans[sp->bchans[i]] && !span_chan_unusable(sp, sp->bchans[i]);
	return n;
}

/* Pick a free B-channel by the span's hunt order; -1 when all are busy. */
int span_hunt(struct span *sp)
{
	for (int k = 0; k < sp->n_b; k++) {
		int i;
		switch (sp->cfg->hunt) {
		case HUNT_DESCENDING:
			i = sp->n_b - 1 - k;
			break;
		case HUNT_ROUND_ROBIN:
			i = (sp->rr_next + k) % sp->n_b;
			break;
		default:
			i = k;
		}
		if (!sp->chans[sp->bchans[i]] && !span_chan_unusable(sp, sp->bchans[i])) {
			sp->rr_next = (i + 1) % sp->n_b;
			return sp->bchans[i];
		}
	}
	return -1;
}

/* Glare, Q.931 5.7: our SETUP and the far end's crossed on one B-channel.
 * The network side settles it: its own call keeps the channel; the user's
 * is refused with cause 44 if it asked for the channel exclusively, else
 * given another (5.1.2, 5.2.3). As the network we keep the channel and
 * on_ring refuses or moves the user's call. As the user we hand the channel
 * to the network's call now; our leg waits, channelless, for the network's
 * answer (pri_leg.c: a refusal lets the bridge try another channel, a
 * channel granted instead is taken if free). */
static void glare_settle(struct span *sp, int chan)
{
	struct pri_leg *ours = sp->chans[chan];

	if (pri_leg_state(ours) != PRI_ST_CALL_INITIATED)
		return;	/* not glare: the channel is really busy */
	if (sp->cfg->role == ROLE_NETWORK) {
		LOGN(LSS_Q931, "%s glare: our call keeps B-channel %d (Q.931 5.7)",
		     ours->base.ops->describe(&ours->base), chan);
		return;
	}
	LOGN(LSS_Q931, "%s glare: the network's SETUP takes B-channel %d (Q.931 5.7)",
	     ours->base.ops->describe(&ours->base), chan);
	sp->chans[chan] = NULL;
	ours->chan = 0;
}

/* Q.931 4.5.8 type of number (bits 7-5 of the plan libpri passes). */
static enum leg_ton span_ton(int plan)
{
	switch (plan & 0x70) {
	case 0x10:
		return LEG_TON_INTERNATIONAL;
	case 0x20:
		return LEG_TON_NATIONAL;
	case 0x40:
		return LEG_TON_SUBSCRIBER;
	default:
		return LEG_TON_UNKNOWN;
	}
}

/* Q.952 redirecting reason (the Redirecting number IE, octet 3b) */
static const struct { int q931; enum leg_redirect why; } span_redirects[] = {
	{ PRI_REDIR_UNKNOWN, LEG_REDIR_UNKNOWN },
	{ PRI_REDIR_FORWARD_ON_BUSY, LEG_REDIR_BUSY },
	{ PRI_REDIR_FORWARD_ON_NO_REPLY, LEG_REDIR_NO_ANSWER },
	{ PRI_REDIR_DEFLECTION, LEG_REDIR_DEFLECTION },
	{ PRI_REDIR_DTE_OUT_OF_ORDER, LEG_REDIR_OUT_OF_SERVICE },
	{ PRI_REDIR_UNCONDITIONAL, LEG_REDIR_UNCONDITIONAL },
};

static enum leg_redirect span_redirect_reason(int q931)
{
	for (size_t i = 0; i < sizeof(span_redirects) / sizeof(span_redirects[0]); i++)
		if (span_redirects[i].q931 == q931)
			return span_redirects[i].why;
	return LEG_REDIR_UNKNOWN;	/* the default row */
}

int span_redirect_q931(enum leg_redirect why)
{
	for (size_t i = 0; i < sizeof(span_redirects) / sizeof(span_redirects[0]); i++)
		if (span_redirects[i].why == why)
			return span_redirects[i].q931;
	return PRI_REDIR_UNKNOWN;
}

/* An overlap SETUP's number so far: complete when it ends in '#' (taken
 * off) or no dial-peer could take a longer one. */
static int span_number_complete(struct span *sp, char *called)
{
	size_t n = strlen(called);

	if (n && called[n - 1] == '#') {
		called[n - 1] = 0;
		return 1;
	}
	return !sp->number_h || sp->number_h(sp->arg, called);
}

/* SETUP from the far end (Q.931 5.2). */
static void on_ring(struct span *sp, const pri_event *ev)
{
	const pri_event_ring *r = &ev->ring;
	int chan = PRI_CHANNEL(r->channel);
	struct leg_setup_info si = { .law = span_law(sp) };
	struct pri_leg *pl;

	si.t_setup_us = mono_us();
	if (chan > 0 && span_chan_valid(sp, chan) && sp->chans[chan])
		glare_settle(sp, chan);
	if (chan <= 0 || !span_chan_valid(sp, chan) || sp->chans[chan] ||
	    span_chan_restarting(sp, chan) || span_chan_busied(sp, chan)) {
		/* Preferred channel busy (or not yet back from our RESTART,
		 * Q.931 5.5.1, or busied out) or none named: hunt, unless the
		 * caller insisted on this one (exclusive), Q.931 5.2.3.1. */
		if (chan > 0 && !r->flexible && span_chan_valid(sp, chan)) {
			LOGN(LSS_Q931, "span %s: SETUP for %s B-channel %d (exclusive): cause %d", sp->cfg->name,
			     span_chan_busied(sp, chan) ? "busied-out" : "busy", chan, PRI_CAUSE_REQUESTED_CHAN_UNAVAIL);
			pri_hangup(sp->pri, r->call, PRI_CAUSE_REQUESTED_CHAN_UNAVAIL);
			return;
		}
		chan = span_hunt(sp);
		if (chan < 0) {
			LOGN(LSS_Q931, "span %s: SETUP but no free B-channel: cause %d", sp->cfg->name,
			     PRI_CAUSE_NORMAL_CIRCUIT_CONGESTION);
			pri_hangup(sp->pri, r->call, PRI_CAUSE_NORMAL_CIRCUIT_CONGESTION);
			return;
		}
	}
	if (pri_leg_alloc_incoming(&pl, sp, r->call, chan) < 0) {
		pri_hangup(sp->pri, r->call, PRI_CAUSE_SWITCH_CONGESTION);
		return;
	}
	/* Q.931 4.5.5: unrestricted (or restricted) digital information is
	 * data, not speech: no echo canceller, no DTMF detection on it. */
	if (r->ctype == PRI_TRANS_CAP_DIGITAL || r->ctype == PRI_TRANS_CAP_RESTRICTED_DIGITAL)
		pri_media_clear_channel(pl);
	snprintf(si.called, sizeof(si.called), "%.*s", (int)sizeof(si.called) - 1, r->callednum);
	snprintf(si.calling, sizeof(si.calling), "%.*s", (int)sizeof(si.calling) - 1, r->callingnum);
	snprintf(si.display, sizeof(si.display), "%.*s", (int)sizeof(si.display) - 1, r->callingname);
	snprintf(si.source, sizeof(si.source), "%s", sp->cfg->name);
	si.calling_ton = span_ton(r->callingplan);
	si.called_ton = span_ton(r->calledplan);
	/* Q.931 4.5.10 octet 3a bits 7-6: 01 presentation restricted */
	si.restricted = (r->callingpres & 0x60) == 0x20;
	if (r->redirectingnum[0]) {
		snprintf(si.redirecting, sizeof(si.redirecting), "%.*s", (int)sizeof(si.redirecting) - 1,
			 r->redirectingnum);
		si.redirecting_ton = span_ton(r->callingplanrdnis);
		si.redirect_reason = span_redirect_reason(r->redirectingreason);
	}
	if (sp->cfg->overlap_receive && !r->complete && !span_number_complete(sp, si.called)) {
		/* Q.931 5.2.4: SETUP ACKNOWLEDGE; the rest of the number comes in
		 * INFORMATION (pri_leg.c), routed en bloc once complete. */
		pri_need_more_info(sp->pri, r->call, span_wire_chan(sp, chan), 0);
		pri_leg_overlap(pl, &si);
		LOGI(LSS_Q931, "%s SETUP called=%s calling=%s name=\"%s\" (overlap: more digits expected)",
		     pl->base.ops->describe(&pl->base), si.called, si.calling, si.display);
		return;
	}
	/* Q.931 5.2.5.1: CALL PROCEEDING at once; routing may take a while. */
	pri_proceeding(sp->pri, r->call, span_wire_chan(sp, chan), 0);
	pri_leg_proceeding(pl);
	LOGI(LSS_Q931, "%s SETUP called=%s calling=%s name=\"%s\"", pl->base.ops->describe(&pl->base),
	     si.called, si.calling, si.display);
	pri_leg_route_later(pl, &si);
}

q931_call *span_event_call(const pri_event *ev)
{
	switch (ev->e) {
	case PRI_EVENT_HANGUP:
	case PRI_EVENT_HANGUP_ACK:
	case PRI_EVENT_HANGUP_REQ:
		return ev->hangup.call;
	case PRI_EVENT_RINGING:
		return ev->ringing.call;
	case PRI_EVENT_ANSWER:
		return ev->answer.call;
	case PRI_EVENT_PROCEEDING:
	case PRI_EVENT_PROGRESS:
		return ev->proceeding.call;
	case PRI_EVENT_SETUP_ACK:
		return ev->setup_ack.call;
	case PRI_EVENT_FACILITY:
		return ev->facility.call;
	case PRI_EVENT_NOTIFY:
		return ev->notify.call;
	case PRI_EVENT_CONNECT_ACK:
		return ev->connect_ack.call;
	case PRI_EVENT_INFO_RECEIVED:
		return ev->ring.call;
	case PRI_EVENT_HOLD:
		return ev->hold.call;
	case PRI_EVENT_RETRIEVE:
		return ev->retrieve.call;
	case PRI_EVENT_KEYPAD_DIGIT:
		return ev->digit.call;
	default:
		return NULL;
	}
}

void span_handle_event(struct span *sp, const pri_event *ev)
{
	struct pri_leg *pl;

	switch (ev->e) {
	case PRI_EVENT_DCHAN_UP:
		sp->dchan_up = sp->d_up = 1;
		LOGN(LSS_Q931, "span %s: D-channel up", sp->cfg->name);
		span_restart_idle(sp);
		return;
	case PRI_EVENT_DCHAN_DOWN:
		sp->dchan_up = sp->d_up = 0;
		/* RESTARTs not yet acknowledged may be lost with the link
		 * (Q.921 discards its queue): the next D-channel up sends them
		 * again. */
		sp->restart_wait = 0;
		loop_timer_stop(sp->t316);
		LOGN(LSS_Q931, "span %s: D-channel down", sp->cfg->name);
		return;
	case PRI_EVENT_RING:
		on_ring(sp, ev);
		return;
	case PRI_EVENT_RESTART:
		span_on_far_restart(sp, ev->restart.channel);
		return;
	case PRI_EVENT_RESTART_ACK:
		span_restart_ack(sp, ev->restartack.channel);
		return;
	case PRI_EVENT_SERVICE:
		span_on_service(sp, ev->service.channel, ev->service.changestatus);
		return;
	case PRI_EVENT_SERVICE_ACK:
		LOGI(LSS_Q931, "span %s: SERVICE ACKNOWLEDGE for B-channel %d", sp->cfg->name,
		     PRI_CHANNEL(ev->service_ack.channel));
		return;
	case PRI_EVENT_CONFIG_ERR:
		/* Q.921 3.3.2: the C/R bit of the far end's frames says it
		 * takes our role too (libpri's text says which); the link can
		 * never come up. Q.SIG too needs one end of each role: libpri
		 * still takes the Q.921 side and call reference flag from it. */
		LOGW_LIMIT(&sp->lim_pri_err, LSS_Q931, "span %s: the far end takes our role (%s) too, "
			   "one end must be network, the other cpe (libpri: \"%.*s\")", sp->cfg->name,
			   sp->cfg->role == ROLE_NETWORK ? "network" : "cpe",
			   (int)strcspn(ev->err.err, "\n"), ev->err.err);
		return;
	default:
		break;
	}
	pl = leg_by_call(sp, span_event_call(ev));
	if (!pl) {
		LOGI_LIMIT(&sp->lim_no_call, LSS_Q931, "span %s: %s for no known call", sp->cfg->name,
			   pri_event2str(ev->e));
		if (ev->e == PRI_EVENT_HANGUP || ev->e == PRI_EVENT_HANGUP_REQ)
			pri_hangup(sp->pri, ev->hangup.call, ev->hangup.cause);
		return;
	}
	pri_leg_on_event(pl, ev);
}

/* An event from the libpri instance on d's D-channel. In NFAS the
 * D-channel's own news is the group's (span_nfas.c); the rest goes to the
 * member span it is for. */
static void span_event(struct span *d, const pri_event *ev)
{
	struct span *sp;
	int refuse;

	if (!d->nfas) {
		span_handle_event(d, ev);
		return;
	}
	if (ev->e == PRI_EVENT_DCHAN_UP || ev->e == PRI_EVENT_DCHAN_DOWN) {
		int up = ev->e == PRI_EVENT_DCHAN_UP;

		if (up != d->d_up)
			LOGN(LSS_Q931, "span %s: %s D-channel %s (NFAS group %d)", d->cfg->name,
			     d->cfg->nfas_d == NFAS_D_PRIMARY ? "primary" : "backup", up ? "up" : "down",
			     d->cfg->nfas_group);
		d->d_up = up;
		span_nfas_update(d->nfas);
		return;
	}
	if (ev->e == PRI_EVENT_CONFIG_ERR) {
		span_handle_event(d, ev);
		return;
	}
	sp = span_nfas_target(d, ev, &refuse);
	if (!sp) {
		if (refuse)
			pri_hangup(d->dpri, ev->ring.call, refuse);
		return;
	}
	sp->ev_d = d;
	span_handle_event(sp, ev);
	sp->ev_d = NULL;
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

static void pri_timer_cb(void *arg)
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

static void d_readable(void *arg)
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

static void link_cb(void *arg, int connected)
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
static void t_establish_cb(void *arg)
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

static void b_frame(void *arg, int chan, const uint8_t *frame, size_t len)
{
	struct span *sp = arg;

	if (!span_chan_valid(sp, chan)) {
		/* not a B-channel of this span: malformed, dropped and counted */
		sp->bad_chan++;
		LOGW_LIMIT(&sp->lim_bad_chan, LSS_Q931,
			   "span %s: B-channel datagram for channel %d, not a B-channel here: dropped "
			   "(%lu so far)", sp->cfg->name, chan, sp->bad_chan);
		return;
	}
	if (sp->chans[chan])
		pri_leg_frame_in(sp->chans[chan], frame, len);
}

static void tick_cb(void *arg)
{
	span_media_tick(arg);
}

static const struct span_hw_cbs hw_cbs = {
	.d_readable = d_readable,
	.link = link_cb,
	.b_frame = b_frame,
	.tick = tick_cb,
	.b_waited = span_media_waited,
};

static void pri_msg_cb(struct pri *pri, char *s)
{
	size_t n = strlen(s);

	if (pri && span_debug_msg(pri_get_userdata(pri), s))
		return;
	LOGD(LSS_Q931, "libpri: %.*s", (int)(n && s[n - 1] == '\n' ? n - 1 : n), s);
}

/* libpri reports what a far end does wrong, once per frame: a far end
 * that repeats it at frame rate must not flood the log. pri is NULL for
 * messages not tied to an instance. */
static void pri_err_cb(struct pri *pri, char *s)
{
	static struct log_limit lim_global;
	struct span *sp = pri ? pri_get_userdata(pri) : NULL;
	size_t n = strlen(s);

	LOGW_LIMIT(sp ? &sp->lim_pri_err : &lim_global, LSS_Q931, "libpri%s%s: %.*s",
		   sp ? " span " : "", sp ? sp->cfg->name : "",
		   (int)(n && s[n - 1] == '\n' ? n - 1 : n), s);
}

int span_alloc(struct span **spp, const struct span_params *p)
{
	struct span *sp = calloc(1, sizeof(*sp));
	int rc;

	if (!sp)
		return -ENOMEM;
	sp->own_cfg = *p->cfg;
	sp->cfg = &sp->own_cfg;
	sp->root = p->root;
	sp->incoming_h = p->incoming_h;
	sp->number_h = p->number_h;
	sp->pl_timer_ms[PL_T_T302] = p->t302_ms;
	sp->arg = p->arg;
	sp->reserved = p->reserved;
	sp->moh = p->moh;
	sp->trace = p->trace;
	sp->late = p->late;
	LIST_INIT(&sp->legs);
	/* T1: 23 B + D on 24; E1: 30 B on timeslots 1-15, 17-31, D on 16. */
	for (int c = 1; c <= (p->cfg->framing == FRAMING_E1 ? 31 : 23); c++)
		if (p->cfg->framing != FRAMING_E1 || c != 16)
			sp->bchans[sp->n_b++] = c;
	/* NFAS without a D-channel of its own: timeslot 24 is a B-channel */
	if (p->cfg->nfas_group && p->cfg->nfas_d == NFAS_D_NONE)
		sp->bchans[sp->n_b++] = 24;
	sp->hw_ops = p->hw_ops ? p->hw_ops : p->cfg->type == SPAN_LOOPBACK ? &loopback_hw_ops
		   : p->cfg->type == SPAN_DAHDI ? &dahdi_hw_ops : NULL;
	if (!sp->hw_ops) {
		free(sp);
		return -ENOTSUP;
	}
	pri_set_message(pri_msg_cb);
	pri_set_error(pri_err_cb);
	if ((rc = sp->hw_ops->open(&sp->hw, sp->cfg, p->root, &hw_cbs, sp)))
		goto err;
	if ((rc = loop_timer_alloc(&sp->pri_timer, p->root, "libpri", pri_timer_cb, sp)) ||
	    (rc = loop_timer_alloc(&sp->t316, p->root, "T316", span_t316_cb, sp)) ||
	    (rc = loop_timer_alloc(&sp->t_establish, p->root, "T200", t_establish_cb, sp)) ||
	    /* a card clocks its span's audio itself (span_hw_ops.clocks_media) */
	    (!sp->hw_ops->clocks_media && (rc = loop_ticker_alloc(&sp->tick, p->root, 20, tick_cb, sp))))
		goto err;
	span_media_clock_start(sp);
	LOGN(LSS_Q931, "span %s: %s %s %s, %d B-channels, %s law, at %s", p->cfg->name,
	     span_framing_name(p->cfg->framing), p->cfg->switch_name,
	     p->cfg->role == ROLE_NETWORK ? "network" : "cpe", sp->n_b,
	     span_law(sp) == LAW_ALAW ? "A" : "mu", p->cfg->path);
	*spp = sp;
	return 0;
err:
	span_free(sp);
	return rc;
}

void span_free(struct span *sp)
{
	if (!sp)
		return;
	while (!LIST_EMPTY(&sp->legs)) {
		struct pri_leg *pl = LIST_FIRST(&sp->legs);
		pl->base.ops->destroy(&pl->base);	/* leaves the list */
	}
	loop_ticker_free(sp->tick);
	loop_timer_free(sp->pri_timer);
	loop_timer_free(sp->t316);
	loop_timer_free(sp->t_establish);
	span_nfas_leave(sp);
	if (sp->hw)
		sp->hw_ops->close(sp->hw);
	/* sp->pri: libpri offers no way to free it; it lives until exit. */
	free(sp);
}

const char *span_name(const struct span *sp) { return sp->cfg->name; }
enum g711_law span_law(const struct span *sp) { return sp->cfg->framing == FRAMING_E1 ? LAW_ALAW : LAW_ULAW; }

