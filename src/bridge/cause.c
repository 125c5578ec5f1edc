/* sipgw - Q.850 cause <-> SIP status tables (RFC 3398) and Reason header (RFC 3326/6432).
 * SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "bridge/cause.h"
#include "core/cause_override.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct cause_status_map {
	int status;
	int cause;
};

/* RFC 3398 8.2.6.1, SIP final response -> ISDN cause. Rows marked "local" are
 * not in the RFC's table: it leaves 487 unmapped and 488/606 to the Warning
 * header; we follow the common gateway practice (Cisco, HP) instead. */
static const struct cause_status_map sip_to_cause[] = {
	{ 400, 41 },	/* Bad Request -> Temporary failure */
	{ 401, 21 },	/* Unauthorized -> Call rejected */
	{ 402, 21 },	/* Payment required -> Call rejected */
	{ 403, 21 },	/* Forbidden -> Call rejected */
	{ 404, 1 },	/* Not found -> Unallocated number */
	{ 405, 63 },	/* Method not allowed -> Service or option unavailable */
	{ 406, 79 },	/* Not acceptable -> Service/option not implemented */
	{ 407, 21 },	/* Proxy authentication required -> Call rejected */
	{ 408, 102 },	/* Request timeout -> Recovery on timer expiry */
	{ 410, 22 },	/* Gone -> Number changed */
	{ 413, 127 },	/* Request entity too large -> Interworking */
	{ 414, 127 },	/* Request-URI too long -> Interworking */
	{ 415, 79 },	/* Unsupported media type -> Service/option not implemented */
	{ 416, 127 },	/* Unsupported URI scheme -> Interworking */
	{ 420, 127 },	/* Bad extension -> Interworking */
	{ 421, 127 },	/* Extension required -> Interworking */
	{ 423, 127 },	/* Interval too brief -> Interworking */
	{ 480, 18 },	/* Temporarily unavailable -> No user responding */
	{ 481, 41 },	/* Call/transaction does not exist -> Temporary failure */
	{ 482, 25 },	/* Loop detected -> Exchange routing error */
	{ 483, 25 },	/* Too many hops -> Exchange routing error */
	{ 484, 28 },	/* Address incomplete -> Invalid number format */
	{ 485, 1 },	/* Ambiguous -> Unallocated number */
	{ 486, 17 },	/* Busy here -> User busy */
	{ 487, 127 },	/* Request terminated -> Interworking (local) */
	{ 488, 127 },	/* Not acceptable here -> Interworking (local) */
	{ 500, 41 },	/* Server internal error -> Temporary failure */
	{ 501, 79 },	/* Not implemented -> Service/option not implemented */
	{ 502, 38 },	/* Bad gateway -> Network out of order */
	{ 503, 41 },	/* Service unavailable -> Temporary failure */
	{ 504, 102 },	/* Server time-out -> Recovery on timer expiry */
	{ 505, 127 },	/* Version not supported -> Interworking */
	{ 513, 127 },	/* Message too large -> Interworking */
	{ 600, 17 },	/* Busy everywhere -> User busy */
	{ 603, 21 },	/* Decline -> Call rejected */
	{ 604, 1 },	/* Does not exist anywhere -> Unallocated number */
	{ 606, 58 },	/* Not acceptable -> Bearer capability not available (local) */
};

struct cause_class_map {
	int lo, hi;
	int cause;
};

/* Statuses the table above does not list. RFC 3261 8.1.3.2 would treat them as
 * x00 (4xx -> 41, a retry invitation), but an unknown 4xx is a refusal of this
 * request by the far end, so Call rejected tells the PBX not to retry; an
 * unknown 5xx is a server or network failure (Network out of order, as for
 * 502); an unknown 6xx is a global refusal (607 Unwanted, 608 Rejected), so
 * Call rejected again. A 3xx (sipgw follows no redirection, issue 7) is
 * Redirection to new destination. Anything else (1xx, 2xx, garbage) is an
 * interworking failure. The last row is the default. */
static const struct cause_class_map sip_class_to_cause[] = {
	{ 300, 399, CAUSE_REDIRECTION },	/* a redirection we do not follow */
	{ 400, 499, CAUSE_CALL_REJECTED },
	{ 500, 599, CAUSE_NET_OUT_OF_ORDER },
	{ 600, 699, CAUSE_CALL_REJECTED },
	{ 0, 0, CAUSE_INTERWORKING },	/* default */
};

struct cause_to_status_map {
	int cause;
	int status;
};

/* RFC 3398 7.2.4.1, ISDN cause -> SIP final response. Rows marked "local" are
 * not in the RFC's table. */
static const struct cause_to_status_map cause_to_sip[] = {
	{ 1, 404 },	/* Unallocated number -> Not found */
	{ 2, 404 },	/* No route to network -> Not found */
	{ 3, 404 },	/* No route to destination -> Not found */
	{ 16, 480 },	/* Normal clearing: a BYE once answered (RFC 3398 note *);
			 * before answer -> Temporarily unavailable (local) */
	{ 17, 486 },	/* User busy -> Busy here */
	{ 18, 408 },	/* No user responding -> Request timeout */
	{ 19, 480 },	/* No answer from user -> Temporarily unavailable */
	{ 20, 480 },	/* Subscriber absent -> Temporarily unavailable */
	{ 21, 403 },	/* Call rejected -> Forbidden */
	{ 22, 410 },	/* Number changed -> Gone */
	{ 23, 410 },	/* Redirection to new destination -> Gone */
	{ 26, 404 },	/* Non-selected user clearing -> Not found */
	{ 27, 502 },	/* Destination out of order -> Bad gateway */
	{ 28, 484 },	/* Invalid number format -> Address incomplete */
	{ 29, 501 },	/* Facility rejected -> Not implemented */
	{ 31, 480 },	/* Normal, unspecified -> Temporarily unavailable */
	{ 34, 503 },	/* No circuit available -> Service unavailable */
	{ 38, 503 },	/* Network out of order -> Service unavailable */
	{ 41, 503 },	/* Temporary failure -> Service unavailable */
	{ 42, 503 },	/* Switching equipment congestion -> Service unavailable */
	{ 47, 503 },	/* Resource unavailable -> Service unavailable */
	{ 55, 403 },	/* Incoming calls barred within CUG -> Forbidden */
	{ 57, 403 },	/* Bearer capability not authorized -> Forbidden */
	{ 58, 503 },	/* Bearer capability not available -> Service unavailable */
	{ 65, 488 },	/* Bearer capability not implemented -> Not acceptable here */
	{ 69, 501 },	/* Requested facility not implemented -> Not implemented (local) */
	{ 70, 488 },	/* Only restricted digital available -> Not acceptable here */
	{ 79, 501 },	/* Service/option not implemented -> Not implemented */
	{ 87, 403 },	/* User not member of CUG -> Forbidden */
	{ 88, 503 },	/* Incompatible destination -> Service unavailable */
	{ 102, 504 },	/* Recovery on timer expiry -> Server time-out */
	{ 111, 500 },	/* Protocol error -> Server internal error */
	{ 127, 500 },	/* Interworking -> Server internal error */
	{ 0, 500 },	/* default: Server internal error */
};

struct cause_name_row {
	int cause;
	const char *name;
};

/* ITU-T Q.850 (05/98) table 1; the last row is the default. */
static const struct cause_name_row cause_names[] = {
	{ 1, "Unallocated (unassigned) number" },
	{ 2, "No route to specified transit network" },
	{ 3, "No route to destination" },
	{ 4, "Send special information tone" },
	{ 5, "Misdialled trunk prefix" },
	{ 6, "Channel unacceptable" },
	{ 7, "Call awarded and being delivered in an established channel" },
	{ 8, "Preemption" },
	{ 9, "Preemption - circuit reserved for reuse" },
	{ 16, "Normal call clearing" },
	{ 17, "User busy" },
	{ 18, "No user responding" },
	{ 19, "No answer from user (user alerted)" },
	{ 20, "Subscriber absent" },
	{ 21, "Call rejected" },
	{ 22, "Number changed" },
	{ 23, "Redirection to new destination" },
	{ 25, "Exchange routing error" },
	{ 26, "Non-selected user clearing" },
	{ 27, "Destination out of order" },
	{ 28, "Invalid number format (address incomplete)" },
	{ 29, "Facility rejected" },
	{ 30, "Response to STATUS ENQUIRY" },
	{ 31, "Normal, unspecified" },
	{ 34, "No circuit/channel available" },
	{ 38, "Network out of order" },
	{ 39, "Permanent frame mode connection out of service" },
	{ 40, "Permanent frame mode connection operational" },
	{ 41, "Temporary failure" },
	{ 42, "Switching equipment congestion" },
	{ 43, "Access information discarded" },
	{ 44, "Requested circuit/channel not available" },
	{ 46, "Precedence call blocked" },
	{ 47, "Resource unavailable, unspecified" },
	{ 49, "Quality of service not available" },
	{ 50, "Requested facility not subscribed" },
	{ 53, "Outgoing calls barred within CUG" },
	{ 55, "Incoming calls barred within CUG" },
	{ 57, "Bearer capability not authorized" },
	{ 58, "Bearer capability not presently available" },
	{ 62, "Inconsistency in designated outgoing access information and subscriber class" },
	{ 63, "Service or option not available, unspecified" },
	{ 65, "Bearer capability not implemented" },
	{ 66, "Channel type not implemented" },
	{ 69, "Requested facility not implemented" },
	{ 70, "Only restricted digital information bearer capability is available" },
	{ 79, "Service or option not implemented, unspecified" },
	{ 81, "Invalid call reference value" },
	{ 82, "Identified channel does not exist" },
	{ 83, "A suspended call exists, but this call identity does not" },
	{ 84, "Call identity in use" },
	{ 85, "No call suspended" },
	{ 86, "Call having the requested call identity has been cleared" },
	{ 87, "User not member of CUG" },
	{ 88, "Incompatible destination" },
	{ 90, "Non-existent CUG" },
	{ 91, "Invalid transit network selection" },
	{ 95, "Invalid message, unspecified" },
	{ 96, "Mandatory information element is missing" },
	{ 97, "Message type non-existent or not implemented" },
	{ 98, "Message not compatible with call state or message type non-existent or not implemented" },
	{ 99, "Information element/parameter non-existent or not implemented" },
	{ 100, "Invalid information element contents" },
	{ 101, "Message not compatible with call state" },
	{ 102, "Recovery on timer expiry" },
	{ 103, "Parameter non-existent or not implemented, passed on" },
	{ 110, "Message with unrecognized parameter, discarded" },
	{ 111, "Protocol error, unspecified" },
	{ 127, "Interworking, unspecified" },
	{ 0, "Unknown cause" },	/* default */
};

int cause_from_sip_status(int status)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sip_to_cause); i++) {
		if (sip_to_cause[i].status == status)
			return sip_to_cause[i].cause;
	}
	for (i = 0; i < ARRAY_SIZE(sip_class_to_cause) - 1; i++) {
		if (status >= sip_class_to_cause[i].lo && status <= sip_class_to_cause[i].hi)
			return sip_class_to_cause[i].cause;
	}
	return sip_class_to_cause[ARRAY_SIZE(sip_class_to_cause) - 1].cause;
}

int cause_to_sip_status(int cause)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cause_to_sip) - 1; i++) {
		if (cause_to_sip[i].cause == cause)
			return cause_to_sip[i].status;
	}
	return cause_to_sip[ARRAY_SIZE(cause_to_sip) - 1].status;
}

/* The row naming cause, or the default row. */
static const struct cause_name_row *cause_name_find(int cause)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cause_names) - 1; i++) {
		if (cause_names[i].cause == cause)
			return &cause_names[i];
	}
	return &cause_names[ARRAY_SIZE(cause_names) - 1];
}

const char *cause_name(int cause)
{
	return cause_name_find(cause)->name;
}

/* --- Reason header (RFC 3326 2):
 *   reason-value = protocol *(SEMI reason-params)
 *   reason-params = "cause" EQUAL 1*DIGIT / "text" EQUAL quoted-string / generic-param
 * The scanner below never steps over the terminating NUL. */

static int is_lws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* RFC 3261 25.1 token characters. */
static int is_token(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("-.!%*_+`'~", c) != NULL);
}

static const char *skip_lws(const char *p)
{
	while (is_lws(*p))
		p++;
	return p;
}

/* Token at *pp: start and length; -EINVAL when empty. */
static int scan_token(const char **pp, const char **startp, size_t *lenp)
{
	const char *p = *pp;

	*startp = p;
	while (is_token(*p))
		p++;
	if (p == *startp)
		return -EINVAL;
	*lenp = p - *startp;
	*pp = p;
	return 0;
}

/* quoted-string at *pp (RFC 3261 25.1, with quoted-pair); -EINVAL if unterminated. */
static int scan_quoted(const char **pp)
{
	const char *p = *pp + 1;

	for (;;) {
		if (*p == '\0')
			return -EINVAL;
		if (*p == '"')
			break;
		if (*p == '\\') {
			p++;
			if (*p == '\0')
				return -EINVAL;
		}
		p++;
	}
	*pp = p + 1;
	return 0;
}

/* "cause" value: 1..127, digits only. */
static int parse_cause(const char *s, size_t len, int *causep)
{
	int v = 0;
	size_t i;

	if (len == 0)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (s[i] - '0');
		if (v > 127)
			return -EINVAL;
	}
	if (v < 1)
		return -EINVAL;
	*causep = v;
	return 0;
}

int cause_from_reason(const char *reason, int *causep)
{
	const char *p = reason;
	int rc;

	if (!reason)
		return -ENOENT;
	p = skip_lws(p);
	if (*p == '\0')
		return -ENOENT;

	for (;;) {
		const char *proto, *name, *val;
		size_t proto_len, name_len, val_len;
		int q850, have_cause = 0, cause = 0;

		p = skip_lws(p);
		rc = scan_token(&p, &proto, &proto_len);
		if (rc < 0)
			return rc;
		q850 = proto_len == 5 && strncasecmp(proto, "Q.850", 5) == 0;

		for (;;) {
			p = skip_lws(p);
			if (*p != ';')
				break;
			p = skip_lws(p + 1);
			rc = scan_token(&p, &name, &name_len);
			if (rc < 0)
				return rc;
			p = skip_lws(p);
			if (*p != '=')
				continue;	/* generic-param without a value */
			p = skip_lws(p + 1);
			val = p;
			if (*p == '"')
				rc = scan_quoted(&p);
			else
				rc = scan_token(&p, &val, &val_len);
			if (rc < 0)
				return rc;
			val_len = p - val;
			if (val_len >= 2 && *val == '"') {
				/* tolerate cause="16" */
				val++;
				val_len -= 2;
			}
			if (q850 && !have_cause && name_len == 5 && strncasecmp(name, "cause", 5) == 0) {
				rc = parse_cause(val, val_len, &cause);
				if (rc < 0)
					return rc;
				have_cause = 1;
			}
		}
		if (*p != ',' && *p != '\0')
			return -EINVAL;
		if (q850) {
			/* the first Q.850 reason-value decides (RFC 6432 3: one per protocol) */
			if (!have_cause)
				return -EINVAL;
			*causep = cause;
			return 0;
		}
		if (*p == '\0')
			return -ENOENT;
		p++;
	}
}

int cause_format_reason(char *buf, size_t len, int cause)
{
	const struct cause_name_row *row;
	int n;

	if (cause < 1 || cause > 127)
		return -EINVAL;
	row = cause_name_find(cause);
	/* no text= for a value Q.850 does not name: "Unknown cause" says nothing */
	if (row->cause == 0)
		n = snprintf(buf, len, "Q.850;cause=%d", cause);
	else
		n = snprintf(buf, len, "Q.850;cause=%d;text=\"%s\"", cause, row->name);
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	return 0;
}

int cause_pick(int status, const char *reason)
{
	int cause;

	if (cause_from_reason(reason, &cause) == 0)
		return cause;
	return cause_from_sip_status(status);
}

/* --- Overrides: a few rows each, searched in order; config refuses a key
 * mapped twice, so the first match is the only one. */

static const struct cause_override_row *ov_find(const struct cause_override_row *rows, int n, int by_status,
						int key)
{
	for (int i = 0; i < n; i++)
		if ((by_status ? rows[i].status : rows[i].cause) == key)
			return &rows[i];
	return NULL;
}

int cause_override_from_status(const struct cause_overrides *dp, const struct cause_overrides *global,
			       int status, int *causep)
{
	const struct cause_overrides *t[2] = { dp, global };

	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		const struct cause_override_row *row;

		if (t[i] && (row = ov_find(t[i]->sip_to_pstn, t[i]->n_sip_to_pstn, 1, status))) {
			*causep = row->cause;
			return 0;
		}
	}
	return -ENOENT;
}

int cause_override_to_status(const struct cause_overrides *dp, const struct cause_overrides *global,
			     int cause, int *statusp)
{
	const struct cause_overrides *t[2] = { dp, global };

	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		const struct cause_override_row *row;

		if (t[i] && (row = ov_find(t[i]->pstn_to_sip, t[i]->n_pstn_to_sip, 0, cause))) {
			*statusp = row->status;
			return 0;
		}
	}
	return -ENOENT;
}
