/* sipgw - a writer thread for SQLite: items queued by the event loop are
 * written by a thread of their own, a batch per transaction, so the loop
 * never waits on the disk (the CDR, the registrar's bindings).
 *
 * dbq_put() copies an item into the queue and returns; the writer takes
 * all that is queued, BEGIN, ops->write() for each, COMMIT. A batch that
 * fails (a full disk) is rolled back, logged and tried again whole every
 * retry_ms; meanwhile items wait in memory, up to a bound past which the
 * oldest are dropped (ops->lost says what). dbq_stop() drains the queue.
 * The database handle belongs to the writer once started: the owner opens
 * and prepares it before, and closes it after dbq_stop().
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_CORE_DBQ_H
#define SIPGW_CORE_DBQ_H

#include <stddef.h>

struct sqlite3;
struct dbq;

#define DBQ_QUEUE_MAX 20000	/* items held while the disk refuses them */
#define DBQ_RETRY_MS 1000	/* a failed batch is tried again after this */

struct dbq_ops {
	size_t item_size;
	/** One item, on the writer thread, inside the batch's transaction:
	 * 0, or -errno with why in the database's errmsg. */
	int (*write)(void *arg, struct sqlite3 *db, const void *item);
	/** An item that will never be written (past the bound, or at exit on
	 * a failing disk): say in the log what is lost. Any thread. */
	void (*lost)(void *arg, const void *item);
	/** Optional: the batch with this item committed, first set for the
	 * batch's first (writer thread, unlocked; the owner's own figures). */
	void (*committed)(void *arg, const void *item, int first);
};

struct dbq_params {
	struct sqlite3 *db;
	const char *name;		/* for the log: "cdr", "registrar" */
	const char *path;		/* the file, for the log */
	int lss;			/* the log subsystem (core/log.h) */
	const struct dbq_ops *ops;
	void *arg;
	unsigned max_queue;		/* 0: DBQ_QUEUE_MAX */
	unsigned retry_ms;		/* 0: DBQ_RETRY_MS */
};

struct dbq_stats {
	unsigned long written;		/* items committed */
	unsigned long queued;		/* items waiting now (the batch being written too) */
	unsigned long dropped;		/* lost past the bound, or at exit on a failing disk */
	unsigned long failures;		/* transactions that failed */
	int failing;			/* the last transaction failed: items wait for a retry */
};

/** Start the writer on p->db. 0 or -errno. */
int dbq_start(struct dbq **qp, const struct dbq_params *p);
/** Queue a copy of item (ops->item_size bytes); never waits on SQLite.
 * 0, or -ENOMEM (then ops->lost has been told). */
int dbq_put(struct dbq *q, const void *item);
/** Wait until every item queued so far is committed, or failed, at most
 * timeout_ms (0: just ask). 0 when the queue is empty, -EAGAIN. */
int dbq_flush(struct dbq *q, unsigned timeout_ms);
void dbq_get_stats(struct dbq *q, struct dbq_stats *st);
/** Drain the queue (each item written, or at worst ops->lost), stop the
 * writer, say its last figures in *stp (NULL: not wanted) and free q; the
 * database stays open. NULL q is a no-op. */
void dbq_stop(struct dbq *q, struct dbq_stats *stp);

#endif
