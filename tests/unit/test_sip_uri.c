/*
 * test_sip_uri.c - the URI parser and URI comparison (RFC 3261 19.1,
 * 19.1.4, 25.1; RFC 3966 3 and 4).
 *
 * Most cases are tables of {URI, expected result}; a few tests check every
 * slice of one URI.  Comparison cases are always checked both ways round.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <errno.h>
#include <cmocka.h>

#include "sip/uri.h"

static int parse(struct sip_uri *u, const char *s)
{
	struct pl pl = pl_from_cstr(s);
	return sip_uri_parse(u, &pl);
}

struct uri_case {
	const char *uri;
	int rc;
};

static void run_uri_cases(const struct uri_case *c, size_t n)
{
	bool failed = false;

	for (size_t i = 0; i < n; i++) {
		struct sip_uri u;
		int rc = parse(&u, c[i].uri);
		if (rc != c[i].rc) {
			print_error("URI \"%s\": got %d, want %d\n", c[i].uri,
				    rc, c[i].rc);
			failed = true;
		}
	}
	if (failed)
		fail();
}

static void test_sip_valid(void **state)
{
	static const struct uri_case cases[] = {
		{"sip:alice@atlanta.com", 0},
		{"sips:alice@atlanta.com:5061", 0},
		{"SIP:ALICE@ATLANTA.COM", 0},
		{"sIpS:alice@atlanta.com", 0},
		{"sip:alice:secretword@atlanta.com;transport=tcp", 0},
		{"sip:alice:@atlanta.com", 0}, /* empty password */
		{"sip:+1-212-555-1212:1234@gateway.com;user=phone", 0},
		{"sip:alice;day=tuesday@atlanta.com", 0},
		{"sip:%61lice@atlanta.com", 0},
		{"sip:a%20b%2Fc@atlanta.com", 0},
		{"sip:u-_.!~*'()&=+$,;?/@host.example", 0},
		{"sip:alice:p-_.!~*'()&=+$,%41@host.example", 0},
		{"sip:atlanta.com", 0},
		{"sip:atlanta.com.", 0}, /* fully qualified, trailing dot */
		{"sip:a-b.c-d.example9", 0},
		{"sip:x", 0},
		{"sip:a1.b2.c3", 0},
		{"sip:192.0.2.4", 0},
		{"sip:alice@192.0.2.4:5060", 0},
		{"sip:0.0.0.0", 0},
		{"sip:255.255.255.255", 0},
		{"sip:host:0", 0},
		{"sip:host:65535", 0},
		{"sip:host:000005060", 0},
		{"sip:[2001:db8::10]", 0},
		{"sip:alice@[2001:db8::10]:5070", 0},
		{"sip:[::1]", 0},
		{"sip:[::]", 0},
		{"sip:[1:2:3:4:5:6:7:8]", 0},
		{"sip:[1::]", 0},
		{"sip:[1:2:3:4:5:6:7::]", 0},
		{"sip:[::2:3:4:5:6:7:8]", 0},
		{"sip:[FFFF:abcd::0]", 0},
		{"sip:[::ffff:192.0.2.1]", 0},
		{"sip:[1:2:3:4:5:6:192.0.2.1]", 0},
		{"sip:[::192.0.2.1]", 0},
		{"sip:alice@atlanta.com;maddr=239.255.255.1;ttl=15", 0},
		{"sip:host;maddr=[2001:db8::1]", 0},
		{"sip:host;maddr=mcast.example.net", 0},
		{"sip:p.example.com;lr", 0},
		{"sip:p.example.com;lr=on", 0},
		{"sip:h;a;b=c;%43=%42;x-y=[v]", 0},
		{"sip:alice@atlanta.com?subject=project%20x&priority=urgent", 0},
		{"sip:atlanta.com;method=REGISTER?to=alice%40atlanta.com", 0},
		{"sip:h?to=sip:bob%40biloxi.com", 0},
		{"sip:h?empty=", 0},
		{"sip:h;transport=udp?a=b", 0},
		{"sip:h?Route=%3Csip:a%3E&Route=%3Csip:b%3E", 0},
	};
	(void)state;
	run_uri_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_sip_invalid(void **state)
{
	static const struct uri_case cases[] = {
		{"", EBADMSG},
		{"sip", EBADMSG},
		{":alice@host", EBADMSG},
		{"sip:", EBADMSG},
		{"sip:@host", EBADMSG},	     /* user = 1*( ... ) */
		{"sip:alice@", EBADMSG},
		{"sip:alice@host:", EBADMSG}, /* port = 1*DIGIT */
		{"sip:alice@host:65536", EBADMSG},
		{"sip:alice@host:99999999999", EBADMSG},
		{"sip:alice@host:50a", EBADMSG},
		{"sip:alice@host:5060:5060", EBADMSG},
		{"sip:al ice@host", EBADMSG},
		{"sip:al\"ice@host", EBADMSG},
		{"sip:%6galice@host", EBADMSG},
		{"sip:a%2@host", EBADMSG},
		{"sip:a%@host", EBADMSG},
		{"sip:alice:pa:ss@host", EBADMSG},
		{"sip:alice:pa;ss@host", EBADMSG},
		{"sip:alice@host@host2", EBADMSG},
		{"sip:host x", EBADMSG},
		{"sip:ho%41st", EBADMSG},
		/* IPv6 references. */
		{"sip:[1:2:3:4:5:6:7:8:9]", EBADMSG},
		{"sip:[::1::2]", EBADMSG},
		{"sip:[12345::]", EBADMSG},
		{"sip:[1:2:3:4:5:6:7]", EBADMSG},
		{"sip:[1:2:3:4:5:6:7:8::]", EBADMSG},
		{"sip:[1::2:]", EBADMSG},
		{"sip:[1:]", EBADMSG},
		{"sip:[:1::]", EBADMSG},
		{"sip:[:::1]", EBADMSG},
		{"sip:[::1", EBADMSG},
		{"sip:[]", EBADMSG},
		{"sip:[g::1]", EBADMSG},
		{"sip:[::1]x", EBADMSG},
		{"sip:::1", EBADMSG},
		{"sip:2001:db8::1", EBADMSG},
		{"sip:[192.0.2.1]", EBADMSG},
		{"sip:[::192.0.2]", EBADMSG},
		{"sip:[::192.0.2.256]", EBADMSG},
		{"sip:[1:2:3:4:5:6:7:192.0.2.1]", EBADMSG},
		{"sip:[::a.0.2.1]", EBADMSG},
		/* IPv4 and host names (label rules). */
		{"sip:256.1.1.1", EBADMSG},
		{"sip:1.2.3", EBADMSG},
		{"sip:1.2.3.4.5", EBADMSG},
		{"sip:1.2.3.4a", EBADMSG},
		{"sip:1234.1.1.1", EBADMSG},
		{"sip:-host.com", EBADMSG},
		{"sip:host-.com", EBADMSG},
		{"sip:host.-com", EBADMSG},
		{"sip:host..com", EBADMSG},
		{"sip:.host", EBADMSG},
		{"sip:host.123", EBADMSG},   /* toplabel starts with ALPHA */
		{"sip:1host", EBADMSG},
		{"sip:ho_st.com", EBADMSG},
		/* Parameters and headers. */
		{"sip:host;", EBADMSG},
		{"sip:host;=a", EBADMSG},
		{"sip:host;a=", EBADMSG},
		{"sip:host;a b", EBADMSG},
		{"sip:host;a=%4", EBADMSG},
		{"sip:host;transport", EBADMSG},
		{"sip:host;maddr", EBADMSG},
		{"sip:host;maddr=bad_host", EBADMSG},
		{"sip:host;maddr=::1", EBADMSG}, /* maddr-param = host */
		{"sip:host?", EBADMSG},
		{"sip:host?a", EBADMSG},
		{"sip:host?=b", EBADMSG},
		{"sip:host?a=b&", EBADMSG},
		{"sip:host?&a=b", EBADMSG},
		{"sip:host?a=b=c", EBADMSG},
		{"sip:host?a=b;c", EBADMSG},
		{"sip:host#frag", EBADMSG},
		/* RFC 3261 19.1.1: each parameter name at most once. */
		{"sip:host;lr;lr", EBADMSG},
		{"sip:host;transport=tcp;Transport=udp", EBADMSG},
		{"sip:host;%74ransport=tcp;transport=tcp", EBADMSG},
		{"sip:host;x=1;y;X", EBADMSG},
		/* Found by fuzz_sip_uri: a repeated name broke reflexivity. */
		{"sip:%61lice@atlanta.example.com;transport=T;Transport=tcp",
		 EBADMSG},
		/* Not URI text at all. */
		{"1ab:xyz", EBADMSG},
		{"fo o:bar", EBADMSG},
		{"foo:a b", EBADMSG},
		{"foo:<x>", EBADMSG},
	};
	(void)state;
	run_uri_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_other_schemes(void **state)
{
	static const struct uri_case cases[] = {
		{"mailto:alice@atlanta.com", EPROTONOSUPPORT},
		{"http://www.example.com/a?b=c", EPROTONOSUPPORT},
		{"urn:service:sos", EPROTONOSUPPORT},
		{"im:alice@atlanta.com", EPROTONOSUPPORT},
		{"x-my.scheme+1:anything", EPROTONOSUPPORT},
		{"sipx:alice@atlanta.com", EPROTONOSUPPORT},
	};
	(void)state;
	run_uri_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_hostname_limits(void **state)
{
	char buf[400];
	struct sip_uri u;
	size_t n;

	(void)state;
	/* A 63-byte label is the most RFC 1035 allows. */
	n = (size_t)snprintf(buf, sizeof(buf), "sip:%s.example",
			     "a23456789012345678901234567890123456789012345678"
			     "901234567890123");
	assert_int_equal(n, 4 + 63 + 8);
	assert_int_equal(parse(&u, buf), 0);
	snprintf(buf, sizeof(buf), "sip:%s.example",
		 "a234567890123456789012345678901234567890123456789012345678"
		 "901234");
	assert_int_equal(parse(&u, buf), EBADMSG);
	snprintf(buf, sizeof(buf), "sip:%s",
		 "a234567890123456789012345678901234567890123456789012345678"
		 "901234");
	assert_int_equal(parse(&u, buf), EBADMSG);

	/* Names up to 253 bytes (254 with the final dot), no longer. */
	strcpy(buf, "sip:");
	for (int i = 0; i < 63; i++)
		strcat(buf, "a.");
	strcat(buf, "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghi");
	assert_int_equal(strlen(buf) - 4, 126 + 61);
	assert_int_equal(parse(&u, buf), 0);
	strcpy(buf, "sip:");
	for (int i = 0; i < 126; i++)
		strcat(buf, "a.");
	strcat(buf, "z");
	assert_int_equal(strlen(buf) - 4, 253);
	assert_int_equal(parse(&u, buf), 0);
	strcat(buf, ".");
	assert_int_equal(parse(&u, buf), 0);
	buf[strlen(buf) - 1] = 'z';
	assert_int_equal(strlen(buf) - 4, 254);
	assert_int_equal(parse(&u, buf), EBADMSG);
}

static void test_param_limit(void **state)
{
	char buf[1024];
	struct sip_uri u;

	(void)state;
	strcpy(buf, "sip:host");
	for (int i = 0; i < SIP_URI_MAX_PARAMS; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf),
			 ";p%d", i);
	assert_int_equal(parse(&u, buf), 0);
	strcat(buf, ";q");
	assert_int_equal(parse(&u, buf), EOVERFLOW);

	strcpy(buf, "sip:host?a=1");
	for (int i = 1; i < SIP_URI_MAX_PARAMS; i++)
		strcat(buf, "&a=1");
	assert_int_equal(parse(&u, buf), 0);
	strcat(buf, "&a=1");
	assert_int_equal(parse(&u, buf), EOVERFLOW);

	strcpy(buf, "tel:+1");
	for (int i = 0; i < SIP_URI_MAX_PARAMS; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf),
			 ";p%d", i);
	assert_int_equal(parse(&u, buf), 0);
	strcat(buf, ";q");
	assert_int_equal(parse(&u, buf), EOVERFLOW);
}

static void test_fields(void **state)
{
	struct sip_uri u;
	struct pl v;

	(void)state;
	assert_int_equal(parse(&u, "sips:al%69ce:pw@[2001:db8::1]:5061;"
				   "transport=TLS;maddr=[::1];LR;x=y"
				   "?h=v&i=w"),
			 0);
	assert_int_equal(u.scheme, SIP_URI_SIPS);
	assert_true(pl_eq_str(&u.user, "al%69ce"));
	assert_true(pl_eq_str(&u.password, "pw"));
	assert_true(pl_eq_str(&u.host, "[2001:db8::1]"));
	assert_int_equal(u.host_type, SIP_HOST_IPV6);
	assert_true(u.has_port);
	assert_int_equal(u.port, 5061);
	assert_true(pl_eq_str(&u.params, ";transport=TLS;maddr=[::1];LR;x=y"));
	assert_true(pl_eq_str(&u.headers, "h=v&i=w"));
	assert_true(pl_eq_str(&u.transport, "TLS"));
	assert_true(pl_eq_str(&u.maddr, "[::1]"));
	assert_true(u.lr);

	assert_true(sip_uri_param(&u, "x", &v));
	assert_true(pl_eq_str(&v, "y"));
	assert_true(sip_uri_param(&u, "lr", &v));
	assert_false(pl_isset(&v));
	assert_true(sip_uri_param(&u, "Transport", &v));
	assert_true(pl_eq_str(&v, "TLS"));
	assert_false(sip_uri_param(&u, "l", &v));
	assert_false(sip_uri_param(&u, "h", &v));

	assert_int_equal(parse(&u, "sip:example.com"), 0);
	assert_int_equal(u.scheme, SIP_URI_SIP);
	assert_false(pl_isset(&u.user));
	assert_false(pl_isset(&u.password));
	assert_false(pl_isset(&u.params));
	assert_false(pl_isset(&u.headers));
	assert_false(u.has_port);
	assert_int_equal(u.port, 0);
	assert_int_equal(u.host_type, SIP_HOST_NAME);
	assert_false(u.lr);
	assert_false(sip_uri_param(&u, "lr", NULL));

	assert_int_equal(parse(&u, "sip:bob@192.0.2.4:0"), 0);
	assert_int_equal(u.host_type, SIP_HOST_IPV4);
	assert_true(u.has_port);
	assert_int_equal(u.port, 0);
	assert_false(pl_isset(&u.password));

	/* The user part may contain ';' and '?': the '@' decides. */
	assert_int_equal(parse(&u, "sip:alice;day=tuesday@atlanta.com;x"), 0);
	assert_true(pl_eq_str(&u.user, "alice;day=tuesday"));
	assert_true(pl_eq_str(&u.host, "atlanta.com"));
	assert_true(pl_eq_str(&u.params, ";x"));
}

static void test_tel(void **state)
{
	static const struct uri_case cases[] = {
		{"tel:+1-201-555-0123", 0},
		{"tel:+12015550123", 0},
		{"TEL:+1(201)555.0123", 0},
		{"tel:7042;phone-context=example.com", 0},
		{"tel:863-1234;phone-context=+1-914-555", 0},
		{"tel:*67#;phone-context=example.com", 0},
		{"tel:ABCD;phone-context=x.example", 0},
		{"tel:+1-201-555-0123;ext=22", 0},
		{"tel:+358-555-1234567;postd=pp22", 0},
		{"tel:+1234;isub=1411;foo;bar=%41", 0},
		{"tel:", EBADMSG},
		{"tel:+", EBADMSG},
		{"tel:+-.()", EBADMSG},
		{"tel:1234", EBADMSG},		/* local needs context */
		{"tel:+12a3", EBADMSG},		/* no hex in global numbers */
		{"tel:+1 234", EBADMSG},
		{"tel:+1234;", EBADMSG},
		{"tel:+1234;=x", EBADMSG},
		{"tel:+1234;a_b=1", EBADMSG},
		{"tel:+1234;a=", EBADMSG},
		{"tel:+1234;a=b c", EBADMSG},
		{"tel:1234;phone-context", EBADMSG},
		{"tel:1234;phone-context=", EBADMSG},
		/* RFC 3966 3: no parameter may appear twice. */
		{"tel:+1234;a=1;a=2", EBADMSG},
		{"tel:+1234;ext=1;EXT=1", EBADMSG},
		{"tel:12;phone-context=a.example;phone-context=b.example",
		 EBADMSG},
	};
	struct sip_uri u;

	(void)state;
	run_uri_cases(cases, sizeof(cases) / sizeof(cases[0]));

	assert_int_equal(parse(&u, "tel:+1-201-555-0123;ext=22"), 0);
	assert_int_equal(u.scheme, SIP_URI_TEL);
	assert_true(u.tel_global);
	assert_true(pl_eq_str(&u.user, "+1-201-555-0123"));
	assert_true(pl_eq_str(&u.params, ";ext=22"));
	assert_false(pl_isset(&u.host));

	assert_int_equal(parse(&u, "tel:7042;phone-context=example.com"), 0);
	assert_false(u.tel_global);
	assert_true(pl_eq_str(&u.user, "7042"));
	assert_true(sip_uri_param(&u, "phone-context", NULL));
}

static void test_unescape(void **state)
{
	char buf[16];
	struct pl in = PL("%61l%69ce%2");

	(void)state;
	assert_int_equal(sip_uri_unescape(&in, buf, sizeof(buf)), 7);
	assert_memory_equal(buf, "alice%2", 7);
	in = PL("%4A%4b");
	assert_int_equal(sip_uri_unescape(&in, buf, sizeof(buf)), 2);
	assert_memory_equal(buf, "JK", 2);
	assert_int_equal(sip_uri_unescape(&in, buf, 1), -1);
	in = PL("");
	assert_int_equal(sip_uri_unescape(&in, buf, sizeof(buf)), 0);
}

struct cmp_case {
	const char *a, *b;
	bool equal;
};

static void run_cmp_cases(const struct cmp_case *c, size_t n)
{
	bool failed = false;

	for (size_t i = 0; i < n; i++) {
		struct sip_uri ua, ub;
		if (parse(&ua, c[i].a) || parse(&ub, c[i].b)) {
			print_error("does not parse: %s / %s\n", c[i].a,
				    c[i].b);
			failed = true;
			continue;
		}
		if (sip_uri_cmp(&ua, &ub) != c[i].equal ||
		    sip_uri_cmp(&ub, &ua) != c[i].equal) {
			print_error("%s %s %s\n", c[i].a,
				    c[i].equal ? "should equal"
					       : "should differ from",
				    c[i].b);
			failed = true;
		}
		if (!sip_uri_cmp(&ua, &ua) || !sip_uri_cmp(&ub, &ub)) {
			print_error("not reflexive: %s / %s\n", c[i].a, c[i].b);
			failed = true;
		}
	}
	if (failed)
		fail();
}

/* The example pairs of RFC 3261 19.1.4, and a few more of each rule. */
static void test_cmp_sip(void **state)
{
	static const struct cmp_case cases[] = {
		/* Equivalent. */
		{"sip:%61lice@atlanta.com;transport=TCP",
		 "sip:alice@AtLanTa.CoM;Transport=tcp", true},
		{"sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5",
		 true},
		{"sip:carol@chicago.com", "sip:carol@chicago.com;security=on",
		 true},
		{"sip:carol@chicago.com;newparam=5",
		 "sip:carol@chicago.com;security=on", true},
		{"sip:biloxi.com;transport=tcp;method=REGISTER"
		 "?to=sip:bob%40biloxi.com",
		 "sip:biloxi.com;method=REGISTER;transport=tcp"
		 "?to=sip:bob%40biloxi.com",
		 true},
		{"sip:alice@atlanta.com?subject=project%20x&priority=urgent",
		 "sip:alice@atlanta.com?priority=urgent&subject=project%20x",
		 true},
		{"SIP:alice@atlanta.com", "sip:alice@atlanta.com", true},
		{"sip:alice@[2001:db8::1]", "sip:alice@[2001:DB8:0:0::1]",
		 true},
		{"sip:[::ffff:192.0.2.1]", "sip:[::FFFF:c000:201]", true},
		{"sip:a@h;lr", "sip:a@h", true},
		{"sip:a@h;maddr=239.1.1.1", "sip:a@h;MADDR=239.1.1.1", true},
		{"sip:a@h;x=%41", "sip:a@h;x=a", true},
		{"sip:a%7e@h", "sip:a~@h", true},
		{"sip:a:pw@h", "sip:a:p%77@h", true},
		/* Not equivalent. */
		{"SIP:ALICE@AtLanTa.CoM;Transport=udp",
		 "sip:alice@AtLanTa.CoM;Transport=UDP", false},
		{"sip:bob@biloxi.com", "sip:bob@biloxi.com:5060", false},
		{"sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp",
		 false},
		{"sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp",
		 false},
		{"sip:carol@chicago.com",
		 "sip:carol@chicago.com?Subject=next%20meeting", false},
		{"sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4", false},
		{"sip:alice@atlanta.com", "sips:alice@atlanta.com", false},
		{"sip:alice:pw@atlanta.com", "sip:alice:PW@atlanta.com", false},
		{"sip:alice:pw@atlanta.com", "sip:alice@atlanta.com", false},
		{"sip:atlanta.com", "sip:alice@atlanta.com", false},
		{"sip:a%3bb@h", "sip:a;b@h", false}, /* escaped reserved */
		{"sip:a@h;user=phone", "sip:a@h", false},
		{"sip:a@h;ttl=1", "sip:a@h", false},
		{"sip:a@h;method=INVITE", "sip:a@h", false},
		{"sip:a@h;maddr=239.1.1.1", "sip:a@h", false},
		{"sip:a@h;x=1", "sip:a@h;x=2", false},
		{"sip:a@h;transport=tcp", "sip:a@h;transport=udp", false},
		{"sip:a@h?x=1", "sip:a@h?x=2", false},
		{"sip:a@h?x=1", "sip:a@h?x=1&y=2", false},
		{"sip:a@[::1]", "sip:a@[::2]", false},
		{"sip:a@h:5060", "sip:a@h:5061", false},
		{"sip:a@h", "tel:+1234", false},
		/* A header may repeat; each occurrence must be matched. */
		{"sip:a@h?r=1&r=2", "sip:a@h?r=2&r=1", true},
		{"sip:a@h?r=1&r=2", "sip:a@h?r=1&r=3", false},
		{"sip:a@h?r=1&r=2", "sip:a@h?r=1", false},
	};
	(void)state;
	run_cmp_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

/* RFC 3966 4. */
static void test_cmp_tel(void **state)
{
	static const struct cmp_case cases[] = {
		{"tel:+1-201-555-0123", "tel:+12015550123", true},
		{"tel:+1(201)555.0123", "TEL:+1-201-555-0123", true},
		{"tel:7042;phone-context=example.com",
		 "tel:70-42;phone-context=EXAMPLE.COM", true},
		{"tel:ab12;phone-context=x.example",
		 "tel:AB12;phone-context=x.example", true},
		{"tel:+1234;a=1;b=2", "tel:+1234;b=2;a=1", true},
		{"tel:+1234;A=x", "tel:+1234;a=X", true},
		/* A global-number-digits context compares digit by digit. */
		{"tel:863-1234;phone-context=+1-914-555",
		 "tel:8631234;phone-context=+1914555", true},
		{"tel:+1234;ext=1-2", "tel:+1234;ext=12", true},
		{"tel:+1234", "tel:+12345", false},
		{"tel:+1234", "tel:+1234;a=1", false},
		{"tel:+1234;a=1", "tel:+1234;a=2", false},
		{"tel:+1234;a=1", "tel:+1234;b=1", false},
		{"tel:1234;phone-context=+1234", "tel:+1234", false},
		{"tel:7042;phone-context=example.com",
		 "tel:7042;phone-context=example.net", false},
		{"tel:863-1234;phone-context=+1-914-555",
		 "tel:8631234;phone-context=+1914556", false},
	};
	(void)state;
	run_cmp_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_cmp_unparsed(void **state)
{
	struct sip_uri a, b;

	(void)state;
	assert_int_equal(parse(&a, "mailto:a@b"), EPROTONOSUPPORT);
	assert_int_equal(parse(&b, "mailto:a@b"), EPROTONOSUPPORT);
	/* Nothing is known of another scheme: never equal. */
	assert_false(sip_uri_cmp(&a, &b));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sip_valid),
		cmocka_unit_test(test_sip_invalid),
		cmocka_unit_test(test_other_schemes),
		cmocka_unit_test(test_hostname_limits),
		cmocka_unit_test(test_param_limit),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_tel),
		cmocka_unit_test(test_unescape),
		cmocka_unit_test(test_cmp_sip),
		cmocka_unit_test(test_cmp_tel),
		cmocka_unit_test(test_cmp_unparsed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
