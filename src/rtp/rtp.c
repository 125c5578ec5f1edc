/* sipgw - RTP sessions (RFC 3550) and RFC 4733 events on the su_root loop.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "rtp/rtp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sofia-sip/su_wait.h>

#include "core/log.h"
#include "core/loop.h"
#include "core/netaddr.h"
#include "rtp/rtcp.h"
#include "rtp/srtp.h"

#define RTP_VERSION 2
#define RTP_MAX_PKT 1500
#define RTP_DEFAULT_CLOCK 8000
/* RFC 3550 6.2: the recommended minimum interval between reports. */
#define RTCP_TMIN_MS 5000
/* RFC 3550 6.2: the session bandwidth the 5 % of RTCP is taken from; G.711
 * at 20 ms with IP/UDP/RTP headers is 80 kbit/s. With two parties the
 * minimum interval rules anyway (A.7 gives ~50 ms from the bandwidth). */
#define RTCP_SESSION_BW 10000.0	/* octets/s */
#define RTCP_IPUDP_HDR 28	/* 6.3.3: the average size counts lower-layer headers */
/* Sockets tried for an even/odd pair when the kernel picks the port. */
#define RTP_PAIR_TRIES 64

/* The far end's stream as RTCP sees it. */
struct rtp_rx_src {
	int active;		/* a packet came; src below is that source's */
	struct rtcp_source src;
	int jit_pt;		/* A.8 runs over one payload type (one clock) at a time */
	uint32_t lsr;		/* middle 32 bits of its last SR's NTP time, 0 = none */
	uint32_t lsr_ssrc;	/* whose SR that was */
	long long lsr_rx_us;	/* when that SR came (mono_us) */
	long past_lost;		/* A.3 figures of the sources before this one */
	unsigned long past_expected;
};

struct rtp_session {
	su_root_t *root;
	int fd;
	int reg;		/* su_root_register() index, 0 = not registered */
	su_wait_t wait[1];
	int rtcp_fd;		/* port + 1 */
	int rtcp_reg;
	su_wait_t rtcp_wait[1];
	struct loop_timer *rtcp_timer;	/* core/loop.h: not an su_timer (no ms spin) */
	int local_port;
	struct sockaddr_storage local;	/* rtp.address, port 0: AF_INET, AF_INET6 (:: takes IPv4 too) */
	struct sockaddr_storage remote, rtcp_remote;	/* in family (netaddr_to_family) */
	int has_remote;
	int held;		/* rtp_set_held: RTP stops, RTCP goes on */
	int mux;		/* rtp_set_mux: RTCP on the RTP port both ways (RFC 5761) */
	uint32_t ssrc;
	uint16_t seq;
	uint32_t ts;
	uint32_t ev_ts;		/* timestamp of the event being sent (RFC 4733 2.5.1.2) */
	int ev_active;
	int marker_next;	/* first packet after (re)start of a talkspurt */
	rtp_recv_h *recv_h;
	rtp_refused_h *refused_h;
	void *arg;
	struct rtp_stats st;
	struct rtp_rx_src rx;
	int clock_rate;
	unsigned rtcp_tmin_ms;
	int rtcp_initial;	/* the first report is still to go (6.2: half the minimum) */
	double rtcp_avg_size;	/* 6.3.3, octets with IP/UDP */
	unsigned long tx_at_report;	/* tx_packets at the report before the last */
	unsigned long tx_at_last;	/* ... and at the last */
	uint32_t tx_octets;	/* payload octets sent, for the SR */
	uint64_t rnd;		/* the 6.3.1 randomisation */
	unsigned drop_every, drop_count;	/* rtp_params.drop_every */
	char cname[64];
	long long last_rx_ms;	/* CLOCK_MONOTONIC ms of the last RTP packet, 0 = none yet */
	unsigned refused_run;	/* ICMP port unreachable in a row since then */
	struct rtp_srtp *srtp;	/* RFC 3711 on both sockets; NULL: plain RTP/AVP */
	char debug[32];		/* debug rtp for this session: its label ("" = off) */
};

/* debug rtp for every session (sipgwctl debug rtp on): a switch of the
 * operator's, as Sofia's log level is, not state of any session. */
static int debug_all;

void rtp_debug_all(int on) { debug_all = on; }

void rtp_set_debug(struct rtp_session *rs, const char *label)
{
	snprintf(rs->debug, sizeof(rs->debug), "%s", label ? label : "");
}

/* One line per packet while debug rtp is on (RFC 3550 5.1 fields). */
static void rtp_debug_pkt(const struct rtp_session *rs, int sent, const uint8_t *p, size_t n)
{
	struct rtp_header h;

	if ((!rs->debug[0] && !debug_all) || rtp_parse(p, n, &h) < 0)
		return;
	LOGN(LSS_RTP, "debug rtp %s%s%d: %s pt=%d seq=%u ts=%u m=%d len=%zu", rs->debug,
	     rs->debug[0] ? " port " : "port ", rs->local_port, sent ? ">" : "<", h.pt, h.seq, h.ts, h.marker, h.plen);
}

/* RFC 3550 5.1, 5.3.1 (header extension), 5.1 P bit (padding). */
int rtp_parse(const uint8_t *p, size_t n, struct rtp_header *h)
{
	size_t off = RTP_HDR_LEN;
	size_t end = n;

	if (n < RTP_HDR_LEN || (p[0] >> 6) != RTP_VERSION)
		return -EBADMSG;
	off += (size_t)(p[0] & 0x0f) * 4;
	if (p[0] & 0x10) {	/* X: 4-byte extension header, length in words */
		if (off + 4 > n)
			return -EBADMSG;
		off += 4 + (size_t)((p[off + 2] << 8) | p[off + 3]) * 4;
	}
	if (p[0] & 0x20) {	/* P: last octet counts the padding */
		if (p[n - 1] == 0 || p[n - 1] > n)
			return -EBADMSG;
		end -= p[n - 1];
	}
	if (off > end)
		return -EBADMSG;
	h->marker = p[1] >> 7;
	h->pt = p[1] & 0x7f;
	h->seq = (uint16_t)((p[2] << 8) | p[3]);
	h->ts = ((uint32_t)p[4] << 24) | ((uint32_t)p[5] << 16) | ((uint32_t)p[6] << 8) | p[7];
	h->ssrc = ((uint32_t)p[8] << 24) | ((uint32_t)p[9] << 16) | ((uint32_t)p[10] << 8) | p[11];
	h->payload = p + off;
	h->plen = end - off;
	return 0;
}

/* With IP_RECVERR each ICMP error about a datagram we sent is queued on
 * the socket (ip(7)); the queue keeps the socket polling readable (POLLERR)
 * until read, so drain it on every wakeup. Port unreachable from the far
 * end's host means nothing listens there any more. */
static void rtp_drain_errors(struct rtp_session *rs)
{
	for (;;) {
		char cbuf[256], dbuf[64];
		struct iovec iov = { dbuf, sizeof(dbuf) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
		int refused = 0;

		if (recvmsg(rs->fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			return;
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			const struct sock_extended_err *ee = (const void *)CMSG_DATA(cm);
			/* ICMPv6 port unreachable too (ipv6(7) IPV6_RECVERR); a v4
			 * peer on a dual-stack socket reports through IP_RECVERR */
			if (((cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_RECVERR &&
			      ee->ee_origin == SO_EE_ORIGIN_ICMP) ||
			     (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_RECVERR &&
			      ee->ee_origin == SO_EE_ORIGIN_ICMP6)) &&
			    ee->ee_errno == ECONNREFUSED)
				refused = 1;
		}
		if (!refused)
			continue;
		rs->st.icmp_refused++;
		rs->refused_run++;
		if (rs->refused_h)
			rs->refused_h(rs->arg, rs->refused_run);
	}
}

/* NTP time (RFC 3550 4: seconds since 1900, 32.32 fixed point). */
static uint64_t ntp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)(ts.tv_sec + 2208988800ull) << 32) |
	       (((uint64_t)ts.tv_nsec << 32) / 1000000000u);
}

/* A.1 and A.8 for one RTP packet taken. A new SSRC is a new source
 * (the far end changed, RFC 3550 8.2): what the old one lost stays counted. */
static void rtp_rx_stats(struct rtp_session *rs, const struct rtp_header *h)
{
	struct rtp_rx_src *rx = &rs->rx;

	if (!rx->active || h->ssrc != rx->src.ssrc) {
		if (rx->active) {
			rx->past_lost += rtcp_source_lost(&rx->src);
			rx->past_expected += rtcp_source_expected(&rx->src);
		}
		rtcp_source_init(&rx->src, h->ssrc, h->seq);
		rx->active = 1;
		rx->jit_pt = h->pt;
	}
	if (!rtcp_source_update(&rx->src, h->seq))
		return;
	/* An RFC 4733 event repeats its start timestamp and a codec change
	 * may change the clock: the transit of another payload type is no
	 * reference, so start over rather than count a jump as jitter. */
	if (h->pt != rx->jit_pt) {
		rx->jit_pt = h->pt;
		rx->src.has_transit = 0;
	}
	rtcp_source_jitter(&rx->src, h->ts, (uint32_t)(mono_us() * rs->clock_rate / 1000000));
}

/* A received compound: the far end's SR (for our LSR/DLSR) and what it
 * says of our stream. */
static void rtcp_take(struct rtp_session *rs, const struct rtcp_info *ri)
{
	if (ri->has_sr) {
		rs->rx.lsr = rtcp_ntp_mid(ri->si.ntp);
		rs->rx.lsr_ssrc = ri->ssrc;
		rs->rx.lsr_rx_us = mono_us();
	}
	for (int i = 0; i < ri->n_rb; i++) {
		const struct rtcp_rb *rb = &ri->rb[i];
		int rtt;

		if (rb->ssrc != rs->ssrc)
			continue;
		rs->st.remote_lost = rb->lost;
		rs->st.remote_fraction = rb->fraction;
		rs->st.remote_jitter_ms = rb->jitter * 1000.0 / rs->clock_rate;
		rtt = rtcp_rtt_ms(rtcp_ntp_mid(ntp_now()), rb->lsr, rb->dlsr);
		if (rtt >= 0)
			rs->st.rtt_ms = rtt;
	}
	if (ri->bye)
		LOGD(LSS_RTP, "rtp port %d: RTCP BYE from SSRC %08x", rs->local_port, ri->ssrc);
}

/* One compound RTCP packet received, on port + 1 or muxed on the RTP port. */
static void rtcp_in(struct rtp_session *rs, uint8_t *buf, size_t n)
{
	struct rtcp_info ri;
	size_t wire = n;

	/* RFC 3711 3.4: SRTCP is authenticated always; nothing of a compound
	 * that fails is looked at (n: cut to the compound, in place) */
	if (rs->srtp && rtp_srtp_unprotect_rtcp(rs->srtp, buf, &n)) {
		rs->st.rtcp_dropped++;
		return;
	}
	if (rtcp_parse(buf, n, &ri) < 0) {
		rs->st.rtcp_dropped++;
		return;
	}
	rs->st.rtcp_rx++;
	/* 6.3.3: every compound received moves the average size (as it came) */
	rs->rtcp_avg_size += ((double)wire + RTCP_IPUDP_HDR - rs->rtcp_avg_size) / 16;
	rtcp_take(rs, &ri);
}

static int rtcp_readable(su_root_magic_t *magic, su_wait_t *w, su_wakeup_arg_t *arg)
{
	struct rtp_session *rs = (struct rtp_session *)arg;
	uint8_t buf[RTCP_MAX_PKT + RTP_SRTP_TRAILER_MAX];

	for (;;) {
		ssize_t n = recv(rs->rtcp_fd, buf, sizeof(buf), 0);

		if (n < 0)
			break;
		rtcp_in(rs, buf, (size_t)n);
	}
	return 0;
}

/* One compound report: SR if we sent RTP since the report before last
 * (6.4), else RR; the far end's block; SDES CNAME (6.1); BYE when asked. */
static int rtcp_send_report(struct rtp_session *rs, int bye)
{
	struct rtcp_build_params bp = { .ssrc = rs->ssrc, .cname = rs->cname, .bye = bye };
	uint8_t buf[RTCP_MAX_PKT + RTP_SRTP_TRAILER_MAX];
	struct rtcp_rb rb;
	size_t len;
	int n;

	if (!rs->has_remote)
		return 0;
	if (rs->st.tx_packets != rs->tx_at_report) {
		bp.sr = 1;
		bp.si.ntp = ntp_now();
		bp.si.rtp_ts = rs->ts;	/* the next packet's: within a frame of now */
		bp.si.packets = (uint32_t)rs->st.tx_packets;
		bp.si.octets = rs->tx_octets;
	}
	if (rs->rx.active && rs->rx.src.valid) {
		rtcp_source_report(&rs->rx.src, &rb);
		if (rs->rx.lsr && rs->rx.lsr_ssrc == rb.ssrc) {
			rb.lsr = rs->rx.lsr;
			rb.dlsr = rtcp_us_to_q16(mono_us() - rs->rx.lsr_rx_us);
		}
		bp.rb = &rb;
		bp.n_rb = 1;
	}
	rs->tx_at_report = rs->tx_at_last;
	rs->tx_at_last = rs->st.tx_packets;
	n = rtcp_build(buf, RTCP_MAX_PKT, &bp);
	if (n < 0)
		return n;
	len = (size_t)n;
	if (rs->srtp && (n = rtp_srtp_protect_rtcp(rs->srtp, buf, &len, sizeof(buf))))
		return n;
	rs->rtcp_avg_size += ((double)len + RTCP_IPUDP_HDR - rs->rtcp_avg_size) / 16;
	if (sendto(rs->mux ? rs->fd : rs->rtcp_fd, buf, len, 0,
		   (const struct sockaddr *)(rs->mux ? &rs->remote : &rs->rtcp_remote),
		   netaddr_len(rs->mux ? &rs->remote : &rs->rtcp_remote)) < 0)
		return -errno;
	rs->st.rtcp_tx++;
	return 0;
}

static void rtcp_tick(void *arg);

/* 6.3.1: the next report after a randomised interval (two members: the
 * gateway and the far end). */
static void rtcp_schedule(struct rtp_session *rs)
{
	int we_sent = rs->st.tx_packets != rs->tx_at_report;
	double rnd;

	rs->rnd = rs->rnd * 6364136223846793005ull + 1442695040888963407ull;
	rnd = (double)(rs->rnd >> 11) / (double)(1ull << 53);
	loop_timer_start(rs->rtcp_timer,
			 rtcp_interval_ms(rs->rtcp_tmin_ms, 2, we_sent + rs->rx.active, we_sent,
					  RTCP_SESSION_BW, rs->rtcp_avg_size, rs->rtcp_initial, rnd));
}

static void rtcp_tick(void *arg)
{
	struct rtp_session *rs = (struct rtp_session *)arg;
	int rc = rtcp_send_report(rs, 0);

	if (rc)
		LOGD(LSS_RTP, "rtp port %d: RTCP report: %s", rs->local_port, strerror(-rc));
	rs->rtcp_initial = 0;
	rtcp_schedule(rs);
}

/* One RTP datagram as read: RTCP when muxed, else checked and handed on. */
static void rtp_take(struct rtp_session *rs, uint8_t *buf, size_t len)
{
	struct rtp_header h;

	/* RFC 5761 4: muxed, a second octet of 192-223 (payload
	 * type 64-95 with the marker) is RTCP; SRTCP leaves it clear */
	if (rs->mux && len >= 2 && (buf[1] & 0x7f) >= 64 && (buf[1] & 0x7f) <= 95) {
		rtcp_in(rs, buf, len);
		return;
	}
	/* RFC 3711 3.3: a forged or replayed packet is dropped whole */
	if (rs->srtp && (len < RTP_HDR_LEN || rtp_srtp_unprotect(rs->srtp, buf, &len))) {
		rs->st.rx_dropped++;
		return;
	}
	if (rtp_parse(buf, len, &h) < 0 ||
	    (h.pt >= 72 && h.pt <= 76)) {	/* 72-76: RTCP (RFC 5761 4) */
		rs->st.rx_dropped++;
		return;
	}
	rs->st.rx_packets++;
	rtp_debug_pkt(rs, 0, buf, len);
	rtp_rx_stats(rs, &h);
	rs->last_rx_ms = mono_ms();
	rs->refused_run = 0;
	if (rs->recv_h)
		rs->recv_h(rs->arg, h.pt, h.payload, h.plen, h.seq, h.ts, h.marker);
}

/* Datagrams taken by one recvmmsg(): a stream at 20 ms has one waiting,
 * or a few after a stall. Fewer than this back means the socket is empty,
 * so no read is spent only to meet EAGAIN (issue 14: one system call per
 * packet received where there were three). */
#define RTP_RX_BATCH 4

static int rtp_readable(su_root_magic_t *magic, su_wait_t *w, su_wakeup_arg_t *arg)
{
	struct rtp_session *rs = (struct rtp_session *)arg;
	uint8_t bufs[RTP_RX_BATCH][RTP_MAX_PKT + RTP_SRTP_TRAILER_MAX];
	struct mmsghdr mm[RTP_RX_BATCH];
	struct iovec iov[RTP_RX_BATCH];
	int errs = 0;

	/* ICMP errors queued on the socket make the wakeup POLLERR: the
	 * error queue is read only then. */
	if (su_wait_events(w, rs->fd) & SU_WAIT_ERR)
		rtp_drain_errors(rs);
	/* Drain the socket: one wakeup may stand for several datagrams. A
	 * pending ICMP error makes one read fail with ECONNREFUSED; it was
	 * counted from the error queue above, so just read on. */
	for (;;) {
		int n;

		memset(mm, 0, sizeof(mm));
		for (int i = 0; i < RTP_RX_BATCH; i++) {
			iov[i] = (struct iovec){ .iov_base = bufs[i], .iov_len = sizeof(bufs[i]) };
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
		}
		n = recvmmsg(rs->fd, mm, RTP_RX_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0 && errno == ECONNREFUSED && errs++ < 8)
			continue;
		if (n <= 0)
			break;
		for (int i = 0; i < n; i++)
			rtp_take(rs, bufs[i], mm[i].msg_len);
		if (n < RTP_RX_BATCH)
			break;
	}
	return 0;
}

/* RFC 3550 11: RTP on an even port, RTCP on the next one up. A pair whose
 * odd half is taken is given up for the next. With no range the kernel's
 * port is tried until it is even with a free neighbour. */
static int rtp_bind(struct rtp_session *rs, const char *ip, int pmin, int pmax, int *next)
{
	struct sockaddr_storage sin;
	int kernel = !pmin && !pmax;
	int first = (pmin + 1) & ~1, p = first;
	int pairs = kernel ? RTP_PAIR_TRIES : pmax >= first ? (pmax - first) / 2 + 1 : 0;

	/* the parse config made of rtp.address (core/netaddr.h): the family follows it */
	if (netaddr_parse(ip ? ip : "0.0.0.0", &sin))
		return -EINVAL;
	rs->local = sin;
	if (!kernel && next && *next > first && *next <= pmax)
		p = *next & ~1;
	for (int i = 0; i < pairs; i++, p += 2) {
		int port, fd, fd2;

		if (!kernel && (p > pmax || p >= 65535))
			p = first;	/* wrapped: the pairs below where the last pick left off */
		port = p;
		fd = netaddr_udp_bind(&sin, kernel ? 0 : p, &port);

		if (fd == -EADDRINUSE)
			continue;
		if (fd < 0)
			return fd;
		if (port & 1 || port >= 65535) {
			close(fd);
			continue;
		}
		fd2 = netaddr_udp_bind(&sin, port + 1, NULL);
		if (fd2 >= 0) {
			rs->fd = fd;
			rs->rtcp_fd = fd2;
			rs->local_port = port;
			if (next && !kernel)
				*next = port + 2;
			return 0;
		}
		close(fd);
		if (fd2 != -EADDRINUSE)
			return fd2;
	}
	return -EADDRINUSE;
}

int rtp_alloc(struct rtp_session **rsp, su_root_t *root, const struct rtp_params *p)
{
	struct rtp_session *rs;
	uint8_t rnd[30];
	int rc;

	rs = calloc(1, sizeof(*rs));
	if (!rs)
		return -ENOMEM;
	rs->root = root;
	rs->fd = rs->rtcp_fd = -1;
	rs->recv_h = p->recv_h;
	rs->refused_h = p->refused_h;
	rs->arg = p->arg;
	rs->clock_rate = p->clock_rate > 0 ? p->clock_rate : RTP_DEFAULT_CLOCK;
	rs->rtcp_tmin_ms = p->rtcp_interval_ms ? p->rtcp_interval_ms : RTCP_TMIN_MS;
	rs->rtcp_initial = 1;
	rs->drop_every = p->drop_every;
	rs->rtcp_avg_size = 100;	/* 6.3.2: a guess of the first report's size */
	rs->st.rtt_ms = -1;
	rs->st.remote_fraction = -1;
	rc = rtp_bind(rs, p->local_ip, p->port_min, p->port_max, p->port_next);
	if (rc)
		goto out;
	/* An unconnected UDP socket hears of ICMP errors only with IP_RECVERR
	 * (ip(7)); connect() would do it too but then drop RTP from any other
	 * source port than the SDP's (NAT). Without it the watch still works,
	 * on the RTP timeout alone. */
	{
		int on = 1;
		if (setsockopt(rs->fd, IPPROTO_IP, IP_RECVERR, &on, sizeof(on)) < 0)
			LOGW(LSS_RTP, "IP_RECVERR: %s (ICMP errors not counted)", strerror(errno));
		if (rs->local.ss_family == AF_INET6 && setsockopt(rs->fd, IPPROTO_IPV6, IPV6_RECVERR, &on, sizeof(on)) < 0)
			LOGW(LSS_RTP, "IPV6_RECVERR: %s (ICMPv6 errors not counted)", strerror(errno));
	}
	/* RFC 3550 5.1: SSRC, initial sequence number and timestamp random. */
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd)) {
		for (size_t i = 0; i < sizeof(rnd); i++)
			rnd[i] = (uint8_t)rand();
	}
	memcpy(&rs->ssrc, rnd, 4);
	memcpy(&rs->seq, rnd + 4, 2);
	memcpy(&rs->ts, rnd + 6, 4);
	memcpy(&rs->rnd, rnd + 10, 8);
	/* RFC 7022 5: a random CNAME, 96 bits or more, per session */
	if (p->cname)
		snprintf(rs->cname, sizeof(rs->cname), "%s", p->cname);
	else
		for (int i = 0; i < 12; i++)
			snprintf(rs->cname + 2 * i, 3, "%02x", rnd[18 + i]);
	rs->marker_next = 1;

	if (su_wait_create(rs->wait, rs->fd, SU_WAIT_IN) < 0) {
		rc = -EIO;
		goto out;
	}
	rs->reg = su_root_register(root, rs->wait, rtp_readable, (su_wakeup_arg_t *)rs, 0);
	if (rs->reg <= 0) {
		su_wait_destroy(rs->wait);
		rs->reg = 0;
		rc = -EIO;
		goto out;
	}
	if (su_wait_create(rs->rtcp_wait, rs->rtcp_fd, SU_WAIT_IN) < 0) {
		rc = -EIO;
		goto out;
	}
	rs->rtcp_reg = su_root_register(root, rs->rtcp_wait, rtcp_readable, (su_wakeup_arg_t *)rs, 0);
	if (rs->rtcp_reg <= 0) {
		su_wait_destroy(rs->rtcp_wait);
		rs->rtcp_reg = 0;
		rc = -EIO;
		goto out;
	}
	if ((rc = loop_timer_alloc(&rs->rtcp_timer, root, "rtcp", rtcp_tick, rs)))
		goto out;
	rtcp_schedule(rs);
	*rsp = rs;
	return 0;
out:
	rtp_free(rs);
	return rc;
}

void rtp_free(struct rtp_session *rs)
{
	if (!rs)
		return;
	if (rs->rtcp_timer) {
		/* RFC 3550 6.3.7: BYE when we leave; one that never sent an
		 * RTP or RTCP packet MUST NOT send one (a call refused or
		 * cleared before media: most of a B2BUA's sessions under load) */
		if (rs->st.tx_packets || rs->st.rtcp_tx)
			(void)rtcp_send_report(rs, 1);
		loop_timer_free(rs->rtcp_timer);
	}
	if (rs->reg)
		su_root_deregister(rs->root, rs->reg);
	if (rs->rtcp_reg)
		su_root_deregister(rs->root, rs->rtcp_reg);
	if (rs->fd >= 0)
		close(rs->fd);
	if (rs->rtcp_fd >= 0)
		close(rs->rtcp_fd);
	rtp_srtp_free(rs->srtp);
	free(rs);
}

int rtp_local_port(const struct rtp_session *rs)
{
	return rs->local_port;
}

int rtp_set_remote(struct rtp_session *rs, const char *ip, int port)
{
	struct sockaddr_storage sin;

	if (!ip || port <= 0 || (netaddr_parse(ip, &sin) == 0 && netaddr_is_any(&sin))) {
		rs->has_remote = 0;
		return 0;
	}
	if (port > 65535 || netaddr_parse(ip, &sin))
		return -EINVAL;
	/* an IPv6 peer on an IPv4 socket (rtp.address 0.0.0.0 or v4), IPv4 on a given v6 one */
	if (netaddr_to_family(&sin, &rs->local)) {
		LOGW(LSS_RTP, "rtp port %d: cannot send to %s from an IPv%d socket (rtp.address)", rs->local_port,
		     ip, rs->local.ss_family == AF_INET6 ? 6 : 4);
		rs->has_remote = 0;
		return -EAFNOSUPPORT;
	}
	netaddr_set_port(&sin, port);
	if (!rs->has_remote)
		rs->marker_next = 1;
	/* Refusals from where we sent before (early media, an old port)
	 * say nothing about the new remote. */
	rs->refused_run = 0;
	rs->remote = sin;
	rs->rtcp_remote = sin;
	netaddr_set_port(&rs->rtcp_remote, port + 1);	/* RFC 3550 11 */
	rs->has_remote = 1;
	return 0;
}

void rtp_set_mux(struct rtp_session *rs, int on)
{
	rs->mux = on;
}

void rtp_set_held(struct rtp_session *rs, int held)
{
	if (rs->held && !held)
		rs->marker_next = 1;
	rs->held = held;
}

/* RFC 3550 5.1: V=2, P=0, X=0, CC=0; network byte order. */
size_t rtp_header_build(uint8_t *h, int pt, int marker, uint16_t seq, uint32_t ts, uint32_t ssrc)
{
	h[0] = RTP_VERSION << 6;
	h[1] = (uint8_t)((marker ? 0x80 : 0) | (pt & 0x7f));
	h[2] = (uint8_t)(seq >> 8);
	h[3] = (uint8_t)seq;
	h[4] = (uint8_t)(ts >> 24);
	h[5] = (uint8_t)(ts >> 16);
	h[6] = (uint8_t)(ts >> 8);
	h[7] = (uint8_t)ts;
	h[8] = (uint8_t)(ssrc >> 24);
	h[9] = (uint8_t)(ssrc >> 16);
	h[10] = (uint8_t)(ssrc >> 8);
	h[11] = (uint8_t)ssrc;
	return RTP_HDR_LEN;
}

static void rtp_hdr(struct rtp_session *rs, uint8_t *h, int pt, int marker, uint32_t ts)
{
	rtp_header_build(h, pt, marker, rs->seq, ts, rs->ssrc);
}

/* Protected in place when the session has SRTP: pkt[cap] keeps room for the tag. */
static int rtp_seal(struct rtp_session *rs, uint8_t *pkt, size_t *n, size_t cap)
{
	return rs->srtp ? rtp_srtp_protect(rs->srtp, pkt, n, cap) : 0;
}

static int rtp_xmit(struct rtp_session *rs, uint8_t *pkt, size_t n, size_t cap)
{
	int rc;

	rtp_debug_pkt(rs, 1, pkt, n);	/* before SRTP: the header as sent */
	rc = rtp_seal(rs, pkt, &n, cap);

	if (rc)
		return rc;
	if (sendto(rs->fd, pkt, n, 0, (const struct sockaddr *)&rs->remote, netaddr_len(&rs->remote)) < 0)
		return -errno;
	rs->seq++;
	rs->st.tx_packets++;
	return 0;
}

int rtp_send(struct rtp_session *rs, int pt, const uint8_t *payload, size_t len, uint32_t ts_inc)
{
	uint8_t pkt[RTP_MAX_PKT + RTP_SRTP_TRAILER_MAX];
	int rc = 0;

	if (len > RTP_MAX_PKT - RTP_HDR_LEN)
		return -EMSGSIZE;
	if (rs->has_remote && !rs->held && rs->drop_every && ++rs->drop_count % rs->drop_every == 0) {
		rs->seq++;	/* lost on the way: sent as far as we know */
		rs->st.tx_packets++;
		rs->st.tx_test_dropped++;
		rs->tx_octets += (uint32_t)len;
		rs->marker_next = 0;
	} else if (rs->has_remote && !rs->held) {
		rtp_hdr(rs, pkt, pt, rs->marker_next, rs->ts);
		memcpy(pkt + RTP_HDR_LEN, payload, len);
		rc = rtp_xmit(rs, pkt, RTP_HDR_LEN + len, sizeof(pkt));
		if (!rc)
			rs->tx_octets += (uint32_t)len;
		rs->marker_next = 0;
	}
	/* Time moves on while held too, so the far end sees a gap, not a jump back. */
	rs->ts += ts_inc;
	return rc;
}

static int event_code(char d)
{
	static const char codes[] = "0123456789*#ABCD";	/* RFC 4733 3.2 */
	const char *p = d ? strchr(codes, d >= 'a' && d <= 'd' ? d - 32 : d) : NULL;
	return p ? (int)(p - codes) : -1;
}

int rtp_send_event(struct rtp_session *rs, int pt, char digit, uint16_t duration, int end)
{
	uint8_t pkt[RTP_HDR_LEN + 4 + RTP_SRTP_TRAILER_MAX];
	size_t n = RTP_HDR_LEN + 4;
	int code = event_code(digit), marker = 0, rc = 0;

	if (code < 0)
		return -EINVAL;
	if (!rs->has_remote || rs->held)
		return 0;
	/* RFC 4733 2.5.1.2: every packet of one event carries the timestamp
	 * of its start; the first one has the marker bit. */
	if (!rs->ev_active) {
		rs->ev_active = 1;
		rs->ev_ts = rs->ts;
		marker = 1;
	}
	rtp_hdr(rs, pkt, pt, marker, rs->ev_ts);
	pkt[RTP_HDR_LEN] = (uint8_t)code;
	pkt[RTP_HDR_LEN + 1] = (uint8_t)((end ? 0x80 : 0) | 10);	/* volume -10 dBm0 */
	pkt[RTP_HDR_LEN + 2] = (uint8_t)(duration >> 8);
	pkt[RTP_HDR_LEN + 3] = (uint8_t)duration;
	if (end) {
		/* RFC 4733 2.5.1.4: the end packet is sent three times, same seq;
		 * protected once, the same bytes each time (RFC 3711 3.3.2: a
		 * receiver takes the first, drops the copies as replays). */
		if ((rc = rtp_seal(rs, pkt, &n, sizeof(pkt))))
			return rc;
		for (int i = 0; i < 3 && !rc; i++) {
			if (sendto(rs->fd, pkt, n, 0, (const struct sockaddr *)&rs->remote,
				   netaddr_len(&rs->remote)) < 0)
				rc = -errno;
			else
				rs->st.tx_packets++;
		}
		rs->seq++;
		rs->ev_active = 0;
		if ((int32_t)(rs->ev_ts + duration - rs->ts) > 0)
			rs->ts = rs->ev_ts + duration;
		return rc;
	}
	return rtp_xmit(rs, pkt, n, sizeof(pkt));
}

void rtp_skip(struct rtp_session *rs, uint32_t ts_inc)
{
	rs->ts += ts_inc;
}

void rtp_mark(struct rtp_session *rs)
{
	rs->marker_next = 1;
}

void rtp_set_srtp(struct rtp_session *rs, struct rtp_srtp *s)
{
	if (rs->srtp != s)
		rtp_srtp_free(rs->srtp);
	rs->srtp = s;
}

struct rtp_srtp *rtp_get_srtp(const struct rtp_session *rs)
{
	return rs->srtp;
}

void rtp_get_stats(const struct rtp_session *rs, struct rtp_stats *st)
{
	const struct rtp_rx_src *rx = &rs->rx;

	*st = rs->st;
	st->rx_lost = rx->past_lost + (rx->active ? rtcp_source_lost(&rx->src) : 0);
	st->rx_expected = rx->past_expected + (rx->active ? rtcp_source_expected(&rx->src) : 0);
	st->jitter_ms = rx->active ? rx->src.jitter / 16.0 * 1000.0 / rs->clock_rate : 0;
}

void rtp_get_activity(const struct rtp_session *rs, long long *last_rx_ms, unsigned *refused_run)
{
	*last_rx_ms = rs->last_rx_ms;
	*refused_run = rs->refused_run;
}
