/*
 * nonce.c - stateless digest nonces and nonce-count replay protection.
 */
#include "auth/nonce.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/hash.h"

static const char b64url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static _Atomic uint64_t nonce_serial;
static atomic_bool serial_seeded;

int auth_secret_load(const char *path, uint8_t secret[AUTH_SECRET_LEN],
		     char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	if (fd >= 0) {
		struct stat st;
		if (fstat(fd, &st) == 0 && (st.st_mode & 077)) {
			snprintf(err, errlen,
				 "%s is readable by others (mode %03o): chmod 600 %s",
				 path, (unsigned)(st.st_mode & 0777), path);
			close(fd);
			return -1;
		}
		n = read(fd, secret, AUTH_SECRET_LEN);
		close(fd);
		if (n != AUTH_SECRET_LEN) {
			snprintf(err, errlen,
				 "%s is not a %d-byte secret: remove it to have a new one made (clients then re-authenticate)",
				 path, AUTH_SECRET_LEN);
			return -1;
		}
		return 0;
	}
	if (errno != ENOENT) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	if (vs_random(secret, AUTH_SECRET_LEN)) {
		snprintf(err, errlen, "no random bytes from the kernel");
		return -1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	n = write(fd, secret, AUTH_SECRET_LEN);
	if (n != AUTH_SECRET_LEN || fsync(fd)) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	return 0;
}

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

/* MAC over time, serial and realm: the first 16 bytes of HMAC-SHA256. */
static void nonce_mac(const uint8_t secret[AUTH_SECRET_LEN],
		      const uint8_t head[16], const struct pl *realm,
		      uint8_t mac[16])
{
	uint8_t full[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	uint8_t data[16 + 256];
	size_t rl = realm->l < 256 ? realm->l : 256;

	memcpy(data, head, 16);
	if (rl)
		memcpy(data + 16, realm->p, rl);
	HMAC(EVP_sha256(), secret, AUTH_SECRET_LEN, data, 16 + rl, full, &n);
	memcpy(mac, full, 16);
}

static void b64url_encode(const uint8_t in[32], char out[AUTH_NONCE_LEN + 1])
{
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0;

	for (size_t i = 0; i < 32; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			out[o++] = b64url[(acc >> bits) & 63];
		}
	}
	if (bits)
		out[o++] = b64url[(acc << (6 - bits)) & 63];
	out[o] = 0;
}

static bool b64url_decode(const struct pl *in, uint8_t out[32])
{
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;

	if (in->l != AUTH_NONCE_LEN)
		return false;
	for (size_t i = 0; i < in->l; i++) {
		const char *pos = memchr(b64url, in->p[i], 64);
		if (!pos || !in->p[i])
			return false;
		acc = (acc << 6) | (uint32_t)(pos - b64url);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o < 32)
				out[o++] = (uint8_t)(acc >> bits);
		}
	}
	/* The two spare bits of the last character must be zero. */
	return o == 32 && (acc & ((1u << bits) - 1)) == 0;
}

void auth_nonce_make(const uint8_t secret[AUTH_SECRET_LEN],
		     const struct pl *realm, uint64_t now,
		     char out[AUTH_NONCE_LEN + 1])
{
	uint8_t raw[32];
	uint64_t serial;

	/* Serial numbers start at a random point so that two processes
	 * sharing a secret do not hand out the same nonce. */
	if (!atomic_exchange(&serial_seeded, true)) {
		uint64_t seed = 0;
		vs_random(&seed, sizeof(seed));
		atomic_fetch_add(&nonce_serial, seed);
	}
	serial = atomic_fetch_add(&nonce_serial, 1);
	put_u64(raw, now);
	put_u64(raw + 8, serial);
	nonce_mac(secret, raw, realm, raw + 16);
	b64url_encode(raw, out);
}

enum auth_nonce_status auth_nonce_check(const uint8_t secret[AUTH_SECRET_LEN],
					const struct pl *realm,
					const struct pl *nonce, uint64_t now,
					uint32_t lifetime, uint64_t *issued)
{
	uint8_t raw[32], mac[16];
	uint64_t t;

	if (!nonce->p || !b64url_decode(nonce, raw))
		return AUTH_NONCE_INVALID;
	nonce_mac(secret, raw, realm, mac);
	if (CRYPTO_memcmp(mac, raw + 16, 16) != 0)
		return AUTH_NONCE_INVALID;
	t = get_u64(raw);
	/* A nonce from the future means a clock step or a forgery. */
	if (t > now + 5)
		return AUTH_NONCE_INVALID;
	if (issued)
		*issued = t;
	return now - t > lifetime ? AUTH_NONCE_STALE : AUTH_NONCE_OK;
}

int auth_nc_parse(const struct pl *nc, uint32_t *out)
{
	uint32_t v = 0;

	if (!nc->p || nc->l != 8)
		return EINVAL;
	for (size_t i = 0; i < 8; i++) {
		char c = vs_tolower(nc->p[i]);
		int d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else
			return EINVAL;
		v = (v << 4) | (uint32_t)d;
	}
	if (v == 0)
		return EINVAL;
	*out = v;
	return 0;
}

int auth_nc_init(struct auth_nc_table *t, uint32_t capacity)
{
	uint32_t per = 64;

	memset(t, 0, sizeof(*t));
	while (per * AUTH_NC_SHARDS < capacity)
		per <<= 1;
	for (int i = 0; i < AUTH_NC_SHARDS; i++) {
		t->shard[i].slots = calloc(per, sizeof(struct auth_nc_entry));
		if (!t->shard[i].slots) {
			auth_nc_destroy(t);
			return ENOMEM;
		}
		t->shard[i].nslots = per;
		pthread_mutex_init(&t->shard[i].lock, NULL);
	}
	return 0;
}

void auth_nc_destroy(struct auth_nc_table *t)
{
	for (int i = 0; i < AUTH_NC_SHARDS; i++) {
		if (t->shard[i].slots)
			pthread_mutex_destroy(&t->shard[i].lock);
		free(t->shard[i].slots);
		t->shard[i].slots = NULL;
	}
}

/* Slots looked at for one key before the oldest of them is replaced. */
#define NC_PROBE 8

enum auth_nc_status auth_nc_use(struct auth_nc_table *t, const struct pl *nonce,
				const struct pl *nc, uint64_t issued,
				uint32_t lifetime, uint64_t now)
{
	uint8_t raw[32];
	uint64_t key;
	uint32_t count = 0;
	struct auth_nc_shard *sh;
	struct auth_nc_entry *victim = NULL;
	enum auth_nc_status rc = AUTH_NC_OK;

	/* The MAC part of a verified nonce is unique and unpredictable. */
	if (!b64url_decode(nonce, raw))
		return AUTH_NC_REPLAY;
	key = get_u64(raw + 16) | 1;
	if (nc->p && auth_nc_parse(nc, &count))
		return AUTH_NC_REPLAY;
	sh = &t->shard[(raw[24] ^ raw[25]) % AUTH_NC_SHARDS];
	pthread_mutex_lock(&sh->lock);
	for (uint32_t i = 0; i < NC_PROBE; i++) {
		struct auth_nc_entry *e =
			&sh->slots[(key + i) & (sh->nslots - 1)];
		if (e->key == key) {
			/* Without qop the nonce is single-use (count 0). */
			if (!nc->p || count <= e->last_nc)
				rc = AUTH_NC_REPLAY;
			else
				e->last_nc = count;
			goto out;
		}
		/* The first free slot, else the entry expiring first. */
		if (!e->key) {
			if (!victim || victim->key)
				victim = e;
		} else if (!victim || (victim->key && e->expires < victim->expires)) {
			victim = e;
		}
	}
	if (victim->key && victim->expires >= now)
		atomic_fetch_add(&t->evictions, 1);
	victim->key = key;
	victim->expires = issued + lifetime;
	victim->last_nc = count;
out:
	pthread_mutex_unlock(&sh->lock);
	return rc;
}
