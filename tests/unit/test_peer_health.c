/* sipgw - unit tests: the OPTIONS keepalive's counting (route/peer_health.c),
 * no network: which targets are pinged, which answers count as alive, when
 * a target is busied out and back in service (the lines an operator reads),
 * the interval each state pings at, and routing skipping a busied-out
 * target (fake legs: no INVITE, the next dial-peer; none left: cause 38).
 * SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bridge/bridge.h"
#include "bridge/cause.h"
#include "core/config.h"
#include "config_test.h"
#include "fake_leg.h"
#include "route/peer_health.h"
#include "route/route.h"
#include "unit.h"

static int conf_load_text(struct gw_config *cfg, const char *text)
{
	char err[256];
	int rc = load_text(cfg, text, err, sizeof(err), NULL, 0);	/* config_test.h */

	if (rc)
		fprintf(stderr, "\n  config: %s", err);
	return rc;
}

/* Two proxies behind 2...: 100 and 102 on one (one pinger), 101 on the
 * other; 103 has no keepalive, 99 is the registrar's, 900 a span's. */
static const char ph_conf[] =
	"spans = ( { name = \"pbx-a\"; type = \"loopback\"; path = \"/tmp/sipgw-unit-ph\"; } );\n"
	"dial_peers = (\n"
	"  { tag = 100; type = \"voip\"; destination_pattern = \"2...\"; session_target = \"ipv4:127.0.0.1:5070\";\n"
	"    options_keepalive = true; options_up_interval = 60; options_down_interval = 30;\n"
	"    options_retry = 3; options_recovery = 2; },\n"
	"  { tag = 101; type = \"voip\"; destination_pattern = \"2...\"; session_target = \"ipv4:127.0.0.2\";\n"
	"    preference = 1; options_keepalive = true; },\n"
	"  { tag = 102; type = \"voip\"; destination_pattern = \"3...\"; session_target = \"ipv4:127.0.0.1:5070\";\n"
	"    options_keepalive = true; options_retry = 3; options_recovery = 2;\n"
	"    options_up_interval = 60; options_down_interval = 30; },\n"
	"  { tag = 103; type = \"voip\"; destination_pattern = \"4...\"; session_target = \"ipv4:127.0.0.3\"; },\n"
	"  { tag = 99; type = \"voip\"; destination_pattern = \"5...\"; session_target = \"registrar\"; },\n"
	"  { tag = 900; type = \"pots\"; destination_pattern = \"9T\"; port = \"pbx-a\"; }\n"
	");\n";

static struct peer_health *ph_open(struct gw_config *cfg)
{
	struct peer_health *ph = NULL;

	CU_ASSERT_EQUAL_FATAL(conf_load_text(cfg, ph_conf), 0);
	CU_ASSERT_EQUAL_FATAL(peer_health_alloc(&ph, cfg->peers, cfg->n_peers), 0);
	return ph;
}

/* One pinger per distinct target, with every dial-peer on it; none for a
 * dial-peer without keepalive, the registrar's or a span's. */
static void test_targets_from_config(void)
{
	struct gw_config cfg;
	struct peer_health *ph = ph_open(&cfg);
	const struct ph_target *t;

	CU_ASSERT_EQUAL_FATAL(peer_health_count(ph), 2);
	t = peer_health_target(ph, 0);
	CU_ASSERT_STRING_EQUAL(t->host, "127.0.0.1");
	CU_ASSERT_EQUAL(t->port, 5070);
	CU_ASSERT_EQUAL(t->n_tags, 2);
	CU_ASSERT_EQUAL(t->tags[0], 100);
	CU_ASSERT_EQUAL(t->tags[1], 102);
	CU_ASSERT_EQUAL(t->up_ms, 60000);
	CU_ASSERT_EQUAL(t->down_ms, 30000);
	CU_ASSERT_EQUAL(t->retry, 3);
	CU_ASSERT_EQUAL(t->recovery, 2);
	t = peer_health_target(ph, 1);
	CU_ASSERT_STRING_EQUAL(t->host, "127.0.0.2");
	CU_ASSERT_EQUAL(t->port, 5060);		/* RFC 3261 19.1.2 default */
	CU_ASSERT_EQUAL(t->retry, 5);		/* Cisco's defaults */
	CU_ASSERT_EQUAL(t->recovery, 1);
	CU_ASSERT_EQUAL(t->up_ms, 60000);
	CU_ASSERT_EQUAL(t->down_ms, 30000);
	CU_ASSERT_PTR_NULL(peer_health_target(ph, 2));
	CU_ASSERT_EQUAL(peer_health_check(ph, "127.0.0.1", 5070, DP_TP_UDP), 0);
	peer_health_free(ph);
	config_free(&cfg);

	/* no keepalive anywhere: an empty one, and NULL is "all in service" */
	CU_ASSERT_EQUAL_FATAL(peer_health_alloc(&ph, NULL, 0), 0);
	CU_ASSERT_EQUAL(peer_health_count(ph), 0);
	CU_ASSERT_EQUAL(peer_health_check(ph, "127.0.0.1", 5060, DP_TP_UDP), 0);
	peer_health_free(ph);
	CU_ASSERT_EQUAL(peer_health_check(NULL, "127.0.0.1", 5060, DP_TP_UDP), 0);
	peer_health_free(NULL);
}

/* Cisco counts any response as alive, a 4xx too (the peer parsed the
 * request); 503 says it cannot take calls, 408 that nothing came back. */
static void test_answered(void)
{
	static const struct { int status, alive; } rows[] = {
		{ 200, 1 }, { 202, 1 }, { 302, 1 }, { 400, 1 }, { 403, 1 }, { 404, 1 }, { 405, 1 },
		{ 481, 1 }, { 486, 1 }, { 500, 1 }, { 501, 1 }, { 502, 1 }, { 504, 1 }, { 600, 1 },
		{ 408, 0 }, { 503, 0 }, { 0, 0 }, { 900, 0 },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (peer_health_answered(rows[i].status) != rows[i].alive)
			fprintf(stderr, "\n  status %d: want %s", rows[i].status, rows[i].alive ? "alive" : "not");
		CU_ASSERT_EQUAL(peer_health_answered(rows[i].status), rows[i].alive);
	}
}

/* retry 3, recovery 2: failures must be in a row (an answer starts them
 * again), the third busies out and pings go every down interval; answers
 * must be in a row too, the second puts it back, pings every up interval. */
static void test_up_down_counting(void)
{
	struct gw_config cfg;
	struct peer_health *ph = ph_open(&cfg);
	const char *log;

	unit_log_begin();
	CU_ASSERT_EQUAL(peer_health_report(ph, 0, 408), 60000);
	CU_ASSERT_EQUAL(peer_health_report(ph, 0, 503), 60000);
	CU_ASSERT_EQUAL(peer_health_report(ph, 0, 200), 60000);	/* in a row: starts again */
	CU_ASSERT_EQUAL(peer_health_report(ph, 0, 408), 60000);
	CU_ASSERT_EQUAL(peer_health_report(ph, 0, 408), 60000);
	CU_ASSERT_EQUAL(peer_health_state(ph, 0), PH_IN_SERVICE);
	CU_ASSERT_EQUAL(peer_health_check(ph, "127.0.0.1", 5070, DP_TP_UDP), 0);
	log = unit_log_end();
	CU_ASSERT_EQUAL(unit_count(log, "busied out"), 0);

	unit_log_begin();
	CU_ASSERT_EQUAL(peer_health_report(ph, 0, 408), 30000);	/* the third: busied out */
	log = unit_log_end();
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "dial-peers 100, 102 (127.0.0.1:5070) busied out: no answer to 3 OPTIONS (last 408)"));
	CU_ASSERT_EQUAL(peer_health_state(ph, 0), PH_BUSIED_OUT);
	CU_ASSERT_EQUAL(peer_health_check(ph, "127.0.0.1", 5070, DP_TP_UDP), -EHOSTDOWN);
	CU_ASSERT_EQUAL(peer_health_check(ph, "127.0.0.1", 5071, DP_TP_UDP), 0);	/* another target */
	CU_ASSERT_EQUAL(peer_health_check(ph, "127.0.0.1", 5070, DP_TP_TCP), 0);	/* ... over another transport */
	CU_ASSERT_EQUAL(peer_health_state(ph, 1), PH_IN_SERVICE);	/* the other pinger */

	unit_log_begin();
	CU_ASSERT_EQUAL(peer_health_report(ph, 0, 408), 30000);
	CU_ASSERT_EQUAL(peer_health_report(ph, 0, 200), 30000);	/* one answer of two */
	CU_ASSERT_EQUAL(peer_health_report(ph, 0, 503), 30000);	/* in a row: starts again */
	CU_ASSERT_EQUAL(peer_health_report(ph, 0, 404), 30000);
	CU_ASSERT_EQUAL(peer_health_state(ph, 0), PH_BUSIED_OUT);
	log = unit_log_end();
	CU_ASSERT_EQUAL(unit_count(log, "back in service"), 0);

	unit_log_begin();
	CU_ASSERT_EQUAL(peer_health_report(ph, 0, 200), 60000);	/* the second in a row */
	log = unit_log_end();
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "dial-peers 100, 102 (127.0.0.1:5070) back in service: 2 OPTIONS answered (last 200)"));
	CU_ASSERT_EQUAL(peer_health_state(ph, 0), PH_IN_SERVICE);
	CU_ASSERT_EQUAL(peer_health_check(ph, "127.0.0.1", 5070, DP_TP_UDP), 0);

	/* after recovery the failures count from zero again */
	unit_log_begin();
	peer_health_report(ph, 0, 408);
	peer_health_report(ph, 0, 408);
	CU_ASSERT_EQUAL(peer_health_state(ph, 0), PH_IN_SERVICE);
	peer_health_report(ph, 0, 408);
	CU_ASSERT_EQUAL(peer_health_state(ph, 0), PH_BUSIED_OUT);
	unit_log_end();

	/* past the end: nothing counted, nothing to wait for */
	CU_ASSERT_EQUAL(peer_health_report(ph, 7, 200), 0);
	CU_ASSERT_EQUAL(peer_health_state(ph, 7), PH_IN_SERVICE);
	peer_health_free(ph);
	config_free(&cfg);
}

/* retry 1 and recovery 1 (the smallest config allows): one ping decides. */
static void test_retry_one(void)
{
	struct gw_config cfg;
	struct peer_health *ph;
	const char *log;

	CU_ASSERT_EQUAL_FATAL(conf_load_text(&cfg,
		"dial_peers = ( { tag = 7; type = \"voip\"; destination_pattern = \"2...\";\n"
		"  session_target = \"ipv4:10.0.0.7:5080\"; options_keepalive = true;\n"
		"  options_retry = 1; options_up_interval = 2; options_down_interval = 1; } );\n"), 0);
	CU_ASSERT_EQUAL_FATAL(peer_health_alloc(&ph, cfg.peers, cfg.n_peers), 0);
	unit_log_begin();
	CU_ASSERT_EQUAL(peer_health_report(ph, 0, 503), 1000);
	CU_ASSERT_EQUAL(peer_health_report(ph, 0, 200), 2000);
	log = unit_log_end();
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "dial-peer 7 (10.0.0.7:5080) busied out: no answer to 1 OPTIONS (last 503)"));
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "dial-peer 7 (10.0.0.7:5080) back in service: 1 OPTIONS answered (last 200)"));
	peer_health_free(ph);
	config_free(&cfg);
}

/* ---- routing with it (route.c's hook): fake legs, as tests/unit/test_route.c */

struct hfx {
	struct gw_config cfg;
	struct peer_health *ph;
	struct fake_factory pri, sip;
	struct bridge *br;
	struct route *r;
	struct fake_leg *a;
	int cause;
};

static void hfx_open(struct hfx *f)
{
	struct route_params rp = { 0 };
	struct bridge_params bp = { .route = &route_bridge_ops };

	memset(f, 0, sizeof(*f));
	fake_reset();
	f->ph = ph_open(&f->cfg);
	f->pri.kind = "pri";
	f->sip.kind = "sip";
	rp.cfg = &f->cfg;
	rp.health = f->ph;
	rp.legs[ROUTE_LEG_PRI] = (struct route_factory){ fake_factory_alloc, &f->pri };
	rp.legs[ROUTE_LEG_SIP] = (struct route_factory){ fake_factory_alloc, &f->sip };
	CU_ASSERT_EQUAL_FATAL(route_alloc(&f->r, &rp), 0);
	bp.route_arg = f->r;
	CU_ASSERT_EQUAL_FATAL(bridge_alloc(&f->br, &bp), 0);
	route_set_bridge(f->r, f->br);
}

static void hfx_close(struct hfx *f)
{
	unit_log_begin();
	fake_finish();
	if (fake_is_alive(f->a) && !f->a->leg.call)
		fake_gone(f->a);
	bridge_free(f->br);
	route_free(f->r);
	unit_log_end();
	peer_health_free(f->ph);
	config_free(&f->cfg);
	CU_ASSERT_EQUAL(fake_alive(), 0);
	fake_cleanup();
}

static const char *hfx_pri(struct hfx *f, const char *called)
{
	struct leg_setup_info si = { .calling = "5551234" };
	const char *log;

	snprintf(si.called, sizeof(si.called), "%s", called);
	f->a = fake_leg_new("pri", "A");
	unit_log_begin();
	CU_ASSERT_EQUAL(route_incoming_pri(f->r, &f->a->leg, &si, &f->cause), 0);
	log = unit_log_end();
	return log;
}

static void busy_out(struct hfx *f, size_t i)
{
	unit_log_begin();
	while (peer_health_state(f->ph, i) != PH_BUSIED_OUT)
		peer_health_report(f->ph, i, 408);
	unit_log_end();
}

#define LADDER_IS(want)                                                                  \
	do {                                                                             \
		const char *got_ = fake_ladder(), *want_ = (want);                       \
		if (strcmp(got_, want_))                                                 \
			fprintf(stderr, "\n  ladder:\n%s  want:\n%s", got_, want_);      \
		CU_ASSERT_STRING_EQUAL(got_, want_);                                     \
	} while (0)

/* 2001: dial-peer 100 (pref 0) busied out is skipped at once, no leg made
 * for it; 101 is placed. Back in service, 100 is placed first again. */
static void test_route_skips_busied_out(void)
{
	struct hfx f;
	const char *log;

	hfx_open(&f);
	busy_out(&f, 0);
	log = hfx_pri(&f, "2001");
	LADDER_IS("dp101 sip 127.0.0.2:5060 setup\n");
	CU_ASSERT_EQUAL(f.sip.n_made, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "dial-peer 100 (ipv4:127.0.0.1:5070) skipped: busied out"));
	hfx_close(&f);

	hfx_open(&f);
	busy_out(&f, 0);
	unit_log_begin();
	peer_health_report(f.ph, 0, 200);
	peer_health_report(f.ph, 0, 200);
	unit_log_end();
	hfx_pri(&f, "2001");
	LADDER_IS("dp100 sip 127.0.0.1:5070 setup\n");
	hfx_close(&f);
}

/* Hunting after a failure passes a busied-out peer too: 100 answers 503,
 * 101 is out, nothing is left: the caller gets 100's cause. */
static void test_hunt_past_busied_out(void)
{
	struct hfx f;

	hfx_open(&f);
	busy_out(&f, 1);
	hfx_pri(&f, "2001");
	CU_ASSERT_EQUAL_FATAL(f.sip.n_made, 1);
	unit_log_begin();
	call_leg_released(&f.sip.made[0]->leg, cause_from_sip_status(503), 503);
	fake_gone(f.sip.made[0]);
	unit_log_end();
	{
		char want[256];

		snprintf(want, sizeof(want), "dp100 sip 127.0.0.1:5070 setup\nA release %d\n",
			 cause_from_sip_status(503));
		LADDER_IS(want);
	}
	CU_ASSERT_EQUAL(f.sip.n_made, 1);
	hfx_close(&f);
}

/* Every candidate busied out: no leg at all, the PBX gets cause 38
 * (network out of order: it lasts, try another route). A dial-peer without
 * keepalive is never skipped. */
static void test_all_out_cause_38(void)
{
	struct hfx f;

	hfx_open(&f);
	busy_out(&f, 0);
	busy_out(&f, 1);
	hfx_pri(&f, "2001");
	LADDER_IS("A release 38\n");
	CU_ASSERT_EQUAL(f.sip.n_made, 0);
	hfx_close(&f);

	hfx_open(&f);
	busy_out(&f, 0);
	busy_out(&f, 1);
	hfx_pri(&f, "4001");	/* dial-peer 103: no keepalive */
	LADDER_IS("dp103 sip 127.0.0.3:5060 setup\n");
	hfx_close(&f);
}

static const CU_TestInfo peer_health_tests[] = {
	{ "one target per distinct session target", test_targets_from_config },
	{ "alive: any response but 408 and 503", test_answered },
	{ "retry / recovery in a row, intervals per state", test_up_down_counting },
	{ "retry 1: one ping decides", test_retry_one },
	{ "routing skips a busied-out peer", test_route_skips_busied_out },
	{ "hunting after a failure skips one too", test_hunt_past_busied_out },
	{ "every candidate out: cause 38, no leg", test_all_out_cause_38 },
	CU_TEST_INFO_NULL,
};

int suite_peer_health_add(void)
{
	return unit_suite_add("peer_health", peer_health_tests);
}
