/* sipgw - the Prometheus endpoint on the event loop (metrics_http.h).
 *
 * Every socket is non-blocking and every step is one read or one write
 * when the loop says the socket is ready, so a slow or silent client
 * costs a slot and a timer, never the loop's time. A connection reads its
 * request (at most METRICS_HTTP_MAX_REQ bytes), writes the whole answer,
 * then closes its sending side and reads what the client still sends
 * until it closes: a close with unread input would reset the connection
 * and could destroy the answer in flight (RFC 9112 9.6). The deadline
 * covers all of it. SPDX-License-Identifier: GPL-2.0-only */
#include "core/metrics_http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "core/loop.h"
#include "core/netaddr.h"
#include "core/stats.h"

/* connections accepted per wake-up of the listener: a flood of them waits
 * in the kernel's backlog while calls are served */
#define MH_ACCEPT_BURST 8
/* accept failing for want of fds or memory: the listener stays readable, so
 * it is not watched for this long rather than spinning the loop */
#define MH_ACCEPT_PAUSE_MS 250

enum mh_state { MH_READING, MH_WRITING, MH_DRAINING };

struct mh_conn {
	TAILQ_ENTRY(mh_conn) entry;	/* oldest first */
	struct metrics_http *m;
	int fd;
	enum mh_state state;
	struct loop_fd *w;
	struct loop_timer *deadline;
	char peer[NETADDR_STRLEN + 8];
	char req[METRICS_HTTP_MAX_REQ];
	size_t req_len;
	char *out;
	size_t out_len, out_off;
};

struct metrics_http {
	struct su_root_s *root;
	struct stats *stats;
	int fd, port;
	struct loop_fd *w;		/* NULL while accepting is paused */
	struct loop_timer *resume;
	unsigned timeout_ms, max_conns, n_conns;
	TAILQ_HEAD(, mh_conn) conns;
	struct log_limit lim_big, lim_slow, lim_full, lim_accept;	/* one line per kind a client can repeat */
	unsigned long scrapes;
};

static void conn_free(struct mh_conn *c)
{
	struct metrics_http *m = c->m;

	TAILQ_REMOVE(&m->conns, c, entry);
	m->n_conns--;
	loop_fd_free(c->w);
	loop_timer_free(c->deadline);
	close(c->fd);
	free(c->out);
	free(c);
}

static const char *status_phrase(int st)
{
	switch (st) {
	case 200: return "OK";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 505: return "HTTP Version Not Supported";
	default: return "Bad Request";
	}
}

/* The whole answer into c->out: the exposition for 200, a line of text else. */
static int conn_answer(struct mh_conn *c, const struct metrics_http_req *rq)
{
	char *body = NULL, errbody[64];
	size_t blen = 0;
	FILE *f;
	int rc = 0;

	if (rq->status == 200) {
		if ((rc = stats_render(c->m->stats, &body, &blen)))
			return rc;
		c->m->scrapes++;
	} else {
		blen = (size_t)snprintf(errbody, sizeof(errbody), "%d %s\n", rq->status,
					status_phrase(rq->status));
	}
	if (!(f = open_memstream(&c->out, &c->out_len))) {
		free(body);
		return -ENOMEM;
	}
	fprintf(f, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%sConnection: close\r\n\r\n",
		rq->status, status_phrase(rq->status), rq->status == 200 ? METRICS_HTTP_CTYPE : "text/plain",
		blen, rq->status == 405 ? "Allow: GET, HEAD\r\n" : "");
	if (!rq->head)
		fwrite(rq->status == 200 ? body : errbody, 1, blen, f);
	if (fclose(f))
		rc = -ENOMEM;
	free(body);
	return rc;
}

static void conn_write(struct mh_conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;	/* the loop calls again when there is room */
		if (n <= 0) {
			conn_free(c);
			return;
		}
		c->out_off += (size_t)n;
	}
	shutdown(c->fd, SHUT_WR);
	c->state = MH_DRAINING;
	loop_fd_writable(c->w, 0);
}

static void conn_read(struct mh_conn *c)
{
	struct metrics_http *m = c->m;
	struct metrics_http_req rq;
	char sink[512];
	ssize_t n;

	if (c->state == MH_DRAINING) {
		n = recv(c->fd, sink, sizeof(sink), 0);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			conn_free(c);
		return;
	}
	n = recv(c->fd, c->req + c->req_len, sizeof(c->req) - c->req_len, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_free(c);
		return;
	}
	c->req_len += (size_t)n;
	if (metrics_http_parse(c->req, c->req_len, &rq) == -EAGAIN) {
		if (c->req_len == sizeof(c->req)) {
			log_limited(&m->lim_big, LSS_CORE, LOG_LVL_NOTICE,
				    "metrics: request from %s over %d bytes: closed", c->peer,
				    METRICS_HTTP_MAX_REQ);
			conn_free(c);
		}
		return;
	}
	if (rq.status != 200)
		LOGI(LSS_CORE, "metrics: %s: %d %s", c->peer, rq.status, status_phrase(rq.status));
	if (conn_answer(c, &rq)) {
		LOGW(LSS_CORE, "metrics: no memory for the answer to %s", c->peer);
		conn_free(c);
		return;
	}
	c->state = MH_WRITING;
	if (loop_fd_writable(c->w, 1)) {
		conn_free(c);
		return;
	}
	conn_write(c);
}

static void conn_ready(void *arg, int fd)
{
	struct mh_conn *c = arg;

	if (c->state == MH_WRITING)
		conn_write(c);
	else
		conn_read(c);
}

static void conn_timeout(void *arg)
{
	struct mh_conn *c = arg;

	if (c->state != MH_DRAINING)
		log_limited(&c->m->lim_slow, LSS_CORE, LOG_LVL_NOTICE,
			    "metrics: %s not done in %u ms: closed", c->peer, c->m->timeout_ms);
	conn_free(c);
}

/* At the cap, the oldest connection still reading (or draining) makes
 * room: a scrape is done in milliseconds, so the oldest of a full house
 * is the one most likely idle. Writers are left to finish. */
static int make_room(struct metrics_http *m)
{
	struct mh_conn *c;

	if (m->n_conns < m->max_conns)
		return 0;
	TAILQ_FOREACH(c, &m->conns, entry)
		if (c->state != MH_WRITING) {
			log_limited(&m->lim_full, LSS_CORE, LOG_LVL_NOTICE,
				    "metrics: %u connections open: %s closed for a new one", m->n_conns,
				    c->peer);
			conn_free(c);
			return 0;
		}
	return -EBUSY;
}

static void conn_accept(struct metrics_http *m, int fd, const struct sockaddr_storage *ss)
{
	struct mh_conn *c;
	char addr[NETADDR_STRLEN];

	if (make_room(m) || !(c = calloc(1, sizeof(*c)))) {
		close(fd);
		return;
	}
	c->m = m;
	c->fd = fd;
	if (netaddr_str(ss, addr, sizeof(addr)))
		snprintf(addr, sizeof(addr), "?");
	snprintf(c->peer, sizeof(c->peer), ss->ss_family == AF_INET6 ? "[%s]:%d" : "%s:%d", addr,
		 netaddr_port(ss));
	TAILQ_INSERT_TAIL(&m->conns, c, entry);
	m->n_conns++;
	if (loop_fd_alloc(&c->w, m->root, fd, conn_ready, c) ||
	    loop_timer_alloc(&c->deadline, m->root, "metrics-request", conn_timeout, c) ||
	    loop_timer_start(c->deadline, m->timeout_ms)) {
		conn_free(c);
		return;
	}
}

static void listen_ready(void *arg, int fd);

static void accept_resume(void *arg)
{
	struct metrics_http *m = arg;

	if (!m->w && loop_fd_alloc(&m->w, m->root, m->fd, listen_ready, m))
		loop_timer_start(m->resume, MH_ACCEPT_PAUSE_MS);
}

static void listen_ready(void *arg, int fd)
{
	struct metrics_http *m = arg;

	for (int i = 0; i < MH_ACCEPT_BURST; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int cfd = accept4(fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (cfd < 0 && (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)) {
			log_limited(&m->lim_accept, LSS_CORE, LOG_LVL_WARN, "metrics: accept: %s; pausing %d ms",
				    strerror(errno), MH_ACCEPT_PAUSE_MS);
			loop_fd_free(m->w);
			m->w = NULL;
			loop_timer_start(m->resume, MH_ACCEPT_PAUSE_MS);
			return;
		}
		if (cfd < 0)
			return;	/* EAGAIN; ECONNABORTED, EINTR: the next wake-up */
		conn_accept(m, cfd, &ss);
	}
}

static int listen_on(struct metrics_http *m, const struct sockaddr_storage *ss)
{
	struct sockaddr_storage bound;
	socklen_t bl = sizeof(bound);
	int one = 1, fd;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)ss, netaddr_len(ss)) || listen(fd, 64) ||
	    getsockname(fd, (struct sockaddr *)&bound, &bl)) {
		int err = -errno;

		close(fd);
		return err;
	}
	m->fd = fd;
	m->port = netaddr_port(&bound);
	return 0;
}

int metrics_http_alloc(struct metrics_http **mp, const struct metrics_http_params *p)
{
	struct sockaddr_storage ss;
	struct metrics_http *m;
	int rc;

	if (!p->stats || metrics_listen_parse(p->listen, &ss))
		return -EINVAL;
	if (!(m = calloc(1, sizeof(*m))))
		return -ENOMEM;
	m->root = p->root;
	m->stats = p->stats;
	m->fd = -1;
	m->timeout_ms = p->timeout_ms ? p->timeout_ms : METRICS_HTTP_TIMEOUT_MS;
	m->max_conns = p->max_conns ? p->max_conns : METRICS_HTTP_MAX_CONNS;
	TAILQ_INIT(&m->conns);
	if ((rc = listen_on(m, &ss)) || (rc = loop_fd_alloc(&m->w, m->root, m->fd, listen_ready, m)) ||
	    (rc = loop_timer_alloc(&m->resume, m->root, "metrics-accept-pause", accept_resume, m))) {
		metrics_http_free(m);
		return rc;
	}
	LOGN(LSS_CORE, "metrics: Prometheus endpoint on http://%s/metrics (port %d)", p->listen, m->port);
	*mp = m;
	return 0;
}

void metrics_http_free(struct metrics_http *m)
{
	if (!m)
		return;
	while (!TAILQ_EMPTY(&m->conns))
		conn_free(TAILQ_FIRST(&m->conns));
	loop_fd_free(m->w);
	loop_timer_free(m->resume);
	if (m->fd >= 0)
		close(m->fd);
	free(m);
}

int metrics_http_port(const struct metrics_http *m) { return m->port; }
