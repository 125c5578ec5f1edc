/* sipgw - sipgwctl's views of routing: show dial-peers (Cisco "show
 * dial-peer voice summary") and show dial-peer match NUMBER (Cisco "show
 * dialplan number"): which dial-peers a call to NUMBER would hunt, in
 * order, and why, from routing's own matcher (route_match()).
 * SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gw.h"
#include "core/ctl.h"
#include "q931/span.h"
#include "route/dialpeer.h"
#include "route/peer_health.h"
#include "route/route.h"

/* "up", "busy out" (keepalive), "down" (a pots peer's span has no D-channel). */
static const char *dp_health(const struct gw *gw, const struct dial_peer *dp, int *keepalivep)
{
	*keepalivep = 0;
	if (dp->type == DP_POTS) {
		for (int i = 0; i < gw->n_spans; i++)
			if (!strcmp(span_name(gw->spans[i]), dp->port))
				return span_callable_chans(gw->spans[i]) == -ENETDOWN ? "down" : "up";
		return "up";	/* a trunk group name: its spans are shown by show spans */
	}
	for (size_t i = 0; i < peer_health_count(gw->health); i++) {
		const struct ph_target *t = peer_health_target(gw->health, i);

		for (size_t k = 0; k < t->n_tags; k++)
			if (t->tags[k] == dp->tag) {
				*keepalivep = 1;
				return peer_health_state(gw->health, i) == PH_BUSIED_OUT ? "busy out" : "up";
			}
	}
	return "up";
}

static void codecs_cell(struct ctl_req *req, const struct dp_codecs *c)
{
	char list[DP_MAX_CODECS * 17] = "";
	size_t off = 0;

	for (int i = 0; i < c->n && off < sizeof(list); i++)
		off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s", i ? "," : "", c->v[i]);
	ctl_cell(req, "%s", list[0] ? list : ctl_json(req) ? "" : "-");
}

static int cmd_show_dial_peers(void *arg, struct ctl_req *req, int argc, char **argv)
{
	struct gw *gw = arg;

	(void)argv;
	if (argc) {
		ctl_error(req, "show dial-peers takes no arguments");
		return -EINVAL;
	}
	ctl_table(req, "dial_peers", (const char *[]){ "tag", "type", "pattern", "target", "preference", "codecs",
						      "keepalive", "health", NULL });
	for (size_t i = 0; i < gw->cfg.n_peers; i++) {
		const struct dial_peer *dp = &gw->cfg.peers[i];
		int ka;
		const char *health = dp_health(gw, dp, &ka);

		ctl_cell_num(req, dp->tag);
		ctl_cell(req, "%s", dp->type == DP_POTS ? "pots" : "voip");
		ctl_cell(req, "%s", dp->pattern);
		ctl_cell(req, "%s", dp->type == DP_POTS ? dp->port : dp->target);
		ctl_cell_num(req, dp->preference);
		codecs_cell(req, &dp->codecs);
		ctl_cell(req, "%s", ka ? "on" : "off");
		ctl_cell(req, "%s", health);
	}
	return 0;
}

/* Why the i-th candidate stands where it does in the hunt. */
static void match_why(char *out, size_t len, const struct route_match *m, size_t i, size_t n,
		      const struct route_match *all)
{
	const struct route_match *prev = i ? &all[i - 1] : NULL;

	if (n == 1)
		snprintf(out, len, "the only pattern that matches");
	else if (!prev && m->score > all[1].score)
		snprintf(out, len, "longest match (score %d over %d)", m->score, all[1].score);
	else if (!prev)
		snprintf(out, len, "match as long as the next; preference %d", m->dp->preference);
	else if (m->score < prev->score)
		snprintf(out, len, "shorter match (score %d)", m->score);
	else if (m->dp->preference > prev->dp->preference)
		snprintf(out, len, "as long a match; preference %d after %d", m->dp->preference,
			 prev->dp->preference);
	else
		snprintf(out, len, "as long a match, same preference: lower tag first");
}

/* One direction's hunt: rows of the table, and the one taken in block match. */
static size_t match_dir(struct gw *gw, struct ctl_req *req, const char *number, int type, const char *from)
{
	struct route_match m[DP_LOOKUP_MAX];
	size_t n = route_match(gw->route, number, type, m, DP_LOOKUP_MAX);
	int chosen = 0;
	char dir_key[16];

	snprintf(dir_key, sizeof(dir_key), "from_%s", from);
	for (size_t i = 0; i < n; i++) {
		char why[128];
		const char *verdict;
		int ka;

		match_why(why, sizeof(why), &m[i], i, n, m);
		if (m[i].busied_out || !strcmp(dp_health(gw, m[i].dp, &ka), "down"))
			verdict = "skipped";
		else if (!chosen)
			verdict = "chosen", chosen = m[i].dp->tag;
		else
			verdict = "next";
		ctl_cell(req, "%s", from);
		ctl_cell_num(req, (long long)i + 1);
		ctl_cell_num(req, m[i].dp->tag);
		ctl_cell(req, "%s", m[i].dp->type == DP_POTS ? "pots" : "voip");
		ctl_cell(req, "%s", m[i].dp->pattern);
		ctl_cell_num(req, m[i].dp->preference);
		ctl_cell_num(req, m[i].score);
		ctl_cell(req, "%s", m[i].dp->type == DP_POTS ? m[i].dp->port
				    : m[i].registrar ? "registrar" : m[i].dp->target);
		ctl_cell(req, "%s", m[i].number[0] ? m[i].number : ctl_json(req) ? "" : "-");
		ctl_cell(req, "%s", m[i].busied_out ? "skipped: busy out" : strcmp(verdict, "skipped") ? verdict
				    : "skipped: span down");
		ctl_cell(req, "%s", why);
	}
	if (chosen)
		ctl_kv_num(req, "match", dir_key, chosen);
	else
		ctl_kv(req, "match", dir_key, "%s", n ? "none in service" : "none");
	return n;
}

/* show dial-peer match NUMBER [from pri|sip]: a call from a span hunts the
 * voip dial-peers, one from SIP the pots ones; both unless told. */
static int cmd_dial_peer_match(void *arg, struct ctl_req *req, int argc, char **argv)
{
	struct gw *gw = arg;
	int pri = 1, sip = 1;
	size_t n = 0;

	if (argc == 3 && !strcmp(argv[1], "from") && (!strcmp(argv[2], "pri") || !strcmp(argv[2], "sip"))) {
		pri = !strcmp(argv[2], "pri");
		sip = !pri;
	} else if (argc != 1) {
		ctl_error(req, "usage: show dial-peer match NUMBER [from pri|sip]");
		return -EINVAL;
	}
	if (!argv[0][0] || strlen(argv[0]) >= DP_NUMBER_MAX || strspn(argv[0], "0123456789*#+") != strlen(argv[0])) {
		ctl_error(req, "'%s' is not a number to dial (digits, * # +, under %d)", argv[0], DP_NUMBER_MAX);
		return -EINVAL;
	}
	ctl_kv(req, "match", "number", "%s", argv[0]);
	ctl_table(req, "hunt", (const char *[]){ "from", "order", "tag", "type", "pattern", "preference", "score",
						"target", "number_out", "verdict", "why", NULL });
	if (pri)
		n += match_dir(gw, req, argv[0], DP_VOIP, "pri");
	if (sip)
		n += match_dir(gw, req, argv[0], DP_POTS, "sip");
	if (!n)
		ctl_text(req, "no dial-peer takes %s: a call to it is refused with cause 1 (unallocated number)",
			 argv[0]);
	return 0;
}

int gw_dialpeers_register(struct gw *gw)
{
	int rc;

	if ((rc = ctl_register(gw->ctl, "show dial-peers", "show dial-peers", cmd_show_dial_peers, gw)) ||
	    (rc = ctl_register(gw->ctl, "show dial-peer match", "show dial-peer match NUMBER [from pri|sip]",
			       cmd_dial_peer_match, gw)))
		return rc;
	return 0;
}
