/* sipgw - the registrar's bindings in SQLite, written by a thread of their
 * own (core/dbq.h), so a REGISTER's 200 never waits on the disk and the
 * event loop never stalls on an fsync or a WAL checkpoint.
 *
 * Memory is the registrar's truth; the database is how bindings survive a
 * restart. A change is queued as the 200 goes out and committed within
 * moments (batches: many REGISTERs, one transaction); sipgw's stop drains
 * the queue first. While the writer fails (a full disk), the REGISTERs
 * that would change a binding get 500 with Retry-After and memory stays as
 * it was; those answered 200 while the failing write was on its way are
 * kept in memory, tried again each second, and named in the log if sipgw
 * stops before the disk takes them.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "sip/sip_internal.h"
#include "sip/registrar_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "core/config.h"
#include "core/dbq.h"
#include "core/log.h"

/* One change to the table, as queued. */
struct reg_db_op {
	int del;			/* else INSERT OR REPLACE */
	char aor[64];
	char contact[256];
	char call_id[128];
	unsigned cseq;
	long long expires_at, updated;
};

struct reg_db {
	char path[256];
	sqlite3 *db;
	sqlite3_stmt *st_put, *st_del;
	struct dbq *q;
};

static int db_exec(struct reg_db *d, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(d->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		LOGE(LSS_SIP, "registrar database %s: %s", d->path, err ? err : "?");
		sqlite3_free(err);
		return -EIO;
	}
	return 0;
}

/* Writer thread, inside the batch's transaction. */
static int op_write(void *arg, sqlite3 *db, const void *item)
{
	struct reg_db *d = arg;
	const struct reg_db_op *o = item;
	sqlite3_stmt *s = o->del ? d->st_del : d->st_put;
	int rc;

	sqlite3_bind_text(s, 1, o->aor, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, o->contact, -1, SQLITE_STATIC);
	if (!o->del) {
		sqlite3_bind_text(s, 3, o->call_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 4, o->cseq);
		sqlite3_bind_int64(s, 5, o->expires_at);
		sqlite3_bind_int64(s, 6, o->updated);
	}
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

static void op_lost(void *arg, const void *item)
{
	struct reg_db *d = arg;
	const struct reg_db_op *o = item;

	if (o->del)
		LOGE(LSS_SIP, "registrar database %s: the removal of %s at %s not written: it may come back "
		     "at a restart until it expires", d->path, o->aor, o->contact);
	else
		LOGE(LSS_SIP, "registrar database %s: binding %s at %s not written: a restart will not "
		     "know it", d->path, o->aor, o->contact);
}

static const struct dbq_ops reg_ops = {
	.item_size = sizeof(struct reg_db_op),
	.write = op_write,
	.lost = op_lost,
};

static void queue_op(struct registrar *r, const struct binding *b, int del)
{
	struct reg_db_op o = { .del = del, .cseq = b->cseq, .expires_at = b->expires_at, .updated = b->updated };

	if (!r->db)
		return;
	snprintf(o.aor, sizeof(o.aor), "%s", b->aor);
	snprintf(o.contact, sizeof(o.contact), "%s", b->contact);
	snprintf(o.call_id, sizeof(o.call_id), "%s", b->call_id);
	dbq_put(r->db->q, &o);
}

void reg_db_put(struct registrar *r, const struct binding *b)
{
	queue_op(r, b, 0);
}

void reg_db_del(struct registrar *r, const struct binding *b)
{
	queue_op(r, b, 1);
}

int reg_db_failing(struct registrar *r)
{
	struct dbq_stats st;

	if (!r->db)
		return 0;
	dbq_get_stats(r->db->q, &st);
	return st.failing;
}

int reg_db_flush(struct registrar *r, unsigned timeout_ms)
{
	return r->db ? dbq_flush(r->db->q, timeout_ms) : 0;
}

/* The live bindings into memory; the expired out of the file. */
static int db_load(struct registrar *r, struct reg_db *d)
{
	sqlite3_stmt *sel;
	long long now = (long long)time(NULL);
	int loaded = 0;
	char sql[96];

	if (sqlite3_prepare_v2(d->db, "SELECT aor, contact, call_id, cseq, expires_at, updated"
			       " FROM bindings", -1, &sel, NULL) != SQLITE_OK) {
		LOGE(LSS_SIP, "registrar database %s: %s", d->path, sqlite3_errmsg(d->db));
		return -EIO;
	}
	while (sqlite3_step(sel) == SQLITE_ROW) {
		struct binding *b;
		if (sqlite3_column_int64(sel, 4) <= now)
			continue;
		if (!(b = registrar_binding_add(r)))
			break;
		snprintf(b->aor, sizeof(b->aor), "%s", (const char *)sqlite3_column_text(sel, 0));
		snprintf(b->contact, sizeof(b->contact), "%s", (const char *)sqlite3_column_text(sel, 1));
		snprintf(b->call_id, sizeof(b->call_id), "%s",
			 sqlite3_column_text(sel, 2) ? (const char *)sqlite3_column_text(sel, 2) : "");
		b->cseq = (unsigned)sqlite3_column_int64(sel, 3);
		b->expires_at = sqlite3_column_int64(sel, 4);
		b->updated = sqlite3_column_int64(sel, 5);
		loaded++;
	}
	sqlite3_finalize(sel);
	snprintf(sql, sizeof(sql), "DELETE FROM bindings WHERE expires_at <= %lld", now);
	db_exec(d, sql);
	LOGN(LSS_SIP, "registrar: %d live binding(s) restored from %s", loaded, d->path);
	return 0;
}

int reg_db_open(struct registrar *r)
{
	const char *path = r->cfg->database;
	struct reg_db *d;
	struct dbq_params qp = { .name = "registrar database", .path = path, .lss = LSS_SIP, .ops = &reg_ops };
	int rc;

	if (!path[0])
		return 0;
	if (!(d = calloc(1, sizeof(*d))))
		return -ENOMEM;
	snprintf(d->path, sizeof(d->path), "%s", path);
	r->db = d;
	if (sqlite3_open(path, &d->db) != SQLITE_OK) {
		LOGE(LSS_SIP, "registrar database %s: %s", path, sqlite3_errmsg(d->db));
		return -EIO;
	}
	/* WAL: a batch costs an append, not a journal rewrite; NORMAL sync
	 * loses at most the last moments on a power cut, never the file. */
	if (db_exec(d, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
		       "CREATE TABLE IF NOT EXISTS bindings (aor TEXT NOT NULL, contact TEXT NOT NULL,"
		       " call_id TEXT, cseq INTEGER, expires_at INTEGER, updated INTEGER,"
		       " PRIMARY KEY (aor, contact));"))
		return -EIO;
	if (sqlite3_prepare_v2(d->db, "INSERT OR REPLACE INTO bindings VALUES (?,?,?,?,?,?)", -1,
			       &d->st_put, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(d->db, "DELETE FROM bindings WHERE aor = ? AND contact = ?", -1,
			       &d->st_del, NULL) != SQLITE_OK) {
		LOGE(LSS_SIP, "registrar database %s: %s", path, sqlite3_errmsg(d->db));
		return -EIO;
	}
	if ((rc = db_load(r, d)))
		return rc;
	/* sipgwctl or a backup reading the file: wait rather than fail */
	sqlite3_busy_timeout(d->db, 2000);
	qp.db = d->db;
	qp.arg = d;
	return dbq_start(&d->q, &qp);
}

void reg_db_close(struct registrar *r)
{
	struct reg_db *d = r->db;

	if (!d)
		return;
	dbq_stop(d->q, NULL);	/* drains: every change written, or named in the log */
	sqlite3_finalize(d->st_put);
	sqlite3_finalize(d->st_del);
	sqlite3_close(d->db);
	free(d);
	r->db = NULL;
}
