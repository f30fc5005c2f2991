/*
 * test_relay.c - the media relay engine (src/media/relay.c) with real UDP
 * sockets on 127.0.0.1 (ports 41000-41099): two test "phones" and an
 * attacker.  Media flows only after the answer and before the end, only
 * from the negotiated peers, RTP on one leg becomes SRTP on the other and
 * back (checked with our transform as the SRTP phone), forged SRTP is
 * dropped as an authentication failure, and ports are released after
 * every session (200 sessions, no leak).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "media/relay.h"
#include "media/srtp.h"

static struct vs_sockaddr sa(const char *ip, uint16_t port)
{
	struct vs_sockaddr a;

	memset(&a, 0, sizeof(a));
	a.u.in.sin_family = AF_INET;
	inet_pton(AF_INET, ip, &a.u.in.sin_addr);
	a.u.in.sin_port = htons(port);
	a.len = sizeof(a.u.in);
	return a;
}

/* A phone: a UDP socket on ip with an ephemeral port. */
static int phone(const char *ip, struct vs_sockaddr *addr)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct vs_sockaddr a = sa(ip, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, &a.u.sa, a.len), 0);
	addr->len = sizeof(addr->u);
	getsockname(fd, &addr->u.sa, &addr->len);
	return fd;
}

static void send_to(int fd, uint16_t port, const void *p, size_t n)
{
	struct vs_sockaddr d = sa("127.0.0.1", port);

	assert_int_equal(sendto(fd, p, n, 0, &d.u.sa, d.len), (ssize_t)n);
}

/* A datagram within ms, its length (0: none) and where it came from. */
static size_t recv_within(int fd, void *buf, size_t cap, int ms, uint16_t *from)
{
	struct pollfd pf = {.fd = fd, .events = POLLIN};
	struct vs_sockaddr src;
	ssize_t n;

	if (poll(&pf, 1, ms) != 1)
		return 0;
	src.len = sizeof(src.u);
	n = recvfrom(fd, buf, cap, 0, &src.u.sa, &src.len);
	if (from)
		*from = vs_sa_port(&src);
	return n > 0 ? (size_t)n : 0;
}

static size_t rtp(uint8_t *p, uint16_t seq, uint32_t ssrc)
{
	memset(p, 0, 172);
	p[0] = 0x80;
	p[2] = (uint8_t)(seq >> 8);
	p[3] = (uint8_t)seq;
	p[8] = (uint8_t)(ssrc >> 24);
	p[11] = (uint8_t)ssrc;
	for (int i = 12; i < 172; i++)
		p[i] = (uint8_t)(i + seq);
	return 172;
}

static void settle(void)
{
	usleep(50000); /* commands reach the media thread */
}

/* Closing is asynchronous: wait (1 s at most) until sessions are gone. */
static void wait_sessions(struct media_relay *r, uint32_t n)
{
	for (int i = 0; i < 1000 && media_relay_sessions(r) > n; i++)
		usleep(1000);
	assert_int_equal(media_relay_sessions(r), n);
}

static void test_plain_relay(void **state)
{
	char err[256];
	struct relay_conf conf = {41000, 41099, 64, 0, NULL, NULL, 200, NULL, NULL, 1};
	struct media_relay *r = media_relay_start(&conf, err, sizeof(err));
	struct relay_leg_conf legs[2];
	struct relay_leg_stats st[2];
	struct vs_sockaddr a_addr, b_addr, e_addr;
	int a, b, evil;
	uint16_t ports[2], from;
	uint32_t id;
	uint8_t pkt[200], got[1600];

	(void)state;
	assert_non_null(r);
	memset(legs, 0, sizeof(legs));
	legs[0].bind = legs[1].bind = sa("127.0.0.1", 0);
	assert_int_equal(media_session_create(r, legs, &id, ports), 0);
	assert_true(ports[0] >= 41000 && ports[0] < 41100 && ports[1] != ports[0]);
	a = phone("127.0.0.1", &a_addr);
	b = phone("127.0.0.1", &b_addr);
	evil = phone("127.0.0.2", &e_addr);
	media_session_expect(r, id, 0, &a_addr, NULL);
	media_session_expect(r, id, 1, &b_addr, NULL);
	settle();
	/* Before the answer: nothing passes. */
	send_to(a, ports[0], pkt, rtp(pkt, 1, 0xa));
	assert_int_equal(recv_within(b, got, sizeof(got), 200, NULL), 0);
	media_session_open(r, id);
	settle();
	/* A to B and back, each arriving from the relay's port on its leg. */
	send_to(a, ports[0], pkt, rtp(pkt, 2, 0xa));
	assert_int_equal(recv_within(b, got, sizeof(got), 1000, &from), 172);
	assert_int_equal(from, ports[1]);
	assert_memory_equal(got, pkt, 172);
	send_to(b, ports[1], pkt, rtp(pkt, 7, 0xb));
	assert_int_equal(recv_within(a, got, sizeof(got), 1000, &from), 172);
	assert_int_equal(from, ports[0]);
	/* The attacker, to either relay port: dropped, never forwarded. */
	send_to(evil, ports[0], pkt, rtp(pkt, 3, 0xe));
	send_to(evil, ports[1], pkt, rtp(pkt, 4, 0xe));
	assert_int_equal(recv_within(b, got, sizeof(got), 200, NULL), 0);
	assert_int_equal(recv_within(a, got, sizeof(got), 200, NULL), 0);
	assert_int_equal(media_session_stats(r, id, st), 0);
	assert_int_equal(st[0].forwarded, 1);
	assert_int_equal(st[1].forwarded, 1);
	assert_int_equal(st[0].drop_closed, 1);
	assert_int_equal(st[0].drop_source, 1);
	assert_int_equal(st[1].drop_source, 1);
	/* The stream is followed: a jump from 3 to 6 is two packets lost, a
	 * new SSRC is counted. */
	for (uint16_t seq = 3; seq <= 7; seq += (uint16_t)(seq == 3 ? 3 : 1)) {
		send_to(a, ports[0], pkt, rtp(pkt, seq, seq == 7 ? 0xc : 0xa));
		assert_int_equal(recv_within(b, got, sizeof(got), 1000, NULL), 172);
	}
	settle(); /* the counters follow the send */
	assert_int_equal(media_session_stats(r, id, st), 0);
	assert_int_equal(st[0].lost, 2);
	assert_int_equal(st[0].ssrc_changes, 1);
	assert_int_equal(st[0].forwarded, 4);
	/* After the end: nothing passes, the ports are back. */
	media_session_close(r, id);
	settle();
	send_to(a, ports[0], pkt, rtp(pkt, 5, 0xa));
	assert_int_equal(recv_within(b, got, sizeof(got), 200, NULL), 0);
	assert_int_equal(media_relay_ports_in_use(r), 0);
	assert_int_equal(media_session_stats(r, id, st), ENOENT);
	close(a);
	close(b);
	close(evil);
	media_relay_stop(r);
}

static void test_rtp_to_srtp(void **state)
{
	char err[256];
	struct relay_conf conf = {41000, 41099, 64, 0, NULL, NULL, 0, NULL, NULL, 2};
	struct media_relay *r = media_relay_start(&conf, err, sizeof(err));
	struct relay_leg_conf legs[2];
	struct relay_leg_stats st[2];
	struct vs_sockaddr a_addr, b_addr;
	struct vs_srtp b_tx, b_rx;
	uint8_t pkt[200], got[1600], forged[200];
	uint16_t ports[2];
	uint32_t id;
	size_t n;
	int a, b;

	(void)state;
	assert_non_null(r);
	memset(legs, 0, sizeof(legs));
	legs[0].bind = legs[1].bind = sa("127.0.0.1", 0);
	/* Leg 1 (B) speaks SRTP: the relay's tx key is what B receives with,
	 * B's own key what the relay unprotects with. */
	legs[1].srtp.on = true;
	legs[1].srtp.suite = SDES_AES_CM_128_HMAC_SHA1_80;
	for (int i = 0; i < 30; i++) {
		legs[1].srtp.tx_key[i] = (uint8_t)(i + 1);
		legs[1].srtp.rx_key[i] = (uint8_t)(100 + i);
	}
	assert_int_equal(vs_srtp_init(&b_rx, SDES_AES_CM_128_HMAC_SHA1_80, legs[1].srtp.tx_key), 0);
	assert_int_equal(vs_srtp_init(&b_tx, SDES_AES_CM_128_HMAC_SHA1_80, legs[1].srtp.rx_key), 0);
	assert_int_equal(media_session_create(r, legs, &id, ports), 0);
	a = phone("127.0.0.1", &a_addr);
	b = phone("127.0.0.1", &b_addr);
	media_session_expect(r, id, 0, &a_addr, NULL);
	media_session_expect(r, id, 1, &b_addr, NULL);
	media_session_open(r, id);
	settle();
	/* Plain RTP from A arrives at B as SRTP that B can open. */
	send_to(a, ports[0], pkt, rtp(pkt, 10, 0xa));
	n = recv_within(b, got, sizeof(got), 1000, NULL);
	assert_int_equal(n, 182);
	assert_memory_not_equal(got + 12, pkt + 12, 160); /* encrypted */
	assert_int_equal(vs_srtp_unprotect(&b_rx, got, &n), VS_SRTP_OK);
	assert_int_equal(n, 172);
	assert_memory_equal(got, pkt, 172);
	/* SRTP from B arrives at A as plain RTP. */
	n = rtp(pkt, 20, 0xb);
	memcpy(forged, pkt, n);
	assert_int_equal(vs_srtp_protect(&b_tx, pkt, &n, sizeof(pkt)), VS_SRTP_OK);
	send_to(b, ports[1], pkt, n);
	n = recv_within(a, got, sizeof(got), 1000, NULL);
	assert_int_equal(n, 172);
	assert_memory_equal(got, forged, 172);
	/* Injected SRTP from B's own address but with a wrong tag: dropped. */
	memcpy(forged + 172, "0123456789", 10);
	forged[3] = 21;
	send_to(b, ports[1], forged, 182);
	assert_int_equal(recv_within(a, got, sizeof(got), 200, NULL), 0);
	/* A replay of a good packet: dropped too. */
	send_to(b, ports[1], pkt, 182);
	assert_int_equal(recv_within(a, got, sizeof(got), 200, NULL), 0);
	assert_int_equal(media_session_stats(r, id, st), 0);
	assert_int_equal(st[1].drop_auth, 1);
	assert_int_equal(st[1].drop_other, 1);
	assert_int_equal(st[1].forwarded, 1);
	media_session_close(r, id);
	settle();
	vs_srtp_free(&b_tx);
	vs_srtp_free(&b_rx);
	close(a);
	close(b);
	media_relay_stop(r);
}

static void test_no_leak(void **state)
{
	char err[256];
	struct relay_conf conf = {41000, 41009, 2, 0, NULL, NULL, 0, NULL, NULL, 2}; /* 5 pairs, 2 sessions */
	struct media_relay *r = media_relay_start(&conf, err, sizeof(err));
	struct relay_leg_conf legs[2];
	uint16_t ports[2];
	uint32_t id, ids[3];

	(void)state;
	assert_non_null(r);
	memset(legs, 0, sizeof(legs));
	legs[0].bind = legs[1].bind = sa("127.0.0.1", 0);
	assert_int_equal(media_session_create(r, legs, &ids[0], ports), 0);
	assert_int_equal(media_session_create(r, legs, &ids[1], ports), 0);
	assert_int_equal(media_session_create(r, legs, &ids[2], ports), ENOSPC);
	media_session_close(r, ids[0]);
	media_session_close(r, ids[1]);
	settle();
	wait_sessions(r, 0);
	for (int i = 0; i < 200; i++) {
		assert_int_equal(media_session_create(r, legs, &id, ports), 0);
		assert_int_equal(media_session_close(r, id), 0);
		wait_sessions(r, 0);
	}
	assert_int_equal(media_relay_ports_in_use(r), 0);
	/* A command for an ended session is ignored. */
	assert_int_equal(media_session_open(r, id), 0);
	media_relay_stop(r);
}

/* A session without media is closed after timeout_s, its ports freed;
 * one with media flowing stays. */
/* The relay's timed_out callback (from the media thread). */
static uint32_t timed_out_id;
static int ntimed_out;

static void on_timeout(void *arg, uint32_t id)
{
	(void)arg;
	timed_out_id = id;
	__atomic_add_fetch(&ntimed_out, 1, __ATOMIC_RELEASE);
}

static void test_timeout(void **state)
{
	char err[256];
	struct relay_conf conf = {41000, 41099, 8, 2, NULL, NULL, 0, on_timeout, NULL, 2};
	struct media_relay *r = media_relay_start(&conf, err, sizeof(err));
	struct relay_leg_conf legs[2];
	struct vs_sockaddr a_addr, b_addr;
	uint16_t ports[2];
	uint32_t quiet, busy;
	uint8_t pkt[200], got[1600];
	int a, b;

	(void)state;
	assert_non_null(r);
	memset(legs, 0, sizeof(legs));
	legs[0].bind = legs[1].bind = sa("127.0.0.1", 0);
	assert_int_equal(media_session_create(r, legs, &quiet, ports), 0);
	assert_int_equal(media_session_create(r, legs, &busy, ports), 0);
	a = phone("127.0.0.1", &a_addr);
	b = phone("127.0.0.1", &b_addr);
	media_session_expect(r, busy, 0, &a_addr, NULL);
	media_session_expect(r, busy, 1, &b_addr, NULL);
	media_session_open(r, busy);
	media_session_open(r, quiet);
	settle();
	for (int i = 0; i < 16; i++) { /* 4 s of media on "busy" */
		send_to(a, ports[0], pkt, rtp(pkt, (uint16_t)i, 0xa));
		assert_int_equal(recv_within(b, got, sizeof(got), 1000, NULL), 172);
		usleep(250000);
	}
	assert_false(media_session_alive(r, quiet));
	assert_true(media_session_alive(r, busy));
	/* The daemon is told which session went, once. */
	assert_int_equal(__atomic_load_n(&ntimed_out, __ATOMIC_ACQUIRE), 1);
	assert_int_equal(timed_out_id, quiet);
	assert_int_equal(media_relay_timeouts(r), 1);
	assert_int_equal(media_relay_sessions(r), 1);
	assert_int_equal(media_relay_ports_in_use(r), 2);
	close(a);
	close(b);
	media_relay_stop(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_relay),
		cmocka_unit_test(test_rtp_to_srtp),
		cmocka_unit_test(test_no_leak),
		cmocka_unit_test(test_timeout),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
