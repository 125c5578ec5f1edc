/* sipgw - SIP overload control (RFC 3261 21.5.4): past what the gateway can
 * serve, new INVITEs and REGISTERs get 503 with Retry-After before anything
 * is allocated for them; emergency numbers and in-dialog requests never.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "sip/sip_internal.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>

#include "core/log.h"
#include "core/number.h"
#include "core/loop.h"

/* ---- overload control
 *
 * The measure is the queueing delay of the SIP UDP socket: how long the
 * oldest datagram not yet read has waited in the kernel (the kernel stamps
 * each on arrival, SO_TIMESTAMPNS; a peek reads the stamp and leaves the
 * datagram to Sofia). It rises only when requests arrive faster than the
 * loop serves them, whatever the cause (CPU, a slow disk, another process
 * taking the core), and it is what a client sees: past T1 (500 ms) it
 * retransmits, which adds load and collapses throughput. Loop lateness is
 * no measure here: tport reads one datagram per loop turn, so timers stay
 * on time while the socket backs up (measured at 1500 calls/s: a 10 ms
 * timer 1-3 ms late while requests waited 390 ms). Refusing new work
 * while the delay is above max_queue_delay keeps it there, and the
 * admitted calls' own messages (never refused) keep flowing. */

/* Datagrams the kernel dropped on the full receive buffer since the socket opened. */
static unsigned ovl_drops(const struct sip_overload *o)
{
	uint32_t mi[SK_MEMINFO_VARS] = { 0 };
	socklen_t len = sizeof(mi);

	if (o->fd < 0 || getsockopt(o->fd, SOL_SOCKET, SO_MEMINFO, mi, &len) ||
	    len <= SK_MEMINFO_DROPS * sizeof(mi[0]))
		return 0;
	return mi[SK_MEMINFO_DROPS];
}

/* How long the oldest unread datagram has waited, in ms; 0 when none waits. */
static unsigned ovl_queue_delay_ms(const struct sip_overload *o)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(struct timespec))];
	} ctl;
	char byte;
	struct iovec iov = { &byte, 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &ctl,
			     .msg_controllen = sizeof(ctl) };
	struct timespec ts, now;
	struct cmsghdr *c;
	long long ms;
	ssize_t n = -1;

	/* A pending ICMP error (a client gone) fails one receive, then clears;
	 * Sofia learns of it from the error queue all the same. */
	for (int tries = 0; o->fd >= 0 && n < 0 && tries < 2; tries++)
		if ((n = recvmsg(o->fd, &mh, MSG_PEEK | MSG_DONTWAIT)) < 0 && errno == EAGAIN)
			return 0;
	if (n < 0)
		return 0;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS)
			continue;
		memcpy(&ts, CMSG_DATA(c), sizeof(ts));
		clock_gettime(CLOCK_REALTIME, &now);
		ms = (now.tv_sec - ts.tv_sec) * 1000LL + (now.tv_nsec - ts.tv_nsec) / 1000000;
		return ms > 0 ? (unsigned)ms : 0;
	}
	return 0;
}

/* max_call_rate as a token bucket holding one second of calls. */
static int ovl_take_token(struct sip_overload *o, long long now)
{
	o->tokens += (double)(now - o->tokens_ms) * o->p.max_call_rate / 1000.0;
	if (o->tokens > o->p.max_call_rate)
		o->tokens = o->p.max_call_rate;
	o->tokens_ms = now;
	if (o->tokens < 1.0)
		return 0;
	o->tokens -= 1.0;
	return 1;
}

static int ovl_emergency(const struct sip_overload *o, sip_t const *sip)
{
	const char *user = sip->sip_request->rq_url->url_user;
	char number[64];

	if (!o->p.emergency_h || !user)
		return 0;
	number_strip_visual(number, sizeof(number), user);
	return o->p.emergency_h(o->p.emergency_arg, number);
}

static void ovl_episode_end(struct sip_overload *o)
{
	long long ms = o->last_ms - o->since_ms;

	LOGN(LSS_SIP, "overload over: %u INVITE(s) and %u REGISTER(s) refused with 503 in %.1f s, "
	     "%u emergency INVITE(s) taken, longest queue delay %u ms, %u datagram(s) dropped on the "
	     "full socket buffer", o->ep_invite, o->ep_register, ms / 1000.0, o->ep_emergency,
	     o->ep_max_delay_ms, ovl_drops(o) - o->drops0);
	o->tot_invite += o->ep_invite;
	o->tot_register += o->ep_register;
	o->tot_emergency += o->ep_emergency;
	o->tot_ms += ms;
	o->state = SIP_OVL_NORMAL;
	loop_timer_stop(o->quiet);
}

unsigned sip_ovl_quiet_check(struct sip_overload *o, long long now_ms)
{
	long long idle = now_ms - o->last_ms;

	if (o->state != SIP_OVL_SHEDDING)
		return 0;
	if (idle < SIP_OVL_QUIET_MS)
		return (unsigned)(SIP_OVL_QUIET_MS - idle);
	ovl_episode_end(o);
	return 0;
}

/* No request refused for a whole quiet interval: the episode is over. */
static void ovl_quiet(void *arg)
{
	struct sip_overload *o = arg;
	unsigned left = sip_ovl_quiet_check(o, mono_ms());

	if (left)
		loop_timer_start(o->quiet, left);
}

static void ovl_count(struct sip_overload *o, enum sip_ovl_verdict why, unsigned delay_ms, int invite,
		      long long now_ms)
{
	o->last_ms = now_ms;
	if (o->state == SIP_OVL_NORMAL) {
		o->state = SIP_OVL_SHEDDING;
		o->since_ms = o->last_ms;
		o->drops0 = ovl_drops(o);
		o->ep_invite = o->ep_register = o->ep_emergency = o->ep_max_delay_ms = 0;
		o->episodes++;
		if (why == SIP_OVL_QUEUE_DELAY)
			LOGN(LSS_SIP, "overload: a request waited %u ms in the SIP socket (max_queue_delay %u ms); "
			     "new INVITEs and REGISTERs get 503, emergency calls are still taken",
			     delay_ms, o->p.max_queue_delay_ms);
		else
			LOGN(LSS_SIP, "overload: over %u new calls/s (max_call_rate); new INVITEs get 503, "
			     "emergency calls are still taken", o->p.max_call_rate);
	}
	if (invite)
		o->ep_invite++;
	else
		o->ep_register++;
	if (delay_ms > o->ep_max_delay_ms)
		o->ep_max_delay_ms = delay_ms;
	if (delay_ms > o->tot_max_delay_ms)
		o->tot_max_delay_ms = delay_ms;
}

void sip_ovl_setup(struct sip_overload *o, const struct sip_overload_params *p, long long now_ms)
{
	o->p = *p;
	o->tokens = o->p.max_call_rate;
	o->tokens_ms = now_ms;
}

unsigned sip_ovl_delay_limit(const struct sip_overload *o, const struct sip_ovl_req *rq)
{
	if (rq->invite && rq->emergency)
		return 0;
	return o->p.max_queue_delay_ms * (rq->credentials ? SIP_OVL_CREDENTIALS_FACTOR : 1);
}

enum sip_ovl_verdict sip_ovl_decide(struct sip_overload *o, const struct sip_ovl_req *rq, unsigned delay_ms,
				    long long now_ms)
{
	enum sip_ovl_verdict why = SIP_OVL_TAKE;
	unsigned limit;

	if (rq->invite && rq->emergency) {
		if (o->state == SIP_OVL_SHEDDING)
			o->ep_emergency++;
		return SIP_OVL_TAKE;
	}
	limit = sip_ovl_delay_limit(o, rq);
	if (limit && delay_ms > limit)
		why = SIP_OVL_QUEUE_DELAY;
	else if (rq->invite && o->p.max_call_rate && !ovl_take_token(o, now_ms))
		why = SIP_OVL_CALL_RATE;
	if (why != SIP_OVL_TAKE)
		ovl_count(o, why, delay_ms, rq->invite, now_ms);
	return why;
}

/* RFC 3261 21.5.4; spread over N..2N s so the refused do not all come back at once. */
unsigned sip_ovl_retry_after(unsigned n, unsigned long rnd)
{
	return n + (unsigned)(rnd % (n + 1UL));
}

int sip_overload_refuse(struct sip_ua *ua, nua_handle_t *nh, sip_t const *sip)
{
	struct sip_overload *o = &ua->ovl;
	struct sip_ovl_req rq;
	enum sip_ovl_state was = o->state;
	unsigned delay = 0;
	char retry[16];

	if (!sip || !sip->sip_request)
		return 0;	/* refused as malformed further on */
	rq.invite = sip->sip_request->rq_method == sip_method_invite;
	rq.emergency = rq.invite && ovl_emergency(o, sip);
	rq.credentials = sip->sip_authorization || sip->sip_proxy_authorization;
	/* the peek only when the delay matters: not for an emergency call */
	if (sip_ovl_delay_limit(o, &rq))
		delay = ovl_queue_delay_ms(o);
	if (sip_ovl_decide(o, &rq, delay, mono_ms()) == SIP_OVL_TAKE)
		return 0;
	if (was == SIP_OVL_NORMAL)
		loop_timer_start(o->quiet, SIP_OVL_QUIET_MS);
	snprintf(retry, sizeof(retry), "%u", sip_ovl_retry_after(o->p.retry_after_s, (unsigned long)random()));
	nua_respond(nh, SIP_503_SERVICE_UNAVAILABLE, NUTAG_WITH_THIS(ua->nua),
		    SIPTAG_RETRY_AFTER_STR(retry), TAG_END());
	return 1;
}

int sip_overload_init(struct sip_ua *ua, const struct sip_ua_params *p)
{
	struct sip_overload *o = &ua->ovl;
	int one = 1, rcvbuf = 0, rc, fds[SIP_TP__COUNT];
	socklen_t len = sizeof(rcvbuf);
	char rate[64] = "";

	sip_ovl_setup(o, &p->ovl, mono_ms());
	if ((rc = loop_timer_alloc(&o->quiet, ua->root, "overload-quiet", ovl_quiet, o)))
		return rc;
	if (o->p.max_call_rate)
		snprintf(rate, sizeof(rate), " or over %u new calls/s", o->p.max_call_rate);
	/* Sofia 1.12 has no accessor for a transport's socket: the one the kernel shows bound */
	sip_listen_fds(ua->bind, ua->port, 0, fds);
	o->fd = fds[SIP_TP_UDP];
	if (o->fd < 0 || setsockopt(o->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one))) {
		LOGW(LSS_SIP, "cannot watch the SIP UDP socket's queue: no overload control by queue delay");
		o->fd = -1;
		o->p.max_queue_delay_ms = 0;
	}
	getsockopt(o->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &len);
	/* The kernel doubles what it is asked for (its bookkeeping) and caps it at net.core.rmem_max. */
	if (o->fd >= 0 && p->udp_rmem && (unsigned)rcvbuf < 2 * p->udp_rmem)
		LOGW(LSS_SIP, "SIP UDP receive buffer is %d kB, not the %u kB asked (udp_rmem_kb): "
		     "raise net.core.rmem_max", rcvbuf / 2048, p->udp_rmem / 1024);
	if (o->p.max_queue_delay_ms)
		LOGN(LSS_SIP, "udp receive buffer %d kB; overload control: 503 (Retry-After %u-%u s) when a request "
		     "waits over %u ms%s", rcvbuf / 2048, o->p.retry_after_s, 2 * o->p.retry_after_s,
		     o->p.max_queue_delay_ms, rate);
	else
		LOGN(LSS_SIP, "overload control: %s", rate[0] ? rate + 4 : "off");
	return 0;
}

void sip_overload_summary(struct sip_overload *o)
{
	if (o->state == SIP_OVL_SHEDDING)
		ovl_episode_end(o);
	LOGN(LSS_SIP, "summary: %u INVITE(s) and %u REGISTER(s) refused with 503 for overload in %u episode(s) "
	     "(%.1f s), %u emergency INVITE(s) taken during overload, longest queue delay %u ms, "
	     "%u datagram(s) dropped on the full socket buffer", o->tot_invite, o->tot_register, o->episodes,
	     o->tot_ms / 1000.0, o->tot_emergency, o->tot_max_delay_ms, ovl_drops(o));
	loop_timer_free(o->quiet);
	o->quiet = NULL;
}

void sip_ua_counts(const struct sip_ua *ua, struct sip_ua_counts *out)
{
	const struct sip_overload *o = &ua->ovl;
	int now = o->state == SIP_OVL_SHEDDING;	/* the episode under way is not in tot_ yet */

	*out = (struct sip_ua_counts){ .ovl_invite = o->tot_invite + (now ? o->ep_invite : 0),
				       .ovl_register = o->tot_register + (now ? o->ep_register : 0),
				       .udp_drops = ovl_drops(o) };
}
