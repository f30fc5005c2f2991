/* Unit tests for shield/srctab.c, shield/shield.c and events/event.c,
 * with a fake clock. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "core/config.h"
#include "core/hash.h"
#include "events/event.h"
#include "shield/shield.h"
#include "shield/srctab.h"

static struct vs_flow flow4(const char *ip, uint16_t port)
{
	struct vs_flow f;

	memset(&f, 0, sizeof(f));
	f.peer.u.in.sin_family = AF_INET;
	f.peer.u.in.sin_port = htons(port);
	inet_pton(AF_INET, ip, &f.peer.u.in.sin_addr);
	f.peer.len = sizeof(f.peer.u.in);
	f.tp = VS_TP_UDP;
	f.listener = 0;
	return f;
}

struct fixture {
	struct vs_config cfg;
	struct vs_stats stats;
	struct shield sh;
	struct shield_ctx c;
	unsigned persisted, deleted;
};

static void on_persist(void *ctx, const struct srctab_key *k,
		       const struct shield_ban *b)
{
	struct fixture *fx = ctx;

	(void)k;
	if (b)
		fx->persisted++;
	else
		fx->deleted++;
}

static struct fixture *fx_new(void)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	vs_config_defaults(&fx->cfg);
	fx->cfg.nlisten = 1;
	fx->cfg.shield.max_sources = 1024;
	fx->cfg.shield.max_bans = 256;
	fx->cfg.shield.max_users = 256;
	return fx;
}

static void fx_start(struct fixture *fx)
{
	assert_int_equal(shield_init(&fx->sh, &fx->cfg, NULL), 0);
	fx->sh.persist = on_persist;
	fx->sh.persist_ctx = fx;
	fx->c.cfg = &fx->cfg;
	fx->c.stats = &fx->stats;
	fx->c.now_ms = 1000000;
	fx->c.wall = 1800000000;
}

static void fx_free(struct fixture *fx)
{
	shield_free(&fx->sh);
	free(fx);
}

static uint64_t stat(struct fixture *fx, unsigned id)
{
	return atomic_load(&fx->stats.v[id]);
}

static enum shield_verdict pkt(struct fixture *fx, const char *ip,
				const char *msg)
{
	struct vs_flow f = flow4(ip, 5060);

	return shield_packet(&fx->sh, &fx->c, &f, msg, strlen(msg));
}

static const char REG[] = "REGISTER sip:example.test SIP/2.0\r\n";
static const char INV[] = "INVITE sip:bob@example.test SIP/2.0\r\n";
static const char OPT[] = "OPTIONS sip:example.test SIP/2.0\r\n";

static void test_srctab_bounded_lru(void **state)
{
	struct srctab t;
	struct srctab_key k, first;
	struct srctab_shard *s;
	bool created, evicted;
	unsigned evictions = 0;

	(void)state;
	assert_int_equal(srctab_init(&t, 128, 8), 0);
	srctab_key_parse("192.0.2.1", &first);
	s = srctab_lock(&t, &first);
	assert_non_null(srctab_get(s, &first, true, &created, NULL, NULL));
	assert_true(created);
	srctab_unlock(s);
	/* 100,000 spoofed sources: the table never holds more than it can,
	 * and the one that keeps coming back stays. */
	for (uint32_t i = 0; i < 100000; i++) {
		memset(&k, 0, sizeof(k));
		k.ip[10] = k.ip[11] = 0xff;
		memcpy(k.ip + 12, &i, 4);
		srctab_key_set_port(&k, 0); /* computes the hash */
		s = srctab_lock(&t, &k);
		assert_non_null(srctab_get(s, &k, true, &created, &evicted, NULL));
		evictions += evicted;
		srctab_unlock(s);
		if (i % 16 == 0) {
			s = srctab_lock(&t, &first);
			assert_non_null(srctab_get(s, &first, false, NULL, NULL, NULL));
			srctab_unlock(s);
		}
	}
	assert_true(srctab_count(&t) <= t.capacity);
	assert_true(t.capacity >= 128 && t.capacity < 256);
	assert_true(evictions > 90000);
	s = srctab_lock(&t, &first);
	assert_true(srctab_del(s, &first));
	assert_false(srctab_del(s, &first));
	srctab_unlock(s);
	srctab_free(&t);
}

static void test_key_text(void **state)
{
	struct srctab_key k;
	char buf[64];

	(void)state;
	assert_int_equal(srctab_key_parse("2001:db8::7", &k), 0);
	srctab_key_str(&k, buf, sizeof(buf));
	assert_string_equal(buf, "2001:db8::7");
	assert_int_equal(srctab_key_parse("198.51.100.9", &k), 0);
	srctab_key_str(&k, buf, sizeof(buf));
	assert_string_equal(buf, "198.51.100.9");
	assert_int_equal(srctab_key_parse("example.test", &k), EINVAL);
}

static void test_bucket_budget_and_refill(void **state)
{
	struct fixture *fx = fx_new();

	(void)state;
	fx->cfg.shield.rate[VS_BUCKET_REGISTER] = (struct vs_bucket_conf){2, 5};
	fx_start(fx);
	for (int i = 0; i < 5; i++)
		assert_int_equal(pkt(fx, "192.0.2.1", REG), SHIELD_PASS);
	/* Over budget: one 503 a second, then silence. */
	assert_int_equal(pkt(fx, "192.0.2.1", REG), SHIELD_SHED);
	assert_int_equal(pkt(fx, "192.0.2.1", REG), SHIELD_DROP);
	assert_int_equal(stat(fx, VS_STAT_SHIELD_RATE_LIMITED), 2);
	/* Other budgets and other sources are untouched. */
	assert_int_equal(pkt(fx, "192.0.2.1", INV), SHIELD_PASS);
	assert_int_equal(pkt(fx, "192.0.2.2", REG), SHIELD_PASS);
	/* Half a second at 2/s gives one request back. */
	fx->c.now_ms += 500;
	assert_int_equal(pkt(fx, "192.0.2.1", REG), SHIELD_PASS);
	assert_int_equal(pkt(fx, "192.0.2.1", REG), SHIELD_DROP);
	fx->cfg.shield.over_limit_reply = false;
	fx->c.now_ms += 1000;
	pkt(fx, "192.0.2.1", REG);
	pkt(fx, "192.0.2.1", REG);
	assert_int_equal(pkt(fx, "192.0.2.1", REG), SHIELD_DROP);
	fx_free(fx);
}

static void test_flood_gets_banned_trusted_not(void **state)
{
	struct fixture *fx = fx_new();
	struct srctab_key k;
	int dropped = 0;

	(void)state;
	fx->cfg.shield.rate[VS_BUCKET_INVITE] = (struct vs_bucket_conf){5, 10};
	fx->cfg.shield.trusted_rate[VS_BUCKET_INVITE] =
		(struct vs_bucket_conf){5, 10};
	fx->cfg.shield.ban_rate_excess = 20;
	vs_cidr_parse("192.0.2.200", &fx->cfg.trusted[0]);
	fx->cfg.ntrusted = 1;
	fx_start(fx);
	for (int i = 0; i < 100; i++) {
		pkt(fx, "192.0.2.9", INV);
		pkt(fx, "192.0.2.200", INV);
	}
	srctab_key_parse("192.0.2.9", &k);
	assert_true(shield_is_banned(&fx->sh, &k, fx->c.wall));
	assert_int_equal(stat(fx, VS_STAT_SHIELD_BANS), 1);
	assert_int_equal(stat(fx, VS_STAT_SHIELD_BAN_RATE), 1);
	assert_int_equal(fx->persisted, 1);
	/* Banned: even a request within budget is dropped, before any
	 * bucket is touched. */
	fx->c.now_ms += 60000;
	for (int i = 0; i < 5; i++)
		dropped += pkt(fx, "192.0.2.9", OPT) == SHIELD_DROP;
	assert_int_equal(dropped, 5);
	assert_true(stat(fx, VS_STAT_SHIELD_BANNED_DROP) >= 5);
	/* The trusted peer was limited but never banned. */
	srctab_key_parse("192.0.2.200", &k);
	assert_false(shield_is_banned(&fx->sh, &k, fx->c.wall));
	assert_int_equal(pkt(fx, "192.0.2.200", INV), SHIELD_PASS);
	fx_free(fx);
}

static void test_ban_expiry_and_repeat_offender(void **state)
{
	struct fixture *fx = fx_new();
	struct srctab_key k;

	(void)state;
	fx->cfg.shield.ban_time = 100;
	fx->cfg.shield.ban_max_time = 300;
	fx_start(fx);
	srctab_key_parse("203.0.113.5", &k);
	shield_ban(&fx->sh, &fx->c, &k, 0, SHIELD_BAN_SCANNER, false, NULL);
	assert_true(shield_is_banned(&fx->sh, &k, fx->c.wall + 99));
	assert_false(shield_is_banned(&fx->sh, &k, fx->c.wall + 100));
	fx->c.wall += 101;
	assert_int_equal(shield_sweep(&fx->sh, &fx->c), 0);
	assert_int_equal(stat(fx, VS_STAT_SHIELD_UNBANS), 1);
	/* Second offence: twice as long; third: capped at max_time. */
	shield_ban(&fx->sh, &fx->c, &k, 0, SHIELD_BAN_SCANNER, false, NULL);
	assert_true(shield_is_banned(&fx->sh, &k, fx->c.wall + 199));
	assert_false(shield_is_banned(&fx->sh, &k, fx->c.wall + 200));
	fx->c.wall += 201;
	shield_sweep(&fx->sh, &fx->c);
	shield_ban(&fx->sh, &fx->c, &k, 0, SHIELD_BAN_SCANNER, false, NULL);
	assert_true(shield_is_banned(&fx->sh, &k, fx->c.wall + 299));
	assert_false(shield_is_banned(&fx->sh, &k, fx->c.wall + 300));
	/* After ban_forget the history goes (and leaves the store). */
	fx->c.wall += 301 + fx->cfg.shield.ban_forget + 1;
	fx->deleted = 0;
	shield_sweep(&fx->sh, &fx->c);
	assert_int_equal(fx->deleted, 1);
	shield_ban(&fx->sh, &fx->c, &k, 0, SHIELD_BAN_SCANNER, false, NULL);
	assert_false(shield_is_banned(&fx->sh, &k, fx->c.wall + 100));
	/* Manual unban. */
	assert_true(shield_unban(&fx->sh, &fx->c, &k));
	assert_false(shield_is_banned(&fx->sh, &k, fx->c.wall));
	assert_false(shield_unban(&fx->sh, &fx->c, &k));
	fx_free(fx);
}

static void test_never_ban(void **state)
{
	struct fixture *fx = fx_new();
	struct srctab_key k;

	(void)state;
	vs_cidr_parse("10.0.0.0/8", &fx->cfg.shield.never_ban[0]);
	fx->cfg.shield.nnever_ban = 1;
	fx_start(fx);
	srctab_key_parse("10.1.2.3", &k);
	shield_ban(&fx->sh, &fx->c, &k, 0, SHIELD_BAN_RATE, false, NULL);
	assert_false(shield_is_banned(&fx->sh, &k, fx->c.wall));
	/* An operator's manual ban still counts. */
	shield_ban(&fx->sh, &fx->c, &k, 60, SHIELD_BAN_MANUAL, true, NULL);
	assert_true(shield_is_banned(&fx->sh, &k, fx->c.wall));
	fx_free(fx);
}

static void test_zone_access_lists(void **state)
{
	struct fixture *fx = fx_new();
	struct vs_flow f;

	(void)state;
	vs_cidr_parse("192.0.2.0/24", &fx->cfg.zones[0].allow[0]);
	fx->cfg.zones[0].nallow = 1;
	vs_cidr_parse("192.0.2.128/25", &fx->cfg.zones[0].deny[0]);
	fx->cfg.zones[0].ndeny = 1;
	fx->cfg.shield.enabled = false; /* zones apply regardless */
	fx_start(fx);
	assert_int_equal(pkt(fx, "192.0.2.1", OPT), SHIELD_PASS);
	assert_int_equal(pkt(fx, "192.0.2.200", OPT), SHIELD_DROP);
	assert_int_equal(pkt(fx, "198.51.100.1", OPT), SHIELD_DROP);
	assert_int_equal(stat(fx, VS_STAT_SHIELD_ZONE_DENIED), 2);
	/* Our own outbound connections have no listener: no access list. */
	f = flow4("198.51.100.1", 5060);
	f.listener = VS_FLOW_NO_LISTENER;
	assert_int_equal(shield_packet(&fx->sh, &fx->c, &f, OPT, strlen(OPT)),
			 SHIELD_PASS);
	f = flow4("198.51.100.1", 1);
	assert_false(shield_accept(&fx->sh, &fx->c, &f.peer, 0, false));
	f = flow4("192.0.2.1", 1);
	assert_true(shield_accept(&fx->sh, &fx->c, &f.peer, 0, false));
	fx_free(fx);
}

static void test_auth_failures_ban_and_lockout(void **state)
{
	struct fixture *fx = fx_new();
	struct pl alice = pl_from_cstr("alice");
	struct vs_flow home = flow4("192.0.2.10", 5060);
	struct vs_flow a1 = flow4("203.0.113.1", 5060);
	struct vs_flow a2 = flow4("203.0.113.2", 5060);
	struct srctab_key k;

	(void)state;
	fx->cfg.shield.ban_auth_failures = 5;
	fx->cfg.shield.lockout_failures = 8;
	fx_start(fx);
	/* Alice logs in from home before the attack. */
	assert_true(shield_auth_result(&fx->sh, &fx->c, &home, &alice, true));
	for (int i = 0; i < 5; i++)
		assert_false(shield_auth_result(&fx->sh, &fx->c, &a1, &alice,
						false));
	srctab_key_parse("203.0.113.1", &k);
	assert_true(shield_is_banned(&fx->sh, &k, fx->c.wall));
	assert_int_equal(stat(fx, VS_STAT_SHIELD_BAN_AUTH), 1);
	/* A second source pushes alice over the lockout threshold. */
	for (int i = 0; i < 3; i++)
		shield_auth_result(&fx->sh, &fx->c, &a2, &alice, false);
	assert_int_equal(stat(fx, VS_STAT_SHIELD_LOCKOUTS), 1);
	/* Locked: the right password from a new source is refused... */
	assert_false(shield_auth_result(&fx->sh, &fx->c, &a2, &alice, true));
	assert_int_equal(stat(fx, VS_STAT_SHIELD_LOCKED), 1);
	/* ...but alice at home still gets in. */
	assert_true(shield_auth_result(&fx->sh, &fx->c, &home, &alice, true));
	/* The lockout ends. */
	fx->c.wall += fx->cfg.shield.lockout_time + 1;
	fx->c.now_ms += (fx->cfg.shield.lockout_time + 1) * 1000ull;
	assert_true(shield_auth_result(&fx->sh, &fx->c, &a2, &alice, true));
	fx_free(fx);
}

static void test_enumeration(void **state)
{
	struct fixture *fx = fx_new();
	struct vs_flow scan = flow4("203.0.113.7", 5060);
	struct vs_flow office = flow4("192.0.2.50", 5060);
	struct pl alice = pl_from_cstr("alice");
	struct srctab_key k;
	char name[16];

	(void)state;
	fx->cfg.shield.ban_distinct_users = 10;
	fx_start(fx);
	/* An office NAT: many users, but someone logged in. */
	shield_auth_result(&fx->sh, &fx->c, &office, &alice, true);
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "%d", 100 + i);
		struct pl u = pl_from_cstr(name);
		shield_challenged(&fx->sh, &fx->c, &office, &u);
		/* The same name again and again does not count twice. */
		if (i < 9) {
			shield_challenged(&fx->sh, &fx->c, &scan, &u);
			shield_challenged(&fx->sh, &fx->c, &scan, &u);
		}
	}
	srctab_key_parse("203.0.113.7", &k);
	assert_false(shield_is_banned(&fx->sh, &k, fx->c.wall));
	{
		struct pl u = pl_from_cstr("999");
		shield_challenged(&fx->sh, &fx->c, &scan, &u);
	}
	assert_true(shield_is_banned(&fx->sh, &k, fx->c.wall));
	assert_int_equal(stat(fx, VS_STAT_SHIELD_BAN_ENUMERATION), 1);
	srctab_key_parse("192.0.2.50", &k);
	assert_false(shield_is_banned(&fx->sh, &k, fx->c.wall));
	fx_free(fx);
}

static void test_scanner_user_agent(void **state)
{
	struct fixture *fx = fx_new();
	static const char msg[] =
		"OPTIONS sip:100@127.0.0.1 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-1\r\n"
		"Max-Forwards: 70\r\n"
		"To: <sip:100@127.0.0.1>\r\n"
		"From: <sip:100@127.0.0.1>;tag=1\r\n"
		"Call-ID: 1\r\nCSeq: 1 OPTIONS\r\n"
		"User-Agent: Friendly-Scanner 1.0\r\n"
		"Content-Length: 0\r\n\r\n";
	static struct sip_msg m;
	struct vs_flow f = flow4("203.0.113.9", 5061);
	struct srctab_key k;

	(void)state;
	fx_start(fx);
	assert_int_equal(sip_msg_parse(&m, msg, strlen(msg), &fx->cfg.sip), 0);
	assert_false(shield_request(&fx->sh, &fx->c, &f, &m));
	srctab_key_parse("203.0.113.9", &k);
	assert_true(shield_is_banned(&fx->sh, &k, fx->c.wall));
	assert_int_equal(stat(fx, VS_STAT_SHIELD_BAN_SCANNER), 1);
	/* A phone is not a scanner. */
	fx->cfg.shield.nscanners = 1;
	snprintf(fx->cfg.shield.scanners[0], 64, "sipvicious"); /* lower case */
	f = flow4("192.0.2.3", 5060);
	assert_true(shield_request(&fx->sh, &fx->c, &f, &m));
	fx_free(fx);
}

static void test_malformed_threshold(void **state)
{
	struct fixture *fx = fx_new();
	struct vs_flow f = flow4("203.0.113.20", 5060);
	struct srctab_key k;

	(void)state;
	fx->cfg.shield.ban_malformed = 3;
	fx_start(fx);
	srctab_key_parse("203.0.113.20", &k);
	shield_malformed(&fx->sh, &fx->c, &f, "bad_via");
	shield_malformed(&fx->sh, &fx->c, &f, "bad_via");
	assert_false(shield_is_banned(&fx->sh, &k, fx->c.wall));
	/* Outside the window the count starts again. */
	fx->c.now_ms += fx->cfg.shield.window * 1000ull;
	shield_malformed(&fx->sh, &fx->c, &f, "bad_via");
	shield_malformed(&fx->sh, &fx->c, &f, "bad_via");
	assert_false(shield_is_banned(&fx->sh, &k, fx->c.wall));
	shield_malformed(&fx->sh, &fx->c, &f, "bad_via");
	assert_true(shield_is_banned(&fx->sh, &k, fx->c.wall));
	fx_free(fx);
}

static void test_event_json(void **state)
{
	char buf[512];
	struct vs_event e;
	size_t n;

	(void)state;
	memset(&e, 0, sizeof(e));
	e.type = VS_EVENT_BAN;
	e.source = "192.0.2.1";
	e.port = 5060;
	e.user = "a\"b\\c\n\xff";
	e.user_len = 7;
	e.reason = "scanner";
	e.until = 1800000600;
	e.time_ms = 1800000000123;
	n = vs_event_format(&e, buf, sizeof(buf));
	assert_int_equal(n, strlen(buf));
	assert_string_equal(buf,
		"{\"time\":\"2027-01-15T08:00:00.123Z\",\"event\":\"ban\","
		"\"source\":\"192.0.2.1\",\"port\":5060,"
		"\"user\":\"a\\\"b\\\\c\\u000a\\u00ff\",\"reason\":\"scanner\","
		"\"until\":\"2027-01-15T08:10:00Z\"}\n");
	/* A long detail is cut, never the line's shape. */
	{
		char big[2000];
		memset(big, '"', sizeof(big) - 1);
		big[sizeof(big) - 1] = 0;
		e.detail = big;
		e.detail_len = strlen(big);
		n = vs_event_format(&e, buf, 300);
		assert_true(n > 0 && n < 300);
		assert_int_equal(buf[n - 1], '\n');
		assert_int_equal(buf[n - 2], '}');
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_srctab_bounded_lru),
		cmocka_unit_test(test_key_text),
		cmocka_unit_test(test_bucket_budget_and_refill),
		cmocka_unit_test(test_flood_gets_banned_trusted_not),
		cmocka_unit_test(test_ban_expiry_and_repeat_offender),
		cmocka_unit_test(test_never_ban),
		cmocka_unit_test(test_zone_access_lists),
		cmocka_unit_test(test_auth_failures_ban_and_lockout),
		cmocka_unit_test(test_enumeration),
		cmocka_unit_test(test_scanner_user_agent),
		cmocka_unit_test(test_malformed_threshold),
		cmocka_unit_test(test_event_json),
	};

	vs_hash_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
