/* sipgw - phone simulator: one call's media (RTP, tone/DTMF out, detectors in).
 * SPDX-License-Identifier: GPL-2.0-only */
#include "sim/phone.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dsp/fax.h"
#include "dsp/g711.h"
#include "dsp/tone.h"
#include "rtp/rtp.h"
#include "rtp/udptl.h"
#include "sip/sdp_t38.h"
#include "sim/sim_dtmf.h"

#define FRAME_SAMPLES 160	/* 20 ms at 8 kHz (RFC 3551 4.5.14) */
#define TONE_LEVEL_DBM0 (-10)

struct pmedia {
	struct phone *ph;
	int call_id;
	struct rtp_session *rtp;
	enum g711_law law;
	int pt, te_pt;
	struct sine_gen *tg;	/* --tone, NULL = silence */
	struct pdtmf_tx *dg;	/* --dtmf in-band or RFC 4733 (phone_dtmf.c), NULL = none */
	struct tone_det *td;	/* --detect */
	struct sim_dtmf_det *dd;
	int rx_frames;		/* audio frames since the last tick */
	int16_t rx_last[FRAME_SAMPLES];	/* the last of them, for a 3-way mix */
	int rx_age;		/* ticks since rx_last came */
	struct sim_te_rx te_rx;	/* RFC 4733 events heard */
	/* --fax-send / --fax-recv */
	struct fax_term *fax;	/* T.30 on the RTP audio (g711) or over UDPTL (t38) */
	struct udptl_session *udptl;	/* t38: opened for the image stream's SDP */
	int t38;		/* the call runs T.38: no RTP, the terminal on UDPTL */
	int fax_over;		/* T.30 phase E reached */
};

static void pmedia_detect(struct pmedia *m, const int16_t *amp, size_t len);

static void on_rtp(void *arg, int pt, const uint8_t *payload, size_t len, uint16_t seq,
		   uint32_t ts, int marker)
{
	struct pmedia *m = arg;
	int16_t amp[FRAME_SAMPLES * 2];
	enum g711_law law;

	if (m->te_pt >= 0 && pt == m->te_pt) {
		pdtmf_rx_event(m->ph, &m->te_rx, payload, len, ts);
		return;
	}
	if (g711_pt_law(pt, &law) < 0)
		return;
	if (len > sizeof(amp) / sizeof(amp[0]))
		len = sizeof(amp) / sizeof(amp[0]);
	g711_law_decode(law, payload, amp, len);
	if (m->fax && !m->t38)
		fax_term_rx_audio(m->fax, amp, len);
	m->rx_frames++;
	memset(m->rx_last, 0, sizeof(m->rx_last));
	memcpy(m->rx_last, amp, (len < FRAME_SAMPLES ? len : FRAME_SAMPLES) * sizeof(amp[0]));
	m->rx_age = 0;
	pmedia_detect(m, amp, len);
}

static void pmedia_detect(struct pmedia *m, const int16_t *amp, size_t len)
{
	if (m->td) {
		switch (tone_det_feed(m->td, amp, len)) {
		case TONE_DET_ON:
			phone_out(m->ph, "AUDIO", "tone %d on", m->ph->o.detect_hz);
			break;
		case TONE_DET_OFF:
			phone_out(m->ph, "AUDIO", "tone %d off", m->ph->o.detect_hz);
			break;
		default:
			break;
		}
	}
	sim_dtmf_det_feed(m->dd, amp, len);
}

int pmedia_alloc(struct pmedia **mp, struct phone *ph, int call_id)
{
	struct rtp_params rp = { .local_ip = ph->o.bind_addr, .recv_h = on_rtp };
	struct pmedia *m = calloc(1, sizeof(*m));
	int rc;

	if (!m)
		return -ENOMEM;
	m->ph = ph;
	m->call_id = call_id;
	m->pt = -1;
	m->te_pt = -1;
	m->rx_age = 2;		/* nothing heard yet */
	rp.arg = m;
	rp.drop_every = (unsigned)ph->o.drop_every;
	rc = rtp_alloc(&m->rtp, ph->root, &rp);
	if (!rc && ph->o.tone_hz)
		rc = sine_gen_alloc(&m->tg, ph->o.tone_hz, TONE_LEVEL_DBM0);
	if (!rc && ph->o.detect_hz)
		rc = tone_det_alloc(&m->td, ph->o.detect_hz);
	if (!rc)
		rc = sim_dtmf_det_alloc(&m->dd, pdtmf_inband_on, pdtmf_inband_end, ph);
	if (rc) {
		pmedia_free(m);
		return rc;
	}
	*mp = m;
	return 0;
}

void pmedia_free(struct pmedia *m)
{
	if (!m)
		return;
	rtp_free(m->rtp);
	fax_term_free(m->fax);
	udptl_free(m->udptl);
	if (m->tg)
		sine_gen_free(m->tg);
	pdtmf_tx_free(m->dg);
	if (m->td)
		tone_det_free(m->td);
	sim_dtmf_det_free(m->dd);
	free(m);
}

int pmedia_local_port(const struct pmedia *m)
{
	return rtp_local_port(m->rtp);
}

int pmedia_set_remote(struct pmedia *m, const char *ip, int port, int pt, int te_pt)
{
	if (g711_pt_law(pt, &m->law) < 0)
		return -EINVAL;
	m->pt = pt;
	m->te_pt = te_pt;
	return rtp_set_remote(m->rtp, ip, port);
}

void pmedia_start_dtmf(struct pmedia *m)
{
	if (!m->ph->o.dtmf || m->dg)
		return;
	if (pdtmf_tx_alloc(&m->dg, m->ph, m->call_id) < 0)
		m->dg = NULL;
}

const int16_t *pmedia_last_rx(const struct pmedia *m)
{
	/* RTP and our clock drift: a frame a tick late still counts */
	return m->rx_age <= 1 ? m->rx_last : NULL;
}

void pmedia_tick(struct pmedia *m, const int16_t *mix)
{
	int16_t amp[FRAME_SAMPLES];
	uint8_t out[FRAME_SAMPLES];

	if (m->t38) {
		fax_term_tick(m->fax, FRAME_SAMPLES);	/* T.38 paces itself on this clock */
		return;
	}
	if (m->pt < 0)
		return;
	if (m->fax)
		fax_term_tx_audio(m->fax, amp, FRAME_SAMPLES);
	else if (m->dg && pdtmf_tx_audio(m->dg, amp, FRAME_SAMPLES))
		;	/* in-band digits replace the tone while they play */
	else if (m->tg)
		sine_gen_fill(m->tg, amp, FRAME_SAMPLES);
	else
		memset(amp, 0, sizeof(amp));
	for (int i = 0; mix && i < FRAME_SAMPLES; i++) {
		int v = amp[i] + mix[i];

		amp[i] = (int16_t)(v > INT16_MAX ? INT16_MAX : v < INT16_MIN ? INT16_MIN : v);
	}
	g711_law_encode(m->law, amp, out, FRAME_SAMPLES);
	rtp_send(m->rtp, m->pt, out, FRAME_SAMPLES, FRAME_SAMPLES);
	if (m->dg)
		pdtmf_tx_events(m->dg, m->rtp, m->te_pt);
}

void pmedia_rx_tick(struct pmedia *m)
{
	static const int16_t silence[FRAME_SAMPLES];

	/* Nothing arrived (held, or the far end stopped): the ear hears
	 * silence, so the detectors must too, or a tone would never go off. */
	if (!m->rx_frames)
		pmedia_detect(m, silence, FRAME_SAMPLES);
	m->rx_frames = 0;
	if (m->rx_age < 2)
		m->rx_age++;
}

void pmedia_print_stats(const struct pmedia *m)
{
	struct rtp_stats st;

	rtp_get_stats(m->rtp, &st);
	/* rx loss and jitter as RFC 3550 A.3 and A.8 count them; what the far
	 * end's RTCP says of our stream; the packets --drop-every kept back */
	phone_out(m->ph, "STAT", "call %d rtp tx=%lu rx=%lu dropped=%lu lost=%ld expected=%lu "
		  "jitter=%.1fms tx_dropped=%lu remote_lost=%ld rtt=%d", m->call_id,
		  st.tx_packets, st.rx_packets, st.rx_dropped, st.rx_lost, st.rx_expected,
		  st.jitter_ms, st.tx_test_dropped, st.remote_lost, st.rtt_ms);
}

/* ---- fax (--fax-send, --fax-recv; the SIP side is phone_fax.c) */

static void on_fax_done(void *arg, const struct fax_result *r)
{
	struct pmedia *m = arg;
	char line[160];

	fax_result_format(line, sizeof(line), r, m->ph->o.fax_send != NULL);
	phone_out(m->ph, "FAX", "call %d %s", m->call_id, line);
	m->fax_over = 1;
}

static int fax_start(struct pmedia *m, int calling, const struct sdp_t38 *t, fax_ifp_h *ifp_h)
{
	const struct phone_opts *o = &m->ph->o;
	struct fax_term_params fp = {
		.mode = t ? FAX_MODE_T38 : FAX_MODE_AUDIO, .calling = calling,
		.send = o->fax_send != NULL, .file = o->fax_send ? o->fax_send : o->fax_recv,
		.ident = "sipgw-phone", .ecm = 1, .ifp_h = ifp_h, .done_h = on_fax_done, .arg = m,
	};

	if (t)
		fp.t38 = (struct fax_t38_conf){ .version = t->version, .max_bitrate = t->max_bitrate,
						.local_tcf = t->rate_mgmt == T38_TCF_LOCAL,
						.fill_bit_removal = t->fill_bit_removal,
						.max_datagram = t->max_datagram };
	fax_term_free(m->fax);
	m->fax = NULL;
	return fax_term_alloc(&m->fax, &fp);
}

int pmedia_fax_audio(struct pmedia *m, int calling)
{
	m->t38 = 0;
	return fax_start(m, calling, NULL, NULL);
}

static void on_udptl(void *arg, const uint8_t *ifp, size_t len, uint16_t seq, int recovered)
{
	struct pmedia *m = arg;

	if (m->fax && m->t38)
		fax_term_rx_ifp(m->fax, ifp, len, seq);
}

static void on_fax_ifp(void *arg, const uint8_t *ifp, size_t len, int count)
{
	struct pmedia *m = arg;

	udptl_send(m->udptl, ifp, len, count);
}

int pmedia_t38_port(struct pmedia *m)
{
	struct udptl_params up = { .local_ip = m->ph->o.bind_addr, .ec = UDPTL_EC_REDUNDANCY,
				   .redundancy = PHONE_T38_REDUNDANCY, .recv_h = on_udptl, .arg = m };
	int rc;

	if (!m->udptl && (rc = udptl_alloc(&m->udptl, m->ph->root, &up)) < 0)
		return rc;
	return udptl_local_port(m->udptl);
}

int pmedia_t38_start(struct pmedia *m, const char *ip, int port, const struct sdp_t38 *t, int calling)
{
	int rc = pmedia_t38_port(m);

	if (rc < 0 || (rc = udptl_set_remote(m->udptl, ip, port)) < 0)
		return rc;
	udptl_set_max_datagram(m->udptl, t->max_datagram > 0 ? (size_t)t->max_datagram : 0);
	rc = fax_start(m, calling, t, on_fax_ifp);
	m->t38 = rc == 0;
	return rc;
}

int pmedia_fax_over(const struct pmedia *m)
{
	return m->fax_over;
}

void pmedia_print_t38_stats(const struct pmedia *m)
{
	struct udptl_stats st;

	if (!m->udptl)
		return;
	udptl_get_stats(m->udptl, &st);
	phone_out(m->ph, "STAT", "call %d udptl tx=%lu rx=%lu recovered=%lu lost=%lu dropped=%lu",
		  m->call_id, st.tx_packets, st.rx_packets, st.rx_recovered, st.rx_lost, st.rx_dropped);
}
