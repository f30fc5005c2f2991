/*
 * srtp_tool.c - SRTP for the integration tests' Python phones, on our
 * transform (src/media/srtp.c, itself checked against libsrtp2):
 *
 *   srtp_tool protect|unprotect|protect_rtcp|unprotect_rtcp SUITE KEY_BASE64 HEX_PACKET
 *
 * prints the resulting packet in hex, or "error N" and exits 1.  A fresh
 * context per call: give packets with rising sequence numbers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "media/srtp.h"
#include "sdp/sdes.h"

int main(int argc, char **argv)
{
	uint8_t pkt[2048];
	size_t n = 0;
	char attr[300];
	struct sdes_crypto c;
	struct vs_srtp ctx;
	struct pl v;
	int r;

	if (argc != 5) {
		fprintf(stderr, "usage: srtp_tool protect|unprotect|protect_rtcp|unprotect_rtcp SUITE KEY_BASE64 HEX\n");
		return 2;
	}
	snprintf(attr, sizeof(attr), "1 %s inline:%s", argv[2], argv[3]);
	v = pl_from_cstr(attr);
	if (sdes_parse(&v, &c) != SDES_OK || vs_srtp_init(&ctx, c.suite, c.key)) {
		printf("error key\n");
		return 1;
	}
	for (const char *h = argv[4]; h[0] && h[1] && n < 1500; h += 2) {
		unsigned b;
		if (sscanf(h, "%2x", &b) != 1)
			break;
		pkt[n++] = (uint8_t)b;
	}
	if (!strcmp(argv[1], "protect"))
		r = (int)vs_srtp_protect(&ctx, pkt, &n, sizeof(pkt));
	else if (!strcmp(argv[1], "protect_rtcp"))
		r = (int)vs_srtcp_protect(&ctx, pkt, &n, sizeof(pkt));
	else if (!strcmp(argv[1], "unprotect_rtcp"))
		r = (int)vs_srtcp_unprotect(&ctx, pkt, &n);
	else
		r = (int)vs_srtp_unprotect(&ctx, pkt, &n);
	if (r != VS_SRTP_OK) {
		printf("error %d\n", r);
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		printf("%02x", pkt[i]);
	printf("\n");
	vs_srtp_free(&ctx);
	return 0;
}
