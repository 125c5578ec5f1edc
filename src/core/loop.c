/* sipgw - timers and fd watches on su_root. SPDX-License-Identifier: GPL-2.0-only */
#include "core/loop.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <sofia-sip/su_wait.h>

/* One-shot timers run on a timerfd per loop, not on su_timers: Sofia's
 * poll timeout is whole milliseconds, truncated, so an su_timer due in
 * under 1 ms makes the loop poll with timeout 0 until it is due, a spin
 * of up to a millisecond per expiry (see the tickers below). Each loop
 * keeps its armed timers in a binary heap by deadline, and the timerfd is
 * armed (absolute, in ns) for the earliest. */
struct loop_tq {
	su_root_t *root;
	int fd;
	struct loop_fd *lf;
	struct loop_timer **heap;
	unsigned n, cap;
	unsigned timers;		/* allocated on this loop: the last frees it */
	long long armed_ns;		/* the deadline the timerfd holds; 0 none */
	int running;			/* in tq_cb: freed at its end */
	struct loop_tq *next;
};

struct loop_timer {
	struct loop_tq *q;
	long long when_ns;
	int idx;			/* in the heap; -1 not armed */
	const char *name;
	loop_timer_h *h;
	void *arg;
};

static struct loop_tq *tqs;
static pthread_mutex_t tqs_lock = PTHREAD_MUTEX_INITIALIZER;

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void heap_set(struct loop_tq *q, unsigned i, struct loop_timer *t)
{
	q->heap[i] = t;
	t->idx = (int)i;
}

static void heap_up(struct loop_tq *q, unsigned i)
{
	struct loop_timer *t = q->heap[i];

	while (i > 0 && q->heap[(i - 1) / 2]->when_ns > t->when_ns) {
		heap_set(q, i, q->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_set(q, i, t);
}

static void heap_down(struct loop_tq *q, unsigned i)
{
	struct loop_timer *t = q->heap[i];

	for (;;) {
		unsigned c = 2 * i + 1;

		if (c >= q->n)
			break;
		if (c + 1 < q->n && q->heap[c + 1]->when_ns < q->heap[c]->when_ns)
			c++;
		if (q->heap[c]->when_ns >= t->when_ns)
			break;
		heap_set(q, i, q->heap[c]);
		i = c;
	}
	heap_set(q, i, t);
}

static void heap_remove(struct loop_tq *q, struct loop_timer *t)
{
	unsigned i = (unsigned)t->idx;

	t->idx = -1;
	if (i == --q->n)
		return;
	/* the last one fills the hole, then goes whichever way it must */
	heap_set(q, i, q->heap[q->n]);
	if (i > 0 && q->heap[(i - 1) / 2]->when_ns > q->heap[i]->when_ns)
		heap_up(q, i);
	else
		heap_down(q, i);
}

/* The timerfd holds the earliest deadline (absolute); 0 disarms it. */
static void tq_arm(struct loop_tq *q)
{
	long long when = q->n ? q->heap[0]->when_ns : 0;
	struct itimerspec its = { .it_value = { when / 1000000000LL, when % 1000000000LL } };

	if (when == q->armed_ns)
		return;
	if (timerfd_settime(q->fd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
		q->armed_ns = when;
}

static void tq_free(struct loop_tq *q)
{
	pthread_mutex_lock(&tqs_lock);
	for (struct loop_tq **pp = &tqs; *pp; pp = &(*pp)->next)
		if (*pp == q) {
			*pp = q->next;
			break;
		}
	pthread_mutex_unlock(&tqs_lock);
	loop_fd_free(q->lf);
	close(q->fd);
	free(q->heap);
	free(q);
}

static void tq_cb(void *arg, int fd)
{
	struct loop_tq *q = arg;
	uint64_t exp;
	long long now = now_ns();

	if (read(fd, &exp, sizeof(exp)) < 0 && errno != EAGAIN)
		return;
	q->running = 1;
	/* a handler may start, stop or free any timer, itself too */
	while (q->n && q->heap[0]->when_ns <= now) {
		struct loop_timer *t = q->heap[0];

		heap_remove(q, t);
		t->h(t->arg);
	}
	q->running = 0;
	if (!q->timers) {
		tq_free(q);
		return;
	}
	q->armed_ns = -1;	/* whatever the timerfd holds, set it */
	tq_arm(q);
}

static int tq_get(struct loop_tq **qp, su_root_t *root)
{
	struct loop_tq *q;
	int rc;

	pthread_mutex_lock(&tqs_lock);
	for (q = tqs; q; q = q->next)
		if (q->root == root)
			break;
	pthread_mutex_unlock(&tqs_lock);
	if (q) {
		*qp = q;
		return 0;
	}
	if (!(q = calloc(1, sizeof(*q))))
		return -ENOMEM;
	q->root = root;
	q->fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (q->fd < 0) {
		rc = -errno;
		free(q);
		return rc;
	}
	if ((rc = loop_fd_alloc(&q->lf, root, q->fd, tq_cb, q))) {
		close(q->fd);
		free(q);
		return rc;
	}
	pthread_mutex_lock(&tqs_lock);
	q->next = tqs;
	tqs = q;
	pthread_mutex_unlock(&tqs_lock);
	*qp = q;
	return 0;
}

int loop_timer_alloc(struct loop_timer **tp, su_root_t *root, const char *name,
		     loop_timer_h *h, void *arg)
{
	struct loop_timer *t = calloc(1, sizeof(*t));
	int rc;

	if (!t)
		return -ENOMEM;
	if ((rc = tq_get(&t->q, root))) {
		free(t);
		return rc;
	}
	t->q->timers++;
	t->idx = -1;
	t->name = name;
	t->h = h;
	t->arg = arg;
	*tp = t;
	return 0;
}

void loop_timer_free(struct loop_timer *t)
{
	struct loop_tq *q;

	if (!t)
		return;
	q = t->q;
	if (t->idx >= 0)
		heap_remove(q, t);
	free(t);
	if (!--q->timers && !q->running)
		tq_free(q);
}

int loop_timer_start(struct loop_timer *t, unsigned ms)
{
	struct loop_tq *q = t->q;

	t->when_ns = now_ns() + (long long)ms * 1000000LL;
	if (t->idx >= 0) {
		heap_down(q, (unsigned)t->idx);
		heap_up(q, (unsigned)t->idx);
	} else {
		if (q->n == q->cap) {
			unsigned cap = q->cap ? q->cap * 2 : 16;
			struct loop_timer **nh = realloc(q->heap, cap * sizeof(*nh));

			if (!nh)
				return -ENOMEM;
			q->heap = nh;
			q->cap = cap;
		}
		heap_set(q, q->n, t);
		heap_up(q, q->n++);
	}
	if (!q->running)	/* tq_cb arms it once its handlers are done */
		tq_arm(q);
	return 0;
}

void loop_timer_stop(struct loop_timer *t)
{
	if (!t || t->idx < 0)
		return;
	heap_remove(t->q, t);
	/* left armed: the wakeup finds nothing due and arms the next */
}

const char *loop_timer_name(const struct loop_timer *t) { return t->name; }

struct loop_fd {
	su_root_t *root;
	su_wait_t wait;
	int index;
	int fd;
	loop_fd_h *h;
	void *arg;
};

static int fd_cb(su_root_magic_t *magic, su_wait_t *w, su_wakeup_arg_t *arg)
{
	struct loop_fd *lf = (struct loop_fd *)arg;
	lf->h(lf->arg, lf->fd);
	return 0;
}

static int fd_alloc(struct loop_fd **wp, su_root_t *root, int fd, int events, loop_fd_h *h,
		    void *arg)
{
	struct loop_fd *lf = calloc(1, sizeof(*lf));
	if (!lf)
		return -ENOMEM;
	lf->root = root;
	lf->fd = fd;
	lf->h = h;
	lf->arg = arg;
	if (su_wait_create(&lf->wait, fd, events) < 0) {
		free(lf);
		return -EIO;
	}
	lf->index = su_root_register(root, &lf->wait, fd_cb, (su_wakeup_arg_t *)lf, 0);
	if (lf->index <= 0) {
		su_wait_destroy(&lf->wait);
		free(lf);
		return -EIO;
	}
	*wp = lf;
	return 0;
}

int loop_fd_alloc(struct loop_fd **wp, su_root_t *root, int fd, loop_fd_h *h, void *arg)
{
	return fd_alloc(wp, root, fd, SU_WAIT_IN, h, arg);
}

int loop_fd_alloc_pri(struct loop_fd **wp, su_root_t *root, int fd, loop_fd_h *h, void *arg)
{
	/* Sofia names no SU_WAIT_ for POLLPRI; its poll and epoll ports hand
	 * the event bits to the kernel as they are. */
	return fd_alloc(wp, root, fd, SU_WAIT_IN | POLLPRI, h, arg);
}

int loop_fd_alloc_out(struct loop_fd **wp, su_root_t *root, int fd, loop_fd_h *h, void *arg)
{
	return fd_alloc(wp, root, fd, SU_WAIT_OUT, h, arg);
}

int loop_fd_writable(struct loop_fd *lf, int on)
{
	return su_root_eventmask(lf->root, lf->index, lf->fd, on ? SU_WAIT_OUT : SU_WAIT_IN) < 0 ? -EIO : 0;
}

void loop_fd_free(struct loop_fd *lf)
{
	if (!lf)
		return;
	su_root_deregister(lf->root, lf->index);
	free(lf);
}

/* Periodic tickers (the 20 ms media clock) are timerfds, not su_timers.
 * Sofia computes a poll timeout in whole milliseconds, truncated: a timer
 * due in under 1 ms polls with timeout 0 until it is due, so each 20 ms
 * su_timer spun the loop for up to a millisecond, once per span (measured
 * with 66 calls on 3 spans: 15 epoll_wait() per call per 20 ms). A timerfd
 * wakes at its nanosecond deadline, and the count it reads is the number
 * of periods passed, so the ticks a stalled loop owes still run back to
 * back and the phase never drifts with the time spent in callbacks.
 * Tickers of one period on one loop share one timerfd (a clock): one
 * wakeup and one read per period for all spans, called in the order they
 * joined. */
struct loop_clock {
	su_root_t *root;
	unsigned ms;
	int fd;
	struct loop_fd *lf;
	struct loop_ticker **t;		/* joined tickers; NULL slots left mid-tick */
	unsigned n, cap;
	int running;			/* in clock_cb: slots are not moved */
	struct loop_clock *next;
};

struct loop_ticker {
	struct loop_clock *c;
	loop_timer_h *h;
	void *arg;
};

/* One list per process; a loop's clocks are used by its own thread only. */
static struct loop_clock *clocks;
static pthread_mutex_t clocks_lock = PTHREAD_MUTEX_INITIALIZER;

static void clock_compact(struct loop_clock *c)
{
	unsigned k = 0;

	for (unsigned i = 0; i < c->n; i++)
		if (c->t[i])
			c->t[k++] = c->t[i];
	c->n = k;
}

static void clock_free(struct loop_clock *c)
{
	pthread_mutex_lock(&clocks_lock);
	for (struct loop_clock **pp = &clocks; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	pthread_mutex_unlock(&clocks_lock);
	loop_fd_free(c->lf);
	close(c->fd);
	free(c->t);
	free(c);
}

static void clock_cb(void *arg, int fd)
{
	struct loop_clock *c = arg;
	uint64_t due;

	if (read(fd, &due, sizeof(due)) != sizeof(due))
		return;		/* EAGAIN: another wakeup took it */
	c->running = 1;
	while (due--)
		/* by index: a ticker may join (appended) or leave (its slot
		 * emptied) from inside a tick */
		for (unsigned i = 0; i < c->n; i++)
			if (c->t[i])
				c->t[i]->h(c->t[i]->arg);
	c->running = 0;
	clock_compact(c);
	if (!c->n)
		clock_free(c);
}

static int clock_get(struct loop_clock **cp, su_root_t *root, unsigned ms)
{
	struct itimerspec its = { .it_interval = { ms / 1000, (long)(ms % 1000) * 1000000L } };
	struct loop_clock *c;
	int rc;

	pthread_mutex_lock(&clocks_lock);
	for (c = clocks; c; c = c->next)
		if (c->root == root && c->ms == ms)
			break;
	pthread_mutex_unlock(&clocks_lock);
	if (c) {
		*cp = c;
		return 0;
	}
	if (!(c = calloc(1, sizeof(*c))))
		return -ENOMEM;
	c->root = root;
	c->ms = ms;
	c->fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (c->fd < 0) {
		rc = -errno;
		free(c);
		return rc;
	}
	its.it_value = its.it_interval;
	rc = timerfd_settime(c->fd, 0, &its, NULL) < 0 ? -errno : loop_fd_alloc(&c->lf, root, c->fd, clock_cb, c);
	if (rc) {
		close(c->fd);
		free(c);
		return rc;
	}
	pthread_mutex_lock(&clocks_lock);
	c->next = clocks;
	clocks = c;
	pthread_mutex_unlock(&clocks_lock);
	*cp = c;
	return 0;
}

int loop_ticker_alloc(struct loop_ticker **tp, su_root_t *root, unsigned ms,
		      loop_timer_h *h, void *arg)
{
	struct loop_ticker *t;
	struct loop_clock *c = NULL;
	int rc;

	if (!ms)
		return -EINVAL;
	if (!(t = calloc(1, sizeof(*t))))
		return -ENOMEM;
	if ((rc = clock_get(&c, root, ms))) {
		free(t);
		return rc;
	}
	if (c->n == c->cap) {
		unsigned cap = c->cap ? c->cap * 2 : 8;
		struct loop_ticker **nt = realloc(c->t, cap * sizeof(*nt));

		if (!nt) {
			if (!c->n)
				clock_free(c);
			free(t);
			return -ENOMEM;
		}
		c->t = nt;
		c->cap = cap;
	}
	t->c = c;
	t->h = h;
	t->arg = arg;
	c->t[c->n++] = t;
	*tp = t;
	return 0;
}

void loop_ticker_free(struct loop_ticker *t)
{
	struct loop_clock *c;

	if (!t)
		return;
	c = t->c;
	for (unsigned i = 0; i < c->n; i++)
		if (c->t[i] == t)
			c->t[i] = NULL;
	free(t);
	if (c->running)
		return;		/* clock_cb compacts (and frees) after the tick */
	clock_compact(c);
	if (!c->n)
		clock_free(c);
}
