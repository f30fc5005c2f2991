/*
 * log.c - operator log with per-reason rate limiting.
 */
#include "core/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static struct vs_log_conf log_conf = {VS_LOG_INFO, false, LOG_DAEMON, 10};
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_uint_fast64_t suppressed_total;

/* Rate-limit slots, one per reason string (compared by address). */
#define LIMIT_SLOTS 64
struct limit_slot {
	const char *reason;
	time_t window;	/* second this window started */
	uint32_t count; /* lines in this window */
	uint64_t held;	/* lines held back, not yet reported */
};
static struct limit_slot limits[LIMIT_SLOTS];

static const char *const level_names[] = {"error", "warning", "notice",
					  "info", "debug"};
static const int level_prio[] = {LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO,
				 LOG_DEBUG};

void vs_log_configure(const struct vs_log_conf *conf)
{
	pthread_mutex_lock(&log_lock);
	if (log_conf.syslog && (!conf->syslog || conf->facility != log_conf.facility))
		closelog();
	if (conf->syslog && (!log_conf.syslog || conf->facility != log_conf.facility))
		openlog("voipshield", LOG_PID | LOG_NDELAY, conf->facility);
	log_conf = *conf;
	pthread_mutex_unlock(&log_lock);
}

bool vs_log_enabled(enum vs_log_level level)
{
	return level <= __atomic_load_n(&log_conf.level, __ATOMIC_RELAXED);
}

/* Caller holds log_lock. */
__attribute__((format(printf, 3, 0))) static void emit(enum vs_log_level level, const char *suffix, const char *fmt,
		 va_list ap)
{
	char line[2048];
	int n = vsnprintf(line, sizeof(line), fmt, ap);

	if (n < 0)
		return;
	/* Never let control characters from the network reach a terminal. */
	for (char *c = line; *c; c++) {
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	}
	if (log_conf.syslog) {
		syslog(level_prio[level], "%s%s", line, suffix);
	} else {
		struct timespec ts;
		struct tm tm;
		char stamp[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ldZ voipshield[%d] %s: %s%s\n", stamp,
			ts.tv_nsec / 1000000, (int)getpid(),
			level_names[level], line, suffix);
	}
}

void vs_log(enum vs_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (!vs_log_enabled(level))
		return;
	pthread_mutex_lock(&log_lock);
	va_start(ap, fmt);
	emit(level, "", fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&log_lock);
}

void vs_log_limited(enum vs_log_level level, const char *reason,
		    const char *fmt, ...)
{
	struct limit_slot *slot = NULL;
	time_t now = time(NULL);
	uintptr_t h = ((uintptr_t)reason >> 3) % LIMIT_SLOTS;
	char suffix[80] = "";
	va_list ap;

	if (!vs_log_enabled(level))
		return;
	pthread_mutex_lock(&log_lock);
	for (int i = 0; i < LIMIT_SLOTS; i++) {
		struct limit_slot *s = &limits[(h + (uintptr_t)i) % LIMIT_SLOTS];
		if (s->reason == reason || s->reason == NULL) {
			slot = s;
			break;
		}
	}
	if (slot) {
		if (!slot->reason || slot->window != now) {
			slot->reason = reason;
			slot->window = now;
			slot->count = 0;
		}
		if (slot->count >= log_conf.rate) {
			slot->held++;
			atomic_fetch_add(&suppressed_total, 1);
			pthread_mutex_unlock(&log_lock);
			return;
		}
		slot->count++;
		if (slot->held) {
			snprintf(suffix, sizeof(suffix),
				 " (%llu similar lines suppressed)",
				 (unsigned long long)slot->held);
			slot->held = 0;
		}
	}
	va_start(ap, fmt);
	emit(level, suffix, fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&log_lock);
}

uint64_t vs_log_suppressed_total(void)
{
	return atomic_load(&suppressed_total);
}

int vs_log_level_parse(const char *name, enum vs_log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]);
	     i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*out = (enum vs_log_level)i;
			return 0;
		}
	}
	return EINVAL;
}

int vs_log_facility_parse(const char *name, int *out)
{
	static const struct {
		const char *name;
		int fac;
	} fac[] = {{"daemon", LOG_DAEMON}, {"user", LOG_USER},
		   {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1},
		   {"local2", LOG_LOCAL2}, {"local3", LOG_LOCAL3},
		   {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5},
		   {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7}};
	for (size_t i = 0; i < sizeof(fac) / sizeof(fac[0]); i++) {
		if (strcmp(name, fac[i].name) == 0) {
			*out = fac[i].fac;
			return 0;
		}
	}
	return EINVAL;
}
