/*
 * digest.c - SIP digest authentication arithmetic.
 *
 * Hashing uses OpenSSL's EVP interface (libcrypto), fed piece by piece so
 * that no string is assembled in a fixed buffer from network input.
 */
#include "auth/digest.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

static const char *const algo_names[AUTH_ALGO_COUNT] = {
	[AUTH_ALGO_MD5] = "MD5",
	[AUTH_ALGO_SHA256] = "SHA-256",
	[AUTH_ALGO_SHA512_256] = "SHA-512-256",
};

static const EVP_MD *algo_md(enum auth_algo algo)
{
	switch (algo) {
	case AUTH_ALGO_MD5:
		return EVP_md5();
	case AUTH_ALGO_SHA256:
		return EVP_sha256();
	case AUTH_ALGO_SHA512_256:
		return EVP_sha512_256();
	default:
		return NULL;
	}
}

const char *auth_algo_name(enum auth_algo algo)
{
	return (unsigned)algo < AUTH_ALGO_COUNT ? algo_names[algo] : "";
}

size_t auth_algo_hexlen(enum auth_algo algo)
{
	return algo == AUTH_ALGO_MD5 ? 32 : 64;
}

int auth_algo_parse(const struct pl *name, enum auth_algo *algo, bool *sess)
{
	struct pl base;

	if (!name->p) {
		*algo = AUTH_ALGO_MD5;
		*sess = false;
		return 0;
	}
	base = *name;
	*sess = false;
	if (base.l > 5) {
		struct pl tail = pl_make(base.p + base.l - 5, 5);
		if (pl_caseeq_str(&tail, "-sess")) {
			*sess = true;
			base.l -= 5;
		}
	}
	for (int a = 0; a < AUTH_ALGO_COUNT; a++) {
		if (pl_caseeq_str(&base, algo_names[a])) {
			*algo = (enum auth_algo)a;
			return 0;
		}
	}
	return EINVAL;
}

/* Incremental hashing of pieces separated by ':'. */
struct hasher {
	EVP_MD_CTX *ctx;
	bool ok;
};

static bool hasher_start(struct hasher *h, enum auth_algo algo)
{
	const EVP_MD *md = algo_md(algo);

	h->ctx = EVP_MD_CTX_new();
	h->ok = h->ctx && md && EVP_DigestInit_ex(h->ctx, md, NULL) == 1;
	return h->ok;
}

static void hasher_put(struct hasher *h, const struct pl *pl)
{
	if (h->ok && pl->l)
		h->ok = EVP_DigestUpdate(h->ctx, pl->p, pl->l) == 1;
}

static void hasher_colon(struct hasher *h)
{
	if (h->ok)
		h->ok = EVP_DigestUpdate(h->ctx, ":", 1) == 1;
}

/* Finish as lower-case hex into out; returns 0 or EIO. */
static int hasher_hex(struct hasher *h, char out[AUTH_HEX_MAX])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	int rc = EIO;

	if (h->ok && EVP_DigestFinal_ex(h->ctx, md, &n) == 1 &&
	    n * 2 < AUTH_HEX_MAX) {
		for (unsigned int i = 0; i < n; i++) {
			out[2 * i] = hex[md[i] >> 4];
			out[2 * i + 1] = hex[md[i] & 15];
		}
		out[2 * n] = 0;
		rc = 0;
	}
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
	return rc;
}

int auth_hash_hex(enum auth_algo algo, const void *data, size_t len,
		  char out[AUTH_HEX_MAX])
{
	struct hasher h;
	struct pl pl = pl_make(data, len);

	hasher_start(&h, algo);
	hasher_put(&h, &pl);
	return hasher_hex(&h, out);
}

int auth_ha1(enum auth_algo algo, const struct pl *user, const struct pl *realm,
	     const struct pl *password, char out[AUTH_HEX_MAX])
{
	struct hasher h;

	if (!hasher_start(&h, algo))
		return hasher_hex(&h, out);
	hasher_put(&h, user);
	hasher_colon(&h);
	hasher_put(&h, realm);
	hasher_colon(&h);
	hasher_put(&h, password);
	return hasher_hex(&h, out);
}

int auth_response(const struct auth_digest_in *in, char out[AUTH_HEX_MAX])
{
	char ha1[AUTH_HEX_MAX], ha2[AUTH_HEX_MAX], hbody[AUTH_HEX_MAX];
	struct pl ha1_pl = in->ha1, hex;
	bool auth_int = pl_caseeq_str(&in->qop, "auth-int");
	struct hasher h;
	int err;

	if (in->ha1.l != auth_algo_hexlen(in->algo))
		return EINVAL;
	/* RFC 7616 3.4.2: for -sess, HA1 = H(H(user:realm:pass):nonce:cnonce). */
	if (in->sess) {
		hasher_start(&h, in->algo);
		hasher_put(&h, &in->ha1);
		hasher_colon(&h);
		hasher_put(&h, &in->nonce);
		hasher_colon(&h);
		hasher_put(&h, &in->cnonce);
		if ((err = hasher_hex(&h, ha1)))
			return err;
		ha1_pl = pl_make(ha1, strlen(ha1));
	}
	/* RFC 7616 3.4.3: HA2 = H(method:uri[:H(body)]). */
	if (auth_int) {
		hasher_start(&h, in->algo);
		hasher_put(&h, &in->body);
		if ((err = hasher_hex(&h, hbody)))
			return err;
	}
	hasher_start(&h, in->algo);
	hasher_put(&h, &in->method);
	hasher_colon(&h);
	hasher_put(&h, &in->uri);
	if (auth_int) {
		hex = pl_make(hbody, strlen(hbody));
		hasher_colon(&h);
		hasher_put(&h, &hex);
	}
	if ((err = hasher_hex(&h, ha2)))
		return err;
	/* RFC 7616 3.4.1: response = H(HA1:nonce[:nc:cnonce:qop]:HA2). */
	hasher_start(&h, in->algo);
	hasher_put(&h, &ha1_pl);
	hasher_colon(&h);
	hasher_put(&h, &in->nonce);
	hasher_colon(&h);
	if (in->qop.p) {
		hasher_put(&h, &in->nc);
		hasher_colon(&h);
		hasher_put(&h, &in->cnonce);
		hasher_colon(&h);
		hasher_put(&h, &in->qop);
		hasher_colon(&h);
	}
	hex = pl_make(ha2, strlen(ha2));
	hasher_put(&h, &hex);
	return hasher_hex(&h, out);
}

bool auth_ct_eq(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

bool auth_response_ok(const struct auth_digest_in *in,
		      const struct pl *response)
{
	char want[AUTH_HEX_MAX], got[AUTH_HEX_MAX];
	size_t n = auth_algo_hexlen(in->algo);

	/* The length is public (it follows from the algorithm). */
	if (response->l != n || auth_response(in, want))
		return false;
	/* Clients may send upper-case hex; compare case-folded copies. */
	for (size_t i = 0; i < n; i++)
		got[i] = vs_tolower(response->p[i]);
	return auth_ct_eq(want, got, n);
}
