/*
 * sock.h - listening sockets.
 */
#ifndef VS_TRANSPORT_SOCK_H
#define VS_TRANSPORT_SOCK_H

#include "transport/addr.h"

/*
 * A non-blocking UDP or TCP listening socket with SO_REUSEPORT, so that
 * every worker has its own socket on the same address and the kernel
 * spreads datagrams and connections across them.  IPv6 sockets are
 * IPV6_V6ONLY so that "::" and "0.0.0.0" can both be configured.
 * Returns the descriptor, or -1 with errno set.
 */
int vs_sock_udp(const struct vs_sockaddr *a);
/*
 * SO_REUSEPORT would let a second daemon (same user) bind the same port
 * silently and take half the traffic.  Before opening the real sockets,
 * bind a probe without SO_REUSEPORT: it fails with EADDRINUSE when anybody
 * holds the port.  Returns 0 or -1 with errno set.
 */
int vs_sock_probe(const struct vs_sockaddr *a, int type);
int vs_sock_tcp_listen(const struct vs_sockaddr *a, int backlog);

#endif
