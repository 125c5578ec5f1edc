/* sipgw - phone simulator: one call's media (RTP, tone/DTMF out, detectors in).
 * SPDX-License-Identifier: GPL-2.0-only */
#include "sim/phone.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dsp/codec.h"
#include "dsp/fax.h"
#include "dsp/tone.h"
#include "rtp/rtp.h"
#include "rtp/udptl.h"
#include "sip/sdp_t38.h"
#include "sim/sim_dtmf.h"

#define FRAME_SAMPLES 160	/* 20 ms at 8 kHz (RFC 3551 4.5.14) */
#define TONE_LEVEL_DBM0 (-10)
#define RX_CODECS 8		/* decoders kept per call: one per codec table row */
#define PTIME_MAX 120		/* ms in one packet at most (CODEC_MAX_FRAME) */

struct pmedia {
	struct phone *ph;
	int call_id;
	struct rtp_session *rtp;
	const struct codec_desc *codec;	/* what we send */
	struct codec *tx;		/* its encoder */
	int pt, te_pt;
	int te_clock;		/* telephone-event's clock: 8000, or 48000 beside Opus */
	int ptime;			/* ms per packet we send: --ptime, made a whole number of frames */
	int16_t txbuf[CODEC_MAX_FRAME + FRAME_SAMPLES];	/* audio not yet sent */
	size_t tx_n;
	struct codec *rx[RX_CODECS];	/* decoders by codec table row, made when a PT first comes */
	const struct codec_desc *rx_codec;	/* the last packet's codec and samples, for the AUDIO rx line */
	int rx_samples;
	struct sine_gen *tg;	/* --tone, NULL = silence */
	int16_t *play;		/* --play: the file's samples, looped */
	size_t play_n, play_pos;
	struct pdtmf_tx *dg;	/* --dtmf in-band or RFC 4733 (phone_dtmf.c), NULL = none */
	struct tone_det *td;	/* --detect */
	struct sim_dtmf_det *dd;
	int rx_frames;		/* audio frames since the last tick */
	int16_t rx_last[FRAME_SAMPLES];	/* the last of them, for a 3-way mix */
	int rx_age;		/* ticks since rx_last came */
	int rx_gap;		/* ticks in a row without audio, up to 2 (pmedia_rx_tick) */
	struct sim_te_rx te_rx;	/* RFC 4733 events heard */
	/* --fax-send / --fax-recv */
	struct fax_term *fax;	/* T.30 on the RTP audio (g711) or over UDPTL (t38) */
	struct udptl_session *udptl;	/* t38: opened for the image stream's SDP */
	int t38;		/* the call runs T.38: no RTP, the terminal on UDPTL */
	int fax_over;		/* T.30 phase E reached */
};

static void pmedia_detect(struct pmedia *m, const int16_t *amp, size_t len);

/* The codec a received payload type stands for: the one agreed on, one we
 * offered on a dynamic PT, or an RFC 3551 static one; NULL for none (CN,
 * unknown). Any of them is decoded: a sender may switch among what we offered. */
static const struct codec_desc *rx_codec_of(const struct pmedia *m, int pt)
{
	const struct phone_opts *o = &m->ph->o;
	const struct codec_desc *d;

	if (m->codec && pt == m->pt)
		return m->codec;
	for (int i = 0; i < o->n_codecs; i++)
		if (o->codecs[i]->static_pt < 0 && o->codecs[i]->dyn_pt == pt)
			return o->codecs[i];
	d = codec_by_static_pt(pt);
	return d && d->ops ? d : NULL;
}

static struct codec *rx_decoder(struct pmedia *m, const struct codec_desc *d)
{
	for (int i = 0; i < RX_CODECS && codec_nth(i); i++)
		if (codec_nth(i) == d) {
			if (!m->rx[i] && codec_alloc(&m->rx[i], d, NULL) < 0)
				return NULL;
			return m->rx[i];
		}
	return NULL;
}

static void on_rtp(void *arg, int pt, const uint8_t *payload, size_t len, uint16_t seq,
		   uint32_t ts, int marker)
{
	struct pmedia *m = arg;
	int16_t amp[CODEC_MAX_FRAME];
	const struct codec_desc *d;
	struct codec *dec;
	int n;

	if (m->te_pt >= 0 && pt == m->te_pt) {
		pdtmf_rx_event(m->ph, &m->te_rx, payload, len, ts, m->te_clock);
		return;
	}
	if (!(d = rx_codec_of(m, pt)) || !(dec = rx_decoder(m, d)))
		return;
	n = codec_decode(dec, payload, len, amp, CODEC_MAX_FRAME);
	if (n <= 0)
		return;
	if (d != m->rx_codec || n != m->rx_samples) {
		m->rx_codec = d;
		m->rx_samples = n;
		phone_out(m->ph, "AUDIO", "rx codec %s/%d ptime %d", d->name, d->clock,
			  n * 1000 / CODEC_RATE);
	}
	if (m->fax && !m->t38)
		fax_term_rx_audio(m->fax, amp, (size_t)n);
	m->rx_frames++;
	/* the 3-way mix takes the last 20 ms heard */
	memset(m->rx_last, 0, sizeof(m->rx_last));
	if (n >= FRAME_SAMPLES)
		memcpy(m->rx_last, amp + n - FRAME_SAMPLES, sizeof(m->rx_last));
	else
		memcpy(m->rx_last, amp, (size_t)n * sizeof(amp[0]));
	m->rx_age = 0;
	pmedia_detect(m, amp, (size_t)n);
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

/* --play: the whole file (a few seconds of speech); -errno. */
static int play_load(struct pmedia *m, const char *path)
{
	FILE *f = fopen(path, "rb");
	long len;

	if (!f)
		return -errno;
	if (fseek(f, 0, SEEK_END) || (len = ftell(f)) < FRAME_SAMPLES * 2 || fseek(f, 0, SEEK_SET)) {
		fclose(f);
		return -EINVAL;
	}
	m->play_n = (size_t)len / 2;
	m->play = malloc(m->play_n * 2);
	if (!m->play || fread(m->play, 2, m->play_n, f) != m->play_n) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	return 0;
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
	if (!rc && ph->o.play && (rc = play_load(m, ph->o.play)))
		fprintf(stderr, "sipgw-phone: --play %s: %s\n", ph->o.play, strerror(-rc));
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
	free(m->play);
	codec_free(m->tx);
	for (int i = 0; i < RX_CODECS; i++)
		codec_free(m->rx[i]);
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

const struct codec_desc *pmedia_codec_by_name(const char *name)
{
	const struct codec_desc *d;

	for (int i = 0; (d = codec_nth(i)); i++)
		if (!strcasecmp(d->name, name) || !strcasecmp(d->cfg, name))
			return d;
	return NULL;
}

int pmedia_offer_pt(const struct codec_desc *c)
{
	return c->static_pt >= 0 ? c->static_pt : c->dyn_pt;
}

int pmedia_set_remote(struct pmedia *m, const char *ip, int port, const struct sdp_choice *ch)
{
	if (!ch->codec || !ch->codec->ops)
		return -EINVAL;
	if (ch->codec != m->codec || ch->pt != m->pt) {
		struct codec *tx;
		int rc = codec_alloc(&tx, ch->codec, ch->fmtp);
		int ms = m->ph->o.ptime;

		if (rc)
			return rc;
		/* --ptime in whole frames of the codec (GSM: 20 ms ones) */
		while (ms < PTIME_MAX && !codec_frame_ok(ch->codec, (size_t)ms * CODEC_RATE / 1000))
			ms += 10;
		codec_free(m->tx);
		m->tx = tx;
		m->codec = ch->codec;
		m->pt = ch->pt;
		m->ptime = ms;
		m->tx_n = 0;
		phone_out(m->ph, "AUDIO", "codec %s/%d ptime %d", ch->codec->name, ch->codec->clock, ms);
	}
	m->te_pt = ch->te_pt;
	m->te_clock = ch->te_clock == 48000 ? 48000 : 8000;
	if (m->te_pt >= 0 && m->te_clock != 8000)
		phone_out(m->ph, "AUDIO", "telephone-event/%d pt %d", m->te_clock, m->te_pt);
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
	int16_t *amp;
	size_t n;

	if (m->t38) {
		fax_term_tick(m->fax, FRAME_SAMPLES);	/* T.38 paces itself on this clock */
		return;
	}
	if (m->pt < 0 || !m->tx)
		return;
	amp = m->txbuf + m->tx_n;
	if (m->fax) {
		fax_term_tx_audio(m->fax, amp, FRAME_SAMPLES);
	} else if (m->dg && pdtmf_tx_audio(m->dg, amp, FRAME_SAMPLES)) {
		;	/* in-band digits replace the tone while they play */
	} else if (m->play) {
		for (int i = 0; i < FRAME_SAMPLES; i++, m->play_pos = (m->play_pos + 1) % m->play_n)
			amp[i] = m->play[m->play_pos];
	} else if (m->tg) {
		sine_gen_fill(m->tg, amp, FRAME_SAMPLES);
	} else {
		memset(amp, 0, FRAME_SAMPLES * sizeof(*amp));
	}
	for (int i = 0; mix && i < FRAME_SAMPLES; i++) {
		int v = amp[i] + mix[i];

		amp[i] = (int16_t)(v > INT16_MAX ? INT16_MAX : v < INT16_MIN ? INT16_MIN : v);
	}
	m->tx_n += FRAME_SAMPLES;
	/* The clock ticks every 20 ms; a packet goes when --ptime of audio is
	 * there: two per tick at 10 ms, one every other tick at 40. */
	n = (size_t)m->ptime * CODEC_RATE / 1000;
	while (m->tx_n >= n) {
		uint8_t out[CODEC_MAX_PAYLOAD];
		int len = codec_encode(m->tx, m->txbuf, n, out, sizeof(out));

		if (len > 0)
			rtp_send(m->rtp, m->pt, out, (size_t)len,
				 (uint32_t)(n * (size_t)codec_ts_per_sample(m->codec)));
		m->tx_n -= n;
		memmove(m->txbuf, m->txbuf + n, m->tx_n * sizeof(m->txbuf[0]));
	}
	if (m->dg)
		pdtmf_tx_events(m->dg, m->rtp, m->te_pt, m->te_clock);
}

void pmedia_rx_tick(struct pmedia *m)
{
	static const int16_t silence[FRAME_SAMPLES];

	/* Nothing arrived (held, or the far end stopped): the ear hears
	 * silence, so the detectors must too, or a tone would never go off.
	 * But the sender's 20 ms clock is not ours: with the two in phase a
	 * packet lands on either side of our tick, so one tick sees none and
	 * the next two. Fed as silence, that tick was a 20 ms hole in a tone
	 * that had none (a digit heard twice). So a tick without audio is
	 * silence only once the next one is empty too; then both go to the
	 * detectors, which count time in samples fed. */
	if (m->rx_frames) {
		m->rx_gap = 0;
	} else if (++m->rx_gap == 2) {
		pmedia_detect(m, silence, FRAME_SAMPLES);
		pmedia_detect(m, silence, FRAME_SAMPLES);
	} else if (m->rx_gap > 2) {
		m->rx_gap = 2;
		pmedia_detect(m, silence, FRAME_SAMPLES);
	}
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
