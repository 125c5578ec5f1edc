/* sipgw - media clock lateness: the accounting (media_late.h).
 * SPDX-License-Identifier: GPL-2.0-only */
#include "core/media_late.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

const double media_late_bounds[MEDIA_LATE_N_BOUNDS] = {
	0.00005, 0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005,
	0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1,
};

#define LD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define ST(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

long long media_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void media_clock_start(struct media_clock *c, unsigned period_ms, unsigned drift_ppm)
{
	c->period_ns = (long long)period_ms * 1000000LL;
	c->ideal_ns = 0;
	c->creep_ns = c->period_ns * drift_ppm / 1000000;
	c->last_late_ns = 0;
	c->started = 0;
}

long long media_clock_tick(struct media_clock *c, long long now_ns, unsigned *missedp)
{
	long long late = now_ns - c->ideal_ns;
	unsigned missed = 0;

	if (!c->started) {
		c->started = 1;
		late = -1;	/* taken as early: now is the reference */
	}

	/* A hardware clock (one that drifts) can lose ticks; a software
	 * ticker owes every one. Owed ticks run back to back, each a period
	 * less late than the one before; a tick a period or more late that
	 * is not less late than the one before by half a period comes at the
	 * clock's own rate again: the ticks in between are lost, not owed.
	 * Rounded: what is left of a period is the card's phase (early, so
	 * taken as the reference below). */
	if (c->creep_ns && late >= c->period_ns && c->last_late_ns >= c->period_ns &&
	    late > c->last_late_ns - c->period_ns / 2) {
		missed = (unsigned)((late + c->period_ns / 2) / c->period_ns);
		c->ideal_ns += missed * c->period_ns;
		late -= missed * c->period_ns;
	}
	if (missedp)
		*missedp = missed;
	if (late < 0) {
		/* early: the clock runs ahead of our idea of it (or the loop
		 * ticked before the time we read at start); it is the reference */
		c->ideal_ns = now_ns;
		late = 0;
	} else if (c->creep_ns) {
		c->ideal_ns += late < c->creep_ns ? late : c->creep_ns;
	}
	/* A late tick does not move the next one: the ticks a stalled loop
	 * owes come one after another (the loop's timerfd clock runs them
	 * back to back; a card's blocks wait in its buffer), each as late as
	 * it really is. */
	c->ideal_ns += c->period_ns;
	c->last_late_ns = late;
	return late;
}

void media_late_init(struct media_late *ml, const char *thread)
{
	memset(ml, 0, sizeof(*ml));
	snprintf(ml->thread, sizeof(ml->thread), "%s", thread);
}

void media_late_tick(struct media_late *ml, long long late_ns, unsigned frames)
{
	double s = late_ns / 1e9;
	size_t b = 0;

	if (!ml)
		return;
	while (b < MEDIA_LATE_N_BOUNDS && s > media_late_bounds[b])
		b++;
	/* one writer: plain read-modify-write, stored whole for the readers */
	ST(ml->buckets[b], ml->buckets[b] + 1);
	ST(ml->ticks, ml->ticks + 1);
	ST(ml->frames, ml->frames + frames);
	if (late_ns > MEDIA_LATE_NS)
		ST(ml->late, ml->late + frames);
	ST(ml->sum_ns, ml->sum_ns + late_ns);
	if (late_ns > ml->max_ns)
		ST(ml->max_ns, late_ns);
}

void media_late_drop(struct media_late *ml, unsigned n)
{
	if (ml)
		ST(ml->dropped, ml->dropped + n);
}

void media_late_rx(struct media_late *ml, long long waited_ns)
{
	if (!ml)
		return;
	ST(ml->rx_frames, ml->rx_frames + 1);
	if (waited_ns > MEDIA_LATE_NS)
		ST(ml->rx_late, ml->rx_late + 1);
}

void media_late_read(const struct media_late *ml, struct media_late *out)
{
	memcpy(out->thread, ml->thread, sizeof(out->thread));
	out->ticks = LD(ml->ticks);
	out->frames = LD(ml->frames);
	out->late = LD(ml->late);
	out->dropped = LD(ml->dropped);
	out->rx_frames = LD(ml->rx_frames);
	out->rx_late = LD(ml->rx_late);
	out->sum_ns = LD(ml->sum_ns);
	out->max_ns = LD(ml->max_ns);
	for (size_t i = 0; i <= MEDIA_LATE_N_BOUNDS; i++)
		out->buckets[i] = LD(ml->buckets[i]);
}

double media_late_quantile(const struct media_late *ml, double q)
{
	unsigned long long total = 0, seen = 0;
	double rank, lo = 0, max = ml->max_ns / 1e9;

	for (size_t i = 0; i <= MEDIA_LATE_N_BOUNDS; i++)
		total += ml->buckets[i];
	if (!total)
		return 0;
	rank = q * total;
	for (size_t i = 0; i <= MEDIA_LATE_N_BOUNDS; i++) {
		unsigned long long n = ml->buckets[i];
		double hi = i < MEDIA_LATE_N_BOUNDS ? media_late_bounds[i] : max;

		/* no quantile is past the largest value seen */
		if (hi > max)
			hi = max;
		if (n && seen + n >= rank)
			return lo + (hi - lo) * (rank - seen) / n;
		seen += n;
		if (i < MEDIA_LATE_N_BOUNDS)
			lo = media_late_bounds[i];
		if (lo > max)
			lo = max;
	}
	return max;
}

void media_late_format(const struct media_late *ml, char *buf, size_t len)
{
	snprintf(buf, len,
		 "%s: %llu ticks, lateness p50 %.3f ms p99 %.3f ms max %.3f ms, %llu of %llu frames late (>%lld ms), %llu dropped; "
		 "from the line %llu of %llu frames late",
		 ml->thread, ml->ticks, media_late_quantile(ml, 0.5) * 1e3, media_late_quantile(ml, 0.99) * 1e3,
		 ml->max_ns / 1e6, ml->late, ml->frames, MEDIA_LATE_NS / 1000000, ml->dropped, ml->rx_late,
		 ml->rx_frames);
}
