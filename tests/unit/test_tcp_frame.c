/* Unit tests for transport/tcp_frame.c: stream framing (RFC 3261 18.3). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "transport/tcp_frame.h"

#define REG(body_len_hdr, body)                                                \
	"REGISTER sip:x SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\n"     \
	body_len_hdr "\r\n\r\n" body

static enum tcp_frame frame(const char *buf, size_t len, size_t max,
			    size_t *consumed)
{
	struct tcp_frame_state st = {0, 0};
	return tcp_frame_next(buf, len, max, &st, consumed);
}

static void test_whole_message(void **state)
{
	const char *m = REG("Content-Length: 4", "abcd");
	size_t c;

	(void)state;
	assert_int_equal(frame(m, strlen(m), 65535, &c), TCP_FRAME_MESSAGE);
	assert_int_equal(c, strlen(m));
}

static void test_compact_and_case(void **state)
{
	const char *m1 = REG("l: 2", "ab");
	const char *m2 = REG("content-LENGTH  :\t2 ", "ab");
	size_t c;

	(void)state;
	assert_int_equal(frame(m1, strlen(m1), 65535, &c), TCP_FRAME_MESSAGE);
	assert_int_equal(c, strlen(m1));
	assert_int_equal(frame(m2, strlen(m2), 65535, &c), TCP_FRAME_MESSAGE);
	assert_int_equal(c, strlen(m2));
}

static void test_partial_reads(void **state)
{
	const char *m = REG("Content-Length: 10", "0123456789");
	size_t len = strlen(m), c = 0;
	struct tcp_frame_state scanned = {0, 0};

	(void)state;
	/* Every prefix needs more; the whole message frames exactly. */
	for (size_t i = 1; i < len; i++)
		assert_int_equal(tcp_frame_next(m, i, 65535, &scanned, &c),
				 TCP_FRAME_NEED_MORE);
	assert_int_equal(tcp_frame_next(m, len, 65535, &scanned, &c),
			 TCP_FRAME_MESSAGE);
	assert_int_equal(c, len);
}

static void test_body_with_blank_line(void **state)
{
	/* The body contains CRLFCRLF: resuming must not re-find it. */
	const char *m = REG("Content-Length: 8", "ab\r\n\r\ncd");
	size_t len = strlen(m), c = 0;
	struct tcp_frame_state scanned = {0, 0};

	(void)state;
	assert_int_equal(tcp_frame_next(m, len - 3, 65535, &scanned, &c),
			 TCP_FRAME_NEED_MORE);
	assert_int_equal(tcp_frame_next(m, len, 65535, &scanned, &c),
			 TCP_FRAME_MESSAGE);
	assert_int_equal(c, len);
}

static void test_header_scanned_once(void **state)
{
	const char *m = REG("Content-Length: 10", "0123456789");
	size_t len = strlen(m), c = 0;
	struct tcp_frame_state st = {0, 0};

	(void)state;
	assert_int_equal(tcp_frame_next(m, len - 10, 65535, &st, &c),
			 TCP_FRAME_NEED_MORE);
	/* The size is known now; later pieces only compare lengths, even
	 * if the header bytes changed (they are not looked at again). */
	assert_int_equal(st.msg_len, len);
	char copy[256];
	memcpy(copy, m, len);
	memset(copy, 'X', 20);
	assert_int_equal(tcp_frame_next(copy, len - 1, 65535, &st, &c),
			 TCP_FRAME_NEED_MORE);
	assert_int_equal(tcp_frame_next(copy, len, 65535, &st, &c),
			 TCP_FRAME_MESSAGE);
	assert_int_equal(c, len);
}

static void test_pipelined(void **state)
{
	char buf[512];
	const char *m = REG("Content-Length: 3", "xyz");
	size_t ml = strlen(m), off = 0, c;
	int n = 0;

	(void)state;
	memcpy(buf, m, ml);
	memcpy(buf + ml, m, ml);
	memcpy(buf + 2 * ml, m, ml);
	while (off < 3 * ml) {
		assert_int_equal(frame(buf + off, 3 * ml - off, 65535, &c),
				 TCP_FRAME_MESSAGE);
		assert_int_equal(c, ml);
		off += c;
		n++;
	}
	assert_int_equal(n, 3);
}

static void test_keepalives(void **state)
{
	size_t c;

	(void)state;
	assert_int_equal(frame("\r\n\r\n", 4, 65535, &c), TCP_FRAME_PING);
	assert_int_equal(c, 4);
	/* A lone CRLF may be the start of a ping: wait. */
	assert_int_equal(frame("\r\n", 2, 65535, &c), TCP_FRAME_NEED_MORE);
	assert_int_equal(frame("\r\n\r", 3, 65535, &c), TCP_FRAME_NEED_MORE);
	/* CRLF before a request is skipped (RFC 3261 7.5). */
	assert_int_equal(frame("\r\nINVITE", 8, 65535, &c), TCP_FRAME_SKIP);
	assert_int_equal(c, 2);
	assert_int_equal(frame("\nX", 2, 65535, &c), TCP_FRAME_SKIP);
	assert_int_equal(frame("\rX", 2, 65535, &c), TCP_FRAME_ERROR);
}

static void test_errors(void **state)
{
	const char *none = "OPTIONS sip:x SIP/2.0\r\nVia: x\r\n\r\n";
	const char *bad = REG("Content-Length: 1x", "a");
	const char *neg = REG("Content-Length: -1", "");
	const char *twice = "OPTIONS sip:x SIP/2.0\r\nContent-Length: 1\r\nl: 2\r\n\r\nab";
	const char *same = "OPTIONS sip:x SIP/2.0\r\nContent-Length: 2\r\nl: 2\r\n\r\nab";
	const char *huge = REG("Content-Length: 9999999999", "");
	size_t c;

	(void)state;
	/* Content-Length is mandatory on a stream. */
	assert_int_equal(frame(none, strlen(none), 65535, &c), TCP_FRAME_ERROR);
	assert_int_equal(frame(bad, strlen(bad), 65535, &c), TCP_FRAME_ERROR);
	assert_int_equal(frame(neg, strlen(neg), 65535, &c), TCP_FRAME_ERROR);
	assert_int_equal(frame(twice, strlen(twice), 65535, &c), TCP_FRAME_ERROR);
	assert_int_equal(frame(same, strlen(same), 65535, &c), TCP_FRAME_MESSAGE);
	assert_int_equal(frame(huge, strlen(huge), 65535, &c), TCP_FRAME_ERROR);
}

static void test_limits(void **state)
{
	char buf[300];
	const char *big = REG("Content-Length: 5000", "");
	size_t c;

	(void)state;
	/* A body that would take the message past the cap. */
	assert_int_equal(frame(big, strlen(big), 4096, &c), TCP_FRAME_TOO_BIG);
	/* Headers that never end within the cap. */
	memset(buf, 'A', sizeof(buf));
	assert_int_equal(frame(buf, sizeof(buf), 256, &c), TCP_FRAME_TOO_BIG);
	assert_int_equal(frame(buf, 200, 256, &c), TCP_FRAME_NEED_MORE);
}

static void test_folded_clen_name_only(void **state)
{
	/* "Content-Length" inside another header's value is not a field. */
	const char *m = "OPTIONS sip:x SIP/2.0\r\nSubject: Content-Length: 99\r\n"
			"Content-Length: 0\r\n\r\n";
	size_t c;

	(void)state;
	assert_int_equal(frame(m, strlen(m), 65535, &c), TCP_FRAME_MESSAGE);
	assert_int_equal(c, strlen(m));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_message),
		cmocka_unit_test(test_compact_and_case),
		cmocka_unit_test(test_partial_reads),
		cmocka_unit_test(test_body_with_blank_line),
		cmocka_unit_test(test_header_scanned_once),
		cmocka_unit_test(test_pipelined),
		cmocka_unit_test(test_keepalives),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_folded_clen_name_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
