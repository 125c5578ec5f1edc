/* sipgw - the media threads' own view of their lateness (issue 14 item 4):
 * per thread, the tick lateness histogram and the frames sent late or
 * dropped, in the metrics (sipgw_media_*, label thread) and `show stats`,
 * and one line per thread as sipgw stops. The threads keep the figures
 * (core/media_late.h); the collect hooks copy them at each reading, so a
 * media thread never touches the registry. SPDX-License-Identifier: GPL-2.0-only */
#include "gw.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/stats.h"
#include "core/workpool.h"
#include "q931/pri_internal.h"

/* The DSP pool: a helper thread for each core but the loop's own, the
 * echo cancellers of a span's frames spread over them (span_rx.c). */
#define GW_DSP_MAX_HELPERS 7

static void dsp_start(struct gw *gw)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned helpers = cores > 1 ? (unsigned)(cores - 1) : 0;
	int rc;

	if (helpers > GW_DSP_MAX_HELPERS)
		helpers = GW_DSP_MAX_HELPERS;
	if ((rc = workpool_alloc(&gw->dsp, helpers))) {
		LOGW(LSS_CORE, "DSP pool: %s: the cancellers run on the loop alone", strerror(-rc));
		gw->dsp = NULL;
		return;
	}
	span_dsp_pool_set(gw->dsp);
	LOGI(LSS_CORE, "DSP pool: %u helper thread(s) beside the loop (the cancellers of a span's frames)", helpers);
}

void gw_media_init(struct gw *gw)
{
	dsp_start(gw);
	for (int i = 0; i < GW_MEDIA_THREADS; i++) {
		char name[16];

		snprintf(name, sizeof(name), "media%d", i);
		media_late_init(&gw->media_late[i], name);
	}
}

static void collect_lateness(void *arg, struct stats_family *f)
{
	struct gw *gw = arg;

	for (int i = 0; i < GW_MEDIA_THREADS; i++) {
		struct media_late ml;
		unsigned long long n = 0;

		media_late_read(&gw->media_late[i], &ml);
		for (size_t b = 0; b <= MEDIA_LATE_N_BOUNDS; b++)
			n += ml.buckets[b];
		stats_hist_set(stats_series1(f, ml.thread), ml.buckets, MEDIA_LATE_N_BOUNDS, n,
			       ml.sum_ns / 1e9);
	}
}

/* which: 0 frames, 1 late; per direction: to_pri the B-channel frames the
 * ticks sent, to_sip those from the line that went on to the SIP side */
static void collect_dir(struct gw *gw, struct stats_family *f, int which)
{
	for (int i = 0; i < GW_MEDIA_THREADS; i++) {
		struct media_late ml;
		struct stats_series *se;

		media_late_read(&gw->media_late[i], &ml);
		if (!stats_series_get(f, &se, (const char *[]){ ml.thread, "to_pri", NULL }))
			stats_set(se, (double)(which ? ml.late : ml.frames));
		if (!stats_series_get(f, &se, (const char *[]){ ml.thread, "to_sip", NULL }))
			stats_set(se, (double)(which ? ml.rx_late : ml.rx_frames));
	}
}

static void collect_frames(void *arg, struct stats_family *f) { collect_dir(arg, f, 0); }
static void collect_late(void *arg, struct stats_family *f) { collect_dir(arg, f, 1); }

static void collect_dropped(void *arg, struct stats_family *f)
{
	struct gw *gw = arg;

	for (int i = 0; i < GW_MEDIA_THREADS; i++) {
		struct media_late ml;

		media_late_read(&gw->media_late[i], &ml);
		stats_set(stats_series1(f, ml.thread), (double)ml.dropped);
	}
}

int gw_media_register(struct gw *gw)
{
	static const struct {
		const char *name, *help;
		stats_collect_h *h;
		const char *label2;
	} counters[] = {
		{ "sipgw_media_frames_total",
		  "B-channel frames: to_pri sent by the media ticks, to_sip heard on the line and passed on",
		  collect_frames, "direction" },
		{ "sipgw_media_frames_late_total",
		  "Frames more than 10 ms (half a frame) late: to_pri sent on a tick that late, to_sip "
		  "waited that long in sipgw's socket before going on", collect_late, "direction" },
		{ "sipgw_media_frames_dropped_total",
		  "Frames due and not sent (the span's socket or card buffer full, ticks a card lost) or "
		  "thrown away from a full queue", collect_dropped, NULL },
	};
	int rc;

	if ((rc = stats_family_add(gw->stats, NULL, &(struct stats_family_params){
		     .name = "sipgw_media_tick_lateness_seconds",
		     .help = "How late each 20 ms media tick ran against its ideal time (CLOCK_MONOTONIC)",
		     .type = STATS_HISTOGRAM, .labels = { "thread" },
		     .bounds = media_late_bounds, .n_bounds = MEDIA_LATE_N_BOUNDS,
		     .collect_h = collect_lateness, .collect_arg = gw })))
		return rc;
	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
		if ((rc = stats_family_add(gw->stats, NULL, &(struct stats_family_params){
			     .name = counters[i].name, .help = counters[i].help, .type = STATS_COUNTER,
			     .labels = { "thread", counters[i].label2 }, .collect_h = counters[i].h,
			     .collect_arg = gw })))
			return rc;
	return 0;
}

void gw_media_summary(struct gw *gw)
{
	for (int i = 0; i < GW_MEDIA_THREADS; i++) {
		struct media_late ml;
		char line[256];

		media_late_read(&gw->media_late[i], &ml);
		media_late_format(&ml, line, sizeof(line));
		LOGN(LSS_CORE, "media thread %s", line);
	}
	if (gw->dsp) {
		unsigned long jobs, by_helpers;

		workpool_counts(gw->dsp, &jobs, &by_helpers);
		LOGN(LSS_CORE, "DSP pool: %u helper(s), %lu frames through a canceller in batches, %lu of them on a helper",
		     workpool_threads(gw->dsp), jobs, by_helpers);
		span_dsp_pool_set(NULL);
		workpool_free(gw->dsp);
		gw->dsp = NULL;
	}
}
