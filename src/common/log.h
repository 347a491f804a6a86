/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_LOG_H
#define SL_LOG_H

/**
 * @file
 * Logging for the control side (main thread, helpers). One module name per
 * subsystem ("ctl", "ng", "sdp", "dp", "cfg"...). Lines go to stderr when
 * --log-stderr or --foreground is set, otherwise to syslog. The data plane
 * never logs per packet: it uses SL_LOG_RL (rate limited per call site).
 */

#include <stdarg.h>
#include <stdint.h>

/* syslog levels */
enum sl_log_level {
	SL_LOG_ERR = 3,
	SL_LOG_WARNING = 4,
	SL_LOG_NOTICE = 5,
	SL_LOG_INFO = 6,
	SL_LOG_DEBUG = 7,
};

/**
 * Configure the sink.
 * @param level  highest level printed (3..7)
 * @param to_stderr  non-zero: stderr; zero: syslog(LOG_DAEMON)
 */
void sl_log_init(int level, int to_stderr);

/** @return non-zero if a message at @p level would be printed. */
int sl_log_enabled(int level);

void sl_log(int level, const char *module, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void sl_vlog(int level, const char *module, const char *fmt, va_list ap);

/**
 * Rate-limited log: at most one line per second per call site, with the
 * number of suppressed lines appended. Lock-free per call site only in the
 * sense that a lost update merely prints one line too many or too few.
 */
#define SL_LOG_RL(level, module, ...)                                                              \
	do {                                                                                       \
		static uint64_t sl_rl_last_s_, sl_rl_suppressed_;                                   \
		sl_log_ratelimited(&sl_rl_last_s_, &sl_rl_suppressed_, level, module, __VA_ARGS__);  \
	} while (0)

void sl_log_ratelimited(uint64_t *last_s, uint64_t *suppressed, int level, const char *module,
	const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#define SL_ERR(mod, ...) sl_log(SL_LOG_ERR, mod, __VA_ARGS__)
#define SL_WARN(mod, ...) sl_log(SL_LOG_WARNING, mod, __VA_ARGS__)
#define SL_NOTICE(mod, ...) sl_log(SL_LOG_NOTICE, mod, __VA_ARGS__)
#define SL_INFO(mod, ...) sl_log(SL_LOG_INFO, mod, __VA_ARGS__)
#define SL_DEBUG(mod, ...)                                                                         \
	do {                                                                                       \
		if (sl_log_enabled(SL_LOG_DEBUG))                                                  \
			sl_log(SL_LOG_DEBUG, mod, __VA_ARGS__);                                    \
	} while (0)

#endif /* SL_LOG_H */
