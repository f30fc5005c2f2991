/*
 * alias.c - TCP connection aliases (see alias.h).
 */
#include "transport/alias.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"

#define PROBE 8

struct tcp_alias {
	uint8_t key[19]; /* 16 address bytes, port, family; all 0 = free */
	uint64_t used;	 /* shard clock at the last set */
	struct vs_flow flow;
};

static void make_key(const struct vs_sockaddr *a, uint8_t key[19])
{
	uint16_t port = vs_sa_port(a);

	memset(key, 0, 19);
	vs_sa_ip_bytes(a, key);
	key[16] = (uint8_t)(port >> 8);
	key[17] = (uint8_t)port;
	key[18] = a->u.sa.sa_family == AF_INET6 ? 6 : 4;
}

int tcp_alias_init(struct tcp_alias_table *t, uint32_t capacity)
{
	uint32_t per = PROBE;

	memset(t, 0, sizeof(*t));
	while (per * TCP_ALIAS_SHARDS < capacity && per < (1u << 22))
		per <<= 1;
	for (int i = 0; i < TCP_ALIAS_SHARDS; i++) {
		pthread_mutex_init(&t->shard[i].lock, NULL);
		t->shard[i].nslots = per;
		t->shard[i].slots = calloc(per, sizeof(struct tcp_alias));
		if (!t->shard[i].slots) {
			tcp_alias_destroy(t);
			return ENOMEM;
		}
	}
	return 0;
}

void tcp_alias_destroy(struct tcp_alias_table *t)
{
	for (int i = 0; i < TCP_ALIAS_SHARDS; i++) {
		if (!t->shard[i].slots)
			continue;
		free(t->shard[i].slots);
		t->shard[i].slots = NULL;
		pthread_mutex_destroy(&t->shard[i].lock);
	}
}

void tcp_alias_set(struct tcp_alias_table *t, const struct vs_sockaddr *addr,
		   const struct vs_flow *flow)
{
	uint8_t key[19];
	uint64_t h;
	struct tcp_alias_shard *s;
	struct tcp_alias *victim = NULL;

	make_key(addr, key);
	h = vs_hash(key, sizeof(key));
	s = &t->shard[h % TCP_ALIAS_SHARDS];
	pthread_mutex_lock(&s->lock);
	for (uint32_t i = 0; i < PROBE; i++) {
		struct tcp_alias *a = &s->slots[((h >> 8) + i) & (s->nslots - 1)];
		if (!memcmp(a->key, key, sizeof(key))) {
			victim = a;
			break;
		}
		if (!victim || a->used < victim->used)
			victim = a;
	}
	memcpy(victim->key, key, sizeof(key));
	victim->used = ++s->clock;
	victim->flow = *flow;
	pthread_mutex_unlock(&s->lock);
}

bool tcp_alias_get(struct tcp_alias_table *t, const struct vs_sockaddr *addr,
		   struct vs_flow *out)
{
	uint8_t key[19];
	uint64_t h;
	struct tcp_alias_shard *s;
	bool found = false;

	make_key(addr, key);
	h = vs_hash(key, sizeof(key));
	s = &t->shard[h % TCP_ALIAS_SHARDS];
	pthread_mutex_lock(&s->lock);
	for (uint32_t i = 0; i < PROBE; i++) {
		struct tcp_alias *a = &s->slots[((h >> 8) + i) & (s->nslots - 1)];
		if (a->used && !memcmp(a->key, key, sizeof(key))) {
			*out = a->flow;
			found = true;
			break;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return found;
}
