/* Unit tests for store/sqlite.c: the users table, transactions, the file's
 * mode, schema versions, and vs_user_name_valid. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "store/store.h"

static char err[1024];

/* A fresh, empty state directory. */
static void make_dir(char *dir, size_t size)
{
	snprintf(dir, size, "/tmp/vs-store-test-XXXXXX");
	assert_non_null(mkdtemp(dir));
}

static void db_path(const char *dir, const char *suffix, char *out, size_t size)
{
	snprintf(out, size, "%s/%s%s", dir, VS_STORE_FILE, suffix);
}

static void remove_dir(const char *dir)
{
	static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
	char p[512];

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		db_path(dir, suffixes[i], p, sizeof(p));
		unlink(p);
	}
	assert_int_equal(rmdir(dir), 0);
}

static struct vs_store *open_ok(const char *dir)
{
	struct vs_store *st = NULL;

	err[0] = 0;
	if (vs_store_open(dir, &st, err, sizeof(err)) != 0)
		fail_msg("vs_store_open(%s): %s", dir, err);
	assert_non_null(st);
	return st;
}

static void make_user(struct vs_user_rec *u, const char *user,
		      const char *realm, char fill)
{
	memset(u, 0, sizeof(*u));
	snprintf(u->user, sizeof(u->user), "%s", user);
	snprintf(u->realm, sizeof(u->realm), "%s", realm);
	memset(u->ha1[AUTH_ALGO_MD5], fill, 32);
	memset(u->ha1[AUTH_ALGO_SHA256], fill, 64);
	/* Not provisioned for SHA-512-256: stays "". */
}

static int get(struct vs_store *st, const char *user, const char *realm,
	       struct vs_user_rec *out)
{
	return vs_store_user_get(st, user, strlen(user), realm, strlen(realm),
				 out);
}

/* PRAGMA value through a connection of the test's own. */
static void pragma_text(const char *dir, const char *pragma, char *out,
			size_t size)
{
	char p[512], sql[128];
	sqlite3 *db;
	sqlite3_stmt *s;

	db_path(dir, "", p, sizeof(p));
	assert_int_equal(sqlite3_open_v2(p, &db, SQLITE_OPEN_READWRITE, NULL),
			 SQLITE_OK);
	snprintf(sql, sizeof(sql), "PRAGMA %s", pragma);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	snprintf(out, size, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static void exec_sql(const char *dir, const char *sql)
{
	char p[512];
	sqlite3 *db;

	db_path(dir, "", p, sizeof(p));
	assert_int_equal(sqlite3_open_v2(p, &db,
					 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
					 NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static void test_open_creates_private_wal_db(void **state)
{
	char dir[64], p[512], v[64];
	struct vs_store *st;
	struct stat sb;
	mode_t old;

	(void)state;
	make_dir(dir, sizeof(dir));
	db_path(dir, "", p, sizeof(p));
	assert_int_equal(stat(p, &sb), -1);
	/* A permissive umask must not make the credential store readable. */
	old = umask(022);
	st = open_ok(dir);
	/* The umask of the process is given back. */
	assert_int_equal(umask(old), 022);
	assert_int_equal(stat(p, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(sb.st_mode & 0777, 0600);
	/* The WAL and its index, if there, are as private as the db. */
	db_path(dir, "-wal", p, sizeof(p));
	if (stat(p, &sb) == 0)
		assert_int_equal(sb.st_mode & 0777, 0600);
	db_path(dir, "-shm", p, sizeof(p));
	if (stat(p, &sb) == 0)
		assert_int_equal(sb.st_mode & 0777, 0600);
	pragma_text(dir, "journal_mode", v, sizeof(v));
	assert_string_equal(v, "wal");
	pragma_text(dir, "user_version", v, sizeof(v));
	assert_string_equal(v, "3");
	vs_store_close(st);
	vs_store_close(NULL); /* harmless */
	remove_dir(dir);
}

static void test_open_missing_dir_fails(void **state)
{
	struct vs_store *st = (struct vs_store *)&st;

	(void)state;
	err[0] = 0;
	assert_int_equal(vs_store_open("/nonexistent/vs-store-test", &st, err,
				       sizeof(err)),
			 -1);
	assert_null(st);
	assert_non_null(strstr(err, "/nonexistent/vs-store-test"));
}

static void test_put_get_replace_del(void **state)
{
	char dir[64], longname[VS_USER_MAX + 2], longrealm[VS_REALM_MAX + 2];
	struct vs_user_rec u, got;
	struct vs_store *st;

	(void)state;
	make_dir(dir, sizeof(dir));
	st = open_ok(dir);

	make_user(&u, "alice", "example.test", 'a');
	assert_int_equal(vs_store_user_put(st, &u), 0);
	memset(&got, 'x', sizeof(got));
	assert_int_equal(get(st, "alice", "example.test", &got), 0);
	assert_string_equal(got.user, "alice");
	assert_string_equal(got.realm, "example.test");
	assert_string_equal(got.ha1[AUTH_ALGO_MD5], u.ha1[AUTH_ALGO_MD5]);
	assert_string_equal(got.ha1[AUTH_ALGO_SHA256], u.ha1[AUTH_ALGO_SHA256]);
	assert_string_equal(got.ha1[AUTH_ALGO_SHA512_256], "");

	/* Lengths are honoured: a longer buffer, a prefix of it. */
	assert_int_equal(vs_store_user_get(st, "alicexyz", 5, "example.testXX",
					   12, &got),
			 0);
	assert_string_equal(got.user, "alice");

	/* Missing: other user, other realm, a prefix, case differs. */
	assert_int_equal(get(st, "bob", "example.test", &got), ENOENT);
	assert_int_equal(get(st, "alice", "other.test", &got), ENOENT);
	assert_int_equal(get(st, "alic", "example.test", &got), ENOENT);
	assert_int_equal(get(st, "Alice", "example.test", &got), ENOENT);

	/* Over-long names and realms are simply not there. */
	memset(longname, 'a', sizeof(longname));
	longname[VS_USER_MAX + 1] = 0;
	assert_int_equal(get(st, longname, "example.test", &got), ENOENT);
	memset(longrealm, 'r', sizeof(longrealm));
	longrealm[VS_REALM_MAX + 1] = 0;
	assert_int_equal(get(st, "alice", longrealm, &got), ENOENT);

	/* A name of exactly VS_USER_MAX works. */
	longname[VS_USER_MAX] = 0;
	make_user(&u, longname, "example.test", 'c');
	assert_int_equal(vs_store_user_put(st, &u), 0);
	assert_int_equal(get(st, longname, "example.test", &got), 0);
	assert_string_equal(got.user, longname);

	/* Put replaces. */
	make_user(&u, "alice", "example.test", 'b');
	memset(u.ha1[AUTH_ALGO_SHA512_256], 'e', 64);
	assert_int_equal(vs_store_user_put(st, &u), 0);
	assert_int_equal(get(st, "alice", "example.test", &got), 0);
	assert_string_equal(got.ha1[AUTH_ALGO_MD5], u.ha1[AUTH_ALGO_MD5]);
	assert_string_equal(got.ha1[AUTH_ALGO_SHA256], u.ha1[AUTH_ALGO_SHA256]);
	assert_string_equal(got.ha1[AUTH_ALGO_SHA512_256],
			    u.ha1[AUTH_ALGO_SHA512_256]);

	/* The same name in another realm is another user. */
	make_user(&u, "alice", "other.test", 'd');
	assert_int_equal(vs_store_user_put(st, &u), 0);

	/* Delete: once, then it is gone; the other realm's alice stays. */
	assert_int_equal(vs_store_user_del(st, "alice", "example.test"), 0);
	assert_int_equal(get(st, "alice", "example.test", &got), ENOENT);
	assert_int_equal(vs_store_user_del(st, "alice", "example.test"), ENOENT);
	assert_int_equal(vs_store_user_del(st, "nobody", "example.test"), ENOENT);
	assert_int_equal(get(st, "alice", "other.test", &got), 0);
	assert_string_equal(got.ha1[AUTH_ALGO_MD5], u.ha1[AUTH_ALGO_MD5]);

	vs_store_close(st);
	remove_dir(dir);
}

struct collect {
	int n, stop_after;
	char seen[8][VS_USER_MAX + VS_REALM_MAX + 2];
};

static int collect_fn(const struct vs_user_rec *u, void *arg)
{
	struct collect *c = arg;

	if (c->n < 8)
		snprintf(c->seen[c->n], sizeof(c->seen[c->n]), "%s/%s",
			 u->realm, u->user);
	c->n++;
	return c->stop_after && c->n == c->stop_after ? 7 : 0;
}

static void test_foreach_order_and_stop(void **state)
{
	static const char *const put[][2] = {
		{"bob", "b.test"}, {"alice", "b.test"}, {"zed", "a.test"},
		{"carol", "a.test"}, {"Bob", "b.test"},
	};
	/* realm first, then username, byte order ('B' < 'a'). */
	static const char *const want[] = {"a.test/carol", "a.test/zed",
					   "b.test/Bob", "b.test/alice",
					   "b.test/bob"};
	char dir[64];
	struct vs_store *st;
	struct vs_user_rec u;
	struct collect c;

	(void)state;
	make_dir(dir, sizeof(dir));
	st = open_ok(dir);

	memset(&c, 0, sizeof(c));
	assert_int_equal(vs_store_user_foreach(st, collect_fn, &c), 0);
	assert_int_equal(c.n, 0);

	for (size_t i = 0; i < sizeof(put) / sizeof(put[0]); i++) {
		make_user(&u, put[i][0], put[i][1], 'a');
		assert_int_equal(vs_store_user_put(st, &u), 0);
	}
	memset(&c, 0, sizeof(c));
	assert_int_equal(vs_store_user_foreach(st, collect_fn, &c), 0);
	assert_int_equal(c.n, 5);
	for (int i = 0; i < 5; i++)
		assert_string_equal(c.seen[i], want[i]);

	/* The callback's non-zero value stops the walk and is returned. */
	memset(&c, 0, sizeof(c));
	c.stop_after = 2;
	assert_int_equal(vs_store_user_foreach(st, collect_fn, &c), 7);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.seen[1], "a.test/zed");

	/* An early stop leaves the store usable: writes go through, and the
	 * next walk starts from the beginning. */
	assert_int_equal(vs_store_user_del(st, "zed", "a.test"), 0);
	memset(&c, 0, sizeof(c));
	assert_int_equal(vs_store_user_foreach(st, collect_fn, &c), 0);
	assert_int_equal(c.n, 4);
	assert_string_equal(c.seen[0], "a.test/carol");
	assert_string_equal(c.seen[1], "b.test/Bob");

	vs_store_close(st);
	remove_dir(dir);
}

static void test_transactions(void **state)
{
	char dir[64];
	struct vs_store *st;
	struct vs_user_rec u, got;
	struct collect c;

	(void)state;
	make_dir(dir, sizeof(dir));
	st = open_ok(dir);

	/* Rolled back: nothing is left. */
	assert_int_equal(vs_store_begin(st), 0);
	make_user(&u, "alice", "example.test", 'a');
	assert_int_equal(vs_store_user_put(st, &u), 0);
	make_user(&u, "bob", "example.test", 'b');
	assert_int_equal(vs_store_user_put(st, &u), 0);
	/* Visible inside the transaction. */
	assert_int_equal(get(st, "alice", "example.test", &got), 0);
	vs_store_rollback(st);
	assert_int_equal(get(st, "alice", "example.test", &got), ENOENT);
	assert_int_equal(get(st, "bob", "example.test", &got), ENOENT);
	memset(&c, 0, sizeof(c));
	assert_int_equal(vs_store_user_foreach(st, collect_fn, &c), 0);
	assert_int_equal(c.n, 0);

	/* Committed: survives close and reopen. */
	assert_int_equal(vs_store_begin(st), 0);
	make_user(&u, "alice", "example.test", 'a');
	assert_int_equal(vs_store_user_put(st, &u), 0);
	make_user(&u, "bob", "example.test", 'b');
	assert_int_equal(vs_store_user_put(st, &u), 0);
	assert_int_equal(vs_store_commit(st), 0);
	/* Commit without a transaction is an error, not a crash. */
	assert_int_not_equal(vs_store_commit(st), 0);
	vs_store_close(st);

	st = open_ok(dir);
	assert_int_equal(get(st, "alice", "example.test", &got), 0);
	assert_int_equal(get(st, "bob", "example.test", &got), 0);
	assert_string_equal(got.ha1[AUTH_ALGO_MD5], u.ha1[AUTH_ALGO_MD5]);
	vs_store_close(st);
	remove_dir(dir);
}

static void test_two_handles(void **state)
{
	char dir[64];
	struct vs_store *a, *b;
	struct vs_user_rec u, got;

	(void)state;
	make_dir(dir, sizeof(dir));
	a = open_ok(dir);
	b = open_ok(dir);
	/* One connection's uncommitted writes are not seen by another. */
	assert_int_equal(vs_store_begin(a), 0);
	make_user(&u, "alice", "example.test", 'a');
	assert_int_equal(vs_store_user_put(a, &u), 0);
	assert_int_equal(get(b, "alice", "example.test", &got), ENOENT);
	assert_int_equal(vs_store_commit(a), 0);
	assert_int_equal(get(b, "alice", "example.test", &got), 0);
	/* A write on b is seen by a. */
	assert_int_equal(vs_store_user_del(b, "alice", "example.test"), 0);
	assert_int_equal(get(a, "alice", "example.test", &got), ENOENT);
	vs_store_close(a);
	vs_store_close(b);
	remove_dir(dir);
}

static void test_reopen_and_versions(void **state)
{
	char dir[64], v[64];
	struct vs_store *st;
	struct vs_user_rec u, got;

	(void)state;
	make_dir(dir, sizeof(dir));
	st = open_ok(dir);
	make_user(&u, "alice", "example.test", 'a');
	assert_int_equal(vs_store_user_put(st, &u), 0);
	vs_store_close(st);

	/* Opening an existing database again (migration is idempotent). */
	for (int i = 0; i < 3; i++) {
		st = open_ok(dir);
		assert_int_equal(get(st, "alice", "example.test", &got), 0);
		vs_store_close(st);
	}
	pragma_text(dir, "user_version", v, sizeof(v));
	assert_string_equal(v, "3");

	/* Version 0 with the tables already there (an interrupted first
	 * open): upgraded in place, nothing lost. */
	exec_sql(dir, "PRAGMA user_version = 0");
	st = open_ok(dir);
	assert_int_equal(get(st, "alice", "example.test", &got), 0);
	vs_store_close(st);
	pragma_text(dir, "user_version", v, sizeof(v));
	assert_string_equal(v, "3");

	/* Written by a newer voipshield: refused, and left alone. */
	exec_sql(dir, "PRAGMA user_version = 99");
	st = (struct vs_store *)&st;
	err[0] = 0;
	assert_int_equal(vs_store_open(dir, &st, err, sizeof(err)), -1);
	assert_null(st);
	assert_non_null(strstr(err, "newer"));
	assert_non_null(strstr(err, "99"));
	assert_non_null(strstr(err, VS_STORE_FILE));
	pragma_text(dir, "user_version", v, sizeof(v));
	assert_string_equal(v, "99");
	remove_dir(dir);

	/* A database that only ever had user_version 99 (no tables). */
	make_dir(dir, sizeof(dir));
	exec_sql(dir, "PRAGMA user_version = 99");
	err[0] = 0;
	assert_int_equal(vs_store_open(dir, &st, err, sizeof(err)), -1);
	assert_null(st);
	assert_non_null(strstr(err, "newer"));
	remove_dir(dir);

	/* An empty file someone touched is a new database. */
	make_dir(dir, sizeof(dir));
	{
		char p[512];
		FILE *f;
		db_path(dir, "", p, sizeof(p));
		f = fopen(p, "w");
		assert_non_null(f);
		fclose(f);
	}
	st = open_ok(dir);
	assert_int_equal(vs_store_user_put(st, &u), 0);
	vs_store_close(st);
	remove_dir(dir);

	/* A file that is not a database: an error with a message. */
	make_dir(dir, sizeof(dir));
	{
		char p[512];
		FILE *f;
		db_path(dir, "", p, sizeof(p));
		f = fopen(p, "w");
		assert_non_null(f);
		for (int i = 0; i < 200; i++)
			fputs("this is not an SQLite database\n", f);
		fclose(f);
	}
	err[0] = 0;
	assert_int_equal(vs_store_open(dir, &st, err, sizeof(err)), -1);
	assert_null(st);
	assert_true(err[0] != 0);
	remove_dir(dir);
}

/* Schema 3: the transport policy of users, kept by password changes, and
 * added to a schema 2 database without losing anyone. */
static void test_user_policy_and_v2_upgrade(void **state)
{
	char dir[256], v[32];
	struct vs_user_rec u, got;
	struct vs_store *st;

	(void)state;
	make_dir(dir, sizeof(dir));
	st = open_ok(dir);
	make_user(&u, "alice", "example.test", 'a');
	assert_int_equal(vs_store_user_put(st, &u), 0);
	assert_int_equal(get(st, "alice", "example.test", &got), 0);
	assert_int_equal(got.flags, 0);
	assert_string_equal(got.cert, "");
	u.flags = VS_USER_TLS_ONLY;
	snprintf(u.cert, sizeof(u.cert), "alice@example.test");
	assert_int_equal(vs_store_user_policy(st, &u), 0);
	/* A new password (put) keeps the policy. */
	make_user(&u, "alice", "example.test", 'b');
	assert_int_equal(vs_store_user_put(st, &u), 0);
	assert_int_equal(get(st, "alice", "example.test", &got), 0);
	assert_int_equal(got.flags, VS_USER_TLS_ONLY);
	assert_string_equal(got.cert, "alice@example.test");
	assert_int_equal(got.ha1[AUTH_ALGO_MD5][0], 'b');
	make_user(&u, "nobody", "example.test", 'c');
	assert_int_equal(vs_store_user_policy(st, &u), ENOENT);
	vs_store_close(st);
	remove_dir(dir);

	/* A schema 2 database: users without the policy columns. */
	make_dir(dir, sizeof(dir));
	exec_sql(dir, "CREATE TABLE users (username TEXT NOT NULL, realm TEXT NOT NULL,"
		      " ha1_md5 TEXT NOT NULL DEFAULT '', ha1_sha256 TEXT NOT NULL DEFAULT '',"
		      " ha1_sha512_256 TEXT NOT NULL DEFAULT '',"
		      " PRIMARY KEY (username, realm)) WITHOUT ROWID;"
		      "INSERT INTO users VALUES ('bob', 'example.test', 'x', 'y', '');"
		      "PRAGMA user_version = 2;");
	st = open_ok(dir);
	assert_int_equal(get(st, "bob", "example.test", &got), 0);
	assert_string_equal(got.ha1[AUTH_ALGO_MD5], "x");
	assert_int_equal(got.flags, 0);
	assert_string_equal(got.cert, "");
	vs_store_close(st);
	pragma_text(dir, "user_version", v, sizeof(v));
	assert_string_equal(v, "3");
	remove_dir(dir);
}

static void test_user_name_valid(void **state)
{
	static const char *const good[] = {
		"alice", "+4930123", "a.b-c_d", "A", "0", "Bob.Smith",
		"x!~*'()&=+$,;?/", "1234567890",
	};
	static const char *const bad[] = {
		"", "alice@example.test", "a:b", "bad name", "a%41", "a\tb",
		"a\nb", "\x01", "a\x7f", "a\"b", "<a>", "a#b", "a\\b",
		"caf\xc3\xa9", "a[b]", "a|b",
	};
	char name[VS_USER_MAX + 2];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (!vs_user_name_valid(good[i], strlen(good[i])))
			fail_msg("'%s' should be a valid user name", good[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (vs_user_name_valid(bad[i], strlen(bad[i])))
			fail_msg("'%s' should not be a valid user name", bad[i]);
	}
	/* Every control character, anywhere. */
	for (int ch = 0; ch < 0x20; ch++) {
		char s[4] = {'a', (char)ch, 'b', 0};
		assert_false(vs_user_name_valid(s, 3));
		assert_false(vs_user_name_valid(s + 1, 1));
	}
	/* The length given counts, not a NUL: an embedded NUL is refused. */
	assert_false(vs_user_name_valid("a\0b", 3));
	assert_true(vs_user_name_valid("alice@x", 5));
	/* 1 to VS_USER_MAX bytes. */
	memset(name, 'u', sizeof(name));
	name[VS_USER_MAX + 1] = 0;
	assert_true(vs_user_name_valid(name, VS_USER_MAX));
	assert_false(vs_user_name_valid(name, VS_USER_MAX + 1));
	assert_false(vs_user_name_valid(name, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_creates_private_wal_db),
		cmocka_unit_test(test_open_missing_dir_fails),
		cmocka_unit_test(test_put_get_replace_del),
		cmocka_unit_test(test_foreach_order_and_stop),
		cmocka_unit_test(test_transactions),
		cmocka_unit_test(test_two_handles),
		cmocka_unit_test(test_reopen_and_versions),
		cmocka_unit_test(test_user_policy_and_v2_upgrade),
		cmocka_unit_test(test_user_name_valid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
