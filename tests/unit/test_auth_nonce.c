/* Unit tests for auth/nonce.c: stateless nonces and replay protection. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "auth/nonce.h"
#include "core/hash.h"

static uint8_t secret[AUTH_SECRET_LEN];
static const struct pl realm = {"example.com", 11};

static void test_roundtrip_and_expiry(void **state)
{
	char n[AUTH_NONCE_LEN + 1];
	uint64_t issued = 0;
	struct pl pn;

	(void)state;
	auth_nonce_make(secret, &realm, 1000000, n);
	assert_int_equal(strlen(n), AUTH_NONCE_LEN);
	pn = pl_from_cstr(n);
	assert_int_equal(auth_nonce_check(secret, &realm, &pn, 1000000, 300, &issued),
			 AUTH_NONCE_OK);
	assert_int_equal(issued, 1000000);
	assert_int_equal(auth_nonce_check(secret, &realm, &pn, 1000300, 300, NULL),
			 AUTH_NONCE_OK);
	/* Past its lifetime: ours, but stale (the client retries, RFC 7616). */
	assert_int_equal(auth_nonce_check(secret, &realm, &pn, 1000301, 300, NULL),
			 AUTH_NONCE_STALE);
	/* From the future: refused. */
	assert_int_equal(auth_nonce_check(secret, &realm, &pn, 999000, 300, NULL),
			 AUTH_NONCE_INVALID);
}

static void test_forgeries(void **state)
{
	char n[AUTH_NONCE_LEN + 1], m[AUTH_NONCE_LEN + 1];
	uint8_t other[AUTH_SECRET_LEN];
	struct pl pn, other_realm = PL("evil.example");

	(void)state;
	auth_nonce_make(secret, &realm, 5000, n);
	pn = pl_from_cstr(n);
	/* Every single-character change is caught. */
	for (size_t i = 0; i < AUTH_NONCE_LEN; i++) {
		memcpy(m, n, sizeof(m));
		m[i] = m[i] == 'A' ? 'B' : 'A';
		struct pl pm = pl_from_cstr(m);
		assert_int_equal(auth_nonce_check(secret, &realm, &pm, 5000, 300, NULL),
				 AUTH_NONCE_INVALID);
	}
	/* Another realm, another secret, wrong lengths, junk. */
	assert_int_equal(auth_nonce_check(secret, &other_realm, &pn, 5000, 300, NULL),
			 AUTH_NONCE_INVALID);
	memcpy(other, secret, sizeof(other));
	other[0] ^= 1;
	assert_int_equal(auth_nonce_check(other, &realm, &pn, 5000, 300, NULL),
			 AUTH_NONCE_INVALID);
	pn.l--;
	assert_int_equal(auth_nonce_check(secret, &realm, &pn, 5000, 300, NULL),
			 AUTH_NONCE_INVALID);
	struct pl junk = PL("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
	assert_int_equal(auth_nonce_check(secret, &realm, &junk, 5000, 300, NULL),
			 AUTH_NONCE_INVALID);
	struct pl none = PL_INIT;
	assert_int_equal(auth_nonce_check(secret, &realm, &none, 5000, 300, NULL),
			 AUTH_NONCE_INVALID);
}

static void test_unique(void **state)
{
	char a[AUTH_NONCE_LEN + 1], b[AUTH_NONCE_LEN + 1];

	(void)state;
	auth_nonce_make(secret, &realm, 42, a);
	auth_nonce_make(secret, &realm, 42, b);
	assert_string_not_equal(a, b);
}

static void test_nonce_count(void **state)
{
	struct auth_nc_table t;
	char n[AUTH_NONCE_LEN + 1];
	struct pl pn, nc1 = PL("00000001"), nc2 = PL("00000002"), none = PL_INIT;
	uint32_t v;

	(void)state;
	assert_int_equal(auth_nc_init(&t, 1024), 0);
	auth_nonce_make(secret, &realm, 100, n);
	pn = pl_from_cstr(n);
	assert_int_equal(auth_nc_use(&t, &pn, &nc1, 100, 300, 100), AUTH_NC_OK);
	/* The same Authorization again: a replay. */
	assert_int_equal(auth_nc_use(&t, &pn, &nc1, 100, 300, 101), AUTH_NC_REPLAY);
	assert_int_equal(auth_nc_use(&t, &pn, &nc2, 100, 300, 102), AUTH_NC_OK);
	assert_int_equal(auth_nc_use(&t, &pn, &nc1, 100, 300, 103), AUTH_NC_REPLAY);
	/* Without qop a nonce is good for one request. */
	auth_nonce_make(secret, &realm, 100, n);
	pn = pl_from_cstr(n);
	assert_int_equal(auth_nc_use(&t, &pn, &none, 100, 300, 100), AUTH_NC_OK);
	assert_int_equal(auth_nc_use(&t, &pn, &none, 100, 300, 100), AUTH_NC_REPLAY);
	/* nonce-count syntax: 8 hex digits, not zero. */
	struct pl bad = PL("1");
	assert_int_not_equal(auth_nc_parse(&bad, &v), 0);
	bad = PL("00000000");
	assert_int_not_equal(auth_nc_parse(&bad, &v), 0);
	bad = PL("0000000G");
	assert_int_not_equal(auth_nc_parse(&bad, &v), 0);
	bad = PL("0000001F");
	assert_int_equal(auth_nc_parse(&bad, &v), 0);
	assert_int_equal(v, 31);
	auth_nc_destroy(&t);
}

static void test_table_is_bounded(void **state)
{
	struct auth_nc_table t;
	struct pl nc1 = PL("00000001");
	uint32_t slots = 0;

	(void)state;
	assert_int_equal(auth_nc_init(&t, 1024), 0);
	for (int i = 0; i < AUTH_NC_SHARDS; i++)
		slots += t.shard[i].nslots;
	assert_true(slots >= 1024 && slots <= 4096);
	/* Many more nonces than slots: memory stays put; the newest ones are
	 * always remembered. */
	char last[AUTH_NONCE_LEN + 1];
	for (int i = 0; i < 20000; i++) {
		auth_nonce_make(secret, &realm, 1000, last);
		struct pl pn = pl_from_cstr(last);
		assert_int_equal(auth_nc_use(&t, &pn, &nc1, 1000, 300, 1000), AUTH_NC_OK);
	}
	struct pl pn = pl_from_cstr(last);
	assert_int_equal(auth_nc_use(&t, &pn, &nc1, 1000, 300, 1000), AUTH_NC_REPLAY);
	assert_true(t.evictions > 0);
	auth_nc_destroy(&t);
}

static void test_secret_file(void **state)
{
	char path[64], err[256];
	uint8_t a[AUTH_SECRET_LEN], b[AUTH_SECRET_LEN];
	struct stat st;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/vs-secret-test-%d", (int)getpid());
	unlink(path);
	assert_int_equal(auth_secret_load(path, a, err, sizeof(err)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(auth_secret_load(path, b, err, sizeof(err)), 0);
	assert_memory_equal(a, b, sizeof(a));
	chmod(path, 0644);
	assert_int_not_equal(auth_secret_load(path, b, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "chmod 600"));
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_and_expiry),
		cmocka_unit_test(test_forgeries),
		cmocka_unit_test(test_unique),
		cmocka_unit_test(test_nonce_count),
		cmocka_unit_test(test_table_is_bounded),
		cmocka_unit_test(test_secret_file),
	};
	vs_hash_init();
	vs_random(secret, sizeof(secret));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
