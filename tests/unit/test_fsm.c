/* sipgw - unit tests: declared state machines (src/core/fsm.c) on a small
 * table of their own: every move the table permits is made, every other is
 * refused and leaves the state alone, and the refusal is logged without
 * flooding. SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sofia-sip/su_wait.h>

#include "core/fsm.h"
#include "core/log.h"
#include "unit.h"

enum { T_IDLE, T_RINGING, T_UP, T_GONE, T__COUNT };

/* idle -> ringing -> up -> gone, idle/ringing -> gone; gone is the end */
static const struct fsm_state t_states[T__COUNT] = {
	[T_IDLE] = { "IDLE", FSM_BIT(T_RINGING) | FSM_BIT(T_GONE) },
	[T_RINGING] = { "RINGING", FSM_BIT(T_UP) | FSM_BIT(T_GONE) },
	[T_UP] = { "UP", FSM_BIT(T_GONE) },
	[T_GONE] = { "GONE", 0 },
};

/* Each test its own subsystem: the refusal line is rate-limited per subsystem. */
static const struct fsm_def t_fsm = { "test", LSS_BRIDGE, t_states, T__COUNT };
static const struct fsm_def t_fsm_log = { "test", LSS_SIM, t_states, T__COUNT };
static const struct fsm_def t_fsm_log2 = { "test", LSS_DSP, t_states, T__COUNT };
static const struct fsm_def t_fsm_quiet = { "test", LSS_RTP, t_states, T__COUNT };

static void test_names(void)
{
	CU_ASSERT_STRING_EQUAL(fsm_state_name(&t_fsm, T_IDLE), "IDLE");
	CU_ASSERT_STRING_EQUAL(fsm_state_name(&t_fsm, T_RINGING), "RINGING");
	CU_ASSERT_STRING_EQUAL(fsm_state_name(&t_fsm, T_UP), "UP");
	CU_ASSERT_STRING_EQUAL(fsm_state_name(&t_fsm, T_GONE), "GONE");
	CU_ASSERT_STRING_EQUAL(fsm_state_name(&t_fsm, -1), "?");
	CU_ASSERT_STRING_EQUAL(fsm_state_name(&t_fsm, T__COUNT), "?");
	CU_ASSERT_STRING_EQUAL(fsm_state_name(&t_fsm, 1000), "?");
}

/* From every state to every state: permitted moves happen, refused ones
 * return -EPERM with the state unchanged, staying put is always fine. */
static void test_every_transition(void)
{
	static const int permitted[T__COUNT][T__COUNT] = {
		[T_IDLE] = { [T_RINGING] = 1, [T_GONE] = 1 },
		[T_RINGING] = { [T_UP] = 1, [T_GONE] = 1 },
		[T_UP] = { [T_GONE] = 1 },
	};
	int moved = 0, refused = 0;

	unit_log_begin();
	for (int from = 0; from < T__COUNT; from++) {
		for (int to = 0; to < T__COUNT; to++) {
			int st = from, rc = fsm_move(&t_fsm, &st, to, "call 1");

			if (from == to) {
				CU_ASSERT_EQUAL(rc, 0);
				CU_ASSERT_EQUAL(st, from);
			} else if (permitted[from][to]) {
				CU_ASSERT_EQUAL(rc, 0);
				CU_ASSERT_EQUAL(st, to);
				moved++;
			} else {
				CU_ASSERT_EQUAL(rc, -EPERM);
				CU_ASSERT_EQUAL(st, from);
				refused++;
			}
		}
	}
	unit_log_end();
	CU_ASSERT_EQUAL(moved, 5);
	CU_ASSERT_EQUAL(refused, 7);
}

/* A whole life, step by step, as a call goes. */
static void test_a_call_life(void)
{
	int st = T_IDLE;

	unit_log_begin();
	CU_ASSERT_EQUAL(fsm_move(&t_fsm, &st, T_RINGING, "call 2"), 0);
	CU_ASSERT_EQUAL(fsm_move(&t_fsm, &st, T_IDLE, "call 2"), -EPERM);	/* no way back */
	CU_ASSERT_EQUAL(fsm_move(&t_fsm, &st, T_UP, "call 2"), 0);
	CU_ASSERT_EQUAL(fsm_move(&t_fsm, &st, T_RINGING, "call 2"), -EPERM);
	CU_ASSERT_EQUAL(fsm_move(&t_fsm, &st, T_GONE, "call 2"), 0);
	for (int to = 0; to < T__COUNT; to++)
		if (to != T_GONE)
			CU_ASSERT_EQUAL(fsm_move(&t_fsm, &st, to, "call 2"), -EPERM);
	unit_log_end();
	CU_ASSERT_EQUAL(st, T_GONE);
}

/* A state number outside the table is a bug: -EINVAL, logged as an error. */
static void test_no_such_state(void)
{
	const char *log;
	int st = T_RINGING;

	unit_log_begin();
	CU_ASSERT_EQUAL(fsm_move(&t_fsm, &st, T__COUNT, "call 3"), -EINVAL);
	CU_ASSERT_EQUAL(fsm_move(&t_fsm, &st, -1, "call 3"), -EINVAL);
	log = unit_log_end();
	CU_ASSERT_EQUAL(st, T_RINGING);
	CU_ASSERT_EQUAL(unit_count(log, "error bridge: call 3: no such test state 4\n"), 1);
	CU_ASSERT_EQUAL(unit_count(log, "error bridge: call 3: no such test state -1\n"), 1);
	/* a current state outside the table is refused too, not read past the table */
	st = 7;
	unit_log_begin();
	CU_ASSERT_EQUAL(fsm_move(&t_fsm, &st, T_RINGING, "call 3"), -EINVAL);
	log = unit_log_end();
	CU_ASSERT_EQUAL(st, 7);
	CU_ASSERT_EQUAL(unit_count(log, "error bridge: call 3: no such test state 7\n"), 1);
}

/* The refusal names who and both states, as a warning; a peer repeating
 * the message out of turn (a burst) gives one line, and another subsystem's
 * refusals have their own limit. */
static void test_refusal_log(void)
{
	const char *log;
	int st = T_IDLE;

	unit_log_begin();
	CU_ASSERT_EQUAL(fsm_move(&t_fsm_log, &st, T_UP, "call 4"), -EPERM);
	for (int i = 0; i < 1000; i++)
		CU_ASSERT_EQUAL(fsm_move(&t_fsm_log, &st, T_UP, "call 4"), -EPERM);
	CU_ASSERT_EQUAL(fsm_move(&t_fsm_log2, &st, T_UP, "call 5"), -EPERM);
	log = unit_log_end();
	CU_ASSERT_EQUAL(st, T_IDLE);
	CU_ASSERT_EQUAL(unit_count(log, "warn sim: call 4: transition not permitted: IDLE -> UP\n"), 1);
	/* a burst far shorter than LOG_LIMIT_INTERVAL_MS: no second line */
	CU_ASSERT_EQUAL(unit_count(log, "call 4"), 1);
	CU_ASSERT_EQUAL(unit_count(log, "warn dsp: call 5: transition not permitted: IDLE -> UP\n"), 1);
	CU_ASSERT_EQUAL(unit_count(log, "\n"), 2);
}

/* Permitted moves are logged at debug level only; below warning the
 * refusal is not printed, and not counted as printed either. */
static void test_levels(void)
{
	enum log_level was = log_get_level();
	const char *log;
	int st = T_IDLE;

	unit_log_begin();
	log_set_level(LOG_LVL_DEBUG);
	CU_ASSERT_EQUAL(fsm_move(&t_fsm_quiet, &st, T_RINGING, "call 6"), 0);
	log_set_level(LOG_LVL_INFO);
	CU_ASSERT_EQUAL(fsm_move(&t_fsm_quiet, &st, T_UP, "call 6"), 0);
	log_set_level(LOG_LVL_ERROR);
	CU_ASSERT_EQUAL(fsm_move(&t_fsm_quiet, &st, T_IDLE, "call 6"), -EPERM);
	log_set_level(LOG_LVL_WARN);
	CU_ASSERT_EQUAL(fsm_move(&t_fsm_quiet, &st, T_RINGING, "call 6"), -EPERM);
	log = unit_log_end();
	log_set_level(was);
	CU_ASSERT_EQUAL(unit_count(log, "debug rtp: call 6: IDLE -> RINGING\n"), 1);
	CU_ASSERT_EQUAL(unit_count(log, "RINGING -> UP"), 0);
	CU_ASSERT_EQUAL(unit_count(log, "UP -> IDLE"), 0);
	CU_ASSERT_EQUAL(unit_count(log, "warn rtp: call 6: transition not permitted: UP -> RINGING\n"), 1);
	CU_ASSERT_EQUAL(unit_count(log, "\n"), 2);
}

/* ---- instances (fsm_inst): events, onenter/onleave, state timers
 *
 * A call-like machine: IDLE -DIAL-> SETUP (T303) -PROCEED-> PROCEEDING
 * (ring-no-answer) -ALERT-> ALERTING (ring-no-answer, the same timer) ->
 * UP -> GONE; HANGUP from anywhere but IDLE. */
enum { I_IDLE, I_SETUP, I_PROCEEDING, I_ALERTING, I_UP, I_GONE, I__COUNT };
enum { E_DIAL, E_PROCEED, E_ALERT, E_ANSWER, E_HANGUP, E__COUNT };
enum { X_NONE, X_T303, X_RNA, X__COUNT };

static const char *const i_events[E__COUNT] = {
	[E_DIAL] = "DIAL", [E_PROCEED] = "PROCEED", [E_ALERT] = "ALERT", [E_ANSWER] = "ANSWER",
	[E_HANGUP] = "HANGUP",
};
static const struct fsm_timer_def i_timers[X__COUNT] = {
	[X_T303] = { "T303" }, [X_RNA] = { "ring-no-answer" },
};

/* What the machine's hooks saw, in order. */
struct i_rec {
	int id;
	char trail[512];		/* "leave IDLE for SETUP;enter SETUP from IDLE;" */
	int actions, last_event;
	void *last_data;
	int timeouts, last_timer, timeout_state;
	long long timeout_ms;		/* mono_ms() of the last expiry */
};

static void i_trail(struct fsm_inst *fi, const char *what, const char *dir, int other)
{
	struct i_rec *r = fi->priv;
	size_t n = strlen(r->trail);

	/* fi->state: the state the hook runs in; other: its argument */
	snprintf(r->trail + n, sizeof(r->trail) - n, "%s %s %s %s;", what,
		 fsm_state_name(fi->def, fi->state), dir, fsm_state_name(fi->def, other));
}

static void i_onleave(struct fsm_inst *fi, int next) { i_trail(fi, "leave", "for", next); }
static void i_onenter(struct fsm_inst *fi, int prev) { i_trail(fi, "enter", "from", prev); }

static void i_action(struct fsm_inst *fi, int event, void *data)
{
	struct i_rec *r = fi->priv;

	r->actions++;
	r->last_event = event;
	r->last_data = data;
}

static void i_timeout(struct fsm_inst *fi, int timer)
{
	struct i_rec *r = fi->priv;

	r->timeouts++;
	r->last_timer = timer;
	r->timeout_state = fi->state;
	r->timeout_ms = mono_ms();
}

static const char *i_describe(struct fsm_inst *fi)
{
	static char buf[64];

	snprintf(buf, sizeof(buf), "call %d [%s]", ((struct i_rec *)fi->priv)->id,
		 fsm_state_name(fi->def, fi->state));
	return buf;
}

#define HANGUP_OK FSM_BIT(E_HANGUP)
static const struct fsm_state i_states[I__COUNT] = {
	[I_IDLE] = { "IDLE", FSM_BIT(I_SETUP), FSM_BIT(E_DIAL), X_NONE, i_onenter, i_onleave },
	[I_SETUP] = { "SETUP", FSM_BIT(I_PROCEEDING) | FSM_BIT(I_GONE), FSM_BIT(E_PROCEED) | HANGUP_OK,
		      X_T303, i_onenter, i_onleave },
	[I_PROCEEDING] = { "PROCEEDING", FSM_BIT(I_ALERTING) | FSM_BIT(I_UP) | FSM_BIT(I_GONE),
			   FSM_BIT(E_ALERT) | FSM_BIT(E_ANSWER) | HANGUP_OK, X_RNA, i_onenter,
			   i_onleave },
	[I_ALERTING] = { "ALERTING", FSM_BIT(I_UP) | FSM_BIT(I_GONE), FSM_BIT(E_ANSWER) | HANGUP_OK,
			 X_RNA, i_onenter, i_onleave },
	[I_UP] = { "UP", FSM_BIT(I_GONE), HANGUP_OK, X_NONE, i_onenter, i_onleave },
	[I_GONE] = { "GONE", 0, 0, X_NONE, i_onenter, i_onleave },
};

/* One def per subsystem where a test counts refusal lines: they are
 * rate-limited per subsystem. */
#define I_DEF(ss) { "itest", ss, i_states, I__COUNT, i_events, E__COUNT, i_timers, X__COUNT, \
		    i_action, i_timeout, i_describe }
static const struct fsm_def i_fsm = I_DEF(LSS_SIP);
static const struct fsm_def i_fsm_events = I_DEF(LSS_Q931);
static const struct fsm_def i_fsm_moves = I_DEF(LSS_CORE);

/* Only the events the current state permits reach the action; the others
 * are refused with -EPERM and one warning per burst naming event and state. */
static void test_dispatch(void)
{
	struct i_rec r = { .id = 7 };
	struct fsm_inst fi;
	const char *log;
	int token;

	CU_ASSERT_EQUAL_FATAL(fsm_inst_init(&fi, &i_fsm_events, I_IDLE, &r, NULL, NULL), 0);
	CU_ASSERT_TRUE(fsm_permits(&fi, E_DIAL));
	CU_ASSERT_FALSE(fsm_permits(&fi, E_ANSWER));
	CU_ASSERT_FALSE(fsm_permits(&fi, E__COUNT));
	CU_ASSERT_FALSE(fsm_permits(&fi, -1));

	unit_log_begin();
	CU_ASSERT_EQUAL(fsm_dispatch(&fi, E_DIAL, &token), 0);
	CU_ASSERT_EQUAL(r.actions, 1);
	CU_ASSERT_EQUAL(r.last_event, E_DIAL);
	CU_ASSERT_PTR_EQUAL(r.last_data, &token);
	/* the action decides whether to move; dispatch alone does not */
	CU_ASSERT_EQUAL(fi.state, I_IDLE);
	CU_ASSERT_EQUAL(fsm_dispatch(&fi, E_ANSWER, &token), -EPERM);
	for (int i = 0; i < 1000; i++)
		CU_ASSERT_EQUAL(fsm_dispatch(&fi, E_HANGUP, NULL), -EPERM);
	CU_ASSERT_EQUAL(fsm_dispatch(&fi, E__COUNT, NULL), -EINVAL);
	log = unit_log_end();
	CU_ASSERT_EQUAL(r.actions, 1);
	CU_ASSERT_EQUAL(fi.state, I_IDLE);
	CU_ASSERT_EQUAL(unit_count(log, "warn q931: call 7 [IDLE]: event ANSWER not permitted in "
				   "state IDLE\n"), 1);
	/* the burst of HANGUPs is inside the same limit: no line of its own */
	CU_ASSERT_EQUAL(unit_count(log, "HANGUP"), 0);
	CU_ASSERT_EQUAL(unit_count(log, "error q931: call 7 [IDLE]: no such itest event 5\n"), 1);
	CU_ASSERT_EQUAL(unit_count(log, "\n"), 2);

	/* in another state other events pass */
	CU_ASSERT_EQUAL(fsm_state_chg(&fi, I_SETUP), 0);
	CU_ASSERT_EQUAL(fsm_dispatch(&fi, E_HANGUP, NULL), 0);
	CU_ASSERT_EQUAL(r.actions, 2);
	CU_ASSERT_EQUAL(r.last_event, E_HANGUP);
	CU_ASSERT_PTR_NULL(r.last_data);
	fsm_inst_cleanup(&fi);
}

/* onleave runs in the old state and names the next, then onenter in the
 * new state naming the previous; a refused move, or staying put, runs
 * neither; the initial state's onenter is not run by init. */
static void test_state_chg_hooks(void)
{
	struct i_rec r = { .id = 8 };
	struct fsm_inst fi;
	const char *log;

	CU_ASSERT_EQUAL_FATAL(fsm_inst_init(&fi, &i_fsm_moves, I_IDLE, &r, NULL, NULL), 0);
	CU_ASSERT_STRING_EQUAL(r.trail, "");
	CU_ASSERT_EQUAL(fsm_state_chg(&fi, I_SETUP), 0);
	CU_ASSERT_STRING_EQUAL(r.trail, "leave IDLE for SETUP;enter SETUP from IDLE;");
	r.trail[0] = 0;
	CU_ASSERT_EQUAL(fsm_state_chg(&fi, I_SETUP), 0);	/* staying put */
	CU_ASSERT_STRING_EQUAL(r.trail, "");
	CU_ASSERT_EQUAL(fsm_state_chg(&fi, I_PROCEEDING), 0);
	CU_ASSERT_EQUAL(fsm_state_chg(&fi, I_ALERTING), 0);
	CU_ASSERT_STRING_EQUAL(r.trail, "leave SETUP for PROCEEDING;enter PROCEEDING from SETUP;"
			       "leave PROCEEDING for ALERTING;enter ALERTING from PROCEEDING;");
	r.trail[0] = 0;

	unit_log_begin();
	CU_ASSERT_EQUAL(fsm_state_chg(&fi, I_SETUP), -EPERM);	/* no way back */
	CU_ASSERT_EQUAL(fsm_state_chg(&fi, I_IDLE), -EPERM);
	CU_ASSERT_EQUAL(fsm_state_chg(&fi, I__COUNT), -EINVAL);
	CU_ASSERT_EQUAL(fsm_state_chg(&fi, -1), -EINVAL);
	log = unit_log_end();
	CU_ASSERT_EQUAL(fi.state, I_ALERTING);
	CU_ASSERT_STRING_EQUAL(r.trail, "");
	CU_ASSERT_EQUAL(unit_count(log, "warn core: call 8 [ALERTING]: transition not permitted: "
				   "ALERTING -> SETUP\n"), 1);
	CU_ASSERT_EQUAL(unit_count(log, "-> IDLE"), 0);		/* same burst, same limit */
	CU_ASSERT_EQUAL(unit_count(log, "error core: call 8 [ALERTING]: no such itest state 6\n"), 1);
	CU_ASSERT_EQUAL(unit_count(log, "error core: call 8 [ALERTING]: no such itest state -1\n"), 1);

	CU_ASSERT_EQUAL(fsm_state_chg(&fi, I_UP), 0);
	CU_ASSERT_EQUAL(fsm_state_chg(&fi, I_GONE), 0);
	CU_ASSERT_STRING_EQUAL(r.trail, "leave ALERTING for UP;enter UP from ALERTING;"
			       "leave UP for GONE;enter GONE from UP;");
	fsm_inst_cleanup(&fi);
}

/* Without a loop (root NULL, as in the PBX simulator) or without
 * durations, states with a timer run none, and moves work as before. */
static void test_no_loop_no_timers(void)
{
	static const unsigned ms[X__COUNT] = { [X_T303] = 50, [X_RNA] = 50 };
	struct i_rec r = { .id = 9 };
	struct fsm_inst fi;

	CU_ASSERT_EQUAL_FATAL(fsm_inst_init(&fi, &i_fsm, I_SETUP, &r, NULL, ms), 0);
	CU_ASSERT_PTR_NULL(fi.timer);
	CU_ASSERT_EQUAL(fsm_timer_running(&fi), 0);
	CU_ASSERT_EQUAL(fsm_state_chg(&fi, I_PROCEEDING), 0);
	CU_ASSERT_EQUAL(fsm_timer_running(&fi), 0);
	fsm_timer_restart(&fi);
	CU_ASSERT_EQUAL(fsm_timer_running(&fi), 0);
	fsm_inst_cleanup(&fi);
	fsm_inst_cleanup(&fi);	/* twice is harmless */
	CU_ASSERT_EQUAL(r.timeouts, 0);
}

/* ---- state timers on a real loop (Sofia's su_root) */

static su_root_t *root;

static int fsm_loop_init(void)
{
	su_init();
	root = su_root_create(NULL);
	return root ? 0 : -1;
}

static int fsm_loop_cleanup(void)
{
	su_root_destroy(root);
	su_deinit();
	return 0;
}

/* Turn the loop until r has seen n expiries, at most 3 s. su_root_sleep
 * runs the loop's timers; su_root_step of this Sofia (1.12.11) waits but
 * does not expire them. */
static int step_until_timeouts(const struct i_rec *r, int n)
{
	for (int i = 0; i < 300 && r->timeouts < n; i++)
		su_root_sleep(root, 10);
	return r->timeouts >= n;
}

/* Turn the loop for ms, timers firing meanwhile. */
static void step_for(unsigned ms)
{
	su_root_sleep(root, ms);
}

/* Entering a state with a timer starts it, and its expiry calls the def's
 * timeout with the timer's index in the state that ran it. */
static void test_timer_expiry(void)
{
	static const unsigned ms[X__COUNT] = { [X_T303] = 40, [X_RNA] = 5000 };
	struct i_rec r = { .id = 10 };
	struct fsm_inst fi;

	CU_ASSERT_EQUAL_FATAL(fsm_inst_init(&fi, &i_fsm, I_IDLE, &r, root, ms), 0);
	CU_ASSERT_EQUAL(fsm_timer_running(&fi), 0);		/* IDLE runs none */
	CU_ASSERT_EQUAL(fsm_state_chg(&fi, I_SETUP), 0);
	CU_ASSERT_EQUAL(fsm_timer_running(&fi), X_T303);
	CU_ASSERT_STRING_EQUAL(fsm_timer_name(&i_fsm, fsm_timer_running(&fi)), "T303");
	CU_ASSERT(step_until_timeouts(&r, 1));
	CU_ASSERT_EQUAL(r.timeouts, 1);
	CU_ASSERT_EQUAL(r.last_timer, X_T303);
	CU_ASSERT_EQUAL(r.timeout_state, I_SETUP);
	/* the expiry itself leaves the state alone; nothing runs after it */
	CU_ASSERT_EQUAL(fi.state, I_SETUP);
	CU_ASSERT_EQUAL(fsm_timer_running(&fi), 0);
	fsm_inst_cleanup(&fi);

	/* an initial state with a timer starts it at init */
	memset(&r, 0, sizeof(r));
	CU_ASSERT_EQUAL_FATAL(fsm_inst_init(&fi, &i_fsm, I_SETUP, &r, root, ms), 0);
	CU_ASSERT_EQUAL(fsm_timer_running(&fi), X_T303);
	CU_ASSERT(step_until_timeouts(&r, 1));
	CU_ASSERT_EQUAL(r.last_timer, X_T303);
	fsm_inst_cleanup(&fi);
}

/* Leaving the state stops its timer: it does not fire later, while
 * another instance's longer timer, started at the same time, does. A
 * timer of 0 ms is off, as is every timer with no durations at all. */
static void test_timer_stopped(void)
{
	static const unsigned short_ms[X__COUNT] = { [X_T303] = 30, [X_RNA] = 30 };
	static const unsigned off_ms[X__COUNT] = { [X_T303] = 0, [X_RNA] = 0 };
	static const unsigned long_ms[X__COUNT] = { [X_T303] = 150, [X_RNA] = 150 };
	struct i_rec left = { .id = 11 }, off = { .id = 12 }, none = { .id = 13 }, ctl = { .id = 14 };
	struct fsm_inst fl, fo, fn, fc;

	CU_ASSERT_EQUAL_FATAL(fsm_inst_init(&fl, &i_fsm, I_SETUP, &left, root, short_ms), 0);
	CU_ASSERT_EQUAL_FATAL(fsm_inst_init(&fo, &i_fsm, I_SETUP, &off, root, off_ms), 0);
	CU_ASSERT_EQUAL_FATAL(fsm_inst_init(&fn, &i_fsm, I_SETUP, &none, root, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(fsm_inst_init(&fc, &i_fsm, I_SETUP, &ctl, root, long_ms), 0);
	CU_ASSERT_EQUAL(fsm_timer_running(&fl), X_T303);
	CU_ASSERT_EQUAL(fsm_timer_running(&fo), 0);
	CU_ASSERT_EQUAL(fsm_timer_running(&fn), 0);
	CU_ASSERT_EQUAL(fsm_timer_running(&fc), X_T303);
	/* SETUP -> GONE: GONE runs no timer */
	CU_ASSERT_EQUAL(fsm_state_chg(&fl, I_GONE), 0);
	CU_ASSERT_EQUAL(fsm_timer_running(&fl), 0);
	/* 0 ms in PROCEEDING too */
	CU_ASSERT_EQUAL(fsm_state_chg(&fo, I_PROCEEDING), 0);
	CU_ASSERT_EQUAL(fsm_timer_running(&fo), 0);
	fsm_timer_restart(&fo);
	CU_ASSERT_EQUAL(fsm_timer_running(&fo), 0);

	CU_ASSERT(step_until_timeouts(&ctl, 1));
	CU_ASSERT_EQUAL(left.timeouts, 0);
	CU_ASSERT_EQUAL(off.timeouts, 0);
	CU_ASSERT_EQUAL(none.timeouts, 0);
	fsm_inst_cleanup(&fl);
	fsm_inst_cleanup(&fo);
	fsm_inst_cleanup(&fn);
	fsm_inst_cleanup(&fc);
}

/* ring-no-answer spans PROCEEDING and ALERTING: the move between two
 * states naming the same timer keeps it running from its first start,
 * while a move to a state with another timer starts that one afresh. */
static void test_timer_kept(void)
{
	static const unsigned ms[X__COUNT] = { [X_T303] = 300, [X_RNA] = 400 };
	struct i_rec r = { .id = 15 };
	struct fsm_inst fi;
	long long t_proc, t_alert;

	CU_ASSERT_EQUAL_FATAL(fsm_inst_init(&fi, &i_fsm, I_SETUP, &r, root, ms), 0);
	CU_ASSERT_EQUAL(fsm_state_chg(&fi, I_PROCEEDING), 0);
	t_proc = mono_ms();
	CU_ASSERT_EQUAL(fsm_timer_running(&fi), X_RNA);
	step_for(250);		/* RNA not due yet; T303 was stopped on leaving SETUP */
	CU_ASSERT_EQUAL(r.timeouts, 0);
	CU_ASSERT_EQUAL(fsm_state_chg(&fi, I_ALERTING), 0);
	t_alert = mono_ms();
	CU_ASSERT_EQUAL(fsm_timer_running(&fi), X_RNA);
	CU_ASSERT(step_until_timeouts(&r, 1));
	CU_ASSERT_EQUAL(r.last_timer, X_RNA);
	CU_ASSERT_EQUAL(r.timeout_state, I_ALERTING);
	/* due 400 ms after PROCEEDING, not 400 ms after ALERTING */
	CU_ASSERT(r.timeout_ms - t_proc >= 400);
	CU_ASSERT(r.timeout_ms - t_alert < 400);
	fsm_inst_cleanup(&fi);
}

/* fsm_timer_restart starts the state's timer again from its full
 * duration: a new attempt inside the same state, also after an expiry. */
static void test_timer_restart(void)
{
	static const unsigned ms[X__COUNT] = { [X_T303] = 300, [X_RNA] = 5000 };
	struct i_rec r = { .id = 16 };
	struct fsm_inst fi;
	long long t_restart;

	CU_ASSERT_EQUAL_FATAL(fsm_inst_init(&fi, &i_fsm, I_SETUP, &r, root, ms), 0);
	step_for(200);
	CU_ASSERT_EQUAL(r.timeouts, 0);
	fsm_timer_restart(&fi);
	t_restart = mono_ms();
	CU_ASSERT_EQUAL(fsm_timer_running(&fi), X_T303);
	CU_ASSERT(step_until_timeouts(&r, 1));
	CU_ASSERT(r.timeout_ms - t_restart >= 300);
	CU_ASSERT_EQUAL(fsm_timer_running(&fi), 0);
	/* after the expiry: a second attempt, a second expiry */
	fsm_timer_restart(&fi);
	CU_ASSERT_EQUAL(fsm_timer_running(&fi), X_T303);
	CU_ASSERT(step_until_timeouts(&r, 2));
	CU_ASSERT_EQUAL(r.last_timer, X_T303);
	fsm_inst_cleanup(&fi);
}

/* Cleanup stops a running timer: freeing the object after it is safe. */
static void test_timer_cleanup(void)
{
	static const unsigned gone_ms[X__COUNT] = { [X_T303] = 20 };
	static const unsigned ctl_ms[X__COUNT] = { [X_T303] = 120 };
	struct i_rec gone = { .id = 17 }, ctl = { .id = 18 };
	struct fsm_inst fg, fc;

	CU_ASSERT_EQUAL_FATAL(fsm_inst_init(&fg, &i_fsm, I_SETUP, &gone, root, gone_ms), 0);
	CU_ASSERT_EQUAL_FATAL(fsm_inst_init(&fc, &i_fsm, I_SETUP, &ctl, root, ctl_ms), 0);
	fsm_inst_cleanup(&fg);
	CU_ASSERT_PTR_NULL(fg.timer);
	CU_ASSERT_EQUAL(fsm_timer_running(&fg), 0);
	CU_ASSERT(step_until_timeouts(&ctl, 1));
	CU_ASSERT_EQUAL(gone.timeouts, 0);
	fsm_inst_cleanup(&fc);
}

static const CU_TestInfo fsm_inst_tests[] = {
	{ "inst: events dispatched or refused", test_dispatch },
	{ "inst: onleave then onenter, refused moves run neither", test_state_chg_hooks },
	{ "inst: no loop, no timers", test_no_loop_no_timers },
	CU_TEST_INFO_NULL,
};

static const CU_TestInfo fsm_timer_tests[] = {
	{ "state timer started on entry, expiry calls timeout", test_timer_expiry },
	{ "state timer stopped on leaving; 0 ms is off", test_timer_stopped },
	{ "same timer in the next state keeps running", test_timer_kept },
	{ "fsm_timer_restart: full duration again", test_timer_restart },
	{ "cleanup stops the timer", test_timer_cleanup },
	CU_TEST_INFO_NULL,
};

static const CU_TestInfo fsm_tests[] = {
	{ "state names", test_names },
	{ "every permitted and refused transition", test_every_transition },
	{ "a call's life, no way back", test_a_call_life },
	{ "no such state", test_no_such_state },
	{ "refusal logged once per burst, per subsystem", test_refusal_log },
	{ "log levels of moves and refusals", test_levels },
	CU_TEST_INFO_NULL,
};

int suite_fsm_add(void)
{
	CU_pSuite s;

	if (unit_suite_add("fsm", fsm_tests) || unit_suite_add("fsm_inst", fsm_inst_tests))
		return -1;
	/* the timer tests need the loop */
	if (!(s = CU_add_suite("fsm_timers", fsm_loop_init, fsm_loop_cleanup)))
		return -1;
	for (const CU_TestInfo *t = fsm_timer_tests; t->pName; t++)
		if (!CU_add_test(s, t->pName, t->pTestFunc))
			return -1;
	return 0;
}
