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
#include "core/trace.h"
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
		   "signals: TERM/INT clear calls and stop; HUP (or USR1) reloads the configuration\n");
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

static void signal_cb(void *arg, int fd)
{
	struct gw *gw = arg;
	struct signalfd_siginfo si;

	if (read(fd, &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo == SIGHUP || si.ssi_signo == SIGUSR1) {
		gw_reload(gw, si.ssi_signo == SIGHUP ? "SIGHUP" : "SIGUSR1");
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

static int gw_start(struct gw *gw)
{
	const struct gw_config *cfg = &gw->cfg;
	struct route_params rp = {
		.gen = gw->gen,
		.root = gw->root,
		.legs = {
			[ROUTE_LEG_PRI] = { route_legs_pri, &gw->legs },
			[ROUTE_LEG_SIP] = { route_legs_sip, &gw->legs },
		},
	};
	struct bridge_params bp = {
		.root = gw->root, .ring_no_answer_ms = cfg->timers.ring_no_answer_ms,
		.route = &route_bridge_ops,
	};
	struct sip_ua_params up;
	sigset_t mask;
	int rc;

	gw_media_init(gw);
	if ((rc = gw_trace_start(gw)))
		return rc;
	bp.ladder = trace_ladder(gw->trace);
	if ((rc = service_alloc(&gw->svc, gw->root)))
		return rc;
	if (cfg->reg.enabled && (rc = registrar_alloc(&gw->reg, gw->root, &cfg->reg)))
		return rc;
	if (gw->reg) {
		rp.contacts_h = route_legs_contacts;
		rp.contacts_arg = gw->reg;
	}
	if ((rc = peer_health_alloc(&gw->health, cfg->peers, cfg->n_peers)))
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
	gw_sip_params(gw, cfg, &up);
	if ((rc = sip_ua_alloc(&gw->ua, &up)))
		return rc;
	gw->legs.ua = gw->ua;
	if ((rc = gw_keepalive_start(gw)))
		return rc;
	if (cfg->moh_file[0]) {
		char why[128];

		if ((rc = moh_load(&gw->moh, cfg->moh_file, why, sizeof(why)))) {
			LOGE(LSS_CORE, "rtp moh_file %s: %s", cfg->moh_file, why);
			return rc;
		}
		LOGN(LSS_CORE, "music on hold from %s", cfg->moh_file);
	}
	for (int i = 0; i < cfg->n_spans; i++)
		if ((rc = gw_span_start(gw, cfg, &cfg->spans[i])))
			return rc;
	if ((rc = span_nfas_link(gw->spans, gw->n_spans)))
		return rc;
	/* the operator's commands, once there is something to show */
	if ((rc = gw_ctl_register(gw)))
		return rc;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGHUP);
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
	gw_media_summary(gw);	/* every media clock stopped */
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
	trace_free(gw->trace);		/* last: the pcap has every frame the parts sent */
	cfg_gen_unref(gw->gen);	/* the last reference: calls and routing let go above */
}

int main(int argc, char **argv)
{
	struct gw gw = { .sfd = -1 };
	const char *file = NULL, *level = NULL;
	int use_syslog = 0, check_only = 0, opt, rc;
	struct gw_config boot;
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
	if (route_config_load(&boot, file, err, sizeof(err))) {
		fprintf(stderr, "sipgw: configuration error: %s\n", err);
		return 1;
	}
	if (level && log_level_parse(level, &boot.log_level)) {
		fprintf(stderr, "sipgw: -l %s: not a log level\n", level);
		config_free(&boot);
		return 2;
	}
	if (check_only) {
		printf("%s: OK (%d span(s), %d B-channel(s), %zu dial-peer(s), %s, %d emergency number(s))\n",
		       file, boot.n_spans, config_bchans(&boot), boot.n_peers, boot.reg.enabled ? "registrar" : "no registrar",
		       boot.emergency.n);
		config_free(&boot);
		return 0;
	}
	if (cfg_gen_alloc(&gw.gen, &boot, 1)) {
		config_free(&boot);
		return 1;
	}
	gw.cfg = gw.gen->cfg;	/* the view (gw.h) */
	gw.level_forced = level != NULL;
	log_set_level((&gw.cfg)->log_level);
	if (use_syslog || (&gw.cfg)->log_syslog)
		log_use_syslog("sipgw");
	setvbuf(stderr, NULL, _IOLBF, 0);
	su_init();
	gw.root = su_root_create(NULL);
	su_root_threading(gw.root, 0);	/* one thread: stack and bridge share the loop */
	gw.t_start_us = mono_us();
	gw_limits_apply(&gw.cfg);
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
