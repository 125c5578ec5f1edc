/* sipgw - how late the media clocks run, measured by sipgw itself (issue 14
 * item 4): per media thread ("media0" today; the worker threads of the
 * media engine each get their own), a histogram of tick lateness against
 * each clock's ideal time on CLOCK_MONOTONIC, the frames sent on a late
 * tick and the frames dropped (due and not sent, a queue overflow).
 *
 * Written by its one media thread only, read by anyone (metrics, the exit
 * summary) with relaxed atomic loads: a reading may be a tick behind, never
 * torn. No allocation, no syscall: the caller passes the time it read.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_CORE_MEDIA_LATE_H
#define SIPGW_CORE_MEDIA_LATE_H

#include <stddef.h>

/* A frame is 20 ms; one sent more than half a frame after its ideal time has
 * used up the far end's slack: a card's (or a loopback far end's) 20 ms
 * read sees a gap or two frames at once, a jitter buffer at its usual depth
 * of one or two frames plays concealment. */
#define MEDIA_LATE_NS 10000000LL

/* Histogram upper bounds in seconds (the metric's "le"), a 1-2-5 series from
 * 50 us (the scheduler's noise on an idle box) to 1 s (a stalled loop). */
#define MEDIA_LATE_N_BOUNDS 14
extern const double media_late_bounds[MEDIA_LATE_N_BOUNDS];

/** One media clock's ideal times: start + n * period. A clock that comes
 * early moves its ideal time back to now (a card's crystal faster than the
 * CPU's); drift_ppm lets a late clock's ideal time creep forward that much
 * per tick (a card's crystal slower): 0 for a software ticker that keeps
 * its phase (loop_ticker) and owes every tick; a clock with drift_ppm is a
 * card's, which may also lose ticks (media_clock_tick). */
struct media_clock {
	long long ideal_ns;	/* when the next tick is due */
	long long period_ns;
	long long creep_ns;	/* drift_ppm of period_ns */
	long long last_late_ns;	/* the previous tick's lateness */
	int started;		/* ideal_ns is set: a tick ran */
};

struct media_late {
	char thread[16];	/* "media0": the metric's thread label */
	unsigned long long ticks;
	unsigned long long frames;	/* sent on a tick (one per channel in a call) */
	unsigned long long late;	/* of them, on a tick later than MEDIA_LATE_NS */
	unsigned long long dropped;	/* due and not sent, or thrown away from a full queue */
	/* the other way: frames from the line that went on to the call's other
	 * side (RTP), and those that had waited more than MEDIA_LATE_NS in
	 * sipgw's socket before they did (the loop was busy or stalled) */
	unsigned long long rx_frames, rx_late;
	long long sum_ns, max_ns;
	unsigned long long buckets[MEDIA_LATE_N_BOUNDS + 1];	/* per bound, not cumulative; +Inf last */
};

/** A clock of period_ms. Its first tick is the reference (0 late): the
 * start-up of the other parts may keep the loop from the first ticks,
 * which is no lateness of a call's audio. */
void media_clock_start(struct media_clock *c, unsigned period_ms, unsigned drift_ppm);
/** A tick ran at now_ns: how late it is (>= 0, ns), and the next one's due
 * time. *missedp (may be NULL): ticks the clock has lost, not owed: a card
 * whose buffers overran while the loop stalled delivers what it kept, then
 * goes on at its rate; its ticks stay a period or more late by the same
 * amount instead of catching up, so the ideal time jumps over the lost
 * ones (whose frames were never sent). */
long long media_clock_tick(struct media_clock *c, long long now_ns, unsigned *missedp);

void media_late_init(struct media_late *ml, const char *thread);
/** A tick late_ns late sent frames frames. ml may be NULL. */
void media_late_tick(struct media_late *ml, long long late_ns, unsigned frames);
/** n frames were due and not sent (a failed write, a full queue). ml may be NULL. */
void media_late_drop(struct media_late *ml, unsigned n);

/** A frame from the line went on after waiting waited_ns for the media
 * thread. ml may be NULL. */
void media_late_rx(struct media_late *ml, long long waited_ns);
/** A consistent-enough copy for a reader on another thread. */
void media_late_read(const struct media_late *ml, struct media_late *out);
/** The q-quantile (0..1) of the lateness in seconds, from the histogram
 * (linear within a bucket, as Prometheus's histogram_quantile; the max
 * for the +Inf bucket); 0 with no ticks. */
double media_late_quantile(const struct media_late *ml, double q);
/** The exit summary's line: "media0: 1500 ticks, lateness p50 0.1 ms p99
 * 0.4 ms max 1.2 ms, 0 of 45000 frames late (>10 ms), 0 dropped; from the
 * line 0 of 45000 frames late". */
void media_late_format(const struct media_late *ml, char *buf, size_t len);

/** CLOCK_MONOTONIC in ns (vDSO: no system call). */
long long media_now_ns(void);

#endif
