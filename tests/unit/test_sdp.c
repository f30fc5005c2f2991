/*
 * test_sdp.c - the SDP parser and writer (src/sdp/sdp.c, sdp_write.c) and
 * SDES a=crypto (src/sdp/sdes.c): valid and invalid bodies, every field
 * the relay uses, bounds, rewriting, and the RFC 4568 examples.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sdp/sdes.h"
#include "sdp/sdp.h"

static struct sdp_session s;

static enum sdp_error parse(const char *text)
{
	return sdp_parse(text, strlen(text), &s);
}

static bool eq(const struct pl *p, const char *str)
{
	return pl_eq_str(p, str);
}

/* A typical phone offer: audio with SDES, video, session c=. */
static const char *offer =
	"v=0\r\n"
	"o=alice 2890844526 2890844526 IN IP4 198.51.100.7\r\n"
	"s=-\r\n"
	"c=IN IP4 198.51.100.7\r\n"
	"t=0 0\r\n"
	"a=ice-lite\r\n"
	"m=audio 49170 RTP/SAVP 0 8 101\r\n"
	"a=rtpmap:101 telephone-event/8000\r\n"
	"a=rtcp:49171\r\n"
	"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4\r\n"
	"a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj|2^20|1:4\r\n"
	"a=candidate:1 1 UDP 2130706431 198.51.100.7 49170 typ host\r\n"
	"a=sendonly\r\n"
	"m=video 0 RTP/AVP 31\r\n"
	"c=IN IP6 2001:db8::7\r\n"
	"a=rtcp-mux\r\n";

static void test_parse_offer(void **state)
{
	(void)state;
	assert_int_equal(parse(offer), SDP_OK);
	assert_true(eq(&s.origin, "alice 2890844526 2890844526 IN IP4 198.51.100.7"));
	assert_int_equal(s.c.af, 4);
	assert_true(eq(&s.c.addr, "198.51.100.7"));
	assert_true(s.ice);
	assert_int_equal(s.nmedia, 2);
	assert_true(eq(&s.m[0].type, "audio"));
	assert_int_equal(s.m[0].port, 49170);
	assert_int_equal(s.m[0].nports, 1);
	assert_true(eq(&s.m[0].proto, "RTP/SAVP"));
	assert_true(eq(&s.m[0].fmts, "0 8 101"));
	assert_int_equal(s.m[0].rtcp_port, 49171);
	assert_int_equal(s.m[0].ncrypto, 2);
	assert_true(eq(&s.m[0].crypto[1], "2 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj|2^20|1:4"));
	assert_true(s.m[0].ice);
	assert_int_equal(sdp_media_dir(&s, 0), SDP_DIR_SENDONLY);
	assert_int_equal(sdp_media_conn(&s, 0)->af, 4);
	assert_int_equal(s.m[1].port, 0);
	assert_true(s.m[1].rtcp_mux);
	assert_false(s.m[1].ice);
	assert_int_equal(sdp_media_dir(&s, 1), SDP_DIR_SENDRECV);
	assert_int_equal(sdp_media_conn(&s, 1)->af, 6);
	assert_true(eq(&sdp_media_conn(&s, 1)->addr, "2001:db8::7"));
	assert_true(s.m[1].section.p[0] == 'm');
	assert_true(eq(&s.m[1].section, "m=video 0 RTP/AVP 31\r\nc=IN IP6 2001:db8::7\r\na=rtcp-mux"));
}

static void test_parse_variants(void **state)
{
	(void)state;
	/* LF line ends, no final line end, port count, T.38, multicast TTL,
	 * a session direction, a=rtcp with an address. */
	assert_int_equal(parse("v=0\n"
			       "o=- 1 1 IN IP4 192.0.2.1\n"
			       "s= \n"
			       "t=0 0\n"
			       "a=inactive\n"
			       "m=image 6000/2 udptl t38\n"
			       "c=IN IP4 233.252.0.1/127/3\n"
			       "a=rtcp:6001 IN IP4 192.0.2.2\n"
			       "m=audio 7000 RTP/AVP 0\n"
			       "c=IN IP4 192.0.2.3"),
			 SDP_OK);
	assert_int_equal(s.nmedia, 2);
	assert_int_equal(s.m[0].nports, 2);
	assert_true(eq(&s.m[0].proto, "udptl"));
	assert_true(eq(&s.m[0].c.addr, "233.252.0.1"));
	assert_int_equal(s.m[0].rtcp_c.af, 4);
	assert_true(eq(&s.m[0].rtcp_c.addr, "192.0.2.2"));
	assert_int_equal(sdp_media_dir(&s, 1), SDP_DIR_INACTIVE);
	assert_true(eq(&s.m[1].c.addr, "192.0.2.3"));
	/* No media at all (a hold by some old phones): fine. */
	assert_int_equal(parse("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n"), SDP_OK);
	assert_int_equal(s.nmedia, 0);
}

static void test_parse_errors(void **state)
{
	(void)state;
	assert_int_equal(parse(""), SDP_E_EMPTY);
	assert_int_equal(parse("v=1\r\n"), SDP_E_VERSION);
	assert_int_equal(parse("o=- 1 1 IN IP4 1.2.3.4\r\nv=0\r\n"), SDP_E_VERSION);
	assert_int_equal(parse("hello"), SDP_E_VERSION);
	assert_int_equal(parse("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nX=1\r\n"), SDP_E_LINE);
	assert_int_equal(parse("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nbroken\r\n"), SDP_E_LINE);
	assert_int_equal(parse("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=a\x01\r\n"), SDP_E_CONTROL);
	assert_int_equal(sdp_parse("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=a\0b\r\n", 34, &s),
			 SDP_E_CONTROL);
	assert_int_equal(parse("v=0\r\ns=-\r\n"), SDP_E_ORIGIN);
	assert_int_equal(parse("v=0\r\no=- 1 IN IP4 1.2.3.4\r\n"), SDP_E_ORIGIN);
	assert_int_equal(parse("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\no=- 1 1 IN IP4 1.2.3.4\r\n"),
			 SDP_E_ORIGIN);
	assert_int_equal(parse("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nc=IN IP5 1.2.3.4\r\n"),
			 SDP_E_CONNECTION);
	assert_int_equal(parse("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nc=IN IP4 1.2.3.4 x\r\n"),
			 SDP_E_CONNECTION);
	assert_int_equal(parse("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nc=IN IP4 1.2.3.4/ab\r\n"),
			 SDP_E_CONNECTION);
	assert_int_equal(parse("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nc=IN IP4 1.2.3.4\r\nm=audio 70000 RTP/AVP 0\r\n"),
			 SDP_E_MEDIA);
	assert_int_equal(parse("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nc=IN IP4 1.2.3.4\r\nm=audio 7000 RTP/AVP\r\n"),
			 SDP_E_MEDIA);
	assert_int_equal(parse("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nc=IN IP4 1.2.3.4\r\nm=audio -1 RTP/AVP 0\r\n"),
			 SDP_E_MEDIA);
	assert_int_equal(parse("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nc=IN IP4 1.2.3.4\r\nm=audio 7000/0 RTP/AVP 0\r\n"),
			 SDP_E_MEDIA);
	assert_int_equal(parse("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nm=audio 7000 RTP/AVP 0\r\n"),
			 SDP_E_NO_CONN);
	assert_int_equal(parse("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nc=IN IP4 1.2.3.4\r\nm=audio 7000 RTP/AVP 0\r\na=rtcp:x\r\n"),
			 SDP_E_ATTRIBUTE);
	assert_string_equal(sdp_error_str(SDP_E_NO_CONN),
			    "a media section without a connection address");
}

static void test_bounds(void **state)
{
	char buf[40000];
	size_t n;

	(void)state;
	/* SDP_MAX_MEDIA + 1 media sections. */
	n = (size_t)snprintf(buf, sizeof(buf), "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nc=IN IP4 1.2.3.4\r\n");
	for (int i = 0; i <= SDP_MAX_MEDIA; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "m=audio %d RTP/AVP 0\r\n", 1000 + i);
	assert_int_equal(sdp_parse(buf, n, &s), SDP_E_TOO_MANY);
	/* SDP_MAX_CRYPTO + 1 crypto lines. */
	n = (size_t)snprintf(buf, sizeof(buf), "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nc=IN IP4 1.2.3.4\r\nm=audio 1 RTP/SAVP 0\r\n");
	for (int i = 0; i <= SDP_MAX_CRYPTO; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "a=crypto:%d X inline:x\r\n", i + 1);
	assert_int_equal(sdp_parse(buf, n, &s), SDP_E_TOO_MANY);
	/* SDP_MAX_LINES + 1 lines. */
	n = (size_t)snprintf(buf, sizeof(buf), "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\n");
	for (int i = 0; i < SDP_MAX_LINES; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "a=x\r\n");
	assert_int_equal(sdp_parse(buf, n, &s), SDP_E_TOO_MANY);
}

static void test_write(void **state)
{
	char out[4096];
	struct mbuf mb;
	struct sdp_edit e;
	static const char *want =
		"v=0\r\n"
		"o=alice 2890844526 2890844526 IN IP4 203.0.113.1\r\n"
		"s=-\r\n"
		"c=IN IP4 203.0.113.1\r\n"
		"t=0 0\r\n"
		"m=audio 30000 RTP/AVP 0 8 101\r\n"
		"a=rtpmap:101 telephone-event/8000\r\n"
		"a=sendonly\r\n"
		"a=rtcp:30001\r\n"
		"m=video 0 RTP/AVP 31\r\n"
		"c=IN IP6 2001:db8::7\r\n"
		"a=rtcp-mux\r\n";

	(void)state;
	assert_int_equal(parse(offer), SDP_OK);
	memset(&e, 0, sizeof(e));
	e.addr = "203.0.113.1";
	e.af = 4;
	e.m[0].port = 30000;
	e.m[0].rtcp_port = 30001;
	e.m[0].proto = "RTP/AVP";
	e.m[0].replace_crypto = true; /* none: SRTP to RTP */
	e.m[0].strip_ice = true;
	e.m[1].keep = true;
	mbuf_init(&mb, out, sizeof(out));
	assert_int_equal(sdp_write(&s, &e, &mb), 0);
	assert_int_equal(mb.len, strlen(want));
	assert_memory_equal(out, want, mb.len);
	/* The result parses, with the relay's values. */
	assert_int_equal(sdp_parse(out, mb.len, &s), SDP_OK);
	assert_int_equal(s.m[0].port, 30000);
	assert_int_equal(s.m[0].ncrypto, 0);
	assert_false(s.ice || s.m[0].ice);

	/* RTP to SRTP: our own crypto line goes at the end of the section. */
	assert_int_equal(parse("v=0\r\no=- 7 7 IN IP4 10.0.0.2\r\ns=-\r\nt=0 0\r\n"
			       "m=audio 4000 RTP/AVP 0\r\nc=IN IP4 10.0.0.2\r\na=ptime:20\r\n"), SDP_OK);
	memset(&e, 0, sizeof(e));
	e.addr = "2001:db8::1";
	e.af = 6;
	e.m[0].port = 31000;
	e.m[0].proto = "RTP/SAVP";
	e.m[0].replace_crypto = true;
	e.m[0].crypto[0] = "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR";
	e.m[0].ncrypto = 1;
	mbuf_init(&mb, out, sizeof(out));
	assert_int_equal(sdp_write(&s, &e, &mb), 0);
	out[mb.len] = 0;
	assert_string_equal(out, "v=0\r\no=- 7 7 IN IP6 2001:db8::1\r\ns=-\r\nt=0 0\r\n"
				 "m=audio 31000 RTP/SAVP 0\r\nc=IN IP6 2001:db8::1\r\na=ptime:20\r\n"
				 "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n");
	/* Too small a buffer: ENOSPC, never a partial success. */
	mbuf_init(&mb, out, 40);
	assert_int_equal(sdp_write(&s, &e, &mb), ENOSPC);
}

static void test_sdes(void **state)
{
	struct sdes_crypto c;
	char attr[SDES_ATTR_MAX];
	struct pl v;

	(void)state;
	/* RFC 4568 section 4 example. */
	v = PL("1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4");
	assert_int_equal(sdes_parse(&v, &c), SDES_OK);
	assert_int_equal(c.tag, 1);
	assert_int_equal(c.suite, SDES_AES_CM_128_HMAC_SHA1_80);
	assert_int_equal(c.key_len, 30);
	assert_int_equal(c.key[0], 0x3d); /* 'PS1u' = 3d 2d 6e */
	assert_int_equal(c.key[1], 0x2d);
	assert_int_equal(c.key[2], 0x6e);
	assert_int_equal(c.lifetime, 1u << 20);
	assert_int_equal(c.mki, 1);
	assert_int_equal(c.mki_len, 4);
	{
		size_t n = sdes_format(&c, attr);
		assert_int_equal(n, strlen(attr));
	}
	assert_string_equal(attr, "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1:4");
	/* A decimal lifetime, no MKI, session parameters we accept. */
	v = PL("7 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj|1048576 WSH=64");
	assert_int_equal(sdes_parse(&v, &c), SDES_OK);
	assert_int_equal(c.lifetime, 1048576);
	assert_true(pl_eq_str(&c.session_params, "WSH=64"));
	/* AEAD_AES_256_GCM: 44 bytes of key and salt, with padding. */
	{
		uint8_t k[44];
		for (int i = 0; i < 44; i++)
			k[i] = (uint8_t)i;
		memset(&c, 0, sizeof(c));
		c.tag = 3;
		c.suite = SDES_AEAD_AES_256_GCM;
		memcpy(c.key, k, 44);
		c.key_len = 44;
		sdes_format(&c, attr);
		v = pl_from_cstr(attr);
		assert_int_equal(sdes_parse(&v, &c), SDES_OK);
		assert_int_equal(c.key_len, 44);
		assert_memory_equal(c.key, k, 44);
		assert_non_null(strchr(attr, '='));
	}
	/* Errors. */
	v = PL("1 AES_CM_128_HMAC_SHA1_80");
	assert_int_equal(sdes_parse(&v, &c), SDES_E_SYNTAX);
	v = PL("x AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR");
	assert_int_equal(sdes_parse(&v, &c), SDES_E_SYNTAX);
	v = PL("1 F8_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR");
	assert_int_equal(sdes_parse(&v, &c), SDES_E_SUITE);
	v = PL("1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaV");
	assert_int_equal(sdes_parse(&v, &c), SDES_E_KEY); /* too short */
	v = PL("1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVB!");
	assert_int_equal(sdes_parse(&v, &c), SDES_E_KEY); /* not base64 */
	v = PL("1 AEAD_AES_128_GCM inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR");
	assert_int_equal(sdes_parse(&v, &c), SDES_E_KEY); /* 30 bytes, GCM wants 28 */
	v = PL("1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^49");
	assert_int_equal(sdes_parse(&v, &c), SDES_E_LIFETIME);
	v = PL("1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1:5");
	assert_int_equal(sdes_parse(&v, &c), SDES_E_MKI);
	v = PL("1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|256:1");
	assert_int_equal(sdes_parse(&v, &c), SDES_E_MKI);
	v = PL("1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1:4|2^20");
	assert_int_equal(sdes_parse(&v, &c), SDES_E_LIFETIME); /* lifetime after MKI */
	v = PL("1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4;inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj|2^20|2:4");
	assert_int_equal(sdes_parse(&v, &c), SDES_E_MULTIPLE);
	v = PL("1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR UNENCRYPTED_SRTP");
	assert_int_equal(sdes_parse(&v, &c), SDES_E_PARAMS);
	assert_int_equal(sdes_suite_info(SDES_AEAD_AES_128_GCM)->salt_len, 12);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_offer),
		cmocka_unit_test(test_parse_variants),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_write),
		cmocka_unit_test(test_sdes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
