/* sipgw - unit tests: reload's pure parts. Config generations (core/cfg_gen.c)
 * with routing on a real bridge and fake legs: a call hunts on the dial-peers
 * of the generation it started with after a reload, new calls take the new
 * ones, and the old generation is freed when its last call ends (no leak,
 * no use after free under ASan). The keys a reload cannot change
 * (core/cfg_diff.c). SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bridge/bridge.h"
#include "bridge/cause.h"
#include "core/cfg_diff.h"
#include "core/cfg_gen.h"
#include "core/config.h"
#include "config_test.h"
#include "fake_leg.h"
#include "route/peer_health.h"
#include "route/route.h"
#include "unit.h"

static const char conf1[] =
	"spans = ( { name = \"pbx-a\"; type = \"loopback\"; path = \"/tmp/sipgw-unit-a\"; } );\n"
	"dial_peers = (\n"
	"  { tag = 100; type = \"voip\"; destination_pattern = \"2...\"; session_target = \"ipv4:127.0.0.1:5062\"; preference = 1; },\n"
	"  { tag = 101; type = \"voip\"; destination_pattern = \"2...\"; session_target = \"ipv4:127.0.0.2:5062\"; preference = 2; }\n"
	");\n";

/* The reload: 2... goes somewhere else, by one dial-peer. */
static const char conf2[] =
	"spans = ( { name = \"pbx-a\"; type = \"loopback\"; path = \"/tmp/sipgw-unit-a\"; } );\n"
	"dial_peers = (\n"
	"  { tag = 200; type = \"voip\"; destination_pattern = \"2...\"; session_target = \"ipv4:127.0.0.9:5062\"; }\n"
	");\n";

static struct cfg_gen *gen_of(const char *text, unsigned id)
{
	struct gw_config cfg;
	struct cfg_gen *g = NULL;
	char err[256];

	if (load_text(&cfg, text, err, sizeof(err), NULL, 0)) {
		fprintf(stderr, "\n  config: %s", err);
		return NULL;
	}
	if (cfg_gen_alloc(&g, &cfg, id))
		config_free(&cfg);
	return g;
}

static void test_gen_refcount(void)
{
	struct gw_config cfg;
	struct cfg_gen *g;
	unsigned live = cfg_gen_live();
	char err[256];

	CU_ASSERT_EQUAL_FATAL(load_text(&cfg, conf1, err, sizeof(err), NULL, 0), 0);
	CU_ASSERT_EQUAL_FATAL(cfg_gen_alloc(&g, &cfg, 1), 0);
	/* moved: the generation owns the dial-peers, the source has nothing to free */
	CU_ASSERT_PTR_NULL(cfg.peers);
	CU_ASSERT_EQUAL(cfg.n_peers, 0);
	CU_ASSERT_EQUAL(g->cfg.n_peers, 2);
	CU_ASSERT_EQUAL(g->refs, 1);
	CU_ASSERT_EQUAL(cfg_gen_live(), live + 1);
	CU_ASSERT_PTR_EQUAL(cfg_gen_ref(g), g);
	CU_ASSERT_EQUAL(g->refs, 2);
	cfg_gen_unref(g);
	CU_ASSERT_EQUAL(cfg_gen_live(), live + 1);	/* one holder left */
	unit_log_begin();
	cfg_gen_unref(g);
	unit_log_end();
	CU_ASSERT_EQUAL(cfg_gen_live(), live);		/* the last one freed it */
	CU_ASSERT_PTR_NULL(cfg_gen_ref(NULL));
	cfg_gen_unref(NULL);
}

struct gfx {
	struct fake_factory pri, sip;
	struct bridge *br;
	struct route *r;
};

static void gfx_open(struct gfx *f, struct cfg_gen *g)
{
	struct route_params rp = { .gen = g };
	struct bridge_params bp = { .route = &route_bridge_ops };

	memset(f, 0, sizeof(*f));
	fake_reset();
	f->pri.kind = "pri";
	f->sip.kind = "sip";
	rp.legs[ROUTE_LEG_PRI] = (struct route_factory){ fake_factory_alloc, &f->pri };
	rp.legs[ROUTE_LEG_SIP] = (struct route_factory){ fake_factory_alloc, &f->sip };
	CU_ASSERT_EQUAL_FATAL(route_alloc(&f->r, &rp), 0);
	bp.route_arg = f->r;
	CU_ASSERT_EQUAL_FATAL(bridge_alloc(&f->br, &bp), 0);
	route_set_bridge(f->r, f->br);
}

static struct fake_leg *pri_call_si(struct gfx *f, const char *name, const struct leg_setup_info *si)
{
	struct fake_leg *a = fake_leg_new("pri", name);
	int cause = 0;

	unit_log_begin();
	CU_ASSERT_EQUAL(route_incoming_pri(f->r, &a->leg, si, &cause), 0);
	unit_log_end();
	return a;
}

static struct fake_leg *pri_call(struct gfx *f, const char *name, const char *called)
{
	struct leg_setup_info si = { .calling = "5551234" };

	snprintf(si.called, sizeof(si.called), "%s", called);
	return pri_call_si(f, name, &si);
}

static void refuse(struct fake_leg *fl, int status)
{
	unit_log_begin();
	call_leg_released(&fl->leg, cause_from_sip_status(status), status);
	fake_gone(fl);
	unit_log_end();
}

/* A call up when the config changes hunts on in the generation it started
 * with (dial-peer 101 of the old file, not 200 of the new), holding it; a
 * new call takes dial-peer 200; the old generation goes with its last call. */
static void test_call_keeps_generation(void)
{
	struct cfg_gen *g1 = gen_of(conf1, 1), *g2 = gen_of(conf2, 2);
	unsigned live = cfg_gen_live();
	struct fake_leg *a, *b;
	struct gfx f;

	CU_ASSERT_PTR_NOT_NULL_FATAL(g1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g2);
	gfx_open(&f, g1);
	cfg_gen_unref(g1);	/* routing and calls hold it from here, as sipgw's reload leaves it */
	a = pri_call(&f, "A", "2001");
	CU_ASSERT_EQUAL_FATAL(f.sip.n_made, 1);
	CU_ASSERT_EQUAL(g1->refs, 2);		/* routing's and the call's */
	unit_log_begin();
	route_set_config(f.r, g2);
	unit_log_end();
	cfg_gen_unref(g2);	/* routing's now */
	CU_ASSERT_EQUAL(g1->refs, 1);		/* the call's alone: g1 is still readable */
	CU_ASSERT_EQUAL(cfg_gen_live(), live);
	CU_ASSERT_EQUAL(route_calls_up(f.r), 1);
	/* the first try fails (5xx hunts on): the next dial-peer of ITS generation */
	refuse(f.sip.made[0], 503);
	CU_ASSERT_EQUAL_FATAL(f.sip.n_made, 2);
	/* a new call is routed by the new generation */
	b = pri_call(&f, "B", "2002");
	CU_ASSERT_EQUAL_FATAL(f.sip.n_made, 3);
	CU_ASSERT_STRING_EQUAL(fake_ladder(),
			       "dp100 sip 127.0.0.1:5062 setup\n"
			       "dp101 sip 127.0.0.2:5062 setup\n"
			       "dp200 sip 127.0.0.9:5062 setup\n");
	/* the old call ends: its generation with it */
	refuse(f.sip.made[1], 503);
	unit_log_begin();
	fake_finish();
	unit_log_end();
	CU_ASSERT_EQUAL(cfg_gen_live(), live - 1);
	CU_ASSERT_EQUAL(route_calls_up(f.r), 1);
	refuse(f.sip.made[2], 486);
	unit_log_begin();
	fake_finish();
	if (fake_is_alive(a) && !a->leg.call)
		fake_gone(a);
	if (fake_is_alive(b) && !b->leg.call)
		fake_gone(b);
	bridge_free(f.br);
	route_free(f.r);
	unit_log_end();
	CU_ASSERT_EQUAL(cfg_gen_live(), live - 2);	/* both gone */
	CU_ASSERT_EQUAL(fake_alive(), 0);
	fake_cleanup();
}

/* A SETUP from a span the config no longer names (a reload took it out)
 * is refused with cause 34 and places nothing; one of a span it names is
 * routed. */
static void test_removed_span_refused(void)
{
	struct cfg_gen *g = gen_of(conf1, 1);
	struct leg_setup_info si = { .calling = "5551234", .called = "2001", .source = "pbx-gone" };
	struct fake_leg *a;
	struct gfx f;
	int cause = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	gfx_open(&f, g);
	cfg_gen_unref(g);
	a = fake_leg_new("pri", "A");
	unit_log_begin();
	CU_ASSERT_EQUAL(route_incoming_pri(f.r, &a->leg, &si, &cause), -EBUSY);
	CU_ASSERT_PTR_NOT_NULL(strstr(unit_log_end(), "span pbx-gone: SETUP to 2001 refused, the span is no longer "
					       "in the config"));
	CU_ASSERT_EQUAL(cause, CAUSE_NO_CIRCUIT);
	CU_ASSERT_EQUAL(f.sip.n_made, 0);
	fake_gone(a);
	snprintf(si.source, sizeof(si.source), "pbx-a");
	a = pri_call_si(&f, "B", &si);
	CU_ASSERT_EQUAL(f.sip.n_made, 1);
	refuse(f.sip.made[0], 486);
	unit_log_begin();
	fake_finish();
	if (fake_is_alive(a) && !a->leg.call)
		fake_gone(a);
	bridge_free(f.br);
	route_free(f.r);
	unit_log_end();
	CU_ASSERT_EQUAL(fake_alive(), 0);
	fake_cleanup();
}

static const char restart_a[] =
	"sip = { bind = \"127.0.0.1\"; port = 5060; trusted = [ \"10.0.0.0/8\" ]; };\n"
	"rtp = { port_min = 20000; port_max = 20999; };\n"
	"timers = { ring-no-answer = 30; };\n"
	"spans = ( { name = \"pbx-a\"; type = \"loopback\"; path = \"/tmp/sipgw-unit-a\"; framing = \"t1\"; hunt = \"ascending\"; } );\n";
/* sip.port, the RTP range, the registrar and pbx-a's framing need a restart; the trusted
 * list, the timer and the hunting do not. */
static const char restart_b[] =
	"sip = { bind = \"127.0.0.1\"; port = 5070; trusted = [ ]; };\n"
	"rtp = { port_min = 21000; port_max = 21999; };\n"
	"timers = { ring-no-answer = 20; };\n"
	"spans = ( { name = \"pbx-a\"; type = \"loopback\"; path = \"/tmp/sipgw-unit-a\"; framing = \"e1\"; hunt = \"descending\"; } );\n"
	"registrar = { realm = \"x\"; users = ( { user = \"2001\"; password = \"p\"; } ); };\n";

static void test_restart_keys(void)
{
	struct gw_config a, b;
	struct cfg_restart rs = { .n = 0 };
	char err[256];
	CU_ASSERT_EQUAL_FATAL(load_text(&a, restart_a, err, sizeof(err), NULL, 0), 0);
	CU_ASSERT_EQUAL_FATAL(load_text(&b, restart_b, err, sizeof(err), NULL, 0), 0);
	cfg_diff_restart(&a, &b, &rs);
	CU_ASSERT_EQUAL_FATAL(rs.n, 4);
	CU_ASSERT_STRING_EQUAL(rs.key[0], "sip.port");
	CU_ASSERT_STRING_EQUAL(rs.key[1], "rtp.port_min");
	CU_ASSERT_STRING_EQUAL(rs.key[2], "rtp.port_max");
	CU_ASSERT_STRING_EQUAL(rs.key[3], "registrar");	/* added: made at start only */
	cfg_diff_span_restart(&a.spans[0], &b.spans[0], &rs);
	CU_ASSERT_EQUAL_FATAL(rs.n, 5);
	CU_ASSERT_STRING_EQUAL(rs.key[4], "spans.pbx-a.framing");
	/* kept: the running values go back into the new config, the rest is new */
	cfg_diff_keep(&a, &b);
	cfg_diff_span_keep(&a.spans[0], &b.spans[0]);
	CU_ASSERT_EQUAL(b.sip_port, 5060);
	CU_ASSERT_EQUAL(b.rtp_port_min, 20000);
	CU_ASSERT_EQUAL(b.rtp_port_max, 20999);
	CU_ASSERT_EQUAL(b.reg.enabled, 0);	/* the whole registrar section as it ran */
	CU_ASSERT_EQUAL(b.reg.n_users, 0);
	CU_ASSERT_EQUAL(b.spans[0].framing, FRAMING_T1);
	CU_ASSERT_EQUAL(b.spans[0].hunt, HUNT_DESCENDING);	/* live */
	CU_ASSERT_EQUAL(b.sip_trusted.n, 0);			/* live */
	CU_ASSERT_EQUAL(b.timers.ring_no_answer_ms, 20000);	/* live */
	/* nothing differs now */
	rs.n = 0;
	cfg_diff_restart(&a, &b, &rs);
	cfg_diff_span_restart(&a.spans[0], &b.spans[0], &rs);
	CU_ASSERT_EQUAL(rs.n, 0);
	config_free(&a);
	config_free(&b);
}

static const char ka1[] =
	"dial_peers = (\n"
	"  { tag = 100; type = \"voip\"; destination_pattern = \"2...\"; session_target = \"ipv4:127.0.0.1:5062\";\n"
	"    options_keepalive = true; options_retry = 1; },\n"
	"  { tag = 101; type = \"voip\"; destination_pattern = \"3...\"; session_target = \"ipv4:127.0.0.2:5062\";\n"
	"    options_keepalive = true; options_retry = 1; }\n"
	");\n";
/* The reload: 127.0.0.2 stays (another dial-peer names it), 127.0.0.1 goes, 127.0.0.3 is new. */
static const char ka2[] =
	"dial_peers = (\n"
	"  { tag = 201; type = \"voip\"; destination_pattern = \"3...\"; session_target = \"ipv4:127.0.0.2:5062\";\n"
	"    options_keepalive = true; options_retry = 1; },\n"
	"  { tag = 202; type = \"voip\"; destination_pattern = \"4...\"; session_target = \"ipv4:127.0.0.3:5062\";\n"
	"    options_keepalive = true; options_retry = 1; }\n"
	");\n";

/* Peer health across a reload: a busied-out target that stays stays
 * busied out (no call is sent to it until its pings answer); a new one
 * starts in service. */
static void test_health_keeps_state(void)
{
	struct gw_config c1, c2;
	struct peer_health *h1, *h2;
	char err[256];

	CU_ASSERT_EQUAL_FATAL(load_text(&c1, ka1, err, sizeof(err), NULL, 0), 0);
	CU_ASSERT_EQUAL_FATAL(load_text(&c2, ka2, err, sizeof(err), NULL, 0), 0);
	CU_ASSERT_EQUAL_FATAL(peer_health_alloc(&h1, c1.peers, c1.n_peers), 0);
	CU_ASSERT_EQUAL_FATAL(peer_health_alloc(&h2, c2.peers, c2.n_peers), 0);
	unit_log_begin();
	peer_health_report(h1, 1, 408);		/* 127.0.0.2 unanswered once: retry 1, busied out */
	unit_log_end();
	CU_ASSERT_EQUAL(peer_health_state(h1, 1), PH_BUSIED_OUT);
	peer_health_take_state(h2, h1);
	CU_ASSERT_EQUAL(peer_health_check(h2, "127.0.0.2", 5062, 0), -EHOSTDOWN);
	CU_ASSERT_EQUAL(peer_health_state(h2, 0), PH_BUSIED_OUT);
	CU_ASSERT_EQUAL(peer_health_target(h2, 0)->tags[0], 201);	/* the new file's dial-peer */
	CU_ASSERT_EQUAL(peer_health_check(h2, "127.0.0.3", 5062, 0), 0);
	CU_ASSERT_EQUAL(peer_health_check(h2, "127.0.0.1", 5062, 0), 0);	/* gone: no keepalive on it */
	CU_ASSERT_FALSE(peer_health_same(h1, h2));
	CU_ASSERT_TRUE(peer_health_same(h1, h1));
	peer_health_take_state(h2, NULL);	/* nothing before: unchanged */
	CU_ASSERT_EQUAL(peer_health_state(h2, 0), PH_BUSIED_OUT);
	peer_health_free(h1);
	peer_health_free(h2);
	config_free(&c1);
	config_free(&c2);
}

static CU_TestInfo reload_tests[] = {
	{ "peer health: a busied-out target that stays stays so", test_health_keeps_state },
	{ "a generation: moved in, counted, freed by its last holder", test_gen_refcount },
	{ "a call keeps its generation across a reload; new calls take the new", test_call_keeps_generation },
	{ "keys that need a restart: named, their running values kept", test_restart_keys },
	{ "a SETUP from a span no longer in the config: cause 34", test_removed_span_refused },
	CU_TEST_INFO_NULL,
};

int suite_reload_add(void)
{
	return unit_suite_add("reload", reload_tests);
}
