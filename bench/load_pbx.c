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
#include <getopt.h>
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

#include "core/log.h"
#include "hw/loopback.h"
#include "sim/sim_stream.h"

#define LP_MAX_SPANS	128	/* DAHDI's limit, a full chassis */
#define LP_MAX_CHAN	32	/* timeslots 0-31 by number; 0 and 16 (E1) unused */
#define LP_RX_BATCH	64	/* datagrams per recvmmsg() */
#define LP_RESTART_WAIT_MS 1000	/* after D-channel up, the gateway's RESTARTs (Q.931 5.5) */
#define LP_CLEAR_WAIT_MS 5000	/* after the last DISCONNECT, for the RELEASEs */
#define LP_BURST_AFTER_US 1000000	/* --burst: this long after full load */

enum lp_state { LP_IDLE, LP_SETUP, LP_ALERTED, LP_ACTIVE, LP_CLEARING };

struct lp_span;

struct lp_call {
	struct lp_span *sp;
	int chan;
	enum lp_state state;
	q931_call *q;
	long long setup_us, alert_us, connect_us, hangup_at_us;
	int cause;
	int listening;			/* ACTIVE and not clearing: its frames are timed */
	int burst;			/* one of --burst's calls */
	struct sim_stream rx;
	long long tx_frames;
};

struct lp_span {
	int idx;
	const char *path;
	int dfd, bfd;
	struct pri *pri;
	int got_frame, closed;
	int up;
	long long up_ms;
	int restarted;			/* RESTART events seen (one per channel, or 'all') */
	int ready;			/* calls may be placed */
	int n_chans;
	int chans[LP_MAX_CHAN];		/* B-channel numbers of the span */
	struct lp_call calls[LP_MAX_CHAN];	/* by B-channel number */
	int next_free;			/* index into chans[] of the next channel to use */
	/* the tick's send batch: one datagram per active channel, its
	 * channel byte then one of the noise frames */
	unsigned char chan_byte[LP_MAX_CHAN];
	struct iovec txiov[LP_MAX_CHAN][2];
	struct mmsghdr txmsg[LP_MAX_CHAN];
	long long rx_unknown;		/* frames on a channel with no call of ours, or malformed */
	long long tx_errors;
};

struct lp_opts {
	const char *spans[LP_MAX_SPANS];
	int n_spans;
	int e1;
	int switchtype;
	int calls;
	double rate;			/* calls per second */
	double hold;			/* seconds of audio after CONNECT */
	int hold_after_full;		/* ... after every call is up (--hold-after-full) */
	int burst;			/* --burst K: calls placed more at full load */
	double burst_rate;
	int rx_wakeup;			/* --rx-wakeup: read B sockets when readable, not once a tick */
	const char *number, *calling;
	double timeout;
	int quiet;
};

struct lp {
	struct lp_opts o;
	struct lp_span *sp;
	int epfd, tfd, sfd;
	struct sim_clock clk;
	int clock_on;
	int placed, connected, alerted, failed, ended;
	long long next_place_us;
	long long *pdd_us, *s2c_us;	/* SETUP -> ALERTING, SETUP -> CONNECT, one a call */
	int n_pdd, n_s2c;
	int causes[128];		/* clearing causes of calls that never connected */
	long long start_us;
	int stop;
	int full;			/* every call placed is connected or failed */
	long long full_us;
	int burst_started, burst_connected;
	long long *bpdd_us;		/* --burst's SETUP -> ALERTING */
	int n_bpdd;
	int clearing;			/* the first of our DISCONNECTs is out */
	/* receive batch, shared by every span */
	unsigned char rxbuf[LP_RX_BATCH][LB_AUDIO_DGRAM + 8];
	char rxctl[LP_RX_BATCH][CMSG_SPACE(sizeof(struct timespec))];
	struct iovec rxiov[LP_RX_BATCH];
	struct mmsghdr rxmsg[LP_RX_BATCH];
	/* totals of ended streams */
	struct sim_stream_tot {
		long long streams, frames, late, lost, max_gap_us, late_streams, tx;
	} tot;
	uint8_t noise[SIM_NOISE_FRAMES][LB_AUDIO_SAMPLES];	/* what the channels send, cycled */
	long long tick;
};

/* epoll tags: a span's D or B socket, or the clock / signals */
#define TAG_TIMER	0xffff0001u
#define TAG_SIGNAL	0xffff0002u
#define TAG_D(i)	((uint32_t)(i) << 1)
#define TAG_B(i)	((uint32_t)(i) << 1 | 1u)

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

static int lp_cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

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
static void lp_stream_done(struct lp *lp, struct lp_call *c)
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

/* ---- set up, loop, summary */

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

static void lp_summary(struct lp *lp)
{
	long long rx_unknown = 0, tx_err = 0;
	double secs = (mono_us() - lp->start_us) / 1e6;

	qsort(lp->pdd_us, (size_t)lp->n_pdd, sizeof(long long), lp_cmp_ll);
	qsort(lp->s2c_us, (size_t)lp->n_s2c, sizeof(long long), lp_cmp_ll);
	qsort(lp->bpdd_us, (size_t)lp->n_bpdd, sizeof(long long), lp_cmp_ll);
	/* streams of calls still up at the end (a timeout) count too */
	for (int s = 0; s < lp->o.n_spans; s++) {
		for (int i = 0; i < lp->sp[s].n_chans; i++) {
			struct lp_call *c = &lp->sp[s].calls[lp->sp[s].chans[i]];

			if (c->state != LP_IDLE)
				lp_stream_done(lp, c);
		}
		rx_unknown += lp->sp[s].rx_unknown;
		tx_err += lp->sp[s].tx_errors;
	}
#define PCT(a, n, p) ((n) ? (a)[((n) * (p)) / 100 < (n) ? ((n) * (p)) / 100 : (n) - 1] / 1000.0 : -1.0)
	printf("{\"prog\":\"load_pbx\",\"spans\":%d,\"calls\":%d,\"placed\":%d,\"alerted\":%d,"
	       "\"connected\":%d,\"failed\":%d,\"ended\":%d,\"secs\":%.2f,"
	       "\"pdd_ms\":{\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f},"
	       "\"setup_to_connect_ms\":{\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f},"
	       "\"burst\":%d,\"burst_connected\":%d,\"burst_pdd_ms\":{\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f},"
	       "\"streams\":%lld,\"frames_rx\":%lld,\"frames_tx\":%lld,\"lost\":%lld,\"late\":%lld,"
	       "\"late_streams\":%lld,\"max_gap_ms\":%.1f,\"rx_unknown\":%lld,\"tx_errors\":%lld,"
	       "\"clock\":{\"ticks\":%lld,\"skipped\":%lld,\"max_late_ms\":%.3f,\"late_ms_hist\":"
	       "{\"<1\":%lld,\"<2\":%lld,\"<5\":%lld,\"<10\":%lld,\"<20\":%lld,\">=20\":%lld}},\"causes\":{",
	       lp->o.n_spans, lp->o.calls, lp->placed, lp->alerted, lp->connected, lp->failed, lp->ended, secs,
	       PCT(lp->pdd_us, lp->n_pdd, 50), PCT(lp->pdd_us, lp->n_pdd, 99), PCT(lp->pdd_us, lp->n_pdd, 100),
	       PCT(lp->s2c_us, lp->n_s2c, 50), PCT(lp->s2c_us, lp->n_s2c, 99), PCT(lp->s2c_us, lp->n_s2c, 100),
	       lp->o.burst, lp->burst_connected,
	       PCT(lp->bpdd_us, lp->n_bpdd, 50), PCT(lp->bpdd_us, lp->n_bpdd, 99), PCT(lp->bpdd_us, lp->n_bpdd, 100),
	       lp->tot.streams, lp->tot.frames, lp->tot.tx, lp->tot.lost, lp->tot.late, lp->tot.late_streams,
	       lp->tot.max_gap_us / 1000.0, rx_unknown, tx_err,
	       lp->clk.ticks, lp->clk.skipped, lp->clk.max_late_us / 1000.0,
	       lp->clk.hist[0], lp->clk.hist[1], lp->clk.hist[2], lp->clk.hist[3], lp->clk.hist[4], lp->clk.hist[5]);
#undef PCT
	for (int i = 0, first = 1; i < 128; i++) {
		if (lp->causes[i]) {
			printf("%s\"%d\":%d", first ? "" : ",", i, lp->causes[i]);
			first = 0;
		}
	}
	printf("}}\n");
	fflush(stdout);
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

static const struct { const char *name; int type; } lp_switches[] = {
	{ "ni2", PRI_SWITCH_NI2 }, { "euroisdn", PRI_SWITCH_EUROISDN_E1 }, { "dms100", PRI_SWITCH_DMS100 },
	{ "5ess", PRI_SWITCH_LUCENT5E }, { "4ess", PRI_SWITCH_ATT4ESS }, { "qsig", PRI_SWITCH_QSIG },
};

static void lp_usage(void)
{
	fprintf(stderr,
		"usage: load_pbx -s SPAN [-s SPAN ...] [--framing t1|e1] [--switch NAME] --calls N\n"
		"                [--rate CPS] [--hold S] [--hold-after-full] [--call NUMBER] [--calling NUMBER]\n"
		"                [--burst K [--burst-rate CPS]] [--timeout S] [--rx-wakeup] [-q]\n"
		"  The PBX on every span (the gateway's loopback socket path): N calls, one per\n"
		"  B-channel, at CPS, each holding S s of audio both ways after CONNECT (after\n"
		"  the last call is up, with --hold-after-full); one JSON summary line on stdout\n"
		"  at the end. Exit 0 when every call ended. --burst: 1 s after full load, K calls\n"
		"  more at CPS (200), their post-dial delay apart (with --hold-after-full).\n");
}

static int lp_parse(struct lp_opts *o, int argc, char **argv)
{
	enum { O_FRAMING = 256, O_SWITCH, O_CALLS, O_RATE, O_HOLD, O_CALL, O_CALLING, O_TIMEOUT, O_FULL, O_RXW, O_BURST, O_BRATE };
	static const struct option lo[] = {
		{ "span", required_argument, NULL, 's' }, { "framing", required_argument, NULL, O_FRAMING },
		{ "switch", required_argument, NULL, O_SWITCH }, { "calls", required_argument, NULL, O_CALLS },
		{ "rate", required_argument, NULL, O_RATE }, { "hold", required_argument, NULL, O_HOLD },
		{ "hold-after-full", no_argument, NULL, O_FULL }, { "rx-wakeup", no_argument, NULL, O_RXW },
		{ "burst", required_argument, NULL, O_BURST }, { "burst-rate", required_argument, NULL, O_BRATE },
		{ "call", required_argument, NULL, O_CALL }, { "calling", required_argument, NULL, O_CALLING },
		{ "timeout", required_argument, NULL, O_TIMEOUT }, { "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	int c, sw_set = 0;

	*o = (struct lp_opts){ .switchtype = PRI_SWITCH_NI2, .calls = 1, .rate = 50, .hold = 2,
			       .number = "2001", .calling = "5551000", .timeout = 60, .burst_rate = 200 };
	while ((c = getopt_long(argc, argv, "s:qh", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			if (o->n_spans == LP_MAX_SPANS) {
				fprintf(stderr, "load_pbx: at most %d spans\n", LP_MAX_SPANS);
				return -EINVAL;
			}
			o->spans[o->n_spans++] = optarg;
			break;
		case O_FRAMING:
			if (strcmp(optarg, "e1") && strcmp(optarg, "t1")) {
				fprintf(stderr, "load_pbx: --framing t1 or e1\n");
				return -EINVAL;
			}
			o->e1 = !strcmp(optarg, "e1");
			break;
		case O_SWITCH: {
			size_t i;

			for (i = 0; i < sizeof(lp_switches) / sizeof(lp_switches[0]); i++)
				if (!strcmp(optarg, lp_switches[i].name))
					break;
			if (i == sizeof(lp_switches) / sizeof(lp_switches[0])) {
				fprintf(stderr, "load_pbx: unknown --switch %s\n", optarg);
				return -EINVAL;
			}
			o->switchtype = lp_switches[i].type;
			sw_set = 1;
			break;
		}
		case O_CALLS: o->calls = atoi(optarg); break;
		case O_RATE: o->rate = atof(optarg); break;
		case O_HOLD: o->hold = atof(optarg); break;
		case O_FULL: o->hold_after_full = 1; break;
		case O_RXW: o->rx_wakeup = 1; break;
		case O_BURST: o->burst = atoi(optarg); break;
		case O_BRATE: o->burst_rate = atof(optarg); break;
		case O_CALL: o->number = optarg; break;
		case O_CALLING: o->calling = optarg; break;
		case O_TIMEOUT: o->timeout = atof(optarg); break;
		case 'q': o->quiet = 1; break;
		default: lp_usage(); return -EINVAL;
		}
	}
	if (o->e1 && !sw_set)
		o->switchtype = PRI_SWITCH_EUROISDN_E1;
	if (!o->n_spans || o->calls < 1 || o->rate <= 0 || o->hold < 0 || o->timeout <= 0 ||
	    o->burst < 0 || o->burst_rate <= 0 || (o->burst && !o->hold_after_full) ||
	    o->calls + o->burst > o->n_spans * (o->e1 ? 30 : 23)) {
		fprintf(stderr, "load_pbx: need -s SPAN, 1 <= --calls (+ --burst) <= the spans' B-channels, "
			"--rate > 0, --burst with --hold-after-full\n");
		lp_usage();
		return -EINVAL;
	}
	return 0;
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
