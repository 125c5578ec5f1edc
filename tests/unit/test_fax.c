/* sipgw - unit tests: fax on SpanDSP (dsp/fax.c) and the test pages
 * (dsp/fax_tiff.c). Whole fax calls with no clock but the samples: two
 * terminals over audio; an audio terminal through the T.38 gateway and
 * UDPTL (with a loss every 40 packets, rebuilt from redundancy) to a T.38
 * terminal, both ways. Each checks what a user would: T.30 says OK, the
 * page count, and the received TIFF's pixels equal the sent ones.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dsp/fax.h"
#include "rtp/udptl.h"
#include "unit.h"

#define FAX_PAGES 2
#define MAX_STEPS (180 * 50)	/* 3 minutes of 20 ms frames: far past any page pair */
#define LOSS_EVERY 40

static char dir[64], sent[96], got[96];

static int fax_suite_init(void)
{
	snprintf(dir, sizeof(dir), "%s/sipgw-fax-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	snprintf(sent, sizeof(sent), "%s/sent.tif", dir);
	snprintf(got, sizeof(got), "%s/got.tif", dir);
	return fax_tiff_make(sent, FAX_PAGES) ? -1 : 0;
}

static int fax_suite_cleanup(void)
{
	char p[128];

	unlink(sent);
	unlink(got);
	snprintf(p, sizeof(p), "%s/one.tif", dir);
	unlink(p);
	rmdir(dir);
	return 0;
}

static void test_tiff_pages(void)
{
	char one[128];

	CU_ASSERT_EQUAL(fax_tiff_pages(sent), FAX_PAGES);
	CU_ASSERT_EQUAL(fax_tiff_compare(sent, sent), 0);
	snprintf(one, sizeof(one), "%s/one.tif", dir);
	CU_ASSERT_EQUAL_FATAL(fax_tiff_make(one, 1), 0);
	CU_ASSERT_EQUAL(fax_tiff_pages(one), 1);
	/* page 1 the same, page 2 missing */
	CU_ASSERT_EQUAL(fax_tiff_compare(sent, one), 2);
	CU_ASSERT_EQUAL(fax_tiff_compare(one, sent), 2);
	CU_ASSERT_EQUAL(fax_tiff_compare(sent, "/nonexistent.tif"), -ENOENT);
	CU_ASSERT_EQUAL(fax_tiff_pages("/nonexistent.tif"), -ENOENT);
}

static void test_audio_to_audio(void)
{
	struct fax_term *tx = NULL, *rx = NULL;
	struct fax_term_params pt = { .mode = FAX_MODE_AUDIO, .calling = 1, .send = 1, .file = sent,
				      .ident = "sipgw tx", .ecm = 1 };
	struct fax_term_params pr = { .mode = FAX_MODE_AUDIO, .file = got, .ident = "sipgw rx", .ecm = 1 };
	struct fax_result rt, rr;
	int16_t a[FAX_FRAME], b[FAX_FRAME];

	unlink(got);
	CU_ASSERT_EQUAL_FATAL(fax_term_alloc(&tx, &pt), 0);
	CU_ASSERT_EQUAL_FATAL(fax_term_alloc(&rx, &pr), 0);
	for (int i = 0; i < MAX_STEPS; i++) {
		fax_term_tx_audio(tx, a, FAX_FRAME);
		fax_term_tx_audio(rx, b, FAX_FRAME);
		fax_term_rx_audio(rx, a, FAX_FRAME);
		fax_term_rx_audio(tx, b, FAX_FRAME);
		fax_term_result(tx, &rt);
		fax_term_result(rx, &rr);
		if (rt.done && rr.done)
			break;
	}
	CU_ASSERT_TRUE(rt.done && rr.done);
	CU_ASSERT_EQUAL(rt.code, 0);
	CU_ASSERT_EQUAL(rr.code, 0);
	CU_ASSERT_EQUAL(rt.pages_tx, FAX_PAGES);
	CU_ASSERT_EQUAL(rr.pages_rx, FAX_PAGES);
	CU_ASSERT_EQUAL(fax_term_alloc(&tx, &(struct fax_term_params){ .mode = FAX_MODE_T38, .file = got }),
			-EINVAL);
	fax_term_free(tx);
	fax_term_free(rx);
	CU_ASSERT_EQUAL(fax_tiff_pages(got), FAX_PAGES);
	CU_ASSERT_EQUAL(fax_tiff_compare(sent, got), 0);
}

/* ---- through the gateway: IFPs over UDPTL encode/decode, queued so no
 * side is called back from inside the other */

#define QMAX 64

struct wire {
	struct udptl_tx tx;
	struct udptl_rx rx;
	struct udptl_stats st;
	uint8_t q[QMAX][UDPTL_MAX_DATAGRAM];
	size_t qlen[QMAX];
	int n, sent;
};

/* As udptl_send_ifp: one packet; its copies (count) only without redundancy,
 * and then with the same sequence number, so T.38 sees them as repeats. */
static void wire_ifp(void *arg, const uint8_t *ifp, size_t len, int count)
{
	struct wire *w = arg;
	uint8_t buf[UDPTL_MAX_DATAGRAM];
	int n = udptl_tx_build(&w->tx, ifp, len, buf, sizeof(buf));

	CU_ASSERT_FATAL(n > 0);
	if (w->tx.ec == UDPTL_EC_REDUNDANCY)
		count = 1;
	for (int i = 0; i < count; i++) {
		if (++w->sent % LOSS_EVERY == 0 || w->n == QMAX)
			continue;	/* lost on the way */
		memcpy(w->q[w->n], buf, (size_t)n);
		w->qlen[w->n++] = (size_t)n;
	}
}

static void wire_flush(struct wire *w)
{
	for (int i = 0; i < w->n; i++)
		udptl_rx_feed(&w->rx, w->q[i], w->qlen[i]);
	w->n = 0;
}

static void to_term(void *arg, const uint8_t *ifp, size_t len, uint16_t seq, int recovered)
{
	fax_term_rx_ifp(arg, ifp, len, seq);
}

static void to_gw(void *arg, const uint8_t *ifp, size_t len, uint16_t seq, int recovered)
{
	fax_gw_rx_ifp(arg, ifp, len, seq);
}

/* An audio terminal <-> gateway <-> UDPTL <-> T.38 terminal; audio_sends
 * says which one has the file. */
static void gateway_call(int audio_sends)
{
	static struct wire gw2t, t2gw;
	const struct fax_t38_conf conf = { .version = 0, .max_bitrate = 14400 };
	struct fax_term *au = NULL, *t38 = NULL;
	struct fax_gw *gw = NULL;
	/* the sender places the call (T.30 5.2: a calling receiver would poll) */
	struct fax_term_params pa = { .mode = FAX_MODE_AUDIO, .calling = audio_sends, .send = audio_sends,
				      .file = audio_sends ? sent : got, .ecm = 1 };
	struct fax_term_params pt = { .mode = FAX_MODE_T38, .calling = !audio_sends, .send = !audio_sends,
				      .file = audio_sends ? got : sent, .ecm = 1, .t38 = conf,
				      .ifp_h = wire_ifp, .arg = &t2gw };
	struct fax_gw_params pg = { .t38 = conf, .ecm = 1, .ifp_h = wire_ifp, .arg = &gw2t };
	struct fax_result ra, rt;
	struct fax_gw_stats gs;
	int16_t a[FAX_FRAME], g[FAX_FRAME];

	unlink(got);
	memset(&gw2t, 0, sizeof(gw2t));
	memset(&t2gw, 0, sizeof(t2gw));
	gw2t.tx = (struct udptl_tx){ .ec = UDPTL_EC_REDUNDANCY, .depth = 3 };
	t2gw.tx = gw2t.tx;
	CU_ASSERT_EQUAL_FATAL(fax_gw_alloc(&gw, &pg), 0);
	CU_ASSERT_EQUAL_FATAL(fax_term_alloc(&au, &pa), 0);
	CU_ASSERT_EQUAL_FATAL(fax_term_alloc(&t38, &pt), 0);
	gw2t.rx = (struct udptl_rx){ .st = &gw2t.st, .recv_h = to_term, .arg = t38 };
	t2gw.rx = (struct udptl_rx){ .st = &t2gw.st, .recv_h = to_gw, .arg = gw };
	for (int i = 0; i < MAX_STEPS; i++) {
		fax_term_tx_audio(au, a, FAX_FRAME);
		fax_gw_rx_audio(gw, a, FAX_FRAME);
		fax_gw_tx_audio(gw, g, FAX_FRAME);
		fax_term_rx_audio(au, g, FAX_FRAME);
		fax_term_tick(t38, FAX_FRAME);
		wire_flush(&gw2t);
		wire_flush(&t2gw);
		fax_term_result(au, &ra);
		fax_term_result(t38, &rt);
		if (ra.done && rt.done)
			break;
	}
	fax_gw_get_stats(gw, &gs);
	CU_ASSERT_TRUE(ra.done && rt.done);
	CU_ASSERT_EQUAL(ra.code, 0);
	CU_ASSERT_EQUAL(rt.code, 0);
	CU_ASSERT_EQUAL(audio_sends ? ra.pages_tx : ra.pages_rx, FAX_PAGES);
	CU_ASSERT_EQUAL(audio_sends ? rt.pages_rx : rt.pages_tx, FAX_PAGES);
	CU_ASSERT_EQUAL(gs.pages, FAX_PAGES);
	/* the losses were there and redundancy rebuilt them all */
	CU_ASSERT(gw2t.st.rx_recovered + t2gw.st.rx_recovered > 0);
	CU_ASSERT_EQUAL(gw2t.st.rx_lost + t2gw.st.rx_lost, 0);
	fax_term_free(au);
	fax_term_free(t38);
	fax_gw_free(gw);
	CU_ASSERT_EQUAL(fax_tiff_compare(sent, got), 0);
}

static void test_audio_through_gateway_to_t38(void)
{
	gateway_call(1);
}

static void test_t38_through_gateway_to_audio(void)
{
	gateway_call(0);
}

static const CU_TestInfo fax_tests[] = {
	{ "TIFF-F pages: made, counted, compared", test_tiff_pages },
	{ "audio terminal to audio terminal: 2 pages equal", test_audio_to_audio },
	{ "audio -> T.38 gateway -> UDPTL (losses) -> T.38 terminal", test_audio_through_gateway_to_t38 },
	{ "T.38 terminal -> UDPTL (losses) -> T.38 gateway -> audio", test_t38_through_gateway_to_audio },
	CU_TEST_INFO_NULL,
};

int suite_fax_add(void)
{
	CU_pSuite s = CU_add_suite("fax", fax_suite_init, fax_suite_cleanup);

	if (!s)
		return -1;
	for (const CU_TestInfo *t = fax_tests; t->pName; t++)
		if (!CU_add_test(s, t->pName, t->pTestFunc))
			return -1;
	return 0;
}
