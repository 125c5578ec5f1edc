/* sipgw - the gateway daemon: sipgw -c FILE, in the foreground.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <sofia-sip/su.h>
#include <sofia-sip/su_wait.h>

#include "gw.h"
#include "bridge/bridge.h"
#include "core/config.h"
#include "core/ctl.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/service.h"
#include "dsp/moh.h"
#include "q931/span.h"
#include "route/peer_health.h"
#include "route/route.h"
#include "route/route_check.h"
#include "route/route_legs.h"
#include "route/route_transfer.h"
#include "sip/registrar.h"
#include "sip/sip_keepalive.h"
#include "sip/sip_ua.h"


static void usage(FILE *f)
{
	fprintf(f, "usage: sipgw -c FILE [-l error|warn|notice|info|debug] [-s] [-t]\n"
		   "  -c FILE   configuration (libconfig syntax; see conf/sipgw.conf)\n"
		   "  -l LEVEL  log level, overrides the file's log.level\n"
		   "  -s        log to syslog instead of stderr\n"
		   "  -t        check the configuration and exit\n"
		   "signals: TERM/INT clear calls and stop; USR1 re-reads the users' forwarding\n");
}

/* After the grace time the SIP stack gets this long to finish (handles
 * destroyed, nothing left to wait for); then sipgw exits regardless. */
#define SIP_STOP_BOUND_MS 2000

static void stop_now(void *arg)
{
	struct gw *gw = arg;
	su_root_break(gw->root);
}

static void sip_stopped(void *arg)
{
	stop_now(arg);
}

/* Stop the SIP stack and the loop, bounded: nua_shutdown waits for every
 * transaction, and a peer that never answers would hold it for 32 s. */
static void stop_sip(struct gw *gw)
{
	if (gw->state == GW_STOPPING_SIP)
		return;
	gw->state = GW_STOPPING_SIP;
	loop_timer_stop(gw->grace);
	loop_timer_stop(gw->bound);
	sip_ua_shutdown(gw->ua, sip_stopped, gw);
	loop_timer_start(gw->bound, SIP_STOP_BOUND_MS);
}

/* All calls are cleared: stop SIP, then the loop. */
static void calls_idle(void *arg)
{
	struct gw *gw = arg;

	LOGN(LSS_CORE, "no calls left; stopping");
	stop_sip(gw);
}

/* The grace time is over (or a second signal came): what has not cleared
 * is dropped without more signalling, so no peer can keep us from exiting. */
static void grace_expired(void *arg)
{
	struct gw *gw = arg;

	if (gw->state == GW_STOPPING_SIP)
		return;
	LOGW(LSS_CORE, "shutdown grace time over; %u call(s) left", bridge_call_count(gw->br));
	bridge_drop_calls(gw->br);
	stop_sip(gw);
}

static void bound_expired(void *arg)
{
	struct gw *gw = arg;

	LOGW(LSS_CORE, "SIP stack did not stop within %d ms; stopping anyway", SIP_STOP_BOUND_MS);
	stop_now(gw);
}

/* SIGUSR1: the users' call forwarding (forward_*, redirect, pstn) from a
 * fresh read of the file, nothing else (a whole reload is issue 13); a file
 * that does not load changes nothing. */
static void reload_forwarding(struct gw *gw)
{
	struct gw_config *fresh = calloc(1, sizeof(*fresh));
	char err[256];

	if (!fresh)
		return;
	if (config_load(fresh, gw->cfg.file, err, sizeof(err)) == 0) {
		LOGN(LSS_CORE, "SIGUSR1: forwarding re-read from %s", gw->cfg.file);
		route_forward_reload(gw->route, fresh);
	} else {
		LOGW(LSS_CORE, "SIGUSR1: %s; forwarding unchanged", err);
	}
	config_free(fresh);
	free(fresh);
}

static void signal_cb(void *arg, int fd)
{
	struct gw *gw = arg;
	struct signalfd_siginfo si;

	if (read(fd, &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo == SIGUSR1) {
		reload_forwarding(gw);
		return;
	}
	if (gw->state != GW_RUNNING) {
		LOGN(LSS_CORE, "second signal: stopping at once");
		grace_expired(gw);
		return;
	}
	LOGN(LSS_CORE, "signal %d: clearing calls and stopping", (int)si.ssi_signo);
	service_stopping(gw->svc, "stopping: clearing %u call(s)", bridge_call_count(gw->br));
	gw->state = GW_CLEARING;
	loop_timer_start(gw->grace, gw->cfg.timers.shutdown_grace_ms + 1);
	bridge_shutdown(gw->br, calls_idle, gw);
}

/* service_status_h: what `systemctl status sipgw` shows, kept current */
#define GW_STATUS_MS 5000
static void gw_status(void *arg, char *buf, size_t len)
{
	struct gw *gw = arg;

	snprintf(buf, len, "running: %d span(s), SIP on %s port %d, %u call(s) up", gw->n_spans,
		 gw->cfg.sip_bind, gw->cfg.sip_port, bridge_call_count(gw->br));
}

static int gw_is_emergency(void *arg, const char *number)
{
	return route_emergency(arg, number) != NULL;
}

/* sip_ka_result_h: a ping's answer counted by routing's peer health. */
static unsigned gw_ping_result(void *arg, size_t idx, int status)
{
	return peer_health_report(arg, idx, status);
}

/* One pinger per target of routing's peer health, with its up interval. */
static int gw_start_keepalive(struct gw *gw)
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
					       .first_ms = pt->up_ms };
	}
	rc = sip_keepalive_alloc(&gw->ka, &(struct sip_keepalive_params){
		.ua = gw->ua, .targets = t, .n = n, .result_h = gw_ping_result, .arg = gw->health });
	free(t);
	return rc;
}

static int gw_start(struct gw *gw)
{
	struct route_params rp = {
		.cfg = &gw->cfg,
		.root = gw->root,
		.legs = {
			[ROUTE_LEG_PRI] = { route_legs_pri, &gw->legs },
			[ROUTE_LEG_SIP] = { route_legs_sip, &gw->legs },
		},
	};
	struct bridge_params bp = {
		.root = gw->root, .ring_no_answer_ms = gw->cfg.timers.ring_no_answer_ms,
		.route = &route_bridge_ops,
	};
	struct sip_ua_params up = {
		.root = gw->root, .bind = gw->cfg.sip_bind, .port = gw->cfg.sip_port,
		.user_agent = gw->cfg.sip_user_agent, .rtp_ip = gw->cfg.rtp_ip,
		.rtp_port_min = gw->cfg.rtp_port_min, .rtp_port_max = gw->cfg.rtp_port_max,
		.dtmf_relay = &gw->cfg.dtmf_relay, .vad = gw->cfg.rtp_vad, .codecs = &gw->cfg.rtp_codecs,
		.fax_t38 = gw->cfg.fax_t38, .t38_redundancy = gw->cfg.t38_redundancy,
		.timer_b_ms = gw->cfg.timers.timer_b_ms,
		.incoming_h = route_incoming_sip, .door_h = route_door_sip, .refer_h = route_transfer, .arg = NULL,
		.available_h = route_legs_available, .available_arg = &gw->legs,
		.udp_rmem = (unsigned)gw->cfg.sip_udp_rmem_kb * 1024,
		.tcp = gw->cfg.sip_tcp, .tls_port = gw->cfg.sip_tls_port, .tls_cert = gw->cfg.sip_tls_cert,
		.tls_key = gw->cfg.sip_tls_key, .tls_ca = gw->cfg.sip_tls_ca, .tls_verify = gw->cfg.sip_tls_verify,
		.ovl = {
			.max_queue_delay_ms = gw->cfg.sip_max_queue_delay_ms,
			.max_call_rate = (unsigned)gw->cfg.sip_max_call_rate,
			.retry_after_s = (unsigned)gw->cfg.sip_retry_after,
			.emergency_h = gw_is_emergency, .emergency_arg = &gw->cfg,
		},
		.timers = {
			.rtp_timeout_ms = gw->cfg.timers.rtp_timeout_ms,
			.rtp_hold_timeout_ms = gw->cfg.timers.rtp_hold_timeout_ms,
			.session_expires_s = gw->cfg.timers.session_expires_ms / 1000,
			.min_se_s = gw->cfg.timers.min_se_ms / 1000,
		},
	};
	sigset_t mask;
	int rc;

	if ((rc = service_alloc(&gw->svc, gw->root)))
		return rc;
	if (gw->cfg.reg.enabled && (rc = registrar_alloc(&gw->reg, gw->root, &gw->cfg.reg)))
		return rc;
	if (gw->reg) {
		rp.contacts_h = route_legs_contacts;
		rp.contacts_arg = gw->reg;
	}
	if ((rc = peer_health_alloc(&gw->health, gw->cfg.peers, gw->cfg.n_peers)))
		return rc;
	rp.health = gw->health;
	if ((rc = route_alloc(&gw->route, &rp)))
		return rc;
	bp.route_arg = gw->route;
	if ((rc = gw_cdr_start(gw, &bp)))
		return rc;
	if ((rc = bridge_alloc(&gw->br, &bp)))
		return rc;
	route_set_bridge(gw->route, gw->br);
	up.reg = gw->reg;
	up.arg = gw->route;
	if ((rc = sip_ua_alloc(&gw->ua, &up)))
		return rc;
	gw->legs.ua = gw->ua;
	if ((rc = gw_start_keepalive(gw)))
		return rc;
	if (gw->cfg.moh_file[0]) {
		char why[128];

		if ((rc = moh_load(&gw->moh, gw->cfg.moh_file, why, sizeof(why)))) {
			LOGE(LSS_CORE, "rtp moh_file %s: %s", gw->cfg.moh_file, why);
			return rc;
		}
		LOGN(LSS_CORE, "music on hold from %s", gw->cfg.moh_file);
	}
	for (int i = 0; i < gw->cfg.n_spans; i++) {
		struct span_params sp = {
			.cfg = &gw->cfg.spans[i], .root = gw->root,
			.incoming_h = route_incoming_pri, .number_h = route_number_complete,
			.arg = gw->route, .t302_ms = gw->cfg.timers.t302_ms,
			.reserved = gw->cfg.emergency.n ? gw->cfg.emergency.reserved_channels : 0,
			.moh = gw->moh,
		};
		if ((rc = span_alloc(&gw->spans[i], &sp)))
			return rc;
		route_legs_add_span(&gw->legs, gw->spans[i]);
		gw->n_spans = i + 1;
	}
	if ((rc = span_nfas_link(gw->spans, gw->n_spans)))
		return rc;
	/* the operator's commands, once there is something to show */
	if ((rc = gw_ctl_register(gw)))
		return rc;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGUSR1);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* A full disk or a file size limit: a write fails (EFBIG) and is
	 * reported, instead of the signal killing the gateway and its calls. */
	signal(SIGXFSZ, SIG_IGN);
	gw->sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (gw->sfd < 0)
		return -errno;
	if ((rc = loop_fd_alloc(&gw->sig_w, gw->root, gw->sfd, signal_cb, gw)))
		return rc;
	if ((rc = loop_timer_alloc(&gw->bound, gw->root, "sip-stop-bound", bound_expired, gw)))
		return rc;
	return loop_timer_alloc(&gw->grace, gw->root, "shutdown-grace", grace_expired, gw);
}

static void gw_stop(struct gw *gw)
{
	ctl_free(gw->ctl);
	bridge_free(gw->br);	/* drops what did not clear: each call's row is queued */
	gw_cdr_stop(gw);	/* ... and written before sipgw exits */
	route_free(gw->route);
	for (int i = 0; i < gw->n_spans; i++)
		span_free(gw->spans[i]);
	moh_free(gw->moh);
	sip_keepalive_free(gw->ka);
	sip_ua_free(gw->ua);
	peer_health_free(gw->health);
	registrar_free(gw->reg);
	gw_metrics_free(gw);	/* after every part its families read */
	loop_timer_free(gw->grace);
	loop_timer_free(gw->bound);
	loop_fd_free(gw->sig_w);
	service_free(gw->svc);
	if (gw->sfd > 0)
		close(gw->sfd);
	config_free(&gw->cfg);
}

int main(int argc, char **argv)
{
	struct gw gw = { .sfd = -1 };
	const char *file = NULL, *level = NULL;
	int use_syslog = 0, check_only = 0, opt, rc;
	char err[1024], status[256];

	while ((opt = getopt(argc, argv, "c:l:sth")) != -1) {
		switch (opt) {
		case 'c': file = optarg; break;
		case 'l': level = optarg; break;
		case 's': use_syslog = 1; break;
		case 't': check_only = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!file) {
		usage(stderr);
		return 2;
	}
	if (route_config_load(&gw.cfg, file, err, sizeof(err))) {
		fprintf(stderr, "sipgw: configuration error: %s\n", err);
		return 1;
	}
	if (level && log_level_parse(level, &gw.cfg.log_level)) {
		fprintf(stderr, "sipgw: -l %s: not a log level\n", level);
		return 2;
	}
	if (check_only) {
		printf("%s: OK (%d span(s), %zu dial-peer(s), %s, %d emergency number(s))\n", file,
		       gw.cfg.n_spans, gw.cfg.n_peers, gw.cfg.reg.enabled ? "registrar" : "no registrar",
		       gw.cfg.emergency.n);
		config_free(&gw.cfg);
		return 0;
	}
	log_set_level(gw.cfg.log_level);
	if (use_syslog || gw.cfg.log_syslog)
		log_use_syslog("sipgw");
	setvbuf(stderr, NULL, _IOLBF, 0);
	su_init();
	gw.root = su_root_create(NULL);
	su_root_threading(gw.root, 0);	/* one thread: stack and bridge share the loop */
	gw.t_start_us = mono_us();
	rc = gw_start(&gw);
	if (rc) {
		LOGE(LSS_CORE, "start-up failed: %s", strerror(-rc));
		gw_stop(&gw);
		su_root_destroy(gw.root);
		su_deinit();
		return 1;
	}
	LOGN(LSS_CORE, "sipgw running with %s", file);
	gw_status(&gw, status, sizeof(status));
	service_ready(gw.svc, "%s", status);
	service_status_every(gw.svc, GW_STATUS_MS, gw_status, &gw);
	su_root_run(gw.root);
	gw_stop(&gw);
	su_root_destroy(gw.root);
	su_deinit();
	LOGN(LSS_CORE, "stopped");
	return 0;
}
