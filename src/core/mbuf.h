/*
 * mbuf.h - a bounded output buffer.
 *
 * Every buffer is created with its maximum size.  Appending past the end
 * sets the overflow flag and writes nothing more, so builders append
 * without checking each step and test the flag once at the end.
 */
#ifndef VS_CORE_MBUF_H
#define VS_CORE_MBUF_H

#include "core/pl.h"

#include <stdarg.h>

struct mbuf {
	char *buf;
	size_t len;
	size_t cap;
	bool overflow;
};

static inline void mbuf_init(struct mbuf *mb, char *buf, size_t cap)
{
	mb->buf = buf;
	mb->len = 0;
	mb->cap = cap;
	mb->overflow = false;
}

static inline void mbuf_put(struct mbuf *mb, const void *p, size_t n)
{
	if (mb->overflow || n > mb->cap - mb->len) {
		mb->overflow = true;
		return;
	}
	if (n)
		memcpy(mb->buf + mb->len, p, n);
	mb->len += n;
}

static inline void mbuf_puts(struct mbuf *mb, const char *s)
{
	mbuf_put(mb, s, strlen(s));
}

static inline void mbuf_put_pl(struct mbuf *mb, const struct pl *pl)
{
	mbuf_put(mb, pl->p, pl->l);
}

void mbuf_put_u32(struct mbuf *mb, uint32_t v);
void mbuf_printf(struct mbuf *mb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
