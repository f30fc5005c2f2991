/*
 * challenge.c - digest challenges and credential checks (see challenge.h).
 */
#include "auth/challenge.h"

#include <errno.h>
#include <string.h>

void auth_challenge_print(struct mbuf *mb, const struct auth_params *p,
			  bool proxy, bool stale)
{
	char nonce[AUTH_NONCE_LEN + 1];

	auth_nonce_make(p->secret, &p->realm, p->now, nonce);
	for (unsigned i = 0; i < p->nalgos; i++) {
		mbuf_puts(mb, proxy ? "Proxy-Authenticate: Digest realm=\""
				    : "WWW-Authenticate: Digest realm=\"");
		mbuf_put_pl(mb, &p->realm);
		mbuf_puts(mb, "\", nonce=\"");
		mbuf_puts(mb, nonce);
		mbuf_puts(mb, "\", algorithm=");
		mbuf_puts(mb, auth_algo_name((enum auth_algo)p->algos[i]));
		mbuf_puts(mb, ", qop=\"auth\"");
		if (stale)
			mbuf_puts(mb, ", stale=true");
		mbuf_puts(mb, "\r\n");
	}
}

/* The credentials addressed to our realm, if any. */
static int find_credentials(const struct auth_params *p,
			    const struct sip_msg *req, bool proxy,
			    struct sip_auth *out)
{
	const struct sip_hdr *h = sip_msg_hdr(
		req, proxy ? SIP_HDR_PROXY_AUTHORIZATION : SIP_HDR_AUTHORIZATION);
	bool malformed = false;

	for (; h; h = sip_msg_hdr_next(req, h)) {
		struct sip_auth a;
		struct pl realm;

		if (sip_auth_parse(&h->value, &a)) {
			malformed = true;
			continue;
		}
		if (!pl_caseeq_str(&a.scheme, "Digest"))
			continue;
		realm = sip_unquote(&a.realm);
		if (pl_eq(&realm, &p->realm)) {
			*out = a;
			return 0;
		}
	}
	return malformed ? -1 : 1;
}

static bool allowed_algo(const struct auth_params *p, enum auth_algo a)
{
	for (unsigned i = 0; i < p->nalgos; i++) {
		if (p->algos[i] == a)
			return true;
	}
	return false;
}

/* The digest-uri must name the request's target (RFC 7616 3.4.6) or at
 * least this server, so credentials computed for another server do not
 * work here. */
static bool uri_matches(const struct auth_params *p, const struct sip_msg *req,
			const struct pl *uri)
{
	struct sip_uri u;

	if (pl_eq(uri, &req->ruri_raw))
		return true;
	if (sip_uri_parse(&u, uri))
		return false;
	if (sip_uri_cmp(&u, &req->ruri))
		return true;
	return p->local && sip_local_is_us(p->local, &u);
}

enum auth_result auth_check(const struct auth_params *p,
			    const struct sip_msg *req, bool proxy,
			    struct pl *user)
{
	/* A fixed HA1 for unknown users: the work done and the answer are
	 * the same as for a wrong password. */
	static const char dummy_ha1[] =
		"0000000000000000000000000000000000000000000000000000000000000000";
	struct auth_digest_in in;
	struct sip_auth a;
	char ha1[AUTH_HEX_MAX];
	enum auth_nonce_status ns;
	uint64_t issued = 0;
	bool known = true;
	int rc;

	rc = find_credentials(p, req, proxy, &a);
	if (rc < 0)
		return AUTH_RES_MALFORMED;
	if (rc > 0)
		return AUTH_RES_NONE;
	memset(&in, 0, sizeof(in));
	if (!pl_isset(&a.username) || !pl_isset(&a.nonce) ||
	    !pl_isset(&a.uri) || !pl_isset(&a.response))
		return AUTH_RES_MALFORMED;
	if (auth_algo_parse(&a.algorithm, &in.algo, &in.sess))
		return AUTH_RES_FAILED; /* an algorithm we did not offer */
	if (!allowed_algo(p, in.algo) || pl_isset(&a.userhash))
		return AUTH_RES_FAILED;
	*user = sip_unquote(&a.username);
	in.nonce = sip_unquote(&a.nonce);
	in.uri = sip_unquote(&a.uri);
	in.method = req->method_name;
	if (pl_isset(&a.qop)) {
		in.qop = sip_unquote(&a.qop);
		in.cnonce = sip_unquote(&a.cnonce);
		in.nc = a.nc;
		if (!pl_eq_str(&in.qop, "auth") || !pl_isset(&a.cnonce) ||
		    !pl_isset(&a.nc))
			return AUTH_RES_FAILED; /* we offer qop=auth only */
	}
	if (!uri_matches(p, req, &in.uri))
		return AUTH_RES_MALFORMED;
	ns = auth_nonce_check(p->secret, &p->realm, &in.nonce, p->now,
			      p->nonce_lifetime, &issued);
	if (ns == AUTH_NONCE_INVALID)
		return AUTH_RES_FAILED;
	/* User names with quotes or escapes cannot exist (see store.h). */
	if (memchr(user->p, '\\', user->l))
		known = false;
	else
		rc = p->lookup(p->lookup_ctx, user, &p->realm, in.algo, ha1);
	if (known && rc == EIO)
		return AUTH_RES_ERROR;
	if (!known || rc || !ha1[0]) {
		known = false;
		memcpy(ha1, dummy_ha1, auth_algo_hexlen(in.algo));
		ha1[auth_algo_hexlen(in.algo)] = 0;
	}
	in.ha1 = pl_make(ha1, strlen(ha1));
	{
		struct pl resp = sip_unquote(&a.response);
		bool ok = auth_response_ok(&in, &resp);
		memset(ha1, 0, sizeof(ha1));
		if (!ok || !known)
			return AUTH_RES_FAILED;
	}
	if (ns == AUTH_NONCE_STALE || issued < p->not_before)
		return AUTH_RES_STALE;
	if (auth_nc_use(p->nc, &in.nonce, pl_isset(&in.qop) ? &in.nc : NULL,
			issued, p->nonce_lifetime, p->now) != AUTH_NC_OK)
		return AUTH_RES_REPLAY;
	return AUTH_RES_OK;
}
