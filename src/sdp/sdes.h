/*
 * sdes.h - SDP Security Descriptions (RFC 4568): the a=crypto attribute
 * that carries SRTP master keys in SDP.  Parsing checks the attribute
 * strictly and decodes the inline key; writing makes an attribute for a
 * fresh key of ours.
 *
 * Suites: AES_CM_128_HMAC_SHA1_80 and _32 (RFC 4568), AES_256_CM_HMAC_SHA1_80
 * and _32 (RFC 6188), AEAD_AES_128_GCM and AEAD_AES_256_GCM (RFC 7714).
 * Only one inline key per attribute is accepted (RFC 4568 allows several
 * with MKIs; no common phone sends them, and a second key would have to be
 * tracked by MKI in every packet).
 */
#ifndef VS_SDP_SDES_H
#define VS_SDP_SDES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/pl.h"

enum sdes_suite {
	SDES_AES_CM_128_HMAC_SHA1_80,
	SDES_AES_CM_128_HMAC_SHA1_32,
	SDES_AES_256_CM_HMAC_SHA1_80,
	SDES_AES_256_CM_HMAC_SHA1_32,
	SDES_AEAD_AES_128_GCM,
	SDES_AEAD_AES_256_GCM,
	SDES_SUITE_COUNT,
};

#define SDES_KEY_MAX 32	 /* master key bytes */
#define SDES_SALT_MAX 14 /* master salt bytes */

struct sdes_suite_info {
	const char *name;
	uint8_t key_len, salt_len, tag_len; /* bytes */
};

const struct sdes_suite_info *sdes_suite_info(enum sdes_suite s);
/* The suite named n, or -1 when we do not offer it. */
int sdes_suite_find(const struct pl *n);

struct sdes_crypto {
	uint32_t tag;		/* 1 to 999999999 */
	enum sdes_suite suite;
	uint8_t key[SDES_KEY_MAX + SDES_SALT_MAX]; /* master key, then salt */
	uint8_t key_len;	/* key + salt bytes, as the suite says */
	uint64_t lifetime;	/* packets; 0 when not given */
	uint32_t mki;		/* MKI value, when mki_len != 0 */
	uint8_t mki_len;	/* bytes of MKI in each packet; 0: none */
	struct pl session_params; /* as written (UNENCRYPTED_SRTP etc.) */
};

enum sdes_error {
	SDES_OK,
	SDES_E_SYNTAX,	  /* not "tag suite inline:..." */
	SDES_E_SUITE,	  /* a suite we do not offer */
	SDES_E_KEY,	  /* the key is not base64 or has the wrong length */
	SDES_E_LIFETIME,  /* lifetime out of range */
	SDES_E_MKI,	  /* MKI malformed or longer than 4 bytes */
	SDES_E_MULTIPLE,  /* more than one key */
	SDES_E_PARAMS,	  /* session parameters we cannot honour */
};

/* Parse the value of an a=crypto attribute (what follows "a=crypto:"). */
enum sdes_error sdes_parse(const struct pl *value, struct sdes_crypto *out);
const char *sdes_error_str(enum sdes_error e);

/* The attribute value for c ("1 AES_CM_128_HMAC_SHA1_80 inline:..."), NUL
 * terminated, into out (at least SDES_ATTR_MAX bytes); returns its length. */
#define SDES_ATTR_MAX 160
size_t sdes_format(const struct sdes_crypto *c, char *out);

#endif
