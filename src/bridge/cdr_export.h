/* sipgw - CDR export: the cdr table as RFC 4180 CSV, read from the
 * database file itself (read-only, a WAL reader: it never blocks the
 * writer, and the gateway's loop does none of the work), for
 * `sipgwctl cdr export --csv [--since TIME]`. SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_BRIDGE_CDR_EXPORT_H
#define SIPGW_BRIDGE_CDR_EXPORT_H

#include <stdio.h>

/** Every row that ended at or after since_ms (epoch ms; 0: all), oldest
 * first, with a header row, to out. Returns the number of rows (>= 0), or
 * -errno with why in err. */
long cdr_export_csv(const char *path, long long since_ms, FILE *out, char *err, size_t errlen);

#endif
