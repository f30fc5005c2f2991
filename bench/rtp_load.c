/*
 * rtp_load.c - media load for bench/media_vs_rtpengine.sh: the two phones
 * of every call, on loopback, sending RTP or SRTP through a relay and
 * timing what comes back out of it.
 *
 *   rtp_load SPEC SECONDS [SUITE]
 *
 * SPEC has one line per call, written by bench/media_setup.py:
 *
 *   A_PORT RELAY_A A_TX A_RX B_PORT RELAY_B B_TX B_RX
 *
 * Phone A sends from 127.0.0.1:A_PORT to 127.0.0.1:RELAY_A, protected with
 * the key A_TX (SUITE:base64 key and salt, or base64 alone for SUITE
 * (default AES_CM_128_HMAC_SHA1_80); "-": plain RTP) and expects what it
 * receives under A_RX; B the same.  So each call has two streams, A to B
 * and B to A, each a 172-byte packet (12-byte header, 160 bytes of
 * payload: G.711 at 20 ms) every 20 ms.  Sends are spread evenly over each
 * 20 ms period.
 *
 * Printed at the end, one line of key=value: packets sent and received,
 * loss, the added latency (send to receive) p50/p99/max in microseconds,
 * how late the sender ran against its schedule, and for the first CHECK
 * packets of each stream whether what arrived opens (or is) the payload
 * that was sent (valid/invalid) and whether it arrived byte for byte as
 * it was sent (unchanged: the relay did not re-protect it).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "media/srtp.h"
#include "sdp/sdes.h"

#define PERIOD_NS 20000000ull
#define PAYLOAD 160
#define RING 1024
#define CHECK 8
#define SSRC_BASE 0x10000u
#define BATCH 32

struct stream {
	int fd_tx;		/* the sending phone's socket */
	struct sockaddr_in relay;
	bool tx_srtp, rx_srtp;
	struct vs_srtp tx, rx;	/* protect at the sender, open at the receiver */
	uint16_t seq;
	uint64_t sent_ns[RING];
	uint8_t sent_pkt[CHECK][PAYLOAD + 64];
	size_t sent_len[CHECK];
	uint64_t sent, received;
};

struct endpoint {
	int fd;
	unsigned rx_stream; /* the stream this phone receives */
};

static enum sdes_suite suite = SDES_AES_CM_128_HMAC_SHA1_80;
static struct stream *streams;
static unsigned nstreams;
static uint32_t *lat;
static size_t nlat, caplat;
static uint64_t valid, invalid, unchanged, stray;

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* "-" (plain), "KEY" (base64, in the default suite) or "SUITE:KEY". */
static int key_init(const char *spec, struct vs_srtp *ctx, bool *on)
{
	const char *colon = strchr(spec, ':');
	char attr[200];
	struct sdes_crypto c;
	struct pl v;

	*on = strcmp(spec, "-") != 0;
	if (!*on)
		return 0;
	if (colon)
		snprintf(attr, sizeof(attr), "1 %.*s inline:%s", (int)(colon - spec), spec,
			 colon + 1);
	else
		snprintf(attr, sizeof(attr), "1 %s inline:%s", sdes_suite_info(suite)->name, spec);
	v = pl_from_cstr(attr);
	if (sdes_parse(&v, &c) != SDES_OK || vs_srtp_init(ctx, c.suite, c.key))
		return -1;
	return 0;
}

static int bind_port(unsigned port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	int buf = 1 << 20;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "rtp_load: bind 127.0.0.1:%u: %s\n", port, strerror(errno));
		exit(1);
	}
	return fd;
}

static void payload_of(unsigned s, uint16_t seq, uint8_t *p)
{
	for (unsigned i = 0; i < PAYLOAD; i++)
		p[i] = (uint8_t)(s * 7 + seq + i);
}

static void send_one(unsigned s)
{
	struct stream *st = &streams[s];
	uint8_t pkt[PAYLOAD + 64];
	size_t len = 12 + PAYLOAD;
	uint16_t seq = ++st->seq;
	uint32_t ts = (uint32_t)seq * 160u, ssrc = SSRC_BASE + s;

	pkt[0] = 0x80;
	pkt[1] = 0; /* PCMU */
	pkt[2] = (uint8_t)(seq >> 8);
	pkt[3] = (uint8_t)seq;
	pkt[4] = (uint8_t)(ts >> 24);
	pkt[5] = (uint8_t)(ts >> 16);
	pkt[6] = (uint8_t)(ts >> 8);
	pkt[7] = (uint8_t)ts;
	pkt[8] = (uint8_t)(ssrc >> 24);
	pkt[9] = (uint8_t)(ssrc >> 16);
	pkt[10] = (uint8_t)(ssrc >> 8);
	pkt[11] = (uint8_t)ssrc;
	payload_of(s, seq, pkt + 12);
	if (st->tx_srtp && vs_srtp_protect(&st->tx, pkt, &len, sizeof(pkt)) != VS_SRTP_OK)
		return;
	if (seq <= CHECK) {
		memcpy(st->sent_pkt[seq - 1], pkt, len);
		st->sent_len[seq - 1] = len;
	}
	st->sent_ns[seq % RING] = now_ns();
	if (sendto(st->fd_tx, pkt, len, 0, (struct sockaddr *)&st->relay,
		   sizeof(st->relay)) == (ssize_t)len)
		st->sent++;
}

static void got(const uint8_t *pkt, size_t len, uint64_t t)
{
	uint8_t copy[PAYLOAD + 64], want[PAYLOAD];
	struct stream *st;
	uint32_t ssrc;
	uint16_t seq;
	unsigned s;

	if (len < 12 || len > sizeof(copy)) {
		stray++;
		return;
	}
	ssrc = (uint32_t)pkt[8] << 24 | (uint32_t)pkt[9] << 16 | (uint32_t)pkt[10] << 8 | pkt[11];
	s = ssrc - SSRC_BASE;
	if (ssrc < SSRC_BASE || s >= nstreams) {
		stray++;
		return;
	}
	st = &streams[s];
	seq = (uint16_t)(pkt[2] << 8 | pkt[3]);
	st->received++;
	if (nlat < caplat && t > st->sent_ns[seq % RING])
		lat[nlat++] = (uint32_t)((t - st->sent_ns[seq % RING]) / 100); /* 0.1 us */
	if (seq == 0 || seq > CHECK)
		return;
	if (st->sent_len[seq - 1] == len && !memcmp(st->sent_pkt[seq - 1], pkt, len))
		unchanged++;
	memcpy(copy, pkt, len);
	if (st->rx_srtp && vs_srtp_unprotect(&st->rx, copy, &len) != VS_SRTP_OK) {
		invalid++;
		return;
	}
	payload_of(s, seq, want);
	if (len == 12 + PAYLOAD && !memcmp(copy + 12, want, PAYLOAD))
		valid++;
	else
		invalid++;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	static uint8_t bufs[BATCH][2048];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct endpoint *eps;
	unsigned ncalls = 0, cap = 64;
	uint64_t t0, end, g = 0, slip_max = 0, sent = 0, received = 0;
	double seconds;
	int ep;
	FILE *f;
	char a_tx[128], a_rx[128], b_tx[128], b_rx[128];
	unsigned a_port, relay_a, b_port, relay_b;

	if (argc < 3) {
		fprintf(stderr, "usage: rtp_load SPEC SECONDS [SUITE]\n");
		return 2;
	}
	seconds = atof(argv[2]);
	if (argc > 3) {
		bool found = false;
		for (int i = 0; i < SDES_SUITE_COUNT; i++)
			if (!strcmp(argv[3], sdes_suite_info((enum sdes_suite)i)->name)) {
				suite = (enum sdes_suite)i;
				found = true;
			}
		if (!found) {
			fprintf(stderr, "rtp_load: unknown suite %s\n", argv[3]);
			return 2;
		}
	}
	f = fopen(argv[1], "r");
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	streams = calloc(2 * cap, sizeof(*streams));
	eps = calloc(2 * cap, sizeof(*eps));
	ep = epoll_create1(0);
	while (streams && eps &&
	       fscanf(f, "%u %u %127s %127s %u %u %127s %127s", &a_port, &relay_a, a_tx,
		      a_rx, &b_port, &relay_b, b_tx, b_rx) == 8) {
		struct stream *ab, *ba;
		if (ncalls == cap) {
			cap *= 2;
			streams = realloc(streams, 2 * cap * sizeof(*streams));
			eps = realloc(eps, 2 * cap * sizeof(*eps));
			if (!streams || !eps)
				break;
			memset(streams + 2 * ncalls, 0, 2 * (cap - ncalls) * sizeof(*streams));
		}
		ab = &streams[2 * ncalls];
		ba = &streams[2 * ncalls + 1];
		eps[2 * ncalls].fd = bind_port(a_port);
		eps[2 * ncalls].rx_stream = 2 * ncalls + 1;
		eps[2 * ncalls + 1].fd = bind_port(b_port);
		eps[2 * ncalls + 1].rx_stream = 2 * ncalls;
		ab->fd_tx = eps[2 * ncalls].fd;
		ba->fd_tx = eps[2 * ncalls + 1].fd;
		ab->relay.sin_family = ba->relay.sin_family = AF_INET;
		ab->relay.sin_addr.s_addr = ba->relay.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		ab->relay.sin_port = htons((uint16_t)relay_a);
		ba->relay.sin_port = htons((uint16_t)relay_b);
		if (key_init(a_tx, &ab->tx, &ab->tx_srtp) || key_init(b_rx, &ab->rx, &ab->rx_srtp) ||
		    key_init(b_tx, &ba->tx, &ba->tx_srtp) || key_init(a_rx, &ba->rx, &ba->rx_srtp)) {
			fprintf(stderr, "rtp_load: call %u: a key is not SUITE:base64 of its key and salt\n",
				ncalls + 1);
			return 1;
		}
		ncalls++;
	}
	fclose(f);
	if (!ncalls) {
		fprintf(stderr, "rtp_load: no calls in %s\n", argv[1]);
		return 1;
	}
	nstreams = 2 * ncalls;
	for (unsigned i = 0; i < nstreams; i++) {
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};
		epoll_ctl(ep, EPOLL_CTL_ADD, eps[i].fd, &ev);
	}
	caplat = (size_t)(seconds * 50.0 * nstreams) + 1024;
	lat = malloc(caplat * sizeof(*lat));
	if (!lat)
		return 1;
	for (unsigned i = 0; i < BATCH; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = sizeof(bufs[i]);
		memset(&msgs[i], 0, sizeof(msgs[i]));
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	t0 = now_ns() + 10000000ull;
	end = t0 + (uint64_t)(seconds * 1e9);
	for (;;) {
		struct epoll_event evs[64];
		uint64_t t = now_ns(), due = t0 + g * PERIOD_NS / nstreams;
		struct timespec wait = {0, 0};
		int n;

		while (due <= t && due < end) {
			if (t - due > slip_max)
				slip_max = t - due;
			send_one((unsigned)(g % nstreams));
			g++;
			due = t0 + g * PERIOD_NS / nstreams;
		}
		if (t >= end + 300000000ull) /* 300 ms for the last packets */
			break;
		if (due < end && due > t)
			wait.tv_nsec = (long)(due - t);
		else if (due >= end)
			wait.tv_nsec = 10000000;
		n = epoll_pwait2(ep, evs, 64, &wait, NULL);
		for (int i = 0; i < n; i++) {
			int fd = eps[evs[i].data.u32].fd;
			int r;
			while ((r = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL)) > 0) {
				uint64_t at = now_ns();
				for (int k = 0; k < r; k++)
					got(bufs[k], msgs[k].msg_len, at);
				if (r < BATCH)
					break;
			}
		}
	}
	for (unsigned i = 0; i < nstreams; i++) {
		sent += streams[i].sent;
		received += streams[i].received;
	}
	qsort(lat, nlat, sizeof(*lat), cmp_u32);
	printf("calls=%u sent=%lu received=%lu loss_pct=%.3f p50_us=%.1f p99_us=%.1f max_us=%.1f "
	       "send_slip_max_us=%.0f valid=%lu invalid=%lu unchanged=%lu stray=%lu\n",
	       ncalls, (unsigned long)sent, (unsigned long)received,
	       sent ? 100.0 * (double)(sent - (received < sent ? received : sent)) / (double)sent : 0.0,
	       nlat ? lat[nlat / 2] / 10.0 : 0.0, nlat ? lat[nlat * 99 / 100] / 10.0 : 0.0,
	       nlat ? lat[nlat - 1] / 10.0 : 0.0, (double)slip_max / 1000.0,
	       (unsigned long)valid, (unsigned long)invalid, (unsigned long)unchanged,
	       (unsigned long)stray);
	return 0;
}
