/* sipgw - loopback span back end: the span is a pair of listening Unix
 * SOCK_SEQPACKET sockets (DESIGN.md "Loopback span"). One far end at a time;
 * when it goes, the next connection takes its place and Q.921 re-establishes
 * the link by itself. SPDX-License-Identifier: GPL-2.0-only */
#include "loopback.h"
#include "span_hw.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"
#include "core/log.h"
#include "core/loop.h"

/* Q.921 2.2/3.1: the shortest frame is a U or S frame: two address
 * octets and one control octet; libpri's frames carry 2 FCS bytes more. */
#define LB_DCHAN_MIN (2 + 1 + 2)

struct lb_sock {
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int lfd, cfd;			/* listening and connected fds, -1 when none */
	struct loop_fd *lw, *cw;
	unsigned long empty, bad;	/* 0-byte and malformed datagrams dropped */
	struct log_limit lim_empty, lim_bad, lim_refused;
};

struct span_hw {
	struct su_root_s *root;
	char name[CFG_NAME];
	struct lb_sock d, b;
	const struct span_hw_cbs *cbs;
	void *arg;
};

/* A span's tick's frames, sent by one sendmmsg() at its end (b_batch_end).
 * One tick of one span at a time per thread, so one buffer per thread. */
#define LB_TX_BATCH 32
struct lb_batch {
	struct span_hw *hw;		/* the span whose tick it is; NULL: none */
	unsigned n;
	unsigned lost;			/* frames a full buffer lost mid-tick */
	uint8_t dgram[LB_TX_BATCH][LB_AUDIO_DGRAM];
};
static _Thread_local struct lb_batch lb_tx;

static int sock_listen(struct lb_sock *s, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	snprintf(s->path, sizeof(s->path), "%s", path);
	strcpy(sa.sun_path, path);
	s->lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->lfd < 0)
		return -errno;
	unlink(path);	/* a stale socket from an earlier run */
	if (bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(s->lfd, 4) < 0) {
		int rc = -errno;
		close(s->lfd);
		s->lfd = -1;
		return rc;
	}
	return 0;
}

/* recv() gave 0. On SOCK_SEQPACKET that is a 0-byte datagram as well as
 * end of file: only the socket's hang-up state tells them apart (POLLRDHUP:
 * the far end shut down or closed; POLLHUP: both directions). */
static int sock_hung_up(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLRDHUP };

	return poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

/* A recv() error that means the far end is gone, not "try again". */
static int recv_hang_up(ssize_t n, int fd)
{
	if (n < 0)
		return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
	return n == 0 && sock_hung_up(fd);
}

static void sock_drop(struct lb_sock *s)
{
	loop_fd_free(s->cw);
	s->cw = NULL;
	if (s->cfd >= 0)
		close(s->cfd);
	s->cfd = -1;
}

static void d_conn_cb(void *arg, int fd)
{
	struct span_hw *hw = arg;
	hw->cbs->d_readable(hw->arg);
}

/* How long a datagram waited in our socket: the kernel stamps it as the far
 * end sends (SO_TIMESTAMPNS, CLOCK_REALTIME); -1 without a stamp. Read in
 * the same recvmsg, so it costs no system call. */
static long long b_waited_ns(struct msghdr *mh)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec ts, now;

			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			clock_gettime(CLOCK_REALTIME, &now);
			return (now.tv_sec - ts.tv_sec) * 1000000000LL + (now.tv_nsec - ts.tv_nsec);
		}
	return -1;
}

/* Datagrams read by one recvmmsg(): an E1's channels, one frame each per
 * 20 ms. Fewer back means the socket is empty: no read only to meet
 * EAGAIN. */
#define LB_RX_BATCH 32

static void b_conn_cb(void *arg, int fd)
{
	struct span_hw *hw = arg;
	uint8_t buf[LB_RX_BATCH][LB_AUDIO_DGRAM + 8];
	union { char b[CMSG_SPACE(sizeof(struct timespec))]; struct cmsghdr align; } ctl[LB_RX_BATCH];
	struct iovec iov[LB_RX_BATCH];
	struct mmsghdr mm[LB_RX_BATCH];

	for (;;) {
		int got;

		memset(mm, 0, sizeof(mm));
		for (int i = 0; i < LB_RX_BATCH; i++) {
			iov[i] = (struct iovec){ .iov_base = buf[i], .iov_len = sizeof(buf[i]) };
			mm[i].msg_hdr = (struct msghdr){ .msg_iov = &iov[i], .msg_iovlen = 1,
							 .msg_control = ctl[i].b, .msg_controllen = sizeof(ctl[i].b) };
		}
		got = recvmmsg(fd, mm, LB_RX_BATCH, MSG_TRUNC | MSG_DONTWAIT, NULL);
		if (got < 0) {
			if (recv_hang_up(got, fd))
				goto gone;
			return;
		}
		if (got > 1 && hw->cbs->b_rx_batch)
			hw->cbs->b_rx_batch(hw->arg, 0);
		for (int i = 0; i < got; i++) {
			ssize_t n = (ssize_t)mm[i].msg_len;

			if (n == 0) {
				/* a 0-byte datagram, or the far end's close: at
				 * end of file each slot reads as 0 bytes */
					if (sock_hung_up(fd)) {
					if (got > 1 && hw->cbs->b_rx_batch)
						hw->cbs->b_rx_batch(hw->arg, 1);
					goto gone;
				}
				hw->b.empty++;
				LOGN_LIMIT(&hw->b.lim_empty, LSS_Q931,
					   "span %s: empty B-channel datagram ignored (%lu so far)", hw->name,
					   hw->b.empty);
				continue;
			}
			if (n != LB_AUDIO_DGRAM) {
				hw->b.bad++;
				LOGW_LIMIT(&hw->b.lim_bad, LSS_Q931,
					   "span %s: B-channel datagram of %zd bytes dropped (want %d; %lu so far)",
					   hw->name, n, LB_AUDIO_DGRAM, hw->b.bad);
				continue;
			}
			if (hw->cbs->b_waited)
				hw->cbs->b_waited(hw->arg, buf[i][0], b_waited_ns(&mm[i].msg_hdr));
			hw->cbs->b_frame(hw->arg, buf[i][0], buf[i] + 1, LB_AUDIO_SAMPLES);
		}
		if (got > 1 && hw->cbs->b_rx_batch)
			hw->cbs->b_rx_batch(hw->arg, 1);
		if (got < LB_RX_BATCH)
			return;
	}
gone:
	LOGN(LSS_Q931, "span %s: B-channel peer went away (%lu empty, %lu malformed "
	     "datagrams dropped)", hw->name, hw->b.empty, hw->b.bad);
	sock_drop(&hw->b);
}

/* A new far end: one at a time, so a second one is turned away. */
static void accept_cb(struct span_hw *hw, struct lb_sock *s, loop_fd_h *h, const char *what)
{
	int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (s->cfd >= 0) {
		LOGW_LIMIT(&s->lim_refused, LSS_Q931, "span %s: %s already has a peer; refusing another",
			   hw->name, what);
		close(fd);
		return;
	}
	s->cfd = fd;
	s->empty = s->bad = 0;
	/* the audio's stamps: how long each frame waited for us (b_conn_cb) */
	if (s == &hw->b && setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &(int){ 1 }, sizeof(int)) < 0)
		LOGW(LSS_Q931, "span %s: SO_TIMESTAMPNS: %s (no B-channel wait figures)", hw->name,
		     strerror(errno));
	if (loop_fd_alloc(&s->cw, hw->root, fd, h, hw) < 0) {
		close(fd);
		s->cfd = -1;
		return;
	}
	LOGN(LSS_Q931, "span %s: %s peer connected", hw->name, what);
	if (s == &hw->d)
		hw->cbs->link(hw->arg, 1);
}

static void d_listen_cb(void *arg, int fd) { struct span_hw *hw = arg; accept_cb(hw, &hw->d, d_conn_cb, "D-channel"); }
static void b_listen_cb(void *arg, int fd) { struct span_hw *hw = arg; accept_cb(hw, &hw->b, b_conn_cb, "B-channel"); }

static void lb_close(struct span_hw *hw)
{
	struct lb_sock *socks[] = { &hw->d, &hw->b };

	if (!hw)
		return;
	if (lb_tx.hw == hw)
		lb_tx.hw = NULL;
	for (int i = 0; i < 2; i++) {
		struct lb_sock *s = socks[i];
		sock_drop(s);
		loop_fd_free(s->lw);
		if (s->lfd >= 0) {
			close(s->lfd);
			unlink(s->path);
		}
	}
	free(hw);
}

static int lb_open(struct span_hw **hwp, const struct cfg_span *cfg, struct su_root_s *root,
		   const struct span_hw_cbs *cbs, void *arg)
{
	struct span_hw *hw = calloc(1, sizeof(*hw));
	char bpath[sizeof(hw->b.path)];
	int rc;

	if (!hw)
		return -ENOMEM;
	hw->root = root;
	hw->cbs = cbs;
	hw->arg = arg;
	snprintf(hw->name, sizeof(hw->name), "%s", cfg->name);
	hw->d.lfd = hw->d.cfd = hw->b.lfd = hw->b.cfd = -1;
	if (snprintf(bpath, sizeof(bpath), "%s" LB_AUDIO_SUFFIX, cfg->path) >= (int)sizeof(bpath)) {
		rc = -ENAMETOOLONG;
		goto err;
	}
	/* NFAS, nfas_d none: the span's calls are signalled on another
	 * span's D-channel; it has only its audio socket. */
	if (!(cfg->nfas_group && cfg->nfas_d == NFAS_D_NONE) &&
	    ((rc = sock_listen(&hw->d, cfg->path)) ||
	     (rc = loop_fd_alloc(&hw->d.lw, root, hw->d.lfd, d_listen_cb, hw))))
		goto err;
	if ((rc = sock_listen(&hw->b, bpath)) ||
	    (rc = loop_fd_alloc(&hw->b.lw, root, hw->b.lfd, b_listen_cb, hw)))
		goto err;
	*hwp = hw;
	return 0;
err:
	LOGE(LSS_Q931, "span %s: cannot listen on %s: %s", cfg->name, cfg->path, strerror(-rc));
	lb_close(hw);
	return rc;
}

/* One well-formed frame, or -1 with nothing (more) to read. Empty and
 * malformed datagrams are skipped and counted: only a hang-up ends the
 * link, so one odd datagram cannot clear every call on the span. */
static ssize_t lb_d_read(struct span_hw *hw, void *buf, size_t len)
{
	for (;;) {
		ssize_t n;

		if (hw->d.cfd < 0)
			return -1;
		n = recv(hw->d.cfd, buf, len, MSG_TRUNC);
		if (recv_hang_up(n, hw->d.cfd)) {
			LOGN(LSS_Q931, "span %s: D-channel peer went away (%lu empty, %lu malformed "
			     "datagrams dropped)", hw->name, hw->d.empty, hw->d.bad);
			sock_drop(&hw->d);
			hw->cbs->link(hw->arg, 0);
			return -1;
		}
		if (n < 0)
			return -1;
		if (n == 0) {
			hw->d.empty++;
			LOGN_LIMIT(&hw->d.lim_empty, LSS_Q931,
				   "span %s: empty D-channel datagram ignored (%lu so far)", hw->name,
				   hw->d.empty);
			continue;
		}
		if (n < LB_DCHAN_MIN || (size_t)n > len) {
			hw->d.bad++;
			LOGW_LIMIT(&hw->d.lim_bad, LSS_Q931,
				   "span %s: D-channel datagram of %zd bytes dropped (a Q.921 frame is "
				   "%d to %zu; %lu so far)", hw->name, n, LB_DCHAN_MIN, len, hw->d.bad);
			continue;
		}
		return n;
	}
}

static ssize_t lb_d_write(struct span_hw *hw, const void *buf, size_t len)
{
	/* No peer: the frame is lost on the line, as on an unplugged T1; Q.921
	 * retransmits and declares the link down by itself (T200, N200). */
	if (hw->d.cfd < 0)
		return (ssize_t)len;
	if (send(hw->d.cfd, buf, len, MSG_NOSIGNAL) < 0)
		return (ssize_t)len;
	return (ssize_t)len;
}

static unsigned lb_flush(struct lb_batch *bt)
{
	struct mmsghdr mm[LB_TX_BATCH];
	struct iovec iov[LB_TX_BATCH];
	unsigned sent = 0, n = bt->n;
	int fd = bt->hw->b.cfd;

	bt->n = 0;
	if (fd < 0)
		return 0;
	memset(mm, 0, sizeof(mm));
	for (unsigned i = 0; i < n; i++) {
		iov[i] = (struct iovec){ .iov_base = bt->dgram[i], .iov_len = LB_AUDIO_DGRAM };
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	/* A full socket buffer means the far end stopped reading: the rest
	 * are lost as on a real TDM channel; the loop is never blocked. */
	while (sent < n) {
		int r = sendmmsg(fd, mm + sent, n - sent, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (r <= 0)
			return n - sent;
		sent += (unsigned)r;
	}
	return 0;
}

static void lb_b_batch_begin(struct span_hw *hw)
{
	if (lb_tx.hw && lb_tx.n)
		lb_flush(&lb_tx);
	lb_tx.hw = hw;
	lb_tx.n = lb_tx.lost = 0;
}

static unsigned lb_b_batch_end(struct span_hw *hw)
{
	unsigned lost = 0;

	if (lb_tx.hw != hw)
		return 0;
	lost = lb_tx.lost + (lb_tx.n ? lb_flush(&lb_tx) : 0);
	lb_tx.hw = NULL;
	return lost;
}

static int lb_b_write(struct span_hw *hw, int chan, const uint8_t *frame, size_t len)
{
	uint8_t buf[LB_AUDIO_DGRAM];

	if (hw->b.cfd < 0)
		return -ENOTCONN;
	if (len != LB_AUDIO_SAMPLES)
		return -EINVAL;
	if (lb_tx.hw == hw) {		/* in the span's tick: sent at its end */
		if (lb_tx.n == LB_TX_BATCH)	/* more channels than a batch */
			lb_tx.lost += lb_flush(&lb_tx);
		lb_tx.dgram[lb_tx.n][0] = (uint8_t)chan;
		memcpy(lb_tx.dgram[lb_tx.n++] + 1, frame, len);
		return 0;
	}
	buf[0] = (uint8_t)chan;
	memcpy(buf + 1, frame, len);
	if (send(hw->b.cfd, buf, sizeof(buf), MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		return -errno;
	return 0;
}

/* The D-channel and the audio are separate sockets: a D-channel peer that
 * went leaves the audio to whoever still holds the other. */
static int lb_b_alive(struct span_hw *hw)
{
	return hw->b.cfd >= 0;
}

const struct span_hw_ops loopback_hw_ops = {
	.name = "loopback",
	.open = lb_open,
	.close = lb_close,
	.d_read = lb_d_read,
	.d_write = lb_d_write,
	.b_write = lb_b_write,
	.b_batch_begin = lb_b_batch_begin,
	.b_batch_end = lb_b_batch_end,
	.b_alive = lb_b_alive,
};
