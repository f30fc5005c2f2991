/*
 * local.c - addresses and domains of this server (see local.h).
 */
#include "sip/local.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <string.h>

void sip_local_init(struct sip_local *loc, const struct vs_config *cfg)
{
	bool wildcard = false;

	memset(loc, 0, sizeof(*loc));
	loc->cfg = cfg;
	for (size_t i = 0; i < cfg->nlisten && loc->naddrs < SIP_LOCAL_MAX_ADDRS;
	     i++) {
		struct vs_sockaddr *a = &loc->addrs[loc->naddrs];
		memcpy(&a->u, &cfg->listen[i].sa, cfg->listen[i].salen);
		a->len = cfg->listen[i].salen;
		if (vs_sa_is_any(a))
			wildcard = true;
		else
			loc->naddrs++;
	}
	if (wildcard) {
		struct ifaddrs *ifs, *ifa;
		if (getifaddrs(&ifs) == 0) {
			for (ifa = ifs; ifa && loc->naddrs < SIP_LOCAL_MAX_ADDRS;
			     ifa = ifa->ifa_next) {
				struct vs_sockaddr *a = &loc->addrs[loc->naddrs];
				if (!ifa->ifa_addr)
					continue;
				if (ifa->ifa_addr->sa_family == AF_INET)
					a->len = sizeof(struct sockaddr_in);
				else if (ifa->ifa_addr->sa_family == AF_INET6)
					a->len = sizeof(struct sockaddr_in6);
				else
					continue;
				memcpy(&a->u, ifa->ifa_addr, a->len);
				loc->naddrs++;
			}
			freeifaddrs(ifs);
		}
	}
}

bool sip_local_is_us(const struct sip_local *loc, const struct sip_uri *uri)
{
	char host[VS_IPSTR_MAX];
	struct vs_sockaddr a;

	if (uri->scheme != SIP_URI_SIP && uri->scheme != SIP_URI_SIPS)
		return false;
	if (uri->host_type == SIP_HOST_NAME) {
		struct pl h = uri->host;
		/* A fully qualified name may end in a dot. */
		if (h.l && h.p[h.l - 1] == '.')
			h.l--;
		for (size_t i = 0; i < loc->cfg->ndomains; i++) {
			if (pl_caseeq_str(&h, loc->cfg->domains[i]))
				return true;
		}
		return false;
	}
	memset(&a, 0, sizeof(a));
	if (uri->host_type == SIP_HOST_IPV6) {
		struct pl inner = pl_make(uri->host.p + 1, uri->host.l - 2);
		pl_strcpy(&inner, host, sizeof(host));
		if (inet_pton(AF_INET6, host, &a.u.in6.sin6_addr) != 1)
			return false;
		a.u.in6.sin6_family = AF_INET6;
		a.len = sizeof(a.u.in6);
	} else {
		pl_strcpy(&uri->host, host, sizeof(host));
		if (inet_pton(AF_INET, host, &a.u.in.sin_addr) != 1)
			return false;
		a.u.in.sin_family = AF_INET;
		a.len = sizeof(a.u.in);
	}
	for (size_t i = 0; i < loc->naddrs; i++) {
		if (vs_sa_ip_eq(&loc->addrs[i], &a))
			return true;
	}
	return false;
}

