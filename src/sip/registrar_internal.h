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
struct reg_db;

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
	struct reg_db *db;		/* registrar_db.c; NULL: bindings in memory only */
	struct binding *b;
	size_t n, cap;
	struct loop_timer *purge;
	struct nonce_use *nonces;
	struct auth_guard *guard;
	struct loop_timer *guard_sweep;
};

/* ---- registrar_db.c: the bindings on disk, written off the loop */
/** Open (or create) the database, load its live bindings into r, start the
 * writer. Nothing to do without a database in the config. 0 or -errno. */
int reg_db_open(struct registrar *r);
/** Queue b's new state, or its removal; never waits on the disk. */
void reg_db_put(struct registrar *r, const struct binding *b);
void reg_db_del(struct registrar *r, const struct binding *b);
/** The writer's last transaction failed: changes are not reaching the disk. */
int reg_db_failing(struct registrar *r);
/** Wait until what is queued is committed (tests). 0 or -EAGAIN. */
int reg_db_flush(struct registrar *r, unsigned timeout_ms);
/** Drain the queue, stop the writer, close. */
void reg_db_close(struct registrar *r);
/** One more binding in memory (zeroed), or NULL. */
struct binding *registrar_binding_add(struct registrar *r);

/** A binding was made or refreshed by a REGISTER from source: what show
 * registrations says of it besides the database's fields. */
void registrar_info_note(struct binding *b, const char *source, sip_t const *sip);

#endif
