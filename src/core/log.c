/* sipgw - logging by subsystem. SPDX-License-Identifier: GPL-2.0-only */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>

static const char *const ss_names[LSS__COUNT] = {
	[LSS_CORE] = "core", [LSS_Q931] = "q931", [LSS_SIP] = "sip", [LSS_BRIDGE] = "bridge",
	[LSS_DSP] = "dsp", [LSS_RTP] = "rtp", [LSS_SIM] = "sim",
};

static const char *const lvl_names[] = {
	[LOG_LVL_ERROR] = "error", [LOG_LVL_WARN] = "warn", [LOG_LVL_NOTICE] = "notice",
	[LOG_LVL_INFO] = "info", [LOG_LVL_DEBUG] = "debug",
};

/* Process-wide sink settings; set once at start-up, read by every log call. */
enum log_level log_cur_level = LOG_LVL_INFO;
static int use_syslog;

void log_use_syslog(const char *ident)
{
	if (ident) {
		openlog(ident, LOG_PID, LOG_DAEMON);
		use_syslog = 1;
	} else if (use_syslog) {
		closelog();
		use_syslog = 0;
	}
}

void log_set_level(enum log_level lvl) { log_cur_level = lvl; }
enum log_level log_get_level(void) { return log_cur_level; }

const char *log_level_name(enum log_level lvl)
{
	return (unsigned)lvl <= LOG_LVL_DEBUG ? lvl_names[lvl] : "?";
}

int log_level_parse(const char *s, enum log_level *lvlp)
{
	for (unsigned i = 0; i <= LOG_LVL_DEBUG; i++)
		if (!strcasecmp(s, lvl_names[i])) {
			*lvlp = (enum log_level)i;
			return 0;
		}
	return -EINVAL;
}

long long mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

long long mono_ms(void)
{
	return mono_us() / 1000;
}

void log_vprintf(enum log_subsys ss, enum log_level lvl, const char *fmt, va_list ap)
{
	char buf[1024];

	if (lvl > log_cur_level)
		return;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (use_syslog) {
		static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG };
		syslog(prio[lvl], "%s: %s", ss_names[ss], buf);
		return;
	}
	fprintf(stderr, "%lld %s %s: %s\n", mono_ms(), lvl_names[lvl], ss_names[ss], buf);
}

void log_printf(enum log_subsys ss, enum log_level lvl, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vprintf(ss, lvl, fmt, ap);
	va_end(ap);
}

long log_limit_check(struct log_limit *lim, long long now_ms)
{
	long long iv = lim->interval_ms > 0 ? lim->interval_ms : LOG_LIMIT_INTERVAL_MS;
	long n;

	lim->total++;
	if (lim->started && now_ms < lim->next_ms) {
		lim->suppressed++;
		return -1;
	}
	n = (long)lim->suppressed;
	lim->started = 1;
	lim->suppressed = 0;
	lim->next_ms = now_ms + iv;
	return n;
}

void log_limited(struct log_limit *lim, enum log_subsys ss, enum log_level lvl, const char *fmt, ...)
{
	char buf[900];
	va_list ap;
	long n;

	if (lvl > log_cur_level)
		return;
	n = log_limit_check(lim, mono_ms());
	if (n < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		log_printf(ss, lvl, "%s (%ld more like this suppressed)", buf, n);
	else
		log_printf(ss, lvl, "%s", buf);
}
