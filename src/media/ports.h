/*
 * ports.h - the relay's UDP port range: pairs (RTP on an even port, RTCP
 * on the next) handed out round robin, so that a port just freed is the
 * last to be reused (late packets of an ended call do not reach the next
 * one).  Bounded by the range; thread-safe.
 */
#ifndef VS_MEDIA_PORTS_H
#define VS_MEDIA_PORTS_H

#include <pthread.h>
#include <stdint.h>

struct port_pool {
	pthread_mutex_t lock;
	uint16_t lo;	  /* first RTP port (even) */
	uint32_t npairs;  /* pairs in the range */
	uint32_t next;	  /* where the next search starts */
	uint32_t in_use;
	uint8_t *used;	  /* one bit per pair */
};

/* Pairs within [lo, hi] (lo rounded up to even).  0, EINVAL (fewer than
 * one pair) or ENOMEM. */
int port_pool_init(struct port_pool *p, uint16_t lo, uint16_t hi);
void port_pool_destroy(struct port_pool *p);
/* A free pair: *rtp even, RTCP is *rtp + 1.  0 or ENOSPC. */
int port_pool_get(struct port_pool *p, uint16_t *rtp);
/* Give a pair back (a port outside the pool or not in use is ignored). */
void port_pool_put(struct port_pool *p, uint16_t rtp);
uint32_t port_pool_in_use(struct port_pool *p);

#endif
