/*
 * worker.c - a signaling worker thread.
 */
#include "daemon/worker.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/log.h"

/* How long a stopping worker waits for queued TCP output to leave. */
#define DRAIN_MS 2000

static void adopt_config(struct vs_worker *w)
{
	struct vs_daemon *d = w->d;

	pthread_mutex_lock(&d->cfg_lock);
	w->cfg = d->cfg;
	uint64_t gen = atomic_load(&d->cfg_gen);
	pthread_mutex_unlock(&d->cfg_lock);
	sip_local_init(&w->local, w->cfg);
	w->srv.cfg = w->cfg;
	w->srv.local = &w->local;
	w->srv.stats = &w->stats;
	/* Tell the main thread this worker no longer uses the old config. */
	__atomic_store_n(&w->cfg_gen, gen, __ATOMIC_RELEASE);
}

static void wake_event(struct vs_io *io, uint32_t events)
{
	struct vs_worker *w = (struct vs_worker *)((char *)io -
						   offsetof(struct vs_worker, wake));
	uint64_t v;

	(void)events;
	while (read(io->fd, &v, sizeof(v)) > 0)
		;
	if (atomic_load(&w->d->cfg_gen) != w->cfg_gen)
		adopt_config(w);
	if (atomic_load(&w->d->stop))
		w->stopping = true;
}

bool vs_worker_sip_input(struct vs_worker *w, const char *buf, size_t len,
			 enum vs_transport tp, const struct vs_sockaddr *src,
			 struct mbuf *out)
{
	struct sip_input in = {buf, len, tp, src};
	size_t i = 0;

	/* CRLF keep-alives over UDP (RFC 5626 uses STUN there, but phones
	 * send bare CRLFs too): nothing to answer. */
	while (i < len && (buf[i] == '\r' || buf[i] == '\n'))
		i++;
	if (len && i == len) {
		vs_stat_inc(&w->stats, VS_STAT_KEEPALIVE);
		return false;
	}
	return sip_server_input(&w->srv, &in, out);
}

static void *worker_main(void *arg)
{
	struct vs_worker *w = arg;
	uint64_t drain_until = 0;

	w->now_ms = vs_now_ms();
	timer_wheel_init(&w->wheel, w->now_ms);
	for (;;) {
		int timeout = timer_wheel_next_ms(&w->wheel, w->now_ms);

		if (w->stopping) {
			if (!drain_until) {
				/* Stop taking new work; let queued replies go. */
				for (unsigned i = 0; i < w->nudp; i++)
					udp_sock_close(&w->udp[i]);
				for (unsigned i = 0; i < w->ntcpl; i++)
					tcp_listener_close(&w->tcpl[i]);
				drain_until = w->now_ms + DRAIN_MS;
			}
			if (!tcp_worker_pending_output(w) ||
			    w->now_ms >= drain_until)
				break;
			if (timeout < 0 || timeout > 50)
				timeout = 50;
		}
		vs_loop_poll(&w->loop, timeout, &w->now_ms);
		timer_wheel_run(&w->wheel, w->now_ms);
	}
	while (w->conns)
		tcp_conn_destroy(w->conns);
	return NULL;
}

int vs_worker_init(struct vs_worker *w, struct vs_daemon *d, unsigned id,
		   const int *udp_fds, const struct vs_sockaddr *udp_addrs,
		   unsigned nudp, const int *tcp_fds, unsigned ntcp)
{
	int err;

	memset(w, 0, sizeof(*w));
	w->id = id;
	w->d = d;
	w->wake.fd = -1;
	err = vs_loop_init(&w->loop);
	if (err)
		return err;
	w->batch = udp_batch_new();
	if (!w->batch)
		return ENOMEM;
	adopt_config(w);
	w->wake.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->wake.fd < 0)
		return errno;
	w->wake.handler = wake_event;
	err = vs_loop_add(&w->loop, &w->wake, EPOLLIN);
	if (err)
		return err;
	for (unsigned i = 0; i < nudp; i++) {
		err = udp_sock_attach(&w->udp[i], w, udp_fds[i], &udp_addrs[i]);
		if (err)
			return err;
		w->nudp++;
	}
	for (unsigned i = 0; i < ntcp; i++) {
		err = tcp_listener_attach(&w->tcpl[i], w, tcp_fds[i]);
		if (err)
			return err;
		w->ntcpl++;
	}
	return 0;
}

int vs_worker_start(struct vs_worker *w)
{
	return pthread_create(&w->thread, NULL, worker_main, w);
}

void vs_worker_wake(struct vs_worker *w)
{
	uint64_t one = 1;
	ssize_t r = write(w->wake.fd, &one, sizeof(one));
	(void)r;
}

void vs_worker_join(struct vs_worker *w)
{
	pthread_join(w->thread, NULL);
}

void vs_worker_free(struct vs_worker *w)
{
	for (unsigned i = 0; i < w->nudp; i++)
		udp_sock_close(&w->udp[i]);
	for (unsigned i = 0; i < w->ntcpl; i++)
		tcp_listener_close(&w->tcpl[i]);
	if (w->wake.fd >= 0)
		close(w->wake.fd);
	vs_loop_close(&w->loop);
	udp_batch_free(w->batch);
	w->batch = NULL;
}
