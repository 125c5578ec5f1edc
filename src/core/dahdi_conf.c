/* sipgw - DAHDI's system.conf (the file dahdi_cfg applies to the kernel):
 * span= lines and the channel lines a PRI needs. The syntax is dahdi-tools':
 * "key = value" per line, '#' starts a comment, channel lists are "1-15,17-31".
 * SPDX-License-Identifier: GPL-2.0-only */
#include "core/dahdi_conf.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DC_MAX_ASSIGN 1024	/* ranges: 128 E1s written as bchan=a-b,c-d + hardhdlc=e take 384 */
#define DC_MAX_CHANNO DAHDI_CONF_MAX_CHANNO

/* A channel line, kept until every span is known (it may come before its
 * span= line, and channel numbers depend on every span before it). */
struct dc_assign {
	enum { DC_BCHAN, DC_DCHAN, DC_HARDHDLC, DC_ALAW, DC_MULAW, DC_OTHER } kind;
	char key[16];
	int lo, hi, line;
};

struct dc_parse {
	struct dahdi_conf *dc;
	const char *name;
	char *err;
	size_t errlen;
	struct dc_assign as[DC_MAX_ASSIGN];
	int n_as;
};

static int dc_fail(struct dc_parse *p, int line, const char *fmt, ...)
{
	va_list ap;
	int o = snprintf(p->err, p->errlen, "%s:%d: ", p->name, line);

	va_start(ap, fmt);
	if (o >= 0 && (size_t)o < p->errlen)
		vsnprintf(p->err + o, p->errlen - (size_t)o, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Channel-list keys of dahdi_cfg: the ones a PRI uses, then the others,
 * which only matter because they take channels away from a span. */
static const struct { const char *key; int kind; } dc_keys[] = {
	{ "bchan", DC_BCHAN }, { "dchan", DC_DCHAN }, { "hardhdlc", DC_HARDHDLC },
	{ "alaw", DC_ALAW }, { "mulaw", DC_MULAW },
	{ "clear", DC_OTHER }, { "indclear", DC_OTHER }, { "rawhdlc", DC_OTHER },
	{ "fcshdlc", DC_OTHER }, { "nethdlc", DC_OTHER }, { "unused", DC_OTHER },
	{ "fxsls", DC_OTHER }, { "fxsgs", DC_OTHER }, { "fxsks", DC_OTHER },
	{ "fxols", DC_OTHER }, { "fxogs", DC_OTHER }, { "fxoks", DC_OTHER },
	{ "e&m", DC_OTHER }, { "e&me1", DC_OTHER }, { "cas", DC_OTHER }, { "dacs", DC_OTHER },
	{ NULL, 0 },
};

uint32_t dahdi_conf_pri_bchans(enum dahdi_conf_line kind, int *dchanp)
{
	/* T1 PRI: 23 B + D on timeslot 24; E1 PRI: D on timeslot 16 (G.704). */
	if (kind == DAHDI_LINE_E1) {
		*dchanp = 16;
		return 0xfffffffeu & ~(1u << 16);
	}
	*dchanp = 24;
	return 0x00fffffeu;
}

static char *dc_trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = 0;
	return s;
}

/* span=<num>,<timing>,<lbo>,<framing>,<coding>[,crc4][,yellow] */
static int dc_span(struct dc_parse *p, char *val, int line)
{
	struct dahdi_conf *dc = p->dc;
	struct dahdi_conf_span *sp;
	char *f[8], *save = NULL, *tok;
	int n = 0;
	char *end;
	long num;

	for (tok = strtok_r(val, ",", &save); tok && n < 8; tok = strtok_r(NULL, ",", &save))
		f[n++] = dc_trim(tok);
	if (n < 5)
		return dc_fail(p, line, "span=%s: want span=<span>,<timing>,<lbo>,<framing>,<coding>",
			       n ? f[0] : "");
	num = strtol(f[0], &end, 10);
	if (*end || num < 1 || num > DAHDI_CONF_MAX_SPANS)
		return dc_fail(p, line, "span number '%s' is not 1..%d", f[0], DAHDI_CONF_MAX_SPANS);
	if (dahdi_conf_span(dc, (int)num))
		return dc_fail(p, line, "span %ld is defined twice", num);
	sp = &dc->spans[dc->n_spans];
	memset(sp, 0, sizeof(*sp));
	sp->num = (int)num;
	sp->line = line;
	snprintf(sp->framing, sizeof(sp->framing), "%s", f[3]);
	snprintf(sp->coding, sizeof(sp->coding), "%s", f[4]);
	if (!strcasecmp(f[3], "esf") || !strcasecmp(f[3], "d4")) {
		sp->kind = DAHDI_LINE_T1;
		sp->n_chans = DAHDI_CONF_T1_CHANS;
		if (strcasecmp(f[4], "b8zs") && strcasecmp(f[4], "ami"))
			return dc_fail(p, line, "span %ld: coding '%s' is no T1 line code (b8zs, ami)",
				       num, f[4]);
	} else if (!strcasecmp(f[3], "ccs") || !strcasecmp(f[3], "cas")) {
		sp->kind = DAHDI_LINE_E1;
		sp->n_chans = DAHDI_CONF_E1_CHANS;
		if (strcasecmp(f[4], "hdb3") && strcasecmp(f[4], "ami"))
			return dc_fail(p, line, "span %ld: coding '%s' is no E1 line code (hdb3, ami)",
				       num, f[4]);
	} else {
		return dc_fail(p, line, "span %ld: framing '%s' is not esf, d4 (T1), ccs or cas (E1)",
			       num, f[3]);
	}
	dc->n_spans++;
	return 0;
}

/* "1-15,17-31": one assignment per range. */
static int dc_chanlist(struct dc_parse *p, const char *key, int kind, char *val, int line)
{
	char *save = NULL, *tok;

	for (tok = strtok_r(val, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		struct dc_assign *a;
		char *end;
		long lo, hi;

		tok = dc_trim(tok);
		lo = strtol(tok, &end, 10);
		hi = lo;
		if (end != tok && *end == '-')
			hi = strtol(end + 1, &end, 10);
		if (end == tok || *end || lo < 1 || hi < lo)
			return dc_fail(p, line, "%s=%s: '%s' is no channel or range (like 1-23)", key,
				       val, tok);
		if (hi > DC_MAX_CHANNO)
			return dc_fail(p, line, "%s=%s: channel %ld is past DAHDI's %d channels "
				       "(DAHDI_MAX_CHANNELS)", key, val, hi, DC_MAX_CHANNO);
		if (p->n_as == DC_MAX_ASSIGN)
			return dc_fail(p, line, "more than %d channel ranges", DC_MAX_ASSIGN);
		a = &p->as[p->n_as++];
		a->kind = kind;
		snprintf(a->key, sizeof(a->key), "%s", key);
		a->lo = (int)lo;
		a->hi = (int)hi;
		a->line = line;
	}
	return 0;
}

static int dc_line(struct dc_parse *p, char *s, int line)
{
	char *eq, *key, *val;

	s[strcspn(s, "#;")] = 0;
	s = dc_trim(s);
	if (!*s)
		return 0;
	eq = strchr(s, '=');
	if (!eq)
		return dc_fail(p, line, "'%s': want key=value", s);
	*eq = 0;
	key = dc_trim(s);
	val = dc_trim(eq + 1);
	if (!strcasecmp(key, "span")) {
		if (p->dc->n_spans == DAHDI_CONF_MAX_SPANS)
			return dc_fail(p, line, "more than %d spans", DAHDI_CONF_MAX_SPANS);
		return dc_span(p, val, line);
	}
	for (int i = 0; dc_keys[i].key; i++)
		if (!strcasecmp(key, dc_keys[i].key)) {
			char copy[256];

			snprintf(copy, sizeof(copy), "%s", val);
			return dc_chanlist(p, dc_keys[i].key, dc_keys[i].kind, copy, line);
		}
	return 0;	/* loadzone, defaultzone, echocanceller...: dahdi_cfg's business */
}

static int dc_span_cmp(const void *a, const void *b)
{
	return ((const struct dahdi_conf_span *)a)->num - ((const struct dahdi_conf_span *)b)->num;
}

/* DAHDI numbers channels span after span in the order the cards register
 * them, which system.conf's span numbers follow: span N's timeslot 1 is the
 * channel after span N-1's last one. So every span from 1 up must be there. */
static int dc_layout(struct dc_parse *p)
{
	struct dahdi_conf *dc = p->dc;
	int base = 1;

	qsort(dc->spans, (size_t)dc->n_spans, sizeof(dc->spans[0]), dc_span_cmp);
	for (int i = 0; i < dc->n_spans; i++) {
		if (dc->spans[i].num != i + 1)
			return dc_fail(p, dc->spans[i].line, "span %d without span %d before it: DAHDI "
				       "numbers channels span after span, so list every span", dc->spans[i].num,
				       i + 1);
		if (base + dc->spans[i].n_chans - 1 > DC_MAX_CHANNO)
			return dc_fail(p, dc->spans[i].line, "span %d would have channels %d-%d: DAHDI has "
				       "%d channels at most (DAHDI_MAX_CHANNELS)", dc->spans[i].num, base,
				       base + dc->spans[i].n_chans - 1, DC_MAX_CHANNO);
		dc->spans[i].base = base;
		base += dc->spans[i].n_chans;
	}
	for (int k = 0; k < p->n_as; k++) {
		const struct dc_assign *a = &p->as[k];

		for (int c = a->lo; c <= a->hi; c++) {
			const struct dahdi_conf_span *csp;
			struct dahdi_conf_span *sp;
			uint32_t bit;
			int ts;

			if (dahdi_conf_chan(dc, c, &csp, &ts))
				return dc_fail(p, a->line, "%s: channel %d is on no span of this file (%d "
					       "channels in %d span(s))", a->key, c, base - 1, dc->n_spans);
			sp = &dc->spans[csp - dc->spans];
			bit = 1u << ts;
			switch (a->kind) {
			case DC_BCHAN:
				if (sp->dchan == ts)
					return dc_fail(p, a->line, "channel %d is both bchan and %s", c,
						       sp->hardhdlc ? "hardhdlc" : "dchan");
				sp->bchans |= bit;
				sp->bchan_line = a->line;
				break;
			case DC_DCHAN:
			case DC_HARDHDLC:
				if (sp->dchan && sp->dchan != ts)
					return dc_fail(p, a->line, "span %d has a second D-channel (%d; the "
						       "first is timeslot %d, line %d)", sp->num, c, sp->dchan,
						       sp->dchan_line);
				if (sp->bchans & bit)
					return dc_fail(p, a->line, "channel %d is both bchan and %s", c, a->key);
				sp->dchan = ts;
				sp->hardhdlc = a->kind == DC_HARDHDLC;
				sp->dchan_line = a->line;
				break;
			case DC_ALAW:
			case DC_MULAW:
				/* the later line wins, as dahdi_cfg applies them in order */
				if ((a->kind == DC_ALAW) == (sp->kind == DAHDI_LINE_T1))
					sp->odd_law |= bit;
				else
					sp->odd_law &= ~bit;
				break;
			default:
				sp->bchans &= ~bit;
				if (sp->dchan == ts)
					sp->dchan = 0;
			}
		}
	}
	return 0;
}

int dahdi_conf_parse(struct dahdi_conf *dc, const char *name, const char *text, char *err,
		     size_t errlen)
{
	struct dc_parse *p = calloc(1, sizeof(*p));
	const char *s = text;
	int line = 0, rc = 0;

	if (!p)
		return -ENOMEM;
	memset(dc, 0, sizeof(*dc));
	snprintf(dc->file, sizeof(dc->file), "%s", name);
	p->dc = dc;
	p->name = name;
	p->err = err;
	p->errlen = errlen;
	while (!rc && *s) {
		size_t n = strcspn(s, "\n");
		char buf[512];

		line++;
		if (n >= sizeof(buf)) {
			rc = dc_fail(p, line, "line longer than %zu characters", sizeof(buf) - 1);
			break;
		}
		memcpy(buf, s, n);
		buf[n] = 0;
		rc = dc_line(p, buf, line);
		s += n + (s[n] == '\n');
	}
	if (!rc)
		rc = dc_layout(p);
	free(p);
	return rc;
}

int dahdi_conf_load(struct dahdi_conf *dc, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *text;
	long n;
	int rc;

	if (!f) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) ||
	    !(text = calloc(1, (size_t)n + 1))) {
		fclose(f);
		snprintf(err, errlen, "%s: cannot read the file", path);
		return -EIO;
	}
	if (fread(text, 1, (size_t)n, f) != (size_t)n) {
		free(text);
		fclose(f);
		snprintf(err, errlen, "%s: cannot read the file", path);
		return -EIO;
	}
	fclose(f);
	rc = dahdi_conf_parse(dc, path, text, err, errlen);
	free(text);
	return rc;
}

const struct dahdi_conf_span *dahdi_conf_span(const struct dahdi_conf *dc, int num)
{
	for (int i = 0; i < dc->n_spans; i++)
		if (dc->spans[i].num == num)
			return &dc->spans[i];
	return NULL;
}

int dahdi_conf_chan(const struct dahdi_conf *dc, int channo, const struct dahdi_conf_span **spp,
		    int *tsp)
{
	for (int i = 0; i < dc->n_spans; i++) {
		const struct dahdi_conf_span *sp = &dc->spans[i];

		if (sp->base && channo >= sp->base && channo < sp->base + sp->n_chans) {
			*spp = sp;
			*tsp = channo - sp->base + 1;
			return 0;
		}
	}
	return -ENOENT;
}
