/*
 * proxy.c - the stateful proxy (see proxy.h).
 *
 * A request that is not for the server itself gets a server transaction
 * and, for INVITE, an immediate 100 Trying.  Out-of-dialog requests are
 * authenticated (407) unless they come from a trusted peer, the From must
 * be the authenticated user's, and the target is found in the location
 * service (local domains: fork to every binding, RFC 3261 16.6) or in the
 * upstream routes.  In-dialog requests follow their Route set, which must
 * start with a Record-Route we signed (so nobody can use us as a relay by
 * writing our address into a Route).  Each branch is a client
 * transaction; responses are collected per RFC 3261 16.7: provisional and
 * 2xx ones go up at once, otherwise the best final response when every
 * branch has finished.
 */
#include "proxy/proxy.h"
#include "proxy/proxy_media.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/hash.h"
#include "core/log.h"
#include "proxy/server_int.h"
#include "shield/policy.h"
#include "registrar/registrar.h"
#include "store/store.h"
#include "transport/route_dns.h"

#define PROXY_MAX_BRANCHES 8
#define PROXY_MAX_ROUTES 16
#define TIMER_C_MS 180000
/* Our branches: the RFC 3261 cookie, "vs" and the owning worker. */
#define BRANCH_PREFIX "z9hG4bKvs"
#define MSG_MAX 65535

struct proxy_ctx;

/* A branch to an upstream route found by DNS: the addresses already
 * tried, so that a failed one is followed by the next (RFC 3263 4.3). */
struct proxy_failover {
	unsigned dns; /* the route's entry in route_dns.h */
	uint32_t gen; /* ... and its generation */
	unsigned ntried;
	struct vs_sockaddr tried[DNS_MAX_ADDRS];
	struct timer silence; /* upstream.failover_timeout: no answer at all */
	struct proxy_branch *b; /* the branch it belongs to now */
};

struct proxy_branch {
	struct proxy_ctx *ctx;
	struct sip_tsx *t;   /* client transaction, while it lives */
	uint16_t status;     /* highest status received */
	bool done;	     /* final response or timeout */
	bool cancel_pending; /* cancel once a provisional response comes */
	bool cancelled;
	struct proxy_failover *failover; /* NULL unless a DNS route */
};

struct proxy_ctx {
	unsigned refs;
	struct sip_server *srv;
	struct sip_tsx *st; /* server transaction */
	struct timer timer_c;
	bool invite, final_sent, cancelling;
	unsigned nbranches;
	struct proxy_branch br[PROXY_MAX_BRANCHES];
	uint16_t best_status;
	char *best; /* best final response so far, ready to send up */
	size_t best_len;
	char *req; /* the request as received, for our own responses */
	size_t req_len;
	struct vs_flow in_flow;
	bool tracked, answered; /* a call counted by the policy */
	struct srctab_key dialog;
	struct proxy_media media; /* the call's relay session, if any */
};

static __thread char txbuf[MSG_MAX];
static __thread struct sip_msg scratch;

/* --- small helpers ---------------------------------------------------- */

static void hexify(const uint8_t *in, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 15];
	}
	out[2 * n] = 0;
}

/* The Record-Route signature: HMAC of the Call-ID and the entry's flow
 * token (or "") under the server secret, 16 hex digits. */
static void rr_mac(const struct sip_server *srv, const struct pl *call_id,
		   const struct pl *flow_token, char out[17])
{
	uint8_t full[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	uint8_t data[4 + 1024 + 1 + VS_FLOW_TOKEN_MAX];
	size_t l = call_id->l < 1024 ? call_id->l : 1024;
	size_t t = flow_token && flow_token->l <= VS_FLOW_TOKEN_MAX
			   ? flow_token->l : 0;

	memcpy(data, "rr1:", 4);
	memcpy(data + 4, call_id->p, l);
	data[4 + l] = '|';
	if (t)
		memcpy(data + 5 + l, flow_token->p, t);
	HMAC(EVP_sha256(), srv->svc->secret, AUTH_SECRET_LEN, data, 5 + l + t,
	     full, &n);
	hexify(full, 8, out);
}

/* One Record-Route line for our address host:port over tp, carrying the
 * flow a request from this side will be sent to (or none). */
static void put_rr(struct mbuf *mb, const struct sip_server *srv,
		   const struct pl *call_id, const char *host, uint16_t port,
		   unsigned tp, const struct vs_flow *flow)
{
	char tok[VS_FLOW_TOKEN_MAX + 1], mac[17];
	struct pl tp_pl = pl_make(tok, flow ? vs_flow_token(flow, tok) : 0);

	rr_mac(srv, call_id, &tp_pl, mac);
	mbuf_printf(mb, "Record-Route: <sip:%s:%u;transport=%s;lr", host, port,
		    tp == VS_TP_TLS ? "tls" : tp == VS_TP_TCP ? "tcp" : "udp");
	if (tp_pl.l) {
		mbuf_puts(mb, ";vsf=");
		mbuf_put_pl(mb, &tp_pl);
	}
	mbuf_printf(mb, ";vsd=%s>\r\n", mac);
}

static const char *tp_name(unsigned tp)
{
	return tp == VS_TP_TLS ? "TLS" : tp == VS_TP_TCP ? "TCP" : "UDP";
}

/* The listener a route is reached through, as local_addr picks it (the
 * first of its transport and address family): its zone is the route's. */
static uint8_t route_listener(const struct vs_config *cfg, unsigned transport,
			      int family)
{
	for (size_t i = 0; i < cfg->nlisten && i < VS_FLOW_NO_LISTENER; i++)
		if ((cfg->listen[i].transports & transport) &&
		    cfg->listen[i].sa.ss_family == family)
			return (uint8_t)i;
	return VS_FLOW_NO_LISTENER;
}

/* Our address for sending over tp to a peer of this family: a listener's
 * address (a wildcard one replaced by an interface address). */
static bool local_addr(const struct sip_server *srv, int family, unsigned tp,
		       char *host, size_t size, uint16_t *port)
{
	const struct vs_config *cfg = srv->cfg;

	for (size_t i = 0; i < cfg->nlisten; i++) {
		const struct vs_listener *l = &cfg->listen[i];
		struct vs_sockaddr a;
		char ip[VS_IPSTR_MAX];

		if (!(l->transports & tp) || l->sa.ss_family != family)
			continue;
		memcpy(&a.u, &l->sa, l->salen);
		a.len = l->salen;
		if (vs_sa_is_any(&a)) {
			bool found = false;
			for (size_t j = 0; j < srv->local->naddrs; j++) {
				const struct vs_sockaddr *x = &srv->local->addrs[j];
				if (x->u.sa.sa_family == family && !vs_sa_is_any(x)) {
					a = *x;
					found = true;
					break;
				}
			}
			if (!found)
				continue;
		}
		vs_sa_ip_str(&a, ip, sizeof(ip));
		if (family == AF_INET6)
			snprintf(host, size, "[%s]", ip);
		else
			snprintf(host, size, "%s", ip);
		*port = l->port;
		return true;
	}
	return false;
}

static bool via_is_ours(const struct sip_server *srv, const struct sip_via *v)
{
	struct sip_uri u;

	if (v->branch.l < sizeof(BRANCH_PREFIX) - 1 ||
	    memcmp(v->branch.p, BRANCH_PREFIX, sizeof(BRANCH_PREFIX) - 1))
		return false;
	memset(&u, 0, sizeof(u));
	u.scheme = SIP_URI_SIP;
	u.host = v->host;
	u.host_type = v->host_type;
	if (!sip_local_is_us(srv->local, &u))
		return false;
	for (size_t i = 0; i < srv->cfg->nlisten; i++) {
		if (srv->cfg->listen[i].port == (v->has_port ? v->port : 5060))
			return true;
	}
	return false;
}

/* RFC 3261 16.3 step 4: our own branch in a Via below the top means the
 * request came back to us. */
static bool looped(const struct sip_server *srv, const struct sip_msg *m)
{
	struct sip_hdr_iter it;
	struct sip_via v;

	sip_hdr_iter_init(&it, m, SIP_HDR_VIA);
	while (sip_via_next(&it, &v) == 0) {
		if (via_is_ours(srv, &v))
			return true;
	}
	return false;
}

int proxy_uri_flow(const struct sip_uri *u, struct vs_flow *out)
{
	char host[VS_IPSTR_MAX];
	struct pl tp = pl_make(NULL, 0);

	uint16_t port = u->port ? u->port : 5060;

	memset(out, 0, sizeof(*out));
	if (u->scheme != SIP_URI_SIP && u->scheme != SIP_URI_SIPS)
		return ENOENT;
	out->tp = VS_TP_UDP;
	if (sip_uri_param(u, "transport", &tp)) {
		if (pl_caseeq_str(&tp, "tcp"))
			out->tp = VS_TP_TCP;
		else if (pl_caseeq_str(&tp, "tls"))
			out->tp = VS_TP_TLS;
		else if (!pl_caseeq_str(&tp, "udp"))
			return EPROTONOSUPPORT;
	}
	if (u->scheme == SIP_URI_SIPS) {
		/* RFC 5630 3.1.3: TLS on every hop; transport=tcp means TLS
		 * over TCP, and there is no sips over UDP. */
		if (out->tp == VS_TP_UDP && pl_isset(&tp))
			return EPROTONOSUPPORT;
		out->tp = VS_TP_TLS;
		port = u->port ? u->port : 5061;
	}
	if (u->host_type == SIP_HOST_IPV6) {
		struct pl inner = pl_make(u->host.p + 1, u->host.l - 2);
		pl_strcpy(&inner, host, sizeof(host));
		if (inet_pton(AF_INET6, host, &out->peer.u.in6.sin6_addr) != 1)
			return ENOENT;
		out->peer.u.in6.sin6_family = AF_INET6;
		out->peer.u.in6.sin6_port = htons(port);
		out->peer.len = sizeof(out->peer.u.in6);
		return 0;
	}
	if (u->host_type != SIP_HOST_IPV4)
		return ENOENT;
	pl_strcpy(&u->host, host, sizeof(host));
	if (inet_pton(AF_INET, host, &out->peer.u.in.sin_addr) != 1)
		return ENOENT;
	out->peer.u.in.sin_family = AF_INET;
	out->peer.u.in.sin_port = htons(port);
	out->peer.len = sizeof(out->peer.u.in);
	return 0;
}

/* The upstream route for a Request-URI outside our domains: the longest
 * matching prefix among routes for its domain or any domain. */
static const struct vs_route *route_select(const struct vs_config *cfg,
					   const struct sip_uri *u,
					   uint64_t allowed)
{
	const struct vs_route *best = NULL;
	size_t best_len = 0;
	struct pl host = u->host;

	if (host.l && host.p[host.l - 1] == '.')
		host.l--;
	for (size_t i = 0; i < cfg->nroutes; i++) {
		const struct vs_route *r = &cfg->routes[i];
		size_t pl = strlen(r->prefix);
		size_t score;
		if (!(allowed & (1ull << i)))
			continue;
		if (r->domain[0] && !pl_caseeq_str(&host, r->domain))
			continue;
		if (pl && (u->user.l < pl || memcmp(u->user.p, r->prefix, pl)))
			continue;
		/* A domain match counts more than no domain; then length. */
		score = pl + 1 + (r->domain[0] ? 1000 : 0);
		if (score > best_len) {
			best = r;
			best_len = score;
		}
	}
	return best;
}

/* --- our own final responses ------------------------------------------ */

/* A response we make to the stored original request. */
static size_t ctx_reply(struct proxy_ctx *ctx, uint16_t status,
			const char *reason, char *buf, size_t size)
{
	struct mbuf mb;

	if (!ctx->req || sip_msg_parse(&scratch, ctx->req, ctx->req_len, &ctx->srv->cfg->sip))
		return 0;
	mbuf_init(&mb, buf, size);
	if (!srv_build_reply(ctx->srv, &scratch, &ctx->in_flow, &mb, status,
			     reason, NULL, true))
		return 0;
	return mb.len;
}

/* --- the context's lifetime ------------------------------------------- */

static void ctx_unref(struct proxy_ctx *ctx)
{
	if (--ctx->refs)
		return;
	timer_stop(ctx->srv->tsx->wheel, &ctx->timer_c);
	if (ctx->tracked && !ctx->answered)
		policy_call_end(ctx->srv->svc->policy, &ctx->dialog);
	if (ctx->media.id && !ctx->media.established)
		proxy_media_end(ctx->srv, &ctx->media); /* the call failed */
	else
		proxy_media_free_body(&ctx->media);
	if (ctx->st) {
		if (ctx->st->user == ctx)
			ctx->st->user = NULL;
		sip_tsx_put(ctx->st);
	}
	for (unsigned i = 0; i < ctx->nbranches; i++) {
		if (ctx->br[i].failover)
			timer_stop(ctx->srv->tsx->wheel, &ctx->br[i].failover->silence);
		free(ctx->br[i].failover);
	}
	free(ctx->best);
	free(ctx->req);
	free(ctx);
}

/* --- sending responses upstream --------------------------------------- */

static void send_up(struct proxy_ctx *ctx, uint16_t status, const char *buf,
		    size_t len)
{
	if (ctx->final_sent && status >= 300)
		return;
	if (!ctx->st)
		return;
	if (status >= 300 && ctx->media.id && !ctx->media.established)
		proxy_media_end(ctx->srv, &ctx->media); /* the call failed */
	(void)sip_tsx_respond(ctx->st, status, buf, len, false);
	vs_stat_inc(ctx->srv->stats, VS_STAT_PROXY_RESP_FWD);
	if (status >= 200 && status < 300)
		ctx->answered = true; /* counted until its BYE */
	if (status >= 300 && ctx->tracked) {
		/* The call failed: it stops counting now, not when the
		 * branches' transactions end. */
		policy_call_end(ctx->srv->svc->policy, &ctx->dialog);
		ctx->tracked = false;
	}
	if (status >= 200) {
		ctx->final_sent = true;
		/* Only for our own final answers: not needed any more (the
		 * context lives on until its branches' transactions end). */
		free(ctx->req);
		ctx->req = NULL;
		free(ctx->best); /* buf may be it: already copied by the tsx */
		ctx->best = NULL;
	}
}

static void send_cancel(struct proxy_branch *b);

static void cancel_others(struct proxy_ctx *ctx, const struct proxy_branch *keep)
{
	ctx->cancelling = true;
	for (unsigned i = 0; i < ctx->nbranches; i++) {
		struct proxy_branch *b = &ctx->br[i];
		if (b == keep || b->done || b->cancelled)
			continue;
		if (b->t && b->status >= 100)
			send_cancel(b);
		else
			b->cancel_pending = true;
	}
}

/* Every branch has finished: send the best final response (16.7 step 6). */
static void maybe_finish(struct proxy_ctx *ctx)
{
	char *buf = txbuf;
	size_t len;

	if (ctx->final_sent)
		return;
	for (unsigned i = 0; i < ctx->nbranches; i++) {
		if (!ctx->br[i].done)
			return;
	}
	if (ctx->best && ctx->best_status != 503) {
		send_up(ctx, ctx->best_status, ctx->best, ctx->best_len);
		return;
	}
	/* Nobody answered, or only 503: a 503 from downstream says nothing
	 * about us, so it becomes 500 (16.7 step 6). */
	if (ctx->best_status == 503)
		len = ctx_reply(ctx, 500, "Server Internal Error", buf, MSG_MAX);
	else
		len = ctx_reply(ctx, 408, "Request Timeout", buf, MSG_MAX);
	if (len)
		send_up(ctx, ctx->best_status == 503 ? 500 : 408, buf, len);
}

static int status_class_rank(uint16_t s)
{
	/* Lower is better; 6xx wins over everything (16.7 step 6). */
	switch (s / 100) {
	case 6: return 0;
	case 3: return 1;
	case 4: return 2;
	case 5: return 3;
	default: return 4;
	}
}

/* --- client transaction callbacks ------------------------------------- */

static const struct sip_tsx_tu branch_tu;
static void new_branch_id(const struct sip_server *srv, char out[40]);
static bool branch_failover(struct proxy_branch *b, struct sip_tsx *t);

/* upstream.failover_timeout: a branch to a DNS route that got no answer
 * at all (not even 100) in that time is given up, without waiting for
 * Timer B or F, and the request goes to the next address.  Its client
 * transaction ends at once: a late answer from that server is dropped as
 * stray (it had its chance). */
static void failover_silence(struct timer *tm, void *arg)
{
	struct proxy_failover *fo = arg;
	struct proxy_branch *b = fo->b;
	struct sip_tsx *t = b->t;

	(void)tm;
	if (b->done || b->status || !t || b->ctx->final_sent || b->ctx->cancelling)
		return;
	sip_tsx_link_get(t);
	b->done = true;
	if (branch_failover(b, t))
		sip_tsx_client_abandon(t);
	else
		b->done = false; /* nowhere else to go: Timer B or F decides */
	sip_tsx_put(t);
}

static void failover_watch(struct proxy_branch *b)
{
	struct sip_server *srv = b->ctx->srv;
	struct proxy_failover *fo = b->failover;

	fo->b = b;
	timer_stop(srv->tsx->wheel, &fo->silence);
	if (srv->cfg->failover_timeout)
		timer_start(srv->tsx->wheel, &fo->silence, *srv->tsx->now_ms,
			    srv->cfg->failover_timeout, failover_silence, fo);
}

/*
 * RFC 3263 4.3: the request to one address of an upstream route's host
 * name failed (no answer in time, a transport error, 503).  The address
 * is tried last for a while, and the request goes to the next address of
 * the same family (our Via and Record-Route name the listener of that
 * family) in a new branch: the same request with a new branch id.  True
 * when that branch started.
 */
static bool branch_failover(struct proxy_branch *b, struct sip_tsx *t)
{
	struct proxy_ctx *ctx = b->ctx;
	struct proxy_failover *fo = b->failover;
	struct sip_server *srv = ctx->srv;
	struct vs_sockaddr addrs[DNS_MAX_ADDRS];
	struct proxy_branch *nb;
	struct sip_tsx *nt;
	struct vs_flow flow;
	char id[40], *req;
	unsigned n, i;
	size_t off;
	int err;

	if (!fo || !t || !t->resp)
		return false;
	route_dns_failed(fo->dns, fo->gen, &t->flow.peer, *srv->tsx->now_ms);
	if (ctx->final_sent || ctx->cancelling || ctx->nbranches >= PROXY_MAX_BRANCHES ||
	    fo->ntried >= DNS_MAX_ADDRS)
		return false;
	n = route_dns_get(fo->dns, fo->gen, addrs, DNS_MAX_ADDRS, *srv->tsx->now_ms);
	for (i = 0; i < n; i++) {
		bool tried = false;
		for (unsigned k = 0; k < fo->ntried; k++)
			tried = tried || vs_sa_eq(&fo->tried[k], &addrs[i]);
		if (!tried && addrs[i].u.sa.sa_family == t->flow.peer.u.sa.sa_family)
			break;
	}
	if (i == n || sip_msg_parse(&scratch, t->resp, t->resp_len, &srv->cfg->sip))
		return false;
	new_branch_id(srv, id);
	if (scratch.via.branch.l != strlen(id))
		return false;
	off = (size_t)(scratch.via.branch.p - t->resp);
	req = malloc(t->resp_len);
	if (!req)
		return false;
	memcpy(req, t->resp, t->resp_len);
	memcpy(req + off, id, strlen(id));
	flow = t->flow;
	flow.peer = addrs[i];
	flow.conn_id = 0; /* a new connection over TCP or TLS */
	nb = &ctx->br[ctx->nbranches];
	memset(nb, 0, sizeof(*nb));
	nb->ctx = ctx;
	ctx->nbranches++;
	ctx->refs++;
	nt = sip_tsx_client_start(srv->tsx, req, t->resp_len, &flow, &branch_tu, nb, &err);
	free(req);
	if (!nt) {
		ctx->refs--;
		nb->done = true;
		return false;
	}
	nt->user = nb;
	nb->t = nt;
	fo->tried[fo->ntried++] = addrs[i];
	nb->failover = fo;
	b->failover = NULL;
	failover_watch(nb);
	vs_stat_inc(srv->stats, VS_STAT_PROXY_ROUTE_FAILOVER);
	vs_stat_inc(srv->stats, VS_STAT_PROXY_FORWARDED);
	return true;
}

static void branch_response(void *arg, struct sip_tsx *t,
			    const struct sip_msg *resp)
{
	struct proxy_branch *b = arg;
	struct proxy_ctx *ctx = b->ctx;
	struct mbuf mb;
	uint16_t s = resp->status;

	/* A 503 before anything but 100: the next address (RFC 3263 4.3).
	 * After a provisional response the call may already ring there. */
	if (s == 503 && !b->done && b->status <= 100 && branch_failover(b, t)) {
		b->done = true; /* the next address answers instead */
		return;
	}
	if (s > b->status)
		b->status = s;
	if (s < 200) {
		if (b->cancel_pending && !b->cancelled)
			send_cancel(b);
		if (s == 100 || ctx->final_sent)
			return; /* 100 is hop by hop (16.7 step 5) */
	} else if (s >= 300) {
		b->done = true;
	}
	mbuf_init(&mb, txbuf, MSG_MAX);
	{
		static __thread char answer[8192];
		struct pl body = PL_INIT;
		size_t alen;
		if (ctx->media.id && s >= 180 && s < 300 &&
		    proxy_media_answer(ctx->srv, &ctx->media, resp, &t->flow,
				       &ctx->in_flow,
				       !(s >= 200 && ctx->media.got_2xx),
				       answer, sizeof(answer), &alen))
			body = pl_make(answer, alen);
		if (s >= 200 && s < 300 && !ctx->media.established)
			proxy_media_answered(ctx->srv, &ctx->media, resp, &t->flow);
		if (s >= 200 && s < 300)
			ctx->media.established = ctx->media.got_2xx = true;
		if (sip_resp_fwd_print(&mb, resp, pl_isset(&body) ? &body : NULL)) {
		vs_stat_inc(ctx->srv->stats, VS_STAT_DROP_REPLY_OVERFLOW);
		if (s >= 300)
			maybe_finish(ctx);
		return;
		}
	}
	if (s < 300) {
		/* Provisional and 2xx responses go up at once; every 2xx does,
		 * even after another one (forking).  (Up first: cancelling
		 * reuses the transmit buffer.) */
		if (s >= 200 && ctx->final_sent && ctx->st) {
			/* A second 2xx: forward it statelessly. */
			(void)ctx->st->env->send(ctx->st->env->send_ctx,
						 &ctx->st->flow, mb.buf, mb.len);
			vs_stat_inc(ctx->srv->stats, VS_STAT_PROXY_RESP_FWD);
		} else {
			send_up(ctx, s, mb.buf, mb.len);
		}
		if (s >= 200) {
			b->done = true;
			if (ctx->invite)
				cancel_others(ctx, b);
		}
		return;
	}
	if (!ctx->final_sent && (!ctx->best ||
	    status_class_rank(s) < status_class_rank(ctx->best_status))) {
		char *copy = malloc(mb.len);
		if (copy) {
			memcpy(copy, mb.buf, mb.len);
			free(ctx->best);
			ctx->best = copy;
			ctx->best_len = mb.len;
			ctx->best_status = s;
		}
	}
	if (s >= 600 && ctx->invite)
		cancel_others(ctx, b);
	maybe_finish(ctx);
}

static void branch_timeout(void *arg, struct sip_tsx *t)
{
	struct proxy_branch *b = arg;

	if (b->done)
		return;
	b->done = true;
	if (branch_failover(b, t))
		return; /* the next address answers instead */
	maybe_finish(b->ctx);
}

static void branch_terminated(void *arg, struct sip_tsx *t)
{
	struct proxy_branch *b = arg;
	struct proxy_ctx *ctx = b->ctx;

	if (!b->done) {
		b->done = true;
		maybe_finish(ctx);
	}
	if (b->t == t) {
		b->t = NULL;
		sip_tsx_put(t);
	}
	ctx_unref(ctx);
}

static const struct sip_tsx_tu branch_tu = {
	branch_response,
	branch_timeout,
	branch_terminated,
};

static void send_cancel(struct proxy_branch *b)
{
	struct sip_tsx *c;
	struct mbuf mb;
	int err;

	b->cancelled = true;
	b->cancel_pending = false;
	if (!b->t || b->t->method != SIP_METHOD_INVITE)
		return;
	if (sip_msg_parse(&scratch, b->t->resp, b->t->resp_len,
			  &b->ctx->srv->cfg->sip))
		return;
	mbuf_init(&mb, txbuf, MSG_MAX);
	if (sip_cancel_print(&mb, &scratch))
		return;
	/* A CANCEL is its own transaction; its answer means nothing to us. */
	c = sip_tsx_client_start(b->t->env, mb.buf, mb.len, &b->t->flow, NULL,
				 NULL, &err);
	sip_tsx_put(c);
	vs_stat_inc(b->ctx->srv->stats, VS_STAT_PROXY_CANCELLED);
}

static void timer_c_fired(struct timer *tm, void *arg)
{
	struct proxy_ctx *ctx = arg;

	(void)tm;
	/* RFC 3261 16.8: nobody answered finally within Timer C. */
	cancel_others(ctx, NULL);
}

/* --- forwarding -------------------------------------------------------- */

struct target {
	unsigned dns;		     /* an upstream route found by DNS */
	uint32_t dns_gen;
	struct pl ruri;		     /* new Request-URI (or the old one) */
	struct pl routes[PROXY_MAX_ROUTES + 1];
	unsigned nroutes;
	char tail[1100];	     /* "<old Request-URI>" for a strict router */
	bool flow_is_ua;	     /* flow reaches the UA itself (binding) */
	bool replace_routes;
	struct vs_flow flow;	     /* where the request goes */
};

static bool dialog_creating(enum sip_method m)
{
	return m == SIP_METHOD_INVITE || m == SIP_METHOD_SUBSCRIBE ||
	       m == SIP_METHOD_REFER || m == SIP_METHOD_NOTIFY;
}

/* Build the request for one target into mb.  branch gets our branch. */
static int build_forward(struct sip_server *srv, const struct sip_input *in,
			 const struct target *tg, bool record_route,
			 const char *branch, const struct pl *body,
			 struct mbuf *mb)
{
	const struct sip_msg *m = &srv->msg;
	char via[256], rr[640], host_out[VS_IPSTR_MAX + 2],
		host_in[VS_IPSTR_MAX + 2], ip[VS_IPSTR_MAX];
	uint16_t port_out, port_in;
	struct sip_src src;
	struct sip_fwd f;
	int n;

	if (!local_addr(srv, tg->flow.peer.u.sa.sa_family, tg->flow.tp, host_out,
			sizeof(host_out), &port_out))
		return ENETUNREACH;
	n = snprintf(via, sizeof(via), "SIP/2.0/%s %s:%u;branch=%s",
		     tp_name(tg->flow.tp), host_out, port_out, branch);
	if (n < 0 || (size_t)n >= sizeof(via))
		return EOVERFLOW;
	rr[0] = 0;
	if (record_route) {
		struct mbuf rb;
		if (!local_addr(srv, in->flow->peer.u.sa.sa_family, in->flow->tp,
				host_in, sizeof(host_in), &port_in))
			return ENETUNREACH;
		/* RFC 3261 16.6 step 4, always as two entries (RFC 5658): the
		 * top one faces the callee, the other the caller, and each
		 * carries the flow that side is reached over.  Requests in the
		 * dialog then go back the way the dialog came in (a phone
		 * behind NAT, over its TCP connection) instead of to the
		 * private address in its Contact. */
		mbuf_init(&rb, rr, sizeof(rr) - 1);
		put_rr(&rb, srv, &m->call_id, host_out, port_out, tg->flow.tp,
		       tg->flow_is_ua ? &tg->flow : NULL);
		put_rr(&rb, srv, &m->call_id, host_in, port_in, in->flow->tp,
		       in->flow);
		if (rb.overflow)
			return EOVERFLOW;
		rr[rb.len] = 0;
	}
	src.ip = pl_make(ip, vs_sa_ip_str(&in->flow->peer, ip, sizeof(ip)));
	src.port = vs_sa_port(&in->flow->peer);
	memset(&f, 0, sizeof(f));
	f.via = pl_from_cstr(via);
	f.ruri = &tg->ruri;
	f.src = &src;
	f.extra = rr[0] ? rr : NULL;
	f.replace_routes = tg->replace_routes;
	f.routes = tg->routes;
	f.nroutes = tg->nroutes;
	f.body = body;
	return sip_fwd_print(mb, m, &f);
}

static void new_branch_id(const struct sip_server *srv, char out[40])
{
	uint8_t rnd[8];

	vs_random(rnd, sizeof(rnd));
	snprintf(out, 40, BRANCH_PREFIX "%02x", srv->worker & 0xff);
	hexify(rnd, sizeof(rnd), out + strlen(out));
}

int proxy_new_via(const struct sip_server *srv, const struct vs_flow *flow,
		  char *out, size_t size)
{
	char host[VS_IPSTR_MAX + 2], branch[40];
	uint16_t port;
	int n;

	if (!local_addr(srv, flow->peer.u.sa.sa_family, flow->tp, host,
			sizeof(host), &port))
		return ENETUNREACH;
	new_branch_id(srv, branch);
	n = snprintf(out, size, "SIP/2.0/%s %s:%u;branch=%s", tp_name(flow->tp),
		     host, port, branch);
	return n < 0 || (size_t)n >= size ? EOVERFLOW : 0;
}

/* Fork the request to the targets inside server transaction st. */
static bool forward(struct sip_server *srv, const struct sip_input *in,
		    struct mbuf *out, struct sip_tsx *st,
		    const struct target *tg, unsigned ntg)
{
	const struct sip_msg *m = &srv->msg;
	struct proxy_ctx *ctx;
	bool rr = dialog_creating(m->method) && !pl_isset(&m->to.tag);
	unsigned started = 0;
	struct pl offer = PL_INIT;

	ctx = calloc(1, sizeof(*ctx));
	if (ctx)
		ctx->req = malloc(in->len);
	if (!ctx || !ctx->req) {
		free(ctx);
		return srv_tsx_reply(srv, in, out, st, 500,
				     "Server Internal Error", NULL);
	}
	memcpy(ctx->req, in->buf, in->len);
	ctx->req_len = in->len;
	ctx->refs = 1;
	ctx->srv = srv;
	ctx->invite = m->method == SIP_METHOD_INVITE;
	ctx->in_flow = *in->flow;
	if (srv->dlg_pending && ctx->invite) {
		ctx->tracked = true;
		ctx->dialog = srv->dlg_key;
		srv->dlg_pending = false;
	}
	/* Offers: every INVITE (one without SDP asks for the offer in its
	 * answer), and an UPDATE with SDP in a dialog. */
	if (ctx->invite || (m->method == SIP_METHOD_UPDATE &&
			    pl_isset(&m->to.tag) && m->body.l)) {
		struct proxy_media_side side = {.tls = ntg > 0,
						 .srtp = VS_SRTP_PLAIN,
						 .flow = ntg ? &tg[0].flow : NULL};
		for (unsigned i = 0; i < ntg; i++) {
			uint8_t p = shield_zone(srv->cfg, &tg[i].flow)->srtp;
			side.tls = side.tls && tg[i].flow.tp == VS_TP_TLS;
			side.srtp = p > side.srtp ? p : side.srtp;
		}
		int status = pl_isset(&m->to.tag)
				     ? proxy_media_reoffer(srv, m, in->flow, &side,
							   &ctx->media)
				     : proxy_media_offer(srv, m, in->flow, &side,
							 &ctx->media);
		if (status) {
			if (ctx->tracked)
				policy_call_end(srv->svc->policy, &ctx->dialog);
			free(ctx->req);
			free(ctx);
			return srv_tsx_reply(srv, in, out, st, (uint16_t)status,
					     status == 488 ? "Not Acceptable Here: no media the relay can carry"
					     : status == 503 ? "Service Unavailable: media relay full"
							     : "Server Internal Error",
					     status == 503 ? "Retry-After: 30\r\n" : NULL);
		}
		if (ctx->media.id)
			offer = pl_make(ctx->media.body, ctx->media.body_len);
	}
	sip_tsx_link_get(st);
	ctx->st = st;
	st->user = ctx;
	timer_init(&ctx->timer_c);
	for (unsigned i = 0; i < ntg && ctx->nbranches < PROXY_MAX_BRANCHES; i++) {
		struct proxy_branch *b = &ctx->br[ctx->nbranches];
		char branch[40];
		struct mbuf mb;
		struct sip_tsx *t;
		int err;

		new_branch_id(srv, branch);
		mbuf_init(&mb, txbuf, MSG_MAX);
		if (build_forward(srv, in, &tg[i], rr, branch,
				  pl_isset(&offer) ? &offer : NULL, &mb))
			continue;
		b->ctx = ctx;
		ctx->nbranches++;
		ctx->refs++;
		t = sip_tsx_client_start(srv->tsx, mb.buf, mb.len, &tg[i].flow,
					 &branch_tu, b, &err);
		if (!t) {
			/* Never started: this branch is over. */
			ctx->refs--;
			b->done = true;
			continue;
		}
		t->user = b;
		b->t = t;
		if (tg[i].dns) {
			b->failover = calloc(1, sizeof(*b->failover));
			if (b->failover) {
				b->failover->dns = tg[i].dns;
				b->failover->gen = tg[i].dns_gen;
				b->failover->tried[b->failover->ntried++] = tg[i].flow.peer;
				timer_init(&b->failover->silence);
				failover_watch(b);
			}
		}
		started++;
		vs_stat_inc(srv->stats, VS_STAT_PROXY_FORWARDED);
	}
	if (!started) {
		ctx->nbranches = 0;
		ctx_unref(ctx);
		return srv_tsx_reply(srv, in, out, st, 503, "Service Unavailable",
				     "Retry-After: 30\r\n");
	}
	/* The branches' timers (F, or B and C) end in a final response. */
	sip_tsx_tu_committed(st);
	if (ctx->invite)
		timer_start(srv->tsx->wheel, &ctx->timer_c, *srv->tsx->now_ms,
			    TIMER_C_MS, timer_c_fired, ctx);
	ctx_unref(ctx); /* the branches hold it now */
	return false;
}

/* --- requests ----------------------------------------------------------- */

/* The Route values of a request, in order. */
struct route_set {
	struct pl values[PROXY_MAX_ROUTES]; /* whole name-addr */
	struct pl raws[PROXY_MAX_ROUTES];   /* the URI as written */
	struct sip_uri uris[PROXY_MAX_ROUTES];
	unsigned n;
};

/* 0, or -1 when a Route is malformed or there are too many. */
static int collect_routes(const struct sip_msg *m, struct route_set *rs)
{
	struct sip_hdr_iter it;
	struct sip_addr a;
	int err;

	rs->n = 0;
	sip_hdr_iter_init(&it, m, SIP_HDR_ROUTE);
	while ((err = sip_addr_next(&it, &a, SIP_ADDR_ROUTE)) == 0) {
		if (rs->n == PROXY_MAX_ROUTES)
			return -1;
		rs->values[rs->n] = a.value;
		rs->raws[rs->n] = a.uri_raw;
		rs->uris[rs->n] = a.uri;
		rs->n++;
	}
	return err == ENOENT ? 0 : -1;
}

/* Does this URI of ours carry our signature for the request's dialog? */
static bool signed_by_us(const struct sip_server *srv, const struct sip_msg *m,
			 const struct sip_uri *u)
{
	struct pl sig, tok = PL_INIT;
	char mac[17];

	(void)sip_uri_param(u, "vsf", &tok);
	rr_mac(srv, &m->call_id, &tok, mac);
	return sip_uri_param(u, "vsd", &sig) && sig.l == 16 &&
	       auth_ct_eq(sig.p, mac, 16);
}

/*
 * Pop the leading Route values among first..n that name us (16.4); each
 * must carry our signature when require_sig.  Returns how many were
 * popped, or -1 for a forged or missing signature.
 */
static int pop_our_routes(const struct sip_server *srv,
			  const struct sip_msg *m, const struct route_set *rs,
			  unsigned n, bool require_sig)
{
	unsigned k = 0;

	while (k < n && sip_local_is_us(srv->local, &rs->uris[k])) {
		if (require_sig && !signed_by_us(srv, m, &rs->uris[k]))
			return -1;
		k++;
	}
	return (int)k;
}

/*
 * The next hop (16.6 steps 6 and 7) for the Route values first..end of rs
 * and the Request-URI ruri.  When the next Route has no lr, the next hop
 * is a strict router (RFC 2543): it becomes the Request-URI and the old
 * Request-URI goes to the end of the Route set.
 */
static int route_target(const struct route_set *rs, unsigned first,
			unsigned end, const struct pl *ruri_raw,
			const struct sip_uri *ruri, bool signed_routes,
			struct target *tg)
{
	struct pl tok;

	memset(&tg->flow, 0, sizeof(tg->flow));
	tg->nroutes = 0;
	tg->ruri = *ruri_raw;
	tg->replace_routes = true;
	if (first < end && !rs->uris[first].lr) {
		int l;
		tg->ruri = rs->raws[first];
		for (unsigned i = first + 1; i < end; i++)
			tg->routes[tg->nroutes++] = rs->values[i];
		l = snprintf(tg->tail, sizeof(tg->tail), "<%.*s>",
			     (int)ruri_raw->l, ruri_raw->p);
		if (l < 0 || (size_t)l >= sizeof(tg->tail))
			return EOVERFLOW;
		tg->routes[tg->nroutes++] = pl_make(tg->tail, (size_t)l);
		return proxy_uri_flow(&rs->uris[first], &tg->flow);
	}
	for (unsigned i = first; i < end; i++)
		tg->routes[tg->nroutes++] = rs->values[i];
	if (first < end)
		return proxy_uri_flow(&rs->uris[first], &tg->flow);
	/* Our last Route entry (signed, checked) names the flow towards the
	 * target: use it rather than the Contact's address. */
	if (signed_routes && first > 0 &&
	    sip_uri_param(&rs->uris[first - 1], "vsf", &tok) &&
	    vs_flow_from_token(tok.p, tok.l, &tg->flow) == 0) {
		tg->flow_is_ua = true;
		return 0;
	}
	return proxy_uri_flow(ruri, &tg->flow);
}

static bool reply_route_error(struct sip_server *srv,
			      const struct sip_input *in, struct mbuf *out,
			      struct sip_tsx *st, int err)
{
	if (err == EPROTONOSUPPORT)
		return srv_tsx_reply(srv, in, out, st, 502, "Bad Gateway: transport not supported", NULL);
	return srv_tsx_reply(srv, in, out, st, 404,
			     "Not Found: next hop is not an address", NULL);
}

/* ACK for a 2xx: a transaction of its own, forwarded statelessly. */
static bool forward_ack(struct sip_server *srv, const struct sip_input *in)
{
	const struct sip_msg *m = &srv->msg;
	static __thread struct route_set rs;
	struct target tg;
	char branch[40];
	struct mbuf mb;
	int popped;
	uint64_t h;

	if (collect_routes(m, &rs))
		goto drop;
	popped = pop_our_routes(srv, m, &rs, rs.n, true);
	if (popped <= 0 || route_target(&rs, (unsigned)popped, rs.n,
					&m->ruri_raw, &m->ruri, true, &tg))
		goto drop;
	/* A stateless proxy's branch: the same for a retransmission. */
	h = vs_hash(m->via.branch.p, m->via.branch.l);
	snprintf(branch, sizeof(branch), BRANCH_PREFIX "%02xa%016llx",
		 srv->worker & 0xff, (unsigned long long)h);
	{
		/* The answer to a late offer is rewritten like any other. */
		static __thread char answer[8192];
		struct pl body = PL_INIT;
		size_t alen;
		if (m->body.l && proxy_media_ack(srv, m, answer, sizeof(answer), &alen))
			body = pl_make(answer, alen);
		mbuf_init(&mb, txbuf, MSG_MAX);
		if (build_forward(srv, in, &tg, false, branch,
				  pl_isset(&body) ? &body : NULL, &mb))
			goto drop;
	}
	(void)srv->tsx->send(srv->tsx->send_ctx, &tg.flow, mb.buf, mb.len);
	vs_stat_inc(srv->stats, VS_STAT_PROXY_FORWARDED);
	return false;
drop:
	vs_stat_inc(srv->stats, VS_STAT_DROP_ACK_NO_TSX);
	return false;
}

static bool handle_cancel(struct sip_server *srv, const struct sip_input *in,
			  struct mbuf *out)
{
	struct sip_tsx *inv = sip_tsx_find_invite(srv->tsx, &srv->msg);
	struct sip_tsx *t;
	bool r;

	if (!inv)
		return srv_reply(srv, in, out, 481,
				 "Call/Transaction Does Not Exist", NULL);
	if (inv->owner != srv->tsx->owner) {
		sip_tsx_put(inv);
		return false; /* the CANCEL is retransmitted; rare */
	}
	switch (sip_tsx_server_receive(srv->tsx, &srv->msg, in->flow, &t)) {
	case SIP_TSX_NEW:
		break;
	case SIP_TSX_FULL:
		sip_tsx_put(inv);
		return srv_reply(srv, in, out, 503, "Service Unavailable",
				 "Retry-After: 5\r\n");
	default:
		sip_tsx_put(inv);
		return false;
	}
	/* RFC 3261 16.10: answer the CANCEL, cancel every pending branch. */
	r = srv_tsx_reply(srv, in, out, t, 200, "OK", NULL);
	sip_tsx_put(t);
	if (inv->user) {
		struct proxy_ctx *ctx = inv->user;
		if (!ctx->final_sent)
			cancel_others(ctx, NULL);
	}
	sip_tsx_put(inv);
	return r;
}

/* The authenticated user owns the From address (or 403). */
static bool from_is_user(struct sip_server *srv, const struct pl *user)
{
	char aor[LOC_AOR_MAX + 1];
	size_t ul;

	if (registrar_aor(srv->cfg, srv->local, &srv->msg.from.uri, aor))
		return false;
	ul = (size_t)(strchr(aor, '@') - aor);
	return ul == user->l && memcmp(aor, user->p, ul) == 0;
}

static bool user_exists(struct sip_server *srv, const char *aor)
{
	struct vs_user_rec u;
	const char *at = strchr(aor, '@');
	int err;

	if (!srv->users || !at)
		return false;
	err = vs_store_user_get(srv->users, aor, (size_t)(at - aor),
				srv->cfg->realm, strlen(srv->cfg->realm), &u);
	memset(&u, 0, sizeof(u));
	return err == 0;
}

/* Targets from the location service for a local address of record. */
static bool to_local_user(struct sip_server *srv, const struct sip_input *in,
			  struct mbuf *out, struct sip_tsx *st, const char *aor,
			  const struct pl *routes, unsigned nroutes)
{
	struct loc_binding *b[PROXY_MAX_BRANCHES];
	struct target tg[PROXY_MAX_BRANCHES];
	unsigned n, ntg = 0;
	bool r, sips = srv->msg.ruri.scheme == SIP_URI_SIPS;

	n = loc_lookup(srv->svc->loc, aor, (uint64_t)time(NULL), b,
		       PROXY_MAX_BRANCHES);
	if (n == 0) {
		if (!user_exists(srv, aor))
			return srv_tsx_reply(srv, in, out, st, 404, "Not Found",
					     NULL);
		return srv_tsx_reply(srv, in, out, st, 480,
				     "Temporarily Unavailable", NULL);
	}
	for (unsigned i = 0; i < n; i++) {
		struct target *t = &tg[ntg];

		memset(t, 0, sizeof(*t));
		t->ruri = pl_make(loc_contact(b[i]), b[i]->contact_len);
		/* RFC 3327: the Path becomes the Route set; the request goes
		 * to its first hop.  Without Path, to the flow the REGISTER
		 * came on (RFC 3581: the phone's public address). */
		t->replace_routes = true;
		if (b[i]->path_len) {
			struct pl path = pl_make(loc_path(b[i]), b[i]->path_len);
			struct sip_addr a;
			struct scan s;
			scan_init(&s, &path);
			while (t->nroutes < PROXY_MAX_ROUTES &&
			       sip_addr_parse(&s, &a, SIP_ADDR_ROUTE,
					      srv->cfg->sip.max_uri_length) == 0) {
				if (t->nroutes == 0 &&
				    proxy_uri_flow(&a.uri, &t->flow))
					break;
				t->routes[t->nroutes++] = a.value;
				if (!scan_sep(&s, ','))
					break;
			}
			if (!t->nroutes)
				continue;
		} else {
			t->flow = b[i]->flow;
			t->flow_is_ua = true;
		}
		/* RFC 5630: a sips: request only ever leaves over TLS. */
		if (sips && t->flow.tp != VS_TP_TLS) {
			vs_stat_inc(srv->stats, VS_STAT_PROXY_SIPS_NO_TLS);
			continue;
		}
		for (unsigned k = 0; k < nroutes && t->nroutes < PROXY_MAX_ROUTES; k++)
			t->routes[t->nroutes++] = routes[k];
		ntg++;
	}
	r = ntg ? forward(srv, in, out, st, tg, ntg)
		: srv_tsx_reply(srv, in, out, st, 480,
				sips ? "Temporarily Unavailable: no TLS contact for a sips: target"
				     : "Temporarily Unavailable",
				NULL);
	for (unsigned i = 0; i < n; i++)
		loc_free(b[i]);
	return r;
}

/* SPIT and toll-fraud policy for a new call: 0 to go on, else the
 * answer has been written.  A call the policy counts is handed to
 * forward() through srv->dlg_pending. */
static int call_policy(struct sip_server *srv, const struct sip_input *in,
		       struct mbuf *out, struct sip_tsx *st,
		       const struct pl *caller, bool *replied)
{
	const struct sip_msg *m = &srv->msg;
	struct shield_ctx c;
	struct policy_call call;
	struct policy_verdict v;
	char aor[LOC_AOR_MAX + 1];

	if (m->method != SIP_METHOD_INVITE || !srv->svc->policy ||
	    !srv_shield(srv, &c))
		return 0;
	memset(&call, 0, sizeof(call));
	call.m = m;
	call.flow = in->flow;
	call.caller_account = *caller;
	if (registrar_aor(srv->cfg, srv->local, &m->ruri, aor) == 0)
		call.callee_account = m->ruri.user;
	call.untrusted = !vs_config_trusted(srv->cfg, &in->flow->peer);
	policy_check_call(srv->svc->policy, &c, &call, &v);
	if (v.status) {
		*replied = srv_tsx_reply(srv, in, out, st, v.status, v.reason,
					 NULL);
		return -1;
	}
	if (v.tracked) {
		srv->dlg_pending = true;
		srv->dlg_key = v.dialog;
	}
	return 0;
}

static bool out_of_dialog_call(struct sip_server *srv,
			       const struct sip_input *in, struct mbuf *out,
			       struct sip_tsx *st);

/* Out of a dialog; a call the policy counted but that was answered here
 * (404, 480, ...) before reaching forward() stops counting. */
static bool out_of_dialog(struct sip_server *srv, const struct sip_input *in,
			  struct mbuf *out, struct sip_tsx *st)
{
	bool r = out_of_dialog_call(srv, in, out, st);

	if (srv->dlg_pending) {
		srv->dlg_pending = false;
		policy_call_end(srv->svc->policy, &srv->dlg_key);
	}
	return r;
}

/* Authenticate, check the caller and the policy, find the target. */
static bool out_of_dialog_call(struct sip_server *srv,
			       const struct sip_input *in, struct mbuf *out,
			       struct sip_tsx *st)
{
	static __thread char hdrs[4096];
	static __thread struct route_set rs;
	const struct sip_msg *m = &srv->msg;
	char aor[LOC_AOR_MAX + 1];
	struct auth_params ap;
	struct mbuf hb;
	struct pl user = {NULL, 0};
	bool stale = false;
	int popped, err;

	if (collect_routes(m, &rs))
		return srv_tsx_reply(srv, in, out, st, 400, "Malformed Route",
				     NULL);
	/* A preloaded Route naming us (we are the outbound proxy). */
	popped = pop_our_routes(srv, m, &rs, rs.n, false);
	if (!vs_config_trusted(srv->cfg, &in->flow->peer) &&
	    shield_zone(srv->cfg, in->flow)->auth) {
		mbuf_init(&hb, hdrs, sizeof(hdrs) - 1);
		srv_auth_params(srv, &ap);
		switch (srv_authenticate(srv, in, &ap, true, &user)) {
		case AUTH_RES_OK:
			break;
		case AUTH_RES_MALFORMED:
			return srv_tsx_reply(srv, in, out, st, 400,
					     "Malformed or mismatched Proxy-Authorization",
					     NULL);
		case AUTH_RES_FORBIDDEN:
			return srv_tsx_reply(srv, in, out, st, 403,
					     srv->refusal, NULL);
		case AUTH_RES_ERROR:
			return srv_tsx_reply(srv, in, out, st, 500,
					     "Server Internal Error", NULL);
		case AUTH_RES_STALE:
			stale = true;
			/* fall through */
		case AUTH_RES_FAILED:
		case AUTH_RES_REPLAY:
		case AUTH_RES_NONE:
			vs_stat_inc(srv->stats, VS_STAT_AUTH_CHALLENGE);
			auth_challenge_print(&hb, &ap, true, stale);
			hdrs[hb.len] = 0;
			return srv_tsx_reply(srv, in, out, st, 407,
					     "Proxy Authentication Required",
					     hdrs);
		}
		if (!from_is_user(srv, &user)) {
			vs_stat_inc(srv->stats, VS_STAT_AUTH_IDENTITY);
			return srv_tsx_reply(srv, in, out, st, 403,
					     "Forbidden: From is not the authenticated user",
					     NULL);
		}
	}
	{
		bool replied = false;
		if (call_policy(srv, in, out, st, &user, &replied))
			return replied;
	}
	if ((unsigned)popped < rs.n) {
		/* Further Route values: loose routing onwards, but only for
		 * trusted peers; a user may not pick arbitrary next hops (a
		 * way to reach trunks past the routing policy). */
		static __thread struct target tg;
		if (!vs_config_trusted(srv->cfg, &in->flow->peer)) {
			vs_stat_inc(srv->stats, VS_STAT_PROXY_BAD_ROUTE);
			return srv_tsx_reply(srv, in, out, st, 403,
					     "Forbidden: Route not allowed",
					     NULL);
		}
		err = route_target(&rs, (unsigned)popped, rs.n, &m->ruri_raw,
				   &m->ruri, false, &tg);
		if (err)
			return reply_route_error(srv, in, out, st, err);
		return forward(srv, in, out, st, &tg, 1);
	}
	err = registrar_aor(srv->cfg, srv->local, &m->ruri, aor);
	if (err == 0)
		return to_local_user(srv, in, out, st, aor, NULL, 0);
	if (err == EINVAL || sip_local_is_us(srv->local, &m->ruri))
		return srv_tsx_reply(srv, in, out, st, 404, "Not Found", NULL);
	{
		const struct vs_zone *z = shield_zone(srv->cfg, in->flow);
		const struct vs_route *r = route_select(srv->cfg, &m->ruri,
							 z->routes);
		struct target tg;
		if (!r && route_select(srv->cfg, &m->ruri, UINT64_MAX)) {
			/* Toll-fraud and segmentation policy: this zone may
			 * not reach that trunk. */
			vs_stat_inc(srv->stats, VS_STAT_SHIELD_ROUTE_DENIED);
			return srv_tsx_reply(srv, in, out, st, 403,
					     "Forbidden: destination not allowed from here",
					     NULL);
		}
		if (!r) {
			vs_stat_inc(srv->stats, VS_STAT_PROXY_NO_ROUTE);
			return srv_tsx_reply(srv, in, out, st, 404,
					     "No Route to Destination", NULL);
		}
		if (m->ruri.scheme == SIP_URI_SIPS && r->transport != VS_TP_TLS) {
			vs_stat_inc(srv->stats, VS_STAT_PROXY_SIPS_NO_TLS);
			return srv_tsx_reply(srv, in, out, st, 480,
					     "Temporarily Unavailable: no TLS route for a sips: target",
					     NULL);
		}
		memset(&tg, 0, sizeof(tg));
		tg.ruri = m->ruri_raw;
		if (r->named) {
			/* RFC 3263: the first address the DNS gave that has
			 * not failed lately; forward() keeps the others. */
			if (!route_dns_get(r->dns, r->dns_gen, &tg.flow.peer, 1, *srv->tsx->now_ms)) {
				vs_stat_inc(srv->stats, VS_STAT_PROXY_ROUTE_UNRESOLVED);
				return srv_tsx_reply(srv, in, out, st, 503,
						     "Service Unavailable: the route's host name has no address",
						     "Retry-After: 30\r\n");
			}
			tg.dns = r->dns;
			tg.dns_gen = r->dns_gen;
		} else {
			memcpy(&tg.flow.peer.u, &r->sa, r->salen);
			tg.flow.peer.len = r->salen;
		}
		tg.flow.tp = (uint8_t)r->transport;
		tg.flow.listener = route_listener(srv->cfg, r->transport,
						  tg.flow.peer.u.sa.sa_family);
		return forward(srv, in, out, st, &tg, 1);
	}
}

/* In a dialog: follow the Route set we recorded. */
static bool in_dialog(struct sip_server *srv, const struct sip_input *in,
		      struct mbuf *out, struct sip_tsx *st)
{
	static __thread struct route_set rs;
	static __thread struct target tg;
	const struct sip_msg *m = &srv->msg;
	const struct pl *ruri_raw = &m->ruri_raw;
	const struct sip_uri *ruri = &m->ruri;
	unsigned end;
	int popped, err;

	if (collect_routes(m, &rs))
		return srv_tsx_reply(srv, in, out, st, 400, "Malformed Route",
				     NULL);
	if (m->method == SIP_METHOD_BYE)
		proxy_media_bye(srv, m); /* the call's media ends */
	end = rs.n;
	if (end && sip_local_is_us(srv->local, ruri) && !pl_isset(&ruri->user)) {
		/* The previous hop is a strict router (16.4): the
		 * Request-URI is our Record-Route, the target is the last
		 * Route value. */
		if (!signed_by_us(srv, m, ruri)) {
			vs_stat_inc(srv->stats, VS_STAT_PROXY_BAD_ROUTE);
			return srv_tsx_reply(srv, in, out, st, 403,
					     "Forbidden: Route not signed by this proxy",
					     NULL);
		}
		end--;
		ruri_raw = &rs.raws[end];
		ruri = &rs.uris[end];
		popped = pop_our_routes(srv, m, &rs, end, true);
	} else {
		popped = pop_our_routes(srv, m, &rs, end, true);
		if (popped == 0) {
			/* Not a dialog we record-routed.  A request for one
			 * of our users can still be delivered (a UA without
			 * a Route set). */
			char aor[LOC_AOR_MAX + 1];
			if (end == 0 && registrar_aor(srv->cfg, srv->local,
						      ruri, aor) == 0)
				return out_of_dialog(srv, in, out, st);
			popped = -1;
		}
	}
	if (popped < 0) {
		vs_stat_inc(srv->stats, VS_STAT_PROXY_BAD_ROUTE);
		return srv_tsx_reply(srv, in, out, st, 403,
				     "Forbidden: not routed through this proxy",
				     NULL);
	}
	err = route_target(&rs, (unsigned)popped, end, ruri_raw, ruri, true, &tg);
	if (err)
		return reply_route_error(srv, in, out, st, err);
	if (m->method == SIP_METHOD_BYE && srv->svc->policy &&
	    srv->cfg->policy.track) {
		/* The call ends, whichever side hangs up. */
		struct srctab_key k;
		policy_dialog_key(&m->call_id, &m->from.tag, &k);
		if (!policy_call_end(srv->svc->policy, &k)) {
			policy_dialog_key(&m->call_id, &m->to.tag, &k);
			(void)policy_call_end(srv->svc->policy, &k);
		}
	}
	return forward(srv, in, out, st, &tg, 1);
}

bool proxy_request(struct sip_server *srv, const struct sip_input *in,
		   struct mbuf *out)
{
	const struct sip_msg *m = &srv->msg;
	struct sip_tsx *st;
	bool r;

	if (m->method == SIP_METHOD_CANCEL)
		return handle_cancel(srv, in, out);
	switch (sip_tsx_server_receive(srv->tsx, m, in->flow, &st)) {
	case SIP_TSX_NEW:
		break;
	case SIP_TSX_STRAY_ACK:
		return forward_ack(srv, in);
	case SIP_TSX_FULL:
		return srv_reply(srv, in, out, 503, "Service Unavailable",
				 "Retry-After: 5\r\n");
	case SIP_TSX_UNKEYABLE:
		return srv_reply(srv, in, out, 400, "Bad Request: Via too long",
				 NULL);
	default:
		return false;
	}
	if (looped(srv, m)) {
		vs_stat_inc(srv->stats, VS_STAT_PROXY_LOOP);
		r = srv_tsx_reply(srv, in, out, st, 482, "Loop Detected", NULL);
		sip_tsx_put(st);
		return r;
	}
	if (m->method == SIP_METHOD_INVITE) {
		/* RFC 3261 16.2: 100 Trying at once, so the caller stops
		 * retransmitting; the first copy leaves in out. */
		if (srv_tsx_reply(srv, in, out, st, 100, "Trying", NULL)) {
			(void)srv->tsx->send(srv->tsx->send_ctx, in->flow,
					     out->buf, out->len);
			out->len = 0;
		}
	}
	if (pl_isset(&m->to.tag))
		r = in_dialog(srv, in, out, st);
	else
		r = out_of_dialog(srv, in, out, st);
	sip_tsx_put(st);
	return r;
}

/* --- responses --------------------------------------------------------- */

struct handoff {
	struct vs_job job;
	struct sip_server *to;
	struct vs_flow flow;
	size_t len;
	char buf[];
};

static void handoff_run(struct vs_job *job)
{
	struct handoff *h = (struct handoff *)job;
	struct sip_server *srv = h->to;
	struct sip_input in = {h->buf, h->len, &h->flow, false};

	if (sip_msg_parse(&srv->msg, h->buf, h->len, &srv->cfg->sip) == 0 &&
	    !srv->msg.is_request)
		proxy_response(srv, &in);
	free(h);
}

void proxy_response(struct sip_server *srv, const struct sip_input *in)
{
	const struct sip_msg *m = &srv->msg;
	struct sip_tsx *t = sip_tsx_client_find(srv->tsx, m);

	if (!t) {
		vs_stat_inc(srv->stats, VS_STAT_DROP_RESPONSE);
		return;
	}
	if (t->owner != srv->tsx->owner) {
		struct sip_server *to = srv->server_of
						? srv->server_of(srv->post_ctx, t->owner)
						: NULL;
		struct handoff *h = to ? malloc(sizeof(*h) + in->len) : NULL;
		sip_tsx_put(t);
		if (!h) {
			vs_stat_inc(srv->stats, VS_STAT_TSX_FOREIGN);
			return;
		}
		h->job.run = handoff_run;
		h->to = to;
		h->flow = *in->flow;
		h->len = in->len;
		memcpy(h->buf, in->buf, in->len);
		vs_stat_inc(srv->stats, VS_STAT_TSX_HANDOFF);
		to->post(to->post_ctx, &h->job);
		return;
	}
	sip_tsx_client_response(t, m);
	sip_tsx_put(t);
}
