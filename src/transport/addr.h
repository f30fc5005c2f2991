/*
 * addr.h - socket addresses (IPv4 and IPv6).
 */
#ifndef VS_TRANSPORT_ADDR_H
#define VS_TRANSPORT_ADDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct vs_sockaddr {
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} u; /* IPv4 or IPv6 only: 28 bytes, not a sockaddr_storage */
	socklen_t len;
};

/* Longest textual IPv6 address with a zone, NUL included. */
#define VS_IPSTR_MAX 64

/* An IPv4 or IPv6 address in text and a port; false when ip is neither. */
bool vs_sa_from_ip(struct vs_sockaddr *out, const char *ip, uint16_t port);
/* The address as text (IPv6 without brackets); returns its length. */
size_t vs_sa_ip_str(const struct vs_sockaddr *a, char *buf, size_t size);
/* "1.2.3.4:5060" or "[::1]:5060", for logs. */
const char *vs_sa_str(const struct vs_sockaddr *a, char *buf, size_t size);
uint16_t vs_sa_port(const struct vs_sockaddr *a);
/* Same IP and port (IPv4-mapped IPv6 equals its IPv4 address). */
bool vs_sa_eq(const struct vs_sockaddr *a, const struct vs_sockaddr *b);
/* Same IP (port ignored); IPv4-mapped IPv6 equals its IPv4 address. */
bool vs_sa_ip_eq(const struct vs_sockaddr *a, const struct vs_sockaddr *b);
/* The IP bytes (4 or 16), for hashing; returns the length. */
size_t vs_sa_ip_bytes(const struct vs_sockaddr *a, uint8_t out[16]);
bool vs_sa_is_any(const struct vs_sockaddr *a);

#endif
