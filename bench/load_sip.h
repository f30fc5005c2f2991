/*
 * load_sip.h - what the C load generators of bench/ share (tls_load,
 * call_load): a monotonic clock, latency percentiles and the RESULT line,
 * MD5 digest credentials (RFC 2617 with qop=auth) and the nonce of a
 * challenge.  Benchmark tools only: they talk to 127.0.0.1.
 */
#ifndef VS_BENCH_LOAD_SIP_H
#define VS_BENCH_LOAD_SIP_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LOAD_REALM "bench.test"

uint64_t load_now_ns(void);

/* Latencies (ns) and the counts printed by load_result(). */
struct load_stats {
	uint64_t *lat;
	size_t nlat, cap;
	unsigned long ok, failed, skipped;
};

void load_record(struct load_stats *s, uint64_t ns);
/* Forget what was counted (after a warm-up). */
void load_reset(struct load_stats *s);
/* Prints "RESULT ok=N fail=N skipped=N elapsed_s=X p50_us=X p99_us=X". */
void load_result(struct load_stats *s, double elapsed_s);

/*
 * Slot slot of nslots (a socket or connection) serves users slot,
 * slot + nslots, ... in turn, one transaction at a time, so that each
 * user's CSeq and nonce-count stay in order: the next one (cursor is the
 * slot's own counter).
 */
int load_slot_user(int slot, int nslots, int nusers, unsigned *cursor);

/* 127.0.0.1:port in *sa; false when port is not a port number. */
bool load_loopback(const char *port, struct sockaddr_in *sa);

/*
 * The credentials header value for an MD5 challenge with qop=auth:
 * `Digest username=..., response=...` for METHOD and URI, nonce-count nc.
 * Returns its length, or -1 when it does not fit in out.
 */
int load_digest(char *out, size_t outsz, const char *user, const char *password,
		const char *method, const char *uri, const char *nonce, unsigned nc);

/*
 * The nonce of the MD5 challenge in the header HDR ("WWW-Authenticate:" or
 * "Proxy-Authenticate:") of a response, copied into out with a NUL.
 */
bool load_take_nonce(const char *msg, size_t len, const char *hdr, char *out, size_t outsz);

#endif
