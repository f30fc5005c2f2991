/*
 * srtp_vs_libsrtp.c - CPU time per SRTP packet: our transform
 * (src/media/srtp.c, OpenSSL EVP) against Debian's libsrtp2 (built on
 * NSS), in the same process, on the same packets.
 *
 *   srtp_vs_libsrtp [PACKETS] [ROUNDS] [PAYLOAD]
 *
 * For each suite both support: protect PACKETS packets of 12 + PAYLOAD
 * bytes (default 160: G.711 at 20 ms, 172 bytes), then unprotect them,
 * ROUNDS times; prints the median CPU nanoseconds per packet of each and
 * the ratio.  CPU time (CLOCK_PROCESS_CPUTIME_ID), single thread; for
 * exact, repeatable costs run it under valgrind --tool=callgrind.
 */
#include <srtp2/srtp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "media/srtp.h"

static double cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	return v[n / 2];
}

struct suite {
	enum sdes_suite ours;
	void (*rtp)(srtp_crypto_policy_t *p);
	void (*rtcp)(srtp_crypto_policy_t *p);
};

static const struct suite suites[] = {
	{SDES_AES_CM_128_HMAC_SHA1_80, srtp_crypto_policy_set_rtp_default,
	 srtp_crypto_policy_set_rtcp_default},
	{SDES_AES_CM_128_HMAC_SHA1_32, srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32,
	 srtp_crypto_policy_set_rtcp_default},
	{SDES_AEAD_AES_128_GCM, srtp_crypto_policy_set_aes_gcm_128_16_auth,
	 srtp_crypto_policy_set_aes_gcm_128_16_auth},
	{SDES_AEAD_AES_256_GCM, srtp_crypto_policy_set_aes_gcm_256_16_auth,
	 srtp_crypto_policy_set_aes_gcm_256_16_auth},
};

static void make(uint8_t *p, uint16_t seq, size_t payload)
{
	memset(p, 0, 12 + payload);
	p[0] = 0x80;
	p[2] = (uint8_t)(seq >> 8);
	p[3] = (uint8_t)seq;
	p[8] = 0xca;
	p[9] = 0xfe;
	for (size_t i = 0; i < payload; i++)
		p[12 + i] = (uint8_t)(i * 31 + seq);
}

int main(int argc, char **argv)
{
	int packets = argc > 1 ? atoi(argv[1]) : 200000;
	int rounds = argc > 2 ? atoi(argv[2]) : 5;
	size_t payload = argc > 3 ? (size_t)atoi(argv[3]) : 160;
	uint8_t key[64];
	uint8_t *buf;

	if (packets < 1 || rounds < 1 || rounds > 99 || payload > 1400) {
		fprintf(stderr, "usage: srtp_vs_libsrtp [PACKETS] [ROUNDS 1-99] [PAYLOAD <= 1400]\n");
		return 2;
	}
	buf = malloc((size_t)packets * 1500);
	if (!buf || srtp_init() != srtp_err_status_ok)
		return 1;
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 13 + 7);
	printf("%-24s %12s %12s %12s %12s %8s %8s\n", "suite (ns/packet, median)",
	       "ours prot", "libsrtp prot", "ours unprot", "libsrtp unp", "prot x", "unp x");
	for (size_t s = 0; s < sizeof(suites) / sizeof(suites[0]); s++) {
		const struct suite *su = &suites[s];
		double t[4][99];
		for (int r = 0; r < rounds; r++) {
			for (int impl = 0; impl < 2; impl++) {
				size_t len[1];
				double t0;
				struct vs_srtp tx, rx;
				srtp_t ltx = NULL, lrx = NULL;
				srtp_policy_t p;
				if (impl == 0) {
					vs_srtp_init(&tx, su->ours, key);
					vs_srtp_init(&rx, su->ours, key);
				} else {
					memset(&p, 0, sizeof(p));
					su->rtp(&p.rtp);
					su->rtcp(&p.rtcp);
					p.key = key;
					p.window_size = 128;
					p.ssrc.type = ssrc_any_outbound;
					if (srtp_create(&ltx, &p) != srtp_err_status_ok) {
						printf("%s: libsrtp2 lacks it\n", sdes_suite_info(su->ours)->name);
						break;
					}
					p.ssrc.type = ssrc_any_inbound;
					srtp_create(&lrx, &p);
				}
				for (int i = 0; i < packets; i++)
					make(buf + (size_t)i * 1500, (uint16_t)i, payload);
				t0 = cpu_ns();
				for (int i = 0; i < packets; i++) {
					uint8_t *pk = buf + (size_t)i * 1500;
					if (impl == 0) {
						len[0] = 12 + payload;
						vs_srtp_protect(&tx, pk, len, 1500);
					} else {
						int n = (int)(12 + payload);
						srtp_protect(ltx, pk, &n);
					}
				}
				t[impl * 2][r] = (cpu_ns() - t0) / packets;
				t0 = cpu_ns();
				for (int i = 0; i < packets; i++) {
					uint8_t *pk = buf + (size_t)i * 1500;
					size_t tag = sdes_suite_info(su->ours)->tag_len;
					if (impl == 0) {
						len[0] = 12 + payload + tag;
						if (vs_srtp_unprotect(&rx, pk, len) != VS_SRTP_OK)
							abort();
					} else {
						int n = (int)(12 + payload + tag);
						if (srtp_unprotect(lrx, pk, &n) != srtp_err_status_ok)
							abort();
					}
				}
				t[impl * 2 + 1][r] = (cpu_ns() - t0) / packets;
				if (impl == 0) {
					vs_srtp_free(&tx);
					vs_srtp_free(&rx);
				} else {
					srtp_dealloc(ltx);
					srtp_dealloc(lrx);
				}
			}
		}
		{
			double op = median(t[0], rounds), lp = median(t[2], rounds);
			double ou = median(t[1], rounds), lu = median(t[3], rounds);
			printf("%-24s %12.0f %12.0f %12.0f %12.0f %8.2f %8.2f\n",
			       sdes_suite_info(su->ours)->name, op, lp, ou, lu, lp / op,
			       lu / ou);
		}
	}
	printf("(%d packets of %zu bytes, %d rounds; x = libsrtp2 time / ours)\n",
	       packets, 12 + payload, rounds);
	srtp_shutdown();
	free(buf);
	return 0;
}
