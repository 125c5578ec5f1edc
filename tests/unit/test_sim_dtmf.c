/* sipgw - unit tests: the simulators' DTMF pieces (src/sim/sim_dtmf.c). In-band
 * digits made with a cadence and heard back through G.711 with their lengths;
 * RFC 4733 events counted once however many packets carry them (RFC 4733
 * 2.5.1.2, 2.5.1.4); SIP INFO DTMF bodies read or refused.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dsp/g711.h"
#include "sim/sim_dtmf.h"
#include "unit.h"

/* ---- in-band: made, passed through mu-law, heard */

struct heard {
	char digits[32];
	int ms[32];
	int n_on, n_end;
};

static void on_h(void *arg, char d, int ms)
{
	struct heard *h = arg;

	if (h->n_on < 31)
		h->digits[h->n_on++] = d;
}

static void end_h(void *arg, char d, int ms)
{
	struct heard *h = arg;

	if (h->n_end < 32)
		h->ms[h->n_end++] = ms;
}

static void round_trip(const char *digits, int ms, struct heard *h)
{
	struct sim_dtmf_gen *g;
	struct sim_dtmf_det *d;
	int16_t amp[160];
	uint8_t ulaw[160];
	int frames = 0;

	memset(h, 0, sizeof(*h));
	CU_ASSERT_EQUAL_FATAL(sim_dtmf_gen_alloc(&g, digits, ms, ms), 0);
	CU_ASSERT_EQUAL_FATAL(sim_dtmf_det_alloc(&d, on_h, end_h, h), 0);
	/* 20 ms frames as the simulators send them, through the span's law */
	while (sim_dtmf_gen_fill(g, amp, 160) && frames++ < 1000) {
		g711_law_encode(LAW_ULAW, amp, ulaw, 160);
		g711_law_decode(LAW_ULAW, ulaw, amp, 160);
		sim_dtmf_det_feed(d, amp, 160);
	}
	/* then silence, so the last tone is heard ending */
	for (int i = 0; i < 10; i++) {
		CU_ASSERT_EQUAL(sim_dtmf_gen_fill(g, amp, 160), 0);
		sim_dtmf_det_feed(d, amp, 160);
	}
	/* the generator plays exactly digits x (tone + gap) */
	CU_ASSERT(abs(frames * 20 - (int)strlen(digits) * 2 * ms) <= 20);
	sim_dtmf_gen_free(g);
	sim_dtmf_det_free(d);
}

static void check_lengths(const struct heard *h, int ms)
{
	/* SpanDSP decides on two 102-sample blocks at each edge: a few ms short */
	for (int i = 0; i < h->n_end; i++)
		CU_ASSERT(h->ms[i] >= ms - 40 && h->ms[i] <= ms + 30);
}

static void test_inband_100ms(void)
{
	struct heard h;

	round_trip("1234567890*#ABCD", 100, &h);
	CU_ASSERT_STRING_EQUAL(h.digits, "1234567890*#ABCD");
	CU_ASSERT_EQUAL(h.n_end, 16);
	check_lengths(&h, 100);
}

static void test_inband_40ms_repeats(void)
{
	struct heard h;

	/* Q.24's shortest: 40 ms tones with 40 ms pauses; a repeated digit is two */
	round_trip("4556**", 40, &h);
	CU_ASSERT_STRING_EQUAL(h.digits, "4556**");
	CU_ASSERT_EQUAL(h.n_end, 6);
	check_lengths(&h, 40);
}

static void test_inband_refused(void)
{
	struct sim_dtmf_gen *g = NULL;
	char many[200];

	CU_ASSERT_EQUAL(sim_dtmf_gen_alloc(&g, "12x", 100, 100), -EINVAL);
	CU_ASSERT_EQUAL(sim_dtmf_gen_alloc(&g, "", 100, 100), -EINVAL);
	memset(many, '1', sizeof(many) - 1);
	many[sizeof(many) - 1] = '\0';
	CU_ASSERT_EQUAL(sim_dtmf_gen_alloc(&g, many, 100, 100), -E2BIG);
	CU_ASSERT_PTR_NULL(g);
}

static void test_parse_ms(void)
{
	int ms = 0;

	CU_ASSERT_EQUAL(sim_dtmf_parse_ms("40", &ms), 0);
	CU_ASSERT_EQUAL(ms, 40);
	CU_ASSERT_EQUAL(sim_dtmf_parse_ms("10", &ms), -EINVAL);
	CU_ASSERT_EQUAL(sim_dtmf_parse_ms("40ms", &ms), -EINVAL);
	CU_ASSERT_EQUAL(sim_dtmf_parse_ms("", &ms), -EINVAL);
}

/* ---- RFC 4733 events received */

static void ev(uint8_t *p, int code, int end, unsigned dur)
{
	p[0] = (uint8_t)code;
	p[1] = (uint8_t)((end ? 0x80 : 0) | 10);
	p[2] = (uint8_t)(dur >> 8);
	p[3] = (uint8_t)dur;
}

static void test_te_one_event_many_packets(void)
{
	struct sim_te_rx r = { 0 };
	uint8_t p[4];
	unsigned dur;
	char d;

	ev(p, 5, 0, 160);
	CU_ASSERT_EQUAL(sim_te_rx_packet(&r, p, 4, 1000, &d, &dur), SIM_TE_START);
	CU_ASSERT_EQUAL(d, '5');
	ev(p, 5, 0, 480);	/* an update: same timestamp, longer */
	CU_ASSERT_EQUAL(sim_te_rx_packet(&r, p, 4, 1000, &d, &dur), SIM_TE_NONE);
	ev(p, 5, 1, 800);	/* the end, three times (RFC 4733 2.5.1.4) */
	CU_ASSERT_EQUAL(sim_te_rx_packet(&r, p, 4, 1000, &d, &dur), SIM_TE_END);
	CU_ASSERT_EQUAL(dur, 800);
	CU_ASSERT_EQUAL(sim_te_rx_packet(&r, p, 4, 1000, &d, &dur), SIM_TE_NONE);
	CU_ASSERT_EQUAL(sim_te_rx_packet(&r, p, 4, 1000, &d, &dur), SIM_TE_NONE);
}

static void test_te_same_digit_twice(void)
{
	struct sim_te_rx r = { 0 };
	uint8_t p[4];
	unsigned dur;
	char d;

	ev(p, 11, 0, 160);
	CU_ASSERT_EQUAL(sim_te_rx_packet(&r, p, 4, 1000, &d, &dur), SIM_TE_START);
	CU_ASSERT_EQUAL(d, '#');
	ev(p, 11, 1, 320);
	CU_ASSERT_EQUAL(sim_te_rx_packet(&r, p, 4, 1000, &d, &dur), SIM_TE_END);
	/* the second press: a new timestamp, a new event */
	ev(p, 11, 0, 160);
	CU_ASSERT_EQUAL(sim_te_rx_packet(&r, p, 4, 1640, &d, &dur), SIM_TE_START);
	/* a late retransmission of the first one's end is no third press */
	ev(p, 11, 1, 320);
	CU_ASSERT_EQUAL(sim_te_rx_packet(&r, p, 4, 1000, &d, &dur), SIM_TE_NONE);
}

static void test_te_start_lost(void)
{
	struct sim_te_rx r = { 0 };
	uint8_t p[4];
	unsigned dur;
	char d;

	/* start and updates lost: the end alone still names the digit, once */
	ev(p, 0, 1, 320);
	CU_ASSERT_EQUAL(sim_te_rx_packet(&r, p, 4, 77, &d, &dur), SIM_TE_START_END);
	CU_ASSERT_EQUAL(d, '0');
	CU_ASSERT_EQUAL(sim_te_rx_packet(&r, p, 4, 77, &d, &dur), SIM_TE_NONE);
	ev(p, 16, 0, 160);	/* flash (RFC 4733 3.2): not a DTMF digit */
	CU_ASSERT_EQUAL(sim_te_rx_packet(&r, p, 4, 999, &d, &dur), SIM_TE_BAD);
	CU_ASSERT_EQUAL(sim_te_rx_packet(&r, p, 3, 999, &d, &dur), SIM_TE_BAD);
}

/* ---- INFO bodies */

static int info(const char *ctype, const char *body, char *d, int *ms)
{
	return sim_dtmf_info_parse(ctype, body, body ? strlen(body) : 0, d, ms);
}

static void test_info_bodies(void)
{
	char d = 0;
	int ms = -1;

	CU_ASSERT_EQUAL(info("application/dtmf-relay", "Signal=5\r\nDuration=100\r\n", &d, &ms), 0);
	CU_ASSERT_EQUAL(d, '5');
	CU_ASSERT_EQUAL(ms, 100);
	/* case, spaces, a parameter on the type, bare LF, keys in another order */
	CU_ASSERT_EQUAL(info("Application/DTMF-Relay; charset=x", "duration = 40\nsignal = #\n", &d, &ms), 0);
	CU_ASSERT_EQUAL(d, '#');
	CU_ASSERT_EQUAL(ms, 40);
	CU_ASSERT_EQUAL(info("application/dtmf-relay", "Signal=10\r\n", &d, &ms), 0);	/* event 10 */
	CU_ASSERT_EQUAL(d, '*');
	CU_ASSERT_EQUAL(ms, 0);
	CU_ASSERT_EQUAL(info("application/dtmf", "a\r\n", &d, &ms), 0);
	CU_ASSERT_EQUAL(d, 'A');
}

static void test_info_bad_bodies(void)
{
	char d;
	int ms;

	CU_ASSERT_EQUAL(info("application/dtmf-relay", "Duration=100\r\n", &d, &ms), -EINVAL);
	CU_ASSERT_EQUAL(info("application/dtmf-relay", "Signal=X\r\n", &d, &ms), -EINVAL);
	CU_ASSERT_EQUAL(info("application/dtmf-relay", "Signal=5\r\nSignal=6\r\n", &d, &ms), -EINVAL);
	CU_ASSERT_EQUAL(info("application/dtmf-relay", "Signal=5\r\nDuration=-3\r\n", &d, &ms), -EINVAL);
	CU_ASSERT_EQUAL(info("application/dtmf-relay", "Signal=5\r\nDuration=99999999\r\n", &d, &ms),
			-EINVAL);
	CU_ASSERT_EQUAL(info("application/dtmf-relay", "five\r\n", &d, &ms), -EINVAL);
	CU_ASSERT_EQUAL(info("application/dtmf-relay", NULL, &d, &ms), -EINVAL);
	CU_ASSERT_EQUAL(info("application/dtmf", "55", &d, &ms), -EINVAL);
	CU_ASSERT_EQUAL(info("application/dtmf", "", &d, &ms), -EINVAL);
	/* not DTMF at all: not ours to judge */
	CU_ASSERT_EQUAL(info("application/x-other", "Signal=5", &d, &ms), -ENOTSUP);
	CU_ASSERT_EQUAL(info(NULL, "Signal=5", &d, &ms), -ENOTSUP);
}

static CU_TestInfo sim_dtmf_tests[] = {
	{ "inband 100 ms, every digit, lengths", test_inband_100ms },
	{ "inband 40 ms, repeated digits", test_inband_40ms_repeats },
	{ "inband bad digits refused", test_inband_refused },
	{ "--dtmf-ms parse", test_parse_ms },
	{ "rfc4733 one event of many packets", test_te_one_event_many_packets },
	{ "rfc4733 same digit twice", test_te_same_digit_twice },
	{ "rfc4733 start lost, flash", test_te_start_lost },
	{ "info bodies read", test_info_bodies },
	{ "info bad bodies", test_info_bad_bodies },
	CU_TEST_INFO_NULL,
};

int suite_sim_dtmf_add(void)
{
	return unit_suite_add("sim_dtmf", sim_dtmf_tests);
}
