/* sipgw - the bridge: calls of two legs. It carries a call; where the call
 * goes is routing's decision (src/route/), told through the hooks below.
 * The bridge includes nothing from q931/, sip/ or route/.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_BRIDGE_BRIDGE_H
#define SIPGW_BRIDGE_BRIDGE_H

#include "bridge/leg.h"

struct su_root_s;
struct bridge;
struct stats;

/* Routing's side of a call (a function pointer table the route part
 * registers; DESIGN.md "Routing above the call"). */
struct bridge_route_ops {
	/* A leg on the called side (b or a forked one) failed before the call
	 * was answered; the bridge has already set it aside (it finishes
	 * clearing on its own). status: the SIP final status that failed it
	 * (0: Q.931, timeout, BYE). Return 0 when the call goes on (other forks
	 * still ring, or another leg was placed with call_add_leg); else
	 * -ENOENT with *causep the Q.850 cause to clear the call with. */
	int (*leg_failed)(void *arg, struct call *c, struct leg *leg, int cause, int status,
			  int *causep);
	/* The call is about to be freed: routing drops what it keeps for it. */
	void (*call_ended)(void *arg, struct call *c);
};

struct cdr_record;
/** A call ended: its finished record, to be copied (it goes with the call). */
typedef void (bridge_cdr_h)(void *arg, const struct cdr_record *r);

struct bridge_params {
	struct su_root_s *root;
	unsigned ring_no_answer_ms;	/* a try that nobody answers: CANCEL, cause 19 */
	const struct bridge_route_ops *route;
	void *route_arg;
	bridge_cdr_h *cdr_h;		/* NULL: no CDR */
	void *cdr_arg;
	struct ladder *ladder;		/* each call's legs told to it (core/ladder.h); NULL: none */
};

int bridge_alloc(struct bridge **brp, const struct bridge_params *p);
void bridge_free(struct bridge *br);
/** Clear every call with cause 16 (SIGTERM); idle_h runs when none is left. */
void bridge_shutdown(struct bridge *br, void (*idle_h)(void *arg), void *arg);
/** Destroy every call and its legs at once, with no protocol exchange: the
 * shutdown grace time is over and the far ends did not finish clearing. */
void bridge_drop_calls(struct bridge *br);
unsigned bridge_call_count(const struct bridge *br);
/** A reload: the ring-no-answer time of tries placed from now on. */
void bridge_set_ring_no_answer(struct bridge *br, unsigned ms);
/** The calls' metrics (bridge/call_stats.h) into s, which outlives br. 0,
 * -EALREADY, -EEXIST or -ENOMEM. */
int bridge_metrics_add(struct bridge *br, struct stats *s);

/** A new call around the incoming leg a, which it then owns. 0, -EBUSY
 * (shutting down: no new calls) or -ENOMEM. */
int call_alloc(struct call **cp, struct bridge *br, struct leg *a, const struct leg_setup_info *si);
/** "call 17 [ALERTING]", for log lines (a buffer in the call). */
const char *call_describe(struct call *c);
unsigned call_id(const struct call *c);
const struct leg_setup_info *call_setup_info(const struct call *c);
/** The party of c that is not leg (NULL: leg is not one of its two). */
struct leg *call_peer(const struct call *c, const struct leg *leg);
/** The call's a leg: the side that started it (NULL once gone). */
struct leg *call_caller_leg(const struct call *c);
/** Routing's own data for the call (NULL until set); freed by routing in call_ended. */
void *call_route_data(const struct call *c);
void call_set_route_data(struct call *c, void *data);
/** Take an outgoing leg whose setup is under way: the first becomes the
 * call's b leg, more ring beside it (forking; the first to answer wins).
 * Each one starts the try's ring-no-answer timer again. 0 or -ENOSPC (then
 * the caller releases and destroys the leg). */
int call_add_leg(struct call *c, struct leg *leg);
/** Outgoing legs still in play (b and forks). */
unsigned call_legs_trying(const struct call *c);
/** True once a called leg has alerted (and the call is not answered or clearing). */
int call_alerted(const struct call *c);
struct media_stats;
/** The media figures of the caller's (b = 0) or the called leg (b = 1),
 * taken when that leg went (valid 0 until then or when it keeps none):
 * for the CDR from call_ended. */
const struct media_stats *call_media_stats(const struct call *c, int b);
/** Routing placed a called leg for dial-peer tag (0: a registered phone)
 * with these numbers (as sent; NULL: unchanged from the setup). */
void call_cdr_placed(struct call *c, int dial_peer, const char *called, const char *calling,
		     const char *display);
/** A transfer (RFC 5589): target, an outgoing leg whose setup is under
 * way, rings for the party of the answered call c that is not transferor;
 * when it answers it takes the transferor's place (released, cause 16) and
 * the audio joins; if it fails the call goes on as it was (or clears, when
 * the transferor has left meanwhile). The transferor's xfer_status hears
 * 100, 180, 200 or the failure's status. 0, or -EBUSY (not answered, a
 * transfer already under way; the caller releases the target). */
int call_transfer(struct call *c, struct leg *transferor, struct leg *target);
/** Attended transfer: the party of c2 that is not leave2 takes leave1's
 * place in c1; leave1 and leave2 (the transferor's two legs) are released
 * and c2 ends. 0 or -EBUSY (either call not answered, or in a transfer). */
int call_join(struct call *c1, struct leg *leave1, struct call *c2, struct leg *leave2);
/** RFC 3891: leg (an incoming leg, in no call yet) takes old's place in
 * old's answered call; old is released and leg answered. 0 or -EBUSY. */
int call_replace_leg(struct leg *old, struct leg *leg);
/** True while called legs are tried and none has answered (PROCEEDING, ALERTING). */
int call_ringing(const struct call *c);
/** Stop every called leg (CANCEL with cause) but keep the caller waiting:
 * routing places another with call_add_leg, or clears the call (forwarding
 * on no answer, figure B-12). */
void call_drop_tries(struct call *c, int cause);
/** Clear the whole call with cause (routing found no way, or gave up). */
void call_clear(struct call *c, int cause);

/* Reading the calls (call_info.c), for sipgwctl's show calls and clear
 * call, the CDR and the metrics: nothing here changes a call. */
typedef void (bridge_call_h)(void *arg, struct call *c);
/** h for every call, oldest (lowest id) first; h may clear the call it is
 * given (not others). Returns how many. */
unsigned bridge_foreach_call(struct bridge *br, bridge_call_h *h, void *arg);
/** The call with this id, or NULL. */
struct call *bridge_call_find(struct bridge *br, unsigned id);
/** The call machine's state: "ROUTING", "PROCEEDING", "ALERTING", "ACTIVE", "RELEASING". */
const char *call_state_name(const struct call *c);
/** The called leg taken (b): the first placed, or the one that answered; NULL while routing. */
struct leg *call_called_leg(const struct call *c);
/** The leg that cleared the call first (NULL: not clearing, or the gateway did). */
const struct leg *call_cleared_by(const struct call *c);
/* When things happened, on mono_us()'s clock; 0 = not (yet). */
struct call_times {
	long long setup_us;	/* the caller's setup arrived */
	long long alert_us;	/* a called leg first rang */
	long long answer_us;	/* answered */
};
void call_times(const struct call *c, struct call_times *t);

#endif
