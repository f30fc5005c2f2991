/*
 * tls_int.h - the TLS session, shared by tls.c and tls_ident.c only.
 */
#ifndef VS_TRANSPORT_TLS_INT_H
#define VS_TRANSPORT_TLS_INT_H

#include <openssl/ssl.h>
#include <stdbool.h>

struct tls_conn {
	SSL *ssl;
	bool ready; /* handshake done */
};

/* RFC 5922 identity matching on a certificate (tls_ident.c; also the
 * fuzz harness's entry). */
bool tls_cert_names(X509 *cert, const char *name);

#endif
