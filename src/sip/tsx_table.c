/*
 * tsx_table.c - the transaction table.
 */
#include "sip/tsx_table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"

int tsx_table_init(struct tsx_table *t, uint32_t cap)
{
	uint32_t per = 16;

	memset(t, 0, sizeof(*t));
	t->cap = cap;
	while ((uint64_t)per * TSX_TABLE_SHARDS * 2 < cap)
		per <<= 1;
	for (int i = 0; i < TSX_TABLE_SHARDS; i++) {
		t->shard[i].buckets = calloc(per, sizeof(struct tsx_link *));
		if (!t->shard[i].buckets) {
			tsx_table_destroy(t);
			return ENOMEM;
		}
		t->shard[i].nbuckets = per;
		pthread_mutex_init(&t->shard[i].lock, NULL);
	}
	return 0;
}

void tsx_table_destroy(struct tsx_table *t)
{
	for (int i = 0; i < TSX_TABLE_SHARDS; i++) {
		struct tsx_shard *sh = &t->shard[i];
		if (!sh->buckets)
			continue;
		for (uint32_t b = 0; b < sh->nbuckets; b++) {
			while (sh->buckets[b]) {
				struct tsx_link *l = sh->buckets[b];
				sh->buckets[b] = l->next;
				l->in_table = false;
				tsx_link_put(l);
			}
		}
		pthread_mutex_destroy(&sh->lock);
		free(sh->buckets);
		sh->buckets = NULL;
	}
}

int tsx_link_init(struct tsx_link *l, const char *key, size_t len,
		  tsx_destroy_h destroy)
{
	memset(l, 0, sizeof(*l));
	if (len == 0 || len > UINT16_MAX)
		return EINVAL;
	l->key = malloc(len);
	if (!l->key)
		return ENOMEM;
	memcpy(l->key, key, len);
	l->key_len = (uint16_t)len;
	l->hash = vs_hash(key, len);
	l->destroy = destroy;
	atomic_init(&l->refs, 1);
	return 0;
}

void tsx_link_get(struct tsx_link *l)
{
	atomic_fetch_add_explicit(&l->refs, 1, memory_order_relaxed);
}

void tsx_link_put(struct tsx_link *l)
{
	if (atomic_fetch_sub_explicit(&l->refs, 1, memory_order_acq_rel) == 1) {
		free(l->key);
		l->key = NULL;
		if (l->destroy)
			l->destroy(l);
	}
}

static struct tsx_shard *shard_of(struct tsx_table *t, uint64_t hash)
{
	return &t->shard[hash % TSX_TABLE_SHARDS];
}

static struct tsx_link **bucket_of(struct tsx_shard *sh, uint64_t hash)
{
	return &sh->buckets[(hash / TSX_TABLE_SHARDS) & (sh->nbuckets - 1)];
}

static struct tsx_link *lookup(struct tsx_link *l, uint64_t hash,
			       const char *key, size_t len)
{
	for (; l; l = l->next) {
		if (l->hash == hash && l->key_len == len &&
		    memcmp(l->key, key, len) == 0)
			return l;
	}
	return NULL;
}

int tsx_table_insert(struct tsx_table *t, struct tsx_link *l,
		     struct tsx_link **found)
{
	struct tsx_shard *sh = shard_of(t, l->hash);
	struct tsx_link **b, *old;
	int rc = 0;

	*found = NULL;
	pthread_mutex_lock(&sh->lock);
	b = bucket_of(sh, l->hash);
	old = lookup(*b, l->hash, l->key, l->key_len);
	if (old) {
		tsx_link_get(old);
		*found = old;
		rc = EEXIST;
	} else if (atomic_fetch_add(&t->count, 1) >= t->cap) {
		atomic_fetch_sub(&t->count, 1);
		rc = ENOSPC;
	} else {
		tsx_link_get(l);
		l->in_table = true;
		l->next = *b;
		*b = l;
	}
	pthread_mutex_unlock(&sh->lock);
	return rc;
}

struct tsx_link *tsx_table_find(struct tsx_table *t, const char *key,
				size_t len)
{
	uint64_t hash = vs_hash(key, len);
	struct tsx_shard *sh = shard_of(t, hash);
	struct tsx_link *l;

	pthread_mutex_lock(&sh->lock);
	l = lookup(*bucket_of(sh, hash), hash, key, len);
	if (l)
		tsx_link_get(l);
	pthread_mutex_unlock(&sh->lock);
	return l;
}

void tsx_table_remove(struct tsx_table *t, struct tsx_link *l)
{
	struct tsx_shard *sh = shard_of(t, l->hash);
	bool removed = false;

	pthread_mutex_lock(&sh->lock);
	if (l->in_table) {
		struct tsx_link **p = bucket_of(sh, l->hash);
		while (*p && *p != l)
			p = &(*p)->next;
		if (*p) {
			*p = l->next;
			removed = true;
		}
		l->in_table = false;
	}
	pthread_mutex_unlock(&sh->lock);
	if (removed) {
		atomic_fetch_sub(&t->count, 1);
		tsx_link_put(l);
	}
}

void tsx_table_drain(struct tsx_table *t, void (*fn)(struct tsx_link *l))
{
	for (int i = 0; i < TSX_TABLE_SHARDS; i++) {
		struct tsx_shard *sh = &t->shard[i];
		for (;;) {
			struct tsx_link *l = NULL;
			pthread_mutex_lock(&sh->lock);
			for (uint32_t b = 0; b < sh->nbuckets && !l; b++)
				l = sh->buckets[b];
			if (l)
				tsx_link_get(l);
			pthread_mutex_unlock(&sh->lock);
			if (!l)
				break;
			fn(l);
			tsx_table_remove(t, l);
			tsx_link_put(l);
		}
	}
}
