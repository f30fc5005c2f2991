/*
 * relay.c - the media relay engine (see relay.h): the control side.
 *
 * Sessions live in a fixed table allocated at start (relay_conf.
 * max_sessions).  A slot is reserved by the control thread under
 * slots_lock; from the ADD command on, its sockets, pinholes and SRTP
 * contexts belong to its media thread alone (relay_thread.c), until CLOSE
 * frees the slot.  Ids carry a generation, so a command for an ended
 * session is ignored.
 */
#include "media/relay_int.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

/* Queue c for media thread t and wake it. */
int relay_enqueue_to(struct mthread *t, struct cmd *c)
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
	return relay_enqueue_to(owner(r, slot_of(c->id)), c);
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
		    pthread_create(&t->thread, NULL, relay_thread_main, t)) {
			i++;
			break;
		}
		t->started = true;
	}
	if (!r->slots || !r->th || !r->th[n - 1].started) {
		snprintf(err, errlen, "media: cannot start the relay threads: %s",
			 strerror(errno ? errno : ENOMEM));
		if (r->th)
			relay_threads_stop(r, i);
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
	relay_threads_stop(r, r->nthreads);
	for (uint32_t i = 0; i < r->nslots; i++)
		if (r->slots[i].reserved)
			relay_slot_release(r, &r->slots[i]);
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
		relay_slot_release(r, s);
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
