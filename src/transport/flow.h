/*
 * flow.h - where a message came from, and so how to answer it: the
 * transport, the peer's address, the worker whose socket or connection
 * received it, which of that worker's UDP sockets, and the TCP connection.
 *
 * A flow is a value: it can be kept in a transaction or a registration
 * and used later from any worker (vs_worker_send hands a TCP send to the
 * connection's owner).
 */
#ifndef VS_TRANSPORT_FLOW_H
#define VS_TRANSPORT_FLOW_H

#include <stdint.h>

#include "transport/addr.h"

struct vs_flow {
	struct vs_sockaddr peer;
	uint64_t conn_id; /* TCP: the connection (see tcp_conn_find), else 0 */
	uint16_t worker;  /* owner of the socket or connection */
	uint8_t tp;	  /* enum vs_transport */
	uint8_t local;	  /* UDP: index of the listener socket it came on */
	uint8_t listener; /* config listener it came in on (its zone), or
			     VS_FLOW_NO_LISTENER */
};

#define VS_FLOW_NO_LISTENER 0xff

/*
 * A flow as a token for a URI parameter (RFC 5626 5.2 in spirit): the
 * transport, worker, connection id, address and port, base64url.  It is
 * not secret but must be authenticated by whoever reads it back (the
 * proxy signs its Record-Route with it).  out gets at most
 * VS_FLOW_TOKEN_MAX characters and a NUL; returns the length.
 */
#define VS_FLOW_TOKEN_MAX 48
size_t vs_flow_token(const struct vs_flow *f, char *out);
/* Parse a token back.  Returns 0 or EINVAL. */
int vs_flow_from_token(const char *tok, size_t len, struct vs_flow *f);

#endif
