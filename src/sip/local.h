/*
 * local.h - what "this server" means in a URI: the listeners' addresses
 * (wildcards expanded to the machine's interface addresses) and the
 * configured domains.
 */
#ifndef VS_SIP_LOCAL_H
#define VS_SIP_LOCAL_H

#include "core/config.h"
#include "sip/uri.h"
#include "transport/addr.h"

/* Addresses and names that mean "this server" in a Request-URI. */
#define SIP_LOCAL_MAX_ADDRS 64
struct sip_local {
	struct vs_sockaddr addrs[SIP_LOCAL_MAX_ADDRS];
	size_t naddrs;
	const struct vs_config *cfg; /* for server.domains */
};

/* Build the local set from the listeners (expanding wildcards with the
 * machine's interface addresses) and the configured domains.  A URI with
 * an explicit port names this server only when we listen on that port;
 * one without a port is matched by its host alone. */
void sip_local_init(struct sip_local *loc, const struct vs_config *cfg);
bool sip_local_is_us(const struct sip_local *loc, const struct sip_uri *uri);

#endif
