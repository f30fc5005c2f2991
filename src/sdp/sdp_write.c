/*
 * sdp_write.c - write a parsed SDP body again with the relay's edits (see
 * sdp.h).
 *
 * A second walk over the same lines: o= and c= get the relay's address,
 * m= its port and protocol; the relay's a=rtcp and a=crypto lines go at
 * the end of their media section (after c=, b= and the other attributes,
 * as RFC 8866 orders them); the lines replaced, and ICE attributes when
 * asked, are left out; everything else is copied byte for byte.  The
 * o= version is the offerer's: it changes when the offerer's does.
 */
#include "sdp/sdp.h"

#include <errno.h>

#include "sdp/sdp_int.h"

/* The relay's lines for section m, written before the next m= or the end. */
static void section_tail(const struct sdp_media_edit *me, struct mbuf *out)
{
	if (!me || me->keep)
		return;
	if (me->rtcp_port)
		mbuf_printf(out, "a=rtcp:%u\r\n", me->rtcp_port);
	for (unsigned i = 0; me->replace_crypto && i < me->ncrypto; i++)
		mbuf_printf(out, "a=crypto:%s\r\n", me->crypto[i]);
}

/* The first three fields of o= (user, session id, version). */
static struct pl origin_head(const struct pl *o)
{
	size_t i = 0;
	int sp = 0;

	while (i < o->l && sp < 3) {
		if (o->p[i] == ' ')
			sp++;
		i++;
	}
	return pl_make(o->p, i ? i - 1 : 0);
}

int sdp_write(const struct sdp_session *s, const struct sdp_edit *e,
	      struct mbuf *out)
{
	const char *p = s->body.p, *end = pl_end(&s->body);
	const struct sdp_media_edit *me = NULL; /* the section we are in */
	int idx = -1;
	bool strip_session_ice = false;
	struct pl line;

	for (unsigned i = 0; i < s->nmedia; i++)
		strip_session_ice |= !e->m[i].keep && e->m[i].strip_ice;
	while (sdp_next_line(&p, end, &line)) {
		struct pl v, name;
		const char *colon;

		if (line.l == 0 && p == end)
			break;
		if (line.l < 2) /* sdp_parse refused such bodies */
			return EINVAL;
		v = pl_from_range(line.p + 2, pl_end(&line));
		switch (line.p[0]) {
		case 'o': {
			struct pl head = origin_head(&v);
			mbuf_puts(out, "o=");
			mbuf_put_pl(out, &head);
			mbuf_printf(out, " IN IP%u %s\r\n", e->af, e->addr);
			continue;
		}
		case 'c':
			if (me && me->keep)
				break;
			mbuf_printf(out, "c=IN IP%u %s\r\n", e->af, e->addr);
			continue;
		case 'm': {
			const struct sdp_media *m;
			section_tail(me, out);
			if (++idx >= (int)s->nmedia)
				return EINVAL;
			m = &s->m[idx];
			me = &e->m[idx];
			if (me->keep)
				break;
			mbuf_puts(out, "m=");
			mbuf_put_pl(out, &m->type);
			mbuf_printf(out, " %u ", me->port);
			if (me->proto)
				mbuf_puts(out, me->proto);
			else
				mbuf_put_pl(out, &m->proto);
			mbuf_puts(out, " ");
			mbuf_put_pl(out, &m->fmts);
			mbuf_puts(out, "\r\n");
			continue;
		}
		case 'a':
			colon = memchr(v.p, ':', v.l);
			name = colon ? pl_from_range(v.p, colon) : v;
			if (!me && strip_session_ice && sdp_attr_is_ice(&name))
				continue;
			if (!me || me->keep)
				break;
			if (pl_eq_str(&name, "rtcp"))
				continue;
			if (me->replace_crypto && pl_eq_str(&name, "crypto"))
				continue;
			if (me->strip_ice && sdp_attr_is_ice(&name))
				continue;
			break;
		default:
			break;
		}
		mbuf_put_pl(out, &line);
		mbuf_puts(out, "\r\n");
	}
	section_tail(me, out);
	return out->overflow ? ENOSPC : 0;
}
