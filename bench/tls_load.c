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

#define REALM "bench.test"

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
static uint64_t *lat;
static size_t nlat, cap_lat;
static unsigned long ok, failed, skipped;
static struct user *users;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void record(uint64_t ns)
{
	if (nlat == cap_lat) {
		cap_lat = cap_lat ? cap_lat * 2 : 4096;
		lat = realloc(lat, cap_lat * sizeof(*lat));
		if (!lat)
			exit(1);
	}
	lat[nlat++] = ns;
}

static int cmp64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void result(double elapsed)
{
	double p50 = 0, p99 = 0;

	if (nlat) {
		qsort(lat, nlat, sizeof(*lat), cmp64);
		p50 = (double)lat[(nlat - 1) / 2] / 1000;
		p99 = (double)lat[(size_t)((double)(nlat - 1) * 0.99)] / 1000;
	}
	printf("RESULT ok=%lu fail=%lu skipped=%lu elapsed_s=%.2f p50_us=%.0f p99_us=%.0f\n",
	       ok, failed, skipped, elapsed, p50, p99);
	fflush(stdout);
}

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
	c->t0 = now_ns();
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

static void md5hex(const char *in, char out[33])
{
	unsigned char md[16];
	unsigned int n;

	EVP_Digest(in, strlen(in), md, &n, EVP_md5(), NULL);
	for (int i = 0; i < 16; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}

static void send_register(struct conn *c, int u)
{
	char name[16], auth[512] = "", pw[32];
	struct user *us = &users[u];
	int port = ntohs(dst.sin_port);

	snprintf(name, sizeof(name), "%s%05d", user_prefix, u);
	snprintf(pw, sizeof(pw), "pw-%s%s", name, pass_suffix);
	if (us->nonce[0]) {
		char a1[128], a2[64], ha1[33], ha2[33], rs[300], resp[33], cn[17];
		us->nc++;
		snprintf(cn, sizeof(cn), "%08x%08x", (unsigned)rand(), us->nc);
		snprintf(a1, sizeof(a1), "%s:%s:%s", name, REALM, pw);
		snprintf(a2, sizeof(a2), "REGISTER:sip:%s", REALM);
		md5hex(a1, ha1);
		md5hex(a2, ha2);
		snprintf(rs, sizeof(rs), "%s:%s:%08x:%s:auth:%s", ha1, us->nonce, us->nc, cn, ha2);
		md5hex(rs, resp);
		snprintf(auth, sizeof(auth),
			 "Authorization: Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", uri=\"sip:%s\", "
			 "response=\"%s\", algorithm=MD5, cnonce=\"%s\", qop=auth, nc=%08x\r\n",
			 name, REALM, us->nonce, REALM, resp, cn, us->nc);
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
		REALM, udp ? "UDP" : "TLS", port, (unsigned long)now_ns(), (unsigned)rand(),
		name, REALM, u, name, REALM, name, u, (int)getpid(), ++us->cseq, name, port,
		udp ? "udp" : "tls", auth);
	c->user = u;
	c->tries++;
	if (udp ? send(c->fd, c->wbuf, c->wlen, 0) < 0
		: SSL_write(c->ssl, c->wbuf, (int)c->wlen) <= 0) {
		failed++;
		conn_close(c);
	}
}

/* A nonce from a 401's WWW-Authenticate for MD5. */
static bool take_nonce(const char *msg, size_t len, struct user *us)
{
	const char *p = msg, *end = msg + len;

	while ((p = memmem(p, (size_t)(end - p), "WWW-Authenticate:", 17))) {
		const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2), *n;
		if (!eol)
			return false;
		/* MD5: named, or the default when no algorithm is given. */
		bool md5 = memmem(p, (size_t)(eol - p), "MD5", 3) ||
			   !memmem(p, (size_t)(eol - p), "algorithm=", 10);
		if (md5 && (n = memmem(p, (size_t)(eol - p), "nonce=\"", 7))) {
			const char *q = memchr(n + 7, '"', (size_t)(eol - n - 7));
			if (!q || q - n - 7 >= (long)sizeof(us->nonce))
				return false;
			memcpy(us->nonce, n + 7, (size_t)(q - n - 7));
			us->nonce[q - n - 7] = 0;
			us->nc = 0;
			return true;
		}
		p = eol;
	}
	return false;
}

static void on_response(struct conn *c, const char *msg, size_t len)
{
	int code = len > 12 ? atoi(msg + 8) : 0;

	if (code >= 100 && code < 200)
		return;
	if (code == 401 && c->tries < 3 && take_nonce(msg, len, &users[c->user])) {
		send_register(c, c->user);
		return;
	}
	if (code == 200) {
		ok++;
		record(now_ns() - c->t0);
	} else {
		failed++;
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
				failed++;
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
				failed++;
				conn_close(c);
				continue;
			}
			c->st = C_HANDSHAKE;
		}
		if (c->st == C_HANDSHAKE) {
			int r = handshake(c);
			if (r < 0) {
				failed++;
				conn_close(c);
			} else if (r > 0) {
				if (!keep_after_handshake) {
					ok++;
					record(now_ns() - c->t0);
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

static bool loopback_only(const char *port)
{
	dst.sin_family = AF_INET;
	dst.sin_port = htons((uint16_t)atoi(port));
	inet_pton(AF_INET, "127.0.0.1", &dst.sin_addr);
	return atoi(port) > 0 && atoi(port) < 65536;
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
				failed++;
			else
				pending++;
		}
		if ((started == n && pending == 0) || now_ns() > deadline)
			return up;
		poll_once(50, true);
	}
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	uint64_t t0;
	struct rlimit rl;

	if (argc < 5 || !loopback_only(argv[2])) {
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
	t0 = now_ns();
	if (!strcmp(mode, "hs")) {
		int count = atoi(argv[3]);
		double rate = atof(argv[4]);
		int slots = 4096, next = 0;
		struct conn *cs = calloc((size_t)slots, sizeof(*cs));
		uint64_t deadline = t0 + (uint64_t)((count / rate + 30) * 1e9);
		for (int i = 0; i < slots; i++)
			cs[i].fd = -1;
		while ((next < count || ok + failed < (unsigned long)next) && now_ns() < deadline) {
			uint64_t due = t0 + (uint64_t)(next / rate * 1e9);
			while (next < count && now_ns() >= due) {
				int s;
				for (s = 0; s < slots && cs[s].st != C_FREE; s++)
					;
				if (s == slots) {
					skipped++;
				} else if (!conn_open(&cs[s])) {
					failed++;
				}
				next++;
				due = t0 + (uint64_t)(next / rate * 1e9);
			}
			poll_once(1, false);
		}
		result((double)(now_ns() - t0) / 1e9);
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
		ok = (unsigned long)up;
		for (uint64_t end = now_ns() + (uint64_t)(hold * 1e9); now_ns() < end;)
			poll_once(100, true);
		result((double)(now_ns() - t0) / 1e9);
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
		ok = failed = 0;
		nlat = 0;
		start = now_ns();
		deadline = start + (uint64_t)((secs + 10) * 1e9);
		while (now_ns() < deadline) {
			uint64_t due = start + (uint64_t)(next / rate * 1e9);
			bool busy = false;
			while (next < count && now_ns() >= due) {
				int k;
				for (k = 0; k < n; k++) {
					int ci = (rr + k) % n;
					struct conn *c = &cs[ci];
					if (c->st == C_READY) {
						/* The users of connection ci are ci, ci + n,
						 * ...: one transaction per user at a time,
						 * so CSeq and nonce counts stay in order. */
						int per = (nusers - ci + n - 1) / n;
						c->st = C_BUSY;
						c->t0 = now_ns();
						c->tries = 0;
						send_register(c, ci + n * (int)(c->cursor++ % (unsigned)(per > 0 ? per : 1)));
						break;
					}
				}
				if (k == n)
					skipped++;
				rr = (rr + k + 1) % n;
				next++;
				due = start + (uint64_t)(next / rate * 1e9);
			}
			for (int i = 0; i < n; i++) {
				/* a datagram that got no answer: failed */
				if (udp && cs[i].st == C_BUSY &&
				    now_ns() - cs[i].t0 > 4000000000ull) {
					failed++;
					cs[i].st = C_READY;
				}
				busy = busy || cs[i].st == C_BUSY;
			}
			if (next >= count && !busy)
				break;
			poll_once(1, true);
		}
		result((double)(now_ns() - start) / 1e9);
		return 0;
	}
	fprintf(stderr, "tls_load: unknown mode '%s'\n", mode);
	return 2;
}
