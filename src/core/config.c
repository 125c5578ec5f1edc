/* sipgw - configuration loader on libconfig. Each group is a table of rows
 * (name, kind, storage, bounds), so a key is declared once and errors come
 * out the same way for every key. SPDX-License-Identifier: GPL-2.0-only */
#include "core/config_internal.h"
#include "core/netaddr.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <libconfig.h>

static const struct enum_row level_enum[] = {
	{ "error", LOG_LVL_ERROR }, { "warn", LOG_LVL_WARN }, { "notice", LOG_LVL_NOTICE },
	{ "info", LOG_LVL_INFO }, { "debug", LOG_LVL_DEBUG }, { NULL, 0 } };

const struct enum_row dtmf_relay_enum[] = {
	{ "inband", DTMF_RELAY_INBAND }, { "rtp-nte", DTMF_RELAY_RTP_NTE },
	{ "sip-info", DTMF_RELAY_SIP_INFO }, { NULL, 0 } };


static const struct opt log_opts[] = {
	{ "level", OPT_ENUM, offsetof(struct gw_config, log_level), sizeof(int), 0, 0, level_enum, 0 },
	{ "syslog", OPT_BOOL, offsetof(struct gw_config, log_syslog), sizeof(int), 0, 1, NULL, 0 },
	{ NULL } };

static const struct opt timer_opts[] = {
	{ "ring-no-answer", OPT_SECONDS_MS, offsetof(struct gw_config, timers.ring_no_answer_ms), sizeof(unsigned), 100, 3600000, NULL, 0 },
	{ "timer-b", OPT_SECONDS_MS, offsetof(struct gw_config, timers.timer_b_ms), sizeof(unsigned), 500, 300000, NULL, 0 },
	/* Q.931 table 9-1: T302, overlap receiving, restarted by each INFORMATION */
	{ "T302", OPT_SECONDS_MS, offsetof(struct gw_config, timers.t302_ms), sizeof(unsigned), 100, 120000, NULL, 0 },
	{ "shutdown-grace", OPT_SECONDS_MS, offsetof(struct gw_config, timers.shutdown_grace_ms), sizeof(unsigned), 0, 60000, NULL, 0 },
	/* Calls that never clear (sip/sip_timers.c). min-se's floor is 1 s, not
	 * RFC 4028's 90 s, so tests can run a session in seconds. */
	{ "rtp-timeout", OPT_SECONDS_MS, offsetof(struct gw_config, timers.rtp_timeout_ms), sizeof(unsigned), 0, 86400000, NULL, 0 },
	{ "rtp-hold-timeout", OPT_SECONDS_MS, offsetof(struct gw_config, timers.rtp_hold_timeout_ms), sizeof(unsigned), 0, 86400000, NULL, 0 },
	{ "session-expires", OPT_SECONDS_MS, offsetof(struct gw_config, timers.session_expires_ms), sizeof(unsigned), 0, 86400000, NULL, 0 },
	{ "min-se", OPT_SECONDS_MS, offsetof(struct gw_config, timers.min_se_ms), sizeof(unsigned), 1000, 86400000, NULL, 0 },
	{ NULL } };

static const struct opt dahdi_opts[] = {
	{ "system_conf", OPT_STR, offsetof(struct gw_config, dahdi_system_conf),
	  sizeof(((struct gw_config *)0)->dahdi_system_conf), 0, 0, NULL, 0 },
	{ NULL } };


static const struct opt reg_opts[] = {
	O_STR(struct cfg_registrar, realm, 0),
	O_STR(struct cfg_registrar, database, 0),
	O_STR(struct cfg_registrar, users_file, 0),
	{ "min_expires", OPT_INT, offsetof(struct cfg_registrar, min_expires), sizeof(int), 1, 86400, NULL, 0 },
	{ "max_expires", OPT_INT, offsetof(struct cfg_registrar, max_expires), sizeof(int), 1, 604800, NULL, 0 },
	{ "default_expires", OPT_INT, offsetof(struct cfg_registrar, default_expires), sizeof(int), 1, 604800, NULL, 0 },
	{ "max_contacts", OPT_INT, offsetof(struct cfg_registrar, max_contacts), sizeof(int), 1, 32, NULL, 0 },
	{ "nonce_ttl", OPT_INT, offsetof(struct cfg_registrar, nonce_ttl), sizeof(int), 5, 3600, NULL, 0 },
	{ "auth_attempts", OPT_INT, offsetof(struct cfg_registrar, auth_attempts), sizeof(int), 1, 64, NULL, 0 },
	{ "auth_window", OPT_INT, offsetof(struct cfg_registrar, auth_window), sizeof(int), 1, 86400, NULL, 0 },
	{ "auth_backoff", OPT_INT, offsetof(struct cfg_registrar, auth_backoff), sizeof(int), 1, 86400, NULL, 0 },
	{ "auth_backoff_max", OPT_INT, offsetof(struct cfg_registrar, auth_backoff_max), sizeof(int), 1, 604800, NULL, 0 },
	{ NULL } };

static const struct opt user_opts[] = {
	O_STR(struct cfg_user, user, 1),
	O_STR(struct cfg_user, password, 1),
	O_STR(struct cfg_user, forward_all, 0),
	O_STR(struct cfg_user, forward_busy, 0),
	O_STR(struct cfg_user, forward_no_answer, 0),
	{ "forward_no_answer_timeout", OPT_SECONDS_MS, offsetof(struct cfg_user, forward_no_answer_ms),
	  sizeof(unsigned), 1000, 300000, NULL, 0 },
	{ "redirect", OPT_BOOL, offsetof(struct cfg_user, redirect), sizeof(int), 0, 1, NULL, 0 },
	{ "pstn", OPT_BOOL, offsetof(struct cfg_user, pstn), sizeof(int), 0, 1, NULL, 0 },
	{ NULL } };

static const struct opt emergency_num_opts[] = {
	O_STR(struct cfg_emergency_number, pattern, 1),
	O_STR(struct cfg_emergency_number, extension, 0),
	{ NULL } };

/* sip.trusted and the like: IPv4 or IPv6 prefixes (core/netaddr.h). */
int cfg_list_match_addr(const struct cfg_list *l, const char *ip)
{
	struct sockaddr_storage ss;
	struct netaddr_prefix p;

	if (!ip || netaddr_parse(ip, &ss))
		return 0;
	for (int i = 0; i < l->n; i++)
		if (netaddr_prefix_parse(l->v[i], &p) == 0 && netaddr_prefix_match(&p, &ss))
			return 1;
	return 0;
}

int fail(struct ctx *c, const config_setting_t *s, const char *fmt, ...)
{
	char what[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(c->err, c->errlen, "%s:%d: %s", c->file, s ? config_setting_source_line(s) : 0, what);
	return -EINVAL;
}

static const char *kind_name(enum opt_kind k)
{
	static const char *const n[] = {
		[OPT_STR] = "a string", [OPT_INT] = "an integer", [OPT_BOOL] = "true or false",
		[OPT_ENUM] = "one of its names", [OPT_SECONDS_MS] = "a number of seconds",
		[OPT_PREFIX_LIST] = "a list of IP prefixes [ \"a.b.c.d[/len]\", \"x:x::x[/len]\", ... ]",
		[OPT_FWD_DIGITS] = "a number of digits (0..32) or \"all\"",
		[OPT_ENUM_LIST] = "one of its names or a list of them",
		[OPT_CODEC_LIST] = "a list of codec names [ \"g711ulaw\", ... ]",
	};
	return n[k];
}

int enum_lookup(const struct enum_row *rows, const char *name, int *vp)
{
	for (; rows->name; rows++)
		if (!strcasecmp(rows->name, name)) {
			*vp = rows->value;
			return 0;
		}
	return -ENOENT;
}

static void enum_list(const struct enum_row *rows, char *buf, size_t len)
{
	size_t o = 0;
	buf[0] = 0;
	for (; rows->name && o < len; rows++)
		o += snprintf(buf + o, len - o, "%s%s", o ? ", " : "", rows->name);
}

/* Apply one setting s to the row o of a table, storing into base. */
static int opt_apply(struct ctx *c, const struct opt *o, const config_setting_t *s, void *base)
{
	char *dst = (char *)base + o->off;
	int type = config_setting_type(s);

	switch (o->kind) {
	case OPT_STR: {
		const char *v = config_setting_get_string(s);
		if (!v)
			break;
		if (strlen(v) >= o->size)
			return fail(c, s, "'%s' is too long (at most %zu characters)", o->name, o->size - 1);
		strcpy(dst, v);
		return 0;
	}
	case OPT_INT: {
		long v;
		if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64)
			break;
		v = config_setting_get_int64(s);
		if (v < o->min || v > o->max)
			return fail(c, s, "'%s' = %ld is out of range (%ld..%ld)", o->name, v, o->min, o->max);
		*(int *)dst = (int)v;
		return 0;
	}
	case OPT_BOOL:
		if (type != CONFIG_TYPE_BOOL)
			break;
		*(int *)dst = config_setting_get_bool(s);
		return 0;
	case OPT_ENUM: {
		const char *v = config_setting_get_string(s);
		char names[200];
		if (!v)
			break;
		if (enum_lookup(o->enums, v, (int *)dst) == 0)
			return 0;
		enum_list(o->enums, names, sizeof(names));
		return fail(c, s, "'%s' = \"%s\" is not one of: %s", o->name, v, names);
	}
	case OPT_ENUM_LIST: {
		/* "rtp-nte" or [ "rtp-nte", "sip-info" ]: the order is the preference */
		struct cfg_enum_list *l = (struct cfg_enum_list *)dst;
		int one = type == CONFIG_TYPE_STRING;
		int n = one ? 1 : config_setting_length(s);
		char names[200];

		if (!one && !config_setting_is_array(s) && !config_setting_is_list(s))
			break;
		if (n > CFG_MAX_ENUM_LIST)
			return fail(c, s, "'%s': at most %d names", o->name, CFG_MAX_ENUM_LIST);
		l->n = 0;
		for (int i = 0; i < n; i++) {
			const char *v = one ? config_setting_get_string(s) : config_setting_get_string_elem(s, i);
			int val;

			if (!v)
				return fail(c, s, "'%s' must be a name or a list of names", o->name);
			if (enum_lookup(o->enums, v, &val)) {
				enum_list(o->enums, names, sizeof(names));
				return fail(c, s, "'%s': \"%s\" is not one of: %s", o->name, v, names);
			}
			for (int j = 0; j < l->n; j++)
				if (l->v[j] == val)
					return fail(c, s, "'%s': \"%s\" is listed twice", o->name, v);
			l->v[l->n++] = val;
		}
		return 0;
	}
	case OPT_PREFIX_LIST: {
		struct cfg_list *l = (struct cfg_list *)dst;
		if (!config_setting_is_array(s) && !config_setting_is_list(s))
			break;
		l->n = 0;
		for (int i = 0; i < config_setting_length(s); i++) {
			const char *v = config_setting_get_string_elem(s, i);
			if (!v)
				break;
			if (l->n == CFG_MAX_LIST || strlen(v) >= sizeof(l->v[0]))
				return fail(c, s, "'%s': at most %d entries of under %zu characters", o->name,
					    CFG_MAX_LIST, sizeof(l->v[0]));
			if (netaddr_prefix_parse(v, &(struct netaddr_prefix){ 0 }))
				return fail(c, s, "'%s': \"%s\" is not an IPv4 or IPv6 address or prefix "
					    "(a.b.c.d[/len], x:x::x[/len])", o->name, v);
			strcpy(l->v[l->n++], v);
		}
		if (l->n != config_setting_length(s))
			break;
		return 0;
	}
	case OPT_CODEC_LIST: {
		/* Cisco voice-class codec: names in preference order, each once */
		struct dp_codecs *l = (struct dp_codecs *)dst;
		char names[200];
		int n = config_setting_length(s), off = 0;

		if (!config_setting_is_array(s) && !config_setting_is_list(s))
			break;
		if (n == 0 || n > DP_MAX_CODECS)
			return fail(c, s, "'%s': 1 to %d codecs", o->name, DP_MAX_CODECS);
		for (int i = 0; dp_codec_name(i); i++)
			off += snprintf(names + off, sizeof(names) - (size_t)off, "%s%s", i ? ", " : "",
					dp_codec_name(i));
		l->n = 0;
		for (int i = 0; i < n; i++) {
			const char *v = config_setting_get_string_elem(s, i);
			const config_setting_t *e = config_setting_get_elem(s, i);

			if (!v)
				return fail(c, s, "'%s' must be a list of codec names", o->name);
			if (!dp_codec_known(v))
				return fail(c, e ? e : s, "'%s': \"%s\" is not one of: %s%s", o->name, v, names,
					    !strncasecmp(v, "g729", 4) ? " (G.729 is not built: bcg729 is GPL-3)" : "");
			for (int j = 0; j < l->n; j++)
				if (!strcasecmp(l->v[j], v))
					return fail(c, e ? e : s, "'%s': \"%s\" listed twice", o->name, v);
			snprintf(l->v[l->n++], sizeof(l->v[0]), "%s", v);
		}
		return 0;
	}
	case OPT_FWD_DIGITS: {
		/* Cisco "forward-digits N | all": keep the last N digits, or all. */
		const char *v = config_setting_get_string(s);
		long n;
		if (v && !strcasecmp(v, "all")) {
			*(int *)dst = DP_FWD_ALL;
			return 0;
		}
		if (v || (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64))
			break;
		n = config_setting_get_int64(s);
		if (n < o->min || n > o->max)
			break;
		*(int *)dst = (int)n;
		return 0;
	}
	case OPT_SECONDS_MS: {
		double v;
		if (type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64)
			v = (double)config_setting_get_int64(s);
		else if (type == CONFIG_TYPE_FLOAT)
			v = config_setting_get_float(s);
		else
			break;
		if (v * 1000 < o->min || v * 1000 > o->max)
			return fail(c, s, "'%s' = %g s is out of range (%g..%g s)", o->name, v,
				    o->min / 1000.0, o->max / 1000.0);
		*(unsigned *)dst = (unsigned)(v * 1000 + 0.5);
		return 0;
	}
	}
	return fail(c, s, "'%s' must be %s", o->name, kind_name(o->kind));
}

/* Apply every member of group g through table; unknown keys are errors, so a
 * typo never silently falls back to a default. Members named in skip (NULL
 * or a NULL-ended list) are lists the caller reads itself. */
static int group_apply_but(struct ctx *c, const config_setting_t *g, const struct opt *table,
			   void *base, const char *const *skip)
{
	int n = config_setting_length(g);
	const struct opt *o;

	if (!config_setting_is_group(g))
		return fail(c, g, "'%s' must be a group { ... }", config_setting_name(g) ? config_setting_name(g) : "entry");
	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(g, i);
		const char *name = config_setting_name(s);
		int rc, skipped = 0;

		for (const char *const *k = skip; k && *k; k++)
			skipped |= !strcmp(*k, name);
		if (skipped)
			continue;
		for (o = table; o->name; o++)
			if (!strcmp(o->name, name))
				break;
		if (!o->name)
			return fail(c, s, "unknown setting '%s'", name);
		rc = opt_apply(c, o, s, base);
		if (rc)
			return rc;
	}
	for (o = table; o->name; o++)
		if (o->required && !config_setting_get_member(g, o->name))
			return fail(c, g, "missing required setting '%s'", o->name);
	return 0;
}

int group_apply(struct ctx *c, const config_setting_t *g, const struct opt *table, void *base)
{
	return group_apply_but(c, g, table, base, NULL);
}

/* A forwarding target is a list of numbers (or user names), routed as dialled. */
static int check_forward(struct ctx *c, const config_setting_t *u, const struct cfg_user *cu, const char *t)
{
	static const char ok[] = "0123456789+*#._-, abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

	if (!t[strspn(t, ok)])
		return 0;
	return fail(c, u, "user \"%s\": forwarding target \"%s\" is not a list of numbers", cu->user, t);
}

static int load_registrar(struct ctx *c, struct gw_config *cfg, const config_setting_t *g)
{
	static const char *const skip[] = { "users", NULL };
	struct cfg_registrar *r = &cfg->reg;
	const config_setting_t *users;
	int rc;

	r->enabled = 1;
	if ((rc = group_apply_but(c, g, reg_opts, r, skip)))
		return rc;
	if (r->min_expires > r->max_expires)
		return fail(c, g, "registrar: min_expires (%d) is above max_expires (%d)", r->min_expires,
			    r->max_expires);
	if (r->default_expires < r->min_expires || r->default_expires > r->max_expires)
		return fail(c, g, "registrar: default_expires (%d) is outside min_expires..max_expires",
			    r->default_expires);
	users = config_setting_get_member(g, "users");
	if (!users)
		return 0;
	if (!config_setting_is_list(users))
		return fail(c, users, "'users' must be a list ( { user = \"...\"; password = \"...\"; }, ... )");
	if (config_setting_length(users) > CFG_MAX_USERS)
		return fail(c, users, "at most %d users in the file; put more in users_file", CFG_MAX_USERS);
	for (int i = 0; i < config_setting_length(users); i++) {
		const config_setting_t *u = config_setting_get_elem(users, i);
		struct cfg_user *cu = &r->users[i];

		cu->pstn = 1;	/* what an authenticated user could always do */
		cu->forward_no_answer_ms = 15000;
		cu->line = config_setting_source_line(u);
		if ((rc = group_apply(c, u, user_opts, cu)))
			return rc;
		if (!cu->user[0] || strpbrk(cu->user, ":@ \t\"<>"))
			return fail(c, u, "user \"%s\": a user name is digits or letters, no ':', '@' or spaces",
				    cu->user);
		for (int j = 0; j < i; j++)
			if (!strcmp(r->users[j].user, cu->user))
				return fail(c, u, "user \"%s\" is defined twice", cu->user);
		if ((rc = check_forward(c, u, cu, cu->forward_all)) ||
		    (rc = check_forward(c, u, cu, cu->forward_busy)) ||
		    (rc = check_forward(c, u, cu, cu->forward_no_answer)))
			return rc;
		r->n_users = i + 1;
	}
	return 0;
}

static int load_emergency(struct ctx *c, struct gw_config *cfg, const config_setting_t *g)
{
	static const char *const skip[] = { "numbers", NULL };
	static const struct opt em_opts[] = {
		{ "reserved_channels", OPT_INT, offsetof(struct cfg_emergency, reserved_channels), sizeof(int), 0, 30, NULL, 0 },
		{ NULL } };
	struct cfg_emergency *e = &cfg->emergency;
	const config_setting_t *nums;
	int rc;

	if ((rc = group_apply_but(c, g, em_opts, e, skip)))
		return rc;
	nums = config_setting_get_member(g, "numbers");
	if (!nums)
		return fail(c, g, "emergency needs 'numbers' = ( { pattern = \"911\"; }, ... )");
	if (!config_setting_is_list(nums))
		return fail(c, nums, "'numbers' must be a list ( { pattern = \"911\"; }, ... )");
	if (config_setting_length(nums) > CFG_MAX_EMERGENCY)
		return fail(c, nums, "at most %d emergency numbers", CFG_MAX_EMERGENCY);
	for (int i = 0; i < config_setting_length(nums); i++) {
		const config_setting_t *n = config_setting_get_elem(nums, i);
		struct cfg_emergency_number *en = &e->nums[i];
		const char *why = NULL;

		if ((rc = group_apply(c, n, emergency_num_opts, en)))
			return rc;
		if (dp_pattern_check(en->pattern, &why))
			return fail(c, n, "emergency pattern \"%s\": %s", en->pattern, why ? why : "invalid");
		/* whether it has somewhere to go is routing's check (route_config_check) */
		en->line = config_setting_source_line(n);
		e->n = i + 1;
	}
	return 0;
}

/* One direction of a causes group: a list of { sip_status; pstn_cause; }
 * rows, each key once (what it replaces in RFC 3398 must be unambiguous). */
static int load_cause_rows(struct ctx *c, const config_setting_t *list, const char *who, int to_pstn,
			   struct cause_override_row *rows, int *np)
{
	static const struct opt row_opts[] = {
		{ "sip_status", OPT_INT, offsetof(struct cause_override_row, status), sizeof(int), 400, 699, NULL, 1 },
		{ "pstn_cause", OPT_INT, offsetof(struct cause_override_row, cause), sizeof(int), 1, 127, NULL, 1 },
		{ NULL } };
	const char *name = to_pstn ? "sip_to_pstn" : "pstn_to_sip";
	const char *eg = to_pstn ? "{ sip_status = 486; pstn_cause = 34; }" : "{ pstn_cause = 17; sip_status = 503; }";
	int n = config_setting_length(list), rc;

	if (!config_setting_is_list(list))
		return fail(c, list, "%s'%s' must be a list ( %s, ... )", who, name, eg);
	if (n > CAUSE_OVERRIDES_MAX)
		return fail(c, list, "%s'%s': at most %d rows", who, name, CAUSE_OVERRIDES_MAX);
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(list, i);
		struct cause_override_row *row = &rows[i];

		if ((rc = group_apply(c, g, row_opts, row)))
			return rc;
		for (int j = 0; j < i; j++) {
			if (to_pstn && rows[j].status == row->status)
				return fail(c, g, "%s'%s': sip_status %d is mapped twice", who, name, row->status);
			if (!to_pstn && rows[j].cause == row->cause)
				return fail(c, g, "%s'%s': pstn_cause %d is mapped twice", who, name, row->cause);
		}
		*np = i + 1;
	}
	return 0;
}

/* causes = { sip_to_pstn = ( ... ); pstn_to_sip = ( ... ); }, globally or in
 * a dial-peer: rows that replace single rows of the RFC 3398 tables. */
static int load_causes(struct ctx *c, struct cause_overrides *ov, const config_setting_t *g, const char *who)
{
	static const char *const dirs[] = { "sip_to_pstn", "pstn_to_sip", NULL };
	static const struct opt none[] = { { NULL } };	/* every key but the two lists is unknown */
	const config_setting_t *s;
	int rc;

	if ((rc = group_apply_but(c, g, none, ov, dirs)))
		return rc;
	if ((s = config_setting_get_member(g, "sip_to_pstn")) &&
	    (rc = load_cause_rows(c, s, who, 1, ov->sip_to_pstn, &ov->n_sip_to_pstn)))
		return rc;
	if ((s = config_setting_get_member(g, "pstn_to_sip")) &&
	    (rc = load_cause_rows(c, s, who, 0, ov->pstn_to_sip, &ov->n_pstn_to_sip)))
		return rc;
	return 0;
}

void config_registrar_defaults(struct cfg_registrar *r)
{
	memset(r, 0, sizeof(*r));
	strcpy(r->realm, "sipgw");
	r->min_expires = 60;
	r->max_expires = 7200;
	r->default_expires = 3600;
	r->max_contacts = 5;
	r->nonce_ttl = 300;
	r->auth_attempts = 10;
	r->auth_window = 60;
	r->auth_backoff = 60;
	r->auth_backoff_max = 3600;
}

static void config_defaults(struct gw_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->log_level = LOG_LVL_INFO;
	config_ops_defaults(&cfg->ops);
	strcpy(cfg->sip_bind, "127.0.0.1");
	cfg->sip_port = 5060;
	strcpy(cfg->sip_user_agent, "sipgw");
	cfg->sip_tcp = 1;		/* UDP and TCP, as Sofia listened before it was said */
	cfg->sip_tls_verify = 1;
	cfg->sip_udp_rmem_kb = 4096;
	cfg->sip_max_queue_delay_ms = 50;
	cfg->sip_retry_after = 2;
	cfg->redirect_max_targets = 5;
	cfg->redirect_max_hops = 3;
	strcpy(cfg->rtp_ip, "127.0.0.1");
	cfg->rtp_port_min = 16384;
	cfg->rtp_port_max = 32767;
	/* G.711 only, mu-law first: what the gateway offered before it had a codec list */
	cfg->rtp_codecs.n = 2;
	strcpy(cfg->rtp_codecs.v[0], "g711ulaw");
	strcpy(cfg->rtp_codecs.v[1], "g711alaw");
	/* RFC 4733 with every phone that offers telephone-event, in-band with the rest */
	cfg->fax_t38 = 1;
	cfg->t38_redundancy = 3;
	cfg->dtmf_relay.v[0] = DTMF_RELAY_RTP_NTE;
	cfg->dtmf_relay.n = 1;
	cfg->timers.ring_no_answer_ms = 60000;
	cfg->timers.shutdown_grace_ms = 2000;
	cfg->timers.t302_ms = 15000;
	cfg->timers.timer_b_ms = 32000;
	cfg->timers.rtp_timeout_ms = 60000;
	cfg->timers.rtp_hold_timeout_ms = 300000;
	cfg->timers.session_expires_ms = 1800000;
	cfg->timers.min_se_ms = 90000;
	config_registrar_defaults(&cfg->reg);
	cfg->emergency.reserved_channels = 1;
	strcpy(cfg->dahdi_system_conf, "/etc/dahdi/system.conf");
}

static int load_peers(struct ctx *c, struct gw_config *cfg, const config_setting_t *list)
{
	int n = config_setting_length(list);

	if (!config_setting_is_list(list))
		return fail(c, list, "'dial_peers' must be a list ( { ... }, ... )");
	cfg->peers = calloc(n ? n : 1, sizeof(*cfg->peers));
	if (!cfg->peers)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(list, i);
		static const char *const dp_skip[] = { "causes", NULL };	/* load_causes() */
		struct dial_peer *dp = &cfg->peers[i];
		const config_setting_t *causes;
		const char *why = NULL;
		int rc;

		dp->forward_digits = -1;
		dp->npi = 0x1;	/* E.164/ISDN, type unknown: what most PBXs accept */
		dp->options_up_ms = 60000;	/* Cisco options-keepalive defaults */
		dp->options_down_ms = 30000;
		dp->options_retry = 5;
		dp->options_recovery = 1;
		rc = group_apply_but(c, g, dp_opts, dp, dp_skip);
		if (rc || (rc = load_peer_sip(c, g, dp)))
			return rc;
		cfg->n_peers = i + 1;
		for (int j = 0; j < i; j++)
			if (cfg->peers[j].tag == dp->tag)
				return fail(c, g, "dial-peer %d is defined twice", dp->tag);
		if ((causes = config_setting_get_member(g, "causes"))) {
			char who[48];

			snprintf(who, sizeof(who), "dial-peer %d: ", dp->tag);
			if ((rc = load_causes(c, &dp->causes, causes, who)))
				return rc;
		}
		if (dp_pattern_check(dp->pattern, &why))
			return fail(c, g, "dial-peer %d: destination_pattern \"%s\": %s", dp->tag,
				    dp->pattern, why ? why : "invalid");
		if (dp->codecs.n && (dp->type != DP_VOIP || dp_targets_registrar(dp)))
			return fail(c, config_setting_get_member(g, "codec"),
				    "dial-peer %d: 'codec' is for a voip dial-peer with an address session_target "
				    "(registered phones take rtp.codecs; a span speaks its own law)", dp->tag);
		if (dp_targets_registrar(dp)) {
			continue;	/* the called number's registered phone */
		} else if (dp->type == DP_VOIP) {
			char host[128];
			int port;
			if (!dp->target[0])
				return fail(c, g, "dial-peer %d: a voip dial-peer needs 'session_target'", dp->tag);
			if (dp_session_target(dp, host, sizeof(host), &port))
				return fail(c, g, "dial-peer %d: session_target \"%s\" is not ipv4:ADDR[:PORT], "
					    "ipv6:[ADDR][:PORT], dns:NAME[:PORT] or NAME[:PORT]", dp->tag, dp->target);
		} else {
			int found = !!config_span(cfg, dp->port);
			for (int t = 0; t < cfg->n_tgs && !found; t++)
				found = !strcmp(cfg->tgs[t].name, dp->port);
			if (!dp->port[0])
				return fail(c, g, "dial-peer %d: a pots dial-peer needs 'port' (a span or trunk group)", dp->tag);
			if (!found)
				return fail(c, g, "dial-peer %d: port \"%s\" is no span or trunk group", dp->tag, dp->port);
		}
	}
	return 0;
}

/* What the start would trip over, found by -t too (file:line, not a bare
 * errno at start-up): addresses that are not addresses, a database folder
 * that cannot take the file, a users_file that cannot be read. */
static int check_addr(struct ctx *c, config_t *lc, const char *path, char *v, size_t vlen)
{
	struct sockaddr_storage ss;
	int fd;

	/* The parse the start makes (rtp_alloc, sip_ua_alloc): IPv6 with or
	 * without brackets, kept bare so that every writer brackets it the
	 * one way (sip/sip_addr.h). */
	if (netaddr_parse(v, &ss) || netaddr_bare(v, v, vlen))
		return fail(c, config_lookup(lc, path), "%s = \"%s\" is not an IPv4 or IPv6 address", path, v);
	/* An address this host does not have fails the start's bind with
	 * EADDRNOTAVAIL; a port-0 bind finds it without taking a port. */
	fd = netaddr_udp_bind(&ss, 0, NULL);
	if (fd == -EADDRNOTAVAIL || fd == -EAFNOSUPPORT)
		return fail(c, config_lookup(lc, path), "%s = \"%s\": %s", path, v,
			    fd == -EADDRNOTAVAIL ? "not an address of this host" : "no IPv6 on this host");
	if (fd >= 0)
		close(fd);
	return 0;
}

/* A dial-peer's IP session target the SIP socket cannot reach: IPv6 with
 * sip.bind IPv4 (0.0.0.0 too), IPv4 with a given IPv6 bind (only :: takes
 * both). Each call to it would fail with no transport. */
static int check_target_family(struct ctx *c, config_t *lc, const struct gw_config *cfg)
{
	struct sockaddr_storage b, t;
	char host[128];
	int port;

	if (netaddr_parse(cfg->sip_bind, &b))
		return 0;
	for (size_t i = 0; i < cfg->n_peers; i++) {
		const struct dial_peer *dp = &cfg->peers[i];

		if (dp->type != DP_VOIP || dp_session_target(dp, host, sizeof(host), &port) ||
		    netaddr_parse(host, &t) || t.ss_family == b.ss_family ||
		    (b.ss_family == AF_INET6 && netaddr_is_any(&b)))
			continue;
		return fail(c, config_setting_get_elem(config_lookup(lc, "dial_peers"), (unsigned)i),
			    "dial-peer %d: session_target \"%s\" is IPv%d, sip.bind \"%s\" is IPv%d "
			    "(bind = \"::\" listens on both)", dp->tag, dp->target, t.ss_family == AF_INET6 ? 6 : 4,
			    cfg->sip_bind, b.ss_family == AF_INET6 ? 6 : 4);
	}
	return 0;
}

static int check_runtime(struct ctx *c, config_t *lc, struct gw_config *cfg)
{
	const struct cfg_registrar *r = &cfg->reg;
	int rc;

	if ((rc = check_addr(c, lc, "sip.bind", cfg->sip_bind, sizeof(cfg->sip_bind))) ||
	    (rc = check_addr(c, lc, "rtp.address", cfg->rtp_ip, sizeof(cfg->rtp_ip))) ||
	    (rc = check_target_family(c, lc, cfg)) || (rc = check_sip_transport(c, lc, cfg)))
		return rc;
	if (!r->enabled)
		return 0;
	if (r->database[0]) {
		char dir[sizeof(r->database)];
		const char *slash = strrchr(r->database, '/');
		struct stat st;

		if (!slash)
			snprintf(dir, sizeof(dir), ".");
		else if (slash == r->database)
			snprintf(dir, sizeof(dir), "/");
		else
			snprintf(dir, sizeof(dir), "%.*s", (int)(slash - r->database), r->database);
		if (stat(dir, &st) || !S_ISDIR(st.st_mode) || access(dir, W_OK | X_OK))
			return fail(c, config_lookup(lc, "registrar.database"),
				    "registrar database \"%s\": folder %s %s", r->database, dir,
				    stat(dir, &st) ? strerror(errno) : !S_ISDIR(st.st_mode) ? "is not a folder"
												: "is not writable");
		if (stat(r->database, &st) == 0 && !S_ISREG(st.st_mode))
			return fail(c, config_lookup(lc, "registrar.database"),
				    "registrar database \"%s\" is not a file", r->database);
	}
	if (cfg->moh_file[0] && access(cfg->moh_file, R_OK))
		return fail(c, config_lookup(lc, "rtp.moh_file"), "rtp moh_file \"%s\": %s", cfg->moh_file,
			    strerror(errno));
	if (r->users_file[0] && access(r->users_file, R_OK))
		return fail(c, config_lookup(lc, "registrar.users_file"), "registrar users_file \"%s\": %s",
			    r->users_file, strerror(errno));
	return 0;
}

int config_load(struct gw_config *cfg, const char *path, char *err, size_t errlen)
{
	static const char *const top[] = { "log", "sip", "rtp", "timers", "dahdi", "spans",
					   "trunk_groups", "dial_peers", "registrar", "emergency", "causes", NULL };
	struct ctx c = { .file = path, .err = err, .errlen = errlen };
	config_t lc;
	config_setting_t *root, *s;
	int rc = 0;

	config_defaults(cfg);
	snprintf(cfg->file, sizeof(cfg->file), "%s", path);
	config_init(&lc);
	if (!config_read_file(&lc, path)) {
		if (config_error_type(&lc) == CONFIG_ERR_FILE_IO)
			snprintf(err, errlen, "%s: cannot read the file", path);
		else
			snprintf(err, errlen, "%s:%d: %s", config_error_file(&lc) ? config_error_file(&lc) : path,
				 config_error_line(&lc), config_error_text(&lc));
		config_destroy(&lc);
		return -EINVAL;
	}
	root = config_root_setting(&lc);
	for (int i = 0; (s = config_setting_get_elem(root, i)); i++) {
		int k;
		for (k = 0; top[k] && strcmp(top[k], config_setting_name(s)); k++)
			;
		if (!top[k] && !config_ops_is_group(config_setting_name(s))) {
			rc = fail(&c, s, "unknown section '%s' (known: log, sip, rtp, timers, dahdi, spans, "
				  "trunk_groups, dial_peers, registrar, emergency, causes, control, cdr, metrics, "
				  "trace)", config_setting_name(s));
			goto out;
		}
	}
	if ((s = config_lookup(&lc, "log")) && (rc = group_apply(&c, s, log_opts, cfg)))
		goto out;
	if ((s = config_lookup(&lc, "sip")) && (rc = group_apply(&c, s, sip_opts, cfg)))
		goto out;
	if ((s = config_lookup(&lc, "rtp")) && (rc = group_apply(&c, s, rtp_opts, cfg)))
		goto out;
	if (cfg->rtp_port_min >= cfg->rtp_port_max) {
		rc = fail(&c, s, "rtp port_min must be below port_max");
		goto out;
	}
	if ((s = config_lookup(&lc, "timers")) && (rc = group_apply(&c, s, timer_opts, cfg)))
		goto out;
	if (cfg->timers.session_expires_ms && cfg->timers.session_expires_ms < cfg->timers.min_se_ms) {
		rc = fail(&c, s, "timers: session-expires must be 0 (off) or at least min-se (RFC 4028 4)");
		goto out;
	}
	if ((s = config_lookup(&lc, "dahdi")) && (rc = group_apply(&c, s, dahdi_opts, cfg)))
		goto out;
	if ((s = config_lookup(&lc, "spans")) && (rc = load_spans(&c, cfg, s)))
		goto out;
	if ((s = config_lookup(&lc, "trunk_groups")) && (rc = load_tgs(&c, cfg, s)))
		goto out;
	if ((s = config_lookup(&lc, "dial_peers")) && (rc = load_peers(&c, cfg, s)))
		goto out;
	if ((s = config_lookup(&lc, "registrar")) && (rc = load_registrar(&c, cfg, s)))
		goto out;
	if ((s = config_lookup(&lc, "emergency")) && (rc = load_emergency(&c, cfg, s)))
		goto out;
	if ((s = config_lookup(&lc, "causes")) && (rc = load_causes(&c, &cfg->causes, s, "")))
		goto out;
	if ((rc = config_ops_load(&c, &lc, cfg)))
		goto out;
	rc = check_runtime(&c, &lc, cfg);
out:
	config_destroy(&lc);
	if (rc)
		config_free(cfg);
	return rc;
}

void config_free(struct gw_config *cfg)
{
	free(cfg->peers);
	cfg->peers = NULL;
	cfg->n_peers = 0;
}
