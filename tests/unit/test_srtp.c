/* sipgw - unit tests: SRTP (RFC 3711) on libsrtp2 and SDES's a=crypto
 * lines (RFC 4568). A packet protected on one context is unprotected on
 * its peer (both suites, RTP and RTCP); a packet changed on the way, with
 * the wrong key, or seen before is refused and counted; two RTP sessions
 * on 127.0.0.1 talk SRTP, and what crosses the wire is not the payload.
 * The crypto attribute parser on the lines phones and SBCs write.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sofia-sip/su_wait.h>

#include "rtp/rtcp.h"
#include "rtp/rtp.h"
#include "rtp/srtp.h"
#include "sip/sdp.h"
#include "sip/sdp_crypto.h"
#include "sip/sip_internal.h"
#include "unit.h"

#define PKT_CAP (RTP_HDR_LEN + 160 + RTP_SRTP_TRAILER_MAX)

/* An RTP packet of 160 payload octets, seq as given, the payload a ramp. */
static size_t rtp_pkt(uint8_t *p, uint16_t seq)
{
	rtp_header_build(p, 0, 0, seq, 160u * seq, 0x11223344);
	for (int i = 0; i < 160; i++)
		p[RTP_HDR_LEN + i] = (uint8_t)(i * 7 + seq);
	return RTP_HDR_LEN + 160;
}

/* Two ends of one call: a's tx key is b's rx key and back. */
static void pair(struct rtp_srtp **a, struct rtp_srtp **b, enum rtp_srtp_suite suite)
{
	struct rtp_srtp_key ka, kb;

	CU_ASSERT_EQUAL_FATAL(rtp_srtp_key_random(&ka, suite), 0);
	CU_ASSERT_EQUAL_FATAL(rtp_srtp_key_random(&kb, suite), 0);
	CU_ASSERT_EQUAL_FATAL(rtp_srtp_alloc(a, &ka, &kb), 0);
	CU_ASSERT_EQUAL_FATAL(rtp_srtp_alloc(b, &kb, &ka), 0);
}

/* RFC 3711 3.1: the payload is encrypted, the header not, a tag of 10
 * (_80) or 4 (_32) octets appended; the peer gets the packet back exactly. */
static void test_round_trip(void)
{
	for (int suite = 0; suite < RTP_SRTP__COUNT; suite++) {
		struct rtp_srtp *a, *b;
		uint8_t plain[PKT_CAP], p[PKT_CAP];

		pair(&a, &b, (enum rtp_srtp_suite)suite);
		for (uint16_t seq = 65530; seq != 10; seq++) {	/* across the rollover */
			size_t n = rtp_pkt(plain, seq), m = n;

			memcpy(p, plain, n);
			CU_ASSERT_EQUAL_FATAL(rtp_srtp_protect(a, p, &m, sizeof(p)), 0);
			CU_ASSERT_EQUAL(m, n + (suite == RTP_SRTP_AES_CM_128_HMAC_SHA1_80 ? 10 : 4));
			CU_ASSERT_EQUAL(memcmp(p, plain, RTP_HDR_LEN), 0);
			CU_ASSERT_NOT_EQUAL(memcmp(p + RTP_HDR_LEN, plain + RTP_HDR_LEN, 160), 0);
			CU_ASSERT_EQUAL_FATAL(rtp_srtp_unprotect(b, p, &m), 0);
			CU_ASSERT_EQUAL(m, n);
			CU_ASSERT_EQUAL(memcmp(p, plain, n), 0);
		}
		CU_ASSERT_EQUAL(rtp_srtp_suite(a), suite);
		rtp_srtp_free(a);
		rtp_srtp_free(b);
	}
}

/* A bit changed in the payload, the header or the tag, or the wrong key:
 * refused as forged; the same packet twice, or one older than the replay
 * window: refused as replayed (RFC 3711 3.3.2). Each counted by why. */
static void test_forged_and_replayed(void)
{
	struct rtp_srtp *a, *b, *c, *d;
	struct rtp_srtp_stats st;
	uint8_t p[PKT_CAP], q[PKT_CAP], first[PKT_CAP];
	size_t n, m, nfirst;
	const size_t flips[] = { RTP_HDR_LEN + 5, 3 /* seq */, RTP_HDR_LEN + 160 + 2 /* tag */ };

	pair(&a, &b, RTP_SRTP_AES_CM_128_HMAC_SHA1_80);
	pair(&c, &d, RTP_SRTP_AES_CM_128_HMAC_SHA1_80);
	nfirst = rtp_pkt(first, 100);
	CU_ASSERT_EQUAL_FATAL(rtp_srtp_protect(a, first, &nfirst, sizeof(first)), 0);
	for (size_t i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
		memcpy(q, first, nfirst);
		m = nfirst;
		q[flips[i]] ^= 0x01;
		CU_ASSERT_EQUAL(rtp_srtp_unprotect(b, q, &m), -EBADMSG);
	}
	/* someone else's key: c protects, b checks */
	n = rtp_pkt(p, 100);
	CU_ASSERT_EQUAL_FATAL(rtp_srtp_protect(c, p, &n, sizeof(p)), 0);
	CU_ASSERT_EQUAL(rtp_srtp_unprotect(b, p, &n), -EBADMSG);
	/* a plain RTP packet (a peer that forgot SRTP) */
	n = rtp_pkt(p, 101);
	CU_ASSERT_EQUAL(rtp_srtp_unprotect(b, p, &n), -EBADMSG);
	rtp_srtp_get_stats(b, &st);
	CU_ASSERT_EQUAL(st.rtp_auth_fail, 5);
	CU_ASSERT_EQUAL(st.rtp_replay, 0);
	/* the real one is still taken, once */
	memcpy(q, first, nfirst);
	m = nfirst;
	CU_ASSERT_EQUAL(rtp_srtp_unprotect(b, q, &m), 0);
	memcpy(q, first, nfirst);
	m = nfirst;
	CU_ASSERT_EQUAL(rtp_srtp_unprotect(b, q, &m), -EALREADY);
	/* 200 packets on: seq 100 is out of the 128-packet window */
	for (uint16_t seq = 101; seq < 301; seq++) {
		n = rtp_pkt(p, seq);
		CU_ASSERT_EQUAL_FATAL(rtp_srtp_protect(a, p, &n, sizeof(p)), 0);
		CU_ASSERT_EQUAL(rtp_srtp_unprotect(b, p, &n), 0);
	}
	memcpy(q, first, nfirst);
	m = nfirst;
	CU_ASSERT_EQUAL(rtp_srtp_unprotect(b, q, &m), -EALREADY);
	rtp_srtp_get_stats(b, &st);
	CU_ASSERT_EQUAL(st.rtp_auth_fail, 5);
	CU_ASSERT_EQUAL(st.rtp_replay, 2);
	/* a runt: no header to check */
	m = 6;
	CU_ASSERT_EQUAL(rtp_srtp_unprotect(b, q, &m), -EBADMSG);
	/* no room for the tag: refused before libsrtp writes past the buffer */
	n = rtp_pkt(p, 400);
	CU_ASSERT_EQUAL(rtp_srtp_protect(a, p, &n, n + 4), -EINVAL);
	rtp_srtp_free(a);
	rtp_srtp_free(b);
	rtp_srtp_free(c);
	rtp_srtp_free(d);
}

/* RFC 3711 3.4: SRTCP always encrypts and authenticates, its index and E
 * flag behind the compound; a changed or replayed one is refused. */
static void test_rtcp(void)
{
	struct rtcp_build_params bp = { .ssrc = 0x11223344, .cname = "sipgw-test", .sr = 1 };
	struct rtp_srtp *a, *b;
	struct rtp_srtp_stats st;
	struct rtcp_info ri;
	uint8_t buf[RTCP_MAX_PKT + RTP_SRTP_TRAILER_MAX], copy[sizeof(buf)];
	int n = rtcp_build(buf, RTCP_MAX_PKT, &bp);
	size_t len, m;

	pair(&a, &b, RTP_SRTP_AES_CM_128_HMAC_SHA1_32);
	CU_ASSERT_FATAL(n > 0);
	len = (size_t)n;
	CU_ASSERT_EQUAL_FATAL(rtp_srtp_protect_rtcp(a, buf, &len, sizeof(buf)), 0);
	CU_ASSERT_EQUAL(len, (size_t)n + 4 + 10);	/* E|index, an 80-bit tag whatever the suite */
	CU_ASSERT_NOT_EQUAL(rtcp_parse(buf + 8, (size_t)n - 8, &ri), 0);
	memcpy(copy, buf, len);
	m = len;
	copy[10] ^= 0x80;
	CU_ASSERT_EQUAL(rtp_srtp_unprotect_rtcp(b, copy, &m), -EBADMSG);
	memcpy(copy, buf, len);
	m = len;
	CU_ASSERT_EQUAL_FATAL(rtp_srtp_unprotect_rtcp(b, copy, &m), 0);
	CU_ASSERT_EQUAL(m, (size_t)n);
	CU_ASSERT_EQUAL_FATAL(rtcp_parse(copy, m, &ri), 0);
	CU_ASSERT_STRING_EQUAL(ri.cname, "sipgw-test");
	m = len;
	CU_ASSERT_EQUAL(rtp_srtp_unprotect_rtcp(b, buf, &m), -EALREADY);
	rtp_srtp_get_stats(b, &st);
	CU_ASSERT_EQUAL(st.rtcp_auth_fail, 1);
	CU_ASSERT_EQUAL(st.rtcp_replay, 1);
	CU_ASSERT_EQUAL(st.rtp_auth_fail + st.rtp_replay, 0);
	rtp_srtp_free(a);
	rtp_srtp_free(b);
}

/* RFC 4568 7.1.4: a re-offer with a new key: the receiving side moves to
 * it, the old key's packets are refused after; the same key: nothing. */
static void test_rx_rekey(void)
{
	struct rtp_srtp_key ka, kb, ka2;
	struct rtp_srtp *a, *a2, *b;
	uint8_t p[PKT_CAP];
	size_t n;

	CU_ASSERT_EQUAL_FATAL(rtp_srtp_key_random(&ka, RTP_SRTP_AES_CM_128_HMAC_SHA1_80), 0);
	CU_ASSERT_EQUAL_FATAL(rtp_srtp_key_random(&kb, RTP_SRTP_AES_CM_128_HMAC_SHA1_80), 0);
	CU_ASSERT_EQUAL_FATAL(rtp_srtp_key_random(&ka2, RTP_SRTP_AES_CM_128_HMAC_SHA1_80), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(ka.key, ka2.key, sizeof(ka.key)), 0);
	CU_ASSERT_EQUAL_FATAL(rtp_srtp_alloc(&a, &ka, &kb), 0);
	CU_ASSERT_EQUAL_FATAL(rtp_srtp_alloc(&a2, &ka2, &kb), 0);
	CU_ASSERT_EQUAL_FATAL(rtp_srtp_alloc(&b, &kb, &ka), 0);
	n = rtp_pkt(p, 1);
	CU_ASSERT_EQUAL(rtp_srtp_protect(a, p, &n, sizeof(p)), 0);
	CU_ASSERT_EQUAL(rtp_srtp_set_rx(b, &ka), 0);	/* same key: the window stays */
	CU_ASSERT_EQUAL(rtp_srtp_unprotect(b, p, &n), 0);
	CU_ASSERT_EQUAL(rtp_srtp_set_rx(b, &ka2), 0);
	n = rtp_pkt(p, 2);
	CU_ASSERT_EQUAL(rtp_srtp_protect(a, p, &n, sizeof(p)), 0);
	CU_ASSERT_EQUAL(rtp_srtp_unprotect(b, p, &n), -EBADMSG);
	n = rtp_pkt(p, 2);
	CU_ASSERT_EQUAL(rtp_srtp_protect(a2, p, &n, sizeof(p)), 0);
	CU_ASSERT_EQUAL(rtp_srtp_unprotect(b, p, &n), 0);
	rtp_srtp_free(a);
	rtp_srtp_free(a2);
	rtp_srtp_free(b);
	rtp_srtp_free(NULL);
}

static void test_suite_names(void)
{
	CU_ASSERT_STRING_EQUAL(rtp_srtp_suite_name(RTP_SRTP_AES_CM_128_HMAC_SHA1_80), "AES_CM_128_HMAC_SHA1_80");
	CU_ASSERT_STRING_EQUAL(rtp_srtp_suite_name(RTP_SRTP_AES_CM_128_HMAC_SHA1_32), "AES_CM_128_HMAC_SHA1_32");
	CU_ASSERT_STRING_EQUAL(rtp_srtp_suite_name(RTP_SRTP__COUNT), "?");
	CU_ASSERT_EQUAL(rtp_srtp_suite_by_name("AES_CM_128_HMAC_SHA1_32", 23), RTP_SRTP_AES_CM_128_HMAC_SHA1_32);
	CU_ASSERT_EQUAL(rtp_srtp_suite_by_name("AES_CM_128_HMAC_SHA1_8", 22), -ENOENT);
	CU_ASSERT_EQUAL(rtp_srtp_suite_by_name("AES_256_CM_HMAC_SHA1_80", 23), -ENOENT);
}

/* ---- a=crypto (RFC 4568 9.1) */

/* RFC 4568 9.1's example key: 30 octets in 40 base64 characters */
#define KEY1 "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"

static void test_crypto_parse(void)
{
	struct sdp_crypto c;
	const char *why;

	CU_ASSERT_EQUAL_FATAL(sdp_crypto_parse("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1, &c, &why), 0);
	CU_ASSERT_EQUAL(c.tag, 1);
	CU_ASSERT_EQUAL(c.key.suite, RTP_SRTP_AES_CM_128_HMAC_SHA1_80);
	CU_ASSERT_EQUAL(memcmp(c.key.key, "YS___sem", 8), 0);
	/* RFC 4568 9.1's line: a 2^20 lifetime and an MKI: politely not taken */
	CU_ASSERT_EQUAL(sdp_crypto_parse("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "|2^20|1:4", &c, &why), -ENOTSUP);
	CU_ASSERT_STRING_EQUAL(why, "key lifetime under 2^31");
	CU_ASSERT_EQUAL(sdp_crypto_parse("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "|1:4", &c, &why), -ENOTSUP);
	CU_ASSERT_STRING_EQUAL(why, "MKI not supported");
	CU_ASSERT_EQUAL(sdp_crypto_parse("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "|2^31|1:1", &c, &why), -ENOTSUP);
	/* a lifetime a call cannot reach is taken, both ways of writing it */
	CU_ASSERT_EQUAL(sdp_crypto_parse("3 AES_CM_128_HMAC_SHA1_32 inline:" KEY1 "|2^31", &c, &why), 0);
	CU_ASSERT_EQUAL(c.tag, 3);
	CU_ASSERT_EQUAL(c.key.suite, RTP_SRTP_AES_CM_128_HMAC_SHA1_32);
	CU_ASSERT_EQUAL(sdp_crypto_parse("3 AES_CM_128_HMAC_SHA1_32 inline:" KEY1 "|2147483648", &c, &why), 0);
	CU_ASSERT_EQUAL(sdp_crypto_parse("3 AES_CM_128_HMAC_SHA1_32 inline:" KEY1 "|1048576", &c, &why), -ENOTSUP);
	/* suites we do not take, a second key, session parameters */
	CU_ASSERT_EQUAL(sdp_crypto_parse("2 AES_256_CM_HMAC_SHA1_80 inline:" KEY1 KEY1, &c, &why), -ENOTSUP);
	CU_ASSERT_EQUAL(sdp_crypto_parse("2 F8_128_HMAC_SHA1_80 inline:" KEY1, &c, &why), -ENOTSUP);
	CU_ASSERT_EQUAL(sdp_crypto_parse("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "|2^31|1:4;inline:" KEY1 "|2^31|2:4",
					 &c, &why), -ENOTSUP);
	CU_ASSERT_EQUAL(sdp_crypto_parse("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 " UNENCRYPTED_SRTP", &c, &why),
			-ENOTSUP);
	CU_ASSERT_EQUAL(sdp_crypto_parse("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 " KDR=23", &c, &why), -ENOTSUP);
	CU_ASSERT_EQUAL(sdp_crypto_parse("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 " WSH=64 KDR=0", &c, &why), 0);
	CU_ASSERT_EQUAL(sdp_crypto_parse("1 AES_CM_128_HMAC_SHA1_80 uri:https://keys.example/1", &c, &why), -ENOTSUP);
	/* not RFC 4568 at all */
	CU_ASSERT_EQUAL(sdp_crypto_parse("", &c, &why), -EBADMSG);
	CU_ASSERT_EQUAL(sdp_crypto_parse(NULL, &c, &why), -EBADMSG);
	CU_ASSERT_EQUAL(sdp_crypto_parse("x AES_CM_128_HMAC_SHA1_80 inline:" KEY1, &c, &why), -EBADMSG);
	CU_ASSERT_EQUAL(sdp_crypto_parse("1234567890 AES_CM_128_HMAC_SHA1_80 inline:" KEY1, &c, &why), -EBADMSG);
	CU_ASSERT_EQUAL(sdp_crypto_parse("1 AES_CM_128_HMAC_SHA1_80", &c, &why), -EBADMSG);
	CU_ASSERT_EQUAL(sdp_crypto_parse("1 AES_CM_128_HMAC_SHA1_80 inline:", &c, &why), -ENOTSUP);
	CU_ASSERT_EQUAL(sdp_crypto_parse("1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGV*", &c,
					 &why), -EBADMSG);
	/* short key: 29 octets */
	CU_ASSERT_EQUAL(sdp_crypto_parse("1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubA==",
					 &c, &why), -ENOTSUP);
	CU_ASSERT_EQUAL(sdp_crypto_parse("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "|", &c, &why), -EBADMSG);
	CU_ASSERT_EQUAL(sdp_crypto_parse("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "|2^x", &c, &why), -EBADMSG);
	CU_ASSERT_EQUAL(sdp_crypto_parse("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "|:4", &c, &why), -EBADMSG);
	/* tabs and trailing blanks are white space (WSP) */
	CU_ASSERT_EQUAL(sdp_crypto_parse("7\tAES_CM_128_HMAC_SHA1_80\tinline:" KEY1 " \r\n", &c, &why), 0);
	CU_ASSERT_EQUAL(c.tag, 7);
}

static void test_crypto_format(void)
{
	struct sdp_crypto c = { .tag = 12 }, back;
	char buf[SDP_CRYPTO_LINE_LEN];

	CU_ASSERT_EQUAL_FATAL(rtp_srtp_key_random(&c.key, RTP_SRTP_AES_CM_128_HMAC_SHA1_32), 0);
	CU_ASSERT_EQUAL_FATAL(sdp_crypto_format(buf, sizeof(buf), &c), 0);
	CU_ASSERT_EQUAL(strncmp(buf, "12 AES_CM_128_HMAC_SHA1_32 inline:", 34), 0);
	CU_ASSERT_EQUAL(strlen(buf), 34 + 40);
	CU_ASSERT_EQUAL_FATAL(sdp_crypto_parse(buf, &back, NULL), 0);
	CU_ASSERT_EQUAL(back.tag, 12);
	CU_ASSERT_EQUAL(back.key.suite, c.key.suite);
	CU_ASSERT_EQUAL(memcmp(back.key.key, c.key.key, sizeof(c.key.key)), 0);
	CU_ASSERT_EQUAL(sdp_crypto_format(buf, 40, &c), -ENOSPC);
}

/* An offer as baresip (mediaenc=srtp-mand) writes it: RTP/SAVP, both
 * suites; one line we cannot use is skipped, not the offer. Our answer
 * keeps the profile and writes our line; it parses back. */
static void test_sdp_offer_answer(void)
{
	static const char offer[] = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
				    "m=audio 4000 RTP/SAVP 0 101\r\n"
				    "a=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
				    "a=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:" KEY1 "\r\n"
				    "a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "|1:4\r\n"
				    "a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "\r\n"
				    "a=crypto:4 AES_CM_128_HMAC_SHA1_32 inline:" KEY1 "\r\n";
	struct sdp_info si, back;
	struct sdp_crypto ours = { .tag = 3 };
	int pts[] = { 0 };
	struct sdp_build_params bp = { .addr = "127.0.0.1", .port = 5000, .pts = pts, .n_pts = 1, .te_pt = 101,
				       .proto = SDP_PROTO_SAVP, .crypto = &ours, .n_crypto = 1 };
	char buf[SDP_ANSWER_LEN];

	CU_ASSERT_EQUAL_FATAL(sdp_info_parse(&si, offer), 0);
	CU_ASSERT_EQUAL(si.proto, SDP_PROTO_SAVP);
	CU_ASSERT(sdp_proto_secure(si.proto));
	CU_ASSERT_EQUAL(si.n_crypto_lines, 4);
	CU_ASSERT_EQUAL_FATAL(si.n_crypto, 2);
	CU_ASSERT_EQUAL(si.crypto[0].tag, 3);
	CU_ASSERT_EQUAL(si.crypto[1].tag, 4);
	CU_ASSERT_EQUAL(si.crypto[1].key.suite, RTP_SRTP_AES_CM_128_HMAC_SHA1_32);
	CU_ASSERT_EQUAL_FATAL(rtp_srtp_key_random(&ours.key, RTP_SRTP_AES_CM_128_HMAC_SHA1_80), 0);
	bp.offer = &si.ml;
	CU_ASSERT_EQUAL_FATAL(sdp_build(buf, sizeof(buf), &bp), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "m=audio 5000 RTP/SAVP 0 101\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:"));
	CU_ASSERT_EQUAL_FATAL(sdp_info_parse(&back, buf), 0);
	CU_ASSERT_EQUAL(back.n_crypto, 1);
	CU_ASSERT_EQUAL(memcmp(back.crypto[0].key.key, ours.key.key, sizeof(ours.key.key)), 0);
	/* the plain profile and no a=crypto when none is given */
	bp.proto = SDP_PROTO_AVP;
	bp.n_crypto = 0;
	CU_ASSERT_EQUAL_FATAL(sdp_build(buf, sizeof(buf), &bp), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "m=audio 5000 RTP/AVP 0 101\r\n"));
	CU_ASSERT_PTR_NULL(strstr(buf, "a=crypto"));
	CU_ASSERT(!sdp_proto_secure(SDP_PROTO_AVP));
	CU_ASSERT(sdp_proto_secure(SDP_PROTO_SAVPF));
	CU_ASSERT(!sdp_proto_secure(SDP_PROTO_OTHER));
}

/* ---- two RTP sessions talking SRTP on 127.0.0.1 */

static su_root_t *root;

struct rx_seen {
	int n;
	uint8_t first[160];
	size_t len;
};

static void on_rx(void *arg, int pt, const uint8_t *payload, size_t len, uint16_t seq, uint32_t ts, int marker)
{
	struct rx_seen *r = arg;

	if (!r->n++) {
		r->len = len < sizeof(r->first) ? len : sizeof(r->first);
		memcpy(r->first, payload, r->len);
	}
}

static int srtp_suite_init(void)
{
	su_init();
	root = su_root_create(NULL);
	return root ? 0 : -1;
}

static int srtp_suite_cleanup(void)
{
	su_root_destroy(root);
	su_deinit();
	return 0;
}

static int udp_open(int *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) || getsockname(fd, (struct sockaddr *)&sin, &sl)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = ntohs(sin.sin_port);
	return fd;
}

/* A sends B 20 packets of SRTP: B's handler gets the plain payload; a
 * plain socket standing where B is sees ciphertext, and what it sends back
 * (plain RTP, or A's own packet again) is dropped and counted, never
 * handed up. An RFC 4733 end packet's two copies are replays too. */
static void test_sessions(void)
{
	struct rtp_params rp = { .local_ip = "127.0.0.1", .recv_h = on_rx };
	struct rtp_session *a = NULL, *b = NULL;
	struct rtp_srtp *sa, *sb;
	struct rtp_srtp_stats st;
	struct rx_seen ra = { 0 }, rb = { 0 };
	struct rtp_stats rs;
	uint8_t payload[160], buf[400];
	int fd, port = 0;
	ssize_t n;

	for (int i = 0; i < 160; i++)
		payload[i] = (uint8_t)(0x55 ^ i);
	rp.arg = &ra;
	CU_ASSERT_EQUAL_FATAL(rtp_alloc(&a, root, &rp), 0);
	rp.arg = &rb;
	CU_ASSERT_EQUAL_FATAL(rtp_alloc(&b, root, &rp), 0);
	pair(&sa, &sb, RTP_SRTP_AES_CM_128_HMAC_SHA1_80);
	rtp_set_srtp(a, sa);
	rtp_set_srtp(b, sb);
	CU_ASSERT_PTR_EQUAL(rtp_get_srtp(a), sa);
	CU_ASSERT_EQUAL(rtp_set_remote(a, "127.0.0.1", rtp_local_port(b)), 0);
	for (int i = 0; i < 20; i++)
		CU_ASSERT_EQUAL(rtp_send(a, 0, payload, sizeof(payload), 160), 0);
	CU_ASSERT_EQUAL(rtp_send_event(a, 101, '5', 800, 1), 0);	/* three copies of one end packet */
	for (int i = 0; i < 20 && rb.n < 21; i++)
		su_root_step(root, 100);
	su_root_step(root, 10);
	CU_ASSERT_EQUAL(rb.n, 21);
	CU_ASSERT_EQUAL(rb.len, 160);
	CU_ASSERT_EQUAL(memcmp(rb.first, payload, 160), 0);
	rtp_srtp_get_stats(sb, &st);
	CU_ASSERT_EQUAL(st.rtp_replay, 2);
	CU_ASSERT_EQUAL(st.rtp_auth_fail, 0);

	/* the wire: a plain socket in B's place */
	fd = udp_open(&port);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(rtp_set_remote(a, "127.0.0.1", port), 0);
	CU_ASSERT_EQUAL(rtp_send(a, 0, payload, sizeof(payload), 160), 0);
	n = recv(fd, buf, sizeof(buf), 0);
	CU_ASSERT_EQUAL_FATAL(n, RTP_HDR_LEN + 160 + 10);
	CU_ASSERT_NOT_EQUAL(memcmp(buf + RTP_HDR_LEN, payload, 160), 0);
	/* sent on to B: B has it already? no, a new seq: B takes it */
	{
		struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)rtp_local_port(b)),
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		uint8_t plain[RTP_HDR_LEN + 160];

		CU_ASSERT_EQUAL(sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&to, sizeof(to)), n);
		CU_ASSERT_EQUAL(sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&to, sizeof(to)), n);	/* replayed */
		buf[RTP_HDR_LEN + 7] ^= 0x10;
		buf[3]++;
		CU_ASSERT_EQUAL(sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&to, sizeof(to)), n);	/* forged */
		rtp_header_build(plain, 0, 0, 7, 7, 0x1234);
		memcpy(plain + RTP_HDR_LEN, payload, 160);
		CU_ASSERT_EQUAL(sendto(fd, plain, sizeof(plain), 0, (struct sockaddr *)&to, sizeof(to)),
				(ssize_t)sizeof(plain));	/* plain RTP */
	}
	for (int i = 0; i < 20; i++) {
		rtp_get_stats(b, &rs);
		if (rs.rx_dropped >= 5)
			break;
		su_root_step(root, 100);
	}
	CU_ASSERT_EQUAL(rb.n, 22);	/* the one real packet */
	CU_ASSERT_EQUAL(rs.rx_dropped, 5);	/* 2 event copies, the replay, the forgery, plain RTP */
	rtp_srtp_get_stats(sb, &st);
	CU_ASSERT_EQUAL(st.rtp_replay, 3);
	CU_ASSERT_EQUAL(st.rtp_auth_fail, 2);
	close(fd);
	rtp_free(a);
	rtp_free(b);
}

/* ---- the leg's policy (sip_srtp.c) on a leg with a real RTP session, no network */

#define OFFER_HEAD "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
#define KEY2 "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNk"

static struct sip_leg *policy_leg(enum sip_role role, int state, int tls, int policy)
{
	struct rtp_params rp = { .local_ip = "127.0.0.1" };
	struct sip_leg *sl = calloc(1, sizeof(*sl));

	CU_ASSERT_FATAL(sl != NULL);
	CU_ASSERT_EQUAL_FATAL(rtp_alloc(&sl->rtp, root, &rp), 0);
	sl->role = role;
	sl->fi.state = state;
	sl->srtp.tls = tls;
	sl->srtp.policy = policy;
	return sl;
}

static void policy_leg_free(struct sip_leg *sl)
{
	rtp_free(sl->rtp);
	free(sl);
}

static void parse(struct sdp_info *si, const char *proto, const char *crypto)
{
	char body[1024];

	snprintf(body, sizeof(body), OFFER_HEAD "m=audio 4000 %s 0\r\na=rtpmap:0 PCMU/8000\r\n%s", proto, crypto);
	CU_ASSERT_EQUAL_FATAL(sdp_info_parse(si, body), 0);
}

/* UAS: RTP/SAVP over TLS answered in kind under the offerer's first usable
 * tag with a key of ours; a re-offer with a new key of that suite taken, one
 * without keys refused (SRTP stays on). Over a clear transport: SAVP
 * refused, best-effort AVP answered plain. */
static void test_policy_uas(void)
{
	struct sdp_build_params bp = { 0 };
	struct sdp_info si;
	struct sip_leg *sl = policy_leg(SIP_ROLE_UAS, SIP_ST_INCOMING, 1, DP_SRTP_OFF);
	const char *log;

	CU_ASSERT_EQUAL_FATAL(unit_log_begin(), 0);
	parse(&si, "RTP/SAVP", "a=crypto:7 AES_256_CM_HMAC_SHA1_80 inline:" KEY1 KEY1 "\r\n"
			       "a=crypto:3 AES_CM_128_HMAC_SHA1_32 inline:" KEY1 "\r\n");
	CU_ASSERT_EQUAL(sip_srtp_take(sl, &si), 0);
	CU_ASSERT_EQUAL(sl->srtp.state, SIP_SRTP_ON);
	CU_ASSERT_PTR_NOT_NULL(rtp_get_srtp(sl->rtp));
	CU_ASSERT_EQUAL(sip_srtp_sdp(sl, &bp), 0);
	CU_ASSERT_EQUAL(bp.proto, SDP_PROTO_AVP);	/* untouched: the answer keeps sl->proto (sip_media.c) */
	CU_ASSERT_EQUAL_FATAL(bp.n_crypto, 1);
	CU_ASSERT_EQUAL(bp.crypto[0].tag, 3);
	CU_ASSERT_EQUAL(bp.crypto[0].key.suite, RTP_SRTP_AES_CM_128_HMAC_SHA1_32);
	CU_ASSERT_NOT_EQUAL(memcmp(bp.crypto[0].key.key, "YS___sem", 8), 0);	/* ours, not theirs */
	sl->fi.state = SIP_ST_CONFIRMED;
	parse(&si, "RTP/SAVP", "a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:" KEY2 "\r\n");
	CU_ASSERT_EQUAL(sip_srtp_take(sl, &si), 0);
	CU_ASSERT_EQUAL(sl->srtp.local[0].tag, 1);	/* renumbered by the re-offer */
	parse(&si, "RTP/AVP", "");
	CU_ASSERT_EQUAL(sip_srtp_take(sl, &si), -EKEYREJECTED);
	parse(&si, "RTP/SAVP", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY2 "\r\n");
	CU_ASSERT_EQUAL(sip_srtp_take(sl, &si), -EKEYREJECTED);	/* another suite mid-call */
	CU_ASSERT_EQUAL(sl->srtp.state, SIP_SRTP_ON);
	policy_leg_free(sl);

	/* over UDP or TCP */
	sl = policy_leg(SIP_ROLE_UAS, SIP_ST_INCOMING, 0, DP_SRTP_OFF);
	parse(&si, "RTP/SAVP", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "\r\n");
	CU_ASSERT_EQUAL(sip_srtp_take(sl, &si), -EPROTONOSUPPORT);
	parse(&si, "RTP/AVP", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "\r\n");
	CU_ASSERT_EQUAL(sip_srtp_take(sl, &si), 0);
	CU_ASSERT_EQUAL(sl->srtp.state, SIP_SRTP_PLAIN);
	CU_ASSERT_PTR_NULL(rtp_get_srtp(sl->rtp));
	memset(&bp, 0, sizeof(bp));
	CU_ASSERT_EQUAL(sip_srtp_sdp(sl, &bp), 0);
	CU_ASSERT_EQUAL(bp.proto, SDP_PROTO_AVP);
	CU_ASSERT_EQUAL(bp.n_crypto, 0);
	policy_leg_free(sl);

	/* RTP/SAVPF (RFC 5124) taken (its answer keeps sl->proto, sip_media.c; the log names it) */
	sl = policy_leg(SIP_ROLE_UAS, SIP_ST_INCOMING, 1, DP_SRTP_OFF);
	parse(&si, "RTP/SAVPF", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "\r\n");
	CU_ASSERT_EQUAL(sip_srtp_take(sl, &si), 0);
	memset(&bp, 0, sizeof(bp));
	CU_ASSERT_EQUAL(sip_srtp_sdp(sl, &bp), 0);
	policy_leg_free(sl);
	parse(&si, "RTP/AVP", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "\r\n");

	/* best effort over TLS: RTP/AVP answered with a=crypto, SRTP on */
	sl = policy_leg(SIP_ROLE_UAS, SIP_ST_INCOMING, 1, DP_SRTP_OFF);
	CU_ASSERT_EQUAL(sip_srtp_take(sl, &si), 0);
	CU_ASSERT_EQUAL(sl->srtp.state, SIP_SRTP_ON);
	memset(&bp, 0, sizeof(bp));
	CU_ASSERT_EQUAL(sip_srtp_sdp(sl, &bp), 0);
	CU_ASSERT_EQUAL(bp.proto, SDP_PROTO_AVP);	/* best effort: RTP/AVP, with a=crypto */
	CU_ASSERT_EQUAL(bp.n_crypto, 1);
	policy_leg_free(sl);
	log = unit_log_end();
	CU_ASSERT_EQUAL(unit_count(log, "SRTP AES_CM_128_HMAC_SHA1_32, tag 3 (RTP/SAVP)"), 1);
	CU_ASSERT_EQUAL(unit_count(log, "SRTP AES_CM_128_HMAC_SHA1_80, tag 1 (RTP/SAVPF)"), 1);
	CU_ASSERT_EQUAL(unit_count(log, "RTP/SAVP over a clear transport refused"), 1);
	CU_ASSERT_EQUAL(unit_count(log, "SDP without our SRTP suite AES_CM_128_HMAC_SHA1_32 in an SRTP call: refused"), 2);
}

/* UAC: our first offer has a line per suite (tags 1, 2); the answer's tag
 * picks ours; mandatory refuses an answer without keys, optional takes it
 * plain; only optional falls back on 488/415, and only before the answer. */
static void test_policy_uac(void)
{
	struct sdp_build_params bp = { 0 };
	struct sdp_info si;
	struct sip_leg *sl = policy_leg(SIP_ROLE_UAC, SIP_ST_IDLE, 1, DP_SRTP_MANDATORY);
	const char *log;

	CU_ASSERT_EQUAL_FATAL(unit_log_begin(), 0);
	CU_ASSERT_EQUAL(sip_srtp_sdp(sl, &bp), 0);
	CU_ASSERT_EQUAL(sl->srtp.state, SIP_SRTP_OFFERED);
	CU_ASSERT_EQUAL(bp.proto, SDP_PROTO_SAVP);
	CU_ASSERT_EQUAL_FATAL(bp.n_crypto, 2);
	CU_ASSERT_EQUAL(bp.crypto[0].tag, 1);
	CU_ASSERT_EQUAL(bp.crypto[0].key.suite, RTP_SRTP_AES_CM_128_HMAC_SHA1_80);
	CU_ASSERT_EQUAL(bp.crypto[1].tag, 2);
	CU_ASSERT_EQUAL(bp.crypto[1].key.suite, RTP_SRTP_AES_CM_128_HMAC_SHA1_32);
	sl->fi.state = SIP_ST_CALLING;
	CU_ASSERT_EQUAL(sip_srtp_fallback(sl, 488), 0);	/* mandatory: never */
	parse(&si, "RTP/SAVP", "");
	CU_ASSERT_EQUAL(sip_srtp_take(sl, &si), -EKEYREJECTED);
	parse(&si, "RTP/SAVP", "a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "\r\n");	/* tag 2 is _32 */
	CU_ASSERT_EQUAL(sip_srtp_take(sl, &si), -EKEYREJECTED);
	CU_ASSERT_EQUAL(sl->srtp.state, SIP_SRTP_OFFERED);
	parse(&si, "RTP/SAVP", "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:" KEY1 "\r\n");
	CU_ASSERT_EQUAL(sip_srtp_take(sl, &si), 0);
	CU_ASSERT_EQUAL(sl->srtp.state, SIP_SRTP_ON);
	CU_ASSERT_EQUAL(rtp_srtp_suite(rtp_get_srtp(sl->rtp)), RTP_SRTP_AES_CM_128_HMAC_SHA1_32);
	CU_ASSERT_EQUAL(sl->srtp.n_local, 1);
	CU_ASSERT_EQUAL(sip_srtp_fallback(sl, 488), 0);	/* answered: no fallback */
	policy_leg_free(sl);

	sl = policy_leg(SIP_ROLE_UAC, SIP_ST_IDLE, 1, DP_SRTP_OPTIONAL);
	memset(&bp, 0, sizeof(bp));
	CU_ASSERT_EQUAL(sip_srtp_sdp(sl, &bp), 0);
	sl->fi.state = SIP_ST_CALLING;
	CU_ASSERT_EQUAL(sip_srtp_fallback(sl, 486), 0);
	CU_ASSERT_EQUAL(sip_srtp_fallback(sl, 415), 1);
	CU_ASSERT_EQUAL(sl->srtp.state, SIP_SRTP_FALLBACK);
	CU_ASSERT_EQUAL(sip_srtp_fallback(sl, 488), 0);	/* once */
	memset(&bp, 0, sizeof(bp));
	CU_ASSERT_EQUAL(sip_srtp_sdp(sl, &bp), 0);
	CU_ASSERT_EQUAL(bp.proto, SDP_PROTO_AVP);
	CU_ASSERT_EQUAL(bp.n_crypto, 0);
	parse(&si, "RTP/AVP", "");
	CU_ASSERT_EQUAL(sip_srtp_take(sl, &si), 0);
	CU_ASSERT_PTR_NULL(rtp_get_srtp(sl->rtp));
	policy_leg_free(sl);

	/* optional answered plain RTP/AVP: a plain call */
	sl = policy_leg(SIP_ROLE_UAC, SIP_ST_IDLE, 1, DP_SRTP_OPTIONAL);
	memset(&bp, 0, sizeof(bp));
	CU_ASSERT_EQUAL(sip_srtp_sdp(sl, &bp), 0);
	sl->fi.state = SIP_ST_CALLING;
	CU_ASSERT_EQUAL(sip_srtp_take(sl, &si), 0);
	CU_ASSERT_EQUAL(sl->srtp.state, SIP_SRTP_PLAIN);
	policy_leg_free(sl);

	/* a leg given srtp over UDP (config refuses it) offers no keys */
	sl = policy_leg(SIP_ROLE_UAC, SIP_ST_IDLE, 0, DP_SRTP_OFF);
	sip_srtp_init_uac(sl, DP_TP_UDP, DP_SRTP_MANDATORY);
	CU_ASSERT_EQUAL(sl->srtp.policy, DP_SRTP_OFF);
	memset(&bp, 0, sizeof(bp));
	CU_ASSERT_EQUAL(sip_srtp_sdp(sl, &bp), 0);
	CU_ASSERT_EQUAL(bp.n_crypto, 0);
	sip_srtp_init_uac(sl, DP_TP_TLS, DP_SRTP_MANDATORY);
	CU_ASSERT_EQUAL(sl->srtp.tls, 1);
	CU_ASSERT_EQUAL(sl->srtp.policy, DP_SRTP_MANDATORY);
	policy_leg_free(sl);
	log = unit_log_end();
	CU_ASSERT_EQUAL(unit_count(log, "without a key for our a=crypto: refused (srtp mandatory)"), 2);
	CU_ASSERT_EQUAL(unit_count(log, "RTP/SAVP refused (415): INVITE again with RTP/AVP (srtp optional)"), 1);
	CU_ASSERT_EQUAL(unit_count(log, "answered RTP/AVP without a=crypto: plain RTP (srtp optional)"), 1);
}

/* A new INVITE's offer: RTP/SAVP over a Via that is not TLS refused with
 * the Warning text, over TLS taken when a line is usable. */
static void test_policy_check_offer(void)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	sip_t sip;
	struct sdp_info si;
	const char *why = NULL;

	memset(&sip, 0, sizeof(sip));
	sip.sip_via = sip_via_make(home, "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1");
	parse(&si, "RTP/SAVP", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "\r\n");
	CU_ASSERT_EQUAL(sip_srtp_check_offer(&sip, &si, &why), -EPROTO);
	CU_ASSERT_STRING_EQUAL(why, "SRTP keys over a clear transport");
	CU_ASSERT_EQUAL(sip_srtp_over_tls(&sip, DP_TP_TLS), 0);	/* the request decides, not the peer */
	sip.sip_via = sip_via_make(home, "SIP/2.0/TLS 127.0.0.1:5061;branch=z9hG4bK2");
	CU_ASSERT_EQUAL(sip_srtp_over_tls(&sip, DP_TP_UDP), 1);
	CU_ASSERT_EQUAL(sip_srtp_check_offer(&sip, &si, &why), 0);
	parse(&si, "RTP/SAVPF", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "|1:4\r\n");
	CU_ASSERT_EQUAL(sip_srtp_check_offer(&sip, &si, &why), -EPROTO);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "no a=crypto we take"));
	parse(&si, "RTP/AVP", "");
	CU_ASSERT_EQUAL(sip_srtp_check_offer(&sip, &si, &why), 0);
	CU_ASSERT_EQUAL(sip_srtp_over_tls(NULL, DP_TP_TLS), 1);
	CU_ASSERT_EQUAL(sip_srtp_over_tls(NULL, DP_TP_TCP), 0);
	su_home_deinit(home);
}

static const CU_TestInfo srtp_tests[] = {
	{ "SRTP round trip, both suites, across the rollover", test_round_trip },
	{ "SRTP: forged, wrong key, plain, replayed, too old: refused", test_forged_and_replayed },
	{ "SRTCP round trip, forged and replayed refused", test_rtcp },
	{ "SRTP: the far end's new key (re-offer)", test_rx_rekey },
	{ "suite names (RFC 4568 6.2)", test_suite_names },
	{ "a=crypto parse: taken, skipped, malformed", test_crypto_parse },
	{ "a=crypto format parses back", test_crypto_format },
	{ "SDP: RTP/SAVP offer read, answer written", test_sdp_offer_answer },
	CU_TEST_INFO_NULL,
};

int suite_srtp_add(void)
{
	CU_pSuite s;

	if (unit_suite_add("srtp", srtp_tests))
		return -1;
	if (!(s = CU_add_suite("srtp_session", srtp_suite_init, srtp_suite_cleanup)))
		return -1;
	if (!CU_add_test(s, "two sessions talk SRTP; the wire is not the payload", test_sessions) ||
	    !CU_add_test(s, "policy: UAS offers over TLS and in clear", test_policy_uas) ||
	    !CU_add_test(s, "policy: UAC offer, answers, fallback", test_policy_uac) ||
	    !CU_add_test(s, "policy: a new INVITE's offer by its Via", test_policy_check_offer))
		return -1;
	return 0;
}
