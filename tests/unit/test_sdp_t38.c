/* sipgw - unit tests: SDP for T.38 (T.38 Annex D.2.3): offers as real
 * gateways write them, read back; the answer's negotiation; what we write
 * parses back to what we meant. SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <string.h>

#include "sip/sdp_t38.h"
#include "unit.h"

/* A re-INVITE's offer as Cisco IOS / Asterisk write it: audio declined,
 * image live, every parameter given. */
static const char offer_full[] =
	"v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
	"m=audio 0 RTP/AVP 0\r\n"
	"m=image 40002 udptl t38\r\nc=IN IP4 192.0.2.7\r\n"
	"a=T38FaxVersion:2\r\na=T38MaxBitRate:9600\r\na=T38FaxFillBitRemoval\r\n"
	"a=T38FaxTranscodingMMR:0\r\n"
	"a=T38FaxRateManagement:localTCF\r\na=T38FaxMaxBuffer:1800\r\n"
	"a=T38FaxMaxDatagram:400\r\na=T38FaxUdpEC:t38UDPFEC\r\na=T38VendorInfo:0 0 0\r\n";

static void test_parse_full(void)
{
	struct sdp_t38_info ti;

	CU_ASSERT_EQUAL_FATAL(sdp_t38_parse(&ti, offer_full), 0);
	CU_ASSERT_STRING_EQUAL(ti.addr, "192.0.2.7");
	CU_ASSERT_EQUAL(ti.port, 40002);
	CU_ASSERT_EQUAL(ti.image, 1);
	CU_ASSERT_EQUAL(ti.ml.n, 2);
	CU_ASSERT_EQUAL(ti.t38.version, 2);
	CU_ASSERT_EQUAL(ti.t38.max_bitrate, 9600);
	CU_ASSERT_EQUAL(ti.t38.fill_bit_removal, 1);
	CU_ASSERT_EQUAL(ti.t38.mmr, 0);
	CU_ASSERT_EQUAL(ti.t38.jbig, 0);
	CU_ASSERT_EQUAL(ti.t38.rate_mgmt, T38_TCF_LOCAL);
	CU_ASSERT_EQUAL(ti.t38.max_buffer, 1800);
	CU_ASSERT_EQUAL(ti.t38.max_datagram, 400);
	CU_ASSERT_EQUAL(ti.t38.ec, UDPTL_EC_FEC);
}

static void test_parse_defaults_and_case(void)
{
	static const char bare[] =
		"v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
		"m=image 5000 udptl t38\r\n";
	static const char lower[] =
		"v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
		"m=image 5000 udptl t38\r\na=t38faxversion:0\r\na=t38maxbitrate:14400\r\n"
		"a=t38faxudpec:t38UDPRedundancy\r\na=t38faxratemanagement:transferredTCF\r\n"
		"a=T38FaxFillBitRemoval:1\r\n";
	static const char odd[] =
		"v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
		"m=image 5000 udptl t38\r\na=T38FaxVersion:9\r\na=T38MaxBitRate:fast\r\n"
		"a=T38MaxBitRate:99999999999999999999\r\na=T38FaxMaxDatagram:-5\r\n";
	struct sdp_t38_info ti;

	CU_ASSERT_EQUAL_FATAL(sdp_t38_parse(&ti, bare), 0);
	CU_ASSERT_STRING_EQUAL(ti.addr, "192.0.2.1");	/* session level c= */
	CU_ASSERT_EQUAL(ti.t38.version, 0);
	CU_ASSERT_EQUAL(ti.t38.max_bitrate, T38_DEFAULT_BITRATE);
	CU_ASSERT_EQUAL(ti.t38.rate_mgmt, T38_TCF_TRANSFERRED);
	CU_ASSERT_EQUAL(ti.t38.ec, UDPTL_EC_NONE);
	CU_ASSERT_EQUAL(ti.t38.max_datagram, 0);

	CU_ASSERT_EQUAL_FATAL(sdp_t38_parse(&ti, lower), 0);
	CU_ASSERT_EQUAL(ti.t38.ec, UDPTL_EC_REDUNDANCY);
	CU_ASSERT_EQUAL(ti.t38.max_bitrate, 14400);
	CU_ASSERT_EQUAL(ti.t38.fill_bit_removal, 1);

	/* values out of T.38's bounds: the version capped, the others ignored */
	CU_ASSERT_EQUAL_FATAL(sdp_t38_parse(&ti, odd), 0);
	CU_ASSERT_EQUAL(ti.t38.version, T38_VERSION_MAX);
	CU_ASSERT_EQUAL(ti.t38.max_bitrate, T38_DEFAULT_BITRATE);
	CU_ASSERT_EQUAL(ti.t38.max_datagram, 0);
}

static void test_parse_refused(void)
{
	static const char audio_only[] =
		"v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
		"m=audio 4000 RTP/AVP 0\r\n";
	static const char image_rtp[] =
		"v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
		"m=image 4000 udptl t4\r\n";
	static const char declined[] =
		"v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
		"m=image 0 udptl t38\r\nm=image 6000 udptl t38\r\na=T38FaxVersion:1\r\n";
	static const char loops_sofia[] =
		"v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
		"m=image 4000 udptl :\r\n";
	struct sdp_t38_info ti;

	CU_ASSERT_EQUAL(sdp_t38_parse(&ti, audio_only), -ENOMEDIUM);
	CU_ASSERT_EQUAL(ti.image, -1);
	CU_ASSERT_EQUAL(sdp_t38_parse(&ti, image_rtp), -ENOMEDIUM);
	CU_ASSERT_EQUAL(sdp_t38_parse(&ti, "not sdp at all"), -EBADMSG);
	CU_ASSERT_EQUAL(sdp_t38_parse(&ti, NULL), -EBADMSG);
	CU_ASSERT_EQUAL(sdp_t38_parse(&ti, loops_sofia), -EBADMSG);
	/* a declined stream first: the live one is taken */
	CU_ASSERT_EQUAL_FATAL(sdp_t38_parse(&ti, declined), 0);
	CU_ASSERT_EQUAL(ti.image, 1);
	CU_ASSERT_EQUAL(ti.port, 6000);
	CU_ASSERT_EQUAL(ti.t38.version, 1);
}

static void test_answer(void)
{
	const struct sdp_t38 ours = { .version = 0, .max_bitrate = 14400, .max_buffer = 2000,
				      .max_datagram = 512, .ec = UDPTL_EC_REDUNDANCY,
				      .fill_bit_removal = 1 };
	struct sdp_t38_info ti;
	struct sdp_t38 ans;

	CU_ASSERT_EQUAL_FATAL(sdp_t38_parse(&ti, offer_full), 0);
	sdp_t38_answer(&ti.t38, &ours, &ans);
	CU_ASSERT_EQUAL(ans.version, 0);		/* the lower version */
	CU_ASSERT_EQUAL(ans.max_bitrate, 9600);		/* the lower rate */
	CU_ASSERT_EQUAL(ans.rate_mgmt, T38_TCF_LOCAL);	/* as offered */
	CU_ASSERT_EQUAL(ans.max_buffer, 2000);		/* ours: what we take in */
	CU_ASSERT_EQUAL(ans.max_datagram, 512);
	CU_ASSERT_EQUAL(ans.ec, UDPTL_EC_REDUNDANCY);	/* FEC offered, we send redundancy */
	CU_ASSERT_EQUAL(ans.fill_bit_removal, 1);
	CU_ASSERT_EQUAL(ans.mmr, 0);

	/* a version 3 peer at 33600 with no EC, against ours */
	ti.t38 = (struct sdp_t38){ .version = 3, .max_bitrate = 33600, .ec = UDPTL_EC_NONE, .jbig = 1 };
	sdp_t38_answer(&ti.t38, &ours, &ans);
	CU_ASSERT_EQUAL(ans.version, 0);
	CU_ASSERT_EQUAL(ans.max_bitrate, 14400);
	CU_ASSERT_EQUAL(ans.ec, UDPTL_EC_NONE);
	CU_ASSERT_EQUAL(ans.fill_bit_removal, 0);
	CU_ASSERT_EQUAL(ans.jbig, 0);
}

static void test_build_round_trip(void)
{
	const struct sdp_t38 t = { .version = 1, .max_bitrate = 9600, .rate_mgmt = T38_TCF_TRANSFERRED,
				   .max_buffer = 2000, .max_datagram = 512,
				   .ec = UDPTL_EC_REDUNDANCY, .fill_bit_removal = 1 };
	struct sdp_t38_build_params p = { .addr = "127.0.0.1", .port = 20000, .t38 = &t,
					  .sess_id = 5, .sess_ver = 6, .offer_image = -1 };
	struct sdp_t38_info offer, back;
	char buf[SDP_ANSWER_LEN];

	/* an offer: the image stream alone */
	CU_ASSERT_EQUAL_FATAL(sdp_t38_build(buf, sizeof(buf), &p), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "m=image 20000 udptl t38\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "a=T38FaxUdpEC:t38UDPRedundancy\r\n"));
	CU_ASSERT_EQUAL_FATAL(sdp_t38_parse(&back, buf), 0);
	CU_ASSERT_EQUAL(back.port, 20000);
	CU_ASSERT_STRING_EQUAL(back.addr, "127.0.0.1");
	CU_ASSERT_EQUAL(memcmp(&back.t38, &t, sizeof(t)), 0);

	/* an answer to audio + image: the audio declined, in order */
	CU_ASSERT_EQUAL_FATAL(sdp_t38_parse(&offer, offer_full), 0);
	p.offer = &offer.ml;
	p.offer_image = offer.image;
	CU_ASSERT_EQUAL_FATAL(sdp_t38_build(buf, sizeof(buf), &p), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "m=audio 0 RTP/AVP 0\r\nm=image 20000 udptl t38\r\n"));
	CU_ASSERT_EQUAL_FATAL(sdp_t38_parse(&back, buf), 0);
	CU_ASSERT_EQUAL(back.image, 1);
	CU_ASSERT_EQUAL(back.t38.max_bitrate, 9600);
	/* no room: -ENOSPC, terminated */
	CU_ASSERT_EQUAL(sdp_t38_build(buf, 40, &p), -ENOSPC);
	CU_ASSERT(strlen(buf) < 40);
}

static const CU_TestInfo sdp_t38_tests[] = {
	{ "parse: every T38 attribute of a gateway's offer", test_parse_full },
	{ "parse: defaults, lower case names, values out of bounds", test_parse_defaults_and_case },
	{ "parse: no image/t38 stream, not SDP, declined streams", test_parse_refused },
	{ "answer: lower version and rate, offered TCF, EC", test_answer },
	{ "build: offer and answer parse back", test_build_round_trip },
	CU_TEST_INFO_NULL,
};

int suite_sdp_t38_add(void)
{
	return unit_suite_add("sdp_t38", sdp_t38_tests);
}
