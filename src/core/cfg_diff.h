/* sipgw - what a reload cannot change on a running gateway: the keys whose
 * new value would need a socket bound again, a span opened again or libpri
 * started again (sip bind/port, TLS, the RTP port range, a span's type,
 * path, switchtype, framing...). Pure: two configs in, key names out; the
 * reload keeps the old value of each and says "needs a restart".
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_CORE_CFG_DIFF_H
#define SIPGW_CORE_CFG_DIFF_H

#include "core/config.h"

#define CFG_RESTART_MAX 32
#define CFG_RESTART_KEY 64

/* The keys found, in config order ("sip.port", "spans.T1.framing"). */
struct cfg_restart {
	char key[CFG_RESTART_MAX][CFG_RESTART_KEY];
	int n;
	int more;		/* keys past CFG_RESTART_MAX, counted only */
};

/** Every key outside the spans whose change from o to n needs a restart,
 * appended to out. */
void cfg_diff_restart(const struct gw_config *o, const struct gw_config *n, struct cfg_restart *out);
/** The same for a span that stays: o what it runs with, n its new entry. */
void cfg_diff_span_restart(const struct cfg_span *o, const struct cfg_span *n, struct cfg_restart *out);
/** Put o's values of cfg_diff_restart's keys back into n: what the
 * gateway runs with stays what its config says. A registrar added or
 * removed keeps the whole registrar section as it was. */
void cfg_diff_keep(const struct gw_config *o, struct gw_config *n);
/** The same for cfg_diff_span_restart's keys of a span. */
void cfg_diff_span_keep(const struct cfg_span *o, struct cfg_span *n);

#endif
