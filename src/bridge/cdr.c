/* sipgw - the call detail record: its outcome, its columns, its times and
 * its CSV field quoting (RFC 4180). No I/O here: cdr_db.c writes rows,
 * cdr_export.c reads them. SPDX-License-Identifier: GPL-2.0-only */
#include "bridge/cdr.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "bridge/cause.h"

static const char *const outcome_names[CDR_OUTCOME__COUNT] = {
	[CDR_ANSWERED] = "answered", [CDR_BUSY] = "busy", [CDR_NO_ANSWER] = "no-answer",
	[CDR_CANCELLED] = "cancelled", [CDR_FAILED] = "failed",
};

static const char *const cleared_names[CDR_CLEARED__COUNT] = {
	[CDR_BY_GATEWAY] = "gateway", [CDR_BY_CALLER] = "caller", [CDR_BY_CALLED] = "called",
};

const char *cdr_outcome_name(enum cdr_outcome o)
{
	return (unsigned)o < CDR_OUTCOME__COUNT ? outcome_names[o] : "?";
}

const char *cdr_cleared_name(enum cdr_cleared c)
{
	return (unsigned)c < CDR_CLEARED__COUNT ? cleared_names[c] : "?";
}

/* RFC 4122 4.4: a version 4 UUID from the kernel's random pool; without
 * one (an early boot), the clock and the call id keep it unique enough. */
static void cdr_uuid(char *out, unsigned call_id, long long now_us)
{
	unsigned char b[16];
	struct timespec ts;

	if (getrandom(b, sizeof(b), GRND_NONBLOCK) != sizeof(b)) {
		clock_gettime(CLOCK_REALTIME, &ts);
		srand48(ts.tv_nsec ^ ts.tv_sec ^ now_us ^ call_id);
		for (size_t i = 0; i < sizeof(b); i++)
			b[i] = (unsigned char)lrand48();
	}
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
		 b[14], b[15]);
}

void cdr_begin(struct cdr_record *r, unsigned call_id, long long setup_us)
{
	memset(r, 0, sizeof(*r));
	r->call_id = call_id;
	r->setup_us = setup_us;
	r->cause = CAUSE_NORMAL_CLEARING;
	cdr_uuid(r->uuid, call_id, setup_us);
}

enum cdr_outcome cdr_outcome_of(const struct cdr_record *r)
{
	int st = r->out.status;

	if (r->answer_us)
		return CDR_ANSWERED;
	if (r->cause == CAUSE_USER_BUSY || st == 486 || st == 600)
		return CDR_BUSY;
	if (r->cause == CAUSE_NO_ANSWER || r->cause == CAUSE_NO_USER_RESPONSE)
		return CDR_NO_ANSWER;
	/* the caller hung up (or CANCELled) while the call was being put through */
	if (r->cleared_by == CDR_BY_CALLER)
		return CDR_CANCELLED;
	return CDR_FAILED;
}

void cdr_finish(struct cdr_record *r, long long end_us, long long wall_offset_us)
{
	r->end_us = end_us;
	r->wall_offset_us = wall_offset_us;
	r->outcome = cdr_outcome_of(r);
}

/* ---- the columns: one table for schema, INSERT and CSV header. */

#define CDR_CALL_COLS(X) \
	X(ID, "id", INT) X(UUID, "uuid", TEXT) \
	X(START, "start_time", TEXT) X(ALERT, "alert_time", TEXT) \
	X(ANSWER, "answer_time", TEXT) X(END, "end_time", TEXT) \
	X(START_MS, "start_ms", INT) X(ALERT_MS, "alert_ms", INT) \
	X(ANSWER_MS, "answer_ms", INT) X(END_MS, "end_ms", INT) \
	X(DURATION, "duration", REAL) X(BILLSEC, "billsec", REAL) \
	X(OUTCOME, "outcome", TEXT) X(CLEARED_BY, "cleared_by", TEXT) \
	X(CAUSE, "cause", INT) X(CAUSE_NAME, "cause_name", TEXT) X(DIAL_PEER, "dial_peer", INT)

/* each leg's, prefixed in_ (leg a) and out_ (the called leg) */
#define CDR_LEG_COLS(X) \
	X(KIND, "kind", TEXT) X(CALLING, "calling", TEXT) X(CALLED, "called", TEXT) \
	X(DISPLAY, "display", TEXT) X(SPAN, "span", TEXT) X(CHANNEL, "channel", INT) \
	X(SIP_CALL_ID, "sip_call_id", TEXT) X(REMOTE, "remote", TEXT) X(CAUSE, "cause", INT) \
	X(STATUS, "status", INT) X(CODEC, "codec", TEXT) X(RTP_RX, "rtp_rx", INT) \
	X(RTP_TX, "rtp_tx", INT) X(RTP_LOST, "rtp_lost", INT) X(JITTER_MS, "jitter_ms", REAL)

#define X_ENUM(e, n, t) COL_##e,
enum { CDR_CALL_COLS(X_ENUM) COL__CALL };
#undef X_ENUM
#define X_ENUM(e, n, t) LCOL_##e,
enum { CDR_LEG_COLS(X_ENUM) LCOL__COUNT };
#undef X_ENUM

struct cdr_col {
	const char *name;
	enum cdr_type type;
};

#define X_ROW(e, n, t) { n, CDR_T_##t },
#define X_IN(e, n, t) { "in_" n, CDR_T_##t },
#define X_OUT(e, n, t) { "out_" n, CDR_T_##t },
static const struct cdr_col call_cols[] = { CDR_CALL_COLS(X_ROW) };
static const struct cdr_col leg_cols[2][LCOL__COUNT] = { { CDR_LEG_COLS(X_IN) }, { CDR_LEG_COLS(X_OUT) } };
#undef X_ROW
#undef X_IN
#undef X_OUT

#define N_CALL (sizeof(call_cols) / sizeof(call_cols[0]))
#define N_LEG LCOL__COUNT

size_t cdr_columns(void) { return N_CALL + 2 * N_LEG; }

const char *cdr_column_name(size_t i)
{
	if (i < N_CALL)
		return call_cols[i].name;
	i -= N_CALL;
	return i < 2 * N_LEG ? leg_cols[i / N_LEG][i % N_LEG].name : NULL;
}

const char *cdr_column_sqltype(size_t i)
{
	enum cdr_type t = i < N_CALL ? call_cols[i].type : leg_cols[0][(i - N_CALL) % N_LEG].type;

	return t == CDR_T_INT ? "INTEGER" : t == CDR_T_REAL ? "REAL" : "TEXT";
}

static void v_int(struct cdr_val *v, long long i) { v->type = CDR_T_INT; v->i = i; }
static void v_real(struct cdr_val *v, double d) { v->type = CDR_T_REAL; v->d = d; }
static void v_text(struct cdr_val *v, const char *s) { v->type = s && *s ? CDR_T_TEXT : CDR_T_NULL; v->s = s; }

static long long epoch_ms(const struct cdr_record *r, long long us)
{
	return (us + r->wall_offset_us) / 1000;
}

static void v_time(struct cdr_val *v, const struct cdr_record *r, long long us, int iso)
{
	if (!us)
		v->type = CDR_T_NULL;
	else if (iso)
		v_text(v, cdr_time_iso(v->buf, sizeof(v->buf), epoch_ms(r, us)));
	else
		v_int(v, epoch_ms(r, us));
}

static void leg_value(const struct cdr_leg *l, size_t i, struct cdr_val *v)
{
	if (!l->kind[0])		/* no such leg: every column NULL */
		return;
	switch (i) {
	case LCOL_KIND: v_text(v, l->kind); break;
	case LCOL_CALLING: v_text(v, l->calling); break;
	case LCOL_CALLED: v_text(v, l->called); break;
	case LCOL_DISPLAY: v_text(v, l->display); break;
	case LCOL_SPAN: v_text(v, l->span); break;
	case LCOL_CHANNEL: if (l->channel > 0) v_int(v, l->channel); break;
	case LCOL_SIP_CALL_ID: v_text(v, l->sip_call_id); break;
	case LCOL_REMOTE: v_text(v, l->remote); break;
	case LCOL_CAUSE: if (l->cause > 0) v_int(v, l->cause); break;
	case LCOL_STATUS: if (l->status > 0) v_int(v, l->status); break;
	case LCOL_CODEC: v_text(v, l->codec); break;
	/* RTP figures only where the leg has an RTP stream (RFC 3550 A.3, A.8) */
	case LCOL_RTP_RX: if (l->ms.valid) v_int(v, (long long)l->ms.rx_packets); break;
	case LCOL_RTP_TX: if (l->ms.valid) v_int(v, (long long)l->ms.tx_packets); break;
	case LCOL_RTP_LOST: if (l->ms.valid) v_int(v, l->ms.rx_lost); break;
	case LCOL_JITTER_MS: if (l->ms.valid) v_real(v, l->ms.jitter_ms); break;
	}
}

void cdr_value(const struct cdr_record *r, size_t i, struct cdr_val *v)
{
	v->type = CDR_T_NULL;
	if (i >= N_CALL) {
		i -= N_CALL;
		if (i < 2 * N_LEG)
			leg_value(i < N_LEG ? &r->in : &r->out, i % N_LEG, v);
		return;
	}
	switch (i) {
	case COL_ID: v_int(v, r->call_id); break;
	case COL_UUID: v_text(v, r->uuid); break;
	case COL_START: v_time(v, r, r->setup_us, 1); break;
	case COL_ALERT: v_time(v, r, r->alert_us, 1); break;
	case COL_ANSWER: v_time(v, r, r->answer_us, 1); break;
	case COL_END: v_time(v, r, r->end_us, 1); break;
	case COL_START_MS: v_time(v, r, r->setup_us, 0); break;
	case COL_ALERT_MS: v_time(v, r, r->alert_us, 0); break;
	case COL_ANSWER_MS: v_time(v, r, r->answer_us, 0); break;
	case COL_END_MS: v_time(v, r, r->end_us, 0); break;
	/* Asterisk's two: from setup, and from the answer (0 when never answered) */
	case COL_DURATION: v_real(v, (r->end_us - r->setup_us) / 1000 / 1000.0); break;
	case COL_BILLSEC: v_real(v, r->answer_us ? (r->end_us - r->answer_us) / 1000 / 1000.0 : 0); break;
	case COL_OUTCOME: v_text(v, cdr_outcome_name(r->outcome)); break;
	case COL_CLEARED_BY: v_text(v, cdr_cleared_name(r->cleared_by)); break;
	case COL_CAUSE: v_int(v, r->cause); break;
	case COL_CAUSE_NAME: v_text(v, cause_name(r->cause)); break;
	case COL_DIAL_PEER: if (r->dial_peer) v_int(v, r->dial_peer); break;
	}
}

/* ---- times */

const char *cdr_time_iso(char *buf, size_t len, long long ms)
{
	time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms - (long long)t * 1000));
	return buf;
}

/* 10000-01-01T00:00:00Z: the times ISO 8601's four-digit years can write */
#define CDR_TIME_MAX_MS 253402300800000LL

/* n digits exactly at *sp, within [lo, hi]. */
static int take_num(const char **sp, int n, int lo, int hi, int *out)
{
	int v = 0;

	for (int k = 0; k < n; k++) {
		if (!isdigit((unsigned char)(*sp)[k]))
			return -EINVAL;
		v = v * 10 + (*sp)[k] - '0';
	}
	if (v < lo || v > hi)
		return -EINVAL;
	*sp += n;
	*out = v;
	return 0;
}

static int days_in_month(int y, int m)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return d[m - 1] + (m == 2 && leap);
}

/* Epoch seconds: digits, an optional fraction of up to 3 digits. */
static int parse_epoch(const char *s, long long *msp)
{
	long long sec = 0;
	int ms = 0, k = 0;

	for (; isdigit((unsigned char)*s); s++, k++) {
		if (k == 12)		/* past year 33000: not a time */
			return -EINVAL;
		sec = sec * 10 + (*s - '0');
	}
	if (!k)
		return -EINVAL;
	if (*s == '.') {
		int scale = 100;

		if (!isdigit((unsigned char)*++s))
			return -EINVAL;
		for (; isdigit((unsigned char)*s); s++, scale /= 10)
			ms += scale ? (*s - '0') * scale : 0;
	}
	if (*s)
		return -EINVAL;
	*msp = sec * 1000 + ms;
	return *msp >= CDR_TIME_MAX_MS ? -EINVAL : 0;
}

int cdr_time_parse(const char *s, long long *msp)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, ms = 0, off = 0;
	const char *p = s;
	struct tm tm = { 0 };

	if (!s || !*s)
		return -EINVAL;
	if (!strchr(s, '-'))
		return parse_epoch(s, msp);
	if (take_num(&p, 4, 1970, 9999, &y) || *p++ != '-' || take_num(&p, 2, 1, 12, &mo) || *p++ != '-' ||
	    take_num(&p, 2, 1, 31, &d) || d > days_in_month(y, mo))
		return -EINVAL;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (take_num(&p, 2, 0, 23, &h) || *p++ != ':' || take_num(&p, 2, 0, 59, &mi))
			return -EINVAL;
		if (*p == ':' && (p++, take_num(&p, 2, 0, 60, &sec)))
			return -EINVAL;
		if (*p == '.' || *p == ',') {
			int scale = 100;

			if (!isdigit((unsigned char)*++p))
				return -EINVAL;
			for (; isdigit((unsigned char)*p); p++, scale /= 10)
				ms += scale ? (*p - '0') * scale : 0;
		}
		/* a time without a zone is taken as UTC, the CDR's own zone */
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int sign = *p++ == '-' ? -1 : 1, oh, om = 0;

			if (take_num(&p, 2, 0, 23, &oh))
				return -EINVAL;
			if (*p == ':')
				p++;
			if (*p && take_num(&p, 2, 0, 59, &om))
				return -EINVAL;
			off = sign * (oh * 60 + om);
		}
	}
	if (*p)
		return -EINVAL;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*msp = ((long long)timegm(&tm) - off * 60LL) * 1000 + ms;
	return *msp < 0 || *msp >= CDR_TIME_MAX_MS ? -EINVAL : 0;
}

/* ---- RFC 4180 section 2: fields with a comma, quote, CR or LF are quoted,
 * a quote inside doubled. */

size_t cdr_csv_field(char *buf, size_t len, const char *s)
{
	size_t n = 0;
	int quote = s && strpbrk(s, ",\"\r\n") != NULL;

#define PUT(c) do { if (n + 1 < len) buf[n] = (c); n++; } while (0)
	if (quote)
		PUT('"');
	for (; s && *s; s++) {
		if (*s == '"')
			PUT('"');
		PUT(*s);
	}
	if (quote)
		PUT('"');
#undef PUT
	if (len)
		buf[n < len ? n : len - 1] = '\0';
	return n;
}
