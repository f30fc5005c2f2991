/*
 * connlimit.h - caps on concurrent connections, in total and per source IP.
 *
 * One table shared by all workers.  It holds at most one entry per source
 * with a live connection, so its size is bounded by the total cap.  An
 * IPv6 source is its /64: one host or site usually holds a whole /64, and
 * counting each of its 2^64 addresses apart would make the cap void.
 */
#ifndef VS_TRANSPORT_CONNLIMIT_H
#define VS_TRANSPORT_CONNLIMIT_H

#include "transport/addr.h"

#include <pthread.h>

struct connlimit_entry {
	uint8_t ip[16];
	uint8_t iplen; /* 0 = free */
	uint32_t count;
};

struct connlimit {
	pthread_mutex_t lock;
	struct connlimit_entry *slots;
	size_t nslots; /* power of two, at least twice the total cap */
	uint32_t total;
	uint32_t max_total;
	uint32_t max_per_source;
};

enum connlimit_result {
	CONNLIMIT_OK = 0,
	CONNLIMIT_TOTAL,
	CONNLIMIT_SOURCE,
};

int connlimit_init(struct connlimit *cl, uint32_t max_total,
		   uint32_t max_per_source);
void connlimit_destroy(struct connlimit *cl);
/* Change the caps (a reload); the table never shrinks below its size. */
void connlimit_set(struct connlimit *cl, uint32_t max_total,
		   uint32_t max_per_source);
enum connlimit_result connlimit_acquire(struct connlimit *cl,
					const struct vs_sockaddr *src);
void connlimit_release(struct connlimit *cl, const struct vs_sockaddr *src);
uint32_t connlimit_count(struct connlimit *cl, const struct vs_sockaddr *src);
/* Connections open now, in total. */
uint32_t connlimit_total(struct connlimit *cl);

#endif
