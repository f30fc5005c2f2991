/*
 * test_media.c - the relay's pinholes (src/media/pinhole.c) and port pool
 * (src/media/ports.c): when packets are accepted, latching, no re-learning
 * without a new offer, never a destination that signaling did not name,
 * and port pairs handed out round robin, bounded, released.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "media/calls.h"
#include "media/pinhole.h"
#include "media/ports.h"

static struct vs_sockaddr sa(const char *ip, uint16_t port)
{
	struct vs_sockaddr a;

	vs_sa_from_ip(&a, ip, port);
	return a;
}

static void test_pinhole_ip_latch(void **state)
{
	struct pinhole p;
	struct vs_sockaddr sdp = sa("192.0.2.10", 4000), out;
	struct vs_sockaddr nat = sa("192.0.2.10", 61000), evil = sa("203.0.113.66", 4000);

	(void)state;
	pinhole_init(&p, PIN_LATCH_IP);
	assert_false(pinhole_dest(&p, &out)); /* nothing from signaling yet */
	pinhole_expect(&p, &sdp);
	/* Before the answer: nothing passes, not even the right peer. */
	assert_int_equal(pinhole_check(&p, &sdp), PIN_DROP_CLOSED);
	pinhole_open(&p);
	assert_true(pinhole_dest(&p, &out));
	assert_int_equal(vs_sa_port(&out), 4000);
	/* Another IP never latches. */
	assert_int_equal(pinhole_check(&p, &evil), PIN_DROP_SOURCE);
	/* The SDP's IP from a NAT-rewritten port latches... */
	assert_int_equal(pinhole_check(&p, &nat), PIN_ACCEPT);
	assert_true(pinhole_dest(&p, &out));
	assert_int_equal(vs_sa_port(&out), 61000);
	/* ... and then only that source is accepted, even the SDP port. */
	assert_int_equal(pinhole_check(&p, &nat), PIN_ACCEPT);
	assert_int_equal(pinhole_check(&p, &sdp), PIN_DROP_SOURCE);
	assert_int_equal(pinhole_check(&p, &evil), PIN_DROP_SOURCE);
	assert_int_equal(p.drops_source, 3);
	/* A new offer re-arms latching. */
	pinhole_expect(&p, &sdp);
	assert_int_equal(pinhole_check(&p, &sdp), PIN_ACCEPT);
	assert_int_equal(pinhole_check(&p, &nat), PIN_DROP_SOURCE);
	/* After the end nothing passes. */
	pinhole_close(&p);
	assert_int_equal(pinhole_check(&p, &sdp), PIN_DROP_CLOSED);
	assert_int_equal(p.drops_closed, 2);
}

static void test_pinhole_hold_and_first(void **state)
{
	struct pinhole p;
	struct vs_sockaddr hold = sa("0.0.0.0", 4000), any = sa("198.51.100.9", 7000);
	struct vs_sockaddr sdp6 = sa("2001:db8::5", 5000), out;

	(void)state;
	/* Hold (c=0.0.0.0): nothing expected, nothing latches, nothing sent. */
	pinhole_init(&p, PIN_LATCH_IP);
	pinhole_expect(&p, &hold);
	pinhole_open(&p);
	assert_false(pinhole_dest(&p, &out));
	assert_int_equal(pinhole_check(&p, &any), PIN_DROP_SOURCE);
	/* First-packet latching: any source, but only the first. */
	pinhole_init(&p, PIN_LATCH_FIRST);
	pinhole_expect(&p, &sdp6);
	assert_int_equal(pinhole_check(&p, &any), PIN_DROP_CLOSED);
	pinhole_open(&p);
	assert_int_equal(pinhole_check(&p, &any), PIN_ACCEPT);
	assert_int_equal(pinhole_check(&p, &sdp6), PIN_DROP_SOURCE);
	assert_true(pinhole_dest(&p, &out));
	assert_true(vs_sa_ip_eq(&out, &any));
}

static void test_ports(void **state)
{
	struct port_pool pp;
	uint16_t a, b, c, d;

	(void)state;
	assert_int_equal(port_pool_init(&pp, 30001, 30001), EINVAL);
	assert_int_equal(port_pool_init(&pp, 30001, 30006), 0); /* 30002-30005 */
	assert_int_equal(port_pool_get(&pp, &a), 0);
	assert_int_equal(port_pool_get(&pp, &b), 0);
	assert_int_equal(a, 30002);
	assert_int_equal(b, 30004);
	assert_int_equal(port_pool_get(&pp, &c), ENOSPC);
	assert_int_equal(port_pool_in_use(&pp), 2);
	port_pool_put(&pp, a);
	port_pool_put(&pp, a);	   /* twice: harmless */
	port_pool_put(&pp, 30003); /* an RTCP port: ignored */
	port_pool_put(&pp, 40000); /* outside: ignored */
	assert_int_equal(port_pool_in_use(&pp), 1);
	assert_int_equal(port_pool_get(&pp, &c), 0);
	assert_int_equal(c, 30002);
	port_pool_put(&pp, b);
	port_pool_put(&pp, c);
	/* Round robin: after 30002 comes 30004 even though 30002 is free. */
	assert_int_equal(port_pool_get(&pp, &d), 0);
	assert_int_equal(d, 30004);
	port_pool_put(&pp, d);
	/* 1,000 calls: no leak. */
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(port_pool_get(&pp, &a), 0);
		assert_int_equal(port_pool_get(&pp, &b), 0);
		assert_int_not_equal(a, b);
		port_pool_put(&pp, a);
		port_pool_put(&pp, b);
	}
	assert_int_equal(port_pool_in_use(&pp), 0);
	port_pool_destroy(&pp);
}

static bool odd_alive(void *arg, uint32_t id)
{
	(void)arg;
	return id % 2;
}

/* Call-ID to session: put, get, take, bounds, and the sweep of sessions
 * that are gone. */
static void test_calls(void **state)
{
	struct media_calls c;
	struct media_call_info info, out;
	char name[32];
	struct pl p;

	(void)state;
	assert_int_equal(media_calls_init(&c, 4), 0);
	memset(&info, 0, sizeof(info));
	for (uint32_t i = 1; i <= 4; i++) {
		snprintf(name, sizeof(name), "call-%u@x", i);
		p = pl_from_cstr(name);
		info.id = i;
		info.ports[0] = (uint16_t)(1000 + i);
		assert_int_equal(media_calls_put(&c, &p, &info), 0);
	}
	p = PL("call-5@x");
	info.id = 5;
	assert_int_equal(media_calls_put(&c, &p, &info), ENOSPC);
	p = PL("call-3@x");
	assert_int_equal(media_calls_get(&c, &p, false, &out), 3);
	assert_int_equal(out.ports[0], 1003);
	info.id = 33; /* replacing keeps the count */
	assert_int_equal(media_calls_put(&c, &p, &info), 0);
	assert_int_equal(media_calls_get(&c, &p, true, NULL), 33);
	assert_int_equal(media_calls_get(&c, &p, true, NULL), 0);
	/* Sessions 2 and 4 are gone: the sweep makes room for 2 calls. */
	assert_int_equal(media_calls_sweep(&c, odd_alive, NULL), 2);
	p = PL("call-1@x");
	assert_int_equal(media_calls_get(&c, &p, false, NULL), 1);
	p = PL("call-2@x");
	assert_int_equal(media_calls_get(&c, &p, false, NULL), 0);
	p = PL("call-5@x");
	info.id = 5;
	assert_int_equal(media_calls_put(&c, &p, &info), 0);
	{
		char longid[MEDIA_CALLID_MAX + 2];
		memset(longid, 'x', sizeof(longid) - 1);
		longid[sizeof(longid) - 1] = 0;
		p = pl_from_cstr(longid);
		assert_int_equal(media_calls_put(&c, &p, &info), EINVAL);
	}
	/* Answered calls keep their dialog, found again by session id (the
	 * media timeout); the entry goes with it.  Ids 1 and 5 are left. */
	{
		struct media_dialog *d = calloc(1, sizeof(*d)), *got;
		assert_non_null(d);
		d->cseq[0] = 7;
		p = PL("call-5@x");
		assert_int_equal(media_calls_set_dialog(&c, &p, d), 0);
		media_calls_cseq(&c, &p, 0, 9);
		media_calls_cseq(&c, &p, 0, 8); /* lower: kept at 9 */
		p = PL("nobody@x");
		assert_int_equal(media_calls_set_dialog(&c, &p, calloc(1, sizeof(*d))),
				 ENOENT); /* freed, not kept */
		assert_null(media_calls_take_session(&c, 99));
		assert_null(media_calls_take_session(&c, 1)); /* no dialog */
		p = PL("call-1@x");
		assert_int_equal(media_calls_get(&c, &p, false, NULL), 0);
		got = media_calls_take_session(&c, 5);
		assert_ptr_equal(got, d);
		assert_int_equal(got->cseq[0], 9);
		free(got);
		p = PL("call-5@x");
		assert_int_equal(media_calls_get(&c, &p, false, NULL), 0);
		/* A dialog still held at the end is freed with the table. */
		info.id = 6;
		assert_int_equal(media_calls_put(&c, &p, &info), 0);
		assert_int_equal(media_calls_set_dialog(&c, &p, calloc(1, sizeof(*d))), 0);
	}
	media_calls_destroy(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pinhole_ip_latch),
		cmocka_unit_test(test_pinhole_hold_and_first),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_calls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
