/* sipgw - unit tests: transfers through routing's door (src/route/
 * route_transfer.c) on a real bridge with fake leg factories: which leg a
 * transfer places (span and number, or a registered contact), with whose
 * number, and that a transferor without rights places nothing at all.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bridge/bridge.h"
#include "bridge/cause.h"
#include "core/config.h"
#include "fake_leg.h"
#include "route/route_transfer.h"
#include "unit.h"

static const char xfer_conf[] =
	"sip = { trusted = [ \"10.0.0.0/8\" ]; };\n"
	"spans = ( { name = \"pbx-a\"; type = \"loopback\"; path = \"/tmp/sipgw-unit-xa\"; } );\n"
	"dial_peers = (\n"
	"  { tag = 900; type = \"pots\"; destination_pattern = \"9T\"; port = \"pbx-a\"; },\n"
	"  { tag = 911; type = \"pots\"; destination_pattern = \"911\"; port = \"pbx-a\"; forward_digits = \"all\"; }\n"
	");\n"
	"emergency = { numbers = ( { pattern = \"911\"; } ); };\n";

static int contacts(void *arg, const char *user, char uris[][ROUTE_URI_LEN], int max)
{
	if (strcmp(user, "2003") || max < 1)
		return 0;
	snprintf(uris[0], ROUTE_URI_LEN, "sip:2003@192.0.2.3:5062");
	return 1;
}

struct xfx {
	struct gw_config cfg;
	struct fake_factory pri, sip;
	struct bridge *br;
	struct route *r;
	struct fake_leg *a, *b;
	struct call *c;
	size_t mark;
};

static void xfx_open(struct xfx *f)
{
	struct route_params rp = { 0 };
	struct bridge_params bp = { .route = &route_bridge_ops };
	struct leg_setup_info si = { .called = "2001", .calling = "5551000", .display = "User A" };
	char dir[64] = "/tmp/sipgw-unit-XXXXXX", path[96], err[256] = "";
	FILE *fp;

	memset(f, 0, sizeof(*f));
	fake_reset();
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sipgw.conf", dir);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fp = fopen(path, "w"));
	fputs(xfer_conf, fp);
	fclose(fp);
	CU_ASSERT_EQUAL_FATAL(config_load(&f->cfg, path, err, sizeof(err)), 0);
	unlink(path);
	rmdir(dir);
	f->pri.kind = "pri";
	f->sip.kind = "sip";
	rp.cfg = &f->cfg;
	rp.legs[ROUTE_LEG_PRI] = (struct route_factory){ fake_factory_alloc, &f->pri };
	rp.legs[ROUTE_LEG_SIP] = (struct route_factory){ fake_factory_alloc, &f->sip };
	rp.contacts_h = contacts;
	CU_ASSERT_EQUAL_FATAL(route_alloc(&f->r, &rp), 0);
	bp.route_arg = f->r;
	CU_ASSERT_EQUAL_FATAL(bridge_alloc(&f->br, &bp), 0);
	route_set_bridge(f->r, f->br);
	unit_log_begin();
	/* the PBX's caller A talks to phone B */
	f->a = fake_leg_new("pri", "A");
	f->b = fake_leg_new("sip", "B");
	CU_ASSERT_EQUAL_FATAL(call_alloc(&f->c, f->br, &f->a->leg, &si), 0);
	CU_ASSERT_EQUAL(call_add_leg(f->c, &f->b->leg), 0);
	call_leg_answered(&f->b->leg);
	f->mark = strlen(fake_ladder());
}

static void xfx_close(struct xfx *f)
{
	call_clear(f->c, CAUSE_NORMAL_CLEARING);
	fake_finish();
	CU_ASSERT_EQUAL(bridge_call_count(f->br), 0);
	bridge_free(f->br);
	route_free(f->r);
	config_free(&f->cfg);
	unit_log_end();
	CU_ASSERT_EQUAL(fake_alive(), 0);
	fake_cleanup();
}

static int xfer(struct xfx *f, const char *target, const char *source, const char *auth_user,
		int auth_status, int *causep)
{
	struct leg_transfer xi = { .auth_status = auth_status };

	snprintf(xi.target, sizeof(xi.target), "%s", target);
	snprintf(xi.source, sizeof(xi.source), "%s", source);
	snprintf(xi.auth_user, sizeof(xi.auth_user), "%s", auth_user);
	snprintf(xi.referred_by, sizeof(xi.referred_by), "2001");
	*causep = 0;
	return route_transfer(f->r, &f->b->leg, &xi, causep);
}

/* The door: untrusted and unauthenticated, or bad credentials: refused with
 * -EACCES (a registrar is there: the REFER is challenged, or answered with
 * its credentials' refusal), nothing placed, B told nothing, A still with B. */
static void test_door_refuses(void)
{
	struct xfx f;
	int cause;

	xfx_open(&f);
	CU_ASSERT_EQUAL(xfer(&f, "95551234", "192.0.2.9", "", 0, &cause), -EACCES);
	CU_ASSERT_EQUAL(cause, CAUSE_CALL_REJECTED);
	CU_ASSERT_EQUAL(xfer(&f, "95551234", "10.1.1.1", "", 403, &cause), -EACCES);
	CU_ASSERT_EQUAL(xfer(&f, "2003", "192.0.2.9", "", 0, &cause), -EACCES);	/* a phone too */
	CU_ASSERT_EQUAL(f.pri.n_made + f.sip.n_made, 0);
	CU_ASSERT_STRING_EQUAL(fake_ladder() + f.mark, "");
	xfx_close(&f);
}

/* Trusted, or digest-authenticated: the PSTN number through the pots
 * dial-peer (digits stripped as for a call of B's), A's number calling. */
static void test_door_admits(void)
{
	struct xfx f;
	int cause;

	xfx_open(&f);
	CU_ASSERT_EQUAL(xfer(&f, "95551234", "10.1.1.1", "", 0, &cause), 0);
	CU_ASSERT_EQUAL_FATAL(f.pri.n_made, 1);
	CU_ASSERT_STRING_EQUAL(f.pri.made[0]->name, "dp900 span pbx-a 5551234");
	CU_ASSERT_STRING_EQUAL(f.pri.made[0]->calling, "5551000");
	CU_ASSERT_STRING_EQUAL(fake_ladder() + f.mark, "dp900 span pbx-a 5551234 setup\nB xfer 100\n");
	/* one at a time */
	CU_ASSERT_EQUAL(xfer(&f, "95551235", "10.1.1.1", "", 0, &cause), -EBUSY);
	xfx_close(&f);

	xfx_open(&f);
	CU_ASSERT_EQUAL(xfer(&f, "95551234", "192.0.2.9", "2001", 0, &cause), 0);	/* authenticated */
	CU_ASSERT_EQUAL(f.pri.n_made, 1);
	xfx_close(&f);
}

/* A registered phone first; an emergency number from anyone (B-22). */
static void test_registered_and_emergency(void)
{
	struct xfx f;
	int cause;

	xfx_open(&f);
	CU_ASSERT_EQUAL(xfer(&f, "2003", "10.1.1.1", "", 0, &cause), 0);
	CU_ASSERT_EQUAL_FATAL(f.sip.n_made, 1);
	CU_ASSERT_STRING_EQUAL(f.sip.made[0]->name, "contact sip:2003@192.0.2.3:5062");
	xfx_close(&f);

	xfx_open(&f);
	CU_ASSERT_EQUAL(xfer(&f, "911", "192.0.2.9", "", 0, &cause), 0);
	CU_ASSERT_EQUAL_FATAL(f.pri.n_made, 1);
	CU_ASSERT_TRUE(f.pri.made[0]->emergency);
	xfx_close(&f);
}

int suite_route_transfer_add(void)
{
	static const CU_TestInfo tests[] = {
		{ "door: untrusted, unauthenticated or bad credentials place nothing", test_door_refuses },
		{ "door: trusted or authenticated reach the pots dial-peer", test_door_admits },
		{ "a registered phone first; emergency from anyone", test_registered_and_emergency },
		CU_TEST_INFO_NULL,
	};

	return unit_suite_add("route_transfer", tests);
}
