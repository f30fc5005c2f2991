/*
 * resolver.c - the route resolver thread (see resolver.h).
 */
#include "daemon/resolver.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <resolv.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/timer.h"
#include "transport/route_dns.h"

struct vs_resolver {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop, woken;
	struct __res_state res;
};

/* "192.0.2.1:5060, [2001:db8::1]:5061" */
static void describe(const struct dns_target *t, int n, char *out, size_t size)
{
	size_t len = 0;

	out[0] = 0;
	for (int i = 0; i < n && len < size; i++) {
		char s[VS_IPSTR_MAX + 8];
		len += (size_t)snprintf(out + len, size - len, "%s%s", i ? ", " : "",
					vs_sa_str(&t[i].sa, s, sizeof(s)));
	}
}

static void resolve_one(struct vs_resolver *r, unsigned dns, uint32_t gen,
			const struct dns_query *q)
{
	struct dns_target a[DNS_MAX_ADDRS];
	char err[300], list[DNS_MAX_ADDRS * 56];
	uint32_t ttl;
	int n;

	/* Each lookup reads /etc/resolv.conf afresh (its changes apply). */
	res_nclose(&r->res);
	if (res_ninit(&r->res)) {
		snprintf(err, sizeof(err), "cannot read the resolver configuration");
		n = -1;
	} else {
		n = dns_resolve(&r->res, q, a, &ttl, err, sizeof(err));
	}
	if (n < 0) {
		route_dns_store(dns, gen, NULL, -1, 0, vs_now_ms());
		vs_log_limited(VS_LOG_WARN, "route-dns",
			       "upstream route %s: %s; keeping the addresses it had, trying again in %d s",
			       q->name, err, ROUTE_DNS_RETRY);
		return;
	}
	if (!route_dns_store(dns, gen, a, n, ttl, vs_now_ms()))
		return;
	describe(a, n, list, sizeof(list));
	if (n == 0)
		vs_log(VS_LOG_WARN,
		       "upstream route %s: the name has no %s%s address (%s): calls to it get 503",
		       q->name, q->v4 && q->v6 ? "IPv4 or IPv6" : q->v4 ? "IPv4" : "IPv6",
		       q->port ? "" : " or SRV", q->port ? "A/AAAA" : "SRV, then A/AAAA");
	else
		vs_log(VS_LOG_NOTICE, "upstream route %s%s: %s (for %u s)", q->name,
		       q->port ? "" : " (SRV)", list, ttl);
}

static void *resolver_main(void *arg)
{
	struct vs_resolver *r = arg;

	for (;;) {
		struct dns_query q;
		char name[DNS_NAME_MAX];
		uint64_t wait_ms;
		uint32_t gen;
		unsigned dns;

		pthread_mutex_lock(&r->lock);
		if (r->stop) {
			pthread_mutex_unlock(&r->lock);
			break;
		}
		r->woken = false;
		pthread_mutex_unlock(&r->lock);
		dns = route_dns_due(vs_now_ms(), &q, name, sizeof(name), &gen, &wait_ms);
		if (dns) {
			resolve_one(r, dns, gen, &q);
			continue;
		}
		pthread_mutex_lock(&r->lock);
		if (!r->stop && !r->woken) {
			struct timespec ts;
			if (wait_ms > 3600000)
				wait_ms = 3600000;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_sec += (time_t)(wait_ms / 1000);
			ts.tv_nsec += (long)(wait_ms % 1000) * 1000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&r->cond, &r->lock, &ts);
		}
		pthread_mutex_unlock(&r->lock);
	}
	res_nclose(&r->res);
	return NULL;
}

int vs_resolver_start(struct vs_resolver **out, unsigned wait_ms, char *err, size_t errlen)
{
	struct vs_resolver *r = calloc(1, sizeof(*r));
	pthread_condattr_t ca;
	uint64_t deadline;

	*out = NULL;
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pthread_mutex_init(&r->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->cond, &ca);
	pthread_condattr_destroy(&ca);
	res_ninit(&r->res);
	if (pthread_create(&r->thread, NULL, resolver_main, r)) {
		snprintf(err, errlen, "cannot start the resolver thread");
		res_nclose(&r->res);
		free(r);
		return -1;
	}
	deadline = vs_now_ms() + wait_ms;
	while (!route_dns_all_tried() && vs_now_ms() < deadline) {
		struct timespec ts = {0, 20000000};
		nanosleep(&ts, NULL);
	}
	*out = r;
	return 0;
}

void vs_resolver_wake(struct vs_resolver *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	r->woken = true;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

void vs_resolver_stop(struct vs_resolver *r)
{
	if (!r)
		return;
	struct timespec ts;

	pthread_mutex_lock(&r->lock);
	r->stop = true;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->lock);
	/* A lookup under way may wait for a DNS server for many seconds
	 * (resolv.conf timeout x attempts): shutdown does not wait for it
	 * beyond 1 s; the thread then ends with the process. */
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 1;
	if (pthread_timedjoin_np(r->thread, NULL, &ts)) {
		vs_log(VS_LOG_INFO, "resolver: a DNS lookup is still under way; not waiting for it");
		return;
	}
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
	free(r);
}
