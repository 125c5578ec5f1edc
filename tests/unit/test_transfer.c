/* sipgw - unit tests: transfers in the bridge (call_transfer, call_join,
 * call_replace_leg in src/bridge/call.c) between fake legs: who is told
 * what (the transferor's NOTIFY statuses, releases, answers), who stays
 * in the call, and that every leg is gone at the end.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <string.h>

#include "bridge/bridge.h"
#include "bridge/cause.h"
#include "fake_leg.h"
#include "unit.h"

#define LADDER_IS(got, want)                                                             \
	do {                                                                             \
		const char *got_ = (got), *want_ = (want);                               \
		if (strcmp(got_, want_))                                                 \
			fprintf(stderr, "\n  ladder:\n%s  want:\n%s", got_, want_);      \
		CU_ASSERT_STRING_EQUAL(got_, want_);                                     \
	} while (0)

static struct bridge *br;

/* An answered call: a (the PRI caller A) to b (the phone B). */
static struct call *answered_call(const char *a, const char *b, struct fake_leg **ap, struct fake_leg **bp)
{
	struct leg_setup_info si = { .called = "2001", .calling = "5551000" };
	struct call *c;

	*ap = fake_leg_new("pri", a);
	*bp = fake_leg_new("sip", b);
	CU_ASSERT_EQUAL_FATAL(call_alloc(&c, br, &(*ap)->leg, &si), 0);
	CU_ASSERT_EQUAL(call_add_leg(c, &(*bp)->leg), 0);
	call_leg_answered(&(*bp)->leg);
	return c;
}

static size_t open_bridge(void)
{
	struct bridge_params bp = { 0 };

	fake_reset();
	unit_log_begin();
	CU_ASSERT_EQUAL_FATAL(bridge_alloc(&br, &bp), 0);
	return 0;
}

static void close_bridge(void)
{
	bridge_free(br);
	br = NULL;
	unit_log_end();
	CU_ASSERT_EQUAL(fake_alive(), 0);
	fake_cleanup();
}

/* B-6: the target rings, answers, takes B's place; B is released with 16,
 * A is told nothing (its B-channel is simply bridged on). */
static void test_blind_answered(void)
{
	struct fake_leg *a, *b, *t;
	struct call *c;
	size_t mark;

	open_bridge();
	c = answered_call("A", "B", &a, &b);
	mark = strlen(fake_ladder());
	t = fake_leg_new("sip", "C");
	CU_ASSERT_EQUAL(call_transfer(c, &b->leg, &t->leg), 0);
	call_leg_alerting(&t->leg, 0);
	call_leg_answered(&t->leg);
	LADDER_IS(fake_ladder() + mark, "B xfer 100\nB xfer 180\nB xfer 200\nB release 16\n");
	CU_ASSERT_EQUAL(fake_finish(), 1);	/* B's BYE answered */
	CU_ASSERT_FALSE(fake_is_alive(b));
	CU_ASSERT_EQUAL(bridge_call_count(br), 1);
	/* A and C talk now: A hanging up clears C */
	mark = strlen(fake_ladder());
	call_leg_released(&a->leg, CAUSE_NORMAL_CLEARING, 0);
	LADDER_IS(fake_ladder() + mark, "C release 16\n");
	fake_gone(a);
	fake_finish();
	CU_ASSERT_EQUAL(bridge_call_count(br), 0);
	close_bridge();
}

/* B-6 as phones do it: B holds A, then REFERs; when C answers A is taken
 * off hold (it talks to C now); B's own hold never reaches C. */
static void test_blind_after_hold(void)
{
	struct fake_leg *a, *b, *t;
	struct call *c;
	size_t mark;

	open_bridge();
	c = answered_call("A", "B", &a, &b);
	call_leg_hold(&b->leg, 1, LEG_HOLD_SENDONLY);
	mark = strlen(fake_ladder());
	t = fake_leg_new("sip", "C");
	CU_ASSERT_EQUAL(call_transfer(c, &b->leg, &t->leg), 0);
	call_leg_answered(&t->leg);
	LADDER_IS(fake_ladder() + mark, "B xfer 100\nB xfer 200\nB release 16\nA resume\n");
	call_clear(c, CAUSE_NORMAL_CLEARING);
	fake_finish();
	CU_ASSERT_EQUAL(bridge_call_count(br), 0);
	close_bridge();
}

/* The target is busy: B hears 486, nobody is released, A and B go on. */
static void test_blind_target_fails(void)
{
	struct fake_leg *a, *b, *t;
	struct call *c;
	size_t mark;

	open_bridge();
	c = answered_call("A", "B", &a, &b);
	mark = strlen(fake_ladder());
	t = fake_leg_new("sip", "C");
	CU_ASSERT_EQUAL(call_transfer(c, &b->leg, &t->leg), 0);
	call_leg_released(&t->leg, CAUSE_USER_BUSY, 486);
	fake_gone(t);
	LADDER_IS(fake_ladder() + mark, "B xfer 100\nB xfer 486\n");
	CU_ASSERT_NSTRING_EQUAL(call_describe(c) + strlen(call_describe(c)) - 8, "[ACTIVE]", 8);
	/* a second try is allowed once the first is over */
	t = fake_leg_new("sip", "C2");
	CU_ASSERT_EQUAL(call_transfer(c, &b->leg, &t->leg), 0);
	call_clear(c, CAUSE_NORMAL_CLEARING);	/* everything goes, the pending target too */
	LADDER_IS(fake_ladder() + mark, "B xfer 100\nB xfer 486\nB xfer 100\nA release 16\nB release 16\n"
		  "C2 release 16\n");
	fake_finish();
	CU_ASSERT_EQUAL(bridge_call_count(br), 0);
	close_bridge();
}

/* B hangs up before C answers (BYE/Also, or an impatient phone): A is not
 * dropped; C's answer bridges it. If C then fails, A is cleared with C's cause. */
static void test_transferor_leaves_first(void)
{
	struct fake_leg *a, *b, *t;
	struct call *c;
	size_t mark;

	open_bridge();
	c = answered_call("A", "B", &a, &b);
	t = fake_leg_new("sip", "C");
	CU_ASSERT_EQUAL(call_transfer(c, &b->leg, &t->leg), 0);
	mark = strlen(fake_ladder());
	call_leg_released(&b->leg, CAUSE_NORMAL_CLEARING, 0);
	fake_gone(b);
	call_leg_answered(&t->leg);
	LADDER_IS(fake_ladder() + mark, "");	/* nobody told anything: A just talks to C */
	CU_ASSERT_EQUAL(bridge_call_count(br), 1);
	call_clear(c, CAUSE_NORMAL_CLEARING);
	LADDER_IS(fake_ladder() + mark, "A release 16\nC release 16\n");
	fake_finish();

	c = answered_call("A2", "B2", &a, &b);
	t = fake_leg_new("sip", "C3");
	CU_ASSERT_EQUAL(call_transfer(c, &b->leg, &t->leg), 0);
	mark = strlen(fake_ladder());
	call_leg_released(&b->leg, CAUSE_NORMAL_CLEARING, 0);
	fake_gone(b);
	call_leg_released(&t->leg, CAUSE_NO_ANSWER, 480);
	LADDER_IS(fake_ladder() + mark, "A2 release 19\n");
	fake_gone(t);
	fake_finish();
	CU_ASSERT_EQUAL(bridge_call_count(br), 0);
	close_bridge();
}

/* Only an answered call, one transfer at a time, by a party of the call. */
static void test_transfer_refused(void)
{
	struct leg_setup_info si = { .called = "2001" };
	struct fake_leg *a, *b, *t, *u, *o;
	struct call *c;

	open_bridge();
	a = fake_leg_new("pri", "A");
	b = fake_leg_new("sip", "B");
	t = fake_leg_new("sip", "C");
	CU_ASSERT_EQUAL_FATAL(call_alloc(&c, br, &a->leg, &si), 0);
	CU_ASSERT_EQUAL(call_add_leg(c, &b->leg), 0);
	CU_ASSERT_EQUAL(call_transfer(c, &b->leg, &t->leg), -EBUSY);	/* not answered */
	call_leg_answered(&b->leg);
	o = fake_leg_new("sip", "O");
	CU_ASSERT_EQUAL(call_transfer(c, &o->leg, &t->leg), -EBUSY);	/* not a party */
	CU_ASSERT_EQUAL(call_transfer(c, &b->leg, &t->leg), 0);
	u = fake_leg_new("sip", "D");
	CU_ASSERT_EQUAL(call_transfer(c, &b->leg, &u->leg), -EBUSY);	/* one at a time */
	fake_gone(u);
	fake_gone(o);
	call_clear(c, CAUSE_NORMAL_CLEARING);
	fake_finish();
	CU_ASSERT_EQUAL(bridge_call_count(br), 0);
	close_bridge();
}

/* B-8: B talks to A (call 1) and to C (call 2); joined, A talks to C, both
 * of B's legs are released, call 2 ends. */
static void test_join(void)
{
	struct fake_leg *a, *b1, *b2, *cc;
	struct call *c1, *c2;
	size_t mark;

	open_bridge();
	c1 = answered_call("A", "B1", &a, &b1);
	c2 = answered_call("B2", "C", &b2, &cc);
	mark = strlen(fake_ladder());
	CU_ASSERT_EQUAL(call_join(c1, &b1->leg, c1, &b1->leg), -EBUSY);
	CU_ASSERT_EQUAL(call_join(c1, &b1->leg, c2, &b2->leg), 0);
	LADDER_IS(fake_ladder() + mark, "B1 xfer 200\nB1 release 16\nB2 release 16\n");
	fake_finish();
	CU_ASSERT_EQUAL(bridge_call_count(br), 1);
	CU_ASSERT_PTR_EQUAL(cc->leg.call, c1);
	mark = strlen(fake_ladder());
	call_leg_released(&cc->leg, CAUSE_NORMAL_CLEARING, 0);
	LADDER_IS(fake_ladder() + mark, "A release 16\n");
	fake_gone(cc);
	fake_finish();
	CU_ASSERT_EQUAL(bridge_call_count(br), 0);
	close_bridge();
}

/* RFC 3891: D's INVITE with Replaces takes B's place: B released, D answered. */
static void test_replace_leg(void)
{
	struct fake_leg *a, *b, *d;
	size_t mark;

	open_bridge();
	answered_call("A", "B", &a, &b);
	d = fake_leg_new("sip", "D");
	mark = strlen(fake_ladder());
	CU_ASSERT_EQUAL(call_replace_leg(&b->leg, &d->leg), 0);
	LADDER_IS(fake_ladder() + mark, "B release 16\nD answer\n");
	fake_finish();
	mark = strlen(fake_ladder());
	call_leg_released(&d->leg, CAUSE_NORMAL_CLEARING, 0);
	LADDER_IS(fake_ladder() + mark, "A release 16\n");
	fake_gone(d);
	fake_finish();
	CU_ASSERT_EQUAL(bridge_call_count(br), 0);
	close_bridge();
}

int suite_transfer_add(void)
{
	static const CU_TestInfo tests[] = {
		{ "blind: target answers, takes the transferor's place", test_blind_answered },
		{ "blind after hold: the held party is resumed", test_blind_after_hold },
		{ "blind: target fails, the call goes on", test_blind_target_fails },
		{ "the transferor leaves before the target answers", test_transferor_leaves_first },
		{ "refused: not answered, not a party, one at a time", test_transfer_refused },
		{ "attended: two calls joined", test_join },
		{ "RFC 3891: a new leg replaces one", test_replace_leg },
		CU_TEST_INFO_NULL,
	};

	return unit_suite_add("transfer", tests);
}
