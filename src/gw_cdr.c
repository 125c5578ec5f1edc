/* sipgw - the CDR in the daemon: the writer opened before the bridge (each
 * call's record goes to it), closed after the bridge (every call cleared or
 * dropped has queued its row, and the writer drains them); and sipgwctl's
 * "cdr path" (where `sipgwctl cdr export` reads from) and "cdr stats".
 * SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gw.h"
#include "bridge/bridge.h"
#include "bridge/cdr_db.h"
#include "core/ctl.h"
#include "core/log.h"
#include "core/stats.h"

/* bridge_cdr_h: a copy into the writer's queue; the loop never waits on SQLite */
static void gw_cdr_put(void *arg, const struct cdr_record *r)
{
	cdr_db_put(arg, r);
}

int gw_cdr_start(struct gw *gw, struct bridge_params *bp)
{
	const struct cfg_ops *o = &gw->cfg.ops;
	char err[512];
	int rc;

	if (!o->cdr_database[0])
		return 0;
	if ((rc = cdr_db_open(&gw->cdr, &(struct cdr_db_params){ .path = o->cdr_database }, err, sizeof(err)))) {
		LOGE(LSS_CORE, "%s:%d: cdr database: %s", gw->cfg.file, o->cdr_database_line, err);
		return rc;
	}
	LOGN(LSS_CORE, "cdr: one row per call in %s (table cdr)", cdr_db_path(gw->cdr));
	bp->cdr_h = gw_cdr_put;
	bp->cdr_arg = gw->cdr;
	return 0;
}

void gw_cdr_stop(struct gw *gw)
{
	cdr_db_close(gw->cdr);
	gw->cdr = NULL;
}

static int cmd_cdr_path(void *arg, struct ctl_req *req, int argc, char **argv)
{
	struct gw *gw = arg;

	if (!gw->cdr) {
		ctl_error(req, "this gateway keeps no CDR (no cdr.database in %s)", gw->cfg.file);
		return -ENOENT;
	}
	/* text: the path alone, what sipgwctl cdr export reads */
	if (ctl_json(req)) {
		ctl_kv(req, "cdr", "database", "%s", cdr_db_path(gw->cdr));
	} else {
		ctl_raw(req, cdr_db_path(gw->cdr), strlen(cdr_db_path(gw->cdr)));
		ctl_raw(req, "\n", 1);
	}
	return 0;
}

static int cmd_cdr_stats(void *arg, struct ctl_req *req, int argc, char **argv)
{
	struct gw *gw = arg;
	struct cdr_db_stats st;

	if (!gw->cdr) {
		ctl_error(req, "this gateway keeps no CDR (no cdr.database in %s)", gw->cfg.file);
		return -ENOENT;
	}
	cdr_db_get_stats(gw->cdr, &st);
	ctl_kv(req, "cdr", "database", "%s", cdr_db_path(gw->cdr));
	ctl_kv_num(req, "cdr", "written", (long long)st.written);
	ctl_kv_num(req, "cdr", "queued", (long long)st.queued);
	ctl_kv_num(req, "cdr", "dropped", (long long)st.dropped);
	ctl_kv_num(req, "cdr", "failed_writes", (long long)st.failures);
	ctl_kv(req, "cdr", "last_commit_ms", "%.1f", st.last_commit_ms);
	return 0;
}

/* An older sipgwctl sends export to the daemon: the loop does not read the
 * table (a big export would hold it), the client does. */
static int cmd_cdr_export(void *arg, struct ctl_req *req, int argc, char **argv)
{
	ctl_error(req, "cdr export is done by sipgwctl itself, from the database file (sipgwctl cdr path)");
	return -ENOTSUP;
}

/* ---- the writer's figures in the metrics (show stats, the endpoint) */

static double st_written(const struct cdr_db_stats *st) { return (double)st->written; }
static double st_queued(const struct cdr_db_stats *st) { return (double)st->queued; }
static double st_dropped(const struct cdr_db_stats *st) { return (double)st->dropped; }
static double st_failures(const struct cdr_db_stats *st) { return (double)st->failures; }

static const struct {
	const char *name, *help;
	enum stats_type type;
	double (*get)(const struct cdr_db_stats *st);
} cdr_families[] = {
	{ "sipgw_cdr_rows_written_total", "CDR rows committed to cdr.database", STATS_COUNTER, st_written },
	{ "sipgw_cdr_rows_queued", "CDR rows waiting for the writer (a full or slow disk holds them)",
	  STATS_GAUGE, st_queued },
	{ "sipgw_cdr_rows_dropped_total", "CDR rows lost: past the queue's bound, or at exit on a failing disk "
	  "(each logged as CSV)", STATS_COUNTER, st_dropped },
	{ "sipgw_cdr_write_failures_total", "CDR transactions that failed (and were tried again)", STATS_COUNTER,
	  st_failures },
};

static void collect_cdr(void *arg, struct stats_family *f)
{
	struct gw *gw = arg;
	struct cdr_db_stats st;

	if (!gw->cdr)
		return;
	cdr_db_get_stats(gw->cdr, &st);
	for (size_t i = 0; i < sizeof(cdr_families) / sizeof(cdr_families[0]); i++)
		if (f == gw->cdr_families[i])
			stats_set(stats_series1(f, NULL), cdr_families[i].get(&st));
}

static int gw_cdr_metrics(struct gw *gw)
{
	int rc;

	_Static_assert(sizeof(cdr_families) / sizeof(cdr_families[0]) == GW_CDR_FAMILIES, "one slot each");
	if (!gw->stats || !gw->cdr)
		return 0;
	for (size_t i = 0; i < sizeof(cdr_families) / sizeof(cdr_families[0]); i++)
		if ((rc = stats_family_add(gw->stats, &gw->cdr_families[i], &(struct stats_family_params){
			     .name = cdr_families[i].name, .help = cdr_families[i].help,
			     .type = cdr_families[i].type, .collect_h = collect_cdr, .collect_arg = gw })))
			return rc;
	return 0;
}

int gw_cdr_register(struct gw *gw)
{
	int rc;

	if ((rc = gw_cdr_metrics(gw)))
		return rc;

	if ((rc = ctl_register(gw->ctl, "cdr path", "cdr path", cmd_cdr_path, gw)) ||
	    (rc = ctl_register(gw->ctl, "cdr stats", "cdr stats", cmd_cdr_stats, gw)))
		return rc;
	return ctl_register(gw->ctl, "cdr export", "cdr export --csv [--since ISO-TIME|EPOCH]", cmd_cdr_export, gw);
}
