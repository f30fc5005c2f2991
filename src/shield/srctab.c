/*
 * srctab.c - bounded LRU tables keyed by source (see srctab.h).
 */
#include "shield/srctab.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"

#define NIL UINT32_MAX
#define MAX_SHARDS 64u
#define MIN_PER_SHARD 64u

struct node {
	uint32_t hnext;	    /* chain in a bucket, or the free list */
	uint32_t prev, next; /* LRU list: head is the most recently used */
	struct srctab_key key;
	/* the value follows, at an 8-byte boundary */
};

#define NODE_HDR ((sizeof(struct node) + 7) & ~(size_t)7)

struct srctab_shard {
	pthread_mutex_t lock;
	uint32_t cap, used, head, tail, free;
	uint32_t mask; /* buckets - 1 */
	uint32_t *buckets;
	uint8_t *nodes;
	size_t node_size, value_size;
	srctab_evict_h evict;
	void *evict_arg;
} __attribute__((aligned(64)));

static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* The part of a key that is compared and hashed. */
#define KEY_BYTES (offsetof(struct srctab_key, port) + sizeof(uint16_t))

static void key_seal(struct srctab_key *k)
{
	k->hash = (uint32_t)vs_hash(k, KEY_BYTES);
}

void srctab_key_set_port(struct srctab_key *k, uint16_t port)
{
	k->port = port;
	key_seal(k);
}

void srctab_key_of(const struct vs_sockaddr *sa, bool with_port,
		   struct srctab_key *k)
{
	uint8_t ip[16];
	size_t n = vs_sa_ip_bytes(sa, ip);

	memset(k, 0, sizeof(*k));
	if (n == 4) {
		memcpy(k->ip, v4mapped, 12);
		memcpy(k->ip + 12, ip, 4);
	} else if (n == 16) {
		memcpy(k->ip, ip, 16);
	}
	if (with_port)
		k->port = vs_sa_port(sa);
	key_seal(k);
}

void srctab_key_of_name(const char *name, size_t len, struct srctab_key *k)
{
	static const uint8_t salt[16] = "srctab-user-name";
	uint64_t h1 = vs_hash(name, len);
	uint64_t h2 = vs_siphash(name, len, salt) ^ h1;

	memset(k, 0, sizeof(*k));
	memcpy(k->ip, &h1, 8);
	memcpy(k->ip + 8, &h2, 8);
	k->port = 0xffff; /* never an address key with port 0 */
	key_seal(k);
}

void srctab_key_str(const struct srctab_key *k, char *buf, size_t size)
{
	if (memcmp(k->ip, v4mapped, 12) == 0)
		inet_ntop(AF_INET, k->ip + 12, buf, (socklen_t)size);
	else
		inet_ntop(AF_INET6, k->ip, buf, (socklen_t)size);
}

int srctab_key_parse(const char *text, struct srctab_key *k)
{
	memset(k, 0, sizeof(*k));
	if (inet_pton(AF_INET, text, k->ip + 12) == 1) {
		memcpy(k->ip, v4mapped, 12);
		key_seal(k);
		return 0;
	}
	if (inet_pton(AF_INET6, text, k->ip) == 1) {
		key_seal(k);
		return 0;
	}
	return EINVAL;
}

static inline struct node *node_at(struct srctab_shard *s, uint32_t i)
{
	return (struct node *)(s->nodes + (size_t)i * s->node_size);
}

static inline void *value_of(struct node *n)
{
	return (uint8_t *)n + NODE_HDR;
}

static inline uint32_t key_hash(const struct srctab_key *k)
{
	return k->hash;
}

int srctab_init(struct srctab *t, uint32_t capacity, size_t value_size)
{
	unsigned ns = 1;
	uint32_t per;

	memset(t, 0, sizeof(*t));
	while (ns < MAX_SHARDS && capacity / (ns * 2) >= MIN_PER_SHARD)
		ns *= 2;
	per = (capacity + ns - 1) / ns;
	if (per == 0)
		per = 1;
	t->shards = calloc(ns, sizeof(*t->shards));
	if (!t->shards)
		return ENOMEM;
	t->nshards = ns;
	t->value_size = value_size;
	t->capacity = per * ns;
	for (unsigned i = 0; i < ns; i++) {
		struct srctab_shard *s = &t->shards[i];
		uint32_t nb = 1;
		while (nb < per)
			nb *= 2;
		pthread_mutex_init(&s->lock, NULL);
		s->cap = per;
		s->mask = nb - 1;
		s->node_size = NODE_HDR + ((value_size + 7) & ~(size_t)7);
		s->value_size = value_size;
		s->buckets = malloc(nb * sizeof(uint32_t));
		s->nodes = calloc(per, s->node_size);
		if (!s->buckets || !s->nodes) {
			t->nshards = i + 1;
			srctab_free(t);
			return ENOMEM;
		}
		memset(s->buckets, 0xff, nb * sizeof(uint32_t));
		s->head = s->tail = NIL;
		/* Free list: every node, in order. */
		for (uint32_t j = 0; j < per; j++)
			node_at(s, j)->hnext = j + 1 < per ? j + 1 : NIL;
		s->free = 0;
	}
	return 0;
}

void srctab_free(struct srctab *t)
{
	for (unsigned i = 0; t->shards && i < t->nshards; i++) {
		pthread_mutex_destroy(&t->shards[i].lock);
		free(t->shards[i].buckets);
		free(t->shards[i].nodes);
	}
	free(t->shards);
	memset(t, 0, sizeof(*t));
}

void srctab_on_evict(struct srctab *t, srctab_evict_h fn, void *arg)
{
	for (unsigned i = 0; i < t->nshards; i++) {
		t->shards[i].evict = fn;
		t->shards[i].evict_arg = arg;
	}
}

struct srctab_shard *srctab_lock(struct srctab *t, const struct srctab_key *k)
{
	/* The shard comes from bits the bucket index does not use. */
	uint32_t h = key_hash(k);
	struct srctab_shard *s = &t->shards[(h >> 24) & (t->nshards - 1)];

	pthread_mutex_lock(&s->lock);
	return s;
}

void srctab_unlock(struct srctab_shard *s)
{
	pthread_mutex_unlock(&s->lock);
}

static void lru_unlink(struct srctab_shard *s, uint32_t i)
{
	struct node *n = node_at(s, i);

	if (n->prev != NIL)
		node_at(s, n->prev)->next = n->next;
	else
		s->head = n->next;
	if (n->next != NIL)
		node_at(s, n->next)->prev = n->prev;
	else
		s->tail = n->prev;
}

static void lru_push_front(struct srctab_shard *s, uint32_t i)
{
	struct node *n = node_at(s, i);

	n->prev = NIL;
	n->next = s->head;
	if (s->head != NIL)
		node_at(s, s->head)->prev = i;
	s->head = i;
	if (s->tail == NIL)
		s->tail = i;
}

/* Unlink node i from its bucket chain. */
static void chain_unlink(struct srctab_shard *s, uint32_t i)
{
	uint32_t *p = &s->buckets[node_at(s, i)->key.hash & s->mask];

	while (*p != NIL) {
		if (*p == i) {
			*p = node_at(s, i)->hnext;
			return;
		}
		p = &node_at(s, *p)->hnext;
	}
}

static void remove_node(struct srctab_shard *s, uint32_t i)
{
	chain_unlink(s, i);
	lru_unlink(s, i);
	node_at(s, i)->hnext = s->free;
	s->free = i;
	s->used--;
}

static uint32_t find(struct srctab_shard *s, const struct srctab_key *k,
		     uint32_t h)
{
	for (uint32_t i = s->buckets[h & s->mask]; i != NIL;
	     i = node_at(s, i)->hnext) {
		struct node *n = node_at(s, i);
		if (n->key.hash == h && memcmp(&n->key, k, KEY_BYTES) == 0)
			return i;
	}
	return NIL;
}

void *srctab_get(struct srctab_shard *s, const struct srctab_key *k,
		 bool create, bool *created, bool *evicted,
		 struct srctab_key *old)
{
	uint32_t h = key_hash(k), i = find(s, k, h);
	struct node *n;

	if (created)
		*created = false;
	if (evicted)
		*evicted = false;
	if (i != NIL) {
		if (s->head != i) {
			lru_unlink(s, i);
			lru_push_front(s, i);
		}
		return value_of(node_at(s, i));
	}
	if (!create)
		return NULL;
	if (s->free == NIL) {
		struct node *victim = node_at(s, s->tail);
		if (old)
			*old = victim->key;
		if (s->evict)
			s->evict(&victim->key, value_of(victim), s->evict_arg);
		remove_node(s, s->tail);
		if (evicted)
			*evicted = true;
	}
	i = s->free;
	n = node_at(s, i);
	s->free = n->hnext;
	n->key = *k;
	memset(value_of(n), 0, s->value_size);
	n->hnext = s->buckets[h & s->mask];
	s->buckets[h & s->mask] = i;
	lru_push_front(s, i);
	s->used++;
	if (created)
		*created = true;
	return value_of(n);
}

bool srctab_del(struct srctab_shard *s, const struct srctab_key *k)
{
	uint32_t i = find(s, k, key_hash(k));

	if (i == NIL)
		return false;
	remove_node(s, i);
	return true;
}

uint32_t srctab_count(struct srctab *t)
{
	uint32_t n = 0;

	for (unsigned i = 0; i < t->nshards; i++) {
		pthread_mutex_lock(&t->shards[i].lock);
		n += t->shards[i].used;
		pthread_mutex_unlock(&t->shards[i].lock);
	}
	return n;
}

void srctab_foreach(struct srctab *t,
		    bool (*fn)(const struct srctab_key *k, void *value,
			       void *arg),
		    void *arg)
{
	for (unsigned i = 0; i < t->nshards; i++) {
		struct srctab_shard *s = &t->shards[i];
		pthread_mutex_lock(&s->lock);
		for (uint32_t j = s->head; j != NIL;) {
			struct node *n = node_at(s, j);
			uint32_t next = n->next;
			if (fn(&n->key, value_of(n), arg))
				remove_node(s, j);
			j = next;
		}
		pthread_mutex_unlock(&s->lock);
	}
}
