/*
 * srtp.h - the SRTP and SRTCP packet transforms (RFC 3711; AES-GCM RFC
 * 7714; AES-256 RFC 6188) on OpenSSL's EVP primitives.
 *
 * Why not libsrtp2: Debian's libsrtp2 is built on NSS, where protecting a
 * 172-byte packet costs several times what the same AES and HMAC cost
 * through OpenSSL (docs/media.md has the figures, bench/srtp_vs_libsrtp.c
 * measures both).  The transform is small and fully specified; it is
 * checked byte for byte against the RFC 3711 and libsrtp vectors in
 * ../shared/testdata/srtp and against libsrtp2 itself as a test oracle.
 *
 * One vs_srtp holds the session keys of one direction of one leg (from
 * one SDES master key) and the state of up to VS_SRTP_MAX_SSRC streams in it
 * (rollover counter, highest sequence number, replay window).  A context
 * is used by one thread at a time.  Master keys derive session keys with
 * key derivation rate 0 (the SDES KDR parameter is refused in sdes.c).
 */
#ifndef VS_MEDIA_SRTP_H
#define VS_MEDIA_SRTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sdp/sdes.h"

#define VS_SRTP_MAX_SSRC 4	      /* streams tracked per context */
#define VS_SRTP_REPLAY_WINDOW 64 /* packets (RFC 3711 3.3.2 minimum) */
#define VS_SRTP_MAX_TRAILER 20   /* what protect may add (SRTCP: index + tag) */

enum vs_srtp_result {
	VS_SRTP_OK,
	VS_SRTP_E_MALFORMED, /* not an RTP/RTCP packet, or too short */
	VS_SRTP_E_AUTH,	  /* authentication tag wrong: counted as injection */
	VS_SRTP_E_REPLAY,	  /* seen already, or older than the window */
	VS_SRTP_E_SPACE,	  /* no room for the trailer */
	VS_SRTP_E_STREAMS,	  /* more SSRCs than VS_SRTP_MAX_SSRC */
	VS_SRTP_E_CRYPTO,	  /* OpenSSL failed */
};

struct vs_srtp_replay {
	uint64_t top;	 /* highest index accepted */
	uint64_t bitmap; /* bit n: top - n was accepted */
	bool any;
};

struct vs_srtp_stream {
	uint32_t ssrc;
	bool used;
	uint32_t roc;	     /* RTP rollover counter */
	uint16_t s_l;	     /* highest sequence number seen or sent */
	bool s_l_set;
	struct vs_srtp_replay rtp, rtcp;
	uint32_t rtcp_index; /* protect: the next SRTCP index */
};

struct vs_srtp_keys {
	uint8_t enc[32];
	uint8_t salt[14];
	uint8_t auth[20];
	void *cipher; /* EVP_CIPHER_CTX with the session key */
	void *mac;    /* EVP_MAC_CTX with the auth key (not for GCM) */
};

struct vs_srtp {
	enum sdes_suite suite;
	uint8_t key_len, salt_len, tag_len;
	bool gcm;
	struct vs_srtp_keys rtp, rtcp;
	struct vs_srtp_stream streams[VS_SRTP_MAX_SSRC];
};

/* Session keys from a master key and salt (key_salt: key || salt, as
 * sdes_crypto holds them).  0, or -1 when OpenSSL failed. */
int vs_srtp_init(struct vs_srtp *c, enum sdes_suite suite,
		  const uint8_t *key_salt);
void vs_srtp_free(struct vs_srtp *c);

/* RTP in place: *len grows by the tag (cap is the buffer's size). */
enum vs_srtp_result vs_srtp_protect(struct vs_srtp *c, uint8_t *pkt, size_t *len,
			      size_t cap);
/* SRTP in place: checked (tag, then replay), then decrypted; *len shrinks. */
enum vs_srtp_result vs_srtp_unprotect(struct vs_srtp *c, uint8_t *pkt, size_t *len);
enum vs_srtp_result vs_srtcp_protect(struct vs_srtp *c, uint8_t *pkt, size_t *len,
			       size_t cap);
enum vs_srtp_result vs_srtcp_unprotect(struct vs_srtp *c, uint8_t *pkt,
				 size_t *len);

/* Set a stream's rollover counter (tests; a re-keyed late joiner). */
void vs_srtp_set_roc(struct vs_srtp *c, uint32_t ssrc, uint32_t roc);

/* The RFC 3711 4.3 key derivation (AES-CM PRF, kdr 0): len bytes for
 * label from the master key (key_len 16 or 32) and 14-byte master salt.
 * Exposed for the RFC 3711 B.3 vectors.  0 or -1. */
int vs_srtp_kdf(const uint8_t *master_key, size_t key_len,
	     const uint8_t master_salt[14], uint8_t label, uint8_t *out,
	     size_t len);

#endif
