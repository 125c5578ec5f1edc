/* sipgw - unit tests: what the SIP side says it takes (Allow, Supported per
 * role: RFC 3261 20.5, 20.37), the Warning of a refused offer (RFC 3261
 * 20.43) and the transport an answer keeps (RFC 3264 6, RFC 4585).
 * SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <string.h>

#include "sip/sdp.h"
#include "sip/sip_caps.h"
#include "unit.h"

/* Exactly what the code handles, per role; never MESSAGE, SUBSCRIBE,
 * NOTIFY or PUBLISH, which nothing here answers. */
static void test_allow_per_role(void)
{
	struct sip_caps_role gw = { .session_timers = 1, .transfer = 1 };
	struct sip_caps_role proxy = { .registrar = 1, .session_timers = 1, .transfer = 1 };
	struct sip_caps_role bare = { 0 };
	char buf[160];

	CU_ASSERT_EQUAL(sip_caps_allow(&gw, buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "INVITE, ACK, BYE, CANCEL, OPTIONS, PRACK, UPDATE, INFO, REFER");
	CU_ASSERT_EQUAL(sip_caps_allow(&proxy, buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "INVITE, ACK, BYE, CANCEL, OPTIONS, PRACK, UPDATE, INFO, REFER, REGISTER");
	CU_ASSERT_EQUAL(sip_caps_allow(&bare, buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "INVITE, ACK, BYE, CANCEL, OPTIONS, PRACK, UPDATE, INFO");
	for (const char *m = "MESSAGE\0SUBSCRIBE\0NOTIFY\0PUBLISH\0"; *m; m += strlen(m) + 1) {
		sip_caps_allow(&proxy, buf, sizeof(buf));
		CU_ASSERT_PTR_NULL(strstr(buf, m));
	}
	/* too small: an error, never a list cut in a method's middle passed on */
	CU_ASSERT_EQUAL(sip_caps_allow(&gw, buf, 20), -ENOSPC);
	/* nua answers nothing sipgw must answer itself */
	CU_ASSERT_PTR_NOT_NULL(strstr(sip_caps_appl_methods, "OPTIONS"));
}

static void test_supported_per_role(void)
{
	struct sip_caps_role timers = { .session_timers = 1 };
	struct sip_caps_role none = { 0 };
	char buf[64];

	CU_ASSERT_EQUAL(sip_caps_supported(&timers, buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "100rel, timer, replaces");
	CU_ASSERT_EQUAL(sip_caps_supported(&none, buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "100rel, replaces");
}

/* RFC 3261 20.43: warn-code SP warn-agent SP quoted-string; the text comes
 * from outside (Sofia's parse error of the peer's SDP): no quote or
 * control may break out of the string. */
static void test_warning_format(void)
{
	char buf[64];

	CU_ASSERT_EQUAL(sip_caps_warning(buf, sizeof(buf), 304, "192.0.2.1", 5060, "no audio stream offered"), 0);
	CU_ASSERT_STRING_EQUAL(buf, "304 192.0.2.1:5060 \"no audio stream offered\"");
	sip_caps_warning(buf, sizeof(buf), 399, "h", 1, "a \"quoted\\\" one\r\nVia: x");
	CU_ASSERT_STRING_EQUAL(buf, "399 h:1 \"a 'quoted'' one''Via: x\"");
	/* cut short, still one closed quoted-string */
	CU_ASSERT_EQUAL(sip_caps_warning(buf, 24, 399, "h", 1, "a very long reason that does not fit"), -ENOSPC);
	CU_ASSERT_EQUAL(strlen(buf), 23);
	CU_ASSERT_EQUAL(buf[22], '"');
	/* a long agent leaves less room: still told when the text was cut */
	CU_ASSERT_EQUAL(sip_caps_warning(buf, 40, 399, "a-long-agent-name.example", 5060, "twenty characters ok"),
			-ENOSPC);
	CU_ASSERT_EQUAL(buf[strlen(buf) - 1], '"');
}

static void test_offer_refusals(void)
{
	struct sip_caps_refusal r;
	struct sdp_info si;

	memset(&si, 0, sizeof(si));
	sip_caps_offer_refusal(-ENOMEDIUM, &si, NULL, &r);
	CU_ASSERT_EQUAL(r.status, 488);
	CU_ASSERT_EQUAL(r.warn, SIP_WARN_MEDIA_TYPE);
	sip_caps_offer_refusal(-EPROTO, &si, "PCMU PCMA", &r);
	CU_ASSERT_EQUAL(r.status, 488);
	CU_ASSERT_EQUAL(r.warn, SIP_WARN_FORMAT);
	CU_ASSERT_STRING_EQUAL(r.text, "no codec in common; we take PCMU PCMA");
	si.ml.n = 1;
	si.ml.audio = 0;
	strcpy(si.ml.m[0].proto, "RTP/SAVP");
	sip_caps_offer_refusal(-EPROTONOSUPPORT, &si, NULL, &r);
	CU_ASSERT_EQUAL(r.warn, SIP_WARN_TRANSPORT);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.text, "RTP/SAVP"));
	strcpy(si.error, "bad o= line");
	sip_caps_offer_refusal(-EBADMSG, &si, NULL, &r);
	CU_ASSERT_EQUAL(r.status, 400);
	CU_ASSERT_STRING_EQUAL(r.text, "bad o= line");
	sip_caps_offer_refusal(-ENOENT, NULL, NULL, &r);
	CU_ASSERT_EQUAL(r.status, 488);
	CU_ASSERT_EQUAL(r.warn, SIP_WARN_MISC);
}

/* A phone with AVPF and rtcp-mux on (RFC 4585, RFC 5761): its transport
 * and a=rtcp-mux read; the answer in RTP/AVPF with a=rtcp-mux (5.1.1),
 * without its rtcp-fb lines (RFC 4585 4.2). */
static void test_avpf_offer_answered_avpf(void)
{
	static const char offer[] =
		"v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\n"
		"m=audio 4000 RTP/AVPF 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
		"a=rtcp-fb:* nack\r\na=rtcp-mux\r\n";
	struct sdp_info si;
	char buf[SDP_ANSWER_LEN];
	int pts[] = { 0 };
	struct sdp_build_params bp = { .addr = "192.0.2.1", .port = 20000, .pts = pts, .n_pts = 1, .te_pt = 101 };

	CU_ASSERT_EQUAL(sdp_info_parse(&si, offer), 0);
	CU_ASSERT_EQUAL(si.proto, SDP_PROTO_AVPF);
	CU_ASSERT_EQUAL(si.rtcp_mux, 1);
	CU_ASSERT_EQUAL(si.n_pts, 2);	/* its rtpmaps read, as for RTP/AVP */
	CU_ASSERT_EQUAL(si.te_pt, 101);
	CU_ASSERT_STRING_EQUAL(si.ml.m[0].proto, "RTP/AVPF");
	CU_ASSERT_FALSE(sdp_proto_secure(si.proto));
	bp.proto = si.proto;
	bp.rtcp_mux = si.rtcp_mux;
	bp.offer = &si.ml;
	CU_ASSERT_EQUAL(sdp_build(buf, sizeof(buf), &bp), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "m=audio 20000 RTP/AVPF 0 101\r\n"));
	CU_ASSERT_PTR_NULL(strstr(buf, "rtcp-fb"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "a=rtcp-mux\r\n"));
	CU_ASSERT_EQUAL(sdp_info_parse(&si, buf), 0);	/* our answer reads back as it was meant */
	CU_ASSERT_EQUAL(si.proto, SDP_PROTO_AVPF);
	CU_ASSERT_EQUAL(si.n_pts, 2);
	bp.rtcp_mux = 0;
	/* an offer of our own (no proto given): RTP/AVP as before, no mux */
	bp.proto = SDP_PROTO_AVP;
	bp.offer = NULL;
	CU_ASSERT_EQUAL(sdp_build(buf, sizeof(buf), &bp), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "m=audio 20000 RTP/AVP 0 101\r\n"));
	CU_ASSERT_PTR_NULL(strstr(buf, "rtcp-mux"));
}

static void test_proto_names(void)
{
	CU_ASSERT_EQUAL(sdp_proto_parse("RTP/AVP"), SDP_PROTO_AVP);
	CU_ASSERT_EQUAL(sdp_proto_parse("rtp/avpf"), SDP_PROTO_AVPF);
	CU_ASSERT_EQUAL(sdp_proto_parse("RTP/SAVP"), SDP_PROTO_SAVP);
	CU_ASSERT_EQUAL(sdp_proto_parse("RTP/SAVPF"), SDP_PROTO_SAVPF);
	CU_ASSERT_EQUAL(sdp_proto_parse("UDP/TLS/RTP/SAVPF"), SDP_PROTO_OTHER);
	CU_ASSERT_EQUAL(sdp_proto_parse(NULL), SDP_PROTO_OTHER);
	CU_ASSERT_TRUE(sdp_proto_secure(SDP_PROTO_SAVPF));
	CU_ASSERT_STRING_EQUAL(sdp_proto_name(SDP_PROTO_AVPF), "RTP/AVPF");
	CU_ASSERT_STRING_EQUAL(sdp_proto_name(SDP_PROTO_OTHER), "?");
	CU_ASSERT_STRING_EQUAL(sip_avail_name(SIP_AVAIL_SPANS_DOWN), "every span's D-channel is down");
}

static const CU_TestInfo sip_caps_tests[] = {
	{ "Allow: what is handled, per role", test_allow_per_role },
	{ "Supported: timer only with session timers", test_supported_per_role },
	{ "Warning: RFC 3261 20.43 form, outside text made harmless", test_warning_format },
	{ "offer refusals: 304, 305, 302, 400", test_offer_refusals },
	{ "RTP/AVPF + rtcp-mux offer answered RTP/AVPF + rtcp-mux, no rtcp-fb", test_avpf_offer_answered_avpf },
	{ "transport names", test_proto_names },
	CU_TEST_INFO_NULL,
};

int suite_sip_caps_add(void)
{
	return unit_suite_add("sip_caps", sip_caps_tests);
}
