/* sipgw - one-line decode of Q.931 messages in Q.921 frames, for logs and
 * the simulators' ladders. SPDX-License-Identifier: GPL-2.0-only */
#include "q931_trace.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define Q931_PD			0x08	/* Q.931 4.2: protocol discriminator */
#define Q921_ADDR_LEN		2	/* Q.921 3.3.3: SAPI + TEI octets */
#define Q921_FCS_LEN		2	/* placeholders appended as on DAHDI */
#define Q931_NUMBER_MAX		32
#define Q931_DISPLAY_MAX	82	/* Q.931 4.5.16: at most 82 IA5 characters */

/* Q.931 table 4-2: message types, named as the recommendation spells them. */
static const struct {
	uint8_t type;
	const char *name;
} msg_names[] = {
	{ 0x01, "ALERTING" },
	{ 0x02, "CALL PROCEEDING" },
	{ 0x03, "PROGRESS" },
	{ 0x05, "SETUP" },
	{ 0x07, "CONNECT" },
	{ 0x0d, "SETUP ACKNOWLEDGE" },
	{ 0x0f, "CONNECT ACKNOWLEDGE" },
	{ 0x20, "USER INFORMATION" },
	{ 0x25, "SUSPEND REJECT" },
	{ 0x26, "RESUME REJECT" },
	{ 0x24, "HOLD" },
	{ 0x28, "HOLD ACKNOWLEDGE" },
	{ 0x30, "HOLD REJECT" },
	{ 0x31, "RETRIEVE" },
	{ 0x33, "RETRIEVE ACKNOWLEDGE" },
	{ 0x37, "RETRIEVE REJECT" },
	{ 0x45, "DISCONNECT" },
	{ 0x46, "RESTART" },
	{ 0x4d, "RELEASE" },
	{ 0x4e, "RESTART ACKNOWLEDGE" },
	{ 0x5a, "RELEASE COMPLETE" },
	{ 0x62, "FACILITY" },
	{ 0x6e, "NOTIFY" },
	{ 0x75, "STATUS ENQUIRY" },
	{ 0x79, "CONGESTION CONTROL" },
	{ 0x7b, "INFORMATION" },
	{ 0x7d, "STATUS" },
};

/* What the one line shows; -1 / "" when the IE was absent. */
struct q931_summary {
	int chan;
	int cause;
	int pi;
	char called[Q931_NUMBER_MAX + 1];
	char calling[Q931_NUMBER_MAX + 1];
	char name[Q931_DISPLAY_MAX + 1];
	int has_name;
	int has_facility;
};

typedef int (ie_decode_h)(struct q931_summary *s, const uint8_t *p, size_t len);

/* Q.931 4.5.13. Octet 3 says whether octets 3.1 (interface id) and 3.2/3.3
 * (PRI channel type and number) follow; on BRI the number is in octet 3. */
static int ie_chan(struct q931_summary *s, const uint8_t *p, size_t len)
{
	size_t i = 1;

	if (len < 1)
		return -EBADMSG;
	if (!(p[0] & 0x20)) {			/* basic rate: B1/B2 in bits 2-1 */
		int sel = p[0] & 0x03;
		if (sel == 1 || sel == 2)
			s->chan = sel;
		return 0;
	}
	if ((p[0] & 0x03) != 0x01)		/* no channel, or "any" */
		return 0;
	if (p[0] & 0x40) {			/* interface identifier, ext-bit ended */
		while (i < len && !(p[i] & 0x80))
			i++;
		i++;
	}
	if (i >= len)
		return 0;
	if (p[i] & 0x10)			/* slot map, not a number: leave it */
		return 0;
	if (i + 1 < len)
		s->chan = p[i + 1] & 0x7f;
	return 0;
}

/* Q.850 2.1: octet 3 location, optional 3a recommendation, octet 4 cause. */
static int ie_cause(struct q931_summary *s, const uint8_t *p, size_t len)
{
	size_t i = (len >= 1 && !(p[0] & 0x80)) ? 2 : 1;

	if (i >= len)
		return -EBADMSG;
	s->cause = p[i] & 0x7f;
	return 0;
}

/* Q.931 4.5.23: octet 3 coding/location, octet 4 progress description. */
static int ie_pi(struct q931_summary *s, const uint8_t *p, size_t len)
{
	if (len < 2)
		return -EBADMSG;
	s->pi = p[1] & 0x7f;
	return 0;
}

/* Copy IA5 text; anything unprintable becomes '?' so a log line stays one
 * line, and '"' becomes '\'' so a quoted name stays quoted. */
static void copy_ia5(char *dst, size_t dstlen, const uint8_t *p, size_t len)
{
	size_t n = len < dstlen - 1 ? len : dstlen - 1;

	for (size_t i = 0; i < n; i++) {
		char c = (char)(p[i] & 0x7f);
		dst[i] = (c >= 0x20 && c < 0x7f) ? (c == '"' ? '\'' : c) : '?';
	}
	dst[n] = '\0';
}

/* Octet 3 type/plan, then (calling party only, ext bit 0) octet 3a. */
static int number_digits(char *dst, size_t dstlen, const uint8_t *p, size_t len, int has_3a)
{
	size_t i = 1;

	if (len < 1)
		return -EBADMSG;
	if (has_3a && !(p[0] & 0x80))
		i = 2;
	if (i > len)
		return -EBADMSG;
	copy_ia5(dst, dstlen, p + i, len - i);
	return 0;
}

/* Q.931 4.5.8 */
static int ie_called(struct q931_summary *s, const uint8_t *p, size_t len)
{
	return number_digits(s->called, sizeof(s->called), p, len, 0);
}

/* Q.931 4.5.10 */
static int ie_calling(struct q931_summary *s, const uint8_t *p, size_t len)
{
	return number_digits(s->calling, sizeof(s->calling), p, len, 1);
}

/* Q.931 4.5.16: IA5 text. Some national variants (NI-2, 5ESS) put a display
 * type octet with bit 8 set in front; it is not text. */
static int ie_display(struct q931_summary *s, const uint8_t *p, size_t len)
{
	if (len >= 1 && (p[0] & 0x80)) {
		p++;
		len--;
	}
	copy_ia5(s->name, sizeof(s->name), p, len);
	s->has_name = 1;
	return 0;
}

/* Facility IE (Q.932; 0x1c in Q.931 table 4-3): supplementary service
 * APDUs (Q.SIG sends the calling name in one, ECMA-164); only its presence
 * is shown. */
static int ie_facility(struct q931_summary *s, const uint8_t *p, size_t len)
{
	s->has_facility = 1;
	return 0;
}

/* Codeset 0 variable-length IEs we summarise (Q.931 table 4-3). */
static const struct {
	uint8_t id;
	ie_decode_h *decode;
} ie_decoders[] = {
	{ 0x08, ie_cause },
	{ 0x18, ie_chan },
	{ 0x1c, ie_facility },
	{ 0x1e, ie_pi },
	{ 0x28, ie_display },
	{ 0x6c, ie_calling },
	{ 0x70, ie_called },
};

static const char *msg_name(uint8_t type)
{
	for (size_t i = 0; i < sizeof(msg_names) / sizeof(msg_names[0]); i++)
		if (msg_names[i].type == type)
			return msg_names[i].name;
	return NULL;
}

/* Row of ie_decoders for id, or -1. */
static int ie_decoder(uint8_t id)
{
	for (size_t i = 0; i < sizeof(ie_decoders) / sizeof(ie_decoders[0]); i++)
		if (ie_decoders[i].id == id)
			return (int)i;
	return -1;
}

/* Walk the IEs (Q.931 4.5.1); only the first of each kind is kept. */
static int ies_decode(struct q931_summary *s, const uint8_t *p, size_t len)
{
	int codeset = 0, locked = 0;
	unsigned seen = 0;		/* bit per ie_decoders row */
	size_t i = 0;

	while (i < len) {
		uint8_t id = p[i++];
		int cur = codeset;

		if (id & 0x80) {
			/* Single-octet IE. Shift (Q.931 4.5.2): 0x9X, bit 4 set
			 * = non-locking, applies to the next IE only. */
			if ((id & 0xf0) == 0x90) {
				if (id & 0x08)
					codeset = id & 0x07;
				else
					codeset = locked = id & 0x07;
				continue;
			}
			codeset = locked;
			continue;
		}
		if (i >= len)
			return -EBADMSG;
		size_t ielen = p[i++];
		if (ielen > len - i)
			return -EBADMSG;
		int row = cur == 0 ? ie_decoder(id) : -1;
		/* Keep the first of each kind: a message may carry two progress
		 * indicators (Q.931 5.1.6) and the first is the one that matters. */
		if (row >= 0 && !(seen & (1u << row))) {
			int rc = ie_decoders[row].decode(s, p + i, ielen);
			if (rc < 0)
				return rc;
			seen |= 1u << row;
		}
		i += ielen;
		codeset = locked;
	}
	return 0;
}

/* snprintf that appends and never overruns; truncation is harmless here. */
static void out_add(char *out, size_t outlen, size_t *pos, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*pos >= outlen)
		return;
	va_start(ap, fmt);
	n = vsnprintf(out + *pos, outlen - *pos, fmt, ap);
	va_end(ap);
	if (n > 0)
		*pos += (size_t)n;
	if (*pos >= outlen)
		*pos = outlen - 1;
}

/* The Q.931 message in an I frame: its summary, call reference (flag in
 * bit 15) and type. 0, -ENOENT (no Q.931 in it) or -EBADMSG. */
static int frame_decode(const uint8_t *frame, size_t len, struct q931_summary *sp,
			unsigned *crefp, uint8_t *typep)
{
	struct q931_summary s = { .chan = -1, .cause = -1, .pi = -1 };
	const uint8_t *p;
	size_t n, i, crlen;
	unsigned cref = 0;
	int rc;

	if (len < Q921_ADDR_LEN + 1 + Q921_FCS_LEN)
		return -EBADMSG;
	/* Q.921 3.4: bit 1 of the first control octet is 0 only in I frames,
	 * the only ones carrying Q.931 on a PRI. S and U frames don't. */
	if (frame[Q921_ADDR_LEN] & 0x01)
		return -ENOENT;
	if (len < Q921_ADDR_LEN + 2 + Q921_FCS_LEN)
		return -EBADMSG;
	p = frame + Q921_ADDR_LEN + 2;
	n = len - Q921_ADDR_LEN - 2 - Q921_FCS_LEN;

	if (n < 2)
		return -EBADMSG;
	if (p[0] != Q931_PD)
		return -ENOENT;			/* e.g. maintenance (0x03/0x43) */
	crlen = p[1] & 0x0f;			/* Q.931 4.3 */
	if (crlen > 2 || n < 2 + crlen + 1)
		return -EBADMSG;
	if (crlen == 1)				/* flag is bit 8 of the single octet */
		cref = ((p[2] & 0x80u) << 8) | (p[2] & 0x7fu);
	else if (crlen == 2)
		cref = ((unsigned)p[2] << 8) | p[3];
	i = 2 + crlen;
	uint8_t type = p[i++];

	rc = ies_decode(&s, p + i, n - i);
	if (rc < 0)
		return rc;
	*sp = s;
	*crefp = cref;
	*typep = type;
	return 0;
}

int q931_trace_ident(const uint8_t *frame, size_t len, struct q931_ident *id)
{
	struct q931_summary s;
	unsigned cref;
	uint8_t type;
	int rc;

	if (!frame || !id)
		return -EINVAL;
	if ((rc = frame_decode(frame, len, &s, &cref, &type)))
		return rc;
	id->type = type;
	id->name = msg_name(type);
	id->cref = cref & 0x7fff;
	id->from_dest = !!(cref & 0x8000);
	id->chan = s.chan;
	id->cause = s.cause;
	return 0;
}

int q931_trace_frame(const uint8_t *frame, size_t len, char *out, size_t outlen)
{
	struct q931_summary s;
	unsigned cref;
	uint8_t type;
	const char *name;
	size_t pos = 0;
	int rc;

	if (!frame || !out || outlen == 0)
		return -EINVAL;
	out[0] = '\0';
	if ((rc = frame_decode(frame, len, &s, &cref, &type)))
		return rc;
	name = msg_name(type);
	if (name)
		out_add(out, outlen, &pos, "%s", name);
	else
		out_add(out, outlen, &pos, "MSG 0x%02x", type);
	out_add(out, outlen, &pos, " cref=0x%04x", cref);
	if (s.chan >= 0)
		out_add(out, outlen, &pos, " chan=%d", s.chan);
	if (s.cause >= 0)
		out_add(out, outlen, &pos, " cause=%d", s.cause);
	if (s.pi >= 0)
		out_add(out, outlen, &pos, " pi=%d", s.pi);
	if (s.called[0])
		out_add(out, outlen, &pos, " called=%s", s.called);
	if (s.calling[0])
		out_add(out, outlen, &pos, " calling=%s", s.calling);
	if (s.has_name)
		out_add(out, outlen, &pos, " name=\"%s\"", s.name);
	if (s.has_facility)
		out_add(out, outlen, &pos, " facility");
	return 0;
}
