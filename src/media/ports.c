/*
 * ports.c - see ports.h.
 */
#include "media/ports.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int port_pool_init(struct port_pool *p, uint16_t lo, uint16_t hi)
{
	uint32_t first = (lo + 1u) & ~1u;

	memset(p, 0, sizeof(*p));
	if (first == 0 || first + 1 > hi)
		return EINVAL;
	p->lo = (uint16_t)first;
	p->npairs = (hi - first + 1u) / 2;
	p->used = calloc((p->npairs + 7) / 8, 1);
	if (!p->used)
		return ENOMEM;
	pthread_mutex_init(&p->lock, NULL);
	return 0;
}

void port_pool_destroy(struct port_pool *p)
{
	if (!p->used)
		return;
	pthread_mutex_destroy(&p->lock);
	free(p->used);
	p->used = NULL;
}

int port_pool_get(struct port_pool *p, uint16_t *rtp)
{
	int err = ENOSPC;

	pthread_mutex_lock(&p->lock);
	for (uint32_t k = 0; k < p->npairs && p->in_use < p->npairs; k++) {
		uint32_t i = (p->next + k) % p->npairs;
		if (p->used[i / 8] & (1u << (i % 8)))
			continue;
		p->used[i / 8] |= (uint8_t)(1u << (i % 8));
		p->in_use++;
		p->next = (i + 1) % p->npairs;
		*rtp = (uint16_t)(p->lo + 2 * i);
		err = 0;
		break;
	}
	pthread_mutex_unlock(&p->lock);
	return err;
}

void port_pool_put(struct port_pool *p, uint16_t rtp)
{
	uint32_t i;

	if (rtp < p->lo || (rtp - p->lo) % 2)
		return;
	i = (uint32_t)(rtp - p->lo) / 2;
	if (i >= p->npairs)
		return;
	pthread_mutex_lock(&p->lock);
	if (p->used[i / 8] & (1u << (i % 8))) {
		p->used[i / 8] &= (uint8_t)~(1u << (i % 8));
		p->in_use--;
	}
	pthread_mutex_unlock(&p->lock);
}

uint32_t port_pool_in_use(struct port_pool *p)
{
	uint32_t n;

	pthread_mutex_lock(&p->lock);
	n = p->in_use;
	pthread_mutex_unlock(&p->lock);
	return n;
}
