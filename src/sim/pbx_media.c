/* sipgw - PBX simulator: B-channel audio (tones, DTMF, detection).
 * SPDX-License-Identifier: GPL-2.0-only */
#include "pbx.h"

#include <errno.h>
#include <spandsp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dsp/fax.h"
#include "dsp/g711.h"
#include "dsp/tone.h"
#include "sim/sim_dtmf.h"

/* Level of --tone: -10 dBm0, a usual test-tone level (O.41 style tests use
 * -10 to -13), loud enough to detect, far from clipping. */
#define PBX_TONE_DBM0	-10

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
	if (rc == 0 && o->detect_hz)
		rc = tone_det_alloc(&m->det, o->detect_hz);
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

/* One 20 ms block for c: DTMF while digits remain, else the tone, else idle. */
static void media_fill(struct pbx_call *c, uint8_t *out)
{
	struct pbx_media *m = &c->media;
	enum g711_law law = span_law(c->pbx);
	int16_t amp[LB_AUDIO_SAMPLES];

	if (m->fax) {
		fax_term_tx_audio(m->fax, amp, LB_AUDIO_SAMPLES);
	} else if (pbx_dtmf_fill(c, amp, LB_AUDIO_SAMPLES)) {
		;	/* in-band digits replace the tone while they play */
	} else if (m->tone) {
		sine_gen_fill(m->tone, amp, LB_AUDIO_SAMPLES);
	} else {
		memset(out, g711_silence(law), LB_AUDIO_SAMPLES);
		return;
	}
	g711_law_encode(law, amp, out, LB_AUDIO_SAMPLES);
}

void pbx_media_tick(struct pbx *p)
{
	uint8_t dgram[LB_AUDIO_DGRAM];

	for (struct pbx_call *c = p->calls; c; c = c->next) {
		struct pbx_iface *ifc;

		if (!c->chan || !pbx_media_cut_through(c))
			continue;
		/* each call's audio on its own span's B socket */
		ifc = pbx_iface_find(p, c->iface);
		if (!ifc || ifc->bfd < 0)
			continue;
		dgram[0] = (uint8_t)c->chan;
		media_fill(c, dgram + 1);
		/* A full socket buffer means the far end stopped reading: drop
		 * the block as a real TDM channel would, don't block the loop. */
		if (send(ifc->bfd, dgram, sizeof(dgram), MSG_NOSIGNAL | MSG_DONTWAIT) < 0 &&
		    errno != EAGAIN)
			fprintf(stderr, "sipgw-pbx: B-channel send: %s\n", strerror(errno));
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
