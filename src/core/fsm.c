/* sipgw - declared state machines (osmo_fsm shape). SPDX-License-Identifier: GPL-2.0-only */
#include "core/fsm.h"

#include <errno.h>
#include <stddef.h>

#include "core/loop.h"

const char *fsm_state_name(const struct fsm_def *def, int state)
{
	if (state < 0 || (unsigned)state >= def->n_states)
		return "?";
	return def->states[state].name;
}

const char *fsm_event_name(const struct fsm_def *def, int event)
{
	if (event < 0 || (unsigned)event >= def->n_events || !def->event_names[event])
		return "?";
	return def->event_names[event];
}

const char *fsm_timer_name(const struct fsm_def *def, int timer)
{
	if (timer <= 0 || (unsigned)timer >= def->n_timers || !def->timers)
		return "?";
	return def->timers[timer].name;
}

/* A peer repeating a message out of turn must not flood the log: one limit
 * per subsystem for refused moves, one for refused events. */
static struct log_limit move_lim[LSS__COUNT], event_lim[LSS__COUNT];
static unsigned long refused_events[LSS__COUNT];

int fsm_move(const struct fsm_def *def, int *statep, int next, const char *who)
{
	int cur = *statep;

	if (next < 0 || (unsigned)next >= def->n_states || cur < 0 || (unsigned)cur >= def->n_states) {
		LOGE(def->ss, "%s: no such %s state %d", who, def->name,
		     next < 0 || (unsigned)next >= def->n_states ? next : cur);
		return -EINVAL;
	}
	if (cur == next)
		return 0;
	if (!(def->states[cur].out & FSM_BIT(next))) {
		LOGW_LIMIT(&move_lim[def->ss], def->ss, "%s: transition not permitted: %s -> %s", who,
			   fsm_state_name(def, cur), fsm_state_name(def, next));
		return -EPERM;
	}
	LOGD(def->ss, "%s: %s -> %s", who, fsm_state_name(def, cur), fsm_state_name(def, next));
	*statep = next;
	return 0;
}

/* fsm_move() would take cur -> next without a word */
static int fsm_move_ok(const struct fsm_def *def, int cur, int next)
{
	return next >= 0 && (unsigned)next < def->n_states && cur >= 0 && (unsigned)cur < def->n_states &&
	       (def->states[cur].out & FSM_BIT(next));
}

static const char *fsm_who(struct fsm_inst *fi)
{
	return fi->def->describe ? fi->def->describe(fi) : fi->def->name;
}

static void fsm_timer_cb(void *arg)
{
	struct fsm_inst *fi = arg;
	int timer = fi->running;

	fi->running = 0;
	LOGD(fi->def->ss, "%s: %s expired", fsm_who(fi), fsm_timer_name(fi->def, timer));
	if (fi->def->timeout)
		fi->def->timeout(fi, timer);
}

static unsigned fsm_timer_ms(const struct fsm_inst *fi, int timer)
{
	if (timer <= 0 || (unsigned)timer >= fi->def->n_timers || !fi->timer_ms)
		return 0;
	return fi->timer_ms[timer];
}

static void fsm_timer_start(struct fsm_inst *fi, int timer)
{
	unsigned ms = fsm_timer_ms(fi, timer);

	loop_timer_stop(fi->timer);
	fi->running = 0;
	if (!ms || !fi->timer)
		return;
	if (loop_timer_start(fi->timer, ms) == 0)
		fi->running = timer;
}

int fsm_inst_init(struct fsm_inst *fi, const struct fsm_def *def, int initial, void *priv,
		  struct su_root_s *root, const unsigned *timer_ms)
{
	*fi = (struct fsm_inst){ .def = def, .state = initial, .priv = priv, .timer_ms = timer_ms };
	if (def->timers && def->n_timers > 1 && root &&
	    loop_timer_alloc(&fi->timer, root, def->name, fsm_timer_cb, fi))
		return -ENOMEM;
	if (initial >= 0 && (unsigned)initial < def->n_states)
		fsm_timer_start(fi, def->states[initial].timer);
	return 0;
}

void fsm_inst_cleanup(struct fsm_inst *fi)
{
	loop_timer_free(fi->timer);
	fi->timer = NULL;
	fi->running = 0;
}

int fsm_state_chg(struct fsm_inst *fi, int next)
{
	const struct fsm_def *def = fi->def;
	int prev = fi->state, rc;

	if (prev == next)
		return 0;
	/* who is printed only at debug level or for a move refused: the
	 * describe() (a snprintf) is not made for every permitted move */
	if ((rc = fsm_move(def, &fi->state, next, LOG_ON(LOG_LVL_DEBUG) || !fsm_move_ok(def, prev, next) ?
			   fsm_who(fi) : def->name)))
		return rc;
	fi->state = prev;	/* onleave still sees the state it leaves */
	if (def->states[prev].onleave)
		def->states[prev].onleave(fi, next);
	fi->state = next;
	if (!def->states[next].timer || def->states[next].timer != fi->running)
		fsm_timer_start(fi, def->states[next].timer);
	if (def->states[next].onenter)
		def->states[next].onenter(fi, prev);
	return 0;
}

unsigned long fsm_refused_events(enum log_subsys ss)
{
	return (unsigned)ss < LSS__COUNT ? refused_events[ss] : 0;
}

int fsm_permits(const struct fsm_inst *fi, int event)
{
	return event >= 0 && (unsigned)event < fi->def->n_events && fi->state >= 0 &&
	       (unsigned)fi->state < fi->def->n_states &&
	       (fi->def->states[fi->state].in_events & FSM_BIT(event));
}

int fsm_dispatch(struct fsm_inst *fi, int event, void *data)
{
	const struct fsm_def *def = fi->def;

	if (event < 0 || (unsigned)event >= def->n_events) {
		LOGE(def->ss, "%s: no such %s event %d", fsm_who(fi), def->name, event);
		return -EINVAL;
	}
	if (!fsm_permits(fi, event)) {
		refused_events[def->ss]++;
		LOGW_LIMIT(&event_lim[def->ss], def->ss, "%s: event %s not permitted in state %s",
			   fsm_who(fi), fsm_event_name(def, event), fsm_state_name(def, fi->state));
		return -EPERM;
	}
	LOGD(def->ss, "%s: event %s", fsm_who(fi), fsm_event_name(def, event));
	if (def->states[fi->state].action)
		def->states[fi->state].action(fi, event, data);
	else if (def->action)
		def->action(fi, event, data);
	return 0;
}

void fsm_timer_restart(struct fsm_inst *fi)
{
	if (fi->state >= 0 && (unsigned)fi->state < fi->def->n_states)
		fsm_timer_start(fi, fi->def->states[fi->state].timer);
}

int fsm_timer_running(const struct fsm_inst *fi)
{
	return fi->running;
}

void fsm_timer_start_ms(struct fsm_inst *fi, unsigned ms)
{
	int timer = fi->state >= 0 && (unsigned)fi->state < fi->def->n_states ?
		    fi->def->states[fi->state].timer : 0;

	loop_timer_stop(fi->timer);
	fi->running = 0;
	if (!timer || !ms || !fi->timer)
		return;
	if (loop_timer_start(fi->timer, ms) == 0)
		fi->running = timer;
}
