/* sipgw - timers and fd watches on su_root. SPDX-License-Identifier: GPL-2.0-only */
#include "core/loop.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>

#include <sofia-sip/su_wait.h>

struct loop_timer {
	su_timer_t *t;
	const char *name;
	loop_timer_h *h;
	void *arg;
};

static void timer_cb(su_root_magic_t *magic, su_timer_t *st, su_timer_arg_t *arg)
{
	struct loop_timer *t = (struct loop_timer *)arg;
	t->h(t->arg);
}

int loop_timer_alloc(struct loop_timer **tp, su_root_t *root, const char *name,
		     loop_timer_h *h, void *arg)
{
	struct loop_timer *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->t = su_timer_create(su_root_task(root), 0);
	if (!t->t) {
		free(t);
		return -ENOMEM;
	}
	t->name = name;
	t->h = h;
	t->arg = arg;
	*tp = t;
	return 0;
}

void loop_timer_free(struct loop_timer *t)
{
	if (!t)
		return;
	su_timer_destroy(t->t);
	free(t);
}

int loop_timer_start(struct loop_timer *t, unsigned ms)
{
	return su_timer_set_interval(t->t, timer_cb, (su_timer_arg_t *)t, ms) < 0 ? -EIO : 0;
}

void loop_timer_stop(struct loop_timer *t)
{
	if (!t)
		return;
	su_timer_reset(t->t);
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

struct loop_ticker {
	su_timer_t *t;
	loop_timer_h *h;
	void *arg;
};

static void ticker_cb(su_root_magic_t *magic, su_timer_t *st, su_timer_arg_t *arg)
{
	struct loop_ticker *t = (struct loop_ticker *)arg;
	t->h(t->arg);
}

int loop_ticker_alloc(struct loop_ticker **tp, su_root_t *root, unsigned ms,
		      loop_timer_h *h, void *arg)
{
	struct loop_ticker *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->t = su_timer_create(su_root_task(root), ms);
	t->h = h;
	t->arg = arg;
	if (!t->t || su_timer_run(t->t, ticker_cb, (su_timer_arg_t *)t) < 0) {
		su_timer_destroy(t->t);
		free(t);
		return -ENOMEM;
	}
	*tp = t;
	return 0;
}

void loop_ticker_free(struct loop_ticker *t)
{
	if (!t)
		return;
	su_timer_destroy(t->t);
	free(t);
}
