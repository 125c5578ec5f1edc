/* sipgw - unit tests: the metrics registry and its Prometheus text
 * exposition (core/stats.h: names, label escaping, histograms cumulative
 * to +Inf, collect hooks), the endpoint's request parser and its server on
 * a real loop (core/metrics_http.h: 200/404/405, oversized and slow
 * requests closed, the connection cap), and the calls' figures the bridge
 * keeps (bridge/call_stats.h) between fake legs.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sofia-sip/su_wait.h>

#include "bridge/bridge.h"
#include "bridge/call_stats.h"
#include "bridge/cause.h"
#include "core/ctl.h"
#include "core/log.h"
#include "core/metrics_http.h"
#include "core/stats.h"
#include "fake_leg.h"
#include "unit.h"

static char *render(struct stats *s)
{
	char *buf = NULL;
	size_t len = 0;

	CU_ASSERT_EQUAL(stats_render(s, &buf, &len), 0);
	CU_ASSERT_EQUAL(buf ? strlen(buf) : 0, len);
	return buf;
}

#define TEXT_IS(got, want)                                                               \
	do {                                                                             \
		const char *got_ = (got), *want_ = (want);                               \
		if (strcmp(got_, want_))                                                 \
			fprintf(stderr, "\n  got:\n%s  want:\n%s", got_, want_);         \
		CU_ASSERT_STRING_EQUAL(got_, want_);                                     \
	} while (0)

static void test_names(void)
{
	struct stats *s;

	CU_ASSERT(stats_valid_name("sipgw_calls_active"));
	CU_ASSERT(stats_valid_name("ns:sub_x9"));
	CU_ASSERT(!stats_valid_name("9x"));
	CU_ASSERT(!stats_valid_name(""));
	CU_ASSERT(!stats_valid_name("a-b"));
	CU_ASSERT(!stats_valid_name("a b"));
	CU_ASSERT(stats_valid_label("span"));
	CU_ASSERT(!stats_valid_label("__name"));
	CU_ASSERT(!stats_valid_label("a:b"));
	CU_ASSERT_EQUAL_FATAL(stats_alloc(&s), 0);
	CU_ASSERT_EQUAL(stats_family_add(s, NULL, &(struct stats_family_params){
		.name = "x_total", .help = "x", .type = STATS_COUNTER }), 0);
	CU_ASSERT_EQUAL(stats_family_add(s, NULL, &(struct stats_family_params){
		.name = "x_total", .help = "again", .type = STATS_GAUGE }), -EEXIST);
	CU_ASSERT_EQUAL(stats_family_add(s, NULL, &(struct stats_family_params){
		.name = "bad-name", .help = "x", .type = STATS_GAUGE }), -EINVAL);
	CU_ASSERT_EQUAL(stats_family_add(s, NULL, &(struct stats_family_params){
		.name = "y", .help = "x", .type = STATS_GAUGE, .labels = { "a", "a" } }), -EINVAL);
	/* le is the histogram's own label; bounds must rise */
	CU_ASSERT_EQUAL(stats_family_add(s, NULL, &(struct stats_family_params){
		.name = "h", .help = "x", .type = STATS_HISTOGRAM, .labels = { "le" },
		.bounds = (const double[]){ 1 }, .n_bounds = 1 }), -EINVAL);
	CU_ASSERT_EQUAL(stats_family_add(s, NULL, &(struct stats_family_params){
		.name = "h", .help = "x", .type = STATS_HISTOGRAM,
		.bounds = (const double[]){ 1, 1 }, .n_bounds = 2 }), -EINVAL);
	CU_ASSERT_EQUAL(stats_family_add(s, NULL, &(struct stats_family_params){
		.name = "h", .help = "x", .type = STATS_HISTOGRAM, .n_bounds = 0 }), -EINVAL);
	stats_free(s);
}

static void test_values(void)
{
	char v[40];

	stats_fmt_value(v, sizeof(v), 0);
	CU_ASSERT_STRING_EQUAL(v, "0");
	stats_fmt_value(v, sizeof(v), 17);
	CU_ASSERT_STRING_EQUAL(v, "17");
	stats_fmt_value(v, sizeof(v), 0.1);
	CU_ASSERT_STRING_EQUAL(v, "0.1");
	stats_fmt_value(v, sizeof(v), 1764633600);
	CU_ASSERT_STRING_EQUAL(v, "1764633600");
	stats_fmt_value(v, sizeof(v), INFINITY);
	CU_ASSERT_STRING_EQUAL(v, "+Inf");
	stats_fmt_value(v, sizeof(v), -INFINITY);
	CU_ASSERT_STRING_EQUAL(v, "-Inf");
	stats_fmt_value(v, sizeof(v), NAN);
	CU_ASSERT_STRING_EQUAL(v, "NaN");
	stats_fmt_value(v, sizeof(v), 1.0 / 3);
	CU_ASSERT_EQUAL(strtod(v, NULL), 1.0 / 3);	/* round trip */
}

/* Label values are escaped as the format says: backslash, quote, newline;
 * HELP escapes backslash and newline only. */
static void test_escaping(void)
{
	struct stats *s;
	struct stats_family *f;
	char out[64], *text;

	CU_ASSERT_EQUAL(stats_escape_label(out, sizeof(out), "a\\b\"c\nd"), 0);
	CU_ASSERT_STRING_EQUAL(out, "a\\\\b\\\"c\\nd");
	CU_ASSERT_EQUAL(stats_escape_label(out, 4, "abcd"), -ENOSPC);
	CU_ASSERT_EQUAL_FATAL(stats_alloc(&s), 0);
	CU_ASSERT_EQUAL_FATAL(stats_family_add(s, &f, &(struct stats_family_params){
		.name = "sipgw_test", .help = "with \\ and \"quotes\"\nand a line", .type = STATS_GAUGE,
		.labels = { "span", "peer" } }), 0);
	struct stats_series *se;
	CU_ASSERT_EQUAL_FATAL(stats_series_get(f, &se, (const char *[]){ "pbx \"a\"", "c:\\x\ny", NULL }), 0);
	stats_set(se, 3);
	/* too few label values */
	CU_ASSERT_EQUAL(stats_series_get(f, &se, (const char *[]){ "only", NULL }), -EINVAL);
	CU_ASSERT_PTR_NULL(stats_series1(f, "one"));
	text = render(s);
	TEXT_IS(text, "# HELP sipgw_test with \\\\ and \"quotes\"\\nand a line\n"
		      "# TYPE sipgw_test gauge\n"
		      "sipgw_test{span=\"pbx \\\"a\\\"\",peer=\"c:\\\\x\\ny\"} 3\n");
	free(text);
	stats_free(s);
}

static void test_counter_gauge(void)
{
	struct stats *s;
	struct stats_family *c, *g;
	struct stats_series *a, *b, *again;
	char *text;

	CU_ASSERT_EQUAL_FATAL(stats_alloc(&s), 0);
	CU_ASSERT_EQUAL_FATAL(stats_family_add(s, &c, &(struct stats_family_params){
		.name = "sipgw_x_total", .help = "X", .type = STATS_COUNTER, .labels = { "dir" } }), 0);
	CU_ASSERT_EQUAL_FATAL(stats_family_add(s, &g, &(struct stats_family_params){
		.name = "sipgw_y", .help = "Y", .type = STATS_GAUGE }), 0);
	a = stats_series1(c, "in");
	b = stats_series1(c, "out");
	again = stats_series1(c, "in");
	CU_ASSERT_PTR_EQUAL(a, again);
	stats_inc(a);
	stats_inc(a);
	stats_add(b, 5);
	stats_add(b, -3);	/* a counter never goes down */
	stats_inc(NULL);	/* no registry: nothing happens */
	stats_set(stats_series1(g, NULL), -2.5);
	CU_ASSERT_EQUAL(stats_value(a), 2);
	CU_ASSERT_EQUAL(stats_value(b), 5);
	text = render(s);
	TEXT_IS(text, "# HELP sipgw_x_total X\n# TYPE sipgw_x_total counter\n"
		      "sipgw_x_total{dir=\"in\"} 2\nsipgw_x_total{dir=\"out\"} 5\n"
		      "# HELP sipgw_y Y\n# TYPE sipgw_y gauge\nsipgw_y -2.5\n");
	free(text);
	stats_free(s);
}

/* Buckets are cumulative, le rises and ends at +Inf equal to _count. */
static void test_histogram(void)
{
	static const double bounds[] = { 0.1, 0.5, 2 };
	struct stats *s;
	struct stats_family *h;
	struct stats_series *se;
	char *text;

	CU_ASSERT_EQUAL_FATAL(stats_alloc(&s), 0);
	CU_ASSERT_EQUAL_FATAL(stats_family_add(s, &h, &(struct stats_family_params){
		.name = "sipgw_pdd_seconds", .help = "PDD", .type = STATS_HISTOGRAM, .labels = { "direction" },
		.bounds = bounds, .n_bounds = 3 }), 0);
	se = stats_series1(h, "pri->sip");
	stats_observe(se, 0.05);
	stats_observe(se, 0.1);		/* le is "less or equal" */
	stats_observe(se, 1);
	stats_observe(se, 7.5);
	stats_observe(se, NAN);		/* not counted */
	stats_inc(se);			/* not a counter: ignored */
	CU_ASSERT_EQUAL(stats_hist_count(se), 4);
	CU_ASSERT_DOUBLE_EQUAL(stats_hist_sum(se), 8.65, 1e-9);
	text = render(s);
	TEXT_IS(text, "# HELP sipgw_pdd_seconds PDD\n# TYPE sipgw_pdd_seconds histogram\n"
		      "sipgw_pdd_seconds_bucket{direction=\"pri->sip\",le=\"0.1\"} 2\n"
		      "sipgw_pdd_seconds_bucket{direction=\"pri->sip\",le=\"0.5\"} 2\n"
		      "sipgw_pdd_seconds_bucket{direction=\"pri->sip\",le=\"2\"} 3\n"
		      "sipgw_pdd_seconds_bucket{direction=\"pri->sip\",le=\"+Inf\"} 4\n"
		      "sipgw_pdd_seconds_sum{direction=\"pri->sip\"} 8.65\n"
		      "sipgw_pdd_seconds_count{direction=\"pri->sip\"} 4\n");
	free(text);
	stats_family_zero(h);
	CU_ASSERT_EQUAL(stats_hist_count(se), 0);
	stats_free(s);
}

static void collect_two(void *arg, struct stats_family *f)
{
	int *n = arg;

	(*n)++;
	stats_family_zero(f);
	stats_set(stats_series1(f, "1"), 23);
	stats_set(stats_series1(f, "2"), *n);
}

/* A collect hook runs before every reading; the series cap holds. */
static void test_collect_and_cap(void)
{
	struct stats *s;
	struct stats_family *f;
	struct stats_series *se;
	char *text, name[16];
	int n = 0, rc = 0;

	CU_ASSERT_EQUAL_FATAL(stats_alloc(&s), 0);
	CU_ASSERT_EQUAL_FATAL(stats_family_add(s, &f, &(struct stats_family_params){
		.name = "sipgw_span_channels_busy", .help = "B", .type = STATS_GAUGE, .labels = { "span" },
		.collect_h = collect_two, .collect_arg = &n }), 0);
	text = render(s);
	free(text);
	text = render(s);
	CU_ASSERT_EQUAL(n, 2);
	TEXT_IS(text, "# HELP sipgw_span_channels_busy B\n# TYPE sipgw_span_channels_busy gauge\n"
		      "sipgw_span_channels_busy{span=\"1\"} 23\nsipgw_span_channels_busy{span=\"2\"} 2\n");
	free(text);
	stats_family_collect(f, NULL, NULL);
	free(render(s));
	CU_ASSERT_EQUAL(n, 2);
	for (int i = 0; i < STATS_MAX_SERIES + 5 && !rc; i++) {
		snprintf(name, sizeof(name), "x%d", i);
		rc = stats_series_get(f, &se, (const char *[]){ name, NULL });
	}
	CU_ASSERT_EQUAL(rc, -ENOSPC);
	stats_free(s);
}

/* ---- the request parser */

static int parse_status(const char *req)
{
	struct metrics_http_req rq;
	int rc = metrics_http_parse(req, strlen(req), &rq);

	return rc ? rc : rq.status;
}

static void test_parse_requests(void)
{
	static const struct {
		const char *req;
		int want;
	} rows[] = {
		{ "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n", 200 },
		{ "GET /metrics HTTP/1.0\r\n\r\n", 200 },
		{ "GET /metrics?name[]=x HTTP/1.1\r\n\r\n", 200 },
		{ "GET http://127.0.0.1:9100/metrics HTTP/1.1\r\n\r\n", 200 },
		{ "\r\nGET /metrics HTTP/1.1\n\n", 200 },	/* a stray CRLF first, bare LFs */
		{ "HEAD /metrics HTTP/1.1\r\n\r\n", 200 },
		{ "GET / HTTP/1.1\r\n\r\n", 404 },
		{ "GET /metrics/ HTTP/1.1\r\n\r\n", 404 },
		{ "GET /metricsx HTTP/1.1\r\n\r\n", 404 },
		{ "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 405 },
		{ "DELETE /metrics HTTP/1.1\r\n\r\n", 405 },
		{ "get /metrics HTTP/1.1\r\n\r\n", 405 },	/* methods are case-sensitive */
		{ "GET /metrics HTTP/2.0\r\n\r\n", 505 },
		{ "GET /metrics\r\n\r\n", 400 },		/* HTTP/0.9 */
		{ "GET  /metrics HTTP/1.1\r\n\r\n", 400 },
		{ "GET /metrics HTTP/1.1 \r\n\r\n", 400 },
		{ "G(T /metrics HTTP/1.1\r\n\r\n", 400 },
		{ "GET metrics HTTP/1.1\r\n\r\n", 400 },
		{ "GET /metrics HTTP/1.1\r\nHost : x\r\n\r\n", 400 },	/* RFC 9112 5.1 */
		{ "GET /metrics HTTP/1.1\r\nnocolon\r\n\r\n", 400 },
		{ "GET /metrics HTTP/1.1\r\nA: b\r\n folded\r\n\r\n", 400 },
		{ "GET /metrics HTTP/1.1\r\nA: b\x01\r\n\r\n", 400 },
		{ "GET /metrics HTTP/1.1\r\nHost: x\r\n", -EAGAIN },
		{ "GET /metrics HTTP/1.1", -EAGAIN },
		{ "", -EAGAIN },
	};
	struct metrics_http_req rq;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int got = parse_status(rows[i].req);

		if (got != rows[i].want)
			fprintf(stderr, "\n  [%s]: %d, want %d", rows[i].req, got, rows[i].want);
		CU_ASSERT_EQUAL(got, rows[i].want);
	}
	CU_ASSERT_EQUAL(metrics_http_parse("HEAD /metrics HTTP/1.1\r\n\r\n", 26, &rq), 0);
	CU_ASSERT_EQUAL(rq.head, 1);
	/* nothing past len is read: the head ends only in what is given */
	CU_ASSERT_EQUAL(metrics_http_parse("GET /metrics HTTP/1.1\r\n\r\n", 24, &rq), -EAGAIN);
}

static void test_listen_parse(void)
{
	static const char *const ok[] = { "127.0.0.1:9464", "[::1]:9464", "0.0.0.0:0", "[::]:65535" };
	static const char *const bad[] = { "127.0.0.1", "::1:9464", "[::1]", ":9464", "127.0.0.1:",
					   "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:9x",
					   "localhost:9464", "[127.0.0.1]:80", "127.0.0.1: 80" };
	struct sockaddr_storage ss;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		CU_ASSERT_EQUAL(metrics_listen_parse(ok[i], &ss), 0);
	CU_ASSERT_EQUAL(metrics_listen_parse("[::1]:9464", &ss), 0);
	CU_ASSERT_EQUAL(ss.ss_family, AF_INET6);
	CU_ASSERT_EQUAL(ntohs(((struct sockaddr_in6 *)&ss)->sin6_port), 9464);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (metrics_listen_parse(bad[i], &ss) == 0)
			fprintf(stderr, "\n  [%s] taken", bad[i]);
		CU_ASSERT_EQUAL(metrics_listen_parse(bad[i], &ss), -EINVAL);
	}
}

/* ---- the server on a real loop */

static su_root_t *root;

static int mh_connect(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd >= 0 && connect(fd, (struct sockaddr *)&sin, sizeof(sin))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Turn the loop until fd has something to read or is closed (at most ms). */
static int step_until_readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	for (int i = 0; i < ms / 5; i++) {
		su_root_sleep(root, 5);
		if (poll(&p, 1, 0) == 1)
			return 1;
	}
	return 0;
}

/* Everything the server sends until it closes; "" when it never does. */
static char *mh_read_all(int fd)
{
	static char buf[16384];
	size_t len = 0;

	buf[0] = 0;
	while (step_until_readable(fd, 2000)) {
		ssize_t n = recv(fd, buf + len, sizeof(buf) - 1 - len, MSG_DONTWAIT);

		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = 0;
	}
	return buf;
}

static char *mh_exchange(int port, const char *req)
{
	int fd = mh_connect(port);
	char *r;

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(send(fd, req, strlen(req), 0), (ssize_t)strlen(req));
	r = mh_read_all(fd);
	close(fd);
	return r;
}

static void test_server(void)
{
	struct stats *s;
	struct stats_family *f;
	struct metrics_http *m;
	char *r, big[METRICS_HTTP_MAX_REQ + 100];
	int port, fd, idle[METRICS_HTTP_MAX_CONNS];

	CU_ASSERT_EQUAL_FATAL(stats_alloc(&s), 0);
	CU_ASSERT_EQUAL_FATAL(stats_family_add(s, &f, &(struct stats_family_params){
		.name = "sipgw_up", .help = "U", .type = STATS_GAUGE }), 0);
	stats_set(stats_series1(f, NULL), 1);
	CU_ASSERT_EQUAL(metrics_http_alloc(&m, &(struct metrics_http_params){
		.root = root, .listen = "127.0.0.1", .stats = s }), -EINVAL);
	unit_log_begin();
	CU_ASSERT_EQUAL_FATAL(metrics_http_alloc(&m, &(struct metrics_http_params){
		.root = root, .listen = "127.0.0.1:0", .stats = s, .timeout_ms = 300 }), 0);
	unit_log_end();
	port = metrics_http_port(m);
	CU_ASSERT(port > 0);

	unit_log_begin();
	r = mh_exchange(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
	CU_ASSERT_PTR_NOT_NULL(strstr(r, "HTTP/1.1 200 OK\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(r, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(r, "\r\n\r\n# HELP sipgw_up U\n# TYPE sipgw_up gauge\nsipgw_up 1\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(r, "Content-Length: 51\r\n"));
	r = mh_exchange(port, "HEAD /metrics HTTP/1.1\r\n\r\n");
	CU_ASSERT_PTR_NOT_NULL(strstr(r, "HTTP/1.1 200 OK\r\n"));
	CU_ASSERT_PTR_NULL(strstr(r, "sipgw_up"));
	r = mh_exchange(port, "GET /other HTTP/1.1\r\n\r\n");
	CU_ASSERT_EQUAL(strncmp(r, "HTTP/1.1 404 Not Found\r\n", 24), 0);
	r = mh_exchange(port, "POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc");
	CU_ASSERT_EQUAL(strncmp(r, "HTTP/1.1 405 Method Not Allowed\r\n", 33), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(r, "Allow: GET, HEAD\r\n"));
	r = mh_exchange(port, "BLAH\r\n\r\n");
	CU_ASSERT_EQUAL(strncmp(r, "HTTP/1.1 400 Bad Request\r\n", 26), 0);

	/* over 8 KiB with no end of head: closed, nothing answered */
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET /metrics HTTP/1.1\r\nX: ", 26);
	big[sizeof(big) - 1] = 0;
	r = mh_exchange(port, big);
	CU_ASSERT_STRING_EQUAL(r, "");
	/* silent: closed at the deadline */
	fd = mh_connect(port);
	CU_ASSERT(step_until_readable(fd, 2000));
	CU_ASSERT_EQUAL(recv(fd, big, sizeof(big), MSG_DONTWAIT), 0);
	close(fd);
	const char *log = unit_log_end();
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "over 8192 bytes: closed"));
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "not done in 300 ms: closed"));

	/* a full house of idle connections: a scrape still gets through, the
	 * oldest idle one making room */
	unit_log_begin();
	for (int i = 0; i < METRICS_HTTP_MAX_CONNS; i++) {
		idle[i] = mh_connect(port);
		su_root_sleep(root, 2);
	}
	r = mh_exchange(port, "GET /metrics HTTP/1.1\r\n\r\n");
	CU_ASSERT_PTR_NOT_NULL(strstr(r, "sipgw_up 1\n"));
	CU_ASSERT_EQUAL(recv(idle[0], big, sizeof(big), MSG_DONTWAIT), 0);	/* the oldest, closed */
	for (int i = 0; i < METRICS_HTTP_MAX_CONNS; i++)
		close(idle[i]);
	log = unit_log_end();
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "closed for a new one"));

	/* out of fds: accepting pauses (the loop does not spin on the listener)
	 * and the client waiting in the backlog is served once fds are back */
	struct rlimit old, low;
	CU_ASSERT_EQUAL_FATAL(getrlimit(RLIMIT_NOFILE, &old), 0);
	unit_log_begin();	/* its own fd first: none may be taken once the limit is down */
	fd = mh_connect(port);
	CU_ASSERT_FATAL(fd >= 0);
	low = old;
	low.rlim_cur = (rlim_t)fd + 1;	/* every fd below it is taken: accept gets EMFILE */
	CU_ASSERT_EQUAL(setrlimit(RLIMIT_NOFILE, &low), 0);
	CU_ASSERT_EQUAL(send(fd, "GET /metrics HTTP/1.1\r\n\r\n", 25, 0), 25);
	CU_ASSERT(!step_until_readable(fd, 100));
	CU_ASSERT_EQUAL(setrlimit(RLIMIT_NOFILE, &old), 0);
	r = mh_read_all(fd);
	close(fd);
	log = unit_log_end();
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "metrics: accept: Too many open files; pausing 250 ms"));
	CU_ASSERT_PTR_NOT_NULL(strstr(r, "sipgw_up 1\n"));
	metrics_http_free(m);
	stats_free(s);
}

/* ---- the calls' figures, between fake legs */

static double sample(struct stats *s, const char *line_start)
{
	char *text = render(s), want[256], *p;
	double v;

	snprintf(want, sizeof(want), "\n%s", line_start);	/* a sample line, not its HELP */
	p = text ? strstr(text, want) : NULL;
	v = p ? strtod(p + strlen(want), NULL) : NAN;

	if (!p)
		fprintf(stderr, "\n  no [%s] in:\n%s", line_start, text ? text : "");
	free(text);
	return v;
}

/* the called leg's RTP: 1000 received, 7 lost */
static void rtp_figures(struct media_port *mp, struct media_stats *st)
{
	st->valid = 1;
	st->rx_packets = 1000;
	st->rx_lost = 7;
}

static int no_hunt(void *arg, struct call *c, struct leg *leg, int cause, int status, int *causep)
{
	*causep = cause;
	return -ENOENT;
}

static const struct bridge_route_ops no_hunt_ops = { .leg_failed = no_hunt };

static void test_call_metrics(void)
{
	struct stats *s;
	struct bridge *br;
	struct call *c;
	struct fake_leg *a, *b;
	struct leg_setup_info si = { .called = "2001" };

	CU_ASSERT_EQUAL_FATAL(stats_alloc(&s), 0);
	CU_ASSERT_EQUAL_FATAL(bridge_alloc(&br, &(struct bridge_params){ .route = &no_hunt_ops }), 0);
	CU_ASSERT_EQUAL_FATAL(bridge_metrics_add(br, s), 0);
	CU_ASSERT_EQUAL(bridge_metrics_add(br, s), -EALREADY);
	fake_reset();
	unit_log_begin();
	/* answered PRI -> SIP call */
	a = fake_leg_new("pri", "A");
	b = fake_leg_new("sip", "B");
	b->has_port = 1;
	b->port.stats = rtp_figures;
	si.t_setup_us = mono_us() - 300000;	/* 0.3 s ago */
	CU_ASSERT_EQUAL_FATAL(call_alloc(&c, br, &a->leg, &si), 0);
	CU_ASSERT_EQUAL(sample(s, "sipgw_calls_active{direction=\"pri->none\"} "), 1);	/* routing */
	CU_ASSERT_EQUAL(call_add_leg(c, &b->leg), 0);
	CU_ASSERT_EQUAL(sample(s, "sipgw_calls_active{direction=\"pri->sip\"} "), 1);
	CU_ASSERT_EQUAL(sample(s, "sipgw_calls_active{direction=\"pri->none\"} "), 0);
	call_leg_alerting(&b->leg, 0);
	call_leg_answered(&b->leg);
	CU_ASSERT_EQUAL(sample(s, "sipgw_call_post_dial_delay_seconds_count{direction=\"pri->sip\"} "), 1);
	CU_ASSERT_EQUAL(sample(s, "sipgw_call_post_dial_delay_seconds_bucket{direction=\"pri->sip\",le=\"0.25\"} "), 0);
	CU_ASSERT_EQUAL(sample(s, "sipgw_call_post_dial_delay_seconds_bucket{direction=\"pri->sip\",le=\"0.5\"} "), 1);
	CU_ASSERT_EQUAL(sample(s, "sipgw_call_setup_seconds_count{direction=\"pri->sip\"} "), 1);
	call_leg_released(&a->leg, CAUSE_NORMAL_CLEARING, 0);
	/* clearing: no longer active, completed at once */
	CU_ASSERT_EQUAL(sample(s, "sipgw_calls_active{direction=\"pri->sip\"} "), 0);
	CU_ASSERT_EQUAL(sample(s, "sipgw_calls_completed_total{direction=\"pri->sip\",outcome=\"answered\"} "), 1);
	CU_ASSERT_EQUAL(sample(s, "sipgw_calls_cleared_total{cause_class=\"normal\",cause=\"16\"} "), 1);
	fake_finish();
	CU_ASSERT_EQUAL(sample(s, "sipgw_rtp_packets_lost_total "), 0);	/* a is still clearing */
	fake_gone(a);	/* it cleared itself: gone once its far end confirms */
	CU_ASSERT_EQUAL(sample(s, "sipgw_rtp_packets_lost_total "), 7);
	CU_ASSERT_EQUAL(sample(s, "sipgw_rtp_packets_received_total "), 1000);

	/* SIP -> PRI, busy: the called leg fails with 17, nothing hunted */
	a = fake_leg_new("sip", "A2");
	b = fake_leg_new("pri", "B2");
	si.t_setup_us = mono_us();
	CU_ASSERT_EQUAL_FATAL(call_alloc(&c, br, &a->leg, &si), 0);
	CU_ASSERT_EQUAL(call_add_leg(c, &b->leg), 0);
	call_leg_released(&b->leg, CAUSE_USER_BUSY, 0);
	CU_ASSERT_EQUAL(sample(s, "sipgw_calls_completed_total{direction=\"sip->pri\",outcome=\"busy\"} "), 1);
	CU_ASSERT_EQUAL(sample(s, "sipgw_call_post_dial_delay_seconds_count{direction=\"sip->pri\"} "), 0);
	fake_gone(b);
	fake_finish();

	/* the caller gives up while it rings: cancelled */
	a = fake_leg_new("sip", "A3");
	b = fake_leg_new("sip", "B3");
	CU_ASSERT_EQUAL_FATAL(call_alloc(&c, br, &a->leg, &si), 0);
	CU_ASSERT_EQUAL(call_add_leg(c, &b->leg), 0);
	call_leg_alerting(&b->leg, 0);
	call_leg_released(&a->leg, CAUSE_NORMAL_CLEARING, 0);
	CU_ASSERT_EQUAL(sample(s, "sipgw_calls_completed_total{direction=\"sip->sip\",outcome=\"cancelled\"} "), 1);
	CU_ASSERT_EQUAL(sample(s, "sipgw_call_post_dial_delay_seconds_count{direction=\"sip->sip\"} "), 1);
	fake_finish();
	fake_gone(a);
	/* no route: failed, class resource_unavailable */
	a = fake_leg_new("pri", "A4");
	CU_ASSERT_EQUAL_FATAL(call_alloc(&c, br, &a->leg, &si), 0);
	call_clear(c, CAUSE_NO_CIRCUIT);
	CU_ASSERT_EQUAL(sample(s, "sipgw_calls_completed_total{direction=\"pri->none\",outcome=\"failed\"} "), 1);
	CU_ASSERT_EQUAL(sample(s, "sipgw_calls_cleared_total{cause_class=\"resource_unavailable\",cause=\"34\"} "), 1);
	fake_finish();
	unit_log_end();
	CU_ASSERT_EQUAL(bridge_call_count(br), 0);
	bridge_free(br);
	CU_ASSERT_EQUAL(fake_alive(), 0);
	fake_cleanup();
	/* the registry outlives the bridge: its hook is gone with it */
	free(render(s));
	stats_free(s);
}

static int cmd_reals(void *arg, struct ctl_req *req, int argc, char **argv)
{
	ctl_table(req, "v", (const char *[]){ "name", "value", NULL });
	ctl_cell(req, "a");
	ctl_cell_real(req, 0.25);
	ctl_cell(req, "b");
	ctl_cell_real(req, 1764633600.5);
	ctl_cell(req, "c");
	ctl_cell_real(req, NAN);
	return 0;
}

/* ctl_cell_real: the shortest decimal that reads back, a JSON number, NaN as text. */
static void test_ctl_cell_real(void)
{
	struct ctl *ctl;
	char *out = NULL, *argv[] = { "reals" };

	CU_ASSERT_EQUAL_FATAL(ctl_alloc(&ctl, &(struct ctl_params){ .path = NULL }), 0);
	CU_ASSERT_EQUAL(ctl_register(ctl, "reals", "reals", cmd_reals, NULL), 0);
	CU_ASSERT_EQUAL(ctl_run(ctl, 1, 1, argv, &out), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "{\"name\":\"a\",\"value\":0.25}"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "{\"name\":\"b\",\"value\":1764633600.5}"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "{\"name\":\"c\",\"value\":\"NaN\"}"));
	free(out);
	out = NULL;
	CU_ASSERT_EQUAL(ctl_run(ctl, 0, 1, argv, &out), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "1764633600.5\n"));
	free(out);
	ctl_free(ctl);
}

static void test_outcomes(void)
{
	CU_ASSERT_EQUAL(call_outcome_of(1, 1, CAUSE_USER_BUSY), CALL_OUT_ANSWERED);
	CU_ASSERT_EQUAL(call_outcome_of(0, 1, CAUSE_NORMAL_CLEARING), CALL_OUT_CANCELLED);
	CU_ASSERT_EQUAL(call_outcome_of(0, 1, CAUSE_TEMP_FAILURE), CALL_OUT_FAILED);	/* its leg failed */
	CU_ASSERT_EQUAL(call_outcome_of(0, 0, CAUSE_USER_BUSY), CALL_OUT_BUSY);
	CU_ASSERT_EQUAL(call_outcome_of(0, 0, CAUSE_NO_ANSWER), CALL_OUT_NO_ANSWER);
	CU_ASSERT_EQUAL(call_outcome_of(0, 0, CAUSE_NO_USER_RESPONSE), CALL_OUT_NO_ANSWER);
	CU_ASSERT_EQUAL(call_outcome_of(0, 0, CAUSE_UNALLOCATED), CALL_OUT_FAILED);
	CU_ASSERT_STRING_EQUAL(cause_class_name(16), "normal");
	CU_ASSERT_STRING_EQUAL(cause_class_name(1), "normal");
	CU_ASSERT_STRING_EQUAL(cause_class_name(34), "resource_unavailable");
	CU_ASSERT_STRING_EQUAL(cause_class_name(63), "service_unavailable");
	CU_ASSERT_STRING_EQUAL(cause_class_name(65), "not_implemented");
	CU_ASSERT_STRING_EQUAL(cause_class_name(88), "invalid_message");
	CU_ASSERT_STRING_EQUAL(cause_class_name(102), "protocol_error");
	CU_ASSERT_STRING_EQUAL(cause_class_name(127), "interworking");
}

static int stats_init(void)
{
	su_init();
	root = su_root_create(NULL);
	return root ? 0 : -1;
}

static int stats_cleanup(void)
{
	su_root_destroy(root);
	su_deinit();
	return 0;
}

static const CU_TestInfo stats_tests[] = {
	{ "names", test_names },
	{ "values", test_values },
	{ "escaping", test_escaping },
	{ "counter_gauge", test_counter_gauge },
	{ "histogram", test_histogram },
	{ "collect_and_cap", test_collect_and_cap },
	{ "parse_requests", test_parse_requests },
	{ "listen_parse", test_listen_parse },
	{ "server", test_server },
	{ "call_metrics", test_call_metrics },
	{ "outcomes", test_outcomes },
	{ "ctl_cell_real", test_ctl_cell_real },
	CU_TEST_INFO_NULL,
};

int suite_stats_add(void)
{
	CU_pSuite s = CU_add_suite("stats", stats_init, stats_cleanup);

	if (!s)
		return -1;
	for (const CU_TestInfo *t = stats_tests; t->pName; t++)
		if (!CU_add_test(s, t->pName, t->pTestFunc))
			return -1;
	return 0;
}
