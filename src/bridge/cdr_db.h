/* sipgw - the CDR writer: rows into SQLite (table cdr, WAL) from a thread
 * of its own, so the event loop never waits on the disk. cdr_db_put()
 * copies a finished record into a queue and returns; the writer takes all
 * that is queued, one transaction per batch, through one prepared INSERT.
 * A write that fails (a full disk) is logged and tried again each second;
 * meanwhile rows wait in memory, up to a bound past which the oldest are
 * dropped and counted. cdr_db_close() drains the queue before it returns.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_BRIDGE_CDR_DB_H
#define SIPGW_BRIDGE_CDR_DB_H

#include <stddef.h>

#include "bridge/cdr.h"

struct cdr_db;

#define CDR_QUEUE_MAX 20000	/* rows held while the disk refuses them (~2 KB each) */
#define CDR_RETRY_MS 1000	/* a failed write is tried again after this */

struct cdr_db_params {
	const char *path;		/* the database file (created when missing) */
	unsigned max_queue;		/* 0: CDR_QUEUE_MAX */
	unsigned retry_ms;		/* 0: CDR_RETRY_MS */
};

struct cdr_db_stats {
	unsigned long written;		/* rows committed */
	unsigned long queued;		/* rows waiting now */
	unsigned long dropped;		/* rows lost past the bound, or at exit on a failing disk */
	unsigned long failures;		/* transactions that failed */
	double last_commit_ms;		/* the last batch: end of the newest call -> its COMMIT */
};

/** Open (or create) the database, set WAL, create table cdr and start the
 * writer. 0, or -errno with why in err ("unable to open database file"). */
int cdr_db_open(struct cdr_db **dbp, const struct cdr_db_params *p, char *err, size_t errlen);
/** Queue a copy of a finished record; never waits on SQLite. */
void cdr_db_put(struct cdr_db *db, const struct cdr_record *r);
/** Wait until every row queued so far is committed, or failed, at most
 * timeout_ms (0 at once: just ask). 0 when the queue is empty, -EAGAIN. */
int cdr_db_flush(struct cdr_db *db, unsigned timeout_ms);
void cdr_db_get_stats(struct cdr_db *db, struct cdr_db_stats *st);
/** The database's absolute path (sipgwctl opens it itself to export). */
const char *cdr_db_path(const struct cdr_db *db);
/** Drain the queue (each row is written, or at worst logged as CSV), stop
 * the writer and close the database. NULL is a no-op. */
void cdr_db_close(struct cdr_db *db);

/** The CREATE TABLE statement, and the INSERT (for the tests and sipgwctl). */
const char *cdr_db_schema(void);

#endif
