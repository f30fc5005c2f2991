/* Unit tests for sip/tsx_fsm.c with a fake clock (RFC 3261 17, RFC 6026). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "sip/tsx_fsm.h"

static struct tsx_timers T;

/*
 * Run the clock from now to until, one millisecond at a time, calling the
 * timer at every deadline; record when each send happened.
 */
struct trace {
	uint64_t sends[64];
	unsigned nsends;
	unsigned acts; /* all actions seen */
	uint64_t ended_at;
};

static void run_until(struct tsx_fsm *f, uint64_t now, uint64_t until,
		      struct trace *tr)
{
	for (uint64_t t = now; t <= until && f->state != TSX_TERMINATED; t++) {
		uint64_t d = tsx_fsm_deadline(f);
		if (!d || d > t)
			continue;
		unsigned a = tsx_fsm_timer(f, t);
		tr->acts |= a;
		if ((a & TSX_ACT_SEND) && tr->nsends < 64)
			tr->sends[tr->nsends++] = t;
		if (a & TSX_ACT_TERMINATED)
			tr->ended_at = t;
	}
}

/* 17.1.1.2: A at 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s; B at 32 s. */
static void test_client_invite_udp_timeout(void **state)
{
	struct tsx_fsm f;
	struct trace tr = {0};
	static const uint64_t want[] = {500, 1500, 3500, 7500, 15500, 31500};

	(void)state;
	tsx_fsm_start(&f, TSX_CLIENT_INVITE, false, &T, 0);
	assert_int_equal(f.state, TSX_CALLING);
	run_until(&f, 0, 40000, &tr);
	assert_int_equal(tr.nsends, 6);
	for (unsigned i = 0; i < 6; i++)
		assert_int_equal(tr.sends[i], want[i]);
	assert_true(tr.acts & TSX_ACT_TIMEOUT);
	assert_int_equal(tr.ended_at, 32000);
	assert_int_equal(f.state, TSX_TERMINATED);
}

static void test_client_invite_flow(void **state)
{
	struct tsx_fsm f;
	struct trace tr = {0};

	(void)state;
	tsx_fsm_start(&f, TSX_CLIENT_INVITE, false, &T, 0);
	/* 100 Trying stops retransmissions and Timer B. */
	assert_int_equal(tsx_fsm_client_response(&f, 100, 200), TSX_ACT_PASS_UP);
	assert_int_equal(f.state, TSX_PROCEEDING);
	assert_int_equal(tsx_fsm_deadline(&f), 0);
	assert_int_equal(tsx_fsm_client_response(&f, 180, 300), TSX_ACT_PASS_UP);
	/* 486: ACK, pass up, Completed; a retransmitted 486 is ACKed again
	 * and absorbed; Timer D (32 s) ends it. */
	assert_int_equal(tsx_fsm_client_response(&f, 486, 1000),
			 TSX_ACT_SEND_ACK | TSX_ACT_PASS_UP);
	assert_int_equal(f.state, TSX_COMPLETED);
	assert_int_equal(tsx_fsm_client_response(&f, 486, 1500), TSX_ACT_SEND_ACK);
	run_until(&f, 1500, 40000, &tr);
	assert_int_equal(tr.nsends, 0);
	assert_int_equal(tr.ended_at, 33000);
	assert_false(tr.acts & TSX_ACT_TIMEOUT);
}

/* RFC 6026: 2xx -> Accepted; 2xx retransmissions go up; Timer M. */
static void test_client_invite_2xx(void **state)
{
	struct tsx_fsm f;
	struct trace tr = {0};

	(void)state;
	tsx_fsm_start(&f, TSX_CLIENT_INVITE, false, &T, 0);
	assert_int_equal(tsx_fsm_client_response(&f, 200, 100), TSX_ACT_PASS_UP);
	assert_int_equal(f.state, TSX_ACCEPTED);
	assert_int_equal(tsx_fsm_client_response(&f, 200, 600), TSX_ACT_PASS_UP);
	assert_int_equal(tsx_fsm_client_response(&f, 180, 700), 0);
	run_until(&f, 700, 40000, &tr);
	assert_int_equal(tr.ended_at, 100 + 64 * 500);
	assert_int_equal(tr.nsends, 0);
}

static void test_client_invite_tcp(void **state)
{
	struct tsx_fsm f;
	struct trace tr = {0};

	(void)state;
	tsx_fsm_start(&f, TSX_CLIENT_INVITE, true, &T, 0);
	run_until(&f, 0, 40000, &tr);
	/* No retransmissions on TCP, Timer B still applies. */
	assert_int_equal(tr.nsends, 0);
	assert_int_equal(tr.ended_at, 32000);
	tsx_fsm_start(&f, TSX_CLIENT_INVITE, true, &T, 0);
	/* Timer D is zero on TCP: a final non-2xx ends it at once. */
	assert_int_equal(tsx_fsm_client_response(&f, 404, 50),
			 TSX_ACT_SEND_ACK | TSX_ACT_PASS_UP | TSX_ACT_TERMINATED);
}

/* 17.1.2.2: E at 0.5, 1.5, 3.5, 7.5, then every 4 s to F at 32 s. */
static void test_client_non_invite_timeout(void **state)
{
	struct tsx_fsm f;
	struct trace tr = {0};
	static const uint64_t want[] = {500, 1500, 3500, 7500, 11500, 15500,
					19500, 23500, 27500, 31500};

	(void)state;
	tsx_fsm_start(&f, TSX_CLIENT_NON_INVITE, false, &T, 0);
	assert_int_equal(f.state, TSX_TRYING);
	run_until(&f, 0, 40000, &tr);
	assert_int_equal(tr.nsends, 10);
	for (unsigned i = 0; i < 10; i++)
		assert_int_equal(tr.sends[i], want[i]);
	assert_true(tr.acts & TSX_ACT_TIMEOUT);
	assert_int_equal(tr.ended_at, 32000);
}

static void test_client_non_invite_proceeding(void **state)
{
	struct tsx_fsm f;
	struct trace tr = {0};

	(void)state;
	tsx_fsm_start(&f, TSX_CLIENT_NON_INVITE, false, &T, 0);
	run_until(&f, 0, 1600, &tr); /* sends at 500 and 1500 */
	assert_int_equal(tr.nsends, 2);
	/* A provisional response: E continues, now every T2 (4 s). */
	assert_int_equal(tsx_fsm_client_response(&f, 100, 1600), TSX_ACT_PASS_UP);
	assert_int_equal(f.state, TSX_PROCEEDING);
	tr.nsends = 0;
	run_until(&f, 1601, 9000, &tr);
	assert_int_equal(tr.nsends, 2);
	assert_int_equal(tr.sends[0], 3500);
	assert_int_equal(tr.sends[1], 7500);
	/* The final response: Completed, Timer K (T4) absorbs repeats. */
	assert_int_equal(tsx_fsm_client_response(&f, 200, 9000), TSX_ACT_PASS_UP);
	assert_int_equal(f.state, TSX_COMPLETED);
	assert_int_equal(tsx_fsm_client_response(&f, 200, 9100), 0);
	tr.nsends = 0;
	run_until(&f, 9100, 20000, &tr);
	assert_int_equal(tr.nsends, 0);
	assert_int_equal(tr.ended_at, 9000 + 5000);
}

/* 17.2.1 with a non-2xx: G 0.5, 1.5, 3.5, 7.5, then 4 s; H at 32 s. */
static void test_server_invite_no_ack(void **state)
{
	struct tsx_fsm f;
	struct trace tr = {0};

	(void)state;
	tsx_fsm_start(&f, TSX_SERVER_INVITE, false, &T, 0);
	assert_int_equal(f.state, TSX_PROCEEDING);
	/* Before the TU answers, a retransmitted INVITE gets nothing. */
	assert_int_equal(tsx_fsm_server_retransmit(&f, 10), 0);
	assert_int_equal(tsx_fsm_server_respond(&f, 100, 20), TSX_ACT_SEND);
	assert_int_equal(tsx_fsm_server_retransmit(&f, 30), TSX_ACT_SEND);
	assert_int_equal(tsx_fsm_server_respond(&f, 486, 1000), TSX_ACT_SEND);
	assert_int_equal(f.state, TSX_COMPLETED);
	assert_int_equal(tsx_fsm_server_retransmit(&f, 1100), TSX_ACT_SEND);
	/* The TU cannot answer twice. */
	assert_int_equal(tsx_fsm_server_respond(&f, 200, 1200), 0);
	run_until(&f, 1000, 40000, &tr);
	assert_int_equal(tr.sends[0], 1500);
	assert_int_equal(tr.sends[3], 8500);
	assert_int_equal(tr.sends[4], 12500);
	assert_true(tr.acts & TSX_ACT_TIMEOUT);
	assert_int_equal(tr.ended_at, 33000);
}

static void test_server_invite_ack(void **state)
{
	struct tsx_fsm f;
	struct trace tr = {0};

	(void)state;
	tsx_fsm_start(&f, TSX_SERVER_INVITE, false, &T, 0);
	tsx_fsm_server_respond(&f, 404, 100);
	/* The ACK: Confirmed, G stops, Timer I (T4) absorbs ACKs. */
	assert_int_equal(tsx_fsm_server_ack(&f, 700), 0);
	assert_int_equal(f.state, TSX_CONFIRMED);
	assert_int_equal(tsx_fsm_server_ack(&f, 800), 0);
	assert_int_equal(tsx_fsm_server_retransmit(&f, 900), 0);
	run_until(&f, 700, 10000, &tr);
	assert_int_equal(tr.nsends, 0);
	assert_int_equal(tr.ended_at, 5700);
	assert_false(tr.acts & TSX_ACT_TIMEOUT);
	/* On TCP Timer I is zero. */
	tsx_fsm_start(&f, TSX_SERVER_INVITE, true, &T, 0);
	tsx_fsm_server_respond(&f, 404, 100);
	assert_int_equal(tsx_fsm_deadline(&f), 100 + 64 * 500); /* H only */
	assert_int_equal(tsx_fsm_server_ack(&f, 150), TSX_ACT_TERMINATED);
}

/* RFC 6026 7.1: 2xx -> Accepted; INVITE retransmissions absorbed, ACK and
 * further 2xx handled; Timer L. */
static void test_server_invite_2xx(void **state)
{
	struct tsx_fsm f;
	struct trace tr = {0};

	(void)state;
	tsx_fsm_start(&f, TSX_SERVER_INVITE, false, &T, 0);
	assert_int_equal(tsx_fsm_server_respond(&f, 200, 100), TSX_ACT_SEND);
	assert_int_equal(f.state, TSX_ACCEPTED);
	assert_int_equal(tsx_fsm_server_retransmit(&f, 200), 0);
	assert_int_equal(tsx_fsm_server_respond(&f, 200, 600), TSX_ACT_SEND);
	assert_int_equal(tsx_fsm_server_respond(&f, 486, 700), 0);
	assert_int_equal(tsx_fsm_server_ack(&f, 800), TSX_ACT_PASS_UP);
	run_until(&f, 800, 40000, &tr);
	assert_int_equal(tr.nsends, 0);
	assert_int_equal(tr.ended_at, 100 + 64 * 500);
}

/* 17.2.2: Trying absorbs, Proceeding resends, Completed resends, J. */
static void test_server_non_invite(void **state)
{
	struct tsx_fsm f;
	struct trace tr = {0};

	(void)state;
	tsx_fsm_start(&f, TSX_SERVER_NON_INVITE, false, &T, 0);
	assert_int_equal(f.state, TSX_TRYING);
	assert_int_equal(tsx_fsm_server_retransmit(&f, 10), 0);
	assert_int_equal(tsx_fsm_server_respond(&f, 100, 20), TSX_ACT_SEND);
	assert_int_equal(tsx_fsm_server_retransmit(&f, 30), TSX_ACT_SEND);
	assert_int_equal(tsx_fsm_server_respond(&f, 200, 40), TSX_ACT_SEND);
	assert_int_equal(f.state, TSX_COMPLETED);
	assert_int_equal(tsx_fsm_server_retransmit(&f, 50), TSX_ACT_SEND);
	run_until(&f, 50, 40000, &tr);
	/* No timer-driven retransmission for non-INVITE servers. */
	assert_int_equal(tr.nsends, 0);
	assert_int_equal(tr.ended_at, 40 + 64 * 500);
	tsx_fsm_start(&f, TSX_SERVER_NON_INVITE, true, &T, 0);
	assert_int_equal(tsx_fsm_server_respond(&f, 200, 40),
			 TSX_ACT_SEND | TSX_ACT_TERMINATED);
}

static void test_custom_timers_and_errors(void **state)
{
	struct tsx_timers t = {100, 400, 1000};
	struct tsx_fsm f;
	struct trace tr = {0};

	(void)state;
	/* T1 = 100 ms: E 100, 300, 700, then every 400 ms; F at 6.4 s. */
	tsx_fsm_start(&f, TSX_CLIENT_NON_INVITE, false, &t, 0);
	run_until(&f, 0, 10000, &tr);
	assert_int_equal(tr.sends[0], 100);
	assert_int_equal(tr.sends[2], 700);
	assert_int_equal(tr.sends[3], 1100);
	assert_int_equal(tr.ended_at, 6400);
	/* A transport error ends a transaction and tells the TU. */
	tsx_fsm_start(&f, TSX_CLIENT_INVITE, false, &t, 0);
	assert_int_equal(tsx_fsm_transport_error(&f),
			 TSX_ACT_TIMEOUT | TSX_ACT_TERMINATED);
	assert_int_equal(tsx_fsm_timer(&f, 100000), 0);
	assert_string_equal(tsx_state_name(TSX_ACCEPTED), "accepted");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_client_invite_udp_timeout),
		cmocka_unit_test(test_client_invite_flow),
		cmocka_unit_test(test_client_invite_2xx),
		cmocka_unit_test(test_client_invite_tcp),
		cmocka_unit_test(test_client_non_invite_timeout),
		cmocka_unit_test(test_client_non_invite_proceeding),
		cmocka_unit_test(test_server_invite_no_ack),
		cmocka_unit_test(test_server_invite_ack),
		cmocka_unit_test(test_server_invite_2xx),
		cmocka_unit_test(test_server_non_invite),
		cmocka_unit_test(test_custom_timers_and_errors),
	};
	tsx_timers_default(&T);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
