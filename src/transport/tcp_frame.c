/*
 * tcp_frame.c - cut SIP messages out of a byte stream (RFC 3261 18.3).
 */
#include "transport/tcp_frame.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

static bool name_is(const char *p, size_t n, const char *lit)
{
	if (strlen(lit) != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (lower(p[i]) != lit[i])
			return false;
	}
	return true;
}

/*
 * Find Content-Length among the header lines of hdr[0..len) (which ends
 * just before the empty line).  Returns 1 with *clen, 0 when absent, -1
 * when malformed or given twice with different values.
 */
static int find_clen(const char *hdr, size_t len, size_t *clen)
{
	const char *p = hdr, *end = hdr + len;
	int found = 0;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *line_end = eol ? eol : end;
		const char *q = p;

		if (*p != ' ' && *p != '\t') {
			while (q < line_end && *q != ':' && *q != ' ' && *q != '\t')
				q++;
			if (name_is(p, (size_t)(q - p), "content-length") ||
			    name_is(p, (size_t)(q - p), "l")) {
				uint64_t v = 0;
				int digits = 0;

				while (q < line_end && (*q == ' ' || *q == '\t'))
					q++;
				if (q >= line_end || *q != ':')
					return -1;
				q++;
				while (q < line_end && (*q == ' ' || *q == '\t'))
					q++;
				while (q < line_end && *q >= '0' && *q <= '9') {
					v = v * 10 + (uint64_t)(*q - '0');
					if (++digits > 9)
						return -1;
					q++;
				}
				while (q < line_end &&
				       (*q == ' ' || *q == '\t' || *q == '\r'))
					q++;
				if (!digits || q != line_end)
					return -1;
				if (found && *clen != v)
					return -1;
				*clen = (size_t)v;
				found = 1;
			}
		}
		p = line_end + 1;
	}
	return found;
}

enum tcp_frame tcp_frame_next(const char *buf, size_t len, size_t max_msg,
			      struct tcp_frame_state *st, size_t *consumed)
{
	size_t limit, i, hdr_end = 0, body_start = 0, clen = 0;
	int r;

	*consumed = 0;
	/* Header already read: only the body's length is awaited. */
	if (st->msg_len) {
		if (len < st->msg_len)
			return TCP_FRAME_NEED_MORE;
		*consumed = st->msg_len;
		return TCP_FRAME_MESSAGE;
	}
	if (len == 0)
		return TCP_FRAME_NEED_MORE;
	/* Keep-alives and stray line ends between messages. */
	if (buf[0] == '\r') {
		if (len < 2)
			return TCP_FRAME_NEED_MORE;
		if (buf[1] != '\n')
			return TCP_FRAME_ERROR;
		if (len >= 4 && buf[2] == '\r' && buf[3] == '\n') {
			*consumed = 4;
			return TCP_FRAME_PING;
		}
		if (len == 2 || (len == 3 && buf[2] == '\r'))
			return TCP_FRAME_NEED_MORE;
		*consumed = 2;
		return TCP_FRAME_SKIP;
	}
	if (buf[0] == '\n') {
		*consumed = 1;
		return TCP_FRAME_SKIP;
	}
	/* The empty line ending the header section: CRLFCRLF or LFLF. */
	limit = len < max_msg ? len : max_msg;
	i = st->scanned > 3 ? st->scanned - 3 : 0;
	for (; i < limit; i++) {
		const char *nl = memchr(buf + i, '\n', limit - i);
		if (!nl)
			break;
		i = (size_t)(nl - buf);
		if (i + 1 < limit && buf[i + 1] == '\n') {
			hdr_end = i + 1;
			body_start = i + 2;
			break;
		}
		if (i + 2 < limit && buf[i + 1] == '\r' && buf[i + 2] == '\n') {
			hdr_end = i + 1;
			body_start = i + 3;
			break;
		}
	}
	if (!body_start) {
		st->scanned = limit;
		return len >= max_msg ? TCP_FRAME_TOO_BIG : TCP_FRAME_NEED_MORE;
	}
	r = find_clen(buf, hdr_end, &clen);
	if (r <= 0)
		return TCP_FRAME_ERROR;
	if (clen > max_msg || body_start + clen > max_msg)
		return TCP_FRAME_TOO_BIG;
	if (len < body_start + clen) {
		st->msg_len = body_start + clen;
		return TCP_FRAME_NEED_MORE;
	}
	*consumed = body_start + clen;
	return TCP_FRAME_MESSAGE;
}
