/*
 * hdr.h - SIP header names, compact forms and methods.
 */
#ifndef VS_SIP_HDR_H
#define VS_SIP_HDR_H

#include "core/pl.h"

/* X(id, full name, compact form or 0) */
#define SIP_HDR_LIST(X)                                                        \
	X(ACCEPT, "Accept", 0)                                                 \
	X(ACCEPT_CONTACT, "Accept-Contact", 'a')                               \
	X(ACCEPT_ENCODING, "Accept-Encoding", 0)                               \
	X(ACCEPT_LANGUAGE, "Accept-Language", 0)                               \
	X(ALERT_INFO, "Alert-Info", 0)                                         \
	X(ALLOW, "Allow", 0)                                                   \
	X(ALLOW_EVENTS, "Allow-Events", 'u')                                   \
	X(AUTHENTICATION_INFO, "Authentication-Info", 0)                       \
	X(AUTHORIZATION, "Authorization", 0)                                   \
	X(CALL_ID, "Call-ID", 'i')                                             \
	X(CALL_INFO, "Call-Info", 0)                                           \
	X(CONTACT, "Contact", 'm')                                             \
	X(CONTENT_DISPOSITION, "Content-Disposition", 0)                       \
	X(CONTENT_ENCODING, "Content-Encoding", 'e')                           \
	X(CONTENT_LANGUAGE, "Content-Language", 0)                             \
	X(CONTENT_LENGTH, "Content-Length", 'l')                               \
	X(CONTENT_TYPE, "Content-Type", 'c')                                   \
	X(CSEQ, "CSeq", 0)                                                     \
	X(DATE, "Date", 0)                                                     \
	X(ERROR_INFO, "Error-Info", 0)                                         \
	X(EVENT, "Event", 'o')                                                 \
	X(EXPIRES, "Expires", 0)                                               \
	X(FROM, "From", 'f')                                                   \
	X(IDENTITY, "Identity", 'y')                                           \
	X(IDENTITY_INFO, "Identity-Info", 'n')                                 \
	X(IN_REPLY_TO, "In-Reply-To", 0)                                       \
	X(MAX_FORWARDS, "Max-Forwards", 0)                                     \
	X(MIME_VERSION, "MIME-Version", 0)                                     \
	X(MIN_EXPIRES, "Min-Expires", 0)                                       \
	X(MIN_SE, "Min-SE", 0)                                                 \
	X(ORGANIZATION, "Organization", 0)                                     \
	X(P_ASSERTED_IDENTITY, "P-Asserted-Identity", 0)                       \
	X(P_PREFERRED_IDENTITY, "P-Preferred-Identity", 0)                     \
	X(PATH, "Path", 0)                                                     \
	X(PRIORITY, "Priority", 0)                                             \
	X(PRIVACY, "Privacy", 0)                                               \
	X(PROXY_AUTHENTICATE, "Proxy-Authenticate", 0)                         \
	X(PROXY_AUTHORIZATION, "Proxy-Authorization", 0)                       \
	X(PROXY_REQUIRE, "Proxy-Require", 0)                                   \
	X(RACK, "RAck", 0)                                                     \
	X(REASON, "Reason", 0)                                                 \
	X(RECORD_ROUTE, "Record-Route", 0)                                     \
	X(REFER_TO, "Refer-To", 'r')                                           \
	X(REFERRED_BY, "Referred-By", 'b')                                     \
	X(REJECT_CONTACT, "Reject-Contact", 'j')                               \
	X(REPLACES, "Replaces", 0)                                             \
	X(REPLY_TO, "Reply-To", 0)                                             \
	X(REQUEST_DISPOSITION, "Request-Disposition", 'd')                     \
	X(REQUIRE, "Require", 0)                                               \
	X(RETRY_AFTER, "Retry-After", 0)                                       \
	X(ROUTE, "Route", 0)                                                   \
	X(RSEQ, "RSeq", 0)                                                     \
	X(SERVER, "Server", 0)                                                 \
	X(SERVICE_ROUTE, "Service-Route", 0)                                   \
	X(SESSION_EXPIRES, "Session-Expires", 'x')                             \
	X(SUBJECT, "Subject", 's')                                             \
	X(SUBSCRIPTION_STATE, "Subscription-State", 0)                         \
	X(SUPPORTED, "Supported", 'k')                                         \
	X(TIMESTAMP, "Timestamp", 0)                                           \
	X(TO, "To", 't')                                                       \
	X(UNSUPPORTED, "Unsupported", 0)                                       \
	X(USER_AGENT, "User-Agent", 0)                                         \
	X(VIA, "Via", 'v')                                                     \
	X(WARNING, "Warning", 0)                                               \
	X(WWW_AUTHENTICATE, "WWW-Authenticate", 0)

enum sip_hdr_id {
	SIP_HDR_OTHER = 0,
#define X(id, name, compact) SIP_HDR_##id,
	SIP_HDR_LIST(X)
#undef X
	SIP_HDR_COUNT
};

/* Identify a header by its name (full or compact, any case); the name
 * must consist of token characters, as the parser guarantees. */
enum sip_hdr_id sip_hdr_lookup(const char *name, size_t len);
/* Canonical full name, e.g. "Call-ID" for SIP_HDR_CALL_ID. */
const char *sip_hdr_name(enum sip_hdr_id id);

enum sip_method {
	SIP_METHOD_OTHER = 0,
	SIP_METHOD_INVITE,
	SIP_METHOD_ACK,
	SIP_METHOD_BYE,
	SIP_METHOD_CANCEL,
	SIP_METHOD_REGISTER,
	SIP_METHOD_OPTIONS,
	SIP_METHOD_INFO,
	SIP_METHOD_PRACK,
	SIP_METHOD_SUBSCRIBE,
	SIP_METHOD_NOTIFY,
	SIP_METHOD_UPDATE,
	SIP_METHOD_MESSAGE,
	SIP_METHOD_REFER,
	SIP_METHOD_PUBLISH,
	SIP_METHOD_COUNT
};

/* Methods are case-sensitive (RFC 3261 7.1). */
enum sip_method sip_method_lookup(const struct pl *name);
const char *sip_method_name(enum sip_method m);

#endif
