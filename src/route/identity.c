/* sipgw - numbers and identity across the wall. SPDX-License-Identifier: GPL-2.0-only */
#include "route/identity.h"

#include <stdio.h>
#include <string.h>

#include "core/config.h"

/* Q.931 4.5.8: type of number (bits 7-5) and the ISDN/telephony plan (E.164). */
#define Q931_TON_INTERNATIONAL	0x10
#define Q931_TON_NATIONAL	0x20
#define Q931_NPI_E164		0x01

static void e164(char *num, size_t len, const char *cc)
{
	char buf[LEG_NUM];

	if (!num[0] || num[0] == '+')
		return;
	snprintf(buf, sizeof(buf), "+%s%s", cc, num);
	if (strlen(buf) < len)
		snprintf(num, len, "%s", buf);
}

void route_identity_from_pri(const struct cfg_span *span, struct leg_setup_info *si)
{
	if (si->calling_ton == LEG_TON_INTERNATIONAL)
		e164(si->calling, sizeof(si->calling), "");
	else if (si->calling_ton == LEG_TON_NATIONAL && span && span->country_code[0])
		e164(si->calling, sizeof(si->calling), span->country_code);
	if (si->called_ton == LEG_TON_INTERNATIONAL)
		e164(si->called, sizeof(si->called), "");
	if (si->redirecting_ton == LEG_TON_INTERNATIONAL)
		e164(si->redirecting, sizeof(si->redirecting), "");
	else if (si->redirecting_ton == LEG_TON_NATIONAL && span && span->country_code[0])
		e164(si->redirecting, sizeof(si->redirecting), span->country_code);
}

int route_number_to_pri(const struct cfg_span *span, const char *number, char *out, size_t outlen,
			int dflt_plan)
{
	const char *cc = span ? span->country_code : "";
	size_t ccl = strlen(cc);

	if (number[0] != '+') {
		snprintf(out, outlen, "%s", number);
		return dflt_plan;
	}
	if (ccl && !strncmp(number + 1, cc, ccl) && number[1 + ccl]) {
		snprintf(out, outlen, "%s", number + 1 + ccl);
		return Q931_TON_NATIONAL | Q931_NPI_E164;
	}
	snprintf(out, outlen, "%s", number + 1);
	return Q931_TON_INTERNATIONAL | Q931_NPI_E164;
}
