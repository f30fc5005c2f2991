/* Unit tests for transport/connlimit.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "core/hash.h"
#include "transport/connlimit.h"

static struct vs_sockaddr v4(uint32_t ip)
{
	struct vs_sockaddr a;
	memset(&a, 0, sizeof(a));
	a.u.in.sin_family = AF_INET;
	a.u.in.sin_addr.s_addr = htonl(ip);
	a.len = sizeof(a.u.in);
	return a;
}

static void test_per_source_and_total(void **state)
{
	struct connlimit cl;
	struct vs_sockaddr a = v4(0x0a000001), b = v4(0x0a000002);

	(void)state;
	assert_int_equal(connlimit_init(&cl, 5, 3), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(connlimit_acquire(&cl, &a), CONNLIMIT_OK);
	assert_int_equal(connlimit_acquire(&cl, &a), CONNLIMIT_SOURCE);
	assert_int_equal(connlimit_acquire(&cl, &b), CONNLIMIT_OK);
	assert_int_equal(connlimit_acquire(&cl, &b), CONNLIMIT_OK);
	assert_int_equal(connlimit_acquire(&cl, &b), CONNLIMIT_TOTAL);
	connlimit_release(&cl, &a);
	assert_int_equal(connlimit_count(&cl, &a), 2);
	assert_int_equal(connlimit_acquire(&cl, &b), CONNLIMIT_OK);
	connlimit_destroy(&cl);
}

static void test_v4_mapped_is_same_source(void **state)
{
	struct connlimit cl;
	struct vs_sockaddr a = v4(0xc0000201), m;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.u.in6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::ffff:192.0.2.1", &m.u.in6.sin6_addr);
	m.len = sizeof(m.u.in6);
	assert_int_equal(connlimit_init(&cl, 10, 1), 0);
	assert_int_equal(connlimit_acquire(&cl, &a), CONNLIMIT_OK);
	assert_int_equal(connlimit_acquire(&cl, &m), CONNLIMIT_SOURCE);
	connlimit_destroy(&cl);
}

static struct vs_sockaddr v6(const char *text)
{
	struct vs_sockaddr a;
	memset(&a, 0, sizeof(a));
	a.u.in6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, text, &a.u.in6.sin6_addr);
	a.len = sizeof(a.u.in6);
	return a;
}

static void test_ipv6_counts_per_64(void **state)
{
	struct connlimit cl;
	struct vs_sockaddr a = v6("2001:db8:1:2::1"), b = v6("2001:db8:1:2:ffff::9"),
			   other = v6("2001:db8:1:3::1");

	(void)state;
	/* Addresses of one /64 are one source: hopping among them does not
	 * get around the cap. */
	assert_int_equal(connlimit_init(&cl, 10, 2), 0);
	assert_int_equal(connlimit_acquire(&cl, &a), CONNLIMIT_OK);
	assert_int_equal(connlimit_acquire(&cl, &b), CONNLIMIT_OK);
	assert_int_equal(connlimit_acquire(&cl, &b), CONNLIMIT_SOURCE);
	assert_int_equal(connlimit_acquire(&cl, &other), CONNLIMIT_OK);
	assert_int_equal(connlimit_total(&cl), 3);
	connlimit_release(&cl, &a);
	assert_int_equal(connlimit_count(&cl, &b), 1);
	connlimit_destroy(&cl);
}

static void test_churn_keeps_table_consistent(void **state)
{
	struct connlimit cl;
	enum { N = 500 };

	(void)state;
	assert_int_equal(connlimit_init(&cl, N, 2), 0);
	/* Fill, then release in an interleaved order: every probe chain must
	 * survive backward-shift deletion. */
	for (uint32_t i = 0; i < N; i++) {
		struct vs_sockaddr a = v4(i * 2654435761u);
		assert_int_equal(connlimit_acquire(&cl, &a), CONNLIMIT_OK);
	}
	for (uint32_t i = 0; i < N; i += 2) {
		struct vs_sockaddr a = v4(i * 2654435761u);
		connlimit_release(&cl, &a);
	}
	for (uint32_t i = 1; i < N; i += 2) {
		struct vs_sockaddr a = v4(i * 2654435761u);
		assert_int_equal(connlimit_count(&cl, &a), 1);
		connlimit_release(&cl, &a);
		assert_int_equal(connlimit_count(&cl, &a), 0);
	}
	assert_int_equal(cl.total, 0);
	for (size_t i = 0; i < cl.nslots; i++)
		assert_int_equal(cl.slots[i].iplen, 0);
	connlimit_destroy(&cl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_per_source_and_total),
		cmocka_unit_test(test_v4_mapped_is_same_source),
		cmocka_unit_test(test_ipv6_counts_per_64),
		cmocka_unit_test(test_churn_keeps_table_consistent),
	};
	vs_hash_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
