/* Unit tests for transport/flow.c (flow tokens) and transport/alias.c. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "core/config.h"
#include "core/hash.h"
#include "transport/alias.h"
#include "transport/flow.h"

static struct vs_flow flow4(const char *ip, uint16_t port, uint8_t tp,
			    uint16_t worker, uint64_t conn)
{
	struct vs_flow f;

	memset(&f, 0, sizeof(f));
	f.peer.u.in.sin_family = AF_INET;
	f.peer.u.in.sin_port = htons(port);
	inet_pton(AF_INET, ip, &f.peer.u.in.sin_addr);
	f.peer.len = sizeof(f.peer.u.in);
	f.tp = tp;
	f.worker = worker;
	f.conn_id = conn;
	return f;
}

static void test_token_roundtrip_v4(void **state)
{
	struct vs_flow f = flow4("192.0.2.7", 40123, VS_TP_TCP, 3,
				 0x0000002a00000011ull), g;
	char tok[VS_FLOW_TOKEN_MAX + 1];
	size_t n = vs_flow_token(&f, tok);

	(void)state;
	assert_int_equal(n, 23);
	assert_int_equal(strlen(tok), n);
	assert_int_equal(vs_flow_from_token(tok, n, &g), 0);
	assert_int_equal(g.tp, VS_TP_TCP);
	assert_int_equal(g.worker, 3);
	assert_true(g.conn_id == f.conn_id);
	assert_int_equal(vs_sa_port(&g.peer), 40123);
	assert_true(vs_sa_ip_eq(&g.peer, &f.peer));
	/* Only URI-parameter-safe characters. */
	for (size_t i = 0; i < n; i++)
		assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", tok[i]));
}

static void test_token_roundtrip_v6(void **state)
{
	struct vs_flow f, g;
	char tok[VS_FLOW_TOKEN_MAX + 1];
	size_t n;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.peer.u.in6.sin6_family = AF_INET6;
	f.peer.u.in6.sin6_port = htons(5060);
	inet_pton(AF_INET6, "2001:db8::1", &f.peer.u.in6.sin6_addr);
	f.peer.len = sizeof(f.peer.u.in6);
	f.tp = VS_TP_UDP;
	n = vs_flow_token(&f, tok);
	assert_int_equal(n, 39);
	assert_true(n <= VS_FLOW_TOKEN_MAX);
	assert_int_equal(vs_flow_from_token(tok, n, &g), 0);
	assert_int_equal(g.peer.u.sa.sa_family, AF_INET6);
	assert_true(vs_sa_ip_eq(&g.peer, &f.peer));
	assert_int_equal(vs_sa_port(&g.peer), 5060);
	assert_int_equal(g.tp, VS_TP_UDP);
}

static void test_token_rejects(void **state)
{
	struct vs_flow f = flow4("192.0.2.7", 1, VS_TP_UDP, 0, 0), g;
	char tok[VS_FLOW_TOKEN_MAX + 1];
	size_t n = vs_flow_token(&f, tok);

	(void)state;
	assert_int_equal(vs_flow_from_token(tok, n - 1, &g), EINVAL);
	assert_int_equal(vs_flow_from_token("", 0, &g), EINVAL);
	tok[3] = '*';
	assert_int_equal(vs_flow_from_token(tok, n, &g), EINVAL);
	tok[3] = 0;
	assert_int_equal(vs_flow_from_token(tok, n, &g), EINVAL);
	/* A transport we do not speak. */
	f.tp = 7;
	n = vs_flow_token(&f, tok);
	assert_int_equal(vs_flow_from_token(tok, n, &g), EINVAL);
}

static void test_alias_set_get_replace(void **state)
{
	struct tcp_alias_table t;
	struct vs_flow a = flow4("192.0.2.1", 5060, VS_TP_TCP, 1, 77), got;
	struct vs_flow other = flow4("192.0.2.1", 5061, VS_TP_TCP, 0, 5);

	(void)state;
	assert_int_equal(vs_hash_init(), 0);
	assert_int_equal(tcp_alias_init(&t, 64), 0);
	assert_false(tcp_alias_get(&t, &a.peer, &got));
	tcp_alias_set(&t, &a.peer, &a);
	assert_true(tcp_alias_get(&t, &a.peer, &got));
	assert_true(got.conn_id == 77 && got.worker == 1);
	/* Another port of the same host is another key. */
	assert_false(tcp_alias_get(&t, &other.peer, &got));
	/* Setting again replaces. */
	a.conn_id = 78;
	tcp_alias_set(&t, &a.peer, &a);
	assert_true(tcp_alias_get(&t, &a.peer, &got));
	assert_true(got.conn_id == 78);
	tcp_alias_destroy(&t);
}

static void test_alias_bounded(void **state)
{
	struct tcp_alias_table t;
	unsigned found = 0;

	(void)state;
	assert_int_equal(vs_hash_init(), 0);
	assert_int_equal(tcp_alias_init(&t, 16), 0);
	/* Far more entries than slots: the table keeps its size and the
	 * newest entries win. */
	for (unsigned i = 0; i < 10000; i++) {
		struct vs_flow f = flow4("10.0.0.1", (uint16_t)(1000 + i),
					 VS_TP_TCP, 0, i + 1);
		tcp_alias_set(&t, &f.peer, &f);
	}
	for (unsigned i = 9990; i < 10000; i++) {
		struct vs_flow f = flow4("10.0.0.1", (uint16_t)(1000 + i),
					 VS_TP_TCP, 0, i + 1), got;
		if (tcp_alias_get(&t, &f.peer, &got) && got.conn_id == i + 1)
			found++;
	}
	assert_true(found >= 8);
	tcp_alias_destroy(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_roundtrip_v4),
		cmocka_unit_test(test_token_roundtrip_v6),
		cmocka_unit_test(test_token_rejects),
		cmocka_unit_test(test_alias_set_get_replace),
		cmocka_unit_test(test_alias_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
