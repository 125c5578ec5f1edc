/* sipgw - OPTIONS keepalive pings to voip peers (Cisco "voice-class sip
 * options-keepalive"), on the gateway's own nua: one pinger per target, one
 * OPTIONS of it outstanding at a time. What an answer means is the
 * handler's business (routing's peer health); this side only sends and
 * reports. SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_SIP_SIP_KEEPALIVE_H
#define SIPGW_SIP_SIP_KEEPALIVE_H

#include <stddef.h>

struct sip_ua;
struct sip_keepalive;

/** One ping to target idx counted with status: the peer's final response,
 * 408 for an interval that passed without one, 503 when the network
 * refused it (ICMP). Returns the interval between pings from now on (ms). */
typedef unsigned (sip_ka_result_h)(void *arg, size_t idx, int status);

struct sip_ka_target {
	const char *host;
	int port;
	int transport;		/* enum dp_transport */
	unsigned first_ms;	/* the interval until the handler first says otherwise */
};

struct sip_keepalive_params {
	struct sip_ua *ua;
	const struct sip_ka_target *targets;	/* copied */
	size_t n;
	sip_ka_result_h *result_h;
	void *arg;
};

/** The pingers, each sending its first OPTIONS at once. The UA must outlive
 * them; sip_ua_shutdown() stops them. 0, -EINVAL (a second one on the UA),
 * -ENOMEM. */
int sip_keepalive_alloc(struct sip_keepalive **kap, const struct sip_keepalive_params *p);
/** No more pings: outstanding ones are dropped, their handles destroyed. */
void sip_keepalive_stop(struct sip_keepalive *ka);
/** Stops, then frees; accepts NULL. */
void sip_keepalive_free(struct sip_keepalive *ka);

#endif
