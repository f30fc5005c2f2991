/* Unit tests for core/log.c: per-reason rate limiting and sanitising. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/log.h"

static char logpath[64];

static int capture(void **state)
{
	(void)state;
	snprintf(logpath, sizeof(logpath), "/tmp/vs-log-test-%d", (int)getpid());
	if (!freopen(logpath, "w+", stderr))
		return -1;
	return 0;
}

static size_t count_lines(const char *needle)
{
	char line[4096];
	size_t n = 0;
	FILE *f;

	fflush(stderr);
	f = fopen(logpath, "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (strstr(line, needle))
			n++;
	}
	if (f)
		fclose(f);
	return n;
}

static void test_rate_limit_per_reason(void **state)
{
	struct vs_log_conf c = {VS_LOG_INFO, false, 0, 5};
	static const char reason_a[] = "a", reason_b[] = "b";

	(void)state;
	vs_log_configure(&c);
	for (int i = 0; i < 1000; i++)
		vs_log_limited(VS_LOG_INFO, reason_a, "flood-a %d", i);
	for (int i = 0; i < 3; i++)
		vs_log_limited(VS_LOG_INFO, reason_b, "quiet-b %d", i);
	/* Within one second at most 5 lines of a reason get through; the
	 * other reason is not starved. */
	size_t a = count_lines("flood-a");
	assert_true(a >= 5 && a <= 10);
	assert_int_equal(count_lines("quiet-b"), 3);
	assert_true(vs_log_suppressed_total() >= 990);
	/* The next window reports how many were held back. */
	sleep(1);
	vs_log_limited(VS_LOG_INFO, reason_a, "flood-a again");
	assert_true(count_lines("similar lines suppressed") >= 1);
}

static void test_levels_and_control_chars(void **state)
{
	struct vs_log_conf c = {VS_LOG_NOTICE, false, 0, 5};

	(void)state;
	vs_log_configure(&c);
	vs_log(VS_LOG_INFO, "hidden-info");
	vs_log(VS_LOG_WARN, "shown-warn\x1b[31m\r\nforged line");
	assert_int_equal(count_lines("hidden-info"), 0);
	assert_int_equal(count_lines("shown-warn"), 1);
	/* No terminal escapes or line breaks from the network. */
	assert_int_equal(count_lines("\x1b"), 0);
	assert_int_equal(count_lines("forged line"), 1);
	assert_int_equal(count_lines("warning: shown-warn"), 1);
}

static void test_parse_names(void **state)
{
	enum vs_log_level l;
	int f;

	(void)state;
	assert_int_equal(vs_log_level_parse("debug", &l), 0);
	assert_int_equal(l, VS_LOG_DEBUG);
	assert_int_not_equal(vs_log_level_parse("verbose", &l), 0);
	assert_int_equal(vs_log_facility_parse("local7", &f), 0);
	assert_int_not_equal(vs_log_facility_parse("kern", &f), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rate_limit_per_reason),
		cmocka_unit_test(test_levels_and_control_chars),
		cmocka_unit_test(test_parse_names),
	};
	int rc = capture(NULL);
	if (rc)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(logpath);
	return rc;
}
