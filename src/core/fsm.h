/* sipgw - declared state machines in the shape of libosmocore's osmo_fsm:
 * one row per state with the events it permits, the states it may go to,
 * onenter/onleave actions and at most one timer from a named table. An
 * event a state does not permit, or a move the table does not allow, is
 * logged and refused here, in one place. SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_CORE_FSM_H
#define SIPGW_CORE_FSM_H

#include <stdint.h>

#include "core/log.h"

struct su_root_s;
struct loop_timer;
struct fsm_inst;

#define FSM_BIT(s) (1u << (s))
#define FSM_MAX_STATES 32
#define FSM_MAX_EVENTS 32

struct fsm_state {
	const char *name;
	uint32_t out;		/* bit mask of the states this one may go to */
	uint32_t in_events;	/* bit mask of the events this state permits (FSM_BIT(ev)) */
	int timer;		/* index into the def's timer table; 0 = this state runs no timer */
	/* Entering from prev / leaving for next; either may be NULL. */
	void (*onenter)(struct fsm_inst *fi, int prev);
	void (*onleave)(struct fsm_inst *fi, int next);
	/* This state's handling of the events it permits (osmo_fsm's per-state
	 * action); NULL: the def's action. */
	void (*action)(struct fsm_inst *fi, int event, void *data);
};

/* What a state's timer is called: the spec's name ("T303", "Timer B",
 * "ring-no-answer"). Durations are per instance (fsm_inst_init), so config
 * sets them by these names; row 0 is unused (0 = no timer). */
struct fsm_timer_def {
	const char *name;
};

struct fsm_def {
	const char *name;		/* "pri", "sip", "call" */
	enum log_subsys ss;
	const struct fsm_state *states;
	unsigned n_states;
	const char *const *event_names;	/* [event] = "ALERTING" */
	unsigned n_events;
	const struct fsm_timer_def *timers;	/* NULL when no state runs a timer */
	unsigned n_timers;		/* rows, the unused row 0 included */
	/* A permitted event in the current state (fsm_dispatch). */
	void (*action)(struct fsm_inst *fi, int event, void *data);
	/* The running state's timer expired (the state is unchanged by the expiry itself). */
	void (*timeout)(struct fsm_inst *fi, int timer);
	/* "call 17 [ACTIVE]": identity and state for log lines. */
	const char *(*describe)(struct fsm_inst *fi);
};

struct fsm_inst {
	const struct fsm_def *def;
	int state;
	void *priv;			/* the object this machine belongs to */
	const unsigned *timer_ms;	/* [timer] = duration in ms (0: that timer is off); NULL: all off */
	struct loop_timer *timer;	/* NULL when the def has no timers */
	int running;			/* the timer index now running, 0 = none */
};

const char *fsm_state_name(const struct fsm_def *def, int state);
const char *fsm_event_name(const struct fsm_def *def, int event);
const char *fsm_timer_name(const struct fsm_def *def, int timer);

/** Set up fi in initial (its onenter is not run, its timer is started).
 * timer_ms must outlive fi. 0 or -ENOMEM. */
int fsm_inst_init(struct fsm_inst *fi, const struct fsm_def *def, int initial, void *priv,
		  struct su_root_s *root, const unsigned *timer_ms);
/** Stop and free the timer; the state is left as it is. */
void fsm_inst_cleanup(struct fsm_inst *fi);
/** Move to next if the table allows it: onleave of the old state, then the
 * timers (the old one stops unless next runs the same timer, which then
 * keeps running: ring-no-answer spans PROCEEDING and ALERTING), then onenter
 * of the new one. Staying put is a no-op. Else "<who>: transition not
 * permitted: A -> B" (rate-limited, LOGW_LIMIT) and -EPERM; -EINVAL for no
 * such state. */
int fsm_state_chg(struct fsm_inst *fi, int next);
/** Run the state's action (else the def's) for event if the current state permits it; else
 * "<who>: event E not permitted in state S" (rate-limited) and -EPERM. */
int fsm_dispatch(struct fsm_inst *fi, int event, void *data);
/** How many events fsm_dispatch() has refused in subsystem ss since start,
 * whether or not the rate limit let the line out: the refusals a log shows
 * are a sample, this is the count (statistics, tests). */
unsigned long fsm_refused_events(enum log_subsys ss);
/** True when the current state permits event (nothing is logged). */
int fsm_permits(const struct fsm_inst *fi, int event);
/** Start the current state's timer again from its full duration (a new
 * attempt inside the same state). */
void fsm_timer_restart(struct fsm_inst *fi);
/** The running timer's index, 0 when none runs. */
int fsm_timer_running(const struct fsm_inst *fi);
/** Start the current state's timer for ms instead of its configured
 * duration (0: stop it), as osmo_fsm_inst_state_chg() takes a timeout: for
 * a deadline known only at run time (a negotiated session interval, the
 * rest of an RTP timeout after the last packet). */
void fsm_timer_start_ms(struct fsm_inst *fi, unsigned ms);

/** Stateless form of fsm_state_chg for machines with no instance: move
 * *statep to next if the table allows it; the same logs and returns. */
int fsm_move(const struct fsm_def *def, int *statep, int next, const char *who);

#endif
