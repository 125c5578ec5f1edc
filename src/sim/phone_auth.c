/* sipgw - phone simulator: digest credentials for a challenged request.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "sim/phone.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sofia-sip/msg_header.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/su_tag.h>

/* RFC 3261 22.2/22.3: a registrar or UAS challenges with 401 and
 * WWW-Authenticate, a proxy with 407 and Proxy-Authenticate. */
static const msg_auth_t *challenge_of(int status, const sip_t *sip)
{
	if (!sip)
		return NULL;
	if (status == 401)
		return sip->sip_www_authenticate;
	if (status == 407)
		return sip->sip_proxy_authenticate;
	return NULL;
}

int pauth_answer(struct phone *ph, nua_handle_t *nh, int status, const sip_t *sip)
{
	const struct phone_opts *o = &ph->o;
	const msg_auth_t *au = challenge_of(status, sip);
	const char *realm = au ? msg_params_find(au->au_params, "realm=") : NULL;
	char cred[512];
	int rlen;

	if (!o->auth_user || !realm)
		return -EACCES;
	if (realm[0] == '"')
		realm++;
	rlen = (int)strcspn(realm, "\"");
	phone_out(ph, "EVENT", "auth challenge %d realm=%.*s", status, rlen, realm);
	/* auth_client's credential string: scheme:"realm":user:password */
	snprintf(cred, sizeof(cred), "%s:\"%.*s\":%s:%s", au->au_scheme ? au->au_scheme : "Digest",
		 rlen, realm, o->auth_user, o->auth_pass);
	nua_authenticate(nh, NUTAG_AUTH(cred), TAG_END());
	return 0;
}
