/* sipgw - OPTIONS keepalive pings (Cisco "voice-class sip options-keepalive")
 * on the gateway's nua: each target has one pinger, whose OPTIONS go on a
 * handle of their own (no dialog, RFC 3261 11.1) from the gateway's SIP port.
 *
 * Timer F: nta has one Timer F for every non-INVITE transaction of the agent
 * (64*T1, which sip_ua.c sets to the configured Timer B), none per request.
 * So a ping also has the pinger's own deadline, its interval: an OPTIONS not
 * answered by the time the next one is due counts as not answered (408) and
 * is let go, and only then is the next one sent. One ping of a pinger is
 * outstanding at a time; a dropped one's retransmissions are nta's until its
 * Timer F, and a late answer to it is not counted.
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

enum ka_state {
	KA_WAITING,		/* the next ping is due when the timer fires */
	KA_PINGING,		/* an OPTIONS is out; the timer is its deadline */
	KA_STOPPED,
	KA__COUNT
};

static const char *const ka_state_names[KA__COUNT] = {
	[KA_WAITING] = "WAITING", [KA_PINGING] = "PINGING", [KA_STOPPED] = "STOPPED",
};

struct ka_pinger {
	struct sip_keepalive *ka;
	size_t idx;
	enum ka_state state;
	char uri[KA_URI_LEN];
	char to[KA_URI_LEN + 2];
	nua_handle_t *nh;		/* the outstanding OPTIONS (PINGING) */
	struct loop_timer *timer;	/* next ping (WAITING) or deadline (PINGING) */
	long long t0_ms;		/* when the last ping went */
	unsigned interval_ms;		/* from t0_ms to the next ping, and the deadline */
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

static void ka_send(struct ka_pinger *kp);

static const char *ka_transport_param(int transport)
{
	return transport == DP_TP_TCP ? ";transport=tcp" : transport == DP_TP_TLS ? ";transport=tls" : "";
}

/* The ping finished (answered, refused, or its deadline passed): report,
 * then wait for the next from its start, at once if that time is past. */
static void ka_finished(struct ka_pinger *kp, int status)
{
	long long elapsed = mono_ms() - kp->t0_ms;
	unsigned next = kp->ka->result_h(kp->ka->arg, kp->idx, status);

	if (kp->state == KA_STOPPED)
		return;		/* the handler stopped the pingers */
	kp->interval_ms = next ? next : 1000;
	kp->state = KA_WAITING;
	loop_timer_start(kp->timer, elapsed < kp->interval_ms ? (unsigned)(kp->interval_ms - elapsed) : 0);
}

static void ka_drop_handle(struct ka_pinger *kp)
{
	if (kp->nh) {
		nua_handle_destroy(kp->nh);
		kp->nh = NULL;
	}
}

static void ka_timer(void *arg)
{
	struct ka_pinger *kp = arg;

	switch (kp->state) {
	case KA_WAITING:
		ka_send(kp);
		break;
	case KA_PINGING:
		LOGI(LSS_SIP, "keepalive %s [%s]: no answer to OPTIONS %u within %u ms", kp->uri,
		     ka_state_names[kp->state], kp->sent, kp->interval_ms);
		ka_drop_handle(kp);
		ka_finished(kp, 408);
		break;
	default:
		break;
	}
}

static void ka_send(struct ka_pinger *kp)
{
	struct sip_ua *ua = kp->ka->ua;

	kp->t0_ms = mono_ms();
	kp->nh = nua_handle(ua->nua, NULL, SIPTAG_TO_STR(kp->to), SIPTAG_FROM_STR(kp->ka->from), TAG_END());
	if (!kp->nh) {
		ka_finished(kp, 503);	/* we could not even send it: no better than unreachable */
		return;
	}
	kp->state = KA_PINGING;
	kp->sent++;
	/* RFC 3261 11.1: OPTIONS outside a dialog, Max-Forwards 70 (8.1.1.6), no body */
	nua_options(kp->nh, NUTAG_URL(kp->uri), SIPTAG_MAX_FORWARDS_STR("70"), TAG_END());
	loop_timer_start(kp->timer, kp->interval_ms);
}

int sip_keepalive_response(struct sip_keepalive *ka, nua_handle_t *nh, int status)
{
	for (size_t i = 0; ka && i < ka->n; i++) {
		struct ka_pinger *kp = &ka->p[i];

		if (kp->nh != nh || kp->state != KA_PINGING)
			continue;
		if (status < 200)
			return 0;	/* a 100 Trying: the final answer is still to come */
		LOGD(LSS_SIP, "keepalive %s: OPTIONS %u answered %d in %lld ms", kp->uri, kp->sent, status,
		     mono_ms() - kp->t0_ms);
		loop_timer_stop(kp->timer);
		ka_drop_handle(kp);
		ka_finished(kp, status);
		return 0;
	}
	return -ENOENT;
}

int sip_keepalive_alloc(struct sip_keepalive **kap, const struct sip_keepalive_params *p)
{
	struct sip_keepalive *ka;

	if (p->ua->ka)
		return -EINVAL;
	if (!(ka = calloc(1, sizeof(*ka))) || !(ka->p = calloc(p->n ? p->n : 1, sizeof(*ka->p)))) {
		free(ka);
		return -ENOMEM;
	}
	ka->ua = p->ua;
	ka->result_h = p->result_h;
	ka->arg = p->arg;
	snprintf(ka->from, sizeof(ka->from), "<sip:%s:%d>", p->ua->bind, p->ua->port);
	for (size_t i = 0; i < p->n; i++) {
		struct ka_pinger *kp = &ka->p[i];
		const struct sip_ka_target *t = &p->targets[i];

		kp->ka = ka;
		kp->idx = i;
		kp->state = KA_STOPPED;
		kp->interval_ms = t->first_ms ? t->first_ms : 1000;
		snprintf(kp->uri, sizeof(kp->uri), "sip:%s:%d%s", t->host, t->port, ka_transport_param(t->transport));
		snprintf(kp->to, sizeof(kp->to), "<%s>", kp->uri);
		if (loop_timer_alloc(&kp->timer, p->ua->root, "options-keepalive", ka_timer, kp)) {
			ka->n = i;
			sip_keepalive_free(ka);
			return -ENOMEM;
		}
		ka->n = i + 1;
	}
	p->ua->ka = ka;
	for (size_t i = 0; i < ka->n; i++) {
		LOGN(LSS_SIP, "keepalive: OPTIONS to %s every %u ms", ka->p[i].uri, ka->p[i].interval_ms);
		ka->p[i].state = KA_WAITING;
		loop_timer_start(ka->p[i].timer, 0);	/* the first at once, from the loop */
	}
	*kap = ka;
	return 0;
}

void sip_keepalive_stop(struct sip_keepalive *ka)
{
	for (size_t i = 0; ka && i < ka->n; i++) {
		loop_timer_stop(ka->p[i].timer);
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
		loop_timer_free(ka->p[i].timer);
	if (ka->ua->ka == ka)
		ka->ua->ka = NULL;
	free(ka->p);
	free(ka);
}
