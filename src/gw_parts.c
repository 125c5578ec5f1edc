/* sipgw - the gateway's parts made of a config (gw.h): at start and again
 * at each reload. SPDX-License-Identifier: GPL-2.0-only */
#include "gw.h"

#include <errno.h>
#include <stdlib.h>

#include "core/log.h"
#include "q931/span.h"
#include "route/peer_health.h"
#include "route/route.h"
#include "route/route_check.h"
#include "route/route_transfer.h"
#include "sip/sip_keepalive.h"
#include "sip/sip_ua.h"

/* sip_emergency_h: against the current config, so a reload's new emergency
 * numbers are never refused for overload either. */
static int gw_is_emergency(void *arg, const char *number)
{
	struct gw *gw = arg;

	return route_emergency(&gw->cfg, number) != NULL;
}

void gw_sip_params(struct gw *gw, const struct gw_config *cfg, struct sip_ua_params *up)
{
	*up = (struct sip_ua_params){
		.root = gw->root, .bind = cfg->sip_bind, .port = cfg->sip_port,
		.user_agent = cfg->sip_user_agent, .rtp_ip = cfg->rtp_ip,
		.rtp_port_min = cfg->rtp_port_min, .rtp_port_max = cfg->rtp_port_max,
		.dtmf_relay = &cfg->dtmf_relay, .vad = cfg->rtp_vad, .codecs = &cfg->rtp_codecs,
		.fax_t38 = cfg->fax_t38, .t38_redundancy = cfg->t38_redundancy,
		.timer_b_ms = cfg->timers.timer_b_ms,
		.incoming_h = route_incoming_sip, .door_h = route_door_sip, .refer_h = route_transfer,
		.arg = gw->route,
		.available_h = route_legs_available, .available_arg = &gw->legs,
		.reg = gw->reg, .trace = gw->trace,
		.late = &gw->media_late[0],	/* one media thread today: the loop's */
		.udp_rmem = (unsigned)cfg->sip_udp_rmem_kb * 1024,
		.tcp = cfg->sip_tcp, .tls_port = cfg->sip_tls_port, .tls_cert = cfg->sip_tls_cert,
		.tls_key = cfg->sip_tls_key, .tls_ca = cfg->sip_tls_ca, .tls_verify = cfg->sip_tls_verify,
		.ovl = {
			.max_queue_delay_ms = cfg->sip_max_queue_delay_ms,
			.max_call_rate = (unsigned)cfg->sip_max_call_rate,
			.retry_after_s = (unsigned)cfg->sip_retry_after,
			.emergency_h = gw_is_emergency, .emergency_arg = gw,
		},
		.timers = {
			.rtp_timeout_ms = cfg->timers.rtp_timeout_ms,
			.rtp_hold_timeout_ms = cfg->timers.rtp_hold_timeout_ms,
			.session_expires_s = cfg->timers.session_expires_ms / 1000,
			.min_se_s = cfg->timers.min_se_ms / 1000,
		},
	};
}

int gw_span_start(struct gw *gw, const struct gw_config *cfg, const struct cfg_span *cs)
{
	struct span_params sp = {
		.cfg = cs, .root = gw->root,
		.incoming_h = route_incoming_pri, .number_h = route_number_complete,
		.arg = gw->route, .t302_ms = cfg->timers.t302_ms,
		.reserved = cfg->emergency.n ? cfg->emergency.reserved_channels : 0,
		.moh = gw->moh, .trace = gw->trace,	/* a span added by a reload too */
		.late = &gw->media_late[0],	/* one media thread today: the loop's */
	};
	int rc;

	if (gw->n_spans == CFG_MAX_SPANS)
		return -ENOSPC;
	if ((rc = span_alloc(&gw->spans[gw->n_spans], &sp)))
		return rc;
	route_legs_add_span(&gw->legs, gw->spans[gw->n_spans]);
	gw->n_spans++;
	return 0;
}

/* sip_ka_result_h: a ping's answer counted by routing's peer health. */
static unsigned gw_ping_result(void *arg, size_t idx, int status)
{
	return peer_health_report(arg, idx, status);
}

int gw_keepalive_start(struct gw *gw)
{
	size_t n = peer_health_count(gw->health);
	struct sip_ka_target *t;
	int rc;

	if (!n)
		return 0;
	if (!(t = calloc(n, sizeof(*t))))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct ph_target *pt = peer_health_target(gw->health, i);

		t[i] = (struct sip_ka_target){ .host = pt->host, .port = pt->port, .transport = pt->transport,
					       .first_ms = pt->state == PH_BUSIED_OUT ? pt->down_ms : pt->up_ms };
	}
	rc = sip_keepalive_alloc(&gw->ka, &(struct sip_keepalive_params){
		.ua = gw->ua, .targets = t, .n = n, .result_h = gw_ping_result, .arg = gw->health });
	free(t);
	return rc;
}
