/*
 * pinhole.c - see pinhole.h.
 */
#include "media/pinhole.h"

#include <string.h>

void pinhole_init(struct pinhole *p, enum pin_latch mode)
{
	memset(p, 0, sizeof(*p));
	p->mode = mode;
}

void pinhole_expect(struct pinhole *p, const struct vs_sockaddr *sdp)
{
	p->latched = false;
	memset(&p->peer, 0, sizeof(p->peer));
	if (sdp && sdp->len && !vs_sa_is_any(sdp) && vs_sa_port(sdp))
		p->expected = *sdp;
	else
		memset(&p->expected, 0, sizeof(p->expected));
}

void pinhole_open(struct pinhole *p)
{
	p->open = true;
}

void pinhole_close(struct pinhole *p)
{
	p->open = false;
}

static bool same(const struct vs_sockaddr *a, const struct vs_sockaddr *b)
{
	return vs_sa_ip_eq(a, b) && vs_sa_port(a) == vs_sa_port(b);
}

enum pin_verdict pinhole_check(struct pinhole *p, const struct vs_sockaddr *src)
{
	if (!p->open) {
		p->drops_closed++;
		return PIN_DROP_CLOSED;
	}
	if (p->latched) {
		if (same(src, &p->peer))
			return PIN_ACCEPT;
		p->drops_source++;
		return PIN_DROP_SOURCE;
	}
	if (p->mode == PIN_LATCH_FIRST ||
	    (p->expected.len && vs_sa_ip_eq(src, &p->expected))) {
		p->peer = *src;
		p->latched = true;
		return PIN_ACCEPT;
	}
	p->drops_source++;
	return PIN_DROP_SOURCE;
}

bool pinhole_dest(const struct pinhole *p, struct vs_sockaddr *out)
{
	if (p->latched) {
		*out = p->peer;
		return true;
	}
	if (p->expected.len) {
		*out = p->expected;
		return true;
	}
	return false;
}
