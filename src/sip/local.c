/*
 * local.c - addresses and domains of this server (see local.h).
 */
#include "sip/local.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <string.h>

static void add_addr(struct sip_local *loc, const struct sockaddr *sa,
		     socklen_t len, uint16_t port)
{
	struct vs_sockaddr *a;

	if (loc->naddrs >= SIP_LOCAL_MAX_ADDRS)
		return;
	a = &loc->addrs[loc->naddrs++];
	memset(a, 0, sizeof(*a));
	memcpy(&a->u, sa, len);
	a->len = len;
	if (sa->sa_family == AF_INET6)
		a->u.in6.sin6_port = htons(port);
	else
		a->u.in.sin_port = htons(port);
}

void sip_local_init(struct sip_local *loc, const struct vs_config *cfg)
{
	struct ifaddrs *ifs = NULL;

	memset(loc, 0, sizeof(*loc));
	loc->cfg = cfg;
	for (size_t i = 0; i < cfg->nlisten; i++) {
		const struct vs_listener *l = &cfg->listen[i];
		struct vs_sockaddr a;
		memcpy(&a.u, &l->sa, l->salen);
		a.len = l->salen;
		if (!vs_sa_is_any(&a)) {
			add_addr(loc, &a.u.sa, a.len, l->port);
			continue;
		}
		/* A wildcard listener: every interface address of its family,
		 * with the listener's port. */
		if (!ifs && getifaddrs(&ifs))
			continue;
		for (struct ifaddrs *ifa = ifs; ifa; ifa = ifa->ifa_next) {
			if (!ifa->ifa_addr || ifa->ifa_addr->sa_family != a.u.sa.sa_family)
				continue;
			add_addr(loc, ifa->ifa_addr,
				 ifa->ifa_addr->sa_family == AF_INET6
					 ? sizeof(struct sockaddr_in6)
					 : sizeof(struct sockaddr_in),
				 l->port);
		}
	}
	if (ifs)
		freeifaddrs(ifs);
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
			if (!pl_caseeq_str(&h, loc->cfg->domains[i]))
				continue;
			if (!uri->has_port)
				return true;
			/* An explicit port must be one we listen on. */
			for (size_t j = 0; j < loc->cfg->nlisten; j++) {
				if (loc->cfg->listen[j].port == uri->port)
					return true;
			}
			return false;
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
	/* Another port on our address is another server (RFC 3261 19.1.4:
	 * the port is part of the URI); a URI without one names the host. */
	for (size_t i = 0; i < loc->naddrs; i++) {
		if (vs_sa_ip_eq(&loc->addrs[i], &a) &&
		    (!uri->has_port || vs_sa_port(&loc->addrs[i]) == uri->port))
			return true;
	}
	return false;
}

