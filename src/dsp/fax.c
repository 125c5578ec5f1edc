/* sipgw - fax terminals and the T.38 gateway on SpanDSP 0.0.6 (fax_init,
 * t38_terminal_init, t38_gateway_init). We only wire them: T.30, the V.17 /
 * V.29 / V.27ter modems and T.38's IFP coding are SpanDSP's.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "dsp/fax.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spandsp.h>

#include "core/log.h"

/* T.38 D.2.3 T38MaxBitRate -> the modems T.30 may train (T.30 Table 2). */
static int modems_for(int max_bitrate)
{
	if (max_bitrate && max_bitrate < 7200)
		return T30_SUPPORT_V27TER;
	if (max_bitrate && max_bitrate < 12000)
		return T30_SUPPORT_V27TER | T30_SUPPORT_V29;
	return T30_SUPPORT_V27TER | T30_SUPPORT_V29 | T30_SUPPORT_V17;
}

/* SpanDSP's own log lines (warnings, protocol errors) into ours, debug level. */
static void span_msg(int level, const char *text)
{
	size_t n = strlen(text);

	LOGD(LSS_DSP, "spandsp: %.*s", (int)(n && text[n - 1] == '\n' ? n - 1 : n), text);
}

static void log_to_ours(logging_state_t *ls)
{
	if (!ls)
		return;
	span_log_set_level(ls, SPAN_LOG_WARNING | SPAN_LOG_SHOW_PROTOCOL);
	span_log_set_message_handler(ls, span_msg);
}

/* The T.38 core's settings from the negotiated session (T.38 D.2.3). */
static void t38_core_conf(t38_core_state_t *core, const struct fax_t38_conf *c)
{
	t38_set_t38_version(core, c->version);
	t38_set_data_rate_management_method(core, c->local_tcf ? T38_DATA_RATE_MANAGEMENT_LOCAL_TCF
								: T38_DATA_RATE_MANAGEMENT_TRANSFERRED_TCF);
	t38_set_fastest_image_data_rate(core, c->max_bitrate ? c->max_bitrate : 14400);
	t38_set_fill_bit_removal(core, c->fill_bit_removal);
	if (c->max_datagram > 0)
		t38_set_max_datagram_size(core, c->max_datagram);
	log_to_ours(t38_core_get_logging_state(core));
}

/* ---- terminals */

struct fax_term {
	enum fax_mode mode;
	fax_state_t *audio;
	t38_terminal_state_t *t38;
	t30_state_t *t30;
	fax_ifp_h *ifp_h;
	fax_done_h *done_h;
	void *arg;
	struct fax_result res;
};

static void stats_into(t30_state_t *t30, struct fax_result *r)
{
	t30_stats_t st;

	t30_get_transfer_statistics(t30, &st);
	r->pages_tx = st.pages_tx;
	r->pages_rx = st.pages_rx;
	r->bit_rate = st.bit_rate;
	r->ecm = st.error_correcting_mode;
}

/* T.30 phase E: the call's fax part is over, well or not (T.30 5.2). */
static void on_phase_e(t30_state_t *t30, void *user_data, int code)
{
	struct fax_term *ft = user_data;

	if (ft->res.done)
		return;
	ft->res.done = 1;
	ft->res.code = code;
	ft->res.reason = t30_completion_code_to_str(code);
	stats_into(t30, &ft->res);
	if (ft->done_h)
		ft->done_h(ft->arg, &ft->res);
}

static int term_tx_packet(t38_core_state_t *s, void *user_data, const uint8_t *buf, int len, int count)
{
	struct fax_term *ft = user_data;

	if (len > 0)
		ft->ifp_h(ft->arg, buf, (size_t)len, count);
	return 0;
}

int fax_term_alloc(struct fax_term **ftp, const struct fax_term_params *p)
{
	struct fax_term *ft;

	if (!p->file || (p->mode == FAX_MODE_T38 && !p->ifp_h))
		return -EINVAL;
	ft = calloc(1, sizeof(*ft));
	if (!ft)
		return -ENOMEM;
	ft->mode = p->mode;
	ft->ifp_h = p->ifp_h;
	ft->done_h = p->done_h;
	ft->arg = p->arg;
	if (p->mode == FAX_MODE_AUDIO) {
		ft->audio = fax_init(NULL, p->calling);
		if (ft->audio) {
			/* always a full frame out, silence between signals */
			fax_set_transmit_on_idle(ft->audio, 1);
			ft->t30 = fax_get_t30_state(ft->audio);
			log_to_ours(fax_get_logging_state(ft->audio));
		}
	} else {
		ft->t38 = t38_terminal_init(NULL, p->calling, term_tx_packet, ft);
		if (ft->t38) {
			t38_core_conf(t38_terminal_get_t38_core_state(ft->t38), &p->t38);
			/* Paced, indicators once: SpanDSP 0.0.6's repeating
			 * indicators (T38_TERMINAL_OPTION_2S_REPEATING_INDICATORS)
			 * kept a calling terminal's DCS from ever leaving (unit
			 * test fax, T.38 -> gateway -> audio). UDPTL redundancy
			 * covers a lost indicator. */
			t38_terminal_set_config(ft->t38, 0);
			t38_terminal_set_fill_bit_removal(ft->t38, p->t38.fill_bit_removal);
			ft->t30 = t38_terminal_get_t30_state(ft->t38);
			log_to_ours(t38_terminal_get_logging_state(ft->t38));
		}
	}
	if (!ft->t30) {
		fax_term_free(ft);
		return -ENOMEM;
	}
	if (p->ident)
		t30_set_tx_ident(ft->t30, p->ident);
	if (p->send)
		t30_set_tx_file(ft->t30, p->file, -1, -1);
	else
		t30_set_rx_file(ft->t30, p->file, -1);
	t30_set_ecm_capability(ft->t30, p->ecm);
	t30_set_supported_compressions(ft->t30, T30_SUPPORT_T4_1D_COMPRESSION |
						T30_SUPPORT_T4_2D_COMPRESSION |
						(p->ecm ? T30_SUPPORT_T6_COMPRESSION : 0));
	t30_set_supported_modems(ft->t30, modems_for(p->mode == FAX_MODE_T38 ? p->t38.max_bitrate : 0));
	t30_set_phase_e_handler(ft->t30, on_phase_e, ft);
	log_to_ours(t30_get_logging_state(ft->t30));
	*ftp = ft;
	return 0;
}

void fax_term_free(struct fax_term *ft)
{
	if (!ft)
		return;
	if (ft->audio)
		fax_free(ft->audio);
	if (ft->t38)
		t38_terminal_free(ft->t38);
	free(ft);
}

void fax_term_rx_audio(struct fax_term *ft, const int16_t *amp, size_t n)
{
	int16_t buf[FAX_FRAME];

	if (!ft->audio)
		return;
	/* fax_rx takes a non-const buffer; it does not write it, but copy */
	while (n) {
		size_t k = n < FAX_FRAME ? n : FAX_FRAME;

		memcpy(buf, amp, k * sizeof(*amp));
		fax_rx(ft->audio, buf, (int)k);
		amp += k;
		n -= k;
	}
}

void fax_term_tx_audio(struct fax_term *ft, int16_t *amp, size_t n)
{
	int got = ft->audio ? fax_tx(ft->audio, amp, (int)n) : 0;

	if (got < 0)
		got = 0;
	if ((size_t)got < n)
		memset(amp + got, 0, (n - (size_t)got) * sizeof(*amp));
}

void fax_term_rx_ifp(struct fax_term *ft, const uint8_t *ifp, size_t len, uint16_t seq)
{
	if (ft->t38)
		t38_core_rx_ifp_packet(t38_terminal_get_t38_core_state(ft->t38), ifp, (int)len, seq);
}

void fax_term_tick(struct fax_term *ft, size_t n)
{
	if (ft->t38)
		t38_terminal_send_timeout(ft->t38, (int)n);
}

void fax_term_result(const struct fax_term *ft, struct fax_result *r)
{
	*r = ft->res;
	if (!r->done) {
		stats_into(ft->t30, r);
		r->reason = "in progress";
	}
}

void fax_result_format(char *buf, size_t len, const struct fax_result *r, int send)
{
	snprintf(buf, len, "%s pages=%d result=%s code=%d rate=%d ecm=%d (%s)", send ? "send" : "recv",
		 send ? r->pages_tx : r->pages_rx, r->done && r->code == T30_ERR_OK ? "ok" : "failed",
		 r->code, r->bit_rate, r->ecm, r->reason ? r->reason : "");
}

/* ---- the gateway */

struct fax_gw {
	t38_gateway_state_t *gw;
	fax_ifp_h *ifp_h;
	void *arg;
};

static int gw_tx_packet(t38_core_state_t *s, void *user_data, const uint8_t *buf, int len, int count)
{
	struct fax_gw *gw = user_data;

	if (len > 0)
		gw->ifp_h(gw->arg, buf, (size_t)len, count);
	return 0;
}

int fax_gw_alloc(struct fax_gw **gwp, const struct fax_gw_params *p)
{
	struct fax_gw *gw;

	if (!p->ifp_h)
		return -EINVAL;
	gw = calloc(1, sizeof(*gw));
	if (!gw)
		return -ENOMEM;
	gw->ifp_h = p->ifp_h;
	gw->arg = p->arg;
	gw->gw = t38_gateway_init(NULL, gw_tx_packet, gw);
	if (!gw->gw) {
		free(gw);
		return -ENOMEM;
	}
	t38_core_conf(t38_gateway_get_t38_core_state(gw->gw), &p->t38);
	t38_gateway_set_transmit_on_idle(gw->gw, 1);
	t38_gateway_set_ecm_capability(gw->gw, p->ecm);
	t38_gateway_set_supported_modems(gw->gw, modems_for(p->t38.max_bitrate));
	t38_gateway_set_fill_bit_removal(gw->gw, p->t38.fill_bit_removal);
	log_to_ours(t38_gateway_get_logging_state(gw->gw));
	*gwp = gw;
	return 0;
}

void fax_gw_free(struct fax_gw *gw)
{
	if (!gw)
		return;
	t38_gateway_free(gw->gw);
	free(gw);
}

void fax_gw_rx_audio(struct fax_gw *gw, const int16_t *amp, size_t n)
{
	int16_t buf[FAX_FRAME];

	while (n) {
		size_t k = n < FAX_FRAME ? n : FAX_FRAME;

		memcpy(buf, amp, k * sizeof(*amp));
		t38_gateway_rx(gw->gw, buf, (int)k);
		amp += k;
		n -= k;
	}
}

void fax_gw_tx_audio(struct fax_gw *gw, int16_t *amp, size_t n)
{
	int got = t38_gateway_tx(gw->gw, amp, (int)n);

	if (got < 0)
		got = 0;
	if ((size_t)got < n)
		memset(amp + got, 0, (n - (size_t)got) * sizeof(*amp));
}

void fax_gw_rx_ifp(struct fax_gw *gw, const uint8_t *ifp, size_t len, uint16_t seq)
{
	t38_core_rx_ifp_packet(t38_gateway_get_t38_core_state(gw->gw), ifp, (int)len, seq);
}

void fax_gw_get_stats(struct fax_gw *gw, struct fax_gw_stats *st)
{
	t38_stats_t t;

	t38_gateway_get_transfer_statistics(gw->gw, &t);
	st->pages = t.pages_transferred;
	st->bit_rate = t.bit_rate;
	st->ecm = t.error_correcting_mode;
}
