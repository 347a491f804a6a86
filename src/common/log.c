/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "common/log.h"

static int log_level = SL_LOG_INFO;
static int log_stderr = 1;

static const char *const level_names[8] = {
	"EMERG", "ALERT", "CRIT", "ERR", "WARNING", "NOTICE", "INFO", "DEBUG",
};

void
sl_log_init(int level, int to_stderr)
{
	if (level < SL_LOG_ERR)
		level = SL_LOG_ERR;
	if (level > SL_LOG_DEBUG)
		level = SL_LOG_DEBUG;
	log_level = level;
	log_stderr = to_stderr;
	if (!to_stderr)
		openlog("sluice", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

int
sl_log_enabled(int level)
{
	return level <= log_level;
}

void
sl_vlog(int level, const char *module, const char *fmt, va_list ap)
{
	char msg[1024];

	if (level > log_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_stderr) {
		struct timespec ts;
		struct tm tm;

		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		fprintf(stderr, "%02d:%02d:%02d.%03ld [%s] %s: %s\n", tm.tm_hour, tm.tm_min,
			tm.tm_sec, ts.tv_nsec / 1000000, level_names[level & 7], module, msg);
	} else {
		syslog(level, "[%s] %s: %s", level_names[level & 7], module, msg);
	}
}

void
sl_log(int level, const char *module, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sl_vlog(level, module, fmt, ap);
	va_end(ap);
}

void
sl_log_ratelimited(uint64_t *last_s, uint64_t *suppressed, int level, const char *module,
	const char *fmt, ...)
{
	struct timespec ts;
	va_list ap;
	uint64_t now;

	if (level > log_level)
		return;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	now = (uint64_t)ts.tv_sec;
	if (*last_s == now) {
		(*suppressed)++;
		return;
	}
	*last_s = now;
	va_start(ap, fmt);
	sl_vlog(level, module, fmt, ap);
	va_end(ap);
	if (*suppressed) {
		sl_log(level, module, "(%llu similar messages suppressed)",
			(unsigned long long)*suppressed);
		*suppressed = 0;
	}
}
