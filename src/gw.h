/* sipgw - the daemon's parts, for sipgw.c and the gw_*.c files that give
 * sipgwctl its views of them (show spans, show calls, ...) and that make
 * the parts of a config (gw_parts.c: at start and at each reload). Nothing
 * in libsipgw.a includes it. SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_GW_H
#define SIPGW_GW_H

#include "core/cfg_gen.h"
#include "core/config.h"
#include "core/media_late.h"

struct su_root_s;
struct route;
struct route_legs;
struct bridge;
struct sip_ua;
struct sip_ua_params;
struct registrar;
struct peer_health;
struct sip_keepalive;
struct span;
struct moh;
struct loop_fd;
struct loop_timer;
struct ctl;
struct cdr_db;
struct stats_family;
struct bridge_params;
struct service;
struct stats;
struct metrics_http;
struct trace;

#include "route/route_legs.h"

struct workpool;
struct gw {
	/* The config in force, to read: a copy of gen's struct (its dial-peer
	 * array is gen's), replaced whole by a reload. Keep no pointer into it
	 * past the callback you are in; a call keeps its own generation
	 * (routing holds it), a part that needs a value for longer copies it. */
	struct gw_config cfg;
	struct cfg_gen *gen;		/* the generation cfg is of (our reference) */
	int level_forced;		/* -l given: a reload leaves the log level alone */
	struct su_root_s *root;
	struct route *route;
	struct route_legs legs;		/* what routing places calls on */
	struct bridge *br;
	struct sip_ua *ua;
	struct registrar *reg;
	struct peer_health *health;	/* voip targets kept alive by OPTIONS (routing reads it) */
	struct sip_keepalive *ka;	/* ... and their pingers (SIP side) */
	struct span *spans[CFG_MAX_SPANS];	/* every span started; one a reload took out of the
						 * config stays, busied out (legs.retired) */
	int n_spans;
	struct moh *moh;		/* rtp.moh_file, or NULL */
	struct ctl *ctl;		/* sipgwctl's commands (control.socket) */
	struct cdr_db *cdr;		/* cdr.database's writer, or NULL */
#define GW_CDR_FAMILIES 4
	struct stats_family *cdr_families[GW_CDR_FAMILIES];	/* its figures in stats */
	struct service *svc;		/* systemd's notifications and watchdog (core/service.h) */
	struct stats *stats;		/* the metrics registry (gw_metrics.c) */
	struct metrics_http *metrics;	/* its Prometheus endpoint (metrics.listen), or NULL */
	struct trace *trace;		/* pcap and per-call ladders (core/trace.h) */
	/* Per media thread, how late its clocks ran (gw_media.c). One today:
	 * the event loop's, "media0"; the media engine's workers take one each. */
#define GW_MEDIA_THREADS 1
	struct media_late media_late[GW_MEDIA_THREADS];
	struct workpool *dsp;		/* the echo cancellers' pool (span_rx.c) */
	long long t_start_us;		/* when it started (mono_us) */
	int sfd;
	struct loop_fd *sig_w;
	struct loop_timer *grace, *bound;
	enum { GW_RUNNING, GW_CLEARING, GW_STOPPING_SIP } state;	/* after SIGTERM */
};

/** The gateway's own commands (show version); each gw_*.c file has its
 * registration function, called once the parts are up. 0 or -errno. */
int gw_ctl_register(struct gw *gw);
/** RLIMIT_NOFILE raised to what cfg's spans need at full load, logged (gw_limits.c). */
void gw_limits_apply(const struct gw_config *cfg);
/** show calls, clear call, debug sip|rtp (gw_calls.c). */
int gw_calls_register(struct gw *gw);
/** show dial-peers, show dial-peer match (gw_dialpeers.c). */
int gw_dialpeers_register(struct gw *gw);
/** show registrations (gw_registrations.c). */
int gw_registrations_register(struct gw *gw);
/** show spans, show channels, busyout / unbusy, debug q931 (gw_spans.c). */
int gw_spans_register(struct gw *gw);
/** The metrics registry, its families, the Prometheus endpoint and `show
 * stats`. gw_metrics_free() goes after every part the registry reads. */
int gw_metrics_register(struct gw *gw);
void gw_metrics_free(struct gw *gw);
/** The media threads' lateness figures: initialised before the spans
 * start (gw_media_init), in the metrics (gw_media_register, from
 * gw_metrics_register) and one exit line per thread (gw_media_summary). */
void gw_media_init(struct gw *gw);
int gw_media_register(struct gw *gw);
void gw_media_summary(struct gw *gw);
/** The trace: made from config trace.* before the spans and SIP (gw_trace.c). */
int gw_trace_start(struct gw *gw);
/** debug pcap on FILE|off, ladder CALL (gw_trace.c). */
int gw_trace_register(struct gw *gw);

/* gw_parts.c: the parts made of a config, at start and at a reload */
/** The SIP user agent's parameters from cfg (handlers and args from gw). */
void gw_sip_params(struct gw *gw, const struct gw_config *cfg, struct sip_ua_params *up);
/** Start the span of cfg's entry cs and give it to routing. 0 or -errno. */
int gw_span_start(struct gw *gw, const struct gw_config *cfg, const struct cfg_span *cs);
/** One pinger per target of routing's peer health (a busied-out one at its
 * down interval). 0 or -errno. */
int gw_keepalive_start(struct gw *gw);

/* gw_reload.c: reload without dropping calls (issue 13 item 2) */
/** Read gw's config file again and take it (who: "SIGHUP", "sipgwctl", for
 * the log): new calls are routed by it, calls up keep the generation they
 * started with. 0 taken (keys that need a restart kept and logged); -EINVAL
 * the file did not load (nothing changed; file:line logged); -EBUSY
 * shutting down; -ENOMEM. */
int gw_reload(struct gw *gw, const char *who);
/** "reload" for sipgwctl. */
int gw_reload_register(struct gw *gw);

/* gw_cdr.c: the CDR writer, opened before the bridge (bp's cdr_h set),
 * closed after it (drains); its commands (cdr path, cdr stats) and
 * figures (sipgw_cdr_*: after gw_metrics_register). */
int gw_cdr_start(struct gw *gw, struct bridge_params *bp);
void gw_cdr_stop(struct gw *gw);
int gw_cdr_register(struct gw *gw);

#endif
