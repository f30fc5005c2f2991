/*
 * stateless.c - the stateless server (see stateless.h).
 *
 * Checks follow RFC 3261 16.3 (request validation by a proxy) and 8.2
 * (UAS behaviour): syntax and URI scheme (done by the parser), then
 * Max-Forwards (483), Proxy-Require (420), the target, the method (405 or
 * 501) and, for requests the server itself answers, Require (420).
 */
#include "proxy/stateless.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <string.h>

#include "core/hash.h"
#include "core/log.h"

/* Methods this server answers itself at this stage. */
#define ALLOW_HDR "Allow: OPTIONS\r\n"

void sip_local_init(struct sip_local *loc, const struct vs_config *cfg)
{
	bool wildcard = false;

	memset(loc, 0, sizeof(*loc));
	loc->cfg = cfg;
	for (size_t i = 0; i < cfg->nlisten && loc->naddrs < SIP_LOCAL_MAX_ADDRS;
	     i++) {
		struct vs_sockaddr *a = &loc->addrs[loc->naddrs];
		memcpy(&a->u.ss, &cfg->listen[i].sa, cfg->listen[i].salen);
		a->len = cfg->listen[i].salen;
		if (vs_sa_is_any(a))
			wildcard = true;
		else
			loc->naddrs++;
	}
	if (wildcard) {
		struct ifaddrs *ifs, *ifa;
		if (getifaddrs(&ifs) == 0) {
			for (ifa = ifs; ifa && loc->naddrs < SIP_LOCAL_MAX_ADDRS;
			     ifa = ifa->ifa_next) {
				struct vs_sockaddr *a = &loc->addrs[loc->naddrs];
				if (!ifa->ifa_addr)
					continue;
				if (ifa->ifa_addr->sa_family == AF_INET)
					a->len = sizeof(struct sockaddr_in);
				else if (ifa->ifa_addr->sa_family == AF_INET6)
					a->len = sizeof(struct sockaddr_in6);
				else
					continue;
				memcpy(&a->u.ss, ifa->ifa_addr, a->len);
				loc->naddrs++;
			}
			freeifaddrs(ifs);
		}
	}
}

bool sip_local_is_us(const struct sip_local *loc, const struct sip_uri *uri)
{
	char host[VS_IPSTR_MAX];
	struct vs_sockaddr a;

	if (uri->scheme != SIP_URI_SIP && uri->scheme != SIP_URI_SIPS)
		return false;
	if (uri->host_type == SIP_HOST_NAME) {
		struct pl h = uri->host;
		/* A fully qualified name may end in a dot. */
		if (h.l && h.p[h.l - 1] == '.')
			h.l--;
		for (size_t i = 0; i < loc->cfg->ndomains; i++) {
			if (pl_caseeq_str(&h, loc->cfg->domains[i]))
				return true;
		}
		return false;
	}
	memset(&a, 0, sizeof(a));
	if (uri->host_type == SIP_HOST_IPV6) {
		struct pl inner = pl_make(uri->host.p + 1, uri->host.l - 2);
		pl_strcpy(&inner, host, sizeof(host));
		if (inet_pton(AF_INET6, host, &a.u.in6.sin6_addr) != 1)
			return false;
		a.u.in6.sin6_family = AF_INET6;
		a.len = sizeof(a.u.in6);
	} else {
		pl_strcpy(&uri->host, host, sizeof(host));
		if (inet_pton(AF_INET, host, &a.u.in.sin_addr) != 1)
			return false;
		a.u.in.sin_family = AF_INET;
		a.len = sizeof(a.u.in);
	}
	for (size_t i = 0; i < loc->naddrs; i++) {
		if (vs_sa_ip_eq(&loc->addrs[i], &a))
			return true;
	}
	return false;
}

/*
 * A To tag derived from the request, so that a retransmission gets the same
 * tag without the server keeping state (RFC 3261 8.2.6.2).
 */
static struct pl make_to_tag(const struct sip_msg *m, char buf[17])
{
	static const char hex[] = "0123456789abcdef";
	char key[512];
	struct mbuf mb;
	uint64_t h;

	mbuf_init(&mb, key, sizeof(key));
	mbuf_put_pl(&mb, &m->call_id);
	mbuf_put(&mb, "|", 1);
	mbuf_put_pl(&mb, &m->from.tag);
	mbuf_put(&mb, "|", 1);
	mbuf_put_pl(&mb, &m->via.branch);
	h = vs_hash(key, mb.len);
	for (int i = 0; i < 16; i++)
		buf[i] = hex[(h >> (i * 4)) & 15];
	buf[16] = 0;
	return pl_make(buf, 16);
}

static void count_reply(struct vs_stats *st, uint16_t status)
{
	unsigned cls = status / 100;
	if (cls >= 1 && cls <= 6)
		vs_stat_inc(st, VS_STAT_REPLY_1XX + cls - 1);
}

static bool reply(struct sip_server *srv, const struct sip_input *in,
		  struct mbuf *out, uint16_t status, const char *reason,
		  const char *extra)
{
	const struct sip_msg *m = &srv->msg;
	char ip[VS_IPSTR_MAX], tag[17], hdrs[1024];
	struct sip_src src;
	struct sip_reply r;
	struct mbuf eh;

	src.ip = pl_make(ip, vs_sa_ip_str(in->src, ip, sizeof(ip)));
	src.port = vs_sa_port(in->src);
	mbuf_init(&eh, hdrs, sizeof(hdrs) - 1);
	if (extra)
		mbuf_puts(&eh, extra);
	if (srv->cfg->agent[0]) {
		mbuf_puts(&eh, "Server: ");
		mbuf_puts(&eh, srv->cfg->agent);
		mbuf_puts(&eh, "\r\n");
	}
	hdrs[eh.len] = 0;
	memset(&r, 0, sizeof(r));
	r.status = status;
	r.reason = reason;
	r.to_tag = make_to_tag(m, tag);
	r.src = &src;
	r.extra = hdrs;
	if (sip_reply_print(out, m, &r)) {
		vs_stat_inc(srv->stats, VS_STAT_DROP_REPLY_OVERFLOW);
		return false;
	}
	count_reply(srv->stats, status);
	return true;
}

/* Collect option tags of Require or Proxy-Require: none are supported. */
static int unsupported_tags(const struct sip_msg *m, enum sip_hdr_id id,
			    char *buf, size_t size)
{
	struct sip_hdr_iter it;
	struct pl tok;
	struct mbuf mb;
	int n = 0, err;

	mbuf_init(&mb, buf, size - 1);
	mbuf_puts(&mb, "Unsupported: ");
	sip_hdr_iter_init(&it, m, id);
	while ((err = sip_token_next(&it, &tok)) == 0) {
		if (n++)
			mbuf_puts(&mb, ", ");
		mbuf_put_pl(&mb, &tok);
	}
	if (err != ENOENT)
		return -1;
	mbuf_puts(&mb, "\r\n");
	if (mb.overflow)
		return -1;
	buf[mb.len] = 0;
	return n;
}

static bool handle_options(struct sip_server *srv, const struct sip_input *in,
			   struct mbuf *out)
{
	char unsup[512];
	int n = unsupported_tags(&srv->msg, SIP_HDR_REQUIRE, unsup,
				 sizeof(unsup));

	if (n < 0)
		return reply(srv, in, out, 400, "Malformed Require header",
			     NULL);
	if (n > 0)
		return reply(srv, in, out, 420, "Bad Extension", unsup);
	/* RFC 3261 11.2: capabilities of this server. */
	return reply(srv, in, out, 200, "OK",
		     ALLOW_HDR "Accept: application/sdp\r\n"
		     "Accept-Encoding: identity\r\n"
		     "Accept-Language: en\r\n"
		     "Supported: \r\n");
}

static void log_parse_error(const struct sip_server *srv,
			    const struct sip_input *in)
{
	char from[VS_IPSTR_MAX + 8];

	if (!vs_log_enabled(VS_LOG_INFO))
		return;
	vs_log_limited(VS_LOG_INFO, "sip-parse",
		       "dropped malformed SIP from %s (%s): %s",
		       vs_sa_str(in->src, from, sizeof(from)),
		       sip_err_name(srv->msg.err),
		       srv->msg.err_phrase ? srv->msg.err_phrase : "?");
}

bool sip_server_input(struct sip_server *srv, const struct sip_input *in,
		      struct mbuf *out)
{
	struct sip_msg *m = &srv->msg;
	char unsup[512];
	int n;

	if (sip_msg_parse(m, in->buf, in->len, &srv->cfg->sip)) {
		vs_stat_inc(srv->stats, VS_STAT_PARSE_BASE + m->err);
		/* RFC 3261 21.4.1: 400 naming the problem, when we can. */
		if (m->is_request && m->err_status &&
		    m->method != SIP_METHOD_ACK)
			return reply(srv, in, out, m->err_status,
				     m->err_phrase, NULL);
		vs_stat_inc(srv->stats, VS_STAT_DROP_MALFORMED);
		log_parse_error(srv, in);
		return false;
	}
	if (!m->is_request) {
		/* No transaction can own a response yet. */
		vs_stat_inc(srv->stats, VS_STAT_DROP_RESPONSE);
		return false;
	}
	if (m->method == SIP_METHOD_ACK) {
		/* An ACK is never answered (RFC 3261 17.2.1). */
		vs_stat_inc(srv->stats, VS_STAT_DROP_ACK);
		return false;
	}
	bool to_us = sip_local_is_us(srv->local, &m->ruri);
	bool options_to_us = m->method == SIP_METHOD_OPTIONS && to_us;

	/* RFC 3261 16.3 step 3: Max-Forwards 0 may still be answered for an
	 * OPTIONS addressed to us (11.2); anything else gets 483. */
	if (m->max_forwards == 0 && !options_to_us)
		return reply(srv, in, out, 483, "Too Many Hops", NULL);
	/* RFC 3261 16.3 step 5: no proxy extension is supported yet. */
	n = unsupported_tags(m, SIP_HDR_PROXY_REQUIRE, unsup, sizeof(unsup));
	if (n < 0)
		return reply(srv, in, out, 400, "Malformed Proxy-Require header",
			     NULL);
	if (n > 0)
		return reply(srv, in, out, 420, "Bad Extension", unsup);
	if (m->method == SIP_METHOD_CANCEL)
		return reply(srv, in, out, 481,
			     "Call/Transaction Does Not Exist", NULL);
	if (!to_us)
		return reply(srv, in, out, 403, "Relaying Forbidden", NULL);
	if (m->method == SIP_METHOD_OPTIONS)
		return handle_options(srv, in, out);
	/* RFC 3261 8.2.1: 405 for a known method we do not serve, 501 for
	 * one we do not know; both list what is allowed. */
	if (m->method != SIP_METHOD_OTHER)
		return reply(srv, in, out, 405, "Method Not Allowed", ALLOW_HDR);
	return reply(srv, in, out, 501, "Not Implemented", ALLOW_HDR);
}
