/* sipgw - unit tests: SDP parse (first audio stream, every m= line), hold
 * detection, answer direction, payload choice and the builder (answers with
 * one m= line per offered one, RFC 3264 6). SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dsp/codec.h"
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

/* RFC 4566 5.7 addrtype IP6 (RFC 3266): the address as Sofia reads it,
 * no brackets; c=IN IP6 :: is hold as 0.0.0.0 is for IPv4. */
static void test_ipv6_offer(void)
{
	static const char sdp[] =
		"v=0\r\no=phone 1 1 IN IP6 2001:db8::10\r\ns=-\r\nc=IN IP6 2001:db8::10\r\nt=0 0\r\n"
		"m=audio 49170 RTP/AVP 0\r\n"
		"c=IN IP6 2001:db8::11\r\n";
	static const char held[] =
		"v=0\r\no=phone 1 2 IN IP6 ::1\r\ns=-\r\nc=IN IP6 ::\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0\r\n";
	struct sdp_info si;

	CU_ASSERT_EQUAL_FATAL(sdp_info_parse(&si, sdp), 0);
	CU_ASSERT_STRING_EQUAL(si.addr, "2001:db8::11");
	CU_ASSERT_EQUAL(si.port, 49170);
	CU_ASSERT_EQUAL(si.null_addr, 0);
	CU_ASSERT_FALSE(sdp_is_hold(&si));
	CU_ASSERT_EQUAL_FATAL(sdp_info_parse(&si, held), 0);
	CU_ASSERT_STRING_EQUAL(si.addr, "::");
	CU_ASSERT_EQUAL(si.null_addr, 1);
	CU_ASSERT_TRUE(sdp_is_hold(&si));
}

/* Our description for an IPv6 RTP address: o= and c= IN IP6, the address
 * bare; held the old way, c=IN IP6 ::; it parses back. */
static void test_ipv6_build(void)
{
	static const int pts[] = { 0 };
	struct sdp_build_params p = {
		.addr = "::1", .port = 30000, .pts = pts, .n_pts = 1, .te_pt = -1, .dir = SDP_SENDRECV,
		.sess_id = 7, .sess_ver = 2,
	};
	struct sdp_info si;
	char buf[1024];

	CU_ASSERT_EQUAL_FATAL(sdp_build(buf, sizeof(buf), &p), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "o=sipgw 7 2 IN IP6 ::1\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "c=IN IP6 ::1\r\n"));
	CU_ASSERT_PTR_NULL(strstr(buf, "IP4"));
	CU_ASSERT_EQUAL_FATAL(sdp_info_parse(&si, buf), 0);
	CU_ASSERT_STRING_EQUAL(si.addr, "::1");
	p.null_addr = 1;
	CU_ASSERT_EQUAL_FATAL(sdp_build(buf, sizeof(buf), &p), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "o=sipgw 7 2 IN IP6 ::1\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "c=IN IP6 ::\r\n"));
	p.addr = "192.0.2.5";
	CU_ASSERT_EQUAL_FATAL(sdp_build(buf, sizeof(buf), &p), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "c=IN IP4 0.0.0.0\r\n"));
	CU_ASSERT_STRING_EQUAL(sdp_addr_type("2001:db8::1"), "IP6");
	CU_ASSERT_STRING_EQUAL(sdp_addr_type("192.0.2.1"), "IP4");
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

/* RFC 4566 5.14: a port is 16 bits; Sofia reads any number of digits. An
 * audio line past 65535 is refused like an unreadable one: a later good one
 * is taken, alone it is no audio stream (488). */
static void test_port_out_of_range(void)
{
	static const char *const bad =
		"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
		"m=audio 70000 RTP/AVP 0\r\n";
	static const char *const then_good =
		"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
		"m=audio 4294967296 RTP/AVP 0\r\nm=audio 49170 RTP/AVP 8\r\n";
	struct sdp_info si;

	CU_ASSERT_EQUAL(sdp_info_parse(&si, bad), -ENOMEDIUM);
	CU_ASSERT_EQUAL(si.ml.audio, -1);
	CU_ASSERT_EQUAL(sdp_info_parse(&si, then_good), 0);
	CU_ASSERT_EQUAL(si.ml.audio, 1);
	CU_ASSERT_EQUAL(si.port, 49170);
	CU_ASSERT_EQUAL(si.ml.n, 2);
}

/* RFC 3264 6: an offer with no audio stream (video only, or no m= line) is
 * SDP all the same: -ENOMEDIUM, answered 488 rather than 400. */
static void test_no_audio_is_enomedium(void)
{
	static const char *const none[] = {
		"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
		"m=video 51372 RTP/AVP 31\r\n",
		"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n",
	};
	struct sdp_info si;

	for (size_t i = 0; i < ARRAY_SIZE(none); i++) {
		CU_ASSERT_EQUAL(sdp_info_parse(&si, none[i]), -ENOMEDIUM);
		CU_ASSERT_EQUAL(si.ml.audio, -1);
		CU_ASSERT_STRING_EQUAL(si.error, i ? "no m= line" : "no audio stream");
	}
	CU_ASSERT_EQUAL(si.ml.n, 0);
}

static void test_garbage_is_ebadmsg(void)
{
	static const char *const bad[] = {
		"",
		"hello world",
		"SIP/2.0 200 OK\r\n",
		/* the only media description is one Sofia refuses */
		"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
		"m=video 3227 RTP/AVP 31\r\na=rtpmap:31 LPC\r\n",
		/* a broken session part spoils every m= line */
		"v=0\r\no=broken\r\ns=-\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0\r\n",
		/* an m= line too short to be refused */
		"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
		"m=audio 49170 RTP/AVP 0\r\nm=video\r\n",
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

/* RFC 4475 esc01 / longreq: the video line's a=rtpmap:31 LPC has no clock
 * rate, which Sofia refuses; only that stream is lost. */
static const char offer_av_odd_rtpmap[] =
	"v=0\r\n"
	"o=mhandley 29739 7272939 IN IP4 192.0.2.1\r\n"
	"s=-\r\n"
	"c=IN IP4 192.0.2.1\r\n"
	"t=0 0\r\n"
	"m=audio 49217 RTP/AVP 0 12\r\n"
	"m=video 3227 RTP/AVP 31\r\n"
	"a=rtpmap:31 LPC\r\n";

/* Our answer to offer: built, parsed back, m= lines as (type, port) in order. */
static void answer_to(const char *offer, struct sdp_info *si, char *buf, size_t len)
{
	static const int pts[] = { 0 };
	struct sdp_build_params p = {
		.addr = "203.0.113.5", .port = 20002, .pts = pts, .n_pts = 1,
		.te_pt = -1, .dir = SDP_SENDRECV, .sess_id = 9, .sess_ver = 1,
	};

	CU_ASSERT_EQUAL_FATAL(sdp_info_parse(si, offer), 0);
	p.offer = &si->ml;
	CU_ASSERT_EQUAL_FATAL(sdp_build(buf, len, &p), 0);
}

/* Where line starts in buf, as an offset (-1: absent), for order checks. */
static long at(const char *buf, const char *line)
{
	const char *p = strstr(buf, line);
	return p ? p - buf : -1;
}

static void test_video_odd_rtpmap_refused_port0(void)
{
	struct sdp_info si, back;
	char buf[1024];

	answer_to(offer_av_odd_rtpmap, &si, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(si.addr, "192.0.2.1");
	CU_ASSERT_EQUAL(si.port, 49217);
	CU_ASSERT_EQUAL_FATAL(si.n_pts, 2);
	CU_ASSERT_EQUAL(si.pts[0], 0);
	CU_ASSERT_EQUAL(si.pts[1], 12);
	CU_ASSERT_EQUAL(si.ml.n, 2);
	CU_ASSERT_EQUAL(si.ml.audio, 0);
	CU_ASSERT_STRING_EQUAL(si.ml.m[1].type, "video");
	CU_ASSERT_STRING_EQUAL(si.ml.m[1].proto, "RTP/AVP");
	CU_ASSERT_STRING_EQUAL(si.ml.m[1].fmt, "31");
	CU_ASSERT_PTR_NOT_NULL(strstr(si.error, "clock rate"));	/* why, for the log */
	/* audio answered, video refused after it, nothing else */
	CU_ASSERT(at(buf, "m=audio 20002 RTP/AVP 0\r\n") > 0);
	CU_ASSERT(at(buf, "m=video 0 RTP/AVP 31\r\n") > at(buf, "m=audio 20002 RTP/AVP 0\r\n"));
	CU_ASSERT(at(buf, "a=sendrecv\r\n") < at(buf, "m=video 0"));	/* audio attributes stay with audio */
	CU_ASSERT_EQUAL_FATAL(sdp_info_parse(&back, buf), 0);
	CU_ASSERT_EQUAL(back.ml.n, 2);
	CU_ASSERT_EQUAL(back.ml.audio, 0);
	CU_ASSERT_EQUAL(back.port, 20002);
}

/* Video first: the answer keeps the offer's order (RFC 3264 6). */
static void test_video_first_order_kept(void)
{
	static const char offer[] =
		"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
		"m=video 51372 RTP/AVP 31\r\n"
		"m=application 9 TCP/BFCP *\r\n"
		"m=audio 49172 RTP/AVP 8 0\r\n";
	struct sdp_info si;
	char buf[1024];

	answer_to(offer, &si, buf, sizeof(buf));
	CU_ASSERT_EQUAL(si.ml.n, 3);
	CU_ASSERT_EQUAL(si.ml.audio, 2);
	CU_ASSERT_EQUAL(si.port, 49172);
	CU_ASSERT(at(buf, "m=video 0 RTP/AVP 31\r\n") > 0);
	CU_ASSERT(at(buf, "m=application 0 TCP/BFCP *\r\n") > at(buf, "m=video 0 RTP/AVP 31\r\n"));
	CU_ASSERT(at(buf, "m=audio 20002 RTP/AVP 0\r\n") > at(buf, "m=application 0"));
}

/* Two audio streams: the first is ours, the second refused with port 0. */
static void test_two_audio_first_taken(void)
{
	static const char offer[] =
		"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
		"m=audio 40000 RTP/AVP 0\r\n"
		"m=audio 40002 RTP/AVP 8\r\n";
	struct sdp_info si;
	char buf[1024];

	answer_to(offer, &si, buf, sizeof(buf));
	CU_ASSERT_EQUAL(si.ml.n, 2);
	CU_ASSERT_EQUAL(si.ml.audio, 0);
	CU_ASSERT_EQUAL(si.port, 40000);
	CU_ASSERT_EQUAL_FATAL(si.n_pts, 1);
	CU_ASSERT_EQUAL(si.pts[0], 0);
	CU_ASSERT(at(buf, "m=audio 20002 RTP/AVP 0\r\n") > 0);
	CU_ASSERT(at(buf, "m=audio 0 RTP/AVP 8\r\n") > at(buf, "m=audio 20002"));
}

/* An audio stream Sofia refuses costs that stream: the next audio one is ours. */
static void test_broken_audio_next_taken(void)
{
	static const char offer[] =
		"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
		"m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU\r\n"
		"m=audio 40002 RTP/AVP 8\r\na=sendonly\r\n";
	struct sdp_info si;
	char buf[1024];

	answer_to(offer, &si, buf, sizeof(buf));
	CU_ASSERT_EQUAL(si.ml.audio, 1);
	CU_ASSERT_EQUAL(si.port, 40002);
	CU_ASSERT_EQUAL(si.dir, SDP_SENDONLY);	/* its own attributes, not the refused one's */
	CU_ASSERT(at(buf, "m=audio 0 RTP/AVP 0\r\n") > 0);
	CU_ASSERT(at(buf, "m=audio 20002 RTP/AVP 0\r\n") > at(buf, "m=audio 0 RTP/AVP 0"));
}

static void test_too_many_mlines_e2big(void)
{
	char offer[2048];
	size_t off;
	struct sdp_info si;

	off = (size_t)snprintf(offer, sizeof(offer),
			       "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n");
	for (int i = 0; i <= SDP_MAX_MEDIA; i++)
		off += (size_t)snprintf(offer + off, sizeof(offer) - off, "m=audio %d RTP/AVP 0\r\n", 40000 + 2 * i);
	CU_ASSERT_EQUAL(sdp_info_parse(&si, offer), -E2BIG);
	/* one fewer is fine: the first taken, every other one refused */
	*strrchr(offer, 'm') = 0;
	CU_ASSERT_EQUAL_FATAL(sdp_info_parse(&si, offer), 0);
	CU_ASSERT_EQUAL(si.ml.n, SDP_MAX_MEDIA);
	CU_ASSERT_EQUAL(si.ml.audio, 0);
}

/* The worst answer (longest names everywhere) fits in SDP_ANSWER_LEN. */
static void test_largest_answer_fits(void)
{
	static const int pts[] = { 0, 8 };
	static struct sdp_mlines ml = { .n = SDP_MAX_MEDIA, .audio = SDP_MAX_MEDIA - 1 };
	char addr[64], buf[SDP_ANSWER_LEN];
	struct sdp_build_params p = {
		.addr = addr, .port = 65535, .pts = pts, .n_pts = 2, .te_pt = 127, .dir = SDP_INACTIVE,
		.null_addr = 0, .sess_id = ~0UL, .sess_ver = ~0UL, .offer = &ml,
	};

	memset(addr, '1', sizeof(addr) - 1);
	addr[sizeof(addr) - 1] = 0;
	for (int i = 0; i < SDP_MAX_MEDIA; i++) {
		memset(ml.m[i].type, 't', sizeof(ml.m[i].type) - 1);
		memset(ml.m[i].proto, 'p', sizeof(ml.m[i].proto) - 1);
		memset(ml.m[i].fmt, 'f', sizeof(ml.m[i].fmt) - 1);
	}
	CU_ASSERT_EQUAL(sdp_build(buf, sizeof(buf), &p), 0);
}

/* An offer without the layout (NULL) still builds the audio stream alone. */
static void test_build_answer_needs_audio_index(void)
{
	static const int pts[] = { 8 };
	struct sdp_mlines ml = { .n = 1, .audio = -1 };
	struct sdp_build_params p = {
		.addr = "203.0.113.5", .port = 20002, .pts = pts, .n_pts = 1,
		.te_pt = -1, .dir = SDP_SENDRECV, .sess_id = 1, .sess_ver = 1, .offer = &ml,
	};
	char buf[512];

	snprintf(ml.m[0].type, sizeof(ml.m[0].type), "video");
	CU_ASSERT_EQUAL_FATAL(sdp_build(buf, sizeof(buf), &p), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "m=audio 20002 RTP/AVP 8\r\n"));
	CU_ASSERT_PTR_NULL(strstr(buf, "m=video"));
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

/* A declined first audio stream (port 0) and a live second one: the live
 * one is taken, and the answer declines the first in its place. */
static void test_declined_audio_then_live(void)
{
	static const char offer[] =
		"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
		"m=audio 0 RTP/AVP 0\r\n"
		"m=audio 4000 RTP/AVP 8\r\n";
	struct sdp_info si;

	CU_ASSERT_EQUAL_FATAL(sdp_info_parse(&si, offer), 0);
	CU_ASSERT_EQUAL(si.port, 4000);
	CU_ASSERT_EQUAL(si.ml.audio, 1);
	CU_ASSERT_EQUAL_FATAL(si.n_pts, 1);
	CU_ASSERT_EQUAL(si.pts[0], 8);
}

/* ---- rtpmap, fmtp, ptime and the codec choice (issue 11) ---- */

/* A wideband phone: G.722 first, Opus on a dynamic PT, PCMU, events on 101,
 * comfort noise, 30 ms packets wanted, 60 at most. */
static const char offer_wide[] =
	"v=0\r\no=phone 7 1 IN IP4 192.0.2.20\r\ns=-\r\nc=IN IP4 192.0.2.20\r\nt=0 0\r\n"
	"m=audio 40000 RTP/AVP 9 111 0 101 13\r\n"
	"a=rtpmap:9 G722/8000\r\n"
	"a=rtpmap:111 opus/48000/2\r\n"
	"a=fmtp:111 useinbandfec=1; maxaveragebitrate=20000\r\n"
	"a=rtpmap:101 telephone-event/8000\r\n"
	"a=fmtp:101 0-16\r\n"
	"a=ptime:30\r\n"
	"a=maxptime:60\r\n";

static void test_parse_rtpmap_fmtp_ptime(void)
{
	struct sdp_info si;

	CU_ASSERT_EQUAL_FATAL(sdp_info_parse(&si, offer_wide), 0);
	CU_ASSERT_EQUAL_FATAL(si.n_pts, 5);
	CU_ASSERT_STRING_EQUAL(si.maps[0].enc, "G722");
	CU_ASSERT_EQUAL(si.maps[0].clock, 8000);
	CU_ASSERT_EQUAL(si.maps[0].channels, 1);
	CU_ASSERT_EQUAL(si.pts[1], 111);
	CU_ASSERT_STRING_EQUAL(si.maps[1].enc, "opus");
	CU_ASSERT_EQUAL(si.maps[1].clock, 48000);
	CU_ASSERT_EQUAL(si.maps[1].channels, 2);
	CU_ASSERT_STRING_EQUAL(si.maps[1].fmtp, "useinbandfec=1; maxaveragebitrate=20000");
	CU_ASSERT_STRING_EQUAL(si.maps[3].fmtp, "0-16");
	CU_ASSERT_EQUAL(si.te_pt, 101);
	CU_ASSERT_EQUAL(si.cn_pt, 13);		/* static PT 13 without rtpmap: CN/8000 */
	CU_ASSERT_EQUAL(si.ptime, 30);
	CU_ASSERT_EQUAL(si.maxptime, 60);
	CU_ASSERT_PTR_EQUAL(sdp_pt_codec(&si, 0), codec_by_cfg("g722-64"));
	CU_ASSERT_PTR_EQUAL(sdp_pt_codec(&si, 1), codec_by_cfg("opus"));
	CU_ASSERT_PTR_EQUAL(sdp_pt_codec(&si, 2), codec_by_cfg("g711ulaw"));
	CU_ASSERT_PTR_NULL(sdp_pt_codec(&si, 3));	/* events are not audio */
	CU_ASSERT_PTR_NULL(sdp_pt_codec(&si, 5));
	CU_ASSERT_PTR_NULL(sdp_pt_codec(&si, -1));
	/* no ptime: 0 (absent), and basic offer has 20 */
	CU_ASSERT_EQUAL_FATAL(sdp_info_parse(&si, offer_basic), 0);
	CU_ASSERT_EQUAL(si.ptime, 20);
	CU_ASSERT_EQUAL(si.maxptime, 0);
	CU_ASSERT_EQUAL(si.cn_pt, -1);
}

/* A dynamic PT with no rtpmap is nothing we know; a static PT's rtpmap
 * wins over table 4; an fmtp too long for us is cut between parameters;
 * a ptime that is not a number is absent. */
static void test_parse_odd_rtpmaps(void)
{
	static const char sdp[] =
		"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
		"m=audio 4000 RTP/AVP 97 3 98 8\r\n"
		"a=rtpmap:3 PCMA/8000\r\n"
		"a=rtpmap:98 opus/48000\r\n"
		"a=fmtp:98 maxplaybackrate=8000;sprop-maxcapturerate=8000;useinbandfec=1;stereo=0\r\n"
		"a=ptime:x\r\n";
	struct sdp_info si;

	CU_ASSERT_EQUAL_FATAL(sdp_info_parse(&si, sdp), 0);
	CU_ASSERT_EQUAL_FATAL(si.n_pts, 4);
	CU_ASSERT_PTR_NULL(sdp_pt_codec(&si, 0));
	CU_ASSERT_PTR_EQUAL(sdp_pt_codec(&si, 1), codec_by_cfg("g711alaw"));
	CU_ASSERT_PTR_EQUAL(sdp_pt_codec(&si, 2), codec_by_cfg("opus"));	/* /1 taken too */
	CU_ASSERT_STRING_EQUAL(si.maps[2].fmtp, "maxplaybackrate=8000;sprop-maxcapturerate=8000;useinbandfec=1");
	CU_ASSERT_EQUAL(si.ptime, 0);
}

/* RFC 3264 6.1 with our preference list: our order wins over the offer's,
 * the offer's PT numbers and fmtp are kept, events and CN come along. */
/* RFC 4733 2.1 / RFC 7587 7: with Opus, the offer's telephone-event/48000
 * is taken; with a codec at 8 kHz, /8000; an Opus offer with /8000 alone
 * keeps that (most phones' way). Our offer with Opus lists both. */
static void test_negotiate_te_clock(void)
{
	static const char both[] =
		"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
		"m=audio 4000 RTP/AVP 111 0 110 101\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:0 PCMU/8000\r\n"
		"a=rtpmap:110 telephone-event/48000\r\na=rtpmap:101 telephone-event/8000\r\n";
	static const char only8k[] =
		"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
		"m=audio 4000 RTP/AVP 111 101\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:101 telephone-event/8000\r\n";
	const struct codec_desc *opus = codec_by_cfg("opus"), *pcmu = codec_by_cfg("g711ulaw");
	const struct codec_desc *prefs[] = { opus };
	struct sdp_build_params bp = { .addr = "192.0.2.9", .port = 5000, .pts = (int[]){ 96 }, .n_pts = 1,
				       .codecs = prefs, .te_pt = 101, .te48_pt = 102 };
	struct sdp_info si;
	struct sdp_choice ch;
	char buf[SDP_ANSWER_LEN];

	CU_ASSERT_EQUAL_FATAL(sdp_info_parse(&si, both), 0);
	CU_ASSERT_EQUAL(si.te_pt, 101);
	CU_ASSERT_EQUAL(si.te48_pt, 110);
	CU_ASSERT_EQUAL(sdp_negotiate(&si, (const struct codec_desc *[]){ opus }, 1, &ch), 0);
	CU_ASSERT_EQUAL(ch.te_pt, 110);
	CU_ASSERT_EQUAL(ch.te_clock, 48000);
	CU_ASSERT_EQUAL(sdp_negotiate(&si, (const struct codec_desc *[]){ pcmu }, 1, &ch), 0);
	CU_ASSERT_EQUAL(ch.te_pt, 101);
	CU_ASSERT_EQUAL(ch.te_clock, 8000);
	CU_ASSERT_EQUAL_FATAL(sdp_info_parse(&si, only8k), 0);
	CU_ASSERT_EQUAL(sdp_negotiate(&si, (const struct codec_desc *[]){ opus }, 1, &ch), 0);
	CU_ASSERT_EQUAL(ch.te_pt, 101);
	CU_ASSERT_EQUAL(ch.te_clock, 8000);
	CU_ASSERT_EQUAL(sdp_build(buf, sizeof(buf), &bp), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "m=audio 5000 RTP/AVP 96 101 102\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "a=rtpmap:101 telephone-event/8000\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "a=rtpmap:102 telephone-event/48000\r\n"));
	/* an answer on the 48 kHz one */
	bp.te_pt = 110;
	bp.te_clock = 48000;
	bp.te48_pt = 0;
	CU_ASSERT_EQUAL(sdp_build(buf, sizeof(buf), &bp), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "a=rtpmap:110 telephone-event/48000\r\n"));
	CU_ASSERT_PTR_NULL(strstr(buf, "telephone-event/8000"));
}

static void test_negotiate_local_order_wins(void)
{
	const struct codec_desc *opus = codec_by_cfg("opus"), *g722 = codec_by_cfg("g722-64"),
				*pcmu = codec_by_cfg("g711ulaw"), *gsm = codec_by_cfg("gsmfr");
	struct sdp_info si;
	struct sdp_choice ch;

	CU_ASSERT_EQUAL_FATAL(sdp_info_parse(&si, offer_wide), 0);
	CU_ASSERT_EQUAL(sdp_negotiate(&si, (const struct codec_desc *[]){ pcmu, g722 }, 2, &ch), 0);
	CU_ASSERT_PTR_EQUAL(ch.codec, pcmu);
	CU_ASSERT_EQUAL(ch.pt, 0);
	CU_ASSERT_EQUAL(ch.te_pt, 101);
	CU_ASSERT_EQUAL(ch.cn_pt, 13);
	CU_ASSERT_EQUAL(ch.ptime, 30);
	CU_ASSERT_EQUAL(ch.maxptime, 60);
	CU_ASSERT_EQUAL(sdp_negotiate(&si, (const struct codec_desc *[]){ gsm, opus, g722 }, 3, &ch), 0);
	CU_ASSERT_PTR_EQUAL(ch.codec, opus);
	CU_ASSERT_EQUAL(ch.pt, 111);			/* the offer's dynamic PT, not our 96 */
	CU_ASSERT_STRING_EQUAL(ch.fmtp, "useinbandfec=1; maxaveragebitrate=20000");
	/* nothing common: 488 */
	CU_ASSERT_EQUAL(sdp_negotiate(&si, (const struct codec_desc *[]){ gsm }, 1, &ch), -ENOENT);
	CU_ASSERT_PTR_NULL(ch.codec);
	CU_ASSERT_EQUAL(ch.pt, -1);
	CU_ASSERT_EQUAL(sdp_negotiate(&si, NULL, 0, &ch), -ENOENT);
	/* events alone are no codec */
	CU_ASSERT_EQUAL(sdp_negotiate(&si, (const struct codec_desc *[]){ &codec_telephone_event }, 1,
				      &ch), -ENOENT);
	/* a basic G.711 offer: no telephone-event gone missing, no CN */
	CU_ASSERT_EQUAL_FATAL(sdp_info_parse(&si, offer_basic), 0);
	CU_ASSERT_EQUAL(sdp_negotiate(&si, (const struct codec_desc *[]){ g722, codec_by_cfg("g711alaw") },
				      2, &ch), 0);
	CU_ASSERT_EQUAL(ch.pt, 8);
	CU_ASSERT_EQUAL(ch.cn_pt, -1);
	CU_ASSERT_STRING_EQUAL(ch.fmtp, "");
}

/* Our SDP names every PT in an rtpmap (static ones too, as phones do),
 * writes the codec's fmtp (or the one given), telephone-event 0-16, CN,
 * and ptime/maxptime only when asked; it parses back to what we meant. */
static void test_build_rtpmaps_fmtp_ptime(void)
{
	const struct codec_desc *codecs[] = { codec_by_cfg("g722-64"), codec_by_cfg("opus"), NULL,
					      codec_by_cfg("gsmfr") };
	struct sdp_build_params bp = {
		.addr = "127.0.0.1", .port = 20000, .pts = (const int[]){ 9, 96, 8, 3 }, .n_pts = 4,
		.codecs = codecs, .te_pt = 101, .cn_pt = 13, .ptime = 40, .maxptime = 60,
		.sess_id = 1, .sess_ver = 1,
	};
	char buf[SDP_ANSWER_LEN];
	struct sdp_info si;

	CU_ASSERT_EQUAL_FATAL(sdp_build(buf, sizeof(buf), &bp), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "m=audio 20000 RTP/AVP 9 96 8 3 101 13\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "a=rtpmap:9 G722/8000\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "a=rtpmap:96 opus/48000/2\r\n"
					   "a=fmtp:96 maxplaybackrate=8000;sprop-maxcapturerate=8000\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "a=rtpmap:8 PCMA/8000\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "a=rtpmap:3 GSM/8000\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "a=fmtp:101 0-16\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "a=rtpmap:13 CN/8000\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "a=ptime:40\r\na=maxptime:60\r\n"));
	CU_ASSERT_EQUAL_FATAL(sdp_info_parse(&si, buf), 0);
	CU_ASSERT_EQUAL(si.n_pts, 6);
	CU_ASSERT_PTR_EQUAL(sdp_pt_codec(&si, 1), codecs[1]);
	CU_ASSERT_EQUAL(si.ptime, 40);
	CU_ASSERT_EQUAL(si.cn_pt, 13);
	/* an answer echoing the offer's fmtp; no ptime asked: none written */
	bp.n_pts = 1;
	bp.pts = (const int[]){ 111 };
	bp.codecs = (const struct codec_desc *[]){ codec_by_cfg("opus") };
	bp.fmtps = (const char *[]){ "useinbandfec=1" };
	bp.ptime = bp.maxptime = 0;
	bp.cn_pt = -1;
	CU_ASSERT_EQUAL_FATAL(sdp_build(buf, sizeof(buf), &bp), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 useinbandfec=1\r\n"));
	CU_ASSERT_PTR_NULL(strstr(buf, "ptime"));
	CU_ASSERT_PTR_NULL(strstr(buf, "CN/8000"));
	/* a PT we cannot name gets no rtpmap */
	bp.pts = (const int[]){ 18 };
	bp.codecs = NULL;
	bp.fmtps = NULL;
	CU_ASSERT_EQUAL_FATAL(sdp_build(buf, sizeof(buf), &bp), 0);
	CU_ASSERT_PTR_NULL(strstr(buf, "a=rtpmap:18"));
}

int suite_sdp_add(void)
{
	static const CU_TestInfo tests[] = {
		{ "parse PCMU/PCMA/telephone-event offer", test_parse_basic_offer },
		{ "m= order, static pts, te on 96", test_parse_order_and_static_pts },
		{ "no telephone-event -> te_pt -1", test_parse_no_telephone_event },
		{ "media-level c= overrides session", test_media_level_connection_wins },
		{ "m=audio 0 -> port 0", test_rejected_stream_port_zero },
		{ "IPv6 offer: IN IP6 address, c=IN IP6 :: is hold", test_ipv6_offer },
		{ "IPv6 build: o= and c= IN IP6, null address ::", test_ipv6_build },
		{ "c=0.0.0.0 is hold", test_null_address_is_hold },
		{ "direction attributes and hold", test_direction_and_hold },
		{ "media direction overrides session", test_media_direction_overrides_session },
		{ "answer direction and names", test_dir_answer_and_names },
		{ "choose pt by our preference", test_choose_pt_by_our_preference },
		{ "garbage -> -EBADMSG", test_garbage_is_ebadmsg },
		{ "no audio stream -> -ENOMEDIUM", test_no_audio_is_enomedium },
		{ "an m= port past 65535 is refused", test_port_out_of_range },
		{ "video with odd rtpmap refused, audio answered", test_video_odd_rtpmap_refused_port0 },
		{ "answer keeps the offer's m= order", test_video_first_order_kept },
		{ "two audio streams: first taken", test_two_audio_first_taken },
		{ "unparseable audio stream: next taken", test_broken_audio_next_taken },
		{ "more than SDP_MAX_MEDIA m= lines -> -E2BIG", test_too_many_mlines_e2big },
		{ "answer layout without audio: audio alone", test_build_answer_needs_audio_index },
		{ "largest answer fits SDP_ANSWER_LEN", test_largest_answer_fits },
		{ "build round-trips through parse", test_build_round_trip },
		{ "build -ENOSPC", test_build_enospc },
		{ "session refresh is not hold", test_session_refresh_is_not_hold },
		{ "m= line with a non-token format refused", test_mline_non_token_refused },
		{ "declined first audio, live second: the live one", test_declined_audio_then_live },
		{ "rtpmap, fmtp, ptime, maxptime, CN parsed", test_parse_rtpmap_fmtp_ptime },
		{ "dynamic PT without rtpmap, static PT renamed, long fmtp cut", test_parse_odd_rtpmaps },
		{ "negotiate: our order wins, offer's PT and fmtp kept, 488", test_negotiate_local_order_wins },
		{ "telephone-event at the codec's clock (48000 with Opus)", test_negotiate_te_clock },
		{ "build: rtpmap for every PT, fmtp, ptime/maxptime, CN", test_build_rtpmaps_fmtp_ptime },
		CU_TEST_INFO_NULL,
	};

	return unit_suite_add("sdp", tests);
}
