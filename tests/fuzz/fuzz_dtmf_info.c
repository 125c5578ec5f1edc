/* sipgw - fuzz target: DTMF in SIP INFO bodies (src/sip/sip_dtmf.c), outside
 * input from any phone in a call. The first byte picks the Content-Type, the
 * rest is the body (not NUL-terminated: the parser must keep to its length).
 * Besides "no crash", the promise of sip_internal.h is checked: 0 gives a
 * DTMF digit and a length under a minute. SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dsp/dtmf.h"
#include "sip/sip_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const ctypes[] = { "application/dtmf-relay", "application/dtmf",
					      "application/dtmf-relay;charset=x", "text/plain", NULL };
	char *body, digit = 0;
	unsigned ms = 0;
	int rc;

	if (!size)
		return 0;
	body = malloc(size - 1 ? size - 1 : 1);	/* exactly the body: ASan sees a read past it */
	if (!body)
		return 0;
	memcpy(body, data + 1, size - 1);
	rc = sip_dtmf_info_parse(ctypes[data[0] % 5], body, size - 1, &digit, &ms);
	if (rc == 0 && (!dtmf_is_digit(digit) || ms > 60000))
		abort();
	if (rc && rc != -EINVAL && rc != -ENOENT)
		abort();
	free(body);
	return 0;
}
