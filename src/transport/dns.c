/*
 * dns.c - RFC 3263 server location for upstream routes (see dns.h).
 */
#include "transport/dns.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/config.h"
#include "core/hash.h"

#define DNS_ANSWER_MAX 65536 /* the largest DNS message */
#define DNS_MAX_RECORDS 64  /* records of one section looked at */
#define DNS_MAX_CNAMES 8

bool dns_is_hostname(const char *s)
{
	size_t len = strlen(s), label = 0;
	bool alpha = false;

	if (len == 0 || len > 253)
		return false;
	for (const char *p = s; *p; p++) {
		if (*p == '.') {
			if (label == 0 || p[-1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-'))
			return false;
		if (*p == '-' && label == 0)
			return false;
		if ((*p | 32) >= 'a' && (*p | 32) <= 'z')
			alpha = true;
		if (++label > 63)
			return false;
	}
	if (s[len - 1] == '-')
		return false; /* the last label too */
	/* All digits and dots is an IPv4 address (or a typo of one). */
	return alpha;
}

/* Names compare without regard to case or a trailing dot. */
static bool same_name(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la && a[la - 1] == '.')
		la--;
	if (lb && b[lb - 1] == '.')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

static bool parse_init(const uint8_t *msg, size_t len, ns_msg *h)
{
	if (len < NS_HFIXEDSZ || len > 65535)
		return false;
	return ns_initparse(msg, (int)len, h) == 0;
}

int dns_parse_srv(const uint8_t *msg, size_t len, const char *qname,
		  struct dns_srv *out, unsigned max)
{
	ns_msg h;
	int count, n = 0;

	if (!parse_init(msg, len, &h))
		return -1;
	count = ns_msg_count(h, ns_s_an);
	if (count > DNS_MAX_RECORDS)
		count = DNS_MAX_RECORDS;
	for (int i = 0; i < count && (unsigned)n < max; i++) {
		ns_rr rr;
		const uint8_t *rd;
		struct dns_srv *s = &out[n];
		if (ns_parserr(&h, ns_s_an, i, &rr))
			return n ? n : -1;
		if (ns_rr_type(rr) != ns_t_srv || ns_rr_class(rr) != ns_c_in ||
		    !same_name(ns_rr_name(rr), qname) || ns_rr_rdlen(rr) < 7)
			continue;
		rd = ns_rr_rdata(rr);
		s->priority = (uint16_t)(rd[0] << 8 | rd[1]);
		s->weight = (uint16_t)(rd[2] << 8 | rd[3]);
		s->port = (uint16_t)(rd[4] << 8 | rd[5]);
		s->ttl = ns_rr_ttl(rr);
		if (ns_name_uncompress(ns_msg_base(h), ns_msg_end(h), rd + 6,
				       s->target, sizeof(s->target)) < 0)
			continue;
		if (!strcmp(s->target, ".") || !s->target[0])
			s->target[0] = 0;
		else if (!dns_is_hostname(s->target))
			continue; /* escapes, odd bytes: not a host we look up */
		n++;
	}
	return n;
}

int dns_parse_addrs(const uint8_t *msg, size_t len, const char *qname,
		    int family, uint16_t port, struct vs_sockaddr *out,
		    unsigned *n, unsigned max, uint32_t *ttl)
{
	char names[DNS_MAX_CNAMES + 1][DNS_NAME_MAX];
	unsigned nnames = 1;
	ns_type type = family == AF_INET6 ? ns_t_aaaa : ns_t_a;
	int count, added = 0;
	ns_msg h;

	if (!parse_init(msg, len, &h))
		return -1;
	snprintf(names[0], sizeof(names[0]), "%s", qname);
	count = ns_msg_count(h, ns_s_an);
	if (count > DNS_MAX_RECORDS)
		count = DNS_MAX_RECORDS;
	/* The aliases of qname first (a CNAME chain in the answer). */
	for (bool grew = true; grew && nnames <= DNS_MAX_CNAMES;) {
		grew = false;
		for (int i = 0; i < count && nnames <= DNS_MAX_CNAMES; i++) {
			ns_rr rr;
			char target[DNS_NAME_MAX];
			bool known = false, ours = false;
			if (ns_parserr(&h, ns_s_an, i, &rr))
				return -1;
			if (ns_rr_type(rr) != ns_t_cname || ns_rr_class(rr) != ns_c_in)
				continue;
			for (unsigned k = 0; k < nnames; k++)
				ours = ours || same_name(ns_rr_name(rr), names[k]);
			if (!ours || ns_name_uncompress(ns_msg_base(h), ns_msg_end(h),
							ns_rr_rdata(rr), target,
							sizeof(target)) < 0)
				continue;
			for (unsigned k = 0; k < nnames; k++)
				known = known || same_name(target, names[k]);
			if (known)
				continue;
			memcpy(names[nnames++], target, sizeof(target));
			grew = true;
			if (ns_rr_ttl(rr) < *ttl)
				*ttl = ns_rr_ttl(rr);
		}
	}
	for (int i = 0; i < count && *n < max; i++) {
		ns_rr rr;
		bool ours = false;
		struct vs_sockaddr *a = &out[*n];
		if (ns_parserr(&h, ns_s_an, i, &rr))
			return -1;
		if (ns_rr_type(rr) != type || ns_rr_class(rr) != ns_c_in)
			continue;
		for (unsigned k = 0; k < nnames; k++)
			ours = ours || same_name(ns_rr_name(rr), names[k]);
		if (!ours)
			continue;
		memset(a, 0, sizeof(*a));
		if (type == ns_t_a && ns_rr_rdlen(rr) == 4) {
			a->u.in.sin_family = AF_INET;
			a->u.in.sin_port = htons(port);
			memcpy(&a->u.in.sin_addr, ns_rr_rdata(rr), 4);
			a->len = sizeof(a->u.in);
		} else if (type == ns_t_aaaa && ns_rr_rdlen(rr) == 16) {
			a->u.in6.sin6_family = AF_INET6;
			a->u.in6.sin6_port = htons(port);
			memcpy(&a->u.in6.sin6_addr, ns_rr_rdata(rr), 16);
			a->len = sizeof(a->u.in6);
		} else {
			continue;
		}
		/* The same address twice (two SRV targets, one host) once. */
		bool dup = false;
		for (unsigned k = 0; k < *n; k++)
			dup = dup || vs_sa_eq(&out[k], a);
		if (dup)
			continue;
		if (ns_rr_ttl(rr) < *ttl)
			*ttl = ns_rr_ttl(rr);
		(*n)++;
		added++;
	}
	return added;
}

void dns_srv_order(struct dns_srv *s, unsigned n, uint32_t (*rnd)(void))
{
	/* Priority ascending (insertion sort: n is at most DNS_MAX_SRV). */
	for (unsigned i = 1; i < n; i++) {
		struct dns_srv x = s[i];
		unsigned j = i;
		while (j > 0 && s[j - 1].priority > x.priority) {
			s[j] = s[j - 1];
			j--;
		}
		s[j] = x;
	}
	/* In each priority, pick by weight (RFC 2782: weight 0 first, then a
	 * running sum and a random number from 0 to the total weight; the
	 * first record whose sum reaches it goes next). */
	for (unsigned start = 0; start < n;) {
		unsigned end = start;
		while (end < n && s[end].priority == s[start].priority)
			end++;
		for (unsigned i = start + 1; i < end; i++) { /* zero weights first */
			struct dns_srv x = s[i];
			unsigned j = i;
			while (j > start && x.weight == 0 && s[j - 1].weight != 0) {
				s[j] = s[j - 1];
				j--;
			}
			s[j] = x;
		}
		for (unsigned i = start; i + 1 < end; i++) {
			uint32_t total = 0, pick, sum = 0;
			unsigned k;
			for (k = i; k < end; k++)
				total += s[k].weight;
			pick = rnd() % (total + 1);
			for (k = i; k + 1 < end; k++) {
				sum += s[k].weight;
				if (sum >= pick)
					break;
			}
			struct dns_srv x = s[k];
			memmove(&s[i + 1], &s[i], (k - i) * sizeof(*s));
			s[i] = x;
		}
		start = end;
	}
}

static uint32_t rnd_default(void)
{
	uint32_t r = 0;

	(void)vs_random(&r, sizeof(r));
	return r;
}

/* One query; the answer's length, 0 for "no such name or no record of
 * that type", or -1 (err set) when the resolver got no answer. */
static int query(res_state res, const char *name, int type, uint8_t *buf,
		 char *err, size_t errlen)
{
	int n;

	h_errno = 0;
	n = res_nquery(res, name, ns_c_in, type, buf, DNS_ANSWER_MAX);
	/* The resolver returns an answer's full length even when it did
	 * not fit: never parse beyond the buffer. */
	if (n > DNS_ANSWER_MAX)
		n = DNS_ANSWER_MAX;
	if (n >= 0)
		return n;
	if (h_errno == HOST_NOT_FOUND || h_errno == NO_DATA)
		return 0;
	snprintf(err, errlen, "%s: %s", name,
		 h_errno == TRY_AGAIN ? "no answer from the DNS server (timeout or SERVFAIL)"
				      : "the DNS lookup failed");
	return -1;
}

/* A and AAAA of host, appended with the SRV record's priority and weight
 * (srv NULL: none); -1 when the resolver failed. */
static int lookup_host(res_state res, const struct dns_query *q, const char *host,
		       uint16_t port, const struct dns_srv *srv, struct dns_target *out,
		       unsigned *n, uint32_t *ttl, uint8_t *buf, char *err, size_t errlen)
{
	const int families[2] = {AF_INET, AF_INET6};
	struct vs_sockaddr a[DNS_MAX_ADDRS];
	unsigned na = 0;
	int failed = 0;

	for (unsigned i = 0; i < *n; i++)
		a[na++] = out[i].sa; /* so that no address comes twice */

	for (int f = 0; f < 2; f++) {
		int len;
		if ((families[f] == AF_INET && !q->v4) || (families[f] == AF_INET6 && !q->v6))
			continue;
		len = query(res, host, families[f] == AF_INET ? ns_t_a : ns_t_aaaa, buf, err,
			    errlen);
		if (len < 0) {
			failed++;
			continue;
		}
		if (len > 0 && dns_parse_addrs(buf, (size_t)len, host, families[f], port, a,
					       &na, DNS_MAX_ADDRS, ttl) < 0) {
			snprintf(err, errlen, "%s: the DNS answer does not parse", host);
			failed++;
		}
	}
	for (; *n < na; (*n)++) {
		out[*n].sa = a[*n];
		out[*n].priority = srv ? srv->priority : 0;
		out[*n].weight = srv ? srv->weight : 0;
		out[*n].srv = srv != NULL;
	}
	return failed == (q->v4 + q->v6) ? -1 : 0;
}

int dns_resolve(void *resp, const struct dns_query *q, struct dns_target *out,
		uint32_t *ttl, char *err, size_t errlen)
{
	res_state res = resp;
	uint8_t *buf = malloc(DNS_ANSWER_MAX);
	unsigned n = 0;
	int rc = 0;

	*ttl = 3600;
	err[0] = 0;
	if (!buf) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (!q->port) {
		char srvname[DNS_NAME_MAX + 16];
		struct dns_srv srv[DNS_MAX_SRV];
		int len, ns = 0;
		snprintf(srvname, sizeof(srvname), "%s.%s", q->transport == VS_TP_TLS ? "_sips._tcp"
							: q->transport == VS_TP_TCP ? "_sip._tcp"
										    : "_sip._udp",
			 q->name);
		len = query(res, srvname, ns_t_srv, buf, err, errlen);
		if (len < 0) {
			rc = -1;
			goto out;
		}
		if (len > 0 && (ns = dns_parse_srv(buf, (size_t)len, srvname, srv, DNS_MAX_SRV)) < 0) {
			snprintf(err, errlen, "%s: the DNS answer does not parse", srvname);
			rc = -1;
			goto out;
		}
		if (ns > 0) {
			int failed = 0, tried = 0;
			dns_srv_order(srv, (unsigned)ns, rnd_default);
			for (int i = 0; i < ns && n < DNS_MAX_ADDRS; i++) {
				if (srv[i].ttl < *ttl)
					*ttl = srv[i].ttl;
				if (!srv[i].target[0])
					continue; /* "." : not offered here */
				tried++;
				if (lookup_host(res, q, srv[i].target, srv[i].port, &srv[i], out, &n,
						ttl, buf, err, errlen))
					failed++;
			}
			/* Some targets answered: use them, even if others did not. */
			rc = tried && failed == tried && n == 0 ? -1 : (int)n;
			goto out;
		}
	}
	if (lookup_host(res, q, q->name, q->port ? q->port : q->transport == VS_TP_TLS ? 5061 : 5060,
			NULL, out, &n, ttl, buf, err, errlen)) {
		rc = -1;
		goto out;
	}
	rc = (int)n;
out:
	free(buf);
	return rc;
}
