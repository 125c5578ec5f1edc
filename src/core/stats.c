/* sipgw - counters, gauges and histograms, and their Prometheus text
 * exposition (format 0.0.4: https://prometheus.io/docs/instrumenting/exposition_formats/).
 * SPDX-License-Identifier: GPL-2.0-only */
#include "core/stats.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct stats_series {
	struct stats_series *next;
	struct stats_family *f;
	char **values;			/* one per label name */
	char *labels;			/* rendered: a="x",b="y" ("" none) */
	double value;			/* counter, gauge; histogram: the sum */
	unsigned long long count;	/* histogram: observations */
	unsigned long long *buckets;	/* histogram: per bound, not cumulative */
};

struct stats_family {
	struct stats_family *next;
	char *name, *help;
	enum stats_type type;
	char *labels[STATS_MAX_LABELS];
	size_t n_labels;
	double bounds[STATS_MAX_BUCKETS];
	size_t n_bounds;
	stats_collect_h *collect_h;
	void *collect_arg;
	struct stats_series *series, **tail;
	size_t n_series;
};

struct stats {
	struct stats_family *families, **tail;
};

static int name_char(int c, int first, int colon)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':'))
		return 1;
	return !first && c >= '0' && c <= '9';
}

static int valid_ident(const char *s, int colon)
{
	if (!s || !*s)
		return 0;
	for (size_t i = 0; s[i]; i++)
		if (!name_char((unsigned char)s[i], i == 0, colon))
			return 0;
	return 1;
}

int stats_valid_name(const char *name) { return valid_ident(name, 1); }

/* Label names starting with __ are Prometheus's own. */
int stats_valid_label(const char *name)
{
	return valid_ident(name, 0) && strncmp(name, "__", 2) != 0;
}

const char *stats_type_name(enum stats_type t)
{
	switch (t) {
	case STATS_COUNTER: return "counter";
	case STATS_GAUGE: return "gauge";
	case STATS_HISTOGRAM: return "histogram";
	}
	return "untyped";
}

void stats_fmt_value(char *out, size_t outlen, double v)
{
	if (isnan(v)) {
		snprintf(out, outlen, "NaN");
	} else if (isinf(v)) {
		snprintf(out, outlen, v > 0 ? "+Inf" : "-Inf");
	} else {
		/* the shortest of %.15g and %.17g that reads back the same */
		snprintf(out, outlen, "%.15g", v);
		if (strtod(out, NULL) != v)
			snprintf(out, outlen, "%.17g", v);
	}
}

/* The format's escapes: in a label value \ " and newline; in HELP \ and newline. */
static int escape(char *out, size_t outlen, const char *s, int quote)
{
	size_t o = 0;

	for (; *s; s++) {
		const char *rep = NULL;
		char one[2] = { *s, 0 };

		if (*s == '\\')
			rep = "\\\\";
		else if (*s == '\n')
			rep = "\\n";
		else if (quote && *s == '"')
			rep = "\\\"";
		else
			rep = one;
		size_t n = strlen(rep);
		if (o + n >= outlen)
			return -ENOSPC;
		memcpy(out + o, rep, n);
		o += n;
	}
	if (o >= outlen)
		return -ENOSPC;
	out[o] = 0;
	return 0;
}

int stats_escape_label(char *out, size_t outlen, const char *value)
{
	return escape(out, outlen, value, 1);
}

int stats_alloc(struct stats **sp)
{
	struct stats *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->tail = &s->families;
	*sp = s;
	return 0;
}

static void series_free(struct stats_series *se, size_t n_labels)
{
	if (!se)
		return;
	if (se->values)
		for (size_t i = 0; i < n_labels; i++)
			free(se->values[i]);
	free(se->values);
	free(se->labels);
	free(se->buckets);
	free(se);
}

static void family_free(struct stats_family *f)
{
	struct stats_series *se, *next;

	if (!f)
		return;
	for (se = f->series; se; se = next) {
		next = se->next;
		series_free(se, f->n_labels);
	}
	for (size_t i = 0; i < f->n_labels; i++)
		free(f->labels[i]);
	free(f->name);
	free(f->help);
	free(f);
}

void stats_free(struct stats *s)
{
	struct stats_family *f, *next;

	if (!s)
		return;
	for (f = s->families; f; f = next) {
		next = f->next;
		family_free(f);
	}
	free(s);
}

static int family_check(const struct stats *s, const struct stats_family_params *p, size_t *nlp)
{
	size_t nl = 0;

	if (!stats_valid_name(p->name) || !p->help)
		return -EINVAL;
	if (p->type != STATS_COUNTER && p->type != STATS_GAUGE && p->type != STATS_HISTOGRAM)
		return -EINVAL;
	for (; nl <= STATS_MAX_LABELS && p->labels[nl]; nl++) {
		if (nl == STATS_MAX_LABELS || !stats_valid_label(p->labels[nl]))
			return -EINVAL;
		if (p->type == STATS_HISTOGRAM && !strcmp(p->labels[nl], "le"))
			return -EINVAL;
		for (size_t k = 0; k < nl; k++)
			if (!strcmp(p->labels[k], p->labels[nl]))
				return -EINVAL;
	}
	if (p->type == STATS_HISTOGRAM) {
		if (!p->n_bounds || p->n_bounds > STATS_MAX_BUCKETS || !p->bounds)
			return -EINVAL;
		for (size_t i = 0; i < p->n_bounds; i++)
			if (!isfinite(p->bounds[i]) || (i && p->bounds[i] <= p->bounds[i - 1]))
				return -EINVAL;
	}
	for (const struct stats_family *f = s->families; f; f = f->next)
		if (!strcmp(f->name, p->name))
			return -EEXIST;
	*nlp = nl;
	return 0;
}

int stats_family_add(struct stats *s, struct stats_family **fp, const struct stats_family_params *p)
{
	struct stats_family *f;
	size_t nl;
	int rc;

	if ((rc = family_check(s, p, &nl)))
		return rc;
	if (!(f = calloc(1, sizeof(*f))))
		return -ENOMEM;
	f->name = strdup(p->name);
	f->help = strdup(p->help);
	f->type = p->type;
	f->n_labels = nl;
	for (size_t i = 0; i < nl; i++)
		if (!(f->labels[i] = strdup(p->labels[i])))
			goto nomem;
	if (!f->name || !f->help)
		goto nomem;
	if (p->type == STATS_HISTOGRAM) {
		memcpy(f->bounds, p->bounds, p->n_bounds * sizeof(p->bounds[0]));
		f->n_bounds = p->n_bounds;
	}
	f->collect_h = p->collect_h;
	f->collect_arg = p->collect_arg;
	f->tail = &f->series;
	*s->tail = f;
	s->tail = &f->next;
	if (fp)
		*fp = f;
	return 0;
nomem:
	family_free(f);
	return -ENOMEM;
}

/* a="x",b="y": rendered once, when the series is made. */
static char *render_labels(const struct stats_family *f, char *const *values)
{
	size_t cap = 1, o = 0;
	char *out;

	for (size_t i = 0; i < f->n_labels; i++)
		cap += strlen(f->labels[i]) + 2 * strlen(values[i]) + 4;
	if (!(out = malloc(cap)))
		return NULL;
	out[0] = 0;
	for (size_t i = 0; i < f->n_labels; i++) {
		o += (size_t)snprintf(out + o, cap - o, "%s%s=\"", i ? "," : "", f->labels[i]);
		if (stats_escape_label(out + o, cap - o, values[i])) {	/* cannot: cap has room for it */
			free(out);
			return NULL;
		}
		o += strlen(out + o);
		o += (size_t)snprintf(out + o, cap - o, "\"");
	}
	return out;
}

static int series_same(const struct stats_series *se, size_t n, const char *const *values)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(se->values[i], values[i]))
			return 0;
	return 1;
}

int stats_series_get(struct stats_family *f, struct stats_series **sp, const char *const *values)
{
	struct stats_series *se;

	if (!f)
		return -EINVAL;
	for (size_t i = 0; i < f->n_labels; i++)
		if (!values || !values[i])
			return -EINVAL;
	for (se = f->series; se; se = se->next)
		if (series_same(se, f->n_labels, values)) {
			*sp = se;
			return 0;
		}
	if (f->n_series >= STATS_MAX_SERIES)
		return -ENOSPC;
	if (!(se = calloc(1, sizeof(*se))))
		return -ENOMEM;
	se->f = f;
	if (!(se->values = calloc(f->n_labels + 1, sizeof(char *))))
		goto nomem;
	for (size_t i = 0; i < f->n_labels; i++)
		if (!(se->values[i] = strdup(values[i])))
			goto nomem;
	if (!(se->labels = render_labels(f, se->values)))
		goto nomem;
	if (f->type == STATS_HISTOGRAM && !(se->buckets = calloc(f->n_bounds, sizeof(se->buckets[0]))))
		goto nomem;
	*f->tail = se;
	f->tail = &se->next;
	f->n_series++;
	*sp = se;
	return 0;
nomem:
	series_free(se, f->n_labels);
	return -ENOMEM;
}

struct stats_series *stats_series1(struct stats_family *f, const char *value)
{
	struct stats_series *se = NULL;

	if (!f || f->n_labels != (value ? 1 : 0))
		return NULL;
	return stats_series_get(f, &se, (const char *[]){ value, NULL }) ? NULL : se;
}

void stats_add(struct stats_series *s, double v)
{
	if (s && s->f->type != STATS_HISTOGRAM && v >= 0)
		s->value += v;
}

void stats_set(struct stats_series *s, double v)
{
	if (s && s->f->type != STATS_HISTOGRAM)
		s->value = v;
}

void stats_observe(struct stats_series *s, double v)
{
	if (!s || s->f->type != STATS_HISTOGRAM || isnan(v))
		return;
	for (size_t i = 0; i < s->f->n_bounds; i++)
		if (v <= s->f->bounds[i]) {
			s->buckets[i]++;
			break;
		}
	s->count++;
	s->value += v;
}

void stats_hist_set(struct stats_series *s, const unsigned long long *buckets, size_t n,
		    unsigned long long count, double sum)
{
	if (!s || s->f->type != STATS_HISTOGRAM || n != s->f->n_bounds)
		return;
	memcpy(s->buckets, buckets, n * sizeof(buckets[0]));
	s->count = count;
	s->value = sum;
}

double stats_value(const struct stats_series *s) { return s ? s->value : 0; }
unsigned long long stats_hist_count(const struct stats_series *s) { return s ? s->count : 0; }
double stats_hist_sum(const struct stats_series *s) { return s ? s->value : 0; }

void stats_family_collect(struct stats_family *f, stats_collect_h *h, void *arg)
{
	if (!f)
		return;
	f->collect_h = h;
	f->collect_arg = arg;
}

void stats_family_zero(struct stats_family *f)
{
	for (struct stats_series *se = f ? f->series : NULL; se; se = se->next) {
		se->value = 0;
		se->count = 0;
		if (se->buckets)
			memset(se->buckets, 0, f->n_bounds * sizeof(se->buckets[0]));
	}
}

/* A histogram's series: a bucket per bound and +Inf (cumulative, RFC-less
 * but the format's rule), then _sum and _count. */
static int walk_hist(const struct stats_family *f, const struct stats_series *se, stats_sample_h *sh,
		     void *arg)
{
	size_t cap = strlen(se->labels) + 48;
	char *lab = malloc(cap), *name = malloc(strlen(f->name) + 8), le[40];
	unsigned long long cum = 0;
	int rc = 0;

	if (!lab || !name) {
		rc = -ENOMEM;
		goto out;
	}
	sprintf(name, "%s_bucket", f->name);
	for (size_t i = 0; i <= f->n_bounds; i++) {
		if (i < f->n_bounds) {
			cum += se->buckets[i];
			stats_fmt_value(le, sizeof(le), f->bounds[i]);
		} else {
			cum = se->count;	/* +Inf: every observation */
			snprintf(le, sizeof(le), "+Inf");
		}
		snprintf(lab, cap, "%s%sle=\"%s\"", se->labels, *se->labels ? "," : "", le);
		sh(arg, &(struct stats_sample){ .name = name, .labels = lab, .value = (double)cum });
	}
	sprintf(name, "%s_sum", f->name);
	sh(arg, &(struct stats_sample){ .name = name, .labels = se->labels, .value = se->value });
	sprintf(name, "%s_count", f->name);
	sh(arg, &(struct stats_sample){ .name = name, .labels = se->labels, .value = (double)se->count });
out:
	free(lab);
	free(name);
	return rc;
}

int stats_walk(struct stats *s, stats_family_h *fh, stats_sample_h *sh, void *arg)
{
	int rc;

	for (struct stats_family *f = s->families; f; f = f->next)
		if (f->collect_h)
			f->collect_h(f->collect_arg, f);
	for (struct stats_family *f = s->families; f; f = f->next) {
		if (fh)
			fh(arg, f->name, f->help, f->type);
		for (struct stats_series *se = f->series; se; se = se->next) {
			if (f->type == STATS_HISTOGRAM) {
				if ((rc = walk_hist(f, se, sh, arg)))
					return rc;
				continue;
			}
			sh(arg, &(struct stats_sample){ .name = f->name, .labels = se->labels,
							.value = se->value });
		}
	}
	return 0;
}

static void render_family(void *arg, const char *name, const char *help, enum stats_type type)
{
	FILE *out = arg;
	size_t cap = 2 * strlen(help) + 1;
	char *h = malloc(cap);

	fprintf(out, "# HELP %s %s\n", name, h && !escape(h, cap, help, 0) ? h : "");
	fprintf(out, "# TYPE %s %s\n", name, stats_type_name(type));
	free(h);
}

static void render_sample(void *arg, const struct stats_sample *smp)
{
	FILE *out = arg;
	char v[40];

	stats_fmt_value(v, sizeof(v), smp->value);
	if (*smp->labels)
		fprintf(out, "%s{%s} %s\n", smp->name, smp->labels, v);
	else
		fprintf(out, "%s %s\n", smp->name, v);
}

int stats_render(struct stats *s, char **bufp, size_t *lenp)
{
	FILE *out = open_memstream(bufp, lenp);
	int rc;

	if (!out)
		return -ENOMEM;
	rc = stats_walk(s, render_family, render_sample, out);
	if (fclose(out) || rc) {
		free(*bufp);
		*bufp = NULL;
		return rc ? rc : -ENOMEM;
	}
	return 0;
}
