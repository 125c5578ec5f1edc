/* sipgw - reload without dropping calls (gw.h gw_reload; sipgwctl reload).
 * The file is read and checked whole into a new config generation before
 * anything changes; then each part takes what it may change live, and
 * routing routes new calls by the new generation while every call up keeps
 * the one it started with.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/bridge.h"
#include "core/cfg_diff.h"
#include "core/cfg_gen.h"
#include "core/ctl.h"
#include "core/log.h"
#include "core/service.h"
#include "gw.h"
#include "q931/span.h"
#include "route/peer_health.h"
#include "route/route.h"
#include "route/route_check.h"
#include "sip/registrar.h"
#include "sip/sip_keepalive.h"
#include "sip/sip_ua.h"

#define RELOAD_MAX_NOTES 16
#define RELOAD_NOTE_LEN 200

/* What one reload did, for the log and for sipgwctl's answer. */
struct reload_report {
	char err[1024];			/* refused: why, "file:line: what" */
	size_t n_peers;
	int n_spans, n_users, n_added;
	char added[CFG_MAX_SPANS * (CFG_NAME + 2)];	/* the new spans' names, ", " between */
	char spans_note[CFG_MAX_SPANS * (CFG_NAME + 2) + 24];	/* " (+N new: NAMES)" or "" */
	unsigned calls_kept, gen;
	struct cfg_restart rs;		/* keys that need a restart (running values kept) */
	char notes[RELOAD_MAX_NOTES][RELOAD_NOTE_LEN];	/* spans removed, back, not started... */
	int n_notes;
};

static void note(struct reload_report *rep, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct reload_report *rep, const char *fmt, ...)
{
	va_list ap;

	if (rep->n_notes == RELOAD_MAX_NOTES)
		return;
	va_start(ap, fmt);
	vsnprintf(rep->notes[rep->n_notes++], RELOAD_NOTE_LEN, fmt, ap);
	va_end(ap);
}

/* Busy out (or back in use) every B-channel of sp, as `sipgwctl busyout
 * span` does: no new call either way, SERVICE to the far end where the
 * span sends it, calls up kept. */
static void span_busy_all(struct span *sp, int busy)
{
	int lo = 0, hi = 0, ch;

	for (int c = 1; c < SPAN_MAX_CHANS; c++)
		if (span_is_bchan(sp, c)) {
			lo = lo ? lo : c;
			hi = c;
		}
	if (lo && span_busyout(sp, lo, hi, busy, 1, &ch) && busy)
		LOGI(LSS_CORE, "reload: span %s was busied out already", span_name(sp));
}

static struct span *gw_span_by_name(struct gw *gw, const char *name)
{
	for (int i = 0; i < gw->n_spans; i++)
		if (!strcmp(span_name(gw->spans[i]), name))
			return gw->spans[i];
	return NULL;
}

/* Spans: those that stay take what may change; those gone are busied out
 * for new calls (routing refuses their SETUPs, no dial-peer can name them)
 * with their calls kept; new ones are started. */
static void reload_spans(struct gw *gw, struct gw_config *cfg, struct reload_report *rep)
{
	size_t alen = 0;

	for (int i = 0; i < gw->n_spans; i++) {
		struct span *sp = gw->spans[i];
		struct cfg_span *ns = (struct cfg_span *)config_span(cfg, span_name(sp));

		if (ns) {
			cfg_diff_span_restart(span_config(sp), ns, &rep->rs);
			cfg_diff_span_keep(span_config(sp), ns);
			span_reconfigure(sp, ns, cfg->timers.t302_ms);
			if (route_legs_retired(&gw->legs, i)) {
				span_busy_all(sp, 0);
				LOGN(LSS_CORE, "reload: span %s is back in the config: in service for new calls",
				     span_name(sp));
				note(rep, "span %s: back in the config, in service for new calls", span_name(sp));
			}
			route_legs_retire_span(&gw->legs, sp, 0);
			continue;
		}
		if (route_legs_retired(&gw->legs, i))
			continue;
		route_legs_retire_span(&gw->legs, sp, 1);
		span_busy_all(sp, 1);
		LOGN(LSS_CORE, "reload: span %s is no longer in the config: busied out for new calls, "
		     "its %d call(s) kept (a restart takes it down)", span_name(sp), span_calls(sp));
		note(rep, "span %s: no longer in the config: busied out for new calls, its %d call(s) kept "
		     "(a restart takes it down)", span_name(sp), span_calls(sp));
	}
	for (int i = 0; i < cfg->n_spans; i++) {
		const struct cfg_span *cs = &cfg->spans[i];
		int rc;

		if (gw_span_by_name(gw, cs->name))
			continue;
		/* NFAS groups are linked once, all members together (span_nfas_link) */
		if (cs->nfas_group) {
			LOGW(LSS_CORE, "reload: new span %s is in NFAS group %d: needs a restart", cs->name,
			     cs->nfas_group);
			note(rep, "span %s: new, in NFAS group %d: needs a restart", cs->name, cs->nfas_group);
			continue;
		}
		if ((rc = gw_span_start(gw, cfg, cs))) {
			LOGE(LSS_CORE, "reload: new span %s could not start: %s", cs->name, strerror(-rc));
			note(rep, "span %s: new, could not start: %s", cs->name, strerror(-rc));
			continue;
		}
		alen += (size_t)snprintf(rep->added + alen, alen < sizeof(rep->added) ? sizeof(rep->added) - alen : 0,
					 "%s%s", rep->n_added++ ? ", " : "", cs->name);
	}
}

/* Peer health follows the new dial-peers: when the keepalive targets
 * changed they are made again, each one that stays keeping its state (a
 * busied-out peer stays so). */
static int reload_health(struct gw *gw, const struct gw_config *cfg)
{
	struct peer_health *ph;
	int rc;

	if ((rc = peer_health_alloc(&ph, cfg->peers, cfg->n_peers)))
		return rc;
	if (peer_health_same(ph, gw->health)) {
		peer_health_free(ph);	/* nothing to change: the pingers go on as they are */
		return 0;
	}
	peer_health_take_state(ph, gw->health);
	sip_keepalive_free(gw->ka);
	gw->ka = NULL;
	route_set_health(gw->route, ph);
	peer_health_free(gw->health);
	gw->health = ph;
	return gw_keepalive_start(gw);
}

static int n_users(const struct gw_config *cfg)
{
	return cfg->reg.enabled ? cfg->reg.n_users : 0;
}

/* The file read and checked whole into a new generation, then each part
 * takes what it may change; nothing changes unless the whole file loads. */
static int reload_do(struct gw *gw, const char *who, struct reload_report *rep)
{
	struct gw_config *fresh = calloc(1, sizeof(*fresh));
	const struct gw_config *old = &gw->cfg;
	struct sip_ua_params up;
	struct cfg_gen *g, *was;
	int rc;

	memset(rep, 0, sizeof(*rep));
	if (!fresh)
		return -ENOMEM;
	if (gw->state != GW_RUNNING) {
		free(fresh);
		snprintf(rep->err, sizeof(rep->err), "the gateway is shutting down");
		return -EBUSY;
	}
	service_reloading(gw->svc, "reloading %s (%s)", old->file, who);
	if (route_config_load(fresh, old->file, rep->err, sizeof(rep->err))) {
		LOGE(LSS_CORE, "reload (%s) refused: %s; the running config stays", who, rep->err);
		service_ready(gw->svc, "running; reload refused: %s", rep->err);
		free(fresh);
		return -EINVAL;
	}
	if (gw->level_forced)
		fresh->log_level = old->log_level;	/* -l beats the file */
	if ((rc = cfg_gen_alloc(&g, fresh, gw->gen->id + 1))) {
		config_free(fresh);
		free(fresh);
		service_ready(gw->svc, "running; reload failed: no memory");
		return rc;
	}
	free(fresh);
	/* What only a restart changes keeps its running value. */
	cfg_diff_restart(old, &g->cfg, &rep->rs);
	cfg_diff_keep(old, &g->cfg);
	log_set_level(g->cfg.log_level);
	if (gw->reg && (rc = registrar_reload(gw->reg, &g->cfg.reg)))
		note(rep, "registrar users not reloaded: %s (the old users stay)", strerror(-rc));
	reload_spans(gw, &g->cfg, rep);
	if (rep->n_added)
		gw_limits_apply(&g->cfg);	/* new spans' calls need their fds too */
	if ((rc = reload_health(gw, &g->cfg)))
		LOGE(LSS_CORE, "reload: options keepalive not restarted: %s", strerror(-rc));
	bridge_set_ring_no_answer(gw->br, g->cfg.timers.ring_no_answer_ms);
	gw_sip_params(gw, &g->cfg, &up);
	sip_ua_reconfigure(gw->ua, &up);
	/* From here new calls are routed by g; calls up hold their own. */
	route_set_config(gw->route, g);
	was = gw->gen;
	gw->gen = g;
	gw->cfg = g->cfg;
	for (int i = 0; i < rep->rs.n; i++)
		LOGW(LSS_CORE, "reload: %s changed: needs a restart (the running value stays)", rep->rs.key[i]);
	rep->n_peers = g->cfg.n_peers;
	rep->n_spans = g->cfg.n_spans;
	rep->n_users = n_users(&g->cfg);
	rep->calls_kept = bridge_call_count(gw->br);
	rep->gen = g->id;
	if (rep->n_added)
		snprintf(rep->spans_note, sizeof(rep->spans_note), " (+%d new: %s)", rep->n_added, rep->added);
	LOGN(LSS_CORE, "reload: %zu dial-peer(s), %d span(s)%s, %d user(s); calls up: %u kept", rep->n_peers,
	     rep->n_spans, rep->spans_note, rep->n_users, rep->calls_kept);
	service_ready(gw->svc, "running; reloaded: %zu dial-peer(s), %d span(s), calls up: %u kept", rep->n_peers,
		      rep->n_spans, rep->calls_kept);
	LOGI(LSS_CORE, "reload (%s): config generation %u in force; generation %u %s", who, g->id, was->id,
	     was->refs > 1 ? "stays until its calls end" : "freed");
	cfg_gen_unref(was);
	return 0;
}

int gw_reload(struct gw *gw, const char *who)
{
	struct reload_report *rep = malloc(sizeof(*rep));
	int rc;

	if (!rep)
		return -ENOMEM;
	rc = reload_do(gw, who, rep);
	free(rep);
	return rc;
}

/* sipgwctl reload: the log's summary, the keys kept until a restart (a
 * table), the spans' notes; a refusal is the error with file:line. */
static int cmd_reload(void *arg, struct ctl_req *req, int argc, char **argv)
{
	static const char *const cols[] = { "key", "status", NULL };
	struct gw *gw = arg;
	struct reload_report *rep;
	int rc;

	(void)argv;
	if (argc) {
		ctl_error(req, "reload takes no arguments");
		return -EINVAL;
	}
	if (!(rep = malloc(sizeof(*rep)))) {
		ctl_error(req, "no memory");
		return -ENOMEM;
	}
	if ((rc = reload_do(gw, "sipgwctl", rep))) {
		if (rc == -ENOMEM)
			ctl_error(req, "reload failed: no memory; the running configuration stays");
		else
			ctl_error(req, "reload refused: %s; the running configuration stays", rep->err);
		free(rep);
		return rc;
	}
	ctl_text(req, "reload: %zu dial-peer(s), %d span(s)%s, %d user(s); calls up: %u kept", rep->n_peers,
		 rep->n_spans, rep->spans_note, rep->n_users, rep->calls_kept);
	ctl_kv(req, "reload", "result", "taken");
	ctl_kv(req, "reload", "config", "%s", gw->cfg.file);
	ctl_kv_num(req, "reload", "generation", rep->gen);
	ctl_kv_num(req, "reload", "dial_peers", (long long)rep->n_peers);
	ctl_kv_num(req, "reload", "spans", rep->n_spans);
	ctl_kv(req, "reload", "new_spans", "%s", rep->n_added ? rep->added : "-");
	ctl_kv_num(req, "reload", "users", rep->n_users);
	ctl_kv_num(req, "reload", "calls_kept", rep->calls_kept);
	if (rep->rs.n) {
		ctl_table(req, "needs_restart", cols);
		for (int i = 0; i < rep->rs.n; i++) {
			ctl_cell(req, "%s", rep->rs.key[i]);
			ctl_cell(req, "changed, needs a restart (the running value stays)");
		}
	}
	for (int i = 0; i < rep->n_notes; i++)
		ctl_text(req, "%s", rep->notes[i]);
	if (rep->rs.more)
		ctl_text(req, "%d more key(s) need a restart (see the log)", rep->rs.more);
	free(rep);
	return 0;
}

int gw_reload_register(struct gw *gw)
{
	return ctl_register(gw->ctl, "reload", "reload", cmd_reload, gw);
}
