/*
 * resolver.h - the thread that resolves upstream routes configured with a
 * host name (transport/dns.h) and keeps their addresses fresh in
 * transport/route_dns.h: each again when its TTL runs out (10 s to 1 h),
 * every 10 s after a failed lookup (the addresses it had are kept).
 * Workers never wait for DNS.
 */
#ifndef VS_DAEMON_RESOLVER_H
#define VS_DAEMON_RESOLVER_H

#include <stddef.h>

struct vs_resolver;

/* Start the thread; then wait (at most wait_ms) until every route name
 * has been looked up once, so that the first calls find addresses.
 * -1 with a message in err. */
int vs_resolver_start(struct vs_resolver **out, unsigned wait_ms, char *err,
		      size_t errlen);
/* Look at the routes again now (after route_dns_attach of a reload). */
void vs_resolver_wake(struct vs_resolver *r);
void vs_resolver_stop(struct vs_resolver *r);

#endif
