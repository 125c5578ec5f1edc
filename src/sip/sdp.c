/* sipgw - SDP offer/answer (RFC 3264): parse with Sofia-SIP, build with snprintf.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "sip/sdp.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/su_alloc.h>
#include <sofia-sip/sdp.h>

static const char *const dir_names[] = {
	[SDP_SENDRECV] = "sendrecv", [SDP_SENDONLY] = "sendonly",
	[SDP_RECVONLY] = "recvonly", [SDP_INACTIVE] = "inactive",
};

const char *sdp_dir_name(enum sdp_dir d)
{
	return (unsigned)d <= SDP_INACTIVE ? dir_names[d] : "?";
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

static const char *rtpmap_name(int pt)
{
	switch (pt) {
	case 0: return "PCMU/8000";
	case 8: return "PCMA/8000";
	case 9: return "G722/8000";
	case 18: return "G729/8000";
	default: return NULL;
	}
}

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

int sdp_info_parse(struct sdp_info *si, const char *body)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	sdp_parser_t *parser;
	sdp_session_t *sess;
	const sdp_media_t *m;
	const sdp_connection_t *c;
	int rc = -EBADMSG, dir;

	memset(si, 0, sizeof(*si));
	si->te_pt = -1;
	if (!body || !sdp_mlines_ok(body))
		return -EBADMSG;
	/* sdp_f_mode_manual: keep direction attributes as written, so that
	 * media level can override session level the way RFC 3264 5.1 says. */
	parser = sdp_parse(home, body, (issize_t)strlen(body), sdp_f_mode_manual | sdp_f_c_missing);
	sess = sdp_session(parser);
	if (!sess)
		goto out;
	for (m = sess->sdp_media; m; m = m->m_next)
		if (m->m_type == sdp_media_audio)
			break;
	if (!m)
		goto out;

	c = m->m_connections ? m->m_connections : sess->sdp_connection;
	if (c && c->c_address)
		snprintf(si->addr, sizeof(si->addr), "%s", c->c_address);
	si->null_addr = !strcmp(si->addr, "0.0.0.0");
	si->port = m->m_rejected ? 0 : (int)m->m_port;

	for (const sdp_rtpmap_t *rm = m->m_rtpmaps; rm; rm = rm->rm_next) {
		if (si->n_pts < SDP_MAX_PTS)
			si->pts[si->n_pts++] = rm->rm_pt;
		if (rm->rm_encoding && !strcasecmp(rm->rm_encoding, "telephone-event") &&
		    rm->rm_rate == 8000 && si->te_pt < 0)
			si->te_pt = rm->rm_pt;
	}

	dir = dir_from_attrs(m->m_attributes);
	if (dir < 0)
		dir = dir_from_attrs(sess->sdp_attributes);
	si->dir = dir < 0 ? SDP_SENDRECV : (enum sdp_dir)dir;
	rc = 0;
out:
	sdp_parser_free(parser);
	su_home_deinit(home);
	return rc;
}

/* snprintf into buf at *off; -ENOSPC when it does not fit. */
static int put(char *buf, size_t len, size_t *off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int put(char *buf, size_t len, size_t *off, const char *fmt, ...)
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

int sdp_build(char *buf, size_t len, const struct sdp_build_params *p)
{
	const char *addr = p->null_addr ? "0.0.0.0" : p->addr;
	size_t off = 0;
	int rc = 0;

	rc |= put(buf, len, &off, "v=0\r\no=sipgw %lu %lu IN IP4 %s\r\ns=sipgw\r\n",
		  p->sess_id, p->sess_ver, p->addr);
	rc |= put(buf, len, &off, "c=IN IP4 %s\r\nt=0 0\r\nm=audio %d RTP/AVP", addr, p->port);
	for (int i = 0; i < p->n_pts; i++)
		rc |= put(buf, len, &off, " %d", p->pts[i]);
	if (p->te_pt >= 0)
		rc |= put(buf, len, &off, " %d", p->te_pt);
	rc |= put(buf, len, &off, "\r\n");
	for (int i = 0; i < p->n_pts; i++) {
		const char *name = rtpmap_name(p->pts[i]);
		if (name)
			rc |= put(buf, len, &off, "a=rtpmap:%d %s\r\n", p->pts[i], name);
	}
	if (p->te_pt >= 0)
		rc |= put(buf, len, &off, "a=rtpmap:%d telephone-event/8000\r\na=fmtp:%d 0-15\r\n",
			  p->te_pt, p->te_pt);
	rc |= put(buf, len, &off, "a=ptime:20\r\na=%s\r\n", sdp_dir_name(p->dir));
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
