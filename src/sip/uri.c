/*
 * uri.c - parse SIP, SIPS and tel URIs (RFC 3261 19.1, 25.1; RFC 3966 3).
 *
 * The parser validates every character of the URI against the grammar and
 * records slices of its parts; it never copies or allocates.
 */
#include "sip/uri.h"

#include <errno.h>

/* 1*( chars of class cls / escaped ); true when the whole range is valid. */
static bool valid_escaped_run(const char *p, const char *end, uint16_t cls,
			      bool allow_empty)
{
	if (p == end)
		return allow_empty;
	while (p < end) {
		if (*p == '%') {
			if (end - p < 3 || !sc_is(p[1], SC_HEX) ||
			    !sc_is(p[2], SC_HEX))
				return false;
			p += 3;
		} else if (sc_is(*p, cls)) {
			p++;
		} else {
			return false;
		}
	}
	return true;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = vs_tolower(c);
	return c - 'a' + 10;
}

/* One character of a validated name: %HH decoded, case folded. */
static char name_char(const char **pp)
{
	const char *p = *pp;

	if (*p == '%') {
		*pp = p + 3;
		return vs_tolower((char)(hexval(p[1]) * 16 + hexval(p[2])));
	}
	*pp = p + 1;
	return vs_tolower(*p);
}

/* Parameter names are equal ignoring case and escaping (RFC 3261 19.1.4). */
static bool pname_eq(const struct pl *a, const struct pl *b)
{
	const char *pa = a->p, *ea = pl_end(a);
	const char *pb = b->p, *eb = pl_end(b);

	while (pa < ea && pb < eb) {
		if (name_char(&pa) != name_char(&pb))
			return false;
	}
	return pa == ea && pb == eb;
}

/*
 * uri-parameters = *( ";" uri-parameter ); every name and value is a run of
 * paramchar (RFC 3261 25.1).  Records transport, maddr and lr on the way.
 * RFC 3261 19.1.1: a parameter name must not appear twice; URI comparison
 * (19.1.4) depends on it.
 */
static int parse_sip_params(struct sip_uri *uri, const char *p,
			    const char *end)
{
	struct pl names[SIP_URI_MAX_PARAMS];
	int count = 0;

	while (p < end) {
		const char *name, *name_end, *val = NULL, *val_end = NULL;
		struct pl n;

		if (*p != ';')
			return EBADMSG;
		if (count >= SIP_URI_MAX_PARAMS)
			return EOVERFLOW;
		name = ++p;
		while (p < end && *p != ';' && *p != '=')
			p++;
		name_end = p;
		if (!valid_escaped_run(name, name_end, SC_PARAM, false))
			return EBADMSG;
		n = pl_from_range(name, name_end);
		for (int i = 0; i < count; i++) {
			if (pname_eq(&names[i], &n))
				return EBADMSG;
		}
		names[count++] = n;
		if (p < end && *p == '=') {
			val = ++p;
			while (p < end && *p != ';')
				p++;
			val_end = p;
			if (!valid_escaped_run(val, val_end, SC_PARAM, false))
				return EBADMSG;
		}
		if (pl_caseeq_str(&n, "transport")) {
			if (!val)
				return EBADMSG;
			uri->transport = pl_from_range(val, val_end);
		} else if (pl_caseeq_str(&n, "maddr")) {
			struct pl v;
			if (!val)
				return EBADMSG;
			v = pl_from_range(val, val_end);
			if (!sip_host_valid(&v, NULL))
				return EBADMSG;
			uri->maddr = v;
		} else if (pl_caseeq_str(&n, "lr")) {
			uri->lr = true;
		}
	}
	return 0;
}

/* headers = "?" header *( "&" header ); header = hname "=" hvalue */
static int parse_sip_headers(const char *p, const char *end)
{
	int count = 0;

	if (p == end)
		return EBADMSG;
	while (p < end) {
		const char *h = p, *eq;

		if (++count > SIP_URI_MAX_PARAMS)
			return EOVERFLOW;
		while (p < end && *p != '&')
			p++;
		eq = memchr(h, '=', (size_t)(p - h));
		if (!eq || !valid_escaped_run(h, eq, SC_HNV, false) ||
		    !valid_escaped_run(eq + 1, p, SC_HNV, true))
			return EBADMSG;
		if (p < end)
			p++; /* '&' */
		if (p == end && p[-1] == '&')
			return EBADMSG;
	}
	return 0;
}

static int parse_sip(struct sip_uri *uri, const char *p, const char *end)
{
	const char *at, *hp_end, *param_start, *hdr_start;
	struct scan s;
	int err;

	/* userinfo: everything before '@'; '@' is legal nowhere else. */
	at = memchr(p, '@', (size_t)(end - p));
	if (at) {
		const char *colon = memchr(p, ':', (size_t)(at - p));
		const char *user_end = colon ? colon : at;

		if (!valid_escaped_run(p, user_end, SC_USER, false))
			return EBADMSG;
		uri->user = pl_from_range(p, user_end);
		if (colon) {
			if (!valid_escaped_run(colon + 1, at, SC_PASSWORD,
					       true))
				return EBADMSG;
			uri->password = pl_from_range(colon + 1, at);
		}
		p = at + 1;
	}

	/* hostport, then parameters and headers. */
	s.p = p;
	s.end = end;
	if (!scan_host(&s, &uri->host, &uri->host_type))
		return EBADMSG;
	if (scan_char(&s, ':')) {
		uint32_t port;
		if (!scan_uint(&s, 65535, &port))
			return EBADMSG;
		uri->port = (uint16_t)port;
		uri->has_port = true;
	}
	hp_end = s.p;
	param_start = hp_end;
	hdr_start = memchr(param_start, '?', (size_t)(end - param_start));
	if (!hdr_start)
		hdr_start = end;
	if (param_start < hdr_start) {
		if (*param_start != ';')
			return EBADMSG;
		uri->params = pl_from_range(param_start, hdr_start);
		err = parse_sip_params(uri, param_start, hdr_start);
		if (err)
			return err;
	}
	if (hdr_start < end) {
		uri->headers = pl_from_range(hdr_start + 1, end);
		err = parse_sip_headers(hdr_start + 1, end);
		if (err)
			return err;
	}
	return 0;
}

static bool is_visual_sep(char c)
{
	return c == '-' || c == '.' || c == '(' || c == ')';
}

/*
 * telephone-subscriber = global-number / local-number (RFC 3966 3).
 * global-number-digits = "+" *phonedigit DIGIT *phonedigit
 * local-number-digits  = *phonedigit-hex (HEXDIG / "*" / "#")
 *                        *phonedigit-hex, and a phone-context parameter.
 */
static int parse_tel(struct sip_uri *uri, const char *p, const char *end)
{
	const char *num = p;
	bool global = p < end && *p == '+';
	bool have_digit = false;
	bool have_context = false;
	struct pl names[SIP_URI_MAX_PARAMS];
	int count = 0;

	if (global)
		p++;
	while (p < end && *p != ';') {
		char c = *p;
		if (global ? sc_is(c, SC_DIGIT)
			   : (sc_is(c, SC_HEX) || c == '*' || c == '#'))
			have_digit = true;
		else if (!is_visual_sep(c))
			return EBADMSG;
		p++;
	}
	if (!have_digit)
		return EBADMSG;
	uri->user = pl_from_range(num, p);
	uri->tel_global = global;
	if (p < end)
		uri->params = pl_from_range(p, end);
	while (p < end) {
		const char *name = ++p, *name_end, *val = NULL;
		struct pl n;

		if (count >= SIP_URI_MAX_PARAMS)
			return EOVERFLOW;
		while (p < end && (sc_is(*p, SC_ALPHA | SC_DIGIT) || *p == '-'))
			p++;
		name_end = p;
		if (name == name_end)
			return EBADMSG;
		/* RFC 3966 3: no parameter name may appear more than once
		 * (comparison in section 4 relies on it). */
		n = pl_from_range(name, name_end);
		for (int i = 0; i < count; i++) {
			if (pl_caseeq(&names[i], &n))
				return EBADMSG;
		}
		names[count++] = n;
		if (p < end && *p == '=') {
			val = ++p;
			while (p < end && *p != ';')
				p++;
			if (!valid_escaped_run(val, p, SC_TELPAR, false))
				return EBADMSG;
		}
		if (p < end && *p != ';')
			return EBADMSG;
		if (pl_caseeq_str(&n, "phone-context")) {
			if (!val)
				return EBADMSG;
			have_context = true;
		}
	}
	if (!global && !have_context)
		return EBADMSG;
	return 0;
}

int sip_uri_parse(struct sip_uri *uri, const struct pl *pl)
{
	const char *p = pl->p;
	const char *end = pl->p + pl->l;
	const char *colon;
	struct pl scheme;

	memset(uri, 0, sizeof(*uri));
	if (!p || pl->l == 0)
		return EBADMSG;
	colon = memchr(p, ':', pl->l);
	if (!colon || colon == p)
		return EBADMSG;
	scheme = pl_from_range(p, colon);
	p = colon + 1;
	if (pl_caseeq_str(&scheme, "sip")) {
		uri->scheme = SIP_URI_SIP;
		return parse_sip(uri, p, end);
	}
	if (pl_caseeq_str(&scheme, "sips")) {
		uri->scheme = SIP_URI_SIPS;
		return parse_sip(uri, p, end);
	}
	if (pl_caseeq_str(&scheme, "tel")) {
		uri->scheme = SIP_URI_TEL;
		return parse_tel(uri, p, end);
	}
	/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
	if (!sc_is(scheme.p[0], SC_ALPHA))
		return EBADMSG;
	for (size_t i = 1; i < scheme.l; i++) {
		char c = scheme.p[i];
		if (!sc_is(c, SC_ALPHA | SC_DIGIT) && c != '+' && c != '-' &&
		    c != '.')
			return EBADMSG;
	}
	/* The rest must at least be URI characters, with no white space. */
	for (; p < end; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>' || c == '"')
			return EBADMSG;
	}
	return EPROTONOSUPPORT;
}

bool sip_uri_param(const struct sip_uri *uri, const char *name,
		   struct pl *value)
{
	const char *p, *end;
	size_t nlen = strlen(name);

	if (!uri->params.p)
		return false;
	p = uri->params.p;
	end = pl_end(&uri->params);
	while (p < end) {
		const char *n = ++p, *n_end, *v = NULL;
		while (p < end && *p != ';' && *p != '=')
			p++;
		n_end = p;
		if (p < end && *p == '=') {
			v = ++p;
			while (p < end && *p != ';')
				p++;
		}
		if ((size_t)(n_end - n) == nlen) {
			struct pl np = pl_from_range(n, n_end);
			if (pl_caseeq_str(&np, name)) {
				if (value)
					*value = v ? pl_from_range(v, p)
						   : (struct pl)PL_INIT;
				return true;
			}
		}
	}
	return false;
}

long sip_uri_unescape(const struct pl *in, char *dst, size_t size)
{
	size_t n = 0;
	const char *p = in->p, *end;

	if (!p) /* an absent user part decodes to nothing */
		return 0;
	end = pl_end(in);
	while (p < end) {
		char c = *p;
		if (c == '%' && end - p >= 3 && sc_is(p[1], SC_HEX) &&
		    sc_is(p[2], SC_HEX)) {
			c = (char)(hexval(p[1]) * 16 + hexval(p[2]));
			p += 3;
		} else {
			p++;
		}
		if (n >= size)
			return -1;
		dst[n++] = c;
	}
	return (long)n;
}
