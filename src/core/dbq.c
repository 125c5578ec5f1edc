/* sipgw - the SQLite writer thread (dbq.h says what it promises). The
 * loop's side only takes the mutex to link a copy of the item in; the
 * SQLite work happens outside it, so a slow or full disk delays nothing but
 * the writer. SPDX-License-Identifier: GPL-2.0-only */
#include "core/dbq.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>

#include <sqlite3.h>

#include "core/log.h"

struct dbq_node {
	STAILQ_ENTRY(dbq_node) entry;
	alignas(max_align_t) unsigned char item[];
};
STAILQ_HEAD(dbq_list, dbq_node);

struct dbq {
	struct dbq_params p;
	char name[32];
	char path[256];
	pthread_t th;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t work;		/* an item came, or stop */
	pthread_cond_t done;		/* a batch finished (flush waits on it) */
	struct dbq_list q;
	unsigned long n_queued, n_busy;	/* waiting; in the batch being written */
	int idle;			/* the writer waits for work: only then is it woken (a
					 * futex wake per item cost the loop 3 % at 6,000 REGISTERs/s) */
	int stop;
	struct dbq_stats st;
};

/* One transaction for the batch: all of it or none (then retried whole;
 * the owner's statements make a second try harmless: INSERT OR IGNORE on
 * a unique key, INSERT OR REPLACE). */
static int write_batch(struct dbq *d, struct dbq_list *batch, char *why, size_t len)
{
	sqlite3 *db = d->p.db;
	struct dbq_node *n;

	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	STAILQ_FOREACH(n, batch, entry)
		if (d->p.ops->write(d->p.arg, db, n->item))
			goto fail_rollback;
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto fail_rollback;
	return 0;
fail_rollback:
	snprintf(why, len, "%s", sqlite3_errmsg(db));
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -EIO;
fail:
	snprintf(why, len, "%s", sqlite3_errmsg(db));
	return -EIO;
}

static void free_list(struct dbq_list *l)
{
	struct dbq_node *n;

	while ((n = STAILQ_FIRST(l))) {
		STAILQ_REMOVE_HEAD(l, entry);
		free(n);
	}
}

/* Past the bound the oldest items go: memory stays bounded, and the
 * newest (a call just ended, a phone's last REGISTER) matter most. Locked. */
static void enforce_bound(struct dbq *d)
{
	struct dbq_node *n;

	while (d->n_queued > d->p.max_queue && (n = STAILQ_FIRST(&d->q))) {
		STAILQ_REMOVE_HEAD(&d->q, entry);
		d->n_queued--;
		d->st.dropped++;
		LOGE(d->p.lss, "%s: queue full (%u items): the oldest dropped", d->name, d->p.max_queue);
		d->p.ops->lost(d->p.arg, n->item);
		free(n);
	}
}

static void retry_wait(struct dbq *d)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += d->p.retry_ms / 1000;
	ts.tv_nsec += (long)(d->p.retry_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	while (!d->stop && pthread_cond_timedwait(&d->work, &d->mu, &ts) != ETIMEDOUT)
		;
}

static void *writer_main(void *arg)
{
	struct dbq *d = arg;
	struct dbq_list batch;
	struct dbq_node *it;
	char why[256];

	pthread_mutex_lock(&d->mu);
	for (;;) {
		unsigned long n;
		int rc;

		while (STAILQ_EMPTY(&d->q) && !d->stop) {
			d->idle = 1;
			pthread_cond_wait(&d->work, &d->mu);
			d->idle = 0;
		}
		if (STAILQ_EMPTY(&d->q))
			break;
		STAILQ_INIT(&batch);
		STAILQ_CONCAT(&batch, &d->q);
		n = d->n_queued;
		d->n_busy = n;
		d->n_queued = 0;
		pthread_mutex_unlock(&d->mu);

		rc = write_batch(d, &batch, why, sizeof(why));
		if (rc == 0 && d->p.ops->committed)
			STAILQ_FOREACH(it, &batch, entry)
				d->p.ops->committed(d->p.arg, it->item, it == STAILQ_FIRST(&batch));

		pthread_mutex_lock(&d->mu);
		d->n_busy = 0;
		if (rc == 0) {
			if (d->st.failing)
				LOGN(d->p.lss, "%s: %s: writing again", d->name, d->path);
			d->st.failing = 0;
			d->st.written += n;
			free_list(&batch);
			pthread_cond_broadcast(&d->done);
			continue;
		}
		d->st.failures++;
		d->st.failing = 1;
		if (d->stop) {
			/* exiting on a disk that refuses: the items go to the log */
			LOGE(d->p.lss, "%s: %s: %s; %lu item(s) not written", d->name, d->path, why, n);
			STAILQ_FOREACH(it, &batch, entry)
				d->p.ops->lost(d->p.arg, it->item);
			d->st.dropped += n;
			free_list(&batch);
			pthread_cond_broadcast(&d->done);
			continue;
		}
		LOGE(d->p.lss, "%s: %s: %s; %lu item(s) kept, trying again in %u ms", d->name, d->path, why, n,
		     d->p.retry_ms);
		/* the batch goes back in front of what came meanwhile */
		STAILQ_CONCAT(&batch, &d->q);
		STAILQ_INIT(&d->q);
		STAILQ_CONCAT(&d->q, &batch);
		d->n_queued += n;
		enforce_bound(d);
		pthread_cond_broadcast(&d->done);
		retry_wait(d);
	}
	pthread_mutex_unlock(&d->mu);
	return NULL;
}

int dbq_start(struct dbq **qp, const struct dbq_params *p)
{
	struct dbq *d = calloc(1, sizeof(*d));
	sigset_t all, old;
	int rc;

	*qp = NULL;
	if (!d)
		return -ENOMEM;
	d->p = *p;
	snprintf(d->name, sizeof(d->name), "%s", p->name ? p->name : "db");
	snprintf(d->path, sizeof(d->path), "%s", p->path ? p->path : "");
	d->p.name = d->name;
	d->p.path = d->path;
	d->p.max_queue = p->max_queue ? p->max_queue : DBQ_QUEUE_MAX;
	d->p.retry_ms = p->retry_ms ? p->retry_ms : DBQ_RETRY_MS;
	STAILQ_INIT(&d->q);
	pthread_mutex_init(&d->mu, NULL);
	pthread_cond_init(&d->work, NULL);
	pthread_cond_init(&d->done, NULL);
	/* the writer takes no signal: sipgw reads them from a signalfd,
	 * which works only while every thread blocks them */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = -pthread_create(&d->th, NULL, writer_main, d);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		dbq_stop(d, NULL);
		return rc;
	}
	d->started = 1;
	*qp = d;
	return 0;
}

int dbq_put(struct dbq *d, const void *item)
{
	struct dbq_node *n = malloc(sizeof(*n) + d->p.ops->item_size);

	if (!n) {
		LOGE(d->p.lss, "%s: out of memory: an item not written", d->name);
		d->p.ops->lost(d->p.arg, item);
		pthread_mutex_lock(&d->mu);
		d->st.dropped++;
		pthread_mutex_unlock(&d->mu);
		return -ENOMEM;
	}
	memcpy(n->item, item, d->p.ops->item_size);
	pthread_mutex_lock(&d->mu);
	STAILQ_INSERT_TAIL(&d->q, n, entry);
	d->n_queued++;
	enforce_bound(d);
	if (d->idle)
		pthread_cond_signal(&d->work);
	pthread_mutex_unlock(&d->mu);
	return 0;
}

int dbq_flush(struct dbq *d, unsigned timeout_ms)
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

void dbq_get_stats(struct dbq *d, struct dbq_stats *st)
{
	pthread_mutex_lock(&d->mu);
	*st = d->st;
	st->queued = d->n_queued + d->n_busy;
	pthread_mutex_unlock(&d->mu);
}

void dbq_stop(struct dbq *d, struct dbq_stats *stp)
{
	if (!d)
		return;
	if (d->started) {
		pthread_mutex_lock(&d->mu);
		d->stop = 1;
		pthread_cond_signal(&d->work);
		pthread_mutex_unlock(&d->mu);
		pthread_join(d->th, NULL);
	}
	if (stp)
		*stp = d->st;
	free_list(&d->q);
	pthread_cond_destroy(&d->work);
	pthread_cond_destroy(&d->done);
	pthread_mutex_destroy(&d->mu);
	free(d);
}
