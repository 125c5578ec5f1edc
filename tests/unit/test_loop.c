/* sipgw - unit tests: fd watches on su_root (core/loop.c). A DAHDI channel
 * tells of an alarm with POLLPRI alone, which the fake DAHDI cannot raise
 * (its fds are Unix sockets), so loop_fd_alloc_pri is checked here on the one
 * socket that raises POLLPRI by itself: TCP with urgent data.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sofia-sip/su_wait.h>

#include "core/log.h"
#include "core/loop.h"
#include "unit.h"

struct hits {
	int n;
	char oob;
};

/* Take the urgent byte, or the watch fires again (level-triggered). */
static void on_pri(void *arg, int fd)
{
	struct hits *h = arg;

	h->n++;
	if (recv(fd, &h->oob, 1, MSG_OOB) != 1)
		h->oob = 0;
}

/* A connected TCP pair on 127.0.0.1: 0, or -1. */
static int tcp_pair(int *a, int *b)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sin);
	int l = socket(AF_INET, SOCK_STREAM, 0);

	*a = *b = -1;
	if (l < 0 || bind(l, (struct sockaddr *)&sin, sizeof(sin)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&sin, &sl) || (*a = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    connect(*a, (struct sockaddr *)&sin, sizeof(sin)) || (*b = accept(l, NULL, NULL)) < 0) {
		if (l >= 0)
			close(l);
		return -1;
	}
	close(l);
	return 0;
}

static void test_pri_watch_wakes_on_pollpri(void)
{
	su_root_t *root;
	struct loop_fd *w = NULL;
	struct hits h = { 0, 0 };
	struct pollfd p;
	int a, b;
	long long deadline;

	su_init();
	root = su_root_create(NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	CU_ASSERT_EQUAL_FATAL(tcp_pair(&a, &b), 0);
	CU_ASSERT_EQUAL_FATAL(loop_fd_alloc_pri(&w, root, b, on_pri, &h), 0);
	CU_ASSERT_EQUAL(send(a, "!", 1, MSG_OOB), 1);
	/* the kernel reports it as POLLPRI only, never as readable data */
	p = (struct pollfd){ .fd = b, .events = POLLIN | POLLPRI };
	CU_ASSERT_EQUAL(poll(&p, 1, 2000), 1);
	CU_ASSERT_EQUAL(p.revents & (POLLIN | POLLPRI), POLLPRI);
	deadline = mono_us() + 2000000;
	while (!h.n && mono_us() < deadline)
		su_root_step(root, 100);
	CU_ASSERT_EQUAL(h.n, 1);
	CU_ASSERT_EQUAL(h.oob, '!');
	loop_fd_free(w);
	close(a);
	close(b);
	su_root_destroy(root);
	su_deinit();
}

/* --- one-shot timers on the loop's timerfd heap --------------------------- */

struct fired {
	char seq[16];
	int n;
	long long start_us[8], at_us[8];
	unsigned ms[8];
	struct loop_timer *t[8];
	struct loop_timer *start_from_handler;	/* started by the first to fire */
};

struct tcase {
	struct fired *f;
	int id;
};

static void on_timer(void *arg)
{
	struct tcase *c = arg;
	struct fired *f = c->f;

	f->at_us[c->id] = mono_us();
	if (f->n < (int)sizeof(f->seq) - 1)
		f->seq[f->n++] = (char)('a' + c->id);
	if (f->start_from_handler) {
		loop_timer_start(f->start_from_handler, 0);
		f->start_from_handler = NULL;
	}
	if (c->id == 1) {		/* b frees itself from its own handler */
		loop_timer_free(f->t[1]);
		f->t[1] = NULL;
	}
}

static void test_timers_fire_in_deadline_order(void)
{
	static const unsigned ms[] = { 30, 10, 20, 5, 40 };
	struct fired f = { .n = 0 };
	struct tcase c[5];
	su_root_t *root;
	long long deadline;

	su_init();
	root = su_root_create(NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	for (int i = 0; i < 5; i++) {
		c[i] = (struct tcase){ &f, i };
		CU_ASSERT_EQUAL_FATAL(loop_timer_alloc(&f.t[i], root, "t", on_timer, &c[i]), 0);
	}
	/* started in another order than they are due; d stopped; e moved
	 * earlier by a second start; a's handler... b's fires first (10 ms)
	 * and starts e at 0 ms from inside the loop */
	for (int i = 0; i < 5; i++) {
		f.start_us[i] = mono_us();
		f.ms[i] = ms[i];
		CU_ASSERT_EQUAL(loop_timer_start(f.t[i], ms[i]), 0);
	}
	loop_timer_stop(f.t[3]);
	f.start_from_handler = f.t[4];
	deadline = mono_us() + 3000000;
	while (f.n < 4 && mono_us() < deadline)
		su_root_step(root, 50);
	/* b (10) starts e at once: e, then c (20), then a (30); d never */
	CU_ASSERT_STRING_EQUAL(f.seq, "beca");
	/* none fired before its deadline */
	CU_ASSERT(f.at_us[0] - f.start_us[0] >= 30000);
	CU_ASSERT(f.at_us[1] - f.start_us[1] >= 10000);
	CU_ASSERT(f.at_us[2] - f.start_us[2] >= 20000);
	CU_ASSERT_PTR_NULL(f.t[1]);
	for (int i = 0; i < 5; i++)
		loop_timer_free(f.t[i]);
	su_root_destroy(root);
	su_deinit();
}

/* --- periodic tickers: one clock per period and loop ----------------------- */

struct ticks {
	char seq[64];
	int n;
	struct loop_ticker *b;
	int b_left;		/* b leaves from its own handler after this many */
};

static void tick_a(void *arg)
{
	struct ticks *t = arg;

	if (t->n < (int)sizeof(t->seq) - 1)
		t->seq[t->n++] = 'a';
}

static void tick_b(void *arg)
{
	struct ticks *t = arg;

	if (t->n < (int)sizeof(t->seq) - 1)
		t->seq[t->n++] = 'b';
	if (!--t->b_left) {
		loop_ticker_free(t->b);
		t->b = NULL;
	}
}

static void test_tickers_share_a_clock_and_catch_up(void)
{
	struct ticks t = { .n = 0, .b_left = 3 };
	struct loop_ticker *a = NULL;
	struct timespec stall = { 0, 70 * 1000000L };
	su_root_t *root;
	long long deadline;
	int before;

	su_init();
	root = su_root_create(NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	CU_ASSERT_EQUAL_FATAL(loop_ticker_alloc(&a, root, 20, tick_a, &t), 0);
	CU_ASSERT_EQUAL_FATAL(loop_ticker_alloc(&t.b, root, 20, tick_b, &t), 0);
	deadline = mono_us() + 3000000;
	while (t.n < 8 && mono_us() < deadline)
		su_root_step(root, 50);
	/* one clock: each period both, in the order they were made; b left
	 * after its third tick, from inside it */
	CU_ASSERT_EQUAL(strncmp(t.seq, "abababaa", 8), 0);
	CU_ASSERT_PTR_NULL(t.b);
	/* a loop stalled for 70 ms owes at least three ticks: they run at
	 * once, back to back (the phase is kept, none is lost) */
	before = t.n;
	nanosleep(&stall, NULL);
	su_root_step(root, 0);
	CU_ASSERT(t.n - before >= 3);
	loop_ticker_free(a);
	su_root_destroy(root);
	su_deinit();
}

int suite_loop_add(void)
{
	static const CU_TestInfo tests[] = {
		{ "loop_fd_alloc_pri wakes on POLLPRI alone (a DAHDI event)", test_pri_watch_wakes_on_pollpri },
		{ "timers fire in deadline order, never early; stop, restart, start and free from a handler",
		  test_timers_fire_in_deadline_order },
		{ "tickers of one period share a clock, tick in order, leave from a tick, catch up after a stall",
		  test_tickers_share_a_clock_and_catch_up },
		CU_TEST_INFO_NULL,
	};

	return unit_suite_add("loop", tests);
}
