/* sipgw - fax DSP benchmark: CPU per 20 ms frame of the stages a fax call
 * adds (SpanDSP's t38_gateway both ways with UDPTL coding, and the CED /
 * V.21 preamble watch every PRI <-> SIP call runs until a fax or not). A
 * whole 2-page fax is run with no clock but the samples: audio terminal ->
 * gateway -> UDPTL -> T.38 terminal; only the stages are timed. Prints
 * figures, never fails on time. SPDX-License-Identifier: GPL-2.0-only */
#include <spandsp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dsp/fax.h"
#include "rtp/udptl.h"

#define MAX_STEPS (180 * 50)

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* IFPs queued between the two sides, through UDPTL's coding */
struct wire {
	struct udptl_tx tx;
	struct udptl_rx rx;
	uint8_t q[64][UDPTL_MAX_DATAGRAM];
	size_t qlen[64];
	int n;
};

static void wire_ifp(void *arg, const uint8_t *ifp, size_t len, int count)
{
	struct wire *w = arg;
	int n = udptl_tx_build(&w->tx, ifp, len, w->q[w->n], UDPTL_MAX_DATAGRAM);

	if (n > 0 && w->n < 63)
		w->qlen[w->n++] = (size_t)n;
}

static void to_term(void *arg, const uint8_t *ifp, size_t len, uint16_t seq, int recovered)
{
	fax_term_rx_ifp(arg, ifp, len, seq);
}

static void to_gw(void *arg, const uint8_t *ifp, size_t len, uint16_t seq, int recovered)
{
	fax_gw_rx_ifp(arg, ifp, len, seq);
}

static void tone_h(void *user_data, int tone, int level, int delay)
{
}

int main(void)
{
	static struct wire gw2t, t2gw;
	char dir[] = "/tmp/sipgw-bench-fax-XXXXXX", sent[64], got[64];
	const struct fax_t38_conf conf = { .max_bitrate = 14400 };
	struct fax_term *au = NULL, *t38 = NULL;
	struct fax_gw *gw = NULL;
	struct fax_result ra = { 0 }, rt = { 0 };
	struct fax_gw_stats gs;
	modem_connect_tones_rx_state_t *det;
	int16_t a[FAX_FRAME], g[FAX_FRAME];
	double gw_us = 0, det_us = 0, t0;
	int frames = 0;

	if (!mkdtemp(dir))
		return 1;
	snprintf(sent, sizeof(sent), "%s/sent.tif", dir);
	snprintf(got, sizeof(got), "%s/got.tif", dir);
	if (fax_tiff_make(sent, 2))
		return 1;
	gw2t.tx = (struct udptl_tx){ .ec = UDPTL_EC_REDUNDANCY, .depth = 3 };
	t2gw.tx = gw2t.tx;
	if (fax_gw_alloc(&gw, &(struct fax_gw_params){ .t38 = conf, .ecm = 1, .ifp_h = wire_ifp, .arg = &gw2t }) ||
	    fax_term_alloc(&au, &(struct fax_term_params){ .mode = FAX_MODE_AUDIO, .calling = 1, .send = 1,
							  .file = sent, .ecm = 1 }) ||
	    fax_term_alloc(&t38, &(struct fax_term_params){ .mode = FAX_MODE_T38, .file = got, .ecm = 1,
							   .t38 = conf, .ifp_h = wire_ifp, .arg = &t2gw }))
		return 1;
	gw2t.rx = (struct udptl_rx){ .recv_h = to_term, .arg = t38 };
	t2gw.rx = (struct udptl_rx){ .recv_h = to_gw, .arg = gw };
	det = modem_connect_tones_rx_init(NULL, MODEM_CONNECT_TONES_FAX_CED_OR_PREAMBLE, tone_h, NULL);
	for (int i = 0; i < MAX_STEPS && !(ra.done && rt.done); i++, frames++) {
		fax_term_tx_audio(au, a, FAX_FRAME);
		t0 = now_us();
		fax_gw_rx_audio(gw, a, FAX_FRAME);
		fax_gw_tx_audio(gw, g, FAX_FRAME);
		for (int k = 0; k < t2gw.n; k++)
			udptl_rx_feed(&t2gw.rx, t2gw.q[k], t2gw.qlen[k]);
		t2gw.n = 0;
		gw_us += now_us() - t0;
		t0 = now_us();
		modem_connect_tones_rx(det, a, FAX_FRAME);
		det_us += now_us() - t0;
		fax_term_rx_audio(au, g, FAX_FRAME);
		fax_term_tick(t38, FAX_FRAME);
		for (int k = 0; k < gw2t.n; k++)
			udptl_rx_feed(&gw2t.rx, gw2t.q[k], gw2t.qlen[k]);
		gw2t.n = 0;
		fax_term_result(au, &ra);
		fax_term_result(t38, &rt);
	}
	fax_gw_get_stats(gw, &gs);
	printf("fax bench: %d frames (%.1f s of audio), T.30 %s / %s, pages %d\n", frames, frames / 50.0,
	       ra.reason, rt.reason, gs.pages);
	printf("  t38_gateway + UDPTL decode: %.1f us CPU per 20 ms frame (%.3f%% of a core per channel)\n",
	       gw_us / frames, gw_us / frames / 200.0);
	printf("  CED/V.21 preamble watch:    %.1f us CPU per 20 ms frame (%.3f%% of a core per direction)\n",
	       det_us / frames, det_us / frames / 200.0);
	printf("  channels one core carries in T.38 relay: %.0f\n", 20000.0 / (gw_us / frames));
	modem_connect_tones_rx_free(det);
	fax_term_free(au);
	fax_term_free(t38);
	fax_gw_free(gw);
	unlink(sent);
	unlink(got);
	rmdir(dir);
	return ra.done && rt.done && !ra.code && !rt.code ? 0 : 1;
}
