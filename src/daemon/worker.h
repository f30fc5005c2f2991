/*
 * worker.h - a signaling worker thread: one epoll loop, one timer wheel,
 * its own UDP sockets (SO_REUSEPORT), its own TCP listening sockets and
 * the TCP connections it accepted, which no other thread touches.
 */
#ifndef VS_DAEMON_WORKER_H
#define VS_DAEMON_WORKER_H

#include <pthread.h>
#include <stdatomic.h>

#include "core/config.h"
#include "core/loop.h"
#include "core/stats.h"
#include "core/timer.h"
#include "proxy/stateless.h"
#include "transport/connlimit.h"
#include "transport/tcp.h"
#include "transport/udp.h"

struct vs_daemon;

struct vs_worker {
	unsigned id;
	pthread_t thread;
	struct vs_daemon *d;
	struct vs_loop loop;
	struct timer_wheel wheel;
	uint64_t now_ms; /* refreshed once per loop turn */
	struct vs_stats stats;

	const struct vs_config *cfg;
	uint64_t cfg_gen;
	struct sip_local local;
	struct sip_server srv;

	struct vs_io wake; /* eventfd: reload or stop */
	struct udp_sock udp[VS_CONFIG_MAX_LISTENERS];
	unsigned nudp;
	struct tcp_listener tcpl[VS_CONFIG_MAX_LISTENERS];
	unsigned ntcpl;
	struct tcp_conn *conns; /* list of connections this worker owns */
	unsigned nconns;
	struct udp_batch *batch;
	bool stopping;
};

/* State shared by the main thread and all workers. */
struct vs_daemon {
	pthread_mutex_t cfg_lock;
	const struct vs_config *cfg; /* current configuration */
	_Atomic uint64_t cfg_gen;
	atomic_bool stop;
	struct connlimit connlimit;
	struct vs_worker *workers;
	unsigned nworkers;
};

/*
 * Prepare worker w with the sockets opened for it by the main thread
 * (before privileges were dropped).  Returns 0 or an errno.
 */
int vs_worker_init(struct vs_worker *w, struct vs_daemon *d, unsigned id,
		   const int *udp_fds, const struct vs_sockaddr *udp_addrs,
		   unsigned nudp, const int *tcp_fds, unsigned ntcp);
int vs_worker_start(struct vs_worker *w);
/* Ask the worker to pick up a new configuration or to stop. */
void vs_worker_wake(struct vs_worker *w);
void vs_worker_join(struct vs_worker *w);
void vs_worker_free(struct vs_worker *w);

/* A message arrived: hand it to the SIP layer; true if out holds a reply. */
bool vs_worker_sip_input(struct vs_worker *w, const char *buf, size_t len,
			 enum vs_transport tp, const struct vs_sockaddr *src,
			 struct mbuf *out);

#endif
