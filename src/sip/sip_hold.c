/* sipgw - what the B2BUA passes on in an answered call: the other party's
 * hold or resume, by a re-INVITE of ours (RFC 3264 8.4; RFC 2543's
 * c=0.0.0.0 for a party that held that way) and what comes of it; and the
 * other party's INFO (RFC 6086 legacy use). SPDX-License-Identifier: GPL-2.0-only */
#include "sip/sip_internal.h"
#include "sip/sip_caps.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>

#include "core/log.h"

static const char *const hold_names[] = {
	[LEG_HOLD_SENDONLY] = "sendonly", [LEG_HOLD_INACTIVE] = "inactive",
	[LEG_HOLD_NULL_ADDR] = "c=0.0.0.0", [LEG_HOLD_PRI] = "from the PRI",
};

enum leg_hold sip_hold_how(const struct sdp_info *si)
{
	if (si->null_addr)
		return LEG_HOLD_NULL_ADDR;
	return si->dir == SDP_INACTIVE ? LEG_HOLD_INACTIVE : LEG_HOLD_SENDONLY;
}

/* Our offer as the leg stands: held by the other party (we send what it
 * still sends, the far end need not: sendonly; inactive or c=0.0.0.0 when
 * the holder did that), and held by this far end itself (we receive
 * nothing: recvonly, or inactive when both hold). */
int sip_hold_offer(struct sip_leg *sl, char *buf, size_t len)
{
	int far_holds = sl_is(sl, SIP_ST_HELD);
	enum sdp_dir dir;
	int rc;

	if ((rc = sip_t38_offer(sl, buf, len)) != -ENOENT)
		return rc;	/* in T.38 the session is the image stream */
	if (!sl->local_hold)
		dir = far_holds ? SDP_RECVONLY : SDP_SENDRECV;
	else if (sl->local_how == LEG_HOLD_INACTIVE || far_holds)
		dir = SDP_INACTIVE;
	else if (sl->local_how == LEG_HOLD_NULL_ADDR)
		dir = SDP_SENDRECV;	/* the RFC 2543 way: the address says it */
	else
		dir = SDP_SENDONLY;
	sl->offer_null_addr = sl->local_hold && sl->local_how == LEG_HOLD_NULL_ADDR;
	rc = sl_build_sdp(sl, buf, len, dir);
	sl->offer_null_addr = 0;
	return rc;
}

enum sdp_dir sip_hold_answer_dir(const struct sip_leg *sl, enum sdp_dir dir)
{
	if (!sl->local_hold)
		return dir;
	return dir == SDP_SENDRECV ? SDP_SENDONLY : dir == SDP_RECVONLY ? SDP_INACTIVE : dir;
}

/* leg_ops.hold: the other party held the call or took it off hold. */
void sip_leg_hold(struct leg *leg, int held, enum leg_hold how)
{
	struct sip_leg *sl = (struct sip_leg *)leg;
	char sdp[SDP_ANSWER_LEN];

	if (!sl->nh || !(sl_is(sl, SIP_ST_CONFIRMED) || sl_is(sl, SIP_ST_HELD)))
		return;
	if (sl->local_hold == held && (!held || sl->local_how == how))
		return;
	sl->local_hold = held;
	sl->local_how = how;
	if (sip_hold_offer(sl, sdp, sizeof(sdp)) < 0)
		return;
	sl->hold_out = 1;
	LOGI(LSS_SIP, "%s re-INVITE: %s for the other party (%s)", sip_leg_describe(sl),
	     held ? "hold" : "resume", held ? hold_names[how] : "sendrecv");
	nua_invite(sl->nh, SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp), TAG_END());
}

int sip_hold_response(struct sip_leg *sl, int status, sip_t const *sip)
{
	if (!sl->hold_out)
		return 0;
	if (status < 200)
		return 1;
	sl->hold_out = 0;
	if (status < 300) {
		int rc = sip_leg_take_answer(sl, sip);

		LOGI(LSS_SIP, "%s %s re-INVITE answered %d%s", sip_leg_describe(sl),
		     sl->local_hold ? "hold" : "resume", status, rc < 0 ? " without a usable SDP answer" : "");
		return 1;
	}
	/* RFC 3261 14.1: a refused re-INVITE leaves the session as it was;
	 * 481 and 408 mean the dialog is gone (the caller clears it). */
	if (status == 481 || status == 408)
		return 0;
	LOGN(LSS_SIP, "%s %s re-INVITE refused with %d: the session stays as it was", sip_leg_describe(sl),
	     sl->local_hold ? "hold" : "resume", status);
	sl->local_hold = !sl->local_hold;
	return 1;
}

/* Room for an INFO body passed on: DTMF relay, a key press, a short note. */
#define SIP_INFO_MAX 4096

void sip_info_in(struct sip_leg *sl, sip_t const *sip)
{
	const char *ctype = sip && sip->sip_content_type ? sip->sip_content_type->c_type : NULL;
	const char *body = sip && sip->sip_payload ? sip->sip_payload->pl_data : "";
	size_t len = sip && sip->sip_payload ? sip->sip_payload->pl_len : 0;
	unsigned ms;
	char digit;
	int rc;

	if (len > SIP_INFO_MAX) {
		nua_respond(sl->nh, SIP_413_REQUEST_TOO_LARGE, NUTAG_WITH_THIS(sl->ua->nua), TAG_END());
		return;
	}
	rc = call_leg_info(&sl->base, ctype, body, len);
	if (rc == -EAGAIN) {
		nua_respond(sl->nh, SIP_481_NO_TRANSACTION, NUTAG_WITH_THIS(sl->ua->nua), TAG_END());
		return;
	}
	if (rc == 0) {
		nua_respond(sl->nh, SIP_200_OK, NUTAG_WITH_THIS(sl->ua->nua), TAG_END());
		return;
	}
	/* The other party is on the PRI: an INFO's digit goes on as DTMF (tones
	 * or Keypad facility); nothing carries any other INFO there. */
	rc = sip_dtmf_info_parse(ctype, body, len, &digit, &ms);
	if (rc == -ENOENT) {
		/* RFC 3261 21.4.13: what a PRI party can take is a digit */
		nua_respond(sl->nh, SIP_415_UNSUPPORTED_MEDIA, NUTAG_WITH_THIS(sl->ua->nua),
			    SIPTAG_ACCEPT_STR(SIP_CAPS_ACCEPT_INFO), TAG_END());
	} else if (rc) {
		nua_respond(sl->nh, 400, "Bad DTMF Body", NUTAG_WITH_THIS(sl->ua->nua), TAG_END());
	} else {
		nua_respond(sl->nh, SIP_200_OK, NUTAG_WITH_THIS(sl->ua->nua), TAG_END());
		sip_rtp_info_digit(sl, digit, ms ? ms : SIP_INFO_DTMF_MS);
	}
}

void sip_leg_info(struct leg *leg, const char *ctype, const char *body, size_t len)
{
	struct sip_leg *sl = (struct sip_leg *)leg;
	char buf[SIP_INFO_MAX + 1];

	if (!sl->nh || !(sl_is(sl, SIP_ST_CONFIRMED) || sl_is(sl, SIP_ST_HELD)))
		return;
	memcpy(buf, body, len < SIP_INFO_MAX ? len : SIP_INFO_MAX);
	buf[len < SIP_INFO_MAX ? len : SIP_INFO_MAX] = 0;
	nua_info(sl->nh, TAG_IF(ctype, SIPTAG_CONTENT_TYPE_STR(ctype)), TAG_IF(len, SIPTAG_PAYLOAD_STR(buf)),
		 TAG_END());
}
