/*
 * worker.c - a signaling worker thread.
 */
#include "daemon/worker.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/log.h"
#include "daemon/resolver.h"
#include "proxy/proxy_media.h"
#include "transport/route_dns.h"
#include "store/store.h"

/* How long a stopping worker waits for queued TCP output to leave. */
#define DRAIN_MS 2000

static void adopt_config(struct vs_worker *w)
{
	struct vs_daemon *d = w->d;

	pthread_mutex_lock(&d->cfg_lock);
	w->cfg = d->cfg;
	uint64_t gen = atomic_load(&d->cfg_gen);
	/* Certificates reloaded with the configuration: new handshakes use
	 * the new context, established sessions keep theirs. */
	for (unsigned i = 0; i < w->ntcpl; i++)
		if (w->tcpl[i].listener < VS_CONFIG_MAX_LISTENERS)
			w->tcpl[i].tls = d->tls[w->tcpl[i].listener];
	w->tls_client = d->tls_client;
	pthread_mutex_unlock(&d->cfg_lock);
	sip_local_init(&w->local, w->cfg);
	w->tsx_env.timers.t1 = w->cfg->tsx_t1;
	w->tsx_env.timers.t2 = w->cfg->tsx_t2;
	w->tsx_env.timers.t4 = w->cfg->tsx_t4;
	w->srv.cfg = w->cfg;
	w->srv.local = &w->local;
	w->srv.stats = &w->stats;
	/* Tell the main thread this worker no longer uses the old config. */
	__atomic_store_n(&w->cfg_gen, gen, __ATOMIC_RELEASE);
}

void vs_worker_post(struct vs_worker *w, struct vs_job *job)
{
	job->next = NULL;
	pthread_mutex_lock(&w->jobs_lock);
	if (w->jobs_tail)
		w->jobs_tail->next = job;
	else
		w->jobs = job;
	w->jobs_tail = job;
	pthread_mutex_unlock(&w->jobs_lock);
	vs_worker_wake(w);
}

static void run_jobs(struct vs_worker *w)
{
	struct vs_job *j;

	pthread_mutex_lock(&w->jobs_lock);
	j = w->jobs;
	w->jobs = w->jobs_tail = NULL;
	pthread_mutex_unlock(&w->jobs_lock);
	while (j) {
		struct vs_job *next = j->next;
		j->run(j);
		j = next;
	}
}

/* A TCP send handed over by another worker. */
struct send_job {
	struct vs_job job;
	struct vs_worker *w;
	struct vs_flow flow;
	size_t len;
	char buf[];
};

static void send_job_run(struct vs_job *job)
{
	struct send_job *sj = (struct send_job *)job;

	(void)vs_worker_send(sj->w, &sj->flow, sj->buf, sj->len);
	free(sj);
}

/* A new connection for flow.  TLS to an upstream route proves the
 * route's tls_name; TLS to any other address (a Contact) proves that
 * address, and only when any is true: a connection a phone opened and
 * closed is not dialled back (its port was the phone's, not a server's). */
static struct tcp_conn *connect_to(struct vs_worker *w,
				   const struct vs_flow *flow, bool any)
{
	struct tcp_tls_peer tp;
	char ip[VS_IPSTR_MAX];

	if (flow->tp != VS_TP_TLS)
		return tcp_conn_connect(w, &flow->peer, NULL);
	if (!w->tls_client)
		return NULL;
	tp.client = w->tls_client;
	tp.name = NULL;
	tp.verify = true;
	for (size_t i = 0; i < w->cfg->nroutes; i++) {
		const struct vs_route *r = &w->cfg->routes[i];
		struct vs_sockaddr a;
		if (r->transport != VS_TP_TLS)
			continue;
		memcpy(&a.u, &r->sa, r->salen);
		a.len = r->salen;
		if (r->named ? route_dns_has(r->dns, r->dns_gen, &flow->peer)
			     : vs_sa_eq(&a, &flow->peer)) {
			tp.name = r->tls_name;
			tp.verify = r->tls_verify;
			break;
		}
	}
	if (!tp.name) {
		if (!any)
			return NULL;
		vs_sa_ip_str(&flow->peer, ip, sizeof(ip));
		tp.name = ip;
	}
	return tcp_conn_connect(w, &flow->peer, &tp);
}

int vs_worker_send(struct vs_worker *w, const struct vs_flow *flow,
		   const char *buf, size_t len)
{
	if (flow->tp == VS_TP_UDP) {
		unsigned i = flow->local;
		if (i >= w->nudp ||
		    w->udp[i].local.u.sa.sa_family != flow->peer.u.sa.sa_family) {
			for (i = 0; i < w->nudp; i++) {
				if (w->udp[i].io.fd >= 0 &&
				    w->udp[i].local.u.sa.sa_family ==
					    flow->peer.u.sa.sa_family)
					break;
			}
		}
		if (i >= w->nudp || w->udp[i].io.fd < 0)
			return ENETUNREACH;
		return udp_sock_send(&w->udp[i], &flow->peer, buf, len);
	}
	struct vs_flow alias;
	if (!flow->conn_id) {
		/* No connection named (a Contact or route address): one that
		 * reaches this address, else a new one from this worker. */
		if (tcp_alias_get(&w->d->aliases, &flow->peer, &alias)) {
			flow = &alias;
		} else {
			struct tcp_conn *nc = connect_to(w, flow, true);
			if (!nc || !tcp_conn_send(nc, buf, len))
				return ENOTCONN;
			vs_stat_inc(&w->stats, VS_STAT_TX_TCP);
			return 0;
		}
	}
	if (flow->worker != w->id) {
		struct send_job *sj;
		if (flow->worker >= w->d->nworkers)
			return ENOTCONN;
		sj = malloc(sizeof(*sj) + len);
		if (!sj)
			return ENOMEM;
		sj->job.run = send_job_run;
		sj->w = &w->d->workers[flow->worker];
		sj->flow = *flow;
		sj->len = len;
		memcpy(sj->buf, buf, len);
		vs_worker_post(&w->d->workers[flow->worker], &sj->job);
		return 0;
	}
	struct tcp_conn *c = tcp_conn_find(w, flow->conn_id);
	if (!c)
		c = connect_to(w, flow, false);
	if (!c)
		return ENOTCONN;
	if (!tcp_conn_send(c, buf, len))
		return ENOTCONN;
	vs_stat_inc(&w->stats, VS_STAT_TX_TCP);
	return 0;
}

static void wake_event(struct vs_io *io, uint32_t events)
{
	struct vs_worker *w = (struct vs_worker *)((char *)io -
						   offsetof(struct vs_worker, wake));
	uint64_t v;

	(void)events;
	while (read(io->fd, &v, sizeof(v)) > 0)
		;
	run_jobs(w);
	if (atomic_load(&w->d->cfg_gen) != w->cfg_gen)
		adopt_config(w);
	if (atomic_load(&w->d->stop))
		w->stopping = true;
}

bool vs_worker_sip_input(struct vs_worker *w, const char *buf, size_t len,
			 const struct vs_flow *flow, struct mbuf *out)
{
	struct sip_input in = {buf, len, flow, false};
	size_t i = 0;

	/* CRLF keep-alives over UDP (RFC 5626 uses STUN there, but phones
	 * send bare CRLFs too): nothing to answer. */
	while (i < len && (buf[i] == '\r' || buf[i] == '\n'))
		i++;
	if (len && i == len) {
		vs_stat_inc(&w->stats, VS_STAT_KEEPALIVE);
		return false;
	}
	if (w->srv.svc && w->srv.svc->shield) {
		struct shield_ctx c = {w->cfg, &w->stats, w->now_ms,
				       (int64_t)time(NULL)};
		switch (shield_packet(w->srv.svc->shield, &c, flow, buf, len)) {
		case SHIELD_DROP:
			return false;
		case SHIELD_SHED:
			in.shed = true;
			break;
		default:
			break;
		}
	}
	return sip_server_input(&w->srv, &in, out);
}

static int tsx_send(void *ctx, const struct vs_flow *flow, const char *buf,
		    size_t len)
{
	return vs_worker_send(ctx, flow, buf, len);
}

static void srv_post(void *ctx, struct vs_job *job)
{
	vs_worker_post(ctx, job);
}

/* Input is handled by the worker that owns the connection. */
static bool srv_flow_cert_is(void *ctx, const struct vs_flow *flow,
			     const char *name)
{
	struct vs_worker *w = ctx;
	struct tcp_conn *c;

	if (flow->tp != VS_TP_TLS || flow->worker != w->id)
		return false;
	c = tcp_conn_find(w, flow->conn_id);
	return c && c->tls && tls_conn_ready(c->tls) &&
	       tls_conn_peer_is(c->tls, name);
}

static struct sip_server *srv_of(void *ctx, unsigned worker)
{
	struct vs_worker *w = ctx;

	return worker < w->d->nworkers ? &w->d->workers[worker].srv : NULL;
}

/* Worker 0, once a second: free expired registrations, a few shards at a
 * time, and delete them from the store. */
#define SWEEP_MS 1000
#define SWEEP_SHARDS 8
#define SHIELD_SWEEP_EVERY 5 /* sweeps: expire bans every 5 s */

static void sweep_timer(struct timer *t, void *arg)
{
	struct vs_worker *w = arg;
	struct reg_batch *b = reg_batch_new(0);
	unsigned n;

	if (++w->sweeps % SHIELD_SWEEP_EVERY == 0) {
		struct shield_ctx c = {w->cfg, &w->stats, w->now_ms,
				       (int64_t)time(NULL)};
		atomic_store(&w->d->bans_active,
			     shield_sweep(&w->d->shield, &c));
		atomic_store(&w->d->calls_counted,
			     policy_sweep(&w->d->policy, &c));
	}
	if (b) {
		n = loc_sweep(&w->d->loc, (uint64_t)time(NULL), SWEEP_SHARDS,
			      reg_batch_add, b);
		if (n)
			vs_stat_add(&w->stats, VS_STAT_REG_EXPIRED, n);
		if (b->nops)
			reg_writer_submit(w->d->writer, b);
		else
			free(b);
	}
	timer_start(&w->wheel, t, w->now_ms, SWEEP_MS, sweep_timer, w);
}

/* The relay saw media from a source that is not the leg's peer, or SRTP
 * that did not authenticate (at most once a second per leg). */
static void media_injection(void *arg, const struct vs_sockaddr *src,
			    const char *why, uint64_t dropped)
{
	struct vs_daemon *d = arg;
	char ip[VS_IPSTR_MAX], detail[80];
	struct vs_event e;

	memset(&e, 0, sizeof(e));
	vs_sa_ip_str(src, ip, sizeof(ip));
	snprintf(detail, sizeof(detail), "%llu packets dropped on this call leg",
		 (unsigned long long)dropped);
	e.type = VS_EVENT_MEDIA_INJECTION;
	e.source = ip;
	e.port = vs_sa_port(src);
	e.reason = why;
	e.detail = detail;
	e.detail_len = strlen(detail);
	vs_event_emit(&d->events, &e);
}

/* A call whose media stopped: worker 0 ends it (proxy_media_timeout). */
struct timeout_job {
	struct vs_job job;
	struct vs_daemon *d;
	uint32_t id;
};

static void timeout_job_run(struct vs_job *job)
{
	struct timeout_job *tj = (struct timeout_job *)job;
	struct vs_daemon *d = tj->d;

	if (!atomic_load(&d->stop))
		proxy_media_timeout(&d->workers[0].srv, tj->id);
	else /* shutting down: only the dialog goes */
		free(media_calls_take_session(&d->calls, tj->id));
	free(tj);
}

static void media_timed_out(void *arg, uint32_t id)
{
	struct vs_daemon *d = arg;
	struct timeout_job *tj = calloc(1, sizeof(*tj));

	if (!tj) {
		free(media_calls_take_session(&d->calls, id));
		return;
	}
	tj->job.run = timeout_job_run;
	tj->d = d;
	tj->id = id;
	vs_worker_post(&d->workers[0], &tj->job);
}

int vs_daemon_services_start(struct vs_daemon *d, const struct vs_config *cfg,
			     char *err, size_t errlen)
{
	char path[PATH_MAX + 32];
	long n;

	snprintf(path, sizeof(path), "%s/voipshield-auth.key", cfg->state_dir);
	if (auth_secret_load(path, d->secret, err, errlen))
		return -1;
	if (tsx_table_init(&d->tsx, cfg->tsx_max) ||
	    loc_table_init(&d->loc, cfg->reg_max_bindings) ||
	    auth_nc_init(&d->nc, cfg->nonce_count_table)) {
		snprintf(err, errlen, "out of memory for the SIP tables (transactions.max, registrar.max_bindings, auth.nonce_count_table)");
		return -1;
	}
	n = reg_store_load(cfg->state_dir, &d->loc, (uint64_t)time(NULL), err,
			   errlen);
	if (n < 0)
		return -1;
	vs_log(VS_LOG_INFO, "store: %ld registration%s loaded", n,
	       n == 1 ? "" : "s");
	if (reg_writer_start(&d->writer, cfg->state_dir, &d->loc, err, errlen))
		return -1;
	d->svc.loc = &d->loc;
	d->svc.writer = d->writer;
	d->svc.secret = d->secret;
	d->svc.nc = &d->nc;
	d->svc.aliases = &d->aliases;
	d->svc.started = (uint64_t)time(NULL);
	/* The shield first: it opens the events file the relay reports to. */
	if (vs_daemon_shield_start(d, cfg, err, errlen))
		return -1;
	/* Route host names: looked up before the first call (at most 5 s),
	 * then kept fresh by their own thread. */
	if (vs_resolver_start(&d->resolver, 5000, err, errlen))
		return -1;
	if (cfg->media_enabled) {
		struct relay_conf rc = {(uint16_t)cfg->media_port_min,
					(uint16_t)cfg->media_port_max,
					cfg->media_max_sessions,
					cfg->media_timeout, media_injection, d,
					cfg->media_batch_us, media_timed_out, d,
					cfg->media_threads};
		if (media_calls_init(&d->calls, cfg->media_max_sessions)) {
			snprintf(err, errlen, "out of memory for media.max_sessions");
			return -1;
		}
		d->media = media_relay_start(&rc, err, errlen);
		if (!d->media)
			return -1;
		d->svc.media = d->media;
		d->svc.calls = &d->calls;
		vs_log(VS_LOG_INFO, "media relay: ports %u-%u, at most %u sessions",
		       cfg->media_port_min, cfg->media_port_max,
		       cfg->media_max_sessions);
	}
	return 0;
}

void vs_daemon_services_stop(struct vs_daemon *d)
{
	vs_resolver_stop(d->resolver);
	d->resolver = NULL;
	reg_writer_stop(d->writer);
	d->writer = NULL;
	media_relay_stop(d->media);
	d->media = NULL;
	d->svc.media = NULL;
}

void vs_daemon_services_free(struct vs_daemon *d)
{
	media_calls_destroy(&d->calls);
	if (d->tsx.shard[0].buckets)
		tsx_table_destroy(&d->tsx);
	if (d->loc.shard[0].buckets)
		loc_table_destroy(&d->loc);
	if (d->nc.shard[0].slots)
		auth_nc_destroy(&d->nc);
	vs_daemon_shield_free(d);
	memset(d->secret, 0, sizeof(d->secret));
}

static void *worker_main(void *arg)
{
	struct vs_worker *w = arg;
	uint64_t drain_until = 0;

	w->now_ms = vs_now_ms();
	timer_wheel_init(&w->wheel, w->now_ms);
	if (w->id == 0 && w->d->writer)
		timer_start(&w->wheel, &w->sweep, w->now_ms, SWEEP_MS,
			    sweep_timer, w);
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

/* The configured listener a socket was opened for (its zone). */
static uint8_t listener_of(const struct vs_config *cfg, int fd, unsigned tp)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return VS_FLOW_NO_LISTENER;
	for (size_t i = 0; i < cfg->nlisten; i++) {
		const struct vs_listener *l = &cfg->listen[i];
		if ((l->transports & tp) && l->salen == len &&
		    memcmp(&l->sa, &ss, len) == 0)
			return (uint8_t)i;
	}
	return VS_FLOW_NO_LISTENER;
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
	pthread_mutex_init(&w->jobs_lock, NULL);
	err = vs_loop_init(&w->loop);
	if (err)
		return err;
	w->batch = udp_batch_new();
	if (!w->batch)
		return ENOMEM;
	adopt_config(w);
	timer_init(&w->sweep);
	if (d->writer) {
		char msg[512];
		w->tsx_env.table = &d->tsx;
		w->tsx_env.wheel = &w->wheel;
		w->tsx_env.now_ms = &w->now_ms;
		w->tsx_env.owner = (uint16_t)id;
		w->tsx_env.stats = &w->stats;
		w->tsx_env.send = tsx_send;
		w->tsx_env.send_ctx = w;
		if (vs_store_open(w->cfg->state_dir, &w->users, msg, sizeof(msg))) {
			vs_log(VS_LOG_ERR, "worker %u: %s", id, msg);
			return EIO;
		}
		w->srv.tsx = &w->tsx_env;
		w->srv.svc = &d->svc;
		w->srv.users = w->users;
		w->srv.post = srv_post;
		w->srv.post_ctx = w;
		w->srv.server_of = srv_of;
		w->srv.flow_cert_is = srv_flow_cert_is;
		w->srv.worker = id;
	}
	w->wake.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->wake.fd < 0)
		return errno;
	w->wake.handler = wake_event;
	err = vs_loop_add(&w->loop, &w->wake, EPOLLIN);
	if (err)
		return err;
	for (unsigned i = 0; i < nudp; i++) {
		err = udp_sock_attach(&w->udp[i], w, udp_fds[i], &udp_addrs[i],
				      (uint8_t)i);
		if (err)
			return err;
		w->udp[i].listener = listener_of(w->cfg, udp_fds[i], VS_TP_UDP);
		w->nudp++;
	}
	for (unsigned i = 0; i < ntcp; i++) {
		err = tcp_listener_attach(&w->tcpl[i], w, tcp_fds[i]);
		if (err)
			return err;
		w->tcpl[i].listener = listener_of(w->cfg, tcp_fds[i], VS_TP_STREAM);
		if (w->tcpl[i].listener < VS_CONFIG_MAX_LISTENERS)
			w->tcpl[i].tls = d->tls[w->tcpl[i].listener];
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
	/* Jobs posted while the worker stopped: run them so that they release
	 * what they hold (their sends fail quietly, the sockets are closed). */
	run_jobs(w);
	vs_store_close(w->users);
	w->users = NULL;
	free(w->conn_slots);
	free(w->conn_free);
	w->conn_slots = NULL;
	w->conn_free = NULL;
}
