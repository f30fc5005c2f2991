/*
 * route_dns.c - resolved addresses of upstream routes (see route_dns.h).
 */
#include "transport/route_dns.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/config.h"
#include "core/hash.h"

struct entry {
	bool used;
	bool tried;   /* looked up at least once */
	uint32_t gen; /* changes whenever the slot is taken */
	char name[DNS_NAME_MAX];
	uint16_t port; /* 0: SRV first */
	unsigned transport;
	bool v4, v6;
	struct dns_target t[DNS_MAX_ADDRS];
	uint64_t failed_until[DNS_MAX_ADDRS]; /* ms */
	unsigned n;
	uint64_t due_ms; /* look it up again then */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct entry table[ROUTE_DNS_ENTRIES];
static uint32_t next_gen;

static struct entry *get(unsigned dns, uint32_t gen)
{
	if (dns < 1 || dns > ROUTE_DNS_ENTRIES)
		return NULL;
	struct entry *e = &table[dns - 1];
	return e->used && e->gen == gen ? e : NULL;
}

int route_dns_attach(struct vs_config *cfg)
{
	bool taken[ROUTE_DNS_ENTRIES] = {false};

	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < cfg->nroutes; i++) {
		struct vs_route *r = &cfg->routes[i];
		unsigned k, free_slot = 0;
		if (!r->named)
			continue;
		r->dns = 0;
		for (k = 0; k < ROUTE_DNS_ENTRIES; k++) {
			struct entry *e = &table[k];
			if (!e->used) {
				if (!free_slot)
					free_slot = k + 1;
				continue;
			}
			if (!strcasecmp(e->name, r->address) && e->transport == r->transport &&
			    e->port == (r->port_set ? r->port : 0) && e->v4 == r->v4 &&
			    e->v6 == r->v6) {
				r->dns = k + 1;
				r->dns_gen = e->gen;
				break;
			}
		}
		if (r->dns)
			continue;
		if (!free_slot) {
			/* Full: give back what this call took. */
			for (k = 0; k < ROUTE_DNS_ENTRIES; k++)
				if (taken[k])
					table[k].used = false;
			pthread_mutex_unlock(&lock);
			return -1;
		}
		struct entry *e = &table[free_slot - 1];
		memset(e, 0, sizeof(*e));
		e->used = true;
		e->gen = ++next_gen;
		snprintf(e->name, sizeof(e->name), "%s", r->address);
		e->port = r->port_set ? r->port : 0;
		e->transport = r->transport;
		e->v4 = r->v4;
		e->v6 = r->v6;
		e->due_ms = 0; /* now */
		taken[free_slot - 1] = true;
		r->dns = free_slot;
		r->dns_gen = e->gen;
	}
	pthread_mutex_unlock(&lock);
	return 0;
}

void route_dns_retain_only(const struct vs_config *cfg)
{
	pthread_mutex_lock(&lock);
	for (unsigned k = 0; k < ROUTE_DNS_ENTRIES; k++) {
		bool keep = false;
		for (size_t i = 0; i < cfg->nroutes && !keep; i++)
			keep = cfg->routes[i].named && cfg->routes[i].dns == k + 1 &&
			       cfg->routes[i].dns_gen == table[k].gen;
		if (!keep)
			table[k].used = false;
	}
	pthread_mutex_unlock(&lock);
}

/* A random number for the weighted pick: per thread, seeded once. */
static uint32_t pick_random(void)
{
	static __thread uint64_t x;

	if (!x && (vs_random(&x, sizeof(x)) || !x))
		x = 0x9e3779b97f4a7c15ull;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return (uint32_t)(x >> 32);
}

unsigned route_dns_get(unsigned dns, uint32_t gen, struct vs_sockaddr *out, unsigned max,
		       uint64_t now_ms)
{
	unsigned n = 0, first = DNS_MAX_ADDRS;
	struct entry *e;

	pthread_mutex_lock(&lock);
	e = get(dns, gen);
	if (e && max) {
		/* The first: among the SRV targets of the lowest priority that
		 * have not failed lately, one picked by weight (RFC 2782), so
		 * that the weights share the load request by request. */
		uint32_t total = 0, pick, sum = 0;
		int prio = -1;
		for (unsigned i = 0; i < e->n; i++) {
			if (e->failed_until[i] > now_ms)
				continue;
			if (prio < 0) {
				prio = e->t[i].priority;
				first = i; /* DNS order: an A/AAAA answer's first */
			}
			if (e->t[i].srv && e->t[i].priority == prio)
				total += e->t[i].weight;
		}
		if (first < e->n && e->t[first].srv && total) {
			pick = pick_random() % total + 1;
			for (unsigned i = first; i < e->n; i++) {
				if (e->failed_until[i] > now_ms || e->t[i].priority != prio)
					continue;
				sum += e->t[i].weight;
				if (sum >= pick) {
					first = i;
					break;
				}
			}
		}
		if (first < e->n)
			out[n++] = e->t[first].sa;
	}
	/* Then the others: those that have not failed lately, then those. */
	for (int pass = 0; e && pass < 2; pass++) {
		for (unsigned i = 0; i < e->n && n < max; i++) {
			bool held = e->failed_until[i] > now_ms;
			if (i != first && held == (pass == 1))
				out[n++] = e->t[i].sa;
		}
	}
	pthread_mutex_unlock(&lock);
	return n;
}

void route_dns_failed(unsigned dns, uint32_t gen, const struct vs_sockaddr *a, uint64_t now_ms)
{
	struct entry *e;

	pthread_mutex_lock(&lock);
	e = get(dns, gen);
	for (unsigned i = 0; e && i < e->n; i++) {
		if (vs_sa_eq(&e->t[i].sa, a))
			e->failed_until[i] = now_ms + ROUTE_DNS_HOLDOFF_MS;
	}
	pthread_mutex_unlock(&lock);
}

static bool has(unsigned dns, uint32_t gen, const struct vs_sockaddr *a, bool port)
{
	bool found = false;
	struct entry *e;

	pthread_mutex_lock(&lock);
	e = get(dns, gen);
	for (unsigned i = 0; e && i < e->n && !found; i++)
		found = port ? vs_sa_eq(&e->t[i].sa, a) : vs_sa_ip_eq(&e->t[i].sa, a);
	pthread_mutex_unlock(&lock);
	return found;
}

bool route_dns_has(unsigned dns, uint32_t gen, const struct vs_sockaddr *a)
{
	return has(dns, gen, a, true);
}

bool route_dns_has_ip(unsigned dns, uint32_t gen, const struct vs_sockaddr *a)
{
	return has(dns, gen, a, false);
}

unsigned route_dns_due(uint64_t now_ms, struct dns_query *q, char *name, size_t namelen,
		       uint32_t *gen, uint64_t *wait_ms)
{
	unsigned found = 0;
	uint64_t next = UINT64_MAX;

	pthread_mutex_lock(&lock);
	for (unsigned k = 0; k < ROUTE_DNS_ENTRIES; k++) {
		struct entry *e = &table[k];
		if (!e->used)
			continue;
		if (e->due_ms <= now_ms) {
			snprintf(name, namelen, "%s", e->name);
			q->name = name;
			q->port = e->port;
			q->transport = e->transport;
			q->v4 = e->v4;
			q->v6 = e->v6;
			*gen = e->gen;
			/* Not again until this lookup stores its result. */
			e->due_ms = now_ms + (uint64_t)ROUTE_DNS_RETRY * 1000;
			found = k + 1;
			break;
		}
		if (e->due_ms - now_ms < next)
			next = e->due_ms - now_ms;
	}
	pthread_mutex_unlock(&lock);
	*wait_ms = found ? 0 : next;
	return found;
}

bool route_dns_store(unsigned dns, uint32_t gen, const struct dns_target *t, int n, uint32_t ttl,
		     uint64_t now_ms)
{
	bool changed = false;
	struct entry *e;

	pthread_mutex_lock(&lock);
	e = get(dns, gen);
	if (e) {
		bool first = !e->tried;
		e->tried = true;
		if (n < 0) {
			e->due_ms = now_ms + (uint64_t)ROUTE_DNS_RETRY * 1000;
		} else {
			unsigned m = (unsigned)n > DNS_MAX_ADDRS ? DNS_MAX_ADDRS : (unsigned)n;
			uint64_t failed[DNS_MAX_ADDRS] = {0};
			changed = first || m != e->n;
			for (unsigned i = 0; i < m; i++) {
				changed = changed || !vs_sa_eq(&e->t[i].sa, &t[i].sa);
				/* An address that stays keeps its failure mark. */
				for (unsigned j = 0; j < e->n; j++)
					if (vs_sa_eq(&e->t[j].sa, &t[i].sa))
						failed[i] = e->failed_until[j];
			}
			memcpy(e->t, t, m * sizeof(*t));
			memcpy(e->failed_until, failed, sizeof(failed));
			e->n = m;
			if (ttl < ROUTE_DNS_TTL_MIN)
				ttl = ROUTE_DNS_TTL_MIN;
			if (ttl > ROUTE_DNS_TTL_MAX)
				ttl = ROUTE_DNS_TTL_MAX;
			/* No address: ask again soon, as after a failure. */
			e->due_ms = now_ms + (uint64_t)(m ? ttl : ROUTE_DNS_RETRY) * 1000;
		}
	}
	pthread_mutex_unlock(&lock);
	return changed;
}

bool route_dns_all_tried(void)
{
	bool all = true;

	pthread_mutex_lock(&lock);
	for (unsigned k = 0; k < ROUTE_DNS_ENTRIES && all; k++)
		all = !table[k].used || table[k].tried;
	pthread_mutex_unlock(&lock);
	return all;
}
