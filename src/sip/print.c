/*
 * print.c - build SIP responses (RFC 3261 8.2.6) and forwarded requests
 * (RFC 3261 16.6).  Output always uses CRLF line ends and full header
 * names for the fields it writes itself; copied fields keep their name.
 */
#include "sip/print.h"

#include <arpa/inet.h>
#include <errno.h>

/* Copy a header value, turning each fold into a single space. */
static void put_unfolded(struct mbuf *mb, const struct pl *v)
{
	const char *p = v->p, *end = pl_end(v);

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *stop;

		if (!nl) {
			mbuf_put(mb, p, (size_t)(end - p));
			return;
		}
		stop = (nl > p && nl[-1] == '\r') ? nl - 1 : nl;
		mbuf_put(mb, p, (size_t)(stop - p));
		p = nl + 1;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		mbuf_put(mb, " ", 1);
	}
}

static void put_field(struct mbuf *mb, const struct sip_hdr *h)
{
	mbuf_put_pl(mb, &h->name);
	mbuf_put(mb, ": ", 2);
	put_unfolded(mb, &h->value);
	mbuf_put(mb, "\r\n", 2);
}

static bool inside(const struct pl *outer, const struct pl *inner)
{
	return inner->p && inner->p >= outer->p &&
	       pl_end(inner) <= pl_end(outer);
}

/*
 * Whether the sent-by host is the source address (RFC 3261 18.2.1).  An
 * IPv6 sent-by is a reference ("[::1]") while the source is written bare,
 * and either may use another of the textual forms of one address, so IPv6
 * addresses are compared as binary addresses.
 */
static bool host_is_src(const struct sip_via *via, const struct pl *ip)
{
	char ta[64], tb[64];
	unsigned char ba[16], bb[16];
	struct pl inner, src = *ip;

	if (via->host_type != SIP_HOST_IPV6)
		return pl_caseeq(&via->host, ip);
	if (src.l >= 2 && src.p[0] == '[' && src.p[src.l - 1] == ']')
		src = pl_make(src.p + 1, src.l - 2);
	inner = pl_make(via->host.p + 1, via->host.l - 2);
	if (inner.l >= sizeof(ta) || src.l >= sizeof(tb))
		return false;
	pl_strcpy(&inner, ta, sizeof(ta));
	pl_strcpy(&src, tb, sizeof(tb));
	return inet_pton(AF_INET6, ta, ba) == 1 &&
	       inet_pton(AF_INET6, tb, bb) == 1 && memcmp(ba, bb, 16) == 0;
}

/*
 * The top via-parm with received and rport set from the source address:
 * received whenever the sent-by host differs from the source or rport was
 * asked for, rport filled with the source port (RFC 3581 4).  Existing
 * received/rport parameters are replaced, not repeated.
 */
static void put_top_via(struct mbuf *mb, const struct sip_via *via,
			const struct sip_src *src)
{
	const struct pl *skip[2] = {NULL, NULL};
	const char *p = via->value.p, *end = pl_end(&via->value);
	bool add_received;

	if (!src) {
		put_unfolded(mb, &via->value);
		return;
	}
	add_received = via->rport || !host_is_src(via, &src->ip);
	if (inside(&via->value, &via->received_param))
		skip[0] = &via->received_param;
	if (inside(&via->value, &via->rport_param))
		skip[1] = &via->rport_param;
	if (skip[0] && skip[1] && skip[1]->p < skip[0]->p) {
		const struct pl *t = skip[0];
		skip[0] = skip[1];
		skip[1] = t;
	}
	for (int i = 0; i < 2; i++) {
		const char *semi;
		struct pl part;
		if (!skip[i])
			continue;
		/* Drop the parameter together with its ';' and any SWS. */
		semi = skip[i]->p;
		while (semi > p && *semi != ';')
			semi--;
		part = pl_from_range(p, semi);
		put_unfolded(mb, &part);
		p = pl_end(skip[i]);
	}
	{
		struct pl rest = pl_from_range(p, end);
		put_unfolded(mb, &rest);
	}
	if (add_received) {
		mbuf_puts(mb, ";received=");
		mbuf_put_pl(mb, &src->ip);
	}
	if (via->rport) {
		mbuf_puts(mb, ";rport=");
		mbuf_put_u32(mb, src->port);
	}
}

/* Every Via field, the first one with its top via-parm rewritten. */
static void put_vias(struct mbuf *mb, const struct sip_msg *m,
		     const struct sip_src *src)
{
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_VIA);
	bool first = true;

	for (; h; h = sip_msg_hdr_next(m, h)) {
		mbuf_puts(mb, "Via: ");
		if (first && inside(&h->value, &m->via.value)) {
			struct pl rest = pl_from_range(pl_end(&m->via.value),
						       pl_end(&h->value));
			put_top_via(mb, &m->via, src);
			put_unfolded(mb, &rest);
		} else {
			put_unfolded(mb, &h->value);
		}
		mbuf_put(mb, "\r\n", 2);
		first = false;
	}
}

static void put_named(struct mbuf *mb, const char *name,
		      const struct pl *value)
{
	mbuf_puts(mb, name);
	mbuf_put(mb, ": ", 2);
	put_unfolded(mb, value);
	mbuf_put(mb, "\r\n", 2);
}

static void put_routes(struct mbuf *mb, const struct pl *routes, unsigned n)
{
	if (!n)
		return;
	mbuf_puts(mb, "Route: ");
	for (unsigned i = 0; i < n; i++) {
		if (i)
			mbuf_put(mb, ", ", 2);
		put_unfolded(mb, &routes[i]);
	}
	mbuf_put(mb, "\r\n", 2);
}

int sip_reply_print(struct mbuf *mb, const struct sip_msg *req,
		    const struct sip_reply *r)
{
	const struct sip_hdr *h;

	mbuf_puts(mb, "SIP/2.0 ");
	mbuf_put_u32(mb, r->status);
	mbuf_put(mb, " ", 1);
	mbuf_puts(mb, r->reason);
	mbuf_put(mb, "\r\n", 2);
	put_vias(mb, req, r->src);
	put_named(mb, "From", &req->from.value);
	mbuf_puts(mb, "To: ");
	put_unfolded(mb, &req->to.value);
	if (!req->to.tag.p && r->status > 100 && r->to_tag.l) {
		mbuf_puts(mb, ";tag=");
		mbuf_put_pl(mb, &r->to_tag);
	}
	mbuf_put(mb, "\r\n", 2);
	put_named(mb, "Call-ID", &req->call_id);
	mbuf_puts(mb, "CSeq: ");
	mbuf_put_u32(mb, req->cseq.num);
	mbuf_put(mb, " ", 1);
	mbuf_put_pl(mb, &req->cseq.method);
	mbuf_put(mb, "\r\n", 2);
	/* RFC 3261 8.2.6.1: a 100 Trying echoes Timestamp. */
	if (r->status == 100 && (h = sip_msg_hdr(req, SIP_HDR_TIMESTAMP)))
		put_field(mb, h);
	if (r->extra)
		mbuf_puts(mb, r->extra);
	if (r->body.l && r->content_type) {
		mbuf_puts(mb, "Content-Type: ");
		mbuf_puts(mb, r->content_type);
		mbuf_put(mb, "\r\n", 2);
	}
	mbuf_puts(mb, "Content-Length: ");
	mbuf_put_u32(mb, (uint32_t)(r->content_type ? r->body.l : 0));
	mbuf_put(mb, "\r\n\r\n", 4);
	if (r->content_type)
		mbuf_put_pl(mb, &r->body);
	return mb->overflow ? EOVERFLOW : 0;
}

int sip_fwd_print(struct mbuf *mb, const struct sip_msg *req,
		  const struct sip_fwd *f)
{
	const struct pl *ruri = f->ruri ? f->ruri : &req->ruri_raw;
	bool vias_done = false, routes_done = false;

	mbuf_put_pl(mb, &req->method_name);
	mbuf_put(mb, " ", 1);
	mbuf_put_pl(mb, ruri);
	mbuf_puts(mb, " SIP/2.0\r\nVia: ");
	mbuf_put_pl(mb, &f->via);
	mbuf_put(mb, "\r\n", 2);
	if (req->max_forwards < 0) {
		mbuf_puts(mb, "Max-Forwards: 70\r\n");
	}
	for (uint32_t i = 0; i < req->hdr_count; i++) {
		const struct sip_hdr *h = &req->hdrs[i];

		switch (h->id) {
		case SIP_HDR_VIA:
			if (!vias_done) {
				put_vias(mb, req, f->src);
				if (f->extra)
					mbuf_puts(mb, f->extra);
				vias_done = true;
			}
			break;
		case SIP_HDR_ROUTE:
			if (!f->replace_routes) {
				put_field(mb, h);
			} else if (!routes_done) {
				put_routes(mb, f->routes, f->nroutes);
				routes_done = true;
			}
			break;
		case SIP_HDR_MAX_FORWARDS:
			mbuf_puts(mb, "Max-Forwards: ");
			mbuf_put_u32(mb, req->max_forwards > 0
						 ? (uint32_t)req->max_forwards - 1
						 : 0);
			mbuf_put(mb, "\r\n", 2);
			break;
		case SIP_HDR_CONTENT_LENGTH:
			break;
		default:
			put_field(mb, h);
		}
	}
	if (f->replace_routes && !routes_done)
		put_routes(mb, f->routes, f->nroutes);
	mbuf_puts(mb, "Content-Length: ");
	mbuf_put_u32(mb, (uint32_t)(f->body ? f->body : &req->body)->l);
	mbuf_put(mb, "\r\n\r\n", 4);
	mbuf_put_pl(mb, f->body ? f->body : &req->body);
	return mb->overflow ? EOVERFLOW : 0;
}

int sip_resp_fwd_print(struct mbuf *mb, const struct sip_msg *resp,
		       const struct pl *body)
{
	bool vias_done = false;

	/* The status line as received. */
	mbuf_put(mb, resp->raw.p,
		 (size_t)(resp->hdrs[0].line - resp->raw.p));
	for (uint32_t i = 0; i < resp->hdr_count; i++) {
		const struct sip_hdr *h = &resp->hdrs[i];

		switch (h->id) {
		case SIP_HDR_VIA:
			if (!vias_done) {
				struct sip_hdr_iter it;
				struct sip_via v;
				unsigned n = 0;
				sip_hdr_iter_init(&it, resp, SIP_HDR_VIA);
				while (sip_via_next(&it, &v) == 0) {
					if (n++ == 0)
						continue; /* ours */
					mbuf_puts(mb, "Via: ");
					put_unfolded(mb, &v.value);
					mbuf_put(mb, "\r\n", 2);
				}
				vias_done = true;
			}
			break;
		case SIP_HDR_CONTENT_LENGTH:
			break;
		default:
			put_field(mb, h);
		}
	}
	if (!body)
		body = &resp->body;
	mbuf_puts(mb, "Content-Length: ");
	mbuf_put_u32(mb, (uint32_t)body->l);
	mbuf_put(mb, "\r\n\r\n", 4);
	mbuf_put_pl(mb, body);
	return mb->overflow ? EOVERFLOW : 0;
}

/* Request line, top Via, Max-Forwards, From, Call-ID and Route of req,
 * with method for the request line and CSeq, and the given To value. */
static int put_hop_request(struct mbuf *mb, const struct sip_msg *req,
			   const char *method, const struct pl *to)
{
	const struct sip_hdr *h;

	mbuf_puts(mb, method);
	mbuf_put(mb, " ", 1);
	mbuf_put_pl(mb, &req->ruri_raw);
	mbuf_puts(mb, " SIP/2.0\r\nVia: ");
	put_unfolded(mb, &req->via.value);
	mbuf_puts(mb, "\r\nMax-Forwards: 70\r\n");
	put_named(mb, "From", &req->from.value);
	put_named(mb, "To", to);
	put_named(mb, "Call-ID", &req->call_id);
	mbuf_puts(mb, "CSeq: ");
	mbuf_put_u32(mb, req->cseq.num);
	mbuf_put(mb, " ", 1);
	mbuf_puts(mb, method);
	mbuf_put(mb, "\r\n", 2);
	for (h = sip_msg_hdr(req, SIP_HDR_ROUTE); h; h = sip_msg_hdr_next(req, h))
		put_field(mb, h);
	mbuf_puts(mb, "Content-Length: 0\r\n\r\n");
	return mb->overflow ? EOVERFLOW : 0;
}

int sip_cancel_print(struct mbuf *mb, const struct sip_msg *req)
{
	return put_hop_request(mb, req, "CANCEL", &req->to.value);
}

int sip_ack_print(struct mbuf *mb, const struct sip_msg *req,
		  const struct sip_msg *resp)
{
	return put_hop_request(mb, req, "ACK", &resp->to.value);
}
