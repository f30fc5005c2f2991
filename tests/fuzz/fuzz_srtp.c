/*
 * fuzz_srtp.c - the SRTP/SRTCP transform on hostile packets.
 *
 * The first byte picks the suite and what to do; the rest is a packet.
 * Unprotecting attacker bytes must fail cleanly (never crash, never read
 * or write out of bounds, never accept: the key is secret), and any packet
 * we protect must unprotect back to itself, once.  Round trips use fresh
 * contexts per input: a sender that jumps its sequence number by more
 * than 2^15, as inputs in a row would, makes the rollover counter
 * ambiguous by design (RFC 3711 3.3.1).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "media/srtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct vs_srtp rx[SDES_SUITE_COUNT];
static uint8_t key[46];
static bool ready;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t buf[1600], copy[1600];
	size_t n, n0;
	int suite, op;

	struct vs_srtp tx, rx1;

	if (!ready) {
		for (int i = 0; i < 46; i++)
			key[i] = (uint8_t)(i * 5 + 1);
		for (int s = 0; s < SDES_SUITE_COUNT; s++)
			if (vs_srtp_init(&rx[s], (enum sdes_suite)s, key))
				abort();
		ready = true;
	}
	if (size < 1 || size - 1 > 1500)
		return 0;
	suite = data[0] % SDES_SUITE_COUNT;
	op = (data[0] / SDES_SUITE_COUNT) % 4;
	n = n0 = size - 1;
	memcpy(buf, data + 1, n);
	memcpy(copy, data + 1, n);
	if (op >= 2 && (vs_srtp_init(&tx, (enum sdes_suite)suite, key) ||
			vs_srtp_init(&rx1, (enum sdes_suite)suite, key)))
		abort();
	switch (op) {
	case 0: /* forged SRTP: must never authenticate */
		if (vs_srtp_unprotect(&rx[suite], buf, &n) == VS_SRTP_OK)
			abort();
		break;
	case 1: /* forged SRTCP */
		if (vs_srtcp_unprotect(&rx[suite], buf, &n) == VS_SRTP_OK)
			abort();
		break;
	case 2: /* our own RTP: round trip, then a replay is refused */
		if (vs_srtp_protect(&tx, buf, &n, sizeof(buf)) != VS_SRTP_OK)
			break;
		{
			uint8_t again[1600];
			size_t m = n;
			enum vs_srtp_result r;
			memcpy(again, buf, n);
			r = vs_srtp_unprotect(&rx1, buf, &n);
			if (r != VS_SRTP_OK || n != n0 || memcmp(buf, copy, n))
				abort();
			if (vs_srtp_unprotect(&rx1, again, &m) != VS_SRTP_E_REPLAY)
				abort();
		}
		break;
	default: /* our own RTCP */
		if (vs_srtcp_protect(&tx, buf, &n, sizeof(buf)) != VS_SRTP_OK)
			break;
		if (vs_srtcp_unprotect(&rx1, buf, &n) != VS_SRTP_OK ||
		    n != n0 || memcmp(buf, copy, n))
			abort();
		break;
	}
	if (op >= 2) {
		vs_srtp_free(&tx);
		vs_srtp_free(&rx1);
	}
	return 0;
}
