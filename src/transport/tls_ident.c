/*
 * tls_ident.c - who a verified peer certificate says the peer is
 * (RFC 5922 7.1 and 7.2, see tls.h).
 *
 * OpenSSL's X509_check_host knows DNS names and the common name but not
 * the sip: URIs of RFC 5922, and it accepts wildcards, which RFC 5922
 * 7.2 forbids for SIP domains; so the comparison is ours.
 */
#include <arpa/inet.h>
#include <openssl/x509v3.h>
#include <strings.h>
#include <string.h>

#include "transport/tls.h"
#include "transport/tls_int.h"

/* An ASN.1 string equal to name, ignoring case; embedded NULs never
 * match. */
static bool asn1_is(const ASN1_STRING *s, const char *prefix,
		    const char *name)
{
	const unsigned char *d = ASN1_STRING_get0_data(s);
	size_t len = (size_t)ASN1_STRING_length(s);
	size_t plen = strlen(prefix), nlen = strlen(name);

	if (!d || len != plen + nlen || memchr(d, 0, len))
		return false;
	return strncasecmp((const char *)d, prefix, plen) == 0 &&
	       strncasecmp((const char *)d + plen, name, nlen) == 0;
}

static bool ip_is(const ASN1_OCTET_STRING *s, const char *name)
{
	unsigned char want[16];
	int len;

	if (inet_pton(AF_INET, name, want) == 1)
		len = 4;
	else if (inet_pton(AF_INET6, name, want) == 1)
		len = 16;
	else
		return false;
	return ASN1_STRING_length(s) == len &&
	       memcmp(ASN1_STRING_get0_data(s), want, (size_t)len) == 0;
}

bool tls_cert_names(X509 *cert, const char *name)
{
	GENERAL_NAMES *sans = X509_get_ext_d2i(cert, NID_subject_alt_name,
					       NULL, NULL);
	struct in6_addr tmp;
	bool is_ip = inet_pton(AF_INET, name, &tmp) == 1 ||
		     inet_pton(AF_INET6, name, &tmp) == 1;
	bool any_dns = false, found = false;

	for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans) && !found; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);
		if (g->type == GEN_IPADD) {
			found = is_ip && ip_is(g->d.iPAddress, name);
		} else if (g->type == GEN_DNS) {
			any_dns = true;
			found = !is_ip && asn1_is(g->d.dNSName, "", name);
		} else if (g->type == GEN_URI) {
			/* sip:example.com, sips: too; never user@host. */
			any_dns = true;
			found = !is_ip &&
				(asn1_is(g->d.uniformResourceIdentifier,
					 "sip:", name) ||
				 asn1_is(g->d.uniformResourceIdentifier,
					 "sips:", name));
		}
	}
	GENERAL_NAMES_free(sans);
	if (found || any_dns || is_ip)
		return found;
	/* No host names in subjectAltName: the common name (RFC 5922 7.1). */
	X509_NAME *subj = X509_get_subject_name(cert);
	for (int i = -1;
	     (i = X509_NAME_get_index_by_NID(subj, NID_commonName, i)) >= 0;) {
		X509_NAME_ENTRY *e = X509_NAME_get_entry(subj, i);
		if (asn1_is(X509_NAME_ENTRY_get_data(e), "", name))
			return true;
	}
	return false;
}

bool tls_conn_peer_is(const struct tls_conn *c, const char *name)
{
	X509 *cert = SSL_get0_peer_certificate(c->ssl);

	return cert && name[0] && tls_cert_names(cert, name);
}
