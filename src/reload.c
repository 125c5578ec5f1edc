/* sipgw - reload without dropping calls (reload.h). The file is read and
 * checked whole into a new config generation before anything changes; then
 * each part takes what it may change live, and routing routes new calls by
 * the new generation while every call up keeps the one it started with.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "reload.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/bridge.h"
#include "core/cfg_diff.h"
#include "core/cfg_gen.h"
#include "core/log.h"
#include "gw.h"
#include "q931/span.h"
#include "route/peer_health.h"
#include "route/route.h"
#include "route/route_check.h"
#include "sip/registrar.h"
#include "sip/sip_keepalive.h"
#include "sip/sip_ua.h"

static void reply_add(struct reload_reply *rep, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!rep || rep->len >= sizeof(rep->text) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(rep->text + rep->len, sizeof(rep->text) - rep->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		rep->len += (size_t)n < sizeof(rep->text) - rep->len ? (size_t)n : sizeof(rep->text) - 1 - rep->len;
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
 * with their calls kept; new ones are started. *added names the new ones. */
static void reload_spans(struct gw *gw, struct gw_config *cfg, struct cfg_restart *rs, struct reload_reply *rep,
			 char *added, size_t addlen, int *n_added)
{
	size_t alen = 0;

	*n_added = 0;
	added[0] = 0;
	for (int i = 0; i < gw->n_spans; i++) {
		struct span *sp = gw->spans[i];
		struct cfg_span *ns = (struct cfg_span *)config_span(cfg, span_name(sp));

		if (ns) {
			cfg_diff_span_restart(span_config(sp), ns, rs);
			cfg_diff_span_keep(span_config(sp), ns);
			span_reconfigure(sp, ns, cfg->timers.t302_ms);
			if (gw->legs.retired & 1u << i) {
				LOGN(LSS_CORE, "reload: span %s is back in the config: in service for new calls",
				     span_name(sp));
				reply_add(rep, "span %s: back in service\n", span_name(sp));
			}
			route_legs_retire_span(&gw->legs, sp, 0);
			continue;
		}
		if (gw->legs.retired & 1u << i)
			continue;
		route_legs_retire_span(&gw->legs, sp, 1);
		LOGN(LSS_CORE, "reload: span %s is no longer in the config: busied out for new calls, "
		     "its %d call(s) kept", span_name(sp), span_calls(sp));
		reply_add(rep, "span %s: removed from the config: busied out for new calls, %d call(s) on it kept "
			  "(a restart takes it down)\n", span_name(sp), span_calls(sp));
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
			reply_add(rep, "span %s: new, in an NFAS group: needs a restart\n", cs->name);
			continue;
		}
		if ((rc = gw_span_start(gw, cfg, cs))) {
			LOGE(LSS_CORE, "reload: new span %s could not start: %s", cs->name, strerror(-rc));
			reply_add(rep, "span %s: new, could not start: %s\n", cs->name, strerror(-rc));
			continue;
		}
		alen += (size_t)snprintf(added + alen, alen < addlen ? addlen - alen : 0, "%s%s",
					 (*n_added)++ ? ", " : "", cs->name);
	}
}

/* Peer health follows the new dial-peers: the keepalive targets made again,
 * each one that stays keeping its state (a busied-out peer stays so). */
static int reload_health(struct gw *gw, const struct gw_config *cfg)
{
	struct peer_health *ph;
	int rc;

	if ((rc = peer_health_alloc(&ph, cfg->peers, cfg->n_peers)))
		return rc;
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

int reload_run(struct gw *gw, const char *who, struct reload_reply *rep)
{
	struct gw_config *fresh = calloc(1, sizeof(*fresh));
	const struct gw_config *old = gw_cfg(gw), *cfg;
	struct cfg_restart rs = { .n = 0 };
	struct sip_ua_params up;
	struct cfg_gen *g, *was;
	char err[1024], added[CFG_MAX_SPANS * (CFG_NAME + 2)], note[sizeof(added) + 24] = "";
	int rc, n_added;

	if (rep)
		rep->len = rep->text[0] = 0;
	if (gw->state != GW_RUNNING) {
		free(fresh);
		reply_add(rep, "reload refused: the gateway is shutting down\n");
		return -EBUSY;
	}
	if (!fresh)
		return -ENOMEM;
	if (route_config_load(fresh, old->file, err, sizeof(err))) {
		LOGE(LSS_CORE, "reload (%s) refused: %s; the running config stays", who, err);
		reply_add(rep, "reload refused: %s\nthe running configuration stays in force\n", err);
		free(fresh);
		return -EINVAL;
	}
	if (gw->level_forced)
		fresh->log_level = old->log_level;	/* -l beats the file */
	if ((rc = cfg_gen_alloc(&g, fresh, gw->gen->id + 1))) {
		config_free(fresh);
		free(fresh);
		return rc;
	}
	free(fresh);
	cfg = &g->cfg;
	/* What only a restart changes keeps its running value. */
	cfg_diff_restart(old, cfg, &rs);
	cfg_diff_keep(old, &g->cfg);
	log_set_level(cfg->log_level);
	if (gw->reg && (rc = registrar_reload(gw->reg, &cfg->reg)))
		reply_add(rep, "registrar users not reloaded: %s (the old users stay)\n", strerror(-rc));
	reload_spans(gw, &g->cfg, &rs, rep, added, sizeof(added), &n_added);
	if ((rc = reload_health(gw, cfg)))
		LOGE(LSS_CORE, "reload: options keepalive not restarted: %s", strerror(-rc));
	bridge_set_ring_no_answer(gw->br, cfg->timers.ring_no_answer_ms);
	gw_sip_params(gw, cfg, &up);
	sip_ua_reconfigure(gw->ua, &up);
	/* From here new calls are routed by g; calls up hold their own. */
	route_set_config(gw->route, g);
	was = gw->gen;
	gw->gen = g;
	for (int i = 0; i < rs.n; i++) {
		LOGW(LSS_CORE, "reload: %s changed: needs a restart (the running value stays)", rs.key[i]);
		reply_add(rep, "%s: changed, needs a restart (the running value stays)\n", rs.key[i]);
	}
	if (rs.more)
		reply_add(rep, "... and %d more key(s) that need a restart (see the log)\n", rs.more);
	if (n_added)
		snprintf(note, sizeof(note), " (+%d new: %s)", n_added, added);
	LOGN(LSS_CORE, "reload: %zu dial-peer(s), %d span(s)%s, %d user(s); calls up: %u kept", cfg->n_peers,
	     cfg->n_spans, note, n_users(cfg), bridge_call_count(gw->br));
	reply_add(rep, "reload: %zu dial-peer(s), %d span(s)%s, %d user(s); calls up: %u kept\n", cfg->n_peers,
		  cfg->n_spans, note, n_users(cfg), bridge_call_count(gw->br));
	LOGI(LSS_CORE, "reload (%s): config generation %u in force; generation %u %s", who, g->id, was->id,
	     was->refs > 1 ? "stays until its calls end" : "freed");
	cfg_gen_unref(was);
	return 0;
}
