/* sipgw - the registrar's users (registrar_users.c), for registrar.c.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_SIP_REGISTRAR_USERS_H
#define SIPGW_SIP_REGISTRAR_USERS_H

#include <sofia-sip/auth_module.h>

struct cfg_registrar;
struct su_root_s;

/** A copy of cfg of the registrar's own (*ownp, malloc'd) and a digest
 * authenticator on it (*amp: realm, nonce TTL, users, users_file; its
 * passwords point into the copy, so free the copy after auth_mod_unref).
 * 0, or -errno logged. */
int registrar_users(const struct cfg_registrar *cfg, struct su_root_s *root, struct cfg_registrar **ownp,
		    auth_mod_t **amp);

#endif
