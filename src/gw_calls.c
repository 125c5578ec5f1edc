/* sipgw - sipgwctl's views of the calls: show calls (Cisco "show call
 * active voice brief"), clear call ID (Cisco "clear call voice causecode 16
 * id"), and debug sip|rtp on|off [CALL] (Cisco "debug ccsip messages",
 * "debug voip rtp session"). SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw.h"
#include "bridge/bridge.h"
#include "bridge/cause.h"
#include "core/ctl.h"
#include "core/log.h"
#include "route/route.h"
#include "sip/sip_ua.h"

/* A blank cell: "-" for a person's columns, "" in JSON. */
static void cell_str(struct ctl_req *req, const char *s)
{
	ctl_cell(req, "%s", s && s[0] ? s : ctl_json(req) ? "" : "-");
}

static int parse_call_id(const char *s, unsigned *idp)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (!s[0] || *end || v == 0 || v > 0xffffffffUL)
		return -EINVAL;
	*idp = (unsigned)v;
	return 0;
}

struct show_calls {
	struct ctl_req *req;
	long long now;
	int pass;		/* 0: the calls table, 1: the legs table */
};

static void leg_row(struct ctl_req *req, struct call *c, const char *side, struct leg *leg)
{
	struct leg_status st;

	memset(&st, 0, sizeof(st));
	if (leg->ops->status)
		leg->ops->status(leg, &st);
	ctl_cell_num(req, call_id(c));
	ctl_cell(req, "%s", side);
	ctl_cell(req, "%s", leg->ops->kind);
	cell_str(req, st.state);
	cell_str(req, st.where);
	cell_str(req, st.calling);
	cell_str(req, st.called);
	cell_str(req, st.codec);
	cell_str(req, st.call_id);
}

static void show_call(void *arg, struct call *c)
{
	struct show_calls *sc = arg;
	struct ctl_req *req = sc->req;
	struct call_times t;
	struct leg *a = call_caller_leg(c), *b = call_called_leg(c);

	if (sc->pass) {
		if (a)
			leg_row(req, c, "a", a);
		if (b)
			leg_row(req, c, "b", b);
		return;
	}
	call_times(c, &t);
	ctl_cell_num(req, call_id(c));
	ctl_cell(req, "%s", call_state_name(c));
	ctl_cell_num(req, b ? route_call_dial_peer(c, b) : 0);
	ctl_cell_num(req, t.setup_us ? (sc->now - t.setup_us) / 1000000 : 0);
	/* talk time: "-" (JSON -1) before the answer */
	if (t.answer_us)
		ctl_cell_num(req, (sc->now - t.answer_us) / 1000000);
	else if (ctl_json(req))
		ctl_cell_num(req, -1);
	else
		ctl_cell(req, "-");
	cell_str(req, call_setup_info(c)->calling);
	cell_str(req, call_setup_info(c)->called);
}

/* show calls: the calls, then their legs (a: the caller's side, b: the
 * called side taken), joined by call id. */
static int cmd_show_calls(void *arg, struct ctl_req *req, int argc, char **argv)
{
	struct gw *gw = arg;
	struct show_calls sc = { .req = req, .now = mono_us() };

	(void)argv;
	if (argc) {
		ctl_error(req, "show calls takes no arguments");
		return -EINVAL;
	}
	ctl_table(req, "calls", (const char *[]){ "id", "state", "dial_peer", "up_s", "talk_s", "calling",
						 "called", NULL });
	bridge_foreach_call(gw->br, show_call, &sc);
	ctl_table(req, "legs", (const char *[]){ "call", "leg", "kind", "state", "where", "calling", "called",
						"codec", "call_id", NULL });
	sc.pass = 1;
	bridge_foreach_call(gw->br, show_call, &sc);
	return 0;
}

struct clear_all {
	int cause;
	unsigned n;
};

static void clear_one(void *arg, struct call *c)
{
	struct clear_all *ca = arg;

	if (!strcmp(call_state_name(c), "RELEASING"))
		return;
	LOGN(LSS_BRIDGE, "%s cleared by the operator (sipgwctl), cause %d", call_describe(c), ca->cause);
	call_clear(c, ca->cause);
	ca->n++;
}

/* clear call ID|all [cause N]: both legs cleared with cause N (default 16,
 * normal clearing: Q.931 DISCONNECT cause 16; SIP BYE or CANCEL with
 * Reason: Q.850;cause=16, RFC 3326). */
static int cmd_clear_call(void *arg, struct ctl_req *req, int argc, char **argv)
{
	struct gw *gw = arg;
	struct clear_all ca = { .cause = CAUSE_NORMAL_CLEARING };
	unsigned id = 0;
	struct call *c;

	if (argc != 1 && !(argc == 3 && !strcmp(argv[1], "cause"))) {
		ctl_error(req, "usage: clear call ID|all [cause N]");
		return -EINVAL;
	}
	if (argc == 3) {
		char *end;
		long v = strtol(argv[2], &end, 10);

		if (!argv[2][0] || *end || v < 1 || v > 127) {
			ctl_error(req, "cause '%s': a Q.850 cause is 1..127", argv[2]);
			return -EINVAL;
		}
		ca.cause = (int)v;
	}
	if (!strcmp(argv[0], "all")) {
		bridge_foreach_call(gw->br, clear_one, &ca);
		ctl_kv_num(req, "cleared", "calls", ca.n);
		ctl_kv_num(req, "cleared", "cause", ca.cause);
		return 0;
	}
	if (parse_call_id(argv[0], &id)) {
		ctl_error(req, "'%s' is not a call id (show calls lists them)", argv[0]);
		return -EINVAL;
	}
	if (!(c = bridge_call_find(gw->br, id))) {
		ctl_error(req, "no call %u (show calls lists them)", id);
		return -ENOENT;
	}
	if (!strcmp(call_state_name(c), "RELEASING")) {
		ctl_error(req, "call %u is clearing already", id);
		return -EALREADY;
	}
	clear_one(&ca, c);
	ctl_kv_num(req, "cleared", "call", id);
	ctl_kv_num(req, "cleared", "cause", ca.cause);
	ctl_kv(req, "cleared", "cause_name", "%s", cause_name(ca.cause));
	return 0;
}

/* The SIP legs' Call-IDs of a call, which the SIP side finds its dialogs by. */
static int call_sip_ids(struct call *c, char ids[2][128])
{
	struct leg *legs[2] = { call_caller_leg(c), call_called_leg(c) };
	int n = 0;

	for (int i = 0; i < 2; i++) {
		struct leg_status st;

		if (!legs[i] || !legs[i]->ops->status || strcmp(legs[i]->ops->kind, "sip"))
			continue;
		memset(&st, 0, sizeof(st));
		legs[i]->ops->status(legs[i], &st);
		if (st.call_id[0])
			snprintf(ids[n++], 128, "%s", st.call_id);
	}
	return n;
}

/* debug sip|rtp on|off [CALL]: every dialog, or the SIP legs of one call
 * (a PRI leg's Q.931 is debug q931's). */
static int cmd_debug(struct gw *gw, struct ctl_req *req, int argc, char **argv, unsigned what, const char *name)
{
	char ids[2][128];
	unsigned id;
	struct call *c;
	int on, n, done = 0;

	if (argc < 1 || argc > 2 || (strcmp(argv[0], "on") && strcmp(argv[0], "off"))) {
		ctl_error(req, "usage: debug %s on|off [CALL]", name);
		return -EINVAL;
	}
	on = !strcmp(argv[0], "on");
	if (!gw->ua) {
		ctl_error(req, "this gateway has no SIP side to debug");
		return -ENOENT;
	}
	/* the lines are notices: below that level they would go nowhere */
	if (on && log_get_level() < LOG_LVL_NOTICE)
		ctl_text(req, "note: log.level is %s, so the debug lines (notice) are not written",
			 log_level_name(log_get_level()));
	if (argc == 1) {
		sip_ua_debug(gw->ua, what, on, NULL);
		LOGN(LSS_SIP, "debug %s %s for every call (sipgwctl)", name, on ? "on" : "off");
		ctl_kv(req, "debug", name, "%s", on ? "on" : "off");
		ctl_kv(req, "debug", "calls", "all");
		return 0;
	}
	if (parse_call_id(argv[1], &id)) {
		ctl_error(req, "'%s' is not a call id (show calls lists them)", argv[1]);
		return -EINVAL;
	}
	if (!(c = bridge_call_find(gw->br, id))) {
		ctl_error(req, "no call %u (show calls lists them)", id);
		return -ENOENT;
	}
	n = call_sip_ids(c, ids);
	for (int i = 0; i < n; i++)
		done += sip_ua_debug(gw->ua, what, on, ids[i]) == 0;
	if (!done) {
		ctl_error(req, "call %u has no SIP dialog to debug", id);
		return -ENOENT;
	}
	LOGN(LSS_SIP, "debug %s %s for call %u (sipgwctl)", name, on ? "on" : "off", id);
	ctl_kv(req, "debug", name, "%s", on ? "on" : "off");
	ctl_kv_num(req, "debug", "call", id);
	ctl_kv_num(req, "debug", "dialogs", done);
	return 0;
}

static int cmd_debug_sip(void *arg, struct ctl_req *req, int argc, char **argv)
{
	return cmd_debug(arg, req, argc, argv, SIP_DEBUG_SIP, "sip");
}

static int cmd_debug_rtp(void *arg, struct ctl_req *req, int argc, char **argv)
{
	return cmd_debug(arg, req, argc, argv, SIP_DEBUG_RTP, "rtp");
}

int gw_calls_register(struct gw *gw)
{
	int rc;

	if ((rc = ctl_register(gw->ctl, "show calls", "show calls", cmd_show_calls, gw)) ||
	    (rc = ctl_register(gw->ctl, "clear call", "clear call ID|all [cause N]", cmd_clear_call, gw)) ||
	    (rc = ctl_register(gw->ctl, "debug sip", "debug sip on|off [CALL]", cmd_debug_sip, gw)) ||
	    (rc = ctl_register(gw->ctl, "debug rtp", "debug rtp on|off [CALL]", cmd_debug_rtp, gw)))
		return rc;
	return 0;
}
