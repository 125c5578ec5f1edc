/* sipgw - voip peers' health: Cisco's options-keepalive counting per
 * session target. SPDX-License-Identifier: GPL-2.0-only */
#include "route/peer_health.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "sip/sip_addr.h"

struct peer_health {
	struct ph_target *t;
	size_t n;
};

static const char *const ph_state_names[PH__COUNT] = {
	[PH_IN_SERVICE] = "in service",
	[PH_BUSIED_OUT] = "busied out",
};

const char *peer_health_state_name(enum ph_state st)
{
	return st < PH__COUNT ? ph_state_names[st] : "?";
}

static struct ph_target *ph_find(const struct peer_health *ph, const char *host, int port, int transport)
{
	for (size_t i = 0; ph && i < ph->n; i++)
		if (ph->t[i].port == port && ph->t[i].transport == transport && !strcasecmp(ph->t[i].host, host))
			return &ph->t[i];
	return NULL;
}

/* One more dial-peer on target (host, port): a new target, or a tag on the
 * one already there. Two dial-peers on one target are one pinger (one
 * OPTIONS stream per peer, as a proxy would want); the first one's
 * intervals and counts are the target's. */
static int ph_add(struct peer_health *ph, const struct dial_peer *dp, const char *host, int port)
{
	struct ph_target *t = ph_find(ph, host, port, dp->transport);
	char hp[SIP_HOSTPORT_LEN];

	if (t) {
		if (t->n_tags < PH_MAX_TAGS)
			t->tags[t->n_tags++] = dp->tag;
		if (dp->options_up_ms != t->up_ms || dp->options_down_ms != t->down_ms ||
		    dp->options_retry != t->retry || dp->options_recovery != t->recovery)
			LOGN(LSS_BRIDGE, "dial-peer %d (%s): keepalive settings of dial-peer %d kept, "
			     "this one's ignored (one pinger per target)", dp->tag, sip_hostport(hp, host, port),
			     t->tags[0]);
		return 0;
	}
	t = &ph->t[ph->n++];
	snprintf(t->host, sizeof(t->host), "%s", host);
	t->port = port;
	t->transport = dp->transport;
	t->tags[0] = dp->tag;
	t->n_tags = 1;
	t->up_ms = dp->options_up_ms;
	t->down_ms = dp->options_down_ms;
	t->retry = dp->options_retry > 0 ? dp->options_retry : 1;
	t->recovery = dp->options_recovery > 0 ? dp->options_recovery : 1;
	t->state = PH_IN_SERVICE;	/* as Cisco: calls go until the pings say otherwise */
	return 0;
}

int peer_health_alloc(struct peer_health **php, const struct dial_peer *peers, size_t n)
{
	struct peer_health *ph = calloc(1, sizeof(*ph));

	if (!ph || !(ph->t = calloc(n ? n : 1, sizeof(*ph->t)))) {
		free(ph);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		const struct dial_peer *dp = &peers[i];
		char host[PH_HOST_LEN];
		int port;

		if (dp->type != DP_VOIP || !dp->options_keepalive || dp_targets_registrar(dp) ||
		    dp_session_target(dp, host, sizeof(host), &port))
			continue;
		ph_add(ph, dp, host, port);
	}
	*php = ph;
	return 0;
}

void peer_health_take_state(struct peer_health *ph, const struct peer_health *from)
{
	for (size_t i = 0; i < ph->n; i++) {
		struct ph_target *t = &ph->t[i];
		const struct ph_target *o = ph_find(from, t->host, t->port, t->transport);

		if (!o)
			continue;
		t->state = o->state;
		t->fails = o->fails;
		t->answers = o->answers;
		t->last_status = o->last_status;
	}
}

int peer_health_same(const struct peer_health *a, const struct peer_health *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++) {
		const struct ph_target *x = &a->t[i], *y = &b->t[i];

		if (x->port != y->port || x->transport != y->transport || strcasecmp(x->host, y->host) ||
		    x->up_ms != y->up_ms || x->down_ms != y->down_ms || x->retry != y->retry ||
		    x->recovery != y->recovery || x->n_tags != y->n_tags ||
		    memcmp(x->tags, y->tags, x->n_tags * sizeof(x->tags[0])))
			return 0;
	}
	return 1;
}

void peer_health_free(struct peer_health *ph)
{
	if (!ph)
		return;
	free(ph->t);
	free(ph);
}

size_t peer_health_count(const struct peer_health *ph)
{
	return ph ? ph->n : 0;
}

const struct ph_target *peer_health_target(const struct peer_health *ph, size_t i)
{
	return ph && i < ph->n ? &ph->t[i] : NULL;
}

enum ph_state peer_health_state(const struct peer_health *ph, size_t i)
{
	return ph && i < ph->n ? ph->t[i].state : PH_IN_SERVICE;
}

int peer_health_answered(int status)
{
	return status >= 100 && status < 700 && status != 408 && status != 503;
}

/* "dial-peer 100 (127.0.0.1:5070)", or "dial-peers 100, 101 (...)". */
static void ph_describe(const struct ph_target *t, char *buf, size_t len)
{
	size_t o = (size_t)snprintf(buf, len, "dial-peer%s ", t->n_tags > 1 ? "s" : "");
	char hp[SIP_HOSTPORT_LEN];

	for (size_t k = 0; k < t->n_tags && o < len; k++)
		o += (size_t)snprintf(buf + o, len - o, "%s%d", k ? ", " : "", t->tags[k]);
	if (o < len)
		snprintf(buf + o, len - o, " (%s)", sip_hostport(hp, t->host, t->port));	/* [v6]:port */
}

unsigned peer_health_report(struct peer_health *ph, size_t i, int status)
{
	struct ph_target *t;
	int alive = peer_health_answered(status);
	char who[PH_HOST_LEN + 16 * PH_MAX_TAGS];

	if (!ph || i >= ph->n)
		return 0;
	t = &ph->t[i];
	t->last_status = status;
	ph_describe(t, who, sizeof(who));
	LOGD(LSS_BRIDGE, "%s [%s] OPTIONS: %d (%s)", who, ph_state_names[t->state], status,
	     alive ? "answered" : "no answer");
	switch (t->state) {
	case PH_IN_SERVICE:
		if (alive) {
			t->fails = 0;
			break;
		}
		if (++t->fails < t->retry)
			break;
		t->state = PH_BUSIED_OUT;
		t->answers = 0;
		LOGN(LSS_BRIDGE, "%s busied out: no answer to %d OPTIONS (last %d)", who, t->fails, status);
		break;
	case PH_BUSIED_OUT:
		if (!alive) {
			t->answers = 0;
			break;
		}
		if (++t->answers < t->recovery)
			break;
		t->state = PH_IN_SERVICE;
		t->fails = 0;
		LOGN(LSS_BRIDGE, "%s back in service: %d OPTIONS answered (last %d)", who, t->answers, status);
		break;
	default:
		break;
	}
	return t->state == PH_BUSIED_OUT ? t->down_ms : t->up_ms;
}

int peer_health_check(const struct peer_health *ph, const char *host, int port, int transport)
{
	const struct ph_target *t = host ? ph_find(ph, host, port, transport) : NULL;

	return t && t->state == PH_BUSIED_OUT ? -EHOSTDOWN : 0;
}
