/* sipgw - the registrar's users and their digest authenticator (Sofia-SIP
 * auth module), made at start and again at each reload.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "sip/registrar_users.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sofia-sip/auth_module.h>
#include <sofia-sip/auth_plugin.h>

#include "core/config.h"
#include "core/log.h"

/* The users and their digest authenticator, from a copy of cfg of our own
 * (the authenticator points into it). 0, or -errno logged. */
int registrar_users(const struct cfg_registrar *cfg, struct su_root_s *root, struct cfg_registrar **ownp,
			   auth_mod_t **amp)
{
	struct cfg_registrar *own = malloc(sizeof(*own));
	auth_mod_t *am;
	int rc;

	if (!own)
		return -ENOMEM;
	*own = *cfg;
	if (own->users_file[0] && access(own->users_file, R_OK)) {
		rc = -errno;
		LOGE(LSS_SIP, "registrar users_file %s: %s", own->users_file, strerror(-rc));
		free(own);
		return rc;
	}
	am = auth_mod_create(root, AUTHTAG_METHOD("Digest"), AUTHTAG_REALM(own->realm),
			     AUTHTAG_QOP("auth"), AUTHTAG_EXPIRES(own->nonce_ttl),
			     AUTHTAG_FORBIDDEN(1),	/* wrong password: 403, not another challenge */
			     TAG_IF(own->users_file[0], AUTHTAG_DB(own->users_file)), TAG_END());
	if (!am) {
		LOGE(LSS_SIP, "registrar: cannot create the digest authenticator");
		free(own);
		return -EINVAL;
	}
	for (int i = 0; i < own->n_users; i++) {
		auth_passwd_t *apw = auth_mod_addpass(am, own->users[i].user, own->realm);

		if (!apw) {
			auth_mod_unref(am);
			free(own);
			return -ENOMEM;
		}
		apw->apw_pass = own->users[i].password;	/* own outlives am */
	}
	*ownp = own;
	*amp = am;
	return 0;
}

