/*
 * uri.h - SIP, SIPS and tel URIs (RFC 3261 19.1, RFC 3966).
 */
#ifndef VS_SIP_URI_H
#define VS_SIP_URI_H

#include "core/pl.h"
#include "sip/scan.h"

enum sip_uri_scheme {
	SIP_URI_NONE = 0,
	SIP_URI_SIP,
	SIP_URI_SIPS,
	SIP_URI_TEL,
};

/*
 * Hard cap on parameters and headers in one URI, which keeps parsing cheap
 * (the check for a repeated parameter name is quadratic in it).
 */
#define SIP_URI_MAX_PARAMS 64

struct sip_uri {
	enum sip_uri_scheme scheme;
	struct pl user;     /* sip/sips: user part, still escaped; tel: number */
	struct pl password; /* set only when present */
	struct pl host;     /* IPv6 references keep their brackets */
	enum sip_host_type host_type;
	uint16_t port;      /* 0 when absent */
	bool has_port;
	struct pl params;   /* ";a=b;c" including the first ';', or unset */
	struct pl headers;  /* after '?', or unset */
	/* Parameters a proxy looks at on every message. */
	struct pl transport;
	struct pl maddr;
	bool lr;
	bool tel_global;    /* tel: number starts with '+' */
};

/*
 * Parse a whole slice as a URI.  Returns 0, EBADMSG when it is not a valid
 * sip:, sips: or tel: URI (a parameter name given twice included: RFC 3261
 * 19.1.1, RFC 3966 3), EPROTONOSUPPORT for a syntactically plausible
 * URI of another scheme (RFC 3261 416 Unsupported URI Scheme), or
 * EOVERFLOW when it holds more than SIP_URI_MAX_PARAMS parameters.
 */
int sip_uri_parse(struct sip_uri *uri, const struct pl *pl);

/*
 * Look a parameter up by name (case-insensitive).  Returns true when it is
 * present; value is then the unset slice for a parameter without '='.
 */
bool sip_uri_param(const struct sip_uri *uri, const char *name,
		   struct pl *value);

/* URI equality as defined by RFC 3261 19.1.4 (sip/sips) and RFC 3966 4. */
bool sip_uri_cmp(const struct sip_uri *a, const struct sip_uri *b);

/*
 * Decode %HH escapes of a user part into dst.  Returns the decoded length,
 * or -1 when dst is too small.
 */
long sip_uri_unescape(const struct pl *in, char *dst, size_t size);

#endif
