/*
 * stateless.h - what the server does with a SIP message before the
 * transaction layer exists: answer OPTIONS addressed to it, refuse what it
 * cannot serve yet, answer malformed requests with 400 when they parsed
 * far enough, and count every drop by reason.
 */
#ifndef VS_PROXY_STATELESS_H
#define VS_PROXY_STATELESS_H

#include "core/config.h"
#include "core/mbuf.h"
#include "core/stats.h"
#include "sip/msg.h"
#include "sip/print.h"
#include "transport/addr.h"

/* Addresses and names that mean "this server" in a Request-URI. */
#define SIP_LOCAL_MAX_ADDRS 64
struct sip_local {
	struct vs_sockaddr addrs[SIP_LOCAL_MAX_ADDRS];
	size_t naddrs;
	const struct vs_config *cfg; /* for server.domains */
};

/* Build the local set from the listeners (expanding wildcards with the
 * machine's interface addresses) and the configured domains. */
void sip_local_init(struct sip_local *loc, const struct vs_config *cfg);
bool sip_local_is_us(const struct sip_local *loc, const struct sip_uri *uri);

struct sip_server {
	const struct vs_config *cfg;
	const struct sip_local *local;
	struct vs_stats *stats;
	struct sip_msg msg; /* scratch message, reused for every input */
};

struct sip_input {
	const char *buf;
	size_t len;
	enum vs_transport transport;
	const struct vs_sockaddr *src;
};

/*
 * Handle one message.  Returns true when a reply was written into out,
 * to be sent back to the source over the same transport.
 */
bool sip_server_input(struct sip_server *srv, const struct sip_input *in,
		      struct mbuf *out);

#endif
