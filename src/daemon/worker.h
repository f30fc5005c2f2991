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
#include "core/job.h"
#include "core/loop.h"
#include "core/stats.h"
#include "core/timer.h"
#include "auth/nonce.h"
#include "proxy/server.h"
#include "registrar/location.h"
#include "registrar/reg_store.h"
#include "sip/tsx.h"
#include "sip/tsx_table.h"
#include "transport/alias.h"
#include "transport/connlimit.h"
#include "transport/flow.h"
#include "transport/tcp.h"
#include "transport/tls.h"
#include "media/calls.h"
#include "media/relay.h"
#include "transport/udp.h"
#include "events/event.h"
#include "shield/shield.h"
#include "shield/policy.h"
#include "shield/nft.h"
#include <stdio.h>

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
	struct sip_tsx_env tsx_env;
	struct vs_store *users; /* for HA1 lookups */
	struct timer sweep;	/* worker 0: expire registrations and bans */
	unsigned sweeps;

	struct vs_io wake; /* eventfd: reload or stop */
	struct udp_sock udp[VS_CONFIG_MAX_LISTENERS];
	unsigned nudp;
	struct tcp_listener tcpl[VS_CONFIG_MAX_LISTENERS];
	unsigned ntcpl;
	struct tls_client *tls_client; /* for connections it opens (d's) */
	struct tcp_conn *conns; /* list of connections this worker owns */
	unsigned nconns;
	struct tcp_conn **conn_slots; /* by id, see tcp_conn_find */
	uint32_t *conn_free;	      /* free slots */
	uint32_t conn_nslots, conn_cap, conn_nfree, conn_gen;

	pthread_mutex_t jobs_lock;
	struct vs_job *jobs, *jobs_tail; /* posted by other threads */
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
	_Atomic uint32_t tls_handshaking; /* inbound handshakes under way */
	struct vs_worker *workers;
	unsigned nworkers;

	/* SIP services shared by the workers. */
	struct tsx_table tsx;
	struct loc_table loc;
	struct auth_nc_table nc;
	struct tcp_alias_table aliases;
	struct reg_writer *writer;
	struct vs_resolver *resolver; /* route host names (resolver.h) */
	uint8_t secret[AUTH_SECRET_LEN];
	struct sip_services svc;
	struct shield shield;
	struct policy policy;
	struct vs_nft *nft; /* shield.nftables, or NULL */
	struct vs_events events;
	struct vs_stats ctl_stats; /* decisions made on the main thread */
	struct tls_server *tls[VS_CONFIG_MAX_LISTENERS]; /* TLS listeners */
	struct tls_client *tls_client; /* connections we open, or NULL */
	struct media_relay *media;     /* media.enabled: the relay */
	struct media_calls calls;      /* its sessions by Call-ID */
	_Atomic uint32_t bans_active; /* as of the last sweep */
	_Atomic uint32_t calls_counted; /* by the policy, as of the last sweep */
};

/* Open the shared SIP services (after the privilege drop and --daemon's
 * fork: the store writer is a thread).  -1 with a message in err. */
int vs_daemon_services_start(struct vs_daemon *d, const struct vs_config *cfg,
			     char *err, size_t errlen);
/* Stop the store writer (after the workers stopped, before they are freed). */
void vs_daemon_services_stop(struct vs_daemon *d);
/* Free the tables (after the workers are freed). */
void vs_daemon_services_free(struct vs_daemon *d);

/* The shield (shield_svc.c): events file, tables, stored bans.  Called by
 * vs_daemon_services_start; -1 with a message in err. */
int vs_daemon_shield_start(struct vs_daemon *d, const struct vs_config *cfg,
			   char *err, size_t errlen);
/* Apply a reloaded configuration (reopens the events file). */
void vs_daemon_shield_reload(struct vs_daemon *d, const struct vs_config *cfg);
void vs_daemon_shield_free(struct vs_daemon *d);
/* "ban add ADDRESS SECONDS [why]", "ban del ADDRESS", "ban list": the
 * text after "ban "; the answer goes to out. */
void vs_daemon_ban_command(struct vs_daemon *d, const struct vs_config *cfg,
			   const char *args, FILE *out);

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

/* A message arrived: hand it to the SIP layer; true if out holds a reply
 * to send back at once on the same flow. */
bool vs_worker_sip_input(struct vs_worker *w, const char *buf, size_t len,
			 const struct vs_flow *flow, struct mbuf *out);
/* Run job on worker w's thread (any thread may call this). */
void vs_worker_post(struct vs_worker *w, struct vs_job *job);
/*
 * Send a message on a flow from worker w's thread: UDP from w's own socket,
 * TCP on the connection (through its owner when that is another worker).
 * Returns 0, or an errno when it certainly failed (ENOTCONN: the
 * connection has closed).
 */
int vs_worker_send(struct vs_worker *w, const struct vs_flow *flow,
		   const char *buf, size_t len);

#endif
