/* sipgw - unit tests: SDP parse (first audio stream), hold detection, answer
 * direction, payload choice and the builder. SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sip/sdp.h"
#include "unit.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* A typical phone offer: PCMU, PCMA and RFC 4733 events on 101. */
static const char offer_basic[] =
	"v=0\r\n"
	"o=phone 1234 1 IN IP4 192.0.2.10\r\n"
	"s=-\r\n"
	"c=IN IP4 192.0.2.10\r\n"
	"t=0 0\r\n"
	"m=audio 49170 RTP/AVP 0 8 101\r\n"
	"a=rtpmap:0 PCMU/8000\r\n"
	"a=rtpmap:8 PCMA/8000\r\n"
	"a=rtpmap:101 telephone-event/8000\r\n"
	"a=fmtp:101 0-15\r\n"
	"a=ptime:20\r\n";

static void test_parse_basic_offer(void)
{
	struct sdp_info si;

	CU_ASSERT_EQUAL_FATAL(sdp_info_parse(&si, offer_basic), 0);
	CU_ASSERT_STRING_EQUAL(si.addr, "192.0.2.10");
	CU_ASSERT_EQUAL(si.port, 49170);
	CU_ASSERT_EQUAL_FATAL(si.n_pts, 3);
	CU_ASSERT_EQUAL(si.pts[0], 0);
	CU_ASSERT_EQUAL(si.pts[1], 8);
	CU_ASSERT_EQUAL(si.pts[2], 101);
	CU_ASSERT_EQUAL(si.te_pt, 101);
	CU_ASSERT_EQUAL(si.dir, SDP_SENDRECV);
	CU_ASSERT_EQUAL(si.null_addr, 0);
	CU_ASSERT_FALSE(sdp_is_hold(&si));
}

/* m= order is kept, static payload types need no rtpmap, te on another pt. */
static void test_parse_order_and_static_pts(void)
{
	static const char sdp[] =
		"v=0\r\no=- 1 1 IN IP4 198.51.100.7\r\ns=-\r\nc=IN IP4 198.51.100.7\r\nt=0 0\r\n"
		"m=audio 30000 RTP/AVP 8 0 96\r\n"
		"a=rtpmap:96 telephone-event/8000\r\n";
	struct sdp_info si;

	CU_ASSERT_EQUAL_FATAL(sdp_info_parse(&si, sdp), 0);
	CU_ASSERT_EQUAL(si.port, 30000);
	CU_ASSERT_EQUAL_FATAL(si.n_pts, 3);
	CU_ASSERT_EQUAL(si.pts[0], 8);
	CU_ASSERT_EQUAL(si.pts[1], 0);
	CU_ASSERT_EQUAL(si.pts[2], 96);
	CU_ASSERT_EQUAL(si.te_pt, 96);
}

static void test_parse_no_telephone_event(void)
{
	static const char sdp[] =
		"v=0\r\no=- 1 1 IN IP4 198.51.100.7\r\ns=-\r\nc=IN IP4 198.51.100.7\r\nt=0 0\r\n"
		"m=audio 30000 RTP/AVP 0\r\n";
	struct sdp_info si;

	CU_ASSERT_EQUAL_FATAL(sdp_info_parse(&si, sdp), 0);
	CU_ASSERT_EQUAL(si.n_pts, 1);
	CU_ASSERT_EQUAL(si.pts[0], 0);
	CU_ASSERT_EQUAL(si.te_pt, -1);
}

/* RFC 4566 5.7: a media-level c= overrides the session-level one; the first
 * audio stream is the one read, even after a video stream. */
static void test_media_level_connection_wins(void)
{
	static const char sdp[] =
		"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
		"m=video 51372 RTP/AVP 31\r\n"
		"c=IN IP4 192.0.2.2\r\n"
		"m=audio 49172 RTP/AVP 8\r\n"
		"c=IN IP4 192.0.2.3\r\n";
	static const char no_media_c[] =
		"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
		"m=audio 49172 RTP/AVP 8\r\n";
	struct sdp_info si;

	CU_ASSERT_EQUAL_FATAL(sdp_info_parse(&si, sdp), 0);
	CU_ASSERT_STRING_EQUAL(si.addr, "192.0.2.3");
	CU_ASSERT_EQUAL(si.port, 49172);
	CU_ASSERT_EQUAL(si.n_pts, 1);
	CU_ASSERT_EQUAL(si.pts[0], 8);
	CU_ASSERT_EQUAL_FATAL(sdp_info_parse(&si, no_media_c), 0);
	CU_ASSERT_STRING_EQUAL(si.addr, "192.0.2.1");
}

static void test_rejected_stream_port_zero(void)
{
	static const char sdp[] =
		"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
		"m=audio 0 RTP/AVP 0\r\n";
	struct sdp_info si;

	CU_ASSERT_EQUAL_FATAL(sdp_info_parse(&si, sdp), 0);
	CU_ASSERT_EQUAL(si.port, 0);
}

/* RFC 2543 hold: c=IN IP4 0.0.0.0, direction left at sendrecv. */
static void test_null_address_is_hold(void)
{
	static const char sdp[] =
		"v=0\r\no=phone 1234 2 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n"
		"m=audio 49170 RTP/AVP 0 101\r\n"
		"a=rtpmap:101 telephone-event/8000\r\n";
	struct sdp_info si;

	CU_ASSERT_EQUAL_FATAL(sdp_info_parse(&si, sdp), 0);
	CU_ASSERT_STRING_EQUAL(si.addr, "0.0.0.0");
	CU_ASSERT_EQUAL(si.null_addr, 1);
	CU_ASSERT_EQUAL(si.dir, SDP_SENDRECV);
	CU_ASSERT_TRUE(sdp_is_hold(&si));
}

static void parse_with_dir(const char *attr_session, const char *attr_media, struct sdp_info *si)
{
	char sdp[512];

	snprintf(sdp, sizeof(sdp),
		 "v=0\r\no=phone 1234 2 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
		 "%s%s%s"
		 "m=audio 49170 RTP/AVP 0\r\n"
		 "%s%s%s",
		 attr_session ? "a=" : "", attr_session ? attr_session : "", attr_session ? "\r\n" : "",
		 attr_media ? "a=" : "", attr_media ? attr_media : "", attr_media ? "\r\n" : "");
	CU_ASSERT_EQUAL_FATAL(sdp_info_parse(si, sdp), 0);
}

/* RFC 3264 8.4: sendonly and inactive from the far end put us on hold;
 * recvonly (the far end still wants our audio) does not. */
static void test_direction_and_hold(void)
{
	static const struct {
		const char *attr;
		enum sdp_dir dir;
		int hold;
	} c[] = {
		{ NULL, SDP_SENDRECV, 0 },
		{ "sendrecv", SDP_SENDRECV, 0 },
		{ "sendonly", SDP_SENDONLY, 1 },
		{ "inactive", SDP_INACTIVE, 1 },
		{ "recvonly", SDP_RECVONLY, 0 },
	};
	struct sdp_info si;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(c); i++) {
		/* at media level, then at session level */
		parse_with_dir(NULL, c[i].attr, &si);
		if (si.dir != c[i].dir || sdp_is_hold(&si) != c[i].hold)
			fprintf(stderr, "\n  media a=%s: dir %s hold %d", c[i].attr ? c[i].attr : "-",
				sdp_dir_name(si.dir), sdp_is_hold(&si));
		CU_ASSERT_EQUAL(si.dir, c[i].dir);
		CU_ASSERT_EQUAL(!!sdp_is_hold(&si), c[i].hold);
		CU_ASSERT_EQUAL(si.null_addr, 0);
		parse_with_dir(c[i].attr, NULL, &si);
		if (si.dir != c[i].dir)
			fprintf(stderr, "\n  session a=%s: dir %s", c[i].attr ? c[i].attr : "-",
				sdp_dir_name(si.dir));
		CU_ASSERT_EQUAL(si.dir, c[i].dir);
		CU_ASSERT_EQUAL(!!sdp_is_hold(&si), c[i].hold);
	}
}

/* RFC 3264 5.1: a media-level direction overrides the session-level one. */
static void test_media_direction_overrides_session(void)
{
	struct sdp_info si;

	parse_with_dir("sendonly", "sendrecv", &si);
	CU_ASSERT_EQUAL(si.dir, SDP_SENDRECV);
	CU_ASSERT_FALSE(sdp_is_hold(&si));
	parse_with_dir("sendrecv", "inactive", &si);
	CU_ASSERT_EQUAL(si.dir, SDP_INACTIVE);
	CU_ASSERT_TRUE(sdp_is_hold(&si));
}

static void test_dir_answer_and_names(void)
{
	CU_ASSERT_EQUAL(sdp_dir_answer(SDP_SENDONLY), SDP_RECVONLY);
	CU_ASSERT_EQUAL(sdp_dir_answer(SDP_RECVONLY), SDP_SENDONLY);
	CU_ASSERT_EQUAL(sdp_dir_answer(SDP_INACTIVE), SDP_INACTIVE);
	CU_ASSERT_EQUAL(sdp_dir_answer(SDP_SENDRECV), SDP_SENDRECV);
	CU_ASSERT_STRING_EQUAL(sdp_dir_name(SDP_SENDRECV), "sendrecv");
	CU_ASSERT_STRING_EQUAL(sdp_dir_name(SDP_SENDONLY), "sendonly");
	CU_ASSERT_STRING_EQUAL(sdp_dir_name(SDP_RECVONLY), "recvonly");
	CU_ASSERT_STRING_EQUAL(sdp_dir_name(SDP_INACTIVE), "inactive");
	CU_ASSERT_STRING_EQUAL(sdp_dir_name((enum sdp_dir)7), "?");
}

static void test_choose_pt_by_our_preference(void)
{
	static const int pcma_first[] = { 8, 0 }, pcmu_first[] = { 0, 8 }, g729[] = { 18 };
	static const int g722_then_pcma[] = { 9, 8 };
	struct sdp_info si;

	CU_ASSERT_EQUAL_FATAL(sdp_info_parse(&si, offer_basic), 0);	/* offers 0 8 101 */
	CU_ASSERT_EQUAL(sdp_choose_pt(&si, pcma_first, 2), 8);
	CU_ASSERT_EQUAL(sdp_choose_pt(&si, pcmu_first, 2), 0);
	CU_ASSERT_EQUAL(sdp_choose_pt(&si, g722_then_pcma, 2), 8);
	CU_ASSERT_EQUAL(sdp_choose_pt(&si, g729, 1), -1);
	CU_ASSERT_EQUAL(sdp_choose_pt(&si, pcmu_first, 0), -1);
}

static void test_garbage_is_ebadmsg(void)
{
	static const char *const bad[] = {
		"",
		"hello world",
		"SIP/2.0 200 OK\r\n",
		/* valid SDP but no audio stream */
		"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
		"m=video 51372 RTP/AVP 31\r\n",
		/* no m= at all */
		"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n",
	};
	struct sdp_info si;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		int rc = sdp_info_parse(&si, bad[i]);

		if (rc != -EBADMSG)
			fprintf(stderr, "\n  body %zu: rc %d, want -EBADMSG", i, rc);
		CU_ASSERT_EQUAL(rc, -EBADMSG);
	}
	CU_ASSERT_EQUAL(sdp_info_parse(&si, NULL), -EBADMSG);
	CU_ASSERT_EQUAL(si.te_pt, -1);
	CU_ASSERT_EQUAL(si.n_pts, 0);
}

static void test_build_round_trip(void)
{
	static const int pts[] = { 8, 0 };
	struct sdp_build_params p = {
		.addr = "203.0.113.5", .port = 20002, .pts = pts, .n_pts = 2,
		.te_pt = SDP_PT_TELEPHONE_EVENT, .dir = SDP_SENDRECV, .sess_id = 42, .sess_ver = 1,
	};
	static const enum sdp_dir dirs[] = { SDP_SENDRECV, SDP_SENDONLY, SDP_RECVONLY, SDP_INACTIVE };
	struct sdp_info si;
	char buf[1024];
	size_t i;

	CU_ASSERT_EQUAL_FATAL(sdp_build(buf, sizeof(buf), &p), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "o=sipgw 42 1 IN IP4 203.0.113.5\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "m=audio 20002 RTP/AVP 8 0 101\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "a=rtpmap:8 PCMA/8000\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "a=rtpmap:101 telephone-event/8000\r\n"));
	CU_ASSERT_EQUAL_FATAL(sdp_info_parse(&si, buf), 0);
	CU_ASSERT_STRING_EQUAL(si.addr, "203.0.113.5");
	CU_ASSERT_EQUAL(si.port, 20002);
	CU_ASSERT_EQUAL_FATAL(si.n_pts, 3);
	CU_ASSERT_EQUAL(si.pts[0], 8);
	CU_ASSERT_EQUAL(si.pts[1], 0);
	CU_ASSERT_EQUAL(si.pts[2], 101);
	CU_ASSERT_EQUAL(si.te_pt, 101);
	CU_ASSERT_EQUAL(si.dir, SDP_SENDRECV);
	CU_ASSERT_EQUAL(si.null_addr, 0);

	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		p.dir = dirs[i];
		CU_ASSERT_EQUAL_FATAL(sdp_build(buf, sizeof(buf), &p), 0);
		CU_ASSERT_EQUAL_FATAL(sdp_info_parse(&si, buf), 0);
		CU_ASSERT_EQUAL(si.dir, dirs[i]);
	}

	/* hold the RFC 2543 way, no telephone-event */
	p.dir = SDP_SENDONLY;
	p.null_addr = 1;
	p.te_pt = -1;
	p.n_pts = 1;
	CU_ASSERT_EQUAL_FATAL(sdp_build(buf, sizeof(buf), &p), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "c=IN IP4 0.0.0.0\r\n"));
	CU_ASSERT_PTR_NULL(strstr(buf, "telephone-event"));
	CU_ASSERT_EQUAL_FATAL(sdp_info_parse(&si, buf), 0);
	CU_ASSERT_EQUAL(si.null_addr, 1);
	CU_ASSERT_EQUAL(si.n_pts, 1);
	CU_ASSERT_EQUAL(si.pts[0], 8);
	CU_ASSERT_EQUAL(si.te_pt, -1);
	CU_ASSERT_EQUAL(si.dir, SDP_SENDONLY);
	CU_ASSERT_TRUE(sdp_is_hold(&si));
}

static void test_build_enospc(void)
{
	static const int pts[] = { 0, 8 };
	const struct sdp_build_params p = {
		.addr = "203.0.113.5", .port = 20002, .pts = pts, .n_pts = 2,
		.te_pt = SDP_PT_TELEPHONE_EVENT, .dir = SDP_SENDRECV, .sess_id = 1, .sess_ver = 1,
	};
	char buf[400];
	size_t full;

	CU_ASSERT_EQUAL_FATAL(sdp_build(buf, sizeof(buf), &p), 0);
	full = strlen(buf);
	CU_ASSERT_EQUAL(sdp_build(buf, 16, &p), -ENOSPC);
	CU_ASSERT_EQUAL(sdp_build(buf, 1, &p), -ENOSPC);
	CU_ASSERT_EQUAL(sdp_build(buf, full, &p), -ENOSPC);	/* no room for the NUL */
	CU_ASSERT_EQUAL(sdp_build(buf, full + 1, &p), 0);
	CU_ASSERT_EQUAL(strlen(buf), full);
}

/* RFC 4028 session refresh: a re-INVITE repeating the same sendrecv SDP (only
 * o= version bumped) must not be taken for a hold. */
static void test_session_refresh_is_not_hold(void)
{
	static const int pts[] = { 0 };
	struct sdp_build_params p = {
		.addr = "192.0.2.10", .port = 49170, .pts = pts, .n_pts = 1,
		.te_pt = SDP_PT_TELEPHONE_EVENT, .dir = SDP_SENDRECV, .sess_id = 7, .sess_ver = 1,
	};
	struct sdp_info first, again;
	char buf[1024];

	CU_ASSERT_EQUAL_FATAL(sdp_build(buf, sizeof(buf), &p), 0);
	CU_ASSERT_EQUAL_FATAL(sdp_info_parse(&first, buf), 0);
	p.sess_ver = 2;
	CU_ASSERT_EQUAL_FATAL(sdp_build(buf, sizeof(buf), &p), 0);
	CU_ASSERT_EQUAL_FATAL(sdp_info_parse(&again, buf), 0);
	CU_ASSERT_FALSE(sdp_is_hold(&again));
	CU_ASSERT_EQUAL(memcmp(&first, &again, sizeof(first)), 0);

	/* and the phone's own offer, re-sent unchanged */
	CU_ASSERT_EQUAL_FATAL(sdp_info_parse(&again, offer_basic), 0);
	CU_ASSERT_FALSE(sdp_is_hold(&again));
	CU_ASSERT_EQUAL(sdp_dir_answer(again.dir), SDP_SENDRECV);
}

/* Sofia-SIP's parser loops, allocating without end, on a non-token
 * character in a non-RTP format list (tests/fuzz found it): refused at once.
 * Other protos with token formats (T.38 image/udptl) still parse. */
static void test_mline_non_token_refused(void)
{
#define SESS "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
	static const char *const bad[] = {
		SESS "m=audio 4000 udp :\r\n",
		SESS "m=audio 49170 R\xa3\xaf\r\n",
		SESS "m=image 4002 udptl t38\r\nm=audio 4000 RTP/AVP 0 \"8\"\r\n",
		SESS "m=audio 4000 RTP/AVP 0\t8\r\n",
		SESS "m=ima/1udio 4000/2 /8000\r\n",
		SESS "m=image 4002 udptl t38\r\t m=audio 4000 udp :\r\n",
	};
	struct sdp_info si;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		CU_ASSERT_EQUAL(sdp_info_parse(&si, bad[i]), -EBADMSG);
	CU_ASSERT_EQUAL(sdp_info_parse(&si, SESS "m=image 4002 udptl t38\r\n"
					    "m=audio 4000/2 RTP/AVP 8 0\r\n"), 0);
	CU_ASSERT_EQUAL(si.port, 4000);
	CU_ASSERT_EQUAL(si.n_pts, 2);
#undef SESS
}

int suite_sdp_add(void)
{
	static const CU_TestInfo tests[] = {
		{ "parse PCMU/PCMA/telephone-event offer", test_parse_basic_offer },
		{ "m= order, static pts, te on 96", test_parse_order_and_static_pts },
		{ "no telephone-event -> te_pt -1", test_parse_no_telephone_event },
		{ "media-level c= overrides session", test_media_level_connection_wins },
		{ "m=audio 0 -> port 0", test_rejected_stream_port_zero },
		{ "c=0.0.0.0 is hold", test_null_address_is_hold },
		{ "direction attributes and hold", test_direction_and_hold },
		{ "media direction overrides session", test_media_direction_overrides_session },
		{ "answer direction and names", test_dir_answer_and_names },
		{ "choose pt by our preference", test_choose_pt_by_our_preference },
		{ "garbage / no audio -> -EBADMSG", test_garbage_is_ebadmsg },
		{ "build round-trips through parse", test_build_round_trip },
		{ "build -ENOSPC", test_build_enospc },
		{ "session refresh is not hold", test_session_refresh_is_not_hold },
		{ "m= line with a non-token format refused", test_mline_non_token_refused },
		CU_TEST_INFO_NULL,
	};

	return unit_suite_add("sdp", tests);
}
