/*
 * fuzz_dns.c - DNS answers as the route resolver parses them
 * (transport/dns.c): SRV records, A and AAAA records with CNAME chains,
 * and the RFC 2782 ordering of whatever SRV records came out.  The
 * answer comes from the network (a DNS server, or whoever spoofs one).
 *
 * Invariants: parsing never reads outside the message; counts stay within
 * their caps; addresses carry the family asked for and the port given;
 * ordering keeps the records (same multiset of ports) with priorities
 * ascending.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "transport/dns.h"

static uint32_t rnd_state;

static uint32_t rnd(void)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return rnd_state >> 8;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_srv srv[DNS_MAX_SRV];
	struct vs_sockaddr a[DNS_MAX_ADDRS];
	unsigned n = 0;
	uint32_t ttl = 3600;
	int ns;

	ns = dns_parse_srv(data, size, "_sip._udp.trunk.test", srv, DNS_MAX_SRV);
	if (ns > DNS_MAX_SRV)
		abort();
	if (ns > 0) {
		unsigned sum_before = 0, sum_after = 0;
		for (int i = 0; i < ns; i++)
			sum_before += srv[i].port + srv[i].weight * 7u;
		rnd_state = (uint32_t)size;
		dns_srv_order(srv, (unsigned)ns, rnd);
		for (int i = 0; i < ns; i++) {
			sum_after += srv[i].port + srv[i].weight * 7u;
			if (i && srv[i - 1].priority > srv[i].priority)
				abort();
			if (strlen(srv[i].target) >= DNS_NAME_MAX)
				abort();
		}
		if (sum_before != sum_after)
			abort();
	}
	for (int f = 0; f < 2; f++) {
		int fam = f ? AF_INET6 : AF_INET;
		unsigned before = n;
		int added = dns_parse_addrs(data, size, "pbx.trunk.test", fam, 5060, a, &n,
					    DNS_MAX_ADDRS, &ttl);
		if (added >= 0 && n != before + (unsigned)added)
			abort();
		if (n > DNS_MAX_ADDRS)
			abort();
		for (unsigned i = before; i < n; i++)
			if (a[i].u.sa.sa_family != fam || vs_sa_port(&a[i]) != 5060)
				abort();
	}
	return 0;
}
