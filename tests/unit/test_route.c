/* sipgw - unit tests: routing decisions (src/route/route.c) on a real bridge
 * with fake leg factories. What is asserted is what a voice engineer reads
 * off a trace: which legs were placed (dial-peer, span or contact), in which
 * order, and the cause each leg, the caller's above all, was told. Config
 * comes from libconfig text through config_load(), not from struct layouts.
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
#include "route/route.h"
#include "unit.h"

/* Load text as a config file, as sipgw does (test_config.c's load_text). */
static int conf_load_text(struct gw_config *cfg, const char *text)
{
	char err[256];
	int rc = load_text(cfg, text, err, sizeof(err), NULL, 0);	/* config_test.h */

	if (rc)
		fprintf(stderr, "\n  config: %s", err);
	return rc;
}

/* A branch office: three spans (pbx-b and pbx-a also as a trunk group),
 * phones behind SIP dial-peers and the registrar, emergency numbers. */
static const char route_conf[] =
	"sip = { trusted = [ \"10.0.0.0/8\" ]; };\n"
	"spans = (\n"
	"  { name = \"pbx-a\"; type = \"loopback\"; path = \"/tmp/sipgw-unit-a\"; },\n"
	"  { name = \"pbx-b\"; type = \"loopback\"; path = \"/tmp/sipgw-unit-b\"; },\n"
	"  { name = \"pbx-c\"; type = \"loopback\"; path = \"/tmp/sipgw-unit-c\"; }\n"
	");\n"
	"trunk_groups = ( { name = \"tg-ba\"; spans = [ \"pbx-b\", \"pbx-a\" ]; } );\n"
	"dial_peers = (\n"
	/* to the PSTN */
	"  { tag = 900; type = \"pots\"; destination_pattern = \"9T\"; port = \"pbx-a\"; },\n"
	"  { tag = 901; type = \"pots\"; destination_pattern = \"9T\"; port = \"pbx-c\"; preference = 1; },\n"
	"  { tag = 800; type = \"pots\"; destination_pattern = \"8T\"; port = \"tg-ba\"; },\n"
	"  { tag = 911; type = \"pots\"; destination_pattern = \"911\"; port = \"pbx-a\"; forward_digits = \"all\"; },\n"
	"  { tag = 112; type = \"pots\"; destination_pattern = \"112\"; port = \"pbx-c\"; forward_digits = \"all\"; },\n"
	/* to SIP: preference among equals, but the more specific pattern first */
	"  { tag = 102; type = \"voip\"; destination_pattern = \"2...\"; session_target = \"ipv4:127.0.0.3:5064\"; preference = 3; },\n"
	"  { tag = 100; type = \"voip\"; destination_pattern = \"2...\"; session_target = \"ipv4:127.0.0.1:5062\"; preference = 1; },\n"
	"  { tag = 101; type = \"voip\"; destination_pattern = \"2...\"; session_target = \"ipv4:127.0.0.2\"; preference = 2; },\n"
	"  { tag = 120; type = \"voip\"; destination_pattern = \"20..\"; session_target = \"ipv4:127.0.0.20\"; preference = 5; },\n"
	"  { tag = 99; type = \"voip\"; destination_pattern = \"3...\"; session_target = \"registrar\"; }\n"
	");\n"
	"registrar = { realm = \"branch\"; database = \"\";\n"
	"  users = ( { user = \"2001\"; password = \"a\"; }, { user = \"3001\"; password = \"b\"; } ); };\n"
	"emergency = { numbers = ( { pattern = \"911\"; }, { pattern = \"112\"; extension = \"2001\"; } ); };\n";

/* The registrar as routing sees it: user -> contacts, newest first. */
struct contacts {
	struct { const char *user; const char *uris[4]; } users[4];
	int n_asked;
};

static int fake_contacts(void *arg, const char *user, char uris[][ROUTE_URI_LEN], int max)
{
	struct contacts *ct = arg;
	int n = 0;

	ct->n_asked++;
	for (int u = 0; u < 4; u++) {
		if (!ct->users[u].user || strcmp(ct->users[u].user, user))
			continue;
		for (int i = 0; i < 4 && ct->users[u].uris[i] && n < max; i++)
			snprintf(uris[n++], ROUTE_URI_LEN, "%s", ct->users[u].uris[i]);
	}
	return n;
}

struct rfx {
	struct gw_config cfg;
	struct fake_factory pri, sip;
	struct contacts ct;
	struct bridge *br;
	struct route *r;
	struct fake_leg *a;	/* the incoming leg */
	int rc, cause;
	size_t mark;
};

static void rfx_open_conf(struct rfx *f, int registrar, const char *conf)
{
	struct route_params rp = { 0 };
	struct bridge_params bp = { .route = &route_bridge_ops };

	memset(f, 0, sizeof(*f));
	fake_reset();
	CU_ASSERT_EQUAL_FATAL(conf_load_text(&f->cfg, conf), 0);
	f->pri.kind = "pri";
	f->sip.kind = "sip";
	rp.cfg = &f->cfg;
	rp.legs[ROUTE_LEG_PRI] = (struct route_factory){ fake_factory_alloc, &f->pri };
	rp.legs[ROUTE_LEG_SIP] = (struct route_factory){ fake_factory_alloc, &f->sip };
	if (registrar) {
		rp.contacts_h = fake_contacts;
		rp.contacts_arg = &f->ct;
	}
	CU_ASSERT_EQUAL_FATAL(route_alloc(&f->r, &rp), 0);
	bp.route_arg = f->r;
	CU_ASSERT_EQUAL_FATAL(bridge_alloc(&f->br, &bp), 0);
	route_set_bridge(f->r, f->br);
}

static void rfx_open(struct rfx *f, int registrar)
{
	rfx_open_conf(f, registrar, route_conf);
}

/* Every leg told to release finishes; then everything goes. */
static void rfx_close(struct rfx *f)
{
	unit_log_begin();
	fake_finish();
	if (fake_is_alive(f->a) && !f->a->leg.call)
		fake_gone(f->a);	/* refused: the incoming side still owns its leg */
	bridge_free(f->br);
	route_free(f->r);
	unit_log_end();
	config_free(&f->cfg);
	CU_ASSERT_EQUAL(fake_alive(), 0);
	fake_cleanup();
}

/* An INVITE from source (auth_user "" = none, auth_status its digest verdict). */
static int rfx_sip(struct rfx *f, const char *called, const char *source, const char *auth_user,
		   int auth_status)
{
	struct leg_setup_info si = { .calling = "2002", .auth_status = auth_status };

	snprintf(si.called, sizeof(si.called), "%s", called);
	snprintf(si.source, sizeof(si.source), "%s", source);
	snprintf(si.auth_user, sizeof(si.auth_user), "%s", auth_user);
	f->a = fake_leg_new("sip", "A");
	f->cause = 0;
	unit_log_begin();
	f->rc = route_incoming_sip(f->r, &f->a->leg, &si, &f->cause);
	unit_log_end();
	return f->rc;
}

/* A SETUP on a PRI span. */
static int rfx_pri(struct rfx *f, const char *called)
{
	struct leg_setup_info si = { .calling = "5551234" };

	snprintf(si.called, sizeof(si.called), "%s", called);
	f->a = fake_leg_new("pri", "A");
	f->cause = 0;
	unit_log_begin();
	f->rc = route_incoming_pri(f->r, &f->a->leg, &si, &f->cause);
	unit_log_end();
	return f->rc;
}

/* The far end refuses leg fl with a SIP final status (the SIP leg maps it,
 * RFC 3398), or a Q.931 cause (status 0), and the leg finishes. */
static void refuse(struct fake_leg *fl, int status, int cause)
{
	unit_log_begin();
	call_leg_released(&fl->leg, status ? cause_from_sip_status(status) : cause, status);
	fake_gone(fl);
	unit_log_end();
}

#define LADDER_IS(want)                                                                  \
	do {                                                                             \
		const char *got_ = fake_ladder(), *want_ = (want);                       \
		if (strcmp(got_, want_))                                                 \
			fprintf(stderr, "\n  ladder:\n%s  want:\n%s", got_, want_);      \
		CU_ASSERT_STRING_EQUAL(got_, want_);                                     \
	} while (0)

/* ---- hunting */

/* PRI -> SIP to 2001: the more specific 20.. (preference 5) before the
 * 2... peers, those by preference 1, 2, 3; each 5xx or 408 hunts on, and
 * when the last one fails the caller gets that failure's cause. */
static void test_hunt_order(void)
{
	struct rfx f;
	char want[1024];

	rfx_open(&f, 0);
	CU_ASSERT_EQUAL(rfx_pri(&f, "2001"), 0);
	CU_ASSERT_EQUAL_FATAL(f.sip.n_made, 1);
	refuse(f.sip.made[0], 503, 0);
	CU_ASSERT_EQUAL_FATAL(f.sip.n_made, 2);
	refuse(f.sip.made[1], 500, 0);
	CU_ASSERT_EQUAL_FATAL(f.sip.n_made, 3);
	refuse(f.sip.made[2], 408, 0);
	CU_ASSERT_EQUAL_FATAL(f.sip.n_made, 4);
	refuse(f.sip.made[3], 503, 0);
	snprintf(want, sizeof(want),
		 "dp120 sip 127.0.0.20:5060 setup\n"
		 "dp100 sip 127.0.0.1:5062 setup\n"
		 "dp101 sip 127.0.0.2:5060 setup\n"
		 "dp102 sip 127.0.0.3:5064 setup\n"
		 "A release %d\n", cause_from_sip_status(503));
	LADDER_IS(want);
	CU_ASSERT_EQUAL(f.pri.n_made, 0);
	CU_ASSERT_EQUAL(f.sip.n_made, 4);
	rfx_close(&f);

	/* 2101 matches only the 2... peers: preference alone */
	rfx_open(&f, 0);
	CU_ASSERT_EQUAL(rfx_pri(&f, "2101"), 0);
	CU_ASSERT_EQUAL_FATAL(f.sip.n_made, 1);
	refuse(f.sip.made[0], 503, 0);
	CU_ASSERT_EQUAL_FATAL(f.sip.n_made, 2);
	unit_log_begin();
	call_leg_alerting(&f.sip.made[1]->leg, 0);
	call_leg_answered(&f.sip.made[1]->leg);
	unit_log_end();
	LADDER_IS("dp100 sip 127.0.0.1:5062 setup\n"
		  "dp101 sip 127.0.0.2:5060 setup\n"
		  "A alert\n"
		  "A answer\n");
	rfx_close(&f);
}

/* Figure B-16 (RFC 3261 16.7): 5xx and 408 (no answer at all) try the next
 * dial-peer; 4xx is final for the request and 6xx for the user: the caller
 * gets the mapped cause (RFC 3398) and no other dial-peer is tried. */
static void test_hunt_rule_b16(void)
{
	static const struct { int status, hunts; } rows[] = {
		{ 500, 1 }, { 502, 1 }, { 503, 1 }, { 504, 1 }, { 408, 1 },
		{ 404, 0 }, { 480, 0 }, { 486, 0 }, { 487, 0 }, { 403, 0 },
		{ 600, 0 }, { 603, 0 }, { 604, 0 },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct rfx f;
		char want[512];

		rfx_open(&f, 0);
		CU_ASSERT_EQUAL(rfx_pri(&f, "2001"), 0);
		CU_ASSERT_EQUAL_FATAL(f.sip.n_made, 1);
		refuse(f.sip.made[0], rows[i].status, 0);
		if (rows[i].hunts)
			snprintf(want, sizeof(want), "dp120 sip 127.0.0.20:5060 setup\n"
				 "dp100 sip 127.0.0.1:5062 setup\n");
		else
			snprintf(want, sizeof(want), "dp120 sip 127.0.0.20:5060 setup\nA release %d\n",
				 cause_from_sip_status(rows[i].status));
		if (strcmp(fake_ladder(), want))
			fprintf(stderr, "\n  status %d:", rows[i].status);
		LADDER_IS(want);
		CU_ASSERT_EQUAL(f.sip.n_made, rows[i].hunts ? 2 : 1);
		rfx_close(&f);
	}
	/* the mapping the caller hears, for the statuses a voice engineer knows by heart */
	CU_ASSERT_EQUAL(cause_from_sip_status(486), CAUSE_USER_BUSY);
	CU_ASSERT_EQUAL(cause_from_sip_status(404), CAUSE_UNALLOCATED);
	CU_ASSERT_EQUAL(cause_from_sip_status(603), CAUSE_CALL_REJECTED);
}

/* No dial-peer matches: the call is refused with cause 1, unallocated
 * number, and no leg is placed. */
static void test_no_dial_peer(void)
{
	struct rfx f;

	rfx_open(&f, 0);
	CU_ASSERT_EQUAL(rfx_pri(&f, "7777"), 0);
	LADDER_IS("A release 1\n");
	CU_ASSERT_EQUAL(f.sip.n_made + f.pri.n_made, 0);
	rfx_close(&f);

	rfx_open(&f, 0);
	CU_ASSERT_EQUAL(rfx_sip(&f, "7777", "10.1.2.3", "", 0), 0);	/* trusted */
	LADDER_IS("A release 1\n");
	CU_ASSERT_EQUAL(f.sip.n_made + f.pri.n_made, 0);
	rfx_close(&f);
}

/* Every try fails to be placed: towards SIP the caller gets 38 (network out
 * of order); towards the PSTN the cause the last span gave. */
static void test_every_try_fails_to_place(void)
{
	struct rfx f;

	rfx_open(&f, 0);
	for (int i = 0; i < 4; i++)
		f.sip.setup[i].rc = -EIO, f.sip.setup[i].cause = CAUSE_TEMP_FAILURE;
	CU_ASSERT_EQUAL(rfx_pri(&f, "2001"), 0);
	LADDER_IS("dp120 sip 127.0.0.20:5060 setup: cause 41\n"
		  "dp100 sip 127.0.0.1:5062 setup: cause 41\n"
		  "dp101 sip 127.0.0.2:5060 setup: cause 41\n"
		  "dp102 sip 127.0.0.3:5064 setup: cause 41\n"
		  "A release 38\n");
	CU_ASSERT_EQUAL(bridge_call_count(f.br), 1);
	CU_ASSERT_EQUAL(fake_destroyed(), 4);	/* the legs that could not be placed are gone */
	rfx_close(&f);

	/* SIP -> 95551234: dial-peer 900 (pbx-a) then 901 (pbx-c), both refuse */
	rfx_open(&f, 0);
	f.pri.setup[0].rc = -EBUSY, f.pri.setup[0].cause = CAUSE_NO_CIRCUIT;
	f.pri.setup[1].rc = -EBUSY, f.pri.setup[1].cause = CAUSE_SWITCH_CONGESTION;
	CU_ASSERT_EQUAL(rfx_sip(&f, "95551234", "10.1.2.3", "", 0), 0);
	LADDER_IS("dp900 span pbx-a 5551234 setup: cause 34\n"
		  "dp901 span pbx-c 5551234 setup: cause 42\n"
		  "A release 42\n");
	rfx_close(&f);
}

/* A trunk group: its spans in order; the first has no free B-channel
 * (cause 34), the next takes the call. */
static void test_trunk_group(void)
{
	struct rfx f;

	rfx_open(&f, 0);
	f.pri.setup[0].rc = -EBUSY, f.pri.setup[0].cause = CAUSE_NO_CIRCUIT;
	CU_ASSERT_EQUAL(rfx_sip(&f, "85551234", "10.1.2.3", "", 0), 0);
	CU_ASSERT_EQUAL_FATAL(f.pri.n_made, 2);
	unit_log_begin();
	call_leg_alerting(&f.pri.made[1]->leg, 1);
	call_leg_answered(&f.pri.made[1]->leg);
	unit_log_end();
	LADDER_IS("dp800 span pbx-b 5551234 setup: cause 34\n"
		  "dp800 span pbx-a 5551234 setup\n"
		  "A alert inband\n"
		  "A answer\n");
	rfx_close(&f);

	/* both spans full: the caller hears the span's cause */
	rfx_open(&f, 0);
	f.pri.setup[0].rc = -EBUSY, f.pri.setup[0].cause = CAUSE_NO_CIRCUIT;
	f.pri.setup[1].rc = -EBUSY, f.pri.setup[1].cause = CAUSE_NO_CIRCUIT;
	CU_ASSERT_EQUAL(rfx_sip(&f, "85551234", "10.1.2.3", "", 0), 0);
	LADDER_IS("dp800 span pbx-b 5551234 setup: cause 34\n"
		  "dp800 span pbx-a 5551234 setup: cause 34\n"
		  "A release 34\n");
	rfx_close(&f);
}

/* A span the config names but that is not running (its factory says
 * -ENOENT) is skipped and leaves the cause the spans gave so far: the last
 * refusal, or 3 (no route to destination) when none ran. (This test found
 * route_place's 41 overwriting it during issue 8.) */
static void test_span_not_running(void)
{
	struct rfx f;

	rfx_open(&f, 0);
	f.pri.setup[0].rc = -EBUSY, f.pri.setup[0].cause = CAUSE_NO_CIRCUIT;
	f.pri.no_span[0] = "pbx-a";
	CU_ASSERT_EQUAL(rfx_sip(&f, "85551234", "10.1.2.3", "", 0), 0);
	LADDER_IS("dp800 span pbx-b 5551234 setup: cause 34\n"
		  "A release 34\n");
	rfx_close(&f);

	rfx_open(&f, 0);
	f.pri.no_span[0] = "pbx-a";
	f.pri.no_span[1] = "pbx-b";
	CU_ASSERT_EQUAL(rfx_sip(&f, "85551234", "10.1.2.3", "", 0), 0);
	LADDER_IS("A release 3\n");
	rfx_close(&f);
}

/* ---- forking to registered phones */

/* 2001 is registered from two phones: both ring at once; one is busy, the
 * other gives up unanswered (480): the caller hears busy (17), RFC 3261
 * 16.7's best answer, not "no answer". */
static void test_fork_busy_and_no_answer(void)
{
	struct rfx f;

	rfx_open(&f, 1);
	f.ct.users[0].user = "2001";
	f.ct.users[0].uris[0] = "sip:2001@10.0.0.5:5060";
	f.ct.users[0].uris[1] = "sip:2001@10.0.0.6:5062";
	CU_ASSERT_EQUAL(rfx_sip(&f, "2001", "10.1.2.3", "", 0), 0);
	CU_ASSERT_EQUAL_FATAL(f.sip.n_made, 2);
	unit_log_begin();
	call_leg_alerting(&f.sip.made[1]->leg, 0);
	unit_log_end();
	refuse(f.sip.made[0], 486, 0);
	CU_ASSERT_EQUAL(bridge_call_count(f.br), 1);
	refuse(f.sip.made[1], 480, 0);
	LADDER_IS("contact sip:2001@10.0.0.5:5060 setup\n"
		  "contact sip:2001@10.0.0.6:5062 setup\n"
		  "A alert\n"
		  "A release 17\n");
	CU_ASSERT_EQUAL(f.pri.n_made, 0);
	rfx_close(&f);

	/* the same the other way round: no answer first, then busy */
	rfx_open(&f, 1);
	f.ct.users[0].user = "2001";
	f.ct.users[0].uris[0] = "sip:2001@10.0.0.5:5060";
	f.ct.users[0].uris[1] = "sip:2001@10.0.0.6:5062";
	CU_ASSERT_EQUAL(rfx_sip(&f, "2001", "10.1.2.3", "", 0), 0);
	CU_ASSERT_EQUAL_FATAL(f.sip.n_made, 2);
	refuse(f.sip.made[1], 480, 0);
	refuse(f.sip.made[0], 486, 0);
	LADDER_IS("contact sip:2001@10.0.0.5:5060 setup\n"
		  "contact sip:2001@10.0.0.6:5062 setup\n"
		  "A release 17\n");
	rfx_close(&f);
}

/* A 6xx from one phone declines for the user everywhere (RFC 3261 16.7):
 * the others are cancelled with the same cause and so is the caller. */
static void test_fork_6xx_clears_others(void)
{
	struct rfx f;
	char want[512];
	int c603 = cause_from_sip_status(603);

	rfx_open(&f, 1);
	f.ct.users[0].user = "3001";
	f.ct.users[0].uris[0] = "sip:3001@10.0.0.7";
	f.ct.users[0].uris[1] = "sip:3001@10.0.0.8";
	f.ct.users[0].uris[2] = "sip:3001@10.0.0.9";
	/* PRI -> 3001 through the "session target registrar" dial-peer 99 */
	CU_ASSERT_EQUAL(rfx_pri(&f, "3001"), 0);
	CU_ASSERT_EQUAL_FATAL(f.sip.n_made, 3);
	refuse(f.sip.made[1], 603, 0);
	snprintf(want, sizeof(want),
		 "dp99 contact sip:3001@10.0.0.7 setup\n"
		 "dp99 contact sip:3001@10.0.0.8 setup\n"
		 "dp99 contact sip:3001@10.0.0.9 setup\n"
		 "A release %d\n"
		 "dp99 contact sip:3001@10.0.0.7 release %d\n"
		 "dp99 contact sip:3001@10.0.0.9 release %d\n", c603, c603, c603);
	LADDER_IS(want);
	CU_ASSERT_EQUAL(c603, CAUSE_CALL_REJECTED);
	rfx_close(&f);

	/* an answer on one cancels the others with 26 */
	rfx_open(&f, 1);
	f.ct.users[0].user = "3001";
	f.ct.users[0].uris[0] = "sip:3001@10.0.0.7";
	f.ct.users[0].uris[1] = "sip:3001@10.0.0.8";
	CU_ASSERT_EQUAL(rfx_pri(&f, "3001"), 0);
	CU_ASSERT_EQUAL_FATAL(f.sip.n_made, 2);
	unit_log_begin();
	call_leg_answered(&f.sip.made[1]->leg);
	unit_log_end();
	LADDER_IS("dp99 contact sip:3001@10.0.0.7 setup\n"
		  "dp99 contact sip:3001@10.0.0.8 setup\n"
		  "dp99 contact sip:3001@10.0.0.7 release 26\n"
		  "A answer\n");
	rfx_close(&f);
}

/* ---- emergency (figures B-22, B-23) */

/* From an address nobody trusts, without credentials, 911 reaches the PBX
 * (marked emergency, so it may take a reserved B-channel); 112 names
 * extension 2001, registered: that phone rings; unregistered, the pots
 * dial-peer for 112 takes it. */
static void test_emergency(void)
{
	struct rfx f;
	int registrar;

	for (registrar = 0; registrar <= 1; registrar++) {
		rfx_open(&f, registrar);
		CU_ASSERT_EQUAL(rfx_sip(&f, "911", "192.0.2.7", "", 0), 0);
		LADDER_IS("dp911 span pbx-a 911 setup (emergency)\n");
		CU_ASSERT_EQUAL_FATAL(f.pri.n_made, 1);
		CU_ASSERT_TRUE(f.pri.made[0]->emergency);
		CU_ASSERT_EQUAL(f.cause, 0);
		rfx_close(&f);
	}

	rfx_open(&f, 1);
	f.ct.users[0].user = "2001";
	f.ct.users[0].uris[0] = "sip:2001@10.0.0.5:5060";
	CU_ASSERT_EQUAL(rfx_sip(&f, "112", "192.0.2.7", "", 0), 0);
	LADDER_IS("contact sip:2001@10.0.0.5:5060 setup (emergency)\n");
	CU_ASSERT_EQUAL(f.pri.n_made, 0);
	CU_ASSERT_EQUAL_FATAL(f.sip.n_made, 1);
	unit_log_begin();
	call_leg_answered(&f.sip.made[0]->leg);
	unit_log_end();
	LADDER_IS("contact sip:2001@10.0.0.5:5060 setup (emergency)\nA answer\n");
	rfx_close(&f);

	rfx_open(&f, 1);	/* 2001 not registered */
	CU_ASSERT_EQUAL(rfx_sip(&f, "112", "192.0.2.7", "", 0), 0);
	LADDER_IS("dp112 span pbx-c 112 setup (emergency)\n");
	rfx_close(&f);

	/* an ordinary number is no emergency, even from a trusted source */
	rfx_open(&f, 0);
	CU_ASSERT_EQUAL(rfx_sip(&f, "95551234", "10.1.2.3", "", 0), 0);
	LADDER_IS("dp900 span pbx-a 5551234 setup\n");
	rfx_close(&f);
}

/* ---- the toll-fraud door (figure B-19) */

/* A refused INVITE: no call, no leg placed anywhere, the registrar not even
 * asked where the number is; the incoming side keeps its leg. */
static void door_shut(struct rfx *f)
{
	CU_ASSERT_EQUAL(f->pri.n_made, 0);
	CU_ASSERT_EQUAL(f->sip.n_made, 0);
	CU_ASSERT_EQUAL(bridge_call_count(f->br), 0);
	CU_ASSERT_PTR_NULL(f->a->leg.call);
	CU_ASSERT_EQUAL(f->ct.n_asked, 0);
	LADDER_IS("");
}

static void test_toll_fraud_door(void)
{
	struct rfx f;

	/* untrusted, no credentials, a registrar: challenge (407) */
	rfx_open(&f, 1);
	f.ct.users[0].user = "2001";
	f.ct.users[0].uris[0] = "sip:2001@10.0.0.5:5060";
	CU_ASSERT_EQUAL(rfx_sip(&f, "95551234", "192.0.2.7", "", 0), -EACCES);
	door_shut(&f);
	rfx_close(&f);

	rfx_open(&f, 1);	/* to a registered phone: the same */
	f.ct.users[0].user = "2001";
	f.ct.users[0].uris[0] = "sip:2001@10.0.0.5:5060";
	CU_ASSERT_EQUAL(rfx_sip(&f, "2001", "192.0.2.7", "", 0), -EACCES);
	door_shut(&f);
	rfx_close(&f);

	/* no registrar to authenticate against: 403, cause 21 */
	rfx_open(&f, 0);
	CU_ASSERT_EQUAL(rfx_sip(&f, "95551234", "192.0.2.7", "", 0), -EPERM);
	CU_ASSERT_EQUAL(f.cause, CAUSE_CALL_REJECTED);
	door_shut(&f);
	rfx_close(&f);

	/* bad credentials (the digest check said 403): refused, even from inside */
	for (int registrar = 0; registrar <= 1; registrar++) {
		rfx_open(&f, registrar);
		CU_ASSERT_EQUAL(rfx_sip(&f, "95551234", "192.0.2.7", "2001", 403), -EACCES);
		door_shut(&f);
		rfx_close(&f);
	}

	/* a trusted source, or an authenticated user, goes through */
	rfx_open(&f, 1);
	CU_ASSERT_EQUAL(rfx_sip(&f, "95551234", "10.1.2.3", "", 0), 0);
	LADDER_IS("dp900 span pbx-a 5551234 setup\n");
	rfx_close(&f);
	rfx_open(&f, 1);
	CU_ASSERT_EQUAL(rfx_sip(&f, "95551234", "192.0.2.7", "2001", 0), 0);
	LADDER_IS("dp900 span pbx-a 5551234 setup\n");
	rfx_close(&f);
}

/* The door alone (sip_door_h, asked before an INVITE's offer is looked at)
 * says what route_incoming_sip's door says, and places nothing; emergency
 * numbers pass it from anyone. */
static void test_door_alone(void)
{
	static const struct {
		int registrar;
		const char *called, *source, *auth_user;
		int auth_status, rc;
	} cases[] = {
		{ 1, "95551234", "192.0.2.7", "", 0, -EACCES },		/* challenge */
		{ 0, "95551234", "192.0.2.7", "", 0, -EPERM },		/* 403, no registrar */
		{ 1, "95551234", "192.0.2.7", "2001", 403, -EACCES },	/* bad credentials */
		{ 1, "95551234", "10.1.2.3", "", 0, 0 },		/* trusted */
		{ 1, "95551234", "192.0.2.7", "2001", 0, 0 },		/* authenticated */
		{ 1, "911", "192.0.2.7", "", 0, 0 },			/* emergency, from anyone */
		{ 1, "", "192.0.2.7", "", 0, -EACCES },		/* no readable number: still the door */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct leg_setup_info si = { .calling = "2002", .auth_status = cases[i].auth_status };
		struct rfx f;
		int cause = 0;

		rfx_open(&f, cases[i].registrar);
		snprintf(si.called, sizeof(si.called), "%s", cases[i].called);
		snprintf(si.source, sizeof(si.source), "%s", cases[i].source);
		snprintf(si.auth_user, sizeof(si.auth_user), "%s", cases[i].auth_user);
		unit_log_begin();
		CU_ASSERT_EQUAL(route_door_sip(f.r, &si, &cause), cases[i].rc);
		unit_log_end();
		if (cases[i].rc == -EPERM)
			CU_ASSERT_EQUAL(cause, CAUSE_CALL_REJECTED);
		CU_ASSERT_EQUAL(f.pri.n_made + f.sip.n_made, 0);
		CU_ASSERT_EQUAL(bridge_call_count(f.br), 0);
		f.a = fake_leg_new("sip", "A");	/* rfx_close's */
		rfx_close(&f);
	}
}

/* RFC 3325 9.1: a P-Asserted-Identity is who calls only when it comes from
 * the trust domain; from anyone else, authenticated or not, it is ignored
 * (else any phone could call out as any number). */
static void test_asserted_identity(void)
{
	static const struct { const char *source, *auth_user, *calling; } cases[] = {
		{ "10.1.2.3", "", "5550199" },		/* trusted source: believed */
		{ "192.0.2.7", "2001", "2002" },	/* authenticated, not trusted: ignored */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct leg_setup_info si = { .calling = "2002", .called = "95551234", .asserted = "5550199" };
		struct rfx f;
		struct fake_leg *b;

		rfx_open(&f, 1);
		snprintf(si.source, sizeof(si.source), "%s", cases[i].source);
		snprintf(si.auth_user, sizeof(si.auth_user), "%s", cases[i].auth_user);
		f.a = fake_leg_new("sip", "A");
		unit_log_begin();
		CU_ASSERT_EQUAL(route_incoming_sip(f.r, &f.a->leg, &si, &f.cause), 0);
		unit_log_end();
		LADDER_IS("dp900 span pbx-a 5551234 setup\n");
		b = fake_find("dp900 span pbx-a 5551234");
		CU_ASSERT_PTR_NOT_NULL_FATAL(b);
		CU_ASSERT_STRING_EQUAL(b->calling, cases[i].calling);
		rfx_close(&f);
	}
}

/* ---- glare (Q.931 5.7) */

/* The network takes the B-channel of our SETUP for a call of its own (cause
 * 44 before any ALERTING): the same dial-peer is tried once more; when that
 * is refused too, the caller gets 44. */
static void test_glare(void)
{
	struct rfx f;
	const char *log;

	rfx_open(&f, 0);
	CU_ASSERT_EQUAL(rfx_sip(&f, "95551234", "10.1.2.3", "", 0), 0);
	CU_ASSERT_EQUAL_FATAL(f.pri.n_made, 1);
	unit_log_begin();
	call_leg_released(&f.pri.made[0]->leg, CAUSE_REQUESTED_CHAN_UNAVAIL, 0);
	log = unit_log_end();
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "B-channel refused (cause 44): trying the dial-peer again"));
	CU_ASSERT_EQUAL_FATAL(f.pri.n_made, 2);
	unit_log_begin();
	fake_gone(f.pri.made[0]);	/* released already: it only finishes */
	unit_log_end();
	refuse(f.pri.made[1], 0, CAUSE_REQUESTED_CHAN_UNAVAIL);
	LADDER_IS("dp900 span pbx-a 5551234 setup\n"
		  "dp900 span pbx-a 5551234 setup\n"
		  "A release 44\n");
	CU_ASSERT_EQUAL(f.pri.n_made, 2);
	rfx_close(&f);

	/* the second try goes through */
	rfx_open(&f, 0);
	CU_ASSERT_EQUAL(rfx_sip(&f, "95551234", "10.1.2.3", "", 0), 0);
	refuse(f.pri.made[0], 0, CAUSE_REQUESTED_CHAN_UNAVAIL);
	CU_ASSERT_EQUAL_FATAL(f.pri.n_made, 2);
	unit_log_begin();
	call_leg_alerting(&f.pri.made[1]->leg, 1);
	call_leg_answered(&f.pri.made[1]->leg);
	unit_log_end();
	LADDER_IS("dp900 span pbx-a 5551234 setup\n"
		  "dp900 span pbx-a 5551234 setup\n"
		  "A alert inband\n"
		  "A answer\n");
	rfx_close(&f);

	/* after ALERTING, 44 is no glare: the caller gets it at once */
	rfx_open(&f, 0);
	CU_ASSERT_EQUAL(rfx_sip(&f, "95551234", "10.1.2.3", "", 0), 0);
	unit_log_begin();
	call_leg_alerting(&f.pri.made[0]->leg, 1);
	unit_log_end();
	refuse(f.pri.made[0], 0, CAUSE_REQUESTED_CHAN_UNAVAIL);
	LADDER_IS("dp900 span pbx-a 5551234 setup\n"
		  "A alert inband\n"
		  "A release 44\n");
	CU_ASSERT_EQUAL(f.pri.n_made, 1);
	rfx_close(&f);
}

static void on_idle(void *arg)
{
	(*(int *)arg)++;
}

/* Shutting down: a new call from either side is refused with cause 42
 * (switching equipment congestion, 503 on SIP) before any leg is placed. */
static void test_shutting_down(void)
{
	struct rfx f;
	int idle = 0;

	rfx_open(&f, 0);
	unit_log_begin();
	bridge_shutdown(f.br, on_idle, &idle);
	unit_log_end();
	CU_ASSERT_EQUAL(idle, 1);
	CU_ASSERT_EQUAL(rfx_pri(&f, "2001"), -EBUSY);
	CU_ASSERT_EQUAL(f.cause, CAUSE_SWITCH_CONGESTION);
	CU_ASSERT_PTR_NULL(f.a->leg.call);
	fake_gone(f.a);
	CU_ASSERT_EQUAL(rfx_sip(&f, "95551234", "10.1.2.3", "", 0), -EBUSY);
	CU_ASSERT_EQUAL(f.cause, CAUSE_SWITCH_CONGESTION);
	CU_ASSERT_EQUAL(f.pri.n_made + f.sip.n_made, 0);
	LADDER_IS("");
	rfx_close(&f);
}

/* ---- cause overrides (config "causes", globally and per dial-peer) */

static const char causes_conf[] =
	"sip = { trusted = [ \"10.0.0.0/8\" ]; };\n"
	"spans = ( { name = \"pbx-a\"; type = \"loopback\"; path = \"/tmp/sipgw-unit-a\"; } );\n"
	"causes = {\n"
	"  sip_to_pstn = ( { sip_status = 486; pstn_cause = 34; }, { sip_status = 404; pstn_cause = 3; } );\n"
	"  pstn_to_sip = ( { pstn_cause = 17; sip_status = 503; }, { pstn_cause = 34; sip_status = 486; },\n"
	"                  { pstn_cause = 1; sip_status = 484; } );\n"
	"};\n"
	"dial_peers = (\n"
	"  { tag = 100; type = \"voip\"; destination_pattern = \"2...\"; session_target = \"ipv4:127.0.0.1\";\n"
	"    preference = 1; causes = { sip_to_pstn = ( { sip_status = 486; pstn_cause = 21; } ); }; },\n"
	"  { tag = 101; type = \"voip\"; destination_pattern = \"2...\"; session_target = \"ipv4:127.0.0.2\";\n"
	"    preference = 2; },\n"
	"  { tag = 102; type = \"voip\"; destination_pattern = \"3...\"; session_target = \"ipv4:127.0.0.3\"; },\n"
	"  { tag = 900; type = \"pots\"; destination_pattern = \"9T\"; port = \"pbx-a\";\n"
	"    causes = { pstn_to_sip = ( { pstn_cause = 17; sip_status = 600; } ); }; },\n"
	"  { tag = 800; type = \"pots\"; destination_pattern = \"8T\"; port = \"pbx-a\"; }\n"
	");\n";

/* The far end refuses fl with status; from_reason: the cause is the one its
 * Reason header named (RFC 6432). Returns the log. */
static const char *refuse_reason(struct fake_leg *fl, int status, int cause, int from_reason)
{
	unit_log_begin();
	fl->leg.cause_from_reason = from_reason;
	call_leg_released(&fl->leg, cause, status);
	fake_gone(fl);
	return unit_log_end();
}

/* SIP -> PSTN: a SIP called leg's status reaches the PBX caller as the
 * dial-peer's override, else the global one, else RFC 3398; a Reason
 * header's Q.850 cause beats them all. */
static void test_override_sip_to_pstn(void)
{
	struct rfx f;
	const char *log;

	/* 486 over dial-peer 100: its own row (21), not the global one (34) */
	rfx_open_conf(&f, 0, causes_conf);
	CU_ASSERT_EQUAL(rfx_pri(&f, "2001"), 0);
	CU_ASSERT_EQUAL_FATAL(f.sip.n_made, 1);
	log = refuse_reason(f.sip.made[0], 486, CAUSE_USER_BUSY, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "SIP 486 -> cause 21 (Call rejected) by the dial-peer's cause override "
					   "(RFC 3398: 17)"));
	LADDER_IS("dp100 sip 127.0.0.1:5060 setup\n"
		  "A release 21\n");
	rfx_close(&f);

	/* 503 on 100 hunts to 101, whose 486 gets the global row: 100's row
	 * stays with the legs placed for 100 */
	rfx_open_conf(&f, 0, causes_conf);
	CU_ASSERT_EQUAL(rfx_pri(&f, "2001"), 0);
	refuse(f.sip.made[0], 503, 0);
	CU_ASSERT_EQUAL_FATAL(f.sip.n_made, 2);
	log = refuse_reason(f.sip.made[1], 486, CAUSE_USER_BUSY, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "SIP 486 -> cause 34 (No circuit/channel available) by the global "
					   "cause override"));
	LADDER_IS("dp100 sip 127.0.0.1:5060 setup\n"
		  "dp101 sip 127.0.0.2:5060 setup\n"
		  "A release 34\n");
	rfx_close(&f);

	/* dial-peer 102 has no rows: global 404 -> 3; 480 has no row anywhere: RFC 3398's 18 */
	rfx_open_conf(&f, 0, causes_conf);
	CU_ASSERT_EQUAL(rfx_pri(&f, "3001"), 0);
	refuse(f.sip.made[0], 404, 0);
	LADDER_IS("dp102 sip 127.0.0.3:5060 setup\n"
		  "A release 3\n");
	rfx_close(&f);
	rfx_open_conf(&f, 0, causes_conf);
	CU_ASSERT_EQUAL(rfx_pri(&f, "3001"), 0);
	log = refuse_reason(f.sip.made[0], 480, CAUSE_NO_USER_RESPONSE, 0);
	CU_ASSERT_PTR_NULL(strstr(log, "cause override"));
	LADDER_IS("dp102 sip 127.0.0.3:5060 setup\n"
		  "A release 18\n");
	rfx_close(&f);

	/* RFC 6432: 486 with Reason Q.850 cause 17, or 41, over dial-peer
	 * 100: the far end's cause, no override */
	for (int k = 0; k < 2; k++) {
		int reason_cause = k ? CAUSE_TEMP_FAILURE : CAUSE_USER_BUSY;
		char want[256];

		rfx_open_conf(&f, 0, causes_conf);
		CU_ASSERT_EQUAL(rfx_pri(&f, "2001"), 0);
		log = refuse_reason(f.sip.made[0], 486, reason_cause, 1);
		CU_ASSERT_PTR_NULL(strstr(log, "cause override"));
		snprintf(want, sizeof(want), "dp100 sip 127.0.0.1:5060 setup\nA release %d\n", reason_cause);
		LADDER_IS(want);
		rfx_close(&f);
	}
}

/* PSTN -> SIP: the cause a SIP caller is cleared with before the answer
 * (a PRI leg's, a span's refusal, no dial-peer) is answered with the
 * dial-peer's override status, else the global one, else RFC 3398's. */
static void test_override_pstn_to_sip(void)
{
	struct rfx f;
	const char *log;

	/* the PBX clears with 17 over dial-peer 900: its own row, 600 */
	rfx_open_conf(&f, 0, causes_conf);
	CU_ASSERT_EQUAL(rfx_sip(&f, "95551234", "10.1.2.3", "", 0), 0);
	CU_ASSERT_EQUAL_FATAL(f.pri.n_made, 1);
	log = refuse_reason(f.pri.made[0], 0, CAUSE_USER_BUSY, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "cause 17 -> SIP 600 by the dial-peer's cause override (RFC 3398: 486)"));
	LADDER_IS("dp900 span pbx-a 5551234 setup\n"
		  "A release 17 answering 600\n");
	rfx_close(&f);

	/* over dial-peer 800, which has no rows: the global 17 -> 503 */
	rfx_open_conf(&f, 0, causes_conf);
	CU_ASSERT_EQUAL(rfx_sip(&f, "85551234", "10.1.2.3", "", 0), 0);
	log = refuse_reason(f.pri.made[0], 0, CAUSE_USER_BUSY, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "cause 17 -> SIP 503 by the global cause override"));
	LADDER_IS("dp800 span pbx-a 5551234 setup\n"
		  "A release 17 answering 503\n");
	rfx_close(&f);

	/* no row for 18: the SIP leg answers RFC 3398's status itself */
	rfx_open_conf(&f, 0, causes_conf);
	CU_ASSERT_EQUAL(rfx_sip(&f, "85551234", "10.1.2.3", "", 0), 0);
	refuse(f.pri.made[0], 0, CAUSE_NO_USER_RESPONSE);
	LADDER_IS("dp800 span pbx-a 5551234 setup\n"
		  "A release 18\n");
	CU_ASSERT_EQUAL(f.a->leg.release_status, 0);
	rfx_close(&f);

	/* the span has no free B-channel (34): the global 34 -> 486 */
	rfx_open_conf(&f, 0, causes_conf);
	f.pri.setup[0].rc = -EBUSY, f.pri.setup[0].cause = CAUSE_NO_CIRCUIT;
	CU_ASSERT_EQUAL(rfx_sip(&f, "85551234", "10.1.2.3", "", 0), 0);
	LADDER_IS("dp800 span pbx-a 5551234 setup: cause 34\n"
		  "A release 34 answering 486\n");
	rfx_close(&f);

	/* a registered phone's 486 (cause 17) towards a SIP caller is SIP to
	 * SIP: no PSTN cause, no pstn_to_sip row */
	rfx_open_conf(&f, 1, causes_conf);
	f.ct.users[0].user = "2001";
	f.ct.users[0].uris[0] = "sip:2001@10.0.0.5:5060";
	CU_ASSERT_EQUAL(rfx_sip(&f, "2001", "10.1.2.3", "", 0), 0);
	CU_ASSERT_EQUAL_FATAL(f.sip.n_made, 1);
	refuse(f.sip.made[0], 486, 0);
	LADDER_IS("contact sip:2001@10.0.0.5:5060 setup\n"
		  "A release 17\n");
	rfx_close(&f);

	/* no dial-peer matches (cause 1): the global row, 484 */
	rfx_open_conf(&f, 0, causes_conf);
	CU_ASSERT_EQUAL(rfx_sip(&f, "7777", "10.1.2.3", "", 0), 0);
	LADDER_IS("A release 1 answering 484\n");
	rfx_close(&f);

	/* a PRI caller is not answered with a SIP status: a PBX that clears
	 * with 17 towards it is not a case for pstn_to_sip */
	rfx_open_conf(&f, 0, causes_conf);
	CU_ASSERT_EQUAL(rfx_pri(&f, "3001"), 0);
	refuse(f.sip.made[0], 0, CAUSE_USER_BUSY);
	LADDER_IS("dp102 sip 127.0.0.3:5060 setup\n"
		  "A release 17\n");
	rfx_close(&f);
}

/* ---- redirection (route_redirect.c) */

/* A phone of 2001 answers 302 with two Contacts: the best q first, routed
 * as dialled with 2001's rights (the pots peers 900, 901, digits stripped);
 * their 503s move on to the next Contact (3001: its registered phone); a 3xx
 * naming a number already tried is a loop, and a PRI caller whose last
 * target is refused hears cause 23. */
static void test_redirect_3xx(void)
{
	struct rfx f;
	struct leg_contacts lc;

	rfx_open(&f, 1);
	f.ct.users[0].user = "2001";
	f.ct.users[0].uris[0] = "sip:2001@10.0.0.5:5060";
	f.ct.users[1].user = "3001";
	f.ct.users[1].uris[0] = "sip:3001@10.0.0.7:5060";
	CU_ASSERT_EQUAL(rfx_sip(&f, "2001", "10.1.2.3", "", 0), 0);
	CU_ASSERT_EQUAL_FATAL(f.sip.n_made, 1);
	/* sorted by q by the SIP leg (sip_redirect.c); routing takes them in order */
	lc = (struct leg_contacts){ .n = 2, .uri = { "sip:95551234@h;user=phone", "sip:3001@h" }, .q = { 1000, 500 } };
	f.sip.made[0]->leg.contacts = &lc;
	refuse(f.sip.made[0], 302, 0);
	CU_ASSERT_EQUAL_FATAL(f.pri.n_made, 1);
	CU_ASSERT_STRING_EQUAL(f.pri.made[0]->calling, "2002");	/* the caller stays */
	refuse(f.pri.made[0], 503, 0);		/* the target's own dial-peers hunt first */
	CU_ASSERT_EQUAL_FATAL(f.pri.n_made, 2);
	refuse(f.pri.made[1], 503, 0);
	CU_ASSERT_EQUAL_FATAL(f.sip.n_made, 2);
	LADDER_IS("contact sip:2001@10.0.0.5:5060 setup\n"
		  "dp900 span pbx-a 5551234 setup\n"
		  "dp901 span pbx-c 5551234 setup\n"
		  "contact sip:3001@10.0.0.7:5060 setup\n");
	/* 3001 redirects back to 2001: a loop, nothing more; the caller hears 23 */
	lc = (struct leg_contacts){ .n = 1, .uri = { "sip:2001@h" }, .q = { 1000 } };
	f.sip.made[1]->leg.contacts = &lc;
	refuse(f.sip.made[1], 302, 0);
	CU_ASSERT_EQUAL(f.sip.n_made, 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(fake_ladder(), "A release 23\n"));
	rfx_close(&f);
}

/* The door for a redirect: a 302 from a voip peer outside sip.trusted to a
 * PSTN number is refused for a PRI caller (cause 23, no pots leg); the same
 * from a trusted peer goes out on the span. */
static void test_redirect_door(void)
{
	struct rfx f;
	struct leg_contacts lc = { .n = 1, .uri = { "sip:95551234@h" }, .q = { 1000 } };

	for (int trusted = 0; trusted < 2; trusted++) {
		rfx_open(&f, 0);
		CU_ASSERT_EQUAL(rfx_pri(&f, "2001"), 0);
		CU_ASSERT_EQUAL_FATAL(f.sip.n_made, 1);	/* dp120 (127.0.0.20), not in 10.0.0.0/8 */
		if (trusted)
			snprintf(f.cfg.sip_trusted.v[f.cfg.sip_trusted.n++], 64, "127.0.0.20");
		f.sip.made[0]->leg.contacts = &lc;
		refuse(f.sip.made[0], 302, 0);
		CU_ASSERT_EQUAL(f.pri.n_made, trusted);
		if (!trusted)
			CU_ASSERT_PTR_NOT_NULL(strstr(fake_ladder(), "A release 23\n"));
		rfx_close(&f);
	}
}


/* sipgwctl's show dial-peer match (route_info.c): the hunt routing would
 * make, from its own matcher, with the digits a pots peer sends; and the
 * dial-peer a placed leg came from (show calls). */
static void test_match_and_placed(void)
{
	struct rfx f;
	struct route_match m[8];
	size_t n;

	rfx_open(&f, 0);
	n = route_match(f.r, "2005", DP_VOIP, m, 8);
	CU_ASSERT_EQUAL_FATAL(n, 4);
	CU_ASSERT_EQUAL(m[0].dp->tag, 120);	/* 20.. is the longer explicit match */
	CU_ASSERT_EQUAL(m[1].dp->tag, 100);	/* then 2... by preference 1, 2, 3 */
	CU_ASSERT_EQUAL(m[2].dp->tag, 101);
	CU_ASSERT_EQUAL(m[3].dp->tag, 102);
	CU_ASSERT(m[0].score > m[1].score);
	CU_ASSERT_EQUAL(m[1].score, m[3].score);
	CU_ASSERT_STRING_EQUAL(m[0].number, "2005");
	CU_ASSERT_EQUAL(m[0].busied_out, 0);
	CU_ASSERT_EQUAL(route_match(f.r, "2005", DP_VOIP, m, 2), 2);	/* at most max */
	n = route_match(f.r, "3001", DP_VOIP, m, 8);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(m[0].registrar, 1);
	n = route_match(f.r, "911", DP_POTS, m, 8);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	CU_ASSERT_EQUAL(m[0].dp->tag, 911);
	CU_ASSERT_STRING_EQUAL(m[0].number, "911");	/* forward_digits all */
	CU_ASSERT_EQUAL(m[1].dp->tag, 900);
	CU_ASSERT_STRING_EQUAL(m[1].number, "11");	/* 9 stripped (Cisco default) */
	CU_ASSERT_EQUAL(m[2].dp->tag, 901);
	CU_ASSERT_EQUAL(route_match(f.r, "4444", -1, m, 8), 0);

	CU_ASSERT_EQUAL(rfx_pri(&f, "2005"), 0);
	CU_ASSERT_EQUAL_FATAL(f.sip.n_made, 1);
	CU_ASSERT_EQUAL(route_call_dial_peer(f.a->leg.call, &f.sip.made[0]->leg), 120);
	CU_ASSERT_EQUAL(route_call_dial_peer(f.a->leg.call, &f.a->leg), 0);	/* the caller's: none */
	rfx_close(&f);
}

int suite_route_add(void)
{
	static const CU_TestInfo tests[] = {
		{ "hunting order: specificity, then preference", test_hunt_order },
		{ "figure B-16: 5xx/408 hunt, 4xx/6xx stop with the mapped cause", test_hunt_rule_b16 },
		{ "no dial-peer: cause 1", test_no_dial_peer },
		{ "every try fails to place: 38 voip, the span's cause pots", test_every_try_fails_to_place },
		{ "trunk group: a full span, the next one", test_trunk_group },
		{ "a span not running keeps the cause (3, or the last span's)", test_span_not_running },
		{ "forking: busy on one, no answer on another -> 17", test_fork_busy_and_no_answer },
		{ "forking: 6xx clears the others; an answer cancels with 26", test_fork_6xx_clears_others },
		{ "emergency numbers from anyone; the extension rings", test_emergency },
		{ "P-Asserted-Identity believed only from a trusted source", test_asserted_identity },
		{ "toll-fraud door: challenge, 403, bad credentials; trusted and authenticated pass",
		  test_toll_fraud_door },
		{ "the door alone (before the offer): the same verdicts, nothing placed", test_door_alone },
		{ "glare: cause 44 tried once more on the same dial-peer", test_glare },
		{ "shutting down: new calls refused with 42", test_shutting_down },
		{ "redirection: a 3xx's Contacts in order, 5xx next, a loop stops: 23", test_redirect_3xx },
		{ "redirection: a PSTN Contact only with the redirecting peer's right", test_redirect_door },
		{ "cause overrides SIP -> PSTN: dial-peer, global, RFC 3398; Reason wins", test_override_sip_to_pstn },
		{ "cause overrides PSTN -> SIP: dial-peer, global, RFC 3398", test_override_pstn_to_sip },
		{ "show dial-peer match: routing's hunt, digits out; a placed leg's dial-peer", test_match_and_placed },
		CU_TEST_INFO_NULL,
	};

	return unit_suite_add("route", tests);
}
