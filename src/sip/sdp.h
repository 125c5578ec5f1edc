/* sipgw - SDP offer/answer (RFC 3264) on Sofia-SIP's sdp parser.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_SIP_SDP_H
#define SIPGW_SIP_SDP_H

#include <stddef.h>

#include "sip/sdp_crypto.h"

struct codec_desc;

enum sdp_dir { SDP_SENDRECV, SDP_SENDONLY, SDP_RECVONLY, SDP_INACTIVE };

/* The audio stream's transport (RFC 4566 5.14 proto). An answer keeps the
 * offer's (RFC 3264 6): RTP/AVPF (RFC 4585) is RTP/AVP with feedback that
 * an answer may leave out (its a=rtcp-fb lines are not echoed), so it is
 * taken like RTP/AVP; the secure ones (RFC 3711) are sdp_proto_secure()
 * and taken only where SRTP is set up (sip_media.c). */
enum sdp_proto { SDP_PROTO_AVP, SDP_PROTO_AVPF, SDP_PROTO_SAVP, SDP_PROTO_SAVPF, SDP_PROTO_OTHER };

#define SDP_MAX_PTS 16
#define SDP_PT_TELEPHONE_EVENT 101
#define SDP_PT_TELEPHONE_EVENT_48K 102	/* beside Opus (RFC 7587 7) */
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

#define SDP_FMTP_LEN 64

/* One payload type of the audio stream as its a=rtpmap and a=fmtp say
 * (RFC 4566 6); a static one without a=rtpmap as RFC 3551 table 4 says. */
struct sdp_rtpmap {
	char enc[32];		/* encoding name, "" when unknown (a dynamic PT with no rtpmap) */
	int clock;		/* 0 when unknown */
	int channels;		/* 1 when not written */
	char fmtp[SDP_FMTP_LEN];	/* "" when none; a longer one is cut at a ';' */
};

/* What sipgw needs from a session description: its first audio stream, and
 * the layout of every m= line for the answer. */
struct sdp_info {
	char addr[64];		/* connection address (media or session level) */
	int port;		/* audio port; 0 = stream rejected */
	int pts[SDP_MAX_PTS];	/* payload types in m= order */
	struct sdp_rtpmap maps[SDP_MAX_PTS];	/* maps[i] describes pts[i] */
	int n_pts;
	int te_pt;		/* telephone-event/8000 payload type, -1 if none */
	int te48_pt;		/* telephone-event/48000 (with Opus, RFC 7587 7), -1 if none */
	int cn_pt;		/* CN/8000 (RFC 3389) payload type, -1 if none */
	int ptime, maxptime;	/* a=ptime / a=maxptime in ms (RFC 4566 6); 0 = absent */
	enum sdp_dir dir;	/* a=sendrecv (default) / sendonly / recvonly / inactive */
	int null_addr;		/* c=IN IP4 0.0.0.0 (RFC 2543 hold), or c=IN IP6 :: */
	/* RFC 4568: the audio stream's a=crypto lines we can use, in the
	 * offerer's order of preference, and how many it wrote in all */
	struct sdp_crypto crypto[SDP_MAX_CRYPTO];
	int n_crypto, n_crypto_lines;
	enum sdp_proto proto;	/* the audio m= line's transport */
	int rtcp_mux;		/* a=rtcp-mux (RFC 5761): RTCP on the RTP port */
	struct sdp_mlines ml;
	char error[96];		/* why parsing failed, for a Warning header */
};

struct sdp_build_params {
	const char *addr;	/* our RTP address */
	int port;
	const int *pts;		/* audio payload types, preferred first */
	int n_pts;
	/* codecs[i] names pts[i] in its a=rtpmap (written for every PT, static
	 * ones too, as phones do) and gives its a=fmtp; NULL, or a NULL entry:
	 * the RFC 3551 static PT's codec, and no rtpmap if there is none. */
	const struct codec_desc *const *codecs;
	/* fmtps[i]: the a=fmtp for pts[i] instead of the codec's own (an answer
	 * echoing the offer's); NULL or a NULL entry: the codec's. */
	const char *const *fmtps;
	int te_pt;		/* -1: no telephone-event; its fmtp is "0-16" (RFC 4733 7.1.1) */
	int te_clock;		/* te_pt's clock: 8000 (0 too) or 48000 */
	int te48_pt;		/* > 0: a telephone-event/48000 too (an offer with Opus) */
	int cn_pt;		/* > 0: CN/8000 on it (RFC 3389); 0 or -1: none */
	int ptime, maxptime;	/* a=ptime / a=maxptime; 0 = not written */
	enum sdp_dir dir;
	enum sdp_proto proto;	/* the audio m= line's transport: the offer's in an answer (0: RTP/AVP) */
	int rtcp_mux;		/* write a=rtcp-mux (RFC 5761 5.1.1: only when the offer had it, then in every later SDP) */
	int null_addr;		/* write c=IN IP4 0.0.0.0 (hold the old way; IP6 ::) */
	unsigned long sess_id, sess_ver;
	/* An answer (RFC 3264 6): one m= line per offered one, in order, ours
	 * at offer->audio and every other one refused with port 0. NULL: an
	 * offer with the audio stream alone. */
	const struct sdp_mlines *offer;
	const struct sdp_crypto *crypto;	/* a=crypto lines (RFC 4568) to write */
	int n_crypto;
};

/** Parse body: 0; -EBADMSG when it is not SDP; -ENOMEDIUM when no audio m=
 * line could be read; -E2BIG past SDP_MAX_MEDIA m= lines (si->error says
 * why). A media description Sofia cannot parse is kept as refused. */
int sdp_info_parse(struct sdp_info *si, const char *body);
/** snprintf into buf at *off, moving *off on; -ENOSPC when it does not fit
 * (sdp_t38.c writes its image stream with it too). */
int sdp_put(char *buf, size_t len, size_t *off, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/** RFC 4566 5.2/5.7 addrtype of our address: "IP6" when it has a ':', else "IP4". */
const char *sdp_addr_type(const char *addr);
/** The o= and c= lines (and t=) of our description for addr (IPv4 or IPv6,
 * bare); c= the null address of its family (0.0.0.0, ::) when null_addr. */
int sdp_put_session(char *buf, size_t len, size_t *off, const char *addr, unsigned long id, unsigned long ver,
		    int null_addr);
/** Write an SDP body into buf; 0 or -ENOSPC. */
int sdp_build(char *buf, size_t len, const struct sdp_build_params *p);
/** First payload type of prefs[] that the offer carries, or -1. */
int sdp_choose_pt(const struct sdp_info *offer, const int *prefs, int n);
/** The codec of the offer's i-th payload type by its rtpmap (or static PT),
 * NULL when it is none we know. */
const struct codec_desc *sdp_pt_codec(const struct sdp_info *si, int i);

/* What an answer takes from an offer (RFC 3264 6.1). */
struct sdp_choice {
	const struct codec_desc *codec;
	int pt;			/* the offer's payload type for it: dynamic ones answered as offered */
	char fmtp[SDP_FMTP_LEN];	/* the offer's a=fmtp for it (binds our encoder) */
	int te_pt;		/* the offer's telephone-event at the codec's clock if it has one, else at 8000; -1 none */
	int te_clock;		/* its clock: 8000 or 48000 (RFC 4733 2.1: the audio's clock) */
	int cn_pt;		/* the offer's CN/8000, -1 none */
	int ptime, maxptime;	/* the offer's, 0 = absent */
};
/** Pick the codec for an answer: the first of prefs[] (our order: a Cisco
 * voice-class codec list) that the offer carries, whatever the offer's own
 * order. 0, or -ENOENT when none is common (answer 488, RFC 3264 6). */
int sdp_negotiate(const struct sdp_info *offer, const struct codec_desc *const *prefs, int n_prefs,
		  struct sdp_choice *ch);
/** The direction to answer with (RFC 3264 6.1): sendonly -> recvonly etc. */
enum sdp_dir sdp_dir_answer(enum sdp_dir offered);
/** True when the description puts us on hold: null address, sendonly or inactive. */
int sdp_is_hold(const struct sdp_info *si);
const char *sdp_dir_name(enum sdp_dir d);
/** "RTP/AVP", "RTP/AVPF", ...; "?" for SDP_PROTO_OTHER. */
const char *sdp_proto_name(enum sdp_proto p);
/** The proto field of an m= line as enum sdp_proto (case-insensitive, RFC 4566 5.14). */
enum sdp_proto sdp_proto_parse(const char *name);
/** True for RTP/SAVP and RTP/SAVPF (RFC 3711, RFC 5124). */
int sdp_proto_secure(enum sdp_proto p);

#endif
