/*
 * tsx_table.h - the transaction table: sharded, capped, reference counted.
 *
 * Entries are embedded in the objects they index (struct tsx_link), keyed
 * by the byte strings of tsx_key.h, hashed with the process's SipHash key
 * so that nobody can aim keys at one bucket.  Each shard has its own lock.
 * The total number of entries has a hard cap: when it is reached, inserts
 * fail and the caller answers 503 with Retry-After (RFC 3261 21.5.4)
 * rather than let the table grow.
 *
 * Lifetime: the table holds one reference to every entry it contains;
 * tsx_table_find() returns the entry with one more reference, released
 * with tsx_link_put().  The destructor runs when the last one goes, so a
 * worker holding an entry found in the table never sees it freed.
 */
#ifndef VS_SIP_TSX_TABLE_H
#define VS_SIP_TSX_TABLE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tsx_link;
typedef void (*tsx_destroy_h)(struct tsx_link *link);

struct tsx_link {
	struct tsx_link *next; /* in the bucket chain */
	uint64_t hash;
	char *key;	       /* owned copy */
	uint16_t key_len;
	bool in_table;
	_Atomic uint32_t refs;
	tsx_destroy_h destroy; /* frees the object embedding the link */
};

#define TSX_TABLE_SHARDS 32

struct tsx_shard {
	pthread_mutex_t lock;
	struct tsx_link **buckets;
	uint32_t nbuckets; /* power of two */
};

struct tsx_table {
	struct tsx_shard shard[TSX_TABLE_SHARDS];
	_Atomic uint32_t count;
	uint32_t cap;
};

/* Sized for cap entries (buckets about cap / 2). Returns 0 or ENOMEM. */
int tsx_table_init(struct tsx_table *t, uint32_t cap);
/* Entries still in the table are released (their destructors run). */
void tsx_table_destroy(struct tsx_table *t);

/* Prepare a link: copy of the key, one reference held by the creator. */
int tsx_link_init(struct tsx_link *l, const char *key, size_t len,
		  tsx_destroy_h destroy);
void tsx_link_get(struct tsx_link *l);
void tsx_link_put(struct tsx_link *l);

/*
 * Insert l (the table takes its own reference).  Returns 0; EEXIST when a
 * transaction with this key exists (then *found is it, referenced);
 * ENOSPC when the table is full.
 */
int tsx_table_insert(struct tsx_table *t, struct tsx_link *l,
		     struct tsx_link **found);
/* The entry with this key, referenced, or NULL. */
struct tsx_link *tsx_table_find(struct tsx_table *t, const char *key,
				size_t len);
/*
 * Empty the table at shutdown, with no other thread using it: fn is
 * called for each entry (referenced), which is then removed.
 */
void tsx_table_drain(struct tsx_table *t, void (*fn)(struct tsx_link *l));

/* Take l out of the table (drops the table's reference); idempotent. */
void tsx_table_remove(struct tsx_table *t, struct tsx_link *l);

static inline uint32_t tsx_table_count(struct tsx_table *t)
{
	return atomic_load(&t->count);
}

#endif
