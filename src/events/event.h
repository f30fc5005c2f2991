/*
 * event.h - security events: one JSON object per line for every security
 * decision, to a file (for fail2ban, SIEMs, jq) and/or syslog.
 *
 *   {"time":"2026-11-22T12:00:00.123Z","event":"ban","source":"192.0.2.7",
 *    "port":5060,"user":"alice","reason":"auth_failures","detail":"...",
 *    "until":"2026-11-22T12:10:00Z"}
 *
 * Fields other than time and event appear only when known.  Text that came
 * from the network (user names, User-Agent) is escaped: control characters
 * and bytes above 0x7e become \u00XX, so a line is always valid JSON and
 * a single line.  The caller limits events per source; this module
 * limits the total to VS_EVENTS_MAX_RATE lines per second and reports
 * how many it held back in the next line ("suppressed").
 */
#ifndef VS_EVENTS_EVENT_H
#define VS_EVENTS_EVENT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VS_EVENTS_MAX_RATE 2000

#define VS_EVENT_LIST(X)                                                       \
	X(BAN, "ban")                                                          \
	X(UNBAN, "unban")                                                      \
	X(AUTH_FAILED, "auth_failed")                                          \
	X(LOCKOUT, "lockout")                                                  \
	X(LOCKED_ATTEMPT, "locked_user_attempt")                               \
	X(SCANNER, "scanner")                                                  \
	X(MALFORMED, "malformed")                                              \
	X(RATE_LIMIT, "rate_limit")                                            \
	X(ZONE_DENY, "zone_deny")                                              \
	X(SPIT, "spit_block")                                                  \
	X(FRAUD, "fraud_limit")                                                \
	X(TLS_FAILURE, "tls_failure")                                          \
	X(MEDIA_INJECTION, "media_injection")

enum vs_event_type {
#define X(id, name) VS_EVENT_##id,
	VS_EVENT_LIST(X)
#undef X
	VS_EVENT_COUNT
};

const char *vs_event_name(enum vs_event_type t);

struct vs_event {
	enum vs_event_type type;
	const char *source; /* address as text, or NULL */
	uint16_t port;	    /* 0: not shown */
	const char *user;   /* from the network: escaped; or NULL */
	size_t user_len;
	const char *reason; /* a fixed word, or NULL */
	const char *detail; /* free text (escaped), or NULL */
	size_t detail_len;
	int64_t until; /* bans and lockouts: Unix time, or 0 */
	int64_t time_ms; /* Unix time in ms; 0 = now */
};

struct vs_events {
	int fd; /* -1: no file */
	bool syslog;
	_Atomic int64_t second;
	_Atomic uint32_t in_second;
	_Atomic uint64_t suppressed;
	_Atomic uint64_t written;
};

/* Open path (created 0640, appended to), or none when path is "".
 * Returns 0, or -1 with a message in err. */
int vs_events_open(struct vs_events *ev, const char *path, bool use_syslog,
		   char *err, size_t errlen);
/* Reopen after the file was rotated or the settings changed; writers on
 * other threads are never left with a closed descriptor. */
int vs_events_reopen(struct vs_events *ev, const char *path, bool use_syslog,
		     char *err, size_t errlen);
void vs_events_close(struct vs_events *ev);

/* Format one event as a JSON line (with the newline).  Returns its length
 * (truncated detail when buf is small). */
size_t vs_event_format(const struct vs_event *e, char *buf, size_t size);
/* Write one event (any thread). */
void vs_event_emit(struct vs_events *ev, const struct vs_event *e);

#endif
