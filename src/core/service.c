/* sipgw - systemd's service notification (sd_notify(3), libsystemd) and its
 * watchdog, pinged from the one event loop: a ping proves the loop turns,
 * which a thread of its own would not. SPDX-License-Identifier: GPL-2.0-only */
#include "core/service.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "core/log.h"
#include "core/loop.h"

struct service {
	struct loop_ticker *watchdog;	/* WATCHDOG=1 every half of WATCHDOG_USEC, or NULL */
	unsigned watchdog_ms;
	struct loop_ticker *status;	/* service_status_every(), or NULL */
	struct su_root_s *root;
	service_status_h *status_h;
	void *status_arg;
	char last[256];			/* the STATUS= last sent: sent again only when it changed */
	int failed;			/* a notification failed once: said in the log, not again */
};

unsigned service_watchdog_ms(unsigned long long usec)
{
	unsigned long long ms = usec / 2000;

	if (!usec)
		return 0;
	if (ms > 0x7fffffffULL)
		ms = 0x7fffffffULL;
	return ms ? (unsigned)ms : 1;
}

/* One notification; a failure (a socket gone, systemd restarting) costs a
 * log line, never the gateway. */
static void notify(struct service *s, const char *what, const char *fmt, va_list ap)
{
	char status[256];
	int rc;

	if (!s)
		return;
	status[0] = '\0';
	if (fmt)
		vsnprintf(status, sizeof(status), fmt, ap);
	/* STATUS= is one line: a newline would start another assignment */
	for (char *p = status; *p; p++)
		if (*p == '\n')
			*p = ' ';
	snprintf(s->last, sizeof(s->last), "%s", status);
	rc = sd_notifyf(0, "%s%sSTATUS=%s", what ? what : "", what ? "\n" : "", status);
	if (rc < 0 && !s->failed) {
		s->failed = 1;
		LOGW(LSS_CORE, "service: sd_notify(%s): %s", what ? what : "STATUS", strerror(-rc));
	}
}

static void watchdog_ping(void *arg)
{
	struct service *s = arg;
	int rc = sd_notify(0, "WATCHDOG=1");

	if (rc < 0 && !s->failed) {
		s->failed = 1;
		LOGW(LSS_CORE, "service: watchdog ping: %s", strerror(-rc));
	}
}

int service_alloc(struct service **sp, struct su_root_s *root)
{
	struct service *s = calloc(1, sizeof(*s));
	uint64_t usec = 0;
	int rc;

	if (!s)
		return -ENOMEM;
	s->root = root;
	/* > 0 only when WATCHDOG_USEC is set and WATCHDOG_PID, if set, is us */
	rc = sd_watchdog_enabled(0, &usec);
	if (rc < 0)
		LOGW(LSS_CORE, "service: WATCHDOG_USEC: %s; no watchdog pings", strerror(-rc));
	if (rc > 0 && (s->watchdog_ms = service_watchdog_ms(usec))) {
		if ((rc = loop_ticker_alloc(&s->watchdog, root, s->watchdog_ms, watchdog_ping, s))) {
			free(s);
			return rc;
		}
		LOGN(LSS_CORE, "service: systemd watchdog %llu ms, pinged every %u ms",
		     (unsigned long long)usec / 1000, s->watchdog_ms);
	}
	*sp = s;
	return 0;
}

void service_free(struct service *s)
{
	if (!s)
		return;
	loop_ticker_free(s->watchdog);
	loop_ticker_free(s->status);
	free(s);
}

void service_ready(struct service *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	notify(s, "READY=1", fmt, ap);
	va_end(ap);
}

void service_reloading(struct service *s, const char *fmt, ...)
{
	struct timespec ts;
	char what[64];
	va_list ap;

	/* systemd 253's Type=notify-reload wants the time of the reload's start
	 * beside RELOADING=1; 252 takes RELOADING=1 alone and ignores the rest */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(what, sizeof(what), "RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000);
	va_start(ap, fmt);
	notify(s, what, fmt, ap);
	va_end(ap);
}

void service_stopping(struct service *s, const char *fmt, ...)
{
	va_list ap;

	/* from here STATUS= says what the stop does, not the running figures */
	if (s) {
		loop_ticker_free(s->status);
		s->status = NULL;
	}
	va_start(ap, fmt);
	notify(s, "STOPPING=1", fmt, ap);
	va_end(ap);
}

void service_status(struct service *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	notify(s, NULL, fmt, ap);
	va_end(ap);
}

static void status_tick(void *arg)
{
	struct service *s = arg;
	char now[sizeof(s->last)];

	now[0] = '\0';
	s->status_h(s->status_arg, now, sizeof(now));
	if (strcmp(now, s->last))
		service_status(s, "%s", now);
}

int service_status_every(struct service *s, unsigned ms, service_status_h *h, void *arg)
{
	if (!s)
		return 0;
	loop_ticker_free(s->status);
	s->status = NULL;
	s->status_h = h;
	s->status_arg = arg;
	/* nobody reads STATUS= without systemd: no ticker then */
	if (!h || !ms || !getenv("NOTIFY_SOCKET"))
		return 0;
	return loop_ticker_alloc(&s->status, s->root, ms, status_tick, s);
}
