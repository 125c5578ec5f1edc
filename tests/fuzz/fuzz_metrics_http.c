/* sipgw - fuzz target: the metrics endpoint's request parser
 * (core/metrics_http_parse.c), its listen address, and the exposition's
 * label escaping (core/stats.c). The input is a request as a client sends
 * it; its first line is also tried as metrics.listen and as a label value
 * and help text. Besides "no crash": a verdict is one of the statuses the
 * header names; a complete head stays complete with the same verdict when
 * more bytes follow (the parser reads nothing past its end); an escaped
 * label has no raw newline or quote and reads back as the value; a
 * registry rendered with the input in it has exactly the lines it should.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/metrics_http.h"
#include "core/stats.h"

static void check_parse(const uint8_t *data, size_t size)
{
	struct metrics_http_req rq, rq2;
	char *more;
	int rc = metrics_http_parse((const char *)data, size, &rq);

	if (rc == -EAGAIN)
		return;
	if (rc != 0)
		abort();
	if (rq.status != 200 && rq.status != 400 && rq.status != 404 && rq.status != 405 && rq.status != 505)
		abort();
	if (rq.head && rq.status != 200)
		abort();
	if (!(more = malloc(size + 16)))
		return;
	memcpy(more, data, size);
	memcpy(more + size, "\r\n\r\nGET / HTTP", 15);
	if (metrics_http_parse(more, size + 15, &rq2) || rq2.status != rq.status || rq2.head != rq.head)
		abort();
	free(more);
}

static void unescape_check(const char *esc, const char *value)
{
	size_t o = 0, n = strlen(value);

	for (const char *p = esc; *p; p++) {
		char c = *p;

		if (c == '\n' || c == '"')
			abort();
		if (c == '\\') {
			p++;
			c = *p == 'n' ? '\n' : *p;
			if (*p != 'n' && *p != '\\' && *p != '"')
				abort();
		}
		if (o >= n || value[o++] != c)
			abort();
	}
	if (o != n)
		abort();
}

static unsigned count_lines(const char *s, size_t len)
{
	unsigned n = 0;

	for (size_t i = 0; i < len; i++)
		n += s[i] == '\n';
	return n;
}

static void check_escaping(const char *line)
{
	size_t cap = 2 * strlen(line) + 1;
	char *esc = malloc(cap), *text = NULL;
	struct stats *s = NULL;
	struct stats_family *f;
	size_t len;

	if (!esc)
		return;
	if (stats_escape_label(esc, cap, line))
		abort();
	unescape_check(esc, line);
	free(esc);
	if (stats_alloc(&s))
		return;
	/* HELP, TYPE, one sample: three lines whatever the value and help hold */
	if (stats_family_add(s, &f, &(struct stats_family_params){
		    .name = "fuzz_x", .help = line, .type = STATS_GAUGE, .labels = { "v" } }) == 0 &&
	    stats_series1(f, line) && stats_render(s, &text, &len) == 0) {
		if (count_lines(text, len) != 3 || strlen(text) != len)
			abort();
	}
	free(text);
	stats_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_storage ss;
	char line[512];
	size_t n = 0;

	check_parse(data, size);
	while (n < size && n < sizeof(line) - 1 && data[n] != '\n' && data[n] != '\0') {
		line[n] = (char)data[n];
		n++;
	}
	line[n] = '\0';
	if (metrics_listen_parse(line, &ss) == 0 && ss.ss_family != AF_INET && ss.ss_family != AF_INET6)
		abort();
	/* the label value may hold anything but NUL; the line ends at the first newline, so put one in */
	if (n && line[0] == '\\')
		line[n / 2] = '\n';
	check_escaping(line);
	return 0;
}
