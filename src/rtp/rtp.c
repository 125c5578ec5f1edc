/* sipgw - RTP sessions (RFC 3550) and RFC 4733 events on the su_root loop.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "rtp/rtp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sofia-sip/su_wait.h>

#include "core/log.h"

#define RTP_VERSION 2
#define RTP_MAX_PKT 1500

struct rtp_session {
	su_root_t *root;
	int fd;
	int reg;		/* su_root_register() index, 0 = not registered */
	su_wait_t wait[1];
	int local_port;
	struct sockaddr_in remote;
	int has_remote;
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
	long long last_rx_ms;	/* CLOCK_MONOTONIC ms of the last RTP packet, 0 = none yet */
	unsigned refused_run;	/* ICMP port unreachable in a row since then */
};

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
			if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_RECVERR &&
			    ee->ee_origin == SO_EE_ORIGIN_ICMP && ee->ee_errno == ECONNREFUSED)
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

static int rtp_readable(su_root_magic_t *magic, su_wait_t *w, su_wakeup_arg_t *arg)
{
	struct rtp_session *rs = (struct rtp_session *)arg;
	uint8_t buf[RTP_MAX_PKT];
	struct rtp_header h;
	int errs = 0;

	rtp_drain_errors(rs);
	/* Drain the socket: one wakeup may stand for several datagrams. A
	 * pending ICMP error makes one recv() fail with ECONNREFUSED; it was
	 * counted from the error queue above, so just read on. */
	for (;;) {
		ssize_t n = recv(rs->fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == ECONNREFUSED && errs++ < 8)
			continue;
		if (n < 0)
			break;
		if (rtp_parse(buf, (size_t)n, &h) < 0 ||
		    (h.pt >= 72 && h.pt <= 76)) {	/* 72-76: RTCP (RFC 5761 4) */
			rs->st.rx_dropped++;
			continue;
		}
		rs->st.rx_packets++;
		rs->last_rx_ms = mono_ms();
		rs->refused_run = 0;
		if (rs->recv_h)
			rs->recv_h(rs->arg, h.pt, h.payload, h.plen, h.seq, h.ts, h.marker);
	}
	return 0;
}

static int rtp_bind(struct rtp_session *rs, const char *ip, int pmin, int pmax)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);

	if (inet_pton(AF_INET, ip ? ip : "0.0.0.0", &sin.sin_addr) != 1)
		return -EINVAL;
	if (!pmin && !pmax) {
		if (bind(rs->fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
			return -errno;
	} else {
		int rc = -EADDRINUSE;
		/* RFC 3550 11: RTP on an even port. */
		for (int p = (pmin + 1) & ~1; p <= pmax; p += 2) {
			sin.sin_port = htons((uint16_t)p);
			if (!bind(rs->fd, (struct sockaddr *)&sin, sizeof(sin))) {
				rc = 0;
				break;
			}
		}
		if (rc)
			return rc;
	}
	if (getsockname(rs->fd, (struct sockaddr *)&sin, &sl) < 0)
		return -errno;
	rs->local_port = ntohs(sin.sin_port);
	return 0;
}

int rtp_alloc(struct rtp_session **rsp, su_root_t *root, const struct rtp_params *p)
{
	struct rtp_session *rs;
	uint8_t rnd[10];
	int rc;

	rs = calloc(1, sizeof(*rs));
	if (!rs)
		return -ENOMEM;
	rs->root = root;
	rs->recv_h = p->recv_h;
	rs->refused_h = p->refused_h;
	rs->arg = p->arg;
	rs->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (rs->fd < 0) {
		rc = -errno;
		goto out;
	}
	rc = rtp_bind(rs, p->local_ip, p->port_min, p->port_max);
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
	}
	/* RFC 3550 5.1: SSRC, initial sequence number and timestamp random. */
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd)) {
		for (size_t i = 0; i < sizeof(rnd); i++)
			rnd[i] = (uint8_t)rand();
	}
	memcpy(&rs->ssrc, rnd, 4);
	memcpy(&rs->seq, rnd + 4, 2);
	memcpy(&rs->ts, rnd + 6, 4);
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
	if (rs->reg)
		su_root_deregister(rs->root, rs->reg);
	if (rs->fd >= 0)
		close(rs->fd);
	free(rs);
}

int rtp_local_port(const struct rtp_session *rs)
{
	return rs->local_port;
}

int rtp_set_remote(struct rtp_session *rs, const char *ip, int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };

	if (!ip || !strcmp(ip, "0.0.0.0") || port <= 0) {
		rs->has_remote = 0;
		return 0;
	}
	if (port > 65535 || inet_pton(AF_INET, ip, &sin.sin_addr) != 1)
		return -EINVAL;
	sin.sin_port = htons((uint16_t)port);
	if (!rs->has_remote)
		rs->marker_next = 1;
	/* Refusals from where we sent before (early media, an old port)
	 * say nothing about the new remote. */
	rs->refused_run = 0;
	rs->remote = sin;
	rs->has_remote = 1;
	return 0;
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

static int rtp_xmit(struct rtp_session *rs, const uint8_t *pkt, size_t n)
{
	if (sendto(rs->fd, pkt, n, 0, (const struct sockaddr *)&rs->remote, sizeof(rs->remote)) < 0)
		return -errno;
	rs->seq++;
	rs->st.tx_packets++;
	return 0;
}

int rtp_send(struct rtp_session *rs, int pt, const uint8_t *payload, size_t len, uint32_t ts_inc)
{
	uint8_t pkt[RTP_MAX_PKT];
	int rc = 0;

	if (len > sizeof(pkt) - RTP_HDR_LEN)
		return -EMSGSIZE;
	if (rs->has_remote) {
		rtp_hdr(rs, pkt, pt, rs->marker_next, rs->ts);
		memcpy(pkt + RTP_HDR_LEN, payload, len);
		rc = rtp_xmit(rs, pkt, RTP_HDR_LEN + len);
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
	uint8_t pkt[RTP_HDR_LEN + 4];
	int code = event_code(digit), marker = 0, rc = 0;

	if (code < 0)
		return -EINVAL;
	if (!rs->has_remote)
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
		/* RFC 4733 2.5.1.4: the end packet is sent three times, same seq. */
		for (int i = 0; i < 3 && !rc; i++) {
			if (sendto(rs->fd, pkt, sizeof(pkt), 0, (const struct sockaddr *)&rs->remote,
				   sizeof(rs->remote)) < 0)
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
	return rtp_xmit(rs, pkt, sizeof(pkt));
}

void rtp_mark(struct rtp_session *rs)
{
	rs->marker_next = 1;
}

void rtp_get_stats(const struct rtp_session *rs, struct rtp_stats *st)
{
	*st = rs->st;
}

void rtp_get_activity(const struct rtp_session *rs, long long *last_rx_ms, unsigned *refused_run)
{
	*last_rx_ms = rs->last_rx_ms;
	*refused_run = rs->refused_run;
}
