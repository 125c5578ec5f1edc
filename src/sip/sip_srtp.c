/* sipgw - a SIP leg's SRTP (RFC 3711) with SDES keys in its SDP (RFC 4568):
 * what each offer and answer carries, and the policy. Keys cross in the
 * SDP, so only a dialog signalled over TLS gets them (RFC 4568 8.3):
 *   incoming RTP/SAVP(F) over TLS: answered in kind with a=crypto;
 *   incoming RTP/SAVP(F) over UDP/TCP: 488, Warning 305;
 *   incoming RTP/AVP with a=crypto ("best effort"): SRTP over TLS, plain
 *   RTP/AVP without a=crypto over UDP/TCP;
 *   outgoing per dial-peer srtp: off RTP/AVP; mandatory RTP/SAVP, a call
 *   that cannot have it fails; optional RTP/SAVP, and after a 488 or 415
 *   once more as RTP/AVP (Cisco "srtp fallback").
 * SPDX-License-Identifier: GPL-2.0-only */
#include "sip/sip_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "rtp/rtp.h"
#include "rtp/srtp.h"
#include "sip/sip_listen.h"

/* sip_leg_params.transport is an enum sip_tp, config's an enum dp_transport */
_Static_assert((int)SIP_TP_TLS == (int)DP_TP_TLS, "one numbering of transports");

static const char *const srtp_state_names[SIP_SRTP__COUNT] = {
	[SIP_SRTP_PLAIN] = "plain", [SIP_SRTP_OFFERED] = "offered",
	[SIP_SRTP_ON] = "on", [SIP_SRTP_FALLBACK] = "fallback",
};

static void srtp_move(struct sip_leg *sl, enum sip_srtp_state next)
{
	LOGD(LSS_SIP, "%s SRTP %s -> %s", sip_leg_describe(sl), srtp_state_names[sl->srtp.state],
	     srtp_state_names[next]);
	sl->srtp.state = next;
}

int sip_srtp_over_tls(sip_t const *request, int dp_transport)
{
	/* nta checks that the top Via names the transport the request came
	 * on ("Via check: invalid transport") and drops it otherwise, so a
	 * peer on UDP cannot claim TLS here. */
	if (request)
		return request->sip_via && request->sip_via->v_protocol &&
		       !strcasecmp(request->sip_via->v_protocol, sip_transport_tls);
	return dp_transport == DP_TP_TLS;
}

void sip_srtp_init_uac(struct sip_leg *sl, int dp_transport, int policy)
{
	sl->srtp.tls = sip_srtp_over_tls(NULL, dp_transport);
	/* config refuses srtp without tls (load_peer_sip); a leg never offers
	 * keys in clear whatever it is given */
	sl->srtp.policy = sl->srtp.tls ? policy : DP_SRTP_OFF;
}

void sip_srtp_init_uas(struct sip_leg *sl, sip_t const *sip)
{
	sl->srtp.tls = sip_srtp_over_tls(sip, 0);
	sl->srtp.policy = DP_SRTP_OFF;
}

int sip_srtp_check_offer(sip_t const *sip, const struct sdp_info *offer, const char **textp)
{
	if (!sdp_proto_secure(offer->proto))
		return 0;	/* RTP/AVP, a=crypto or not: answered plain over a clear transport */
	if (!sip_srtp_over_tls(sip, 0)) {
		*textp = "SRTP keys over a clear transport";
		return -EPROTO;
	}
	if (!offer->n_crypto) {
		*textp = offer->n_crypto_lines ? "no a=crypto we take (AES_CM_128_HMAC_SHA1_80 or _32, "
						 "one inline key, no MKI)"
					       : "RTP/SAVP without a=crypto";
		return -EPROTO;
	}
	return 0;
}

/* The far end's line for our offered ones: its tag and suite ours (RFC
 * 4568 7.1.3: the answer echoes the tag it took). */
static const struct sdp_crypto *srtp_answer_line(const struct sip_srtp *s, const struct sdp_info *si, int *localp)
{
	for (int i = 0; i < si->n_crypto; i++)
		for (int j = 0; j < s->n_local; j++)
			if (si->crypto[i].tag == s->local[j].tag && si->crypto[i].key.suite == s->local[j].key.suite) {
				*localp = j;
				return &si->crypto[i];
			}
	return NULL;
}

/* In a running SRTP session, the far end's line of our suite: the tag we
 * agreed if it is there, else the first of that suite (a re-offer may
 * number its lines anew). */
static const struct sdp_crypto *srtp_same_suite(const struct sip_srtp *s, const struct sdp_info *si)
{
	const struct sdp_crypto *any = NULL;

	for (int i = 0; i < si->n_crypto; i++) {
		if (si->crypto[i].key.suite != s->local[0].key.suite)
			continue;
		if (si->crypto[i].tag == s->local[0].tag)
			return &si->crypto[i];
		if (!any)
			any = &si->crypto[i];
	}
	return any;
}

/* SRTP on: our key tx, theirs rx, on the leg's RTP session; proto the
 * profile it runs under (RTP/SAVP, or RTP/AVP for a best-effort offer). */
static int srtp_start(struct sip_leg *sl, const struct sdp_crypto *local, const struct sdp_crypto *remote,
		      enum sdp_proto proto)
{
	struct rtp_srtp *ctx;
	int rc = rtp_srtp_alloc(&ctx, &local->key, &remote->key);

	if (rc) {
		LOGE(LSS_SIP, "%s SRTP context: %s", sip_leg_describe(sl), strerror(-rc));
		return -EKEYREJECTED;
	}
	rtp_set_srtp(sl->rtp, ctx);
	sl->srtp.local[0] = *local;
	sl->srtp.n_local = 1;
	srtp_move(sl, SIP_SRTP_ON);
	LOGI(LSS_SIP, "%s SRTP %s, tag %lu (%s)", sip_leg_describe(sl), rtp_srtp_suite_name(local->key.suite),
	     local->tag, sdp_proto_name(proto));
	return 0;
}

/* Our answer to the first offer of a UAS leg: the offerer's first line we
 * can use (its order is its preference, RFC 4568 7.1.1), our own fresh
 * key of that suite under its tag. The answer keeps the profile offered
 * (sl->proto: RTP/SAVP, RTP/SAVPF, or a best-effort RTP/AVP with a=crypto). */
static int srtp_take_offer(struct sip_leg *sl, const struct sdp_info *si)
{
	struct sdp_crypto local = { .tag = si->crypto[0].tag };

	if (rtp_srtp_key_random(&local.key, si->crypto[0].key.suite)) {
		LOGE(LSS_SIP, "%s no random SRTP key", sip_leg_describe(sl));
		return -EKEYREJECTED;
	}
	return srtp_start(sl, &local, &si->crypto[0], si->proto);
}

int sip_srtp_take(struct sip_leg *sl, const struct sdp_info *si)
{
	struct sip_srtp *s = &sl->srtp;
	int secure = sdp_proto_secure(si->proto), j = 0, rc;
	const struct sdp_crypto *c;

	if (!s->tls) {
		/* never keys over a clear transport; a best-effort offer's
		 * a=crypto is left unanswered and RTP/AVP it is */
		if (secure)
			LOGN(LSS_SIP, "%s %s over a clear transport refused", sip_leg_describe(sl),
			     sdp_proto_name(si->proto));
		return secure ? -EPROTONOSUPPORT : 0;
	}
	switch (s->state) {
	case SIP_SRTP_OFFERED:
		/* the answer to our RTP/SAVP offer */
		if ((c = srtp_answer_line(s, si, &j)))
			return srtp_start(sl, &s->local[j], c, si->proto);
		if (s->policy == DP_SRTP_MANDATORY || secure) {
			LOGN(LSS_SIP, "%s answer %s without a key for our a=crypto: refused (srtp %s)",
			     sip_leg_describe(sl), sdp_proto_name(si->proto),
			     s->policy == DP_SRTP_MANDATORY ? "mandatory" : "optional");
			return -EKEYREJECTED;
		}
		/* srtp optional, answered plain RTP/AVP: a plain call */
		LOGN(LSS_SIP, "%s answered RTP/AVP without a=crypto: plain RTP (srtp optional)", sip_leg_describe(sl));
		explicit_bzero(s->local, sizeof(s->local));
		s->n_local = 0;
		srtp_move(sl, SIP_SRTP_PLAIN);
		return 0;
	case SIP_SRTP_ON:
		/* a re-offer or re-answer: the same suite, maybe a new key (RFC
		 * 4568 7.1.4); keys gone in the middle of a call: refused, never
		 * plain RTP behind the caller's back */
		if (!(c = srtp_same_suite(s, si))) {
			LOGN(LSS_SIP, "%s SDP without our SRTP suite %s in an SRTP call: refused", sip_leg_describe(sl),
			     rtp_srtp_suite_name(s->local[0].key.suite));
			return -EKEYREJECTED;
		}
		if ((rc = rtp_srtp_set_rx(rtp_get_srtp(sl->rtp), &c->key))) {
			LOGE(LSS_SIP, "%s new SRTP key: %s", sip_leg_describe(sl), strerror(-rc));
			return -EKEYREJECTED;
		}
		s->local[0].tag = c->tag;
		return 0;
	case SIP_SRTP_PLAIN:
	case SIP_SRTP_FALLBACK:
	default:
		/* SRTP starts with a UAS leg's first offer only: a later SDP
		 * with keys (our plain offer's answer, a re-offer) cannot turn
		 * it on, since the far end never had our key */
		if (si->n_crypto && sl->role == SIP_ROLE_UAS && sl_is(sl, SIP_ST_INCOMING))
			return srtp_take_offer(sl, si);
		if (secure) {
			LOGN(LSS_SIP, "%s %s in a plain RTP call refused", sip_leg_describe(sl),
			     sdp_proto_name(si->proto));
			return -EPROTONOSUPPORT;
		}
		return 0;
	}
}

int sip_srtp_sdp(struct sip_leg *sl, struct sdp_build_params *bp)
{
	struct sip_srtp *s = &sl->srtp;

	if (s->state == SIP_SRTP_PLAIN && sl->role == SIP_ROLE_UAC && sl_is(sl, SIP_ST_IDLE) &&
	    s->policy != DP_SRTP_OFF && s->tls) {
		/* our first offer: a line per suite, the stronger tag first
		 * (RFC 4568 6.2: _80 is the default; _32 for narrow links) */
		for (int i = 0; i < RTP_SRTP__COUNT; i++) {
			s->local[i].tag = (unsigned long)i + 1;
			if (rtp_srtp_key_random(&s->local[i].key, (enum rtp_srtp_suite)i)) {
				LOGE(LSS_SIP, "%s no random SRTP key", sip_leg_describe(sl));
				return -EIO;
			}
		}
		s->n_local = RTP_SRTP__COUNT;
		srtp_move(sl, SIP_SRTP_OFFERED);
	}
	/* once on, the profile is the one agreed (sl->proto, sip_media.c) */
	if (s->state == SIP_SRTP_OFFERED)
		bp->proto = SDP_PROTO_SAVP;
	if (s->state == SIP_SRTP_OFFERED || s->state == SIP_SRTP_ON) {
		bp->crypto = s->local;
		bp->n_crypto = s->n_local;
	}
	return 0;
}

int sip_srtp_fallback(struct sip_leg *sl, int status)
{
	struct sip_srtp *s = &sl->srtp;

	if (s->state != SIP_SRTP_OFFERED || s->policy != DP_SRTP_OPTIONAL || (status != 488 && status != 415))
		return 0;
	LOGN(LSS_SIP, "%s RTP/SAVP refused (%d): INVITE again with RTP/AVP (srtp optional)", sip_leg_describe(sl),
	     status);
	explicit_bzero(s->local, sizeof(s->local));
	s->n_local = 0;
	srtp_move(sl, SIP_SRTP_FALLBACK);
	return 1;
}

void sip_srtp_end(struct sip_leg *sl)
{
	struct rtp_srtp *ctx = sl->rtp ? rtp_get_srtp(sl->rtp) : NULL;
	struct rtp_srtp_stats st;

	if (!ctx)
		return;
	rtp_srtp_get_stats(ctx, &st);
	if (st.rtp_auth_fail || st.rtp_replay || st.rtcp_auth_fail || st.rtcp_replay || st.rtp_other ||
	    st.rtcp_other)
		LOGN(LSS_SIP, "%s SRTP refused: RTP %lu forged, %lu replayed, %lu other; RTCP %lu forged, %lu replayed, %lu other",
		     sip_leg_describe(sl), st.rtp_auth_fail, st.rtp_replay, st.rtp_other, st.rtcp_auth_fail,
		     st.rtcp_replay, st.rtcp_other);
	else
		LOGI(LSS_SIP, "%s SRTP: nothing refused", sip_leg_describe(sl));
}
