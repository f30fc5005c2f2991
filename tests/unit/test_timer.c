/* Unit tests for core/timer.c, driven by a fake clock. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/timer.h"

static struct timer_wheel wheel;
static int fired[8];
static uint64_t fired_at[8];
static uint64_t clock_ms;

static void on_fire(struct timer *t, void *arg)
{
	int i = (int)(intptr_t)arg;
	(void)t;
	fired[i]++;
	fired_at[i] = clock_ms;
}

static void advance_to(uint64_t ms)
{
	/* Run the wheel every millisecond, as a busy loop would. */
	while (clock_ms < ms) {
		clock_ms++;
		timer_wheel_run(&wheel, clock_ms);
	}
}

static int setup(void **state)
{
	(void)state;
	clock_ms = 1000000;
	memset(fired, 0, sizeof(fired));
	timer_wheel_init(&wheel, clock_ms);
	return 0;
}

static void test_fires_never_early(void **state)
{
	struct timer t[3];
	uint64_t start = clock_ms;

	(void)state;
	for (int i = 0; i < 3; i++)
		timer_init(&t[i]);
	timer_start(&wheel, &t[0], clock_ms, 500, on_fire, (void *)0);
	timer_start(&wheel, &t[1], clock_ms, 32000, on_fire, (void *)1);
	timer_start(&wheel, &t[2], clock_ms, 1, on_fire, (void *)2);
	advance_to(start + 40000);
	for (int i = 0; i < 3; i++)
		assert_int_equal(fired[i], 1);
	assert_true(fired_at[0] >= start + 500 && fired_at[0] <= start + 500 + TIMER_TICK_MS);
	/* 32 s is several laps of the wheel. */
	assert_true(fired_at[1] >= start + 32000 && fired_at[1] <= start + 32000 + TIMER_TICK_MS);
	assert_true(fired_at[2] >= start + 1);
	assert_int_equal(wheel.pending, 0);
}

static void test_stop_and_restart(void **state)
{
	struct timer a, b;
	uint64_t start = clock_ms;

	(void)state;
	timer_init(&a);
	timer_init(&b);
	timer_start(&wheel, &a, clock_ms, 100, on_fire, (void *)0);
	timer_start(&wheel, &b, clock_ms, 100, on_fire, (void *)1);
	timer_stop(&wheel, &a);
	assert_false(timer_armed(&a));
	/* Re-arming replaces the earlier deadline. */
	timer_start(&wheel, &b, clock_ms, 300, on_fire, (void *)1);
	advance_to(start + 200);
	assert_int_equal(fired[0], 0);
	assert_int_equal(fired[1], 0);
	advance_to(start + 400);
	assert_int_equal(fired[1], 1);
	assert_true(fired_at[1] >= start + 300);
}

static void test_long_stall(void **state)
{
	struct timer t[4];
	uint64_t start = clock_ms;

	(void)state;
	for (int i = 0; i < 4; i++) {
		timer_init(&t[i]);
		timer_start(&wheel, &t[i], clock_ms, (uint64_t)(i + 1) * 3000,
			    on_fire, (void *)(intptr_t)i);
	}
	/* The loop was blocked for a minute: one run fires everything due. */
	clock_ms = start + 10000;
	timer_wheel_run(&wheel, clock_ms);
	assert_int_equal(fired[0] + fired[1] + fired[2], 3);
	assert_int_equal(fired[3], 0);
	clock_ms = start + 60000;
	timer_wheel_run(&wheel, clock_ms);
	assert_int_equal(fired[3], 1);
}

static void test_next_ms(void **state)
{
	struct timer t;

	(void)state;
	assert_int_equal(timer_wheel_next_ms(&wheel, clock_ms), -1);
	timer_init(&t);
	timer_start(&wheel, &t, clock_ms, 250, on_fire, (void *)0);
	int next = timer_wheel_next_ms(&wheel, clock_ms);
	assert_true(next > 0 && next <= 250 + TIMER_TICK_MS);
	timer_stop(&wheel, &t);
	assert_int_equal(timer_wheel_next_ms(&wheel, clock_ms), -1);
}

static struct timer chain;
static int chain_count;

static void rearm(struct timer *t, void *arg)
{
	(void)arg;
	if (++chain_count < 5)
		timer_start(&wheel, t, clock_ms, 0, rearm, NULL);
}

static void test_handler_rearms(void **state)
{
	(void)state;
	chain_count = 0;
	timer_init(&chain);
	timer_start(&wheel, &chain, clock_ms, 10, rearm, NULL);
	advance_to(clock_ms + 1000);
	assert_int_equal(chain_count, 5);
	assert_int_equal(wheel.pending, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_fires_never_early, setup),
		cmocka_unit_test_setup(test_stop_and_restart, setup),
		cmocka_unit_test_setup(test_long_stall, setup),
		cmocka_unit_test_setup(test_next_ms, setup),
		cmocka_unit_test_setup(test_handler_rearms, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
