/* sipgw - declared state machines: one row per state, checked transitions.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_CORE_FSM_H
#define SIPGW_CORE_FSM_H

#include <stdint.h>

#include "core/log.h"

struct fsm_state {
	const char *name;
	uint32_t out;	/* bit mask of the states this one may go to */
};

struct fsm_def {
	const char *name;		/* "pri", "sip", "call" */
	enum log_subsys ss;
	const struct fsm_state *states;
	unsigned n_states;
};

#define FSM_BIT(s) (1u << (s))

const char *fsm_state_name(const struct fsm_def *def, int state);
/** Move *statep to next if the table allows it (staying put always is);
 * otherwise log "<who>: transition not permitted: A -> B" (rate-limited per
 * subsystem, LOGW_LIMIT) and return -EPERM; -EINVAL for no such state. */
int fsm_move(const struct fsm_def *def, int *statep, int next, const char *who);

#endif
