/* sipgw - unit tests: SIP overload control's decisions (RFC 3261 21.5.4):
 * who gets 503 by queue delay and by max_call_rate, who never does, the
 * Retry-After spread and the episodes an operator reads in the log. The
 * clock is given, no socket is read. SPDX-License-Identifier: GPL-2.0-only */
#include <string.h>

#include "sip/sip_internal.h"
#include "unit.h"

static const struct sip_ovl_req invite = { .invite = 1 };
static const struct sip_ovl_req reg = { .invite = 0 };
static const struct sip_ovl_req reg_creds = { .invite = 0, .credentials = 1 };
static const struct sip_ovl_req invite_creds = { .invite = 1, .credentials = 1 };
static const struct sip_ovl_req emergency = { .invite = 1, .emergency = 1 };

static void ovl_new(struct sip_overload *o, unsigned max_delay, unsigned rate, long long now)
{
	struct sip_overload_params p = { .max_queue_delay_ms = max_delay, .max_call_rate = rate,
					 .retry_after_s = 30 };

	memset(o, 0, sizeof(*o));
	o->fd = -1;
	sip_ovl_setup(o, &p, now);
}

/* Refused only when the oldest datagram waited more than max_queue_delay;
 * INVITEs and REGISTERs alike; 0 = off whatever the delay. */
static void test_queue_delay_threshold(void)
{
	struct sip_overload o;

	ovl_new(&o, 200, 0, 1000);
	CU_ASSERT_EQUAL(sip_ovl_delay_limit(&o, &invite), 200);
	CU_ASSERT_EQUAL(sip_ovl_decide(&o, &invite, 0, 1000), SIP_OVL_TAKE);
	CU_ASSERT_EQUAL(sip_ovl_decide(&o, &invite, 200, 1000), SIP_OVL_TAKE);
	CU_ASSERT_EQUAL(o.state, SIP_OVL_NORMAL);
	CU_ASSERT_EQUAL(sip_ovl_decide(&o, &invite, 201, 1000), SIP_OVL_QUEUE_DELAY);
	CU_ASSERT_EQUAL(sip_ovl_decide(&o, &reg, 201, 1000), SIP_OVL_QUEUE_DELAY);
	/* the delay fell back: taken again, within the episode */
	CU_ASSERT_EQUAL(sip_ovl_decide(&o, &invite, 150, 1001), SIP_OVL_TAKE);
	CU_ASSERT_EQUAL(sip_ovl_decide(&o, &reg, 150, 1001), SIP_OVL_TAKE);

	ovl_new(&o, 0, 0, 1000);
	CU_ASSERT_EQUAL(sip_ovl_delay_limit(&o, &invite), 0);
	CU_ASSERT_EQUAL(sip_ovl_decide(&o, &invite, 100000, 1000), SIP_OVL_TAKE);
	CU_ASSERT_EQUAL(sip_ovl_decide(&o, &reg, 100000, 1000), SIP_OVL_TAKE);
	CU_ASSERT_EQUAL(o.episodes, 0);
}

/* The second half of a digest exchange is refused only at 4x the delay. */
static void test_credentials_higher_threshold(void)
{
	struct sip_overload o;

	ovl_new(&o, 200, 0, 1000);
	CU_ASSERT_EQUAL(sip_ovl_delay_limit(&o, &reg_creds), 200 * SIP_OVL_CREDENTIALS_FACTOR);
	CU_ASSERT_EQUAL(SIP_OVL_CREDENTIALS_FACTOR, 4);
	CU_ASSERT_EQUAL(sip_ovl_decide(&o, &reg, 500, 1000), SIP_OVL_QUEUE_DELAY);
	CU_ASSERT_EQUAL(sip_ovl_decide(&o, &reg_creds, 500, 1000), SIP_OVL_TAKE);
	CU_ASSERT_EQUAL(sip_ovl_decide(&o, &reg_creds, 800, 1000), SIP_OVL_TAKE);
	CU_ASSERT_EQUAL(sip_ovl_decide(&o, &reg_creds, 801, 1000), SIP_OVL_QUEUE_DELAY);
	CU_ASSERT_EQUAL(sip_ovl_decide(&o, &invite_creds, 800, 1000), SIP_OVL_TAKE);
	CU_ASSERT_EQUAL(sip_ovl_decide(&o, &invite_creds, 801, 1000), SIP_OVL_QUEUE_DELAY);
}

/* max_call_rate 10: a burst of one second's worth, then one per 100 ms;
 * idling longer does not save up more than one second. */
static void test_call_rate_token_bucket(void)
{
	struct sip_overload o;
	int taken = 0;

	ovl_new(&o, 0, 10, 50000);
	for (int i = 0; i < 20; i++)
		taken += sip_ovl_decide(&o, &invite, 0, 50000) == SIP_OVL_TAKE;
	CU_ASSERT_EQUAL(taken, 10);
	CU_ASSERT_EQUAL(sip_ovl_decide(&o, &invite, 0, 50050), SIP_OVL_CALL_RATE);
	CU_ASSERT_EQUAL(sip_ovl_decide(&o, &invite, 0, 50100), SIP_OVL_TAKE);
	CU_ASSERT_EQUAL(sip_ovl_decide(&o, &invite, 0, 50100), SIP_OVL_CALL_RATE);

	/* a minute later: still only one second's worth */
	taken = 0;
	for (int i = 0; i < 30; i++)
		taken += sip_ovl_decide(&o, &invite, 0, 110100) == SIP_OVL_TAKE;
	CU_ASSERT_EQUAL(taken, 10);

	/* over 10 s at a steady 20/s, 10/s get through (+ the first burst) */
	taken = 0;
	for (long long t = 200000; t < 210000; t += 50)
		taken += sip_ovl_decide(&o, &invite, 0, t) == SIP_OVL_TAKE;
	CU_ASSERT(taken >= 100 && taken <= 110);

	/* REGISTERs are no calls: the empty bucket does not refuse them */
	for (int i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(sip_ovl_decide(&o, &reg, 0, 210000), SIP_OVL_TAKE);

	/* 0: no ceiling */
	ovl_new(&o, 0, 0, 0);
	taken = 0;
	for (int i = 0; i < 1000; i++)
		taken += sip_ovl_decide(&o, &invite, 0, 0) == SIP_OVL_TAKE;
	CU_ASSERT_EQUAL(taken, 1000);
}

/* Emergency INVITEs are taken whatever the delay or the rate, and counted
 * only while an episode runs; the socket need not even be looked at. */
static void test_emergency_never_refused(void)
{
	struct sip_overload o;

	ovl_new(&o, 20, 1, 0);
	CU_ASSERT_EQUAL(sip_ovl_delay_limit(&o, &emergency), 0);
	CU_ASSERT_EQUAL(sip_ovl_decide(&o, &emergency, 100000, 0), SIP_OVL_TAKE);
	CU_ASSERT_EQUAL(o.ep_emergency, 0);	/* no episode yet */
	CU_ASSERT_EQUAL(sip_ovl_decide(&o, &invite, 0, 0), SIP_OVL_TAKE);	/* the one token */
	CU_ASSERT_EQUAL(sip_ovl_decide(&o, &invite, 0, 0), SIP_OVL_CALL_RATE);
	CU_ASSERT_EQUAL(sip_ovl_decide(&o, &invite, 5000, 0), SIP_OVL_QUEUE_DELAY);
	for (int i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(sip_ovl_decide(&o, &emergency, 5000, 1), SIP_OVL_TAKE);
	CU_ASSERT_EQUAL(o.ep_emergency, 3);
	/* they took no token: the next ordinary call is still refused */
	CU_ASSERT_EQUAL(sip_ovl_decide(&o, &invite, 0, 1), SIP_OVL_CALL_RATE);
}

/* Retry-After from N..2N, every value reachable, never outside. */
static void test_retry_after_range(void)
{
	unsigned seen[61] = { 0 }, lo = ~0u, hi = 0;

	for (unsigned long r = 0; r < 5000; r++) {
		unsigned v = sip_ovl_retry_after(30, r * 7919);

		if (v < lo)
			lo = v;
		if (v > hi)
			hi = v;
		if (v <= 60)
			seen[v]++;
	}
	CU_ASSERT_EQUAL(lo, 30);
	CU_ASSERT_EQUAL(hi, 60);
	for (unsigned v = 30; v <= 60; v++)
		CU_ASSERT(seen[v] > 0);
	CU_ASSERT_EQUAL(sip_ovl_retry_after(30, 2147483647UL), 30 + 2147483647UL % 31);
	CU_ASSERT_EQUAL(sip_ovl_retry_after(0, 12345), 0);
}

/* One episode from the first refusal to a quiet second, counted and
 * logged once at each end; a second one adds to the totals. */
static void test_episodes(void)
{
	struct sip_overload o;
	const char *log;

	ovl_new(&o, 100, 2, 0);
	unit_log_begin();
	CU_ASSERT_EQUAL(sip_ovl_quiet_check(&o, 0), 0);	/* no episode: nothing to end */
	CU_ASSERT_EQUAL(sip_ovl_decide(&o, &invite, 300, 10000), SIP_OVL_QUEUE_DELAY);
	CU_ASSERT_EQUAL(o.state, SIP_OVL_SHEDDING);
	CU_ASSERT_EQUAL(o.episodes, 1);
	CU_ASSERT_EQUAL(o.since_ms, 10000);
	CU_ASSERT_EQUAL(sip_ovl_decide(&o, &reg, 450, 10200), SIP_OVL_QUEUE_DELAY);
	CU_ASSERT_EQUAL(sip_ovl_decide(&o, &emergency, 450, 10300), SIP_OVL_TAKE);
	CU_ASSERT_EQUAL(sip_ovl_decide(&o, &invite, 120, 10400), SIP_OVL_QUEUE_DELAY);
	CU_ASSERT_EQUAL(o.episodes, 1);
	CU_ASSERT_EQUAL(o.ep_invite, 2);
	CU_ASSERT_EQUAL(o.ep_register, 1);
	CU_ASSERT_EQUAL(o.ep_emergency, 1);
	CU_ASSERT_EQUAL(o.ep_max_delay_ms, 450);
	/* the quiet second counts from the last refusal */
	CU_ASSERT_EQUAL(sip_ovl_quiet_check(&o, 11000), 400);
	CU_ASSERT_EQUAL(o.state, SIP_OVL_SHEDDING);
	CU_ASSERT_EQUAL(sip_ovl_quiet_check(&o, 11399), 1);
	CU_ASSERT_EQUAL(sip_ovl_quiet_check(&o, 10400 + SIP_OVL_QUIET_MS), 0);
	CU_ASSERT_EQUAL(o.state, SIP_OVL_NORMAL);
	CU_ASSERT_EQUAL(o.tot_invite, 2);
	CU_ASSERT_EQUAL(o.tot_register, 1);
	CU_ASSERT_EQUAL(o.tot_emergency, 1);
	CU_ASSERT_EQUAL(o.tot_ms, 400);
	/* outside an episode an emergency call is no "taken during overload" */
	CU_ASSERT_EQUAL(sip_ovl_decide(&o, &emergency, 450, 12000), SIP_OVL_TAKE);
	CU_ASSERT_EQUAL(o.ep_emergency, 1);

	/* the second, by call rate (2/s) */
	CU_ASSERT_EQUAL(sip_ovl_decide(&o, &invite, 0, 20000), SIP_OVL_TAKE);
	CU_ASSERT_EQUAL(sip_ovl_decide(&o, &invite, 0, 20000), SIP_OVL_TAKE);
	CU_ASSERT_EQUAL(sip_ovl_decide(&o, &invite, 0, 20000), SIP_OVL_CALL_RATE);
	CU_ASSERT_EQUAL(o.episodes, 2);
	CU_ASSERT_EQUAL(o.ep_invite, 1);
	CU_ASSERT_EQUAL(o.ep_register, 0);
	CU_ASSERT_EQUAL(o.ep_emergency, 0);
	CU_ASSERT_EQUAL(sip_ovl_decide(&o, &invite, 0, 20100), SIP_OVL_CALL_RATE);
	/* shut down mid-episode: the summary closes it */
	sip_overload_summary(&o);
	log = unit_log_end();
	CU_ASSERT_EQUAL(o.state, SIP_OVL_NORMAL);
	CU_ASSERT_EQUAL(o.tot_invite, 4);
	CU_ASSERT_EQUAL(o.tot_ms, 500);
	CU_ASSERT_EQUAL(o.tot_max_delay_ms, 450);

	CU_ASSERT_EQUAL(unit_count(log, "overload: a request waited 300 ms in the SIP socket "
				   "(max_queue_delay 100 ms)"), 1);
	CU_ASSERT_EQUAL(unit_count(log, "overload: over 2 new calls/s (max_call_rate)"), 1);
	CU_ASSERT_EQUAL(unit_count(log, "overload: "), 2);
	CU_ASSERT_EQUAL(unit_count(log, "overload over: 2 INVITE(s) and 1 REGISTER(s) refused with 503 "
				   "in 0.4 s, 1 emergency INVITE(s) taken, longest queue delay 450 ms"), 1);
	CU_ASSERT_EQUAL(unit_count(log, "overload over: 2 INVITE(s) and 0 REGISTER(s) refused with 503 "
				   "in 0.1 s, 0 emergency INVITE(s) taken, longest queue delay 0 ms"), 1);
	CU_ASSERT_EQUAL(unit_count(log, "summary: 4 INVITE(s) and 1 REGISTER(s) refused with 503 for "
				   "overload in 2 episode(s) (0.5 s), 1 emergency INVITE(s) taken during "
				   "overload, longest queue delay 450 ms"), 1);
}

static const CU_TestInfo sip_overload_tests[] = {
	{ "queue delay threshold", test_queue_delay_threshold },
	{ "credentials: 4x the queue delay", test_credentials_higher_threshold },
	{ "max_call_rate: token bucket, burst of one second", test_call_rate_token_bucket },
	{ "emergency INVITEs never refused", test_emergency_never_refused },
	{ "Retry-After drawn from N..2N", test_retry_after_range },
	{ "episodes: start, quiet end, totals, log lines", test_episodes },
	CU_TEST_INFO_NULL,
};

int suite_sip_overload_add(void)
{
	return unit_suite_add("sip_overload", sip_overload_tests);
}
