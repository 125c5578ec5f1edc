/* sipgw - UDPTL (ITU-T T.38 9.1 and Annex A's ASN.1 UDPTLPacket, encoded
 * with X.691 aligned PER): packets, redundancy, the session on su_root.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "rtp/udptl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sofia-sip/su_wait.h>

#include "core/netaddr.h"

/* X.691 10.9: a length below 128 is one octet, below 16K two (10 then 14
 * bits); 16K and more comes in fragments, which no UDPTL datagram of
 * 1500 octets needs: refused. */
#define PER_LEN_1 0x80
#define PER_LEN_2 0x4000

/* Farther ahead than this is a restart or garbage, not loss: 3000 packets is
 * RFC 3550 A.1's MAX_DROPOUT, minutes of T.38. */
#define UDPTL_MAX_JUMP 3000

/* The CHOICE error-recovery (T.38 Annex A): its index in the top bit. */
#define UDPTL_CHOICE_FEC 0x80

static const char *const ec_names[] = {
	[UDPTL_EC_NONE] = "none", [UDPTL_EC_REDUNDANCY] = "redundancy", [UDPTL_EC_FEC] = "fec",
};

const char *udptl_ec_name(enum udptl_ec ec)
{
	return (unsigned)ec <= UDPTL_EC_FEC ? ec_names[ec] : "?";
}

static int per_len_get(const uint8_t *buf, size_t n, size_t *off, size_t *lenp)
{
	uint8_t b;

	if (*off >= n)
		return -EBADMSG;
	b = buf[(*off)++];
	if (!(b & 0x80)) {
		*lenp = b;
		return 0;
	}
	if ((b & 0xc0) != 0x80 || *off >= n)
		return -EBADMSG;	/* a fragment (11xxxxxx) or cut off */
	*lenp = ((size_t)(b & 0x3f) << 8) | buf[(*off)++];
	return 0;
}

/* An open type (X.691 10.2): its length, then its octets. */
static int open_type_get(const uint8_t *buf, size_t n, size_t *off, struct udptl_ifp *f)
{
	size_t len;

	if (per_len_get(buf, n, off, &len) < 0 || len > n - *off)
		return -EBADMSG;
	f->p = buf + *off;
	f->len = len;
	*off += len;
	return 0;
}

int udptl_decode(const uint8_t *buf, size_t n, struct udptl_packet *pkt)
{
	size_t off = 2, count, flen;

	memset(pkt, 0, sizeof(*pkt));
	if (n < 4)
		return -EBADMSG;
	pkt->seq = (uint16_t)((buf[0] << 8) | buf[1]);
	/* An IFP packet has at least its type octet (T.38 Annex A IFPPacket). */
	if (open_type_get(buf, n, &off, &pkt->primary) < 0 || !pkt->primary.len || off >= n)
		return -EBADMSG;
	if (!(buf[off++] & UDPTL_CHOICE_FEC)) {
		pkt->ec = UDPTL_EC_REDUNDANCY;
		if (per_len_get(buf, n, &off, &count) < 0 || count > UDPTL_MAX_SECONDARY)
			return -EBADMSG;
	} else {
		/* fec-npackets: an unconstrained INTEGER, a length then its octets;
		 * real spans are small, so one octet (as every stack writes it). */
		pkt->ec = UDPTL_EC_FEC;
		if (per_len_get(buf, n, &off, &flen) < 0 || flen != 1 || off >= n)
			return -EBADMSG;
		pkt->fec_span = buf[off++];
		if (per_len_get(buf, n, &off, &count) < 0 || count > UDPTL_MAX_SECONDARY)
			return -EBADMSG;
	}
	for (size_t i = 0; i < count; i++)
		if (open_type_get(buf, n, &off, &pkt->sec[i]) < 0)
			return -EBADMSG;
	pkt->n = (int)count;
	/* a whole packet and nothing after it */
	return off == n ? 0 : -EBADMSG;
}

static int per_len_put(uint8_t *buf, size_t cap, size_t *off, size_t len)
{
	if (len >= PER_LEN_2)
		return -EMSGSIZE;
	if (len < PER_LEN_1) {
		if (*off + 1 > cap)
			return -EMSGSIZE;
		buf[(*off)++] = (uint8_t)len;
		return 0;
	}
	if (*off + 2 > cap)
		return -EMSGSIZE;
	buf[(*off)++] = (uint8_t)(0x80 | (len >> 8));
	buf[(*off)++] = (uint8_t)len;
	return 0;
}

static int open_type_put(uint8_t *buf, size_t cap, size_t *off, const struct udptl_ifp *f)
{
	if (per_len_put(buf, cap, off, f->len) < 0 || f->len > cap - *off)
		return -EMSGSIZE;
	memcpy(buf + *off, f->p, f->len);
	*off += f->len;
	return 0;
}

int udptl_encode(uint8_t *buf, size_t cap, const struct udptl_packet *pkt)
{
	size_t off = 2;
	int n = pkt->ec == UDPTL_EC_REDUNDANCY ? pkt->n : 0;

	if (cap < 2 || n < 0 || n > UDPTL_MAX_SECONDARY)
		return -EMSGSIZE;
	buf[0] = (uint8_t)(pkt->seq >> 8);
	buf[1] = (uint8_t)pkt->seq;
	if (open_type_put(buf, cap, &off, &pkt->primary) < 0 || off >= cap)
		return -EMSGSIZE;
	buf[off++] = 0;		/* secondary-ifp-packets */
	if (per_len_put(buf, cap, &off, (size_t)n) < 0)
		return -EMSGSIZE;
	for (int i = 0; i < n; i++)
		if (open_type_put(buf, cap, &off, &pkt->sec[i]) < 0)
			return -EMSGSIZE;
	return (int)off;
}

static void rx_deliver(struct udptl_rx *rx, const struct udptl_ifp *f, uint16_t seq, int recovered)
{
	if (recovered && rx->st)
		rx->st->rx_recovered++;
	if (rx->recv_h)
		rx->recv_h(rx->arg, f->p, f->len, seq, recovered);
}

int udptl_rx_feed(struct udptl_rx *rx, const uint8_t *buf, size_t n)
{
	struct udptl_packet pkt;
	int16_t ahead;

	if (udptl_decode(buf, n, &pkt) < 0) {
		if (rx->st)
			rx->st->rx_dropped++;
		return -EBADMSG;
	}
	if (rx->st)
		rx->st->rx_packets++;
	if (!rx->started) {
		rx->started = 1;
		rx->next = pkt.seq;
	}
	/* Sequence numbers wrap at 65536 (T.38 9.1); half the space either
	 * way tells ahead from behind, as RTP receivers do. */
	ahead = (int16_t)(uint16_t)(pkt.seq - rx->next);
	if (ahead < 0) {
		if (rx->st)
			rx->st->rx_late++;	/* a duplicate, or its IFP came as redundancy */
		return 0;
	}
	/* A jump past UDPTL_MAX_JUMP is taken only when the packet after it
	 * follows (RFC 3550 A.1's probation for RTP): one stray or forged
	 * datagram must not make the real stream look old. */
	if (ahead > UDPTL_MAX_JUMP) {
		if (!rx->probation || pkt.seq != rx->jump_next) {
			rx->probation = 1;
			rx->jump_next = (uint16_t)(pkt.seq + 1);
			if (rx->st)
				rx->st->rx_jumped++;
			return 0;
		}
		rx->next = pkt.seq;	/* the stream restarted there: no gap to fill */
	}
	rx->probation = 0;
	/* The gap next .. seq-1: secondary IFP i is seq-1-i (T.38 9.1.2). FEC
	 * recovery (T.38 9.1.3) is not done: those count as lost. */
	for (uint16_t s = rx->next; s != pkt.seq; s++) {
		int i = (uint16_t)(pkt.seq - 1 - s);

		if (pkt.ec == UDPTL_EC_REDUNDANCY && i < pkt.n && pkt.sec[i].len)
			rx_deliver(rx, &pkt.sec[i], s, 1);
		else if (rx->st)
			rx->st->rx_lost++;
	}
	rx_deliver(rx, &pkt.primary, pkt.seq, 0);
	rx->next = (uint16_t)(pkt.seq + 1);
	return 0;
}

int udptl_tx_build(struct udptl_tx *tx, const uint8_t *ifp, size_t len, uint8_t *buf, size_t cap)
{
	struct udptl_packet pkt = { .seq = tx->seq, .primary = { ifp, len }, .ec = tx->ec };
	size_t max = tx->max_datagram && tx->max_datagram < cap ? tx->max_datagram : cap;
	int rc;

	if (!len || len > UDPTL_MAX_IFP)
		return -EMSGSIZE;
	if (tx->ec == UDPTL_EC_REDUNDANCY) {
		pkt.n = tx->depth < tx->n_hist ? tx->depth : tx->n_hist;
		for (int i = 0; i < pkt.n; i++)
			pkt.sec[i] = (struct udptl_ifp){ tx->hist[i], tx->hist_len[i] };
	}
	/* The oldest redundancy goes first when the datagram would be too big
	 * for the peer (T38FaxMaxDatagram); the primary alone must fit. */
	while ((rc = udptl_encode(buf, max, &pkt)) < 0 && pkt.n > 0)
		pkt.n--;
	if (rc < 0)
		return rc;
	if (tx->depth > 0) {
		int keep = tx->depth < UDPTL_MAX_REDUNDANCY ? tx->depth : UDPTL_MAX_REDUNDANCY;

		memmove(tx->hist[1], tx->hist[0], sizeof(tx->hist[0]) * (size_t)(keep - 1));
		memmove(tx->hist_len + 1, tx->hist_len, sizeof(tx->hist_len[0]) * (size_t)(keep - 1));
		memcpy(tx->hist[0], ifp, len);
		tx->hist_len[0] = len;
		if (tx->n_hist < keep)
			tx->n_hist++;
	}
	tx->seq++;
	return rc;
}

/* ---- the session */

struct udptl_session {
	su_root_t *root;
	int fd;
	int reg;		/* su_root_register() index, 0 = not registered */
	su_wait_t wait[1];
	int local_port;
	struct sockaddr_storage local;	/* rtp.address, port 0 */
	struct sockaddr_storage remote;	/* in family */
	int has_remote;
	struct udptl_rx rx;
	struct udptl_tx tx;
	struct udptl_stats st;
};

static int udptl_readable(su_root_magic_t *magic, su_wait_t *w, su_wakeup_arg_t *arg)
{
	struct udptl_session *us = (struct udptl_session *)arg;
	uint8_t buf[UDPTL_MAX_DATAGRAM];
	int errs = 0;

	for (;;) {
		ssize_t n = recv(us->fd, buf, sizeof(buf), 0);

		if (n < 0 && errno == ECONNREFUSED && errs++ < 8)
			continue;
		if (n < 0)
			break;
		(void)udptl_rx_feed(&us->rx, buf, (size_t)n);
	}
	return 0;
}

/* The socket on rtp.address (either family, :: dual-stack), on the first
 * free port of the range or the kernel's. */
static int udptl_bind(struct udptl_session *us, const char *ip, int pmin, int pmax)
{
	struct sockaddr_storage ss;
	int fd = -EADDRINUSE;

	if (netaddr_parse(ip ? ip : "0.0.0.0", &ss))
		return -EINVAL;
	us->local = ss;
	if (!pmin && !pmax) {
		fd = netaddr_udp_bind(&ss, 0, &us->local_port);
	} else {
		for (int p = pmin; p <= pmax && fd < 0; p++) {
			fd = netaddr_udp_bind(&ss, p, &us->local_port);
			if (fd < 0 && fd != -EADDRINUSE)
				return fd;
		}
	}
	if (fd < 0)
		return fd;
	us->fd = fd;
	return 0;
}

int udptl_alloc(struct udptl_session **usp, su_root_t *root, const struct udptl_params *p)
{
	struct udptl_session *us;
	int rc;

	if (p->ec == UDPTL_EC_REDUNDANCY && (p->redundancy < 1 || p->redundancy > UDPTL_MAX_REDUNDANCY))
		return -EINVAL;
	us = calloc(1, sizeof(*us));
	if (!us)
		return -ENOMEM;
	us->root = root;
	us->rx = (struct udptl_rx){ .st = &us->st, .recv_h = p->recv_h, .arg = p->arg };
	/* We do not send FEC (T.38 9.1.3): a peer asking for it gets redundancy,
	 * which every receiver reads (the CHOICE tells them apart). */
	us->tx.ec = p->ec == UDPTL_EC_NONE ? UDPTL_EC_NONE : UDPTL_EC_REDUNDANCY;
	us->tx.depth = us->tx.ec == UDPTL_EC_REDUNDANCY ? p->redundancy : 0;
	if (us->tx.depth < 1 && us->tx.ec == UDPTL_EC_REDUNDANCY)
		us->tx.depth = 1;
	us->fd = -1;
	rc = udptl_bind(us, p->local_ip, p->port_min, p->port_max);
	if (rc)
		goto out;
	if (su_wait_create(us->wait, us->fd, SU_WAIT_IN) < 0) {
		rc = -EIO;
		goto out;
	}
	us->reg = su_root_register(root, us->wait, udptl_readable, (su_wakeup_arg_t *)us, 0);
	if (us->reg <= 0) {
		su_wait_destroy(us->wait);
		us->reg = 0;
		rc = -EIO;
		goto out;
	}
	*usp = us;
	return 0;
out:
	udptl_free(us);
	return rc;
}

void udptl_free(struct udptl_session *us)
{
	if (!us)
		return;
	if (us->reg)
		su_root_deregister(us->root, us->reg);
	if (us->fd >= 0)
		close(us->fd);
	free(us);
}

int udptl_local_port(const struct udptl_session *us)
{
	return us->local_port;
}

int udptl_set_remote(struct udptl_session *us, const char *ip, int port)
{
	struct sockaddr_storage sin;

	if (!ip || port <= 0 || (netaddr_parse(ip, &sin) == 0 && netaddr_is_any(&sin))) {
		us->has_remote = 0;
		return 0;
	}
	if (port > 65535 || netaddr_parse(ip, &sin))
		return -EINVAL;
	if (netaddr_to_family(&sin, &us->local)) {
		us->has_remote = 0;
		return -EAFNOSUPPORT;	/* an IPv6 peer, an IPv4 socket (or IPv4 on a given v6 one) */
	}
	netaddr_set_port(&sin, port);
	us->remote = sin;
	us->has_remote = 1;
	return 0;
}

void udptl_set_max_datagram(struct udptl_session *us, size_t max)
{
	us->tx.max_datagram = max;
}

int udptl_send(struct udptl_session *us, const uint8_t *ifp, size_t len, int count)
{
	uint8_t buf[UDPTL_MAX_DATAGRAM];
	int n;

	if (!us->has_remote)
		return 0;
	n = udptl_tx_build(&us->tx, ifp, len, buf, sizeof(buf));
	if (n < 0)
		return n;
	if (us->tx.ec == UDPTL_EC_REDUNDANCY || count < 1)
		count = 1;
	for (int i = 0; i < count; i++) {
		if (sendto(us->fd, buf, (size_t)n, 0, (const struct sockaddr *)&us->remote,
			   netaddr_len(&us->remote)) < 0)
			return -errno;
		us->st.tx_packets++;
	}
	return 0;
}

void udptl_get_stats(const struct udptl_session *us, struct udptl_stats *st)
{
	*st = us->st;
}
