/* sipgw - unit tests: fd watches on su_root (core/loop.c). A DAHDI channel
 * tells of an alarm with POLLPRI alone, which the fake DAHDI cannot raise
 * (its fds are Unix sockets), so loop_fd_alloc_pri is checked here on the one
 * socket that raises POLLPRI by itself: TCP with urgent data.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
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

int suite_loop_add(void)
{
	static const CU_TestInfo tests[] = {
		{ "loop_fd_alloc_pri wakes on POLLPRI alone (a DAHDI event)", test_pri_watch_wakes_on_pollpri },
		CU_TEST_INFO_NULL,
	};

	return unit_suite_add("loop", tests);
}
