/* sipgwctl - what its files share: where it looks by default, its exit
 * statuses, and the commands it runs itself rather than the gateway.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_CTL_SIPGWCTL_H
#define SIPGW_CTL_SIPGWCTL_H

#define DEFAULT_CONFIG "/etc/sipgw/sipgw.conf"
#define DEFAULT_SOCKET "/run/sipgw/sipgw.ctl"

/* Exit statuses: what a script can tell apart. */
enum { EX_OK = 0, EX_FAILED = 1, EX_USAGE = 2, EX_NOT_RUNNING = 3 };

/** `cdr export --csv [--since TIME]` (argv: the words after "export"):
 * sipgwctl reads the CDR database itself, read-only, found in conf's
 * cdr.database (-c), else asked of the gateway at sock ("cdr path"), else
 * the default config's, else the default socket's. Returns an EX_ status. */
int sipgwctl_cdr_export(const char *sock, const char *conf, int argc, char **argv);

#endif
