/*
 * sdp.c - SDP parser (see sdp.h).
 *
 * One pass over the lines.  RFC 8866 5 fixes the order of the session
 * lines; real phones do not always keep it, and the relay only needs the
 * lines it rewrites, so order is not enforced beyond v= first.  What is
 * enforced is that every line is "x=value" with printable text, that the
 * lines the relay acts on (o=, c=, m=, a=rtcp) are well formed, and that
 * every count stays within its bound.
 */
#include "sdp/sdp.h"

#include <string.h>

#include "sdp/sdp_int.h"

static const char *const errors[] = {
	[SDP_OK] = "ok",
	[SDP_E_EMPTY] = "empty body",
	[SDP_E_VERSION] = "does not start with v=0",
	[SDP_E_LINE] = "a line is not type=value",
	[SDP_E_CONTROL] = "control character",
	[SDP_E_TOO_MANY] = "too many lines, media sections or crypto lines",
	[SDP_E_ORIGIN] = "o= missing or malformed",
	[SDP_E_CONNECTION] = "malformed c= line",
	[SDP_E_MEDIA] = "malformed m= line",
	[SDP_E_NO_CONN] = "a media section without a connection address",
	[SDP_E_ATTRIBUTE] = "malformed a=rtcp",
};

const char *sdp_error_str(enum sdp_error e)
{
	return (unsigned)e < sizeof(errors) / sizeof(errors[0]) && errors[e]
		       ? errors[e]
		       : "?";
}

/* Split off the next space-separated field of *v (single spaces, as RFC
 * 8866 writes them; a tab or double space makes an empty field). */
static bool field(struct pl *v, struct pl *out)
{
	const char *sp;

	if (!v->l)
		return false;
	sp = memchr(v->p, ' ', v->l);
	out->p = v->p;
	out->l = sp ? (size_t)(sp - v->p) : v->l;
	v->p += out->l + (sp ? 1 : 0);
	v->l -= out->l + (sp ? 1 : 0);
	return out->l > 0;
}

static bool is_digits(const struct pl *p)
{
	if (!p->l)
		return false;
	for (size_t i = 0; i < p->l; i++)
		if (p->p[i] < '0' || p->p[i] > '9')
			return false;
	return true;
}

/* An address: IPv4, IPv6 or a host name (RFC 8866 9: FQDNs are legal;
 * the relay refuses what it cannot use later). */
static bool addr_chars(const struct pl *a)
{
	if (!a->l || a->l > 255)
		return false;
	for (size_t i = 0; i < a->l; i++) {
		char c = a->p[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		      (c >= 'A' && c <= 'Z') || c == '.' || c == ':' || c == '-'))
			return false;
	}
	return true;
}

/* "IN IP4 addr[/ttl[/n]]" (also the tail of a=rtcp). */
static bool parse_conn(struct pl v, struct sdp_conn *c)
{
	struct pl net, type, addr;
	const char *slash;

	if (!field(&v, &net) || !field(&v, &type) || !field(&v, &addr) || v.l ||
	    !pl_eq_str(&net, "IN"))
		return false;
	if (pl_eq_str(&type, "IP4"))
		c->af = 4;
	else if (pl_eq_str(&type, "IP6"))
		c->af = 6;
	else
		return false;
	slash = memchr(addr.p, '/', addr.l);
	if (slash) {
		struct pl rest = pl_from_range(slash + 1, pl_end(&addr));
		addr.l = (size_t)(slash - addr.p);
		/* TTL and count: digits and slashes only. */
		for (size_t i = 0; i < rest.l; i++)
			if (rest.p[i] != '/' && (rest.p[i] < '0' || rest.p[i] > '9'))
				return false;
	}
	if (!addr_chars(&addr))
		return false;
	c->addr = addr;
	return true;
}

/* "audio 49170[/2] RTP/AVP 0 8 97" */
static bool parse_m(struct pl v, struct sdp_media *m)
{
	struct pl port, proto;
	const char *slash;
	uint32_t n;

	if (!field(&v, &m->type) || !field(&v, &port) || !field(&v, &proto))
		return false;
	for (size_t i = 0; i < m->type.l; i++)
		if (m->type.p[i] <= ' ' || m->type.p[i] == '/')
			return false;
	slash = memchr(port.p, '/', port.l);
	m->nports = 1;
	if (slash) {
		struct pl cnt = pl_from_range(slash + 1, pl_end(&port));
		if (pl_u32(&cnt, 65535, &n) || n == 0)
			return false;
		m->nports = (uint16_t)n;
		port.l = (size_t)(slash - port.p);
	}
	if (!is_digits(&port) || pl_u32(&port, 65535, &n))
		return false;
	m->port = (uint16_t)n;
	m->proto = proto;
	m->fmts = v;
	return v.l > 0; /* at least one format */
}

bool sdp_attr_is_ice(const struct pl *name)
{
	static const char *const ice[] = {
		"candidate",	 "ice-ufrag",	  "ice-pwd",
		"ice-options",	 "ice-lite",	  "ice-mismatch",
		"end-of-candidates", "remote-candidates", "ice-pacing",
	};
	for (size_t i = 0; i < sizeof(ice) / sizeof(ice[0]); i++)
		if (pl_eq_str(name, ice[i]))
			return true;
	return false;
}

static enum sdp_dir dir_of(const struct pl *name)
{
	if (pl_eq_str(name, "sendrecv"))
		return SDP_DIR_SENDRECV;
	if (pl_eq_str(name, "sendonly"))
		return SDP_DIR_SENDONLY;
	if (pl_eq_str(name, "recvonly"))
		return SDP_DIR_RECVONLY;
	if (pl_eq_str(name, "inactive"))
		return SDP_DIR_INACTIVE;
	return SDP_DIR_UNSET;
}

/* One a= line, in the session (m == NULL) or a media section. */
static enum sdp_error parse_a(struct sdp_session *s, struct sdp_media *m,
			      struct pl v)
{
	const char *colon = memchr(v.p, ':', v.l);
	struct pl name = colon ? pl_from_range(v.p, colon) : v;
	struct pl val = colon ? pl_from_range(colon + 1, pl_end(&v)) : PL("");
	enum sdp_dir d;

	if (!name.l)
		return SDP_E_LINE;
	if ((d = dir_of(&name)) != SDP_DIR_UNSET) {
		if (m)
			m->dir = d;
		else
			s->dir = d;
	} else if (sdp_attr_is_ice(&name)) {
		if (m)
			m->ice = true;
		else
			s->ice = true;
	} else if (!m) {
		return SDP_OK; /* other session attributes pass through */
	} else if (pl_eq_str(&name, "rtcp-mux")) {
		m->rtcp_mux = true;
	} else if (pl_eq_str(&name, "rtcp")) {
		/* RFC 3605: port [nettype addrtype address] */
		struct pl port;
		uint32_t n;
		if (!field(&val, &port) || !is_digits(&port) ||
		    pl_u32(&port, 65535, &n))
			return SDP_E_ATTRIBUTE;
		m->rtcp_port = (uint16_t)n;
		if (val.l && !parse_conn(val, &m->rtcp_c))
			return SDP_E_ATTRIBUTE;
	} else if (pl_eq_str(&name, "crypto")) {
		if (m->ncrypto == SDP_MAX_CRYPTO)
			return SDP_E_TOO_MANY;
		m->crypto[m->ncrypto++] = val;
	}
	return SDP_OK;
}

enum sdp_error sdp_parse(const char *body, size_t len, struct sdp_session *s)
{
	const char *p = body, *end = body + len;
	struct sdp_media *m = NULL;
	unsigned lines = 0;
	struct pl line;
	bool have_origin = false;

	memset(s, 0, sizeof(*s));
	s->body = pl_make(body, len);
	if (!len)
		return SDP_E_EMPTY;
	while (sdp_next_line(&p, end, &line)) {
		struct pl v;
		enum sdp_error e = SDP_OK;

		if (line.l == 0 && p == end)
			break; /* the final line end */
		if (++lines > SDP_MAX_LINES)
			return SDP_E_TOO_MANY;
		for (size_t i = 0; i < line.l; i++) {
			unsigned char ch = (unsigned char)line.p[i];
			if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
				return SDP_E_CONTROL;
		}
		if (line.l < 2 || line.p[1] != '=' || line.p[0] < 'a' ||
		    line.p[0] > 'z')
			return lines == 1 ? SDP_E_VERSION : SDP_E_LINE;
		v = pl_from_range(line.p + 2, pl_end(&line));
		if (lines == 1) {
			if (line.p[0] != 'v' || !pl_eq_str(&v, "0"))
				return SDP_E_VERSION;
			continue;
		}
		if (m)
			m->section.l = (size_t)(pl_end(&line) - m->section.p);
		switch (line.p[0]) {
		case 'o': {
			struct pl f, rest = v;
			struct sdp_conn c;
			int n = 0;
			if (have_origin || m)
				return SDP_E_ORIGIN;
			while (n < 3 && field(&rest, &f))
				n++;
			if (n != 3 || !parse_conn(rest, &c))
				return SDP_E_ORIGIN;
			s->origin = v;
			have_origin = true;
			break;
		}
		case 'c':
			if (!parse_conn(v, m ? &m->c : &s->c))
				return SDP_E_CONNECTION;
			break;
		case 'm':
			if (s->nmedia == SDP_MAX_MEDIA)
				return SDP_E_TOO_MANY;
			m = &s->m[s->nmedia++];
			if (!parse_m(v, m))
				return SDP_E_MEDIA;
			m->section = line;
			break;
		case 'a':
			e = parse_a(s, m, v);
			break;
		default:
			break; /* s=, t=, b=, k=, i=, u=, e=, p=, z=, r= */
		}
		if (e != SDP_OK)
			return e;
	}
	if (lines == 0)
		return SDP_E_EMPTY;
	if (!have_origin)
		return SDP_E_ORIGIN;
	for (unsigned i = 0; i < s->nmedia; i++)
		if (!s->m[i].c.af && !s->c.af)
			return SDP_E_NO_CONN;
	return SDP_OK;
}

enum sdp_dir sdp_media_dir(const struct sdp_session *s, unsigned i)
{
	if (s->m[i].dir != SDP_DIR_UNSET)
		return s->m[i].dir;
	return s->dir != SDP_DIR_UNSET ? s->dir : SDP_DIR_SENDRECV;
}

const struct sdp_conn *sdp_media_conn(const struct sdp_session *s, unsigned i)
{
	return s->m[i].c.af ? &s->m[i].c : &s->c;
}
