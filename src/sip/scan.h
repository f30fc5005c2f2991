/*
 * scan.h - the lexical layer of SIP (RFC 3261 25.1).
 *
 * A scanner walks a slice from left to right.  Every function either
 * consumes what it was asked to recognise and returns true, or leaves the
 * position unchanged and returns false, so that parsers can try
 * alternatives without backtracking bookkeeping.  Header values may
 * contain folded lines (CRLF followed by whitespace); the whitespace
 * helpers treat a fold as ordinary linear white space.
 */
#ifndef VS_SIP_SCAN_H
#define VS_SIP_SCAN_H

#include "core/pl.h"

struct scan {
	const char *p;
	const char *end;
};

/* Character classes of RFC 3261 25.1, as bits in one lookup table. */
enum {
	SC_ALPHA = 1 << 0,
	SC_DIGIT = 1 << 1,
	SC_TOKEN = 1 << 2,      /* token characters */
	SC_WORD = 1 << 3,       /* word characters (Call-ID) */
	SC_UNRESERVED = 1 << 4, /* alphanum / mark */
	SC_USER = 1 << 5,       /* unreserved / user-unreserved */
	SC_PASSWORD = 1 << 6,   /* unreserved / & = + $ , */
	SC_PARAM = 1 << 7,      /* unreserved / param-unreserved */
	SC_HNV = 1 << 8,        /* unreserved / hnv-unreserved */
	SC_HEX = 1 << 9,
	SC_TELPAR = 1 << 10,    /* RFC 3966 pname/pvalue characters */
	SC_LABEL = 1 << 11,     /* alphanum / "-": host name labels */
};

extern uint16_t sip_cclass[256]; /* built once at start-up */

static inline bool sc_is(char c, uint16_t cls)
{
	return (sip_cclass[(unsigned char)c] & cls) != 0;
}

static inline void scan_init(struct scan *s, const struct pl *pl)
{
	s->p = pl->p;
	s->end = pl->p + pl->l;
}

static inline bool scan_eof(const struct scan *s)
{
	return s->p >= s->end;
}

static inline bool scan_peek(const struct scan *s, char c)
{
	return s->p < s->end && *s->p == c;
}

/* Consume one given character. */
static inline bool scan_char(struct scan *s, char c)
{
	if (s->p < s->end && *s->p == c) {
		s->p++;
		return true;
	}
	return false;
}

/* Skip SWS: any run of SP, HT and folds (CRLF or LF followed by WSP). */
void scan_sws_slow(struct scan *s);
static inline void scan_sws(struct scan *s)
{
	/* Most calls find nothing to skip: decide that inline. */
	if (s->p < s->end && *s->p != ' ' && *s->p != '\t' && *s->p != '\r' &&
	    *s->p != '\n')
		return;
	scan_sws_slow(s);
}
/* Like scan_sws, but true only if at least one white space was skipped. */
bool scan_lws(struct scan *s);
/* SWS c SWS, e.g. SEMI, COMMA, EQUAL, SLASH, COLON. */
bool scan_sep_slow(struct scan *s, char c);
static inline bool scan_sep(struct scan *s, char c)
{
	/* Usually the separator comes without white space before it. */
	if (s->p < s->end && *s->p == c) {
		s->p++;
		scan_sws(s);
		return true;
	}
	return scan_sep_slow(s, c);
}
/* A run of at least one character of class cls. */
static inline bool scan_class(struct scan *s, uint16_t cls, struct pl *out)
{
	const char *p = s->p;

	while (p < s->end && sc_is(*p, cls))
		p++;
	if (p == s->p)
		return false;
	if (out)
		*out = pl_from_range(s->p, p);
	s->p = p;
	return true;
}

/* token: 1*(alphanum / - . ! % * _ + ` ' ~). */
static inline bool scan_token(struct scan *s, struct pl *out)
{
	return scan_class(s, SC_TOKEN, out);
}
/*
 * quoted-string with its quotes; out gets the content between the
 * quotes, still escaped.  UTF-8 is validated.
 */
bool scan_quoted(struct scan *s, struct pl *out);
/* Case-insensitive literal (inline: the length of a literal folds). */
static inline bool scan_literal(struct scan *s, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(s->end - s->p) < n)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (vs_tolower(s->p[i]) != vs_tolower(lit[i]))
			return false;
	}
	s->p += n;
	return true;
}
/* 1*DIGIT up to max; fails (without consuming) on overflow. */
bool scan_uint(struct scan *s, uint32_t max, uint32_t *out);

/*
 * host = hostname / IPv4address / IPv6reference.  type receives which one
 * it was.  The IPv6 reference keeps its brackets in out.
 */
enum sip_host_type {
	SIP_HOST_NONE = 0,
	SIP_HOST_NAME,
	SIP_HOST_IPV4,
	SIP_HOST_IPV6,
};
bool scan_host(struct scan *s, struct pl *out, enum sip_host_type *type);

/* Validate a whole slice as a host (used for maddr=). */
bool sip_host_valid(const struct pl *pl, enum sip_host_type *type);
/* Validate a whole slice as an IPv6address without brackets. */
bool sip_ipv6_valid(const struct pl *pl);

/*
 * One generic parameter: SEMI name [EQUAL (token / host / quoted-string)].
 * Used by Via, From/To, Contact, Content-Type...  The value keeps the
 * quotes of a quoted string so that it can be copied verbatim.
 */
bool scan_generic_param(struct scan *s, struct pl *name, struct pl *value);

/* Length of a valid UTF-8 sequence starting at p (0 if invalid). */
size_t sip_utf8_len(const char *p, const char *end);

#endif
