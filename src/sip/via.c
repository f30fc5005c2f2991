/*
 * via.c - the Via header (RFC 3261 20.42 and 25.1, RFC 3581 rport).
 *
 * via-parm = sent-protocol LWS sent-by *( SEMI via-params )
 * The shield only accepts SIP/2.0 as the protocol: anything else is not a
 * message we could process anyway.
 */
#include "sip/msg.h"

#include <errno.h>

static bool dup_param(bool *seen)
{
	if (*seen)
		return true;
	*seen = true;
	return false;
}

/*
 * via-received = "received" EQUAL (IPv4address / IPv6address) (RFC 3261
 * 25.1).  The colons of a bare IPv6address are no token characters, so
 * scan_generic_param() cannot take that form: scan it here.  Anything
 * else is left to the generic scanner.
 */
static bool scan_received_ipv6(struct scan *s, struct pl *name,
			       struct pl *value)
{
	struct scan save = *s;
	const char *v;

	if (!scan_sep(s, ';') || !scan_token(s, name) ||
	    !pl_caseeq_str(name, "received") || !scan_sep(s, '='))
		goto fail;
	v = s->p;
	while (s->p < s->end &&
	       (sc_is(*s->p, SC_HEX) || *s->p == ':' || *s->p == '.'))
		s->p++;
	*value = pl_from_range(v, s->p);
	if (!memchr(v, ':', value->l))
		goto fail;
	return true;
fail:
	*s = save;
	return false;
}

/* The received address; RFC 5118 4.5 asks to accept brackets too. */
static bool received_valid(const struct pl *v)
{
	enum sip_host_type t;

	if (v->p[0] == '[')
		return sip_host_valid(v, &t) && t == SIP_HOST_IPV6;
	if (memchr(v->p, ':', v->l))
		return sip_ipv6_valid(v);
	return sip_host_valid(v, &t) && t == SIP_HOST_IPV4;
}

static int via_params(struct scan *s, struct sip_via *via)
{
	struct pl name, value;
	bool seen_branch = false, seen_recv = false, seen_rport = false;
	bool seen_maddr = false, seen_ttl = false;
	const char *start = s->p;

	for (;;) {
		const char *param_start;
		struct scan probe = *s;

		scan_sws(&probe);
		if (!scan_peek(&probe, ';'))
			break;
		if (!scan_received_ipv6(s, &name, &value) &&
		    !scan_generic_param(s, &name, &value))
			return EBADMSG;
		param_start = name.p;
		if (pl_caseeq_str(&name, "branch")) {
			/* via-branch = "branch" EQUAL token */
			if (dup_param(&seen_branch) || !value.p ||
			    value.p[0] == '"' || value.p[0] == '[')
				return EBADMSG;
			via->branch = value;
		} else if (pl_caseeq_str(&name, "received")) {
			if (dup_param(&seen_recv) || !value.p ||
			    !received_valid(&value))
				return EBADMSG;
			via->received = value;
			via->received_param = pl_from_range(param_start, s->p);
		} else if (pl_caseeq_str(&name, "rport")) {
			uint32_t port = 0;
			if (dup_param(&seen_rport))
				return EBADMSG;
			if (value.p && pl_u32(&value, 65535, &port))
				return EBADMSG;
			via->rport = true;
			via->rport_value = (uint16_t)port;
			via->rport_param = pl_from_range(param_start, s->p);
		} else if (pl_caseeq_str(&name, "maddr")) {
			if (dup_param(&seen_maddr) || !value.p ||
			    !sip_host_valid(&value, NULL))
				return EBADMSG;
			via->maddr = value;
		} else if (pl_caseeq_str(&name, "ttl")) {
			uint32_t ttl;
			if (dup_param(&seen_ttl) || !value.p ||
			    pl_u32(&value, 255, &ttl))
				return EBADMSG;
			via->ttl = ttl;
			via->has_ttl = true;
		}
	}
	if (s->p != start)
		via->params = pl_from_range(start, s->p);
	return 0;
}

int sip_via_parse(struct scan *s, struct sip_via *via)
{
	struct scan save = *s;
	const char *start = s->p;

	memset(via, 0, sizeof(*via));
	/* sent-protocol = protocol-name SLASH protocol-version SLASH transport;
	 * the common spelling without white space is checked in one go. */
	if (s->end - s->p >= 8 && memcmp(s->p, "SIP/2.0/", 8) == 0) {
		s->p += 8;
		if (!scan_token(s, &via->transport))
			goto fail;
	} else if (!scan_literal(s, "SIP") || !scan_sep(s, '/') ||
		   !scan_literal(s, "2.0") || !scan_sep(s, '/') ||
		   !scan_token(s, &via->transport)) {
		goto fail;
	}
	if (!scan_lws(s))
		goto fail;
	/* sent-by = host [ COLON port ] */
	if (!scan_host(s, &via->host, &via->host_type))
		goto fail;
	if (scan_sep(s, ':')) {
		uint32_t port;
		if (!scan_uint(s, 65535, &port) || port == 0)
			goto fail;
		via->port = (uint16_t)port;
		via->has_port = true;
	}
	if (via_params(s, via))
		goto fail;
	via->value = pl_from_range(start, s->p);
	return 0;
fail:
	*s = save;
	return EBADMSG;
}

int sip_via_next(struct sip_hdr_iter *it, struct sip_via *via)
{
	int err = sip_hdr_iter_step(it, false);

	if (err)
		return err;
	if (sip_via_parse(&it->s, via))
		return EBADMSG;
	/* The element must end at a comma or at the end of the field. */
	{
		struct scan probe = it->s;
		scan_sws(&probe);
		if (!scan_eof(&probe) && !scan_peek(&probe, ','))
			return EBADMSG;
	}
	return 0;
}
