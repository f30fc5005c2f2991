/*
 * connlimit.c - caps on concurrent connections (open addressing, keyed
 * SipHash, backward-shift deletion so the table never fills with
 * tombstones).
 */
#include "transport/connlimit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"

static size_t pow2_at_least(size_t n)
{
	size_t p = 16;
	while (p < n)
		p <<= 1;
	return p;
}

int connlimit_init(struct connlimit *cl, uint32_t max_total,
		   uint32_t max_per_source)
{
	memset(cl, 0, sizeof(*cl));
	cl->nslots = pow2_at_least((size_t)max_total * 2);
	cl->slots = calloc(cl->nslots, sizeof(*cl->slots));
	if (!cl->slots)
		return ENOMEM;
	pthread_mutex_init(&cl->lock, NULL);
	cl->max_total = max_total;
	cl->max_per_source = max_per_source;
	return 0;
}

void connlimit_destroy(struct connlimit *cl)
{
	free(cl->slots);
	cl->slots = NULL;
	pthread_mutex_destroy(&cl->lock);
}

void connlimit_set(struct connlimit *cl, uint32_t max_total,
		   uint32_t max_per_source)
{
	pthread_mutex_lock(&cl->lock);
	/* The table was sized for the cap at start; never exceed half of it. */
	if ((size_t)max_total * 2 > cl->nslots)
		max_total = (uint32_t)(cl->nslots / 2);
	cl->max_total = max_total;
	cl->max_per_source = max_per_source;
	pthread_mutex_unlock(&cl->lock);
}

/* The key of a source: IPv4 address, or IPv6 /64 prefix. */
static size_t source_key(const struct vs_sockaddr *src, uint8_t key[16])
{
	size_t len = vs_sa_ip_bytes(src, key);

	return len == 16 ? 8 : len;
}

static size_t find(struct connlimit *cl, const uint8_t *ip, size_t len,
		   bool *found)
{
	size_t mask = cl->nslots - 1;
	size_t i = (size_t)vs_hash(ip, len) & mask;

	for (;;) {
		struct connlimit_entry *e = &cl->slots[i];
		if (!e->iplen) {
			*found = false;
			return i;
		}
		if (e->iplen == len && memcmp(e->ip, ip, len) == 0) {
			*found = true;
			return i;
		}
		i = (i + 1) & mask;
	}
}

enum connlimit_result connlimit_acquire(struct connlimit *cl,
					const struct vs_sockaddr *src)
{
	uint8_t ip[16];
	size_t len = source_key(src, ip);
	enum connlimit_result r = CONNLIMIT_OK;
	bool found;
	size_t i;

	pthread_mutex_lock(&cl->lock);
	if (cl->total >= cl->max_total) {
		r = CONNLIMIT_TOTAL;
		goto out;
	}
	i = find(cl, ip, len, &found);
	if (found) {
		if (cl->slots[i].count >= cl->max_per_source) {
			r = CONNLIMIT_SOURCE;
			goto out;
		}
		cl->slots[i].count++;
	} else {
		memcpy(cl->slots[i].ip, ip, len);
		cl->slots[i].iplen = (uint8_t)len;
		cl->slots[i].count = 1;
	}
	cl->total++;
out:
	pthread_mutex_unlock(&cl->lock);
	return r;
}

void connlimit_release(struct connlimit *cl, const struct vs_sockaddr *src)
{
	uint8_t ip[16];
	size_t len = source_key(src, ip);
	size_t mask = cl->nslots - 1;
	bool found;
	size_t i, j;

	pthread_mutex_lock(&cl->lock);
	i = find(cl, ip, len, &found);
	if (!found)
		goto out;
	cl->total--;
	if (--cl->slots[i].count)
		goto out;
	/* Backward-shift deletion keeps every probe chain intact. */
	cl->slots[i].iplen = 0;
	j = i;
	for (;;) {
		size_t home;
		j = (j + 1) & mask;
		if (!cl->slots[j].iplen)
			break;
		home = (size_t)vs_hash(cl->slots[j].ip, cl->slots[j].iplen) & mask;
		/* Move j into the hole at i if its home is not in (i, j]. */
		if ((j > i && (home <= i || home > j)) ||
		    (j < i && (home <= i && home > j))) {
			cl->slots[i] = cl->slots[j];
			cl->slots[j].iplen = 0;
			i = j;
		}
	}
out:
	pthread_mutex_unlock(&cl->lock);
}

uint32_t connlimit_count(struct connlimit *cl, const struct vs_sockaddr *src)
{
	uint8_t ip[16];
	size_t len = source_key(src, ip);
	bool found;
	size_t i;
	uint32_t n;

	pthread_mutex_lock(&cl->lock);
	i = find(cl, ip, len, &found);
	n = found ? cl->slots[i].count : 0;
	pthread_mutex_unlock(&cl->lock);
	return n;
}

uint32_t connlimit_total(struct connlimit *cl)
{
	uint32_t n;

	pthread_mutex_lock(&cl->lock);
	n = cl->total;
	pthread_mutex_unlock(&cl->lock);
	return n;
}
