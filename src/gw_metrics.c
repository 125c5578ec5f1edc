/* sipgw - the gateway's metrics: one registry (core/stats.h) that the
 * Prometheus endpoint (metrics.listen, core/metrics_http.h) and `sipgwctl
 * show stats` both read, so a person and a scraper see the same figures.
 * The calls' families are the bridge's (bridge/call_stats.c); the spans',
 * the registrar's and the SIP side's are read from each part's own tallies
 * at scrape time, so no hot path pays for them.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "gw.h"
#include "bridge/bridge.h"
#include "core/ctl.h"
#include "core/log.h"
#include "core/metrics_http.h"
#include "core/stats.h"
#include "q931/span.h"
#include "sip/registrar.h"
#include "sip/sip_ua.h"

/* ---- read at scrape time */

static int span_busy(const struct span_counts *c) { return c->busy; }
static int span_chans(const struct span_counts *c) { return c->chans; }
static int span_unusable(const struct span_counts *c) { return c->unusable; }
static int span_dchan(const struct span_counts *c) { return c->dchan_up; }

static void collect_spans(struct gw *gw, struct stats_family *f, int (*get)(const struct span_counts *))
{
	for (int i = 0; i < gw->n_spans; i++) {
		struct span_counts c;

		span_counts(gw->spans[i], &c);
		stats_set(stats_series1(f, span_name(gw->spans[i])), get(&c));
	}
}

static void collect_busy(void *arg, struct stats_family *f) { collect_spans(arg, f, span_busy); }
static void collect_chans(void *arg, struct stats_family *f) { collect_spans(arg, f, span_chans); }
static void collect_unusable(void *arg, struct stats_family *f) { collect_spans(arg, f, span_unusable); }
static void collect_dchan(void *arg, struct stats_family *f) { collect_spans(arg, f, span_dchan); }

static void reg_counts(const struct gw *gw, struct registrar_counts *rc)
{
	memset(rc, 0, sizeof(*rc));
	if (gw->reg)
		registrar_counts(gw->reg, rc);
}

static void collect_registrations(void *arg, struct stats_family *f)
{
	struct registrar_counts rc;

	reg_counts(arg, &rc);
	stats_set(stats_series1(f, NULL), rc.bindings);
}

static void collect_digest(void *arg, struct stats_family *f)
{
	struct registrar_counts rc;

	reg_counts(arg, &rc);
	stats_set(stats_series1(f, NULL), (double)rc.digest_failures);
}

static void collect_blocked(void *arg, struct stats_family *f)
{
	struct registrar_counts rc;

	reg_counts(arg, &rc);
	stats_set(stats_series1(f, NULL), rc.blocked_sources);
}

static void collect_overload(void *arg, struct stats_family *f)
{
	struct gw *gw = arg;
	struct sip_ua_counts c;

	sip_ua_counts(gw->ua, &c);
	stats_set(stats_series1(f, "INVITE"), (double)c.ovl_invite);
	stats_set(stats_series1(f, "REGISTER"), (double)c.ovl_register);
}

static void collect_drops(void *arg, struct stats_family *f)
{
	struct gw *gw = arg;
	struct sip_ua_counts c;

	sip_ua_counts(gw->ua, &c);
	stats_set(stats_series1(f, NULL), (double)c.udp_drops);
}

/* The heap in use, all arenas and mmapped blocks (glibc's mallinfo2 walks
 * the arenas' bins, not every block: cheap at scrape time). Unlike RSS it
 * falls when memory is freed, so bench_mem.py reads memory per call here. */
static void collect_heap(void *arg, struct stats_family *f)
{
	struct mallinfo2 mi = mallinfo2();

	stats_set(stats_series1(f, NULL), (double)(mi.uordblks + mi.hblkhd));
}

/* The families read from the parts, in the order a voice engineer reads a
 * gateway: spans, then the SIP side. */
static const struct {
	const char *name, *help, *label;
	enum stats_type type;
	stats_collect_h *collect_h;
} gw_families[] = {
	{ "sipgw_span_channels", "B-channels configured on the span", "span", STATS_GAUGE, collect_chans },
	{ "sipgw_span_channels_busy", "B-channels held by a call", "span", STATS_GAUGE, collect_busy },
	{ "sipgw_span_channels_unusable", "B-channels free but out of service or restarting", "span",
	  STATS_GAUGE, collect_unusable },
	{ "sipgw_span_dchannel_up", "1 when calls can be signalled on the span (its D-channel, or in NFAS the group's, is up)",
	  "span", STATS_GAUGE, collect_dchan },
	{ "sipgw_registrations", "Contacts registered with the gateway's registrar and not expired", NULL,
	  STATS_GAUGE, collect_registrations },
	{ "sipgw_sip_digest_failures_total",
	  "Failed digest answers (wrong password, unknown user, wrong uri, broken credentials)", NULL,
	  STATS_COUNTER, collect_digest },
	{ "sipgw_sip_auth_blocked_sources", "Sources refused now for guessing digest passwords", NULL,
	  STATS_GAUGE, collect_blocked },
	{ "sipgw_sip_overload_refusals_total", "New requests refused with 503 for overload (RFC 3261 21.5.4)",
	  "method", STATS_COUNTER, collect_overload },
	{ "sipgw_sip_udp_drops_total", "SIP datagrams the kernel dropped on the full socket buffer", NULL,
	  STATS_COUNTER, collect_drops },
	{ "sipgw_process_heap_bytes", "Heap memory allocated and not freed (malloc's count, all threads)", NULL,
	  STATS_GAUGE, collect_heap },
};

static int add_start_time(struct gw *gw)
{
	struct stats_family *f;
	struct timespec now;
	int rc;

	if ((rc = stats_family_add(gw->stats, &f, &(struct stats_family_params){
		     .name = "sipgw_process_start_time_seconds", .type = STATS_GAUGE,
		     .help = "When sipgw started, in seconds since the Unix epoch" })))
		return rc;
	clock_gettime(CLOCK_REALTIME, &now);
	stats_set(stats_series1(f, NULL),
		  (double)now.tv_sec - (double)(mono_us() - gw->t_start_us) / 1e6);
	return 0;
}

/* ---- show stats [FILTER] */

struct show {
	struct ctl_req *req;
	const char *filter;	/* only samples whose name has it (NULL: all) */
	int json;
};

static void show_sample(void *arg, const struct stats_sample *smp)
{
	struct show *sh = arg;

	if (sh->filter && !strstr(smp->name, sh->filter))
		return;
	if (sh->json) {
		ctl_cell(sh->req, "%s", smp->name);
		ctl_cell(sh->req, "%s", smp->labels);
	} else {
		ctl_cell(sh->req, *smp->labels ? "%s{%s}" : "%s%s", smp->name, smp->labels);
	}
	ctl_cell_real(sh->req, smp->value);
}

/* The registry as the endpoint has it: "name{labels}  value" per line for
 * a person; for a script the name, the labels (as the exposition writes
 * them) and the value apart. */
static int cmd_show_stats(void *arg, struct ctl_req *req, int argc, char **argv)
{
	struct gw *gw = arg;
	struct show sh = { .req = req, .filter = argc ? argv[0] : NULL, .json = ctl_json(req) };

	if (argc > 1) {
		ctl_error(req, "usage: show stats [FILTER]");
		return -EINVAL;
	}
	if (sh.json)
		ctl_table(req, "stats", (const char *[]){ "name", "labels", "value", NULL });
	else
		ctl_table(req, "stats", (const char *[]){ "metric", "value", NULL });
	return stats_walk(gw->stats, NULL, show_sample, &sh);
}

int gw_metrics_register(struct gw *gw)
{
	int rc;

	if ((rc = stats_alloc(&gw->stats)) || (rc = add_start_time(gw)) ||
	    (rc = bridge_metrics_add(gw->br, gw->stats)))
		return rc;
	for (size_t i = 0; i < sizeof(gw_families) / sizeof(gw_families[0]); i++) {
		struct stats_family_params p = {
			.name = gw_families[i].name, .help = gw_families[i].help, .type = gw_families[i].type,
			.labels = { gw_families[i].label }, .collect_h = gw_families[i].collect_h,
			.collect_arg = gw,
		};

		if ((rc = stats_family_add(gw->stats, NULL, &p)))
			return rc;
	}
	if ((rc = gw_media_register(gw)))
		return rc;
	if ((rc = ctl_register(gw->ctl, "show stats", "show stats [FILTER]", cmd_show_stats, gw)))
		return rc;
	if (!gw->cfg.ops.metrics_listen[0])
		return 0;
	if ((rc = metrics_http_alloc(&gw->metrics, &(struct metrics_http_params){
		     .root = gw->root, .listen = gw->cfg.ops.metrics_listen, .stats = gw->stats })))
		LOGE(LSS_CORE, "metrics listen %s: %s", gw->cfg.ops.metrics_listen, strerror(-rc));
	return rc;
}

void gw_metrics_free(struct gw *gw)
{
	metrics_http_free(gw->metrics);
	gw->metrics = NULL;
	stats_free(gw->stats);
	gw->stats = NULL;
}
