/* sipgw - RFC 3389 comfort noise payloads.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "dsp/cn.h"

#include <errno.h>
#include <math.h>

int cn_parse(const uint8_t *p, size_t len, int *level_dbov)
{
	/* 3: the most significant bit of the level octet is always 0 */
	if (len < 1 || p[0] & 0x80)
		return -EBADMSG;
	*level_dbov = -(int)p[0];
	return 0;
}

size_t cn_build(uint8_t *p, int level_dbov)
{
	if (level_dbov > 0)
		level_dbov = 0;
	if (level_dbov < CN_MIN_DBOV)
		level_dbov = CN_MIN_DBOV;
	p[0] = (uint8_t)-level_dbov;
	return 1;
}

int cn_level_dbov(const int16_t *amp, size_t n)
{
	double sum = 0, db;

	for (size_t i = 0; i < n; i++)
		sum += (double)amp[i] * amp[i];
	if (!n || sum <= 0)
		return CN_MIN_DBOV;
	/* 3: 0 dBov is a square wave at full scale, RMS 32768 */
	db = 10 * log10(sum / n) - 20 * log10(32768.0);
	if (db > 0)
		db = 0;
	return db < CN_MIN_DBOV ? CN_MIN_DBOV : (int)lround(db);
}
