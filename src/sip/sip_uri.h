/* sipgw - SIP URI comparison (RFC 3261 19.1.4). SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_SIP_SIP_URI_H
#define SIPGW_SIP_SIP_URI_H

/** RFC 3261 19.1.4 equality of two sip:/sips: URIs given as text: 1 equal,
 * 0 different, -EINVAL when either does not parse. User and password are
 * case-sensitive, scheme, host and parameter names are not; escapes compare
 * equal to the characters they stand for; a port (or a user, ttl, method,
 * maddr or transport parameter) present in only one URI makes them differ;
 * other parameters count only when both have them; headers must all match. */
int sip_uri_equal(const char *a, const char *b);

#endif
