/* sipgw - phone simulator: registration with a registrar (RFC 3261 10), its
 * refreshes (nua's own) and an un-REGISTER on request.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "sim/phone.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/su_tag.h>
#include <sofia-sip/url.h>

#define PREG_AOR_MAX 256

enum preg_state {
	PREG_REGISTERING,	/* first REGISTER sent */
	PREG_REGISTERED,	/* a 2xx came; nua refreshes before it expires */
	PREG_UNREGISTERING,	/* REGISTER with Expires: 0 sent */
	PREG_UNREGISTERED,
	PREG_FAILED,		/* a final error: no refreshes any more */
	PREG__COUNT
};

static const char *const preg_state_names[PREG__COUNT] = {
	[PREG_REGISTERING] = "REGISTERING", [PREG_REGISTERED] = "REGISTERED",
	[PREG_UNREGISTERING] = "UNREGISTERING", [PREG_UNREGISTERED] = "UNREGISTERED",
	[PREG_FAILED] = "FAILED",
};

#define B(s) (1u << (s))
/* Which states each state may move to; a refresh is REGISTERED -> REGISTERED. */
static const unsigned preg_allowed[PREG__COUNT] = {
	[PREG_REGISTERING] = B(PREG_REGISTERED) | B(PREG_UNREGISTERING) | B(PREG_FAILED),
	[PREG_REGISTERED] = B(PREG_REGISTERED) | B(PREG_UNREGISTERING) | B(PREG_FAILED),
	[PREG_UNREGISTERING] = B(PREG_UNREGISTERED) | B(PREG_FAILED),
	[PREG_UNREGISTERED] = 0,
	[PREG_FAILED] = 0,
};

struct preg {
	struct phone *ph;
	nua_handle_t *nh;
	enum preg_state state;
	int challenges;		/* answered for the current REGISTER: at most one */
	su_timer_t *t_unregister;
};

static int preg_set_state(struct preg *r, enum preg_state st)
{
	if (!(preg_allowed[r->state] & B(st))) {
		fprintf(stderr, "register [%s] -> %s not permitted\n", preg_state_names[r->state],
			preg_state_names[st]);
		return -EPERM;
	}
	r->state = st;
	return 0;
}

/* The expiry the registrar gave our own binding: its Contact's expires
 * parameter, else the Expires header (RFC 3261 10.2.4). */
static unsigned granted_expires(const struct phone *ph, const sip_t *sip, int *contactsp)
{
	char port[16];
	unsigned exp = sip->sip_expires ? sip->sip_expires->ex_delta : 0, mine = 0;
	int found = 0;

	snprintf(port, sizeof(port), "%d", ph->sip_port);
	*contactsp = 0;
	for (const sip_contact_t *m = sip->sip_contact; m; m = m->m_next) {
		const url_t *u = m->m_url;

		++*contactsp;
		if (found || !u->url_user || strcmp(u->url_user, ph->o.user) || !u->url_host ||
		    strcmp(u->url_host, ph->o.bind_addr) || strcmp(u->url_port ? u->url_port : "5060", port))
			continue;
		found = 1;
		mine = m->m_expires ? (unsigned)strtoul(m->m_expires, NULL, 10) : exp;
	}
	return mine;
}

static void preg_failed(struct preg *r, int status)
{
	struct phone *ph = r->ph;
	int unregistering = r->state == PREG_UNREGISTERING;

	phone_out(ph, "EVENT", "%s failed %d", unregistering ? "unregister" : "register", status);
	preg_set_state(r, PREG_FAILED);
	/* No refreshes, and nothing for nua_shutdown() to un-REGISTER. */
	nua_handle_destroy(r->nh);
	r->nh = NULL;
	/* The calls were to wait for the registration; they cannot be placed. */
	if (!unregistering && !ph->dialling && ph->o.n_targets)
		phone_exit(ph, 1);
}

static void on_unregister_timer(struct phone *ph, su_timer_t *t, struct pcall *unused)
{
	struct preg *r = ph->reg;

	if (!r->nh || preg_set_state(r, PREG_UNREGISTERING))
		return;
	r->challenges = 0;
	nua_unregister(r->nh, TAG_END());
}

int preg_alloc(struct preg **rp, struct phone *ph)
{
	const struct phone_opts *o = &ph->o;
	struct preg *r;
	char buf[PREG_AOR_MAX], aor[PREG_AOR_MAX], expires[16];
	url_t u;

	/* To/From: the address of record, user@ the registrar's domain (RFC 3261 10.2). */
	snprintf(buf, sizeof(buf), "%s", o->register_uri);
	memset(&u, 0, sizeof(u));
	if (url_d(&u, buf) < 0 || !u.url_host)
		return -EINVAL;
	snprintf(aor, sizeof(aor), "sip:%s@%s", o->user, u.url_host);
	snprintf(expires, sizeof(expires), "%d", o->expires_s);

	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->ph = ph;
	r->state = PREG_REGISTERING;
	r->t_unregister = su_timer_create(su_root_task(ph->root), 0);
	/* One retry per request: the challenge answered once, then a failure.
	 * No outbound (RFC 5626) probing: its OPTIONS to our own AOR would go
	 * to port 5060 of the registrar's host, which may be anyone's. */
	r->nh = nua_handle(ph->nua, NULL, SIPTAG_TO_STR(aor), SIPTAG_FROM_STR(aor),
			   NUTAG_RETRY_COUNT(1),
			   NUTAG_OUTBOUND("no-natify no-validate no-options-keepalive"), TAG_END());
	if (!r->nh || !r->t_unregister) {
		preg_free(r);
		return -ENOMEM;
	}
	nua_register(r->nh, NUTAG_REGISTRAR(URL_STRING_MAKE(o->register_uri)),
		     NUTAG_M_USERNAME(o->user), SIPTAG_EXPIRES_STR(expires), TAG_END());
	if (o->unregister_at_ms >= 0)
		su_timer_set_at(r->t_unregister, on_unregister_timer, NULL,
				su_time_add(su_now(), (su_duration_t)o->unregister_at_ms));
	*rp = r;
	return 0;
}

void preg_free(struct preg *r)
{
	if (!r)
		return;
	su_timer_destroy(r->t_unregister);
	if (r->nh)
		nua_handle_destroy(r->nh);
	free(r);
}

static void preg_registered(struct preg *r, const sip_t *sip)
{
	struct phone *ph = r->ph;
	int contacts;
	unsigned expires = granted_expires(ph, sip, &contacts);

	r->challenges = 0;
	preg_set_state(r, PREG_REGISTERED);
	phone_out(ph, "EVENT", "registered expires=%u contacts=%d", expires, contacts);
	if (!ph->dialling)
		phone_start_dialling(ph);
}

int preg_nua_event(struct phone *ph, nua_event_t event, int status, nua_handle_t *nh,
		   const sip_t *sip)
{
	struct preg *r = ph->reg;

	if (!r || !nh || nh != r->nh || (event != nua_r_register && event != nua_r_unregister))
		return 0;
	if (status < 200)
		return 1;
	if ((status == 401 || status == 407) && !r->challenges++ && !pauth_answer(ph, nh, status, sip))
		return 1;
	if (status >= 300) {
		preg_failed(r, status);
		return 1;
	}
	if (event == nua_r_unregister) {
		r->challenges = 0;
		if (!preg_set_state(r, PREG_UNREGISTERED))
			phone_out(ph, "EVENT", "unregistered");
		return 1;
	}
	if (sip)
		preg_registered(r, sip);
	return 1;
}
