/* sipgw - SDP for T.38 over UDPTL (ITU-T T.38 Annex D.2.3, RFC 3362's
 * image/t38): m=image PORT udptl t38 and its T38* attributes; the answer.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_SIP_SDP_T38_H
#define SIPGW_SIP_SDP_T38_H

#include <stddef.h>

#include "rtp/udptl.h"
#include "sip/sdp.h"

/* T38FaxRateManagement (T.38 D.2.3): who makes the TCF training check. */
enum t38_rate_mgmt {
	T38_TCF_TRANSFERRED,	/* transferredTCF: the TCF crosses (UDP's choice, T.38 D.2.3) */
	T38_TCF_LOCAL,		/* localTCF: each gateway trains locally (TCP) */
};

#define T38_VERSION_MAX 3
#define T38_DEFAULT_BITRATE 14400	/* V.17; what no T38MaxBitRate means */

/* The T.38 session parameters, as offered or as answered. */
struct sdp_t38 {
	int version;			/* T38FaxVersion, 0..T38_VERSION_MAX */
	int max_bitrate;		/* T38MaxBitRate, bit/s */
	enum t38_rate_mgmt rate_mgmt;	/* T38FaxRateManagement */
	int max_buffer;			/* T38FaxMaxBuffer, octets; 0 = not said */
	int max_datagram;		/* T38FaxMaxDatagram, octets; 0 = not said */
	enum udptl_ec ec;		/* T38FaxUdpEC; NONE when absent */
	int fill_bit_removal;		/* T38FaxFillBitRemoval */
	int mmr, jbig;			/* T38FaxTranscodingMMR / JBIG */
};

/* A session description's first live T.38 stream. */
struct sdp_t38_info {
	char addr[64];			/* connection address (media or session level) */
	int port;			/* 0: the image stream is declined */
	struct sdp_t38 t38;
	int image;			/* index of the m=image line in ml.m[], -1 when none */
	struct sdp_mlines ml;		/* every m= line, for the answer (ml.audio as sdp.c read it) */
	char error[96];
};

/** Parse body: 0 with an m=image udptl t38 line (declined ones too, port
 * 0); -ENOMEDIUM without one; -EBADMSG / -E2BIG as sdp_info_parse. */
int sdp_t38_parse(struct sdp_t38_info *ti, const char *body);

/** The answer's parameters for offer, from what we support (ours; T.38
 * D.2.3 / D.3): the lower version and rate, the offered rate management,
 * our buffer and datagram sizes, the EC both do (we send redundancy for
 * FEC), options only both have. */
void sdp_t38_answer(const struct sdp_t38 *offer, const struct sdp_t38 *ours, struct sdp_t38 *ans);

struct sdp_t38_build_params {
	const char *addr;		/* our UDPTL address */
	int port;
	const struct sdp_t38 *t38;
	unsigned long sess_id, sess_ver;
	/* An answer: one m= line per offered one (RFC 3264 6), ours at
	 * offer_image, every other refused with port 0; NULL: an offer of
	 * the image stream alone. */
	const struct sdp_mlines *offer;
	int offer_image;
};

/** Write an SDP body with our m=image stream into buf; 0 or -ENOSPC. */
int sdp_t38_build(char *buf, size_t len, const struct sdp_t38_build_params *p);

const char *t38_rate_mgmt_name(enum t38_rate_mgmt r);

#endif
