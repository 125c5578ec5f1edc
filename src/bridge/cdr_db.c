/* sipgw - the CDR writer thread (cdr_db.h says what it promises). The
 * loop's side only takes the mutex to link a copy of the record in; the
 * SQLite work happens outside it, so a slow or full disk delays nothing but
 * the writer. SPDX-License-Identifier: GPL-2.0-only */
#include "bridge/cdr_db.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/log.h"

struct cdr_node {
	STAILQ_ENTRY(cdr_node) entry;
	struct cdr_record rec;
};
STAILQ_HEAD(cdr_list, cdr_node);

struct cdr_db {
	char *path;
	char *real;			/* its absolute path, for sipgwctl */
	sqlite3 *db;
	sqlite3_stmt *ins;
	pthread_t th;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t work;		/* a row came, or stop */
	pthread_cond_t done;		/* a batch finished (flush waits on it) */
	struct cdr_list q;
	unsigned long n_queued, n_busy;	/* waiting; in the batch being written */
	unsigned max_queue, retry_ms;
	int stop;
	struct cdr_db_stats st;
	double max_commit_ms;
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

static int db_insert(struct cdr_db *d, const struct cdr_record *r)
{
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

/* One transaction for the batch: all of it or none (then retried whole;
 * INSERT OR IGNORE on the uuid keeps a row from ever being there twice). */
static int db_write_batch(struct cdr_db *d, struct cdr_list *batch, char *why, size_t len)
{
	struct cdr_node *n;

	if (sqlite3_exec(d->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	STAILQ_FOREACH(n, batch, entry)
		if (db_insert(d, &n->rec))
			goto fail_rollback;
	if (sqlite3_exec(d->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto fail_rollback;
	return 0;
fail_rollback:
	snprintf(why, len, "%s", sqlite3_errmsg(d->db));
	sqlite3_exec(d->db, "ROLLBACK", NULL, NULL, NULL);
	return -EIO;
fail:
	snprintf(why, len, "%s", sqlite3_errmsg(d->db));
	return -EIO;
}

/* A row that can never be written (a failing disk at exit) still reaches
 * the log, as the CSV line cdr export would have printed. */
static void log_lost_row(const struct cdr_record *r)
{
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

static void free_list(struct cdr_list *l)
{
	struct cdr_node *n;

	while ((n = STAILQ_FIRST(l))) {
		STAILQ_REMOVE_HEAD(l, entry);
		free(n);
	}
}

/* Past the bound the oldest rows go: the newest calls are the ones a
 * carrier asks about first, and memory must stay bounded. Locked. */
static void enforce_bound(struct cdr_db *d)
{
	struct cdr_node *n;

	while (d->n_queued > d->max_queue && (n = STAILQ_FIRST(&d->q))) {
		STAILQ_REMOVE_HEAD(&d->q, entry);
		d->n_queued--;
		d->st.dropped++;
		LOGE(LSS_BRIDGE, "cdr: queue full (%u rows): call %u dropped", d->max_queue, n->rec.call_id);
		log_lost_row(&n->rec);
		free(n);
	}
}

static void *writer_main(void *arg)
{
	struct cdr_db *d = arg;
	struct cdr_list batch;
	char why[256];

	pthread_mutex_lock(&d->mu);
	for (;;) {
		unsigned long n;
		long long oldest_end = 0;
		struct cdr_node *it;
		int rc;

		while (STAILQ_EMPTY(&d->q) && !d->stop)
			pthread_cond_wait(&d->work, &d->mu);
		if (STAILQ_EMPTY(&d->q))
			break;
		STAILQ_INIT(&batch);
		STAILQ_CONCAT(&batch, &d->q);
		n = d->n_queued;
		d->n_busy = n;
		d->n_queued = 0;
		pthread_mutex_unlock(&d->mu);

		STAILQ_FOREACH(it, &batch, entry)
			if (!oldest_end || (it->rec.end_us && it->rec.end_us < oldest_end))
				oldest_end = it->rec.end_us;
		rc = db_write_batch(d, &batch, why, sizeof(why));

		pthread_mutex_lock(&d->mu);
		d->n_busy = 0;
		if (rc == 0) {
			double ms = oldest_end ? (mono_us() - oldest_end) / 1000.0 : 0;

			d->st.written += n;
			d->st.last_commit_ms = ms;
			if (ms > d->max_commit_ms)
				d->max_commit_ms = ms;
			free_list(&batch);
			pthread_cond_broadcast(&d->done);
			continue;
		}
		d->st.failures++;
		if (d->stop) {
			/* exiting on a disk that refuses: the rows go to the log */
			LOGE(LSS_BRIDGE, "cdr: %s: %s; %lu row(s) not written", d->path, why, n);
			STAILQ_FOREACH(it, &batch, entry)
				log_lost_row(&it->rec);
			d->st.dropped += n;
			free_list(&batch);
			pthread_cond_broadcast(&d->done);
			continue;
		}
		LOGE(LSS_BRIDGE, "cdr: %s: %s; %lu row(s) kept, trying again in %u ms", d->path, why, n,
		     d->retry_ms);
		/* the batch goes back in front of what came meanwhile */
		STAILQ_CONCAT(&batch, &d->q);
		STAILQ_INIT(&d->q);
		STAILQ_CONCAT(&d->q, &batch);
		d->n_queued += n;
		enforce_bound(d);
		pthread_cond_broadcast(&d->done);
		{
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += d->retry_ms / 1000;
			ts.tv_nsec += (long)(d->retry_ms % 1000) * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			while (!d->stop && pthread_cond_timedwait(&d->work, &d->mu, &ts) != ETIMEDOUT)
				;
		}
	}
	pthread_mutex_unlock(&d->mu);
	return NULL;
}

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
	d->max_queue = p->max_queue ? p->max_queue : CDR_QUEUE_MAX;
	d->retry_ms = p->retry_ms ? p->retry_ms : CDR_RETRY_MS;
	STAILQ_INIT(&d->q);
	pthread_mutex_init(&d->mu, NULL);
	pthread_cond_init(&d->work, NULL);
	pthread_cond_init(&d->done, NULL);
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
	{
		/* the writer takes no signal: sipgw reads them from a signalfd,
		 * which works only while every thread blocks them */
		sigset_t all, old;

		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		rc = -pthread_create(&d->th, NULL, writer_main, d);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	if (rc) {
		snprintf(err, errlen, "%s: cannot start the writer: %s", p->path, strerror(-rc));
		cdr_db_close(d);
		return rc;
	}
	d->started = 1;
	*dbp = d;
	return 0;
}

void cdr_db_put(struct cdr_db *d, const struct cdr_record *r)
{
	struct cdr_node *n;

	if (!d)
		return;
	if (!(n = malloc(sizeof(*n)))) {
		LOGE(LSS_BRIDGE, "cdr: out of memory: call %u not recorded", r->call_id);
		log_lost_row(r);
		pthread_mutex_lock(&d->mu);
		d->st.dropped++;
		pthread_mutex_unlock(&d->mu);
		return;
	}
	n->rec = *r;
	pthread_mutex_lock(&d->mu);
	STAILQ_INSERT_TAIL(&d->q, n, entry);
	d->n_queued++;
	enforce_bound(d);
	pthread_cond_signal(&d->work);
	pthread_mutex_unlock(&d->mu);
}

int cdr_db_flush(struct cdr_db *d, unsigned timeout_ms)
{
	struct timespec ts;
	int rc;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&d->mu);
	/* a batch that failed is back in the queue: then this waits it out */
	while (d->n_queued + d->n_busy && pthread_cond_timedwait(&d->done, &d->mu, &ts) != ETIMEDOUT)
		;
	rc = d->n_queued + d->n_busy ? -EAGAIN : 0;
	pthread_mutex_unlock(&d->mu);
	return rc;
}

void cdr_db_get_stats(struct cdr_db *d, struct cdr_db_stats *st)
{
	pthread_mutex_lock(&d->mu);
	*st = d->st;
	st->queued = d->n_queued + d->n_busy;
	pthread_mutex_unlock(&d->mu);
}

void cdr_db_close(struct cdr_db *d)
{
	if (!d)
		return;
	if (d->started) {
		pthread_mutex_lock(&d->mu);
		d->stop = 1;
		pthread_cond_signal(&d->work);
		pthread_mutex_unlock(&d->mu);
		pthread_join(d->th, NULL);
		LOGN(LSS_BRIDGE, "cdr: %s: %lu row(s) written, %lu dropped, %lu failed write(s); "
		     "commit within %.1f ms of a call's end at most", d->path, d->st.written, d->st.dropped,
		     d->st.failures, d->max_commit_ms);
	}
	free_list(&d->q);
	sqlite3_finalize(d->ins);
	sqlite3_close(d->db);
	pthread_cond_destroy(&d->work);
	pthread_cond_destroy(&d->done);
	pthread_mutex_destroy(&d->mu);
	free(d->path);
	free(d->real);
	free(d);
}

const char *cdr_db_path(const struct cdr_db *d)
{
	return d->real;
}
