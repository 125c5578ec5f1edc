/* sipgw - the one event loop (Sofia's su_root) seen from modules that must
 * not include Sofia headers: timers and fd watches. SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_CORE_LOOP_H
#define SIPGW_CORE_LOOP_H

struct su_root_s;

typedef void (loop_timer_h)(void *arg);
typedef void (loop_fd_h)(void *arg, int fd);

struct loop_timer;
/** A one-shot timer named after its spec (T303, ring-no-answer) for logs. */
int loop_timer_alloc(struct loop_timer **tp, struct su_root_s *root, const char *name,
		     loop_timer_h *h, void *arg);
void loop_timer_free(struct loop_timer *t);
/** (Re)start: fires once after ms. */
int loop_timer_start(struct loop_timer *t, unsigned ms);
void loop_timer_stop(struct loop_timer *t);
const char *loop_timer_name(const struct loop_timer *t);

struct loop_fd;
/** Call h whenever fd is readable. */
int loop_fd_alloc(struct loop_fd **wp, struct su_root_s *root, int fd, loop_fd_h *h, void *arg);
/** The same, also when fd has priority data (POLLPRI): a DAHDI channel
 * tells of an event (an alarm) that way, not by being readable. */
int loop_fd_alloc_pri(struct loop_fd **wp, struct su_root_s *root, int fd, loop_fd_h *h, void *arg);
/** Call h whenever fd is writable (a reply that did not fit the socket
 * buffer at once). */
int loop_fd_alloc_out(struct loop_fd **wp, struct su_root_s *root, int fd, loop_fd_h *h, void *arg);
void loop_fd_free(struct loop_fd *w);
/** on: call h when fd is writable instead of readable (a reply waits for
 * room in the socket); off: readable again. 0 or -EIO. */
int loop_fd_writable(struct loop_fd *w, int on);



/* A steady periodic clock (the 20 ms media tick): a timerfd keeps the phase,
 * so ticks do not drift with the time spent in callbacks, and the ticks a
 * stalled loop owes run back to back. Tickers of one period on one loop
 * share a clock and tick together, in the order they were made. */
struct loop_ticker;
int loop_ticker_alloc(struct loop_ticker **tp, struct su_root_s *root, unsigned ms,
		      loop_timer_h *h, void *arg);
void loop_ticker_free(struct loop_ticker *t);
#endif
