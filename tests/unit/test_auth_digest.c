/* Unit tests for auth/digest.c against the RFC examples. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "auth/digest.h"

#define P(s) pl_from_cstr(s)

static struct auth_digest_in in_for(enum auth_algo algo, const char *user,
				    const char *realm, const char *pass,
				    char ha1[AUTH_HEX_MAX])
{
	struct auth_digest_in in;
	struct pl u = P(user), r = P(realm), pw = P(pass);

	memset(&in, 0, sizeof(in));
	assert_int_equal(auth_ha1(algo, &u, &r, &pw, ha1), 0);
	in.algo = algo;
	in.ha1 = P(ha1);
	return in;
}

/* RFC 2617 3.5: the Mufasa example (qop=auth). */
static void test_rfc2617(void **state)
{
	char ha1[AUTH_HEX_MAX], out[AUTH_HEX_MAX];
	struct auth_digest_in in = in_for(AUTH_ALGO_MD5, "Mufasa",
					  "testrealm@host.com", "Circle Of Life", ha1);
	struct pl resp = P("6629fae49393a05397450978507c4ef1");

	(void)state;
	in.nonce = P("dcd98b7102dd2f0e8b11d0f600bfb0c093");
	in.cnonce = P("0a4f113b");
	in.nc = P("00000001");
	in.qop = P("auth");
	in.method = P("GET");
	in.uri = P("/dir/index.html");
	assert_int_equal(auth_response(&in, out), 0);
	assert_string_equal(out, "6629fae49393a05397450978507c4ef1");
	assert_true(auth_response_ok(&in, &resp));
	/* Upper-case hex from the client is the same response. */
	resp = P("6629FAE49393A05397450978507C4EF1");
	assert_true(auth_response_ok(&in, &resp));
	/* Any change breaks it. */
	resp = P("6629fae49393a05397450978507c4ef0");
	assert_false(auth_response_ok(&in, &resp));
	resp = P("6629fae49393a05397450978507c4ef");
	assert_false(auth_response_ok(&in, &resp));
	in.nc = P("00000002");
	resp = P("6629fae49393a05397450978507c4ef1");
	assert_false(auth_response_ok(&in, &resp));
}

/* RFC 2069 form (no qop), as in the RFC 2617 / RFC 2069 example. */
static void test_rfc2069(void **state)
{
	char ha1[AUTH_HEX_MAX], out[AUTH_HEX_MAX];
	struct auth_digest_in in = in_for(AUTH_ALGO_MD5, "Mufasa",
					  "testrealm@host.com", "CircleOfLife", ha1);

	(void)state;
	in.nonce = P("dcd98b7102dd2f0e8b11d0f600bfb0c093");
	in.method = P("GET");
	in.uri = P("/dir/index.html");
	assert_int_equal(auth_response(&in, out), 0);
	assert_string_equal(out, "1949323746fe6a43ef61f9606e7febea");
}

/* RFC 7616 3.9.1: MD5 and SHA-256 with the same inputs. */
static void test_rfc7616(void **state)
{
	static const struct {
		enum auth_algo algo;
		const char *response;
	} cases[] = {
		{AUTH_ALGO_MD5, "8ca523f5e9506fed4657c9700eebdbec"},
		{AUTH_ALGO_SHA256, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char ha1[AUTH_HEX_MAX], out[AUTH_HEX_MAX];
		struct auth_digest_in in = in_for(cases[i].algo, "Mufasa",
						  "http-auth@example.org",
						  "Circle of Life", ha1);
		struct pl resp = P(cases[i].response);
		in.nonce = P("7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v");
		in.cnonce = P("f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ");
		in.nc = P("00000001");
		in.qop = P("auth");
		in.method = P("GET");
		in.uri = P("/dir/index.html");
		assert_int_equal(auth_response(&in, out), 0);
		assert_string_equal(out, cases[i].response);
		assert_true(auth_response_ok(&in, &resp));
	}
}

/* The hash primitives on the FIPS 180-4 / RFC 1321 "abc" examples, and an
 * SHA-512-256 HA1 (RFC 7616's own 3.9.2 example is disputed by erratum
 * 4897, so it is not used). */
static void test_primitives(void **state)
{
	char out[AUTH_HEX_MAX];
	struct pl u = P("Mufasa"), r = P("http-auth@example.org"), pw = P("Circle of Life");

	(void)state;
	assert_int_equal(auth_hash_hex(AUTH_ALGO_MD5, "abc", 3, out), 0);
	assert_string_equal(out, "900150983cd24fb0d6963f7d28e17f72");
	assert_int_equal(auth_hash_hex(AUTH_ALGO_SHA256, "abc", 3, out), 0);
	assert_string_equal(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(auth_hash_hex(AUTH_ALGO_SHA512_256, "abc", 3, out), 0);
	assert_string_equal(out, "53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23");
	assert_int_equal(auth_ha1(AUTH_ALGO_SHA512_256, &u, &r, &pw, out), 0);
	assert_string_equal(out, "fb174f5c3c7802721517cae13b98e2b8dae2e0118cb705d94ee29946319204ce");
}

static void test_algo_names(void **state)
{
	enum auth_algo a;
	bool sess;
	struct pl n;

	(void)state;
	n = P("SHA-256");
	assert_int_equal(auth_algo_parse(&n, &a, &sess), 0);
	assert_int_equal(a, AUTH_ALGO_SHA256);
	assert_false(sess);
	n = P("md5-SESS");
	assert_int_equal(auth_algo_parse(&n, &a, &sess), 0);
	assert_int_equal(a, AUTH_ALGO_MD5);
	assert_true(sess);
	n = P("SHA-512-256");
	assert_int_equal(auth_algo_parse(&n, &a, &sess), 0);
	assert_int_equal(a, AUTH_ALGO_SHA512_256);
	n = (struct pl)PL_INIT;
	assert_int_equal(auth_algo_parse(&n, &a, &sess), 0);
	assert_int_equal(a, AUTH_ALGO_MD5);
	n = P("SHA-1");
	assert_int_not_equal(auth_algo_parse(&n, &a, &sess), 0);
	n = P("-sess");
	assert_int_not_equal(auth_algo_parse(&n, &a, &sess), 0);
	assert_int_equal(auth_algo_hexlen(AUTH_ALGO_MD5), 32);
	assert_int_equal(auth_algo_hexlen(AUTH_ALGO_SHA512_256), 64);
}

static void test_wrong_ha1_length(void **state)
{
	char out[AUTH_HEX_MAX];
	struct auth_digest_in in;
	struct pl resp = P("00000000000000000000000000000000");

	(void)state;
	memset(&in, 0, sizeof(in));
	in.algo = AUTH_ALGO_SHA256;
	in.ha1 = P("6629fae49393a05397450978507c4ef1"); /* an MD5 HA1 */
	assert_int_not_equal(auth_response(&in, out), 0);
	assert_false(auth_response_ok(&in, &resp));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc2617),
		cmocka_unit_test(test_rfc2069),
		cmocka_unit_test(test_rfc7616),
		cmocka_unit_test(test_primitives),
		cmocka_unit_test(test_algo_names),
		cmocka_unit_test(test_wrong_ha1_length),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
