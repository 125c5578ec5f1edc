/* sipgw - fuzz target: dial-peer patterns and number mapping (src/core/dialpeer.c,
 * src/route/dialpeer.c).
 *
 * The input is lines: a destination-pattern, a called number (as it comes in a
 * SIP user part, visual separators and all), forward_digits, a prefix, then
 * more patterns, each one more dial-peer (pots and voip by turns, the line
 * also its voip session target). Besides "no crash", each call's promise in
 * route/dialpeer.h and core/dialpeer.h is checked. SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "route/dialpeer.h"
#include "core/number.h"

#define FUZZ_PEERS 40
#define NUM_LEN 64	/* struct leg_setup_info: called[LEG_NUM] */

/* The next line of [*pp, end) into out (cut to outlen - 1); 0 at the end. */
static int next_line(const char **pp, const char *end, char *out, size_t outlen)
{
	const char *p = *pp, *nl;
	size_t n;

	if (p >= end)
		return 0;
	nl = memchr(p, '\n', (size_t)(end - p));
	n = (size_t)((nl ? nl : end) - p);
	snprintf(out, outlen, "%.*s", (int)(n < outlen ? n : outlen - 1), p);
	*pp = nl ? nl + 1 : end;
	return 1;
}

static int dial_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       c == '+' || c == '*' || c == '#';
}

static void check_strip(const char *in)
{
	static const size_t lens[] = { 1, 2, 5, 17, NUM_LEN };
	char out[NUM_LEN];

	for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		memset(out, 'x', sizeof(out));
		number_strip_visual(out, lens[k], in);
		if (strnlen(out, lens[k]) >= lens[k])
			abort();	/* always terminated within outlen */
		for (const char *p = out; *p; p++)
			if (!dial_char(*p))
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	static struct dial_peer peers[FUZZ_PEERS];
	const struct dial_peer *outp[DP_LOOKUP_MAX];
	char raw[256], number[NUM_LEN], line[256], out[96], host[64];
	const char *why = NULL;
	size_t n = 0, cnt, max;
	int rc, score, port;

	memset(peers, 0, sizeof(peers));
	if (!next_line(&p, end, peers[0].pattern, sizeof(peers[0].pattern)))
		return 0;
	next_line(&p, end, raw, sizeof(raw));
	check_strip(raw);
	number_strip_visual(number, sizeof(number), raw);
	if (next_line(&p, end, line, sizeof(line)))
		peers[0].forward_digits = atoi(line);
	else
		peers[0].forward_digits = DP_FWD_DEFAULT;
	next_line(&p, end, peers[0].prefix, sizeof(peers[0].prefix));
	peers[0].type = DP_POTS;
	peers[0].tag = 1;
	n = 1;
	while (n < FUZZ_PEERS && next_line(&p, end, line, sizeof(line))) {
		struct dial_peer *dp = &peers[n];
		dp->tag = (int)(n * 7 % 5);		/* ties on tag too */
		dp->preference = (int)(n % (DP_PREF_MAX + 1));
		dp->type = n % 2 ? DP_VOIP : DP_POTS;
		dp->forward_digits = DP_FWD_DEFAULT;
		snprintf(dp->pattern, sizeof(dp->pattern), "%s", line);
		snprintf(dp->target, sizeof(dp->target), "%s", line);
		n++;
	}

	/* A pattern the config check refuses never matches, and says why. */
	rc = dp_pattern_check(peers[0].pattern, &why);
	score = dp_pattern_match(peers[0].pattern, number);
	if (rc && (rc != -EINVAL || !why || !*why || score != -1))
		abort();
	if (score < -1)
		abort();

	/* pots number: a match gives prefix + a tail of the number. */
	rc = dp_pots_number(&peers[0], number, out, sizeof(out));
	if (rc == 0) {
		size_t plen = strlen(peers[0].prefix), olen = strlen(out), nlen = strlen(number);
		if (score < 0 || olen < plen || memcmp(out, peers[0].prefix, plen) ||
		    olen - plen > nlen || strcmp(out + plen, number + nlen - (olen - plen)))
			abort();
	} else if (rc != -EINVAL && rc != -ENOENT && rc != -ENOSPC) {
		abort();
	} else if (rc == -ENOENT && score >= 0) {
		abort();	/* matched by one and not the other */
	}
	/* too small a buffer is -ENOSPC, never an overflow */
	for (size_t len = 1; len < 4; len++) {
		char small[4];
		rc = dp_pots_number(&peers[0], number, small, len);
		if (rc == 0 && strnlen(small, len) >= len)
			abort();
	}

	/* lookup: best first, never more than asked, each one a match */
	max = size % (DP_LOOKUP_MAX + 4);
	for (int type = -1; type <= DP_VOIP; type++) {
		int prev = 1 << 30;
		cnt = dp_lookup(peers, n, number, type, outp, max);
		if (cnt > max || cnt > DP_LOOKUP_MAX)
			abort();
		for (size_t i = 0; i < cnt; i++) {
			int s = dp_pattern_match(outp[i]->pattern, number);
			if (s < 0 || s > prev || (type >= 0 && (int)outp[i]->type != type))
				abort();
			prev = s;
		}
	}

	/* voip session targets: host fits and port is in range */
	for (size_t i = 1; i < n; i += 2) {
		memset(host, 'x', sizeof(host));
		rc = dp_session_target(&peers[i], host, sizeof(host), &port);
		if (rc == 0 && (strnlen(host, sizeof(host)) >= sizeof(host) || !host[0] || port < 1 ||
				port > 65535))
			abort();
		if (rc && rc != -EINVAL && rc != -ENOSPC)
			abort();
	}
	return 0;
}
