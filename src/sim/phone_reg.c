/* sipgw - phone simulator: registration with a registrar (RFC 3261 10), its
 * refreshes (nua's own) and an un-REGISTER on request.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "sim/phone.h"
#include "sip/sip_addr.h"

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

#include "core/fsm.h"

#define PREG_AOR_MAX 256

enum preg_state {
	PREG_REGISTERING,	/* first REGISTER sent */
	PREG_REGISTERED,	/* a 2xx came; nua refreshes before it expires */
	PREG_UNREGISTERING,	/* REGISTER with Expires: 0 sent */
	PREG_UNREGISTERED,
	PREG_FAILED,		/* a final error: no refreshes any more */
	PREG__COUNT
};

/* What happens to the registration: nua's final responses (a challenge is
 * answered before, in any state) and the --unregister-at clock. */
enum preg_event {
	PREG_EV_REGISTER_OK,	/* 2xx to a REGISTER: the first or a refresh */
	PREG_EV_UNREGISTER_OK,	/* 2xx to the REGISTER with Expires: 0 */
	PREG_EV_FAILED,		/* a final error, the challenge answered or not answerable */
	PREG_EV_UNREGISTER_AT,	/* --unregister-at has come */
	PREG_EV__COUNT
};

static const char *const preg_event_names[PREG_EV__COUNT] = {
	[PREG_EV_REGISTER_OK] = "REGISTER_OK", [PREG_EV_UNREGISTER_OK] = "UNREGISTER_OK",
	[PREG_EV_FAILED] = "FAILED", [PREG_EV_UNREGISTER_AT] = "UNREGISTER_AT",
};

#define B(s) FSM_BIT(s)
/* A refresh is REGISTERED -> REGISTERED (fsm_state_chg: staying put). */
static const struct fsm_state preg_states[PREG__COUNT] = {
	[PREG_REGISTERING] = { "REGISTERING",
		B(PREG_REGISTERED) | B(PREG_UNREGISTERING) | B(PREG_FAILED),
		B(PREG_EV_REGISTER_OK) | B(PREG_EV_FAILED) | B(PREG_EV_UNREGISTER_AT) },
	[PREG_REGISTERED] = { "REGISTERED",
		B(PREG_UNREGISTERING) | B(PREG_FAILED),
		B(PREG_EV_REGISTER_OK) | B(PREG_EV_FAILED) | B(PREG_EV_UNREGISTER_AT) },
	[PREG_UNREGISTERING] = { "UNREGISTERING",
		B(PREG_UNREGISTERED) | B(PREG_FAILED),
		B(PREG_EV_UNREGISTER_OK) | B(PREG_EV_FAILED) },
	[PREG_UNREGISTERED] = { "UNREGISTERED", 0, 0 },
	[PREG_FAILED] = { "FAILED", 0, 0 },
};

static void preg_action(struct fsm_inst *fi, int event, void *data);

static const char *preg_describe(struct fsm_inst *fi)
{
	static char buf[48];

	snprintf(buf, sizeof(buf), "register [%s]", fsm_state_name(fi->def, fi->state));
	return buf;
}

static const struct fsm_def preg_fsm = {
	.name = "register", .ss = LSS_SIM, .states = preg_states, .n_states = PREG__COUNT,
	.event_names = preg_event_names, .n_events = PREG_EV__COUNT,
	.action = preg_action, .describe = preg_describe,
};

struct preg {
	struct phone *ph;
	nua_handle_t *nh;
	struct fsm_inst fi;	/* enum preg_state */
	int challenges;		/* answered for the current REGISTER: at most one */
	su_timer_t *t_unregister;
};

/* The expiry the registrar gave our own binding: its Contact's expires
 * parameter, else the Expires header (RFC 3261 10.2.4). */
static unsigned granted_expires(const struct phone *ph, const sip_t *sip, int *contactsp)
{
	char port[16], host[SIP_HOSTPORT_LEN];
	unsigned exp = sip->sip_expires ? sip->sip_expires->ex_delta : 0, mine = 0;
	int found = 0;

	snprintf(port, sizeof(port), "%d", ph->sip_port);
	sip_hostport(host, ph->o.bind_addr, 0);	/* Sofia keeps an IPv6 host's brackets */
	*contactsp = 0;
	for (const sip_contact_t *m = sip->sip_contact; m; m = m->m_next) {
		const url_t *u = m->m_url;

		++*contactsp;
		if (found || !u->url_user || strcmp(u->url_user, ph->o.user) || !u->url_host ||
		    strcasecmp(u->url_host, host) || strcmp(u->url_port ? u->url_port : "5060", port))
			continue;
		found = 1;
		mine = m->m_expires ? (unsigned)strtoul(m->m_expires, NULL, 10) : exp;
	}
	return mine;
}

static void preg_failed(struct preg *r, int status)
{
	struct phone *ph = r->ph;
	int unregistering = r->fi.state == PREG_UNREGISTERING;

	phone_out(ph, "EVENT", "%s failed %d", unregistering ? "unregister" : "register", status);
	fsm_state_chg(&r->fi, PREG_FAILED);
	/* No refreshes, and nothing for nua_shutdown() to un-REGISTER. */
	nua_handle_destroy(r->nh);
	r->nh = NULL;
	/* The calls were to wait for the registration; they cannot be placed. */
	if (!unregistering && !ph->dialling && ph->o.n_targets)
		phone_exit(ph, 1);
}

static void preg_unregister(struct preg *r)
{
	if (!r->nh || fsm_state_chg(&r->fi, PREG_UNREGISTERING))
		return;
	r->challenges = 0;
	nua_unregister(r->nh, TAG_END());
}

static void on_unregister_timer(struct phone *ph, su_timer_t *t, struct pcall *unused)
{
	fsm_dispatch(&ph->reg->fi, PREG_EV_UNREGISTER_AT, NULL);
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
	fsm_inst_init(&r->fi, &preg_fsm, PREG_REGISTERING, r, NULL, NULL);	/* no state timers */
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
	fsm_inst_cleanup(&r->fi);
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
	fsm_state_chg(&r->fi, PREG_REGISTERED);
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
	if (status >= 300)
		fsm_dispatch(&r->fi, PREG_EV_FAILED, &status);
	else if (event == nua_r_unregister)
		fsm_dispatch(&r->fi, PREG_EV_UNREGISTER_OK, NULL);
	else if (sip)
		fsm_dispatch(&r->fi, PREG_EV_REGISTER_OK, (void *)sip);
	return 1;
}

/* The events the state permits (preg_states); the others were refused in fsm_dispatch. */
static void preg_action(struct fsm_inst *fi, int event, void *data)
{
	struct preg *r = fi->priv;

	switch (event) {
	case PREG_EV_REGISTER_OK:
		preg_registered(r, data);
		break;
	case PREG_EV_UNREGISTER_OK:
		r->challenges = 0;
		if (!fsm_state_chg(fi, PREG_UNREGISTERED))
			phone_out(r->ph, "EVENT", "unregistered");
		break;
	case PREG_EV_FAILED:
		preg_failed(r, *(const int *)data);
		break;
	case PREG_EV_UNREGISTER_AT:
		preg_unregister(r);
		break;
	}
}
