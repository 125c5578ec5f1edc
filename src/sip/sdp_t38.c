/* sipgw - SDP for T.38 (ITU-T T.38 Annex D.2.3): the image stream read with
 * Sofia-SIP's parser, after sdp.c's checks; the answer; our description.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "sip/sdp_t38.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/su_alloc.h>
#include <sofia-sip/sdp.h>

#define SDP_T38_FLAGS (sdp_f_mode_manual | sdp_f_c_missing)

/* T.38 D.2.3's bounds: rates are V.27ter 2400 to V.34 33600. */
#define T38_BITRATE_MIN 2400
#define T38_BITRATE_MAX 33600
#define T38_SIZE_MAX 65535

static const char *const rate_names[] = {
	[T38_TCF_TRANSFERRED] = "transferredTCF", [T38_TCF_LOCAL] = "localTCF",
};

const char *t38_rate_mgmt_name(enum t38_rate_mgmt r)
{
	return (unsigned)r <= T38_TCF_LOCAL ? rate_names[r] : "?";
}

/* A decimal attribute value in [lo, hi]; -1 when it is not one. */
static long attr_num(const char *v, long lo, long hi)
{
	char *end;
	long n;

	if (!v || *v < '0' || *v > '9')
		return -1;
	n = strtol(v, &end, 10);
	while (*end == ' ' || *end == '\t')
		end++;
	return *end || n < lo || n > hi ? -1 : n;
}

/* A boolean attribute (T.38 D.2.3): present alone means on; some stacks
 * write :0 / :1 as in T.38 (2002) D.2.3. */
static int attr_flag(const char *v)
{
	return !v || !*v || attr_num(v, 0, 1) != 0;
}

/* The T38 attributes of one media description; unknown and malformed ones
 * are ignored (RFC 4566 5.13), leaving the defaults. Names are case
 * insensitive: many stacks write t38faxversion. */
static void take_attrs(struct sdp_t38 *t, const sdp_attribute_t *a)
{
	for (; a; a = a->a_next) {
		const char *n = a->a_name, *v = a->a_value;
		long x;

		if (!n)
			continue;
		if (!strcasecmp(n, "T38FaxVersion") && (x = attr_num(v, 0, INT_MAX)) >= 0)
			t->version = x > T38_VERSION_MAX ? T38_VERSION_MAX : (int)x;
		else if (!strcasecmp(n, "T38MaxBitRate") &&
			 (x = attr_num(v, T38_BITRATE_MIN, T38_BITRATE_MAX)) >= 0)
			t->max_bitrate = (int)x;
		else if (!strcasecmp(n, "T38FaxRateManagement") && v)
			t->rate_mgmt = !strcasecmp(v, "localTCF") ? T38_TCF_LOCAL : T38_TCF_TRANSFERRED;
		else if (!strcasecmp(n, "T38FaxMaxBuffer") && (x = attr_num(v, 1, T38_SIZE_MAX)) >= 0)
			t->max_buffer = (int)x;
		else if (!strcasecmp(n, "T38FaxMaxDatagram") && (x = attr_num(v, 1, T38_SIZE_MAX)) >= 0)
			t->max_datagram = (int)x;
		else if (!strcasecmp(n, "T38FaxUdpEC") && v)
			t->ec = !strcasecmp(v, "t38UDPRedundancy") ? UDPTL_EC_REDUNDANCY :
				!strcasecmp(v, "t38UDPFEC") ? UDPTL_EC_FEC : UDPTL_EC_NONE;
		else if (!strcasecmp(n, "T38FaxFillBitRemoval"))
			t->fill_bit_removal = attr_flag(v);
		else if (!strcasecmp(n, "T38FaxTranscodingMMR"))
			t->mmr = attr_flag(v);
		else if (!strcasecmp(n, "T38FaxTranscodingJBIG"))
			t->jbig = attr_flag(v);
	}
}

/* The start of m= line k of body (sdp.c counted them the same way). */
static const char *mline_at(const char *body, int k)
{
	int n = 0;

	for (const char *p = body; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (p[0] == 'm' && p[1] == '=' && n++ == k)
			return p;
	return NULL;
}

/* Media description k alone after the session part, through Sofia. */
static int take_image(struct sdp_t38_info *ti, const char *body, int k)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	const char *first = mline_at(body, 0), *m0 = mline_at(body, k), *m1 = mline_at(body, k + 1);
	size_t head, sec;
	char *text;
	sdp_parser_t *parser;
	const sdp_session_t *sess;
	const sdp_media_t *m;
	int rc = -EBADMSG;

	if (!first || !m0)
		return -EBADMSG;
	head = (size_t)(first - body);
	sec = m1 ? (size_t)(m1 - m0) : strlen(m0);
	text = su_alloc(home, head + sec + 1);
	if (!text) {
		su_home_deinit(home);
		return -ENOMEM;
	}
	memcpy(text, body, head);
	memcpy(text + head, m0, sec);
	text[head + sec] = 0;
	parser = sdp_parse(home, text, (issize_t)(head + sec), SDP_T38_FLAGS);
	sess = sdp_session(parser);
	m = sess ? sess->sdp_media : NULL;
	if (m && m->m_type == sdp_media_image && m->m_port > 65535) {
		/* Sofia reads any digits into an unsigned long (fuzz_sdp_t38) */
		snprintf(ti->error, sizeof(ti->error), "m=image: port %lu", m->m_port);
	} else if (m && m->m_type == sdp_media_image) {
		const sdp_connection_t *c = m->m_connections ? m->m_connections : sess->sdp_connection;

		if (c && c->c_address)
			snprintf(ti->addr, sizeof(ti->addr), "%s", c->c_address);
		ti->port = m->m_rejected ? 0 : (int)m->m_port;
		take_attrs(&ti->t38, m->m_attributes);
		rc = 0;
	} else {
		snprintf(ti->error, sizeof(ti->error), "m=image: %s",
			 m ? "not an image stream" : sdp_parsing_error(parser));
	}
	sdp_parser_free(parser);
	su_home_deinit(home);
	return rc;
}

int sdp_t38_parse(struct sdp_t38_info *ti, const char *body)
{
	struct sdp_info *si = malloc(sizeof(*si));
	int rc, any = -1;

	memset(ti, 0, sizeof(*ti));
	ti->image = -1;
	ti->t38 = (struct sdp_t38){ .max_bitrate = T38_DEFAULT_BITRATE };
	if (!si)
		return -ENOMEM;
	/* sdp.c's parse first: its checks keep Sofia's parser safe (an m= line
	 * outside RFC 4566's grammar loops it), and it lays out the m= lines. */
	rc = sdp_info_parse(si, body);
	ti->ml = si->ml;
	snprintf(ti->error, sizeof(ti->error), "%s", si->error);
	free(si);
	if (rc && rc != -ENOMEDIUM)
		return rc;
	ti->error[0] = 0;
	/* The first image/t38 stream that is live, else the first declined
	 * one (port 0): the answer then declines it too. */
	for (int i = 0; i < ti->ml.n; i++) {
		const struct sdp_mline *ml = &ti->ml.m[i];
		struct sdp_t38_info cand = *ti;

		cand.t38 = (struct sdp_t38){ .max_bitrate = T38_DEFAULT_BITRATE };
		cand.addr[0] = 0;

		if (strcasecmp(ml->type, "image") || strcasecmp(ml->proto, "udptl") ||
		    strcasecmp(ml->fmt, "t38"))
			continue;
		rc = take_image(&cand, body, i);
		if (rc == -ENOMEM)
			return rc;
		if (rc || (any >= 0 && !cand.port))
			continue;
		cand.image = i;
		any = i;
		*ti = cand;
		if (cand.port)
			break;
	}
	if (ti->image < 0) {
		if (!ti->error[0])
			snprintf(ti->error, sizeof(ti->error), "no image/t38 stream");
		return -ENOMEDIUM;
	}
	return 0;
}

void sdp_t38_answer(const struct sdp_t38 *offer, const struct sdp_t38 *ours, struct sdp_t38 *ans)
{
	*ans = (struct sdp_t38){
		.version = offer->version < ours->version ? offer->version : ours->version,
		.max_bitrate = offer->max_bitrate < ours->max_bitrate ? offer->max_bitrate
									: ours->max_bitrate,
		/* T.38 D.2.3: the answer takes the offered method (we do both) */
		.rate_mgmt = offer->rate_mgmt,
		/* what we can take in: ours (T.38 D.2.3, declared by the receiver) */
		.max_buffer = ours->max_buffer,
		.max_datagram = ours->max_datagram,
		/* no FEC from us: redundancy, which an FEC receiver reads too */
		.ec = offer->ec == UDPTL_EC_NONE || ours->ec == UDPTL_EC_NONE ? UDPTL_EC_NONE
									   : UDPTL_EC_REDUNDANCY,
		.fill_bit_removal = offer->fill_bit_removal && ours->fill_bit_removal,
		.mmr = offer->mmr && ours->mmr,
		.jbig = offer->jbig && ours->jbig,
	};
}

static int build_image(char *buf, size_t len, size_t *off, const struct sdp_t38_build_params *p)
{
	const struct sdp_t38 *t = p->t38;
	int rc = 0;

	rc |= sdp_put(buf, len, off, "m=image %d udptl t38\r\n", p->port);
	rc |= sdp_put(buf, len, off, "a=T38FaxVersion:%d\r\na=T38MaxBitRate:%d\r\n", t->version,
		  t->max_bitrate);
	if (t->fill_bit_removal)
		rc |= sdp_put(buf, len, off, "a=T38FaxFillBitRemoval\r\n");
	if (t->mmr)
		rc |= sdp_put(buf, len, off, "a=T38FaxTranscodingMMR\r\n");
	if (t->jbig)
		rc |= sdp_put(buf, len, off, "a=T38FaxTranscodingJBIG\r\n");
	rc |= sdp_put(buf, len, off, "a=T38FaxRateManagement:%s\r\n", t38_rate_mgmt_name(t->rate_mgmt));
	if (t->max_buffer > 0)
		rc |= sdp_put(buf, len, off, "a=T38FaxMaxBuffer:%d\r\n", t->max_buffer);
	if (t->max_datagram > 0)
		rc |= sdp_put(buf, len, off, "a=T38FaxMaxDatagram:%d\r\n", t->max_datagram);
	if (t->ec != UDPTL_EC_NONE)
		rc |= sdp_put(buf, len, off, "a=T38FaxUdpEC:%s\r\n",
			  t->ec == UDPTL_EC_FEC ? "t38UDPFEC" : "t38UDPRedundancy");
	return rc;
}

int sdp_t38_build(char *buf, size_t len, const struct sdp_t38_build_params *p)
{
	const struct sdp_mlines *o = p->offer;
	size_t off = 0;
	int rc = 0;

	if (len)
		buf[0] = 0;
	rc |= sdp_put_session(buf, len, &off, p->addr, p->sess_id, p->sess_ver, 0);
	if (!o || o->n <= 0 || p->offer_image < 0 || p->offer_image >= o->n)
		return (rc | build_image(buf, len, &off, p)) ? -ENOSPC : 0;
	/* RFC 3264 6: every offered m= line in order; the others declined */
	for (int i = 0; i < o->n && i < SDP_MAX_MEDIA; i++) {
		if (i == p->offer_image)
			rc |= build_image(buf, len, &off, p);
		else
			rc |= sdp_put(buf, len, &off, "m=%s 0 %s %s\r\n", o->m[i].type, o->m[i].proto, o->m[i].fmt);
	}
	return rc ? -ENOSPC : 0;
}
