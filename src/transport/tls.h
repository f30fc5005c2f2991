/*
 * tls.h - SIP over TLS (RFC 3261 26.2, RFC 5630) on OpenSSL 3: server
 * contexts for TLS listeners and the per-connection session, behind an
 * interface that keeps OpenSSL out of every SIP file (only tcp.c and
 * tls.c see it).
 *
 * A connection reads and writes through tls_conn_read/tls_conn_write,
 * which drive the handshake first; both say when they need the socket to
 * become readable or writable again.
 */
#ifndef VS_TRANSPORT_TLS_H
#define VS_TRANSPORT_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "core/config.h"

struct tls_server; /* an SSL_CTX for one listener */
struct tls_conn;   /* an SSL for one connection */

/* The context for listener l: certificate chain and key, TLS 1.2 or 1.3
 * minimum, the configured ciphers and groups, no compression, no
 * renegotiation, session tickets on.  NULL with a message in err. */
struct tls_server *tls_server_new(const struct vs_config *cfg,
				  const struct vs_listener *l, char *err,
				  size_t errlen);
void tls_server_free(struct tls_server *s);

/* A server-side session on a connected socket. */
struct tls_conn *tls_conn_accept(struct tls_server *s, int fd);
void tls_conn_free(struct tls_conn *c);

enum tls_io {
	TLS_IO_OK,	   /* n bytes moved (n > 0) */
	TLS_IO_WANT_READ,  /* wait until the socket is readable */
	TLS_IO_WANT_WRITE, /* wait until the socket is writable */
	TLS_IO_CLOSED,	   /* the peer closed (close_notify or EOF) */
	TLS_IO_ERROR,	   /* handshake or record failure: close */
};

/* Handshake until done; TLS_IO_OK once it is. */
enum tls_io tls_conn_handshake(struct tls_conn *c);
bool tls_conn_ready(const struct tls_conn *c); /* handshake done */
enum tls_io tls_conn_read(struct tls_conn *c, char *buf, size_t len,
			  size_t *n);
enum tls_io tls_conn_write(struct tls_conn *c, const char *buf, size_t len,
			   size_t *n);
/* The protocol and cipher negotiated, for logs ("TLSv1.3 TLS_AES_..."). */
const char *tls_conn_version(const struct tls_conn *c);
const char *tls_conn_cipher(const struct tls_conn *c);

#endif
