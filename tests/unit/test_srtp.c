/*
 * test_srtp.c - the SRTP/SRTCP transform (src/media/srtp.c) against the
 * RFC 3711 B.3 key derivation vectors and the libsrtp whole-packet vectors
 * in ../shared/testdata/srtp, then replay protection, tampering, rollover
 * and every suite in both directions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "media/srtp.h"

#define VECTORS VS_SOURCE_DIR "/../shared/testdata/srtp/"

/* The hex value of key in block [name] of file (NULL when absent). */
static size_t vec(const char *file, const char *name, const char *key,
		  uint8_t *out, size_t max)
{
	char path[512], line[2048], want[128];
	FILE *f;
	bool in = name == NULL;
	size_t n = 0;

	snprintf(path, sizeof(path), VECTORS "%s", file);
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot read %s (the shared test data next to the repository)", path);
	snprintf(want, sizeof(want), "[%s]", name ? name : "");
	while (fgets(line, sizeof(line), f)) {
		char *eq, *v;
		line[strcspn(line, "\r\n")] = 0;
		if (line[0] == '[') {
			in = strcmp(line, want) == 0;
			continue;
		}
		if (!in || line[0] == '#' || !(eq = strchr(line, '=')))
			continue;
		*eq = 0;
		for (char *e = eq - 1; e >= line && *e == ' '; e--)
			*e = 0;
		if (strcmp(line, key))
			continue;
		v = eq + 1;
		while (*v == ' ')
			v++;
		for (; v[0] && v[1] && n < max; v += 2) {
			unsigned b;
			if (sscanf(v, "%2x", &b) != 1)
				break;
			out[n++] = (uint8_t)b;
		}
		break;
	}
	fclose(f);
	if (!n)
		fail_msg("no %s in [%s] of %s", key, name ? name : "", file);
	return n;
}

static void test_kdf_rfc3711_b3(void **state)
{
	uint8_t mk[16], ms[14], want[32], got[32];
	const char *f = "rfc3711-B3-key-derivation.txt";

	(void)state;
	vec(f, NULL, "master_key", mk, 16);
	vec(f, NULL, "master_salt", ms, 14);
	assert_int_equal(vs_srtp_kdf(mk, 16, ms, 0, got, 16), 0);
	vec(f, NULL, "cipher_key", want, 16);
	assert_memory_equal(got, want, 16);
	assert_int_equal(vs_srtp_kdf(mk, 16, ms, 2, got, 14), 0);
	vec(f, NULL, "cipher_salt", want, 14);
	assert_memory_equal(got, want, 14);
	assert_int_equal(vs_srtp_kdf(mk, 16, ms, 1, got, 20), 0);
	vec(f, NULL, "auth_key_20", want, 20);
	assert_memory_equal(got, want, 20);
}

/* Protect the plain packets of block name and compare with the wire ones,
 * then unprotect the wire ones back. */
static void packet_vectors(const char *name, enum sdes_suite suite, bool rtcp)
{
	const char *f = "libsrtp-packet-vectors.txt";
	uint8_t ks[64], plain[256], wire[256], buf[256];
	size_t kl, sl, pl, wl, n;
	struct vs_srtp tx, rx;

	kl = vec(f, name, "master_key", ks, 32);
	sl = vec(f, name, "master_salt", ks + kl, 14);
	assert_int_equal(kl + sl, sdes_suite_info(suite)->key_len +
					  sdes_suite_info(suite)->salt_len);
	assert_int_equal(vs_srtp_init(&tx, suite, ks), 0);
	assert_int_equal(vs_srtp_init(&rx, suite, ks), 0);
	pl = vec(f, name, "rtp_plain", plain, sizeof(plain));
	wl = vec(f, name, "srtp", wire, sizeof(wire));
	memcpy(buf, plain, pl);
	n = pl;
	assert_int_equal(vs_srtp_protect(&tx, buf, &n, sizeof(buf)), VS_SRTP_OK);
	assert_int_equal(n, wl);
	assert_memory_equal(buf, wire, wl);
	assert_int_equal(vs_srtp_unprotect(&rx, buf, &n), VS_SRTP_OK);
	assert_int_equal(n, pl);
	assert_memory_equal(buf, plain, pl);
	if (rtcp) {
		pl = vec(f, name, "rtcp_plain", plain, sizeof(plain));
		wl = vec(f, name, "srtcp", wire, sizeof(wire));
		memcpy(buf, plain, pl);
		n = pl;
		assert_int_equal(vs_srtcp_protect(&tx, buf, &n, sizeof(buf)), VS_SRTP_OK);
		assert_int_equal(n, wl);
		assert_memory_equal(buf, wire, wl);
		assert_int_equal(vs_srtcp_unprotect(&rx, buf, &n), VS_SRTP_OK);
		assert_int_equal(n, pl);
		assert_memory_equal(buf, plain, pl);
	}
	vs_srtp_free(&tx);
	vs_srtp_free(&rx);
}

static void test_libsrtp_vectors(void **state)
{
	(void)state;
	packet_vectors("aes_cm_128_hmac_sha1_80", SDES_AES_CM_128_HMAC_SHA1_80, true);
	packet_vectors("aes_cm_256_hmac_sha1_80", SDES_AES_256_CM_HMAC_SHA1_80, false);
	packet_vectors("aead_aes_128_gcm", SDES_AEAD_AES_128_GCM, true);
}

static size_t rtp(uint8_t *p, uint16_t seq, uint32_t ssrc, size_t payload)
{
	p[0] = 0x80;
	p[1] = 0;
	p[2] = (uint8_t)(seq >> 8);
	p[3] = (uint8_t)seq;
	memset(p + 4, 0x11, 4);
	p[8] = (uint8_t)(ssrc >> 24);
	p[9] = (uint8_t)(ssrc >> 16);
	p[10] = (uint8_t)(ssrc >> 8);
	p[11] = (uint8_t)ssrc;
	for (size_t i = 0; i < payload; i++)
		p[12 + i] = (uint8_t)(seq + i);
	return 12 + payload;
}

/* Each suite: a stream across a sequence number wrap, out of order within
 * the window, replays, old packets, tampering, and RTCP. */
static void test_suites_replay_rollover(void **state)
{
	(void)state;
	for (int suite = 0; suite < SDES_SUITE_COUNT; suite++) {
		const struct sdes_suite_info *si = sdes_suite_info((enum sdes_suite)suite);
		uint8_t ks[48], buf[400], keep[400], plain[400];
		struct vs_srtp tx, rx;
		size_t n, kn = 0;

		for (int i = 0; i < 48; i++)
			ks[i] = (uint8_t)(i * 7 + suite);
		assert_int_equal(vs_srtp_init(&tx, (enum sdes_suite)suite, ks), 0);
		assert_int_equal(vs_srtp_init(&rx, (enum sdes_suite)suite, ks), 0);
		/* 65530 .. 65535, 0 .. 5: the ROC moves to 1 on both sides. */
		for (unsigned k = 0; k < 12; k++) {
			uint16_t seq = (uint16_t)(65530 + k);
			size_t pl = rtp(plain, seq, 0x1234, 160);
			memcpy(buf, plain, pl);
			n = pl;
			assert_int_equal(vs_srtp_protect(&tx, buf, &n, sizeof(buf)), VS_SRTP_OK);
			assert_int_equal(n, pl + si->tag_len);
			if (k == 3) { /* held back: delivered late */
				memcpy(keep, buf, n);
				kn = n;
				continue;
			}
			assert_int_equal(vs_srtp_unprotect(&rx, buf, &n), VS_SRTP_OK);
			assert_int_equal(n, pl);
			assert_memory_equal(buf, plain, pl);
		}
		assert_int_equal(rx.streams[0].roc, 1);
		/* The late packet (before the wrap) still authenticates. */
		memcpy(buf, keep, kn);
		n = kn;
		assert_int_equal(vs_srtp_unprotect(&rx, buf, &n), VS_SRTP_OK);
		/* ... but not twice. */
		memcpy(buf, keep, kn);
		n = kn;
		assert_int_equal(vs_srtp_unprotect(&rx, buf, &n), VS_SRTP_E_REPLAY);
		/* Tampering with payload, header or tag fails authentication. */
		for (size_t at = 0; at < 3; at++) {
			size_t pl = rtp(plain, 6, 0x1234, 160);
			memcpy(buf, plain, pl);
			n = pl;
			assert_int_equal(vs_srtp_protect(&tx, buf, &n, sizeof(buf)), VS_SRTP_OK);
			buf[at == 0 ? 20 : at == 1 ? 1 : n - 1] ^= 0x01;
			assert_int_equal(vs_srtp_unprotect(&rx, buf, &n), VS_SRTP_E_AUTH);
		}
		/* A new SSRC with a bad tag creates no stream. */
		n = rtp(buf, 100, 0xdead, 20) + si->tag_len;
		assert_int_equal(vs_srtp_unprotect(&rx, buf, &n), VS_SRTP_E_AUTH);
		for (int i = 0; i < VS_SRTP_MAX_SSRC; i++)
			assert_false(rx.streams[i].used && rx.streams[i].ssrc == 0xdead);
		/* Too old for the window. */
		{
			struct vs_srtp tx2;
			uint8_t old[400];
			size_t on;
			assert_int_equal(vs_srtp_init(&tx2, (enum sdes_suite)suite, ks), 0);
			vs_srtp_set_roc(&tx2, 0x1234, 1);
			on = rtp(old, 7, 0x1234, 40);
			assert_int_equal(vs_srtp_protect(&tx2, old, &on, sizeof(old)), VS_SRTP_OK);
			for (uint16_t seq = 8; seq < 8 + VS_SRTP_REPLAY_WINDOW + 1; seq++) {
				n = rtp(buf, seq, 0x1234, 40);
				assert_int_equal(vs_srtp_protect(&tx2, buf, &n, sizeof(buf)), VS_SRTP_OK);
				assert_int_equal(vs_srtp_unprotect(&rx, buf, &n), VS_SRTP_OK);
			}
			assert_int_equal(vs_srtp_unprotect(&rx, old, &on), VS_SRTP_E_REPLAY);
			vs_srtp_free(&tx2);
		}
		/* RTCP both ways, replay and tampering. */
		{
			static const uint8_t sr[] = {0x81, 0xc8, 0x00, 0x06, 0x00, 0x00, 0x12, 0x34,
						     1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
						     13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24};
			memcpy(buf, sr, sizeof(sr));
			n = sizeof(sr);
			assert_int_equal(vs_srtcp_protect(&tx, buf, &n, sizeof(buf)), VS_SRTP_OK);
			memcpy(keep, buf, n);
			kn = n;
			assert_int_equal(vs_srtcp_unprotect(&rx, buf, &n), VS_SRTP_OK);
			assert_int_equal(n, sizeof(sr));
			assert_memory_equal(buf, sr, sizeof(sr));
			memcpy(buf, keep, kn);
			n = kn;
			assert_int_equal(vs_srtcp_unprotect(&rx, buf, &n), VS_SRTP_E_REPLAY);
			memcpy(buf, sr, sizeof(sr));
			n = sizeof(sr);
			assert_int_equal(vs_srtcp_protect(&tx, buf, &n, sizeof(buf)), VS_SRTP_OK);
			buf[10] ^= 0x80;
			assert_int_equal(vs_srtcp_unprotect(&rx, buf, &n), VS_SRTP_E_AUTH);
		}
		/* Malformed and no room. */
		n = 11;
		assert_int_equal(vs_srtp_unprotect(&rx, buf, &n), VS_SRTP_E_MALFORMED);
		n = rtp(buf, 1, 1, 10);
		assert_int_equal(vs_srtp_protect(&tx, buf, &n, n + 3), VS_SRTP_E_SPACE);
		buf[0] = 0x40; /* version 1 */
		assert_int_equal(vs_srtp_protect(&tx, buf, &n, sizeof(buf)), VS_SRTP_E_MALFORMED);
		vs_srtp_free(&tx);
		vs_srtp_free(&rx);
	}
}

/* More SSRCs than slots: the least recently used one goes. */
static void test_streams_lru(void **state)
{
	uint8_t ks[30] = {1}, buf[100];
	struct vs_srtp c;
	size_t n;

	(void)state;
	assert_int_equal(vs_srtp_init(&c, SDES_AES_CM_128_HMAC_SHA1_80, ks), 0);
	for (uint32_t ssrc = 1; ssrc <= VS_SRTP_MAX_SSRC + 2; ssrc++) {
		n = rtp(buf, 1, ssrc, 10);
		assert_int_equal(vs_srtp_protect(&c, buf, &n, sizeof(buf)), VS_SRTP_OK);
	}
	assert_int_equal(c.streams[0].ssrc, VS_SRTP_MAX_SSRC + 2);
	for (int i = 0; i < VS_SRTP_MAX_SSRC; i++)
		assert_true(c.streams[i].ssrc > 2);
	vs_srtp_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kdf_rfc3711_b3),
		cmocka_unit_test(test_libsrtp_vectors),
		cmocka_unit_test(test_suites_replay_rollover),
		cmocka_unit_test(test_streams_lru),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
