/* sipgw - redirection on a SIP leg as data: the Contacts of a 3xx to our
 * INVITE, in q order, for routing to judge (RFC 3261 8.1.3.4: the client
 * "SHOULD" try them, but which of them sipgw follows is routing's and the
 * toll-fraud door's decision, never the far end's); and the Contacts of a
 * 302/300 we answer as a redirect server (RFC 3261 21.3.1, 21.3.3).
 * SPDX-License-Identifier: GPL-2.0-only */
#include "sip/sip_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

/* A Contact's q (RFC 3261 20.10: 0 to 1, three decimals) in thousandths;
 * none is taken as the best (RFC 3261 16.6 leaves it to the client). */
static int sip_contact_q(sip_contact_t const *m)
{
	double q;

	if (!m->m_q || sscanf(m->m_q, "%lf", &q) != 1 || q > 1.0)
		return 1000;
	return q < 0 ? 0 : (int)(q * 1000 + 0.5);
}

int sip_redirect_take(struct sip_leg *sl, int status, sip_t const *sip)
{
	struct leg_contacts *lc = sl->base.contacts;
	char list[512] = "";
	size_t o = 0;

	if (!lc && !(lc = sl->base.contacts = calloc(1, sizeof(*lc))))
		return -ENOMEM;
	lc->n = 0;
	for (sip_contact_t const *m = sip ? sip->sip_contact : NULL; m; m = m->m_next) {
		int q = sip_contact_q(m), k;
		char uri[LEG_URI];

		if (!m->m_url->url_host || url_e(uri, sizeof(uri), m->m_url) < 0 || lc->n == LEG_MAX_CONTACTS)
			continue;
		/* insertion by q, stable: equal q keep the order they came in */
		for (k = lc->n; k > 0 && lc->q[k - 1] < q; k--) {
			memcpy(lc->uri[k], lc->uri[k - 1], LEG_URI);
			lc->q[k] = lc->q[k - 1];
		}
		snprintf(lc->uri[k], LEG_URI, "%s", uri);
		lc->q[k] = q;
		lc->n++;
	}
	for (int i = 0; i < lc->n && o < sizeof(list) - 2; i++)
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s;q=%d.%03d", i ? ", " : "", lc->uri[i],
				      lc->q[i] / 1000, lc->q[i] % 1000);
	LOGN(LSS_SIP, "%s %d from dial-peer %d: redirected to %s", sip_leg_describe(sl), status, sl->dial_peer,
	     lc->n ? list : "(no Contact)");
	return 0;
}

int sip_redirect_contact_str(const struct leg_contacts *lc, char *out, size_t outlen)
{
	size_t o = 0;

	out[0] = 0;
	for (int i = 0; lc && i < lc->n; i++) {
		int w = lc->n > 1 ? snprintf(out + o, outlen - o, "%s<%s>;q=%d.%03d", i ? ", " : "", lc->uri[i],
					      lc->q[i] / 1000, lc->q[i] % 1000)
				  : snprintf(out + o, outlen - o, "<%s>", lc->uri[i]);
		if (w < 0 || (size_t)w >= outlen - o)
			return -ENOSPC;
		o += (size_t)w;
	}
	return o ? 0 : -ENOENT;
}
