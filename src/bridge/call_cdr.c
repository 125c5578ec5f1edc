/* sipgw - the call's CDR record as the call goes: call.c tells it the
 * times, who cleared and each leg's end; the legs' own facts are taken as
 * they go (they are destroyed before the call is freed), the first
 * ALERTING and the answer from the call's own times; routing adds the
 * dial-peer and the numbers as sent. At the end the record goes to the
 * bridge's cdr_h (the writer thread's queue, cdr_db.h).
 * SPDX-License-Identifier: GPL-2.0-only */
#include "bridge/call_internal.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bridge/cause.h"
#include "core/log.h"

#define COPY(dst, src) snprintf((dst), sizeof(dst), "%s", (src) ? (src) : "")

void call_cdr_begin(struct call *c)
{
	struct cdr_leg *in = &c->cdr.in;

	/* the setup's own time: the SETUP or INVITE, not routing's start */
	cdr_begin(&c->cdr, c->id, c->si.t_setup_us ? c->si.t_setup_us : mono_us());
	COPY(in->calling, c->si.calling);
	COPY(in->called, c->si.called);
	COPY(in->display, c->si.display);
}

void call_cdr_clearing(struct call *c, const struct leg *from)
{
	if (c->fi.state == CALL_ST_RELEASING)
		return;
	c->cdr.cleared_by = !from ? CDR_BY_GATEWAY : from == c->a ? CDR_BY_CALLER : CDR_BY_CALLED;
}

void call_cdr_leg_ended(struct call *c, int out, int cause, int status)
{
	if (!c->end_cause[out])
		c->end_cause[out] = cause;
	if (status && !c->end_status[out])
		c->end_status[out] = status;
}

void call_cdr_placed(struct call *c, int dial_peer, const char *called, const char *calling,
		     const char *display)
{
	struct cdr_leg *out = &c->cdr.out;

	c->cdr.dial_peer = dial_peer;
	COPY(out->called, called ? called : c->si.called);
	COPY(out->calling, calling ? calling : c->si.calling);
	COPY(out->display, display ? display : c->si.display);
	c->end_cause[1] = c->end_status[1] = 0;	/* a new try: its own end */
}

void call_cdr_take(struct call *c, struct leg *leg, int out)
{
	struct cdr_leg *l = out ? &c->cdr.out : &c->cdr.in;
	struct media_port *mp = leg->ops->media ? leg->ops->media(leg) : NULL;
	int answered = c->t_answer_us && (!out || leg == c->b);
	int sip = leg->ops->kind && !strcmp(leg->ops->kind, "sip");

	COPY(l->kind, leg->ops->kind);
	if (mp && mp->codec)
		COPY(l->codec, mp->codec);
	media_get_stats(mp, &l->ms);
	l->cause = c->end_cause[out] ? c->end_cause[out] : c->last_cause;
	l->status = c->end_status[out];
	if (sip && !l->status) {
		/* the final answer of its INVITE: ours to an incoming leg, the far
		 * end's to ours (a CANCELled INVITE is answered 487, RFC 3261 9.2) */
		if (answered)
			l->status = 200;
		else if (!out)
			l->status = leg->release_status ? leg->release_status : cause_to_sip_status(l->cause);
		else
			l->status = 487;
	}
	if (leg->ops->status) {	/* what the leg says of itself (leg.h) */
		struct leg_status st = { 0 };

		leg->ops->status(leg, &st);
		COPY(l->span, st.span);
		l->channel = st.chan;
		COPY(l->sip_call_id, st.call_id);
		if (sip)
			COPY(l->remote, st.where);
		if (st.codec[0])
			COPY(l->codec, st.codec);
		/* the numbers as this leg signalled them: received (a) or sent */
		if (st.calling[0])
			COPY(l->calling, st.calling);
		if (st.called[0])
			COPY(l->called, st.called);
		if (st.status > 0 && (answered || st.status >= 300))
			l->status = st.status;
		if (!c->end_cause[out] && st.cause > 0)
			l->cause = st.cause;
	}
}

/* Wall clock minus the monotonic one, now: one offset for the four times. */
static long long wall_offset_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 - mono_us();
}

void call_cdr_end(struct call *c)
{
	struct bridge *br = c->br;

	c->cdr.cause = c->last_cause;
	/* the call keeps its first ALERTING and its answer (call_times) */
	c->cdr.alert_us = c->t_alert_us;
	c->cdr.answer_us = c->t_answer_us;
	if (c->cdr.answer_us && !c->cdr.alert_us)	/* answered without ringing */
		c->cdr.alert_us = c->cdr.answer_us;
	cdr_finish(&c->cdr, mono_us(), wall_offset_us());
	if (br->cdr_h)
		br->cdr_h(br->cdr_arg, &c->cdr);
}
