/*
 * auth.c - Authorization, Proxy-Authorization, WWW-Authenticate and
 * Proxy-Authenticate (RFC 3261 20.7, 20.27, 20.28, 20.44, 25.1; RFC 7616).
 *
 * credentials = ("Digest" LWS digest-response) / other-response
 * auth-param  = auth-param-name EQUAL ( token / quoted-string )
 * Only the syntax is checked here; the digest computation lives in
 * src/auth/.
 */
#include "sip/msg.h"

#include <errno.h>

struct pl sip_unquote(const struct pl *v)
{
	if (v->p && v->l >= 2 && v->p[0] == '"' && v->p[v->l - 1] == '"')
		return pl_make(v->p + 1, v->l - 2);
	return *v;
}

static struct pl *known_param(struct sip_auth *a, const struct pl *name)
{
	static const struct {
		const char *name;
		size_t off;
	} map[] = {
		{"username", offsetof(struct sip_auth, username)},
		{"realm", offsetof(struct sip_auth, realm)},
		{"nonce", offsetof(struct sip_auth, nonce)},
		{"uri", offsetof(struct sip_auth, uri)},
		{"response", offsetof(struct sip_auth, response)},
		{"algorithm", offsetof(struct sip_auth, algorithm)},
		{"cnonce", offsetof(struct sip_auth, cnonce)},
		{"opaque", offsetof(struct sip_auth, opaque)},
		{"qop", offsetof(struct sip_auth, qop)},
		{"nc", offsetof(struct sip_auth, nc)},
		{"domain", offsetof(struct sip_auth, domain)},
		{"stale", offsetof(struct sip_auth, stale)},
		{"userhash", offsetof(struct sip_auth, userhash)},
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (pl_caseeq_str(name, map[i].name))
			return (struct pl *)((char *)a + map[i].off);
	}
	return NULL;
}

int sip_auth_parse(const struct pl *value, struct sip_auth *a)
{
	struct pl names[SIP_AUTH_MAX_PARAMS];
	struct scan s;

	memset(a, 0, sizeof(*a));
	scan_init(&s, value);
	if (!scan_token(&s, &a->scheme) || !scan_lws(&s))
		return EBADMSG;
	for (;;) {
		struct pl name, val;
		const char *vstart;
		struct pl *slot;

		if (!scan_token(&s, &name) || !scan_sep(&s, '='))
			return EBADMSG;
		vstart = s.p;
		if (scan_peek(&s, '"')) {
			if (!scan_quoted(&s, NULL))
				return EBADMSG;
		} else if (!scan_token(&s, NULL)) {
			return EBADMSG;
		}
		val = pl_from_range(vstart, s.p);
		if (a->param_count >= SIP_AUTH_MAX_PARAMS)
			return EBADMSG;
		/* RFC 7235 2.1 / RFC 7616 3.4: each parameter at most once,
		 * known or not; a second value could confuse whoever reads
		 * the field after us. */
		for (unsigned i = 0; i < a->param_count; i++) {
			if (pl_caseeq(&names[i], &name))
				return EBADMSG;
		}
		names[a->param_count++] = name;
		slot = known_param(a, &name);
		if (slot)
			*slot = val;
		scan_sws(&s);
		if (scan_eof(&s))
			return 0;
		if (!scan_sep(&s, ','))
			return EBADMSG;
	}
}
