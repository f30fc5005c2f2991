/*
 * sdes.c - a=crypto (RFC 4568 9.1 grammar), see sdes.h.
 */
#include "sdp/sdes.h"

#include <stdio.h>
#include <string.h>

static const struct sdes_suite_info suites[SDES_SUITE_COUNT] = {
	[SDES_AES_CM_128_HMAC_SHA1_80] = {"AES_CM_128_HMAC_SHA1_80", 16, 14, 10},
	[SDES_AES_CM_128_HMAC_SHA1_32] = {"AES_CM_128_HMAC_SHA1_32", 16, 14, 4},
	[SDES_AES_256_CM_HMAC_SHA1_80] = {"AES_256_CM_HMAC_SHA1_80", 32, 14, 10},
	[SDES_AES_256_CM_HMAC_SHA1_32] = {"AES_256_CM_HMAC_SHA1_32", 32, 14, 4},
	[SDES_AEAD_AES_128_GCM] = {"AEAD_AES_128_GCM", 16, 12, 16},
	[SDES_AEAD_AES_256_GCM] = {"AEAD_AES_256_GCM", 32, 12, 16},
};

static const char *const errors[] = {
	[SDES_OK] = "ok",
	[SDES_E_SYNTAX] = "not tag suite inline:key",
	[SDES_E_SUITE] = "unsupported crypto suite",
	[SDES_E_KEY] = "key is not base64 of the suite's key and salt length",
	[SDES_E_LIFETIME] = "key lifetime out of range",
	[SDES_E_MKI] = "malformed MKI",
	[SDES_E_MULTIPLE] = "more than one key",
	[SDES_E_PARAMS] = "session parameters not supported",
};

const char *sdes_error_str(enum sdes_error e)
{
	return (unsigned)e < sizeof(errors) / sizeof(errors[0]) ? errors[e] : "?";
}

const struct sdes_suite_info *sdes_suite_info(enum sdes_suite s)
{
	return (unsigned)s < SDES_SUITE_COUNT ? &suites[s] : NULL;
}

int sdes_suite_find(const struct pl *n)
{
	for (int i = 0; i < SDES_SUITE_COUNT; i++)
		if (pl_eq_str(n, suites[i].name))
			return i;
	return -1;
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Strict base64 (RFC 4648 4), padding optional: the number of bytes, or
 * -1 when malformed or longer than max. */
static int b64_decode(const struct pl *in, uint8_t *out, size_t max)
{
	size_t len = in->l, n = 0;
	uint32_t acc = 0;
	int bits = 0;

	while (len && in->p[len - 1] == '=')
		len--;
	if (in->l - len > 2 || (in->l % 4 && in->l != len))
		return -1;
	for (size_t i = 0; i < len; i++) {
		int v = b64_value(in->p[i]);
		if (v < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == max)
				return -1;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	/* Left-over bits must be zero (one spelling per key). */
	if (bits >= 6 || (acc & ((1u << bits) - 1)))
		return -1;
	return (int)n;
}

static size_t b64_encode(const uint8_t *in, size_t len, char *out)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = 0;

	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		out[n++] = tab[v >> 18 & 63];
		out[n++] = tab[v >> 12 & 63];
		out[n++] = i + 1 < len ? tab[v >> 6 & 63] : '=';
		out[n++] = i + 2 < len ? tab[v & 63] : '=';
	}
	out[n] = 0;
	return n;
}

static bool digits(const char *p, const char *end, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (p == end || end - p > 20)
		return false;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > max)
			return false;
	}
	*out = v;
	return true;
}

/* key-info = key-salt ["|" lifetime] ["|" mki ":" length] */
static enum sdes_error key_info(struct pl ki, struct sdes_crypto *c)
{
	const struct sdes_suite_info *si = &suites[c->suite];
	const char *bar = memchr(ki.p, '|', ki.l);
	struct pl key = bar ? pl_from_range(ki.p, bar) : ki;
	int n = b64_decode(&key, c->key, sizeof(c->key));

	if (n < 0 || n != si->key_len + si->salt_len)
		return SDES_E_KEY;
	c->key_len = (uint8_t)n;
	while (bar) {
		const char *p = bar + 1, *end = pl_end(&ki), *colon;
		bar = memchr(p, '|', (size_t)(end - p));
		if (bar)
			end = bar;
		colon = memchr(p, ':', (size_t)(end - p));
		if (colon) { /* MKI */
			uint64_t v, l;
			if (c->mki_len || !digits(p, colon, UINT32_MAX, &v) ||
			    !digits(colon + 1, end, 128, &l) || l == 0)
				return SDES_E_MKI;
			if (l > 4) /* we read MKIs of at most 4 bytes */
				return SDES_E_MKI;
			if (l < 4 && v >> (8 * l))
				return SDES_E_MKI;
			c->mki = (uint32_t)v;
			c->mki_len = (uint8_t)l;
		} else { /* lifetime: 2^n or a number */
			uint64_t v;
			if (c->lifetime || c->mki_len)
				return SDES_E_LIFETIME;
			if (end - p > 2 && p[0] == '2' && p[1] == '^') {
				if (!digits(p + 2, end, 48, &v) || v == 0)
					return SDES_E_LIFETIME;
				v = (uint64_t)1 << v;
			} else if (!digits(p, end, (uint64_t)1 << 48, &v) || !v) {
				return SDES_E_LIFETIME;
			}
			c->lifetime = v;
		}
	}
	return SDES_OK;
}

enum sdes_error sdes_parse(const struct pl *value, struct sdes_crypto *out)
{
	const char *p = value->p, *end = pl_end(value), *sp;
	struct pl suite, params;
	uint64_t tag;
	int s;

	memset(out, 0, sizeof(*out));
	sp = memchr(p, ' ', (size_t)(end - p));
	if (!sp || !digits(p, sp, 999999999, &tag))
		return SDES_E_SYNTAX;
	out->tag = (uint32_t)tag;
	p = sp + 1;
	sp = memchr(p, ' ', (size_t)(end - p));
	if (!sp)
		return SDES_E_SYNTAX;
	suite = pl_from_range(p, sp);
	s = sdes_suite_find(&suite);
	if (s < 0)
		return SDES_E_SUITE;
	out->suite = (enum sdes_suite)s;
	p = sp + 1;
	sp = memchr(p, ' ', (size_t)(end - p));
	params = pl_from_range(p, sp ? sp : end);
	if (sp)
		out->session_params = pl_from_range(sp + 1, end);
	if (params.l < 7 || memcmp(params.p, "inline:", 7) != 0)
		return SDES_E_SYNTAX;
	if (memchr(params.p, ';', params.l))
		return SDES_E_MULTIPLE;
	/* Session parameters that change the transform are refused: the
	 * relay would not honour them (RFC 4568 6.3). */
	if (out->session_params.l &&
	    (memmem(out->session_params.p, out->session_params.l,
		    "UNENCRYPTED", 11) ||
	     memmem(out->session_params.p, out->session_params.l,
		    "UNAUTHENTICATED", 15) ||
	     memmem(out->session_params.p, out->session_params.l, "KDR=", 4) ||
	     memmem(out->session_params.p, out->session_params.l, "FEC_", 4)))
		return SDES_E_PARAMS;
	return key_info(pl_from_range(params.p + 7, pl_end(&params)), out);
}

size_t sdes_format(const struct sdes_crypto *c, char *out)
{
	char key[96];
	int n;

	b64_encode(c->key, c->key_len, key);
	n = snprintf(out, SDES_ATTR_MAX, "%u %s inline:%s", c->tag,
		     suites[c->suite].name, key);
	if (n > 0 && c->mki_len && (size_t)n < SDES_ATTR_MAX)
		n += snprintf(out + n, SDES_ATTR_MAX - (size_t)n, "|%u:%u",
			      c->mki, c->mki_len);
	return n > 0 && n < SDES_ATTR_MAX ? (size_t)n : 0;
}
