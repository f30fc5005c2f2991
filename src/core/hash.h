/*
 * hash.h - keyed hashing for tables indexed by attacker-chosen data.
 *
 * SipHash-2-4 with a per-process random key: an attacker who does not know
 * the key cannot aim many keys at one bucket.
 */
#ifndef VS_CORE_HASH_H
#define VS_CORE_HASH_H

#include <stddef.h>
#include <stdint.h>

/* Fill the process-wide key from the kernel's CSPRNG (call once). */
int vs_hash_init(void);
uint64_t vs_siphash(const void *data, size_t len, const uint8_t key[16]);
/* SipHash with the process-wide key. */
uint64_t vs_hash(const void *data, size_t len);
/* Fill buf with random bytes from getrandom(2). Returns 0 or an errno. */
int vs_random(void *buf, size_t len);

#endif
