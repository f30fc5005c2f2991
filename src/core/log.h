/*
 * log.h - operator log: levels, stderr or syslog, and per-reason rate
 * limiting so that a flood of bad packets cannot flood the log.
 *
 * Library code (parsers, builders) never logs: it returns errors and the
 * daemon decides what an operator should read.
 */
#ifndef VS_CORE_LOG_H
#define VS_CORE_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum vs_log_level {
	VS_LOG_ERR = 0,
	VS_LOG_WARN,
	VS_LOG_NOTICE,
	VS_LOG_INFO,
	VS_LOG_DEBUG,
};

struct vs_log_conf {
	enum vs_log_level level;
	bool syslog;	    /* false: stderr */
	int facility;	    /* LOG_DAEMON, LOG_LOCAL0... */
	uint32_t rate;	    /* lines per second per reason */
};

void vs_log_configure(const struct vs_log_conf *conf);
bool vs_log_enabled(enum vs_log_level level);

void vs_log(enum vs_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Like vs_log, but at most conf.rate lines per second for one reason (a
 * static string such as "parse-error"); the number of lines held back is
 * reported with the next line that gets through.
 */
void vs_log_limited(enum vs_log_level level, const char *reason,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Lines held back by rate limiting since start (all reasons). */
uint64_t vs_log_suppressed_total(void);

int vs_log_level_parse(const char *name, enum vs_log_level *out);
int vs_log_facility_parse(const char *name, int *out);

#endif
