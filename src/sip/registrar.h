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
/** A reload: the users (users, users_file), realm and nonce_ttl of cfg from
 * now on; bindings, the database and the guessing guard stay. 0, or -errno
 * (logged) with the registrar as it was. */
int registrar_reload(struct registrar *r, const struct cfg_registrar *cfg);
#define REG_URI_LEN 256
/** Every live contact of user, newest first, at most max; returns how many. */
int registrar_contacts(struct registrar *r, const char *user, char uris[][REG_URI_LEN], int max);

/* One live binding, for sipgwctl's show registrations. */
struct reg_info {
	const char *aor;		/* the user part of the address of record */
	const char *contact;		/* its Contact URI */
	const char *source;		/* the address its REGISTER came from ("" = loaded at the start) */
	const char *user_agent;		/* its User-Agent ("" = none, or loaded at the start) */
	long long expires_in_s;		/* seconds left */
};
typedef void (registrar_each_h)(void *arg, const struct reg_info *ri);
/** Every binding live at now (wall clock, s; 0: now), by AOR then contact;
 * returns how many. r may be NULL (none). */
unsigned registrar_foreach(struct registrar *r, long long now, registrar_each_h *h, void *arg);
/* What the registrar has seen, for metrics (read at scrape time). */
struct registrar_counts {
	unsigned bindings;		/* contacts registered and not expired */
	unsigned long digest_failures;	/* failed digest answers (wrong password, unknown user, ...) */
	unsigned blocked_sources;	/* sources refused now for guessing (auth_guard.h) */
};
void registrar_counts(const struct registrar *r, struct registrar_counts *out);

#endif
