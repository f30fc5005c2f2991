/*
 * location.c - the location service (see location.h).
 */
#include "registrar/location.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"

struct loc_aor {
	struct loc_aor *next;
	uint64_t hash;
	struct loc_binding *bindings;
	uint16_t nbindings;
	uint16_t aor_len;
	char aor[];
};

/* Most a single REGISTER can touch: the configured cap is at most 100. */
#define LOC_MAX_WORK 256

int loc_table_init(struct loc_table *t, uint32_t cap)
{
	uint32_t per = 16;

	memset(t, 0, sizeof(*t));
	t->cap = cap;
	/* About one AOR per bucket at the cap (usually several bindings
	 * share an AOR, so chains stay short). */
	while (per * LOC_SHARDS < cap && per < (1u << 24))
		per <<= 1;
	for (int i = 0; i < LOC_SHARDS; i++) {
		struct loc_shard *s = &t->shard[i];
		pthread_mutex_init(&s->lock, NULL);
		s->nbuckets = per;
		s->buckets = calloc(per, sizeof(*s->buckets));
		if (!s->buckets) {
			loc_table_destroy(t);
			return ENOMEM;
		}
	}
	return 0;
}

static void free_aor(struct loc_aor *a)
{
	while (a->bindings) {
		struct loc_binding *b = a->bindings;
		a->bindings = b->next;
		free(b);
	}
	free(a);
}

void loc_table_destroy(struct loc_table *t)
{
	for (int i = 0; i < LOC_SHARDS; i++) {
		struct loc_shard *s = &t->shard[i];
		if (!s->buckets)
			continue;
		for (uint32_t j = 0; j < s->nbuckets; j++) {
			while (s->buckets[j]) {
				struct loc_aor *a = s->buckets[j];
				s->buckets[j] = a->next;
				free_aor(a);
			}
		}
		free(s->buckets);
		s->buckets = NULL;
		pthread_mutex_destroy(&s->lock);
	}
}

void loc_free(struct loc_binding *b)
{
	free(b);
}

static struct loc_shard *shard_of(struct loc_table *t, const char *aor,
				  size_t len, uint64_t *hash)
{
	*hash = vs_hash(aor, len);
	return &t->shard[*hash % LOC_SHARDS];
}

static struct loc_aor **find_aor(struct loc_shard *s, uint64_t hash,
				 const char *aor, size_t len)
{
	struct loc_aor **pp = &s->buckets[(hash >> 8) & (s->nbuckets - 1)];

	for (; *pp; pp = &(*pp)->next) {
		if ((*pp)->hash == hash && (*pp)->aor_len == len &&
		    memcmp((*pp)->aor, aor, len) == 0)
			return pp;
	}
	return pp;
}

static struct loc_binding *binding_new(const struct pl *contact,
				       const struct pl *path,
				       const struct pl *callid)
{
	size_t cl = contact->l, pl = path->p ? path->l : 0, il = callid->l;
	struct loc_binding *b;

	if (cl > UINT16_MAX || pl > UINT16_MAX || il > UINT16_MAX)
		return NULL;
	b = malloc(sizeof(*b) + cl + pl + il + 3);
	if (!b)
		return NULL;
	memset(b, 0, sizeof(*b));
	b->contact_len = (uint16_t)cl;
	b->path_len = (uint16_t)pl;
	b->callid_len = (uint16_t)il;
	memcpy(b->data, contact->p, cl);
	b->data[cl] = 0;
	if (pl)
		memcpy(b->data + cl + 1, path->p, pl);
	b->data[cl + 1 + pl] = 0;
	memcpy(b->data + cl + pl + 2, callid->p, il);
	b->data[cl + pl + 2 + il] = 0;
	return b;
}

static bool same_contact(const struct loc_binding *b, const struct sip_uri *u)
{
	struct sip_uri bu;
	struct pl raw = pl_make(loc_contact(b), b->contact_len);

	if (sip_uri_parse(&bu, &raw))
		return pl_eq(&raw, &u->host); /* cannot happen: we parsed it */
	return sip_uri_cmp(&bu, u);
}

struct work {
	struct loc_binding *old;	/* existing binding, or NULL */
	const struct loc_contact *c;	/* what the REGISTER says, or NULL */
	struct loc_binding *fresh;	/* the replacement */
};

static void print_contacts(struct mbuf *mb, const struct loc_aor *a,
			   uint64_t now)
{
	for (const struct loc_binding *b = a->bindings; b; b = b->next) {
		mbuf_puts(mb, "Contact: <");
		mbuf_put(mb, loc_contact(b), b->contact_len);
		mbuf_puts(mb, ">;expires=");
		mbuf_put_u32(mb, (uint32_t)(b->expires > now ? b->expires - now : 0));
		if (b->q != 1000) {
			mbuf_printf(mb, ";q=%u.%03u", b->q / 1000, b->q % 1000);
		}
		mbuf_puts(mb, "\r\n");
	}
}

enum loc_result loc_apply(struct loc_table *t, const struct loc_register *r)
{
	size_t alen = strlen(r->aor);
	struct work w[LOC_MAX_WORK];
	unsigned nw = 0, live = 0, old_count = 0;
	struct loc_aor **pp, *a;
	struct loc_shard *s;
	enum loc_result res = LOC_OK;
	uint64_t hash;
	int64_t delta = 0;

	if (alen == 0 || alen > LOC_AOR_MAX || r->ncontacts > LOC_MAX_WORK / 2)
		return LOC_NOMEM;
	s = shard_of(t, r->aor, alen, &hash);
	pthread_mutex_lock(&s->lock);
	pp = find_aor(s, hash, r->aor, alen);
	a = *pp;
	if (a) {
		for (struct loc_binding *b = a->bindings; b && nw < LOC_MAX_WORK / 2;
		     b = b->next) {
			w[nw++] = (struct work){b, NULL, NULL};
			old_count++;
		}
	}
	/* RFC 3261 10.3 step 6: Call-ID and CSeq ordering, then the new set. */
	for (unsigned i = 0; i < nw && r->star; i++) {
		struct loc_binding *b = w[i].old;
		if (b->callid_len == r->call_id.l &&
		    memcmp(loc_callid(b), r->call_id.p, r->call_id.l) == 0 &&
		    r->cseq <= b->cseq) {
			res = LOC_OUT_OF_ORDER;
			goto out;
		}
	}
	for (unsigned i = 0; i < r->ncontacts && !r->star; i++) {
		const struct loc_contact *c = &r->contacts[i];
		unsigned j;
		for (j = 0; j < nw; j++) {
			if (w[j].old ? same_contact(w[j].old, &c->uri)
				     : sip_uri_cmp(&w[j].c->uri, &c->uri))
				break;
		}
		if (j < nw) {
			struct loc_binding *b = w[j].old;
			if (b && b->callid_len == r->call_id.l &&
			    memcmp(loc_callid(b), r->call_id.p, r->call_id.l) == 0 &&
			    r->cseq <= b->cseq) {
				res = LOC_OUT_OF_ORDER;
				goto out;
			}
			w[j].c = c;
		} else if (c->expires) {
			w[nw++] = (struct work){NULL, c, NULL};
		}
	}
	for (unsigned i = 0; i < nw; i++) {
		bool gone = r->star || (w[i].c && w[i].c->expires == 0) ||
			    (!w[i].c && w[i].old->expires <= r->now);
		if (!gone)
			live++;
		if (!w[i].old && !gone)
			delta++;
		if (w[i].old && gone)
			delta--;
	}
	if (live > r->max_contacts && live > old_count) {
		res = LOC_TOO_MANY;
		goto out;
	}
	if (delta > 0 && loc_count(t) + (uint64_t)delta > t->cap) {
		res = LOC_FULL;
		goto out;
	}
	/* Allocate everything first, so that nothing changes on failure. */
	for (unsigned i = 0; i < nw; i++) {
		const struct loc_contact *c = w[i].c;
		if (r->star || !c || c->expires == 0)
			continue;
		w[i].fresh = binding_new(&c->raw, &r->path, &r->call_id);
		if (!w[i].fresh) {
			for (unsigned k = 0; k < i; k++)
				free(w[k].fresh);
			res = LOC_NOMEM;
			goto out;
		}
		w[i].fresh->expires = r->now + c->expires;
		w[i].fresh->cseq = r->cseq;
		w[i].fresh->q = c->q;
		w[i].fresh->flow = *r->flow;
	}
	if (!a && live) {
		a = calloc(1, sizeof(*a) + alen + 1);
		if (!a) {
			for (unsigned k = 0; k < nw; k++)
				free(w[k].fresh);
			res = LOC_NOMEM;
			goto out;
		}
		a->hash = hash;
		a->aor_len = (uint16_t)alen;
		memcpy(a->aor, r->aor, alen + 1);
		*pp = a;
	}
	/* Commit: rebuild the list in order. */
	if (a) {
		struct loc_binding *head = NULL, **tail = &head;
		for (unsigned i = 0; i < nw; i++) {
			struct loc_binding *keep = w[i].fresh;
			bool gone = r->star || (w[i].c && !w[i].fresh) ||
				    (!w[i].c && w[i].old->expires <= r->now);
			if (!w[i].c && !gone)
				keep = w[i].old;
			if (w[i].old && w[i].old != keep) {
				if (r->on_op)
					r->on_op(r->op_arg, LOC_OP_DEL, a->aor,
						 w[i].old);
				free(w[i].old);
			}
			if (keep) {
				if (keep == w[i].fresh && r->on_op)
					r->on_op(r->op_arg, LOC_OP_PUT, a->aor,
						 keep);
				*tail = keep;
				tail = &keep->next;
			}
		}
		*tail = NULL;
		a->bindings = head;
		a->nbindings = (uint16_t)live;
		if (delta > 0)
			atomic_fetch_add(&t->nbindings, (uint32_t)delta);
		else if (delta < 0)
			atomic_fetch_sub(&t->nbindings, (uint32_t)-delta);
		if (r->contacts_out)
			print_contacts(r->contacts_out, a, r->now);
		if (!a->bindings) {
			pp = find_aor(s, hash, r->aor, alen);
			*pp = a->next;
			free(a);
		}
	}
out:
	pthread_mutex_unlock(&s->lock);
	return res;
}

enum loc_result loc_restore(struct loc_table *t, const char *aor,
			    const char *contact, const char *path,
			    const char *call_id, uint32_t cseq,
			    uint64_t expires, uint16_t q,
			    const struct vs_flow *flow)
{
	size_t alen = strlen(aor);
	struct pl c = pl_from_cstr(contact), p = pl_from_cstr(path),
		  i = pl_from_cstr(call_id);
	struct loc_binding *b;
	struct loc_aor **pp, *a;
	struct loc_shard *s;
	uint64_t hash;

	if (alen == 0 || alen > LOC_AOR_MAX)
		return LOC_NOMEM;
	if (loc_count(t) >= t->cap)
		return LOC_FULL;
	b = binding_new(&c, &p, &i);
	if (!b)
		return LOC_NOMEM;
	b->expires = expires;
	b->cseq = cseq;
	b->q = q;
	b->flow = *flow;
	s = shard_of(t, aor, alen, &hash);
	pthread_mutex_lock(&s->lock);
	pp = find_aor(s, hash, aor, alen);
	a = *pp;
	for (struct loc_binding *o = a ? a->bindings : NULL; o; o = o->next) {
		if (!strcmp(loc_contact(o), contact)) {
			pthread_mutex_unlock(&s->lock);
			free(b);
			return LOC_OK; /* bound again since */
		}
	}
	if (!a) {
		a = calloc(1, sizeof(*a) + alen + 1);
		if (!a) {
			pthread_mutex_unlock(&s->lock);
			free(b);
			return LOC_NOMEM;
		}
		a->hash = hash;
		a->aor_len = (uint16_t)alen;
		memcpy(a->aor, aor, alen + 1);
		*pp = a;
	}
	b->next = a->bindings;
	a->bindings = b;
	a->nbindings++;
	atomic_fetch_add(&t->nbindings, 1);
	pthread_mutex_unlock(&s->lock);
	return LOC_OK;
}

bool loc_unput(struct loc_table *t, const char *aor, const char *contact,
	       const char *call_id, uint32_t cseq)
{
	size_t alen = strlen(aor);
	struct loc_binding **bp, *b;
	struct loc_aor **pp, *a;
	struct loc_shard *s;
	uint64_t hash;
	bool found = false;

	if (alen == 0 || alen > LOC_AOR_MAX)
		return false;
	s = shard_of(t, aor, alen, &hash);
	pthread_mutex_lock(&s->lock);
	pp = find_aor(s, hash, aor, alen);
	a = *pp;
	for (bp = a ? &a->bindings : NULL; bp && (b = *bp); bp = &b->next) {
		if (b->cseq == cseq && !strcmp(loc_contact(b), contact) &&
		    !strcmp(loc_callid(b), call_id)) {
			*bp = b->next;
			free(b);
			a->nbindings--;
			atomic_fetch_sub(&t->nbindings, 1);
			found = true;
			break;
		}
	}
	if (a && !a->bindings) {
		*pp = a->next;
		free(a);
	}
	pthread_mutex_unlock(&s->lock);
	return found;
}

unsigned loc_lookup(struct loc_table *t, const char *aor, uint64_t now,
		    struct loc_binding **out, unsigned max)
{
	size_t alen = strlen(aor);
	struct loc_shard *s;
	struct loc_aor *a;
	uint64_t hash;
	unsigned n = 0;

	s = shard_of(t, aor, alen, &hash);
	pthread_mutex_lock(&s->lock);
	a = *find_aor(s, hash, aor, alen);
	for (struct loc_binding *b = a ? a->bindings : NULL; b && n < max;
	     b = b->next) {
		size_t size = sizeof(*b) + b->contact_len + b->path_len +
			      b->callid_len + 3;
		struct loc_binding *copy;
		unsigned k;
		if (b->expires <= now)
			continue;
		copy = malloc(size);
		if (!copy)
			break;
		memcpy(copy, b, size);
		copy->next = NULL;
		/* Insertion sort: highest q first, stable. */
		for (k = n; k > 0 && out[k - 1]->q < copy->q; k--)
			out[k] = out[k - 1];
		out[k] = copy;
		n++;
	}
	pthread_mutex_unlock(&s->lock);
	return n;
}

unsigned loc_sweep(struct loc_table *t, uint64_t now, unsigned shards,
		   loc_op_h on_op, void *arg)
{
	unsigned removed = 0;

	for (unsigned k = 0; k < shards && k < LOC_SHARDS; k++) {
		struct loc_shard *s = &t->shard[t->sweep_next];
		t->sweep_next = (t->sweep_next + 1) % LOC_SHARDS;
		pthread_mutex_lock(&s->lock);
		for (uint32_t j = 0; j < s->nbuckets; j++) {
			struct loc_aor **pp = &s->buckets[j];
			while (*pp) {
				struct loc_aor *a = *pp;
				struct loc_binding **bp = &a->bindings;
				while (*bp) {
					struct loc_binding *b = *bp;
					if (b->expires > now) {
						bp = &b->next;
						continue;
					}
					*bp = b->next;
					if (on_op)
						on_op(arg, LOC_OP_DEL, a->aor, b);
					free(b);
					a->nbindings--;
					atomic_fetch_sub(&t->nbindings, 1);
					removed++;
				}
				if (!a->bindings) {
					*pp = a->next;
					free(a);
				} else {
					pp = &a->next;
				}
			}
		}
		pthread_mutex_unlock(&s->lock);
	}
	return removed;
}
