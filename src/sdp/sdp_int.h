/*
 * sdp_int.h - what sdp.c and sdp_write.c share: walking the lines of a
 * body.  Not for use outside src/sdp/.
 */
#ifndef VS_SDP_SDP_INT_H
#define VS_SDP_SDP_INT_H

#include "core/pl.h"

/* The next line of [*p, end) without its line end (LF or CRLF; the last
 * line may have none) into *line; false at the end. */
static inline bool sdp_next_line(const char **p, const char *end,
				 struct pl *line)
{
	const char *s = *p, *nl;

	if (s >= end)
		return false;
	nl = memchr(s, '\n', (size_t)(end - s));
	*p = nl ? nl + 1 : end;
	if (!nl)
		nl = end;
	line->p = s;
	line->l = (size_t)(nl - s);
	if (line->l && s[line->l - 1] == '\r')
		line->l--;
	return true;
}

/* An ICE attribute (RFC 8839), by name. */
bool sdp_attr_is_ice(const struct pl *name);

#endif
