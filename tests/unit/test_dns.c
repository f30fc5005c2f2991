/* Unit tests for transport/dns.c (parsing DNS answers for RFC 3263, SRV
 * ordering, host names) and transport/route_dns.c (the routes' address
 * table: attach, due, store, failure marks, reload). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/config.h"
#include "transport/dns.h"
#include "transport/route_dns.h"

/* A DNS response under construction. */
struct msg {
	uint8_t b[2048];
	size_t n;
};

static void put16(struct msg *m, unsigned v)
{
	m->b[m->n++] = (uint8_t)(v >> 8);
	m->b[m->n++] = (uint8_t)v;
}

static void put32(struct msg *m, uint32_t v)
{
	put16(m, v >> 16);
	put16(m, v & 0xffff);
}

static void put_name(struct msg *m, const char *name)
{
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);
		m->b[m->n++] = (uint8_t)l;
		memcpy(m->b + m->n, name, l);
		m->n += l;
		name += l + (dot ? 1 : 0);
	}
	m->b[m->n++] = 0;
}

/* Header and question (qname at offset 12: answers may point there). */
static void start(struct msg *m, const char *qname, unsigned qtype, unsigned ancount)
{
	m->n = 0;
	put16(m, 0x1234);
	put16(m, 0x8180);
	put16(m, 1);
	put16(m, ancount);
	put16(m, 0);
	put16(m, 0);
	put_name(m, qname);
	put16(m, qtype);
	put16(m, 1);
}

/* An answer record; name NULL: a pointer to the question's name. */
static void rr(struct msg *m, const char *name, unsigned type, unsigned cls, uint32_t ttl,
	       const void *rdata, size_t rdlen)
{
	if (name)
		put_name(m, name);
	else
		put16(m, 0xc00c);
	put16(m, type);
	put16(m, cls);
	put32(m, ttl);
	put16(m, (unsigned)rdlen);
	memcpy(m->b + m->n, rdata, rdlen);
	m->n += rdlen;
}

static void srv_rr(struct msg *m, unsigned prio, unsigned weight, unsigned port,
		   const char *target, uint32_t ttl)
{
	struct msg rd = {.n = 0};
	put16(&rd, prio);
	put16(&rd, weight);
	put16(&rd, port);
	put_name(&rd, target);
	rr(m, NULL, 33, 1, ttl, rd.b, rd.n);
}

static void test_hostname(void **state)
{
	(void)state;
	assert_true(dns_is_hostname("pbx.example.com"));
	assert_true(dns_is_hostname("sip-1.trunk.test"));
	assert_true(dns_is_hostname("localhost"));
	assert_true(dns_is_hostname("pbx.example.com."));
	assert_false(dns_is_hostname("192.0.2.1"));
	assert_false(dns_is_hostname(""));
	assert_false(dns_is_hostname("bad..name"));
	assert_false(dns_is_hostname("-lead.example"));
	assert_false(dns_is_hostname("trail-.example"));
	assert_false(dns_is_hostname("under_score.example"));
	assert_false(dns_is_hostname("sp ace.example"));
	char longl[80];
	memset(longl, 'a', 64);
	strcpy(longl + 64, ".x");
	assert_false(dns_is_hostname(longl)); /* a 64-byte label */
}

static void test_parse_srv(void **state)
{
	struct msg m;
	struct dns_srv s[4];

	(void)state;
	start(&m, "_sip._udp.trunk.test", 33, 4);
	srv_rr(&m, 10, 60, 5070, "pbx1.trunk.test", 300);
	srv_rr(&m, 20, 0, 5071, "pbx2.trunk.test", 120);
	rr(&m, "other.test", 33, 1, 300, "\0\1\0\1\x13\xc4\0", 7); /* another name */
	srv_rr(&m, 30, 0, 0, "", 60);				      /* "." */
	assert_int_equal(dns_parse_srv(m.b, m.n, "_sip._udp.trunk.test.", s, 4), 3);
	assert_int_equal(s[0].priority, 10);
	assert_int_equal(s[0].weight, 60);
	assert_int_equal(s[0].port, 5070);
	assert_string_equal(s[0].target, "pbx1.trunk.test");
	assert_int_equal(s[0].ttl, 300);
	assert_int_equal(s[1].port, 5071);
	assert_string_equal(s[2].target, ""); /* not offered */
	/* Case does not matter; a truncated message does not parse. */
	assert_int_equal(dns_parse_srv(m.b, m.n, "_SIP._UDP.Trunk.Test", s, 4), 3);
	assert_int_equal(dns_parse_srv(m.b, 11, "_sip._udp.trunk.test", s, 4), -1);
	assert_true(dns_parse_srv(m.b, m.n - 3, "_sip._udp.trunk.test", s, 4) <= 2);
	/* At most max. */
	assert_int_equal(dns_parse_srv(m.b, m.n, "_sip._udp.trunk.test", s, 1), 1);
}

static void test_parse_addrs(void **state)
{
	struct msg m;
	struct vs_sockaddr a[8];
	unsigned n = 0;
	uint32_t ttl = 3600;
	const uint8_t v4a[4] = {192, 0, 2, 1}, v4b[4] = {192, 0, 2, 2}, v4c[4] = {198, 51, 100, 9};
	uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8};
	char ip[64];

	(void)state;
	v6[15] = 1;
	/* pbx.test CNAME real.test; real.test A x2; a stray A for
	 * evil.test; A with a bad length; IN class only. */
	start(&m, "pbx.test", 1, 6);
	{
		struct msg rd = {.n = 0};
		put_name(&rd, "real.test");
		rr(&m, NULL, 5, 1, 50, rd.b, rd.n);
	}
	rr(&m, "real.test", 1, 1, 300, v4a, 4);
	rr(&m, "real.test", 1, 1, 40, v4b, 4);
	rr(&m, "evil.test", 1, 1, 300, v4c, 4);
	rr(&m, "real.test", 1, 1, 300, v4c, 3);
	rr(&m, "real.test", 1, 3, 300, v4c, 4); /* CHAOS class */
	assert_int_equal(dns_parse_addrs(m.b, m.n, "pbx.test", AF_INET, 5060, a, &n, 8, &ttl), 2);
	assert_int_equal(n, 2);
	vs_sa_ip_str(&a[0], ip, sizeof(ip));
	assert_string_equal(ip, "192.0.2.1");
	assert_int_equal(vs_sa_port(&a[0]), 5060);
	vs_sa_ip_str(&a[1], ip, sizeof(ip));
	assert_string_equal(ip, "192.0.2.2");
	assert_int_equal(ttl, 40); /* the smallest, CNAME included */
	/* The same addresses again (a second SRV target on the same host)
	 * are not added twice; another port is another address. */
	assert_int_equal(dns_parse_addrs(m.b, m.n, "pbx.test", AF_INET, 5060, a, &n, 8, &ttl), 0);
	assert_int_equal(dns_parse_addrs(m.b, m.n, "pbx.test", AF_INET, 5070, a, &n, 3, &ttl), 1);
	assert_int_equal(n, 3); /* and max is kept */
	/* AAAA. */
	start(&m, "pbx.test", 28, 1);
	rr(&m, NULL, 28, 1, 600, v6, 16);
	n = 0;
	ttl = 3600;
	assert_int_equal(dns_parse_addrs(m.b, m.n, "pbx.test", AF_INET6, 5061, a, &n, 8, &ttl), 1);
	vs_sa_ip_str(&a[0], ip, sizeof(ip));
	assert_string_equal(ip, "2001:db8::1");
	assert_int_equal(vs_sa_port(&a[0]), 5061);
	assert_int_equal(ttl, 600);
	/* A CNAME loop ends. */
	start(&m, "a.test", 1, 2);
	{
		struct msg rd = {.n = 0};
		put_name(&rd, "b.test");
		rr(&m, "a.test", 5, 1, 50, rd.b, rd.n);
		rd.n = 0;
		put_name(&rd, "a.test");
		rr(&m, "b.test", 5, 1, 50, rd.b, rd.n);
	}
	n = 0;
	assert_int_equal(dns_parse_addrs(m.b, m.n, "a.test", AF_INET, 5060, a, &n, 8, &ttl), 0);
}

static uint32_t seq_rnd(void)
{
	static uint32_t x;
	return x++;
}

static uint32_t zero_rnd(void)
{
	return 0;
}

static void test_srv_order(void **state)
{
	struct dns_srv s[5];

	(void)state;
	memset(s, 0, sizeof(s));
	s[0].priority = 20, s[0].weight = 10, s[0].port = 1;
	s[1].priority = 10, s[1].weight = 0, s[1].port = 2;
	s[2].priority = 10, s[2].weight = 50, s[2].port = 3;
	s[3].priority = 5, s[3].weight = 5, s[3].port = 4;
	s[4].priority = 10, s[4].weight = 50, s[4].port = 5;
	dns_srv_order(s, 5, zero_rnd);
	/* Priority first: 5, then the three of 10, then 20. */
	assert_int_equal(s[0].port, 4);
	assert_int_equal(s[1].priority, 10);
	assert_int_equal(s[2].priority, 10);
	assert_int_equal(s[3].priority, 10);
	assert_int_equal(s[4].port, 1);
	/* A random 0 picks the weight-0 record first (RFC 2782). */
	assert_int_equal(s[1].port, 2);
	/* With weights 50/50, both orders happen over many draws. */
	unsigned first3 = 0, first5 = 0;
	for (int i = 0; i < 200; i++) {
		struct dns_srv t[2] = {{10, 50, 3, 0, ""}, {10, 50, 5, 0, ""}};
		dns_srv_order(t, 2, seq_rnd);
		if (t[0].port == 3)
			first3++;
		else
			first5++;
	}
	assert_true(first3 > 50 && first5 > 50);
}

static struct vs_config cfg;

static void named_route(size_t i, const char *name, uint16_t port, unsigned tp)
{
	struct vs_route *r = &cfg.routes[i];

	memset(r, 0, sizeof(*r));
	snprintf(r->address, sizeof(r->address), "%s", name);
	r->named = true;
	r->port_set = port != 0;
	r->port = port;
	r->transport = tp;
	r->v4 = true;
}

static struct dns_target tgt(const char *ip, uint16_t port, bool srv, uint16_t prio,
			     uint16_t weight)
{
	struct dns_target t;

	memset(&t, 0, sizeof(t));
	vs_sa_from_ip(&t.sa, ip, port);
	t.srv = srv;
	t.priority = prio;
	t.weight = weight;
	return t;
}

static void test_route_table(void **state)
{
	struct dns_query q;
	struct vs_sockaddr got[8];
	struct dns_target res[2] = {tgt("192.0.2.1", 5070, false, 0, 0),
				    tgt("192.0.2.2", 5071, false, 0, 0)};
	char name[DNS_NAME_MAX];
	uint64_t wait;
	uint32_t gen, g1, g2;
	unsigned d1, d2;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	named_route(0, "trunk.test", 0, VS_TP_UDP);
	named_route(1, "pbx.test", 5080, VS_TP_TCP);
	cfg.nroutes = 2;
	assert_int_equal(route_dns_attach(&cfg), 0);
	d1 = cfg.routes[0].dns;
	g1 = cfg.routes[0].dns_gen;
	d2 = cfg.routes[1].dns;
	g2 = cfg.routes[1].dns_gen;
	assert_true(d1 && d2 && d1 != d2 && g1 != g2);
	assert_false(route_dns_all_tried());
	assert_int_equal(route_dns_get(d1, g1, got, 8, 1000), 0); /* not yet */

	/* Both are due at once; each is handed out once. */
	unsigned a = route_dns_due(1000, &q, name, sizeof(name), &gen, &wait);
	assert_int_equal(a, d1); /* in slot order */
	assert_int_equal(gen, g1);
	assert_string_equal(q.name, "trunk.test");
	assert_int_equal(q.port, 0);
	assert_int_equal(q.transport, VS_TP_UDP);
	assert_int_equal(route_dns_due(1000, &q, name, sizeof(name), &gen, &wait), d2);
	assert_int_equal(q.port, 5080);
	assert_int_equal(route_dns_due(1000, &q, name, sizeof(name), &gen, &wait), 0);
	assert_int_equal(wait, ROUTE_DNS_RETRY * 1000);

	assert_true(route_dns_store(d1, g1, res, 2, 5, 1000));	 /* TTL 5 s: kept 10 s */
	assert_false(route_dns_store(d1, g1, res, 2, 5, 1000));	 /* same: no news */
	assert_true(route_dns_store(d2, g2, res, 0, 300, 1000)); /* no address */
	assert_true(route_dns_all_tried());
	/* A-records (no SRV): DNS order. */
	assert_int_equal(route_dns_get(d1, g1, got, 8, 1000), 2);
	assert_true(vs_sa_ip_eq(&got[0], &res[0].sa));
	assert_true(route_dns_has(d1, g1, &res[1].sa));
	struct vs_sockaddr other_port;
	vs_sa_from_ip(&other_port, "192.0.2.2", 9999);
	assert_false(route_dns_has(d1, g1, &other_port));
	assert_true(route_dns_has_ip(d1, g1, &other_port));
	assert_false(route_dns_has_ip(d1, g1 + 100, &other_port)); /* another generation */
	assert_int_equal(route_dns_get(d2, g2, got, 8, 1000), 0);

	/* A failed address goes last for the hold-off, then back. */
	route_dns_failed(d1, g1, &res[0].sa, 2000);
	assert_int_equal(route_dns_get(d1, g1, got, 8, 2000), 2);
	assert_true(vs_sa_ip_eq(&got[0], &res[1].sa));
	assert_true(vs_sa_ip_eq(&got[1], &res[0].sa));
	assert_int_equal(route_dns_get(d1, g1, got, 8, 2000 + ROUTE_DNS_HOLDOFF_MS), 2);
	assert_true(vs_sa_ip_eq(&got[0], &res[0].sa));

	/* Due again after the TTL (clamped to the minimum); a failed
	 * lookup keeps the addresses. */
	assert_int_equal(route_dns_due(1000 + ROUTE_DNS_TTL_MIN * 1000 - 1, &q, name, sizeof(name),
				       &gen, &wait), 0);
	assert_int_equal(route_dns_due(1000 + ROUTE_DNS_TTL_MIN * 1000, &q, name, sizeof(name), &gen,
				       &wait), d1);
	route_dns_store(d1, g1, NULL, -1, 0, 12000);
	assert_int_equal(route_dns_get(d1, g1, got, 8, 12000), 2);

	/* A reload keeps the entry of an unchanged route, gives a changed
	 * one a new entry, and frees what no route uses. */
	memset(&cfg, 0, sizeof(cfg));
	named_route(0, "trunk.test", 0, VS_TP_UDP);
	named_route(1, "pbx.test", 5081, VS_TP_TCP);
	cfg.nroutes = 2;
	assert_int_equal(route_dns_attach(&cfg), 0);
	assert_int_equal(cfg.routes[0].dns, d1);
	assert_int_equal(cfg.routes[0].dns_gen, g1);
	assert_true(cfg.routes[1].dns != d2);
	route_dns_retain_only(&cfg);
	assert_int_equal(route_dns_get(d2, g2, got, 8, 12000), 0);

	/* A lookup that was under way for a freed entry whose slot was
	 * taken again since stores nothing into the new one. */
	assert_int_equal(route_dns_due(30000, &q, name, sizeof(name), &gen, &wait), d1);
	unsigned d3 = cfg.routes[1].dns;
	uint32_t g3 = cfg.routes[1].dns_gen;
	assert_int_equal(route_dns_due(30000, &q, name, sizeof(name), &gen, &wait), d3);
	memset(&cfg, 0, sizeof(cfg));
	route_dns_retain_only(&cfg); /* everything freed */
	named_route(0, "other.test", 0, VS_TP_UDP);
	cfg.nroutes = 1;
	assert_int_equal(route_dns_attach(&cfg), 0);
	assert_int_equal(cfg.routes[0].dns, d1); /* the first free slot again */
	assert_true(cfg.routes[0].dns_gen != g1);
	assert_false(route_dns_store(d1, g1, res, 2, 300, 20000)); /* the old lookup */
	assert_int_equal(route_dns_get(cfg.routes[0].dns, cfg.routes[0].dns_gen, got, 8, 20000), 0);
	assert_false(route_dns_store(d3, g3, res, 2, 300, 20000));
	memset(&cfg, 0, sizeof(cfg));
	route_dns_retain_only(&cfg);
}

/* RFC 2782 weights share the load request by request. */
static void test_route_weights(void **state)
{
	struct dns_target t[3] = {tgt("192.0.2.1", 5060, true, 10, 90),
				  tgt("192.0.2.2", 5060, true, 10, 10),
				  tgt("192.0.2.3", 5060, true, 20, 50)};
	struct vs_sockaddr got[8], q_sa;
	char name[DNS_NAME_MAX];
	struct dns_query q;
	uint64_t wait;
	uint32_t gen;
	unsigned first[3] = {0}, d;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	named_route(0, "weights.test", 0, VS_TP_UDP);
	cfg.nroutes = 1;
	assert_int_equal(route_dns_attach(&cfg), 0);
	d = cfg.routes[0].dns;
	assert_int_equal(route_dns_due(0, &q, name, sizeof(name), &gen, &wait), d);
	route_dns_store(d, gen, t, 3, 300, 0);
	for (int i = 0; i < 2000; i++) {
		assert_int_equal(route_dns_get(d, gen, got, 8, 0), 3);
		for (int k = 0; k < 3; k++)
			if (vs_sa_ip_eq(&got[0], &t[k].sa))
				first[k]++;
		/* every address exactly once */
		assert_false(vs_sa_ip_eq(&got[0], &got[1]) || vs_sa_ip_eq(&got[1], &got[2]) ||
			     vs_sa_ip_eq(&got[0], &got[2]));
	}
	/* 90:10 within the lowest priority; the priority 20 one never first. */
	assert_true(first[0] > 1650 && first[0] < 1950);
	assert_true(first[1] > 50 && first[1] < 350);
	assert_int_equal(first[2], 0);
	/* The heavy one failed: the light one first, every time. */
	q_sa = t[0].sa;
	route_dns_failed(d, gen, &q_sa, 0);
	for (int i = 0; i < 50; i++) {
		assert_int_equal(route_dns_get(d, gen, got, 8, 1), 3);
		assert_true(vs_sa_ip_eq(&got[0], &t[1].sa));
		assert_true(vs_sa_ip_eq(&got[2], &t[0].sa)); /* failed: last */
	}
	memset(&cfg, 0, sizeof(cfg));
	route_dns_retain_only(&cfg);
}

/* A configuration that does not fit takes no entry. */
static void test_route_table_full(void **state)
{
	static struct vs_config a, b, c;
	char nm[64];
	struct vs_sockaddr got[1];

	(void)state;
	struct vs_config *cs[3] = {&a, &b, &c};
	for (int k = 0; k < 3; k++) {
		memset(cs[k], 0, sizeof(*cs[k]));
		for (int i = 0; i < VS_CONFIG_MAX_ROUTES; i++) {
			struct vs_route *r = &cs[k]->routes[i];
			snprintf(nm, sizeof(nm), "r%d-%d.test", k, i);
			snprintf(r->address, sizeof(r->address), "%s", nm);
			r->named = true;
			r->transport = VS_TP_UDP;
			r->v4 = true;
		}
		cs[k]->nroutes = VS_CONFIG_MAX_ROUTES;
	}
	assert_int_equal(route_dns_attach(&a), 0);
	assert_int_equal(route_dns_attach(&b), 0); /* 128 entries used */
	assert_int_equal(route_dns_attach(&c), -1);
	/* c took nothing: once a is gone, b still has all its entries and
	 * a new configuration fits in a's. */
	route_dns_retain_only(&b);
	assert_int_equal(route_dns_attach(&c), 0);
	for (int i = 0; i < VS_CONFIG_MAX_ROUTES; i++)
		assert_int_equal(route_dns_get(b.routes[i].dns, b.routes[i].dns_gen, got, 1, 0), 0);
	memset(&cfg, 0, sizeof(cfg));
	route_dns_retain_only(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostname),
		cmocka_unit_test(test_parse_srv),
		cmocka_unit_test(test_parse_addrs),
		cmocka_unit_test(test_srv_order),
		cmocka_unit_test(test_route_table),
		cmocka_unit_test(test_route_weights),
		cmocka_unit_test(test_route_table_full),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
