/* sipgw - SDP security descriptions (RFC 4568): a=crypto lines read and
 * written (the profiles that ask for SRTP: sdp_proto_secure(), sdp.h).
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_SIP_SDP_CRYPTO_H
#define SIPGW_SIP_SDP_CRYPTO_H

#include <stddef.h>

#include "rtp/srtp.h"

#define SDP_MAX_CRYPTO 8	/* usable a=crypto lines kept per stream; more are skipped */
/* "a=crypto:" + a 9-digit tag, the suite, "inline:" + 40 base64 chars + CRLF */
#define SDP_CRYPTO_LINE_LEN 96

/* One a=crypto line we can use: its tag (RFC 4568 9.1: 1*9DIGIT) and the
 * key and salt it gives for its suite. */
struct sdp_crypto {
	unsigned long tag;
	struct rtp_srtp_key key;
};

/** Read an a=crypto value "TAG SUITE inline:KEY[|LIFETIME] [PARAMS]"
 * (RFC 4568 9.1): 0 with c filled; -ENOTSUP for a line written right that
 * we cannot use (another suite, an MKI, several keys, a lifetime under
 * 2^31, a session parameter we do not know), -EBADMSG for one that is not
 * RFC 4568 at all. *why (may be NULL) says which, for the log. */
int sdp_crypto_parse(const char *value, struct sdp_crypto *c, const char **why);
/** The value "TAG SUITE inline:KEY" (no lifetime, no MKI) into buf; 0 or -ENOSPC. */
int sdp_crypto_format(char *buf, size_t len, const struct sdp_crypto *c);

#endif
