/*
 * fuzz_sdp.c - the SDP parser, writer and SDES reader on hostile bodies.
 *
 * Besides not crashing: whatever parses must be written again (with the
 * relay's address, ports, a new protocol, ICE stripped and a crypto line
 * of ours) into a body that parses, with the relay's values in it; every
 * a=crypto that parses must format and parse back to the same key.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sdp/sdes.h"
#include "sdp/sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sdp_session s, s2;
static char out[131072];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sdp_edit e;
	struct mbuf mb;

	if (size > 65535 || sdp_parse((const char *)data, size, &s) != SDP_OK)
		return 0;
	for (unsigned i = 0; i < s.nmedia; i++) {
		for (unsigned k = 0; k < s.m[i].ncrypto; k++) {
			struct sdes_crypto c, c2;
			char attr[SDES_ATTR_MAX];
			struct pl v;
			if (sdes_parse(&s.m[i].crypto[k], &c) != SDES_OK)
				continue;
			if (!sdes_format(&c, attr))
				abort();
			v = pl_from_cstr(attr);
			if (sdes_parse(&v, &c2) != SDES_OK || c2.key_len != c.key_len ||
			    memcmp(c2.key, c.key, c.key_len) || c2.mki != c.mki ||
			    c2.mki_len != c.mki_len)
				abort();
		}
	}
	memset(&e, 0, sizeof(e));
	e.addr = "203.0.113.5";
	e.af = 4;
	for (unsigned i = 0; i < s.nmedia; i++) {
		e.m[i].port = (uint16_t)(30000 + 2 * i);
		e.m[i].rtcp_port = (uint16_t)(30001 + 2 * i);
		e.m[i].proto = "RTP/SAVP";
		e.m[i].replace_crypto = true;
		e.m[i].crypto[0] = "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR";
		e.m[i].ncrypto = 1;
		e.m[i].strip_ice = true;
		e.m[i].keep = (i & 3) == 3;
	}
	mbuf_init(&mb, out, sizeof(out));
	if (sdp_write(&s, &e, &mb) != 0)
		abort(); /* 2 x 65535 always fits what the writer adds */
	if (sdp_parse(out, mb.len, &s2) != SDP_OK || s2.nmedia != s.nmedia)
		abort();
	for (unsigned i = 0; i < s.nmedia; i++) {
		if (e.m[i].keep)
			continue;
		if (s2.m[i].port != e.m[i].port || s2.m[i].ncrypto != 1 ||
		    s2.m[i].rtcp_port != e.m[i].rtcp_port || s2.m[i].ice ||
		    !pl_eq_str(&sdp_media_conn(&s2, i)->addr, "203.0.113.5"))
			abort();
	}
	return 0;
}
