/* sipgw - unit tests: the SIP leg's declared machines (src/sip/sip_leg.c,
 * sip_timers.c) without a network: per state, every event it must take and
 * every one it must refuse (refused through fsm_dispatch, the state left
 * alone, one log line), the moves between states, and which state runs
 * which named timer. The tables below restate RFC 3261 / 4028 as the leg
 * should follow them, written apart from the code's own rows.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sofia-sip/su_wait.h>

#include "core/log.h"
#include "core/loop.h"
#include "sip/sip_internal.h"
#include "unit.h"

#define S(s) FSM_BIT(SIP_ST_##s)
#define E(e) FSM_BIT(SIP_EV_##e)

/* What a confirmed dialog (held or not) takes. */
#define UP (E(RELEASE) | E(R_1XX) | E(R_2XX) | E(R_FAIL) | E(I_ACK) | E(I_BYE) | E(I_REINVITE) | \
	    E(I_UPDATE) | E(R_BYE) | E(GONE) | E(RTP_REFUSED) | E(CLEAR) | E(CLEARED))

static const uint32_t want_events[SIP_ST__COUNT] = {
	/* a UAC leg before its INVITE: set up, or dropped */
	[SIP_ST_IDLE] = E(SETUP) | E(RELEASE),
	/* INVITE out: its responses, the call giving up, the dialog's end */
	[SIP_ST_CALLING] = E(RELEASE) | E(R_1XX) | E(R_2XX) | E(R_FAIL) | E(I_BYE) | E(GONE),
	/* ... and, once a 1xx made an early dialog, an UPDATE in it (RFC 3311 5.1) */
	[SIP_ST_PROCEEDING] = E(RELEASE) | E(R_1XX) | E(R_2XX) | E(R_FAIL) | E(I_BYE) | E(I_UPDATE) | E(GONE),
	/* INVITE in: the call alerts, answers or refuses; the caller may CANCEL, BYE or UPDATE */
	[SIP_ST_INCOMING] = E(ALERT) | E(PROGRESS) | E(ANSWER) | E(RELEASE) | E(I_BYE) | E(I_CANCEL) |
			    E(I_UPDATE) | E(GONE),
	[SIP_ST_EARLY] = E(ALERT) | E(PROGRESS) | E(ANSWER) | E(RELEASE) | E(I_BYE) | E(I_CANCEL) |
			 E(I_UPDATE) | E(GONE),
	[SIP_ST_CONFIRMED] = UP,
	[SIP_ST_HELD] = UP,
	/* on the way out: what crosses our CANCEL or BYE, what the call still says */
	[SIP_ST_TERMINATING] = E(ALERT) | E(PROGRESS) | E(RELEASE) | E(R_1XX) | E(R_2XX) | E(R_FAIL) |
			       E(I_ACK) | E(I_BYE) | E(I_CANCEL) | E(R_BYE) | E(R_CANCEL) | E(GONE),
	[SIP_ST_TERMINATED] = 0,
};

static const uint32_t want_moves[SIP_ST__COUNT] = {
	[SIP_ST_IDLE] = S(CALLING) | S(TERMINATED),
	[SIP_ST_CALLING] = S(PROCEEDING) | S(CONFIRMED) | S(HELD) | S(TERMINATING) | S(TERMINATED),
	[SIP_ST_PROCEEDING] = S(CONFIRMED) | S(HELD) | S(TERMINATING) | S(TERMINATED),
	[SIP_ST_INCOMING] = S(EARLY) | S(CONFIRMED) | S(HELD) | S(TERMINATING) | S(TERMINATED),
	[SIP_ST_EARLY] = S(CONFIRMED) | S(HELD) | S(TERMINATING) | S(TERMINATED),
	[SIP_ST_CONFIRMED] = S(HELD) | S(TERMINATING) | S(TERMINATED),
	[SIP_ST_HELD] = S(CONFIRMED) | S(TERMINATING) | S(TERMINATED),
	[SIP_ST_TERMINATING] = S(TERMINATED),
	[SIP_ST_TERMINATED] = 0,
};

/* A leg with no network: its machine only, at state st (no timer: no root). */
static void leg_at(struct sip_leg *sl, int st)
{
	memset(sl, 0, sizeof(*sl));
	sl->id = 7;
	CU_ASSERT_EQUAL(fsm_inst_init(&sl->fi, &sip_leg_fsm, st, sl, NULL, NULL), 0);
}

/* First, while the per-subsystem limit has printed nothing yet: the one
 * line an operator reads for a refusal, with the leg and its state. */
static void test_refusal_logged(void)
{
	struct sip_leg sl;
	const char *log;

	leg_at(&sl, SIP_ST_EARLY);
	unit_log_begin();
	CU_ASSERT_EQUAL(fsm_dispatch(&sl.fi, SIP_EV_I_REINVITE, NULL), -EPERM);
	log = unit_log_end();
	CU_ASSERT_EQUAL(sl.fi.state, SIP_ST_EARLY);
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "sip 7 [EARLY]: event re-INVITE not permitted in state EARLY"));
	CU_ASSERT_EQUAL(unit_count(log, "not permitted"), 1);
	fsm_inst_cleanup(&sl.fi);
}

static void test_names(void)
{
	for (int st = 0; st < SIP_ST__COUNT; st++)
		CU_ASSERT_STRING_NOT_EQUAL(fsm_state_name(&sip_leg_fsm, st), "?");
	for (int ev = 0; ev < SIP_EV__COUNT; ev++)
		CU_ASSERT_STRING_NOT_EQUAL(fsm_event_name(&sip_leg_fsm, ev), "?");
	CU_ASSERT_STRING_EQUAL(fsm_state_name(&sip_leg_fsm, SIP_ST_CONFIRMED), "CONFIRMED");
	CU_ASSERT_STRING_EQUAL(fsm_state_name(&sip_leg_fsm, SIP_ST_HELD), "HELD");
	for (int st = 0; st < SIP_SESS__COUNT; st++)
		CU_ASSERT_STRING_NOT_EQUAL(fsm_state_name(&sip_sess_fsm, st), "?");
	for (int ev = 0; ev < SIP_SESS_EV__COUNT; ev++)
		CU_ASSERT_STRING_NOT_EQUAL(fsm_event_name(&sip_sess_fsm, ev), "?");
}

/* Every state against every event: permitted where the table says, else
 * refused by fsm_dispatch (no action run: the leg has no network to act
 * on) with the state unchanged. */
static void test_events_per_state(void)
{
	struct sip_leg sl;

	unit_log_begin();
	for (int st = 0; st < SIP_ST__COUNT; st++) {
		leg_at(&sl, st);
		for (int ev = 0; ev < SIP_EV__COUNT; ev++) {
			int want = !!(want_events[st] & FSM_BIT(ev));

			CU_ASSERT_EQUAL(fsm_permits(&sl.fi, ev), want);
			/* the action needs a network: dispatch only what both refuse */
			if (!want && !fsm_permits(&sl.fi, ev)) {
				CU_ASSERT_EQUAL(fsm_dispatch(&sl.fi, ev, NULL), -EPERM);
				CU_ASSERT_EQUAL(sl.fi.state, st);
			}
		}
		CU_ASSERT_EQUAL(fsm_dispatch(&sl.fi, SIP_EV__COUNT, NULL), -EINVAL);
		fsm_inst_cleanup(&sl.fi);
	}
	unit_log_end();
}

/* Every move: the table's moves happen, others are refused; no way back
 * from the end, none from UAS states into UAC ones, held only when up. */
static void test_moves(void)
{
	struct sip_leg sl;

	unit_log_begin();
	for (int from = 0; from < SIP_ST__COUNT; from++) {
		for (int to = 0; to < SIP_ST__COUNT; to++) {
			int want = from == to || (want_moves[from] & FSM_BIT(to));

			leg_at(&sl, from);
			/* onenter of TERMINATING/TERMINATED stops the session
			 * clocks: give them a machine to stop */
			CU_ASSERT_EQUAL(fsm_inst_init(&sl.tm.fi, &sip_sess_fsm, SIP_SESS_NONE, &sl, NULL, NULL), 0);
			CU_ASSERT_EQUAL(fsm_state_chg(&sl.fi, to) == 0, want);
			CU_ASSERT_EQUAL(sl.fi.state, want ? to : from);
			fsm_inst_cleanup(&sl.fi);
		}
	}
	unit_log_end();
}

/* The timers that belong to a state, by their configurable names. */
static void test_state_timers(void)
{
	for (int st = 0; st < SIP_ST__COUNT; st++) {
		int t = sip_leg_fsm.states[st].timer;
		const char *want = st == SIP_ST_CONFIRMED ? "rtp-timeout" : st == SIP_ST_HELD ? "rtp-hold-timeout" : "?";

		CU_ASSERT_STRING_EQUAL(fsm_timer_name(&sip_leg_fsm, t), want);
	}
	for (int st = 0; st < SIP_SESS__COUNT; st++) {
		int t = sip_sess_fsm.states[st].timer;
		const char *want = st == SIP_SESS_DUE ? "session-refresh" : st == SIP_SESS_REFRESHING ? "Timer B" : "?";

		CU_ASSERT_STRING_EQUAL(fsm_timer_name(&sip_sess_fsm, t), want);
	}
}

/* RFC 4028: a response is ours only while our refresh is out; a 422 is
 * retried once (RAISED has no way back to NONE but the end); a refresh is
 * sent only by the refresher (WATCH cannot reach REFRESHING). */
static void test_session_machine(void)
{
	static const uint32_t want_ev[SIP_SESS__COUNT] = {
		[SIP_SESS_NONE] = FSM_BIT(SIP_SESS_EV_START) | FSM_BIT(SIP_SESS_EV_REFRESHED),
		[SIP_SESS_RAISED] = FSM_BIT(SIP_SESS_EV_START),
		[SIP_SESS_WATCH] = FSM_BIT(SIP_SESS_EV_START) | FSM_BIT(SIP_SESS_EV_REFRESHED),
		[SIP_SESS_DUE] = FSM_BIT(SIP_SESS_EV_START) | FSM_BIT(SIP_SESS_EV_REFRESHED),
		[SIP_SESS_REFRESHING] = FSM_BIT(SIP_SESS_EV_REFRESHED) | FSM_BIT(SIP_SESS_EV_RESPONSE),
	};
#define SS(s) FSM_BIT(SIP_SESS_##s)
	static const uint32_t want_mv[SIP_SESS__COUNT] = {
		[SIP_SESS_NONE] = SS(RAISED) | SS(WATCH) | SS(DUE),
		[SIP_SESS_RAISED] = SS(NONE) | SS(WATCH) | SS(DUE),
		[SIP_SESS_WATCH] = SS(NONE) | SS(DUE),
		[SIP_SESS_DUE] = SS(NONE) | SS(WATCH) | SS(REFRESHING),
		[SIP_SESS_REFRESHING] = SS(NONE) | SS(WATCH) | SS(DUE),
	};
#undef SS
	struct sip_leg sl;

	unit_log_begin();
	for (int st = 0; st < SIP_SESS__COUNT; st++) {
		for (int ev = 0; ev < SIP_SESS_EV__COUNT; ev++) {
			leg_at(&sl, SIP_ST_CONFIRMED);
			fsm_inst_init(&sl.tm.fi, &sip_sess_fsm, st, &sl, NULL, NULL);
			CU_ASSERT_EQUAL(fsm_permits(&sl.tm.fi, ev), !!(want_ev[st] & FSM_BIT(ev)));
			if (!(want_ev[st] & FSM_BIT(ev)) && !fsm_permits(&sl.tm.fi, ev))
				CU_ASSERT_EQUAL(fsm_dispatch(&sl.tm.fi, ev, NULL), -EPERM);
			CU_ASSERT_EQUAL(sl.tm.fi.state, st);
		}
		for (int to = 0; to < SIP_SESS__COUNT; to++) {
			int want = st == to || (want_mv[st] & FSM_BIT(to));

			fsm_inst_init(&sl.tm.fi, &sip_sess_fsm, st, &sl, NULL, NULL);
			CU_ASSERT_EQUAL(fsm_state_chg(&sl.tm.fi, to) == 0, want);
		}
	}
	unit_log_end();
	/* the retry is spent once taken */
	leg_at(&sl, SIP_ST_CALLING);
	fsm_inst_init(&sl.tm.fi, &sip_sess_fsm, SIP_SESS_NONE, &sl, NULL, NULL);
	CU_ASSERT_EQUAL(sip_timers_retry_422(&sl), 1);
	CU_ASSERT_EQUAL(sl.tm.fi.state, SIP_SESS_RAISED);
	CU_ASSERT_EQUAL(sip_timers_retry_422(&sl), 0);
}

static void stop_loop(void *arg)
{
	*(int *)arg = 1;
}

static struct fsm_timer_def probe_timer_names[] = { { NULL }, { "rtp-timeout" } };
static const struct fsm_state probe_states[] = {
	{ "UP", FSM_BIT(1), 0, 1 },
	{ "DOWN", FSM_BIT(0), 0, 0 },
};
static int probe_fired;
static void probe_timeout(struct fsm_inst *fi, int timer)
{
	probe_fired = timer;
}
static const struct fsm_def probe_fsm = {
	.name = "probe", .ss = LSS_SIP, .states = probe_states, .n_states = 2,
	.timers = probe_timer_names, .n_timers = 2, .timeout = probe_timeout,
};

/* fsm_timer_start_ms (the RTP watch looks again after the rest of its
 * timeout): it runs the state's own timer for the given time, 0 stops it,
 * and a state with no timer runs none. */
static void test_timer_start_ms(void)
{
	static const unsigned ms[] = { 0, 60000 };
	struct loop_timer *guard;
	struct fsm_inst fi;
	su_root_t *root;
	int done = 0;

	su_init();
	root = su_root_create(NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	CU_ASSERT_EQUAL(fsm_inst_init(&fi, &probe_fsm, 0, NULL, root, ms), 0);
	CU_ASSERT_EQUAL(fsm_timer_running(&fi), 1);	/* 60 s from the table */
	fsm_timer_start_ms(&fi, 0);
	CU_ASSERT_EQUAL(fsm_timer_running(&fi), 0);
	probe_fired = 0;
	fsm_timer_start_ms(&fi, 20);			/* the rest, not the full 60 s */
	CU_ASSERT_EQUAL(fsm_timer_running(&fi), 1);
	CU_ASSERT_EQUAL(loop_timer_alloc(&guard, root, "guard", stop_loop, &done), 0);
	loop_timer_start(guard, 2000);
	while (!probe_fired && !done)
		su_root_step(root, 100);
	CU_ASSERT_EQUAL(probe_fired, 1);
	CU_ASSERT_EQUAL(fsm_timer_running(&fi), 0);
	CU_ASSERT_EQUAL(fsm_state_chg(&fi, 1), 0);
	fsm_timer_start_ms(&fi, 20);			/* DOWN names no timer */
	CU_ASSERT_EQUAL(fsm_timer_running(&fi), 0);
	loop_timer_free(guard);
	fsm_inst_cleanup(&fi);
	su_root_destroy(root);
	su_deinit();
}


/* leg_ops.status (sip_status.c): what sipgwctl's show calls and the CDR
 * print for a leg: the dialog state by name, the far end with its
 * transport, the Call-ID, and the INVITE's final status (a 422's retry
 * answered 200 is 200; a later re-INVITE's 488 changes nothing). */
static void test_status(void)
{
	struct sip_leg sl;
	struct leg_status st;

	leg_at(&sl, SIP_ST_PROCEEDING);
	sl.role = SIP_ROLE_UAC;
	sl.pt = -1;
	snprintf(sl.host, sizeof(sl.host), "192.0.2.1");
	sl.port = 5060;
	sl.transport = SIP_TP_TCP;
	snprintf(sl.info.calling, sizeof(sl.info.calling), "5551000");
	snprintf(sl.info.called, sizeof(sl.info.called), "2001");
	sip_status_event(&sl, nua_r_invite, 422, NULL);
	CU_ASSERT_EQUAL(sl.info.status, 422);
	memset(&st, 0, sizeof(st));
	sip_leg_status(&sl.base, &st);
	CU_ASSERT_STRING_EQUAL(st.state, "PROCEEDING");
	CU_ASSERT_STRING_EQUAL(st.where, "tcp:192.0.2.1:5060");
	CU_ASSERT_STRING_EQUAL(st.calling, "5551000");
	CU_ASSERT_STRING_EQUAL(st.called, "2001");
	CU_ASSERT_STRING_EQUAL(st.codec, "");	/* no answer yet */
	CU_ASSERT_EQUAL(st.chan, 0);
	sip_status_event(&sl, nua_r_invite, 200, NULL);
	sip_status_event(&sl, nua_r_invite, 488, NULL);	/* a re-INVITE refused */
	sip_status_event(&sl, nua_r_invite, 180, NULL);
	fsm_inst_cleanup(&sl.fi);
	CU_ASSERT_EQUAL(fsm_inst_init(&sl.fi, &sip_leg_fsm, SIP_ST_CONFIRMED, &sl, NULL, NULL), 0);
	sl.pt = 0;
	sl.mport.codec = "PCMU";
	snprintf(sl.info.call_id, sizeof(sl.info.call_id), "abc@192.0.2.9");
	memset(&st, 0, sizeof(st));
	sip_leg_status(&sl.base, &st);
	CU_ASSERT_STRING_EQUAL(st.state, "CONFIRMED");
	CU_ASSERT_STRING_EQUAL(st.codec, "PCMU");
	CU_ASSERT_STRING_EQUAL(st.call_id, "abc@192.0.2.9");
	CU_ASSERT_EQUAL(st.status, 200);
	CU_ASSERT_EQUAL(st.cause, 0);
	fsm_inst_cleanup(&sl.fi);

	/* a UAS: the status it sent (nua_i_state), the INVITE's source port */
	leg_at(&sl, SIP_ST_EARLY);
	sl.role = SIP_ROLE_UAS;
	snprintf(sl.host, sizeof(sl.host), "2001:db8::1");
	sl.info.src_port = 5062;
	sip_status_event(&sl, nua_i_state, 180, NULL);
	sip_status_event(&sl, nua_i_state, 486, NULL);
	sl.info.cause = 17;
	memset(&st, 0, sizeof(st));
	sip_leg_status(&sl.base, &st);
	CU_ASSERT_STRING_EQUAL(st.where, "udp:[2001:db8::1]:5062");
	CU_ASSERT_EQUAL(st.status, 486);
	CU_ASSERT_EQUAL(st.cause, 17);
	fsm_inst_cleanup(&sl.fi);
}

static CU_TestInfo sip_leg_tests[] = {
	{ "refusal_logged", test_refusal_logged },
	{ "names", test_names },
	{ "events_per_state", test_events_per_state },
	{ "moves", test_moves },
	{ "state_timers", test_state_timers },
	{ "session_machine", test_session_machine },
	{ "timer_start_ms", test_timer_start_ms },
	{ "status", test_status },
	CU_TEST_INFO_NULL,
};

int suite_sip_leg_add(void)
{
	return unit_suite_add("sip_leg", sip_leg_tests);
}
