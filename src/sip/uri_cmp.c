/*
 * uri_cmp.c - URI equality (RFC 3261 19.1.4, RFC 3966 4).
 */
#include "sip/uri.h"

#include <arpa/inet.h>

/* The reserved set of RFC 3261 25.1: an escaped reserved character is not
 * equivalent to the character itself. */
static bool is_reserved(unsigned char c)
{
	return c && strchr(";/?:@&=+$,", c) != NULL;
}

static int hexv(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	return vs_tolower(c) - 'a' + 10;
}

/*
 * Read one logical character: an escape of a non-reserved character is the
 * character itself (19.1.4: "characters other than those in the reserved
 * set are equivalent to their %HH encoding").  Escaped reserved characters
 * are reported with the high bit flag so they never equal a literal one.
 */
static int next_char(const char **pp, const char *end)
{
	const char *p = *pp;
	int c = (unsigned char)*p;

	if (c == '%' && end - p >= 3 && sc_is(p[1], SC_HEX) &&
	    sc_is(p[2], SC_HEX)) {
		c = hexv(p[1]) * 16 + hexv(p[2]);
		*pp = p + 3;
		return is_reserved((unsigned char)c) ? c | 0x100 : c;
	}
	*pp = p + 1;
	return c;
}

static bool esc_eq(const struct pl *a, const struct pl *b, bool icase)
{
	const char *pa, *ea, *pb, *eb;

	/* Test for absent parts first: pl_end() of an unset slice would
	 * offset a NULL pointer. */
	if (!a->p || !b->p)
		return !a->p && !b->p;
	pa = a->p;
	ea = pl_end(a);
	pb = b->p;
	eb = pl_end(b);
	while (pa < ea && pb < eb) {
		int ca = next_char(&pa, ea), cb = next_char(&pb, eb);
		if (icase && ca < 0x100 && cb < 0x100) {
			ca = vs_tolower((char)ca) & 0xff;
			cb = vs_tolower((char)cb) & 0xff;
		}
		if (ca != cb)
			return false;
	}
	return pa == ea && pb == eb;
}

static bool host_eq(const struct sip_uri *a, const struct sip_uri *b)
{
	if (a->host_type == SIP_HOST_IPV6 && b->host_type == SIP_HOST_IPV6) {
		char ta[64], tb[64];
		unsigned char ba[16], bb[16];
		struct pl ia = {a->host.p + 1, a->host.l - 2};
		struct pl ib = {b->host.p + 1, b->host.l - 2};

		pl_strcpy(&ia, ta, sizeof(ta));
		pl_strcpy(&ib, tb, sizeof(tb));
		if (inet_pton(AF_INET6, ta, ba) == 1 &&
		    inet_pton(AF_INET6, tb, bb) == 1)
			return memcmp(ba, bb, 16) == 0;
	}
	return pl_caseeq(&a->host, &b->host);
}

/* Iterate ";name[=value]" or "name=value&..." lists. */
struct kv_iter {
	const char *p, *end;
	char sep;
};

static bool kv_next(struct kv_iter *it, struct pl *name, struct pl *value)
{
	const char *n, *v = NULL;

	if (it->p >= it->end)
		return false;
	if (*it->p == it->sep)
		it->p++;
	n = it->p;
	while (it->p < it->end && *it->p != it->sep && *it->p != '=')
		it->p++;
	*name = pl_from_range(n, it->p);
	if (it->p < it->end && *it->p == '=') {
		v = ++it->p;
		while (it->p < it->end && *it->p != it->sep)
			it->p++;
	}
	*value = v ? pl_from_range(v, it->p) : (struct pl)PL_INIT;
	return true;
}

static bool kv_find(const struct pl *list, char sep, const struct pl *name,
		    struct pl *value)
{
	struct kv_iter it = {list->p, list->p ? pl_end(list) : NULL, sep};
	struct pl n, v;

	if (!list->p)
		return false;
	while (kv_next(&it, &n, &v)) {
		if (esc_eq(&n, name, true)) {
			*value = v;
			return true;
		}
	}
	return false;
}

static bool value_eq(const struct pl *a, const struct pl *b)
{
	if (!a->p || !b->p)
		return !a->p && !b->p;
	return esc_eq(a, b, true);
}

/*
 * Parameters: user, ttl, method, maddr and transport must match when
 * either side has them; any other parameter is compared only when both
 * sides have it.
 */
static bool sip_params_eq(const struct sip_uri *a, const struct sip_uri *b)
{
	static const char *const must[] = {"user", "ttl", "method", "maddr",
					   "transport"};
	struct kv_iter it = {a->params.p, a->params.p ? pl_end(&a->params)
						      : NULL, ';'};
	struct pl n, va, vb;

	for (size_t i = 0; i < sizeof(must) / sizeof(must[0]); i++) {
		struct pl name = pl_from_cstr(must[i]);
		bool ina = kv_find(&a->params, ';', &name, &va);
		bool inb = kv_find(&b->params, ';', &name, &vb);
		if (ina != inb || (ina && !value_eq(&va, &vb)))
			return false;
	}
	if (!a->params.p)
		return true;
	while (kv_next(&it, &n, &va)) {
		if (kv_find(&b->params, ';', &n, &vb) && !value_eq(&va, &vb))
			return false;
	}
	return true;
}

/* Whether list holds the header name=value; a name may repeat. */
static bool header_in(const struct pl *list, const struct pl *name,
		      const struct pl *value)
{
	struct kv_iter it = {list->p, list->p ? pl_end(list) : NULL, '&'};
	struct pl n, v;

	if (!list->p)
		return false;
	while (kv_next(&it, &n, &v)) {
		if (esc_eq(&n, name, true) && value_eq(&v, value))
			return true;
	}
	return false;
}

/*
 * Headers are never ignored: each side's headers must all be in the
 * other.  Unlike parameters a header may be given twice ("?Route=a&
 * Route=b"), so every occurrence of the name is looked at.
 */
static bool headers_subset(const struct pl *a, const struct pl *b)
{
	struct kv_iter it = {a->p, a->p ? pl_end(a) : NULL, '&'};
	struct pl n, va;

	if (!a->p)
		return true;
	while (kv_next(&it, &n, &va)) {
		if (!header_in(b, &n, &va))
			return false;
	}
	return true;
}

static bool is_visual_sep(char c)
{
	return c == '-' || c == '.' || c == '(' || c == ')';
}

/* RFC 3966 4: compare numbers without visual separators. */
static bool tel_number_eq(const struct pl *a, const struct pl *b)
{
	const char *pa = a->p, *ea = pl_end(a);
	const char *pb = b->p, *eb = pl_end(b);

	for (;;) {
		while (pa < ea && is_visual_sep(*pa))
			pa++;
		while (pb < eb && is_visual_sep(*pb))
			pb++;
		if (pa == ea || pb == eb)
			return pa == ea && pb == eb;
		if (vs_tolower(*pa) != vs_tolower(*pb))
			return false;
		pa++;
		pb++;
	}
}

/*
 * RFC 3966 4: an extension, or a phone-context that is a global number, is
 * compared digit by digit without visual separators; any other value
 * case-insensitively (a phone-context domain name is a host name).
 */
static bool tel_value_eq(const struct pl *name, const struct pl *a,
			 const struct pl *b)
{
	if (a->p && b->p && a->l && b->l &&
	    (pl_caseeq_str(name, "ext") ||
	     (pl_caseeq_str(name, "phone-context") && a->p[0] == '+' &&
	      b->p[0] == '+')))
		return tel_number_eq(a, b);
	return value_eq(a, b);
}

/* Same set of parameters with equal values, in any order. */
static bool tel_params_eq(const struct sip_uri *a, const struct sip_uri *b)
{
	struct kv_iter it;
	struct pl n, va, vb;
	size_t na = 0, nb = 0;

	it = (struct kv_iter){a->params.p, a->params.p ? pl_end(&a->params)
						       : NULL, ';'};
	while (kv_next(&it, &n, &va)) {
		na++;
		if (!kv_find(&b->params, ';', &n, &vb) ||
		    !tel_value_eq(&n, &va, &vb))
			return false;
	}
	it = (struct kv_iter){b->params.p, b->params.p ? pl_end(&b->params)
						       : NULL, ';'};
	while (kv_next(&it, &n, &vb))
		nb++;
	return na == nb;
}

bool sip_uri_cmp(const struct sip_uri *a, const struct sip_uri *b)
{
	if (a->scheme != b->scheme || a->scheme == SIP_URI_NONE)
		return false;
	if (a->scheme == SIP_URI_TEL) {
		return a->tel_global == b->tel_global &&
		       tel_number_eq(&a->user, &b->user) &&
		       tel_params_eq(a, b);
	}
	/* userinfo is case-sensitive; everything else is not. */
	if (!esc_eq(&a->user, &b->user, false) ||
	    !esc_eq(&a->password, &b->password, false))
		return false;
	if (!host_eq(a, b))
		return false;
	if (a->has_port != b->has_port || a->port != b->port)
		return false;
	if (!sip_params_eq(a, b))
		return false;
	return headers_subset(&a->headers, &b->headers) &&
	       headers_subset(&b->headers, &a->headers);
}
