/* sipgw - unit tests: systemd notifications (core/service.c) as systemd
 * reads them: datagrams on the NOTIFY_SOCKET the test binds, one
 * "KEY=value" per line (sd_notify(3)).
 * SPDX-License-Identifier: GPL-2.0-only */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <sofia-sip/su_wait.h>

#include "core/log.h"
#include "core/service.h"
#include "unit.h"

struct notify_sock {
	int fd;
	char path[108];
};

/* A datagram socket where systemd's would be, NOTIFY_SOCKET pointing at it. */
static int notify_open(struct notify_sock *ns)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	snprintf(ns->path, sizeof(ns->path), "/tmp/sipgw-unit-notify-%d", (int)getpid());
	unlink(ns->path);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", ns->path);
	ns->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (ns->fd < 0 || bind(ns->fd, (struct sockaddr *)&sun, sizeof(sun)))
		return -1;
	setenv("NOTIFY_SOCKET", ns->path, 1);
	return 0;
}

static void notify_close(struct notify_sock *ns)
{
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	close(ns->fd);
	unlink(ns->path);
}

/* The next datagram into buf ("" after 2 s without one). */
static const char *notify_next(struct notify_sock *ns, char *buf, size_t len)
{
	struct pollfd p = { .fd = ns->fd, .events = POLLIN };
	ssize_t n = 0;

	buf[0] = '\0';
	if (poll(&p, 1, 2000) == 1 && (n = recv(ns->fd, buf, len - 1, 0)) > 0)
		buf[n] = '\0';
	return buf;
}

static void test_watchdog_interval(void)
{
	CU_ASSERT_EQUAL(service_watchdog_ms(0), 0);
	CU_ASSERT_EQUAL(service_watchdog_ms(30000000ULL), 15000);	/* WatchdogSec=30 */
	CU_ASSERT_EQUAL(service_watchdog_ms(1500), 1);			/* never 0 for a set timeout */
	CU_ASSERT_EQUAL(service_watchdog_ms(~0ULL), 0x7fffffffU);
}

static void test_ready_stopping_status(void)
{
	struct notify_sock ns;
	struct service *s = NULL;
	char buf[512];
	su_root_t *root;

	su_init();
	root = su_root_create(NULL);
	CU_ASSERT_EQUAL_FATAL(notify_open(&ns), 0);
	CU_ASSERT_EQUAL_FATAL(service_alloc(&s, root), 0);
	service_ready(s, "running: %d span(s)", 2);
	CU_ASSERT_STRING_EQUAL(notify_next(&ns, buf, sizeof(buf)), "READY=1\nSTATUS=running: 2 span(s)");
	/* a newline in the status must not forge another assignment */
	service_status(s, "calls: %s", "3\nSTOPPING=1");
	CU_ASSERT_STRING_EQUAL(notify_next(&ns, buf, sizeof(buf)), "STATUS=calls: 3 STOPPING=1");
	service_reloading(s, "reloading %s", "/etc/sipgw/sipgw.conf");
	notify_next(&ns, buf, sizeof(buf));
	CU_ASSERT_EQUAL(strncmp(buf, "RELOADING=1\nMONOTONIC_USEC=", 27), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\nSTATUS=reloading /etc/sipgw/sipgw.conf"));
	service_stopping(s, "stopping: clearing %u call(s)", 1u);
	CU_ASSERT_STRING_EQUAL(notify_next(&ns, buf, sizeof(buf)), "STOPPING=1\nSTATUS=stopping: clearing 1 call(s)");
	service_free(s);
	notify_close(&ns);
	su_root_destroy(root);
	su_deinit();
}

/* WATCHDOG_USEC=60000: WATCHDOG=1 every 30 ms while the loop turns, none
 * while it does not (a hung loop must let systemd's watchdog fire). */
static void test_watchdog_pings_from_loop(void)
{
	struct notify_sock ns;
	struct service *s = NULL;
	char buf[128];
	struct pollfd p;
	long long end;
	int n = 0, other = 0;
	su_root_t *root;

	su_init();
	root = su_root_create(NULL);
	CU_ASSERT_EQUAL_FATAL(notify_open(&ns), 0);
	setenv("WATCHDOG_USEC", "60000", 1);
	CU_ASSERT_EQUAL_FATAL(service_alloc(&s, root), 0);
	end = mono_ms() + 300;
	while (mono_ms() < end) {
		su_root_step(root, 5);
		p = (struct pollfd){ .fd = ns.fd, .events = POLLIN };
		while (poll(&p, 1, 0) == 1) {
			if (strcmp(notify_next(&ns, buf, sizeof(buf)), "WATCHDOG=1"))
				other++;
			n++;
		}
	}
	CU_ASSERT_EQUAL(other, 0);
	/* 300 ms at one ping per 30 ms: 10, give or take a loaded box */
	CU_ASSERT(n >= 5 && n <= 12);
	p = (struct pollfd){ .fd = ns.fd, .events = POLLIN };
	CU_ASSERT_EQUAL(poll(&p, 1, 100), 0);
	service_free(s);
	notify_close(&ns);
	su_root_destroy(root);
	su_deinit();
}

static void status_text(void *arg, char *buf, size_t len)
{
	int *n = arg;

	++*n;
	snprintf(buf, len, "%d call(s) up", *n < 3 ? 0 : 1);
}

/* STATUS= every 20 ms from the loop, sent only when the text changed; none
 * after STOPPING=1, whose STATUS says what the stop does. */
static void test_status_every_when_changed(void)
{
	struct notify_sock ns;
	struct service *s = NULL;
	char buf[256];
	struct pollfd p;
	long long end;
	int calls = 0;
	su_root_t *root;

	su_init();
	root = su_root_create(NULL);
	CU_ASSERT_EQUAL_FATAL(notify_open(&ns), 0);
	CU_ASSERT_EQUAL_FATAL(service_alloc(&s, root), 0);
	service_ready(s, "0 call(s) up");
	CU_ASSERT_STRING_EQUAL(notify_next(&ns, buf, sizeof(buf)), "READY=1\nSTATUS=0 call(s) up");
	CU_ASSERT_EQUAL_FATAL(service_status_every(s, 20, status_text, &calls), 0);
	end = mono_ms() + 300;
	while (mono_ms() < end)
		su_root_step(root, 5);
	CU_ASSERT(calls >= 5);
	/* the ready text again is not news; the changed one is, once */
	CU_ASSERT_STRING_EQUAL(notify_next(&ns, buf, sizeof(buf)), "STATUS=1 call(s) up");
	p = (struct pollfd){ .fd = ns.fd, .events = POLLIN };
	CU_ASSERT_EQUAL(poll(&p, 1, 0), 0);
	service_stopping(s, "stopping");
	CU_ASSERT_STRING_EQUAL(notify_next(&ns, buf, sizeof(buf)), "STOPPING=1\nSTATUS=stopping");
	calls = 0;
	end = mono_ms() + 100;
	while (mono_ms() < end)
		su_root_step(root, 5);
	CU_ASSERT_EQUAL(calls, 0);
	service_free(s);
	notify_close(&ns);
	su_root_destroy(root);
	su_deinit();
}

/* No NOTIFY_SOCKET (sipgw run by hand, the flows): nothing sent, nothing fails. */
static void test_no_systemd(void)
{
	struct service *s = NULL;
	su_root_t *root;

	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	su_init();
	root = su_root_create(NULL);
	CU_ASSERT_EQUAL_FATAL(service_alloc(&s, root), 0);
	service_ready(s, "running");
	service_stopping(s, "stopping");
	service_free(s);
	service_ready(NULL, "a NULL service is a no-op");
	su_root_destroy(root);
	su_deinit();
}

int suite_service_add(void)
{
	static const CU_TestInfo tests[] = {
		{ "watchdog ping at half of WATCHDOG_USEC", test_watchdog_interval },
		{ "READY, STATUS, RELOADING, STOPPING as systemd reads them", test_ready_stopping_status },
		{ "WATCHDOG=1 pinged from the loop", test_watchdog_pings_from_loop },
		{ "STATUS= kept current, sent when it changed", test_status_every_when_changed },
		{ "without systemd every call is a no-op", test_no_systemd },
		CU_TEST_INFO_NULL,
	};
	return unit_suite_add("service", tests);
}
