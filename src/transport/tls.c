/*
 * tls.c - TLS sessions on OpenSSL 3 (see tls.h).
 *
 * OpenSSL (Debian libssl-dev) is the TLS library of the field; writing TLS
 * is not our business.  Sessions run on the worker's non-blocking sockets:
 * SSL_read/SSL_write report WANT_READ/WANT_WRITE and tcp.c waits for epoll.
 */
#include "transport/tls.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <openssl/err.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "transport/tls_int.h"

/* The tls_sni certificates of a listener, hung on its SSL_CTX as ex_data
 * so that they live as long as the context: a handshake begun before a
 * reload may read them after the reload dropped the listener's wrapper. */
struct sni_table {
	size_t n;
	struct {
		char name[256];
		SSL_CTX *ctx;
	} e[];
};

struct tls_server {
	SSL_CTX *ctx;
};

static int sni_index = -1;
static pthread_once_t sni_once = PTHREAD_ONCE_INIT;

static void sni_table_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad,
			   int idx, long argl, void *argp)
{
	struct sni_table *t = ptr;

	(void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		SSL_CTX_free(t->e[i].ctx);
	free(t);
}

static void sni_index_init(void)
{
	sni_index = CRYPTO_get_ex_new_index(CRYPTO_EX_INDEX_SSL_CTX, 0, NULL,
					    NULL, NULL, sni_table_free);
}

struct tls_client {
	SSL_CTX *ctx;
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

/* What every context shares: versions, suites, groups, no compression,
 * no renegotiation.  0, or -1 with a message in err. */
static int ctx_common(SSL_CTX *ctx, const struct vs_config *cfg, char *err,
		      size_t errlen)
{
	SSL_CTX_set_min_proto_version(ctx, cfg->tls_min_version);
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION |
					 SSL_OP_NO_RENEGOTIATION |
					 SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
				      SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
				      SSL_MODE_RELEASE_BUFFERS);
	if (SSL_CTX_set_cipher_list(ctx, cfg->tls_ciphers) != 1) {
		ssl_error(err, errlen, "tls.ciphers", cfg->tls_ciphers);
		return -1;
	}
	if (SSL_CTX_set1_groups_list(ctx, cfg->tls_groups) != 1) {
		ssl_error(err, errlen, "tls.groups", cfg->tls_groups);
		return -1;
	}
	return 0;
}

/* A certificate chain and its key into ctx. */
static int ctx_cert(SSL_CTX *ctx, const char *cert, const char *key,
		    char *err, size_t errlen)
{
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		ssl_error(err, errlen, "cannot load the certificate chain", cert);
		return -1;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		ssl_error(err, errlen, "cannot load the private key", key);
		return -1;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		ssl_error(err, errlen, "the key does not match the certificate",
			  key);
		return -1;
	}
	return 0;
}

/* The SNI callback: a client that asks for one of the tls_sni names gets
 * that certificate (the connection switches to its context; verification
 * settings stay those of the listener). */
static int sni_select(SSL *ssl, int *alert, void *arg)
{
	const struct sni_table *t =
		SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), sni_index);
	const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);

	(void)alert, (void)arg;
	if (!name || !t)
		return SSL_TLSEXT_ERR_NOACK;
	for (size_t i = 0; i < t->n; i++) {
		if (strcasecmp(t->e[i].name, name) == 0) {
			SSL_set_SSL_CTX(ssl, t->e[i].ctx);
			return SSL_TLSEXT_ERR_OK;
		}
	}
	return SSL_TLSEXT_ERR_NOACK; /* the default certificate */
}

struct tls_server *tls_server_new(const struct vs_config *cfg,
				  const struct vs_listener *l, char *err,
				  size_t errlen)
{
	size_t li = (size_t)(l - cfg->listen), n = 0;
	struct tls_server *s;
	unsigned char sid[32];
	char id[96];

	struct sni_table *t = NULL;

	for (size_t i = 0; i < cfg->nsni; i++)
		n += cfg->sni[i].listener == li;
	s = calloc(1, sizeof(*s));
	if (s && n) {
		t = calloc(1, sizeof(*t) + n * sizeof(t->e[0]));
		if (!t) {
			free(s);
			s = NULL;
		}
	}
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->ctx = SSL_CTX_new(TLS_server_method());
	if (!s->ctx) {
		ssl_error(err, errlen, "TLS", "context");
		free(t);
		free(s);
		return NULL;
	}
	if (t) {
		pthread_once(&sni_once, sni_index_init);
		if (sni_index < 0 ||
		    SSL_CTX_set_ex_data(s->ctx, sni_index, t) != 1) {
			free(t);
			ssl_error(err, errlen, "TLS", "SNI table");
			goto fail;
		}
	}
	if (ctx_common(s->ctx, cfg, err, errlen) ||
	    ctx_cert(s->ctx, l->tls_cert, l->tls_key, err, errlen))
		goto fail;
	if (l->tls_verify_client != VS_TLS_VERIFY_NONE) {
		STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(l->tls_ca);
		if (!names ||
		    SSL_CTX_load_verify_locations(s->ctx, l->tls_ca, NULL) != 1) {
			sk_X509_NAME_pop_free(names, X509_NAME_free);
			ssl_error(err, errlen, "cannot load tls_ca", l->tls_ca);
			goto fail;
		}
		SSL_CTX_set_client_CA_list(s->ctx, names);
		SSL_CTX_set_verify(s->ctx,
				   SSL_VERIFY_PEER |
					   (l->tls_verify_client ==
							    VS_TLS_VERIFY_REQUIRED
						    ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT
						    : 0),
				   NULL);
	}
	/* Resumption: stateless tickets (keys rotate with the process); a
	 * resumed session keeps the client certificate it was verified with,
	 * within this listener only. */
	n = (size_t)snprintf(id, sizeof(id), "%s:%u", l->address, l->port);
	SHA256((const unsigned char *)id, n < sizeof(id) ? n : sizeof(id) - 1,
	       sid);
	SSL_CTX_set_session_id_context(s->ctx, sid, sizeof(sid));
	SSL_CTX_set_session_cache_mode(s->ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(s->ctx, 1);
	for (size_t i = 0; t && i < cfg->nsni; i++) {
		const struct vs_sni *e = &cfg->sni[i];
		SSL_CTX *x;
		if (e->listener != li)
			continue;
		x = SSL_CTX_new(TLS_server_method());
		if (!x) {
			ssl_error(err, errlen, "TLS", "context");
			goto fail;
		}
		t->e[t->n].ctx = x; /* owned by the table from here */
		snprintf(t->e[t->n].name, sizeof(t->e[t->n].name), "%s", e->name);
		t->n++;
		if (ctx_common(x, cfg, err, errlen) ||
		    ctx_cert(x, e->cert, e->key, err, errlen)) {
			size_t m = strlen(err);
			snprintf(err + m, errlen > m ? errlen - m : 0,
				 " (tls_sni '%s', line %d)", e->name, e->line);
			goto fail;
		}
		SSL_CTX_set_session_id_context(x, sid, sizeof(sid));
	}
	if (t)
		SSL_CTX_set_tlsext_servername_callback(s->ctx, sni_select);
	return s;
fail:
	tls_server_free(s);
	return NULL;
}

void tls_server_free(struct tls_server *s)
{
	if (!s)
		return;
	SSL_CTX_free(s->ctx); /* and, with its last reference, the SNI table */
	free(s);
}

struct tls_client *tls_client_new(const struct vs_config *cfg, char *err,
				  size_t errlen)
{
	struct tls_client *c = calloc(1, sizeof(*c));

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->ctx = SSL_CTX_new(TLS_client_method());
	if (!c->ctx) {
		ssl_error(err, errlen, "TLS", "context");
		free(c);
		return NULL;
	}
	if (ctx_common(c->ctx, cfg, err, errlen))
		goto fail;
	if (cfg->tls_ca_file[0]) {
		if (SSL_CTX_load_verify_locations(c->ctx, cfg->tls_ca_file,
						  NULL) != 1) {
			ssl_error(err, errlen, "cannot load tls.ca_file",
				  cfg->tls_ca_file);
			goto fail;
		}
	} else if (SSL_CTX_set_default_verify_paths(c->ctx) != 1) {
		ssl_error(err, errlen, "cannot load", "the system's CA store");
		goto fail;
	}
	if (cfg->tls_client_cert[0] &&
	    ctx_cert(c->ctx, cfg->tls_client_cert, cfg->tls_client_key, err,
		     errlen))
		goto fail;
	return c;
fail:
	tls_client_free(c);
	return NULL;
}

void tls_client_free(struct tls_client *c)
{
	if (!c)
		return;
	SSL_CTX_free(c->ctx);
	free(c);
}

struct tls_conn *tls_conn_connect(struct tls_client *cl, int fd,
				  const char *name, bool verify)
{
	struct tls_conn *c = calloc(1, sizeof(*c));
	struct in6_addr ip;
	bool is_ip;

	if (!c)
		return NULL;
	is_ip = inet_pton(AF_INET, name, &ip) == 1 ||
		inet_pton(AF_INET6, name, &ip) == 1;
	c->ssl = SSL_new(cl->ctx);
	if (!c->ssl || SSL_set_fd(c->ssl, fd) != 1 ||
	    (!is_ip && SSL_set_tlsext_host_name(c->ssl, name) != 1)) {
		SSL_free(c->ssl);
		free(c);
		ERR_clear_error();
		return NULL;
	}
	/* The chain is checked in the handshake; the name afterwards, by
	 * RFC 5922's rules (tls_conn_peer_is), which OpenSSL's host check
	 * does not follow (sip: URIs, no wildcards). */
	SSL_set_verify(c->ssl, verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE,
		       NULL);
	SSL_set_connect_state(c->ssl);
	return c;
}

const char *tls_conn_verify_error(const struct tls_conn *c)
{
	long v = SSL_get_verify_result(c->ssl);

	return v == X509_V_OK ? NULL : X509_verify_cert_error_string(v);
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
