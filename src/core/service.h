/* sipgw - the gateway as a systemd service (Type=notify): READY, RELOADING,
 * STOPPING and STATUS through sd_notify(3), and the watchdog ping from the
 * event loop. Without NOTIFY_SOCKET (run by hand, in the flows) every call
 * is a no-op. SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_CORE_SERVICE_H
#define SIPGW_CORE_SERVICE_H

#include <stddef.h>

struct su_root_s;
struct service;

/** The service's link to systemd; with WATCHDOG_USEC set for this process
 * (sd_watchdog_enabled(3)) it pings WATCHDOG=1 from root's loop every half
 * of that, so a loop that hangs is seen by systemd and restarted. */
int service_alloc(struct service **sp, struct su_root_s *root);
void service_free(struct service *s);

/** Spans and SIP are up: READY=1 with STATUS=fmt (also after a reload). */
void service_ready(struct service *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** A reload began: RELOADING=1 (systemd 252: until the next service_ready()). */
void service_reloading(struct service *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** SIGTERM or SIGINT taken: STOPPING=1, the calls are being cleared. */
void service_stopping(struct service *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** STATUS=fmt alone: what `systemctl status sipgw` shows. */
void service_status(struct service *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** What the gateway says it is doing, into buf: the STATUS= text. */
typedef void (service_status_h)(void *arg, char *buf, size_t len);
/** Every ms from the loop, STATUS= what h writes, sent only when it changed
 * (calls up, spans), so `systemctl status sipgw` stays current. 0 or -errno. */
int service_status_every(struct service *s, unsigned ms, service_status_h *h, void *arg);

/** The watchdog ping interval in ms for WATCHDOG_USEC = usec (half of it, at
 * least 1 ms), 0 for none: systemd(1) wants a ping well inside the timeout. */
unsigned service_watchdog_ms(unsigned long long usec);

#endif
