/* sipgw - the TLS certificate folder Sofia-SIP reads (sip_tls.c).
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_SIP_SIP_TLS_H
#define SIPGW_SIP_SIP_TLS_H

#include <stddef.h>

#define SIP_TLS_DIR_LEN 256

/** A private folder (0700) under $TMPDIR holding agent.pem (key, then
 * cert) and cafile.pem (ca; none when ca is NULL or empty), the layout
 * TPTAG_CERTIFICATE() wants; its path into dir. 0 or -errno (logged). */
int sip_tls_dir_make(char *dir, size_t len, const char *cert, const char *key, const char *ca);
/** Remove what sip_tls_dir_make() made and empty dir; an empty dir is left as it is. */
void sip_tls_dir_remove(char *dir);

#endif
