/*
 * scan.c - the lexical layer of SIP (RFC 3261 25.1).
 */
#include "sip/scan.h"

#include <errno.h>

/* Characters beyond alphanumerics, for each class. */
#define MARK "-_.!~*'()"
#define TOKEN_EXTRA "-.!%*_+`'~"
#define WORD_EXTRA "-.!%*_+`'~()<>:\\\"/[]?{}"
#define USER_EXTRA MARK "&=+$,;?/"
#define PASSWORD_EXTRA MARK "&=+$,"
#define PARAM_EXTRA MARK "[]/:&+$"
#define HNV_EXTRA MARK "[]/?:+$"
/* RFC 3966 pname is alphanum / "-"; pvalue is paramchar. */
#define TELPAR_EXTRA MARK "[]/:&+$-"

uint16_t sip_cclass[256];

/*
 * The table is built by a constructor so that the class definitions above
 * stay readable as strings rather than a 256-entry literal.
 */
static void add_class(uint16_t *t, const char *chars, uint16_t cls)
{
	for (; *chars; chars++)
		t[(unsigned char)*chars] |= cls;
}

__attribute__((constructor)) static void sip_cclass_init(void)
{
	uint16_t *t = sip_cclass;
	const uint16_t alnum_classes = SC_TOKEN | SC_WORD | SC_UNRESERVED |
				       SC_USER | SC_PASSWORD | SC_PARAM |
				       SC_HNV | SC_TELPAR;

	for (int c = 0; c < 256; c++) {
		t[c] = 0;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
			t[c] |= SC_ALPHA | alnum_classes;
		if (c >= '0' && c <= '9')
			t[c] |= SC_DIGIT | alnum_classes | SC_HEX;
		if ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))
			t[c] |= SC_HEX;
	}
	add_class(t, TOKEN_EXTRA, SC_TOKEN);
	add_class(t, WORD_EXTRA, SC_WORD);
	add_class(t, MARK, SC_UNRESERVED);
	add_class(t, USER_EXTRA, SC_USER);
	add_class(t, PASSWORD_EXTRA, SC_PASSWORD);
	add_class(t, PARAM_EXTRA, SC_PARAM);
	add_class(t, HNV_EXTRA, SC_HNV);
	add_class(t, TELPAR_EXTRA, SC_TELPAR);
	add_class(t, "-", SC_LABEL);
	for (int c = 0; c < 256; c++)
		if (t[c] & (SC_ALPHA | SC_DIGIT))
			t[c] |= SC_LABEL;
}

static inline bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

void scan_sws_slow(struct scan *s)
{
	const char *p = s->p;

	for (;;) {
		while (p < s->end && is_wsp(*p))
			p++;
		/* A fold: CRLF or LF, then at least one WSP. */
		if (p + 2 < s->end && p[0] == '\r' && p[1] == '\n' &&
		    is_wsp(p[2])) {
			p += 3;
			continue;
		}
		if (p + 1 < s->end && p[0] == '\n' && is_wsp(p[1])) {
			p += 2;
			continue;
		}
		break;
	}
	s->p = p;
}

bool scan_lws(struct scan *s)
{
	const char *start = s->p;
	scan_sws(s);
	return s->p != start;
}

bool scan_sep_slow(struct scan *s, char c)
{
	struct scan save = *s;

	scan_sws(s);
	if (!scan_char(s, c)) {
		*s = save;
		return false;
	}
	scan_sws(s);
	return true;
}

size_t sip_utf8_len(const char *p, const char *end)
{
	unsigned char c = (unsigned char)*p;
	size_t n;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if ((size_t)(end - p) < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		unsigned char cc = (unsigned char)p[i];
		if ((cc & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (cc & 0x3f);
	}
	/* Reject overlong forms, surrogates and values past U+10FFFF. */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

bool scan_quoted(struct scan *s, struct pl *out)
{
	const char *p = s->p;
	const char *start;

	if (p >= s->end || *p != '"')
		return false;
	start = ++p;
	while (p < s->end) {
		unsigned char c = (unsigned char)*p;
		if (c == '"') {
			if (out)
				*out = pl_from_range(start, p);
			s->p = p + 1;
			return true;
		}
		if (c == '\\') {
			/* quoted-pair: any octet but CR and LF (and > 0x7f). */
			if (p + 1 >= s->end)
				return false;
			c = (unsigned char)p[1];
			if (c == '\r' || c == '\n' || c > 0x7f)
				return false;
			p += 2;
			continue;
		}
		if (c == '\r' || c == '\n') {
			/* Only as part of a fold. */
			struct scan f = {p, s->end};
			if (!scan_lws(&f))
				return false;
			p = f.p;
			continue;
		}
		if (c >= 0x80) {
			size_t n = sip_utf8_len(p, s->end);
			if (n == 0)
				return false;
			p += n;
			continue;
		}
		/* qdtext: LWS / %x21 / %x23-5B / %x5D-7E */
		if (c != ' ' && c != '\t' && (c < 0x21 || c == 0x7f))
			return false;
		p++;
	}
	return false;
}

bool scan_uint(struct scan *s, uint32_t max, uint32_t *out)
{
	const char *p = s->p;
	uint64_t v = 0;

	/* One pass; the value is capped as it grows, so no overflow. */
	while (p < s->end && *p >= '0' && *p <= '9') {
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > max)
			return false;
		p++;
	}
	if (p == s->p)
		return false;
	if (out)
		*out = (uint32_t)v;
	s->p = p;
	return true;
}

/* IPv4address = 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT */
static bool scan_ipv4(struct scan *s)
{
	const char *p = s->p;

	for (int part = 0; part < 4; part++) {
		unsigned v = 0;
		int digits = 0;

		if (part > 0) {
			if (p >= s->end || *p != '.')
				return false;
			p++;
		}
		while (p < s->end && *p >= '0' && *p <= '9' && digits < 4) {
			v = v * 10 + (unsigned)(*p - '0');
			p++;
			digits++;
		}
		if (digits == 0 || digits > 3 || v > 255)
			return false;
	}
	/* An IPv4 address must not run on into a host name ("1.2.3.4a"). */
	if (p < s->end && (sc_is(*p, SC_ALPHA | SC_DIGIT) || *p == '-' ||
			   *p == '.'))
		return false;
	s->p = p;
	return true;
}

/*
 * IPv6reference = "[" IPv6address "]" (RFC 3261 25.1 / RFC 4291 2.2):
 * eight groups of 1-4 hex digits, at most one "::", optionally ending in
 * an IPv4 address worth two groups.
 */
static bool scan_ipv6ref(struct scan *s)
{
	const char *p = s->p;
	int groups = 0;
	bool dcolon = false;

	if (p >= s->end || *p != '[')
		return false;
	p++;
	if (p + 1 < s->end && p[0] == ':' && p[1] == ':') {
		dcolon = true;
		p += 2;
	} else if (p < s->end && *p == ':') {
		return false;
	}
	while (p < s->end && *p != ']') {
		const char *g = p;
		int hex = 0;

		while (p < s->end && sc_is(*p, SC_HEX) && hex < 5) {
			p++;
			hex++;
		}
		if (hex == 0 || hex > 4)
			return false;
		if (p < s->end && *p == '.') {
			/* Trailing IPv4 part. */
			struct scan v4 = {g, s->end};
			if (!scan_ipv4(&v4))
				return false;
			p = v4.p;
			groups += 2;
			break;
		}
		groups++;
		if (p < s->end && *p == ':') {
			if (p + 1 < s->end && p[1] == ':') {
				if (dcolon)
					return false;
				dcolon = true;
				p += 2;
				if (p < s->end && *p == ']')
					break;
			} else {
				p++;
				if (p < s->end && *p == ']')
					return false;
			}
		}
		if (groups > 8)
			return false;
	}
	if (p >= s->end || *p != ']')
		return false;
	if (dcolon ? groups > 7 : groups != 8)
		return false;
	s->p = p + 1;
	return true;
}

/*
 * hostname = *( domainlabel "." ) toplabel [ "." ] (RFC 3261 25.1):
 * labels of alphanumerics and inner hyphens, the last one starting with a
 * letter.  Labels are capped at 63 bytes and the name at 253 (RFC 1035).
 */
static bool scan_hostname(struct scan *s)
{
	const char *p = s->p;
	const char *top = NULL;
	const char *last_end = NULL;

	for (;;) {
		const char *label = p;
		size_t n;

		while (p < s->end && sc_is(*p, SC_LABEL))
			p++;
		n = (size_t)(p - label);
		if (n == 0)
			break; /* after a final dot, or no name at all */
		if (n > 63 || label[0] == '-' || p[-1] == '-')
			return false;
		top = label;
		last_end = p;
		if (p >= s->end || *p != '.')
			break;
		p++;
		/* An empty label inside the name ("a..b") is not allowed. */
		if (p < s->end && *p == '.')
			return false;
	}
	if (!top || !sc_is(*top, SC_ALPHA))
		return false;
	/* 253 bytes, or 254 with the final dot of a fully qualified name. */
	if ((size_t)(last_end - s->p) > 253)
		return false;
	s->p = p;
	return true;
}

bool scan_host(struct scan *s, struct pl *out, enum sip_host_type *type)
{
	const char *start = s->p;
	enum sip_host_type t;

	if (scan_peek(s, '[')) {
		if (!scan_ipv6ref(s))
			return false;
		t = SIP_HOST_IPV6;
	} else if (scan_ipv4(s)) {
		t = SIP_HOST_IPV4;
	} else if (scan_hostname(s)) {
		t = SIP_HOST_NAME;
	} else {
		return false;
	}
	if (out)
		*out = pl_from_range(start, s->p);
	if (type)
		*type = t;
	return true;
}

bool sip_host_valid(const struct pl *pl, enum sip_host_type *type)
{
	struct scan s;

	if (!pl->p || pl->l == 0)
		return false;
	scan_init(&s, pl);
	return scan_host(&s, NULL, type) && scan_eof(&s);
}

bool sip_ipv6_valid(const struct pl *pl)
{
	struct scan v6;
	char tmp[64];

	/* Reuse the reference scanner on a bracketed copy; the longest
	 * valid address (with an IPv4 tail) is 45 bytes. */
	if (!pl->p || pl->l == 0 || pl->l + 2 > sizeof(tmp))
		return false;
	tmp[0] = '[';
	memcpy(tmp + 1, pl->p, pl->l);
	tmp[pl->l + 1] = ']';
	v6.p = tmp;
	v6.end = tmp + pl->l + 2;
	return scan_ipv6ref(&v6) && v6.p == v6.end;
}

bool scan_generic_param(struct scan *s, struct pl *name, struct pl *value)
{
	struct scan save = *s;
	struct pl v = PL_INIT;

	if (!scan_sep(s, ';') || !scan_token(s, name))
		goto fail;
	if (scan_sep(s, '=')) {
		const char *start = s->p;
		if (scan_peek(s, '"')) {
			if (!scan_quoted(s, NULL))
				goto fail;
		} else if (scan_peek(s, '[')) {
			if (!scan_ipv6ref(s))
				goto fail;
		} else if (!scan_token(s, NULL)) {
			goto fail;
		}
		v = pl_from_range(start, s->p);
	}
	*value = v;
	return true;
fail:
	*s = save;
	return false;
}
