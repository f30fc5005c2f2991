/*
 * mbuf.c - a bounded output buffer.
 */
#include "core/mbuf.h"

#include <stdio.h>

void mbuf_put_u32(struct mbuf *mb, uint32_t v)
{
	char tmp[10];
	size_t n = 0;

	do {
		tmp[sizeof(tmp) - 1 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	mbuf_put(mb, tmp + sizeof(tmp) - n, n);
}

void mbuf_printf(struct mbuf *mb, const char *fmt, ...)
{
	va_list ap;
	int n;
	size_t room;

	if (mb->overflow)
		return;
	room = mb->cap - mb->len;
	va_start(ap, fmt);
	n = vsnprintf(mb->buf + mb->len, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room) {
		mb->overflow = true;
		return;
	}
	mb->len += (size_t)n;
}
