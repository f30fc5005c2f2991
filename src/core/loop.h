/*
 * loop.h - the epoll event loop of one thread.
 *
 * Everything registered with the loop embeds a struct vs_io as its first
 * member; epoll hands the pointer back and the loop calls its handler.
 */
#ifndef VS_CORE_LOOP_H
#define VS_CORE_LOOP_H

#include <stdint.h>
#include <sys/epoll.h>

struct vs_io;
typedef void (*vs_io_h)(struct vs_io *io, uint32_t events);

struct vs_io {
	int fd;
	vs_io_h handler;
};

struct vs_loop {
	int epfd;
};

int vs_loop_init(struct vs_loop *l);
void vs_loop_close(struct vs_loop *l);
int vs_loop_add(struct vs_loop *l, struct vs_io *io, uint32_t events);
int vs_loop_mod(struct vs_loop *l, struct vs_io *io, uint32_t events);
int vs_loop_del(struct vs_loop *l, struct vs_io *io);
/*
 * Wait up to timeout_ms (-1: forever) and dispatch; returns events seen.
 * When now_ms is given, it is refreshed after the wait and before any
 * handler runs, so handlers never see the time from before a long sleep.
 */
int vs_loop_poll(struct vs_loop *l, int timeout_ms, uint64_t *now_ms);

#endif
