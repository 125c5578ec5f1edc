/* sipgw - sipgwctl's views of and hands on the spans: show spans (Cisco
 * "show isdn status", Asterisk "pri show spans"), show channels SPAN,
 * busyout / unbusy span|channel (Cisco "busyout"), debug q931 (Cisco
 * "debug isdn q931"). What they read and change is the span module's
 * (q931/span.h, span_info.c, span_busy.c). SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw.h"
#include "bridge/bridge.h"
#include "core/ctl.h"
#include "q931/span.h"

static struct span *find_span(struct gw *gw, struct ctl_req *req, const char *name)
{
	char list[256] = "";
	size_t o = 0;

	for (int i = 0; i < gw->n_spans; i++)
		if (!strcmp(span_name(gw->spans[i]), name))
			return gw->spans[i];
	for (int i = 0; i < gw->n_spans && o < sizeof(list); i++)
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s", i ? ", " : "", span_name(gw->spans[i]));
	ctl_error(req, "no span '%s' (spans: %s)", name, gw->n_spans ? list : "none");
	return NULL;
}

/* "1-23" or "1-15,17-31": the span's B-channels, for an error message. */
static void bchan_ranges(const struct span *sp, char *buf, size_t len)
{
	struct span_chan_info ci[SPAN_MAX_CHANS];
	int n = span_chan_info_get(sp, ci, SPAN_MAX_CHANS);
	size_t o = 0;

	buf[0] = 0;
	for (int i = 0; i < n && o < len; i++) {
		int lo = ci[i].chan;

		while (i + 1 < n && ci[i + 1].chan == ci[i].chan + 1)
			i++;
		o += (size_t)snprintf(buf + o, len - o, lo == ci[i].chan ? "%s%d" : "%s%d-%d", o ? "," : "", lo,
				      ci[i].chan);
	}
}

static void span_row(struct ctl_req *req, const struct span *sp)
{
	struct span_info si;

	span_info_get(sp, &si);
	ctl_cell(req, "%s", si.name);
	ctl_cell(req, "%s", si.type);
	ctl_cell(req, "%s", si.framing);
	ctl_cell(req, "%s", si.switchtype);
	ctl_cell(req, "%s", si.role);
	ctl_cell(req, "%s", si.dchan_up ? "up" : "down");
	/* Q.921 states 7 and 4 by the names Cisco's show isdn status gives
	 * them ("Layer 2 Status"): the data link up, or released with the TEI
	 * kept (a PRI's TEI is 0, fixed, Q.921 3.3.4.2) */
	ctl_cell(req, "%s", !si.has_dchan ? "none" : si.q921_up ? "MULTIPLE_FRAME_ESTABLISHED" : "TEI_ASSIGNED");
	ctl_cell(req, "%s", si.signalled_on);
	ctl_cell_num(req, si.nfas_group);
	ctl_cell(req, "%s", si.nfas_d);
	ctl_cell(req, "%s", si.alarms);
	ctl_cell_num(req, si.n_b);
	ctl_cell_num(req, si.busy);
	ctl_cell_num(req, si.idle);
	ctl_cell_num(req, si.oos_far);
	ctl_cell_num(req, si.oos_near);
	ctl_cell_num(req, si.restarting);
	ctl_cell_num(req, si.reserved);
	ctl_cell_num(req, si.calls);
	ctl_cell(req, "%s", si.service_messages ? "yes" : "no");
	ctl_cell(req, "%s", si.debug_q931 ? "on" : "off");
}

/* show spans [SPAN] */
static int cmd_show_spans(void *arg, struct ctl_req *req, int argc, char **argv)
{
	static const char *const cols[] = {
		"span", "type", "framing", "switch", "role", "dchan", "q921", "signalled_on", "nfas_group",
		"nfas_d", "alarms", "b_chans", "busy", "idle", "oos_far", "oos_near", "restarting", "reserved",
		"calls", "service_msgs", "debug_q931", NULL
	};
	struct gw *gw = arg;
	struct span *one = NULL;

	if (argc > 1) {
		ctl_error(req, "usage: show spans [SPAN]");
		return -EINVAL;
	}
	if (argc && !(one = find_span(gw, req, argv[0])))
		return -ENOENT;
	ctl_table(req, "spans", cols);
	for (int i = 0; i < gw->n_spans; i++)
		if (!one || gw->spans[i] == one)
			span_row(req, gw->spans[i]);
	return 0;
}

static const char *service_name(const struct span_chan_info *ci)
{
	return ci->oos_far && ci->oos_near ? "out-far,near" : ci->oos_far ? "out-far" :
	       ci->oos_near ? "out-near" : "in";
}

/* show channels SPAN */
static int cmd_show_channels(void *arg, struct ctl_req *req, int argc, char **argv)
{
	static const char *const cols[] = {
		"chan", "state", "q931_state", "service", "call", "direction", "called", "calling", NULL
	};
	struct span_chan_info ci[SPAN_MAX_CHANS];
	struct gw *gw = arg;
	struct span *sp;
	int n;

	if (argc != 1) {
		ctl_error(req, "usage: show channels SPAN");
		return -EINVAL;
	}
	if (!(sp = find_span(gw, req, argv[0])))
		return -ENOENT;
	n = span_chan_info_get(sp, ci, SPAN_MAX_CHANS);
	ctl_table(req, "channels", cols);
	for (int i = 0; i < n; i++) {
		const struct leg *leg = ci[i].leg;

		ctl_cell_num(req, ci[i].chan);
		ctl_cell(req, "%s", span_chan_state_name(ci[i].state));
		ctl_cell(req, "%s", ci[i].q931_state);
		ctl_cell(req, "%s", service_name(&ci[i]));
		/* the bridge's call id, as show calls and clear call name it (0: none) */
		ctl_cell_num(req, leg && leg->call ? (long long)call_id(leg->call) : 0);
		ctl_cell(req, "%s", !leg ? "" : ci[i].outgoing ? "out" : "in");
		ctl_cell(req, "%s", ci[i].called);
		ctl_cell(req, "%s", ci[i].calling);
	}
	return 0;
}

/* "N" or "N-M", decimal, nothing else: 0 with *lop, *hip; else -EINVAL. */
static int parse_range(const char *s, int *lop, int *hip)
{
	char *end;
	long lo, hi;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	lo = strtol(s, &end, 10);
	hi = lo;
	if (*end == '-') {
		if (end[1] < '0' || end[1] > '9')
			return -EINVAL;
		hi = strtol(end + 1, &end, 10);
	}
	if (*end || lo > 99 || hi > 99)
		return -EINVAL;
	*lop = (int)lo;
	*hip = (int)hi;
	return 0;
}

static int do_busy(struct gw *gw, struct ctl_req *req, int argc, char **argv, int busy, int whole)
{
	const char *verb = busy ? "busyout" : "unbusy";
	struct span_chan_info ci[SPAN_MAX_CHANS];
	struct span *sp;
	char ranges[128];
	int lo, hi, chan = 0, n, rc;

	if (argc != (whole ? 1 : 2)) {
		ctl_error(req, whole ? "usage: %s span SPAN" : "usage: %s channel SPAN CHAN[-CHAN]", verb);
		return -EINVAL;
	}
	if (!(sp = find_span(gw, req, argv[0])))
		return -ENOENT;
	bchan_ranges(sp, ranges, sizeof(ranges));
	n = span_chan_info_get(sp, ci, SPAN_MAX_CHANS);
	if (whole) {
		lo = ci[0].chan;
		hi = ci[n - 1].chan;
	} else if (parse_range(argv[1], &lo, &hi)) {
		ctl_error(req, "'%s' is not a B-channel or a range of them (N or N-M)", argv[1]);
		return -EINVAL;
	} else if (lo > hi) {
		ctl_error(req, "B-channel range %d-%d runs backwards", lo, hi);
		return -EINVAL;
	} else if (!span_is_bchan(sp, lo) || !span_is_bchan(sp, hi)) {
		ctl_error(req, "B-channel %d is not on span %s (its B-channels: %s)",
			  span_is_bchan(sp, lo) ? hi : lo, span_name(sp), ranges);
		return -ERANGE;
	}
	rc = span_busyout(sp, lo, hi, busy, whole, &chan);
	if (rc == -EALREADY) {
		if (whole)
			ctl_error(req, "span %s is %s", span_name(sp), busy ? "already busied out" : "not busied out");
		else
			ctl_error(req, "B-channel %d of span %s is %s", chan, span_name(sp),
				  busy ? "already busied out" : "not busied out");
		return rc;
	}
	if (rc) {
		ctl_error(req, "%s %s: %s", verb, argv[0], strerror(-rc));
		return rc;
	}
	if (lo == hi)
		ctl_text(req, "span %s: B-channel %d %s", span_name(sp), lo, busy ? "busied out" : "back in use");
	else
		ctl_text(req, "span %s: B-channels %d-%d %s", span_name(sp), lo, hi, busy ? "busied out" : "back in use");
	if (busy)
		ctl_text(req, "no new call is hunted on %s; calls up on %s go on", lo == hi ? "it" : "them",
			 lo == hi ? "it" : "them");
	return 0;
}

static int cmd_busyout_span(void *arg, struct ctl_req *req, int argc, char **argv)
{
	return do_busy(arg, req, argc, argv, 1, 1);
}

static int cmd_busyout_chan(void *arg, struct ctl_req *req, int argc, char **argv)
{
	return do_busy(arg, req, argc, argv, 1, 0);
}

static int cmd_unbusy_span(void *arg, struct ctl_req *req, int argc, char **argv)
{
	return do_busy(arg, req, argc, argv, 0, 1);
}

static int cmd_unbusy_chan(void *arg, struct ctl_req *req, int argc, char **argv)
{
	return do_busy(arg, req, argc, argv, 0, 0);
}

/* debug q931 on|off [SPAN] */
static int cmd_debug_q931(void *arg, struct ctl_req *req, int argc, char **argv)
{
	struct gw *gw = arg;
	struct span *one = NULL;
	int on;

	if (argc < 1 || argc > 2 || (strcmp(argv[0], "on") && strcmp(argv[0], "off"))) {
		ctl_error(req, "usage: debug q931 on|off [SPAN]");
		return -EINVAL;
	}
	on = !strcmp(argv[0], "on");
	if (argc == 2 && !(one = find_span(gw, req, argv[1])))
		return -ENOENT;
	for (int i = 0; i < gw->n_spans; i++) {
		if (one && gw->spans[i] != one)
			continue;
		span_debug_q931(gw->spans[i], on);
		ctl_text(req, "debug q931 %s for span %s%s", on ? "on" : "off", span_name(gw->spans[i]),
			 on ? ": each message in the log at notice level" : "");
	}
	if (!gw->n_spans)
		ctl_text(req, "no spans");
	return 0;
}

int gw_spans_register(struct gw *gw)
{
	static const struct {
		const char *words, *usage;
		ctl_cmd_h *h;
	} cmds[] = {
		{ "show spans", "show spans [SPAN]", cmd_show_spans },
		{ "show channels", "show channels SPAN", cmd_show_channels },
		{ "busyout span", "busyout span SPAN", cmd_busyout_span },
		{ "busyout channel", "busyout channel SPAN CHAN[-CHAN]", cmd_busyout_chan },
		{ "unbusy span", "unbusy span SPAN", cmd_unbusy_span },
		{ "unbusy channel", "unbusy channel SPAN CHAN[-CHAN]", cmd_unbusy_chan },
		{ "debug q931", "debug q931 on|off [SPAN]", cmd_debug_q931 },
	};
	int rc;

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if ((rc = ctl_register(gw->ctl, cmds[i].words, cmds[i].usage, cmds[i].h, gw)))
			return rc;
	return 0;
}
