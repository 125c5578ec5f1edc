/* sipgw - logging by subsystem. SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_CORE_LOG_H
#define SIPGW_CORE_LOG_H

#include <stdarg.h>

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_NOTICE, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* Subsystems; every log line names one. */
enum log_subsys { LSS_CORE, LSS_Q931, LSS_SIP, LSS_BRIDGE, LSS_DSP, LSS_RTP, LSS_SIM, LSS__COUNT };

/** Send logs to syslog (ident) instead of stderr; NULL returns to stderr. */
void log_use_syslog(const char *ident);
/** Lines above this level are dropped. */
void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);
const char *log_level_name(enum log_level lvl);
/** Parse "error".."debug"; returns -EINVAL for anything else. */
int log_level_parse(const char *s, enum log_level *lvlp);

void log_printf(enum log_subsys ss, enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void log_vprintf(enum log_subsys ss, enum log_level lvl, const char *fmt, va_list ap);

/* The level, read by the macros below before anything else: a line above
 * it costs a compare, not its arguments (call_describe(), a leg's
 * describe() are a snprintf each, on every call's path). Set it with
 * log_set_level(). So no argument of a LOGx() may have a side effect. */
extern enum log_level log_cur_level;
#define LOG_ON(lvl) ((lvl) <= log_cur_level)

#define LOG_AT(ss, lvl, ...) (LOG_ON(lvl) ? log_printf(ss, lvl, __VA_ARGS__) : (void)0)
#define LOGE(ss, ...) LOG_AT(ss, LOG_LVL_ERROR, __VA_ARGS__)
#define LOGW(ss, ...) LOG_AT(ss, LOG_LVL_WARN, __VA_ARGS__)
#define LOGN(ss, ...) LOG_AT(ss, LOG_LVL_NOTICE, __VA_ARGS__)
#define LOGI(ss, ...) LOG_AT(ss, LOG_LVL_INFO, __VA_ARGS__)
#define LOGD(ss, ...) LOG_AT(ss, LOG_LVL_DEBUG, __VA_ARGS__)

/** Microseconds on CLOCK_MONOTONIC: comparable between processes on one host. */
long long mono_us(void);
/** Milliseconds on the same clock (mono_us() / 1000). */
long long mono_ms(void);

/* Rate-limited lines, for warnings one peer can repeat at packet rate (a
 * flood of bad datagrams, libpri's error callback): the first line goes out
 * at once, then at most one per interval, which also says how many like it
 * were suppressed since the last. One struct log_limit per kind of line,
 * zero-initialised or LOG_LIMIT_INIT; the owner keeps it (static for a
 * call site, in a struct for one line per object). */
#define LOG_LIMIT_INTERVAL_MS 2000

struct log_limit {
	long long interval_ms;		/* 0: LOG_LIMIT_INTERVAL_MS */
	long long next_ms;		/* no line before this */
	unsigned long suppressed;	/* since the last line */
	unsigned long total;		/* every occurrence, printed or not */
	int started;
};

#define LOG_LIMIT_INIT(ms) { .interval_ms = (ms) }

/** Count one occurrence at now_ms. Returns the number suppressed since the
 * last line (>= 0) when this one is to be printed, -1 when it is suppressed. */
long log_limit_check(struct log_limit *lim, long long now_ms);
/** Print fmt through lim (at mono_ms()), with " (N more like this
 * suppressed)" appended when N > 0. A line above the log level is not
 * counted as printed. */
void log_limited(struct log_limit *lim, enum log_subsys ss, enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#define LOGW_LIMIT(lim, ss, ...) (LOG_ON(LOG_LVL_WARN) ? log_limited(lim, ss, LOG_LVL_WARN, __VA_ARGS__) : (void)0)
#define LOGN_LIMIT(lim, ss, ...) (LOG_ON(LOG_LVL_NOTICE) ? log_limited(lim, ss, LOG_LVL_NOTICE, __VA_ARGS__) : (void)0)
#define LOGI_LIMIT(lim, ss, ...) (LOG_ON(LOG_LVL_INFO) ? log_limited(lim, ss, LOG_LVL_INFO, __VA_ARGS__) : (void)0)

#endif
