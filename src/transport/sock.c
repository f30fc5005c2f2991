/*
 * sock.c - listening sockets.
 */
#include "transport/sock.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <unistd.h>

static int common_opts(int fd, const struct vs_sockaddr *a)
{
	int one = 1;

	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)))
		return -1;
	if (a->u.sa.sa_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)))
		return -1;
	return 0;
}

int vs_sock_udp(const struct vs_sockaddr *a)
{
	int fd = socket(a->u.sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int size = 4 * 1024 * 1024;

	if (fd < 0)
		return -1;
	if (common_opts(fd, a) || bind(fd, &a->u.sa, a->len)) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	/* Best effort: a larger receive queue absorbs bursts. */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	return fd;
}

int vs_sock_tcp_listen(const struct vs_sockaddr *a, int backlog)
{
	int fd = socket(a->u.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (common_opts(fd, a) || bind(fd, &a->u.sa, a->len) ||
	    listen(fd, backlog)) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int vs_sock_probe(const struct vs_sockaddr *a, int type)
{
	int fd = socket(a->u.sa.sa_family, type | SOCK_CLOEXEC, 0);
	int one = 1, rc = 0, e = 0;

	if (fd < 0)
		return -1;
	/* SO_REUSEADDR only: TIME_WAIT leftovers do not count as in use. */
	if (type == SOCK_STREAM)
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (a->u.sa.sa_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, &a->u.sa, a->len)) {
		rc = -1;
		e = errno;
	}
	close(fd);
	errno = e;
	return rc;
}
