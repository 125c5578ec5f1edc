/* sipgw - the gateway's SIP capabilities as the code has them, one table
 * each for methods and option tags, so that Allow and Supported never
 * promise what nothing here answers (RFC 3261 20.5, 20.37); the Warning a
 * refused offer carries (RFC 3261 20.43); OPTIONS answered by the gateway
 * itself, 200 while it can take calls, 503 while it cannot (RFC 3261 11,
 * 21.5.4), for the dispatchers that probe it.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "sip/sip_internal.h"
#include "sip/sip_caps.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>

#include "core/log.h"
#include "core/netaddr.h"
#include "dsp/codec.h"
#include "sip/sip_addr.h"

/* What a method or option tag needs to be on. */
enum sip_cap_need { CAP_ALWAYS, CAP_REGISTRAR, CAP_SESSION_TIMERS, CAP_TRANSFER };

struct sip_cap {
	const char *name;
	enum sip_cap_need need;
};

/* Every method the gateway handles, and who does. Not here, so answered
 * 405 with this Allow by nta (RFC 3261 8.2.1): MESSAGE, SUBSCRIBE, NOTIFY
 * (we subscribe to nothing, send no REFER), PUBLISH. Unknown methods get
 * nta's 501 (RFC 3261 21.5.2: a method not recognised), with Allow too. */
static const struct sip_cap sip_methods[] = {
	{ "INVITE", CAP_ALWAYS },	/* sip_incoming.c, sip_leg.c (re-INVITE) */
	{ "ACK", CAP_ALWAYS },
	{ "BYE", CAP_ALWAYS },		/* sip_leg*.c; BYE/Also in sip_refer.c */
	{ "CANCEL", CAP_ALWAYS },
	{ "OPTIONS", CAP_ALWAYS },	/* sip_caps_options() */
	{ "PRACK", CAP_ALWAYS },	/* nua, for our reliable 18x (RFC 3262) */
	{ "UPDATE", CAP_ALWAYS },	/* sip_offer.c sip_offer_in (RFC 3311) */
	{ "INFO", CAP_ALWAYS },		/* sip_hold.c sip_info_in: DTMF, passed on (RFC 6086 legacy) */
	{ "REFER", CAP_TRANSFER },	/* sip_refer.c (RFC 3515) */
	{ "REGISTER", CAP_REGISTRAR },	/* registrar.c */
};

/* Option tags (RFC 3261 19.2) whose extension works here. */
static const struct sip_cap sip_options[] = {
	{ "100rel", CAP_ALWAYS },	/* nua: reliable 18x and PRACK (RFC 3262) */
	{ "timer", CAP_SESSION_TIMERS },	/* sip_timers.c (RFC 4028) */
	{ "replaces", CAP_ALWAYS },	/* sip_replaces_leg(): INVITE with Replaces (RFC 3891), routing decides */
};

/* These come to nua_cb (sip_ua.c) to be answered; nua answers the others
 * (ACK, BYE, CANCEL, PRACK) itself. INVITE must be here: nua would answer
 * one it is not told the application answers with 200 by itself. */
const char sip_caps_appl_methods[] = "INVITE, OPTIONS, REGISTER, REFER, INFO, UPDATE";

static int cap_on(const struct sip_caps_role *r, enum sip_cap_need need)
{
	switch (need) {
	case CAP_REGISTRAR: return r->registrar;
	case CAP_SESSION_TIMERS: return r->session_timers;
	case CAP_TRANSFER: return r->transfer;
	default: return 1;
	}
}

static int cap_list(const struct sip_cap *caps, size_t n, const struct sip_caps_role *r, char *buf, size_t len)
{
	size_t off = 0;
	int rc = 0;

	if (!len)
		return -ENOSPC;
	buf[0] = 0;
	for (size_t i = 0; i < n; i++)
		if (cap_on(r, caps[i].need))
			rc |= sdp_put(buf, len, &off, "%s%s", off ? ", " : "", caps[i].name);
	return rc ? -ENOSPC : 0;
}

int sip_caps_allow(const struct sip_caps_role *role, char *buf, size_t len)
{
	return cap_list(sip_methods, sizeof(sip_methods) / sizeof(sip_methods[0]), role, buf, len);
}

int sip_caps_supported(const struct sip_caps_role *role, char *buf, size_t len)
{
	return cap_list(sip_options, sizeof(sip_options) / sizeof(sip_options[0]), role, buf, len);
}

int sip_caps_warning(char *buf, size_t len, int code, const char *host, int port, const char *text)
{
	char hp[SIP_HOSTPORT_LEN];
	/* the agent is a hostport (RFC 3261 25.1 warn-agent): IPv6 bracketed */
	int n = snprintf(buf, len, "%d %s \"", code, sip_hostport(hp, host, port));
	const char *t = text ? text : "";

	if (n < 0 || (size_t)n + 2 > len) {
		if (len)
			snprintf(buf, len, "%d - \"\"", code);
		return -ENOSPC;
	}
	/* RFC 3261 25.1 quoted-string: no bare quote, backslash or control */
	for (; *t && (size_t)n < len - 2; t++)
		buf[n++] = (*t == '"' || *t == '\\' || (unsigned char)*t < 0x20) ? '\'' : *t;
	buf[n++] = '"';
	buf[n] = 0;
	return *t ? -ENOSPC : 0;
}

void sip_caps_offer_refusal(int rc, const struct sdp_info *si, const char *ours, struct sip_caps_refusal *r)
{
	const char *why = si && si->error[0] ? si->error : "unreadable SDP";

	r->status = 488;
	switch (rc) {
	case -ENOENT:	/* RFC 3261 13.2.1 allows an offer in the ACK; not taken here */
		r->warn = SIP_WARN_MISC;
		snprintf(r->text, sizeof(r->text), "an SDP offer is required in the INVITE");
		break;
	case -ENOMEDIUM:
		r->warn = SIP_WARN_MEDIA_TYPE;
		snprintf(r->text, sizeof(r->text), "no audio stream offered");
		break;
	case -EPROTO:
		r->warn = SIP_WARN_FORMAT;
		snprintf(r->text, sizeof(r->text), "no codec in common%s%s", ours ? "; we take " : "",
			 ours ? ours : "");
		break;
	case -EPROTONOSUPPORT:
		r->warn = SIP_WARN_TRANSPORT;
		snprintf(r->text, sizeof(r->text), "audio transport %s not taken; RTP/AVP or RTP/AVPF",
			 si && si->ml.audio >= 0 ? si->ml.m[si->ml.audio].proto : "?");
		break;
	case -EKEYREJECTED:	/* sip_srtp.c: SDES keys (RFC 4568) we cannot take */
		r->warn = SIP_WARN_FORMAT;
		snprintf(r->text, sizeof(r->text), "no SRTP key we take (AES_CM_128_HMAC_SHA1_80 or _32, one "
			 "inline key, no MKI)");
		break;
	case -E2BIG:
		r->warn = SIP_WARN_MISC;
		snprintf(r->text, sizeof(r->text), "%s", why);
		break;
	default:	/* malformed (RFC 3261 21.4.1), with Sofia's reason */
		r->status = 400;
		r->warn = SIP_WARN_MISC;
		snprintf(r->text, sizeof(r->text), "%s", why);
		break;
	}
}

static const char *const avail_names[] = {
	[SIP_AVAIL_YES] = "available",
	[SIP_AVAIL_SPANS_DOWN] = "every span's D-channel is down",
	[SIP_AVAIL_BUSY] = "every B-channel is busy",
	[SIP_AVAIL_OVERLOAD] = "overload control is shedding",
};

const char *sip_avail_name(enum sip_avail a)
{
	return (unsigned)a <= SIP_AVAIL_OVERLOAD ? avail_names[a] : "?";
}

/* ---- on Sofia */

int sip_caps_init(struct sip_ua *ua, const struct sip_ua_params *p)
{
	struct sip_caps_role role = {
		.registrar = p->reg != NULL, .session_timers = p->timers.session_expires_s > 0,
		.transfer = p->refer_h != NULL,
	};

	if (sip_caps_allow(&role, ua->allow, sizeof(ua->allow)) ||
	    sip_caps_supported(&role, ua->supported, sizeof(ua->supported)))
		return -ENOSPC;	/* the tables outgrew the buffers: a build error */
	return 0;
}

void sip_caps_refuse_warn(struct sip_ua *ua, nua_handle_t *nh, int status, int code, const char *text,
			  int with_this)
{
	char warning[200], host[sizeof(ua->bind)], source[NETADDR_STRLEN];

	/* a wildcard bind: the address the peer reaches us on (sip_addr.c) */
	sip_request_source(ua, source, sizeof(source));
	if (sip_addr_own_host(host, sizeof(host), ua->bind, source) == -ENOSPC)
		snprintf(host, sizeof(host), "%s", ua->bind);
	sip_caps_warning(warning, sizeof(warning), code, host, ua->port, text);
	nua_respond(nh, status, sip_status_phrase(status), SIPTAG_WARNING_STR(warning),
		    TAG_IF(status == 415, SIPTAG_ACCEPT_STR(SIP_CAPS_ACCEPT_SDP)),
		    TAG_IF(with_this, NUTAG_WITH_THIS(ua->nua)), TAG_END());
}

int sip_caps_refuse_offer(struct sip_ua *ua, nua_handle_t *nh, int rc, const struct sdp_info *si,
			  const struct sip_leg *sl, int with_this)
{
	struct sip_caps_refusal r;
	char ours[64] = "";
	size_t off = 0;

	for (int i = 0; sl && rc == -EPROTO && i < sl->n_prefs; i++)
		if (sdp_put(ours, sizeof(ours), &off, "%s%s", off ? " " : "", sl->prefs[i]->name))
			break;
	sip_caps_offer_refusal(rc, si, ours[0] ? ours : NULL, &r);
	sip_caps_refuse_warn(ua, nh, r.status, r.warn, r.text, with_this);
	return r.status;
}

/* Why the gateway cannot take a call now, cheaply: a dispatcher probes
 * this every few seconds. */
static enum sip_avail caps_available(struct sip_ua *ua)
{
	if (ua->ovl.state == SIP_OVL_SHEDDING)
		return SIP_AVAIL_OVERLOAD;
	return ua->available_h ? (enum sip_avail)ua->available_h(ua->available_arg) : SIP_AVAIL_YES;
}

void sip_caps_options(struct sip_ua *ua, nua_handle_t *nh, sip_t const *sip, int in_dialog)
{
	static struct log_limit lim;
	enum sip_avail a = in_dialog ? SIP_AVAIL_YES : caps_available(ua);
	char retry[16], source[64];

	if (a == SIP_AVAIL_YES) {
		/* nua adds Allow, Supported and Accept: application/sdp (its
		 * invite_accept) to a 2xx to OPTIONS */
		nua_respond(nh, SIP_200_OK, NUTAG_WITH_THIS(ua->nua), TAG_END());
		return;
	}
	sip_request_source(ua, source, sizeof(source));
	LOGI_LIMIT(&lim, LSS_SIP, "OPTIONS from %s: 503, %s", source, sip_avail_name(a));
	snprintf(retry, sizeof(retry), "%u",
		 sip_ovl_retry_after(ua->ovl.p.retry_after_s ? ua->ovl.p.retry_after_s : 2, (unsigned long)random()));
	nua_respond(nh, SIP_503_SERVICE_UNAVAILABLE, NUTAG_WITH_THIS(ua->nua), SIPTAG_RETRY_AFTER_STR(retry),
		    SIPTAG_ACCEPT_STR(SIP_CAPS_ACCEPT_SDP), TAG_END());
}

void sip_caps_outside(struct sip_ua *ua, nua_event_t event, nua_handle_t *nh)
{
	switch (event) {
	case nua_i_info:
		/* INFO belongs to an INVITE dialog (RFC 6086 4.2): with none
		 * there is no call for it, and it is in our Allow, so not 405 */
		nua_respond(nh, SIP_481_NO_TRANSACTION, NUTAG_WITH_THIS(ua->nua), TAG_END());
		break;
	case nua_i_refer:
		/* a REFER outside a dialog asks us to place a call for whoever
		 * sends it (RFC 3515 2.4.2 allows it): no leg, no transferor's
		 * rights to route it with, so refused */
		nua_respond(nh, 403, "REFER outside a dialog not accepted", NUTAG_WITH_THIS(ua->nua), TAG_END());
		break;
	case nua_i_update:
		nua_respond(nh, SIP_481_NO_TRANSACTION, NUTAG_WITH_THIS(ua->nua), TAG_END());
		break;
	default:
		break;
	}
}
