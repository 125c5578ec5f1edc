/* sipgw - SDP offer/answer (RFC 3264) on Sofia-SIP's sdp parser.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_SIP_SDP_H
#define SIPGW_SIP_SDP_H

#include <stddef.h>

enum sdp_dir { SDP_SENDRECV, SDP_SENDONLY, SDP_RECVONLY, SDP_INACTIVE };

#define SDP_MAX_PTS 16
#define SDP_PT_TELEPHONE_EVENT 101
#define SDP_MAX_MEDIA 16	/* m= lines in one offer; more is refused */
/* Room for any answer sdp_build writes: about 400 bytes of session and audio
 * and SDP_MAX_MEDIA - 1 refused m= lines of at most 69 bytes (struct sdp_mline). */
#define SDP_ANSWER_LEN 2048

/* One m= line of an offer as written, enough to refuse it in the answer. */
struct sdp_mline {
	char type[16];		/* audio, video, application, ... */
	char proto[32];		/* RTP/AVP, ... */
	char fmt[16];		/* its first format */
};

/* The offer's m= lines in order (RFC 3264 6: the answer has as many, in
 * the same order) and which one is the audio stream we take. */
struct sdp_mlines {
	int n;
	int audio;		/* index into m[], -1 when there is none */
	struct sdp_mline m[SDP_MAX_MEDIA];
};

/* What sipgw needs from a session description: its first audio stream, and
 * the layout of every m= line for the answer. */
struct sdp_info {
	char addr[64];		/* connection address (media or session level) */
	int port;		/* audio port; 0 = stream rejected */
	int pts[SDP_MAX_PTS];	/* payload types in m= order */
	int n_pts;
	int te_pt;		/* telephone-event payload type, -1 if none */
	enum sdp_dir dir;	/* a=sendrecv (default) / sendonly / recvonly / inactive */
	int null_addr;		/* c=IN IP4 0.0.0.0: RFC 2543 hold */
	struct sdp_mlines ml;
	char error[96];		/* why parsing failed, for a Warning header */
};

struct sdp_build_params {
	const char *addr;	/* our RTP address */
	int port;
	const int *pts;		/* audio payload types, preferred first (0 and/or 8) */
	int n_pts;
	int te_pt;		/* -1: no telephone-event */
	enum sdp_dir dir;
	int null_addr;		/* write c=IN IP4 0.0.0.0 (hold the old way) */
	unsigned long sess_id, sess_ver;
	/* An answer (RFC 3264 6): one m= line per offered one, in order, ours
	 * at offer->audio and every other one refused with port 0. NULL: an
	 * offer with the audio stream alone. */
	const struct sdp_mlines *offer;
};

/** Parse body: 0; -EBADMSG when it is not SDP; -ENOMEDIUM when no audio m=
 * line could be read; -E2BIG past SDP_MAX_MEDIA m= lines (si->error says
 * why). A media description Sofia cannot parse is kept as refused. */
int sdp_info_parse(struct sdp_info *si, const char *body);
/** Write an SDP body into buf; 0 or -ENOSPC. */
int sdp_build(char *buf, size_t len, const struct sdp_build_params *p);
/** First payload type of prefs[] that the offer carries, or -1. */
int sdp_choose_pt(const struct sdp_info *offer, const int *prefs, int n);
/** The direction to answer with (RFC 3264 6.1): sendonly -> recvonly etc. */
enum sdp_dir sdp_dir_answer(enum sdp_dir offered);
/** True when the description puts us on hold: null address, sendonly or inactive. */
int sdp_is_hold(const struct sdp_info *si);
const char *sdp_dir_name(enum sdp_dir d);

#endif
