/* sipgw - routing above both protocols: where a call goes. Dial-peer
 * selection, hunting (figure B-16), forking to a user's registered phones,
 * the emergency rules (B-22, B-23) and the toll-fraud door (B-19). Routing
 * places each outgoing leg through its kind's factory and hands it to the
 * bridge; when a called leg fails, the bridge asks routing for the next try.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_ROUTE_ROUTE_H
#define SIPGW_ROUTE_ROUTE_H

#include "bridge/leg.h"

struct gw_config;
struct bridge;
struct route;
struct su_root_s;
struct peer_health;

#define ROUTE_URI_LEN 256	/* a registered contact */

/* Where one outgoing leg goes. */
struct route_target {
	int dial_peer;		/* tag; 0 = a registered phone, no dial-peer */
	const char *span;	/* pri: span name */
	const char *number;	/* pri: called number after digit manipulation */
	int plan;		/* pri: type of number | numbering plan */
	const char *calling;	/* pri: calling number as mapped (NULL: the setup info's) */
	int calling_plan;	/* pri: its type of number | numbering plan */
	const char *redirecting;	/* pri: redirecting number as mapped (NULL: none / the setup info's) */
	int redirecting_plan;
	int assert_identity;	/* sip: a peer of the trust domain: tell it who calls (RFC 3325) */
	const struct cfg_enum_list *dtmf_relay;	/* sip: the dial-peer's dtmf-relay (NULL: the global one) */
	const struct dp_codecs *codecs;	/* sip: the dial-peer's codec order (NULL: rtp.codecs) */
	int delayed_offer;		/* sip: the dial-peer's delayed_offer: INVITE without SDP */
	const char *host;	/* sip: the dial-peer's session target */
	int port;
	const char *ruri;	/* sip: a registered contact, used as the Request-URI */
	int transport;		/* sip: enum dp_transport, the dial-peer's session_transport */
	int srtp;		/* sip: enum dp_srtp (0: off) */
};

enum route_leg_kind { ROUTE_LEG_PRI, ROUTE_LEG_SIP, ROUTE_LEG__COUNT };

/** A leg factory: a new outgoing leg towards t, not yet signalled (routing
 * calls its leg_ops.setup). 0, -ENOENT (no such span), -ENOMEM. */
typedef int (route_leg_alloc_h)(void *arg, struct leg **legp, const struct route_target *t);

struct route_factory {
	route_leg_alloc_h *alloc;
	void *arg;
};

/** Every live contact of user, newest first, at most max; returns how many. */
typedef int (route_contacts_h)(void *arg, const char *user, char uris[][ROUTE_URI_LEN], int max);

struct cfg_gen;

struct route_params {
	const struct gw_config *cfg;	/* a config that never changes (tests); or: */
	struct cfg_gen *gen;		/* the current generation (route_set_config changes it) */
	struct bridge *br;		/* carries the calls (set later with route_set_bridge) */
	struct route_factory legs[ROUTE_LEG__COUNT];
	route_contacts_h *contacts_h;	/* NULL: no registrar */
	void *contacts_arg;
	struct su_root_s *root;		/* forwarding's ring timers (NULL: no forwarding on no answer) */
	const struct peer_health *health;	/* voip targets' keepalive state (NULL: all in service) */
};

int route_alloc(struct route **rp, const struct route_params *p);
/** Logs the post-dial delay summary. */
void route_free(struct route *r);
void route_set_bridge(struct route *r, struct bridge *br);
/** New calls are routed by gen from now on (a reload); each call up keeps
 * the generation it started with (its reference) to its end. The route
 * takes a reference on gen and drops the one on the generation before. */
void route_set_config(struct route *r, struct cfg_gen *gen);
/** A reload: the voip targets' keepalive state from now on (NULL: none). */
void route_set_health(struct route *r, const struct peer_health *health);
/** Calls routing looks after now (the reload's "calls up: N kept"). */
unsigned route_calls_up(const struct route *r);
/** Take the users' forwarding (forward_*, redirect, pstn) from cfg, a fresh
 * read of the file (SIGUSR1); calls under way keep what they started with. */
void route_forward_reload(struct route *r, const struct gw_config *cfg);
/** The hooks the bridge calls (bridge_params.route, with the route as arg). */
extern const struct bridge_route_ops route_bridge_ops;

/** The toll-fraud door alone (sip_door_h), before anything of the INVITE
 * but who sends it is looked at: 0 through (an emergency number, a trusted
 * source, good credentials); -EACCES credentials due or bad (407); -EPERM
 * with *causep (403, no registrar to challenge with). Logs a refusal. */
int route_door_sip(void *arg, const struct leg_setup_info *si, int *causep);
/** An INVITE arrived (sip_incoming_h): the toll-fraud door, then a registered
 * phone or the pots dial-peers. 0 taken; -EACCES credentials needed; else
 * -errno with the cause in *causep. */
int route_incoming_sip(void *arg, struct leg *leg, const struct leg_setup_info *si, int *causep);
/** Overlap receiving (span_number_h): 1 when the called number so far is
 * complete for the voip dial-peers (none could match a longer one), else 0. */
int route_number_complete(void *arg, const char *number);
/** A call arrived on a PRI span (span_incoming_h): the voip dial-peers. */
int route_incoming_pri(void *arg, struct leg *leg, const struct leg_setup_info *si, int *causep);

/* What routing did or would do, for sipgwctl (route_info.c). */
struct call;
struct dial_peer;
/** The tag of the dial-peer leg was placed for in call c (0: a registered
 * phone, or a leg routing did not place, such as the caller's). */
int route_call_dial_peer(const struct call *c, const struct leg *leg);

/* One dial-peer a number would hunt (Cisco "show dialplan number"). */
struct route_match {
	const struct dial_peer *dp;
	int score;		/* dp_pattern_match(): the longer the explicit match, the higher */
	int busied_out;		/* voip: its session target is busied out by keepalive: skipped */
	int registrar;		/* voip: "session target registrar": the number's registered phones */
	char number[64];	/* pots: the called number sent after digit manipulation; voip: as dialled */
};
/** The dial-peers of type (DP_VOIP: a call from a span; DP_POTS: from SIP)
 * a call to number hunts, in the order routing tries them (the same
 * dp_lookup() as route_call_start), at most max; returns how many. */
size_t route_match(const struct route *r, const char *number, int type, struct route_match *out, size_t max);
/** The most dial-peers one call hunts (more matching ones are never tried). */
size_t route_max_hunt(void);

#endif
