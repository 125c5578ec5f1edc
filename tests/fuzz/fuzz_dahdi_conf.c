/* sipgw - fuzz target: DAHDI's system.conf (src/core/dahdi_conf.c), as the
 * config loader reads it for dahdi spans. Besides "no crash", what it
 * promises a loaded file holds: at most DAHDI's 128 spans, numbered 1..n in
 * order, laid out channel after channel within DAHDI's 1,024 channels, each
 * B-channel and D-channel on a timeslot of its span; a refusal names a line.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/dahdi_conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dahdi_conf dc;
	char err[256];
	char *text = malloc(size + 1);
	int rc, base = 1;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	memset(&dc, 0, sizeof(dc));
	rc = dahdi_conf_parse(&dc, "system.conf", text, err, sizeof(err));
	free(text);
	if (rc) {
		if (rc != -EINVAL || strncmp(err, "system.conf:", 12))
			abort();
		return 0;
	}
	if (dc.n_spans < 0 || dc.n_spans > DAHDI_CONF_MAX_SPANS)
		abort();
	for (int i = 0; i < dc.n_spans; i++) {
		const struct dahdi_conf_span *sp = &dc.spans[i];
		uint32_t all = ((1u << sp->n_chans) - 1) << 1;	/* timeslots 1..n_chans */

		if (sp->num != i + 1 || sp->base != base || sp->base + sp->n_chans - 1 > DAHDI_CONF_MAX_CHANNO)
			abort();
		if ((sp->bchans & ~all) || (sp->dchan && (sp->dchan > sp->n_chans || (sp->bchans & 1u << sp->dchan))))
			abort();
		base += sp->n_chans;
	}
	return 0;
}
