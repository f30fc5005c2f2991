/*
 * addr.c - name-addr and addr-spec with header parameters: From, To,
 * Contact, Route, Record-Route, Path and friends (RFC 3261 20.10, 20.20,
 * 20.30, 20.34, 20.39, 25.1).
 */
#include "sip/msg.h"

#include <errno.h>

/*
 * display-name = *(token LWS) / quoted-string, followed by LAQUOT.
 * Returns true with the display name (possibly unset) when a name-addr
 * starts here, leaving the scanner just after '<'.
 */
static bool scan_name_addr_start(struct scan *s, struct pl *display)
{
	struct scan save = *s;
	const char *start = s->p;

	*display = (struct pl)PL_INIT;
	if (scan_peek(s, '"')) {
		if (!scan_quoted(s, NULL))
			goto fail;
		*display = pl_from_range(start, s->p);
		scan_sws(s);
		if (!scan_char(s, '<'))
			goto fail;
		return true;
	}
	if (scan_char(s, '<'))
		return true;
	/* Tokens separated by LWS; "Bob<sip:...>" without the space is
	 * accepted too, as every deployed stack does. */
	while (scan_token(s, NULL)) {
		const char *tok_end = s->p;
		scan_sws(s);
		if (scan_char(s, '<')) {
			*display = pl_from_range(start, tok_end);
			return true;
		}
	}
fail:
	*s = save;
	return false;
}

/* delta-seconds, capped at 2^32-1 as RFC 3261 20.19 suggests. */
static int parse_delta(const struct pl *v, uint32_t *out)
{
	int err = pl_u32(v, UINT32_MAX, out);

	if (err == ERANGE) {
		for (size_t i = 0; i < v->l; i++) {
			if (v->p[i] < '0' || v->p[i] > '9')
				return EBADMSG;
		}
		*out = UINT32_MAX;
		return 0;
	}
	return err ? EBADMSG : 0;
}

/* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ) */
static int parse_qvalue(const struct pl *v, uint16_t *out)
{
	uint16_t q;
	size_t i;

	if (!v->p || v->l == 0 || v->l > 5 || (v->p[0] != '0' && v->p[0] != '1'))
		return EBADMSG;
	q = (uint16_t)((v->p[0] - '0') * 1000);
	if (v->l == 1) {
		*out = q;
		return 0;
	}
	if (v->p[1] != '.')
		return EBADMSG;
	for (i = 2; i < v->l; i++) {
		char c = v->p[i];
		if (c < '0' || c > '9' || (q == 1000 && c != '0'))
			return EBADMSG;
		q = (uint16_t)(q + (c - '0') * (i == 2 ? 100 : i == 3 ? 10 : 1));
	}
	*out = q;
	return 0;
}

static int addr_params(struct scan *s, struct sip_addr *a,
		       enum sip_addr_kind kind)
{
	const char *start = s->p;
	struct pl name, value;

	for (;;) {
		struct scan probe = *s;

		scan_sws(&probe);
		if (!scan_peek(&probe, ';'))
			break;
		if (!scan_generic_param(s, &name, &value))
			return EBADMSG;
		if (kind == SIP_ADDR_FROM_TO && pl_caseeq_str(&name, "tag")) {
			if (a->tag.p || !value.p || !sc_is(value.p[0], SC_TOKEN))
				return EBADMSG;
			a->tag = value;
		} else if (kind == SIP_ADDR_CONTACT &&
			   pl_caseeq_str(&name, "expires")) {
			if (a->has_expires || !value.p ||
			    parse_delta(&value, &a->expires))
				return EBADMSG;
			a->has_expires = true;
		} else if (kind == SIP_ADDR_CONTACT &&
			   pl_caseeq_str(&name, "q")) {
			if (a->has_q || parse_qvalue(&value, &a->q))
				return EBADMSG;
			a->has_q = true;
		}
	}
	if (s->p != start)
		a->params = pl_from_range(start, s->p);
	return 0;
}

static int parse_uri_slice(struct sip_addr *a, const struct pl *raw,
			   enum sip_addr_kind kind, uint32_t max_uri_length)
{
	int err;

	if (raw->l == 0)
		return EBADMSG;
	if (raw->l > max_uri_length)
		return EOVERFLOW;
	a->uri_raw = *raw;
	err = sip_uri_parse(&a->uri, raw);
	/* From, To and Contact may hold any absoluteURI (RFC 3261 25.1);
	 * routes must be SIP or SIPS. */
	if (err == EPROTONOSUPPORT && kind != SIP_ADDR_ROUTE)
		return 0;
	if (err)
		return err == EOVERFLOW ? EOVERFLOW : EBADMSG;
	if (kind == SIP_ADDR_ROUTE && a->uri.scheme == SIP_URI_TEL)
		return EBADMSG;
	return 0;
}

int sip_addr_parse(struct scan *s, struct sip_addr *a, enum sip_addr_kind kind,
		   uint32_t max_uri_length)
{
	struct scan save = *s;
	const char *start = s->p;
	struct pl raw;
	int err;

	memset(a, 0, sizeof(*a));
	if (kind == SIP_ADDR_CONTACT && scan_peek(s, '*')) {
		struct scan probe = *s;
		probe.p++;
		scan_sws(&probe);
		if (scan_eof(&probe)) {
			s->p++;
			a->star = true;
			a->value = pl_from_range(start, s->p);
			return 0;
		}
	}
	if (scan_name_addr_start(s, &a->display)) {
		/* The URI runs to the first '>'; sip_uri_parse checks every
		 * character of it (white space, '<' and '"' included). */
		const char *u = s->p;
		const char *gt = memchr(u, '>', (size_t)(s->end - u));
		if (!gt)
			goto bad;
		raw = pl_from_range(u, gt);
		s->p = gt + 1;
	} else {
		const char *u = s->p;
		if (kind == SIP_ADDR_ROUTE)
			goto bad;
		/* addr-spec: the URI cannot contain ';', ',' or '?' here. */
		while (s->p < s->end) {
			unsigned char c = (unsigned char)*s->p;
			if (c == ';' || c == ',' || c == ' ' || c == '\t' ||
			    c == '\r' || c == '\n')
				break;
			if (c < 0x20 || c >= 0x7f || c == '<' || c == '>' ||
			    c == '"' || c == '?')
				goto bad;
			s->p++;
		}
		raw = pl_from_range(u, s->p);
	}
	err = parse_uri_slice(a, &raw, kind, max_uri_length);
	if (err) {
		*s = save;
		return err;
	}
	if (addr_params(s, a, kind))
		goto bad;
	a->value = pl_from_range(start, s->p);
	return 0;
bad:
	*s = save;
	return EBADMSG;
}

int sip_addr_next(struct sip_hdr_iter *it, struct sip_addr *a,
		  enum sip_addr_kind kind)
{
	int err = sip_hdr_iter_step(it, false);
	uint32_t max_uri = it->msg->limits ? it->msg->limits->max_uri_length
					   : 1024;
	struct scan probe;

	if (err)
		return err;
	err = sip_addr_parse(&it->s, a, kind, max_uri);
	if (err)
		return EBADMSG;
	/* RFC 3261 10.2.2: "*" stands alone, also across Contact fields. */
	if (a->star && (it->count > 1 || it->hdr->next ||
			sip_msg_hdr(it->msg, (enum sip_hdr_id)it->hdr->id) !=
				it->hdr))
		return EBADMSG;
	probe = it->s;
	scan_sws(&probe);
	if (!scan_eof(&probe) && (a->star || !scan_peek(&probe, ',')))
		return EBADMSG;
	return 0;
}
