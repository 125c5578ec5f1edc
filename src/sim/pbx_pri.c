/* sipgw - PBX simulator: libpri on the loopback span, and the event loop.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "pbx.h"

#include <errno.h>
#include <libpri.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "core/log.h"
#include "q931/q931_pcap.h"
#include "q931/q931_trace.h"

/* Grace for clearing calls on SIGINT/SIGTERM before exiting anyway. */
#define PBX_STOP_GRACE_MS 2000
/* If the loop falls this far behind the media clock, skip ticks rather
 * than burst: a burst would look like a jitter spike to the far end. */
#define PBX_TICK_SLIP_MS 200
/* --reconnect: how often to try the span socket again. */
#define PBX_RECONNECT_MS 50

static void pbx_trace(struct pbx *p, char dir, const void *buf, int len)
{
	char line[256];

	if (p->pcap && len > 0)
		q931_pcap_frame(p->pcap, dir == '>', buf, (size_t)len);
	if (len > 0 && q931_trace_frame(buf, (size_t)len, line, sizeof(line)) == 0)
		pbx_out(p, PBX_Q931, "%c %s", dir, line);
}

/* libpri's read hook: one datagram = one frame + 2 FCS bytes, as DAHDI
 * hands them. 0 means "nothing"; got_frame tells the drain loop to go on. */
static int pbx_pri_read(struct pri *pri, void *buf, int buflen)
{
	struct pbx *p = pri_get_userdata(pri);
	ssize_t n = recv(p->dfd, buf, (size_t)buflen, 0);

	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR) {
			fprintf(stderr, "sipgw-pbx: D-channel read: %s\n", strerror(errno));
			p->dfd_closed = 1;
		}
		return 0;
	}
	if (n == 0) {				/* SEQPACKET: the gateway went away */
		p->dfd_closed = 1;
		return 0;
	}
	p->got_frame = 1;
	pbx_trace(p, '<', buf, (int)n);
	return (int)n;
}

/* libpri's write hook: its buffer already ends with the 2 FCS bytes. */
static int pbx_pri_write(struct pri *pri, void *buf, int buflen)
{
	struct pbx *p = pri_get_userdata(pri);
	ssize_t n = send(p->dfd, buf, (size_t)buflen, MSG_NOSIGNAL);

	if (n < 0) {
		fprintf(stderr, "sipgw-pbx: D-channel write: %s\n", strerror(errno));
		return -1;
	}
	pbx_trace(p, '>', buf, buflen);
	return (int)n;
}

/* libpri prints to stdout by default; stdout is our ladder. */
static void pbx_pri_message(struct pri *pri, char *s)
{
	(void)pri;
	fprintf(stderr, "libpri: %s", s);
}

/* Connect both sockets and start a libpri instance on them. */
int pbx_pri_open(struct pbx *p)
{
	int fd;

	fd = lb_connect(p->opt.span, 0);
	if (fd < 0)
		return fd;
	p->dfd = fd;
	fd = lb_connect(p->opt.span, 1);
	if (fd < 0) {
		pbx_pri_close(p);
		return fd;
	}
	p->bfd = fd;
	pri_set_message(pbx_pri_message);
	pri_set_error(pbx_pri_message);
	p->pri = pri_new_cb(p->dfd, p->opt.nodetype, p->opt.switchtype, pbx_pri_read,
			    pbx_pri_write, p);
	if (!p->pri) {
		pbx_pri_close(p);
		return -ENOMEM;
	}
	if (p->opt.overlap >= 0 || p->opt.collect)
		pri_set_overlapdial(p->pri, 1);	/* Sending Complete only when complete */
	if (p->opt.oos_chan)
		pri_set_service_message_support(p->pri, 1);
	if (p->opt.pcap && !p->pcap) {
		int rc = q931_pcap_open(&p->pcap, p->opt.pcap, p->opt.nodetype == PRI_NETWORK);
		if (rc)
			fprintf(stderr, "sipgw-pbx: --pcap %s: %s\n", p->opt.pcap, strerror(-rc));
	}
	/* A Q.SIG PBX names its callers in Facility (ECMA-164); libpri sends
	 * that only with facilities enabled (there is no display IE in Q.SIG). */
	if (p->opt.switchtype == PRI_SWITCH_QSIG)
		pri_facility_enable(p->pri);
	return 0;
}

void pbx_pri_close(struct pbx *p)
{
	/* libpri 1.6 exports no destructor for a controller (only
	 * pri_destroycall()); it lives until exit. Forget it here. */
	p->pri = NULL;
	if (p->dfd >= 0)
		close(p->dfd);
	if (p->bfd >= 0)
		close(p->bfd);
	p->dfd = p->bfd = -1;
}

static void pbx_pri_event(struct pbx *p, pri_event *e)
{
	switch (e->e) {
	case PRI_EVENT_DCHAN_UP:
		if (!p->dchan_up)
			pbx_out(p, PBX_EVENT, "dchan up");
		p->dchan_up = 1;
		pbx_call_dchan_up(p);
		break;
	case PRI_EVENT_DCHAN_DOWN:
		if (p->dchan_up)
			pbx_out(p, PBX_EVENT, "dchan down");
		p->dchan_up = 0;
		break;
	default:
		pbx_call_handle_event(p, e);
		break;
	}
}

/* pri_check_event() returns NULL both for "no data" and for "frame consumed,
 * no event", so the read hook's got_frame decides when the socket is empty. */
static void pbx_pri_drain(struct pbx *p)
{
	do {
		pri_event *e;

		p->got_frame = 0;
		e = pri_check_event(p->pri);
		if (e)
			pbx_pri_event(p, e);
	} while (p->got_frame && !p->dfd_closed);
}

static void pbx_pri_timers(struct pbx *p)
{
	pri_event *e;

	while ((e = pri_schedule_run(p->pri)))
		pbx_pri_event(p, e);
}

/* Milliseconds until libpri's next timer (Q.921 T200/T203, Q.931 T3xx), or
 * fallback when none is armed. libpri keeps them on gettimeofday(). */
static long long pbx_pri_next_ms(struct pbx *p, long long fallback)
{
	struct timeval *tv = pri_schedule_next(p->pri), now;
	long long ms;

	if (!tv)
		return fallback;
	gettimeofday(&now, NULL);
	ms = (tv->tv_sec - now.tv_sec) * 1000LL + (tv->tv_usec - now.tv_usec + 999) / 1000;
	if (ms < 0)
		ms = 0;
	return ms < fallback ? ms : fallback;
}

int pbx_pri_run(struct pbx *p, volatile int *signalled)
{
	long long start = mono_ms(), next_tick = start + PBX_TICK_MS, stop_at = 0;
	long long deadline = p->opt.timeout >= 0 ? start + (long long)(p->opt.timeout * 1000) : 0;

	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = p->dfd, .events = POLLIN },
			{ .fd = p->bfd, .events = POLLIN },
		};
		long long now = mono_ms(), wait;

		if (*signalled && !p->stopping) {
			p->stopping = 1;
			stop_at = now + PBX_STOP_GRACE_MS;
			pbx_call_clear_all(p);
		}
		if (p->stopping && (!p->calls || now >= stop_at))
			return 0;
		if (p->opt.exit_when_done && pbx_call_done(p))
			return 0;
		if (deadline && now >= deadline) {
			fprintf(stderr, "sipgw-pbx: timeout after %.1f s\n", p->opt.timeout);
			return 3;
		}
		if (p->dfd_closed && p->dfd >= 0) {
			if (p->dchan_up)
				pbx_out(p, PBX_EVENT, "dchan down");
			p->dchan_up = 0;
			fprintf(stderr, "sipgw-pbx: D-channel closed by the far end\n");
			if (!p->opt.reconnect)
				return 1;
			/* As a PBX whose gateway crashed: our calls stay up on
			 * our side (hanging, their B-channels busy) until the
			 * gateway RESTARTs them. The libpri instance goes with
			 * the link (libpri 1.6 cannot free it; the simulator
			 * reconnects a few times in its life). */
			pbx_call_orphan_all(p);
			pbx_pri_close(p);
			pbx_out(p, PBX_EVENT, "reconnecting");
		}
		if (p->dfd < 0) {
			if (pbx_pri_open(p) < 0) {
				poll(NULL, 0, PBX_RECONNECT_MS);
				continue;
			}
			p->dfd_closed = 0;
			pbx_out(p, PBX_EVENT, "reconnected");
		}

		wait = pbx_pri_next_ms(p, next_tick > now ? next_tick - now : 0);
		if (deadline && deadline - now < wait)
			wait = deadline - now;
		if (poll(pfd, 2, (int)wait) < 0 && errno != EINTR) {
			fprintf(stderr, "sipgw-pbx: poll: %s\n", strerror(errno));
			return 1;
		}
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))
			pbx_pri_drain(p);
		if (pfd[1].revents & (POLLIN | POLLHUP | POLLERR))
			pbx_media_recv(p);
		pbx_pri_timers(p);

		now = mono_ms();
		if (now >= next_tick) {
			pbx_call_pbx_timers(p, now);
			pbx_call_timers(p, now);
			pbx_media_odd_tick(p, now);
			pbx_media_tick(p);
			next_tick += PBX_TICK_MS;
			if (now - next_tick > PBX_TICK_SLIP_MS)
				next_tick = now + PBX_TICK_MS;
		}
	}
}
