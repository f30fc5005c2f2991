/*
 * test_sip_print.c - building responses (RFC 3261 8.2.6, 18.2.1; RFC 3581
 * received/rport) and forwarded requests (RFC 3261 16.6).  Every printed
 * message is parsed again with sip_msg_parse().
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <errno.h>
#include <cmocka.h>

#include "sip/print.h"

static struct sip_limits lim;
static struct sip_msg req, out_msg;
static char out[8192];
static size_t out_len;

#define VIA "Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bK776asdhds\r\n"
#define FROM "From: Alice <sip:alice@example.com>;tag=1928301774\r\n"
#define TO "To: Bob <sip:bob@example.org>\r\n"
#define CID "Call-ID: a84b4c76e66710@pc33.example.com\r\n"
#define CSEQ "CSeq: 314159 INVITE\r\n"
#define INVITE "INVITE sip:bob@example.org SIP/2.0\r\n"
#define NO_VIA FROM TO CID CSEQ

static const struct sip_src src4 = {PL("192.0.2.1"), 5060};

static void parse_req(const char *text)
{
	int rc = sip_msg_parse(&req, text, strlen(text), &lim);

	if (rc)
		print_error("request rejected (%s):\n%s\n",
			    sip_err_name(req.err), text);
	assert_int_equal(rc, 0);
}

/* Parse what was printed, which must be a valid message itself. */
static void reparse(void)
{
	int rc;

	out[out_len] = '\0';
	rc = sip_msg_parse(&out_msg, out, out_len, &lim);
	if (rc)
		print_error("output rejected (%s):\n%s\n",
			    sip_err_name(out_msg.err), out);
	assert_int_equal(rc, 0);
	assert_int_equal(sip_msg_parse_all(&out_msg), 0);
}

static void reply(const char *request, const struct sip_reply *r)
{
	struct mbuf mb;

	parse_req(request);
	mbuf_init(&mb, out, sizeof(out) - 1);
	assert_int_equal(sip_reply_print(&mb, &req, r), 0);
	out_len = mb.len;
	reparse();
	assert_false(out_msg.is_request);
	assert_int_equal(out_msg.status, r->status);
}

static struct sip_reply make_reply(uint16_t status, const struct sip_src *s)
{
	struct sip_reply r;

	memset(&r, 0, sizeof(r));
	r.status = status;
	r.reason = status == 100 ? "Trying" : status == 180 ? "Ringing"
							     : "OK";
	r.to_tag = PL("a6c85cf");
	r.src = s;
	return r;
}

/* The whole line of out that starts with prefix, CRLF excluded. */
static struct pl line_of(const char *prefix)
{
	const char *p = out;
	size_t n = strlen(prefix);

	while (p && *p) {
		if (strncmp(p, prefix, n) == 0)
			return pl_make(p, (size_t)(strstr(p, "\r\n") - p));
		p = strstr(p, "\r\n");
		if (p)
			p += 2;
	}
	return (struct pl)PL_INIT;
}

static void assert_line(const char *prefix, const char *want)
{
	struct pl l = line_of(prefix);

	if (!pl_eq_str(&l, want)) {
		print_error("line \"%s\":\n got  \"%.*s\"\n want \"%s\"\n",
			    prefix, (int)l.l, l.p ? l.p : "", want);
		fail();
	}
}

static unsigned count(const char *needle)
{
	unsigned n = 0;

	for (const char *p = out; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void test_reply_basic(void **state)
{
	struct sip_reply r = make_reply(200, &src4);

	(void)state;
	reply(INVITE "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1\r\n"
		     NO_VIA "Max-Forwards: 70\r\nSubject: x\r\n\r\n",
	      &r);
	assert_string_equal(out,
			    "SIP/2.0 200 OK\r\n"
			    "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1\r\n"
			    "From: Alice <sip:alice@example.com>;tag=1928301774"
			    "\r\n"
			    "To: Bob <sip:bob@example.org>;tag=a6c85cf\r\n"
			    "Call-ID: a84b4c76e66710@pc33.example.com\r\n"
			    "CSeq: 314159 INVITE\r\n"
			    "Content-Length: 0\r\n\r\n");
	assert_true(pl_eq_str(&out_msg.to.tag, "a6c85cf"));
	assert_true(pl_eq_str(&out_msg.cseq.method, "INVITE"));
	assert_int_equal(out_msg.cseq.num, 314159);
}

static void test_reply_vias(void **state)
{
	struct sip_reply r = make_reply(180, &src4);

	(void)state;
	/* All Vias, in order; only the top via-parm is touched. */
	reply(INVITE "Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1, "
		     "SIP/2.0/TCP b.example.com;branch=z9hG4bK2\r\n"
		     "Subject: between\r\n"
		     "v: SIP/2.0/TLS c.example.com;branch=z9hG4bK3;rport\r\n"
		     NO_VIA "\r\n",
	      &r);
	assert_int_equal(count("Via: "), 2);
	assert_non_null(strstr(out, "Via: SIP/2.0/UDP a.example.com;branch="
				    "z9hG4bK1;received=192.0.2.1, SIP/2.0/TCP"
				    " b.example.com;branch=z9hG4bK2\r\n"
				    "Via: SIP/2.0/TLS c.example.com;branch="
				    "z9hG4bK3;rport\r\n"));
	assert_int_equal(out_msg.via_count, 3);
	assert_true(pl_eq_str(&out_msg.via.received, "192.0.2.1"));
	assert_null(strstr(out, "Subject"));

	/* Folds are unfolded; compact names become full ones. */
	reply(INVITE "v: SIP/2.0/UDP 192.0.2.1\r\n ;branch=z9hG4bK1\r\n"
		     "f: \"A\r\n B\" <sip:a@example.com>;tag=1\r\n"
		     "t: <sip:b@example.org>\r\ni: abc\r\n" CSEQ "\r\n",
	      &r);
	assert_line("Via: ", "Via: SIP/2.0/UDP 192.0.2.1 ;branch=z9hG4bK1");
	assert_line("From: ", "From: \"A B\" <sip:a@example.com>;tag=1");
	assert_line("To: ", "To: <sip:b@example.org>;tag=a6c85cf");
	assert_line("Call-ID: ", "Call-ID: abc");
	assert_null(strstr(out, "\r\n "));
}

/* RFC 3261 18.2.1 and RFC 3581 4. */
static void test_reply_received_rport(void **state)
{
	static const struct {
		const char *via;
		const char *src_ip;
		const char *want;
	} cases[] = {
		/* Same address, no rport: nothing added. */
		{"SIP/2.0/UDP 192.0.2.1:5070;branch=z9", "192.0.2.1",
		 "SIP/2.0/UDP 192.0.2.1:5070;branch=z9"},
		/* A host name, or another address: received. */
		{"SIP/2.0/UDP pc.example.com;branch=z9", "192.0.2.1",
		 "SIP/2.0/UDP pc.example.com;branch=z9;received=192.0.2.1"},
		{"SIP/2.0/UDP 10.0.0.1;branch=z9", "192.0.2.1",
		 "SIP/2.0/UDP 10.0.0.1;branch=z9;received=192.0.2.1"},
		/* rport asked for: received always, and the port. */
		{"SIP/2.0/UDP 192.0.2.1;rport;branch=z9", "192.0.2.1",
		 "SIP/2.0/UDP 192.0.2.1;branch=z9;received=192.0.2.1"
		 ";rport=6000"},
		{"SIP/2.0/UDP h;branch=z9;rport", "192.0.2.1",
		 "SIP/2.0/UDP h;branch=z9;received=192.0.2.1;rport=6000"},
		/* Existing values are replaced, not repeated. */
		{"SIP/2.0/UDP h;received=10.9.9.9;branch=z9;rport=1",
		 "192.0.2.1",
		 "SIP/2.0/UDP h;branch=z9;received=192.0.2.1;rport=6000"},
		{"SIP/2.0/UDP h;rport=1;x=y;received=10.9.9.9", "192.0.2.1",
		 "SIP/2.0/UDP h;x=y;received=192.0.2.1;rport=6000"},
		{"SIP/2.0/UDP 192.0.2.1;received=10.9.9.9", "192.0.2.1",
		 "SIP/2.0/UDP 192.0.2.1"},
		/* IPv6: the reference and the bare source are compared as
		 * addresses. */
		{"SIP/2.0/UDP [2001:db8::1]:5060;branch=z9", "2001:db8::1",
		 "SIP/2.0/UDP [2001:db8::1]:5060;branch=z9"},
		{"SIP/2.0/UDP [2001:DB8:0::1];branch=z9", "2001:db8::1",
		 "SIP/2.0/UDP [2001:DB8:0::1];branch=z9"},
		{"SIP/2.0/UDP [2001:db8::1];branch=z9", "2001:db8::2",
		 "SIP/2.0/UDP [2001:db8::1];branch=z9;received=2001:db8::2"},
		{"SIP/2.0/UDP [::1];rport;branch=z9", "::1",
		 "SIP/2.0/UDP [::1];branch=z9;received=::1;rport=6000"},
		{"SIP/2.0/UDP h.example.com;received=[::5];branch=z9",
		 "2001:db8::2",
		 "SIP/2.0/UDP h.example.com;branch=z9;received=2001:db8::2"},
		{"SIP/2.0/UDP 192.0.2.1;branch=z9", "::ffff:192.0.2.9",
		 "SIP/2.0/UDP 192.0.2.1;branch=z9;received=::ffff:192.0.2.9"},
	};
	char text[1024], want[300];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sip_src s = {pl_from_cstr(cases[i].src_ip), 6000};
		struct sip_reply r = make_reply(200, &s);

		snprintf(text, sizeof(text), INVITE "Via: %s\r\n" NO_VIA "\r\n",
			 cases[i].via);
		snprintf(want, sizeof(want), "Via: %s", cases[i].want);
		reply(text, &r);
		assert_line("Via: ", want);
		assert_true(count("received=") <= 1);
		assert_true(count("rport") <= 1);
	}

	/* Without a source the Via is copied as it is. */
	{
		struct sip_reply r = make_reply(200, NULL);
		reply(INVITE "Via: SIP/2.0/UDP h;rport;received=10.0.0.1\r\n"
			     NO_VIA "\r\n",
		      &r);
		assert_line("Via: ", "Via: SIP/2.0/UDP h;rport;"
				     "received=10.0.0.1");
	}
}

static void test_reply_to_tag_timestamp(void **state)
{
	struct sip_reply r;
	const char *with_ts = INVITE VIA NO_VIA "Timestamp: 54.2 0.5\r\n\r\n";

	(void)state;
	/* RFC 3261 8.2.6.1: 100 has no To tag and echoes Timestamp. */
	r = make_reply(100, &src4);
	reply(with_ts, &r);
	assert_line("To: ", "To: Bob <sip:bob@example.org>");
	assert_line("Timestamp: ", "Timestamp: 54.2 0.5");
	assert_false(pl_isset(&out_msg.to.tag));

	r = make_reply(180, &src4);
	reply(with_ts, &r);
	assert_line("To: ", "To: Bob <sip:bob@example.org>;tag=a6c85cf");
	assert_null(strstr(out, "Timestamp"));

	/* A To that has a tag keeps it, alone. */
	r = make_reply(200, &src4);
	reply(INVITE VIA FROM "To: <sip:bob@example.org>;tag=xyz\r\n" CID CSEQ
		     "\r\n",
	      &r);
	assert_line("To: ", "To: <sip:bob@example.org>;tag=xyz");
	assert_int_equal(count(";tag="), 2); /* From and To */

	/* No tag given, none added. */
	r = make_reply(200, &src4);
	r.to_tag = (struct pl)PL_INIT;
	reply(INVITE VIA NO_VIA "\r\n", &r);
	assert_line("To: ", "To: Bob <sip:bob@example.org>");

	/* 100 without a Timestamp in the request. */
	r = make_reply(100, &src4);
	reply(INVITE VIA NO_VIA "\r\n", &r);
	assert_null(strstr(out, "Timestamp"));
}

static void test_reply_extra_body(void **state)
{
	struct sip_reply r = make_reply(200, &src4);

	(void)state;
	r.extra = "Allow: INVITE, ACK\r\nServer: shield/1\r\n";
	r.body = PL("hello");
	r.content_type = "text/plain";
	reply(INVITE VIA NO_VIA "\r\n", &r);
	assert_non_null(strstr(out, "CSeq: 314159 INVITE\r\n"
				    "Allow: INVITE, ACK\r\nServer: shield/1\r\n"
				    "Content-Type: text/plain\r\n"
				    "Content-Length: 5\r\n\r\nhello"));
	assert_true(pl_eq_str(&out_msg.body, "hello"));
	assert_int_equal(out_msg.clen, 5);

	/* A body without a type is not sent. */
	r = make_reply(200, &src4);
	r.body = PL("hello");
	reply(INVITE VIA NO_VIA "\r\n", &r);
	assert_line("Content-Length: ", "Content-Length: 0");
	assert_int_equal(out_msg.body.l, 0);
	assert_null(strstr(out, "hello"));
}

static void test_reply_overflow(void **state)
{
	struct sip_reply r = make_reply(200, &src4);
	struct mbuf mb;
	size_t full;

	(void)state;
	r.extra = "Server: shield\r\n";
	r.body = PL("v=0\r\n");
	r.content_type = "application/sdp";
	reply(INVITE "Via: SIP/2.0/UDP h;rport, SIP/2.0/UDP g\r\n" NO_VIA
		     "Timestamp: 1\r\n\r\n",
	      &r);
	full = out_len;
	for (size_t cap = 0; cap < full; cap++) {
		mbuf_init(&mb, out, cap);
		assert_int_equal(sip_reply_print(&mb, &req, &r), EOVERFLOW);
		assert_true(mb.len <= cap);
	}
	mbuf_init(&mb, out, full);
	assert_int_equal(sip_reply_print(&mb, &req, &r), 0);
	assert_int_equal(mb.len, full);
}

static void fwd(const char *request, const struct sip_fwd *f)
{
	struct mbuf mb;

	parse_req(request);
	mbuf_init(&mb, out, sizeof(out) - 1);
	assert_int_equal(sip_fwd_print(&mb, &req, f), 0);
	out_len = mb.len;
	reparse();
	assert_true(out_msg.is_request);
}

static void test_fwd(void **state)
{
	struct sip_fwd f = {.via = PL("SIP/2.0/UDP proxy.example.net;branch="
				      "z9hG4bKp1"),
			    .src = &src4};

	(void)state;
	fwd(INVITE "Max-Forwards: 70\r\n" VIA NO_VIA
		   "Subject: a\r\n folded\r\n\tsubject\r\n"
		   "Content-Type: text/plain\r\n"
		   "l: 3\r\n\r\nabcdef",
	    &f);
	assert_string_equal(
		out,
		"INVITE sip:bob@example.org SIP/2.0\r\n"
		"Via: SIP/2.0/UDP proxy.example.net;branch=z9hG4bKp1\r\n"
		"Max-Forwards: 69\r\n"
		"Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bK776asdhds"
		";received=192.0.2.1\r\n"
		"From: Alice <sip:alice@example.com>;tag=1928301774\r\n"
		"To: Bob <sip:bob@example.org>\r\n"
		"Call-ID: a84b4c76e66710@pc33.example.com\r\n"
		"CSeq: 314159 INVITE\r\n"
		"Subject: a folded subject\r\n"
		"Content-Type: text/plain\r\n"
		"Content-Length: 3\r\n\r\nabc");
	assert_int_equal(out_msg.via_count, 2);
	assert_true(pl_eq_str(&out_msg.via.branch, "z9hG4bKp1"));
	assert_int_equal(out_msg.max_forwards, 69);
	assert_true(pl_eq_str(&out_msg.body, "abc"));
	assert_int_equal(count("Content-Length"), 1);

	/* Max-Forwards 70 inserted when absent (16.6 step 3); the body
	 * length is counted when the request had no Content-Length. */
	f.src = NULL;
	fwd(INVITE VIA "Via: SIP/2.0/TCP b.example.com, SIP/2.0/UDP c\r\n"
		   NO_VIA "\r\nxyz",
	    &f);
	assert_int_equal(out_msg.max_forwards, 70);
	assert_int_equal(out_msg.via_count, 4);
	assert_line("Content-Length: ", "Content-Length: 3");
	assert_line("Max-Forwards: ", "Max-Forwards: 70");
	assert_non_null(strstr(out, "\r\n" VIA
				    "Via: SIP/2.0/TCP b.example.com, "
				    "SIP/2.0/UDP c\r\n"));

	fwd(INVITE VIA NO_VIA "Max-Forwards: 1\r\n\r\n", &f);
	assert_int_equal(out_msg.max_forwards, 0);
	assert_line("Content-Length: ", "Content-Length: 0");

	/* A new Request-URI; unknown headers are copied in order. */
	{
		struct pl ruri = PL("sip:bob@192.0.2.44:5062;transport=tcp");
		f.ruri = &ruri;
		fwd(INVITE VIA "X-B: 2\r\n" NO_VIA "X-A: 1\r\n"
			   "Route: <sip:p1.example.net;lr>\r\n\r\n",
		    &f);
		assert_true(pl_eq_str(&out_msg.ruri_raw, ruri.p));
		assert_true(strstr(out, "X-B: 2") < strstr(out, "X-A: 1"));
		assert_true(strstr(out, "X-A: 1") < strstr(out, "Route: "));
		assert_int_equal(out_msg.ruri.port, 5062);
	}
}

static void test_fwd_overflow(void **state)
{
	struct sip_fwd f = {.via = PL("SIP/2.0/UDP p;branch=z9hG4bKp1"),
			    .src = &src4};
	struct mbuf mb;
	size_t full;

	(void)state;
	fwd(INVITE VIA NO_VIA "Subject: a\r\n b\r\nContent-Length: 2\r\n\r\n"
		   "ok",
	    &f);
	full = out_len;
	for (size_t cap = 0; cap < full; cap++) {
		mbuf_init(&mb, out, cap);
		assert_int_equal(sip_fwd_print(&mb, &req, &f), EOVERFLOW);
	}
	mbuf_init(&mb, out, full);
	assert_int_equal(sip_fwd_print(&mb, &req, &f), 0);
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
		cmocka_unit_test_setup(test_reply_basic, reset_limits),
		cmocka_unit_test_setup(test_reply_vias, reset_limits),
		cmocka_unit_test_setup(test_reply_received_rport, reset_limits),
		cmocka_unit_test_setup(test_reply_to_tag_timestamp,
				       reset_limits),
		cmocka_unit_test_setup(test_reply_extra_body, reset_limits),
		cmocka_unit_test_setup(test_reply_overflow, reset_limits),
		cmocka_unit_test_setup(test_fwd, reset_limits),
		cmocka_unit_test_setup(test_fwd_overflow, reset_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
