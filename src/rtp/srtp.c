/* sipgw - SRTP and SRTCP (RFC 3711) on libsrtp2 for one RTP session.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "rtp/srtp.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <srtp2/srtp.h>

#include "core/log.h"

_Static_assert(RTP_SRTP_TRAILER_MAX >= SRTP_MAX_TRAILER_LEN + 4, "room for libsrtp's SRTCP trailer");
_Static_assert(RTP_SRTP_KEY_SALT_LEN == SRTP_AES_ICM_128_KEY_LEN_WSALT, "AES-CM-128 key and salt");

/* RFC 3711 3.3.2: libsrtp's default replay window is 128 packets; a
 * jittery far end reorders far less than that. */
#define RTP_SRTP_REPLAY_WINDOW 128

static const char *const suite_names[RTP_SRTP__COUNT] = {
	[RTP_SRTP_AES_CM_128_HMAC_SHA1_80] = "AES_CM_128_HMAC_SHA1_80",
	[RTP_SRTP_AES_CM_128_HMAC_SHA1_32] = "AES_CM_128_HMAC_SHA1_32",
};

struct rtp_srtp {
	srtp_t tx, rx;
	struct rtp_srtp_key tx_key, rx_key;
	struct rtp_srtp_stats st;
};

const char *rtp_srtp_suite_name(enum rtp_srtp_suite s)
{
	return (unsigned)s < RTP_SRTP__COUNT ? suite_names[s] : "?";
}

int rtp_srtp_suite_by_name(const char *name, size_t len)
{
	for (int i = 0; i < RTP_SRTP__COUNT; i++)
		if (strlen(suite_names[i]) == len && !memcmp(suite_names[i], name, len))
			return i;
	return -ENOENT;
}

int rtp_srtp_key_random(struct rtp_srtp_key *k, enum rtp_srtp_suite suite)
{
	size_t got = 0;

	k->suite = suite;
	while (got < sizeof(k->key)) {
		ssize_t n = getrandom(k->key + got, sizeof(k->key) - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EIO;
		got += (size_t)n;
	}
	return 0;
}

/* srtp_init() once per process, whichever thread gets there first. */
static pthread_once_t srtp_once = PTHREAD_ONCE_INIT;
static srtp_err_status_t srtp_init_status;

static void rtp_srtp_init_once(void)
{
	srtp_init_status = srtp_init();
	if (srtp_init_status)
		LOGE(LSS_RTP, "libsrtp: srtp_init failed (%d): no SRTP", (int)srtp_init_status);
}

/* RFC 4568 6.2.1/6.2.2: SRTP's tag is the suite's; SRTCP's is 80 bits in both. */
static int rtp_srtp_policy(srtp_policy_t *p, const struct rtp_srtp_key *k, srtp_ssrc_type_t dir)
{
	memset(p, 0, sizeof(*p));
	switch (k->suite) {
	case RTP_SRTP_AES_CM_128_HMAC_SHA1_80:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtp);
		break;
	case RTP_SRTP_AES_CM_128_HMAC_SHA1_32:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p->rtp);
		break;
	default:
		return -EINVAL;
	}
	srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
	p->ssrc.type = dir;
	p->key = (unsigned char *)k->key;
	p->window_size = RTP_SRTP_REPLAY_WINDOW;
	/* RFC 4733 2.5.1.4: an event's end packet goes three times with one
	 * sequence number; rtp.c protects it once and sends those same bytes,
	 * so libsrtp never sees the repeat: no repeat allowed. */
	p->allow_repeat_tx = 0;
	return 0;
}

static int rtp_srtp_session(srtp_t *sp, const struct rtp_srtp_key *k, srtp_ssrc_type_t dir)
{
	srtp_policy_t pol;
	srtp_err_status_t e;
	int rc;

	pthread_once(&srtp_once, rtp_srtp_init_once);
	if (srtp_init_status)
		return -EIO;
	if ((rc = rtp_srtp_policy(&pol, k, dir)))
		return rc;
	e = srtp_create(sp, &pol);
	if (e == srtp_err_status_alloc_fail)
		return -ENOMEM;
	return e ? -EINVAL : 0;
}

int rtp_srtp_alloc(struct rtp_srtp **sp, const struct rtp_srtp_key *tx, const struct rtp_srtp_key *rx)
{
	struct rtp_srtp *s = calloc(1, sizeof(*s));
	int rc;

	if (!s)
		return -ENOMEM;
	if ((rc = rtp_srtp_session(&s->tx, tx, ssrc_any_outbound)) ||
	    (rc = rtp_srtp_session(&s->rx, rx, ssrc_any_inbound))) {
		rtp_srtp_free(s);
		return rc;
	}
	s->tx_key = *tx;
	s->rx_key = *rx;
	*sp = s;
	return 0;
}

void rtp_srtp_free(struct rtp_srtp *s)
{
	if (!s)
		return;
	if (s->tx)
		srtp_dealloc(s->tx);
	if (s->rx)
		srtp_dealloc(s->rx);
	/* no key left behind in freed memory */
	explicit_bzero(&s->tx_key, sizeof(s->tx_key));
	explicit_bzero(&s->rx_key, sizeof(s->rx_key));
	free(s);
}

int rtp_srtp_set_rx(struct rtp_srtp *s, const struct rtp_srtp_key *rx)
{
	srtp_t n = NULL;
	int rc;

	if (rx->suite == s->rx_key.suite && !memcmp(rx->key, s->rx_key.key, sizeof(rx->key)))
		return 0;
	if ((rc = rtp_srtp_session(&n, rx, ssrc_any_inbound)))
		return rc;
	srtp_dealloc(s->rx);
	s->rx = n;
	s->rx_key = *rx;
	return 0;
}

enum rtp_srtp_suite rtp_srtp_suite(const struct rtp_srtp *s)
{
	return s->tx_key.suite;
}

int rtp_srtp_protect(struct rtp_srtp *s, uint8_t *pkt, size_t *len, size_t cap)
{
	int n = (int)*len;

	if (*len > INT_MAX - RTP_SRTP_TRAILER_MAX || cap < *len + RTP_SRTP_TRAILER_MAX)
		return -EINVAL;
	if (srtp_protect(s->tx, pkt, &n))
		return -EIO;
	*len = (size_t)n;
	return 0;
}

int rtp_srtp_protect_rtcp(struct rtp_srtp *s, uint8_t *pkt, size_t *len, size_t cap)
{
	int n = (int)*len;

	if (*len > INT_MAX - RTP_SRTP_TRAILER_MAX || cap < *len + RTP_SRTP_TRAILER_MAX)
		return -EINVAL;
	if (srtp_protect_rtcp(s->tx, pkt, &n))
		return -EIO;
	*len = (size_t)n;
	return 0;
}

/* A refusal counted by why: forged (the tag), replayed (the index), other. */
static int rtp_srtp_refused(srtp_err_status_t e, unsigned long *auth, unsigned long *replay,
			    unsigned long *other)
{
	switch (e) {
	case srtp_err_status_auth_fail:
		(*auth)++;
		return -EBADMSG;
	case srtp_err_status_replay_fail:
	case srtp_err_status_replay_old:
		(*replay)++;
		return -EALREADY;
	default:
		(*other)++;
		return -EBADMSG;
	}
}

int rtp_srtp_unprotect(struct rtp_srtp *s, uint8_t *pkt, size_t *len)
{
	int n = (int)*len;
	srtp_err_status_t e;

	if (*len > INT_MAX)
		return -EINVAL;
	if ((e = srtp_unprotect(s->rx, pkt, &n)))
		return rtp_srtp_refused(e, &s->st.rtp_auth_fail, &s->st.rtp_replay, &s->st.rtp_other);
	*len = (size_t)n;
	return 0;
}

int rtp_srtp_unprotect_rtcp(struct rtp_srtp *s, uint8_t *pkt, size_t *len)
{
	int n = (int)*len;
	srtp_err_status_t e;

	if (*len > INT_MAX)
		return -EINVAL;
	if ((e = srtp_unprotect_rtcp(s->rx, pkt, &n)))
		return rtp_srtp_refused(e, &s->st.rtcp_auth_fail, &s->st.rtcp_replay, &s->st.rtcp_other);
	*len = (size_t)n;
	return 0;
}

void rtp_srtp_get_stats(const struct rtp_srtp *s, struct rtp_srtp_stats *st)
{
	*st = s->st;
}
