/*
 * udp.h - SIP over UDP: batched receive (recvmmsg) and batched replies
 * (sendmmsg) on a worker's own SO_REUSEPORT socket.
 */
#ifndef VS_TRANSPORT_UDP_H
#define VS_TRANSPORT_UDP_H

#include "core/loop.h"
#include "transport/addr.h"

struct vs_worker;

#define UDP_BATCH 8
#define UDP_MAX_DATAGRAM 65535
#define UDP_REPLY_MAX (UDP_MAX_DATAGRAM)

struct udp_sock {
	struct vs_io io;
	struct vs_worker *w;
	struct vs_sockaddr local;
	uint8_t index; /* in the worker's socket array (same on every worker) */
	uint8_t listener; /* in the configuration (its zone) */
};

/* Per-worker buffers for one batch in and one batch out. */
struct udp_batch;
struct udp_batch *udp_batch_new(void);
void udp_batch_free(struct udp_batch *b);

int udp_sock_attach(struct udp_sock *u, struct vs_worker *w, int fd,
		    const struct vs_sockaddr *local, uint8_t index);
/* One datagram now (outside a batch).  Returns 0 or an errno. */
int udp_sock_send(struct udp_sock *u, const struct vs_sockaddr *dst,
		  const char *buf, size_t len);
void udp_sock_close(struct udp_sock *u);

#endif
