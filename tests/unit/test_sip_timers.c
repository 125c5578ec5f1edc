/* sipgw - unit tests: the decisions behind calls that never clear (RTP
 * inactivity with ICMP refusals, RFC 4028 session-timer negotiation).
 * SPDX-License-Identifier: GPL-2.0-only */
#include "sip/sip_timers.h"
#include "unit.h"

static enum rtp_watch_verdict watch(unsigned to, unsigned hold_to, int held, long long now,
				    long long since, unsigned refused, unsigned *next)
{
	struct rtp_watch_in in = { .timeout_ms = to, .hold_timeout_ms = hold_to, .held = held,
				   .now_ms = now, .since_ms = since, .refused_run = refused };
	return rtp_watch_check(&in, next);
}

static void test_rtp_watch_timeout(void)
{
	unsigned next;

	/* RTP 1 s ago, 60 s timeout: fine, look again in 59 s. */
	CU_ASSERT_EQUAL(watch(60000, 300000, 0, 11000, 10000, 0, &next), RTP_WATCH_OK);
	CU_ASSERT_EQUAL(next, 59000);
	/* Exactly the timeout without RTP: clear. */
	CU_ASSERT_EQUAL(watch(60000, 300000, 0, 70000, 10000, 0, &next), RTP_WATCH_SILENT);
	CU_ASSERT_EQUAL(watch(60000, 300000, 0, 69999, 10000, 0, &next), RTP_WATCH_OK);
	CU_ASSERT_EQUAL(next, 1);
	/* A clock step backwards is no silence. */
	CU_ASSERT_EQUAL(watch(2000, 0, 0, 5000, 9000, 0, &next), RTP_WATCH_OK);
	CU_ASSERT_EQUAL(next, 2000);
}

static void test_rtp_watch_hold(void)
{
	unsigned next;

	/* Held: the short timeout does not apply, the hold one does. */
	CU_ASSERT_EQUAL(watch(2000, 300000, 1, 12000, 0, 0, &next), RTP_WATCH_OK);
	CU_ASSERT_EQUAL(next, 288000);
	CU_ASSERT_EQUAL(watch(2000, 300000, 1, 300000, 0, 0, &next), RTP_WATCH_SILENT);
	/* Hold timeout off: a held call is never cleared for silence. */
	CU_ASSERT_EQUAL(watch(2000, 0, 1, 99999999, 0, 0, &next), RTP_WATCH_OK);
	CU_ASSERT_EQUAL(next, 0);
	/* Refusals counted before a hold say nothing about the held call. */
	CU_ASSERT_EQUAL(watch(2000, 300000, 1, 1000, 0, RTP_REFUSED_GONE, &next), RTP_WATCH_OK);
}

static void test_rtp_watch_off(void)
{
	unsigned next = 7;

	CU_ASSERT_EQUAL(watch(0, 300000, 0, 99999999, 0, 0, &next), RTP_WATCH_OK);
	CU_ASSERT_EQUAL(next, 0);
	/* Off means off: no ICMP clearing either. */
	CU_ASSERT_EQUAL(watch(0, 0, 0, 1000, 0, 1000, &next), RTP_WATCH_OK);
}

static void test_rtp_watch_refused(void)
{
	unsigned next;

	CU_ASSERT_EQUAL(watch(60000, 300000, 0, 1200, 1000, RTP_REFUSED_GONE - 1, &next), RTP_WATCH_OK);
	CU_ASSERT_EQUAL(watch(60000, 300000, 0, 1200, 1000, RTP_REFUSED_GONE, &next), RTP_WATCH_REFUSED);
}

static int nego(int uas, int supported, unsigned rse, enum st_refresher r, unsigned rmin,
		unsigned lse, unsigned lmin, unsigned *iv, int *we)
{
	struct st_in in = { .uas = uas, .remote_supported = supported, .remote_se = rse,
			    .remote_refresher = r, .remote_min_se = rmin, .local_se = lse,
			    .local_min_se = lmin };
	return st_negotiate(&in, iv, we);
}

static void test_st_uac(void)
{
	unsigned iv;
	int we;

	/* Our INVITE (1800, no refresher), the 2xx says refresher=uac: we refresh. */
	CU_ASSERT_EQUAL(nego(0, 1, 1800, ST_REFRESHER_UAC, 0, 1800, 90, &iv, &we), 1);
	CU_ASSERT_EQUAL(iv, 1800);
	CU_ASSERT_EQUAL(we, 1);
	/* refresher=uas: the far end does; the interval it shortened to holds. */
	CU_ASSERT_EQUAL(nego(0, 1, 600, ST_REFRESHER_UAS, 0, 1800, 90, &iv, &we), 1);
	CU_ASSERT_EQUAL(iv, 600);
	CU_ASSERT_EQUAL(we, 0);
	/* 2xx without Session-Expires from a UAS that knows no timers:
	 * RFC 4028 7.2, the UAC refreshes at its own interval. */
	CU_ASSERT_EQUAL(nego(0, 0, 0, ST_REFRESHER_NONE, 0, 1800, 90, &iv, &we), 1);
	CU_ASSERT_EQUAL(iv, 1800);
	CU_ASSERT_EQUAL(we, 1);
}

static void test_st_uas(void)
{
	unsigned iv;
	int we;

	/* INVITE with Supported: timer and no Session-Expires: the UAS picks
	 * the UAC as refresher (RFC 4028 9) at our interval. */
	CU_ASSERT_EQUAL(nego(1, 1, 0, ST_REFRESHER_NONE, 0, 1800, 90, &iv, &we), 1);
	CU_ASSERT_EQUAL(iv, 1800);
	CU_ASSERT_EQUAL(we, 0);
	/* It asked for 3600: we shorten to ours. */
	CU_ASSERT_EQUAL(nego(1, 1, 3600, ST_REFRESHER_NONE, 0, 1800, 90, &iv, &we), 1);
	CU_ASSERT_EQUAL(iv, 1800);
	/* refresher=uas in the request: we do. */
	CU_ASSERT_EQUAL(nego(1, 1, 900, ST_REFRESHER_UAS, 0, 1800, 90, &iv, &we), 1);
	CU_ASSERT_EQUAL(iv, 900);
	CU_ASSERT_EQUAL(we, 1);
	/* No timer support at the UAC: we refresh, or nobody would. */
	CU_ASSERT_EQUAL(nego(1, 0, 0, ST_REFRESHER_NONE, 0, 1800, 90, &iv, &we), 1);
	CU_ASSERT_EQUAL(we, 1);
	/* Never below either Min-SE. */
	CU_ASSERT_EQUAL(nego(1, 1, 100, ST_REFRESHER_NONE, 300, 1800, 90, &iv, &we), 1);
	CU_ASSERT_EQUAL(iv, 300);
	CU_ASSERT_EQUAL(nego(1, 1, 0, ST_REFRESHER_NONE, 0, 60, 90, &iv, &we), 1);
	CU_ASSERT_EQUAL(iv, 90);
}

static void test_st_off(void)
{
	unsigned iv = 5;
	int we = 5;

	/* session-expires = 0: no timer, whatever the far end wants. */
	CU_ASSERT_EQUAL(nego(1, 1, 1800, ST_REFRESHER_UAS, 0, 0, 90, &iv, &we), 0);
	CU_ASSERT_EQUAL(iv, 0);
	CU_ASSERT_EQUAL(we, 0);
}

static void test_st_when(void)
{
	/* Refresh before nua's own: it fires on a 1 s tick once its whole
	 * second target (interval/2 rounded down; -5..+5 s from 90 s) is due,
	 * so up to 1 s early. Give up before nua's BYE (interval -
	 * min(32 s, interval/10), up to 1 s early) and after a far-end
	 * refresher (nua too, up to 1 s late) would have refreshed. */
	CU_ASSERT_EQUAL(st_refresh_ms(1800), 890000);
	CU_ASSERT_EQUAL(st_refresh_ms(90), 35000);
	CU_ASSERT_EQUAL(st_refresh_ms(10), 3800);
	CU_ASSERT_EQUAL(st_expiry_ms(1800), 1766000);
	CU_ASSERT_EQUAL(st_expiry_ms(90), 60000);
	CU_ASSERT_EQUAL(st_expiry_ms(10), 6667);
	for (unsigned iv = 1; iv <= 7200; iv++) {
		unsigned nua_refresh = iv >= 90 ? (iv / 2 - 5) * 1000 : iv / 2 * 1000;
		unsigned nua_bye = iv * 1000 - (iv / 10 < 32 ? iv / 10 : 32) * 1000;
		unsigned far_refresh = (iv >= 90 ? iv / 2 + 5 : iv / 2) * 1000 + 1000;

		if (iv >= 4 && st_refresh_ms(iv) + 1000 >= nua_refresh)
			CU_FAIL("our refresh is not before nua's");
		if (iv > 6 && st_expiry_ms(iv) <= far_refresh)
			CU_FAIL("expiry before the far end's refresh");
		if (iv >= 5 && st_expiry_ms(iv) + 1000 >= nua_bye)
			CU_FAIL("expiry not before nua's BYE");
	}
}

static const CU_TestInfo sip_timers_tests[] = {
	{ "rtp watch: silence for the timeout", test_rtp_watch_timeout },
	{ "rtp watch: hold timeout while held", test_rtp_watch_hold },
	{ "rtp watch: 0 = off", test_rtp_watch_off },
	{ "rtp watch: ICMP refusals in a row", test_rtp_watch_refused },
	{ "session timer: UAC role (RFC 4028 7.2)", test_st_uac },
	{ "session timer: UAS role (RFC 4028 9)", test_st_uas },
	{ "session timer: off", test_st_off },
	{ "session timer: refresh and expiry points", test_st_when },
	CU_TEST_INFO_NULL,
};

int suite_sip_timers_add(void)
{
	return unit_suite_add("sip_timers", sip_timers_tests);
}
