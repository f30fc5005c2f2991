/*
 * relay_thread.c - the media threads (see relay_int.h): each runs the
 * commands queued for its sessions, and relays their packets, checking
 * pinholes and bridging SRTP, with batched reads and sends and no lock
 * per packet.
 */
#include "media/relay_int.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

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

void relay_slot_release(struct media_relay *r, struct session *s)
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
		relay_slot_release(r, s);
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

bool relay_packet(struct mthread *t, struct session *s, unsigned li,
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

/* Message m names one buffer of len bytes and the address a. */
static void msg_set(struct mmsghdr *m, struct iovec *iov, void *buf, size_t len,
		    struct vs_sockaddr *a, socklen_t alen)
{
	iov->iov_base = buf;
	iov->iov_len = len;
	memset(&m->msg_hdr, 0, sizeof(m->msg_hdr));
	m->msg_hdr.msg_iov = iov;
	m->msg_hdr.msg_iovlen = 1;
	m->msg_hdr.msg_name = &a->u;
	m->msg_hdr.msg_namelen = alen;
}

/* Read what socket so holds (one recvmmsg) and send it on with one
 * sendmmsg: everything read on one socket leaves by the other leg's. */
static void relay_socket(struct mthread *t, struct sock *so, uint64_t now)
{
	static __thread uint8_t bufs[BATCH][PKT_BUF];
	static __thread struct vs_sockaddr src[BATCH], dst[BATCH];
	static __thread struct mmsghdr in[BATCH];
	static __thread struct iovec iov[BATCH];
	static __thread bool ready;
	struct mmsghdr out[BATCH];
	struct iovec oiov[BATCH];
	struct media_relay *r = t->r;
	struct session *s = &r->slots[so->slot];
	struct leg *to;
	int got, n = 0, sent;

	if (!s->active || so->fd < 0)
		return;
	if (!ready) { /* the reads' messages are set once per thread */
		for (int b = 0; b < BATCH; b++)
			msg_set(&in[b], &iov[b], bufs[b], PKT_MAX, &src[b],
				sizeof(src[b].u));
		ready = true;
	}
	got = recvmmsg(so->fd, in, BATCH, MSG_DONTWAIT, NULL);
	for (int b = 0; b < got; b++) {
		size_t len = in[b].msg_len;
		src[b].len = in[b].msg_hdr.msg_namelen;
		in[b].msg_hdr.msg_namelen = sizeof(src[b].u); /* for the next read */
		if (in[b].msg_hdr.msg_flags & MSG_TRUNC)
			continue; /* larger than any RTP we relay */
		if (!relay_packet(t, s, so->leg, so->kind, bufs[b], &len, &src[b],
				  &dst[n], now))
			continue;
		msg_set(&out[n], &oiov[n], bufs[b], len, &dst[n], dst[n].len);
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

void *relay_thread_main(void *arg)
{
	struct mthread *t = arg;
	struct media_relay *r = t->r;
	bool stop = false;
	uint64_t next_sweep = mono_ms() + 1000;

	while (!stop) {
		static __thread struct epoll_event ev[EVENTS];
		int n = epoll_wait(t->ep, ev, EVENTS, 1000);
		uint64_t now = mono_ms();

		/* Once a second: its sessions without media for timeout_ms go
		 * (a call whose BYE never came must not hold its ports). */
		if (r->timeout_ms && now >= next_sweep) {
			next_sweep = now + 1000;
			for (uint32_t i = t->idx; i < r->nslots; i += r->nthreads) {
				struct session *s = &r->slots[i];
				if (s->active && now - s->last_ms >= r->timeout_ms) {
					uint32_t id = ((s->gen & GEN_MASK) << SLOT_BITS) | (i + 1);
					relay_slot_release(r, s);
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
		/* A light round (a few sockets ready): let the next packets
		 * gather, so that the thread wakes once per batch rather than
		 * once per packet.  Under load the rounds batch by themselves,
		 * and a wait would only add latency (or, with every slot of
		 * ev taken, cap the rate). */
		if (n > 0 && n <= GATHER_MAX && r->batch_ns) {
			struct timespec ts = {0, r->batch_ns};
			nanosleep(&ts, NULL);
		}
	}
	return NULL;
}

/* Close and free what threads [0, n) hold; join those started. */
void relay_threads_stop(struct media_relay *r, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct mthread *t = &r->th[i];
		if (t->started) {
			struct cmd *c = calloc(1, sizeof(*c));
			if (c) {
				c->type = CMD_STOP;
				relay_enqueue_to(t, c);
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

