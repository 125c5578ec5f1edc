/* sipgw - unit tests: in-band DTMF (dsp/dtmf.c) and DTMF in SIP INFO bodies
 * (sip/sip_dtmf.c). The player's tones go through G.711 and the watcher:
 * each digit heard once, with about its length, at 100 ms and at the 40 ms
 * minimum; and the digit INFO carries, parsed strictly.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <string.h>

#include "dsp/dtmf.h"
#include "dsp/g711.h"
#include "sip/sip_internal.h"
#include "unit.h"

#define FRAME 160

struct heard {
	char digits[32];
	unsigned ms[32];
	int n, begins;
};

static void on_digit(void *arg, char digit, int begin, unsigned ms)
{
	struct heard *h = arg;

	if (begin) {
		h->begins++;
		return;
	}
	if (h->n < 31) {
		h->digits[h->n] = digit;
		h->ms[h->n++] = ms;
	}
	h->digits[h->n] = 0;
}

/* Play digits of ms each (events begin/end as a RFC 4733 sender would give
 * them), through mu-law, into a watcher; what it heard. */
static void play_and_watch(const char *digits, unsigned ms, struct heard *h)
{
	struct dtmf_play *dp;
	struct dtmf_watch *dw;
	int16_t amp[FRAME], back[FRAME];
	uint8_t wire[FRAME];

	memset(h, 0, sizeof(*h));
	CU_ASSERT_FATAL(dtmf_play_alloc(&dp) == 0);
	CU_ASSERT_FATAL(dtmf_watch_alloc(&dw, on_digit, h) == 0);
	for (const char *p = digits; *p; p++)
		CU_ASSERT(dtmf_play_end(dp, *p, ms) == 0);
	for (int f = 0; f < 200; f++) {
		memset(amp, 0, sizeof(amp));
		dtmf_play_fill(dp, amp, FRAME);
		g711_law_encode(LAW_ULAW, amp, wire, FRAME);
		g711_law_decode(LAW_ULAW, wire, back, FRAME);
		dtmf_watch_feed(dw, back, FRAME);
	}
	CU_ASSERT(!dtmf_play_busy(dp));
	dtmf_play_free(dp);
	dtmf_watch_free(dw);
}

static void test_digits_100ms(void)
{
	struct heard h;

	play_and_watch("123#456*0ABCD", 100, &h);
	CU_ASSERT_STRING_EQUAL(h.digits, "123#456*0ABCD");
	CU_ASSERT_EQUAL(h.begins, 13);
	for (int i = 0; i < h.n; i++)	/* measured to the 20 ms frame that confirmed each edge */
		CU_ASSERT(h.ms[i] >= 60 && h.ms[i] <= 120);
}

static void test_digits_40ms(void)
{
	struct heard h;

	/* Q.24's shortest digit with the player's 50 ms gap */
	play_and_watch("456*", 40, &h);
	CU_ASSERT_STRING_EQUAL(h.digits, "456*");
	CU_ASSERT_EQUAL(h.begins, 4);
}

static void test_same_digit_twice(void)
{
	struct heard h;

	play_and_watch("55", 100, &h);
	CU_ASSERT_STRING_EQUAL(h.digits, "55");
}

/* A leg's player is taken at its first digit: until then NULL is an idle
 * player (nothing filled), and taking it twice keeps the one it has. */
static void test_play_taken_at_first_digit(void)
{
	struct dtmf_play *dp = NULL, *first;
	int16_t amp[FRAME] = { 123 };

	CU_ASSERT(!dtmf_play_busy(dp));
	CU_ASSERT(dtmf_play_fill(dp, amp, FRAME) == 0);
	CU_ASSERT(amp[0] == 123);	/* untouched */
	CU_ASSERT_FATAL(dtmf_play_take(&dp) == 0 && dp);
	first = dp;
	CU_ASSERT(dtmf_play_end(dp, '1', 100) == 0);
	CU_ASSERT(dtmf_play_take(&dp) == 0 && dp == first);
	CU_ASSERT(dtmf_play_busy(dp));
	CU_ASSERT(dtmf_play_fill(dp, amp, FRAME) == 1);
	dtmf_play_free(dp);
}

/* An open digit (RFC 4733 start seen, end not yet) plays until its end
 * says how long; a digit that is not DTMF is refused. */
static void test_open_digit(void)
{
	struct dtmf_play *dp;
	int16_t amp[FRAME];
	int frames = 0;

	CU_ASSERT_FATAL(dtmf_play_alloc(&dp) == 0);
	CU_ASSERT(dtmf_play_begin(dp, 'x') == -EINVAL);
	CU_ASSERT(dtmf_play_begin(dp, '7') == 0);
	for (int f = 0; f < 10; f++)
		CU_ASSERT(dtmf_play_fill(dp, amp, FRAME) == 1);
	CU_ASSERT(dtmf_play_end(dp, '7', 240) == 0);	/* 200 ms played, 40 to go */
	while (dtmf_play_fill(dp, amp, FRAME))
		frames++;
	/* 40 ms of tone, then the 50 ms gap: 5 frames at most */
	CU_ASSERT(frames >= 4 && frames <= 5);
	dtmf_play_free(dp);
}

/* the whole string as the body */
#define parse(ctype, body) sip_dtmf_info_parse(ctype, body, strlen(body), &d, &ms)

static void test_info_parse(void)
{
	char d = 0;
	unsigned ms = 1;

	CU_ASSERT(parse("application/dtmf-relay", "Signal=5\r\nDuration=160\r\n") == 0);
	CU_ASSERT(d == '5' && ms == 160);
	CU_ASSERT(parse("Application/DTMF-Relay", "signal = #\nduration= 250") == 0);
	CU_ASSERT(d == '#' && ms == 250);
	CU_ASSERT(parse("application/dtmf-relay", "Signal=*\r\n") == 0);
	CU_ASSERT(d == '*' && ms == 0);
	CU_ASSERT(parse("application/dtmf", "a\r\n") == 0);
	CU_ASSERT(d == 'A');
	/* no digit, two characters, a value past a minute, nothing at all */
	CU_ASSERT(parse("application/dtmf-relay", "Signal=\r\nDuration=160") == -EINVAL);
	CU_ASSERT(parse("application/dtmf-relay", "Signal=12\r\n") == -EINVAL);
	CU_ASSERT(parse("application/dtmf-relay", "Signal=1\r\nDuration=99999999999") == -EINVAL);
	CU_ASSERT(parse("application/dtmf-relay", "") == -EINVAL);
	CU_ASSERT(parse("application/dtmf", "12") == -EINVAL);
	/* not DTMF at all: the caller answers 415 */
	CU_ASSERT(parse("application/dtmf-relayx", "Signal=1") == -ENOENT);
	CU_ASSERT(parse("text/plain", "Signal=1") == -ENOENT);
	CU_ASSERT(parse(NULL, "Signal=1") == -ENOENT);
	/* the length bounds the body, not a NUL */
	CU_ASSERT(sip_dtmf_info_parse("application/dtmf-relay", "Signal=9XXXX", 8, &d, &ms) == 0);
	CU_ASSERT(d == '9');
}

int suite_dtmf_add(void)
{
	static const CU_TestInfo tests[] = {
		{ "digits of 100 ms heard once each", test_digits_100ms },
		{ "digits of 40 ms heard once each", test_digits_40ms },
		{ "the same digit twice is two digits", test_same_digit_twice },
		{ "an open digit plays until its end", test_open_digit },
		{ "a player is taken at its first digit", test_play_taken_at_first_digit },
		{ "INFO bodies parsed strictly", test_info_parse },
		CU_TEST_INFO_NULL,
	};
	return unit_suite_add("dtmf", tests);
}
