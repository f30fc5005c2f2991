/*
 * fields.c - the small header fields: CSeq, Call-ID, numeric fields,
 * option-tag lists, User-Agent/Server and Content-Type (RFC 3261 20).
 */
#include "sip/msg.h"

#include <errno.h>

/* CSeq = 1*DIGIT LWS Method; the number is below 2^31 (RFC 3261 8.1.1.5). */
int sip_cseq_parse(const struct pl *value, struct sip_cseq *cseq)
{
	struct scan s;

	scan_init(&s, value);
	if (!scan_uint(&s, 0x7fffffffu, &cseq->num))
		return EBADMSG;
	/* The usual single space, else any LWS. */
	if (scan_peek(&s, ' ') && s.p + 1 < s.end && s.p[1] > ' ')
		s.p++;
	else if (!scan_lws(&s))
		return EBADMSG;
	if (!scan_token(&s, &cseq->method) || !scan_eof(&s))
		return EBADMSG;
	cseq->method_id = sip_method_lookup(&cseq->method);
	return 0;
}

/* callid = word [ "@" word ] */
int sip_callid_parse(const struct pl *value)
{
	struct scan s;

	scan_init(&s, value);
	if (!scan_class(&s, SC_WORD, NULL))
		return EBADMSG;
	if (scan_char(&s, '@') && !scan_class(&s, SC_WORD, NULL))
		return EBADMSG;
	return scan_eof(&s) ? 0 : EBADMSG;
}

int sip_uint_hdr_parse(const struct pl *value, uint32_t max, uint32_t *out)
{
	return pl_u32(value, max, out) ? EBADMSG : 0;
}

int sip_token_next(struct sip_hdr_iter *it, struct pl *token)
{
	int err = sip_hdr_iter_step(it, true);
	struct scan probe;

	if (err)
		return err;
	if (!scan_token(&it->s, token))
		return EBADMSG;
	probe = it->s;
	scan_sws(&probe);
	if (!scan_eof(&probe) && !scan_peek(&probe, ','))
		return EBADMSG;
	return 0;
}

/*
 * comment = LPAREN *(ctext / quoted-pair / comment) RPAREN, nested.
 * Nesting is capped so that a hostile field cannot cost more than linear
 * time and no recursion is used.
 */
#define COMMENT_MAX_DEPTH 16

static bool scan_comment(struct scan *s)
{
	const char *p = s->p;
	int depth = 0;

	if (p >= s->end || *p != '(')
		return false;
	while (p < s->end) {
		unsigned char c = (unsigned char)*p;
		if (c == '(') {
			if (++depth > COMMENT_MAX_DEPTH)
				return false;
			p++;
		} else if (c == ')') {
			p++;
			if (--depth == 0) {
				s->p = p;
				return true;
			}
		} else if (c == '\\') {
			if (p + 1 >= s->end || p[1] == '\r' || p[1] == '\n' ||
			    (unsigned char)p[1] > 0x7f)
				return false;
			p += 2;
		} else if (c == '\r' || c == '\n') {
			struct scan f = {p, s->end};
			if (!scan_lws(&f))
				return false;
			p = f.p;
		} else if (c >= 0x80) {
			size_t n = sip_utf8_len(p, s->end);
			if (!n)
				return false;
			p += n;
		} else if (c < 0x20 && c != '\t') {
			return false;
		} else {
			p++;
		}
	}
	return false;
}

/* User-Agent / Server = product *( LWS ( product / comment ) ) */
int sip_product_list_parse(const struct pl *value)
{
	struct scan s;
	int n = 0;

	scan_init(&s, value);
	while (!scan_eof(&s)) {
		if (n++ > 0 && !scan_lws(&s))
			return EBADMSG;
		if (scan_eof(&s))
			break;
		if (scan_peek(&s, '(')) {
			if (!scan_comment(&s))
				return EBADMSG;
		} else {
			if (!scan_token(&s, NULL))
				return EBADMSG;
			if (scan_sep(&s, '/') && !scan_token(&s, NULL))
				return EBADMSG;
		}
	}
	return n > 0 ? 0 : EBADMSG;
}

/* media-type = m-type SLASH m-subtype *( SEMI m-parameter ) */
int sip_ctype_parse(const struct pl *value, struct sip_ctype *ct)
{
	struct scan s;
	struct pl name, val;
	const char *pstart;

	memset(ct, 0, sizeof(*ct));
	scan_init(&s, value);
	if (!scan_token(&s, &ct->type) || !scan_sep(&s, '/') ||
	    !scan_token(&s, &ct->subtype))
		return EBADMSG;
	pstart = s.p;
	while (!scan_eof(&s)) {
		if (!scan_generic_param(&s, &name, &val) || !val.p)
			return EBADMSG;
		scan_sws(&s);
	}
	if (s.p != pstart)
		ct->params = pl_from_range(pstart, s.p);
	return 0;
}
