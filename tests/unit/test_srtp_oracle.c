/*
 * test_srtp_oracle.c - our SRTP/SRTCP transform (src/media/srtp.c) against
 * libsrtp2 (Debian libsrtp2-dev) as an oracle: for every suite both
 * support, random keys and packets (CSRCs, header extensions, sizes from
 * empty to 1200 bytes, a sequence number wrap) are protected by both and
 * must be identical byte for byte, and each side must unprotect what the
 * other protected.  A suite the Debian build lacks is reported and
 * skipped, never passed silently.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <srtp2/srtp.h>

#include "media/srtp.h"

struct suite_map {
	enum sdes_suite ours;
	void (*rtp)(srtp_crypto_policy_t *p);
	void (*rtcp)(srtp_crypto_policy_t *p);
};

static const struct suite_map suites[] = {
	{SDES_AES_CM_128_HMAC_SHA1_80, srtp_crypto_policy_set_rtp_default,
	 srtp_crypto_policy_set_rtcp_default},
	/* RFC 4568 6.2.1: SRTCP keeps the 80-bit tag with the _32 suites. */
	{SDES_AES_CM_128_HMAC_SHA1_32, srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32,
	 srtp_crypto_policy_set_rtcp_default},
	{SDES_AES_256_CM_HMAC_SHA1_80, srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80,
	 srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80},
	{SDES_AES_256_CM_HMAC_SHA1_32, srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32,
	 srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80},
	{SDES_AEAD_AES_128_GCM, srtp_crypto_policy_set_aes_gcm_128_16_auth,
	 srtp_crypto_policy_set_aes_gcm_128_16_auth},
	{SDES_AEAD_AES_256_GCM, srtp_crypto_policy_set_aes_gcm_256_16_auth,
	 srtp_crypto_policy_set_aes_gcm_256_16_auth},
};

static uint32_t rnd_state = 12345;
static uint32_t rnd(void)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return rnd_state >> 8;
}

static srtp_t lib_session(const struct suite_map *m, uint8_t *key,
			  uint32_t ssrc, bool inbound)
{
	srtp_policy_t p;
	srtp_t s = NULL;

	memset(&p, 0, sizeof(p));
	m->rtp(&p.rtp);
	m->rtcp(&p.rtcp);
	p.ssrc.type = inbound ? ssrc_any_inbound : ssrc_specific;
	p.ssrc.value = ssrc;
	p.key = key;
	p.window_size = 128;
	if (srtp_create(&s, &p) != srtp_err_status_ok)
		return NULL;
	return s;
}

/* A random RTP packet for ssrc and seq: 0-15 CSRCs, maybe an extension. */
static size_t make_rtp(uint8_t *p, uint32_t ssrc, uint16_t seq)
{
	size_t cc = rnd() % 3 ? 0 : rnd() % 16, n = 12, payload = rnd() % 1201;
	bool ext = rnd() % 4 == 0;

	p[0] = (uint8_t)(0x80 | (ext ? 0x10 : 0) | cc);
	p[1] = (uint8_t)(rnd() & 0xff);
	p[2] = (uint8_t)(seq >> 8);
	p[3] = (uint8_t)seq;
	for (int i = 4; i < 8; i++)
		p[i] = (uint8_t)rnd();
	p[8] = (uint8_t)(ssrc >> 24);
	p[9] = (uint8_t)(ssrc >> 16);
	p[10] = (uint8_t)(ssrc >> 8);
	p[11] = (uint8_t)ssrc;
	for (size_t i = 0; i < cc * 4; i++)
		p[n++] = (uint8_t)rnd();
	if (ext) {
		size_t words = rnd() % 4;
		p[n++] = 0xbe;
		p[n++] = 0xde;
		p[n++] = 0;
		p[n++] = (uint8_t)words;
		for (size_t i = 0; i < words * 4; i++)
			p[n++] = (uint8_t)rnd();
	}
	for (size_t i = 0; i < payload; i++)
		p[n++] = (uint8_t)rnd();
	return n;
}

static void test_against_libsrtp(void **state)
{
	(void)state;
	assert_int_equal(srtp_init(), srtp_err_status_ok);
	for (size_t si = 0; si < sizeof(suites) / sizeof(suites[0]); si++) {
		const struct suite_map *m = &suites[si];
		const struct sdes_suite_info *info = sdes_suite_info(m->ours);
		uint8_t key[64];
		uint32_t ssrc = rnd();
		srtp_t lib_tx, lib_rx;
		struct vs_srtp our_tx, our_rx;
		int packets = 0;

		for (size_t i = 0; i < sizeof(key); i++)
			key[i] = (uint8_t)rnd();
		lib_tx = lib_session(m, key, ssrc, false);
		lib_rx = lib_session(m, key, ssrc, true);
		if (!lib_tx || !lib_rx) {
			print_message("libsrtp2 here lacks %s: skipped\n", info->name);
			continue;
		}
		assert_int_equal(vs_srtp_init(&our_tx, m->ours, key), 0);
		assert_int_equal(vs_srtp_init(&our_rx, m->ours, key), 0);
		/* 300 packets from seq 65400: crosses the wrap. */
		for (unsigned k = 0; k < 300; k++) {
			uint16_t seq = (uint16_t)(65400 + k);
			uint8_t plain[1400], a[1500], b[1500];
			size_t n = make_rtp(plain, ssrc, seq), bn = n;
			int an = (int)n;

			memcpy(a, plain, n);
			memcpy(b, plain, n);
			assert_int_equal(srtp_protect(lib_tx, a, &an), srtp_err_status_ok);
			assert_int_equal(vs_srtp_protect(&our_tx, b, &bn, sizeof(b)), VS_SRTP_OK);
			assert_int_equal(bn, (size_t)an);
			assert_memory_equal(a, b, bn);
			/* Each unprotects the other's (alternating who). */
			if (k & 1) {
				assert_int_equal(vs_srtp_unprotect(&our_rx, a, &bn), VS_SRTP_OK);
				assert_int_equal(bn, n);
				assert_memory_equal(a, plain, n);
			} else {
				int ln = (int)bn;
				assert_int_equal(srtp_unprotect(lib_rx, b, &ln), srtp_err_status_ok);
				assert_int_equal((size_t)ln, n);
				assert_memory_equal(b, plain, n);
			}
			packets++;
		}
		/* RTCP: a sender report with random report blocks. */
		for (unsigned k = 0; k < 50; k++) {
			uint8_t plain[600], a[700], b[700];
			size_t words = 6 + 6 * (rnd() % 5), n = 4 * (words + 1), bn = n;
			int an = (int)n;
			plain[0] = (uint8_t)(0x80 | (words - 6) / 6);
			plain[1] = 200;
			plain[2] = (uint8_t)(words >> 8);
			plain[3] = (uint8_t)words;
			plain[4] = (uint8_t)(ssrc >> 24);
			plain[5] = (uint8_t)(ssrc >> 16);
			plain[6] = (uint8_t)(ssrc >> 8);
			plain[7] = (uint8_t)ssrc;
			for (size_t i = 8; i < n; i++)
				plain[i] = (uint8_t)rnd();
			memcpy(a, plain, n);
			memcpy(b, plain, n);
			assert_int_equal(srtp_protect_rtcp(lib_tx, a, &an), srtp_err_status_ok);
			assert_int_equal(vs_srtcp_protect(&our_tx, b, &bn, sizeof(b)), VS_SRTP_OK);
			assert_int_equal(bn, (size_t)an);
			assert_memory_equal(a, b, bn);
			assert_int_equal(vs_srtcp_unprotect(&our_rx, a, &bn), VS_SRTP_OK);
			assert_memory_equal(a, plain, n);
			an = (int)(n + (info->tag_len == 16 ? 20 : 14));
			assert_int_equal(srtp_unprotect_rtcp(lib_rx, b, &an), srtp_err_status_ok);
			assert_memory_equal(b, plain, n);
		}
		print_message("%s: %d RTP and 50 RTCP packets identical to libsrtp2\n",
			      info->name, packets);
		srtp_dealloc(lib_tx);
		srtp_dealloc(lib_rx);
		vs_srtp_free(&our_tx);
		vs_srtp_free(&our_rx);
	}
	srtp_shutdown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_against_libsrtp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
