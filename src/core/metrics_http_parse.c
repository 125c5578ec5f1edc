/* sipgw - the metrics endpoint's request parser and listen address: pure
 * functions of their input, fuzzed by tests/fuzz/fuzz_metrics_http.c.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "core/metrics_http.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/netaddr.h"

int metrics_listen_parse(const char *s, struct sockaddr_storage *ss)
{
	char host[NETADDR_STRLEN], *end;
	const char *colon;
	long port;
	size_t n;

	if (!s)
		return -EINVAL;
	colon = strrchr(s, ':');
	if (!colon || colon == s || !colon[1])
		return -EINVAL;
	n = (size_t)(colon - s);
	/* an IPv6 address has colons of its own: it must be in brackets (RFC 3986 3.2.2) */
	if (memchr(s, ':', n) && (s[0] != '[' || s[n - 1] != ']'))
		return -EINVAL;
	if (n >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, n);
	host[n] = 0;
	port = strtol(colon + 1, &end, 10);
	if (*end || port < 0 || port > 65535 || colon[1] < '0' || colon[1] > '9')
		return -EINVAL;
	if (netaddr_parse(host, ss))
		return -EINVAL;
	netaddr_set_port(ss, (int)port);
	return 0;
}

/* RFC 9110 5.6.2 tchar */
static int tchar(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* The end of the head (after its empty line) in buf, or NULL. */
static const char *head_end(const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (i + 1 < len && buf[i + 1] == '\n')
			return buf + i + 2;
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
			return buf + i + 3;
	}
	return NULL;
}

/* One line from *pp (before end), without its CR LF or LF. */
static size_t next_line(const char **pp, const char *end, const char **linep)
{
	const char *p = *pp, *nl = memchr(p, '\n', (size_t)(end - p));
	size_t n;

	if (!nl)
		nl = end;
	n = (size_t)(nl - p);
	if (n && p[n - 1] == '\r')
		n--;
	*linep = p;
	*pp = nl < end ? nl + 1 : end;
	return n;
}

/* RFC 9112 3: method SP request-target SP HTTP-version. */
static int request_line(const char *l, size_t n, struct metrics_http_req *rq)
{
	const char *sp1 = memchr(l, ' ', n), *sp2, *t, *path_end;
	size_t tn;
	int get, head;

	if (!sp1 || sp1 == l)
		return 400;
	for (const char *p = l; p < sp1; p++)
		if (!tchar((unsigned char)*p))
			return 400;
	t = sp1 + 1;
	sp2 = memchr(t, ' ', (size_t)(l + n - t));
	if (!sp2 || sp2 == t)
		return 400;
	tn = (size_t)(sp2 - t);
	for (const char *p = t; p < sp2; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return 400;
	{
		const char *v = sp2 + 1;
		size_t vn = (size_t)(l + n - v);

		if (vn != 8 || memcmp(v, "HTTP/", 5) || v[6] != '.' || v[5] < '0' || v[5] > '9' ||
		    v[7] < '0' || v[7] > '9')
			return 400;
		if (v[5] != '1')
			return 505;
	}
	/* absolute-form (3.2.2): a server takes it; what counts is its path */
	if (tn > 7 && !strncasecmp(t, "http://", 7)) {
		const char *slash = memchr(t + 7, '/', tn - 7);

		if (!slash)
			return 400;
		tn -= (size_t)(slash - t);
		t = slash;
	}
	if (t[0] != '/')
		return 400;
	path_end = memchr(t, '?', tn);
	if (path_end)
		tn = (size_t)(path_end - t);
	if (tn != 8 || memcmp(t, "/metrics", 8))
		return 404;
	get = (size_t)(sp1 - l) == 3 && !memcmp(l, "GET", 3);
	head = (size_t)(sp1 - l) == 4 && !memcmp(l, "HEAD", 4);
	if (!get && !head)
		return 405;
	rq->head = head;
	return 200;
}

/* RFC 9112 5: field-name ":" OWS value; no whitespace before the colon
 * (5.1: such a request is refused with 400), no obsolete line folding. */
static int header_line(const char *l, size_t n)
{
	const char *colon = memchr(l, ':', n);

	if (!colon || colon == l)
		return 400;
	for (const char *p = l; p < colon; p++)
		if (!tchar((unsigned char)*p))
			return 400;
	for (const char *p = colon + 1; p < l + n; p++)
		if ((unsigned char)*p < ' ' && *p != '\t')
			return 400;
	return 0;
}

int metrics_http_parse(const char *buf, size_t len, struct metrics_http_req *rq)
{
	const char *end, *p = buf, *l;
	size_t n;
	int st;

	memset(rq, 0, sizeof(*rq));
	/* RFC 9112 2.2: empty lines before the request line are ignored */
	while (p < buf + len && (*p == '\r' || *p == '\n'))
		p++;
	if (!(end = head_end(p, (size_t)(buf + len - p))))
		return -EAGAIN;
	n = next_line(&p, end, &l);
	st = request_line(l, n, rq);
	while (st != 400 && p < end) {
		n = next_line(&p, end, &l);
		if (!n)
			break;	/* the empty line: the head is over */
		if (header_line(l, n))
			st = 400;
	}
	if (st != 200)
		rq->head = 0;
	rq->status = st;
	return 0;
}
