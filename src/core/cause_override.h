/* sipgw - cause overrides as data: operator rows that replace single rows of
 * the RFC 3398 tables (Cisco "set sip-status S pstn-cause C" / "set
 * pstn-cause C sip-status S"), globally or per dial-peer. Config fills them;
 * bridge/cause.h looks them up; routing decides where they apply.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_CORE_CAUSE_OVERRIDE_H
#define SIPGW_CORE_CAUSE_OVERRIDE_H

#define CAUSE_OVERRIDES_MAX	32	/* rows per direction, per table */

/* One row: a SIP final failure status (400..699) and a Q.850 cause (1..127). */
struct cause_override_row {
	int status;
	int cause;
};

struct cause_overrides {
	struct cause_override_row sip_to_pstn[CAUSE_OVERRIDES_MAX];	/* status -> cause, unique status */
	int n_sip_to_pstn;
	struct cause_override_row pstn_to_sip[CAUSE_OVERRIDES_MAX];	/* cause -> status, unique cause */
	int n_pstn_to_sip;
};

#endif
