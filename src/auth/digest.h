/*
 * digest.h - SIP digest authentication arithmetic (RFC 3261 22.4,
 * RFC 2617 3.2.2, RFC 7616 3.4, RFC 8760 for SHA-256 and SHA-512-256 in
 * SIP).  Credentials are stored only as HA1 = H(username:realm:password);
 * this module computes HA1 for provisioning and checks a client's response
 * against a stored HA1 in constant time.
 */
#ifndef VS_AUTH_DIGEST_H
#define VS_AUTH_DIGEST_H

#include <stdbool.h>

#include "core/pl.h"

enum auth_algo {
	AUTH_ALGO_MD5 = 0,
	AUTH_ALGO_SHA256,
	AUTH_ALGO_SHA512_256,
	AUTH_ALGO_COUNT
};

/* Longest hex digest (SHA-256 and SHA-512-256: 64) plus NUL. */
#define AUTH_HEX_MAX 65

/*
 * "MD5", "SHA-256", "SHA-512-256", each optionally with "-sess", any case
 * (RFC 7616 3.3).  An absent algorithm parameter means MD5 (RFC 2617).
 * Returns 0 or EINVAL.
 */
int auth_algo_parse(const struct pl *name, enum auth_algo *algo, bool *sess);
const char *auth_algo_name(enum auth_algo algo);
/* Length of the hex digest: 32 or 64. */
size_t auth_algo_hexlen(enum auth_algo algo);

/* H(data) as lower-case hex. */
int auth_hash_hex(enum auth_algo algo, const void *data, size_t len,
		  char out[AUTH_HEX_MAX]);

/* HA1 = H(username ":" realm ":" password) as lower-case hex in out. */
int auth_ha1(enum auth_algo algo, const struct pl *user, const struct pl *realm,
	     const struct pl *password, char out[AUTH_HEX_MAX]);

struct auth_digest_in {
	enum auth_algo algo;
	bool sess;	    /* "-sess" algorithm variant */
	struct pl ha1;	    /* stored HA1, hex */
	struct pl nonce;
	struct pl cnonce;   /* with qop */
	struct pl nc;	    /* with qop: 8 hex digits */
	struct pl qop;	    /* "auth", "auth-int", or unset (RFC 2069 form) */
	struct pl method;
	struct pl uri;	    /* the digest-uri parameter, as sent */
	struct pl body;	    /* for auth-int */
};

/* The response the client should have sent, as lower-case hex. */
int auth_response(const struct auth_digest_in *in, char out[AUTH_HEX_MAX]);

/* Does response match?  Constant time in the response's content. */
bool auth_response_ok(const struct auth_digest_in *in,
		      const struct pl *response);

/* Constant-time equality of two byte strings of the same length. */
bool auth_ct_eq(const void *a, const void *b, size_t len);

#endif
