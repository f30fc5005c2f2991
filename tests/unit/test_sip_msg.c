#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "sip/msg.h"

static struct sip_limits lim;
static struct sip_msg msg;

static int parse(const char *s)
{
	return sip_msg_parse(&msg, s, strlen(s), &lim);
}

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_invite),
	};
	sip_limits_default(&lim);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
