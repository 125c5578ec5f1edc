/* sipgw - phone simulator: what an incoming INVITE says of who calls.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "sim/phone_pcall.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/sip_extra.h>
#include <sofia-sip/sip_header.h>

/* What an INVITE says of who calls: From, P-Asserted-Identity (RFC 3325)
 * and Privacy (RFC 3323), for the tests to check. */
void phone_print_identity(struct phone *ph, int id, sip_t const *sip)
{
	sip_p_asserted_identity_t const *paid = sip_p_asserted_identity(sip);
	char pai[128] = "-", privacy[64] = "-";

	if (paid && paid->paid_url->url_user)
		snprintf(pai, sizeof(pai), "%s", paid->paid_url->url_user);
	for (sip_unknown_t const *u = sip->sip_unknown; u && pai[0] == '-'; u = u->un_next)
		if (u->un_name && !strcasecmp(u->un_name, "P-Asserted-Identity") && u->un_value) {
			const char *p = strstr(u->un_value, "sip:");
			if (p)
				snprintf(pai, sizeof(pai), "%.*s", (int)strcspn(p + 4, "@;>"), p + 4);
		}
	if (sip->sip_privacy && sip->sip_privacy->priv_values && sip->sip_privacy->priv_values[0])
		snprintf(privacy, sizeof(privacy), "%s", sip->sip_privacy->priv_values[0]);
	const char *div = NULL, *hist = NULL;

	for (sip_unknown_t const *u = sip->sip_unknown; u; u = u->un_next) {
		if (u->un_name && !strcasecmp(u->un_name, "Diversion") && !div)
			div = u->un_value;
		if (u->un_name && !strcasecmp(u->un_name, "History-Info") && !hist)
			hist = u->un_value;
	}
	phone_out(ph, "EVENT", "call %d identity from=%s@%s pai=%s privacy=%s", id,
		  sip->sip_from && sip->sip_from->a_url->url_user ? sip->sip_from->a_url->url_user : "",
		  sip->sip_from && sip->sip_from->a_url->url_host ? sip->sip_from->a_url->url_host : "", pai, privacy);
	/* the header values as they came, for the tests to parse */
	phone_out(ph, "EVENT", "call %d diversion %s", id, div ? div : "-");
	phone_out(ph, "EVENT", "call %d history-info %s", id, hist ? hist : "-");
	/* a transfer's new INVITE (RFC 3892, RFC 3891): only when present */
	if (sip->sip_referred_by && sip->sip_referred_by->b_url->url_user)
		phone_out(ph, "EVENT", "call %d referred-by %s@%s", id,
			  sip->sip_referred_by->b_url->url_user,
			  sip->sip_referred_by->b_url->url_host ? sip->sip_referred_by->b_url->url_host : "");
	if (sip->sip_replaces)
		phone_out(ph, "EVENT", "call %d replaces call-id=%s", id, sip->sip_replaces->rp_call_id);
}
