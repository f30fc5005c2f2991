/*
 * store.h - the embedded store: one SQLite database, voipshield.db, in the
 * state directory, in WAL mode.
 *
 * It keeps what must survive a restart or a kill -9: users (HA1 hashes per
 * algorithm, never passwords), registrations and bans.  A handle is one SQLite
 * connection and belongs to one thread; each thread that needs the store
 * opens its own.  SQLite serialises writers across threads and processes
 * (the `voipshield user` command writes while the daemon runs).
 *
 * A committed transaction is in the WAL file before the call returns, so
 * it survives the process being killed; synchronous=NORMAL leaves only
 * the last transactions before a power cut or kernel crash at risk.
 */
#ifndef VS_STORE_STORE_H
#define VS_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/digest.h"

#define VS_STORE_FILE "voipshield.db"
#define VS_USER_MAX 64	 /* user name, without NUL */
#define VS_REALM_MAX 128 /* realm, without NUL */
#define VS_CERT_NAME_MAX 255 /* certificate identity, without NUL */

struct vs_store;

/*
 * Open (and create or upgrade) the database in state_dir.  Returns 0, or
 * -1 with a message for the operator in err.
 */
int vs_store_open(const char *state_dir, struct vs_store **out, char *err,
		  size_t errlen);
void vs_store_close(struct vs_store *st);
/* The last SQLite error of this handle, for messages. */
const char *vs_store_errmsg(struct vs_store *st);

/* Group several writes into one transaction (one WAL commit). */
int vs_store_begin(struct vs_store *st);
int vs_store_commit(struct vs_store *st);
void vs_store_rollback(struct vs_store *st);

/* Users.  ha1[algo] is lower-case hex, or "" when not provisioned. */
struct vs_user_rec {
	char user[VS_USER_MAX + 1];
	char realm[VS_REALM_MAX + 1];
	char ha1[AUTH_ALGO_COUNT][AUTH_HEX_MAX];
	/* Transport policy (schema 3; see docs/tls.md): */
	uint32_t flags;			  /* VS_USER_* */
	char cert[VS_CERT_NAME_MAX + 1]; /* "" or the identity a client
					    certificate must carry */
};

#define VS_USER_TLS_ONLY 1u /* registrations and calls over TLS only */

/* Insert a user, or change the hashes of one that exists (its transport
 * policy stays).  Returns 0 or EIO. */
int vs_store_user_put(struct vs_store *st, const struct vs_user_rec *u);
/* Set the transport policy (flags, cert) of an existing user.  Returns
 * 0, ENOENT or EIO. */
int vs_store_user_policy(struct vs_store *st, const struct vs_user_rec *u);
/* Returns 0, ENOENT or EIO. */
int vs_store_user_get(struct vs_store *st, const char *user, size_t ulen,
		      const char *realm, size_t rlen, struct vs_user_rec *out);
int vs_store_user_del(struct vs_store *st, const char *user,
		      const char *realm);
/* Calls fn for each user in name order; stops at the first non-zero. */
int vs_store_user_foreach(struct vs_store *st,
			  int (*fn)(const struct vs_user_rec *u, void *arg),
			  void *arg);

/* Registrations (see registrar/location.h). */
struct vs_binding_rec {
	const char *aor, *contact, *path, *call_id;
	uint32_t cseq;
	uint64_t expires; /* seconds since the epoch */
	uint16_t q;
	uint8_t transport; /* enum vs_transport */
	const char *peer;  /* source IP as text */
	uint16_t port;
};

int vs_store_binding_put(struct vs_store *st, const struct vs_binding_rec *b);
int vs_store_binding_del(struct vs_store *st, const char *aor,
			 const char *contact);
/* Calls fn for each binding that expires after now. */
int vs_store_binding_foreach(struct vs_store *st, uint64_t now,
			     int (*fn)(const struct vs_binding_rec *b,
				       void *arg),
			     void *arg);
/* Calls fn for the binding of aor with this contact, if there is one
 * (expired or not): 0, fn's non-zero, or EIO. */
int vs_store_binding_get(struct vs_store *st, const char *aor, const char *contact,
			 int (*fn)(const struct vs_binding_rec *b, void *arg), void *arg);
/* Delete bindings that expired at or before now; returns how many, or -1. */
int vs_store_binding_purge(struct vs_store *st, uint64_t now);

/* Bans (shield/shield.h): by address and port (0 = any port). */
struct vs_ban_rec {
	const char *address; /* IPv4 or IPv6 as text */
	uint16_t port;
	int64_t until, last; /* seconds since the epoch */
	uint32_t offences;
	const char *reason;
	bool manual;
};

int vs_store_ban_put(struct vs_store *st, const struct vs_ban_rec *b);
int vs_store_ban_del(struct vs_store *st, const char *address, uint16_t port);
/* Calls fn for each stored ban, soonest end first. */
int vs_store_ban_foreach(struct vs_store *st,
			 int (*fn)(const struct vs_ban_rec *b, void *arg),
			 void *arg);

/* True when name is acceptable as a user name (RFC 3261 user part
 * characters other than escapes, 1 to VS_USER_MAX bytes). */
bool vs_user_name_valid(const char *name, size_t len);

#endif
