/* sipgw - OPTIONS keepalive pings (Cisco "voice-class sip options-keepalive")
 * on the gateway's nua: each target has one pinger, whose OPTIONS go on a
 * handle of their own (no dialog, RFC 3261 11.1) from the gateway's SIP port.
 *
 * One OPTIONS per target is out at a time, never a queue of them. nta has
 * one Timer F for every non-INVITE transaction of the agent (64*T1, which
 * sip_ua.c sets to the configured Timer B), none per request, so the pinger
 * keeps its own clock: each interval that passes with no final response
 * counts as one unanswered ping (408), while nta goes on retransmitting the
 * same OPTIONS (RFC 3261 17.1.2.2, every T2 at most). A late answer to it
 * counts as alive; its end without one (Timer F) is not counted again; the
 * next OPTIONS goes at the next tick after it has finished.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "sip/sip_keepalive.h"
#include "sip/sip_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sofia-sip/sip_tag.h>

#include "core/dialpeer.h"
#include "core/log.h"
#include "core/loop.h"

#define KA_URI_LEN 192
#define KA_DEFAULT_MS 1000	/* a handler that gives no interval */

enum ka_state {
	KA_IDLE,		/* no OPTIONS out; the next goes at the tick */
	KA_PINGING,		/* an OPTIONS out, within its interval */
	KA_OVERDUE,		/* ... past it, counted unanswered; nta still retransmits it */
	KA_STOPPED,
	KA__COUNT
};

static const char *const ka_state_names[KA__COUNT] = {
	[KA_IDLE] = "IDLE", [KA_PINGING] = "PINGING", [KA_OVERDUE] = "OVERDUE", [KA_STOPPED] = "STOPPED",
};

struct ka_pinger {
	struct sip_keepalive *ka;
	size_t idx;
	enum ka_state state;
	char uri[KA_URI_LEN];
	char to[KA_URI_LEN + 2];
	nua_handle_t *nh;		/* the OPTIONS out (PINGING, OVERDUE) */
	struct loop_timer *tick;	/* the next ping, or the end of the interval of the one out */
	long long t0_ms;		/* when the one out (or the last) went */
	unsigned interval_ms;		/* the handler's last word */
	unsigned sent;
};

struct sip_keepalive {
	struct sip_ua *ua;
	sip_ka_result_h *result_h;
	void *arg;
	char from[KA_URI_LEN];
	struct ka_pinger *p;
	size_t n;
};

static const char *ka_transport_param(int transport)
{
	return transport == DP_TP_TCP ? ";transport=tcp" : transport == DP_TP_TLS ? ";transport=tls" : "";
}

static void ka_move(struct ka_pinger *kp, enum ka_state st)
{
	LOGD(LSS_SIP, "keepalive %s [%s] -> %s", kp->uri, ka_state_names[kp->state], ka_state_names[st]);
	kp->state = st;
}

/* Routing counts one ping; its answer is the interval from now on. */
static void ka_report(struct ka_pinger *kp, int status)
{
	unsigned ms = kp->ka->result_h(kp->ka->arg, kp->idx, status);

	kp->interval_ms = ms ? ms : KA_DEFAULT_MS;
}

static void ka_drop_handle(struct ka_pinger *kp)
{
	if (kp->nh) {
		nua_handle_destroy(kp->nh);
		kp->nh = NULL;
	}
}

static void ka_send(struct ka_pinger *kp)
{
	struct sip_ua *ua = kp->ka->ua;

	kp->t0_ms = mono_ms();
	kp->nh = nua_handle(ua->nua, NULL, SIPTAG_TO_STR(kp->to), SIPTAG_FROM_STR(kp->ka->from), TAG_END());
	if (!kp->nh) {
		ka_report(kp, 503);	/* not even sent: no better than unreachable */
		loop_timer_start(kp->tick, kp->interval_ms);
		return;
	}
	kp->sent++;
	ka_move(kp, KA_PINGING);
	/* RFC 3261 11.1: OPTIONS outside a dialog, Max-Forwards 70 (8.1.1.6), no body */
	nua_options(kp->nh, NUTAG_URL(kp->uri), SIPTAG_MAX_FORWARDS_STR("70"), TAG_END());
	loop_timer_start(kp->tick, kp->interval_ms);
}

static void ka_tick(void *arg)
{
	struct ka_pinger *kp = arg;

	switch (kp->state) {
	case KA_IDLE:
		ka_send(kp);
		break;
	case KA_PINGING:
	case KA_OVERDUE:
		/* An interval without a final response: one ping unanswered. */
		LOGI(LSS_SIP, "keepalive %s [%s]: OPTIONS %u unanswered after %lld ms", kp->uri,
		     ka_state_names[kp->state], kp->sent, mono_ms() - kp->t0_ms);
		ka_move(kp, KA_OVERDUE);
		ka_report(kp, 408);
		loop_timer_start(kp->tick, kp->interval_ms);
		break;
	default:
		break;
	}
}

int sip_keepalive_response(struct sip_keepalive *ka, nua_handle_t *nh, int status)
{
	for (size_t i = 0; ka && i < ka->n; i++) {
		struct ka_pinger *kp = &ka->p[i];
		enum ka_state was = kp->state;
		long long took;

		if (kp->nh != nh || !nh)
			continue;
		if (status < 200)
			return 0;	/* a 100 Trying: the final answer is still to come */
		took = mono_ms() - kp->t0_ms;
		LOGD(LSS_SIP, "keepalive %s [%s]: OPTIONS %u: %d after %lld ms", kp->uri, ka_state_names[was],
		     kp->sent, status, took);
		ka_drop_handle(kp);
		ka_move(kp, KA_IDLE);
		if (was == KA_PINGING) {
			/* in time: counted now, the next one interval after this one went */
			ka_report(kp, status);
			loop_timer_start(kp->tick, took < kp->interval_ms ? (unsigned)(kp->interval_ms - took) : 0);
		} else if (was == KA_OVERDUE && status != 408 && status != 503) {
			ka_report(kp, status);	/* late, but alive; the tick already runs */
		}
		return 0;
	}
	return -ENOENT;
}

int sip_keepalive_alloc(struct sip_keepalive **kap, const struct sip_keepalive_params *p)
{
	struct sip_keepalive *ka;
	char hp[SIP_HOSTPORT_LEN];

	if (p->ua->ka)
		return -EINVAL;
	if (!(ka = calloc(1, sizeof(*ka))) || !(ka->p = calloc(p->n ? p->n : 1, sizeof(*ka->p)))) {
		free(ka);
		return -ENOMEM;
	}
	ka->ua = p->ua;
	ka->result_h = p->result_h;
	ka->arg = p->arg;
	snprintf(ka->from, sizeof(ka->from), "<sip:%s>", sip_hostport(hp, p->ua->bind, p->ua->port));
	for (size_t i = 0; i < p->n; i++) {
		struct ka_pinger *kp = &ka->p[i];
		const struct sip_ka_target *t = &p->targets[i];

		kp->ka = ka;
		kp->idx = i;
		kp->state = KA_STOPPED;
		kp->interval_ms = t->first_ms ? t->first_ms : KA_DEFAULT_MS;
		/* RFC 3261 25.1: an IPv6 reference goes in brackets (sip_addr.h) */
		snprintf(kp->uri, sizeof(kp->uri), "sip:%s%s", sip_hostport(hp, t->host, t->port),
			 ka_transport_param(t->transport));
		snprintf(kp->to, sizeof(kp->to), "<%s>", kp->uri);
		if (loop_timer_alloc(&kp->tick, p->ua->root, "options-keepalive", ka_tick, kp)) {
			ka->n = i;
			sip_keepalive_free(ka);
			return -ENOMEM;
		}
		ka->n = i + 1;
	}
	p->ua->ka = ka;
	for (size_t i = 0; i < ka->n; i++) {
		LOGN(LSS_SIP, "keepalive: OPTIONS to %s every %u ms", ka->p[i].uri, ka->p[i].interval_ms);
		ka->p[i].state = KA_IDLE;
		loop_timer_start(ka->p[i].tick, 0);	/* the first at once, from the loop */
	}
	*kap = ka;
	return 0;
}

void sip_keepalive_stop(struct sip_keepalive *ka)
{
	for (size_t i = 0; ka && i < ka->n; i++) {
		loop_timer_stop(ka->p[i].tick);
		ka_drop_handle(&ka->p[i]);
		ka->p[i].state = KA_STOPPED;
	}
}

void sip_keepalive_free(struct sip_keepalive *ka)
{
	if (!ka)
		return;
	sip_keepalive_stop(ka);
	for (size_t i = 0; i < ka->n; i++)
		loop_timer_free(ka->p[i].tick);
	if (ka->ua->ka == ka)
		ka->ua->ka = NULL;
	free(ka->p);
	free(ka);
}
