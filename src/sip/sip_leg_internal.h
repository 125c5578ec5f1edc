/* sipgw - what sip_leg.c, sip_leg_send.c and sip_leg_nua.c share: the
 * leg machine's action (sip_leg.c sl_action) and the work it hands each
 * event. SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_SIP_SIP_LEG_INTERNAL_H
#define SIPGW_SIP_SIP_LEG_INTERNAL_H

#include "sip/sip_internal.h"

/** leg_ops.describe: "sip 17 [CONFIRMED]". */
const char *sl_describe(struct leg *leg);
/** leg_ops.release: the call releases the leg (SIP_EV_RELEASE). */
void sl_release(struct leg *leg, int cause);

/* What an event from nua carries to the action. */
struct sl_nua_args {
	int status;
	sip_t const *sip;
};

/* leg_ops.setup's arguments and result. */
struct sl_setup_args {
	const struct leg_setup_info *si;
	int *causep;
	int rc;
};

/* sip_leg_send.c */
/** SIP_EV_SETUP: the INVITE for the call's SETUP; a->rc and *a->causep on failure. */
void ev_setup(struct sip_leg *sl, struct sl_setup_args *a);
/** Our INVITE again on a new handle (a 422's Min-SE, SRTP fallback); 1 if sent. */
int sl_invite_again(struct sip_leg *sl, unsigned se_s);
/** A 422 to our INVITE: once, INVITE again with its Min-SE (RFC 4028 6); 1 if sent. */
int sl_retry_422(struct sip_leg *sl, sip_t const *sip);
/** End the dialog from our side with cause: CANCEL, BYE, or a final answer. */
void sl_hangup(struct sip_leg *sl, int cause);
/** SIP_EV_RELEASE: the call asks; TERMINATING without telling it. */
void ev_release(struct sip_leg *sl, int cause);
/** SIP_EV_ALERT, SIP_EV_PROGRESS: 180, or 183 with our SDP when inband. */
void ev_alert(struct sip_leg *sl, int inband);
/** SIP_EV_ANSWER: 200 with our answer. */
void ev_answer(struct sip_leg *sl);

/* sip_leg_nua.c */
/** The cause in a Reason header, or dflt when there is none. */
int sl_reason_cause(sip_t const *sip, int dflt);
/** The leg is over and the call has not heard yet: TERMINATING, and tell it. */
void sl_terminate(struct sip_leg *sl, int cause, int status);
/** Responses to our INVITE: 1xx (RFC 3261 13.2.2.1), 2xx (13.2.2.4), a final failure. */
void ev_r_1xx(struct sip_leg *sl, int status, sip_t const *sip);
void ev_r_2xx(struct sip_leg *sl, int status, sip_t const *sip);
void ev_r_fail(struct sip_leg *sl, int status, sip_t const *sip);
/** nua: the dialog is over; the call hears it if it has not, the leg goes. */
void ev_gone(struct sip_leg *sl, int status, sip_t const *sip);

#endif
