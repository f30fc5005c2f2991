/*
 * registrar.c - REGISTER processing (see registrar.h).
 */
#include "registrar/registrar.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int registrar_aor(const struct vs_config *cfg, const struct sip_local *loc,
		  const struct sip_uri *uri, char out[LOC_AOR_MAX + 1])
{
	const char *domain = NULL;
	struct pl host = uri->host;
	long ulen;

	if (uri->scheme != SIP_URI_SIP && uri->scheme != SIP_URI_SIPS)
		return ENOENT;
	if (!pl_isset(&uri->user) || uri->user.l == 0)
		return EINVAL;
	if (host.l && host.p[host.l - 1] == '.')
		host.l--;
	for (size_t i = 0; i < cfg->ndomains; i++) {
		if (pl_caseeq_str(&host, cfg->domains[i]))
			domain = cfg->domains[i];
	}
	if (!domain) {
		if (!sip_local_is_us(loc, uri))
			return ENOENT;
		domain = cfg->ndomains ? cfg->domains[0] : cfg->realm;
	}
	ulen = sip_uri_unescape(&uri->user, out, LOC_AOR_MAX);
	if (ulen <= 0 || memchr(out, 0, (size_t)ulen) ||
	    (size_t)ulen + 1 + strlen(domain) > LOC_AOR_MAX)
		return EINVAL;
	out[ulen] = '@';
	for (size_t i = 0; domain[i]; i++)
		out[ulen + 1 + i] = vs_tolower(domain[i]);
	out[ulen + 1 + strlen(domain)] = 0;
	return 0;
}

static void fail(struct reg_outcome *out, uint16_t status, const char *reason)
{
	out->status = status;
	out->reason = reason;
}

static bool supports_path(const struct sip_msg *m)
{
	struct sip_hdr_iter it;
	struct pl tok;

	sip_hdr_iter_init(&it, m, SIP_HDR_SUPPORTED);
	while (sip_token_next(&it, &tok) == 0) {
		if (pl_caseeq_str(&tok, "path"))
			return true;
	}
	return false;
}

/* All Path values as one comma-separated list, in a static-size buffer. */
static int collect_path(const struct sip_msg *m, char *buf, size_t size,
			struct pl *path)
{
	struct sip_hdr_iter it;
	struct sip_addr a;
	struct mbuf mb;
	int err, n = 0;

	mbuf_init(&mb, buf, size);
	sip_hdr_iter_init(&it, m, SIP_HDR_PATH);
	while ((err = sip_addr_next(&it, &a, SIP_ADDR_ROUTE)) == 0) {
		if (n++)
			mbuf_puts(&mb, ", ");
		mbuf_put_pl(&mb, &a.value);
	}
	if (err != ENOENT || mb.overflow)
		return EBADMSG;
	*path = n ? pl_make(buf, mb.len) : pl_make(NULL, 0);
	return 0;
}

static void put_date(struct mbuf *mb, uint64_t now)
{
	char buf[64];
	time_t t = (time_t)now;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
	mbuf_puts(mb, buf);
}

void registrar_register(struct loc_table *loc, const struct vs_config *cfg,
			const struct sip_local *local,
			const struct sip_msg *m, const struct pl *user,
			const struct vs_flow *flow, uint64_t now,
			size_t batch_size, struct reg_outcome *out)
{
	struct loc_contact contacts[64];
	char aor[LOC_AOR_MAX + 1], path_buf[2048];
	struct loc_register r;
	struct sip_hdr_iter it;
	struct sip_addr a;
	const struct sip_hdr *eh;
	uint32_t hdr_expires = cfg->reg_default_expires;
	unsigned n = 0;
	bool star = false;
	size_t mark;
	int err;

	out->status = 0;
	out->batch = NULL;
	mark = out->hdrs->len;
	/* 10.3 step 3: the address of record must be one of ours. */
	err = registrar_aor(cfg, local, &m->to.uri, aor);
	if (err == ENOENT)
		return fail(out, 404, "Not Found");
	if (err)
		return fail(out, 400, "Bad To URI: no user, or too long");
	/* 10.3 step 5: the authenticated user may register only itself. */
	{
		size_t ul = strchr(aor, '@') - aor;
		if (ul != user->l || memcmp(aor, user->p, ul) != 0)
			return fail(out, 403, REG_NOT_YOURS);
	}
	eh = sip_msg_hdr(m, SIP_HDR_EXPIRES);
	if (eh && sip_uint_hdr_parse(&eh->value, UINT32_MAX, &hdr_expires))
		return fail(out, 400, "Bad Expires header");
	sip_hdr_iter_init(&it, m, SIP_HDR_CONTACT);
	while ((err = sip_addr_next(&it, &a, SIP_ADDR_CONTACT)) == 0) {
		struct loc_contact *c;
		uint32_t exp;

		if (a.star) {
			star = true;
			continue;
		}
		if (n == sizeof(contacts) / sizeof(contacts[0]) ||
		    n >= cfg->reg_max_contacts + 16u)
			return fail(out, 403, "Forbidden: too many contacts");
		if (a.uri.scheme != SIP_URI_SIP && a.uri.scheme != SIP_URI_SIPS)
			return fail(out, 400, "Contact must be a sip or sips URI");
		exp = a.has_expires ? a.expires : hdr_expires;
		/* 10.3 step 7: too brief is refused, too long is shortened. */
		if (exp && exp < cfg->reg_min_expires) {
			out->hdrs->len = mark;
			mbuf_printf(out->hdrs, "Min-Expires: %u\r\n",
				    cfg->reg_min_expires);
			return fail(out, 423, "Interval Too Brief");
		}
		if (exp > cfg->reg_max_expires)
			exp = cfg->reg_max_expires;
		c = &contacts[n++];
		c->raw = a.uri_raw;
		c->uri = a.uri;
		c->expires = exp;
		c->q = a.has_q ? a.q : 1000;
	}
	if (err != ENOENT)
		return fail(out, 400, "Malformed Contact header");
	/* 10.3 step 6: '*' only alone and with Expires: 0. */
	if (star && (n || !eh || hdr_expires != 0))
		return fail(out, 400, "Contact * needs Expires: 0 and no other contact");

	memset(&r, 0, sizeof(r));
	r.aor = aor;
	r.contacts = contacts;
	r.ncontacts = n;
	r.star = star;
	r.call_id = m->call_id;
	r.cseq = m->cseq.num;
	if (collect_path(m, path_buf, sizeof(path_buf), &r.path))
		return fail(out, 400, "Malformed or too long Path");
	r.flow = flow;
	r.now = now;
	r.max_contacts = cfg->reg_max_contacts;
	r.contacts_out = out->hdrs;
	/* Even a query can change the store: it drops expired bindings. */
	out->batch = reg_batch_new(batch_size);
	if (!out->batch)
		return fail(out, 500, "Server Internal Error");
	r.on_op = reg_batch_add;
	r.op_arg = out->batch;
	switch (loc_apply(loc, &r)) {
	case LOC_OK:
		break;
	case LOC_OUT_OF_ORDER:
		out->hdrs->len = mark;
		fail(out, 500, "Out of order: CSeq not above the registered one");
		goto drop_batch;
	case LOC_TOO_MANY:
		out->hdrs->len = mark;
		fail(out, 403, "Forbidden: too many contacts");
		goto drop_batch;
	case LOC_FULL:
		out->hdrs->len = mark;
		mbuf_puts(out->hdrs, "Retry-After: 60\r\n");
		fail(out, 503, "Registrar full");
		goto drop_batch;
	default:
		out->hdrs->len = mark;
		fail(out, 500, "Server Internal Error");
		goto drop_batch;
	}
	/* RFC 3327 5.3: echo Path to a UA that supports it. */
	if (pl_isset(&r.path) && supports_path(m)) {
		mbuf_puts(out->hdrs, "Path: ");
		mbuf_put_pl(out->hdrs, &r.path);
		mbuf_puts(out->hdrs, "\r\n");
	}
	put_date(out->hdrs, now);
	fail(out, 200, "OK");
	if (out->batch && !out->batch->nops) {
		/* Nothing changed (a query, or removing what was not there). */
		reg_batch_clear(out->batch);
		free(out->batch);
		out->batch = NULL;
	}
	return;
drop_batch:
	if (out->batch) {
		reg_batch_clear(out->batch);
		free(out->batch);
		out->batch = NULL;
	}
}
