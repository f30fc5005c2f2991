/*
 * test_sip_msg.c - sip_msg_parse(): start lines, the header section
 * (folding, line ends, compact forms, control characters), the core
 * headers Via, From, To, Call-ID, CSeq, Max-Forwards and Content-Length,
 * the limits, and which failures can still be answered.
 *
 * The cases are tables of whole messages with the expected sip_err and
 * err_status; every message is written for these tests.
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

static int parse_len(const char *s, size_t len)
{
	return sip_msg_parse(&msg, s, len, &lim);
}

static int parse(const char *s)
{
	return parse_len(s, strlen(s));
}

/* The headers every request needs; each test replaces what it tests. */
#define VIA "Via: SIP/2.0/UDP pc33.example.com:5060;branch=z9hG4bK74bf9\r\n"
#define FROM "From: Alice <sip:alice@example.com>;tag=9fxced76sl\r\n"
#define TO "To: Bob <sip:bob@example.org>\r\n"
#define CID "Call-ID: 3848276298220188511@pc33.example.com\r\n"
#define CSEQ "CSeq: 1 OPTIONS\r\n"
#define OPTIONS "OPTIONS sip:bob@example.org SIP/2.0\r\n"
#define R200 "SIP/2.0 200 OK\r\n"
#define CORE VIA FROM TO CID CSEQ
#define NO_VIA FROM TO CID CSEQ
#define NO_FROM VIA TO CID CSEQ
#define NO_TO VIA FROM CID CSEQ
#define NO_CID VIA FROM TO CSEQ
#define NO_CSEQ VIA FROM TO CID
/* A request with one header line more than the core ones. */
#define REQ(h) OPTIONS CORE h "\r\n\r\n"

struct msg_case {
	const char *text;
	enum sip_err err;
	uint16_t status;
	size_t len; /* 0: strlen(text) */
};

#define OK(t) {(t), SIP_ERR_NONE, 0, 0}
#define BAD(t, e, st) {(t), SIP_ERR_##e, (st), 0}
/* A literal that holds NUL bytes. */
#define BADN(t, e, st) {(t), SIP_ERR_##e, (st), sizeof(t) - 1}

static void run_cases(const struct msg_case *c, size_t n)
{
	bool failed = false;

	for (size_t i = 0; i < n; i++) {
		size_t len = c[i].len ? c[i].len : strlen(c[i].text);
		int rc = parse_len(c[i].text, len);
		int want = c[i].err == SIP_ERR_NONE ? 0 : EBADMSG;

		if (rc != want || msg.err != c[i].err ||
		    msg.err_status != c[i].status) {
			print_error("case %zu: got rc %d err %s status %u, want "
				    "err %s status %u\n%.*s\n",
				    i, rc, sip_err_name(msg.err),
				    msg.err_status, sip_err_name(c[i].err),
				    c[i].status, (int)len, c[i].text);
			failed = true;
		}
		if (rc == 0 && sip_msg_parse_all(&msg) != 0) {
			print_error("case %zu: sip_msg_parse_all failed\n", i);
			failed = true;
		}
	}
	if (failed)
		fail();
}

#define RUN(cases) run_cases(cases, sizeof(cases) / sizeof(cases[0]))

static void test_invite(void **state)
{
	(void)state;
	const char *m =
		"INVITE sip:bob@biloxi.com SIP/2.0\r\n"
		"Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds\r\n"
		"Max-Forwards: 70\r\n"
		"To: Bob <sip:bob@biloxi.com>\r\n"
		"From: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n"
		"Call-ID: a84b4c76e66710@pc33.atlanta.com\r\n"
		"CSeq: 314159 INVITE\r\n"
		"Contact: <sip:alice@pc33.atlanta.com>\r\n"
		"Content-Type: application/sdp\r\n"
		"Content-Length: 4\r\n"
		"\r\n"
		"v=0\n";
	assert_int_equal(parse(m), 0);
	assert_true(msg.is_request);
	assert_int_equal(msg.method, SIP_METHOD_INVITE);
	assert_true(pl_eq_str(&msg.ruri.user, "bob"));
	assert_true(pl_eq_str(&msg.via.branch, "z9hG4bK776asdhds"));
	assert_true(pl_eq_str(&msg.from.tag, "1928301774"));
	assert_int_equal(msg.max_forwards, 70);
	assert_int_equal(msg.cseq.num, 314159);
	assert_int_equal(msg.body.l, 4);
	assert_int_equal(sip_msg_parse_all(&msg), 0);
}

static void test_request_line(void **state)
{
	static char long_ruri[2000];
	static const struct msg_case cases[] = {
		OK(OPTIONS CORE "\r\n"),
		OK("OPTIONS sip:bob@example.org sip/2.0\r\n" CORE "\r\n"),
		OK("OPTIONS tel:+1-201-555-0123 SIP/2.0\r\n" CORE "\r\n"),
		OK("OPTIONS sips:[2001:db8::1]:5061;transport=tls SIP/2.0\r\n"
		   CORE "\r\n"),
		OK("\r\n\r\n\r\n" OPTIONS CORE "\r\n"),	/* RFC 3261 7.5 */
		OK("\n" OPTIONS CORE "\r\n"),
		/* Extension methods are tokens; methods are case-sensitive. */
		OK("FOO.BAR-1 sip:bob@example.org SIP/2.0\r\n" VIA FROM TO CID
		   "CSeq: 1 FOO.BAR-1\r\n\r\n"),
		OK("options sip:bob@example.org SIP/2.0\r\n" VIA FROM TO CID
		   "CSeq: 1 options\r\n\r\n"),
		BAD("", EMPTY, 0),
		BAD("\r\n\r\n", EMPTY, 0),
		BAD("OPTIONS sip:bob@example.org SIP/2.0", START_LINE, 0),
		BAD("INV@ITE sip:bob@example.org SIP/2.0\r\n" CORE "\r\n",
		    START_LINE, 0),
		BAD("INV\xc3\xa9TE sip:bob@example.org SIP/2.0\r\n" CORE
		    "\r\n", START_LINE, 0),
		BAD(" OPTIONS sip:bob@example.org SIP/2.0\r\n" CORE "\r\n",
		    START_LINE, 0),
		BAD("OPTIONS\tsip:bob@example.org SIP/2.0\r\n" CORE "\r\n",
		    START_LINE, 0),
		BAD("OPTIONS\r\n" CORE "\r\n", START_LINE, 0),
		/* Once a method is known, the request can be answered. */
		BAD("OPTIONS  sip:bob@example.org SIP/2.0\r\n" CORE "\r\n",
		    START_LINE, 400),
		BAD("OPTIONS sip:bob@example.org  SIP/2.0\r\n" CORE "\r\n",
		    START_LINE, 400),
		BAD("OPTIONS sip:bob@example.org SIP/2.0 \r\n" CORE "\r\n",
		    START_LINE, 400),
		BAD("OPTIONS sip:bob@example.org\r\n" CORE "\r\n",
		    START_LINE, 400),
		BAD("OPTIONS sip:bob@example.org HTTP/1.1\r\n" CORE "\r\n",
		    START_LINE, 400),
		BAD("OPTIONS sip:bob@example.org SIP/2\r\n" CORE "\r\n",
		    START_LINE, 400),
		BAD("OPTIONS sip:bob@example.org SIP/2.0.1\r\n" CORE "\r\n",
		    START_LINE, 400),
		BAD("OPTIONS sip:bob@example.org SIP/3.0\r\n" CORE "\r\n",
		    VERSION, 505),
		BAD("OPTIONS sip:bob@example.org SIP/1.0\r\n" CORE "\r\n",
		    VERSION, 505),
		BAD("OPTIONS sip:bob@ SIP/2.0\r\n" CORE "\r\n", RURI, 400),
		BAD("OPTIONS sip:[::1::2] SIP/2.0\r\n" CORE "\r\n", RURI, 400),
		BAD("OPTIONS sip:bob@example.org:65536 SIP/2.0\r\n" CORE
		    "\r\n", RURI, 400),
		BAD("OPTIONS mailto:bob@example.org SIP/2.0\r\n" CORE "\r\n",
		    URI_SCHEME, 416),
		BAD("OPTIONS http://example.org/ SIP/2.0\r\n" CORE "\r\n",
		    URI_SCHEME, 416),
		/* The first failure is kept; a missing core header makes the
		 * request unanswerable. */
		BAD("OPTIONS sip:bob@example.org SIP/3.0\r\n" NO_CID "\r\n",
		    VERSION, 0),
		BAD("OPTIONS sip:bob@ SIP/2.0\r\n" NO_VIA "\r\n", RURI, 0),
		BAD("OPTIONS sip:bob@ SIP/2.0\r\n" CORE, RURI, 0),
	};
	size_t n;

	(void)state;
	RUN(cases);
	/* RFC 3261 21.4.15: a long Request-URI gets 414. */
	n = (size_t)snprintf(long_ruri, sizeof(long_ruri),
			     "OPTIONS sip:%0*d@example.org SIP/2.0\r\n" CORE
			     "\r\n",
			     (int)lim.max_uri_length - 16, 0);
	assert_true(n < sizeof(long_ruri));
	assert_int_equal(parse(long_ruri), 0); /* exactly the limit */
	assert_int_equal(msg.ruri_raw.l, lim.max_uri_length);
	snprintf(long_ruri, sizeof(long_ruri),
		 "OPTIONS sip:%0*d@example.org SIP/2.0\r\n" CORE "\r\n",
		 (int)lim.max_uri_length - 15, 0);
	assert_int_equal(parse(long_ruri), EBADMSG);
	assert_int_equal(msg.err, SIP_ERR_URI_TOO_LONG);
	assert_int_equal(msg.err_status, 414);
	assert_non_null(msg.err_phrase);

	assert_int_equal(parse("FOO.BAR-1 sip:b@example.org SIP/2.0\r\n" VIA
			       FROM TO CID "CSeq: 1 FOO.BAR-1\r\n\r\n"),
			 0);
	assert_int_equal(msg.method, SIP_METHOD_OTHER);
	assert_true(pl_eq_str(&msg.method_name, "FOO.BAR-1"));
	assert_true(pl_eq_str(&msg.ruri_raw, "sip:b@example.org"));
}

static void test_status_line(void **state)
{
	static const struct msg_case cases[] = {
		OK(R200 CORE "\r\n"),
		OK("SIP/2.0 100 Trying\r\n" CORE "\r\n"),
		OK("SIP/2.0 699 Whatever\r\n" CORE "\r\n"),
		OK("sip/2.0 200 OK\r\n" CORE "\r\n"),
		OK("Sip/2.0 200 OK\r\n" CORE "\r\n"),
		OK("SIP/2.0 200 \r\n" CORE "\r\n"),
		OK("SIP/2.0 200\r\n" CORE "\r\n"), /* lenient: no SP */
		OK("SIP/2.0 200 Tr\xc3\xa8s bien \xe2\x9c\x93 \xf0\x9f\x98\x80"
		   "\r\n" CORE "\r\n"),
		OK("SIP/2.0 404 Not\tFound (here) 100%\r\n" CORE "\r\n"),
		BAD("SIP/2.0 200 bad \xc3\x28\r\n" CORE "\r\n", STATUS, 0),
		BAD("SIP/2.0 200 bad \xe0\x80\xaf\r\n" CORE "\r\n", STATUS, 0),
		BAD("SIP/2.0 200 bad \xed\xa0\x80\r\n" CORE "\r\n", STATUS, 0),
		BAD("SIP/2.0 200 bad \xff\r\n" CORE "\r\n", STATUS, 0),
		BAD("SIP/2.0 099 Low\r\n" CORE "\r\n", STATUS, 0),
		BAD("SIP/2.0 700 High\r\n" CORE "\r\n", STATUS, 0),
		BAD("SIP/2.0 2000 OK\r\n" CORE "\r\n", STATUS, 0),
		BAD("SIP/2.0 20 OK\r\n" CORE "\r\n", STATUS, 0),
		BAD("SIP/2.0 20a OK\r\n" CORE "\r\n", STATUS, 0),
		BAD("SIP/2.0 +20 OK\r\n" CORE "\r\n", STATUS, 0),
		BAD("SIP/2.0  200 OK\r\n" CORE "\r\n", STATUS, 0),
		BAD("SIP/2.0\r\n" CORE "\r\n", STATUS, 0),
		BAD("SIP/2.0\t200 OK\r\n" CORE "\r\n", VERSION, 0),
		BAD("SIP/3.0 200 OK\r\n" CORE "\r\n", VERSION, 0),
		BAD("SIP/2.x 200 OK\r\n" CORE "\r\n", VERSION, 0),
		/* A response is never answered. */
		BAD(R200 VIA FROM TO CID CSEQ "Max-Forwards: x\r\n\r\n",
		    MAX_FORWARDS, 0),
		BAD(R200 CORE "Content-Length: 10\r\n\r\nabc", BODY, 0),
	};
	(void)state;
	RUN(cases);
	assert_int_equal(parse("SIP/2.0 180 Ringing now\r\n" CORE "\r\n"), 0);
	assert_false(msg.is_request);
	assert_int_equal(msg.status, 180);
	assert_true(pl_eq_str(&msg.reason, "Ringing now"));
	/* CSeq of a response need not match anything. */
	assert_true(pl_eq_str(&msg.cseq.method, "OPTIONS"));
}

static void test_header_section(void **state)
{
	static const struct msg_case cases[] = {
		/* LF-only line ends, and a mix of both. */
		OK("OPTIONS sip:bob@example.org SIP/2.0\n"
		   "Via: SIP/2.0/UDP h.example.com;branch=z9hG4bK1\n"
		   "From: <sip:alice@example.com>;tag=1\n"
		   "To: <sip:bob@example.org>\n"
		   "Call-ID: abc\n"
		   "CSeq: 1 OPTIONS\n\n"),
		OK("OPTIONS sip:bob@example.org SIP/2.0\n" CORE "\n"),
		OK(OPTIONS CORE "Subject : spaced name\r\n\r\n"),
		OK(OPTIONS CORE "Subject:\r\n\r\n"),
		OK(OPTIONS CORE "X-Weird: {}[]<>\"' \xc3\xa9\r\n\r\n"),
		/* Folds (RFC 3261 7.3.1) in unknown and core headers. */
		OK(REQ("Subject: I know you're there,\r\n"
		       "   pick up the phone\r\n\tand talk to me!")),
		OK(REQ("Subject: x\r\n \r\n\t")),
		OK(OPTIONS "Via: SIP/2.0/UDP h.example.com\r\n"
		   "  ;branch=z9hG4bK1\r\n\t;rport\r\n" FROM TO CID CSEQ
		   "\r\n"),
		OK(OPTIONS VIA "From: \"Alice\r\n Liddell\" "
		   "<sip:alice@example.com>\r\n ;tag=1\r\n" TO CID CSEQ
		   "\r\n"),
		OK(OPTIONS VIA FROM TO CID "CSeq: 1\r\n OPTIONS\r\n\r\n"),
		OK(OPTIONS VIA FROM TO CID "CSeq:\r\n 1 OPTIONS\r\n\r\n"),
		/* NUL bytes in the body are the body's business. */
		{OPTIONS CORE "Content-Length: 3\r\n\r\na\0b", SIP_ERR_NONE, 0,
		 sizeof(OPTIONS CORE "Content-Length: 3\r\n\r\na\0b") - 1},
		BAD(OPTIONS CORE, NO_HEADER_END, 0),
		BAD(OPTIONS CORE "Subject: x", NO_HEADER_END, 0),
		BAD(OPTIONS " folded: first\r\n" CORE "\r\n", HEADER_SYNTAX,
		    0),
		BAD(OPTIONS CORE "NoColon\r\n\r\n", HEADER_SYNTAX, 0),
		BAD(OPTIONS CORE ": empty name\r\n\r\n", HEADER_SYNTAX, 0),
		BAD(OPTIONS CORE "Bad Name: x\r\n\r\n", HEADER_SYNTAX, 0),
		BAD(OPTIONS CORE "Bad(Name): x\r\n\r\n", HEADER_SYNTAX, 0),
		BAD(OPTIONS CORE "N\xc3\xa9: x\r\n\r\n", HEADER_SYNTAX, 0),
		/* Control characters (NUL etc.) are refused in headers. */
		BADN(OPTIONS CORE "Subject: a\0b\r\n\r\n", CONTROL_CHAR, 0),
		BADN(OPTIONS CORE "Sub\0ject: ab\r\n\r\n", CONTROL_CHAR, 0),
		BADN("OPTIONS sip:bob@example.org\0 SIP/2.0\r\n" CORE "\r\n",
		     CONTROL_CHAR, 0),
		BAD(OPTIONS CORE "Subject: a\x01z\r\n\r\n", CONTROL_CHAR, 0),
		BAD(OPTIONS CORE "Subject: a\x1b[2J\r\n\r\n", CONTROL_CHAR, 0),
		BAD(OPTIONS CORE "Subject: a\x7f\r\n\r\n", CONTROL_CHAR, 0),
		BAD(OPTIONS CORE "Subject: a\rb\r\n\r\n", CONTROL_CHAR, 0),
		BAD(OPTIONS CORE "Subject: a\r\r\n\r\n", CONTROL_CHAR, 0),
		BAD(OPTIONS CORE "\r\r\n", CONTROL_CHAR, 0),
		BAD(OPTIONS CORE "Subject: \"a\x02\"\r\n\r\n", CONTROL_CHAR,
		    0),
	};
	const struct sip_hdr *h;

	(void)state;
	RUN(cases);

	assert_int_equal(parse(REQ("Subject: I know\r\n   you're\r\n\there")),
			 0);
	h = sip_msg_hdr(&msg, SIP_HDR_SUBJECT);
	assert_non_null(h);
	/* The value keeps its folds; surrounding space is trimmed. */
	assert_true(pl_eq_str(&h->value, "I know\r\n   you're\r\n\there"));
	assert_true(pl_eq_str(&h->name, "Subject"));
	assert_int_equal(h->line_end[-1], '\n');
	assert_int_equal(msg.hdr_count, 6);
	assert_true(pl_eq_str(&msg.body, ""));
	assert_true(msg.headers.p[0] == 'V');

	assert_int_equal(parse(OPTIONS VIA FROM TO CID
			       "CSeq:\r\n 7\r\n\t OPTIONS \r\n\r\n"),
			 0);
	assert_int_equal(msg.cseq.num, 7);
	assert_true(pl_eq_str(&msg.cseq.method, "OPTIONS"));
}

static void test_compact_and_case(void **state)
{
	static const struct msg_case cases[] = {
		OK(OPTIONS
		   "v: SIP/2.0/UDP h.example.com;branch=z9hG4bK1\r\n"
		   "f: <sip:alice@example.com>;tag=1\r\n"
		   "t: <sip:bob@example.org>\r\n"
		   "i: abc@h\r\n"
		   "CSeq: 1 OPTIONS\r\n"
		   "m: <sip:alice@h.example.com>\r\n"
		   "c: text/plain\r\n"
		   "e: gzip\r\n"
		   "k: 100rel, timer\r\n"
		   "s: hello\r\n"
		   "o: presence\r\n"
		   "u: presence, dialog\r\n"
		   "r: <sip:carol@example.net>\r\n"
		   "b: <sip:alice@example.com>\r\n"
		   "x: 1800\r\n"
		   "a: *;audio\r\n"
		   "j: *;video\r\n"
		   "d: proxy\r\n"
		   "y: abc\r\n"
		   "n: <https://example.com/cert>\r\n"
		   "l: 2\r\n\r\nhi"),
		OK(OPTIONS
		   "VIA: SIP/2.0/UDP h.example.com;BRANCH=z9hG4bK1\r\n"
		   "FROM: <sip:alice@example.com>;TAG=1\r\n"
		   "tO: <sip:bob@example.org>\r\n"
		   "call-id: abc@h\r\n"
		   "cseq: 1 OPTIONS\r\n"
		   "MAX-FORWARDS: 10\r\n"
		   "content-LENGTH: 0\r\n\r\n"),
		BAD(OPTIONS VIA "f: <sip:a@example.com>;tag=1\r\n" FROM TO CID
		    CSEQ "\r\n", DUPLICATE_HEADER, 0),
		BAD(OPTIONS VIA FROM TO CID CSEQ "l: 1\r\nContent-Length: 1"
		    "\r\n\r\nx", DUPLICATE_HEADER, 400),
	};
	(void)state;
	RUN(cases);
	assert_int_equal(parse(cases[0].text), 0);
	assert_int_equal(msg.body.l, 2);
	assert_true(pl_eq_str(&msg.call_id, "abc@h"));
	assert_non_null(sip_msg_hdr(&msg, SIP_HDR_SESSION_EXPIRES));
	assert_non_null(sip_msg_hdr_by_name(&msg, "Subject"));
	assert_non_null(sip_msg_hdr_by_name(&msg, "s"));
	assert_non_null(sip_msg_hdr_by_name(&msg, "refer-to"));
	assert_null(sip_msg_hdr_by_name(&msg, "X-Nope"));
	assert_int_equal(parse(cases[1].text), 0);
	assert_int_equal(msg.max_forwards, 10);
	assert_true(pl_eq_str(&msg.via.branch, "z9hG4bK1"));
	assert_true(pl_eq_str(&msg.from.tag, "1"));

	assert_int_equal(parse(REQ("X-Custom: one\r\nx-custom: two")), 0);
	assert_true(pl_eq_str(&sip_msg_hdr_by_name(&msg, "X-CUSTOM")->value,
			      "one"));
}

static void test_via(void **state)
{
#define V(via) OPTIONS via NO_VIA "\r\n"
	static const struct msg_case cases[] = {
		OK(V("Via: SIP/2.0/UDP h.example.com\r\n")),
		OK(V("Via: SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bKx\r\n")),
		OK(V("Via: SIP/2.0/TLS [2001:db8::1]:5061;branch=z9\r\n")),
		OK(V("Via: sip/2.0/udp h.example.com\r\n")),
		OK(V("Via: SIP / 2.0 / UDP h.example.com : 5060 ; branch = "
		     "z9hG4bK1 ; rport\r\n")),
		OK(V("Via: SIP/2.0/WSS abc.invalid;branch=z9;received="
		     "192.0.2.9\r\n")),
		OK(V("Via: SIP/2.0/UDP h;received=2001:db8::9\r\n")),
		OK(V("Via: SIP/2.0/UDP h;received=fe80::1;rport=5060\r\n")),
		OK(V("Via: SIP/2.0/UDP h;received=::1\r\n")),
		OK(V("Via: SIP/2.0/UDP h ; received = fe80::1 ;rport\r\n")),
		OK(V("Via: SIP/2.0/UDP h;received=::ffff:192.0.2.1\r\n")),
		OK(V("Via: SIP/2.0/UDP h;received=[2001:db8::9]\r\n")),
		OK(V("Via: SIP/2.0/UDP h;rport\r\n")),
		OK(V("Via: SIP/2.0/UDP h;rport=1\r\n")),
		OK(V("Via: SIP/2.0/UDP h;rport=65535\r\n")),
		OK(V("Via: SIP/2.0/UDP h;maddr=239.255.255.1;ttl=0\r\n")),
		OK(V("Via: SIP/2.0/UDP h;maddr=[ff02::1];ttl=255\r\n")),
		OK(V("Via: SIP/2.0/UDP h;maddr=mcast.example.net\r\n")),
		OK(V("Via: SIP/2.0/UDP h;x;y=z;q=\"quoted;,\";w=[::1]\r\n")),
		OK(V("Via: SIP/2.0/UDP h;branch=z9hG4bK1, SIP/2.0/TCP "
		     "h2;branch=z9hG4bK2 ,SIP/2.0/UDP h3\r\n")),
		OK(V("Via: SIP/2.0/UDP h1\r\nv: SIP/2.0/UDP h2, SIP/2.0/UDP "
		     "h3\r\n")),
		BAD(V("Via:\r\n"), VIA, 0),
		BAD(V("Via: SIP/2.0/UDP\r\n"), VIA, 0),
		BAD(V("Via: SIP/2.0/UDPh.example.com\r\n"), VIA, 0),
		BAD(V("Via: SIP/2.0 h.example.com\r\n"), VIA, 0),
		BAD(V("Via: SIP/3.0/UDP h.example.com\r\n"), VIA, 0),
		BAD(V("Via: SIP/2.01/UDP h.example.com\r\n"), VIA, 0),
		BAD(V("Via: XSIP/2.0/UDP h.example.com\r\n"), VIA, 0),
		BAD(V("Via: SIP/2.0/UDP h.example.com:0\r\n"), VIA, 0),
		BAD(V("Via: SIP/2.0/UDP h.example.com:65536\r\n"), VIA, 0),
		BAD(V("Via: SIP/2.0/UDP h.example.com:\r\n"), VIA, 0),
		BAD(V("Via: SIP/2.0/UDP 2001:db8::1\r\n"), VIA, 0),
		BAD(V("Via: SIP/2.0/UDP [2001:db8::1\r\n"), VIA, 0),
		BAD(V("Via: SIP/2.0/UDP h_x.example.com\r\n"), VIA, 0),
		BAD(V("Via: SIP/2.0/UDP h garbage\r\n"), VIA, 0),
		BAD(V("Via: SIP/2.0/UDP h (comment)\r\n"), VIA, 0),
		BAD(V("Via: SIP/2.0/UDP h;\r\n"), VIA, 0),
		BAD(V("Via: SIP/2.0/UDP h;branch\r\n"), VIA, 0),
		BAD(V("Via: SIP/2.0/UDP h;branch=\r\n"), VIA, 0),
		BAD(V("Via: SIP/2.0/UDP h;branch=\"z9hG4bK\"\r\n"), VIA, 0),
		BAD(V("Via: SIP/2.0/UDP h;branch=[::1]\r\n"), VIA, 0),
		/* Each via-params kind at most once. */
		BAD(V("Via: SIP/2.0/UDP h;branch=a;branch=b\r\n"), VIA, 0),
		BAD(V("Via: SIP/2.0/UDP h;branch=a;BRANCH=a\r\n"), VIA, 0),
		BAD(V("Via: SIP/2.0/UDP h;received=192.0.2.1;received="
		      "192.0.2.1\r\n"), VIA, 0),
		BAD(V("Via: SIP/2.0/UDP h;rport;rport=5060\r\n"), VIA, 0),
		BAD(V("Via: SIP/2.0/UDP h;maddr=1.2.3.4;maddr=1.2.3.4\r\n"),
		    VIA, 0),
		BAD(V("Via: SIP/2.0/UDP h;ttl=1;ttl=1\r\n"), VIA, 0),
		BAD(V("Via: SIP/2.0/UDP h;received\r\n"), VIA, 0),
		BAD(V("Via: SIP/2.0/UDP h;received=h.example.com\r\n"), VIA, 0),
		BAD(V("Via: SIP/2.0/UDP h;received=192.0.2\r\n"), VIA, 0),
		BAD(V("Via: SIP/2.0/UDP h;received=1::2::3\r\n"), VIA, 0),
		BAD(V("Via: SIP/2.0/UDP h;received=fe80::1x\r\n"), VIA, 0),
		BAD(V("Via: SIP/2.0/UDP h;received=[::1\r\n"), VIA, 0),
		BAD(V("Via: SIP/2.0/UDP h;received=\"192.0.2.1\"\r\n"), VIA,
		    0),
		BAD(V("Via: SIP/2.0/UDP h;rport=65536\r\n"), VIA, 0),
		BAD(V("Via: SIP/2.0/UDP h;rport=x\r\n"), VIA, 0),
		BAD(V("Via: SIP/2.0/UDP h;ttl=256\r\n"), VIA, 0),
		BAD(V("Via: SIP/2.0/UDP h;ttl=-1\r\n"), VIA, 0),
		BAD(V("Via: SIP/2.0/UDP h;ttl\r\n"), VIA, 0),
		BAD(V("Via: SIP/2.0/UDP h;maddr=bad_host\r\n"), VIA, 0),
		BAD(V("Via: SIP/2.0/UDP h;maddr=::1\r\n"), VIA, 0),
		BAD(V("Via: SIP/2.0/UDP h1,\r\n"), VIA, 0),
		BAD(V("Via: SIP/2.0/UDP h1,,SIP/2.0/UDP h2\r\n"), VIA, 0),
		BAD(V("Via: ,SIP/2.0/UDP h1\r\n"), VIA, 0),
		BAD(V("Via: SIP/2.0/UDP h1 SIP/2.0/UDP h2\r\n"), VIA, 0),
		BAD(V("Via: SIP/2.0/UDP h1\r\nVia: SIP/2.0/UDP h;ttl=x\r\n"),
		    VIA, 0),
		BAD(OPTIONS NO_VIA "\r\n", MISSING_HEADER, 0),
	};
#undef V
	(void)state;
	RUN(cases);

	assert_int_equal(parse(OPTIONS "Via: SIP/2.0/UDP [2001:db8::1]:5070 "
				       ";branch=z9hG4bKa;received=fe80::1"
				       ";rport=1234;maddr=239.1.1.1;ttl=16;x=y,"
				       "SIP/2.0/TCP b\r\nVia: SIP/2.0/TLS c\r\n"
				       NO_VIA "\r\n"),
			 0);
	assert_int_equal(msg.via_count, 3);
	assert_true(pl_eq_str(&msg.via.transport, "UDP"));
	assert_true(pl_eq_str(&msg.via.host, "[2001:db8::1]"));
	assert_int_equal(msg.via.host_type, SIP_HOST_IPV6);
	assert_true(msg.via.has_port);
	assert_int_equal(msg.via.port, 5070);
	assert_true(pl_eq_str(&msg.via.branch, "z9hG4bKa"));
	assert_true(pl_eq_str(&msg.via.received, "fe80::1"));
	assert_true(pl_eq_str(&msg.via.received_param, "received=fe80::1"));
	assert_true(msg.via.rport);
	assert_int_equal(msg.via.rport_value, 1234);
	assert_true(pl_eq_str(&msg.via.rport_param, "rport=1234"));
	assert_true(pl_eq_str(&msg.via.maddr, "239.1.1.1"));
	assert_true(msg.via.has_ttl);
	assert_int_equal(msg.via.ttl, 16);
	assert_true(pl_eq_str(&msg.via.params,
			      " ;branch=z9hG4bKa;received=fe80::1;rport=1234"
			      ";maddr=239.1.1.1;ttl=16;x=y"));
	assert_true(pl_eq_str(&msg.via.value,
			      "SIP/2.0/UDP [2001:db8::1]:5070 ;branch=z9hG4bKa"
			      ";received=fe80::1;rport=1234;maddr=239.1.1.1"
			      ";ttl=16;x=y"));

	assert_int_equal(parse(OPTIONS "Via: SIP/2.0/UDP h;rport;branch=b\r\n"
			       NO_VIA "\r\n"),
			 0);
	assert_true(msg.via.rport);
	assert_int_equal(msg.via.rport_value, 0);
	assert_true(pl_eq_str(&msg.via.rport_param, "rport"));
	assert_false(pl_isset(&msg.via.received));
	assert_false(msg.via.has_port);
	assert_false(msg.via.has_ttl);
	assert_int_equal(msg.via.host_type, SIP_HOST_NAME);

	assert_int_equal(parse(OPTIONS "Via: SIP/2.0/UDP h;received=[::1]\r\n"
			       NO_VIA "\r\n"),
			 0);
	assert_true(pl_eq_str(&msg.via.received, "[::1]"));
}

static void test_from_to(void **state)
{
#define F(from) OPTIONS VIA from TO CID CSEQ "\r\n"
#define T(to) OPTIONS VIA FROM to CID CSEQ "\r\n"
	static const struct msg_case cases[] = {
		OK(F("From: <sip:alice@example.com>;tag=1\r\n")),
		OK(F("From: <sip:alice@example.com>\r\n")), /* tag optional */
		OK(F("From: sip:alice@example.com;tag=1\r\n")),
		OK(F("From: sip:alice@example.com ; tag = 1\r\n")),
		OK(F("From: Alice <sip:alice@example.com>;tag=1\r\n")),
		OK(F("From: Alice P. Liddell <sip:a@example.com>;tag=1\r\n")),
		OK(F("From: Alice<sip:alice@example.com>;tag=1\r\n")),
		OK(F("From: \"Alice\"<sip:alice@example.com>;tag=1\r\n")),
		OK(F("From: \"\" <sip:alice@example.com>;tag=1\r\n")),
		OK(F("From: \"A \\\"B\\\" \\\\ C\" <sip:a@example.com>;tag=1"
		     "\r\n")),
		OK(F("From: \"Zo\xc3\xab \xe5\xb1\xb1\xe7\x94\xb0\" "
		     "<sip:zoe@example.com>;tag=1\r\n")),
		OK(F("From: \"a,b;c<d>\" <sip:a@example.com>;tag=1\r\n")),
		OK(F("From: <sip:alice@example.com;transport=tcp?x=y>;tag=1;"
		     "x=\"q\"\r\n")),
		OK(F("f: <tel:+1-201-555-0123>;tag=1\r\n")),
		OK(F("From: <mailto:alice@example.com>;tag=1\r\n")),
		OK(F("From: <sip:alice@[2001:db8::1]>;tag=1\r\n")),
		OK(T("To: <sip:bob@example.org>;tag=a6c85cf\r\n")),
		OK(T("t: sip:bob@example.org\r\n")),
		OK(T("To: \"Bob\r\n Builder\" <sip:bob@example.org>\r\n")),
		BAD(F("From: <sip:alice@example.com>;tag=1;tag=2\r\n"), FROM,
		    0),
		BAD(F("From: <sip:alice@example.com>;tag=\r\n"), FROM, 0),
		BAD(F("From: <sip:alice@example.com>;tag\r\n"), FROM, 0),
		BAD(F("From: <sip:alice@example.com>;tag=\"1\"\r\n"), FROM, 0),
		BAD(F("From: <sip:alice@example.com>;\r\n"), FROM, 0),
		BAD(F("From: <sip:alice@example.com\r\n"), FROM, 0),
		BAD(F("From: <sip:alice@example.com>>\r\n"), FROM, 0),
		BAD(F("From: <sip:alice@example.com> junk\r\n"), FROM, 0),
		BAD(F("From: <>\r\n"), FROM, 0),
		BAD(F("From: < sip:alice@example.com>\r\n"), FROM, 0),
		BAD(F("From: <sip:ali ce@example.com>\r\n"), FROM, 0),
		BAD(F("From: <sip:alice@>\r\n"), FROM, 0),
		BAD(F("From: sip:alice@example.com?x=y\r\n"), FROM, 0),
		BAD(F("From: Alice sip:alice@example.com\r\n"), FROM, 0),
		BAD(F("From: \"Alice\" sip:alice@example.com\r\n"), FROM, 0),
		BAD(F("From: \"Alice <sip:alice@example.com>\r\n"), FROM, 0),
		BAD(F("From: \"bad \xc3\x28\" <sip:a@example.com>\r\n"), FROM,
		    0),
		BAD(F("From: \"a\\\xc3\xa9\" <sip:a@example.com>\r\n"), FROM,
		    0),
		BAD(F("From: Al\xc3\xa9 <sip:a@example.com>\r\n"), FROM, 0),
		BAD(F("From: <sip:a@example.com>, <sip:b@example.com>\r\n"),
		    FROM, 0),
		BAD(F("From:\r\n"), FROM, 0),
		BAD(F("From: *\r\n"), FROM, 0),
		BAD(T("To: <sip:bob@example.org>;tag=1;tag=1\r\n"), TO, 0),
		BAD(T("To: <sip:bob@example.org>,<sip:c@example.org>\r\n"), TO,
		    0),
		BAD(T("To: Bob\r\n"), TO, 0),
		BAD(OPTIONS NO_FROM "\r\n", MISSING_HEADER, 0),
		BAD(OPTIONS NO_TO "\r\n", MISSING_HEADER, 0),
		BAD(OPTIONS CORE "From: <sip:a@example.com>\r\n\r\n",
		    DUPLICATE_HEADER, 0),
		BAD(OPTIONS CORE "t: <sip:a@example.com>\r\n\r\n",
		    DUPLICATE_HEADER, 0),
	};
#undef F
#undef T
	(void)state;
	RUN(cases);

	assert_int_equal(parse(OPTIONS VIA
			       "From: \"A \\\"B\\\"\" <sip:a@example.com;lr>"
			       " ;x=1;tag=abc\r\n"
			       "To: sip:bob@example.org;tag=xyz\r\n" CID CSEQ
			       "\r\n"),
			 0);
	assert_true(pl_eq_str(&msg.from.display, "\"A \\\"B\\\"\""));
	assert_true(pl_eq_str(&msg.from.uri_raw, "sip:a@example.com;lr"));
	assert_true(msg.from.uri.lr);
	assert_true(pl_eq_str(&msg.from.params, " ;x=1;tag=abc"));
	assert_true(pl_eq_str(&msg.from.tag, "abc"));
	assert_true(pl_eq_str(&msg.from.value, "\"A \\\"B\\\"\" "
					       "<sip:a@example.com;lr> ;x=1;"
					       "tag=abc"));
	/* addr-spec: the parameters belong to the header, not the URI. */
	assert_false(pl_isset(&msg.to.display));
	assert_true(pl_eq_str(&msg.to.uri_raw, "sip:bob@example.org"));
	assert_false(pl_isset(&msg.to.uri.params));
	assert_true(pl_eq_str(&msg.to.tag, "xyz"));

	assert_int_equal(parse(OPTIONS VIA "From: Alice  Liddell "
					   "<sip:a@example.com>\r\n" TO CID
					   CSEQ "\r\n"),
			 0);
	assert_true(pl_eq_str(&msg.from.display, "Alice  Liddell"));
	assert_false(pl_isset(&msg.from.tag));
}

static void test_callid_cseq(void **state)
{
#define C(cid) OPTIONS VIA FROM TO cid CSEQ "\r\n"
#define S(cseq) OPTIONS VIA FROM TO CID cseq "\r\n"
	static const struct msg_case cases[] = {
		OK(C("Call-ID: abc\r\n")),
		OK(C("i: f81d4fae-7dec-11d0-a765-00a0c91e6bf6@192.0.2.4\r\n")),
		OK(C("Call-ID: a@[2001:db8::1]\r\n")),
		OK(C("Call-ID: -.!%*_+`'~()<>:\\\"/[]?{}@x\r\n")),
		BAD(C("Call-ID:\r\n"), CALL_ID, 0),
		BAD(C("Call-ID: a b\r\n"), CALL_ID, 0),
		BAD(C("Call-ID: a@b@c\r\n"), CALL_ID, 0),
		BAD(C("Call-ID: @b\r\n"), CALL_ID, 0),
		BAD(C("Call-ID: a@\r\n"), CALL_ID, 0),
		BAD(C("Call-ID: a;b\r\n"), CALL_ID, 0),
		BAD(C("Call-ID: a\xc3\xa9\r\n"), CALL_ID, 0),
		BAD(OPTIONS NO_CID "\r\n", MISSING_HEADER, 0),
		BAD(OPTIONS CORE "i: other\r\n\r\n", DUPLICATE_HEADER, 0),
		OK(S("CSeq: 0 OPTIONS\r\n")),
		OK(S("CSeq: 2147483647 OPTIONS\r\n")),
		OK(S("CSeq: 00001 OPTIONS\r\n")),
		OK(S("CSeq:  1\t OPTIONS\r\n")),
		BAD(S("CSeq: 2147483648 OPTIONS\r\n"), CSEQ, 0),
		BAD(S("CSeq: 99999999999 OPTIONS\r\n"), CSEQ, 0),
		BAD(S("CSeq: 1\r\n"), CSEQ, 0),
		BAD(S("CSeq: OPTIONS\r\n"), CSEQ, 0),
		BAD(S("CSeq: 1OPTIONS\r\n"), CSEQ, 0),
		BAD(S("CSeq: -1 OPTIONS\r\n"), CSEQ, 0),
		BAD(S("CSeq: 1 OPTIONS x\r\n"), CSEQ, 0),
		BAD(S("CSeq: 1 OPT@IONS\r\n"), CSEQ, 0),
		BAD(S("CSeq:\r\n"), CSEQ, 0),
		BAD(OPTIONS NO_CSEQ "\r\n", MISSING_HEADER, 0),
		BAD(OPTIONS CORE "CSeq: 2 OPTIONS\r\n\r\n", DUPLICATE_HEADER,
		    0),
		/* RFC 3261 8.2.2.x: the method must match the request's. */
		BAD(S("CSeq: 1 INVITE\r\n"), CSEQ, 400),
		BAD(S("CSeq: 1 options\r\n"), CSEQ, 400),
		OK("SIP/2.0 200 OK\r\n" VIA FROM TO CID
		   "CSeq: 1 INVITE\r\n\r\n"),
	};
#undef C
#undef S
	(void)state;
	RUN(cases);
	assert_int_equal(parse(OPTIONS VIA FROM TO CID
			       "CSeq: 2147483647 OPTIONS\r\n\r\n"),
			 0);
	assert_int_equal(msg.cseq.num, 2147483647u);
	assert_int_equal(msg.cseq.method_id, SIP_METHOD_OPTIONS);
	assert_true(pl_eq_str(&msg.call_id, "3848276298220188511@"
					    "pc33.example.com"));
}

static void test_max_forwards_clen(void **state)
{
	static const struct msg_case cases[] = {
		OK(REQ("Max-Forwards: 0")),
		OK(REQ("Max-Forwards: 255")),
		OK(REQ("Max-Forwards:  70 ")),
		BAD(REQ("Max-Forwards: 256"), MAX_FORWARDS, 400),
		BAD(REQ("Max-Forwards: -1"), MAX_FORWARDS, 400),
		BAD(REQ("Max-Forwards: 7 0"), MAX_FORWARDS, 400),
		BAD(REQ("Max-Forwards: x"), MAX_FORWARDS, 400),
		BAD(REQ("Max-Forwards:"), MAX_FORWARDS, 400),
		BAD(REQ("Max-Forwards: 70\r\nMax-Forwards: 70"),
		    DUPLICATE_HEADER, 400),
		OK(OPTIONS CORE "Content-Length: 0\r\n\r\n"),
		OK(OPTIONS CORE "l: 5\r\n\r\nhello"),
		BAD(OPTIONS CORE "Content-Length: 6\r\n\r\nhello", BODY, 400),
		BAD(OPTIONS CORE "Content-Length: 65536\r\n\r\nhello",
		    CONTENT_LENGTH, 400),
		BAD(OPTIONS CORE "Content-Length: 4294967296\r\n\r\n",
		    CONTENT_LENGTH, 400),
		BAD(OPTIONS CORE "Content-Length: five\r\n\r\nhello",
		    CONTENT_LENGTH, 400),
		BAD(OPTIONS CORE "Content-Length: +5\r\n\r\nhello",
		    CONTENT_LENGTH, 400),
		BAD(OPTIONS CORE "Content-Length:\r\n\r\n", CONTENT_LENGTH,
		    400),
		BAD(OPTIONS CORE "Content-Length: 0\r\nl: 0\r\n\r\n",
		    DUPLICATE_HEADER, 400),
	};
	(void)state;
	RUN(cases);

	assert_int_equal(parse(OPTIONS CORE "\r\n"), 0);
	assert_int_equal(msg.max_forwards, -1);
	assert_false(msg.has_clen);
	assert_int_equal(parse(REQ("Max-Forwards: 0")), 0);
	assert_int_equal(msg.max_forwards, 0);

	/* RFC 3261 18.3: bytes past Content-Length in a datagram are
	 * dropped; without the header the body runs to the end. */
	assert_int_equal(parse(OPTIONS CORE "Content-Length: 3\r\n\r\n"
					    "abcdef"),
			 0);
	assert_true(msg.has_clen);
	assert_int_equal(msg.clen, 3);
	assert_true(pl_eq_str(&msg.body, "abc"));
	assert_int_equal(parse(OPTIONS CORE "\r\nabcdef"), 0);
	assert_true(pl_eq_str(&msg.body, "abcdef"));
	assert_int_equal(parse(OPTIONS CORE "l: 0\r\n\r\nabcdef"), 0);
	assert_int_equal(msg.body.l, 0);
	assert_int_equal(parse(OPTIONS CORE "l: 2\n\nabc"), 0);
	assert_true(pl_eq_str(&msg.body, "ab"));
}

/* Repeat a header line n times into buf. */
static void repeat(char *buf, size_t size, const char *head,
		   const char *line, unsigned n, const char *tail)
{
	size_t len;

	snprintf(buf, size, "%s", head);
	for (unsigned i = 0; i < n; i++) {
		len = strlen(buf);
		snprintf(buf + len, size - len, "%s", line);
	}
	len = strlen(buf);
	snprintf(buf + len, size - len, "%s", tail);
	assert_true(strlen(buf) + 1 < size);
}

static void test_limits(void **state)
{
	static char buf[60000];
	struct sip_limits saved = lim;
	const char *m = OPTIONS CORE "\r\n";

	(void)state;
	/* Message size. */
	lim.max_message_size = (uint32_t)strlen(m);
	assert_int_equal(parse(m), 0);
	lim.max_message_size--;
	assert_int_equal(parse(m), EBADMSG);
	assert_int_equal(msg.err, SIP_ERR_TOO_LARGE);
	assert_int_equal(msg.err_status, 0);
	lim = saved;
	assert_int_equal(parse_len(m, SIP_MAX_MESSAGE_CEILING + 1), EBADMSG);
	assert_int_equal(msg.err, SIP_ERR_TOO_LARGE);

	/* Header count: five core headers and n others. */
	lim.max_headers = 10;
	repeat(buf, sizeof(buf), OPTIONS CORE, "X-A: 1\r\n", 5, "\r\n");
	assert_int_equal(parse(buf), 0);
	assert_int_equal(msg.hdr_count, 10);
	repeat(buf, sizeof(buf), OPTIONS CORE, "X-A: 1\r\n", 6, "\r\n");
	assert_int_equal(parse(buf), EBADMSG);
	assert_int_equal(msg.err, SIP_ERR_TOO_MANY_HEADERS);
	assert_int_equal(msg.err_status, 0);
	/* A configured limit above the ceiling is held to the ceiling. */
	lim.max_headers = 1000;
	repeat(buf, sizeof(buf), OPTIONS CORE, "X-A: 1\r\n",
	       SIP_MAX_HEADERS_CEILING - 5, "\r\n");
	assert_int_equal(parse(buf), 0);
	repeat(buf, sizeof(buf), OPTIONS CORE, "X-A: 1\r\n",
	       SIP_MAX_HEADERS_CEILING, "\r\n");
	assert_int_equal(parse(buf), EBADMSG);
	assert_int_equal(msg.err, SIP_ERR_TOO_MANY_HEADERS);
	lim = saved;

	/* Header length counts the whole field with its folds. */
	lim.max_header_length = 80;
	snprintf(buf, sizeof(buf), OPTIONS CORE "Subject: %0*d\r\n\r\n", 71,
		 0);
	assert_int_equal(parse(buf), 0);
	snprintf(buf, sizeof(buf), OPTIONS CORE "Subject: %0*d\r\n\r\n", 72,
		 0);
	assert_int_equal(parse(buf), EBADMSG);
	assert_int_equal(msg.err, SIP_ERR_HEADER_TOO_LONG);
	assert_int_equal(msg.err_status, 0);
	/* 9 + 40 + CRLF + SP + 27 = 79, then 80, then 81. */
	snprintf(buf, sizeof(buf), OPTIONS CORE "Subject: %0*d\r\n %0*d\r\n"
		 "\r\n", 40, 0, 28, 0);
	assert_int_equal(parse(buf), 0);
	snprintf(buf, sizeof(buf), OPTIONS CORE "Subject: %0*d\r\n %0*d\r\n"
		 "\r\n", 40, 0, 29, 0);
	assert_int_equal(parse(buf), EBADMSG);
	assert_int_equal(msg.err, SIP_ERR_HEADER_TOO_LONG);
	lim = saved;

	/* Via count, in one field or across fields. */
	lim.max_via = 3;
	assert_int_equal(parse(OPTIONS "Via: SIP/2.0/UDP a, SIP/2.0/UDP b\r\n"
				       "v: SIP/2.0/UDP c\r\n" NO_VIA "\r\n"),
			 0);
	assert_int_equal(msg.via_count, 3);
	assert_int_equal(parse(OPTIONS "Via: SIP/2.0/UDP a, SIP/2.0/UDP b\r\n"
				       "v: SIP/2.0/UDP c, SIP/2.0/UDP d\r\n"
				       NO_VIA "\r\n"),
			 EBADMSG);
	assert_int_equal(msg.err, SIP_ERR_TOO_MANY_VIA);
	assert_int_equal(msg.err_status, 0);
	lim = saved;
	repeat(buf, sizeof(buf), OPTIONS, "Via: SIP/2.0/UDP h;branch=z9\r\n",
	       lim.max_via, NO_VIA "\r\n");
	assert_int_equal(parse(buf), 0);
	assert_int_equal(msg.via_count, lim.max_via);
	repeat(buf, sizeof(buf), OPTIONS, "Via: SIP/2.0/UDP h;branch=z9\r\n",
	       lim.max_via + 1, NO_VIA "\r\n");
	assert_int_equal(parse(buf), EBADMSG);
	assert_int_equal(msg.err, SIP_ERR_TOO_MANY_VIA);

	/* URI length: 414 for the Request-URI, unanswerable in From/To. */
#define LONG_RURI "OPTIONS sip:bob@example.org.example.net SIP/2.0\r\n"
	lim.max_uri_length = (uint32_t)strlen("sip:bob@example.org.example.net");
	assert_int_equal(parse(LONG_RURI CORE "\r\n"), 0);
	lim.max_uri_length--;
	assert_int_equal(parse(LONG_RURI CORE "\r\n"), EBADMSG);
	assert_int_equal(msg.err, SIP_ERR_URI_TOO_LONG);
	assert_int_equal(msg.err_status, 414);
#undef LONG_RURI
	lim.max_uri_length = (uint32_t)strlen("sip:alice@example.com.xx");
	assert_int_equal(parse(OPTIONS VIA "From: <sip:alice@example.com.xx>\r\n"
				       TO CID CSEQ "\r\n"),
			 0);
	assert_int_equal(parse(OPTIONS VIA "From: <sip:alice@example.com.xxx>"
				       "\r\n" TO CID CSEQ "\r\n"),
			 EBADMSG);
	assert_int_equal(msg.err, SIP_ERR_URI_TOO_LONG);
	assert_int_equal(msg.err_status, 0);
	assert_int_equal(parse(OPTIONS VIA FROM "To: sip:bob@example.org.xxxxxx"
				       "\r\n" CID CSEQ "\r\n"),
			 EBADMSG);
	assert_int_equal(msg.err, SIP_ERR_URI_TOO_LONG);
	lim = saved;
}

/*
 * RFC 3261 8.2.6 / 21.4.1: a 4xx/5xx needs Via, From, To, Call-ID and
 * CSeq; a fault in any of those, or in the framing, is never answered.
 */
static void test_answerable(void **state)
{
	static const struct msg_case cases[] = {
		BAD(OPTIONS VIA FROM TO CID "CSeq: 1 INVITE\r\n"
		    "Max-Forwards: x\r\n\r\n", CSEQ, 400),
		BAD("OPTIONS sip:bob@example.org SIP/3.0\r\n" CORE
		    "Max-Forwards: x\r\n\r\n", VERSION, 505),
		BAD("OPTIONS sip:bob@example.org SIP/3.0\r\n"
		    "Via: SIP/3.0/UDP h\r\n" NO_VIA "\r\n", VERSION, 0),
		BAD(OPTIONS "Via: SIP/2.0/UDP h;ttl=x\r\n" NO_VIA
		    "Max-Forwards: x\r\n\r\n", VIA, 0),
		BAD("OPTIONS sip:bob@ SIP/2.0\r\n" NO_VIA "\r\n", RURI, 0),
		BAD("OPTIONS sip:bob@ SIP/2.0\r\n" CORE "Subject: \x01\r\n\r\n",
		    RURI, 0),
		BAD("OPTIONS sip:bob@ SIP/2.0\r\n" CORE "Max-Forwards: x\r\n"
		    "\r\n", RURI, 400),
		BAD(REQ("Content-Length: 100"), BODY, 400),
	};
	(void)state;
	RUN(cases);
	assert_int_equal(parse(cases[0].text), EBADMSG);
	assert_string_equal(msg.err_phrase, "CSeq method does not match");
	/* The core headers are there to build the answer from. */
	assert_true(pl_eq_str(&msg.via.branch, "z9hG4bK74bf9"));
	assert_true(pl_eq_str(&msg.from.tag, "9fxced76sl"));
}

/* The struct is reused: nothing of a previous message may survive. */
static void test_reuse(void **state)
{
	(void)state;
	assert_int_equal(parse(REQ("Max-Forwards: 9\r\nContent-Length: 0")),
			 0);
	assert_int_equal(parse("SIP/2.0 200 OK\r\n" CORE "\r\n"), 0);
	assert_int_equal(msg.max_forwards, -1);
	assert_false(msg.has_clen);
	assert_false(pl_isset(&msg.method_name));
	assert_false(pl_isset(&msg.ruri.host));
	assert_null(sip_msg_hdr(&msg, SIP_HDR_MAX_FORWARDS));

	assert_int_equal(parse(OPTIONS CORE "\r\n"), 0);
	assert_int_equal(parse("SIP/2.0 200 OK\r\nSubject: \x01\r\n\r\n"),
			 EBADMSG);
	assert_false(pl_isset(&msg.via.value));
	assert_false(pl_isset(&msg.from.value));
	assert_false(pl_isset(&msg.call_id));
	assert_int_equal(msg.via_count, 0);
	assert_int_equal(msg.status, 200);
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
		cmocka_unit_test_setup(test_invite, reset_limits),
		cmocka_unit_test_setup(test_request_line, reset_limits),
		cmocka_unit_test_setup(test_status_line, reset_limits),
		cmocka_unit_test_setup(test_header_section, reset_limits),
		cmocka_unit_test_setup(test_compact_and_case, reset_limits),
		cmocka_unit_test_setup(test_via, reset_limits),
		cmocka_unit_test_setup(test_from_to, reset_limits),
		cmocka_unit_test_setup(test_callid_cseq, reset_limits),
		cmocka_unit_test_setup(test_max_forwards_clen, reset_limits),
		cmocka_unit_test_setup(test_limits, reset_limits),
		cmocka_unit_test_setup(test_answerable, reset_limits),
		cmocka_unit_test_setup(test_reuse, reset_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
