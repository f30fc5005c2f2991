/*
 * tcp.c - SIP over TCP.
 *
 * Each accepted connection belongs to the worker that accepted it.  The
 * connection keeps a receive buffer that grows up to tcp.max_buffer;
 * tcp_frame_next cuts messages out of it (RFC 3261 18.3), so partial reads
 * and pipelined messages both work.  Limits: connections in total and per
 * source IP (connlimit), bytes buffered in each direction, an idle timeout
 * and a deadline to complete a message once it has started (slow-loris).
 */
#include "transport/tcp.h"

#include <errno.h>
#include <stdatomic.h>
#include <time.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/mbuf.h"
#include "daemon/worker.h"
#include "transport/alias.h"
#include "transport/tcp_frame.h"
#include "transport/tls.h"

#define TCP_RBUF_INITIAL 4096
#define TCP_REPLY_MAX 65535
/* Reads per readiness event: one busy peer must not starve the worker's
 * other sockets and timers (level-triggered epoll calls back). */
#define TCP_READ_ROUNDS 16
/* Keep-alives and stray line ends allowed per connection in a window:
 * RFC 5626 pings come every 30 s or more, so 20 in 10 s is a flood. */
#define TCP_NOISE_WINDOW_MS 10000
#define TCP_NOISE_MAX 20
/* Out of descriptors: how long a listener rests before accepting again. */
#define TCP_ACCEPT_PAUSE_MS 100

static void tls_failed(struct tcp_conn *c, const char *what);

static void conn_events(struct tcp_conn *c)
{
	bool want = c->wlen != 0 || c->connecting || c->tls_want_write;
	uint32_t ev = EPOLLIN | EPOLLRDHUP | (want ? EPOLLOUT : 0);

	if (want != c->want_out) {
		c->want_out = want;
		vs_loop_mod(&c->w->loop, &c->io, ev);
	}
}

/* Connection ids: a slot in the worker's table and a generation, so an id
 * kept in a transaction or binding never names a later connection. */
static int slot_take(struct vs_worker *w, struct tcp_conn *c)
{
	uint32_t slot;

	if (w->conn_nfree) {
		slot = w->conn_free[--w->conn_nfree];
	} else {
		if (w->conn_nslots == w->conn_cap) {
			uint32_t cap = w->conn_cap ? w->conn_cap * 2 : 64;
			struct tcp_conn **s = realloc(w->conn_slots,
						      cap * sizeof(*s));
			uint32_t *f;
			if (!s)
				return ENOMEM;
			w->conn_slots = s;
			f = realloc(w->conn_free, cap * sizeof(*f));
			if (!f)
				return ENOMEM;
			w->conn_free = f;
			w->conn_cap = cap;
		}
		slot = w->conn_nslots++;
	}
	if (++w->conn_gen == 0)
		w->conn_gen = 1;
	w->conn_slots[slot] = c;
	c->id = (uint64_t)w->conn_gen << 32 | slot;
	return 0;
}

struct tcp_conn *tcp_conn_find(struct vs_worker *w, uint64_t id)
{
	uint32_t slot = (uint32_t)id;

	if (!id || slot >= w->conn_nslots)
		return NULL;
	struct tcp_conn *c = w->conn_slots[slot];
	return c && c->id == id && !c->closing ? c : NULL;
}

/* An inbound handshake finished, failed or was abandoned. */
static void handshake_over(struct tcp_conn *c)
{
	if (c->handshaking) {
		c->handshaking = false;
		atomic_fetch_sub(&c->w->d->tls_handshaking, 1);
	}
}

void tcp_conn_destroy(struct tcp_conn *c)
{
	struct vs_worker *w = c->w;

	if (c->id) {
		w->conn_slots[(uint32_t)c->id] = NULL;
		w->conn_free[w->conn_nfree++] = (uint32_t)c->id;
	}
	timer_stop(&w->wheel, &c->timer);
	handshake_over(c);
	tls_conn_free(c->tls);
	free(c->tls_name);
	if (c->io.fd >= 0)
		close(c->io.fd);
	connlimit_release(&w->d->connlimit, &c->peer);
	if (c->prev)
		c->prev->next = c->next;
	else
		w->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	w->nconns--;
	vs_stat_inc(&w->stats, VS_STAT_TCP_CLOSED);
	free(c->rbuf);
	free(c->wbuf);
	free(c);
}

/* Write on the socket, through TLS when the connection has it: bytes
 * written (> 0), 0 when it would block, -1 when the connection failed. */
static ssize_t conn_write(struct tcp_conn *c, const char *buf, size_t len)
{
	if (c->tls) {
		size_t n = 0;
		enum tls_io r = tls_conn_write(c->tls, buf, len, &n);
		c->tls_want_write = r == TLS_IO_WANT_WRITE;
		if (r == TLS_IO_OK)
			return (ssize_t)n;
		return r == TLS_IO_WANT_READ || r == TLS_IO_WANT_WRITE ? 0 : -1;
	}
	for (;;) {
		ssize_t n = send(c->io.fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
	}
}

static bool flush_out(struct tcp_conn *c)
{
	while (c->wlen) {
		ssize_t n = conn_write(c, c->wbuf, c->wlen);
		if (n < 0)
			return false;
		if (n == 0)
			break;
		memmove(c->wbuf, c->wbuf + n, c->wlen - (size_t)n);
		c->wlen -= (size_t)n;
	}
	conn_events(c);
	return true;
}

bool tcp_conn_send(struct tcp_conn *c, const char *buf, size_t len)
{
	size_t max = c->w->cfg->tcp_max_buffer;

	if (c->closing)
		return false;
	if (c->wlen == 0 && !c->connecting &&
	    (!c->tls || tls_conn_ready(c->tls))) {
		while (len) {
			ssize_t n = conn_write(c, buf, len);
			if (n < 0) {
				c->closing = true;
				return false;
			}
			if (n == 0)
				break;
			buf += n;
			len -= (size_t)n;
		}
		if (len == 0)
			return true;
	}
	/* The peer does not read: buffer, up to the cap. */
	if (c->wlen + len > max) {
		vs_stat_inc(&c->w->stats, VS_STAT_TCP_OVERFLOW);
		c->closing = true;
		return false;
	}
	if (c->wlen + len > c->wcap) {
		size_t cap = c->wcap ? c->wcap : 4096;
		char *nb;
		while (cap < c->wlen + len)
			cap *= 2;
		if (cap > max)
			cap = max;
		nb = realloc(c->wbuf, cap);
		if (!nb) {
			c->closing = true;
			return false;
		}
		c->wbuf = nb;
		c->wcap = cap;
	}
	memcpy(c->wbuf + c->wlen, buf, len);
	c->wlen += len;
	conn_events(c);
	return true;
}

static void handle_message(struct tcp_conn *c, const char *buf, size_t len)
{
	static __thread char reply[TCP_REPLY_MAX];
	struct mbuf out;

	mbuf_init(&out, reply, sizeof(reply));
	struct vs_flow flow;

	flow.peer = c->peer;
	flow.conn_id = c->id;
	flow.worker = (uint16_t)c->w->id;
	flow.tp = c->tp;
	flow.local = 0;
	flow.listener = c->listener;
	if (vs_worker_sip_input(c->w, buf, len, &flow, &out)) {
		if (tcp_conn_send(c, out.buf, out.len))
			vs_stat_inc(&c->w->stats, VS_STAT_TX_TCP);
	}
}

/* Cut and handle every complete message in the buffer. */
static void process_input(struct tcp_conn *c)
{
	struct vs_worker *w = c->w;
	size_t max_msg = w->cfg->sip.max_message_size;

	while (!c->closing && c->rstart < c->rlen) {
		size_t consumed;
		enum tcp_frame f = tcp_frame_next(c->rbuf + c->rstart,
						  c->rlen - c->rstart, max_msg,
						  &c->frame, &consumed);
		switch (f) {
		case TCP_FRAME_NEED_MORE:
			if (!c->msg_start_ms)
				c->msg_start_ms = w->now_ms;
			goto compact;
		case TCP_FRAME_MESSAGE:
			vs_stat_inc(&w->stats, VS_STAT_RX_TCP);
			handle_message(c, c->rbuf + c->rstart, consumed);
			break;
		case TCP_FRAME_PING:
		case TCP_FRAME_SKIP:
			if (w->now_ms - c->noise_window_ms >= TCP_NOISE_WINDOW_MS) {
				c->noise_window_ms = w->now_ms;
				c->noise = 0;
			}
			if (++c->noise > TCP_NOISE_MAX) {
				vs_stat_inc(&w->stats, VS_STAT_TCP_KEEPALIVE_FLOOD);
				c->closing = true;
				return;
			}
			if (f == TCP_FRAME_PING) {
				/* RFC 5626 3.5.1: a CRLFCRLF ping gets a CRLF. */
				vs_stat_inc(&w->stats, VS_STAT_KEEPALIVE);
				tcp_conn_send(c, "\r\n", 2);
			}
			break;
		case TCP_FRAME_ERROR:
		case TCP_FRAME_TOO_BIG: {
			char peer[VS_IPSTR_MAX + 8];
			vs_stat_inc(&w->stats, f == TCP_FRAME_ERROR
						       ? VS_STAT_TCP_FRAMING
						       : VS_STAT_TCP_OVERFLOW);
			vs_log_limited(VS_LOG_INFO, "tcp-framing",
				       "closing TCP connection from %s: %s",
				       vs_sa_str(&c->peer, peer, sizeof(peer)),
				       f == TCP_FRAME_ERROR
					       ? "message without a valid Content-Length"
					       : "message larger than limits.message_size");
			c->closing = true;
			return;
		}
		}
		c->rstart += consumed;
		tcp_frame_reset(&c->frame);
		c->msg_start_ms = 0;
	}
compact:
	if (c->rstart == c->rlen) {
		c->rstart = c->rlen = 0;
		c->msg_start_ms = 0;
		/* An idle connection gives back what a big message grew. */
		if (c->rcap > TCP_RBUF_INITIAL) {
			char *nb = realloc(c->rbuf, TCP_RBUF_INITIAL);
			if (nb) {
				c->rbuf = nb;
				c->rcap = TCP_RBUF_INITIAL;
			}
		}
	} else if (c->rstart > 0) {
		memmove(c->rbuf, c->rbuf + c->rstart, c->rlen - c->rstart);
		c->rlen -= c->rstart;
		c->rstart = 0;
	}
}

/* An idle connection holds no receive buffer: most of a phone's
 * connection's life is idle, and thousands of them would each keep 4 KB.
 * The next read allocates one again. */
static void release_rbuf(struct tcp_conn *c)
{
	if (c->rlen == 0 && c->rbuf) {
		free(c->rbuf);
		c->rbuf = NULL;
		c->rcap = 0;
		c->rstart = 0;
	}
}

static bool read_input(struct tcp_conn *c)
{
	size_t max = c->w->cfg->tcp_max_buffer;

	for (int round = 0; round < TCP_READ_ROUNDS; round++) {
		ssize_t n;

		if (c->rlen == c->rcap) {
			size_t cap = c->rcap ? c->rcap * 2 : TCP_RBUF_INITIAL;
			char *nb;
			if (c->rcap >= max) {
				/* Full of one unfinished message: the framing
				 * would have refused it; treat as overflow. */
				vs_stat_inc(&c->w->stats, VS_STAT_TCP_OVERFLOW);
				return false;
			}
			if (cap > max)
				cap = max;
			nb = realloc(c->rbuf, cap);
			if (!nb)
				return false;
			c->rbuf = nb;
			c->rcap = cap;
		}
		if (c->tls) {
			size_t got = 0;
			enum tls_io r = tls_conn_read(c->tls, c->rbuf + c->rlen,
						      c->rcap - c->rlen, &got);
			c->tls_want_write = r == TLS_IO_WANT_WRITE;
			if (r == TLS_IO_WANT_READ || r == TLS_IO_WANT_WRITE) {
				conn_events(c);
				release_rbuf(c);
				return true;
			}
			if (r != TLS_IO_OK)
				return false;
			n = (ssize_t)got;
		} else {
			n = recv(c->io.fd, c->rbuf + c->rlen, c->rcap - c->rlen,
				 MSG_DONTWAIT);
		}
		if (n > 0) {
			c->rlen += (size_t)n;
			c->last_rx_ms = c->w->now_ms;
			process_input(c);
			if (c->closing)
				return false;
			continue;
		}
		if (n == 0)
			return false; /* peer closed */
		if (errno == EINTR)
			continue;
		release_rbuf(c);
		return errno == EAGAIN || errno == EWOULDBLOCK;
	}
	return true; /* more may be waiting: epoll will say so again */
}

static void conn_event(struct vs_io *io, uint32_t events)
{
	struct tcp_conn *c = (struct tcp_conn *)io;
	bool ok = true;

	if (c->connecting && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
		int err = 0;
		socklen_t len = sizeof(err);
		if (getsockopt(c->io.fd, SOL_SOCKET, SO_ERROR, &err, &len) || err) {
			/* Refused or unreachable: what was queued is lost, the
			 * transactions time out or fail over. */
			vs_stat_inc(&c->w->stats, VS_STAT_TCP_CONNECT_FAILED);
			tcp_conn_destroy(c);
			return;
		}
		c->connecting = false;
	}
	if (c->tls && !tls_conn_ready(c->tls)) {
		enum tls_io r = tls_conn_handshake(c->tls);
		c->tls_want_write = r == TLS_IO_WANT_WRITE;
		if (r == TLS_IO_WANT_READ || r == TLS_IO_WANT_WRITE) {
			conn_events(c);
			return;
		}
		if (r != TLS_IO_OK) {
			tls_failed(c, "handshake failed");
			tcp_conn_destroy(c);
			return;
		}
		if (c->tls_name && !tls_conn_peer_is(c->tls, c->tls_name)) {
			/* The chain is good but names someone else. */
			vs_stat_inc(&c->w->stats, VS_STAT_TLS_VERIFY_FAILED);
			tls_failed(c, "refused, its certificate does not name the peer");
			tcp_conn_destroy(c);
			return;
		}
		vs_stat_inc(&c->w->stats, VS_STAT_TLS_HANDSHAKES);
		handshake_over(c);
		c->msg_start_ms = 0; /* the handshake deadline is met */
		events |= EPOLLOUT | EPOLLIN;
	}
	if (events & EPOLLOUT)
		ok = flush_out(c);
	if (ok && (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
		ok = read_input(c);
	if (!ok || c->closing) {
		/* Replies already queued get one last chance, also when the
		 * peer only half-closed; then the connection goes. */
		if (c->wlen)
			flush_out(c);
		tcp_conn_destroy(c);
	}
}

/* A failed or unfinished handshake (what went wrong in what): counted
 * and logged; one on a connection a peer opened counts against its
 * source, one we opened names the identity we expected. */
static void tls_failed(struct tcp_conn *c, const char *what)
{
	struct vs_worker *w = c->w;
	char peer[VS_IPSTR_MAX + 8];
	const char *why = tls_conn_verify_error(c->tls);

	vs_sa_str(&c->peer, peer, sizeof(peer));
	vs_stat_inc(&w->stats, VS_STAT_TLS_HANDSHAKE_FAILED);
	if (c->listener == VS_FLOW_NO_LISTENER) {
		if (why)
			vs_stat_inc(&w->stats, VS_STAT_TLS_VERIFY_FAILED);
		vs_log_limited(VS_LOG_WARN, "tls-out",
			       "TLS to %s: %s (we expected '%s'%s%s)", peer,
			       what, c->tls_name ? c->tls_name : "anyone",
			       why ? ": " : "", why ? why : "");
		return;
	}
	vs_log_limited(VS_LOG_INFO, "tls-handshake", "TLS from %s: %s%s%s",
		       peer, what, why ? ": " : "", why ? why : "");
	if (w->srv.svc && w->srv.svc->shield) {
		struct shield_ctx sc = {w->cfg, &w->stats, w->now_ms,
					(int64_t)time(NULL)};
		shield_tls_failed(w->srv.svc->shield, &sc, &c->peer);
	}
}

static void conn_timer(struct timer *t, void *arg)
{
	struct tcp_conn *c = arg;
	struct vs_worker *w = c->w;
	uint64_t idle = (uint64_t)w->cfg->tcp_idle_timeout * 1000;
	uint64_t msg = (uint64_t)w->cfg->tcp_message_timeout * 1000;
	uint64_t next;

	(void)t;
	if (w->now_ms - c->last_rx_ms >= idle) {
		vs_stat_inc(&w->stats, VS_STAT_TCP_IDLE_TIMEOUT);
		tcp_conn_destroy(c);
		return;
	}
	if (c->msg_start_ms && w->now_ms - c->msg_start_ms >= msg) {
		vs_stat_inc(&w->stats, VS_STAT_TCP_MESSAGE_TIMEOUT);
		if (c->tls && !tls_conn_ready(c->tls))
			tls_failed(c, "handshake not finished within tcp.message_timeout");
		tcp_conn_destroy(c);
		return;
	}
	/* Connections we opened stay open with CRLF pings (RFC 5626 3.5.1)
	 * while the peer is quiet; its CRLF pong counts as traffic. */
	if (c->listener == VS_FLOW_NO_LISTENER && w->cfg->tcp_keepalive &&
	    !c->connecting && (!c->tls || tls_conn_ready(c->tls))) {
		uint64_t ka = (uint64_t)w->cfg->tcp_keepalive * 1000;
		if (w->now_ms - c->last_rx_ms >= ka &&
		    w->now_ms - c->ping_ms >= ka) {
			c->ping_ms = w->now_ms;
			vs_stat_inc(&w->stats, VS_STAT_KEEPALIVE_SENT);
			if (!tcp_conn_send(c, "\r\n\r\n", 4)) {
				tcp_conn_destroy(c);
				return;
			}
		}
	}
	next = c->last_rx_ms + idle - w->now_ms;
	if (c->msg_start_ms && c->msg_start_ms + msg - w->now_ms < next)
		next = c->msg_start_ms + msg - w->now_ms;
	/* Check at least every second so a message deadline is noticed. */
	if (next > 1000)
		next = 1000;
	timer_start(&w->wheel, &c->timer, w->now_ms, next, conn_timer, c);
}

/* A connection object for fd, registered with the worker's loop; the
 * caller has taken a connlimit slot for peer.  NULL (fd closed, slot
 * given back) when memory ran out. */
static struct tcp_conn *conn_new(struct vs_worker *w, int fd,
				 const struct vs_sockaddr *peer, uint32_t events)
{
	struct tcp_conn *c;
	int one = 1;

	c = calloc(1, sizeof(*c));
	if (!c || slot_take(w, c)) {
		free(c);
		connlimit_release(&w->d->connlimit, peer);
		close(fd);
		return NULL;
	}
	/* No receive buffer until bytes come (see release_rbuf). */
	c->io.fd = fd;
	c->io.handler = conn_event;
	c->w = w;
	c->peer = *peer;
	c->last_rx_ms = w->now_ms;
	timer_init(&c->timer);
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->next = w->conns;
	if (w->conns)
		w->conns->prev = c;
	w->conns = c;
	w->nconns++;
	if (vs_loop_add(&w->loop, &c->io, events)) {
		tcp_conn_destroy(c);
		return NULL;
	}
	timer_start(&w->wheel, &c->timer, w->now_ms, 1000, conn_timer, c);
	return c;
}

static void remember_peer(struct tcp_conn *c)
{
	struct vs_flow flow;

	memset(&flow, 0, sizeof(flow));
	flow.peer = c->peer;
	flow.conn_id = c->id;
	flow.worker = (uint16_t)c->w->id;
	flow.tp = c->tp;
	tcp_alias_set(&c->w->d->aliases, &c->peer, &flow);
}

static void accept_one(struct tcp_listener *l, int fd,
		       const struct vs_sockaddr *peer)
{
	struct vs_worker *w = l->w;
	struct tcp_conn *c;
	enum connlimit_result lim;

	if (w->srv.svc && w->srv.svc->shield) {
		struct shield_ctx sc = {w->cfg, &w->stats, w->now_ms,
					(int64_t)time(NULL)};
		if (!shield_accept(w->srv.svc->shield, &sc, peer,
				   l->listener, l->tls != NULL)) {
			close(fd);
			return;
		}
	}
	/* Handshakes cost CPU: a cap on how many run at once, in all (the
	 * per-source cap is tcp.max_connections_per_source). */
	if (l->tls && atomic_load(&w->d->tls_handshaking) >=
			      w->cfg->tls_max_handshakes) {
		vs_stat_inc(&w->stats, VS_STAT_TLS_HANDSHAKE_REFUSED);
		vs_log_limited(VS_LOG_NOTICE, "tls-busy",
			       "refused a TLS connection: tls.max_handshakes (%u) handshakes under way",
			       w->cfg->tls_max_handshakes);
		close(fd);
		return;
	}
	lim = connlimit_acquire(&w->d->connlimit, peer);
	if (lim != CONNLIMIT_OK) {
		char p[VS_IPSTR_MAX + 8];
		vs_stat_inc(&w->stats, lim == CONNLIMIT_TOTAL
					       ? VS_STAT_TCP_REFUSED_TOTAL
					       : VS_STAT_TCP_REFUSED_SOURCE);
		vs_log_limited(VS_LOG_NOTICE, "tcp-limit",
			       "refused TCP connection from %s: %s",
			       vs_sa_str(peer, p, sizeof(p)),
			       lim == CONNLIMIT_TOTAL
				       ? "tcp.max_connections reached"
				       : "tcp.max_connections_per_source reached");
		close(fd);
		return;
	}
	c = conn_new(w, fd, peer, EPOLLIN | EPOLLRDHUP);
	if (!c)
		return;
	c->listener = l->listener;
	c->tp = VS_TP_TCP;
	if (l->tls) {
		c->tp = VS_TP_TLS;
		c->tls = tls_conn_accept(l->tls, fd);
		if (!c->tls) {
			tcp_conn_destroy(c);
			return;
		}
		/* The handshake must finish within tcp.message_timeout. */
		c->msg_start_ms = w->now_ms;
		c->handshaking = true;
		atomic_fetch_add(&w->d->tls_handshaking, 1);
	}
	vs_stat_inc(&w->stats, VS_STAT_TCP_ACCEPTED);
	remember_peer(c);
}

struct tcp_conn *tcp_conn_connect(struct vs_worker *w,
				  const struct vs_sockaddr *peer,
				  const struct tcp_tls_peer *tls)
{
	struct tcp_conn *c;
	int fd;

	if (connlimit_acquire(&w->d->connlimit, peer) != CONNLIMIT_OK) {
		vs_stat_inc(&w->stats, VS_STAT_TCP_REFUSED_TOTAL);
		return NULL;
	}
	fd = socket(peer->u.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0) {
		connlimit_release(&w->d->connlimit, peer);
		return NULL;
	}
	if (connect(fd, &peer->u.sa, peer->len) && errno != EINPROGRESS) {
		connlimit_release(&w->d->connlimit, peer);
		close(fd);
		vs_stat_inc(&w->stats, VS_STAT_TCP_CONNECT_FAILED);
		return NULL;
	}
	c = conn_new(w, fd, peer, EPOLLIN | EPOLLRDHUP | EPOLLOUT);
	if (!c)
		return NULL;
	c->connecting = true;
	c->want_out = true;
	c->listener = VS_FLOW_NO_LISTENER;
	c->tp = VS_TP_TCP;
	if (tls) {
		c->tp = VS_TP_TLS;
		c->tls = tls_conn_connect(tls->client, fd, tls->name,
					  tls->verify);
		if (tls->verify)
			c->tls_name = strdup(tls->name);
		if (!c->tls || (tls->verify && !c->tls_name)) {
			tcp_conn_destroy(c);
			return NULL;
		}
		/* Connected and handshaken within tcp.message_timeout. */
		c->msg_start_ms = w->now_ms;
	}
	vs_stat_inc(&w->stats, VS_STAT_TCP_CONNECTED);
	remember_peer(c);
	return c;
}

static void listener_event(struct vs_io *io, uint32_t events);

static void listener_resume(struct timer *t, void *arg)
{
	struct tcp_listener *l = arg;

	(void)t;
	if (l->io.fd >= 0)
		vs_loop_add(&l->w->loop, &l->io, EPOLLIN);
}

static void listener_event(struct vs_io *io, uint32_t events)
{
	struct tcp_listener *l = (struct tcp_listener *)io;

	(void)events;
	for (int i = 0; i < 64; i++) {
		struct vs_sockaddr peer;
		int fd;

		peer.len = sizeof(peer.u);
		fd = accept4(io->fd, &peer.u.sa, &peer.len,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				/* The pending connection stays queued and a
				 * level-triggered listener would fire again at
				 * once: stop listening for a moment instead of
				 * spinning. */
				vs_log_limited(VS_LOG_WARN, "tcp-accept",
					       "accept failed: %s; pausing this listener for %d ms (raise the open file limit or lower tcp.max_connections)",
					       strerror(errno), TCP_ACCEPT_PAUSE_MS);
				vs_stat_inc(&l->w->stats, VS_STAT_TCP_ACCEPT_PAUSED);
				vs_loop_del(&l->w->loop, &l->io);
				timer_start(&l->w->wheel, &l->pause, l->w->now_ms,
					    TCP_ACCEPT_PAUSE_MS, listener_resume, l);
			}
			return;
		}
		accept_one(l, fd, &peer);
	}
}

int tcp_listener_attach(struct tcp_listener *l, struct vs_worker *w, int fd)
{
	timer_init(&l->pause);
	l->io.fd = fd;
	l->io.handler = listener_event;
	l->w = w;
	return vs_loop_add(&w->loop, &l->io, EPOLLIN);
}

void tcp_listener_close(struct tcp_listener *l)
{
	if (l->io.fd >= 0) {
		timer_stop(&l->w->wheel, &l->pause);
		vs_loop_del(&l->w->loop, &l->io);
		close(l->io.fd);
		l->io.fd = -1;
	}
}

bool tcp_worker_pending_output(const struct vs_worker *w)
{
	for (const struct tcp_conn *c = w->conns; c; c = c->next) {
		if (c->wlen)
			return true;
	}
	return false;
}
