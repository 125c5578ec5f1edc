/* sipgw - phone simulator: the Cisco dial template (dialplan.xml) and its matching.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "sim/phone.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PTMPL_FILE_MAX (1 << 20)
#define PTMPL_MATCH_MAX 64
#define PTMPL_NAME_MAX 32
#define PTMPL_VALUE_MAX 256
/* Cisco's dial template characters; ',' only plays secondary dial tone. */
#define PTMPL_MATCH_CHARS "0123456789*#+.,ABCDabcd"

/* One <TEMPLATE>: file order is match order. */
struct ptmpl {
	char match[PTMPL_MATCH_MAX];
	int timeout_s;			/* digit timeout; --dial sends whole numbers */
	int user_phone;			/* User="Phone": ;user=phone in the Request-URI */
	const char *route;		/* a row of routes[] */
	int line;
};

struct ptmpl_plan {
	struct ptmpl *rows;
	int n;
};

/* Route attribute values the Cisco phone knows; the first row is the default. */
static const char *const routes[] = { "default", "emergency", "fqdn" };

/* User attribute values; the first row is the default. */
static const struct {
	const char *name;
	int user_phone;
} users[] = {
	{ "phone", 1 },
	{ "ip", 0 },
};

/* Where the parser is in the file, for FILE:LINE errors. */
struct pcur {
	const char *path;
	const char *p, *end;
	int line;
};

static int pcur_error(const struct pcur *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int pcur_error(const struct pcur *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "sipgw-phone: %s:%d: ", c->path, c->line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -EINVAL;
}

static void pcur_advance(struct pcur *c, size_t n)
{
	for (; n && c->p < c->end; n--, c->p++)
		if (*c->p == '\n')
			c->line++;
}

static void pcur_skip_ws(struct pcur *c)
{
	while (c->p < c->end && isspace((unsigned char)*c->p))
		pcur_advance(c, 1);
}

static int pcur_at(const struct pcur *c, const char *s)
{
	size_t n = strlen(s);

	return (size_t)(c->end - c->p) >= n && !memcmp(c->p, s, n);
}

/* Skip past the closing string of a prolog, comment or declaration. */
static int pcur_skip_past(struct pcur *c, const char *close, const char *what)
{
	const char *e = memmem(c->p, (size_t)(c->end - c->p), close, strlen(close));

	if (!e)
		return pcur_error(c, "unterminated %s", what);
	pcur_advance(c, (size_t)(e - c->p) + strlen(close));
	return 0;
}

static int pcur_name(struct pcur *c, char *out, size_t len)
{
	size_t n = 0;

	while (c->p < c->end && (isalnum((unsigned char)*c->p) || strchr("_:.-", *c->p))) {
		if (n + 1 >= len)
			return pcur_error(c, "name too long");
		out[n++] = *c->p;
		pcur_advance(c, 1);
	}
	out[n] = '\0';
	return n ? 0 : pcur_error(c, "name expected");
}

/* The five predefined XML entities (XML 1.0 section 4.6). */
static int decode_entity(struct pcur *c, char *outc)
{
	static const struct {
		const char *ent;
		char c;
	} ents[] = { { "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' }, { "&apos;", '\'' } };

	for (size_t i = 0; i < sizeof(ents) / sizeof(ents[0]); i++)
		if (pcur_at(c, ents[i].ent)) {
			*outc = ents[i].c;
			pcur_advance(c, strlen(ents[i].ent));
			return 0;
		}
	return pcur_error(c, "unknown entity");
}

/* NAME = 'value' or "value". */
static int pcur_attr(struct pcur *c, char *name, size_t nlen, char *val, size_t vlen)
{
	size_t n = 0;
	char q;
	int rc = pcur_name(c, name, nlen);

	if (rc)
		return rc;
	pcur_skip_ws(c);
	if (c->p >= c->end || *c->p != '=')
		return pcur_error(c, "'=' expected after attribute %s", name);
	pcur_advance(c, 1);
	pcur_skip_ws(c);
	if (c->p >= c->end || (*c->p != '"' && *c->p != '\''))
		return pcur_error(c, "quoted value expected for attribute %s", name);
	q = *c->p;
	pcur_advance(c, 1);
	while (c->p < c->end && *c->p != q) {
		char ch = *c->p;

		if (ch == '<')
			return pcur_error(c, "'<' in the value of attribute %s", name);
		if (ch == '&') {
			rc = decode_entity(c, &ch);
			if (rc)
				return rc;
		} else {
			pcur_advance(c, 1);
		}
		if (n + 1 >= vlen)
			return pcur_error(c, "value of attribute %s too long", name);
		val[n++] = ch;
	}
	if (c->p >= c->end)
		return pcur_error(c, "unterminated value of attribute %s", name);
	pcur_advance(c, 1);
	val[n] = '\0';
	return 0;
}

static int tmpl_set_match(struct pcur *c, struct ptmpl *t, const char *v)
{
	size_t bad = strspn(v, PTMPL_MATCH_CHARS);

	if (!*v)
		return pcur_error(c, "empty MATCH");
	if (v[bad])
		return pcur_error(c, "MATCH \"%s\": unsupported character '%c'", v, v[bad]);
	if (strlen(v) >= sizeof(t->match))
		return pcur_error(c, "MATCH \"%s\" too long", v);
	snprintf(t->match, sizeof(t->match), "%s", v);
	return 0;
}

static int tmpl_set_timeout(struct pcur *c, struct ptmpl *t, const char *v)
{
	char *end;
	long s = strtol(v, &end, 10);

	if (!*v || *end || s < 0 || s > 3600)
		return pcur_error(c, "bad Timeout \"%s\"", v);
	t->timeout_s = (int)s;
	return 0;
}

static int tmpl_set_user(struct pcur *c, struct ptmpl *t, const char *v)
{
	for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++)
		if (!strcasecmp(v, users[i].name)) {
			t->user_phone = users[i].user_phone;
			return 0;
		}
	return pcur_error(c, "bad User \"%s\" (Phone or IP)", v);
}

static int tmpl_set_route(struct pcur *c, struct ptmpl *t, const char *v)
{
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (!strcasecmp(v, routes[i])) {
			t->route = routes[i];
			return 0;
		}
	return pcur_error(c, "bad Route \"%s\" (default, emergency or fqdn)", v);
}

/* The attributes of <TEMPLATE>, names in any case; unknown ones are ignored. */
static const struct {
	const char *name;
	int (*set)(struct pcur *c, struct ptmpl *t, const char *v);
} tmpl_attrs[] = {
	{ "match", tmpl_set_match },
	{ "timeout", tmpl_set_timeout },
	{ "user", tmpl_set_user },
	{ "route", tmpl_set_route },
};

/* After "<NAME": attributes up to ">" or "/>"; *emptyp tells which. */
static int pcur_tag_rest(struct pcur *c, struct ptmpl *t, int *emptyp)
{
	char name[PTMPL_NAME_MAX], val[PTMPL_VALUE_MAX];
	int open_line = c->line, rc;

	for (;;) {
		int had_ws = c->p < c->end && isspace((unsigned char)*c->p);

		pcur_skip_ws(c);
		if (pcur_at(c, "/>") || pcur_at(c, ">")) {
			*emptyp = *c->p == '/';
			pcur_advance(c, *emptyp ? 2 : 1);
			return 0;
		}
		if (c->p >= c->end)
			return pcur_error(c, "unterminated tag (opened on line %d)", open_line);
		if (!had_ws)
			return pcur_error(c, "space expected before attribute");
		rc = pcur_attr(c, name, sizeof(name), val, sizeof(val));
		if (rc)
			return rc;
		for (size_t i = 0; t && i < sizeof(tmpl_attrs) / sizeof(tmpl_attrs[0]); i++)
			if (!strcasecmp(name, tmpl_attrs[i].name) && (rc = tmpl_attrs[i].set(c, t, val)))
				return rc;
	}
}

/* "</NAME>" for want, after the "</". */
static int pcur_end_tag(struct pcur *c, const char *want)
{
	char name[PTMPL_NAME_MAX];
	int rc = pcur_name(c, name, sizeof(name));

	if (rc)
		return rc;
	pcur_skip_ws(c);
	if (strcasecmp(name, want) || !pcur_at(c, ">"))
		return pcur_error(c, "</%s> expected", want);
	pcur_advance(c, 1);
	return 0;
}

static int plan_add(struct ptmpl_plan *p, const struct ptmpl *t)
{
	struct ptmpl *rows = realloc(p->rows, sizeof(*rows) * (size_t)(p->n + 1));

	if (!rows)
		return -ENOMEM;
	p->rows = rows;
	p->rows[p->n++] = *t;
	return 0;
}

/* "<TEMPLATE ... />" or "<TEMPLATE ...></TEMPLATE>", after "<TEMPLATE". */
static int parse_template(struct pcur *c, struct ptmpl_plan *p)
{
	struct ptmpl t = { .user_phone = 1, .route = routes[0], .line = c->line };
	int empty, rc = pcur_tag_rest(c, &t, &empty);

	if (rc)
		return rc;
	if (!t.match[0])
		return pcur_error(c, "TEMPLATE without MATCH");
	if (!empty) {
		pcur_skip_ws(c);
		if (!pcur_at(c, "</"))
			return pcur_error(c, "</TEMPLATE> expected");
		pcur_advance(c, 2);
		if ((rc = pcur_end_tag(c, "TEMPLATE")))
			return rc;
	}
	return plan_add(p, &t);
}

/* Prolog, comments and declarations may come anywhere between elements. */
static int skip_misc(struct pcur *c)
{
	int rc = 0;

	for (pcur_skip_ws(c); !rc; pcur_skip_ws(c)) {
		if (pcur_at(c, "<?"))
			rc = pcur_skip_past(c, "?>", "<?...?>");
		else if (pcur_at(c, "<!--"))
			rc = pcur_skip_past(c, "-->", "comment");
		else if (pcur_at(c, "<!"))
			rc = pcur_skip_past(c, ">", "declaration");
		else
			break;
	}
	return rc;
}

/* <DIALTEMPLATE> holding only <TEMPLATE> elements. */
static int parse_plan(struct pcur *c, struct ptmpl_plan *p)
{
	char name[PTMPL_NAME_MAX];
	int empty, rc = skip_misc(c);

	if (rc)
		return rc;
	if (!pcur_at(c, "<"))
		return pcur_error(c, "<DIALTEMPLATE> expected");
	pcur_advance(c, 1);
	if ((rc = pcur_name(c, name, sizeof(name))))
		return rc;
	if (strcasecmp(name, "DIALTEMPLATE"))
		return pcur_error(c, "<DIALTEMPLATE> expected, not <%s>", name);
	if ((rc = pcur_tag_rest(c, NULL, &empty)))
		return rc;
	while (!empty) {
		if ((rc = skip_misc(c)))
			return rc;
		if (c->p >= c->end)
			return pcur_error(c, "</DIALTEMPLATE> missing");
		if (pcur_at(c, "</")) {
			pcur_advance(c, 2);
			if ((rc = pcur_end_tag(c, "DIALTEMPLATE")))
				return rc;
			break;
		}
		if (!pcur_at(c, "<"))
			return pcur_error(c, "text outside TEMPLATE");
		pcur_advance(c, 1);
		if ((rc = pcur_name(c, name, sizeof(name))))
			return rc;
		if (strcasecmp(name, "TEMPLATE"))
			return pcur_error(c, "unknown element <%s>", name);
		if ((rc = parse_template(c, p)))
			return rc;
	}
	if ((rc = skip_misc(c)))
		return rc;
	return c->p < c->end ? pcur_error(c, "text after </DIALTEMPLATE>") : 0;
}

static int read_file(const char *path, char **bufp, size_t *lenp)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;

	if (!f)
		return -errno;
	buf = malloc(PTMPL_FILE_MAX);
	if (!buf) {
		fclose(f);
		return -ENOMEM;
	}
	n = fread(buf, 1, PTMPL_FILE_MAX, f);
	if (ferror(f) || n == PTMPL_FILE_MAX) {
		fclose(f);
		free(buf);
		return -EFBIG;
	}
	fclose(f);
	*bufp = buf;
	*lenp = n;
	return 0;
}

int ptmpl_load(struct ptmpl_plan **pp, const char *path)
{
	struct ptmpl_plan *p;
	struct pcur c = { .path = path, .line = 1 };
	char *buf = NULL;
	size_t len = 0;
	int rc = read_file(path, &buf, &len);

	if (rc) {
		fprintf(stderr, "sipgw-phone: %s: %s\n", path, strerror(-rc));
		return rc;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		free(buf);
		return -ENOMEM;
	}
	c.p = buf;
	c.end = buf + len;
	rc = parse_plan(&c, p);
	free(buf);
	if (rc) {
		ptmpl_free(p);
		return rc;
	}
	*pp = p;
	return 0;
}

void ptmpl_free(struct ptmpl_plan *p)
{
	if (!p)
		return;
	free(p->rows);
	free(p);
}

/* '.' is any one character, a final '*' any remainder (also none), ','
 * nothing; every other character matches itself. */
static int tmpl_matches(const char *pat, const char *s)
{
	for (;; pat++) {
		if (*pat == ',')
			continue;
		if (*pat == '*' && !pat[1])
			return 1;
		if (!*pat)
			return !*s;
		if (!*s)
			return 0;
		if (*pat != '.' && toupper((unsigned char)*pat) != toupper((unsigned char)*s))
			return 0;
		s++;
	}
}

int ptmpl_match(const struct ptmpl_plan *p, const char *number, const char **routep,
		int *user_phonep)
{
	for (int i = 0; p && i < p->n; i++)
		if (tmpl_matches(p->rows[i].match, number)) {
			*routep = p->rows[i].route;
			*user_phonep = p->rows[i].user_phone;
			return 0;
		}
	return -ENOENT;
}
