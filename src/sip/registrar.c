/* sipgw - registrar (RFC 3261 10.3) with digest authentication (RFC 2617
 * through Sofia-SIP's auth module) and bindings in SQLite.
 *
 * Sofia's digest nonces are stateless (an HMAC over the issue time), so a
 * captured Authorization header would be good again until the nonce ages
 * out. We remember the highest nonce-count seen per nonce and take a
 * repeat as a replay: the client gets a fresh challenge with stale=true.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "sip/sip_internal.h"
#include "sip/registrar.h"
#include "sip/registrar_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sofia-sip/auth_module.h>
#include <sofia-sip/auth_plugin.h>
#include <sofia-sip/msg_header.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>

#include "core/config.h"
#include "core/log.h"
#include "core/loop.h"
#include "sip/auth_guard.h"
#include "sip/registrar_users.h"
#include "sip/sip_uri.h"

#define REG_PURGE_MS 5000		/* expired bindings leave memory and database */
#define REG_GUARD_SWEEP_MS 1000		/* guessing blocks end this close to their time */
#define REG_STORE_RETRY_AFTER "30"	/* seconds, after a database failure */
#define NONCE_SLOTS 16384		/* remembered nonces (replay check) */
#define NONCE_PROBE 32

static const auth_challenger_t reg_challenger = {
	401, "Unauthorized", sip_www_authenticate_class, sip_authentication_info_class
};
static const auth_challenger_t proxy_challenger = {
	407, "Proxy Authentication Required", sip_proxy_authenticate_class,
	sip_proxy_authentication_info_class
};

static long long wall_now(void)
{
	return (long long)time(NULL);
}

struct binding *registrar_binding_add(struct registrar *r)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct binding *nb = realloc(r->b, cap * sizeof(*nb));
		if (!nb)
			return NULL;
		r->b = nb;
		r->cap = cap;
	}
	memset(&r->b[r->n], 0, sizeof(r->b[0]));
	return &r->b[r->n++];
}

/* Forget binding i in memory only (the database already has). */
static void binding_forget(struct registrar *r, size_t i)
{
	r->b[i] = r->b[--r->n];
}

/* Forget binding i, in the database and in memory. A failed delete is
 * logged; the binding is expired or evicted anyway and never loaded again
 * after its expiry. */
static void binding_remove(struct registrar *r, size_t i)
{
	reg_db_del(r, &r->b[i]);
	binding_forget(r, i);
}

static void purge_expired(void *arg)
{
	struct registrar *r = arg;
	long long now = wall_now();

	for (size_t i = 0; i < r->n;) {
		if (r->b[i].expires_at <= now) {
			LOGI(LSS_SIP, "registrar: %s at %s expired", r->b[i].aor, r->b[i].contact);
			binding_remove(r, i);
		} else {
			i++;
		}
	}
	loop_timer_start(r->purge, REG_PURGE_MS);
}

/* ---- authentication ---- */

/* The value of name= in a credentials header, unquoted, or "". */
static void auth_param(msg_auth_t const *au, const char *name, char *out, size_t len)
{
	const char *v = au ? msg_params_find(au->au_params, name) : NULL;
	size_t n;

	out[0] = 0;
	if (!v)
		return;
	if (*v == '"')
		v++;
	n = strcspn(v, "\"");
	snprintf(out, len, "%.*s", (int)(n < len ? n : len - 1), v);
}

/* A successful check's nonce and nonce-count: 1 when seen before with a
 * count as high (a replay), else remembered. */
static int nonce_replayed(struct registrar *r, msg_auth_t const *au)
{
	char nonce[48], nc_s[16];
	unsigned long nc;
	unsigned h = 5381;
	long long now = wall_now();
	struct nonce_use *victim = NULL;

	auth_param(au, "nonce=", nonce, sizeof(nonce));
	auth_param(au, "nc=", nc_s, sizeof(nc_s));
	nc = strtoul(nc_s, NULL, 16);	/* RFC 2617 3.2.2: nc is 8 hex digits */
	for (const char *p = nonce; *p; p++)
		h = h * 33 + (unsigned char)*p;
	for (int k = 0; k < NONCE_PROBE; k++) {
		struct nonce_use *u = &r->nonces[(h + k) % NONCE_SLOTS];
		if (u->until > now && !strcmp(u->nonce, nonce)) {
			if (nc <= u->nc)
				return 1;
			u->nc = nc;
			return 0;
		}
		if (!victim || u->until < victim->until)
			victim = u;
	}
	snprintf(victim->nonce, sizeof(victim->nonce), "%s", nonce);
	victim->nc = nc;
	victim->until = now + r->cfg->nonce_ttl + 1;
	return 0;
}

/* RFC 2617 3.2.2.5 / RFC 7616 3.4.6: the answer must be for this request's
 * URI, or credentials captured for one number would place calls to any
 * other. Sofia's auth module hashes whatever uri the client names and does
 * not compare it with the Request-URI. */
static int digest_uri_ok(sip_t const *sip, msg_auth_t const *au, const char *source, const char *uname)
{
	char duri[512], ruri[512];

	auth_param(au, "uri=", duri, sizeof(duri));
	url_e(ruri, sizeof(ruri), sip->sip_request->rq_url);
	if (sip_uri_equal(duri, ruri) == 1)
		return 1;
	LOGW(LSS_SIP, "%s from %s: digest answer of user %s is for uri \"%s\", not the Request-URI %s: 403",
	     sip->sip_request->rq_method_name, source, uname, duri, ruri);
	return 0;
}

/* The digest verdict as a SIP status: 0 verified, else what to answer. */
static int registrar_verdict(struct registrar *r, sip_t const *sip, int proxy, const char *source,
			     char *user, size_t ulen, int *stale)
{
	auth_status_t *as;
	msg_auth_t *cred = proxy ? sip->sip_proxy_authorization : sip->sip_authorization;
	char uname[64] = "", alg[32] = "";
	int status, known;

	*stale = 0;
	user[0] = 0;
	auth_param(cred, "username=", uname, sizeof(uname));
	if (auth_guard_blocked(r->guard, source, uname, mono_ms())) {
		LOGD(LSS_SIP, "%s from %s (user %s): refused without a digest check (guessing)",
		     sip->sip_request->rq_method_name, source, uname[0] ? uname : "-");
		return 403;
	}
	if (!cred)
		return proxy ? 407 : 401;
	known = uname[0] && auth_mod_getpass(r->am, uname, r->cfg->realm);
	/* We offer MD5 only (RFC 2617 3.2.1: absent means MD5). */
	auth_param(cred, "algorithm=", alg, sizeof(alg));
	if (alg[0] && strcasecmp(alg, "MD5")) {
		LOGW(LSS_SIP, "%s from %s: digest answer of user %s uses algorithm %s, not MD5: 403",
		     sip->sip_request->rq_method_name, source, uname, alg);
		auth_guard_failed(r->guard, source, known ? uname : "", mono_ms());
		return 403;
	}
	as = auth_status_new(NULL);
	if (!as)
		return 500;
	as->as_method = sip->sip_request->rq_method_name;
	as->as_realm = r->cfg->realm;
	if (sip->sip_payload) {
		as->as_body = sip->sip_payload->pl_data;
		as->as_bodylen = sip->sip_payload->pl_len;
	}
	auth_mod_verify(r->am, as, cred, proxy ? &proxy_challenger : &reg_challenger);
	status = as->as_status;
	if (status == 0 && !digest_uri_ok(sip, (msg_auth_t const *)as->as_match, source, uname)) {
		status = 403;
	} else if (status == 0 && nonce_replayed(r, (msg_auth_t const *)as->as_match)) {
		status = proxy ? 407 : 401;
		*stale = 1;
	} else if (status == 0) {
		snprintf(user, ulen, "%s", as->as_user);
	} else if (status == 401 || status == 407) {
		*stale = as->as_stale;
	}
	su_home_unref(as->as_home);
	if (status == 403 || status == 400)
		auth_guard_failed(r->guard, source, known ? uname : "", mono_ms());
	return status;
}

int registrar_check(struct registrar *r, sip_t const *sip, int proxy, const char *source, char *user,
		    size_t ulen, int *statusp, int *stale)
{
	int status = registrar_verdict(r, sip, proxy, source, user, ulen, stale);

	*statusp = status;
	if (!status)
		return 0;
	return status == 500 ? -ENOMEM : -EACCES;
}

/* A fresh digest challenge header (401: WWW-Authenticate, 407:
 * Proxy-Authenticate) in as->as_response; NULL as on no memory. */
static auth_status_t *registrar_challenge(struct registrar *r, int status, int stale)
{
	auth_status_t *as = auth_status_new(NULL);

	if (!as)
		return NULL;
	as->as_realm = r->cfg->realm;
	as->as_stale = stale;
	auth_mod_challenge(r->am, as, status == 407 ? &proxy_challenger : &reg_challenger);
	return as;
}

int registrar_challenge_value(struct registrar *r, int status, char *buf, size_t len)
{
	auth_status_t *as = registrar_challenge(r, status, 0);
	int rc = -ENOMEM;

	if (as && as->as_response) {
		sip_header_field_e(buf, len, (sip_header_t const *)as->as_response, 0);
		rc = 0;
	}
	if (as)
		su_home_unref(as->as_home);
	return rc;
}

void registrar_refuse(struct registrar *r, nua_t *nua, nua_handle_t *nh, int status, int stale,
		      int with_this)
{
	auth_status_t *as;

	if (status != 401 && status != 407) {
		nua_respond(nh, status, sip_status_phrase(status),
			    TAG_IF(with_this, NUTAG_WITH_THIS(nua)), TAG_END());
		return;
	}
	if (!(as = registrar_challenge(r, status, stale))) {
		nua_respond(nh, SIP_500_INTERNAL_SERVER_ERROR, TAG_IF(with_this, NUTAG_WITH_THIS(nua)), TAG_END());
		return;
	}
	nua_respond(nh, status, sip_status_phrase(status),
		    TAG_IF(as->as_response, SIPTAG_HEADER((sip_header_t *)as->as_response)),
		    TAG_IF(with_this, NUTAG_WITH_THIS(nua)), TAG_END());
	su_home_unref(as->as_home);
}

/* ---- REGISTER (RFC 3261 10.3) ---- */

static int contact_expires(const struct registrar *r, sip_t const *sip, sip_contact_t const *m)
{
	if (m->m_expires)
		return (int)strtoul(m->m_expires, NULL, 10);
	if (sip->sip_expires)
		return (int)sip->sip_expires->ex_delta;
	return r->cfg->default_expires;
}

static struct binding *binding_find(struct registrar *r, const char *aor, const char *contact)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->b[i].aor, aor) && !strcmp(r->b[i].contact, contact))
			return &r->b[i];
	return NULL;
}

static unsigned aor_count(struct registrar *r, const char *aor, long long now)
{
	unsigned n = 0;

	for (size_t i = 0; i < r->n; i++)
		n += !strcmp(r->b[i].aor, aor) && r->b[i].expires_at > now;
	return n;
}

/* Room for one more binding of aor: the least recently refreshed goes. */
static void aor_make_room(struct registrar *r, const char *aor, long long now)
{
	while (aor_count(r, aor, now) >= (unsigned)r->cfg->max_contacts) {
		size_t oldest = r->n;
		for (size_t i = 0; i < r->n; i++)
			if (!strcmp(r->b[i].aor, aor) && (oldest == r->n || r->b[i].updated < r->b[oldest].updated))
				oldest = i;
		LOGN(LSS_SIP, "registrar: %s has %d contacts; dropping %s", aor, r->cfg->max_contacts,
		     r->b[oldest].contact);
		binding_remove(r, oldest);
	}
}

unsigned registrar_bindings_value(struct registrar *r, const char *aor, long long now, char *list,
				  size_t len)
{
	size_t o = 0;
	unsigned n = 0;

	list[0] = 0;
	for (size_t i = 0; i < r->n && o + 300 < len; i++) {
		const struct binding *b = &r->b[i];
		if (strcmp(b->aor, aor) || b->expires_at <= now)
			continue;
		o += snprintf(list + o, len - o, "%s<%s>;expires=%lld", n ? ", " : "", b->contact,
			      b->expires_at - now);
		n++;
	}
	return n;
}

/* 200 OK lists every live binding of aor with its remaining time. */
static void register_ok(struct registrar *r, nua_t *nua, nua_handle_t *nh, const char *aor)
{
	char list[2048];
	unsigned n = registrar_bindings_value(r, aor, wall_now(), list, sizeof(list));

	nua_respond(nh, SIP_200_OK, NUTAG_WITH_THIS(nua),
		    TAG_IF(n, SIPTAG_CONTACT_STR(list)), TAG_END());
}

/* What contact m of this REGISTER makes of binding b (NULL: none yet) in
 * *nb; returns the granted expiry, 0 to remove it. */
static int register_apply(const struct registrar *r, sip_t const *sip, sip_contact_t const *m,
			  const char *aor, const char *contact, const struct binding *b, struct binding *nb,
			  long long now)
{
	int e = contact_expires(r, sip, m);

	if (e <= 0)
		return 0;
	if (e > r->cfg->max_expires)
		e = r->cfg->max_expires;
	if (b) {
		*nb = *b;
	} else {
		memset(nb, 0, sizeof(*nb));
		snprintf(nb->aor, sizeof(nb->aor), "%s", aor);
		snprintf(nb->contact, sizeof(nb->contact), "%s", contact);
	}
	snprintf(nb->call_id, sizeof(nb->call_id), "%s", sip->sip_call_id->i_id);
	nb->cseq = sip->sip_cseq->cs_seq;
	nb->expires_at = now + e;
	nb->updated = now;
	return e;
}

/* RFC 3261 21.5.1 with Retry-After (20.33): the phone tries again later
 * rather than believing in a binding that is not stored. */
static void register_store_failed(nua_t *nua, nua_handle_t *nh, const char *aor, const char *source)
{
	LOGE(LSS_SIP, "REGISTER %s from %s: the registrar database refused the change: 500, "
	     "bindings unchanged", aor, source);
	nua_respond(nh, 500, "Registrar storage failure", SIPTAG_RETRY_AFTER_STR(REG_STORE_RETRY_AFTER),
		    NUTAG_WITH_THIS(nua), TAG_END());
}

int registrar_bind(struct registrar *r, sip_t const *sip, const char *aor, const char *source,
		   long long now, int *statusp, const char **phrase)
{
	char contact[256];
	sip_contact_t const *m;
	int star = 0;

	*phrase = NULL;
	*statusp = 500;
	/* Step 6: "*" removes every binding, only with Expires: 0 and alone. */
	for (m = sip->sip_contact; m; m = m->m_next) {
		url_e(contact, sizeof(contact), m->m_url);
		star |= !strcmp(contact, "*");
	}
	if (star) {
		if (sip->sip_contact->m_next || !sip->sip_expires || sip->sip_expires->ex_delta) {
			*phrase = "Contact * needs Expires: 0 and no other contact";
			*statusp = 400;
			return -EINVAL;
		}
		if (reg_db_failing(r))
			return -EIO;
		for (size_t i = 0; i < r->n;)
			if (!strcmp(r->b[i].aor, aor))
				binding_remove(r, i);
			else
				i++;
		LOGI(LSS_SIP, "REGISTER %s from %s: every binding removed", aor, source);
		*statusp = 200;
		return 0;
	}
	/* Step 7: refuse too short an interval before changing anything. */
	for (m = sip->sip_contact; m; m = m->m_next) {
		int e = contact_expires(r, sip, m);
		if (e > 0 && e < r->cfg->min_expires) {
			LOGN(LSS_SIP, "REGISTER %s from %s: expires %d below %d: 423", aor, source, e,
			     r->cfg->min_expires);
			*statusp = 423;
			return -ERANGE;
		}
	}
	/* Step 7 again: the same Call-ID must come with a higher CSeq, or the
	 * request is an old one overtaken by a newer (UDP reorders). */
	for (m = sip->sip_contact; m; m = m->m_next) {
		const struct binding *b;

		url_e(contact, sizeof(contact), m->m_url);
		b = binding_find(r, aor, contact);
		if (b && !strcmp(b->call_id, sip->sip_call_id->i_id) && sip->sip_cseq->cs_seq <= b->cseq) {
			LOGN(LSS_SIP, "REGISTER %s from %s: CSeq %u not above %u of the binding: 400", aor,
			     source, sip->sip_cseq->cs_seq, b->cseq);
			*phrase = "CSeq out of order";
			*statusp = 400;
			return -EINVAL;
		}
	}
	/* While the disk refuses (registrar_db.c), a change is refused with
	 * it rather than acknowledged and lost at the next restart; a
	 * REGISTER that changes nothing stored still gets its 200. */
	for (m = sip->sip_contact; m && reg_db_failing(r); m = m->m_next) {
		struct binding nb, *b;

		url_e(contact, sizeof(contact), m->m_url);
		b = binding_find(r, aor, contact);
		if (register_apply(r, sip, m, aor, contact, b, &nb, now) || b)
			return -EIO;
	}
	/* Memory, and the change queued for the disk: the 200 does not wait. */
	for (m = sip->sip_contact; m; m = m->m_next) {
		struct binding nb, *b;
		int e;

		url_e(contact, sizeof(contact), m->m_url);
		b = binding_find(r, aor, contact);
		e = register_apply(r, sip, m, aor, contact, b, &nb, now);
		if (e == 0) {
			if (b) {
				LOGI(LSS_SIP, "REGISTER %s from %s: %s removed", aor, source, contact);
				binding_remove(r, (size_t)(b - r->b));
			}
			continue;
		}
		if (!b) {
			aor_make_room(r, aor, now);
			if (!(b = registrar_binding_add(r)))
				return -ENOMEM;
		}
		*b = nb;
		reg_db_put(r, b);
		registrar_info_note(b, source, sip);
		LOGI(LSS_SIP, "REGISTER %s from %s: %s for %d s", aor, source, contact, e);
	}
	*statusp = 200;
	return 0;
}

void registrar_on_register(struct registrar *r, nua_t *nua, nua_handle_t *nh, sip_t const *sip,
			   const char *source)
{
	char user[64], aor[64];
	const char *phrase;
	long long now = wall_now();
	int status, stale, rc;

	if (!sip->sip_to || !sip->sip_to->a_url->url_user || !sip->sip_call_id || !sip->sip_cseq) {
		LOGW(LSS_SIP, "REGISTER from %s refused: no To user, Call-ID or CSeq", source);
		nua_respond(nh, 400, "Missing To user, Call-ID or CSeq", NUTAG_WITH_THIS(nua), TAG_END());
		return;
	}
	snprintf(aor, sizeof(aor), "%s", sip->sip_to->a_url->url_user);
	auth_readdb_if_needed(r->am);	/* users_file may have changed */
	if (!auth_mod_getpass(r->am, aor, r->cfg->realm)) {
		if (auth_guard_blocked(r->guard, source, "", mono_ms())) {
			nua_respond(nh, SIP_403_FORBIDDEN, NUTAG_WITH_THIS(nua), TAG_END());
			return;
		}
		/* RFC 3261 10.3 step 3: not an address of record of ours. Trying
		 * user names is guessing too. */
		LOGW(LSS_SIP, "REGISTER from %s for unknown user %s: 404", source, aor);
		auth_guard_failed(r->guard, source, "", mono_ms());
		nua_respond(nh, SIP_404_NOT_FOUND, NUTAG_WITH_THIS(nua), TAG_END());
		return;
	}
	if (registrar_check(r, sip, 0, source, user, sizeof(user), &status, &stale)) {
		if (status != 401 || sip->sip_authorization)
			LOGW(LSS_SIP, "REGISTER %s from %s refused: %d%s", aor, source, status,
			     stale ? " (stale or replayed nonce)" : status == 403 ? " (wrong password or user)" : "");
		registrar_refuse(r, nua, nh, status, stale, 1);
		return;
	}
	if (strcmp(user, aor)) {
		LOGW(LSS_SIP, "REGISTER %s from %s refused: authenticated as %s", aor, source, user);
		auth_guard_failed(r->guard, source, aor, mono_ms());
		nua_respond(nh, 403, "Not your address of record", NUTAG_WITH_THIS(nua), TAG_END());
		return;
	}
	switch ((rc = registrar_bind(r, sip, aor, source, now, &status, &phrase))) {
	case 0:
		register_ok(r, nua, nh, aor);
		return;
	case -ERANGE: {
		char min[16];
		snprintf(min, sizeof(min), "%d", r->cfg->min_expires);
		nua_respond(nh, SIP_423_INTERVAL_TOO_BRIEF, SIPTAG_MIN_EXPIRES_STR(min),
			    NUTAG_WITH_THIS(nua), TAG_END());
		return;
	}
	case -EIO:
		register_store_failed(nua, nh, aor, source);
		return;
	case -ENOMEM:
		nua_respond(nh, SIP_500_INTERNAL_SERVER_ERROR, NUTAG_WITH_THIS(nua), TAG_END());
		return;
	default:
		nua_respond(nh, status, phrase, NUTAG_WITH_THIS(nua), TAG_END());
	}
}

/* ---- life ---- */

int registrar_contacts(struct registrar *r, const char *user, char uris[][REG_URI_LEN], int max)
{
	long long now = wall_now();
	int n = 0;

	if (!r)
		return 0;
	/* Newest first: few contacts per user, so pick the next newest each round. */
	while (n < max) {
		const struct binding *best = NULL;
		for (size_t i = 0; i < r->n; i++) {
			const struct binding *b = &r->b[i];
			int taken = 0;
			if (strcmp(b->aor, user) || b->expires_at <= now)
				continue;
			for (int k = 0; k < n; k++)
				taken |= !strcmp(uris[k], b->contact);
			if (!taken && (!best || b->updated > best->updated))
				best = b;
		}
		if (!best)
			break;
		snprintf(uris[n++], REG_URI_LEN, "%s", best->contact);
	}
	return n;
}

static void guard_sweep(void *arg)
{
	struct registrar *r = arg;

	auth_guard_sweep(r->guard, mono_ms());
	loop_timer_start(r->guard_sweep, REG_GUARD_SWEEP_MS);
}

int registrar_reload(struct registrar *r, const struct cfg_registrar *cfg)
{
	struct cfg_registrar *own;
	auth_mod_t *am;
	int rc;

	if ((rc = registrar_users(cfg, r->root, &own, &am)))
		return rc;
	/* A phone registered under a user still there keeps its binding. A
	 * user gone is no address of record of ours (RFC 3261 10.3 step 3):
	 * its bindings go, so no call reaches its phones, and its next
	 * REGISTER gets 404. Nonces of the old authenticator are no longer
	 * valid: a phone answers a new challenge once. */
	for (size_t i = 0; i < r->n;) {
		if (auth_mod_getpass(am, r->b[i].aor, own->realm)) {
			i++;
			continue;
		}
		LOGN(LSS_SIP, "registrar: %s at %s dropped: no longer a user (reload)", r->b[i].aor, r->b[i].contact);
		binding_remove(r, i);
	}
	auth_mod_unref(r->am);
	free(r->own);
	r->own = own;
	r->cfg = own;
	r->am = am;
	LOGN(LSS_SIP, "registrar: realm \"%s\", %d user(s)%s%s (reloaded)", own->realm, own->n_users,
	     own->users_file[0] ? " + " : "", own->users_file);
	return 0;
}

int registrar_alloc(struct registrar **rp, struct su_root_s *root, const struct cfg_registrar *cfg)
{
	struct auth_guard_params gp = {
		.attempts = (unsigned)cfg->auth_attempts, .window_ms = (unsigned)cfg->auth_window * 1000,
		.backoff_ms = (unsigned)cfg->auth_backoff * 1000,
		.backoff_max_ms = (unsigned)cfg->auth_backoff_max * 1000,
	};
	struct registrar *r = calloc(1, sizeof(*r));
	int rc = -ENOMEM;

	if (!r)
		return -ENOMEM;
	r->root = root;
	if (!(r->nonces = calloc(NONCE_SLOTS, sizeof(*r->nonces))))
		goto fail;
	if ((rc = registrar_users(cfg, root, &r->own, &r->am)))
		goto fail;
	r->cfg = r->own;
	cfg = r->cfg;
	if ((rc = reg_db_open(r)))
		goto fail;
	if ((rc = loop_timer_alloc(&r->purge, root, "registrar-purge", purge_expired, r)))
		goto fail;
	loop_timer_start(r->purge, REG_PURGE_MS);
	if ((rc = auth_guard_alloc(&r->guard, &gp)) ||
	    (rc = loop_timer_alloc(&r->guard_sweep, root, "auth-guard", guard_sweep, r)))
		goto fail;
	loop_timer_start(r->guard_sweep, REG_GUARD_SWEEP_MS);
	LOGN(LSS_SIP, "registrar: realm \"%s\", %d user(s)%s%s, database %s", cfg->realm, cfg->n_users,
	     cfg->users_file[0] ? " + " : "", cfg->users_file, cfg->database[0] ? cfg->database : "(memory)");
	*rp = r;
	return 0;
fail:
	registrar_free(r);
	return rc;
}

void registrar_free(struct registrar *r)
{
	if (!r)
		return;
	loop_timer_free(r->purge);
	loop_timer_free(r->guard_sweep);
	auth_guard_free(r->guard);
	reg_db_close(r);
	if (r->am)
		auth_mod_unref(r->am);
	free(r->own);
	free(r->nonces);
	free(r->b);
	free(r);
}

void registrar_counts(const struct registrar *r, struct registrar_counts *out)
{
	long long now = wall_now();

	*out = (struct registrar_counts){ .digest_failures = auth_guard_failures(r->guard),
					  .blocked_sources = auth_guard_blocked_count(r->guard) };
	for (size_t i = 0; i < r->n; i++)
		out->bindings += r->b[i].expires_at > now;
}
