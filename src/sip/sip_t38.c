/* sipgw - the SIP leg in T.38 mode (ITU-T T.38; SDP as T.38 Annex D): a fax
 * heard on either side of a call with the PRI (CED, or the V.21 preamble of
 * T.30's first HDLC frame) makes us re-INVITE the SIP peer to m=image udptl
 * t38; the peer's own re-INVITE to image/t38 is taken. Then SpanDSP's
 * t38_gateway sits between the PRI's linear frames and UDPTL. A peer that
 * refuses (488) keeps G.711 passthrough. Cisco IOS: fax protocol t38.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "sip/sip_internal.h"
#include "sip/sip_caps.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <spandsp.h>

#include "core/log.h"
#include "dsp/fax_tone.h"
#include "core/loop.h"
#include "dsp/fax.h"
#include "rtp/udptl.h"
#include "sip/sdp_t38.h"

#define T38_BODY_MAX 4096

/* What we do (T.38 D.2.3): version 0 is what every peer speaks; V.17's
 * 14400; over UDP the TCF crosses (transferredTCF); redundancy, not FEC. */
static const struct sdp_t38 t38_ours = {
	.version = 0, .max_bitrate = T38_DEFAULT_BITRATE, .rate_mgmt = T38_TCF_TRANSFERRED,
	.max_buffer = 2000, .max_datagram = 400, .ec = UDPTL_EC_REDUNDANCY,
};

enum t38_state {
	T38_WATCH,		/* G.711; listening for a fax on both sides */
	T38_OFFERED,		/* our re-INVITE to image/t38 is out */
	T38_ON,			/* fax relay: the gateway between the PRI and UDPTL */
	T38_PASSTHROUGH,	/* refused, or no fax relay possible: G.711 stays */
	T38_RETRY,		/* our re-INVITE met the far end's (491): again after a while */
};
/* RFC 3261 14.1: after a 491 the Call-ID's owner waits 2.1-4 s, the other
 * side 0-2 s, then asks again. Both gateways of a fax call hear the same
 * CED, so the two re-INVITEs to T.38 crossing is the common case, not a
 * corner: a 491 is tried again, twice at most, before G.711 stays. */
#define T38_GLARE_RETRIES 2
static const char *const t38_state_names[] = {
	[T38_WATCH] = "WATCH", [T38_OFFERED] = "OFFERED", [T38_ON] = "ON", [T38_PASSTHROUGH] = "PASSTHROUGH",
	[T38_RETRY] = "RETRY",
};

struct sip_t38 {
	enum t38_state st;
	struct fax_tone_det *det_pri;	/* what the PRI side sends us (dsp/fax_tone.h) */
	struct fax_tone_det *det_sip;	/* what the SIP side sends us */
	int detected;		/* a detector fired: our re-INVITE is due */
	const char *heard;	/* where and what, for the log */
	struct udptl_session *udptl;
	struct fax_gw *gw;
	struct sdp_t38 neg;
	long long last_rx_ms;	/* UDPTL activity, for the RTP watch */
	struct loop_timer *retry;	/* T38_RETRY's wait */
	int retries;
};

static void t38_log_state(struct sip_leg *sl, enum t38_state next, const char *why)
{
	LOGI(LSS_SIP, "%s T.38 %s -> %s: %s", sip_leg_describe(sl), t38_state_names[sl->t38->st],
	     t38_state_names[next], why);
	sl->t38->st = next;
}

/* Fax relay needs rtp.fax = "t38" and the other party on a clocked port (a
 * B-channel), whose frames the gateway modulates: between two SIP parties
 * the fax passes through. */
static int t38_possible(const struct sip_leg *sl)
{
	return sl->ua->fax_t38 && sl->mport.peer && sl->mport.peer->clocked;
}

static struct sip_t38 *t38_get(struct sip_leg *sl)
{
	struct sip_t38 *t = sl->t38;

	if (t)
		return t;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	/* CED (T.30 6.2.1: 2100 Hz from the called fax) or the V.21 flags
	 * that begin T.30's first HDLC frame (a caller's DIS answer, a fax
	 * that sends no CED); the detector's gate keeps speech and noise
	 * from SpanDSP (fax_tone.c) */
	if (fax_tone_det_alloc(&t->det_pri) || fax_tone_det_alloc(&t->det_sip)) {
		fax_tone_det_free(t->det_pri);
		fax_tone_det_free(t->det_sip);
		free(t);
		return NULL;
	}
	sl->t38 = t;
	return t;
}

static void t38_stop_watch(struct sip_t38 *t)
{
	fax_tone_det_free(t->det_pri);
	fax_tone_det_free(t->det_sip);
	t->det_pri = t->det_sip = NULL;
}

static void on_ifp_out(void *arg, const uint8_t *ifp, size_t len, int count)
{
	struct sip_leg *sl = arg;

	udptl_send(sl->t38->udptl, ifp, len, count);
}

static void on_ifp_in(void *arg, const uint8_t *ifp, size_t len, uint16_t seq, int recovered)
{
	struct sip_leg *sl = arg;

	sl->t38->last_rx_ms = mono_ms();
	if (sl->t38->gw)
		fax_gw_rx_ifp(sl->t38->gw, ifp, len, seq);
}

static int t38_port(struct sip_leg *sl)
{
	struct udptl_params up = { .local_ip = sl->ua->rtp_ip, .port_min = sl->ua->rtp_port_min,
				   .port_max = sl->ua->rtp_port_max, .ec = UDPTL_EC_REDUNDANCY,
				   .redundancy = sl->ua->t38_redundancy, .recv_h = on_ifp_in, .arg = sl };
	int rc;

	if (!sl->t38->udptl && (rc = udptl_alloc(&sl->t38->udptl, sl->ua->root, &up)) < 0)
		return rc;
	return udptl_local_port(sl->t38->udptl);
}

int sip_t38_pull(struct sip_leg *sl, int16_t *frame)
{
	if (!sl->t38 || !sl->t38->gw)
		return 0;
	fax_gw_tx_audio(sl->t38->gw, frame, MEDIA_FRAME);
	return 1;
}

/* Relay on: UDPTL to the peer's image stream, the gateway on the frames. */
static int t38_start(struct sip_leg *sl, const char *addr, int port, const struct sdp_t38 *neg)
{
	struct sip_t38 *t = sl->t38;
	struct fax_gw_params gp = {
		.t38 = { .version = neg->version, .max_bitrate = neg->max_bitrate,
			 .local_tcf = neg->rate_mgmt == T38_TCF_LOCAL,
			 .fill_bit_removal = neg->fill_bit_removal, .max_datagram = neg->max_datagram },
		.ecm = 1, .ifp_h = on_ifp_out, .arg = sl,
	};
	int rc = t38_port(sl);

	if (rc < 0 || (rc = udptl_set_remote(t->udptl, addr, port)) < 0)
		return rc;
	udptl_set_max_datagram(t->udptl, neg->max_datagram > 0 ? (size_t)neg->max_datagram : 0);
	if (!t->gw && (rc = fax_gw_alloc(&t->gw, &gp)) < 0)
		return rc;
	t->neg = *neg;
	t->last_rx_ms = mono_ms();
	t38_stop_watch(t);
	sl->mport.codec = "T.38";
	return 0;
}

/* Back to audio (a re-INVITE to audio after the fax): gateway and UDPTL go. */
static void t38_stop(struct sip_leg *sl)
{
	struct sip_t38 *t = sl->t38;
	struct fax_gw_stats gs = { 0 };
	struct udptl_stats us = { 0 };

	if (t->gw)
		fax_gw_get_stats(t->gw, &gs);
	if (t->udptl)
		udptl_get_stats(t->udptl, &us);
	LOGI(LSS_SIP, "%s T.38 ended: pages=%d rate=%d ecm=%d udptl tx=%lu rx=%lu recovered=%lu lost=%lu",
	     sip_leg_describe(sl), gs.pages, gs.bit_rate, gs.ecm, us.tx_packets, us.rx_packets,
	     us.rx_recovered, us.rx_lost);
	fax_gw_free(t->gw);
	udptl_free(t->udptl);
	t->gw = NULL;
	t->udptl = NULL;
	sl->mport.codec = g711_law_name(sl->rm.law);
}

/* Our re-INVITE to image/t38 (T.38 D.2.3's offer), once a fax was heard. */
static void t38_reinvite(struct sip_leg *sl)
{
	struct sip_t38 *t = sl->t38;
	char sdp[SDP_ANSWER_LEN], addr[NETADDR_STRLEN];
	struct sdp_t38_build_params p = { .addr = sl_media_addr(sl, addr, sizeof(addr)), .t38 = &t38_ours,
					  .sess_id = sl->sdp_id, .offer_image = -1 };

	/* RFC 3261 14.1: not while another INVITE of ours is pending */
	if (!sl->nh || !sl_is(sl, SIP_ST_CONFIRMED) || sl->hold_out)
		return;
	p.port = t38_port(sl);
	p.sess_ver = ++sl->sdp_ver;
	if (p.port < 0 || sdp_t38_build(sdp, sizeof(sdp), &p) < 0) {
		t38_log_state(sl, T38_PASSTHROUGH, "no UDPTL port");
		return;
	}
	t38_log_state(sl, T38_OFFERED, t->heard);
	nua_invite(sl->nh, SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp), TAG_END());
}

/* A frame from the PRI side (from_pri) or from SIP: listen for the fax. */
static void t38_watch(struct sip_leg *sl, int from_pri, const int16_t *frame)
{
	struct sip_t38 *t = sl->t38;
	struct fax_tone_det *det;
	enum fax_tone tone;

	if (!t38_possible(sl) || !sl_is(sl, SIP_ST_CONFIRMED))
		return;
	if (!t && !(t = t38_get(sl)))
		return;
	if (t->st != T38_WATCH)
		return;
	det = from_pri ? t->det_pri : t->det_sip;
	if (!det)
		return;
	/* CED or the preamble; not ANS/ (a modem: G.711 stays) nor CNG */
	for (tone = fax_tone_feed(det, frame, MEDIA_FRAME); tone != FAX_TONE_NONE;
	     tone = fax_tone_feed(det, frame, 0))
		if (tone == FAX_TONE_CED || tone == FAX_TONE_V21) {
			t->detected = 1;
			t->heard = tone == FAX_TONE_CED ? (from_pri ? "CED from the PRI" : "CED from SIP")
							: (from_pri ? "V.21 preamble from the PRI"
								    : "V.21 preamble from SIP");
		}
	if (t->detected)
		t38_reinvite(sl);
}

int sip_t38_play(struct sip_leg *sl, const int16_t *frame)
{
	if (sl->t38 && sl->t38->gw) {
		fax_gw_rx_audio(sl->t38->gw, frame, MEDIA_FRAME);
		return 1;
	}
	t38_watch(sl, 1, frame);
	return 0;
}

void sip_t38_heard(struct sip_leg *sl, const int16_t *frame)
{
	t38_watch(sl, 0, frame);
}

static int t38_of(sip_t const *sip, struct sdp_t38_info *ti)
{
	char body[T38_BODY_MAX];
	size_t n;

	if (!sip || !sip->sip_payload || !sip->sip_payload->pl_data)
		return -ENOENT;
	n = sip->sip_payload->pl_len < sizeof(body) - 1 ? sip->sip_payload->pl_len : sizeof(body) - 1;
	memcpy(body, sip->sip_payload->pl_data, n);
	body[n] = 0;
	return sdp_t38_parse(ti, body);
}

int sip_t38_offer_in(struct sip_leg *sl, sip_t const *sip, int update)
{
	struct sdp_t38_info *ti = malloc(sizeof(*ti));
	char sdp[SDP_ANSWER_LEN], addr[NETADDR_STRLEN];
	struct sdp_t38_build_params p = { .addr = sl_media_addr(sl, addr, sizeof(addr)), .sess_id = sl->sdp_id };
	struct sdp_t38 ans;
	int rc, handled = 1;

	if (!ti)
		return 0;
	if (t38_of(sip, ti) < 0 || !ti->port) {
		/* no live image stream: an audio offer; after a fax, back to G.711 */
		if (sl->t38 && sl->t38->gw && ti->ml.audio >= 0) {
			t38_stop(sl);
			t38_log_state(sl, T38_PASSTHROUGH, "the far end's re-INVITE to audio");
		}
		handled = 0;
		goto out;
	}
	if (!t38_possible(sl) || !t38_get(sl) || update) {
		LOGN(LSS_SIP, "%s T.38 offer refused (488): %s", sip_leg_describe(sl),
		     update ? "in an UPDATE" : !sl->ua->fax_t38 ? "rtp.fax is passthrough" :
		     "the other party is no B-channel");
		sip_caps_refuse_warn(sl->ua, sl->nh, 488, SIP_WARN_MEDIA_TYPE,
				     update ? "T.38 only in a re-INVITE" : "no T.38 here: fax as G.711 on audio",
				     update);
		goto out;
	}
	sdp_t38_answer(&ti->t38, &t38_ours, &ans);
	rc = t38_start(sl, ti->addr, ti->port, &ans);
	p.port = rc == 0 ? t38_port(sl) : -1;
	p.t38 = &ans;
	p.sess_ver = ++sl->sdp_ver;
	p.offer = &ti->ml;
	p.offer_image = ti->image;
	if (rc < 0 || p.port < 0 || sdp_t38_build(sdp, sizeof(sdp), &p) < 0) {
		LOGW(LSS_SIP, "%s T.38 offer refused (488): %s", sip_leg_describe(sl),
		     strerror(rc < 0 ? -rc : EIO));
		sip_caps_refuse_warn(sl->ua, sl->nh, 488, SIP_WARN_MISC, "T.38 relay could not start", 0);
		goto out;
	}
	nua_respond(sl->nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp),
		    TAG_END());
	sip_timers_refreshed(sl, sip);
	{
		char why[96];

		snprintf(why, sizeof(why), "the far end's re-INVITE, version=%d rate=%d ec=%s", ans.version,
			 ans.max_bitrate, udptl_ec_name(ans.ec));
		t38_log_state(sl, T38_ON, why);
	}
out:
	free(ti);
	return handled;
}

static void t38_retry_cb(void *arg)
{
	struct sip_leg *sl = arg;

	if (sl->t38 && sl->t38->st == T38_RETRY)	/* not if the far end's re-INVITE came meanwhile */
		t38_reinvite(sl);
}

/* A 491 to our re-INVITE: 1 when a retry is on its way. */
static int t38_glare(struct sip_leg *sl)
{
	struct sip_t38 *t = sl->t38;
	unsigned ms;
	char why[96];

	if (t->retries >= T38_GLARE_RETRIES ||
	    (!t->retry && loop_timer_alloc(&t->retry, sl->ua->root, "t38-retry", t38_retry_cb, sl) < 0))
		return 0;
	t->retries++;
	ms = sl->role == SIP_ROLE_UAC ? 2100 + (unsigned)random() % 1900 : (unsigned)random() % 2000;
	snprintf(why, sizeof(why), "491 (the far end's re-INVITE crossed ours), again in %u ms", ms);
	t38_log_state(sl, T38_RETRY, why);
	loop_timer_start(t->retry, ms);
	return 1;
}

int sip_t38_response(struct sip_leg *sl, int status, sip_t const *sip)
{
	struct sdp_t38_info *ti;
	char why[96];

	if (!sl->t38 || sl->t38->st != T38_OFFERED)
		return 0;
	if (status < 200)
		return 1;
	if (status >= 300) {
		if (status == 481 || status == 408)
			return 0;	/* the dialog is gone: the leg clears */
		if (status == 491 && t38_glare(sl))
			return 1;
		/* RFC 3261 14.1: the session stays as it was (issue 11: G.711 passthrough) */
		snprintf(why, sizeof(why), "refused with %d, G.711 passthrough", status);
		t38_log_state(sl, T38_PASSTHROUGH, why);
		t38_stop_watch(sl->t38);
		return 1;
	}
	ti = malloc(sizeof(*ti));
	if (ti && t38_of(sip, ti) == 0 && ti->port && t38_start(sl, ti->addr, ti->port, &ti->t38) == 0) {
		snprintf(why, sizeof(why), "answered %d, version=%d rate=%d ec=%s", status, ti->t38.version,
			 ti->t38.max_bitrate, udptl_ec_name(ti->t38.ec));
		t38_log_state(sl, T38_ON, why);
	} else {
		snprintf(why, sizeof(why), "answered %d without an image stream, G.711 passthrough", status);
		t38_log_state(sl, T38_PASSTHROUGH, why);
	}
	free(ti);
	return 1;
}

int sip_t38_offer(struct sip_leg *sl, char *buf, size_t len)
{
	char addr[NETADDR_STRLEN];
	struct sdp_t38_build_params p = { .addr = sl_media_addr(sl, addr, sizeof(addr)), .sess_id = sl->sdp_id,
					  .offer_image = -1 };

	if (!sl->t38 || !sl->t38->gw)
		return -ENOENT;
	/* RFC 4028 10: a refresh offers the session as it is, the image stream */
	p.port = udptl_local_port(sl->t38->udptl);
	p.t38 = &sl->t38->neg;
	p.sess_ver = ++sl->sdp_ver;
	return sdp_t38_build(buf, len, &p);
}

long long sip_t38_last_rx(const struct sip_leg *sl)
{
	return sl->t38 && sl->t38->gw ? sl->t38->last_rx_ms : 0;
}

void sip_t38_free(struct sip_leg *sl)
{
	struct sip_t38 *t = sl->t38;

	if (!t)
		return;
	if (t->gw)
		t38_stop(sl);
	udptl_free(t->udptl);
	t38_stop_watch(t);
	loop_timer_free(t->retry);
	free(t);
	sl->t38 = NULL;
}
