/* sipgw - registrar for the phones the gateway serves as backup proxy
 * (figures B-20, B-21): digest authentication on Sofia-SIP's auth module,
 * bindings kept in SQLite so they survive a restart. The bridge sees only
 * this interface. SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_SIP_REGISTRAR_H
#define SIPGW_SIP_REGISTRAR_H

#include <stddef.h>

struct su_root_s;
struct cfg_registrar;
struct registrar;

/** Open the database (if configured), load live bindings, set up digest
 * authentication. 0, or -errno with a log line saying why. */
int registrar_alloc(struct registrar **rp, struct su_root_s *root, const struct cfg_registrar *cfg);
void registrar_free(struct registrar *r);
#define REG_URI_LEN 256
/** Every live contact of user, newest first, at most max; returns how many. */
int registrar_contacts(struct registrar *r, const char *user, char uris[][REG_URI_LEN], int max);

/* What the registrar has seen, for metrics (read at scrape time). */
struct registrar_counts {
	unsigned bindings;		/* contacts registered and not expired */
	unsigned long digest_failures;	/* failed digest answers (wrong password, unknown user, ...) */
	unsigned blocked_sources;	/* sources refused now for guessing (auth_guard.h) */
};
void registrar_counts(const struct registrar *r, struct registrar_counts *out);

#endif
