/*
 * route_dns.c - resolved addresses of upstream routes (see route_dns.h).
 */
#include "transport/route_dns.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/config.h"

struct entry {
	bool used;
	bool tried; /* looked up at least once */
	char name[DNS_NAME_MAX];
	uint16_t port; /* 0: SRV first */
	unsigned transport;
	bool v4, v6;
	struct vs_sockaddr addrs[DNS_MAX_ADDRS];
	uint64_t failed_until[DNS_MAX_ADDRS]; /* ms */
	unsigned naddrs;
	uint64_t due_ms; /* look it up again then */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct entry table[ROUTE_DNS_ENTRIES];

static struct entry *get(unsigned dns)
{
	return dns >= 1 && dns <= ROUTE_DNS_ENTRIES && table[dns - 1].used ? &table[dns - 1]
									 : NULL;
}

int route_dns_attach(struct vs_config *cfg)
{
	int rc = 0;

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
				break;
			}
		}
		if (r->dns)
			continue;
		if (!free_slot) {
			rc = -1;
			break;
		}
		struct entry *e = &table[free_slot - 1];
		memset(e, 0, sizeof(*e));
		e->used = true;
		snprintf(e->name, sizeof(e->name), "%s", r->address);
		e->port = r->port_set ? r->port : 0;
		e->transport = r->transport;
		e->v4 = r->v4;
		e->v6 = r->v6;
		e->due_ms = 0; /* now */
		r->dns = free_slot;
	}
	pthread_mutex_unlock(&lock);
	return rc;
}

void route_dns_retain_only(const struct vs_config *cfg)
{
	pthread_mutex_lock(&lock);
	for (unsigned k = 0; k < ROUTE_DNS_ENTRIES; k++) {
		bool keep = false;
		for (size_t i = 0; i < cfg->nroutes && !keep; i++)
			keep = cfg->routes[i].dns == k + 1;
		if (!keep)
			table[k].used = false;
	}
	pthread_mutex_unlock(&lock);
}

unsigned route_dns_get(unsigned dns, struct vs_sockaddr *out, unsigned max, uint64_t now_ms)
{
	unsigned n = 0;
	struct entry *e;

	pthread_mutex_lock(&lock);
	e = get(dns);
	/* Those that have not failed lately first, then the others. */
	for (int pass = 0; e && pass < 2; pass++) {
		for (unsigned i = 0; i < e->naddrs && n < max; i++) {
			bool held = e->failed_until[i] > now_ms;
			if (held == (pass == 1))
				out[n++] = e->addrs[i];
		}
	}
	pthread_mutex_unlock(&lock);
	return n;
}

void route_dns_failed(unsigned dns, const struct vs_sockaddr *a, uint64_t now_ms)
{
	struct entry *e;

	pthread_mutex_lock(&lock);
	e = get(dns);
	for (unsigned i = 0; e && i < e->naddrs; i++) {
		if (vs_sa_ip_eq(&e->addrs[i], a) && vs_sa_port(&e->addrs[i]) == vs_sa_port(a))
			e->failed_until[i] = now_ms + ROUTE_DNS_HOLDOFF_MS;
	}
	pthread_mutex_unlock(&lock);
}

static bool has(unsigned dns, const struct vs_sockaddr *a, bool port)
{
	bool found = false;
	struct entry *e;

	pthread_mutex_lock(&lock);
	e = get(dns);
	for (unsigned i = 0; e && i < e->naddrs && !found; i++)
		found = vs_sa_ip_eq(&e->addrs[i], a) &&
			(!port || vs_sa_port(&e->addrs[i]) == vs_sa_port(a));
	pthread_mutex_unlock(&lock);
	return found;
}

bool route_dns_has(unsigned dns, const struct vs_sockaddr *a)
{
	return has(dns, a, true);
}

bool route_dns_has_ip(unsigned dns, const struct vs_sockaddr *a)
{
	return has(dns, a, false);
}

void route_dns_name(unsigned dns, char *out, size_t size)
{
	struct entry *e;

	pthread_mutex_lock(&lock);
	e = get(dns);
	snprintf(out, size, "%s", e ? e->name : "");
	pthread_mutex_unlock(&lock);
}

unsigned route_dns_due(uint64_t now_ms, struct dns_query *q, char *name, size_t namelen,
		       uint64_t *wait_ms)
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

bool route_dns_store(unsigned dns, const struct vs_sockaddr *a, int n, uint32_t ttl,
		     uint64_t now_ms)
{
	bool changed = false;
	struct entry *e;

	pthread_mutex_lock(&lock);
	e = get(dns);
	if (e) {
		bool first = !e->tried;
		e->tried = true;
		if (n < 0) {
			e->due_ms = now_ms + (uint64_t)ROUTE_DNS_RETRY * 1000;
		} else {
			unsigned m = (unsigned)n > DNS_MAX_ADDRS ? DNS_MAX_ADDRS : (unsigned)n;
			uint64_t failed[DNS_MAX_ADDRS] = {0};
			changed = first || m != e->naddrs;
			for (unsigned i = 0; i < m; i++) {
				changed = changed || !vs_sa_ip_eq(&e->addrs[i], &a[i]) ||
					  vs_sa_port(&e->addrs[i]) != vs_sa_port(&a[i]);
				/* An address that stays keeps its failure mark. */
				for (unsigned j = 0; j < e->naddrs; j++)
					if (vs_sa_ip_eq(&e->addrs[j], &a[i]) &&
					    vs_sa_port(&e->addrs[j]) == vs_sa_port(&a[i]))
						failed[i] = e->failed_until[j];
			}
			memcpy(e->addrs, a, m * sizeof(*a));
			memcpy(e->failed_until, failed, sizeof(failed));
			e->naddrs = m;
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
