/* sipgw - SDP offer/answer (RFC 3264): parse with Sofia-SIP, build with snprintf.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "sip/sdp.h"

#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/su_alloc.h>
#include <sofia-sip/sdp.h>

#include "dsp/codec.h"

static const char *const dir_names[] = {
	[SDP_SENDRECV] = "sendrecv", [SDP_SENDONLY] = "sendonly",
	[SDP_RECVONLY] = "recvonly", [SDP_INACTIVE] = "inactive",
};

const char *sdp_dir_name(enum sdp_dir d)
{
	return (unsigned)d <= SDP_INACTIVE ? dir_names[d] : "?";
}

static const char *const proto_names[] = {
	[SDP_PROTO_AVP] = "RTP/AVP", [SDP_PROTO_AVPF] = "RTP/AVPF",
	[SDP_PROTO_SAVP] = "RTP/SAVP", [SDP_PROTO_SAVPF] = "RTP/SAVPF",
};

const char *sdp_proto_name(enum sdp_proto p)
{
	return (unsigned)p < SDP_PROTO_OTHER ? proto_names[p] : "?";
}

enum sdp_proto sdp_proto_parse(const char *name)
{
	for (unsigned i = 0; name && i < SDP_PROTO_OTHER; i++)
		if (!strcasecmp(name, proto_names[i]))
			return (enum sdp_proto)i;
	return SDP_PROTO_OTHER;
}

int sdp_proto_secure(enum sdp_proto p)
{
	return p == SDP_PROTO_SAVP || p == SDP_PROTO_SAVPF;
}

/* Direction attribute in list a (RFC 3264 5.1), or -1 when there is none. */
static int dir_from_attrs(const sdp_attribute_t *a)
{
	for (; a; a = a->a_next)
		for (unsigned i = 0; i <= SDP_INACTIVE; i++)
			if (a->a_name && !strcasecmp(a->a_name, dir_names[i]))
				return (int)i;
	return -1;
}

/* Copy src into dst[SDP_FMTP_LEN]; one too long is cut after its last whole
 * parameter (RFC 4566 6: "a=fmtp:<format> <format specific parameters>",
 * ';'-separated for every codec we know), never in the middle of one. */
static void fmtp_copy(char *dst, const char *src)
{
	size_t n = strlen(src);

	if (n >= SDP_FMTP_LEN) {
		n = SDP_FMTP_LEN - 1;
		while (n && src[n] != ';')
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = 0;
}

/* a=ptime / a=maxptime in ms (RFC 4566 6) at media level, else session
 * level (misplaced there by some phones); 0 when absent or not a number
 * of ms a packet could hold. */
static int ms_attr(const sdp_attribute_t *media, const sdp_attribute_t *sess, const char *name)
{
	const sdp_attribute_t *a = sdp_attribute_find(media, name);
	char *end;
	long v;

	if (!a)
		a = sdp_attribute_find(sess, name);
	if (!a || !a->a_value)
		return 0;
	v = strtol(a->a_value, &end, 10);
	return end != a->a_value && v > 0 && v <= 1000 ? (int)v : 0;
}

static void take_rtpmap(struct sdp_rtpmap *map, const sdp_rtpmap_t *rm)
{
	memset(map, 0, sizeof(*map));
	map->channels = 1;
	if (rm->rm_encoding && strlen(rm->rm_encoding) < sizeof(map->enc)) {
		snprintf(map->enc, sizeof(map->enc), "%s", rm->rm_encoding);
		map->clock = (int)(rm->rm_rate <= 1000000 ? rm->rm_rate : 0);
	}
	if (rm->rm_params) {
		char *end;
		long ch = strtol(rm->rm_params, &end, 10);

		if (end != rm->rm_params && !*end && ch > 0 && ch <= 8)
			map->channels = (int)ch;
	}
	if (rm->rm_fmtp)
		fmtp_copy(map->fmtp, rm->rm_fmtp);
}

/* RFC 4568 9.1: the media level's a=crypto lines; one we cannot use is
 * left out (5.1.2: the answerer picks one it can), never the offer. */
static void sdp_take_crypto(struct sdp_info *si, const sdp_attribute_t *a)
{
	for (; a; a = a->a_next) {
		if (!a->a_name || strcasecmp(a->a_name, "crypto"))
			continue;
		si->n_crypto_lines++;
		if (si->n_crypto < SDP_MAX_CRYPTO && !sdp_crypto_parse(a->a_value, &si->crypto[si->n_crypto], NULL))
			si->n_crypto++;
	}
}

/* The audio stream we take: its address, port, payload types, direction. */
static void take_audio(struct sdp_info *si, const sdp_session_t *sess, const sdp_media_t *m)
{
	const sdp_connection_t *c = m->m_connections ? m->m_connections : sess->sdp_connection;
	int dir;

	if (c && c->c_address)
		snprintf(si->addr, sizeof(si->addr), "%s", c->c_address);
	/* RFC 2543's hold; :: the same for IPv6 (nothing can be sent there) */
	si->null_addr = !strcmp(si->addr, "0.0.0.0") || !strcmp(si->addr, "::");
	si->port = m->m_rejected ? 0 : (int)m->m_port;
	si->rtcp_mux = sdp_attribute_find(m->m_attributes, "rtcp-mux") != NULL;
	for (const sdp_rtpmap_t *rm = m->m_rtpmaps; rm; rm = rm->rm_next) {
		if (si->n_pts < SDP_MAX_PTS) {
			take_rtpmap(&si->maps[si->n_pts], rm);
			si->pts[si->n_pts++] = rm->rm_pt;
		}
		if (rm->rm_encoding && !strcasecmp(rm->rm_encoding, "telephone-event") &&
		    rm->rm_rate == 8000 && si->te_pt < 0)
			si->te_pt = rm->rm_pt;
		if (rm->rm_encoding && !strcasecmp(rm->rm_encoding, "telephone-event") &&
		    rm->rm_rate == 48000 && si->te48_pt < 0)
			si->te48_pt = rm->rm_pt;
		if (rm->rm_encoding && !strcasecmp(rm->rm_encoding, "CN") && rm->rm_rate == 8000 &&
		    si->cn_pt < 0)
			si->cn_pt = rm->rm_pt;
	}
	sdp_take_crypto(si, m->m_attributes);
	si->ptime = ms_attr(m->m_attributes, sess->sdp_attributes, "ptime");
	si->maxptime = ms_attr(m->m_attributes, sess->sdp_attributes, "maxptime");
	dir = dir_from_attrs(m->m_attributes);
	if (dir < 0)
		dir = dir_from_attrs(sess->sdp_attributes);
	si->dir = dir < 0 ? SDP_SENDRECV : (enum sdp_dir)dir;
}

/* Where each m= line starts in body (RFC 4566 5: a media description runs
 * from its m= line to the next); returns how many there are, even past max. */
static int mline_offsets(const char *body, size_t *off, int max)
{
	int n = 0;

	for (const char *p = body; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (p[0] == 'm' && p[1] == '=') {
			if (n < max)
				off[n] = (size_t)(p - body);
			n++;
		}
	return n;
}

/* sdp_f_mode_manual: keep direction attributes as written, so that media
 * level can override session level the way RFC 3264 5.1 says. */
#define SDP_FLAGS (sdp_f_mode_manual | sdp_f_c_missing)

/* Each media description is parsed on its own, after the session part: one
 * Sofia refuses (an a=rtpmap without a clock rate on a video line, RFC 4475
 * esc01) then costs that stream only, refused with port 0 in the answer
 * (RFC 3264 6), not the whole offer. */
/* RFC 4566 9: token-char. */
static int sdp_token_char(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c <= 0x27) || c == 0x2a || c == 0x2b || c == 0x2d ||
	       c == 0x2e || (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) ||
	       (c >= 0x5e && c <= 0x7e);
}

/* Sofia-SIP 1.12's sdp_parse() loops for ever, allocating until memory runs
 * out, on an m= line whose format list (after a proto other than RTP/...)
 * starts with or holds a character that is not a token-char: one 150-byte
 * INVITE body ("m=audio 4000 udp :") took 20 GB and two minutes (found by
 * tests/fuzz/fuzz_sdp). RFC 4566 5.14 allows only tokens separated by SP
 * there: media SP port["/"n] SP proto *("/" token) *(SP fmt). Refuse any
 * other m= line before Sofia sees it; '/' only inside port and proto. */
static int sdp_mlines_ok(const char *body)
{
	for (const char *p = body; *p; p += strspn(p, "\r\n")) {
		size_t len;
		int field = 0;

		p += strspn(p, " \t");		/* Sofia skips them at a line's start */
		len = strcspn(p, "\r\n");

		if (len >= 2 && p[0] == 'm' && p[1] == '=') {
			for (size_t i = 2; i < len; i++) {
				unsigned char c = (unsigned char)p[i];
				if (c == ' ') {
					field += i > 2 && p[i - 1] != ' ';
				} else if (c == '/') {
					if ((field != 1 && field != 2) || i + 1 == len ||
					    !sdp_token_char((unsigned char)p[i - 1]) ||
					    !sdp_token_char((unsigned char)p[i + 1]))
						return 0;
				} else if (!sdp_token_char(c)) {
					return 0;
				}
			}
		}
		p += len;
	}
	return 1;
}

/* "m=TYPE PORT PROTO FMT ..." at line into ml; 0, or -EBADMSG when a field
 * is missing or longer than ml keeps. */
static int mline_fields(const char *line, struct sdp_mline *ml)
{
	char *dst[3] = { ml->type, ml->proto, ml->fmt };
	size_t cap[3] = { sizeof(ml->type), sizeof(ml->proto), sizeof(ml->fmt) };
	const char *p = line + 2, *end = line + strcspn(line, "\r\n");
	int field = 0, k = 0;

	while (p < end && k < 3) {
		size_t n;

		p += strspn(p, " ");
		n = strcspn(p, " \r\n");
		if (p + n > end)
			n = (size_t)(end - p);
		if (!n)
			break;
		if (field != 1) {	/* the port is not kept: ours is 0 */
			if (n >= cap[k])
				return -EBADMSG;
			memcpy(dst[k], p, n);
			dst[k][n] = 0;
			k++;
		}
		field++;
		p += n;
	}
	return k == 3 ? 0 : -EBADMSG;
}

/* Sofia reads the payload types and rtpmaps of RTP/AVP and RTP/SAVP lines
 * only; RTP/AVPF (RFC 4585) and RTP/SAVPF (RFC 5124) have the same format
 * list, so its copy of such an m= line (mline, a NUL-terminated section of
 * our own) says RTP/AVP or RTP/SAVP; proto is the field as written. */
static void avpf_as_avp(char *mline, const char *proto)
{
	enum sdp_proto p = sdp_proto_parse(proto);
	size_t eol = strcspn(mline, "\r\n");
	char *at = strstr(mline, proto);

	if ((p != SDP_PROTO_AVPF && p != SDP_PROTO_SAVPF) || !at || (size_t)(at - mline) >= eol)
		return;
	at += strlen(proto) - 1;	/* the F */
	memmove(at, at + 1, strlen(at + 1) + 1);
}

int sdp_info_parse(struct sdp_info *si, const char *body)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	size_t off[SDP_MAX_MEDIA], len;
	int n, parsed = 0, rc = -EBADMSG;

	memset(si, 0, sizeof(*si));
	si->te_pt = si->te48_pt = si->cn_pt = -1;
	si->ml.audio = -1;
	if (!body) {
		snprintf(si->error, sizeof(si->error), "no body");
		return -EBADMSG;
	}
	if (!sdp_mlines_ok(body)) {
		snprintf(si->error, sizeof(si->error), "an m= line outside RFC 4566 5.14's grammar");
		return -EBADMSG;
	}
	len = strlen(body);
	n = mline_offsets(body, off, SDP_MAX_MEDIA);
	if (n > SDP_MAX_MEDIA) {
		snprintf(si->error, sizeof(si->error), "%d m= lines, at most %d taken", n, SDP_MAX_MEDIA);
		return -E2BIG;
	}
	if (n == 0) {
		sdp_parser_t *parser = sdp_parse(home, body, (issize_t)len, SDP_FLAGS);

		rc = sdp_session(parser) ? -ENOMEDIUM : -EBADMSG;
		snprintf(si->error, sizeof(si->error), "%s",
			 sdp_session(parser) ? "no m= line" : sdp_parsing_error(parser));
		sdp_parser_free(parser);
		goto out;
	}
	si->ml.n = n;
	for (int i = 0; i < n; i++) {
		size_t sec = (i + 1 < n ? off[i + 1] : len) - off[i];
		char *text = su_alloc(home, off[0] + sec + 1);
		struct sdp_mline *ml = &si->ml.m[i];
		sdp_parser_t *parser;
		const sdp_session_t *sess;
		const sdp_media_t *m;

		if (!text) {
			rc = -ENOMEM;
			goto out;
		}
		/* Its type, proto and first format as written, for refusing it
		 * in the answer (RFC 3264 6): read from that line alone, each
		 * whole or not at all; a line we cannot echo makes the offer
		 * malformed (fuzz_sdp: cut or run-on fields gave answers that
		 * did not parse). */
		if (mline_fields(body + off[i], ml)) {
			snprintf(si->error, sizeof(si->error), "m= line %d unreadable", i + 1);
			rc = -EBADMSG;
			goto out;
		}
		memcpy(text, body, off[0]);
		memcpy(text + off[0], body + off[i], sec);
		text[off[0] + sec] = 0;
		avpf_as_avp(text + off[0], ml->proto);
		parser = sdp_parse(home, text, (issize_t)(off[0] + sec), SDP_FLAGS);
		sess = sdp_session(parser);
		m = sess ? sess->sdp_media : NULL;
		if (m && m->m_port > 65535) {
			/* Sofia reads any number of digits; a port is 16 bits
			 * (RFC 4566 5.14): refused like an unreadable line */
			if (!si->error[0])
				snprintf(si->error, sizeof(si->error), "m=%s port %lu out of range", ml->type,
					 (unsigned long)m->m_port);
			m = NULL;
			parsed++;
		} else if (m) {
			parsed++;
			/* The first audio stream, or a later one when the first is
			 * declined (port 0): the answer takes a live one if any. */
			if (m->m_type == sdp_media_audio && (si->ml.audio < 0 || (!si->port && m->m_port))) {
				memset(si, 0, offsetof(struct sdp_info, ml));	/* the audio fields */
				si->te_pt = si->te48_pt = si->cn_pt = -1;
				si->ml.audio = i;
				take_audio(si, sess, m);
				si->proto = sdp_proto_parse(ml->proto);	/* as written, not as Sofia read it */
			}
		} else {
			/* kept only to be refused */
			if (!si->error[0])
				snprintf(si->error, sizeof(si->error), "m=%s: %s", ml->type, sdp_parsing_error(parser));
		}
		sdp_parser_free(parser);
	}
	if (!parsed)
		rc = -EBADMSG;
	else if (si->ml.audio < 0) {
		rc = -ENOMEDIUM;
		snprintf(si->error, sizeof(si->error), "no audio stream");
	} else
		rc = 0;
out:
	su_home_deinit(home);
	return rc;
}

int sdp_put(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= len)
		return -ENOSPC;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len - *off)
		return -ENOSPC;
	*off += (size_t)n;
	return 0;
}

/* Our audio stream: the m= line and its attributes. */
static int build_audio(char *buf, size_t len, size_t *offp, const struct sdp_build_params *p)
{
	size_t off = *offp;
	int rc = 0, cn = p->cn_pt > 0 && p->cn_pt < 128;

	/* RFC 3264 6: the offer's transport; a=rtcp-fb left out (RFC 4585
	 * 4.2: an answer may; no feedback is sent or acted on here) */
	rc |= sdp_put(buf, len, &off, "m=audio %d %s", p->port,
		      p->proto < SDP_PROTO_OTHER ? sdp_proto_name(p->proto) : "RTP/AVP");
	for (int i = 0; i < p->n_pts; i++)
		rc |= sdp_put(buf, len, &off, " %d", p->pts[i]);
	if (p->te_pt >= 0)
		rc |= sdp_put(buf, len, &off, " %d", p->te_pt);
	if (p->te48_pt > 0 && p->te48_pt != p->te_pt)
		rc |= sdp_put(buf, len, &off, " %d", p->te48_pt);
	if (cn)
		rc |= sdp_put(buf, len, &off, " %d", p->cn_pt);
	rc |= sdp_put(buf, len, &off, "\r\n");
	for (int i = 0; i < p->n_pts; i++) {
		const struct codec_desc *d = p->codecs && p->codecs[i] ? p->codecs[i]
							 : codec_by_static_pt(p->pts[i]);
		const char *fmtp = p->fmtps && p->fmtps[i] ? p->fmtps[i] : d ? d->fmtp : NULL;

		if (!d)
			continue;
		rc |= sdp_put(buf, len, &off, "a=rtpmap:%d %s/%d", p->pts[i], d->name, d->clock);
		rc |= d->channels > 1 ? sdp_put(buf, len, &off, "/%d\r\n", d->channels)
				      : sdp_put(buf, len, &off, "\r\n");
		if (fmtp && *fmtp)
			rc |= sdp_put(buf, len, &off, "a=fmtp:%d %s\r\n", p->pts[i], fmtp);
	}
	if (p->te_pt >= 0)
		rc |= sdp_put(buf, len, &off, "a=rtpmap:%d telephone-event/%d\r\na=fmtp:%d %s\r\n",
			      p->te_pt, p->te_clock == 48000 ? 48000 : 8000, p->te_pt, codec_telephone_event.fmtp);
	if (p->te48_pt > 0 && p->te48_pt != p->te_pt)
		rc |= sdp_put(buf, len, &off, "a=rtpmap:%d telephone-event/48000\r\na=fmtp:%d %s\r\n",
			      p->te48_pt, p->te48_pt, codec_telephone_event.fmtp);
	if (cn)
		rc |= sdp_put(buf, len, &off, "a=rtpmap:%d CN/8000\r\n", p->cn_pt);
	if (p->ptime > 0)
		rc |= sdp_put(buf, len, &off, "a=ptime:%d\r\n", p->ptime);
	if (p->maxptime > 0)
		rc |= sdp_put(buf, len, &off, "a=maxptime:%d\r\n", p->maxptime);
	rc |= sdp_put(buf, len, &off, "a=%s\r\n", sdp_dir_name(p->dir));
	if (p->rtcp_mux)
		rc |= sdp_put(buf, len, &off, "a=rtcp-mux\r\n");
	for (int i = 0; i < p->n_crypto; i++) {
		char v[SDP_CRYPTO_LINE_LEN];

		rc |= sdp_crypto_format(v, sizeof(v), &p->crypto[i]);
		rc |= sdp_put(buf, len, &off, "a=crypto:%s\r\n", v);
	}
	*offp = off;
	return rc;
}

const char *sdp_addr_type(const char *addr)
{
	return addr && strchr(addr, ':') ? "IP6" : "IP4";
}

int sdp_put_session(char *buf, size_t len, size_t *off, const char *addr, unsigned long id, unsigned long ver,
		    int null_addr)
{
	const char *t = sdp_addr_type(addr);
	int rc;

	rc = sdp_put(buf, len, off, "v=0\r\no=sipgw %lu %lu IN %s %s\r\ns=sipgw\r\n", id, ver, t, addr);
	rc |= sdp_put(buf, len, off, "c=IN %s %s\r\nt=0 0\r\n", t,
		      !null_addr ? addr : t[2] == '6' ? "::" : "0.0.0.0");
	return rc;
}

int sdp_build(char *buf, size_t len, const struct sdp_build_params *p)
{
	const struct sdp_mlines *o = p->offer;
	size_t off = 0;
	int rc = 0;

	rc |= sdp_put_session(buf, len, &off, p->addr, p->sess_id, p->sess_ver, p->null_addr);
	if (!o || o->n <= 0 || o->audio < 0 || o->audio >= o->n)
		return (rc | build_audio(buf, len, &off, p)) ? -ENOSPC : 0;
	/* RFC 3264 6: as many m= lines as offered, in order; a stream we do not
	 * take keeps its type, transport and a format, with port 0. */
	for (int i = 0; i < o->n && i < SDP_MAX_MEDIA; i++) {
		if (i == o->audio)
			rc |= build_audio(buf, len, &off, p);
		else
			rc |= sdp_put(buf, len, &off, "m=%s 0 %s %s\r\n", o->m[i].type, o->m[i].proto, o->m[i].fmt);
	}
	return rc ? -ENOSPC : 0;
}

int sdp_choose_pt(const struct sdp_info *offer, const int *prefs, int n)
{
	for (int i = 0; i < n; i++)
		for (int j = 0; j < offer->n_pts; j++)
			if (offer->pts[j] == prefs[i])
				return prefs[i];
	return -1;
}

const struct codec_desc *sdp_pt_codec(const struct sdp_info *si, int i)
{
	const struct sdp_rtpmap *map;
	const struct codec_desc *d;

	if (i < 0 || i >= si->n_pts)
		return NULL;
	map = &si->maps[i];
	/* The rtpmap names the codec when there is one, for static PTs too
	 * (RFC 4566 6); a bare static PT means what RFC 3551 table 4 says. */
	if (map->enc[0]) {
		d = codec_find(map->enc, map->clock);
		/* RFC 7587 7: opus is always /48000/2; take a phone's /1 too */
		return d && d->ops ? d : NULL;
	}
	d = codec_by_static_pt(si->pts[i]);
	return d && d->ops ? d : NULL;
}

int sdp_negotiate(const struct sdp_info *offer, const struct codec_desc *const *prefs, int n_prefs,
		  struct sdp_choice *ch)
{
	memset(ch, 0, sizeof(*ch));
	ch->pt = ch->te_pt = ch->cn_pt = -1;
	/* RFC 3264 6.1 lets the answerer take any offered format; the offer's
	 * order is only the offerer's wish. Like IOS with a voice-class codec
	 * on the dial-peer, our (the gateway owner's) order wins: it knows the
	 * trunk's bandwidth and what transcoding costs, and the codec chosen
	 * does not then depend on how each phone model orders its list. */
	for (int k = 0; k < n_prefs; k++) {
		if (!prefs[k] || !prefs[k]->ops)
			continue;
		for (int i = 0; i < offer->n_pts; i++) {
			if (sdp_pt_codec(offer, i) != prefs[k])
				continue;
			ch->codec = prefs[k];
			ch->pt = offer->pts[i];		/* dynamic PTs as offered (RFC 3264 6.1) */
			snprintf(ch->fmtp, sizeof(ch->fmtp), "%s", offer->maps[i].fmtp);
			/* RFC 4733 2.1, RFC 7587 7: events on the audio's clock
			 * (Opus: 48000) when the offer has them so, else at 8000 as
			 * most phones send them; an offer mapping one PT twice
			 * gets it once */
			ch->te_clock = 8000;
			ch->te_pt = offer->te_pt != ch->pt ? offer->te_pt : -1;
			if (prefs[k]->clock == 48000 && offer->te48_pt >= 0 && offer->te48_pt != ch->pt) {
				ch->te_pt = offer->te48_pt;
				ch->te_clock = 48000;
			}
			ch->cn_pt = offer->cn_pt != ch->pt && offer->cn_pt != ch->te_pt ? offer->cn_pt : -1;
			ch->ptime = offer->ptime;
			ch->maxptime = offer->maxptime;
			return 0;
		}
	}
	return -ENOENT;
}

enum sdp_dir sdp_dir_answer(enum sdp_dir offered)
{
	/* RFC 3264 6.1: the answer mirrors the offer's direction. */
	switch (offered) {
	case SDP_SENDONLY: return SDP_RECVONLY;
	case SDP_RECVONLY: return SDP_SENDONLY;
	case SDP_INACTIVE: return SDP_INACTIVE;
	default: return SDP_SENDRECV;
	}
}

int sdp_is_hold(const struct sdp_info *si)
{
	/* RFC 3264 8.4 (sendonly/inactive) and RFC 2543 (c=0.0.0.0). */
	return si->null_addr || si->dir == SDP_SENDONLY || si->dir == SDP_INACTIVE;
}
