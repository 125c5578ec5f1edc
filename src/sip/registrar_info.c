/* sipgw - the registrar's bindings as sipgwctl's show registrations reads
 * them (Cisco "show sip-ua register status", Asterisk "pjsip show
 * contacts"): read-only, in a stable order. SPDX-License-Identifier: GPL-2.0-only */
#include "sip/registrar.h"
#include "sip/registrar_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void registrar_info_note(struct binding *b, const char *source, sip_t const *sip)
{
	snprintf(b->source, sizeof(b->source), "%s", source ? source : "");
	snprintf(b->user_agent, sizeof(b->user_agent), "%s",
		 sip && sip->sip_user_agent && sip->sip_user_agent->g_string ? sip->sip_user_agent->g_string : "");
}

static int by_aor(const void *x, const void *y)
{
	const struct binding *a = *(const struct binding *const *)x, *b = *(const struct binding *const *)y;
	int d = strcmp(a->aor, b->aor);

	return d ? d : strcmp(a->contact, b->contact);
}

unsigned registrar_foreach(struct registrar *r, long long now, registrar_each_h *h, void *arg)
{
	const struct binding **v;
	unsigned n = 0;

	if (!r || !r->n)
		return 0;
	if (!now)
		now = (long long)time(NULL);
	if (!(v = malloc(r->n * sizeof(*v))))
		return 0;
	for (size_t i = 0; i < r->n; i++)
		if (r->b[i].expires_at > now)	/* expired ones wait for the purge */
			v[n++] = &r->b[i];
	qsort(v, n, sizeof(*v), by_aor);
	for (unsigned i = 0; i < n; i++)
		h(arg, &(struct reg_info){ .aor = v[i]->aor, .contact = v[i]->contact, .source = v[i]->source,
					   .user_agent = v[i]->user_agent,
					   .expires_in_s = v[i]->expires_at - now });
	free(v);
	return n;
}
