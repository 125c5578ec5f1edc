/* sipgw - SRTP and SRTCP (RFC 3711) for one RTP session, on libsrtp2, with
 * SDES keys (RFC 4568): the suites we take, their keys, protect/unprotect.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_RTP_SRTP_H
#define SIPGW_RTP_SRTP_H

#include <stddef.h>
#include <stdint.h>

/* RFC 4568 6.2's crypto suites that sipgw offers and takes; both AES-CM
 * with a 128-bit master key and 112-bit master salt (RFC 3711 8.2), an
 * HMAC-SHA1 tag of 80 or 32 bits on SRTP (SRTCP's is always 80, 6.2.1). */
enum rtp_srtp_suite {
	RTP_SRTP_AES_CM_128_HMAC_SHA1_80,
	RTP_SRTP_AES_CM_128_HMAC_SHA1_32,
	RTP_SRTP__COUNT
};

#define RTP_SRTP_KEY_LEN 16
#define RTP_SRTP_SALT_LEN 14
#define RTP_SRTP_KEY_SALT_LEN (RTP_SRTP_KEY_LEN + RTP_SRTP_SALT_LEN)	/* 30 octets, 40 in base64 */
/* What protect may add to a packet, and so the room a buffer must keep
 * past it: libsrtp2's SRTP_MAX_TRAILER_LEN (tag and MKI) and SRTCP's
 * E flag and index (RFC 3711 3.4). srtp.c checks it against libsrtp's. */
#define RTP_SRTP_TRAILER_MAX (16 + 128 + 4)

/* One direction's master key and salt with its suite. */
struct rtp_srtp_key {
	enum rtp_srtp_suite suite;
	uint8_t key[RTP_SRTP_KEY_SALT_LEN];	/* master key, then master salt */
};

/* Packets refused on the way in (and counted in rtp_stats.rx_dropped or
 * rtcp_dropped too): a tag that does not check (forged, or the wrong key),
 * or an index already seen or too old (replayed, RFC 3711 3.3.2). */
struct rtp_srtp_stats {
	unsigned long rtp_auth_fail, rtp_replay;
	unsigned long rtcp_auth_fail, rtcp_replay;
	unsigned long rtp_other, rtcp_other;	/* anything else libsrtp refused (a runt) */
};

/** The RFC 4568 name, "AES_CM_128_HMAC_SHA1_80"; "?" for none. */
const char *rtp_srtp_suite_name(enum rtp_srtp_suite s);
/** The suite of an RFC 4568 name (case matters: 9.2 writes them so), or
 * -ENOENT for one we do not take. */
int rtp_srtp_suite_by_name(const char *name, size_t len);
/** A fresh key and salt from the kernel's random source (getrandom); 0 or
 * -EIO when it gave fewer bytes (never a weaker fallback for a key). */
int rtp_srtp_key_random(struct rtp_srtp_key *k, enum rtp_srtp_suite suite);

struct rtp_srtp;
/** A context protecting what we send with tx and checking what comes with
 * rx (each its own libsrtp session: a new rx key never restarts our
 * rollover counter). 0, -EINVAL (a suite we do not have) or -ENOMEM. */
int rtp_srtp_alloc(struct rtp_srtp **sp, const struct rtp_srtp_key *tx, const struct rtp_srtp_key *rx);
void rtp_srtp_free(struct rtp_srtp *s);
/** The far end's key changed (a re-offer, RFC 4568 7.1.4): a new rx
 * session; the same key again: nothing. 0 or -errno (the old one kept). */
int rtp_srtp_set_rx(struct rtp_srtp *s, const struct rtp_srtp_key *rx);
/** Protect the RTP packet pkt[*len] in place, growing *len by its tag;
 * cap is pkt's size, at least *len + RTP_SRTP_TRAILER_MAX. 0 or -EINVAL,
 * -EIO (libsrtp refused). */
int rtp_srtp_protect(struct rtp_srtp *s, uint8_t *pkt, size_t *len, size_t cap);
/** Check and decrypt the SRTP packet pkt[*len] in place, *len cut to the
 * RTP packet: 0; -EBADMSG for a forged or damaged one, -EALREADY for a
 * replay (each counted); nothing of a refused packet may be used. */
int rtp_srtp_unprotect(struct rtp_srtp *s, uint8_t *pkt, size_t *len);
/** The same for an RTCP compound (RFC 3711 3.4): always encrypted and
 * authenticated, with its index. */
int rtp_srtp_protect_rtcp(struct rtp_srtp *s, uint8_t *pkt, size_t *len, size_t cap);
int rtp_srtp_unprotect_rtcp(struct rtp_srtp *s, uint8_t *pkt, size_t *len);
void rtp_srtp_get_stats(const struct rtp_srtp *s, struct rtp_srtp_stats *st);
/** The suite of the tx key (both directions use the one the answer took). */
enum rtp_srtp_suite rtp_srtp_suite(const struct rtp_srtp *s);

#endif
