/* sipgw - music on hold, a looped raw mu-law file (moh.h).
 * SPDX-License-Identifier: GPL-2.0-only */
#include "dsp/moh.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct moh {
	size_t len;
	uint8_t ulaw[];
};

int moh_load(struct moh **mp, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	struct moh *m;
	long n;

	if (!f) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -errno;
	}
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		snprintf(err, errlen, "cannot tell its size");
		fclose(f);
		return -EIO;
	}
	if (n < 160 || n > MOH_MAX_BYTES) {
		snprintf(err, errlen, "%ld bytes: want 20 ms to ten minutes of 8 kHz mu-law", n);
		fclose(f);
		return -EINVAL;
	}
	if (!(m = malloc(sizeof(*m) + (size_t)n))) {
		fclose(f);
		return -ENOMEM;
	}
	m->len = fread(m->ulaw, 1, (size_t)n, f);
	fclose(f);
	if (m->len != (size_t)n) {
		snprintf(err, errlen, "short read");
		free(m);
		return -EIO;
	}
	*mp = m;
	return 0;
}

void moh_free(struct moh *m)
{
	free(m);
}

void moh_frame(const struct moh *m, size_t *pos, enum g711_law law, uint8_t *out, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		out[i] = m->ulaw[*pos];
		*pos = (*pos + 1) % m->len;
	}
	if (law != LAW_ULAW)
		g711_law_transcode(LAW_ULAW, law, out, len);
}
