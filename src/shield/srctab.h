/*
 * srctab.h - a bounded table keyed by a source (an IP address, with or
 * without a port) or by a 128-bit name hash.
 *
 * The shield keeps everything it knows about sources, bans and users in
 * these tables.  Each has a fixed capacity chosen at start: its memory is
 * allocated once (calloc, so pages are only touched when used) and never
 * grows.  When a shard is full, inserting evicts its least recently used
 * entry, so a flood from millions of spoofed addresses can only churn the
 * table, never enlarge it.  Keys are hashed with the process's secret
 * SipHash key, so an attacker cannot aim many keys at one chain.
 *
 * Shards have their own mutex: lock, find or insert, read or change the
 * value, unlock.  A value pointer is valid only while its shard is locked.
 */
#ifndef VS_SHIELD_SRCTAB_H
#define VS_SHIELD_SRCTAB_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "transport/addr.h"

struct srctab_key {
	uint8_t ip[16]; /* IPv6, or IPv4-mapped IPv6 */
	uint16_t port;	/* 0 when keyed by address only */
	uint32_t hash;	/* of ip and port: set by the functions below */
};

/* Set the port (and the hash) of a key. */
void srctab_key_set_port(struct srctab_key *k, uint16_t port);

/* The key of an address (port kept only when with_port). */
void srctab_key_of(const struct vs_sockaddr *sa, bool with_port,
		   struct srctab_key *k);
/* A key for a name (a user): a keyed 128-bit hash of it. */
void srctab_key_of_name(const char *name, size_t len, struct srctab_key *k);
/* The address as text ("192.0.2.1" or "2001:db8::1"). */
void srctab_key_str(const struct srctab_key *k, char *buf, size_t size);
/* Parse an address (IPv4 or IPv6, no port). 0 or EINVAL. */
int srctab_key_parse(const char *text, struct srctab_key *k);

struct srctab_shard;

struct srctab {
	struct srctab_shard *shards;
	unsigned nshards; /* a power of two */
	size_t value_size;
	uint32_t capacity; /* in total */
};

/* Called (with the shard locked) for an entry evicted to make room. */
typedef void (*srctab_evict_h)(const struct srctab_key *k, void *value,
			       void *arg);

/* Room for capacity entries of value_size bytes.  0 or ENOMEM. */
int srctab_init(struct srctab *t, uint32_t capacity, size_t value_size);
void srctab_free(struct srctab *t);
/* Be told of evictions (set before the table is shared). */
void srctab_on_evict(struct srctab *t, srctab_evict_h fn, void *arg);

/* Lock the shard that holds k. */
struct srctab_shard *srctab_lock(struct srctab *t, const struct srctab_key *k);
void srctab_unlock(struct srctab_shard *s);
/*
 * In a locked shard: the value for k, or NULL.  With create, a missing
 * entry is added with a zeroed value (evicting the least recently used
 * one when the shard is full; *evicted is then set and, when old is not
 * NULL, the evicted key copied there) and *created is set.
 * A found entry becomes the most recently used.
 */
void *srctab_get(struct srctab_shard *s, const struct srctab_key *k,
		 bool create, bool *created, bool *evicted,
		 struct srctab_key *old);
/* Remove k from its locked shard; true if it was there. */
bool srctab_del(struct srctab_shard *s, const struct srctab_key *k);
/* Entries in use, over all shards (takes each lock in turn). */
uint32_t srctab_count(struct srctab *t);
/*
 * Call fn for every entry (each shard locked in turn, fn must not take
 * any table lock); fn returns true to delete the entry.
 */
void srctab_foreach(struct srctab *t,
		    bool (*fn)(const struct srctab_key *k, void *value,
			       void *arg),
		    void *arg);

#endif
