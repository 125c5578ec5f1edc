/* sipgw - fuzz target: what the simulators read of the gateway's DTMF (src/sim/
 * sim_dtmf.c): SIP INFO bodies and RFC 4733 payloads. The first byte picks the
 * Content-Type; the rest is the body (not NUL-terminated: the parser must keep to
 * its length), and again, in 8-byte records (timestamp, payload), a stream of
 * telephone-event packets. Besides "no crash": a parsed body gives a DTMF digit and
 * a length under a minute, and no event is reported ending twice.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim_dtmf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const ctypes[] = { "application/dtmf-relay", "application/dtmf",
					      " Application/DTMF-Relay ; x=y", "text/plain", NULL };
	struct sim_te_rx r = { 0 };
	unsigned ends = 0, starts = 0, dur;
	char *body, digit = 0;
	int ms = 0, rc;

	if (!size)
		return 0;
	body = malloc(size - 1 ? size - 1 : 1);	/* exactly the body: ASan sees a read past it */
	if (!body)
		return 0;
	memcpy(body, data + 1, size - 1);
	rc = sim_dtmf_info_parse(ctypes[data[0] % 5], body, size - 1, &digit, &ms);
	if (rc == 0 && (!sim_dtmf_valid(digit) || ms < 0 || ms > 60000))
		abort();
	if (rc && rc != -EINVAL && rc != -ENOTSUP)
		abort();
	for (size_t off = 1; off + 8 <= size; off += 8) {
		uint32_t ts;

		memcpy(&ts, data + off, 4);
		switch (sim_te_rx_packet(&r, data + off + 4, 4, ts, &digit, &dur)) {
		case SIM_TE_START: starts++; break;
		case SIM_TE_START_END: starts++; ends++; break;
		case SIM_TE_END: ends++; break;
		default: break;
		}
		if (ends > starts || (starts && !sim_dtmf_valid(digit)))
			abort();
	}
	free(body);
	return 0;
}
