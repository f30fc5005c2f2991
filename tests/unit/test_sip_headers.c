/*
 * test_sip_headers.c - the headers parsed on demand (RFC 3261 20): Contact,
 * Route / Record-Route / Path, Content-Type, Expires, option-tag lists,
 * User-Agent / Server, the four authentication headers, plus the header
 * name and method tables (compact forms, case).
 *
 * Each table row is one or more header lines added to a valid request;
 * sip_msg_parse() must accept the request and sip_msg_parse_all() must
 * give the expected verdict for the added lines.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <errno.h>
#include <cmocka.h>

#include "sip/msg.h"

static struct sip_limits lim;
static struct sip_msg msg;
static char buf[8192];

#define CORE                                                                   \
	"REGISTER sip:registrar.example.com SIP/2.0\r\n"                       \
	"Via: SIP/2.0/UDP ua.example.com;branch=z9hG4bKnashds7\r\n"            \
	"From: Bob <sip:bob@example.com>;tag=456248\r\n"                       \
	"To: Bob <sip:bob@example.com>\r\n"                                    \
	"Call-ID: 843817637684230@998sdasdh09\r\n"                             \
	"CSeq: 1826 REGISTER\r\n"

/* Parse CORE plus the given header lines (each ending in CRLF). */
static int parse_with(const char *hdrs)
{
	int n = snprintf(buf, sizeof(buf), CORE "%s\r\n", hdrs);

	assert_true(n > 0 && (size_t)n < sizeof(buf));
	return sip_msg_parse(&msg, buf, (size_t)n, &lim);
}

struct hdr_case {
	const char *hdrs;
	bool ok;
};

static void run_cases(const struct hdr_case *c, size_t n)
{
	bool failed = false;

	for (size_t i = 0; i < n; i++) {
		int rc = parse_with(c[i].hdrs);
		if (rc != 0) {
			print_error("case %zu: sip_msg_parse failed (%s):\n%s",
				    i, sip_err_name(msg.err), c[i].hdrs);
			failed = true;
			continue;
		}
		rc = sip_msg_parse_all(&msg);
		if ((rc == 0) != c[i].ok) {
			print_error("case %zu: sip_msg_parse_all %s:\n%s", i,
				    rc ? "rejected" : "accepted", c[i].hdrs);
			failed = true;
		}
	}
	if (failed)
		fail();
}

#define RUN(cases) run_cases(cases, sizeof(cases) / sizeof(cases[0]))

/* Collect the elements of a list header; returns the count or -errno. */
static int addrs(enum sip_hdr_id id, enum sip_addr_kind kind,
		 struct sip_addr *out, int max)
{
	struct sip_hdr_iter it;
	struct sip_addr a;
	int n = 0, err;

	sip_hdr_iter_init(&it, &msg, id);
	while ((err = sip_addr_next(&it, &a, kind)) == 0) {
		if (n < max)
			out[n] = a;
		n++;
	}
	return err == ENOENT ? n : -err;
}

static void test_contact(void **state)
{
	static const struct hdr_case cases[] = {
		{"", true},
		{"Contact: <sip:bob@192.0.2.4>\r\n", true},
		{"Contact: *\r\nExpires: 0\r\n", true},
		{"Contact:  * \r\n", true},
		{"m: <sips:bob@[2001:db8::1]:5061>;expires=60\r\n", true},
		{"Contact: sip:bob@192.0.2.4;expires=60;q=0.5\r\n", true},
		{"Contact: \"Mr. Watson\" <sip:watson@worcester.example.com>"
		 ";q=0.7; expires=3600, \"Mr. Watson\" "
		 "<mailto:watson@bell-telephone.com> ;q=0.1\r\n",
		 true},
		{"Contact: <sip:a@h>\r\nContact: <sip:b@h>, <tel:+1234>\r\n",
		 true},
		{"Contact: <sip:a@h>;q=0\r\n", true},
		{"Contact: <sip:a@h>;q=0.\r\n", true},
		{"Contact: <sip:a@h>;q=0.001\r\n", true},
		{"Contact: <sip:a@h>;q=1\r\n", true},
		{"Contact: <sip:a@h>;q=1.\r\n", true},
		{"Contact: <sip:a@h>;q=1.000\r\n", true},
		{"Contact: <sip:a@h>;expires=0\r\n", true},
		{"Contact: <sip:a@h>;expires=99999999999\r\n", true},
		{"Contact: <sip:a@h>;+sip.instance=\"<urn:uuid:0>\"\r\n", true},
		{"Contact:\r\n", false},
		{"Contact: <sip:a@h>;q=1.5\r\n", false},
		{"Contact: <sip:a@h>;q=0.1234\r\n", false},
		{"Contact: <sip:a@h>;q=1.0001\r\n", false},
		{"Contact: <sip:a@h>;q=2\r\n", false},
		{"Contact: <sip:a@h>;q=.5\r\n", false},
		{"Contact: <sip:a@h>;q=0,5\r\n", false},
		{"Contact: <sip:a@h>;q=\"0.5\"\r\n", false},
		{"Contact: <sip:a@h>;q=-0\r\n", false},
		{"Contact: <sip:a@h>;q\r\n", false},
		{"Contact: <sip:a@h>;q=0.5;q=0.5\r\n", false},
		{"Contact: <sip:a@h>;expires\r\n", false},
		{"Contact: <sip:a@h>;expires=-1\r\n", false},
		{"Contact: <sip:a@h>;expires=1h\r\n", false},
		{"Contact: <sip:a@h>;expires=1;expires=1\r\n", false},
		{"Contact: <sip:a@h>;\r\n", false},
		{"Contact: <sip:a@h>,\r\n", false},
		{"Contact: <sip:a@h>,,<sip:b@h>\r\n", false},
		{"Contact: <sip:a@h> <sip:b@h>\r\n", false},
		{"Contact: <sip:a@h\r\n", false},
		{"Contact: sip:a@h?x=y\r\n", false},
		{"Contact: <sip:a@>\r\n", false},
		{"Contact: *;expires=0\r\n", false},
		{"Contact: *, <sip:a@h>\r\n", false},
		{"Contact: <sip:a@h>, *\r\n", false},
		{"Contact: *\r\nContact: <sip:a@h>\r\n", false},
		{"Contact: <sip:a@h>\r\nContact: *\r\n", false},
		{"Contact: **\r\n", false},
	};
	struct sip_addr a[4];

	(void)state;
	RUN(cases);

	assert_int_equal(parse_with(cases[6].hdrs), 0);
	assert_int_equal(addrs(SIP_HDR_CONTACT, SIP_ADDR_CONTACT, a, 4), 2);
	assert_true(pl_eq_str(&a[0].display, "\"Mr. Watson\""));
	assert_true(a[0].has_q);
	assert_int_equal(a[0].q, 700);
	assert_true(a[0].has_expires);
	assert_int_equal(a[0].expires, 3600);
	assert_int_equal(a[1].uri.scheme, SIP_URI_NONE); /* mailto: */
	assert_true(pl_eq_str(&a[1].uri_raw, "mailto:watson@bell-telephone.com"));
	assert_int_equal(a[1].q, 100);
	assert_false(a[1].has_expires);

	assert_int_equal(parse_with("Contact: <sip:a@h>;q=0.05, <sip:b@h>"
				    ";q=1.0, sip:c@h;expires=99999999999\r\n"),
			 0);
	assert_int_equal(addrs(SIP_HDR_CONTACT, SIP_ADDR_CONTACT, a, 4), 3);
	assert_int_equal(a[0].q, 50);
	assert_int_equal(a[1].q, 1000);
	assert_false(a[2].has_q);
	assert_int_equal(a[2].expires, UINT32_MAX); /* capped, 20.19 */
	assert_true(pl_eq_str(&a[2].uri_raw, "sip:c@h"));
	assert_true(pl_eq_str(&a[2].params, ";expires=99999999999"));

	assert_int_equal(parse_with("m: * \r\n"), 0);
	assert_int_equal(addrs(SIP_HDR_CONTACT, SIP_ADDR_CONTACT, a, 4), 1);
	assert_true(a[0].star);
	assert_true(pl_eq_str(&a[0].value, "*"));
}

static void test_routes(void **state)
{
	static const struct hdr_case cases[] = {
		{"Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n",
		 true},
		{"Route: <sip:p1.example.com;lr>\r\nRoute: <sips:p2;lr>\r\n",
		 true},
		{"Route: \"edge\" <sip:192.0.2.1:5060;lr>;x=y\r\n", true},
		{"Record-Route: <sip:p1.example.com;lr;ftag=abc>\r\n", true},
		{"Record-Route: <sip:[2001:db8::1];lr>,\r\n"
		 " <sip:p2.example.com;lr>\r\n", true},
		{"Path: <sip:pcscf.example.com;lr>\r\n", true},
		{"Service-Route: <sip:orig@scscf.example.com;lr>\r\n", true},
		/* name-addr is required (RFC 3261 20.30, 20.34; RFC 3327). */
		{"Route: sip:p1.example.com;lr\r\n", false},
		{"Record-Route: sip:p1.example.com\r\n", false},
		{"Path: sip:pcscf.example.com\r\n", false},
		{"Route: <tel:+1234>\r\n", false},
		{"Route: <mailto:a@example.com>\r\n", false},
		{"Route: <sip:p1;lr>,\r\n", false},
		{"Route: *\r\n", false},
		{"Route:\r\n", false},
		{"Route: <sip:p1;lr> <sip:p2;lr>\r\n", false},
		{"Record-Route: <sip:p1;lr>;\r\n", false},
		/* The plain name-addr / addr-spec headers. */
		{"Refer-To: <sip:carol@example.net?Replaces=x%40y>\r\n", true},
		{"r: sip:carol@example.net\r\n", true},
		{"Referred-By: <sip:alice@example.com>;cid=\"x@y\"\r\n", true},
		{"Reply-To: Bob <sip:bob@example.com>\r\n", true},
		{"P-Asserted-Identity: \"Bob\" <sip:bob@example.com>\r\n",
		 true},
		{"Refer-To: sip:carol@example.net?x=y\r\n", false},
		{"Reply-To: <sip:bob@example.com\r\n", false},
	};
	struct sip_addr a[4];

	(void)state;
	RUN(cases);
	assert_int_equal(parse_with(cases[0].hdrs), 0);
	assert_int_equal(addrs(SIP_HDR_ROUTE, SIP_ADDR_ROUTE, a, 4), 2);
	assert_true(a[0].uri.lr);
	assert_true(pl_eq_str(&a[0].uri.host, "p1.example.com"));
	assert_true(pl_eq_str(&a[1].uri.host, "p2.example.com"));
	/* The same text is a fine Contact, but not a Route. */
	assert_int_equal(parse_with("Route: sip:p1.example.com\r\n"), 0);
	assert_int_equal(addrs(SIP_HDR_ROUTE, SIP_ADDR_ROUTE, a, 4),
			 -EBADMSG);
	assert_int_equal(addrs(SIP_HDR_ROUTE, SIP_ADDR_CONTACT, a, 4), 1);
}

static void test_small_fields(void **state)
{
	static const struct hdr_case cases[] = {
		{"Content-Type: application/sdp\r\n", true},
		{"c: multipart/mixed;boundary=unique-boundary-1\r\n", true},
		{"Content-Type: text/plain ; charset = \"utf-8\"\r\n", true},
		{"Content-Type: application/sdp;a=b;c=d\r\n", true},
		{"Content-Type: application\r\n", false},
		{"Content-Type: application/\r\n", false},
		{"Content-Type: /sdp\r\n", false},
		{"Content-Type:\r\n", false},
		{"Content-Type: application/sdp;charset\r\n", false},
		{"Content-Type: application/sdp junk\r\n", false},
		{"Content-Type: application/sdp;\r\n", false},
		{"Expires: 3600\r\n", true},
		{"Expires: 0\r\n", true},
		{"Expires: 4294967295\r\n", true},
		{"Expires: 4294967296\r\n", false},
		{"Expires: -1\r\n", false},
		{"Expires: 1 h\r\n", false},
		{"Expires:\r\n", false},
		{"Min-Expires: 60\r\n", true},
		{"Min-Expires: sixty\r\n", false},
		{"RSeq: 988789\r\n", true},
		{"RSeq: x\r\n", false},
		{"Supported: 100rel, timer, path\r\n", true},
		{"k: 100rel\r\nSupported: gruu,\r\n outbound\r\n", true},
		{"Supported:\r\n", true}, /* may be empty, 20.37 */
		{"Allow:\r\n", true},
		{"Require:\r\n", false},
		{"Proxy-Require:\r\n", false},
		{"Unsupported:\r\n", false},
		{"Require: 100rel\r\nRequire:\r\n", false},
		{"Allow-Events:\r\n", false},
		{"e:\r\n", false},
		{"Require: 100rel\r\n", true},
		{"Proxy-Require: foo, bar.baz\r\n", true},
		{"Unsupported: foo\r\n", true},
		{"Allow: INVITE, ACK, OPTIONS, CANCEL, BYE\r\n", true},
		{"Allow-Events: presence, dialog\r\n", true},
		{"e: gzip, identity\r\n", true},
		{"Supported: 100rel,,timer\r\n", false},
		{"Supported: 100rel timer\r\n", false},
		{"Supported: 100rel,\r\n", false},
		{"Supported: ,100rel\r\n", false},
		{"Require: 100rel;x\r\n", false},
		{"Proxy-Require: \"foo\"\r\n", false},
		{"Allow: INV@ITE\r\n", false},
		{"User-Agent: Softphone/1.2.3\r\n", true},
		{"User-Agent: Softphone Beta1.5\r\n", true},
		{"Server: HomeServer2 (Linux; x86_64) lib/2\r\n", true},
		{"User-Agent: x (a (nested (deeply)) comment) y\r\n", true},
		{"User-Agent: x (escaped \\) paren \\( \\\\)\r\n", true},
		{"User-Agent: x (caf\xc3\xa9 \xe2\x98\x95)\r\n", true},
		{"User-Agent: x (folded\r\n comment)\r\n", true},
		{"User-Agent: Foo / 1.0\r\n", true},
		{"Server: (only a comment)\r\n", true},
		{"User-Agent: x (unbalanced\r\n", false},
		{"User-Agent: x (a))\r\n", false},
		{"Server: )\r\n", false},
		{"User-Agent: Foo/\r\n", false},
		{"User-Agent: Foo/1.0/2.0\r\n", false},
		{"User-Agent: Foo/1.0(x)\r\n", false}, /* LWS required */
		{"User-Agent: x (bad \xc3\x28)\r\n", false},
		{"User-Agent: \"quoted\"\r\n", false},
		{"User-Agent:\r\n", false},
		{"User-Agent: x ((((((((((((((((((deep))))))))))))))))))\r\n",
		 false},
		{"User-Agent: x ((((((((((((((((ok))))))))))))))))\r\n", true},
	};
	struct sip_ctype ct;
	struct sip_hdr_iter it;
	struct pl tok, v;
	const char *want[] = {"100rel", "timer", "gruu", "outbound"};
	int n = 0, err;

	(void)state;
	RUN(cases);

	v = pl_from_cstr("text/plain ; charset=\"utf-8\";x=y");
	assert_int_equal(sip_ctype_parse(&v, &ct), 0);
	assert_true(pl_eq_str(&ct.type, "text"));
	assert_true(pl_eq_str(&ct.subtype, "plain"));
	assert_true(pl_eq_str(&ct.params, " ; charset=\"utf-8\";x=y"));
	v = pl_from_cstr("application/sdp");
	assert_int_equal(sip_ctype_parse(&v, &ct), 0);
	assert_false(pl_isset(&ct.params));

	/* Token lists run across fields, in order. */
	assert_int_equal(parse_with("Supported: 100rel,\r\n timer\r\n"
				    "Subject: x\r\nk:\r\nk: gruu , outbound\r\n"),
			 0);
	sip_hdr_iter_init(&it, &msg, SIP_HDR_SUPPORTED);
	while ((err = sip_token_next(&it, &tok)) == 0) {
		assert_true(n < 4);
		assert_true(pl_eq_str(&tok, want[n]));
		n++;
	}
	assert_int_equal(err, ENOENT);
	assert_int_equal(n, 4);
	sip_hdr_iter_init(&it, &msg, SIP_HDR_REQUIRE);
	assert_int_equal(sip_token_next(&it, &tok), ENOENT);
}

static void test_auth(void **state)
{
	static const struct hdr_case cases[] = {
		{"Authorization: Digest username=\"bob\", realm=\"example.com\""
		 ", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri="
		 "\"sip:registrar.example.com\", response="
		 "\"6629fae49393a05397450978507c4ef1\", algorithm=MD5, "
		 "cnonce=\"0a4f113b\", qop=auth, nc=00000001, opaque="
		 "\"5ccc069c403ebaf9f0171e9517f40e41\"\r\n",
		 true},
		{"WWW-Authenticate: Digest realm=\"example.com\", qop="
		 "\"auth,auth-int\", nonce=\"f84f1cec41e6cbe5aea9c8e88d359\""
		 ", opaque=\"\", stale=FALSE, algorithm=SHA-256\r\n",
		 true},
		{"Proxy-Authenticate: Digest realm=\"a\",\r\n"
		 "\tnonce=\"b\"\r\n", true},
		{"Proxy-Authorization: Digest username=\"a\\\"b\", realm=\"r\","
		 "nonce=\"n\", uri=\"sip:x\", response=\"r\"\r\n", true},
		{"Authorization: Digest realm = \"x\" , nonce=\"y\"\r\n", true},
		{"Authorization: Digest realm=\"Zo\xc3\xab\"\r\n", true},
		{"Authorization: NewScheme foo=bar\r\n", true},
		{"Authorization: Digest\r\n", false},
		{"Authorization: Digest \r\n", false},
		{"Authorization: Digest username\r\n", false},
		{"Authorization: Digest username=\r\n", false},
		{"Authorization: Digest username=\"bob\",\r\n", false},
		{"Authorization: Digest username=\"bob\" realm=\"r\"\r\n",
		 false},
		{"Authorization: Digest username=\"bob\r\n", false},
		{"Authorization: Digest username=\"bob\",,realm=\"r\"\r\n",
		 false},
		{"Authorization: Digest,username=\"bob\"\r\n", false},
		{"Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n",
		 false},
		{"Authorization: Digest username=<bob>\r\n", false},
		/* Every parameter at most once (RFC 7235 2.1). */
		{"Authorization: Digest username=\"a\", username=\"b\"\r\n",
		 false},
		{"Authorization: Digest Username=\"a\", USERNAME=\"a\"\r\n",
		 false},
		{"WWW-Authenticate: Digest realm=\"a\", nonce=\"1\", "
		 "realm=\"a\"\r\n", false},
		{"Proxy-Authenticate: Digest foo=1, bar=2, foo=1\r\n", false},
		{"Proxy-Authorization: Digest nc=1, NC=2\r\n", false},
		{"WWW-Authenticate: Digest realm=\"a\", Digest realm=\"b\"\r\n",
		 false},
	};
	struct sip_auth a;
	struct pl v, u;
	char many[1024];

	(void)state;
	RUN(cases);

	v = pl_from_cstr("Digest username=\"bo\\\"b\", realm=\"example.com\","
			 " nonce=\"abc\", uri=\"sip:h\", response=\"0123\","
			 " algorithm=MD5, cnonce=\"c\", qop=auth, nc=00000001,"
			 " opaque=\"\", userhash=false, x-ext=1");
	assert_int_equal(sip_auth_parse(&v, &a), 0);
	assert_true(pl_eq_str(&a.scheme, "Digest"));
	assert_true(pl_eq_str(&a.username, "\"bo\\\"b\""));
	u = sip_unquote(&a.username);
	assert_true(pl_eq_str(&u, "bo\\\"b"));
	assert_true(pl_eq_str(&a.realm, "\"example.com\""));
	assert_true(pl_eq_str(&a.algorithm, "MD5"));
	assert_true(pl_eq_str(&a.qop, "auth"));
	assert_true(pl_eq_str(&a.nc, "00000001"));
	assert_true(pl_eq_str(&a.opaque, "\"\""));
	u = sip_unquote(&a.opaque);
	assert_true(pl_isset(&u) && u.l == 0);
	assert_true(pl_eq_str(&a.userhash, "false"));
	assert_false(pl_isset(&a.domain));
	assert_false(pl_isset(&a.stale));
	assert_int_equal(a.param_count, 12);
	u = sip_unquote(&a.algorithm);
	assert_true(pl_eq_str(&u, "MD5"));

	/* At most SIP_AUTH_MAX_PARAMS parameters. */
	strcpy(many, "Digest p0=0");
	for (int i = 1; i < SIP_AUTH_MAX_PARAMS; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many),
			 ", p%d=0", i);
	v = pl_from_cstr(many);
	assert_int_equal(sip_auth_parse(&v, &a), 0);
	strcat(many, ", px=0");
	v = pl_from_cstr(many);
	assert_int_equal(sip_auth_parse(&v, &a), EBADMSG);
}

static void test_names_and_methods(void **state)
{
	static const struct {
		char letter;
		enum sip_hdr_id id;
	} compact[] = {
		{'a', SIP_HDR_ACCEPT_CONTACT},
		{'b', SIP_HDR_REFERRED_BY},
		{'c', SIP_HDR_CONTENT_TYPE},
		{'d', SIP_HDR_REQUEST_DISPOSITION},
		{'e', SIP_HDR_CONTENT_ENCODING},
		{'f', SIP_HDR_FROM},
		{'i', SIP_HDR_CALL_ID},
		{'j', SIP_HDR_REJECT_CONTACT},
		{'k', SIP_HDR_SUPPORTED},
		{'l', SIP_HDR_CONTENT_LENGTH},
		{'m', SIP_HDR_CONTACT},
		{'n', SIP_HDR_IDENTITY_INFO},
		{'o', SIP_HDR_EVENT},
		{'r', SIP_HDR_REFER_TO},
		{'s', SIP_HDR_SUBJECT},
		{'t', SIP_HDR_TO},
		{'u', SIP_HDR_ALLOW_EVENTS},
		{'v', SIP_HDR_VIA},
		{'x', SIP_HDR_SESSION_EXPIRES},
		{'y', SIP_HDR_IDENTITY},
	};
	static const char *const none = "ghpqwz";
	char name[2] = {0, 0};

	(void)state;
	for (size_t i = 0; i < sizeof(compact) / sizeof(compact[0]); i++) {
		name[0] = compact[i].letter;
		assert_int_equal(sip_hdr_lookup(name, 1), compact[i].id);
		name[0] = (char)(compact[i].letter - 32);
		assert_int_equal(sip_hdr_lookup(name, 1), compact[i].id);
	}
	for (const char *p = none; *p; p++)
		assert_int_equal(sip_hdr_lookup(p, 1), SIP_HDR_OTHER);
	assert_int_equal(sip_hdr_lookup("1", 1), SIP_HDR_OTHER);
	assert_int_equal(sip_hdr_lookup("-", 1), SIP_HDR_OTHER);

	/* Every full name, in three cases, maps back to its id. */
	for (int id = 1; id < SIP_HDR_COUNT; id++) {
		const char *n = sip_hdr_name((enum sip_hdr_id)id);
		char lo[64], up[64];
		size_t len = strlen(n);

		assert_true(len > 1 && len < sizeof(lo));
		for (size_t i = 0; i <= len; i++) {
			lo[i] = vs_tolower(n[i]);
			up[i] = (n[i] >= 'a' && n[i] <= 'z') ? (char)(n[i] - 32)
							      : n[i];
		}
		assert_int_equal(sip_hdr_lookup(n, len), id);
		assert_int_equal(sip_hdr_lookup(lo, len), id);
		assert_int_equal(sip_hdr_lookup(up, len), id);
		if (len > 2) /* "To" minus one letter is "T" */
			assert_true((int)sip_hdr_lookup(n, len - 1) != id);
	}
	assert_string_equal(sip_hdr_name(SIP_HDR_CALL_ID), "Call-ID");
	assert_string_equal(sip_hdr_name(SIP_HDR_WWW_AUTHENTICATE),
			    "WWW-Authenticate");
	assert_string_equal(sip_hdr_name(SIP_HDR_COUNT), "");
	assert_int_equal(sip_hdr_lookup("X-Unknown", 9), SIP_HDR_OTHER);
	assert_int_equal(sip_hdr_lookup("Vias", 4), SIP_HDR_OTHER);
	assert_int_equal(sip_hdr_lookup("Call-I", 6), SIP_HDR_OTHER);

	/* Methods are case-sensitive (RFC 3261 7.1). */
	for (int m = 1; m < SIP_METHOD_COUNT; m++) {
		struct pl n = pl_from_cstr(sip_method_name((enum sip_method)m));
		assert_int_equal(sip_method_lookup(&n), m);
	}
	{
		struct pl n = PL("invite");
		assert_int_equal(sip_method_lookup(&n), SIP_METHOD_OTHER);
		n = PL("INVITES");
		assert_int_equal(sip_method_lookup(&n), SIP_METHOD_OTHER);
		n = PL("IN");
		assert_int_equal(sip_method_lookup(&n), SIP_METHOD_OTHER);
		n = PL("");
		assert_int_equal(sip_method_lookup(&n), SIP_METHOD_OTHER);
	}
	assert_string_equal(sip_method_name(SIP_METHOD_COUNT), "");
	assert_string_equal(sip_err_name(SIP_ERR_COUNT), "unknown");
	assert_string_equal(sip_err_name(SIP_ERR_VIA), "via");
}

/* The iterator over comma lists, used directly. */
static void test_iterator(void **state)
{
	struct sip_hdr_iter it;
	struct sip_via via;
	int n = 0, err;

	(void)state;
	assert_int_equal(parse_with("X-A: 1\r\n"), 0);
	sip_hdr_iter_init(&it, &msg, SIP_HDR_CONTACT);
	assert_int_equal(sip_hdr_iter_step(&it, false), ENOENT);

	assert_int_equal(parse_with("Record-Route: <sip:a>,<sip:b>\r\n"
				    "X-B: 2\r\nRecord-Route: <sip:c>\r\n"),
			 0);
	assert_int_equal(msg.via_count, 1);
	sip_hdr_iter_init(&it, &msg, SIP_HDR_VIA);
	while ((err = sip_via_next(&it, &via)) == 0)
		n++;
	assert_int_equal(err, ENOENT);
	assert_int_equal(n, 1);
	{
		struct sip_addr a[4];
		assert_int_equal(addrs(SIP_HDR_RECORD_ROUTE, SIP_ADDR_ROUTE,
				       a, 4),
				 3);
		assert_true(pl_eq_str(&a[2].uri_raw, "sip:c"));
	}
}

static int reset_limits(void **state)
{
	(void)state;
	sip_limits_default(&lim);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_contact, reset_limits),
		cmocka_unit_test_setup(test_routes, reset_limits),
		cmocka_unit_test_setup(test_small_fields, reset_limits),
		cmocka_unit_test_setup(test_auth, reset_limits),
		cmocka_unit_test_setup(test_names_and_methods, reset_limits),
		cmocka_unit_test_setup(test_iterator, reset_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
