/* sipgw - SDP security descriptions (RFC 4568 9.1) for SRTP (6): the
 * a=crypto lines of an audio stream, read strictly, written plainly.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "sip/sdp_crypto.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sofia-sip/base64.h>

#define B64_KEY_LEN 40	/* 30 octets of key and salt, no padding */
/* RFC 4568 6.1: a lifetime is how many packets the key may protect; we
 * never rekey in a call, so only one a call cannot reach is taken: 2^31
 * packets are 497 days of 20 ms packets (libsrtp's own limit is 2^48). */
#define LIFETIME_MIN_LOG2 31

static int is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static int is_b64(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
	       c == '/';
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static size_t span_digits(const char *p, const char *end)
{
	size_t n = 0;

	while (p + n < end && is_digit(p[n]))
		n++;
	return n;
}

static int fail(const char **why, const char *text, int rc)
{
	if (why)
		*why = text;
	return rc;
}

/* RFC 4568 6.1 lifetime: ["2^"] 1*DIGIT; 0 when at least 2^31, -ENOTSUP
 * shorter, -EBADMSG not a lifetime. */
static int lifetime_ok(const char *p, const char *end)
{
	size_t n;

	if (end - p > 2 && p[0] == '2' && p[1] == '^') {
		p += 2;
		n = span_digits(p, end);
		if (!n || p + n != end || n > 3)
			return -EBADMSG;
		return (int)strtoul(p, NULL, 10) >= LIFETIME_MIN_LOG2 ? 0 : -ENOTSUP;
	}
	n = span_digits(p, end);
	if (!n || p + n != end || n > 20)
		return -EBADMSG;
	/* a decimal count: 2^31 = 2147483648 has 10 digits */
	if (n > 10)
		return 0;
	return strtoull(p, NULL, 10) >= (1ull << LIFETIME_MIN_LOG2) ? 0 : -ENOTSUP;
}

/* key-info (6.1): key-salt ["|" lifetime] ["|" mki ":" mki-length] */
static int key_info(const char *p, const char *end, struct sdp_crypto *c, const char **why)
{
	const char *bar = memchr(p, '|', (size_t)(end - p));
	const char *kend = bar ? bar : end;
	char b64[B64_KEY_LEN + 1];
	int rc;

	for (const char *q = p; q < kend; q++)
		if (!is_b64(*q) && *q != '=')
			return fail(why, "key not base64", -EBADMSG);
	if (kend - p != B64_KEY_LEN)
		return fail(why, "key and salt not 30 octets", -ENOTSUP);
	memcpy(b64, p, B64_KEY_LEN);
	b64[B64_KEY_LEN] = 0;
	if (base64_d((char *)c->key.key, sizeof(c->key.key), b64) != sizeof(c->key.key))
		return fail(why, "key and salt not 30 octets", -ENOTSUP);	/* padded: shorter */
	while (bar) {
		const char *f = bar + 1, *fend;

		bar = memchr(f, '|', (size_t)(end - f));
		fend = bar ? bar : end;
		if (memchr(f, ':', (size_t)(fend - f))) {
			/* mki-value ":" mki-length: libsrtp could, one key per
			 * call has no use for it (6.1: MKI for rekeying) */
			size_t a = span_digits(f, fend);

			if (!a || f[a] != ':' || !span_digits(f + a + 1, fend) ||
			    f + a + 1 + span_digits(f + a + 1, fend) != fend)
				return fail(why, "MKI unreadable", -EBADMSG);
			return fail(why, "MKI not supported", -ENOTSUP);
		}
		if ((rc = lifetime_ok(f, fend)))
			return fail(why, rc == -ENOTSUP ? "key lifetime under 2^31" : "lifetime unreadable", rc);
	}
	return 0;
}

/* RFC 4568 6.3 session parameters: one we do not understand makes the line
 * unusable (6.3.7); WSH (the replay window hint) is below our window and
 * KDR=0 is libsrtp's (no key derivation rate). */
static int session_param(const char *p, const char *end)
{
	size_t n = (size_t)(end - p);

	if (n > 4 && !strncmp(p, "WSH=", 4) && span_digits(p + 4, end) == n - 4)
		return 0;
	if (n == 5 && !strncmp(p, "KDR=0", 5))
		return 0;
	return -ENOTSUP;
}

int sdp_crypto_parse(const char *value, struct sdp_crypto *c, const char **why)
{
	const char *p = value, *end, *tok;
	size_t n;
	int suite, rc;

	if (why)
		*why = "";
	if (!value)
		return fail(why, "empty", -EBADMSG);
	end = value + strcspn(value, "\r\n");
	while (end > p && is_wsp(end[-1]))
		end--;
	memset(c, 0, sizeof(*c));
	/* tag: 1*9DIGIT */
	n = span_digits(p, end);
	if (!n || n > 9 || p + n == end || !is_wsp(p[n]))
		return fail(why, "tag", -EBADMSG);
	c->tag = strtoul(p, NULL, 10);
	p += n;
	while (p < end && is_wsp(*p))
		p++;
	/* crypto-suite */
	for (tok = p; p < end && !is_wsp(*p); p++)
		;
	if (p == tok || p == end)
		return fail(why, "suite or key missing", -EBADMSG);
	suite = rtp_srtp_suite_by_name(tok, (size_t)(p - tok));
	while (p < end && is_wsp(*p))
		p++;
	/* key-params: one "inline:" key-info; several are for MKIs */
	for (tok = p; p < end && !is_wsp(*p); p++)
		;
	if (p - tok < 8 || strncmp(tok, "inline:", 7))
		return fail(why, "key method not inline", tok == p ? -EBADMSG : -ENOTSUP);
	if (memchr(tok, ';', (size_t)(p - tok)))
		return fail(why, "several keys", -ENOTSUP);
	if ((rc = key_info(tok + 7, p, c, why)))
		return rc;
	while (p < end) {
		while (p < end && is_wsp(*p))
			p++;
		for (tok = p; p < end && !is_wsp(*p); p++)
			;
		if (tok < p && session_param(tok, p))
			return fail(why, "session parameter not supported", -ENOTSUP);
	}
	if (suite < 0)
		return fail(why, "crypto suite not supported", -ENOTSUP);
	c->key.suite = (enum rtp_srtp_suite)suite;
	return 0;
}

int sdp_crypto_format(char *buf, size_t len, const struct sdp_crypto *c)
{
	char b64[BASE64_SIZE(RTP_SRTP_KEY_SALT_LEN) + 1];
	int n;

	base64_e(b64, sizeof(b64), (void *)c->key.key, sizeof(c->key.key));
	n = snprintf(buf, len, "%lu %s inline:%s", c->tag, rtp_srtp_suite_name(c->key.suite), b64);
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}
