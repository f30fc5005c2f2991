/*
 * srtp.c - SRTP/SRTCP on OpenSSL EVP (see srtp.h).
 *
 * Per packet: one EVP_CipherInit_ex with a new IV on a context that keeps
 * the expanded key, one cipher update, and for the AES-CM suites one HMAC
 * with the key kept in the EVP_MAC context (EVP_MAC_init with a NULL key
 * reuses it).  No allocation after vs_srtp_init.
 */
#include "media/srtp.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>

#define RTCP_HDR 8
#define SRTCP_E 0x80000000u

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static const EVP_CIPHER *ctr_cipher(size_t key_len)
{
	return key_len == 32 ? EVP_aes_256_ctr() : EVP_aes_128_ctr();
}

int vs_srtp_kdf(const uint8_t *master_key, size_t key_len,
	     const uint8_t master_salt[14], uint8_t label, uint8_t *out,
	     size_t len)
{
	/* x = master_salt XOR (label || r), r = 0 (kdr 0): the label lands
	 * in octet 7 of the 14-octet salt; IV = x * 2^16. */
	uint8_t iv[16] = {0};
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n, ok;

	memcpy(iv, master_salt, 14);
	iv[7] ^= label;
	memset(out, 0, len);
	ok = c && EVP_EncryptInit_ex(c, ctr_cipher(key_len), NULL, master_key,
				     iv) == 1 &&
	     EVP_EncryptUpdate(c, out, &n, out, (int)len) == 1;
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -1;
}

static int keys_init(struct vs_srtp *c, struct vs_srtp_keys *k,
		     const uint8_t *mkey, const uint8_t msalt[14],
		     uint8_t base_label)
{
	const EVP_CIPHER *ciph;

	if (vs_srtp_kdf(mkey, c->key_len, msalt, base_label, k->enc, c->key_len) ||
	    vs_srtp_kdf(mkey, c->key_len, msalt, (uint8_t)(base_label + 2),
		     k->salt, 14))
		return -1;
	if (c->gcm)
		ciph = c->key_len == 32 ? EVP_aes_256_gcm() : EVP_aes_128_gcm();
	else
		ciph = ctr_cipher(c->key_len);
	k->cipher = EVP_CIPHER_CTX_new();
	if (!k->cipher ||
	    EVP_CipherInit_ex(k->cipher, ciph, NULL, k->enc, NULL, 1) != 1)
		return -1;
	if (c->gcm)
		return 0;
	if (vs_srtp_kdf(mkey, c->key_len, msalt, (uint8_t)(base_label + 1),
		     k->auth, 20))
		return -1;
	{
		EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
		OSSL_PARAM params[] = {
			OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
							 (char *)"SHA1", 0),
			OSSL_PARAM_construct_end(),
		};
		if (!mac)
			return -1;
		k->mac = EVP_MAC_CTX_new(mac);
		EVP_MAC_free(mac); /* the context holds its own reference */
		if (!k->mac || EVP_MAC_init(k->mac, k->auth, 20, params) != 1)
			return -1;
	}
	return 0;
}

int vs_srtp_init(struct vs_srtp *c, enum sdes_suite suite,
		  const uint8_t *key_salt)
{
	const struct sdes_suite_info *si = sdes_suite_info(suite);
	uint8_t salt[14] = {0};

	memset(c, 0, sizeof(*c));
	if (!si)
		return -1;
	c->suite = suite;
	c->key_len = si->key_len;
	c->salt_len = si->salt_len;
	c->tag_len = si->tag_len;
	c->gcm = suite == SDES_AEAD_AES_128_GCM || suite == SDES_AEAD_AES_256_GCM;
	/* A 12-octet GCM master salt enters the KDF padded with two zero
	 * octets on the right (RFC 7714 11, as libsrtp does). */
	memcpy(salt, key_salt + si->key_len, si->salt_len);
	if (keys_init(c, &c->rtp, key_salt, salt, 0) ||
	    keys_init(c, &c->rtcp, key_salt, salt, 3)) {
		vs_srtp_free(c);
		return -1;
	}
	OPENSSL_cleanse(salt, sizeof(salt));
	return 0;
}

static void keys_free(struct vs_srtp_keys *k)
{
	EVP_CIPHER_CTX_free(k->cipher);
	EVP_MAC_CTX_free(k->mac);
	OPENSSL_cleanse(k, sizeof(*k));
}

void vs_srtp_free(struct vs_srtp *c)
{
	keys_free(&c->rtp);
	keys_free(&c->rtcp);
	OPENSSL_cleanse(c, sizeof(*c));
}

/* The stream for ssrc, or NULL.  With make, a free slot (or the one used
 * least recently) is given to it. */
static struct vs_srtp_stream *stream(struct vs_srtp *c, uint32_t ssrc, bool make)
{
	struct vs_srtp_stream *victim = &c->streams[0];

	for (int i = 0; i < VS_SRTP_MAX_SSRC; i++) {
		struct vs_srtp_stream *s = &c->streams[i];
		if (s->used && s->ssrc == ssrc) {
			if (i) { /* move to the front: most recent first */
				struct vs_srtp_stream t = *s;
				memmove(&c->streams[1], &c->streams[0],
					(size_t)i * sizeof(*s));
				c->streams[0] = t;
			}
			return &c->streams[0];
		}
	}
	if (!make)
		return NULL;
	victim = &c->streams[VS_SRTP_MAX_SSRC - 1];
	memmove(&c->streams[1], &c->streams[0],
		(VS_SRTP_MAX_SSRC - 1) * sizeof(*victim));
	memset(&c->streams[0], 0, sizeof(c->streams[0]));
	c->streams[0].used = true;
	c->streams[0].ssrc = ssrc;
	return &c->streams[0];
}

/* After a packet authenticated: a stream that was new (s is a temporary)
 * gets its slot now. */
static struct vs_srtp_stream *keep_stream(struct vs_srtp *c,
					 struct vs_srtp_stream *s, uint32_t ssrc)
{
	struct vs_srtp_stream *slot;

	if (s->used)
		return s;
	slot = stream(c, ssrc, true);
	*slot = *s;
	slot->used = true;
	slot->ssrc = ssrc;
	return slot;
}

void vs_srtp_set_roc(struct vs_srtp *c, uint32_t ssrc, uint32_t roc)
{
	stream(c, ssrc, true)->roc = roc;
}

/* Length of the RTP header (fixed part, CSRCs, extension), or 0. */
static size_t rtp_header(const uint8_t *p, size_t len)
{
	size_t h;

	if (len < 12 || (p[0] >> 6) != 2)
		return 0;
	h = 12 + 4 * (size_t)(p[0] & 0x0f);
	if (p[0] & 0x10) {
		if (len < h + 4)
			return 0;
		h += 4 + 4 * ((size_t)p[h + 2] << 8 | p[h + 3]);
	}
	return h <= len ? h : 0;
}

/* RFC 3711 3.3.1: the rollover counter v guessed for seq. */
static uint32_t guess_roc(const struct vs_srtp_stream *s, uint16_t seq)
{
	if (!s->s_l_set)
		return s->roc;
	if (s->s_l < 32768)
		return seq - s->s_l > 32768 ? s->roc - 1 : s->roc;
	return s->s_l - 32768 > seq ? s->roc + 1 : s->roc;
}

static void advance(struct vs_srtp_stream *s, uint32_t v, uint16_t seq)
{
	if (!s->s_l_set || v == s->roc + 1) {
		s->roc = v;
		s->s_l = seq;
		s->s_l_set = true;
	} else if (v == s->roc && seq > s->s_l) {
		s->s_l = seq;
	}
}

static bool replay_ok(const struct vs_srtp_replay *r, uint64_t idx)
{
	uint64_t d;

	if (!r->any || idx > r->top)
		return true;
	d = r->top - idx;
	return d < VS_SRTP_REPLAY_WINDOW && !(r->bitmap & (1ull << d));
}

static void replay_add(struct vs_srtp_replay *r, uint64_t idx)
{
	if (!r->any || idx > r->top) {
		uint64_t sh = r->any ? idx - r->top : VS_SRTP_REPLAY_WINDOW;
		r->bitmap = sh >= VS_SRTP_REPLAY_WINDOW ? 0 : r->bitmap << sh;
		r->bitmap |= 1;
		r->top = idx;
		r->any = true;
	} else {
		r->bitmap |= 1ull << (r->top - idx);
	}
}

/* AES-CM: IV = salt * 2^16 XOR SSRC * 2^64 XOR index * 2^16. */
static void cm_iv(const struct vs_srtp_keys *k, uint32_t ssrc, uint64_t idx,
		  uint8_t iv[16])
{
	memcpy(iv, k->salt, 14);
	iv[14] = iv[15] = 0;
	iv[4] ^= (uint8_t)(ssrc >> 24);
	iv[5] ^= (uint8_t)(ssrc >> 16);
	iv[6] ^= (uint8_t)(ssrc >> 8);
	iv[7] ^= (uint8_t)ssrc;
	for (int i = 0; i < 6; i++)
		iv[13 - i] ^= (uint8_t)(idx >> (8 * i));
}

/* GCM (RFC 7714 8.1, 9.1): IV = (0 0 || SSRC || hi || lo) XOR salt. */
static void gcm_iv(const struct vs_srtp_keys *k, uint32_t ssrc, uint32_t hi,
		   uint16_t lo, uint8_t iv[12])
{
	uint8_t x[12] = {0};

	put32(x + 2, ssrc);
	put32(x + 6, hi);
	x[10] = (uint8_t)(lo >> 8);
	x[11] = (uint8_t)lo;
	for (int i = 0; i < 12; i++)
		iv[i] = x[i] ^ k->salt[i];
}

static bool ctr(struct vs_srtp_keys *k, const uint8_t iv[16], uint8_t *p,
		size_t n)
{
	int out;

	return EVP_CipherInit_ex(k->cipher, NULL, NULL, NULL, iv, 1) == 1 &&
	       (n == 0 || EVP_CipherUpdate(k->cipher, p, &out, p, (int)n) == 1);
}

/* HMAC-SHA1 over a || b (b may be empty), the first tag_len octets. */
static bool hmac(struct vs_srtp_keys *k, const uint8_t *a, size_t alen,
		 const uint8_t *b, size_t blen, uint8_t out[20])
{
	size_t n;

	return EVP_MAC_init(k->mac, NULL, 0, NULL) == 1 &&
	       EVP_MAC_update(k->mac, a, alen) == 1 &&
	       (blen == 0 || EVP_MAC_update(k->mac, b, blen) == 1) &&
	       EVP_MAC_final(k->mac, out, &n, 20) == 1;
}

/* GCM seal or open: aad, then text in place; the tag is written (enc) or
 * checked.  False when OpenSSL failed or, opening, the tag is wrong. */
static bool gcm(struct vs_srtp_keys *k, int enc, const uint8_t iv[12],
		const uint8_t *aad1, size_t aad1_len, const uint8_t *aad2,
		size_t aad2_len, uint8_t *text, size_t n, uint8_t tag[16])
{
	EVP_CIPHER_CTX *x = k->cipher;
	int out;

	if (EVP_CipherInit_ex(x, NULL, NULL, NULL, iv, enc) != 1 ||
	    EVP_CipherUpdate(x, NULL, &out, aad1, (int)aad1_len) != 1 ||
	    (aad2_len && EVP_CipherUpdate(x, NULL, &out, aad2, (int)aad2_len) != 1) ||
	    (n && EVP_CipherUpdate(x, text, &out, text, (int)n) != 1))
		return false;
	if (!enc && EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_TAG, 16, tag) != 1)
		return false;
	if (EVP_CipherFinal_ex(x, text + n, &out) != 1)
		return false;
	return !enc || EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_GET_TAG, 16, tag) == 1;
}

enum vs_srtp_result vs_srtp_protect(struct vs_srtp *c, uint8_t *pkt, size_t *len,
			      size_t cap)
{
	size_t h = rtp_header(pkt, *len);
	uint16_t seq;
	uint32_t ssrc, v;
	struct vs_srtp_stream *s;

	if (!h)
		return VS_SRTP_E_MALFORMED;
	if (cap < *len || cap - *len < c->tag_len)
		return VS_SRTP_E_SPACE;
	seq = (uint16_t)(pkt[2] << 8 | pkt[3]);
	ssrc = get32(pkt + 8);
	s = stream(c, ssrc, true);
	v = guess_roc(s, seq);
	if (c->gcm) {
		uint8_t iv[12];
		gcm_iv(&c->rtp, ssrc, v, seq, iv);
		if (!gcm(&c->rtp, 1, iv, pkt, h, NULL, 0, pkt + h, *len - h,
			 pkt + *len))
			return VS_SRTP_E_CRYPTO;
	} else {
		uint8_t iv[16], roc[4], tag[20];
		cm_iv(&c->rtp, ssrc, (uint64_t)v << 16 | seq, iv);
		put32(roc, v);
		if (!ctr(&c->rtp, iv, pkt + h, *len - h) ||
		    !hmac(&c->rtp, pkt, *len, roc, 4, tag))
			return VS_SRTP_E_CRYPTO;
		memcpy(pkt + *len, tag, c->tag_len);
	}
	*len += c->tag_len;
	advance(s, v, seq);
	return VS_SRTP_OK;
}

enum vs_srtp_result vs_srtp_unprotect(struct vs_srtp *c, uint8_t *pkt, size_t *len)
{
	size_t h = rtp_header(pkt, *len), n;
	struct vs_srtp_stream tmp, *s;
	uint16_t seq;
	uint32_t ssrc, v;
	uint64_t idx;

	if (!h || *len - h < c->tag_len)
		return VS_SRTP_E_MALFORMED;
	n = *len - c->tag_len; /* header and payload */
	seq = (uint16_t)(pkt[2] << 8 | pkt[3]);
	ssrc = get32(pkt + 8);
	s = stream(c, ssrc, false);
	if (!s) { /* a new stream: kept only once it authenticates */
		memset(&tmp, 0, sizeof(tmp));
		s = &tmp;
	}
	v = guess_roc(s, seq);
	idx = (uint64_t)v << 16 | seq;
	if (!replay_ok(&s->rtp, idx))
		return VS_SRTP_E_REPLAY;
	if (c->gcm) {
		uint8_t iv[12];
		gcm_iv(&c->rtp, ssrc, v, seq, iv);
		if (!gcm(&c->rtp, 0, iv, pkt, h, NULL, 0, pkt + h, n - h,
			 pkt + n))
			return VS_SRTP_E_AUTH;
	} else {
		uint8_t iv[16], roc[4], tag[20];
		put32(roc, v);
		if (!hmac(&c->rtp, pkt, n, roc, 4, tag))
			return VS_SRTP_E_CRYPTO;
		if (CRYPTO_memcmp(tag, pkt + n, c->tag_len) != 0)
			return VS_SRTP_E_AUTH;
		cm_iv(&c->rtp, ssrc, idx, iv);
		if (!ctr(&c->rtp, iv, pkt + h, n - h))
			return VS_SRTP_E_CRYPTO;
	}
	s = keep_stream(c, s, ssrc);
	replay_add(&s->rtp, idx);
	advance(s, v, seq);
	*len = n;
	return VS_SRTP_OK;
}

static bool rtcp_ok(const uint8_t *p, size_t len)
{
	return len >= RTCP_HDR && (p[0] >> 6) == 2;
}

enum vs_srtp_result vs_srtcp_protect(struct vs_srtp *c, uint8_t *pkt, size_t *len,
			       size_t cap)
{
	size_t n = *len, tl = c->gcm ? 16 : 10;
	struct vs_srtp_stream *s;
	uint32_t ssrc, idx;
	uint8_t ei[4];

	if (!rtcp_ok(pkt, n))
		return VS_SRTP_E_MALFORMED;
	if (cap < n || cap - n < 4 + tl)
		return VS_SRTP_E_SPACE;
	ssrc = get32(pkt + 4);
	s = stream(c, ssrc, true);
	idx = s->rtcp_index = (s->rtcp_index + 1) & 0x7fffffffu;
	put32(ei, SRTCP_E | idx);
	if (c->gcm) {
		/* header || ciphertext || tag || E|index; AAD header || E|index */
		uint8_t iv[12];
		gcm_iv(&c->rtcp, ssrc, 0, 0, iv);
		for (int i = 0; i < 4; i++)
			iv[8 + i] ^= ei[i] & (i ? 0xff : 0x7f);
		if (!gcm(&c->rtcp, 1, iv, pkt, RTCP_HDR, ei, 4, pkt + RTCP_HDR,
			 n - RTCP_HDR, pkt + n))
			return VS_SRTP_E_CRYPTO;
		memcpy(pkt + n + 16, ei, 4);
	} else {
		uint8_t iv[16], tag[20];
		cm_iv(&c->rtcp, ssrc, idx, iv);
		if (!ctr(&c->rtcp, iv, pkt + RTCP_HDR, n - RTCP_HDR))
			return VS_SRTP_E_CRYPTO;
		memcpy(pkt + n, ei, 4);
		if (!hmac(&c->rtcp, pkt, n + 4, NULL, 0, tag))
			return VS_SRTP_E_CRYPTO;
		memcpy(pkt + n + 4, tag, 10);
	}
	*len = n + 4 + tl;
	return VS_SRTP_OK;
}

enum vs_srtp_result vs_srtcp_unprotect(struct vs_srtp *c, uint8_t *pkt,
				 size_t *len)
{
	size_t n = *len, tl = c->gcm ? 16 : 10, body;
	struct vs_srtp_stream tmp, *s;
	uint32_t ssrc, ei, idx;
	const uint8_t *eip;

	if (!rtcp_ok(pkt, n) || n < RTCP_HDR + 4 + tl)
		return VS_SRTP_E_MALFORMED;
	body = n - 4 - tl; /* header and (encrypted) payload */
	eip = c->gcm ? pkt + n - 4 : pkt + body;
	ei = get32(eip);
	idx = ei & 0x7fffffffu;
	ssrc = get32(pkt + 4);
	s = stream(c, ssrc, false);
	if (!s) {
		memset(&tmp, 0, sizeof(tmp));
		s = &tmp;
	}
	if (!replay_ok(&s->rtcp, idx))
		return VS_SRTP_E_REPLAY;
	if (c->gcm) {
		uint8_t iv[12], e4[4];
		memcpy(e4, eip, 4);
		gcm_iv(&c->rtcp, ssrc, 0, 0, iv);
		for (int i = 0; i < 4; i++)
			iv[8 + i] ^= e4[i] & (i ? 0xff : 0x7f);
		if (!(ei & SRTCP_E))
			return VS_SRTP_E_MALFORMED; /* unencrypted GCM: not offered */
		if (!gcm(&c->rtcp, 0, iv, pkt, RTCP_HDR, e4, 4, pkt + RTCP_HDR,
			 body - RTCP_HDR, pkt + body))
			return VS_SRTP_E_AUTH;
	} else {
		uint8_t iv[16], tag[20];
		if (!hmac(&c->rtcp, pkt, body + 4, NULL, 0, tag))
			return VS_SRTP_E_CRYPTO;
		if (CRYPTO_memcmp(tag, pkt + body + 4, tl) != 0)
			return VS_SRTP_E_AUTH;
		if (ei & SRTCP_E) {
			cm_iv(&c->rtcp, ssrc, idx, iv);
			if (!ctr(&c->rtcp, iv, pkt + RTCP_HDR, body - RTCP_HDR))
				return VS_SRTP_E_CRYPTO;
		}
	}
	s = keep_stream(c, s, ssrc);
	replay_add(&s->rtcp, idx);
	*len = body;
	return VS_SRTP_OK;
}
