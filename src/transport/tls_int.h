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

#endif
