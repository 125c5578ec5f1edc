/* sipgw - debug sip and debug rtp (sipgwctl; Cisco "debug ccsip messages",
 * "debug voip rtp session"): while on, every SIP message of the dialogs
 * asked for is logged whole, and a line per RTP packet. Sofia's message log
 * (tport) is where the whole messages come from; below log level info it
 * is off, and turned on here while a debug needs it.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "sip/sip_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sofia-sip/tport_tag.h>

#include "core/log.h"
#include "rtp/rtp.h"
#include "sip/sip_trace.h"

static int wants(struct sip_ua *ua, const char *call_id)
{
	nua_handle_t *nh;
	int yes = 0;

	if (ua->debug_all & SIP_DEBUG_SIP)
		return 1;
	if (!ua->n_debug || !call_id[0] || !ua->nua || !(nh = nua_handle_by_call_id(ua->nua, call_id)))
		return 0;
	{
		struct sip_leg *sl = nua_handle_magic(nh);
		yes = sl && (sl->debug & SIP_DEBUG_SIP);
	}
	nua_handle_unref(nh);
	return yes;
}

static void debug_msg(void *arg, int sent, const char *call_id, const char *msg)
{
	struct sip_ua *ua = arg;
	const char *l = msg;

	if (!ua || !wants(ua, call_id))
		return;
	LOGN(LSS_SIP, "debug sip %s message, Call-ID %s:", sent ? "sent" : "received", call_id[0] ? call_id : "-");
	while (l && *l) {
		const char *e = strchr(l, '\n');
		int n = e ? (int)(e - l) : (int)strlen(l);

		LOGN(LSS_SIP, "debug sip %s %.*s", sent ? ">" : "<", n, l);
		l = e ? e + 1 : NULL;
	}
}

/* Sofia logs messages only while asked (TPORT_LOG at the start, at level
 * info and above; TPTAG_LOG through nua to its transports here). */
static void tport_log(struct sip_ua *ua)
{
	int need = (ua->debug_all & SIP_DEBUG_SIP) || ua->n_debug;

	if (log_get_level() < LOG_LVL_INFO && ua->nua)
		nua_set_params(ua->nua, TPTAG_LOG(need), TAG_END());
}

void sip_debug_leg_gone(struct sip_leg *sl)
{
	if (!(sl->debug & SIP_DEBUG_SIP))
		return;
	sl->debug = 0;
	sl->ua->n_debug--;
	tport_log(sl->ua);
}

int sip_ua_debug(struct sip_ua *ua, unsigned what, int on, const char *call_id)
{
	struct sip_leg *sl = NULL;
	nua_handle_t *nh;

	sip_trace_set_msg_h(debug_msg);
	if (!call_id) {
		ua->debug_all = on ? ua->debug_all | what : ua->debug_all & ~what;
		if (what & SIP_DEBUG_RTP)
			rtp_debug_all(on);
		tport_log(ua);
		return 0;
	}
	if (!ua->nua || !(nh = nua_handle_by_call_id(ua->nua, call_id)))
		return -ENOENT;
	sl = nua_handle_magic(nh);
	nua_handle_unref(nh);
	if (!sl)
		return -ENOENT;
	if ((what & SIP_DEBUG_SIP) && !!(sl->debug & SIP_DEBUG_SIP) != !!on)
		on ? ua->n_debug++ : ua->n_debug--;
	sl->debug = on ? sl->debug | what : sl->debug & ~what;
	if ((what & SIP_DEBUG_RTP) && sl->rtp)
		rtp_set_debug(sl->rtp, on ? sip_leg_describe(sl) : NULL);
	tport_log(ua);
	return 0;
}
