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
struct tls_client; /* the SSL_CTX for connections the daemon opens */
struct tls_conn;   /* an SSL for one connection */

/* The context for listener l: certificate chain and key, TLS 1.2 or 1.3
 * minimum, the configured ciphers and groups, no compression, no
 * renegotiation, session tickets on.  NULL with a message in err. */
struct tls_server *tls_server_new(const struct vs_config *cfg,
				  const struct vs_listener *l, char *err,
				  size_t errlen);
void tls_server_free(struct tls_server *s);

/* The context for outbound connections: the same versions, ciphers and
 * groups as the listeners; trust anchors from tls.ca_file (else the
 * system's store); tls.client_cert and tls.client_key presented when a
 * peer asks for a client certificate.  NULL with a message in err. */
struct tls_client *tls_client_new(const struct vs_config *cfg, char *err,
				  size_t errlen);
void tls_client_free(struct tls_client *c);

/* A server-side session on a connected socket. */
struct tls_conn *tls_conn_accept(struct tls_server *s, int fd);
/* A client-side session on a connecting socket, for a peer that must
 * prove the identity name (a host name or an IP address; RFC 5922: the
 * chain is verified in the handshake, the name by tls_conn_peer_is once
 * it is done).  name also goes into SNI when it is a host name.  With
 * verify false the chain is not checked (a lab setting). */
struct tls_conn *tls_conn_connect(struct tls_client *c, int fd,
				  const char *name, bool verify);
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
/* Why the peer's certificate chain was refused (after a failed
 * handshake), or NULL when that was not the reason. */
const char *tls_conn_verify_error(const struct tls_conn *c);
/* RFC 5922 7.2: the peer's certificate (already verified) names name,
 * compared exactly and case-insensitively, wildcards never matching:
 * an IP address against the iPAddress entries; a host name against the
 * subjectAltName URIs sip:name and DNS entries, or the subject's common
 * name when the certificate has neither.  tls_ident.c. */
bool tls_conn_peer_is(const struct tls_conn *c, const char *name);
/* The protocol and cipher negotiated, for logs ("TLSv1.3 TLS_AES_..."). */
const char *tls_conn_version(const struct tls_conn *c);
const char *tls_conn_cipher(const struct tls_conn *c);

#endif
