/* sipgw - unit tests: the call (src/bridge/call.c) between fake legs. Every
 * event each state permits does what a trace should show (the ladder of
 * what each leg was told), every event a state refuses is refused in one
 * place, logged at most once and changes nothing; forking, legs that vanish,
 * hold, shutdown, dropping calls, and ring-no-answer on a real loop.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sofia-sip/su_wait.h>

#include "bridge/bridge.h"
#include "bridge/cause.h"
#include "core/fsm.h"
#include "core/log.h"
#include "fake_leg.h"
#include "unit.h"

/* The bridge's routing hooks, as a test sees them. */
struct hooks {
	int n_failed;			/* leg_failed calls */
	struct leg *failed_leg;
	int failed_cause, failed_status;
	int ret;			/* leg_failed's answer: 0 goes on, else -ENOENT with cause */
	int clear_cause;		/* the cause it hands back with -ENOENT (0: the leg's) */
	struct fake_leg *place;		/* leg_failed places this leg instead (then returns 0) */
	int n_ended;			/* call_ended calls */
	struct media_stats mst_b;	/* call_media_stats(c, 1) at call_ended */
};

static int hook_leg_failed(void *arg, struct call *c, struct leg *leg, int cause, int status, int *causep)
{
	struct hooks *h = arg;

	h->n_failed++;
	h->failed_leg = leg;
	h->failed_cause = cause;
	h->failed_status = status;
	if (h->place) {
		struct fake_leg *fl = h->place;

		h->place = NULL;
		if (call_add_leg(c, &fl->leg) == 0)
			return 0;
	}
	*causep = h->clear_cause ? h->clear_cause : cause;
	return h->ret;
}

static void hook_call_ended(void *arg, struct call *c)
{
	struct hooks *h = arg;

	h->n_ended++;
	h->mst_b = *call_media_stats(c, 1);
}

static const struct bridge_route_ops hook_ops = {
	.leg_failed = hook_leg_failed,
	.call_ended = hook_call_ended,
};

/* One call on a bridge without a loop (no timers), brought to a state. */
struct fx {
	struct hooks h;
	struct bridge *br;
	struct call *c;
	struct fake_leg *a, *b, *x;	/* caller, called leg, one more (a fork, or refused) */
	size_t mark;			/* ladder length when the state was reached */
};

enum fx_state { FX_ROUTING, FX_PROCEEDING, FX_ALERTING, FX_ACTIVE, FX_RELEASING };

static const char *const fx_state_names[] = { "ROUTING", "PROCEEDING", "ALERTING", "ACTIVE", "RELEASING" };

/* "call 3 [ALERTING]" -> "ALERTING" (in a static buffer) */
static const char *state_of(struct call *c)
{
	static char st[32];
	const char *d = call_describe(c), *o = strchr(d, '['), *e = o ? strchr(o, ']') : NULL;

	snprintf(st, sizeof(st), "%.*s", o && e ? (int)(e - o - 1) : 1, o && e ? o + 1 : "?");
	return st;
}

/* What the legs were told since the state was reached. */
static const char *told(const struct fx *f)
{
	return fake_ladder() + f->mark;
}

#define LADDER_IS(got, want)                                                             \
	do {                                                                             \
		const char *got_ = (got), *want_ = (want);                               \
		if (strcmp(got_, want_))                                                 \
			fprintf(stderr, "\n  ladder:\n%s  want:\n%s", got_, want_);      \
		CU_ASSERT_STRING_EQUAL(got_, want_);                                     \
	} while (0)

static void fx_open(struct fx *f, enum fx_state st)
{
	struct bridge_params bp = { .route = &hook_ops, .route_arg = &f->h };
	struct leg_setup_info si = { .called = "2001", .calling = "5551234" };

	memset(f, 0, sizeof(*f));
	f->h.ret = -ENOENT;
	fake_reset();
	CU_ASSERT_EQUAL_FATAL(bridge_alloc(&f->br, &bp), 0);
	f->a = fake_leg_new("pri", "A");
	f->b = fake_leg_new("sip", "B");
	f->x = fake_leg_new("sip", "X");
	CU_ASSERT_EQUAL_FATAL(call_alloc(&f->c, f->br, &f->a->leg, &si), 0);
	CU_ASSERT_EQUAL(bridge_call_count(f->br), 1);
	unit_log_begin();
	if (st >= FX_PROCEEDING)
		CU_ASSERT_EQUAL(call_add_leg(f->c, &f->b->leg), 0);
	if (st >= FX_ALERTING && st != FX_RELEASING)
		call_leg_alerting(&f->b->leg, 0);
	if (st >= FX_ACTIVE && st != FX_RELEASING)
		call_leg_answered(&f->b->leg);
	if (st == FX_RELEASING)
		call_clear(f->c, CAUSE_NORMAL_CLEARING);	/* both told; neither has finished */
	unit_log_end();
	CU_ASSERT_STRING_EQUAL(state_of(f->c), fx_state_names[st]);
	f->mark = strlen(fake_ladder());
}

/* Tear down: every leg still in the call is dropped; B and X if they never
 * joined it are destroyed as their owner would. */
static void fx_close(struct fx *f)
{
	unit_log_begin();
	if (fake_is_alive(f->b) && !f->b->leg.call)
		fake_gone(f->b);	/* not in a call: destroyed at once */
	if (fake_is_alive(f->x) && !f->x->leg.call)
		fake_gone(f->x);
	bridge_free(f->br);
	unit_log_end();
	CU_ASSERT_EQUAL(fake_alive(), 0);
	fake_cleanup();
}

/* ---- refused events */

enum ev { EV_LEG_ADDED, EV_ALERTING, EV_PROGRESS, EV_ANSWERED, EV_HOLD, EV_CLEAR };

static const char *const ev_names[] = { "LEG_ADDED", "ALERTING", "PROGRESS", "ANSWERED", "HOLD", "CLEAR" };

static void fire(struct fx *f, enum ev ev)
{
	switch (ev) {
	case EV_LEG_ADDED:
		CU_ASSERT_EQUAL(call_add_leg(f->c, &f->x->leg), -EPERM);
		CU_ASSERT_PTR_NULL(f->x->leg.call);	/* the call did not take it */
		break;
	case EV_ALERTING:
		call_leg_alerting(&f->b->leg, 1);
		break;
	case EV_PROGRESS:
		call_leg_progress(&f->b->leg);
		break;
	case EV_ANSWERED:
		call_leg_answered(&f->b->leg);
		break;
	case EV_HOLD:
		call_leg_hold(&f->a->leg, 1, LEG_HOLD_SENDONLY);
		break;
	case EV_CLEAR:
		call_clear(f->c, CAUSE_NORMAL_CLEARING);
		break;
	}
}

/* The refusal line is rate-limited per subsystem (fsm.c): of a burst of
 * refusals only the first is printed, so each one is counted through
 * fsm_refused_events() and its line, when printed, must be the one. This
 * test runs first in the suite so that its first refusal is printed. */
static void test_refused_events(void)
{
	static const struct { enum fx_state st; enum ev ev; } refused[] = {
		{ FX_ROUTING, EV_HOLD },
		{ FX_PROCEEDING, EV_HOLD },
		{ FX_ALERTING, EV_HOLD },
		{ FX_ACTIVE, EV_LEG_ADDED }, { FX_ACTIVE, EV_ALERTING }, { FX_ACTIVE, EV_PROGRESS },
		{ FX_ACTIVE, EV_ANSWERED },
		{ FX_RELEASING, EV_LEG_ADDED }, { FX_RELEASING, EV_ALERTING },
		{ FX_RELEASING, EV_PROGRESS }, { FX_RELEASING, EV_ANSWERED }, { FX_RELEASING, EV_CLEAR },
	};
	unsigned printed = 0;

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		struct fx f;
		unsigned long before;
		char line[128], desc[48];
		const char *log;
		unsigned lines;

		fx_open(&f, refused[i].st);
		snprintf(desc, sizeof(desc), "%s", call_describe(f.c));
		snprintf(line, sizeof(line), "%s: event %s not permitted in state %s", desc,
			 ev_names[refused[i].ev], fx_state_names[refused[i].st]);
		before = fsm_refused_events(LSS_BRIDGE);
		unit_log_begin();
		fire(&f, refused[i].ev);
		log = unit_log_end();
		lines = unit_count(log, "not permitted");
		if (fsm_refused_events(LSS_BRIDGE) != before + 1 || lines > 1 ||
		    (lines && !strstr(log, line)) || strcmp(told(&f), ""))
			fprintf(stderr, "\n  %s: refused %lu, log:\n%s  told:\n%s", line,
				fsm_refused_events(LSS_BRIDGE) - before, log, told(&f));
		CU_ASSERT_EQUAL(fsm_refused_events(LSS_BRIDGE), before + 1);
		CU_ASSERT(lines <= 1);
		if (lines)
			CU_ASSERT_PTR_NOT_NULL(strstr(log, line));
		if (i == 0)
			CU_ASSERT_EQUAL(lines, 1);	/* the first of the burst is always printed */
		printed += lines;
		/* nothing changed: same state, nobody told anything, no hold logged */
		CU_ASSERT_STRING_EQUAL(call_describe(f.c), desc);
		LADDER_IS(told(&f), "");
		CU_ASSERT_EQUAL(unit_count(log, "holds the call"), 0);
		CU_ASSERT_EQUAL(f.h.n_failed, 0);
		CU_ASSERT_EQUAL(bridge_call_count(f.br), 1);
		fx_close(&f);
	}
	CU_ASSERT(printed >= 1);
}

/* A repeated refusal (a peer sending the same message again and again) is
 * counted every time but logged once. */
static void test_refusal_burst_logged_once(void)
{
	struct fx f;
	unsigned long before;
	const char *log;

	fx_open(&f, FX_ACTIVE);
	before = fsm_refused_events(LSS_BRIDGE);
	unit_log_begin();
	for (int i = 0; i < 5; i++)
		call_leg_answered(&f.b->leg);
	log = unit_log_end();
	CU_ASSERT_EQUAL(fsm_refused_events(LSS_BRIDGE), before + 5);
	CU_ASSERT(unit_count(log, "not permitted") <= 1);
	CU_ASSERT_EQUAL(unit_count(log, "answered"), 0);
	LADDER_IS(told(&f), "");
	fx_close(&f);
}

/* Ringing, early media and answers count only from a called leg: the caller
 * (or a leg the call does not know) cannot answer its own call. Such events
 * are dropped before the machine, so they are not even refusals. */
static void test_events_from_other_legs_ignored(void)
{
	for (enum fx_state st = FX_ROUTING; st <= FX_ALERTING; st++) {
		struct fx f;
		unsigned long before;

		fx_open(&f, st);
		before = fsm_refused_events(LSS_BRIDGE);
		unit_log_begin();
		call_leg_alerting(&f.a->leg, 1);
		call_leg_progress(&f.a->leg);
		call_leg_answered(&f.a->leg);
		f.x->leg.call = f.c;	/* claims the call, never added to it */
		call_leg_answered(&f.x->leg);
		call_leg_alerting(&f.x->leg, 0);
		f.x->leg.call = NULL;
		unit_log_end();
		CU_ASSERT_STRING_EQUAL(state_of(f.c), fx_state_names[st]);
		LADDER_IS(told(&f), "");
		CU_ASSERT_EQUAL(fsm_refused_events(LSS_BRIDGE), before);
		fx_close(&f);
	}
}

/* ---- permitted events, state by state */

static void test_routing_permits(void)
{
	struct fx f;

	/* LEG_ADDED: routing placed the b leg; nobody is told anything yet */
	fx_open(&f, FX_ROUTING);
	CU_ASSERT_EQUAL(call_legs_trying(f.c), 0);
	CU_ASSERT_EQUAL(call_add_leg(f.c, &f.b->leg), 0);
	CU_ASSERT_STRING_EQUAL(state_of(f.c), "PROCEEDING");
	CU_ASSERT_EQUAL(call_legs_trying(f.c), 1);
	CU_ASSERT_PTR_EQUAL(f.b->leg.call, f.c);
	LADDER_IS(told(&f), "");
	fx_close(&f);

	/* RELEASED: the caller hung up while routing looked; nobody else to tell */
	fx_open(&f, FX_ROUTING);
	unit_log_begin();
	call_leg_released(&f.a->leg, CAUSE_NORMAL_CLEARING, 0);
	unit_log_end();
	CU_ASSERT_STRING_EQUAL(state_of(f.c), "RELEASING");
	LADDER_IS(told(&f), "");
	CU_ASSERT_EQUAL(f.h.n_failed, 0);	/* the caller's leg is not routing's to judge */
	unit_log_begin();
	fake_gone(f.a);
	unit_log_end();
	CU_ASSERT_EQUAL(bridge_call_count(f.br), 0);
	CU_ASSERT_EQUAL(f.h.n_ended, 1);
	fx_close(&f);

	/* CLEAR: routing found no way (no circuit): the caller hears why */
	fx_open(&f, FX_ROUTING);
	unit_log_begin();
	call_clear(f.c, CAUSE_NO_CIRCUIT);
	unit_log_end();
	CU_ASSERT_STRING_EQUAL(state_of(f.c), "RELEASING");
	LADDER_IS(told(&f), "A release 34\n");
	unit_log_begin();
	CU_ASSERT_EQUAL(fake_finish(), 1);
	unit_log_end();
	CU_ASSERT_EQUAL(bridge_call_count(f.br), 0);
	fx_close(&f);
}

/* PROCEEDING and ALERTING permit the same events: one more leg (forking),
 * ringing, early media, the answer, a leg's failure and clearing. */
static void test_ringing_permits(void)
{
	for (enum fx_state st = FX_PROCEEDING; st <= FX_ALERTING; st++) {
		const char *name = fx_state_names[st];
		struct fx f;

		/* LEG_ADDED: a fork rings beside b; the state stays */
		fx_open(&f, st);
		CU_ASSERT_EQUAL(call_add_leg(f.c, &f.x->leg), 0);
		CU_ASSERT_STRING_EQUAL(state_of(f.c), name);
		CU_ASSERT_EQUAL(call_legs_trying(f.c), 2);
		LADDER_IS(told(&f), "");
		fx_close(&f);

		/* ALERTING: the caller hears ringing once; in-band ringback cuts through again */
		fx_open(&f, st);
		call_leg_alerting(&f.b->leg, 0);
		CU_ASSERT_STRING_EQUAL(state_of(f.c), "ALERTING");
		CU_ASSERT_TRUE(call_alerted(f.c));
		LADDER_IS(told(&f), st == FX_PROCEEDING ? "A alert\n" : "");
		call_leg_alerting(&f.b->leg, 1);
		LADDER_IS(told(&f), st == FX_PROCEEDING ? "A alert\nA alert inband\n" : "A alert inband\n");
		fx_close(&f);

		/* PROGRESS: early media without ringing; the state stays */
		fx_open(&f, st);
		call_leg_progress(&f.b->leg);
		CU_ASSERT_STRING_EQUAL(state_of(f.c), name);
		LADDER_IS(told(&f), "A progress\n");
		fx_close(&f);

		/* ANSWERED */
		fx_open(&f, st);
		unit_log_begin();
		call_leg_answered(&f.b->leg);
		CU_ASSERT_PTR_NOT_NULL(strstr(unit_log_end(), "answered"));
		CU_ASSERT_STRING_EQUAL(state_of(f.c), "ACTIVE");
		CU_ASSERT_FALSE(call_alerted(f.c));
		LADDER_IS(told(&f), "A answer\n");
		fx_close(&f);

		/* RELEASED from b (486): routing is asked; it gives up, the caller gets 17 */
		fx_open(&f, st);
		unit_log_begin();
		call_leg_released(&f.b->leg, CAUSE_USER_BUSY, 486);
		unit_log_end();
		CU_ASSERT_EQUAL(f.h.n_failed, 1);
		CU_ASSERT_PTR_EQUAL(f.h.failed_leg, &f.b->leg);
		CU_ASSERT_EQUAL(f.h.failed_cause, CAUSE_USER_BUSY);
		CU_ASSERT_EQUAL(f.h.failed_status, 486);
		CU_ASSERT_EQUAL(call_legs_trying(f.c), 0);	/* set aside before routing is asked */
		CU_ASSERT_STRING_EQUAL(state_of(f.c), "RELEASING");
		LADDER_IS(told(&f), "A release 17\n");		/* b cleared itself: not told again */
		unit_log_begin();
		CU_ASSERT_EQUAL(fake_finish(), 1);
		CU_ASSERT_EQUAL(bridge_call_count(f.br), 1);	/* b has not finished yet */
		fake_gone(f.b);
		unit_log_end();
		CU_ASSERT_EQUAL(bridge_call_count(f.br), 0);
		fx_close(&f);

		/* RELEASED from b, routing places another leg: the call goes on */
		fx_open(&f, st);
		f.h.place = f.x;
		unit_log_begin();
		call_leg_released(&f.b->leg, CAUSE_TEMP_FAILURE, 503);
		unit_log_end();
		CU_ASSERT_EQUAL(f.h.n_failed, 1);
		CU_ASSERT_STRING_EQUAL(state_of(f.c), name);
		CU_ASSERT_EQUAL(call_legs_trying(f.c), 1);
		LADDER_IS(told(&f), "");
		unit_log_begin();
		call_leg_answered(&f.x->leg);
		unit_log_end();
		CU_ASSERT_STRING_EQUAL(state_of(f.c), "ACTIVE");
		LADDER_IS(told(&f), "A answer\n");
		fx_close(&f);

		/* RELEASED from the caller: b is told, routing is not asked */
		fx_open(&f, st);
		unit_log_begin();
		call_leg_released(&f.a->leg, CAUSE_NORMAL_CLEARING, 0);
		unit_log_end();
		CU_ASSERT_EQUAL(f.h.n_failed, 0);
		CU_ASSERT_STRING_EQUAL(state_of(f.c), "RELEASING");
		LADDER_IS(told(&f), "B release 16\n");
		fx_close(&f);

		/* CLEAR: both sides told */
		fx_open(&f, st);
		call_clear(f.c, CAUSE_SWITCH_CONGESTION);
		CU_ASSERT_STRING_EQUAL(state_of(f.c), "RELEASING");
		LADDER_IS(told(&f), "A release 42\nB release 42\n");
		fx_close(&f);
	}
}

static void test_active_permits(void)
{
	struct fx f;
	const char *log;

	/* RELEASED from b after the answer: the caller is told, routing has no say */
	fx_open(&f, FX_ACTIVE);
	unit_log_begin();
	call_leg_released(&f.b->leg, CAUSE_NORMAL_CLEARING, 0);
	unit_log_end();
	CU_ASSERT_EQUAL(f.h.n_failed, 0);
	CU_ASSERT_STRING_EQUAL(state_of(f.c), "RELEASING");
	LADDER_IS(told(&f), "A release 16\n");
	unit_log_begin();
	fake_gone(f.b);
	CU_ASSERT_EQUAL(fake_finish(), 1);
	unit_log_end();
	CU_ASSERT_EQUAL(bridge_call_count(f.br), 0);
	CU_ASSERT_EQUAL(f.h.n_ended, 1);
	fx_close(&f);

	/* RELEASED from the caller */
	fx_open(&f, FX_ACTIVE);
	unit_log_begin();
	call_leg_released(&f.a->leg, CAUSE_NORMAL_CLEARING, 0);
	unit_log_end();
	LADDER_IS(told(&f), "B release 16\n");
	fx_close(&f);

	/* HOLD: logged with the call and the leg, and passed on to the other
	 * leg the way it was done (B2BUA: re-INVITE or NOTIFY there) */
	fx_open(&f, FX_ACTIVE);
	unit_log_begin();
	call_leg_hold(&f.b->leg, 1, LEG_HOLD_NULL_ADDR);
	call_leg_hold(&f.b->leg, 0, LEG_HOLD_SENDONLY);
	call_leg_hold(&f.a->leg, 1, LEG_HOLD_INACTIVE);
	log = unit_log_end();
	CU_ASSERT_EQUAL(unit_count(log, "[ACTIVE] B holds the call"), 1);
	CU_ASSERT_EQUAL(unit_count(log, "[ACTIVE] B resumes the call"), 1);
	CU_ASSERT_STRING_EQUAL(state_of(f.c), "ACTIVE");
	LADDER_IS(told(&f), "A hold c=0.0.0.0\nA resume\nB hold inactive\n");
	fx_close(&f);

	/* CLEAR */
	fx_open(&f, FX_ACTIVE);
	call_clear(f.c, CAUSE_NORMAL_CLEARING);
	LADDER_IS(told(&f), "A release 16\nB release 16\n");
	fx_close(&f);
}

/* What an RTP leg's port reports: the figures of a phone losing every 10th packet. */
static void fake_rtp_stats(struct media_port *mp, struct media_stats *st)
{
	*st = (struct media_stats){ .valid = 1, .rx_packets = 180, .tx_packets = 199, .rx_lost = 19,
				    .rx_expected = 198, .jitter_ms = 0.3, .rtt_ms = 1, .remote_lost = 5,
				    .remote_fraction = 5, .jb_plc = 19 };
}

/* The call's end line carries each RTP leg's figures (taken as the leg
 * went, before it was destroyed); routing's call_ended reads them too. A
 * leg with no figures (the B-channel) adds nothing. */
static void test_end_line_media_figures(void)
{
	struct fx f;
	const char *log;

	fx_open(&f, FX_ACTIVE);
	f.b->has_port = 1;
	f.b->port.stats = fake_rtp_stats;
	f.a->has_port = 1;	/* a port without figures */
	unit_log_begin();
	call_leg_released(&f.b->leg, CAUSE_NORMAL_CLEARING, 0);
	fake_gone(f.b);
	CU_ASSERT_EQUAL(fake_finish(), 1);
	log = unit_log_end();
	CU_ASSERT_EQUAL(unit_count(log, "ended, cause 16 (Normal call clearing) rtp rx=180 tx=199 "
				   "lost=19/198 (9.6%) jitter=0.3ms rtt=1ms far-lost=5 (2.0%) "
				   "jb late=0 plc=19 cn=0 overflow=0 cdr "), 1);
	CU_ASSERT_EQUAL(unit_count(log, " rtp rx="), 1);
	CU_ASSERT_EQUAL(f.h.n_ended, 1);
	CU_ASSERT_EQUAL(f.h.mst_b.valid, 1);
	CU_ASSERT_EQUAL(f.h.mst_b.rx_lost, 19);
	CU_ASSERT_EQUAL(f.h.mst_b.rx_expected, 198);
	fx_close(&f);

	/* no report from the far end yet: said so, not as a zero */
	fx_open(&f, FX_ACTIVE);
	unit_log_begin();
	call_clear(f.c, CAUSE_NORMAL_CLEARING);
	CU_ASSERT_EQUAL(fake_finish(), 2);
	log = unit_log_end();
	CU_ASSERT_EQUAL(unit_count(log, " rtp rx="), 0);	/* fake legs without ports */
	CU_ASSERT_EQUAL(f.h.mst_b.valid, 0);
	fx_close(&f);
	{
		struct media_stats st = { .valid = 1, .rtt_ms = -1, .remote_fraction = -1 };
		char buf[256];

		media_stats_format(buf, sizeof(buf), &st);
		CU_ASSERT_STRING_EQUAL(buf, " rtp rx=0 tx=0 lost=0/0 (0.0%) jitter=0.0ms rtt=? far-lost=? "
				       "jb late=0 plc=0 cn=0 overflow=0");
	}
	{
		/* a B-channel: no RTP, its echo canceller's figures (dsp/echo.h) */
		struct media_stats st = { .ec = 1, .ec_erle_db = 41.44, .ec_erl_db = 7.6 };
		char buf[256];

		CU_ASSERT_STRING_EQUAL(media_stats_format(buf, sizeof(buf), &st),
				       " ec=on erle=41.4dB erl=7.6dB");
		st = (struct media_stats){ .ec = 1, .ec_erle_db = NAN, .ec_erl_db = INFINITY };
		CU_ASSERT_STRING_EQUAL(media_stats_format(buf, sizeof(buf), &st), " ec=on erle=- erl=>40dB");
		st = (struct media_stats){ .ec = 2, .ec_erle_db = NAN, .ec_erl_db = NAN };
		CU_ASSERT_STRING_EQUAL(media_stats_format(buf, sizeof(buf), &st), " ec=off erle=- erl=-");
		st = (struct media_stats){ 0 };
		CU_ASSERT_STRING_EQUAL(media_stats_format(buf, sizeof(buf), &st), "");
	}
}

static void test_releasing_permits(void)
{
	struct fx f;
	const char *log;

	/* RELEASED: the far end's own DISCONNECT crossed ours; nobody is told twice */
	fx_open(&f, FX_RELEASING);
	unit_log_begin();
	call_leg_released(&f.b->leg, CAUSE_NORMAL_CLEARING, 0);
	call_leg_released(&f.a->leg, CAUSE_NORMAL_CLEARING, 0);
	call_leg_hold(&f.a->leg, 1, LEG_HOLD_SENDONLY);	/* permitted (logged) while clearing, not passed on */
	log = unit_log_end();
	CU_ASSERT_EQUAL(f.h.n_failed, 0);
	CU_ASSERT_STRING_EQUAL(state_of(f.c), "RELEASING");
	CU_ASSERT_EQUAL(unit_count(log, "[RELEASING] A holds the call"), 1);
	LADDER_IS(told(&f), "");
	/* the call ends when the last leg has finished, not before */
	unit_log_begin();
	fake_gone(f.a);
	CU_ASSERT_EQUAL(bridge_call_count(f.br), 1);
	fake_gone(f.b);
	unit_log_end();
	CU_ASSERT_EQUAL(bridge_call_count(f.br), 0);
	CU_ASSERT_EQUAL(f.h.n_ended, 1);
	CU_ASSERT_EQUAL(fake_destroyed(), 2);
	fx_close(&f);
}

/* ---- forking */

/* Three phones ring; the third answers: the caller hears one ringing and
 * one answer, the other two are cancelled with cause 26 (non-selected user
 * clearing, i.e. answered elsewhere), and a late 200 from one of them is
 * not a second answer. */
static void test_fork_first_answer_wins(void)
{
	struct fx f;
	struct fake_leg *b3;

	fx_open(&f, FX_PROCEEDING);
	b3 = fake_leg_new("sip", "B3");
	CU_ASSERT_EQUAL(call_add_leg(f.c, &f.x->leg), 0);
	CU_ASSERT_EQUAL(call_add_leg(f.c, &b3->leg), 0);
	CU_ASSERT_EQUAL(call_legs_trying(f.c), 3);
	unit_log_begin();
	call_leg_alerting(&f.x->leg, 0);
	call_leg_alerting(&f.b->leg, 0);
	call_leg_answered(&b3->leg);
	call_leg_answered(&f.b->leg);		/* its 200 crossed the CANCEL */
	call_leg_alerting(&f.x->leg, 1);
	unit_log_end();
	CU_ASSERT_STRING_EQUAL(state_of(f.c), "ACTIVE");
	CU_ASSERT_EQUAL(call_legs_trying(f.c), 1);
	CU_ASSERT_EQUAL(unit_count(told(&f), "A alert\n"), 1);
	CU_ASSERT_EQUAL(unit_count(told(&f), "A answer\n"), 1);
	CU_ASSERT_EQUAL(unit_count(told(&f), "B release 26\n"), 1);
	CU_ASSERT_EQUAL(unit_count(told(&f), "X release 26\n"), 1);
	CU_ASSERT_EQUAL(unit_count(told(&f), "B3 "), 0);	/* the winner is told nothing */
	CU_ASSERT_EQUAL(unit_count(told(&f), "\n"), 4);
	/* the CANCELs go out before the caller hears the answer */
	CU_ASSERT_PTR_NOT_NULL(strstr(told(&f), "release 26\nA answer\n"));
	/* the cancelled ones finish; the call goes on between A and B3 */
	unit_log_begin();
	CU_ASSERT_EQUAL(fake_finish(), 2);
	unit_log_end();
	CU_ASSERT_EQUAL(bridge_call_count(f.br), 1);
	CU_ASSERT_STRING_EQUAL(state_of(f.c), "ACTIVE");
	f.mark = strlen(fake_ladder());
	f.x = NULL;
	unit_log_begin();
	call_leg_released(&f.a->leg, CAUSE_NORMAL_CLEARING, 0);
	unit_log_end();
	LADDER_IS(told(&f), "B3 release 16\n");
	unit_log_begin();
	fake_gone(f.a);
	fake_finish();
	unit_log_end();
	CU_ASSERT_EQUAL(bridge_call_count(f.br), 0);
	CU_ASSERT_EQUAL(fake_destroyed(), 4);
	fx_close(&f);
}

/* Forwarding on no answer (route_redirect.c): routing stops every ringing
 * leg (CANCEL, cause 19) but the caller is not told; a new leg then rings
 * and answers, and the call is between A and it. */
static void test_drop_tries(void)
{
	struct fx f;
	struct fake_leg *c3;

	fx_open(&f, FX_ALERTING);
	CU_ASSERT_EQUAL(call_add_leg(f.c, &f.x->leg), 0);	/* a fork */
	CU_ASSERT_EQUAL(call_ringing(f.c), 1);
	unit_log_begin();
	call_drop_tries(f.c, CAUSE_NO_ANSWER);
	unit_log_end();
	LADDER_IS(told(&f), "B release 19\nX release 19\n");
	CU_ASSERT_EQUAL(call_legs_trying(f.c), 0);
	CU_ASSERT_STRING_EQUAL(state_of(f.c), "ALERTING");
	CU_ASSERT_EQUAL(f.h.n_failed, 0);		/* routing asked: not a failure to judge */
	/* their late answers change nothing; they finish, the call stays */
	unit_log_begin();
	call_leg_answered(&f.b->leg);
	CU_ASSERT_EQUAL(fake_finish(), 2);
	unit_log_end();
	CU_ASSERT_EQUAL(bridge_call_count(f.br), 1);
	f.b = f.x = NULL;
	c3 = fake_leg_new("sip", "C");
	f.mark = strlen(fake_ladder());
	CU_ASSERT_EQUAL(call_add_leg(f.c, &c3->leg), 0);
	unit_log_begin();
	call_leg_alerting(&c3->leg, 0);		/* A heard ringing already */
	call_leg_answered(&c3->leg);
	unit_log_end();
	LADDER_IS(told(&f), "A answer\n");
	CU_ASSERT_STRING_EQUAL(state_of(f.c), "ACTIVE");
	CU_ASSERT_EQUAL(call_ringing(f.c), 0);
	unit_log_begin();
	call_drop_tries(f.c, CAUSE_NO_ANSWER);		/* answered: nothing to stop */
	unit_log_end();
	LADDER_IS(told(&f), "A answer\n");
	fx_close(&f);
}

/* ---- a leg gone without a word */

/* A leg that finishes without having said why (its process lost the far
 * end): the other side is cleared with cause 41, temporary failure. */
static void test_leg_gone_without_word(void)
{
	struct fx f;

	fx_open(&f, FX_ACTIVE);
	unit_log_begin();
	fake_gone(f.b);
	unit_log_end();
	CU_ASSERT_STRING_EQUAL(state_of(f.c), "RELEASING");
	LADDER_IS(told(&f), "A release 41\n");
	CU_ASSERT_EQUAL(fake_destroyed(), 1);
	unit_log_begin();
	CU_ASSERT_EQUAL(fake_finish(), 1);
	unit_log_end();
	CU_ASSERT_EQUAL(bridge_call_count(f.br), 0);
	fx_close(&f);

	/* the caller's side vanishes while the phone rings */
	fx_open(&f, FX_ALERTING);
	unit_log_begin();
	fake_gone(f.a);
	unit_log_end();
	CU_ASSERT_STRING_EQUAL(state_of(f.c), "RELEASING");
	LADDER_IS(told(&f), "B release 41\n");
	CU_ASSERT_EQUAL(f.h.n_failed, 0);
	unit_log_begin();
	CU_ASSERT_EQUAL(fake_finish(), 1);
	unit_log_end();
	CU_ASSERT_EQUAL(bridge_call_count(f.br), 0);
	fx_close(&f);
}

/* ---- shutdown and dropping */

struct idle { int n; unsigned calls_left; struct bridge *br; };

static void on_idle(void *arg)
{
	struct idle *i = arg;

	i->n++;
	i->calls_left = bridge_call_count(i->br);
}

/* SIGTERM: every call is cleared with cause 16 (one already clearing is not
 * told again), no new call is taken, and idle_h runs once, when the last
 * call has ended. */
static void test_shutdown(void)
{
	struct hooks h = { .ret = -ENOENT };
	struct bridge_params bp = { .route = &hook_ops, .route_arg = &h };
	struct leg_setup_info si = { .called = "2001" };
	struct bridge *br;
	struct call *c[4], *late;
	struct fake_leg *a[4], *b[4], *a5;
	struct idle idle = { 0 };
	unsigned long refused;

	fake_reset();
	CU_ASSERT_EQUAL_FATAL(bridge_alloc(&br, &bp), 0);
	idle.br = br;
	/* no call: idle at once */
	unit_log_begin();
	bridge_shutdown(br, on_idle, &idle);
	unit_log_end();
	CU_ASSERT_EQUAL(idle.n, 1);
	bridge_free(br);

	idle.n = 0;
	CU_ASSERT_EQUAL_FATAL(bridge_alloc(&br, &bp), 0);
	idle.br = br;
	for (int i = 0; i < 4; i++) {
		char n[8];

		snprintf(n, sizeof(n), "A%d", i);
		a[i] = fake_leg_new("pri", n);
		snprintf(n, sizeof(n), "B%d", i);
		b[i] = fake_leg_new("sip", n);
		CU_ASSERT_EQUAL_FATAL(call_alloc(&c[i], br, &a[i]->leg, &si), 0);
	}
	/* c0 routing, c1 ringing, c2 talking, c3 already clearing (b3 hung up) */
	unit_log_begin();
	CU_ASSERT_EQUAL(call_add_leg(c[1], &b[1]->leg), 0);
	call_leg_alerting(&b[1]->leg, 0);
	CU_ASSERT_EQUAL(call_add_leg(c[2], &b[2]->leg), 0);
	call_leg_answered(&b[2]->leg);
	CU_ASSERT_EQUAL(call_add_leg(c[3], &b[3]->leg), 0);
	call_leg_answered(&b[3]->leg);
	call_leg_released(&b[3]->leg, CAUSE_NORMAL_CLEARING, 0);
	unit_log_end();
	fake_reset();
	refused = fsm_refused_events(LSS_BRIDGE);
	unit_log_begin();
	bridge_shutdown(br, on_idle, &idle);
	CU_ASSERT_PTR_NOT_NULL(strstr(unit_log_end(), "shutting down: clearing 4 call(s) with cause 16"));
	CU_ASSERT_EQUAL(fsm_refused_events(LSS_BRIDGE), refused);	/* c3 was not cleared again */
	CU_ASSERT_EQUAL(unit_count(fake_ladder(), "A0 release 16\n"), 1);
	CU_ASSERT_EQUAL(unit_count(fake_ladder(), "A1 release 16\n"), 1);
	CU_ASSERT_EQUAL(unit_count(fake_ladder(), "B1 release 16\n"), 1);
	CU_ASSERT_EQUAL(unit_count(fake_ladder(), "A2 release 16\n"), 1);
	CU_ASSERT_EQUAL(unit_count(fake_ladder(), "B2 release 16\n"), 1);
	CU_ASSERT_EQUAL(unit_count(fake_ladder(), "3 "), 0);
	CU_ASSERT_EQUAL(unit_count(fake_ladder(), "\n"), 5);
	CU_ASSERT_EQUAL(idle.n, 0);
	/* no new calls while shutting down */
	a5 = fake_leg_new("pri", "A5");
	CU_ASSERT_EQUAL(call_alloc(&late, br, &a5->leg, &si), -EBUSY);
	fake_gone(a5);	/* never in a call: destroyed at once */
	fake_gone(b[0]);	/* c0 never got a b leg */
	/* the far ends answer; idle only once the last call has ended */
	unit_log_begin();
	CU_ASSERT_EQUAL(fake_finish(), 6);	/* b3 cleared itself: it has not finished yet */
	CU_ASSERT_EQUAL(idle.n, 0);
	CU_ASSERT_EQUAL(bridge_call_count(br), 1);
	fake_gone(b[3]);
	unit_log_end();
	CU_ASSERT_EQUAL(idle.n, 1);
	CU_ASSERT_EQUAL(idle.calls_left, 0);
	CU_ASSERT_EQUAL(h.n_ended, 4);
	bridge_free(br);
	CU_ASSERT_EQUAL(fake_alive(), 0);
	fake_cleanup();
}

/* The grace time is over: every call goes at once with all its legs (b,
 * forks, legs hunted past still clearing), no protocol exchange, routing
 * told the calls ended. */
static void test_drop_calls(void)
{
	struct hooks h = { .ret = -ENOENT };
	struct bridge_params bp = { .route = &hook_ops, .route_arg = &h };
	struct leg_setup_info si = { .called = "2001" };
	struct bridge *br;
	struct call *c1, *c2;
	struct fake_leg *a1 = fake_leg_new("pri", "A1"), *b1 = fake_leg_new("sip", "B1");
	struct fake_leg *b1b = fake_leg_new("sip", "B1b"), *f1 = fake_leg_new("sip", "F1");
	struct fake_leg *a2 = fake_leg_new("sip", "A2"), *b2 = fake_leg_new("pri", "B2");
	const char *log;

	fake_reset();
	CU_ASSERT_EQUAL_FATAL(bridge_alloc(&br, &bp), 0);
	CU_ASSERT_EQUAL_FATAL(call_alloc(&c1, br, &a1->leg, &si), 0);
	CU_ASSERT_EQUAL_FATAL(call_alloc(&c2, br, &a2->leg, &si), 0);
	/* c1: b1 failed (hunted past, still clearing), b1b rings with fork f1 */
	CU_ASSERT_EQUAL(call_add_leg(c1, &b1->leg), 0);
	h.place = b1b;
	unit_log_begin();
	call_leg_released(&b1->leg, CAUSE_TEMP_FAILURE, 503);
	unit_log_end();
	CU_ASSERT_EQUAL(call_add_leg(c1, &f1->leg), 0);
	call_leg_alerting(&f1->leg, 0);
	/* c2 talking */
	CU_ASSERT_EQUAL(call_add_leg(c2, &b2->leg), 0);
	call_leg_answered(&b2->leg);
	fake_reset();
	unit_log_begin();
	bridge_drop_calls(br);
	log = unit_log_end();
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "dropping 2 call(s) that did not clear in time"));
	CU_ASSERT_EQUAL(bridge_call_count(br), 0);
	CU_ASSERT_EQUAL(fake_destroyed(), 6);
	CU_ASSERT_EQUAL(fake_alive(), 0);
	CU_ASSERT_EQUAL(h.n_ended, 2);
	LADDER_IS(fake_ladder(), "");	/* nobody told: there is no time left to tell */
	bridge_free(br);
	fake_cleanup();
}

/* ---- ring-no-answer on a real loop */

static su_root_t *rna_root;

/* Turn the loop until the ladder holds want, at most 2 s (bounded by the
 * clock: with no socket to watch, a step may return before its timeout). */
static int step_until_told(const char *want)
{
	long long end = mono_ms() + 2000;

	while (!strstr(fake_ladder(), want) && mono_ms() < end)
		su_root_step(rna_root, 20);
	return strstr(fake_ladder(), want) != NULL;
}

/* Figure B-15: nobody answers within ring-no-answer: the caller gets
 * DISCONNECT cause 19 and the INVITE is cancelled with 19, whether the
 * phone rang (ALERTING) or never said anything (PROCEEDING). An answered
 * call is left alone: the timer belongs to the ringing states. */
static void test_ring_no_answer(void)
{
	struct hooks h = { .ret = -ENOENT };
	struct bridge_params bp = { .ring_no_answer_ms = 50, .route = &hook_ops, .route_arg = &h };
	struct leg_setup_info si = { .called = "2001" };
	struct bridge *br;
	struct call *c1, *c2, *c3;
	struct fake_leg *a1 = fake_leg_new("pri", "A1"), *b1 = fake_leg_new("sip", "B1");
	struct fake_leg *a2 = fake_leg_new("pri", "A2"), *b2 = fake_leg_new("sip", "B2");
	struct fake_leg *a3 = fake_leg_new("pri", "A3"), *b3 = fake_leg_new("sip", "B3");
	const char *log;

	su_init();
	rna_root = su_root_create(NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rna_root);
	bp.root = rna_root;
	fake_reset();
	CU_ASSERT_EQUAL_FATAL(bridge_alloc(&br, &bp), 0);
	CU_ASSERT_EQUAL_FATAL(call_alloc(&c1, br, &a1->leg, &si), 0);
	CU_ASSERT_EQUAL_FATAL(call_alloc(&c2, br, &a2->leg, &si), 0);
	CU_ASSERT_EQUAL_FATAL(call_alloc(&c3, br, &a3->leg, &si), 0);
	CU_ASSERT_EQUAL(call_add_leg(c3, &b3->leg), 0);		/* answered at once */
	call_leg_answered(&b3->leg);
	CU_ASSERT_EQUAL(call_add_leg(c1, &b1->leg), 0);		/* rings */
	call_leg_alerting(&b1->leg, 0);
	CU_ASSERT_EQUAL(call_add_leg(c2, &b2->leg), 0);		/* says nothing */
	unit_log_begin();
	CU_ASSERT(step_until_told("B1 release 19\n"));
	CU_ASSERT(step_until_told("B2 release 19\n"));
	log = unit_log_end();
	CU_ASSERT_EQUAL(unit_count(log, "ring-no-answer timer expired"), 2);
	CU_ASSERT_EQUAL(unit_count(fake_ladder(), "A1 release 19\n"), 1);
	CU_ASSERT_EQUAL(unit_count(fake_ladder(), "A2 release 19\n"), 1);
	CU_ASSERT_EQUAL(unit_count(fake_ladder(), "3 release"), 0);	/* the answered call talks on */
	CU_ASSERT_EQUAL(h.n_failed, 0);
	/* the caller hears 19 before the phone is cancelled */
	CU_ASSERT_PTR_NOT_NULL(strstr(fake_ladder(), "A1 release 19\nB1 release 19\n"));
	unit_log_begin();
	CU_ASSERT_EQUAL(fake_finish(), 4);
	unit_log_end();
	CU_ASSERT_EQUAL(bridge_call_count(br), 1);
	CU_ASSERT_STRING_EQUAL(state_of(c3), "ACTIVE");
	unit_log_begin();
	bridge_free(br);
	unit_log_end();
	CU_ASSERT_EQUAL(fake_alive(), 0);
	fake_cleanup();
	su_root_destroy(rna_root);
	rna_root = NULL;
	su_deinit();
}


/* ---- readers (call_info.c): what sipgwctl's show calls and clear call read */

struct seen {
	unsigned ids[4];
	unsigned n;
};

static void see_and_clear(void *arg, struct call *c)
{
	struct seen *s = arg;

	if (s->n < 4)
		s->ids[s->n++] = call_id(c);
	call_clear(c, CAUSE_NORMAL_CLEARING);	/* h may clear the call it is given */
}

static void test_readers(void)
{
	struct fx f;
	struct call_times t;
	struct call *c2;
	struct fake_leg *a2;
	struct seen seen = { { 0 }, 0 };
	struct leg_setup_info si = { .called = "2002", .calling = "5551235" };

	fx_open(&f, FX_PROCEEDING);
	CU_ASSERT_STRING_EQUAL(call_state_name(f.c), "PROCEEDING");
	CU_ASSERT_PTR_EQUAL(call_called_leg(f.c), &f.b->leg);
	call_times(f.c, &t);
	CU_ASSERT_EQUAL(t.alert_us, 0);
	CU_ASSERT_EQUAL(t.answer_us, 0);
	unit_log_begin();
	call_leg_alerting(&f.b->leg, 0);
	call_times(f.c, &t);
	CU_ASSERT(t.alert_us > 0);
	CU_ASSERT_EQUAL(t.answer_us, 0);
	call_leg_alerting(&f.b->leg, 0);	/* ringing again: the first ALERTING's time stays */
	{
		long long first = t.alert_us;
		call_times(f.c, &t);
		CU_ASSERT_EQUAL(t.alert_us, first);
	}
	call_leg_answered(&f.b->leg);
	call_times(f.c, &t);
	CU_ASSERT(t.answer_us >= t.alert_us);
	CU_ASSERT_STRING_EQUAL(call_state_name(f.c), "ACTIVE");
	CU_ASSERT_PTR_NULL(call_cleared_by(f.c));

	a2 = fake_leg_new("sip", "A2");
	CU_ASSERT_EQUAL_FATAL(call_alloc(&c2, f.br, &a2->leg, &si), 0);
	CU_ASSERT_PTR_EQUAL(bridge_call_find(f.br, call_id(f.c)), f.c);
	CU_ASSERT_PTR_EQUAL(bridge_call_find(f.br, call_id(c2)), c2);
	CU_ASSERT_PTR_NULL(bridge_call_find(f.br, call_id(c2) + 100));
	/* oldest first, whatever order the bridge keeps them in */
	CU_ASSERT_EQUAL(bridge_foreach_call(f.br, see_and_clear, &seen), 2);
	CU_ASSERT_EQUAL(seen.n, 2);
	CU_ASSERT(seen.ids[0] < seen.ids[1]);
	CU_ASSERT_EQUAL(seen.ids[0], call_id(f.c));
	unit_log_end();
	CU_ASSERT_STRING_EQUAL(call_state_name(f.c), "RELEASING");
	fx_close(&f);
}

int suite_call_add(void)
{
	static const CU_TestInfo tests[] = {
		/* first: its first refusal is the first of the run in this subsystem */
		{ "every refused event in every state changes nothing", test_refused_events },
		{ "a refusal repeated is logged once", test_refusal_burst_logged_once },
		{ "ringing and answers only count from a called leg", test_events_from_other_legs_ignored },
		{ "ROUTING: leg added, released, clear", test_routing_permits },
		{ "PROCEEDING, ALERTING: fork, ring, progress, answer, failure, clear", test_ringing_permits },
		{ "ACTIVE: released, hold, clear", test_active_permits },
		{ "RELEASING: crossing releases, hold; ends with the last leg", test_releasing_permits },
		{ "forking: first answer wins, others cause 26", test_fork_first_answer_wins },
		{ "call_drop_tries: ringing legs stopped, the caller waits for the next", test_drop_tries },
		{ "a leg gone without a word: cause 41", test_leg_gone_without_word },
		{ "the end line carries the RTP legs' figures", test_end_line_media_figures },
		{ "shutdown clears with 16, idle after the last call", test_shutdown },
		{ "bridge_drop_calls destroys every leg", test_drop_calls },
		{ "ring-no-answer: cause 19 to both sides", test_ring_no_answer },
		{ "readers: state, times, find, every call oldest first", test_readers },
		CU_TEST_INFO_NULL,
	};

	return unit_suite_add("call", tests);
}
