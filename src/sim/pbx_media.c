/* sipgw - PBX simulator: B-channel audio (tones, DTMF, detection).
 * SPDX-License-Identifier: GPL-2.0-only */
#include "pbx.h"

#include <errno.h>
#include <spandsp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dsp/echo_path.h"
#include "dsp/fax.h"
#include "dsp/g711.h"
#include "dsp/tone.h"
#include "sim/sim_dtmf.h"

/* Level of --tone: -10 dBm0, a usual test-tone level (O.41 style tests use
 * -10 to -13), loud enough to detect, far from clipping. */
#define PBX_TONE_DBM0	-10
/* --echo: G.168 Annex D model D.2 behind 10 ms, Hoth noise at -70 dBm0 */
#define PBX_ECHO_MODEL 2
#define PBX_ECHO_DELAY_MS 10
#define PBX_ECHO_NOISE_DBM0 -70
/* --detect F1+F2 per 20 ms block: each bin at least DUAL_EACH of the block's
 * energy and both DUAL_BOTH (two tones 40 Hz apart leak into each other's
 * bin of a 160-sample Goertzel), above -45 dBm0; 3 blocks to flip, as tone.h. */
#define DUAL_EACH 0.25
#define DUAL_BOTH 0.6
#define DUAL_MIN_MEANSQ 8.0
#define DUAL_HYST 3

static enum g711_law span_law(const struct pbx *p)
{
	return p->opt.framing == PBX_E1 ? LAW_ALAW : LAW_ULAW;
}

/* T.30 phase E: say how it went; the sender clears the call, as a fax
 * machine goes on-hook after its DCN (T.30 5.2 phase E). */
static void media_fax_done(void *arg, const struct fax_result *r)
{
	struct pbx_call *c = arg;
	char line[160];

	fax_result_format(line, sizeof(line), r, c->pbx->opt.fax_send != NULL);
	pbx_out(c->pbx, PBX_FAX, "call %d %s", c->id, line);
	if (c->pbx->opt.fax_send && c->fi.state == PCALL_ACTIVE)
		c->due_ms = mono_ms();
}

static int media_fax_start(struct pbx_call *c)
{
	const struct pbx_opts *o = &c->pbx->opt;
	struct fax_term_params fp = {
		.mode = FAX_MODE_AUDIO, .calling = c->outgoing, .send = o->fax_send != NULL,
		.file = o->fax_send ? o->fax_send : o->fax_recv, .ident = "sipgw-pbx", .ecm = 1,
		.done_h = media_fax_done, .arg = c,
	};

	return fax_term_alloc(&c->media.fax, &fp);
}

int pbx_media_start(struct pbx_call *c)
{
	const struct pbx_opts *o = &c->pbx->opt;
	struct pbx_media *m = &c->media;
	int rc = 0;

	m->call = c;
	if (o->tone_hz)
		rc = sine_gen_alloc(&m->tone, o->tone_hz, PBX_TONE_DBM0);
	if (rc == 0)
		rc = pbx_dtmf_start(c);
	if (rc == 0 && o->detect_hz && !o->detect_hz2)
		rc = tone_det_alloc(&m->det, o->detect_hz);
	if (rc == 0 && o->tone_ans && !(m->ans = modem_connect_tones_tx_init(NULL, MODEM_CONNECT_TONES_ANS_PR)))
		rc = -ENOMEM;
	if (rc == 0 && o->echo_erl) {
		struct echo_path_params ep = { .model = PBX_ECHO_MODEL, .delay_ms = PBX_ECHO_DELAY_MS,
					       .erl_db = o->echo_erl, .noise_dbm0 = PBX_ECHO_NOISE_DBM0,
					       .law = span_law(c->pbx) };

		rc = echo_path_alloc(&m->echo, &ep);
	}
	if (rc == 0)
		rc = sim_dtmf_det_alloc(&m->ddet, pbx_dtmf_inband_on, pbx_dtmf_inband_end, c);
	if (rc == 0 && (o->fax_send || o->fax_recv))
		rc = media_fax_start(c);
	if (rc < 0)
		pbx_media_stop(c);
	return rc;
}

void pbx_media_stop(struct pbx_call *c)
{
	struct pbx_media *m = &c->media;

	sine_gen_free(m->tone);
	if (m->ans)
		modem_connect_tones_tx_free(m->ans);
	echo_path_free(m->echo);
	pbx_dtmf_stop(c);
	tone_det_free(m->det);
	sim_dtmf_det_free(m->ddet);
	fax_term_free(m->fax);
	memset(m, 0, sizeof(*m));
}

int pbx_media_cut_through(const struct pbx_call *c)
{
	switch (c->fi.state) {
	case PCALL_ACTIVE:
		return 1;
	case PCALL_INIT:
	case PCALL_OUT_PROC:
	case PCALL_DELIVERED:
	case PCALL_RECEIVED:
		return c->inband;
	default:
		return 0;
	}
}

/* One 20 ms block for c: DTMF while digits remain, else ANS/ (once, its
 * 3.3 s), else the tone, else idle; plus, with --echo, the echo of what we
 * last heard. Silence encodes to the idle code of either law. */
static void media_fill(struct pbx_call *c, uint8_t *out)
{
	struct pbx_media *m = &c->media;
	enum g711_law law = span_law(c->pbx);
	int16_t amp[LB_AUDIO_SAMPLES] = { 0 };

	if (m->fax) {
		fax_term_tx_audio(m->fax, amp, LB_AUDIO_SAMPLES);
	} else if (pbx_dtmf_fill(c, amp, LB_AUDIO_SAMPLES)) {
		;	/* in-band digits replace the tone while they play */
	} else if (m->ans) {
		int got = modem_connect_tones_tx(m->ans, amp, LB_AUDIO_SAMPLES);

		memset(amp + got, 0, (LB_AUDIO_SAMPLES - (size_t)got) * sizeof(amp[0]));
	} else if (m->tone) {
		sine_gen_fill(m->tone, amp, LB_AUDIO_SAMPLES);
	}
	if (m->echo) {
		for (size_t i = 0; i < LB_AUDIO_SAMPLES; i++) {
			int v = amp[i] + m->echo_buf[i];

			amp[i] = (int16_t)(v > INT16_MAX ? INT16_MAX : v < INT16_MIN ? INT16_MIN : v);
		}
		memset(m->echo_buf, 0, sizeof(m->echo_buf));
	}
	g711_law_encode(law, amp, out, LB_AUDIO_SAMPLES);
}

/* --detect F1+F2: a dual tone (ringback 440+480) on or off, per block. */
static void media_dual(struct pbx_call *c, const int16_t *amp, size_t n)
{
	struct pbx_media *m = &c->media;
	const struct pbx_opts *o = &c->pbx->opt;
	goertzel_descriptor_t d1, d2;
	goertzel_state_t g1, g2;
	double e = 0, r1, r2;
	int present;

	make_goertzel_descriptor(&d1, (float)o->detect_hz, (int)n);
	make_goertzel_descriptor(&d2, (float)o->detect_hz2, (int)n);
	goertzel_init(&g1, &d1);
	goertzel_init(&g2, &d2);
	goertzel_update(&g1, amp, (int)n);
	goertzel_update(&g2, amp, (int)n);
	for (size_t i = 0; i < n; i++)
		e += (double)amp[i] * amp[i];
	/* goertzel_result() of a sine at the bin is n times the block's energy (tone.c) */
	r1 = e > 0 ? goertzel_result(&g1) / (e * (double)n) : 0;
	r2 = e > 0 ? goertzel_result(&g2) / (e * (double)n) : 0;
	present = e / (double)n >= DUAL_MIN_MEANSQ && r1 >= DUAL_EACH && r2 >= DUAL_EACH &&
		  r1 + r2 >= DUAL_BOTH;
	if (present == m->dual_on) {
		m->dual_run = 0;
		return;
	}
	if (++m->dual_run < DUAL_HYST)
		return;
	m->dual_on = present;
	m->dual_run = 0;
	pbx_out(c->pbx, PBX_AUDIO, "tone %d+%d %s %s", o->detect_hz, o->detect_hz2, present ? "on" : "off",
		pbx_chan_str(c->pbx, "ch", c->iface, c->chan).s);
}

static void media_send(struct pbx_call *c, struct pbx_iface *ifc)
{
	uint8_t dgram[LB_AUDIO_DGRAM];

	dgram[0] = (uint8_t)c->chan;
	media_fill(c, dgram + 1);
	/* A full socket buffer means the far end stopped reading: drop
	 * the block as a real TDM channel would, don't block the loop. */
	if (send(ifc->bfd, dgram, sizeof(dgram), MSG_NOSIGNAL | MSG_DONTWAIT) < 0 && errno != EAGAIN)
		fprintf(stderr, "sipgw-pbx: B-channel send: %s\n", strerror(errno));
}

void pbx_media_tick(struct pbx *p)
{
	for (struct pbx_call *c = p->calls; c; c = c->next) {
		struct pbx_iface *ifc;

		/* --echo: loop timed, a block goes out for each block heard */
		if (!c->chan || !pbx_media_cut_through(c) || c->media.echo)
			continue;
		/* each call's audio on its own span's B socket */
		ifc = pbx_iface_find(p, c->iface);
		if (!ifc || ifc->bfd < 0)
			continue;
		media_send(c, ifc);
	}
}

static void media_rx(struct pbx_call *c, const uint8_t *in, size_t n)
{
	struct pbx_media *m = &c->media;
	int16_t amp[LB_AUDIO_SAMPLES];

	g711_law_decode(span_law(c->pbx), in, amp, n);
	if (m->fax) {
		fax_term_rx_audio(m->fax, amp, n);
		return;
	}
	sim_dtmf_det_feed(m->ddet, amp, n);
	/* the hybrid returns what came in (sent at once: pbx_media_recv) */
	if (m->echo && n == LB_AUDIO_SAMPLES)
		echo_path_run(m->echo, amp, NULL, m->echo_buf, n);
	if (c->pbx->opt.detect_hz2)
		media_dual(c, amp, n);
	if (!m->det)
		return;
	switch (tone_det_feed(m->det, amp, n)) {
	case TONE_DET_ON:
		pbx_out(c->pbx, PBX_AUDIO, "tone %d on %s", c->pbx->opt.detect_hz,
			pbx_chan_str(c->pbx, "ch", c->iface, c->chan).s);
		break;
	case TONE_DET_OFF:
		pbx_out(c->pbx, PBX_AUDIO, "tone %d off %s", c->pbx->opt.detect_hz,
			pbx_chan_str(c->pbx, "ch", c->iface, c->chan).s);
		break;
	default:
		break;
	}
}

void pbx_media_recv(struct pbx *p, struct pbx_iface *ifc)
{
	uint8_t dgram[LB_AUDIO_DGRAM + 1];	/* +1: notice oversized datagrams */
	ssize_t n;

	while ((n = recv(ifc->bfd, dgram, sizeof(dgram), MSG_DONTWAIT)) > 0) {
		struct pbx_call *c;

		if (n < 2 || n > LB_AUDIO_DGRAM)
			continue;		/* not the wire format: ignore */
		c = pbx_call_by_chan(p, ifc->iface, dgram[0]);
		if (c) {
			c->rx_frames++;
			media_rx(c, dgram + 1, (size_t)n - 1);
			/* --echo: a PBX on a PRI takes its clock from the line (loop
			 * timing), so the hybrid's echo goes back in step with what
			 * came: our block answers the gateway's at once */
			if (c->media.echo && c->chan && pbx_media_cut_through(c))
				media_send(c, ifc);
		}
	}
	if (n == 0) {
		/* The gateway closed the audio socket: stop polling it (it would
		 * stay readable forever) and go on with signalling alone. */
		fprintf(stderr, "sipgw-pbx: B-channel socket %s%s closed by the far end\n", ifc->path,
			LB_AUDIO_SUFFIX);
		close(ifc->bfd);
		ifc->bfd = -1;
	}
}

/* Datagrams the gateway must take in its stride (issue 7): one 0-byte
 * datagram on each socket (a datagram, not a hang-up), and a flood of
 * malformed B-channel ones, half of the wrong size, half for a channel
 * the span does not have, spread at PBX_FLOOD_PER_TICK per 20 ms. */
#define PBX_FLOOD_PER_TICK 40

void pbx_media_odd_tick(struct pbx *p, long long now)
{
	const struct pbx_opts *o = &p->opt;
	uint8_t bad[LB_AUDIO_DGRAM] = { 0 };
	int dfd = p->d_active ? p->d_active->dfd : -1, bfd = p->ifc[0].bfd;

	if (!p->first_connect_ms)
		return;
	if (o->send_empty_at > 0 && !p->empty_sent &&
	    now >= p->first_connect_ms + (long long)(o->send_empty_at * 1000)) {
		p->empty_sent = 1;
		if (send(dfd, "", 0, MSG_NOSIGNAL) < 0 || send(bfd, "", 0, MSG_NOSIGNAL) < 0)
			fprintf(stderr, "sipgw-pbx: empty datagram: %s\n", strerror(errno));
		else
			pbx_out(p, PBX_EVENT, "sent empty datagrams on D and B");
	}
	if (o->flood_bad_b > 0 && p->flood_sent < o->flood_bad_b && bfd >= 0 &&
	    now >= p->first_connect_ms + (long long)(o->flood_at * 1000)) {
		for (int i = 0; i < PBX_FLOOD_PER_TICK && p->flood_sent < o->flood_bad_b; i++) {
			int odd = p->flood_sent & 1;
			size_t len = odd ? sizeof(bad) : 100;

			bad[0] = odd ? 200 : 1;		/* 200: no such B-channel */
			memset(bad + 1, g711_silence(span_law(p)), sizeof(bad) - 1);
			if (send(bfd, bad, len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
				break;		/* full: the rest next tick */
			p->flood_sent++;
		}
		if (p->flood_sent == o->flood_bad_b)
			pbx_out(p, PBX_EVENT, "sent %d malformed B-channel datagrams", p->flood_sent);
	}
}
