/*
 * tcp.h - SIP over TCP: listeners and connections owned by one worker.
 */
#ifndef VS_TRANSPORT_TCP_H
#define VS_TRANSPORT_TCP_H

#include <stdbool.h>

#include "core/loop.h"
#include "core/timer.h"
#include "transport/addr.h"
#include "transport/tcp_frame.h"

struct vs_worker;
struct tls_server;
struct tls_conn;

struct tcp_listener {
	struct vs_io io;
	struct vs_worker *w;
	struct timer pause; /* out of descriptors: retry accepting later */
	uint8_t listener;   /* in the configuration (its zone) */
	struct tls_server *tls; /* a TLS listener's context, or NULL */
};

struct tcp_conn {
	struct vs_io io;
	struct vs_worker *w;
	struct vs_sockaddr peer;
	uint64_t id;	/* generation << 32 | slot, see tcp_conn_find */
	struct tcp_conn *prev, *next;

	char *rbuf;	/* received bytes; grows up to tcp.max_buffer */
	size_t rstart;	/* first unconsumed byte */
	size_t rlen;	/* end of received bytes */
	size_t rcap;
	struct tcp_frame_state frame; /* framing progress */

	char *wbuf;	/* bytes the kernel did not take yet */
	size_t wlen, wcap;

	struct timer timer;
	uint64_t last_rx_ms;
	uint64_t msg_start_ms; /* first byte of an unfinished message, or 0 */
	uint64_t noise_window_ms; /* keep-alive flood window start */
	uint32_t noise;		  /* keep-alives and stray line ends in it */
	bool want_out;
	bool closing;
	bool connecting; /* outbound, connect() not finished */
	uint8_t listener; /* accepted on; VS_FLOW_NO_LISTENER when outbound */
	uint8_t tp;	  /* VS_TP_TCP or VS_TP_TLS */
	struct tls_conn *tls; /* TLS session, or NULL */
	bool tls_want_write;  /* the session waits for the socket to drain */
	bool handshaking;     /* inbound, counted in tls_handshaking */
	char *tls_name; /* outbound TLS: the identity the peer must prove
			   (RFC 5922), checked when the handshake is done;
			   NULL when not checked */
	uint64_t ping_ms; /* outbound: when we last sent a CRLF keep-alive */
};

/* The other end of an outbound TLS connection: who it must be. */
struct tcp_tls_peer {
	struct tls_client *client;
	const char *name; /* host name or IP address */
	bool verify;	  /* chain and name; false: neither (lab setting) */
};

int tcp_listener_attach(struct tcp_listener *l, struct vs_worker *w, int fd);
void tcp_listener_close(struct tcp_listener *l);
/* Queue bytes on a connection; false if it had to be closed. */
bool tcp_conn_send(struct tcp_conn *c, const char *buf, size_t len);
void tcp_conn_destroy(struct tcp_conn *c);
/* Open a connection to peer from worker w (non-blocking; what is sent
 * before it is up waits in its buffer), with TLS when tls is not NULL.
 * NULL when refused at once. */
struct tcp_conn *tcp_conn_connect(struct vs_worker *w,
				  const struct vs_sockaddr *peer,
				  const struct tcp_tls_peer *tls);
/* The worker's connection with this id, or NULL once it has closed. */
struct tcp_conn *tcp_conn_find(struct vs_worker *w, uint64_t id);
/* True while any connection of the worker still has bytes to write. */
bool tcp_worker_pending_output(const struct vs_worker *w);

#endif
