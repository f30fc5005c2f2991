/*
 * flow.c - flow tokens (see flow.h).
 *
 * Layout before encoding: transport (1), worker (2), connection id (8),
 * port (2), then 4 or 16 address bytes: 17 or 29 bytes, 23 or 39
 * base64url characters.
 */
#include "transport/flow.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "core/config.h"

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t vs_flow_token(const struct vs_flow *f, char *out)
{
	uint8_t raw[29];
	size_t n = 0, o = 0;
	uint32_t acc = 0;
	int bits = 0;
	uint16_t port = vs_sa_port(&f->peer);

	raw[n++] = f->tp;
	raw[n++] = (uint8_t)(f->worker >> 8);
	raw[n++] = (uint8_t)f->worker;
	for (int i = 7; i >= 0; i--)
		raw[n++] = (uint8_t)(f->conn_id >> (8 * i));
	raw[n++] = (uint8_t)(port >> 8);
	raw[n++] = (uint8_t)port;
	if (f->peer.u.sa.sa_family == AF_INET6) {
		memcpy(raw + n, &f->peer.u.in6.sin6_addr, 16);
		n += 16;
	} else {
		memcpy(raw + n, &f->peer.u.in.sin_addr, 4);
		n += 4;
	}
	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8) | raw[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			out[o++] = b64[(acc >> bits) & 63];
		}
	}
	if (bits)
		out[o++] = b64[(acc << (6 - bits)) & 63];
	out[o] = 0;
	return o;
}

int vs_flow_from_token(const char *tok, size_t len, struct vs_flow *f)
{
	uint8_t raw[30];
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0;
	uint16_t port;

	if (len != 23 && len != 39)
		return EINVAL;
	for (size_t i = 0; i < len; i++) {
		const char *p = tok[i] ? memchr(b64, tok[i], 64) : NULL;
		if (!p)
			return EINVAL;
		acc = (acc << 6) | (uint32_t)(p - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			raw[o++] = (uint8_t)(acc >> bits);
		}
	}
	if (o != 17 && o != 29)
		return EINVAL;
	memset(f, 0, sizeof(*f));
	f->tp = raw[0];
	if (f->tp != VS_TP_UDP && f->tp != VS_TP_TCP && f->tp != VS_TP_TLS)
		return EINVAL;
	f->worker = (uint16_t)(raw[1] << 8 | raw[2]);
	for (int i = 0; i < 8; i++)
		f->conn_id = f->conn_id << 8 | raw[3 + i];
	port = (uint16_t)(raw[11] << 8 | raw[12]);
	if (o == 29) {
		f->peer.u.in6.sin6_family = AF_INET6;
		f->peer.u.in6.sin6_port = htons(port);
		memcpy(&f->peer.u.in6.sin6_addr, raw + 13, 16);
		f->peer.len = sizeof(f->peer.u.in6);
	} else {
		f->peer.u.in.sin_family = AF_INET;
		f->peer.u.in.sin_port = htons(port);
		memcpy(&f->peer.u.in.sin_addr, raw + 13, 4);
		f->peer.len = sizeof(f->peer.u.in);
	}
	return 0;
}
