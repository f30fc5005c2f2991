/*
 * fuzz_sip_uri.c - the URI parser and comparison: the input is split in
 * two at the first NUL byte and both halves are parsed and compared.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip/uri.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t la = nul ? (size_t)(nul - data) : size;
	size_t lb = nul ? size - la - 1 : 0;
	char *a = malloc(la ? la : 1), *b = malloc(lb ? lb : 1);
	struct sip_uri ua, ub;
	char tmp[256];

	if (!a || !b)
		goto out;
	memcpy(a, data, la);
	if (lb)
		memcpy(b, nul + 1, lb);
	struct pl pa = {a, la}, pb = {b, lb};
	if (sip_uri_parse(&ua, &pa) == 0) {
		struct pl v;
		(void)sip_uri_param(&ua, "transport", &v);
		(void)sip_uri_unescape(&ua.user, tmp, sizeof(tmp));
		/* Equality is reflexive for every valid URI. */
		if (!sip_uri_cmp(&ua, &ua) && ua.scheme != SIP_URI_NONE)
			abort();
		if (sip_uri_parse(&ub, &pb) == 0 &&
		    sip_uri_cmp(&ua, &ub) != sip_uri_cmp(&ub, &ua))
			abort(); /* and symmetric */
	}
out:
	free(a);
	free(b);
	return 0;
}
