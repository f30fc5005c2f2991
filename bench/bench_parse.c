/*
 * bench_parse.c - SIP parser throughput on one core.
 *
 *   bench_parse [--seconds S] [--repeat R] [--only NAME]
 *                                               messages per second, median
 *                                               of R runs (default 7)
 *   bench_parse --iterations N [--level 0|1|2] [--only NAME]
 *                                               fixed work, for callgrind
 *
 * Three levels are measured for each message of a realistic mix:
 *   core   sip_msg_parse: start line, Request-URI, every Via, From, To,
 *          Call-ID, CSeq, Max-Forwards, Content-Length (always parsed);
 *   proxy  core plus Route: everything a proxy reads to forward a request
 *          or a response (RFC 3261 16.3-16.6, 16.7);
 *   full   proxy plus what the registrar, dialogs and authentication read:
 *          Record-Route, Contact, and Authorization on REGISTER.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sip/msg.h"

struct sample {
	const char *name;
	const char *text;
};

static const struct sample mix[] = {
	{"invite",
	 "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
	 "Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds;rport\r\n"
	 "Max-Forwards: 70\r\n"
	 "Route: <sip:proxy.example.com;lr>\r\n"
	 "To: Bob <sip:bob@biloxi.example.com>\r\n"
	 "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
	 "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
	 "CSeq: 314159 INVITE\r\n"
	 "Contact: <sip:alice@192.0.2.101:5060;transport=udp>\r\n"
	 "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, MESSAGE, INFO, UPDATE\r\n"
	 "Supported: replaces, timer\r\n"
	 "User-Agent: Softphone/2.1.4 (Linux)\r\n"
	 "Content-Type: application/sdp\r\n"
	 "Content-Length: 232\r\n"
	 "\r\n"
	 "v=0\r\n"
	 "o=alice 2890844526 2890844526 IN IP4 192.0.2.101\r\n"
	 "s=-\r\n"
	 "c=IN IP4 192.0.2.101\r\n"
	 "t=0 0\r\n"
	 "m=audio 49172 RTP/AVP 0 8 101\r\n"
	 "a=rtpmap:0 PCMU/8000\r\n"
	 "a=rtpmap:8 PCMA/8000\r\n"
	 "a=rtpmap:101 telephone-event/8000\r\n"
	 "a=fmtp:101 0-16\r\n"
	 "a=sendrecv\r\n"
	 "a=ptime:20\r\n"},
	{"register",
	 "REGISTER sip:example.com SIP/2.0\r\n"
	 "Via: SIP/2.0/UDP 192.0.2.55:5060;branch=z9hG4bKnashds7;rport\r\n"
	 "Max-Forwards: 70\r\n"
	 "From: <sip:1001@example.com>;tag=456248\r\n"
	 "To: <sip:1001@example.com>\r\n"
	 "Call-ID: 843817637684230@998sdasdh09\r\n"
	 "CSeq: 1827 REGISTER\r\n"
	 "Contact: <sip:1001@192.0.2.55:5060;transport=udp>;expires=3600\r\n"
	 "Authorization: Digest username=\"1001\", realm=\"example.com\", "
	 "nonce=\"5f2c9d1e0a7b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d\", "
	 "uri=\"sip:example.com\", response=\"6629fae49393a05397450978507c4ef1\", "
	 "algorithm=MD5, cnonce=\"0a4f113b\", qop=auth, nc=00000001\r\n"
	 "User-Agent: Deskphone/5.0\r\n"
	 "Expires: 3600\r\n"
	 "Content-Length: 0\r\n"
	 "\r\n"},
	{"200ok",
	 "SIP/2.0 200 OK\r\n"
	 "Via: SIP/2.0/UDP proxy.example.com:5060;branch=z9hG4bK2d4790.1\r\n"
	 "Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds;received=192.0.2.101;rport=5060\r\n"
	 "Record-Route: <sip:proxy.example.com;lr>\r\n"
	 "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
	 "To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n"
	 "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
	 "CSeq: 314159 INVITE\r\n"
	 "Contact: <sip:bob@192.0.2.4:5060>\r\n"
	 "Content-Type: application/sdp\r\n"
	 "Content-Length: 0\r\n"
	 "\r\n"},
	{"ack",
	 "ACK sip:bob@192.0.2.4:5060 SIP/2.0\r\n"
	 "Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bKnashds8;rport\r\n"
	 "Max-Forwards: 70\r\n"
	 "Route: <sip:proxy.example.com;lr>\r\n"
	 "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
	 "To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n"
	 "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
	 "CSeq: 314159 ACK\r\n"
	 "Content-Length: 0\r\n"
	 "\r\n"},
	{"bye",
	 "BYE sip:bob@192.0.2.4:5060 SIP/2.0\r\n"
	 "Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bKnashds9;rport\r\n"
	 "Max-Forwards: 70\r\n"
	 "Route: <sip:proxy.example.com;lr>\r\n"
	 "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
	 "To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n"
	 "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
	 "CSeq: 314160 BYE\r\n"
	 "Content-Length: 0\r\n"
	 "\r\n"},
};
#define NMIX (sizeof(mix) / sizeof(mix[0]))

static struct sip_msg msg;
static struct sip_limits lim;

static int walk(const struct sip_msg *m, enum sip_hdr_id id,
		enum sip_addr_kind kind)
{
	struct sip_hdr_iter it;
	struct sip_addr a;
	int err, n = 0;

	sip_hdr_iter_init(&it, m, id);
	while ((err = sip_addr_next(&it, &a, kind)) == 0)
		n++;
	return err == ENOENT ? n : -1;
}

/* One message at the given level; returns 0 when everything parsed. */
static int parse_one(const struct sample *s, size_t len, int level)
{
	if (sip_msg_parse(&msg, s->text, len, &lim))
		return -1;
	if (level == 0)
		return 0;
	if (walk(&msg, SIP_HDR_ROUTE, SIP_ADDR_ROUTE) < 0)
		return -1;
	if (level == 1)
		return 0;
	if (walk(&msg, SIP_HDR_RECORD_ROUTE, SIP_ADDR_ROUTE) < 0 ||
	    walk(&msg, SIP_HDR_CONTACT, SIP_ADDR_CONTACT) < 0)
		return -1;
	if (msg.method == SIP_METHOD_REGISTER) {
		const struct sip_hdr *h = sip_msg_hdr(&msg, SIP_HDR_AUTHORIZATION);
		struct sip_auth auth;
		if (!h || sip_auth_parse(&h->value, &auth))
			return -1;
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double seconds = 2.0;
	int repeat = 7;
	int count_level = 1;
	long iterations = -1;
	const char *only = NULL;
	size_t lens[NMIX];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			seconds = atof(argv[++i]);
		else if (!strcmp(argv[i], "--iterations") && i + 1 < argc)
			iterations = atol(argv[++i]);
		else if (!strcmp(argv[i], "--level") && i + 1 < argc)
			count_level = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--repeat") && i + 1 < argc)
			repeat = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--only") && i + 1 < argc)
			only = argv[++i];
		else {
			fprintf(stderr, "usage: %s [--seconds S [--repeat R] | --iterations N [--level 0|1|2]] [--only invite|register|200ok|ack|bye]\n", argv[0]);
			return 2;
		}
	}
	if (repeat < 1 || repeat > 64)
		repeat = 7;
	sip_limits_default(&lim);
	for (size_t i = 0; i < NMIX; i++) {
		lens[i] = strlen(mix[i].text);
		for (int level = 0; level < 3; level++) {
			if (parse_one(&mix[i], lens[i], level)) {
				fprintf(stderr, "sample %s does not parse: %s\n",
					mix[i].name, msg.err_phrase ? msg.err_phrase : "?");
				return 1;
			}
		}
	}
	if (iterations >= 0) {
		/* Fixed work for instruction counting: N rounds at one level. */
		bool pick[NMIX];
		for (size_t i = 0; i < NMIX; i++)
			pick[i] = !only || !strcmp(only, mix[i].name);
		for (long n = 0; n < iterations; n++)
			for (size_t i = 0; i < NMIX; i++)
				if (pick[i])
					parse_one(&mix[i], lens[i], count_level);
		return 0;
	}
	printf("%-10s %6s %12s %8s %12s %8s %12s %8s   (median of %d runs)\n",
	       "message", "bytes", "core msg/s", "ns", "proxy msg/s", "ns",
	       "full msg/s", "ns", repeat);
	for (size_t i = 0; i <= NMIX; i++) {
		double rate[3];
		size_t bytes = i < NMIX ? lens[i] : 0;
		if (i < NMIX && only && strcmp(only, mix[i].name))
			continue;
		for (int level = 0; level < 3; level++) {
			double runs[64];
			for (int r = 0; r < repeat; r++) {
				long count = 0;
				double t0 = now_s(), t1;
				do {
					for (int k = 0; k < 1000; k++) {
						if (i < NMIX) {
							parse_one(&mix[i], lens[i], level);
							count++;
						} else {
							for (size_t j = 0; j < NMIX; j++)
								parse_one(&mix[j], lens[j], level);
							count += NMIX;
						}
					}
					t1 = now_s();
				} while (t1 - t0 < seconds / (NMIX + 1) / 3 / repeat);
				runs[r] = (double)count / (t1 - t0);
			}
			qsort(runs, (size_t)repeat, sizeof(runs[0]), cmp_double);
			rate[level] = runs[repeat / 2];
		}
		printf("%-10s %6zu %12.0f %8.1f %12.0f %8.1f %12.0f %8.1f\n",
		       i < NMIX ? mix[i].name : "mix", bytes, rate[0], 1e9 / rate[0],
		       rate[1], 1e9 / rate[1], rate[2], 1e9 / rate[2]);
	}
	return 0;
}
