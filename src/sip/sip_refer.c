/* sipgw - transfers asked for on a SIP leg: REFER (RFC 3515, call transfer
 * as RFC 5589 describes it), its Refer-To with Replaces (attended, RFC
 * 3891), the pre-REFER phones' BYE with Also (Cisco figures B-7, B-9), and
 * the NOTIFYs (message/sipfrag) that tell the transferor how it goes.
 * Where the target is and whether the transferor may reach it is
 * routing's (sip_refer_h); this file only reads and reports.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "sip/sip_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/url.h>

#include "bridge/cause.h"
#include "core/log.h"

/* The implicit subscription a REFER creates (RFC 3515 2.4.4): its Event
 * header, for every NOTIFY until the final one. */
struct sip_refer {
	sip_event_t *event;
	int final_sent;		/* a NOTIFY with a final status went: the subscription is over */
	int accepting;		/* routing runs before our 202: statuses wait (RFC 3515 2.4.4) */
	int pending;		/* the last one that waited */
};

void sip_refer_free(struct sip_leg *sl)
{
	free(sl->refer);
	sl->refer = NULL;
}

/* leg_ops.xfer_status: NOTIFY with the status line as message/sipfrag
 * (RFC 3515 2.4.5); a final one terminates the subscription. */
void sip_refer_status(struct leg *leg, int status)
{
	struct sip_leg *sl = (struct sip_leg *)leg;
	struct sip_refer *rf = sl->refer;
	char frag[96];
	int final = status >= 200;

	if (rf && rf->accepting) {
		rf->pending = status;
		return;
	}
	if (!rf || rf->final_sent || !sl->nh || sl_is(sl, SIP_ST_TERMINATED))
		return;
	rf->final_sent = final;
	snprintf(frag, sizeof(frag), "SIP/2.0 %d %s\r\n", status, sip_status_phrase(status) ?
		 sip_status_phrase(status) : "Unknown");
	LOGI(LSS_SIP, "%s NOTIFY refer: %d%s", sip_leg_describe(sl), status, final ? " (final)" : "");
	nua_notify(sl->nh, NUTAG_SUBSTATE(final ? nua_substate_terminated : nua_substate_active),
		   TAG_IF(rf->event, SIPTAG_EVENT(rf->event)), TAG_IF(!rf->event, SIPTAG_EVENT_STR("refer")),
		   SIPTAG_SUBSCRIPTION_STATE_STR(final ? "terminated;reason=noresource" : "active;expires=60"),
		   SIPTAG_CONTENT_TYPE_STR("message/sipfrag;version=2.0"), SIPTAG_PAYLOAD_STR(frag), TAG_END());
}

/* The leg of a dialog sipgw holds that a Replaces value names, "call-id;
 * to-tag=x;from-tag=y" (RFC 3891 3), or NULL. */
static struct leg *sip_refer_replaced(struct sip_ua *ua, const char *value)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	sip_replaces_t *rp = sip_replaces_make(home, value);
	nua_handle_t *nh = rp ? nua_handle_by_replaces(ua->nua, rp) : NULL;
	struct sip_leg *sl = nh ? nua_handle_magic(nh) : NULL;

	if (nh)
		nua_handle_unref(nh);
	su_home_deinit(home);
	return sl ? &sl->base : NULL;
}

/* The user part of the far party of sl's dialog (From of a dialog it
 * took, To of one it made), "" when nua has none. */
static void refer_remote_user(struct sip_leg *sl, char *out, size_t len)
{
	sip_to_t const *to = sl->nh ? nua_handle_remote(sl->nh) : NULL;

	snprintf(out, len, "%s", to && to->a_url->url_user ? to->a_url->url_user : "");
}

/* RFC 3891 6: a Replaces names a dialog, and knowing its tags is not the
 * right to take it: an attended REFER may only join a dialog of the
 * transferor's own, with the same far party as the dialog it came in.
 * Else any trusted phone that learns another's Call-ID and tags could
 * hand that call to whom it likes (and a PSTN call past the door). */
static int refer_same_party(struct sip_leg *sl, struct sip_leg *other)
{
	char a[LEG_NUM], b[LEG_NUM];

	refer_remote_user(sl, a, sizeof(a));
	refer_remote_user(other, b, sizeof(b));
	if (a[0] && !strcmp(a, b))
		return 1;
	LOGN(LSS_SIP, "%s REFER: Replaces names %s, a dialog with %s, not with the transferor %s: 403",
	     sip_leg_describe(sl), sip_leg_describe(other), b[0] ? b : "(no user)", a[0] ? a : "(no user)");
	return 0;
}

struct leg *sip_replaces_leg(struct sip_ua *ua, sip_t const *sip)
{
	char value[512];

	if (!sip || !sip->sip_replaces)
		return NULL;
	sip_header_field_e(value, sizeof(value), (sip_header_t const *)sip->sip_replaces, 0);
	return sip_refer_replaced(ua, value);
}

/* The Replaces= header of a Refer-To URI (RFC 3515 2.1 embeds it as an
 * escaped URI header, RFC 3891 7), unescaped into out; "" when none. */
static void refer_to_replaces(const url_t *url, char *out, size_t len)
{
	const char *h = url ? url->url_headers : NULL, *v;
	size_t n;

	out[0] = 0;
	for (; h && *h; h = strchr(h, '&') ? strchr(h, '&') + 1 : NULL) {
		if (strncasecmp(h, "Replaces=", 9))
			continue;
		v = h + 9;
		n = strcspn(v, "&");
		if (n >= len)
			return;
		memcpy(out, v, n);
		out[n] = 0;
		url_unescape(out, out);
		return;
	}
}

/* The transferor's rights, as for an INVITE of its own (sip_leg_incoming):
 * where the request came from, and its credentials if it gave any. */
static int refer_rights(struct sip_ua *ua, sip_t const *sip, struct leg_transfer *xi)
{
	int stale = 0;

	sip_request_source(ua, xi->source, sizeof(xi->source));
	if (!ua->reg)
		return 0;
	registrar_check(ua->reg, sip, 1, xi->source, xi->auth_user, sizeof(xi->auth_user), &xi->auth_status,
			&stale);
	if (!sip->sip_proxy_authorization && xi->auth_status == 407)
		xi->auth_status = 0;	/* none given: routing decides whether they were due */
	return stale;
}

/* Hand the transfer to routing; 0, or the SIP status it was refused with
 * (*eaccesp: credentials are due, as for an INVITE of the transferor's). */
static int refer_route(struct sip_leg *sl, struct leg_transfer *xi, int *eaccesp)
{
	int cause = CAUSE_CALL_REJECTED, rc;

	if (!sl->ua->refer_h)
		return 501;
	rc = sl->ua->refer_h(sl->ua->arg, &sl->base, xi, &cause);
	if (eaccesp)
		*eaccesp = rc == -EACCES;
	if (!rc)
		return 0;
	LOGN(LSS_SIP, "%s transfer to %s refused: cause %d (%s)", sip_leg_describe(sl),
	     xi->replaces ? "a held call" : xi->target, cause, cause_name(cause));
	return rc == -EPERM || rc == -EACCES ? 403 : cause_to_sip_status(cause);
}

/* 202 Accepted (RFC 3515 2.4.2), then the status as the first NOTIFY. */
static void refer_accept(struct sip_leg *sl, int status)
{
	struct sip_refer *rf = sl->refer;

	nua_respond(sl->nh, SIP_202_ACCEPTED, NUTAG_WITH_THIS(sl->ua->nua), TAG_END());
	if (status)
		sip_refer_status(&sl->base, status);
	else if (rf->pending)
		sip_refer_status(&sl->base, rf->pending);
	rf->pending = 0;
}

/* nua_i_refer on a leg (sip_ua.c lets us answer it): routing decides with
 * the transferor's rights before the answer, so that a transferor whose
 * credentials are due is challenged (407) as its INVITE would be (B-19);
 * else 202 and every step NOTIFYed. */
void sip_refer_in(struct sip_leg *sl, int status, sip_t const *sip, tagi_t tags[])
{
	struct leg_transfer xi = { 0 };
	sip_event_t const *ev = NULL;
	char replaces[512];
	int cause, refused, eacces = 0, stale;

	if (!sl->refer && !(sl->refer = calloc(1, sizeof(*sl->refer)))) {
		nua_respond(sl->nh, SIP_500_INTERNAL_SERVER_ERROR, NUTAG_WITH_THIS(sl->ua->nua), TAG_END());
		return;
	}
	tl_gets(tags, NUTAG_REFER_EVENT_REF(ev), TAG_END());
	sl->refer->final_sent = 0;
	sl->refer->pending = 0;
	sl->refer->event = ev ? sip_event_dup(nua_handle_home(sl->nh), ev) : NULL;
	if (!sip || !sip->sip_refer_to || !sip->sip_refer_to->r_url->url_user) {
		nua_respond(sl->nh, SIP_400_BAD_REQUEST, NUTAG_WITH_THIS(sl->ua->nua), TAG_END());
		return;
	}
	refer_to_replaces(sip->sip_refer_to->r_url, replaces, sizeof(replaces));
	if (replaces[0] && !(xi.replaces = sip_refer_replaced(sl->ua, replaces))) {
		LOGN(LSS_SIP, "%s REFER: Replaces names no dialog here (%s)", sip_leg_describe(sl), replaces);
		refer_accept(sl, 481);
		return;
	}
	if (xi.replaces && !refer_same_party(sl, (struct sip_leg *)xi.replaces)) {
		refer_accept(sl, 403);
		return;
	}
	if (sip_in_called_number(sip->sip_refer_to->r_url->url_user, xi.target, sizeof(xi.target), &cause)) {
		refer_accept(sl, cause_to_sip_status(cause));
		return;
	}
	if (sip->sip_referred_by && sip->sip_referred_by->b_url->url_user)
		snprintf(xi.referred_by, sizeof(xi.referred_by), "%s", sip->sip_referred_by->b_url->url_user);
	else if (sip->sip_from && sip->sip_from->a_url->url_user)
		snprintf(xi.referred_by, sizeof(xi.referred_by), "%s", sip->sip_from->a_url->url_user);
	stale = refer_rights(sl->ua, sip, &xi);
	LOGI(LSS_SIP, "%s REFER from %s%s%s to %s%s (Referred-By %s)", sip_leg_describe(sl), xi.source,
	     xi.auth_user[0] ? " as " : "", xi.auth_user, xi.target, xi.replaces ? " with Replaces" : "",
	     xi.referred_by);
	if (xi.replaces) {
		/* attended: both calls are there already, nothing to challenge
		 * (route_transfer); 202 before the join's BYE and NOTIFY 200 */
		refer_accept(sl, 0);
		if ((refused = refer_route(sl, &xi, NULL)))
			sip_refer_status(&sl->base, refused);
		return;
	}
	sl->refer->accepting = 1;
	refused = refer_route(sl, &xi, &eacces);
	sl->refer->accepting = 0;
	if (refused && eacces && sl->ua->reg) {
		registrar_refuse(sl->ua->reg, sl->ua->nua, sl->nh, xi.auth_status ? xi.auth_status : 407,
				 stale, 1);
		return;
	}
	refer_accept(sl, refused);
}

/* A BYE with Also (draft-ietf-sip-cc-transfer-00, Cisco B-7/B-9): the
 * Also target is called for the peer as with a blind REFER; the BYE is
 * the transferor's leaving. 1 when a transfer went under way. */
int sip_refer_bye_also(struct sip_leg *sl, sip_t const *sip)
{
	struct leg_transfer xi = { .gone = 1 };
	sip_unknown_t const *u;
	url_t *url;
	su_home_t home[1] = { SU_HOME_INIT(home) };
	char buf[256];
	const char *v;
	int cause, ok = 0;

	for (u = sip ? sip->sip_unknown : NULL; u; u = u->un_next)
		if (u->un_name && !strcasecmp(u->un_name, "Also"))
			break;
	if (!u || !u->un_value)
		return 0;
	v = strchr(u->un_value, '<') ? strchr(u->un_value, '<') + 1 : u->un_value;
	snprintf(buf, sizeof(buf), "%.*s", (int)strcspn(v, ">"), v);
	url = url_make(home, buf);
	if (url && url->url_user &&
	    !sip_in_called_number(url->url_user, xi.target, sizeof(xi.target), &cause)) {
		if (sip->sip_from && sip->sip_from->a_url->url_user)
			snprintf(xi.referred_by, sizeof(xi.referred_by), "%s", sip->sip_from->a_url->url_user);
		refer_rights(sl->ua, sip, &xi);
		LOGI(LSS_SIP, "%s BYE with Also from %s to %s", sip_leg_describe(sl), xi.source, xi.target);
		ok = refer_route(sl, &xi, NULL) == 0;	/* a BYE cannot be challenged */
	} else {
		LOGN(LSS_SIP, "%s BYE with an Also we cannot read: %s", sip_leg_describe(sl), u->un_value);
	}
	su_home_deinit(home);
	return ok;
}

/* After a transfer the SIP party talks to number: a peer of the trust
 * domain is told in P-Asserted-Identity (RFC 3325 9.1) on an UPDATE without
 * a body (RFC 3311 5.1: a request of its own, so it never crosses the
 * resume re-INVITE a transfer may send at the same moment, sip_hold.c);
 * anyone else is not told who the PSTN party is. */
void sip_refer_peer_changed(struct leg *leg, const char *number)
{
	struct sip_leg *sl = (struct sip_leg *)leg;
	char pai[256], me[SIP_OWN_HOSTPORT_LEN];
	int trusted = sl->assert_identity || leg->trust_domain;

	if (!trusted || !sl->nh || !sl_is(sl, SIP_ST_CONFIRMED)) {
		LOGN(LSS_SIP, "%s now talks to %s (not told: %s)", sip_leg_describe(sl), number,
		     trusted ? "dialog not confirmed" : "not in the trust domain");
		return;
	}
	snprintf(pai, sizeof(pai), "P-Asserted-Identity: <sip:%s@%s;user=phone>", number,
		 sl_own_hostport(sl, me));
	LOGN(LSS_SIP, "%s now talks to %s: UPDATE with P-Asserted-Identity", sip_leg_describe(sl), number);
	nua_update(sl->nh, SIPTAG_HEADER_STR(pai), TAG_END());
}
