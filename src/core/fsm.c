/* sipgw - declared state machines. SPDX-License-Identifier: GPL-2.0-only */
#include "core/fsm.h"

#include <errno.h>

const char *fsm_state_name(const struct fsm_def *def, int state)
{
	if (state < 0 || (unsigned)state >= def->n_states)
		return "?";
	return def->states[state].name;
}

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
		/* a peer repeating a message out of turn must not flood the log */
		static struct log_limit lim[LSS__COUNT];

		LOGW_LIMIT(&lim[def->ss], def->ss, "%s: transition not permitted: %s -> %s", who,
			   fsm_state_name(def, cur), fsm_state_name(def, next));
		return -EPERM;
	}
	LOGD(def->ss, "%s: %s -> %s", who, fsm_state_name(def, cur), fsm_state_name(def, next));
	*statep = next;
	return 0;
}
