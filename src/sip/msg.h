/*
 * msg.h - a parsed SIP message (RFC 3261 7).
 *
 * sip_msg_parse() splits a message into its start line and headers and
 * parses, completely and strictly, everything a proxy looks at on every
 * message: the request line or status line, every Via, From, To, Call-ID,
 * CSeq, Max-Forwards and Content-Length.  Other headers are kept as slices
 * and parsed on demand by the functions in this header; each of those
 * parses is complete and strict too.  Nothing is copied: every field is a
 * slice into the caller's buffer, which must outlive the message.
 */
#ifndef VS_SIP_MSG_H
#define VS_SIP_MSG_H

#include "core/pl.h"
#include "sip/hdr.h"
#include "sip/scan.h"
#include "sip/uri.h"

/* Absolute ceilings; configured limits may only be lower. */
#define SIP_MAX_HEADERS_CEILING 256
#define SIP_MAX_MESSAGE_CEILING 65535

/* Configurable hard limits (see docs/configuration.md, section limits). */
struct sip_limits {
	uint32_t max_message_size; /* bytes, whole message */
	uint32_t max_headers;	   /* header fields */
	uint32_t max_header_length; /* bytes in one header field, with folds */
	uint32_t max_via;	   /* Via values in one message */
	uint32_t max_uri_length;   /* bytes in one URI */
};

void sip_limits_default(struct sip_limits *l);

/* Why a message was rejected; also the counter key for drops. */
#define SIP_ERR_LIST(X)                                                        \
	X(NONE, "none")                                                        \
	X(EMPTY, "empty")                                                      \
	X(TOO_LARGE, "too_large")                                              \
	X(CONTROL_CHAR, "control_char")                                        \
	X(NO_HEADER_END, "no_header_end")                                      \
	X(START_LINE, "start_line")                                            \
	X(VERSION, "version")                                                  \
	X(STATUS, "status")                                                    \
	X(RURI, "request_uri")                                                 \
	X(URI_SCHEME, "uri_scheme")                                            \
	X(URI_TOO_LONG, "uri_too_long")                                        \
	X(HEADER_SYNTAX, "header_syntax")                                      \
	X(TOO_MANY_HEADERS, "too_many_headers")                                \
	X(HEADER_TOO_LONG, "header_too_long")                                  \
	X(VIA, "via")                                                          \
	X(TOO_MANY_VIA, "too_many_via")                                        \
	X(FROM, "from")                                                        \
	X(TO, "to")                                                            \
	X(CALL_ID, "call_id")                                                  \
	X(CSEQ, "cseq")                                                        \
	X(MAX_FORWARDS, "max_forwards")                                        \
	X(CONTENT_LENGTH, "content_length")                                    \
	X(MISSING_HEADER, "missing_header")                                    \
	X(DUPLICATE_HEADER, "duplicate_header")                                \
	X(BODY, "body")

enum sip_err {
#define X(id, name) SIP_ERR_##id,
	SIP_ERR_LIST(X)
#undef X
	SIP_ERR_COUNT
};

const char *sip_err_name(enum sip_err e);

/* One header field as it appears in the message. */
struct sip_hdr {
	struct pl name;
	struct pl value;     /* without surrounding white space; may hold folds */
	const char *line;    /* first byte of the field */
	const char *line_end; /* one past its final line terminator */
	uint16_t id;	     /* enum sip_hdr_id */
	uint16_t next;	     /* index + 1 of the next field with this id */
};

/* via-parm (RFC 3261 20.42, RFC 3581). */
struct sip_via {
	struct pl value;     /* the whole via-parm */
	struct pl transport; /* "UDP", "TCP", "TLS", "SCTP", "WS"... */
	struct pl host;
	enum sip_host_type host_type;
	uint16_t port;
	bool has_port;
	struct pl params;    /* from the first ';' to the end of the via-parm */
	struct pl branch;
	struct pl received;
	struct pl received_param; /* the whole "received=..." parameter */
	struct pl maddr;
	struct pl rport_param; /* the whole "rport[=n]" parameter */
	bool rport;
	uint16_t rport_value; /* 0 when "rport" came without a value */
	uint32_t ttl;
	bool has_ttl;
};

/* name-addr / addr-spec with parameters: From, To, Contact, Route... */
struct sip_addr {
	struct pl value;   /* the whole element */
	struct pl display; /* as written, quotes included, or unset */
	struct pl uri_raw;
	struct sip_uri uri;
	struct pl params;  /* header parameters from the first ';' */
	struct pl tag;     /* From/To tag */
	bool star;	   /* Contact: * */
	bool has_expires;
	uint32_t expires;  /* Contact expires parameter */
	bool has_q;
	uint16_t q;	   /* Contact q value times 1000 */
};

struct sip_cseq {
	uint32_t num;
	struct pl method;
	enum sip_method method_id;
};

struct sip_msg {
	struct pl raw; /* the whole message */
	bool is_request;

	/* Request line. */
	struct pl method_name;
	enum sip_method method;
	struct pl ruri_raw;
	struct sip_uri ruri;
	/* Status line. */
	uint16_t status;
	struct pl reason;

	/* Core headers, always parsed. */
	struct sip_via via;   /* the top Via */
	uint32_t via_count;
	struct sip_addr from;
	struct sip_addr to;
	struct pl call_id;
	struct sip_cseq cseq;
	int32_t max_forwards; /* -1 when absent */
	bool has_clen;
	uint32_t clen;
	struct pl body;
	struct pl headers;    /* from the first header to the empty line */

	/* What was wrong, when sip_msg_parse failed. */
	enum sip_err err;
	const char *err_phrase; /* for a 4xx/5xx reason phrase; static */
	uint16_t err_status;	/* 0 when the message cannot be answered */

	const struct sip_limits *limits;
	uint16_t first[SIP_HDR_COUNT]; /* index + 1 of first field per id */
	uint32_t hdr_count;
	struct sip_hdr hdrs[SIP_MAX_HEADERS_CEILING];
};

/*
 * Parse one complete message (a datagram, or a frame cut by the stream
 * framing).  Returns 0 or EBADMSG; on EBADMSG msg->err says why, and when
 * msg->err_status is non-zero the request parsed far enough to be answered
 * with that status and msg->err_phrase (RFC 3261 21.4.1).
 */
int sip_msg_parse(struct sip_msg *msg, const char *buf, size_t len,
		  const struct sip_limits *limits);

/* First field with this id, or NULL; then the next one of the same id. */
const struct sip_hdr *sip_msg_hdr(const struct sip_msg *msg,
				  enum sip_hdr_id id);
const struct sip_hdr *sip_msg_hdr_next(const struct sip_msg *msg,
				       const struct sip_hdr *hdr);
/* Any field by name (case-insensitive), including unknown ones. */
const struct sip_hdr *sip_msg_hdr_by_name(const struct sip_msg *msg,
					  const char *name);

/*
 * Iterating comma-separated header values (Via, Contact, Route, ...)
 * across all fields of one id.  Each sip_*_next() returns 0 with the next
 * element, ENOENT at the end, or EBADMSG when an element is malformed.
 */
struct sip_hdr_iter {
	const struct sip_msg *msg;
	const struct sip_hdr *hdr;
	struct scan s;
	unsigned count;
};
void sip_hdr_iter_init(struct sip_hdr_iter *it, const struct sip_msg *msg,
		       enum sip_hdr_id id);
/*
 * Position it->s at the start of the next element (used by the element
 * parsers): 0, ENOENT at the end, or EBADMSG for a stray separator or an
 * empty field where allow_empty is false.
 */
int sip_hdr_iter_step(struct sip_hdr_iter *it, bool allow_empty);

/* via.c */
int sip_via_next(struct sip_hdr_iter *it, struct sip_via *via);
int sip_via_parse(struct scan *s, struct sip_via *via);

/* addr.c: one name-addr of From/To (with tag), Contact, Route, Path... */
enum sip_addr_kind {
	SIP_ADDR_FROM_TO, /* single value, tag parameter */
	SIP_ADDR_CONTACT, /* list, '*' allowed, expires and q */
	SIP_ADDR_ROUTE,	  /* list, name-addr form required (Route, Path...) */
	SIP_ADDR_PLAIN,	  /* single value, any form (Refer-To, Reply-To...) */
};
int sip_addr_parse(struct scan *s, struct sip_addr *addr,
		   enum sip_addr_kind kind, uint32_t max_uri_length);
int sip_addr_next(struct sip_hdr_iter *it, struct sip_addr *addr,
		  enum sip_addr_kind kind);

/* fields.c: the small headers. */
int sip_cseq_parse(const struct pl *value, struct sip_cseq *cseq);
int sip_callid_parse(const struct pl *value);
/* Expires, Min-Expires, Max-Forwards, Content-Length: delta-seconds. */
int sip_uint_hdr_parse(const struct pl *value, uint32_t max, uint32_t *out);
/* option-tag / method lists: Supported, Require, Proxy-Require, Allow... */
int sip_token_next(struct sip_hdr_iter *it, struct pl *token);
/* User-Agent and Server: product / comment sequence (RFC 3261 20.35). */
int sip_product_list_parse(const struct pl *value);
/* Content-Type: media-type (RFC 3261 20.15). */
struct sip_ctype {
	struct pl type, subtype, params;
};
int sip_ctype_parse(const struct pl *value, struct sip_ctype *ct);

/* auth.c: Authorization, Proxy-Authorization, *-Authenticate. */
#define SIP_AUTH_MAX_PARAMS 32
struct sip_auth {
	struct pl scheme; /* "Digest" */
	struct pl username, realm, nonce, uri, response, algorithm, cnonce,
		opaque, qop, nc, domain, stale, userhash;
	unsigned param_count;
};
int sip_auth_parse(const struct pl *value, struct sip_auth *auth);
/* Content of a quoted auth value without its quotes (still escaped). */
struct pl sip_unquote(const struct pl *value);

/* Parse every known header of the message; used by fuzzers and tests. */
int sip_msg_parse_all(const struct sip_msg *msg);

#endif
