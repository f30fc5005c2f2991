/*
 * sip_rtt.c - response-time percentiles for OPTIONS over UDP, with
 * microsecond resolution (SIPp's response times have millisecond steps,
 * too coarse for a server answering on loopback in tens of microseconds).
 *
 *   sip_rtt HOST PORT RATE COUNT
 *
 * Sends COUNT OPTIONS at RATE per second (open loop: the schedule does not
 * wait for answers), matches answers by CSeq and prints
 *   sent answered p50_us p99_us max_us
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	struct sockaddr_in dst = {0}, me = {0};
	socklen_t melen = sizeof(me);
	uint64_t *sent_at, *rtt, start, next;
	long rate, count, sent = 0, answered = 0;
	int fd;

	if (argc != 5) {
		fprintf(stderr, "usage: %s HOST PORT RATE COUNT\n", argv[0]);
		return 2;
	}
	rate = atol(argv[3]);
	count = atol(argv[4]);
	if (rate <= 0 || count <= 0 || count > 10000000)
		return 2;
	dst.sin_family = AF_INET;
	dst.sin_port = htons((uint16_t)atoi(argv[2]));
	if (inet_pton(AF_INET, argv[1], &dst.sin_addr) != 1)
		return 2;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&dst, sizeof(dst)))
		return 1;
	getsockname(fd, (struct sockaddr *)&me, &melen);
	sent_at = calloc((size_t)count, sizeof(*sent_at));
	rtt = calloc((size_t)count, sizeof(*rtt));
	if (!sent_at || !rtt)
		return 1;
	start = next = now_us();
	for (;;) {
		uint64_t t = now_us();
		int wait;
		struct pollfd p = {fd, POLLIN, 0};

		while (sent < count && t >= next) {
			char msg[600];
			int n = snprintf(msg, sizeof(msg),
				"OPTIONS sip:%s:%s SIP/2.0\r\n"
				"Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKrtt%ld\r\n"
				"Max-Forwards: 70\r\n"
				"From: <sip:rtt@127.0.0.1>;tag=rtt%ld\r\n"
				"To: <sip:%s:%s>\r\n"
				"Call-ID: rtt-%d-%ld@127.0.0.1\r\n"
				"CSeq: %ld OPTIONS\r\n"
				"Content-Length: 0\r\n\r\n",
				argv[1], argv[2], ntohs(me.sin_port), sent, sent,
				argv[1], argv[2], (int)getpid(), sent, sent + 1);
			sent_at[sent] = now_us();
			if (send(fd, msg, (size_t)n, 0) < 0 && errno != ECONNREFUSED)
				perror("send");
			sent++;
			next = start + (uint64_t)(sent * 1000000 / rate);
		}
		if (sent >= count && (answered >= count || t > next + 2000000))
			break;
		wait = sent < count ? (int)((next > t ? next - t : 0) / 1000) : 100;
		if (poll(&p, 1, wait) > 0) {
			char buf[4096];
			ssize_t n;
			while ((n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT)) > 0) {
				char *cs;
				long seq;
				buf[n] = 0;
				cs = strstr(buf, "\r\nCSeq: ");
				if (!cs)
					continue;
				seq = atol(cs + 8) - 1;
				if (seq >= 0 && seq < sent && !rtt[seq]) {
					rtt[seq] = now_us() - sent_at[seq];
					if (!rtt[seq])
						rtt[seq] = 1;
					answered++;
				}
			}
		}
	}
	{
		uint64_t *v = malloc((size_t)(answered ? answered : 1) * sizeof(*v));
		long k = 0;
		for (long i = 0; i < sent; i++)
			if (rtt[i])
				v[k++] = rtt[i];
		qsort(v, (size_t)k, sizeof(*v), cmp_u64);
		if (k)
			printf("%ld %ld %llu %llu %llu\n", sent, answered,
			       (unsigned long long)v[k / 2],
			       (unsigned long long)v[(k * 99) / 100 < k ? (k * 99) / 100 : k - 1],
			       (unsigned long long)v[k - 1]);
		else
			printf("%ld 0 - - -\n", sent);
		free(v);
	}
	return 0;
}
