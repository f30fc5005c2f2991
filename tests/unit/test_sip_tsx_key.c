/* Unit tests for sip/tsx_key.c (RFC 3261 17.1.3, 17.2.3). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "sip/tsx_key.h"

static struct sip_limits lim;

/* Build a request with the given top Via, method and tags. */
static void req(struct sip_msg *m, char *buf, size_t size, const char *method,
		const char *via, const char *to_tag, const char *cseq_method)
{
	int n = snprintf(buf, size,
			 "%s sip:bob@example.com SIP/2.0\r\n"
			 "Via: %s\r\n"
			 "From: <sip:alice@example.com>;tag=f1\r\n"
			 "To: <sip:bob@example.com>%s%s\r\n"
			 "Call-ID: c1@example.com\r\n"
			 "CSeq: 7 %s\r\n"
			 "Content-Length: 0\r\n\r\n",
			 method, via, to_tag ? ";tag=" : "", to_tag ? to_tag : "",
			 cseq_method ? cseq_method : method);
	assert_int_equal(sip_msg_parse(m, buf, (size_t)n, &lim), 0);
}

static bool same_server(const char *m1, const char *via1, const char *tag1,
			const char *m2, const char *via2, const char *tag2)
{
	static struct sip_msg a, b;
	static char ba[1024], bb[1024];
	static struct sip_tsx_key ka, kb;

	req(&a, ba, sizeof(ba), m1, via1, tag1, NULL);
	req(&b, bb, sizeof(bb), m2, via2, tag2, NULL);
	assert_int_equal(sip_tsx_key_server(&a, &ka), 0);
	assert_int_equal(sip_tsx_key_server(&b, &kb), 0);
	return ka.len == kb.len && memcmp(ka.buf, kb.buf, ka.len) == 0;
}

#define V3 "SIP/2.0/UDP pc.example.com:5060;branch=z9hG4bK74bf9"

static void test_rfc3261_matching(void **state)
{
	(void)state;
	/* A retransmission matches itself. */
	assert_true(same_server("INVITE", V3, NULL, "INVITE", V3, NULL));
	/* The ACK for a non-2xx matches the INVITE (To tag added by us). */
	assert_true(same_server("INVITE", V3, NULL, "ACK", V3, "srv1"));
	/* CANCEL has its own transaction, same branch. */
	assert_false(same_server("INVITE", V3, NULL, "CANCEL", V3, NULL));
	/* Another branch, another sent-by host or port: another transaction. */
	assert_false(same_server("INVITE", V3, NULL, "INVITE",
				 "SIP/2.0/UDP pc.example.com:5060;branch=z9hG4bK74bfA", NULL));
	assert_false(same_server("INVITE", V3, NULL, "INVITE",
				 "SIP/2.0/UDP pc2.example.com:5060;branch=z9hG4bK74bf9", NULL));
	assert_false(same_server("INVITE", V3, NULL, "INVITE",
				 "SIP/2.0/UDP pc.example.com;branch=z9hG4bK74bf9", NULL));
	/* The host is not case-sensitive; the branch is. */
	assert_true(same_server("INVITE", V3, NULL, "INVITE",
				"SIP/2.0/UDP PC.Example.COM:5060;branch=z9hG4bK74bf9", NULL));
	assert_false(same_server("INVITE", V3, NULL, "INVITE",
				 "SIP/2.0/UDP pc.example.com:5060;branch=z9hG4bK74BF9", NULL));
	/* Other Via parameters (received, rport) do not matter. */
	assert_true(same_server("INVITE", V3, NULL, "INVITE", V3 ";rport;received=192.0.2.1", NULL));
	/* Another method with the same branch is another transaction. */
	assert_false(same_server("INVITE", V3, NULL, "BYE", V3, NULL));
}

#define V2 "SIP/2.0/UDP old.example.com:5060;branch=1234"

static void test_rfc2543_matching(void **state)
{
	(void)state;
	assert_true(same_server("INVITE", V2, NULL, "INVITE", V2, NULL));
	/* ACK carries our To tag, still the INVITE's transaction. */
	assert_true(same_server("INVITE", V2, NULL, "ACK", V2, "ours"));
	/* For other methods the To tag is part of the key. */
	assert_false(same_server("BYE", V2, "a", "BYE", V2, "b"));
	assert_false(same_server("INVITE", V2, NULL, "INVITE",
				 "SIP/2.0/UDP old.example.com:5061;branch=1234", NULL));
	assert_false(same_server("INVITE", V2, NULL, "CANCEL", V2, NULL));
	/* RFC 2543 keys never equal RFC 3261 ones. */
	assert_false(same_server("INVITE", V2, NULL, "INVITE", V3, NULL));
}

static void test_client_key(void **state)
{
	static struct sip_msg r, resp;
	static char br[1024];
	struct sip_tsx_key kr, kp;
	const char *text =
		"SIP/2.0 486 Busy Here\r\n"
		"Via: " V3 ";received=192.0.2.9\r\n"
		"Via: SIP/2.0/UDP a.example.com;branch=z9hG4bKx\r\n"
		"From: <sip:alice@example.com>;tag=f1\r\n"
		"To: <sip:bob@example.com>;tag=b\r\n"
		"Call-ID: c1@example.com\r\n"
		"CSeq: 7 INVITE\r\n"
		"Content-Length: 0\r\n\r\n";

	(void)state;
	req(&r, br, sizeof(br), "INVITE", V3, NULL, NULL);
	assert_int_equal(sip_tsx_key_client(&r, &kr), 0);
	assert_int_equal(sip_msg_parse(&resp, text, strlen(text), &lim), 0);
	assert_int_equal(sip_tsx_key_client(&resp, &kp), 0);
	assert_int_equal(kr.len, kp.len);
	assert_memory_equal(kr.buf, kp.buf, kr.len);
	/* A response to CANCEL (same branch) is another transaction. */
	req(&r, br, sizeof(br), "CANCEL", V3, NULL, NULL);
	assert_int_equal(sip_tsx_key_client(&r, &kr), 0);
	assert_false(kr.len == kp.len && memcmp(kr.buf, kp.buf, kr.len) == 0);
	/* Without a 3261 branch it cannot be ours. */
	req(&r, br, sizeof(br), "INVITE", V2, NULL, NULL);
	assert_int_equal(sip_tsx_key_client(&r, &kr), EINVAL);
}

static void test_key_limit(void **state)
{
	static struct sip_msg m;
	static char buf[8192], via[3000];
	struct sip_tsx_key k;

	(void)state;
	/* An RFC 2543 key over the cap is refused, not truncated. */
	memset(via, 'a', sizeof(via));
	memcpy(via, "SIP/2.0/UDP h.example.com;x=", 28);
	via[sizeof(via) - 1] = 0;
	req(&m, buf, sizeof(buf), "INVITE", via, NULL, NULL);
	assert_int_equal(sip_tsx_key_server(&m, &k), EOVERFLOW);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc3261_matching),
		cmocka_unit_test(test_rfc2543_matching),
		cmocka_unit_test(test_client_key),
		cmocka_unit_test(test_key_limit),
	};
	sip_limits_default(&lim);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
