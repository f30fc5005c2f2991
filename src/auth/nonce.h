/*
 * nonce.h - stateless digest nonces and nonce-count replay protection
 * (RFC 3261 22.4, RFC 7616 3.3 and 5.4).
 *
 * A nonce carries its issue time and a serial number, authenticated with
 * HMAC-SHA256 under a server secret kept in the state directory, so the
 * server checks any nonce it ever issued (also after a restart) without
 * storing it.  What must be remembered, the highest nonce-count used with
 * each nonce, lives in a bounded table (auth_nc_table), filled only after
 * a response verified, so an attacker without a password cannot fill it.
 */
#ifndef VS_AUTH_NONCE_H
#define VS_AUTH_NONCE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/pl.h"

#define AUTH_SECRET_LEN 32
/* base64url of 8 (time) + 8 (serial) + 16 (MAC) bytes, no padding. */
#define AUTH_NONCE_LEN 43

/*
 * Read the secret from path, or create it (0600, from getrandom) when it
 * does not exist.  Returns 0, or -1 with a message for the operator.
 */
int auth_secret_load(const char *path, uint8_t secret[AUTH_SECRET_LEN],
		     char *err, size_t errlen);

/* A fresh nonce for realm at now (seconds since the epoch); out gets
 * AUTH_NONCE_LEN characters and a NUL. */
void auth_nonce_make(const uint8_t secret[AUTH_SECRET_LEN],
		     const struct pl *realm, uint64_t now,
		     char out[AUTH_NONCE_LEN + 1]);

enum auth_nonce_status {
	AUTH_NONCE_OK = 0,
	AUTH_NONCE_STALE,   /* ours, but older than the lifetime: stale=true */
	AUTH_NONCE_INVALID, /* not ours, altered, for another realm, or future */
};

/* Check a nonce; *issued receives its issue time when it is ours. */
enum auth_nonce_status auth_nonce_check(const uint8_t secret[AUTH_SECRET_LEN],
					const struct pl *realm,
					const struct pl *nonce, uint64_t now,
					uint32_t lifetime, uint64_t *issued);

/* Bounded memory of the nonce-counts used, sharded for the workers. */
#define AUTH_NC_SHARDS 16
struct auth_nc_entry {
	uint64_t key;	  /* from the nonce's MAC; 0 = free */
	uint64_t expires; /* issue time + lifetime */
	uint32_t last_nc; /* highest nonce-count accepted; 0 = no-qop use */
};
struct auth_nc_shard {
	pthread_mutex_t lock;
	struct auth_nc_entry *slots;
	uint32_t nslots; /* power of two */
};
struct auth_nc_table {
	struct auth_nc_shard shard[AUTH_NC_SHARDS];
	_Atomic uint64_t evictions; /* live entries pushed out by a full table */
};

int auth_nc_init(struct auth_nc_table *t, uint32_t capacity);
void auth_nc_destroy(struct auth_nc_table *t);

enum auth_nc_status {
	AUTH_NC_OK = 0,
	AUTH_NC_REPLAY, /* nonce-count not above the last one accepted */
};

/*
 * Record a verified use of nonce with nonce-count nc (hex string, or unset
 * for the RFC 2069 form, in which case the nonce may be used only once).
 * Returns AUTH_NC_REPLAY when the count does not increase.
 */
enum auth_nc_status auth_nc_use(struct auth_nc_table *t, const struct pl *nonce,
				const struct pl *nc, uint64_t issued,
				uint32_t lifetime, uint64_t now);

/* Parse an 8-hex-digit nonce-count; returns 0 or EINVAL. */
int auth_nc_parse(const struct pl *nc, uint32_t *out);

#endif
