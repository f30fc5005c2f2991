/*
 * challenge.h - digest authentication of SIP requests (RFC 3261 22.4,
 * RFC 7616, RFC 8760): the challenge (401 WWW-Authenticate or 407
 * Proxy-Authenticate, one per configured algorithm, strongest first) and
 * the check of a request's credentials.
 *
 * An unknown user, a wrong password, a nonce that is not ours and a
 * replayed nonce-count all give the same result (a fresh challenge), so
 * the answers do not tell an attacker which user names exist.
 */
#ifndef VS_AUTH_CHALLENGE_H
#define VS_AUTH_CHALLENGE_H

#include "auth/digest.h"
#include "auth/nonce.h"
#include "core/mbuf.h"
#include "sip/local.h"
#include "sip/msg.h"

/* Look up the stored HA1 of user@realm for algo: 0, ENOENT or EIO. */
typedef int (*auth_ha1_lookup_h)(void *ctx, const struct pl *user,
				 const struct pl *realm, enum auth_algo algo,
				 char out[AUTH_HEX_MAX]);

struct auth_params {
	const uint8_t *secret; /* AUTH_SECRET_LEN bytes */
	struct auth_nc_table *nc;
	struct pl realm;
	const uint8_t *algos; /* enum auth_algo, offer order */
	unsigned nalgos;
	uint32_t nonce_lifetime; /* seconds */
	uint64_t now;		 /* seconds since the epoch */
	/* Nonces issued before this (the daemon's start) are stale: the
	 * nonce-count table that guards them against replay did not survive
	 * the restart, so the client is asked to take a fresh nonce. */
	uint64_t not_before;
	auth_ha1_lookup_h lookup;
	void *lookup_ctx;
	/* This server's addresses and domains: a digest-uri that is not the
	 * Request-URI must at least name this server (SIPp, and phones behind
	 * some ALGs, send the server's address instead). */
	const struct sip_local *local;
};

enum auth_result {
	AUTH_RES_NONE,	    /* no credentials for our realm: challenge */
	AUTH_RES_OK,	    /* *user is the authenticated user name */
	AUTH_RES_STALE,	    /* right password, old nonce: stale=true */
	AUTH_RES_FAILED,    /* wrong, unknown, replayed or foreign: challenge */
	AUTH_RES_REPLAY,    /* like FAILED, but the nonce-count was reused */
	AUTH_RES_MALFORMED, /* 400: credentials we cannot read */
	AUTH_RES_ERROR,	    /* 500: the store failed */
	AUTH_RES_FORBIDDEN, /* 403: right credentials, but the account may
			       not be used this way (srv_authenticate) */
};

/*
 * Check the Authorization (proxy = false) or Proxy-Authorization (proxy =
 * true) credentials of req.  On AUTH_RES_OK, *user is a slice of req.
 */
enum auth_result auth_check(const struct auth_params *p,
			    const struct sip_msg *req, bool proxy,
			    struct pl *user);

/* Append the challenge header lines (each ending in CRLF). */
void auth_challenge_print(struct mbuf *mb, const struct auth_params *p,
			  bool proxy, bool stale);

#endif
