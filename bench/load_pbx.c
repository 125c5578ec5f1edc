/* sipgw - load rig, PBX side: ONE process that is the PBX on many loopback
 * spans of a gateway (libpri on each, pri_new_cb on the span's socket, as
 * src/sim/pbx_pri.c), places N calls at a given rate, holds each with audio
 * both ways, and frame-times every stream it receives.
 *
 * Why one process: one simulator per span (37 processes at 1,000 calls)
 * used 84 % of a core on the gateway's two, so the rig made the lateness it
 * measured (issue 14). Here one clock sends every channel's frame per 20 ms,
 * one sendmmsg() per span per tick (the loopback contract stays one
 * datagram per channel per 20 ms, DESIGN.md "Loopback span"), and received
 * frames are read once per tick by recvmmsg() with the kernel's receive
 * time stamps (SO_TIMESTAMPNS), so neither a late wake-up of this process
 * nor the reading once a tick is counted as a late frame of the gateway;
 * its own clock's lateness is reported apart.
 * Single-threaded, epoll, no allocation per frame.
 *
 * Prints one JSON line at the end (see load_summary()).
 * SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <libpri.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "bench/load_pbx.h"
#include "core/log.h"
#include "hw/loopback.h"


static struct lp *g_lp;		/* libpri's callbacks carry the span; this finds the rest */

static long long ts_us(const struct timespec *t)
{
	return t->tv_sec * 1000000LL + t->tv_nsec / 1000;
}

static long long real_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return ts_us(&t);
}

/* ---- libpri's I/O on a span's D-channel */

static int lp_pri_read(struct pri *pri, void *buf, int buflen)
{
	struct lp_span *sp = pri_get_userdata(pri);
	ssize_t n = recv(sp->dfd, buf, (size_t)buflen, 0);

	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			sp->closed = 1;
		return 0;
	}
	if (n == 0) {
		sp->closed = 1;
		return 0;
	}
	sp->got_frame = 1;
	return (int)n;
}

static int lp_pri_write(struct pri *pri, void *buf, int buflen)
{
	struct lp_span *sp = pri_get_userdata(pri);
	ssize_t n = send(sp->dfd, buf, (size_t)buflen, MSG_NOSIGNAL);

	return n < 0 ? -1 : (int)n;
}

static void lp_pri_message(struct pri *pri, char *s)
{
	(void)pri;
	if (!g_lp || !g_lp->o.quiet)
		fprintf(stderr, "libpri: %s", s);
}

/* ---- calls */

static struct lp_call *lp_call_of(struct lp_span *sp, q931_call *q)
{
	for (int i = 0; i < sp->n_chans; i++) {
		struct lp_call *c = &sp->calls[sp->chans[i]];

		if (c->state != LP_IDLE && c->q == q)
			return c;
	}
	return NULL;
}

/* The stream of an ending call goes into the totals. */
void lp_stream_done(struct lp *lp, struct lp_call *c)
{
	struct sim_stream *s = &c->rx;

	if (c->connect_us) {
		lp->tot.streams++;
		lp->tot.frames += s->frames;
		lp->tot.late += s->late;
		lp->tot.lost += sim_stream_lost(s);
		lp->tot.tx += c->tx_frames;
		if (s->late)
			lp->tot.late_streams++;
		if (s->max_gap_us > lp->tot.max_gap_us)
			lp->tot.max_gap_us = s->max_gap_us;
	}
}

static void lp_full_check(struct lp *lp);
static void lp_bchan(struct lp *lp, struct lp_span *sp);

/* The B socket is read once a tick: what is queued for c still counts. */
static void lp_stop_listening(struct lp *lp, struct lp_call *c)
{
	if (c->listening)
		lp_bchan(lp, c->sp);
	c->listening = 0;
}

static void lp_call_end(struct lp *lp, struct lp_call *c, int cause)
{
	if (c->state == LP_IDLE)
		return;
	if (!c->connect_us) {
		lp->failed++;
		lp->causes[cause & 127]++;
	}
	lp_stream_done(lp, c);
	c->state = LP_IDLE;
	c->listening = 0;
	c->q = NULL;
	lp->ended++;
	lp_full_check(lp);	/* a failed setup may have been the last one pending */
}

static int lp_place(struct lp *lp, struct lp_span *sp)
{
	struct lp_call *c;
	struct pri_sr *sr;
	q931_call *q;
	int chan;

	if (sp->next_free >= sp->n_chans)
		return -EBUSY;
	chan = sp->chans[sp->next_free++];
	c = &sp->calls[chan];
	q = pri_new_call(sp->pri);
	sr = pri_sr_new();
	if (!q || !sr) {
		pri_sr_free(sr);
		return -ENOMEM;
	}
	*c = (struct lp_call){ .sp = sp, .chan = chan, .state = LP_SETUP, .q = q, .setup_us = mono_us(),
			       .burst = lp->placed >= lp->o.calls };
	/* exclusive (Q.931 4.5.13): the channel is ours, as a PBX that hunts its own */
	pri_sr_set_channel(sr, chan, 1, 0);
	pri_sr_set_bearer(sr, PRI_TRANS_CAP_SPEECH, lp->o.e1 ? PRI_LAYER_1_ALAW : PRI_LAYER_1_ULAW);
	pri_sr_set_called(sr, (char *)lp->o.number, PRI_UNKNOWN, 1);
	pri_sr_set_caller(sr, (char *)lp->o.calling, NULL, PRI_UNKNOWN, PRES_ALLOWED_USER_NUMBER_NOT_SCREENED);
	lp->placed++;
	if (pri_setup(sp->pri, q, sr)) {
		pri_sr_free(sr);
		pri_destroycall(sp->pri, q);
		c->q = NULL;
		lp_call_end(lp, c, PRI_CAUSE_DESTINATION_OUT_OF_ORDER);
		return -EIO;
	}
	pri_sr_free(sr);
	return 0;
}

/* Calls at --rate, round robin over the ready spans with a free channel. */
static void lp_place_due(struct lp *lp)
{
	static int rr;
	long long now = mono_us();

	int want = lp->o.calls;
	double rate = lp->o.rate;

	/* --burst: once at full load (and a second more), K calls more at
	 * --burst-rate, whose post-dial delay is that of a burst at full load */
	if (lp->full && lp->o.burst && now >= lp->full_us + LP_BURST_AFTER_US) {
		want += lp->o.burst;
		rate = lp->o.burst_rate;
		if (!lp->burst_started) {
			lp->burst_started = 1;
			lp->next_place_us = now;
		}
	}
	while (lp->placed < want && now >= lp->next_place_us) {
		int tried = 0;

		for (; tried < lp->o.n_spans; tried++) {
			struct lp_span *sp = &lp->sp[rr++ % lp->o.n_spans];

			if (sp->ready && sp->next_free < sp->n_chans) {
				lp_place(lp, sp);
				break;
			}
		}
		if (tried == lp->o.n_spans)
			return;		/* no span ready yet, or all full */
		lp->next_place_us = (lp->next_place_us ? lp->next_place_us : now) + (long long)(1e6 / rate);
	}
}

/* Every call placed has connected or failed: full load. With --hold-after-full
 * each call holds --hold from here (plus its place in the setup order, so
 * the clearing is as spread as the setups were), so that the steady window
 * lasts --hold however long the setups took. */
static void lp_full_check(struct lp *lp)
{
	long long now = mono_us(), first = 0;

	if (lp->full || lp->placed < lp->o.calls)
		return;
	for (int s = 0; s < lp->o.n_spans; s++) {
		for (int i = 0; i < lp->sp[s].n_chans; i++) {
			struct lp_call *c = &lp->sp[s].calls[lp->sp[s].chans[i]];

			if (c->state == LP_SETUP || c->state == LP_ALERTED)
				return;
			if (c->state == LP_ACTIVE && (!first || c->connect_us < first))
				first = c->connect_us;
		}
	}
	lp->full = 1;
	lp->full_us = now;
	/* the bench's steady window starts here (bench/rig_bench.py) */
	fprintf(stderr, "load_pbx: all %d calls connected (%d failed)\n", lp->connected, lp->failed);
	if (!lp->o.hold_after_full)
		return;
	for (int s = 0; s < lp->o.n_spans; s++) {
		for (int i = 0; i < lp->sp[s].n_chans; i++) {
			struct lp_call *c = &lp->sp[s].calls[lp->sp[s].chans[i]];

			if (c->state == LP_ACTIVE)
				c->hangup_at_us = now + (long long)(lp->o.hold * 1e6) + (c->connect_us - first);
		}
	}
}

static void lp_event(struct lp *lp, struct lp_span *sp, pri_event *e)
{
	struct lp_call *c;
	long long now = mono_us();

	switch (e->e) {
	case PRI_EVENT_DCHAN_UP:
		sp->up = 1;
		sp->up_ms = mono_ms();
		return;
	case PRI_EVENT_DCHAN_DOWN:
		sp->up = 0;
		return;
	case PRI_EVENT_RESTART:
		sp->restarted++;
		if ((e->restart.channel & 0xff) == 0xff || sp->restarted >= sp->n_chans)
			sp->ready = 1;
		return;
	case PRI_EVENT_RING:
		/* not ours to answer: this rig only places calls */
		pri_hangup(sp->pri, e->ring.call, PRI_CAUSE_CALL_REJECTED);
		return;
	case PRI_EVENT_PROCEEDING:
	case PRI_EVENT_PROGRESS:
		return;
	case PRI_EVENT_RINGING:
		c = lp_call_of(sp, e->ringing.call);
		if (c && c->state == LP_SETUP) {
			c->state = LP_ALERTED;
			c->alert_us = now;
			lp->alerted++;
			if (c->burst)
				lp->bpdd_us[lp->n_bpdd++] = now - c->setup_us;
			else
				lp->pdd_us[lp->n_pdd++] = now - c->setup_us;
		}
		return;
	case PRI_EVENT_ANSWER:
		c = lp_call_of(sp, e->answer.call);
		if (!c || (c->state != LP_SETUP && c->state != LP_ALERTED))
			return;
		c->state = LP_ACTIVE;
		c->connect_us = now;
		c->listening = 1;
		/* --hold-after-full: lp_full_check() sets it once every call is up */
		c->hangup_at_us = lp->o.hold_after_full && !lp->full ? LLONG_MAX : now + (long long)(lp->o.hold * 1e6);
		if (c->burst)
			lp->burst_connected++;
		lp->connected++;
		lp->s2c_us[lp->n_s2c++] = now - c->setup_us;
		lp_full_check(lp);
		return;
	case PRI_EVENT_HANGUP_REQ:
		c = lp_call_of(sp, e->hangup.call);
		if (c) {
			c->cause = e->hangup.cause;
			lp_stop_listening(lp, c);
			c->state = LP_CLEARING;
		}
		pri_hangup(sp->pri, e->hangup.call, e->hangup.cause);
		return;
	case PRI_EVENT_HANGUP:
		c = lp_call_of(sp, e->hangup.call);
		pri_hangup(sp->pri, e->hangup.call, e->hangup.cause);	/* libpri frees it */
		if (c)
			lp_call_end(lp, c, c->cause ? c->cause : e->hangup.cause);
		return;
	case PRI_EVENT_HANGUP_ACK:
		c = lp_call_of(sp, e->hangup.call);
		if (c)
			lp_call_end(lp, c, c->cause ? c->cause : PRI_CAUSE_NORMAL_CLEARING);
		return;
	default:
		return;
	}
}

static void lp_dchan(struct lp *lp, struct lp_span *sp)
{
	do {
		pri_event *e;

		sp->got_frame = 0;
		e = pri_check_event(sp->pri);
		if (e)
			lp_event(lp, sp, e);
	} while (sp->got_frame && !sp->closed);
}

/* Calls held long enough are cleared by us (normal clearing, Q.931 5.3.2). */
static void lp_hangups_due(struct lp *lp)
{
	long long now = mono_us();

	for (int s = 0; s < lp->o.n_spans; s++) {
		struct lp_span *sp = &lp->sp[s];

		for (int i = 0; i < sp->n_chans; i++) {
			struct lp_call *c = &sp->calls[sp->chans[i]];

			if (c->state == LP_ACTIVE && now >= c->hangup_at_us) {
				if (!lp->clearing) {
					lp->clearing = 1;	/* ... and ends here */
					fprintf(stderr, "load_pbx: clearing\n");
				}
				c->state = LP_CLEARING;
				lp_stop_listening(lp, c);
				c->cause = PRI_CAUSE_NORMAL_CLEARING;
				pri_hangup(sp->pri, c->q, PRI_CAUSE_NORMAL_CLEARING);
			}
		}
	}
}

/* ---- media: one clock for every channel, one sendmmsg() per span per tick */

static void lp_tick(struct lp *lp)
{
	lp->tick++;
	for (int s = 0; s < lp->o.n_spans; s++) {
		struct lp_span *sp = &lp->sp[s];
		int n = 0;

		for (int i = 0; i < sp->n_chans; i++) {
			struct lp_call *c = &sp->calls[sp->chans[i]];

			if (c->state != LP_ACTIVE)
				continue;
			/* each channel at its own point of the noise: no two alike */
			sp->txiov[c->chan][1].iov_base = lp->noise[(lp->tick + c->chan * 7 + sp->idx) % SIM_NOISE_FRAMES];
			sp->txmsg[n].msg_hdr.msg_iov = sp->txiov[c->chan];
			sp->txmsg[n].msg_hdr.msg_iovlen = 2;
			n++;
			c->tx_frames++;
		}
		if (n && sp->bfd >= 0) {
			int sent = sendmmsg(sp->bfd, sp->txmsg, (unsigned)n, MSG_DONTWAIT | MSG_NOSIGNAL);

			if (sent < n)
				sp->tx_errors += n - (sent < 0 ? 0 : sent);
		}
	}
}

static void lp_bchan(struct lp *lp, struct lp_span *sp)
{
	int n;

	do {
		for (int i = 0; i < LP_RX_BATCH; i++) {
			lp->rxmsg[i].msg_hdr.msg_control = lp->rxctl[i];
			lp->rxmsg[i].msg_hdr.msg_controllen = sizeof(lp->rxctl[i]);
		}
		n = recvmmsg(sp->bfd, lp->rxmsg, LP_RX_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0)
			return;
		for (int i = 0; i < n; i++) {
			struct msghdr *m = &lp->rxmsg[i].msg_hdr;
			struct cmsghdr *cm = CMSG_FIRSTHDR(m);
			long long t = 0;
			int chan = lp->rxbuf[i][0];

			if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS)
				t = ts_us((const struct timespec *)CMSG_DATA(cm));
			else
				t = real_us();
			if (lp->rxmsg[i].msg_len != LB_AUDIO_DGRAM || chan >= LP_MAX_CHAN) {
				sp->rx_unknown++;
				continue;
			}
			if (sp->calls[chan].listening)
				sim_stream_frame(&sp->calls[chan].rx, t);
			else if (sp->calls[chan].state == LP_IDLE)
				sp->rx_unknown++;
		}
		/* fewer than a batch: the queue is empty, so no extra read
		 * just to meet EAGAIN; epoll says when there is more. */
	} while (n == LP_RX_BATCH);
}

/* ---- set up, loop (the command line and the summary: load_pbx_cli.c) */

static int lp_span_open(struct lp *lp, struct lp_span *sp, int idx, const char *path)
{
	int on = 1;

	memset(sp, 0, sizeof(*sp));
	sp->idx = idx;
	sp->path = path;
	sp->dfd = lb_connect(path, 0);
	if (sp->dfd < 0)
		return sp->dfd;
	sp->bfd = lb_connect(path, 1);
	if (sp->bfd < 0)
		return sp->bfd;
	if (setsockopt(sp->bfd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on)) < 0)
		return -errno;
	sp->pri = pri_new_cb(sp->dfd, PRI_CPE, lp->o.switchtype, lp_pri_read, lp_pri_write, sp);
	if (!sp->pri)
		return -ENOMEM;
	for (int ch = 1; ch <= (lp->o.e1 ? 31 : 23); ch++)
		if (!lp->o.e1 || ch != 16)	/* E1 timeslot 16 is the D-channel */
			sp->chans[sp->n_chans++] = ch;
	for (int ch = 0; ch < LP_MAX_CHAN; ch++) {
		sp->chan_byte[ch] = (unsigned char)ch;
		sp->txiov[ch][0] = (struct iovec){ &sp->chan_byte[ch], 1 };
		sp->txiov[ch][1] = (struct iovec){ lp->noise[0], LB_AUDIO_SAMPLES };
	}
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = TAG_D(idx) };

	if (epoll_ctl(lp->epfd, EPOLL_CTL_ADD, sp->dfd, &ev) < 0)
		return -errno;
	/* The B socket is read once a tick (lp_run), not on every datagram:
	 * the kernel stamps each on arrival, so reading late changes no
	 * figure, and one wake-up per datagram was most of this process's CPU
	 * (perf: over half in the scheduler's task switch). --rx-wakeup: on
	 * every datagram, for comparison. */
	if (lp->o.rx_wakeup) {
		ev.data.u32 = TAG_B(idx);
		if (epoll_ctl(lp->epfd, EPOLL_CTL_ADD, sp->bfd, &ev) < 0)
			return -errno;
	}
	return 0;
}

/* Milliseconds until libpri's next timer on any span (it keeps them on
 * gettimeofday()), capped by cap. */
static int lp_pri_next_ms(struct lp *lp, int cap)
{
	struct timeval now;
	int best = cap;

	gettimeofday(&now, NULL);
	for (int s = 0; s < lp->o.n_spans; s++) {
		struct timeval *tv = pri_schedule_next(lp->sp[s].pri);
		long long ms;

		if (!tv)
			continue;
		ms = (tv->tv_sec - now.tv_sec) * 1000LL + (tv->tv_usec - now.tv_usec + 999) / 1000;
		if (ms < best)
			best = ms < 0 ? 0 : (int)ms;
	}
	return best;
}

static void lp_pri_timers(struct lp *lp)
{
	for (int s = 0; s < lp->o.n_spans; s++) {
		pri_event *e;

		while ((e = pri_schedule_run(lp->sp[s].pri)))
			lp_event(lp, &lp->sp[s], e);
	}
}

static int lp_done(struct lp *lp)
{
	return lp->placed == lp->o.calls + lp->o.burst && lp->ended == lp->placed;
}

static int lp_run(struct lp *lp)
{
	struct epoll_event evs[64];
	long long deadline = lp->start_us + (long long)(lp->o.timeout * 1e6);
	long long last_ms = 0;

	while (!lp->stop && !lp_done(lp) && mono_us() < deadline) {
		int n = epoll_wait(lp->epfd, evs, 64, lp_pri_next_ms(lp, 20));
		long long now_ms = mono_ms();

		for (int i = 0; i < n; i++) {
			uint32_t tag = evs[i].data.u32;

			if (tag == TAG_TIMER) {
				uint64_t exp;
				int due;

				if (read(lp->tfd, &exp, sizeof(exp)) < 0)
					continue;
				due = sim_clock_due(&lp->clk, mono_us());
				while (due-- > 0)
					lp_tick(lp);
				for (int s = 0; s < lp->o.n_spans && !lp->o.rx_wakeup; s++)
					lp_bchan(lp, &lp->sp[s]);
			} else if (tag & 1u) {
				lp_bchan(lp, &lp->sp[tag >> 1]);
			} else if (tag == TAG_SIGNAL) {
				lp->stop = 1;
			} else {
				struct lp_span *sp = &lp->sp[tag >> 1];

				lp_dchan(lp, sp);
				if (sp->closed) {
					fprintf(stderr, "load_pbx: span %s: the gateway closed the D-channel\n", sp->path);
					return -ECONNRESET;
				}
			}
		}
		lp_pri_timers(lp);
		/* once a millisecond is enough for the slow work */
		if (now_ms != last_ms) {
			last_ms = now_ms;
			for (int s = 0; s < lp->o.n_spans; s++) {
				struct lp_span *sp = &lp->sp[s];

				if (sp->up && !sp->ready && now_ms >= sp->up_ms + LP_RESTART_WAIT_MS)
					sp->ready = 1;	/* no RESTART came: the channels are idle */
			}
			lp_place_due(lp);
			lp_hangups_due(lp);
		}
	}
	return lp_done(lp) ? 0 : -ETIMEDOUT;
}

int main(int argc, char **argv)
{
	static struct lp lp;
	struct itimerspec its = { .it_interval = { 0, SIM_FRAME_US * 1000 } };
	sigset_t ss;
	int rc;

	if (lp_parse(&lp.o, argc, argv) < 0)
		return 2;
	g_lp = &lp;
	pri_set_message(lp_pri_message);
	pri_set_error(lp_pri_message);
	sim_noise_frames(lp.noise, SIM_NOISE_FRAMES, 0x5eed0001u, lp.o.e1);
	lp.sp = calloc((size_t)lp.o.n_spans, sizeof(*lp.sp));
	lp.pdd_us = calloc((size_t)lp.o.calls, sizeof(long long));
	lp.s2c_us = calloc((size_t)(lp.o.calls + lp.o.burst), sizeof(long long));
	lp.bpdd_us = calloc((size_t)lp.o.burst + 1, sizeof(long long));
	lp.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!lp.sp || !lp.pdd_us || !lp.s2c_us || !lp.bpdd_us || lp.epfd < 0) {
		fprintf(stderr, "load_pbx: out of memory\n");
		return 1;
	}
	for (int i = 0; i < LP_RX_BATCH; i++) {
		lp.rxiov[i] = (struct iovec){ lp.rxbuf[i], sizeof(lp.rxbuf[i]) };
		lp.rxmsg[i].msg_hdr.msg_iov = &lp.rxiov[i];
		lp.rxmsg[i].msg_hdr.msg_iovlen = 1;
	}
	for (int i = 0; i < lp.o.n_spans; i++) {
		rc = lp_span_open(&lp, &lp.sp[i], i, lp.o.spans[i]);
		if (rc < 0) {
			fprintf(stderr, "load_pbx: span %s: %s\n", lp.o.spans[i], strerror(-rc));
			return 1;
		}
	}
	sigemptyset(&ss);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGTERM);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	lp.sfd = signalfd(-1, &ss, SFD_CLOEXEC | SFD_NONBLOCK);
	lp.tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	/* the timer in phase with the clock that judges its lateness
	 * (both CLOCK_MONOTONIC, mono_us()): first tick at start + 20 ms */
	lp.start_us = mono_us();
	sim_clock_start(&lp.clk, lp.start_us);
	its.it_value.tv_sec = sim_clock_next_us(&lp.clk) / 1000000;
	its.it_value.tv_nsec = sim_clock_next_us(&lp.clk) % 1000000 * 1000;
	if (lp.sfd < 0 || lp.tfd < 0 || timerfd_settime(lp.tfd, TFD_TIMER_ABSTIME, &its, NULL) < 0) {
		fprintf(stderr, "load_pbx: timer: %s\n", strerror(errno));
		return 1;
	}
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = TAG_TIMER };

	epoll_ctl(lp.epfd, EPOLL_CTL_ADD, lp.tfd, &ev);
	ev.data.u32 = TAG_SIGNAL;
	epoll_ctl(lp.epfd, EPOLL_CTL_ADD, lp.sfd, &ev);
	rc = lp_run(&lp);
	if (rc == -ETIMEDOUT && !lp.stop)
		fprintf(stderr, "load_pbx: timeout: %d of %d calls placed, %d ended\n", lp.placed,
			lp.o.calls, lp.ended);
	lp_summary(&lp);
	return rc == 0 ? 0 : 1;
}
