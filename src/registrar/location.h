/*
 * location.h - the location service (RFC 3261 10.3): bindings from an
 * address of record to contact addresses, in memory, sharded, with a hard
 * cap on the number of bindings.
 *
 * Each binding remembers the flow its REGISTER came on (RFC 3581 source
 * address, transport and TCP connection), so requests reach a phone
 * behind NAT the way its registration came in, and the Path (RFC 3327).
 * Expired bindings are never returned; loc_sweep() frees them.
 */
#ifndef VS_REGISTRAR_LOCATION_H
#define VS_REGISTRAR_LOCATION_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/mbuf.h"
#include "core/pl.h"
#include "sip/uri.h"
#include "transport/flow.h"

#define LOC_SHARDS 64
#define LOC_AOR_MAX 256 /* bytes of "user@domain" */

struct loc_binding {
	struct loc_binding *next;
	uint64_t expires; /* seconds since the epoch */
	uint32_t cseq;
	uint16_t q;	  /* q value times 1000; 1000 when absent */
	uint16_t contact_len, path_len, callid_len;
	struct vs_flow flow;
	char data[]; /* contact, path, call-id, each NUL-terminated */
};

static inline const char *loc_contact(const struct loc_binding *b)
{
	return b->data;
}
static inline const char *loc_path(const struct loc_binding *b)
{
	return b->data + b->contact_len + 1;
}
static inline const char *loc_callid(const struct loc_binding *b)
{
	return b->data + b->contact_len + 1 + b->path_len + 1;
}

struct loc_aor;

struct loc_shard {
	pthread_mutex_t lock;
	struct loc_aor **buckets;
	uint32_t nbuckets; /* power of two */
};

struct loc_table {
	struct loc_shard shard[LOC_SHARDS];
	_Atomic uint32_t nbindings;
	uint32_t cap;
	uint32_t sweep_next; /* next shard loc_sweep looks at */
};

int loc_table_init(struct loc_table *t, uint32_t cap);
void loc_table_destroy(struct loc_table *t);
static inline uint32_t loc_count(struct loc_table *t)
{
	return atomic_load(&t->nbindings);
}

/* One Contact of a REGISTER, already checked by the registrar. */
struct loc_contact {
	struct pl raw;	    /* the URI as written (addr-spec) */
	struct sip_uri uri; /* parsed, for RFC 3261 19.1.4 comparison */
	uint32_t expires;   /* seconds; 0 removes */
	uint16_t q;
};

/* What a REGISTER changes, for the store (see reg_store.h). */
enum loc_op_kind { LOC_OP_PUT, LOC_OP_DEL };
typedef void (*loc_op_h)(void *arg, enum loc_op_kind kind, const char *aor,
			 const struct loc_binding *b);

struct loc_register {
	const char *aor; /* key: user@domain */
	const struct loc_contact *contacts;
	unsigned ncontacts;
	bool star;	  /* Contact: * with Expires: 0 */
	struct pl call_id;
	uint32_t cseq;
	struct pl path;	  /* Path header values joined, or unset */
	const struct vs_flow *flow;
	uint64_t now;	  /* seconds since the epoch */
	uint32_t max_contacts;
	loc_op_h on_op;	  /* called for every change, under the lock */
	void *op_arg;
	struct mbuf *contacts_out; /* gets the 200 OK's Contact lines */
};

enum loc_result {
	LOC_OK,
	LOC_OUT_OF_ORDER, /* same Call-ID, CSeq not higher: 500 (10.3 step 6) */
	LOC_TOO_MANY,	  /* more than max_contacts for this AOR: 403 */
	LOC_FULL,	  /* the table's cap: 503 */
	LOC_NOMEM,
};

/* Apply a REGISTER (RFC 3261 10.3 steps 6 to 8) all or nothing. */
enum loc_result loc_apply(struct loc_table *t, const struct loc_register *r);

/* Insert a binding loaded from the store (at start), or put back one that
 * a REGISTER which could not be saved removed: nothing is done when aor
 * already has a binding with this contact (LOC_OK). */
enum loc_result loc_restore(struct loc_table *t, const char *aor,
			    const char *contact, const char *path,
			    const char *call_id, uint32_t cseq,
			    uint64_t expires, uint16_t q,
			    const struct vs_flow *flow);

/* Remove the binding of aor with exactly this contact, Call-ID and CSeq
 * (one a REGISTER that could not be saved made); true when found. */
bool loc_unput(struct loc_table *t, const char *aor, const char *contact,
	       const char *call_id, uint32_t cseq);

/*
 * Copy the live bindings of aor, highest q first, into out (at most max).
 * Returns how many.  Copies are the caller's to free with loc_free().
 */
unsigned loc_lookup(struct loc_table *t, const char *aor, uint64_t now,
		    struct loc_binding **out, unsigned max);
void loc_free(struct loc_binding *b);

/* Free expired bindings in a few shards (call about once a second);
 * on_op gets LOC_OP_DEL for each.  Returns how many were removed. */
unsigned loc_sweep(struct loc_table *t, uint64_t now, unsigned shards,
		   loc_op_h on_op, void *arg);

#endif
