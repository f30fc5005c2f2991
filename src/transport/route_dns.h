/*
 * route_dns.h - the resolved addresses of upstream routes configured with
 * a host name (dns.h), shared by the resolver thread, which fills them
 * and refreshes them when their TTL runs out, and the workers, which
 * route with them.  One table for the process, under one mutex (looked
 * at once per request sent to a route).
 *
 * Each route with a host name has an entry (vs_route.dns, 1-based),
 * keyed by name, port and transport, so that a reload keeps what was
 * resolved for a route it did not change.  An address a request failed
 * to (no answer in time, a transport error, 503) is tried after the
 * others for ROUTE_DNS_HOLDOFF_MS (RFC 3263 4.3).
 */
#ifndef VS_TRANSPORT_ROUTE_DNS_H
#define VS_TRANSPORT_ROUTE_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "transport/addr.h"
#include "transport/dns.h"

#define ROUTE_DNS_ENTRIES 128 /* two configurations' worth of routes */
#define ROUTE_DNS_HOLDOFF_MS 30000
#define ROUTE_DNS_TTL_MIN 10	  /* s: an answer is kept at least this long */
#define ROUTE_DNS_TTL_MAX 3600 /* s: and at most this long */
#define ROUTE_DNS_RETRY 10	  /* s: after a failed lookup */

struct vs_config;

/* Give each route of cfg with a host name its entry (vs_route.dns and
 * dns_gen): the one with the same name, port and transport, else a free
 * one (resolved as soon as the resolver looks).  -1, with nothing taken,
 * when the table is full. */
int route_dns_attach(struct vs_config *cfg);
/* Free the entries no route of cfg uses (once no older configuration
 * is in use).  A freed entry's generation changes, so a route, lookup or
 * request that still names it finds nothing. */
void route_dns_retain_only(const struct vs_config *cfg);

/*
 * The addresses of entry (dns, gen) in the order to try them, up to max:
 * those that have not failed in the last ROUTE_DNS_HOLDOFF_MS first, the
 * first of them picked among the lowest SRV priority by weight for each
 * request (RFC 2782), then the others.  0 when the name is not resolved
 * (yet) or has no address.
 */
unsigned route_dns_get(unsigned dns, uint32_t gen, struct vs_sockaddr *out, unsigned max,
		       uint64_t now_ms);
/* A request to a, an address of entry (dns, gen), failed. */
void route_dns_failed(unsigned dns, uint32_t gen, const struct vs_sockaddr *a, uint64_t now_ms);
/* a (address and port) is one of the entry's addresses. */
bool route_dns_has(unsigned dns, uint32_t gen, const struct vs_sockaddr *a);
/* a's IP is one of the entry's addresses. */
bool route_dns_has_ip(unsigned dns, uint32_t gen, const struct vs_sockaddr *a);

/* The resolver thread: the next entry due at now_ms (its query in q,
 * with name copied to name, its generation in *gen), or 0 and the time
 * until one is due in *wait_ms (UINT64_MAX: none). */
unsigned route_dns_due(uint64_t now_ms, struct dns_query *q, char *name,
		       size_t namelen, uint32_t *gen, uint64_t *wait_ms);
/* The result of resolving entry (dns, gen): n targets (n < 0: the lookup
 * failed, the addresses it had are kept), for ttl seconds; ignored when
 * the entry was freed or reused meanwhile.  Returns true for its first
 * answer and when the addresses differ from the ones it had (worth a log
 * line). */
bool route_dns_store(unsigned dns, uint32_t gen, const struct dns_target *t, int n,
		     uint32_t ttl, uint64_t now_ms);
/* Every entry in use has been looked up at least once. */
bool route_dns_all_tried(void);

#endif
