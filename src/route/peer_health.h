/* sipgw - voip peers' health (Cisco "voice-class sip options-keepalive"):
 * which session targets are in service, counted from the answers to the
 * OPTIONS the SIP side sends them. Routing skips a busied-out target at
 * once, with no INVITE and no Timer B wait. No SIP here: the SIP side
 * (sip/sip_keepalive.h) sends the pings and reports each one's status.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_ROUTE_PEER_HEALTH_H
#define SIPGW_ROUTE_PEER_HEALTH_H

#include <stddef.h>

#include "core/dialpeer.h"

#define PH_MAX_TAGS 8		/* dial-peers named in a target's log lines */
#define PH_HOST_LEN 128

/* A target's service state, Cisco's dial-peer "status" under keepalive. */
enum ph_state {
	PH_IN_SERVICE,		/* answering: pinged every up interval */
	PH_BUSIED_OUT,		/* retry pings unanswered in a row: skipped, pinged every down interval */
	PH__COUNT
};

/* One distinct session target of the voip dial-peers that keep it alive. */
struct ph_target {
	char host[PH_HOST_LEN];
	int port;
	int transport;			/* enum dp_transport, what the pings go over */
	int tags[PH_MAX_TAGS];		/* the dial-peers that name it, in config order */
	size_t n_tags;
	unsigned up_ms, down_ms;	/* the first such dial-peer's intervals and counts */
	int retry, recovery;
	enum ph_state state;
	int fails;			/* pings unanswered in a row (in service) */
	int answers;			/* pings answered in a row (busied out) */
	int last_status;		/* the last ping's final status (0: none yet) */
};

struct peer_health;

/** The targets of the voip dial-peers with options_keepalive and an address
 * session target (not "registrar"), one per distinct host:port:transport,
 * all in service. 0 or -ENOMEM; with none, *php is still a valid, empty one. */
int peer_health_alloc(struct peer_health **php, const struct dial_peer *peers, size_t n);
/** A reload: each target of ph that from had too (host, port, transport)
 * keeps from's state and counts, so a busied-out peer stays busied out
 * until its pings say otherwise. from may be NULL. */
void peer_health_take_state(struct peer_health *ph, const struct peer_health *from);
/** True when a and b have the same targets in the same order, with the
 * same intervals, counts and dial-peers (a reload that changed none of
 * them keeps the pingers as they run). */
int peer_health_same(const struct peer_health *a, const struct peer_health *b);
/** Accepts NULL. */
void peer_health_free(struct peer_health *ph);
/** How many targets; 0 for NULL. */
size_t peer_health_count(const struct peer_health *ph);
/** The i-th target (0 .. count-1), NULL past the end. */
const struct ph_target *peer_health_target(const struct peer_health *ph, size_t i);
/** True when a final status to an OPTIONS is a sign of life. Cisco counts
 * any response as alive, even a 4xx (the peer parsed our request); 408 (no
 * response: Timer F or our own deadline) and 503 (the peer says it cannot
 * take calls, RFC 3261 21.5.4, or the network refused our datagram, ICMP)
 * are not. */
int peer_health_answered(int status);
/** Ping of target i finished with status: the up/down counting (logged at
 * NOTICE when the state changes). Returns the ms to the next ping: the up
 * or down interval of the state it is now in. */
unsigned peer_health_report(struct peer_health *ph, size_t i, int status);
/** The state of target i (PH_IN_SERVICE past the end). */
enum ph_state peer_health_state(const struct peer_health *ph, size_t i);
/** 0 when a call may go to host:port over transport (no keepalive on it,
 * or in service); -EHOSTDOWN when it is busied out. ph may be NULL. */
int peer_health_check(const struct peer_health *ph, const char *host, int port, int transport);
/** The state's name for logs ("in service", "busied out"). */
const char *peer_health_state_name(enum ph_state st);

#endif
