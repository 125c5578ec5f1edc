/* sipgw - the process limits a config of this size needs, applied at start
 * (core/limits.h). SPDX-License-Identifier: GPL-2.0-only */
#include "gw.h"

#include <string.h>

#include "core/limits.h"
#include "core/log.h"

void gw_limits_apply(const struct gw_config *cfg)
{
	int bchans = config_bchans(cfg);
	unsigned long need = limits_fds_needed(cfg->n_spans, bchans), was, now;
	int rc = limits_raise_nofile(need, &was, &now);
	int pairs = limits_rtp_pairs(cfg->rtp_port_min, cfg->rtp_port_max);

	/* one pair a SIP leg: a range smaller than the spans is a cap on calls */
	if (pairs >= 0 && pairs < bchans)
		LOGW(LSS_CORE, "rtp: ports %d-%d hold %d RTP/RTCP pairs, fewer than the %d B-channels: calls "
		     "past %d get no RTP port (widen rtp.port_min / port_max)", cfg->rtp_port_min,
		     cfg->rtp_port_max, pairs, bchans, pairs);

	if (rc)
		LOGW(LSS_CORE, "fds: cannot read or raise RLIMIT_NOFILE: %s", strerror(-rc));
	else if (now < need)
		LOGW(LSS_CORE, "fds: RLIMIT_NOFILE is %lu (hard limit), %d span(s) with %d B-channels need "
		     "about %lu at full load: calls past that fail (raise LimitNOFILE= or ulimit -Hn)",
		     now, cfg->n_spans, bchans, need);
	else if (now != was)
		LOGN(LSS_CORE, "fds: RLIMIT_NOFILE raised from %lu to %lu: %d span(s) with %d B-channels "
		     "need about that at full load", was, now, cfg->n_spans, bchans);
	else
		LOGI(LSS_CORE, "fds: RLIMIT_NOFILE %lu, %d span(s) with %d B-channels need about %lu",
		     now, cfg->n_spans, bchans, need);
}
