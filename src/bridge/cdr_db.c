/* sipgw - the CDR writer (cdr_db.h says what it promises): the table from
 * the column list, one prepared INSERT; the thread, queue, batches and
 * retries are core/dbq.c's, shared with the registrar's bindings.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "bridge/cdr_db.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/dbq.h"
#include "core/log.h"

struct cdr_db {
	char *path;
	char *real;			/* its absolute path, for sipgwctl */
	sqlite3 *db;
	sqlite3_stmt *ins;
	struct dbq *q;			/* the writer (core/dbq.h) */
	pthread_mutex_t mu;		/* the commit figures below */
	double last_commit_ms, batch_ms, max_commit_ms;
};

static char schema_sql[4096], insert_sql[4096];
static pthread_once_t sql_once = PTHREAD_ONCE_INIT;

/* The statements from the column table (cdr.c): built once. */
static void build_sql(void)
{
	size_t n = cdr_columns(), a, b;

	a = (size_t)snprintf(schema_sql, sizeof(schema_sql),
			     "CREATE TABLE IF NOT EXISTS cdr (seq INTEGER PRIMARY KEY");
	b = (size_t)snprintf(insert_sql, sizeof(insert_sql), "INSERT OR IGNORE INTO cdr (");
	for (size_t i = 0; i < n; i++) {
		a += (size_t)snprintf(schema_sql + a, sizeof(schema_sql) - a, ", %s %s%s", cdr_column_name(i),
				      cdr_column_sqltype(i), !strcmp(cdr_column_name(i), "uuid") ?
				      " UNIQUE NOT NULL" : "");
		b += (size_t)snprintf(insert_sql + b, sizeof(insert_sql) - b, "%s%s", i ? ", " : "",
				      cdr_column_name(i));
	}
	/* --since selects on the end: rows come in the order calls end */
	snprintf(schema_sql + a, sizeof(schema_sql) - a,
		 ");\nCREATE INDEX IF NOT EXISTS cdr_end_ms ON cdr (end_ms);");
	b += (size_t)snprintf(insert_sql + b, sizeof(insert_sql) - b, ") VALUES (");
	for (size_t i = 0; i < n; i++)
		b += (size_t)snprintf(insert_sql + b, sizeof(insert_sql) - b, "%s?", i ? ", " : "");
	snprintf(insert_sql + b, sizeof(insert_sql) - b, ")");
}

const char *cdr_db_schema(void)
{
	pthread_once(&sql_once, build_sql);
	return schema_sql;
}

static int db_insert(void *arg, sqlite3 *db, const void *item)
{
	struct cdr_db *d = arg;
	const struct cdr_record *r = item;
	sqlite3_stmt *s = d->ins;
	struct cdr_val v;
	int rc;

	for (size_t i = 0; i < cdr_columns(); i++) {
		int col = (int)i + 1;

		cdr_value(r, i, &v);
		switch (v.type) {
		case CDR_T_INT: sqlite3_bind_int64(s, col, v.i); break;
		case CDR_T_REAL: sqlite3_bind_double(s, col, v.d); break;
		case CDR_T_TEXT: sqlite3_bind_text(s, col, v.s, -1, SQLITE_TRANSIENT); break;
		default: sqlite3_bind_null(s, col); break;
		}
	}
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

/* A row that can never be written (a failing disk at exit) still reaches
 * the log, as the CSV line cdr export would have printed. */
static void log_lost_row(void *arg, const void *item)
{
	const struct cdr_record *r = item;
	char line[4096], field[512];
	size_t n = 0;
	struct cdr_val v;

	for (size_t i = 0; i < cdr_columns() && n < sizeof(line); i++) {
		cdr_value(r, i, &v);
		if (v.type == CDR_T_INT)
			snprintf(field, sizeof(field), "%lld", v.i);
		else if (v.type == CDR_T_REAL)
			snprintf(field, sizeof(field), "%.3f", v.d);
		else if (v.type == CDR_T_TEXT)
			cdr_csv_field(field, sizeof(field), v.s);
		else
			field[0] = '\0';
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%s", i ? "," : "", field);
	}
	LOGE(LSS_BRIDGE, "cdr: not written, the row: %s", line);
}

/* The commit figure: end of the newest call -> its COMMIT, the slowest
 * of the batch. */
static void row_committed(void *arg, const void *item, int first)
{
	struct cdr_db *d = arg;
	const struct cdr_record *r = item;
	double ms = r->end_us ? (mono_us() - r->end_us) / 1000.0 : 0;

	pthread_mutex_lock(&d->mu);
	if (first)
		d->batch_ms = 0;
	if (ms > d->batch_ms)
		d->batch_ms = ms;
	d->last_commit_ms = d->batch_ms;
	if (ms > d->max_commit_ms)
		d->max_commit_ms = ms;
	pthread_mutex_unlock(&d->mu);
}

static const struct dbq_ops cdr_ops = {
	.item_size = sizeof(struct cdr_record),
	.write = db_insert,
	.lost = log_lost_row,
	.committed = row_committed,
};

static int db_setup(struct cdr_db *d, char *err, size_t errlen)
{
	char *msg = NULL;

	/* WAL: sipgwctl's reads never block a commit (nor one of them);
	 * synchronous FULL: a committed row survives a power cut too, and the
	 * fsync costs the writer thread, never the loop. */
	if (sqlite3_exec(d->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", NULL, NULL, &msg) !=
	    SQLITE_OK || sqlite3_exec(d->db, cdr_db_schema(), NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", d->path, msg ? msg : sqlite3_errmsg(d->db));
		sqlite3_free(msg);
		return -EIO;
	}
	if (sqlite3_prepare_v2(d->db, insert_sql, -1, &d->ins, NULL) != SQLITE_OK) {
		/* an older table of other columns */
		snprintf(err, errlen, "%s: table cdr: %s", d->path, sqlite3_errmsg(d->db));
		return -EIO;
	}
	/* a reader's checkpoint or another writer: wait rather than fail */
	sqlite3_busy_timeout(d->db, 2000);
	return 0;
}

int cdr_db_open(struct cdr_db **dbp, const struct cdr_db_params *p, char *err, size_t errlen)
{
	struct cdr_db *d = calloc(1, sizeof(*d));
	struct dbq_params qp = { .name = "cdr", .path = p->path, .lss = LSS_BRIDGE, .ops = &cdr_ops,
				 .max_queue = p->max_queue ? p->max_queue : CDR_QUEUE_MAX,
				 .retry_ms = p->retry_ms ? p->retry_ms : CDR_RETRY_MS };
	int rc, fd;

	*dbp = NULL;
	if (!d || !(d->path = strdup(p->path)) || !(d->real = malloc(PATH_MAX))) {
		if (d)
			free(d->path);
		free(d);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	pthread_once(&sql_once, build_sql);
	pthread_mutex_init(&d->mu, NULL);
	/* CDRs hold who called whom: the file (and SQLite's -wal and -shm,
	 * which take its mode) for sipgw and its group, not for everyone */
	if ((fd = open(p->path, O_RDWR | O_CREAT | O_CLOEXEC, 0640)) >= 0)
		close(fd);
	if (!realpath(p->path, d->real))
		snprintf(d->real, PATH_MAX, "%s", p->path);
	if (sqlite3_open_v2(p->path, &d->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", p->path, d->db ? sqlite3_errmsg(d->db) : "cannot open");
		cdr_db_close(d);
		return -EIO;
	}
	if ((rc = db_setup(d, err, errlen))) {
		cdr_db_close(d);
		return rc;
	}
	qp.db = d->db;
	qp.arg = d;
	if ((rc = dbq_start(&d->q, &qp))) {
		snprintf(err, errlen, "%s: cannot start the writer: %s", p->path, strerror(-rc));
		cdr_db_close(d);
		return rc;
	}
	*dbp = d;
	return 0;
}

void cdr_db_put(struct cdr_db *d, const struct cdr_record *r)
{
	if (d)
		dbq_put(d->q, r);
}

int cdr_db_flush(struct cdr_db *d, unsigned timeout_ms)
{
	return dbq_flush(d->q, timeout_ms);
}

void cdr_db_get_stats(struct cdr_db *d, struct cdr_db_stats *st)
{
	struct dbq_stats qs;

	dbq_get_stats(d->q, &qs);
	*st = (struct cdr_db_stats){ .written = qs.written, .queued = qs.queued, .dropped = qs.dropped,
				     .failures = qs.failures };
	pthread_mutex_lock(&d->mu);
	st->last_commit_ms = d->last_commit_ms;
	pthread_mutex_unlock(&d->mu);
}

void cdr_db_close(struct cdr_db *d)
{
	if (!d)
		return;
	if (d->q) {
		struct dbq_stats qs;

		dbq_stop(d->q, &qs);	/* drains: every row written or logged */
		d->q = NULL;
		LOGN(LSS_BRIDGE, "cdr: %s: %lu row(s) written, %lu dropped, %lu failed write(s); "
		     "commit within %.1f ms of a call's end at most", d->path, qs.written, qs.dropped,
		     qs.failures, d->max_commit_ms);
	}
	sqlite3_finalize(d->ins);
	sqlite3_close(d->db);
	pthread_mutex_destroy(&d->mu);
	free(d->path);
	free(d->real);
	free(d);
}

const char *cdr_db_path(const struct cdr_db *d)
{
	return d->real;
}
