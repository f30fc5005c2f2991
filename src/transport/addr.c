/*
 * addr.c - socket addresses (IPv4 and IPv6).
 */
#include "transport/addr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static bool is_v4mapped(const struct sockaddr_in6 *s)
{
	return IN6_IS_ADDR_V4MAPPED(&s->sin6_addr);
}

size_t vs_sa_ip_bytes(const struct vs_sockaddr *a, uint8_t out[16])
{
	if (a->u.sa.sa_family == AF_INET) {
		memcpy(out, &a->u.in.sin_addr, 4);
		return 4;
	}
	if (a->u.sa.sa_family == AF_INET6) {
		if (is_v4mapped(&a->u.in6)) {
			memcpy(out, (const uint8_t *)&a->u.in6.sin6_addr + 12, 4);
			return 4;
		}
		memcpy(out, &a->u.in6.sin6_addr, 16);
		return 16;
	}
	return 0;
}

size_t vs_sa_ip_str(const struct vs_sockaddr *a, char *buf, size_t size)
{
	const void *src;
	int af = a->u.sa.sa_family;

	if (af == AF_INET)
		src = &a->u.in.sin_addr;
	else if (af == AF_INET6)
		src = &a->u.in6.sin6_addr;
	else
		src = NULL;
	if (!src || !inet_ntop(af, src, buf, (socklen_t)size)) {
		snprintf(buf, size, "?");
		return strlen(buf);
	}
	return strlen(buf);
}

uint16_t vs_sa_port(const struct vs_sockaddr *a)
{
	if (a->u.sa.sa_family == AF_INET)
		return ntohs(a->u.in.sin_port);
	if (a->u.sa.sa_family == AF_INET6)
		return ntohs(a->u.in6.sin6_port);
	return 0;
}

bool vs_sa_from_ip(struct vs_sockaddr *out, const char *ip, uint16_t port)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, ip, &out->u.in.sin_addr) == 1) {
		out->u.in.sin_family = AF_INET;
		out->u.in.sin_port = htons(port);
		out->len = sizeof(out->u.in);
		return true;
	}
	if (inet_pton(AF_INET6, ip, &out->u.in6.sin6_addr) == 1) {
		out->u.in6.sin6_family = AF_INET6;
		out->u.in6.sin6_port = htons(port);
		out->len = sizeof(out->u.in6);
		return true;
	}
	memset(out, 0, sizeof(*out));
	return false;
}

const char *vs_sa_str(const struct vs_sockaddr *a, char *buf, size_t size)
{
	char ip[VS_IPSTR_MAX];

	vs_sa_ip_str(a, ip, sizeof(ip));
	if (a->u.sa.sa_family == AF_INET6)
		snprintf(buf, size, "[%s]:%u", ip, vs_sa_port(a));
	else
		snprintf(buf, size, "%s:%u", ip, vs_sa_port(a));
	return buf;
}

bool vs_sa_ip_eq(const struct vs_sockaddr *a, const struct vs_sockaddr *b)
{
	uint8_t ba[16], bb[16];
	size_t la = vs_sa_ip_bytes(a, ba), lb = vs_sa_ip_bytes(b, bb);

	return la && la == lb && memcmp(ba, bb, la) == 0;
}

bool vs_sa_eq(const struct vs_sockaddr *a, const struct vs_sockaddr *b)
{
	return vs_sa_ip_eq(a, b) && vs_sa_port(a) == vs_sa_port(b);
}

bool vs_sa_is_any(const struct vs_sockaddr *a)
{
	if (a->u.sa.sa_family == AF_INET)
		return a->u.in.sin_addr.s_addr == htonl(INADDR_ANY);
	if (a->u.sa.sa_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(&a->u.in6.sin6_addr);
	return false;
}
