/* sipgw - unit tests: declared state machines (src/core/fsm.c) on a small
 * table of their own: every move the table permits is made, every other is
 * refused and leaves the state alone, and the refusal is logged without
 * flooding. SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/fsm.h"
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
	return unit_suite_add("fsm", fsm_tests);
}
