/* sipgw - one side of a call, behind one interface: the bridge drives legs
 * through leg_ops and hears from them through the call_leg_* events below.
 * No Sofia or libpri type appears here. SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_BRIDGE_LEG_H
#define SIPGW_BRIDGE_LEG_H

#include <stddef.h>

#include "dsp/g711.h"

struct call;
struct leg;
struct media_port;

#define LEG_NUM 64

/* A number's type (Q.931 4.5.8 type of number); from SIP always unknown,
 * its E.164 form then starts with '+'. */
enum leg_ton { LEG_TON_UNKNOWN, LEG_TON_INTERNATIONAL, LEG_TON_NATIONAL, LEG_TON_SUBSCRIBER };

/* Why a call was redirected before it reached us (Q.952 redirecting
 * reason, RFC 5806 Diversion reason, RFC 4458 cause). */
enum leg_redirect {
	LEG_REDIR_NONE, LEG_REDIR_UNKNOWN, LEG_REDIR_BUSY, LEG_REDIR_NO_ANSWER, LEG_REDIR_UNCONDITIONAL,
	LEG_REDIR_DEFLECTION, LEG_REDIR_OUT_OF_SERVICE, LEG_REDIR__COUNT
};

/* What the originating side asked for. */
struct leg_setup_info {
	char called[LEG_NUM];
	char calling[LEG_NUM];
	char display[LEG_NUM];
	enum g711_law law;	/* the law the call's PRI side speaks */
	long long t_setup_us;	/* when the setup arrived (CLOCK_MONOTONIC) */
	char source[64];	/* SIP: the address the request came from; PRI: the span's name */
	char auth_user[LEG_NUM];	/* SIP: digest-authenticated user ("" = none) */
	int auth_status;	/* SIP: 0 verified or no credentials; else the refusal they earned (403, 400) */
	int emergency;		/* an emergency number: may take reserved B-channels */
	enum leg_ton calling_ton, called_ton;	/* PRI: as the SETUP said; routing maps them to E.164 */
	int restricted;		/* the caller's number is not to be shown (Q.931 4.5.10
				 * presentation restricted, RFC 3323 Privacy: id) */
	char asserted[LEG_NUM];	/* SIP: the P-Asserted-Identity user (RFC 3325), to be
				 * believed only from a trusted source (routing decides) */
	char redirecting[LEG_NUM];	/* who the call was for before it was redirected ("" = not redirected) */
	enum leg_ton redirecting_ton;
	enum leg_redirect redirect_reason;
	char referred_by[LEG_NUM];	/* a transfer's call: who asked for it (RFC 3892 Referred-By user) */
	struct leg *replaces;	/* SIP: the leg whose dialog the INVITE's Replaces (RFC 3891)
				 * names, a leg sipgw holds (NULL = none) */
};

/* A transfer the far end of a leg asks for (RFC 3515 REFER, RFC 5589; a
 * pre-REFER phone's BYE with Also): the target is routed as if the
 * transferor had dialled it, with the transferor's rights. */
struct leg_transfer {
	char target[LEG_NUM];	/* the Refer-To user: the number to call */
	char referred_by[LEG_NUM];	/* Referred-By user (RFC 3892), else the transferor's From */
	char source[64];	/* the address the REFER came from */
	char auth_user[LEG_NUM];	/* digest-authenticated transferor ("" = none) */
	int auth_status;	/* 0 verified or no credentials; else the refusal they earned */
	struct leg *replaces;	/* attended (Refer-To ?Replaces=, RFC 3891): the leg of another
				 * call sipgw holds that the target party is on (NULL = blind) */
	int gone;		/* BYE/Also: the transferor has left already */
};

/* Redirection as data across the wall (RFC 3261 8.1.3.4, 21.3): the
 * Contacts of a 3xx a called leg got, best q first, for routing to try; or
 * the Contacts routing answers an incoming leg's INVITE with (302/300,
 * release_status). No SIP type: URIs as text, q in thousandths. */
#define LEG_MAX_CONTACTS 8
#define LEG_URI 256
struct leg_contacts {
	int n;
	char uri[LEG_MAX_CONTACTS][LEG_URI];
	int q[LEG_MAX_CONTACTS];	/* 0..1000; 1000 when the Contact has no q */
};

/* How a party holds the call (RFC 3264 8.4, RFC 2543's c=0.0.0.0, Q.931
 * NOTIFY / HOLD): kept when the hold is passed on to the other leg. */
enum leg_hold { LEG_HOLD_SENDONLY, LEG_HOLD_INACTIVE, LEG_HOLD_NULL_ADDR, LEG_HOLD_PRI };

/* What a leg says about itself (leg_ops.status), for sipgwctl's show
 * calls, the CDR and the ladder: text, no Sofia or libpri type. */
struct leg_status {
	char state[32];		/* its state machine's state, by the spec's name */
	char where[80];		/* PRI: "SPAN/CHAN"; SIP: the far end, "udp:192.0.2.1:5060" */
	char span[32];		/* PRI: the span's name ("" for SIP) */
	int chan;		/* PRI: the B-channel (0 = none yet) */
	char call_id[128];	/* SIP: the dialog's Call-ID ("" for PRI) */
	char calling[LEG_NUM];	/* the numbers as this leg signals them */
	char called[LEG_NUM];
	char codec[24];		/* "PCMU", "G722", "T.38", "" = none yet */
	int cause;		/* the Q.850 cause it cleared or failed with (0 = up) */
	int status;		/* SIP: the final status it got or sent (0 = none) */
};

struct leg_ops {
	const char *kind;	/* "pri", "sip" */
	/* Outgoing leg: place the call. 0, or -errno with the Q.850 cause in
	 * *causep (then no events follow, and the caller destroys the leg). */
	int (*setup)(struct leg *leg, const struct leg_setup_info *si, int *causep);
	/* Incoming leg: the far side is ringing; inband: it sends ringback/announcements. */
	void (*alert)(struct leg *leg, int inband);
	/* Incoming leg: early media without ringing (183 / PROGRESS). */
	void (*progress)(struct leg *leg);
	void (*answer)(struct leg *leg);
	/* Clear the leg with a Q.850 cause; the leg reports call_leg_gone() when done. */
	void (*release)(struct leg *leg, int cause);
	/* The other party of the answered call held it (held 1) or took it off
	 * hold (0): tell this leg's far end, the way its protocol can (SIP
	 * re-INVITE, Q.931 NOTIFY). NULL: the protocol has no way. */
	void (*hold)(struct leg *leg, int held, enum leg_hold how);
	/* The other party sent application data in the dialog (SIP INFO,
	 * RFC 6086 legacy use): carry it on, body of len bytes of ctype.
	 * NULL: the protocol has no way. */
	void (*info)(struct leg *leg, const char *ctype, const char *body, size_t len);
	/* The leg's audio port (NULL when it has none yet). */
	struct media_port *(*media)(struct leg *leg);
	/* Free everything; called by the call only after call_leg_gone(). */
	void (*destroy)(struct leg *leg);
	/* "sip 3 [CONFIRMED]": identity and state for log lines. */
	const char *(*describe)(struct leg *leg);
	/* Optional: how the transfer this leg's far end asked for goes, as a SIP
	 * status (100, 180, 200, or the failure's): RFC 3515 2.4.5 NOTIFY sipfrag. */
	void (*xfer_status)(struct leg *leg, int status);
	/* Optional: ask the network to connect this leg's far party with other's
	 * itself, freeing both channels (NI-2/5ESS two B-channel transfer,
	 * DMS-100 release link trunk, ETSI/Q.SIG ECT). 0 asked (the network
	 * then clears both legs); -errno: it has no such service for them. */
	int (*transfer_with)(struct leg *leg, struct leg *other);
	/* Optional: after a transfer the far end talks to someone else, number:
	 * tell it where the protocol can (Q.931 connected number by FACILITY/
	 * NOTIFY, SIP P-Asserted-Identity to a trusted peer), else log it. */
	void (*peer_changed)(struct leg *leg, const char *number);
	/* Optional: fill st (zeroed by the caller) with what the leg knows now. */
	void (*status)(struct leg *leg, struct leg_status *st);
};

struct leg {
	const struct leg_ops *ops;
	struct call *call;
	/* Cause overrides (routing's, core/cause_override.h) need two facts
	 * that cross the wall as data, not as a mapping done in the leg: */
	int cause_from_reason;	/* set by a SIP leg with its failure: the cause it reports
				 * is the far end's own Q.850 cause (Reason header, RFC
				 * 6432), not its status's; no override replaces it */
	int trust_domain;	/* set by routing: the far end is in the RFC 3325 trust domain
				 * (may be told who it talks to) */
	char party[LEG_NUM];	/* set by routing for a transfer: the number of this leg's far
				 * party, which the other side is told it now talks to ("" = none) */
	int release_status;	/* set by routing before it has the call cleared: the SIP
				 * status an incoming SIP leg answers its INVITE with
				 * instead of the cause's RFC 3398 row (0 = that row) */
	struct leg_contacts *contacts;	/* NULL, or (owned by the leg, freed with it): a called
					 * leg's 3xx Contacts; an incoming leg's 3xx answer */
};

/* Events from a leg to its call. */
void call_leg_alerting(struct leg *leg, int inband);
void call_leg_progress(struct leg *leg);
void call_leg_answered(struct leg *leg);
/* The far side failed or cleared the leg. status: the SIP final status that
 * caused it (0 when none: Q.931, timeout, BYE), for dial-peer hunting. */
void call_leg_released(struct leg *leg, int cause, int status);
/* The leg has finished its protocol work; the call may destroy it. */
void call_leg_gone(struct leg *leg);
/* The far side put the call on hold or took it off: the other leg is told
 * (leg_ops.hold) once the call is answered; media is each leg's. */
void call_leg_hold(struct leg *leg, int held, enum leg_hold how);
/* The leg has media now that it had not when the call joined the legs (a
 * delayed offer's answer came in the ACK): join it to the other leg. */
void call_leg_media_ready(struct leg *leg);
/* The far side sent application data (INFO) in the answered call: 0 when
 * the other leg carries it on, -ENOTSUP when it cannot, -EAGAIN when the
 * call is not answered (or clearing). */
int call_leg_info(struct leg *leg, const char *ctype, const char *body, size_t len);

#endif
