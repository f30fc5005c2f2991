/*
 * proxy.h - the stateful proxy (RFC 3261 16): requests that are not for
 * the server itself (calls, in-dialog requests, CANCEL, ACK) and the
 * responses to what it forwarded.
 */
#ifndef VS_PROXY_PROXY_H
#define VS_PROXY_PROXY_H

#include "proxy/server.h"

/* A request in srv->msg that the proxy handles; true when out holds an
 * immediate reply for the same flow. */
bool proxy_request(struct sip_server *srv, const struct sip_input *in,
		   struct mbuf *out);

/* A response in srv->msg.  Returns false (never answered); when it
 * belongs to another worker's transaction, a copy is handed there. */
void proxy_response(struct sip_server *srv, const struct sip_input *in);

/* The next hop for a URI given as an IP literal: flow with address, port
 * and transport.  0, ENOENT (a host name: not resolved) or
 * EPROTONOSUPPORT (sips or a transport we do not speak). */
int proxy_uri_flow(const struct sip_uri *u, struct vs_flow *out);

/* The Via value ("SIP/2.0/UDP host:port;branch=...", a new branch) of a
 * request we originate towards flow: 0, ENETUNREACH (no listener for its
 * transport and family) or EOVERFLOW. */
int proxy_new_via(const struct sip_server *srv, const struct vs_flow *flow,
		  char *out, size_t size);

#endif
