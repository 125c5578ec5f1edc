/* sipgw - what config.c and config_spans.c share: the opt tables (a key
 * declared once, its errors the same for every key) and the error context.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_CORE_CONFIG_INTERNAL_H
#define SIPGW_CORE_CONFIG_INTERNAL_H

#include <stddef.h>

#include <libconfig.h>

#include "core/config.h"

struct enum_row { const char *name; int value; };
/* Cisco dtmf-relay names (enum dtmf_relay), for the global and dial-peer keys. */
extern const struct enum_row dtmf_relay_enum[];

enum opt_kind { OPT_STR, OPT_INT, OPT_BOOL, OPT_ENUM, OPT_SECONDS_MS, OPT_PREFIX_LIST, OPT_FWD_DIGITS,
		OPT_ENUM_LIST /* a name or a list of names from enums, into a struct cfg_enum_list */,
		OPT_CODEC_LIST };

struct opt {
	const char *name;
	enum opt_kind kind;
	size_t off, size;		/* where in the target struct */
	long min, max;			/* OPT_INT bounds; OPT_SECONDS_MS bounds in ms */
	const struct enum_row *enums;	/* OPT_ENUM values; first row is the default */
	int required;
};

#define O_STR(st, f, req) { #f, OPT_STR, offsetof(st, f), sizeof(((st *)0)->f), 0, 0, NULL, req }

struct ctx {
	const char *file;
	char *err;
	size_t errlen;
};

/** "FILE:LINE: what" into c->err (LINE of s, 0 without one); -EINVAL. */
int fail(struct ctx *c, const config_setting_t *s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/** The value of name (any case) in rows (a NULL name ends them); 0 or -ENOENT. */
int enum_lookup(const struct enum_row *rows, const char *name, int *vp);
/** Every setting of group g by table into base; unknown keys refused; 0 or fail()'s. */
int group_apply(struct ctx *c, const config_setting_t *g, const struct opt *table, void *base);

/* config_sip.c: the sip, rtp and dial-peer tables */
extern const struct opt sip_opts[], rtp_opts[], dp_opts[];
/** A dial-peer's SIP keys checked together (file:line on error); 0 or fail()'s. */
int load_peer_sip(struct ctx *c, const config_setting_t *g, struct dial_peer *dp);
/** The sip group's transport keys together and against the dial-peers (file:line); 0 or fail()'s. */
int check_sip_transport(struct ctx *c, config_t *lc, const struct gw_config *cfg);
/* config_tls.c */
/** sip.tls_cert, tls_key (the cert's), tls_ca (if set): readable PEM; 0 or fail()'s. */
int config_check_tls_files(struct ctx *c, config_t *lc, const struct gw_config *cfg);

/* config_ops.c: control, cdr, metrics, trace */
void config_ops_defaults(struct cfg_ops *o);
/** A top-level section config_ops.c takes. */
int config_ops_is_group(const char *name);
/** Those sections by their tables, and their checks (file:line); 0 or fail()'s. */
int config_ops_load(struct ctx *c, config_t *lc, struct gw_config *cfg);

/* config_spans.c */
/** The 'spans' list, each against DAHDI's system.conf when it is a dahdi span. */
int load_spans(struct ctx *c, struct gw_config *cfg, const config_setting_t *list);
/** The 'trunk_groups' list, over spans already loaded. */
int load_tgs(struct ctx *c, struct gw_config *cfg, const config_setting_t *list);

#endif
