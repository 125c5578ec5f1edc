/* sipgw - the gateway's SIP user agent on Sofia-SIP nua: one nua on the
 * shared su_root, events handed to the leg they belong to.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "sip/sip_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sofia-sip/msg_addr.h>
#include <sofia-sip/nta_tag.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/su_log.h>
#include <sofia-sip/tport_tag.h>

#include "core/dialpeer.h"
#include "core/log.h"
#include "core/loop.h"
#include "sip/sip_caps.h"
#include "sip/sip_listen.h"
#include "sip/sip_tls.h"
#include "sip/sip_keepalive.h"
#include "sip/sip_trace.h"

_Static_assert((int)SIP_TP_UDP == DP_TP_UDP && (int)SIP_TP_TCP == DP_TP_TCP && (int)SIP_TP_TLS == DP_TP_TLS,
	       "a dial-peer's session_transport is a leg's transport");
_Static_assert(sizeof(((struct sip_ua *)0)->tls_dir) == SIP_TLS_DIR_LEN, "the TLS folder's path fits");

/* RFC 3261 18.1.1: a request within 200 bytes of a 1500-byte path MTU goes
 * over TCP, not UDP; nta moves it (and falls back to UDP if TCP is refused).
 * nta's default; said here so nobody raises it by accident. */
#define SIP_UDP_MTU 1300

static void trace_cb(void *arg, int sent, const char *summary)
{
	LOGI(LSS_SIP, "%s %s", sent ? ">" : "<", summary);
}

/* The address a request really came from (not what its Via claims). */
void sip_request_source(struct sip_ua *ua, char *buf, size_t len)
{
	msg_t *m = nua_current_request(ua->nua);
	su_addrinfo_t *ai = m ? msg_addrinfo(m) : NULL;

	buf[0] = 0;
	if (ai && ai->ai_addr)
		su_inet_ntop(ai->ai_family, SU_ADDR((su_sockaddr_t *)ai->ai_addr), buf, len);
}

/* ---- requests outside a dialog */

static void on_register(struct sip_ua *ua, nua_handle_t *nh, sip_t const *sip)
{
	char source[64];

	sip_request_source(ua, source, sizeof(source));
	if (!ua->reg)
		nua_respond(nh, 405, "No registrar here", NUTAG_WITH_THIS(ua->nua),
			    SIPTAG_ALLOW_STR(ua->allow), TAG_END());
	else if (sip && !sip_overload_refuse(ua, nh, sip))
		registrar_on_register(ua->reg, ua->nua, nh, sip, source);
	nua_handle_destroy(nh);
}

static void nua_cb(nua_event_t event, int status, char const *phrase, nua_t *nua,
		   struct sip_ua *ua, nua_handle_t *nh, struct sip_leg *sl, sip_t const *sip,
		   tagi_t tags[])
{
	if (event == nua_r_shutdown) {
		if (status < 200)
			return;
		ua->shutdown_state = SIP_UA_STOPPED;
		if (ua->shutdown_done)
			ua->shutdown_done(ua->shutdown_arg);
		return;
	}
	if (sl) {
		sip_leg_event(sl, event, status, phrase, sip, tags);
		return;
	}
	switch (event) {
	case nua_i_invite:
		sip_leg_incoming(ua, nh, sip);
		return;
	case nua_i_register:
		on_register(ua, nh, sip);
		return;
	case nua_i_options:
		sip_caps_options(ua, nh, sip, 0);
		nua_handle_destroy(nh);
		return;
	case nua_i_info:
	case nua_i_refer:
	case nua_i_update:
		sip_caps_outside(ua, event, nh);
		nua_handle_destroy(nh);
		return;
	case nua_r_options:
		if (sip_keepalive_response(ua->ka, nh, status) && status >= 200)
			nua_handle_destroy(nh);
		return;
	case nua_i_error: {
		static struct log_limit lim;
		LOGW_LIMIT(&lim, LSS_SIP, "stack error %d %s", status, phrase);
		return;
	}
	case nua_i_state:
	case nua_i_active:
	case nua_i_ack:
	case nua_i_terminated:
		return;
	default:
		/* Requests nua answers by itself (OPTIONS...) leave a handle. */
		if (nh && event < nua_r_set_params)
			nua_handle_destroy(nh);
	}
}

/* Outgoing TLS (RFC 3261 26.3.1): with tls_verify the server's certificate
 * must chain to tls_ca, as Cisco's default; a client's certificate is not
 * asked for. Not the name in it (RFC 5922 7.2, TPTLS_VERIFY_SUBJECTS_OUT):
 * this Sofia finds no match for a certificate naming 127.0.0.1 (in CN and
 * subjectAltName IP) when 127.0.0.1 is dialled ("Peer Subject Mismatch"),
 * so it would refuse every ipv4: session target. */
static unsigned tls_policy(const struct sip_ua_params *p)
{
	return p->tls_verify ? TPTLS_VERIFY_OUTGOING : TPTLS_VERIFY_NONE;
}

/* The listeners: UDP always, TCP on the same port unless sip.tcp is off
 * (RFC 3261 18: a UA must do both), TLS on its own port. */
static nua_t *ua_create(struct sip_ua *ua, const struct sip_ua_params *p, const char *url, const char *sips)
{
	return nua_create(p->root, nua_cb, ua,
			  NUTAG_URL(url),
			  TAG_IF(sips, NUTAG_SIPS_URL(sips)),
			  TAG_IF(sips, NUTAG_CERTIFICATE_DIR(ua->tls_dir)),
			  TAG_IF(sips, TPTAG_TLS_VERIFY_POLICY(tls_policy(p))),
			  TAG_IF(sips, TPTAG_TLS_VERSION(0)),	/* Sofia's default is TLS 1.0 only, which OpenSSL 3 refuses */
			  /* A connection that closes (a TLS handshake refused, a peer
			   * gone) fails the requests waiting on it at once (nta: 503)
			   * instead of at Timer B. */
			  TPTAG_SDWN_ERROR(1),
			  NTATAG_UDP_MTU(SIP_UDP_MTU),
			  NUTAG_MEDIA_ENABLE(0),		/* SDP is ours (sdp.c) */
			  NUTAG_AUTOANSWER(0),
			  NUTAG_AUTOALERT(0),
			  NUTAG_AUTOACK(1),
			  NUTAG_ENABLEINVITE(1),
			  SIPTAG_USER_AGENT_STR(p->user_agent),
			  NTATAG_SIP_T1X64(ua->timer_b_ms),
			  /* SIPTAG_ALLOW_STR and SIPTAG_SUPPORTED_STR replace nua's
			   * defaults (NUTAG_ALLOW, NUTAG_SUPPORTED add to them: PRACK,
			   * MESSAGE, SUBSCRIBE, NOTIFY...); nta answers a method not
			   * listed 405 with this Allow (RFC 3261 8.2.1) */
			  SIPTAG_ALLOW_STR(ua->allow),
			  SIPTAG_SUPPORTED_STR(ua->supported),
			  NUTAG_ENABLEMESSAGE(0),
			  /* sip_caps.c says who answers. NULL first: ours replaces
			   * nua's "INVITE, REGISTER, PUBLISH, SUBSCRIBE" instead of
			   * being merged into it (Sofia 1.12.11's merge of 8 items
			   * reads past its array: ASan SEGV in msg_params_join) */
			  NUTAG_APPL_METHOD(NULL),
			  NUTAG_APPL_METHOD(sip_caps_appl_methods),
			  /* Never restart a request on our own: nua would follow a 3xx to
			   * any Contact (a redirect to a PSTN number through this gateway),
			   * past routing and the toll-fraud door. The one restart RFC 4028
			   * wants, after a 422, sip_leg_send.c does itself. */
			  NUTAG_RETRY_COUNT(0),
			  TAG_IF(p->udp_rmem, TPTAG_UDP_RMEM(p->udp_rmem)),
			  /* RFC 4028 on both roles; no refresher asked for in
			   * our INVITEs (RFC 4028 7.1 recommends leaving it to
			   * the UAS). Off: "timer" leaves Supported (sip_caps.c). */
			  NUTAG_SESSION_TIMER(p->timers.session_expires_s),
			  NUTAG_MIN_SE(p->timers.min_se_s),
			  NUTAG_SESSION_REFRESHER(nua_any_refresher),
			  TAG_END());
}

static void ua_free_early(struct sip_ua *ua)
{
	sip_tls_dir_remove(ua->tls_dir);
	su_home_deinit(ua->home);
	free(ua);
}

int sip_ua_alloc(struct sip_ua **uap, const struct sip_ua_params *p)
{
	struct sip_ua *ua = calloc(1, sizeof(*ua));
	char url[160], sips[160], bound[256];
	unsigned want, got;
	int rc;

	if (!ua)
		return -ENOMEM;
	su_home_init(ua->home);
	ua->root = p->root;
	snprintf(ua->bind, sizeof(ua->bind), "%s", p->bind);
	ua->port = p->port;
	snprintf(ua->rtp_ip, sizeof(ua->rtp_ip), "%s", p->rtp_ip);
	ua->rtp_port_min = p->rtp_port_min;
	if (p->dtmf_relay)
		ua->dtmf_relay = *p->dtmf_relay;
	ua->vad = p->vad;
	if (p->codecs)
		ua->codecs = *p->codecs;
	ua->fax_t38 = p->fax_t38;
	ua->t38_redundancy = p->t38_redundancy;
	ua->rtp_port_max = p->rtp_port_max;
	ua->incoming_h = p->incoming_h;
	ua->door_h = p->door_h;
	ua->refer_h = p->refer_h;
	ua->arg = p->arg;
	ua->available_h = p->available_h;
	ua->available_arg = p->available_arg;
	ua->reg = p->reg;
	ua->tp = p->timers;
	ua->timer_b_ms = p->timer_b_ms ? p->timer_b_ms : 32000;
	ua->ovl.fd = -1;
	ua->tls_port = p->tls_port;
	if (sip_caps_init(ua, p)) {
		su_home_deinit(ua->home);
		free(ua);
		return -ENOSPC;
	}
	sip_log_capture();
	ua->trace = p->trace;
	ua->late = p->late;
	/* below info, Sofia's message log is off until debug sip asks for it;
	 * the trace (pcap, ladders of every call) wants it all the time */
	if (log_get_level() >= LOG_LVL_INFO || ua->trace)
		sip_trace_enable(trace_cb, ua);
	else
		sip_trace_hook(trace_cb, ua);
	sip_tap_start(ua);
	/* "sip:H:P" is UDP and TCP to nta (and SCTP, not built into Debian's
	 * Sofia); ";transport=udp,tcp" would say it too, but this nta keeps
	 * the split list in a block-local array and crashes on it. IPv6
	 * bracketed, "::" every address of both families (sip_addr.c). */
	sip_addr_listen_url(url, sizeof(url) - 16, p->bind, p->port);
	if (!p->tcp)
		strcat(url, ";transport=udp");
	sip_addr_listen_url(sips + 1, sizeof(sips) - 1, p->bind, p->tls_port);
	memcpy(sips, "sips:", 5);	/* "sip:..." moved up one: "sips:..." */
	if (p->tls_port &&
	    (rc = sip_tls_dir_make(ua->tls_dir, sizeof(ua->tls_dir), p->tls_cert, p->tls_key, p->tls_ca))) {
		ua_free_early(ua);
		return rc;
	}
	ua->nua = ua_create(ua, p, url, p->tls_port ? sips : NULL);
	if (!ua->nua) {
		LOGE(LSS_SIP, "cannot listen for SIP on %s%s%s", url, p->tls_port ? " and " : "",
		     p->tls_port ? sips : "");
		ua_free_early(ua);
		return -EADDRINUSE;
	}
	want = 1u << SIP_TP_UDP | (p->tcp ? 1u << SIP_TP_TCP : 0) | (p->tls_port ? 1u << SIP_TP_TLS : 0);
	got = sip_listen_report(p->bind, p->port, p->tls_port);
	for (int tp = 0; tp < SIP_TP__COUNT; tp++)
		if ((want & ~got) & (1u << tp))
			LOGE(LSS_SIP, "asked to listen on %s:%d (%s), but the stack does not (see its lines above)",
			     p->bind, tp == SIP_TP_TLS ? p->tls_port : p->port, sip_tp_name(tp));
	if (!sip_addr_bound(p->port, bound, sizeof(bound)) && strchr(bound, ','))
		LOGN(LSS_SIP, "bound on every address (%s): %s", p->bind, bound);
	*uap = ua;
	if (want & ~got)
		return -EADDRNOTAVAIL;	/* sip_ua_free() takes it back */
	return sip_overload_init(ua, p);
}

void sip_ua_shutdown(struct sip_ua *ua, void (*done)(void *arg), void *arg)
{
	ua->shutdown_done = done;
	ua->shutdown_arg = arg;
	if (ua->shutdown_state != SIP_UA_RUNNING)
		return;
	ua->shutdown_state = SIP_UA_STOPPING;
	sip_keepalive_stop(ua->ka);	/* no ping may hold the shutdown up */
	nua_shutdown(ua->nua);
}

void sip_ua_free(struct sip_ua *ua)
{
	if (!ua)
		return;
	sip_overload_summary(&ua->ovl);
	if (ua->trace)
		sip_trace_tap(NULL, NULL);	/* the log outlives the ua */
	/* nua_destroy() before nua_shutdown() has finished asserts (SIGABRT):
	 * a peer that never answers our BYE would cost a core dump at every
	 * stop. The process is exiting, so the stack is left to the kernel. */
	if (ua->shutdown_state == SIP_UA_STOPPED)
		nua_destroy(ua->nua);
	else
		LOGW(LSS_SIP, "SIP stack shutdown not finished (peers did not answer); leaving it");
	sip_tls_dir_remove(ua->tls_dir);
	su_home_deinit(ua->home);
	free(ua);
}
