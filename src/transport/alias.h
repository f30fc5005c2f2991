/*
 * alias.h - which open TCP connection reaches an address (connection
 * reuse, in the spirit of RFC 5923).
 *
 * A phone that talks to us over TCP is reached later at the address it
 * gave in its Via or Contact (its listening port), not at the source port
 * of its connection; requests for that address must go over the
 * connection it opened, because behind NAT nothing else gets through.
 * Entries are only learnt for the connection's own IP address, so a
 * client cannot claim someone else's address.  The table is fixed in
 * size: a new entry replaces the oldest in its neighbourhood; an entry
 * whose connection has closed simply fails at send time.
 */
#ifndef VS_TRANSPORT_ALIAS_H
#define VS_TRANSPORT_ALIAS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "transport/flow.h"

#define TCP_ALIAS_SHARDS 16

struct tcp_alias;

struct tcp_alias_shard {
	pthread_mutex_t lock;
	struct tcp_alias *slots;
	uint32_t nslots; /* power of two */
	uint64_t clock;
};

struct tcp_alias_table {
	struct tcp_alias_shard shard[TCP_ALIAS_SHARDS];
};

int tcp_alias_init(struct tcp_alias_table *t, uint32_t capacity);
void tcp_alias_destroy(struct tcp_alias_table *t);
/* addr (IP and port) is reached over flow (TCP). */
void tcp_alias_set(struct tcp_alias_table *t, const struct vs_sockaddr *addr,
		   const struct vs_flow *flow);
bool tcp_alias_get(struct tcp_alias_table *t, const struct vs_sockaddr *addr,
		   struct vs_flow *out);

#endif
