/* sipgw - routing's redirections: forwarding per user, the redirect-server
 * role and the targets of a call that was redirected (route_redirect.h).
 * Where a target then goes is route.c's dial-peer hunting; this file keeps
 * the list, the loop and hop limits, and whose rights go with each target.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "route/route_redirect.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/cause.h"
#include "core/config.h"
#include "core/err.h"
#include "core/log.h"
#include "sip/sip_addr.h"

struct route_fwd {
	struct cfg_user *users;
	int n;
};

static int fwd_copy(struct route_fwd *f, const struct gw_config *cfg)
{
	struct cfg_user *u = NULL;

	if (cfg->reg.n_users && !(u = calloc((size_t)cfg->reg.n_users, sizeof(*u))))
		return -ENOMEM;
	for (int i = 0; i < cfg->reg.n_users; i++) {
		u[i] = cfg->reg.users[i];
		memset(u[i].password, 0, sizeof(u[i].password));	/* not routing's business */
	}
	free(f->users);
	f->users = u;
	f->n = cfg->reg.n_users;
	return 0;
}

int route_fwd_alloc(struct route_fwd **fp, const struct gw_config *cfg)
{
	struct route_fwd *f = calloc(1, sizeof(*f));
	int rc;

	if (!f)
		return -ENOMEM;
	if ((rc = fwd_copy(f, cfg))) {
		free(f);
		return rc;
	}
	*fp = f;
	return 0;
}

void route_fwd_free(struct route_fwd *f)
{
	if (!f)
		return;
	free(f->users);
	free(f);
}

static int fwd_same(const struct cfg_user *a, const struct cfg_user *b)
{
	return !strcmp(a->forward_all, b->forward_all) && !strcmp(a->forward_busy, b->forward_busy) &&
	       !strcmp(a->forward_no_answer, b->forward_no_answer) &&
	       a->forward_no_answer_ms == b->forward_no_answer_ms && a->redirect == b->redirect &&
	       a->pstn == b->pstn;
}

void route_fwd_reload(struct route_fwd *f, const struct gw_config *cfg)
{
	for (int i = 0; i < cfg->reg.n_users; i++) {
		const struct cfg_user *n = &cfg->reg.users[i], *o = route_fwd_user(f, n->user);

		if (o && fwd_same(o, n))
			continue;
		LOGN(LSS_BRIDGE, "forwarding of %s now: all \"%s\" busy \"%s\" no-answer \"%s\" after %u ms%s%s",
		     n->user, n->forward_all, n->forward_busy, n->forward_no_answer, n->forward_no_answer_ms,
		     n->redirect ? ", redirect server" : "", n->pstn ? "" : ", no PSTN");
	}
	if (fwd_copy(f, cfg))
		LOGE(LSS_BRIDGE, "no memory for the new forwarding: the old one stays");
}

const struct cfg_user *route_fwd_user(const struct route_fwd *f, const char *user)
{
	for (int i = 0; f && user && i < f->n; i++)
		if (!strcmp(f->users[i].user, user))
			return &f->users[i];
	return NULL;
}

int route_fwd_may_pstn(const struct route_fwd *f, const char *user)
{
	const struct cfg_user *u = route_fwd_user(f, user);

	return !u || u->pstn;
}

/* ---- redirect server */

/* "2002, 2003" -> each number in turn; 0 while there is one. */
static int next_item(const char **sp, char *out, size_t outlen)
{
	const char *s = *sp, *e;
	size_t n;

	while (*s == ',' || isspace((unsigned char)*s))
		s++;
	if (!*s)
		return -ENOENT;
	for (e = s; *e && *e != ',' && !isspace((unsigned char)*e); e++)
		;
	n = (size_t)(e - s) < outlen ? (size_t)(e - s) : outlen - 1;
	memcpy(out, s, n);
	out[n] = 0;
	*sp = e;
	return 0;
}

int route_redir_user_contacts(const struct cfg_user *u, const char *host, int port, char reg[][LEG_URI], int n_reg,
			      struct leg_contacts *lc)
{
	const char *s = u->forward_all;
	char num[LEG_NUM], hp[SIP_HOSTPORT_LEN];

	lc->n = 0;
	/* RFC 3261 21.3.1: several locations, each with its q; the order of the
	 * config is the order of preference */
	while (lc->n < LEG_MAX_CONTACTS && next_item(&s, num, sizeof(num)) == 0) {
		snprintf(lc->uri[lc->n], LEG_URI, "sip:%s@%s;user=phone", num, sip_hostport(hp, host, port));
		lc->q[lc->n] = 1000 - 100 * lc->n;
		lc->n++;
	}
	for (int i = 0; !u->forward_all[0] && i < n_reg && lc->n < LEG_MAX_CONTACTS; i++) {
		snprintf(lc->uri[lc->n], LEG_URI, "%s", reg[i]);
		lc->q[lc->n] = 1000 - 100 * lc->n;	/* newest registration first */
		lc->n++;
	}
	return lc->n ? 0 : -ENOENT;
}

int route_redir_list(const char *numbers, struct leg_contacts *lc)
{
	lc->n = 0;
	while (lc->n < LEG_MAX_CONTACTS && next_item(&numbers, lc->uri[lc->n], LEG_NUM) == 0)
		lc->q[lc->n++] = 1000;	/* in the order given */
	return lc->n ? 0 : -ENOENT;
}

int route_redir_answer(struct leg *a, const struct leg_contacts *lc, const char *why, int *causep)
{
	struct leg_contacts *copy;

	if (strcmp(a->ops->kind, "sip"))
		return err_with(-EINVAL, causep, CAUSE_REDIRECTION);	/* only SIP carries Contacts */
	if (!(copy = malloc(sizeof(*copy))))
		return err_with(-ENOMEM, causep, CAUSE_RESOURCE_UNAVAIL);
	*copy = *lc;
	free(a->contacts);
	a->contacts = copy;	/* the leg frees it */
	a->release_status = lc->n > 1 ? 300 : 302;
	LOGI(LSS_BRIDGE, "%s: redirect server (%s): %d %s, %d Contact(s), first %s", a->ops->describe(a), why,
	     a->release_status, lc->n > 1 ? "Multiple Choices" : "Moved Temporarily", lc->n, lc->uri[0]);
	return err_with(-EXDEV, causep, CAUSE_REDIRECTION);
}

/* ---- one call's targets */

int route_redir_number(const char *uri, char *out, size_t outlen)
{
	const char *s = uri, *at, *e;
	size_t n;

	if (!strncasecmp(s, "sip:", 4))
		s += 4;
	else if (!strncasecmp(s, "sips:", 5))
		s += 5;
	else if (!strncasecmp(s, "tel:", 4))
		s += 4;
	else if (strchr(s, ':'))
		return -EINVAL;
	at = strchr(s, '@');
	if (uri != s && !at && strncasecmp(uri, "tel:", 4))
		return -EINVAL;	/* sip:host, no user: no number to route */
	for (e = s; *e && *e != '@' && *e != ';' && *e != '>'; e++)
		if (!isalnum((unsigned char)*e) && !strchr("+*#._-", *e))
			return -EINVAL;
	n = (size_t)(e - s);
	if (!n || n >= outlen)
		return -EINVAL;
	memcpy(out, s, n);
	out[n] = 0;
	return 0;
}

static int redir_seen(const struct route_redir *rd, const char *number)
{
	for (int i = 0; i < rd->n_seen; i++)
		if (!strcmp(rd->seen[i], number))
			return 1;
	return 0;
}

static void redir_note_seen(struct route_redir *rd, const char *number)
{
	if (!redir_seen(rd, number) && rd->n_seen < ROUTE_REDIR_SEEN)
		snprintf(rd->seen[rd->n_seen++], LEG_NUM, "%s", number);
}

void route_redir_init(struct route_redir *rd, const struct leg_setup_info *si)
{
	memset(rd, 0, sizeof(*rd));
	redir_note_seen(rd, si->called);
}

int route_redir_push(struct route_redir *rd, const char *what, const struct leg_contacts *lc, const char *by,
		     enum leg_redirect why, int may_pstn, int max_hops)
{
	struct route_redir_target t[LEG_MAX_CONTACTS];
	int n = 0;

	if (rd->hops >= max_hops) {
		LOGN(LSS_BRIDGE, "%s: redirection by %s not followed: hop limit %d reached", what, by, max_hops);
		rd->refused = 1;
		return -ELOOP;
	}
	rd->hops++;
	for (int i = 0; i < lc->n; i++) {
		if (route_redir_number(lc->uri[i], t[n].number, sizeof(t[n].number))) {
			LOGN(LSS_BRIDGE, "%s: redirect target %s has no number to route", what, lc->uri[i]);
			continue;
		}
		snprintf(t[n].by, sizeof(t[n].by), "%s", by);
		t[n].why = why;
		t[n].may_pstn = may_pstn;
		n++;
	}
	if (n > ROUTE_REDIR_QUEUE - rd->n_queued)
		n = ROUTE_REDIR_QUEUE - rd->n_queued;
	/* depth first: the new targets before the ones still waiting */
	memmove(&rd->queued[n], &rd->queued[0], (size_t)rd->n_queued * sizeof(rd->queued[0]));
	memcpy(&rd->queued[0], t, (size_t)n * sizeof(t[0]));
	rd->n_queued += n;
	return 0;
}

int route_redir_next(struct route_redir *rd, const struct leg_setup_info *orig, int max_targets)
{
	while (rd->n_queued) {
		rd->cur = rd->queued[0];
		memmove(&rd->queued[0], &rd->queued[1], (size_t)--rd->n_queued * sizeof(rd->queued[0]));
		if (redir_seen(rd, rd->cur.number)) {
			LOGN(LSS_BRIDGE, "redirection by %s to %s not followed: a loop (already tried in this call)",
			     rd->cur.by, rd->cur.number);
			rd->refused = 1;
			continue;
		}
		if (rd->targets >= max_targets) {
			LOGN(LSS_BRIDGE, "redirection by %s to %s not followed: %d targets tried already", rd->cur.by,
			     rd->cur.number, max_targets);
			rd->refused = 1;
			rd->n_queued = 0;
			return -ENOENT;
		}
		rd->targets++;
		redir_note_seen(rd, rd->cur.number);
		rd->si = *orig;
		snprintf(rd->si.called, sizeof(rd->si.called), "%s", rd->cur.number);
		snprintf(rd->si.redirecting, sizeof(rd->si.redirecting), "%s", rd->cur.by);
		rd->si.redirecting_ton = LEG_TON_UNKNOWN;
		rd->si.redirect_reason = rd->cur.why;
		return 0;
	}
	return -ENOENT;
}
