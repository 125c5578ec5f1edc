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

/* One Q931 line per frame; with --nfas it names the D-channel's interface
 * (at the end: the flows read the message from the front). */
static void pbx_trace(struct pbx_dchan *d, char dir, const void *buf, int len)
{
	struct pbx *p = d->pbx;
	char line[256];

	if (p->pcap && len > 0)
		q931_pcap_frame(p->pcap, dir == '>', buf, (size_t)len);
	if (len <= 0 || q931_trace_frame(buf, (size_t)len, line, sizeof(line)) < 0)
		return;
	pbx_xfer_frame(p, dir, line);
	if (p->opt.nfas)
		pbx_out(p, PBX_Q931, "%c %s dchan=%d", dir, line, d->ifc->iface);
	else
		pbx_out(p, PBX_Q931, "%c %s", dir, line);
}

/* libpri's read hook: one datagram = one frame + 2 FCS bytes, as DAHDI
 * hands them. 0 means "nothing"; got_frame tells the drain loop to go on. */
static int pbx_pri_read(struct pri *pri, void *buf, int buflen)
{
	struct pbx_dchan *d = pri_get_userdata(pri);
	ssize_t n;

	if (d->dfd < 0)
		return 0;		/* gone (--drop-dchan-at): never read again */
	n = recv(d->dfd, buf, (size_t)buflen, 0);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR) {
			fprintf(stderr, "sipgw-pbx: D-channel read: %s\n", strerror(errno));
			d->dfd_closed = 1;
		}
		return 0;
	}
	if (n == 0) {				/* SEQPACKET: the gateway went away */
		d->dfd_closed = 1;
		return 0;
	}
	d->got_frame = 1;
	pbx_trace(d, '<', buf, (int)n);
	return (int)n;
}

/* libpri's write hook: its buffer already ends with the 2 FCS bytes. */
static int pbx_pri_write(struct pri *pri, void *buf, int buflen)
{
	struct pbx_dchan *d = pri_get_userdata(pri);
	ssize_t n;

	if (d->dfd < 0)
		return -1;		/* gone: what libpri sends on it is lost */
	n = send(d->dfd, buf, (size_t)buflen, MSG_NOSIGNAL);
	if (n < 0) {
		fprintf(stderr, "sipgw-pbx: D-channel write: %s\n", strerror(errno));
		return -1;
	}
	pbx_trace(d, '>', buf, buflen);
	return (int)n;
}

/* libpri prints to stdout by default; stdout is our ladder. */
static void pbx_pri_message(struct pri *pri, char *s)
{
	(void)pri;
	fprintf(stderr, "libpri: %s", s);
}

/* One libpri instance on d's socket, with the options of the command line. */
static int pbx_dchan_start(struct pbx *p, struct pbx_dchan *d)
{
	d->pri = pri_new_cb(d->dfd, p->opt.nodetype, p->opt.switchtype, pbx_pri_read,
			    pbx_pri_write, d);
	if (!d->pri)
		return -ENOMEM;
	if (p->opt.overlap >= 0 || p->opt.collect)
		pri_set_overlapdial(d->pri, 1);	/* Sending Complete only when complete */
	if (p->opt.oos_chan || p->opt.service_msgs)
		pri_set_service_message_support(d->pri, 1);
	/* A Q.SIG PBX names its callers in Facility (ECMA-164); libpri sends
	 * that only with facilities enabled (there is no display IE in Q.SIG). */
	if (p->opt.switchtype == PRI_SWITCH_QSIG)
		pri_facility_enable(d->pri);
	return 0;
}

/* Connect every span's B socket, the D socket of the primary and backup,
 * and start a libpri instance per D-channel; the backup's is enslaved to
 * the primary's, so they share one call list (libpri NFAS). */
int pbx_pri_open(struct pbx *p)
{
	int fd, rc;

	pri_set_message(pbx_pri_message);
	pri_set_error(pbx_pri_message);
	p->n_ifc = p->opt.n_spans;
	p->n_d = 0;
	for (int i = 0; i < p->n_ifc; i++) {
		struct pbx_iface *ifc = &p->ifc[i];

		ifc->iface = p->opt.spans[i].iface;
		ifc->path = p->opt.spans[i].path;
		ifc->role = p->opt.spans[i].role;
		ifc->restarted = ifc->restarting = 0;
		ifc->bfd = -1;
	}
	/* the primary first: d[0] is the master instance */
	for (int role = PBX_D_PRIMARY; role <= PBX_D_BACKUP; role++) {
		for (int i = 0; i < p->n_ifc; i++) {
			struct pbx_dchan *d;

			if (p->ifc[i].role != (enum pbx_dchan_role)role)
				continue;
			d = &p->d[p->n_d++];
			*d = (struct pbx_dchan){ .pbx = p, .ifc = &p->ifc[i], .dfd = -1 };
			fd = lb_connect(p->ifc[i].path, 0);
			if (fd < 0) {
				rc = fd;
				goto fail;
			}
			d->dfd = fd;
			rc = pbx_dchan_start(p, d);
			if (rc < 0)
				goto fail;
		}
	}
	for (int i = 0; i < p->n_ifc; i++) {
		fd = lb_connect(p->ifc[i].path, 1);
		if (fd < 0) {
			rc = fd;
			goto fail;
		}
		p->ifc[i].bfd = fd;
	}
	if (p->n_d > 1)
		pri_enslave(p->d[0].pri, p->d[1].pri);
	p->d_active = p->d_said = NULL;
	pbx_nfas_active(p);
	if (p->opt.pcap && !p->pcap) {
		rc = q931_pcap_open(&p->pcap, p->opt.pcap, p->opt.nodetype == PRI_NETWORK);
		if (rc)
			fprintf(stderr, "sipgw-pbx: --pcap %s: %s\n", p->opt.pcap, strerror(-rc));
	}
	return 0;
fail:
	pbx_pri_close(p);
	return rc;
}

void pbx_pri_close(struct pbx *p)
{
	/* libpri 1.6 exports no destructor for a controller (only
	 * pri_destroycall()); it lives until exit. Forget it here. */
	p->pri = NULL;
	p->d_active = NULL;
	for (int i = 0; i < p->n_d; i++) {
		if (p->d[i].dfd >= 0)
			close(p->d[i].dfd);
		p->d[i].dfd = -1;
		p->d[i].pri = NULL;
		p->d[i].up = 0;
	}
	for (int i = 0; i < p->n_ifc; i++) {
		if (p->ifc[i].bfd >= 0)
			close(p->ifc[i].bfd);
		p->ifc[i].bfd = -1;
	}
	p->n_d = 0;
}

/* Has some D-channel lost its socket? Returns 1 when none is left. */
static int pbx_pri_closed(struct pbx *p)
{
	int left = 0;

	for (int i = 0; i < p->n_d; i++) {
		struct pbx_dchan *d = &p->d[i];

		if (d->dfd_closed && !d->gone) {
			fprintf(stderr, "sipgw-pbx: D-channel %s closed by the far end\n",
				d->ifc->path);
			d->gone = 1;
			pbx_nfas_dchan_state(d, 0);
		}
		left += !d->gone;
	}
	return !left;
}

static void pbx_pri_event(struct pbx_dchan *d, pri_event *e)
{
	switch (e->e) {
	case PRI_EVENT_DCHAN_UP:
		pbx_nfas_dchan_state(d, 1);
		break;
	case PRI_EVENT_DCHAN_DOWN:
		pbx_nfas_dchan_state(d, 0);
		break;
	case PRI_EVENT_SERVICE: {
		/* the gateway's busyout (libpri has answered SERVICE ACKNOWLEDGE) */
		int iface, chan;

		pbx_chan_decode(d, e->service.channel, &iface, &chan);
		pbx_out(d->pbx, PBX_EVENT, "service from gateway %s %s", pbx_chan_str(d->pbx, "chan", iface, chan).s,
			e->service.changestatus == 0 ? "in" : e->service.changestatus == 2 ? "out" : "other");
		break;
	}
	default:
		pbx_call_handle_event(d, e);
		break;
	}
}

/* pri_check_event() returns NULL both for "no data" and for "frame consumed,
 * no event", so the read hook's got_frame decides when the socket is empty. */
static void pbx_pri_drain(struct pbx_dchan *d)
{
	do {
		pri_event *e;

		d->got_frame = 0;
		e = pri_check_event(d->pri);
		if (e)
			pbx_pri_event(d, e);
	} while (d->got_frame && !d->dfd_closed && !d->gone);
}

/* The timers of every D-channel still there; a gone one's never run. */
static void pbx_pri_timers(struct pbx *p)
{
	for (int i = 0; i < p->n_d; i++) {
		struct pbx_dchan *d = &p->d[i];
		pri_event *e;

		while (!d->gone && (e = pri_schedule_run(d->pri)))
			pbx_pri_event(d, e);
	}
}

/* Milliseconds until libpri's next timer (Q.921 T200/T203, Q.931 T3xx), or
 * fallback when none is armed. libpri keeps them on gettimeofday(). */
static long long pbx_pri_next_ms(struct pbx *p, long long fallback)
{
	struct timeval now;
	long long best = fallback;

	gettimeofday(&now, NULL);
	for (int i = 0; i < p->n_d; i++) {
		struct timeval *tv = p->d[i].gone ? NULL : pri_schedule_next(p->d[i].pri);
		long long ms;

		if (!tv)
			continue;
		ms = (tv->tv_sec - now.tv_sec) * 1000LL + (tv->tv_usec - now.tv_usec + 999) / 1000;
		if (ms < 0)
			ms = 0;
		if (ms < best)
			best = ms;
	}
	return best;
}

int pbx_pri_run(struct pbx *p, volatile int *signalled)
{
	long long start = mono_ms(), next_tick = start + PBX_TICK_MS, stop_at = 0;
	long long deadline = p->opt.timeout >= 0 ? start + (long long)(p->opt.timeout * 1000) : 0;

	for (;;) {
		/* [0, n_d): D-channels, then [n_d, n_d + n_ifc): B sockets */
		struct pollfd pfd[2 + PBX_MAX_IFACE];
		long long now = mono_ms(), wait;
		int n_d = p->n_d;

		if (*signalled && !p->stopping) {
			p->stopping = 1;
			stop_at = now + PBX_STOP_GRACE_MS;
			pbx_call_clear_all(p);
		}
		if (p->stopping && ((!p->calls && !pbx_restarts_pending(p)) || now >= stop_at))
			return 0;
		if (p->opt.exit_when_done && pbx_call_done(p))
			return 0;
		if (deadline && now >= deadline) {
			fprintf(stderr, "sipgw-pbx: timeout after %.1f s\n", p->opt.timeout);
			return 3;
		}
		if (p->n_d && pbx_pri_closed(p)) {
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
		if (!p->n_d) {
			if (pbx_pri_open(p) < 0) {
				poll(NULL, 0, PBX_RECONNECT_MS);
				continue;
			}
			pbx_out(p, PBX_EVENT, "reconnected");
			continue;
		}

		for (int i = 0; i < n_d; i++)
			pfd[i] = (struct pollfd){ .fd = p->d[i].dfd, .events = POLLIN };
		for (int i = 0; i < p->n_ifc; i++)
			pfd[n_d + i] = (struct pollfd){ .fd = p->ifc[i].bfd, .events = POLLIN };
		wait = pbx_pri_next_ms(p, next_tick > now ? next_tick - now : 0);
		if (deadline && deadline - now < wait)
			wait = deadline - now;
		if (poll(pfd, (nfds_t)(n_d + p->n_ifc), (int)wait) < 0 && errno != EINTR) {
			fprintf(stderr, "sipgw-pbx: poll: %s\n", strerror(errno));
			return 1;
		}
		for (int i = 0; i < n_d; i++)
			if (!p->d[i].gone && (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				pbx_pri_drain(&p->d[i]);
		for (int i = 0; i < p->n_ifc; i++) {
			short ev = pfd[n_d + i].revents;

			if (p->ifc[i].bfd >= 0 && (ev & (POLLIN | POLLHUP | POLLERR)))
				pbx_media_recv(p, &p->ifc[i]);
		}
		pbx_pri_timers(p);

		now = mono_ms();
		if (now >= next_tick) {
			pbx_nfas_timers(p, now);
			pbx_call_pbx_timers(p, now);
			pbx_call_timers(p, now);
			pbx_xfer_poll(p);
			pbx_media_odd_tick(p, now);
			pbx_media_tick(p);
			next_tick += PBX_TICK_MS;
			if (now - next_tick > PBX_TICK_SLIP_MS)
				next_tick = now + PBX_TICK_MS;
		}
	}
}
