/* sipgw - Q.850 cause <-> SIP status (RFC 3398) and the Reason header (RFC 3326, RFC 6432).
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_BRIDGE_CAUSE_H
#define SIPGW_BRIDGE_CAUSE_H

#include <stddef.h>

struct cause_overrides;	/* core/cause_override.h */

/* Q.850 (05/98) table 1 cause values the bridge and SIP code name in code
 * (the q931 side uses libpri's PRI_CAUSE_*, the same values); every value's
 * text is in cause.c. */
#define CAUSE_UNALLOCATED		1	/* Unallocated (unassigned) number */
#define CAUSE_NO_ROUTE_DESTINATION	3	/* No route to destination */
#define CAUSE_NORMAL_CLEARING		16	/* Normal call clearing */
#define CAUSE_USER_BUSY			17	/* User busy */
#define CAUSE_NO_USER_RESPONSE		18	/* No user responding */
#define CAUSE_NO_ANSWER			19	/* No answer from user (user alerted) */
#define CAUSE_SUBSCRIBER_ABSENT		20	/* Subscriber absent */
#define CAUSE_CALL_REJECTED		21	/* Call rejected */
#define CAUSE_REDIRECTION		23	/* Redirection to new destination */
#define CAUSE_NON_SELECTED_USER		26	/* Non-selected user clearing */
#define CAUSE_INVALID_NUMBER_FORMAT	28	/* Invalid number format (address incomplete) */
#define CAUSE_NORMAL_UNSPEC		31	/* Normal, unspecified */
#define CAUSE_NO_CIRCUIT		34	/* No circuit/channel available */
#define CAUSE_NET_OUT_OF_ORDER		38	/* Network out of order */
#define CAUSE_TEMP_FAILURE		41	/* Temporary failure */
#define CAUSE_SWITCH_CONGESTION		42	/* Switching equipment congestion */
#define CAUSE_REQUESTED_CHAN_UNAVAIL	44	/* Requested circuit/channel not available */
#define CAUSE_RESOURCE_UNAVAIL		47	/* Resource unavailable, unspecified */
#define CAUSE_BEARER_NOT_IMPL		65	/* Bearer capability not implemented */
#define CAUSE_RECOVERY_TIMER		102	/* Recovery on timer expiry */
#define CAUSE_INTERWORKING		127	/* Interworking, unspecified */

/* Longest value cause_format_reason() writes, with its NUL. */
#define CAUSE_REASON_MAX	128

/** Q.850 cause for a SIP final failure status (RFC 3398 8.2.6.1); never fails. */
int cause_from_sip_status(int status);
/** SIP failure status for a Q.850 cause (RFC 3398 7.2.4.1); 500 for unlisted causes. */
int cause_to_sip_status(int cause);
/** First Q.850 cause of a Reason header value (RFC 3326 2); 0, -ENOENT (no Q.850
 * reason-value) or -EINVAL (malformed, or a Q.850 cause outside 1..127). */
int cause_from_reason(const char *reason, int *causep);
/** Write `Q.850;cause=N;text="..."` (RFC 6432); 0, -EINVAL (cause outside 1..127)
 * or -ENOSPC. */
int cause_format_reason(char *buf, size_t len, int cause);
/** Q.850 name of a cause ("User busy"); "Unknown cause" for unnamed values. */
const char *cause_name(int cause);
/** Cause to send on the PRI for a SIP failure: the Reason header's Q.850 cause
 * when present and valid (RFC 6432 3), else cause_from_sip_status(status).
 * reason may be NULL. */
int cause_pick(int status, const char *reason);

/* --- Operator overrides (core/cause_override.h, Cisco "set sip-status" /
 * "set pstn-cause"): a row of a dial-peer's table beats the global table's,
 * which beats RFC 3398 (the caller keeps the table's value on -ENOENT).
 * Either table may be NULL. Where they apply is routing's decision
 * (route/route.c). */

/** The override cause for a SIP failure status: 0 with *causep, or -ENOENT
 * when neither table has a row for status. */
int cause_override_from_status(const struct cause_overrides *dp, const struct cause_overrides *global,
			       int status, int *causep);
/** The override SIP status for a cause: 0 with *statusp, or -ENOENT. */
int cause_override_to_status(const struct cause_overrides *dp, const struct cause_overrides *global,
			     int cause, int *statusp);

#endif
