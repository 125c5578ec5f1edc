/* sipgw - process limits sized from the config. SPDX-License-Identifier: GPL-2.0-only */
#include "core/limits.h"

#include <errno.h>
#include <sys/resource.h>

unsigned long limits_fds_needed(int n_spans, int n_bchans)
{
	return LIMITS_FDS_BASE + (unsigned long)(n_spans > 0 ? n_spans : 0) * LIMITS_FDS_PER_SPAN +
	       (unsigned long)(n_bchans > 0 ? n_bchans : 0) * LIMITS_FDS_PER_BCHAN;
}

int limits_rtp_pairs(int pmin, int pmax)
{
	int first = (pmin + 1) & ~1;

	if (!pmin && !pmax)
		return -1;
	/* the pair's odd half must be in the range too */
	return pmax > first ? (pmax - first - 1) / 2 + 1 : 0;
}

int limits_raise_nofile(unsigned long need, unsigned long *oldp, unsigned long *nowp)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -errno;
	*oldp = *nowp = (unsigned long)rl.rlim_cur;
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
		return 0;
	rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need ? rl.rlim_max : need;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		return -errno;
	*nowp = (unsigned long)rl.rlim_cur;
	return 0;
}
