/*
 * fuzz_tls_ident.c - RFC 5922 identity matching (tls_ident.c) on hostile
 * certificates: the input is a DER certificate (as a peer would send),
 * matched against host names, SIP identities and IP addresses.  Whatever
 * the subjectAltName and subject hold (NULs, huge or empty strings, odd
 * types), the match must not crash, leak or read out of bounds.
 */
#include <openssl/x509.h>
#include <stddef.h>
#include <stdint.h>

#include "transport/tls_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {
		"pbx.example.test", "alice@example.test", "127.0.0.1", "::1",
		"example.test", "a", "*.example.test",
	};
	const unsigned char *p = data;
	X509 *cert = d2i_X509(NULL, &p, (long)size);

	if (!cert)
		return 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		(void)tls_cert_names(cert, names[i]);
	X509_free(cert);
	return 0;
}
