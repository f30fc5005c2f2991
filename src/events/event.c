/*
 * event.c - security events as JSON lines (see event.h).
 */
#include "events/event.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "core/mbuf.h"

static const char *const names[] = {
#define X(id, name) name,
	VS_EVENT_LIST(X)
#undef X
};

const char *vs_event_name(enum vs_event_type t)
{
	return (unsigned)t < VS_EVENT_COUNT ? names[t] : "unknown";
}

static int open_file(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);

	if (fd < 0)
		snprintf(err, errlen,
			 "cannot open the events file %s: %s (check events.file and the directory's owner)",
			 path, strerror(errno));
	return fd;
}

int vs_events_open(struct vs_events *ev, const char *path, bool use_syslog,
		   char *err, size_t errlen)
{
	memset(ev, 0, sizeof(*ev));
	ev->fd = -1;
	ev->syslog = use_syslog;
	if (path && *path) {
		ev->fd = open_file(path, err, errlen);
		if (ev->fd < 0)
			return -1;
	}
	return 0;
}

int vs_events_reopen(struct vs_events *ev, const char *path, bool use_syslog,
		     char *err, size_t errlen)
{
	ev->syslog = use_syslog;
	if (!path || !*path) {
		/* Keep the descriptor number valid for racing writers:
		 * point it at /dev/null rather than closing it. */
		if (ev->fd >= 0) {
			int nul = open("/dev/null", O_WRONLY | O_CLOEXEC);
			if (nul >= 0) {
				dup2(nul, ev->fd);
				close(nul);
			}
		}
		return 0;
	}
	int fd = open_file(path, err, errlen);
	if (fd < 0)
		return -1;
	if (ev->fd < 0) {
		ev->fd = fd;
		return 0;
	}
	/* dup2 swaps the file under the same descriptor atomically. */
	dup3(fd, ev->fd, O_CLOEXEC);
	close(fd);
	return 0;
}

void vs_events_close(struct vs_events *ev)
{
	if (ev->fd >= 0)
		close(ev->fd);
	ev->fd = -1;
}

static void put_escaped(struct mbuf *mb, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			char e[2] = {'\\', (char)c};
			mbuf_put(mb, e, 2);
		} else if (c < 0x20 || c > 0x7e) {
			char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
			mbuf_put(mb, e, 6);
		} else {
			mbuf_put(mb, (const char *)&c, 1);
		}
	}
}

static void put_time(struct mbuf *mb, int64_t ms, bool with_ms)
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;
	char buf[64];

	gmtime_r(&s, &tm);
	if (with_ms)
		snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
	else
		snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02dZ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec);
	mbuf_puts(mb, buf);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t format(const struct vs_event *e, uint64_t suppressed, char *buf,
		     size_t size)
{
	struct mbuf mb;
	char num[48];

	/* Leave room for the closing brace and newline. */
	mbuf_init(&mb, buf, size > 3 ? size - 3 : 0);
	mbuf_puts(&mb, "{\"time\":\"");
	put_time(&mb, e->time_ms ? e->time_ms : now_ms(), true);
	mbuf_puts(&mb, "\",\"event\":\"");
	mbuf_puts(&mb, vs_event_name(e->type));
	mbuf_puts(&mb, "\"");
	if (e->source) {
		mbuf_puts(&mb, ",\"source\":\"");
		put_escaped(&mb, e->source, strlen(e->source));
		mbuf_puts(&mb, "\"");
	}
	if (e->port) {
		snprintf(num, sizeof(num), ",\"port\":%u", e->port);
		mbuf_puts(&mb, num);
	}
	if (e->user) {
		mbuf_puts(&mb, ",\"user\":\"");
		put_escaped(&mb, e->user, e->user_len > 128 ? 128 : e->user_len);
		mbuf_puts(&mb, "\"");
	}
	if (e->reason) {
		mbuf_puts(&mb, ",\"reason\":\"");
		mbuf_puts(&mb, e->reason);
		mbuf_puts(&mb, "\"");
	}
	if (e->until) {
		mbuf_puts(&mb, ",\"until\":\"");
		put_time(&mb, e->until * 1000, false);
		mbuf_puts(&mb, "\"");
	}
	if (suppressed) {
		snprintf(num, sizeof(num), ",\"suppressed\":%llu",
			 (unsigned long long)suppressed);
		mbuf_puts(&mb, num);
	}
	if (e->detail) {
		/* Last, so that a long detail is what gets cut. */
		size_t room = mb.cap > mb.len + 16 ? mb.cap - mb.len - 16 : 0;
		size_t dl = e->detail_len;
		mbuf_puts(&mb, ",\"detail\":\"");
		if (dl * 6 > room)
			dl = room / 6;
		put_escaped(&mb, e->detail, dl);
		mbuf_puts(&mb, "\"");
	}
	/* mbuf never writes past size - 3: close the object. */
	if (mb.overflow || mb.len + 3 > size)
		return 0;
	buf[mb.len++] = '}';
	buf[mb.len++] = '\n';
	buf[mb.len] = 0;
	return mb.len;
}

size_t vs_event_format(const struct vs_event *e, char *buf, size_t size)
{
	return format(e, 0, buf, size);
}

void vs_event_emit(struct vs_events *ev, const struct vs_event *e)
{
	char line[1024];
	int64_t t = e->time_ms ? e->time_ms : now_ms();
	int64_t sec = t / 1000;
	uint64_t held = 0;
	size_t len;
	struct vs_event copy = *e;

	if (ev->fd < 0 && !ev->syslog)
		return;
	if (atomic_load(&ev->second) != sec) {
		atomic_store(&ev->second, sec);
		atomic_store(&ev->in_second, 0);
		held = atomic_exchange(&ev->suppressed, 0);
	}
	if (atomic_fetch_add(&ev->in_second, 1) >= VS_EVENTS_MAX_RATE) {
		atomic_fetch_add(&ev->suppressed, 1);
		return;
	}
	copy.time_ms = t;
	len = format(&copy, held, line, sizeof(line));
	if (!len)
		return;
	if (ev->fd >= 0 && write(ev->fd, line, len) == (ssize_t)len)
		atomic_fetch_add(&ev->written, 1);
	if (ev->syslog) {
		line[len - 1] = 0;
		syslog(LOG_AUTH | LOG_NOTICE, "%s", line);
	}
}
