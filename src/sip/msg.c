/*
 * msg.c - split a SIP message into start line, header fields and body, and
 * parse the header fields a proxy needs on every message (RFC 3261 7).
 */
#include "sip/msg.h"

#include <errno.h>

void sip_limits_default(struct sip_limits *l)
{
	l->max_message_size = 65535;
	l->max_headers = 128;
	l->max_header_length = 8192;
	l->max_via = 32;
	l->max_uri_length = 1024;
}

static const char *const err_names[SIP_ERR_COUNT] = {
#define X(id, name) [SIP_ERR_##id] = name,
	SIP_ERR_LIST(X)
#undef X
};

const char *sip_err_name(enum sip_err e)
{
	if ((unsigned)e >= SIP_ERR_COUNT)
		return "unknown";
	return err_names[e];
}

/*
 * Bytes that may not appear in the start line or header section outside a
 * line terminator: controls other than HT, and DEL.  RFC 3261 would allow
 * some of them inside quoted-pair, but no real phone sends them and they
 * are a classic way to confuse downstream C parsers, so the shield refuses
 * them (docs/sip-parser.md).
 */
static uint8_t ctl_class[256];

__attribute__((constructor)) static void msg_ctl_init(void)
{
	for (int c = 0; c < 0x20; c++)
		ctl_class[c] = 1;
	ctl_class['\t'] = 0;
	ctl_class[0x7f] = 1;
}

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Index of the first byte in p[0..16) below 0x20 or equal to 0x7f, or 16. */
static inline unsigned first_ctl16(const char *p)
{
#ifdef __SSE2__
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
	__m128i low = _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(0x1f)), x);
	__m128i del = _mm_cmpeq_epi8(x, _mm_set1_epi8(0x7f));
	unsigned mask = (unsigned)_mm_movemask_epi8(_mm_or_si128(low, del));
	return mask ? (unsigned)__builtin_ctz(mask) : 16;
#else
	for (unsigned i = 0; i < 16; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c < 0x20 || c == 0x7f)
			return i;
	}
	return 16;
#endif
}

/*
 * Find the end of the line starting at p: returns a pointer to its LF, or
 * NULL when there is none.  *bad is set on a forbidden control byte or a
 * CR not followed by LF.
 */
static const char *find_lf(const char *p, const char *end, bool *bad)
{
	for (;;) {
		unsigned char c;

		/* Sixteen bytes at a time to the next control byte; the tail
		 * of the buffer one byte at a time. */
		while (end - p >= 16) {
			unsigned i = first_ctl16(p);
			p += i;
			if (i < 16)
				goto found;
		}
		while (p < end && !ctl_class[(unsigned char)*p])
			p++;
		if (p >= end)
			return NULL;
found:
		c = (unsigned char)*p;
		if (c == '\t') {
			p++; /* HT is allowed inside a line */
			continue;
		}
		if (c == '\n')
			return p;
		if (c == '\r' && p + 1 < end && p[1] == '\n')
			return p + 1;
		*bad = true;
		return NULL;
	}
}

/* Record the first failure; the parse may continue to see if it can answer. */
static void fail(struct sip_msg *m, enum sip_err err, uint16_t status,
		 const char *phrase)
{
	if (m->err != SIP_ERR_NONE)
		return;
	m->err = err;
	m->err_status = status;
	m->err_phrase = phrase;
}

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT; true if well formed. */
static bool version_syntax(const struct pl *v, bool *is_20)
{
	struct scan s;
	uint32_t major, minor;

	/* Nearly every message says exactly this. */
	if (v->l == 7 && memcmp(v->p, "SIP/2.0", 7) == 0) {
		*is_20 = true;
		return true;
	}
	scan_init(&s, v);
	if (!scan_literal(&s, "SIP/") || !scan_uint(&s, 999, &major) ||
	    !scan_char(&s, '.') || !scan_uint(&s, 999, &minor) ||
	    !scan_eof(&s))
		return false;
	*is_20 = major == 2 && minor == 0;
	return true;
}

static int parse_status_line(struct sip_msg *m, struct pl line)
{
	const char *p = line.p, *end = pl_end(&line);
	struct pl ver, code;
	bool is_20;
	uint32_t status;

	m->is_request = false;
	while (p < end && *p != ' ')
		p++;
	ver = pl_from_range(line.p, p);
	if (!version_syntax(&ver, &is_20) || !is_20) {
		fail(m, SIP_ERR_VERSION, 0, "Bad status line");
		return EBADMSG;
	}
	if (end - p < 4 || p[0] != ' ') {
		fail(m, SIP_ERR_STATUS, 0, "Bad status line");
		return EBADMSG;
	}
	code = pl_make(p + 1, 3);
	if (pl_u32(&code, 999, &status) || status < 100 || status > 699 ||
	    (end - p > 4 && p[4] != ' ')) {
		fail(m, SIP_ERR_STATUS, 0, "Bad status code");
		return EBADMSG;
	}
	m->status = (uint16_t)status;
	p += 4;
	if (p < end)
		p++; /* the SP before the reason phrase */
	m->reason = pl_from_range(p, end);
	/* Reason-Phrase: printable text and UTF-8, SP and HT. */
	while (p < end) {
		size_t n = sip_utf8_len(p, end);
		if (n == 0) {
			fail(m, SIP_ERR_STATUS, 0, "Bad reason phrase");
			return EBADMSG;
		}
		p += n;
	}
	return 0;
}

static int parse_request_line(struct sip_msg *m, struct pl line)
{
	const char *p = line.p, *end = pl_end(&line);
	const char *sp1, *sp2;
	struct pl ver;
	bool is_20;
	int err;

	m->is_request = true;
	sp1 = memchr(p, ' ', line.l);
	if (!sp1 || sp1 == p) {
		fail(m, SIP_ERR_START_LINE, 0, "Malformed request line");
		return EBADMSG;
	}
	m->method_name = pl_from_range(p, sp1);
	for (const char *q = p; q < sp1; q++) {
		if (!sc_is(*q, SC_TOKEN)) {
			fail(m, SIP_ERR_START_LINE, 0,
			     "Malformed request line");
			return EBADMSG;
		}
	}
	m->method = sip_method_lookup(&m->method_name);
	sp2 = memchr(sp1 + 1, ' ', (size_t)(end - sp1 - 1));
	if (!sp2 || sp2 == sp1 + 1) {
		fail(m, SIP_ERR_START_LINE, 400, "Malformed request line");
		return EBADMSG;
	}
	m->ruri_raw = pl_from_range(sp1 + 1, sp2);
	ver = pl_from_range(sp2 + 1, end);
	if (!version_syntax(&ver, &is_20)) {
		fail(m, SIP_ERR_START_LINE, 400, "Malformed SIP version");
		return EBADMSG;
	}
	if (!is_20) {
		fail(m, SIP_ERR_VERSION, 505, "Version Not Supported");
		return EBADMSG;
	}
	if (m->ruri_raw.l > m->limits->max_uri_length) {
		fail(m, SIP_ERR_URI_TOO_LONG, 414, "Request-URI Too Long");
		return EBADMSG;
	}
	err = sip_uri_parse(&m->ruri, &m->ruri_raw);
	if (err == EPROTONOSUPPORT) {
		fail(m, SIP_ERR_URI_SCHEME, 416, "Unsupported URI Scheme");
		return EBADMSG;
	}
	if (err) {
		fail(m, SIP_ERR_RURI, 400, "Malformed Request-URI");
		return EBADMSG;
	}
	return 0;
}

/*
 * Split the header section into fields.  Returns 0 with m->body set, or
 * EBADMSG.  Folded continuation lines are joined into the field they
 * continue (RFC 3261 7.3.1); the value slice then still contains the fold.
 */
static int split_headers(struct sip_msg *m, const char *p, const char *end,
			 bool *folded)
{
	uint16_t last[SIP_HDR_COUNT];
	struct sip_hdr *cur = NULL;
	const struct sip_limits *lim = m->limits;

	memset(last, 0, sizeof(last));
	m->headers.p = p;
	for (;;) {
		bool bad = false;
		const char *lf = find_lf(p, end, &bad);
		const char *content_end;

		if (bad) {
			fail(m, SIP_ERR_CONTROL_CHAR, 0,
			     "Control character in header");
			return EBADMSG;
		}
		if (!lf) {
			fail(m, SIP_ERR_NO_HEADER_END, 0,
			     "Header section not terminated");
			return EBADMSG;
		}
		content_end = (lf > p && lf[-1] == '\r') ? lf - 1 : lf;
		if (content_end == p) {
			/* The empty line: end of the header section. */
			m->headers.l = (size_t)(p - m->headers.p);
			m->body = pl_from_range(lf + 1, end);
			return 0;
		}
		if (is_wsp(*p)) {
			/* A fold continues the previous field. */
			if (!cur) {
				fail(m, SIP_ERR_HEADER_SYNTAX, 0,
				     "Continuation line without header");
				return EBADMSG;
			}
			const char *ve = content_end;
			while (ve > p && is_wsp(ve[-1]))
				ve--;
			cur->value.l = (size_t)(ve - cur->value.p);
			cur->line_end = lf + 1;
			*folded = true;
		} else {
			const char *q, *colon, *ve;
			uint16_t idx;

			/* The ceiling guards the array should a configured
			 * limit be above it. */
			if (m->hdr_count >= lim->max_headers ||
			    m->hdr_count >= SIP_MAX_HEADERS_CEILING) {
				fail(m, SIP_ERR_TOO_MANY_HEADERS, 0,
				     "Too many header fields");
				return EBADMSG;
			}
			/* field-name HCOLON: the name runs to the colon, less
			 * any white space before it.  A known name is a token
			 * by construction; only unknown names are checked
			 * character by character. */
			colon = memchr(p, ':', (size_t)(content_end - p));
			if (!colon) {
				fail(m, SIP_ERR_HEADER_SYNTAX, 0,
				     "Malformed header field");
				return EBADMSG;
			}
			q = colon;
			while (q > p && is_wsp(q[-1]))
				q--;
			idx = (uint16_t)m->hdr_count;
			cur = &m->hdrs[idx];
			cur->name = pl_from_range(p, q);
			cur->id = q > p ? (uint16_t)sip_hdr_lookup(p, cur->name.l)
					: SIP_HDR_OTHER;
			if (cur->id == SIP_HDR_OTHER) {
				const char *t = p;
				while (t < q && sc_is(*t, SC_TOKEN))
					t++;
				if (q == p || t != q) {
					fail(m, SIP_ERR_HEADER_SYNTAX, 0,
					     "Malformed header name");
					return EBADMSG;
				}
			}
			cur->line = p;
			cur->line_end = lf + 1;
			/* Value: without white space around it; a fold right
			 * after the colon is trimmed after the split. */
			q = colon + 1;
			while (q < content_end && is_wsp(*q))
				q++;
			ve = content_end;
			while (ve > q && is_wsp(ve[-1]))
				ve--;
			cur->value = pl_from_range(q, ve);
			cur->next = 0;
			if (cur->id != SIP_HDR_OTHER) {
				if (last[cur->id])
					m->hdrs[last[cur->id] - 1].next =
						(uint16_t)(idx + 1);
				else
					m->first[cur->id] = (uint16_t)(idx + 1);
				last[cur->id] = (uint16_t)(idx + 1);
			}
			m->hdr_count++;
		}
		if ((size_t)(content_end - cur->line) > lim->max_header_length) {
			fail(m, SIP_ERR_HEADER_TOO_LONG, 0, "Header too long");
			return EBADMSG;
		}
		p = lf + 1;
	}
}

/* After folds, values may start or end with line breaks: trim them all
 * (folds inside a value are kept; they are white space to the parsers). */
static void trim_values(struct sip_msg *m)
{
	for (uint32_t i = 0; i < m->hdr_count; i++)
		m->hdrs[i].value = pl_trim(m->hdrs[i].value);
}

/* Exactly one field of a singleton header; NULL (with the error set). */
static const struct sip_hdr *single(struct sip_msg *m, enum sip_hdr_id id,
				    const char *missing, const char *dup)
{
	const struct sip_hdr *h = sip_msg_hdr(m, id);

	if (!h) {
		fail(m, SIP_ERR_MISSING_HEADER, 0, missing);
		return NULL;
	}
	if (h->next) {
		fail(m, SIP_ERR_DUPLICATE_HEADER, 0, dup);
		return NULL;
	}
	return h;
}

static int parse_from_to(struct sip_msg *m, enum sip_hdr_id id,
			 struct sip_addr *addr, enum sip_err err,
			 const char *missing, const char *dup,
			 const char *bad)
{
	const struct sip_hdr *h = single(m, id, missing, dup);
	struct scan s;
	int rc;

	if (!h)
		return EBADMSG;
	scan_init(&s, &h->value);
	rc = sip_addr_parse(&s, addr, SIP_ADDR_FROM_TO,
			    m->limits->max_uri_length);
	if (rc == EOVERFLOW) {
		/* Counted apart from syntax errors: a limit was hit. */
		fail(m, SIP_ERR_URI_TOO_LONG, 0, "URI too long");
		return EBADMSG;
	}
	if (rc || !scan_eof(&s)) {
		fail(m, err, 0, bad);
		return EBADMSG;
	}
	return 0;
}

/*
 * The headers needed to answer at all (RFC 3261 8.2.6: Via, From, To,
 * Call-ID, CSeq).  Any failure here makes the message unanswerable.
 */
static int parse_core(struct sip_msg *m)
{
	struct sip_hdr_iter it;
	struct sip_via via;
	const struct sip_hdr *h;
	int err;

	sip_hdr_iter_init(&it, m, SIP_HDR_VIA);
	while ((err = sip_via_next(&it, &via)) == 0) {
		if (m->via_count == 0)
			m->via = via;
		if (++m->via_count > m->limits->max_via) {
			fail(m, SIP_ERR_TOO_MANY_VIA, 0, "Too many Via headers");
			return EBADMSG;
		}
	}
	if (err != ENOENT) {
		fail(m, SIP_ERR_VIA, 0, "Malformed Via header");
		return EBADMSG;
	}
	if (m->via_count == 0) {
		fail(m, SIP_ERR_MISSING_HEADER, 0, "Missing Via header");
		return EBADMSG;
	}
	if (parse_from_to(m, SIP_HDR_FROM, &m->from, SIP_ERR_FROM,
			  "Missing From header", "Duplicate From header",
			  "Malformed From header") ||
	    parse_from_to(m, SIP_HDR_TO, &m->to, SIP_ERR_TO,
			  "Missing To header", "Duplicate To header",
			  "Malformed To header"))
		return EBADMSG;
	h = single(m, SIP_HDR_CALL_ID, "Missing Call-ID header",
		   "Duplicate Call-ID header");
	if (!h)
		return EBADMSG;
	if (sip_callid_parse(&h->value)) {
		fail(m, SIP_ERR_CALL_ID, 0, "Malformed Call-ID header");
		return EBADMSG;
	}
	m->call_id = h->value;
	h = single(m, SIP_HDR_CSEQ, "Missing CSeq header",
		   "Duplicate CSeq header");
	if (!h)
		return EBADMSG;
	if (sip_cseq_parse(&h->value, &m->cseq)) {
		fail(m, SIP_ERR_CSEQ, 0, "Malformed CSeq header");
		return EBADMSG;
	}
	return 0;
}

/* Headers whose fault still lets us answer with 400. */
static int parse_answerable(struct sip_msg *m)
{
	const struct sip_hdr *h;
	uint32_t v;

	if (m->is_request && !pl_eq(&m->cseq.method, &m->method_name)) {
		fail(m, SIP_ERR_CSEQ, 400, "CSeq method does not match");
		return EBADMSG;
	}
	m->max_forwards = -1;
	h = sip_msg_hdr(m, SIP_HDR_MAX_FORWARDS);
	if (h) {
		if (h->next) {
			fail(m, SIP_ERR_DUPLICATE_HEADER, 400,
			     "Duplicate Max-Forwards header");
			return EBADMSG;
		}
		if (sip_uint_hdr_parse(&h->value, 255, &v)) {
			fail(m, SIP_ERR_MAX_FORWARDS, 400,
			     "Malformed Max-Forwards header");
			return EBADMSG;
		}
		m->max_forwards = (int32_t)v;
	}
	h = sip_msg_hdr(m, SIP_HDR_CONTENT_LENGTH);
	if (h) {
		if (h->next) {
			fail(m, SIP_ERR_DUPLICATE_HEADER, 400,
			     "Duplicate Content-Length header");
			return EBADMSG;
		}
		if (sip_uint_hdr_parse(&h->value, SIP_MAX_MESSAGE_CEILING,
				       &v)) {
			fail(m, SIP_ERR_CONTENT_LENGTH, 400,
			     "Malformed Content-Length header");
			return EBADMSG;
		}
		m->has_clen = true;
		m->clen = v;
		/* RFC 3261 18.3: a datagram may carry more than the body; a
		 * body shorter than Content-Length is an error. */
		if (v > m->body.l) {
			fail(m, SIP_ERR_BODY, 400,
			     "Content-Length exceeds body");
			return EBADMSG;
		}
		m->body.l = v;
	}
	return 0;
}

int sip_msg_parse(struct sip_msg *m, const char *buf, size_t len,
		  const struct sip_limits *limits)
{
	const char *p = buf, *end = buf + len, *lf;
	struct pl line;
	bool bad = false, folded = false;
	int start_err;

	/* Clear every field but the header array, so that nothing of a
	 * previous message (the struct is reused) survives a failed parse. */
	memset(m, 0, offsetof(struct sip_msg, hdrs));
	m->raw = pl_make(buf, len);
	m->limits = limits;
	m->max_forwards = -1;

	if (len > limits->max_message_size || len > SIP_MAX_MESSAGE_CEILING) {
		fail(m, SIP_ERR_TOO_LARGE, 0, "Message Too Large");
		return EBADMSG;
	}
	/* RFC 3261 7.5: ignore CRLFs before the start line. */
	while (p < end && (*p == '\r' || *p == '\n'))
		p++;
	if (p == end) {
		fail(m, SIP_ERR_EMPTY, 0, "Empty message");
		return EBADMSG;
	}
	lf = find_lf(p, end, &bad);
	if (!lf) {
		fail(m, bad ? SIP_ERR_CONTROL_CHAR : SIP_ERR_START_LINE, 0,
		     "Malformed start line");
		return EBADMSG;
	}
	line = pl_from_range(p, (lf > p && lf[-1] == '\r') ? lf - 1 : lf);
	/* "SIP" is case-insensitive like every ABNF literal (RFC 5234
	 * 2.3); no method token contains '/', so this cannot misfire. */
	if (line.l >= 4 && pl_caseeq_str(&(struct pl){line.p, 4}, "SIP/"))
		start_err = parse_status_line(m, line);
	else
		start_err = parse_request_line(m, line);
	/* A start line we cannot even classify is not worth going on with. */
	if (start_err && m->err_status == 0)
		return EBADMSG;

	if (split_headers(m, lf + 1, end, &folded)) {
		m->err_status = 0;
		return EBADMSG;
	}
	if (folded)
		trim_values(m);
	if (parse_core(m)) {
		m->err_status = 0;
		return EBADMSG;
	}
	if (start_err)
		return EBADMSG;
	if (parse_answerable(m)) {
		if (!m->is_request)
			m->err_status = 0;
		return EBADMSG;
	}
	return 0;
}

const struct sip_hdr *sip_msg_hdr(const struct sip_msg *m, enum sip_hdr_id id)
{
	uint16_t i = m->first[id];
	return i ? &m->hdrs[i - 1] : NULL;
}

const struct sip_hdr *sip_msg_hdr_next(const struct sip_msg *m,
				       const struct sip_hdr *h)
{
	return h->next ? &m->hdrs[h->next - 1] : NULL;
}

const struct sip_hdr *sip_msg_hdr_by_name(const struct sip_msg *m,
					  const char *name)
{
	enum sip_hdr_id id = sip_hdr_lookup(name, strlen(name));

	if (id != SIP_HDR_OTHER)
		return sip_msg_hdr(m, id);
	for (uint32_t i = 0; i < m->hdr_count; i++) {
		if (pl_caseeq_str(&m->hdrs[i].name, name))
			return &m->hdrs[i];
	}
	return NULL;
}

void sip_hdr_iter_init(struct sip_hdr_iter *it, const struct sip_msg *msg,
		       enum sip_hdr_id id)
{
	it->msg = msg;
	it->hdr = sip_msg_hdr(msg, id);
	it->count = 0;
	it->s.p = it->s.end = NULL;
}

int sip_hdr_iter_step(struct sip_hdr_iter *it, bool allow_empty)
{
	while (it->hdr) {
		if (it->count == 0) {
			scan_init(&it->s, &it->hdr->value);
			it->count = 1;
			if (scan_eof(&it->s)) {
				if (!allow_empty)
					return EBADMSG;
				goto next_field;
			}
			return 0;
		}
		scan_sws(&it->s);
		if (scan_eof(&it->s))
			goto next_field;
		if (!scan_sep(&it->s, ',') || scan_eof(&it->s))
			return EBADMSG;
		it->count++;
		return 0;
next_field:
		it->hdr = sip_msg_hdr_next(it->msg, it->hdr);
		it->count = 0;
	}
	return ENOENT;
}
