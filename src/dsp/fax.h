/* sipgw - fax on SpanDSP: fax terminals (T.30 over audio, T.30 over T.38)
 * sending or receiving a TIFF file, and the T.38 gateway (audio <-> IFP
 * packets, ITU-T T.38 clause 7) on 20 ms frames of linear audio at 8 kHz.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_DSP_FAX_H
#define SIPGW_DSP_FAX_H

#include <stddef.h>
#include <stdint.h>

#define FAX_FRAME 160	/* 20 ms at 8 kHz, the media ports' frame */

/** An IFP packet to send; count: how many copies (SpanDSP's repetition of
 * indicators and ends of data for an unreliable path, T.38 9.2). */
typedef void (fax_ifp_h)(void *arg, const uint8_t *ifp, size_t len, int count);

/* The T.38 session as negotiated (sip/sdp_t38.h says it in SDP). */
struct fax_t38_conf {
	int version;		/* T38FaxVersion */
	int max_bitrate;	/* T38MaxBitRate, 0 = 14400 */
	int local_tcf;		/* T38FaxRateManagement:localTCF, else transferredTCF */
	int fill_bit_removal;
	int max_datagram;	/* the peer's T38FaxMaxDatagram, 0 = unknown */
};

/* How a fax call ended (T.30 phase E). */
struct fax_result {
	int done;		/* phase E reached */
	int code;		/* T.30 completion code, T30_ERR_OK (0) = success */
	const char *reason;	/* SpanDSP's text for code */
	int pages_tx, pages_rx;
	int bit_rate;		/* of the last page */
	int ecm;		/* T.30 error correction mode was used */
};
typedef void (fax_done_h)(void *arg, const struct fax_result *r);

enum fax_mode { FAX_MODE_AUDIO, FAX_MODE_T38 };

struct fax_term_params {
	enum fax_mode mode;
	int calling;		/* the calling terminal of the call (CNG; T.30 5.2) */
	int send;		/* 1: send file, 0: receive into file */
	const char *file;	/* TIFF-F */
	const char *ident;	/* our TSI / CSI, NULL = none */
	int ecm;		/* offer T.30 Annex A error correction */
	struct fax_t38_conf t38;	/* FAX_MODE_T38 */
	fax_ifp_h *ifp_h;	/* FAX_MODE_T38: where IFPs go */
	fax_done_h *done_h;	/* phase E, once; NULL = ask fax_term_result */
	void *arg;
};

struct fax_term;
/** A terminal; 0, -EINVAL (no file, T.38 without ifp_h) or -ENOMEM. */
int fax_term_alloc(struct fax_term **ftp, const struct fax_term_params *p);
void fax_term_free(struct fax_term *ft);
/** Audio mode: the audio heard (n samples). */
void fax_term_rx_audio(struct fax_term *ft, const int16_t *amp, size_t n);
/** Audio mode: the next n samples to send (silence when idle). */
void fax_term_tx_audio(struct fax_term *ft, int16_t *amp, size_t n);
/** T.38 mode: an IFP packet received, in order (rtp/udptl.h delivers so). */
void fax_term_rx_ifp(struct fax_term *ft, const uint8_t *ifp, size_t len, uint16_t seq);
/** T.38 mode: n samples of time passed (the 20 ms tick); sends what is due. */
void fax_term_tick(struct fax_term *ft, size_t n);
void fax_term_result(const struct fax_term *ft, struct fax_result *r);
/** The simulators' line: "send|recv pages=N result=ok|failed code=C rate=R
 * ecm=0|1 (reason)"; pages are those sent or received. */
void fax_result_format(char *buf, size_t len, const struct fax_result *r, int send);

struct fax_gw_params {
	struct fax_t38_conf t38;
	int ecm;		/* let the terminals use ECM through us */
	fax_ifp_h *ifp_h;
	void *arg;
};

/* T.38 gateway statistics. */
struct fax_gw_stats {
	int pages;		/* pages that crossed */
	int bit_rate;
	int ecm;
};

struct fax_gw;
int fax_gw_alloc(struct fax_gw **gwp, const struct fax_gw_params *p);
void fax_gw_free(struct fax_gw *gw);
/** Audio from the fax machine's side (n samples), demodulated into IFPs. */
void fax_gw_rx_audio(struct fax_gw *gw, const int16_t *amp, size_t n);
/** Audio towards the fax machine: what the T.38 side said, modulated. */
void fax_gw_tx_audio(struct fax_gw *gw, int16_t *amp, size_t n);
/** An IFP packet from the T.38 peer, in order. */
void fax_gw_rx_ifp(struct fax_gw *gw, const uint8_t *ifp, size_t len, uint16_t seq);
void fax_gw_get_stats(struct fax_gw *gw, struct fax_gw_stats *st);

/* TIFF-F test pages (fax_tiff.c, libtiff). */
/** Write a TIFF-F file of pages pages (G3 1-D, 1728 pels, 204x196 dpi), each
 * with its own pattern; 0 or -errno. */
int fax_tiff_make(const char *path, int pages);
/** Pages of path, decoded by libtiff; -errno when it cannot be read. */
int fax_tiff_pages(const char *path);
/** Compare the pages of a and b as libtiff decodes them: 0 when they have
 * the same pages with the same pixels; else the first page (1..) that
 * differs (size or pixels) or is missing; -errno if one cannot be read. */
int fax_tiff_compare(const char *a, const char *b);

#endif
