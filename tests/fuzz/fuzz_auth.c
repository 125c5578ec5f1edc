/* sipgw - fuzz target: digest credentials at the registrar (src/sip/registrar.c).
 *
 * The input is a control byte and the value of an Authorization header
 * (REGISTER, RFC 2617 / RFC 3261 22.4) or, with bit 0 set, of a
 * Proxy-Authorization header (INVITE, figure B-19). It goes into a request
 * that Sofia's SIP parser reads, as nua would hand it over, and
 * registrar_check() judges it. Bit 1 adds an SDP body (qop=auth-int hashes it).
 * The value may carry CRLF and more header lines: the caller-identity
 * parsing of sip_incoming.c (Privacy, P-Asserted-Identity, Diversion,
 * History-Info) reads the same message.
 *
 * Random bytes never carry a nonce or a response the registrar would
 * accept, so two markers in the value stand for them: "$NONCE" becomes a
 * nonce the registrar's own auth module just issued, "$RESPONSE" the right
 * digest for the credentials as written, with the configured password. That
 * lets inputs reach the success path and the replay check: a request that
 * passed once must get a challenge with stale=true the second time.
 *
 * The registrar's auth_mod_t is private to registrar.c; the link wraps
 * auth_mod_create (-Wl,--wrap) to keep a pointer to it.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/auth_digest.h>
#include <sofia-sip/auth_module.h>
#include <sofia-sip/auth_plugin.h>
#include <sofia-sip/msg.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/su_tagarg.h>
#include <sofia-sip/su_wait.h>

#include "core/config.h"
#include "core/log.h"
#include "sip/registrar.h"
#include "sip/sip_internal.h"

#define FUZZ_MAX_VALUE 2048

static su_root_t *root;
static struct cfg_registrar rcfg;
static struct registrar *reg;
static auth_mod_t *reg_am;	/* the registrar's, caught at creation */

auth_mod_t *__real_auth_mod_create(su_root_t *r, tag_type_t tag, tag_value_t value, ...);
auth_mod_t *__wrap_auth_mod_create(su_root_t *r, tag_type_t tag, tag_value_t value, ...)
{
	ta_list ta;
	auth_mod_t *am;

	ta_start(ta, tag, value);
	am = __real_auth_mod_create(r, ta_tags(ta));
	ta_end(ta);
	reg_am = am;
	return am;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_set_level(getenv("FUZZ_LOG") ? LOG_LVL_DEBUG : LOG_LVL_ERROR);
	su_init();
	root = su_root_create(NULL);
	config_registrar_defaults(&rcfg);
	rcfg.enabled = 1;
	snprintf(rcfg.users[0].user, sizeof(rcfg.users[0].user), "2001");
	snprintf(rcfg.users[0].password, sizeof(rcfg.users[0].password), "secret2001");
	snprintf(rcfg.users[1].user, sizeof(rcfg.users[1].user), "alice");
	snprintf(rcfg.users[1].password, sizeof(rcfg.users[1].password), "wonderland");
	rcfg.n_users = 2;
	if (!root || registrar_alloc(&reg, root, &rcfg) || !reg_am) {
		fprintf(stderr, "fuzz_auth: cannot set up the registrar\n");
		exit(1);
	}
	return 0;
}

/* s with every "$NAME" replaced by with, in a new string. */
static char *subst(const char *s, const char *name, const char *with)
{
	size_t nl = strlen(name), wl = strlen(with), n = 0;
	char *out, *o;

	for (const char *p = s; (p = strstr(p, name)); p += nl)
		n++;
	out = malloc(strlen(s) + n * wl + 1);
	if (!out)
		abort();
	for (o = out; *s;) {
		if (!strncmp(s, name, nl)) {
			memcpy(o, with, wl);
			o += wl;
			s += nl;
		} else {
			*o++ = *s++;
		}
	}
	*o = 0;
	return out;
}

static const char sdp_body[] = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
			       "t=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";

static msg_t *make_request(int proxy, int body, const char *value)
{
	char *text;
	msg_t *msg;
	int n;

	n = asprintf(&text,
		     "%s %s SIP/2.0\r\n"
		     "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK-fuzz\r\n"
		     "Max-Forwards: 70\r\n"
		     "From: <sip:2001@127.0.0.1>;tag=fuzz\r\n"
		     "To: <sip:%s@127.0.0.1>\r\n"
		     "Call-ID: fuzz@127.0.0.1\r\n"
		     "CSeq: 1 %s\r\n"
		     "Contact: <sip:2001@127.0.0.1:5062>\r\n"
		     "%s: %s\r\n"
		     "%s"
		     "Content-Length: %zu\r\n\r\n%s",
		     /* the digest uri must be the Request-URI: a registrar's URI has no user (RFC 3261 10.2) */
		     proxy ? "INVITE" : "REGISTER", proxy ? "sip:5551234@127.0.0.1:5070" : "sip:127.0.0.1:5070",
		     proxy ? "5551234" : "2001",
		     proxy ? "INVITE" : "REGISTER", proxy ? "Proxy-Authorization" : "Authorization", value,
		     body ? "Content-Type: application/sdp\r\n" : "", body ? strlen(sdp_body) : (size_t)0,
		     body ? sdp_body : "");
	if (n < 0)
		abort();
	msg = msg_make(sip_default_mclass(), 0, text, n);
	free(text);
	return msg;
}

static msg_auth_t *creds(sip_t const *sip, int proxy)
{
	return proxy ? sip->sip_proxy_authorization : sip->sip_authorization;
}

/* The digest the credentials in msg would need with the user's password
 * (as a client computes it, RFC 2617 3.2.2), or "" when the user is unknown. */
static void right_response(msg_t *msg, int proxy, auth_hexmd5_t out)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	sip_t const *sip = sip_object(msg);
	auth_response_t ar[1] = { { sizeof(ar[0]) } };
	auth_passwd_t *apw;
	auth_hexmd5_t ha1;
	msg_auth_t *au;

	out[0] = 0;
	if (!sip || !sip->sip_request || !(au = creds(sip, proxy)) || !au->au_params ||
	    auth_digest_response_get(home, ar, au->au_params) < 0 || !ar->ar_username)
		goto out;
	apw = auth_mod_getpass(reg_am, ar->ar_username, rcfg.realm);
	if (!apw || !apw->apw_pass || auth_digest_sessionkey(ar, ha1, apw->apw_pass) ||
	    auth_digest_response(ar, out, ha1, sip->sip_request->rq_method_name,
				 sip->sip_payload ? sip->sip_payload->pl_data : NULL,
				 sip->sip_payload ? sip->sip_payload->pl_len : 0))
		out[0] = 0;
out:
	su_home_deinit(home);
}

/* Sofia's parser and auth module are not built for coverage: branch here on
 * what they made of the input, so the fuzzer can tell the outcomes apart. */
static volatile unsigned sink;

static void feedback(sip_t const *sip, int proxy, int status, int stale)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	auth_response_t ar[1] = { { sizeof(ar[0]) } };
	msg_auth_t *au = creds(sip, proxy);

	switch (status) {
	case 0: sink += 1; break;
	case 400: sink += 2; break;
	case 401: sink += 3; break;
	case 403: sink += 4; break;
	case 407: sink += 5; break;
	default: sink += 6; break;
	}
	if (stale)
		sink += 7;
	if (sip->sip_error)
		sink += 8;
	if (!au)
		goto out;
	if (au->au_next)
		sink += 9;
	if (au->au_scheme && !strcasecmp(au->au_scheme, "Digest"))
		sink += 10;
	/* (Sofia asserts params != NULL) */
	if (!au->au_params || auth_digest_response_get(home, ar, au->au_params) < 0)
		goto out;
	if (ar->ar_username) sink += 11;
	if (ar->ar_realm) sink += 12;
	if (ar->ar_nonce) sink += 13;
	if (ar->ar_uri) sink += 14;
	if (ar->ar_response) sink += 15;
	if (ar->ar_cnonce) sink += 16;
	if (ar->ar_opaque) sink += 17;
	if (ar->ar_nc) sink += 18;
	if (ar->ar_md5) sink += 19;
	if (ar->ar_md5sess) sink += 20;
	if (ar->ar_sha1) sink += 21;
	if (ar->ar_auth) sink += 22;
	if (ar->ar_auth_int) sink += 23;
	if (ar->ar_algorithm && !ar->ar_md5 && !ar->ar_md5sess) sink += 24;
out:
	su_home_deinit(home);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned runs;
	char value[FUZZ_MAX_VALUE + 1], nonce[64], user[64], source[32], *v1, *v2;
	auth_hexmd5_t resp;
	int proxy, body, status, stale, again, stale2;
	msg_t *msg;
	sip_t const *sip;

	if (size < 1 || size > FUZZ_MAX_VALUE)
		return 0;
	proxy = data[0] & 1;
	body = !!(data[0] & 2);
	memcpy(value, data + 1, size - 1);
	value[size - 1] = 0;

	auth_generate_digest_nonce(reg_am, nonce, sizeof(nonce), 0, msg_now());
	v1 = subst(value, "$NONCE", nonce);
	v2 = NULL;
	if (strstr(v1, "$RESPONSE")) {
		/* parse once to read the credentials as written, then fill the digest in */
		msg = make_request(proxy, body, v1);
		right_response(msg, proxy, resp);
		msg_destroy(msg);
		v2 = subst(v1, "$RESPONSE", resp);
	}
	msg = make_request(proxy, body, v2 ? v2 : v1);
	free(v1);
	free(v2);
	sip = sip_object(msg);
	if (!sip || !sip->sip_request || !sip->sip_request->rq_method_name) {
		msg_destroy(msg);
		return 0;	/* not a request nua would deliver */
	}

	/* A new source address each run: the guessing guard (auth_guard.c) would
	 * otherwise block the fuzzer's one address after ten failures. */
	snprintf(source, sizeof(source), "198.51.%u.%u", (runs >> 8) & 255, runs & 255);
	runs++;
	if (registrar_check(reg, sip, proxy, source, user, sizeof(user), &status, &stale) != (status ? (status == 500 ? -ENOMEM : -EACCES) : 0))
		abort();	/* -errno and the status agree */
	if (getenv("FUZZ_VERBOSE"))
		fprintf(stderr, "fuzz_auth: %s %s: %d%s user \"%s\"\n", proxy ? "INVITE" : "REGISTER",
			creds(sip, proxy) ? "with credentials" : "without credentials", status,
			stale ? " stale" : "", user);
	feedback(sip, proxy, status, stale);
	/* The same message's caller identity (sip_incoming.c): Privacy,
	 * P-Asserted-Identity, Diversion, History-Info and the called number
	 * are outside input too; a header value may carry CRLF and more. */
	{
		struct leg_setup_info si = { 0 };
		char called[LEG_NUM];
		int cause = 0;

		sip_in_identity(sip, &si);
		if (strnlen(si.asserted, sizeof(si.asserted)) >= sizeof(si.asserted) ||
		    strnlen(si.redirecting, sizeof(si.redirecting)) >= sizeof(si.redirecting) ||
		    (!si.redirecting[0] && si.redirect_reason != LEG_REDIR_NONE) ||
		    si.redirect_reason >= LEG_REDIR__COUNT)
			abort();
		if (sip_in_called_number(sip->sip_request->rq_url->url_user, called, sizeof(called), &cause) == 0 &&
		    (cause || !called[0]))
			abort();
	}
	if (strnlen(user, sizeof(user)) >= sizeof(user))
		abort();
	if (status == 0) {
		/* passed: a configured user, and the very same request again is a replay */
		if (strcmp(user, "2001") && strcmp(user, "alice"))
			abort();
		registrar_check(reg, sip, proxy, source, user, sizeof(user), &again, &stale2);
		if (again != (proxy ? 407 : 401) || !stale2 || user[0])
			abort();
	} else if (user[0] || (stale && status != (proxy ? 407 : 401))) {
		abort();
	} else if (!creds(sip, proxy) && status != (proxy ? 407 : 401)) {
		abort();	/* no credentials: always a challenge */
	}
	msg_destroy(msg);
	return 0;
}
