/* sipgw - phone simulator: fax calls (--fax-send, --fax-recv, --fax-mode).
 * g711: a T.30 terminal on the call's RTP audio. t38: the receiving phone
 * re-INVITEs to m=image udptl t38 once the call is up, as a T.38 ATA does
 * when it answers a fax; the sending one accepts such a re-INVITE; then a
 * T.38 terminal runs over UDPTL (T.38 Annex D for the SDP). A re-INVITE to
 * T.38 in g711 mode gets 488 (RFC 3261 13.3.1.4), the fallback sipgw must
 * survive. The sender hangs up after T.30 phase E.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "sim/phone_pcall.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sofia-sip/sip_status.h>

#include "sip/sdp_t38.h"

/* The receiver's re-INVITE waits this long after the answer: the ACK of
 * our 200 has come by then (RFC 3261 14.1: no re-INVITE before it). */
#define PFAX_REINVITE_TICKS 25		/* 20 ms ticks: 500 ms */
#define PFAX_BODY_MAX 4096

/* What we do in T.38 (T.38 D.2.3): version 0, V.17, transferred TCF over
 * UDP, redundancy; what we take in. */
static const struct sdp_t38 pfax_ours = {
	.version = 0, .max_bitrate = T38_DEFAULT_BITRATE, .rate_mgmt = T38_TCF_TRANSFERRED,
	.max_buffer = 2000, .max_datagram = 400, .ec = UDPTL_EC_REDUNDANCY,
};

static int fax_on(const struct phone *ph)
{
	return ph->o.fax_send || ph->o.fax_recv;
}

static int t38_of(const sip_t *sip, struct sdp_t38_info *ti)
{
	char body[PFAX_BODY_MAX];
	size_t n;

	if (!sip || !sip->sip_payload || !sip->sip_payload->pl_data)
		return -ENOENT;
	n = sip->sip_payload->pl_len < sizeof(body) - 1 ? sip->sip_payload->pl_len : sizeof(body) - 1;
	memcpy(body, sip->sip_payload->pl_data, n);
	body[n] = '\0';
	return sdp_t38_parse(ti, body);
}

static const char *t38_sdp(struct pcall *c, char *buf, size_t len, const struct sdp_t38 *t,
			   const struct sdp_t38_info *offer)
{
	int port = pmedia_t38_port(c->media);
	struct sdp_t38_build_params p = {
		.addr = c->ph->o.bind_addr, .port = port < 0 ? 0 : port, .t38 = t,
		.sess_id = c->sess_id, .sess_ver = c->sess_ver++,
		.offer = offer ? &offer->ml : NULL, .offer_image = offer ? offer->image : -1,
	};

	if (sdp_t38_build(buf, len, &p) < 0)
		buf[0] = '\0';
	return buf;
}

void pfax_answered(struct pcall *c)
{
	if (fax_on(c->ph) && !c->ph->o.fax_t38 && pmedia_fax_audio(c->media, c->outgoing) < 0)
		fprintf(stderr, "sipgw-phone: call %d: fax terminal: cannot start\n", c->id);
}

int pfax_reinvite(struct pcall *c, const sip_t *sip)
{
	struct sdp_t38_info ti;
	struct sdp_t38 ans;
	char sdp[SDP_ANSWER_LEN];

	if (t38_of(sip, &ti) < 0 || !ti.port)
		return 0;	/* not an image/t38 offer: the usual re-INVITE */
	if (!fax_on(c->ph) || !c->ph->o.fax_t38 || c->t38 == PT38_ACTIVE) {
		nua_respond(c->nh, SIP_488_NOT_ACCEPTABLE, TAG_END());
		phone_out(c->ph, "EVENT", "call %d t38 refused 488", c->id);
		return 1;
	}
	sdp_t38_answer(&ti.t38, &pfax_ours, &ans);
	if (pmedia_t38_start(c->media, ti.addr, ti.port, &ans, c->outgoing) < 0) {
		nua_respond(c->nh, SIP_488_NOT_ACCEPTABLE, TAG_END());
		phone_out(c->ph, "EVENT", "call %d t38 refused 488", c->id);
		return 1;
	}
	c->t38 = PT38_ACTIVE;
	nua_respond(c->nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
		    SIPTAG_PAYLOAD_STR(t38_sdp(c, sdp, sizeof(sdp), &ans, &ti)), TAG_END());
	phone_out(c->ph, "EVENT", "call %d t38 accepted version=%d rate=%d ec=%s", c->id, ans.version,
		  ans.max_bitrate, udptl_ec_name(ans.ec));
	return 1;
}

int pfax_invite_response(struct pcall *c, int status, const sip_t *sip)
{
	struct sdp_t38_info ti;

	if (c->t38 != PT38_OFFERED)
		return 0;
	if (status < 200)
		return 1;
	if (status < 300 && t38_of(sip, &ti) == 0 && ti.port &&
	    pmedia_t38_start(c->media, ti.addr, ti.port, &ti.t38, c->outgoing) == 0) {
		c->t38 = PT38_ACTIVE;
		phone_out(c->ph, "EVENT", "call %d t38 active version=%d rate=%d ec=%s", c->id,
			  ti.t38.version, ti.t38.max_bitrate, udptl_ec_name(ti.t38.ec));
		return 1;
	}
	/* Refused (488), or a 2xx without a live image stream (the audio goes
	 * on where it was): T.30 on the audio, what a T.38 gateway falls back to. */
	c->t38 = PT38_REFUSED;
	phone_out(c->ph, "EVENT", "call %d t38 refused %d%s, fax on audio", c->id, status,
		  status < 300 ? " (no image stream)" : "");
	pmedia_fax_audio(c->media, c->outgoing);
	return 1;
}

void pfax_tick(struct pcall *c)
{
	const struct phone_opts *o = &c->ph->o;
	char sdp[SDP_ANSWER_LEN];

	if (!fax_on(c->ph) || c->fi.state != PC_ACTIVE)
		return;
	c->fax_ticks++;
	if (o->fax_t38 && o->fax_recv && c->t38 == PT38_NONE && c->fax_ticks >= PFAX_REINVITE_TICKS) {
		c->t38 = PT38_OFFERED;
		phone_out(c->ph, "EVENT", "call %d t38 reinvite", c->id);
		nua_invite(c->nh, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
			   SIPTAG_PAYLOAD_STR(t38_sdp(c, sdp, sizeof(sdp), &pfax_ours, NULL)), TAG_END());
	}
	/* T.30 phase E: the sender goes on-hook (T.30 5.2, after DCN) */
	if (o->fax_send && !c->fax_hung && pmedia_fax_over(c->media)) {
		c->fax_hung = 1;
		pcall_user(c, PCE_HANGUP_AT);
	}
}
