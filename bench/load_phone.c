/* sipgw - load rig, phone side: ONE process that answers many SIP calls
 * (Sofia nua as a minimal UAS) with RTP both ways, and frame-times every
 * stream it receives: gaps, late frames, loss and reordering by sequence
 * number (RFC 3550 A.1/A.3).
 *
 * Why one process (issue 14): phone simulators per call competed with the
 * gateway for the box's two cores. Here one 20 ms clock sends every call's
 * packet (one RTP socket per call, as a phone has, so one sendto() each:
 * sendmmsg() batches one socket only), receive side by recvmmsg() with the
 * kernel's receive stamps (SO_TIMESTAMPNS), so this process's own late
 * wake-ups are not counted against the gateway; its clock's lateness is
 * reported apart. Single-threaded: nua and the media share su_root, the
 * media sockets sit in one epoll set that su_root watches as one fd. No
 * allocation per packet.
 *
 * Prints "READY port=N" when listening and one JSON line at the end.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <sofia-sip/nua.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_wait.h>

#include "core/log.h"
#include "sim/sim_stream.h"
#include "sip/sdp.h"

#define LF_RTP_HDR	12
#define LF_RTP_LEN	(LF_RTP_HDR + 160)	/* 20 ms of G.711 */
#define LF_RX_BATCH	8			/* a call's socket rarely holds more */
#define LF_TAG_TIMER	0xffffffffu
#define LF_TAG_SIGNAL	0xfffffffeu
#define LF_SHARED_BATCH	64			/* --shared-port: datagrams per recvmmsg() */
#define LF_SEND_MAX	1024			/* UIO_MAXIOV: messages per sendmmsg() */

enum lf_state { LF_FREE, LF_ANSWERED, LF_ACTIVE, LF_ENDED };

struct lf_call {
	enum lf_state state;
	nua_handle_t *nh;
	int fd;
	int port;
	struct sockaddr_in remote;
	int pt;
	int te_pt;			/* the offer's telephone-event, -1 none */
	uint16_t seq;
	uint32_t ts, ssrc;
	int listening;
	struct sim_stream rx;
	long long tx, rx_other;
	char sdp[512];
	unsigned char pkt[LF_RTP_LEN];		/* --shared-port: this tick's packet, sent in one batch */
};

struct lf_opts {
	const char *bind;
	int port;
	int calls;			/* > 0: shut down once this many calls ended */
	int max;
	double timeout;
	int quiet;
	int no_te;			/* --no-telephone-event: none in our answers */
	int shared;			/* --shared-port: one RTP socket for every call */
};

struct lf {
	struct lf_opts o;
	su_root_t *root;
	nua_t *nua;
	int epfd, tfd, sfd;
	su_wait_t wait;
	struct lf_call *calls;
	int answered, ended, refused, stopping;
	struct sim_clock clk;
	long long start_us;
	su_timer_t *deadline;
	uint8_t noise[2][SIM_NOISE_FRAMES][160];	/* what the calls send, mu-law and A-law, cycled */
	unsigned char pkt[LF_RTP_LEN];
	unsigned char rxbuf[LF_RX_BATCH][1500];
	char rxctl[LF_RX_BATCH][CMSG_SPACE(sizeof(struct timespec))];
	struct iovec rxiov[LF_RX_BATCH];
	struct mmsghdr rxmsg[LF_RX_BATCH];
	/* --shared-port: the socket, and the call by the gateway's RTP port
	 * (its source port: sipgw sends from the port its SDP names) */
	int shared_fd, shared_port;
	int16_t *by_port;		/* 65536 entries: slot + 1, 0 none */
	struct mmsghdr *txmsg;		/* o.max of them */
	struct iovec *txiov;
	unsigned char shbuf[LF_SHARED_BATCH][1500];
	char shctl[LF_SHARED_BATCH][CMSG_SPACE(sizeof(struct timespec))];
	struct sockaddr_in shfrom[LF_SHARED_BATCH];
	struct iovec shiov[LF_SHARED_BATCH];
	struct mmsghdr shmsg[LF_SHARED_BATCH];
	long long shared_unknown;	/* from a port that is no call's */
	struct lf_tot {
		long long streams, frames, late, lost, reordered, dups, max_gap_us, late_streams, tx, other;
	} tot;
};

static long long ts_us(const struct timespec *t)
{
	return t->tv_sec * 1000000LL + t->tv_nsec / 1000;
}

/* ---- calls */

static struct lf_call *lf_slot(struct lf *lf)
{
	for (int i = 0; i < lf->o.max; i++)
		if (lf->calls[i].state == LF_FREE)
			return &lf->calls[i];
	return NULL;
}

static int lf_rtp_open(struct lf *lf, struct lf_call *c, uint32_t tag)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	int on = 1;

	if (lf->o.shared) {
		uint16_t rport = ntohs(c->remote.sin_port);

		if (lf->by_port[rport])
			return -EADDRINUSE;	/* two calls from one gateway port: not ours to tell apart */
		c->fd = -1;
		c->port = lf->shared_port;
		lf->by_port[rport] = (int16_t)(tag + 1);
		return 0;
	}
	c->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	inet_pton(AF_INET, lf->o.bind, &a.sin_addr);
	if (bind(c->fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(c->fd, (struct sockaddr *)&a, &al) < 0 ||
	    setsockopt(c->fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on)) < 0) {
		int rc = -errno;

		close(c->fd);
		c->fd = -1;
		return rc;
	}
	c->port = ntohs(a.sin_port);
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

	return epoll_ctl(lf->epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0 ? -errno : 0;
}

/* The offer's first G.711 (RFC 3551: PT 0 PCMU, 8 PCMA), where its RTP goes. */
static int lf_take_offer(const struct lf *lf, struct lf_call *c, const sip_t *sip)
{
	struct sdp_info si;
	char body[4096];
	size_t n;

	if (!sip || !sip->sip_payload || !sip->sip_payload->pl_data)
		return -ENOENT;
	n = sip->sip_payload->pl_len < sizeof(body) - 1 ? sip->sip_payload->pl_len : sizeof(body) - 1;
	memcpy(body, sip->sip_payload->pl_data, n);
	body[n] = '\0';
	if (sdp_info_parse(&si, body) < 0 || si.port <= 0)
		return -EBADMSG;
	c->pt = -1;
	for (int i = 0; i < si.n_pts && c->pt < 0; i++)
		if (si.pts[i] == 0 || si.pts[i] == 8)
			c->pt = si.pts[i];
	if (c->pt < 0)
		return -ENOTSUP;
	c->te_pt = lf->o.no_te ? -1 : si.te_pt;
	c->remote = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons((uint16_t)si.port) };
	if (inet_pton(AF_INET, si.addr, &c->remote.sin_addr) != 1)
		return -EAFNOSUPPORT;
	return 0;
}

static void lf_answer_sdp(struct lf *lf, struct lf_call *c)
{
	unsigned id = (unsigned)(c - lf->calls) + 1;
	char te[80] = "", te_pt[16] = "";

	/* RFC 4733 events taken when offered, as a phone does: the gateway
	 * then runs its DTMF detector on the B-channel audio (the bench's load) */
	if (c->te_pt >= 0) {
		snprintf(te_pt, sizeof(te_pt), " %d", c->te_pt);
		snprintf(te, sizeof(te), "a=rtpmap:%d telephone-event/8000\r\na=fmtp:%d 0-16\r\n", c->te_pt,
			 c->te_pt);
	}
	snprintf(c->sdp, sizeof(c->sdp),
		 "v=0\r\no=- %u 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
		 "m=audio %d RTP/AVP %d%s\r\na=rtpmap:%d %s/8000\r\n%sa=ptime:20\r\na=sendrecv\r\n",
		 id, lf->o.bind, lf->o.bind, c->port, c->pt, te_pt, c->pt, c->pt ? "PCMA" : "PCMU", te);
}

static void lf_invite(struct lf *lf, nua_handle_t *nh, const sip_t *sip)
{
	struct lf_call *c = lf_slot(lf);
	int rc;

	if (!c || lf->stopping) {
		lf->refused++;
		nua_respond(nh, SIP_503_SERVICE_UNAVAILABLE, TAG_END());
		nua_handle_destroy(nh);
		return;
	}
	*c = (struct lf_call){ .fd = -1, .nh = nh, .ssrc = (uint32_t)random(), .seq = (uint16_t)random() };
	rc = lf_take_offer(lf, c, sip);
	if (rc == 0)
		rc = lf_rtp_open(lf, c, (uint32_t)(c - lf->calls));
	if (rc < 0) {
		if (c->fd >= 0)
			close(c->fd);
		lf->refused++;
		nua_respond(nh, rc == -ENOTSUP ? 488 : 500, rc == -ENOTSUP ? sip_488_Not_acceptable
						  : sip_500_Internal_server_error, TAG_END());
		nua_handle_destroy(nh);
		return;
	}
	c->state = LF_ANSWERED;
	nua_handle_bind(nh, c);
	lf_answer_sdp(lf, c);
	lf->answered++;
	nua_respond(nh, SIP_180_RINGING, TAG_END());
	nua_respond(nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(c->sdp),
		    TAG_END());
}

static void lf_shared_in(struct lf *lf);

static void lf_tot_add(struct lf_tot *t, const struct lf_call *c)
{
	const struct sim_stream *s = &c->rx;

	t->streams++;
	t->frames += s->frames;
	t->late += s->late;
	t->lost += sim_stream_lost(s);
	t->reordered += s->reordered;
	t->dups += s->dups;
	t->tx += c->tx;
	t->other += c->rx_other;
	if (s->late)
		t->late_streams++;
	if (s->max_gap_us > t->max_gap_us)
		t->max_gap_us = s->max_gap_us;
}

static void lf_call_end(struct lf *lf, struct lf_call *c)
{
	if (c->state == LF_FREE)
		return;
	if (lf->o.shared)
		lf_shared_in(lf);	/* its last datagrams, before its port is forgotten */
	if (c->fd >= 0) {
		epoll_ctl(lf->epfd, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	if (lf->o.shared && lf->by_port[ntohs(c->remote.sin_port)] == (int16_t)(c - lf->calls) + 1)
		lf->by_port[ntohs(c->remote.sin_port)] = 0;
	lf_tot_add(&lf->tot, c);
	if (c->nh)
		nua_handle_destroy(c->nh);
	*c = (struct lf_call){ .state = LF_FREE, .fd = -1 };
	lf->ended++;
	if (lf->o.calls > 0 && lf->ended >= lf->o.calls && !lf->stopping) {
		lf->stopping = 1;
		nua_shutdown(lf->nua);
	}
}

static void lf_nua_cb(nua_event_t event, int status, char const *phrase, nua_t *nua, nua_magic_t *magic,
		      nua_handle_t *nh, nua_hmagic_t *hmagic, sip_t const *sip, tagi_t tags[])
{
	struct lf *lf = (struct lf *)magic;
	struct lf_call *c = (struct lf_call *)hmagic;
	int callstate = -1;

	switch (event) {
	case nua_i_invite:
		if (!c)
			lf_invite(lf, nh, sip);
		else	/* a refresh (session timer) or re-offer: the same answer */
			nua_respond(nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
				    SIPTAG_PAYLOAD_STR(c->sdp), TAG_END());
		break;
	case nua_i_ack:
		if (c && c->state == LF_ANSWERED) {
			c->state = LF_ACTIVE;
			c->listening = 1;
		}
		break;
	case nua_i_bye:
	case nua_i_cancel:
		if (c) {
			if (lf->o.shared && c->listening)
				lf_shared_in(lf);	/* read once a tick: what is queued still counts */
			c->listening = 0;
			c->state = LF_ENDED;	/* stop sending */
		}
		break;
	case nua_i_state:
		tl_gets(tags, NUTAG_CALLSTATE_REF(callstate), TAG_END());
		if (c && callstate == nua_callstate_terminated)
			lf_call_end(lf, c);
		break;
	case nua_r_shutdown:
		if (status >= 200)
			su_root_break(lf->root);
		break;
	default:
		/* requests outside a call (OPTIONS...): nua has answered them */
		if (!c && nh && (event == nua_i_options || event == nua_i_message || event == nua_i_info ||
				 event == nua_i_method || event == nua_i_subscribe || event == nua_i_notify))
			nua_handle_destroy(nh);
		break;
	}
}

/* ---- media */

static void lf_tick(struct lf *lf)
{
	int n = 0;

	for (int i = 0; i < lf->o.max; i++) {
		struct lf_call *c = &lf->calls[i];
		unsigned char *p = lf->o.shared ? c->pkt : lf->pkt;

		if (c->state != LF_ACTIVE)
			continue;
		p[0] = 0x80;
		p[1] = (unsigned char)c->pt;
		p[2] = (unsigned char)(c->seq >> 8);
		p[3] = (unsigned char)c->seq;
		p[4] = (unsigned char)(c->ts >> 24);
		p[5] = (unsigned char)(c->ts >> 16);
		p[6] = (unsigned char)(c->ts >> 8);
		p[7] = (unsigned char)c->ts;
		p[8] = (unsigned char)(c->ssrc >> 24);
		p[9] = (unsigned char)(c->ssrc >> 16);
		p[10] = (unsigned char)(c->ssrc >> 8);
		p[11] = (unsigned char)c->ssrc;
		memcpy(p + LF_RTP_HDR, lf->noise[c->pt == 8][(c->seq + i) % SIM_NOISE_FRAMES], 160);
		c->seq++;
		c->ts += 160;
		if (lf->o.shared) {
			/* one batch for every call: the destination in each message */
			lf->txiov[n] = (struct iovec){ p, LF_RTP_LEN };
			lf->txmsg[n].msg_hdr = (struct msghdr){ .msg_name = &c->remote, .msg_namelen = sizeof(c->remote),
								 .msg_iov = &lf->txiov[n], .msg_iovlen = 1 };
			n++;
			c->tx++;	/* taken back below if the batch fell short */
			continue;
		}
		if (sendto(c->fd, p, LF_RTP_LEN, MSG_DONTWAIT, (struct sockaddr *)&c->remote,
			   sizeof(c->remote)) == LF_RTP_LEN)
			c->tx++;
	}
	for (int off = 0; off < n;) {
		int chunk = n - off < LF_SEND_MAX ? n - off : LF_SEND_MAX;
		int sent = sendmmsg(lf->shared_fd, lf->txmsg + off, (unsigned)chunk, MSG_DONTWAIT);

		if (sent <= 0)
			sent = 0;
		off += sent;
		if (sent < chunk) {
			/* the rest of this tick is lost: count it as not sent */
			for (int i = off; i < n; i++)
				lf->calls[lf->by_port[ntohs(((struct sockaddr_in *)lf->txmsg[i].msg_hdr.msg_name)->sin_port)] - 1].tx--;
			break;
		}
	}
}

/* One datagram for call c at kernel time t (or now): timed if it is RTP of
 * its payload type; anything else (RTCP meant for a neighbour's port,
 * stray packets) apart. */
static void lf_rtp_pkt(struct lf_call *c, const unsigned char *b, unsigned len, struct msghdr *m)
{
	struct cmsghdr *cm = CMSG_FIRSTHDR(m);
	long long t;
	uint16_t seq;

	if (sim_rtp_header(b, len, c->pt, &seq) < 0) {
		c->rx_other++;
		return;
	}
	if (!c->listening)
		return;
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
		t = ts_us((const struct timespec *)CMSG_DATA(cm));
	} else {
		struct timespec now;

		clock_gettime(CLOCK_REALTIME, &now);
		t = ts_us(&now);
	}
	sim_stream_rtp(&c->rx, t, seq);
}

/* --shared-port: every call's RTP on one socket, told apart by the source port */
static void lf_shared_in(struct lf *lf)
{
	int n;

	do {
		for (int i = 0; i < LF_SHARED_BATCH; i++) {
			lf->shmsg[i].msg_hdr.msg_control = lf->shctl[i];
			lf->shmsg[i].msg_hdr.msg_controllen = sizeof(lf->shctl[i]);
			lf->shmsg[i].msg_hdr.msg_namelen = sizeof(lf->shfrom[i]);
		}
		n = recvmmsg(lf->shared_fd, lf->shmsg, LF_SHARED_BATCH, MSG_DONTWAIT, NULL);
		for (int i = 0; i < n; i++) {
			int slot = lf->by_port[ntohs(lf->shfrom[i].sin_port)] - 1;

			if (slot < 0 || lf->calls[slot].state == LF_FREE) {
				lf->shared_unknown++;
				continue;
			}
			lf_rtp_pkt(&lf->calls[slot], lf->shbuf[i], lf->shmsg[i].msg_len, &lf->shmsg[i].msg_hdr);
		}
	} while (n == LF_SHARED_BATCH);
}

static void lf_rtp_in(struct lf *lf, struct lf_call *c)
{
	int n;

	do {
		for (int i = 0; i < LF_RX_BATCH; i++) {
			lf->rxmsg[i].msg_hdr.msg_control = lf->rxctl[i];
			lf->rxmsg[i].msg_hdr.msg_controllen = sizeof(lf->rxctl[i]);
		}
		n = recvmmsg(c->fd, lf->rxmsg, LF_RX_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0)
			return;
		for (int i = 0; i < n; i++)
			lf_rtp_pkt(c, lf->rxbuf[i], lf->rxmsg[i].msg_len, &lf->rxmsg[i].msg_hdr);
	} while (n == LF_RX_BATCH);	/* fewer: drained, no read just to meet EAGAIN */
}

static void lf_summary(struct lf *lf);

static int lf_media(su_root_magic_t *magic, su_wait_t *w, su_wakeup_arg_t *arg)
{
	struct lf *lf = (struct lf *)arg;
	struct epoll_event evs[64];
	int n = epoll_wait(lf->epfd, evs, 64, 0);

	for (int i = 0; i < n; i++) {
		uint32_t tag = evs[i].data.u32;

		if (tag == LF_TAG_TIMER) {
			uint64_t exp;
			int due;

			if (read(lf->tfd, &exp, sizeof(exp)) < 0)
				continue;
			due = sim_clock_due(&lf->clk, mono_us());
			while (due-- > 0)
				lf_tick(lf);
			if (lf->o.shared)
				lf_shared_in(lf);
		} else if (tag == LF_TAG_SIGNAL) {
			struct signalfd_siginfo si;

			if (read(lf->sfd, &si, sizeof(si)) > 0 && !lf->stopping) {
				/* the figures now: clearing what is left may take nua
				 * a while; the last line printed is the one to read */
				lf_summary(lf);
				lf->stopping = 1;
				nua_shutdown(lf->nua);
			}
		} else if (tag < (uint32_t)lf->o.max && lf->calls[tag].state != LF_FREE) {
			lf_rtp_in(lf, &lf->calls[tag]);
		}
	}
	return 0;
}

static void lf_deadline(su_root_magic_t *magic, su_timer_t *t, su_timer_arg_t *arg)
{
	struct lf *lf = (struct lf *)arg;

	fprintf(stderr, "load_phone: timeout: %d calls answered, %d ended\n", lf->answered, lf->ended);
	if (!lf->stopping) {
		lf->stopping = 1;
		nua_shutdown(lf->nua);	/* nua_r_shutdown ends the loop */
	}
}

static void lf_summary(struct lf *lf)
{
	struct lf_tot t = lf->tot;

	/* calls still up (a timeout, a signal) count too, as they are now */
	for (int i = 0; i < lf->o.max; i++)
		if (lf->calls[i].state != LF_FREE)
			lf_tot_add(&t, &lf->calls[i]);
	printf("{\"prog\":\"load_phone\",\"answered\":%d,\"refused\":%d,\"ended\":%d,\"secs\":%.2f,"
	       "\"streams\":%lld,\"frames_rx\":%lld,\"frames_tx\":%lld,\"lost\":%lld,\"late\":%lld,"
	       "\"late_streams\":%lld,\"reordered\":%lld,\"dups\":%lld,\"max_gap_ms\":%.1f,\"rx_other\":%lld,"
	       "\"shared_port\":%d,\"rx_unknown\":%lld,"
	       "\"clock\":{\"ticks\":%lld,\"skipped\":%lld,\"max_late_ms\":%.3f,\"late_ms_hist\":"
	       "{\"<1\":%lld,\"<2\":%lld,\"<5\":%lld,\"<10\":%lld,\"<20\":%lld,\">=20\":%lld}}}\n",
	       lf->answered, lf->refused, lf->ended, (mono_us() - lf->start_us) / 1e6,
	       t.streams, t.frames, t.tx, t.lost, t.late, t.late_streams,
	       t.reordered, t.dups, t.max_gap_us / 1000.0, t.other,
	       lf->o.shared, lf->shared_unknown,
	       lf->clk.ticks, lf->clk.skipped, lf->clk.max_late_us / 1000.0,
	       lf->clk.hist[0], lf->clk.hist[1], lf->clk.hist[2], lf->clk.hist[3], lf->clk.hist[4], lf->clk.hist[5]);
	fflush(stdout);
}

static int lf_shared_open(struct lf *lf)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	int on = 1, buf = 4 << 20;

	lf->by_port = calloc(65536, sizeof(*lf->by_port));
	lf->txmsg = calloc((size_t)lf->o.max, sizeof(*lf->txmsg));
	lf->txiov = calloc((size_t)lf->o.max, sizeof(*lf->txiov));
	if (!lf->by_port || !lf->txmsg || !lf->txiov || lf->o.max > 32767) {
		errno = ENOMEM;
		return -1;
	}
	lf->shared_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	inet_pton(AF_INET, lf->o.bind, &a.sin_addr);
	if (lf->shared_fd < 0 || bind(lf->shared_fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(lf->shared_fd, (struct sockaddr *)&a, &al) < 0 ||
	    setsockopt(lf->shared_fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on)) < 0)
		return -1;
	/* a tick of 1,024 calls is 176 kB of RTP (over 1 MB of the kernel's
	 * buffers) at once, each way, and it is read once a tick */
	setsockopt(lf->shared_fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	setsockopt(lf->shared_fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	lf->shared_port = ntohs(a.sin_port);
	for (int i = 0; i < LF_SHARED_BATCH; i++) {
		lf->shiov[i] = (struct iovec){ lf->shbuf[i], sizeof(lf->shbuf[i]) };
		lf->shmsg[i].msg_hdr.msg_iov = &lf->shiov[i];
		lf->shmsg[i].msg_hdr.msg_iovlen = 1;
		lf->shmsg[i].msg_hdr.msg_name = &lf->shfrom[i];
	}
	/* read once a tick (lf_media), not on every datagram: the kernel
	 * stamps each on arrival, and a wake-up per packet was most of this
	 * process's CPU (perf: a third in the scheduler's task switch) */
	return 0;
}

static int lf_parse(struct lf_opts *o, int argc, char **argv)
{
	enum { O_BIND = 256, O_CALLS, O_MAX, O_TIMEOUT, O_NO_TE, O_SHARED };
	static const struct option lo[] = {
		{ "port", required_argument, NULL, 'p' }, { "bind", required_argument, NULL, O_BIND },
		{ "calls", required_argument, NULL, O_CALLS }, { "max", required_argument, NULL, O_MAX },
		{ "timeout", required_argument, NULL, O_TIMEOUT }, { "quiet", no_argument, NULL, 'q' },
		{ "no-telephone-event", no_argument, NULL, O_NO_TE },
		{ "shared-port", no_argument, NULL, O_SHARED },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct lf_opts){ .bind = "127.0.0.1", .max = 2048, .timeout = 120 };
	while ((c = getopt_long(argc, argv, "p:qh", lo, NULL)) != -1) {
		switch (c) {
		case 'p': o->port = atoi(optarg); break;
		case O_BIND: o->bind = optarg; break;
		case O_CALLS: o->calls = atoi(optarg); break;
		case O_MAX: o->max = atoi(optarg); break;
		case O_TIMEOUT: o->timeout = atof(optarg); break;
		case 'q': o->quiet = 1; break;
		case O_NO_TE: o->no_te = 1; break;
		case O_SHARED: o->shared = 1; break;
		default: goto usage;
		}
	}
	if (o->port > 0 && o->port < 65536 && o->max > 0 && o->timeout > 0)
		return 0;
usage:
	fprintf(stderr,
		"usage: load_phone --port PORT [--bind ADDR] [--calls N] [--max N] [--timeout S]\n"
		"                  [--no-telephone-event] [--shared-port]\n"
		"  Answers every INVITE on ADDR:PORT (180, 200 with PCMU or PCMA, and the offer's\n"
		"  telephone-event unless told not to), RTP both ways until BYE; after N calls\n"
		"  ended (or SIGTERM, or S s) one JSON summary line. --shared-port: one RTP\n"
		"  socket for every call (calls told apart by the gateway's port), sent and\n"
		"  received in batches (sendmmsg, recvmmsg), instead of one socket a call.\n");
	return -EINVAL;
}

int main(int argc, char **argv)
{
	static struct lf lf;
	struct itimerspec its = { .it_interval = { 0, SIM_FRAME_US * 1000 } };
	char url[128];
	sigset_t ss;
	int rc = 1;

	if (lf_parse(&lf.o, argc, argv) < 0)
		return 2;
	/* another seed than load_pbx's: the two directions uncorrelated */
	sim_noise_frames(lf.noise[0], SIM_NOISE_FRAMES, 0x5eed0002u, 0);
	sim_noise_frames(lf.noise[1], SIM_NOISE_FRAMES, 0x5eed0002u, 1);
	lf.calls = calloc((size_t)lf.o.max, sizeof(*lf.calls));
	lf.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!lf.calls || lf.epfd < 0)
		return 1;
	if (lf.o.shared && lf_shared_open(&lf) < 0) {
		fprintf(stderr, "load_phone: --shared-port: %s\n", strerror(errno));
		return 1;
	}
	for (int i = 0; i < LF_RX_BATCH; i++) {
		lf.rxiov[i] = (struct iovec){ lf.rxbuf[i], sizeof(lf.rxbuf[i]) };
		lf.rxmsg[i].msg_hdr.msg_iov = &lf.rxiov[i];
		lf.rxmsg[i].msg_hdr.msg_iovlen = 1;
	}
	sigemptyset(&ss);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGTERM);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	signal(SIGPIPE, SIG_IGN);
	lf.sfd = signalfd(-1, &ss, SFD_CLOEXEC | SFD_NONBLOCK);
	lf.tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	lf.start_us = mono_us();
	sim_clock_start(&lf.clk, lf.start_us);	/* in phase with the timer: both mono_us()'s clock */
	its.it_value.tv_sec = sim_clock_next_us(&lf.clk) / 1000000;
	its.it_value.tv_nsec = sim_clock_next_us(&lf.clk) % 1000000 * 1000;
	if (lf.sfd < 0 || lf.tfd < 0 || timerfd_settime(lf.tfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		return 1;
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = LF_TAG_TIMER };

	epoll_ctl(lf.epfd, EPOLL_CTL_ADD, lf.tfd, &ev);
	ev.data.u32 = LF_TAG_SIGNAL;
	epoll_ctl(lf.epfd, EPOLL_CTL_ADD, lf.sfd, &ev);

	su_init();
	lf.root = su_root_create(&lf);
	if (!lf.root)
		goto out;
	su_root_threading(lf.root, 0);	/* stack and media on one loop (DESIGN.md) */
	snprintf(url, sizeof(url), "sip:%s:%d", lf.o.bind, lf.o.port);
	lf.nua = nua_create(lf.root, lf_nua_cb, &lf, NUTAG_URL(url), NUTAG_MEDIA_ENABLE(0),
			    NUTAG_AUTOANSWER(0), NUTAG_AUTOALERT(0), NUTAG_AUTOACK(1), NUTAG_ENABLEINVITE(1),
			    SIPTAG_USER_AGENT_STR("sipgw-load-phone"), TAG_END());
	if (!lf.nua) {
		fprintf(stderr, "load_phone: cannot listen on %s\n", url);
		goto out;
	}
	if (su_wait_create(&lf.wait, lf.epfd, SU_WAIT_IN) < 0 ||
	    su_root_register(lf.root, &lf.wait, lf_media, &lf, 0) < 0)
		goto out;
	lf.deadline = su_timer_create(su_root_task(lf.root), 0);
	su_timer_set_interval(lf.deadline, lf_deadline, &lf, (su_duration_t)(lf.o.timeout * 1000));
	printf("READY port=%d\n", lf.o.port);
	fflush(stdout);
	su_root_run(lf.root);
	lf_summary(&lf);
	rc = 0;
out:
	if (lf.nua)
		nua_destroy(lf.nua);
	su_timer_destroy(lf.deadline);
	if (lf.root)
		su_root_destroy(lf.root);
	su_deinit();
	return rc;
}
