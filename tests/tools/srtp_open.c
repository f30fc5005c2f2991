/*
 * srtp_open.c - opens a captured SRTP or SRTCP stream with libsrtp2, an
 * implementation independent of ours, for test_baresip_media.sh:
 *
 *   srtp_open rtp|rtcp SUITE KEY_BASE64 < packets
 *
 * reads one packet per line in hex (one direction of one leg, in capture
 * order) and prints, per line, the opened packet in hex or "error N"
 * (libsrtp's srtp_err_status_t).  One context for the whole stream, so
 * the rollover counter and the replay window see the packets in order.
 * Exits 2 on bad arguments.
 */
#include <openssl/evp.h>
#include <srtp2/srtp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PKT_MAX 2048

static int set_suite(const char *suite, srtp_policy_t *p)
{
	if (!strcmp(suite, "AES_CM_128_HMAC_SHA1_80")) {
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtp);
	} else if (!strcmp(suite, "AES_CM_128_HMAC_SHA1_32")) {
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p->rtp);
	} else if (!strcmp(suite, "AES_256_CM_HMAC_SHA1_80")) {
		srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&p->rtp);
	} else if (!strcmp(suite, "AES_256_CM_HMAC_SHA1_32")) {
		srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32(&p->rtp);
	} else if (!strcmp(suite, "AEAD_AES_128_GCM")) {
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtcp);
		return 0;
	} else if (!strcmp(suite, "AEAD_AES_256_GCM")) {
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&p->rtp);
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&p->rtcp);
		return 0;
	} else {
		return -1;
	}
	/* SRTCP always carries an 80-bit tag (RFC 3711 5.2; RFC 4568 6.2) */
	if (strstr(suite, "_256_"))
		srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&p->rtcp);
	else
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
	return 0;
}

static size_t unhex(const char *h, unsigned char *out, size_t cap)
{
	size_t n = 0;
	unsigned b;

	while (h[0] && h[1] && n < cap && sscanf(h, "%2x", &b) == 1) {
		out[n++] = (unsigned char)b;
		h += 2;
	}
	return n;
}

int main(int argc, char **argv)
{
	static char line[2 * PKT_MAX + 16];
	unsigned char key[64], pkt[PKT_MAX];
	srtp_policy_t policy;
	srtp_t ctx;
	int rtcp, klen;

	if (argc != 4 || (strcmp(argv[1], "rtp") && strcmp(argv[1], "rtcp"))) {
		fprintf(stderr, "usage: srtp_open rtp|rtcp SUITE KEY_BASE64 < hex lines\n");
		return 2;
	}
	rtcp = !strcmp(argv[1], "rtcp");
	memset(&policy, 0, sizeof(policy));
	if (set_suite(argv[2], &policy)) {
		fprintf(stderr, "srtp_open: unknown suite %s\n", argv[2]);
		return 2;
	}
	klen = strlen(argv[3]) < 4 * sizeof(key) / 3
		       ? EVP_DecodeBlock(key, (const unsigned char *)argv[3],
					 (int)strlen(argv[3]))
		       : -1;
	if (klen < 30) {
		fprintf(stderr, "srtp_open: the key is not base64 of a key and salt\n");
		return 2;
	}
	if (srtp_init() != srtp_err_status_ok)
		return 2;
	policy.ssrc.type = ssrc_any_inbound;
	policy.key = key;
	policy.window_size = 1024;
	policy.allow_repeat_tx = 0;
	if (srtp_create(&ctx, &policy) != srtp_err_status_ok) {
		fprintf(stderr, "srtp_open: srtp_create failed\n");
		return 2;
	}
	while (fgets(line, sizeof(line), stdin)) {
		int len = (int)unhex(line, pkt, sizeof(pkt));
		srtp_err_status_t st =
			rtcp ? srtp_unprotect_rtcp(ctx, pkt, &len)
			     : srtp_unprotect(ctx, pkt, &len);
		if (st != srtp_err_status_ok) {
			printf("error %d\n", (int)st);
			continue;
		}
		for (int i = 0; i < len; i++)
			printf("%02x", pkt[i]);
		putchar('\n');
	}
	srtp_dealloc(ctx);
	srtp_shutdown();
	return 0;
}
