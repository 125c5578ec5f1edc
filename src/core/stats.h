/* sipgw - a small registry of counters, gauges and histograms (Debian has
 * no C Prometheus client), rendered as the Prometheus text exposition
 * format 0.0.4 (metrics_http.c) and walked by `sipgwctl show stats`, so
 * both show the same figures. Each family has a name, a help line and a
 * fixed list of label names; a series is one set of label values. A family
 * may have a collect hook that sets its series just before each reading
 * (a gauge read from a module's state: channels busy, registrations).
 * Every update accepts a NULL series, so a module runs without a registry.
 * One thread (the event loop): no locking. SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_CORE_STATS_H
#define SIPGW_CORE_STATS_H

#include <stddef.h>

struct stats;
struct stats_family;
struct stats_series;

enum stats_type { STATS_COUNTER, STATS_GAUGE, STATS_HISTOGRAM };

#define STATS_MAX_LABELS 4	/* label names per family */
#define STATS_MAX_BUCKETS 24	/* histogram upper bounds, +Inf not counted */
#define STATS_MAX_SERIES 256	/* label sets per family: a bound on what peers can make us keep */

/** Called before a reading: set the family's series from the module's state. */
typedef void (stats_collect_h)(void *arg, struct stats_family *f);

struct stats_family_params {
	const char *name;	/* [a-zA-Z_:][a-zA-Z0-9_:]*, counters end in _total */
	const char *help;
	enum stats_type type;
	const char *labels[STATS_MAX_LABELS + 1];	/* label names, NULL-ended ("le" is the histogram's) */
	const double *bounds;	/* histogram: ascending finite upper bounds */
	size_t n_bounds;
	stats_collect_h *collect_h;	/* NULL: updated as things happen */
	void *collect_arg;
};

int stats_alloc(struct stats **sp);
void stats_free(struct stats *s);

/** A new family in s (kept in the order added). 0, -EINVAL (a bad name,
 * label or bounds), -EEXIST (the name is taken) or -ENOMEM. fp may be NULL. */
int stats_family_add(struct stats *s, struct stats_family **fp, const struct stats_family_params *p);
/** The series of f with these label values (as many as f has label names;
 * NULL for none), made at 0 the first time. 0, -EINVAL, -ENOSPC (past
 * STATS_MAX_SERIES) or -ENOMEM. */
int stats_series_get(struct stats_family *f, struct stats_series **sp, const char *const *values);
/** The same for a family with one label, or none (value NULL): the series, or NULL on error. */
struct stats_series *stats_series1(struct stats_family *f, const char *value);

/** Counter up by v (v >= 0; a negative v is ignored). */
void stats_add(struct stats_series *s, double v);
static inline void stats_inc(struct stats_series *s) { stats_add(s, 1); }
/** Gauge (or, from a collect hook, counter) set to v. */
void stats_set(struct stats_series *s, double v);
/** Histogram: one observation of v. */
void stats_observe(struct stats_series *s, double v);
/** Histogram, from a collect hook: a module that keeps its own histogram
 * (on another thread, core/media_late.h) sets it whole. buckets[i] counts
 * the observations <= bounds[i] and above the bound before (not
 * cumulative), one per bound of the family (n must be its n_bounds); count
 * includes those above the last bound. */
void stats_hist_set(struct stats_series *s, const unsigned long long *buckets, size_t n,
		    unsigned long long count, double sum);
double stats_value(const struct stats_series *s);
/** Histogram: observations so far, and their sum. */
unsigned long long stats_hist_count(const struct stats_series *s);
double stats_hist_sum(const struct stats_series *s);
/** Set (or with h NULL, remove) f's collect hook: its owner goes before the registry. */
void stats_family_collect(struct stats_family *f, stats_collect_h *h, void *arg);
/** Every series of f back to 0 (a collect hook that counts afresh). */
void stats_family_zero(struct stats_family *f);

/* ---- reading: one walk for the exposition and for show stats */

struct stats_sample {
	const char *name;	/* family name with _bucket, _sum or _count for a histogram */
	const char *labels;	/* name="value",... escaped as the exposition writes it; "" none */
	double value;
};
/** A family as it starts (HELP and TYPE). */
typedef void (stats_family_h)(void *arg, const char *name, const char *help, enum stats_type type);
typedef void (stats_sample_h)(void *arg, const struct stats_sample *smp);

/** Run the collect hooks, then visit every family (fh may be NULL) and
 * every sample, in order; a histogram's buckets cumulative, +Inf last. */
int stats_walk(struct stats *s, stats_family_h *fh, stats_sample_h *sh, void *arg);
/** The whole registry as Prometheus text format 0.0.4 into a malloc'd
 * buffer (*bufp, *lenp; the caller frees). 0 or -ENOMEM. */
int stats_render(struct stats *s, char **bufp, size_t *lenp);
const char *stats_type_name(enum stats_type t);

/* ---- the exposition's text rules, exposed for tests */

/** value as the format writes it: shortest round-trip decimal, +Inf, -Inf, NaN. */
void stats_fmt_value(char *out, size_t outlen, double v);
/** A label value escaped (\\, \", \n) into out; -ENOSPC when it does not fit. */
int stats_escape_label(char *out, size_t outlen, const char *value);
/** True for a valid metric name / label name. */
int stats_valid_name(const char *name);
int stats_valid_label(const char *name);

#endif
