/* sipgw - unit tests of what sipgwctl reads from and does to a span
 * (q931/span_info.c, span_busy.c): channel states and counts, the
 * emergency reserve, busyout's checks, the line alarms, libpri's debug
 * dump put together from pieces. A span on a back end that never speaks:
 * no libpri instance starts. SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sofia-sip/su_wait.h>

#include "unit.h"
#include "core/log.h"
#include "q931/pri_internal.h"

static struct span_hw { int dummy; } the_hw;
static const char *line_alarms;		/* NULL: the back end has no alarms op */

static int t_open(struct span_hw **hwp, const struct cfg_span *cfg, struct su_root_s *r,
		  const struct span_hw_cbs *cbs, void *arg)
{
	*hwp = &the_hw;
	return 0;
}

static void t_close(struct span_hw *hw) {}
static ssize_t t_d_read(struct span_hw *hw, void *buf, size_t len) { return 0; }
static ssize_t t_d_write(struct span_hw *hw, const void *buf, size_t len) { return (ssize_t)len; }
static int t_b_write(struct span_hw *hw, int chan, const uint8_t *f, size_t len) { return 0; }

static void t_alarms(struct span_hw *hw, char *buf, size_t len)
{
	snprintf(buf, len, "%s", line_alarms);
}

static const struct span_hw_ops plain_ops = {
	.name = "unit", .open = t_open, .close = t_close, .d_read = t_d_read, .d_write = t_d_write,
	.b_write = t_b_write,
};
static const struct span_hw_ops alarm_ops = {
	.name = "unit", .open = t_open, .close = t_close, .d_read = t_d_read, .d_write = t_d_write,
	.b_write = t_b_write, .alarms = t_alarms,
};

static su_root_t *root;
static struct cfg_span cfg;

static struct span *mk_span(enum span_framing framing, int reserved, const struct span_hw_ops *ops)
{
	struct span *sp = NULL;

	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.name, sizeof(cfg.name), "t1a");
	snprintf(cfg.switch_name, sizeof(cfg.switch_name), "ni2");
	cfg.type = SPAN_LOOPBACK;
	cfg.role = ROLE_NETWORK;
	cfg.framing = framing;
	if (!root) {
		su_init();
		root = su_root_create(NULL);
	}
	CU_ASSERT_FATAL(span_alloc(&sp, &(struct span_params){ .cfg = &cfg, .root = root, .reserved = reserved,
							       .hw_ops = ops }) == 0);
	return sp;
}

static void done(struct span *sp)
{
	span_free(sp);
	su_root_destroy(root);
	root = NULL;
	su_deinit();
}

static void test_states_and_counts(void)
{
	struct span *sp = mk_span(FRAMING_T1, 0, &plain_ops);
	struct span_chan_info ci[SPAN_MAX_CHANS];
	struct span_info si;
	int n;

	span_info_get(sp, &si);
	CU_ASSERT_STRING_EQUAL(si.name, "t1a");
	CU_ASSERT_STRING_EQUAL(si.type, "loopback");
	CU_ASSERT_STRING_EQUAL(si.role, "network");
	CU_ASSERT_EQUAL(si.n_b, 23);
	CU_ASSERT_EQUAL(si.idle, 23);
	CU_ASSERT_EQUAL(si.dchan_up, 0);
	CU_ASSERT_EQUAL(si.has_dchan, 1);
	CU_ASSERT_STRING_EQUAL(si.alarms, "far end gone");	/* no peer on the socket */
	CU_ASSERT_STRING_EQUAL(si.signalled_on, "t1a");

	sp->oos |= 1u << 3;		/* the far end's SERVICE */
	sp->restart_wait |= 1u << 4;	/* our RESTART, not acknowledged */
	n = span_chan_info_get(sp, ci, SPAN_MAX_CHANS);
	CU_ASSERT_EQUAL(n, 23);
	CU_ASSERT_EQUAL(ci[0].chan, 1);
	CU_ASSERT_EQUAL(ci[22].chan, 23);
	CU_ASSERT_EQUAL(ci[2].state, SPAN_CH_OOS_FAR);
	CU_ASSERT_EQUAL(ci[2].oos_far, 1);
	CU_ASSERT_EQUAL(ci[3].state, SPAN_CH_RESTARTING);
	CU_ASSERT_EQUAL(ci[0].state, SPAN_CH_IDLE);
	CU_ASSERT_PTR_NULL(ci[0].leg);
	CU_ASSERT_STRING_EQUAL(ci[0].q931_state, "");
	span_info_get(sp, &si);
	CU_ASSERT_EQUAL(si.idle, 21);
	CU_ASSERT_EQUAL(si.oos_far, 1);
	CU_ASSERT_EQUAL(si.restarting, 1);
	for (int st = 0; st < SPAN_CH__COUNT; st++)
		CU_ASSERT_STRING_NOT_EQUAL(span_chan_state_name(st), "?");
	CU_ASSERT_STRING_EQUAL(span_chan_state_name(SPAN_CH__COUNT), "?");
	done(sp);
}

static void test_e1_channels_and_alarms(void)
{
	struct span_chan_info ci[SPAN_MAX_CHANS];
	struct span_info si;
	struct span *sp;
	int n;

	line_alarms = "yellow";
	sp = mk_span(FRAMING_E1, 0, &alarm_ops);
	n = span_chan_info_get(sp, ci, SPAN_MAX_CHANS);
	CU_ASSERT_EQUAL(n, 30);		/* timeslot 16 is the D-channel */
	for (int i = 0; i < n; i++)
		CU_ASSERT_NOT_EQUAL(ci[i].chan, 16);
	CU_ASSERT_FALSE(span_is_bchan(sp, 16));
	CU_ASSERT_TRUE(span_is_bchan(sp, 31));
	span_info_get(sp, &si);
	CU_ASSERT_STRING_EQUAL(si.alarms, "yellow");	/* the back end's word wins */
	CU_ASSERT_STRING_EQUAL(si.framing, "E1");
	/* a range over the D-channel busies the B-channels in it */
	CU_ASSERT_EQUAL(span_busyout(sp, 15, 17, 1, 0, &n), 0);
	span_info_get(sp, &si);
	CU_ASSERT_EQUAL(si.oos_near, 2);
	/* and 16 itself is no B-channel to busy out */
	CU_ASSERT_EQUAL(span_busyout(sp, 16, 16, 1, 0, &n), -EINVAL);
	done(sp);
}

static void test_busyout_checks(void)
{
	struct span *sp = mk_span(FRAMING_T1, 0, &plain_ops);
	struct span_chan_info ci[SPAN_MAX_CHANS];
	struct span_info si;
	int chan = 0;

	CU_ASSERT_EQUAL(span_busyout(sp, 2, 4, 1, 0, &chan), 0);
	CU_ASSERT_TRUE(span_chan_busied(sp, 3));
	CU_ASSERT_FALSE(span_chan_busied(sp, 5));
	/* hunting skips them: 1, then 5 */
	CU_ASSERT_EQUAL(span_hunt(sp), 1);
	span_chan_info_get(sp, ci, SPAN_MAX_CHANS);
	CU_ASSERT_EQUAL(ci[1].state, SPAN_CH_OOS_NEAR);
	CU_ASSERT_EQUAL(ci[1].oos_near, 1);
	/* twice: refused, the first one named, nothing changed */
	CU_ASSERT_EQUAL(span_busyout(sp, 4, 6, 1, 0, &chan), -EALREADY);
	CU_ASSERT_EQUAL(chan, 4);
	CU_ASSERT_FALSE(span_chan_busied(sp, 5));
	/* unbusy of a channel that is not: refused */
	CU_ASSERT_EQUAL(span_busyout(sp, 5, 5, 0, 0, &chan), -EALREADY);
	CU_ASSERT_EQUAL(chan, 5);
	/* outside the span, backwards */
	CU_ASSERT_EQUAL(span_busyout(sp, 0, 3, 1, 0, &chan), -EINVAL);
	CU_ASSERT_EQUAL(span_busyout(sp, 20, 24, 1, 0, &chan), -EINVAL);
	CU_ASSERT_EQUAL(span_busyout(sp, 9, 8, 1, 0, &chan), -EINVAL);
	/* the whole span after some of it (partial): the rest; then all are */
	CU_ASSERT_EQUAL(span_busyout(sp, 1, 23, 1, 1, &chan), 0);
	span_info_get(sp, &si);
	CU_ASSERT_EQUAL(si.oos_near, 23);
	CU_ASSERT_EQUAL(si.idle, 0);
	CU_ASSERT_EQUAL(span_hunt(sp), -1);
	CU_ASSERT_EQUAL(span_callable_chans(sp), -ENETDOWN);	/* no D-channel here anyway */
	CU_ASSERT_EQUAL(span_busyout(sp, 1, 23, 1, 1, &chan), -EALREADY);
	CU_ASSERT_EQUAL(span_busyout(sp, 1, 23, 0, 1, &chan), 0);
	span_info_get(sp, &si);
	CU_ASSERT_EQUAL(si.oos_near, 0);
	CU_ASSERT_EQUAL(si.idle, 23);
	done(sp);
}

/* The reserve is a count: the idle channels last in hunt order show as it. */
static void test_emergency_reserve(void)
{
	struct span *sp = mk_span(FRAMING_T1, 2, &plain_ops);
	struct span_chan_info ci[SPAN_MAX_CHANS];
	struct span_info si;
	int chan;

	span_chan_info_get(sp, ci, SPAN_MAX_CHANS);
	CU_ASSERT_EQUAL(ci[22].state, SPAN_CH_RESERVED);
	CU_ASSERT_EQUAL(ci[21].state, SPAN_CH_RESERVED);
	CU_ASSERT_EQUAL(ci[20].state, SPAN_CH_IDLE);
	span_busyout(sp, 23, 23, 1, 0, &chan);
	span_chan_info_get(sp, ci, SPAN_MAX_CHANS);
	CU_ASSERT_EQUAL(ci[22].state, SPAN_CH_OOS_NEAR);
	CU_ASSERT_EQUAL(ci[21].state, SPAN_CH_RESERVED);
	CU_ASSERT_EQUAL(ci[20].state, SPAN_CH_RESERVED);
	span_info_get(sp, &si);
	CU_ASSERT_EQUAL(si.reserved, 2);
	span_free(sp);

	sp = mk_span(FRAMING_T1, 1, &plain_ops);
	cfg.hunt = HUNT_DESCENDING;	/* the reserve is then at the bottom */
	span_reconfigure(sp, &cfg, 0);	/* the span runs on its own copy of cfg: a reload's way in */
	span_chan_info_get(sp, ci, SPAN_MAX_CHANS);
	CU_ASSERT_EQUAL(ci[0].state, SPAN_CH_RESERVED);
	CU_ASSERT_EQUAL(ci[22].state, SPAN_CH_IDLE);
	done(sp);
}

/* libpri prints its dump in pieces; the log gets whole lines, at notice. */
static void test_debug_dump_lines(void)
{
	struct span *sp = mk_span(FRAMING_T1, 0, &plain_ops);
	enum log_level was = log_get_level();
	const char *out;

	log_set_level(LOG_LVL_NOTICE);
	CU_ASSERT_EQUAL(span_debug_msg(sp, "< Message Type: SETUP (5)\n"), 0);	/* off: not ours */
	CU_ASSERT_FATAL(unit_log_begin() == 0);
	span_debug_q931(sp, 1);
	CU_ASSERT_EQUAL(span_debug_msg(sp, "< Message "), 1);
	CU_ASSERT_EQUAL(span_debug_msg(sp, "Type: SETUP (5)\n< [04 03"), 1);
	CU_ASSERT_EQUAL(span_debug_msg(sp, " 80 90 a2]\n"), 1);
	span_debug_q931(sp, 0);
	out = unit_log_end();
	CU_ASSERT_EQUAL(unit_count(out, "span t1a q931: < Message Type: SETUP (5)\n"), 1);
	CU_ASSERT_EQUAL(unit_count(out, "span t1a q931: < [04 03 80 90 a2]\n"), 1);
	CU_ASSERT_EQUAL(unit_count(out, "debug q931 on"), 1);
	CU_ASSERT_EQUAL(unit_count(out, "debug q931 off"), 1);
	CU_ASSERT_EQUAL(span_debug_msg(sp, "< more\n"), 0);
	log_set_level(was);
	done(sp);
}

int suite_span_info_add(void)
{
	static const CU_TestInfo tests[] = {
		{ "states and counts", test_states_and_counts },
		{ "E1 channels and line alarms", test_e1_channels_and_alarms },
		{ "busyout checks", test_busyout_checks },
		{ "emergency reserve", test_emergency_reserve },
		{ "debug dump lines", test_debug_dump_lines },
		CU_TEST_INFO_NULL,
	};

	return unit_suite_add("span_info", tests);
}
