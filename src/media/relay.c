/*
 * relay.c - the media relay engine (see relay.h).
 *
 * Sessions live in a fixed table allocated at start (relay_conf.
 * max_sessions).  A slot is reserved by the control thread under
 * slots_lock; from the ADD command on, its sockets, pinholes and SRTP
 * contexts belong to the media thread alone, until CLOSE frees the slot.
 * Ids carry a generation, so a command for an ended session is ignored.
 */
#include "media/relay.h"

#include <errno.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "media/ports.h"
#include "media/srtp.h"

#define BATCH 32
#define PKT_MAX 1500		   /* what we read */
#define PKT_BUF (PKT_MAX + 64)	   /* room for an SRTP trailer */
#define SLOT_BITS 20
#define SLOT_MASK ((1u << SLOT_BITS) - 1)
#define GEN_MASK ((1u << (32 - SLOT_BITS)) - 1)

enum { K_RTP, K_RTCP };

struct sock {
	int fd;
	uint32_t slot;
	uint8_t leg, kind;
};

struct leg {
	struct sock s[2];
	uint16_t port;
	struct pinhole pin[2];
	bool srtp;
	struct vs_srtp rx, tx;
	struct relay_leg_stats st;
	uint64_t reported_ms; /* last injection report for this leg */
	bool seen;	      /* RTP from its phone: the stream so far */
	uint32_t ssrc;
	uint16_t seq;
};

struct session {
	uint32_t gen;
	bool reserved; /* taken by a control thread (slots_lock) */
	bool active;   /* owned by the media thread */
	uint64_t last_ms; /* media thread: last packet accepted, or ADD */
	bool mux;	  /* RTCP shares the RTP ports (RFC 5761) */
	struct leg leg[RELAY_LEGS];
};

enum cmd_type { CMD_ADD, CMD_EXPECT, CMD_SRTP, CMD_MUX, CMD_OPEN, CMD_CLOSE, CMD_STOP };

struct cmd {
	struct cmd *next;
	enum cmd_type type;
	uint32_t id;
	unsigned leg;
	struct vs_sockaddr rtp, rtcp;
	struct relay_srtp srtp;
};

/* One media thread: the sessions whose slot index is idx modulo their
 * number, its own epoll set, command queue and counters. */
struct mthread {
	struct media_relay *r;
	unsigned idx;
	pthread_t thread;
	bool started;
	int ep, wake;
	pthread_mutex_t cmd_lock;
	struct cmd *cmds, *cmds_tail;
	struct relay_leg_stats total; /* its sessions, since start */
};

struct media_relay {
	struct mthread *th;
	unsigned nthreads;
	struct port_pool ports;
	pthread_mutex_t slots_lock;
	struct session *slots;
	uint32_t nslots, in_use;
	uint64_t timeout_ms;
	long batch_ns; /* the wait between rounds of reads */
	uint64_t timeouts;
	void (*injection)(void *, const struct vs_sockaddr *, const char *,
			  uint64_t);
	void *injection_arg;
	void (*timed_out)(void *, uint32_t);
	void *timed_out_arg;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint32_t slot_of(uint32_t id)
{
	return (id & SLOT_MASK) - 1;
}

/* The session for id, if it is still the one the id names. */
static struct session *session_of(struct media_relay *r, uint32_t id)
{
	uint32_t i = slot_of(id);

	if (i >= r->nslots || (r->slots[i].gen & GEN_MASK) != id >> SLOT_BITS)
		return NULL;
	return &r->slots[i];
}

/* The thread that owns slot i. */
static struct mthread *owner(struct media_relay *r, uint32_t i)
{
	return &r->th[i % r->nthreads];
}

/* Queue c for media thread t and wake it. */
static int enqueue_to(struct mthread *t, struct cmd *c)
{
	uint64_t one = 1;

	pthread_mutex_lock(&t->cmd_lock);
	if (t->cmds_tail)
		t->cmds_tail->next = c;
	else
		t->cmds = c;
	t->cmds_tail = c;
	pthread_mutex_unlock(&t->cmd_lock);
	return write(t->wake, &one, sizeof(one)) == sizeof(one) ? 0 : errno;
}

/* Queue c for the thread of its session. */
static int enqueue(struct media_relay *r, struct cmd *c)
{
	return enqueue_to(owner(r, slot_of(c->id)), c);
}

static int post(struct media_relay *r, enum cmd_type type, uint32_t id,
		unsigned leg, const struct vs_sockaddr *rtp,
		const struct vs_sockaddr *rtcp)
{
	struct cmd *c = calloc(1, sizeof(*c));

	if (!c)
		return ENOMEM;
	c->type = type;
	c->id = id;
	c->leg = leg;
	if (rtp)
		c->rtp = *rtp;
	if (rtcp)
		c->rtcp = *rtcp;
	return enqueue(r, c);
}

static void leg_free(struct media_relay *r, int ep, struct leg *l)
{
	for (int k = 0; k < 2; k++) {
		if (l->s[k].fd >= 0) {
			epoll_ctl(ep, EPOLL_CTL_DEL, l->s[k].fd, NULL);
			close(l->s[k].fd);
			l->s[k].fd = -1;
		}
	}
	if (l->port)
		port_pool_put(&r->ports, l->port);
	l->port = 0;
	if (l->srtp) {
		vs_srtp_free(&l->rx);
		vs_srtp_free(&l->tx);
		l->srtp = false;
	}
}

static void slot_release(struct media_relay *r, struct session *s)
{
	int ep = owner(r, (uint32_t)(s - r->slots))->ep;

	for (int i = 0; i < RELAY_LEGS; i++)
		leg_free(r, ep, &s->leg[i]);
	pthread_mutex_lock(&r->slots_lock);
	s->active = s->reserved = false;
	s->gen++;
	r->in_use--;
	pthread_mutex_unlock(&r->slots_lock);
}

/* A forwarded packet: count it the way the media thread owns it. */
static void bump(uint64_t *c)
{
	__atomic_store_n(c, *c + 1, __ATOMIC_RELAXED);
}

static void run_cmd(struct media_relay *r, struct cmd *c)
{
	struct session *s = session_of(r, c->id);

	if (!s || (!s->active && c->type != CMD_ADD))
		return;
	switch (c->type) {
	case CMD_ADD:
		for (int i = 0; i < RELAY_LEGS; i++)
			for (int k = 0; k < 2; k++) {
				struct epoll_event e = {.events = EPOLLIN,
							.data.ptr = &s->leg[i].s[k]};
				epoll_ctl(owner(r, slot_of(c->id))->ep, EPOLL_CTL_ADD,
					  s->leg[i].s[k].fd, &e);
			}
		s->active = true;
		s->mux = false;
		s->last_ms = mono_ms();
		break;
	case CMD_MUX:
		s->mux = c->leg != 0;
		break;
	case CMD_EXPECT:
		if (c->leg < RELAY_LEGS) {
			pinhole_expect(&s->leg[c->leg].pin[K_RTP], &c->rtp);
			pinhole_expect(&s->leg[c->leg].pin[K_RTCP], &c->rtcp);
		}
		break;
	case CMD_SRTP:
		if (c->leg < RELAY_LEGS) {
			struct leg *l = &s->leg[c->leg];
			if (l->srtp) {
				vs_srtp_free(&l->rx);
				vs_srtp_free(&l->tx);
				l->srtp = false;
			}
			if (c->srtp.on &&
			    !vs_srtp_init(&l->rx, c->srtp.suite, c->srtp.rx_key)) {
				if (vs_srtp_init(&l->tx, c->srtp.suite, c->srtp.tx_key))
					vs_srtp_free(&l->rx);
				else
					l->srtp = true;
			}
		}
		OPENSSL_cleanse(&c->srtp, sizeof(c->srtp));
		break;
	case CMD_OPEN:
		for (int i = 0; i < RELAY_LEGS; i++)
			for (int k = 0; k < 2; k++)
				pinhole_open(&s->leg[i].pin[k]);
		break;
	case CMD_CLOSE:
		slot_release(r, s);
		break;
	case CMD_STOP:
		break;
	}
}

/* An injection attempt on leg l: told at most once a second per leg. */
static void report(struct media_relay *r, struct leg *l,
		   const struct vs_sockaddr *src, const char *why,
		   uint64_t dropped, uint64_t now_ms)
{
	if (!r->injection || now_ms - l->reported_ms < 1000)
		return;
	l->reported_ms = now_ms;
	r->injection(r->injection_arg, src, why, dropped);
}

/* RTP from a leg's phone: its SSRC and sequence (RFC 3550 A.1, roughly):
 * a new SSRC is counted, and a forward jump in sequence counts the
 * packets it skipped as lost. */
static void track_rtp(struct leg *l, const uint8_t *p, size_t len)
{
	uint32_t ssrc;
	uint16_t seq, gap;

	if (len < 12 || (p[0] >> 6) != 2)
		return;
	ssrc = (uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 | (uint32_t)p[10] << 8 | p[11];
	seq = (uint16_t)(p[2] << 8 | p[3]);
	if (!l->seen || ssrc != l->ssrc) {
		if (l->seen)
			bump(&l->st.ssrc_changes);
		l->seen = true;
		l->ssrc = ssrc;
		l->seq = seq;
		return;
	}
	gap = (uint16_t)(seq - l->seq);
	if (gap == 0 || gap >= 0x8000)
		return; /* a duplicate, or late */
	if (gap > 1 && gap < 3000) /* larger: a restart, not loss */
		__atomic_store_n(&l->st.lost, l->st.lost + gap - 1u, __ATOMIC_RELAXED);
	l->seq = seq;
}

/* One packet from leg li's phone on socket kind k: transformed in buf
 * and its destination in dst; false when it is dropped (counted). */
static bool relay_packet(struct mthread *t, struct session *s, unsigned li,
			 unsigned k, uint8_t *buf, size_t *lenp,
			 const struct vs_sockaddr *src, struct vs_sockaddr *dst,
			 uint64_t now_ms)
{
	struct media_relay *r = t->r;
	struct leg *in = &s->leg[li], *out = &s->leg[!li];
	enum vs_srtp_result sr;
	bool rtcp = k == K_RTCP;
	size_t len = *lenp;

	switch (pinhole_check(&in->pin[k], src)) {
	case PIN_DROP_CLOSED:
		bump(&in->st.drop_closed);
		bump(&t->total.drop_closed);
		return false;
	case PIN_DROP_SOURCE:
		bump(&in->st.drop_source);
		bump(&t->total.drop_source);
		report(r, in, src, "wrong_source", in->st.drop_source, now_ms);
		return false;
	case PIN_ACCEPT:
		break;
	}
	bump(&in->st.rx);
	bump(&t->total.rx);
	s->last_ms = now_ms;
	/* With rtcp-mux, RTCP comes on the RTP port: told apart by its
	 * packet type (RFC 5761 4), and sent on the RTP port too. */
	if (k == K_RTP && s->mux && len >= 2 && buf[1] >= 192 && buf[1] <= 223)
		rtcp = true;
	if (in->srtp) {
		sr = !rtcp ? vs_srtp_unprotect(&in->rx, buf, &len)
			   : vs_srtcp_unprotect(&in->rx, buf, &len);
		if (sr == VS_SRTP_E_AUTH) {
			bump(&in->st.drop_auth);
			bump(&t->total.drop_auth);
			report(r, in, src, "srtp_auth", in->st.drop_auth, now_ms);
			return false;
		}
		if (sr != VS_SRTP_OK) {
			bump(&in->st.drop_other);
			bump(&t->total.drop_other);
			return false;
		}
	}
	if (!rtcp)
		track_rtp(in, buf, len);
	if (out->srtp) {
		sr = !rtcp ? vs_srtp_protect(&out->tx, buf, &len, PKT_BUF)
			   : vs_srtcp_protect(&out->tx, buf, &len, PKT_BUF);
		if (sr != VS_SRTP_OK) {
			bump(&in->st.drop_other);
			bump(&t->total.drop_other);
			return false;
		}
	}
	if (!pinhole_dest(&out->pin[k], dst)) {
		bump(&in->st.drop_other);
		bump(&t->total.drop_other);
		return false;
	}
	*lenp = len;
	return true;
}

/* Read what socket so holds (one recvmmsg) and send it on with one
 * sendmmsg: everything read on one socket leaves by the other leg's. */
static void relay_socket(struct mthread *t, struct sock *so, uint64_t now)
{
	static __thread uint8_t bufs[BATCH][PKT_BUF];
	static __thread struct vs_sockaddr src[BATCH], dst[BATCH];
	struct mmsghdr in[BATCH], out[BATCH];
	struct iovec iov[BATCH], oiov[BATCH];
	struct media_relay *r = t->r;
	struct session *s = &r->slots[so->slot];
	struct leg *to;
	int got, n = 0, sent;

	if (!s->active || so->fd < 0)
		return;
	for (int b = 0; b < BATCH; b++) {
		iov[b].iov_base = bufs[b];
		iov[b].iov_len = PKT_MAX;
		memset(&in[b].msg_hdr, 0, sizeof(in[b].msg_hdr));
		in[b].msg_hdr.msg_iov = &iov[b];
		in[b].msg_hdr.msg_iovlen = 1;
		in[b].msg_hdr.msg_name = &src[b].u;
		in[b].msg_hdr.msg_namelen = sizeof(src[b].u);
	}
	got = recvmmsg(so->fd, in, BATCH, MSG_DONTWAIT, NULL);
	for (int b = 0; b < got; b++) {
		size_t len = in[b].msg_len;
		src[b].len = in[b].msg_hdr.msg_namelen;
		if (in[b].msg_hdr.msg_flags & MSG_TRUNC)
			continue; /* larger than any RTP we relay */
		if (!relay_packet(t, s, so->leg, so->kind, bufs[b], &len, &src[b],
				  &dst[n], now))
			continue;
		oiov[n].iov_base = bufs[b];
		oiov[n].iov_len = len;
		memset(&out[n].msg_hdr, 0, sizeof(out[n].msg_hdr));
		out[n].msg_hdr.msg_iov = &oiov[n];
		out[n].msg_hdr.msg_iovlen = 1;
		out[n].msg_hdr.msg_name = &dst[n].u;
		out[n].msg_hdr.msg_namelen = dst[n].len;
		n++;
	}
	if (!n)
		return;
	to = &s->leg[!so->leg];
	sent = sendmmsg(to->s[so->kind].fd, out, (unsigned)n, MSG_DONTWAIT);
	if (sent < 0)
		sent = 0;
	for (int i = 0; i < n; i++) {
		struct leg *from = &s->leg[so->leg];
		if (i < sent) {
			bump(&from->st.forwarded);
			bump(&t->total.forwarded);
		} else {
			bump(&from->st.drop_other);
			bump(&t->total.drop_other);
		}
	}
}

static void *media_main(void *arg)
{
	struct mthread *t = arg;
	struct media_relay *r = t->r;
	bool stop = false;
	uint64_t next_sweep = mono_ms() + 1000;

	while (!stop) {
		struct epoll_event ev[64];
		int n = epoll_wait(t->ep, ev, 64, 1000);
		uint64_t now = mono_ms();

		/* Once a second: its sessions without media for timeout_ms go
		 * (a call whose BYE never came must not hold its ports). */
		if (r->timeout_ms && now >= next_sweep) {
			next_sweep = now + 1000;
			for (uint32_t i = t->idx; i < r->nslots; i += r->nthreads) {
				struct session *s = &r->slots[i];
				if (s->active && now - s->last_ms >= r->timeout_ms) {
					uint32_t id = ((s->gen & GEN_MASK) << SLOT_BITS) | (i + 1);
					slot_release(r, s);
					__atomic_add_fetch(&r->timeouts, 1, __ATOMIC_RELAXED);
					if (r->timed_out)
						r->timed_out(r->timed_out_arg, id);
				}
			}
		}

		for (int i = 0; i < n; i++) {
			struct sock *so = ev[i].data.ptr;

			if (!so) { /* the wake eventfd: commands */
				uint64_t v;
				struct cmd *c;
				if (read(t->wake, &v, sizeof(v)) < 0 && errno != EAGAIN)
					break;
				pthread_mutex_lock(&t->cmd_lock);
				c = t->cmds;
				t->cmds = t->cmds_tail = NULL;
				pthread_mutex_unlock(&t->cmd_lock);
				while (c) {
					struct cmd *next = c->next;
					if (c->type == CMD_STOP)
						stop = true;
					run_cmd(r, c);
					free(c);
					c = next;
				}
				continue;
			}
			relay_socket(t, so, now);
		}
		if (n > 0 && r->batch_ns) { /* let the next packets gather */
			struct timespec ts = {0, r->batch_ns};
			nanosleep(&ts, NULL);
		}
	}
	return NULL;
}

/* Close and free what threads [0, n) hold; join those started. */
static void threads_stop(struct media_relay *r, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct mthread *t = &r->th[i];
		if (t->started) {
			struct cmd *c = calloc(1, sizeof(*c));
			if (c) {
				c->type = CMD_STOP;
				enqueue_to(t, c);
			}
			pthread_join(t->thread, NULL);
		}
	}
	for (unsigned i = 0; i < n; i++) {
		struct mthread *t = &r->th[i];
		while (t->cmds) {
			struct cmd *c = t->cmds;
			t->cmds = c->next;
			free(c);
		}
		if (t->ep >= 0)
			close(t->ep);
		if (t->wake >= 0)
			close(t->wake);
		pthread_mutex_destroy(&t->cmd_lock);
	}
}

struct media_relay *media_relay_start(const struct relay_conf *conf, char *err,
				      size_t errlen)
{
	struct media_relay *r = calloc(1, sizeof(*r));
	unsigned n = conf->threads ? conf->threads : 1, i;
	int rc;

	if (!r || conf->max_sessions == 0 || conf->max_sessions > SLOT_MASK - 1 ||
	    n > RELAY_MAX_THREADS) {
		snprintf(err, errlen, "media: max_sessions must be 1 to %u, threads 1 to %u",
			 SLOT_MASK - 1, RELAY_MAX_THREADS);
		free(r);
		return NULL;
	}
	rc = port_pool_init(&r->ports, conf->port_lo, conf->port_hi);
	if (rc) {
		snprintf(err, errlen, "media: port range %u-%u: %s", conf->port_lo,
			 conf->port_hi, rc == EINVAL ? "holds no even/odd pair" : strerror(rc));
		free(r);
		return NULL;
	}
	r->nslots = conf->max_sessions;
	r->timeout_ms = (uint64_t)conf->timeout_s * 1000;
	r->timed_out = conf->timed_out;
	r->timed_out_arg = conf->timed_out_arg;
	r->batch_ns = (long)(conf->batch_us > 1000 ? 1000 : conf->batch_us) * 1000;
	r->injection = conf->injection;
	r->injection_arg = conf->injection_arg;
	r->slots = calloc(r->nslots, sizeof(*r->slots));
	r->th = calloc(n, sizeof(*r->th));
	r->nthreads = n;
	pthread_mutex_init(&r->slots_lock, NULL);
	for (i = 0; r->slots && r->th && i < n; i++) {
		struct mthread *t = &r->th[i];
		struct epoll_event e = {.events = EPOLLIN, .data.ptr = NULL};
		t->r = r;
		t->idx = i;
		t->ep = epoll_create1(EPOLL_CLOEXEC);
		t->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		pthread_mutex_init(&t->cmd_lock, NULL);
		if (t->ep < 0 || t->wake < 0 ||
		    epoll_ctl(t->ep, EPOLL_CTL_ADD, t->wake, &e) ||
		    pthread_create(&t->thread, NULL, media_main, t)) {
			i++;
			break;
		}
		t->started = true;
	}
	if (!r->slots || !r->th || !r->th[n - 1].started) {
		snprintf(err, errlen, "media: cannot start the relay threads: %s",
			 strerror(errno ? errno : ENOMEM));
		if (r->th)
			threads_stop(r, i);
		pthread_mutex_destroy(&r->slots_lock);
		free(r->th);
		free(r->slots);
		port_pool_destroy(&r->ports);
		free(r);
		return NULL;
	}
	return r;
}

void media_relay_stop(struct media_relay *r)
{
	if (!r)
		return;
	threads_stop(r, r->nthreads);
	for (uint32_t i = 0; i < r->nslots; i++)
		if (r->slots[i].reserved)
			slot_release(r, &r->slots[i]);
	port_pool_destroy(&r->ports);
	pthread_mutex_destroy(&r->slots_lock);
	free(r->th);
	free(r->slots);
	free(r);
}

static int bind_udp(const struct vs_sockaddr *ip, uint16_t port)
{
	struct vs_sockaddr a = *ip;
	int fd = socket(a.u.sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (a.u.sa.sa_family == AF_INET6)
		a.u.in6.sin6_port = htons(port);
	else
		a.u.in.sin_port = htons(port);
	if (bind(fd, &a.u.sa, a.len)) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

/* Bind leg l's pair; a pair some other program holds is skipped. */
static int leg_bind(struct media_relay *r, struct leg *l,
		    const struct relay_leg_conf *lc)
{
	for (int attempt = 0; attempt < 8; attempt++) {
		uint16_t p;
		int a, b;
		if (port_pool_get(&r->ports, &p))
			return ENOSPC;
		a = bind_udp(&lc->bind, p);
		b = a >= 0 ? bind_udp(&lc->bind, (uint16_t)(p + 1)) : -1;
		if (a >= 0 && b >= 0) {
			l->s[K_RTP].fd = a;
			l->s[K_RTCP].fd = b;
			l->port = p;
			return 0;
		}
		if (a >= 0)
			close(a);
		port_pool_put(&r->ports, p);
		if (a != -EADDRINUSE && b != -EADDRINUSE)
			return a < 0 ? -a : -b;
	}
	return EADDRINUSE;
}

int media_session_create(struct media_relay *r,
			 const struct relay_leg_conf legs[RELAY_LEGS],
			 uint32_t *id, uint16_t ports[RELAY_LEGS])
{
	struct session *s = NULL;
	uint32_t i;
	int err = 0;

	pthread_mutex_lock(&r->slots_lock);
	for (i = 0; i < r->nslots; i++) {
		if (!r->slots[i].reserved) {
			s = &r->slots[i];
			s->reserved = true;
			r->in_use++;
			break;
		}
	}
	pthread_mutex_unlock(&r->slots_lock);
	if (!s)
		return ENOSPC;
	for (int li = 0; li < RELAY_LEGS; li++) {
		struct leg *l = &s->leg[li];
		memset(l, 0, sizeof(*l));
		for (int k = 0; k < 2; k++) {
			l->s[k].fd = -1;
			l->s[k].slot = i;
			l->s[k].leg = (uint8_t)li;
			l->s[k].kind = (uint8_t)k;
			pinhole_init(&l->pin[k], legs[li].latch);
		}
	}
	for (int li = 0; li < RELAY_LEGS && !err; li++) {
		struct leg *l = &s->leg[li];
		err = leg_bind(r, l, &legs[li]);
		if (!err && legs[li].srtp.on) {
			if (vs_srtp_init(&l->rx, legs[li].srtp.suite, legs[li].srtp.rx_key) ||
			    vs_srtp_init(&l->tx, legs[li].srtp.suite, legs[li].srtp.tx_key))
				err = EIO;
			l->srtp = true;
		}
		ports[li] = l->port;
	}
	if (err) {
		slot_release(r, s);
		return err;
	}
	*id = ((s->gen & GEN_MASK) << SLOT_BITS) | (i + 1);
	return post(r, CMD_ADD, *id, 0, NULL, NULL);
}

int media_session_expect(struct media_relay *r, uint32_t id, unsigned leg,
			 const struct vs_sockaddr *rtp,
			 const struct vs_sockaddr *rtcp)
{
	struct vs_sockaddr c;

	if (leg >= RELAY_LEGS)
		return EINVAL;
	if (!rtp) /* nothing expected: held, or refused */
		return post(r, CMD_EXPECT, id, leg, NULL, NULL);
	if (!rtcp) { /* RFC 3550: RTCP on the next port up */
		c = *rtp;
		if (c.u.sa.sa_family == AF_INET6)
			c.u.in6.sin6_port = htons((uint16_t)(vs_sa_port(rtp) + 1));
		else
			c.u.in.sin_port = htons((uint16_t)(vs_sa_port(rtp) + 1));
		rtcp = &c;
	}
	return post(r, CMD_EXPECT, id, leg, rtp, rtcp);
}

int media_session_srtp(struct media_relay *r, uint32_t id, unsigned leg,
		       const struct relay_srtp *srtp)
{
	struct cmd *c;

	if (leg >= RELAY_LEGS)
		return EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return ENOMEM;
	c->type = CMD_SRTP;
	c->id = id;
	c->leg = leg;
	c->srtp = *srtp;
	return enqueue(r, c);
}

int media_session_rtcp_mux(struct media_relay *r, uint32_t id, bool mux)
{
	return post(r, CMD_MUX, id, mux, NULL, NULL);
}

int media_session_open(struct media_relay *r, uint32_t id)
{
	return post(r, CMD_OPEN, id, 0, NULL, NULL);
}

int media_session_close(struct media_relay *r, uint32_t id)
{
	return post(r, CMD_CLOSE, id, 0, NULL, NULL);
}

/* A consistent-enough copy of counters another thread bumps. */
static void stats_add(struct relay_leg_stats *out, const struct relay_leg_stats *st)
{
	out->rx += __atomic_load_n(&st->rx, __ATOMIC_RELAXED);
	out->forwarded += __atomic_load_n(&st->forwarded, __ATOMIC_RELAXED);
	out->drop_closed += __atomic_load_n(&st->drop_closed, __ATOMIC_RELAXED);
	out->drop_source += __atomic_load_n(&st->drop_source, __ATOMIC_RELAXED);
	out->drop_auth += __atomic_load_n(&st->drop_auth, __ATOMIC_RELAXED);
	out->drop_other += __atomic_load_n(&st->drop_other, __ATOMIC_RELAXED);
	out->lost += __atomic_load_n(&st->lost, __ATOMIC_RELAXED);
	out->ssrc_changes += __atomic_load_n(&st->ssrc_changes, __ATOMIC_RELAXED);
}

int media_session_stats(struct media_relay *r, uint32_t id,
			struct relay_leg_stats out[RELAY_LEGS])
{
	struct session *s = session_of(r, id);

	if (!s || !s->reserved)
		return ENOENT;
	for (int li = 0; li < RELAY_LEGS; li++) {
		memset(&out[li], 0, sizeof(out[li]));
		stats_add(&out[li], &s->leg[li].st);
	}
	return 0;
}

uint32_t media_relay_sessions(struct media_relay *r)
{
	uint32_t n;

	pthread_mutex_lock(&r->slots_lock);
	n = r->in_use;
	pthread_mutex_unlock(&r->slots_lock);
	return n;
}

bool media_session_alive(struct media_relay *r, uint32_t id)
{
	struct session *s;
	bool alive;

	pthread_mutex_lock(&r->slots_lock);
	s = session_of(r, id);
	alive = s && s->reserved;
	pthread_mutex_unlock(&r->slots_lock);
	return alive;
}

void media_relay_totals(struct media_relay *r, struct relay_leg_stats *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; i < r->nthreads; i++)
		stats_add(out, &r->th[i].total);
}

uint64_t media_relay_timeouts(struct media_relay *r)
{
	return __atomic_load_n(&r->timeouts, __ATOMIC_RELAXED);
}

uint32_t media_relay_ports_in_use(struct media_relay *r)
{
	return port_pool_in_use(&r->ports);
}
