/*
 * dns.h - locating a SIP server by name (RFC 3263 4), for upstream routes
 * configured with a host name.
 *
 * The transport is the route's own (configured), so NAPTR is not used:
 * with no port, SRV records for the transport (_sip._udp, _sip._tcp,
 * _sips._tcp) are looked up and their targets tried by priority and
 * weight (RFC 2782); with no SRV record, or with a port, the name's
 * A and AAAA records at the port (default 5060, 5061 for TLS).
 *
 * Queries go through the system resolver (libresolv's res_nquery, so
 * /etc/resolv.conf applies); the answers are parsed here, with
 * libresolv's ns_parserr, and never trusted for more than they say:
 * records of another name, class or type are skipped, and every count is
 * capped.  Blocking: call it from the resolver thread, never a worker.
 */
#ifndef VS_TRANSPORT_DNS_H
#define VS_TRANSPORT_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "transport/addr.h"

#define DNS_MAX_SRV 16	 /* SRV records used of one answer */
#define DNS_MAX_ADDRS 8	 /* addresses kept for one route */
#define DNS_NAME_MAX 254 /* a host name, NUL included */

struct dns_srv {
	uint16_t priority, weight, port;
	uint32_t ttl;
	char target[DNS_NAME_MAX];
};

/*
 * The SRV records for qname in a DNS response: up to max, in the
 * response's order, with their TTLs.  Returns how many, or -1 when the
 * message does not parse.  A target "." (the service is not offered
 * there, RFC 2782) is returned as an empty target.
 */
int dns_parse_srv(const uint8_t *msg, size_t len, const char *qname,
		  struct dns_srv *out, unsigned max);

/*
 * The A (family AF_INET) or AAAA (AF_INET6) records for qname in a DNS
 * response (following a CNAME chain inside the message), each with port:
 * up to max appended to out[*n].  *ttl is lowered to the smallest TTL
 * seen.  Returns how many were added, or -1 when the message does not
 * parse.
 */
int dns_parse_addrs(const uint8_t *msg, size_t len, const char *qname,
		    int family, uint16_t port, struct vs_sockaddr *out,
		    unsigned *n, unsigned max, uint32_t *ttl);

/* Order SRV records for trying (RFC 2782): priority ascending, and in
 * each priority a weighted random order; rnd gives random numbers. */
void dns_srv_order(struct dns_srv *s, unsigned n, uint32_t (*rnd)(void));

/* What to resolve for a route. */
struct dns_query {
	const char *name;
	uint16_t port; /* 0: none configured (SRV first) */
	unsigned transport; /* one VS_TP_* bit */
	bool v4, v6;	    /* families a listener can send to */
};

/* One address to try, with the SRV priority and weight it came with
 * (both 0 for an A or AAAA record found without SRV). */
struct dns_target {
	struct vs_sockaddr sa;
	uint16_t priority, weight;
	bool srv;
};

/*
 * Resolve a route (blocking, through res_nquery with state res, a
 * struct __res_state *).  out gets up to DNS_MAX_ADDRS addresses in the
 * order to try them, *ttl the time the answer may be kept (seconds).
 * Returns the number of addresses (0: the name has no usable address),
 * or -1 when the resolver failed (no answer, SERVFAIL): then err says
 * why.
 */
int dns_resolve(void *res, const struct dns_query *q, struct dns_target *out,
		uint32_t *ttl, char *err, size_t errlen);

/* True when s is a host name (letters, digits, '-' and '.', labels of
 * 1 to 63, 253 in all), not an IP address. */
bool dns_is_hostname(const char *s);

#endif
