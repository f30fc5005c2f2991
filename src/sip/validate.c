/*
 * validate.c - parse every known header field of a message.
 *
 * The daemon parses headers lazily, when a service needs them; this walks
 * all of them with the same parsers so that the fuzzers and tests exercise
 * every parser on every input.
 */
#include "sip/msg.h"

#include <errno.h>

static int walk_addrs(const struct sip_msg *m, enum sip_hdr_id id,
		      enum sip_addr_kind kind)
{
	struct sip_hdr_iter it;
	struct sip_addr a;
	int err;

	sip_hdr_iter_init(&it, m, id);
	while ((err = sip_addr_next(&it, &a, kind)) == 0)
		;
	return err == ENOENT ? 0 : EBADMSG;
}

static int walk_tokens(const struct sip_msg *m, enum sip_hdr_id id,
		       bool may_be_empty)
{
	struct sip_hdr_iter it;
	struct pl tok;
	int err;

	/* sip_token_next() passes over empty fields, which only some of
	 * these headers allow. */
	if (!may_be_empty) {
		const struct sip_hdr *h;

		for (h = sip_msg_hdr(m, id); h; h = sip_msg_hdr_next(m, h)) {
			if (h->value.l == 0)
				return EBADMSG;
		}
	}
	sip_hdr_iter_init(&it, m, id);
	while ((err = sip_token_next(&it, &tok)) == 0)
		;
	return err == ENOENT ? 0 : EBADMSG;
}

static int check_field(const struct sip_msg *m, const struct sip_hdr *h)
{
	uint32_t v;
	struct sip_auth auth;
	struct sip_ctype ct;

	switch ((enum sip_hdr_id)h->id) {
	case SIP_HDR_EXPIRES:
	case SIP_HDR_MIN_EXPIRES:
	case SIP_HDR_RSEQ:
		return sip_uint_hdr_parse(&h->value, UINT32_MAX, &v);
	case SIP_HDR_USER_AGENT:
	case SIP_HDR_SERVER:
		return sip_product_list_parse(&h->value);
	case SIP_HDR_CONTENT_TYPE:
		return sip_ctype_parse(&h->value, &ct);
	case SIP_HDR_AUTHORIZATION:
	case SIP_HDR_PROXY_AUTHORIZATION:
	case SIP_HDR_WWW_AUTHENTICATE:
	case SIP_HDR_PROXY_AUTHENTICATE:
		return sip_auth_parse(&h->value, &auth);
	default:
		(void)m;
		return 0;
	}
}

int sip_msg_parse_all(const struct sip_msg *m)
{
	static const enum sip_hdr_id routes[] = {
		SIP_HDR_ROUTE, SIP_HDR_RECORD_ROUTE, SIP_HDR_PATH,
		SIP_HDR_SERVICE_ROUTE};
	static const enum sip_hdr_id plain[] = {
		SIP_HDR_REFER_TO, SIP_HDR_REFERRED_BY, SIP_HDR_REPLY_TO,
		SIP_HDR_P_ASSERTED_IDENTITY, SIP_HDR_P_PREFERRED_IDENTITY};
	/* Supported and Allow may be empty, the others hold at least one
	 * token (RFC 3261 20.1, 20.29, 20.32, 20.37, 20.40; RFC 6665). */
	static const struct {
		enum sip_hdr_id id;
		bool may_be_empty;
	} tokens[] = {
		{SIP_HDR_SUPPORTED, true},	   {SIP_HDR_ALLOW, true},
		{SIP_HDR_REQUIRE, false},	   {SIP_HDR_PROXY_REQUIRE, false},
		{SIP_HDR_UNSUPPORTED, false},	   {SIP_HDR_ALLOW_EVENTS, false},
		{SIP_HDR_CONTENT_ENCODING, false},
	};

	if (walk_addrs(m, SIP_HDR_CONTACT, SIP_ADDR_CONTACT))
		return EBADMSG;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (walk_addrs(m, routes[i], SIP_ADDR_ROUTE))
			return EBADMSG;
	}
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		if (walk_addrs(m, plain[i], SIP_ADDR_PLAIN))
			return EBADMSG;
	}
	for (size_t i = 0; i < sizeof(tokens) / sizeof(tokens[0]); i++) {
		if (walk_tokens(m, tokens[i].id, tokens[i].may_be_empty))
			return EBADMSG;
	}
	for (uint32_t i = 0; i < m->hdr_count; i++) {
		if (check_field(m, &m->hdrs[i]))
			return EBADMSG;
	}
	return 0;
}
