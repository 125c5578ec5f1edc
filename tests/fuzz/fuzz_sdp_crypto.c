/* sipgw - fuzz target: RFC 4568 a=crypto values (src/sip/sdp_crypto.c).
 *
 * The input is the value of one a=crypto line as an offer or answer brings
 * it (after "a=crypto:"). It is parsed; a line taken must have a suite we
 * have, and what we would write for it must parse back to the same tag,
 * suite and key. A line refused must say why.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip/sdp_crypto.h"

#define FUZZ_MAX_LINE 1024

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sdp_crypto c, back;
	char *line, out[SDP_CRYPTO_LINE_LEN];
	const char *why = NULL;
	int rc;

	if (size > FUZZ_MAX_LINE)
		return 0;
	line = malloc(size + 1);
	if (!line)
		return 0;
	memcpy(line, data, size);
	line[size] = 0;
	rc = sdp_crypto_parse(line, &c, &why);
	if (rc != 0 && rc != -ENOTSUP && rc != -EBADMSG)
		abort();
	if (rc && (!why || !*why))
		abort();
	if (rc == 0) {
		if ((unsigned)c.key.suite >= RTP_SRTP__COUNT || c.tag > 999999999ul)
			abort();
		if (sdp_crypto_format(out, sizeof(out), &c) || sdp_crypto_parse(out, &back, NULL) ||
		    back.tag != c.tag || back.key.suite != c.key.suite || memcmp(back.key.key, c.key.key, sizeof(c.key.key)))
			abort();
	}
	free(line);
	return 0;
}
