/*
 * sqlite.c - the embedded store on SQLite (see store.h).
 *
 * SQLite (libsqlite3 from Debian) rather than a file format of our own:
 * crash-safe transactions, concurrent readers beside one writer in WAL
 * mode, and a file an operator can inspect with the sqlite3 shell.
 */
#include "store/store.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>


#define SCHEMA_VERSION 3

enum stmt_id {
	ST_USER_PUT,
	ST_USER_POLICY,
	ST_USER_GET,
	ST_USER_DEL,
	ST_USER_LIST,
	ST_BIND_PUT,
	ST_BIND_DEL,
	ST_BIND_LIST,
	ST_BIND_PURGE,
	ST_BIND_GET,
	ST_BAN_PUT,
	ST_BAN_DEL,
	ST_BAN_LIST,
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
	[ST_USER_PUT] = "INSERT INTO users(username, realm, ha1_md5, "
			"ha1_sha256, ha1_sha512_256) VALUES (?1, ?2, ?3, ?4, ?5) "
			"ON CONFLICT(username, realm) DO UPDATE SET "
			"ha1_md5 = ?3, ha1_sha256 = ?4, ha1_sha512_256 = ?5",
	[ST_USER_POLICY] = "UPDATE users SET tls_only = ?3, cert = ?4 "
			   "WHERE username = ?1 AND realm = ?2",
	[ST_USER_GET] = "SELECT username, realm, ha1_md5, ha1_sha256, "
			"ha1_sha512_256, tls_only, cert FROM users "
			"WHERE username = ?1 AND realm = ?2",
	[ST_USER_DEL] = "DELETE FROM users WHERE username = ?1 AND realm = ?2",
	[ST_USER_LIST] = "SELECT username, realm, ha1_md5, ha1_sha256, "
			 "ha1_sha512_256, tls_only, cert FROM users "
			 "ORDER BY realm, username",
	[ST_BIND_PUT] = "INSERT OR REPLACE INTO bindings(aor, contact, path, "
			"call_id, cseq, expires, q, transport, peer, port) "
			"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[ST_BIND_DEL] = "DELETE FROM bindings WHERE aor = ?1 AND contact = ?2",
	[ST_BIND_LIST] = "SELECT aor, contact, path, call_id, cseq, expires, q, "
			 "transport, peer, port FROM bindings WHERE expires > ?1",
	[ST_BIND_PURGE] = "DELETE FROM bindings WHERE expires <= ?1",
	[ST_BIND_GET] = "SELECT aor, contact, path, call_id, cseq, expires, q, "
			"transport, peer, port FROM bindings WHERE aor = ?1 AND contact = ?2",
	[ST_BAN_PUT] = "INSERT OR REPLACE INTO bans(address, port, until, last, "
		       "offences, reason, manual) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[ST_BAN_DEL] = "DELETE FROM bans WHERE address = ?1 AND port = ?2",
	[ST_BAN_LIST] = "SELECT address, port, until, last, offences, reason, "
			"manual FROM bans ORDER BY until",
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
};

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS users ("
	" username TEXT NOT NULL,"
	" realm TEXT NOT NULL,"
	" ha1_md5 TEXT NOT NULL DEFAULT '',"
	" ha1_sha256 TEXT NOT NULL DEFAULT '',"
	" ha1_sha512_256 TEXT NOT NULL DEFAULT '',"
	" PRIMARY KEY (username, realm)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS bindings ("
	" aor TEXT NOT NULL,"
	" contact TEXT NOT NULL,"
	" path TEXT NOT NULL DEFAULT '',"
	" call_id TEXT NOT NULL,"
	" cseq INTEGER NOT NULL,"
	" expires INTEGER NOT NULL,"
	" q INTEGER NOT NULL,"
	" transport INTEGER NOT NULL,"
	" peer TEXT NOT NULL,"
	" port INTEGER NOT NULL,"
	" PRIMARY KEY (aor, contact)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS bindings_expires ON bindings(expires);"
	/* Schema 2: bans (shield/shield.h). */
	"CREATE TABLE IF NOT EXISTS bans ("
	" address TEXT NOT NULL,"
	" port INTEGER NOT NULL,"
	" until INTEGER NOT NULL,"
	" last INTEGER NOT NULL,"
	" offences INTEGER NOT NULL,"
	" reason TEXT NOT NULL,"
	" manual INTEGER NOT NULL,"
	" PRIMARY KEY (address, port)) WITHOUT ROWID;";

struct vs_store {
	sqlite3 *db;
	sqlite3_stmt *stmt[ST_COUNT];
};

const char *vs_store_errmsg(struct vs_store *st)
{
	return st && st->db ? sqlite3_errmsg(st->db) : "no database";
}

static int exec(struct vs_store *st, const char *sql, char *err, size_t errlen,
		const char *what)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	snprintf(err, errlen, "%s: %s", what, msg ? msg : "unknown error");
	sqlite3_free(msg);
	return -1;
}

/* ALTER TABLE users ADD COLUMN def, unless it is there already (a
 * migration interrupted before user_version was written). */
static int add_column(struct vs_store *st, const char *def, char *err,
		      size_t errlen, const char *path)
{
	char sql[160];
	size_t n = strcspn(def, " ");
	sqlite3_stmt *s;
	bool have = false;

	if (sqlite3_prepare_v2(st->db, "PRAGMA table_info(users)", -1, &s,
			       NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(st->db));
		return -1;
	}
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(s, 1);
		if (name && strlen(name) == n && !strncmp(name, def, n))
			have = true;
	}
	sqlite3_finalize(s);
	if (have)
		return 0;
	snprintf(sql, sizeof(sql), "ALTER TABLE users ADD COLUMN %s", def);
	return exec(st, sql, err, errlen, path);
}

static int migrate(struct vs_store *st, const char *path, char *err,
		   size_t errlen)
{
	sqlite3_stmt *s;
	int version = 0;

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(st->db));
		return -1;
	}
	if (sqlite3_step(s) == SQLITE_ROW)
		version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (version > SCHEMA_VERSION) {
		snprintf(err, errlen,
			 "%s was written by a newer voipshield (schema %d, this one knows %d): upgrade voipshield",
			 path, version, SCHEMA_VERSION);
		return -1;
	}
	if (version == SCHEMA_VERSION)
		return 0;
	if (exec(st, "BEGIN IMMEDIATE", err, errlen, path))
		return -1;
	if (exec(st, schema, err, errlen, path) ||
	    /* Schema 3: the users' transport policy (docs/tls.md). */
	    add_column(st, "tls_only INTEGER NOT NULL DEFAULT 0", err, errlen,
		       path) ||
	    add_column(st, "cert TEXT NOT NULL DEFAULT ''", err, errlen, path) ||
	    exec(st, "PRAGMA user_version = 3", err, errlen, path) ||
	    exec(st, "COMMIT", err, errlen, path)) {
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

int vs_store_open(const char *state_dir, struct vs_store **out, char *err,
		  size_t errlen)
{
	char path[4096];
	struct vs_store *st;
	mode_t old;
	int rc;

	*out = NULL;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", state_dir,
			     VS_STORE_FILE) >= sizeof(path)) {
		snprintf(err, errlen, "%s: path too long", state_dir);
		return -1;
	}
	st = calloc(1, sizeof(*st));
	if (!st) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* The database holds credential hashes: owner only. */
	old = umask(077);
	rc = sqlite3_open_v2(path, &st->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				     SQLITE_OPEN_NOMUTEX,
			     NULL);
	umask(old);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "cannot open %s: %s", path,
			 st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_busy_timeout(st->db, 5000);
	sqlite3_extended_result_codes(st->db, 1);
	if (exec(st, "PRAGMA journal_mode = WAL", err, errlen, path) ||
	    exec(st, "PRAGMA synchronous = NORMAL", err, errlen, path) ||
	    migrate(st, path, err, errlen))
		goto fail;
	for (int i = 0; i < ST_COUNT; i++) {
		if (sqlite3_prepare_v3(st->db, stmt_sql[i], -1,
				       SQLITE_PREPARE_PERSISTENT, &st->stmt[i],
				       NULL) != SQLITE_OK) {
			snprintf(err, errlen, "%s: %s", path,
				 sqlite3_errmsg(st->db));
			goto fail;
		}
	}
	*out = st;
	return 0;
fail:
	vs_store_close(st);
	return -1;
}

void vs_store_close(struct vs_store *st)
{
	if (!st)
		return;
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	sqlite3_close(st->db);
	free(st);
}

/* Run a statement without result rows and reset it. */
static int step_done(struct vs_store *st, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	(void)st;
	return rc == SQLITE_DONE ? 0 : EIO;
}

int vs_store_begin(struct vs_store *st)
{
	return step_done(st, st->stmt[ST_BEGIN]);
}

int vs_store_commit(struct vs_store *st)
{
	return step_done(st, st->stmt[ST_COMMIT]);
}

void vs_store_rollback(struct vs_store *st)
{
	(void)step_done(st, st->stmt[ST_ROLLBACK]);
}

static void copy_col(sqlite3_stmt *s, int col, char *dst, size_t size)
{
	const unsigned char *v = sqlite3_column_text(s, col);
	int n = sqlite3_column_bytes(s, col);

	if (!v || n < 0 || (size_t)n >= size)
		n = 0;
	if (n)
		memcpy(dst, v, (size_t)n);
	dst[n] = 0;
}

static void user_from_row(sqlite3_stmt *s, struct vs_user_rec *u)
{
	copy_col(s, 0, u->user, sizeof(u->user));
	copy_col(s, 1, u->realm, sizeof(u->realm));
	for (int a = 0; a < AUTH_ALGO_COUNT; a++)
		copy_col(s, 2 + a, u->ha1[a], sizeof(u->ha1[a]));
	u->flags = sqlite3_column_int(s, 2 + AUTH_ALGO_COUNT) ? VS_USER_TLS_ONLY
							      : 0;
	copy_col(s, 3 + AUTH_ALGO_COUNT, u->cert, sizeof(u->cert));
}

int vs_store_user_put(struct vs_store *st, const struct vs_user_rec *u)
{
	sqlite3_stmt *s = st->stmt[ST_USER_PUT];

	sqlite3_bind_text(s, 1, u->user, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, u->realm, -1, SQLITE_STATIC);
	for (int a = 0; a < AUTH_ALGO_COUNT; a++)
		sqlite3_bind_text(s, 3 + a, u->ha1[a], -1, SQLITE_STATIC);
	return step_done(st, s);
}

int vs_store_user_policy(struct vs_store *st, const struct vs_user_rec *u)
{
	sqlite3_stmt *s = st->stmt[ST_USER_POLICY];
	int err;

	sqlite3_bind_text(s, 1, u->user, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, u->realm, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, (u->flags & VS_USER_TLS_ONLY) ? 1 : 0);
	sqlite3_bind_text(s, 4, u->cert, -1, SQLITE_STATIC);
	err = step_done(st, s);
	if (!err && sqlite3_changes(st->db) == 0)
		err = ENOENT;
	return err;
}

int vs_store_user_get(struct vs_store *st, const char *user, size_t ulen,
		      const char *realm, size_t rlen, struct vs_user_rec *out)
{
	sqlite3_stmt *s = st->stmt[ST_USER_GET];
	int rc;

	if (ulen > VS_USER_MAX || rlen > VS_REALM_MAX)
		return ENOENT;
	sqlite3_bind_text(s, 1, user, (int)ulen, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, realm, (int)rlen, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		user_from_row(s, out);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? ENOENT : EIO;
}

int vs_store_user_del(struct vs_store *st, const char *user, const char *realm)
{
	sqlite3_stmt *s = st->stmt[ST_USER_DEL];
	int err;

	sqlite3_bind_text(s, 1, user, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, realm, -1, SQLITE_STATIC);
	err = step_done(st, s);
	if (!err && sqlite3_changes(st->db) == 0)
		err = ENOENT;
	return err;
}

int vs_store_user_foreach(struct vs_store *st,
			  int (*fn)(const struct vs_user_rec *u, void *arg),
			  void *arg)
{
	sqlite3_stmt *s = st->stmt[ST_USER_LIST];
	struct vs_user_rec u;
	int rc, ret = 0;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		user_from_row(s, &u);
		ret = fn(&u, arg);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = EIO;
	sqlite3_reset(s);
	return ret;
}

int vs_store_binding_put(struct vs_store *st, const struct vs_binding_rec *b)
{
	sqlite3_stmt *s = st->stmt[ST_BIND_PUT];

	sqlite3_bind_text(s, 1, b->aor, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, b->contact, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, b->path ? b->path : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, b->call_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, b->cseq);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)b->expires);
	sqlite3_bind_int(s, 7, b->q);
	sqlite3_bind_int(s, 8, b->transport);
	sqlite3_bind_text(s, 9, b->peer, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 10, b->port);
	return step_done(st, s);
}

int vs_store_binding_del(struct vs_store *st, const char *aor,
			 const char *contact)
{
	sqlite3_stmt *s = st->stmt[ST_BIND_DEL];

	sqlite3_bind_text(s, 1, aor, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, contact, -1, SQLITE_STATIC);
	return step_done(st, s);
}

/* Each row of s (a statement over the bindings' columns) to fn. */
static int binding_rows(sqlite3_stmt *s, int (*fn)(const struct vs_binding_rec *b, void *arg),
			void *arg)
{
	int rc, ret = 0;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct vs_binding_rec b;
		b.aor = (const char *)sqlite3_column_text(s, 0);
		b.contact = (const char *)sqlite3_column_text(s, 1);
		b.path = (const char *)sqlite3_column_text(s, 2);
		b.call_id = (const char *)sqlite3_column_text(s, 3);
		b.cseq = (uint32_t)sqlite3_column_int64(s, 4);
		b.expires = (uint64_t)sqlite3_column_int64(s, 5);
		b.q = (uint16_t)sqlite3_column_int(s, 6);
		b.transport = (uint8_t)sqlite3_column_int(s, 7);
		b.peer = (const char *)sqlite3_column_text(s, 8);
		b.port = (uint16_t)sqlite3_column_int(s, 9);
		if (!b.aor || !b.contact || !b.path || !b.call_id || !b.peer)
			continue;
		ret = fn(&b, arg);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = EIO;
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return ret;
}

int vs_store_binding_foreach(struct vs_store *st, uint64_t now,
			     int (*fn)(const struct vs_binding_rec *b,
				       void *arg),
			     void *arg)
{
	sqlite3_stmt *s = st->stmt[ST_BIND_LIST];

	sqlite3_bind_int64(s, 1, (sqlite3_int64)now);
	return binding_rows(s, fn, arg);
}

int vs_store_binding_get(struct vs_store *st, const char *aor, const char *contact,
			 int (*fn)(const struct vs_binding_rec *b, void *arg), void *arg)
{
	sqlite3_stmt *s = st->stmt[ST_BIND_GET];

	sqlite3_bind_text(s, 1, aor, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, contact, -1, SQLITE_STATIC);
	return binding_rows(s, fn, arg);
}

int vs_store_binding_purge(struct vs_store *st, uint64_t now)
{
	sqlite3_stmt *s = st->stmt[ST_BIND_PURGE];

	sqlite3_bind_int64(s, 1, (sqlite3_int64)now);
	if (step_done(st, s))
		return -1;
	return sqlite3_changes(st->db);
}

int vs_store_ban_put(struct vs_store *st, const struct vs_ban_rec *b)
{
	sqlite3_stmt *s = st->stmt[ST_BAN_PUT];

	sqlite3_bind_text(s, 1, b->address, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, b->port);
	sqlite3_bind_int64(s, 3, b->until);
	sqlite3_bind_int64(s, 4, b->last);
	sqlite3_bind_int64(s, 5, b->offences);
	sqlite3_bind_text(s, 6, b->reason, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 7, b->manual);
	return step_done(st, s);
}

int vs_store_ban_del(struct vs_store *st, const char *address, uint16_t port)
{
	sqlite3_stmt *s = st->stmt[ST_BAN_DEL];

	sqlite3_bind_text(s, 1, address, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, port);
	return step_done(st, s);
}

int vs_store_ban_foreach(struct vs_store *st,
			 int (*fn)(const struct vs_ban_rec *b, void *arg),
			 void *arg)
{
	sqlite3_stmt *s = st->stmt[ST_BAN_LIST];
	int rc, ret = 0;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct vs_ban_rec b;
		b.address = (const char *)sqlite3_column_text(s, 0);
		b.port = (uint16_t)sqlite3_column_int(s, 1);
		b.until = sqlite3_column_int64(s, 2);
		b.last = sqlite3_column_int64(s, 3);
		b.offences = (uint32_t)sqlite3_column_int64(s, 4);
		b.reason = (const char *)sqlite3_column_text(s, 5);
		b.manual = sqlite3_column_int(s, 6) != 0;
		if (!b.address || !b.reason)
			continue;
		ret = fn(&b, arg);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = EIO;
	sqlite3_reset(s);
	return ret;
}

bool vs_user_name_valid(const char *name, size_t len)
{
	/* RFC 3261 25.1: unreserved / user-unreserved, without escapes, so
	 * that a name is spelled one way only. */
	static const char extra[] = "-_.!~*'()&=+$,;?/";

	if (len == 0 || len > VS_USER_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || (c && strchr(extra, c))))
			return false;
	}
	return true;
}
