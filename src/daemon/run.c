/*
 * run.c - start the daemon, serve until SIGTERM, reload on SIGHUP.
 *
 * Start-up order matters: configuration, state directory and its lock,
 * every socket (possibly on privileged ports), then the privilege drop,
 * and only then the worker threads, so that no thread ever runs as root.
 */
#include "daemon/run.h"
#include "daemon/resolver.h"
#include "transport/route_dns.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/fsutil.h"
#include "core/hash.h"
#include "core/log.h"
#include "daemon/control.h"
#include "daemon/privdrop.h"
#include "daemon/worker.h"
#include "transport/sock.h"

#define PID_NAME "voipshield.pid"
/* How long a reload waits for every worker to adopt the new config. */
#define RELOAD_WAIT_MS 5000

struct run {
	struct vs_daemon d;
	struct vs_config *cfg;
	int lock_fd;
	int ctl_fd;
	int sig_fd;
	time_t started;
	/* Sockets opened before the privilege drop, per worker. */
	int (*udp_fds)[VS_CONFIG_MAX_LISTENERS];
	struct vs_sockaddr udp_addrs[VS_CONFIG_MAX_LISTENERS];
	unsigned nudp;
	int (*tcp_fds)[VS_CONFIG_MAX_LISTENERS];
	unsigned ntcp;
	unsigned nstarted; /* worker threads running (to join) */
	int spare_fd;	   /* kept open to serve the control socket at EMFILE */
	bool force_syslog; /* --daemon: stderr is gone, whatever the file says */
};

static int prepare_state_dir(struct vs_config *cfg)
{
	char abs[PATH_MAX];
	int err = vs_mkdir_p(cfg->state_dir, 0750);

	if (err) {
		fprintf(stderr,
			"voipshield: cannot create state directory %s: %s\n",
			cfg->state_dir, strerror(err));
		return -1;
	}
	if (!realpath(cfg->state_dir, abs)) {
		fprintf(stderr, "voipshield: state directory %s: %s\n",
			cfg->state_dir, strerror(errno));
		return -1;
	}
	snprintf(cfg->state_dir, sizeof(cfg->state_dir), "%s", abs);
	return 0;
}

/* One daemon per state directory: an flock on the pid file. */
static int take_lock(struct run *r)
{
	char path[PATH_MAX + 32], buf[32];
	int fd, n;

	snprintf(path, sizeof(path), "%s/%s", r->cfg->state_dir, PID_NAME);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0) {
		fprintf(stderr, "voipshield: cannot open %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		n = (int)read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = 0;
		fprintf(stderr,
			"voipshield: another voipshield (pid %s) is running with state directory %s\n",
			n > 0 ? strtok(buf, "\n") : "?", r->cfg->state_dir);
		close(fd);
		return -1;
	}
	n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) || pwrite(fd, buf, (size_t)n, 0) != n) {
		fprintf(stderr, "voipshield: cannot write %s\n", path);
		close(fd);
		return -1;
	}
	r->lock_fd = fd;
	return 0;
}

/*
 * Every TCP connection is a descriptor: take the hard limit as the soft
 * one, and say so when even that is too small for tcp.max_connections.
 */
static void raise_fd_limit(const struct vs_config *cfg)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)cfg->tcp_max_connections + 64 +
		      (rlim_t)cfg->workers * cfg->nlisten * 2;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur < need)
		vs_log(VS_LOG_WARN,
		       "open file limit %llu is below what tcp.max_connections = %u needs (%llu): raise LimitNOFILE / ulimit -n, or lower tcp.max_connections",
		       (unsigned long long)rl.rlim_cur, cfg->tcp_max_connections,
		       (unsigned long long)need);
}

static void close_sockets(struct run *r)
{
	if (!r->udp_fds)
		return;
	for (unsigned w = 0; w < r->cfg->workers; w++) {
		for (unsigned i = 0; i < r->nudp; i++)
			if (r->udp_fds[w][i] >= 0)
				close(r->udp_fds[w][i]);
		for (unsigned i = 0; i < r->ntcp; i++)
			if (r->tcp_fds[w][i] >= 0)
				close(r->tcp_fds[w][i]);
	}
}

static int open_sockets(struct run *r)
{
	const struct vs_config *cfg = r->cfg;
	unsigned nw = cfg->workers;

	r->udp_fds = calloc(nw, sizeof(*r->udp_fds));
	r->tcp_fds = calloc(nw, sizeof(*r->tcp_fds));
	if (!r->udp_fds || !r->tcp_fds)
		return -1;
	for (unsigned w = 0; w < nw; w++)
		for (unsigned i = 0; i < VS_CONFIG_MAX_LISTENERS; i++)
			r->udp_fds[w][i] = r->tcp_fds[w][i] = -1;
	for (size_t i = 0; i < cfg->nlisten; i++) {
		const struct vs_listener *l = &cfg->listen[i];
		struct vs_sockaddr a;

		memcpy(&a.u, &l->sa, l->salen);
		a.len = l->salen;
		if (((l->transports & VS_TP_UDP) && vs_sock_probe(&a, SOCK_DGRAM)) ||
		    ((l->transports & VS_TP_STREAM) && vs_sock_probe(&a, SOCK_STREAM)))
			goto fail;
		for (unsigned w = 0; w < nw; w++) {
			int fd;
			if (l->transports & VS_TP_UDP) {
				fd = vs_sock_udp(&a);
				if (fd < 0)
					goto fail;
				r->udp_fds[w][r->nudp] = fd;
			}
			if (l->transports & VS_TP_STREAM) {
				fd = vs_sock_tcp_listen(&a, 1024);
				if (fd < 0)
					goto fail;
				r->tcp_fds[w][r->ntcp] = fd;
			}
		}
		if (l->transports & VS_TP_UDP)
			r->udp_addrs[r->nudp++] = a;
		if (l->transports & VS_TP_STREAM)
			r->ntcp++;
		continue;
fail:
		fprintf(stderr,
			"voipshield: %s:%d: cannot listen on %s port %u: %s%s\n",
			cfg->path, l->line, l->address, l->port, strerror(errno),
			errno == EADDRINUSE
				? " (another program, or another voipshield, uses this port)"
			: errno == EACCES
				? " (ports below 1024 need root or CAP_NET_BIND_SERVICE)"
			: errno == EADDRNOTAVAIL
				? " (no interface of this machine has this address)"
				: "");
		r->nudp += (l->transports & VS_TP_UDP) ? 1 : 0;
		r->ntcp += (l->transports & VS_TP_STREAM) ? 1 : 0;
		return -1;
	}
	return 0;
}

static void sum_stats(struct run *r, uint64_t *out)
{
	memset(out, 0, sizeof(uint64_t) * VS_STAT_COUNT);
	for (unsigned w = 0; w < r->d.nworkers; w++)
		for (unsigned i = 0; i < VS_STAT_COUNT; i++)
			out[i] += atomic_load_explicit(&r->d.workers[w].stats.v[i],
						       memory_order_relaxed);
	for (unsigned i = 0; i < VS_STAT_COUNT; i++)
		out[i] += atomic_load_explicit(&r->d.ctl_stats.v[i],
					       memory_order_relaxed);
}

static void write_stats(struct run *r, FILE *f)
{
	uint64_t sum[VS_STAT_COUNT];
	char name[64];

	sum_stats(r, sum);
	fprintf(f, "uptime_seconds %lld\n", (long long)(time(NULL) - r->started));
	fprintf(f, "workers %u\n", r->d.nworkers);
	fprintf(f, "tcp.connections %u\n", connlimit_total(&r->d.connlimit));
	fprintf(f, "tls.handshaking %u\n",
		(unsigned)atomic_load(&r->d.tls_handshaking));
	fprintf(f, "media.active_sessions %u\n",
		r->d.media ? media_relay_sessions(r->d.media) : 0);
	fprintf(f, "media.ports_in_use %u\n",
		r->d.media ? 2 * media_relay_ports_in_use(r->d.media) : 0);
	fprintf(f, "media.timeouts %llu\n",
		r->d.media ? (unsigned long long)media_relay_timeouts(r->d.media) : 0ull);
	{
		struct relay_leg_stats t;
		memset(&t, 0, sizeof(t));
		if (r->d.media)
			media_relay_totals(r->d.media, &t);
		fprintf(f, "media.forwarded %llu\nmedia.drop.closed %llu\n"
			   "media.drop.wrong_source %llu\nmedia.drop.srtp_auth %llu\n"
			   "media.drop.other %llu\n",
			(unsigned long long)t.forwarded,
			(unsigned long long)t.drop_closed,
			(unsigned long long)t.drop_source,
			(unsigned long long)t.drop_auth,
			(unsigned long long)t.drop_other);
	}
	fprintf(f, "log.suppressed %llu\n",
		(unsigned long long)vs_log_suppressed_total());
	if (r->d.writer) {
		fprintf(f, "tsx.open %u\n", tsx_table_count(&r->d.tsx));
		fprintf(f, "registrar.bindings %u\n", loc_count(&r->d.loc));
		fprintf(f, "shield.bans_active %u\n",
			atomic_load(&r->d.bans_active));
		fprintf(f, "policy.calls_counted %u\n",
			atomic_load(&r->d.calls_counted));
		fprintf(f, "shield.sources_tracked %u\n",
			srctab_count(&r->d.shield.src));
		if (r->d.nft) {
			fprintf(f, "shield.nft_added %llu\n",
				(unsigned long long)vs_nft_added(r->d.nft));
			fprintf(f, "shield.nft_errors %llu\n",
				(unsigned long long)vs_nft_errors(r->d.nft));
		}
		fprintf(f, "events.written %llu\n",
			(unsigned long long)atomic_load(&r->d.events.written));
		fprintf(f, "events.suppressed %llu\n",
			(unsigned long long)atomic_load(&r->d.events.suppressed));
	}
	{
		/* Heap in use (glibc): what the daemon holds, unlike RSS,
		 * which keeps memory freed but not returned to the system. */
		struct mallinfo2 mi = mallinfo2();
		fprintf(f, "memory.heap_bytes %zu\n", mi.uordblks + mi.hblkhd);
	}
	for (unsigned i = 0; i < VS_STAT_COUNT; i++)
		fprintf(f, "%s %llu\n", vs_stat_name(i, name, sizeof(name)),
			(unsigned long long)sum[i]);
}

/* Returns 0 when the new configuration is in force. */
static void tls_free_all(struct tls_server **srv, struct tls_client *cli)
{
	for (size_t i = 0; i < VS_CONFIG_MAX_LISTENERS; i++) {
		tls_server_free(srv[i]);
		srv[i] = NULL;
	}
	tls_client_free(cli);
}

/* Every TLS listener's context, and the one for connections we open
 * (when anything speaks TLS): all, or none and a message in err naming
 * the file and line. */
static int tls_load_all(const struct vs_config *cfg, struct tls_server **srv,
			struct tls_client **cli, char *err, size_t errlen)
{
	char why[512];
	bool any = false;

	for (size_t i = 0; i < cfg->nlisten; i++) {
		if (!(cfg->listen[i].transports & VS_TP_TLS))
			continue;
		any = true;
		srv[i] = tls_server_new(cfg, &cfg->listen[i], why, sizeof(why));
		if (!srv[i]) {
			if (snprintf(err, errlen, "%s:%d: %s", cfg->path,
				     cfg->listen[i].line, why) < 0)
				err[0] = 0;
			tls_free_all(srv, NULL);
			return -1;
		}
	}
	if (!any)
		return 0;
	*cli = tls_client_new(cfg, why, sizeof(why));
	if (!*cli) {
		if (snprintf(err, errlen, "%s: tls: %s", cfg->path, why) < 0)
			err[0] = 0;
		tls_free_all(srv, NULL);
		return -1;
	}
	return 0;
}

static int reload(struct run *r, char *msg, size_t msglen)
{
	char err[1024];
	struct vs_config *next = malloc(sizeof(*next));
	struct vs_config *old = r->cfg;
	uint64_t gen, deadline;

	if (!next) {
		snprintf(msg, msglen, "reload failed: out of memory");
		return -1;
	}
	if (vs_config_load(old->path, next, err, sizeof(err))) {
		snprintf(msg, msglen,
			 "reload refused, keeping the running configuration: %s",
			 err);
		free(next);
		return -1;
	}
	/* The state directory was made absolute at start; compare alike. */
	{
		char abs[PATH_MAX];
		if (realpath(next->state_dir, abs))
			snprintf(next->state_dir, sizeof(next->state_dir), "%s", abs);
	}
	if (vs_config_needs_restart(old, next)) {
		snprintf(msg, msglen,
			 "reload refused, keeping the running configuration: a setting that needs a restart changed (listen, server.workers, server.user, server.allow_root, server.state_dir, transactions.max, auth.nonce_count_table, registrar.max_bindings or the shield's max_sources, max_bans, max_users)");
		free(next);
		return -1;
	}
	/* Certificates and keys: all of them load, or the reload is refused
	 * and the running ones stay. */
	struct tls_server *next_tls[VS_CONFIG_MAX_LISTENERS] = {0};
	struct tls_client *next_client = NULL;
	if (tls_load_all(next, next_tls, &next_client, err, sizeof(err))) {
		snprintf(msg, msglen,
			 "reload refused, keeping the running configuration and certificates: %s%s",
			 err,
			 strstr(err, "Permission denied")
				 ? " (a reload reads certificates and keys as server.user: make them readable to it)"
				 : "");
		free(next);
		return -1;
	}
	/* Route host names: an entry each, kept from the running
	 * configuration when the name, port and transport are the same. */
	if (route_dns_attach(next)) {
		snprintf(msg, msglen, "reload refused, keeping the running configuration: too many route host names changed since the last restart; restart to apply");
		tls_free_all(next_tls, next_client);
		free(next);
		return -1;
	}
	struct tls_server *old_tls[VS_CONFIG_MAX_LISTENERS];
	struct tls_client *old_client;
	if (r->force_syslog)
		next->log.syslog = true;
	vs_log_configure(&next->log);
	connlimit_set(&r->d.connlimit, next->tcp_max_connections,
		      next->tcp_max_connections_per_source);
	pthread_mutex_lock(&r->d.cfg_lock);
	r->d.cfg = next;
	memcpy(old_tls, r->d.tls, sizeof(old_tls));
	memcpy(r->d.tls, next_tls, sizeof(next_tls));
	old_client = r->d.tls_client;
	r->d.tls_client = next_client;
	gen = atomic_fetch_add(&r->d.cfg_gen, 1) + 1;
	pthread_mutex_unlock(&r->d.cfg_lock);
	r->cfg = next;
	vs_daemon_shield_reload(&r->d, next);
	vs_resolver_wake(r->d.resolver); /* new names are looked up now */
	for (unsigned w = 0; w < r->d.nworkers; w++)
		vs_worker_wake(&r->d.workers[w]);
	/* Free the old configuration once every worker has let go of it. */
	deadline = vs_now_ms() + RELOAD_WAIT_MS;
	for (;;) {
		unsigned done = 0;
		for (unsigned w = 0; w < r->d.nworkers; w++) {
			struct vs_worker *wk = &r->d.workers[w];
			if (__atomic_load_n(&wk->cfg_gen, __ATOMIC_ACQUIRE) >= gen)
				done++;
		}
		if (done == r->d.nworkers) {
			free(old);
			route_dns_retain_only(next); /* names no route uses now */
			/* No worker starts a handshake with these any more;
			 * sessions made with them hold their own reference. */
			tls_free_all(old_tls, old_client);
			break;
		}
		if (vs_now_ms() > deadline) {
			/* A worker is stuck; leaking one config beats a crash. */
			vs_log(VS_LOG_WARN, "reload: a worker did not acknowledge the new configuration in time");
			break;
		}
		usleep(1000);
	}
	snprintf(msg, msglen, "configuration reloaded from %s", next->path);
	return 0;
}

static void serve_control(struct run *r)
{
	for (;;) {
		char cmd[512], msg[8192];
		int fd = accept4(r->ctl_fd, NULL, NULL, SOCK_CLOEXEC);
		FILE *f;

		/* Out of descriptors (a connection flood): use the one kept in
		 * reserve, so that the operator can still ask for stats and the
		 * pending client does not make epoll fire forever. */
		if (fd < 0 && (errno == EMFILE || errno == ENFILE) &&
		    r->spare_fd >= 0) {
			close(r->spare_fd);
			r->spare_fd = -1;
			fd = accept4(r->ctl_fd, NULL, NULL, SOCK_CLOEXEC);
		}
		if (fd < 0) {
			if (r->spare_fd < 0)
				r->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
			return;
		}
		f = fdopen(fd, "w");
		if (!f) {
			close(fd);
			continue;
		}
		if (vs_control_read_command(fd, cmd, sizeof(cmd)) == 0) {
			if (strcmp(cmd, "stats") == 0) {
				write_stats(r, f);
			} else if (strcmp(cmd, "reload") == 0) {
				int rc = reload(r, msg, sizeof(msg));
				vs_log(rc ? VS_LOG_ERR : VS_LOG_NOTICE, "%s", msg);
				fprintf(f, "%s %s\n", rc ? "error" : "ok", msg);
			} else if (strncmp(cmd, "ban ", 4) == 0) {
				vs_daemon_ban_command(&r->d, r->cfg, cmd + 4, f);
			} else if (strcmp(cmd, "tls reload") == 0) {
				/* Certificates come with the configuration. */
				int rc = reload(r, msg, sizeof(msg));
				vs_log(rc ? VS_LOG_ERR : VS_LOG_NOTICE, "tls reload: %s", msg);
				fprintf(f, "%s %s\n", rc ? "error" : "ok", msg);
			} else if (strcmp(cmd, "version") == 0) {
				fprintf(f, "voipshield %s\n", VS_VERSION);
			} else {
				fprintf(f, "error unknown command '%s' (stats, reload, tls reload, ban, version)\n", cmd);
			}
		}
		fclose(f);
		if (r->spare_fd < 0)
			r->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
}

static void log_listeners(const struct vs_config *cfg)
{
	for (size_t i = 0; i < cfg->nlisten; i++) {
		const struct vs_listener *l = &cfg->listen[i];
		bool v6 = l->sa.ss_family == AF_INET6;
		vs_log(VS_LOG_INFO, "listening on %s%s%s%s:%u%s%s%s",
		       v6 ? "[" : "", l->address, v6 ? "]" : "", "", l->port,
		       (l->transports & VS_TP_UDP) ? " udp" : "",
		       (l->transports & VS_TP_TCP) ? " tcp" : "",
		       (l->transports & VS_TP_TLS) ? " tls" : "");
	}
}

static int start_workers(struct run *r)
{
	unsigned nw = r->cfg->workers;

	r->d.workers = calloc(nw, sizeof(*r->d.workers));
	if (!r->d.workers)
		return -1;
	for (unsigned w = 0; w < nw; w++) {
		int err = vs_worker_init(&r->d.workers[w], &r->d, w,
					 r->udp_fds[w], r->udp_addrs, r->nudp,
					 r->tcp_fds[w], r->ntcp);
		/* The worker owns these descriptors now. */
		for (unsigned i = 0; i < VS_CONFIG_MAX_LISTENERS; i++)
			r->udp_fds[w][i] = r->tcp_fds[w][i] = -1;
		r->d.nworkers = w + 1;
		if (err) {
			vs_log(VS_LOG_ERR, "worker %u: %s", w, strerror(err));
			return -1;
		}
	}
	for (unsigned w = 0; w < nw; w++) {
		int err = vs_worker_start(&r->d.workers[w]);
		if (err) {
			vs_log(VS_LOG_ERR, "cannot start worker thread %u: %s", w,
			       strerror(err));
			return -1;
		}
		r->nstarted = w + 1;
	}
	return 0;
}

static int setup_signals(struct run *r)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	/* Blocked before any thread starts, so workers inherit the mask. */
	if (pthread_sigmask(SIG_BLOCK, &set, NULL))
		return -1;
	r->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return r->sig_fd < 0 ? -1 : 0;
}

/* The main thread: signals and the control socket. */
static void main_loop(struct run *r)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN};

	ev.data.fd = r->sig_fd;
	epoll_ctl(ep, EPOLL_CTL_ADD, r->sig_fd, &ev);
	ev.data.fd = r->ctl_fd;
	epoll_ctl(ep, EPOLL_CTL_ADD, r->ctl_fd, &ev);
	for (;;) {
		struct epoll_event got[4];
		int n = epoll_wait(ep, got, 4, -1);

		for (int i = 0; i < n; i++) {
			if (got[i].data.fd == r->ctl_fd) {
				serve_control(r);
				continue;
			}
			struct signalfd_siginfo si;
			while (read(r->sig_fd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGHUP) {
					char msg[8192];
					int rc = reload(r, msg, sizeof(msg));
					vs_log(rc ? VS_LOG_ERR : VS_LOG_NOTICE,
					       "SIGHUP: %s", msg);
				} else {
					vs_log(VS_LOG_NOTICE,
					       "%s received: draining and stopping",
					       si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
					close(ep);
					return;
				}
			}
		}
	}
}

static void shutdown_all(struct run *r)
{
	uint64_t sum[VS_STAT_COUNT];

	atomic_store(&r->d.stop, true);
	for (unsigned w = 0; w < r->nstarted; w++)
		vs_worker_wake(&r->d.workers[w]);
	for (unsigned w = 0; w < r->nstarted; w++)
		vs_worker_join(&r->d.workers[w]);
	sum_stats(r, sum);
	vs_log(VS_LOG_NOTICE,
	       "stopped: %llu UDP and %llu TCP messages received, %llu replies sent",
	       (unsigned long long)sum[VS_STAT_RX_UDP],
	       (unsigned long long)sum[VS_STAT_RX_TCP],
	       (unsigned long long)(sum[VS_STAT_TX_UDP] + sum[VS_STAT_TX_TCP]));
	/* The writer's last results go to the workers' queues, which
	 * vs_worker_free runs; only then can the tables go. */
	vs_daemon_services_stop(&r->d);
	for (unsigned w = 0; w < r->d.nworkers; w++)
		vs_worker_free(&r->d.workers[w]);
	/* Open transactions end while the wheels they use still exist. */
	if (r->d.tsx.shard[0].buckets)
		sip_tsx_shutdown(&r->d.tsx);
	free(r->d.workers);
	vs_daemon_services_free(&r->d);
}

static int go_background(void)
{
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0)
		_exit(0);
	int fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	return 0;
}

int vs_run(const char *config_path, bool daemonize)
{
	struct run r;
	char err[1024];
	int status = 1;

	memset(&r, 0, sizeof(r));
	r.lock_fd = r.ctl_fd = r.sig_fd = -1;
	r.spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	r.started = time(NULL);
	r.cfg = malloc(sizeof(*r.cfg));
	if (!r.cfg)
		return 1;
	if (vs_config_load(config_path, r.cfg, err, sizeof(err))) {
		fprintf(stderr, "voipshield: %s\n", err);
		free(r.cfg);
		return 2;
	}
	(void)route_dns_attach(r.cfg); /* 64 routes fit: the table holds 128 */
	r.force_syslog = daemonize;
	if (daemonize && !r.cfg->log.syslog) {
		fprintf(stderr, "voipshield: --daemon: logging to syslog instead of stderr\n");
		r.cfg->log.syslog = true;
	}
	vs_log_configure(&r.cfg->log);
	if (vs_hash_init()) {
		fprintf(stderr, "voipshield: no random numbers from the kernel\n");
		goto out;
	}
	if (prepare_state_dir(r.cfg) || take_lock(&r))
		goto out;
	raise_fd_limit(r.cfg);
	if (open_sockets(&r))
		goto out;
	/* TLS keys are often readable by root alone: load them now. */
	if (tls_load_all(r.cfg, r.d.tls, &r.d.tls_client, err, sizeof(err))) {
		fprintf(stderr, "voipshield: %s\n", err);
		goto out;
	}
	r.ctl_fd = vs_control_listen(r.cfg->state_dir, err, sizeof(err));
	if (r.ctl_fd < 0) {
		fprintf(stderr, "voipshield: %s\n", err);
		goto out;
	}
	if (vs_privdrop_ex(r.cfg->user, r.cfg->allow_root, r.cfg->state_dir,
			   r.cfg->shield.nft, err, sizeof(err))) {
		fprintf(stderr, "voipshield: %s\n", err);
		goto out;
	}
	if (daemonize) {
		/* The lock is an flock: it survives fork with the descriptor,
		 * but the pid written must be the final one. */
		char buf[32];
		int n;
		if (go_background())
			goto out;
		n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
		if (ftruncate(r.lock_fd, 0) || pwrite(r.lock_fd, buf, (size_t)n, 0) != n)
			vs_log(VS_LOG_WARN, "cannot update the pid file");
	}
	if (setup_signals(&r)) {
		vs_log(VS_LOG_ERR, "cannot set up signal handling: %s", strerror(errno));
		goto out;
	}
	pthread_mutex_init(&r.d.cfg_lock, NULL);
	r.d.cfg = r.cfg;
	if (tcp_alias_init(&r.d.aliases, 2 * r.cfg->tcp_max_connections)) {
		vs_log(VS_LOG_ERR, "out of memory for the TCP alias table");
		goto out;
	}
	if (connlimit_init(&r.d.connlimit, r.cfg->tcp_max_connections,
			   r.cfg->tcp_max_connections_per_source)) {
		vs_log(VS_LOG_ERR, "out of memory for the connection table (tcp.max_connections = %u)",
		       r.cfg->tcp_max_connections);
		goto out;
	}
	if (vs_daemon_services_start(&r.d, r.cfg, err, sizeof(err))) {
		vs_log(VS_LOG_ERR, "%s", err);
		vs_daemon_services_stop(&r.d);
		vs_daemon_services_free(&r.d);
		goto out;
	}
	if (start_workers(&r)) {
		shutdown_all(&r);
		goto out;
	}
	vs_log(VS_LOG_NOTICE, "voipshield %s started: %u workers, state in %s, config %s",
	       VS_VERSION, r.cfg->workers, r.cfg->state_dir, r.cfg->path);
	log_listeners(r.cfg);
	main_loop(&r);
	shutdown_all(&r);
	status = 0;
out:
	close_sockets(&r);
	free(r.udp_fds);
	free(r.tcp_fds);
	if (r.ctl_fd >= 0) {
		char path[PATH_MAX + 32];
		close(r.ctl_fd);
		snprintf(path, sizeof(path), "%s/%s", r.cfg->state_dir,
			 VS_CONTROL_NAME);
		unlink(path);
	}
	if (r.lock_fd >= 0) {
		char path[PATH_MAX + 32];
		snprintf(path, sizeof(path), "%s/%s", r.cfg->state_dir, PID_NAME);
		unlink(path);
		close(r.lock_fd);
	}
	tls_free_all(r.d.tls, r.d.tls_client);
	if (r.d.connlimit.slots)
		connlimit_destroy(&r.d.connlimit);
	tcp_alias_destroy(&r.d.aliases);
	if (r.sig_fd >= 0)
		close(r.sig_fd);
	if (r.spare_fd >= 0)
		close(r.spare_fd);
	free(r.cfg);
	return status;
}
