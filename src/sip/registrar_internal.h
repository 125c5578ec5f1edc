/* sipgw - what registrar.c and registrar_info.c share: the bindings and
 * the registrar's struct. Nothing outside src/sip/ includes it.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_SIP_REGISTRAR_INTERNAL_H
#define SIPGW_SIP_REGISTRAR_INTERNAL_H

#include <sqlite3.h>
#include <sofia-sip/auth_module.h>
#include <sofia-sip/sip.h>

struct loop_timer;
struct su_root_s;
struct auth_guard;
struct cfg_registrar;

struct binding {
	char aor[64];			/* the user part of the address of record */
	char contact[256];		/* Contact URI */
	char call_id[128];
	unsigned cseq;
	long long expires_at;		/* wall clock, seconds: survives restarts */
	long long updated;
	/* for show registrations only (registrar_info.c), not in the database:
	 * "" for a binding loaded at the start */
	char source[64];		/* the address the REGISTER came from */
	char user_agent[64];		/* its User-Agent */
};

struct nonce_use {
	char nonce[48];
	unsigned long nc;
	long long until;
};

struct registrar {
	const struct cfg_registrar *cfg;	/* own: the registrar's copy (a reload frees the config) */
	struct cfg_registrar *own;
	struct su_root_s *root;
	auth_mod_t *am;
	sqlite3 *db;
	sqlite3_stmt *st_put, *st_del;
	struct binding *b;
	size_t n, cap;
	struct loop_timer *purge;
	struct nonce_use *nonces;
	struct auth_guard *guard;
	struct loop_timer *guard_sweep;
};

/** A binding was made or refreshed by a REGISTER from source: what show
 * registrations says of it besides the database's fields. */
void registrar_info_note(struct binding *b, const char *source, sip_t const *sip);

#endif
