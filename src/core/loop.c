/*
 * loop.c - the epoll event loop of one thread.
 */
#include "core/loop.h"

#include <errno.h>
#include <unistd.h>

#include "core/timer.h"

int vs_loop_init(struct vs_loop *l)
{
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	return l->epfd < 0 ? errno : 0;
}

void vs_loop_close(struct vs_loop *l)
{
	if (l->epfd >= 0)
		close(l->epfd);
	l->epfd = -1;
}

static int ctl(struct vs_loop *l, int op, struct vs_io *io, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = io};
	return epoll_ctl(l->epfd, op, io->fd, &ev) ? errno : 0;
}

int vs_loop_add(struct vs_loop *l, struct vs_io *io, uint32_t events)
{
	return ctl(l, EPOLL_CTL_ADD, io, events);
}

int vs_loop_mod(struct vs_loop *l, struct vs_io *io, uint32_t events)
{
	return ctl(l, EPOLL_CTL_MOD, io, events);
}

int vs_loop_del(struct vs_loop *l, struct vs_io *io)
{
	return ctl(l, EPOLL_CTL_DEL, io, 0);
}

int vs_loop_poll(struct vs_loop *l, int timeout_ms, uint64_t *now_ms)
{
	struct epoll_event ev[64];
	int n = epoll_wait(l->epfd, ev, 64, timeout_ms);

	if (now_ms)
		*now_ms = vs_now_ms();
	for (int i = 0; i < n; i++) {
		struct vs_io *io = ev[i].data.ptr;
		io->handler(io, ev[i].events);
	}
	return n < 0 ? 0 : n;
}
