/* sipgw - DTMF in SIP INFO bodies: application/dtmf-relay (the de facto
 * "Signal=5\r\nDuration=160" of Cisco and most phones) and application/dtmf
 * (the digit alone). Outside input: parsed strictly, never trusted.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "sip/sip_internal.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "dsp/dtmf.h"

/* The line's value after "key" and optional blanks and '=', or NULL. */
static const char *kv(const char *line, const char *end, const char *key)
{
	size_t k = strlen(key);

	while (line < end && (*line == ' ' || *line == '\t'))
		line++;
	if ((size_t)(end - line) < k || strncasecmp(line, key, k))
		return NULL;
	line += k;
	while (line < end && (*line == ' ' || *line == '\t'))
		line++;
	if (line == end || *line != '=')
		return NULL;
	line++;
	while (line < end && (*line == ' ' || *line == '\t'))
		line++;
	return line;
}

static int is_ctype(const char *ctype, const char *want)
{
	size_t n = strlen(want);

	/* parameters after ';' do not change the type */
	return ctype && !strncasecmp(ctype, want, n) && (!ctype[n] || ctype[n] == ';' || ctype[n] == ' ');
}

int sip_dtmf_info_parse(const char *ctype, const char *body, size_t len, char *digit, unsigned *ms)
{
	const char *end = body + len;
	int got = 0;

	*ms = 0;
	if (is_ctype(ctype, "application/dtmf")) {
		while (body < end && isspace((unsigned char)*body))
			body++;
		if (body == end || !dtmf_is_digit(*body))
			return -EINVAL;
		*digit = (char)toupper((unsigned char)*body);
		body++;
		while (body < end && isspace((unsigned char)*body))
			body++;
		return body == end ? 0 : -EINVAL;
	}
	if (!is_ctype(ctype, "application/dtmf-relay"))
		return -ENOENT;
	while (body < end) {
		const char *eol = memchr(body, '\n', (size_t)(end - body));
		const char *le = eol ? eol : end, *v;

		if (le > body && le[-1] == '\r')
			le--;
		if ((v = kv(body, le, "Signal"))) {
			if (v == le || !dtmf_is_digit(*v) || (le - v > 1 && !isspace((unsigned char)v[1])))
				return -EINVAL;
			*digit = (char)toupper((unsigned char)*v);
			got = 1;
		} else if ((v = kv(body, le, "Duration"))) {
			unsigned long d = 0;

			for (; v < le && isdigit((unsigned char)*v); v++)
				if ((d = d * 10 + (unsigned)(*v - '0')) > 60000)
					return -EINVAL;
			*ms = (unsigned)d;
		}
		body = eol ? eol + 1 : end;
	}
	return got ? 0 : -EINVAL;
}
