/*
 * udp.c - SIP over UDP.
 *
 * A readable socket is drained in batches of UDP_BATCH datagrams with one
 * recvmmsg call; the replies of a batch leave with one sendmmsg call, to
 * the source address of the request (symmetric response routing, as with
 * RFC 3581 rport: replies never go to an address taken from the message,
 * so the server cannot be used to reflect traffic at a third party).
 */
#include "transport/udp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/mbuf.h"
#include "daemon/worker.h"

/* Batches handled per wake-up before yielding to other sockets. */
#define UDP_ROUNDS 8

struct udp_batch {
	struct mmsghdr rx[UDP_BATCH];
	struct iovec rxiov[UDP_BATCH];
	struct sockaddr_storage rxaddr[UDP_BATCH];
	struct mmsghdr tx[UDP_BATCH];
	struct iovec txiov[UDP_BATCH];
	struct sockaddr_storage txaddr[UDP_BATCH];
	/* One spare byte beyond the largest datagram detects truncation. */
	char rxbuf[UDP_BATCH][UDP_MAX_DATAGRAM + 1];
	char txbuf[UDP_BATCH][UDP_REPLY_MAX];
};

struct udp_batch *udp_batch_new(void)
{
	struct udp_batch *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	for (int i = 0; i < UDP_BATCH; i++) {
		b->rxiov[i].iov_base = b->rxbuf[i];
		b->rxiov[i].iov_len = sizeof(b->rxbuf[i]);
		b->rx[i].msg_hdr.msg_iov = &b->rxiov[i];
		b->rx[i].msg_hdr.msg_iovlen = 1;
		b->tx[i].msg_hdr.msg_iov = &b->txiov[i];
		b->tx[i].msg_hdr.msg_iovlen = 1;
		b->tx[i].msg_hdr.msg_name = &b->txaddr[i];
		b->txiov[i].iov_base = b->txbuf[i];
	}
	return b;
}

void udp_batch_free(struct udp_batch *b)
{
	free(b);
}

static void flush_replies(struct udp_sock *u, struct udp_batch *b,
			  unsigned n)
{
	unsigned sent = 0;

	while (sent < n) {
		int r = sendmmsg(u->io.fd, b->tx + sent, n - sent, MSG_DONTWAIT);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			/* EAGAIN (socket buffer full) or an unreachable peer:
			 * drop this reply, as a lossy network would. */
			vs_stat_inc(&u->w->stats, VS_STAT_TX_ERRORS);
			sent++;
			continue;
		}
		vs_stat_add(&u->w->stats, VS_STAT_TX_UDP, (uint64_t)r);
		sent += (unsigned)r;
	}
}

static void udp_readable(struct vs_io *io, uint32_t events)
{
	struct udp_sock *u = (struct udp_sock *)io;
	struct vs_worker *w = u->w;
	struct udp_batch *b = w->batch;

	(void)events;
	for (int round = 0; round < UDP_ROUNDS; round++) {
		unsigned nreply = 0;
		int n;

		for (int i = 0; i < UDP_BATCH; i++) {
			b->rx[i].msg_hdr.msg_name = &b->rxaddr[i];
			b->rx[i].msg_hdr.msg_namelen = sizeof(b->rxaddr[i]);
			b->rx[i].msg_hdr.msg_flags = 0;
		}
		n = recvmmsg(io->fd, b->rx, UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		vs_stat_add(&w->stats, VS_STAT_RX_UDP, (uint64_t)n);
		for (int i = 0; i < n; i++) {
			struct vs_flow flow;
			struct mbuf out;
			size_t len = b->rx[i].msg_len;

			if (len > UDP_MAX_DATAGRAM ||
			    (b->rx[i].msg_hdr.msg_flags & MSG_TRUNC)) {
				vs_stat_inc(&w->stats, VS_STAT_DROP_TRUNCATED);
				continue;
			}
			flow.conn_id = 0;
			flow.worker = (uint16_t)w->id;
			flow.tp = VS_TP_UDP;
			flow.local = u->index;
			flow.listener = u->listener;
			flow.peer.len = b->rx[i].msg_hdr.msg_namelen;
			if (flow.peer.len > sizeof(flow.peer.u))
				continue; /* not IPv4 or IPv6 */
			memcpy(&flow.peer.u, &b->rxaddr[i], flow.peer.len);
			mbuf_init(&out, b->txbuf[nreply], UDP_REPLY_MAX);
			if (!vs_worker_sip_input(w, b->rxbuf[i], len, &flow,
						 &out))
				continue;
			b->txiov[nreply].iov_len = out.len;
			memcpy(&b->txaddr[nreply], &flow.peer.u, flow.peer.len);
			b->tx[nreply].msg_hdr.msg_namelen = flow.peer.len;
			nreply++;
		}
		if (nreply)
			flush_replies(u, b, nreply);
		if (n < UDP_BATCH)
			return;
	}
}

int udp_sock_attach(struct udp_sock *u, struct vs_worker *w, int fd,
		    const struct vs_sockaddr *local, uint8_t index)
{
	u->index = index;
	u->io.fd = fd;
	u->io.handler = udp_readable;
	u->w = w;
	u->local = *local;
	return vs_loop_add(&w->loop, &u->io, EPOLLIN);
}

int udp_sock_send(struct udp_sock *u, const struct vs_sockaddr *dst,
		  const char *buf, size_t len)
{
	ssize_t r;

	do
		r = sendto(u->io.fd, buf, len, MSG_DONTWAIT, &dst->u.sa,
			   dst->len);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		vs_stat_inc(&u->w->stats, VS_STAT_TX_ERRORS);
		return errno;
	}
	vs_stat_inc(&u->w->stats, VS_STAT_TX_UDP);
	return 0;
}

void udp_sock_close(struct udp_sock *u)
{
	if (u->io.fd >= 0) {
		vs_loop_del(&u->w->loop, &u->io);
		close(u->io.fd);
		u->io.fd = -1;
	}
}
