/*
 * tls_load.c - load for SIP over TLS benchmarks (bench/tls_vs_kamailio.sh),
 * on OpenSSL, one thread, non-blocking sockets and epoll.  Loopback only.
 *
 *   tls_load hs   PORT COUNT RATE
 *       COUNT full handshakes (TLS 1.3 unless TLS_LOAD_V12 is set),
 *       started at RATE per second, each connection closed once done.
 *   tls_load idle PORT CONNS HOLD
 *       CONNS connections, handshaken, then held HOLD seconds; prints
 *       "READY n" when all are up (the caller measures memory then).
 *   tls_load reg  PORT CONNS RATE SECONDS USERS
 *       CONNS persistent connections, then authenticated REGISTERs at
 *       RATE per second for SECONDS, round robin over USERS users
 *       tls00000... with password pw-tls00000..., MD5 digest with qop=auth
 *       (the nonce kept per user, nc counting up; a new challenge is
 *       answered at once).  One transaction at a time per connection.
 *   tls_load regudp PORT SOCKETS RATE SECONDS USERS
 *       the same over UDP (bench/proxy_vs_kamailio.sh, the rate at which
 *       99.9% succeed): SOCKETS connected UDP sockets in place of the
 *       connections; a request unanswered for 4 s fails (no
 *       retransmission: on loopback only an overloaded server loses one).
 *       Users are TLS_LOAD_USER (default "tls") and five digits, their
 *       passwords "pw-", the name and TLS_LOAD_PASS_SUFFIX (default "").
 *
 * Prints "RESULT ok=N fail=N skipped=N elapsed_s=X p50_us=X p99_us=X":
 * handshakes or registrations completed, failed, not started because no
 * connection was free (overload), and latency percentiles (handshake:
 * connect to finished; REGISTER: first request to the 200).  Every mode is
 * bounded in count and time.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "load_sip.h"

#define REALM LOAD_REALM

enum state { C_FREE, C_CONNECTING, C_HANDSHAKE, C_READY, C_BUSY };

struct conn {
	int fd;
	SSL *ssl;
	enum state st;
	uint64_t t0;	 /* handshake or transaction start, ns */
	int user;	 /* the registration under way */
	int tries;	 /* REGISTERs sent in it */
	unsigned cursor; /* which of its users registers next */
	char rbuf[8192];
	size_t rlen;
	char wbuf[2048];
	size_t wlen;
};

struct user {
	char nonce[160];
	unsigned nc;
	unsigned cseq; /* one Call-ID per user: CSeq must grow */
};

static SSL_CTX *ctx;
static bool udp;	      /* regudp: datagrams, no TLS */
static const char *user_prefix = "tls", *pass_suffix = "";
static int ep;
static struct sockaddr_in dst;
static struct load_stats stats;
static struct user *users;

static void conn_close(struct conn *c)
{
	if (c->ssl)
		SSL_free(c->ssl);
	if (c->fd >= 0)
		close(c->fd);
	c->ssl = NULL;
	c->fd = -1;
	c->st = C_FREE;
	c->rlen = c->wlen = 0;
}

static void want(struct conn *c, uint32_t ev)
{
	struct epoll_event e = {.events = ev, .data.ptr = c};

	epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e);
}

static bool conn_open(struct conn *c)
{
	struct epoll_event e = {.events = EPOLLOUT, .data.ptr = c};
	int one = 1;

	if (udp) { /* ready at once */
		c->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&dst, sizeof(dst))) {
			if (c->fd >= 0)
				close(c->fd);
			c->fd = -1;
			return false;
		}
		c->st = C_READY;
		e.events = EPOLLIN;
		epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &e);
		return true;
	}
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (c->fd < 0)
		return false;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->t0 = load_now_ns();
	if (connect(c->fd, (struct sockaddr *)&dst, sizeof(dst)) && errno != EINPROGRESS) {
		close(c->fd);
		c->fd = -1;
		return false;
	}
	c->ssl = SSL_new(ctx);
	SSL_set_fd(c->ssl, c->fd);
	SSL_set_connect_state(c->ssl);
	c->st = C_CONNECTING;
	epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &e);
	return true;
}

/* Drive the handshake: 1 done, 0 wait, -1 failed. */
static int handshake(struct conn *c)
{
	int r = SSL_do_handshake(c->ssl);

	if (r == 1)
		return 1;
	switch (SSL_get_error(c->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		want(c, EPOLLIN);
		return 0;
	case SSL_ERROR_WANT_WRITE:
		want(c, EPOLLOUT);
		return 0;
	default:
		ERR_clear_error();
		return -1;
	}
}

static void send_register(struct conn *c, int u)
{
	char name[16], auth[512] = "", pw[32];
	struct user *us = &users[u];
	int port = ntohs(dst.sin_port);

	snprintf(name, sizeof(name), "%s%05d", user_prefix, u);
	snprintf(pw, sizeof(pw), "pw-%s%s", name, pass_suffix);
	if (us->nonce[0]) {
		char cred[400], uri[64];
		snprintf(uri, sizeof(uri), "sip:%s", REALM);
		if (load_digest(cred, sizeof(cred), name, pw, "REGISTER", uri, us->nonce, ++us->nc) > 0)
			snprintf(auth, sizeof(auth), "Authorization: %s\r\n", cred);
	}
	c->wlen = (size_t)snprintf(c->wbuf, sizeof(c->wbuf),
		"REGISTER sip:%s SIP/2.0\r\n"
		"Via: SIP/2.0/%s 127.0.0.1:%d;branch=z9hG4bK%lx%x;rport\r\n"
		"From: <sip:%s@%s>;tag=%x\r\n"
		"To: <sip:%s@%s>\r\n"
		"Call-ID: %s-%d-%d@bench\r\n"
		"CSeq: %u REGISTER\r\n"
		"Contact: <sip:%s@127.0.0.1:%d;transport=%s>\r\n"
		"Expires: 3600\r\nMax-Forwards: 70\r\n%s"
		"Content-Length: 0\r\n\r\n",
		REALM, udp ? "UDP" : "TLS", port, (unsigned long)load_now_ns(), (unsigned)rand(),
		name, REALM, u, name, REALM, name, u, (int)getpid(), ++us->cseq, name, port,
		udp ? "udp" : "tls", auth);
	c->user = u;
	c->tries++;
	if (udp ? send(c->fd, c->wbuf, c->wlen, 0) < 0
		: SSL_write(c->ssl, c->wbuf, (int)c->wlen) <= 0) {
		stats.failed++;
		conn_close(c);
	}
}

static void on_response(struct conn *c, const char *msg, size_t len)
{
	int code = len > 12 ? atoi(msg + 8) : 0;

	if (code >= 100 && code < 200)
		return;
	if (code == 401 && c->tries < 3 &&
	    load_take_nonce(msg, len, "WWW-Authenticate:", users[c->user].nonce,
			    sizeof(users[c->user].nonce))) {
		users[c->user].nc = 0;
		send_register(c, c->user);
		return;
	}
	if (code == 200) {
		stats.ok++;
		load_record(&stats, load_now_ns() - c->t0);
	} else {
		stats.failed++;
	}
	c->st = C_READY;
}

static void read_responses(struct conn *c)
{
	while (udp) { /* one response per datagram */
		ssize_t n = recv(c->fd, c->rbuf, sizeof(c->rbuf) - 1, 0);
		if (n <= 0)
			return;
		c->rbuf[n] = 0;
		if (c->st == C_BUSY)
			on_response(c, c->rbuf, (size_t)n);
	}
	for (;;) {
		int n = SSL_read(c->ssl, c->rbuf + c->rlen, (int)(sizeof(c->rbuf) - c->rlen - 1));
		if (n <= 0) {
			int e = SSL_get_error(c->ssl, n);
			if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
				break;
			if (c->st == C_BUSY)
				stats.failed++;
			conn_close(c);
			return;
		}
		c->rlen += (size_t)n;
		c->rbuf[c->rlen] = 0;
		for (;;) {
			char *end = memmem(c->rbuf, c->rlen, "\r\n\r\n", 4), *cl;
			size_t total, body = 0;
			while (c->rlen >= 2 && c->rbuf[0] == '\r' && c->rbuf[1] == '\n') {
				memmove(c->rbuf, c->rbuf + 2, c->rlen - 2); /* pong */
				c->rlen -= 2;
				end = memmem(c->rbuf, c->rlen, "\r\n\r\n", 4);
			}
			if (!end)
				break;
			cl = memmem(c->rbuf, (size_t)(end - c->rbuf), "Content-Length:", 15);
			if (cl)
				body = (size_t)atoi(cl + 15);
			total = (size_t)(end - c->rbuf) + 4 + body;
			if (total > c->rlen)
				break;
			if (c->st == C_BUSY)
				on_response(c, c->rbuf, total);
			memmove(c->rbuf, c->rbuf + total, c->rlen - total);
			c->rlen -= total;
		}
		if (c->rlen >= sizeof(c->rbuf) - 1) {
			conn_close(c);
			return;
		}
	}
}

/* One turn of the loop: returns false when the deadline passed. */
static void poll_once(int timeout_ms, bool keep_after_handshake)
{
	struct epoll_event ev[256];
	int n = epoll_wait(ep, ev, 256, timeout_ms);

	for (int i = 0; i < n; i++) {
		struct conn *c = ev[i].data.ptr;
		if (c->st == C_CONNECTING) {
			int err = 0;
			socklen_t l = sizeof(err);
			getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
			if (err) {
				stats.failed++;
				conn_close(c);
				continue;
			}
			c->st = C_HANDSHAKE;
		}
		if (c->st == C_HANDSHAKE) {
			int r = handshake(c);
			if (r < 0) {
				stats.failed++;
				conn_close(c);
			} else if (r > 0) {
				if (!keep_after_handshake) {
					stats.ok++;
					load_record(&stats, load_now_ns() - c->t0);
					conn_close(c);
				} else {
					c->st = C_READY;
					want(c, EPOLLIN);
				}
			}
			continue;
		}
		if (ev[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
			read_responses(c);
	}
}

/* Open n connections (at most 200 handshaking at once); the number up. */
static int open_all(struct conn *cs, int n, uint64_t deadline)
{
	int started = 0, up;

	for (;;) {
		int pending = 0;
		up = 0;
		for (int i = 0; i < started; i++) {
			if (cs[i].st == C_READY || cs[i].st == C_BUSY)
				up++;
			else if (cs[i].st == C_CONNECTING || cs[i].st == C_HANDSHAKE)
				pending++;
		}
		while (started < n && pending < 200) {
			if (!conn_open(&cs[started++]))
				stats.failed++;
			else
				pending++;
		}
		if ((started == n && pending == 0) || load_now_ns() > deadline)
			return up;
		poll_once(50, true);
	}
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	uint64_t t0;
	struct rlimit rl;

	if (argc < 5 || !load_loopback(argv[2], &dst)) {
		fprintf(stderr, "usage: tls_load hs PORT COUNT RATE | idle PORT CONNS HOLD_S |"
				" reg|regudp PORT CONNS RATE SECONDS USERS   (127.0.0.1 only)\n");
		return 2;
	}
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	signal(SIGPIPE, SIG_IGN);
	ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_min_proto_version(ctx, getenv("TLS_LOAD_V12") ? TLS1_2_VERSION : TLS1_3_VERSION);
	if (getenv("TLS_LOAD_V12"))
		SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL); /* a self-signed test server */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	ep = epoll_create1(0);
	t0 = load_now_ns();
	if (!strcmp(mode, "hs")) {
		int count = atoi(argv[3]);
		double rate = atof(argv[4]);
		int slots = 4096, next = 0;
		struct conn *cs = calloc((size_t)slots, sizeof(*cs));
		uint64_t deadline = t0 + (uint64_t)((count / rate + 30) * 1e9);
		for (int i = 0; i < slots; i++)
			cs[i].fd = -1;
		while ((next < count || stats.ok + stats.failed < (unsigned long)next) && load_now_ns() < deadline) {
			uint64_t due = t0 + (uint64_t)(next / rate * 1e9);
			while (next < count && load_now_ns() >= due) {
				int s;
				for (s = 0; s < slots && cs[s].st != C_FREE; s++)
					;
				if (s == slots) {
					stats.skipped++;
				} else if (!conn_open(&cs[s])) {
					stats.failed++;
				}
				next++;
				due = t0 + (uint64_t)(next / rate * 1e9);
			}
			poll_once(1, false);
		}
		load_result(&stats, (double)(load_now_ns() - t0) / 1e9);
		return 0;
	}
	if (!strcmp(mode, "idle")) {
		int n = atoi(argv[3]), up;
		double hold = atof(argv[4]);
		struct conn *cs = calloc((size_t)n, sizeof(*cs));
		for (int i = 0; i < n; i++)
			cs[i].fd = -1;
		up = open_all(cs, n, t0 + 120000000000ull);
		printf("READY %d\n", up);
		fflush(stdout);
		stats.ok = (unsigned long)up;
		for (uint64_t end = load_now_ns() + (uint64_t)(hold * 1e9); load_now_ns() < end;)
			poll_once(100, true);
		load_result(&stats, (double)(load_now_ns() - t0) / 1e9);
		return 0;
	}
	if (!strcmp(mode, "regudp")) {
		udp = true;
		mode = "reg";
	}
	if (getenv("TLS_LOAD_USER"))
		user_prefix = getenv("TLS_LOAD_USER");
	if (getenv("TLS_LOAD_PASS_SUFFIX"))
		pass_suffix = getenv("TLS_LOAD_PASS_SUFFIX");
	if (!strcmp(mode, "reg") && argc >= 7) {
		int n = atoi(argv[3]), nusers = atoi(argv[6]), next = 0, up, rr = 0;
		if (n > nusers)
			n = nusers; /* every connection has a user of its own */
		double rate = atof(argv[4]), secs = atof(argv[5]);
		int count = (int)(rate * secs);
		struct conn *cs = calloc((size_t)n, sizeof(*cs));
		uint64_t start, deadline;
		users = calloc((size_t)nusers, sizeof(*users));
		for (int i = 0; i < n; i++)
			cs[i].fd = -1;
		up = open_all(cs, n, t0 + 120000000000ull);
		fprintf(stderr, "tls_load: %d %s up\n", up, udp ? "sockets" : "connections");
		load_reset(&stats);
		start = load_now_ns();
		deadline = start + (uint64_t)((secs + 10) * 1e9);
		while (load_now_ns() < deadline) {
			uint64_t due = start + (uint64_t)(next / rate * 1e9);
			bool busy = false;
			while (next < count && load_now_ns() >= due) {
				int k;
				for (k = 0; k < n; k++) {
					int ci = (rr + k) % n;
					struct conn *c = &cs[ci];
					if (c->st == C_READY) {
						c->st = C_BUSY;
						c->t0 = load_now_ns();
						c->tries = 0;
						send_register(c, load_slot_user(ci, n, nusers, &c->cursor));
						break;
					}
				}
				if (k == n)
					stats.skipped++;
				rr = (rr + k + 1) % n;
				next++;
				due = start + (uint64_t)(next / rate * 1e9);
			}
			for (int i = 0; i < n; i++) {
				/* a datagram that got no answer: failed */
				if (udp && cs[i].st == C_BUSY &&
				    load_now_ns() - cs[i].t0 > 4000000000ull) {
					stats.failed++;
					cs[i].st = C_READY;
				}
				busy = busy || cs[i].st == C_BUSY;
			}
			if (next >= count && !busy)
				break;
			poll_once(1, true);
		}
		load_result(&stats, (double)(load_now_ns() - start) / 1e9);
		return 0;
	}
	fprintf(stderr, "tls_load: unknown mode '%s'\n", mode);
	return 2;
}
