/* sipgw - configuration: the spans, their DAHDI check against system.conf,
 * and the trunk groups over them. The opt-table machinery is config.c's
 * (config_internal.h). SPDX-License-Identifier: GPL-2.0-only */
#include "core/config_internal.h"
#include "core/dahdi_conf.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dahdi/tonezone.h>

static const struct enum_row span_type_enum[] = {
	{ "loopback", SPAN_LOOPBACK }, { "dahdi", SPAN_DAHDI }, { NULL, 0 } };
static const struct enum_row role_enum[] = {
	{ "network", ROLE_NETWORK }, { "cpe", ROLE_CPE }, { NULL, 0 } };
static const struct enum_row framing_enum[] = {
	{ "t1", FRAMING_T1 }, { "e1", FRAMING_E1 }, { NULL, 0 } };
static const struct enum_row switch_enum[] = {
	{ "ni2", SWITCH_NI2 }, { "euroisdn", SWITCH_EUROISDN_E1 },
	{ "euroisdn_e1", SWITCH_EUROISDN_E1 }, { "euroisdn_t1", SWITCH_EUROISDN_T1 },
	{ "dms100", SWITCH_DMS100 }, { "5ess", SWITCH_5ESS },
	{ "4ess", SWITCH_4ESS }, { "ni1", SWITCH_NI1 }, { "qsig", SWITCH_QSIG },
	{ NULL, 0 } };
static const struct enum_row nfas_d_enum[] = {
	{ "primary", NFAS_D_PRIMARY }, { "backup", NFAS_D_BACKUP }, { "none", NFAS_D_NONE },
	{ NULL, 0 } };
static const struct enum_row hunt_enum[] = {
	{ "ascending", HUNT_ASCENDING }, { "descending", HUNT_DESCENDING },
	{ "round-robin", HUNT_ROUND_ROBIN }, { NULL, 0 } };

static const struct enum_row dtmf_to_pbx_enum[] = {
	{ "inband", DTMF_PBX_INBAND }, { "keypad", DTMF_PBX_KEYPAD }, { NULL, 0 } };

static const struct opt span_opts[] = {
	O_STR(struct cfg_span, name, 1),
	{ "type", OPT_ENUM, offsetof(struct cfg_span, type), sizeof(int), 0, 0, span_type_enum, 1 },
	O_STR(struct cfg_span, path, 0),
	{ "role", OPT_ENUM, offsetof(struct cfg_span, role), sizeof(int), 0, 0, role_enum, 0 },
	{ "switchtype", OPT_ENUM, offsetof(struct cfg_span, switchtype), sizeof(int), 0, 0, switch_enum, 0 },
	{ "framing", OPT_ENUM, offsetof(struct cfg_span, framing), sizeof(int), 0, 0, framing_enum, 0 },
	{ "hunt", OPT_ENUM, offsetof(struct cfg_span, hunt), sizeof(int), 0, 0, hunt_enum, 0 },
	/* Overlap dialling (Q.931 5.1.3, 5.2.4): take a SETUP without Sending
	 * Complete and collect INFORMATION digits; send ours digit by digit. */
	{ "overlap_receive", OPT_BOOL, offsetof(struct cfg_span, overlap_receive), sizeof(int), 0, 1, NULL, 0 },
	{ "overlap_send", OPT_BOOL, offsetof(struct cfg_span, overlap_send), sizeof(int), 0, 1, NULL, 0 },
	/* E.164: national numbers on this span are +<country_code><number> on SIP */
	O_STR(struct cfg_span, country_code, 0),
	/* SERVICE maintenance messages (4ESS, 5ESS, NI-2): channels in and out of service */
	{ "service_messages", OPT_BOOL, offsetof(struct cfg_span, service_messages), sizeof(int), 0, 1, NULL, 0 },
	{ "span", OPT_INT, offsetof(struct cfg_span, dahdi_span), sizeof(int), 1, DAHDI_CONF_MAX_SPANS, NULL, 0 },
	/* NFAS, Cisco's names: nfas_group, nfas_d primary|backup|none, nfas_int */
	{ "nfas_group", OPT_INT, offsetof(struct cfg_span, nfas_group), sizeof(int), 1, 255, NULL, 0 },
	{ "nfas_d", OPT_ENUM, offsetof(struct cfg_span, nfas_d), sizeof(int), 0, 0, nfas_d_enum, 0 },
	{ "nfas_int", OPT_INT, offsetof(struct cfg_span, nfas_int), sizeof(int), 0, 127, NULL, 0 },
	/* digits from the SIP side: tones on the B-channel, or Keypad facility */
	{ "dtmf_to_pbx", OPT_ENUM, offsetof(struct cfg_span, dtmf_to_pbx), sizeof(int), 0, 0, dtmf_to_pbx_enum, 0 },
	/* media: the country tones we play, the echo canceller (G.168) and its tail */
	O_STR(struct cfg_span, tone_zone, 0),
	{ "echo_cancel", OPT_BOOL, offsetof(struct cfg_span, echo_cancel), sizeof(int), 0, 1, NULL, 0 },
	{ "echo_tail_ms", OPT_INT, offsetof(struct cfg_span, echo_tail_ms), sizeof(int), 32, 256, NULL, 0 },
	{ "inband_ringback", OPT_BOOL, offsetof(struct cfg_span, inband_ringback), sizeof(int), 0, 1, NULL, 0 },
	{ NULL } };

static void span_defaults(struct cfg_span *sp)
{
	sp->role = ROLE_NETWORK;
	sp->switchtype = SWITCH_NI2;
	sp->framing = FRAMING_T1;
	sp->hunt = HUNT_ASCENDING;
	sp->nfas_d = NFAS_D_PRIMARY;
	sp->nfas_int = -1;
	sp->echo_cancel = 1;
	sp->echo_tail_ms = 128;
}

/* Default tone zone by framing: a T1 is North American ("us"); an E1 gets
 * "de", the 425 Hz tones of the CEPT/ETSI harmonised plan (ETSI ES 201 970,
 * ITU-T E.180 Suppl. 2) that most E1 networks play (ringback 1 s on / 4 s
 * off, busy 0.5 / 0.5), where the UK's 400+450 Hz double ring is its own. */
static int tone_zone_check(struct ctx *c, const config_setting_t *g, struct cfg_span *sp)
{
	const config_setting_t *s = config_setting_get_member(g, "tone_zone");
	char cc[sizeof(sp->tone_zone)];
	size_t i;

	if (!sp->tone_zone[0])
		snprintf(sp->tone_zone, sizeof(sp->tone_zone), "%s", sp->framing == FRAMING_E1 ? "de" : "us");
	/* dsp/tonezone.c's tonezone_check() asks the same (core may not include dsp/):
	 * any case, and "gb" (ISO 3166) for libtonezone's "uk" */
	for (i = 0; sp->tone_zone[i]; i++)
		cc[i] = (char)tolower((unsigned char)sp->tone_zone[i]);
	cc[i] = '\0';
	if (tone_zone_find(!strcmp(cc, "gb") ? "uk" : cc))
		return 0;
	return fail(c, s ? s : g, "span '%s': tone_zone \"%s\" is not a zone libtonezone knows "
		    "(us, uk, de, fr, nl, it, jp, au, ...)", sp->name, sp->tone_zone);
}

/* An NFAS group (the spans before and at index i with sp's nfas_group): one
 * primary D-channel, at most one backup, distinct interface numbers, and
 * one signalling for all, since one D-channel carries their calls. NFAS is
 * a T1 arrangement (Q.931 Annex F, ANSI T1.607): E1 always has timeslot 16. */
static int nfas_check(struct ctx *c, const config_setting_t *g, const struct gw_config *cfg, int i)
{
	const struct cfg_span *sp = &cfg->spans[i];

	if (!sp->nfas_group) {
		if (config_setting_get_member(g, "nfas_d") || sp->nfas_int >= 0)
			return fail(c, g, "span '%s': nfas_d and nfas_int need nfas_group", sp->name);
		return 0;
	}
	if (sp->framing != FRAMING_T1)
		return fail(c, g, "span '%s': NFAS (nfas_group) is for T1 spans; an E1 has its own "
			    "D-channel on timeslot 16", sp->name);
	if (sp->nfas_int < 0)
		return fail(c, g, "span '%s': an NFAS span needs nfas_int (its interface number, 0-127)",
			    sp->name);
	for (int k = 0; k < i; k++) {
		const struct cfg_span *o = &cfg->spans[k];

		if (o->nfas_group != sp->nfas_group)
			continue;
		if (o->nfas_int == sp->nfas_int)
			return fail(c, g, "span '%s': nfas_int %d of NFAS group %d is span '%s' already",
				    sp->name, sp->nfas_int, sp->nfas_group, o->name);
		if (o->nfas_d == sp->nfas_d && sp->nfas_d != NFAS_D_NONE)
			return fail(c, g, "span '%s': NFAS group %d has its %s D-channel on span '%s' "
				    "already", sp->name, sp->nfas_group,
				    sp->nfas_d == NFAS_D_PRIMARY ? "primary" : "backup", o->name);
		if (o->role != sp->role || o->switchtype != sp->switchtype)
			return fail(c, g, "span '%s': NFAS group %d is %s %s on span '%s'; one D-channel "
				    "speaks for all its spans", sp->name, sp->nfas_group, o->switch_name,
				    o->role == ROLE_NETWORK ? "network" : "cpe", o->name);
	}
	return 0;
}

/* After all spans: every NFAS group has its primary D-channel. */
static int nfas_check_groups(struct ctx *c, const config_setting_t *list, const struct gw_config *cfg)
{
	for (int i = 0; i < cfg->n_spans; i++) {
		int primary = 0;

		if (!cfg->spans[i].nfas_group)
			continue;
		for (int k = 0; k < cfg->n_spans; k++)
			primary |= cfg->spans[k].nfas_group == cfg->spans[i].nfas_group &&
				   cfg->spans[k].nfas_d == NFAS_D_PRIMARY;
		if (!primary)
			return fail(c, config_setting_get_elem(list, i), "span '%s': NFAS group %d has no "
				    "span with nfas_d = \"primary\" (the D-channel its calls are signalled on)",
				    cfg->spans[i].name, cfg->spans[i].nfas_group);
	}
	return 0;
}

/* A dahdi span against DAHDI's own system.conf (what dahdi_cfg gave the
 * kernel): the span must be there, as the same line (T1/E1) in the same law,
 * laid out as a PRI: every B-channel and the D-channel on its timeslot. */
static int dahdi_span_check(struct ctx *c, const config_setting_t *g, struct cfg_span *sp,
			    const struct dahdi_conf *dc)
{
	const struct dahdi_conf_span *ds = dahdi_conf_span(dc, sp->dahdi_span);
	enum dahdi_conf_line want = sp->framing == FRAMING_E1 ? DAHDI_LINE_E1 : DAHDI_LINE_T1;
	uint32_t bchans;
	int dchan;

	if (!ds)
		return fail(c, g, "span '%s': DAHDI span %d is not in %s (no span=%d line)", sp->name,
			    sp->dahdi_span, dc->file, sp->dahdi_span);
	if (ds->kind != want)
		return fail(c, g, "span '%s': framing \"%s\", but %s:%d makes DAHDI span %d %s (%s,%s)",
			    sp->name, sp->framing == FRAMING_E1 ? "e1" : "t1", dc->file, ds->line,
			    ds->num, ds->kind == DAHDI_LINE_E1 ? "an E1" : "a T1", ds->framing, ds->coding);
	bchans = dahdi_conf_pri_bchans(ds->kind, &dchan);
	if (sp->nfas_group && sp->nfas_d == NFAS_D_NONE && ds->kind == DAHDI_LINE_T1) {
		/* NFAS: its calls are signalled on another span's D-channel, so
		 * timeslot 24 is a B-channel too */
		bchans |= 1u << dchan;
		if (ds->dchan)
			return fail(c, g, "span '%s': nfas_d = \"none\", but %s:%d gives DAHDI span %d a "
				    "D-channel (dchan=/hardhdlc=); make timeslot 24 a bchan", sp->name,
				    dc->file, ds->dchan_line, ds->num);
		dchan = 0;
	}
	if (ds->odd_law & bchans)
		return fail(c, g, "span '%s': %s turns B-channels of DAHDI span %d to %s, but a%s PRI "
			    "runs %s", sp->name, dc->file, ds->num, want == DAHDI_LINE_T1 ? "A-law" : "mu-law",
			    want == DAHDI_LINE_T1 ? " T1" : "n E1", want == DAHDI_LINE_T1 ? "mu-law" : "A-law");
	if (dchan && ds->dchan != dchan)
		return fail(c, g, "span '%s': %s:%d: DAHDI span %d has %s; a%s PRI has its D-channel "
			    "on timeslot %d (channel %d: dchan= or hardhdlc=)", sp->name, dc->file,
			    ds->dchan ? ds->dchan_line : ds->line, ds->num,
			    ds->dchan ? "its D-channel on another timeslot" : "no dchan= or hardhdlc=",
			    want == DAHDI_LINE_T1 ? " T1" : "n E1", dchan, ds->base + dchan - 1);
	if (ds->bchans != bchans)
		return fail(c, g, "span '%s': %s:%d: DAHDI span %d's bchan= lines do not give every "
			    "B-channel of a%s PRI (channels %d-%d but the D-channel's)", sp->name, dc->file,
			    ds->bchan_line ? ds->bchan_line : ds->line, ds->num,
			    want == DAHDI_LINE_T1 ? " T1" : "n E1", ds->base, ds->base + ds->n_chans - 1);
	sp->dahdi_base = ds->base;
	sp->dahdi_dchan = ds->dchan;
	sp->dahdi_hardhdlc = ds->hardhdlc;
	sp->dahdi_bchans = ds->bchans;
	snprintf(sp->path, sizeof(sp->path), "dahdi span %d", sp->dahdi_span);
	return 0;
}

int load_spans(struct ctx *c, struct gw_config *cfg, const config_setting_t *list)
{
	int n = config_setting_length(list);
	struct dahdi_conf *dc = NULL;
	int rc = 0;

	if (!config_setting_is_list(list))
		return fail(c, list, "'spans' must be a list ( { ... }, ... )");
	if (n > CFG_MAX_SPANS)
		return fail(c, list, "%d spans: at most %d (DAHDI's own limit, a full chassis)", n,
			    CFG_MAX_SPANS);
	for (int i = 0; i < n && !rc; i++) {
		const config_setting_t *g = config_setting_get_elem(list, i);
		struct cfg_span *sp = &cfg->spans[i];

		span_defaults(sp);
		rc = group_apply(c, g, span_opts, sp);
		if (rc)
			break;
		if (config_span(cfg, sp->name)) {
			rc = fail(c, g, "span '%s' is defined twice", sp->name);
			break;
		}
		if (sp->type == SPAN_LOOPBACK && !sp->path[0])
			rc = fail(c, g, "span '%s': a loopback span needs 'path' (its socket)", sp->name);
		else if (sp->type == SPAN_LOOPBACK && sp->dahdi_span)
			rc = fail(c, g, "span '%s': 'span' names a DAHDI span; a loopback span has none",
				  sp->name);
		else if (sp->type == SPAN_DAHDI && sp->path[0])
			rc = fail(c, g, "span '%s': a dahdi span takes 'span' (its DAHDI span number), "
				  "not 'path'", sp->name);
		else if (sp->type == SPAN_DAHDI && !sp->dahdi_span)
			rc = fail(c, g, "span '%s': a dahdi span needs 'span' (its number in %s)", sp->name,
				  cfg->dahdi_system_conf);
		else if (sp->type == SPAN_DAHDI && !dc) {
			/* read once, for the first dahdi span; its own errors name its own lines */
			char why[256];

			if (!(dc = calloc(1, sizeof(*dc))))
				rc = -ENOMEM;
			else if ((rc = dahdi_conf_load(dc, cfg->dahdi_system_conf, why, sizeof(why))) == -EINVAL)
				snprintf(c->err, c->errlen, "%s", why);
			else if (rc)
				rc = fail(c, g, "span '%s': cannot read DAHDI's system.conf %s: %s (set "
					  "dahdi.system_conf)", sp->name, cfg->dahdi_system_conf, strerror(-rc));
		}
		if (!rc && sp->type == SPAN_DAHDI) {
			for (int k = 0; k < i && !rc; k++)
				if (cfg->spans[k].type == SPAN_DAHDI && cfg->spans[k].dahdi_span == sp->dahdi_span)
					rc = fail(c, g, "span '%s': DAHDI span %d is span '%s' already", sp->name,
						  sp->dahdi_span, cfg->spans[k].name);
			if (!rc)
				rc = dahdi_span_check(c, g, sp, dc);
		}
		/* ITU-T E.164: a country code is 1 to 3 digits */
		if (!rc && sp->country_code[0] && (strlen(sp->country_code) > 3 ||
						   strspn(sp->country_code, "0123456789") != strlen(sp->country_code)))
			rc = fail(c, g, "span '%s': country_code \"%s\" is not 1 to 3 digits", sp->name,
				  sp->country_code);
		if (!rc)
			rc = tone_zone_check(c, g, sp);
		if (rc)
			break;
		for (const struct enum_row *r = switch_enum; r->name; r++)
			if (r->value == (int)sp->switchtype) {
				snprintf(sp->switch_name, sizeof(sp->switch_name), "%s", r->name);
				break;
			}
		if ((rc = nfas_check(c, g, cfg, i)))
			break;
		cfg->n_spans = i + 1;
	}
	free(dc);
	return rc ? rc : nfas_check_groups(c, list, cfg);
}

int load_tgs(struct ctx *c, struct gw_config *cfg, const config_setting_t *list)
{
	int n = config_setting_length(list);

	if (!config_setting_is_list(list))
		return fail(c, list, "'trunk_groups' must be a list ( { ... }, ... )");
	if (n > CFG_MAX_TGS)
		return fail(c, list, "at most %d trunk groups", CFG_MAX_TGS);
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(list, i);
		struct cfg_trunk_group *tg = &cfg->tgs[i];
		const config_setting_t *spans, *s;
		const char *v;
		int k;

		if (!config_setting_is_group(g))
			return fail(c, g, "a trunk group must be a group { ... }");
		for (k = 0; (s = config_setting_get_elem(g, k)); k++) {
			const char *nm = config_setting_name(s);
			if (strcmp(nm, "name") && strcmp(nm, "spans") && strcmp(nm, "hunt"))
				return fail(c, s, "unknown setting '%s'", nm);
		}
		if (!config_setting_lookup_string(g, "name", &v) || strlen(v) >= CFG_NAME)
			return fail(c, g, "a trunk group needs a 'name' (string, under %d characters)", CFG_NAME);
		strcpy(tg->name, v);
		if (config_setting_lookup_string(g, "hunt", &v)) {
			int h;
			if (enum_lookup(hunt_enum, v, &h))
				return fail(c, config_setting_get_member(g, "hunt"),
					    "'hunt' = \"%s\" is not one of: ascending, descending, round-robin", v);
			tg->hunt = h;
		}
		spans = config_setting_get_member(g, "spans");
		if (!spans || !config_setting_is_array(spans) || !config_setting_length(spans))
			return fail(c, g, "trunk group '%s' needs 'spans' = [ \"span\", ... ]", tg->name);
		if (config_setting_length(spans) > CFG_MAX_SPANS)
			return fail(c, spans, "trunk group '%s': %d spans, at most %d", tg->name,
				    config_setting_length(spans), CFG_MAX_SPANS);
		for (k = 0; k < config_setting_length(spans); k++) {
			v = config_setting_get_string_elem(spans, k);
			if (!v || !config_span(cfg, v))
				return fail(c, spans, "trunk group '%s': \"%s\" is no span", tg->name, v ? v : "?");
			snprintf(tg->spans[k], CFG_NAME, "%s", v);
		}
		tg->n_spans = k;
		cfg->n_tgs = i + 1;
	}
	return 0;
}

const struct cfg_span *config_span(const struct gw_config *cfg, const char *name)
{
	for (int i = 0; i < cfg->n_spans; i++)
		if (!strcmp(cfg->spans[i].name, name))
			return &cfg->spans[i];
	return NULL;
}

int config_span_bchans(const struct cfg_span *sp)
{
	if (sp->framing == FRAMING_E1)
		return 30;	/* timeslots 1-15, 17-31; D on 16 */
	return sp->nfas_group && sp->nfas_d == NFAS_D_NONE ? 24 : 23;
}

int config_bchans(const struct gw_config *cfg)
{
	int n = 0;

	for (int i = 0; i < cfg->n_spans; i++)
		n += config_span_bchans(&cfg->spans[i]);
	return n;
}

const char *span_framing_name(enum span_framing f) { return f == FRAMING_E1 ? "E1" : "T1"; }
