/*
 * flood.c - a bounded INVITE flood for the shield benchmark: faster than
 * SIPp (sendmmsg batches), from one source address, to a loopback
 * destination only, for a fixed time.
 *
 *   flood --src 127.0.0.4 --dst 127.0.0.1 --port 5300 --rate N --seconds S
 *
 * Each INVITE has its own branch and Call-ID.  Prints the datagrams sent.
 * Refuses any destination outside 127.0.0.0/8.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	const char *src = "127.0.0.4", *dst = "127.0.0.1";
	int port = 5060, secs = 10;
	double rate = 1000;
	struct sockaddr_in sa, da;
	static char buf[BATCH][600];
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	unsigned long long sent = 0, n = 0;
	int fd;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--src"))
			src = argv[i + 1];
		else if (!strcmp(argv[i], "--dst"))
			dst = argv[i + 1];
		else if (!strcmp(argv[i], "--port"))
			port = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--rate"))
			rate = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--seconds"))
			secs = atoi(argv[i + 1]);
	}
	memset(&sa, 0, sizeof(sa));
	memset(&da, 0, sizeof(da));
	sa.sin_family = da.sin_family = AF_INET;
	da.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, src, &sa.sin_addr) != 1 ||
	    inet_pton(AF_INET, dst, &da.sin_addr) != 1 ||
	    (ntohl(da.sin_addr.s_addr) >> 24) != 127 || secs < 1 || secs > 600 ||
	    rate <= 0) {
		fprintf(stderr, "usage: flood --src A --dst 127.x.y.z --port P --rate N --seconds S (1-600); loopback only\n");
		return 2;
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("flood: socket");
		return 1;
	}
	double start = now(), end = start + secs;
	while (now() < end) {
		for (int i = 0; i < BATCH; i++, n++) {
			int len = snprintf(buf[i], sizeof(buf[i]),
				"INVITE sip:bob@bench.test SIP/2.0\r\n"
				"Via: SIP/2.0/UDP %s:5999;branch=z9hG4bKfl%llu;rport\r\n"
				"Max-Forwards: 70\r\nFrom: <sip:flood@bench.test>;tag=f%llu\r\n"
				"To: <sip:bob@bench.test>\r\nCall-ID: flood-%llu@%s\r\n"
				"CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
				src, n, n, n, src);
			iov[i].iov_base = buf[i];
			iov[i].iov_len = (size_t)len;
			memset(&mm[i], 0, sizeof(mm[i]));
			mm[i].msg_hdr.msg_name = &da;
			mm[i].msg_hdr.msg_namelen = sizeof(da);
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
		}
		int r = sendmmsg(fd, mm, BATCH, 0);
		if (r > 0)
			sent += (unsigned long long)r;
		/* Pace: the time this many datagrams should take. */
		double due = start + (double)sent / rate;
		double wait = due - now();
		if (wait > 0) {
			struct timespec ts = {(time_t)wait, (long)((wait - (time_t)wait) * 1e9)};
			nanosleep(&ts, NULL);
		}
	}
	printf("%llu\n", sent);
	close(fd);
	return 0;
}
