/* sipgw - a reload on the running user agent (sip_ua.h sip_ua_reconfigure):
 * the settings new legs copy when they are made. Legs up keep their own
 * copies (sip_leg.c takes dtmf-relay, codecs and the RTP timeouts at
 * alloc), so a call up is not touched. SPDX-License-Identifier: GPL-2.0-only */
#include "sip/sip_internal.h"

#include <sofia-sip/nta_tag.h>

#include "core/log.h"
#include "sip/sip_ua.h"

void sip_ua_reconfigure(struct sip_ua *ua, const struct sip_ua_params *p)
{
	if (p->dtmf_relay)
		ua->dtmf_relay = *p->dtmf_relay;
	if (p->codecs)
		ua->codecs = *p->codecs;
	ua->vad = p->vad;
	ua->fax_t38 = p->fax_t38;
	ua->t38_redundancy = p->t38_redundancy;
	ua->tp.rtp_timeout_ms = p->timers.rtp_timeout_ms;
	ua->tp.rtp_hold_timeout_ms = p->timers.rtp_hold_timeout_ms;
	if (p->timer_b_ms && p->timer_b_ms != ua->timer_b_ms) {
		/* RFC 3261 17.1.1.2: nta's 64*T1 for its transactions from now
		 * on; the legs' own Timer B reads ua->timer_b_ms at INVITE time */
		ua->timer_b_ms = p->timer_b_ms;
		nua_set_params(ua->nua, NTATAG_SIP_T1X64(ua->timer_b_ms), TAG_END());
	}
	/* RFC 3261 21.5.4: the overload limits, the bucket and episode kept */
	ua->ovl.p.max_call_rate = p->ovl.max_call_rate;
	ua->ovl.p.retry_after_s = p->ovl.retry_after_s;
	if (ua->ovl.fd >= 0)
		ua->ovl.p.max_queue_delay_ms = p->ovl.max_queue_delay_ms;
	LOGI(LSS_SIP, "reloaded: codecs, dtmf-relay, vad, fax, RTP timeouts, Timer B %u ms, overload limits",
	     ua->timer_b_ms);
}
