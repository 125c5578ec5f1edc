/* sipgw - phone simulator: call transfer and redirection. REFER with its implicit
 * subscription (RFC 3515), Referred-By (RFC 3892), Replaces (RFC 3891), the older
 * BYE with Also when REFER is refused (Cisco figures B-7, B-9), and 3xx redirects
 * (RFC 3261 8.1.3.4; figures B-10..B-12) both followed and given (--redirect-to).
 * SPDX-License-Identifier: GPL-2.0-only */
#include "sim/phone_pcall.h"
#include "sip/sip_addr.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/su_tag.h>
#include <sofia-sip/url.h>

#define SIPFRAG_TYPE "message/sipfrag"

static void our_uri(const struct phone *ph, char *buf, size_t len)
{
	char hp[SIP_HOSTPORT_LEN];

	snprintf(buf, len, "<sip:%s@%s>", ph->o.from ? ph->o.from : ph->o.user,
		 sip_hostport(hp, ph->o.bind_addr, ph->sip_port));
}

static int copy_url(char *buf, size_t len, const url_t *u)
{
	issize_t n = u ? url_e(buf, (isize_t)len, u) : -1;

	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	buf[n] = '\0';
	return 0;
}

int pxfer_blind(struct pcall *c, const char *uri)
{
	char to[PCALL_URI_MAX + 2], by[PCALL_URI_MAX];

	if (!pcall_is_talking(c) || c->fi.state == PC_RELEASING)
		return -EPERM;
	snprintf(c->refer_to, sizeof(c->refer_to), "%s", uri);
	snprintf(c->also_to, sizeof(c->also_to), "%s", uri);
	c->refer_consult = 0;
	snprintf(to, sizeof(to), "<%s>", uri);
	our_uri(c->ph, by, sizeof(by));
	/* RFC 3515 2.4.1, RFC 3892 3: the transferee learns who asked */
	nua_refer(c->nh, SIPTAG_REFER_TO_STR(to), SIPTAG_REFERRED_BY_STR(by), TAG_END());
	phone_out(c->ph, "EVENT", "call %d refer sent to=%s", c->id, uri);
	return 0;
}

int pxfer_attended(struct pcall *c, struct pcall *consult)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	char to[2 * PCALL_URI_MAX], by[PCALL_URI_MAX];
	sip_replaces_t *rp;
	char *q;
	int rc = -ENOMEM;

	if (!pcall_is_talking(c) || !pcall_is_talking(consult) || !consult->target[0])
		return -EPERM;
	/* RFC 3891 3: the dialog C has with us, tags seen from C; RFC 3261 19.1.5
	 * escapes it into the Refer-To URI's headers */
	rp = nua_handle_make_replaces(consult->nh, home, 0);
	q = rp ? sip_headers_as_url_query(home, SIPTAG_REPLACES(rp), TAG_END()) : NULL;
	if (q && snprintf(to, sizeof(to), "<%s?%s>", consult->target, q) < (int)sizeof(to)) {
		snprintf(c->refer_to, sizeof(c->refer_to), "%s", consult->target);
		snprintf(c->also_to, sizeof(c->also_to), "%s", consult->target);
		c->refer_consult = consult->id;
		our_uri(c->ph, by, sizeof(by));
		nua_refer(c->nh, SIPTAG_REFER_TO_STR(to), SIPTAG_REFERRED_BY_STR(by), TAG_END());
		phone_out(c->ph, "EVENT", "call %d refer sent to=%s replaces=call %d", c->id,
			  consult->target, consult->id);
		rc = 0;
	}
	su_home_deinit(home);
	return rc;
}

/* Figures B-7, B-9: the far end does not do REFER; the old way, BYE with Also,
 * asks it to call the target itself (RFC 2543 6.12, gone from RFC 3261). */
static void pxfer_bye_also(struct pcall *c)
{
	struct pcall *consult = c->refer_consult ? pcall_by_id(c->ph, c->refer_consult) : NULL;
	char also[PCALL_URI_MAX + 16];

	/* figure B-9 step 21: we leave the consultation call too; first, so that
	 * the target has our BYE before the transferee's INVITE (step 23) */
	if (consult)
		pcall_user(consult, PCE_HANGUP_AT);
	snprintf(also, sizeof(also), "Also: <%s>", c->also_to);
	phone_out(c->ph, "EVENT", "call %d also to=%s", c->id, c->also_to);
	nua_bye(c->nh, SIPTAG_HEADER_STR(also), TAG_END());
	pcall_set_state(c, PC_RELEASING);
}

static void on_refer_response(struct pcall *c, int status)
{
	if (status < 200)
		return;
	if (status < 300) {
		phone_out(c->ph, "EVENT", "call %d refer accepted %d", c->id, status);
		return;
	}
	phone_out(c->ph, "EVENT", "call %d refer refused %d", c->id, status);
	if ((status == 501 || status == 405) && pcall_is_talking(c) && c->fi.state != PC_RELEASING)
		pxfer_bye_also(c);
}

/* RFC 3515 2.4.5: the NOTIFY body is the status line of the new call's response. */
static void on_notify(struct pcall *c, const sip_t *sip)
{
	int code = 0;

	if (sip && sip->sip_payload && sip->sip_payload->pl_len > 8 &&
	    !strncmp(sip->sip_payload->pl_data, "SIP/2.0 ", 8))
		code = atoi(sip->sip_payload->pl_data + 8);
	phone_out(c->ph, "EVENT", "call %d notify sipfrag=%d", c->id, code);
	if (code >= 200 && code < 300)
		phone_out(c->ph, "EVENT", "call %d transferred", c->id);
	else if (code >= 300)
		phone_out(c->ph, "EVENT", "call %d transfer failed sipfrag=%d", c->id, code);
}

static void send_sipfrag(struct pcall *c, int status, int final)
{
	char frag[64];

	snprintf(frag, sizeof(frag), "SIP/2.0 %d %s\r\n", status, sip_status_phrase(status));
	c->notifies_out++;
	c->refer_done |= final;
	nua_notify(c->nh, NUTAG_SUBSTATE(final ? nua_substate_terminated : nua_substate_active),
		   SIPTAG_EVENT_STR(c->refer_event), SIPTAG_CONTENT_TYPE_STR(SIPFRAG_TYPE),
		   SIPTAG_PAYLOAD_STR(frag), TAG_END());
	phone_out(c->ph, "EVENT", "call %d notify sent sipfrag=%d", c->id, status);
}

/* The Replaces header an escaped Refer-To carries, e.g. "Replaces: id;to-tag=..". */
static void refer_to_parts(struct pcall *n, const url_t *u)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	url_t *copy = url_hdup(home, u);
	char *hdrs;

	if (!copy)
		goto out;
	hdrs = copy->url_headers ? url_query_as_header_string(home, copy->url_headers) : NULL;
	copy->url_headers = NULL;
	copy_url(n->target, sizeof(n->target), copy);
	for (char *line = hdrs; line && *line;) {
		size_t len = strcspn(line, "\r\n");

		if (!strncasecmp(line, "Replaces:", 9)) {
			const char *v = line + 9;
			while (*v == ' ')
				v++;
			snprintf(n->replaces, sizeof(n->replaces), "%.*s",
				 (int)(len - (size_t)(v - line)), v);
		}
		line += len;
		line += strspn(line, "\r\n");
	}
out:
	su_home_deinit(home);
}

/* We are the transferee: 202 went out (nua), now call the target. */
static void on_refer(struct pcall *c, nua_handle_t *nh, const sip_t *sip, tagi_t tags[])
{
	struct phone *ph = c->ph;
	sip_event_t const *ev = NULL;
	sip_referred_by_t const *by = NULL;
	struct pcall *n;

	if (ph->o.refuse_refer) {
		/* NUTAG_APPL_METHOD("REFER") made it ours to answer */
		nua_respond(nh, ph->o.refuse_refer, sip_status_phrase(ph->o.refuse_refer),
			    NUTAG_WITH_THIS(ph->nua), TAG_END());
		phone_out(ph, "EVENT", "call %d refer refused %d", c->id, ph->o.refuse_refer);
		return;
	}
	if (!sip || !sip->sip_refer_to)
		return;
	tl_gets(tags, NUTAG_REFER_EVENT_REF(ev), SIPTAG_REFERRED_BY_REF(by), TAG_END());
	if (ev)
		snprintf(c->refer_event, sizeof(c->refer_event), "%s%s%s", ev->o_type,
			 ev->o_id ? ";id=" : "", ev->o_id ? ev->o_id : "");
	else
		snprintf(c->refer_event, sizeof(c->refer_event), "refer");
	if (pcall_alloc(&n, ph, 1) < 0)
		return;
	n->route = PROUTE_DIRECT;
	n->referred_from = c->id;
	refer_to_parts(n, sip->sip_refer_to->r_url);
	if (by) {
		char u[PCALL_URI_MAX - 2];
		if (!copy_url(u, sizeof(u), by->b_url))
			snprintf(n->referred_by, sizeof(n->referred_by), "<%s>", u);
	}
	phone_out(ph, "EVENT", "call %d refer received to=%s by=%s replaces=%s", c->id, n->target,
		  n->referred_by[0] ? n->referred_by : "-", n->replaces[0] ? "yes" : "no");
	/* RFC 3515 2.4.4: at once a NOTIFY that says where it stands */
	send_sipfrag(c, 100, 0);
	if (!n->target[0] || pcall_invite(n) < 0) {
		pcall_free(n);
		send_sipfrag(c, 503, 1);
		return;
	}
	ph->cur_call = n->id;
}

void pxfer_progress(struct pcall *n, int status)
{
	struct pcall *c = n->referred_from ? pcall_by_id(n->ph, n->referred_from) : NULL;

	if (!c || !c->refer_event[0] || c->refer_done || status <= 100)
		return;
	/* an auth challenge or a 3xx: the call goes on, no final NOTIFY yet */
	if (status == 401 || status == 407 || (status >= 300 && status < 400))
		return;
	send_sipfrag(c, status, status >= 200);
	if (status >= 200 && status < 300)
		phone_out(n->ph, "EVENT", "call %d transferred to call %d", c->id, n->id);
}

/* The final NOTIFY answered: the transferee leaves the old call (RFC 5589 6.1
 * lets either end send the BYE; doing it here keeps one order on the wire). */
static void on_notify_response(struct pcall *c, int status)
{
	if (status < 200)
		return;
	if (c->notifies_out > 0)
		c->notifies_out--;
	if (c->refer_done && !c->notifies_out && pcall_is_talking(c) &&
	    c->fi.state != PC_RELEASING) {
		struct pcall *n = NULL;
		for (struct pcall *o = c->ph->calls; o; o = o->next)
			if (o->referred_from == c->id)
				n = o;
		if (n && n->fi.state == PC_ACTIVE)
			pcall_user(c, PCE_HANGUP_AT);
	}
}

int pxfer_nua_event(struct phone *ph, nua_event_t event, int status, nua_handle_t *nh,
		    struct pcall *c, const sip_t *sip, tagi_t tags[])
{
	if (!c)
		return 0;
	switch (event) {
	case nua_r_refer:
		on_refer_response(c, status);
		return 1;
	case nua_i_notify:
		on_notify(c, sip);
		return 1;
	case nua_i_refer:
		on_refer(c, nh, sip, tags);
		return 1;
	case nua_r_notify:
		on_notify_response(c, status);
		return 1;
	default:
		return 0;
	}
}

/* --redirect-to: one Contact is 302, several 300 with falling q (figures B-10, B-11). */
static void pxfer_redirect_reply(struct pcall *c)
{
	char buf[1024], list[1024];
	size_t n = 0;
	int k = 0, status;

	snprintf(buf, sizeof(buf), "%s", c->ph->o.redirect_to);
	for (char *save = NULL, *u = strtok_r(buf, ",", &save); u && n < sizeof(list);
	     u = strtok_r(NULL, ",", &save), k++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s<%s>;q=%.1f", k ? ", " : "", u,
				      k < 10 ? 1.0 - k / 10.0 : 0.1);
	status = k > 1 ? 300 : 302;
	c->final_status = status;
	nua_respond(c->nh, status, sip_status_phrase(status), SIPTAG_CONTACT_STR(list), TAG_END());
	phone_out(c->ph, "EVENT", "call %d redirect status=%d contacts=%s", c->id, status,
		  c->ph->o.redirect_to);
	pcall_set_state(c, PC_RELEASING);
}

int pxfer_new_invite(struct pcall *c, const sip_t *sip)
{
	struct phone *ph = c->ph;
	nua_handle_t *nh0;
	struct pcall *old;

	/* where the caller can be reached: an attended transfer's Refer-To */
	if (sip->sip_contact)
		copy_url(c->target, sizeof(c->target), sip->sip_contact->m_url);
	if (ph->o.redirect_to) {
		pxfer_redirect_reply(c);
		return 1;
	}
	if (!sip->sip_replaces)
		return 0;
	/* RFC 3891 3: answer at once and end the call it replaces */
	nh0 = nua_handle_by_replaces(ph->nua, sip->sip_replaces);
	old = nh0 ? pcall_by_handle(ph, nh0) : NULL;
	if (nh0)
		nua_handle_unref(nh0);
	if (!old || !pcall_is_talking(old) || old->fi.state == PC_RELEASING) {
		phone_out(ph, "EVENT", "call %d replaces no such call", c->id);
		c->final_status = 481;
		nua_respond(c->nh, SIP_481_NO_TRANSACTION, TAG_END());
		pcall_set_state(c, PC_RELEASING);
		return 1;
	}
	phone_out(ph, "EVENT", "call %d replaced by call %d", old->id, c->id);
	pcall_user(c, PCE_ANSWER_AT);
	pcall_user(old, PCE_HANGUP_AT);
	return 1;
}

void pxfer_on_bye(struct pcall *c, const sip_t *sip)
{
	struct phone *ph = c->ph;
	const char *v = NULL;
	struct pcall *n;

	for (sip_unknown_t const *u = sip ? sip->sip_unknown : NULL; u && !v; u = u->un_next)
		if (u->un_name && !strcasecmp(u->un_name, "Also") && u->un_value)
			v = u->un_value;
	if (!v || ph->phase != PH_RUNNING || pcall_alloc(&n, ph, 1) < 0)
		return;
	v += strspn(v, " <");
	snprintf(n->target, sizeof(n->target), "%.*s", (int)strcspn(v, ">"), v);
	n->route = PROUTE_DIRECT;
	/* figure B-9 step 23: the new INVITE says who asked for it */
	if (sip->sip_from) {
		char u[PCALL_URI_MAX - 2];
		if (!copy_url(u, sizeof(u), sip->sip_from->a_url))
			snprintf(n->referred_by, sizeof(n->referred_by), "<%s>", u);
	}
	phone_out(ph, "EVENT", "call %d also to=%s", c->id, n->target);
	if (pcall_invite(n) < 0)
		pcall_free(n);
	else
		ph->cur_call = n->id;
}

/* RFC 3261 8.1.3.4: each Contact of a 3xx, the highest q first; a try that fails
 * (busy, no answer within --cancel-after) moves to the next (figures B-11, B-12). */
int pxfer_follow_redirect(struct pcall *c, int status, const sip_t *sip)
{
	if (status >= 300 && status < 400 && sip && sip->sip_contact && !c->n_contacts) {
		double qs[PCALL_MAX_CONTACTS];

		const sip_contact_t *m = sip->sip_contact;

		for (; m && c->n_contacts < PCALL_MAX_CONTACTS; m = m->m_next) {
			double q = m->m_q ? strtod(m->m_q, NULL) : 1.0;
			int i = c->n_contacts++;

			/* insertion by q, the order given among equals */
			for (; i > 0 && qs[i - 1] < q; i--) {
				qs[i] = qs[i - 1];
				memcpy(c->contacts[i], c->contacts[i - 1], sizeof(c->contacts[i]));
			}
			qs[i] = q;
			if (copy_url(c->contacts[i], sizeof(c->contacts[i]), m->m_url) < 0)
				c->contacts[i][0] = '\0';
		}
	} else if (status < 300 || c->next_contact >= c->n_contacts) {
		return 0;
	}
	while (c->next_contact < c->n_contacts) {
		const char *uri = c->contacts[c->next_contact++];

		if (!uri[0])
			continue;
		phone_out(c->ph, "EVENT", "call %d redirected status=%d to=%s", c->id, status, uri);
		if (pcall_retarget(c, uri) == 0)
			return 1;
	}
	return 0;
}

void pxfer_nua_redirected(struct pcall *c, const sip_t *sip)
{
	int st = sip && sip->sip_status ? sip->sip_status->st_status : 0;
	char uri[PCALL_URI_MAX];

	/* RFC 3261 8.1.3.4; nua retries a 302 to its Contact on the same handle */
	if (st < 300 || st >= 400 || !sip->sip_contact ||
	    copy_url(uri, sizeof(uri), sip->sip_contact->m_url) < 0)
		return;
	snprintf(c->target, sizeof(c->target), "%s", uri);
	c->tries = 0;
	phone_out(c->ph, "EVENT", "call %d redirected status=%d to=%s", c->id, st, uri);
}
