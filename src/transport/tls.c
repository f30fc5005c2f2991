/*
 * tls.c - TLS sessions on OpenSSL 3 (see tls.h).
 *
 * OpenSSL (Debian libssl-dev) is the TLS library of the field; writing TLS
 * is not our business.  Sessions run on the worker's non-blocking sockets:
 * SSL_read/SSL_write report WANT_READ/WANT_WRITE and tcp.c waits for epoll.
 */
#include "transport/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tls_server {
	SSL_CTX *ctx;
};

struct tls_conn {
	SSL *ssl;
	bool ready;
};

static void ssl_error(char *err, size_t errlen, const char *what,
		      const char *path)
{
	unsigned long e = ERR_get_error();
	char buf[256];

	ERR_error_string_n(e, buf, sizeof(buf));
	snprintf(err, errlen, "%s %s: %s", what, path, e ? buf : "unknown error");
	ERR_clear_error();
}

struct tls_server *tls_server_new(const struct vs_config *cfg,
				  const struct vs_listener *l, char *err,
				  size_t errlen)
{
	struct tls_server *s = calloc(1, sizeof(*s));
	SSL_CTX *ctx;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx) {
		ssl_error(err, errlen, "TLS", "context");
		free(s);
		return NULL;
	}
	s->ctx = ctx;
	SSL_CTX_set_min_proto_version(ctx, cfg->tls_min_version);
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION |
					 SSL_OP_NO_RENEGOTIATION |
					 SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
				      SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
				      SSL_MODE_RELEASE_BUFFERS);
	if (SSL_CTX_set_cipher_list(ctx, cfg->tls_ciphers) != 1) {
		ssl_error(err, errlen, "tls.ciphers", cfg->tls_ciphers);
		goto fail;
	}
	if (SSL_CTX_set1_groups_list(ctx, cfg->tls_groups) != 1) {
		ssl_error(err, errlen, "tls.groups", cfg->tls_groups);
		goto fail;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, l->tls_cert) != 1) {
		ssl_error(err, errlen, "cannot load the certificate chain",
			  l->tls_cert);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, l->tls_key, SSL_FILETYPE_PEM) != 1) {
		ssl_error(err, errlen, "cannot load the private key", l->tls_key);
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		ssl_error(err, errlen, "the key does not match the certificate",
			  l->tls_key);
		goto fail;
	}
	/* Resumption: stateless tickets (keys rotate with the process). */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
	return s;
fail:
	tls_server_free(s);
	return NULL;
}

void tls_server_free(struct tls_server *s)
{
	if (!s)
		return;
	SSL_CTX_free(s->ctx);
	free(s);
}

struct tls_conn *tls_conn_accept(struct tls_server *s, int fd)
{
	struct tls_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->ssl = SSL_new(s->ctx);
	if (!c->ssl || SSL_set_fd(c->ssl, fd) != 1) {
		SSL_free(c->ssl);
		free(c);
		ERR_clear_error();
		return NULL;
	}
	SSL_set_accept_state(c->ssl);
	return c;
}

void tls_conn_free(struct tls_conn *c)
{
	if (!c)
		return;
	if (c->ready)
		(void)SSL_shutdown(c->ssl); /* close_notify, best effort */
	SSL_free(c->ssl);
	ERR_clear_error();
	free(c);
}

static enum tls_io map(struct tls_conn *c, int rc)
{
	switch (SSL_get_error(c->ssl, rc)) {
	case SSL_ERROR_WANT_READ:
		return TLS_IO_WANT_READ;
	case SSL_ERROR_WANT_WRITE:
		return TLS_IO_WANT_WRITE;
	case SSL_ERROR_ZERO_RETURN:
		return TLS_IO_CLOSED;
	default:
		ERR_clear_error();
		return TLS_IO_ERROR;
	}
}

enum tls_io tls_conn_handshake(struct tls_conn *c)
{
	int rc;

	if (c->ready)
		return TLS_IO_OK;
	rc = SSL_do_handshake(c->ssl);
	if (rc == 1) {
		c->ready = true;
		return TLS_IO_OK;
	}
	return map(c, rc);
}

bool tls_conn_ready(const struct tls_conn *c)
{
	return c->ready;
}

enum tls_io tls_conn_read(struct tls_conn *c, char *buf, size_t len,
			  size_t *n)
{
	enum tls_io h = tls_conn_handshake(c);

	*n = 0;
	if (h != TLS_IO_OK)
		return h;
	if (SSL_read_ex(c->ssl, buf, len, n) == 1)
		return TLS_IO_OK;
	return map(c, 0);
}

enum tls_io tls_conn_write(struct tls_conn *c, const char *buf, size_t len,
			   size_t *n)
{
	enum tls_io h = tls_conn_handshake(c);

	*n = 0;
	if (h != TLS_IO_OK)
		return h;
	if (SSL_write_ex(c->ssl, buf, len, n) == 1)
		return TLS_IO_OK;
	return map(c, 0);
}

const char *tls_conn_version(const struct tls_conn *c)
{
	return SSL_get_version(c->ssl);
}

const char *tls_conn_cipher(const struct tls_conn *c)
{
	return SSL_get_cipher_name(c->ssl);
}
