/* load_sip.c - see load_sip.h. */
#include "load_sip.h"

#include <arpa/inet.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

uint64_t load_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void load_record(struct load_stats *s, uint64_t ns)
{
	if (s->nlat == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 4096;
		s->lat = realloc(s->lat, s->cap * sizeof(*s->lat));
		if (!s->lat)
			exit(1);
	}
	s->lat[s->nlat++] = ns;
}

void load_reset(struct load_stats *s)
{
	s->nlat = 0;
	s->ok = s->failed = s->skipped = 0;
}

static int cmp64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

void load_result(struct load_stats *s, double elapsed_s)
{
	double p50 = 0, p99 = 0;

	if (s->nlat) {
		qsort(s->lat, s->nlat, sizeof(*s->lat), cmp64);
		p50 = (double)s->lat[(s->nlat - 1) / 2] / 1000;
		p99 = (double)s->lat[(size_t)((double)(s->nlat - 1) * 0.99)] / 1000;
	}
	printf("RESULT ok=%lu fail=%lu skipped=%lu elapsed_s=%.2f p50_us=%.0f p99_us=%.0f\n",
	       s->ok, s->failed, s->skipped, elapsed_s, p50, p99);
	fflush(stdout);
}

int load_slot_user(int slot, int nslots, int nusers, unsigned *cursor)
{
	int per = (nusers - slot + nslots - 1) / nslots;

	return slot + nslots * (int)((*cursor)++ % (unsigned)(per > 0 ? per : 1));
}

bool load_loopback(const char *port, struct sockaddr_in *sa)
{
	int p = atoi(port);

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)p);
	inet_pton(AF_INET, "127.0.0.1", &sa->sin_addr);
	return p > 0 && p < 65536;
}

static void md5hex(const char *in, char out[33])
{
	unsigned char md[16];
	unsigned int n;

	EVP_Digest(in, strlen(in), md, &n, EVP_md5(), NULL);
	for (int i = 0; i < 16; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}

int load_digest(char *out, size_t outsz, const char *user, const char *password,
		const char *method, const char *uri, const char *nonce, unsigned nc)
{
	char a1[256], a2[256], ha1[33], ha2[33], rs[512], resp[33], cn[17];
	int n;

	snprintf(cn, sizeof(cn), "%08x%08x", (unsigned)rand(), nc);
	snprintf(a1, sizeof(a1), "%s:%s:%s", user, LOAD_REALM, password);
	snprintf(a2, sizeof(a2), "%s:%s", method, uri);
	md5hex(a1, ha1);
	md5hex(a2, ha2);
	snprintf(rs, sizeof(rs), "%s:%s:%08x:%s:auth:%s", ha1, nonce, nc, cn, ha2);
	md5hex(rs, resp);
	n = snprintf(out, outsz,
		     "Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", uri=\"%s\", "
		     "response=\"%s\", algorithm=MD5, cnonce=\"%s\", qop=auth, nc=%08x",
		     user, LOAD_REALM, nonce, uri, resp, cn, nc);
	return n < 0 || (size_t)n >= outsz ? -1 : n;
}

bool load_take_nonce(const char *msg, size_t len, const char *hdr, char *out, size_t outsz)
{
	const char *p = msg, *end = msg + len;
	size_t hl = strlen(hdr);

	while ((p = memmem(p, (size_t)(end - p), hdr, hl))) {
		const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2), *n;
		if (!eol)
			return false;
		/* MD5: named, or the default when no algorithm is given. */
		bool md5 = memmem(p, (size_t)(eol - p), "MD5", 3) ||
			   !memmem(p, (size_t)(eol - p), "algorithm=", 10);
		if (md5 && (n = memmem(p, (size_t)(eol - p), "nonce=\"", 7))) {
			const char *q = memchr(n + 7, '"', (size_t)(eol - n - 7));
			if (!q || (size_t)(q - n - 7) >= outsz)
				return false;
			memcpy(out, n + 7, (size_t)(q - n - 7));
			out[q - n - 7] = 0;
			return true;
		}
		p = eol;
	}
	return false;
}
