/* sipgw - the Prometheus endpoint: GET /metrics over HTTP/1.x on
 * metrics.listen, served from the event loop without blocking it. One
 * request per connection (Connection: close). A request is at most
 * METRICS_HTTP_MAX_REQ bytes and the whole exchange takes at most
 * METRICS_HTTP_TIMEOUT_MS; at most METRICS_HTTP_MAX_CONNS connections are
 * open at once, so idle clients cannot pile up. SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_CORE_METRICS_HTTP_H
#define SIPGW_CORE_METRICS_HTTP_H

#include <stddef.h>
#include <sys/socket.h>

struct su_root_s;
struct stats;
struct metrics_http;

#define METRICS_HTTP_MAX_REQ 8192
#define METRICS_HTTP_TIMEOUT_MS 5000
#define METRICS_HTTP_MAX_CONNS 16

/* The Content-Type of the text format, version 0.0.4. */
#define METRICS_HTTP_CTYPE "text/plain; version=0.0.4; charset=utf-8"

struct metrics_http_params {
	struct su_root_s *root;
	const char *listen;	/* "127.0.0.1:9464", "[::1]:9464" */
	struct stats *stats;
	unsigned timeout_ms;	/* 0: METRICS_HTTP_TIMEOUT_MS */
	unsigned max_conns;	/* 0: METRICS_HTTP_MAX_CONNS */
};

/** Listen on p->listen. 0, -EINVAL (not ADDR:PORT), or the bind's -errno. */
int metrics_http_alloc(struct metrics_http **mp, const struct metrics_http_params *p);
/** Close the listener and every connection. NULL is fine. */
void metrics_http_free(struct metrics_http *m);
/** The port listened on (the kernel's when the config said 0, for tests). */
int metrics_http_port(const struct metrics_http *m);

/** "ADDR:PORT" with an IPv4 address or a bracketed IPv6 one, port 0..65535,
 * into ss. 0 or -EINVAL. config checks metrics.listen with it. */
int metrics_listen_parse(const char *s, struct sockaddr_storage *ss);

/* What a request asks, once its head is in. */
struct metrics_http_req {
	int status;	/* 200 (GET/HEAD /metrics), 400, 404, 405, 505 */
	int head;	/* HEAD: the answer without its body */
};

/** Parse the request in buf[0..len) (RFC 9112 2-5: request line, header
 * lines, an empty line; bare LF taken for CRLF). 0 with *rq when the head
 * is complete (a malformed one is status 400); -EAGAIN when more is to come.
 * Reads nothing past len; buf need not be terminated. */
int metrics_http_parse(const char *buf, size_t len, struct metrics_http_req *rq);

#endif
