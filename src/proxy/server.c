/*
 * server.c - the SIP server: validation, OPTIONS, the registrar (see
 * server.h).
 *
 * Checks follow RFC 3261 16.3 (request validation by a proxy) and 8.2
 * (UAS behaviour): syntax and URI scheme (done by the parser), then
 * Max-Forwards (483), Proxy-Require (420), the target, the method (405 or
 * 501) and, for requests the server itself answers, Require (420).
 */
#include "proxy/server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/challenge.h"
#include "core/hash.h"
#include "core/log.h"
#include "proxy/proxy.h"
#include "proxy/server_int.h"
#include "shield/shield.h"
#include "sip/tsx_table.h"
#include "registrar/registrar.h"
#include "store/store.h"

/* Methods this server answers itself at this stage. */
/* Methods the server answers itself (as a UAS); requests for users are
 * proxied whatever their method. */
#define ALLOW_HDR "Allow: OPTIONS, REGISTER\r\n"
#define EXTRA_MAX 16384

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

void srv_count_reply(struct vs_stats *st, uint16_t status)
{
	unsigned cls = status / 100;
	if (cls >= 1 && cls <= 6)
		vs_stat_inc(st, VS_STAT_REPLY_1XX + cls - 1);
}

bool srv_build_reply(struct sip_server *srv, const struct sip_msg *m,
		     const struct vs_flow *flow, struct mbuf *out,
		     uint16_t status, const char *reason, const char *extra,
		     bool count)
{
	static __thread char hdrs[EXTRA_MAX + 256];
	char ip[VS_IPSTR_MAX], tag[17];
	struct sip_src src;
	struct sip_reply r;
	struct mbuf eh;

	src.ip = pl_make(ip, vs_sa_ip_str(&flow->peer, ip, sizeof(ip)));
	src.port = vs_sa_port(&flow->peer);
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
	if (count)
		srv_count_reply(srv->stats, status);
	return true;
}

bool srv_reply(struct sip_server *srv, const struct sip_input *in,
	       struct mbuf *out, uint16_t status, const char *reason,
	       const char *extra)
{
	return srv_build_reply(srv, &srv->msg, in->flow, out, status, reason,
			       extra, true);
}

/* Collect option tags of Require or Proxy-Require that are not in
 * supported (NULL: none is). */
int srv_unsupported_tags(const struct sip_msg *m, enum sip_hdr_id id,
			 char *buf, size_t size, const char *supported)
{
	struct sip_hdr_iter it;
	struct pl tok;
	struct mbuf mb;
	int n = 0, err;

	mbuf_init(&mb, buf, size - 1);
	mbuf_puts(&mb, "Unsupported: ");
	sip_hdr_iter_init(&it, m, id);
	while ((err = sip_token_next(&it, &tok)) == 0) {
		if (supported && pl_caseeq_str(&tok, supported))
			continue;
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
	int n = srv_unsupported_tags(&srv->msg, SIP_HDR_REQUIRE, unsup,
				 sizeof(unsup), NULL);

	if (n < 0)
		return srv_reply(srv, in, out, 400, "Malformed Require header",
			     NULL);
	if (n > 0)
		return srv_reply(srv, in, out, 420, "Bad Extension", unsup);
	/* RFC 3261 11.2: capabilities of this server. */
	return srv_reply(srv, in, out, 200, "OK",
		     ALLOW_HDR "Accept: application/sdp\r\n"
		     "Accept-Encoding: identity\r\n"
		     "Accept-Language: en\r\n"
		     "Supported: path\r\n");
}

static int ha1_lookup(void *ctx, const struct pl *user,
		      const struct pl *realm, enum auth_algo algo,
		      char out[AUTH_HEX_MAX])
{
	struct sip_server *srv = ctx;
	struct vs_user_rec u;
	int err;

	if (!srv->users)
		return EIO;
	err = vs_store_user_get(srv->users, user->p, user->l, realm->p,
				realm->l, &u);
	if (!err) {
		memcpy(out, u.ha1[algo], AUTH_HEX_MAX);
		srv->acct_known = true;
		srv->acct_flags = u.flags;
		memcpy(srv->acct_cert, u.cert, sizeof(srv->acct_cert));
	}
	memset(&u, 0, sizeof(u));
	return err;
}

void srv_auth_params(struct sip_server *srv, struct auth_params *p)
{
	const struct vs_config *cfg = srv->cfg;

	p->secret = srv->svc->secret;
	p->nc = srv->svc->nc;
	p->realm = pl_from_cstr(cfg->realm);
	p->algos = cfg->algos;
	p->nalgos = cfg->nalgos;
	p->nonce_lifetime = cfg->nonce_lifetime;
	p->now = (uint64_t)time(NULL);
	p->not_before = srv->svc ? srv->svc->started : 0;
	p->lookup = ha1_lookup;
	p->lookup_ctx = srv;
	p->local = srv->local;
}

struct shield *srv_shield(struct sip_server *srv, struct shield_ctx *c)
{
	if (!srv->svc || !srv->svc->shield)
		return NULL;
	c->cfg = srv->cfg;
	c->stats = srv->stats;
	c->now_ms = srv->tsx ? *srv->tsx->now_ms : 0;
	c->wall = (int64_t)time(NULL);
	return srv->svc->shield;
}

/* The authenticated account's transport policy (docs/tls.md): TLS only,
 * and a client certificate that names its identity. */
static bool account_transport_ok(struct sip_server *srv,
				 const struct vs_flow *flow)
{
	if (!srv->acct_known)
		return true;
	if ((srv->acct_flags & VS_USER_TLS_ONLY) && flow->tp != VS_TP_TLS) {
		vs_stat_inc(srv->stats, VS_STAT_AUTH_TLS_REQUIRED);
		srv->refusal = "Forbidden: this account must use TLS";
		return false;
	}
	if (srv->acct_cert[0] &&
	    (flow->tp != VS_TP_TLS || !srv->flow_cert_is ||
	     !srv->flow_cert_is(srv->post_ctx, flow, srv->acct_cert))) {
		vs_stat_inc(srv->stats, VS_STAT_AUTH_CERT_MISMATCH);
		srv->refusal = "Forbidden: this account needs its client certificate";
		return false;
	}
	return true;
}

enum auth_result srv_authenticate(struct sip_server *srv,
				  const struct sip_input *in,
				  struct auth_params *ap, bool proxy,
				  struct pl *user)
{
	const struct sip_msg *m = &srv->msg;
	/* The user a request is about: the AOR being registered, or the
	 * caller. */
	const struct pl *who = proxy ? &m->from.uri.user : &m->to.uri.user;
	struct shield_ctx c;
	struct shield *sh = srv_shield(srv, &c);
	enum auth_result r;

	*user = pl_make(NULL, 0);
	srv->acct_known = false;
	r = auth_check(ap, m, proxy, user);
	switch (r) {
	case AUTH_RES_OK:
		if (sh && !shield_auth_result(sh, &c, in->flow, user, true)) {
			vs_stat_inc(srv->stats, VS_STAT_AUTH_FAILED);
			return AUTH_RES_FAILED;
		}
		vs_stat_inc(srv->stats, VS_STAT_AUTH_OK);
		if (!account_transport_ok(srv, in->flow))
			return AUTH_RES_FORBIDDEN;
		break;
	case AUTH_RES_STALE:
		vs_stat_inc(srv->stats, VS_STAT_AUTH_STALE);
		break;
	case AUTH_RES_FAILED:
		vs_stat_inc(srv->stats, VS_STAT_AUTH_FAILED);
		if (sh)
			(void)shield_auth_result(sh, &c, in->flow,
						 pl_isset(user) ? user : who,
						 false);
		break;
	case AUTH_RES_REPLAY:
		vs_stat_inc(srv->stats, VS_STAT_AUTH_REPLAY);
		break;
	case AUTH_RES_NONE:
		if (sh)
			shield_challenged(sh, &c, in->flow, who);
		break;
	default:
		break;
	}
	return r;
}

/* Answer inside a transaction; the first copy leaves in out. */
bool srv_tsx_reply(struct sip_server *srv, const struct sip_input *in,
		   struct mbuf *out, struct sip_tsx *t, uint16_t status,
		   const char *reason, const char *extra)
{
	if (!srv_reply(srv, in, out, status, reason, extra))
		return false;
	(void)sip_tsx_respond(t, status, out->buf, out->len, true);
	return true;
}

/* A 200 OK that waits for the store (see reg_store.h). */
struct deferred {
	struct reg_batch batch; /* first: allocated by reg_batch_new */
	struct vs_job job;
	struct sip_server *srv;
	struct sip_tsx *tsx;
	char *ok, *err;
	size_t ok_len, err_len;
	unsigned nput, ndel;
};

static void deferred_run(struct vs_job *job)
{
	struct deferred *d = (struct deferred *)((char *)job -
						 offsetof(struct deferred, job));
	struct sip_server *srv = d->srv;

	if (d->batch.result == 0) {
		(void)sip_tsx_respond(d->tsx, 200, d->ok, d->ok_len, false);
		srv_count_reply(srv->stats, 200);
		vs_stat_add(srv->stats, VS_STAT_REG_UPDATED, d->nput);
		vs_stat_add(srv->stats, VS_STAT_REG_REMOVED, d->ndel);
	} else {
		/* Not saved: the writer took the change back already. */
		(void)sip_tsx_respond(d->tsx, 500, d->err, d->err_len, false);
		srv_count_reply(srv->stats, 500);
		vs_stat_inc(srv->stats, VS_STAT_REG_STORE_ERRORS);
	}
	sip_tsx_put(d->tsx);
	free(d->ok);
	free(d);
}

/* Writer thread: hand the result back to the worker that owns the tsx. */
static void deferred_done(struct reg_batch *b)
{
	struct deferred *d = (struct deferred *)b;

	d->nput = b->nput;
	d->ndel = b->ndel;
	reg_batch_clear(b);
	d->job.run = deferred_run;
	d->srv->post(d->srv->post_ctx, &d->job);
}

static bool defer_reply(struct sip_server *srv, const struct sip_input *in,
			struct mbuf *out, struct sip_tsx *t,
			struct reg_batch *b, const char *extra)
{
	struct deferred *d = (struct deferred *)b;
	size_t ok_len;

	/* Both possible answers are built now, while the request exists. */
	if (!srv_build_reply(srv, &srv->msg, in->flow, out, 200, "OK", extra, false))
		goto fail;
	ok_len = out->len;
	d->ok = malloc(ok_len + 1024);
	if (!d->ok)
		goto fail;
	memcpy(d->ok, out->buf, ok_len);
	d->ok_len = ok_len;
	out->len = 0;
	if (!srv_build_reply(srv, &srv->msg, in->flow, out, 500, "Registration could not be saved",
			 NULL, false) ||
	    out->len > 1024) {
		free(d->ok);
		goto fail;
	}
	d->err = d->ok + ok_len;
	memcpy(d->err, out->buf, out->len);
	d->err_len = out->len;
	out->len = 0;
	d->srv = srv;
	sip_tsx_link_get(t);
	d->tsx = t;
	b->done = deferred_done;
	reg_writer_submit(srv->svc->writer, b);
	return false;
fail:
	/* The change cannot be confirmed: take it back and say so. */
	reg_batch_undo(b, srv->svc->loc, NULL);
	reg_batch_clear(b);
	free(b);
	out->len = 0;
	return srv_tsx_reply(srv, in, out, t, 500, "Server Internal Error", NULL);
}

static bool register_in_tsx(struct sip_server *srv, const struct sip_input *in,
			    struct mbuf *out, struct sip_tsx *t)
{
	static __thread char hdrs[EXTRA_MAX];
	const struct sip_msg *m = &srv->msg;
	struct auth_params ap;
	struct reg_outcome o;
	struct mbuf hb;
	struct pl user;
	bool stale = false;
	int n;

	n = srv_unsupported_tags(m, SIP_HDR_REQUIRE, hdrs, sizeof(hdrs), "path");
	if (n < 0)
		return srv_tsx_reply(srv, in, out, t, 400, "Malformed Require header",
				 NULL);
	if (n > 0)
		return srv_tsx_reply(srv, in, out, t, 420, "Bad Extension", hdrs);
	mbuf_init(&hb, hdrs, sizeof(hdrs) - 1);
	srv_auth_params(srv, &ap);
	switch (srv_authenticate(srv, in, &ap, false, &user)) {
	case AUTH_RES_OK:
		break;
	case AUTH_RES_MALFORMED:
		return srv_tsx_reply(srv, in, out, t, 400,
				 "Malformed or mismatched Authorization", NULL);
	case AUTH_RES_FORBIDDEN:
		return srv_tsx_reply(srv, in, out, t, 403, srv->refusal, NULL);
	case AUTH_RES_ERROR:
		return srv_tsx_reply(srv, in, out, t, 500, "Server Internal Error",
				 NULL);
	case AUTH_RES_STALE:
		stale = true;
		/* fall through */
	case AUTH_RES_FAILED:
	case AUTH_RES_REPLAY:
	case AUTH_RES_NONE:
		vs_stat_inc(srv->stats, VS_STAT_AUTH_CHALLENGE);
		auth_challenge_print(&hb, &ap, false, stale);
		hdrs[hb.len] = 0;
		return srv_tsx_reply(srv, in, out, t, 401, "Unauthorized", hdrs);
	}
	memset(&o, 0, sizeof(o));
	o.hdrs = &hb;
	registrar_register(srv->svc->loc, srv->cfg, srv->local, m, &user,
			   in->flow, ap.now, sizeof(struct deferred), &o);
	if (hb.overflow) {
		hb.len = 0;
		o.status = 500;
		o.reason = "Too many bindings to list";
	}
	hdrs[hb.len] = 0;
	if (o.status != 200) {
		vs_stat_inc(srv->stats, VS_STAT_REG_REFUSED);
		if (!strcmp(o.reason, REG_NOT_YOURS))
			vs_stat_inc(srv->stats, VS_STAT_AUTH_IDENTITY);
		return srv_tsx_reply(srv, in, out, t, o.status, o.reason, hdrs);
	}
	if (!o.batch)
		return srv_tsx_reply(srv, in, out, t, 200, "OK", hdrs);
	return defer_reply(srv, in, out, t, o.batch, hdrs);
}

static bool handle_register(struct sip_server *srv, const struct sip_input *in,
			    struct mbuf *out)
{
	struct sip_tsx *t;
	bool r;

	switch (sip_tsx_server_receive(srv->tsx, &srv->msg, in->flow, &t)) {
	case SIP_TSX_NEW:
		break;
	case SIP_TSX_FULL:
		/* RFC 3261 21.5.4: overloaded, come back later. */
		return srv_reply(srv, in, out, 503, "Service Unavailable",
			     "Retry-After: 5\r\n");
	case SIP_TSX_UNKEYABLE:
		return srv_reply(srv, in, out, 400, "Bad Request: Via too long",
			     NULL);
	default:
		return false; /* absorbed */
	}
	r = register_in_tsx(srv, in, out, t);
	sip_tsx_put(t);
	return r;
}

/* A host:port that the peer of this TCP connection says is its own. */
static void learn_alias(struct sip_server *srv, const struct vs_flow *flow,
			const struct pl *host, enum sip_host_type type,
			uint16_t port)
{
	struct sip_uri u;
	struct vs_flow f;

	memset(&u, 0, sizeof(u));
	u.scheme = SIP_URI_SIP;
	u.host = *host;
	u.host_type = type;
	u.port = port;
	if (proxy_uri_flow(&u, &f) || !vs_sa_ip_eq(&f.peer, &flow->peer))
		return; /* only the connection's own address */
	if (vs_sa_port(&f.peer) == vs_sa_port(&flow->peer))
		return; /* already known by the connection itself */
	tcp_alias_set(srv->svc->aliases, &f.peer, flow);
}

/* RFC 5923 in spirit: later requests to the Via or Contact address of a
 * client on TCP go over its connection. */
static void learn_aliases(struct sip_server *srv, const struct sip_msg *m,
			  const struct vs_flow *flow)
{
	struct sip_hdr_iter it;
	struct sip_addr a;

	learn_alias(srv, flow, &m->via.host, m->via.host_type,
		    m->via.has_port ? m->via.port : 5060);
	sip_hdr_iter_init(&it, m, SIP_HDR_CONTACT);
	if (sip_addr_next(&it, &a, SIP_ADDR_CONTACT) == 0 && !a.star &&
	    a.uri.scheme == SIP_URI_SIP)
		learn_alias(srv, flow, &a.uri.host, a.uri.host_type,
			    a.uri.port ? a.uri.port : 5060);
}

static void log_parse_error(const struct sip_server *srv,
			    const struct sip_input *in)
{
	char from[VS_IPSTR_MAX + 8];

	if (!vs_log_enabled(VS_LOG_INFO))
		return;
	vs_log_limited(VS_LOG_INFO, "sip-parse",
		       "dropped malformed SIP from %s (%s): %s",
		       vs_sa_str(&in->flow->peer, from, sizeof(from)),
		       sip_err_name(srv->msg.err),
		       srv->msg.err_phrase ? srv->msg.err_phrase : "?");
}

bool sip_server_input(struct sip_server *srv, const struct sip_input *in,
		      struct mbuf *out)
{
	struct sip_msg *m = &srv->msg;
	char unsup[512];
	int n;

	struct shield_ctx sc;
	struct shield *sh = srv_shield(srv, &sc);

	if (sip_msg_parse(m, in->buf, in->len, &srv->cfg->sip)) {
		vs_stat_inc(srv->stats, VS_STAT_PARSE_BASE + m->err);
		if (sh)
			shield_malformed(sh, &sc, in->flow, sip_err_name(m->err));
		/* RFC 3261 21.4.1: 400 naming the problem, when we can. */
		if (m->is_request && m->err_status &&
		    m->method != SIP_METHOD_ACK)
			return srv_reply(srv, in, out, m->err_status,
				     m->err_phrase, NULL);
		vs_stat_inc(srv->stats, VS_STAT_DROP_MALFORMED);
		log_parse_error(srv, in);
		return false;
	}
	if (in->shed) {
		/* Over its rate budget (shield.c lets one a second through
		 * here): RFC 3261 21.5.4, come back later. */
		if (m->is_request && m->method != SIP_METHOD_ACK)
			return srv_reply(srv, in, out, 503, "Service Unavailable",
					 "Retry-After: 10\r\n");
		return false;
	}
	if (!m->is_request) {
		if (srv->tsx)
			proxy_response(srv, in);
		else
			vs_stat_inc(srv->stats, VS_STAT_DROP_RESPONSE);
		return false;
	}
	if (sh && !shield_request(sh, &sc, in->flow, m))
		return false; /* a scanner, now banned */
	if ((in->flow->tp & VS_TP_STREAM) && srv->svc)
		learn_aliases(srv, m, in->flow);
	/* Overload: while the transaction table is filling up, new requests
	 * from untrusted sources wait (503), so that calls in progress,
	 * in-dialog requests and trusted peers keep the room left. */
	if (sh && srv->cfg->shield.enabled && srv->tsx && !pl_isset(&m->to.tag) &&
	    m->method != SIP_METHOD_ACK && m->method != SIP_METHOD_CANCEL &&
	    (uint64_t)tsx_table_count(srv->tsx->table) * 100 >=
		    (uint64_t)srv->cfg->tsx_max * srv->cfg->shield.overload_at &&
	    !vs_config_trusted(srv->cfg, &in->flow->peer)) {
		vs_stat_inc(srv->stats, VS_STAT_SHIELD_OVERLOAD);
		return srv_reply(srv, in, out, 503, "Service Unavailable",
				 "Retry-After: 5\r\n");
	}
	/* The zone's methods; ACK and CANCEL belong to an INVITE. */
	if (m->method != SIP_METHOD_ACK && m->method != SIP_METHOD_CANCEL &&
	    !(shield_zone(srv->cfg, in->flow)->methods & (1u << m->method))) {
		vs_stat_inc(srv->stats, VS_STAT_SHIELD_METHOD_DENIED);
		return srv_reply(srv, in, out, 403,
				 "Forbidden: method not allowed here", NULL);
	}
	if (m->method == SIP_METHOD_ACK && !srv->tsx) {
		/* An ACK is never answered (RFC 3261 17.2.1). */
		vs_stat_inc(srv->stats, VS_STAT_DROP_ACK);
		return false;
	}
	bool to_us = sip_local_is_us(srv->local, &m->ruri);
	/* Requests for the server itself: no user part (OPTIONS ping,
	 * REGISTER); anything for a user goes through the proxy. */
	bool for_server = to_us && !pl_isset(&m->ruri.user);
	bool options_to_us = m->method == SIP_METHOD_OPTIONS && for_server;

	if (m->method == SIP_METHOD_ACK)
		return proxy_request(srv, in, out);
	/* RFC 3261 16.3 step 3: Max-Forwards 0 may still be answered for an
	 * OPTIONS addressed to us (11.2); anything else gets 483. */
	if (m->max_forwards == 0 && !options_to_us)
		return srv_reply(srv, in, out, 483, "Too Many Hops", NULL);
	/* RFC 3261 16.3 step 5: no proxy extension is supported. */
	n = srv_unsupported_tags(m, SIP_HDR_PROXY_REQUIRE, unsup, sizeof(unsup),
				 NULL);
	if (n < 0)
		return srv_reply(srv, in, out, 400, "Malformed Proxy-Require header",
				 NULL);
	if (n > 0)
		return srv_reply(srv, in, out, 420, "Bad Extension", unsup);
	if (m->method == SIP_METHOD_REGISTER && to_us && srv->tsx)
		return handle_register(srv, in, out);
	if (options_to_us)
		return handle_options(srv, in, out);
	if (srv->tsx && !(for_server && m->method != SIP_METHOD_CANCEL &&
			  !pl_isset(&m->to.tag)))
		return proxy_request(srv, in, out);
	if (m->method == SIP_METHOD_CANCEL)
		return srv_reply(srv, in, out, 481,
				 "Call/Transaction Does Not Exist", NULL);
	if (!to_us)
		return srv_reply(srv, in, out, 403, "Relaying Forbidden", NULL);
	/* RFC 3261 8.2.1: 405 for a known method we do not serve, 501 for
	 * one we do not know; both list what is allowed. */
	if (m->method != SIP_METHOD_OTHER)
		return srv_reply(srv, in, out, 405, "Method Not Allowed", ALLOW_HDR);
	return srv_reply(srv, in, out, 501, "Not Implemented", ALLOW_HDR);
}
