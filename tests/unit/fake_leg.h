/* sipgw - unit tests: fake legs and leg factories for the call and route
 * suites. A fake leg does no protocol work: it writes what it is told into
 * one ladder (the order a voice engineer reads a trace in) and reports back
 * only when the test makes it.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_TESTS_FAKE_LEG_H
#define SIPGW_TESTS_FAKE_LEG_H

#include "bridge/leg.h"
#include "route/route.h"
#include "rtp/media.h"

#define FAKE_NAME_LEN 128
#define FAKE_FACTORY_MAX 16

struct fake_leg {
	struct leg leg;
	char name[FAKE_NAME_LEN];	/* what the ladder calls it: "A", "dp10 span pbx-a 5555" */
	int setup_rc, setup_cause;	/* what leg_ops.setup returns (0: placed) */
	int released;			/* the call told it to release (fake_finish() ends it) */
	int release_cause;
	int emergency;			/* setup saw leg_setup_info.emergency */
	char calling[64];		/* setup saw this leg_setup_info.calling */
	int has_port;			/* leg_ops.media gives port (else NULL: no media) */
	struct media_port port;
	struct fake_leg *next;		/* every leg not yet destroyed */
};

/** Start a new ladder and destroyed count (legs still alive stay so). */
void fake_reset(void);
/** What the legs were told so far, one line each: "<name> setup", "<name>
 * setup: cause 34", "<name> alert", "<name> alert inband", "<name>
 * progress", "<name> answer", "<name> release 17", "<name> release 17 answering
 * 503" (routing set leg.release_status, a cause override). */
const char *fake_ladder(void);
unsigned fake_alive(void);
/** fl has not been destroyed (fl is only compared, never read). */
int fake_is_alive(const struct fake_leg *fl);
unsigned fake_destroyed(void);

/** A new fake leg of kind "pri" or "sip" (routing's glare rule reads the kind). */
struct fake_leg *fake_leg_new(const char *kind, const char *name);
/** A leg still alive by its ladder name, or NULL. */
struct fake_leg *fake_find(const char *name);
/** The leg has finished its protocol work: call_leg_gone(). */
void fake_gone(struct fake_leg *fl);
/** Every leg told to release finishes (call_leg_gone), as real legs do once
 * the far end answers the DISCONNECT / BYE / CANCEL; returns how many. */
unsigned fake_finish(void);
/** Destroy every fake leg still there (a test that failed half way). */
void fake_cleanup(void);

/** A leg factory for routing (route_leg_alloc_h with a struct fake_factory
 * as arg): the legs it makes are named after their target, and the n-th one
 * made answers setup with setup[n]. */
struct fake_factory {
	const char *kind;			/* "pri" or "sip" */
	struct { int rc, cause; } setup[FAKE_FACTORY_MAX];
	const char *no_span[4];			/* pri: spans the config names that do not run (-ENOENT) */
	struct fake_leg *made[FAKE_FACTORY_MAX];
	int n_made;
};

int fake_factory_alloc(void *arg, struct leg **legp, const struct route_target *t);

#endif
